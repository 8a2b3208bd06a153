/* tracefile.c - where a loop's trace goes while it runs: the file it streams
 * to (LOOPLAB_TRACE, fd:N, ll_loop_opts.trace_path), shared by the loops of
 * one program as a family writing whole lines in turn, and written out with
 * a run_end event when a fatal signal or exit() comes before the loop is
 * closed (docs/trace-format.md). */
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

/* ---- one trace, several loops ---------------------------------------------
 * The first loop that streams a trace to a destination starts a family; a
 * loop made later (on another thread) that streams to the same destination
 * while the first is alive joins it: it writes its lines into the same file,
 * tagged loop=N, with its times moved onto the first loop's clock, and takes
 * task and object ids from the family's counters so that no two loops' ids
 * collide (Python numbers Task-N process-wide too). */
struct ll__family {
    ll__sink sink; /* the file, shared: whole lines under its lock */
    char *path;    /* the destination, as the loops name it */
    int fd;
    int refs;            /* loops using it (under fam_mu) */
    uint32_t nloops;     /* loop numbers given out */
    bool open;           /* the first loop still writes */
    bool wall;           /* lines carry wall times (the first loop's clock is real) */
    int64_t wall0;       /* the first loop's start, monotonic ns */
    _Atomic int64_t now; /* the first loop's time, for virtual loops joining */
    _Atomic uint32_t next_task, next_obj;
    _Atomic bool multi; /* a second loop has joined */
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

const char *ll__signal_name(int sig) {
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
    case SIGKILL: return "SIGKILL"; /* never caught here; `looplab run` reports it */
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
 * left out: its fields may be half written (ll__ev_put). */
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

static void at_exit_flush(void) {
    flush_watched(1, 0, FLUSH_WAIT);
}
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
        fprintf(stderr, "looplab: LOOPLAB_TRACE=%s: expected fd: and a descriptor number\n", spec);
        return -1;
    }
    if (n <= 2) {
        fprintf(stderr,
                "looplab: LOOPLAB_TRACE=%s: descriptor %ld is the program's %s; give "
                "the trace its own descriptor (3 or above) or a file\n",
                spec, n,
                n == 0   ? "standard input"
                : n == 1 ? "standard output"
                         : "standard error");
        return -1;
    }
    int fd = fcntl((int)n, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
        fprintf(stderr,
                "looplab: cannot write the trace to descriptor %ld (LOOPLAB_TRACE=%s): "
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
void ll__trace_open(ll_loop *loop) {
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
    } else
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
                               SIGTERM, SIGINT, SIGHUP,  SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        const char *nm = ll__signal_name(sigs[i]);
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

void ll__trace_flush(ll_loop *loop) {
    ll__ev_done(loop);
    if (loop->streaming) {
        /* Written out, the events need not be held (recorder.h: spilled). */
        ll__tw_spill(&loop->trace_tw, &loop->rec);
        loop->trace_wall = loop->wall;
    }
}

void ll__trace_close(ll_loop *loop) {
    if (!loop->streaming)
        return;
    ll__fatal_unwatch(loop);
    loop->streaming = false;
    int rc = ll__tw_end(&loop->trace_tw, &loop->rec);
    if (loop->trace_tw.dropped)
        fprintf(stderr,
                "looplab: loop %u was still running when the program's first loop "
                "closed the trace; its last events are not in it\n",
                loop->loop_id);
    if (loop->trace_fd >= 0 && loop->trace_fd != 2 && close(loop->trace_fd) != 0)
        rc = -1;
    family_release(loop);
    if (rc != 0) {
        fprintf(stderr, "looplab: error writing the trace to %s: %s\n", loop->trace_path,
                strerror(errno));
        loop->problems++;
    }
}

void ll__family_set_now(ll_loop *loop) {
    atomic_store_explicit(&loop->family->now, loop->now, memory_order_relaxed);
}

/* Several loops share the trace: each step's lines go out as it ends, so
 * that the file follows real time across the loops.  One loop writes a
 * step's lines out when a millisecond has passed since it last did (its
 * clock is read once per step anyway), so that a long iteration is not lost
 * to _exit() either. */
void ll__trace_step_end(ll_loop *loop) {
    if (loop->family && atomic_load_explicit(&loop->family->multi, memory_order_relaxed))
        ll__tw_spill(&loop->trace_tw, &loop->rec);
    else if (loop->streaming && loop->wall - loop->trace_wall >= LL__WRITE_EVERY_NS)
        ll__trace_flush(loop);
}
