/* loop.c - the event loop: one iteration, run and close.  The ready queue
 * is in ready.c, the timer heap in timer.c, the trace file (and what a fatal
 * signal writes to it) in tracefile.c.
 *
 * One iteration (run_once) is CPython's BaseEventLoop._run_once, phase by
 * phase (asyncio-semantics.md R2):
 *   1. poll: with something ready, do not wait; else wait until the earliest
 *      timer (virtual clock: jump to it; real clock: block in libuv);
 *   2. move every timer that is due into the ready queue, in (deadline,
 *      arming order) order (R3);
 *   3. run exactly the entries that are in the ready queue now; entries
 *      queued while they run wait for the next iteration (R1, R2).
 * The loop stops after the iteration in which stop() was called. */
#include "internal.h"
#include "../core/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>
#include <pthread.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Thread_local ll_loop *ll__running_loop;
_Thread_local ll_loop *ll__current_loop;

int64_t ll__wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the step clock ------------------------------------------------------
 * Recording reads the wall clock once per task step.  clock_gettime costs
 * ~25 ns on a virtual machine (kvm-clock), more than the rest of a step, so
 * on x86-64 with an invariant TSC the step clock counts TSC ticks from the
 * last clock_gettime reading, which the loop takes once per iteration.  The
 * tick length is measured per thread: the first 10 ms of recording use
 * clock_gettime only, then the ratio of the two clocks over that span is
 * used from then on. */
__extension__ typedef unsigned __int128 ll__u128;

typedef struct step_clock {
    int state;     /* 0 not started, 1 measuring, 2 TSC, 3 no TSC */
    uint64_t c0;   /* TSC at the start of the measurement */
    int64_t t0;    /* clock_gettime at the same moment */
    uint64_t mult; /* ns per tick times 2^32: an integer multiply and a shift
                      per step, not a conversion to double and back */
} step_clock;
static _Thread_local step_clock sclk;

#if defined(__x86_64__)
#include <x86intrin.h>
static bool tsc_invariant(void) {
    static int known = -1; /* one answer for the process */
    if (known >= 0)
        return known;
    bool c = false, n = false;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "flags", 5) != 0)
                continue;
            c = strstr(line, " constant_tsc") != NULL;
            n = strstr(line, " nonstop_tsc") != NULL;
            break;
        }
        fclose(f);
    }
    known = c && n;
    return known;
}
static inline uint64_t ticks(void) {
    return __rdtsc();
}
#else
static bool tsc_invariant(void) {
    return false;
}
static inline uint64_t ticks(void) {
    return 0;
}
#endif

/* Called once per loop iteration while recording: an exact reading. */
static void step_clock_sync(ll_loop *loop) {
    int64_t now = ll__wall_ns();
    uint64_t c = ticks();
    if (sclk.state == 0) {
        sclk.state = tsc_invariant() && !getenv("LOOPLAB_NO_TSC") ? 1 : 3;
        sclk.c0 = c;
        sclk.t0 = now;
    } else if (sclk.state == 1 && now - sclk.t0 >= 10000000 && c > sclk.c0) {
        double ns_per_tick = (double)(now - sclk.t0) / (double)(c - sclk.c0);
        sclk.mult = (uint64_t)(ns_per_tick * 4294967296.0 + 0.5);
        sclk.state = 2;
    }
    loop->sync_ns = now - loop->wall0;
    loop->sync_ticks = c;
    if (loop->sync_ns > loop->wall)
        loop->wall = loop->sync_ns;
}

int64_t ll__step_wall(ll_loop *loop) {
    int64_t w;
    if (sclk.state == 2)
        w = loop->sync_ns + (int64_t)(((ll__u128)(ticks() - loop->sync_ticks) * sclk.mult) >> 32);
    else
        w = ll__wall_ns() - loop->wall0;
    /* Never backwards, whatever the two clocks think of each other. */
    return w > loop->wall ? w : loop->wall;
}

/* ---- arena: loop-lifetime memory for names, messages and lists ---------- */

#define LL__ARENA_BLOCK 65536

void *ll__arena_alloc(ll_loop *loop, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n > loop->arena_left) {
        size_t bsize = n > LL__ARENA_BLOCK / 4 ? n : LL__ARENA_BLOCK;
        LL__GROW(loop->arena, loop->arenacap, loop->narena + 1, 16, return NULL);
        char *b = malloc(bsize);
        if (!b)
            return NULL;
        loop->arena[loop->narena++] = b;
        if (bsize != LL__ARENA_BLOCK) /* a big one-off: keep the old block */
            return b;
        loop->arena_cur = b;
        loop->arena_left = bsize;
    }
    void *p = loop->arena_cur;
    loop->arena_cur += n;
    loop->arena_left -= n;
    return p;
}

