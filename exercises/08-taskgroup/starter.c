/* Exercise 8: a trip needs a flight, a hotel and a car, booked at once.
 * The hotel fails; main reports it, but the flight and the car are still
 * booked a little later (and paid for).  When one booking fails, cancel the
 * others at once.  (starter.py: the same in Python.) */
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
    ll_task *flight = ll_create_task(ll_coro(book, "flight", 1.0), "flight");
    ll_task *hotel = ll_create_task(ll_coro(book, "hotel", 0.5, true), "hotel");
    ll_task *car = ll_create_task(ll_coro(book, "car", 1.5), "car");
    ll_value r = ll_await(ll_gather(flight, hotel, car));
    if (ll_except(r, LL_EVALUE))
        ll_print("trip failed: %s", ll_errmsg(r));
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
