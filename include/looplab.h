/* looplab.h - Looplab's coroutine library: Python's asyncio, in C, recorded.
 *
 * The header a program includes.  This file is the asyncio core a lesson
 * needs; input and output have headers of their own under looplab/ (io.h:
 * TCP streams; http.h: an HTTP client session, a server and the slow web;
 * files.h; db.h: SQLite), which this one includes at its end, so
 * `#include <looplab.h>` is all a program writes.  looplab/detail.h holds
 * what the macros expand to (`ll__` names): it is not API.
 *
 * A Looplab program reads like its Python twin: coroutines are plain C functions that run on their
 * own stacks, so `await` is an ordinary call (ll_await) and a coroutine can await from any depth.
 * The scheduler behind it reproduces asyncio's ordering rules (docs/asyncio-mapping.md) and records
 * every state change as an event, which Looplab's tools turn into traces, statistics and
 * animations.
 *
 *     static ll_value my_coroutine(ll_args args) {        // async def my_coroutine(name, delay):
 *         long long delay = ll_arg_int(args, 1);
 *         ll_print("%s started with delay: %lld", ll_arg_str(args, 0), delay);
 *         ll_sleep(delay);                                 // await asyncio.sleep(delay)
 *         return ll_int(delay * 2);
 *     }
 *     static ll_value amain(LL_NOARGS) {                   // async def amain():
 *         ll_task *t1 = ll_create_task(ll_coro(my_coroutine, "a", 1), NULL);
 *         ll_task *t2 = ll_create_task(ll_coro(my_coroutine, "b", 2), NULL);
 *         ll_value results = ll_await(ll_gather(t1, t2));
 *         ll_print("Results: %s", ll_repr(results));       // Results: [2, 4]
 *         return ll_none();
 *     }
 *     int main(void) { return ll_run(ll_coro(amain)); }   // asyncio.run(amain())
 *
 * Naming: public names start with `ll_`; asyncio's word is kept for asyncio's
 * idea (task, future, gather, sleep, cancel).  Calls that can suspend or that
 * report misuse are macros that capture the caller's __FILE__ and __LINE__,
 * so traces and error messages name the line of the lesson, not of the
 * library.
 *
 * Errors instead of exceptions: a coroutine fails by returning an error value
 * (`return ll_raise(LL_EVALUE, "bad input %d", n);`).  Whoever awaits it gets
 * that value back and may handle it (`if (ll_failed(v)) ...` is `except`) or
 * pass it on (`return v;` is a bare `raise`).  Cancellation arrives the same
 * way, as an LL_ECANCELLED error at the await point.
 *
 * Memory: the loop owns every task, future and handle it creates and frees
 * them when it is closed (ll_run closes its loop).  A task's stack is given
 * back as soon as the task finishes, so finished tasks cost a few hundred
 * bytes until then: the program may still use them.  The tasks a server
 * runs for its connections are never given to the program (unless a
 * handler asks for its own with ll_current_task), and their memory is
 * reused as soon as they are done (docs/architecture.md).  Strings made by the library (error
 * messages, ll_repr) live in the loop's arena and stay valid until the loop is closed. */
#ifndef LOOPLAB_H
#define LOOPLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LL_VERSION_MAJOR 0
#define LL_VERSION_MINOR 2
#define LL_VERSION_PATCH 0
#define LL_VERSION_STRING "0.2.0"

#if defined(__GNUC__)
#define LL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define LL_PRINTF(fmt, args)
#endif

/* ---- Errors ----------------------------------------------------------------
 * Every error code has asyncio's (or Python's) exception name and a sentence.
 * Codes are negative, like libuv's; 0 means success. */
#define LL_ERRNO_MAP(X)                                                                            \
    X(CANCELLED, -1001, "CancelledError", "the task or future was cancelled")                      \
    X(TIMEOUT, -1002, "TimeoutError", "the operation did not finish in time")                      \
    X(INVALID_STATE, -1003, "InvalidStateError",                                                   \
      "the future is not in a state that allows this call")                                        \
    X(RUNTIME, -1004, "RuntimeError", "the call is not allowed here")                              \
    X(VALUE, -1005, "ValueError", "an argument has the right type but a bad value")                \
    X(TYPE, -1006, "TypeError", "an argument is not of the expected kind")                         \
    X(EXCEPTION, -1007, "Exception", "the coroutine failed")                                       \
    X(ZERO_DIVISION, -1008, "ZeroDivisionError", "division by zero")                               \
    X(KEY, -1009, "KeyError", "no such key")                                                       \
    X(OS, -1010, "OSError", "an operating-system call failed")                                     \
    X(NOMEM, -1011, "MemoryError", "out of memory")                                                \
    X(DEADLOCK, -1012, "DeadlockError", "every task is waiting and nothing can wake them")         \
    X(QUEUE_FULL, -1013, "QueueFull", "the queue is full")                                         \
    X(QUEUE_EMPTY, -1014, "QueueEmpty", "the queue is empty")                                      \
    X(EXCEPTION_GROUP, -1015, "ExceptionGroup", "several tasks of a group failed")                 \
    X(GENERATOR_EXIT, -1016, "GeneratorExit", "the generator was closed by its consumer")          \
    X(CONNECTION_REFUSED, -1017, "ConnectionRefusedError", "nothing is listening at that address") \
    X(CONNECTION_RESET, -1018, "ConnectionResetError",                                             \
      "the connection was closed by the other side")                                               \
    X(INCOMPLETE_READ, -1019, "IncompleteReadError",                                               \
      "the stream ended before the expected bytes arrived")                                        \
    X(LIMIT_OVERRUN, -1020, "LimitOverrunError",                                                   \
      "the separator was not found within the buffer's limit")                                     \
    X(SERVER_DISCONNECTED, -1021, "ServerDisconnectedError",                                       \
      "the server closed the connection without a complete response")                              \
    X(BAD_HTTP, -1022, "BadHttpMessage", "the HTTP message is malformed")                          \
    X(CLIENT_PAYLOAD, -1023, "ClientPayloadError",                                                 \
      "the response body is shorter than its Content-Length")                                      \
    X(OPERATIONAL, -1024, "sqlite3.OperationalError", "the database could not run the statement")  \
    X(INTEGRITY, -1025, "sqlite3.IntegrityError",                                                  \
      "the statement broke a constraint of the database")                                          \
    X(PROGRAMMING, -1026, "sqlite3.ProgrammingError",                                              \
      "the database was used in a way it does not allow")                                          \
    X(FILE_NOT_FOUND, -1027, "FileNotFoundError", "no such file or directory")                     \
    X(BROKEN_BARRIER, -1028, "BrokenBarrierError",                                                 \
      "the barrier was reset or aborted while tasks waited at it")

typedef enum ll_errno {
#define LL__ERRNO_ENUM(name, code, pyname, text) LL_E##name = code,
    LL_ERRNO_MAP(LL__ERRNO_ENUM)
#undef LL__ERRNO_ENUM
} ll_errno;

