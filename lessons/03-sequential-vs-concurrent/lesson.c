/* Lesson 3: sequential vs concurrent.
 *
 * Python twin: lesson.py.  Awaiting two sleeps one after the other takes
 * 1 + 2 = 3 s; gathering them takes 2 s, because while one task sleeps the
 * loop is free to run the other. */
#include <looplab.h>

/* async def brew(drink, seconds): */
static ll_value brew(ll_args args) {
    const char *drink = ll_arg_str(args, 0);
    long long seconds = ll_arg_int(args, 1);
    ll_print("%s: start (%lld s)", drink, seconds);
    LL_TRY(ll_sleep(seconds));                              /* await asyncio.sleep(seconds) */
    ll_print("%s: ready", drink);
    return ll_none();
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_note("First, one after the other: main awaits each brew in turn, so there is "
            "only ever one thing happening.");
    LL_TRY(ll_await(ll_coro(brew, "tea", 1)));              /* await brew("tea", 1) */
    LL_TRY(ll_await(ll_coro(brew, "coffee", 2)));           /* await brew("coffee", 2) */
    ll_print("one after the other: %.1f s", ll_time() - start);

    start = ll_time();                                      /* start = loop.time() */
    ll_note("Now gather wraps each brew in a task. Both start, both sleep, and the "
            "loop waits for whichever timer is due first.");
    /* await asyncio.gather(brew("tea", 1), brew("coffee", 2)) */
    LL_TRY(ll_await(ll_gather(ll_coro(brew, "tea", 1), ll_coro(brew, "coffee", 2))));
    ll_note("The waits overlapped: the total is the longest wait, not the sum.");
    ll_print("at the same time: %.1f s", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
