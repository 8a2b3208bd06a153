/* sync.c - Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier and
 * the queues, as CPython 3.11's asyncio/locks.py and asyncio/queues.py
 * implement them.
 *
 * Every wait is a future that lives in the waiting call's stack frame and
 * sits in the primitive's list of waiters (CPython's deque of futures):
 * waking a waiter completes its future, so the waiter's task is queued like
 * any other awaiter, in the same order CPython queues it.  The future carries
 * the primitive's id, so the trace says what a task waits on.
 *
 * Every operation is recorded as a `sync` event with the value after it (held
 * or not, the counter, the number of items) and the number of waiters, so a
 * viewer can draw who waits on what. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAGIC_LOCK = 0x4c4c4c4b,    /* "LLLK" */
    MAGIC_EVENT = 0x4c4c4556,   /* "LLEV" */
    MAGIC_SEM = 0x4c4c534d,     /* "LLSM" */
    MAGIC_QUEUE = 0x4c4c5155,   /* "LLQU" */
    MAGIC_COND = 0x4c4c434e,    /* "LLCN" */
    MAGIC_BARRIER = 0x4c4c4252, /* "LLBR" */
};

typedef struct waiter {
    ll_future fut;
    struct waiter *prev, *next;
    const ll__sync *sync; /* what it waits on */
    bool linked;
} waiter;

typedef struct wlist {
    waiter *head, *tail;
    size_t n;
} wlist;

struct ll__sync {
    uint32_t magic;
    uint32_t id;
    ll_loop *loop;
    const char *name;
    ll__sync *next_owned;
};

struct ll_lock {
    ll__sync h;
    bool locked;
    wlist waiters;
    ll_task *holder;    /* the task that acquired it, for the deadlock check */
    uint32_t holder_id; /* and its id: a task that ended holding the lock
                           may have had its record recycled (task.c), which
                           then carries another id */
};

struct ll_event {
    ll__sync h;
    bool value;
    wlist waiters;
};

struct ll_semaphore {
    ll__sync h;
    int value;
    int bound;
    bool bounded;
    wlist waiters;
};

struct ll_condition {
    ll__sync h;
    ll_lock *lock;
    wlist waiters;
    ll_wait_kind shown_as; /* what a waiter waits on, for the trace:
                              the condition, or the barrier it serves */
};

/* CPython's _BarrierState. */
enum { B_FILLING, B_DRAINING, B_RESETTING, B_BROKEN };

struct ll_barrier {
    ll_condition cond; /* its header is the barrier's, in the trace */
    int parties;
    int state;
    int count; /* tasks inside wait() */
};

struct ll_queue {
    ll__sync h;
    int kind; /* 0 FIFO, 1 priority, 2 LIFO */
    int maxsize;
    ll_value *items;
    size_t n, cap, head; /* FIFO: a ring from head; others: an array */
    size_t unfinished;
    wlist getters, putters, joiners;
};

/* ---- waiter lists ------------------------------------------------------- */

static void wl_append(wlist *l, waiter *w) {
    w->prev = l->tail;
    w->next = NULL;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
    l->n++;
    w->linked = true;
}

static void wl_remove(wlist *l, waiter *w) {
    if (!w->linked)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    l->n--;
    w->linked = false;
}

static inline bool fut_done(const ll_future *f) {
    return f->state != LL__FUT_PENDING;
}

/* ---- common -------------------------------------------------------------- */

static ll_loop *owner_loop(void) {
    return ll_get_event_loop();
}

static void *sync_new(size_t size, uint32_t magic, ll_sync_kind kind, uint32_t value,
                      const char *name, const char *file, int line) {
    ll_loop *loop = owner_loop();
    if (!loop)
        return NULL;
    if (loop->closed) {
        ll__misuse(loop, file, line, "RuntimeError: Event loop is closed");
        return NULL;
    }
    ll__sync *h = calloc(1, size);
    if (!h)
        return NULL;
    h->magic = magic;
    h->id = ll__obj_id(loop);
    h->loop = loop;
    h->name = name ? ll__arena_strdup(loop, name) : NULL;
    h->next_owned = loop->owned_sync;
    loop->owned_sync = h;
    LL__REC_EV(loop, SYNC_NEW, ll__cur_tid(loop), .obj = h->id, .sub = (uint16_t)kind, .aux = value,
               .str = h->name ? ll__str(loop, h->name) : 0, .file = file, .line = line);
    return h;
}

__attribute__((noinline)) static void rec_op_now(const ll__sync *h, ll_sync_op op, uint32_t value,
                                                 size_t waiters, const char *file, int line) {
    ll_loop *loop = h->loop;
    LL__EV(loop, SYNC, ll__cur_tid(loop), .obj = h->id, .sub = (uint16_t)op, .aux = value,
           .val = (int64_t)waiters, .file = file, .line = line);
}

/* A queue's put or get, with the item's repr (trace 1.6: the viewer's
 * queue card lists the items, front first).  The writer clips the repr to
 * LL_TRACE_ITEM_MAX bytes; the recorder keeps it whole, as it does a task's
 * result. */
__attribute__((noinline)) static void rec_item_now(const ll__sync *h, ll_sync_op op, uint32_t value,
                                                   size_t waiters, ll_value item, const char *file,
                                                   int line) {
    ll_loop *loop = h->loop;
    LL__EV(loop, SYNC, ll__cur_tid(loop), .obj = h->id, .sub = (uint16_t)op, .aux = value,
           .val = (int64_t)waiters, .str = ll__repr_str(loop, item), .file = file, .line = line);
}

/* Records an operation on a primitive, when the loop records. */
static inline void rec_op(const ll__sync *h, ll_sync_op op, uint32_t value, size_t waiters,
                          const char *file, int line) {
    if (LL__REC(h->loop))
        rec_op_now(h, op, value, waiters, file, line);
}

static bool check_failed(const void *p, uint32_t magic, const char *what, const char *file,
                         int line);

/* Is `p` a live primitive of this kind?  Says so when it is not. */
static inline bool check(const void *p, uint32_t magic, const char *what, const char *file,
                         int line) {
    const ll__sync *h = p;
    if (__builtin_expect(h && h->magic == magic && !h->loop->closed, 1))
        return true;
    return check_failed(p, magic, what, file, line);
}

