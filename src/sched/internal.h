/* internal.h - the scheduler's data structures, shared by src/sched/ files.
 *
 * The design follows CPython's asyncio closely, because the printed order of
 * a program depends on how many trips through the ready queue each wake-up
 * takes:
 *   - the ready queue holds callbacks (ll__ready entries), run FIFO; one pass
 *     runs exactly the entries present when the pass began (R1, R2);
 *   - a task step is one such entry; a task awaiting a pending future
 *     registers a done callback on it and suspends (R5);
 *   - completing a future queues its done callbacks, so a waiter resumes one
 *     trip after completion, never inline (R6);
 *   - sleep(d) arms a timer whose callback completes the sleep's future, and
 *     the future's done callback wakes the task (two trips, as in asyncio);
 *   - gather is a future fed by done callbacks on its children (R8).
 * Every transition calls the recorder (src/trace/recorder.h). */
#ifndef LL_SCHED_INTERNAL_H
#define LL_SCHED_INTERNAL_H

#include "looplab.h"

#include <pthread.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../core/ctx.h"
#include "../core/stack.h"
#include "../trace/recorder.h"
#include "../trace/writer.h"
#include "process.h"

/* A list or tuple value's items (LL_LIST, LL_TUPLE): opaque in the public
 * header, where ll_list_len and ll_list_at read it. */
struct ll_list {
    size_t len;       /* number of items */
    ll_value items[]; /* the items */
};

/* The one-value forms behind the library's own coroutines, generators and
 * thread-pool jobs (the public macros box their arguments with the ...v
 * forms): arg is given to fn as it is. */
ll_coro *ll__coro_new(ll_coro_fn fn, ll_value arg, const char *fn_name, const char *file, int line);
ll_agen *ll__agen_new(ll_coro_fn fn, ll_value arg, const char *fn_name, const char *file, int line);
ll_coro *ll__to_thread(ll_blocking_fn fn, ll_value arg, const char *fn_name, const char *file,
                       int line);
ll_future *ll__run_in_executor(ll_blocking_fn fn, ll_value arg, const char *fn_name,
                               const char *file, int line);

/* Magic numbers at the start of every object, so that a pointer passed as an
 * awaitable can be checked before it is used. */
enum {
    LL__MAGIC_FUTURE = 0x4c4c4655, /* "LLFU" */
    LL__MAGIC_TASK = 0x4c4c5441,   /* "LLTA" */
    LL__MAGIC_CORO = 0x4c4c434f,   /* "LLCO" */
    LL__MAGIC_DEAD = 0x4c4c4445    /* "LLDE": freed coroutine */
};

typedef enum ll__fut_state {
    LL__FUT_PENDING = 0,
    LL__FUT_FINISHED, /* result holds a value or an error */
    LL__FUT_CANCELLED
} ll__fut_state;

typedef enum ll__task_state {
    LL__TASK_PENDING = 0, /* created, first step not yet queued */
    LL__TASK_READY,       /* a step of it is in the ready queue */
    LL__TASK_RUNNING,     /* it has the thread */
    LL__TASK_WAITING,     /* suspended on a future / timer */
    LL__TASK_DONE,
    LL__TASK_FAILED,
    LL__TASK_CANCELLED
} ll__task_state;

/* What a future is, for the trace. */
typedef enum ll__fut_kind {
    LL__FK_PLAIN = 0, /* ll_future_new */
    LL__FK_TASK,
    LL__FK_GATHER,
    LL__FK_SLEEP,
    LL__FK_JOB, /* ll_to_thread: a job on the thread pool (threadpool.c) */
    LL__FK_IO   /* a wait on a socket (src/io/stream.c) */
} ll__fut_kind;

typedef struct ll__ready ll__ready;
typedef void (*ll__ready_fn)(ll_loop *loop, const ll__ready *e);

/* One entry of the ready queue: a callback and its arguments.  `tid` and
 * `oid` only serve the trace (which task / which object it belongs to). */
struct ll__ready {
    ll__ready_fn fn;
    void *a;
    void *b;
    ll_done_fn user; /* user done callbacks only */
    uint32_t tid;    /* owning task id, 0 if none */
    uint32_t oid;    /* object id (handle / future), 0 if none */
};

/* A registered done callback (fn is called through the ready queue as
 * fn(loop, {a = the future, b = arg, user})). */
typedef struct ll__donecb {
    ll__ready_fn fn;
    void *arg;
    ll_done_fn user;
    uint32_t tid; /* task to show in the trace, 0 if none */
} ll__donecb;

struct ll_future {
    uint32_t magic;        /* LL__MAGIC_FUTURE or LL__MAGIC_TASK (first, as
                              in every object ll_await() is given) */
    uint8_t state;         /* ll__fut_state */
    uint8_t kind;          /* ll__fut_kind */
    bool retrieved;        /* an error was seen by someone (no warning) */
    bool cancel_requested; /* gather: cancel() reached a child */
    ll_loop *loop;         /* the loop it belongs to */
    ll_value result;       /* result or error once done */
    ll__donecb cb0;        /* first callback, inline: most futures have one */
    ll__donecb *cbs;       /* further callbacks */
    uint32_t ncb;          /* callbacks registered, including cb0 */
    uint32_t cbcap;        /* capacity of cbs */
    const char *file;      /* creation site */
    int line;
    ll_future *next_owned; /* the loop's list of plain/gather futures */
    uint32_t id;           /* object id (tasks: the task id); last, so that in
                              a task it sits by what a step reads (ll_task) */
};

