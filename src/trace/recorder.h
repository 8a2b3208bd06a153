/* recorder.h - the append-only event store behind every loop (internal).
 *
 * The scheduler calls ll__rec_*() at every state change.  Events are fixed
 * size and go into 2 MiB chunks (43 690 events) that are never moved, so appending is a
 * bounds check and a 48-byte store.  Strings (names, printed lines, notes) go
 * into one growing character table and are referred to by offset; source
 * sites are interned by (file pointer, line).  Nothing here knows about the
 * scheduler: it stores what it is given.  Recording can be switched off, in
 * which case `on` is false and the scheduler skips the calls.
 *
 * Long runs are bounded in one of two ways (docs/trace-format.md, "Bounded
 * recording").  Spilled: once the trace writer has formatted every event,
 * ll__rec_spill() lets them go and keeps only the strings still referred to,
 * so a program streaming its trace holds a chunk or two however long it runs.
 * Ring: with `ring` set (LOOPLAB_TRACE_RING), the oldest chunk is reused when
 * more than `ring` events would otherwise be held.  Either way events before
 * `base` are gone and ll__rec_at() must not be asked for them. */
#ifndef LL_TRACE_RECORDER_H
#define LL_TRACE_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"

#define LL_REC_CHUNK_BYTES (2u << 20)
#define LL_REC_CHUNK (LL_REC_CHUNK_BYTES / sizeof(ll_trace_event))

typedef struct ll__site {
    const char *file; /* borrowed: __FILE__ literals live for the program */
    int line;
} ll__site;

typedef struct ll__recorder {
    bool on;                 /* recording enabled */
    ll_trace_event **chunks; /* chunk i holds events [(chunk0+i)*CHUNK, ...+CHUNK) */
    size_t nchunks, chunkcap;
    size_t chunk0;         /* chunks before this one were let go */
    size_t base;           /* first event still held (events before it are gone) */
    ll_trace_event *spare; /* a chunk let go, kept for the next one needed */
    size_t ring;           /* ring mode: hold at least this many events (0: all) */
    size_t n;              /* events recorded */
    ll_trace_event *cur;   /* next free slot in the last chunk */
    ll_trace_event *end;   /* one past the last chunk's slots */
    char *strs;            /* string table; offset 0 is the empty string */
    size_t strlen_, strcap;
    size_t str_pin;  /* strings below this offset are kept by ll__rec_spill */
    size_t str_mark; /* strlen_ after the last time strings were let go */
    ll__site *sites; /* site table; id 0 is "unknown" */
    size_t nsites, sitecap;
    uint32_t *site_hash;  /* open addressing: slot -> site id (0 empty) */
    size_t site_hash_cap; /* power of two */
    struct ll__site_memo {
        const char *file; /* a site seen lately, by the pointer it came with */
        int line;
        uint32_t id;
    } site_memo[16];     /* in front of the hash: a step's few sites, found by
                            pointer and line without hashing (ll__rec_site) */
    ll_trace_event sink; /* handed out by ll__rec_slot once memory ran
                            out: written, never read */
} ll__recorder;

void ll__rec_init(ll__recorder *r, bool on);
void ll__rec_free(ll__recorder *r);

/* Reserves the next event slot (growing by a chunk when needed); NULL when
 * memory ran out, in which case recording switches itself off. */
ll_trace_event *ll__rec_grow(ll__recorder *r);
/* The same, but `sink` instead of NULL (for ll__rec_slot). */
ll_trace_event *ll__rec_grow_slot(ll__recorder *r);
static inline ll_trace_event *ll__rec_next(ll__recorder *r) {
    if (r->cur != r->end) {
        r->n++;
        return r->cur++;
    }
    return ll__rec_grow(r);
}

/* ll__rec_next for a caller that fills the event in and moves on: never
 * NULL.  Once memory has run out (recording is then off) it hands out `sink`,
 * a slot nobody reads, so that the caller needs no check of its own. */
static inline ll_trace_event *ll__rec_slot(ll__recorder *r) {
    if (r->cur != r->end) {
        r->n++;
        return r->cur++;
    }
    return ll__rec_grow_slot(r);
}

/* Event i (0-based, r->base <= i < r->n). */
static inline const ll_trace_event *ll__rec_at(const ll__recorder *r, size_t i) {
    return &r->chunks[i / LL_REC_CHUNK - r->chunk0][i % LL_REC_CHUNK];
}

/* The string table spills once it has grown by this much since it last did. */
#define LL_REC_STR_SPILL ((size_t)1 << 20)

/* Lets go of every event, when all of them are below `written` (formatted by
 * the trace writer) and more than a chunk of events or LL_REC_STR_SPILL bytes
 * of strings are held: events before r->n are gone, and the string table
 * keeps the strings below str_pin and the `nids` strings ids[] refers to,
 * whose ids are rewritten in place (the writer's task names).  Returns true
 * when it let go. */
bool ll__rec_spill(ll__recorder *r, size_t written, uint32_t *ids, size_t nids);
/* The first event a writer should write: in ring mode exactly the last
 * `ring` events (or fewer), otherwise every event still held. */
static inline size_t ll__rec_first(const ll__recorder *r) {
    return r->ring && r->n - r->base > r->ring ? r->n - r->ring : r->base;
}
/* Bytes the recorder holds now: chunks (the spare too), strings, sites. */
size_t ll__rec_held_bytes(const ll__recorder *r);

/* Copies a string (len bytes, may contain NUL) into the table; returns its
 * id, 0 for the empty string or when memory ran out. */
uint32_t ll__rec_str(ll__recorder *r, const char *s, size_t len);
/* The string for an id (NUL-terminated; its length is stored before it). */
const char *ll__rec_strp(const ll__recorder *r, uint32_t id, size_t *len);
/* Interns a source location; returns its id (0 for file == NULL).  Every
 * recorded event with a site asks this, so a site asked again with the same
 * pointer and line (a __FILE__ literal) is answered from site_memo, a
 * direct-mapped cache: a few instructions, where the hash lookup costs ~25. */
uint32_t ll__rec_site_slow(ll__recorder *r, const char *file, int line);
static inline uint32_t ll__rec_site(ll__recorder *r, const char *file, int line) {
    struct ll__site_memo *m = &r->site_memo[(((uintptr_t)file >> 4) + (unsigned)line) & 15];
    if (m->file == file && m->line == line && file)
        return m->id;
    uint32_t id = ll__rec_site_slow(r, file, line);
    if (id)
        *m = (struct ll__site_memo){file, line, id};
    return id;
}
const ll__site *ll__rec_sitep(const ll__recorder *r, uint32_t id);

#endif
