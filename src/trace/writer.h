/* writer.h - the text trace format v1: its field table and the writer
 * (internal; the reader is reader.h, textfmt.h includes both).
 *
 * The format is specified in docs/trace-format.md.  In short: a header line
 * `looplab-trace 1.0`, `@key value` metadata lines, then one event per line
 *
 *     <loop time s.ns>  <task id:name | ->  <kind>  key=value ...
 *
 * and a closing `@end events=N` line.  Which fields an event kind writes,
 * under which keys and as which types, is one table (textfmt.c) shared by the
 * writer (writer.c) and the reader (reader.c), so read(write(trace)) gives the same events back.
 *
 * The writer formats into its own buffer with hand-written number and string
 * formatting (no stdio, no malloc once started), so the library can flush
 * what it has recorded from a fatal-signal handler. */
#ifndef LL_TRACE_WRITER_H
#define LL_TRACE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "idmap.h"
#include "recorder.h"

#define LL_TRACE_MAJOR 1
#define LL_TRACE_MINOR 6
/* Loops one trace can hold (loop=1..this). */
#define LL_TRACE_MAX_LOOPS 64
/* The longest line a reader accepts, in bytes without its newline. */
#define LL_TRACE_MAX_LINE (1u << 20)
/* The writer keeps every line under LL_TRACE_MAX_LINE whatever the program
 * recorded: each string (a value, a name, a file) is clipped to this many
 * bytes of escaped text, and the event says how many bytes it left out
 * (clipped=N).  A line holds at most four strings (task_new: its name in the
 * task column and in name=, coro=, and at=), so 4 x 64 KiB plus the fixed
 * fields stays far below the line limit. */
#define LL_TRACE_MAX_STR (64u << 10)
/* The largest time the format carries, in ns: 9223372035.999999999 s (the
 * reader refuses more than 9223372035 whole seconds, which keeps seconds x
 * 10^9 + decimals inside int64_t).  The writer writes a time beyond it, or
 * below its negative, as that bound; the scheduler's "never" (INT64_MAX)
 * becomes about 292 years. */
#define LL_TRACE_TIME_MAX INT64_C(9223372035999999999)

/* a + b held at the int64_t bounds instead of overflowing: a crafted trace
 * can put times anywhere in int64_t (the writer's shifts, the tools' sums). */
