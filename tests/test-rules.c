/* test-rules.c - asyncio's ordering rules (shared/asyncio-semantics.md),
 * one scenario each, plus the seed articles' examples.
 *
 * Every scenario is the C twin of a Python program in tests/py/ (named in the
 * table).  Three checks per scenario:
 *   - its output equals what CPython 3.11 printed (kept here as text);
 *   - its output equals what `python3` prints for the twin right now;
 *   - on the real (libuv) clock, with every delay scaled down, it prints the
 *     same lines in the same order as on the virtual clock. */
#include "harness.h"

#include <math.h>

/* Delays are multiplied by g_scale: 1 on the virtual clock, small on the real
 * one so that the suite stays fast. */
static double g_scale = 1.0;
#define S(x) ((x)*g_scale)
static double g_end_time; /* loop time at the end of main */

/* ---- R1/R11: sleep(0) round-robin (tests/py/rule_r1_fifo.py) -------------- */

/* async def worker(name, n): */
static ll_value r1_worker(ll_args args) {
    for (long long i = 0; i < ll_arg_int(args, 1); i++) {
        ll_print("%s%lld", ll_arg_str(args, 0), i);
        ll_sleep(0);
    }
    return ll_none();
}

static ll_value r1_main(LL_NOARGS) {
    ll_await(ll_gather(ll_coro(r1_worker, "a", 3), ll_coro(r1_worker, "b", 2),
                       ll_coro(r1_worker, "c", 1)));
    return ll_none();
}

/* ---- R2: one pass runs what was ready when it began (rule_r2_pass.py) -------- */

static void r2_cb2(void *name) {
    ll_print("%s2", (const char *)name);
}
static void r2_cb(void *name) {
    ll_print("%s", (const char *)name);
    ll_call_soon(ll_get_running_loop(), r2_cb2, name);
}

static ll_value r2_worker(LL_NOARGS) {
    ll_print("worker step 1");
    ll_sleep(0);
    ll_print("worker step 2");
    return ll_none();
}

static ll_value r2_main(LL_NOARGS) {
    ll_loop *loop = ll_get_running_loop();
    ll_call_soon(loop, r2_cb, "a");
    ll_task *t = ll_create_task(ll_coro(r2_worker), NULL);
    ll_call_soon(loop, r2_cb, "b");
    ll_print("main yields");
    ll_sleep(0);
    ll_print("main back");
    ll_await(t);
    ll_print("end");
    return ll_none();
}

/* ---- R3: timers by deadline, ties FIFO (rule_r3_timers.py) --------------------- */

static double r3_t0;

/* async def sleeper(name, delay): */
static ll_value r3_sleeper(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_print("%s sleeps %s", name, ll_pystr(ll_arg(args, 1)));
    ll_sleep(S(ll_arg_float(args, 1)));
    /* To the nearest half second: on the real clock a wake-up is a little
     * late, never early. */
    ll_print("%s woke at %.1f", name, floor((ll_time() - r3_t0) / g_scale * 2) / 2);
    return ll_none();
}

static void r3_cb(void *name) {
    ll_print("callback %s", (const char *)name);
}

static ll_value r3_main(LL_NOARGS) {
    ll_loop *loop = ll_get_running_loop();
    r3_t0 = ll_time();
    ll_call_later(loop, S(1), r3_cb, "x");
    void *tasks[4] = {
        ll_create_task(ll_coro(r3_sleeper, "p", 2), NULL),
        ll_create_task(ll_coro(r3_sleeper, "q", 1), NULL),
        ll_create_task(ll_coro(r3_sleeper, "r", 1), NULL),
        ll_create_task(ll_coro(r3_sleeper, "s", 0.5), NULL),
    };
    ll_call_later(loop, S(1), r3_cb, "y");
    ll_await(ll_gatherv(tasks, 4, false));
    return ll_none();
}

/* ---- R5: what suspends and what does not (rule_r5_await.py) -------------------- */

static ll_value r5_other(LL_NOARGS) {
    ll_print("other runs");
    return ll_none();
}

static ll_value r5_inline(ll_args args) {
    long long n = ll_arg_int(args, 0);
    ll_print("inline %lld", n);
    return ll_int(n * 10);
}

static void r5_set_later(void *fut) {
    ll_future_set_result(fut, ll_str("later"));
}

static ll_value r5_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(r5_other), NULL);
    ll_future *done = ll_future_new();
    ll_future_set_result(done, ll_str("ready"));
    ll_print("awaiting a done future");
    ll_value r = ll_await(done);
    ll_print("got %s without suspending", r.s);
    ll_value v = ll_await(ll_coro(r5_inline, 4));
    ll_print("inline returned %lld", v.i);
    ll_future *pending = ll_future_new();
    ll_call_soon(ll_get_running_loop(), r5_set_later, pending);
    ll_print("awaiting a pending future");
    r = ll_await(pending);
    ll_print("got %s", r.s);
    ll_await(t);
    return ll_none();
}

/* ---- R6: done callbacks (rule_r6_callbacks.py) --------------------------------- */

static void r6_cb(ll_future *f, void *name) {
    ll_print("callback %s sees %lld", (const char *)name, (long long)ll_future_result(f).i);
}

static ll_value r6_waiter(ll_args args) {
    ll_print("waiter waits");
    ll_value r = ll_await(ll_arg_ptr(args, 0));
    ll_print("waiter resumed with %lld", r.i);
    return ll_none();
}

static ll_value r6_main(LL_NOARGS) {
    ll_future *fut = ll_future_new();
    ll_future_add_done_callback(fut, r6_cb, "one");
    ll_task *w = ll_create_task(ll_coro(r6_waiter, fut), NULL);
    ll_sleep(0);
    ll_future_add_done_callback(fut, r6_cb, "two");
    ll_print("setting result");
    ll_future_set_result(fut, ll_int(7));
    ll_print("result set");
    ll_future_add_done_callback(fut, r6_cb, "three");
    /* The second set_result is refused; its message goes to stderr, which
     * the scenario runner keeps apart from the printed output. */
    if (ll_except(ll_future_set_result(fut, ll_int(8)), LL_EINVALID_STATE))
        ll_print("second set_result refused");
    ll_await(w);
    ll_print("end");
    return ll_none();
}

