/* Lesson 5: three counters.
 *
 * Python twin: lesson.py.  gather starts three tasks.  Each prints "One" and
 * goes to sleep, so all three "One"s come before any "Two"; the three timers
 * are due at the same moment and fire in the order they were armed. */
#include <looplab.h>

/* async def count(): */
static ll_value count(LL_NOARGS) {
    ll_print("One");
    LL_TRY(ll_sleep(1));                                    /* await asyncio.sleep(1) */
    ll_print("Two");
    return ll_none();
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_note("gather turns each count() into a task, in argument order. Watch them "
            "line up in the ready queue.");
    /* await asyncio.gather(count(), count(), count()) */
    LL_TRY(ll_await(ll_gather(ll_coro(count), ll_coro(count), ll_coro(count))));
    ll_note("Three timers, all due at t = 1 s: they fired in the order they were "
            "armed, so the tasks woke in the order they slept.");
    ll_print("Three counters took %.1f s", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
