/* Exercise 12, a solution: ll_gather_return_exceptions (return_exceptions=
 * True) puts each error in the result list, at its place, instead of giving
 * the first one; main then tells results from errors. */
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
    const char *names[] = {"a", "b", "c"};
    ll_value results = ll_await(ll_gather_return_exceptions(ll_coro(check_site, "a", 0.2),
                                                            ll_coro(check_site, "b", 0.1, true),
                                                            ll_coro(check_site, "c", 0.3)));
    LL_TRY(results);
    for (size_t i = 0; i < ll_list_len(results); i++) {
        ll_value r = ll_list_at(results, i);
        if (ll_failed(r)) /* if isinstance(r, Exception): */
            ll_print("%s: failed (%s: %s)", names[i], ll_err_name(ll_errcode(r)), ll_errmsg(r));
        else
            ll_print("%s", r.s);
    }
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
