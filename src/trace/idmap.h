/* idmap.h - a map from a 32-bit id (task, future, timer) to a 32-bit value,
 * for the tools that read traces (internal).
 *
 * A trace names tasks and objects by ids the writer chose, so an id says
 * nothing about how many there are: a 60-byte trace can name task
 * 4294967295.  Tables indexed by id would cost memory by the id's size; this
 * map costs it by the number of ids seen.  Open addressing with linear
 * probing, load at most one half; id 0 means "none" everywhere in a trace and
 * marks an empty slot here. */
#ifndef LL_TRACE_IDMAP_H
#define LL_TRACE_IDMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct ll__idmap {
    uint32_t *keys; /* the ids; 0 is an empty slot */
    uint32_t *vals; /* the value of keys[i] */
    size_t cap;     /* slots, a power of two (0 before the first put) */
    size_t n;       /* ids held */
} ll__idmap;

static inline size_t ll__idmap_slot(const ll__idmap *m, uint32_t key) {
    size_t i = (size_t)(key * 0x9E3779B1u) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* The value of `key`, or NULL when the map does not hold it (or key is 0). */
static inline uint32_t *ll__idmap_get(const ll__idmap *m, uint32_t key) {
    if (!key || !m->cap)
        return NULL;
    size_t i = ll__idmap_slot(m, key);
    return m->keys[i] ? &m->vals[i] : NULL;
}

/* Sets key's value (key != 0).  Returns 0, or -1 when memory ran out. */
static inline int ll__idmap_put(ll__idmap *m, uint32_t key, uint32_t val) {
    if ((m->n + 1) * 2 > m->cap) {
        ll__idmap g = {NULL, NULL, m->cap ? m->cap * 2 : 64, 0};
        g.keys = calloc(g.cap, sizeof *g.keys);
        g.vals = malloc(g.cap * sizeof *g.vals);
        if (!g.keys || !g.vals) {
            free(g.keys);
            free(g.vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = ll__idmap_slot(&g, m->keys[i]);
                g.keys[j] = m->keys[i];
                g.vals[j] = m->vals[i];
            }
        g.n = m->n;
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    size_t i = ll__idmap_slot(m, key);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

static inline void ll__idmap_free(ll__idmap *m) {
    free(m->keys);
    free(m->vals);
    *m = (ll__idmap){NULL, NULL, 0, 0};
}

#endif
