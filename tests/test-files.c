/* test-files.c - files through libuv's fs requests on the thread pool
 * (ll_file_*).
 *
 * Checked: what is written reads back, in pieces, at the end of the file
 * a read gives 0, "a" appends, on both clocks; every call is a job named
 * after the file and its calls take turns on the file's lock; a missing
 * file, a bad mode, a closed file and a write to a read-only file each give
 * a clear error naming the path; an unclosed file is reported when the loop
 * closes; tasks reading two files go on side by side with a ticker. */
#include "harness-internal.h"

#include <unistd.h>

static char *run_clock(ll_coro_fn main, ll_clock clock, char **err, char **trace) {
    return run_loop(main, clock, -1, "/tmp/looplab-test-files-last.trace", err, trace, NULL);
}

static char path_a[128], path_b[128];

static void paths(void) {
    snprintf(path_a, sizeof path_a, "/tmp/looplab-test-files-%d-a.txt", (int)getpid());
    snprintf(path_b, sizeof path_b, "/tmp/looplab-test-files-%d-b.txt", (int)getpid());
    unlink(path_a);
    unlink(path_b);
}

/* Reads a whole file in 7-byte pieces; prints it and the number of reads. */
static ll_value read_all(ll_value path) {
    ll_value v = ll_file_open(path.s, "r");
    if (ll_failed(v))
        return v;
    ll_file *f = v.p;
    char all[256] = "", piece[7];
    size_t len = 0;
    int reads = 0;
    for (;;) {
        ll_value n = ll_file_read(f, piece, sizeof piece);
        if (ll_failed(n))
            return n;
        reads++;
        if (n.i == 0)
            break;
        if (len + (size_t)n.i < sizeof all) {
            memcpy(all + len, piece, (size_t)n.i);
            len += (size_t)n.i;
            all[len] = '\0';
        }
    }
    ll_file_close(f);
    ll_print("%s in %d reads", all, reads);
    return ll_none();
}

static ll_value roundtrip_main(LL_NOARGS) {
    ll_value v = ll_file_open(path_a, "w");
    if (ll_failed(v))
        return v;
    ll_file *f = v.p;
    ll_value n = ll_file_write(f, "first line|", 11);
    if (ll_failed(n))
        return n;
    ll_print("wrote %lld", (long long)n.i);
    LL_TRY(ll_file_write(f, "second|", 7));
    LL_TRY(ll_file_close(f));
    v = ll_file_open(path_a, "a");
    if (ll_failed(v))
        return v;
    LL_TRY(ll_file_write(v.p, "third", 5));
    ll_file_close(v.p);
    return read_all(ll_str(path_a));
}

START_TEST(what_is_written_reads_back_on_both_clocks) {
    ll_clock clocks[] = {LL_CLOCK_VIRTUAL, LL_CLOCK_REAL};
    for (int c = 0; c < 2; c++) {
        paths();
        char *trace;
        char *out = run_clock(roundtrip_main, clocks[c], NULL, &trace);
        ck_assert_str_eq(out, "wrote 11\nfirst line|second|third in 5 reads\n");
        ck_assert_has(trace, "fn=\"fs open looplab-test-files-");
        ck_assert_has(trace, "fn=\"fs write looplab-test-files-");
        ck_assert_has(trace, "fn=\"fs read looplab-test-files-");
        ck_assert_has(trace, "fn=\"fs close looplab-test-files-");
        ck_assert_has(trace, "kind=lock value=0 name=\"file looplab-test-files-");
        ck_assert_has(trace, "job_start");
        free(out);
        free(trace);
        unlink(path_a);
    }
}
END_TEST

static ll_value errors_main(LL_NOARGS) {
    say("missing", ll_file_open("/nonexistent-dir/notes.txt", "r"));
    say("mode", ll_file_open(path_a, "x"));
    ll_value v = ll_file_open(path_a, "w");
    say("create", v);
    if (ll_failed(v))
        return v;
    ll_file_close(v.p);
    v = ll_file_open(path_a, "r");
    say("reopen", v);
    if (ll_failed(v))
        return v;
    say("write to read-only", ll_file_write(v.p, "x", 1));
    say("close", ll_int(ll_errcode(ll_file_close(v.p))));
    char buf[4];
    say("read after close", ll_file_read(v.p, buf, sizeof buf));
    say("close twice", ll_int(ll_errcode(ll_file_close(v.p))));
    return ll_none();
}

START_TEST(bad_paths_modes_and_calls_say_what_was_wrong) {
    paths();
    char *out = run_clock(errors_main, LL_CLOCK_VIRTUAL, NULL, NULL);
    ck_assert_has(out, "missing: FileNotFoundError: [Errno 2] no such file or directory "
                       "(ENOENT): '/nonexistent-dir/notes.txt'\n");
    ck_assert_has(out, "mode: ValueError: invalid mode: 'x'");
    ck_assert_has(out, "create: ok\nreopen: ok\n");
    ck_assert_has(out, "write to read-only: OSError: [Errno 9] bad file descriptor (EBADF): '");
    ck_assert_has(out, "close: ok\n");
    ck_assert_has(out, "read after close: ValueError: I/O operation on closed file '");
    ck_assert_has(out, "close twice: ok\n");
    free(out);
    unlink(path_a);
}
END_TEST

static ll_value unclosed_main(LL_NOARGS) {
    ll_value v = ll_file_open(path_a, "w");
    return ll_failed(v) ? v : ll_none();
}

START_TEST(an_unclosed_file_is_reported_at_loop_close) {
    paths();
    char *err;
    char *out = run_clock(unclosed_main, LL_CLOCK_VIRTUAL, &err, NULL);
    ck_assert_has(err, "ResourceWarning: unclosed file '/tmp/looplab-test-files-");
    ck_assert_has(err, "test-files.c:");
    free(out);
    free(err);
    unlink(path_a);
}
END_TEST

static int ticks;
static ll_value ticker(LL_NOARGS) {
    for (;;) {
        LL_TRY(ll_sleep(0.001));
        ticks++;
    }
}

static ll_value write_big(ll_value path) {
    ll_value v = ll_file_open(path.s, "w");
    if (ll_failed(v))
        return v;
    static char block[1 << 16];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 64; i++) /* 4 MiB */
        LL_TRY(ll_file_write(v.p, block, sizeof block));
    return ll_int(ll_errcode(ll_file_close(v.p)));
}

static ll_value parallel_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(ticker), "ticker");
    LL_TRY(ll_await(ll_gather(ll_coro(write_big, path_a), ll_coro(write_big, path_b))));
    ll_task_cancel(t);
    ll_print("both written; the ticker ran: %s", ticks > 0 ? "yes" : "no");
    return ll_none();
}

START_TEST(two_files_are_written_while_other_tasks_run) {
    paths();
    ticks = 0;
    char *trace;
    char *out = run_clock(parallel_main, LL_CLOCK_REAL, NULL, &trace);
    ck_assert_str_eq(out, "both written; the ticker ran: yes\n");
    ck_assert_has(trace, "wait         on=job");
    free(out);
    free(trace);
    unlink(path_a);
    unlink(path_b);
}
END_TEST

int main(void) {
    Suite *s = suite_create("files");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, what_is_written_reads_back_on_both_clocks);
    tcase_add_test(tc, bad_paths_modes_and_calls_say_what_was_wrong);
    tcase_add_test(tc, an_unclosed_file_is_reported_at_loop_close);
    tcase_add_test(tc, two_files_are_written_while_other_tasks_run);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
