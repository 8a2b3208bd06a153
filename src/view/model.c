/* model.c - the viewer model (see model.h). */
#include "view/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#define NONE UINT32_MAX
/* Checkpoints may take this much memory in all; more events per checkpoint
 * on big traces keeps them under it. */
#define CKPT_BUDGET ((size_t)32 << 20)
#define CKPT_MIN_EVERY 256

static const char *const state_names[LLV__NSTATES] = {"unborn",  "pending", "ready",  "running",
                                                      "waiting", "done",    "failed", "cancelled"};

const char *llv_state_name(unsigned s) {
    return s < LLV__NSTATES ? state_names[s] : "?";
}

const ll_trace_event *llv_event(const llv_model *m, size_t i) {
    return ll__rec_at(&m->trace.rec, i);
}

const char *llv_str(const llv_model *m, uint32_t id) {
    return ll__rec_strp(&m->trace.rec, id, NULL);
}

static size_t hash_id(uint32_t id, size_t cap) {
    return (size_t)((id * 2654435761u) & (cap - 1));
}

uint32_t llv_task_index(const llv_model *m, uint32_t id) {
    if (!m->idcap)
        return NONE;
    for (size_t h = hash_id(id, m->idcap);; h = (h + 1) & (m->idcap - 1)) {
        uint32_t v = m->idmap[h];
        if (!v)
            return NONE;
        if (m->info[v - 1].id == id)
            return v - 1;
    }
}

/* Records whose first member is their uint32_t id (primitives, sockets),
 * kept sorted by it: they are made in id order, except when several loops
 * interleave, so an insertion sort is nearly free. */
static uint32_t rec_id(const void *base, size_t size, size_t i) {
    uint32_t id;
    memcpy(&id, (const char *)base + i * size, sizeof id);
    return id;
}

_Static_assert(sizeof(llv_syncinfo) <= 64 && sizeof(llv_sockinfo) <= 64,
               "sort_by_id swaps records through a 64-byte buffer");
_Static_assert(offsetof(llv_syncinfo, id) == 0 && offsetof(llv_sockinfo, id) == 0,
               "sorted records start with their id");

static void sort_by_id(void *base, size_t n, size_t size) {
    char tmp[64];
    char *b = base;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && rec_id(b, size, j - 1) > rec_id(b, size, j); j--) {
            memcpy(tmp, b + j * size, size);
            memcpy(b + j * size, b + (j - 1) * size, size);
            memcpy(b + (j - 1) * size, tmp, size);
        }
}

/* Index of `id` among n records sorted by id, or NONE. */
static uint32_t find_by_id(const void *base, size_t n, size_t size, uint32_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rec_id(base, size, mid) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && rec_id(base, size, lo) == id ? (uint32_t)lo : NONE;
}

uint32_t llv_sync_index(const llv_model *m, uint32_t id) {
    return find_by_id(m->sync, m->nsync, sizeof *m->sync, id);
}

const char *llv_socket_addr(const llv_model *m, uint32_t id) {
    uint32_t k = find_by_id(m->socks, m->nsocks, sizeof *m->socks, id);
    return k != NONE ? llv_str(m, m->socks[k].addr) : NULL;
}

unsigned llv_event_loop(const llv_model *m, size_t i) {
    return ll_trace_loop_of(&m->trace, i);
}

const char *llv_task_name(const llv_model *m, uint32_t index) {
    if (index >= m->ntasks)
        return "?";
    return llv_str(m, m->info[index].name);
}

bool llv_task_runtime(const llv_model *m, uint32_t index) {
    if (index >= m->ntasks)
        return false;
    const ll_trace_task *t = ll_trace_task_of(&m->trace, m->info[index].id);
    return t && t->runtime;
}

/* Whether event i is a step of one of the program's own tasks. */
static bool program_step(const llv_model *m, size_t i) {
    const ll_trace_event *e = llv_event(m, i);
    return e->kind == LL_EV_TASK_RUN && !llv_task_runtime(m, llv_task_index(m, e->task));
}

/* Where the step that begins at `run` (a `run` event) ends: the task's
 * next wait, done, failed or cancelled (the last event when none comes). */
static size_t step_end(const llv_model *m, size_t run) {
    uint32_t task = llv_event(m, run)->task;
    for (size_t i = run + 1; i < m->n; i++) {
        const ll_trace_event *e = llv_event(m, i);
        if (e->task == task && (e->kind == LL_EV_TASK_WAIT || e->kind == LL_EV_TASK_DONE ||
                                e->kind == LL_EV_TASK_FAILED || e->kind == LL_EV_TASK_CANCELLED))
            return i;
    }
    return m->n - 1;
}

/* The lines task `task` printed in events (from, to]. */
static size_t prints_in(const llv_model *m, uint32_t task, size_t from, size_t to) {
    size_t n = 0;
    for (size_t i = from + 1; i <= to && i < m->n; i++) {
        const ll_trace_event *e = llv_event(m, i);
        n += e->kind == LL_EV_PRINT && e->task == task;
    }
    return n;
}

size_t llv_corresponding_step(const llv_model *from, size_t step, const llv_model *to,
                              bool *past_end) {
    size_t k = 0, run = 0;
    for (size_t i = 0; i <= step && i < from->n; i++)
        if (program_step(from, i)) {
            k++;
            run = i;
        }
    *past_end = false;
    if (k == 0 || to->n == 0)
        return 0;
    size_t to_run = SIZE_MAX;
    for (size_t i = 0, seen = 0; i < to->n && to_run == SIZE_MAX; i++)
        if (program_step(to, i) && ++seen == k)
            to_run = i;
    if (to_run == SIZE_MAX) {
        *past_end = true;
        return to->n - 1;
    }
    /* Inside the step, as far as the lines it printed; after its end, its
     * end (what comes between two steps differs: polls, timers). */
    size_t end_from = step_end(from, run), end_to = step_end(to, to_run);
    if (step == run)
        return to_run;
    if (step >= end_from)
        return end_to;
    size_t lines = prints_in(from, llv_event(from, run)->task, run, step);
    uint32_t task = llv_event(to, to_run)->task;
    size_t at = to_run;
    for (size_t i = to_run + 1; lines && i < end_to; i++) {
        const ll_trace_event *e = llv_event(to, i);
        if (e->kind == LL_EV_PRINT && e->task == task) {
            at = i;
            lines--;
        }
    }
    return at;
}

