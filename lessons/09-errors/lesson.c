/* Lesson 9: errors.
 *
 * Python twin: lesson.py.  In C an exception is an error value: might_fail
 * returns ll_raise(LL_EVALUE, ...) where Python raises ValueError, and the
 * awaiter looks at what ll_await gave back where Python has try/except. */
#include <looplab.h>

/* async def might_fail(n): */
static ll_value might_fail(ll_value n) {
    LL_TRY(ll_sleep(n.i * 0.1));                         /* await asyncio.sleep(n * 0.1) */
    if (n.i == 2)                                        /* raise ValueError(...) */
        return ll_raise(LL_EVALUE, "bad input %lld", (long long)n.i);
    ll_print("might_fail(%lld) ok", (long long)n.i);
    return ll_int(n.i * 10);
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    ll_value r = ll_await(ll_coro(might_fail, ll_int(2)));
    if (ll_except(r, LL_EVALUE))                         /* except ValueError as e: */
        ll_print("caught: %s", ll_errmsg(r));

    ll_note("gather starts three tasks. The second fails at t = 0.4 s: gather hands "
            "the error to main at once, while the third task is still asleep.");
    r = ll_await(ll_gather(ll_coro(might_fail, ll_int(1)), ll_coro(might_fail, ll_int(2)),
                           ll_coro(might_fail, ll_int(3))));
    if (ll_except(r, LL_EVALUE))
        ll_print("gather raised: %s", ll_errmsg(r));
    ll_note("The third task was not cancelled: it finishes while main sleeps.");
    LL_TRY(ll_sleep(0.5));

    ll_value results = ll_await(ll_gather_return_exceptions(
        ll_coro(might_fail, ll_int(1)), ll_coro(might_fail, ll_int(2)),
        ll_coro(might_fail, ll_int(3))));
    ll_note("With return_exceptions, gather waits for all three and keeps each "
            "error in its place in the list.");
    ll_print("with return_exceptions: %s", ll_repr(results));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain, ll_none()));
}
