/* ctx_x86_64.S - context switch for x86-64, System V ABI.  See ctx.c.
 *
 * Only the callee-saved registers need saving: the caller of ll__ctx_swap
 * has already spilled everything else, exactly as for any function call. */
#if defined(__CET__)
#define ENDBR endbr64
#else
#define ENDBR
#endif

    .text

/* void ll__ctx_swap(void **save_sp (rdi), void *load_sp (rsi)) */
    .globl  ll__ctx_swap
    .hidden ll__ctx_swap
    .type   ll__ctx_swap, @function
    .p2align 4
ll__ctx_swap:
    .cfi_startproc
    ENDBR
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   ll__ctx_swap, .-ll__ctx_swap

/* First code a fresh context runs; r12 holds its ll__ctx. */
    .globl  ll__ctx_trampoline
    .hidden ll__ctx_trampoline
    .type   ll__ctx_trampoline, @function
    .p2align 4
ll__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip          /* the bottom of a task's call stack */
    ENDBR
    movq    %r12, %rdi
    call    ll__ctx_start
    ud2
    .cfi_endproc
    .size   ll__ctx_trampoline, .-ll__ctx_trampoline

    .section .note.GNU-stack,"",@progbits
