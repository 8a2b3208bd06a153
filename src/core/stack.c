/* stack.c - task stacks and the stack-overflow report.  See stack.h. */
#include "stack.h"
#include "grow.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(LL_HAVE_VALGRIND)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#define VALGRIND_MAKE_MEM_NOACCESS(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#endif

#if defined(__SANITIZE_ADDRESS__)
#define LL_STACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LL_STACK_ASAN 1
#endif
#endif
#if defined(LL_STACK_ASAN)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

/* A stack kept for reuse is out of bounds until it is handed out again:
 * under ASan or Valgrind, anything that still points into a finished task's
 * frames (a callback left in a queue, say) is caught at its first use. */
static void stack_park(const ll__stack *st) {
    ASAN_POISON_MEMORY_REGION(st->lo, st->size);
    VALGRIND_MAKE_MEM_NOACCESS(st->lo, st->size);
}
static void stack_unpark(const ll__stack *st) {
    ASAN_UNPOISON_MEMORY_REGION(st->lo, st->size);
    VALGRIND_MAKE_MEM_UNDEFINED(st->lo, st->size);
}

#if defined(LL_STACK_ASAN)
bool ll__stack_watched = true;
#else
bool ll__stack_watched; /* set when the first pool is made under Valgrind */
#endif

void ll__stack_park_watched(const ll__stack *st) {
    stack_park(st);
}
void ll__stack_unpark_watched(const ll__stack *st) {
    stack_unpark(st);
}

void ll__stack_writable(void *p, size_t n) {
    ASAN_UNPOISON_MEMORY_REGION(p, n);
    VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}

#define CANARY_BYTES 64

/* Linux 6.13+: a guard region inside a mapping, which faults like
 * PROT_NONE but does not split the mapping in two, so it costs none of the
 * vm.max_map_count budget.  Older kernels answer EINVAL and get mprotect. */
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
static atomic_int light_guards = 1; /* cleared at the first EINVAL */
static atomic_long guard_budget = -1;

void ll__stack_guard_mode(bool regions, long budget) {
    atomic_store(&light_guards, regions);
    atomic_store(&guard_budget, budget);
}

const ll__overflow_info *(*volatile ll__overflow_find)(void);

static size_t page_size(void) {
    static size_t ps;
    if (!ps) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
    }
    return ps;
}

size_t ll__stack_round(size_t size) {
    size_t ps = page_size(); /* a power of two */
    if (size < 16 * 1024)
        size = 16 * 1024;
    return (size + ps - 1) & ~(ps - 1);
}

/* Guarded stacks cost two memory mappings each (the guard page splits one
 * mapping in two).  Every loop in the process shares one budget, half of
 * what vm.max_map_count leaves after a reserve for malloc, libraries and
 * the program's own mappings. */
static atomic_long guarded_live;

static long read_guard_budget(void) {
    long budget = atomic_load(&guard_budget);
    if (budget >= 0)
        return budget;
    long max = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 65530;
        fclose(f);
    }
    budget = max > 16384 ? (max - 8192) / 2 : max / 4;
    const char *env = getenv("LOOPLAB_GUARD_PAGES");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 0 && v < budget)
            budget = v;
    }
    atomic_store(&guard_budget, budget);
    return budget;
}

void ll__stack_pool_init(ll__stack_pool *pool) {
    memset(pool, 0, sizeof *pool);
    pool->keep = 64;
}

static _Thread_local ll__stack_pool thread_pool;
static _Thread_local bool thread_pool_ready;
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_at_thread_exit(void *pool) {
    ll__stack_pool_destroy(pool);
}

/* exit() does not run thread-exit destructors for the thread calling it. */
static void pool_at_exit(void) {
    if (thread_pool_ready) {
        ll__stack_pool_destroy(&thread_pool);
        thread_pool_ready = false;
    }
}

static void pool_setup(void) {
    if (RUNNING_ON_VALGRIND)
        ll__stack_watched = true;
    pthread_key_create(&pool_key, pool_at_thread_exit);
    atexit(pool_at_exit);
}