/* A timer in the loop's heap.  Deadlines tie-break on `seq`, the order of
 * arming (R3), as libuv does. */
typedef struct ll__timer {
    int64_t when;      /* deadline, loop time in ns */
    uint64_t seq;      /* arming order */
    uint32_t heap_idx; /* position in the heap, UINT32_MAX if not in it */
    uint32_t id;       /* object id, for the trace */
    uint32_t tid;      /* owning task for the trace (sleep), 0 if none */
    bool direct;       /* fn runs as the timer fires instead of being
                          queued (replaying a worker's virtual events) */
    ll__ready_fn fn;   /* queued with (a, b) when due */
    void *a, *b;
} ll__timer;

struct ll_handle {
    ll__timer timer; /* for call_later / call_at */
    ll_callback_fn fn;
    void *arg;
    bool cancelled;        /* handle.cancel() was called */
    bool ran;              /* the callback has run */
    bool timed;            /* call_later / call_at: it runs because a timer came due */
    ll_handle *next_owned; /* the loop's list of handles */
};

struct ll_coro {
    uint32_t magic; /* LL__MAGIC_CORO */
    ll_coro_fn fn;
    ll_value arg;
    const char *fn_name; /* the C function's name, from the macro */
    const char *file;    /* where the coroutine object was made */
    int line;
    ll_coro *prev, *next; /* this thread's list of coroutines not yet used */
    ll_loop *loop;        /* loop running when it was made (may be NULL) */
    ll_task *maker;       /* task whose step made it (NULL: made outside any
                           * task); if that step ends with it unused, it was
                           * dropped: "never awaited" is reported then, as
                           * CPython does when the object is freed */
    void *owned_args;     /* its arguments' memory, when it was made outside
                           * a loop (ll__args_pack); freed with it */
    bool hidden;          /* made by the library for itself (ll__coro_private) */
    bool slab;            /* carved from its loop's coroutine blocks (made
                           * while that loop ran), not malloc'd: freed with
                           * them; a used one may shrink to its magic (task.c) */
};

struct ll_task {
    ll_future fut; /* a task is a future; must be first */
    /* What a task step reads and writes of the task that suspends and of
     * the one it switches to (task.c suspend): 16 bytes, right after the
     * future's id (which the trace's events name), in the second 64-byte
     * line of a task record carved on a line boundary (task_alloc), so that
     * a step touches one cache line of each task.  Keep them together. */
    uint8_t state;        /* ll__task_state */
    bool must_cancel;     /* deliver CancelledError at the next step */
    bool unguarded;       /* its stack has a canary instead of a guard page */
    bool direct;          /* started with a stack of its own and not done:
                           * another task may switch straight into it
                           * (task.c suspend); a copy-mode task's bytes must
                           * be copied in by the loop first */
    uint32_t num_cancels; /* cancel() requests so far (Python 3.11) */
    ll__ctx ctx;          /* its saved machine state (the stack pointer first) */
    uint8_t wait_kind;    /* ll_wait_kind while waiting */
    bool started;         /* its body has begun */
    bool finished;        /* its body returned; the stack can go */
    bool held;            /* the program used its handle (awaited it, asked
                           * its result, cancelled it ...): a failure it
                           * still may retrieve is reported only at close */
    bool reported;        /* "never retrieved" already said (at its failure) */
    bool copy;            /* runs on the loop's shared stack (LL_STACK_COPY) */
    bool anon;            /* nobody outside the library was ever given this
                           * task (a server's connection task): once done it
                           * is recycled, as CPython frees a task nobody
                           * references (ll_current_task / ll_all_tasks
                           * hand it out and clear this) */
    ll_future *waiter;    /* the future it is suspended on (fut_waiter) */
    ll_coro_fn fn;        /* the coroutine's body */
    ll_value arg;
    const char *coro_name;  /* the coroutine running in it: its own, or the one
                             * it awaits inline while that runs */
    const char *name;       /* "Task-N" or the given name (arena copy) */
    ll__stack stack;        /* its stack, while it has one */
    size_t stack_size;      /* requested usable stack size */
    ll__overflow_info *ovf; /* what the overflow report says (top of its stack) */
    unsigned char *saved;   /* copy mode: its frames while another task owns
                             * the shared stack */
    uint32_t saved_len;     /* bytes in `saved` (the used part [sp, top)) */
    uint32_t saved_cap;     /* bytes allocated for `saved` */
    void *frame_objs;       /* copy mode: ll__frame_obj's, newest first */
    ll_task *parent;        /* the task that created it, or NULL */
    struct ll_agen *agen;   /* the async generator it is running inside, if any */
    ll_task *next_all;      /* the loop's list of all tasks, creation order;
                             * retired and free records are chained by it too */
    ll_task *prev_all;      /* the same list backwards (a task leaves it when
                             * it is recycled) */
    char dname[16];         /* "Task-N" when it has no given name: kept in the
                             * record so that recycling it leaves nothing behind */
    /* The `async with` scopes its coroutines have entered and not yet left
     * (timeouts.c), innermost last; scope_base is where the running
     * coroutine's own begin (the ones below belong to its callers). */
    struct ll__scope *scopes;
    uint32_t nscopes, scopecap, scope_base;
    /* Cancel requests a TaskGroup made and, as Python 3.11 does, left
     * standing (a child failed while the group's exit waited): not the
     * program's to withdraw, so they are no swallowed cancellation. */
    uint32_t cancels_kept;
    /* Where the last LL_TRY that passed an error on returned from, and that
     * error: a scope left open is reported at that line when the coroutine
     * returns this very error. */
    const char *try_file;
    int try_line;
    ll_value try_v;
};