static inline int64_t ll__i64_add_sat(int64_t a, int64_t b) {
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* What a trace says about its run (all optional; NULL when absent). */
typedef struct ll_trace_meta {
    const char *program;  /* the program's name */
    const char *lesson;   /* the lesson's folder, when run as a lesson */
    const char *clock;    /* "virtual" or "real" */
    const char *library;  /* library version that wrote it */
    const char *start;    /* wall-clock start, ISO 8601 (real clock only) */
    uint64_t dropped;     /* events a ring dropped before the first one
                             (`@dropped "N"`; 0: the trace starts at the start) */
    const char *language; /* "python" for the Python recorder's traces
                             (NULL: a C program's) */
    const char *source;   /* the source file that ran, when the writer named it */
    const char *model;    /* the model of asyncio it ran under (LL_MODEL_MAP), NULL for
                             asyncio's own */
} ll_trace_meta;

/* ---- the field table ------------------------------------------------------
 * For each event kind: the fields it writes, under which key, from which slot
 * of ll_trace_event, as which type.  Slots no entry covers are still written when
 * non-zero, under their raw names (_sub, _obj, _aux, _val, _str), so any
 * event survives a round trip.  The exports use the same table. */
enum slot { S_SUB, S_OBJ, S_AUX, S_VAL, S_STR, S__N };
enum ftype {
    T_U32,      /* decimal */
    T_I64,      /* decimal, may be negative */
    T_TIME,     /* ns as seconds with 9 decimals */
    T_TIMEOPT,  /* like T_TIME; -1 is written "none" and is the default */
    T_STR,      /* string id, written as a quoted string */
    T_REASON,   /* LL_REASON_MAP name */
    T_WAIT,     /* LL_WAIT_MAP name */
    T_WARN,     /* LL_WARN_MAP name */
    T_FUTKIND,  /* future / task / gather / sleep */
    T_OUTCOME,  /* result / error / cancelled */
    T_ERR,      /* an error code stored negated (aux = -code): Python's name */
    T_HOW,      /* how a run ended */
    T_SYNCKIND, /* LL_SYNC_KIND_MAP name */
    T_SYNCOP,   /* LL_SYNC_OP_MAP name */
    T_IOROLE,   /* LL_IO_ROLE_MAP name */
    T_IOOP,     /* LL_IO_OP_MAP name */
};
#define ALWAYS 1    /* written even when zero */
#define CLIP_ITEM 2 /* a string clipped to LL_TRACE_ITEM_MAX, not LL_TRACE_MAX_STR */

/* A queue item's repr (item= on a queue's put and get) is written up to this
 * many bytes of escaped text: enough to tell items apart on the viewer's
 * queue card, short enough that a queue of big lists does not make every
 * put a long line.  What is left out is counted in clipped=N. */
#define LL_TRACE_ITEM_MAX 40u

/* The minor version that added a field (0: 1.0), in the flags' high bits: a
 * trace of an older version may not carry it. */
#define SINCE(minor) ((minor) << 4)
#define SINCE_OF(flags) ((unsigned)(flags) >> 4)

typedef struct fspec {
    const char *key;
    uint8_t slot, type, flags;
} fspec;

/* The fields of an event kind, ending with an entry whose key is NULL. */
const fspec *ll__fields_of(unsigned kind);
/* The value in a slot of an event. */
int64_t ll__field_get(const ll_trace_event *e, unsigned slot);
/* The name of an enum-typed value (reason, wait kind, ...), or NULL. */
const char *ll__field_enum_name(unsigned type, int64_t v);
/* The keys of slots no entry covers (_sub, _obj, _aux, _val, _str). */
extern const char *const ll__raw_keys[S__N];
/* Length of the valid UTF-8 sequence at s (n > 0 bytes left), or 0: the one
 * check the writer, the reader and the exports share. */
size_t ll__utf8_len(const unsigned char *s, size_t n);

/* ---- writer -------------------------------------------------------------- */

/* One trace written by several loops (one per thread): they share the file
 * and take turns through `mu`, each writing whole lines only.  The first
 * loop writes the header and the `@end` line; `others` counts the lines the
 * other loops wrote, for the `@end` count.  Once `closed`, nothing more is
 * written (a loop that outlives the first one loses its last events, and
 * says so). */
typedef struct ll__sink {
    pthread_mutex_t mu;
    bool closed;
    size_t others;
} ll__sink;

typedef struct ll__tw {
    int fd;          /* where the text goes (write(2)), or -1 */
    FILE *file;      /* or here, when fd < 0 */
    bool wall;       /* write each event's wall time (wall=ns) */
    bool failed;     /* a write failed; later writes are skipped */
    bool clip;       /* formatting one line (ll__tw_format): stop at cap */
    size_t next;     /* first event of the recorder not written yet */
    size_t skipped;  /* events before `next` a ring dropped unwritten */
    uint32_t *names; /* task id -> name string id, learned from task_new */
    size_t nnames;
    char *buf; /* output buffer */
    size_t len, cap;
    ll__sink *sink;     /* shared with other loops' writers, or NULL */
    uint32_t loop;      /* written as loop=N on every line when > 1 */
    int64_t t_shift;    /* added to every time and wall time written (a */
    int64_t wall_shift; /* later loop's clock, on the first loop's scale) */
    bool dropped;       /* the sink closed before everything was written */
    uint64_t clipped;   /* bytes of the line being formatted left out */
    atomic_int gate;    /* LL__TW_FREE / BUSY / TAKEN, | WANTED: who may
                           touch the buffer (see ll__tw_seize) */
} ll__tw;

/* The writer's gate.  The loop's own thread holds it (BUSY) while it formats
 * and writes; a fatal-signal handler takes it for good (TAKEN) to write what
 * is left.  A handler that finds it BUSY cannot wait (it may have interrupted
 * that very writer), so it sets WANTED and returns: the writer, on leaving,
 * calls ll__tw_deferred_hook, which does the handler's work then. */
enum { LL__TW_FREE = 0, LL__TW_BUSY = 1, LL__TW_TAKEN = 2, LL__TW_WANTED = 4 };
/* Set by the library; called on the writer's thread when a flush was put off
 * while it held the gate. */
extern void (*ll__tw_deferred_hook)(void);

/* Starts a writer and writes the header and metadata.  Returns 0 or -1 (out
 * of memory). */
int ll__tw_begin(ll__tw *w, int fd, FILE *file, const ll_trace_meta *meta, bool wall);
/* Starts a writer for a further loop of a trace another writer began with
 * ll__tw_begin (same fd): no header; every line gets loop=N. */
int ll__tw_join(ll__tw *w, int fd, ll__sink *sink, uint32_t loop, int64_t t_shift,
                int64_t wall_shift, bool wall);
/* Formats events [w->next, r->n) into the buffer, writing it out when it
 * fills, and writes everything out when `flush`. */
void ll__tw_events(ll__tw *w, const ll__recorder *r, bool flush);
/* ll__tw_events with `flush`, and then, while no signal handler can take the
 * writer, lets the recorder spill what was written (ll__rec_spill). */
void ll__tw_spill(ll__tw *w, ll__recorder *r);
/* Async-signal-safe: writes out what the buffer holds and the events not yet
 * formatted.  For fatal-signal handlers and exit paths. */
void ll__tw_emergency(ll__tw *w, const ll__recorder *r);
/* Async-signal-safe: tries to take the writer for ll__tw_emergency_upto.
 * Returns 1 when taken (for good: the normal writer writes nothing more), 0
 * when the writer is busy -- then, when `defer`, WANTED is set and the
 * writer calls ll__tw_deferred_hook as it leaves -- and -1 when there is
 * nothing to take (already taken, or not writing to a descriptor). */
int ll__tw_seize(ll__tw *w, bool defer);
/* Gives back a writer seized by ll__tw_seize without writing. */
void ll__tw_release(ll__tw *w);
/* Async-signal-safe, on a seized writer: writes out the buffer, events
 * [w->next, upto) -- events from `upto` on may be half recorded -- and then
 * `last` when not NULL (the run_end saying how the program ended). */
void ll__tw_emergency_upto(ll__tw *w, const ll__recorder *r, size_t upto,
                           const ll_trace_event *last);
/* Writes the remaining events and the `@end` line, flushes, frees.  Returns 0
 * or -1 when some write failed. */
int ll__tw_end(ll__tw *w, const ll__recorder *r);

/* For showing single events (the viewer's event log): a writer started with
 * fd -1 and no file formats one event line into its buffer and returns it
 * (without the newline, cut at the buffer's 64 KiB).  ll__tw_learn tells it
 * a task's name ahead of the event that would. */
/* Writes one event as its line (buffered; for a writer ll__tw_begin opened). */
void ll__tw_put(ll__tw *w, const ll__recorder *r, const ll_trace_event *e);
const char *ll__tw_format(ll__tw *w, const ll__recorder *r, const ll_trace_event *e, size_t *len);
void ll__tw_learn(ll__tw *w, uint32_t task, uint32_t name);
/* Frees a writer without writing anything more. */
void ll__tw_free(ll__tw *w);

/* Writes a whole trace to a FILE (header, events, end). */
int ll_trace_write(FILE *out, const ll__recorder *r, const ll_trace_meta *meta, bool wall);

#endif
