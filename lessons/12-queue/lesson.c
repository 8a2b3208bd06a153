/* Lesson 12: producer, consumers and a bounded queue.
 *
 * Python twin: lesson.py.  put waits only when the queue is full, get only
 * when it is empty; join waits until task_done has been called once for
 * every item that was put. */
#include <looplab.h>
#include <stdio.h>

typedef struct worker_args {
    const char *name;
    ll_queue *q;
    double pace;
} worker_args;

static char job_names[16][8];

/* async def producer(q, n): */
static ll_value producer(ll_value arg) {
    ll_queue *q = arg.p;
    for (int i = 0; i < 6; i++) {
        snprintf(job_names[i], sizeof job_names[i], "job%d", i);
        if (i == 2)
            ll_note("The queue holds two jobs: it is full. put() waits until a worker "
                    "takes one out - that is back-pressure.");
        LL_TRY(ll_queue_put(q, ll_str(job_names[i])));   /* await q.put(f"job{i}") */
        ll_print("produced %s (queue holds %zu)", job_names[i], ll_queue_qsize(q));
    }
    return ll_none();
}

/* async def worker(name, q, pace): */
static ll_value worker(ll_value arg) {
    const worker_args *w = arg.p;
    for (;;) {
        ll_value job = ll_queue_get(w->q);               /* job = await q.get() */
        LL_TRY(job);
        ll_print("%s took %s", w->name, job.s);
        LL_TRY(ll_sleep(w->pace));
        ll_print("%s finished %s", w->name, job.s);
        ll_queue_task_done(w->q);                        /* q.task_done() */
    }
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    double start = ll_time();
    ll_queue *q = ll_queue_new(2, "jobs");               /* asyncio.Queue(maxsize=2) */
    static worker_args w1, w2;
    w1 = (worker_args){"w1", q, 1.0};
    w2 = (worker_args){"w2", q, 1.3};
    ll_task *workers[2] = {ll_create_task(ll_coro(worker, ll_ptr(&w1)), "w1"),
                           ll_create_task(ll_coro(worker, ll_ptr(&w2)), "w2")};
    LL_TRY(ll_await(ll_coro(producer, ll_ptr(q))));
    ll_print("producer: everything is queued; waiting for join()");
    ll_note("join() waits for task_done() to be called once per job put, not for "
            "the queue to be empty: the last two jobs are still being worked on.");
    LL_TRY(ll_queue_join(q));                            /* await q.join() */
    ll_print("all jobs done at %.1f s", ll_time() - start);
    ll_note("The workers loop for ever, so main cancels them: each gets a "
            "CancelledError at its get().");
    for (int i = 0; i < 2; i++)
        ll_task_cancel(workers[i]);
    ll_await(ll_gather_return_exceptions(workers[0], workers[1]));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain, ll_none()));
}
