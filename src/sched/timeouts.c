/* timeouts.c - wait_for, timeout scopes and shield, as CPython 3.11's
 * asyncio/tasks.py (wait_for, _cancel_and_wait, shield) and
 * asyncio/timeouts.py do them, future for future, so the order of events
 * is CPython's (rules R9 and R10). */
#include "internal.h"

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

static void release_on_timer(void *w) { release(w); }

static void waiter_done(ll_future *w) {
    ll__future_free_cbs(w);
    w->magic = 0;
}

/* _cancel_and_wait: cancel fut and wait until it has finished. */
static ll_value cancel_and_wait(ll_loop *loop, ll_future *fut, const char *file, int line) {
    ll_future w;
    waiter_init(loop, &w, file, line);
    ll_future_add_done_callback(fut, release_on_done, &w);
    ll__cancel_any(fut, file, line);
    ll_value v = ll__wait_future(&w, LL_WAIT_WAIT_FOR, "ll_wait_for()", file, line);
    ll_future_remove_done_callback(fut, release_on_done, &w);
    waiter_done(&w);
    return v;
}

static ll_value timeout_error(void) { return ll_raise(LL_ETIMEOUT, "%s", ""); }

ll_value ll__wait_for(void *aw, double timeout, const char *file, int line) {
    ll_task *t = ll_current_task();
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
    ll_future w;
    waiter_init(loop, &w, file, line);
    ll_handle *h = ll__call_at(loop, timeout, 1, release_on_timer, &w, file, line);
    ll_future_add_done_callback(fut, release_on_done, &w);
    ll_value v = ll__wait_future(&w, LL_WAIT_WAIT_FOR, "ll_wait_for()", file, line);
    ll_value result;
    if (ll_is_cancelled(v)) {
        /* This task was cancelled while it waited. */
        if (fut->state != LL__FUT_PENDING) {
            result = ll__future_outcome(fut);
        } else {
            ll_future_remove_done_callback(fut, release_on_done, &w);
            cancel_and_wait(loop, fut, file, line);
            result = v;
        }
    } else if (fut->state != LL__FUT_PENDING) {
        result = ll__future_outcome(fut);
    } else {
        /* Time is up: cancel the inner work, wait for it to finish. */
        ll_future_remove_done_callback(fut, release_on_done, &w);
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
    waiter_done(&w);
    return result;
}

/* ---- timeout scopes ---------------------------------------------------------------- */

enum { T_CREATED, T_ENTERED, T_EXPIRING, T_EXPIRED, T_EXITED };

struct ll_timeout {
    int state;
    ll_task *task;
    uint32_t cancelling;
    ll_handle *handle;
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
    ll_task *t = ll_current_task();
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
    to->state = T_ENTERED;
    to->task = t;
    to->cancelling = t->num_cancels;
    reschedule(to, absolute ? when : ll_loop_time(t->fut.loop) + when, file, line);
    return to;
}

ll_value ll__timeout_reschedule(ll_timeout *to, double when, const char *file, int line) {
    if (!to || to->state != T_ENTERED) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: Cannot change state of %s Timeout",
                   !to ? "a NULL" : to->state == T_CREATED ? "an unentered" : "an expiring or finished");
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
    if (!to || (to->state != T_ENTERED && to->state != T_EXPIRING)) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: ll_timeout_exit() on a timeout that is not entered");
        return body;
    }
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
    ll_task **tasks;      /* every task made in the group, in creation order */
    bool *alive;          /* not yet reported done to the group */
    size_t ntasks, cap, nalive;
    ll_value *errors;     /* failures of the children, in the order they came */
    size_t nerrors, errcap;
    ll_future *on_completed; /* exit's waiter while it waits */
};

ll_taskgroup *ll__taskgroup_enter(const char *file, int line) {
    ll_task *t = ll_current_task();
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
    g->loop = t->fut.loop;
    g->parent = t;
    return g;
}

static void group_abort(ll_taskgroup *g) {
    g->aborting = true;
    for (size_t i = 0; i < g->ntasks; i++)
        if (g->alive[i] && !ll_task_done(g->tasks[i]))
            ll__task_cancel(g->tasks[i], NULL, 0);
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
    const char *why = !g                          ? "a NULL TaskGroup"
                      : g->exiting && !g->nalive  ? "a finished TaskGroup"
                      : g->aborting               ? "a TaskGroup that is shutting down"
                                                  : NULL;
    if (why) {
        ll__misuse(g ? g->loop : ll__running_loop, file, line,
                   "RuntimeError: create_task on %s", why);
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
    g->exiting = true;
    bool body_failed = ll_failed(body), body_cancelled = ll_is_cancelled(body);
    bool propagate_cancel = body_cancelled;
    bool uncancelled = g->parent_cancel_requested;
    if (g->parent_cancel_requested && ll_task_uncancel(g->parent) == 0)
        propagate_cancel = false;
    if (body_failed && !g->aborting)
        group_abort(g);
    while (g->nalive) {
        ll_future w;
        ll__future_init(&w, g->loop, LL__MAGIC_FUTURE, LL__FK_PLAIN, ll__obj_id(g->loop), file,
                        line);
        g->on_completed = &w;
        ll_value v = ll__wait_future(&w, LL_WAIT_TASKGROUP, "ll_taskgroup_exit()", file, line);
        g->on_completed = NULL;
        ll__future_free_cbs(&w);
        w.magic = 0;
        if (ll_is_cancelled(v) && !g->aborting) {
            propagate_cancel = true;
            group_abort(g);
        }
    }
    /* A child that failed while we waited cancelled us too: take that
     * request back now.  Python 3.11 uncancels only before the wait and
     * leaves cancelling() at 1 in this case; later CPythons uncancel after
     * the wait, as here. */
    if (g->parent_cancel_requested && !uncancelled)
        ll_task_uncancel(g->parent);
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
        return ll_raise(LL_EEXCEPTION_GROUP, "unhandled errors in a TaskGroup (%zu sub-exception%s)",
                        g->nerrors, g->nerrors == 1 ? "" : "s");
    return body;
}

size_t ll_taskgroup_nerrors(const ll_taskgroup *g) { return g ? g->nerrors : 0; }

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
    if (!loop || !ll_current_task()) {
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
    wait_state w = {.counter = n, .return_when = return_when};
    waiter_init(loop, &w.waiter, file, line);
    if (!(isinf(timeout) && timeout > 0))
        w.timeout = ll__call_at(loop, timeout < 0 ? 0 : timeout, 1, release_on_timer, &w.waiter,
                                file, line);
    for (size_t i = 0; i < n; i++)
        ll_future_add_done_callback(aws[i], wait_on_completion, &w);
    ll_value v = ll__wait_future(&w.waiter, LL_WAIT_WAIT, "ll_wait()", file, line);
    if (w.timeout)
        ll_handle_cancel(w.timeout);
    for (size_t i = 0; i < n; i++)
        ll_future_remove_done_callback(aws[i], wait_on_completion, &w);
    waiter_done(&w.waiter);
    for (size_t i = 0; done && i < n; i++)
        done[i] = ((ll_future *)aws[i])->state != LL__FUT_PENDING;
    return ll_failed(v) ? v : ll_none();
}

/* ---- as_completed (3.11) ------------------------------------------------------------ */

struct ll_as_completed {
    ll_loop *loop;
    ll_queue *done;
    ll_future **todo;   /* futures not finished yet (NULL when gone) */
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
        ac->timeout = ll__call_at(loop, timeout < 0 ? 0 : timeout, 1, ac_on_timeout, ac, file, line);
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
