/* stack_switch_aarch64.S -- switching between stacks on AArch64 (AAPCS64), for tasks
 * (task.c). The interface is stack_switch_x86_64.S's:
 *
 *   void *kiln_stack_switch(void **from, void *to, void *arg)
 *     saves x19-x28, the frame pointer x29, the link register x30 and the low halves of
 *     v8-v15 (d8-d15: AAPCS64 makes only those callee-saved) in a 160-byte frame on the
 *     current stack, stores sp in *from, loads sp from `to`, restores the frame found there
 *     and returns arg through x30. FPCR/FPSR are not switched (thread state wasm leaves
 *     alone).
 *   void *kiln_stack_prepare(void *top, void (*fn)(void *))
 *     a zeroed frame below the 16-byte aligned top with x19 = fn, x30 = kiln_stack_entry.
 *   kiln_stack_entry: blr x19 with x0 = arg, sp = top; x30 undefined in its CFI, x29 = 0,
 *     so backtraces end there; brk if fn returns.
 */
#if defined(__aarch64__)

    .text

    .globl kiln_stack_switch
    .hidden kiln_stack_switch
    .type kiln_stack_switch, %function
    .p2align 4
kiln_stack_switch:
    .cfi_startproc
    sub sp, sp, #160
    .cfi_def_cfa_offset 160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    .cfi_offset x19, -160
    .cfi_offset x20, -152
    .cfi_offset x21, -144
    .cfi_offset x22, -136
    .cfi_offset x23, -128
    .cfi_offset x24, -120
    .cfi_offset x25, -112
    .cfi_offset x26, -104
    .cfi_offset x27, -96
    .cfi_offset x28, -88
    .cfi_offset x29, -80
    .cfi_offset x30, -72
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    .cfi_def_cfa_offset 0
    .cfi_restore x19
    .cfi_restore x20
    .cfi_restore x21
    .cfi_restore x22
    .cfi_restore x23
    .cfi_restore x24
    .cfi_restore x25
    .cfi_restore x26
    .cfi_restore x27
    .cfi_restore x28
    .cfi_restore x29
    .cfi_restore x30
    mov x0, x2
    ret
    .cfi_endproc
    .size kiln_stack_switch, .-kiln_stack_switch

    .globl kiln_stack_prepare
    .hidden kiln_stack_prepare
    .type kiln_stack_prepare, %function
    .p2align 4
kiln_stack_prepare:
    .cfi_startproc
    sub x0, x0, #160
    stp xzr, xzr, [x0, #0]
    stp xzr, xzr, [x0, #16]
    stp xzr, xzr, [x0, #32]
    stp xzr, xzr, [x0, #48]
    stp xzr, xzr, [x0, #64]
    stp xzr, xzr, [x0, #96]
    stp xzr, xzr, [x0, #112]
    stp xzr, xzr, [x0, #128]
    stp xzr, xzr, [x0, #144]
    str x1, [x0, #0]           /* x19 = fn */
    adr x9, kiln_stack_entry
    stp xzr, x9, [x0, #80]     /* x29 = 0, x30 = kiln_stack_entry */
    ret
    .cfi_endproc
    .size kiln_stack_prepare, .-kiln_stack_prepare

    .type kiln_stack_entry, %function
    .p2align 4
kiln_stack_entry:
    .cfi_startproc
    .cfi_undefined x30
    blr x19                    /* x0 = the switch's arg */
    brk #0
    .cfi_endproc
    .size kiln_stack_entry, .-kiln_stack_entry

#endif

    .section .note.GNU-stack, "", %progbits
