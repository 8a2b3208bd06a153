/* loop.c - the event loop: one iteration, run and close.  The ready queue
 * is in ready.c, the timer heap in timer.c.
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
typedef struct step_clock {
    int state;          /* 0 not started, 1 measuring, 2 TSC, 3 no TSC */
    uint64_t c0;        /* TSC at the start of the measurement */
    int64_t t0;         /* clock_gettime at the same moment */
    double ns_per_tick;
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
static inline uint64_t ticks(void) { return __rdtsc(); }
#else
static bool tsc_invariant(void) { return false; }
static inline uint64_t ticks(void) { return 0; }
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
        sclk.ns_per_tick = (double)(now - sclk.t0) / (double)(c - sclk.c0);
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
        w = loop->sync_ns + (int64_t)((double)(ticks() - loop->sync_ticks) * sclk.ns_per_tick);
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

/* ---- one trace, several loops ---------------------------------------------
 * The first loop that streams a trace to a destination starts a family; a
 * loop made later (on another thread) that streams to the same destination
 * while the first is alive joins it: it writes its lines into the same file,
 * tagged loop=N, with its times moved onto the first loop's clock, and takes
 * task and object ids from the family's counters so that no two loops' ids
 * collide (Python numbers Task-N process-wide too). */
struct ll__family {
    ll__sink sink;           /* the file, shared: whole lines under its lock */
    char *path;              /* the destination, as the loops name it */
    int fd;
    int refs;                /* loops using it (under fam_mu) */
    uint32_t nloops;         /* loop numbers given out */
    bool open;               /* the first loop still writes */
    bool wall;               /* lines carry wall times (the first loop's clock is real) */
    int64_t wall0;           /* the first loop's start, monotonic ns */
    _Atomic int64_t now;     /* the first loop's time, for virtual loops joining */
    _Atomic uint32_t next_task, next_obj;
    _Atomic bool multi;      /* a second loop has joined */
};

static pthread_mutex_t fam_mu = PTHREAD_MUTEX_INITIALIZER;
static ll__family *live_family;

uint32_t ll__family_task_id(ll_loop *loop) {
    return atomic_fetch_add_explicit(&loop->family->next_task, 1, memory_order_relaxed) + 1;
}

uint32_t ll__family_obj_id(ll_loop *loop) {
    return atomic_fetch_add_explicit(&loop->family->next_obj, 1, memory_order_relaxed) + 1;
}

static void family_release(ll_loop *loop) {
    ll__family *f = loop->family;
    if (!f)
        return;
    loop->family = NULL;
    pthread_mutex_lock(&fam_mu);
    if (loop->loop_id == 1) {
        f->open = false;
        if (live_family == f)
            live_family = NULL;
    }
    bool last = --f->refs == 0;
    pthread_mutex_unlock(&fam_mu);
    if (last) {
        pthread_mutex_destroy(&f->sink.mu);
        free(f->path);
        free(f);
    }
}

/* Joins the live family streaming to the loop's destination, if any. */
static bool family_join(ll_loop *loop) {
    pthread_mutex_lock(&fam_mu);
    ll__family *f = live_family;
    if (!f || !f->open || (loop->trace_path && strcmp(f->path, loop->trace_path) != 0) ||
        f->nloops >= LL_TRACE_MAX_LOOPS) {
        pthread_mutex_unlock(&fam_mu);
        return false;
    }
    uint32_t id = ++f->nloops;
    f->refs++;
    atomic_store(&f->multi, true);
    pthread_mutex_unlock(&fam_mu);
    loop->family = f;
    loop->loop_id = id;
    int64_t wall_shift = loop->wall0 - f->wall0;
    int64_t t_shift = loop->real ? wall_shift : atomic_load(&f->now);
    if (ll__tw_join(&loop->trace_tw, f->fd, &f->sink, id, t_shift, wall_shift, f->wall) != 0) {
        family_release(loop);
        return true; /* out of memory: this loop's events are not written */
    }
    loop->trace_fd = -1;
    loop->streaming = true;
    loop->rec.ring = 0; /* the trace is spilled as it is written, not ringed */
    return true;
}

