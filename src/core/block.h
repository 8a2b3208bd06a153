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
 * A block is one or more 2 MiB units (a ring of ready entries, say, could
 * use several).  The thread keeps up to LL__BLOCK_KEEP bytes of them and
 * unmaps them when it ends (or calls ll__block_cache_release). */
#ifndef LL_CORE_BLOCK_H
#define LL_CORE_BLOCK_H

#include <stdbool.h>
#include <stddef.h>

#define LL__BLOCK_SIZE ((size_t)2 << 20)
#define LL__BLOCK_KEEP ((size_t)64 << 20) /* kept per thread at most */

/* `bytes` (a multiple of LL__BLOCK_SIZE) aligned to LL__BLOCK_SIZE, or NULL
 * when it could not be mapped.  *dirty says whether it holds old contents
 * (it came from the cache) or is all zeros (freshly mapped). */
void *ll__block_get(size_t bytes, bool *dirty);
/* Gives a block back to this thread's cache, or unmaps it when the cache
 * would hold more than LL__BLOCK_KEEP bytes. */
void ll__block_put(void *block, size_t bytes);
/* Unmaps every block this thread keeps. */
void ll__block_cache_release(void);

#endif