/* The step's fields share one 64-byte line of a record that starts on one. */
_Static_assert(offsetof(ll_task, fut.id) / 64 == (offsetof(ll_task, ctx) + sizeof(void *) - 1) / 64,
               "a task step's fields (fut.id .. ctx.sp) must share one cache line");

/* A block that tasks are carved from (task.c). */
typedef struct ll__slab {
    void *mem;    /* calloc'd, or a block (src/core/block.h) */
    size_t bytes; /* its size: LL__BLOCK_SIZE says it is a block */
} ll__slab;

/* What a layer above the scheduler that keeps state on a loop (src/io)
 * registers with it, so that the scheduler calls it without knowing it (as
 * Redis's ae.c only ever sees callbacks). */
typedef struct ll__layer_hooks {
    /* At loop close, after the thread pool: closes what is still open (every
     * socket, server, session, database) and frees the layer's state. */
    void (*shutdown)(ll_loop *loop);
    /* What object `id` is, for a deadlock report on a task waiting for I/O:
     * "socket #7 (127.0.0.1:8080)". */
    void (*describe)(const ll_loop *loop, uint32_t id, char *buf, size_t n);
} ll__layer_hooks;

/* The ready queue: a ring of entries, capacity a power of two. */
typedef struct ll__ring {
    ll__ready *buf;
    size_t cap, head, len;
} ll__ring;

typedef struct ll__sync ll__sync;
typedef struct ll__pool ll__pool;
typedef struct ll__family ll__family;
typedef struct ll__remote ll__remote;