/* The first loop of a trace starts its family. */
static void family_start(ll_loop *loop) {
    ll__family *f = calloc(1, sizeof *f);
    char *path = strdup(loop->trace_path);
    if (!f || !path) {
        free(f);
        free(path);
        return;
    }
    pthread_mutex_init(&f->sink.mu, NULL);
    f->path = path;
    f->fd = loop->trace_fd;
    f->refs = 1;
    f->nloops = 1;
    f->open = true;
    f->wall = loop->real;
    f->wall0 = loop->wall0;
    loop->family = f;
    loop->loop_id = 1;
    loop->trace_tw.sink = &f->sink;
    /* The header goes out before any other loop can write a line. */
    ll__tw_events(&loop->trace_tw, &loop->rec, true);
    pthread_mutex_lock(&fam_mu);
    if (!live_family)
        live_family = f;
    pthread_mutex_unlock(&fam_mu);
}

/* ---- messages ------------------------------------------------------------ */

static void vreport(ll_loop *loop, ll_warn_kind kind, const char *file, int line,
                    const char *fmt, va_list ap) {
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

void ll__warn(ll_loop *loop, ll_warn_kind kind, const char *file, int line,
              const char *fmt, ...) {
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
        fprintf(stderr, "looplab: ignoring %s=%s: expected a size like 65536 or 64K\n",
                name, s);
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


static void trace_open(ll_loop *loop);
static void trace_flush(ll_loop *loop);

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
    bool record = true;
    if (o.record < 0)
        record = false;
    else if (o.record == 0) {
        const char *r = getenv("LOOPLAB_RECORD");
        record = !(r && strcmp(r, "0") == 0);
    }
    ll__rec_init(&loop->rec, record);
    /* In-memory recording keeps every event unless a ring is asked for; a
     * streamed trace spills instead (trace_open turns the ring off). */
    loop->rec.ring = env_size("LOOPLAB_TRACE_RING", 0);
    const char *chk = getenv("LOOPLAB_CHECK");
    loop->check = record && chk && strcmp(chk, "1") == 0;
    loop->trace_path = o.trace_path ? o.trace_path : getenv("LOOPLAB_TRACE");
    if (loop->trace_path && !*loop->trace_path)
        loop->trace_path = NULL;
    loop->program = o.program ? o.program : program_invocation_short_name;
    size_t ss = o.stack_size ? o.stack_size : env_size("LOOPLAB_STACK_SIZE", 256 * 1024);
    loop->default_stack = ll__stack_round(ss);
    double slow = o.slow_step;
    if (slow == 0) {
        const char *e = getenv("LOOPLAB_SLOW_STEP");
        slow = e && *e ? strtod(e, NULL) : 0.1;
        if (slow == 0)
            slow = -1; /* LOOPLAB_SLOW_STEP=0: off */
    }
    loop->slow_ns = slow > 0 && slow < 9e9 ? (int64_t)llround(slow * 1e9) : INT64_MAX;
    loop->stacks = ll__stack_pool_thread();
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
    ll__overflow_install();
    loop->prev_current = ll__current_loop;
    ll__current_loop = loop;
    LL__REC_EV(loop, LOOP_START, 0, .str = ll__str(loop, loop->real ? "real" : "virtual"));
    trace_open(loop);
    return loop;
}

double ll_loop_time(const ll_loop *loop) { return loop ? (double)loop->now / 1e9 : 0.0; }
bool ll_loop_is_real(const ll_loop *loop) { return loop && loop->real; }
ll_loop *ll_get_running_loop(void) { return ll__running_loop; }

ll_loop *ll_get_event_loop(void) {
    if (ll__running_loop)
        return ll__running_loop;
    if (ll__current_loop)
        return ll__current_loop;
    return ll_loop_new(NULL);
}

double ll_time(void) { return ll_loop_time(ll__running_loop); }

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
        trace_flush(loop); /* about to wait: let readers see everything so far */
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
        atomic_store_explicit(&loop->family->now, loop->now, memory_order_relaxed);
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
    poll_phase(loop);
    ll__run_timers(loop);
    /* Only what is ready now runs in this pass (R2). */
    /* A task that suspends may switch straight to the next task of this
     * pass (task.c), which takes its entry off the queue and counts it. */
    loop->pass_left = loop->ready.len;
    while (loop->pass_left) {
        loop->pass_left--;
        if (loop->check)
            ll__check_snapshot(loop);
        ll__ready e = ll__ready_pop(&loop->ready);
        e.fn(loop, &e);
        ll__ev_done(loop);
        /* Several loops share the trace: each step's lines go out as it
         * ends, so that the file follows real time across the loops.  One
         * loop writes a step's lines out when a millisecond has passed since
         * it last did (its clock is read once per step anyway), so that a
         * long iteration is not lost to _exit() either. */
        if (loop->family && atomic_load_explicit(&loop->family->multi, memory_order_relaxed))
            ll__tw_spill(&loop->trace_tw, &loop->rec);
        else if (loop->streaming && loop->wall - loop->trace_wall >= LL__WRITE_EVERY_NS)
            trace_flush(loop);
    }
    /* Every iteration's lines go out as it ends: a program that leaves by
     * _exit(), which runs no handler, keeps all but its last iteration. */
    if (loop->streaming)
        trace_flush(loop);
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
                     w->kind == LL__FK_GATHER ? "gather" : "future", w->id,
                     w->file ? w->file : "?", w->line);
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
    trace_flush(loop);
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
    trace_flush(loop);
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
    ll_value v = ll__loop_run_until_complete(
        loop, ll__gatherv(left, n, true, file, line), file, line);
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
    for (ll_handle *h = loop->owned_handles, *next; h; h = next) {
        next = h->next_owned;
        free(h);
    }
    free(loop->ready.buf);
    free(loop->heap);
    for (size_t i = 0; i < loop->narena; i++)
        free(loop->arena[i]);
    free(loop->arena);
    ll__rec_free(&loop->rec);
    bury(loop);
}

