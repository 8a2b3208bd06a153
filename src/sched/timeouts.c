/* timeouts.c - wait_for, timeout scopes and shield, as CPython 3.11's
 * asyncio/tasks.py (wait_for, _cancel_and_wait, shield) and
 * asyncio/timeouts.py do them, future for future, so the order of events
 * is CPython's (rules R9 and R10). */
#include "internal.h"
#include "../core/grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A future that lives in the waiting call's frame, released by a done
 * callback or a timer (CPython's `waiter` and _release_waiter). */
static void waiter_init(ll_loop *loop, ll_future *w, const char *file, int line) {
    ll__future_init(w, loop, LL__MAGIC_FUTURE, LL__FK_PLAIN, ll__obj_id(loop), file, line);
}

static void release(ll_future *w) {
    if (w->state == LL__FUT_PENDING)
        ll__future_complete(w, LL__FUT_FINISHED, ll_none());
}

static void release_on_done(ll_future *fut, void *w) {
    (void)fut;
    release(w);
}

static void release_on_timer(void *w) {
    release(w);
}

static void waiter_done(ll_future *w) {
    ll__future_free_cbs(w);
    w->magic = 0;
}

/* _cancel_and_wait: cancel fut and wait until it has finished. */
static ll_value cancel_and_wait(ll_loop *loop, ll_future *fut, const char *file, int line) {
    ll_future wlocal, *w = ll__frame_obj(&wlocal, sizeof wlocal);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait");
    waiter_init(loop, w, file, line);
    ll_future_add_done_callback(fut, release_on_done, w);
    ll__cancel_any(fut, file, line);
    ll_value v = ll__wait_future(w, LL_WAIT_WAIT_FOR, "ll_wait_for()", file, line);
    ll_future_remove_done_callback(fut, release_on_done, w);
    waiter_done(w);
    ll__frame_obj_free(w, &wlocal);
    return v;
}

static ll_value timeout_error(void) {
    return ll_raise(LL_ETIMEOUT, "%s", "");
}

ll_value ll__wait_for(void *aw, double timeout, const char *file, int line) {
    ll_task *t = ll__current_task();
    ll_loop *loop = ll_get_running_loop();
    if (!t || !loop) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: ll_wait_for() outside a task: only a coroutine running "
                   "under ll_run() (or a task) can await");
        return ll_raise(LL_ERUNTIME, "wait_for outside a task");
    }
    if (isnan(timeout)) {
        ll__misuse(loop, file, line, "ValueError: ll_wait_for() timeout is NaN");
        return ll_raise(LL_EVALUE, "timeout is NaN");
    }
    if (isinf(timeout) && timeout > 0) /* timeout=None */
        return ll__await(aw, file, line);
    ll_future *fut = ll__ensure_future(loop, aw, file, line);
    if (!fut)
        return ll_raise(LL_ETYPE, "ll_wait_for() needs a coroutine, task or future");
    if (timeout <= 0) {
        if (fut->state != LL__FUT_PENDING)
            return ll__future_outcome(fut);
        ll_value c = cancel_and_wait(loop, fut, file, line);
        if (ll_failed(c))
            return c;
        ll_value r = ll__future_outcome(fut);
        return ll_is_cancelled(r) ? timeout_error() : r;
    }
    ll_future wlocal, *w = ll__frame_obj(&wlocal, sizeof wlocal);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait");
    waiter_init(loop, w, file, line);
    ll_handle *h = ll__call_at(loop, timeout, 1, release_on_timer, w, file, line);
    ll_future_add_done_callback(fut, release_on_done, w);
    ll_value v = ll__wait_future(w, LL_WAIT_WAIT_FOR, "ll_wait_for()", file, line);
    ll_value result;
    if (ll_is_cancelled(v)) {
        /* This task was cancelled while it waited. */
        if (fut->state != LL__FUT_PENDING) {
            result = ll__future_outcome(fut);
        } else {
            ll_future_remove_done_callback(fut, release_on_done, w);
            cancel_and_wait(loop, fut, file, line);
            result = v;
        }
    } else if (fut->state != LL__FUT_PENDING) {
        result = ll__future_outcome(fut);
    } else {
        /* Time is up: cancel the inner work, wait for it to finish. */
        ll_future_remove_done_callback(fut, release_on_done, w);
        ll_value c = cancel_and_wait(loop, fut, file, line);
        if (ll_failed(c)) {
            result = c;
        } else {
            ll_value r = ll__future_outcome(fut);
            result = ll_is_cancelled(r) ? timeout_error() : r;
        }
    }
    if (h)
        ll_handle_cancel(h);
    waiter_done(w);
    ll__frame_obj_free(w, &wlocal);
    return result;
}