char *ll__arena_strdup(ll_loop *loop, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = ll__arena_alloc(loop, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

uint32_t ll__obj_id(ll_loop *loop) {
    return loop->family ? ll__family_obj_id(loop) : ++loop->next_obj_id;
}

/* ---- messages ------------------------------------------------------------ */

static void vreport(ll_loop *loop, ll_warn_kind kind, const char *file, int line, const char *fmt,
                    va_list ap) {
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char where[512] = "";
    if (file)
        snprintf(where, sizeof where, "%s:%d: ", file, line);
    const ll_task *t = loop ? loop->current : NULL;
    if (t)
        fprintf(stderr, "looplab: %sin task '%s': %s\n", where, t->name, msg);
    else
        fprintf(stderr, "looplab: %s%s\n", where, msg);
    fflush(stderr);
    if (loop)
        LL__REC_EV(loop, WARN, ll__cur_tid(loop), .sub = (uint16_t)kind, .str = ll__str(loop, msg),
                   .file = file, .line = line);
}

void ll__misuse(ll_loop *loop, const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(loop, LL_WARN_MISUSE, file, line, fmt, ap);
    va_end(ap);
}

void ll__warn(ll_loop *loop, ll_warn_kind kind, const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(loop, kind, file, line, fmt, ap);
    va_end(ap);
    /* Running out of guard pages, a slow step or a swallowed cancellation
     * is worth knowing, not a failure (asyncio's debug mode only logs slow
     * callbacks; Python says nothing about a swallowed CancelledError). */
    if (loop && kind != LL_WARN_UNGUARDED_STACK && kind != LL_WARN_SLOW_STEP &&
        kind != LL_WARN_SWALLOWED_CANCEL)
        loop->problems++;
}

/* ---- loops ---------------------------------------------------------------- */

/* A loop's stack mode: the option, else LOOPLAB_STACK_MODE, else own. */
static int stack_mode_of(int opt) {
    if (opt == LL_STACK_OWN || opt == LL_STACK_COPY)
        return LL_CTX_CAN_COPY ? opt : LL_STACK_OWN;
    const char *s = getenv("LOOPLAB_STACK_MODE");
    if (!s || !*s || strcmp(s, "own") == 0)
        return LL_STACK_OWN;
    if (strcmp(s, "copy") == 0)
        return LL_CTX_CAN_COPY ? LL_STACK_COPY : LL_STACK_OWN;
    fprintf(stderr, "looplab: ignoring LOOPLAB_STACK_MODE=%s: expected own or copy\n", s);
    return LL_STACK_OWN;
}

static size_t env_size(const char *name, size_t dflt) {
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) {
        fprintf(stderr, "looplab: ignoring %s=%s: not a number\n", name, s);
        return dflt;
    }
    if (*end == 'k' || *end == 'K')
        v *= 1024, end++;
    else if (*end == 'm' || *end == 'M')
        v *= 1024 * 1024, end++;
    if (*end) {
        fprintf(stderr, "looplab: ignoring %s=%s: expected a size like 65536 or 64K\n", name, s);
        return dflt;
    }
    return (size_t)v;
}

static ll_clock env_clock(void) {
    const char *s = getenv("LOOPLAB_CLOCK");
    if (!s || !*s || strcmp(s, "virtual") == 0)
        return LL_CLOCK_VIRTUAL;
    if (strcmp(s, "real") == 0)
        return LL_CLOCK_REAL;
    fprintf(stderr, "looplab: ignoring LOOPLAB_CLOCK=%s: expected 'virtual' or 'real'\n", s);
    return LL_CLOCK_VIRTUAL;
}

/* The overflow handler's way to the running task (core/stack.h): set once
 * for the process, before any loop's first task runs. */
static pthread_once_t ovf_find_once = PTHREAD_ONCE_INIT;
static void set_ovf_find(void) {
    ll__overflow_find = ll__running_ovf;
}

/* ---- the ready ring a closed loop leaves its thread ---------------------------
 * A loop that queued 100 000 steps grew its ring to 5 MB, page by page; the
 * next loop of the thread starts from that ring instead of growing its own
 * again (as it starts from the thread's stacks and task blocks), so a
 * program or a benchmark running loop after loop pays for it once.  Only a
 * big ring is worth keeping; the thread frees it when it ends. */
enum { SPARE_RING_MIN = 4096 }; /* entries */
static _Thread_local ll__ring spare_ring;
static pthread_key_t spare_ring_key;
static pthread_once_t spare_ring_once = PTHREAD_ONCE_INIT;

void ll__spare_ring_release(void) {
    free(spare_ring.buf);
    memset(&spare_ring, 0, sizeof spare_ring);
}

static void spare_ring_at_exit(void *unused) {
    (void)unused;
    ll__spare_ring_release();
}

static void spare_ring_setup(void) {
    pthread_key_create(&spare_ring_key, spare_ring_at_exit);
}

/* At close: the loop's ring becomes the thread's spare when it is the
 * bigger one. */
static void ring_leave(ll__ring *r) {
    if (r->cap < SPARE_RING_MIN || r->cap <= spare_ring.cap) {
        free(r->buf);
        return;
    }
    free(spare_ring.buf);
    spare_ring = (ll__ring){r->buf, r->cap, 0, 0};
    pthread_once(&spare_ring_once, spare_ring_setup);
    pthread_setspecific(spare_ring_key, &spare_ring);
}

ll_loop *ll_loop_new(const ll_loop_opts *opts) {
    ll_loop_opts o = {0};
    if (opts)
        o = *opts;
    ll_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    /* Made inside a thread-pool job (asyncio.run in an executor): the job is
     * hidden while this loop lives, and the loop keeps its caller's clock. */
    loop->outer_job = ll__job_hide();
    ll_clock clock = o.clock;
    if (clock == LL_CLOCK_DEFAULT && loop->outer_job)
        clock = ll__job_clock(loop->outer_job);
    loop->real = (clock == LL_CLOCK_DEFAULT ? env_clock() : clock) == LL_CLOCK_REAL;
    /* A wrong model of asyncio (models.c) is what a run of the program is
     * predicted by: it applies to the loops the program records, not to the
     * ones made to record nothing (the slow web's server thread, a lesson's
     * unrecorded measurements), which would break under it. */
    loop->model = o.record < 0 ? LL_MODEL_ASYNCIO : ll__model_from_env();
    bool record = true;
    if (o.record < 0)
        record = false;
    else if (o.record == 0) {
        const char *r = getenv("LOOPLAB_RECORD");
        record = !(r && strcmp(r, "0") == 0);
    }
    ll__rec_init(&loop->rec, record);
    if (record)
        loop->step_slow |= LL__SLOW_REC;
    /* In-memory recording keeps every event unless a ring is asked for; a
     * streamed trace spills instead (ll__trace_open turns the ring off). */
    loop->rec.ring = env_size("LOOPLAB_TRACE_RING", 0);
    const char *chk = getenv("LOOPLAB_CHECK");
    loop->check = record && chk && strcmp(chk, "1") == 0;
    loop->trace_path = o.trace_path ? o.trace_path : getenv("LOOPLAB_TRACE");
    if (loop->trace_path && !*loop->trace_path)
        loop->trace_path = NULL;
    loop->program = o.program ? o.program : program_invocation_short_name;
    size_t ss = o.stack_size ? o.stack_size : env_size("LOOPLAB_STACK_SIZE", 256 * 1024);
    loop->default_stack = ll__stack_round(ss);
    loop->copy_mode = stack_mode_of(o.stack_mode) == LL_STACK_COPY;
    double slow = o.slow_step;
    if (slow == 0) {
        const char *e = getenv("LOOPLAB_SLOW_STEP");
        slow = e && *e ? strtod(e, NULL) : 0.1;
        if (slow == 0)
            slow = -1; /* LOOPLAB_SLOW_STEP=0: off */
    }
    loop->slow_ns = slow > 0 && slow < 9e9 ? (int64_t)llround(slow * 1e9) : INT64_MAX;
    loop->stacks = ll__stack_pool_thread();
    if (spare_ring.buf) { /* empty: a ring's order starts anywhere */
        loop->ready = spare_ring;
        memset(&spare_ring, 0, sizeof spare_ring);
    }
    loop->wall0 = ll__wall_ns();
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(loop->start_iso, sizeof loop->start_iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (loop->real && ll__uv_init(loop) != 0) {
        fputs("looplab: could not start libuv for the real clock; using the virtual clock\n",
              stderr);
        loop->real = false;
    }
    ll__inbox_init(loop);
    pthread_once(&ovf_find_once, set_ovf_find);
    ll__overflow_install();
    loop->prev_current = ll__current_loop;
    ll__current_loop = loop;
    LL__REC_EV(loop, LOOP_START, 0, .str = ll__str(loop, loop->real ? "real" : "virtual"));
    ll__trace_open(loop);
    return loop;
}

double ll_loop_time(const ll_loop *loop) {
    return loop ? (double)loop->now / 1e9 : 0.0;
}
bool ll_loop_is_real(const ll_loop *loop) {
    return loop && loop->real;
}
ll_loop *ll_get_running_loop(void) {
    return ll__running_loop;
}

ll_loop *ll_get_event_loop(void) {
    if (ll__running_loop)
        return ll__running_loop;
    if (ll__current_loop)
        return ll__current_loop;
    return ll_loop_new(NULL);
}

double ll_time(void) {
    return ll_loop_time(ll__running_loop);
}

void ll_loop_stop(ll_loop *loop) {
    if (loop)
        loop->stopping = true;
}

/* The clock only moves in poll.  The virtual clock jumps straight to the
 * earliest deadline; the real one waits in libuv. */
static void poll_phase(ll_loop *loop) {
    ll__inbox_drain(loop, false);
    int64_t timeout = -1;
    if (loop->ready.len)
        timeout = 0;
    else if (loop->nheap) {
        timeout = loop->heap[0]->when - loop->now;
        if (timeout < 0)
            timeout = 0;
    }
    if (!loop->real && timeout != 0 && ll__pool_unresolved(loop)) {
        /* Jobs are out on worker threads and their (virtual) durations are
         * not known yet: wait for them before letting the clock jump. */
        ll__pool_settle(loop);
        timeout = loop->ready.len ? 0 : -1;
        if (!loop->ready.len && loop->nheap)
            timeout = loop->heap[0]->when > loop->now ? loop->heap[0]->when - loop->now : 0;
    }
    bool jumped = false;
    if (timeout != 0 && (loop->real || ll__expects_remote(loop)))
        ll__trace_flush(loop); /* about to wait: let readers see everything so far */
    if (loop->real) {
        loop->poll_timeout = timeout;
        loop->in_poll = LL__REC(loop);
        ll__uv_poll(loop, timeout);
        bool woke = LL__REC(loop) && !loop->in_poll; /* its poll event is recorded */
        loop->in_poll = false;
        loop->now = ll__uv_now(loop);
        if (woke) {
            step_clock_sync(loop);
            ll__inbox_drain(loop, false);
            return;
        }
    } else if (timeout < 0 && ll__expects_remote(loop)) {
        /* Idle, but another thread can still send work: wait for it (the
         * virtual clock stands still meanwhile). */
        ll__inbox_drain(loop, true);
    } else if (timeout > 0) {
        loop->now = loop->heap[0]->when;
        jumped = true;
    }
    if (loop->family && loop->loop_id == 1)
        ll__family_set_now(loop);
    if (!LL__REC(loop)) {
        if (loop->real)
            ll__inbox_drain(loop, false);
        return;
    }
    step_clock_sync(loop);
    if (timeout != 0 || loop->real)
        LL__EV(loop, POLL, 0, .val = timeout, .aux = jumped);
    if (loop->real)
        ll__inbox_drain(loop, false);
}

void ll__poll_woke(ll_loop *loop) {
    loop->in_poll = false;
    loop->now = ll__uv_now(loop);
    step_clock_sync(loop);
    LL__EV(loop, POLL, 0, .val = loop->poll_timeout);
}

static void run_once(ll_loop *loop) {
    loop->iterations++;
    LL__REC_EV(loop, ITER, 0, .val = (int64_t)loop->iterations, .aux = (uint32_t)loop->ready.len);
    poll_phase(loop);     /* 1. wait for what is due (or jump the virtual clock) */
    ll__run_timers(loop); /* 2. due timers' callbacks to the ready queue */
    /* 3. Only what is ready now runs in this pass (R2).  A task that
     * suspends may switch straight to the next task of this pass (task.c),
     * which takes its entry off the queue and counts it. */
    loop->pass_left = loop->ready.len;
    if (__builtin_expect(loop->model == LL_MODEL_LIFO, 0))
        ll__model_pass(loop);
    while (loop->pass_left) {
        loop->pass_left--;
        if (loop->check)
            ll__check_snapshot(loop);
        ll__ready e = ll__ready_pop(&loop->ready);
        e.fn(loop, &e);
        ll__ev_done(loop);
        if (loop->family || loop->streaming)
            ll__trace_step_end(loop); /* the step's lines, when they are due */
    }
    /* Every iteration's lines go out as it ends: a program that leaves by
     * _exit(), which runs no handler, keeps all but its last iteration. */
    if (loop->streaming)
        ll__trace_flush(loop);
}

/* Nothing ready, no timer, nothing real pending: no task can ever be woken. */
static bool nothing_can_happen(const ll_loop *loop) {
    if (loop->ready.len || loop->nheap || ll__pool_inflight(loop) || ll__expects_remote(loop) ||
        atomic_load_explicit(&loop->inbox_n, memory_order_relaxed))
        return false;
    return true;
}

static void report_deadlock(ll_loop *loop) {
    char buf[4096];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n,
                          "deadlock: every task is waiting and nothing can wake them");
    for (ll_task *t = loop->tasks_head; t && n < sizeof buf - 200; t = t->next_all) {
        if (t->fut.state != LL__FUT_PENDING)
            continue;
        const ll_future *w = t->waiter;
        char what[160];
        if (!w)
            snprintf(what, sizeof what, "nothing (not started)");
        else if (w->magic == LL__MAGIC_TASK)
            snprintf(what, sizeof what, "task '%s'", ((const ll_task *)w)->name);
        else if (t->wait_kind == LL_WAIT_IO && loop->io_hooks)
            loop->io_hooks->describe(loop, w->id, what, sizeof what);
        else if (t->wait_kind >= LL_WAIT_LOCK)
            ll__sync_describe(loop, w->id, (ll_wait_kind)t->wait_kind, w->file, w->line, what,
                              sizeof what);
        else
            snprintf(what, sizeof what, "%s #%u created at %s:%d",
                     w->kind == LL__FK_GATHER ? "gather" : "future", w->id, w->file ? w->file : "?",
                     w->line);
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "\n  task '%s' (created at %s:%d) waits on %s", t->name,
                              t->fut.file ? t->fut.file : "?", t->fut.line, what);
    }
    ll_task *saved = loop->current;
    loop->current = NULL;
    ll__warn(loop, LL_WARN_DEADLOCK, NULL, 0, "%s", buf);
    loop->current = saved;
}