size_t llv_lower(const uint32_t *a, size_t n, size_t v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- states -------------------------------------------------------------- */

static int state_init(const llv_model *m, llv_state *s) {
    memset(s, 0, sizeof *s);
    s->running = NONE;
    s->poll_timeout = -1;
    s->tasks = calloc(m->ntasks ? m->ntasks : 1, sizeof *s->tasks);
    s->syncval = calloc(m->nsync ? m->nsync : 1, sizeof *s->syncval);
    s->syncwait = calloc(m->nsync ? m->nsync : 1, sizeof *s->syncwait);
    if (!s->tasks || !s->syncval || !s->syncwait)
        return -1;
    for (size_t i = 0; i < m->ntasks; i++)
        s->tasks[i].until = -1;
    s->step = UINT32_MAX; /* before the first event */
    return 0;
}

static void state_free(llv_state *s) {
    free(s->tasks);
    free(s->rbase);
    free(s->timers);
    free(s->syncval);
    free(s->syncwait);
    memset(s, 0, sizeof *s);
}

static int grow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* dst = src (dst zeroed, or initialised for this model). */
static int state_copy(const llv_model *m, llv_state *dst, const llv_state *src) {
    if (!dst->tasks && state_init(m, dst) != 0)
        return -1;
    llv_task *tasks = dst->tasks;
    uint32_t *sv = dst->syncval, *sw = dst->syncwait;
    llv_entry *rbase = dst->rbase;
    size_t readycap = dst->readycap;
    llv_timer *timers = dst->timers;
    size_t timercap = dst->timercap;
    *dst = *src;
    dst->tasks = tasks;
    dst->syncval = sv;
    dst->syncwait = sw;
    dst->rbase = rbase;
    dst->readycap = readycap;
    dst->timers = timers;
    dst->timercap = timercap;
    memcpy(dst->tasks, src->tasks, m->ntasks * sizeof *src->tasks);
    memcpy(dst->syncval, src->syncval, m->nsync * sizeof *src->syncval);
    memcpy(dst->syncwait, src->syncwait, m->nsync * sizeof *src->syncwait);
    if (grow((void **)&dst->rbase, &dst->readycap, src->nready, sizeof *src->ready) ||
        grow((void **)&dst->timers, &dst->timercap, src->ntimers, sizeof *src->timers))
        return -1;
    dst->ready = dst->rbase; /* copies are compacted */
    if (src->nready)
        memcpy(dst->ready, src->ready, src->nready * sizeof *src->ready);
    if (src->ntimers)
        memcpy(dst->timers, src->timers, src->ntimers * sizeof *src->timers);
    return 0;
}

bool llv_state_equal(const llv_model *m, const llv_state *a, const llv_state *b) {
    return a->step == b->step && a->now == b->now && a->iteration == b->iteration &&
           a->phase == b->phase && a->running == b->running && a->poll_timeout == b->poll_timeout &&
           a->bad == b->bad && a->nready == b->nready && a->ntimers == b->ntimers &&
           memcmp(a->tasks, b->tasks, m->ntasks * sizeof *a->tasks) == 0 &&
           memcmp(a->syncval, b->syncval, m->nsync * sizeof *a->syncval) == 0 &&
           memcmp(a->syncwait, b->syncwait, m->nsync * sizeof *a->syncwait) == 0 &&
           (!a->nready || memcmp(a->ready, b->ready, a->nready * sizeof *a->ready) == 0) &&
           (!a->ntimers || memcmp(a->timers, b->timers, a->ntimers * sizeof *a->timers) == 0);
}

static void set_task(llv_task *t, llv_tstate st, uint32_t step, uint32_t site) {
    t->state = (uint8_t)st;
    t->since = step;
    t->cancelling = 0; /* a cancel is news until the task next moves */
    if (site)
        t->site = site;
    if (st != LLV_WAITING) {
        t->wait = 0;
        t->obj = 0;
        t->until = -1;
    }
}

static void push_entry(llv_state *s, uint32_t task, uint32_t obj, bool cb, unsigned reason,
                       uint32_t pos) {
    size_t head = s->ready ? (size_t)(s->ready - s->rbase) : 0;
    if (head + s->nready == s->readycap) {
        if (head && head >= s->nready) { /* at least half free: slide down */
            memmove(s->rbase, s->ready, s->nready * sizeof *s->ready);
            head = 0;
        } else if (grow((void **)&s->rbase, &s->readycap, head + s->nready + 1, sizeof *s->rbase)) {
            s->bad++;
            return;
        }
        s->ready = s->rbase + head;
    }
    if (!s->ready)
        s->ready = s->rbase;
    if (pos != s->nready)
        s->bad++; /* the scheduler's queue and ours disagree */
    s->ready[s->nready++] = (llv_entry){task, obj, cb, (uint8_t)reason, 0};
}

static bool pop_entry(llv_state *s, llv_entry *out) {
    if (!s->nready) {
        s->bad++;
        return false;
    }
    *out = s->ready[0];
    s->nready--;
    s->ready = s->nready ? s->ready + 1 : s->rbase;
    return true;
}

/* Keeps the timers in the order the loop fires them: by deadline, and in
 * arming order among equal deadlines (the loop's heap breaks ties by a
 * sequence number).  Room for one more was made by the caller. */
static void timer_insert(llv_state *s, llv_timer tm) {
    size_t at = s->ntimers;
    while (at > 0 && s->timers[at - 1].when > tm.when)
        at--;
    memmove(s->timers + at + 1, s->timers + at, (s->ntimers - at) * sizeof *s->timers);
    s->timers[at] = tm;
    s->ntimers++;
}

static void timer_remove(llv_state *s, uint32_t id) {
    for (size_t i = 0; i < s->ntimers; i++)
        if (s->timers[i].id == id) {
            memmove(s->timers + i, s->timers + i + 1, (s->ntimers - i - 1) * sizeof *s->timers);
            s->ntimers--;
            return;
        }
}

/* The task side of an event, for any loop: its state, what it waits on.
 * Returns false for events that are not a task's change of state. */
static bool apply_task(const llv_model *m, llv_state *s, const ll_trace_event *e, llv_task *t) {
    switch ((ll_event_kind)e->kind) {
    case LL_EV_TASK_NEW: set_task(t, LLV_PENDING, s->step, e->site); return true;
    case LL_EV_TASK_READY: set_task(t, LLV_READY, s->step, 0); return true;
    case LL_EV_TASK_RUN: set_task(t, LLV_RUNNING, s->step, 0); return true;
    case LL_EV_TASK_WAIT:
        set_task(t, LLV_WAITING, s->step, e->site);
        t->wait = (uint8_t)e->sub;
        t->op = (uint8_t)e->aux;
        t->obj = e->obj;
        t->until = e->val;
        return true;
    case LL_EV_TASK_DONE:
    case LL_EV_TASK_FAILED:
    case LL_EV_TASK_CANCELLED:
        set_task(t,
                 e->kind == LL_EV_TASK_DONE     ? LLV_DONE
                 : e->kind == LL_EV_TASK_FAILED ? LLV_FAILED
                                                : LLV_CANCELLED,
                 s->step, e->site);
        return true;
    default: (void)m; return false;
    }
}

static bool is_queue(unsigned kind) {
    return kind == LL_SYNC_QUEUE || kind == LL_SYNC_PRIORITY_QUEUE || kind == LL_SYNC_LIFO_QUEUE;
}

static void apply_sync(const llv_model *m, llv_state *s, const ll_trace_event *e) {
    uint32_t k = llv_sync_index(m, e->obj);
    if (k != NONE) {
        /* sync_new's value is a semaphore's counter, but a queue's maxsize
         * and a barrier's parties: those start empty */
        unsigned kind = m->sync[k].kind;
        bool counter = kind == LL_SYNC_SEMAPHORE || kind == LL_SYNC_BOUNDED_SEMAPHORE;
        /* a queue's size changes with a put or a get; its task_done and
         * join (and join's block) carry the count of items not yet done */
        bool size = e->sub == LL_SYNC_OP_PUT || e->sub == LL_SYNC_OP_GET || !is_queue(kind);
        if (e->kind == LL_EV_SYNC_NEW)
            s->syncval[k] = counter ? e->aux : 0;
        else if (size)
            s->syncval[k] = e->aux;
        s->syncwait[k] = e->kind == LL_EV_SYNC ? (uint32_t)e->val : 0;
    }
}

/* An event of another loop than the first: its tasks' states and the
 * primitives change; the first loop's queue, phase and clock do not. */
static void apply_other_loop(const llv_model *m, llv_state *s, const ll_trace_event *e,
                             llv_task *t) {
    if (e->kind == LL_EV_SYNC_NEW || e->kind == LL_EV_SYNC)
        apply_sync(m, s, e);
    else if (t && !apply_task(m, s, e, t) && e->site && t->state == LLV_RUNNING)
        t->site = e->site;
}

/* Applies event i to s. */
/* The events of a task's life after its birth: ready, cancel, run, wait
 * and the three ends.  `t` is the event's task (index `ti`), or NULL. */
static void apply_task_event(const llv_model *m, llv_state *s, const ll_trace_event *e, uint32_t ti,
                             llv_task *t) {
    switch ((ll_event_kind)e->kind) {
    case LL_EV_TASK_READY:
        if (t) {
            /* woken by a cancel: say so, whatever woke it on the way */
            unsigned why = t->cancelling ? LL_REASON_CANCELLED : e->sub;
            apply_task(m, s, e, t);
            if (s->running == ti) /* it yielded */
                s->running = NONE;
            push_entry(s, ti, e->obj, false, why, e->aux);
        }
        break;
    case LL_EV_CANCEL: {
        uint32_t target = llv_task_index(m, e->obj);
        if (e->aux && target != NONE && s->tasks[target].state == LLV_WAITING)
            s->tasks[target].cancelling = 1;
        if (t && e->site && t->state == LLV_RUNNING) /* as for any other event */
            t->site = e->site;
        break;
    }
    case LL_EV_TASK_RUN: {
        s->phase = LLV_PH_RUN;
        llv_entry x;
        if (pop_entry(s, &x) && (x.is_cb || x.task != ti))
            s->bad++;
        if (e->aux != s->nready)
            s->bad++;
        if (t) {
            apply_task(m, s, e, t);
            s->running = ti;
        }
        break;
    }
    case LL_EV_TASK_WAIT:
    case LL_EV_TASK_DONE:
    case LL_EV_TASK_FAILED:
    case LL_EV_TASK_CANCELLED:
        if (t) {
            apply_task(m, s, e, t);
            if (s->running == ti)
                s->running = NONE;
        }
        break;
    default: break;
    }
}

static void apply(const llv_model *m, llv_state *s, size_t i) {
    const ll_trace_event *e = llv_event(m, i);
    uint32_t step = (uint32_t)i;
    uint32_t ti = e->task ? llv_task_index(m, e->task) : NONE;
    llv_task *t = ti != NONE ? &s->tasks[ti] : NULL;
    s->step = step;
    s->now = e->t;
    if (m->nloops > 1 && ll_trace_loop_of(&m->trace, i) > 1) {
        apply_other_loop(m, s, e, t);
        return;
    }
    switch ((ll_event_kind)e->kind) {
    case LL_EV_LOOP_START: s->phase = LLV_PH_START; break;
    case LL_EV_LOOP_STOP:
    case LL_EV_RUN_END:
        s->phase = LLV_PH_STOPPED;
        s->running = NONE;
        break;
    case LL_EV_ITER:
        s->iteration = (uint32_t)e->val;
        s->phase = LLV_PH_POLL;
        break;
    case LL_EV_POLL:
        s->phase = LLV_PH_POLL;
        s->poll_timeout = e->val;
        break;
    case LL_EV_TIMER_ARM:
        if (!grow((void **)&s->timers, &s->timercap, s->ntimers + 1, sizeof *s->timers))
            timer_insert(s, (llv_timer){e->obj, ti, e->val, e->site, 0});
        break;
    case LL_EV_TIMER_FIRE:
        s->phase = LLV_PH_TIMERS;
        timer_remove(s, e->obj);
        break;
    case LL_EV_TIMER_CANCEL: timer_remove(s, e->obj); break;
    case LL_EV_TASK_NEW:
        if (t)
            apply_task(m, s, e, t);
        break;
    case LL_EV_TASK_READY:
    case LL_EV_CANCEL:
    case LL_EV_TASK_RUN:
    case LL_EV_TASK_WAIT:
    case LL_EV_TASK_DONE:
    case LL_EV_TASK_FAILED:
    case LL_EV_TASK_CANCELLED: apply_task_event(m, s, e, ti, t); break;
    case LL_EV_CB_QUEUED: push_entry(s, ti, e->obj, true, e->sub, e->aux); break;
    case LL_EV_CB_RUN: {
        s->phase = LLV_PH_RUN;
        llv_entry x;
        if (pop_entry(s, &x) && !x.is_cb)
            s->bad++;
        break;
    }
    case LL_EV_SYNC_NEW:
    case LL_EV_SYNC:
        apply_sync(m, s, e);
        if (t && e->site && t->state == LLV_RUNNING) /* a release: its line */
            t->site = e->site;
        break;
    case LL_EV_CHECK: s->phase = LLV_PH_RUN; break;
    default:
        /* Prints, notes, futures, cancel requests: they change no state the
         * model keeps (the lists built in llv_model_build cover them). */
        if (t && e->site && t->state == LLV_RUNNING)
            t->site = e->site;
        break;
    }
}

/* ---- building ------------------------------------------------------------ */

static int push_u32(uint32_t **a, size_t *n, size_t *cap, uint32_t v) {
    if (grow((void **)a, cap, *n + 1, sizeof **a))
        return -1;
    (*a)[(*n)++] = v;
    return 0;
}

void llv_model_free(llv_model *m) {
    for (size_t k = 0; k < m->nckpt; k++)
        state_free(&m->ckpt[k]);
    free(m->ckpt);
    state_free(&m->cur);
    free(m->info);
    free(m->idmap);
    free(m->spans);
    free(m->sync);
    free(m->socks);
    free(m->qitems);
    free(m->qdone);
    free(m->prints);
    free(m->notes);
    free(m->note_until);
    free(m->warns);
    free(m->iters);
    free(m->switches);
    free(m->checks);
    free(m->jobs);
    free(m->entered);
    ll_trace_free(&m->trace);
    memset(m, 0, sizeof *m);
}

/* Before event i is applied: if it is the first line a running task runs
 * of its own, remember when (see llv_model.entered). */
static void note_entered(llv_model *m, size_t i) {
    const ll_trace_event *e = llv_event(m, i);
    uint32_t ti = e->task && e->site ? llv_task_index(m, e->task) : NONE;
    if (ti != NONE && m->entered[ti] == NONE && e->kind != LL_EV_TASK_NEW &&
        m->cur.tasks[ti].state == LLV_RUNNING)
        m->entered[ti] = (uint32_t)i;
}

static int fail(llv_model *m, char *err, size_t errlen, const char *what) {
    snprintf(err, errlen, "%s", what);
    llv_model_free(m);
    return -1;
}

/* Fills m->note_until (see llv_note_until).  One pass from the end finds,
 * for every event, the scheduler's next move: a timer that fires, a task
 * or callback queued, a task run. */
static int notes_hold(llv_model *m) {
    if (!m->nnotes)
        return 0;
    m->note_until = malloc(m->nnotes * sizeof *m->note_until);
    uint32_t *next = malloc(m->n * sizeof *next);
    if (!m->note_until || !next) {
        free(next);
        return -1;
    }
    uint32_t at = NONE;
    for (size_t i = m->n; i-- > 0;) {
        next[i] = at;
        const ll_trace_event *e = llv_event(m, i);
        unsigned k = e->kind;
        if (k == LL_EV_TASK_READY || k == LL_EV_TASK_RUN || k == LL_EV_TIMER_FIRE ||
            (k == LL_EV_CB_QUEUED && e->sub != LL_REASON_STOP)) /* stopping is no news */
            at = (uint32_t)i;
    }
    for (size_t k = 0; k < m->nnotes; k++) {
        size_t said = m->notes[k], from = said;
        const ll_trace_event *e = llv_event(m, said);
        uint32_t ti = e->task ? llv_task_index(m, e->task) : NONE;
        const llv_span *sp = ti != NONE ? llv_span_at(m, ti, said) : NULL;
        if (sp && sp->state == LLV_RUNNING && sp->ev1 < m->n)
            from = sp->ev1; /* the event its task gave the thread back at */
        else if (sp && sp->state == LLV_RUNNING)
            from = m->n - 1;
        uint32_t move = next[from];
        m->note_until[k] = move == NONE ? (uint32_t)m->n - 1 : move - 1;
    }
    free(next);
    return 0;
}

size_t llv_note_until(const llv_model *m, size_t k) {
    return k < m->nnotes && m->note_until ? m->note_until[k] : m->n - 1;
}

/* ---- a queue's items ------------------------------------------------------ */

/* Python's ordering of two reprs, for a PriorityQueue's front: numbers by
 * value, strings by their text, tuples item by item (a shorter prefix
 * first).  Anything else -- and a number against a string, which Python
 * would refuse to compare -- by the text of the repr.  Advances *a and *b
 * past what they compared. */
static int py_cmp(const char **a, const char **b);

static void skip_sp(const char **p) {
    while (**p == ' ')
        (*p)++;
}

/* One repr item, ending at a ',' or ')' of its own level (or the end). */
static const char *item_end(const char *p) {
    int depth = 0;
    char q = 0;
    for (; *p; p++) {
        if (q) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == q)
                q = 0;
        } else if (*p == '\'' || *p == '"')
            q = *p;
        else if (*p == '(' || *p == '[')
            depth++;
        else if ((*p == ')' || *p == ']') && depth-- == 0)
            return p;
        else if (*p == ',' && depth == 0)
            return p;
    }
    return p;
}

