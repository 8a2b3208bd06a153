/* reader.h - the text trace reader and what it reads into (internal; for
 * the tools: the looplab command, the exports and the viewer).  The format
 * and its field table are in writer.h. */
#ifndef LL_TRACE_READER_H
#define LL_TRACE_READER_H

#include "writer.h"

/* What a reader holds is bounded by these, never by what the input says:
 * a line is at most LL_TRACE_MAX_LINE bytes; a task id at most
 * LL_TRACE_MAX_TASK_ID (the library numbers tasks from 1, so this is a
 * count of tasks; the text writer keeps a name per id); and a trace read
 * whole (ll_trace_load, ll_trace_parse) at most LL_TRACE_MEMORY_MB MiB of
 * events, strings, sites and tasks, which the environment variable of that
 * name raises or lowers.  ll_trace_stream holds no events at all, and the
 * same limit applies to what it does hold (tasks, their names, sites). */
#define LL_TRACE_MAX_TASK_ID (1u << 24)
#define LL_TRACE_MEMORY_MB 1024

/* A task of a trace: tasks are kept in the order their task_new came, and
 * found by id through ll_trace_task(). */
typedef struct ll_trace_task {
    uint32_t id;   /* its id in the trace */
    uint32_t name; /* its name (string id in rec) */
    uint32_t loop; /* the loop it belongs to (1..) */
    bool runtime;  /* made by the runtime, not the program: in a Python trace,
                      asyncio.run's shutdown tasks (shutdown_asyncgens,
                      shutdown_default_executor), which a C run has no twin of */
} ll_trace_task;

typedef struct ll_trace {
    ll__recorder rec;      /* the events, their strings and sites */
    ll_trace_meta meta;    /* strings owned by the trace */
    unsigned major, minor; /* format version read */
    bool wall;             /* the trace carried wall times */
    bool truncated;        /* no `@end` line: the writer stopped short */
    size_t unknown;        /* events of kinds this reader does not know */
    size_t events;         /* event lines read, of known kinds (rec.n, or
                              what ll_trace_stream handed on) */
    uint8_t *loops;        /* loop of each event (1..), NULL when all are 1 */
    size_t loopcap;
    unsigned nloops; /* the highest loop number seen (1 at least) */
    char **owned;    /* strings the trace owns (metadata, file names) */
    size_t nowned, ownedcap;
    ll_trace_task *tasks; /* every task, in the order they were created */
    size_t ntasks, taskcap;
    ll__idmap taskidx;           /* task id -> its index in tasks */
    struct ll_trace_clip *clips; /* events whose strings the writer clipped, */
    size_t nclips, clipcap;      /* in event order (NULL when none) */
} ll_trace;

/* An event written with clipped=N: N bytes of its strings were left out. */
typedef struct ll_trace_clip {
    size_t event;   /* index of the event */
    uint64_t bytes; /* the N of clipped=N */
} ll_trace_clip;
/* How many bytes of event i's strings the writer left out (0: none). */
uint64_t ll_trace_clipped(const ll_trace *t, size_t i);

/* Parses a trace from memory.  `name` is used in messages.  Returns 0, or -1
 * with `err` set to "NAME:LINE:COLUMN: what was expected".  On error the
 * trace holds what was read before the bad line. */
int ll_trace_parse(ll_trace *t, const char *name, const char *text, size_t len, char *err,
                   size_t errlen);
/* Reads a file ("-" is standard input) and parses it, a piece at a time:
 * the header is checked before anything more is read, and the file's text
 * is never held whole. */
int ll_trace_load(ll_trace *t, const char *path, char *err, size_t errlen);

/* For tools that need each event once, in order (exports, stats): `each` is
 * called for every event as it is read, with the trace so far (metadata,
 * tasks, strings) and the event's loop; the event is then also the last of
 * t->rec (index t->rec.n - 1), for code that formats from a recorder.  The event and the strings
 * only it refers to are dropped once `each` returns, so memory grows with tasks, not with events.
 * A non-zero return from `each` stops the reading, and ll_trace_stream returns that value (err
 * untouched).  Otherwise as ll_trace_load (which is what a NULL `each` gives); t->events counts the
 * events read. */
typedef int (*ll_trace_each)(void *ud, const ll_trace *t, const ll_trace_event *e, unsigned loop);
int ll_trace_stream(ll_trace *t, const char *path, ll_trace_each each, void *ud, char *err,
                    size_t errlen);
void ll_trace_free(ll_trace *t);
/* The loop event i belongs to (1 when the trace has one loop). */
static inline unsigned ll_trace_loop_of(const ll_trace *t, size_t i) {
    return t->loops ? t->loops[i] : 1;
}
/* The task with this id, or NULL when no task_new created it. */
static inline const ll_trace_task *ll_trace_task_of(const ll_trace *t, uint32_t id) {
    const uint32_t *i = ll__idmap_get(&t->taskidx, id);
    return i ? &t->tasks[*i] : NULL;
}

/* Copies `n` bytes of `s` into `dst` (NUL-terminated, cut to fit `cap`)
 * so that they are safe to show on a terminal: control bytes, the C1
 * controls and bytes that are not valid UTF-8 become \xHH.  Returns dst. */
char *ll_trace_term_safe(char *dst, size_t cap, const char *s, size_t n);

/* Writes a parsed trace back (with its loop numbers, when it has several). */
int ll_trace_write_parsed(FILE *out, const ll_trace *t);

#endif
