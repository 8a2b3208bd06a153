/* export.c - a trace as JSON Lines, as Chrome Trace Event JSON (Perfetto,
 * chrome://tracing), and as a per-task statistics table. */
#include "export.h"
#include "../core/grow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- JSON strings ---------------------------------------------------------- */

/* A JSON string.  Bytes that are not valid UTF-8 become U+FFFD. */
static void json_str(FILE *out, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        /* Printable ASCII goes out as a run, in one call. */
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            fwrite(p + i, 1, run - i, out);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            i++;
        } else if (c == '\n') {
            fputs("\\n", out);
            i++;
        } else if (c == '\t') {
            fputs("\\t", out);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, out);
            i++;
        } else {
            size_t k = ll__utf8_len(p + i, n - i);
            if (k == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
                /* U+0080..U+009F, the C1 controls: escaped like C0's, so
                 * that a terminal showing the JSON does not act on them. */
                fprintf(out, "\\u%04x", p[i + 1]);
                i += 2;
            } else if (k) {
                fwrite(p + i, 1, k, out);
                i += k;
            } else {
                fputs("\\ufffd", out);
                i++;
            }
        }
    }
    fputc('"', out);
}

static void json_cstr(FILE *out, const char *s) {
    json_str(out, s, strlen(s));
}

static void json_rstr(FILE *out, const ll__recorder *r, uint32_t id) {
    size_t n;
    const char *s = ll__rec_strp(r, id, &n);
    json_str(out, s, n);
}

/* |ns|, for any ns (INT64_MIN has no int64_t opposite). */
static uint64_t magnitude(FILE *out, int64_t ns) {
    if (ns >= 0)
        return (uint64_t)ns;
    fputc('-', out);
    return 0 - (uint64_t)ns;
}

/* `whole`, then `digits` decimals of `frac` when digits > 0: numbers are
 * most of an export, and printf's parsing of its format costs more than
 * this. */
static void json_num(FILE *out, uint64_t whole, uint64_t frac, int digits) {
    char buf[48];
    char *e = buf + sizeof buf, *q = e;
    for (int i = 0; i < digits; i++, frac /= 10)
        *--q = (char)('0' + frac % 10);
    if (digits)
        *--q = '.';
    do
        *--q = (char)('0' + whole % 10);
    while (whole /= 10);
    fwrite(q, 1, (size_t)(e - q), out);
}

static void json_i64(FILE *out, int64_t v) {
    json_num(out, magnitude(out, v), 0, 0);
}

/* Loop time in seconds, exactly (nine decimals). */
static void json_secs(FILE *out, int64_t ns) {
    uint64_t m = magnitude(out, ns);
    json_num(out, m / 1000000000, m % 1000000000, 9);
}

/* Chrome wants microseconds. */
static void json_us(FILE *out, int64_t ns) {
    uint64_t m = magnitude(out, ns);
    json_num(out, m / 1000, m % 1000, 3);
}

/* Differences and sums of times a trace gives: a crafted trace can put
 * them anywhere in int64_t, so they stop at its ends rather than wrap. */
