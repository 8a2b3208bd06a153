/* multiloop.c - several event loops, one per thread, and the thread-safe
 * ways in: call_soon_threadsafe, run_coroutine_threadsafe, and a loop
 * running forever in a thread of its own.
 *
 * Each loop has an inbox: other threads append requests to it under one
 * process-wide mutex (requests are rare; the loop's own path only reads an
 * atomic count), then wake the loop: a real loop through a uv_async handle
 * that ends its wait in libuv, a virtual one through a condition variable.
 * The loop moves its requests to the ready queue at the start of each
 * iteration and after each wait, as asyncio's call_soon_threadsafe puts a
 * handle in _ready and writes to the self-pipe.  The uv_async handle is
 * unreferenced unless the loop expects requests (it awaits another loop's
 * result, or runs forever), so an idle loop is still found deadlocked. */
#include "internal.h"

#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

pthread_mutex_t ll__remote_mu = PTHREAD_MUTEX_INITIALIZER;

typedef void (*remote_fn)(ll_loop *loop, void *arg);

struct ll__remote {
    ll__remote *next;
    remote_fn fn;        /* internal requests */
    ll_callback_fn user; /* or a user callback */
    void *arg;
    const char *file; /* where it was asked for */
    int line;
};

void ll__inbox_init(ll_loop *loop) {
    loop->inbox_tail = &loop->inbox;
    pthread_cond_init(&loop->inbox_cv, NULL);
    if (!loop->real)
        return;
    uv_async_t *a = calloc(1, sizeof *a);
    uv_loop_t *uvl = ll__uv_loop(loop);
    if (!a || !uvl || uv_async_init(uvl, a, NULL) != 0) {
        free(a);
        return;
    }
    uv_unref((uv_handle_t *)a);
    loop->uv_async = a;
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

static void bridges_close(ll_loop *loop);

void ll__inbox_close(ll_loop *loop) {
    bridges_close(loop);
    pthread_mutex_lock(&ll__remote_mu);
    loop->inbox_closed = true;
    ll__remote *m = loop->inbox;
    loop->inbox = NULL;
    loop->inbox_tail = &loop->inbox;
    atomic_store(&loop->inbox_n, 0);
    void *a = loop->uv_async;
    loop->uv_async = NULL;
    pthread_mutex_unlock(&ll__remote_mu);
    while (m) {
        ll__remote *next = m->next;
        if (m->fn)
            m->fn(NULL, m->arg); /* NULL loop: dropped, free what it holds */
        free(m);
        m = next;
    }
    if (a)
        uv_close(a, free_handle);
    pthread_cond_destroy(&loop->inbox_cv);
}

/* Appends a request; 0, or LL_ERUNTIME when the loop no longer takes any. */
static int post(ll_loop *loop, remote_fn fn, ll_callback_fn user, void *arg, const char *file,
                int line) {
    ll__remote *m = malloc(sizeof *m);
    if (!m)
        return LL_ENOMEM;
    *m = (ll__remote){NULL, fn, user, arg, file, line};
    pthread_mutex_lock(&ll__remote_mu);
    if (!loop || loop->closed || loop->inbox_closed || !loop->inbox_tail) {
        pthread_mutex_unlock(&ll__remote_mu);
        free(m);
        return LL_ERUNTIME;
    }
    *loop->inbox_tail = m;
    loop->inbox_tail = &m->next;
    atomic_fetch_add(&loop->inbox_n, 1);
    pthread_cond_signal(&loop->inbox_cv);
    if (loop->uv_async)
        uv_async_send(loop->uv_async);
    pthread_mutex_unlock(&ll__remote_mu);
    return 0;
}

/* A request's turn in the ready queue. */
static void run_remote(ll_loop *loop, const ll__ready *e) {
    ll__remote *m = e->a;
    LL__REC_EV(loop, CB_RUN, 0, .obj = e->oid, .sub = LL_REASON_THREADSAFE, .file = m->file,
               .line = m->line);
    if (m->fn)
        m->fn(loop, m->arg);
    else
        m->user(m->arg);
    free(m);
}

void ll__inbox_drain(ll_loop *loop, bool wait) {
    if (!wait && atomic_load_explicit(&loop->inbox_n, memory_order_relaxed) == 0)
        return;
    pthread_mutex_lock(&ll__remote_mu);
    if (!loop->inbox_tail) { /* no inbox (yet, or any more) */
        pthread_mutex_unlock(&ll__remote_mu);
        return;
    }
    while (wait && !loop->inbox && !loop->inbox_closed)
        pthread_cond_wait(&loop->inbox_cv, &ll__remote_mu);
    ll__remote *m = loop->inbox;
    loop->inbox = NULL;
    loop->inbox_tail = &loop->inbox;
    atomic_store(&loop->inbox_n, 0);
    pthread_mutex_unlock(&ll__remote_mu);
    for (; m; m = m->next) {
        uint32_t id = ll__obj_id(loop);
        ll__ready_push(loop, &(ll__ready){run_remote, m, NULL, NULL, 0, id});
        LL__REC_EV(loop, CB_QUEUED, 0, .obj = id, .sub = LL_REASON_THREADSAFE,
                   .aux = (uint32_t)loop->ready.len - 1, .file = m->file, .line = m->line);
    }
}

/* The async handle keeps libuv's wait going only while requests are due. */
void ll__inbox_expect(ll_loop *loop, int delta) {
    loop->remote_waits += delta;
    if (loop->uv_async) {
        if (ll__expects_remote(loop))
            uv_ref(loop->uv_async);
        else
            uv_unref(loop->uv_async);
    }
}

int ll__call_soon_threadsafe(ll_loop *loop, ll_callback_fn fn, void *arg, const char *file,
                             int line) {
    if (!fn) {
        ll__misuse(ll__running_loop, file, line,
                   "TypeError: ll_call_soon_threadsafe() needs a function, not NULL");
        return LL_ETYPE;
    }
    int rc = post(loop, NULL, fn, arg, file, line);
    if (rc == LL_ERUNTIME)
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_call_soon_threadsafe() on a %s event loop",
                   loop ? "closed" : "NULL");
    return rc;
}

