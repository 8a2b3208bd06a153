/* Lesson 16: async generators.
 *
 * Python twin: lesson.py.  readings() is an async generator: it awaits a
 * sleep, hands out one value with ll_yield (Python's `yield`), and waits to
 * be asked for the next.  LL_ASYNC_FOR is `async for`: it pulls values with
 * ll_anext until the generator ends.  The generator runs inside the
 * consuming task: when it sleeps, that task sleeps. */
#include <looplab.h>

#include <string.h>

/* async def readings(name, count, delay): */
static ll_value readings(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_print("%s: starting", name);
    ll_value r = ll_none();                                 /* try: */
    for (long long i = 0; i < ll_arg_int(args, 1) && !ll_failed(r); i++) {
        r = ll_sleep(ll_arg_float(args, 2));                /* await asyncio.sleep(delay) */
        if (!ll_failed(r))                                  /* (cancelled: clean up) */
            r = ll_yield(ll_str(ll_format("%s reading %lld", name, i))); /* yield */
    }
    ll_print("%s: cleaning up", name);                      /* finally: */
    return r;                                               /* (GeneratorExit goes on) */
}

/* async def faulty_sensor(): */
static ll_value faulty_sensor(LL_NOARGS) {
    LL_TRY(ll_yield(ll_float(20.5)));                       /* yield 20.5 */
    LL_TRY(ll_sleep(0.2));
    return ll_raise(LL_EVALUE, "sensor unplugged");         /* raise ValueError */
}

/* async def consume(name, count, delay): */
static ll_value consume(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_value r;
    LL_ASYNC_FOR(r, ll_agen(readings, name, ll_arg(args, 1), ll_arg(args, 2))) /* async for r in */
        ll_print("task %s got %s", name, r.s);
    return r;                                               /* None, or the generator's error */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_value r;
    ll_note("Nothing runs when the generator is made. The first ll_anext starts it: it prints, "
            "sleeps, and hands back its first reading, all inside this task.");
    LL_ASYNC_FOR(r, ll_agen(readings, "thermo", 3, 0.5))    /* async for r in readings */
        ll_print("got %s", r.s);
    LL_TRY(r);

    ll_agen *gen = ll_agen(readings, "baro", 10, 0.3);      /* gen = readings("baro", 10, 0.3) */
    while (ll_anext(gen, &r)) {                             /* async for r in gen: */
        ll_print("got %s", r.s);
        if (r.s[strlen(r.s) - 1] == '1')                    /* if r.endswith("1"): */
            break;
    }
    ll_print("stopped early; closing");
    ll_note("baro is parked at its yield with 8 readings to go. aclose() resumes it once more: "
            "ll_yield returns GeneratorExit, and the generator runs its cleanup and returns.");
    LL_TRY(ll_aclose(gen));                                 /* await gen.aclose() */

    ll_note("Two tasks, each driving its own generator: their sleeps interleave on the loop "
            "like any other awaits.");
    LL_TRY(ll_await(ll_gather(ll_coro(consume, "a", 2, 0.4), ll_coro(consume, "b", 2, 0.5))));

    LL_ASYNC_FOR(r, ll_agen(faulty_sensor))                 /* async for v in faulty_sensor(): */
        ll_print("faulty sensor gave %s", ll_pystr(r));
    if (ll_except(r, LL_EVALUE)) {                          /* except ValueError as e: */
        ll_note("The generator returned an error instead of a value: it comes out of the "
                "consumer's async for, where it can be handled.");
        ll_print("the generator failed: %s", ll_errmsg(r));
    } else if (ll_failed(r)) {
        return r;
    }
    return ll_none();
}

int main(void) { return ll_run(ll_coro(amain)); }
