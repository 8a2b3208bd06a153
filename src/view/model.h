/* model.h - the viewer model: what the event loop looked like at step i.
 *
 * Plain C, no SDL.  Built once from a loaded trace (ll_trace), it answers
 * "what was the state after event i?" for any i, forwards or backwards:
 *
 *   - the static part, computed once: every task's name and birth, its
 *     timeline spans (ready / running / waiting / finished, with what it
 *     waited on and from which line), the printed lines, the notes, the
 *     warnings, the loop's iterations and task switches;
 *   - the dynamic part (llv_state), rebuilt by replaying events from the
 *     nearest checkpoint: each task's state, the ready queue in order, the
 *     armed timers, the value of every lock / semaphore / queue, the clock
 *     and the loop's phase.
 *
 * Checkpoints are taken every `every` events, chosen so that they stay under
 * a fixed memory budget; seeking anywhere replays fewer than `every` events.
 * The GUI (src/view/ui.c, which draws the panes) only reads this. */
#ifndef LLV_MODEL_H
#define LLV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/textfmt.h"

/* A task's state at a step.  Order matters: done and after are final. */
typedef enum llv_tstate {
    LLV_UNBORN = 0, /* no task_new yet */
    LLV_PENDING,    /* created, first step not queued */
    LLV_READY,      /* a step of it is in the ready queue */
    LLV_RUNNING,    /* it has the thread */
    LLV_WAITING,    /* suspended: on a timer, a future, a lock ... */
    LLV_DONE,
    LLV_FAILED,
    LLV_CANCELLED,
    LLV__NSTATES
} llv_tstate;

const char *llv_state_name(unsigned s);

/* What a task was doing at a step (dynamic). */
typedef struct llv_task {
    uint8_t state;      /* llv_tstate */
    uint8_t wait;       /* ll_wait_kind while waiting */
    uint8_t op;         /* for a wait on a socket: the ll_io_op */
    uint8_t cancelling; /* a cancel() was accepted while it waited: its next
                         * wake-up is the cancellation, whatever the trace's
                         * ready event names (the sleep it was in, say) */
    uint32_t obj;       /* what it waits on (future / timer / primitive id) */
    uint32_t site;      /* where it waits, or where it last did something */
    uint32_t since;     /* event index at which it entered this state */
    int64_t until;      /* deadline of a timed wait, -1 when none */
} llv_task;

/* What never changes: who the task is. */
typedef struct llv_taskinfo {
    uint32_t id;            /* task id in the trace */
    uint32_t parent;        /* index of the creating task, UINT32_MAX for none */
    uint32_t name;          /* string id */
    uint32_t coro;          /* string id of the coroutine function */
    uint32_t site;          /* where it was created */
    uint32_t born;          /* event index of task_new */
    uint32_t end;           /* event index of its end, UINT32_MAX while alive */
    uint32_t span0, nspans; /* its spans in llv_model.spans */
    uint32_t loop;          /* the loop it belongs to (1.., several-loop traces) */
} llv_taskinfo;

/* One stretch of a task's life in one state. */
typedef struct llv_span {
    uint32_t ev0, ev1; /* events [ev0, ev1): ev1 is where the next state began */
    int64_t t0, t1;    /* loop times */
    uint8_t state;     /* llv_tstate */
    uint8_t wait;      /* wait kind when waiting */
    uint8_t op;        /* for a wait on a socket: the ll_io_op */
    uint8_t _pad;
    uint32_t site; /* the line that put it in this state */
    uint32_t obj;  /* what it waited on */
    int64_t until; /* deadline of a timed wait, -1 */
} llv_span;

/* An entry of the ready queue: a task's step or a callback. */
typedef struct llv_entry {
    uint32_t task;  /* task index for a step; owner index (or UINT32_MAX) for a callback */
    uint32_t obj;   /* callback: handle / future id */
    uint8_t is_cb;  /* 1: a callback, not a task step */
    uint8_t reason; /* ll_reason it was queued for */
    uint16_t _pad;
} llv_entry;

