/* Exercise 1: three downloads, one after another.  Make them run at the
 * same time, so that the whole program takes about as long as the slowest.
 * (starter.py is the same program in Python.) */
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
    ll_value a = ll_await(ll_coro(download, "a", 1.0));
    LL_TRY(a);
    ll_value b = ll_await(ll_coro(download, "b", 0.5));
    LL_TRY(b);
    ll_value c = ll_await(ll_coro(download, "c", 1.0));
    LL_TRY(c);
    ll_print("got ['%s', '%s', '%s'] in %.1f s", a.s, b.s, c.s, ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
