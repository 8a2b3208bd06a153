/* block.c - 2 MiB blocks for the loop's slabs.  See block.h. */
#include "block.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#if defined(LL_HAVE_VALGRIND)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_NOACCESS(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#endif

#if defined(__SANITIZE_ADDRESS__)
#define LL_BLOCK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LL_BLOCK_ASAN 1
#endif
#endif
#if defined(LL_BLOCK_ASAN)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

/* This thread's blocks, most recently given back last (taken first: the
 * likeliest to be in the caches still). */
typedef struct block_cache {
    void *blocks[LL__BLOCK_KEEP];
    size_t n;
} block_cache;

static _Thread_local block_cache cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void at_thread_exit(void *unused) {
    (void)unused;
    ll__block_cache_release();
}

static void cache_setup(void) {
    pthread_key_create(&cache_key, at_thread_exit);
}

/* Mapped 2 MiB too long, and the ends trimmed: aligned to 2 MiB, so that
 * the kernel can back it with a huge page. */
static void *block_map(void) {
    size_t n = LL__BLOCK_SIZE;
    char *m = mmap(NULL, 2 * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    char *b = (char *)(((uintptr_t)m + n - 1) & ~(uintptr_t)(n - 1));
    if (b > m)
        munmap(m, (size_t)(b - m));
    if (b + n < m + 2 * n)
        munmap(b + n, (size_t)(m + 2 * n - (b + n)));
#if defined(MADV_HUGEPAGE)
    madvise(b, n, MADV_HUGEPAGE);
#endif
    return b;
}

void *ll__block_get(bool *dirty) {
    if (cache.n) {
        void *b = cache.blocks[--cache.n];
        ASAN_UNPOISON_MEMORY_REGION(b, LL__BLOCK_SIZE);
        VALGRIND_MAKE_MEM_UNDEFINED(b, LL__BLOCK_SIZE);
        *dirty = true;
        return b;
    }
    *dirty = false;
    return block_map();
}

void ll__block_put(void *block) {
    if (!block)
        return;
    if (cache.n == LL__BLOCK_KEEP) {
        munmap(block, LL__BLOCK_SIZE);
        return;
    }
    if (cache.n == 0) {
        /* The first block kept: make sure the thread's end unmaps them. */
        pthread_once(&cache_once, cache_setup);
        pthread_setspecific(cache_key, &cache);
    }
    /* What is left of a closed loop's tasks is out of bounds until the
     * block is taken again: a pointer kept to one of them is caught. */
    ASAN_POISON_MEMORY_REGION(block, LL__BLOCK_SIZE);
    VALGRIND_MAKE_MEM_NOACCESS(block, LL__BLOCK_SIZE);
    cache.blocks[cache.n++] = block;
}

void ll__block_cache_release(void) {
    while (cache.n) {
        void *b = cache.blocks[--cache.n];
        ASAN_UNPOISON_MEMORY_REGION(b, LL__BLOCK_SIZE);
        munmap(b, LL__BLOCK_SIZE);
    }
}
