/* Exercise 5, a solution: ll_queue_join (q.join()) waits until task_done
 * has been called once for every job put in; then main cancels the workers,
 * which loop for ever waiting at their get. */
#include <looplab.h>

static int finished; /* jobs finished so far */

/* async def worker(name, q): */
static ll_value worker(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_queue *q = ll_arg_ptr(args, 1);
    for (;;) {
        ll_value job = ll_queue_get(q); /* job = await q.get() */
        LL_TRY(job);
        ll_print("%s took %s", name, job.s);
        LL_TRY(ll_sleep(0.5)); /* the work */
        finished++;
        LL_TRY(ll_queue_task_done(q)); /* q.task_done() */
    }
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_queue *q = ll_queue_new(0, "jobs"); /* q = asyncio.Queue() */
    ll_task *workers[] = {ll_create_task(ll_coro(worker, "w1", q), "w1"),
                          ll_create_task(ll_coro(worker, "w2", q), "w2")};
    for (int i = 0; i < 6; i++)
        LL_TRY(ll_queue_put(q, ll_str(ll_format("job%d", i))));
    LL_TRY(ll_queue_join(q)); /* await q.join(): every job has had its task_done */
    ll_print("%d jobs finished", finished);
    for (int i = 0; i < 2; i++)
        ll_task_cancel(workers[i]);
    LL_TRY(ll_await(ll_gather_return_exceptions(workers[0], workers[1])));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
