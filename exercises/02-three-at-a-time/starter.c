/* Exercise 2: ten pages, fetched all at once.  The site allows three
 * connections at a time: never let more than three fetches run together,
 * and still finish as soon as you can.  (starter.py is the same in Python.) */
#include <looplab.h>
#include <string.h>

static const char *PATHS[] = {"/p0", "/p1", "/p2", "/p3", "/p4",
                              "/p5", "/p6", "/p7", "/p8", "/p9"};
static const double SECONDS[] = {1.0, 0.5, 0.5, 1.0, 0.5, 0.5, 1.0, 0.5, 0.5, 1.0};

/* async def fetch(path, seconds): */
static ll_value fetch(ll_args args) {
    const char *path = ll_arg_str(args, 0);
    ll_print("%s: fetching", path);
    LL_TRY(ll_sleep(ll_arg_float(args, 1))); /* stands for the download */
    ll_print("%s: done", path);
    return ll_int((long long)strlen(path) * 100);
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    void *fetches[10];
    for (int i = 0; i < 10; i++)
        fetches[i] = ll_coro(fetch, PATHS[i], SECONDS[i]);
    ll_value sizes = ll_await(ll_gatherv(fetches, 10, false));
    LL_TRY(sizes);
    long long total = 0;
    for (size_t i = 0; i < ll_list_len(sizes); i++)
        total += ll_list_at(sizes, i).i;
    ll_print("fetched %zu pages, %lld bytes", ll_list_len(sizes), total);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