/* run_until_complete's done callback (asyncio's _run_until_complete_cb):
 * the loop stops after this pass over the ready queue. */
void ll__stop_cb(ll_loop *loop, const ll__ready *e) {
    LL__REC_EV(loop, CB_RUN, e->tid, .obj = e->oid, .sub = LL_REASON_STOP);
    loop->stopping = true;
}

ll_value ll__loop_run_until_complete(ll_loop *loop, void *aw, const char *file, int line) {
    if (!loop) {
        ll__misuse(NULL, file, line, "RuntimeError: run_until_complete() on a NULL loop");
        return ll_raise(LL_ERUNTIME, "run_until_complete() on a NULL loop");
    }
    if (loop->closed) {
        ll__misuse(NULL, file, line, "RuntimeError: run_until_complete() on a closed event loop");
        if (aw && *(uint32_t *)aw == LL__MAGIC_CORO)
            ll__coro_free(aw);
        return ll_raise(LL_ERUNTIME, "Event loop is closed");
    }
    if (loop->running || ll__running_loop) {
        ll__misuse(loop, file, line,
                   "RuntimeError: cannot run an event loop while another loop is running "
                   "in this thread (await instead)");
        return ll_raise(LL_ERUNTIME, "This event loop is already running");
    }
    ll_loop *saved_current = ll__current_loop;
    ll__current_loop = loop;
    ll_future *fut = ll__ensure_future(loop, aw, file, line);
    if (!fut) {
        ll__current_loop = saved_current;
        return ll_raise(LL_ETYPE, "run_until_complete() needs a coroutine, task or future");
    }
    ll__future_add_cb(fut, ll__stop_cb, NULL, NULL, 0);
    loop->running = true;
    ll__running_loop = loop;
    loop->stopping = false;
    for (;;) {
        if (nothing_can_happen(loop) && !(loop->real && ll__uv_alive(loop))) {
            loop->deadlocked = true;
            report_deadlock(loop);
            break;
        }
        run_once(loop);
        if (loop->stopping)
            break;
    }
    loop->stopping = false;
    loop->running = false;
    ll__running_loop = NULL;
    ll__trace_flush(loop);
    ll__current_loop = saved_current ? saved_current : loop;
    if (fut->state == LL__FUT_PENDING) {
        if (loop->deadlocked)
            return ll_raise(LL_EDEADLOCK, "every task is waiting and nothing can wake them");
        return ll_raise(LL_ERUNTIME, "Event loop stopped before Future completed.");
    }
    return ll__future_outcome(fut);
}

