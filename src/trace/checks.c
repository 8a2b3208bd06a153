/* checks.c - the properties of an exercise's checks.txt, parsed and decided
 * on a trace (see checks.h; the language is docs/exercises.md). */
#include "checks.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define CK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CK_PRINTF(fmt, args)
#endif

static const char *const kind_words[] = {
#define LL__CHECK_WORD(name, word, doc) word,
    LL_CHECK_KIND_MAP(LL__CHECK_WORD)
#undef LL__CHECK_WORD
};

const char *ll_check_kind_name(ll_check_kind k) {
    return k < LL_CHECK__COUNT ? kind_words[k] : "?";
}

/* ---- parsing ------------------------------------------------------------------ */

#define MAX_WORDS 32

/* A line cut into words; a word in double quotes may hold spaces and the
 * escapes \" and \\.  quoted[i] says which were quoted. */
typedef struct words {
    char *w[MAX_WORDS];
    bool quoted[MAX_WORDS];
    size_t n;
} words;

/* Cuts `s` (modified in place) into words.  Returns NULL, or what is wrong. */
static const char *split(char *s, words *ws) {
    ws->n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            return NULL;
        if (ws->n == MAX_WORDS)
            return "too many words on one line";
        bool q = *s == '"';
        ws->quoted[ws->n] = q;
        if (!q) {
            ws->w[ws->n++] = s;
            s += strcspn(s, " \t");
            if (*s)
                *s++ = '\0';
            continue;
        }
        char *out = ++s;
        ws->w[ws->n++] = out;
        while (*s && *s != '"') {
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            *out++ = *s++;
        }
        if (*s != '"')
            return "a quoted text is not closed (a \" is missing)";
        s++;
        *out = '\0';
        if (*s && *s != ' ' && *s != '\t')
            return "a quoted text must be followed by a space";
    }
}

static int wait_kind_of(const char *s) {
    for (unsigned i = 0; i < LL_WAIT__COUNT; i++)
        if (strcmp(ll_wait_kind_name(i), s) == 0)
            return (int)i;
    return -1;
}

static bool warn_kind_ok(const char *s) {
    for (unsigned i = 0; i < LL_WARN__COUNT; i++)
        if (strcmp(ll_warn_kind_name(i), s) == 0)
            return true;
    return false;
}

static bool parse_num(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < 0)
        return false;
    *out = v;
    return true;
}

static bool parse_count(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 0 || v > 1000000)
        return false;
    *out = v;
    return true;
}

static bool push_str(char ***v, size_t *n, const char *s, size_t len) {
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return false;
    *v = nv;
    char *c = malloc(len + 1);
    if (!c)
        return false;
    memcpy(c, s, len);
    c[len] = '\0';
    nv[(*n)++] = c;
    return true;
}

/* Reads `dir`/`file` into c->strs, a line each. */
static const char *read_expected(ll_check *c, const char *dir, const char *file) {
    static char msg[1200];
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : ".", file);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(msg, sizeof msg, "cannot read %s: %s", path, strerror(errno));
        return msg;
    }
    char line[4096];
    const char *bad = NULL;
    while (!bad && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\n");
        if (!push_str(&c->strs, &c->nstrs, line, len))
            bad = "out of memory";
    }
    fclose(f);
    return bad;
}

