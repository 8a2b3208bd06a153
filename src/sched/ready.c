/* ready.c - the ready queue: a ring of ll__ready entries, FIFO, whose
 * capacity is a power of two and doubles when full.  Pushing and popping are
 * inline in internal.h (they are on every step's path); growing is here. */
#include "internal.h"

#include <stdlib.h>

static int ring_grow(ll__ring *r) {
    size_t cap = r->cap ? r->cap * 2 : 256;
    ll__ready *buf = malloc(cap * sizeof *buf);
    if (!buf)
        return -1;
    /* Unwrap the old contents so that order is kept. */
    for (size_t i = 0; i < r->len; i++)
        buf[i] = r->buf[(r->head + i) & (r->cap - 1)];
    free(r->buf);
    r->buf = buf;
    r->cap = cap;
    r->head = 0;
    return 0;
}

void ll__ready_grow(ll_loop *loop) {
    if (ring_grow(&loop->ready) != 0) {
        fputs("looplab: out of memory growing the ready queue\n", stderr);
        abort();
    }
}