/* ---- scope stacks ---------------------------------------------------------------------
 * Python's `async with` cannot be left without its __aexit__; the C pairs
 * (ll_timeout_enter / ll_timeout_exit ...) can, by an early return.  Each
 * task keeps the scopes its coroutines entered, so that one left open is
 * reported the moment its coroutine returns, and closed then, instead of
 * firing later into unrelated code. */

static const struct {
    const char *what; /* for the messages */
    const char *exit; /* the call that leaves it */
    const char *form; /* the body-taking form that cannot leak */
} scope_info[] = {
    [LL__SCOPE_TIMEOUT] = {"asyncio.timeout", "ll_timeout_exit", "ll_timeout(delay, coro)"},
    [LL__SCOPE_TIMEOUT_AT] = {"asyncio.timeout_at", "ll_timeout_exit", "ll_timeout_at(when, coro)"},
    [LL__SCOPE_TASKGROUP] = {"asyncio.TaskGroup", "ll_taskgroup_exit", "ll_taskgroup(coro)"},
    [LL__SCOPE_LOCK] = {"`async with` of a Lock", "ll_lock_exit", "ll_with_lock(lock, coro)"},
    [LL__SCOPE_SEMAPHORE] = {"`async with` of a Semaphore", "ll_semaphore_exit",
                             "ll_with_semaphore(sem, coro)"},
    [LL__SCOPE_CONDITION] = {"`async with` of a Condition", "ll_condition_exit",
                             "ll_with_condition(cond, coro)"},
};

bool ll__scope_push(ll_task *t, ll__scope_kind kind, void *obj, const char *file, int line) {
    LL__GROW(t->scopes, t->scopecap, t->nscopes + 1, 4,
             ll__misuse(t->fut.loop, file, line, "MemoryError: no memory to enter a scope");
             return false);
    t->scopes[t->nscopes++] = (ll__scope){kind, obj, (void *)t->agen, file, line};
    return true;
}

/* An async generator suspended inside a scope leaves it on the task's
 * stack while the consumer goes on: each only sees its own scopes. */
static inline bool mine(const ll_task *t, const ll__scope *sc) {
    return sc->owner == (void *)t->agen;
}

static void scope_remove(ll_task *t, uint32_t i) {
    memmove(&t->scopes[i], &t->scopes[i + 1], (t->nscopes - i - 1) * sizeof *t->scopes);
    t->nscopes--;
}

bool ll__scope_open(const ll_task *t, const void *obj) {
    for (uint32_t i = t ? t->nscopes : 0; i-- > 0;)
        if (t->scopes[i].obj == obj)
            return true;
    return false;
}

bool ll__scope_pop(ll_task *t, ll__scope_kind kind, void *obj, const char *what, const char *file,
                   int line) {
    (void)kind;
    uint32_t i = t->nscopes;
    while (i > 0 && !(t->scopes[i - 1].obj == obj && mine(t, &t->scopes[i - 1])))
        i--;
    if (i == 0)
        return false;
    ll__scope outer = t->scopes[i - 1];
    /* Scopes nest: the ones entered inside this one must have been left
     * first.  Say so, and close them now, innermost first. */
    for (uint32_t j = t->nscopes; j-- > i;) {
        if (!mine(t, &t->scopes[j]))
            continue;
        ll__scope in = t->scopes[j];
        scope_remove(t, j);
        ll__warn(t->fut.loop, LL_WARN_MISUSE, file, line,
                 "RuntimeError: %s() leaves the %s entered at %s:%d while the %s entered at "
                 "%s:%d inside it is still open: scopes are left in the reverse order they "
                 "were entered (call %s first)",
                 what, scope_info[outer.kind].what, outer.file, outer.line,
                 scope_info[in.kind].what, in.file, in.line, scope_info[in.kind].exit);
        ll__scope_close(t, &in, file, line);
    }
    scope_remove(t, i - 1);
    return true;
}

