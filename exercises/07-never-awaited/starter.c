/* Exercise 7: main saves three records, then counts them.  Nothing is
 * saved, and the library prints a warning.  Make every save happen, in
 * order, before the count.  (starter.py: the same in Python.) */
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
        ll_coro(save, records[i]); /* save(db, record) */
    ll_print("db has %d records", saved);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
