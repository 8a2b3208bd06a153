/* Lesson 22: a gallery of pitfalls.
 *
 * Python twin: lesson.py.  Three mistakes that do not crash the program,
 * which is what makes them dangerous: a coroutine that is never awaited, a
 * task whose error nobody retrieves, and two tasks that wait for each
 * other for ever.  Each one prints nothing unusual; Looplab reports each
 * on stderr and as a warning in the trace (the red marks on the timeline),
 * the first two at the moments CPython does.  asyncio warns about the
 * first two; the third it leaves to you. */
#include <looplab.h>

static bool saved;                                          /* saved = False */

/* async def save_draft(): */
static ll_value save_draft(LL_NOARGS) {
    LL_TRY(ll_sleep(0.1));
    saved = true;                                           /* saved = True */
    return ll_none();
}

/* async def send_email(): */
static ll_value send_email(LL_NOARGS) {
    LL_TRY(ll_sleep(0.1));
    ll_print("send_email: the mail server refused the message");
    return ll_raise(LL_ECONNECTION_REFUSED, "mail server refused the message"); /* raise */
}

/* async def diner(name, first, first_name, second, second_name): */
static ll_value diner(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    ll_lock *first = ll_arg_ptr(args, 1), *second = ll_arg_ptr(args, 3);
    LL_TRY(ll_lock_enter(first));                           /* async with first: */
    ll_print("%s: has the %s, wants the %s", name, ll_arg_str(args, 2), ll_arg_str(args, 4));
    ll_value r = ll_sleep(0.1);
    if (!ll_failed(r) && !ll_failed(r = ll_lock_enter(second))) { /* async with second: */
        ll_print("%s: eats", name);
        r = ll_lock_exit(second, ll_none());
    }
    return ll_lock_exit(first, r);                          /* (leaving `async with first`) */
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_print("Pitfall 1: a coroutine that is never awaited");
    ll_coro(save_draft);                                    /* save_draft()  # forgot the await */
    ll_print("main: called save_draft() without await");
    ll_note("Calling a coroutine function only makes a coroutine object. Nothing runs "
            "until it is awaited or made into a task, so no task appears on the "
            "timeline for it. The warning comes when the object is thrown away: "
            "here, as main's step ends at t = 0, as in CPython.");
    LL_TRY(ll_sleep(0.5));
    ll_print("main: half a second later, saved = %s", ll_pybool(saved));

    ll_print("Pitfall 2: a task whose error nobody retrieves");
    ll_create_task(ll_coro(send_email), "send_email");      /* nobody keeps or awaits the task */
    ll_print("main: started send_email in a task, and moved on");
    LL_TRY(ll_sleep(0.5));
    ll_note("The task failed at t = 0.6 s, 0.1 s after it started (its lane ends in "
            "the cross-hatched 'failed' colour), but nobody awaits it, so the error "
            "goes nowhere. The 'Task exception was never retrieved' warning came at "
            "that moment, when nothing held the task any more, as in CPython.");
    ll_print("main: carried on as if the mail had gone out");

    ll_print("Pitfall 3: a deadlock");
    ll_lock *fork = ll_lock_new("fork"), *knife = ll_lock_new("knife");
    ll_note("A takes the fork then wants the knife; B takes the knife then wants the "
            "fork. 0.1 s later each waits for the lock the other holds: neither can ever "
            "go on. Looplab sees the cycle the moment it closes and warns; the loop "
            "itself keeps running (wait_for's timer is still armed).");
    double start = ll_time();
    ll_task *a = ll_create_task(ll_coro(diner, "A", fork, "fork", knife, "knife"), "A");
    ll_task *b = ll_create_task(ll_coro(diner, "B", knife, "knife", fork, "fork"), "B");
    ll_value r = ll_wait_for(ll_gather(a, b), 1.0);          /* try: await asyncio.wait_for(...) */
    if (ll_except(r, LL_ETIMEOUT))                          /* except TimeoutError: */
        ll_print("main: gave up after %.1f s: "
                 "A and B were waiting for each other", ll_time() - start);
    else if (ll_failed(r))
        return r;
    ll_note("Only the timeout broke the deadlock: at t = 2.0 s wait_for cancelled both "
            "tasks, and each let go of its lock as it unwound. The fix: take locks in one "
            "agreed order everywhere.");
    return ll_none();
}

int main(void) {
    ll_run(ll_coro(amain));
    return 0; /* the warnings are the point of this lesson, not a failure */
}