/* What the words after the property's name must be; NULL when they are. */
static const char *parse_args(ll_check *c, words *ws, const char *dir) {
    const char *a1 = ws->n > 1 ? ws->w[1] : NULL, *a2 = ws->n > 2 ? ws->w[2] : NULL;
    switch (c->kind) {
    case LL_CHECK_TOTAL_TIME:
        if (ws->n != 3 || strcmp(a1, "<=") != 0 || !parse_num(a2, &c->num))
            return "write 'total-time <= SECONDS', e.g. 'total-time <= 1.5'";
        return NULL;
    case LL_CHECK_MAX_WAITING:
    case LL_CHECK_MIN_WAITING:
        if (ws->n != 3 || !parse_count(a2, &c->n))
            return "write 'max-waiting KIND N' (or min-waiting), e.g. 'max-waiting sleep 3'";
        if ((c->wait = wait_kind_of(a1)) < 0)
            return "unknown wait kind (sleep, job, lock, semaphore, queue_get, taskgroup... "
                   "as in docs/trace-format.md)";
        return NULL;
    case LL_CHECK_MAX_INSIDE:
        if (ws->n != 3 || !parse_count(a2, &c->n))
            return "write 'max-inside NAME N', NAME a lock's or semaphore's name or its kind "
                   "(lock, semaphore), e.g. 'max-inside semaphore 3'";
        return push_str(&c->strs, &c->nstrs, a1, strlen(a1)) ? NULL : "out of memory";
    case LL_CHECK_MAX_STEP:
        if (ws->n != 2 || !parse_num(a1, &c->num))
            return "write 'max-step MILLISECONDS', e.g. 'max-step 50'";
        return NULL;
    case LL_CHECK_ALL_DONE: return ws->n == 1 ? NULL : "'all-done' takes nothing after it";
    case LL_CHECK_CANCELLED:
        if (ws->n < 2)
            return "write 'cancelled NAME...' or 'cancelled none'";
        for (size_t i = 1; i < ws->n; i++)
            if (strcmp(ws->w[i], "none") != 0 &&
                !push_str(&c->strs, &c->nstrs, ws->w[i], strlen(ws->w[i])))
                return "out of memory";
        return NULL;
    case LL_CHECK_NO_WARNING:
        if (ws->n > 2)
            return "write 'no-warning' or 'no-warning KIND'";
        if (a1 && !warn_kind_ok(a1))
            return "unknown warning kind (never_awaited, not_retrieved, deadlock, misuse, "
                   "slow_step...)";
        if (a1 && !push_str(&c->strs, &c->nstrs, a1, strlen(a1)))
            return "out of memory";
        return NULL;
    case LL_CHECK_OUTPUT:
        if (ws->n != 2)
            return "write 'output FILE' (FILE beside the checks file)";
        return read_expected(c, dir, a1);
    case LL_CHECK_PRINTS:
    case LL_CHECK_NEVER_PRINTS:
    case LL_CHECK_ORDER:
        if (ws->n < (c->kind == LL_CHECK_ORDER ? 3u : 2u))
            return c->kind == LL_CHECK_ORDER ? "write 'order \"A\" \"B\"...' (two texts at least)"
                                             : "write 'prints \"TEXT\"'";
        for (size_t i = 1; i < ws->n; i++) {
            if (!ws->quoted[i])
                return "texts are written in double quotes";
            if (!push_str(&c->strs, &c->nstrs, ws->w[i], strlen(ws->w[i])))
                return "out of memory";
        }
        return c->kind != LL_CHECK_ORDER && ws->n != 2 ? "'prints' takes one text" : NULL;
    case LL_CHECK_WAITED:
    case LL_CHECK_NEVER_WAITED:
        if (ws->n != 3)
            return "write 'waited TASK KIND', e.g. 'waited Task-1 queue_join'";
        if ((c->wait = wait_kind_of(a2)) < 0)
            return "unknown wait kind (sleep, job, lock, semaphore, queue_get, taskgroup... "
                   "as in docs/trace-format.md)";
        c->task = strdup(a1);
        return c->task ? NULL : "out of memory";
    case LL_CHECK_RESULT:
        if (ws->n != 3 || !ws->quoted[2])
            return "write 'result TASK \"REPR\"', e.g. 'result Task-1 \"[1, 2]\"'";
        c->task = strdup(a1);
        if (!c->task || !push_str(&c->strs, &c->nstrs, a2, strlen(a2)))
            return "out of memory";
        return NULL;
    case LL_CHECK_EXITS:
        if (ws->n != 2 || !parse_count(a1, &c->n))
            return "write 'exits N', e.g. 'exits 0'";
        return NULL;
    case LL_CHECK__COUNT: break;
    }
    return "unknown property";
}

static void check_free(ll_check *c) {
    free(c->task);
    for (size_t i = 0; i < c->nstrs; i++)
        free(c->strs[i]);
    free(c->strs);
    for (size_t i = 0; i < c->nhints; i++)
        free(c->hints[i]);
    free(c->hints);
}

void ll_checks_free(ll_checks *cs) {
    for (size_t i = 0; i < cs->n; i++)
        check_free(&cs->v[i]);
    free(cs->v);
    cs->v = NULL;
    cs->n = cs->cap = 0;
}

/* A `key: value` line of the file's header (clock, timeout). */
static const char *parse_setting(ll_checks *cs, const char *key, const char *val) {
    if (strcmp(key, "clock:") == 0) {
        if (strcmp(val, "virtual") != 0 && strcmp(val, "real") != 0)
            return "the clock is 'virtual' or 'real'";
        snprintf(cs->clock, sizeof cs->clock, "%s", val);
        return NULL;
    }
    if (!parse_num(val, &cs->timeout) || cs->timeout <= 0 || cs->timeout > 3600)
        return "write 'timeout: SECONDS' (real seconds the run may take, at most 3600)";
    return NULL;
}

/* One line (modified in place).  Returns NULL, or what is wrong with it. */
static const char *parse_line(ll_checks *cs, char *s, int lineno, const char *dir) {
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s || *s == '#')
        return NULL;
    if (strncmp(s, "hint:", 5) == 0) {
        if (!cs->n)
            return "a hint must follow the property it helps with";
        const char *h = s + 5 + strspn(s + 5, " \t");
        if (!*h)
            return "an empty hint";
        ll_check *c = &cs->v[cs->n - 1];
        return push_str(&c->hints, &c->nhints, h, strlen(h)) ? NULL : "out of memory";
    }
    words ws;
    const char *bad = split(s, &ws);
    if (bad)
        return bad;
    if (strcmp(ws.w[0], "clock:") == 0 || strcmp(ws.w[0], "timeout:") == 0)
        return ws.n == 2 ? parse_setting(cs, ws.w[0], ws.w[1]) : "one value after it";
    int kind = -1;
    for (int k = 0; k < LL_CHECK__COUNT; k++)
        if (!ws.quoted[0] && strcmp(ws.w[0], kind_words[k]) == 0)
            kind = k;
    if (kind < 0)
        return "unknown property (see docs/exercises.md for the list)";
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 8;
        ll_check *v = realloc(cs->v, cap * sizeof *v);
        if (!v)
            return "out of memory";
        cs->v = v;
        cs->cap = cap;
    }
    ll_check *c = &cs->v[cs->n++];
    memset(c, 0, sizeof *c);
    c->kind = (ll_check_kind)kind;
    c->line = lineno;
    c->wait = -1;
    return parse_args(c, &ws, dir);
}