/* The Python exception name of an error code ("CancelledError"), or
 * "UnknownError". */
const char *ll_err_name(int code);
/* A sentence describing the error code. */
const char *ll_strerror(int code);

/* ---- Values ----------------------------------------------------------------
 * What a coroutine returns and what ll_await gives back: a small tagged
 * value, passed by value.  Strings and pointers are borrowed: the program
 * keeps them alive as long as the value is used. */
typedef enum ll_kind {
    LL_NONE = 0, /* Python's None */
    LL_INT,      /* .i */
    LL_FLOAT,    /* .f */
    LL_BOOL,     /* .i is 0 or 1 */
    LL_STR,      /* .s, a NUL-terminated string */
    LL_PTR,      /* .p, any pointer the program wants to pass along */
    LL_LIST,     /* .list, made by gather: results in argument order */
    LL_ERROR,    /* .err is the code, .s the message (may be "") */
    LL_TUPLE,    /* .list, made by ll_tuple: Python's tuple */
    LL_ARGS      /* a coroutine's arguments, made by ll_coro(fn, a, b, ...):
                    read them with ll_arg_* (see "Arguments" below) */
} ll_kind;

struct ll_list;

typedef struct ll_value {
    ll_kind kind; /* which member of the union is meaningful */
    int err;      /* for LL_ERROR: the negative error code */
    union {
        long long i; /* long long, so that "%lld" prints it without a cast */
        double f;
        const char *s;
        void *p;
        const struct ll_list *list;
    };
} ll_value;

typedef struct ll_list ll_list; /* opaque: read with ll_list_len and ll_list_at */

/* The constructors.  (Initialised without designators, so that the header
 * is valid C++ too.) */
static inline ll_value ll_none(void) {
    ll_value v = {LL_NONE, 0, {0}};
    return v;
}
static inline ll_value ll_int(long long i) {
    ll_value v = {LL_INT, 0, {i}};
    return v;
}
static inline ll_value ll_float(double f) {
    ll_value v = {LL_FLOAT, 0, {0}};
    v.f = f;
    return v;
}
static inline ll_value ll_bool(bool b) {
    ll_value v = {LL_BOOL, 0, {b}};
    return v;
}
static inline ll_value ll_str(const char *s) {
    ll_value v = {LL_STR, 0, {0}};
    v.s = s;
    return v;
}
static inline ll_value ll_ptr(void *p) {
    ll_value v = {LL_PTR, 0, {0}};
    v.p = p;
    return v;
}

/* An error value with a formatted message: `return ll_raise(LL_EVALUE, ...)`
 * is Python's `raise ValueError(...)`.  The message is copied into the
 * running loop's arena (or kept in a small static buffer outside a loop). */
ll_value ll_raise(int code, const char *fmt, ...) LL_PRINTF(2, 3);

static inline bool ll_failed(ll_value v) {
    return v.kind == LL_ERROR;
}
static inline bool ll_is_cancelled(ll_value v) {
    return v.kind == LL_ERROR && v.err == LL_ECANCELLED;
}
/* The error code of an error value, 0 for any other value. */
static inline int ll_errcode(ll_value v) {
    return v.kind == LL_ERROR ? v.err : 0;
}
/* The message of an error value ("" when it has none, or for non-errors). */
const char *ll_errmsg(ll_value v);
/* Python's f-string: a formatted string that lives as long as the running
 * loop (a small rotating static buffer outside a loop, or on a worker
 * thread: a job's str result is copied into the loop's memory when it
 * ends, so `return ll_str(ll_format(...))` is safe there too). */
const char *ll_format(const char *fmt, ...) LL_PRINTF(1, 2);

/* Python's `except SomeError:` for one error code: true when v is an error
 * value with that code.  Python's class tree is followed where Looplab has
 * one: LL_EOS also catches the OSError subclasses (ConnectionRefusedError,
 * ConnectionResetError, FileNotFoundError, TimeoutError), and
 * LL_EEXCEPTION catches every error except CancelledError and GeneratorExit
 * (BaseExceptions in Python).
 *     ll_value r = ll_sleep(10);
 *     if (ll_except(r, LL_ECANCELLED)) {...}       except CancelledError:
 *     else if (ll_failed(r)) return r;             (anything else: raise) */
bool ll_except(ll_value v, int code);

/* Python's `await` raises when the awaited thing failed; in C the error
 * comes back as a value.  Every call that can suspend (and every status
 * call Python can raise from, such as ll_lock_release) returns an
 * ll_value, so passing an error on is always `return r;`.  LL_TRY does
 * that, leaving the coroutine at once with the error, message and code
 * unchanged:
 *     LL_TRY(ll_sleep(1));                         await asyncio.sleep(1)
 *     LL_TRY(ll_await(task));                      await task
 * Use it where Python has a bare `await`; test the result yourself (with
 * ll_except or ll_failed) where Python has try/except. */
#define LL_TRY(x)                                                                                  \
    do {                                                                                           \
        ll_value ll__try_v = (x);                                                                  \
        if (ll_failed(ll__try_v))                                                                  \
            return ll__try_fail(ll__try_v, __FILE__, __LINE__);                                    \
    } while (0)

/* Items of a list value (from gather) or of a tuple; out of range, or any
 * other kind, gives None. */
size_t ll_list_len(ll_value v);
ll_value ll_list_at(ll_value v, size_t i);

/* Python's repr() of a value: None, 42, 2.5, True, 'text', [2, 4],
 * (1, 'job'), ValueError('bad'), CancelledError().  The string lives in the
 * running loop's arena (a small rotating static buffer outside a loop). */
const char *ll_repr(ll_value v);
/* Python's str(), what print() and an f-string's {v} show: a string without
 * its quotes, an error's message (str(ValueError('bad')) is bad), anything
 * else as ll_repr.  Same lifetime as ll_repr's. */
const char *ll_pystr(ll_value v);
/* Python's text for a bool: "True" or "False". */
static inline const char *ll_pybool(bool b) {
    return b ? "True" : "False";
}

/* ---- Arguments and tuples ------------------------------------------------------
 * Python's `book("flight", 1)` is ll_coro(book, "flight", 1): up to six
 * arguments after the function, each boxed by its C type (by _Generic; by
 * overloads in C++):
 *     any integer type        LL_INT (a bool-typed value: LL_BOOL; C's
 *                             true and false are ints, so they are 1 and 0)
 *     float, double           LL_FLOAT
 *     char *, const char *    LL_STR, COPIED: the coroutine reads the text
 *                             as it was at the call, whatever happens to the
 *                             buffer later (a NULL string is None)
 *     ll_value                kept as it is (borrowed, as values are)
 *     any other pointer       LL_PTR
 * The coroutine reads them back by position (0 is the first):
 *     static ll_value book(ll_args args) {             // async def book(what, n):
 *         const char *what = ll_arg_str(args, 0);
 *         long long n = ll_arg_int(args, 1);
 *         ...
 *     }
 *     static ll_value amain(LL_NOARGS) { ... }         // async def amain():
 *     ll_run(ll_coro(amain));                           // asyncio.run(amain())
 * An argument of the wrong kind, or a position the call did not give, is
 * reported (TypeError, with the ll_arg line and the coroutine's name) and
 * reads as 0, 0.0, "" or NULL (and ll_run returns 1).  ll_arg_float takes
 * an int too, ll_arg_int a bool and ll_arg_bool an int, as Python's
 * arithmetic and truth do; ll_arg_str and ll_arg_ptr read None as NULL.
 * ll_arg gives the value whatever its kind.  With exactly one argument the
 * coroutine gets that value itself, so `arg.i` and ll_arg_int(arg, 0) both
 * read it (and one argument that is a list, or a tuple, stays one argument:
 * ll_arg(args, 0) is the whole list).  ll_agen, ll_to_thread and
 * ll_run_in_executor take arguments the same way. */