static int py_cmp(const char **a, const char **b) {
    skip_sp(a);
    skip_sp(b);
    if (**a == '(' && **b == '(') {
        (*a)++;
        (*b)++;
        for (;;) {
            skip_sp(a);
            skip_sp(b);
            bool ea = **a == ')' || !**a, eb = **b == ')' || !**b;
            if (ea || eb)
                return ea && eb ? 0 : ea ? -1 : 1;
            int c = py_cmp(a, b);
            if (c)
                return c;
            if (**a == ',')
                (*a)++;
            if (**b == ',')
                (*b)++;
        }
    }
    const char *ea = item_end(*a), *eb = item_end(*b);
    char *xa, *xb;
    double da = strtod(*a, &xa), db = strtod(*b, &xb);
    int c;
    if (xa == ea && xb == eb && xa != *a && xb != *b)
        c = da < db ? -1 : da > db;
    else {
        size_t na = (size_t)(ea - *a), nb = (size_t)(eb - *b);
        c = memcmp(*a, *b, na < nb ? na : nb);
        c = c ? c : na < nb ? -1 : na > nb;
    }
    *a = ea;
    *b = eb;
    return c;
}

static int repr_cmp(const llv_model *m, uint32_t x, uint32_t y) {
    const char *a = llv_str(m, x), *b = llv_str(m, y);
    return py_cmp(&a, &b);
}

