/* grow.h - the one way an array grows (as Lua's luaM_growvector): its
 * capacity doubles, from a first size, until it holds what is needed, so
 * that appending n elements costs O(n) copies in all.
 *
 *     LL__GROW(t->tasks, t->taskcap, t->ntasks + 1, 64, return -1);
 *
 * makes room for t->ntasks + 1 elements of t->tasks or runs the last
 * argument (a statement: return, goto, a flag) when memory ran out, the array
 * and its capacity then untouched.  New elements are not initialised. */
#ifndef LL_CORE_GROW_H
#define LL_CORE_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* The array p of `cap` elements of `elem` bytes, reallocated to hold at
 * least `need` (cap, or `first` when cap is 0, doubled until it does), and
 * the new capacity in *newcap; NULL when memory ran out (p is kept). */
static inline void *ll__grow(void *p, size_t cap, size_t need, size_t elem, size_t first,
                             size_t *newcap) {
    size_t c = cap ? cap : first;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return NULL;
        c *= 2;
    }
    if (c > SIZE_MAX / elem)
        return NULL;
    void *q = realloc(p, c * elem);
    if (q)
        *newcap = c;
    return q;
}

#define LL__GROW(arr, cap, need, first, on_fail)                                                   \
    do {                                                                                           \
        if ((size_t)(need) > (size_t)(cap)) {                                                      \
            size_t ll__newcap_;                                                                    \
            void *ll__new_ = ll__grow((arr), (size_t)(cap), (size_t)(need), sizeof *(arr),         \
                                      (first), &ll__newcap_);                                      \
            if (!ll__new_) {                                                                       \
                on_fail;                                                                           \
            }                                                                                      \
            (arr) = ll__new_;                                                                      \
            (cap) = ll__newcap_;                                                                   \
        }                                                                                          \
    } while (0)

#endif