struct ll_loop {
    ll__ring ready;   /* the ready queue */
    ll__timer **heap; /* min-heap of armed timers by (when, seq) */
    size_t nheap, heapcap;
    uint64_t timer_seq;   /* arming counter */
    int64_t now;          /* loop time in ns */
    bool real;            /* real clock on libuv */
    uint8_t model;        /* ll_model: asyncio's (0) or a wrong one (models.c) */
    uint8_t step_slow;    /* LL__SLOW_* bits: what a step's end has to do
                             beyond the common case (task.c step_end); none
                             set, it only checks the task's canary flag */
    ll_task *eager_pause; /* "eager": the creator paused mid-step while the
                             task it made runs (its step has not ended) */
    bool in_poll;         /* real clock: waiting in libuv, no event since */
    int64_t poll_timeout; /* that wait's timeout (ns, -1: none) */
    bool running;         /* inside run_until_complete */
    bool stopping;        /* stop() was called */
    bool closed;
    uint64_t iterations;              /* passes of run_once */
    size_t pass_left;                 /* entries of this pass not yet run (R2) */
    size_t step_mark;                 /* events recorded when the step began */
    ll_task *current;                 /* the running task */
    ll__ctx sched_ctx;                /* the scheduler's own context */
    ll__stack_pool *stacks;           /* reusable task stacks (this thread's pool) */
    size_t default_stack;             /* default usable stack size */
    bool copy_mode;                   /* new tasks run in LL_STACK_COPY */
    ll__stack shared;                 /* copy mode: the stack tasks share */
    ll_task *shared_owner;            /* whose frames are on it now */
    uint32_t next_task_id;            /* Task-N numbering, from 1 */
    uint32_t next_obj_id;             /* ids of futures / handles / timers */
    ll_task *tasks_head, *tasks_tail; /* every task, creation order */
    size_t ntasks;
    ll_future *owned_futs;    /* plain and gather futures to free */
    ll_handle *owned_handles; /* call_soon/later handles to free */
    ll_coro *dead_coros;      /* coroutines already used, freed at close */
    ll__sync *owned_sync;     /* locks, events, semaphores, queues */
    ll__slab *task_slabs;     /* blocks that tasks are carved from */
    size_t ntask_slabs, task_slabcap;
    char *task_cur;         /* next free task in the last block */
    size_t task_left;       /* tasks left in it */
    size_t task_carved;     /* records ever carved from the blocks */
    ll_task *task_free;     /* recycled records, ready for the next task */
    ll_task *task_retired;  /* done anonymous tasks, off the all-tasks list,
                             * that a ready-queue entry may still name:
                             * recycled in batches once none does */
    size_t ntask_retired;   /* how many */
    uint64_t task_recycled; /* records recycled so far */
    char **arena;           /* blocks of loop-lifetime memory */
    size_t narena, arenacap;
    char *arena_cur; /* bump pointer into the last block */
    size_t arena_left;
    ll__recorder rec;                /* the events */
    _Atomic size_t rec_filling;      /* 1 + the index of the last event ll__ev_put
                                        made, until it is known whole (the next
                                        event, the step's end: ll__ev_done); 0
                                        then.  A fatal-signal flush leaves that
                                        event out: its caller may be filling it */
    int64_t wall0;                   /* monotonic ns at loop start */
    int64_t wall;                    /* monotonic ns since start, as last read:
                                        the clock is read once per task step (at
                                        its end, which is the next step's start)
                                        and for prints and notes, not per event */
    int64_t sync_ns;                 /* wall at the last exact clock reading */
    uint64_t sync_ticks;             /* TSC at that reading (step clock) */
    const char *trace_path;          /* where the trace is streamed, or NULL */
    bool streaming;                  /* trace_tw is writing to trace_fd */
    int trace_fd;                    /* the trace file while streaming */
    int64_t trace_wall;              /* loop->wall when the trace was last
                                        written out (run_once) */
    ll__tw trace_tw;                 /* the text writer */
    uint32_t sig_str[32];            /* signal names in the string table */
    uint32_t exit_str;               /* "exited without closing" in it */
    char start_iso[32];              /* when the loop was made, UTC, ISO 8601 */
    const char *program;             /* program name for the trace */
    int problems;                    /* things reported that make close return 1 */
    uint32_t swallowed;              /* swallowed cancellations reported so far */
    bool deadlocked;                 /* run_once found a deadlock */
    bool check;                      /* LOOPLAB_CHECK=1: record `check` snapshots */
    int64_t step_blocked;            /* ns this step spent in blocking calls */
    int64_t step_w0;                 /* wall when the step began (recording only) */
    int64_t slow_ns;                 /* slow-step threshold, INT64_MAX: off */
    const char *block_file;          /* last blocking call of this step, for the */
    int block_line;                  /* slow-step warning */
    ll__pool *pool;                  /* thread-pool jobs, made at the first one */
    struct ll_agen *agens;           /* async generators made on this loop */
    struct ll__io *io;               /* sockets, servers and sessions (src/io) */
    const ll__layer_hooks *io_hooks; /* what src/io registered with its state:
                                   the loop knows the I/O layer only by them */
    void *uv;                        /* uv_loop_t* for the real clock */
    void *uv_timer;                  /* uv_timer_t* used to wake the poll */
    ll_loop *prev_current;           /* the thread's current loop before this one */
    /* Several loops (multiloop.c): */
    ll__family *family;            /* the trace it shares with other loops, or NULL */
    uint32_t loop_id;              /* its number in that trace (1: the first) */
    ll__remote *inbox;             /* call_soon_threadsafe requests, oldest first, */
    ll__remote **inbox_tail;       /* under ll__remote_mu */
    bool inbox_closed;             /* the loop is closing: no more requests */
    pthread_cond_t inbox_cv;       /* signalled when a request arrives */
    void *uv_async;                /* uv_async_t waking a real loop's poll */
    int remote_waits;              /* results awaited from other loops */
    _Atomic int inbox_n;           /* requests in the inbox (read without the lock) */
    bool forever;                  /* run_forever: idle means wait for requests */
    struct ll__loopthread *thread; /* the thread it runs in (ll_loop_thread_start) */
    void *outer_job;               /* a thread-pool job this loop runs inside */
    void *bridges;                 /* run_coroutine_threadsafe tasks running here */
    /* Coroutine objects made while this loop runs are carved from blocks of
     * its own (task.c, "coroutine objects"), freed when it closes. */
    void *coro_blocks;     /* the blocks, each starting with a link to the previous */
    size_t ncoro_blocks;   /* how many (their sizes double up to 2 MiB) */
    char *coro_cur;        /* next free byte in the newest block */
    size_t coro_left;      /* bytes left there */
    ll_coro *coro_free;    /* released slab coroutines, carved again first */
    char name_buf[16];     /* the last default task name made ("Task-N") */
    uint32_t name_id;      /* its N */
    uint8_t name_len;      /* its length (0: none made yet) */
    bool task_dirty;       /* the newest task slab is a block an earlier loop
                            * used: task_alloc clears each record it carves */
    ll__stack stack_spare; /* the stack of the task that finished last, kept
                            * (parked) for the next task to start: its lines
                            * are warm, and the pool is not needed */
};

/* The overflow record of the task running on this thread, or NULL: what
 * the guard-page handler reports (core/stack.h, ll__overflow_find). */
const ll__overflow_info *ll__running_ovf(void);

/* ll_loop.step_slow's bits. */
enum {
    LL__SLOW_REC = 1,     /* recording: read the step clock, stamp the step */
    LL__SLOW_BLOCKED = 2, /* a blocking call counted time in this step */
    LL__SLOW_CORO = 4     /* a task made coroutines: sweep the unused ones */
};

/* ---- multiloop.c ---- */
/* Guards every loop's inbox and the moment a loop is closed and buried. */
extern pthread_mutex_t ll__remote_mu;
void ll__inbox_init(ll_loop *loop);
/* Moves requests from other threads to the ready queue.  When `wait` and
 * none has come, blocks until one does (virtual clock, idle). */
void ll__inbox_drain(ll_loop *loop, bool wait);
/* Whether requests from other threads may still wake this loop. */
static inline bool ll__expects_remote(const ll_loop *loop) {
    return loop->remote_waits > 0 || loop->forever;
}
/* Counts results awaited from other loops (delta), and lets a real loop's
 * wait in libuv last while any are due or it runs forever. */
void ll__inbox_expect(ll_loop *loop, int delta);
/* At close: refuses further requests, frees what is left. */
void ll__inbox_close(ll_loop *loop);
/* The trace's shared id counters (0 when the loop has no family). */
uint32_t ll__family_task_id(ll_loop *loop);
uint32_t ll__family_obj_id(ll_loop *loop);

