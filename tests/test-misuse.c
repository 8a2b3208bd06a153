/* test-misuse.c - bad calls get a sentence naming the call site and task,
 * never a crash or a silent hang; deadlocks are reported with who waits on
 * what; failures nobody retrieved and coroutines never awaited are reported
 * when the loop closes. */
#include "harness.h"

#include <math.h>

/* Runs main under ll_run with stdout and stderr captured. */
typedef struct outcome {
    int rc;
    char *out, *err;
} outcome;

static outcome run_captured(ll_coro_fn fn) {
    capture out, err;
    capture_begin(&out, 1);
    capture_begin(&err, 2);
    int rc = ll_run(ll_coro(fn, ll_none()));
    outcome o = {rc, NULL, NULL};
    o.err = capture_end(&err);
    o.out = capture_end(&out);
    return o;
}

static void outcome_free(outcome *o) {
    free(o->out);
    free(o->err);
}

#define ck_assert_contains(hay, needle)                                        \
    ck_assert_msg(strstr((hay), (needle)) != NULL,                             \
                  "expected to find \"%s\" in:\n%s", (needle), (hay))

/* ---- awaiting outside a task ------------------------------------------------------ */

START_TEST(await_outside_a_task_is_a_runtime_error_naming_the_line) {
    capture err;
    capture_begin(&err, 2);
    int line = __LINE__ + 1;
    ll_value r = ll_sleep(1);
    char *e = capture_end(&err);
    ck_assert(ll_except(r, LL_ERUNTIME));
    ck_assert_str_eq(ll_errmsg(r), "ll_sleep() outside a task");
    char where[64];
    snprintf(where, sizeof where, "test-misuse.c:%d", line);
    ck_assert_contains(e, where);
    ck_assert_contains(e, "ll_sleep() outside a task");
    free(e);
}
END_TEST

START_TEST(create_task_without_a_running_loop_is_refused) {
    capture err;
    capture_begin(&err, 2);
    ll_task *t = ll_create_task(ll_coro(NULL, ll_none()), NULL);
    char *e = capture_end(&err);
    ck_assert_ptr_null(t);
    ck_assert_contains(e, "ll_coro() with a NULL function");
    free(e);
}
END_TEST

/* ---- a loop inside a running loop ---------------------------------------------------- */

static ll_value inner(ll_value u) {
    (void)u;
    return ll_none();
}

static ll_value nested_run(ll_value u) {
    (void)u;
    int rc = ll_run(ll_coro(inner, ll_none()));
    ll_print("nested ll_run returned %d", rc);
    return ll_none();
}

START_TEST(run_inside_a_running_loop_is_refused) {
    outcome o = run_captured(nested_run);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.out, "nested ll_run returned 1\n");
    ck_assert_contains(o.err, "in task 'Task-1'");
    ck_assert_contains(o.err, "ll_run() cannot be called from a running event loop");
    outcome_free(&o);
}
END_TEST

/* ---- futures completed twice ---------------------------------------------------------- */

static ll_value double_set(ll_value u) {
    (void)u;
    ll_future *f = ll_future_new();
    ll_future_set_result(f, ll_int(1));
    ll_value r = ll_future_set_result(f, ll_int(2));
    ll_print("second set_result: %s", ll_err_name(r.err));
    r = ll_future_set_exception(f, ll_raise(LL_EVALUE, "late"));
    ll_print("set_exception after: %s", ll_err_name(r.err));
    ll_print("result still %s", ll_repr(ll_future_result(f)));
    return ll_none();
}

START_TEST(completing_a_done_future_is_invalid_state) {
    outcome o = run_captured(double_set);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.out, "second set_result: InvalidStateError\n"
                            "set_exception after: InvalidStateError\nresult still 1\n");
    ck_assert_contains(o.err, "InvalidStateError: set_result() on future #");
    ck_assert_contains(o.err, "which is already done");
    ck_assert_contains(o.err, "test-misuse.c:");
    outcome_free(&o);
}
END_TEST

/* ---- delays ------------------------------------------------------------------------------ */

