/* why.c - the chain of causes behind an event (see why.h). */
#include "why.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The chain being built. */
typedef struct chain {
    const ll_trace *t;
    ll_why_link *out;
    size_t max, n;
} chain;

static const ll_trace_event *ev(const chain *c, size_t i) {
    return ll__rec_at(&c->t->rec, i);
}

/* A task's name as the trace gives it ("the loop" for 0). */
static const char *tname(const chain *c, uint32_t id, char *buf, size_t cap) {
    if (id == 0)
        return "the loop";
    const ll_trace_task *tk = ll_trace_task_of(c->t, id);
    const char *s = tk && tk->name ? ll__rec_strp(&c->t->rec, tk->name, NULL) : "";
    if (*s)
        ll_trace_term_safe(buf, cap, s, strlen(s));
    else
        snprintf(buf, cap, "task %u", id);
    return buf;
}

/* " at FILE:LINE" for an event with a site, else "". */
static const char *where(const chain *c, const ll_trace_event *e, char *buf, size_t cap) {
    const ll__site *s = ll__rec_sitep(&c->t->rec, e->site);
    if (!e->site || !s->file) {
        buf[0] = '\0';
        return buf;
    }
    const char *f = s->file;
    /* "../lessons/..." (a build directory's view) reads better without "../" */
    while (strncmp(f, "../", 3) == 0)
        f += 3;
    char safe[256];
    ll_trace_term_safe(safe, sizeof safe, f, strlen(f));
    snprintf(buf, cap, " at %s:%d", safe, s->line);
    return buf;
}

/* The loop iteration event i belongs to (0 before the first). */
static int64_t iteration(const chain *c, size_t i) {
    for (size_t k = i + 1; k-- > 0;) {
        const ll_trace_event *e = ev(c, k);
        if (e->kind == LL_EV_ITER && ll_trace_loop_of(c->t, k) == ll_trace_loop_of(c->t, i))
            return e->val;
    }
    return 0;
}

static bool full(const chain *c) {
    return c->n >= c->max;
}

/* Adds a link: "#N  T  text". */
__attribute__((format(printf, 3, 4))) static void say(chain *c, size_t i, const char *fmt, ...) {
    if (full(c))
        return;
    ll_why_link *l = &c->out[c->n++];
    l->event = i;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
}

/* The latest event before `before` (exclusive) of kind `kind` whose task
 * (when task != UINT32_MAX) and obj (when obj != UINT32_MAX) match. */
static bool find_back(const chain *c, size_t before, unsigned kind, uint32_t task, uint32_t obj,
                      size_t *at) {
    for (size_t k = before; k-- > 0;) {
        const ll_trace_event *e = ev(c, k);
        if (e->kind == kind && (task == UINT32_MAX || e->task == task) &&
            (obj == UINT32_MAX || e->obj == obj)) {
            *at = k;
            return true;
        }
    }
    return false;
}

static bool is_end(unsigned kind) {
    return kind == LL_EV_TASK_DONE || kind == LL_EV_TASK_FAILED || kind == LL_EV_TASK_CANCELLED;
}

static void why_run(chain *c, size_t r);
static void why_ready(chain *c, size_t q);

/* Event i happened inside task w's step: say which step, and why it ran. */
static void why_in_step(chain *c, uint32_t w, size_t i) {
    size_t r;
    if (w == 0 || full(c) || !find_back(c, i + 1, LL_EV_TASK_RUN, w, UINT32_MAX, &r))
        return;
    why_run(c, r);
}

