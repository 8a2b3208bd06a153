/* recorder.h - the append-only event store behind every loop (internal).
 *
 * The scheduler calls ll__rec_*() at every state change.  Events are fixed
 * size and go into 2 MiB chunks (43 690 events) that are never moved, so appending is a
 * bounds check and a 48-byte store.  Strings (names, printed lines, notes) go
 * into one growing character table and are referred to by offset; source
 * sites are interned by (file pointer, line).  Nothing here knows about the
 * scheduler: it stores what it is given.  Recording can be switched off, in
 * which case `on` is false and the scheduler skips the calls. */
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
    ll_trace_event **chunks;       /* chunk i holds events [i*CHUNK, (i+1)*CHUNK) */
    size_t nchunks, chunkcap;
    size_t n;                /* events recorded */
    ll_trace_event *cur;           /* next free slot in the last chunk */
    ll_trace_event *end;           /* one past the last chunk's slots */
    char *strs;              /* string table; offset 0 is the empty string */
    size_t strlen_, strcap;
    ll__site *sites;         /* site table; id 0 is "unknown" */
    size_t nsites, sitecap;
    uint32_t *site_hash;     /* open addressing: slot -> site id (0 empty) */
    size_t site_hash_cap;    /* power of two */
} ll__recorder;

void ll__rec_init(ll__recorder *r, bool on);
void ll__rec_free(ll__recorder *r);

/* Reserves the next event slot (growing by a chunk when needed); NULL when
 * memory ran out, in which case recording switches itself off. */
ll_trace_event *ll__rec_grow(ll__recorder *r);
static inline ll_trace_event *ll__rec_next(ll__recorder *r) {
    if (r->cur != r->end) {
        r->n++;
        return r->cur++;
    }
    return ll__rec_grow(r);
}

/* Event i (0-based, i < r->n). */
static inline const ll_trace_event *ll__rec_at(const ll__recorder *r, size_t i) {
    return &r->chunks[i / LL_REC_CHUNK][i % LL_REC_CHUNK];
}

/* Copies a string (len bytes, may contain NUL) into the table; returns its
 * id, 0 for the empty string or when memory ran out. */
uint32_t ll__rec_str(ll__recorder *r, const char *s, size_t len);
/* The string for an id (NUL-terminated; its length is stored before it). */
const char *ll__rec_strp(const ll__recorder *r, uint32_t id, size_t *len);
/* Interns a source location; returns its id (0 for file == NULL). */
uint32_t ll__rec_site(ll__recorder *r, const char *file, int line);
const ll__site *ll__rec_sitep(const ll__recorder *r, uint32_t id);

#endif