/* Per-thread state. */
extern _Thread_local ll_loop *ll__running_loop;
extern _Thread_local ll_loop *ll__current_loop;

/* ---- times: seconds from the API to the loop's ns, never overflowing ---- */
/* INT64_MAX is "never": a sleep of 1e300 s, or inf, waits for it, and any
 * later time it is added to stays there (the trace writes it as its largest
 * time, LL_TRACE_TIME_MAX). */
/* a + b for b >= 0, held at INT64_MAX. */
static inline int64_t ll__ns_add(int64_t a, int64_t b) {
    return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}
/* A delay in seconds as ns: negatives (and NaN, which callers refuse first)
 * are 0, anything beyond int64_t is INT64_MAX. */
static inline int64_t ll__delay_ns(double s) {
    if (!(s > 0))
        return 0;
    return s >= 9.2e9 ? INT64_MAX : (int64_t)llround(s * 1e9);
}
/* A moment in loop seconds (call_at) as ns, held inside int64_t. */
static inline int64_t ll__time_ns(double s) {
    if (s >= 9.2e9)
        return INT64_MAX;
    return s <= -9.2e9 ? -INT64_MAX : (int64_t)llround(s * 1e9);
}

/* ---- loop.c ---- */
/* Within an iteration, a streaming loop writes its trace out after a step
 * once this much wall time has passed since it last did. */
#define LL__WRITE_EVERY_NS 1000000
int64_t ll__wall_ns(void);
/* Wall time since the loop started, cheap enough to read every step. */
int64_t ll__step_wall(ll_loop *loop);
/* Grows the ready ring; aborts with a message when memory runs out (a
 * dropped step would hang a task without a word). */
void ll__ready_grow(ll_loop *loop);
static inline void ll__ready_push(ll_loop *loop, const ll__ready *e) {
    ll__ring *r = &loop->ready;
    if (r->len == r->cap)
        ll__ready_grow(loop);
    r->buf[(r->head + r->len) & (r->cap - 1)] = *e;
    r->len++;
}
/* The same for a task's step entry (fn is task.c's task_step), stored
 * field by field rather than copied from a temporary. */
static inline void ll__ready_push_task(ll_loop *loop, ll__ready_fn fn, ll_task *t) {
    ll__ring *r = &loop->ready;
    if (__builtin_expect(r->len == r->cap, 0))
        ll__ready_grow(loop);
    ll__ready *e = &r->buf[(r->head + r->len) & (r->cap - 1)];
    e->fn = fn;
    e->a = t;
    e->b = NULL;
    e->user = NULL;
    /* tid and oid serve the CB_RUN events of callbacks; a task's step says
     * TASK_RUN with the task's own id: not read here, which saves a step
     * the cache line the task's id is on. */
    e->tid = e->oid = 0;
    r->len++;
}
static inline ll__ready ll__ready_pop(ll__ring *r) {
    ll__ready e = r->buf[r->head];
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
    return e;
}
/* file:line, when given, is recorded as where the timer was set (call_later,
 * a timeout scope): what the viewer shows for a timer no task sleeps on. */
void ll__timer_arm(ll_loop *loop, ll__timer *t, int64_t when, const char *file, int line);
void ll__timer_cancel(ll_loop *loop, ll__timer *t);
/* Moves every timer that is due (when <= now) into the ready queue, earliest
 * first: run_once's second phase. */
void ll__run_timers(ll_loop *loop);
void *ll__arena_alloc(ll_loop *loop, size_t n);

/* Coroutine arguments (value.c).  ll__args_pack turns what the ll_coro-like
 * macros boxed into the value the function receives: no argument is an
 * LL_ARGS value with .err 0 and .s the function's name; one argument is that
 * value itself; several are an LL_ARGS value with .err the count and .p an
 * ll__args block.  Marked strings are copied into the same block.  The
 * memory comes from `arena`'s arena when it is given, else from malloc:
 * then *owned is set and the caller frees it with the object that holds
 * the arguments.  False when memory ran out. */
typedef struct ll__args {
    const char *fn_name;
    size_t n;
    ll_value items[];
} ll__args;
bool ll__args_pack(ll_loop *arena, const char *fn_name, size_t n, const ll_value *items,
                   ll_value *out, void **owned);
/* ll__args_pack's cases that need no memory (no argument; one that is not a
 * string to copy): *out set and true, else false. */
static inline bool ll__args_plain(const char *fn_name, size_t n, const ll_value *items,
                                  ll_value *out) {
    if (n == 0) {
        *out = (ll_value){LL_ARGS, 0, {.s = fn_name}};
        return true;
    }
    if (n == 1 && !(items[0].kind == LL_STR && items[0].err == LL__ARG_COPY)) {
        *out = items[0];
        return true;
    }
    return false;
}
/* The name of the coroutine (or async generator) running in the current
 * task, or NULL (task.c, agen.c). */
const char *ll__running_coro_name(void);
const char *ll__agen_name(const ll_agen *g);
/* Where t's own stack was left when it entered its outermost generator
 * (t->agen must be set): the low end of its frames there (copy mode). */
void *ll__agen_base_sp(const ll_task *t);
char *ll__arena_strdup(ll_loop *loop, const char *s);
uint32_t ll__obj_id(ll_loop *loop);
/* Prints "looplab: FILE:LINE: in task 'NAME': MESSAGE" on stderr and records
 * a warning event. */
