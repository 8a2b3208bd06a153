/* Exercise 3: a heartbeat should beat every 0.2 s while a report is made,
 * but make_report is an ordinary blocking function (like a library with no
 * async support), and calling it freezes the loop.  Keep the loop free.
 * (starter.py is the same in Python.) */
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
    ll_value report = make_report(ll_str("Q3")); /* report = make_report("Q3") */
    ll_print("got %s", report.s);
    return ll_await(beats);
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
