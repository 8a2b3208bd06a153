/* Exercise 4: three price quotes, gathered.  One supplier ("slow") takes
 * 10 s to answer and holds everybody up.  Give each quote at most 1 s: a
 * quote that is late is dropped (and its request cancelled), the others are
 * printed as soon as all are in or out.  (starter.py: the same in Python.) */
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
    ll_value price = ll_await(task);
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
