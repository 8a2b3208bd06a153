/* harness-internal.h - helpers for suites that see the scheduler's insides
 * (linked against looplab_internal_dep). */
#ifndef LL_TESTS_HARNESS_INTERNAL_H
#define LL_TESTS_HARNESS_INTERNAL_H

#include "harness.h"

#include "sched/internal.h"

/* The loop's events as a text trace (malloc'd), before it is closed. */
static inline char *dump_of(ll_loop *loop) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_msg(f != NULL, "open_memstream failed");
    ll__trace_dump(loop, f);
    fclose(f);
    return buf;
}

/* Runs main on a fresh loop that records, on the given clock and with the
 * given slow-step limit (negative: never warn), and returns what it
 * printed.  When asked: *err gets what went to stderr, *trace the text
 * trace (also written to `keep`, when not NULL, for reading after a
 * failure: Check cannot carry a whole trace in its message), and *rc -1
 * when main failed, else what ll_loop_close returned. */
static inline char *run_loop(ll_coro_fn main, ll_clock clock, double slow_step, const char *keep,
                             char **err, char **trace, int *rc) {
    capture out, e;
    capture_begin(&out, 1);
    capture_begin(&e, 2);
    ll_loop_opts o = {.clock = clock, .record = 1, .trace_path = "", .slow_step = slow_step};
    ll_loop *loop = ll_loop_new(&o);
    ll_value v = ll_loop_run_until_complete(loop, ll_coro(main));
    if (trace) {
        *trace = dump_of(loop);
        FILE *f = keep ? fopen(keep, "w") : NULL;
        if (f) {
            fputs(*trace, f);
            fclose(f);
        }
    }
    int r = ll_loop_close(loop);
    if (rc)
        *rc = ll_failed(v) ? -1 : r;
    char *es = capture_end(&e);
    char *os = capture_end(&out);
    if (err)
        *err = es;
    else
        free(es);
    return os;
}

#endif