int ll__loop_run_forever(ll_loop *loop, const char *file, int line) {
    if (!loop || loop->closed) {
        ll__misuse(NULL, file, line, "RuntimeError: run_forever() on a %s event loop",
                   loop ? "closed" : "NULL");
        return LL_ERUNTIME;
    }
    if (loop->running || ll__running_loop) {
        ll__misuse(loop, file, line,
                   "RuntimeError: cannot run an event loop while another loop is running "
                   "in this thread");
        return LL_ERUNTIME;
    }
    ll_loop *saved_current = ll__current_loop;
    ll__current_loop = loop;
    loop->running = true;
    loop->forever = true;
    ll__inbox_expect(loop, 0);
    ll__running_loop = loop;
    loop->stopping = false;
    while (!loop->stopping)
        run_once(loop);
    loop->stopping = false;
    loop->forever = false;
    ll__inbox_expect(loop, 0);
    loop->running = false;
    ll__running_loop = NULL;
    ll__trace_flush(loop);
    ll__current_loop = saved_current ? saved_current : loop;
    return 0;
}

/* asyncio.run's shutdown: cancel what is left and let it finish. */
static void cancel_all_tasks(ll_loop *loop, const char *file, int line) {
    size_t n = 0;
    for (ll_task *t = loop->tasks_head; t; t = t->next_all)
        n += t->fut.state == LL__FUT_PENDING;
    if (n == 0)
        return;
    void **left = malloc(n * sizeof *left);
    if (!left)
        return;
    size_t i = 0;
    for (ll_task *t = loop->tasks_head; t; t = t->next_all)
        if (t->fut.state == LL__FUT_PENDING) {
            left[i++] = t;
            ll__task_cancel(t, file, line);
        }
    bool was_deadlocked = loop->deadlocked;
    loop->deadlocked = false;
    ll_value v =
        ll__loop_run_until_complete(loop, ll__gatherv(left, n, true, file, line), file, line);
    (void)v;
    loop->deadlocked |= was_deadlocked;
    free(left);
}

