/* Lesson 10: cancellation.
 *
 * Python twin: lesson.py.  ll_task_cancel does not stop the task on the spot:
 * the task's sleep ends early with LL_ECANCELLED (Python's CancelledError)
 * the next time the task runs.  The worker cleans up and passes the error on
 * (`return r;` is Python's bare `raise`), so the task ends cancelled. */
#include <looplab.h>

/* async def worker(): */
static ll_value worker(LL_NOARGS) {
    ll_print("worker: starting a long job");
    ll_value r = ll_sleep(10);                              /* try: await asyncio.sleep(10) */
    if (ll_except(r, LL_ECANCELLED)) {                      /* except asyncio.CancelledError: */
        ll_note("The cancellation arrived here, at the await where the worker was "
                "suspended. It can clean up now.");
        ll_print("worker: cancelled, cleaning up");
        return r;                                           /* raise */
    }
    ll_print("worker: finished (never printed)");
    return ll_none();
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_task *task = ll_create_task(ll_coro(worker), "worker");
    LL_TRY(ll_sleep(1));                                    /* await asyncio.sleep(1) */
    bool accepted = ll_task_cancel(task);                   /* task.cancel() */
    ll_note("cancel() only asked: the worker is still asleep. Its timer is cancelled "
            "and it is queued to run, to receive the CancelledError.");
    ll_print("main: cancel() -> %s", ll_pybool(accepted));
    ll_print("main: cancelled yet? %s", ll_pybool(ll_task_cancelled(task)));
    ll_value r = ll_await(task);                            /* try: await task */
    if (ll_except(r, LL_ECANCELLED))                        /* except asyncio.CancelledError: */
        ll_print("main: the task is cancelled: %s", ll_pybool(ll_task_cancelled(task)));
    ll_print("main: cancel() again -> %s", ll_pybool(ll_task_cancel(task)));
    ll_print("main: %.1f s, not 10", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain));                          /* asyncio.run(main()) */
}