typedef struct llv_timer {
    uint32_t id;
    uint32_t owner; /* task index or UINT32_MAX */
    int64_t when;
    uint32_t site; /* where it was set (call_later, a timeout scope), or 0 */
    uint32_t _pad; /* states are compared with memcmp: no unnamed padding */
} llv_timer;

/* A socket (static part): its id and its peer's address. */
typedef struct llv_sockinfo {
    uint32_t id;
    uint32_t addr; /* string id */
} llv_sockinfo;

/* A lock, event, semaphore or queue (static part). */
typedef struct llv_syncinfo {
    uint32_t id;
    uint8_t kind;  /* ll_sync_kind */
    uint32_t name; /* string id */
    uint32_t site;
    uint32_t born;          /* event index */
    uint32_t item0, nitems; /* a queue's items: m->qitems[item0 .. +nitems),
                             * in the order they were put */
    uint32_t done0, ndone;  /* its task_done events: m->qdone[done0 .. +ndone) */
} llv_syncinfo;

/* An item put on a queue (trace 1.6 records each put's and get's item):
 * there from event `put` until event `got`. */
typedef struct llv_qitem {
    uint32_t put;     /* the put's event index */
    uint32_t got;     /* the get that took it off, UINT32_MAX: never (in the trace) */
    uint32_t str;     /* its repr (string id), clipped by the writer to 40 bytes */
    uint32_t clipped; /* 1: the writer left part of the repr out */
} llv_qitem;

/* A job handed to the thread pool (ll_to_thread): static, from its events.
 * Whether it is queued, running or over at a step follows from the three
 * event indices. */
typedef struct llv_job {
    uint32_t id;                          /* the job's future id */
    uint32_t owner;                       /* index of the submitting task, or UINT32_MAX */
    uint32_t fn;                          /* string id of the function's name */
    uint32_t site;                        /* where it was submitted */
    uint32_t worker;                      /* lane 1.., 0 when it never started */
    uint32_t ev_submit, ev_start, ev_end; /* UINT32_MAX: not (yet) */
    int64_t t_start, t_end;
    uint8_t outcome; /* 0 result, 1 error, 2 cancelled */
} llv_job;

/* Phases of one trip round the loop, for the cycle drawing. */
typedef enum llv_phase {
    LLV_PH_START = 0, /* before the first iteration */
    LLV_PH_POLL,      /* waiting for I/O or the next timer */
    LLV_PH_TIMERS,    /* due timers move to the ready queue */
    LLV_PH_RUN,       /* running what is ready */
    LLV_PH_STOPPED,   /* the loop has stopped */
    LLV__NPHASES
} llv_phase;

/* The dynamic state after a given event.  In a trace of several loops
 * (one per thread), the loop's own state (clock phase, iteration, ready
 * queue, the running task) is the first loop's; every loop's tasks have
 * their states, so a task of loop 2 that runs shows as running. */
typedef struct llv_state {
    uint32_t step;        /* the event just applied */
    int64_t now;          /* loop time */
    uint32_t iteration;   /* loop iteration number */
    uint8_t phase;        /* llv_phase */
    uint32_t running;     /* task index with the thread, UINT32_MAX for none */
    int64_t poll_timeout; /* last poll's timeout (-1 for ever) */
    llv_task *tasks;      /* [model->ntasks] */
    llv_entry *ready;     /* the ready queue, front first (points into rbase) */
    size_t nready;
    llv_entry *rbase; /* its storage: popping moves `ready` up, no copying */
    size_t readycap;
    llv_timer *timers; /* armed timers in the order they fire: by deadline,
                        * equal deadlines in arming order (the loop's heap) */
    size_t ntimers, timercap;
    uint32_t *syncval;  /* [model->nsync]: value after the last op */
    uint32_t *syncwait; /* [model->nsync]: waiters after the last op */
    uint32_t bad;       /* events the model could not square with its state */
} llv_state;

