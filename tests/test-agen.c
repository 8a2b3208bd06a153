/* test-agen.c - async generators (ll_agen / ll_anext / ll_yield / ll_aclose):
 * closing runs cleanup, errors and cancellation reach the consumer, the
 * generator's steps are in the consuming task's trace, asyncio.run's
 * shutdown_asyncgens closes what was left open, and misuse is reported with
 * its line.  Lesson 16 checks the ordinary path against its Python twin. */
#include "harness-internal.h"

static char *run_main(ll_coro_fn fn, char **err, int *rc) {
    capture out, e;
    capture_begin(&out, 1);
    capture_begin(&e, 2);
    int r = ll_run(ll_coro(fn));
    char *es = capture_end(&e);
    char *os = capture_end(&out);
    if (rc)
        *rc = r;
    if (err)
        *err = es;
    else
        free(es);
    return os;
}

static ll_value counter(ll_value n) {
    ll_value r = ll_none();
    for (int64_t i = 0; i < n.i; i++) {
        if (ll_failed(r = ll_sleep(1)))
            break;
        if (ll_failed(ll_yield(ll_int(i))))
            break;
    }
    ll_print("counter cleans up (%s)", ll_failed(r) ? ll_err_name(r.err) : "ok");
    return r;
}

/* ---- the end, again; left open; cancelled --------------------------------- */

static ll_value left_open_main(LL_NOARGS) {
    ll_agen *g = ll_agen(counter, ll_int(5));
    ll_value v;
    ck_assert(ll_anext(g, &v));
    ll_print("got %lld, returning without closing", (long long)v.i);
    return ll_none();
}

START_TEST(asyncio_run_closes_generators_left_open) {
    int rc;
    char *out = run_main(left_open_main, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "got 0, returning without closing\ncounter cleans up (ok)\n");
    free(out);
}
END_TEST

static ll_value consumer(LL_NOARGS) {
    ll_agen *g = ll_agen(counter, ll_int(5));
    ll_value v;
    while (ll_anext(g, &v))
        ll_print("got %lld", (long long)v.i);
    ll_print("consumer sees %s", ll_failed(v) ? ll_err_name(v.err) : "the end");
    /* Asking again after the end: the end again, without the error. */
    ll_value again;
    ck_assert(!ll_anext(g, &again));
    ck_assert(again.kind == LL_NONE);
    return ll_failed(v) ? v : ll_none();
}

static ll_value cancel_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(consumer), "consumer");
    LL_TRY(ll_sleep(2.5));
    ll_task_cancel(t);
    ll_value r = ll_await(t);
    ll_print("main sees %s", ll_err_name(r.err));
    return ll_none();
}

START_TEST(cancelling_the_consumer_cancels_the_generators_await) {
    int rc;
    char *out = run_main(cancel_main, NULL, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "got 0\ngot 1\ncounter cleans up (CancelledError)\n"
                          "consumer sees CancelledError\nmain sees CancelledError\n");
    free(out);
}
END_TEST

/* ---- trace ---------------------------------------------------------------------- */

static ll_value short_main(LL_NOARGS) {
    ll_agen *g = ll_agen(counter, ll_int(2));
    ll_value v;
    while (ll_anext(g, &v)) {
    }
    return v;
}

START_TEST(the_generator_runs_inside_the_consuming_task) {
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .record = 1, .trace_path = ""};
    ll_loop *loop = ll_loop_new(&o);
    capture out;
    capture_begin(&out, 1);
    ll_loop_run_until_complete(loop, ll_coro(short_main));
    free(capture_end(&out));
    char *text = dump_of(loop);
    size_t len = strlen(text);
    ll_loop_close(loop);
    ck_assert_has(text, "1:Task-1         coro_enter   coro=\"counter\"");
    ck_assert_has(text, "1:Task-1         wait         on=sleep");
    ck_assert_has(text, "1:Task-1         yield        gen=");
    ck_assert_has(text, "value=\"1\"");
    ck_assert_has(text, "1:Task-1         coro_exit    coro=\"counter\"");
    ll_trace t;
    char err[256];
    ck_assert_msg(ll_trace_parse(&t, "agen", text, len, err, sizeof err) == 0, "%s", err);
    ll_trace_free(&t);
    free(text);
}
END_TEST

/* ---- misuse ---------------------------------------------------------------------- */

static int yield_line, stubborn_line;

static ll_value stubborn(LL_NOARGS) {
    ll_yield(ll_int(1));
    stubborn_line = __LINE__ + 1;
    ll_yield(ll_int(2)); /* ignores GeneratorExit */
    return ll_none();
}

static ll_value misuse_main(LL_NOARGS) {
    yield_line = __LINE__ + 1;
    ll_value r = ll_yield(ll_int(1));
    ll_print("yield outside a generator: %s", ll_err_name(r.err));
    ll_value v;
    ll_print("anext(NULL): %s", ll_anext(NULL, &v) ? "a value" : ll_err_name(v.err));
    ll_agen *g = ll_agen(stubborn);
    ck_assert(ll_anext(g, &v));
    ll_print("aclose of a generator that yields again: %s", ll_err_name(ll_aclose(g).err));
    return ll_none();
}

