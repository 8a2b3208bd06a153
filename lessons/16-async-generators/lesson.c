/* Lesson 16: async generators.
 *
 * Python twin: lesson.py.  readings() is an async generator: it awaits a
 * sleep, hands out one value with ll_yield (Python's `yield`), and waits to
 * be asked for the next.  The consumer pulls values with ll_anext, which is
 * what `async for` does behind the scenes.  The generator runs inside the
 * consuming task: when it sleeps, that task sleeps. */
#include <looplab.h>

#include <stdio.h>
#include <string.h>

typedef struct sensor {
    const char *name;
    int count;
    double delay;
    char value[64]; /* the reading handed out last (borrowed by the consumer) */
} sensor;

/* async def readings(name, count, delay): */
static ll_value readings(ll_value arg) {
    sensor *s = arg.p;
    ll_print("%s: starting", s->name);
    ll_value r = ll_none();
    for (int i = 0; i < s->count; i++) {
        r = ll_sleep(s->delay);                             /* await asyncio.sleep(delay) */
        if (ll_failed(r))
            break;                                          /* cancelled: clean up */
        snprintf(s->value, sizeof s->value, "%s reading %d", s->name, i);
        if (ll_except(ll_yield(ll_str(s->value)), LL_EGENERATOR_EXIT)) /* yield ... */
            break;                                          /* aclose(): clean up */
    }
    ll_print("%s: cleaning up", s->name);                   /* finally: */
    return r;                                               /* (a cancellation goes on) */
}

/* async def faulty_sensor(): */
static ll_value faulty_sensor(ll_value unused) {
    (void)unused;
    if (ll_failed(ll_yield(ll_float(20.5))))                /* yield 20.5 */
        return ll_none();
    LL_TRY(ll_sleep(0.2));
    return ll_raise(LL_EVALUE, "sensor unplugged");         /* raise ValueError(...) */
}

/* async def consume(name, count, delay): */
static ll_value consume(ll_value arg) {
    sensor *s = arg.p;
    ll_agen *g = ll_agen(readings, arg);
    ll_value r;
    while (ll_anext(g, &r))                                 /* async for r in readings(...): */
        ll_print("task %s got %s", s->name, r.s);
    return r;                                               /* None, or the generator's error */
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    static sensor thermo = {"thermo", 3, 0.5, ""}, baro = {"baro", 10, 0.3, ""};
    static sensor a = {"a", 2, 0.4, ""}, b = {"b", 2, 0.5, ""};
    ll_value r;

    ll_note("Nothing runs when the generator is made. The first ll_anext starts it: it prints, "
            "sleeps, and hands back its first reading, all inside this task.");
    ll_agen *g = ll_agen(readings, ll_ptr(&thermo));
    while (ll_anext(g, &r))                                 /* async for r in readings(...): */
        ll_print("got %s", r.s);
    LL_TRY(r);

    g = ll_agen(readings, ll_ptr(&baro));
    while (ll_anext(g, &r)) {
        ll_print("got %s", r.s);
        if (r.s[strlen(r.s) - 1] == '1')
            break;
    }
    ll_print("stopped early; closing");
    ll_note("baro is parked at its yield with 8 readings to go. aclose() resumes it once more: "
            "ll_yield returns GeneratorExit, and the generator runs its cleanup and returns.");
    LL_TRY(ll_aclose(g));                                   /* await gen.aclose() */

    ll_note("Two tasks, each driving its own generator: their sleeps interleave on the loop "
            "like any other awaits.");
    LL_TRY(ll_await(ll_gather(ll_coro(consume, ll_ptr(&a)), ll_coro(consume, ll_ptr(&b)))));

    g = ll_agen(faulty_sensor, ll_none());
    while (ll_anext(g, &r))
        ll_print("faulty sensor gave %s", ll_repr(r));
    if (ll_failed(r)) {                                     /* except ValueError as e: */
        ll_note("The generator returned an error instead of a value: it comes out of the "
                "consumer's async for, where it can be handled.");
        ll_print("the generator failed: %s", ll_errmsg(r));
    }
    return ll_none();
}

int main(void) { return ll_run(ll_coro(amain, ll_none())); }