typedef struct llv_model {
    ll_trace trace;     /* the events (owned) */
    size_t n;           /* events */
    llv_taskinfo *info; /* tasks, in creation order */
    size_t ntasks;
    uint32_t *idmap; /* open addressing: task id -> index + 1 */
    size_t idcap;
    llv_span *spans; /* per task, contiguous */
    size_t nspans;
    llv_syncinfo *sync;
    size_t nsync;
    llv_qitem *qitems; /* every queue's items, each queue's together (by put) */
    size_t nqitems;
    uint32_t *qdone;     /* every queue's task_done event indices, each queue's together */
    bool queue_items;    /* the trace records items (1.6 or later) */
    llv_sockinfo *socks; /* sockets, sorted by id */
    size_t nsocks;
    llv_job *jobs; /* thread-pool jobs, in submission order */
    size_t njobs;
    uint32_t nworkers; /* the highest worker lane used */
    uint32_t *prints, *notes, *warns, *iters, *switches, *checks;
    size_t nprints, nnotes, nwarns, niters, nswitches, nchecks;
    uint32_t *note_until; /* [nnotes]: the last event each note still holds at */
    int64_t t_end;        /* loop time of the last event */
    unsigned nloops;      /* loops in the trace (1 unless threads ran loops) */
    size_t every;         /* checkpoint interval, in events */
    llv_state *ckpt;      /* ckpt[k]: the state after event k*every */
    size_t nckpt;
    llv_state cur;     /* the state at the cursor */
    uint32_t *entered; /* [ntasks]: the first event at which the task ran a
                        * line of its own (a sited event while running),
                        * UINT32_MAX if never: before it, the task is at
                        * the top of its coroutine, not at the line that
                        * created it */
} llv_model;

/* Builds the model from a parsed trace, which it takes over (the caller must
 * not free `t` afterwards).  Returns 0, or -1 with `err` set (the trace has
 * no events, out of memory). */
int llv_model_build(llv_model *m, ll_trace *t, char *err, size_t errlen);
void llv_model_free(llv_model *m);

/* Moves the cursor: m->cur becomes the state after event `step` (clamped to
 * [0, n-1]).  Cheap for step +-1; at most `every` events replayed otherwise. */
void llv_model_seek(llv_model *m, size_t step);

/* Task index of a task id, or UINT32_MAX. */
uint32_t llv_task_index(const llv_model *m, uint32_t id);
/* Index of a primitive id in m->sync, or UINT32_MAX. */
uint32_t llv_sync_index(const llv_model *m, uint32_t id);
/* A socket's peer ("127.0.0.1:8080"), from the io_new that made it, or NULL. */
const char *llv_socket_addr(const llv_model *m, uint32_t id);
const ll_trace_event *llv_event(const llv_model *m, size_t i);
/* The loop event i belongs to (1..m->nloops). */
unsigned llv_event_loop(const llv_model *m, size_t i);
const char *llv_str(const llv_model *m, uint32_t id);
/* A task's display name. */
const char *llv_task_name(const llv_model *m, uint32_t index);

/* Whether a task was made by the runtime, not the program: asyncio.run's
 * shutdown tasks in a Python trace (ll_trace_task.runtime).  The viewer
 * folds them away unless asked (H). */
bool llv_task_runtime(const llv_model *m, uint32_t index);

/* The step of `to` that corresponds to step `step` of `from`, two runs of
 * one program (a lesson's C run and its Python run).  Task steps are
 * counted: the k-th step (`run` event) of the program's own tasks in
 * `from`, up to and including `step`, is the k-th in `to` (notes and the
 * runtime's tasks do not count).  On the `run` itself, its `run`; inside
 * the step, the point where the task has printed as many lines of it;
 * after the step's end (its wait, done, failed), that step's end in `to`.
 * Before the first step, 0.  When `to` has fewer than k steps, its last
 * event, and *past_end is set. */
size_t llv_corresponding_step(const llv_model *from, size_t step, const llv_model *to,
                              bool *past_end);

/* The span of task `ti` that holds event `step`, or NULL (not born). */
const llv_span *llv_span_at(const llv_model *m, uint32_t ti, size_t step);
/* First index k in the sorted list a[0..n) with a[k] >= v (n when none). */
size_t llv_lower(const uint32_t *a, size_t n, size_t v);