/* ---- R7: cancellation (rule_r7_cancel.py) -------------------------------------- */

static ll_value r7_quick(LL_NOARGS) {
    return ll_int(1);
}

static ll_value r7_never(LL_NOARGS) {
    ll_print("never: this must not print");
    return ll_none();
}

static ll_value r7_sleeper(LL_NOARGS) {
    ll_print("sleeper: sleeping");
    ll_value r = ll_sleep(S(10));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("sleeper: cleaning up");
        return r; /* raise */
    }
    ll_print("sleeper: this must not print");
    return ll_none();
}

static ll_value r7_stubborn(LL_NOARGS) {
    if (ll_except(ll_sleep(S(10)), LL_ECANCELLED))
        ll_print("stubborn: ignoring the cancel");
    ll_sleep(S(1));
    ll_print("stubborn: finished anyway");
    return ll_str("stubborn result");
}

static ll_value r7_main(LL_NOARGS) {
    ll_task *q = ll_create_task(ll_coro(r7_quick), NULL);
    ll_await(q);
    ll_print("cancel finished task: %s", ll_pybool(ll_task_cancel(q)));
    ll_task *n = ll_create_task(ll_coro(r7_never), NULL);
    ll_print("cancel unstarted task: %s", ll_pybool(ll_task_cancel(n)));
    ll_task *s = ll_create_task(ll_coro(r7_sleeper), NULL);
    ll_task *b = ll_create_task(ll_coro(r7_stubborn), NULL);
    ll_sleep(0);
    ll_print("cancel sleeper: %s", ll_pybool(ll_task_cancel(s)));
    ll_print("cancel stubborn: %s", ll_pybool(ll_task_cancel(b)));
    ll_task *all[] = {n, s, b};
    for (int i = 0; i < 3; i++) {
        ll_value r = ll_await(all[i]);
        if (ll_is_cancelled(r))
            ll_print("%s was cancelled: %s", ll_task_name(all[i]),
                     ll_pybool(ll_task_cancelled(all[i])));
        else
            ll_print("%s returned %s", ll_task_name(all[i]), ll_repr(r));
    }
    return ll_none();
}

/* ---- R7 at every kind of await (rule_r7_await_kinds.py) --------------------------- */

static ll_value r7k_on_future(ll_args args) {
    ll_future *fut = ll_arg_ptr(args, 0);
    ll_value r = ll_await(fut);
    if (ll_is_cancelled(r)) {
        ll_print("future waiter cancelled; future cancelled: %s",
                 ll_pybool(ll_future_cancelled(fut)));
        return r; /* raise */
    }
    return ll_none();
}

static ll_value r7k_inner_sleep(LL_NOARGS) {
    ll_value r = ll_sleep(S(5));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("inner coroutine sees the cancel first");
        return r;
    }
    return ll_none();
}

static ll_value r7k_on_inline(LL_NOARGS) {
    ll_value r = ll_await(ll_coro(r7k_inner_sleep));
    if (ll_is_cancelled(r)) {
        ll_print("outer coroutine sees it next");
        return r; /* raise */
    }
    return ll_none();
}

static ll_value r7k_child(LL_NOARGS) {
    ll_value r = ll_sleep(S(5));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("child cancelled too");
        return r;
    }
    return ll_none();
}

static ll_value r7k_on_task(LL_NOARGS) {
    ll_task *c = ll_create_task(ll_coro(r7k_child), "child");
    ll_value r = ll_await(c);
    if (ll_is_cancelled(r)) {
        ll_print("task waiter cancelled; child cancelled: %s", ll_pybool(ll_task_cancelled(c)));
        return r; /* raise */
    }
    return ll_none();
}

static ll_value r7k_on_gather(LL_NOARGS) {
    ll_value r = ll_await(ll_gather(ll_coro(r7k_child), ll_coro(r7k_child)));
    if (ll_is_cancelled(r)) {
        ll_print("gather waiter cancelled");
        return r; /* raise */
    }
    return ll_none();
}

static ll_value r7k_on_yield(LL_NOARGS) {
    ll_value r = ll_sleep(0);
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("cancelled at a bare yield");
        return r;
    }
    return ll_none();
}

static ll_value r7k_self_cancel(LL_NOARGS) {
    ll_print("cancel myself: %s", ll_pybool(ll_task_cancel(ll_current_task())));
    ll_print("still running until the next await");
    if (ll_except(ll_sleep(0), LL_ECANCELLED))
        ll_print("cancelled at my next await");
    return ll_str("survived");
}

static void r7k_run(const char *name, ll_coro *coro) {
    ll_task *t = ll_create_task(coro, name);
    ll_sleep(0);
    ll_sleep(0);
    bool first = ll_task_cancel(t), again = ll_task_cancel(t);
    ll_print("%s: cancel -> %s, again -> %s", name, ll_pybool(first), ll_pybool(again));
    if (ll_is_cancelled(ll_await(t)))
        ll_print("%s: awaiter got CancelledError, cancelled() = %s", name,
                 ll_pybool(ll_task_cancelled(t)));
}

static ll_value r7k_main(LL_NOARGS) {
    double start = ll_time();
    ll_future *fut = ll_future_new();
    r7k_run("future", ll_coro(r7k_on_future, fut));
    r7k_run("inline", ll_coro(r7k_on_inline));
    r7k_run("task", ll_coro(r7k_on_task));
    r7k_run("gather", ll_coro(r7k_on_gather));
    ll_task *t = ll_create_task(ll_coro(r7k_on_yield), "yield");
    ll_sleep(0);
    ll_print("yield: cancel while ready -> %s", ll_pybool(ll_task_cancel(t)));
    if (ll_is_cancelled(ll_await(t)))
        ll_print("yield: cancelled() = %s", ll_pybool(ll_task_cancelled(t)));
    ll_task *s = ll_create_task(ll_coro(r7k_self_cancel), "self");
    ll_value r = ll_await(s);
    ll_print("self: result %s, cancelled() = %s", ll_repr(r), ll_pybool(ll_task_cancelled(s)));
    ll_print("time %.1f", ll_time() - start);
    return ll_none();
}