ll__stack_pool *ll__stack_pool_thread(void) {
    if (!thread_pool_ready) {
        pthread_once(&pool_once, pool_setup);
        ll__stack_pool_init(&thread_pool);
        thread_pool.keep = 1024;
        thread_pool_ready = true;
        pthread_setspecific(pool_key, &thread_pool);
    }
    return &thread_pool;
}

static void stack_unmap(ll__stack *st) {
    stack_unpark(st); /* the address range may be mapped again, for anything */
    if (st->vg_id)
        VALGRIND_STACK_DEREGISTER(st->vg_id);
    if (st->counted)
        atomic_fetch_sub(&guarded_live, 1);
    munmap(st->map, st->map_size);
    memset(st, 0, sizeof *st);
}

void ll__stack_pool_destroy(ll__stack_pool *pool) {
    for (size_t i = 0; i < pool->nfree; i++)
        stack_unmap(&pool->free[i]);
    free(pool->free);
    memset(pool, 0, sizeof *pool);
}

int ll__stack_alloc(ll__stack_pool *pool, size_t size, ll__stack *out, bool *unguarded_first) {
    *unguarded_first = false;
    size = ll__stack_round(size);
    /* Most recently freed first: its pages and lines are the likeliest to be
     * warm (a program spawning short tasks runs them all on one stack). */
    if (pool->nfree && pool->free[pool->nfree - 1].size == size) {
        *out = pool->free[--pool->nfree];
        stack_unpark(out);
        return 0;
    }
    for (size_t i = pool->nfree; i-- > 0;) {
        if (pool->free[i].size == size) {
            *out = pool->free[i];
            pool->free[i] = pool->free[--pool->nfree];
            stack_unpark(out);
            return 0;
        }
    }
    size_t ps = page_size();
    void *map = mmap(NULL, size + ps, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return -ENOMEM;
    size_t map_size = size + ps;
    bool guard = false, counted = false;
    if (atomic_load(&light_guards)) {
        if (madvise(map, ps, MADV_GUARD_INSTALL) == 0)
            guard = true;
        else if (errno == EINVAL)
            atomic_store(&light_guards, 0);
    }
    if (!guard) {
        /* A PROT_NONE page: two mappings, within the process's budget. */
        if (atomic_fetch_add(&guarded_live, 1) < read_guard_budget() &&
            mprotect(map, ps, PROT_NONE) == 0)
            guard = counted = true;
        else
            atomic_fetch_sub(&guarded_live, 1);
    }
    if (!guard) {
        /* Out of mappings: keep the stack, without its guard page. */
        munmap(map, ps);
        map = (char *)map + ps;
        map_size -= ps;
    }
    out->map = map;
    out->map_size = map_size;
    out->lo = (char *)map + (guard ? ps : 0);
    out->size = size;
    out->guarded = guard;
    out->counted = counted && guard;
    out->vg_id = VALGRIND_STACK_REGISTER(out->lo, (char *)out->lo + size);
    if (guard)
        pool->nguarded++;
    if (!guard && !pool->warned_unguarded) {
        pool->warned_unguarded = true;
        *unguarded_first = true;
    }
    return 0;
}

void ll__stack_free(ll__stack_pool *pool, ll__stack *st) {
    if (!st->map)
        return;
    if (pool->nfree < pool->keep) {
        LL__GROW(pool->free, pool->cap, pool->nfree + 1, 16, stack_unmap(st); return );
        stack_park(st);
        pool->free[pool->nfree++] = *st;
        memset(st, 0, sizeof *st);
        return;
    }
    if (st->guarded && pool->nguarded)
        pool->nguarded--;
    stack_unmap(st);
}

/* The canary of an unguarded stack is its lowest 64 bytes, all zero.  A fresh
 * mapping reads as zero without the kernel committing a page for it (reads
 * of untouched anonymous memory map the shared zero page), so the check costs
 * no memory; an overflow that reaches the bottom leaves non-zero bytes. */
void ll__stack_canary_set(const ll__stack *st) {
    if (st->guarded)
        return;
    if (!ll__stack_canary_ok(st))
        memset(st->lo, 0, CANARY_BYTES);
}

bool ll__stack_canary_ok(const ll__stack *st) {
    if (st->guarded)
        return true;
    const unsigned long *w = st->lo;
    unsigned long acc = 0;
    for (size_t i = 0; i < CANARY_BYTES / sizeof *w; i++)
        acc |= w[i];
    return acc == 0;
}

/* ---- the overflow report ------------------------------------------------ */

static struct sigaction old_segv, old_bus;
static atomic_int handler_installed;

/* Only async-signal-safe calls from here on: write(2), no stdio. */
static size_t put_str(char *buf, size_t n, size_t cap, const char *s) {
    while (*s && n + 1 < cap)
        buf[n++] = *s++;
    return n;
}

static size_t put_uint(char *buf, size_t n, size_t cap, unsigned long long v) {
    char tmp[24];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k && n + 1 < cap)
        buf[n++] = tmp[--k];
    return n;
}