__attribute__((noinline)) static bool check_failed(const void *p, uint32_t magic, const char *what,
                                                   const char *file, int line) {
    const ll__sync *h = p;
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (h && h->magic == magic)
        ll__misuse(loop, file, line, "RuntimeError: %s on a primitive whose loop is closed", what);
    else
        ll__misuse(loop, file, line, "TypeError: %s needs what %s_new() made, not %s", what, what,
                   h ? "another object" : "NULL");
    return false;
}

/* The error value for a call that check() refused (it has said so already). */
static ll_value refused(const void *p, uint32_t magic, const char *what) {
    const ll__sync *h = p;
    if (h && h->magic == magic)
        return ll_raise(LL_ERUNTIME, "%s on a primitive whose loop is closed", what);
    return ll_raise(LL_ETYPE, "%s needs what %s_new() made, not %s", what, what,
                    h ? "another object" : "NULL");
}

static const ll_value ok = {LL_NONE, 0, {.i = 0}};
/* What Python's Lock.acquire, Event.wait, Semaphore.acquire and
 * Condition.wait return. */
static const ll_value yes = {LL_BOOL, 0, {.i = 1}};

static void waiter_init(waiter *w, const ll__sync *h, const char *file, int line) {
    memset(w, 0, sizeof *w);
    w->sync = h;
    ll__future_init(&w->fut, h->loop, LL__MAGIC_FUTURE, LL__FK_PLAIN, h->id, file, line);
}

/* Waits on w (already in its list); returns the outcome.  The waiter is
 * unlinked and its callbacks freed afterwards, whatever happened. */
static ll_value waiter_wait(waiter *w, wlist *l, ll_wait_kind kind, const char *what,
                            const char *file, int line) {
    ll_value v = ll__wait_future(&w->fut, kind, what, file, line);
    wl_remove(l, w);
    ll__future_free_cbs(&w->fut);
    w->fut.magic = 0;
    return v;
}

static void wake(waiter *w) {
    ll__future_complete(&w->fut, LL__FUT_FINISHED, ll_bool(true));
}

void ll__sync_describe(const ll_loop *loop, uint32_t id, ll_wait_kind kind, const char *file,
                       int line, char *buf, size_t n) {
    static const char *const what[] = {[LL_WAIT_LOCK] = "lock",
                                       [LL_WAIT_EVENT] = "event",
                                       [LL_WAIT_SEMAPHORE] = "semaphore",
                                       [LL_WAIT_QUEUE_PUT] = "queue (put, full)",
                                       [LL_WAIT_QUEUE_GET] = "queue (get, empty)",
                                       [LL_WAIT_QUEUE_JOIN] = "queue (join)",
                                       [LL_WAIT_CONDITION] = "condition",
                                       [LL_WAIT_BARRIER] = "barrier"};
    const char *kind_name =
        (size_t)kind < sizeof what / sizeof what[0] && what[kind] ? what[kind] : "primitive";
    const char *name = NULL;
    const ll__sync *found = NULL;
    for (const ll__sync *h = loop->owned_sync; h; h = h->next_owned)
        if (h->id == id) {
            name = h->name;
            found = h;
        }
    int k = snprintf(buf, n, "the %s%s%s%s #%u, at %s:%d", kind_name, name ? " '" : "",
                     name ? name : "", name ? "'" : "", id, file ? file : "?", line);
    /* A join that can never return: say what it is waiting for. */
    if (kind == LL_WAIT_QUEUE_JOIN && found && found->magic == MAGIC_QUEUE && k > 0 &&
        (size_t)k < n) {
        const ll_queue *q = (const ll_queue *)found;
        snprintf(buf + k, n - (size_t)k,
                 ": %zu item%s put but never marked done (%zu still in the queue); join() "
                 "returns once every item taken with get() is followed by task_done()",
                 q->unfinished, q->unfinished == 1 ? "" : "s", q->n);
    }
}

void ll__sync_free_all(ll_loop *loop) {
    for (ll__sync *h = loop->owned_sync, *next; h; h = next) {
        next = h->next_owned;
        if (h->magic == MAGIC_QUEUE)
            free(((ll_queue *)h)->items);
        h->magic = 0;
        free(h);
    }
    loop->owned_sync = NULL;
}

/* ---- Lock ------------------------------------------------------------------ */

ll_lock *ll__lock_new(const char *name, const char *file, int line) {
    return sync_new(sizeof(ll_lock), MAGIC_LOCK, LL_SYNC_LOCK, 0, name, file, line);
}

bool ll_lock_locked(const ll_lock *l) {
    return l && l->h.magic == MAGIC_LOCK && l->locked;
}

static void lock_wake_first(ll_lock *l, const char *file, int line) {
    waiter *w = l->waiters.head;
    if (w && !fut_done(&w->fut)) {
        wake(w);
        rec_op(&l->h, LL_SYNC_OP_WAKE, l->locked, l->waiters.n, file, line);
    }
}

static int lock_name(const ll_lock *l, char *buf, size_t n) {
    return l->h.name ? snprintf(buf, n, "'%s'", l->h.name) : snprintf(buf, n, "#%u", l->h.id);
}

/* The current task is about to wait for l.  If l's holder waits for a lock
 * whose holder waits for... a lock the current task holds, none of them can
 * ever go on (only a cancellation can break the cycle): a deadlock, though
 * other tasks and timers may keep the loop busy.  Reported with the cycle. */