/* A closed loop keeps its (small) struct, as Python keeps a closed loop
 * object, so that calls on it get "Event loop is closed" rather than reading
 * freed memory.  The structs are freed when the process exits. */
static pthread_mutex_t graveyard_lock = PTHREAD_MUTEX_INITIALIZER;
static ll_loop *graveyard;
static bool graveyard_registered;

static void empty_graveyard(void) {
    pthread_mutex_lock(&graveyard_lock);
    while (graveyard) {
        ll_loop *next = graveyard->prev_current;
        free(graveyard);
        graveyard = next;
    }
    pthread_mutex_unlock(&graveyard_lock);
}

static void bury(ll_loop *loop) {
    pthread_mutex_lock(&ll__remote_mu); /* a thread may be posting to it */
    memset(loop, 0, sizeof *loop);
    loop->closed = true;
    loop->inbox_closed = true;
    pthread_mutex_unlock(&ll__remote_mu);
    pthread_mutex_lock(&graveyard_lock);
    if (!graveyard_registered)
        graveyard_registered = atexit(empty_graveyard) == 0;
    loop->prev_current = graveyard; /* reused as the graveyard link */
    graveyard = loop;
    pthread_mutex_unlock(&graveyard_lock);
}

static void free_loop(ll_loop *loop) {
    ll_task *t = loop->tasks_head;
    while (t) {
        ll_task *next = t->next_all;
        ll__task_free(loop, t);
        t = next;
    }
    ll__task_retired_free(loop);
    ll__loop_stacks_free(loop);
    ll__task_slabs_free(loop);
    ll__sync_free_all(loop);
    ll__agen_free_all(loop);
    for (ll_future *f = loop->owned_futs, *next; f; f = next) {
        next = f->next_owned;
        ll__future_free_cbs(f);
        free(f);
    }
    for (ll_coro *c = loop->dead_coros, *next; c; c = next) {
        next = c->next;
        ll__coro_release(c);
    }
    ll__coro_blocks_free(loop);
    for (ll_handle *h = loop->owned_handles, *next; h; h = next) {
        next = h->next_owned;
        free(h);
    }
    ring_leave(&loop->ready);
    memset(&loop->ready, 0, sizeof loop->ready);
    free(loop->heap);
    for (size_t i = 0; i < loop->narena; i++)
        free(loop->arena[i]);
    free(loop->arena);
    ll__rec_free(&loop->rec);
    bury(loop);
}

