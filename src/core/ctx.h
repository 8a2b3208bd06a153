/* ctx.h - stackful context switching for Looplab's tasks (internal).
 *
 * A context is a saved machine state (callee-saved registers and a stack
 * pointer).  The scheduler runs on the thread's own stack and switches into a
 * task's context to run one step of it; the task switches back when it awaits
 * something that is not ready.  Switching never makes a system call and never
 * allocates: that is what keeps a task step near 10 ns.
 *
 * Backends, chosen at configure time (meson option `ctx`):
 *   - asm:      hand-written routines for x86-64 (System V) and AArch64.
 *   - ucontext: portable getcontext/makecontext/swapcontext (slower: glibc's
 *               swapcontext saves the signal mask with a system call).
 *
 * AddressSanitizer and ThreadSanitizer are told about every switch and
 * Valgrind about every stack (see stack.h), so all three stay quiet about
 * stack switching. */
#ifndef LL_CORE_CTX_H
#define LL_CORE_CTX_H

#include <stddef.h>

#if defined(LL_CTX_UCONTEXT)
#include <ucontext.h>
#endif

typedef struct ll__ctx {
    void *sp; /* asm backends: stack pointer saved at switch-out */
#if defined(LL_CTX_UCONTEXT)
    ucontext_t uc; /* ucontext backend: the whole saved context */
#endif
    void *asan_fake_stack; /* ASan: fake-stack handle saved while switched out */
    void *tsan_fiber;      /* TSan: this context's fiber, made at its first
                              switch-in (the thread's own one when it is
                              first switched away from) */
    const void *stack_lo;  /* lowest usable address of this context's stack;
                              NULL for the thread's own stack until first
                              learned from ASan */
    size_t stack_size;     /* usable bytes of this context's stack */
    void (*entry)(void *); /* what the context runs first (ll__ctx_make) */
    void *entry_arg;
} ll__ctx;

/* Prepares `ctx` so that the first ll__ctx_switch() into it calls
 * entry(arg) on the stack [stack_lo, stack_lo + size).  `entry` must never
 * return: it ends by calling ll__ctx_switch_final() away from itself. */
void ll__ctx_make(ll__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *arg), void *arg);
/* The same, with the first frame right at the top of the stack: no cache
 * colouring (a copied stack pays for every byte above its frames). */
void ll__ctx_make_flat(ll__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *arg),
                       void *arg);
/* Copy stack mode (docs/architecture.md) needs the stack pointer a
 * suspended context was left at: below it nothing is live.  The asm
 * backends keep it in ctx->sp; swapcontext() keeps it in the machine state
 * of the ucontext_t, where glibc's x86-64 and AArch64 layouts are known. */
#if !defined(LL_CTX_UCONTEXT)
#define LL_CTX_CAN_COPY 1
static inline void *ll__ctx_saved_sp(const ll__ctx *ctx) {
    return ctx->sp;
}
#elif defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define LL_CTX_CAN_COPY 1
void *ll__ctx_saved_sp(const ll__ctx *ctx);
#else
#define LL_CTX_CAN_COPY 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define LL_CTX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LL_CTX_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define LL_CTX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LL_CTX_TSAN 1
#endif
#endif

/* Saves the running state into `from` and resumes `to`.  Returns when some
 * other context switches back into `from`. */
#if !defined(LL_CTX_UCONTEXT) && !defined(LL_CTX_ASAN) && !defined(LL_CTX_TSAN)
/* The assembly routine (ctx_*.S), called straight from the scheduler: with
 * nothing to tell a sanitizer, a wrapper would only add a call and a return
 * the CPU's return predictor gets wrong after every switch. */
void ll__ctx_swap(void **save_sp, void *load_sp);
static inline void ll__ctx_switch(ll__ctx *from, ll__ctx *to) {
    ll__ctx_swap(&from->sp, to->sp);
}
#else
void ll__ctx_switch(ll__ctx *from, ll__ctx *to);
#endif

/* Like ll__ctx_switch(), for a context that will never be resumed again (a
 * finished task): lets ASan release its fake stack.  Does not return. */
void ll__ctx_switch_final(ll__ctx *from, ll__ctx *to);

/* The name of the backend compiled in: "asm-x86_64", "asm-aarch64" or
 * "ucontext". */
const char *ll__ctx_backend(void);

#endif
