/* compare.c - two traces of the same program, step for step (compare.h). */
#include "compare.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A sleep's length counts as the same within this (a real clock's wait
 * event comes a little after the call that computed its deadline). */
#define SLEEP_SLACK_NS INT64_C(1000000)

static const ll_trace_event *ev_at(const ll_trace *t, size_t i) {
    return ll__rec_at(&t->rec, i);
}

static const char *str_of(const ll_trace *t, uint32_t id, size_t *len) {
    size_t n = 0;
    const char *s = id ? ll__rec_strp(&t->rec, id, &n) : "";
    if (!s) {
        s = "";
        n = 0;
    }
    if (len)
        *len = n;
    return s;
}

static bool same_str(const ll_trace *a, uint32_t ia, const ll_trace *b, uint32_t ib) {
    size_t na, nb;
    const char *sa = str_of(a, ia, &na), *sb = str_of(b, ib, &nb);
    return na == nb && memcmp(sa, sb, na) == 0;
}

/* ---- reducing a trace to steps ---------------------------------------------- */

/* What the pass over a trace keeps besides the steps. */
typedef struct scan {
    size_t *open;   /* per task (index in t->tasks): its open step, or NONE */
    size_t *woke;   /* per task: the first `ready` since its last step */
    ll__idmap made; /* object id -> the event that made it (+1) */
    ll__idmap ord;  /* primitive id -> its place among those of its kind */
    uint32_t nkind[LL_SYNC__COUNT];
} scan;

static bool is_ender(unsigned kind) {
    return kind == LL_EV_TASK_WAIT || kind == LL_EV_TASK_DONE || kind == LL_EV_TASK_FAILED ||
           kind == LL_EV_TASK_CANCELLED;
}

static int push_step(ll_steps *s, const ll_step *st) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        ll_step *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *st;
    return 0;
}

static int push_act(ll_steps *s, size_t ev) {
    if (s->nacts == s->actcap) {
        size_t cap = s->actcap ? s->actcap * 2 : 64;
        size_t *v = realloc(s->acts, cap * sizeof *v);
        if (!v)
            return -1;
        s->acts = v;
        s->actcap = cap;
    }
    s->acts[s->nacts++] = ev;
    return 0;
}

/* Fills in what a `wait` waits on, by role. */
static void wait_role(const ll_trace *t, scan *sc, ll_step *st, const ll_trace_event *e) {
    const uint32_t *made = ll__idmap_get(&sc->made, e->obj);
    const ll_trace_event *m = made ? ev_at(t, *made - 1) : NULL;
    const ll_trace_task *tk;
    switch (e->sub) {
    case LL_WAIT_SLEEP: st->on_for = e->val >= 0 ? e->val - e->t : -1; break;
    case LL_WAIT_TASK:
        tk = ll_trace_task_of(t, e->obj);
        st->on_name = tk ? tk->name : 0;
        break;
    case LL_WAIT_GATHER: st->on_count = m && m->kind == LL_EV_FUT_NEW ? m->aux : 0; break;
    case LL_WAIT_JOB: st->on_name = m && m->kind == LL_EV_JOB_SUBMIT ? m->str : 0; break;
    case LL_WAIT_IO:
        st->on_count = e->aux; /* the operation it waits for */
        break;
    default:
        if (e->sub >= LL_WAIT_LOCK && m && m->kind == LL_EV_SYNC_NEW) {
            const uint32_t *o = ll__idmap_get(&sc->ord, e->obj);
            st->on_ord = o ? *o : 0;
            st->on_name = m->str;
        }
        break;
    }
}

/* Notes the objects events make, for wait_role. */
static int note_made(scan *sc, const ll_trace_event *e, size_t i) {
    if (!e->obj)
        return 0;
    if (e->kind == LL_EV_SYNC_NEW) {
        uint32_t k = e->sub < LL_SYNC__COUNT ? e->sub : 0;
        if (ll__idmap_put(&sc->ord, e->obj, ++sc->nkind[k]) != 0)
            return -1;
    } else if (e->kind != LL_EV_FUT_NEW && e->kind != LL_EV_JOB_SUBMIT) {
        return 0;
    }
    return ll__idmap_put(&sc->made, e->obj, (uint32_t)(i + 1));
}

