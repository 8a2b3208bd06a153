/* block.c - 2 MiB blocks for the loop's slabs.  See block.h. */
#include "block.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
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
enum { CACHE_SLOTS = LL__BLOCK_KEEP / LL__BLOCK_SIZE };
typedef struct block_cache {
    void *blocks[CACHE_SLOTS];
    size_t sizes[CACHE_SLOTS];
    size_t n;     /* blocks kept */
    size_t bytes; /* their total size */
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
 * the kernel can back it with huge pages. */
static void *block_map(size_t bytes) {
    size_t a = LL__BLOCK_SIZE;
    char *m = mmap(NULL, bytes + a, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    char *b = (char *)(((uintptr_t)m + a - 1) & ~(uintptr_t)(a - 1));
    if (b > m)
        munmap(m, (size_t)(b - m));
    if (b + bytes < m + bytes + a)
        munmap(b + bytes, (size_t)(m + bytes + a - (b + bytes)));
#if defined(MADV_HUGEPAGE)
    madvise(b, bytes, MADV_HUGEPAGE);
#endif
    return b;
}

void *ll__block_get(size_t bytes, bool *dirty) {
    for (size_t i = cache.n; i-- > 0;) {
        if (cache.sizes[i] != bytes)
            continue;
        void *b = cache.blocks[i];
        cache.n--;
        memmove(&cache.blocks[i], &cache.blocks[i + 1], (cache.n - i) * sizeof *cache.blocks);
        memmove(&cache.sizes[i], &cache.sizes[i + 1], (cache.n - i) * sizeof *cache.sizes);
        cache.bytes -= bytes;
        ASAN_UNPOISON_MEMORY_REGION(b, bytes);
        VALGRIND_MAKE_MEM_UNDEFINED(b, bytes);
        *dirty = true;
        return b;
    }
    *dirty = false;
    return block_map(bytes);
}

void ll__block_put(void *block, size_t bytes) {
    if (!block)
        return;
    if (cache.bytes + bytes > LL__BLOCK_KEEP || cache.n == CACHE_SLOTS) {
        munmap(block, bytes);
        return;
    }
    if (cache.n == 0) {
        /* The first block kept: make sure the thread's end unmaps them. */
        pthread_once(&cache_once, cache_setup);
        pthread_setspecific(cache_key, &cache);
    }
    /* What is left of a closed loop's tasks is out of bounds until the
     * block is taken again: a pointer kept to one of them is caught. */
    ASAN_POISON_MEMORY_REGION(block, bytes);
    VALGRIND_MAKE_MEM_NOACCESS(block, bytes);
    cache.blocks[cache.n] = block;
    cache.sizes[cache.n++] = bytes;
    cache.bytes += bytes;
}

void ll__block_cache_release(void) {
    while (cache.n) {
        cache.n--;
        ASAN_UNPOISON_MEMORY_REGION(cache.blocks[cache.n], cache.sizes[cache.n]);
        munmap(cache.blocks[cache.n], cache.sizes[cache.n]);
    }
    cache.bytes = 0;
}
