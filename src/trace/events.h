/* events.h - the one list of event kinds, reasons and wait kinds.
 *
 * Everything that produces or consumes Looplab events (the scheduler's
 * recorder, the text writer and reader, the viewer model) includes this file
 * and expands the X-macros below, so adding a kind is one edit here.
 *
 * Columns of LL_EVENT_MAP: C suffix, the name written in traces, and what the
 * event's generic fields mean for that kind (documentation, kept next to the
 * kind so it cannot drift away). */
#ifndef LL_TRACE_EVENTS_H
#define LL_TRACE_EVENTS_H

#include <stdint.h>

/* Generic fields of ll_trace_event: task, obj, aux, val, str, site (see below). */
#define LL_EVENT_MAP(X)                                                                            \
    X(LOOP_START, "loop_start", "str=clock name, val=start wall time ns")                          \
    X(LOOP_STOP, "loop_stop", "aux=iterations run")                                                \
    X(ITER, "iter", "val=iteration number, aux=ready callbacks at pass start")                     \
    X(POLL, "poll", "val=timeout ns (-1 none), aux=1 when the clock jumped")                       \
    X(TASK_NEW, "task_new",                                                                        \
      "task=new task, obj=parent task, str=name, "                                                 \
      "aux=coroutine name string id, val=stack size")                                              \
    X(TASK_READY, "ready", "task, sub=reason, obj=cause object, aux=queue position")               \
    X(TASK_RUN, "run", "task, aux=ready entries left behind it")                                   \
    X(TASK_WAIT, "wait", "task, sub=wait kind, obj=awaited object, val=deadline ns")               \
    X(TASK_DONE, "done", "task, str=repr of the result")                                           \
    X(TASK_FAILED, "failed", "task, sub=0, aux=error code, str=message")                           \
    X(TASK_CANCELLED, "cancelled", "task")                                                         \
    X(CANCEL, "cancel", "task=who asked (0 outside tasks), obj=target, aux=1 accepted")            \
    X(CB_QUEUED, "cb_queued",                                                                      \
      "obj=handle or future id, sub=reason, task=owner, aux=queue position")                       \
    X(CB_RUN, "cb_run", "obj=handle or future id, sub=reason, task=owner")                         \
    X(TIMER_ARM, "timer_arm", "obj=timer id, task=owner, val=deadline ns")                         \
    X(TIMER_FIRE, "timer_fire", "obj=timer id, task=owner")                                        \
    X(TIMER_CANCEL, "timer_cancel", "obj=timer id, task=owner")                                    \
    X(FUT_NEW, "fut_new", "obj=future id, sub=future kind, task=creator")                          \
    X(FUT_DONE, "fut_done",                                                                        \
      "obj=future id, sub=outcome (0 result, 1 error, 2 cancelled), str=repr")                     \
    X(CORO_ENTER, "coro_enter", "task, str=coroutine name (awaited inline)")                       \
    X(CORO_EXIT, "coro_exit", "task, str=coroutine name")                                          \
    X(PRINT, "print", "task, str=the printed line")                                                \
    X(NOTE, "note", "task, str=the narration")                                                     \
    X(WARN, "warn", "task, sub=warning kind, str=the message")                                     \
    X(SYNC_NEW, "sync_new",                                                                        \
      "obj=primitive id, sub=sync kind, aux=initial value or maxsize, "                            \
      "str=name")                                                                                  \
    X(SYNC, "sync",                                                                                \
      "obj=primitive id, sub=operation, aux=value after it (lock: 1 locked; "                      \
      "semaphore: counter; event: 1 set; queue: items), val=waiters after it")                     \
    X(RUN_END, "run_end",                                                                          \
      "sub=how it ended (closed, exited, signal, timeout, lost), "                                 \
      "val=exit code or signal number, str=detail")                                                \
    X(CHECK, "check",                                                                              \
      "str=the scheduler's own view between two steps: the ready "                                 \
      "queue and every task's state (debug mode, LOOPLAB_CHECK=1)")                                \
    X(JOB_SUBMIT, "job_submit", "task=submitter, obj=job (its future's id), str=function name")    \
    X(JOB_START, "job_start", "task=submitter, obj=job, aux=worker lane (1..)")                    \
    X(JOB_END, "job_end",                                                                          \
      "task=submitter, obj=job, aux=worker lane (0: never started), "                              \
      "sub=outcome (0 result, 1 error, 2 cancelled), str=repr")                                    \
    X(AGEN_YIELD, "yield", "task, obj=generator id, str=repr of the value yielded")                \
    X(BLOCKING, "blocking",                                                                        \
      "task, val=how long the thread was blocked (ns), aux=1 busy "                                \
      "(CPU-bound) / 0 sleeping; a blocking call on the loop's thread")                            \
    X(IO_NEW, "io_new",                                                                            \
      "obj=socket id, sub=role (client, server, listener), task=owner, "                           \
      "str=address (the peer; a listener's own address)")                                          \
    X(IO, "io",                                                                                    \
      "obj=socket id, sub=operation, task=who (0: the loop), val=bytes, "                          \
      "str=detail (an error's message)")

