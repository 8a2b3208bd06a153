/* gather.c - asyncio.gather: one future fed by done callbacks on its children.
 *
 * Follows CPython 3.11's tasks.gather (R8): coroutines become tasks in
 * argument order; each child gets one done callback; without
 * return_exceptions the first error (or a cancelled child) completes the
 * outer future at once while the other children keep running; otherwise the
 * outer future completes with every outcome in argument order when the last
 * child is done.  Cancelling the outer future cancels every child. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct gather_fut {
    ll_future fut;    /* the outer future; must be first */
    size_t nchildren; /* arguments, duplicates included */
    size_t nunique;   /* distinct children (one callback each) */
    size_t nfinished; /* distinct children done so far */
    bool return_exceptions;
    ll_future *children[]; /* in argument order */
} gather_fut;

static ll_value cancelled_error(void) {
    ll_value v = {LL_ERROR, LL_ECANCELLED, {.s = ""}};
    return v;
}

static void child_done(ll_loop *loop, const ll__ready *e) {
    ll_future *child = e->a;
    gather_fut *g = e->b;
    ll_future *outer = &g->fut;
    LL__REC_EV(loop, CB_RUN, e->tid, .obj = outer->id, .sub = LL_REASON_GATHER);
    g->nfinished++;
    if (outer->state != LL__FUT_PENDING) {
        /* Too late to matter: mark the error as seen so it is not reported. */
        if (child->state == LL__FUT_FINISHED && ll_failed(child->result))
            child->retrieved = true;
        return;
    }
    if (!g->return_exceptions) {
        if (child->state == LL__FUT_CANCELLED) {
            ll__future_complete(outer, LL__FUT_FINISHED, cancelled_error());
            return;
        }
        if (ll_failed(child->result)) {
            child->retrieved = true;
            ll__future_complete(outer, LL__FUT_FINISHED, child->result);
            return;
        }
    }
    if (g->nfinished < g->nunique)
        return;
    ll_list *list = ll__arena_alloc(loop, sizeof *list + g->nchildren * sizeof(ll_value));
    if (!list) {
        ll__future_complete(outer, LL__FUT_FINISHED, ll_raise(LL_ENOMEM, "gather results"));
        return;
    }
    list->len = g->nchildren;
    for (size_t i = 0; i < g->nchildren; i++)
        list->items[i] = ll__future_outcome(g->children[i]);
    if (outer->cancel_requested) {
        ll__future_complete(outer, LL__FUT_FINISHED, cancelled_error());
        return;
    }
    ll_value v = {LL_LIST, 0, {.list = list}};
    ll__future_complete(outer, LL__FUT_FINISHED, v);
}

bool ll__gather_cancel(ll_future *f, const char *file, int line) {
    gather_fut *g = (gather_fut *)f;
    if (f->state != LL__FUT_PENDING)
        return false;
    bool any = false;
    for (size_t i = 0; i < g->nchildren; i++)
        if (ll__cancel_any(g->children[i], file, line))
            any = true;
    if (any)
        f->cancel_requested = true;
    return any;
}

static gather_fut *gather_new(ll_loop *loop, size_t n, bool retexc, const char *file, int line) {
    gather_fut *g = calloc(1, sizeof *g + n * sizeof(ll_future *));
    if (!g)
        return NULL;
    ll__future_init(&g->fut, loop, LL__MAGIC_FUTURE, LL__FK_GATHER, ll__obj_id(loop), file, line);
    g->return_exceptions = retexc;
    g->fut.next_owned = loop->owned_futs;
    loop->owned_futs = &g->fut;
    LL__REC_EV(loop, FUT_NEW, ll__cur_tid(loop), .obj = g->fut.id, .sub = LL__FK_GATHER,
               .aux = (uint32_t)n, .file = file, .line = line);
    return g;
}

static bool seen_before(gather_fut *g, size_t i) {
    for (size_t j = 0; j < i; j++)
        if (g->children[j] == g->children[i])
            return true;
    return false;
}

ll_future *ll__gatherv(void *const *aws, size_t n, bool retexc, const char *file, int line) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (!loop) {
        ll__misuse(NULL, file, line,
                   "RuntimeError: gather() needs an event loop: call it from a coroutine");
        return NULL;
    }
    if (n > 0 && !aws) {
        ll__misuse(loop, file, line, "TypeError: gather() was given a NULL array");
        return NULL;
    }
    gather_fut *g = gather_new(loop, n, retexc, file, line);
    if (!g)
        return NULL;
    g->nchildren = n;
    for (size_t i = 0; i < n; i++) {
        ll_future *f = ll__ensure_future(loop, aws[i], file, line);
        if (!f) {
            /* Python raises TypeError from gather() itself; here the outer
             * future carries it, after the message naming the argument. */
            ll__misuse(loop, file, line, "TypeError: gather() argument %zu is not awaitable",
                       i + 1);
            g->nchildren = i;
            ll__future_complete(
                &g->fut, LL__FUT_FINISHED,
                ll_raise(LL_ETYPE, "gather() argument %zu is not awaitable", i + 1));
            g->fut.retrieved = false;
            return &g->fut;
        }
        g->children[i] = f;
    }
    /* Callbacks go on after every child exists, one per distinct child.
     * Small gathers check for duplicates directly; big ones are almost never
     * given duplicates, and a quadratic scan would hurt there. */
    for (size_t i = 0; i < n; i++) {
        if (n <= 256 && seen_before(g, i))
            continue;
        g->nunique++;
        uint32_t tid = g->children[i]->magic == LL__MAGIC_TASK ? g->children[i]->id : 0;
        ll__future_add_cb(g->children[i], child_done, g, NULL, tid);
    }
    if (n == 0) {
        ll_list *list = ll__arena_alloc(loop, sizeof *list);
        if (list)
            list->len = 0;
        ll_value v = {LL_LIST, 0, {.list = list}};
        ll__future_complete(&g->fut, LL__FUT_FINISHED, v);
    }
    return &g->fut;
}

ll_future *ll__gather(bool retexc, const char *file, int line, ...) {
    void *small[16];
    void **aws = small;
    size_t n = 0, cap = 16;
    va_list ap;
    va_start(ap, line);
    for (void *p; (p = va_arg(ap, void *)) != NULL;) {
        if (n == cap) {
            void **bigger = malloc(cap * 2 * sizeof *bigger);
            if (!bigger)
                break;
            memcpy(bigger, aws, n * sizeof *aws);
            if (aws != small)
                free(aws);
            aws = bigger;
            cap *= 2;
        }
        aws[n++] = p;
    }
    va_end(ap);
    ll_future *f = ll__gatherv(aws, n, retexc, file, line);
    if (aws != small)
        free(aws);
    return f;
}