/* How long note k (an index into m->notes) holds: the last event at which
 * it still describes the picture.  A note speaks of the moment it is said
 * in, so it holds while its task keeps the thread and then until the
 * scheduler's next move: a timer firing, a task or callback queued, a task
 * switched to.  ("Nothing is ready, so the loop waits for the earliest
 * timer" stops holding when that timer fires.)
 * A note said outside any task holds until that next move too. */
size_t llv_note_until(const llv_model *m, size_t k);

/* Index of a job id in m->jobs, or UINT32_MAX. */
uint32_t llv_job_index(const llv_model *m, uint32_t id);
/* The job worker `lane` (1..) is running after event `step`, or NULL. */
const llv_job *llv_job_on(const llv_model *m, uint32_t lane, size_t step);

/* The waiters of a primitive at the cursor, in the order they began to
 * wait; returns how many were written (up to max). */
size_t llv_waiters(const llv_model *m, uint32_t sync_id, uint32_t *out, size_t max);

/* The items in queue k (an index into m->sync) at the cursor, front first
 * -- the next get's item first: the oldest for a Queue, the newest for a
 * LifoQueue, the smallest (by Python's ordering of the reprs: numbers,
 * strings, tuples of them) for a PriorityQueue.  Writes up to max and
 * returns how many it wrote.  Items the trace does not name (a trace older
 * than 1.6, or one that starts part way) are not listed: the queue's size
 * (m->cur.syncval[k]) still counts them. */
size_t llv_queue_items(const llv_model *m, uint32_t k, const llv_qitem **out, size_t max);

/* Queue k's items put and not yet marked task_done at the cursor (what
 * join() waits for), or -1 when the trace cannot say (older than 1.6, or
 * starting part way). */
long llv_queue_unfinished(const llv_model *m, uint32_t k);

/* The first loop's state as the scheduler's `check` events write it:
 * "ready 2 3 cb | tasks 1W 2R 3R".  Returns the length (snprintf-style). */
size_t llv_snapshot(const llv_model *m, char *buf, size_t len);

/* Copies a state (dst zeroed the first time); 0 or -1.  llv_state_free
 * releases a copy. */
int llv_state_copy(const llv_model *m, llv_state *dst, const llv_state *src);
void llv_state_free(llv_state *s);

/* Compares two states; true when identical. */
bool llv_state_equal(const llv_model *m, const llv_state *a, const llv_state *b);

/* Whose line the code pane highlights and the Running card names.  One
 * answer for both, so that they cannot disagree:
 *   - the running task, at its own line;
 *   - else the task at the front of the ready queue, about to run (a task
 *     that has not started yet is at the top of its coroutine);
 *   - else the task of the event under the cursor, if that event names a
 *     line (it has just suspended or finished there);
 *   - else nobody: the loop itself runs a callback, or it is idle. */
typedef enum llv_who {
    LLV_WHO_NONE = 0, /* the loop itself: no task's line */
    LLV_WHO_RUNNING,  /* task has the thread */
    LLV_WHO_NEXT,     /* task is next in the ready queue */
    LLV_WHO_LAST,     /* task has just suspended or ended, at site */
} llv_who;

typedef struct llv_where {
    uint8_t who;   /* llv_who */
    uint32_t task; /* task index, UINT32_MAX for LLV_WHO_NONE */
    uint32_t site; /* the task's line (site id); 0 when the task has not
                    * run a line yet: it is about to enter its coroutine */
    uint32_t coro; /* string id of the task's coroutine function (for site 0:
                    * the viewer finds its definition in the source) */
} llv_where;

/* The current line at the model's cursor (m->cur), by the rules above. */
llv_where llv_where_now(const llv_model *m);
/* Task ti's own line at the cursor (where it runs, waits or ended), or 0
 * while it has not run a line yet (then it is at the top of its coroutine,
 * m->info[ti].coro). */
uint32_t llv_task_site_now(const llv_model *m, uint32_t ti);

#endif