/* Fills m->qitems: each queue's puts, and for each the get that took it
 * off.  A get takes the front item (see llv_queue_items); one that takes
 * an item the trace never saw put (a trace that starts part way) is
 * matched to none. */
static int queue_items_build(llv_model *m) {
    m->queue_items = m->trace.minor >= 6;
    if (!m->queue_items)
        return 0;
    for (size_t i = 0; i < m->n; i++) {
        const ll_trace_event *e = llv_event(m, i);
        if (e->kind == LL_EV_SYNC && (e->sub == LL_SYNC_OP_PUT || e->sub == LL_SYNC_OP_TASK_DONE)) {
            uint32_t k = llv_sync_index(m, e->obj);
            if (k != NONE && is_queue(m->sync[k].kind)) {
                if (e->sub == LL_SYNC_OP_PUT)
                    m->sync[k].nitems++;
                else
                    m->sync[k].ndone++;
            }
        }
    }
    size_t at = 0, dn = 0;
    for (size_t k = 0; k < m->nsync; k++) {
        m->sync[k].item0 = (uint32_t)at;
        at += m->sync[k].nitems;
        m->sync[k].nitems = 0;
        m->sync[k].done0 = (uint32_t)dn;
        dn += m->sync[k].ndone;
        m->sync[k].ndone = 0;
    }
    if (dn) {
        m->qdone = malloc(dn * sizeof *m->qdone);
        if (!m->qdone)
            return -1;
        for (size_t i = 0; i < m->n; i++) {
            const ll_trace_event *e = llv_event(m, i);
            uint32_t k = e->kind == LL_EV_SYNC && e->sub == LL_SYNC_OP_TASK_DONE
                             ? llv_sync_index(m, e->obj)
                             : NONE;
            if (k != NONE && is_queue(m->sync[k].kind))
                m->qdone[m->sync[k].done0 + m->sync[k].ndone++] = (uint32_t)i;
        }
    }
    if (!at)
        return 0;
    m->qitems = malloc(at * sizeof *m->qitems);
    /* the items in each queue as the events go: their indices, front first
     * for a Queue from head[k], in put order for the other kinds */
    uint32_t *in = malloc(at * sizeof *in), *head = calloc(m->nsync, sizeof *head),
             *nin = calloc(m->nsync, sizeof *nin);
    if (!m->qitems || !in || !head || !nin) {
        free(in);
        free(head);
        free(nin);
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        const ll_trace_event *e = llv_event(m, i);
        if (e->kind != LL_EV_SYNC || (e->sub != LL_SYNC_OP_PUT && e->sub != LL_SYNC_OP_GET))
            continue;
        uint32_t k = llv_sync_index(m, e->obj);
        if (k == NONE || !is_queue(m->sync[k].kind))
            continue;
        llv_syncinfo *q = &m->sync[k];
        uint32_t *list = in + q->item0;
        if (e->sub == LL_SYNC_OP_PUT) {
            uint32_t x = q->item0 + q->nitems++;
            m->qitems[x] =
                (llv_qitem){(uint32_t)i, NONE, e->str, ll_trace_clipped(&m->trace, i) > 0};
            list[nin[k]++] = x;
            continue;
        }
        /* a get: the items the trace saw put, and the queue's size before */
        uint32_t known = nin[k] - head[k], size = e->aux + 1;
        if (!known || (q->kind == LL_SYNC_QUEUE && size > known))
            continue; /* it took one put before the trace began */
        uint32_t x;
        if (q->kind == LL_SYNC_QUEUE)
            x = list[head[k]++];
        else if (q->kind == LL_SYNC_LIFO_QUEUE)
            x = list[--nin[k]];
        else { /* the one whose repr the get names */
            uint32_t j = 0;
            while (j < nin[k] &&
                   strcmp(llv_str(m, m->qitems[list[j]].str), llv_str(m, e->str)) != 0)
                j++;
            if (j == nin[k])
                continue;
            x = list[j];
            memmove(list + j, list + j + 1, (nin[k] - j - 1) * sizeof *list);
            nin[k]--;
        }
        m->qitems[x].got = (uint32_t)i;
    }
    m->nqitems = at;
    free(in);
    free(head);
    free(nin);
    return 0;
}

