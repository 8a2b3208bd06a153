/* value.c - values, error codes and Python-style repr().
 *
 * ll_repr() prints values the way Python's repr() does, so that a lesson's
 * `print(f"Results: {results}")` and its C twin print the same characters. */
#include "internal.h"
#include "../core/grow.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *ll_err_name(int code) {
    switch (code) {
#define LL__ERR_NAME(name, c, pyname, text)                                                        \
    case c: return pyname;
        LL_ERRNO_MAP(LL__ERR_NAME)
#undef LL__ERR_NAME
    default: return "UnknownError";
    }
}

const char *ll_strerror(int code) {
    switch (code) {
#define LL__ERR_TEXT(name, c, pyname, text)                                                        \
    case c: return text;
        LL_ERRNO_MAP(LL__ERR_TEXT)
#undef LL__ERR_TEXT
    default: return "unknown error";
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
    default: return false;
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

static bool is_seq(ll_value v) {
    return (v.kind == LL_LIST || v.kind == LL_TUPLE) && v.list;
}

size_t ll_list_len(ll_value v) {
    return is_seq(v) ? v.list->len : 0;
}

ll_value ll_list_at(ll_value v, size_t i) {
    if (!is_seq(v) || i >= v.list->len)
        return ll_none();
    return v.list->items[i];
}

/* ---- arguments ------------------------------------------------------------ */

static bool copy_marked(ll_value v) {
    return v.kind == LL_STR && v.err == LL__ARG_COPY;
}

/* Bytes the marked strings of items need. */
static size_t text_size(size_t n, const ll_value *items) {
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        if (copy_marked(items[i]))
            need += strlen(items[i].s) + 1;
    return need;
}

/* Copies items to dst, the marked strings into text (which has room). */
static void copy_items(ll_value *dst, size_t n, const ll_value *items, char *text) {
    for (size_t i = 0; i < n; i++) {
        dst[i] = items[i];
        if (copy_marked(items[i])) {
            size_t len = strlen(items[i].s) + 1;
            memcpy(text, items[i].s, len);
            dst[i] = ll_str(text);
            text += len;
        }
    }
}

static void *args_alloc(ll_loop *arena, size_t n, void **owned) {
    if (arena)
        return ll__arena_alloc(arena, n);
    *owned = malloc(n);
    return *owned;
}

bool ll__args_pack(ll_loop *arena, const char *fn_name, size_t n, const ll_value *items,
                   ll_value *out, void **owned) {
    *owned = NULL;
    if (ll__args_plain(fn_name, n, items, out))
        return true;
    size_t text = text_size(n, items);
    if (n == 1) { /* a string to copy */
        *out = items[0];
        char *copy = args_alloc(arena, text, owned);
        if (!copy)
            return false;
        copy_items(out, 1, items, copy);
        return true;
    }
    size_t head = sizeof(ll__args) + n * sizeof(ll_value);
    ll__args *a = args_alloc(arena, head + text, owned);
    if (!a)
        return false;
    a->fn_name = fn_name;
    a->n = n;
    copy_items(a->items, n, items, (char *)a + head);
    *out = (ll_value){LL_ARGS, (int)n, {.p = a}};
    return true;
}

/* The arguments a coroutine got, by position. */
static size_t args_view(const ll_value *args, const ll_value **items, const char **name) {
    if (args->kind != LL_ARGS) {
        *items = args;
        *name = NULL;
        return 1;
    }
    if (args->err == 0) {
        *items = NULL;
        *name = args->s;
        return 0;
    }
    const ll__args *a = args->p;
    *items = a->items;
    *name = a->fn_name;
    return a->n;
}

size_t ll_nargs(ll_args args) {
    const ll_value *items;
    const char *name;
    return args_view(&args, &items, &name);
}

static const char *kind_text(ll_value v) {
    switch (v.kind) {
    case LL_NONE: return "None";
    case LL_INT: return "an int";
    case LL_FLOAT: return "a float";
    case LL_BOOL: return "a bool";
    case LL_STR: return "a str";
    case LL_PTR: return "a pointer";
    case LL_LIST: return "a list";
    case LL_ERROR: return "an error";
    case LL_TUPLE: return "a tuple";
    case LL_ARGS: return "an argument list";
    }
    return "a value of unknown kind";
}

ll_value ll__arg(ll_value args, size_t i, int want, const char *file, int line) {
    static const char *const getter[] = {[LL_INT] = "ll_arg_int",
                                         [LL_FLOAT] = "ll_arg_float",
                                         [LL_BOOL] = "ll_arg_bool",
                                         [LL_STR] = "ll_arg_str",
                                         [LL_PTR] = "ll_arg_ptr"};
    static const char *const wanted[] = {[LL_INT] = "an int",
                                         [LL_FLOAT] = "a float",
                                         [LL_BOOL] = "a bool",
                                         [LL_STR] = "a str",
                                         [LL_PTR] = "a pointer"};
    const ll_value *items;
    const char *name;
    size_t n = args_view(&args, &items, &name);
    if (!name)
        name = ll__running_coro_name();
    const char *what = want >= 0 ? getter[want] : "ll_arg";
    ll_value zero = ll_none();
    switch (want) {
    case LL_INT: zero = ll_int(0); break;
    case LL_FLOAT: zero = ll_float(0); break;
    case LL_BOOL: zero = ll_bool(false); break;
    case LL_STR: zero = ll_str(""); break;
    case LL_PTR: zero = ll_ptr(NULL); break;
    default: break;
    }
    /* A misread argument cannot fail the coroutine (the getter returns a
     * plain C value), so it counts as a problem of the run: ll_run then
     * returns 1. */
    ll_loop *loop = ll__running_loop;
    if (i >= n) {
        ll__warn(loop, LL_WARN_MISUSE, file, line,
                 "TypeError: %s(args, %zu): coroutine '%s' was given %zu argument%s%s", what, i,
                 name ? name : "?", n, n == 1 ? "" : "s",
                 n ? "" : " (ll_coro(fn) with nothing after the function)");
        return zero;
    }
    ll_value v = items[i];
    switch (want) {
    case -1: return v;
    case LL_INT:
        if (v.kind == LL_INT || v.kind == LL_BOOL)
            return ll_int(v.i);
        break;
    case LL_FLOAT:
        if (v.kind == LL_FLOAT)
            return v;
        if (v.kind == LL_INT || v.kind == LL_BOOL)
            return ll_float((double)v.i);
        break;
    case LL_BOOL: /* C's true and false are ints: read one as Python's truth */
        if (v.kind == LL_BOOL || v.kind == LL_INT)
            return ll_bool(v.i != 0);
        break;
    case LL_STR:
        if (v.kind == LL_STR)
            return v;
        if (v.kind == LL_NONE) /* a NULL string was passed */
            return ll_str(NULL);
        break;
    case LL_PTR:
        if (v.kind == LL_PTR)
            return v;
        if (v.kind == LL_NONE)
            return ll_ptr(NULL);
        break;
    default: break;
    }
    ll__warn(loop, LL_WARN_MISUSE, file, line,
             "TypeError: %s(args, %zu): argument %zu of coroutine '%s' is %s (%s), not %s", what, i,
             i, name ? name : "?", kind_text(v), ll_repr(v), wanted[want]);
    return zero;
}

/* ---- tuples and comparisons --------------------------------------------- */

/* Outside a loop a tuple lives in one of a few rotating blocks, as ll_format's
 * text does in rotating buffers. */
static void *tuple_alloc(size_t n) {
    ll_loop *loop = ll__running_loop ? ll__running_loop : ll__current_loop;
    if (loop)
        return ll__arena_alloc(loop, n);
    static _Thread_local void *ring[16];
    static _Thread_local unsigned next;
    void **slot = &ring[next++ % 16];
    free(*slot);
    *slot = malloc(n);
    return *slot;
}

ll_value ll__tuple(int no_fn, const char *no_name, size_t n, const ll_value *items) {
    (void)no_fn;
    (void)no_name;
    size_t head = sizeof(ll_list) + n * sizeof(ll_value);
    ll_list *l = tuple_alloc(head + text_size(n, items));
    if (!l)
        return ll_raise(LL_ENOMEM, "no memory for a tuple");
    l->len = n;
    copy_items(l->items, n, items, (char *)l + head);
    return (ll_value){LL_TUPLE, 0, {.list = l}};
}

static bool is_number(ll_value v) {
    return v.kind == LL_INT || v.kind == LL_BOOL || v.kind == LL_FLOAT;
}

static double as_double(ll_value v) {
    return v.kind == LL_FLOAT ? v.f : (double)v.i;
}

/* Items of a tuple, a list or an argument list. */
static size_t seq_items(const ll_value *v, const ll_value **items) {
    if (v->kind == LL_ARGS) {
        const char *name;
        return args_view(v, items, &name);
    }
    *items = v->list ? v->list->items : NULL;
    return v->list ? v->list->len : 0;
}

static bool same_seq_kind(ll_value a, ll_value b) {
    bool at = a.kind == LL_TUPLE || a.kind == LL_ARGS, bt = b.kind == LL_TUPLE || b.kind == LL_ARGS;
    if (at || bt)
        return at && bt;
    return a.kind == LL_LIST && b.kind == LL_LIST;
}

bool ll_equal(ll_value a, ll_value b) {
    if (is_number(a) && is_number(b)) {
        if (a.kind != LL_FLOAT && b.kind != LL_FLOAT)
            return a.i == b.i;
        return as_double(a) == as_double(b);
    }
    if (same_seq_kind(a, b)) {
        const ll_value *x, *y;
        size_t n = seq_items(&a, &x), m = seq_items(&b, &y);
        if (n != m)
            return false;
        for (size_t i = 0; i < n; i++)
            if (!ll_equal(x[i], y[i]))
                return false;
        return true;
    }
    if (a.kind != b.kind)
        return false;
    switch (a.kind) {
    case LL_NONE: return true;
    case LL_STR: return strcmp(a.s ? a.s : "", b.s ? b.s : "") == 0;
    case LL_PTR: return a.p == b.p;
    case LL_ERROR: return a.err == b.err && a.s == b.s;
    default: return false;
    }
}

bool ll_less(ll_value a, ll_value b) {
    if (is_number(a) && is_number(b)) {
        if (a.kind != LL_FLOAT && b.kind != LL_FLOAT)
            return a.i < b.i;
        return as_double(a) < as_double(b);
    }
    if (a.kind == LL_STR && b.kind == LL_STR)
        return strcmp(a.s ? a.s : "", b.s ? b.s : "") < 0;
    /* Python's sequence order: the first items that differ decide; when one
     * sequence is the start of the other, the shorter comes first. */
    if (same_seq_kind(a, b)) {
        const ll_value *x, *y;
        size_t n = seq_items(&a, &x), m = seq_items(&b, &y);
        for (size_t i = 0; i < n && i < m; i++)
            if (!ll_equal(x[i], y[i]))
                return ll_less(x[i], y[i]);
        return n < m;
    }
    /* Python would raise TypeError; order by kind so a heap stays a heap. */
    return a.kind < b.kind;
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
    LL__GROW(b->p, b->cap, b->len + n + 1, 128, b->oom = true; return );
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void sb_puts(sbuf *b, const char *s) {
    sb_put(b, s, strlen(s));
}

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
/* Python's repr of a float: the fewest digits that read back as the same
 * double, written out in full when the decimal point falls within 16
 * digits of them (30.0, 0.0001, 1234567890123456.0), in exponent form
 * otherwise (1e+16, 1e-05, 1.5e+300), as CPython's float_repr does. */
static void repr_float(sbuf *b, double d) {
    if (isnan(d)) {
        sb_puts(b, "nan");
        return;
    }
    if (isinf(d)) {
        sb_puts(b, d < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[48];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp is [-]D[.DDD]e(+|-)XX: the digits, and where the point goes. */
    const char *p = tmp;
    if (*p == '-') {
        sb_puts(b, "-");
        p++;
    }
    char digits[24];
    size_t n = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.' && n + 1 < sizeof digits)
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    int point = exp10 + 1; /* digits before the decimal point */
    if (point > -4 && point <= 16) {
        if (point <= 0) {
            sb_puts(b, "0.");
            for (int i = 0; i < -point; i++)
                sb_puts(b, "0");
            sb_puts(b, digits);
        } else if ((size_t)point >= n) {
            sb_puts(b, digits);
            for (size_t i = n; i < (size_t)point; i++)
                sb_puts(b, "0");
            sb_puts(b, ".0");
        } else {
            sb_put(b, digits, (size_t)point);
            sb_puts(b, ".");
            sb_puts(b, digits + point);
        }
        return;
    }
    sb_put(b, digits, 1);
    if (n > 1) {
        sb_puts(b, ".");
        sb_puts(b, digits + 1);
    }
    sb_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
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
    case LL_TUPLE:
    case LL_ARGS: {
        const ll_value *items;
        size_t n = seq_items(&v, &items);
        sb_puts(b, "(");
        for (size_t i = 0; i < n; i++) {
            if (i)
                sb_puts(b, ", ");
            if (depth > 32)
                sb_puts(b, "...");
            else
                repr_into(b, items[i], depth + 1);
        }
        sb_puts(b, n == 1 ? ",)" : ")");
        break;
    }
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

uint32_t ll__repr_str(ll_loop *loop, ll_value v) {
    sbuf b = {0};
    repr_into(&b, v, 0);
    uint32_t id = b.oom  ? ll__str(loop, "<out of memory>")
                  : !b.p ? ll__str(loop, "")
                         : ll__rec_str(&loop->rec, b.p, b.len);
    free(b.p);
    return id;
}

const char *ll_pystr(ll_value v) {
    if (v.kind == LL_STR)
        return v.s ? v.s : "";
    if (v.kind == LL_ERROR)
        return ll_errmsg(v);
    return ll_repr(v);
}
