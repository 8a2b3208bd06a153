/* Exercise 10: tea takes 1 s, coffee 1.5 s.  main makes a task for each,
 * yet they brew one after the other (2.5 s).  Keep the two tasks, and make
 * both brew at the same time.  (starter.py: the same in Python.) */
#include <looplab.h>

/* async def brew(drink, seconds): */
static ll_value brew(ll_args args) {
    const char *drink = ll_arg_str(args, 0);
    ll_print("%s: start", drink);
    LL_TRY(ll_sleep(ll_arg_float(args, 1)));
    ll_print("%s: ready", drink);
    return ll_str(drink);
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_task *tea = ll_create_task(ll_coro(brew, "tea", 1.0), "tea");
    LL_TRY(ll_await(tea));
    ll_task *coffee = ll_create_task(ll_coro(brew, "coffee", 1.5), "coffee");
    LL_TRY(ll_await(coffee));
    ll_print("both ready: %s, %s", ll_task_result(tea).s, ll_task_result(coffee).s);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
