/* Exercise 11: two sensors, each an async generator of three readings, one
 * every 0.5 s.  main reads sensor a to the end, then sensor b: 3 s.  Read
 * both at the same time (1.5 s), each reading printed as it comes.
 * (starter.py: the same in Python.) */
#include <looplab.h>

/* async def readings(sensor, count): */
static ll_value readings(ll_args args) {
    const char *sensor = ll_arg_str(args, 0);
    for (long long i = 0; i < ll_arg_int(args, 1); i++) {
        LL_TRY(ll_sleep(0.5)); /* wait for the next measurement */
        LL_TRY(ll_yield(ll_str(ll_format("%s reading %lld", sensor, i))));
    }
    return ll_none();
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_value r;
    LL_ASYNC_FOR(r, ll_agen(readings, "a", 3)) /* async for r in readings("a", 3): */
        ll_print("%s", r.s);
    LL_TRY(r);
    LL_ASYNC_FOR(r, ll_agen(readings, "b", 3)) /* async for r in readings("b", 3): */
        ll_print("%s", r.s);
    LL_TRY(r);
    ll_print("both sensors read");
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