int ll_checks_parse(ll_checks *cs, const char *name, const char *dir, const char *text, char *err,
                    size_t errlen) {
    memset(cs, 0, sizeof *cs);
    snprintf(cs->clock, sizeof cs->clock, "virtual");
    cs->timeout = 30;
    int lineno = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        lineno++;
        char *line = malloc(len + 1);
        if (!line) {
            snprintf(err, errlen, "%s:%d: out of memory", name, lineno);
            ll_checks_free(cs);
            return -1;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        const char *bad = parse_line(cs, line, lineno, dir);
        free(line);
        if (bad) {
            snprintf(err, errlen, "%s:%d: %s", name, lineno, bad);
            ll_checks_free(cs);
            return -1;
        }
        p += len + (p[len] == '\n');
    }
    if (!cs->n) {
        snprintf(err, errlen, "%s: no property to check", name);
        return -1;
    }
    return 0;
}

int ll_checks_load(ll_checks *cs, const char *path, char *err, size_t errlen) {
    memset(cs, 0, sizeof *cs);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (int ch; (ch = fgetc(f)) != EOF;) {
        if (len + 2 > cap) {
            cap = cap ? cap * 2 : 4096;
            char *nt = realloc(text, cap);
            if (!nt) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            text = nt;
        }
        text[len++] = (char)ch;
    }
    fclose(f);
    if (!text) {
        snprintf(err, errlen, "%s: no property to check (the file is empty)", path);
        return -1;
    }
    text[len] = '\0';
    char dir[1024];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    int rc = ll_checks_parse(cs, path, dir, text, err, errlen);
    free(text);
    return rc;
}

/* ---- deciding a property on a trace ----------------------------------------- */

static const ll_trace_event *ev_at(const ll_trace *t, size_t i) {
    return ll__rec_at(&t->rec, i);
}

static const char *str_of(const ll_trace *t, uint32_t id) {
    const char *s = ll__rec_strp(&t->rec, id, NULL);
    return s ? s : "";
}

static const char *task_name(const ll_trace *t, uint32_t id) {
    const ll_trace_task *tk = ll_trace_task_of(t, id);
    return tk ? str_of(t, tk->name) : "?";
}

/* The task's index in t->tasks, or -1 (the loop, or a task never made). */
static long task_index(const ll_trace *t, uint32_t id) {
    const ll_trace_task *tk = id ? ll_trace_task_of(t, id) : NULL;
    return tk ? (long)(tk - t->tasks) : -1;
}

static bool is_program_task(const ll_trace *t, uint32_t id) {
    const ll_trace_task *tk = id ? ll_trace_task_of(t, id) : NULL;
    return tk && !tk->runtime;
}

/* Whether task `id` is the one `spec` names: by name, by its coroutine's
 * name, or "*" for any task of the program. */
static bool task_matches(const ll_trace *t, uint32_t id, const char *spec) {
    if (!is_program_task(t, id))
        return false;
    if (strcmp(spec, "*") == 0 || strcmp(task_name(t, id), spec) == 0)
        return true;
    for (size_t i = t->rec.base; i < t->rec.n; i++) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind == LL_EV_TASK_NEW && e->task == id)
            return strcmp(str_of(t, e->aux), spec) == 0;
    }
    return false;
}

static void say(char *dst, size_t cap, const char *fmt, va_list ap) {
    vsnprintf(dst, cap, fmt, ap);
}

static void ok(ll_check_result *r, const char *fmt, ...) CK_PRINTF(2, 3);
static void ok(ll_check_result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    r->pass = true;
}

static void bad(ll_check_result *r, size_t at, const char *fmt, ...) CK_PRINTF(3, 4);
static void bad(ll_check_result *r, size_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    say(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    r->pass = false;
    r->event = at;
}

static double secs(int64_t ns) {
    return (double)ns / 1e9;
}

/* The last event of the run (its end), or SIZE_MAX for an empty trace. */
static size_t last_event(const ll_trace *t) {
    return t->rec.n > t->rec.base ? t->rec.n - 1 : SIZE_MAX;
}

/* Where the run went past `limit`: of the waits begun before it and still
 * going on when the clock passed it, the first begun (what the program was
 * waiting for then); else the first event past it. */
static size_t where_late(const ll_trace *t, int64_t limit, size_t past) {
    size_t *pend = malloc((t->ntasks + 1) * sizeof *pend);
    if (!pend)
        return past;
    for (size_t k = 0; k < t->ntasks; k++)
        pend[k] = SIZE_MAX;
    for (size_t i = t->rec.base; i < past; i++) {
        const ll_trace_event *e = ev_at(t, i);
        long k = task_index(t, e->task);
        if (k < 0 || e->t > limit)
            continue;
        if (e->kind == LL_EV_TASK_WAIT)
            pend[k] = e->site ? i : SIZE_MAX;
        else if (e->kind == LL_EV_TASK_READY || e->kind == LL_EV_TASK_RUN)
            pend[k] = SIZE_MAX;
    }
    size_t best = past;
    for (size_t k = 0; k < t->ntasks; k++)
        if (pend[k] < best)
            best = pend[k];
    free(pend);
    return best;
}

static void eval_total_time(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    int64_t limit = (int64_t)llround(c->num * 1e9) + 1000; /* a microsecond of slack */
    int64_t end = 0;
    size_t past = SIZE_MAX;
    for (size_t i = t->rec.base; i < t->rec.n; i++) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->t > end)
            end = e->t;
        if (e->t > limit && past == SIZE_MAX)
            past = i;
    }
    if (past == SIZE_MAX)
        ok(r, "the run took %.3f s of loop time", secs(end));
    else
        bad(r, where_late(t, limit, past),
            "the run took %.3f s of loop time, over the %g s allowed", secs(end), c->num);
}

