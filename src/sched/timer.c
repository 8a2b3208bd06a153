/* timer.c - the loop's timers: a binary min-heap on (when, seq), so that
 * equal deadlines fire in the order they were armed (asyncio-semantics.md R3;
 * libuv orders its timers the same way).  Each timer knows its index in the
 * heap, so cancelling one is O(log n). */
#include "internal.h"
#include "../core/grow.h"

#include <stdio.h>
#include <stdlib.h>

static inline bool timer_less(const ll__timer *a, const ll__timer *b) {
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(ll_loop *loop, size_t i, ll__timer *t) {
    loop->heap[i] = t;
    t->heap_idx = (uint32_t)i;
}

static void heap_up(ll_loop *loop, size_t i) {
    ll__timer *t = loop->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!timer_less(t, loop->heap[p]))
            break;
        heap_set(loop, i, loop->heap[p]);
        i = p;
    }
    heap_set(loop, i, t);
}

static void heap_down(ll_loop *loop, size_t i) {
    ll__timer *t = loop->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= loop->nheap)
            break;
        if (c + 1 < loop->nheap && timer_less(loop->heap[c + 1], loop->heap[c]))
            c++;
        if (!timer_less(loop->heap[c], t))
            break;
        heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    heap_set(loop, i, t);
}

static void heap_remove_at(ll_loop *loop, size_t i) {
    ll__timer *gone = loop->heap[i];
    gone->heap_idx = UINT32_MAX;
    loop->nheap--;
    if (i == loop->nheap)
        return;
    ll__timer *moved = loop->heap[loop->nheap];
    heap_set(loop, i, moved);
    heap_up(loop, i);
    heap_down(loop, moved->heap_idx);
}

void ll__timer_arm(ll_loop *loop, ll__timer *t, int64_t when, const char *file, int line) {
    LL__GROW(loop->heap, loop->heapcap, loop->nheap + 1, 64,
             fputs("looplab: out of memory growing the timer heap\n", stderr);
             abort());
    t->when = when;
    t->seq = loop->timer_seq++;
    loop->heap[loop->nheap] = t;
    t->heap_idx = (uint32_t)loop->nheap;
    loop->nheap++;
    heap_up(loop, loop->nheap - 1);
    /* A worker's replayed events are not timers of the program: the trace
     * shows them as the job's own events. */
    if (!t->direct)
        LL__REC_EV(loop, TIMER_ARM, t->tid, .obj = t->id, .val = when, .file = file, .line = line);
}

void ll__timer_cancel(ll_loop *loop, ll__timer *t) {
    if (t->heap_idx == UINT32_MAX)
        return;
    heap_remove_at(loop, t->heap_idx);
    if (!t->direct)
        LL__REC_EV(loop, TIMER_CANCEL, t->tid, .obj = t->id);
}

void ll__run_timers(ll_loop *loop) {
    while (loop->nheap && loop->heap[0]->when <= loop->now) {
        ll__timer *t = loop->heap[0];
        heap_remove_at(loop, 0);
        if (t->direct) {
            /* A worker's event replayed at its virtual moment (threadpool.c). */
            t->fn(loop, &(ll__ready){t->fn, t->a, t->b, NULL, t->tid, t->id});
            continue;
        }
        LL__REC_EV(loop, TIMER_FIRE, t->tid, .obj = t->id);
        ll__ready_push(loop, &(ll__ready){t->fn, t->a, t->b, NULL, t->tid, t->id});
        LL__REC_EV(loop, CB_QUEUED, t->tid, .obj = t->id, .sub = LL_REASON_TIMER,
                   .aux = (uint32_t)loop->ready.len - 1);
    }
}
