/* Exercise 4, a solution: ll_wait_for (asyncio.wait_for) gives each quote
 * 1 s.  When the time is up it cancels the request and gives a TimeoutError
 * value, which ask turns into "no quote"; the others are not held up. */
#include <looplab.h>

static const char *NAMES[] = {"fast", "slow", "steady"};
static const double SECONDS[] = {0.3, 10.0, 0.8};

/* async def quote(name, seconds): */
static ll_value quote(ll_args args) {
    double seconds = ll_arg_float(args, 1);
    LL_TRY(ll_sleep(seconds)); /* stands for the request */
    return ll_int((long long)(seconds * 100 + 0.5));
}

/* async def ask(task): */
static ll_value ask(ll_args args) {
    ll_task *task = ll_arg_ptr(args, 0);
    ll_value price = ll_wait_for(task, 1.0); /* await asyncio.wait_for(task, 1.0) */
    if (ll_except(price, LL_ETIMEOUT)) {
        ll_print("%s: no quote within 1 s", ll_task_name(task));
        return ll_none();
    }
    LL_TRY(price);
    ll_print("%s: %lld", ll_task_name(task), price.i);
    return price;
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    void *asks[3];
    for (int i = 0; i < 3; i++) {
        ll_task *t = ll_create_task(ll_coro(quote, NAMES[i], SECONDS[i]), NAMES[i]);
        asks[i] = ll_coro(ask, t);
    }
    ll_value prices = ll_await(ll_gatherv(asks, 3, false));
    LL_TRY(prices);
    ll_print("quotes: %s", ll_repr(prices));
    return ll_none();
}

int main(void) {
    return ll_run(ll_coro(amain)); /* asyncio.run(main()) */
}