/* A job's start or end (a worker thread took it up, or it finished). */
static void job_event(llv_model *m, const ll_trace_event *e, size_t i) {
    uint32_t k = llv_job_index(m, e->obj);
    if (k == NONE)
        return; /* an end without a submit: a damaged trace; ignore */
    llv_job *j = &m->jobs[k];
    if (e->kind == LL_EV_JOB_START) {
        j->ev_start = (uint32_t)i;
        j->t_start = e->t;
        j->worker = e->aux;
        if (e->aux > m->nworkers && e->aux < 4096)
            m->nworkers = e->aux;
    } else {
        j->ev_end = (uint32_t)i;
        j->t_end = e->t;
        j->outcome = (uint8_t)e->sub;
    }
}

/* Pass 1: tasks, primitives, sockets, jobs, and the lists of interesting
 * events.  Returns 0, or -1 when memory ran out. */
static int model_scan(llv_model *m) {
    size_t cap_info = 0, cap_sync = 0, cap_jobs = 0, cap_socks = 0, cp = 0, cn = 0, cw = 0, ci = 0,
           cs = 0, cc = 0;
    for (size_t i = 0; i < m->n; i++) {
        const ll_trace_event *e = llv_event(m, i);
        switch (e->kind) {
        case LL_EV_TASK_NEW:
            if (grow((void **)&m->info, &cap_info, m->ntasks + 1, sizeof *m->info))
                return -1;
            m->info[m->ntasks++] =
                (llv_taskinfo){e->task,     e->obj, e->str, e->aux, e->site,
                               (uint32_t)i, NONE,   0,      0,      ll_trace_loop_of(&m->trace, i)};
            break;
        case LL_EV_SYNC_NEW:
            if (grow((void **)&m->sync, &cap_sync, m->nsync + 1, sizeof *m->sync))
                return -1;
            m->sync[m->nsync++] =
                (llv_syncinfo){e->obj, (uint8_t)e->sub, e->str, e->site, (uint32_t)i, 0, 0, 0, 0};
            break;
        case LL_EV_IO_NEW:
            if (grow((void **)&m->socks, &cap_socks, m->nsocks + 1, sizeof *m->socks))
                return -1;
            m->socks[m->nsocks++] = (llv_sockinfo){e->obj, e->str};
            break;
        case LL_EV_PRINT:
            if (push_u32(&m->prints, &m->nprints, &cp, (uint32_t)i))
                return -1;
            break;
        case LL_EV_NOTE:
            if (push_u32(&m->notes, &m->nnotes, &cn, (uint32_t)i))
                return -1;
            break;
        case LL_EV_WARN:
            if (push_u32(&m->warns, &m->nwarns, &cw, (uint32_t)i))
                return -1;
            break;
        case LL_EV_ITER:
            if (ll_trace_loop_of(&m->trace, i) > 1)
                break; /* stepping by iteration follows the first loop */
            if (push_u32(&m->iters, &m->niters, &ci, (uint32_t)i))
                return -1;
            break;
        case LL_EV_TASK_RUN:
            if (push_u32(&m->switches, &m->nswitches, &cs, (uint32_t)i))
                return -1;
            break;
        case LL_EV_CHECK:
            if (ll_trace_loop_of(&m->trace, i) > 1)
                break; /* another loop's own view of itself */
            if (push_u32(&m->checks, &m->nchecks, &cc, (uint32_t)i))
                return -1;
            break;
        case LL_EV_JOB_SUBMIT:
            if (grow((void **)&m->jobs, &cap_jobs, m->njobs + 1, sizeof *m->jobs))
                return -1;
            m->jobs[m->njobs++] =
                (llv_job){e->obj, e->task, e->str, e->site, 0, (uint32_t)i, NONE, NONE, -1, -1, 0};
            break;
        case LL_EV_JOB_START:
        case LL_EV_JOB_END: job_event(m, e, i); break;
        default: break;
        }
    }
    return 0;
}

