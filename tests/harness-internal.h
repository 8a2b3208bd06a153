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

#endif