void ll__scopes_leaked(ll_task *t, uint32_t base, const char *coro_name, ll_value v) {
    /* The return site is known when the coroutine left through LL_TRY with
     * the error it returns. */
    bool known = t->try_file && ll_failed(v) && v.err == t->try_v.err && v.s == t->try_v.s;
    for (uint32_t j = t->nscopes; j-- > base;) {
        if (j >= t->nscopes || !mine(t, &t->scopes[j]))
            continue;
        ll__scope sc = t->scopes[j];
        scope_remove(t, j);
        const char *file = known ? t->try_file : sc.file;
        int line = known ? t->try_line : sc.line;
        ll__warn(t->fut.loop, LL_WARN_MISUSE, file, line,
                 "coroutine '%s' returned%s with the %s entered at %s:%d still open: every "
                 "path must reach %s, or use %s",
                 coro_name, known ? "" : " (by a plain return)", scope_info[sc.kind].what, sc.file,
                 sc.line, scope_info[sc.kind].exit, scope_info[sc.kind].form);
        ll__scope_close(t, &sc, file, line);
    }
}

static void timeout_close(ll_timeout *to);
static void taskgroup_close(ll_taskgroup *g);

void ll__scope_close(ll_task *t, const ll__scope *sc, const char *file, int line) {
    (void)t;
    switch (sc->kind) {
    case LL__SCOPE_TIMEOUT:
    case LL__SCOPE_TIMEOUT_AT: timeout_close(sc->obj); break;
    case LL__SCOPE_TASKGROUP: taskgroup_close(sc->obj); break;
    default: ll__sync_scope_close(sc, file, line); break;
    }
}

/* ---- timeout scopes ---------------------------------------------------------------- */

enum { T_CREATED, T_ENTERED, T_EXPIRING, T_EXPIRED, T_EXITED, T_CLOSED };

struct ll_timeout {
    int state;
    ll_task *task;
    uint32_t cancelling;
    ll_handle *handle;
    const char *file; /* where it was entered */
    int line;
};

static void on_timeout(void *arg) {
    ll_timeout *to = arg;
    ll__task_cancel(to->task, NULL, 0);
    to->state = T_EXPIRING;
    to->handle = NULL;
}

static void reschedule(ll_timeout *to, double when, const char *file, int line) {
    ll_loop *loop = to->task->fut.loop;
    if (to->handle)
        ll_handle_cancel(to->handle);
    to->handle = NULL;
    if (isinf(when) && when > 0)
        return; /* None: no deadline */
    if (when <= ll_loop_time(loop))
        to->handle = ll__call_at(loop, -1.0, 0, on_timeout, to, file, line);
    else
        to->handle = ll__call_at(loop, when, 2, on_timeout, to, file, line);
}

ll_timeout *ll__timeout_enter(double when, bool absolute, const char *file, int line) {
    ll_task *t = ll__current_task();
    if (!t) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: Timeout should be used inside a task");
        return NULL;
    }
    if (isnan(when)) {
        ll__misuse(t->fut.loop, file, line, "ValueError: timeout is NaN");
        return NULL;
    }
    ll_timeout *to = ll__arena_alloc(t->fut.loop, sizeof *to);
    if (!to)
        return NULL;
    memset(to, 0, sizeof *to);
    if (!ll__scope_push(t, absolute ? LL__SCOPE_TIMEOUT_AT : LL__SCOPE_TIMEOUT, to, file, line))
        return NULL;
    to->state = T_ENTERED;
    to->task = t;
    to->cancelling = t->num_cancels;
    to->file = file;
    to->line = line;
    reschedule(to, absolute ? when : ll_loop_time(t->fut.loop) + when, file, line);
    return to;
}

/* The coroutine that entered it returned without leaving it: disarm it, and
 * take back the cancellation it made, if it made one. */