typedef ll_value ll_args;
/* The parameter list of a coroutine that takes no arguments. */
#define LL_NOARGS ll_args ll__no_args LL__UNUSED
/* Marks a plain C callback's parameter that Python's version has no use
 * for (a done callback's arg): `static void on_done(ll_future *fut,
 * void *arg LL_UNUSED)`, instead of a `(void)arg;` line. */
#define LL_UNUSED LL__UNUSED

#define ll_arg(args, pos) ll__arg((args), (pos), -1, __FILE__, __LINE__)
#define ll_arg_int(args, pos) (ll__arg((args), (pos), LL_INT, __FILE__, __LINE__).i)
#define ll_arg_float(args, pos) (ll__arg((args), (pos), LL_FLOAT, __FILE__, __LINE__).f)
#define ll_arg_bool(args, pos) ((bool)ll__arg((args), (pos), LL_BOOL, __FILE__, __LINE__).i)
#define ll_arg_str(args, pos) (ll__arg((args), (pos), LL_STR, __FILE__, __LINE__).s)
#define ll_arg_ptr(args, pos) (ll__arg((args), (pos), LL_PTR, __FILE__, __LINE__).p)
/* How many arguments the coroutine was given. */
size_t ll_nargs(ll_args args);

/* Python's tuple, `(prio, "job")`: ll_tuple(prio, "job"), one to six items
 * boxed as ll_coro boxes arguments (strings copied).  It lives as long as
 * the running loop (outside a loop, in a small rotating buffer, as
 * ll_format's text).  Tuples compare as Python's do, item by item, so a
 * PriorityQueue of (priority, item) tuples gives them out in Python's
 * order.  ll_list_len and ll_list_at read their items. */
#define ll_tuple(...) ll__tuple(LL__FN_ARGS(0, __VA_ARGS__))
/* Python's `a < b` and `a == b` for numbers, strings, None, bools, tuples
 * and lists (values Python would refuse to order compare by kind). */
bool ll_less(ll_value a, ll_value b);
bool ll_equal(ll_value a, ll_value b);

/* ---- Objects ----------------------------------------------------------------
 * All are opaque and owned by their loop.  Any of ll_coro*, ll_task* and
 * ll_future* may be passed where an "awaitable" (void *) is taken; a pointer
 * to anything else is reported as a TypeError, not a crash. */
typedef struct ll_loop ll_loop;
typedef struct ll_future ll_future;
typedef struct ll_task ll_task;
typedef struct ll_coro ll_coro;
typedef struct ll_handle ll_handle;

/* A coroutine function: Python's `async def f(a, b)`, written
 * `static ll_value f(ll_args args)` (or `f(LL_NOARGS)`). */
typedef ll_value (*ll_coro_fn)(ll_args args);
/* A plain callback for call_soon / call_later / call_at. */
typedef void (*ll_callback_fn)(void *arg);
/* A future's done callback (add_done_callback). */
typedef void (*ll_done_fn)(ll_future *fut, void *arg);

/* ---- Loops and clocks -------------------------------------------------------
 * One loop interface, two clocks.  The virtual clock jumps to the next timer
 * whenever nothing is ready, so lessons finish at once and their traces are
 * reproducible byte for byte.  The real clock runs the same loop on libuv and
 * real time; real I/O needs it.  Both give the same order of events for a
 * program that only uses timers. */
typedef enum ll_clock {
    LL_CLOCK_DEFAULT = 0, /* LOOPLAB_CLOCK from the environment, else virtual */
    LL_CLOCK_VIRTUAL,
    LL_CLOCK_REAL
} ll_clock;

/* Where a task's frames live (docs/architecture.md, "Stack modes").
 *   LL_STACK_OWN:  each task has its own mmap'd stack (a page or more of
 *                  memory while it sleeps); the fastest switch.
 *   LL_STACK_COPY: tasks run on one shared stack per loop; a task that
 *                  suspends keeps only the bytes it uses, copied to the heap
 *                  (a few hundred bytes for a sleeping task).  A task in
 *                  this mode must not give other tasks pointers into its
 *                  own frames (a local lock, queue or array shared by
 *                  address): the bytes are elsewhere while it sleeps. */
typedef enum ll_stack_mode { LL_STACK_DEFAULT = 0, LL_STACK_OWN, LL_STACK_COPY } ll_stack_mode;

typedef struct ll_loop_opts {
    ll_clock clock;         /* which clock drives the loop */
    int record;             /* 1 record events, -1 do not, 0 default
                               (LOOPLAB_RECORD=0 turns it off, else on) */
    const char *trace_path; /* write the trace here when the loop closes
                               (NULL: LOOPLAB_TRACE, else nowhere); "-" is
                               standard error */
    size_t stack_size;      /* default task stack size in bytes (0: 256 KiB,
                               or LOOPLAB_STACK_SIZE) */
    const char *program;    /* program name for the trace (NULL: argv[0]) */
    double slow_step;       /* seconds a step may hold the thread before a
                               slow_step warning (asyncio debug mode's
                               slow_callback_duration).  0: 0.1 s, or
                               LOOPLAB_SLOW_STEP; negative: never warn */
    int stack_mode;         /* ll_stack_mode of its tasks (LL_STACK_DEFAULT:
                               LOOPLAB_STACK_MODE=own|copy, else own) */
} ll_loop_opts;

/* Creates a loop (opts may be NULL for the defaults) and makes it this
 * thread's current loop.  Returns NULL only when memory runs out. */
ll_loop *ll_loop_new(const ll_loop_opts *opts);

/* Runs the loop until `awaitable` is done and returns its result (or its
 * error).  A coroutine is wrapped in a task first.  Python's
 * loop.run_until_complete(). */
#define ll_loop_run_until_complete(loop, aw)                                                       \
    ll__loop_run_until_complete((loop), (aw), __FILE__, __LINE__)

/* Asks the loop to stop after the current iteration (loop.stop()). */
void ll_loop_stop(ll_loop *loop);

/* Cancels the tasks still pending and runs the loop until they have
 * finished (as asyncio.run does), reports failures nobody retrieved, writes
 * the trace if one was asked for, and frees everything the loop owns.
 * Returns 0, or 1 when something was reported. */