void ll_loop_stop_cb(void *loop) {
    ll_loop_stop(loop);
}

/* ---- run_coroutine_threadsafe ------------------------------------------------
 * A bridge between the caller's loop (which awaits `fut`) and the target
 * loop (which runs the task).  Each side holds a reference, and so does a
 * cancellation on its way over; the last one out frees it (under
 * ll__remote_mu).  The outcome crosses as a copy. */
typedef struct bridge {
    int refs;
    struct bridge *next_open, **prev_open; /* the target loop's running ones */
    ll_loop *caller, *target;
    ll_future *fut; /* caller's side */
    ll_task *task;  /* target's side, once started */
    bool cancel_asked;
    ll_coro_fn fn;
    ll_value arg;
    const char *fn_name, *file;
    int line;
    /* the outcome */
    int state;  /* LL__FUT_FINISHED or LL__FUT_CANCELLED */
    ll_value v; /* strings in `text` */
    char *text;
} bridge;

static void unref(bridge *b) {
    pthread_mutex_lock(&ll__remote_mu);
    bool last = --b->refs == 0;
    pthread_mutex_unlock(&ll__remote_mu);
    if (last) {
        free(b->text);
        free(b);
    }
}

/* Caller's side: the outcome arrived (loop NULL: the caller loop closed). */
static void finish(ll_loop *loop, void *arg) {
    bridge *b = arg;
    if (loop) {
        ll__inbox_expect(loop, -1);
        if (b->fut->state == LL__FUT_PENDING) {
            ll_value v = b->v;
            if (b->text) {
                const char *s = ll__arena_strdup(loop, b->text);
                if (v.kind == LL_STR)
                    v.s = s ? s : "";
                else
                    v = ll_raise(v.err, "%s", b->text);
            } else if (v.kind == LL_ERROR) {
                v = ll_raise(v.err, "%s", "");
            }
            ll__future_complete(b->fut, (ll__fut_state)b->state, v);
        }
    }
    unref(b);
}

