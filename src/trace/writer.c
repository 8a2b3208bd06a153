/* writer.c - the text trace writer (docs/trace-format.md).  It formats
 * into its own buffer with hand-written number and string formatting (no
 * stdio, no malloc once started), so that the library can flush what it has
 * recorded from a fatal-signal handler; the loops of one program share the
 * file through a sink (ll__sink) and take turns, a whole line at a time. */
#include "writer.h"
#include "../core/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <looplab.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- writer ------------------------------------------------------------- */

static void tw_write(ll__tw *w, const char *p, size_t n) {
    if (w->failed)
        return;
    if (w->fd >= 0) {
        while (n) {
            ssize_t k = write(w->fd, p, n);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                w->failed = true;
                return;
            }
            p += k;
            n -= (size_t)k;
        }
    } else if (w->file && fwrite(p, 1, n, w->file) != n) {
        w->failed = true;
    }
}

static void tw_drain(ll__tw *w) {
    if (!w->sink) {
        tw_write(w, w->buf, w->len);
        w->len = 0;
        return;
    }
    /* Whole lines only, so that other loops' lines never land inside one
     * (a single line longer than the buffer has to go in pieces). */
    size_t n = w->len;
    while (n && w->buf[n - 1] != '\n')
        n--;
    if (!n)
        n = w->len;
    pthread_mutex_lock(&w->sink->mu);
    if (w->sink->closed)
        w->dropped = true;
    else
        tw_write(w, w->buf, n);
    pthread_mutex_unlock(&w->sink->mu);
    memmove(w->buf, w->buf + n, w->len - n);
    w->len -= n;
}

static inline void put(ll__tw *w, const char *s, size_t n) {
    while (n) {
        if (w->len == w->cap) {
            if (w->clip)
                return;
            tw_drain(w);
        }
        size_t k = w->cap - w->len < n ? w->cap - w->len : n;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
    }
}

static inline void putc_(ll__tw *w, char c) {
    if (w->len == w->cap) {
        if (w->clip)
            return;
        tw_drain(w);
    }
    w->buf[w->len++] = c;
}

static inline void puts_(ll__tw *w, const char *s) {
    put(w, s, strlen(s));
}

static void put_u64(ll__tw *w, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    put(w, out, (size_t)n);
}

static void put_i64(ll__tw *w, int64_t v) {
    if (v < 0) {
        putc_(w, '-');
        put_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(w, (uint64_t)v);
    }
}

/* A time the reader accepts: one beyond LL_TRACE_TIME_MAX either way is
 * written as the bound (monotonic, so times that never decrease still never
 * do). */
static int64_t clamp_time(int64_t ns) {
    return ns > LL_TRACE_TIME_MAX    ? LL_TRACE_TIME_MAX
           : ns < -LL_TRACE_TIME_MAX ? -LL_TRACE_TIME_MAX
                                     : ns;
}

/* Nanoseconds as seconds with exactly nine decimals: exact both ways (within
 * LL_TRACE_TIME_MAX, the bound it is held to). */
static void put_time(ll__tw *w, int64_t ns) {
    ns = clamp_time(ns);
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0)
        putc_(w, '-');
    put_u64(w, a / 1000000000u);
    char frac[10];
    uint64_t f = a % 1000000000u;
    frac[0] = '.';
    for (int i = 9; i >= 1; i--) {
        frac[i] = (char)('0' + f % 10);
        f /= 10;
    }
    put(w, frac, 10);
}

/* How many of the n bytes at s fit in `max` bytes once escaped as
 * put_quoted escapes them, never cutting a UTF-8 sequence apart. */
static size_t clip_len(const char *s, size_t n, size_t max) {
    if (n <= max / 4)
        return n; /* no byte takes more than four once escaped */
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, out = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k = 1, e = 1;
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
            e = 2;
        else if (c < 0x20 || c == 0x7f)
            e = 4;
        else if (c >= 0x80) {
            k = ll__utf8_len(p + i, n - i);
            e = k ? k : 4;
            k = k ? k : 1;
        }
        if (out + e > max)
            break;
        out += e;
        i += k;
    }
    return i;
}

