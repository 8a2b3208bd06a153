/* Exercise 12: main checks three sites at once and prints a line per site.
 * Site b is down: its check fails, gather passes the error on, and the
 * program dies without a word about a or c.  Print every site's outcome,
 * in the order of the sites, error or not, and end normally.
 * (starter.py: the same in Python.) */
#include <looplab.h>

/* async def check_site(name, seconds, down=False): */
static ll_value check_site(ll_args args) {
    const char *name = ll_arg_str(args, 0);
    LL_TRY(ll_sleep(ll_arg_float(args, 1))); /* stands for the request */
    if (ll_nargs(args) > 2 && ll_arg_bool(args, 2))
        return ll_raise(LL_ECONNECTION_REFUSED, "%s is down", name);
    return ll_str(ll_format("%s: ok", name));
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_value results = ll_await(ll_gather(ll_coro(check_site, "a", 0.2),
                                          ll_coro(check_site, "b", 0.1, true),
                                          ll_coro(check_site, "c", 0.3)));
    LL_TRY(results);
    for (size_t i = 0; i < ll_list_len(results); i++)
        ll_print("%s", ll_list_at(results, i).s);
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
