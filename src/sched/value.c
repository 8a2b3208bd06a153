/* value.c - values, error codes and Python-style repr().
 *
 * ll_repr() prints values the way Python's repr() does, so that a lesson's
 * `print(f"Results: {results}")` and its C twin print the same characters. */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *ll_err_name(int code) {
    switch (code) {
#define LL__ERR_NAME(name, c, pyname, text)                                    \
    case c:                                                                    \
        return pyname;
        LL_ERRNO_MAP(LL__ERR_NAME)
#undef LL__ERR_NAME
    default:
        return "UnknownError";
    }
}

const char *ll_strerror(int code) {
    switch (code) {
#define LL__ERR_TEXT(name, c, pyname, text)                                    \
    case c:                                                                    \
        return text;
        LL_ERRNO_MAP(LL__ERR_TEXT)
#undef LL__ERR_TEXT
    default:
        return "unknown error";
    }
}

/* Python's `except C:` tests the class tree; Looplab's codes are flat, so
 * the two base classes lessons catch are spelled out here. */
bool ll_except(ll_value v, int code) {
    if (v.kind != LL_ERROR)
        return false;
    if (v.err == code)
        return true;
    switch (code) {
    case LL_EOS: /* OSError and its subclasses */
        return v.err == LL_ECONNECTION_REFUSED || v.err == LL_ECONNECTION_RESET ||
               v.err == LL_EFILE_NOT_FOUND || v.err == LL_ETIMEOUT;
    case LL_EEXCEPTION: /* Exception: all but the BaseExceptions */
        return v.err != LL_ECANCELLED && v.err != LL_EGENERATOR_EXIT;
    default:
        return false;
    }
}

/* Where strings made outside any loop go: a few rotating static buffers, so
 * that several results can be used in one printf. */
static char *scratch(size_t need, size_t *cap) {
    static _Thread_local char bufs[4][1024];
    static _Thread_local unsigned next;
    *cap = sizeof bufs[0];
    (void)need;
    return bufs[next++ % 4];
}

/* Copies s (len bytes) into loop memory, or into a scratch buffer
 * (truncated) when no loop exists. */
static const char *keep(const char *s, size_t len) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    char *p = NULL;
    size_t cap = len + 1;
    if (loop)
        p = ll__arena_alloc(loop, len + 1);
    if (!p) {
        p = scratch(len + 1, &cap);
        if (len >= cap)
            len = cap - 1;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

ll_value ll_raise(int code, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt ? fmt : "", ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    if (code >= 0)
        code = LL_EEXCEPTION; /* an error value always carries a failure code */
    ll_value v = {LL_ERROR, code, {.s = n ? keep(buf, (size_t)n) : ""}};
    return v;
}

const char *ll_format(const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt ? fmt : "", ap);
    va_end(ap);
    if (n < 0)
        return "";
    if ((size_t)n < sizeof small)
        return keep(small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return "";
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    const char *p = keep(big, (size_t)n);
    free(big);
    return p;
}

const char *ll_errmsg(ll_value v) {
    return v.kind == LL_ERROR && v.s ? v.s : "";
}

size_t ll_list_len(ll_value v) { return v.kind == LL_LIST && v.list ? v.list->len : 0; }

ll_value ll_list_at(ll_value v, size_t i) {
    if (v.kind != LL_LIST || !v.list || i >= v.list->len)
        return ll_none();
    return v.list->items[i];
}

/* ---- repr ---------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...) LL_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Python's float repr: the shortest form that reads back to the same value. */
static void repr_float(sbuf *b, double d) {
    if (isnan(d)) {
        sb_puts(b, "nan");
        return;
    }
    if (isinf(d)) {
        sb_puts(b, d < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* %g writes 1e+16 where Python writes 1e+16 too, but 2 where Python
     * writes 2.0: add the ".0" to anything that looks like an integer. */
    if (!strpbrk(tmp, ".eEn"))
        strcat(tmp, ".0");
    /* Python switches to exponent form at 1e16, %g at the precision; keep
     * %g's choice except for plain integers written out in full. */
    sb_puts(b, tmp);
}

/* Python's str repr: single quotes unless the text has ' and no ". */
static void repr_str(sbuf *b, const char *s) {
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    sb_put(b, &q, 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': sb_puts(b, "\\\\"); break;
        case '\n': sb_puts(b, "\\n"); break;
        case '\r': sb_puts(b, "\\r"); break;
        case '\t': sb_puts(b, "\\t"); break;
        default:
            if (*p == (unsigned char)q)
                sb_printf(b, "\\%c", q);
            else if (*p < 0x20 || *p == 0x7f)
                sb_printf(b, "\\x%02x", *p);
            else
                sb_put(b, (const char *)p, 1);
        }
    }
    sb_put(b, &q, 1);
}

static void repr_into(sbuf *b, ll_value v, int depth) {
    switch (v.kind) {
    case LL_NONE: sb_puts(b, "None"); break;
    case LL_INT: sb_printf(b, "%lld", (long long)v.i); break;
    case LL_FLOAT: repr_float(b, v.f); break;
    case LL_BOOL: sb_puts(b, v.i ? "True" : "False"); break;
    case LL_STR: repr_str(b, v.s ? v.s : ""); break;
    case LL_PTR: sb_printf(b, "<pointer %p>", v.p); break;
    case LL_LIST:
        sb_puts(b, "[");
        for (size_t i = 0; v.list && i < v.list->len; i++) {
            if (i)
                sb_puts(b, ", ");
            if (depth > 32)
                sb_puts(b, "...");
            else
                repr_into(b, v.list->items[i], depth + 1);
        }
        sb_puts(b, "]");
        break;
    case LL_ERROR:
        sb_puts(b, ll_err_name(v.err));
        sb_puts(b, "(");
        if (v.s && *v.s)
            repr_str(b, v.s);
        sb_puts(b, ")");
        break;
    default: sb_printf(b, "<bad value kind %d>", (int)v.kind);
    }
}

const char *ll_repr(ll_value v) {
    sbuf b = {0};
    repr_into(&b, v, 0);
    if (b.oom || !b.p) {
        free(b.p);
        return b.oom ? "<out of memory>" : "";
    }
    const char *s = keep(b.p, b.len);
    free(b.p);
    return s;
}
