/* Exercise 2, a solution: a semaphore of three slots shared by every fetch.
 * Ten tasks start at once, but only three get past ll_semaphore_enter at a
 * time (`async with slots:`); the others wait in line. */
#include <looplab.h>
#include <string.h>

static const char *PATHS[] = {"/p0", "/p1", "/p2", "/p3", "/p4",
                              "/p5", "/p6", "/p7", "/p8", "/p9"};
static const double SECONDS[] = {1.0, 0.5, 0.5, 1.0, 0.5, 0.5, 1.0, 0.5, 0.5, 1.0};

/* async def fetch(slots, path, seconds): */
static ll_value fetch(ll_args args) {
    ll_semaphore *slots = ll_arg_ptr(args, 0);
    const char *path = ll_arg_str(args, 1);
    LL_TRY(ll_semaphore_enter(slots)); /* async with slots: */
    ll_print("%s: fetching", path);
    ll_value r = ll_sleep(ll_arg_float(args, 2)); /* stands for the download */
    if (!ll_failed(r)) {
        ll_print("%s: done", path);
        r = ll_int((long long)strlen(path) * 100);
    }
    return ll_semaphore_exit(slots, r); /* leaving the block gives the slot back */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_semaphore *slots = ll_semaphore_new(3, "slots");
    void *fetches[10];
    for (int i = 0; i < 10; i++)
        fetches[i] = ll_coro(fetch, slots, PATHS[i], SECONDS[i]);
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
