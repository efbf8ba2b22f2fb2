/* stack_switch_riscv64.S -- switching between stacks on RV64 (LP64/LP64D), for tasks
 * (task.c). The interface is stack_switch_x86_64.S's:
 *
 *   void *kiln_stack_switch(void **from, void *to, void *arg)
 *     saves ra, s0-s11 and, with the D extension (__riscv_flen >= 64), fs0-fs11 in a frame
 *     on the current stack (112 or 208 bytes, a multiple of 16), stores sp in *from, loads
 *     sp from `to`, restores the frame found there and returns arg. fcsr is not switched.
 *   void *kiln_stack_prepare(void *top, void (*fn)(void *))
 *     a zeroed frame below the 16-byte aligned top with s1 = fn, ra = kiln_stack_entry.
 *   kiln_stack_entry: jalr s1 with a0 = arg, sp = top, s0 (fp) = 0; ra undefined in its
 *     CFI, so backtraces end there; ebreak if fn returns.
 */
#if defined(__riscv) && __riscv_xlen == 64

#if defined(__riscv_flen) && __riscv_flen >= 64
#define FRAME 208
#else
#define FRAME 112
#endif

    .text

    .globl kiln_stack_switch
    .hidden kiln_stack_switch
    .type kiln_stack_switch, @function
    .p2align 2
kiln_stack_switch:
    .cfi_startproc
    addi sp, sp, -FRAME
    .cfi_def_cfa_offset FRAME
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd s1, 16(sp)
    sd s2, 24(sp)
    sd s3, 32(sp)
    sd s4, 40(sp)
    sd s5, 48(sp)
    sd s6, 56(sp)
    sd s7, 64(sp)
    sd s8, 72(sp)
    sd s9, 80(sp)
    sd s10, 88(sp)
    sd s11, 96(sp)
    .cfi_offset ra, -FRAME
    .cfi_offset s0, -FRAME + 8
    .cfi_offset s1, -FRAME + 16
#if FRAME == 208
    fsd fs0, 104(sp)
    fsd fs1, 112(sp)
    fsd fs2, 120(sp)
    fsd fs3, 128(sp)
    fsd fs4, 136(sp)
    fsd fs5, 144(sp)
    fsd fs6, 152(sp)
    fsd fs7, 160(sp)
    fsd fs8, 168(sp)
    fsd fs9, 176(sp)
    fsd fs10, 184(sp)
    fsd fs11, 192(sp)
#endif
    sd sp, 0(a0)
    mv sp, a1
    ld ra, 0(sp)
    ld s0, 8(sp)
    ld s1, 16(sp)
    ld s2, 24(sp)
    ld s3, 32(sp)
    ld s4, 40(sp)
    ld s5, 48(sp)
    ld s6, 56(sp)
    ld s7, 64(sp)
    ld s8, 72(sp)
    ld s9, 80(sp)
    ld s10, 88(sp)
    ld s11, 96(sp)
#if FRAME == 208
    fld fs0, 104(sp)
    fld fs1, 112(sp)
    fld fs2, 120(sp)
    fld fs3, 128(sp)
    fld fs4, 136(sp)
    fld fs5, 144(sp)
    fld fs6, 152(sp)
    fld fs7, 160(sp)
    fld fs8, 168(sp)
    fld fs9, 176(sp)
    fld fs10, 184(sp)
    fld fs11, 192(sp)
#endif
    addi sp, sp, FRAME
    .cfi_def_cfa_offset 0
    .cfi_restore ra
    .cfi_restore s0
    .cfi_restore s1
    mv a0, a2
    ret
    .cfi_endproc
    .size kiln_stack_switch, .-kiln_stack_switch

    .globl kiln_stack_prepare
    .hidden kiln_stack_prepare
    .type kiln_stack_prepare, @function
    .p2align 2
kiln_stack_prepare:
    .cfi_startproc
    addi a0, a0, -FRAME
    mv t0, a0
    addi t1, a0, FRAME
1:  sd zero, 0(t0)
    addi t0, t0, 8
    bltu t0, t1, 1b
    sd a1, 16(a0)              /* s1 = fn */
    lla t0, kiln_stack_entry
    sd t0, 0(a0)               /* ra */
    ret
    .cfi_endproc
    .size kiln_stack_prepare, .-kiln_stack_prepare

    .type kiln_stack_entry, @function
    .p2align 2
kiln_stack_entry:
    .cfi_startproc
    .cfi_undefined ra
    jalr s1                    /* a0 = the switch's arg */
    ebreak
    .cfi_endproc
    .size kiln_stack_entry, .-kiln_stack_entry

#endif

    .section .note.GNU-stack, "", @progbits