static void timeout_close(ll_timeout *to) {
    if (to->handle) {
        ll_handle_cancel(to->handle);
        to->handle = NULL;
    }
    if (to->state == T_EXPIRING)
        ll_task_uncancel(to->task);
    to->state = T_CLOSED;
}

ll_value ll__timeout_reschedule(ll_timeout *to, double when, const char *file, int line) {
    if (!to || to->state != T_ENTERED) {
        ll__misuse(ll__running_loop, file, line, "RuntimeError: Cannot change state of %s Timeout",
                   !to                      ? "a NULL"
                   : to->state == T_CREATED ? "an unentered"
                   : to->state == T_CLOSED  ? "a closed (left open)"
                                            : "an expiring or finished");
        return ll_raise(LL_ERUNTIME, "Cannot change state of Timeout");
    }
    reschedule(to, when, file, line);
    return ll_none();
}

bool ll_timeout_expired(const ll_timeout *to) {
    return to && (to->state == T_EXPIRING || to->state == T_EXPIRED);
}

double ll_timeout_when(const ll_timeout *to) {
    if (!to || !to->handle)
        return INFINITY;
    return ll__handle_when(to->handle);
}

ll_value ll__timeout_exit(ll_timeout *to, ll_value body, const char *file, int line) {
    if (to && to->state == T_CLOSED) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_timeout_exit() on the timeout entered at %s:%d, which was "
                   "closed already (left open when its coroutine returned, or when a scope "
                   "around it was left)",
                   to->file, to->line);
        return body;
    }
    if (!to || (to->state != T_ENTERED && to->state != T_EXPIRING)) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_timeout_exit() on a timeout that is not entered");
        return body;
    }
    ll_task *t = ll__current_task();
    if (t != to->task) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_timeout_exit() in %s%s%s for the timeout entered in task "
                   "'%s' at %s:%d: a scope is left by the task that entered it",
                   t ? "task '" : "no task", t ? t->name : "", t ? "'" : "", to->task->name,
                   to->file, to->line);
        return body;
    }
    ll__scope_pop(t, LL__SCOPE_TIMEOUT, to, "ll_timeout_exit", file, line);
    if (to->handle) {
        ll_handle_cancel(to->handle);
        to->handle = NULL;
    }
    if (to->state == T_EXPIRING) {
        to->state = T_EXPIRED;
        if (ll_task_uncancel(to->task) <= to->cancelling && ll_is_cancelled(body))
            return timeout_error(); /* no other cancel request: this one is ours */
    } else {
        to->state = T_EXITED;
    }
    return body;
}

/* `async with asyncio.timeout(delay): await aw` in one call: the scope is
 * left whatever aw does. */
ll_value ll__timeout_run(double when, bool absolute, void *aw, const char *file, int line) {
    ll__coro_keep(aw);
    ll_timeout *to = ll__timeout_enter(when, absolute, file, line);
    if (!to) {
        ll__coro_free(aw); /* never started: Python would not have made it */
        return ll_raise(isnan(when) ? LL_EVALUE : LL_ERUNTIME, "%s",
                        isnan(when) ? "timeout is NaN" : "Timeout should be used inside a task");
    }
    ll_value v = ll__await(aw, file, line);
    return ll__timeout_exit(to, v, file, line);
}

/* ---- shield ------------------------------------------------------------------------ */

static void inner_done(ll_future *inner, void *arg) {
    ll_future *outer = arg;
    if (outer->state == LL__FUT_CANCELLED) {
        if (inner->state != LL__FUT_CANCELLED)
            inner->retrieved = true; /* inner.exception(): seen, no warning */
        return;
    }
    if (inner->state == LL__FUT_CANCELLED) {
        ll__cancel_any(outer, NULL, 0);
        return;
    }
    ll_value r = ll__future_outcome(inner);
    if (ll_failed(r))
        ll__future_set_exception(outer, r, NULL, 0);
    else
        ll__future_set_result(outer, r, NULL, 0);
}

static void outer_done(ll_future *outer, void *arg) {
    ll_future *inner = arg;
    if (inner->state == LL__FUT_PENDING)
        ll_future_remove_done_callback(inner, inner_done, outer);
}