static void check_lock_cycle(ll_lock *l, const char *file, int line) {
    ll_loop *loop = l->h.loop;
    ll_task *me = loop->current;
    if (!me || !l->holder)
        return;
    char chain[1024], name[80];
    size_t n = 0;
    const ll_lock *cur = l;
    ll_task *waiting = me;
    for (int hops = 0; hops < 32; hops++) {
        ll_task *h = cur->holder;
        if (!h || h->fut.id != cur->holder_id || h->fut.state != LL__FUT_PENDING)
            return;
        lock_name(cur, name, sizeof name);
        if (n < sizeof chain)
            n += (size_t)snprintf(chain + n, sizeof chain - n,
                                  "\n  task '%s' waits for lock %s, held by task '%s'",
                                  waiting->name, name, h->name);
        if (h == me) {
            ll__warn(loop, LL_WARN_DEADLOCK, file, line,
                     "deadlock: these tasks wait for each other's locks, and none can go "
                     "on until one is cancelled:%s",
                     chain);
            return;
        }
        if (h->wait_kind != LL_WAIT_LOCK || !h->waiter)
            return;
        const waiter *w = (const waiter *)h->waiter;
        if (!w->sync || w->sync->magic != MAGIC_LOCK)
            return;
        cur = (const ll_lock *)w->sync;
        waiting = h;
    }
}

static inline void lock_hold(ll_lock *l, ll_task *t) {
    l->holder = t;
    l->holder_id = t ? t->fut.id : 0;
}

static ll_value lock_acquire_slow(ll_lock *l, const char *file, int line);
static ll_value lock_release_slow(ll_lock *l, const char *file, int line);

/* The common case is a free lock nobody waits for: a few loads and two
 * stores, with no stack frame.  Everything else (waiting, recording, bad
 * arguments) is in the slow paths, out of line. */
ll_value ll__lock_acquire(ll_lock *l, const char *file, int line) {
    if (__builtin_expect(l && l->h.magic == MAGIC_LOCK && !l->locked && !l->waiters.head, 1)) {
        ll_loop *loop = l->h.loop;
        if (__builtin_expect(!loop->closed && !LL__REC(loop), 1)) {
            l->locked = true;
            lock_hold(l, loop->current);
            return yes;
        }
    }
    return lock_acquire_slow(l, file, line);
}

ll_value ll__lock_release(ll_lock *l, const char *file, int line) {
    if (__builtin_expect(l && l->h.magic == MAGIC_LOCK && l->locked && !l->waiters.head, 1)) {
        ll_loop *loop = l->h.loop;
        if (__builtin_expect(!loop->closed && !LL__REC(loop), 1)) {
            l->locked = false;
            lock_hold(l, NULL);
            return ok;
        }
    }
    return lock_release_slow(l, file, line);
}

__attribute__((noinline)) static ll_value lock_acquire_slow(ll_lock *l, const char *file,
                                                            int line) {
    if (l && l->h.magic == MAGIC_LOCK && !l->locked && !l->waiters.head && !l->h.loop->closed) {
        l->locked = true;
        lock_hold(l, l->h.loop->current);
        rec_op(&l->h, LL_SYNC_OP_ACQUIRE, 1, 0, file, line);
        return yes;
    }
    if (!check(l, MAGIC_LOCK, "ll_lock_acquire()", file, line))
        return refused(l, MAGIC_LOCK, "ll_lock_acquire()");
    bool all_cancelled = true;
    for (waiter *w = l->waiters.head; w; w = w->next)
        all_cancelled &= w->fut.state == LL__FUT_CANCELLED;
    if (!l->locked && all_cancelled) {
        l->locked = true;
        lock_hold(l, l->h.loop->current);
        rec_op(&l->h, LL_SYNC_OP_ACQUIRE, 1, l->waiters.n, file, line);
        return yes;
    }
    waiter local, *w = ll__frame_obj(&local, sizeof local);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait for a lock");
    waiter_init(w, &l->h, file, line);
    wl_append(&l->waiters, w);
    rec_op(&l->h, LL_SYNC_OP_BLOCK, l->locked, l->waiters.n, file, line);
    check_lock_cycle(l, file, line);
    ll_value v = waiter_wait(w, &l->waiters, LL_WAIT_LOCK, "ll_lock_acquire()", file, line);
    ll__frame_obj_free(w, &local);
    if (ll_failed(v)) {
        /* Cancelled: if the lock was handed to us, pass it on. */
        rec_op(&l->h, LL_SYNC_OP_GIVE_UP, l->locked, l->waiters.n, file, line);
        if (!l->locked)
            lock_wake_first(l, file, line);
        return v;
    }
    l->locked = true;
    lock_hold(l, l->h.loop->current);
    rec_op(&l->h, LL_SYNC_OP_ACQUIRE, 1, l->waiters.n, file, line);
    return yes;
}

__attribute__((noinline)) static ll_value lock_release_slow(ll_lock *l, const char *file,
                                                            int line) {
    if (l && l->h.magic == MAGIC_LOCK && l->locked && !l->waiters.head && !l->h.loop->closed) {
        l->locked = false;
        lock_hold(l, NULL);
        rec_op(&l->h, LL_SYNC_OP_RELEASE, 0, 0, file, line);
        return ok;
    }
    if (!check(l, MAGIC_LOCK, "ll_lock_release()", file, line))
        return refused(l, MAGIC_LOCK, "ll_lock_release()");
    if (!l->locked) {
        ll__misuse(l->h.loop, file, line, "RuntimeError: Lock is not acquired (lock %s%s%u)",
                   l->h.name ? l->h.name : "", l->h.name ? " #" : "#", l->h.id);
        return ll_raise(LL_ERUNTIME, "Lock is not acquired");
    }
    l->locked = false;
    lock_hold(l, NULL);
    rec_op(&l->h, LL_SYNC_OP_RELEASE, 0, l->waiters.n, file, line);
    lock_wake_first(l, file, line);
    return ok;
}

/* ---- Event ----------------------------------------------------------------- */

ll_event *ll__event_new(const char *name, const char *file, int line) {
    return sync_new(sizeof(ll_event), MAGIC_EVENT, LL_SYNC_EVENT, 0, name, file, line);
}

bool ll_event_is_set(const ll_event *ev) {
    return ev && ev->h.magic == MAGIC_EVENT && ev->value;
}