/* ---- nothing lost when the program dies ---------------------------------
 * Loops that stream a trace are watched.  A fatal signal, or exit() without
 * closing the loop, writes out every event recorded so far plus a run_end
 * event saying what happened, using only async-signal-safe calls, then lets
 * the signal take its course. */
#define MAX_WATCHED 64
static _Atomic(ll_loop *) watched[MAX_WATCHED];
static atomic_int fatal_installed;
static const int fatal_signals[] = {SIGABRT, SIGFPE, SIGILL, SIGTERM, SIGINT, SIGHUP, SIGQUIT};
#define NELEMS_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction fatal_old[NELEMS_FATAL];

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    default: return "a signal";
    }
}

/* The run_end event a fatal signal or exit() adds.  It is written after the
 * recorded events but not stored among them: the signal may have come while
 * the recorder was adding one. */
static ll_trace_event end_event(const ll_loop *loop, int how, int64_t code) {
    ll_trace_event e;
    memset(&e, 0, sizeof e);
    e.t = loop->now;
    e.wall = loop->wall;
    e.kind = LL_EV_RUN_END;
    e.sub = (uint16_t)how;
    e.val = code;
    /* The detail must already be in the string table (interned when the loop
     * started streaming): no allocation here. */
    e.str = how == 1 ? loop->exit_str : code > 0 && code < 32 ? loop->sig_str[code] : 0;
    return e;
}

/* Writes out one seized loop's trace: the events recorded whole, then (the
 * first loop) the run_end.  An event being recorded when the signal came is
 * left out: its fields may be half written (ll__ev). */
static void flush_seized(ll_loop *loop, int how, int64_t code) {
    size_t filling = atomic_load_explicit(&loop->rec_filling, memory_order_relaxed);
    size_t upto = filling && filling <= loop->rec.n ? filling - 1 : loop->rec.n;
    ll_trace_event end = end_event(loop, how, code);
    ll__tw_emergency_upto(&loop->trace_tw, &loop->rec, upto,
                          loop->rec.on && loop->loop_id <= 1 ? &end : NULL);
}

