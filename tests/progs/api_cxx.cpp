// api_cxx.cpp - <looplab.h> seen from C++: every declaration of the public
// headers (and of what their macros expand to) must compile there as well,
// inside extern "C", with -Wall -Wextra -Werror -pedantic.  The calls below
// are those whose macros are plain C++ too; ll_coro with arguments,
// ll_tuple, ll_agen and LL_PARAMS box their arguments with C11's _Generic
// and compound literals, so they are for C programs.  tests/py/test_api.py
// compiles this file; it is not run.
#include <looplab.h>

static ll_value child(ll_args arg) {
    ll_print("child %lld", arg.i);
    return ll_int(arg.i * 2);
}

static ll_value amain(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(child), "child");
    LL_TRY(ll_sleep(0.5));
    ll_value r = ll_await(t);
    if (ll_except(r, LL_ECANCELLED))
        return r;
    ll_value both = ll_await(ll_gather(ll_coro(child), ll_sleep_coro(0)));
    ll_print("%s %zu", ll_repr(both), ll_list_len(both));
    ll_queue *q = ll_queue_new(0, "q");
    LL_TRY(ll_queue_put(q, ll_str("item")));
    LL_TRY(ll_wait_for(ll_queue_get_coro(q), 1.0));
    return ll_float(ll_time());
}

int main() { return ll_run(ll_coro(amain)); }