int ll_loop_close(ll_loop *loop);

/* The loop's clock in seconds since it started (loop.time()). */
double ll_loop_time(const ll_loop *loop);
/* Whether the loop runs on the real (libuv) clock. */
bool ll_loop_is_real(const ll_loop *loop);

/* The loop running in this thread, or NULL (asyncio.get_running_loop()). */
ll_loop *ll_get_running_loop(void);
/* The running loop, else this thread's current loop, else a new one
 * (the older asyncio.get_event_loop()). */
ll_loop *ll_get_event_loop(void);

/* asyncio.run(main): a new loop, run main to completion, close the loop.
 * Returns 0 when main succeeded; 1 when it failed (the error is printed on
 * standard error, as Python prints the traceback), when the program
 * deadlocked, or when the loop reported a problem at close. */
#define ll_run(main) ll__run((main), NULL, __FILE__, __LINE__)
#define ll_run_opts(main, opts) ll__run((main), (opts), __FILE__, __LINE__)

/* The running loop's time in seconds (loop.time()); 0 outside a loop. */
double ll_time(void);

/* ---- Several loops, one per thread --------------------------------------------
 * A loop belongs to the thread that made it; other threads talk to it only
 * through the calls below, as in Python.  A loop made on another thread
 * while the program's first loop streams a trace joins that trace: its
 * events are tagged loop=N and its tasks numbered with the first loop's
 * (Python counts Task-N across the whole process too).  On the real clock
 * all loops share one time line; on the virtual clock each loop keeps its
 * own (use the real clock to compare loops). */

/* loop.run_forever(): runs until ll_loop_stop (from a callback or task of
 * the loop, or through ll_call_soon_threadsafe).  Idle, it waits for work
 * from other threads. */
#define ll_loop_run_forever(loop) ll__loop_run_forever((loop), __FILE__, __LINE__)

/* loop.call_soon_threadsafe(fn, arg), from any thread: fn(arg) runs on the
 * loop's thread, queued like call_soon.  0, or LL_ERUNTIME when the loop is
 * closed (or closing). */
#define ll_call_soon_threadsafe(loop, fn, arg)                                                     \
    ll__call_soon_threadsafe((loop), (fn), (arg), __FILE__, __LINE__)
/* A callback for ll_call_soon_threadsafe(loop, ll_loop_stop_cb, loop):
 * loop.call_soon_threadsafe(loop.stop). */
void ll_loop_stop_cb(void *loop);

/* asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop)): runs
 * the coroutine as a task of `loop` (running in another thread) and returns
 * a future of the running loop that completes with its result.  Results
 * cross over as copies: None, numbers, booleans, strings and errors (a
 * pointer or a list is refused with a TypeError value).  Cancelling the
 * future cancels the task over there. */
#define ll_run_coroutine_threadsafe(coro, loop)                                                    \
    ll__run_coroutine_threadsafe((coro), (loop), __FILE__, __LINE__)

/* new_event_loop() + threading.Thread(target=loop.run_forever).start():
 * a new loop (opts as for ll_loop_new) running forever in a thread of its
 * own.  Returns the loop once it runs, or NULL. */
ll_loop *ll_loop_thread_start(const ll_loop_opts *opts);
/* loop.call_soon_threadsafe(loop.stop); thread.join(); loop.close():
 * stops a loop started by ll_loop_thread_start, waits for its thread, and
 * closes the loop there.  Returns what ll_loop_close returned, or 1 for a
 * loop not started that way.  Blocks the calling thread meanwhile. */
int ll_loop_thread_stop(ll_loop *loop);

/* ---- Coroutines and tasks -------------------------------------------------- */

/* A coroutine object: Python's `f(a, b)` without await: ll_coro(f, a, b),
 * zero to six arguments (see "Arguments" above; ll_coro(f) for none).  It
 * does nothing until it is awaited (runs inline in the awaiting task) or
 * wrapped in a task.  A coroutine a task step makes and leaves unused is
 * reported ("never awaited") as that step ends; one made outside any task,
 * when the loop closes. */
#define ll_coro(...) ll__coro_newv(LL__FN_ARGS(__VA_ARGS__), __FILE__, __LINE__)

typedef struct ll_task_opts {
    const char *name;  /* NULL: "Task-N", numbered as asyncio does */
    size_t stack_size; /* 0: the loop's default */
    int stack_mode;    /* ll_stack_mode; LL_STACK_DEFAULT: the loop's */
} ll_task_opts;

/* asyncio.create_task(coro, name=name): schedules the coroutine to run as a
 * task.  It does not start now: its first step is queued behind everything
 * already ready.  Takes ownership of the coroutine.  name may be NULL. */
#define ll_create_task(coro, name) ll__create_task((coro), (name), NULL, __FILE__, __LINE__)
#define ll_create_task_opts(coro, opts) ll__create_task((coro), NULL, (opts), __FILE__, __LINE__)

/* `await aw` for a coroutine (runs inline in this task), a task or a future.
 * Suspends the calling task until aw is done, unless it already is.  Returns
 * aw's result, or its error (LL_ECANCELLED when this task was cancelled while
 * it waited). */
#define ll_await(aw) ll__await((aw), __FILE__, __LINE__)

/* `await asyncio.sleep(seconds)`: 0 or less is a single bare yield (the task
 * goes to the back of the ready queue).  Returns None, CancelledError when the
 * task was cancelled while sleeping, or LL_EVALUE for a NaN delay. */
#define ll_sleep(seconds) ll__sleep((double)(seconds), __FILE__, __LINE__)

/* task.cancel(): false when the task is already done.  Otherwise the task
 * receives LL_ECANCELLED at its current await point on its next step (a task
 * that never started ends without running). */
#define ll_task_cancel(task) ll__task_cancel((task), __FILE__, __LINE__)

bool ll_task_done(const ll_task *task);
bool ll_task_cancelled(const ll_task *task);
/* The task's result or error; InvalidStateError if it is not done. */
ll_value ll_task_result(ll_task *task);
const char *ll_task_name(const ll_task *task);
uint32_t ll_task_id(const ll_task *task);
/* A task is a future: this is the same object seen as one
 * (for add_done_callback, gather, ...). */
ll_future *ll_task_future(ll_task *task);

/* The task running now, or NULL (asyncio.current_task()). */
ll_task *ll_current_task(void);
/* The running loop's tasks that are not done, in creation order; writes at
 * most `max` to out and returns how many there are (asyncio.all_tasks()). */
size_t ll_all_tasks(ll_task **out, size_t max);

/* ---- Futures ---------------------------------------------------------------- */

/* loop.create_future() on the running (or current) loop. */
#define ll_future_new() ll__future_new(__FILE__, __LINE__)
/* Mark the future done.  Return None, or an InvalidStateError value (with a
 * message on standard error naming the call site) if it was already done. */
