/* Lesson 8: futures.
 *
 * Python twin: lesson.py.  A future is a result that arrives later: main
 * awaits it, the deliver task fills it in.  Completing a future does not run
 * its waiters at once: it queues them (the done callback first, because it
 * was registered first), and the code that completed it goes on. */
#include <looplab.h>

/* async def deliver(fut, value, delay): */
static ll_value deliver(ll_args args) {
    ll_future *fut = ll_arg_ptr(args, 0);
    long long value = ll_arg_int(args, 1);
    double delay = ll_arg_float(args, 2);
    LL_TRY(ll_sleep(delay));                                /* await asyncio.sleep(delay) */
    ll_print("deliver: setting the result to %lld", value);
    LL_TRY(ll_future_set_result(fut, ll_int(value)));       /* fut.set_result(value) */
    ll_note("set_result queued the future's callbacks: the done callback, then main's "
            "wake-up. Neither has run yet: deliver still has the thread.");
    ll_print("deliver: result set, going on");
    return ll_none();
}

/* def on_done(fut): */
static void on_done(ll_future *fut, void *arg LL_UNUSED) {
    ll_print("callback: the future is done with %s", ll_pystr(ll_future_result(fut)));
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_future *fut = ll_future_new();                       /* fut = loop.create_future() */
    ll_future_add_done_callback(fut, on_done, NULL);        /* fut.add_done_callback(on_done) */
    ll_print("main: future done? %s", ll_pybool(ll_future_done(fut)));
    ll_task *courier = ll_create_task(ll_coro(deliver, fut, 42, 1), "courier");
    ll_note("main waits on the future; nothing in the program knows when it will be "
            "done, only the deliver task will make it so.");
    ll_value value = ll_await(fut);                         /* value = await fut */
    LL_TRY(value);
    ll_print("main: await gave %lld at %.1f s", value.i, ll_time() - start);
    ll_note("The future is already done: awaiting it again returns at once, without "
            "going through the loop.");
    ll_value again = ll_await(fut);                         /* again = await fut */
    ll_print("main: awaited again: %lld, still at %.1f s", again.i, ll_time() - start);
    LL_TRY(ll_await(courier));                              /* await courier */
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