/* How flush_watched treats a loop whose writer is busy (in the middle of a
 * line or a write(2)). */
enum flush_mode {
    FLUSH_SKIP,  /* a synchronous fault: skip it, it may be where we crashed */
    FLUSH_DEFER, /* an asynchronous signal: have the writer do it as it leaves */
    FLUSH_WAIT,  /* exit(): another thread's writer, wait for it a little */
};

/* Writes out every watched loop's trace and a run_end, all or nothing: when a
 * writer is busy and the mode is FLUSH_DEFER, nothing is written now and false
 * is returned (the busy writer calls flush_deferred when it leaves). */
static bool flush_watched(int how, int64_t code, enum flush_mode mode) {
    ll_loop *got[MAX_WATCHED];
    int ngot = 0;
    for (int i = 0; i < MAX_WATCHED; i++) {
        ll_loop *loop = atomic_load(&watched[i]);
        if (!loop || !loop->streaming)
            continue;
        int s = ll__tw_seize(&loop->trace_tw, mode == FLUSH_DEFER);
        for (int tries = 0; s == 0 && mode == FLUSH_WAIT && tries < 1000; tries++) {
            nanosleep(&(struct timespec){0, 1000000}, NULL);
            s = ll__tw_seize(&loop->trace_tw, false);
        }
        if (s == 1) {
            got[ngot++] = loop;
        } else if (s == 0 && mode == FLUSH_DEFER) {
            /* Give the others back: they are written when this one is. */
            while (ngot)
                ll__tw_release(&got[--ngot]->trace_tw);
            return false;
        }
    }
    /* Loops that joined another's trace first: the first loop writes the
     * run_end, which must come last. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ngot; i++)
            if ((pass == 0) == (got[i]->loop_id > 1))
                flush_seized(got[i], how, code);
    return true;
}

/* The fatal signal a handler put off, or 0. */
static atomic_int deferred_sig;

static void die_of(int sig) {
    for (size_t i = 0; i < NELEMS_FATAL; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &fatal_old[i], NULL);
    raise(sig);
}

/* Called by a writer leaving its gate with a flush wanted: does what the
 * signal handler could not. */
static void flush_deferred(void) {
    int sig = atomic_load(&deferred_sig);
    if (sig && flush_watched(2, sig, FLUSH_DEFER))
        die_of(sig);
}

static void on_fatal_signal(int sig) {
    flush_watched(2, sig, FLUSH_SKIP);
}

static void fatal_handler(int sig) {
    /* SIGTERM, SIGINT, SIGHUP and SIGQUIT come from outside, at any moment:
     * if a writer is half way through, it finishes and then flushes.  The
     * others come from the program itself (abort, a bad instruction). */
    bool async = sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
    if (async) {
        int none = 0;
        atomic_compare_exchange_strong(&deferred_sig, &none, sig);
        if (!flush_watched(2, sig, FLUSH_DEFER))
            return; /* put off: the writer dies of it as it leaves */
    } else {
        flush_watched(2, sig, FLUSH_SKIP);
    }
    die_of(sig);
}

static void at_exit_flush(void) { flush_watched(1, 0, FLUSH_WAIT); }
#ifdef __GLIBC__
/* glibc tells an exit handler the status exit() was given: run_end keeps it. */
static void on_exit_flush(int status, void *unused) {
    (void)unused;
    flush_watched(1, status, FLUSH_WAIT);
}
#endif

static void install_fatal(void) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&fatal_installed, &expected, 1))
        return;
    for (size_t i = 0; i < NELEMS_FATAL; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = fatal_handler;
        sa.sa_flags = SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(fatal_signals[i], NULL, &fatal_old[i]);
        /* Leave signals the program ignores, or handles itself, alone. */
        if (fatal_old[i].sa_handler != SIG_DFL)
            continue;
        sigaction(fatal_signals[i], &sa, NULL);
    }
    ll__fatal_hook = on_fatal_signal; /* SIGSEGV and SIGBUS (stack.c) */
    ll__tw_deferred_hook = flush_deferred;
