/* test-ring.c - a long run's recorder stays bounded (issue 18, section 2).
 *
 * Streamed: a server-like program (a task per request, each printing, on the
 * virtual clock) writes its trace to a file; the recorder lets written
 * events and their strings go, so what it holds stays under a bound that
 * does not grow with the number of requests, and the file still holds every
 * event, accepted by the reader.  Ring (LOOPLAB_TRACE_RING=N, no trace
 * file): only the last N events are kept, and the trace written from them
 * says with `@dropped "K"` how many came before. */
#include "harness-internal.h"

#include "trace/textfmt.h"

/* What the recorder may hold however long the server runs: the chunk being
 * filled, the spare, the strings of one spill period (twice, while copied)
 * and the tables around them.  Recording every event of the larger run
 * below would take over 20 MiB. */
#define HELD_BOUND ((size_t)(3 * LL_REC_CHUNK_BYTES + 3 * LL_REC_STR_SPILL))

static size_t max_held; /* the most the recorder held at any request batch */

/* One request: a little waiting, a line of output, a result. */
static ll_value handle(ll_value arg) {
    ll_sleep(0.001);
    ll_print("request %lld served with a reply long enough to be like a real log line",
             (long long)arg.i);
    return ll_int(arg.i * 2);
}

/* Accepts arg.i requests in batches of 100, gathering each batch, and looks
 * at the recorder between batches. */
static ll_value serve(ll_value arg) {
    for (int64_t b = 0; b < arg.i / 100; b++) {
        ll_task *t[100];
        for (int i = 0; i < 100; i++)
            t[i] = ll_create_task(ll_coro(handle, b * 100 + i), NULL);
        for (int i = 0; i < 100; i++)
            ll_await(t[i]);
        size_t held = ll__rec_held_bytes(&ll__current_loop->rec);
        if (held > max_held)
            max_held = held;
    }
    return ll_none();
}

/* Runs serve(requests) streaming to a file; returns the events recorded and
 * checks the file: accepted, complete (every request's line), as many
 * events as were recorded. */
static size_t run_streamed(int64_t requests) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/looplab-ring-%ld.trace", (long)getpid());
    max_held = 0;
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .record = 1, .trace_path = path, .slow_step = -1};
    ll_loop *loop = ll_loop_new(&o);
    ck_assert_ptr_nonnull(loop);
    ll_loop_run_until_complete(loop, ll_coro(serve, requests));
    size_t recorded = loop->rec.n;
    ck_assert_msg(loop->rec.base > 0, "nothing was spilled after %zu events", recorded);
    ck_assert_int_eq(ll_loop_close(loop), 0);

    ll_trace t;
    char err[256];
    ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == 0, "reader refused: %s", err);
    ck_assert(!t.truncated);
    ck_assert_uint_eq(t.meta.dropped, 0);
    ck_assert_uint_ge(t.rec.n, recorded); /* + loop_stop and run_end at close */
    int64_t served = 0, sum = 0;
    for (size_t i = 0; i < t.rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t.rec, i);
        if (e->kind != LL_EV_PRINT)
            continue;
        long long k;
        const char *s = ll__rec_strp(&t.rec, e->str, NULL);
        ck_assert_msg(sscanf(s, "request %lld served", &k) == 1, "print %zu: '%s'", i, s);
        served++;
        sum += k;
    }
    ck_assert_int_eq(served, requests);
    ck_assert_int_eq(sum, requests * (requests - 1) / 2); /* each request once */
    ll_trace_free(&t);
    unlink(path);
    return recorded;
}

START_TEST(streamed_server_recorder_stays_bounded) {
    size_t small = run_streamed(5000);
    size_t held_small = max_held;
    size_t big = run_streamed(40000);
    size_t held_big = max_held;
    /* Held in full, the big run's events alone would pass the bound. */
    ck_assert_uint_gt(big * sizeof(ll_trace_event), HELD_BOUND);
    ck_assert_uint_gt(big, 7 * small);
    ck_assert_msg(held_small <= HELD_BOUND && held_big <= HELD_BOUND,
                  "held %zu bytes for 5000 requests, %zu for 40000 (bound %zu)", held_small,
                  held_big, HELD_BOUND);
}
END_TEST