ll_value ll__event_wait(ll_event *ev, const char *file, int line) {
    if (!check(ev, MAGIC_EVENT, "ll_event_wait()", file, line))
        return refused(ev, MAGIC_EVENT, "ll_event_wait()");
    if (ev->value)
        return yes;
    waiter local, *w = ll__frame_obj(&local, sizeof local);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait for an event");
    waiter_init(w, &ev->h, file, line);
    wl_append(&ev->waiters, w);
    rec_op(&ev->h, LL_SYNC_OP_BLOCK, 0, ev->waiters.n, file, line);
    ll_value v = waiter_wait(w, &ev->waiters, LL_WAIT_EVENT, "ll_event_wait()", file, line);
    ll__frame_obj_free(w, &local);
    return ll_failed(v) ? v : yes;
}

void ll__event_set(ll_event *ev, const char *file, int line) {
    if (!check(ev, MAGIC_EVENT, "ll_event_set()", file, line) || ev->value)
        return;
    ev->value = true;
    rec_op(&ev->h, LL_SYNC_OP_SET, 1, ev->waiters.n, file, line);
    for (waiter *w = ev->waiters.head; w; w = w->next)
        if (!fut_done(&w->fut))
            wake(w);
}

void ll__event_clear(ll_event *ev, const char *file, int line) {
    if (!check(ev, MAGIC_EVENT, "ll_event_clear()", file, line))
        return;
    ev->value = false;
    rec_op(&ev->h, LL_SYNC_OP_CLEAR, 0, ev->waiters.n, file, line);
}

/* ---- Semaphore ----------------------------------------------------------------- */

ll_semaphore *ll__semaphore_new(int value, bool bounded, const char *name, const char *file,
                                int line) {
    if (value < 0) {
        ll__misuse(owner_loop(), file, line, "ValueError: Semaphore initial value must be >= 0");
        return NULL;
    }
    ll_semaphore *s = sync_new(sizeof(ll_semaphore), MAGIC_SEM,
                               bounded ? LL_SYNC_BOUNDED_SEMAPHORE : LL_SYNC_SEMAPHORE,
                               (uint32_t)value, name, file, line);
    if (s) {
        s->value = value;
        s->bound = value;
        s->bounded = bounded;
    }
    return s;
}

bool ll_semaphore_locked(const ll_semaphore *s) {
    if (!s || s->h.magic != MAGIC_SEM)
        return false;
    if (s->value == 0)
        return true;
    for (const waiter *w = s->waiters.head; w; w = w->next)
        if (w->fut.state != LL__FUT_CANCELLED)
            return true;
    return false;
}

int ll_semaphore_value(const ll_semaphore *s) {
    return s && s->h.magic == MAGIC_SEM ? s->value : 0;
}

static void sem_wake_next(ll_semaphore *s, const char *file, int line) {
    for (waiter *w = s->waiters.head; w; w = w->next) {
        if (!fut_done(&w->fut)) {
            s->value--;
            wake(w);
            rec_op(&s->h, LL_SYNC_OP_WAKE, (uint32_t)s->value, s->waiters.n, file, line);
            return;
        }
    }
}

ll_value ll__semaphore_acquire(ll_semaphore *s, const char *file, int line) {
    if (!check(s, MAGIC_SEM, "ll_semaphore_acquire()", file, line))
        return refused(s, MAGIC_SEM, "ll_semaphore_acquire()");
    if (!ll_semaphore_locked(s)) {
        s->value--;
        rec_op(&s->h, LL_SYNC_OP_ACQUIRE, (uint32_t)s->value, s->waiters.n, file, line);
        return yes;
    }
    waiter local, *w = ll__frame_obj(&local, sizeof local);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait");
    waiter_init(w, &s->h, file, line);
    wl_append(&s->waiters, w);
    rec_op(&s->h, LL_SYNC_OP_BLOCK, (uint32_t)s->value, s->waiters.n, file, line);
    ll_value v =
        waiter_wait(w, &s->waiters, LL_WAIT_SEMAPHORE, "ll_semaphore_acquire()", file, line);
    bool was_cancelled = w->fut.state == LL__FUT_CANCELLED;
    ll__frame_obj_free(w, &local);
    if (ll_failed(v)) {
        rec_op(&s->h, LL_SYNC_OP_GIVE_UP, (uint32_t)s->value, s->waiters.n, file, line);
        if (!was_cancelled) {
            /* We were handed a unit but will not use it: pass it on. */
            s->value++;
            sem_wake_next(s, file, line);
        }
        return v;
    }
    if (s->value > 0)
        sem_wake_next(s, file, line);
    rec_op(&s->h, LL_SYNC_OP_ACQUIRE, (uint32_t)s->value, s->waiters.n, file, line);
    return yes;
}

ll_value ll__semaphore_release(ll_semaphore *s, const char *file, int line) {
    if (!check(s, MAGIC_SEM, "ll_semaphore_release()", file, line))
        return refused(s, MAGIC_SEM, "ll_semaphore_release()");
    if (s->bounded && s->value >= s->bound) {
        ll__misuse(s->h.loop, file, line,
                   "ValueError: BoundedSemaphore released too many times (its value is "
                   "already %d, the value it started with)",
                   s->bound);
        return ll_raise(LL_EVALUE, "BoundedSemaphore released too many times");
    }
    s->value++;
    rec_op(&s->h, LL_SYNC_OP_RELEASE, (uint32_t)s->value, s->waiters.n, file, line);
    sem_wake_next(s, file, line);
    return ok;
}

/* ---- Condition ------------------------------------------------------------------ */

static bool cond_init(ll_condition *c, ll_lock *lock, const char *name, const char *file,
                      int line) {
    if (!lock) {
        char lname[96];
        snprintf(lname, sizeof lname, "%s%slock", name ? name : "", name ? "." : "");
        lock = ll__lock_new(lname, file, line);
        if (!lock)
            return false;
    }
    c->lock = lock;
    return true;
}

ll_condition *ll__condition_new(ll_lock *lock, const char *name, const char *file, int line) {
    if (lock && (lock->h.magic != MAGIC_LOCK || lock->h.loop->closed)) {
        ll__misuse(owner_loop(), file, line,
                   "TypeError: ll_condition_new() needs a lock made by ll_lock_new() (or NULL "
                   "for a new one)");
        return NULL;
    }
    ll_condition *c =
        sync_new(sizeof(ll_condition), MAGIC_COND, LL_SYNC_CONDITION, 0, name, file, line);
    if (!c)
        return NULL;
    c->shown_as = LL_WAIT_CONDITION;
    if (!cond_init(c, lock, name, file, line))
        return NULL; /* freed with the loop */
    return c;
}