#define ll_future_set_result(fut, value) ll__future_set_result((fut), (value), __FILE__, __LINE__)
#define ll_future_set_exception(fut, err) ll__future_set_exception((fut), (err), __FILE__, __LINE__)
/* false when already done; otherwise cancels it and schedules callbacks. */
#define ll_future_cancel(fut) ll__future_cancel((fut), __FILE__, __LINE__)
bool ll_future_done(const ll_future *fut);
bool ll_future_cancelled(const ll_future *fut);
/* The result, the error (CancelledError if cancelled), or InvalidStateError
 * when it is not done yet.  Retrieving an error marks it as seen. */
ll_value ll_future_result(ll_future *fut);
/* Calls fn(fut, arg) through the ready queue once the future is done (at
 * once, through the queue, if it already is).  Returns 0 or an error code. */
int ll_future_add_done_callback(ll_future *fut, ll_done_fn fn, void *arg);
/* Removes every registration of (fn, arg); returns how many were removed. */
size_t ll_future_remove_done_callback(ll_future *fut, ll_done_fn fn, void *arg);

/* asyncio.gather(*aws): a future whose result is the list of results in
 * argument order.  Coroutines are wrapped in tasks, started in argument
 * order.  The first error is delivered to the awaiter at once while the other
 * children keep running; cancelling the gather cancels every child.
 * ll_gather_return_exceptions() puts errors into the list instead. */
#define ll_gather(...) ll__gather(false, __FILE__, __LINE__, __VA_ARGS__, (void *)0)
#define ll_gather_return_exceptions(...)                                                           \
    ll__gather(true, __FILE__, __LINE__, __VA_ARGS__, (void *)0)
/* The same from an array of n awaitables (n may be 0: the result is []). */
#define ll_gatherv(aws, n, return_exceptions)                                                      \
    ll__gatherv((aws), (n), (return_exceptions), __FILE__, __LINE__)

/* ---- Callbacks -------------------------------------------------------------- */

/* loop.call_soon / call_later / call_at.  The returned handle stays valid
 * until the loop is closed.  A NaN delay is refused (NULL, with a message);
 * a negative delay acts as 0. */
#define ll_call_soon(loop, fn, arg) ll__call_at((loop), -1.0, 0, (fn), (arg), __FILE__, __LINE__)
#define ll_call_later(loop, delay, fn, arg)                                                        \
    ll__call_at((loop), (double)(delay), 1, (fn), (arg), __FILE__, __LINE__)
#define ll_call_at(loop, when, fn, arg)                                                            \
    ll__call_at((loop), (double)(when), 2, (fn), (arg), __FILE__, __LINE__)
/* handle.cancel(): the callback will not run (no effect once it has run). */
void ll_handle_cancel(ll_handle *h);
bool ll_handle_cancelled(const ll_handle *h);

/* ---- Time limits -------------------------------------------------------------
 * asyncio.wait_for(aw, timeout): awaits aw (a coroutine becomes a task); when
 * the timeout expires first, aw is cancelled, awaited until it has finished
 * cancelling, and the result is a TimeoutError value (LL_ETIMEOUT).  A
 * timeout of INFINITY (math.h) is Python's None: no limit.  */
#define ll_wait_for(aw, timeout) ll__wait_for((aw), (double)(timeout), __FILE__, __LINE__)

/* `async with asyncio.timeout(delay): return await body(x)` in one call:
 *     ll_value r = ll_timeout(1.5, ll_coro(body, x));  (TimeoutError if it expired)
 * When the deadline passes, the task is cancelled; the body sees
 * LL_ECANCELLED at its await and passes it on, and the scope turns that
 * cancellation into LL_ETIMEOUT.  The result is the body's (any awaitable:
 * a coroutine runs inline, as `await` does), its error, or TimeoutError.
 * ll_timeout_at(when, aw) takes an absolute loop time (asyncio.timeout_at).
 * These cannot be left open: prefer them. */
#define ll_timeout(delay, aw) ll__timeout_run((double)(delay), false, (aw), __FILE__, __LINE__)
#define ll_timeout_at(when, aw) ll__timeout_run((double)(when), true, (aw), __FILE__, __LINE__)

/* The same scope as a pair of calls around inline code, when the body needs
 * the scope (ll_timeout_reschedule moves the deadline):
 *     ll_timeout *to = ll_timeout_enter(1.5);
 *     ll_value r = ll_await(ll_coro(work, x));        (the body)
 *     r = ll_timeout_exit(to, r);                      (TimeoutError if it expired)
 * Every path of the coroutine must reach the exit, as `async with` does: a
 * coroutine that returns (an LL_TRY, say) with a scope it entered still open
 * is reported at once, naming the line that entered it, the program exits
 * non-zero, and the scope is closed then (its deadline disarmed).  Scopes
 * of every kind (timeouts, TaskGroups, ll_lock_enter ...) nest: leaving an
 * outer one while an inner one is open is reported too. */
typedef struct ll_timeout ll_timeout;
#define ll_timeout_enter(delay) ll__timeout_enter((double)(delay), false, __FILE__, __LINE__)
#define ll_timeout_at_enter(when) ll__timeout_enter((double)(when), true, __FILE__, __LINE__)
#define ll_timeout_reschedule(to, when)                                                            \
    ll__timeout_reschedule((to), (double)(when), __FILE__, __LINE__)
#define ll_timeout_exit(to, body) ll__timeout_exit((to), (body), __FILE__, __LINE__)
bool ll_timeout_expired(const ll_timeout *to);
/* The deadline in loop time, INFINITY when there is none. */
double ll_timeout_when(const ll_timeout *to);

/* asyncio.shield(aw): a future that follows aw, except that cancelling it
 * does not cancel aw. */
#define ll_shield(aw) ll__shield((aw), __FILE__, __LINE__)

/* task.cancelling() and task.uncancel() (Python 3.11): pending cancel
 * requests, and withdrawing one. */
uint32_t ll_task_cancelling(const ll_task *task);
uint32_t ll_task_uncancel(ll_task *task);

/* `async with asyncio.TaskGroup() as tg:` (Python 3.11) with the block in a
 * coroutine of its own, which finds its group with ll_taskgroup_current():
 *     static ll_value body(ll_value x) {
 *         ll_taskgroup *tg = ll_taskgroup_current();
 *         ll_taskgroup_create_task(tg, ll_coro(child, x), "name");  ...
 *         return ll_none();
 *     }
 *     ll_value r = ll_taskgroup(ll_coro(body, x));
 * The scope waits for every task of the group.  The first child that fails
 * cancels the others and the body (which sees LL_ECANCELLED at its await
 * and passes it on); the result is then an ExceptionGroup error value
 * (LL_EEXCEPTION_GROUP) whose failures ll_taskgroup_error(tg, i) gives (the
 * group stays readable until the loop closes).  Otherwise it is the body's
 * result or error.  This form cannot be left open: prefer it.
 *
 * As a pair of calls around inline code (every path must reach the exit;
 * one left open is reported and its children cancelled, as for timeouts):
 *     ll_taskgroup *tg = ll_taskgroup_enter();
 *     ll_taskgroup_create_task(tg, ll_coro(child, x), "name");  ...
 *     ll_value r = ll_taskgroup_exit(tg, body_result); */