static void why_run(chain *c, size_t r) {
    const ll_trace_event *e = ev(c, r);
    char nb[128];
    size_t q;
    bool queued = find_back(c, r, LL_EV_TASK_READY, e->task, UINT32_MAX, &q);
    if (!queued) {
        say(c, r, "%s ran in iteration %lld", tname(c, e->task, nb, sizeof nb),
            (long long)iteration(c, r));
        return;
    }
    const ll_trace_event *qe = ev(c, q);
    char ahead[64];
    if (qe->aux)
        snprintf(ahead, sizeof ahead, "with %u %s ahead of it", qe->aux,
                 qe->aux == 1 ? "entry" : "entries");
    else
        snprintf(ahead, sizeof ahead, "first, with nothing ahead of it");
    say(c, r,
        "%s ran in iteration %lld: it had reached the head of the ready queue, which it joined %s",
        tname(c, e->task, nb, sizeof nb), (long long)iteration(c, r), ahead);
    why_ready(c, q);
}

/* "queue 'jobs'" or "lock 2": a primitive by its kind and name. */
static const char *prim_name(const chain *c, size_t before, uint32_t obj, char *buf, size_t cap) {
    size_t k;
    if (!find_back(c, before, LL_EV_SYNC_NEW, UINT32_MAX, obj, &k)) {
        snprintf(buf, cap, "primitive %u", obj);
        return buf;
    }
    const ll_trace_event *e = ev(c, k);
    const char *name = e->str ? ll__rec_strp(&c->t->rec, e->str, NULL) : "";
    char nb[100];
    ll_trace_term_safe(nb, sizeof nb, name, strlen(name));
    if (*nb)
        snprintf(buf, cap, "%s '%s'", ll_sync_kind_name(e->sub), nb);
    else
        snprintf(buf, cap, "%s %u", ll_sync_kind_name(e->sub), obj);
    return buf;
}

/* A future was completed at event k: by which task, or by which loop
 * callback; then why that happened. */
static void why_completed(chain *c, size_t k, const char *what) {
    const ll_trace_event *d = ev(c, k);
    char nb[128], wb[300];
    if (d->task) {
        /* The releaser of a lock, the putter on a queue...: the sync event
         * of that task just before the completion names what it did. */
        const char *via = "";
        char vb[256] = "";
        for (size_t s = k; s-- > 0 && s + 3 >= k;) {
            const ll_trace_event *se = ev(c, s);
            if (se->kind == LL_EV_SYNC && se->task == d->task) {
                char pb[160], sw[300];
                snprintf(vb, sizeof vb, " by a %s on %s%s", ll_sync_op_name(se->sub),
                         prim_name(c, s, se->obj, pb, sizeof pb), where(c, se, sw, sizeof sw));
                via = vb;
                break;
            }
        }
        if (*via) {
            if (strcmp(what, "its wait") == 0)
                say(c, k, "%s let it go on,%s", tname(c, d->task, nb, sizeof nb), via);
            else
                say(c, k, "%s completed %s%s", tname(c, d->task, nb, sizeof nb), what, via);
            why_in_step(c, d->task, k);
            return;
        }
        say(c, k, "%s completed %s%s%s", tname(c, d->task, nb, sizeof nb), what, via,
            where(c, d, wb, sizeof wb));
        why_in_step(c, d->task, k);
        return;
    }
    /* Completed by a loop callback: gather's, when its last child ended. */
    size_t cb;
    if (find_back(c, k, LL_EV_CB_RUN, UINT32_MAX, UINT32_MAX, &cb) && ev(c, cb)->task) {
        const ll_trace_event *ce = ev(c, cb);
        say(c, k, "the loop completed %s in a %s callback for %s, in iteration %lld", what,
            ll_reason_name(ce->sub), tname(c, ce->task, nb, sizeof nb), (long long)iteration(c, k));
        size_t end;
        for (size_t s = cb; s-- > 0;) {
            if (is_end(ev(c, s)->kind) && ev(c, s)->task == ce->task) {
                end = s;
                say(c, end, "%s had finished (%s)", tname(c, ce->task, nb, sizeof nb),
                    ll_event_kind_name(ev(c, end)->kind));
                why_in_step(c, ce->task, end);
                return;
            }
        }
        return;
    }
    say(c, k, "the loop completed %s in iteration %lld", what, (long long)iteration(c, k));
}