static void open_remove(bridge *b) {
    if (!b->prev_open)
        return;
    *b->prev_open = b->next_open;
    if (b->next_open)
        b->next_open->prev_open = b->prev_open;
    b->prev_open = NULL;
}

/* Target's side is over: the outcome (in b) goes to the caller's loop. */
static void answer(bridge *b) {
    if (post(b->caller, finish, NULL, b, b->file, b->line) != 0)
        unref(b); /* the caller's loop is gone: its side is over too */
    unref(b);
}

/* Target's side: the task is over; its outcome goes back as a copy. */
static void task_over(ll_future *f, void *arg) {
    bridge *b = arg;
    open_remove(b);
    if (f->state == LL__FUT_CANCELLED) {
        b->state = LL__FUT_CANCELLED;
        b->v = ll_raise(LL_ECANCELLED, "%s", "");
    } else {
        b->state = LL__FUT_FINISHED;
        ll_value v = f->result;
        f->retrieved = true; /* the caller gets it */
        switch (v.kind) {
        case LL_NONE:
        case LL_INT:
        case LL_FLOAT:
        case LL_BOOL: b->v = v; break;
        case LL_STR:
        case LL_ERROR:
            b->v = v;
            b->text = strdup(v.kind == LL_STR ? v.s : ll_errmsg(v));
            if (!b->text)
                b->v = (ll_value){LL_ERROR, LL_ENOMEM, {.s = ""}};
            break;
        default:
            b->v = (ll_value){LL_ERROR, LL_ETYPE, {.s = ""}};
            b->text = strdup("the coroutine's result (a pointer or a list) cannot be "
                             "passed to another loop's thread");
        }
    }
    answer(b);
}

/* Sends an error as the outcome. */
static void answer_error(bridge *b, int code, const char *text) {
    b->state = LL__FUT_FINISHED;
    b->v = (ll_value){LL_ERROR, code, {.s = ""}};
    free(b->text);
    b->text = strdup(text);
    answer(b);
}

static void start(ll_loop *loop, void *arg) {
    bridge *b = arg;
    if (!loop) { /* the target loop closed before the request ran */
        answer_error(b, LL_ERUNTIME, "the loop the coroutine was sent to closed before running it");
        return;
    }
    ll_coro *c = ll__coro_new(b->fn, b->arg, b->fn_name, b->file, b->line);
    ll_task *t = c ? ll_create_task(c, NULL) : NULL;
    if (!t) {
        answer_error(b, LL_ENOMEM, "no memory for the task");
        return;
    }
    b->task = t;
    b->next_open = loop->bridges;
    if (b->next_open)
        b->next_open->prev_open = &b->next_open;
    b->prev_open = (bridge **)&loop->bridges;
    loop->bridges = b;
    if (b->cancel_asked)
        ll_task_cancel(t);
    ll_future_add_done_callback(&t->fut, task_over, b);
}

/* Target's side, at close: tasks still running will never finish; their
 * callers get an error instead of waiting for ever. */
static void bridges_close(ll_loop *loop) {
    while (loop->bridges) {
        bridge *b = loop->bridges;
        open_remove(b);
        answer_error(b, LL_ERUNTIME, "the loop running the coroutine closed before it finished");
    }
}

/* Target's side: the caller cancelled its future. */
static void cancel_there(ll_loop *loop, void *arg) {
    bridge *b = arg;
    if (loop) {
        if (b->task)
            ll_task_cancel(b->task);
        else
            b->cancel_asked = true;
    }
    unref(b);
}

/* Caller's side: its future is done; if cancelled, tell the target. */
static void fut_done(ll_future *f, void *arg) {
    bridge *b = arg;
    if (f->state != LL__FUT_CANCELLED)
        return;
    pthread_mutex_lock(&ll__remote_mu);
    b->refs++;
    pthread_mutex_unlock(&ll__remote_mu);
    if (post(b->target, cancel_there, NULL, b, b->file, b->line) != 0)
        unref(b);
}