/* One event of a task that is not the runtime's. */
static int step_event(const ll_trace *t, ll_steps *s, scan *sc, size_t ti, size_t i) {
    const ll_trace_event *e = ev_at(t, i);
    size_t *open = &sc->open[ti];
    if (e->kind == LL_EV_TASK_RUN) {
        ll_step st = {.run = i,
                      .woke = sc->woke[ti],
                      .end = LL_STEP_NONE,
                      .act0 = s->nacts,
                      .t = e->t,
                      .task = e->task,
                      .loop = ll_trace_loop_of(t, i)};
        sc->woke[ti] = LL_STEP_NONE;
        *open = s->n;
        return push_step(s, &st);
    }
    if (e->kind == LL_EV_TASK_READY && *open == LL_STEP_NONE) {
        if (sc->woke[ti] == LL_STEP_NONE)
            sc->woke[ti] = i;
        return 0;
    }
    if (*open == LL_STEP_NONE)
        return 0;
    ll_step *st = &s->v[*open];
    if ((e->kind == LL_EV_PRINT && !e->obj) || e->kind == LL_EV_CANCEL) {
        st->nact++;
        return push_act(s, i);
    }
    if (e->kind == LL_EV_TASK_READY || is_ender(e->kind)) {
        st->end = i;
        if (e->kind == LL_EV_TASK_READY) /* a yield: it is queued again at once */
            sc->woke[ti] = i;
        if (e->kind == LL_EV_TASK_WAIT)
            wait_role(t, sc, st, e);
        *open = LL_STEP_NONE;
    }
    return 0;
}

int ll_steps_of(const ll_trace *t, ll_steps *s) {
    memset(s, 0, sizeof *s);
    s->t = t;
    scan sc = {0};
    size_t nt = t->ntasks ? t->ntasks : 1;
    sc.open = malloc(nt * sizeof *sc.open);
    sc.woke = malloc(nt * sizeof *sc.woke);
    int rc = sc.open && sc.woke ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < nt; k++)
        sc.open[k] = sc.woke[k] = LL_STEP_NONE;
    for (size_t i = t->rec.base; rc == 0 && i < t->rec.n; i++) {
        const ll_trace_event *e = ev_at(t, i);
        rc = note_made(&sc, e, i);
        const ll_trace_task *tk = e->task ? ll_trace_task_of(t, e->task) : NULL;
        if (rc == 0 && tk && !tk->runtime)
            rc = step_event(t, s, &sc, (size_t)(tk - t->tasks), i);
    }
    free(sc.open);
    free(sc.woke);
    ll__idmap_free(&sc.made);
    ll__idmap_free(&sc.ord);
    if (rc != 0)
        ll_steps_free(s);
    return rc;
}

void ll_steps_free(ll_steps *s) {
    free(s->v);
    free(s->acts);
    memset(s, 0, sizeof *s);
}

size_t ll_steps_at(const ll_steps *s, size_t event) {
    size_t lo = 0, hi = s->n; /* the first step whose run is after event */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].run <= event)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : LL_STEP_NONE;
}

/* ---- comparing ----------------------------------------------------------------- */

static const ll_trace_event *end_of(const ll_steps *s, const ll_step *st) {
    return st->end == LL_STEP_NONE ? NULL : ev_at(s->t, st->end);
}

static uint16_t woke_reason(const ll_steps *s, const ll_step *st) {
    return st->woke == LL_STEP_NONE ? LL_REASON_NONE : ev_at(s->t, st->woke)->sub;
}

static uint32_t task_name(const ll_steps *s, const ll_step *st) {
    const ll_trace_task *tk = ll_trace_task_of(s->t, st->task);
    return tk ? tk->name : 0;
}

