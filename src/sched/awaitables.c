/* awaitables.c - every wait as a coroutine object.
 *
 * ll_event_wait(ev) waits at once, in the calling task: it is Python's
 * `await ev.wait()`.  Python can also hand `ev.wait()` itself, unawaited, to
 * create_task, wait_for, gather, shield or a TaskGroup.  ll_event_wait_coro(ev)
 * is that object: an ll_coro like any other, whose body is the wait.  It is
 * named as CPython names the coroutine (its __qualname__: "Event.wait",
 * "sleep", "Queue.get"), so a task made from it shows what it waits for, and
 * the wait inside it is recorded at the line that made it. */
#include "internal.h"

#include <string.h>

enum {
    AW_SLEEP = LL__AW_SLEEP,
    AW_EVENT_WAIT = LL__AW_EVENT_WAIT,
    AW_QUEUE_GET = LL__AW_QUEUE_GET,
    AW_QUEUE_PUT = LL__AW_QUEUE_PUT,
    AW_QUEUE_JOIN = LL__AW_QUEUE_JOIN,
    AW_LOCK_ACQUIRE = LL__AW_LOCK_ACQUIRE,
    AW_SEMAPHORE_ACQUIRE = LL__AW_SEMAPHORE_ACQUIRE,
    AW_CONDITION_WAIT = LL__AW_CONDITION_WAIT,
    AW_BARRIER_WAIT = LL__AW_BARRIER_WAIT,
    AW_STREAM_READ = LL__AW_STREAM_READ,
    AW_STREAM_READLINE = LL__AW_STREAM_READLINE,
    AW_STREAM_DRAIN = LL__AW_STREAM_DRAIN
};

/* What the body needs: the call's arguments and where it was made.  Kept in
 * the loop's arena, so it lives as long as the coroutine can. */
typedef struct aw_args {
    int kind;
    void *obj;
    ll_value v; /* the seconds of a sleep, the item of a put */
    void *buf;  /* a read's buffer and its size */
    size_t n;
    const char *file;
    int line;
} aw_args;

/* The body returns what the direct call returns, which is what CPython's
 * coroutine returns (True from Event.wait, the item from Queue.get...). */
static ll_value aw_body(ll_value arg) {
    const aw_args *a = arg.p;
    const char *f = a->file;
    int l = a->line;
    switch (a->kind) {
    case AW_SLEEP: return ll__sleep(a->v.f, f, l);
    case AW_EVENT_WAIT: return ll__event_wait(a->obj, f, l);
    case AW_QUEUE_GET: return ll__queue_get(a->obj, f, l);
    case AW_QUEUE_PUT: return ll__queue_put(a->obj, a->v, f, l);
    case AW_QUEUE_JOIN: return ll__queue_join(a->obj, f, l);
    case AW_LOCK_ACQUIRE: return ll__lock_acquire(a->obj, f, l);
    case AW_SEMAPHORE_ACQUIRE: return ll__semaphore_acquire(a->obj, f, l);
    case AW_CONDITION_WAIT: return ll__condition_wait(a->obj, f, l);
    case AW_BARRIER_WAIT: return ll__barrier_wait(a->obj, f, l);
    case AW_STREAM_READ: return ll__stream_read(a->obj, a->buf, a->n, 0, f, l);
    case AW_STREAM_READLINE: return ll__stream_readuntil(a->obj, a->buf, a->n, "\n", f, l);
    case AW_STREAM_DRAIN: return ll__stream_drain(a->obj, f, l);
    }
    return ll_raise(LL_ETYPE, "not a wait");
}

static const char *const qualname[] = {
    [AW_SLEEP] = "sleep",
    [AW_EVENT_WAIT] = "Event.wait",
    [AW_QUEUE_GET] = "Queue.get",
    [AW_QUEUE_PUT] = "Queue.put",
    [AW_QUEUE_JOIN] = "Queue.join",
    [AW_LOCK_ACQUIRE] = "Lock.acquire",
    [AW_SEMAPHORE_ACQUIRE] = "Semaphore.acquire",
    [AW_CONDITION_WAIT] = "Condition.wait",
    [AW_BARRIER_WAIT] = "Barrier.wait",
    [AW_STREAM_READ] = "StreamReader.read",
    [AW_STREAM_READLINE] = "StreamReader.readline",
    [AW_STREAM_DRAIN] = "StreamWriter.drain",
};

ll_coro *ll__wait_coro(int kind, void *obj, ll_value v, void *buf, size_t n, const char *file,
                       int line) {
    if (kind < AW_SLEEP || kind > AW_STREAM_DRAIN) {
        ll__misuse(ll__running_loop, file, line, "TypeError: no such wait (%d)", kind);
        return NULL;
    }
    /* The loop the coroutine will run on, as a primitive's constructor
     * finds it (the running loop, else this thread's, else a new one). */
    ll_loop *loop = ll_get_event_loop();
    aw_args *a = loop ? ll__arena_alloc(loop, sizeof *a) : NULL;
    if (!a) {
        ll__misuse(loop, file, line, "MemoryError: no memory for %s()", qualname[kind]);
        return NULL;
    }
    *a = (aw_args){kind, obj, v, buf, n, file, line};
    return ll__coro_new(aw_body, ll_ptr(a), qualname[kind], file, line);
}