/* Tasks waiting on c->wait at each moment: the most (max-waiting fails
 * where it first goes over c->n; min-waiting where the run ends below it). */
static void eval_waiting(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    int *w = malloc((t->ntasks + 1) * sizeof *w);
    if (!w) {
        bad(r, SIZE_MAX, "out of memory");
        return;
    }
    for (size_t i = 0; i < t->ntasks; i++)
        w[i] = -1;
    long now = 0, most = 0;
    size_t over = SIZE_MAX;
    const char *kind = ll_wait_kind_name((unsigned)c->wait);
    for (size_t i = t->rec.base; i < t->rec.n && over == SIZE_MAX; i++) {
        const ll_trace_event *e = ev_at(t, i);
        long k = task_index(t, e->task);
        if (k < 0 || !is_program_task(t, e->task))
            continue;
        bool ends = e->kind == LL_EV_TASK_READY || e->kind == LL_EV_TASK_RUN ||
                    e->kind == LL_EV_TASK_DONE || e->kind == LL_EV_TASK_FAILED ||
                    e->kind == LL_EV_TASK_CANCELLED;
        if ((ends || e->kind == LL_EV_TASK_WAIT) && w[k] == c->wait)
            now--;
        if (ends || e->kind == LL_EV_TASK_WAIT)
            w[k] = e->kind == LL_EV_TASK_WAIT ? e->sub : -1;
        if (e->kind == LL_EV_TASK_WAIT && e->sub == c->wait && ++now > most)
            most = now;
        if (c->kind == LL_CHECK_MAX_WAITING && now > c->n)
            over = i;
    }
    free(w);
    if (c->kind == LL_CHECK_MAX_WAITING && over != SIZE_MAX)
        bad(r, over, "%ld tasks waited on %s at once here, more than %ld", now, kind, c->n);
    else if (c->kind == LL_CHECK_MIN_WAITING && most < c->n)
        bad(r, last_event(t), "at most %ld task%s waited on %s at once, never %ld", most,
            most == 1 ? "" : "s", kind, c->n);
    else
        ok(r, "up to %ld task%s waited on %s at once", most, most == 1 ? "" : "s", kind);
}

/* Whether the primitive made by sync_new event `e` is the one `spec` names:
 * by its name, or by its kind (a Python primitive has no name). */
static bool sync_matches(const ll_trace *t, const ll_trace_event *e, const char *spec) {
    return strcmp(str_of(t, e->str), spec) == 0 || strcmp(ll_sync_kind_name(e->sub), spec) == 0;
}

/* Tasks holding the named lock or semaphore at once: a task is inside from
 * its `acquire` to its matching `release`. */
static void eval_inside(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    uint32_t *hold = calloc(t->ntasks + 1, sizeof *hold);
    ll__idmap match = {0};
    if (!hold) {
        bad(r, SIZE_MAX, "out of memory");
        return;
    }
    long now = 0, most = 0;
    size_t over = SIZE_MAX, seen = 0;
    for (size_t i = t->rec.base; i < t->rec.n && over == SIZE_MAX; i++) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind == LL_EV_SYNC_NEW && sync_matches(t, e, c->strs[0])) {
            ll__idmap_put(&match, e->obj, 1);
            seen++;
        }
        long k = task_index(t, e->task);
        if (e->kind != LL_EV_SYNC || k < 0 || !ll__idmap_get(&match, e->obj))
            continue;
        if (e->sub == LL_SYNC_OP_ACQUIRE && hold[k]++ == 0 && ++now > most)
            most = now;
        else if (e->sub == LL_SYNC_OP_RELEASE && hold[k] && --hold[k] == 0)
            now--;
        if (now > c->n)
            over = i;
    }
    free(hold);
    ll__idmap_free(&match);
    if (!seen)
        bad(r, last_event(t), "no lock or semaphore is named %s", c->strs[0]);
    else if (over != SIZE_MAX)
        bad(r, over, "%ld tasks held %s at once here, more than %ld", now, c->strs[0], c->n);
    else
        ok(r, "up to %ld task%s held %s at once", most, most == 1 ? "" : "s", c->strs[0]);
}

