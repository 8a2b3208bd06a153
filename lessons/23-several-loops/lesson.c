/* Lesson 23: several event loops, one per core.
 *
 * Python twin: lesson.py.  One loop runs on one thread, so its tasks
 * compute one after the other however many cores the machine has.  To
 * compute on two cores at once, run two loops, each in a worker of its own
 * with its own tasks.  The twin runs each loop in a worker *process*
 * (Python's threads share one interpreter lock); C threads have no such
 * lock, so here each loop runs in a thread-pool worker.  Then the
 * thread-safe hand-off: a loop running forever in another thread is given a
 * coroutine to run, and answers through a future.  Every loop lands in the
 * same trace: the viewer shows each loop's tasks with its number. */
#include <looplab.h>

/* async def chunk(i): each crunch keeps the loop busy (no await); each
 * sleep(0) then gives the loop's other tasks a turn. */
static ll_value chunk(ll_args i) {
    for (int k = 0; k < 10; k++) {    /* for _ in range(10): */
        ll_busy(0.05);                /* crunch(0.05) */
        LL_TRY(ll_sleep(0));          /* await asyncio.sleep(0) */
    }
    return i;
}

/* async def region(name): one loop's share, two chunks of 0.5 s = 1 s.
 * (Its name is only a label: like the twin, it does not read it.) */
static ll_value region(LL_NOARGS) {
    ll_value done = ll_await(ll_gather(ll_coro(chunk, 0), ll_coro(chunk, 1)));
    LL_TRY(done);
    return ll_int(ll_list_len(done));                       /* return len(done) */
}

/* def run_region(name): return asyncio.run(region(name))
 * Runs on a worker thread: a new loop of its own, on that worker's core. */
static ll_value run_region(ll_args name) {
    ll_loop *loop = ll_loop_new(NULL);
    ll_value n = ll_loop_run_until_complete(loop, ll_coro(region, name)); /* asyncio.run( */
    ll_loop_close(loop);
    return n;
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_note("One loop, two regions of work: the chunks take turns on this loop's one thread, "
            "so 2 s of computing takes 2 s, even on a machine with two cores.");
    ll_value done = ll_await(ll_gather(ll_coro(region, "north"), ll_coro(region, "south")));
    LL_TRY(done);
    ll_print("one loop, two regions: %s took %.0f s", ll_repr(done), ll_time() - start);

    start = ll_time();                                      /* start = loop.time() */
    ll_note("Two loops, one per worker thread: loops 2 and 3 in the timeline. Each runs its "
            "own tasks on its own core, at the same time. This loop only waits.");
    ll_future *north = ll_run_in_executor(run_region, "north"); /* loop.run_in_executor(...) */
    ll_future *south = ll_run_in_executor(run_region, "south");
    done = ll_await(ll_gather(north, south));               /* await asyncio.gather(...) */
    LL_TRY(done);
    ll_print("two loops on two cores: %s took %.0f s", ll_repr(done), ll_time() - start);

    ll_note("A loop running forever in a thread of its own (loop 4). run_coroutine_threadsafe "
            "hands it a coroutine; it runs there as a task, and its result comes back "
            "through a future this loop awaits.");
    ll_loop *helper = ll_loop_thread_start(NULL);          /* helper = asyncio.new_event_loop() */
    if (!helper)
        return ll_raise(LL_ERUNTIME, "could not start the helper loop's thread");
    ll_value answer = ll_await(ll_run_coroutine_threadsafe(ll_coro(region, "east"), helper));
    if (!ll_failed(answer))
        ll_print("a loop in another thread ran a region for us: %lld chunks", answer.i);
    ll_loop_thread_stop(helper);                /* helper.call_soon_threadsafe(helper.stop) */
    LL_TRY(answer);                             /* (the thread is stopped first, even on error) */
    return ll_none();
}

int main(void) {
    return ll_run_opts(ll_coro(amain), &(ll_loop_opts){.clock = LL_CLOCK_REAL});
}