ll_future *ll__shield(void *aw, const char *file, int line) {
    ll_loop *loop = ll_get_event_loop();
    ll_future *inner = ll__ensure_future(loop, aw, file, line);
    if (!inner)
        return NULL;
    if (inner->state != LL__FUT_PENDING)
        return inner;
    ll_future *outer = ll__future_new(file, line);
    if (!outer)
        return NULL;
    ll_future_add_done_callback(inner, inner_done, outer);
    ll_future_add_done_callback(outer, outer_done, inner);
    return outer;
}

/* ---- TaskGroup (asyncio/taskgroups.py, Python 3.11) ------------------------------ */

struct ll_taskgroup {
    ll_loop *loop;
    ll_task *parent;
    bool exiting, aborting, parent_cancel_requested;
    ll_task **tasks; /* every task made in the group, in creation order */
    bool *alive;     /* not yet reported done to the group */
    size_t ntasks, cap, nalive;
    ll_value *errors; /* failures of the children, in the order they came */
    size_t nerrors, errcap;
    ll_future *on_completed; /* exit's waiter while it waits */
    const char *file;        /* where it was entered */
    int line;
    bool closed; /* left open by its coroutine, closed then */
};

ll_taskgroup *ll__taskgroup_enter(const char *file, int line) {
    ll_task *t = ll__current_task();
    if (!t) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: TaskGroup cannot determine the parent task (use it inside "
                   "a task)");
        return NULL;
    }
    ll_taskgroup *g = ll__arena_alloc(t->fut.loop, sizeof *g);
    if (!g)
        return NULL;
    memset(g, 0, sizeof *g);
    if (!ll__scope_push(t, LL__SCOPE_TASKGROUP, g, file, line))
        return NULL;
    g->loop = t->fut.loop;
    g->parent = t;
    /* Its children's callbacks read the parent even after the group was
     * left (a group its body never exited): keep the record. */
    t->held = true;
    g->file = file;
    g->line = line;
    return g;
}

static void group_abort(ll_taskgroup *g) {
    g->aborting = true;
    for (size_t i = 0; i < g->ntasks; i++)
        if (g->alive[i] && !ll_task_done(g->tasks[i]))
            ll__task_cancel(g->tasks[i], NULL, 0);
}

/* Its coroutine returned without leaving it: the children are cancelled
 * (nobody will wait for them), and a failing child no longer cancels the
 * parent, which has moved on. */
static void taskgroup_close(ll_taskgroup *g) {
    group_abort(g);
    if (g->parent_cancel_requested)
        ll_task_uncancel(g->parent);
    g->exiting = true;
    g->closed = true;
}

ll_taskgroup *ll_taskgroup_current(void) {
    ll_task *t = ll__current_task();
    for (uint32_t i = t ? t->nscopes : 0; i-- > 0;)
        if (t->scopes[i].kind == LL__SCOPE_TASKGROUP && mine(t, &t->scopes[i]))
            return t->scopes[i].obj;
    return NULL;
}

static void group_task_done(ll_future *f, void *arg) {
    ll_taskgroup *g = arg;
    ll_task *task = (ll_task *)f;
    for (size_t i = 0; i < g->ntasks; i++) {
        if (g->tasks[i] == task && g->alive[i]) {
            g->alive[i] = false;
            g->nalive--;
            break;
        }
    }
    if (g->on_completed && g->nalive == 0 && g->on_completed->state == LL__FUT_PENDING)
        ll__future_complete(g->on_completed, LL__FUT_FINISHED, ll_bool(true));
    if (ll_task_cancelled(task))
        return;
    ll_value r = ll__future_outcome(f); /* task.exception(): retrieved */
    if (!ll_failed(r))
        return;
    if (g->nerrors == g->errcap) {
        size_t cap = g->errcap ? g->errcap * 2 : 4;
        ll_value *e = ll__arena_alloc(g->loop, cap * sizeof *e);
        if (!e)
            return;
        if (g->nerrors)
            memcpy(e, g->errors, g->nerrors * sizeof *e);
        g->errors = e;
        g->errcap = cap;
    }
    g->errors[g->nerrors++] = r;
    if (ll_task_done(g->parent)) {
        ll__warn(g->loop, LL_WARN_MISUSE, f->file, f->line,
                 "task '%s' has errored out but its parent task '%s' is already completed",
                 task->name, g->parent->name);
        return;
    }
    if (!g->aborting && !g->parent_cancel_requested) {
        group_abort(g);
        g->parent_cancel_requested = true;
        ll__task_cancel(g->parent, NULL, 0);
    }
}