/* Whether event `e` ends the step of `task` begun before it: the task
 * waits or ends (the event is the step's last), or the loop moves on (the
 * step ended before it). */
static bool ends_step(const ll_trace_event *e, uint32_t task, bool *inside) {
    *inside = e->task == task && (e->kind == LL_EV_TASK_WAIT || e->kind == LL_EV_TASK_DONE ||
                                  e->kind == LL_EV_TASK_FAILED || e->kind == LL_EV_TASK_CANCELLED);
    return *inside || e->kind == LL_EV_TASK_RUN || e->kind == LL_EV_CB_RUN ||
           e->kind == LL_EV_ITER || e->kind == LL_EV_POLL || e->kind == LL_EV_LOOP_STOP ||
           e->kind == LL_EV_RUN_END;
}

/* No step longer than c->num ms of loop time, and no blocking call on the
 * loop's thread longer than that (a Python program's time.sleep does not move
 * the virtual clock, but it is recorded as `blocking`). */
static void eval_max_step(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    int64_t limit = (int64_t)llround(c->num * 1e6);
    int64_t longest = 0;
    for (size_t i = t->rec.base; i < t->rec.n; i++) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind == LL_EV_BLOCKING && e->val > limit) {
            bad(r, i, "a blocking call held the loop's thread for %.0f ms (no other task ran)",
                (double)e->val / 1e6);
            return;
        }
        if (e->kind != LL_EV_TASK_RUN)
            continue;
        size_t j = i + 1; /* the step's last event */
        bool inside = false;
        while (j < t->rec.n && !ends_step(ev_at(t, j), e->task, &inside))
            j++;
        if (j == t->rec.n || !inside)
            j--;
        int64_t span = ev_at(t, j)->t - e->t;
        for (size_t k = i; k <= j && span > limit; k++)
            if (ev_at(t, k)->kind == LL_EV_BLOCKING) {
                j = k; /* name the blocking call */
                break;
            }
        if (span > limit) {
            bad(r, j, "a step of %s held the loop for %.0f ms (no other task ran)",
                task_name(t, e->task), (double)span / 1e6);
            return;
        }
        if (span > longest)
            longest = span;
    }
    ok(r, "the longest step took %.0f ms of loop time", (double)longest / 1e6);
}

/* Each task's last event that ends it (done, failed, cancelled). */
static size_t *task_ends(const ll_trace *t) {
    size_t *end = malloc((t->ntasks + 1) * sizeof *end);
    if (!end)
        return NULL;
    for (size_t i = 0; i < t->ntasks; i++)
        end[i] = SIZE_MAX;
    for (size_t i = t->rec.base; i < t->rec.n; i++) {
        const ll_trace_event *e = ev_at(t, i);
        long k = task_index(t, e->task);
        if (k >= 0 && (e->kind == LL_EV_TASK_DONE || e->kind == LL_EV_TASK_FAILED ||
                       e->kind == LL_EV_TASK_CANCELLED))
            end[k] = i;
    }
    return end;
}

/* The last wait of task `id` before event `before`, or SIZE_MAX. */
static size_t last_wait(const ll_trace *t, uint32_t id, size_t before) {
    for (size_t i = before; i-- > t->rec.base;) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->task == id && e->kind == LL_EV_TASK_WAIT)
            return i;
        if (e->task == id && e->kind == LL_EV_TASK_RUN)
            return SIZE_MAX; /* it ran after its last wait */
    }
    return SIZE_MAX;
}

/* The last request to cancel task `id` before event `before`, or `before`. */
static size_t cancel_of(const ll_trace *t, uint32_t id, size_t before) {
    for (size_t i = before; i-- > t->rec.base;) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind == LL_EV_CANCEL && e->obj == id)
            return i;
    }
    return before;
}

static void eval_all_done(const ll_trace *t, ll_check_result *r) {
    size_t *end = task_ends(t);
    if (!end) {
        bad(r, SIZE_MAX, "out of memory");
        return;
    }
    size_t n = 0;
    for (size_t k = 0; k < t->ntasks; k++) {
        if (t->tasks[k].runtime)
            continue;
        const char *name = str_of(t, t->tasks[k].name);
        const ll_trace_event *e = end[k] != SIZE_MAX ? ev_at(t, end[k]) : NULL;
        size_t at = e ? end[k] : t->rec.n;
        size_t stuck = last_wait(t, t->tasks[k].id, cancel_of(t, t->tasks[k].id, at));
        const char *on = stuck != SIZE_MAX ? ll_wait_kind_name(ev_at(t, stuck)->sub) : "";
        if (!e || e->kind == LL_EV_TASK_CANCELLED) {
            if (stuck != SIZE_MAX)
                bad(r, stuck, "%s %s while it waited on %s (here)", name,
                    e ? "was cancelled" : "never finished", on);
            else
                bad(r, e ? at : last_event(t), "%s %s", name,
                    e ? "was cancelled" : "never finished");
            free(end);
            return;
        }
        if (e->kind == LL_EV_TASK_FAILED) {
            bad(r, at, "%s failed: %s", name, str_of(t, e->str));
            free(end);
            return;
        }
        n++;
    }
    free(end);
    ok(r, "all %zu task%s finished with a result", n, n == 1 ? "" : "s");
}