int ll_loop_close(ll_loop *loop) {
    if (!loop || loop->closed)
        return 0;
    if (loop->running) {
        ll__misuse(loop, NULL, 0, "RuntimeError: cannot close a running event loop");
        return 1;
    }
    /* Failures nobody looked at: asyncio logs them when the task is
     * garbage-collected; here that moment is the loop's end. */
    for (ll_task *t = loop->tasks_head; t; t = t->next_all) {
        if (t->fut.state == LL__FUT_FINISHED && ll_failed(t->fut.result) && !t->fut.retrieved &&
            !t->reported)
            ll__warn(loop, LL_WARN_NOT_RETRIEVED, t->fut.file, t->fut.line,
                     "Task exception was never retrieved: task '%s' failed with %s: %s", t->name,
                     ll_err_name(t->fut.result.err), ll_errmsg(t->fut.result));
        else if (t->fut.state == LL__FUT_PENDING)
            ll__warn(loop, LL_WARN_MISUSE, t->fut.file, t->fut.line,
                     "Task was destroyed but it is pending: task '%s' (%s)", t->name,
                     ll__task_state_name(t));
    }
    for (ll_future *f = loop->owned_futs; f; f = f->next_owned)
        if (f->state == LL__FUT_FINISHED && ll_failed(f->result) && !f->retrieved)
            ll__warn(loop, LL_WARN_NOT_RETRIEVED, f->file, f->line,
                     "Future exception was never retrieved: %s: %s", ll_err_name(f->result.err),
                     ll_errmsg(f->result));
    ll__coro_sweep(loop);
    ll__inbox_close(loop);
    ll__pool_shutdown(loop);
    if (loop->io_hooks)
        loop->io_hooks->shutdown(loop);
    LL__REC_EV(loop, LOOP_STOP, 0, .aux = (uint32_t)loop->iterations);
    ll__trace_close(loop);
    /* Prints are flushed as they happen and their errors stay in the stream:
     * a program whose output was lost (`prog > /dev/full`) must not exit 0. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "looplab: the program's output could not all be written to standard "
                        "output\n");
        loop->problems++;
    }
    int rc = loop->problems ? 1 : 0;
    loop->closed = true;
    ll__uv_close(loop);
    if (ll__current_loop == loop)
        ll__current_loop = loop->prev_current;
    void *job = loop->outer_job;
    int64_t took = loop->real ? 0 : loop->now;
    free_loop(loop);
    /* A pool worker never ends as a thread that ran a loop would: give
     * back what this thread kept for reuse now. */
    if (job && !ll__current_loop)
        ll__thread_release();
    ll__job_unhide(job, took);
    return rc;
}

