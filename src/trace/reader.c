/* reader.c - the text trace reader (docs/trace-format.md): a whole trace
 * into an ll_trace (ll_trace_load, ll_trace_parse), or event by event
 * (ll_trace_stream), holding no more than LL_TRACE_MEMORY_MB whatever the
 * input says.  It belongs to the tools (looplab, the viewer), not to the
 * library a lesson links. */
#include "reader.h"
#include "../core/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <looplab.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void slot_set(ll_trace_event *e, unsigned s, int64_t v) {
    switch (s) {
    case S_SUB: e->sub = (uint16_t)v; break;
    case S_OBJ: e->obj = (uint32_t)v; break;
    case S_AUX: e->aux = (uint32_t)v; break;
    case S_VAL: e->val = v; break;
    default: e->str = (uint32_t)v; break;
    }
}

static int err_code(const char *s, size_t n) {
#define LL__ERRCODE(name, c, py, text)                                                             \
    if (strlen(py) == n && memcmp(py, s, n) == 0)                                                  \
        return c;
    LL_ERRNO_MAP(LL__ERRCODE)
#undef LL__ERRCODE
    return 0;
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
        ll__tw_put(&w, &t->rec, ll__rec_at(&t->rec, i));
    }
    w.loop = 0;
    w.next = t->rec.n;
    return ll__tw_end(&w, &t->rec);
}

/* ---- reader --------------------------------------------------------------- */

#define MAX_LINE LL_TRACE_MAX_LINE

typedef struct rd {
    ll_trace *t;
    const char *name;
    const char *p, *end; /* the current line [p, end) */
    const char *line0;   /* its start, for columns */
    size_t lineno;
    char *err;
    size_t errlen;
    char *sbuf; /* scratch for unescaped strings */
    size_t scap;
    uint32_t *files; /* hash of file names: slot -> index in t->owned + 1 */
    size_t filecap;  /* slots (a power of two), at least twice nfiles */
    size_t nfiles;
    size_t filebytes;                       /* bytes of the file names interned */
    bool ended;                             /* the @end line was read */
    size_t limit;                           /* bytes a read may hold (see held()) */
    ll_trace_each each;                     /* streaming: where each event goes (NULL: keep them) */
    void *ud;                               /* for each */
    int each_rc;                            /* what each returned, when it stopped the reading */
    bool line_clipped;                      /* this line gave clipped= already */
    int64_t last_t[LL_TRACE_MAX_LOOPS + 1]; /* per loop: times only grow within one */
} rd;

char *ll_trace_term_safe(char *dst, size_t cap, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    if (!cap)
        return dst;
    for (size_t i = 0; i < n;) {
        size_t k = ll__utf8_len(p + i, n - i);
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
                           m < 0                    ? 0
                           : (size_t)m < sizeof msg ? (size_t)m
                                                    : sizeof msg - 1);
    }
    return -1;
}