typedef enum ll_event_kind {
#define LL__EV_ENUM(name, str, doc) LL_EV_##name,
    LL_EVENT_MAP(LL__EV_ENUM)
#undef LL__EV_ENUM
        LL_EV__COUNT
} ll_event_kind;

/* Why a task or callback became ready. */
#define LL_REASON_MAP(X)                                                                           \
    X(NONE, "none")                                                                                \
    X(CREATED, "created")             /* create_task queued its first step */                      \
    X(YIELD, "yield")                 /* sleep(0): a bare yield */                                 \
    X(FUTURE_DONE, "future_done")     /* the awaited future completed */                           \
    X(TASK_DONE, "task_done")         /* the awaited task finished */                              \
    X(SLEEP_DONE, "sleep_done")       /* the sleep's future was completed */                       \
    X(CANCELLED, "cancelled")         /* cancel() woke it up */                                    \
    X(TIMER, "timer")                 /* a timer came due */                                       \
    X(CALL_SOON, "call_soon")         /* loop.call_soon */                                         \
    X(DONE_CALLBACK, "done_callback") /* a future's done callback */                               \
    X(GATHER, "gather")               /* gather's bookkeeping callback */                          \
    X(STOP, "stop")                   /* run_until_complete's stop callback */                     \
    X(JOB_DONE, "job_done")           /* a worker thread finished a job */                         \
    X(IO, "io")                       /* a socket is ready (data, connected...) */                 \
    X(THREADSAFE, "threadsafe")       /* call_soon_threadsafe from another thread */

/* Models of asyncio a program can be run under (LOOPLAB_MODEL, `looplab run
 * --model`): asyncio's own, and wrong ones that students hold, each run as
 * the student who holds it would predict.  Columns: C suffix, the name, the
 * misconception in one sentence. */
#define LL_MODEL_MAP(X)                                                                            \
    X(ASYNCIO, "asyncio", "asyncio as it is: the loop runs one step at a time, in FIFO order")     \
    X(EAGER, "eager",                                                                              \
      "create_task runs the new coroutine at once, up to its first await (close to Python "        \
      "3.12's eager task factory, which is not the default)")                                      \
    X(AWAIT_BACKGROUND, "await-background",                                                        \
      "await starts the coroutine in the background and goes straight on")                         \
    X(LIFO, "lifo", "the ready queue is last-in first-out: the newest ready task runs first")      \
    X(PARALLEL, "parallel",                                                                        \
      "tasks run in parallel, so blocking and CPU-bound work overlaps too, as sleeps do")          \
    X(SEQUENTIAL, "sequential",                                                                    \
      "one task at a time, start to finish: sleeps add up, as time.sleep's would")

typedef enum ll_model {
#define LL__MODEL_ENUM(name, str, doc) LL_MODEL_##name,
    LL_MODEL_MAP(LL__MODEL_ENUM)
#undef LL__MODEL_ENUM
        LL_MODEL__COUNT
} ll_model;

/* A model's name and its misconception; NULL past the end. */
const char *ll_model_name(unsigned model);
const char *ll_model_doc(unsigned model);
/* The model with this name, or -1. */
int ll_model_find(const char *name);

typedef enum ll_reason {
#define LL__REASON_ENUM(name, str) LL_REASON_##name,
    LL_REASON_MAP(LL__REASON_ENUM)
#undef LL__REASON_ENUM
        LL_REASON__COUNT
} ll_reason;

/* What a waiting task waits on.  Kinds from LOCK on are synchronisation
 * primitives (obj is the primitive's id); new primitives go at the end. */
