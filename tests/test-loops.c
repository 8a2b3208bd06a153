/* test-loops.c - several event loops, one per thread: the thread-safe calls
 * between them keep Python's behaviour (tests/py/loops_threadsafe.py), a
 * loop made inside a thread-pool job is its own loop (its prints, its
 * blocking calls, its virtual time), and every loop's events land in one
 * trace, tagged with the loop, readable back and with no two loops' ids
 * colliding. */
#include "harness-internal.h"

#include <unistd.h>

/* ---- loops_threadsafe.py ------------------------------------------------------- */

static double g_scale = 1.0;
#define S(x) ((x)*g_scale)

static ll_value lookup(ll_value word) {
    LL_TRY(ll_sleep(S(0.2)));
    return ll_int((int64_t)strlen(word.s));
}

static ll_value spell(ll_value word) {
    LL_TRY(ll_sleep(S(0.1)));
    char buf[64] = "";
    for (const char *p = word.s; *p; p++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%c", p == word.s ? "" : "-", *p);
    return ll_str(ll_format("%s", buf));
}

static ll_value fail_there(LL_NOARGS) {
    LL_TRY(ll_sleep(S(0.1)));
    return ll_raise(LL_EVALUE, "no such word");
}

static ll_value forever(LL_NOARGS) {
    ll_value r = ll_sleep(S(10));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_sleep(S(0.05)); /* clean-up takes a moment */
        ll_print("the helper's task was cancelled");
    }
    return r;
}

static void greet(void *name) {
    ll_print("hello from %s's thread", (const char *)name);
}

static ll_clock g_helper_clock = LL_CLOCK_REAL;

static ll_value threadsafe_main(LL_NOARGS) {
    ll_loop_opts ho = {.clock = g_helper_clock};
    ll_loop *helper = ll_loop_thread_start(&ho);
    ck_assert_ptr_nonnull(helper);
    ll_call_soon_threadsafe(helper, greet, "the helper loop");
    LL_TRY(ll_sleep(S(0.1)));
    ll_future *fut = ll_run_coroutine_threadsafe(ll_coro(lookup, "asyncio"), helper);
    ll_print("main goes on while the helper looks the word up");
    ll_value v = ll_await(fut);
    LL_TRY(v);
    ll_print("the helper answered %lld", (long long)v.i);
    v = ll_await(ll_run_coroutine_threadsafe(ll_coro(spell, "loop"), helper));
    LL_TRY(v);
    ll_print("and spelled %s", ll_repr(v));
    v = ll_await(ll_run_coroutine_threadsafe(ll_coro(fail_there), helper));
    if (ll_except(v, LL_EVALUE))
        ll_print("the error came across: %s", ll_repr(v));
    ll_future *slow = ll_run_coroutine_threadsafe(ll_coro(forever), helper);
    LL_TRY(ll_sleep(S(0.1)));
    ll_future_cancel(slow);
    if (ll_is_cancelled(ll_await(slow)))
        ll_print("the await was cancelled");
    LL_TRY(ll_sleep(S(0.1)));
    int rc = ll_loop_thread_stop(helper);
    ll_print("the helper loop is closed%s", rc ? " (with complaints)" : "");
    return ll_none();
}

static const char *const threadsafe_expected = "hello from the helper loop's thread\n"
                                               "main goes on while the helper looks the word up\n"
                                               "the helper answered 7\n"
                                               "and spelled 'l-o-o-p'\n"
                                               "the error came across: ValueError('no such word')\n"
                                               "the await was cancelled\n"
                                               "the helper's task was cancelled\n"
                                               "the helper loop is closed\n";

static char *run_threadsafe(ll_clock clock, ll_clock helper_clock, double scale, char **err,
                            int *rc) {
    g_scale = scale;
    g_helper_clock = helper_clock;
    return run_loop(threadsafe_main, clock, -1, NULL, err, NULL, rc);
}

START_TEST(threadsafe_calls_print_what_cpython_printed) {
    /* Both loops on the real clock (the order rests on real delays). */
    char *err;
    int rc;
    char *out = run_threadsafe(LL_CLOCK_REAL, LL_CLOCK_REAL, 1.0, &err, &rc);
    ck_assert_same_output(out, threadsafe_expected);
    ck_assert_msg(rc == 0, "rc %d, stderr:\n%s", rc, err);
    free(out);
    free(err);
}
END_TEST

