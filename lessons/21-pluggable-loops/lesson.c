/* Lesson 21: pluggable event loops.
 *
 * Python twin: lesson.py.  asyncio's event loop can be swapped for another
 * one (uvloop, built on libuv, is the well-known drop-in) without changing
 * the program.  Looplab has two loops behind one API: the virtual clock,
 * which jumps straight to the next timer, and the real clock, which waits
 * in libuv as uvloop does.  This program runs on either:
 *
 *     looplab run 21                  (virtual: finishes at once)
 *     looplab run 21 --clock real     (libuv: takes about a second)
 *
 * and prints the same lines, in the same order, at the same loop times. */
#include <looplab.h>

#include <math.h>

/* def since(start): */
static double since(double start) { return floor((ll_time() - start) * 10) / 10; }

/* async def ticker(start): */
static ll_value ticker(ll_args start) {
    for (int n = 1; n <= 3; n++) {                          /* for n in range(1, 4): */
        LL_TRY(ll_sleep(0.3));
        ll_print("%.1f s: tick %d", since(start.f), n);
    }
    return ll_none();
}

/* async def timer(start): */
static ll_value timer(ll_args start) {
    LL_TRY(ll_sleep(0.45));
    ll_print("%.1f s: the timer task woke up", since(start.f));
    return ll_none();
}

/* def blocking_job(): runs on a worker thread */
static ll_value blocking_job(LL_NOARGS) {
    ll_blocking_sleep(0.75);                                /* time.sleep(0.75) */
    return ll_str("the job's result");
}

/* The twin's lambda: print(f"{since(start)} s: a call_later callback") */
static void callback(void *start) {
    ll_print("%.1f s: a call_later callback", since(*(double *)start));
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_loop *loop = ll_get_running_loop();
    double start = ll_time();                               /* start = loop.time() */
    if (ll_loop_is_real(loop))
        ll_note("This run's loop is the real one: it waits in libuv (epoll) for "
                "timers, sockets and the thread pool, as uvloop does. Loop time is "
                "measured; compare the wall clock with a virtual run.");
    else
        ll_note("This run's loop is the virtual one: whenever nothing is ready it "
                "jumps straight to the next timer, so the run takes no real time. "
                "Press C in the visualizer (or run with --clock real) to swap loops.");
    ll_call_later(loop, 0.1, callback, &start);             /* loop.call_later(0.1, lambda: ...) */
    ll_task *tasks[2];                                      /* (made one by one: in order) */
    tasks[0] = ll_create_task(ll_coro(ticker, start), "ticker");
    tasks[1] = ll_create_task(ll_coro(timer, start), "timer");
    ll_value result = ll_await(ll_to_thread(blocking_job)); /* await asyncio.to_thread(...) */
    LL_TRY(result);
    ll_print("%.1f s: the worker thread returned %s", since(start), ll_repr(result));
    LL_TRY(ll_await(ll_gather(tasks[0], tasks[1])));        /* await asyncio.gather(*tasks) */
    ll_print("%.1f s: all done", since(start));
    ll_note("Same lines, same order, same loop times on either loop: the rules of "
            "the loop (timers by deadline, the ready queue in order) do not depend "
            "on how it waits.");
    return ll_none();
}

int main(void) {
    /* The loop factory: LL_CLOCK_DEFAULT takes LOOPLAB_CLOCK (set by looplab
     * run --clock), else the virtual clock.  LL_CLOCK_REAL or
     * LL_CLOCK_VIRTUAL would fix it here, as a loop_factory does. */
    ll_loop *loop = ll_loop_new(&(ll_loop_opts){.clock = LL_CLOCK_DEFAULT});
    ll_value r = ll_loop_run_until_complete(loop, ll_coro(amain));
    int rc = ll_loop_close(loop);
    return ll_failed(r) ? 1 : rc;
}