static ll_value nan_sleep(ll_value u) {
    (void)u;
    ll_value r = ll_sleep(NAN);
    ll_print("sleep(nan): %s", ll_repr(r));
    ll_handle *h = ll_call_later(ll_get_running_loop(), NAN, (ll_callback_fn)free, NULL);
    ll_print("call_later(nan): %s", h ? "accepted" : "refused");
    double t0 = ll_time();
    r = ll_sleep(-3);
    ll_print("sleep(-3): %s, time passed %.1f", ll_repr(r), ll_time() - t0);
    return ll_none();
}

START_TEST(nan_delay_is_refused_and_negative_acts_as_zero) {
    outcome o = run_captured(nan_sleep);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.out, "sleep(nan): ValueError('sleep() delay is NaN')\n"
                            "call_later(nan): refused\nsleep(-3): None, time passed 0.0\n");
    ck_assert_contains(o.err, "ValueError: sleep() delay is NaN");
    ck_assert_contains(o.err, "ValueError: the delay is NaN");
    outcome_free(&o);
}
END_TEST

/* ---- closed loops ----------------------------------------------------------------------- */

static void never_called(void *arg) {
    (void)arg;
    ck_abort_msg("a callback on a closed loop ran");
}

START_TEST(scheduling_on_a_closed_loop_is_refused) {
    ll_loop *loop = ll_loop_new(NULL);
    ll_value v = ll_loop_run_until_complete(loop, ll_coro(inner, ll_none()));
    ck_assert(!ll_failed(v));
    ck_assert_int_eq(ll_loop_close(loop), 0);
    capture err;
    capture_begin(&err, 2);
    ll_handle *h = ll_call_soon(loop, never_called, NULL);
    v = ll_loop_run_until_complete(loop, ll_coro(inner, ll_none()));
    ll_handle *h2 = ll_call_soon(NULL, never_called, NULL);
    char *e = capture_end(&err);
    ck_assert_ptr_null(h);
    ck_assert_ptr_null(h2);
    ck_assert_int_eq(ll_errcode(v), LL_ERUNTIME);
    ck_assert_contains(e, "RuntimeError: Event loop is closed");
    ck_assert_contains(e, "run_until_complete() on a closed event loop");
    ck_assert_contains(e, "on a NULL loop");
    ck_assert_int_eq(ll_loop_close(loop), 0); /* closing twice is harmless */
    free(e);
}
END_TEST

/* ---- bad awaitables -------------------------------------------------------------------- */

static ll_value await_garbage(ll_value u) {
    (void)u;
    static int not_a_future = 42;
    ll_value v = ll_await(&not_a_future);
    ll_print("await garbage: %s", ll_repr(v));
    v = ll_await(NULL);
    ll_print("await NULL: %s", ll_err_name(ll_errcode(v)));
    ll_coro *c = ll_coro(inner, ll_none());
    ll_await(c);
    v = ll_await(c); /* used twice */
    ll_print("await used coroutine: %s", ll_err_name(ll_errcode(v)));
    ll_task *self = ll_current_task();
    v = ll_await(self);
    ll_print("await itself: %s", ll_errmsg(v));
    return ll_none();
}

START_TEST(awaiting_what_is_not_awaitable_is_a_type_error) {
    outcome o = run_captured(await_garbage);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.out,
                     "await garbage: TypeError(\"object can't be used in 'await' expression\")\n"
                     "await NULL: TypeError\nawait used coroutine: TypeError\n"
                     "await itself: Task cannot await on itself\n");
    ck_assert_contains(o.err, "needs a coroutine made by ll_coro()");
    ck_assert_contains(o.err, "needs a coroutine, got NULL");
    ck_assert_contains(o.err, "already awaited or wrapped in a task");
    outcome_free(&o);
}
END_TEST

/* ---- deadlock ------------------------------------------------------------------------- */

static ll_value wait_forever(ll_value fut) {
    ll_value v = ll_await(fut.p);
    ll_print("waiter woke: %s", ll_repr(v));
    return v;
}

