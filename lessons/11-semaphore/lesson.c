/* Lesson 11: a semaphore limits concurrency.
 *
 * Python twin: lesson.py.  Five fetches, two slots.  A fetch takes a slot
 * (ll_semaphore_acquire, Python's `async with slots:`), holds it while it
 * works, and gives it back; whoever waited longest gets it next. */
#include <looplab.h>

typedef struct page {
    const char *path;
    double seconds;
    ll_semaphore *slots;
} page;

/* async def fetch(slots, path, seconds): */
static ll_value fetch(ll_value arg) {
    const page *p = arg.p;
    ll_print("%s: waiting for a slot", p->path);
    LL_TRY(ll_semaphore_acquire(p->slots));              /* async with slots: */
    ll_print("%s: fetching (%s s)", p->path, ll_repr(ll_float(p->seconds)));
    ll_value r = ll_sleep(p->seconds);                   /* await asyncio.sleep(seconds) */
    if (!ll_failed(r))
        ll_print("%s: done", p->path);
    ll_semaphore_release(p->slots);                      /* (leaving the block) */
    if (ll_failed(r))
        return r;
    return ll_int((int64_t)(p->seconds * 1000));
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    double start = ll_time();
    ll_semaphore *slots = ll_semaphore_new(2, "slots");  /* asyncio.Semaphore(2) */
    static page pages[] = {{"/a", 1.0, NULL}, {"/b", 0.5, NULL}, {"/c", 1.5, NULL},
                           {"/d", 0.5, NULL}, {"/e", 1.0, NULL}};
    void *aws[5];
    for (int i = 0; i < 5; i++) {
        pages[i].slots = slots;
        /* create_task(fetch(slots, path, seconds), name=path) */
        aws[i] = ll_create_task(ll_coro(fetch, ll_ptr(&pages[i])), pages[i].path);
    }
    ll_note("Five tasks, named by their pages, will ask for two slots. The first two "
            "get in; the other three line up behind the semaphore, in the order they "
            "asked.");
    ll_value sizes = ll_await(ll_gatherv(aws, 5, false));
    LL_TRY(sizes);
    ll_note("Never more than two fetches at once: the semaphore's counter went 2, "
            "1, 0 and back, and every waiter was let in first come, first served.");
    ll_print("sizes: %s", ll_repr(sizes));
    ll_print("5 pages, 2 at a time: %.1f s", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain, ll_none()));
}