/* What future `f` is, from its fut_new: "the gather made at lesson.c:28". */
static void future_name(const chain *c, size_t before, uint32_t f, char *buf, size_t cap) {
    size_t k;
    char wb[300];
    if (find_back(c, before, LL_EV_FUT_NEW, UINT32_MAX, f, &k)) {
        const ll_trace_event *e = ev(c, k);
        snprintf(buf, cap, "the %s (future %u) made%s", ll__field_enum_name(T_FUTKIND, e->sub), f,
                 where(c, e, wb, sizeof wb));
    } else {
        snprintf(buf, cap, "future %u", f);
    }
}

static void why_timer(chain *c, size_t q, uint32_t task, uint32_t timer) {
    char nb[128], wb[300];
    size_t f, w;
    if (find_back(c, q, LL_EV_TIMER_FIRE, UINT32_MAX, timer, &f))
        say(c, f, "its timer %u came due at t=%.3f s; the loop fired it in iteration %lld", timer,
            (double)ev(c, f)->t / 1e9, (long long)iteration(c, f));
    if (find_back(c, q, LL_EV_TASK_WAIT, task, timer, &w)) {
        const ll_trace_event *we = ev(c, w);
        say(c, w, "%s had armed that timer%s, in iteration %lld: %s until t=%.3f s",
            tname(c, task, nb, sizeof nb), where(c, we, wb, sizeof wb), (long long)iteration(c, w),
            ll_wait_kind_name(we->sub), (double)we->val / 1e9);
    }
}

/* A wake-up by cancel(): the task was cancelled after it last waited, and
 * the thing it waited on was cancelled with it (asyncio's Task.cancel
 * cancels the future the task waits on, whose callback then queues it). */
static bool why_cancelled(chain *c, size_t q, const char *who) {
    const ll_trace_event *e = ev(c, q);
    size_t k, w;
    char ob[128], wb[300];
    if (!find_back(c, q, LL_EV_CANCEL, UINT32_MAX, e->task, &k))
        return false;
    if (find_back(c, q, LL_EV_TASK_WAIT, e->task, UINT32_MAX, &w) && w > k)
        return false;
    const ll_trace_event *ce = ev(c, k);
    say(c, q, "%s was queued to receive a cancellation: what it awaited was cancelled with it",
        who);
    say(c, k, "%s cancelled it%s", tname(c, ce->task, ob, sizeof ob), where(c, ce, wb, sizeof wb));
    why_in_step(c, ce->task, k);
    return true;
}

