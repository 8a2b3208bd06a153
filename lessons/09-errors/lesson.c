/* Lesson 9: errors.
 *
 * Python twin: lesson.py.  In C an exception is an error value: might_fail
 * returns ll_raise(LL_EVALUE, ...) where Python raises ValueError, and the
 * awaiter looks at what ll_await gave back where Python has try/except:
 * ll_except(r, LL_EVALUE) is `except ValueError:`, and any other error is
 * passed on (LL_TRY), as Python lets it through. */
#include <looplab.h>

/* async def might_fail(n): */
static ll_value might_fail(ll_args args) {
    long long n = ll_arg_int(args, 0);
    LL_TRY(ll_sleep(n * 0.1));                              /* await asyncio.sleep(n * 0.1) */
    if (n == 2)
        return ll_raise(LL_EVALUE, "bad input %lld", n);    /* raise ValueError(f"...") */
    ll_print("might_fail(%lld) ok", n);
    return ll_int(n * 10);                                  /* return n * 10 */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_value r = ll_await(ll_coro(might_fail, 2));          /* try: await might_fail(2) */
    if (ll_except(r, LL_EVALUE))                            /* except ValueError as e: */
        ll_print("caught: %s", ll_pystr(r));                /*     print(f"caught: {e}") */
    else
        LL_TRY(r);

    ll_note("gather starts three tasks. The second fails at t = 0.4 s: gather hands "
            "the error to main at once, while the third task is still asleep.");
    /* try: await asyncio.gather(might_fail(1), might_fail(2), might_fail(3)) */
    r = ll_await(ll_gather(ll_coro(might_fail, 1), ll_coro(might_fail, 2), ll_coro(might_fail, 3)));
    if (ll_except(r, LL_EVALUE))                            /* except ValueError as e: */
        ll_print("gather raised: %s", ll_pystr(r));
    else
        LL_TRY(r);
    ll_note("The third task was not cancelled: it finishes while main sleeps.");
    LL_TRY(ll_sleep(0.5));                                  /* await asyncio.sleep(0.5) */

    ll_value results = ll_await(ll_gather_return_exceptions(
        ll_coro(might_fail, 1), ll_coro(might_fail, 2), ll_coro(might_fail, 3)));
    LL_TRY(results);
    ll_note("With return_exceptions, gather waits for all three and keeps each "
            "error in its place in the list.");
    ll_print("with return_exceptions: %s", ll_repr(results));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain));                          /* asyncio.run(main()) */
}
