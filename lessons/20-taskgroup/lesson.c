/* Lesson 20: structured concurrency with TaskGroup.
 *
 * Python twin: lesson.py (`async with asyncio.TaskGroup() as tg:`, Python
 * 3.11).  A task group owns the tasks made in it: leaving the group waits
 * for all of them, and when one fails the group cancels the rest, waits
 * for them to finish cancelling, and reports every failure together (an
 * ExceptionGroup).  No task is left running behind your back.  gather is
 * shown last for contrast: it passes on the first error at once and the
 * other tasks go on running.  The group's block is the code between
 * ll_taskgroup_enter() and ll_taskgroup_exit(tg, result). */
#include <looplab.h>

/* async def book(what, seconds, fail=False): */
static ll_value book(ll_args args) {
    const char *what = ll_arg_str(args, 0);
    bool fail = ll_nargs(args) > 2 && ll_arg_bool(args, 2); /* fail=False */
    ll_print("%s: booking", what);
    ll_value r = ll_sleep(ll_arg_float(args, 1));          /* try: await asyncio.sleep(seconds) */
    if (ll_except(r, LL_ECANCELLED)) {                     /* except asyncio.CancelledError: */
        ll_print("%s: cancelled", what);
        return r;                                          /*     raise */
    }
    if (fail)                                              /* if fail: */
        return ll_raise(LL_EVALUE, "no %s available", what); /* raise ValueError */
    ll_print("%s: booked", what);
    return ll_str(what);
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_print("Everything available, with a TaskGroup:");
    double start = ll_time();
    ll_taskgroup *tg = ll_taskgroup_enter();               /* async with TaskGroup() as tg: */
    ll_task *flight = ll_taskgroup_create_task(tg, ll_coro(book, "flight", 1), "flight");
    ll_task *hotel = ll_taskgroup_create_task(tg, ll_coro(book, "hotel", 2), "hotel");
    ll_task *car = ll_taskgroup_create_task(tg, ll_coro(book, "car", 1.5), "car");
    ll_note("Three tasks made in the group. Leaving the group (ll_taskgroup_exit, the "
            "end of the `async with` block) waits until every one of them is done.");
    LL_TRY(ll_taskgroup_exit(tg, ll_none()));
    ll_print("at %.1f s the trip is booked: %s, %s, %s", ll_time() - start,
             ll_task_result(flight).s, ll_task_result(hotel).s, ll_task_result(car).s);

    ll_print("No car left, with a TaskGroup:");
    start = ll_time();
    tg = ll_taskgroup_enter();                             /* try: async with TaskGroup() as tg: */
    ll_taskgroup_create_task(tg, ll_coro(book, "flight", 1), "flight");
    ll_taskgroup_create_task(tg, ll_coro(book, "hotel", 2), "hotel");
    ll_taskgroup_create_task(tg, ll_coro(book, "car", 1.5, true), "car");
    ll_note("This time the car fails 1.5 s in, at t = 3.5 s. Watch the group cancel the "
            "hotel, still waiting, and wait for it to finish cancelling before it reports.");
    ll_value r = ll_taskgroup_exit(tg, ll_none());
    if (ll_except(r, LL_EEXCEPTION_GROUP)) {               /* except* ValueError as eg: */
        ll_print("at %.1f s the group failed: %s", ll_time() - start, ll_errmsg(r));
        for (size_t i = 0; i < ll_taskgroup_nerrors(tg); i++) /* for e in eg.exceptions: */
            ll_print("  %s", ll_repr(ll_taskgroup_error(tg, i)));
    } else if (ll_failed(r)) {
        return r;
    }

    ll_print("No car left, with gather:");
    start = ll_time();
    ll_note("The same three bookings with gather. gather passes on the car's error 1.5 s "
            "in (t = 5.0 s), but nobody cancels the hotel: its task goes on, unowned.");
    flight = ll_create_task(ll_coro(book, "flight", 1), "flight");
    hotel = ll_create_task(ll_coro(book, "hotel", 2), "hotel");
    car = ll_create_task(ll_coro(book, "car", 1.5, true), "car");
    r = ll_await(ll_gather(flight, hotel, car));           /* try: await asyncio.gather(...) */
    if (ll_except(r, LL_EVALUE))                           /* except ValueError as e: */
        ll_print("at %.1f s gather raised %s", ll_time() - start, ll_repr(r));
    else if (ll_failed(r))
        return r;
    LL_TRY(ll_sleep(1));
    ll_print("at %.1f s: nobody cancelled the hotel", ll_time() - start);
    ll_note("The hotel was booked after the program had already given up on the trip. "
            "With a TaskGroup that cannot happen: the group's tasks end inside its block.");
    return ll_none();
}

int main(void) { return ll_run(ll_coro(amain)); }