/* ---- R8: gather (rule_r8_gather.py) --------------------------------------------- */

/* async def work(name, upper, delay, fail): */
static ll_value r8_work(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_print("%s starts", name);
    ll_value r = ll_sleep(S(ll_arg_float(args, 2)));
    if (ll_except(r, LL_ECANCELLED))
        return r;
    if (ll_arg_bool(args, 3)) {
        ll_print("%s fails", name);
        return ll_raise(LL_EVALUE, "%s broke", name);
    }
    ll_print("%s ends", name);
    return ll_arg(args, 1);
}

static ll_value r8_main(LL_NOARGS) {
    ll_print("%s", ll_repr(ll_await(ll_gatherv(NULL, 0, false))));
    ll_value r = ll_await(ll_gather(ll_coro(r8_work, "slow", "SLOW", 2, false),
                                    ll_coro(r8_work, "fast", "FAST", 1, false)));
    ll_print("%s", ll_repr(r));
    r = ll_await(ll_gather(ll_coro(r8_work, "a", "A", 1, false),
                           ll_coro(r8_work, "b", "B", 2, true),
                           ll_coro(r8_work, "c", "C", 3, false)));
    if (ll_except(r, LL_EVALUE))
        ll_print("gather raised: %s", ll_errmsg(r));
    ll_print("main goes on while c still runs");
    ll_sleep(S(2));
    r = ll_await(ll_gather_return_exceptions(ll_coro(r8_work, "d", "D", 1, true),
                                             ll_coro(r8_work, "e", "E", 1, false)));
    ll_print("%s", ll_repr(r));
    ll_future *g =
        ll_gather(ll_coro(r8_work, "x", "X", 5, false), ll_coro(r8_work, "y", "Y", 5, false));
    ll_sleep(S(1));
    ll_print("cancel gather: %s", ll_pybool(ll_future_cancel(g)));
    r = ll_await(g);
    if (ll_is_cancelled(r))
        ll_print("gather was cancelled");
    return ll_none();
}

/* ---- R11: sleep(0), negative and tiny delays (rule_r11_sleep.py) ------------------ */

/* async def w(name, delay): */
static ll_value r11_w(ll_args args) {
    double delay = ll_arg_float(args, 1);
    for (int i = 0; i < 2; i++) {
        ll_print("%s%d", ll_arg_str(args, 0), i);
        ll_sleep(delay > 0 ? S(delay) : delay);
    }
    return ll_none();
}

static ll_value r11_main(LL_NOARGS) {
    ll_await(ll_gather(ll_coro(r11_w, "zero", 0), ll_coro(r11_w, "neg", -5),
                       ll_coro(r11_w, "tiny", 0.001), ll_coro(r11_w, "z2", 0)));
    ll_print("done");
    return ll_none();
}

/* ---- the seed articles' examples ------------------------------------------------- */

static ll_value seed_my_coroutine(ll_args args) {
    long long delay = ll_arg_int(args, 0);
    ll_print("Coroutine started with delay: %lld", delay);
    ll_sleep(S(delay));
    ll_print("Coroutine finished after %lld seconds", delay);
    return ll_int(delay * 2);
}

static ll_value seed_gather_main(LL_NOARGS) {
    ll_task *t1 = ll_create_task(ll_coro(seed_my_coroutine, 1), NULL);
    ll_task *t2 = ll_create_task(ll_coro(seed_my_coroutine, 2), NULL);
    ll_value results = ll_await(ll_gather(t1, t2));
    ll_print("Results: %s", ll_repr(results));
    g_end_time = ll_time();
    return ll_none();
}

static ll_value seed_count(LL_NOARGS) {
    ll_print("One");
    ll_sleep(S(1));
    ll_print("Two");
    return ll_none();
}

static ll_value seed_count_main(LL_NOARGS) {
    ll_await(ll_gather(ll_coro(seed_count), ll_coro(seed_count), ll_coro(seed_count)));
    g_end_time = ll_time();
    return ll_none();
}

static ll_value seed_fetch_data(LL_NOARGS) {
    ll_print("Start fetching");
    ll_sleep(S(2));
    ll_print("Done fetching");
    return ll_str("data");
}

static ll_value seed_create_task_main(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(seed_fetch_data), NULL);
    ll_print("Fetching data...");
    ll_value r = ll_await(t);
    ll_print("Result: %s", r.s);
    return ll_none();
}

/* ---- R9 and R10: timeouts (rule_r9_timeout.py, rule_r10_wait_for.py) ---------- */

/* Elapsed scenario seconds, to the half second below: on the real clock a
 * wake-up is a little late, never early. */
static double since(double start) {
    return floor((ll_time() - start) / g_scale * 2) / 2;
}

/* async def work(name, upper, seconds, says_cleanup_done): */
static ll_value t_work(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_print("%s: start", name);
    ll_value r = ll_sleep(S(ll_arg_float(args, 2)));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("%s: cancelled, cleaning up", name);
        LL_TRY(ll_sleep(S(0.5)));
        if (ll_arg_bool(args, 3))
            ll_print("%s: cleanup done", name);
        return r;
    }
    ll_print("%s: done", name);
    return ll_arg(args, 1);
}

static ll_value r10_main(LL_NOARGS) {
    double start = ll_time();
    ll_value r = ll_wait_for(ll_coro(t_work, "quick", "QUICK", 1, true), S(2));
    ll_print("quick -> %s at %.1f", r.s, since(start));
    r = ll_wait_for(ll_coro(t_work, "slow", "SLOW", 5, true), S(2));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("slow timed out at %.1f", since(start));
    r = ll_wait_for(ll_coro(t_work, "never", "NEVER", 1, true), 0);
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("zero timeout at %.1f", since(start));
    return ll_none();
}

