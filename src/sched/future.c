/* future.c - futures: a result that arrives later, and the callbacks waiting
 * for it.  Completing a future never runs its callbacks inline: they are
 * queued on the ready queue in registration order (R6), which is why a task
 * awaiting a future resumes one trip through the queue after completion. */
#include "internal.h"
#include "../core/grow.h"

#include <stdlib.h>
#include <string.h>

/* The task wake-up callback lives in task.c; futures only need to know it to
 * label it in the trace. */
void ll__task_wakeup(ll_loop *loop, const ll__ready *e);

void ll__future_init(ll_future *f, ll_loop *loop, uint32_t magic, ll__fut_kind kind, uint32_t id,
                     const char *file, int line) {
    memset(f, 0, sizeof *f);
    f->magic = magic;
    f->id = id;
    f->loop = loop;
    f->kind = (uint8_t)kind;
    f->file = file;
    f->line = line;
}

void ll__future_free_cbs(ll_future *f) {
    free(f->cbs);
    f->cbs = NULL;
    f->ncb = f->cbcap = 0;
}

/* Why a task awaiting f is ready again, as its TASK_READY event says.  A
 * sleep cancelled under its task (task.cancel() on a sleeping task) wakes it
 * because it was cancelled, not because the sleep ended: as CPython, whose
 * task is woken by the cancelled sleep future. */
static uint16_t wake_reason(const ll_future *f) {
    return f->state == LL__FUT_CANCELLED ? LL_REASON_CANCELLED
           : f->kind == LL__FK_SLEEP     ? LL_REASON_SLEEP_DONE
           : f->kind == LL__FK_IO        ? LL_REASON_IO
           : f->magic == LL__MAGIC_TASK  ? LL_REASON_TASK_DONE
                                         : LL_REASON_FUTURE_DONE;
}

/* Why any other done callback was queued. */
static uint16_t queue_reason(const ll__donecb *cb) {
    return cb->user                ? LL_REASON_DONE_CALLBACK
           : cb->fn == ll__stop_cb ? LL_REASON_STOP
                                   : LL_REASON_GATHER;
}

static void queue_cb(ll_future *f, const ll__donecb *cb) {
    ll_loop *loop = f->loop;
    ll__ready_push(loop, &(ll__ready){cb->fn, f, cb->arg, cb->user, cb->tid, f->id});
    if (cb->fn == ll__task_wakeup) {
        ll_task *t = cb->arg;
        t->state = LL__TASK_READY;
        LL__REC_EV(loop, TASK_READY, t->fut.id, .sub = wake_reason(f), .obj = f->id,
                   .aux = (uint32_t)loop->ready.len - 1);
    } else {
        LL__REC_EV(loop, CB_QUEUED, cb->tid, .obj = f->id, .sub = queue_reason(cb),
                   .aux = (uint32_t)loop->ready.len - 1);
    }
}

void ll__future_complete(ll_future *f, ll__fut_state state, ll_value v) {
    ll_loop *loop = f->loop;
    f->state = (uint8_t)state;
    f->result = v;
    if (LL__REC(loop) && f->kind != LL__FK_TASK && f->kind != LL__FK_SLEEP &&
        f->kind != LL__FK_IO) {
        /* Only when recording: making the CancelledError costs a message. */
        ll_value shown = state == LL__FUT_CANCELLED ? ll_raise(LL_ECANCELLED, "%s", "") : v;
        LL__EV(loop, FUT_DONE, ll__cur_tid(loop), .obj = f->id,
               .sub = state == LL__FUT_CANCELLED ? 2
                      : ll_failed(v)             ? 1
                                                 : 0,
               .str = ll__repr_str(loop, shown));
    }
    if (f->ncb == 0)
        return;
    /* Copy first: a callback run later may add callbacks to other futures,
     * but never to this one before these are queued. */
    uint32_t n = f->ncb;
    f->ncb = 0;
    queue_cb(f, &f->cb0);
    for (uint32_t i = 1; i < n; i++)
        queue_cb(f, &f->cbs[i - 1]);
}

int ll__future_add_cb(ll_future *f, ll__ready_fn fn, void *arg, ll_done_fn user, uint32_t tid) {
    ll__donecb cb = {fn, arg, user, tid};
    if (f->state != LL__FUT_PENDING) {
        queue_cb(f, &cb);
        return 0;
    }
    if (f->ncb == 0) {
        f->cb0 = cb;
        f->ncb = 1;
        return 0;
    }
    LL__GROW(f->cbs, f->cbcap, f->ncb, 4, return LL_ENOMEM);
    f->cbs[f->ncb - 1] = cb;
    f->ncb++;
    return 0;
}

ll_value ll__future_outcome(ll_future *f) {
    if (f->state == LL__FUT_CANCELLED) {
        ll_value v = {LL_ERROR, LL_ECANCELLED, {.s = ""}};
        return v;
    }
    if (ll_failed(f->result))
        f->retrieved = true;
    return f->result;
}

/* Checks that a pointer is a live future or task. */
static ll_future *check_future(void *p, const char *what, const char *file, int line) {
    ll_future *f = p;
    if (!f) {
        ll__misuse(ll__running_loop, file, line, "TypeError: %s() on a NULL future", what);
        return NULL;
    }
    if (f->magic != LL__MAGIC_FUTURE && f->magic != LL__MAGIC_TASK) {
        ll__misuse(ll__running_loop, file, line,
                   "TypeError: %s() on something that is not a future", what);
        return NULL;
    }
    return f;
}