static ll_value deadlock_main(ll_value u) {
    (void)u;
    ll_future *f = ll_future_new();
    ll_task *t = ll_create_task(ll_coro(wait_forever, ll_ptr(f)), "waiter");
    ll_value v = ll_await(t);
    ll_print("main woke: %s", ll_repr(v));
    return ll_none();
}

START_TEST(deadlock_stops_the_loop_and_says_who_waits_on_what) {
    outcome o = run_captured(deadlock_main);
    ck_assert_int_eq(o.rc, 1);
    ck_assert_contains(o.err, "deadlock: every task is waiting and nothing can wake them");
    ck_assert_contains(o.err, "task 'Task-1' (created at ");
    ck_assert_contains(o.err, "waits on task 'waiter'");
    ck_assert_contains(o.err, "task 'waiter' (created at ");
    ck_assert_contains(o.err, "test-misuse.c:");
    ck_assert_contains(o.err, "waits on future #");
    /* The shutdown cancels both tasks, so their cleanup runs. */
    ck_assert_contains(o.out, "waiter woke: CancelledError()");
    outcome_free(&o);
}
END_TEST

/* ---- reports at close ------------------------------------------------------------------ */

static ll_value failing(ll_value u) {
    (void)u;
    return ll_raise(LL_EVALUE, "nobody looked at me");
}

static ll_value forget_failure(ll_value u) {
    (void)u;
    ll_create_task(ll_coro(failing, ll_none()), "forgotten");
    ll_coro(inner, ll_none()); /* made and dropped: never awaited */
    ll_sleep(0.1);
    return ll_none();
}

START_TEST(unretrieved_failure_and_never_awaited_coroutine_are_reported) {
    outcome o = run_captured(forget_failure);
    ck_assert_int_eq(o.rc, 1);
    ck_assert_contains(o.err, "Task exception was never retrieved: task 'forgotten' failed "
                              "with ValueError: nobody looked at me");
    ck_assert_contains(o.err, "RuntimeWarning: coroutine 'inner' was never awaited");
    outcome_free(&o);
}
END_TEST

/* Lesson 22's two pitfalls, as CPython times them: the coroutine made and
 * dropped is reported as its step ends (CPython: as the statement ends, the
 * same loop time), the task nobody holds as it fails (CPython: when the
 * task is freed after its last step), both long before the loop closes. */
static ll_value mail(ll_value u) {
    (void)u;
    if (!ll_failed(ll_sleep(0.1)))
        return ll_raise(LL_EVALUE, "mail server refused the message");
    return ll_none();
}

static ll_value pitfalls_on_time(ll_value u) {
    (void)u;
    ll_coro(inner, ll_none()); /* no await */
    ll_print("made inner()");
    ll_sleep(0.5);
    ll_print("at 0.5 s");
    ll_create_task(ll_coro(mail, ll_none()), "mail"); /* handle dropped */
    ll_sleep(0.5);
    ll_print("at 1.0 s");
    return ll_none();
}