static bool listed(const ll_check *c, const char *name) {
    for (size_t i = 0; i < c->nstrs; i++)
        if (strcmp(c->strs[i], name) == 0)
            return true;
    return false;
}

static void eval_cancelled(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    size_t *end = task_ends(t);
    if (!end) {
        bad(r, SIZE_MAX, "out of memory");
        return;
    }
    char got[256] = "";
    for (size_t k = 0; k < t->ntasks; k++) {
        const char *name = str_of(t, t->tasks[k].name);
        bool was = end[k] != SIZE_MAX && ev_at(t, end[k])->kind == LL_EV_TASK_CANCELLED;
        if (t->tasks[k].runtime || !was)
            continue;
        if (!listed(c, name)) {
            bad(r, end[k], "%s was cancelled, and should not have been", name);
            free(end);
            return;
        }
        size_t len = strlen(got);
        snprintf(got + len, sizeof got - len, "%s%s", len ? ", " : "", name);
    }
    for (size_t i = 0; i < c->nstrs; i++) {
        size_t k;
        for (k = 0; k < t->ntasks; k++)
            if (!t->tasks[k].runtime && strcmp(str_of(t, t->tasks[k].name), c->strs[i]) == 0)
                break;
        if (k == t->ntasks) {
            bad(r, last_event(t), "no task is named %s", c->strs[i]);
            free(end);
            return;
        }
        if (end[k] == SIZE_MAX || ev_at(t, end[k])->kind != LL_EV_TASK_CANCELLED) {
            bad(r, end[k] != SIZE_MAX ? end[k] : last_event(t), "%s was not cancelled (it %s)",
                c->strs[i],
                end[k] == SIZE_MAX                            ? "never finished"
                : ev_at(t, end[k])->kind == LL_EV_TASK_FAILED ? "failed"
                                                              : "finished");
            free(end);
            return;
        }
    }
    free(end);
    ok(r, "%s", *got ? got : "no task was cancelled");
}

static void eval_no_warning(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    for (size_t i = t->rec.base; i < t->rec.n; i++) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind != LL_EV_WARN)
            continue;
        const char *kind = ll_warn_kind_name(e->sub);
        if (c->nstrs && strcmp(kind, c->strs[0]) != 0)
            continue;
        bad(r, i, "warning (%s): %.300s", kind, str_of(t, e->str));
        return;
    }
    ok(r, "no warning%s%s", c->nstrs ? " of kind " : "", c->nstrs ? c->strs[0] : "");
}

/* The next print event from i on, or SIZE_MAX. */
static size_t next_print(const ll_trace *t, size_t i) {
    for (; i < t->rec.n; i++)
        if (ev_at(t, i)->kind == LL_EV_PRINT)
            return i;
    return SIZE_MAX;
}

static void eval_output(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    size_t i = next_print(t, t->rec.base);
    size_t line = 0;
    for (; line < c->nstrs && i != SIZE_MAX; line++, i = next_print(t, i + 1)) {
        const char *got = str_of(t, ev_at(t, i)->str);
        if (strcmp(got, c->strs[line]) != 0) {
            bad(r, i, "line %zu is \"%.180s\", expected \"%.180s\"", line + 1, got, c->strs[line]);
            return;
        }
    }
    if (line < c->nstrs)
        bad(r, last_event(t), "only %zu lines printed; line %zu should be \"%.300s\"", line,
            line + 1, c->strs[line]);
    else if (i != SIZE_MAX)
        bad(r, i, "a line more than expected: \"%.300s\"", str_of(t, ev_at(t, i)->str));
    else
        ok(r, "the %zu lines printed are the expected ones", line);
}

/* The first printed line containing `s` from event i on, or SIZE_MAX. */
static size_t find_print(const ll_trace *t, size_t i, const char *s) {
    for (i = next_print(t, i); i != SIZE_MAX; i = next_print(t, i + 1))
        if (strstr(str_of(t, ev_at(t, i)->str), s))
            return i;
    return SIZE_MAX;
}

/* A printed line that looks like the one expected (it starts with the same
 * first word), or SIZE_MAX. */
static size_t find_like(const ll_trace *t, const char *want) {
    size_t n = strcspn(want, " :");
    if (!n)
        return SIZE_MAX;
    for (size_t i = next_print(t, t->rec.base); i != SIZE_MAX; i = next_print(t, i + 1))
        if (strncmp(str_of(t, ev_at(t, i)->str), want, n + (want[n] == ':')) == 0)
            return i;
    return SIZE_MAX;
}

static void eval_prints(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    size_t at = find_print(t, t->rec.base, c->strs[0]);
    size_t like = at == SIZE_MAX ? find_like(t, c->strs[0]) : SIZE_MAX;
    if (like != SIZE_MAX)
        bad(r, like, "printed \"%.200s\" instead of \"%.200s\"", str_of(t, ev_at(t, like)->str),
            c->strs[0]);
    else if (at == SIZE_MAX)
        bad(r, last_event(t), "no printed line contains \"%.300s\"", c->strs[0]);
    else
        ok(r, "printed \"%.300s\"", str_of(t, ev_at(t, at)->str));
}

