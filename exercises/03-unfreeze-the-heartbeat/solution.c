/* Exercise 3, a solution: ll_to_thread (asyncio.to_thread) runs make_report
 * on a worker thread; main awaits it like any coroutine, and the loop goes on
 * beating meanwhile. */
#include <looplab.h>

/* def make_report(name): a plain function, not a coroutine */
static ll_value make_report(ll_args args) {
    ll_blocking_sleep(0.5); /* time.sleep(0.5): the thread does nothing else meanwhile */
    return ll_str(ll_format("report %s", ll_arg_str(args, 0)));
}

/* async def heartbeat(beats): */
static ll_value heartbeat(ll_args args) {
    for (long long i = 0; i < ll_arg_int(args, 0); i++) {
        ll_print("beat %lld", i);
        LL_TRY(ll_sleep(0.2));
    }
    return ll_none();
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_task *beats = ll_create_task(ll_coro(heartbeat, 4), "heartbeat");
    LL_TRY(ll_sleep(0)); /* let the heartbeat take its first beat */
    /* report = await asyncio.to_thread(make_report, "Q3") */
    ll_value report = ll_await(ll_to_thread(make_report, "Q3"));
    LL_TRY(report);
    ll_print("got %s", report.s);
    return ll_await(beats);
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
