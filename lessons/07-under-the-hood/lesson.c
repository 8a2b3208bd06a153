/* Lesson 7: under the hood.
 *
 * Python twin: lesson.py.  Besides tasks, the loop runs plain callbacks:
 * call_soon puts one at the back of the ready queue, call_later and call_at
 * arm timers.  And here the loop is made, run and closed by hand, the older
 * way the seed articles show (asyncio.run does these three steps for you). */
#include <looplab.h>

static double start;

/* def callback(name): */
static void callback(void *name) {
    ll_print("callback %s at %.1f s", (const char *)name, ll_time() - start);
}

/* async def main(): */
static ll_value amain(LL_NOARGS) {
    ll_loop *loop = ll_get_running_loop();
    start = ll_time();
    ll_call_later(loop, 0.5, callback, "later(0.5)");
    ll_call_soon(loop, callback, "soon");
    ll_call_at(loop, ll_time() + 0.2, callback, "at(+0.2)");
    ll_note("One callback is in the ready queue (soon); two wait on timers. Timers "
            "are kept in deadline order, whatever order they were armed in.");
    ll_print("main: three callbacks scheduled");
    ll_note("sleep(0) puts main at the back of the ready queue, behind 'soon': "
            "one pass of the loop runs both, in that order.");
    LL_TRY(ll_sleep(0));
    ll_print("main: after one pass of the loop");
    LL_TRY(ll_sleep(1));
    ll_print("main: done");
    return ll_str("main's result");
}

int main(void) {
    ll_loop *loop = ll_get_event_loop();                    /* loop = asyncio.new_event_loop() */
    ll_value result = ll_loop_run_until_complete(loop, ll_coro(amain));
    ll_print("run_until_complete returned: %s", ll_pystr(result));
    return ll_loop_close(loop);                             /* loop.close() */
}