ll_future *ll__future_new(const char *file, int line) {
    ll_loop *loop = ll_get_event_loop();
    if (!loop)
        return NULL;
    if (loop->closed) {
        ll__misuse(loop, file, line, "RuntimeError: Event loop is closed");
        return NULL;
    }
    ll_future *f = malloc(sizeof *f);
    if (!f)
        return NULL;
    ll__future_init(f, loop, LL__MAGIC_FUTURE, LL__FK_PLAIN, ll__obj_id(loop), file, line);
    f->next_owned = loop->owned_futs;
    loop->owned_futs = f;
    LL__REC_EV(loop, FUT_NEW, ll__cur_tid(loop), .obj = f->id, .sub = LL__FK_PLAIN, .file = file,
               .line = line);
    return f;
}

static ll_value set_common(ll_future *f, const char *what, const char *file, int line) {
    if (!check_future(f, what, file, line))
        return ll_raise(LL_ETYPE, "%s() needs a future", what);
    if (f->magic == LL__MAGIC_TASK || f->kind == LL__FK_GATHER) {
        ll__misuse(f->loop, file, line,
                   "RuntimeError: %s() on a %s: only its own coroutine finishes it", what,
                   f->magic == LL__MAGIC_TASK ? "task" : "gather");
        return ll_raise(LL_ERUNTIME, "%s() on a %s", what,
                        f->magic == LL__MAGIC_TASK ? "task" : "gather");
    }
    if (f->state != LL__FUT_PENDING) {
        ll__misuse(f->loop, file, line,
                   "InvalidStateError: %s() on future #%u (created at %s:%d), which is "
                   "already %s",
                   what, f->id, f->file ? f->file : "?", f->line,
                   f->state == LL__FUT_CANCELLED ? "cancelled" : "done");
        return ll_raise(LL_EINVALID_STATE, "invalid state");
    }
    return ll_none();
}

ll_value ll__future_set_result(ll_future *f, ll_value v, const char *file, int line) {
    ll_value r = set_common(f, "set_result", file, line);
    if (ll_failed(r))
        return r;
    if (ll_failed(v)) {
        ll__misuse(f->loop, file, line,
                   "TypeError: set_result() was given an error value; use set_exception()");
        return ll_raise(LL_ETYPE, "set_result() was given an error value");
    }
    ll__future_complete(f, LL__FUT_FINISHED, v);
    return ll_none();
}

ll_value ll__future_set_exception(ll_future *f, ll_value err, const char *file, int line) {
    ll_value r = set_common(f, "set_exception", file, line);
    if (ll_failed(r))
        return r;
    if (!ll_failed(err)) {
        ll__misuse(f->loop, file, line,
                   "TypeError: set_exception() needs an error value made by ll_raise()");
        return ll_raise(LL_ETYPE, "set_exception() needs an error value");
    }
    ll__future_complete(f, LL__FUT_FINISHED, err);
    return ll_none();
}

bool ll__cancel_any(ll_future *f, const char *file, int line) {
    if (f->magic == LL__MAGIC_TASK)
        return ll__task_cancel((ll_task *)f, file, line);
    if (f->kind == LL__FK_GATHER)
        return ll__gather_cancel(f, file, line);
    if (f->state != LL__FUT_PENDING)
        return false;
    if (f->kind == LL__FK_JOB)
        ll__job_cancel(f);
    ll__future_complete(f, LL__FUT_CANCELLED, ll_none());
    return true;
}

bool ll__future_cancel(ll_future *f, const char *file, int line) {
    if (!check_future(f, "cancel", file, line))
        return false;
    return ll__cancel_any(f, file, line);
}

bool ll_future_done(const ll_future *f) {
    return f && f->state != LL__FUT_PENDING;
}
bool ll_future_cancelled(const ll_future *f) {
    return f && f->state == LL__FUT_CANCELLED;
}

ll_value ll_future_result(ll_future *f) {
    if (!check_future(f, "result", NULL, 0))
        return ll_raise(LL_ETYPE, "not a future");
    if (f->state == LL__FUT_PENDING)
        return ll_raise(LL_EINVALID_STATE, "Result is not set.");
    return ll__future_outcome(f);
}

/* A user's done callback, called through the ready queue. */
static void run_user_cb(ll_loop *loop, const ll__ready *e) {
    LL__REC_EV(loop, CB_RUN, e->tid, .obj = e->oid, .sub = LL_REASON_DONE_CALLBACK);
    e->user((ll_future *)e->a, e->b);
}

int ll_future_add_done_callback(ll_future *f, ll_done_fn fn, void *arg) {
    if (!check_future(f, "add_done_callback", NULL, 0))
        return LL_ETYPE;
    if (!fn)
        return LL_ETYPE;
    return ll__future_add_cb(f, run_user_cb, arg, fn, 0);
}

size_t ll_future_remove_done_callback(ll_future *f, ll_done_fn fn, void *arg) {
    if (!check_future(f, "remove_done_callback", NULL, 0) || f->ncb == 0)
        return 0;
    /* Gather all registrations into one array, filter, and put them back. */
    size_t removed = 0, kept = 0;
    uint32_t n = f->ncb;
    ll__donecb *all = malloc(n * sizeof *all);
    if (!all)
        return 0;
    all[0] = f->cb0;
    for (uint32_t i = 1; i < n; i++)
        all[i] = f->cbs[i - 1];
    for (uint32_t i = 0; i < n; i++) {
        if (all[i].fn == run_user_cb && all[i].user == fn && all[i].arg == arg)
            removed++;
        else
            all[kept++] = all[i];
    }
    f->ncb = 0;
    for (size_t i = 0; i < kept; i++) {
        if (f->ncb == 0)
            f->cb0 = all[i];
        else
            f->cbs[f->ncb - 1] = all[i];
        f->ncb++;
    }
    free(all);
    return removed;
}

ll_future *ll_task_future(ll_task *t) {
    return t ? &t->fut : NULL;
}
