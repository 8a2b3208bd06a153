/* dump.c - a plain text dump of a loop's recorded events.
 *
 * One line per event: loop time, task, kind, then key=value details.  Strings
 * are written in double quotes with C-style escapes, so any printed line
 * survives.  On the virtual clock nothing in the dump depends on the machine
 * or the moment, so two runs of a lesson dump identical text. */
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void put_quoted(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\x%02x", c);
            else
                fputc(c, out);
        }
    }
    fputc('"', out);
}

static void put_str(FILE *out, const ll__recorder *r, const char *key, uint32_t id) {
    size_t len;
    const char *s = ll__rec_strp(r, id, &len);
    fprintf(out, " %s=", key);
    put_quoted(out, s, len);
}

static const char *base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void put_time(FILE *out, const char *key, int64_t ns) {
    fprintf(out, " %s=%" PRId64 ".%06" PRId64, key, ns / 1000000000,
            (ns % 1000000000) / 1000);
}

/* Task names by id, learned from task_new events as they go by. */
static uint32_t name_of(const ll__dumper *d, uint32_t task) {
    return task < d->nnames ? d->names[task] : 0;
}

static void learn_name(ll__dumper *d, uint32_t task, uint32_t str) {
    if (task >= d->nnames) {
        size_t cap = d->nnames ? d->nnames : 64;
        while (cap <= task)
            cap *= 2;
        uint32_t *n = realloc(d->names, cap * sizeof *n);
        if (!n)
            return; /* the name shows as "?"; nothing else is lost */
        memset(n + d->nnames, 0, (cap - d->nnames) * sizeof *n);
        d->names = n;
        d->nnames = cap;
    }
    d->names[task] = str;
}

void ll__dumper_begin(ll__dumper *d, const ll_loop *loop, FILE *out) {
    memset(d, 0, sizeof *d);
    d->out = out;
    fprintf(out, "# looplab trace dump, library %s\n", LL_VERSION_STRING);
    fprintf(out, "# program=%s clock=%s\n", loop->program ? loop->program : "?",
            loop->real ? "real" : "virtual");
}

void ll__dumper_end(ll__dumper *d, const ll_loop *loop) {
    ll__dumper_flush(d, loop);
    fprintf(d->out, "# end events=%zu\n", d->next);
    free(d->names);
    d->names = NULL;
    d->nnames = 0;
}

void ll__trace_dump(const ll_loop *loop, FILE *out) {
    ll__dumper d;
    ll__dumper_begin(&d, loop, out);
    ll__dumper_end(&d, loop);
}

void ll__dumper_flush(ll__dumper *d, const ll_loop *loop) {
    const ll__recorder *r = &loop->rec;
    FILE *out = d->out;
    for (size_t i = d->next; i < r->n; i++) {
        const ll_event *e = ll__rec_at(r, i);
        if (e->kind == LL_EV_TASK_NEW)
            learn_name(d, e->task, e->str);
        fprintf(out, "%4" PRId64 ".%06" PRId64 "  ", e->t / 1000000000,
                (e->t % 1000000000) / 1000);
        if (e->task) {
            char tcol[64];
            size_t nl;
            uint32_t nid = name_of(d, e->task);
            const char *nm = nid ? ll__rec_strp(r, nid, &nl) : "?";
            snprintf(tcol, sizeof tcol, "%u:%s", e->task, nm);
            fprintf(out, "%-14s ", tcol);
        } else {
            fprintf(out, "%-14s ", "-");
        }
        fprintf(out, "%-12s", ll_event_kind_name(e->kind));
        switch (e->kind) {
        case LL_EV_LOOP_START: put_str(out, r, "clock", e->str); break;
        case LL_EV_LOOP_STOP: fprintf(out, " iterations=%u", e->aux); break;
        case LL_EV_ITER: fprintf(out, " n=%" PRId64 " ready=%u", e->val, e->aux); break;
        case LL_EV_POLL:
            if (e->val < 0)
                fprintf(out, " timeout=none");
            else
                put_time(out, "timeout", e->val);
            if (e->aux)
                fprintf(out, " jumped=1");
            break;
        case LL_EV_TASK_NEW:
            put_str(out, r, "name", e->str);
            put_str(out, r, "coro", e->aux);
            if (e->obj)
                fprintf(out, " parent=%u", e->obj);
            break;
        case LL_EV_TASK_READY:
            fprintf(out, " reason=%s pos=%u", ll_reason_name(e->sub), e->aux);
            if (e->obj)
                fprintf(out, " obj=%u", e->obj);
            break;
        case LL_EV_TASK_RUN: fprintf(out, " behind=%u", e->aux); break;
        case LL_EV_TASK_WAIT:
            fprintf(out, " on=%s obj=%u", ll_wait_kind_name(e->sub), e->obj);
            if (e->val >= 0)
                put_time(out, "until", e->val);
            break;
        case LL_EV_TASK_DONE: put_str(out, r, "result", e->str); break;
        case LL_EV_TASK_FAILED:
            fprintf(out, " error=%s", ll_err_name(-(int)e->aux));
            put_str(out, r, "message", e->str);
            break;
        case LL_EV_CANCEL: fprintf(out, " target=%u accepted=%u", e->obj, e->aux); break;
        case LL_EV_CB_QUEUED:
            fprintf(out, " obj=%u reason=%s pos=%u", e->obj, ll_reason_name(e->sub), e->aux);
            break;
        case LL_EV_CB_RUN: fprintf(out, " obj=%u reason=%s", e->obj, ll_reason_name(e->sub)); break;
        case LL_EV_TIMER_ARM: fprintf(out, " timer=%u", e->obj), put_time(out, "when", e->val); break;
        case LL_EV_TIMER_FIRE:
        case LL_EV_TIMER_CANCEL: fprintf(out, " timer=%u", e->obj); break;
        case LL_EV_FUT_NEW:
            fprintf(out, " fut=%u kind=%s", e->obj, e->sub == LL__FK_GATHER ? "gather" : "future");
            if (e->sub == LL__FK_GATHER)
                fprintf(out, " children=%u", e->aux);
            break;
        case LL_EV_FUT_DONE:
            fprintf(out, " fut=%u outcome=%s", e->obj,
                    e->sub == 0 ? "result" : e->sub == 1 ? "error" : "cancelled");
            put_str(out, r, "value", e->str);
            break;
        case LL_EV_CORO_ENTER:
        case LL_EV_CORO_EXIT: put_str(out, r, "coro", e->str); break;
        case LL_EV_PRINT: put_str(out, r, "text", e->str); break;
        case LL_EV_NOTE: put_str(out, r, "text", e->str); break;
        case LL_EV_WARN:
            fprintf(out, " kind=%s", ll_warn_kind_name(e->sub));
            put_str(out, r, "text", e->str);
            break;
        default: break;
        }
        if (e->site) {
            const ll__site *s = ll__rec_sitep(r, e->site);
            fprintf(out, " at=%s:%d", base(s->file), s->line);
        }
        fputc('\n', out);
    }
    d->next = r->n;
}
