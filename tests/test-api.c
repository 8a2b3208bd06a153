/* test-api.c - the public calls no lesson uses, each as its asyncio
 * counterpart behaves: timer handles, remove_done_callback, the `_coro`
 * forms the other suites leave out (Queue.put, Semaphore.acquire,
 * Condition.wait), the small queries (maxsize, locked, parties, when, id),
 * cancelling() and uncancel(), and the error table.  The scenario is run
 * against its Python twin under python3, as test-args does; it includes
 * only <looplab.h>, as a program would. */
#include "harness.h"

#include <math.h>

/* What the program `code` prints under python3, on tests/py/vloop.py's
 * virtual clock (as Looplab's default clock: no time passes). */
static char *python(const char *code) {
    ck_assert_msg(have_python3(), "python3 is not installed (scripts/setup installs it)");
    char path[] = "/tmp/looplab-api-XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(code, f);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/py/vloop.py' '%s'", LL_SOURCE_ROOT, path);
    char *out = py_command(cmd);
    unlink(path);
    return out;
}

static char *run_main(ll_coro *main, char **err, int *rc) {
    capture out, e;
    capture_begin(&out, 1);
    capture_begin(&e, 2);
    *rc = ll_run(main);
    *err = capture_end(&e);
    return capture_end(&out);
}

/* ---- the small calls, against CPython ---------------------------------------------- */

static const char ONE[] = "one", TWO[] = "two";

static void say_cb(void *what) {
    ll_print("callback %s", (const char *)what);
}
static void done_cb(ll_future *fut, void *name) {
    ll_print("done callback %s sees %s", (const char *)name, ll_repr(ll_future_result(fut)));
}

/* async def notifier(cond): async with cond: cond.notify() */
static ll_value notify_one(ll_args args) {
    ll_condition *c = ll_arg_ptr(args, 0);
    LL_TRY(ll_condition_enter(c));
    return ll_condition_exit(c, ll_condition_notify(c, 1));
}

static ll_value small_calls_main(LL_NOARGS) {
    ll_loop *loop = ll_get_running_loop();
    ll_handle *kept = ll_call_later(loop, 0.5, say_cb, "kept");
    ll_handle *dropped = ll_call_later(loop, 0.5, say_cb, "dropped");
    ll_handle_cancel(dropped);
    ll_print("cancelled: %s %s", ll_pybool(ll_handle_cancelled(kept)),
             ll_pybool(ll_handle_cancelled(dropped)));

    ll_future *f = ll_future_new();
    ll_future_add_done_callback(f, done_cb, (void *)ONE);
    ll_future_add_done_callback(f, done_cb, (void *)TWO);
    ll_future_add_done_callback(f, done_cb, (void *)ONE);
    ll_print("removed %zu", ll_future_remove_done_callback(f, done_cb, (void *)ONE));
    ll_future_set_result(f, ll_int(1));
    LL_TRY(ll_sleep(1));

    ll_queue *q = ll_queue_new(1, NULL);
    ll_print("maxsize %d", ll_queue_maxsize(q));
    LL_TRY(ll_queue_put(q, ll_str("first")));
    ll_task *put = ll_create_task(ll_queue_put_coro(q, ll_str("second")), NULL);
    LL_TRY(ll_sleep(0));
    ll_print("put waits: done=%s full=%s", ll_pybool(ll_task_done(put)),
             ll_pybool(ll_queue_full(q)));
    ll_print("got %s", ll_repr(ll_queue_get_nowait(q)));
    ll_value put_result = ll_await(put); /* C leaves the order of arguments open */
    ll_print("%s -> %s, then %s", ll_task_name(put), ll_repr(put_result),
             ll_repr(ll_queue_get_nowait(q)));

    ll_semaphore *sem = ll_semaphore_new(1, NULL);
    ll_value r = ll_await(ll_semaphore_acquire_coro(sem));
    ll_print("acquire -> %s, locked=%s, value=%d", ll_repr(r), ll_pybool(ll_semaphore_locked(sem)),
             ll_semaphore_value(sem));
    LL_TRY(ll_semaphore_release(sem));

    ll_condition *c = ll_condition_new(NULL, NULL);
    LL_TRY(ll_condition_enter(c));
    ll_create_task(ll_coro(notify_one, c), NULL);
    r = ll_await(ll_condition_wait_coro(c));
    ll_print("wait -> %s, locked=%s", ll_repr(r), ll_pybool(ll_lock_locked(ll_condition_lock(c))));
    LL_TRY(ll_condition_exit(c, ll_none()));

    ll_print("parties %d", ll_barrier_parties(ll_barrier_new(3, NULL)));

    ll_timeout *to = ll_timeout_enter(2);
    ll_print("when - now = %.1f", ll_timeout_when(to) - ll_time());
    LL_TRY(ll_timeout_exit(to, ll_none()));

    ll_task *me = ll_current_task();
    ll_task_cancel(me);
    ll_print("cancelling %u", ll_task_cancelling(me));
    ll_print("uncancel -> %u", ll_task_uncancel(me));
    r = ll_sleep(0);
    ll_print("the cancel still lands: %s", ll_repr(r));
    return ll_none();
}