void ll__misuse(ll_loop *loop, const char *file, int line, const char *fmt, ...) LL_PRINTF(4, 5);
void ll__warn(ll_loop *loop, ll_warn_kind kind, const char *file, int line, const char *fmt, ...)
    LL_PRINTF(5, 6);

/* Real clock: the first event recorded by a libuv callback during a poll
 * reads the clock and records the poll first, so that what the callbacks
 * record carries the time they ran at. */
void ll__poll_woke(ll_loop *loop);

/* Recording.  An event is one line at its call site,
 *
 *     LL__REC_EV(loop, TIMER_FIRE, t->tid, .obj = t->id);
 *
 * the kind without its LL_EV_ prefix, the task, then the fields it carries as
 * designated initialisers (the rest are 0; `.file`/`.line` give its source
 * site).  The fields are evaluated before the event is reserved, so that a
 * string copied into the table (.str = ll__rec_str(...)) is not copied while
 * a fatal-signal flush could be waiting for the event to be whole.  Like
 * Lua's hooks, the whole recording is one guarded call: when recording is
 * off nothing else is evaluated. */
typedef struct ll__ev_fields {
    uint32_t task; /* ll_trace_event's fields, as events.h describes them */
    uint16_t sub;
    uint32_t obj;
    uint32_t aux;
    uint32_t str;
    int64_t val;
    const char *file; /* the source site (NULL: unknown) */
    int line;
} ll__ev_fields;

/* Reserves the next event and fills it in.  A recorder that ran out of
 * memory hands out a throwaway slot, so there is nothing to check; callers
 * check LL__REC first. */
