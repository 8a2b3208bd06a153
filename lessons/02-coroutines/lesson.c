/* Lesson 2: a coroutine object does nothing until it is awaited.
 *
 * Python twin: lesson.py.  ll_coro(greet, "Ada") is Python's greet("Ada"): it
 * makes the coroutine object and runs nothing.  ll_await runs it, right here,
 * in the task that awaits it: no new task, no trip through the ready queue. */
#include <looplab.h>

/* async def greet(name): */
static ll_value greet(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_note("greet runs only now, inside main's task, because main awaited it.");
    ll_print("Hello, %s!", name);                           /* print(f"Hello, {name}!") */
    LL_TRY(ll_sleep(1));                                    /* await asyncio.sleep(1) */
    return ll_str(ll_format("greeted %s", name));           /* return f"greeted {name}" */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                               /* start = loop.time() */
    ll_coro *coro = ll_coro(greet, "Ada");                  /* coro = greet("Ada") */
    ll_note("coro is a coroutine object: calling greet made it, but none of greet's "
            "code has run. Look at the trace: no print, no task.");
    ll_print("Made a coroutine object; greet has not run yet.");
    ll_value result = ll_await(coro);                       /* result = await coro */
    LL_TRY(result);
    ll_note("While greet slept, main was suspended with it: they are one task.");
    ll_print("await gave back: %s", result.s);
    ll_print("Time passed: %.1f s", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain));                          /* asyncio.run(main()) */
}