static char *own(ll_trace *t, const char *s, size_t n) {
    LL__GROW(t->owned, t->ownedcap, t->nowned + 1, 16, return NULL);
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
        LL__GROW(r->sbuf, r->scap, n + 4, 256, return fail(r, q, "out of memory"));
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
            case '"':
                r->sbuf[n++] = '"';
                q += 2;
                continue;
            case '\\':
                r->sbuf[n++] = '\\';
                q += 2;
                continue;
            case 'n':
                r->sbuf[n++] = '\n';
                q += 2;
                continue;
            case 'r':
                r->sbuf[n++] = '\r';
                q += 2;
                continue;
            case 't':
                r->sbuf[n++] = '\t';
                q += 2;
                continue;
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

/* What the messages call the values of an enum type (NULL: not one). */
static const char *enum_noun(unsigned type) {
    switch (type) {
    case T_REASON: return "reason";
    case T_WAIT: return "wait kind";
    case T_WARN: return "warning kind";
    case T_FUTKIND: return "future kind";
    case T_OUTCOME: return "outcome";
    case T_HOW: return "run ending";
    case T_SYNCKIND: return "primitive kind";
    case T_SYNCOP: return "operation";
    case T_IOROLE: return "socket role";
    case T_IOOP: return "socket operation";
    default: return NULL;
    }
}

/* An enum-typed value by name, the names being the field table's
 * (ll__field_enum_name), or as a number the writer had no name for. */
static int read_enum(rd *r, unsigned type, int64_t *out) {
    const char *at = r->p;
    if (r->p < r->end && (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')))
        return read_i64(r, out); /* a value the writer had no name for */
    const char *s;
    size_t n;
    if (read_name(r, "", &s, &n) != 0)
        return -1;
    if (type == T_ERR) {
        int c = err_code(s, n);
        if (!c)
            return fail(r, at, "unknown error name '%.*s'", (int)n, s);
        *out = -c;
        return 0;
    }
    const char *noun = enum_noun(type);
    if (!noun)
        return fail(r, at, "internal: not an enum type");
    const char *name;
    for (int64_t i = 0; (name = ll__field_enum_name(type, i)) != NULL; i++)
        if (token_is(s, n, name))
            return *out = i, 0;
    return fail(r, at, "unknown %s '%.*s'", noun, (int)n, s);
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

static int remember_task(rd *r, uint32_t id, uint32_t name, unsigned loop, bool runtime) {
    ll_trace *t = r->t;
    LL__GROW(t->tasks, t->taskcap, t->ntasks + 1, 64, return -1);
    if (ll__idmap_put(&t->taskidx, id, (uint32_t)t->ntasks) != 0)
        return -1;
    t->tasks[t->ntasks++] = (ll_trace_task){id, name, loop, runtime};
    return 0;
}

/* Whether a task_new line makes one of the runtime's own tasks (see
 * ll_trace_task.runtime): asyncio.run's shutdown coroutines, with no parent,
 * in a trace the Python recorder wrote. */
static bool runtime_task(const rd *r, const ll_trace_event *e) {
    const ll_trace *t = r->t;
    if (!t->meta.language || strcmp(t->meta.language, "python") != 0 || e->obj != 0 || !e->aux)
        return false;
    const char *coro = ll__rec_strp(&t->rec, e->aux, NULL);
    return coro && (strcmp(coro, "shutdown_asyncgens") == 0 ||
                    strcmp(coro, "shutdown_default_executor") == 0);
}

/* Bytes a read holds for its events, strings, sites, file names and tasks
 * (a stream holds all but the events). */
static size_t held(const rd *r) {
    const ll_trace *t = r->t;
    return t->rec.nchunks * (size_t)LL_REC_CHUNK_BYTES + t->rec.strcap +
           t->rec.sitecap * sizeof(ll__site) + t->rec.site_hash_cap * sizeof(uint32_t) +
           t->taskcap * sizeof(ll_trace_task) + t->taskidx.cap * 2 * sizeof(uint32_t) + t->loopcap +
           r->filebytes;
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
    LL__GROW(t->clips, t->clipcap, t->nclips + 1, 16, return fail(r, key_at, "out of memory"));
    t->clips[t->nclips++] = (ll_trace_clip){t->rec.n, (uint64_t)v};
    return 0;
}

/* One event line as parse_event reads it, part by part. */
typedef struct evline {
    ll_trace_event e;
    const char *at;      /* the line's start, for messages */
    size_t str_mark;     /* the string table before the line */
    unsigned loop;       /* loop=, 1 by default */
    const char *task_at; /* the task column */
    const char *tname;   /* the name after "id:", or NULL */
    size_t tnlen;
    unsigned kind; /* LL_EV__COUNT: a newer writer's kind */
    bool unknown_kind;
    const ll_trace_task *known; /* the task, when a task_new created it */
    bool before_ring;           /* a task whose task_new `@dropped` took away */
    const fspec *spec;          /* the kind's fields */
    bool seen[S__N];            /* slots given so far */
} evline;

/* The task column: `-` or `id` or `id:name`. */
static int read_task_column(rd *r, evline *l) {
    l->task_at = r->p;
    if (r->p < r->end && *r->p == '-') {
        r->p++;
    } else {
        int64_t id;
        if (read_i64(r, &id) != 0 || id <= 0 || id > UINT32_MAX)
            return fail(r, l->task_at, "expected a task id (a positive number) or '-'");
        if (id > LL_TRACE_MAX_TASK_ID)
            return fail(r, l->task_at,
                        "task id %lld is over this reader's limit of %u tasks "
                        "(LL_TRACE_MAX_TASK_ID)",
                        (long long)id, LL_TRACE_MAX_TASK_ID);
        l->e.task = (uint32_t)id;
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            if (read_name(r, "", &l->tname, &l->tnlen) != 0)
                return -1;
        }
    }
    if (r->p < r->end && *r->p != ' ')
        return fail(r, r->p, "expected a space after the task");
    return 0;
}

/* The kind column, and whether the task column fits it. */
static int read_kind(rd *r, evline *l) {
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
    l->kind = kind;
    l->unknown_kind = kind == LL_EV__COUNT;
    if (l->unknown_kind && r->t->minor <= LL_TRACE_MINOR)
        return fail(r, kind_at, "unknown event kind '%.*s' (a %u.%u trace has no such kind)",
                    (int)kn, k, r->t->major, r->t->minor);
    l->e.kind = (uint16_t)kind;
    uint32_t task = l->e.task;
    if (kind == LL_EV_TASK_NEW && task == 0)
        return fail(r, l->task_at, "task_new needs a task id");
    l->known = task ? ll_trace_task_of(r->t, task) : NULL;
    /* After `@dropped`, a task's task_new may be among the events dropped. */
    bool unexplained = task && kind != LL_EV_TASK_NEW && !l->unknown_kind && !l->known;
    l->before_ring = unexplained && r->t->meta.dropped;
    if (unexplained && !l->before_ring)
        return fail(r, l->task_at, "event for task %u, which no task_new created", task);
    if (l->known && kind != LL_EV_TASK_NEW && l->tname) {
        size_t n;
        const char *name = ll__rec_strp(&r->t->rec, l->known->name, &n);
        if (n != l->tnlen || memcmp(name, l->tname, n) != 0)
            return fail(r, l->task_at, "task %u is called '%s', not '%.*s'", task, name,
                        (int)l->tnlen, l->tname);
    }
    return 0;
}

/* at=FILE:LINE */
static int read_site(rd *r, evline *l, const char *key_at) {
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
    l->e.site = ll__rec_site(&r->t->rec, file, (int)line);
    return 0;
}

/* The fields every kind may carry (at, wall, clipped, loop): 1 when the key
 * was one of them and its value has been read, 0 when it was not. */
static int read_common_field(rd *r, evline *l, const char *key_at, size_t klen) {
    if (token_is(key_at, klen, "at"))
        return read_site(r, l, key_at) != 0 ? -1 : 1;
    if (token_is(key_at, klen, "wall"))
        return read_i64(r, &l->e.wall) != 0 ? -1 : 1;
    if (token_is(key_at, klen, "clipped"))
        return read_clipped(r, key_at) != 0 ? -1 : 1;
    if (token_is(key_at, klen, "loop") && r->t->minor >= 4) {
        int64_t v;
        if (read_i64(r, &v) != 0)
            return -1;
        if (v < 1 || v > LL_TRACE_MAX_LOOPS)
            return fail(r, key_at, "loop must be 1 to %d, not %lld", LL_TRACE_MAX_LOOPS,
                        (long long)v);
        l->loop = (unsigned)v;
        return 1;
    }
    return 0;
}

/* One of the kind's fields, or a slot under its raw name (_sub, ...). */
static int read_kind_field(rd *r, evline *l, const char *key_at, size_t klen) {
    const fspec *f = NULL;
    for (const fspec *sp = l->spec; sp->key; sp++)
        if (token_is(key_at, klen, sp->key) && r->t->minor >= SINCE_OF(sp->flags)) {
            f = sp; /* a field newer than the trace is unknown in it */
            break;
        }
    if (l->unknown_kind)
        return skip_value(r);
    unsigned slot, type;
    if (f) {
        slot = f->slot;
        type = f->type;
    } else {
        unsigned s;
        for (s = 0; s < S__N; s++)
            if (token_is(key_at, klen, ll__raw_keys[s]))
                break;
        if (s == S__N) {
            if (r->t->minor > LL_TRACE_MINOR)
                return skip_value(r); /* a newer writer's field: check its value, skip it */
            return fail(r, key_at, "unknown field '%.*s' for a %s event", (int)klen, key_at,
                        ll_event_kind_name(l->kind));
        }
        slot = s;
        type = s == S_STR ? T_STR : T_I64;
    }
    if (l->seen[slot])
        return fail(r, key_at, "field '%.*s' given twice", (int)klen, key_at);
    l->seen[slot] = true;
    int64_t v;
    if (read_value(r, type, &v) != 0)
        return -1;
    slot_set(&l->e, slot, v);
    return 0;
}

/* key=value ... to the end of the line. */
static int read_fields(rd *r, evline *l) {
    l->spec = ll__fields_of(l->kind); /* no fields for an unknown kind */
    for (const fspec *sp = l->spec; sp->key; sp++)
        if (sp->type == T_TIMEOPT)
            slot_set(&l->e, sp->slot, -1);
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
        int common = read_common_field(r, l, key_at, klen);
        if (common < 0)
            return -1;
        if (!common && read_kind_field(r, l, key_at, klen) != 0)
            return -1;
    }
    return 0;
}

/* Which loop event idx belongs to, kept once a second loop appears. */
static int note_loop(rd *r, const evline *l, size_t idx) {
    size_t old = r->t->loopcap;
    LL__GROW(r->t->loops, r->t->loopcap, idx + 1, 4096, return fail(r, l->at, "out of memory"));
    if (r->t->loopcap > old) /* events before the second loop were the first's */
        memset(r->t->loops + old, 1, r->t->loopcap - old);
    r->t->loops[idx] = (uint8_t)l->loop;
    return 0;
}

/* Learns the tasks the line names for the first time. */
static int learn_task(rd *r, const evline *l) {
    if (l->kind == LL_EV_TASK_NEW) {
        if (l->known)
            return fail(r, l->task_at, "task %u created twice", l->e.task);
        if (remember_task(r, l->e.task, l->e.str, l->loop, runtime_task(r, &l->e)) != 0)
            return fail(r, l->task_at, "out of memory");
    }
    if (l->before_ring) {
        /* Known from here on by the name its lines carry. */
        uint32_t name = l->tname ? ll__rec_str(&r->t->rec, l->tname, l->tnlen) : 0;
        if (remember_task(r, l->e.task, name, l->loop, false) != 0)
            return fail(r, l->task_at, "out of memory");
    }
    return 0;
}

/* Keeps the event read (or, streaming, hands it on and forgets it). */
static int store_event(rd *r, const evline *l) {
    size_t idx = r->t->rec.n;
    if (!r->each && (l->loop > 1 || r->t->loops) && note_loop(r, l, idx) != 0)
        return -1;
    if (l->loop > r->t->nloops)
        r->t->nloops = l->loop;
    r->last_t[l->loop] = l->e.t;
    r->t->events++;
    ll_trace_event *slotp = ll__rec_next(&r->t->rec);
    if (!slotp)
        return fail(r, l->at, "out of memory");
    *slotp = l->e;
    if (held(r) > r->limit)
        return fail(r, l->at,
                    "the trace needs more than %zu MiB to hold (the limit is "
                    "LOOPLAB_TRACE_MEMORY_MB=%zu; set that variable to raise it)",
                    r->limit >> 20, r->limit >> 20);
    if (r->each) {
        /* Streaming: hand the event on, then forget it and the strings it
         * brought (a task's name stays: later lines refer to it). */
        int rc = r->each(r->ud, r->t, slotp, l->loop);
        /* Its clipped= went with it (each sees it at ll_trace_clipped(t,
         * t->rec.n - 1)); every streamed event has that same index. */
        if (r->t->nclips && r->t->clips[r->t->nclips - 1].event == idx)
            r->t->nclips--;
        r->t->rec.n--;
        r->t->rec.cur--;
        if (l->kind != LL_EV_TASK_NEW)
            r->t->rec.strlen_ = l->str_mark;
        if (rc != 0) {
            r->each_rc = rc;
            return -1;
        }
    }
    return 0;
}

/* An event line: time, task, kind, fields. */
static int parse_event(rd *r) {
    evline l = {.at = r->p, .str_mark = r->t->rec.strlen_, .loop = 1};
    r->line_clipped = false;
    if (read_time(r, &l.e.t) != 0)
        return -1;
    skip_spaces(r);
    if (read_task_column(r, &l) != 0)
        return -1;
    skip_spaces(r);
    if (read_kind(r, &l) != 0 || read_fields(r, &l) != 0)
        return -1;
    if (l.e.t < r->last_t[l.loop])
        return fail(r, l.at, "time goes backwards (%lld ns after %lld ns%s)", (long long)l.e.t,
                    (long long)r->last_t[l.loop], r->t->nloops > 1 ? " in the same loop" : "");
    if (l.unknown_kind) {
        r->t->unknown++;
        if (r->line_clipped)
            r->t->nclips--; /* the event is skipped, and what it left out with it */
        r->last_t[l.loop] = l.e.t;
        return 0;
    }
    if (learn_task(r, &l) != 0)
        return -1;
    return store_event(r, &l);
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
    else if (token_is(k, kn, "language"))
        m->language = v;
    else if (token_is(k, kn, "source"))
        m->source = v;
    else if (token_is(k, kn, "model"))
        m->model = v;
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
    return fail(r, at, "expected the header 'looplab-trace %d.%d'", LL_TRACE_MAJOR, LL_TRACE_MINOR);
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
        return fail(r, q, "trace format version %u.%u: this reader knows version %d", (unsigned)a,
                    (unsigned)b, LL_TRACE_MAJOR);
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
        rc = fail(r, NULL, "empty file: expected the header 'looplab-trace %d.%d'", LL_TRACE_MAJOR,
                  LL_TRACE_MINOR);
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