static ll_value r9_main(LL_NOARGS) {
    double start = ll_time();
    ll_timeout *to = ll_timeout_enter(S(1));
    ll_value r = ll_timeout_exit(to, ll_await(ll_coro(t_work, "scoped", "SCOPED", 3, false)));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("scope expired at %.1f, expired=%s", since(start),
                 ll_pybool(ll_timeout_expired(to)));
    to = ll_timeout_enter(S(5));
    r = ll_timeout_exit(to, ll_await(ll_coro(t_work, "in time", "IN TIME", 1, false)));
    ll_print("%s at %.1f, expired=%s", r.s, since(start), ll_pybool(ll_timeout_expired(to)));
    to = ll_timeout_enter(INFINITY);
    ll_timeout_reschedule(to, ll_time() + S(0.5));
    r = ll_timeout_exit(to, ll_await(ll_coro(t_work, "rescheduled", "RESCHEDULED", 2, false)));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("rescheduled scope expired at %.1f", since(start));
    ll_task *inner = ll_create_task(ll_coro(t_work, "shielded", "SHIELDED", 2, false), NULL);
    ll_future *outer = ll_shield(inner);
    LL_TRY(ll_sleep(S(1)));
    ll_print("cancel the shield: %s", ll_pybool(ll_future_cancel(outer)));
    if (ll_is_cancelled(ll_await(outer)))
        ll_print("the shield was cancelled");
    r = ll_await(inner);
    ll_print("inner survived: %s at %.1f, cancelled=%s", r.s, since(start),
             ll_pybool(ll_task_cancelled(inner)));
    return ll_none();
}

/* ---- R15: TaskGroup (rule_r15_taskgroup.py) --------------------------------------- */

/* async def child(name, seconds, fail): */
static ll_value g_child(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_print("%s: start", name);
    ll_value r = ll_sleep(S(ll_arg_float(args, 1)));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("%s: cancelled", name);
        return r;
    }
    if (ll_arg_bool(args, 2)) {
        ll_print("%s: failing", name);
        return ll_raise(LL_EVALUE, "%s broke", name);
    }
    ll_print("%s: done", name);
    return ll_arg(args, 0);
}

static ll_value r15_main(LL_NOARGS) {
    double start = ll_time();
    ll_taskgroup *tg = ll_taskgroup_enter();
    ll_task *ta = ll_taskgroup_create_task(tg, ll_coro(g_child, "a", 1, false), NULL);
    ll_task *tb = ll_taskgroup_create_task(tg, ll_coro(g_child, "b", 2, false), NULL);
    ll_print("body: tasks made");
    LL_TRY(ll_taskgroup_exit(tg, ll_none()));
    ll_print("group 1 done at %.1f: %s, %s", since(start), ll_task_result(ta).s,
             ll_task_result(tb).s);
    tg = ll_taskgroup_enter();
    ll_taskgroup_create_task(tg, ll_coro(g_child, "ok", 0.5, false), NULL);
    ll_taskgroup_create_task(tg, ll_coro(g_child, "bad", 1, true), NULL);
    ll_taskgroup_create_task(tg, ll_coro(g_child, "slow", 3, false), NULL);
    ll_value body = ll_sleep(S(5));
    if (ll_except(body, LL_ECANCELLED))
        ll_print("body: cancelled by the group");
    ll_value r = ll_taskgroup_exit(tg, body);
    if (ll_except(r, LL_EEXCEPTION_GROUP)) {
        ll_print("group 2 failed at %.1f: %s", since(start), ll_errmsg(r));
        char buf[256] = "";
        for (size_t i = 0; i < ll_taskgroup_nerrors(tg); i++)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? ", " : "",
                     ll_repr(ll_taskgroup_error(tg, i)));
        ll_print("failures: %s", buf);
    }
    return ll_none();
}

/* ---- R15, 3.11: a late failure leaves cancelling() at 1 (rule_r15_taskgroup_late.py) - */

/* async def child(name, seconds, fail): */
static ll_value late_child(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_value r = ll_sleep(S(ll_arg_float(args, 1)));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("%s: cancelled", name);
        return r;
    }
    if (ll_arg_bool(args, 2)) {
        ll_print("%s: failing", name);
        return ll_raise(LL_EVALUE, "%s broke", name);
    }
    ll_print("%s: done", name);
    return ll_none();
}

static ll_value late_body(LL_NOARGS) {
    ll_taskgroup *tg = ll_taskgroup_current();
    ll_taskgroup_create_task(tg, ll_coro(late_child, "quick", 1, false), NULL);
    ll_taskgroup_create_task(tg, ll_coro(late_child, "late", 2, true), NULL);
    ll_taskgroup_create_task(tg, ll_coro(late_child, "slow", 3, false), NULL);
    ll_print("body: done");
    return ll_none();
}

static ll_value r15_late_main(LL_NOARGS) {
    double start = ll_time();
    ll_task *me = ll_current_task();
    ll_value r = ll_taskgroup(ll_coro(late_body));
    if (ll_except(r, LL_EEXCEPTION_GROUP))
        ll_print("group failed at %.1f: %s", since(start), ll_errmsg(r));
    ll_print("cancelling() = %u", (unsigned)ll_task_cancelling(me));
    start = ll_time();
    LL_TRY(ll_sleep(S(1)));
    ll_print("slept on to %.1f", since(start));
    r = ll_timeout(S(0.5), ll_sleep_coro(S(1)));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("timeout at %.1f still raises TimeoutError", since(start));
    ll_print("cancelling() = %u", (unsigned)ll_task_cancelling(me));
    return ll_none();
}

/* ---- `async with` as body-taking calls (rule_scopes_async_with.py) ------------------- */

static ll_lock *sc_lock;
static ll_semaphore *sc_sem;
static ll_condition *sc_cond;
static ll_task *sc_p, *sc_q;

/* async def hold(name, seconds): */
static ll_value hold(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_print("%s: in", name);
    LL_TRY(ll_sleep(S(ll_arg_float(args, 1))));
    ll_print("%s: out", name);
    return ll_arg(args, 0);
}

