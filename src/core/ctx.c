/* ctx.c - the C side of context switching: sanitizer hand-shakes, first
 * entry into a new context, and the ucontext backend.
 *
 * The assembly backends (ctx_x86_64.S, ctx_aarch64.S) provide two symbols:
 *
 *   void ll__ctx_swap(void **save_sp, void *load_sp);
 *       pushes the callee-saved registers, stores the stack pointer through
 *       save_sp, loads load_sp and pops the other context's registers.
 *   void ll__ctx_trampoline(void);
 *       the first "return address" of a fresh context: it passes the ctx
 *       pointer left in a callee-saved register to ll__ctx_start().
 *
 * Floating-point control state (MXCSR, x87 control word, FPCR) is not
 * switched: Looplab's tasks never change it, and leaving it out keeps a
 * switch at a dozen instructions. */
#include "ctx.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(LL_CTX_ASAN)
#include <sanitizer/common_interface_defs.h>
/* The context that switched into the one now running: finish_switch_fiber
 * tells us the bounds of its stack, which it needs when we switch back. */
static _Thread_local ll__ctx *ctx_prev;
#define ASAN_START(from, to, save)                                                                 \
    do {                                                                                           \
        ctx_prev = (from);                                                                         \
        __sanitizer_start_switch_fiber((save), (to)->stack_lo, (to)->stack_size);                  \
    } while (0)
#define ASAN_FINISH(self)                                                                          \
    __sanitizer_finish_switch_fiber((self) ? (self)->asan_fake_stack : NULL, &ctx_prev->stack_lo,  \
                                    &ctx_prev->stack_size)
#else
#define ASAN_START(from, to, save) ((void)(from), (void)(to), (void)(save))
#define ASAN_FINISH(self) ((void)(self))
#endif

#if defined(LL_CTX_TSAN)
#include <sanitizer/tsan_interface.h>
/* ThreadSanitizer keeps one shadow stack and one clock per fiber; without
 * them every task on a thread would look like one long, tangled function.
 * A switch synchronises the two fibers (they take turns on one thread).
 * A finished context's fiber can only be destroyed from another one: the
 * context that lands after a final switch does it. */
static _Thread_local void *tsan_dead;
static void tsan_switch(ll__ctx *from, ll__ctx *to, bool final) {
    void *self = __tsan_get_current_fiber();
    if (from)
        from->tsan_fiber = final ? NULL : self;
    if (final)
        tsan_dead = self;
    if (!to->tsan_fiber)
        to->tsan_fiber = __tsan_create_fiber(0);
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
}
static void tsan_landed(void) {
    if (tsan_dead) {
        __tsan_destroy_fiber(tsan_dead);
        tsan_dead = NULL;
    }
}
#define TSAN_START(from, to, final) tsan_switch((from), (to), (final))
#define TSAN_FINISH() tsan_landed()
#else
#define TSAN_START(from, to, final) ((void)(from), (void)(to), (void)(final))
#define TSAN_FINISH() ((void)0)
#endif

/* Runs once on a new context's stack, then never returns. */
void ll__ctx_start(ll__ctx *ctx);
void ll__ctx_start(ll__ctx *ctx) {
    ASAN_FINISH((ll__ctx *)NULL);
    TSAN_FINISH();
    ctx->entry(ctx->entry_arg);
    abort(); /* entry() must leave with ll__ctx_switch_final() */
}

#if defined(LL_CTX_UCONTEXT)

/* makecontext() passes only int arguments: the pointer travels in halves. */
static void uc_start(unsigned hi, unsigned lo) {
    uintptr_t p = ((uintptr_t)hi << 16 << 16) | (uintptr_t)lo;
    ll__ctx_start((ll__ctx *)p);
}

void ll__ctx_make(ll__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg) {
    memset(ctx, 0, sizeof *ctx);
    ctx->stack_lo = stack_lo;
    ctx->stack_size = size;
    ctx->entry = entry;
    ctx->entry_arg = arg;
    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = stack_lo;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    uintptr_t p = (uintptr_t)ctx;
    makecontext(&ctx->uc, (void (*)(void))uc_start, 2, (unsigned)(p >> 16 >> 16),
                (unsigned)(p & 0xffffffffu));
}

