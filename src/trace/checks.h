/* checks.h - properties of a trace, as an exercise states them (the tools'
 * library; `looplab check` and, later, the viewer).
 *
 * An exercise's checks.txt holds one property per line, each followed by
 * the hints a student gets when it fails (docs/exercises.md):
 *
 *     clock: virtual
 *     total-time <= 1.2
 *     hint: the three sleeps run one after another; start them together
 *     max-waiting sleep 3
 *
 * ll_checks_load parses such a file (refusing a bad line with FILE:LINE);
 * ll_check_eval decides one property on a trace read back with
 * ll_trace_load, and says where it first fails: the event, hence the step's
 * loop time, task and source line. */
#ifndef LL_TRACE_CHECKS_H
#define LL_TRACE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "reader.h"

#define LL_CHECK_KIND_MAP(X)                                                                       \
    X(TOTAL_TIME, "total-time", "<= SECONDS: the loop's clock at the end of the run")              \
    X(MAX_WAITING, "max-waiting", "KIND N: never more than N tasks waiting on KIND at once")       \
    X(MIN_WAITING, "min-waiting", "KIND N: at some moment N tasks or more wait on KIND at once")   \
    X(MAX_INSIDE, "max-inside", "NAME N: never more than N tasks hold the lock or semaphore NAME") \
    X(MAX_STEP, "max-step", "MS: no step and no blocking call holds the loop longer than MS")      \
    X(ALL_DONE, "all-done", "every task finished with a result (none failed, cancelled, left)")    \
    X(CANCELLED, "cancelled", "NAME... | none: exactly these tasks were cancelled")                \
    X(NO_WARNING, "no-warning", "[KIND]: no warning (of that kind: never_awaited, deadlock...)")   \
    X(OUTPUT, "output", "FILE: the printed lines are exactly FILE's lines")                        \
    X(PRINTS, "prints", "\"TEXT\": some printed line contains TEXT")                               \
    X(NEVER_PRINTS, "never-prints", "\"TEXT\": no printed line contains TEXT")                     \
    X(ORDER, "order", "\"A\" \"B\"...: lines containing A, B... are first printed in that order")  \
    X(WAITED, "waited", "TASK KIND: the task (name, coroutine or *) waited on KIND")               \
    X(NEVER_WAITED, "never-waited", "TASK KIND: the task never waited on KIND")                    \
    X(RESULT, "result", "TASK \"REPR\": the task finished with this result")                       \
    X(EXITS, "exits", "N: the program ran to its end and exited with status N")

typedef enum ll_check_kind {
#define LL__CHECK_ENUM(name, word, doc) LL_CHECK_##name,
    LL_CHECK_KIND_MAP(LL__CHECK_ENUM)
#undef LL__CHECK_ENUM
        LL_CHECK__COUNT
} ll_check_kind;

/* One property of a checks file. */
typedef struct ll_check {
    ll_check_kind kind;
    int line;      /* its line in the file */
    double num;    /* seconds (total-time), milliseconds (max-step) */
    long n;        /* a count (max/min-waiting), an exit status (exits) */
    int wait;      /* a wait kind (ll_wait_kind), -1 when none */
    char *task;    /* a task's name or coroutine, "*" any (waited, result) */
    char **strs;   /* quoted texts, names, or the expected lines (output) */
    size_t nstrs;  /*   ... how many */
    char **hints;  /* the hint ladder, first hint first */
    size_t nhints; /*   ... how many */
} ll_check;

/* A parsed checks file. */
typedef struct ll_checks {
    ll_check *v;
    size_t n, cap;
    char clock[16]; /* "virtual" (the default) or "real" */
    double timeout; /* real seconds a run may take (default 30) */
} ll_checks;

/* Parses the text of a checks file (`name` is used in messages; `dir` is
 * where `output FILE` is read from).  Returns 0, or -1 with err set to
 * "NAME:LINE: what is wrong" (cs then holds nothing). */
int ll_checks_parse(ll_checks *cs, const char *name, const char *dir, const char *text, char *err,
                    size_t errlen);
/* Reads and parses a file. */
int ll_checks_load(ll_checks *cs, const char *path, char *err, size_t errlen);
void ll_checks_free(ll_checks *cs);

/* The outcome of one property on one trace. */
typedef struct ll_check_result {
    bool pass;
    char what[256]; /* the property, in words */
    char why[512];  /* what the trace showed (on a pass too) */
    size_t event;   /* the event where it first fails, SIZE_MAX when none */
} ll_check_result;

/* Decides `c` on the trace `t` (read whole). */
void ll_check_eval(const ll_check *c, const ll_trace *t, ll_check_result *r);

/* The name of a property kind, as written in a checks file. */
const char *ll_check_kind_name(ll_check_kind k);

#endif
