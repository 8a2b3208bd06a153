/* Exercise 10, a solution: create both tasks first, then await them.  A
 * task starts at the next pause of the task that made it, so both are
 * brewing while main waits for the first. */
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
    ll_task *coffee = ll_create_task(ll_coro(brew, "coffee", 1.5), "coffee");
    LL_TRY(ll_await(tea));
    LL_TRY(ll_await(coffee));
    ll_print("both ready: %s, %s", ll_task_result(tea).s, ll_task_result(coffee).s);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