void ll__ctx_switch(ll__ctx *from, ll__ctx *to) {
    TSAN_START(from, to, false);
    ASAN_START(from, to, &from->asan_fake_stack);
    swapcontext(&from->uc, &to->uc);
    ASAN_FINISH(from);
    TSAN_FINISH();
}

void ll__ctx_switch_final(ll__ctx *from, ll__ctx *to) {
    TSAN_START(from, to, true);
    ASAN_START(from, to, (void **)NULL);
    setcontext(&to->uc);
    abort();
}

void ll__ctx_make_flat(ll__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *),
                       void *arg) {
    ll__ctx_make(ctx, stack_lo, size, entry, arg);
}

const char *ll__ctx_backend(void) {
    return "ucontext";
}

#if LL_CTX_CAN_COPY
void *ll__ctx_saved_sp(const ll__ctx *ctx) {
#if defined(__x86_64__)
    return (void *)ctx->uc.uc_mcontext.gregs[REG_RSP]; /* just above the return address */
#else
    return (void *)ctx->uc.uc_mcontext.sp;
#endif
}
#endif

#else /* hand-written assembly */

#if defined(LL_CTX_ASAN) || defined(LL_CTX_TSAN)
void ll__ctx_swap(void **save_sp, void *load_sp); /* ctx.h declares it otherwise */
#endif
/* Code, but declared as bytes: ISO C has no portable cast from a function
 * pointer to the void * slot it is stored in. */
extern char ll__ctx_trampoline[];

static void ctx_make(ll__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg,
                     bool colour) {
    memset(ctx, 0, sizeof *ctx);
    ctx->stack_lo = stack_lo;
    ctx->stack_size = size;
    ctx->entry = entry;
    ctx->entry_arg = arg;
    uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
    /* Cache colouring: stacks are page-aligned and equally spaced, so every
     * task's hot frames would sit at the same offset in their page and fight
     * for the same few cache sets.  Start each one 0-31 cache lines lower,
     * picked from its address (the same stack always gets the same colour),
     * which keeps the frames of a sleeping task within its top page. */
    if (colour && size >= 16384) {
        uintptr_t page = (uintptr_t)stack_lo >> 12;
        top -= (uintptr_t)((uint32_t)(page * 0x9E3779B1u) >> 27) * 64;
    }
    void **sp;
#if defined(__x86_64__)
    /* Frame popped by ll__ctx_swap: r15 r14 r13 r12 rbx rbp, then the return
     * address.  After `ret` the stack pointer is `top`, 16-byte aligned, so
     * the trampoline's `call` leaves it as the ABI wants at function entry. */
    sp = (void **)top - 7;
    memset(sp, 0, 7 * sizeof *sp);
    sp[3] = ctx;                /* r12: the ctx for ll__ctx_start */
    sp[6] = ll__ctx_trampoline; /* return address */
#elif defined(__aarch64__)
    /* Frame popped by ll__ctx_swap: x19..x28, x29, x30, d8..d15 (160 bytes). */
    sp = (void **)(top - 160);
    memset(sp, 0, 160);
    sp[0] = ctx;                 /* x19: the ctx for ll__ctx_start */
    sp[11] = ll__ctx_trampoline; /* x30: where `ret` goes */
#else
#error "no assembly context switch for this CPU: configure with -Dctx=ucontext"
#endif
    ctx->sp = sp;
}

void ll__ctx_make(ll__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg) {
    ctx_make(ctx, stack_lo, size, entry, arg, true);
}

void ll__ctx_make_flat(ll__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *),
                       void *arg) {
    ctx_make(ctx, stack_lo, size, entry, arg, false);
}

#if defined(LL_CTX_ASAN) || defined(LL_CTX_TSAN)
void ll__ctx_switch(ll__ctx *from, ll__ctx *to) {
    TSAN_START(from, to, false);
    ASAN_START(from, to, &from->asan_fake_stack);
    ll__ctx_swap(&from->sp, to->sp);
    ASAN_FINISH(from);
    TSAN_FINISH();
}
#endif

void ll__ctx_switch_final(ll__ctx *from, ll__ctx *to) {
    TSAN_START(from, to, true);
    ASAN_START(from, to, (void **)NULL);
    ll__ctx_swap(&from->sp, to->sp);
    abort();
}

const char *ll__ctx_backend(void) {
#if defined(__x86_64__)
    return "asm-x86_64";
#else
    return "asm-aarch64";
#endif
}

#endif