/* A string in double quotes: \" \\ \n \r \t, \xHH for other control bytes
 * and for bytes that are not valid UTF-8; valid UTF-8 as it is.  Only what
 * fits in `max` escaped bytes is written; the bytes left out are added to
 * w->clipped. */
static void put_quoted_max(ll__tw *w, const char *s, size_t n, size_t max) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t keep = clip_len(s, n, max);
    w->clipped += n - keep;
    n = keep;
    putc_(w, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t run = 0;
        /* Copy plain runs in one go. */
        while (i + run < n && p[i + run] >= 0x20 && p[i + run] < 0x7f && p[i + run] != '"' &&
               p[i + run] != '\\')
            run++;
        if (run) {
            put(w, s + i, run);
            i += run;
            continue;
        }
        char esc[4] = {'\\', 0, 0, 0};
        switch (c) {
        case '"':
            esc[1] = '"';
            put(w, esc, 2);
            i++;
            continue;
        case '\\':
            esc[1] = '\\';
            put(w, esc, 2);
            i++;
            continue;
        case '\n':
            esc[1] = 'n';
            put(w, esc, 2);
            i++;
            continue;
        case '\r':
            esc[1] = 'r';
            put(w, esc, 2);
            i++;
            continue;
        case '\t':
            esc[1] = 't';
            put(w, esc, 2);
            i++;
            continue;
        default: break;
        }
        size_t k = c >= 0x80 ? ll__utf8_len(p + i, n - i) : 0;
        if (k) {
            put(w, s + i, k);
            i += k;
        } else {
            esc[1] = 'x';
            esc[2] = hex[c >> 4];
            esc[3] = hex[c & 15];
            put(w, esc, 4);
            i++;
        }
    }
    putc_(w, '"');
}

static void put_quoted(ll__tw *w, const char *s, size_t n) {
    put_quoted_max(w, s, n, LL_TRACE_MAX_STR);
}

/* A token that needs no quotes: non-empty, printable ASCII, no space, quote,
 * backslash, colon or equals sign. */
static bool bare_ok(const char *s, size_t n) {
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == ':' || c == '=')
            return false;
    }
    return true;
}

static void put_name(ll__tw *w, const char *s, size_t n) {
    if (bare_ok(s, n)) {
        /* One byte each, so clipped where put_quoted would clip it. */
        size_t keep = n < LL_TRACE_MAX_STR ? n : LL_TRACE_MAX_STR;
        w->clipped += n - keep;
        put(w, s, keep);
    } else {
        put_quoted(w, s, n);
    }
}

static void put_enum(ll__tw *w, const char *name, int64_t v) {
    if (name)
        puts_(w, name);
    else
        put_i64(w, v); /* a value this version has no name for */
}

static void put_field(ll__tw *w, const ll__recorder *r, const char *key, unsigned type, int64_t v,
                      unsigned flags) {
    putc_(w, ' ');
    puts_(w, key);
    putc_(w, '=');
    switch (type) {
    case T_U32:
    case T_I64: put_i64(w, v); break;
    case T_TIME: put_time(w, v); break;
    case T_TIMEOPT:
        if (v == -1)
            puts_(w, "none");
        else
            put_time(w, v);
        break;
    case T_STR: {
        size_t n;
        const char *s = ll__rec_strp(r, (uint32_t)v, &n);
        put_quoted_max(w, s, n, flags & CLIP_ITEM ? LL_TRACE_ITEM_MAX : LL_TRACE_MAX_STR);
        break;
    }
    default: put_enum(w, ll__field_enum_name(type, v), v); break;
    }
}

static void learn_name(ll__tw *w, uint32_t task, uint32_t str, bool may_grow) {
    if (task >= w->nnames) {
        if (!may_grow)
            return;
        size_t cap;
        uint32_t *n = ll__grow(w->names, w->nnames, (size_t)task + 1, sizeof *n, 64, &cap);
        if (!n)
            return;
        memset(n + w->nnames, 0, (cap - w->nnames) * sizeof *n);
        w->names = n;
        w->nnames = cap;
    }
    w->names[task] = str;
}

