/* Lesson 13: timeouts.
 *
 * Python twin: lesson.py.  ll_wait_for(aw, t) is asyncio.wait_for; the
 * `async with asyncio.timeout(1.5):` block is ll_timeout_enter(1.5) ...
 * ll_timeout_exit(to, result) around the code it limits.  When time is up
 * the work is cancelled; the caller gets a TimeoutError (LL_ETIMEOUT). */
#include <looplab.h>

/* async def query(name, seconds): */
static ll_value query(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_print("%s: started", name);
    ll_value r = ll_sleep(ll_arg_float(args, 1));          /* try: await asyncio.sleep(seconds) */
    if (ll_except(r, LL_ECANCELLED)) {                     /* except asyncio.CancelledError: */
        ll_print("%s: cancelled", name);
        return r;                                          /*     raise */
    }
    ll_print("%s: finished", name);
    return ll_str(ll_format("%s result", name));           /* return f"{name} result" */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    double start = ll_time();                              /* start = loop.time() */
    ll_value r = ll_wait_for(ll_coro(query, "fast query", 0.5), 1);
    LL_TRY(r);
    ll_print("got: %s", r.s);
    ll_note("wait_for runs the query as a task and arms a 1 s timer beside it. "
            "Whichever finishes first decides.");
    r = ll_wait_for(ll_coro(query, "slow query", 3), 1);   /* try: await asyncio.wait_for(...) */
    if (ll_except(r, LL_ETIMEOUT))                         /* except TimeoutError: */
        ll_print("wait_for gave up at %.1f s", ll_time() - start);
    else if (ll_failed(r))
        return r;
    ll_note("A timeout block limits everything inside it: here two steps of 1 s "
            "each, with 1.5 s for both.");
    ll_timeout *to = ll_timeout_enter(1.5);                /* async with asyncio.timeout(1.5): */
    r = ll_await(ll_coro(query, "step 1", 1));             /*     await query("step 1", 1) */
    if (!ll_failed(r))
        r = ll_await(ll_coro(query, "step 2", 1));         /*     await query("step 2", 1) */
    r = ll_timeout_exit(to, r);                            /* (the block's end) */
    if (ll_except(r, LL_ETIMEOUT))                         /* except TimeoutError: */
        ll_print("the timeout block gave up at %.1f s", ll_time() - start);
    else if (ll_failed(r))
        return r;
    return ll_none();
}

int main(void) { return ll_run(ll_coro(amain)); }
