/* ctx_aarch64.S - context switch for AArch64 (AAPCS64).  See ctx.c.
 *
 * Callee-saved: x19-x28, the frame pointer x29, the link register x30 and
 * the low halves of v8-v15 (d8-d15). */
    .text

/* void ll__ctx_swap(void **save_sp (x0), void *load_sp (x1)) */
    .globl  ll__ctx_swap
    .hidden ll__ctx_swap
    .type   ll__ctx_swap, %function
    .p2align 4
ll__ctx_swap:
    .cfi_startproc
    sub     sp, sp, #160
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8,  d9,  [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mov     x9, sp
    str     x9, [x0]
    mov     sp, x1
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8,  d9,  [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #160
    ret
    .cfi_endproc
    .size   ll__ctx_swap, .-ll__ctx_swap

/* First code a fresh context runs; x19 holds its ll__ctx. */
    .globl  ll__ctx_trampoline
    .hidden ll__ctx_trampoline
    .type   ll__ctx_trampoline, %function
    .p2align 4
ll__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, x19
    bl      ll__ctx_start
    brk     #0
    .cfi_endproc
    .size   ll__ctx_trampoline, .-ll__ctx_trampoline

    .section .note.GNU-stack,"",%progbits