static void put_event(ll__tw *w, const ll__recorder *r, const ll_trace_event *ev, bool may_grow) {
    ll_trace_event shifted;
    const ll_trace_event *e = ev;
    if (w->t_shift || w->wall_shift) {
        shifted = *ev;
        shifted.t = ll__i64_add_sat(shifted.t, w->t_shift);
        shifted.wall = ll__i64_add_sat(shifted.wall, w->wall_shift);
        if (shifted.kind == LL_EV_TASK_WAIT && shifted.val != -1)
            shifted.val = ll__i64_add_sat(shifted.val, w->t_shift); /* a deadline */
        if (shifted.kind == LL_EV_TIMER_ARM)
            shifted.val = ll__i64_add_sat(shifted.val, w->t_shift);
        e = &shifted;
    }
    if (e->kind == LL_EV_TASK_NEW)
        learn_name(w, e->task, e->str, may_grow);
    /* Fixed columns: time (right-aligned), task, kind. */
    int64_t t = clamp_time(e->t);
    uint64_t secs = (t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t) / 1000000000u;
    size_t tl = 10 + (t < 0);
    do {
        tl++;
        secs /= 10;
    } while (secs);
    for (size_t i = tl; i < 14; i++)
        putc_(w, ' ');
    put_time(w, t);
    putc_(w, ' ');
    putc_(w, ' ');
    size_t col = 0;
    if (e->task) {
        size_t before = w->len;
        put_u64(w, e->task);
        uint32_t nid = e->task < w->nnames ? w->names[e->task] : 0;
        if (nid) {
            size_t n;
            const char *s = ll__rec_strp(r, nid, &n);
            putc_(w, ':');
            /* Clipped like its task_new's name=, which says so. */
            uint64_t clipped = w->clipped;
            put_name(w, s, n);
            w->clipped = clipped;
        }
        col = w->len >= before ? w->len - before : 16;
    } else {
        putc_(w, '-');
        col = 1;
    }
    for (size_t i = col; i < 16; i++)
        putc_(w, ' ');
    putc_(w, ' ');
    const char *kname = ll_event_kind_name(e->kind);
    puts_(w, kname);
    for (size_t i = strlen(kname); i < 12; i++)
        putc_(w, ' ');
    const fspec *sp = ll__fields_of(e->kind);
    bool covered[S__N] = {false};
    for (; sp->key; sp++) {
        int64_t v = ll__field_get(e, sp->slot);
        covered[sp->slot] = true;
        bool dflt = sp->type == T_TIMEOPT ? v == -1 : v == 0;
        if (dflt && !(sp->flags & ALWAYS))
            continue;
        put_field(w, r, sp->key, sp->type, v, sp->flags);
    }
    for (unsigned s = 0; s < S__N; s++) {
        int64_t v = ll__field_get(e, s);
        if (!covered[s] && v != 0)
            put_field(w, r, ll__raw_keys[s], s == S_STR ? T_STR : T_I64, v, 0);
    }
    if (e->site) {
        const ll__site *site = ll__rec_sitep(r, e->site);
        if (site && site->file) {
            puts_(w, " at=");
            put_name(w, site->file, strlen(site->file));
            putc_(w, ':');
            put_i64(w, site->line);
        }
    }
    if (w->clipped) {
        puts_(w, " clipped=");
        put_u64(w, w->clipped);
        w->clipped = 0;
    }
    if (w->loop > 1) {
        puts_(w, " loop=");
        put_u64(w, w->loop);
    }
    if (w->wall) {
        puts_(w, " wall=");
        put_i64(w, e->wall);
    }
    putc_(w, '\n');
}

void ll__tw_free(ll__tw *w) {
    free(w->buf);
    free(w->names);
    memset(w, 0, sizeof *w);
}

void ll__tw_learn(ll__tw *w, uint32_t task, uint32_t name) {
    learn_name(w, task, name, true);
}

void ll__tw_put(ll__tw *w, const ll__recorder *r, const ll_trace_event *e) {
    put_event(w, r, e, true);
}