/* The task-id hash, and parents and job owners as task indexes.  Returns 0,
 * or -1 when memory ran out. */
static int model_index(llv_model *m) {
    m->idcap = 16;
    while (m->idcap < m->ntasks * 2)
        m->idcap *= 2;
    m->idmap = calloc(m->idcap, sizeof *m->idmap);
    if (!m->idmap)
        return -1;
    for (size_t k = 0; k < m->ntasks; k++) {
        size_t h = hash_id(m->info[k].id, m->idcap);
        while (m->idmap[h])
            h = (h + 1) & (m->idcap - 1);
        m->idmap[h] = (uint32_t)k + 1;
    }
    for (size_t k = 0; k < m->ntasks; k++)
        m->info[k].parent = m->info[k].parent ? llv_task_index(m, m->info[k].parent) : NONE;
    for (size_t k = 0; k < m->njobs; k++)
        m->jobs[k].owner = m->jobs[k].owner ? llv_task_index(m, m->jobs[k].owner) : NONE;
    return 0;
}

/* Each task's spans go straight into its own stretch of one array: a
 * task has at most one span per event of its own, so count those first.
 * The stretches are sized generously but only the used part is ever
 * touched, so the unused rest costs address space, not memory. */
static int model_span_room(llv_model *m) {
    for (size_t i = 0; i < m->n; i++) {
        const ll_trace_event *e = llv_event(m, i);
        uint32_t ti = e->task ? llv_task_index(m, e->task) : NONE;
        if (ti != NONE)
            m->info[ti].nspans++; /* an upper bound for now */
    }
    size_t at = 0;
    for (size_t k = 0; k < m->ntasks; k++) {
        m->info[k].span0 = (uint32_t)at;
        at += m->info[k].nspans;
        m->info[k].nspans = 0;
    }
    m->spans = malloc((at ? at : 1) * sizeof *m->spans);
    if (!m->spans)
        return -1;
    return 0;
}