ll_task *ll__taskgroup_create_task(ll_taskgroup *g, ll_coro *coro, const char *name,
                                   const char *file, int line) {
    const char *why = !g                         ? "a NULL TaskGroup"
                      : g->closed                ? "a TaskGroup closed after it was left open"
                      : g->exiting && !g->nalive ? "a finished TaskGroup"
                      : g->aborting              ? "a TaskGroup that is shutting down"
                                                 : NULL;
    if (why) {
        ll__misuse(g ? g->loop : ll__running_loop, file, line, "RuntimeError: create_task on %s",
                   why);
        ll__coro_free(coro);
        return NULL;
    }
    ll_task *t = ll__create_task(coro, name, NULL, file, line);
    if (!t)
        return NULL;
    if (g->ntasks == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        ll_task **ts = ll__arena_alloc(g->loop, cap * sizeof *ts);
        bool *al = ll__arena_alloc(g->loop, cap * sizeof *al);
        if (!ts || !al)
            return t;
        if (g->ntasks) {
            memcpy(ts, g->tasks, g->ntasks * sizeof *ts);
            memcpy(al, g->alive, g->ntasks * sizeof *al);
        }
        g->tasks = ts;
        g->alive = al;
        g->cap = cap;
    }
    g->tasks[g->ntasks] = t;
    g->alive[g->ntasks++] = true;
    g->nalive++;
    ll_future_add_done_callback(ll_task_future(t), group_task_done, g);
    return t;
}

ll_value ll__taskgroup_exit(ll_taskgroup *g, ll_value body, const char *file, int line) {
    if (!g) {
        ll__misuse(ll__running_loop, file, line, "RuntimeError: ll_taskgroup_exit(NULL)");
        return body;
    }
    ll_task *t = ll__current_task();
    if (g->closed || (g->exiting && !ll__scope_open(t, g))) {
        ll__misuse(g->loop, file, line,
                   "RuntimeError: ll_taskgroup_exit() on the TaskGroup entered at %s:%d, %s",
                   g->file, g->line,
                   g->closed ? "which was closed already (left open when its coroutine "
                               "returned, or when a scope around it was left)"
                             : "which was already left");
        return body;
    }
    if (t != g->parent) {
        ll__misuse(g->loop, file, line,
                   "RuntimeError: ll_taskgroup_exit() in %s%s%s for the TaskGroup entered in "
                   "task '%s' at %s:%d: a scope is left by the task that entered it",
                   t ? "task '" : "no task", t ? t->name : "", t ? "'" : "", g->parent->name,
                   g->file, g->line);
        return body;
    }
    ll__scope_pop(t, LL__SCOPE_TASKGROUP, g, "ll_taskgroup_exit", file, line);
    g->exiting = true;
    bool body_failed = ll_failed(body), body_cancelled = ll_is_cancelled(body);
    bool propagate_cancel = body_cancelled;
    bool requested_before = g->parent_cancel_requested;
    if (g->parent_cancel_requested && ll_task_uncancel(g->parent) == 0)
        propagate_cancel = false;
    if (body_failed && !g->aborting)
        group_abort(g);
    while (g->nalive) {
        ll_future wlocal, *w = ll__frame_obj(&wlocal, sizeof wlocal);
        if (!w) {
            ll_raise(LL_ENOMEM, "no memory to wait for a task group");
            break;
        }
        ll__future_init(w, g->loop, LL__MAGIC_FUTURE, LL__FK_PLAIN, ll__obj_id(g->loop), file,
                        line);
        g->on_completed = w;
        ll_value v = ll__wait_future(w, LL_WAIT_TASKGROUP, "ll_taskgroup_exit()", file, line);
        g->on_completed = NULL;
        ll__future_free_cbs(w);
        w->magic = 0;
        ll__frame_obj_free(w, &wlocal);
        if (ll_is_cancelled(v) && !g->aborting) {
            propagate_cancel = true;
            group_abort(g);
        }
    }
    /* A child that failed while we waited cancelled the parent too, and
     * that request stays: Python 3.11 uncancels only before the wait, so
     * cancelling() is left at 1 (3.12 takes it back here; the oracle is
     * 3.11). */
    if (g->parent_cancel_requested && !requested_before)
        g->parent->cancels_kept++;
    if (propagate_cancel && !g->nerrors)
        return ll_raise(LL_ECANCELLED, "%s", "");
    if (body_failed && !body_cancelled) {
        if (g->nerrors == g->errcap) {
            size_t cap = g->errcap ? g->errcap * 2 : 4;
            ll_value *e = ll__arena_alloc(g->loop, cap * sizeof *e);
            if (e) {
                if (g->nerrors)
                    memcpy(e, g->errors, g->nerrors * sizeof *e);
                g->errors = e;
                g->errcap = cap;
            }
        }
        if (g->nerrors < g->errcap)
            g->errors[g->nerrors++] = body;
    }
    if (g->nerrors)
        return ll_raise(LL_EEXCEPTION_GROUP,
                        "unhandled errors in a TaskGroup (%zu sub-exception%s)", g->nerrors,
                        g->nerrors == 1 ? "" : "s");
    return body;
}