#ifdef __GLIBC__
    on_exit(on_exit_flush, NULL);
#else
    atexit(at_exit_flush);
#endif
    at_quick_exit(at_exit_flush); /* no status to be had there */
}

void ll__fatal_watch(ll_loop *loop) {
    install_fatal();
    for (int i = 0; i < MAX_WATCHED; i++) {
        ll_loop *expected = NULL;
        if (atomic_compare_exchange_strong(&watched[i], &expected, loop))
            return;
    }
}

void ll__fatal_unwatch(ll_loop *loop) {
    for (int i = 0; i < MAX_WATCHED; i++) {
        ll_loop *expected = loop;
        if (atomic_compare_exchange_strong(&watched[i], &expected, NULL))
            return;
    }
}

/* LOOPLAB_TRACE=fd:N: a copy of inherited descriptor N (3 or above), or -1
 * after saying what is wrong.  Both the copy and N itself are closed on exec,
 * so a grandchild the program starts does not hold `looplab run`'s pipe open
 * after the program has gone (N stays open for a forked child that does not
 * exec, which the runner stops waiting for when the program exits). */
static int trace_fd_inherited(const char *spec) {
    const char *num = spec + 3;
    char *end;
    errno = 0;
    long n = strtol(num, &end, 10);
    if (end == num || *end || errno || n < 0 || n > INT_MAX) {
        fprintf(stderr, "looplab: LOOPLAB_TRACE=%s: expected fd: and a descriptor number\n",
                spec);
        return -1;
    }
    if (n <= 2) {
        fprintf(stderr, "looplab: LOOPLAB_TRACE=%s: descriptor %ld is the program's %s; give "
                        "the trace its own descriptor (3 or above) or a file\n",
                spec, n, n == 0 ? "standard input" : n == 1 ? "standard output" : "standard error");
        return -1;
    }
    int fd = fcntl((int)n, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
        fprintf(stderr, "looplab: cannot write the trace to descriptor %ld (LOOPLAB_TRACE=%s): "
                        "%s\n",
                n, spec, strerror(errno));
        return -1;
    }
    int flags = fcntl((int)n, F_GETFD);
    if (flags != -1)
        fcntl((int)n, F_SETFD, flags | FD_CLOEXEC);
    return fd;
}

/* The trace is streamed: events are formatted as text at the end of every
 * loop iteration and written out whenever the writer's buffer fills, the loop
 * is about to wait for real time, or it stops; a fatal signal writes the rest
 * (see fatal_signal), so a program that dies leaves every event it recorded. */
static void trace_open(ll_loop *loop) {
    if (!LL__REC(loop))
        return;
    /* A loop with no trace of its own, or the same one, joins the trace a
     * loop on another thread is writing. */
    if (family_join(loop)) {
        if (loop->streaming)
            ll__fatal_watch(loop);
        return;
    }
    if (!loop->trace_path)
        return;
    /* "-" is standard error; "fd:N" an inherited descriptor (looplab run's
     * pipe); anything else a file. */
    int fd;
    ll__std_fds_guard(); /* a trace file must not become the program's stdout */
    if (strcmp(loop->trace_path, "-") == 0)
        fd = 2;
    else if (strncmp(loop->trace_path, "fd:", 3) == 0) {
        /* One trace per descriptor: a second loop in the same program would
         * start a second trace in the middle of the first. */
        static atomic_int fd_taken;
        if (atomic_exchange(&fd_taken, 1)) {
            fprintf(stderr, "looplab: this program runs more than one event loop; the trace "
                            "holds the first one only\n");
            return;
        }
        fd = trace_fd_inherited(loop->trace_path);
        if (fd < 0) {
            loop->problems++;
            return;
        }
    }
    else
        fd = open(loop->trace_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "looplab: cannot write the trace to %s: %s\n", loop->trace_path,
                strerror(errno));
        loop->problems++;
        return;
    }
    ll_trace_meta m = ll__trace_meta(loop);
    if (ll__tw_begin(&loop->trace_tw, fd, NULL, &m, loop->real) != 0) {
        if (fd != 2)
            close(fd);
        return;
    }
    loop->trace_fd = fd;
    loop->streaming = true;
    loop->rec.ring = 0; /* the trace is spilled as it is written, not ringed */
    /* What a fatal-signal handler may want to say, interned beforehand. */
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL,
                               SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        const char *nm = signal_name(sigs[i]);
        if (sigs[i] < 32)
            loop->sig_str[sigs[i]] = ll__str(loop, nm);
    }
    const char *ex = "the program exited without closing its event loop";
    loop->exit_str = ll__str(loop, ex);
    loop->rec.str_pin = loop->rec.strlen_; /* the two above outlive any spill */
    /* Watched before the header goes out: once a reader can see the trace,
     * a signal finds it and ends it with a run_end. */
    ll__fatal_watch(loop);
    family_start(loop);
}

