/* handles.c - generation-checked handles for objects a program holds by
 * pointer (streams, databases) but that are freed before their loop closes.
 *
 * The program gets an odd "pointer" that packs an entry of a per-loop
 * table and the object's serial number (process-wide, so a handle from one
 * loop never matches an entry of another).  Freeing an object empties its
 * entry; a handle kept past that no longer matches, and looking it up gives
 * NULL instead of reading freed memory.  Entries are reused, serials are
 * not (until 2^32 objects, or 2^12 on a 32-bit machine, have been made). */
#include "io.h"
#include "../core/grow.h"

#include <stdatomic.h>
#include <stdlib.h>

/* A handle: (serial << (SLOT_BITS + 1)) | (entry << 1) | 1. */
#define SLOT_BITS (sizeof(uintptr_t) >= 8 ? 31u : 19u)
#define SERIAL_MASK (sizeof(uintptr_t) >= 8 ? 0xffffffffu : 0xfffu)
static atomic_uint next_serial = 1;

bool ll__h_is_handle(const void *h) {
    return h && ((uintptr_t)h & 1u);
}

void *ll__h_put(ll__htab *t, void *obj) {
    if (!t->free) {
        /* A slot number must fit in SLOT_BITS. */
        if (t->n == t->cap && (t->cap ? t->cap * 2 : 64) > (1u << SLOT_BITS) - 1)
            return NULL;
        LL__GROW(t->e, t->cap, t->n + 1, 64, return NULL);
        t->e[t->n] = (ll__hent){NULL, 0, 0};
        t->free = ++t->n;
    }
    uint32_t at = t->free - 1;
    t->free = t->e[at].next_free;
    uint32_t serial = atomic_fetch_add(&next_serial, 1) & SERIAL_MASK;
    t->e[at] = (ll__hent){obj, serial, 0};
    return (void *)(((uintptr_t)serial << (SLOT_BITS + 1)) | ((uintptr_t)at << 1) | 1u);
}

/* The entry a handle names, if it still names one. */
static ll__hent *entry(const ll__htab *t, const void *h) {
    uintptr_t v = (uintptr_t)h;
    if (!t || !(v & 1u))
        return NULL;
    uint32_t at = (uint32_t)((v >> 1) & ((1u << SLOT_BITS) - 1));
    uint32_t serial = (uint32_t)(v >> (SLOT_BITS + 1));
    if (at >= t->n || !t->e[at].obj || t->e[at].serial != serial)
        return NULL;
    return &t->e[at];
}

void *ll__h_get(const ll__htab *t, const void *h) {
    ll__hent *e = entry(t, h);
    return e ? e->obj : NULL;
}

void ll__h_drop(ll__htab *t, const void *h) {
    ll__hent *e = entry(t, h);
    if (!e)
        return;
    e->obj = NULL;
    e->next_free = t->free;
    t->free = (uint32_t)(e - t->e) + 1;
}

void ll__h_free(ll__htab *t) {
    free(t->e);
    *t = (ll__htab){0};
}