const char *ll__tw_format(ll__tw *w, const ll__recorder *r, const ll_trace_event *e, size_t *len) {
    w->clip = true;
    w->len = 0;
    put_event(w, r, e, true);
    if (w->len && w->buf[w->len - 1] == '\n')
        w->len--;
    *len = w->len;
    return w->buf;
}

static void put_meta(ll__tw *w, const char *key, const char *v) {
    if (!v)
        return;
    putc_(w, '@');
    puts_(w, key);
    putc_(w, ' ');
    put_quoted(w, v, strlen(v));
    w->clipped = 0; /* a metadata value is clipped without a word */
    putc_(w, '\n');
}

int ll__tw_begin(ll__tw *w, int fd, FILE *file, const ll_trace_meta *meta, bool wall) {
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->file = file;
    w->wall = wall;
    w->cap = 1 << 16;
    w->buf = malloc(w->cap);
    if (!w->buf)
        return -1;
    _Static_assert(LL_TRACE_MAJOR == 1 && LL_TRACE_MINOR == 6, "the header below says 1.6");
    puts_(w, "looplab-trace 1.6\n");
    if (meta) {
        put_meta(w, "program", meta->program);
        put_meta(w, "lesson", meta->lesson);
        put_meta(w, "clock", meta->clock);
        put_meta(w, "library", meta->library);
        put_meta(w, "start", meta->start);
        put_meta(w, "language", meta->language);
        put_meta(w, "source", meta->source);
        put_meta(w, "model", meta->model);
        if (meta->dropped) {
            /* Re-writing a ring's trace: it still starts part way. */
            puts_(w, "@dropped \"");
            put_u64(w, meta->dropped);
            puts_(w, "\"\n");
        }
    }
    if (wall)
        puts_(w, "@wall \"ns\"\n");
    return 0;
}

int ll__tw_join(ll__tw *w, int fd, ll__sink *sink, uint32_t loop, int64_t t_shift,
                int64_t wall_shift, bool wall) {
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->wall = wall;
    w->sink = sink;
    w->loop = loop;
    w->t_shift = t_shift;
    w->wall_shift = wall_shift;
    w->cap = 1 << 16;
    w->buf = malloc(w->cap);
    return w->buf ? 0 : -1;
}

void (*ll__tw_deferred_hook)(void);

/* Takes the gate for the writer's own thread; false when a fatal-signal
 * flush has taken the writer (the process is ending: write nothing). */
static bool gate_enter(ll__tw *w) {
    int free_ = LL__TW_FREE;
    return atomic_compare_exchange_strong(&w->gate, &free_, LL__TW_BUSY);
}

/* Gives the gate back, and does the flush a signal handler put off while the
 * writer held it. */
static void gate_leave(ll__tw *w) {
    int was = atomic_exchange(&w->gate, LL__TW_FREE);
    if ((was & LL__TW_WANTED) && ll__tw_deferred_hook)
        ll__tw_deferred_hook();
}

/* Formats events [w->next, upto).  w->next moves past each event once its
 * line is in the buffer, so that it always says where formatting stopped. */
static void tw_format_upto(ll__tw *w, const ll__recorder *r, size_t upto, bool may_grow) {
    size_t first = ll__rec_first(r);
    if (w->next < first && first <= upto) {
        /* A ring (or a spill, for a dump of a streamed loop) let these go:
         * say how many, once, before the rest. */
        w->skipped += first - w->next;
        w->next = first;
        puts_(w, "@dropped \"");
        put_u64(w, w->skipped);
        puts_(w, "\"\n");
    }
    for (size_t i = w->next; i < upto; i++) {
        put_event(w, r, ll__rec_at(r, i), may_grow);
        w->next = i + 1;
    }
}

static void tw_events(ll__tw *w, const ll__recorder *r, bool flush) {
    tw_format_upto(w, r, r->n, true);
    if (flush) {
        tw_drain(w);
        if (w->file)
            fflush(w->file);
    }
}

void ll__tw_events(ll__tw *w, const ll__recorder *r, bool flush) {
    if (!w->buf || !gate_enter(w))
        return;
    tw_events(w, r, flush);
    gate_leave(w);
}

