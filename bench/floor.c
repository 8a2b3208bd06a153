/* floor.c - what an asyncio-faithful task step must cost, built from
 * Looplab's own parts, for scripts/bench's `floor` rows.
 *
 * The same workload as bench.c's task_step (1 000 tasks, each 1 000
 * `sleep(0)`), doing only what asyncio's semantics require of a step and
 * nothing else:
 *   - the yielding task appends a callback entry (what to run, for whom) at
 *     the tail of the ready ring, as call_soon does;
 *   - the loop pops the ring's head: FIFO order, one pass at a time;
 *   - the next task's state is written (ready -> running), and the thread
 *     switches straight into it with Looplab's switch (src/core/ctx), on a
 *     stack from Looplab's pool (src/core/stack: same size, guard page);
 *   - on resume the task checks its cancel flag, as a step must.
 * No guard tests, no canary, no overflow bookkeeping, no recorder.
 * `floor_rec` adds what recording needs at least: one clock read and two
 * 48-byte events (ready, run) per step, into an event buffer that is reused
 * (a writer drains it) so that no fresh memory is touched.  The clock read
 * is the library's own step clock where it has one (x86-64: the TSC,
 * converted to ns by an integer multiply and shift, src/sched/loop.c), so
 * that the floor is not slowed by a clock_gettime the library avoids
 * (~25 ns on a virtual machine's kvm-clock).
 *
 * Prints `floor: X ns/step` and `floor_rec: X ns/step`, medians of
 * --repeat runs.  A reference point for the distance still to go, not a
 * scheduler: it has no timers, no I/O, no futures. */
#include "core/ctx.h"
#include "core/stack.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TASKS = 1000, ROUNDS = 1000, RING = 1024, STACK = 262144, EVBUF = 1 << 16 };

typedef enum { F_READY, F_RUNNING, F_DONE } fstate;

typedef struct ftask {
    ll__ctx ctx;
    ll__stack stack;
    uint8_t state;
    bool cancel;
} ftask;

/* A ready-ring entry: a callback and its argument, as asyncio's Handle. */
typedef struct entry {
    void (*fn)(void *);
    void *arg;
} entry;

/* An event as the recorder keeps it: 48 bytes. */
typedef struct fevent {
    int64_t t;
    uint32_t kind, task;
    uint64_t obj, aux, val;
    uint32_t str, site;
} fevent;
_Static_assert(sizeof(fevent) == 48, "events are 48 bytes, as ll_trace_event");

static entry ring[RING];
static uint32_t head, tail;
static ll__ctx sched;
static bool recording;
static fevent *evbuf;
static size_t nev;
static uint64_t cancels;

static void task_step(void *arg) { (void)arg; } /* marks an entry as a task's step */

static inline void record(uint32_t kind, const ftask *t, int64_t now) {
    fevent *e = &evbuf[nev++ & (EVBUF - 1)];
    *e = (fevent){.t = now, .kind = kind, .task = (uint32_t)(uintptr_t)t};
}

#if defined(__x86_64__)
#include <x86intrin.h>
__extension__ typedef unsigned __int128 u128;
static uint64_t tsc0, tsc_mult; /* ns per tick << 32, as the library's step clock */

static inline int64_t now_ns(void) {
    return (int64_t)(((u128)(__rdtsc() - tsc0) * tsc_mult) >> 32);
}

static int64_t gettime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The tick length, over 10 ms, as the library measures it. */
static void clock_init(void) {
    int64_t t0 = gettime_ns();
    uint64_t c0 = __rdtsc();
    while (gettime_ns() - t0 < 10000000) {
    }
    int64_t t1 = gettime_ns();
    uint64_t c1 = __rdtsc();
    tsc_mult = (uint64_t)((double)(t1 - t0) / (double)(c1 - c0) * 4294967296.0 + 0.5);
    tsc0 = c1;
}
#else
static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static void clock_init(void) {}
#endif

/* The step boundary: t goes to the back of the ring; the head runs next. */
static inline void yield(ftask *t) {
    ring[tail++ & (RING - 1)] = (entry){task_step, t};
    t->state = F_READY;
    entry e = ring[head++ & (RING - 1)];
    ftask *n = e.arg;
    if (recording) {
        int64_t now = now_ns();
        record(1, t, now); /* ready */
        record(2, n, now); /* run */
    }
    n->state = F_RUNNING;
    ll__ctx_switch(&t->ctx, &n->ctx);
    if (__builtin_expect(t->cancel, 0))
        cancels++;
}

static void task_body(void *arg) {
    ftask *t = arg;
    for (int i = 0; i < ROUNDS; i++)
        yield(t);
    t->state = F_DONE;
    /* Finished: the next entry's task runs, or the loop when none is left. */
    if (head != tail) {
        ftask *n = ring[head++ & (RING - 1)].arg;
        n->state = F_RUNNING;
        ll__ctx_switch_final(&t->ctx, &n->ctx);
    }
    ll__ctx_switch_final(&t->ctx, &sched);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run: ns per step. */
static double run(ll__stack_pool *pool, ftask *ts) {
    head = tail = 0;
    for (int i = 0; i < TASKS; i++) {
        ftask *t = &ts[i];
        bool unguarded = false;
        if (ll__stack_alloc(pool, STACK, &t->stack, &unguarded) != 0) {
            fprintf(stderr, "floor: out of memory for stacks\n");
            exit(1);
        }
        ll__ctx_make(&t->ctx, t->stack.lo, t->stack.size, task_body, t);
        t->state = F_READY;
        t->cancel = false;
        ring[tail++ & (RING - 1)] = (entry){task_step, t};
    }
    double t0 = now_s();
    ftask *first = ring[head++ & (RING - 1)].arg;
    first->state = F_RUNNING;
    ll__ctx_switch(&sched, &first->ctx);
    double el = now_s() - t0;
    for (int i = 0; i < TASKS; i++) {
        if (ts[i].state != F_DONE) {
            fprintf(stderr, "floor: task %d did not finish\n", i);
            exit(1);
        }
        ll__stack_free(pool, &ts[i].stack);
    }
    return el / ((double)TASKS * ROUNDS) * 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int repeat = 5;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--repeat N] [--only floor|floor_rec]\n", argv[0]);
            return 2;
        }
    }
    if (repeat < 1 || repeat > 100) {
        fprintf(stderr, "%s: --repeat must be between 1 and 100\n", argv[0]);
        return 2;
    }
    clock_init();
    ll__stack_pool pool;
    ll__stack_pool_init(&pool);
    ftask *ts = calloc(TASKS, sizeof *ts);
    evbuf = calloc(EVBUF, sizeof *evbuf);
    if (!ts || !evbuf) {
        fprintf(stderr, "floor: out of memory\n");
        return 1;
    }
    static const char *const names[] = {"floor", "floor_rec"};
    for (int rec = 0; rec <= 1; rec++) {
        if (only && strcmp(only, names[rec]) != 0)
            continue;
        recording = rec;
        double v[100];
        for (int i = 0; i < repeat; i++)
            v[i] = run(&pool, ts);
        qsort(v, (size_t)repeat, sizeof *v, cmp_double);
        double med = repeat % 2 ? v[repeat / 2] : (v[repeat / 2 - 1] + v[repeat / 2]) / 2;
        printf("%s: %.1f ns/step\n", names[rec], med);
        fflush(stdout);
    }
    if (cancels) /* never: nothing cancels; keeps the check from being dropped */
        fprintf(stderr, "floor: %llu cancels\n", (unsigned long long)cancels);
    free(ts);
    free(evbuf);
    ll__stack_pool_destroy(&pool);
    return 0;
}