START_TEST(misuse_is_reported_with_the_line) {
    char *err;
    char *out = run_main(misuse_main, &err, NULL);
    ck_assert_str_eq(out, "yield outside a generator: RuntimeError\nanext(NULL): TypeError\n"
                          "aclose of a generator that yields again: RuntimeError\n");
    char where[64];
    snprintf(where, sizeof where, "test-agen.c:%d: in task 'Task-1'", yield_line);
    ck_assert_has(err, where);
    ck_assert_has(err, "ll_yield() outside an async generator");
    ck_assert_has(err, "needs an async generator made by ll_agen()");
    snprintf(where, sizeof where, "test-agen.c:%d", stubborn_line);
    ck_assert_has(err, where);
    ck_assert_has(err, "yielded a value while being closed");
    free(out);
    free(err);
}
END_TEST

/* ---- `async for` left by break or return (tests/py/agen_break.py) ------------- */

static ll_value brk_ticks(ll_args args) {
    ll_value rc = ll_none();
    for (long long i = 0; i < ll_arg_int(args, 0); i++) {
        if (ll_failed(rc = ll_sleep(0.5)))
            break;
        if (ll_failed(ll_yield(ll_int(i))))
            break;
    }
    ll_print("ticks finally in %s", ll_task_name(ll_current_task()));
    ll_sleep(0);
    ll_print("ticks cleaned up");
    return ll_failed(rc) ? rc : ll_none();
}

static ll_value brk_other(LL_NOARGS) {
    ll_print("other runs in %s", ll_task_name(ll_current_task()));
    return ll_none();
}

static ll_value leave_by_return(LL_NOARGS) {
    ll_value v;
    LL_ASYNC_FOR(v, ll_agen(brk_ticks, 2)) {
        ll_print("returning at %lld", v.i);
        return v;
    }
    return v;
}

static ll_value break_main(LL_NOARGS) {
    ll_value v;
    LL_ASYNC_FOR(v, ll_agen(brk_ticks, 5)) {
        ll_print("got %lld", v.i);
        if (v.i == 1)
            break;
    }
    ll_print("after the loop");
    ll_task *t = ll_create_task(ll_coro(brk_other), NULL);
    LL_TRY(ll_sleep(0));
    ll_print("main after sleep(0)");
    LL_TRY(ll_await(t));
    LL_ASYNC_FOR(v, ll_agen(brk_ticks, 3)) {
        ll_print("again %lld", v.i);
        break;
    }
    ll_print("leave_by_return gave %s", ll_repr(ll_await(ll_coro(leave_by_return))));
    LL_TRY(ll_sleep(1));
    ll_print("main ends");
    return ll_none();
}

START_TEST(async_for_left_by_break_closes_in_a_task_as_python_does) {
    int rc;
    char *err;
    char *out = run_main(break_main, &err, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(err, "");
    char *py = run_py("tests/py/agen_break.py");
    ck_assert_same_output(out, py);
    free(out);
    free(err);
    free(py);
}
END_TEST

/* ll_agen_drop: `del g` of a generator held in a variable; using it again
 * is reported. */
static ll_value drop_main(LL_NOARGS) {
    ll_agen *g = ll_agen(brk_ticks, 3);
    ll_value v;
    ck_assert(ll_anext(g, &v));
    ll_agen_drop(g);
    ll_print("dropped at %lld", v.i);
    ck_assert(!ll_anext(g, &v));
    ll_print("anext after drop: %s", ll_err_name(ll_errcode(v)));
    LL_TRY(ll_sleep(0));
    ll_print("main goes on");
    ll_agen *never = ll_agen(brk_ticks, 1);
    ll_agen_drop(never); /* never started: nothing to close */
    return ll_none();
}

START_TEST(a_dropped_generator_is_closed_by_a_task_and_not_used_again) {
    int rc;
    char *err;
    char *out = run_main(drop_main, &err, &rc);
    ck_assert_str_eq(out, "dropped at 0\nanext after drop: RuntimeError\n"
                          "main goes on\nticks finally in Task-2\nticks cleaned up\n");
    ck_assert_has(err, "was dropped");
    ck_assert_int_eq(rc, 0);
    free(out);
    free(err);
}
END_TEST

/* The documented departure (docs/asyncio-mapping.md): main returns right
 * after the break, so the aclose task is cancelled before its first step;
 * CPython 3.11 throws that cancellation into the generator (its finally
 * runs up to its first await), Looplab closes it at shutdown_asyncgens. */
static ll_value break_then_return_main(LL_NOARGS) {
    ll_value v;
    LL_ASYNC_FOR(v, ll_agen(brk_ticks, 5)) {
        ll_print("got %lld", v.i);
        break;
    }
    ll_print("main ends");
    return ll_none();
}

START_TEST(a_generator_dropped_as_main_returns_is_closed_at_shutdown) {
    int rc;
    char *err;
    char *out = run_main(break_then_return_main, &err, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(err, "");
    ck_assert_str_eq(out, "got 0\nmain ends\nticks finally in Task-3\nticks cleaned up\n");
    free(out);
    free(err);
}
END_TEST

int main(void) {
    Suite *s = suite_create("agen");
    TCase *tc = tcase_create("agen");
    tcase_add_test(tc, asyncio_run_closes_generators_left_open);
    tcase_add_test(tc, cancelling_the_consumer_cancels_the_generators_await);
    tcase_add_test(tc, the_generator_runs_inside_the_consuming_task);
    tcase_add_test(tc, misuse_is_reported_with_the_line);
    tcase_add_test(tc, async_for_left_by_break_closes_in_a_task_as_python_does);
    tcase_add_test(tc, a_dropped_generator_is_closed_by_a_task_and_not_used_again);
    tcase_add_test(tc, a_generator_dropped_as_main_returns_is_closed_at_shutdown);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