void ll__tw_spill(ll__tw *w, ll__recorder *r) {
    if (!w->buf || !gate_enter(w))
        return;
    tw_events(w, r, true);
    ll__rec_spill(r, w->next, w->names, w->nnames);
    gate_leave(w);
}

int ll__tw_seize(ll__tw *w, bool defer) {
    if (!w->buf || w->fd < 0)
        return -1;
    for (;;) {
        int g = atomic_load(&w->gate);
        if (g == LL__TW_FREE) {
            if (atomic_compare_exchange_strong(&w->gate, &g, LL__TW_TAKEN))
                return 1;
        } else if (g == LL__TW_BUSY) {
            /* The writer is in the middle of a line or a write(2): its
             * buffer and w->next are not to be trusted until it leaves. */
            if (!defer || atomic_compare_exchange_strong(&w->gate, &g, LL__TW_BUSY | LL__TW_WANTED))
                return 0;
        } else {
            return g & LL__TW_WANTED ? 0 : -1;
        }
        /* The gate changed under us (another thread): look again. */
    }
}

void ll__tw_release(ll__tw *w) {
    atomic_store(&w->gate, LL__TW_FREE);
}

void ll__tw_emergency_upto(ll__tw *w, const ll__recorder *r, size_t upto,
                           const ll_trace_event *last) {
    if (!w->buf || w->fd < 0 || (w->sink && w->sink->closed))
        return;
    /* No lock here (a signal may have come while it was held).  The gate was
     * free, so the buffer holds exactly what follows the last byte written
     * and w->next is the first event not in it. */
    w->sink = NULL;
    tw_format_upto(w, r, upto, false);
    if (last)
        put_event(w, r, last, false);
    tw_drain(w);
}

void ll__tw_emergency(ll__tw *w, const ll__recorder *r) {
    if (ll__tw_seize(w, false) == 1)
        ll__tw_emergency_upto(w, r, r->n, NULL);
}

int ll__tw_end(ll__tw *w, const ll__recorder *r) {
    if (!w->buf)
        return -1;
    if (!gate_enter(w))
        return -1; /* a fatal signal's flush owns it */
    tw_events(w, r, false);
    if (w->sink && w->loop > 1) {
        /* A further loop: its lines, and its count towards @end. */
        tw_drain(w);
        pthread_mutex_lock(&w->sink->mu);
        if (w->sink->closed)
            w->dropped = true;
        else {
            tw_write(w, w->buf, w->len);
            w->sink->others += w->next - w->skipped;
        }
        pthread_mutex_unlock(&w->sink->mu);
        w->len = 0;
    } else if (w->sink) {
        /* The first loop: the count includes every other loop's lines, and
         * nothing may be written after @end. */
        tw_drain(w);
        pthread_mutex_lock(&w->sink->mu);
        puts_(w, "@end events=");
        put_u64(w, w->next - w->skipped + w->sink->others);
        putc_(w, '\n');
        tw_write(w, w->buf, w->len);
        w->sink->closed = true;
        pthread_mutex_unlock(&w->sink->mu);
        w->len = 0;
    } else {
        puts_(w, "@end events=");
        put_u64(w, w->next - w->skipped);
        putc_(w, '\n');
        tw_drain(w);
    }
    if (w->file)
        fflush(w->file);
    /* The trace is complete: nothing is left for a signal to flush.  The
     * gate stays shut, so that a late handler finds nothing to take. */
    int was = atomic_exchange(&w->gate, LL__TW_TAKEN);
    free(w->buf);
    free(w->names);
    w->buf = NULL;
    w->names = NULL;
    w->nnames = 0;
    if ((was & LL__TW_WANTED) && ll__tw_deferred_hook)
        ll__tw_deferred_hook();
    return w->failed ? -1 : 0;
}

int ll_trace_write(FILE *out, const ll__recorder *r, const ll_trace_meta *meta, bool wall) {
    ll__tw w;
    if (ll__tw_begin(&w, -1, out, meta, wall) != 0)
        return -1;
    return ll__tw_end(&w, r);
}