/* Whether two waits of the same kind wait on the same thing, by role. */
static bool same_on(const ll_steps *a, const ll_step *x, const ll_steps *b, const ll_step *y,
                    uint16_t kind) {
    switch (kind) {
    case LL_WAIT_SLEEP: return llabs(x->on_for - y->on_for) <= SLEEP_SLACK_NS;
    case LL_WAIT_TASK:
    case LL_WAIT_JOB: return same_str(a->t, x->on_name, b->t, y->on_name);
    case LL_WAIT_GATHER:
    case LL_WAIT_IO: return x->on_count == y->on_count;
    default: return x->on_ord == y->on_ord;
    }
}

/* How the ends of two steps differ (LL_DIFF_NONE: they do not). */
static ll_step_diff_kind end_diff(const ll_steps *a, const ll_step *x, const ll_steps *b,
                                  const ll_step *y) {
    const ll_trace_event *ex = end_of(a, x), *ey = end_of(b, y);
    if (!ex || !ey)
        return ex == ey ? LL_DIFF_NONE : LL_DIFF_END;
    if (ex->kind != ey->kind)
        return LL_DIFF_END;
    switch (ex->kind) {
    case LL_EV_TASK_WAIT:
        if (ex->sub != ey->sub)
            return LL_DIFF_WAIT;
        return same_on(a, x, b, y, ex->sub) ? LL_DIFF_NONE : LL_DIFF_ON;
    case LL_EV_TASK_READY: return ex->sub == ey->sub ? LL_DIFF_NONE : LL_DIFF_END;
    case LL_EV_TASK_DONE:
        return same_str(a->t, ex->str, b->t, ey->str) ? LL_DIFF_NONE : LL_DIFF_VALUE;
    case LL_EV_TASK_FAILED:
        return ex->aux == ey->aux && same_str(a->t, ex->str, b->t, ey->str) ? LL_DIFF_NONE
                                                                            : LL_DIFF_VALUE;
    default: return LL_DIFF_NONE;
    }
}

/* Whether two acts (print or cancel events) are the same. */
static bool same_act(const ll_steps *a, const ll_trace_event *x, const ll_steps *b,
                     const ll_trace_event *y) {
    if (x->kind != y->kind)
        return false;
    if (x->kind == LL_EV_PRINT)
        return same_str(a->t, x->str, b->t, y->str);
    const ll_trace_task *tx = ll_trace_task_of(a->t, x->obj), *ty = ll_trace_task_of(b->t, y->obj);
    return x->aux == y->aux && tx && ty && same_str(a->t, tx->name, b->t, ty->name);
}

/* How two steps differ, in the order things happen in a step. */
static ll_step_diff_kind step_diff(const ll_steps *a, const ll_step *x, const ll_steps *b,
                                   const ll_step *y, size_t *act) {
    if (!same_str(a->t, task_name(a, x), b->t, task_name(b, y)))
        return LL_DIFF_TASK;
    if (woke_reason(a, x) != woke_reason(b, y))
        return LL_DIFF_WOKE;
    for (size_t k = 0; k < x->nact || k < y->nact; k++) {
        *act = k;
        const ll_trace_event *ex = k < x->nact ? ev_at(a->t, a->acts[x->act0 + k]) : NULL;
        const ll_trace_event *ey = k < y->nact ? ev_at(b->t, b->acts[y->act0 + k]) : NULL;
        if (!ex || !ey || !same_act(a, ex, b, ey))
            return (ex && ex->kind == LL_EV_CANCEL) || (ey && ey->kind == LL_EV_CANCEL)
                       ? LL_DIFF_CANCEL
                       : LL_DIFF_PRINT;
    }
    *act = 0;
    return end_diff(a, x, b, y);
}

int ll_steps_diff(const ll_steps *a, const ll_steps *b, ll_step_diff *d) {
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        d->what = step_diff(a, &a->v[i], b, &b->v[i], &d->act);
        if (d->what != LL_DIFF_NONE) {
            d->step = i;
            return 1;
        }
    }
    d->step = a->n < b->n ? a->n : b->n;
    if (a->n != b->n) {
        d->what = LL_DIFF_SHORT;
        return 1;
    }
    return 0;
}