static const char small_calls_py[] =
    "import asyncio\n"
    "def one(f): print(f'done callback one sees {f.result()!r}')\n"
    "def two(f): print(f'done callback two sees {f.result()!r}')\n"
    "async def notifier(cond):\n"
    "    async with cond:\n"
    "        cond.notify()\n"
    "async def main():\n"
    "    loop = asyncio.get_running_loop()\n"
    "    kept = loop.call_later(0.5, print, 'callback kept')\n"
    "    dropped = loop.call_later(0.5, print, 'callback dropped')\n"
    "    dropped.cancel()\n"
    "    print(f'cancelled: {kept.cancelled()} {dropped.cancelled()}')\n"
    "    f = loop.create_future()\n"
    "    f.add_done_callback(one)\n"
    "    f.add_done_callback(two)\n"
    "    f.add_done_callback(one)\n"
    "    print(f'removed {f.remove_done_callback(one)}')\n"
    "    f.set_result(1)\n"
    "    await asyncio.sleep(1)\n"
    "    q = asyncio.Queue(1)\n"
    "    print(f'maxsize {q.maxsize}')\n"
    "    await q.put('first')\n"
    "    put = asyncio.create_task(q.put('second'))\n"
    "    await asyncio.sleep(0)\n"
    "    print(f'put waits: done={put.done()} full={q.full()}')\n"
    "    print(f'got {q.get_nowait()!r}')\n"
    "    print(f'{put.get_name()} -> {await put!r}, then {q.get_nowait()!r}')\n"
    "    sem = asyncio.Semaphore(1)\n"
    "    r = await sem.acquire()\n"
    "    print(f'acquire -> {r!r}, locked={sem.locked()}, value={sem._value}')\n"
    "    sem.release()\n"
    "    c = asyncio.Condition()\n"
    "    async with c:\n"
    "        asyncio.create_task(notifier(c))\n"
    "        r = await c.wait()\n"
    "        print(f'wait -> {r!r}, locked={c.locked()}')\n"
    "    print(f'parties {asyncio.Barrier(3).parties}')\n"
    "    async with asyncio.timeout(2) as to:\n"
    "        print(f'when - now = {to.when() - loop.time():.1f}')\n"
    "    me = asyncio.current_task()\n"
    "    me.cancel()\n"
    "    print(f'cancelling {me.cancelling()}')\n"
    "    print(f'uncancel -> {me.uncancel()}')\n"
    "    try:\n"
    "        await asyncio.sleep(0)\n"
    "        r = None\n"
    "    except asyncio.CancelledError as e:\n"
    "        r = e\n"
    "    print(f'the cancel still lands: {r!r}')\n"
    "asyncio.run(main())\n";

START_TEST(the_calls_no_lesson_uses_behave_as_cpython_s) {
    char *err;
    int rc;
    char *out = run_main(ll_coro(small_calls_main), &err, &rc);
    ck_assert_msg(rc == 0, "rc %d, stderr:\n%s", rc, err);
    char *want = python(small_calls_py);
    ck_assert_same_output(out, want);
    free(want);
    free(out);
    free(err);
}
END_TEST

/* ---- errors: every code has Python's name and a sentence ----------------------------- */

START_TEST(every_error_code_has_a_name_and_a_sentence) {
    static const struct {
        int code;
        const char *name;
    } codes[] = {
#define LL_TEST_CODE(name, code, pyname, text) {LL_E##name, pyname},
        LL_ERRNO_MAP(LL_TEST_CODE)
#undef LL_TEST_CODE
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ck_assert_int_lt(codes[i].code, 0);
        ck_assert_str_eq(ll_err_name(codes[i].code), codes[i].name);
        ck_assert_msg(strlen(ll_strerror(codes[i].code)) > 10, "code %d: '%s'", codes[i].code,
                      ll_strerror(codes[i].code));
        ll_value v = ll_raise(codes[i].code, "why");
        ck_assert_int_eq(ll_errcode(v), codes[i].code);
        ck_assert_str_eq(ll_errmsg(v), "why");
    }
    ck_assert_str_eq(ll_err_name(LL_EZERO_DIVISION), "ZeroDivisionError");
    ck_assert_str_eq(ll_err_name(LL_EKEY), "KeyError");
    ck_assert_str_eq(ll_err_name(-1), "UnknownError");
    ck_assert_str_eq(ll_err_name(0), "UnknownError");
}
END_TEST

