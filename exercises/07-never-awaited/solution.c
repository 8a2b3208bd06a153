/* Exercise 7, a solution: ll_coro(save, r) only makes a coroutine object;
 * ll_await runs it.  Awaiting each in turn saves them in order, before the
 * count. */
#include <looplab.h>

static int saved; /* records in the database */

/* async def save(record): */
static ll_value save(ll_args args) {
    LL_TRY(ll_sleep(0.1)); /* stands for the database */
    saved++;
    ll_print("saved %s", ll_arg_str(args, 0));
    return ll_none();
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    const char *records[] = {"x", "y", "z"};
    for (int i = 0; i < 3; i++)
        LL_TRY(ll_await(ll_coro(save, records[i]))); /* await save(db, record) */
    ll_print("db has %d records", saved);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