const char *ll_step_diff_name(ll_step_diff_kind k) {
    switch (k) {
    case LL_DIFF_NONE: return "nothing";
    case LL_DIFF_TASK: return "which task runs";
    case LL_DIFF_WOKE: return "what woke the task";
    case LL_DIFF_PRINT: return "what the task prints";
    case LL_DIFF_CANCEL: return "what the task cancels";
    case LL_DIFF_END: return "how the step ends";
    case LL_DIFF_WAIT: return "what kind of thing the task waits on";
    case LL_DIFF_ON: return "which one the task waits on";
    case LL_DIFF_VALUE: return "the task's result";
    case LL_DIFF_SHORT: return "the number of steps";
    }
    return "?";
}

/* ---- in words ------------------------------------------------------------------ */

/* A growing line in a caller's buffer, cut (not overrun) when full. */
typedef struct words {
    char *p;
    size_t len, cap;
} words;

static void say(words *w, const char *fmt, ...) {
    if (w->len + 1 >= w->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        w->len = w->len + (size_t)n < w->cap ? w->len + (size_t)n : w->cap - 1;
}

/* A string of the trace, quoted, safe for a terminal, at most `max` bytes. */
static void say_str(words *w, const ll_trace *t, uint32_t id, size_t max) {
    size_t n;
    const char *s = str_of(t, id, &n);
    char buf[256];
    bool cut = n > max;
    ll_trace_term_safe(buf, sizeof buf, s, cut ? max : n);
    say(w, "\"%s%s\"", buf, cut ? "..." : "");
}

static void say_name(words *w, const ll_trace *t, uint32_t id) {
    size_t n;
    const char *s = str_of(t, id, &n);
    char buf[128];
    say(w, "'%s'", ll_trace_term_safe(buf, sizeof buf, s, n));
}

static const char *reason_words(uint16_t r) {
    switch (r) {
    case LL_REASON_CREATED: return "it was just created (its first step)";
    case LL_REASON_YIELD: return "it had yielded (sleep(0)) and its turn came again";
    case LL_REASON_FUTURE_DONE: return "the future it awaited completed";
    case LL_REASON_TASK_DONE: return "the task it awaited finished";
    case LL_REASON_SLEEP_DONE: return "its sleep ended";
    case LL_REASON_CANCELLED: return "it was cancelled";
    case LL_REASON_TIMER: return "a timer came due";
    case LL_REASON_CALL_SOON: return "a call_soon callback";
    case LL_REASON_DONE_CALLBACK: return "a done callback";
    case LL_REASON_GATHER: return "gather's callback";
    case LL_REASON_JOB_DONE: return "its thread-pool job finished";
    case LL_REASON_IO: return "its socket was ready";
    case LL_REASON_THREADSAFE: return "another thread called call_soon_threadsafe";
    default: return "nothing the trace shows";
    }
}

static void say_woke(words *w, const ll_steps *s, const ll_step *st) {
    uint16_t r = woke_reason(s, st);
    const char *name = ll__field_enum_name(T_REASON, r);
    say(w, "woken because %s (%s)", reason_words(r), name ? name : "none");
}

/* What a waiting step waits on. */
static void say_on(words *w, const ll_steps *s, const ll_step *st, const ll_trace_event *e) {
    const char *kind = ll__field_enum_name(T_WAIT, e->sub);
    switch (e->sub) {
    case LL_WAIT_SLEEP: say(w, "asyncio.sleep(%.9g)", (double)st->on_for / 1e9); return;
    case LL_WAIT_TASK:
        say(w, "task ");
        say_name(w, s->t, st->on_name);
        return;
    case LL_WAIT_GATHER: say(w, "a gather of %" PRIu32, st->on_count); return;
    case LL_WAIT_JOB:
        say(w, "a thread-pool job running ");
        say_name(w, s->t, st->on_name);
        return;
    case LL_WAIT_IO: {
        const char *op = ll__field_enum_name(T_IOOP, st->on_count);
        say(w, "a socket (%s)", op ? op : "?");
        return;
    }
    case LL_WAIT_FUTURE: say(w, "a future"); return;
    case LL_WAIT_TASKGROUP: say(w, "the tasks of its TaskGroup"); return;
    case LL_WAIT_WAIT_FOR: say(w, "wait_for"); return;
    case LL_WAIT_WAIT: say(w, "asyncio.wait"); return;
    default: break;
    }
    say(w, "%s #%" PRIu32, kind ? kind : "?", st->on_ord);
    if (st->on_name) {
        say(w, " ");
        say_name(w, s->t, st->on_name);
    }
}

/* How a step ends. */
static void say_end(words *w, const ll_steps *s, const ll_step *st) {
    const ll_trace_event *e = end_of(s, st);
    if (!e) {
        say(w, "is still running when the trace stops");
        return;
    }
    switch (e->kind) {
    case LL_EV_TASK_WAIT:
        say(w, "waits on ");
        say_on(w, s, st, e);
        say(w, " (%s)",
            ll__field_enum_name(T_WAIT, e->sub) ? ll__field_enum_name(T_WAIT, e->sub) : "?");
        return;
    case LL_EV_TASK_READY: say(w, "yields and is ready again at once"); return;
    case LL_EV_TASK_DONE:
        say(w, "returns ");
        say_str(w, s->t, e->str, 60);
        return;
    case LL_EV_TASK_FAILED: {
        const char *err = ll__field_enum_name(T_ERR, e->aux);
        say(w, "raises %s: ", err ? err : "an error");
        say_str(w, s->t, e->str, 60);
        return;
    }
    case LL_EV_TASK_CANCELLED: say(w, "is cancelled"); return;
    default: say(w, "ends"); return;
    }
}

/* A print ("prints \"...\"") or a cancel ("cancels task 'x'"). */
static void say_act(words *w, const ll_steps *s, const ll_trace_event *e) {
    if (e->kind == LL_EV_PRINT) {
        say(w, "prints ");
        say_str(w, s->t, e->str, 100);
        return;
    }
    const ll_trace_task *tk = ll_trace_task_of(s->t, e->obj);
    say(w, "cancels task ");
    say_name(w, s->t, tk ? tk->name : 0);
    say(w, e->aux ? "" : " (refused: it is already done)");
}

char *ll_step_describe(const ll_steps *s, size_t step, char *buf, size_t cap) {
    words w = {buf, 0, cap};
    if (cap)
        buf[0] = '\0';
    if (step >= s->n) {
        say(&w, "no step: the run is over");
        return buf;
    }
    const ll_step *st = &s->v[step];
    say_name(&w, s->t, task_name(s, st));
    say(&w, ", ");
    say_woke(&w, s, st);
    size_t lines = 0;
    for (size_t k = 0; k < st->nact; k++) {
        const ll_trace_event *e = ev_at(s->t, s->acts[st->act0 + k]);
        if (e->kind == LL_EV_CANCEL) {
            say(&w, ", ");
            say_act(&w, s, e);
        } else {
            lines++;
        }
    }
    if (lines)
        say(&w, ", prints %zu line%s", lines, lines == 1 ? "" : "s");
    say(&w, ", then ");
    say_end(&w, s, st);
    return buf;
}

/* ---- the report ---------------------------------------------------------------- */

/* The first (or last) event of the step's task in [from, to) with a source
 * site, or NONE. */
static size_t site_in(const ll_steps *s, const ll_step *st, size_t from, size_t to, bool last) {
    size_t found = LL_STEP_NONE;
    for (size_t i = from; i < to && i < s->t->rec.n; i++) {
        const ll_trace_event *e = ev_at(s->t, i);
        if (e->task == st->task && e->site) {
            found = i;
            if (!last)
                break;
        }
    }
    return found;
}

/* Where in the source the part of a step a difference is about happened: an
 * event with a site, or NONE. */
static size_t diff_site(const ll_steps *s, size_t k, const ll_step_diff *d) {
    const ll_step *st = &s->v[k];
    size_t stop = st->end == LL_STEP_NONE ? s->t->rec.n : st->end + 1;
    if (d->what == LL_DIFF_WOKE) {
        if (st->woke != LL_STEP_NONE && ev_at(s->t, st->woke)->site)
            return st->woke;
        for (size_t j = k; j-- > 0;) /* where it was suspended: its last step's end */
            if (s->v[j].task == st->task)
                return s->v[j].end != LL_STEP_NONE && ev_at(s->t, s->v[j].end)->site
                           ? s->v[j].end
                           : site_in(s, &s->v[j], s->v[j].run, s->v[j].end, true);
        return LL_STEP_NONE;
    }
    if ((d->what == LL_DIFF_PRINT || d->what == LL_DIFF_CANCEL) && d->act < st->nact)
        return s->acts[st->act0 + d->act];
    if (d->what == LL_DIFF_TASK || d->what == LL_DIFF_SHORT)
        return site_in(s, st, st->run, stop, false);
    if (st->end != LL_STEP_NONE && ev_at(s->t, st->end)->site)
        return st->end;
    return site_in(s, st, st->run, stop, true);
}

static void say_site(words *w, const ll_steps *s, size_t ev) {
    const ll__site *site =
        ev == LL_STEP_NONE ? NULL : ll__rec_sitep(&s->t->rec, ev_at(s->t, ev)->site);
    if (!site || !site->file)
        return;
    const char *slash = strrchr(site->file, '/');
    char buf[256];
    const char *f = slash ? slash + 1 : site->file;
    say(w, "  [%s:%d]", ll_trace_term_safe(buf, sizeof buf, f, strlen(f)), site->line);
}

/* The part of step k a difference is about, as one side did it. */
static void say_aspect(words *w, const ll_steps *s, size_t k, const ll_step_diff *d) {
    if (k >= s->n) {
        say(w, "has no step %zu: its run is over after %zu steps", k + 1, s->n);
        return;
    }
    const ll_step *st = &s->v[k];
    switch (d->what) {
    case LL_DIFF_TASK:
        say(w, "runs task ");
        say_name(w, s->t, task_name(s, st));
        break;
    case LL_DIFF_WOKE: say_woke(w, s, st); break;
    case LL_DIFF_PRINT:
    case LL_DIFF_CANCEL:
        if (d->act < st->nact) {
            say_act(w, s, ev_at(s->t, s->acts[st->act0 + d->act]));
        } else {
            say(w, "prints no more lines and cancels no more tasks, then ");
            say_end(w, s, st);
        }
        break;
    case LL_DIFF_SHORT:
        ll_step_describe(s, k, w->p + w->len, w->cap - w->len);
        w->len += strlen(w->p + w->len);
        break;
    default: say_end(w, s, st); break;
    }
    say_site(w, s, diff_site(s, k, d));
}

void ll_steps_report(FILE *out, const ll_steps *a, const char *la, const ll_steps *b,
                     const char *lb, const ll_step_diff *d) {
    if (d->what == LL_DIFF_NONE) {
        fprintf(out, "agree: %zu steps\n", d->step);
        return;
    }
    size_t k = d->step;
    const ll_steps *has = k < a->n ? a : b;
    const ll_step *st = &has->v[k];
    char name[160] = "";
    words nw = {name, 0, sizeof name};
    say_name(&nw, has->t, task_name(has, st));
    fprintf(out, "differ at step %zu (loop time %.3f s, task %s): %s\n", k + 1, (double)st->t / 1e9,
            name, ll_step_diff_name(d->what));
    int width = (int)(strlen(la) > strlen(lb) ? strlen(la) : strlen(lb));
    const ll_steps *side[2] = {a, b};
    const char *label[2] = {la, lb};
    char buf[1024];
    for (int i = 0; i < 2; i++) {
        words w = {buf, 0, sizeof buf};
        buf[0] = '\0';
        say_aspect(&w, side[i], k, d);
        fprintf(out, "  %-*s  %s\n", width, label[i], buf);
    }
    if (d->what != LL_DIFF_SHORT) {
        fprintf(out, "the whole step:\n");
        for (int i = 0; i < 2; i++)
            fprintf(out, "  %-*s  %s\n", width, label[i],
                    ll_step_describe(side[i], k, buf, sizeof buf));
    }
    if (k == 1)
        fprintf(out, "the step before agrees.\n");
    else if (k)
        fprintf(out, "the %zu steps before agree.\n", k);
    else
        fprintf(out, "they differ from the first step.\n");
}