/* The line of the trace text holding `needle`, or NULL. */
static const char *trace_line(const char *text, const char *needle) {
    const char *p = strstr(text, needle);
    if (!p)
        return NULL;
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

START_TEST(never_awaited_and_never_retrieved_are_reported_at_cpythons_moments) {
    char path[] = "/tmp/looplab-misuse-trace-XXXXXX";
    close(mkstemp(path));
    setenv("LOOPLAB_TRACE", path, 1);
    outcome o = run_captured(pitfalls_on_time);
    unsetenv("LOOPLAB_TRACE");
    ck_assert_int_eq(o.rc, 1);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    const char *never = trace_line(text, "kind=never_awaited");
    const char *lost = trace_line(text, "kind=not_retrieved");
    const char *half = trace_line(text, "text=\"at 0.5 s\"");
    const char *one = trace_line(text, "text=\"at 1.0 s\"");
    const char *failed = trace_line(text, "failed ");
    ck_assert_msg(never && lost && half && one && failed, "missing events in:\n%s", text);
    /* never awaited: at t = 0, in main's first step, before it sleeps */
    ck_assert_msg(strncmp(never, "   0.000000000  1:Task-1 ", 25) == 0 && never < half,
                  "never-awaited reported at `%.60s`", never);
    /* never retrieved: at t = 0.6, right after the task failed, before main
     * goes on at 1.0 s */
    ck_assert_msg(strncmp(lost, "   0.600000000  2:mail ", 23) == 0 && failed < lost && lost < one,
                  "never-retrieved reported at `%.60s`", lost);
    ck_assert_contains(o.err, "RuntimeWarning: coroutine 'inner' was never awaited");
    ck_assert_contains(o.err, "Task exception was never retrieved: task 'mail' failed");
    /* each said once */
    ck_assert_msg(!strstr(strstr(never, "kind=") + 1, "kind=never_awaited") &&
                      !strstr(strstr(lost, "kind=") + 1, "kind=not_retrieved"),
                  "reported twice:\n%s", text);
    outcome_free(&o);
}
END_TEST

/* A task whose handle the program has used (here: asked its result too
 * early) may still be retrieved after it failed: it is not reported at its
 * failure, and once awaited, not at close either. */
static ll_value late_await(ll_value u) {
    (void)u;
    ll_task *k = ll_create_task(ll_coro(failing, ll_none()), "kept");
    ll_print("early: %s", ll_err_name(ll_errcode(ll_task_result(k))));
    ll_sleep(0.1);
    ll_value v = ll_await(k);
    ll_print("late: %s", ll_err_name(ll_errcode(v)));
    return ll_none();
}

START_TEST(a_task_awaited_after_it_failed_is_not_reported) {
    outcome o = run_captured(late_await);
    ck_assert_str_eq(o.out, "early: InvalidStateError\nlate: ValueError\n");
    ck_assert_msg(strstr(o.err, "never retrieved") == NULL, "reported: %s", o.err);
    outcome_free(&o);
}
END_TEST

static ll_value handled_failure(ll_value u) {
    (void)u;
    ll_task *t = ll_create_task(ll_coro(failing, ll_none()), "handled");
    ll_value v = ll_await(t);
    ll_print("caught %s: %s", ll_err_name(ll_errcode(v)), ll_errmsg(v));
    return ll_none();
}

START_TEST(retrieved_failure_is_not_reported) {
    outcome o = run_captured(handled_failure);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.out, "caught ValueError: nobody looked at me\n");
    ck_assert_str_eq(o.err, "");
    outcome_free(&o);
}
END_TEST

START_TEST(main_failure_is_printed_and_exit_status_is_one) {
    outcome o = run_captured(failing);
    ck_assert_int_eq(o.rc, 1);
    ck_assert_contains(o.err, "the main coroutine failed with ValueError: nobody looked at me");
    outcome_free(&o);
}
END_TEST

static Suite *misuse_suite(void) {
    Suite *s = suite_create("misuse");
    TCase *tc = tcase_create("misuse");
    tcase_add_test(tc, await_outside_a_task_is_a_runtime_error_naming_the_line);
    tcase_add_test(tc, create_task_without_a_running_loop_is_refused);
    tcase_add_test(tc, run_inside_a_running_loop_is_refused);
    tcase_add_test(tc, completing_a_done_future_is_invalid_state);
    tcase_add_test(tc, nan_delay_is_refused_and_negative_acts_as_zero);
    tcase_add_test(tc, scheduling_on_a_closed_loop_is_refused);
    tcase_add_test(tc, awaiting_what_is_not_awaitable_is_a_type_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("reports");
    tcase_add_test(tc, deadlock_stops_the_loop_and_says_who_waits_on_what);
    tcase_add_test(tc, unretrieved_failure_and_never_awaited_coroutine_are_reported);
    tcase_add_test(tc, retrieved_failure_is_not_reported);
    tcase_add_test(tc, never_awaited_and_never_retrieved_are_reported_at_cpythons_moments);
    tcase_add_test(tc, a_task_awaited_after_it_failed_is_not_reported);
    tcase_add_test(tc, main_failure_is_printed_and_exit_status_is_one);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(misuse_suite()); }
