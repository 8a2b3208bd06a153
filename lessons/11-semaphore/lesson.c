/* Lesson 11: a semaphore limits concurrency.
 *
 * Python twin: lesson.py.  Five fetches, two slots.  A fetch takes a slot
 * (`async with slots:` is ll_semaphore_enter ... ll_semaphore_exit), holds it
 * while it works, and gives it back; whoever waited longest gets it next. */
#include <looplab.h>

/* PAGES = {"/a": 1.0, "/b": 0.5, "/c": 1.5, "/d": 0.5, "/e": 1.0} */
static const char *PATHS[] = {"/a", "/b", "/c", "/d", "/e"};
static const double SECONDS[] = {1.0, 0.5, 1.5, 0.5, 1.0};

/* async def fetch(slots, path, seconds): */
static ll_value fetch(ll_args args) {
    ll_semaphore *slots = ll_arg_ptr(args, 0);
    const char *path = ll_arg_str(args, 1);
    double seconds = ll_arg_float(args, 2);
    ll_print("%s: waiting for a slot", path);
    LL_TRY(ll_semaphore_enter(slots));                      /* async with slots: */
    ll_print("%s: fetching (%s s)", path, ll_pystr(ll_float(seconds)));
    ll_value r = ll_sleep(seconds);                         /* await asyncio.sleep(seconds) */
    if (!ll_failed(r))
        ll_print("%s: done", path);
    /* return int(seconds * 1000), leaving the block (or the error, through it) */
    return ll_semaphore_exit(slots, ll_failed(r) ? r : ll_int((long long)(seconds * 1000)));
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_semaphore *slots = ll_semaphore_new(2, "slots");     /* slots = asyncio.Semaphore(2) */
    void *fetches[5];
    for (int i = 0; i < 5; i++)                             /* for p, s in PAGES.items() */
        fetches[i] = ll_create_task(ll_coro(fetch, slots, PATHS[i], SECONDS[i]), PATHS[i]);
    ll_note("Five tasks, named by their pages, will ask for two slots. The first two "
            "get in; the other three line up behind the semaphore, in the order they "
            "asked.");
    ll_value sizes = ll_await(ll_gatherv(fetches, 5, false)); /* await asyncio.gather(*fetches) */
    LL_TRY(sizes);
    ll_note("Never more than two fetches at once: the semaphore's counter went 2, "
            "1, 0 and back, and every waiter was let in first come, first served.");
    ll_print("sizes: %s", ll_repr(sizes));
    ll_print("5 pages, 2 at a time: %.1f s", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