/* async def with_lock(name, seconds): async with lock: return await hold(name, seconds) */
static ll_value with_lock(ll_args args) {
    return ll_with_lock(sc_lock, ll_coro(hold, ll_arg(args, 0), ll_arg(args, 1)));
}
static ll_value with_semaphore(ll_args args) {
    return ll_with_semaphore(sc_sem, ll_coro(hold, ll_arg(args, 0), ll_arg(args, 1)));
}

static ll_value waiter_block(LL_NOARGS) {
    ll_print("waiter: waits");
    LL_TRY(ll_condition_wait(sc_cond));
    ll_print("waiter: notified");
    return ll_none();
}

static ll_value notifier_block(LL_NOARGS) {
    ll_print("notifier: notifies");
    ll_condition_notify(sc_cond, 1);
    LL_TRY(ll_sleep(S(0.5)));
    ll_print("notifier: leaves");
    return ll_none();
}

static ll_value cond_waiter(LL_NOARGS) {
    return ll_with_condition(sc_cond, ll_coro(waiter_block));
}

static ll_value cond_notifier(LL_NOARGS) {
    return ll_with_condition(sc_cond, ll_coro(notifier_block));
}

/* async def slow_named(name): */
static ll_value slow_named(ll_args args) {
    ll_value r = ll_sleep(S(2));
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("%s: cancelled", ll_arg_str(args, 0));
        return r;
    }
    return ll_arg(args, 0);
}

static ll_value group_body(LL_NOARGS) {
    ll_taskgroup *tg = ll_taskgroup_current();
    sc_p = ll_taskgroup_create_task(tg, ll_coro(hold, "p", 1), NULL);
    sc_q = ll_taskgroup_create_task(tg, ll_coro(hold, "q", 0.5), NULL);
    ll_print("group body: done");
    return ll_none();
}

static void print_list(ll_value v) {
    char buf[128] = "[";
    for (size_t i = 0; i < ll_list_len(v); i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? ", " : "",
                 ll_repr(ll_list_at(v, i)));
    ll_print("%s]", buf);
}

static ll_value scopes_main(LL_NOARGS) {
    double start = ll_time();
    sc_lock = ll_lock_new(NULL);
    ll_value r = ll_await(ll_gather(ll_coro(with_lock, "a", 1), ll_coro(with_lock, "b", 1)));
    LL_TRY(r);
    print_list(r);
    sc_sem = ll_semaphore_new(2, NULL);
    r = ll_await(ll_gather(ll_coro(with_semaphore, "x", 1), ll_coro(with_semaphore, "y", 1),
                           ll_coro(with_semaphore, "z", 1)));
    LL_TRY(r);
    print_list(r);
    sc_cond = ll_condition_new(NULL, NULL);
    start = ll_time(); /* each part timed from its own start */
    LL_TRY(ll_await(ll_gather(ll_coro(cond_waiter), ll_coro(cond_notifier))));
    ll_print("conditions done at %.1f", since(start));
    start = ll_time();
    r = ll_timeout(S(1), ll_coro(slow_named, "late"));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("timeout at %.1f", since(start));
    start = ll_time();
    r = ll_timeout(S(3), ll_coro(slow_named, "in time"));
    LL_TRY(r);
    ll_print("%s at %.1f", r.s, since(start));
    start = ll_time();
    r = ll_timeout_at(ll_time() + S(0.5), ll_coro(slow_named, "deadline"));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("timeout_at at %.1f", since(start));
    start = ll_time();
    LL_TRY(ll_taskgroup(ll_coro(group_body)));
    ll_print("group done at %.1f: %s, %s", since(start), ll_task_result(sc_p).s,
             ll_task_result(sc_q).s);
    return ll_none();
}

/* ---- wait and as_completed (rule_wait_as_completed.py) ----------------------------- */

/* async def job(name, seconds, fail): */
static ll_value w_job(ll_args args) {
    LL_TRY(ll_sleep(S(ll_arg_float(args, 1))));
    if (ll_arg_bool(args, 2))
        return ll_raise(LL_EVALUE, "%s failed", ll_arg_str(args, 0));
    return ll_arg(args, 0);
}

/* A scenario's jobs: [create_task(job(name, seconds, fail)) for ...] */
typedef struct wjob {
    const char *name;
    double seconds;
    bool fail;
} wjob;

static void make_jobs(void **ts, const wjob *jobs, size_t n) {
    for (size_t i = 0; i < n; i++)
        ts[i] = ll_create_task(ll_coro(w_job, jobs[i].name, jobs[i].seconds, jobs[i].fail), NULL);
}

