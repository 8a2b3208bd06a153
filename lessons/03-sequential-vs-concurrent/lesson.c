/* Lesson 3: sequential vs concurrent.
 *
 * Python twin: lesson.py.  Awaiting two sleeps one after the other takes
 * 1 + 2 = 3 s; gathering them takes 2 s, because while one task sleeps the
 * loop is free to run the other. */
#include <looplab.h>

typedef struct order {
    const char *drink;
    int seconds;
} order;

/* async def brew(drink, seconds): */
static ll_value brew(ll_value arg) {
    const order *o = arg.p;
    ll_print("%s: start (%d s)", o->drink, o->seconds);
    LL_TRY(ll_sleep(o->seconds));                        /* await asyncio.sleep(seconds) */
    ll_print("%s: ready", o->drink);
    return ll_none();
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    static order tea = {"tea", 1}, coffee = {"coffee", 2};
    double start = ll_time();
    ll_note("First, one after the other: main awaits each brew in turn, so there is "
            "only ever one thing happening.");
    LL_TRY(ll_await(ll_coro(brew, ll_ptr(&tea))));       /* await brew("tea", 1) */
    LL_TRY(ll_await(ll_coro(brew, ll_ptr(&coffee))));    /* await brew("coffee", 2) */
    ll_print("one after the other: %.1f s", ll_time() - start);

    start = ll_time();
    ll_note("Now gather wraps each brew in a task. Both start, both sleep, and the "
            "loop waits for whichever timer is due first.");
    LL_TRY(ll_await(ll_gather(ll_coro(brew, ll_ptr(&tea)), ll_coro(brew, ll_ptr(&coffee)))));
    ll_note("The waits overlapped: the total is the longest wait, not the sum.");
    ll_print("at the same time: %.1f s", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain, ll_none()));
}
