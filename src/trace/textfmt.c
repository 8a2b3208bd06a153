/* textfmt.c - the text trace format v1 (see textfmt.h and
 * docs/trace-format.md). */
#include "textfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <looplab.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the field table ------------------------------------------------------
 * For each event kind: the fields it writes, under which key, from which slot
 * of ll_trace_event, as which type.  Slots no entry covers are still written when
 * non-zero, under their raw names (_sub, _obj, _aux, _val, _str), so any
 * event survives a round trip. */

#define END_SPEC {NULL, 0, 0, 0}
static const fspec sp_loop_start[] = {{"clock", S_STR, T_STR, 0}, END_SPEC};
static const fspec sp_loop_stop[] = {{"iterations", S_AUX, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_iter[] = {{"n", S_VAL, T_I64, ALWAYS}, {"ready", S_AUX, T_U32, ALWAYS},
                                END_SPEC};
static const fspec sp_poll[] = {{"timeout", S_VAL, T_TIMEOPT, 0}, {"jumped", S_AUX, T_U32, 0},
                                END_SPEC};
static const fspec sp_task_new[] = {{"name", S_STR, T_STR, ALWAYS},
                                    {"coro", S_AUX, T_STR, 0},
                                    {"parent", S_OBJ, T_U32, 0},
                                    {"stack", S_VAL, T_I64, 0},
                                    END_SPEC};
static const fspec sp_ready[] = {{"reason", S_SUB, T_REASON, ALWAYS},
                                 {"pos", S_AUX, T_U32, ALWAYS},
                                 {"obj", S_OBJ, T_U32, 0},
                                 END_SPEC};
static const fspec sp_run[] = {{"behind", S_AUX, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_wait[] = {{"on", S_SUB, T_WAIT, ALWAYS},
                                {"obj", S_OBJ, T_U32, ALWAYS},
                                {"until", S_VAL, T_TIMEOPT, 0},
                                {"op", S_AUX, T_IOOP, 0},
                                END_SPEC};
static const fspec sp_done[] = {{"result", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_failed[] = {{"error", S_AUX, T_ERR, ALWAYS},
                                  {"message", S_STR, T_STR, ALWAYS},
                                  END_SPEC};
static const fspec sp_none[] = {END_SPEC};
static const fspec sp_cancel[] = {{"target", S_OBJ, T_U32, ALWAYS},
                                  {"accepted", S_AUX, T_U32, ALWAYS},
                                  END_SPEC};
static const fspec sp_cb_queued[] = {{"obj", S_OBJ, T_U32, ALWAYS},
                                     {"reason", S_SUB, T_REASON, ALWAYS},
                                     {"pos", S_AUX, T_U32, ALWAYS},
                                     END_SPEC};
static const fspec sp_cb_run[] = {{"obj", S_OBJ, T_U32, ALWAYS},
                                  {"reason", S_SUB, T_REASON, ALWAYS},
                                  END_SPEC};
static const fspec sp_timer_arm[] = {{"timer", S_OBJ, T_U32, ALWAYS},
                                     {"when", S_VAL, T_TIME, ALWAYS},
                                     END_SPEC};
static const fspec sp_timer[] = {{"timer", S_OBJ, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_fut_new[] = {{"fut", S_OBJ, T_U32, ALWAYS},
                                   {"kind", S_SUB, T_FUTKIND, ALWAYS},
                                   {"children", S_AUX, T_U32, 0},
                                   END_SPEC};
static const fspec sp_fut_done[] = {{"fut", S_OBJ, T_U32, ALWAYS},
                                    {"outcome", S_SUB, T_OUTCOME, ALWAYS},
                                    {"value", S_STR, T_STR, ALWAYS},
                                    END_SPEC};
static const fspec sp_coro[] = {{"coro", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_warn[] = {{"kind", S_SUB, T_WARN, ALWAYS},
                                {"text", S_STR, T_STR, ALWAYS},
                                END_SPEC};
static const fspec sp_sync_new[] = {{"obj", S_OBJ, T_U32, ALWAYS},
                                    {"kind", S_SUB, T_SYNCKIND, ALWAYS},
                                    {"value", S_AUX, T_U32, ALWAYS},
                                    {"name", S_STR, T_STR, 0},
                                    END_SPEC};
static const fspec sp_sync[] = {{"obj", S_OBJ, T_U32, ALWAYS},
                                {"op", S_SUB, T_SYNCOP, ALWAYS},
                                {"value", S_AUX, T_U32, ALWAYS},
                                {"waiters", S_VAL, T_I64, ALWAYS},
                                /* a queue's put and get: the item's repr (1.6) */
                                {"item", S_STR, T_STR, CLIP_ITEM | SINCE(6)},
                                END_SPEC};
static const fspec sp_check[] = {{"state", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_job_submit[] = {{"job", S_OBJ, T_U32, ALWAYS},
                                      {"fn", S_STR, T_STR, ALWAYS},
                                      END_SPEC};
static const fspec sp_job_start[] = {{"job", S_OBJ, T_U32, ALWAYS},
                                     {"worker", S_AUX, T_U32, ALWAYS},
                                     END_SPEC};
static const fspec sp_job_end[] = {{"job", S_OBJ, T_U32, ALWAYS},
                                   {"worker", S_AUX, T_U32, ALWAYS},
                                   {"outcome", S_SUB, T_OUTCOME, ALWAYS},
                                   {"value", S_STR, T_STR, 0},
                                   END_SPEC};
static const fspec sp_blocking[] = {{"for", S_VAL, T_TIME, ALWAYS},
                                    {"busy", S_AUX, T_U32, 0},
                                    END_SPEC};
static const fspec sp_text_job[] = {{"text", S_STR, T_STR, ALWAYS},
                                    {"job", S_OBJ, T_U32, 0},
                                    {"worker", S_AUX, T_U32, 0},
                                    END_SPEC};
static const fspec sp_yield[] = {{"gen", S_OBJ, T_U32, ALWAYS},
                                 {"value", S_STR, T_STR, ALWAYS},
                                 END_SPEC};
static const fspec sp_io_new[] = {{"sock", S_OBJ, T_U32, ALWAYS},
                                  {"role", S_SUB, T_IOROLE, ALWAYS},
                                  {"addr", S_STR, T_STR, ALWAYS},
                                  END_SPEC};
static const fspec sp_io[] = {{"sock", S_OBJ, T_U32, ALWAYS},
                              {"op", S_SUB, T_IOOP, ALWAYS},
                              {"bytes", S_VAL, T_I64, 0},
                              {"detail", S_STR, T_STR, 0},
                              END_SPEC};
static const fspec sp_run_end[] = {{"how", S_SUB, T_HOW, ALWAYS},
                                   {"code", S_VAL, T_I64, 0},
                                   {"detail", S_STR, T_STR, 0},
                                   END_SPEC};

const fspec *ll__fields_of(unsigned kind) {
    switch (kind) {
    case LL_EV_LOOP_START: return sp_loop_start;
    case LL_EV_LOOP_STOP: return sp_loop_stop;
    case LL_EV_ITER: return sp_iter;
    case LL_EV_POLL: return sp_poll;
    case LL_EV_TASK_NEW: return sp_task_new;
    case LL_EV_TASK_READY: return sp_ready;
    case LL_EV_TASK_RUN: return sp_run;
    case LL_EV_TASK_WAIT: return sp_wait;
    case LL_EV_TASK_DONE: return sp_done;
    case LL_EV_TASK_FAILED: return sp_failed;
    case LL_EV_CANCEL: return sp_cancel;
    case LL_EV_CB_QUEUED: return sp_cb_queued;
    case LL_EV_CB_RUN: return sp_cb_run;
    case LL_EV_TIMER_ARM: return sp_timer_arm;
    case LL_EV_TIMER_FIRE:
    case LL_EV_TIMER_CANCEL: return sp_timer;
    case LL_EV_FUT_NEW: return sp_fut_new;
    case LL_EV_FUT_DONE: return sp_fut_done;
    case LL_EV_CORO_ENTER:
    case LL_EV_CORO_EXIT: return sp_coro;
    case LL_EV_PRINT:
    case LL_EV_NOTE: return sp_text_job;
    case LL_EV_JOB_SUBMIT: return sp_job_submit;
    case LL_EV_JOB_START: return sp_job_start;
    case LL_EV_JOB_END: return sp_job_end;
    case LL_EV_BLOCKING: return sp_blocking;
    case LL_EV_AGEN_YIELD: return sp_yield;
    case LL_EV_IO_NEW: return sp_io_new;
    case LL_EV_IO: return sp_io;
    case LL_EV_WARN: return sp_warn;
    case LL_EV_RUN_END: return sp_run_end;
    case LL_EV_SYNC_NEW: return sp_sync_new;
    case LL_EV_SYNC: return sp_sync;
    case LL_EV_CHECK: return sp_check;
    default: return sp_none;
    }
}

static const char *const raw_keys[S__N] = {"_sub", "_obj", "_aux", "_val", "_str"};
static const char *const futkind_names[] = {"future", "task", "gather", "sleep", "job", "io"};
static const char *const outcome_names[] = {"result", "error", "cancelled"};
static const char *const how_names[] = {"closed", "exited", "signal", "timeout", "lost"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int64_t ll__field_get(const ll_trace_event *e, unsigned s) {
    switch (s) {
    case S_SUB: return e->sub;
    case S_OBJ: return e->obj;
    case S_AUX: return e->aux;
    case S_VAL: return e->val;
    default: return e->str;
    }
}

static void slot_set(ll_trace_event *e, unsigned s, int64_t v) {
    switch (s) {
    case S_SUB: e->sub = (uint16_t)v; break;
    case S_OBJ: e->obj = (uint32_t)v; break;
    case S_AUX: e->aux = (uint32_t)v; break;
    case S_VAL: e->val = v; break;
    default: e->str = (uint32_t)v; break;
    }
}

static const char *err_name(int code) {
#define LL__ERRNAME(name, c, py, text)                                         \
    if (code == (c))                                                           \
        return py;
    LL_ERRNO_MAP(LL__ERRNAME)
#undef LL__ERRNAME
    return NULL;
}

static int err_code(const char *s, size_t n) {
#define LL__ERRCODE(name, c, py, text)                                         \
    if (strlen(py) == n && memcmp(py, s, n) == 0)                              \
        return c;
    LL_ERRNO_MAP(LL__ERRCODE)
#undef LL__ERRCODE
    return 0;
}

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

static inline void puts_(ll__tw *w, const char *s) { put(w, s, strlen(s)); }

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
    return ns > LL_TRACE_TIME_MAX ? LL_TRACE_TIME_MAX : ns < -LL_TRACE_TIME_MAX ? -LL_TRACE_TIME_MAX : ns;
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

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
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
            k = utf8_len(p + i, n - i);
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
        case '"': esc[1] = '"'; put(w, esc, 2); i++; continue;
        case '\\': esc[1] = '\\'; put(w, esc, 2); i++; continue;
        case '\n': esc[1] = 'n'; put(w, esc, 2); i++; continue;
        case '\r': esc[1] = 'r'; put(w, esc, 2); i++; continue;
        case '\t': esc[1] = 't'; put(w, esc, 2); i++; continue;
        default: break;
        }
        size_t k = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
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

const char *ll__field_enum_name(unsigned type, int64_t v) {
    switch (type) {
    case T_REASON: return v >= 0 && v < LL_REASON__COUNT ? ll_reason_name((unsigned)v) : NULL;
    case T_WAIT: return v >= 0 && v < LL_WAIT__COUNT ? ll_wait_kind_name((unsigned)v) : NULL;
    case T_WARN: return v >= 0 && v < LL_WARN__COUNT ? ll_warn_kind_name((unsigned)v) : NULL;
    case T_FUTKIND: return v >= 0 && (size_t)v < NELEM(futkind_names) ? futkind_names[v] : NULL;
    case T_OUTCOME: return v >= 0 && (size_t)v < NELEM(outcome_names) ? outcome_names[v] : NULL;
    case T_HOW: return v >= 0 && (size_t)v < NELEM(how_names) ? how_names[v] : NULL;
    case T_ERR: return err_name(-(int)v);
    case T_SYNCKIND: return v >= 0 && v < LL_SYNC__COUNT ? ll_sync_kind_name((unsigned)v) : NULL;
    case T_SYNCOP: return v >= 0 && v < LL_SYNC_OP__COUNT ? ll_sync_op_name((unsigned)v) : NULL;
    case T_IOROLE: return v >= 0 && v < LL_IO_ROLE__COUNT ? ll_io_role_name((unsigned)v) : NULL;
    case T_IOOP: return v >= 0 && v < LL_IO_OP__COUNT ? ll_io_op_name((unsigned)v) : NULL;
    default: return NULL;
    }
}

static void put_enum(ll__tw *w, const char *name, int64_t v) {
    if (name)
        puts_(w, name);
    else
        put_i64(w, v); /* a value this version has no name for */
}

static void put_field(ll__tw *w, const ll__recorder *r, const char *key, unsigned type,
                      int64_t v, unsigned flags) {
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
        size_t cap = w->nnames ? w->nnames : 64;
        while (cap <= task)
            cap *= 2;
        uint32_t *n = realloc(w->names, cap * sizeof *n);
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
            put_field(w, r, raw_keys[s], s == S_STR ? T_STR : T_I64, v, 0);
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

void ll__tw_learn(ll__tw *w, uint32_t task, uint32_t name) { learn_name(w, task, name, true); }

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
            if (!defer ||
                atomic_compare_exchange_strong(&w->gate, &g, LL__TW_BUSY | LL__TW_WANTED))
                return 0;
        } else {
            return g & LL__TW_WANTED ? 0 : -1;
        }
        /* The gate changed under us (another thread): look again. */
    }
}

void ll__tw_release(ll__tw *w) { atomic_store(&w->gate, LL__TW_FREE); }

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

uint64_t ll_trace_clipped(const ll_trace *t, size_t i) {
    size_t lo = 0, hi = t->nclips;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->clips[mid].event < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->nclips && t->clips[lo].event == i ? t->clips[lo].bytes : 0;
}

int ll_trace_write_parsed(FILE *out, const ll_trace *t) {
    if (!t->loops && !t->nclips)
        return ll_trace_write(out, &t->rec, &t->meta, t->wall);
    ll__tw w;
    if (ll__tw_begin(&w, -1, out, &t->meta, t->wall) != 0)
        return -1;
    size_t c = 0; /* the next clipped event */
    for (size_t i = 0; i < t->rec.n; i++) {
        w.loop = ll_trace_loop_of(t, i);
        /* What was left out before, plus anything clipped now. */
        w.clipped = c < t->nclips && t->clips[c].event == i ? t->clips[c++].bytes : 0;
        put_event(&w, &t->rec, ll__rec_at(&t->rec, i), true);
    }
    w.loop = 0;
    w.next = t->rec.n;
    return ll__tw_end(&w, &t->rec);
}

int ll_trace_write(FILE *out, const ll__recorder *r, const ll_trace_meta *meta, bool wall) {
    ll__tw w;
    if (ll__tw_begin(&w, -1, out, meta, wall) != 0)
        return -1;
    return ll__tw_end(&w, r);
}

/* ---- reader --------------------------------------------------------------- */

#define MAX_LINE LL_TRACE_MAX_LINE

typedef struct rd {
    ll_trace *t;
    const char *name;
    const char *p, *end;   /* the current line [p, end) */
    const char *line0;     /* its start, for columns */
    size_t lineno;
    char *err;
    size_t errlen;
    char *sbuf;            /* scratch for unescaped strings */
    size_t scap;
    uint32_t *files;       /* hash of file names: slot -> index in t->owned + 1 */
    size_t filecap;        /* slots (a power of two), at least twice nfiles */
    size_t nfiles;
    size_t filebytes;      /* bytes of the file names interned */
    bool ended;            /* the @end line was read */
    size_t limit;          /* bytes a read may hold (see held()) */
    ll_trace_each each;    /* streaming: where each event goes (NULL: keep them) */
    void *ud;              /* for each */
    int each_rc;           /* what each returned, when it stopped the reading */
    bool line_clipped;     /* this line gave clipped= already */
    int64_t last_t[LL_TRACE_MAX_LOOPS + 1]; /* per loop: times only grow within one */
} rd;

char *ll_trace_term_safe(char *dst, size_t cap, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    if (!cap)
        return dst;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len(p + i, n - i);
        /* U+0080..U+009F are the C1 controls (0xC2 0x80..0x9F): a terminal
         * may act on them as it does on ESC. */
        bool c1 = k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;
        bool plain = k == 1 && p[i] >= 0x20 && p[i] != 0x7f;
        if ((plain || (k > 1 && !c1)) && o + k < cap) {
            memcpy(dst + o, p + i, k);
            o += k;
            i += k;
            continue;
        }
        if (plain || (k > 1 && !c1) || o + 4 >= cap)
            break; /* no room left */
        dst[o++] = '\\';
        dst[o++] = 'x';
        dst[o++] = hex[p[i] >> 4];
        dst[o++] = hex[p[i] & 15];
        i++;
    }
    dst[o] = '\0';
    return dst;
}

static int fail(rd *r, const char *at, const char *fmt, ...) LL_PRINTF(3, 4);
static int fail(rd *r, const char *at, const char *fmt, ...) {
    size_t col = at && r->line0 && at >= r->line0 ? (size_t)(at - r->line0) + 1 : 1;
    int n = snprintf(r->err, r->errlen, "%s:%zu:%zu: ", r->name, r->lineno, col);
    if (n >= 0 && (size_t)n < r->errlen) {
        /* The message quotes the input (a name, a reason): it is made safe
         * for the terminal it will be shown on. */
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        ll_trace_term_safe(r->err + n, r->errlen - (size_t)n, msg,
                           m < 0 ? 0 : (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1);
    }
    return -1;
}

static char *own(ll_trace *t, const char *s, size_t n) {
    if (t->nowned == t->ownedcap) {
        size_t cap = t->ownedcap ? t->ownedcap * 2 : 16;
        char **o = realloc(t->owned, cap * sizeof *o);
        if (!o)
            return NULL;
        t->owned = o;
        t->ownedcap = cap;
    }
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    memcpy(c, s, n);
    c[n] = '\0';
    t->owned[t->nowned++] = c;
    return c;
}

static void skip_spaces(rd *r) {
    while (r->p < r->end && *r->p == ' ')
        r->p++;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses a quoted string at r->p into r->sbuf; *len gets its length. */
static int read_quoted(rd *r, size_t *len) {
    const char *q = r->p;
    if (q >= r->end || *q != '"')
        return fail(r, q, "expected a quoted string");
    q++;
    size_t n = 0;
    for (;;) {
        if (q >= r->end)
            return fail(r, q, "string not closed: expected '\"' before the end of the line");
        if (n + 4 > r->scap) {
            size_t cap = r->scap ? r->scap * 2 : 256;
            char *b = realloc(r->sbuf, cap);
            if (!b)
                return fail(r, q, "out of memory");
            r->sbuf = b;
            r->scap = cap;
        }
        unsigned char c = (unsigned char)*q;
        if (c == '"') {
            q++;
            break;
        }
        if (c == '\\') {
            if (q + 1 >= r->end)
                return fail(r, q, "expected an escape after '\\'");
            char e = q[1];
            switch (e) {
            case '"': r->sbuf[n++] = '"'; q += 2; continue;
            case '\\': r->sbuf[n++] = '\\'; q += 2; continue;
            case 'n': r->sbuf[n++] = '\n'; q += 2; continue;
            case 'r': r->sbuf[n++] = '\r'; q += 2; continue;
            case 't': r->sbuf[n++] = '\t'; q += 2; continue;
            case 'x': {
                int h = q + 2 < r->end ? hexval(q[2]) : -1;
                int l = q + 3 < r->end ? hexval(q[3]) : -1;
                if (h < 0 || l < 0)
                    return fail(r, q, "expected two hex digits after '\\x'");
                r->sbuf[n++] = (char)(h * 16 + l);
                q += 4;
                continue;
            }
            default:
                return fail(r, q, "unknown escape '\\%c' (expected \\\" \\\\ \\n \\r \\t \\xHH)",
                            e >= 0x20 && e < 0x7f ? e : '?');
            }
        }
        if (c < 0x20 || c == 0x7f)
            return fail(r, q, "control byte 0x%02x inside a string (expected it escaped)", c);
        r->sbuf[n++] = (char)c;
        q++;
    }
    r->p = q;
    *len = n;
    return 0;
}

/* A bare token or a quoted string, ending before any of `stops`. */
static int read_name(rd *r, const char *stops, const char **s, size_t *n) {
    if (r->p < r->end && *r->p == '"') {
        if (read_quoted(r, n) != 0)
            return -1;
        *s = r->sbuf;
        return 0;
    }
    const char *b = r->p;
    while (r->p < r->end && *r->p != ' ' && !(*stops && strchr(stops, *r->p))) {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20 || c >= 0x7f)
            return fail(r, r->p, "unexpected byte 0x%02x (expected a name or a quoted string)", c);
        r->p++;
    }
    if (r->p == b)
        return fail(r, b, "expected a name");
    *s = b;
    *n = (size_t)(r->p - b);
    return 0;
}

static int read_i64(rd *r, int64_t *out) {
    const char *q = r->p;
    bool neg = false;
    if (q < r->end && *q == '-')
        neg = true, q++;
    if (q >= r->end || *q < '0' || *q > '9')
        return fail(r, r->p, "expected a number");
    uint64_t v = 0;
    while (q < r->end && *q >= '0' && *q <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return fail(r, r->p, "number too large");
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
    }
    if (v > (uint64_t)INT64_MAX + neg)
        return fail(r, r->p, "number too large");
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    r->p = q;
    return 0;
}

/* Seconds with up to nine decimals, to ns. */
static int read_time(rd *r, int64_t *out) {
    const char *q = r->p;
    bool neg = false;
    if (q < r->end && *q == '-')
        neg = true, q++;
    if (q >= r->end || *q < '0' || *q > '9')
        return fail(r, r->p, "expected a time in seconds (like 1.500000000)");
    uint64_t s = 0;
    int digits = 0;
    while (q < r->end && *q >= '0' && *q <= '9') {
        s = s * 10 + (uint64_t)(*q++ - '0');
        if (++digits > 10)
            return fail(r, r->p, "time too large");
    }
    uint64_t ns = 0;
    if (q < r->end && *q == '.') {
        q++;
        int fd = 0;
        while (q < r->end && *q >= '0' && *q <= '9') {
            if (fd == 9)
                return fail(r, q, "more than nine decimals in a time");
            ns = ns * 10 + (uint64_t)(*q++ - '0');
            fd++;
        }
        if (fd == 0)
            return fail(r, q, "expected decimals after '.'");
        for (; fd < 9; fd++)
            ns *= 10;
    }
    if (s > (uint64_t)(INT64_MAX - 999999999) / 1000000000u)
        return fail(r, r->p, "time too large");
    int64_t v = (int64_t)(s * 1000000000u + ns);
    *out = neg ? -v : v;
    r->p = q;
    return 0;
}

/* Called for every kind and key of every line against the tables: the
 * first byte settles most comparisons without a strlen. */
static bool token_is(const char *s, size_t n, const char *word) {
    if (n == 0 || word[0] != s[0])
        return n == 0 && word[0] == '\0';
    return strnlen(word, n + 1) == n && memcmp(s, word, n) == 0;
}

static int read_enum(rd *r, unsigned type, int64_t *out) {
    const char *at = r->p;
    if (r->p < r->end && (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')))
        return read_i64(r, out); /* a value the writer had no name for */
    const char *s;
    size_t n;
    if (read_name(r, "", &s, &n) != 0)
        return -1;
    switch (type) {
    case T_REASON:
        for (unsigned i = 0; i < LL_REASON__COUNT; i++)
            if (token_is(s, n, ll_reason_name(i)))
                return *out = i, 0;
        return fail(r, at, "unknown reason '%.*s'", (int)n, s);
    case T_WAIT:
        for (unsigned i = 0; i < LL_WAIT__COUNT; i++)
            if (token_is(s, n, ll_wait_kind_name(i)))
                return *out = i, 0;
        return fail(r, at, "unknown wait kind '%.*s'", (int)n, s);
    case T_WARN:
        for (unsigned i = 0; i < LL_WARN__COUNT; i++)
            if (token_is(s, n, ll_warn_kind_name(i)))
                return *out = i, 0;
        return fail(r, at, "unknown warning kind '%.*s'", (int)n, s);
    case T_FUTKIND:
        for (unsigned i = 0; i < NELEM(futkind_names); i++)
            if (token_is(s, n, futkind_names[i]))
                return *out = i, 0;
        return fail(r, at, "unknown future kind '%.*s'", (int)n, s);
    case T_OUTCOME:
        for (unsigned i = 0; i < NELEM(outcome_names); i++)
            if (token_is(s, n, outcome_names[i]))
                return *out = i, 0;
        return fail(r, at, "unknown outcome '%.*s'", (int)n, s);
    case T_HOW:
        for (unsigned i = 0; i < NELEM(how_names); i++)
            if (token_is(s, n, how_names[i]))
                return *out = i, 0;
        return fail(r, at, "unknown run ending '%.*s'", (int)n, s);
    case T_SYNCKIND:
        for (unsigned i = 0; i < LL_SYNC__COUNT; i++)
            if (token_is(s, n, ll_sync_kind_name(i)))
                return *out = i, 0;
        return fail(r, at, "unknown primitive kind '%.*s'", (int)n, s);
    case T_SYNCOP:
        for (unsigned i = 0; i < LL_SYNC_OP__COUNT; i++)
            if (token_is(s, n, ll_sync_op_name(i)))
                return *out = i, 0;
        return fail(r, at, "unknown operation '%.*s'", (int)n, s);
    case T_IOROLE:
        for (unsigned i = 0; i < LL_IO_ROLE__COUNT; i++)
            if (token_is(s, n, ll_io_role_name(i)))
                return *out = i, 0;
        return fail(r, at, "unknown socket role '%.*s'", (int)n, s);
    case T_IOOP:
        for (unsigned i = 0; i < LL_IO_OP__COUNT; i++)
            if (token_is(s, n, ll_io_op_name(i)))
                return *out = i, 0;
        return fail(r, at, "unknown socket operation '%.*s'", (int)n, s);
    case T_ERR: {
        int c = err_code(s, n);
        if (!c)
            return fail(r, at, "unknown error name '%.*s'", (int)n, s);
        *out = -c;
        return 0;
    }
    default: return fail(r, at, "internal: not an enum type");
    }
}

static int read_value(rd *r, unsigned type, int64_t *out) {
    switch (type) {
    case T_U32:
    case T_I64: {
        const char *at = r->p;
        if (read_i64(r, out) != 0)
            return -1;
        if (type == T_U32 && (*out < 0 || *out > UINT32_MAX))
            return fail(r, at, "expected a number from 0 to 4294967295");
        return 0;
    }
    case T_TIMEOPT:
        if (r->end - r->p >= 4 && memcmp(r->p, "none", 4) == 0) {
            r->p += 4;
            *out = -1;
            return 0;
        }
        return read_time(r, out);
    case T_TIME: return read_time(r, out);
    case T_STR: {
        size_t n;
        if (read_quoted(r, &n) != 0)
            return -1;
        uint32_t id = ll__rec_str(&r->t->rec, r->sbuf, n);
        if (n && !id)
            return fail(r, r->p, "out of memory");
        *out = id;
        return 0;
    }
    default: return read_enum(r, type, out);
    }
}

static size_t file_hash(const char *s, size_t n) {
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return (size_t)(h ^ (h >> 32));
}

/* The slot of file name s in r->files: where it is, or the empty slot
 * where it would go. */
static size_t file_slot(const rd *r, const char *s, size_t n) {
    size_t mask = r->filecap - 1, i = file_hash(s, n) & mask;
    for (; r->files[i]; i = (i + 1) & mask) {
        const char *o = r->t->owned[r->files[i] - 1];
        if (strlen(o) == n && memcmp(o, s, n) == 0)
            break;
    }
    return i;
}

/* The one copy of a file name, so that sites intern by pointer.  Found by
 * hash: a trace can name a file per event. */
static const char *intern_file(rd *r, const char *s, size_t n) {
    ll_trace *t = r->t;
    if ((r->nfiles + 1) * 2 > r->filecap) {
        size_t cap = r->filecap ? r->filecap * 2 : 64;
        uint32_t *old = r->files, *h = calloc(cap, sizeof *h);
        if (!h)
            return NULL;
        size_t oldcap = r->filecap;
        r->files = h;
        r->filecap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i]) {
                const char *o = t->owned[old[i] - 1];
                h[file_slot(r, o, strlen(o))] = old[i];
            }
        free(old);
    }
    size_t i = file_slot(r, s, n);
    if (r->files[i])
        return t->owned[r->files[i] - 1];
    char *c = own(t, s, n);
    if (!c)
        return NULL;
    r->files[i] = (uint32_t)t->nowned;
    r->nfiles++;
    r->filebytes += n + 1 + sizeof(char *) + 2 * sizeof(uint32_t);
    return c;
}

static int remember_task(rd *r, uint32_t id, uint32_t name, unsigned loop) {
    ll_trace *t = r->t;
    if (t->ntasks == t->taskcap) {
        size_t cap = t->taskcap ? t->taskcap * 2 : 64;
        ll_trace_task *n = realloc(t->tasks, cap * sizeof *n);
        if (!n)
            return -1;
        t->tasks = n;
        t->taskcap = cap;
    }
    if (ll__idmap_put(&t->taskidx, id, (uint32_t)t->ntasks) != 0)
        return -1;
    t->tasks[t->ntasks++] = (ll_trace_task){id, name, loop};
    return 0;
}

/* Bytes a read holds for its events, strings, sites, file names and tasks
 * (a stream holds all but the events). */
static size_t held(const rd *r) {
    const ll_trace *t = r->t;
    return t->rec.nchunks * (size_t)LL_REC_CHUNK_BYTES + t->rec.strcap +
           t->rec.sitecap * sizeof(ll__site) + t->rec.site_hash_cap * sizeof(uint32_t) +
           t->taskcap * sizeof(ll_trace_task) + t->taskidx.cap * 2 * sizeof(uint32_t) +
           t->loopcap + r->filebytes;
}

/* The value of a field this reader has no name for (a newer writer's): a
 * quoted string or a bare word, checked as strictly as any other, then
 * dropped. */
static int skip_value(rd *r) {
    size_t n;
    const char *s;
    if (r->p < r->end && *r->p == '"')
        return read_quoted(r, &n);
    return read_name(r, "", &s, &n);
}

/* clipped=N (the writer left N bytes of this event's strings out): kept
 * beside the events, for the viewer and for writing the trace back. */
static int read_clipped(rd *r, const char *key_at) {
    ll_trace *t = r->t;
    int64_t v;
    if (read_i64(r, &v) != 0)
        return -1;
    if (v <= 0)
        return fail(r, key_at, "clipped must be a positive number of bytes");
    if (r->line_clipped)
        return fail(r, key_at, "field 'clipped' given twice");
    r->line_clipped = true;
    if (t->nclips == t->clipcap) {
        size_t cap = t->clipcap ? t->clipcap * 2 : 16;
        ll_trace_clip *c = realloc(t->clips, cap * sizeof *c);
        if (!c)
            return fail(r, key_at, "out of memory");
        t->clips = c;
        t->clipcap = cap;
    }
    t->clips[t->nclips++] = (ll_trace_clip){t->rec.n, (uint64_t)v};
    return 0;
}

static int parse_event(rd *r) {
    ll_trace_event e;
    memset(&e, 0, sizeof e);
    r->line_clipped = false;
    const char *at = r->p;
    size_t str_mark = r->t->rec.strlen_;
    if (read_time(r, &e.t) != 0)
        return -1;
    unsigned loop = 1;
    skip_spaces(r);
    /* task column */
    const char *task_at = r->p;
    const char *tname = NULL;
    size_t tnlen = 0;
    if (r->p < r->end && *r->p == '-') {
        r->p++;
    } else {
        int64_t id;
        if (read_i64(r, &id) != 0 || id <= 0 || id > UINT32_MAX)
            return fail(r, task_at, "expected a task id (a positive number) or '-'");
        if (id > LL_TRACE_MAX_TASK_ID)
            return fail(r, task_at, "task id %lld is over this reader's limit of %u tasks "
                        "(LL_TRACE_MAX_TASK_ID)", (long long)id, LL_TRACE_MAX_TASK_ID);
        e.task = (uint32_t)id;
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            if (read_name(r, "", &tname, &tnlen) != 0)
                return -1;
        }
    }
    if (r->p < r->end && *r->p != ' ')
        return fail(r, r->p, "expected a space after the task");
    skip_spaces(r);
    const char *kind_at = r->p;
    const char *k;
    size_t kn;
    if (read_name(r, "", &k, &kn) != 0)
        return -1;
    unsigned kind = LL_EV__COUNT;
    for (unsigned i = 0; i < LL_EV__COUNT; i++)
        if (token_is(k, kn, ll_event_kind_name(i))) {
            kind = i;
            break;
        }
    /* A kind from a newer writer is checked like any line, then skipped and
     * counted; a trace of this version or older has no kind we do not know. */
    bool unknown_kind = kind == LL_EV__COUNT;
    if (unknown_kind && r->t->minor <= LL_TRACE_MINOR)
        return fail(r, kind_at, "unknown event kind '%.*s' (a %u.%u trace has no such kind)",
                    (int)kn, k, r->t->major, r->t->minor);
    e.kind = (uint16_t)kind;
    if (kind == LL_EV_TASK_NEW && e.task == 0)
        return fail(r, task_at, "task_new needs a task id");
    const ll_trace_task *known = e.task ? ll_trace_task_of(r->t, e.task) : NULL;
    /* After `@dropped`, a task's task_new may be among the events dropped. */
    bool before_ring = e.task && kind != LL_EV_TASK_NEW && !unknown_kind && !known &&
                       r->t->meta.dropped;
    if (e.task && kind != LL_EV_TASK_NEW && !unknown_kind && !known && !before_ring)
        return fail(r, task_at, "event for task %u, which no task_new created", e.task);
    if (known && kind != LL_EV_TASK_NEW && tname) {
        size_t n;
        const char *name = ll__rec_strp(&r->t->rec, known->name, &n);
        if (n != tnlen || memcmp(name, tname, n) != 0)
            return fail(r, task_at, "task %u is called '%s', not '%.*s'", e.task, name,
                        (int)tnlen, tname);
    }
    const fspec *spec = unknown_kind ? sp_none : ll__fields_of(kind);
    bool seen[S__N] = {false};
    for (const fspec *sp = spec; sp->key; sp++)
        if (sp->type == T_TIMEOPT)
            slot_set(&e, sp->slot, -1);
    while (r->p < r->end) {
        if (*r->p != ' ')
            return fail(r, r->p, "expected a space before the next field");
        skip_spaces(r);
        if (r->p == r->end)
            break;
        const char *key_at = r->p;
        const char *eq = r->p;
        while (eq < r->end && *eq != '=' && *eq != ' ')
            eq++;
        if (eq == r->end || *eq != '=' || eq == r->p)
            return fail(r, key_at, "expected key=value");
        size_t klen = (size_t)(eq - r->p);
        r->p = eq + 1;
        if (token_is(key_at, klen, "at")) {
            const char *fs;
            size_t fn;
            if (read_name(r, ":", &fs, &fn) != 0)
                return -1;
            if (r->p >= r->end || *r->p != ':')
                return fail(r, r->p, "expected ':LINE' after the file name");
            r->p++;
            const char *file = intern_file(r, fs, fn);
            int64_t line;
            if (!file)
                return fail(r, key_at, "out of memory");
            if (read_i64(r, &line) != 0 || line < 0 || line > INT32_MAX)
                return fail(r, r->p, "expected a line number");
            e.site = ll__rec_site(&r->t->rec, file, (int)line);
            continue;
        }
        if (token_is(key_at, klen, "wall")) {
            if (read_i64(r, &e.wall) != 0)
                return -1;
            continue;
        }
        if (token_is(key_at, klen, "clipped")) {
            if (read_clipped(r, key_at) != 0)
                return -1;
            continue;
        }
        if (token_is(key_at, klen, "loop") && r->t->minor >= 4) {
            int64_t v;
            if (read_i64(r, &v) != 0)
                return -1;
            if (v < 1 || v > LL_TRACE_MAX_LOOPS)
                return fail(r, key_at, "loop must be 1 to %d, not %lld", LL_TRACE_MAX_LOOPS,
                            (long long)v);
            loop = (unsigned)v;
            continue;
        }
        const fspec *f = NULL;
        for (const fspec *sp = spec; sp->key; sp++)
            if (token_is(key_at, klen, sp->key) && r->t->minor >= SINCE_OF(sp->flags)) {
                f = sp; /* a field newer than the trace is unknown in it */
                break;
            }
        unsigned slot, type;
        if (unknown_kind) {
            if (skip_value(r) != 0)
                return -1;
            continue;
        }
        if (f) {
            slot = f->slot;
            type = f->type;
        } else {
            unsigned s;
            for (s = 0; s < S__N; s++)
                if (token_is(key_at, klen, raw_keys[s]))
                    break;
            if (s == S__N) {
                if (r->t->minor > LL_TRACE_MINOR) {
                    /* A newer writer's field: check its value, skip it. */
                    if (skip_value(r) != 0)
                        return -1;
                    continue;
                }
                return fail(r, key_at, "unknown field '%.*s' for a %s event", (int)klen, key_at,
                            ll_event_kind_name(kind));
            }
            slot = s;
            type = s == S_STR ? T_STR : T_I64;
        }
        if (seen[slot])
            return fail(r, key_at, "field '%.*s' given twice", (int)klen, key_at);
        seen[slot] = true;
        int64_t v;
        if (read_value(r, type, &v) != 0)
            return -1;
        slot_set(&e, slot, v);
    }
    if (e.t < r->last_t[loop])
        return fail(r, at, "time goes backwards (%lld ns after %lld ns%s)", (long long)e.t,
                    (long long)r->last_t[loop], r->t->nloops > 1 ? " in the same loop" : "");
    if (unknown_kind) {
        r->t->unknown++;
        if (r->line_clipped)
            r->t->nclips--; /* the event is skipped, and what it left out with it */
        r->last_t[loop] = e.t;
        return 0;
    }
    if (kind == LL_EV_TASK_NEW) {
        if (known)
            return fail(r, task_at, "task %u created twice", e.task);
        if (remember_task(r, e.task, e.str, loop) != 0)
            return fail(r, task_at, "out of memory");
    }
    if (before_ring) {
        /* Known from here on by the name its lines carry. */
        uint32_t name = tname ? ll__rec_str(&r->t->rec, tname, tnlen) : 0;
        if (remember_task(r, e.task, name, loop) != 0)
            return fail(r, task_at, "out of memory");
    }
    size_t idx = r->t->rec.n;
    if (!r->each && (loop > 1 || r->t->loops)) {
        /* Which loop each event belongs to, kept once a second loop appears. */
        if (idx >= r->t->loopcap) {
            size_t cap = r->t->loopcap ? r->t->loopcap * 2 : 4096;
            while (cap <= idx)
                cap *= 2;
            uint8_t *nl = realloc(r->t->loops, cap);
            if (!nl)
                return fail(r, at, "out of memory");
            memset(nl + r->t->loopcap, 1, cap - r->t->loopcap);
            r->t->loops = nl;
            r->t->loopcap = cap;
        }
        r->t->loops[idx] = (uint8_t)loop;
    }
    if (loop > r->t->nloops)
        r->t->nloops = loop;
    r->last_t[loop] = e.t;
    r->t->events++;
    ll_trace_event *slotp = ll__rec_next(&r->t->rec);
    if (!slotp)
        return fail(r, at, "out of memory");
    *slotp = e;
    if (held(r) > r->limit)
        return fail(r, at, "the trace needs more than %zu MiB to hold (the limit is "
                    "LOOPLAB_TRACE_MEMORY_MB=%zu; set that variable to raise it)",
                    r->limit >> 20, r->limit >> 20);
    if (r->each) {
        /* Streaming: hand the event on, then forget it and the strings it
         * brought (a task's name stays: later lines refer to it). */
        int rc = r->each(r->ud, r->t, slotp, loop);
        /* Its clipped= went with it (each sees it at ll_trace_clipped(t,
         * t->rec.n - 1)); every streamed event has that same index. */
        if (r->t->nclips && r->t->clips[r->t->nclips - 1].event == idx)
            r->t->nclips--;
        r->t->rec.n--;
        r->t->rec.cur--;
        if (kind != LL_EV_TASK_NEW)
            r->t->rec.strlen_ = str_mark;
        if (rc != 0) {
            r->each_rc = rc;
            return -1;
        }
        return 0;
    }
    return 0;
}

static int parse_meta(rd *r) {
    const char *at = r->p;
    r->p++; /* '@' */
    const char *k = r->p;
    while (r->p < r->end && *r->p != ' ')
        r->p++;
    size_t kn = (size_t)(r->p - k);
    skip_spaces(r);
    if (token_is(k, kn, "end")) {
        if (r->end - r->p < 7 || memcmp(r->p, "events=", 7) != 0)
            return fail(r, r->p, "expected 'events=N' after @end");
        r->p += 7;
        int64_t n;
        if (read_i64(r, &n) != 0)
            return -1;
        skip_spaces(r);
        if (r->p != r->end)
            return fail(r, r->p, "unexpected text after '@end events=N'");
        if ((uint64_t)n != r->t->events + r->t->unknown)
            return fail(r, at, "@end says %lld events, but %zu were read", (long long)n,
                        r->t->events + r->t->unknown);
        return 1;
    }
    size_t n;
    if (read_quoted(r, &n) != 0)
        return -1;
    char *v = own(r->t, r->sbuf, n);
    if (!v)
        return fail(r, at, "out of memory");
    ll_trace_meta *m = &r->t->meta;
    if (token_is(k, kn, "program"))
        m->program = v;
    else if (token_is(k, kn, "lesson"))
        m->lesson = v;
    else if (token_is(k, kn, "clock"))
        m->clock = v;
    else if (token_is(k, kn, "library"))
        m->library = v;
    else if (token_is(k, kn, "start"))
        m->start = v;
    else if (token_is(k, kn, "wall"))
        r->t->wall = true;
    else if (token_is(k, kn, "dropped")) {
        /* A ring's count of the events before the first: digits only. */
        uint64_t d = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i] < '0' || v[i] > '9' || d > (UINT64_MAX - 9) / 10)
                return fail(r, at, "expected '@dropped \"N\"' with N a count of events");
            d = d * 10 + (uint64_t)(v[i] - '0');
        }
        if (n == 0)
            return fail(r, at, "expected '@dropped \"N\"' with N a count of events");
        r->t->meta.dropped = d;
    }
    /* other keys: metadata from a newer writer, kept out of the way */
    skip_spaces(r);
    if (r->p != r->end)
        return fail(r, r->p, "unexpected text after the value");
    return 0;
}

static const char header[] = "looplab-trace ";

static int bad_header(rd *r, const char *at) {
    return fail(r, at, "expected the header 'looplab-trace %d.%d'", LL_TRACE_MAJOR,
                LL_TRACE_MINOR);
}

static int parse_header(rd *r) {
    ll_trace *t = r->t;
    const char *q = r->p;
    if (r->end - q < 14 || memcmp(q, header, 14) != 0)
        return bad_header(r, q);
    q += 14;
    r->p = q;
    int64_t a, b;
    if (read_i64(r, &a) != 0 || r->p >= r->end || *r->p != '.' || (r->p++, 0) ||
        read_i64(r, &b) != 0 || r->p != r->end || a < 0 || b < 0 || a > 1000 || b > 1000)
        return fail(r, q, "expected a version MAJOR.MINOR after 'looplab-trace '");
    if (a != LL_TRACE_MAJOR)
        return fail(r, q, "trace format version %u.%u: this reader knows version %d",
                    (unsigned)a, (unsigned)b, LL_TRACE_MAJOR);
    t->major = (unsigned)a;
    t->minor = (unsigned)b;
    return 0;
}

/* One line [p, nl), without its newline.  Returns 0 or -1. */
static int parse_line(rd *r, const char *p, const char *nl) {
    r->lineno++;
    r->line0 = r->p = p;
    r->end = nl;
    if (nl > p && nl[-1] == '\r')
        r->end = nl - 1;
    if (r->lineno == 1)
        return parse_header(r);
    skip_spaces(r); /* times are right-aligned */
    if (r->p == r->end || *r->p == '#')
        return 0;
    if (r->ended)
        return fail(r, r->p, "text after the @end line");
    if (*r->p == '@') {
        int m = parse_meta(r);
        if (m == 1)
            r->ended = true;
        return m < 0 ? -1 : 0;
    }
    return parse_event(r);
}

/* A read's state before its first line.  The memory limit comes from the
 * environment (LOOPLAB_TRACE_MEMORY_MB, in MiB), so that a user can raise it
 * for one command. */
static void rd_begin(rd *r, ll_trace *t, const char *name, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    ll__rec_init(&t->rec, true);
    t->nloops = 1;
    memset(r, 0, sizeof *r);
    r->t = t;
    r->name = name;
    r->err = err;
    r->errlen = errlen;
    size_t mb = LL_TRACE_MEMORY_MB;
    const char *env = getenv("LOOPLAB_TRACE_MEMORY_MB");
    if (env && *env) {
        char *endp;
        unsigned long long v = strtoull(env, &endp, 10);
        if (*endp == '\0' && v > 0 && v < ((size_t)-1 >> 20))
            mb = (size_t)v;
    }
    r->limit = mb << 20;
    if (errlen)
        err[0] = '\0';
}

static int rd_end(rd *r, int rc) {
    if (!r->ended)
        r->t->truncated = true;
    free(r->sbuf);
    free(r->files);
    return rc;
}

/* The first bytes of a trace, before its first line is complete: anything
 * but the header's start is refused at once (a device of zeros or an endless
 * `yes` is not read up to the line limit). */
static int check_start(rd *r, const char *p, size_t n) {
    size_t k = n < 14 ? n : 14;
    if (r->lineno > 0 || memcmp(p, header, k) == 0)
        return 0;
    r->lineno = 1;
    r->line0 = p;
    return bad_header(r, p);
}

static int too_long(rd *r, const char *p) {
    r->lineno++;
    r->line0 = p;
    return fail(r, p + MAX_LINE, "line longer than %u bytes", MAX_LINE);
}

int ll_trace_parse(ll_trace *t, const char *name, const char *text, size_t len, char *err,
                   size_t errlen) {
    rd r;
    rd_begin(&r, t, name, err, errlen);
    const char *p = text, *end = text + len;
    if (len == 0) {
        r.lineno = 1;
        return rd_end(&r, fail(&r, NULL, "empty file: expected the header 'looplab-trace %d.%d'",
                               LL_TRACE_MAJOR, LL_TRACE_MINOR));
    }
    if (check_start(&r, p, len) != 0)
        return rd_end(&r, -1);
    while (p < end) {
        size_t left = (size_t)(end - p);
        const char *nl = memchr(p, '\n', left < MAX_LINE + 1 ? left : MAX_LINE + 1);
        if (!nl && left > MAX_LINE)
            return rd_end(&r, too_long(&r, p));
        if (!nl)
            break; /* the last line has no newline: the writer stopped mid-line */
        if (parse_line(&r, p, nl) != 0)
            return rd_end(&r, -1);
        p = nl + 1;
    }
    return rd_end(&r, 0);
}

/* Reads f a piece at a time into a buffer that holds at most one line and
 * one piece, parsing each line as it is complete. */
static int read_pieces(rd *r, FILE *f, const char *path) {
    enum { PIECE = 1 << 16 };
    size_t cap = MAX_LINE + 1 + PIECE, have = 0;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(r->err, r->errlen, "%s: out of memory reading it", path);
        return -1;
    }
    int rc = 0;
    bool any = false;
    for (;;) {
        size_t k = fread(buf + have, 1, cap - have, f);
        if (k == 0)
            break;
        if (!any && check_start(r, buf, have + k) != 0) {
            rc = -1;
            break;
        }
        any = true;
        char *p = buf, *end = buf + have + k;
        char *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            if ((size_t)(nl - p) > MAX_LINE) {
                rc = too_long(r, p);
                break;
            }
            if (parse_line(r, p, nl) != 0) {
                rc = r->each_rc ? r->each_rc : -1;
                break;
            }
            p = nl + 1;
        }
        if (rc)
            break;
        have = (size_t)(end - p);
        if (have > MAX_LINE) {
            rc = too_long(r, p);
            break;
        }
        memmove(buf, p, have);
    }
    if (!rc && ferror(f)) {
        snprintf(r->err, r->errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    } else if (!rc && !any) {
        r->lineno = 1;
        rc = fail(r, NULL, "empty file: expected the header 'looplab-trace %d.%d'",
                  LL_TRACE_MAJOR, LL_TRACE_MINOR);
    }
    /* A last line without its newline: the writer stopped mid-line. */
    free(buf);
    return rc;
}

static int read_file(ll_trace *t, const char *path, ll_trace_each each, void *ud, char *err,
                     size_t errlen) {
    rd r;
    rd_begin(&r, t, path, err, errlen);
    r.each = each;
    r.ud = ud;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return rd_end(&r, -1);
    }
    int rc = read_pieces(&r, f, path);
    if (f != stdin)
        fclose(f);
    return rd_end(&r, rc);
}

int ll_trace_load(ll_trace *t, const char *path, char *err, size_t errlen) {
    return read_file(t, path, NULL, NULL, err, errlen);
}

int ll_trace_stream(ll_trace *t, const char *path, ll_trace_each each, void *ud, char *err,
                    size_t errlen) {
    return read_file(t, path, each, ud, err, errlen);
}

void ll_trace_free(ll_trace *t) {
    ll__rec_free(&t->rec);
    for (size_t i = 0; i < t->nowned; i++)
        free(t->owned[i]);
    free(t->owned);
    free(t->loops);
    free(t->tasks);
    ll__idmap_free(&t->taskidx);
    free(t->clips);
    memset(t, 0, sizeof *t);
}
