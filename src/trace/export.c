/* export.c - a trace as JSON Lines, as Chrome Trace Event JSON (Perfetto,
 * chrome://tracing), and as a per-task statistics table. */
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON strings ---------------------------------------------------------- */

static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        k = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 4, min = 0x10000;
    else
        return 0;
    if (n < k)
        return 0;
    unsigned cp = c & (0x7f >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}

/* A JSON string.  Bytes that are not valid UTF-8 become U+FFFD. */
static void json_str(FILE *out, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
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
            size_t k = utf8_seq(p + i, n - i);
            if (k) {
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

static void json_cstr(FILE *out, const char *s) { json_str(out, s, strlen(s)); }

static void json_rstr(FILE *out, const ll__recorder *r, uint32_t id) {
    size_t n;
    const char *s = ll__rec_strp(r, id, &n);
    json_str(out, s, n);
}

/* Loop time in seconds, exactly (nine decimals). */
static void json_secs(FILE *out, int64_t ns) {
    if (ns < 0) {
        fputc('-', out);
        ns = -ns;
    }
    fprintf(out, "%" PRId64 ".%09" PRId64, ns / 1000000000, ns % 1000000000);
}

/* Chrome wants microseconds. */
static void json_us(FILE *out, int64_t ns) {
    if (ns < 0) {
        fputc('-', out);
        ns = -ns;
    }
    fprintf(out, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
}

/* Task id -> name string id, from task_new events. */
typedef struct names {
    uint32_t *v;
    uint8_t *loop;   /* task id -> its loop (several-loop traces) */
    size_t n;
} names;

static void names_build(names *nm, const ll_trace *t) {
    const ll__recorder *r = &t->rec;
    nm->v = NULL;
    nm->loop = NULL;
    nm->n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        if (e->kind != LL_EV_TASK_NEW)
            continue;
        if (e->task >= nm->n) {
            size_t cap = nm->n ? nm->n : 64;
            while (cap <= e->task)
                cap *= 2;
            uint32_t *v = realloc(nm->v, cap * sizeof *v);
            if (!v)
                continue;
            nm->v = v;
            uint8_t *l = realloc(nm->loop, cap);
            if (!l)
                continue;
            nm->loop = l;
            memset(v + nm->n, 0, (cap - nm->n) * sizeof *v);
            memset(l + nm->n, 1, cap - nm->n);
            nm->n = cap;
        }
        nm->v[e->task] = e->str;
        nm->loop[e->task] = (uint8_t)ll_trace_loop_of(t, i);
    }
}

static void names_free(names *nm) {
    free(nm->v);
    free(nm->loop);
}

static uint32_t name_of(const names *nm, uint32_t task) { return task < nm->n ? nm->v[task] : 0; }

/* The fields of an event as JSON members (after a leading comma). */
static void json_fields(FILE *out, const ll__recorder *r, const ll_trace_event *e) {
    bool covered[S__N] = {false};
    for (const fspec *sp = ll__fields_of(e->kind); sp->key; sp++) {
        int64_t v = ll__field_get(e, sp->slot);
        covered[sp->slot] = true;
        fprintf(out, ",\"%s\":", sp->key);
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
        case T_I64: fprintf(out, "%" PRId64, v); break;
        default: {
            const char *nm = ll__field_enum_name(sp->type, v);
            if (nm)
                json_cstr(out, nm);
            else
                fprintf(out, "%" PRId64, v);
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
            fprintf(out, "%" PRId64, v);
    }
    if (e->site) {
        const ll__site *site = ll__rec_sitep(r, e->site);
        if (site && site->file) {
            fputs(",\"file\":", out);
            json_cstr(out, site->file);
            fprintf(out, ",\"line\":%d", site->line);
        }
    }
}

/* ---- JSON Lines ------------------------------------------------------------- */

int ll_trace_export_jsonl(FILE *out, const ll_trace *t) {
    const ll__recorder *r = &t->rec;
    names nm;
    names_build(&nm, t);
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
    fprintf(out, ",\"events\":%zu,\"truncated\":%s}\n", r->n, t->truncated ? "true" : "false");
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        fputs("{\"t\":", out);
        json_secs(out, e->t);
        fprintf(out, ",\"task\":%u", e->task);
        if (e->task && name_of(&nm, e->task)) {
            fputs(",\"task_name\":", out);
            json_rstr(out, r, name_of(&nm, e->task));
        }
        fputs(",\"kind\":", out);
        json_cstr(out, ll_event_kind_name(e->kind));
        if (t->nloops > 1)
            fprintf(out, ",\"loop\":%u", ll_trace_loop_of(t, i));
        json_fields(out, r, e);
        if (t->wall)
            fprintf(out, ",\"wall_ns\":%" PRId64, e->wall);
        fputs("}\n", out);
    }
    names_free(&nm);
    return ferror(out) ? -1 : 0;
}

/* ---- Chrome Trace Event format ------------------------------------------------
 * One process; one thread lane per task (tid = task id) plus lane 0 for the
 * loop itself; complete ("X") slices for each task's running / ready /
 * waiting spans; instant ("i") events for prints, notes and warnings; flow
 * ("s"/"f") arrows from the task (or the loop) that completed a future to the
 * task it woke. */

typedef struct lane {
    int state;       /* 0 none, 1 ready, 2 running, 3 waiting, 4 finished */
    int64_t since;   /* loop time the state began */
    uint16_t wait;   /* wait kind while waiting */
    int64_t until;   /* deadline while waiting on a timer */
    uint32_t obj;    /* what it waits on */
} lane;

static void slice(FILE *out, bool *first, uint32_t tid, const char *name, int64_t from, int64_t to,
                  const char *args_json) {
    fputs(*first ? "\n" : ",\n", out);
    *first = false;
    fputs("{\"ph\":\"X\",\"pid\":1,\"tid\":", out);
    fprintf(out, "%u,\"ts\":", tid);
    json_us(out, from);
    fputs(",\"dur\":", out);
    json_us(out, to - from);
    fputs(",\"name\":", out);
    json_cstr(out, name);
    fputs(",\"cat\":\"state\"", out);
    if (args_json)
        fprintf(out, ",\"args\":%s", args_json);
    fputc('}', out);
}

static void end_span(FILE *out, bool *first, uint32_t tid, lane *l, int64_t now) {
    char args[160];
    switch (l->state) {
    case 1: slice(out, first, tid, "ready", l->since, now, NULL); break;
    case 2: slice(out, first, tid, "running", l->since, now, NULL); break;
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
        slice(out, first, tid, name, l->since, now, args);
        break;
    }
    default: break;
    }
}

int ll_trace_export_chrome(FILE *out, const ll_trace *t) {
    const ll__recorder *r = &t->rec;
    names nm;
    names_build(&nm, t);
    size_t nl = nm.n ? nm.n : 1;
    lane *lanes = calloc(nl, sizeof *lanes);
    /* future id -> (task that completed it, time), for flow arrows */
    size_t nf = 0, fcap = 0;
    struct fdone {
        uint32_t fut, by;
        int64_t t;
    } *fd = NULL;
    if (!lanes) {
        names_free(&nm);
        return -1;
    }
    bool first = true;
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
    /* Lane names, in task order. */
    fputs("\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":", out);
    json_cstr(out, t->meta.program ? t->meta.program : "looplab");
    fputs("}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":"
          "\"event loop\"}}",
          out);
    first = false;
    for (size_t i = 1; i < nm.n; i++) {
        if (!nm.v[i])
            continue;
        size_t n;
        const char *s = ll__rec_strp(r, nm.v[i], &n);
        fprintf(out, ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%zu,\"name\":\"thread_name\",\"args\":{"
                     "\"name\":",
                i);
        if (t->nloops > 1) {
            /* Several loops: say whose task it is. */
            char label[160];
            snprintf(label, sizeof label, "%.*s (loop %u)", (int)(n < 120 ? n : 120), s,
                     nm.loop[i]);
            json_cstr(out, label);
        } else
            json_str(out, s, n);
        fprintf(out, "}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":%zu,\"name\":\"thread_sort_index\","
                     "\"args\":{\"sort_index\":%zu}}",
                i, i);
    }
    int64_t last = 0;
    uint64_t flow_id = 0;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        last = e->t;
        lane *l = e->task < nl ? &lanes[e->task] : NULL;
        switch (e->kind) {
        case LL_EV_TASK_READY:
            if (l) {
                end_span(out, &first, e->task, l, e->t);
                /* Who woke it: the completion of the future it waited on. */
                for (size_t k = nf; k-- > 0;) {
                    if (fd[k].fut != e->obj || !e->obj)
                        continue;
                    flow_id++;
                    fprintf(out, ",\n{\"ph\":\"s\",\"pid\":1,\"tid\":%u,\"id\":%" PRIu64
                                 ",\"name\":\"wakes\",\"cat\":\"wake\",\"ts\":",
                            fd[k].by, flow_id);
                    json_us(out, fd[k].t);
                    fprintf(out, "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":1,\"tid\":%u,\"id\":%" PRIu64
                                 ",\"name\":\"wakes\",\"cat\":\"wake\",\"ts\":",
                            e->task, flow_id);
                    json_us(out, e->t);
                    fputc('}', out);
                    break;
                }
                l->state = 1;
                l->since = e->t;
            }
            break;
        case LL_EV_TASK_RUN:
            if (l) {
                end_span(out, &first, e->task, l, e->t);
                l->state = 2;
                l->since = e->t;
            }
            break;
        case LL_EV_TASK_WAIT:
            if (l) {
                end_span(out, &first, e->task, l, e->t);
                l->state = 3;
                l->since = e->t;
                l->wait = e->sub;
                l->until = e->val;
                l->obj = e->obj;
            }
            break;
        case LL_EV_TASK_DONE:
        case LL_EV_TASK_FAILED:
        case LL_EV_TASK_CANCELLED:
            if (l) {
                end_span(out, &first, e->task, l, e->t);
                l->state = 4;
            }
            /* A task is a future: its completion can wake its awaiters. */
            /* fallthrough */
        case LL_EV_FUT_DONE:
        case LL_EV_TIMER_FIRE: {
            uint32_t fut = e->kind == LL_EV_FUT_DONE || e->kind == LL_EV_TIMER_FIRE ? e->obj
                                                                                      : e->task;
            if (nf == fcap) {
                size_t cap = fcap ? fcap * 2 : 64;
                struct fdone *n = realloc(fd, cap * sizeof *n);
                if (!n)
                    break;
                fd = n;
                fcap = cap;
            }
            /* The timer of a sleep fires on the loop's lane. */
            uint32_t by = e->kind == LL_EV_TIMER_FIRE ? 0 : e->task;
            if (e->kind == LL_EV_FUT_DONE)
                by = e->task;
            fd[nf++] = (struct fdone){fut, by, e->t};
            break;
        }
        case LL_EV_PRINT:
        case LL_EV_NOTE:
        case LL_EV_WARN:
        case LL_EV_RUN_END: {
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
            json_rstr(out, r, e->str);
            fputs("}}", out);
            break;
        }
        default: break;
        }
    }
    for (size_t i = 1; i < nl; i++)
        end_span(out, &first, (uint32_t)i, &lanes[i], last);
    fputs("\n]}\n", out);
    free(fd);
    free(lanes);
    names_free(&nm);
    return ferror(out) ? -1 : 0;
}

/* ---- statistics ----------------------------------------------------------------
 * Per task, like tokio-console's table: final state, steps, time running,
 * ready (scheduling delay) and waiting, and the longest single step.  Running
 * time is measured on the wall clock when the trace carries it (a virtual
 * clock does not move while a task runs). */

typedef struct tstat {
    int state;            /* 0 pending, 1 ready, 2 running, 3 waiting, 4 done, 5 failed, 6 cancelled */
    int64_t since, since_wall;
    uint64_t steps;
    int64_t running, ready, waiting, longest;
} tstat;

static const char *const stat_state[] = {"pending", "ready",  "running",  "waiting",
                                         "done",    "failed", "cancelled"};

static void stat_close(tstat *s, int64_t t, int64_t wall, bool use_wall) {
    int64_t d = t - s->since;
    switch (s->state) {
    case 1: s->ready += d; break;
    case 2: {
        int64_t run = use_wall ? wall - s->since_wall : d;
        if (run < 0)
            run = 0;
        s->running += run;
        if (run > s->longest)
            s->longest = run;
        break;
    }
    case 3: s->waiting += d; break;
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

int ll_trace_stats(FILE *out, const ll_trace *t) {
    const ll__recorder *r = &t->rec;
    names nm;
    names_build(&nm, t);
    size_t n = nm.n ? nm.n : 1;
    tstat *st = calloc(n, sizeof *st);
    if (!st) {
        names_free(&nm);
        return -1;
    }
    bool use_wall = t->wall;
    int64_t t0 = r->n ? ll__rec_at(r, 0)->t : 0, t1 = t0;
    int64_t w0 = r->n ? ll__rec_at(r, 0)->wall : 0, w1 = w0;
    for (size_t i = 0; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        t1 = e->t;
        w1 = e->wall;
        if (e->task >= n)
            continue;
        tstat *s = &st[e->task];
        int next = -1;
        switch (e->kind) {
        case LL_EV_TASK_NEW: s->since = e->t; s->since_wall = e->wall; continue;
        case LL_EV_TASK_READY: next = 1; break;
        case LL_EV_TASK_RUN: next = 2; s->steps++; break;
        case LL_EV_TASK_WAIT: next = 3; break;
        case LL_EV_TASK_DONE: next = 4; break;
        case LL_EV_TASK_FAILED: next = 5; break;
        case LL_EV_TASK_CANCELLED: next = 6; break;
        default: continue;
        }
        stat_close(s, e->t, e->wall, use_wall);
        s->state = next;
    }
    char a[32], b[32], c[32], d[32];
    bool multi = t->nloops > 1;
    if (multi)
        fprintf(out, "%-5s", "loop");
    fprintf(out, "%-4s %-20s %-10s %7s %12s %12s %12s %12s\n", "id", "task", "state", "steps",
            "running", "ready", "waiting", "longest");
    int64_t busy = 0;
    for (size_t i = 1; i < nm.n; i++) {
        if (!nm.v[i])
            continue;
        tstat *s = &st[i];
        if (s->state >= 1 && s->state <= 3)
            stat_close(s, t1, w1, use_wall); /* still open at the end */
        size_t len;
        const char *name = ll__rec_strp(r, nm.v[i], &len);
        fmt_dur(a, sizeof a, s->running);
        fmt_dur(b, sizeof b, s->ready);
        fmt_dur(c, sizeof c, s->waiting);
        fmt_dur(d, sizeof d, s->longest);
        if (multi)
            fprintf(out, "%-5u", nm.loop[i]);
        fprintf(out, "%-4zu %-20.20s %-10s %7" PRIu64 " %12s %12s %12s %12s\n", i, name,
                stat_state[s->state], s->steps, a, b, c, d);
        busy += s->running;
    }
    int64_t span = use_wall ? w1 - w0 : t1 - t0;
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
    free(st);
    names_free(&nm);
    return ferror(out) ? -1 : 0;
}