/* `async with asyncio.TaskGroup() as tg: await body` in one call; the body
 * finds its group with ll_taskgroup_current(). */
ll_value ll__taskgroup_run(void *aw, const char *file, int line) {
    ll__coro_keep(aw);
    ll_taskgroup *g = ll__taskgroup_enter(file, line);
    if (!g) {
        ll__coro_free(aw);
        return ll_raise(LL_ERUNTIME, "TaskGroup cannot determine the parent task");
    }
    ll_value v = ll__await(aw, file, line);
    return ll__taskgroup_exit(g, v, file, line);
}

size_t ll_taskgroup_nerrors(const ll_taskgroup *g) {
    return g ? g->nerrors : 0;
}

ll_value ll_taskgroup_error(const ll_taskgroup *g, size_t i) {
    return g && i < g->nerrors ? g->errors[i] : ll_none();
}

/* ---- wait (asyncio.wait, 3.11) ------------------------------------------------------ */

typedef struct wait_state {
    ll_future waiter;
    size_t counter;
    int return_when;
    ll_handle *timeout;
} wait_state;

static void wait_on_completion(ll_future *f, void *arg) {
    wait_state *w = arg;
    w->counter--;
    bool failed = f->state == LL__FUT_FINISHED && ll_failed(f->result);
    if (w->counter == 0 || w->return_when == LL_FIRST_COMPLETED ||
        (w->return_when == LL_FIRST_EXCEPTION && failed)) {
        if (w->timeout)
            ll_handle_cancel(w->timeout);
        release(&w->waiter);
    }
}

ll_value ll__wait(void *const *aws, size_t n, double timeout, int return_when, bool *done,
                  const char *file, int line) {
    ll_loop *loop = ll_get_running_loop();
    if (!loop || !ll__current_task()) {
        ll__misuse(ll__current_loop, file, line, "RuntimeError: ll_wait() outside a task");
        return ll_raise(LL_ERUNTIME, "ll_wait() outside a task");
    }
    if (n == 0) {
        ll__misuse(loop, file, line, "ValueError: Set of Tasks/Futures is empty.");
        return ll_raise(LL_EVALUE, "Set of Tasks/Futures is empty.");
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t magic = aws[i] ? *(const uint32_t *)aws[i] : 0;
        if (magic != LL__MAGIC_TASK && magic != LL__MAGIC_FUTURE) {
            ll__misuse(loop, file, line,
                       "TypeError: ll_wait() takes tasks and futures (argument %zu is %s); "
                       "wrap coroutines in tasks first",
                       i, magic == LL__MAGIC_CORO ? "a coroutine" : "something else");
            return ll_raise(LL_ETYPE, "ll_wait() takes tasks and futures");
        }
    }
    wait_state wlocal, *w = ll__frame_obj(&wlocal, sizeof wlocal);
    if (!w)
        return ll_raise(LL_ENOMEM, "no memory to wait");
    *w = (wait_state){.counter = n, .return_when = return_when};
    waiter_init(loop, &w->waiter, file, line);
    if (!(isinf(timeout) && timeout > 0))
        w->timeout = ll__call_at(loop, timeout < 0 ? 0 : timeout, 1, release_on_timer, &w->waiter,
                                 file, line);
    for (size_t i = 0; i < n; i++)
        ll_future_add_done_callback(aws[i], wait_on_completion, w);
    ll_value v = ll__wait_future(&w->waiter, LL_WAIT_WAIT, "ll_wait()", file, line);
    if (w->timeout)
        ll_handle_cancel(w->timeout);
    for (size_t i = 0; i < n; i++)
        ll_future_remove_done_callback(aws[i], wait_on_completion, w);
    waiter_done(&w->waiter);
    ll__frame_obj_free(w, &wlocal);
    for (size_t i = 0; done && i < n; i++)
        done[i] = ((ll_future *)aws[i])->state != LL__FUT_PENDING;
    return ll_failed(v) ? v : ll_none();
}

