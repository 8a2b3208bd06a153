/* Exercise 6: two transfers between the same two accounts.  Each locks the
 * account it takes money from, then the one it pays into.  Run it: they get
 * stuck, and the watchdog in main gives up after 5 s.  Fix the transfers so
 * that both always finish.  (starter.py: the same in Python.) */
#include <looplab.h>
#include <string.h>

static ll_lock *alice, *bob;

static ll_lock *account(const char *name) {
    return strcmp(name, "alice") == 0 ? alice : bob;
}

/* async def transfer(name, src, dst): */
static ll_value transfer(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    const char *src = ll_arg_str(args, 1), *dst = ll_arg_str(args, 2);
    LL_TRY(ll_lock_enter(account(src))); /* async with accounts[src]: */
    ll_print("%s: locked %s", name, src);
    ll_value r = ll_sleep(0.1); /* read the balance */
    if (!ll_failed(r))
        r = ll_lock_enter(account(dst)); /* async with accounts[dst]: */
    if (!ll_failed(r)) {
        ll_print("%s: locked %s", name, dst);
        r = ll_lock_exit(account(dst), ll_sleep(0.1)); /* write both balances */
    }
    LL_TRY(ll_lock_exit(account(src), r));
    ll_print("%s: done", name);
    return ll_none();
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    alice = ll_lock_new("alice");
    bob = ll_lock_new("bob");
    void *tasks[] = {ll_create_task(ll_coro(transfer, "t1", "alice", "bob"), "t1"),
                     ll_create_task(ll_coro(transfer, "t2", "bob", "alice"), "t2")};
    bool done[2];
    LL_TRY(ll_wait(tasks, 2, 5.0, LL_ALL_COMPLETED, done)); /* the watchdog */
    if (done[0] && done[1]) {
        ll_print("both transfers done");
        return ll_none();
    }
    ll_print("stuck: [%s%s%s]", done[0] ? "" : "'t1'", !done[0] && !done[1] ? ", " : "",
             done[1] ? "" : "'t2'");
    for (int i = 0; i < 2; i++)
        if (!done[i])
            ll_task_cancel(tasks[i]);
    LL_TRY(ll_await(ll_gather_return_exceptions(tasks[0], tasks[1])));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