typedef struct ll_taskgroup ll_taskgroup;
#define ll_taskgroup(aw) ll__taskgroup_run((aw), __FILE__, __LINE__)
/* The innermost TaskGroup open in the running task (its body's `tg`), or
 * NULL. */
ll_taskgroup *ll_taskgroup_current(void);
#define ll_taskgroup_enter() ll__taskgroup_enter(__FILE__, __LINE__)
#define ll_taskgroup_create_task(tg, coro, name)                                                   \
    ll__taskgroup_create_task((tg), (coro), (name), __FILE__, __LINE__)
#define ll_taskgroup_exit(tg, body) ll__taskgroup_exit((tg), (body), __FILE__, __LINE__)
size_t ll_taskgroup_nerrors(const ll_taskgroup *tg);
ll_value ll_taskgroup_error(const ll_taskgroup *tg, size_t i);

/* asyncio.wait(aws, timeout=..., return_when=...): waits until all (or the
 * first, or the first failure) of n tasks or futures are done, or the
 * timeout (INFINITY: none) passes.  done[i] (if done is not NULL) says
 * whether aws[i] is done, Python's (done, pending) sets.  Returns None or
 * a CancelledError value. */
enum { LL_ALL_COMPLETED = 0, LL_FIRST_COMPLETED = 1, LL_FIRST_EXCEPTION = 2 };
#define ll_wait(aws, n, timeout, return_when, done)                                                \
    ll__wait((aws), (n), (double)(timeout), (return_when), (done), __FILE__, __LINE__)

/* `for aw in asyncio.as_completed(aws, timeout=...): r = await aw`:
 *     ll_as_completed *ac = ll_as_completed(aws, n, INFINITY);
 *     for (size_t i = 0; i < n; i++) { ll_value r = ll_as_completed_next(ac); ... }
 * Each next gives the result (or error) of the next awaitable to finish, or
 * a TimeoutError value once the timeout has passed. */
typedef struct ll_as_completed ll_as_completed;
#define ll_as_completed(aws, n, timeout)                                                           \
    ll__as_completed((aws), (n), (double)(timeout), __FILE__, __LINE__)
#define ll_as_completed_next(ac) ll__as_completed_next((ac), __FILE__, __LINE__)

/* ---- Synchronisation: Lock, Event, Semaphore ---------------------------------
 * asyncio's primitives, with asyncio's order: waiters are served first in,
 * first out, and a newcomer never overtakes a waiter.  Each is owned by the
 * loop it was made on (the running or current loop) and freed when it
 * closes.  A name (may be NULL) is shown in traces.  Calls that wait return
 * what Python's do (True from acquire and wait), or a CancelledError value
 * when the task was cancelled while waiting.  The calls that only change
 * state (release, notify, put_nowait, task_done, reset...) return an
 * ll_value too: None, or the error Python would raise there (also printed,
 * naming the call site), so that every call a coroutine makes is checked
 * and passed on the same way. */
typedef struct ll_lock ll_lock;
typedef struct ll_event ll_event;
typedef struct ll_semaphore ll_semaphore;
typedef struct ll_queue ll_queue;

/* asyncio.Lock() */
#define ll_lock_new(name) ll__lock_new((name), __FILE__, __LINE__)
/* `await lock.acquire()` */
#define ll_lock_acquire(lock) ll__lock_acquire((lock), __FILE__, __LINE__)
/* lock.release(): a RuntimeError value ("Lock is not acquired") on an
 * unlocked lock. */
#define ll_lock_release(lock) ll__lock_release((lock), __FILE__, __LINE__)
bool ll_lock_locked(const ll_lock *lock);
/* `async with lock: return await body(x)`: acquires, awaits aw, releases;
 * the result is the body's (or CancelledError while acquiring: the body
 * never runs then). */
#define ll_with_lock(lock, aw) ll__with_lock((lock), (aw), __FILE__, __LINE__)
/* `async with lock:` around inline code: ll_lock_enter acquires (None, or a
 * CancelledError value: then the block must not run) and ll_lock_exit
 * releases and passes body on.  A scope as for ll_timeout_enter: every path
 * must reach the exit, in the reverse order of entering; one left open is
 * reported, and released, when its coroutine returns.  Plain
 * acquire/release are not scopes (another task may release). */
#define ll_lock_enter(lock) ll__lock_enter((lock), __FILE__, __LINE__)
#define ll_lock_exit(lock, body) ll__lock_exit((lock), (body), __FILE__, __LINE__)

/* asyncio.Event(): wait() suspends until set(); set() wakes every waiter,
 * in the order they began waiting. */
#define ll_event_new(name) ll__event_new((name), __FILE__, __LINE__)
#define ll_event_wait(ev) ll__event_wait((ev), __FILE__, __LINE__)
#define ll_event_set(ev) ll__event_set((ev), __FILE__, __LINE__)
#define ll_event_clear(ev) ll__event_clear((ev), __FILE__, __LINE__)
bool ll_event_is_set(const ll_event *ev);

/* asyncio.Semaphore(value) and BoundedSemaphore(value), whose release()
 * past the initial value is an error (LL_EVALUE). */
#define ll_semaphore_new(value, name) ll__semaphore_new((value), false, (name), __FILE__, __LINE__)
#define ll_bounded_semaphore_new(value, name)                                                      \
    ll__semaphore_new((value), true, (name), __FILE__, __LINE__)
#define ll_semaphore_acquire(sem) ll__semaphore_acquire((sem), __FILE__, __LINE__)
#define ll_semaphore_release(sem) ll__semaphore_release((sem), __FILE__, __LINE__)
bool ll_semaphore_locked(const ll_semaphore *sem);
int ll_semaphore_value(const ll_semaphore *sem);
/* `async with sem:`, as for locks: the body form, and the enter/exit pair
 * (a scope: left open, it is reported and released). */
#define ll_with_semaphore(sem, aw) ll__with_semaphore((sem), (aw), __FILE__, __LINE__)
#define ll_semaphore_enter(sem) ll__semaphore_enter((sem), __FILE__, __LINE__)
#define ll_semaphore_exit(sem, body) ll__semaphore_exit((sem), (body), __FILE__, __LINE__)

/* asyncio.Condition(lock=None): a lock (the one given, or a new one) and a
 * list of tasks waiting to be notified.  wait() needs the lock held: it
 * releases it, waits for a notify, and takes the lock back before it
 * returns (even when cancelled: then it returns CancelledError, holding the
 * lock).  notify(n) and notify_all() need the lock held too (RuntimeError
 * otherwise) and wake waiters in the order they began waiting; a woken task
 * goes on only once the notifier releases the lock. */