static bool cond_ok(const ll_condition *c) {
    return c && (c->h.magic == MAGIC_COND || c->h.magic == MAGIC_BARRIER);
}
ll_lock *ll_condition_lock(const ll_condition *c) {
    return cond_ok(c) ? c->lock : NULL;
}
bool ll_condition_locked(const ll_condition *c) {
    return cond_ok(c) && c->lock->locked;
}

/* Condition.wait without the checks: release, wait to be notified, take the
 * lock back whatever happens (a cancellation while taking it back is kept
 * for after). */
static ll_value cond_wait(ll_condition *c, const char *file, int line) {
    ll__lock_release(c->lock, file, line);
    waiter local, *w = ll__frame_obj(&local, sizeof local);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait");
    waiter_init(w, &c->h, file, line);
    wl_append(&c->waiters, w);
    rec_op(&c->h, LL_SYNC_OP_BLOCK, 0, c->waiters.n, file, line);
    ll_value v = waiter_wait(w, &c->waiters, c->shown_as, "ll_condition_wait()", file, line);
    ll__frame_obj_free(w, &local);
    ll_value err = ll_failed(v) ? v : ok;
    if (ll_failed(v))
        rec_op(&c->h, LL_SYNC_OP_GIVE_UP, 0, c->waiters.n, file, line);
    for (;;) {
        ll_value r = ll__lock_acquire(c->lock, file, line);
        if (!ll_failed(r))
            break;
        if (r.err != LL_ECANCELLED)
            return r;
        if (!ll_failed(err))
            err = r;
    }
    return err;
}

ll_value ll__condition_wait(ll_condition *c, const char *file, int line) {
    if (!check(c, MAGIC_COND, "ll_condition_wait()", file, line))
        return refused(c, MAGIC_COND, "ll_condition_wait()");
    if (!c->lock->locked) {
        ll__misuse(c->h.loop, file, line,
                   "RuntimeError: cannot wait on un-acquired lock (call "
                   "ll_condition_acquire() first)");
        return ll_raise(LL_ERUNTIME, "cannot wait on un-acquired lock");
    }
    ll_value r = cond_wait(c, file, line);
    return ll_failed(r) ? r : yes;
}

ll_value ll__condition_wait_for(ll_condition *c, bool (*pred)(void *), void *arg, const char *file,
                                int line) {
    if (!check(c, MAGIC_COND, "ll_condition_wait_for()", file, line))
        return refused(c, MAGIC_COND, "ll_condition_wait_for()");
    if (!pred) {
        ll__misuse(c->h.loop, file, line, "TypeError: ll_condition_wait_for() needs a predicate");
        return ll_raise(LL_ETYPE, "ll_condition_wait_for() needs a predicate");
    }
    while (!pred(arg)) {
        ll_value r = ll__condition_wait(c, file, line);
        if (ll_failed(r))
            return r;
    }
    return yes;
}

/* Wakes up to n waiters (n < 0: all) in order. */
static void cond_notify(ll_condition *c, int n, const char *file, int line) {
    int woken = 0;
    for (waiter *w = c->waiters.head; w && (n < 0 || woken < n); w = w->next)
        if (!fut_done(&w->fut)) {
            wake(w);
            woken++;
        }
    rec_op(&c->h, LL_SYNC_OP_NOTIFY, (uint32_t)woken, c->waiters.n, file, line);
}

ll_value ll__condition_notify(ll_condition *c, int n, const char *file, int line) {
    const char *what = n < 0 ? "ll_condition_notify_all()" : "ll_condition_notify()";
    if (!check(c, MAGIC_COND, what, file, line))
        return refused(c, MAGIC_COND, what);
    if (!c->lock->locked) {
        ll__misuse(c->h.loop, file, line,
                   "RuntimeError: cannot notify on un-acquired lock (call "
                   "ll_condition_acquire() first)");
        return ll_raise(LL_ERUNTIME, "cannot notify on un-acquired lock");
    }
    cond_notify(c, n, file, line);
    return ok;
}

/* ---- `async with` of a lock, semaphore or condition ----------------------------------
 * The enter/exit pairs are scopes of the running task (timeouts.c): left
 * in the reverse order they were entered, and closed (released) when the
 * coroutine that entered one returns without leaving it.  Plain
 * acquire/release stay unscoped: asyncio lets another task release. */

static const char *const scope_enter_name[] = {
    [LL__SCOPE_LOCK] = "ll_lock_enter()",
    [LL__SCOPE_SEMAPHORE] = "ll_semaphore_enter()",
    [LL__SCOPE_CONDITION] = "ll_condition_enter()",
};
static const char *const scope_exit_name[] = {
    [LL__SCOPE_LOCK] = "ll_lock_exit",
    [LL__SCOPE_SEMAPHORE] = "ll_semaphore_exit",
    [LL__SCOPE_CONDITION] = "ll_condition_exit",
};

static ll_value scope_acquire(ll__scope_kind kind, void *obj, const char *file, int line) {
    switch (kind) {
    case LL__SCOPE_LOCK: return ll__lock_acquire(obj, file, line);
    case LL__SCOPE_SEMAPHORE: return ll__semaphore_acquire(obj, file, line);
    default:
        if (!check(obj, MAGIC_COND, "ll_condition_enter()", file, line))
            return refused(obj, MAGIC_COND, "ll_condition_enter()");
        return ll__lock_acquire(((ll_condition *)obj)->lock, file, line);
    }
}

static ll_value scope_release(ll__scope_kind kind, void *obj, const char *file, int line) {
    switch (kind) {
    case LL__SCOPE_LOCK: return ll__lock_release(obj, file, line);
    case LL__SCOPE_SEMAPHORE: return ll__semaphore_release(obj, file, line);
    default: return ll__lock_release(((ll_condition *)obj)->lock, file, line);
    }
}