/* ---- task ids and the loop's clock ------------------------------------------------------ */

static ll_value ids_main(LL_NOARGS) {
    ll_task *a = ll_create_task(ll_sleep_coro(0), NULL);
    ll_task *b = ll_create_task(ll_sleep_coro(0), NULL);
    ck_assert_uint_eq(ll_task_id(b), ll_task_id(a) + 1);
    ck_assert_uint_ne(ll_task_id(ll_current_task()), ll_task_id(a));
    ck_assert(ll_task_future(a) != NULL);
    ck_assert(!ll_loop_is_real(ll_get_running_loop()));
    LL_TRY(ll_await(ll_gather(a, b)));
    ck_assert(ll_future_done(ll_task_future(a)));
    return ll_none();
}

START_TEST(tasks_are_numbered_in_creation_order) {
    ll_loop_opts o = {.clock = LL_CLOCK_VIRTUAL, .record = -1};
    ck_assert_int_eq(ll_run_opts(ll_coro(ids_main), &o), 0);
    ck_assert_int_eq(LL_VERSION_MAJOR * 100 + LL_VERSION_MINOR * 10 + LL_VERSION_PATCH, 20);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", LL_VERSION_MAJOR, LL_VERSION_MINOR, LL_VERSION_PATCH);
    ck_assert_str_eq(v, LL_VERSION_STRING);
}
END_TEST

/* ---- a float's repr, as Python writes it ---------------------------------------------- */

/* ll_repr of a float is Python's repr: the shortest digits that read back,
 * in full up to 16 digits before the point, in exponent form past it
 * (30.0, not 3e+01).  Checked against python3 itself on fixed awkward
 * values and on 2000 doubles made from random bit patterns. */
START_TEST(a_float_reads_as_python_writes_it) {
    static const double fixed[] = {
        30,      30.5, 0.1, 1e-4, 1e-5, 1e15,  1e16,   1234567890123456.0,     12345678901234567.0,
        1.5e300, -0.0, 0,   2,    -2.5, 2.675, 5e-324, 1.7976931348623157e308, 100,
        0.3,     1e22};
    enum { N_FIXED = sizeof fixed / sizeof fixed[0], N_RANDOM = 2000 };
    static double v[N_FIXED + N_RANDOM];
    memcpy(v, fixed, sizeof fixed);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < N_RANDOM; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (isnan(d) || isinf(d))
            d = (double)(x >> 11) / 1e6; /* nan and inf have their own test */
        v[N_FIXED + i] = i % 3 ? d : (double)(int64_t)(x % 100000000) / 1000.0;
    }
    char path[] = "/tmp/looplab-repr-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < N_FIXED + N_RANDOM; i++)
        fprintf(f, "%a\n", v[i]); /* hex: exact, whatever the digits */
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys\nfor l in open(sys.argv[1]): print(repr(float.fromhex(l)))' "
             "'%s'",
             path);
    int st;
    char *py = read_command(cmd, &st);
    unlink(path);
    ck_assert_msg(st == 0, "python3 failed");
    char *line = py;
    for (size_t i = 0; i < N_FIXED + N_RANDOM; i++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        ck_assert_msg(strcmp(ll_repr(ll_float(v[i])), line) == 0, "%a: C says %s, Python %s", v[i],
                      ll_repr(ll_float(v[i])), line);
        line = nl + 1;
    }
    free(py);
    ck_assert_str_eq(ll_repr(ll_float(NAN)), "nan");
    ck_assert_str_eq(ll_repr(ll_float(-INFINITY)), "-inf");
}
END_TEST

static Suite *api_suite(void) {
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_calls_no_lesson_uses_behave_as_cpython_s);
    tcase_add_test(tc, every_error_code_has_a_name_and_a_sentence);
    tcase_add_test(tc, tasks_are_numbered_in_creation_order);
    tcase_add_test(tc, a_float_reads_as_python_writes_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return run_suite(api_suite());
}
