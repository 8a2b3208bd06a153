/* Lesson 12: producer, consumers and a bounded queue.
 *
 * Python twin: lesson.py.  put waits only when the queue is full, get only
 * when it is empty; join waits until task_done has been called once for
 * every item that was put. */
#include <looplab.h>

/* async def producer(q, n): */
static ll_value producer(ll_args args) {
    ll_queue *q = ll_arg_ptr(args, 0);
    long long n = ll_arg_int(args, 1);
    for (long long i = 0; i < n; i++) {                     /* for i in range(n): */
        if (i == 2)
            ll_note("The queue holds two jobs: it is full. put() waits until a worker "
                    "takes one out - that is back-pressure.");
        LL_TRY(ll_queue_put(q, ll_str(ll_format("job%lld", i)))); /* await q.put(f"job{i}") */
        ll_print("produced job%lld (queue holds %zu)", i, ll_queue_qsize(q));
    }
    return ll_none();
}

/* async def worker(name, q, pace): */
static ll_value worker(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_queue *q = ll_arg_ptr(args, 1);
    double pace = ll_arg_float(args, 2);
    for (;;) {                                              /* while True: */
        ll_value job = ll_queue_get(q);                     /* job = await q.get() */
        LL_TRY(job);
        ll_print("%s took %s", name, job.s);
        LL_TRY(ll_sleep(pace));                             /* await asyncio.sleep(pace) */
        ll_print("%s finished %s", name, job.s);
        LL_TRY(ll_queue_task_done(q));                      /* q.task_done() */
    }
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_queue *q = ll_queue_new(2, "jobs");                  /* q = asyncio.Queue(maxsize=2) */
    ll_task *workers[] = {ll_create_task(ll_coro(worker, "w1", q, 1.0), "w1"),
                          ll_create_task(ll_coro(worker, "w2", q, 1.3), "w2")};
    LL_TRY(ll_await(ll_coro(producer, q, 6)));              /* await producer(q, 6) */
    ll_print("producer: everything is queued; waiting for join()");
    ll_note("join() waits for task_done() to be called once per job put, not for "
            "the queue to be empty: the last two jobs are still being worked on.");
    LL_TRY(ll_queue_join(q));                               /* await q.join() */
    ll_print("all jobs done at %.1f s", ll_time() - start);
    ll_note("The workers loop for ever, so main cancels them: each gets a "
            "CancelledError at its get().");
    for (int i = 0; i < 2; i++)                             /* for w in workers: */
        ll_task_cancel(workers[i]);                         /* w.cancel() */
    /* await asyncio.gather(*workers, return_exceptions=True) */
    LL_TRY(ll_await(ll_gather_return_exceptions(workers[0], workers[1])));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