static ll_value scope_enter(ll__scope_kind kind, void *obj, const char *file, int line) {
    ll_task *t = ll__current_task();
    if (!t) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: %s outside a task: `async with` needs a coroutine running "
                   "under ll_run() (or a task)",
                   scope_enter_name[kind]);
        return ll_raise(LL_ERUNTIME, "%s outside a task", scope_enter_name[kind]);
    }
    ll_value rc = scope_acquire(kind, obj, file, line);
    if (ll_failed(rc))
        return rc;
    if (!ll__scope_push(t, kind, obj, file, line)) {
        scope_release(kind, obj, file, line);
        return ll_raise(LL_ENOMEM, "no memory to enter a scope");
    }
    return ll_none();
}

static ll_value scope_exit(ll__scope_kind kind, void *obj, ll_value body, const char *file,
                           int line) {
    ll_task *t = ll__current_task();
    if (!t || !ll__scope_pop(t, kind, obj, scope_exit_name[kind], file, line)) {
        ll__misuse(t ? t->fut.loop : ll__current_loop, file, line,
                   "RuntimeError: %s() without a matching %s open in this task (left already, "
                   "closed when its coroutine returned, or entered by another task)",
                   scope_exit_name[kind], scope_enter_name[kind]);
        return body;
    }
    ll_value rc = scope_release(kind, obj, file, line);
    /* An error in __aexit__ replaces the body's outcome, as in Python. */
    return ll_failed(rc) ? rc : body;
}

void ll__sync_scope_close(const ll__scope *sc, const char *file, int line) {
    switch (sc->kind) {
    case LL__SCOPE_LOCK:
        if (ll_lock_locked(sc->obj))
            ll__lock_release(sc->obj, file, line);
        break;
    case LL__SCOPE_SEMAPHORE: ll__semaphore_release(sc->obj, file, line); break;
    case LL__SCOPE_CONDITION:
        if (ll_condition_locked(sc->obj))
            ll__lock_release(((ll_condition *)sc->obj)->lock, file, line);
        break;
    default: break;
    }
}

static ll_value scope_with(ll__scope_kind kind, void *obj, void *aw, const char *file, int line) {
    ll__coro_keep(aw);
    ll_value e = scope_enter(kind, obj, file, line);
    if (ll_failed(e)) {
        ll__coro_free(aw); /* never started: Python would not have made it */
        return e;
    }
    return scope_exit(kind, obj, ll__await(aw, file, line), file, line);
}

ll_value ll__lock_enter(ll_lock *l, const char *file, int line) {
    return scope_enter(LL__SCOPE_LOCK, l, file, line);
}
ll_value ll__lock_exit(ll_lock *l, ll_value body, const char *file, int line) {
    return scope_exit(LL__SCOPE_LOCK, l, body, file, line);
}
ll_value ll__with_lock(ll_lock *l, void *aw, const char *file, int line) {
    return scope_with(LL__SCOPE_LOCK, l, aw, file, line);
}
ll_value ll__semaphore_enter(ll_semaphore *s, const char *file, int line) {
    return scope_enter(LL__SCOPE_SEMAPHORE, s, file, line);
}
ll_value ll__semaphore_exit(ll_semaphore *s, ll_value body, const char *file, int line) {
    return scope_exit(LL__SCOPE_SEMAPHORE, s, body, file, line);
}
ll_value ll__with_semaphore(ll_semaphore *s, void *aw, const char *file, int line) {
    return scope_with(LL__SCOPE_SEMAPHORE, s, aw, file, line);
}
ll_value ll__condition_enter(ll_condition *c, const char *file, int line) {
    return scope_enter(LL__SCOPE_CONDITION, c, file, line);
}
ll_value ll__condition_exit(ll_condition *c, ll_value body, const char *file, int line) {
    return scope_exit(LL__SCOPE_CONDITION, c, body, file, line);
}
ll_value ll__with_condition(ll_condition *c, void *aw, const char *file, int line) {
    return scope_with(LL__SCOPE_CONDITION, c, aw, file, line);
}

/* ---- Barrier ---------------------------------------------------------------------
 * CPython's Barrier is a Condition and a state machine; so is this one.  Its
 * condition's header is the barrier's own, so the trace shows tasks waiting
 * on the barrier, and `sync` events carry n_waiting. */

ll_barrier *ll__barrier_new(int parties, const char *name, const char *file, int line) {
    if (parties < 1) {
        ll__misuse(owner_loop(), file, line, "ValueError: parties must be > 0 (got %d)", parties);
        return NULL;
    }
    ll_barrier *b = sync_new(sizeof(ll_barrier), MAGIC_BARRIER, LL_SYNC_BARRIER, (uint32_t)parties,
                             name, file, line);
    if (!b)
        return NULL;
    b->parties = parties;
    b->state = B_FILLING;
    b->cond.shown_as = LL_WAIT_BARRIER;
    if (!cond_init(&b->cond, NULL, name, file, line))
        return NULL;
    return b;
}

static bool b_ok(const ll_barrier *b) {
    return b && b->cond.h.magic == MAGIC_BARRIER;
}
int ll_barrier_parties(const ll_barrier *b) {
    return b_ok(b) ? b->parties : 0;
}
int ll_barrier_n_waiting(const ll_barrier *b) {
    return b_ok(b) && b->state == B_FILLING ? b->count : 0;
}
bool ll_barrier_broken(const ll_barrier *b) {
    return b_ok(b) && b->state == B_BROKEN;
}

/* The last task out lets the next round in. */
static void b_exit(ll_barrier *b, const char *file, int line) {
    if (b->count == 0) {
        if (b->state == B_RESETTING || b->state == B_DRAINING)
            b->state = B_FILLING;
        cond_notify(&b->cond, -1, file, line);
    }
}

