/* Lesson 1: two coroutines, one gather.
 *
 * Python twin: lesson.py in this folder.  Each C line carries the Python line
 * it stands for.  Watch the ready queue: creating a task only queues it, and
 * nothing runs until main awaits. */
#include <looplab.h>

/* async def my_coroutine(delay): */
static ll_value my_coroutine(ll_args args) {
    long long delay = ll_arg_int(args, 0);
    ll_print("Coroutine started with delay: %lld", delay);
    ll_note(delay == 1
                ? "This task is about to sleep for 1 s. Sleeping means: arm a timer, "
                  "hand the thread back to the loop, and wait to be woken."
                : "Now both tasks are asleep. Nothing is ready, so the loop waits "
                  "for the earliest timer: the one due at t = 1 s.");
    LL_TRY(ll_sleep(delay));                                /* await asyncio.sleep(delay) */
    ll_print("Coroutine finished after %lld seconds", delay);
    return ll_int(delay * 2);                               /* return delay * 2 */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_task *task1 = ll_create_task(ll_coro(my_coroutine, 1), NULL);
    ll_task *task2 = ll_create_task(ll_coro(my_coroutine, 2), NULL);
    ll_note("Two tasks are in the ready queue, but neither has run yet: main "
            "still has the thread, and keeps it until it awaits something.");
    ll_value results = ll_await(ll_gather(task1, task2));   /* await asyncio.gather(...) */
    LL_TRY(results);
    ll_note("gather hands back the results in the order the tasks were given, "
            "not the order they finished. The whole run took 2 s, not 1 + 2 = 3 s.");
    ll_print("Results: %s", ll_repr(results));              /* print(f"Results: {results}") */
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain));                          /* asyncio.run(main()) */
}
