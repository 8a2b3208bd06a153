/* agen.c - async generators: `async def` with `yield`, driven by `async for`.
 *
 * A generator is a function running on a stack of its own.  ll_anext
 * switches from the consuming task to the generator; ll_yield switches
 * back, handing over a value.  While the generator runs it is part of the
 * consuming task: an await in it suspends that task, whose saved context
 * then simply points into the generator's stack (task.c saves the context
 * wherever the task happens to be).  So a generator needs no scheduler
 * support at all, and the trace shows its steps inside the consumer:
 * coro_enter when it is resumed, `yield` when it hands out a value,
 * coro_exit when it returns. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum { AG_CREATED = 0, AG_SUSPENDED, AG_RUNNING, AG_DONE };

enum { LL__MAGIC_AGEN = 0x4c4c4147 }; /* "LLAG" */

struct ll_agen {
    uint32_t magic;
    uint32_t id;
    ll_loop *loop;
    uint8_t state; /* AG_* */
    bool closing;  /* aclose() is resuming it: ll_yield says so */
    bool dropped;  /* ll_agen_drop: its aclose task is on its way */
    ll_coro_fn fn;
    ll_value arg;
    const char *name, *file;
    int line;
    ll__stack stack;
    ll__ctx ctx;     /* the generator's own context */
    ll__ctx caller;  /* the consumer's, while the generator runs */
    ll_task *task;   /* the consumer, while it runs */
    ll_agen *outer;  /* the generator the consumer was in before */
    ll_value value;  /* what it yielded last */
    ll_value result; /* what it returned */
    ll_agen *next;   /* the loop's generators */
};

static ll_task *need_task(ll_loop *loop, const char *what, const char *file, int line) {
    if (!loop || !loop->current) {
        ll__misuse(loop ? loop : ll__current_loop, file, line,
                   "RuntimeError: %s outside a task: async generators are driven from a "
                   "coroutine",
                   what);
        return NULL;
    }
    return loop->current;
}

static bool check_gen(ll_loop *loop, const ll_agen *g, const char *what, const char *file,
                      int line) {
    if (!g || g->magic != LL__MAGIC_AGEN) {
        ll__misuse(loop, file, line, "TypeError: %s needs an async generator made by ll_agen()",
                   what);
        return false;
    }
    return true;
}

ll_agen *ll__agen_new(ll_coro_fn fn, ll_value arg, const char *fn_name, const char *file,
                      int line) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (!loop) {
        ll__misuse(NULL, file, line, "RuntimeError: ll_agen() needs an event loop");
        return NULL;
    }
    if (!fn) {
        ll__misuse(loop, file, line, "TypeError: ll_agen() needs a generator function, got NULL");
        return NULL;
    }
    ll_agen *g = calloc(1, sizeof *g);
    if (!g) {
        ll__misuse(loop, file, line, "MemoryError: no memory for an async generator");
        return NULL;
    }
    g->magic = LL__MAGIC_AGEN;
    g->id = ll__obj_id(loop);
    g->loop = loop;
    g->fn = fn;
    g->arg = arg;
    g->name = fn_name;
    g->file = file;
    g->line = line;
    g->next = loop->agens;
    loop->agens = g;
    return g;
}

ll_agen *ll__agen_newv(ll_coro_fn fn, const char *fn_name, size_t n, const ll_value *args,
                       const char *file, int line) {
    /* A generator needs a loop, so its arguments live in the loop's arena. */
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    ll_value arg = ll_none();
    void *owned;
    if (loop && !ll__args_pack(loop, fn_name, n, args, &arg, &owned)) {
        ll__misuse(loop, file, line, "MemoryError: no memory for the arguments of '%s'", fn_name);
        return NULL;
    }
    return ll__agen_new(fn, arg, fn_name, file, line);
}

void *ll__agen_base_sp(const ll_task *t) {
    const ll_agen *g = t->agen;
    while (g->outer)
        g = g->outer;
    return ll__ctx_saved_sp(&g->caller);
}

const char *ll__agen_name(const ll_agen *g) {
    return g->name;
}

static void agen_entry(void *p) {
    ll_agen *g = p;
    g->result = g->fn(g->arg);
    /* A scope the generator's own code left open (timeouts.c) */
    if (g->task && g->task->nscopes)
        ll__scopes_leaked(g->task, 0, g->name, g->result);
    g->state = AG_DONE;
    ll__ctx_switch_final(&g->ctx, &g->caller);
}

