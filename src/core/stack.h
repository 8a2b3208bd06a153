/* stack.h - task stacks: mmap'd, lazily committed, with a guard page (internal).
 *
 * Every task runs on its own stack.  A stack is an anonymous private mapping
 * whose lowest page is PROT_NONE, so running off the end faults at once
 * instead of silently corrupting a neighbour; pages are committed by the
 * kernel only when first touched, so a 256 KiB stack of a task that sleeps
 * costs one or two pages of RSS.
 *
 * The guard is a guard region (madvise MADV_GUARD_INSTALL, Linux 6.13+),
 * which does not cost a mapping.  On older kernels it is a PROT_NONE page, and
 * Linux limits a process to vm.max_map_count mappings (65530 by default): a
 * stack guarded that way costs two.  Past a budget derived from that limit, stacks
 * are allocated without a guard page but with a canary word at the bottom that
 * the scheduler checks at every switch (ll__stack_canary_ok); the first such
 * stack records a warning.  Finished tasks return their stacks to a pool, so a
 * program that spawns many short tasks maps only a few stacks.
 *
 * Valgrind is told about every stack (VALGRIND_STACK_REGISTER).
 *
 * A SIGSEGV handler on an alternate signal stack turns a fault inside the
 * running task's guard page into a sentence naming the task, its stack size
 * and where it was created, then re-raises the signal so the process still
 * dies of SIGSEGV (a parent sees the true cause). */
#ifndef LL_CORE_STACK_H
#define LL_CORE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ll__stack {
    void *map;       /* start of the whole mapping (guard page included) */
    size_t map_size; /* bytes mapped */
    void *lo;        /* lowest usable address (just above the guard page) */
    size_t size;     /* usable bytes, a multiple of the page size */
    unsigned vg_id;  /* Valgrind's id for the registered stack, or 0 */
    bool guarded;    /* true when a guard page sits below lo */
    bool counted;    /* its guard is a PROT_NONE mapping (costs map count) */
} ll__stack;

typedef struct ll__stack_pool {
    ll__stack *free;       /* stacks kept for reuse */
    size_t nfree;          /* how many are in `free` */
    size_t cap;            /* capacity of `free` */
    size_t keep;           /* keep at most this many for reuse; unmap the rest */
    size_t nguarded;       /* guarded stacks currently mapped (by this pool) */
    bool warned_unguarded; /* the "no more guard pages" warning was given */
} ll__stack_pool;

/* This thread's pool, shared by every loop the thread runs one after the
 * other (so a program that makes many loops, like a benchmark, maps its
 * stacks once).  It keeps up to 1024 stacks and is unmapped when the thread
 * (or the process) exits. */
ll__stack_pool *ll__stack_pool_thread(void);

/* Rounds a requested stack size up to whole pages, at least 16 KiB. */
size_t ll__stack_round(size_t size);

/* For tests: use guard regions or not, and how many PROT_NONE guards the
 * process may have (the old-kernel path). */
void ll__stack_guard_mode(bool regions, long budget);

void ll__stack_pool_init(ll__stack_pool *pool);
/* Unmaps every pooled stack.  Stacks still in use must be freed first. */
void ll__stack_pool_destroy(ll__stack_pool *pool);

/* Gets a stack of at least `size` usable bytes (rounded with
 * ll__stack_round), from the pool when one of the same size is there.
 * Returns 0, or -ENOMEM when no mapping could be made.  *unguarded_first is
 * set true when this is the first stack the pool had to hand out without a
 * guard page (so the caller can record a warning), false otherwise. */
int ll__stack_alloc(ll__stack_pool *pool, size_t size, ll__stack *out, bool *unguarded_first);

/* Returns a stack to the pool (or unmaps it when the pool is full). */
void ll__stack_free(ll__stack_pool *pool, ll__stack *st);

/* A stack kept aside for reuse is out of bounds for AddressSanitizer and
 * Valgrind until it is handed out again (the pool does this for its own;
 * a loop keeping one aside calls them itself). */
extern bool ll__stack_watched; /* ASan build, or running under Valgrind */
void ll__stack_park_watched(const ll__stack *st);
void ll__stack_unpark_watched(const ll__stack *st);
static inline void ll__stack_park(const ll__stack *st) {
    if (ll__stack_watched)
        ll__stack_park_watched(st);
}
static inline void ll__stack_unpark(const ll__stack *st) {
    if (ll__stack_watched)
        ll__stack_unpark_watched(st);
}

/* Copy stack mode: makes [p, p+n) of a stack writable for a copy into it,
 * whatever ASan or Valgrind (which marks what lies below a stack pointer as
 * no-access when the frames there return) thought of it. */
void ll__stack_writable(void *p, size_t n);

/* For unguarded stacks: writes / checks the canary at the bottom.  Guarded
 * stacks always pass. */
void ll__stack_canary_set(const ll__stack *st);
bool ll__stack_canary_ok(const ll__stack *st);

/* What the overflow handler needs to know about the running task.  The
 * scheduler sets ll__overflow_find (once, before the handler is installed)
 * to a function that returns the record of the task running on the calling
 * thread, or NULL: the handler calls it on the faulting thread.  It must be
 * async-signal-safe (the scheduler's reads a thread-local and two fields),
 * and costs a step nothing, where a per-thread pointer would be stored at
 * every switch. */
typedef struct ll__overflow_info {
    const char *task_name; /* e.g. "Task-3" or the name given at creation */
    uint64_t task_id;
    size_t stack_size; /* usable bytes */
    const char *file;  /* creation site */
    int line;
    const void *guard_lo; /* guard page: [guard_lo, guard_hi) */
    const void *guard_hi;
} ll__overflow_info;

extern const ll__overflow_info *(*volatile ll__overflow_find)(void);

/* Called first by the SIGSEGV/SIGBUS handler, with the signal number (the
 * scheduler uses it to write out the trace).  Must be async-signal-safe. */
extern void (*volatile ll__fatal_hook)(int sig);

/* Installs (once per thread; idempotent) the SIGSEGV/SIGBUS handler on an
 * alternate signal stack.  Returns 0 or a negative errno. */
int ll__overflow_install(void);

#endif