typedef struct ll_condition ll_condition;
#define ll_condition_new(lock, name) ll__condition_new((lock), (name), __FILE__, __LINE__)
#define ll_condition_acquire(c) ll_lock_acquire(ll_condition_lock(c))
#define ll_condition_release(c) ll_lock_release(ll_condition_lock(c))
#define ll_condition_wait(c) ll__condition_wait((c), __FILE__, __LINE__)
/* `await cond.wait_for(predicate)`: waits until pred(arg) is true (checked
 * first, then after every wake-up); None or CancelledError. */
#define ll_condition_wait_for(c, pred, arg)                                                        \
    ll__condition_wait_for((c), (pred), (arg), __FILE__, __LINE__)
#define ll_condition_notify(c, n) ll__condition_notify((c), (n), __FILE__, __LINE__)
#define ll_condition_notify_all(c) ll__condition_notify((c), -1, __FILE__, __LINE__)
ll_lock *ll_condition_lock(const ll_condition *c);
bool ll_condition_locked(const ll_condition *c);
/* `async with cond:` (takes and gives back its lock), as for locks: the
 * body form, and the enter/exit pair (a scope: left open, it is reported
 * and its lock released). */
#define ll_with_condition(c, aw) ll__with_condition((c), (aw), __FILE__, __LINE__)
#define ll_condition_enter(c) ll__condition_enter((c), __FILE__, __LINE__)
#define ll_condition_exit(c, body) ll__condition_exit((c), (body), __FILE__, __LINE__)

/* asyncio.Barrier(parties) (Python 3.11): wait() blocks until `parties`
 * tasks are waiting, then lets them all go; it returns each one's arrival
 * index (0 .. parties-1), or a BrokenBarrierError value after reset() or
 * abort(), or a CancelledError value.  Tasks arriving while the last group
 * is still leaving wait for the next round. */
typedef struct ll_barrier ll_barrier;
#define ll_barrier_new(parties, name) ll__barrier_new((parties), (name), __FILE__, __LINE__)
#define ll_barrier_wait(b) ll__barrier_wait((b), __FILE__, __LINE__)
#define ll_barrier_reset(b) ll__barrier_reset((b), false, __FILE__, __LINE__)
#define ll_barrier_abort(b) ll__barrier_reset((b), true, __FILE__, __LINE__)
int ll_barrier_parties(const ll_barrier *b);
/* Tasks waiting for the barrier to fill (0 while it drains). */
int ll_barrier_n_waiting(const ll_barrier *b);
bool ll_barrier_broken(const ll_barrier *b);

/* ---- Queues ------------------------------------------------------------------
 * asyncio.Queue(maxsize), PriorityQueue (smallest first: numbers by value,
 * strings by strcmp, as Python's heapq orders them) and LifoQueue.  maxsize
 * <= 0 is unbounded.  put waits only when the queue is full and get only
 * when it is empty. */
#define ll_queue_new(maxsize, name) ll__queue_new((maxsize), 0, (name), __FILE__, __LINE__)
#define ll_priority_queue_new(maxsize, name) ll__queue_new((maxsize), 1, (name), __FILE__, __LINE__)
#define ll_lifo_queue_new(maxsize, name) ll__queue_new((maxsize), 2, (name), __FILE__, __LINE__)
/* `await q.put(v)`: None or CancelledError. */
#define ll_queue_put(q, v) ll__queue_put((q), (v), __FILE__, __LINE__)
/* `await q.get()`: the item, or a CancelledError value. */
#define ll_queue_get(q) ll__queue_get((q), __FILE__, __LINE__)
/* q.put_nowait(v): None or QueueFull.  q.get_nowait(): the item or a
 * QueueEmpty error value. */
#define ll_queue_put_nowait(q, v) ll__queue_put_nowait((q), (v), __FILE__, __LINE__)
#define ll_queue_get_nowait(q) ll__queue_get_nowait((q), __FILE__, __LINE__)
/* q.task_done(): ValueError when called more times than items were put. */
#define ll_queue_task_done(q) ll__queue_task_done((q), __FILE__, __LINE__)
/* `await q.join()`: until every item put has been marked task_done. */
#define ll_queue_join(q) ll__queue_join((q), __FILE__, __LINE__)
size_t ll_queue_qsize(const ll_queue *q);
bool ll_queue_empty(const ll_queue *q);
bool ll_queue_full(const ll_queue *q);
int ll_queue_maxsize(const ll_queue *q);

/* ---- Every wait is also an awaitable ---------------------------------------------
 * The calls above wait at once, in the calling task: ll_event_wait(ev) is
 * `await ev.wait()`.  Python can also pass the wait without awaiting it, as
 * a coroutine object: create_task(ev.wait()), wait_for(q.get(), 1),
 * tg.create_task(asyncio.sleep(0)), gather(q.join(), ...),
 * shield(lock.acquire()).  Each wait's `_coro` form is that object: an
 * ll_coro like one from ll_coro(), taken wherever an awaitable is
 * (ll_create_task, ll_await, ll_wait_for, ll_gather, ll_shield,
 * ll_taskgroup_create_task...) and, like any coroutine, wrapped in a task
 * by the calls that wrap coroutines (create_task, gather, shield and 3.11's
 * wait_for: each takes a Task-N number, as in CPython).
 *     ll_create_task(ll_event_wait_coro(ev), NULL);     create_task(ev.wait())
 *     ll_wait_for(ll_queue_get_coro(q), 1);             wait_for(q.get(), 1)
 * Its result is the direct call's, which is what CPython's coroutine
 * returns: True for Event.wait, Lock.acquire, Semaphore.acquire and
 * Condition.wait, the item for Queue.get, the index for Barrier.wait, None
 * for sleep, Queue.put and Queue.join; or the error.  It is named as
 * CPython names the coroutine ("Event.wait", "sleep", "Queue.get"), and the
 * wait inside it is recorded at the line that made it.  Made on the running
 * loop (else this thread's), like the primitives. */
/* asyncio.sleep(seconds) */
#define ll_sleep_coro(seconds)                                                                     \
    ll__wait_coro_of(LL__AW_SLEEP, NULL, ll_float((double)(seconds)), NULL, 0)
/* ev.wait(), lock.acquire(), sem.acquire(), cond.wait(), barrier.wait() */
#define ll_event_wait_coro(ev) ll__wait_coro_of(LL__AW_EVENT_WAIT, (ev), ll_none(), NULL, 0)
#define ll_lock_acquire_coro(lock) ll__wait_coro_of(LL__AW_LOCK_ACQUIRE, (lock), ll_none(), NULL, 0)
#define ll_semaphore_acquire_coro(sem)                                                             \
    ll__wait_coro_of(LL__AW_SEMAPHORE_ACQUIRE, (sem), ll_none(), NULL, 0)
