/* Lesson 15: concurrency is not parallelism.
 *
 * Python twin: lesson.py.  One event loop lets tasks take turns: it overlaps
 * their waiting, but their computing still happens one step at a time on
 * the loop's one thread.  To compute at the same time you need more cores.
 * The twin uses worker processes (Python's threads share one interpreter
 * lock, so they cannot compute at once); in C, threads have no such lock,
 * so the thread pool's workers (ll_to_thread) run on separate cores. */
#include <looplab.h>

/* def crunch(name): CPU-bound, about a second on one core. */
static ll_value crunch(ll_args name) {
    ll_busy(1.0);
    return name;
}

/* async def wait_a_second(name): */
static ll_value wait_a_second(ll_args name) {
    LL_TRY(ll_sleep(1.0));                                  /* await asyncio.sleep(1.0) */
    return name;
}

/* async def crunch_here(name): no await inside, so the loop cannot switch. */
static ll_value crunch_here(ll_args name) { return crunch(name); }

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();
    ll_note("Two tasks that wait: both sleeps are armed at once, so the loop waits for "
            "both together.");
    ll_value done = ll_await(ll_gather(ll_coro(wait_a_second, "A"), ll_coro(wait_a_second, "B")));
    LL_TRY(done);
    ll_print("waiting, concurrently: %s took %.0f s", ll_repr(done), ll_time() - start);

    start = ll_time();                                      /* start = loop.time() */
    ll_note("Two tasks that compute: each keeps the thread for its whole second, so B "
            "cannot start until A is finished. Taking turns does not make computing faster.");
    done = ll_await(ll_gather(ll_coro(crunch_here, "A"), ll_coro(crunch_here, "B")));
    LL_TRY(done);
    ll_print("computing, concurrently on one thread: %s took %.0f s", ll_repr(done),
             ll_time() - start);

    start = ll_time();                                      /* start = loop.time() */
    ll_note("The same two computations on two worker threads: two lanes busy at the same "
            "time, on two cores. That is parallelism; the loop itself only waits.");
    /* Each run_in_executor hands its job over at once: one statement each, so
     * that A goes first as in Python (C leaves the order in which a call's
     * arguments are evaluated to the compiler). */
    ll_future *a = ll_run_in_executor(crunch, "A");         /* loop.run_in_executor(pool, ...) */
    ll_future *b = ll_run_in_executor(crunch, "B");
    done = ll_await(ll_gather(a, b));                       /* await asyncio.gather(...) */
    LL_TRY(done);
    ll_print("computing, in parallel on two cores: %s took %.0f s", ll_repr(done),
             ll_time() - start);
    return ll_none();
}

int main(void) { return ll_run(ll_coro(amain)); }