static ll_value wait_main(LL_NOARGS) {
    double start = ll_time();
    static wjob abc[] = {{"a", 3, false}, {"b", 1, false}, {"c", 2, false}};
    static wjob xyz[] = {{"x", 2, false}, {"y", 0.5, true}, {"z", 1, false}};
    static wjob sfm[] = {{"slow", 1.5, false}, {"fast", 0.5, false}, {"mid", 1, false}};
    static wjob pq[] = {{"p", 0.5, false}, {"q", 5, false}};
    void *ts[3];
    bool done[3];
    make_jobs(ts, abc, 3);
    LL_TRY(ll_wait(ts, 3, INFINITY, LL_FIRST_COMPLETED, done));
    size_t ndone = 0;
    char names[64] = "[";
    for (int i = 0; i < 3; i++)
        if (done[i]) {
            ndone++;
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s'%s'",
                     names[1] ? ", " : "", ll_task_result(ts[i]).s);
        }
    ll_print("first completed at %.1f: %s], %zu pending", since(start), names, 3 - ndone);
    LL_TRY(ll_wait(ts, 3, S(0.5), LL_ALL_COMPLETED, done));
    ndone = (size_t)done[0] + done[1] + done[2];
    ll_print("timeout at %.1f: %zu done, %zu pending", since(start), ndone, 3 - ndone);
    LL_TRY(ll_wait(ts, 3, INFINITY, LL_ALL_COMPLETED, done));
    ll_print("all completed at %.1f: ['%s', '%s', '%s']", since(start), ll_task_result(ts[0]).s,
             ll_task_result(ts[1]).s, ll_task_result(ts[2]).s);
    make_jobs(ts, xyz, 3);
    LL_TRY(ll_wait(ts, 3, INFINITY, LL_FIRST_EXCEPTION, done));
    ndone = (size_t)done[0] + done[1] + done[2];
    ll_print("first exception at %.1f: %zu done, %zu pending", since(start), ndone, 3 - ndone);
    LL_TRY(ll_wait(ts, 3, INFINITY, LL_ALL_COMPLETED, NULL));
    ll_task_result(ts[1]); /* ts[1].exception(): seen */
    make_jobs(ts, sfm, 3);
    ll_as_completed *ac = ll_as_completed(ts, 3, INFINITY);
    for (int i = 0; i < 3; i++) {
        ll_value r = ll_as_completed_next(ac);
        LL_TRY(r);
        ll_print("as_completed: %s at %.1f", r.s, since(start));
    }
    make_jobs(ts, pq, 2);
    ac = ll_as_completed(ts, 2, S(1));
    for (int i = 0; i < 2; i++) {
        ll_value r = ll_as_completed_next(ac);
        if (ll_except(r, LL_ETIMEOUT)) {
            ll_print("as_completed timed out at %.1f", since(start));
            break;
        }
        ll_print("in time: %s at %.1f", r.s, since(start));
    }
    ll_task_cancel(ts[1]);
    return ll_none();
}

/* ---- every wait is also an awaitable (awaitables.py) ------------------------------ */

/* The pending tasks other than the running one, by name (Python's
 * all_tasks() minus current_task(), sorted by number). */
static const char *aw_names(void) {
    ll_task *ts[32];
    size_t n = ll_all_tasks(ts, 32);
    char buf[256] = "";
    for (size_t i = 0; i < n && i < 32; i++)
        if (ts[i] != ll_current_task())
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "",
                     ll_task_name(ts[i]));
    return ll_format("%s", buf);
}

static ll_value aw_setter(ll_args args) {
    ll_print("setter: waiting tasks %s", aw_names());
    LL_TRY(ll_sleep(S(1)));
    ll_print("setter: set");
    ll_event_set(ll_arg_ptr(args, 0));
    return ll_none();
}

static double aw_start;

static ll_value aw_worker(ll_args args) {
    ll_queue *q = ll_arg_ptr(args, 0);
    ll_value item = ll_queue_get(q);
    LL_TRY(item);
    LL_TRY(ll_sleep(S(0.5)));
    ll_print("worker: %s done at %.1f", item.s, since(aw_start));
    return ll_queue_task_done(q);
}

static ll_value awaitables_main(LL_NOARGS) {
    aw_start = ll_time();
    ll_event *ev = ll_event_new(NULL);
    ll_queue *q = ll_queue_new(0, NULL);
    /* create_task(ev.wait()) */
    ll_task *t = ll_create_task(ll_event_wait_coro(ev), NULL);
    ll_task *s = ll_create_task(ll_coro(aw_setter, ev), NULL);
    ll_print("made %s and %s", ll_task_name(t), ll_task_name(s));
    ll_value r = ll_await(t);
    ll_print("ev.wait() task -> %s at %.1f", ll_repr(r), since(aw_start));
    LL_TRY(ll_await(s));
    /* wait_for(q.get(), 1) */
    r = ll_wait_for(ll_queue_get_coro(q), S(1));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("q.get() timed out at %.1f", since(aw_start));
    LL_TRY(ll_queue_put_nowait(q, ll_str("late")));
    ll_print("wait_for(q.get(), 1) -> %s", ll_repr(ll_wait_for(ll_queue_get_coro(q), S(1))));
    LL_TRY(ll_queue_task_done(q));
    /* tg.create_task(asyncio.sleep(0)) */
    ll_taskgroup *tg = ll_taskgroup_enter();
    ll_task *z = ll_taskgroup_create_task(tg, ll_sleep_coro(0), NULL);
    ll_print("taskgroup made %s; tasks %s", ll_task_name(z), aw_names());
    LL_TRY(ll_taskgroup_exit(tg, ll_none()));
    ll_print("after the group: %s done=%s", ll_task_name(z), ll_pybool(ll_task_done(z)));
    /* gather(q.join(), ...) */
    LL_TRY(ll_queue_put_nowait(q, ll_str("job")));
    ll_create_task(ll_coro(aw_worker, q), NULL);
    r = ll_await(ll_gather(ll_queue_join_coro(q), ll_sleep_coro(S(0.2))));
    ll_print("gather(q.join(), sleep(0.2)) -> %s at %.1f", ll_repr(r), since(aw_start));
    /* shield(lock.acquire()), and the lock wait as a task of its own */
    ll_lock *lock = ll_lock_new(NULL);
    r = ll_await(ll_shield(ll_lock_acquire_coro(lock)));
    ll_print("shield(lock.acquire()) -> %s", ll_repr(r));
    t = ll_create_task(ll_lock_acquire_coro(lock), NULL);
    LL_TRY(ll_sleep(0));
    ll_print("second acquire waits: %s", aw_names());
    LL_TRY(ll_lock_release(lock));
    r = ll_await(t);
    ll_print("second acquire -> %s, locked=%s", ll_repr(r), ll_pybool(ll_lock_locked(lock)));
    ll_print("next task is %s", ll_task_name(ll_create_task(ll_sleep_coro(0), NULL)));
    return ll_none();
}

/* ---- the table ---------------------------------------------------------------------- */

typedef struct scenario {
    const char *name; /* tests/py/<name>.py is the Python twin */
    ll_coro_fn main;
    const char *expected; /* what CPython 3.11 printed for the twin */
} scenario;