#define LL_WAIT_MAP(X)                                                                             \
    X(NONE, "none")                                                                                \
    X(SLEEP, "sleep")           /* a timer: val is the deadline */                                 \
    X(FUTURE, "future")         /* a plain future */                                               \
    X(TASK, "task")             /* another task: obj is its id */                                  \
    X(GATHER, "gather")         /* a gather of several awaitables */                               \
    X(JOB, "job")               /* to_thread: a job on the thread pool */                          \
    X(IO, "io")                 /* a socket: obj is the socket, aux the operation */               \
    X(TASKGROUP, "taskgroup")   /* a TaskGroup's exit, for its tasks (1.5) */                      \
    X(WAIT_FOR, "wait_for")     /* wait_for: the awaitable or its timer (1.5) */                   \
    X(WAIT, "wait")             /* asyncio.wait: its futures or timeout (1.5) */                   \
    X(LOCK, "lock")             /* Lock.acquire: obj is the lock */                                \
    X(EVENT, "event")           /* Event.wait */                                                   \
    X(SEMAPHORE, "semaphore")   /* Semaphore.acquire */                                            \
    X(QUEUE_PUT, "queue_put")   /* Queue.put on a full queue */                                    \
    X(QUEUE_GET, "queue_get")   /* Queue.get on an empty queue */                                  \
    X(QUEUE_JOIN, "queue_join") /* Queue.join */                                                   \
    X(CONDITION, "condition")   /* Condition.wait: to be notified */                               \
    X(BARRIER, "barrier")       /* Barrier.wait: for the others to arrive */

typedef enum ll_wait_kind {
#define LL__WAIT_ENUM(name, str) LL_WAIT_##name,
    LL_WAIT_MAP(LL__WAIT_ENUM)
#undef LL__WAIT_ENUM
        LL_WAIT__COUNT
} ll_wait_kind;

/* Warning kinds. */
#define LL_WARN_MAP(X)                                                                             \
    X(MISUSE, "misuse")                     /* a call that is not allowed */                       \
    X(NEVER_AWAITED, "never_awaited")       /* coroutine never awaited */                          \
    X(NOT_RETRIEVED, "not_retrieved")       /* task failure never retrieved */                     \
    X(DEADLOCK, "deadlock")                 /* nothing can wake the waiters */                     \
    X(UNGUARDED_STACK, "unguarded_stack")   /* out of guard pages */                               \
    X(MAIN_FAILED, "main_failed")           /* ll_run's main task failed */                        \
    X(SLOW_STEP, "slow_step")               /* a step blocked the loop */                          \
    X(SWALLOWED_CANCEL, "swallowed_cancel") /* cancelled, yet returned normally */

typedef enum ll_warn_kind {
#define LL__WARN_ENUM(name, str) LL_WARN_##name,
    LL_WARN_MAP(LL__WARN_ENUM)
#undef LL__WARN_ENUM
        LL_WARN__COUNT
} ll_warn_kind;

/* Kinds of synchronisation primitive (sync_new). */
#define LL_SYNC_KIND_MAP(X)                                                                        \
    X(LOCK, "lock")                                                                                \
    X(EVENT, "event")                                                                              \
    X(SEMAPHORE, "semaphore")                                                                      \
    X(BOUNDED_SEMAPHORE, "bounded_semaphore")                                                      \
    X(QUEUE, "queue")                                                                              \
    X(PRIORITY_QUEUE, "priority_queue")                                                            \
    X(LIFO_QUEUE, "lifo_queue")                                                                    \
    X(CONDITION, "condition")                                                                      \
    X(BARRIER, "barrier")

typedef enum ll_sync_kind {
#define LL__SYNC_KIND_ENUM(name, str) LL_SYNC_##name,
    LL_SYNC_KIND_MAP(LL__SYNC_KIND_ENUM)
#undef LL__SYNC_KIND_ENUM
        LL_SYNC__COUNT
} ll_sync_kind;