ll_value ll__barrier_wait(ll_barrier *b, const char *file, int line) {
    if (!check(b, MAGIC_BARRIER, "ll_barrier_wait()", file, line))
        return refused(b, MAGIC_BARRIER, "ll_barrier_wait()");
    ll_condition *c = &b->cond;
    ll_value out = ll__lock_acquire(c->lock, file, line); /* async with self._cond: */
    if (ll_failed(out))
        return out;
    /* _block(): wait while the last round drains or resets. */
    while (b->state == B_DRAINING || b->state == B_RESETTING) {
        out = cond_wait(c, file, line);
        if (ll_failed(out))
            goto unlock;
    }
    if (b->state == B_BROKEN) {
        out = ll_raise(LL_EBROKEN_BARRIER, "Barrier aborted");
        goto unlock;
    }
    int index = b->count++;
    rec_op(&c->h, LL_SYNC_OP_ACQUIRE, (uint32_t)b->count, c->waiters.n, file, line);
    if (index + 1 == b->parties) {
        b->state = B_DRAINING; /* _release() */
        rec_op(&c->h, LL_SYNC_OP_PASS, (uint32_t)b->count, c->waiters.n, file, line);
        cond_notify(c, -1, file, line);
        out = ll_int(index);
    } else {
        out = ok;
        while (b->state == B_FILLING && !ll_failed(out)) /* _wait() */
            out = cond_wait(c, file, line);
        if (!ll_failed(out))
            out = b->state == B_BROKEN || b->state == B_RESETTING
                      ? ll_raise(LL_EBROKEN_BARRIER, "Abort or reset of barrier")
                      : ll_int(index);
    }
    b->count--;
    b_exit(b, file, line);
unlock:
    ll__lock_release(c->lock, file, line);
    return out;
}

ll_value ll__barrier_reset(ll_barrier *b, bool abort, const char *file, int line) {
    const char *what = abort ? "ll_barrier_abort()" : "ll_barrier_reset()";
    if (!check(b, MAGIC_BARRIER, what, file, line))
        return refused(b, MAGIC_BARRIER, what);
    ll_condition *c = &b->cond;
    ll_value r = ll__lock_acquire(c->lock, file, line);
    if (ll_failed(r))
        return r;
    if (abort)
        b->state = B_BROKEN;
    else if (b->count > 0)
        b->state = B_RESETTING;
    else
        b->state = B_FILLING;
    rec_op(&c->h, abort ? LL_SYNC_OP_ABORT : LL_SYNC_OP_RESET, (uint32_t)b->count, c->waiters.n,
           file, line);
    cond_notify(c, -1, file, line);
    ll__lock_release(c->lock, file, line);
    return ok;
}

/* ---- queues ------------------------------------------------------------------- */

/* Python's `<` between two items (value.c): numbers by value, strings by
 * strcmp, tuples item by item; other kinds by kind (Python would refuse to
 * compare them). */
static bool item_less(ll_value a, ll_value b) {
    return ll_less(a, b);
}

/* heapq's _siftdown and _siftup, step for step, so that equal priorities
 * come out in the same order as in Python. */
static void heap_siftdown(ll_value *h, size_t startpos, size_t pos) {
    ll_value newitem = h[pos];
    while (pos > startpos) {
        size_t parentpos = (pos - 1) >> 1;
        if (item_less(newitem, h[parentpos])) {
            h[pos] = h[parentpos];
            pos = parentpos;
            continue;
        }
        break;
    }
    h[pos] = newitem;
}

static void heap_siftup(ll_value *h, size_t n, size_t pos) {
    size_t startpos = pos;
    ll_value newitem = h[pos];
    size_t childpos = 2 * pos + 1;
    while (childpos < n) {
        size_t rightpos = childpos + 1;
        if (rightpos < n && !item_less(h[childpos], h[rightpos]))
            childpos = rightpos;
        h[pos] = h[childpos];
        pos = childpos;
        childpos = 2 * pos + 1;
    }
    h[pos] = newitem;
    heap_siftdown(h, startpos, pos);
}

static int q_push(ll_queue *q, ll_value v) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        ll_value *items = malloc(cap * sizeof *items);
        if (!items)
            return LL_ENOMEM;
        for (size_t i = 0; i < q->n; i++)
            items[i] = q->items[q->kind == 0 ? (q->head + i) & (q->cap - 1) : i];
        free(q->items);
        q->items = items;
        q->cap = cap;
        q->head = 0;
    }
    if (q->kind == 0) {
        q->items[(q->head + q->n) & (q->cap - 1)] = v; /* cap: a power of two */
        q->n++;
    } else {
        q->items[q->n++] = v;
        if (q->kind == 1)
            heap_siftdown(q->items, 0, q->n - 1);
    }
    return 0;
}

static ll_value q_pop(ll_queue *q) {
    if (q->kind == 0) {
        ll_value v = q->items[q->head];
        q->head = (q->head + 1) & (q->cap - 1);
        q->n--;
        return v;
    }
    if (q->kind == 2)
        return q->items[--q->n];
    ll_value last = q->items[--q->n];
    if (q->n == 0)
        return last;
    ll_value top = q->items[0];
    q->items[0] = last;
    heap_siftup(q->items, q->n, 0);
    return top;
}

ll_queue *ll__queue_new(int maxsize, int kind, const char *name, const char *file, int line) {
    static const ll_sync_kind kinds[] = {LL_SYNC_QUEUE, LL_SYNC_PRIORITY_QUEUE, LL_SYNC_LIFO_QUEUE};
    if (kind < 0 || kind > 2)
        kind = 0;
    ll_queue *q = sync_new(sizeof(ll_queue), MAGIC_QUEUE, kinds[kind],
                           maxsize > 0 ? (uint32_t)maxsize : 0, name, file, line);
    if (q) {
        q->kind = kind;
        q->maxsize = maxsize;
    }
    return q;
}

static bool q_ok(const ll_queue *q) {
    return q && q->h.magic == MAGIC_QUEUE;
}
size_t ll_queue_qsize(const ll_queue *q) {
    return q_ok(q) ? q->n : 0;
}
bool ll_queue_empty(const ll_queue *q) {
    return !q_ok(q) || q->n == 0;
}
bool ll_queue_full(const ll_queue *q) {
    return q_ok(q) && q->maxsize > 0 && q->n >= (size_t)q->maxsize;
}
int ll_queue_maxsize(const ll_queue *q) {
    return q_ok(q) ? q->maxsize : 0;
}

