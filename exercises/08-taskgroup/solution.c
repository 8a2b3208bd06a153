/* Exercise 8, a solution: a TaskGroup owns its tasks.  When the hotel
 * fails, the group cancels the flight and the car, waits for them to finish
 * cancelling, and gives the failure as an ExceptionGroup error. */
#include <looplab.h>

/* async def book(what, seconds, fail=False): */
static ll_value book(ll_args args) {
    const char *what = ll_arg_str(args, 0);
    bool fail = ll_nargs(args) > 2 && ll_arg_bool(args, 2);
    ll_print("%s: booking", what);
    ll_value r = ll_sleep(ll_arg_float(args, 1)); /* stands for the booking site */
    if (ll_except(r, LL_ECANCELLED)) {
        ll_print("%s: cancelled", what);
        return r;
    }
    if (fail)
        return ll_raise(LL_EVALUE, "no %s available", what);
    ll_print("%s: booked", what);
    return ll_str(what);
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_taskgroup *tg = ll_taskgroup_enter(); /* async with asyncio.TaskGroup() as tg: */
    ll_taskgroup_create_task(tg, ll_coro(book, "flight", 1.0), "flight");
    ll_taskgroup_create_task(tg, ll_coro(book, "hotel", 0.5, true), "hotel");
    ll_taskgroup_create_task(tg, ll_coro(book, "car", 1.5), "car");
    ll_value r = ll_taskgroup_exit(tg, ll_none());
    if (ll_except(r, LL_EEXCEPTION_GROUP)) /* except* ValueError as eg: */
        ll_print("trip failed: %s", ll_errmsg(ll_taskgroup_error(tg, 0)));
    else if (ll_failed(r))
        return r;
    else
        ll_print("trip booked");
    LL_TRY(ll_sleep(2)); /* write to the customer */
    ll_print("customer told");
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
