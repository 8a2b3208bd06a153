/* compare.h - two traces of the same program, step for step (the tools'
 * library; `looplab compare`, docs/python.md).
 *
 * A trace is reduced to its steps: each time a task ran, in order.  A step
 * is the task's name, what woke it (the reason of the `ready` that queued
 * it), what it did that shows -- the lines it printed and the tasks it
 * cancelled (cancel() with the target's name and whether it was accepted),
 * in order -- and how it ended: waiting (on what kind of
 * thing, and which one by its role -- the task by its name, the lock as
 * "the second lock made", the sleep by its length), yielding, done with its
 * result, failed with its error, or cancelled.  Times, ids, addresses,
 * source sites and stack sizes are left out, and so are `note` events and
 * the runtime's own tasks (ll_trace_task.runtime): what a C run and a
 * CPython run of the same lesson can both say.
 *
 * Two step lists are then compared in order, and the first step where they
 * differ is described in words, with the source line of each side.  Steps
 * keep the index of their events, so a tool can map an event of one trace to
 * its step (ll_steps_at) and that step to the same step of the other. */
#ifndef LL_TRACE_COMPARE_H
#define LL_TRACE_COMPARE_H

#include <stdio.h>

#include "reader.h"

#define LL_STEP_NONE SIZE_MAX

/* One step of a task.  Events are indices into the trace's recorder. */
typedef struct ll_step {
    size_t run;  /* its `run` event */
    size_t woke; /* the `ready` that queued it (LL_STEP_NONE: none seen) */
    size_t end;  /* what ended it: `wait`, `ready` (a yield), `done`,
                    `failed` or `cancelled` (LL_STEP_NONE: the trace stops
                    inside the step) */
    size_t act0; /* what it did: acts[act0 .. act0 + nact), its `print`
                    and `cancel` events in order */
    size_t nact;
    int64_t t;     /* loop time of its `run` */
    uint32_t task; /* the task's id in its trace */
    unsigned loop; /* the loop it ran on */
    /* What a `wait` waits on, by role (zero when it does not apply): */
    uint32_t on_name;  /* string id: the awaited task's name, a job's function,
                          a primitive's name (shown, not compared) */
    uint32_t on_ord;   /* a primitive: 1 for the first of its kind made, ... */
    uint32_t on_count; /* a gather: its children */
    int64_t on_for;    /* a sleep: its length in ns (until - t) */
} ll_step;

typedef struct ll_steps {
    const ll_trace *t; /* the trace they came from (borrowed) */
    ll_step *v;
    size_t n, cap;
    size_t *acts; /* event indices of the steps' print and cancel events */
    size_t nacts, actcap;
} ll_steps;

/* Reduces a trace to its steps.  Returns 0, or -1 when memory ran out. */
int ll_steps_of(const ll_trace *t, ll_steps *s);
void ll_steps_free(ll_steps *s);
/* The step an event belongs to: the last step that began (its `run`) at or
 * before event i, LL_STEP_NONE before the first. */
size_t ll_steps_at(const ll_steps *s, size_t event);

/* What differs first. */
typedef enum ll_step_diff_kind {
    LL_DIFF_NONE,   /* they agree */
    LL_DIFF_TASK,   /* a different task ran */
    LL_DIFF_WOKE,   /* the task was woken for a different reason */
    LL_DIFF_PRINT,  /* it printed a different line, or more or fewer lines */
    LL_DIFF_CANCEL, /* it cancelled another task, or not, or with another outcome */
    LL_DIFF_END,    /* it ended differently: waits, yields, done, failed... */
    LL_DIFF_WAIT,   /* it waits on a different kind of thing */
    LL_DIFF_ON,     /* on the same kind, but a different one */
    LL_DIFF_VALUE,  /* done or failed with a different value or error */
    LL_DIFF_SHORT,  /* one side has no more steps */
} ll_step_diff_kind;

typedef struct ll_step_diff {
    ll_step_diff_kind what;
    size_t step; /* index of the step (0-based) on both sides */
    size_t act;  /* LL_DIFF_PRINT, LL_DIFF_CANCEL: which of the step's acts */
} ll_step_diff;

/* Compares a and b step by step.  Returns 1 and fills `d` at the first
 * difference, 0 when they agree (d->what is LL_DIFF_NONE, d->step the
 * number of steps). */
int ll_steps_diff(const ll_steps *a, const ll_steps *b, ll_step_diff *d);
/* What kind of difference, in a few words ("what woke the task"). */
const char *ll_step_diff_name(ll_step_diff_kind k);
/* Writes a difference for a student: the step, its loop time, the task,
 * and what each side did, with the source line of each (la and lb name the
 * sides: "C", "Python"). */
void ll_steps_report(FILE *out, const ll_steps *a, const char *la, const ll_steps *b,
                     const char *lb, const ll_step_diff *d);
/* One step in words ("worker, woken because its sleep ended: printed 1
 * line, then waits on task 'Task-2'"), into buf; returns buf. */
char *ll_step_describe(const ll_steps *s, size_t step, char *buf, size_t cap);

#endif