/* Wakes the first waiter of the list that is not done, taking it off. */
static void q_wakeup_next(ll_queue *q, wlist *l, const char *file, int line) {
    while (l->head) {
        waiter *w = l->head;
        wl_remove(l, w);
        if (!fut_done(&w->fut)) {
            wake(w);
            rec_op(&q->h, LL_SYNC_OP_WAKE, (uint32_t)q->n, q->getters.n + q->putters.n, file, line);
            break;
        }
    }
}

ll_value ll__queue_put_nowait(ll_queue *q, ll_value v, const char *file, int line) {
    if (!check(q, MAGIC_QUEUE, "ll_queue_put_nowait()", file, line))
        return refused(q, MAGIC_QUEUE, "ll_queue_put_nowait()");
    if (ll_queue_full(q))
        return ll_raise(LL_EQUEUE_FULL, "%s", "");
    int rc = q_push(q, v);
    if (rc)
        return ll_raise(rc, "no memory for the item");
    q->unfinished++;
    if (LL__REC(q->h.loop))
        rec_item_now(&q->h, LL_SYNC_OP_PUT, (uint32_t)q->n, q->getters.n + q->putters.n, v, file,
                     line);
    q_wakeup_next(q, &q->getters, file, line);
    return ok;
}

ll_value ll__queue_get_nowait(ll_queue *q, const char *file, int line) {
    if (!check(q, MAGIC_QUEUE, "ll_queue_get_nowait()", file, line))
        return refused(q, MAGIC_QUEUE, "ll_queue_get_nowait()");
    if (q->n == 0)
        return ll_raise(LL_EQUEUE_EMPTY, "%s", "");
    ll_value v = q_pop(q);
    if (LL__REC(q->h.loop))
        rec_item_now(&q->h, LL_SYNC_OP_GET, (uint32_t)q->n, q->getters.n + q->putters.n, v, file,
                     line);
    q_wakeup_next(q, &q->putters, file, line);
    return v;
}

/* The waiting half of put and get (CPython's `while full/empty:` loop). */
static ll_value q_wait(ll_queue *q, wlist *l, ll_wait_kind kind, const char *what, const char *file,
                       int line) {
    waiter local, *w = ll__frame_obj(&local, sizeof local);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait");
    waiter_init(w, &q->h, file, line);
    wl_append(l, w);
    rec_op(&q->h, LL_SYNC_OP_BLOCK, (uint32_t)q->n, q->getters.n + q->putters.n, file, line);
    ll_value v = waiter_wait(w, l, kind, what, file, line);
    bool was_cancelled = w->fut.state == LL__FUT_CANCELLED;
    ll__frame_obj_free(w, &local);
    if (ll_failed(v)) {
        rec_op(&q->h, LL_SYNC_OP_GIVE_UP, (uint32_t)q->n, q->getters.n + q->putters.n, file, line);
        bool can = kind == LL_WAIT_QUEUE_PUT ? !ll_queue_full(q) : q->n > 0;
        if (can && !was_cancelled)
            q_wakeup_next(q, l, file, line); /* our turn goes to the next waiter */
        return v;
    }
    return ok;
}

ll_value ll__queue_put(ll_queue *q, ll_value v, const char *file, int line) {
    if (!check(q, MAGIC_QUEUE, "ll_queue_put()", file, line))
        return refused(q, MAGIC_QUEUE, "ll_queue_put()");
    while (ll_queue_full(q)) {
        ll_value r = q_wait(q, &q->putters, LL_WAIT_QUEUE_PUT, "ll_queue_put()", file, line);
        if (ll_failed(r))
            return r;
    }
    return ll__queue_put_nowait(q, v, file, line);
}

ll_value ll__queue_get(ll_queue *q, const char *file, int line) {
    if (!check(q, MAGIC_QUEUE, "ll_queue_get()", file, line))
        return refused(q, MAGIC_QUEUE, "ll_queue_get()");
    while (q->n == 0) {
        ll_value r = q_wait(q, &q->getters, LL_WAIT_QUEUE_GET, "ll_queue_get()", file, line);
        if (ll_failed(r))
            return r;
    }
    return ll__queue_get_nowait(q, file, line);
}

ll_value ll__queue_task_done(ll_queue *q, const char *file, int line) {
    if (!check(q, MAGIC_QUEUE, "ll_queue_task_done()", file, line))
        return refused(q, MAGIC_QUEUE, "ll_queue_task_done()");
    if (q->unfinished == 0) {
        ll__misuse(q->h.loop, file, line,
                   "ValueError: task_done() called too many times (every item put has "
                   "already been marked done)");
        return ll_raise(LL_EVALUE, "task_done() called too many times");
    }
    q->unfinished--;
    rec_op(&q->h, LL_SYNC_OP_TASK_DONE, (uint32_t)q->unfinished, q->joiners.n, file, line);
    if (q->unfinished == 0)
        for (waiter *w = q->joiners.head; w; w = w->next)
            if (!fut_done(&w->fut))
                wake(w);
    return ok;
}

ll_value ll__queue_join(ll_queue *q, const char *file, int line) {
    if (!check(q, MAGIC_QUEUE, "ll_queue_join()", file, line))
        return refused(q, MAGIC_QUEUE, "ll_queue_join()");
    if (q->unfinished > 0) {
        waiter local, *w = ll__frame_obj(&local, sizeof local);
        if (!w)
            return ll_raise(LL_ENOMEM, "no memory to wait");
        waiter_init(w, &q->h, file, line);
        wl_append(&q->joiners, w);
        rec_op(&q->h, LL_SYNC_OP_BLOCK, (uint32_t)q->unfinished, q->joiners.n, file, line);
        ll_value v = waiter_wait(w, &q->joiners, LL_WAIT_QUEUE_JOIN, "ll_queue_join()", file, line);
        ll__frame_obj_free(w, &local);
        if (ll_failed(v))
            return v;
    }
    rec_op(&q->h, LL_SYNC_OP_JOIN, 0, q->joiners.n, file, line);
    return ok;
}