int ll__run(ll_coro *main, const ll_loop_opts *opts, const char *file, int line) {
    if (ll__running_loop) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_run() cannot be called from a running event loop");
        ll__coro_free(main);
        return 1;
    }
    if (!main || main->magic != LL__MAGIC_CORO) {
        ll__misuse(NULL, file, line, "TypeError: ll_run() needs a coroutine made by ll_coro()");
        return 1;
    }
    ll_loop *loop = ll_loop_new(opts);
    if (!loop) {
        fputs("looplab: out of memory creating the event loop\n", stderr);
        ll__coro_free(main);
        return 1;
    }
    ll_value v = ll__loop_run_until_complete(loop, main, file, line);
    int rc = 0;
    if (ll_failed(v)) {
        rc = 1;
        if (v.err != LL_EDEADLOCK) {
            const ll_task *mt = loop->tasks_head;
            ll__warn(loop, LL_WARN_MAIN_FAILED, mt ? mt->fut.file : file, mt ? mt->fut.line : line,
                     "the main coroutine failed with %s%s%s", ll_err_name(v.err),
                     *ll_errmsg(v) ? ": " : "", ll_errmsg(v));
        }
    }
    cancel_all_tasks(loop, file, line);
    ll__agen_shutdown(loop, file, line);
    if (ll_loop_close(loop) != 0)
        rc = 1;
    return rc;
}

/* ---- callbacks ------------------------------------------------------------ */