static const scenario scenarios[] = {
    {"rule_r1_fifo", r1_main, "a0\nb0\nc0\na1\nb1\na2\n"},
    {"rule_r2_pass", r2_main,
     "main yields\na\nworker step 1\nb\nmain back\na2\nworker step 2\nb2\nend\n"},
    {"rule_r3_timers", r3_main,
     "p sleeps 2\nq sleeps 1\nr sleeps 1\ns sleeps 0.5\ns woke at 0.5\ncallback x\n"
     "callback y\nq woke at 1.0\nr woke at 1.0\np woke at 2.0\n"},
    {"rule_r5_await", r5_main,
     "awaiting a done future\ngot ready without suspending\ninline 4\ninline returned 40\n"
     "awaiting a pending future\nother runs\ngot later\n"},
    {"rule_r6_callbacks", r6_main,
     "waiter waits\nsetting result\nresult set\nsecond set_result refused\n"
     "callback one sees 7\nwaiter resumed with 7\ncallback two sees 7\n"
     "callback three sees 7\nend\n"},
    {"rule_r7_cancel", r7_main,
     "cancel finished task: False\ncancel unstarted task: True\nsleeper: sleeping\n"
     "cancel sleeper: True\ncancel stubborn: True\nTask-3 was cancelled: True\n"
     "sleeper: cleaning up\nstubborn: ignoring the cancel\nTask-4 was cancelled: True\n"
     "stubborn: finished anyway\nTask-5 returned 'stubborn result'\n"},
    {"rule_r7_await_kinds", r7k_main,
     "future: cancel -> True, again -> True\n"
     "future waiter cancelled; future cancelled: True\n"
     "future: awaiter got CancelledError, cancelled() = True\n"
     "inline: cancel -> True, again -> True\n"
     "inner coroutine sees the cancel first\n"
     "outer coroutine sees it next\n"
     "inline: awaiter got CancelledError, cancelled() = True\n"
     "task: cancel -> True, again -> True\n"
     "child cancelled too\n"
     "task waiter cancelled; child cancelled: True\n"
     "task: awaiter got CancelledError, cancelled() = True\n"
     "gather: cancel -> True, again -> True\n"
     "child cancelled too\n"
     "child cancelled too\n"
     "gather waiter cancelled\n"
     "gather: awaiter got CancelledError, cancelled() = True\n"
     "yield: cancel while ready -> True\n"
     "cancelled at a bare yield\n"
     "yield: cancelled() = True\n"
     "cancel myself: True\n"
     "still running until the next await\n"
     "cancelled at my next await\n"
     "self: result 'survived', cancelled() = False\n"
     "time 0.0\n"},
    {"rule_r8_gather", r8_main,
     "[]\nslow starts\nfast starts\nfast ends\nslow ends\n['SLOW', 'FAST']\na starts\n"
     "b starts\nc starts\na ends\nb fails\ngather raised: b broke\n"
     "main goes on while c still runs\nc ends\nd starts\ne starts\nd fails\ne ends\n"
     "[ValueError('d broke'), 'E']\nx starts\ny starts\ncancel gather: True\n"
     "gather was cancelled\n"},
    {"rule_r10_wait_for", r10_main,
     "quick: start\nquick: done\nquick -> QUICK at 1.0\nslow: start\n"
     "slow: cancelled, cleaning up\nslow: cleanup done\nslow timed out at 3.5\n"
     "zero timeout at 3.5\n"},
    {"rule_r9_timeout", r9_main,
     "scoped: start\nscoped: cancelled, cleaning up\nscope expired at 1.5, expired=True\n"
     "in time: start\nin time: done\nIN TIME at 2.5, expired=False\nrescheduled: start\n"
     "rescheduled: cancelled, cleaning up\nrescheduled scope expired at 3.5\n"
     "shielded: start\ncancel the shield: True\nthe shield was cancelled\nshielded: done\n"
     "inner survived: SHIELDED at 5.5, cancelled=False\n"},
    {"rule_r15_taskgroup", r15_main,
     "body: tasks made\na: start\nb: start\na: done\nb: done\ngroup 1 done at 2.0: a, b\n"
     "ok: start\nbad: start\nslow: start\nok: done\nbad: failing\nslow: cancelled\n"
     "body: cancelled by the group\n"
     "group 2 failed at 3.0: unhandled errors in a TaskGroup (1 sub-exception)\n"
     "failures: ValueError('bad broke')\n"},
    {"rule_r15_taskgroup_late", r15_late_main,
     "body: done\nquick: done\nlate: failing\nslow: cancelled\n"
     "group failed at 2.0: unhandled errors in a TaskGroup (1 sub-exception)\n"
     "cancelling() = 1\nslept on to 1.0\ntimeout at 1.5 still raises TimeoutError\n"
     "cancelling() = 1\n"},
    {"rule_scopes_async_with", scopes_main,
     "a: in\na: out\nb: in\nb: out\n['a', 'b']\nx: in\ny: in\nx: out\ny: out\nz: in\n"
     "z: out\n['x', 'y', 'z']\nwaiter: waits\nnotifier: notifies\nnotifier: leaves\n"
     "waiter: notified\nconditions done at 0.5\nlate: cancelled\ntimeout at 1.0\n"
     "in time at 2.0\ndeadline: cancelled\ntimeout_at at 0.5\ngroup body: done\np: in\n"
     "q: in\nq: out\np: out\ngroup done at 1.0: p, q\n"},
    {"rule_wait_as_completed", wait_main,
     "first completed at 1.0: ['b'], 2 pending\ntimeout at 1.5: 1 done, 2 pending\n"
     "all completed at 3.0: ['a', 'b', 'c']\nfirst exception at 3.5: 1 done, 2 pending\n"
     "as_completed: fast at 5.5\nas_completed: mid at 6.0\nas_completed: slow at 6.5\n"
     "in time: p at 7.0\nas_completed timed out at 7.5\n"},
    {"rule_r11_sleep", r11_main, "zero0\nneg0\ntiny0\nz20\nzero1\nneg1\nz21\ntiny1\ndone\n"},
    {"seed_gather", seed_gather_main,
     "Coroutine started with delay: 1\nCoroutine started with delay: 2\n"
     "Coroutine finished after 1 seconds\nCoroutine finished after 2 seconds\n"
     "Results: [2, 4]\n"},
    {"seed_count", seed_count_main, "One\nOne\nOne\nTwo\nTwo\nTwo\n"},
    {"awaitables", awaitables_main,
     "made Task-2 and Task-3\nsetter: waiting tasks Task-1, Task-2\nsetter: set\n"
     "ev.wait() task -> True at 1.0\nq.get() timed out at 2.0\n"
     "wait_for(q.get(), 1) -> 'late'\ntaskgroup made Task-6; tasks Task-6\n"
     "after the group: Task-6 done=True\nworker: job done at 2.5\n"
     "gather(q.join(), sleep(0.2)) -> [None, None] at 2.5\nshield(lock.acquire()) -> True\n"
     "second acquire waits: Task-11\nsecond acquire -> True, locked=True\n"
     "next task is Task-12\n"},
    {"seed_create_task", seed_create_task_main,
     "Fetching data...\nStart fetching\nDone fetching\nResult: data\n"},
};
#define NSCEN (sizeof scenarios / sizeof scenarios[0])

