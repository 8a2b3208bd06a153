/* block.h - 2 MiB blocks for the loop's slabs (internal).
 *
 * A program with many tasks carves their records from big blocks (task.c).
 * Two things make such a block cheap:
 *   - it is aligned to 2 MiB and marked MADV_HUGEPAGE, so the kernel backs
 *     it with one huge page: one fault and one clear for 2 MiB instead of
 *     512 of each (a fault costs microseconds in a virtual machine);
 *   - a loop that closes gives its blocks back to its thread, and the next
 *     loop of that thread takes them again: a program (or a benchmark) that
 *     runs loop after loop maps its memory once, as the stack pool does for
 *     stacks.  Such a block holds what its last loop left there: whoever
 *     takes it clears what it uses.
 * The thread keeps up to LL__BLOCK_KEEP blocks and unmaps them when it ends
 * (or calls ll__block_cache_release). */
#ifndef LL_CORE_BLOCK_H
#define LL_CORE_BLOCK_H

#include <stdbool.h>
#include <stddef.h>

#define LL__BLOCK_SIZE ((size_t)2 << 20)
#define LL__BLOCK_KEEP 32 /* 64 MiB per thread at most */

/* A block of LL__BLOCK_SIZE bytes, or NULL when none could be mapped.
 * *dirty says whether it holds old contents (else it is all zeros). */
void *ll__block_get(bool *dirty);
/* Gives a block back to this thread's cache, or unmaps it when the cache
 * is full. */
void ll__block_put(void *block);
/* Unmaps every block this thread keeps. */
void ll__block_cache_release(void);

#endif