/* Prints arg.i numbered lines, a step each. */
static ll_value chatter(ll_value arg) {
    for (int64_t i = 0; i < arg.i; i++) {
        ll_print("line %lld of a program that talks for a long time", (long long)i);
        ll_sleep(0);
    }
    return ll_none();
}

START_TEST(ring_keeps_the_last_n_events_and_says_how_many_went) {
    setenv("LOOPLAB_TRACE_RING", "1000", 1);
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .record = 1, .trace_path = "", .slow_step = -1};
    ll_loop *loop = ll_loop_new(&o);
    unsetenv("LOOPLAB_TRACE_RING");
    ck_assert_ptr_nonnull(loop);
    ck_assert_uint_eq(loop->rec.ring, 1000);
    const int64_t lines = 60000; /* ~4 events a line: 5 chunks and more */
    ll_loop_run_until_complete(loop, ll_coro(chatter, lines));
    size_t n = loop->rec.n;
    ck_assert_uint_gt(n, 4 * LL_REC_CHUNK);
    ck_assert_uint_eq(ll__rec_first(&loop->rec), n - 1000);
    ck_assert_uint_le(ll__rec_held_bytes(&loop->rec),
                      3 * LL_REC_CHUNK_BYTES + 3 * LL_REC_STR_SPILL);

    char *text = dump_of(loop);
    ll_trace t;
    char err[256];
    ck_assert_msg(ll_trace_parse(&t, "ring", text, strlen(text), err, sizeof err) == 0,
                  "reader refused: %s", err);
    ck_assert_uint_eq(t.meta.dropped, n - 1000);
    ck_assert_uint_eq(t.rec.n, 1000);
    ck_assert_ptr_nonnull(strstr(text, "\n@dropped \""));
    /* The last line printed is the last print kept, its text intact. */
    const char *last = NULL;
    for (size_t i = 0; i < t.rec.n; i++)
        if (ll__rec_at(&t.rec, i)->kind == LL_EV_PRINT)
            last = ll__rec_strp(&t.rec, ll__rec_at(&t.rec, i)->str, NULL);
    ck_assert_ptr_nonnull(last);
    ck_assert_str_eq(last, "line 59999 of a program that talks for a long time");

    /* Written again (as `looplab export --format text` does), it still says
     * so, and is read back the same. */
    char *again = NULL;
    size_t alen = 0;
    FILE *f = open_memstream(&again, &alen);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ll_trace_write_parsed(f, &t), 0);
    fclose(f);
    ll_trace t2;
    ck_assert_msg(ll_trace_parse(&t2, "again", again, alen, err, sizeof err) == 0,
                  "reader refused the re-written trace: %s", err);
    ck_assert_uint_eq(t2.meta.dropped, n - 1000);
    ck_assert_uint_eq(t2.rec.n, 1000);
    ll_trace_free(&t2);
    free(again);
    ll_trace_free(&t);
    free(text);
    ll_loop_close(loop);
}
END_TEST

START_TEST(reader_refuses_a_bad_dropped_count) {
    static const char *const bad[] = {"\"\"", "\"12x\"", "\"-3\"", "\"99999999999999999999999\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "looplab-trace 1.4\n@dropped %s\n@end events=0\n", bad[i]);
        ll_trace t;
        char err[256];
        ck_assert_msg(ll_trace_parse(&t, "bad", text, strlen(text), err, sizeof err) != 0,
                      "accepted @dropped %s", bad[i]);
        ck_assert_msg(strstr(err, "bad:2:") && strstr(err, "@dropped"), "message: %s", err);
        ll_trace_free(&t);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("bounded");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, streamed_server_recorder_stays_bounded);
    tcase_add_test(tc, ring_keeps_the_last_n_events_and_says_how_many_went);
    tcase_add_test(tc, reader_refuses_a_bad_dropped_count);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