static void trace_flush(ll_loop *loop) {
    ll__ev_done(loop);
    if (loop->streaming) {
        /* Written out, the events need not be held (recorder.h: spilled). */
        ll__tw_spill(&loop->trace_tw, &loop->rec);
        loop->trace_wall = loop->wall;
    }
}

static void trace_close(ll_loop *loop) {
    if (!loop->streaming)
        return;
    ll__fatal_unwatch(loop);
    loop->streaming = false;
    int rc = ll__tw_end(&loop->trace_tw, &loop->rec);
    if (loop->trace_tw.dropped)
        fprintf(stderr, "looplab: loop %u was still running when the program's first loop "
                        "closed the trace; its last events are not in it\n", loop->loop_id);
    if (loop->trace_fd >= 0 && loop->trace_fd != 2 && close(loop->trace_fd) != 0)
        rc = -1;
    family_release(loop);
    if (rc != 0) {
        fprintf(stderr, "looplab: error writing the trace to %s: %s\n", loop->trace_path,
                strerror(errno));
        loop->problems++;
    }
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
                     "Task exception was never retrieved: task '%s' failed with %s: %s",
                     t->name, ll_err_name(t->fut.result.err), ll_errmsg(t->fut.result));
        else if (t->fut.state == LL__FUT_PENDING)
            ll__warn(loop, LL_WARN_MISUSE, t->fut.file, t->fut.line,
                     "Task was destroyed but it is pending: task '%s' (%s)", t->name,
                     ll__task_state_name(t));
    }
    for (ll_future *f = loop->owned_futs; f; f = f->next_owned)
        if (f->state == LL__FUT_FINISHED && ll_failed(f->result) && !f->retrieved)
            ll__warn(loop, LL_WARN_NOT_RETRIEVED, f->file, f->line,
                     "Future exception was never retrieved: %s: %s",
                     ll_err_name(f->result.err), ll_errmsg(f->result));
    ll__coro_sweep(loop);
    ll__inbox_close(loop);
    ll__pool_shutdown(loop);
    if (loop->io_hooks)
        loop->io_hooks->shutdown(loop);
    LL__REC_EV(loop, LOOP_STOP, 0, .aux = (uint32_t)loop->iterations);
    trace_close(loop);
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
            ll__warn(loop, LL_WARN_MAIN_FAILED, mt ? mt->fut.file : file,
                     mt ? mt->fut.line : line, "the main coroutine failed with %s%s%s",
                     ll_err_name(v.err), *ll_errmsg(v) ? ": " : "", ll_errmsg(v));
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

double ll__handle_when(const ll_handle *h) { return h ? (double)h->timer.when / 1e9 : 0.0; }

void ll_handle_cancel(ll_handle *h) {
    if (!h || h->cancelled || h->ran)
        return;
    h->cancelled = true;
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (loop && h->timer.heap_idx != UINT32_MAX)
        ll__timer_cancel(loop, &h->timer);
}

bool ll_handle_cancelled(const ll_handle *h) { return h && h->cancelled; }

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
