/* Exercise 1, a solution: ll_gather starts the three downloads together
 * and waits for all of them; the results come back in argument order. */
#include <looplab.h>

/* async def download(name, seconds): */
static ll_value download(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    double seconds = ll_arg_float(args, 1);
    ll_print("%s: start", name);
    LL_TRY(ll_sleep(seconds)); /* stands for the network */
    ll_print("%s: done after %.1f s", name, seconds);
    return ll_str(name);
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();
    /* a, b, c = await asyncio.gather(download("a", 1.0), ...) */
    ll_value all = ll_await(ll_gather(ll_coro(download, "a", 1.0), ll_coro(download, "b", 0.5),
                                      ll_coro(download, "c", 1.0)));
    LL_TRY(all);
    ll_print("got %s in %.1f s", ll_repr(all), ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