/* Pass 2: replays everything once, cutting each task's life into spans
 * and taking checkpoints.  Returns 0, or -1 when memory ran out. */
static int model_replay(llv_model *m) {
    size_t state_bytes = m->ntasks * sizeof(llv_task) + m->nsync * 8 + 256;
    m->every = CKPT_MIN_EVERY;
    while (m->every < m->n && (m->n / m->every + 1) * state_bytes > CKPT_BUDGET)
        m->every *= 2;
    m->nckpt = (m->n - 1) / m->every + 1;
    m->ckpt = calloc(m->nckpt, sizeof *m->ckpt);
    if (!m->ckpt || state_init(m, &m->cur))
        return -1;
    m->entered = malloc((m->ntasks ? m->ntasks : 1) * sizeof *m->entered);
    if (!m->entered)
        return -1;
    memset(m->entered, 0xff, (m->ntasks ? m->ntasks : 1) * sizeof *m->entered);
    for (size_t i = 0; i < m->n; i++) {
        note_entered(m, i);
        apply(m, &m->cur, i);
        const ll_trace_event *e = llv_event(m, i);
        uint32_t ti = e->task ? llv_task_index(m, e->task) : NONE;
        if (ti != NONE) {
            const llv_task *ts = &m->cur.tasks[ti];
            llv_taskinfo *in = &m->info[ti];
            llv_span *o = in->nspans ? &m->spans[in->span0 + in->nspans - 1] : NULL;
            if (!o || o->state != ts->state || o->wait != ts->wait || o->obj != ts->obj ||
                o->op != ts->op) {
                if (o) {
                    o->ev1 = (uint32_t)i;
                    o->t1 = e->t;
                }
                m->spans[in->span0 + in->nspans++] = (llv_span){
                    (uint32_t)i, (uint32_t)m->n, e->t,    m->t_end, ts->state, ts->wait, ts->op,
                    0,           ts->site,       ts->obj, ts->until};
                m->nspans++;
                if (ts->state >= LLV_DONE)
                    in->end = (uint32_t)i;
            }
        }
        if (i % m->every == 0 && state_copy(m, &m->ckpt[i / m->every], &m->cur))
            return -1;
    }
    return 0;
}

int llv_model_build(llv_model *m, ll_trace *t, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    m->trace = *t;
    memset(t, 0, sizeof *t);
    m->n = m->trace.rec.n;
    m->nloops = m->trace.nloops ? m->trace.nloops : 1;
    if (m->n == 0)
        return fail(m, err, errlen, "the trace has no events");
    if (m->n >= UINT32_MAX)
        return fail(m, err, errlen, "the trace has more than 4 billion events");
    if (model_scan(m) != 0)
        return fail(m, err, errlen, "out of memory");
    m->t_end = llv_event(m, m->n - 1)->t;
    sort_by_id(m->sync, m->nsync, sizeof *m->sync);
    sort_by_id(m->socks, m->nsocks, sizeof *m->socks);
    if (queue_items_build(m) != 0 || model_index(m) != 0 || model_span_room(m) != 0 ||
        model_replay(m) != 0 || notes_hold(m) != 0)
        return fail(m, err, errlen, "out of memory");
    llv_model_seek(m, 0);
    return 0;
}

/* ---- moving -------------------------------------------------------------- */

void llv_model_seek(llv_model *m, size_t step) {
    if (step >= m->n)
        step = m->n - 1;
    if (m->cur.step != UINT32_MAX && step >= m->cur.step && step - m->cur.step <= m->every) {
        for (size_t i = (size_t)m->cur.step + 1; i <= step; i++)
            apply(m, &m->cur, i);
        return;
    }
    size_t k = step / m->every;
    if (state_copy(m, &m->cur, &m->ckpt[k]) != 0)
        return; /* out of memory: the cursor stays where it was */
    for (size_t i = k * m->every + 1; i <= step; i++)
        apply(m, &m->cur, i);
}