/* Operations on them (sync events). */
#define LL_SYNC_OP_MAP(X)                                                                          \
    X(ACQUIRE, "acquire") /* acquired (at once, or after waiting) */                               \
    X(BLOCK, "block")     /* has to wait: the task joins the waiters */                            \
    X(RELEASE, "release")                                                                          \
    X(WAKE, "wake") /* a waiter is handed the turn */                                              \
    X(SET, "set")                                                                                  \
    X(CLEAR, "clear")                                                                              \
    X(PUT, "put")                                                                                  \
    X(GET, "get")                                                                                  \
    X(TASK_DONE, "task_done")                                                                      \
    X(JOIN, "join")       /* join returned: all items processed */                                 \
    X(GIVE_UP, "give_up") /* a waiter left the queue, cancelled */                                 \
    X(NOTIFY, "notify")   /* condition: aux = waiters woken */                                     \
    X(PASS, "pass")       /* barrier: full, every waiter let through */                            \
    X(RESET, "reset")     /* barrier: reset, waiters get BrokenBarrierError */                     \
    X(ABORT, "abort")     /* barrier: broken for good */

/* Socket roles (io_new) and operations (io events, and the `op` of a wait on
 * a socket). */
#define LL_IO_ROLE_MAP(X)                                                                          \
    X(CLIENT, "client")     /* made by open_connection */                                          \
    X(SERVER, "server")     /* accepted by a server */                                             \
    X(LISTENER, "listener") /* a listening server socket */

typedef enum ll_io_role {
#define LL__IO_ROLE_ENUM(name, str) LL_IO_ROLE_##name,
    LL_IO_ROLE_MAP(LL__IO_ROLE_ENUM)
#undef LL__IO_ROLE_ENUM
        LL_IO_ROLE__COUNT
} ll_io_role;

#define LL_IO_OP_MAP(X)                                                                            \
    X(NONE, "none")                                                                                \
    X(RESOLVE, "resolve") /* name resolution (getaddrinfo) */                                      \
    X(CONNECT, "connect") /* connecting: begun, or waited for */                                   \
    X(CONNECTED, "connected")                                                                      \
    X(LISTEN, "listen")                                                                            \
    X(ACCEPT, "accept")     /* a listener accepted a connection */                                 \
    X(READ, "read")         /* bytes arrived (val), or a wait for them */                          \
    X(WRITE, "write")       /* bytes handed to the socket (val) */                                 \
    X(DRAIN, "drain")       /* a wait for the write buffer to empty */                             \
    X(EOF, "eof")           /* the peer closed its side */                                         \
    X(SHUTDOWN, "shutdown") /* our side is closed for writing */                                   \
    X(CLOSE, "close")                                                                              \
    X(CLOSED, "closed") /* the handle is gone (wait_closed) */                                     \
    X(ERROR, "error")   /* str is libuv's error */

typedef enum ll_io_op {
#define LL__IO_OP_ENUM(name, str) LL_IO_OP_##name,
    LL_IO_OP_MAP(LL__IO_OP_ENUM)
#undef LL__IO_OP_ENUM
        LL_IO_OP__COUNT
} ll_io_op;

typedef enum ll_sync_op {
#define LL__SYNC_OP_ENUM(name, str) LL_SYNC_OP_##name,
    LL_SYNC_OP_MAP(LL__SYNC_OP_ENUM)
#undef LL__SYNC_OP_ENUM
        LL_SYNC_OP__COUNT
} ll_sync_op;

/* One recorded event: fixed size (48 bytes), appended in memory.  Strings are
 * ids into the recorder's string table (0 = none); sites are ids into its site
 * table (0 = unknown). */
typedef struct ll_trace_event {
    int64_t t;     /* loop time in ns (virtual or real) */
    int64_t wall;  /* monotonic ns since the loop started */
    uint16_t kind; /* ll_event_kind */
    uint16_t sub;  /* reason / wait kind / warning kind, by kind */
    uint32_t task; /* task id (0: the loop itself) */
    uint32_t site; /* source location of the call that caused it */
    uint32_t obj;  /* related object id, by kind */
    uint32_t aux;  /* small integer, by kind */
    uint32_t str;  /* string id, by kind */
    int64_t val;   /* deadline / number, by kind */
} ll_trace_event;

const char *ll_event_kind_name(unsigned kind);
const char *ll_reason_name(unsigned reason);
const char *ll_wait_kind_name(unsigned wait);
const char *ll_warn_kind_name(unsigned warn);
const char *ll_sync_kind_name(unsigned kind);
const char *ll_sync_op_name(unsigned op);
const char *ll_io_role_name(unsigned role);
const char *ll_io_op_name(unsigned op);

#endif
