/* Exercise 9, a solution: ll_gather runs the fetches at once too, but its
 * result lists them in the order of its arguments, however they finish. */
#include <looplab.h>

static const char *PATHS[] = {"/home", "/about", "/news", "/contact"};
static const double SECONDS[] = {0.8, 0.2, 0.5, 0.1};

/* async def fetch(path, seconds): */
static ll_value fetch(ll_args args) {
    const char *path = ll_arg_str(args, 0);
    LL_TRY(ll_sleep(ll_arg_float(args, 1))); /* stands for the download */
    ll_print("%s: fetched", path);
    return ll_str(path);
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    void *fetches[4];
    for (int i = 0; i < 4; i++)
        fetches[i] = ll_coro(fetch, PATHS[i], SECONDS[i]);
    ll_value results = ll_await(ll_gatherv(fetches, 4, false)); /* await asyncio.gather(...) */
    LL_TRY(results);
    ll_print("results: %s", ll_repr(results));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