void (*volatile ll__fatal_hook)(int sig);

static void on_fault(int sig, siginfo_t *si, void *uctx) {
    const ll__overflow_info *(*find)(void) = ll__overflow_find;
    const ll__overflow_info *o = find ? find() : NULL;
    const char *addr = si ? (const char *)si->si_addr : NULL;
    /* A fault in the guard page, or a little below it (a big frame can
     * jump past 4 KiB at once), of the task that is running. */
    if (o && addr && addr < (const char *)o->guard_hi &&
        addr + 64 * 1024 >= (const char *)o->guard_lo) {
        char msg[512];
        size_t n = 0;
        n = put_str(msg, n, sizeof msg, "looplab: stack overflow in task '");
        n = put_str(msg, n, sizeof msg, o->task_name ? o->task_name : "?");
        n = put_str(msg, n, sizeof msg, "' (id ");
        n = put_uint(msg, n, sizeof msg, o->task_id);
        n = put_str(msg, n, sizeof msg, "): it ran past the end of its ");
        n = put_uint(msg, n, sizeof msg, o->stack_size / 1024);
        n = put_str(msg, n, sizeof msg, " KiB stack; the task was created at ");
        n = put_str(msg, n, sizeof msg, o->file ? o->file : "?");
        n = put_str(msg, n, sizeof msg, ":");
        n = put_uint(msg, n, sizeof msg, (unsigned long long)(o->line > 0 ? o->line : 0));
        n = put_str(msg, n, sizeof msg,
                    ".\nlooplab: give it a bigger stack (ll_task_opts.stack_size or "
                    "LOOPLAB_STACK_SIZE) or make its recursion shallower.\n");
        ssize_t w = write(2, msg, n);
        (void)w;
        if (ll__fatal_hook)
            ll__fatal_hook(sig);
        /* Die of the real signal so a parent sees what happened. */
        signal(sig, SIG_DFL);
        return;
    }
    if (ll__fatal_hook)
        ll__fatal_hook(sig);
    /* Not ours: give the fault back to whoever handled it before us (the
     * default action, or a sanitizer's report) by re-faulting under it. */
    struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, uctx);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    sigaction(sig, old, NULL);
}

int ll__overflow_install(void) {
    /* Each thread that runs tasks needs its own alternate signal stack: the
     * handler cannot run on the stack that just overflowed. */
    static _Thread_local void *alt;
    if (!alt) {
        size_t sz = 64 * 1024;
        void *m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return -errno;
        stack_t ss = {.ss_sp = m, .ss_size = sz, .ss_flags = 0};
        stack_t cur;
        /* Keep a sanitizer's alternate stack if one is already set. */
        if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= sz) {
            munmap(m, sz);
            alt = cur.ss_sp;
        } else if (sigaltstack(&ss, NULL) != 0) {
            int e = errno;
            munmap(m, sz);
            return -e;
        } else {
            alt = m;
        }
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&handler_installed, &expected, 1))
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &old_segv) != 0 || sigaction(SIGBUS, &sa, &old_bus) != 0)
        return -errno;
    return 0;
}
