/* Exercise 11, a solution: an async for (LL_ASYNC_FOR) runs its generator
 * inside the task that loops, one reading after the other.  Two loops in
 * two tasks (gathered) read the two sensors at the same time. */
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

/* async def collect(sensor): */
static ll_value collect(ll_args args) {
    ll_value r;
    LL_ASYNC_FOR(r, ll_agen(readings, ll_arg_str(args, 0), 3)) /* async for r in readings(...) */
        ll_print("%s", r.s);
    return r;
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    /* await asyncio.gather(collect("a"), collect("b")) */
    LL_TRY(ll_await(ll_gather(ll_coro(collect, "a"), ll_coro(collect, "b"))));
    ll_print("both sensors read");
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
