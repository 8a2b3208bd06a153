/* Lesson 13: timeouts.
 *
 * Python twin: lesson.py.  ll_wait_for(aw, t) is asyncio.wait_for; the
 * timeout block is ll_timeout_enter(...) ... ll_timeout_exit(to, result)
 * around the code it limits.  When time is up the work is cancelled; the
 * caller gets a TimeoutError (LL_ETIMEOUT). */
#include <looplab.h>
#include <stdio.h>

typedef struct q_args {
    const char *name;
    double seconds;
} q_args;

/* async def query(name, seconds): */
static ll_value query(ll_value arg) {
    const q_args *a = arg.p;
    ll_print("%s: started", a->name);
    if (ll_except(ll_sleep(a->seconds), LL_ECANCELLED)) { /* except CancelledError: */
        ll_print("%s: cancelled", a->name);
        return ll_raise(LL_ECANCELLED, "%s", "");        /* raise */
    }
    ll_print("%s: finished", a->name);
    static char results[4][32];
    static int k;
    char *r = results[k++ % 4];
    snprintf(r, 32, "%s result", a->name);
    return ll_str(r);
}

/* The body of the `async with asyncio.timeout(1.5):` block. */
static ll_value two_steps(ll_value unused) {
    (void)unused;
    static q_args s1 = {"step 1", 1}, s2 = {"step 2", 1};
    LL_TRY(ll_await(ll_coro(query, ll_ptr(&s1))));
    LL_TRY(ll_await(ll_coro(query, ll_ptr(&s2))));
    return ll_none();
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    double start = ll_time();
    static q_args fast = {"fast query", 0.5}, slow = {"slow query", 3};
    ll_value r = ll_wait_for(ll_coro(query, ll_ptr(&fast)), 1);
    LL_TRY(r);
    ll_print("got: %s", r.s);
    ll_note("wait_for runs the query as a task and arms a 1 s timer beside it. "
            "Whichever finishes first decides.");
    r = ll_wait_for(ll_coro(query, ll_ptr(&slow)), 1);
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("wait_for gave up at %.1f s", ll_time() - start);
    ll_note("A timeout block limits everything inside it: here two steps of 1 s "
            "each, with 1.5 s for both.");
    ll_timeout *to = ll_timeout_enter(1.5);              /* async with asyncio.timeout(1.5): */
    r = ll_timeout_exit(to, ll_await(ll_coro(two_steps, ll_none())));
    if (ll_except(r, LL_ETIMEOUT))
        ll_print("the timeout block gave up at %.1f s", ll_time() - start);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain, ll_none()));
}