static void rec_coro(ll_loop *loop, ll_event_kind kind, ll_task *t, const ll_agen *g) {
    if (!LL__REC(loop))
        return;
    ll__ev_put(loop, kind, (ll__ev_fields){.task = t->fut.id, .str = ll__str(loop, g->name)});
}

/* Runs the generator until it yields or returns.  0, or an error code. */
static int resume(ll_loop *loop, ll_task *t, ll_agen *g) {
    if (g->state == AG_CREATED) {
        bool unguarded = false;
        int rc = ll__stack_alloc(loop->stacks, loop->default_stack, &g->stack, &unguarded);
        if (rc != 0)
            return LL_ENOMEM;
        uintptr_t top = ((uintptr_t)g->stack.lo + g->stack.size - 64) & ~(uintptr_t)15;
        ll__ctx_make(&g->ctx, g->stack.lo, top - (uintptr_t)g->stack.lo, agen_entry, g);
    }
    g->state = AG_RUNNING;
    g->task = t;
    g->outer = t->agen;
    t->agen = g;
    rec_coro(loop, LL_EV_CORO_ENTER, t, g);
    ll__ctx_switch(&g->caller, &g->ctx);
    /* Back in the consumer, which may be on another task's step by now: t
     * is still the task that drives the generator. */
    t->agen = g->outer;
    g->task = NULL;
    if (g->state == AG_DONE) {
        rec_coro(loop, LL_EV_CORO_EXIT, t, g);
        ll__stack_free(loop->stacks, &g->stack);
        memset(&g->stack, 0, sizeof g->stack);
    }
    return 0;
}

bool ll__anext(ll_agen *g, ll_value *out, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    ll_value dummy;
    if (!out)
        out = &dummy;
    ll_task *t = need_task(loop, "ll_anext()", file, line);
    if (!t) {
        *out = ll_raise(LL_ERUNTIME, "anext() outside a task");
        return false;
    }
    if (!check_gen(loop, g, "ll_anext()", file, line)) {
        *out = ll_raise(LL_ETYPE, "'async for' requires an async generator");
        return false;
    }
    if (g->state == AG_RUNNING) {
        ll__misuse(loop, file, line,
                   "RuntimeError: anext(): asynchronous generator '%s' is already running",
                   g->name);
        *out = ll_raise(LL_ERUNTIME, "anext(): asynchronous generator is already running");
        return false;
    }
    if (g->state == AG_DONE) {
        *out = ll_none(); /* StopAsyncIteration, again */
        return false;
    }
    if (g->dropped) {
        ll__misuse(loop, file, line,
                   "RuntimeError: anext(): asynchronous generator '%s' was dropped (its "
                   "`async for` was left, or ll_agen_drop) and is being closed",
                   g->name);
        *out = ll_raise(LL_ERUNTIME, "anext() on a dropped asynchronous generator");
        return false;
    }
    int rc = resume(loop, t, g);
    if (rc) {
        *out = ll_raise(rc, "no memory for the generator's stack");
        return false;
    }
    if (g->state == AG_SUSPENDED) {
        *out = g->value;
        return true;
    }
    /* It returned: the end of the iteration, or its error. */
    *out = ll_failed(g->result) ? g->result : ll_none();
    return false;
}

ll_value ll__yield(ll_value v, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    ll_task *t = need_task(loop, "ll_yield()", file, line);
    if (!t)
        return ll_raise(LL_ERUNTIME, "ll_yield() outside a task");
    ll_agen *g = t->agen;
    if (!g) {
        ll__misuse(loop, file, line,
                   "RuntimeError: ll_yield() outside an async generator (start it with "
                   "ll_agen() and drive it with ll_anext())");
        return ll_raise(LL_ERUNTIME, "ll_yield() outside an async generator");
    }
    if (g->closing) {
        /* Python: "async generator ignored GeneratorExit". */
        ll__misuse(loop, file, line,
                   "RuntimeError: async generator '%s' yielded a value while being closed "
                   "(after ll_yield returned LL_EGENERATOR_EXIT it must return)",
                   g->name);
    }
    g->value = v;
    g->state = AG_SUSPENDED;
    LL__REC_EV(loop, AGEN_YIELD, t->fut.id, .obj = g->id, .str = ll__repr_str(loop, v),
               .file = file, .line = line);
    ll__ctx_switch(&g->ctx, &g->caller);
    /* Resumed by ll_anext or ll_aclose (possibly from another task). */
    return g->closing ? (ll_value){LL_ERROR, LL_EGENERATOR_EXIT, {.s = ""}} : ll_none();
}