/* ---- as_completed (3.11) ------------------------------------------------------------ */

struct ll_as_completed {
    ll_loop *loop;
    ll_queue *done;
    ll_future **todo; /* futures not finished yet (NULL when gone) */
    size_t n, ntodo, left_to_yield;
    ll_handle *timeout;
};

static void ac_on_completion(ll_future *f, void *arg) {
    ll_as_completed *ac = arg;
    if (!ac->ntodo)
        return;
    for (size_t i = 0; i < ac->n; i++)
        if (ac->todo[i] == f) {
            ac->todo[i] = NULL;
            ac->ntodo--;
        }
    ll__queue_put_nowait(ac->done, ll_ptr(f), NULL, 0);
    if (!ac->ntodo && ac->timeout)
        ll_handle_cancel(ac->timeout);
}

static void ac_on_timeout(void *arg) {
    ll_as_completed *ac = arg;
    for (size_t i = 0; i < ac->n; i++) {
        if (!ac->todo[i])
            continue;
        ll_future_remove_done_callback(ac->todo[i], ac_on_completion, ac);
        ac->todo[i] = NULL;
        ll__queue_put_nowait(ac->done, ll_none(), NULL, 0);
    }
    ac->ntodo = 0;
}

ll_as_completed *ll__as_completed(void *const *aws, size_t n, double timeout, const char *file,
                                  int line) {
    ll_loop *loop = ll_get_event_loop();
    ll_as_completed *ac = ll__arena_alloc(loop, sizeof *ac);
    ll_future **todo = ll__arena_alloc(loop, (n ? n : 1) * sizeof *todo);
    if (!ac || !todo)
        return NULL;
    memset(ac, 0, sizeof *ac);
    ac->loop = loop;
    ac->done = ll__queue_new(0, 0, "as_completed", file, line);
    ac->todo = todo;
    ac->n = n;
    for (size_t i = 0; i < n; i++) {
        todo[i] = ll__ensure_future(loop, aws[i], file, line);
        if (!todo[i])
            return NULL;
    }
    ac->ntodo = ac->left_to_yield = n;
    for (size_t i = 0; i < n; i++)
        ll_future_add_done_callback(todo[i], ac_on_completion, ac);
    if (n && !(isinf(timeout) && timeout > 0))
        ac->timeout =
            ll__call_at(loop, timeout < 0 ? 0 : timeout, 1, ac_on_timeout, ac, file, line);
    return ac;
}

ll_value ll__as_completed_next(ll_as_completed *ac, const char *file, int line) {
    if (!ac || !ac->left_to_yield) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_as_completed_next() called more times than there are "
                   "awaitables (StopIteration)");
        return ll_raise(LL_ERUNTIME, "StopIteration");
    }
    ac->left_to_yield--;
    ll_value f = ll__queue_get(ac->done, file, line);
    if (ll_failed(f))
        return f;
    if (f.kind == LL_NONE)
        return ll_raise(LL_ETIMEOUT, "%s", "");
    return ll__future_outcome(f.p);
}