static int64_t sat_sub(int64_t a, int64_t b) {
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* The fields of an event as JSON members (after a leading comma). */
static void json_fields(FILE *out, const ll__recorder *r, const ll_trace_event *e) {
    bool covered[S__N] = {false};
    for (const fspec *sp = ll__fields_of(e->kind); sp->key; sp++) {
        int64_t v = ll__field_get(e, sp->slot);
        covered[sp->slot] = true;
        fputs(",\"", out);
        fputs(sp->key, out);
        fputs("\":", out);
        switch (sp->type) {
        case T_STR: json_rstr(out, r, (uint32_t)v); break;
        case T_TIME: json_secs(out, v); break;
        case T_TIMEOPT:
            if (v == -1)
                fputs("null", out);
            else
                json_secs(out, v);
            break;
        case T_U32:
        case T_I64: json_i64(out, v); break;
        default: {
            const char *nm = ll__field_enum_name(sp->type, v);
            if (nm)
                json_cstr(out, nm);
            else
                json_i64(out, v);
        }
        }
    }
    static const char *const raw[S__N] = {"_sub", "_obj", "_aux", "_val", "_str"};
    for (unsigned s = 0; s < S__N; s++) {
        int64_t v = ll__field_get(e, s);
        if (covered[s] || v == 0)
            continue;
        fprintf(out, ",\"%s\":", raw[s]);
        if (s == S_STR)
            json_rstr(out, r, (uint32_t)v);
        else
            json_i64(out, v);
    }
    if (e->site) {
        const ll__site *site = ll__rec_sitep(r, e->site);
        if (site && site->file) {
            fputs(",\"file\":", out);
            json_cstr(out, site->file);
            fputs(",\"line\":", out);
            json_i64(out, site->line);
        }
    }
}

/* ---- one event at a time -------------------------------------------------------
 * Every export is a begin, one call per event and an end.  They are driven by
 * the events of a trace read whole (ll_trace_export_*, ll_trace_stats) or by
 * ll_trace_stream as it reads (ll_trace_convert), so that a long trace need
 * not be held.  What an export keeps per task is found by the task's index
 * in t->tasks, never by its id: an id says nothing about how many there are. */

/* Chrome: a task's lane, and the span it is in. */
typedef struct lane {
    int state;     /* 0 none, 1 ready, 2 running, 3 waiting, 4 finished */
    int64_t since; /* loop time the state began */
    uint16_t wait; /* wait kind while waiting */
    int64_t until; /* deadline while waiting on a timer */
    uint32_t obj;  /* what it waits on */
} lane;

/* Chrome: the last completion of a future, for the arrow to whom it woke. */
typedef struct fdone {
    uint32_t by; /* the task that completed it (0: the loop) */
    int64_t t;   /* when */
} fdone;

/* Stats: a task's figures so far. */
typedef struct tstat {
    int state; /* 0 pending, 1 ready, 2 running, 3 waiting, 4 done, 5 failed, 6 cancelled */
    int64_t since, since_wall;                /* loop and wall time the state began */
    uint64_t steps;                           /* times it ran */
    int64_t running, ready, waiting, longest; /* ns in each state; longest step */
} tstat;

typedef struct xp {
    FILE *out;
    const ll_trace *t;
    ll_export_fmt fmt;
    bool begun;     /* the export's opening is written */
    size_t total;   /* jsonl: events of the trace, known before the first */
    bool truncated; /* jsonl: the trace was cut */
    ll__tw w;       /* text: the trace writer */
    void *per;      /* chrome: a lane per task; stats: a tstat per task */
    size_t nper;    /* entries in per */
    ll__idmap futs; /* chrome: future id -> its entry in done */
    fdone *done;    /* chrome: the last completion of each future */
    size_t ndone, donecap;
    uint64_t flow_id; /* chrome: arrows drawn */
    size_t nev;       /* events seen */
    int64_t t0, w0;   /* loop and wall time of the first event */
    int64_t t1, w1;   /* and of the last */
    bool oom;         /* memory ran out: the output is incomplete */
} xp;

/* The per-task entry of event e's task, growing the table to the tasks the
 * trace has so far; NULL for the loop's own events. */
static void *per_task(xp *x, const ll_trace_event *e, size_t size) {
    const ll_trace_task *tk = e->task ? ll_trace_task_of(x->t, e->task) : NULL;
    if (!tk)
        return NULL;
    size_t i = (size_t)(tk - x->t->tasks);
    if (i >= x->nper) {
        size_t cap;
        char *p = ll__grow(x->per, x->nper, i + 1, size, 64, &cap);
        if (!p) {
            x->oom = true;
            return NULL;
        }
        memset(p + x->nper * size, 0, (cap - x->nper) * size);
        x->per = p;
        x->nper = cap;
    }
    return (char *)x->per + i * size;
}

/* ---- JSON Lines ------------------------------------------------------------- */

static void jsonl_begin(xp *x) {
    FILE *out = x->out;
    const ll_trace *t = x->t;
    fputs("{\"format\":\"looplab-jsonl\",\"version\":1", out);
    const char *keys[] = {"program", "lesson", "clock", "library", "start"};
    const char *vals[] = {t->meta.program, t->meta.lesson, t->meta.clock, t->meta.library,
                          t->meta.start};
    for (int i = 0; i < 5; i++) {
        if (!vals[i])
            continue;
        fprintf(out, ",\"%s\":", keys[i]);
        json_cstr(out, vals[i]);
    }
    fprintf(out, ",\"events\":%zu,\"truncated\":%s}\n", x->total, x->truncated ? "true" : "false");
}

static void jsonl_event(xp *x, const ll_trace_event *e, unsigned loop) {
    FILE *out = x->out;
    const ll_trace *t = x->t;
    fputs("{\"t\":", out);
    json_secs(out, e->t);
    fputs(",\"task\":", out);
    json_i64(out, e->task);
    const ll_trace_task *tk = e->task ? ll_trace_task_of(t, e->task) : NULL;
    if (tk && tk->name) {
        fputs(",\"task_name\":", out);
        json_rstr(out, &t->rec, tk->name);
    }
    fputs(",\"kind\":", out);
    json_cstr(out, ll_event_kind_name(e->kind));
    if (t->nloops > 1)
        fprintf(out, ",\"loop\":%u", loop);
    json_fields(out, &t->rec, e);
    if (t->wall) {
        fputs(",\"wall_ns\":", out);
        json_i64(out, e->wall);
    }
    fputs("}\n", out);
}

/* ---- Chrome Trace Event format ------------------------------------------------
 * One process; one thread lane per task (tid = task id) plus lane 0 for the
 * loop itself; complete ("X") slices for each task's running / ready /
 * waiting spans; instant ("i") events for prints, notes and warnings; flow
 * ("s"/"f") arrows from the task (or the loop) that completed a future to the
 * task it woke.  A lane is named when its task_new comes. */

static void slice(FILE *out, uint32_t tid, const char *name, int64_t from, int64_t to,
                  const char *args_json) {
    fputs(",\n{\"ph\":\"X\",\"pid\":1,\"tid\":", out);
    json_i64(out, tid);
    fputs(",\"ts\":", out);
    json_us(out, from);
    fputs(",\"dur\":", out);
    json_us(out, sat_sub(to, from));
    fputs(",\"name\":", out);
    json_cstr(out, name);
    fputs(",\"cat\":\"state\"", out);
    if (args_json)
        fprintf(out, ",\"args\":%s", args_json);
    fputc('}', out);
}

static void end_span(FILE *out, uint32_t tid, lane *l, int64_t now) {
    char args[160];
    switch (l->state) {
    case 1: slice(out, tid, "ready", l->since, now, NULL); break;
    case 2: slice(out, tid, "running", l->since, now, NULL); break;
    case 3: {
        const char *w = ll__field_enum_name(T_WAIT, l->wait);
        char name[96];
        if (l->until >= 0) {
            snprintf(name, sizeof name, "waiting: %s until %" PRId64 ".%03" PRId64 " s",
                     w ? w : "?", l->until / 1000000000, l->until % 1000000000 / 1000000);
        } else {
            snprintf(name, sizeof name, "waiting: %s", w ? w : "?");
        }
        snprintf(args, sizeof args, "{\"on\":\"%s\",\"obj\":%u}", w ? w : "?", l->obj);
        slice(out, tid, name, l->since, now, args);
        break;
    }
    default: break;
    }
}

static void chrome_begin(xp *x) {
    FILE *out = x->out;
    const ll_trace *t = x->t;
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"format\":\"looplab\"", out);
    if (t->meta.program) {
        fputs(",\"program\":", out);
        json_cstr(out, t->meta.program);
    }
    if (t->meta.clock) {
        fputs(",\"clock\":", out);
        json_cstr(out, t->meta.clock);
    }
    fputs("},\"traceEvents\":[", out);
    fputs("\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":", out);
    json_cstr(out, t->meta.program ? t->meta.program : "looplab");
    fputs("}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":"
          "\"event loop\"}}",
          out);
}

/* A task's lane gets its name (and, with several loops, whose task it is). */
static void chrome_lane(xp *x, const ll_trace_event *e) {
    FILE *out = x->out;
    const ll_trace_task *tk = ll_trace_task_of(x->t, e->task);
    if (!tk)
        return;
    size_t n;
    const char *s = ll__rec_strp(&x->t->rec, tk->name, &n);
    fprintf(out,
            ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_name\",\"args\":{"
            "\"name\":",
            e->task);
    if (x->t->nloops > 1) {
        char label[160];
        snprintf(label, sizeof label, "%.*s (loop %u)", (int)(n < 120 ? n : 120), s, tk->loop);
        json_cstr(out, label);
    } else
        json_str(out, s, n);
    fprintf(out,
            "}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_sort_index\","
            "\"args\":{\"sort_index\":%u}}",
            e->task, e->task);
}

/* Who woke a task: the last completion of the future it names. */
static void chrome_wake(xp *x, const ll_trace_event *e) {
    const uint32_t *k = ll__idmap_get(&x->futs, e->obj);
    if (!k)
        return;
    const fdone *d = &x->done[*k];
    x->flow_id++;
    fprintf(x->out,
            ",\n{\"ph\":\"s\",\"pid\":1,\"tid\":%u,\"id\":%" PRIu64
            ",\"name\":\"wakes\",\"cat\":\"wake\",\"ts\":",
            d->by, x->flow_id);
    json_us(x->out, d->t);
    fprintf(x->out,
            "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":1,\"tid\":%u,\"id\":%" PRIu64
            ",\"name\":\"wakes\",\"cat\":\"wake\",\"ts\":",
            e->task, x->flow_id);
    json_us(x->out, e->t);
    fputc('}', x->out);
}

static void chrome_completed(xp *x, uint32_t fut, uint32_t by, int64_t t) {
    if (!fut)
        return;
    uint32_t *k = ll__idmap_get(&x->futs, fut);
    if (k) {
        x->done[*k] = (fdone){by, t};
        return;
    }
    LL__GROW(x->done, x->donecap, x->ndone + 1, 64, x->oom = true; return );
    if (ll__idmap_put(&x->futs, fut, (uint32_t)x->ndone) != 0) {
        x->oom = true;
        return;
    }
    x->done[x->ndone++] = (fdone){by, t};
}

static void chrome_instant(xp *x, const ll_trace_event *e) {
    FILE *out = x->out;
    const char *what = e->kind == LL_EV_PRINT  ? "print"
                       : e->kind == LL_EV_NOTE ? "note"
                       : e->kind == LL_EV_WARN ? "warning"
                                               : "run end";
    fprintf(out, ",\n{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%u,\"ts\":", e->task);
    json_us(out, e->t);
    fputs(",\"name\":", out);
    json_cstr(out, what);
    fputs(",\"cat\":", out);
    json_cstr(out, what);
    fputs(",\"args\":{\"text\":", out);
    json_rstr(out, &x->t->rec, e->str);
    fputs("}}", out);
}

static void chrome_event(xp *x, const ll_trace_event *e) {
    FILE *out = x->out;
    if (e->kind == LL_EV_TASK_NEW)
        chrome_lane(x, e);
    lane *l = per_task(x, e, sizeof(lane));
    int next = -1;
    switch (e->kind) {
    case LL_EV_TASK_READY:
        if (l) {
            end_span(out, e->task, l, e->t);
            chrome_wake(x, e);
        }
        next = 1;
        break;
    case LL_EV_TASK_RUN: next = 2; break;
    case LL_EV_TASK_WAIT: next = 3; break;
    case LL_EV_TASK_DONE:
    case LL_EV_TASK_FAILED:
    case LL_EV_TASK_CANCELLED:
        /* A task is a future: its completion can wake its awaiters. */
        next = 4;
        chrome_completed(x, e->task, e->task, e->t);
        break;
    case LL_EV_FUT_DONE: chrome_completed(x, e->obj, e->task, e->t); break;
    /* The timer of a sleep fires on the loop's lane. */
    case LL_EV_TIMER_FIRE: chrome_completed(x, e->obj, 0, e->t); break;
    case LL_EV_PRINT:
    case LL_EV_NOTE:
    case LL_EV_WARN:
    case LL_EV_RUN_END: chrome_instant(x, e); break;
    default: break;
    }
    if (!l || next < 0)
        return;
    if (e->kind != LL_EV_TASK_READY)
        end_span(out, e->task, l, e->t);
    l->state = next;
    l->since = e->t;
    if (next == 3) {
        l->wait = e->sub;
        l->until = e->val;
        l->obj = e->obj;
    }
}

static void chrome_end(xp *x) {
    lane *lanes = x->per;
    for (size_t i = 0; i < x->nper && i < x->t->ntasks; i++)
        end_span(x->out, x->t->tasks[i].id, &lanes[i], x->t1);
    fputs("\n]}\n", x->out);
}

/* ---- statistics ----------------------------------------------------------------
 * Per task, like tokio-console's table: final state, steps, time running,
 * ready (scheduling delay) and waiting, and the longest single step.  Running
 * time is measured on the wall clock when the trace carries it (a virtual
 * clock does not move while a task runs). */

static const char *const stat_state[] = {"pending", "ready",  "running",  "waiting",
                                         "done",    "failed", "cancelled"};

static void stat_close(tstat *s, int64_t t, int64_t wall, bool use_wall) {
    int64_t d = sat_sub(t, s->since);
    switch (s->state) {
    case 1: s->ready = ll__i64_add_sat(s->ready, d); break;
    case 2: {
        int64_t run = use_wall ? sat_sub(wall, s->since_wall) : d;
        if (run < 0)
            run = 0;
        s->running = ll__i64_add_sat(s->running, run);
        if (run > s->longest)
            s->longest = run;
        break;
    }
    case 3: s->waiting = ll__i64_add_sat(s->waiting, d); break;
    default: break;
    }
    s->since = t;
    s->since_wall = wall;
}

static void fmt_dur(char *buf, size_t n, int64_t ns) {
    if (ns < 1000)
        snprintf(buf, n, "%" PRId64 "ns", ns);
    else if (ns < 1000000)
        snprintf(buf, n, "%.1fus", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, n, "%.1fms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.3fs", (double)ns / 1e9);
}

static void stats_event(xp *x, const ll_trace_event *e) {
    tstat *s = per_task(x, e, sizeof(tstat));
    if (!s)
        return;
    int next = -1;
    switch (e->kind) {
    case LL_EV_TASK_NEW:
        s->since = e->t;
        s->since_wall = e->wall;
        return;
    case LL_EV_TASK_READY: next = 1; break;
    case LL_EV_TASK_RUN:
        next = 2;
        s->steps++;
        break;
    case LL_EV_TASK_WAIT: next = 3; break;
    case LL_EV_TASK_DONE: next = 4; break;
    case LL_EV_TASK_FAILED: next = 5; break;
    case LL_EV_TASK_CANCELLED: next = 6; break;
    default: return;
    }
    stat_close(s, e->t, e->wall, x->t->wall);
    s->state = next;
}

static int by_task_id(const void *a, const void *b) {
    uint32_t x = (*(const ll_trace_task *const *)a)->id, y = (*(const ll_trace_task *const *)b)->id;
    return (x > y) - (x < y);
}

static void stats_row(xp *x, const ll_trace_task *tk, tstat *s) {
    char a[32], b[32], c[32], d[32], name[96];
    bool use_wall = x->t->wall;
    if (s->state >= 1 && s->state <= 3)
        stat_close(s, x->t1, x->w1, use_wall); /* still open at the end */
    size_t len;
    const char *raw = ll__rec_strp(&x->t->rec, tk->name, &len);
    /* A name is the program's: it must not drive the terminal. */
    ll_trace_term_safe(name, sizeof name, raw, len);
    fmt_dur(a, sizeof a, s->running);
    fmt_dur(b, sizeof b, s->ready);
    fmt_dur(c, sizeof c, s->waiting);
    fmt_dur(d, sizeof d, s->longest);
    if (x->t->nloops > 1)
        fprintf(x->out, "%-5u", tk->loop);
    fprintf(x->out, "%-4u %-20.20s %-10s %7" PRIu64 " %12s %12s %12s %12s\n", tk->id, name,
            stat_state[s->state], s->steps, a, b, c, d);
}

static void stats_end(xp *x) {
    const ll_trace *t = x->t;
    FILE *out = x->out;
    bool use_wall = t->wall, multi = t->nloops > 1;
    /* Rows in task id order, as a reader of the trace would list them. */
    const ll_trace_task **order = malloc((t->ntasks ? t->ntasks : 1) * sizeof *order);
    if (!order) {
        x->oom = true;
        return;
    }
    for (size_t i = 0; i < t->ntasks; i++)
        order[i] = &t->tasks[i];
    qsort(order, t->ntasks, sizeof *order, by_task_id);
    if (multi)
        fprintf(out, "%-5s", "loop");
    fprintf(out, "%-4s %-20s %-10s %7s %12s %12s %12s %12s\n", "id", "task", "state", "steps",
            "running", "ready", "waiting", "longest");
    int64_t busy = 0;
    tstat none;
    for (size_t k = 0; k < t->ntasks; k++) {
        size_t i = (size_t)(order[k] - t->tasks);
        tstat *s = i < x->nper ? &((tstat *)x->per)[i] : (memset(&none, 0, sizeof none), &none);
        stats_row(x, order[k], s);
        busy = ll__i64_add_sat(busy, s->running);
    }
    free(order);
    char a[32], b[32];
    int64_t span = use_wall ? sat_sub(x->w1, x->w0) : sat_sub(x->t1, x->t0);
    fmt_dur(a, sizeof a, span);
    fmt_dur(b, sizeof b, busy);
    if (multi && use_wall && span > 0)
        fprintf(out,
                "\n%u loops: %s of wall time, tasks running %s in all: %.1f%% of one core "
                "(more than 100%% means loops ran at the same time on several cores)\n",
                t->nloops, a, b, 100.0 * (double)busy / (double)span);
    else if (use_wall && span > 0)
        fprintf(out, "\nloop: %s of wall time, tasks running %s: %.1f%% utilisation\n", a, b,
                100.0 * (double)busy / (double)span);
    else
        fprintf(out,
                "\nloop: %s of loop time (virtual clock: running time is not measured; run "
                "with --clock real for utilisation)\n",
                a);
}

/* ---- the driver ------------------------------------------------------------------ */

static void xp_init(xp *x, FILE *out, const ll_trace *t, ll_export_fmt fmt) {
    memset(x, 0, sizeof *x);
    x->out = out;
    x->t = t;
    x->fmt = fmt;
}

/* The opening waits for the first event: by then the metadata lines are read. */
static void xp_begin(xp *x) {
    if (x->begun)
        return;
    x->begun = true;
    switch (x->fmt) {
    case LL_EXPORT_TEXT:
        if (ll__tw_begin(&x->w, -1, x->out, &x->t->meta, x->t->wall) != 0)
            x->oom = true;
        break;
    case LL_EXPORT_JSONL: jsonl_begin(x); break;
    case LL_EXPORT_CHROME: chrome_begin(x); break;
    case LL_EXPORT_STATS: break;
    }
}

static void xp_event(xp *x, const ll_trace_event *e, unsigned loop) {
    xp_begin(x);
    if (x->nev++ == 0) {
        x->t0 = e->t;
        x->w0 = e->wall;
    }
    x->t1 = e->t;
    x->w1 = e->wall;
    switch (x->fmt) {
    case LL_EXPORT_TEXT:
        /* The event is the last of the recorder (ll_trace_stream). */
        if (x->w.buf) {
            x->w.loop = loop;
            x->w.next = x->t->rec.n - 1;
            x->w.clipped = ll_trace_clipped(x->t, x->t->rec.n - 1);
            ll__tw_events(&x->w, &x->t->rec, false);
        }
        break;
    case LL_EXPORT_JSONL: jsonl_event(x, e, loop); break;
    case LL_EXPORT_CHROME: chrome_event(x, e); break;
    case LL_EXPORT_STATS: stats_event(x, e); break;
    }
}

/* Writes the closing, frees; 0, or -1 when writing failed or memory ran out. */
static int xp_end(xp *x) {
    xp_begin(x);
    int rc = 0;
    switch (x->fmt) {
    case LL_EXPORT_TEXT:
        if (x->w.buf) {
            /* The events went through one at a time, so the recorder does
             * not count them: the writer's buffer is flushed and the @end
             * line (docs/trace-format.md) written here. */
            x->w.next = x->t->rec.n;
            ll__tw_events(&x->w, &x->t->rec, true);
            fprintf(x->out, "@end events=%zu\n", x->nev);
            rc = x->w.failed ? -1 : 0;
            ll__tw_free(&x->w);
        }
        break;
    case LL_EXPORT_JSONL: break;
    case LL_EXPORT_CHROME: chrome_end(x); break;
    case LL_EXPORT_STATS: stats_end(x); break;
    }
    free(x->per);
    free(x->done);
    ll__idmap_free(&x->futs);
    return rc != 0 || x->oom || ferror(x->out) ? -1 : 0;
}

/* The trace was refused part way: what was written stays, but the export is
 * not closed (no @end, no closing bracket, no table), so that nobody takes
 * it for the whole trace. */
static void xp_abort(xp *x) {
    if (x->w.buf) {
        x->w.next = x->t->rec.n;
        ll__tw_events(&x->w, &x->t->rec, true);
        ll__tw_free(&x->w);
    }
    free(x->per);
    free(x->done);
    ll__idmap_free(&x->futs);
}

/* An export of a trace read whole. */
static int xp_run(FILE *out, const ll_trace *t, ll_export_fmt fmt) {
    xp x;
    xp_init(&x, out, t, fmt);
    x.total = t->rec.n;
    x.truncated = t->truncated;
    for (size_t i = 0; i < t->rec.n; i++)
        xp_event(&x, ll__rec_at(&t->rec, i), ll_trace_loop_of(t, i));
    return xp_end(&x);
}

int ll_trace_export_jsonl(FILE *out, const ll_trace *t) {
    return xp_run(out, t, LL_EXPORT_JSONL);
}

int ll_trace_export_chrome(FILE *out, const ll_trace *t) {
    return xp_run(out, t, LL_EXPORT_CHROME);
}

int ll_trace_stats(FILE *out, const ll_trace *t) {
    return xp_run(out, t, LL_EXPORT_STATS);
}

/* ---- straight from a file ------------------------------------------------------- */

static int each_event(void *ud, const ll_trace *t, const ll_trace_event *e, unsigned loop) {
    (void)t;
    xp *x = ud;
    xp_event(x, e, loop);
    /* Writing failed (a full disk, a closed pipe): reading on is no use. */
    return ferror(x->out) || x->w.failed ? 1 : 0;
}

static int count_event(void *ud, const ll_trace *t, const ll_trace_event *e, unsigned loop) {
    (void)ud, (void)t, (void)e, (void)loop;
    return 0;
}

static bool regular_file(const char *path) {
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ll_trace_convert(FILE *out, const char *path, ll_export_fmt fmt, ll_trace *t, char *err,
                     size_t errlen) {
    xp x;
    xp_init(&x, out, t, fmt);
    if (fmt == LL_EXPORT_JSONL) {
        /* Its first line says how many events follow and whether the trace
         * was cut: a file is read twice, standard input is held. */
        if (!regular_file(path)) {
            if (ll_trace_load(t, path, err, errlen) != 0)
                return -1;
            if (ll_trace_export_jsonl(out, t) == 0 && fflush(out) == 0)
                return 0;
            goto write_failed;
        }
        if (ll_trace_stream(t, path, count_event, NULL, err, errlen) != 0)
            return -1;
        x.total = t->events;
        x.truncated = t->truncated;
        ll_trace_free(t);
    }
    int rc = ll_trace_stream(t, path, each_event, &x, err, errlen);
    if (rc == 0 && fmt == LL_EXPORT_JSONL &&
        (t->events != x.total || t->truncated != x.truncated)) {
        /* Still being written, or replaced: the first line would lie. */
        snprintf(err, errlen, "%s: the file changed while it was read (%zu events, then %zu)", path,
                 x.total, t->events);
        rc = -1;
    }
    if (rc < 0) {
        xp_abort(&x);
        return -1;
    }
    if (rc == 0 && xp_end(&x) == 0 && fflush(out) == 0)
        return 0;
    if (rc != 0)
        xp_abort(&x); /* writing failed: the reading stopped there */
write_failed:
    snprintf(err, errlen, "cannot write the output: %s",
             x.oom   ? "out of memory"
             : errno ? strerror(errno)
                     : "write error");
    return -2;
}