#define ll_condition_wait_coro(c) ll__wait_coro_of(LL__AW_CONDITION_WAIT, (c), ll_none(), NULL, 0)
#define ll_barrier_wait_coro(b) ll__wait_coro_of(LL__AW_BARRIER_WAIT, (b), ll_none(), NULL, 0)
/* q.get(), q.put(v), q.join() */
#define ll_queue_get_coro(q) ll__wait_coro_of(LL__AW_QUEUE_GET, (q), ll_none(), NULL, 0)
#define ll_queue_put_coro(q, v) ll__wait_coro_of(LL__AW_QUEUE_PUT, (q), (v), NULL, 0)
#define ll_queue_join_coro(q) ll__wait_coro_of(LL__AW_QUEUE_JOIN, (q), ll_none(), NULL, 0)

/* ---- Blocking work and the thread pool -----------------------------------------
 * asyncio.to_thread(fn, a, b): fn(args) runs on a worker thread of libuv's
 * pool (ll_thread_pool_size() threads) while the loop goes on
 * running other tasks.  As in Python, ll_to_thread makes a coroutine: the
 * job is handed to the pool when the coroutine runs (`ll_await(ll_to_thread
 * (fn, x))`, or as a task, or in a gather), and its result is fn's return
 * value.  ll_run_in_executor (loop.run_in_executor(None, fn, arg)) hands the
 * job over at once and returns a future.  A job starts as soon as a worker
 * is free.  fn is plain blocking code: it must not await
 * or touch the loop, but it may call ll_print, ll_note, ll_blocking_sleep and
 * ll_busy.  Cancelling the await cancels a job that has not started; one
 * that is running runs to the end and its result is dropped.
 *
 * On the virtual clock a job lasts exactly the time it spends in
 * ll_blocking_sleep and ll_busy (other computation counts as instant), its
 * prints appear at the virtual moment they were made, and the result is
 * the same on every run.  On the real clock everything takes real time. */
typedef ll_value (*ll_blocking_fn)(ll_args args);
/* How many worker threads the pool has: UV_THREADPOOL_SIZE when set, else
 * the size of Python's default executor, min(32, cores + 4). */
int ll_thread_pool_size(void);
#define ll_to_thread(...) ll__to_threadv(LL__FN_ARGS(__VA_ARGS__), __FILE__, __LINE__)
#define ll_run_in_executor(...) ll__run_in_executorv(LL__FN_ARGS(__VA_ARGS__), __FILE__, __LINE__)

/* time.sleep(seconds): blocks the calling thread.  Called in a coroutine it
 * blocks the whole loop: no other task runs, the step shows as one long run
 * and the slow-step warning fires.  On the virtual clock no real time
 * passes: the clock moves on by `seconds`. */
#define ll_blocking_sleep(seconds) ll__blocking(false, (double)(seconds), __FILE__, __LINE__)
/* CPU-bound work lasting about `seconds`: a busy loop that keeps one core
 * busy (real clock), or the clock moved on as ll_blocking_sleep does
 * (virtual clock).  Several jobs doing this in the pool really run in
 * parallel on several cores. */
#define ll_busy(seconds) ll__blocking(true, (double)(seconds), __FILE__, __LINE__)

/* ---- Async generators -----------------------------------------------------------
 * An `async def` with `yield` in it: a function that hands out values one at
 * a time and may await between them.  It runs on its own stack, inside
 * whichever task consumes it, so an await in the generator suspends that
 * task.
 *
 *     static ll_value ticks(ll_args args) {            // async def ticks(n):
 *         for (long long i = 0; i < ll_arg_int(args, 0); i++) {
 *             LL_TRY(ll_sleep(0.5));                   //     await asyncio.sleep(0.5)
 *             if (ll_failed(ll_yield(ll_int(i))))      //     yield i
 *                 break;                               // (closed early: clean up)
 *         }
 *         return ll_none();
 *     }
 *     ll_agen *g = ll_agen(ticks, 3);
 *     ll_value v;
 *     while (ll_anext(g, &v))                          // async for v in ticks(3):
 *         ll_print("%lld", v.i);
 *     if (ll_failed(v)) return v;                      // an error in the generator
 *
 * ll_anext gives the next value and true, or false at the end: v is then
 * None, or the error the generator returned.  ll_yield returns None, or a
 * GeneratorExit value when the consumer closed the generator while it was
 * parked at that yield: the generator should clean up (it may await) and
 * return.  ll_aclose(g) (`await gen.aclose()`) does that closing; a
 * generator that yields again instead of returning is an error
 * (RuntimeError, as in Python).  ll_anext is the one waiting call that does
 * not return an ll_value: it is the test of a loop, and its value comes in
 * *out.  Generators left unfinished when ll_run's
 * main coroutine returns are closed the same way (shutdown_asyncgens). */
/* `async for` left early.  Python closes a generator whose loop was left by
 * break (or return) when its last reference goes: the loop's asyncgen hook
 * queues a callback that makes a task (Task-N, numbered then) running
 * aclose(), so the generator's cleanup runs after what was already ready,
 * not at the break.  LL_ASYNC_FOR does that when its loop is left by any
 * way at all (break, return, goto; nothing when the generator ran to its
 * end):
 *     ll_value v;
 *     LL_ASYNC_FOR(v, ll_agen(ticks, 3)) {             // async for v in ticks(3):
 *         if (v.i == 1)
 *             break;                                   //     if v == 1: break
 *     }
 *     if (ll_failed(v)) return v;                      // an error in the generator
 * ll_agen_drop(g) says the same of a generator held in a variable, where
 * Python drops it (`del g`, or the end of the coroutine that held it).  A
 * generator dropped this way must not be used again. */
#if defined(__GNUC__) /* the cleanup attribute: GCC and Clang */
#define LL_ASYNC_FOR(v, gen)                                                                       \
    for (ll_agen * LL__CAT(ll__afor_, __LINE__)                                                    \
                       __attribute__((cleanup(ll__agen_drop_at_exit))) = (gen);                    \
         ll_anext(LL__CAT(ll__afor_, __LINE__), &(v));)
#endif
#define ll_agen_drop(gen) ll__agen_drop((gen), __FILE__, __LINE__)
typedef struct ll_agen ll_agen;
#define ll_agen(...) ll__agen_newv(LL__FN_ARGS(__VA_ARGS__), __FILE__, __LINE__)
#define ll_anext(gen, out) ll__anext((gen), (out), __FILE__, __LINE__)
#define ll_yield(v) ll__yield((v), __FILE__, __LINE__)
#define ll_aclose(gen) ll__aclose((gen), __FILE__, __LINE__)

/* ---- Output and narration ---------------------------------------------------- */

/* print(): writes one line (a newline is added) to standard output and
 * records it in the trace. */
#define ll_print(...) ll__print(__FILE__, __LINE__, __VA_ARGS__)
/* A narration note: recorded in the trace at this moment, for the viewer to
 * show.  Not printed. */
#define ll_note(...) ll__note(__FILE__, __LINE__, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

/* Input and output, each in a header of its own (all reachable from here):
 * TCP streams and servers, HTTP (a client session, a server, the slow web),
 * files, SQLite.  Then what the macros expand to (not API). */
#include "looplab/io.h"
#include "looplab/http.h"
#include "looplab/files.h"
#include "looplab/db.h"
#include "looplab/detail.h"

#endif
