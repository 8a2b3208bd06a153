/* Lesson 14: blocking the loop.
 *
 * Python twin: lesson.py.  slow_report() is ordinary blocking code: it holds
 * the thread for a second (time.sleep, or a long computation).  Called
 * straight from a coroutine it freezes the whole loop: the heartbeat, due
 * every 0.4 s, does not beat until it returns.  Handed to a worker thread
 * with ll_to_thread (asyncio.to_thread), it runs beside the loop, and the
 * heartbeat keeps time. */
#include <looplab.h>

/* def slow_report(name): an ordinary blocking function, like a library
 * with no async support.  (ll_format's text may be returned from a
 * worker thread: a str result is copied into the loop's memory when the
 * job ends.) */
static ll_value slow_report(ll_args args) {
    ll_blocking_sleep(1.0);                                 /* time.sleep(1.0) */
    return ll_str(ll_format("report %s", ll_arg_str(args, 0))); /* return f"report {name}" */
}

/* async def heartbeat(label, clock, beats): (the clock is `loop.time() - start`) */
static ll_value heartbeat(ll_args args) {
    const char *label = ll_arg_str(args, 0);
    for (long long i = 0; i < ll_arg_int(args, 2); i++) {  /* for i in range(beats): */
        ll_print("%s: beat %lld at %.1f s", label, i, ll_time() - ll_arg_float(args, 1));
        LL_TRY(ll_sleep(0.4));                              /* await asyncio.sleep(0.4) */
    }
    return ll_none();
}

/* async def part(label, use_thread): */
static ll_value part(ll_args args) {
    const char *label = ll_arg_str(args, 0);
    double start = ll_time();                               /* start = loop.time() */
    ll_task *beats = ll_create_task(ll_coro(heartbeat, label, start, 3), "heartbeat");
    LL_TRY(ll_sleep(0));                                    /* let it take its first beat */
    ll_value report;
    if (ll_arg_bool(args, 1)) {                             /* if use_thread: */
        ll_print("%s: handing slow_report to a worker thread", label);
        ll_note("to_thread hands slow_report to a worker thread and this task waits on it "
                "like on any future. The loop is free: watch the heartbeat keep its 0.4 s "
                "rhythm while the worker lane below the tasks is busy.");
        report = ll_await(ll_to_thread(slow_report, "B"));  /* await asyncio.to_thread(...) */
    } else {
        ll_print("%s: calling slow_report directly", label);
        ll_note("slow_report sleeps with time.sleep, not await: this step keeps the thread "
                "for a whole second. The heartbeat's timer comes due at 0.4 s, but nothing "
                "can run it until this step ends. The slow-step warning will say so.");
        report = slow_report(ll_str("A"));                  /* report = slow_report("A") */
        ll_note("Back after one second, all in one step. The heartbeat now runs, 0.6 s late; "
                "every other task, timer and socket was frozen just the same.");
    }
    LL_TRY(report);
    ll_print("%s: got %s at %.1f s", label, report.s, ll_time() - start);
    return ll_await(beats);                                 /* await beats */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    LL_TRY(ll_await(ll_coro(part, "blocking", false)));     /* await part("blocking", ...) */
    ll_note("Same program, one change: slow_report now runs on a worker thread.");
    return ll_await(ll_coro(part, "to_thread", true));      /* await part("to_thread", ...) */
}

int main(void) { return ll_run(ll_coro(amain)); }
