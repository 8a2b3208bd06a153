/* why.h - "why now?": the chain of causes behind one event of a trace
 * (internal; for the tools: `looplab why`, and the viewer).
 *
 * Every event of a trace happened because of earlier ones: a task prints
 * because it is running; it runs because it reached the head of the ready
 * queue; it was queued because a timer it armed came due, or a future it
 * awaited was completed by another task, or it was just created, or it was
 * cancelled.  ll_trace_why follows those links back from one event until
 * it reaches a line of the program that started the chain (the sleep that
 * armed the timer, the create_task, the put on a queue), and says each link
 * in one sentence.  Everything it needs is in the trace: the waker of a
 * wake-up is the task in whose step the awaited future was completed (the
 * task column of its fut_done), or, for gather and other loop callbacks,
 * the task whose completion the callback handled. */
#ifndef LL_TRACE_WHY_H
#define LL_TRACE_WHY_H

#include "reader.h"

/* One link of the chain: the event it is about and what it says. */
typedef struct ll_why_link {
    size_t event;   /* index of the event (0-based; shown 1-based) */
    char text[384]; /* one sentence, without a final newline */
} ll_why_link;

/* Explains event `i` of a trace read whole (ll_trace_load): fills up to
 * `max` links, the event itself first and then its causes, each one earlier
 * in the trace than the one before it.  Returns how many links it wrote (0
 * when i is not an event of the trace). */
size_t ll_trace_why(const ll_trace *t, size_t i, ll_why_link *links, size_t max);

#endif