ll_value ll__aclose(ll_agen *g, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    ll_task *t = need_task(loop, "ll_aclose()", file, line);
    if (!t)
        return ll_raise(LL_ERUNTIME, "ll_aclose() outside a task");
    if (!check_gen(loop, g, "ll_aclose()", file, line))
        return ll_raise(LL_ETYPE, "ll_aclose() needs a generator made by ll_agen()");
    if (g->state == AG_CREATED || g->state == AG_DONE) {
        g->state = AG_DONE; /* never started: nothing to clean up */
        return ll_none();
    }
    if (g->state == AG_RUNNING) {
        ll__misuse(loop, file, line,
                   "RuntimeError: aclose(): asynchronous generator '%s' is already running",
                   g->name);
        return ll_raise(LL_ERUNTIME, "aclose(): asynchronous generator is already running");
    }
    g->closing = true;
    int rc = resume(loop, t, g);
    if (rc)
        return ll_raise(rc, "no memory for the generator's stack");
    if (g->state == AG_SUSPENDED) /* it yielded again: reported by ll_yield */
        return ll_raise(LL_ERUNTIME, "async generator ignored GeneratorExit");
    if (ll_failed(g->result) && g->result.err != LL_EGENERATOR_EXIT)
        return g->result;
    return ll_none();
}

/* ---- dropped generators: what CPython's asyncgen hooks do ------------------
 * A generator whose last reference goes away while it is parked at a yield
 * (an `async for` left by break or return) is finalized by the loop's hook,
 * base_events._asyncgen_finalizer_hook:
 *     self.call_soon_threadsafe(self.create_task, agen.aclose())
 * So its cleanup does not run at the break: a callback is queued behind
 * what is ready, and that callback makes a task (numbered then, Task-N)
 * whose first step closes the generator.  ll_agen_drop does the same. */
static ll_value aclose_task(ll_value arg) {
    ll_agen *g = arg.p;
    return ll__aclose(g, g->file, g->line);
}

static void finalizer_cb(void *arg) {
    ll_agen *g = arg;
    if (g->state != AG_SUSPENDED || g->closing)
        return; /* closed meanwhile (ll_aclose) */
    ll_coro *c = ll__coro_new(aclose_task, ll_ptr(g), "aclose", g->file, g->line);
    if (c)
        ll__create_task(c, NULL, NULL, g->file, g->line);
}

void ll__agen_drop(ll_agen *g, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    if (!g)
        return;
    if (!check_gen(loop, g, "ll_agen_drop()", file, line))
        return;
    /* Never started, finished, closing, or dropped already: CPython's
     * finalizer has nothing to do either. */
    if (g->state != AG_SUSPENDED || g->closing || g->dropped)
        return;
    g->dropped = true;
    if (!loop || loop != g->loop)
        return; /* no loop to close it on: shutdown_asyncgens will */
    ll__call_at(loop, -1.0, 0, finalizer_cb, g, file, line);
}

void ll__agen_drop_at_exit(ll_agen **gp) {
    if (*gp)
        ll__agen_drop(*gp, (*gp)->file, (*gp)->line);
}

/* asyncio.run closes the generators that were not run to the end, so that
 * their cleanup code runs (loop.shutdown_asyncgens).  A dropped one whose
 * aclose task never got to run (cancelled as asyncio.run ended) is closed
 * here too: CPython throws the cancellation into it instead, which also
 * runs its cleanup. */
static ll_value close_all(ll_value arg) {
    ll_loop *loop = arg.p;
    for (ll_agen *g = loop->agens; g; g = g->next)
        if (g->state == AG_SUSPENDED && !g->closing)
            ll__aclose(g, g->file, g->line);
    return ll_none();
}

void ll__agen_shutdown(ll_loop *loop, const char *file, int line) {
    bool any = false;
    for (ll_agen *g = loop->agens; g && !any; g = g->next)
        any = g->state == AG_SUSPENDED && !g->closing;
    if (!any)
        return;
    ll__loop_run_until_complete(
        loop, ll__coro_new(close_all, ll_ptr(loop), "shutdown_asyncgens", file, line), file, line);
}

void ll__agen_free_all(ll_loop *loop) {
    for (ll_agen *g = loop->agens, *next; g; g = next) {
        next = g->next;
        if (g->stack.map)
            ll__stack_free(loop->stacks, &g->stack);
        g->magic = 0;
        free(g);
    }
    loop->agens = NULL;
}
