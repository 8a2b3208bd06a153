/* Lesson 4: create_task schedules; it does not run.
 *
 * Python twin: lesson.py.  The new task goes to the back of the ready queue.
 * main keeps the thread, so "Fetching data..." comes first; the task starts
 * when main awaits it. */
#include <looplab.h>

/* async def fetch_data(): */
static ll_value fetch_data(LL_NOARGS) {
    ll_print("Start fetching");
    ll_note("The task got the thread: main is waiting for it, and it was next in "
            "the ready queue.");
    LL_TRY(ll_sleep(2));                                    /* await asyncio.sleep(2) */
    ll_print("Done fetching");
    return ll_str("data");                                  /* return "data" */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    /* task = asyncio.create_task(fetch_data(), name="fetch_data") */
    ll_task *task = ll_create_task(ll_coro(fetch_data), "fetch_data");
    ll_note("The task exists and sits in the ready queue, but it has not run a "
            "single line: main still has the thread.");
    ll_print("Fetching data...");
    ll_print("task done yet? %s", ll_pybool(ll_task_done(task)));
    ll_value result = ll_await(task);                       /* result = await task */
    LL_TRY(result);
    ll_print("Result: %s", result.s);
    ll_print("task done now? %s", ll_pybool(ll_task_done(task)));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain));                          /* asyncio.run(main()) */
}