static const scenario *find_scenario(const char *name) {
    for (size_t i = 0; i < NSCEN; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    ck_abort_msg("no scenario named %s", name);
    return NULL;
}

/* Runs a scenario as asyncio.run would; returns its standard output.  The
 * scenario's stderr is captured too and must be empty unless allowed. */
static char *run_scenario(const scenario *sc, ll_clock clock, double scale, char **err_out) {
    g_scale = scale;
    capture out, err;
    capture_begin(&out, 1);
    capture_begin(&err, 2);
    ll_loop_opts o = {.clock = clock};
    int rc = ll_run_opts(ll_coro(sc->main, ll_none()), &o);
    char *e = capture_end(&err);
    char *s = capture_end(&out);
    ck_assert_msg(rc == 0, "%s: ll_run returned %d; stderr:\n%s", sc->name, rc, e);
    /* No warning of any kind, apart from what a scenario does on purpose
     * (R6 sets a done future's result; R7 swallows cancellations, as their
     * Python twins do). */
    static const char *const allowed[] = {"InvalidStateError", "was cancelled but returned", NULL};
    if (!err_out)
        ck_assert_only_warnings(sc->name, e, allowed);
    if (err_out)
        *err_out = e;
    else
        free(e);
    return s;
}

START_TEST(scenario_prints_what_cpython_printed) {
    const scenario *sc = &scenarios[_i];
    char *out = run_scenario(sc, LL_CLOCK_VIRTUAL, 1.0, NULL);
    ck_assert_same_output(out, sc->expected);
    free(out);
}
END_TEST

START_TEST(scenario_matches_its_python_twin_now) {
    const scenario *sc = &scenarios[_i];
    char path[256];
    snprintf(path, sizeof path, "tests/py/%s.py", sc->name);
    char *py = run_py(path);
    char *out = run_scenario(sc, LL_CLOCK_VIRTUAL, 1.0, NULL);
    ck_assert_same_output(out, py);
    free(out);
    free(py);
}
END_TEST

START_TEST(scenario_same_order_on_real_clock) {
    const scenario *sc = &scenarios[_i];
    /* Delays scaled down to keep the suite fast; Valgrind runs everything
     * ~50 times slower, so it gets longer ones.  The virtual-clock pass
     * checks the times themselves. */
    double scale = under_checker() ? 0.25 : 0.05;
    char *out = run_scenario(sc, LL_CLOCK_REAL, scale, NULL);
    char *got = mask_times(out), *want = mask_times(sc->expected);
    ck_assert_same_output(got, want);
    free(got);
    free(want);
    free(out);
}
END_TEST

START_TEST(seed_gather_takes_exactly_two_virtual_seconds) {
    char *out = run_scenario(find_scenario("seed_gather"), LL_CLOCK_VIRTUAL, 1.0, NULL);
    free(out);
    ck_assert_double_eq_tol(g_end_time, 2.0, 1e-12);
}
END_TEST

START_TEST(seed_count_takes_exactly_one_virtual_second) {
    char *out = run_scenario(find_scenario("seed_count"), LL_CLOCK_VIRTUAL, 1.0, NULL);
    free(out);
    ck_assert_double_eq_tol(g_end_time, 1.0, 1e-12);
}
END_TEST

START_TEST(seed_gather_on_real_clock_takes_two_delays_not_three) {
    /* 0.1 s per "second".  The two sleeps overlap: the second coroutine
     * has started sleeping before the first wakes, so the run lasts as
     * long as the longer sleep, not the sum.  The order shows it on any
     * machine; a stopwatch would only on an idle one. */
    char *out = run_scenario(find_scenario("seed_gather"), LL_CLOCK_REAL, 0.1, NULL);
    const char *second = strstr(out, "started with delay: 2");
    const char *first_done = strstr(out, "finished after 1");
    ck_assert_msg(second && first_done && second < first_done, "the sleeps did not overlap:\n%s",
                  out);
    ck_assert_msg(g_end_time >= 0.2, "the run ended at %.3f s, before its 0.2 s sleep could",
                  g_end_time);
    free(out);
}
END_TEST

static Suite *rules_suite(void) {
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("cpython-order");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, scenario_prints_what_cpython_printed, 0, (int)NSCEN);
    suite_add_tcase(s, tc);
    tc = tcase_create("python-twins");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, scenario_matches_its_python_twin_now, 0, (int)NSCEN);
    suite_add_tcase(s, tc);
    tc = tcase_create("real-clock");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, scenario_same_order_on_real_clock, 0, (int)NSCEN);
    tcase_add_test(tc, seed_gather_on_real_clock_takes_two_delays_not_three);
    suite_add_tcase(s, tc);
    tc = tcase_create("seeds");
    tcase_add_test(tc, seed_gather_takes_exactly_two_virtual_seconds);
    tcase_add_test(tc, seed_count_takes_exactly_one_virtual_second);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return run_suite(rules_suite());
}