static inline void ll__ev_put(ll_loop *loop, ll_event_kind kind, ll__ev_fields f) {
    if (loop->in_poll)
        ll__poll_woke(loop);
    /* The previous event is whole (its caller moved on); this one is not
     * until it has been filled in.  A plain store: the fence only keeps the
     * compiler from moving it past the slot's. */
    atomic_store_explicit(&loop->rec_filling, loop->rec.n + 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    ll_trace_event *e = ll__rec_slot(&loop->rec);
    e->t = loop->now;
    e->wall = loop->wall;
    e->kind = (uint16_t)kind;
    e->sub = f.sub;
    e->task = f.task;
    e->site = f.file ? ll__rec_site(&loop->rec, f.file, f.line) : 0;
    e->obj = f.obj;
    e->aux = f.aux;
    e->str = f.str;
    e->val = f.val;
}
#define LL__REC(loop) ((loop)->rec.on)
/* The id of repr(v) in the loop's string table, made without a copy in
 * the loop's arena (value.c): what a recorded result costs, once. */
uint32_t ll__repr_str(ll_loop *loop, ll_value v);
/* A NUL-terminated string's id in the loop's string table (for .str). */
static inline uint32_t ll__str(ll_loop *loop, const char *s) {
    return ll__rec_str(&loop->rec, s, strlen(s));
}
/* One event, when recording is on.  The third argument onwards is the task
 * and then the designated initialisers: they form one initialiser list. */
#define LL__REC_EV(loop, KIND, ...)                                                                \
    do {                                                                                           \
        if (LL__REC(loop))                                                                         \
            ll__ev_put((loop), LL_EV_##KIND, (ll__ev_fields){.task = __VA_ARGS__});                \
    } while (0)
/* The same without the guard, for helpers whose callers checked LL__REC. */
#define LL__EV(loop, KIND, ...)                                                                    \
    ll__ev_put((loop), LL_EV_##KIND, (ll__ev_fields){.task = __VA_ARGS__})
/* The events recorded so far are whole (called where no caller of ll__ev_put
 * can still be filling one in). */
static inline void ll__ev_done(ll_loop *loop) {
    atomic_signal_fence(memory_order_seq_cst);
    atomic_store_explicit(&loop->rec_filling, 0, memory_order_relaxed);
}
/* Records a `check` event: the ready queue and every task's state, as the
 * scheduler has them between two steps (for the viewer model's tests). */
void ll__check_snapshot(ll_loop *loop);
static inline uint32_t ll__cur_tid(const ll_loop *loop) {
    return loop->current ? loop->current->fut.id : 0;
}

/* ---- future.c ---- */
void ll__future_init(ll_future *f, ll_loop *loop, uint32_t magic, ll__fut_kind kind, uint32_t id,
                     const char *file, int line);
/* Completes a pending future with a value/error or cancels it, and queues
 * its callbacks.  Callers check that it is pending. */
void ll__future_complete(ll_future *f, ll__fut_state state, ll_value v);
/* run_until_complete's done callback: stops the loop after this pass. */
void ll__stop_cb(ll_loop *loop, const ll__ready *e);
int ll__future_add_cb(ll_future *f, ll__ready_fn fn, void *arg, ll_done_fn user, uint32_t tid);
/* The outcome as an awaiter sees it, marking errors as retrieved. */
ll_value ll__future_outcome(ll_future *f);
void ll__future_free_cbs(ll_future *f);
/* future.cancel() on any future (dispatches to task and gather cancel). */
bool ll__cancel_any(ll_future *f, const char *file, int line);
bool ll__gather_cancel(ll_future *f, const char *file, int line);

/* ---- scopes (timeouts.c) ----
 * Every `async with` a coroutine enters in C (a timeout, a TaskGroup, a
 * lock, semaphore or condition held by ll_*_enter) is pushed on its task's
 * scope stack, and popped by the matching exit, which must be the
 * innermost open one.  A coroutine that returns with a scope of its own
 * still open is reported, and the scope closed: its timer disarmed, its
 * group's children cancelled, its lock released. */
typedef enum ll__scope_kind {
    LL__SCOPE_TIMEOUT,
    LL__SCOPE_TIMEOUT_AT,
    LL__SCOPE_TASKGROUP,
    LL__SCOPE_LOCK,
    LL__SCOPE_SEMAPHORE,
    LL__SCOPE_CONDITION
} ll__scope_kind;
typedef struct ll__scope {
    ll__scope_kind kind;
    void *obj;        /* the ll_timeout, ll_taskgroup, ll_lock ... */
    void *owner;      /* the async generator it was entered in (its own
                         frames, which the task leaves at each yield), or
                         NULL for the task's coroutines */
    const char *file; /* where it was entered */
    int line;
} ll__scope;
/* Pushes a scope entered by the running task t.  false when out of memory
 * (reported). */
bool ll__scope_push(ll_task *t, ll__scope_kind kind, void *obj, const char *file, int line);
/* The exit of obj at file:line: pops it, reporting (and first closing) any
 * scope entered inside it and still open.  false, after a report, when obj
 * is not open in t (`what` names the exit call). */
bool ll__scope_pop(ll_task *t, ll__scope_kind kind, void *obj, const char *what, const char *file,
                   int line);
/* Whether obj is on some scope stack of t (open). */
bool ll__scope_open(const ll_task *t, const void *obj);
/* A coroutine (coro_name) of t returned v; every scope from `base` up is
 * still open: report and close each.  Called by task.c as a task's body or
 * an inline-awaited coroutine returns. */
void ll__scopes_leaked(ll_task *t, uint32_t base, const char *coro_name, ll_value v);
/* Closes an open scope without its exit (the leak and out-of-order paths). */
void ll__scope_close(ll_task *t, const ll__scope *sc, const char *file, int line);
/* sync.c: closes a lock/semaphore/condition scope (releases what it holds). */
void ll__sync_scope_close(const ll__scope *sc, const char *file, int line);

/* ---- task.c ---- */
ll_task *ll__task_from(void *aw);
void ll__task_free(ll_loop *loop, ll_task *t);

/* An object the library keeps in a task's frame while the task waits, that
 * others reach while it is suspended (a sleep's timer, a lock's waiter): in
 * copy mode the frame is not at its address then, so the object goes to the
 * heap.  ll__frame_obj returns `local` for an own-stack task (or outside a
 * task), else zeroed heap memory of n bytes (NULL when there is none);
 * ll__frame_obj_free releases what it gave. */
void *ll__frame_obj(void *local, size_t n);
void ll__frame_obj_free(void *p, void *local);
/* At close: the loop's shared stack (copy mode) and the stack it kept for
 * the next task go back to the pool. */
void ll__loop_stacks_free(ll_loop *loop);
/* create_task for a task the library runs on its own and never hands to
 * the program (a server's connection): an anonymous task, whose record and
 * stack are reused once it is done.  False when it could not be made. */
bool ll__spawn_task(ll_coro *c, const char *file, int line);
/* The running task, for the library's own use (ll_current_task also marks
 * it as handed out, which keeps it from being recycled). */
static inline ll_task *ll__current_task(void) {
    return ll__running_loop ? ll__running_loop->current : NULL;
}
/* A coroutine object the library made for itself and never hands out: its
 * memory is reused as soon as it has been awaited or wrapped in a task,
 * instead of staying (marked used) until the loop closes. */
void ll__coro_private(ll_coro *c);
/* Suspends the running task on f (a waiter future), recording a wait of
 * `kind` on the object whose id f carries.  `what` names the call for the
 * message when there is no running task. */
ll_value ll__wait_future(ll_future *f, ll_wait_kind kind, const char *what, const char *file,
                         int line);
/* Suspends the running task on a socket's waiter future f (wait kind io,
 * `op` an ll_io_op). */
ll_value ll__wait_io(ll_future *f, unsigned op, const char *what, const char *file, int line);
/* The loop time a call_later/call_at handle is due at. */
double ll__handle_when(const ll_handle *h);
/* sync.c: "the lock 'door' (#3), acquire at FILE:LINE" for a deadlock report. */
void ll__sync_describe(const ll_loop *loop, uint32_t id, ll_wait_kind kind, const char *file,
                       int line, char *buf, size_t n);
/* sync.c: frees the loop's primitives at close. */
void ll__sync_free_all(ll_loop *loop);
/* Frees what this thread keeps for reuse (a thread that ran a loop calls it
 * before it ends). */
void ll__thread_release(void);
/* loop.c: frees the ready ring a closed loop left this thread. */
void ll__spare_ring_release(void);
/* Marks a coroutine object as used by this thread's loop (its function and
 * argument are about to run elsewhere). */
void ll__coro_take(ll_loop *loop, ll_coro *c);
/* A body-taking call (ll_with_lock ...) holds aw while it waits to enter
 * its scope: a coroutine is not "never awaited" when that step ends. */
void ll__coro_keep(void *aw);
/* Gives a coroutine object's memory back for reuse. */
void ll__coro_release(ll_coro *c);
/* At close: ll__task_free for the done anonymous tasks not yet recycled. */
void ll__task_retired_free(ll_loop *loop);
/* Frees the memory of every task of the loop (after ll__task_free). */
void ll__task_slabs_free(ll_loop *loop);
/* Frees the blocks of the loop's coroutine objects (last, at close: after
 * every coroutine was swept or released). */
void ll__coro_blocks_free(ll_loop *loop);
void ll__coro_free(ll_coro *c);
/* Reports and frees this thread's coroutines never used (loop = NULL: all). */
void ll__coro_sweep(ll_loop *loop);
/* Wraps an awaitable in a future: coroutines become tasks. */
ll_future *ll__ensure_future(ll_loop *loop, void *aw, const char *file, int line);
const char *ll__task_state_name(const ll_task *t);

/* ---- realclock.c ---- */
/* ll__std_fds_guard: see process.h */
int ll__uv_init(ll_loop *loop);
void ll__uv_poll(ll_loop *loop, int64_t timeout_ns);
int64_t ll__uv_now(ll_loop *loop);
void ll__uv_close(ll_loop *loop);
/* Whether libuv has anything besides our own timer that could wake us. */
bool ll__uv_alive(ll_loop *loop);

/* The libuv loop, made on first use on the virtual clock (thread pool). */
void *ll__uv_loop(ll_loop *loop);

/* ---- threadpool.c ---- */
/* A loop made inside a thread-pool job hides the job while it lives, so
 * that its prints and blocking calls are the loop's own. */
void *ll__job_hide(void);
void ll__job_unhide(void *job, int64_t virtual_ns);
/* The clock of the loop that handed out the job. */
ll_clock ll__job_clock(const void *job);
/* Jobs started on libuv and not yet back: the virtual clock must not move
 * past them (their durations are not known yet). */
size_t ll__pool_unresolved(const ll_loop *loop);
/* Virtual clock: waits (really) until every job in flight has come back. */
void ll__pool_settle(ll_loop *loop);
/* Jobs whose futures are not complete yet (they can still wake a task). */
size_t ll__pool_inflight(const ll_loop *loop);
/* future.cancel() on a job: a job that has not started never will. */
void ll__job_cancel(ll_future *f);
/* A cancelled job's function may still be running on its worker: a future
 * completed once it has returned (or once it is sure never to run), or
 * NULL when that has already happened. */
ll_future *ll__job_over(ll_future *f, const char *file, int line);
/* At loop close: waits for running jobs, frees everything. */
void ll__pool_shutdown(ll_loop *loop);
/* ll_print / ll_note from a worker thread: true when handled. */
bool ll__job_text(ll_event_kind kind, const char *file, int line, const char *text, size_t len);
/* The slow-step warning (task.c calls it when a step ran too long). */
void ll__slow_step(ll_loop *loop, ll_task *t, int64_t ns);

/* ---- agen.c ---- */
/* asyncio.run's shutdown_asyncgens: closes unfinished generators. */
void ll__agen_shutdown(ll_loop *loop, const char *file, int line);
/* Frees every generator's memory at loop close. */
void ll__agen_free_all(ll_loop *loop);

/* ---- tracefile.c ---- */
/* Opens the loop's trace stream (when LOOPLAB_TRACE or trace_path asks for
 * one) and writes its header; joins the family of a loop already streaming
 * to the same place. */
void ll__trace_open(ll_loop *loop);
/* Writes out what has been recorded so far and lets the recorder spill it. */
void ll__trace_flush(ll_loop *loop);
/* Writes the @end line and closes the stream (a no-op when not streaming). */
void ll__trace_close(ll_loop *loop);
/* After a step of a loop that streams or belongs to a family: the step's
 * lines go out when several loops share the file, or a millisecond after
 * they last did. */
void ll__trace_step_end(ll_loop *loop);
/* ll__signal_name: see process.h */
/* The first loop of a family publishes its time, for virtual loops joining. */
void ll__family_set_now(ll_loop *loop);

/* ---- dump.c ---- */
void ll__trace_dump(const ll_loop *loop, FILE *out);
/* Fatal signals and exit() write out the trace of watched loops. */
void ll__fatal_watch(ll_loop *loop);
void ll__fatal_unwatch(ll_loop *loop);
/* The metadata of the loop's trace. */
ll_trace_meta ll__trace_meta(const ll_loop *loop);

/* ---- wrong models (models.c) ------------------------------------------------
 * A loop may run under a wrong model of asyncio (LOOPLAB_MODEL; events.h's
 * LL_MODEL_MAP), to show what a student holding it would predict.  Each model
 * changes one thing, at one of these hooks; asyncio's own model (0) passes
 * every hook by one test of loop->model. */
/* LOOPLAB_MODEL's model (0 when unset; a message and 0 when unknown). */
uint8_t ll__model_from_env(void);
/* lifo: the pass about to run takes its entries newest first. */
void ll__model_pass(ll_loop *loop);
/* eager: runs t (just created by the running task and queued) at once, up to
 * its first suspension, then comes back to the creator. */
void ll__model_eager(ll_loop *loop, ll_task *t);
/* sequential: a sleep holds the thread for its length, as time.sleep does. */
void ll__model_block(ll_loop *loop, ll_task *t, double seconds, const char *file, int line);

#endif