START_TEST(threadsafe_calls_match_their_python_twin_now) {
    char *py = run_py_real("tests/py/loops_threadsafe.py");
    char *out = run_threadsafe(LL_CLOCK_REAL, LL_CLOCK_REAL, 1.0, NULL, NULL);
    ck_assert_same_output(out, py);
    free(out);
    free(py);
}
END_TEST

START_TEST(a_virtual_main_loop_waits_for_the_other_loop) {
    /* On the virtual clock the main loop has its own time; awaiting another
     * loop's result must wait for it, not report a deadlock or race on. */
    char *err;
    int rc;
    char *out = run_threadsafe(LL_CLOCK_VIRTUAL, LL_CLOCK_REAL, 0.5, &err, &rc);
    ck_assert_msg(strstr(out, "the helper answered 7\n") && strstr(out, "and spelled 'l-o-o-p'"),
                  "printed:\n%s\nstderr:\n%s", out, err);
    ck_assert_msg(!strstr(err, "deadlock"), "stderr:\n%s", err);
    free(out);
    free(err);
}
END_TEST

static ll_value sleeps_long(LL_NOARGS) {
    LL_TRY(ll_sleep(10));
    return ll_none();
}

static ll_value closed_under_main(LL_NOARGS) {
    ll_loop *helper = ll_loop_thread_start(&(ll_loop_opts){.clock = LL_CLOCK_REAL});
    ll_future *f = ll_run_coroutine_threadsafe(ll_coro(sleeps_long), helper);
    LL_TRY(ll_sleep(0.1));
    int rc = ll_loop_thread_stop(helper); /* its task is still asleep */
    ll_print("the helper closed with %d", rc);
    ll_print("the await gave %s", ll_repr(ll_await(f)));
    return ll_none();
}

START_TEST(a_loop_closing_under_a_sent_coroutine_answers_with_an_error) {
    char *err;
    int rc;
    char *out = run_loop(closed_under_main, LL_CLOCK_REAL, -1, NULL, &err, NULL, &rc);
    ck_assert_same_output(out, "the helper closed with 1\n"
                               "the await gave RuntimeError('the loop running the coroutine "
                               "closed before it finished')\n");
    ck_assert_has(err, "Task was destroyed but it is pending");
    free(out);
    free(err);
}
END_TEST

/* ---- misuse ------------------------------------------------------------------------ */

static void nothing(void *arg) {
    (void)arg;
}

static int misuse_line;

static ll_value misuse_main(LL_NOARGS) {
    ll_loop *helper = ll_loop_thread_start(NULL);
    ck_assert_int_eq(ll_loop_thread_stop(helper), 0);
    misuse_line = __LINE__ + 1;
    int rc = ll_call_soon_threadsafe(helper, nothing, NULL);
    ll_print("call_soon_threadsafe on a closed loop: %s", ll_err_name(rc));
    ll_value v = ll_await(ll_run_coroutine_threadsafe(ll_coro(lookup, "x"), helper));
    ll_print("run_coroutine_threadsafe to a closed loop: %s", ll_repr(v));
    ll_print("stopping it twice: %d", ll_loop_thread_stop(helper));
    ll_print("no function: %s",
             ll_err_name(ll_call_soon_threadsafe(ll_get_running_loop(), NULL, NULL)));
    return ll_none();
}

START_TEST(misuse_names_the_line) {
    char *err;
    int rc;
    char *out = run_loop(misuse_main, LL_CLOCK_VIRTUAL, -1, NULL, &err, NULL, &rc);
    ck_assert_same_output(out, "call_soon_threadsafe on a closed loop: RuntimeError\n"
                               "run_coroutine_threadsafe to a closed loop: "
                               "RuntimeError('the target event loop is closed')\n"
                               "stopping it twice: 1\n"
                               "no function: TypeError\n");
    char where[64];
    snprintf(where, sizeof where, "test-loops.c:%d: in task 'Task-1': RuntimeError", misuse_line);
    ck_assert_has(err, where);
    ck_assert_has(err, "ll_loop_thread_stop() needs a loop made by ll_loop_thread_start()");
    ck_assert_int_eq(rc, 0); /* misuse is reported, not a failure of the run */
    free(out);
    free(err);
}
END_TEST