static void eval_never_prints(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    size_t at = find_print(t, t->rec.base, c->strs[0]);
    if (at != SIZE_MAX)
        bad(r, at, "printed \"%.300s\"", str_of(t, ev_at(t, at)->str));
    else
        ok(r, "no printed line contains \"%.300s\"", c->strs[0]);
}

static void eval_order(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    size_t prev = SIZE_MAX;
    for (size_t k = 0; k < c->nstrs; k++) {
        size_t at = find_print(t, t->rec.base, c->strs[k]);
        if (at == SIZE_MAX) {
            bad(r, last_event(t), "no printed line contains \"%.200s\"", c->strs[k]);
            return;
        }
        if (prev != SIZE_MAX && at < prev) {
            bad(r, at, "\"%.150s\" was printed before \"%.150s\"", c->strs[k], c->strs[k - 1]);
            return;
        }
        prev = at;
    }
    ok(r, "the %zu lines came in that order", c->nstrs);
}

/* waited / never-waited: the first wait of a matching task on the kind. */
static void eval_waited(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    const char *kind = ll_wait_kind_name((unsigned)c->wait);
    size_t first = SIZE_MAX, seen = SIZE_MAX;
    char others[200] = "";
    for (size_t i = t->rec.base; i < t->rec.n && first == SIZE_MAX; i++) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind != LL_EV_TASK_WAIT || !task_matches(t, e->task, c->task))
            continue;
        if (seen == SIZE_MAX)
            seen = i;
        if (e->sub == (unsigned)c->wait) {
            first = i;
            break;
        }
        const char *k = ll_wait_kind_name(e->sub);
        if (!strstr(others, k) && strlen(others) + strlen(k) + 3 < sizeof others)
            snprintf(others + strlen(others), sizeof others - strlen(others), "%s%s",
                     *others ? ", " : "", k);
    }
    bool any = strcmp(c->task, "*") == 0;
    if (c->kind == LL_CHECK_NEVER_WAITED) {
        if (first != SIZE_MAX)
            bad(r, first, "%s waited on %s here", task_name(t, ev_at(t, first)->task), kind);
        else
            ok(r, "%s waited on %s", any ? "no task" : c->task, kind);
        return;
    }
    if (first != SIZE_MAX)
        ok(r, "%s waited on %s", task_name(t, ev_at(t, first)->task), kind);
    else if (seen != SIZE_MAX)
        bad(r, seen, "%s %s on %s (%s waited only on: %s)", any ? "no task" : c->task,
            any ? "waited" : "never waited", kind, any ? "tasks" : "it", others);
    else
        bad(r, last_event(t), "%s %s on %s (%s)", any ? "no task" : c->task,
            any ? "waited" : "never waited", kind,
            any ? "no task waited at all" : "it never waited at all");
}

static void eval_result(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    size_t *end = task_ends(t);
    if (!end) {
        bad(r, SIZE_MAX, "out of memory");
        return;
    }
    for (size_t k = 0; k < t->ntasks; k++) {
        if (!task_matches(t, t->tasks[k].id, c->task))
            continue;
        size_t at = end[k];
        free(end);
        const ll_trace_event *e = at != SIZE_MAX ? ev_at(t, at) : NULL;
        if (!e)
            bad(r, last_event(t), "%s never finished", c->task);
        else if (e->kind != LL_EV_TASK_DONE)
            bad(r, at, "%s %s instead of returning", c->task,
                e->kind == LL_EV_TASK_FAILED ? "failed" : "was cancelled");
        else if (strcmp(str_of(t, e->str), c->strs[0]) != 0)
            bad(r, at, "%s returned %.200s", c->task, str_of(t, e->str));
        else
            ok(r, "%s returned %.300s", c->task, c->strs[0]);
        return;
    }
    free(end);
    bad(r, last_event(t), "no task is named %s", c->task);
}

/* Where the main task (the first made) failed: its last wait before its
 * `failed` event (the await the error came through), or `fallback`. */
static size_t main_failure(const ll_trace *t, size_t fallback) {
    if (!t->ntasks)
        return fallback;
    uint32_t id = t->tasks[0].id;
    for (size_t i = t->rec.base; i < t->rec.n; i++) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind != LL_EV_TASK_FAILED || e->task != id)
            continue;
        for (size_t j = i; j-- > t->rec.base;)
            if (ev_at(t, j)->kind == LL_EV_TASK_WAIT && ev_at(t, j)->task == id)
                return j;
        return fallback;
    }
    return fallback;
}

static void eval_exits(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    static const char *const how[] = {"closed", "exited", "signal", "timeout", "lost"};
    for (size_t i = t->rec.n; i-- > t->rec.base;) {
        const ll_trace_event *e = ev_at(t, i);
        if (e->kind != LL_EV_RUN_END)
            continue;
        const char *h = e->sub < 5 ? how[e->sub] : "lost";
        if (e->sub > 1)
            bad(r, i, "the program did not run to its end (%s: %.200s)", h, str_of(t, e->str));
        else if (e->val != c->n)
            bad(r, main_failure(t, i), "the program exited with status %lld%s", (long long)e->val,
                main_failure(t, i) != i ? ": the error reached the main task through this await"
                                        : "");
        else
            ok(r, "the program exited with status %lld", (long long)e->val);
        return;
    }
    bad(r, last_event(t), "the trace does not say how the run ended");
}