const llv_span *llv_span_at(const llv_model *m, uint32_t ti, size_t step) {
    if (ti >= m->ntasks)
        return NULL;
    const llv_taskinfo *in = &m->info[ti];
    const llv_span *s = m->spans + in->span0;
    size_t lo = 0, hi = in->nspans;
    while (lo < hi) { /* last span with ev0 <= step */
        size_t mid = (lo + hi) / 2;
        if (s[mid].ev0 <= step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &s[lo - 1] : NULL;
}

uint32_t llv_job_index(const llv_model *m, uint32_t id) {
    /* Jobs are submitted in id order: binary search, then a scan for a
     * trace whose ids are not sorted. */
    size_t lo = 0, hi = m->njobs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->jobs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->njobs && m->jobs[lo].id == id)
        return (uint32_t)lo;
    for (size_t k = 0; k < m->njobs; k++)
        if (m->jobs[k].id == id)
            return (uint32_t)k;
    return NONE;
}

const llv_job *llv_job_on(const llv_model *m, uint32_t lane, size_t step) {
    for (size_t k = 0; k < m->njobs; k++) {
        const llv_job *j = &m->jobs[k];
        if (j->worker == lane && j->ev_start != NONE && j->ev_start <= step &&
            (j->ev_end == NONE || step < j->ev_end))
            return j;
    }
    return NULL;
}

size_t llv_waiters(const llv_model *m, uint32_t sync_id, uint32_t *out, size_t max) {
    size_t n = 0;
    for (size_t k = 0; k < m->ntasks; k++) {
        const llv_task *t = &m->cur.tasks[k];
        if (t->state != LLV_WAITING || t->wait < LL_WAIT_LOCK || t->obj != sync_id)
            continue;
        /* insert by the step it began waiting at */
        size_t j = n < max ? n : max;
        while (j > 0 && m->cur.tasks[out[j - 1]].since > t->since) {
            if (j < max)
                out[j] = out[j - 1];
            j--;
        }
        if (j < max)
            out[j] = (uint32_t)k;
        if (n < max)
            n++;
    }
    return n;
}

/* Whether item x is in its queue after event `step`. */
static bool item_in(const llv_qitem *x, size_t step) {
    return x->put <= step && (x->got == NONE || x->got > step);
}

size_t llv_queue_items(const llv_model *m, uint32_t k, const llv_qitem **out, size_t max) {
    if (k >= m->nsync || !m->queue_items || !max)
        return 0;
    const llv_syncinfo *q = &m->sync[k];
    const llv_qitem *it = m->qitems ? m->qitems + q->item0 : NULL;
    size_t step = m->cur.step, n = 0;
    /* items put by the cursor: [0, p) */
    size_t lo = 0, hi = q->nitems;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (it[mid].put <= step)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t p = lo;
    if (q->kind == LL_SYNC_QUEUE) {
        /* taken in put order: those taken by the cursor are a prefix */
        lo = 0;
        hi = p;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (it[mid].got != NONE && it[mid].got <= step)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t j = lo; j < p && n < max; j++)
            out[n++] = &it[j];
        return n;
    }
    if (q->kind == LL_SYNC_LIFO_QUEUE) {
        for (size_t j = p; j-- > 0 && n < max;)
            if (item_in(&it[j], step))
                out[n++] = &it[j];
        return n;
    }
    /* a PriorityQueue: the max smallest, by insertion into out */
    for (size_t j = 0; j < p; j++) {
        if (!item_in(&it[j], step))
            continue;
        size_t at = n < max ? n : max;
        while (at > 0 && repr_cmp(m, it[j].str, out[at - 1]->str) < 0)
            at--;
        if (at == max)
            continue;
        if (n < max)
            n++;
        memmove(out + at + 1, out + at, (n - 1 - at) * sizeof *out);
        out[at] = &it[j];
    }
    return n;
}

long llv_queue_unfinished(const llv_model *m, uint32_t k) {
    if (k >= m->nsync || !m->queue_items || m->trace.meta.dropped || !is_queue(m->sync[k].kind))
        return -1;
    const llv_syncinfo *q = &m->sync[k];
    size_t step = m->cur.step, lo = 0, hi = q->nitems;
    while (lo < hi) { /* puts by the cursor */
        size_t mid = (lo + hi) / 2;
        if (m->qitems[q->item0 + mid].put <= step)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t puts = lo;
    size_t dones = q->ndone ? llv_lower(m->qdone + q->done0, q->ndone, step + 1) : 0;
    return puts >= dones ? (long)(puts - dones) : -1;
}

size_t llv_snapshot(const llv_model *m, char *buf, size_t len) {
    static const char letter[LLV__NSTATES] = {'?', 'P', 'R', 'X', 'W', 'D', 'F', 'C'};
    size_t n = 0;
#define OUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__);          \
        if (w_ > 0)                                                                                \
            n += (size_t)w_;                                                                       \
    } while (0)
    OUT("ready");
    for (size_t i = 0; i < m->cur.nready; i++) {
        const llv_entry *e = &m->cur.ready[i];
        if (e->is_cb)
            OUT(" cb");
        else
            OUT(" %u", m->info[e->task].id);
    }
    OUT(" | tasks");
    for (size_t k = 0; k < m->ntasks; k++)
        if (m->cur.tasks[k].state != LLV_UNBORN && m->info[k].loop <= 1)
            OUT(" %u%c", m->info[k].id, letter[m->cur.tasks[k].state]);
#undef OUT
    return n;
}

uint32_t llv_task_site_now(const llv_model *m, uint32_t ti) {
    if (ti >= m->ntasks)
        return 0;
    return m->entered && m->entered[ti] <= m->cur.step ? m->cur.tasks[ti].site : 0;
}

llv_where llv_where_now(const llv_model *m) {
    const llv_state *s = &m->cur;
    const ll_trace_event *e = llv_event(m, s->step);
    uint32_t ti = NONE, site = 0;
    uint8_t who = LLV_WHO_NONE;
    if (s->running != NONE) {
        ti = s->running;
        who = LLV_WHO_RUNNING;
        /* The event itself may be the line (a print, a wait): newer than
         * what the task's state kept. */
        bool own = e->task == m->info[ti].id && e->site && m->entered[ti] <= s->step;
        site = own ? e->site : llv_task_site_now(m, ti);
    } else if (s->nready && !s->ready[0].is_cb && s->ready[0].task < m->ntasks) {
        ti = s->ready[0].task;
        who = LLV_WHO_NEXT;
        site = llv_task_site_now(m, ti);
    } else if (e->task && e->site && e->kind != LL_EV_TASK_NEW &&
               (ti = llv_task_index(m, e->task)) != NONE) {
        who = LLV_WHO_LAST;
        site = e->site;
    } else
        ti = NONE;
    return (llv_where){who, ti, site, ti != NONE ? m->info[ti].coro : 0};
}

int llv_state_copy(const llv_model *m, llv_state *dst, const llv_state *src) {
    return state_copy(m, dst, src);
}

void llv_state_free(llv_state *s) {
    state_free(s);
}