/* ---- a loop inside a thread-pool job (asyncio.run in an executor) ------------------ */

static ll_value busy_task(ll_value name) {
    ll_blocking_sleep(S(0.2)); /* this loop's thread, not the main one */
    ll_print("%s finished a chunk", name.s);
    LL_TRY(ll_sleep(S(0.1)));
    return ll_int(1);
}

static ll_value worker(ll_value name) {
    ll_value r = ll_await(ll_gather(ll_coro(busy_task, name), ll_coro(busy_task, name)));
    LL_TRY(r);
    return ll_int(ll_list_len(r));
}

/* def run_worker(name): return asyncio.run(worker(name)) */
static ll_value run_worker(ll_value name) {
    ll_loop *loop = ll_loop_new(NULL);
    ll_value v = ll_loop_run_until_complete(loop, ll_coro(worker, name));
    ll_loop_close(loop);
    return v;
}

static ll_value pool_main(LL_NOARGS) {
    double t0 = ll_time();
    ll_value r = ll_await(ll_gather(ll_to_thread(run_worker, ll_str("east")),
                                    ll_to_thread(run_worker, ll_str("west"))));
    LL_TRY(r);
    ll_print("results %s after %.1f s", ll_repr(r), ll_time() - t0);
    return ll_none();
}

START_TEST(a_loop_in_a_job_is_its_own_loop) {
    /* Virtual main loop: the job lasts as long as the loop it ran (0.2 +
     * 0.2 blocking, then 0.1 asleep), and its prints are that loop's. */
    g_scale = 1.0;
    char *err;
    int rc;
    char *trace;
    char *out = run_loop(pool_main, LL_CLOCK_VIRTUAL, -1, NULL, &err, &trace, &rc);
    ck_assert_has(out, "results [2, 2] after 0.5 s\n");
    ck_assert_msg(rc == 0, "rc %d:\n%s", rc, err);
    /* The prints are not the job's (no job= field in the main loop's trace). */
    ck_assert_msg(!strstr(trace, "finished a chunk"), "%s", trace);
    free(out);
    free(err);
    free(trace);
}
END_TEST

/* ---- one trace for every loop -------------------------------------------------------- */

static char g_trace_path[256];

static ll_value traced_main(LL_NOARGS) {
    ll_loop *helper = ll_loop_thread_start(&(ll_loop_opts){.clock = LL_CLOCK_REAL});
    ll_value v = ll_await(ll_run_coroutine_threadsafe(ll_coro(lookup, "abc"), helper));
    LL_TRY(v);
    ll_value r = ll_await(ll_gather(ll_to_thread(run_worker, ll_str("east")),
                                    ll_to_thread(run_worker, ll_str("west"))));
    LL_TRY(r);
    ll_loop_thread_stop(helper);
    ll_print("done: %lld %s", (long long)v.i, ll_repr(r));
    return ll_none();
}

START_TEST(every_loop_lands_in_one_trace) {
    g_scale = 0.25;
    snprintf(g_trace_path, sizeof g_trace_path, "/tmp/looplab-loops-%d.trace", (int)getpid());
    capture out, e;
    capture_begin(&out, 1);
    capture_begin(&e, 2);
    ll_loop_opts o = {.clock = LL_CLOCK_REAL, .trace_path = g_trace_path};
    int rc = ll_run_opts(ll_coro(traced_main), &o);
    char *es = capture_end(&e);
    char *os = capture_end(&out);
    ck_assert_msg(rc == 0, "rc %d:\n%s", rc, es);
    ck_assert_has(os, "done: 3 [2, 2]\n");
    ll_trace t;
    char msg[512];
    ck_assert_msg(ll_trace_load(&t, g_trace_path, msg, sizeof msg) == 0, "%s", msg);
    ck_assert_msg(!t.truncated, "the trace was cut short");
    ck_assert_uint_eq(t.nloops, 4);
    /* Task ids are unique across loops, every loop has its tasks and its
     * loop_start, and each loop's events carry that loop's number. */
    unsigned starts[5] = {0}, tasks[5] = {0};
    for (size_t i = 0; i < t.rec.n; i++) {
        const ll_trace_event *ev = ll__rec_at(&t.rec, i);
        unsigned l = ll_trace_loop_of(&t, i);
        ck_assert_uint_le(l, 4);
        starts[l] += ev->kind == LL_EV_LOOP_START;
        tasks[l] += ev->kind == LL_EV_TASK_NEW;
    }
    for (unsigned l = 1; l <= 4; l++) {
        ck_assert_msg(starts[l] == 1, "loop %u has %u loop_start events", l, starts[l]);
        ck_assert_msg(tasks[l] >= 1, "loop %u has no tasks", l);
    }
    ll_trace_free(&t);
    unlink(g_trace_path);
    free(es);
    free(os);
}
END_TEST