static void why_ready(chain *c, size_t q) {
    const ll_trace_event *e = ev(c, q);
    char nb[128], ob[128], wb[300], fb[320];
    const char *who = tname(c, e->task, nb, sizeof nb);
    size_t k;
    if (e->sub != LL_REASON_CREATED && e->sub != LL_REASON_YIELD && why_cancelled(c, q, who))
        return;
    switch (e->sub) {
    case LL_REASON_CREATED:
        if (find_back(c, q + 1, LL_EV_TASK_NEW, e->task, UINT32_MAX, &k)) {
            const ll_trace_event *n = ev(c, k);
            say(c, k, "%s was created by %s%s, which queued its first step", who,
                tname(c, n->obj, ob, sizeof ob), where(c, n, wb, sizeof wb));
            why_in_step(c, n->obj, k);
        }
        return;
    case LL_REASON_YIELD:
        say(c, q, "%s gave the thread up with sleep(0)%s and went to the back of the queue", who,
            where(c, e, wb, sizeof wb));
        why_in_step(c, e->task, q);
        return;
    case LL_REASON_SLEEP_DONE:
    case LL_REASON_TIMER:
        say(c, q, "%s was queued because its sleep was over", who);
        why_timer(c, q, e->task, e->obj);
        return;
    case LL_REASON_TASK_DONE:
        say(c, q, "%s was queued because %s, which it awaited, had finished", who,
            tname(c, e->obj, ob, sizeof ob));
        for (size_t s = q; s-- > 0;)
            if (is_end(ev(c, s)->kind) && ev(c, s)->task == e->obj) {
                why_in_step(c, e->obj, s);
                break;
            }
        return;
    case LL_REASON_FUTURE_DONE:
    case LL_REASON_DONE_CALLBACK:
        future_name(c, q, e->obj, fb, sizeof fb);
        if (find_back(c, q, LL_EV_TASK_WAIT, e->task, UINT32_MAX, &k) &&
            ev(c, k)->sub >= LL_WAIT_LOCK) {
            const ll_trace_event *we = ev(c, k);
            char pb[160];
            say(c, q, "%s was queued: the %s it waited on%s (%s) could go on", who,
                ll_wait_kind_name(we->sub), where(c, we, wb, sizeof wb),
                prim_name(c, q, we->obj, pb, sizeof pb));
            snprintf(fb, sizeof fb, "its wait");
        } else {
            say(c, q, "%s was queued because %s, which it awaited, was completed", who, fb);
        }
        if (find_back(c, q, LL_EV_FUT_DONE, UINT32_MAX, e->obj, &k))
            why_completed(c, k, fb);
        return;
    case LL_REASON_CANCELLED:
        say(c, q, "%s was queued because what it awaited (%s) was cancelled", who,
            tname(c, e->obj, ob, sizeof ob));
        return;
    case LL_REASON_JOB_DONE:
        say(c, q, "%s was queued because a worker thread finished its job %u", who, e->obj);
        if (find_back(c, q, LL_EV_JOB_SUBMIT, UINT32_MAX, e->obj, &k))
            say(c, k, "%s had handed that job to the thread pool%s", who,
                where(c, ev(c, k), wb, sizeof wb));
        return;
    case LL_REASON_IO:
        say(c, q, "%s was queued because its socket %u became ready", who, e->obj);
        return;
    default: say(c, q, "%s was queued (%s)", who, ll_reason_name(e->sub)); return;
    }
}

/* The event itself, in words, then its causes. */
static void why_event(chain *c, size_t i) {
    const ll_trace_event *e = ev(c, i);
    char nb[128], wb[300], sb[200];
    const char *who = tname(c, e->task, nb, sizeof nb);
    switch (e->kind) {
    case LL_EV_TASK_RUN: why_run(c, i); return;
    case LL_EV_TASK_READY: why_ready(c, i); return;
    case LL_EV_TIMER_FIRE:
    case LL_EV_CB_RUN:
        if (e->kind == LL_EV_TIMER_FIRE || e->sub == LL_REASON_TIMER) {
            size_t w;
            say(c, i, "the loop fired timer %u in iteration %lld", e->obj,
                (long long)iteration(c, i));
            if (e->task && find_back(c, i, LL_EV_TASK_WAIT, e->task, e->obj, &w))
                say(c, w, "%s had armed it%s", who, where(c, ev(c, w), wb, sizeof wb));
            return;
        }
        break;
    case LL_EV_PRINT: {
        const char *s = ll__rec_strp(&c->t->rec, e->str, NULL);
        ll_trace_term_safe(sb, sizeof sb, s, strlen(s));
        say(c, i, "%s printed \"%s\"%s", who, sb, where(c, e, wb, sizeof wb));
        why_in_step(c, e->task, i);
        return;
    }
    default: break;
    }
    say(c, i, "%s: %s%s", who, ll_event_kind_name(e->kind), where(c, e, wb, sizeof wb));
    if (e->task)
        why_in_step(c, e->task, i);
    else
        say(c, i, "(the loop's own work, in iteration %lld)", (long long)iteration(c, i));
}

size_t ll_trace_why(const ll_trace *t, size_t i, ll_why_link *links, size_t max) {
    if (i < t->rec.base || i >= t->rec.n || max == 0)
        return 0;
    chain c = {t, links, max, 0};
    why_event(&c, i);
    return c.n;
}
