/* Exercise 9: four pages are fetched at once and their results collected
 * as they come in.  The report must list them in the order of PAGES, not
 * in the order they happened to finish.  Keep the fetches concurrent.
 * (starter.py: the same in Python.) */
#include <looplab.h>
#include <math.h>

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
    /* for next_done in asyncio.as_completed(fetches): results.append(await next_done) */
    ll_as_completed *ac = ll_as_completed(fetches, 4, INFINITY);
    const char *results[4];
    for (int i = 0; i < 4; i++) {
        ll_value r = ll_as_completed_next(ac);
        LL_TRY(r);
        results[i] = r.s;
    }
    ll_print("results: ['%s', '%s', '%s', '%s']", results[0], results[1], results[2], results[3]);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