/* The property in words, for the report. */
static void describe(const ll_check *c, char *out, size_t cap) {
    const char *kind = c->wait >= 0 ? ll_wait_kind_name((unsigned)c->wait) : "";
    switch (c->kind) {
    case LL_CHECK_TOTAL_TIME: snprintf(out, cap, "the run takes at most %g s", c->num); break;
    case LL_CHECK_MAX_WAITING:
        snprintf(out, cap, "at most %ld task%s wait%s on %s at once", c->n, c->n == 1 ? "" : "s",
                 c->n == 1 ? "s" : "", kind);
        break;
    case LL_CHECK_MIN_WAITING:
        snprintf(out, cap, "%ld tasks wait on %s at the same time", c->n, kind);
        break;
    case LL_CHECK_MAX_INSIDE:
        snprintf(out, cap, "at most %ld task%s hold%s %s at once", c->n, c->n == 1 ? "" : "s",
                 c->n == 1 ? "s" : "", c->strs[0]);
        break;
    case LL_CHECK_MAX_STEP:
        snprintf(out, cap, "the loop is never blocked for more than %g ms", c->num);
        break;
    case LL_CHECK_ALL_DONE: snprintf(out, cap, "every task finishes with a result"); break;
    case LL_CHECK_CANCELLED: {
        size_t len = (size_t)snprintf(out, cap, "%s", c->nstrs ? "cancelled: exactly" : "");
        for (size_t i = 0; i < c->nstrs && len < cap; i++)
            len += (size_t)snprintf(out + len, cap - len, " %s", c->strs[i]);
        if (!c->nstrs)
            snprintf(out, cap, "no task is cancelled");
        break;
    }
    case LL_CHECK_NO_WARNING:
        snprintf(out, cap, "no warning%s%s", c->nstrs ? " " : "", c->nstrs ? c->strs[0] : "");
        break;
    case LL_CHECK_OUTPUT: snprintf(out, cap, "prints the expected %zu lines", c->nstrs); break;
    case LL_CHECK_PRINTS: snprintf(out, cap, "prints \"%.200s\"", c->strs[0]); break;
    case LL_CHECK_NEVER_PRINTS: snprintf(out, cap, "never prints \"%.200s\"", c->strs[0]); break;
    case LL_CHECK_ORDER: {
        size_t len = (size_t)snprintf(out, cap, "prints in this order:");
        for (size_t i = 0; i < c->nstrs && len < cap; i++)
            len += (size_t)snprintf(out + len, cap - len, "%s \"%.60s\"", i ? "," : "", c->strs[i]);
        break;
    }
    case LL_CHECK_WAITED:
        if (strcmp(c->task, "*") == 0)
            snprintf(out, cap, "some task waits on %s", kind);
        else
            snprintf(out, cap, "%s waits on %s", c->task, kind);
        break;
    case LL_CHECK_NEVER_WAITED:
        if (strcmp(c->task, "*") == 0)
            snprintf(out, cap, "no task waits on %s", kind);
        else
            snprintf(out, cap, "%s never waits on %s", c->task, kind);
        break;
    case LL_CHECK_RESULT: snprintf(out, cap, "%s returns %.200s", c->task, c->strs[0]); break;
    case LL_CHECK_EXITS: snprintf(out, cap, "the program exits with status %ld", c->n); break;
    case LL_CHECK__COUNT: snprintf(out, cap, "?"); break;
    }
}

void ll_check_eval(const ll_check *c, const ll_trace *t, ll_check_result *r) {
    memset(r, 0, sizeof *r);
    r->event = SIZE_MAX;
    describe(c, r->what, sizeof r->what);
    switch (c->kind) {
    case LL_CHECK_TOTAL_TIME: eval_total_time(c, t, r); break;
    case LL_CHECK_MAX_WAITING:
    case LL_CHECK_MIN_WAITING: eval_waiting(c, t, r); break;
    case LL_CHECK_MAX_INSIDE: eval_inside(c, t, r); break;
    case LL_CHECK_MAX_STEP: eval_max_step(c, t, r); break;
    case LL_CHECK_ALL_DONE: eval_all_done(t, r); break;
    case LL_CHECK_CANCELLED: eval_cancelled(c, t, r); break;
    case LL_CHECK_NO_WARNING: eval_no_warning(c, t, r); break;
    case LL_CHECK_OUTPUT: eval_output(c, t, r); break;
    case LL_CHECK_PRINTS: eval_prints(c, t, r); break;
    case LL_CHECK_NEVER_PRINTS: eval_never_prints(c, t, r); break;
    case LL_CHECK_ORDER: eval_order(c, t, r); break;
    case LL_CHECK_WAITED:
    case LL_CHECK_NEVER_WAITED: eval_waited(c, t, r); break;
    case LL_CHECK_RESULT: eval_result(c, t, r); break;
    case LL_CHECK_EXITS: eval_exits(c, t, r); break;
    case LL_CHECK__COUNT: bad(r, SIZE_MAX, "unknown property"); break;
    }
}
