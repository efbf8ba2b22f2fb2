/* stack_switch_x86_64.S -- switching between stacks on x86-64 (System V ABI), for tasks
 * (task.c).
 *
 *   void *kiln_stack_switch(void **from, void *to, void *arg)
 *     pushes the callee-saved registers (rbp, rbx, r12-r15) and the return address on the
 *     current stack, stores the stack pointer in *from, loads `to` and pops the registers
 *     saved there: the switch (or the frame kiln_stack_prepare laid out) that `to` came from
 *     continues, and its kiln_stack_switch returns arg. Everything else is caller-saved in
 *     this ABI, so a switch is 7 stores, 7 loads and one indirect return. The x87 control
 *     word and MXCSR are not switched: they are thread state that wasm never changes (a host
 *     function that changes them changes them for the thread).
 *   void *kiln_stack_prepare(void *top, void (*fn)(void *))
 *     lays out, below the 16-byte aligned top, the frame of a switch whose return address is
 *     kiln_stack_entry with r12 = fn, rbp = 0; returns the stack pointer to switch to.
 *   kiln_stack_entry (never called): fn(arg) with rsp 16-byte aligned at the call; its CFI
 *     marks the return address undefined, so unwinders and debuggers end a task's backtrace
 *     there (and rbp = 0 ends frame-pointer walks). fn never returns; if it did, ud2.
 *
 * The unwind information of kiln_stack_switch stays right across the switch: both stacks
 * hold the same layout, so a debugger stopped inside it sees a proper frame either way.
 */
#if defined(__x86_64__)

    .text

    .globl kiln_stack_switch
    .hidden kiln_stack_switch
    .type kiln_stack_switch, @function
    .p2align 4
kiln_stack_switch:
    .cfi_startproc
    pushq %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq %r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq %r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq %r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    movq %rdx, %rax
    ret
    .cfi_endproc
    .size kiln_stack_switch, .-kiln_stack_switch

    .globl kiln_stack_prepare
    .hidden kiln_stack_prepare
    .type kiln_stack_prepare, @function
    .p2align 4
kiln_stack_prepare:
    .cfi_startproc
    leaq -56(%rdi), %rax
    xorl %ecx, %ecx
    movq %rcx, 0(%rax)      /* r15 */
    movq %rcx, 8(%rax)      /* r14 */
    movq %rcx, 16(%rax)     /* r13 */
    movq %rsi, 24(%rax)     /* r12 = fn */
    movq %rcx, 32(%rax)     /* rbx */
    movq %rcx, 40(%rax)     /* rbp = 0: the end of frame-pointer chains */
    leaq kiln_stack_entry(%rip), %rcx
    movq %rcx, 48(%rax)     /* the return address: rsp = top after it is popped */
    ret
    .cfi_endproc
    .size kiln_stack_prepare, .-kiln_stack_prepare

    .type kiln_stack_entry, @function
    .p2align 4
kiln_stack_entry:
    .cfi_startproc
    .cfi_undefined %rip
    movq %rax, %rdi         /* the switch's arg */
    callq *%r12
    ud2
    .cfi_endproc
    .size kiln_stack_entry, .-kiln_stack_entry

#endif

    .section .note.GNU-stack, "", @progbits
