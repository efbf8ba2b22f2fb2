/* stack_switch_arm.S -- switching between stacks on 32-bit ARM (AAPCS), for tasks (task.c):
 * ARMv7-A Linux (ARM or Thumb-2) and ARMv7-M/ARMv7E-M bare metal (Thumb-2 only). The
 * interface is stack_switch_x86_64.S's:
 *
 *   void *kiln_stack_switch(void **from, void *to, void *arg)
 *     pushes r3-r11 and lr (r3 only keeps the frame a multiple of 8 bytes, as AAPCS wants
 *     sp at calls) and, with a floating-point unit (__ARM_FP: VFP on ARMv7-A, FPv4/FPv5 on
 *     Cortex-M4F/M7), s16-s31 (= d8-d15, callee-saved); stores sp in *from, loads sp from
 *     `to`, pops the frame found there and returns arg with bx lr. FPSCR is not switched.
 *     Without __ARM_FP (Cortex-M3, soft float) the frame is 40 bytes, else 104.
 *   void *kiln_stack_prepare(void *top, void (*fn)(void *))
 *     a zeroed frame below the 8-byte aligned top with r4 = fn, lr = kiln_stack_entry (its
 *     Thumb bit set when assembled as Thumb).
 *   kiln_stack_entry: blx r4 with r0 = arg, sp = top, r11 (fp) = 0; lr undefined in its CFI
 *     (.debug_frame), so backtraces end there; udf if fn returns.
 */
#if defined(__arm__)

    .syntax unified
#if defined(__thumb__)
    .thumb
#define FUNC_MODE .thumb_func
#else
    .arm
#define FUNC_MODE
#endif
#if defined(__ARM_FP)
#define FP_SIZE 64
#else
#define FP_SIZE 0
#endif
#define FRAME (FP_SIZE + 40)

    .cfi_sections .debug_frame
    .text

    .globl kiln_stack_switch
    .hidden kiln_stack_switch
    .type kiln_stack_switch, %function
    .p2align 2
    FUNC_MODE
kiln_stack_switch:
    .cfi_startproc
    push {r3-r11, lr}
    .cfi_adjust_cfa_offset 40
    .cfi_rel_offset lr, 36
#if FP_SIZE
    vpush {s16-s31}
    .cfi_adjust_cfa_offset 64
#endif
    mov r3, sp
    str r3, [r0]
    mov sp, r1
#if FP_SIZE
    vpop {s16-s31}
    .cfi_adjust_cfa_offset -64
#endif
    pop {r3-r11, lr}
    .cfi_adjust_cfa_offset -40
    .cfi_restore lr
    mov r0, r2
    bx lr
    .cfi_endproc
    .size kiln_stack_switch, .-kiln_stack_switch

    .globl kiln_stack_prepare
    .hidden kiln_stack_prepare
    .type kiln_stack_prepare, %function
    .p2align 2
    FUNC_MODE
kiln_stack_prepare:
    .cfi_startproc
    sub r0, r0, #FRAME
    mov r2, r0
    add r3, r0, #FRAME
    movs r12, #0
1:  str r12, [r2], #4
    cmp r2, r3
    bne 1b
    str r1, [r0, #(FP_SIZE + 4)]     /* r4 = fn */
    adr r2, kiln_stack_entry
#if defined(__thumb__)
    orr r2, r2, #1
#endif
    str r2, [r0, #(FP_SIZE + 36)]    /* lr */
    bx lr
    .cfi_endproc
    .size kiln_stack_prepare, .-kiln_stack_prepare

    .type kiln_stack_entry, %function
    .p2align 2
    FUNC_MODE
kiln_stack_entry:
    .cfi_startproc
    .cfi_undefined lr
    blx r4                     /* r0 = the switch's arg */
    udf #0
    .cfi_endproc
    .size kiln_stack_entry, .-kiln_stack_entry

#endif

    .section .note.GNU-stack, "", %progbits