START_TEST(a_trace_with_a_loop_field_reads_back_and_is_checked) {
    static const char text[] =
        "looplab-trace 1.4\n"
        "@clock \"real\"\n"
        "   0.000000000  -                loop_start   clock=\"real\"\n"
        "   0.000000000  1:Task-1         task_new     name=\"Task-1\"\n"
        "   0.500000000  -                loop_start   clock=\"real\" loop=2\n"
        "   0.500000000  2:Task-2         task_new     name=\"Task-2\" loop=2\n"
        "   0.400000000  1:Task-1         done         result=\"None\"\n"
        "   0.600000000  2:Task-2         done         result=\"None\" loop=2\n"
        "@end events=6\n";
    ll_trace t;
    char msg[512];
    ck_assert_msg(ll_trace_parse(&t, "two.trace", text, sizeof text - 1, msg, sizeof msg) == 0,
                  "%s", msg);
    ck_assert_uint_eq(t.nloops, 2);
    ck_assert_uint_eq(ll_trace_loop_of(&t, 0), 1);
    ck_assert_uint_eq(ll_trace_loop_of(&t, 3), 2);
    ck_assert_uint_eq(ll_trace_loop_of(&t, 4), 1);
    ll_trace_free(&t);
    /* Within one loop time still may not go backwards. */
    static const char back[] =
        "looplab-trace 1.4\n"
        "   0.500000000  -                loop_start   clock=\"real\" loop=2\n"
        "   0.400000000  -                poll         loop=2\n";
    ck_assert_int_eq(ll_trace_parse(&t, "back.trace", back, sizeof back - 1, msg, sizeof msg), -1);
    ck_assert_has(msg, "back.trace:3:4: time goes backwards");
    ll_trace_free(&t);
    static const char big[] =
        "looplab-trace 1.4\n"
        "   0.500000000  -                loop_start   clock=\"real\" loop=65\n";
    ck_assert_int_eq(ll_trace_parse(&t, "big.trace", big, sizeof big - 1, msg, sizeof msg), -1);
    ck_assert_has(msg, "big.trace:2:");
    ck_assert_has(msg, "loop must be 1 to 64");
    ll_trace_free(&t);
    /* A 1.3 trace has no loop field. */
    static const char old[] =
        "looplab-trace 1.3\n"
        "   0.500000000  -                loop_start   clock=\"real\" loop=2\n";
    ck_assert_int_eq(ll_trace_parse(&t, "old.trace", old, sizeof old - 1, msg, sizeof msg), -1);
    ck_assert_has(msg, "unknown field 'loop'");
    ll_trace_free(&t);
}
END_TEST

int main(void) {
    Suite *s = suite_create("loops");
    TCase *tc = tcase_create("threadsafe");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, threadsafe_calls_print_what_cpython_printed);
    tcase_add_test(tc, threadsafe_calls_match_their_python_twin_now);
    tcase_add_test(tc, a_virtual_main_loop_waits_for_the_other_loop);
    tcase_add_test(tc, a_loop_closing_under_a_sent_coroutine_answers_with_an_error);
    tcase_add_test(tc, misuse_names_the_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("trace");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_loop_in_a_job_is_its_own_loop);
    tcase_add_test(tc, every_loop_lands_in_one_trace);
    tcase_add_test(tc, a_trace_with_a_loop_field_reads_back_and_is_checked);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
