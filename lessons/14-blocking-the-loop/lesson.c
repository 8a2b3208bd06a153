/* Lesson 14: blocking the loop.
 *
 * Python twin: lesson.py.  slow_report() is ordinary blocking code: it holds
 * the thread for a second (time.sleep, or a long computation).  Called
 * straight from a coroutine it freezes the whole loop: the heartbeat, due
 * every 0.4 s, does not beat until it returns.  Handed to a worker thread
 * with ll_to_thread (asyncio.to_thread), it runs beside the loop, and the
 * heartbeat keeps time. */
#include <looplab.h>

#include <stdbool.h>

/* def slow_report(name): */
static ll_value slow_report(ll_value name) {
    ll_blocking_sleep(1.0);                                 /* time.sleep(1.0) */
    return ll_str(name.s[0] == 'A' ? "report A" : "report B");
}

typedef struct part_args {
    const char *label;
    double start;
    bool use_thread;
} part_args;

/* async def heartbeat(label, clock, beats): */
static ll_value heartbeat(ll_value arg) {
    const part_args *p = arg.p;
    for (int i = 0; i < 3; i++) {
        ll_print("%s: beat %d at %.1f s", p->label, i, ll_time() - p->start);
        LL_TRY(ll_sleep(0.4));                              /* await asyncio.sleep(0.4) */
    }
    return ll_none();
}

/* async def part(label, use_thread): */
static ll_value part(ll_value arg) {
    part_args *p = arg.p;
    p->start = ll_time();
    ll_task *beats = ll_create_task(ll_coro(heartbeat, arg), "heartbeat");
    LL_TRY(ll_sleep(0));                                    /* let it take its first beat */
    ll_value report;
    if (p->use_thread) {
        ll_print("%s: handing slow_report to a worker thread", p->label);
        ll_note("to_thread hands slow_report to a worker thread and this task waits on it "
                "like on any future. The loop is free: watch the heartbeat keep its 0.4 s "
                "rhythm while the worker lane below the tasks is busy.");
        report = ll_await(ll_to_thread(slow_report, ll_str("B")));
    } else {
        ll_print("%s: calling slow_report directly", p->label);
        ll_note("slow_report sleeps with time.sleep, not await: this step keeps the thread "
                "for a whole second. The heartbeat's timer comes due at 0.4 s, but nothing "
                "can run it until this step ends. The slow-step warning will say so.");
        report = slow_report(ll_str("A"));                  /* report = slow_report("A") */
        ll_note("Back after one second, all in one step. The heartbeat now runs, 0.6 s late; "
                "every other task, timer and socket was frozen just the same.");
    }
    LL_TRY(report);
    ll_print("%s: got %s at %.1f s", p->label, report.s, ll_time() - p->start);
    return ll_await(beats);
}

/* async def main(): */
static ll_value amain(ll_value unused) {
    (void)unused;
    static part_args blocking = {"blocking", 0, false}, threaded = {"to_thread", 0, true};
    LL_TRY(ll_await(ll_coro(part, ll_ptr(&blocking))));
    ll_note("Same program, one change: slow_report now runs on a worker thread.");
    return ll_await(ll_coro(part, ll_ptr(&threaded)));
}

int main(void) { return ll_run(ll_coro(amain, ll_none())); }