ll_future *ll__run_coroutine_threadsafe(ll_coro *c, ll_loop *target, const char *file, int line) {
    ll_loop *caller = ll__running_loop;
    if (!c || c->magic != LL__MAGIC_CORO) {
        ll__misuse(caller, file, line,
                   "TypeError: ll_run_coroutine_threadsafe() needs a coroutine made by ll_coro()");
        return NULL;
    }
    if (!caller) {
        ll__misuse(NULL, file, line,
                   "RuntimeError: ll_run_coroutine_threadsafe() needs a running event loop "
                   "to await the result in (call it from a coroutine)");
        ll__coro_free(c);
        return NULL;
    }
    bridge *b = calloc(1, sizeof *b);
    ll_future *fut = b ? ll__future_new(file, line) : NULL;
    if (!fut) {
        free(b);
        ll__coro_free(c);
        return NULL;
    }
    *b = (bridge){.refs = 2,
                  .caller = caller,
                  .target = target,
                  .fut = fut,
                  .fn = c->fn,
                  .arg = c->arg,
                  .fn_name = c->fn_name,
                  .file = file,
                  .line = line};
    ll__coro_take(caller, c);
    ll__inbox_expect(caller, +1);
    if (post(target, start, NULL, b, file, line) != 0) {
        ll__inbox_expect(caller, -1);
        ll__misuse(caller, file, line,
                   "RuntimeError: ll_run_coroutine_threadsafe() to a %s event loop",
                   target ? "closed" : "NULL");
        ll__future_complete(fut, LL__FUT_FINISHED,
                            ll_raise(LL_ERUNTIME, "the target event loop is closed"));
        fut->retrieved = true;
        free(b);
        return fut;
    }
    ll_future_add_done_callback(fut, fut_done, b);
    return fut;
}

/* ---- a loop in a thread of its own --------------------------------------------- */

typedef struct ll__loopthread {
    pthread_t thread;
    sem_t ready;
    ll_loop_opts opts;
    ll_loop *loop;
    int rc;
} loopthread;

static void *loop_thread(void *arg) {
    loopthread *lt = arg;
    ll_loop *loop = ll_loop_new(&lt->opts);
    lt->loop = loop;
    if (loop)
        loop->thread = lt;
    sem_post(&lt->ready);
    if (!loop)
        return NULL;
    ll_loop_run_forever(loop);
    lt->rc = ll_loop_close(loop);
    ll__thread_release();
    return NULL;
}

ll_loop *ll_loop_thread_start(const ll_loop_opts *opts) {
    loopthread *lt = calloc(1, sizeof *lt);
    if (!lt)
        return NULL;
    if (opts)
        lt->opts = *opts;
    /* Started from a loop: the new one keeps that loop's clock. */
    ll_loop *from = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (lt->opts.clock == LL_CLOCK_DEFAULT && from)
        lt->opts.clock = from->real ? LL_CLOCK_REAL : LL_CLOCK_VIRTUAL;
    sem_init(&lt->ready, 0, 0);
    if (pthread_create(&lt->thread, NULL, loop_thread, lt) != 0) {
        sem_destroy(&lt->ready);
        free(lt);
        return NULL;
    }
    while (sem_wait(&lt->ready) != 0)
        ;
    sem_destroy(&lt->ready);
    ll_loop *loop = lt->loop;
    if (!loop) {
        pthread_join(lt->thread, NULL);
        free(lt);
    }
    return loop;
}

int ll_loop_thread_stop(ll_loop *loop) {
    pthread_mutex_lock(&ll__remote_mu);
    loopthread *lt = loop && !loop->closed ? loop->thread : NULL;
    if (lt)
        loop->thread = NULL; /* stopped once */
    pthread_mutex_unlock(&ll__remote_mu);
    if (!lt) {
        ll__misuse(ll__running_loop, NULL, 0,
                   "RuntimeError: ll_loop_thread_stop() needs a loop made by "
                   "ll_loop_thread_start() that is still running");
        return 1;
    }
    post(loop, NULL, ll_loop_stop_cb, loop, NULL, 0);
    pthread_join(lt->thread, NULL);
    int rc = lt->rc;
    free(lt);
    return rc;
}