static void run_handle(ll_loop *loop, const ll__ready *e) {
    ll_handle *h = e->a;
    if (h->cancelled)
        return;
    /* The reason it was queued for: a call_later / call_at callback runs
     * because its timer came due, not a call_soon. */
    LL__REC_EV(loop, CB_RUN, 0, .obj = h->timer.id,
               .sub = h->timed ? LL_REASON_TIMER : LL_REASON_CALL_SOON);
    h->ran = true;
    h->fn(h->arg);
}

ll_handle *ll__call_at(ll_loop *loop, double t, int mode, ll_callback_fn fn, void *arg,
                       const char *file, int line) {
    if (!loop) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: call_soon/call_later/call_at on a NULL loop");
        return NULL;
    }
    if (loop->closed) {
        ll__misuse(NULL, file, line, "RuntimeError: Event loop is closed");
        return NULL;
    }
    if (!fn) {
        ll__misuse(loop, file, line, "TypeError: the callback is NULL");
        return NULL;
    }
    if (mode != 0 && isnan(t)) {
        ll__misuse(loop, file, line, "ValueError: the delay is NaN");
        return NULL;
    }
    ll_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->fn = fn;
    h->arg = arg;
    h->timer.id = ll__obj_id(loop);
    h->timer.heap_idx = UINT32_MAX;
    h->timer.fn = run_handle;
    h->timer.a = h;
    h->next_owned = loop->owned_handles;
    loop->owned_handles = h;
    if (mode == 0) {
        ll__ready_push(loop, &(ll__ready){run_handle, h, NULL, NULL, 0, h->timer.id});
        LL__REC_EV(loop, CB_QUEUED, ll__cur_tid(loop), .obj = h->timer.id,
                   .sub = LL_REASON_CALL_SOON, .aux = (uint32_t)loop->ready.len - 1, .file = file,
                   .line = line);
        return h;
    }
    h->timed = true;
    int64_t when = mode == 1 ? ll__ns_add(loop->now, ll__delay_ns(t)) : ll__time_ns(t);
    ll__timer_arm(loop, &h->timer, when, file, line); /* where: what the timer is for */
    return h;
}

double ll__handle_when(const ll_handle *h) {
    return h ? (double)h->timer.when / 1e9 : 0.0;
}

void ll_handle_cancel(ll_handle *h) {
    if (!h || h->cancelled || h->ran)
        return;
    h->cancelled = true;
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (loop && h->timer.heap_idx != UINT32_MAX)
        ll__timer_cancel(loop, &h->timer);
}

bool ll_handle_cancelled(const ll_handle *h) {
    return h && h->cancelled;
}

/* ---- output ---------------------------------------------------------------- */

static void record_text(ll_event_kind kind, const char *file, int line, const char *text,
                        size_t len) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (!loop || !LL__REC(loop))
        return;
    loop->wall = ll__step_wall(loop);
    /* The text first: copying a long line takes a while, and the event is
     * only written out once it is whole. */
    uint32_t str = ll__rec_str(&loop->rec, text, len);
    ll__ev_put(loop, kind,
               (ll__ev_fields){.task = ll__cur_tid(loop), .str = str, .file = file, .line = line});
    ll__ev_done(loop);
}

/* Formats into a stack buffer, or the heap for long lines. */
static char *vformat(char *buf, size_t bufsize, size_t *len, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(buf, bufsize, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        *len = 0;
        buf[0] = '\0';
        return buf;
    }
    *len = (size_t)n;
    if ((size_t)n < bufsize) {
        va_end(ap2);
        return buf;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        va_end(ap2);
        *len = bufsize - 1;
        return buf;
    }
    vsnprintf(big, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return big;
}

void ll__print(const char *file, int line, const char *fmt, ...) {
    char buf[512];
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(buf, sizeof buf, &len, fmt, ap);
    va_end(ap);
    if (ll__job_text(LL_EV_PRINT, file, line, s, len)) {
        if (s != buf)
            free(s);
        return;
    }
    fwrite(s, 1, len, stdout);
    fputc('\n', stdout);
    /* Flush per line so that a parent reading through a pipe sees output as
     * it happens, interleaved correctly with the trace. */
    fflush(stdout);
    record_text(LL_EV_PRINT, file, line, s, len);
    if (s != buf)
        free(s);
}

void ll__note(const char *file, int line, const char *fmt, ...) {
    char buf[512];
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(buf, sizeof buf, &len, fmt, ap);
    va_end(ap);
    if (!ll__job_text(LL_EV_NOTE, file, line, s, len))
        record_text(LL_EV_NOTE, file, line, s, len);
    if (s != buf)
        free(s);
}
