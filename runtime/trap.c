/* trap.c -- trap boundaries: the per-thread stack of host->wasm entries, and trap wording.
 *
 * Every host->wasm call goes through kiln_enter, which pushes a kiln_entry (a sigjmp_buf in
 * its own frame) on a thread-local list and calls the function's array entry. Traps
 * (kiln_trap_raise, the bulk-memory helpers, a failing host import, the signal handler)
 * siglongjmp to the innermost entry, so wasm -> host -> wasm -> trap returns the trap to the
 * host function, which may handle it or return it to the outer wasm. sigsetjmp(buf, 0) saves
 * no signal mask (that is a system call per entry); the fault path restores it itself.
 * The outermost entry of a thread sets the wasm stack limit: SP - budget, raised to the
 * thread's stack bottom + headroom, so host code called from wasm always has that much stack
 * (docs/abi.md, "Stack headroom"); a nested entry may only raise it (its own budget). Each
 * entry stores it in the entered vmctx (restoring the old value on return), where generated
 * prologues compare it with their stack pointer. An uncaught Wasm exception leaves through
 * the same path (exn.c); each entry first frees the thread's last one (kiln_last_exception).
 * Calls signal_posix.c (kiln_thread_setup). Called by call.c (kiln_enter), by the files above
 * it for kiln_set_error, and by generated code (kiln_trap_raise).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime_impl.h"

/* The wasm stack limit of an outermost entry whose frame is at sp: sp - budget, raised so
 * that headroom bytes (at least KILN_MIN_STACK_HEADROOM) stay free at the bottom of the thread's
 * stack for host code. A thread with less than twice that much stack keeps half of it: on a 64 KiB
 * thread wasm still gets what the host left of the upper half. A stack the runtime does not know
 * (bounds unknown, or sp outside them: a coroutine's) gets the budget alone. */
static uint64_t thread_stack_limit(const kiln_thread *t, uintptr_t sp, size_t budget,
                                   size_t headroom)
{
    uintptr_t limit = sp > budget ? sp - budget : 0;
    if (t->stack_lo != 0 && t->stack_hi > t->stack_lo && sp >= t->stack_lo && sp < t->stack_hi) {
        size_t half = (t->stack_hi - t->stack_lo) / 2;
        if (headroom < KILN_MIN_STACK_HEADROOM)
            headroom = KILN_MIN_STACK_HEADROOM;
        size_t room = headroom < half ? headroom : half;
        if (limit < t->stack_lo + room)
            limit = t->stack_lo + room;
    }
    return limit;
}

kiln_trap kiln_enter(kiln_vmctx *vmctx, size_t stack_budget, size_t stack_headroom,
                     kiln_array_fn fn, void *code, uint64_t *args_results)
{
    kiln_thread *t = &kiln_tls;
    /* kiln_last_exception is valid until the thread's next call into wasm: this one. */
    if (t->last_exn != NULL) {
        free(t->last_exn);
        t->last_exn = NULL;
    }
    /* A task being freed unwinds: its host functions may still call into wasm, which must
     * not run again (task.c, docs/yield.md). */
    if (kiln_task_cancelling(t))
        return KILN_TRAP_INTERRUPTED;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    kiln_entry entry;
    entry.prev = t->top;
    entry.vmctx = vmctx;
    entry.saved_limit = vmctx->stack_limit;
    entry.saved_thread = t->limit;
    entry.held = NULL;
    entry.in_host = false;
    entry.thrown = NULL;
    entry.frame = sp;
    if (t->depth == 0) {
        if (!t->ready)
            kiln_thread_setup(t);
        t->limit = thread_stack_limit(t, sp, stack_budget, stack_headroom);
    } else if (sp > stack_budget && sp - stack_budget > t->limit) {
        /* A nested entry keeps its own budget, but never moves the limit down into the
         * headroom the outermost entry reserved. */
        t->limit = sp - stack_budget;
    }
    vmctx->stack_limit = t->limit;
    /* Who runs the instance, for the interrupt signal (kiln_signal_interrupt). A request
     * racing with this store must see it or be seen by the entry's check of the stop bits:
     * the requester's membarrier orders both, or this fence does. */
    kiln_instance *inst = kiln_vm_instance(vmctx);
    uint32_t prev_runner = inst->runner_tid;
    __atomic_store_n(&inst->runner_tid, t->tid, __ATOMIC_RELAXED);
    if (!kiln_signal_barrier)
        __atomic_thread_fence(__ATOMIC_SEQ_CST);

    kiln_trap trap = KILN_TRAP_NONE;
    int jumped = sigsetjmp(entry.jmp, 0);
    if (jumped == 0) {
        /* Published only now: the signal handler may unwind to t->top from host code, and
         * must never find an entry whose jmp_buf is not set yet. */
        t->top = &entry;
        t->depth++;
        fn(vmctx, code, args_results);
    } else {
        trap = (kiln_trap)jumped;
        if (entry.held != NULL) /* a trap left legacy handlers that held exceptions */
            kiln_exn_free_held(&entry);
    }

    /* Staged by a sealed import that then returned no exception (call.c). */
    if (entry.thrown != NULL)
        kiln_exn_free(entry.thrown);
    /* Nothing used here was modified between sigsetjmp and a siglongjmp back to it. */
    __atomic_store_n(&inst->runner_tid, prev_runner, __ATOMIC_RELAXED);
    vmctx->stack_limit = entry.saved_limit;
    t->limit = entry.saved_thread;
    t->top = entry.prev;
    t->depth--;
    return trap;
}

/* ---- Backtraces ----
 *
 * Generated code keeps frame pointers (toolchain/lower_module.c, lower_function_attrs), so a
 * trap's wasm frames are a chain of frame records on the stack: at fp, the caller's fp and
 * the return address (x86-64, AArch64), or just below fp (RISC-V). The walk records return
 * addresses while they are in generated code and stops at the first one that is not: that is
 * kiln_enter calling the array entry (PREFIX_entry<T>), whose frame is dropped. It reads only
 * words between the stack pointer and the innermost entry's frame, each record above the
 * last, so a broken chain (a runtime helper that used the frame pointer register for
 * something else) ends the walk instead of faulting. Names are looked up only when the host
 * asks (kiln_trap_backtrace). */
#if defined(__x86_64__) || defined(__aarch64__)
#define FRAME_WALK     1
#define FRAME_NEXT_OFF 0
#define FRAME_RET_OFF  ((intptr_t)sizeof(uintptr_t))
#elif defined(__riscv) && __riscv_xlen == 64
#define FRAME_WALK     1
#define FRAME_NEXT_OFF (-2 * (intptr_t)sizeof(uintptr_t))
#define FRAME_RET_OFF  (-(intptr_t)sizeof(uintptr_t))
#else
#define FRAME_WALK 0 /* 32-bit ARM's frame records differ per compiler and mode: the trap site */
#endif

void kiln_trap_note(kiln_thread *t, uintptr_t pc)
{
    t->trap_pc = pc;
    t->trap_frames[0] = pc;
    t->trap_frame_count = pc != 0;
}

void kiln_trap_walk(kiln_thread *t, uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t skip)
{
    kiln_trap_note(t, pc);
#if FRAME_WALK
    uint32_t n = t->trap_frame_count;
    uintptr_t lo = sp, hi = t->top != NULL ? t->top->frame : 0;
    bool in_wasm = false;
    while (n < KILN_TRAP_FRAMES) {
        uintptr_t next_at = fp + (uintptr_t)FRAME_NEXT_OFF, ret_at = fp + (uintptr_t)FRAME_RET_OFF;
        if (fp % sizeof(uintptr_t) != 0 || next_at < lo || ret_at >= hi ||
            hi - ret_at < sizeof(uintptr_t))
            break;
        uintptr_t next = *(const uintptr_t *)next_at;
        uintptr_t ret = *(const uintptr_t *)ret_at;
        if (kiln_signal_in_code(ret)) {
            if (in_wasm || ret != skip)
                t->trap_frames[n++] = ret - 1; /* into the call, as trap_pc */
            in_wasm = true;
        } else if (in_wasm) {
            n--; /* the last frame was the array entry's (the call from kiln_enter) */
            break;
        }
        if (next <= fp)
            break;
        lo = ret_at + sizeof(uintptr_t);
        fp = next;
    }
    t->trap_frame_count = n;
#else
    (void)fp;
    (void)sp;
    (void)skip;
#endif
}

KILN_API size_t kiln_trap_backtrace(kiln_frame *out, size_t max)
{
    const kiln_thread *t = &kiln_tls;
    size_t n = t->trap_frame_count;
    for (size_t i = 0; i < n && i < max && out != NULL; i++) {
        kiln_frame *f = &out[i];
        f->pc = t->trap_frames[i];
        f->module = kiln_module_of_pc(f->pc);
        f->func_index = UINT32_MAX;
        f->name = NULL;
        f->name_len = 0;
        f->file = NULL;
        f->line = 0;
        if (f->module != NULL &&
            !kiln_module_func_at(f->module, f->pc, &f->func_index, &f->name, &f->name_len))
            f->module = NULL;
    }
    return n;
}

void kiln_trap_raise_from(kiln_vmctx *vmctx, uint32_t trap, const void *pc)
{
    kiln_thread *t = &kiln_tls;
    /* Generated code only runs under an entry; reaching here without one means the host
     * called generated code directly, bypassing kiln_invoke. There is nowhere to return. */
    if (t->top == NULL)
        __builtin_trap();
    /* A return address: the call may be the last instruction of its function (trap blocks
     * end in a noreturn call), so step back into the call itself. The walk starts at this
     * function's own frame record (which __builtin_frame_address makes it keep). */
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    /* The lowest address the walk may read: this frame's record (at fp, or just below it on
     * RISC-V). Not a local's address: under AddressSanitizer locals may live elsewhere. */
    uintptr_t lowest = fp - 2 * sizeof(uintptr_t);
    kiln_trap_walk(t, (uintptr_t)pc - 1, fp, lowest, (uintptr_t)pc);
    if (trap == KILN_TRAP_INTERRUPTED)
        kiln_interrupt_taken(vmctx); /* the stop is done: the next call runs */
    kiln_unwind(t, trap);
}

KILN_API void kiln_trap_raise(kiln_vmctx *vmctx, uint32_t trap)
{
    kiln_trap_raise_from(vmctx, trap, __builtin_return_address(0));
}

KILN_API uintptr_t kiln_last_trap_pc(void)
{
    return kiln_tls.trap_pc;
}

KILN_API bool kiln_module_func_at(const kiln_module *module, uintptr_t pc, uint32_t *index,
                                  const char **name, size_t *name_len)
{
    if (module == NULL || pc == 0 || pc < (uintptr_t)module->code_begin.p ||
        pc >= (uintptr_t)module->code_end.p)
        return false;
    /* Each function's code runs from its entry to the next entry above it: take the highest
     * entry at or below pc. Imported functions' entries are their generated adapters. */
    const kiln_func_desc *funcs = module->funcs.p;
    uint32_t best = UINT32_MAX;
    uintptr_t best_at = 0;
    for (uint32_t i = 0; i < module->func_count; i++) {
        uintptr_t at = (uintptr_t)funcs[i].code.p;
        if (at <= pc && at >= best_at && at != 0) {
            best = i;
            best_at = at;
        }
    }
    if (best == UINT32_MAX)
        return false;
    /* The name section's name, else the first export name of the function. */
    const kiln_str_desc *found = funcs[best].name.len ? &funcs[best].name : NULL;
    const kiln_export_desc *exports = module->exports.p;
    for (uint32_t i = 0; found == NULL && i < module->export_count; i++)
        if (exports[i].kind == KILN_KIND_FUNC && exports[i].index == best && exports[i].name.len)
            found = &exports[i].name;
    if (index)
        *index = best;
    if (name)
        *name = found ? found->ptr.p : NULL;
    if (name_len)
        *name_len = found ? found->len : 0;
    return true;
}

KILN_API const char *kiln_trap_message(kiln_trap t)
{
    static const char *const messages[KILN_TRAP_COUNT] = {
        [KILN_TRAP_NONE] = "no trap",
        [KILN_TRAP_UNREACHABLE] = "unreachable",
        [KILN_TRAP_MEMORY_OOB] = "out of bounds memory access",
        [KILN_TRAP_INT_DIV_ZERO] = "integer divide by zero",
        [KILN_TRAP_INT_OVERFLOW] = "integer overflow",
        [KILN_TRAP_BAD_CONVERSION] = "invalid conversion to integer",
        [KILN_TRAP_TABLE_OOB] = "out of bounds table access",
        [KILN_TRAP_UNDEFINED_ELEMENT] = "undefined element",
        [KILN_TRAP_UNINITIALIZED] = "uninitialized element",
        [KILN_TRAP_INDIRECT_TYPE] = "indirect call type mismatch",
        [KILN_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
        [KILN_TRAP_HOST] = "host function failed",
        [KILN_TRAP_EXIT] = "exit",
        [KILN_TRAP_INTERRUPTED] = "interrupted",
        [KILN_TRAP_NULL_FUNC_REF] = "null function reference",
        [KILN_TRAP_NULL_REF] = "null reference",
        [KILN_TRAP_NULL_EXN_REF] = "null exception reference",
        [KILN_TRAP_EXCEPTION] = "uncaught exception",
        [KILN_TRAP_UNALIGNED_ATOMIC] = "unaligned atomic",
        [KILN_TRAP_UNSHARED_WAIT] = "expected shared memory",
    };
    if ((unsigned)t >= KILN_TRAP_COUNT)
        return "unknown trap";
    return messages[t];
}

KILN_API const char *kiln_status_message(kiln_status s)
{
    switch (s) {
    case KILN_STATUS_OK:
        return "ok";
    case KILN_STATUS_NOMEM:
        return "out of memory";
    case KILN_STATUS_LINK:
        return "unknown or incompatible import";
    case KILN_STATUS_TRAP:
        return "instantiation trapped";
    case KILN_STATUS_LIMIT:
        return "over a runtime limit";
    case KILN_STATUS_POOL_EXHAUSTED:
        return "pool exhausted";
    case KILN_STATUS_ARG:
        return "invalid argument";
    case KILN_STATUS_ABI:
        return "module compiled for another runtime ABI version";
    case KILN_STATUS_NOT_FOUND:
        return "not found";
    case KILN_STATUS_UNSUPPORTED:
        return "not supported on this target";
    case KILN_STATUS_CANCELLED:
        return "the task is being freed";
    }
    return "unknown status";
}

void kiln_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(kiln_tls.error, sizeof kiln_tls.error, fmt, ap);
    va_end(ap);
}

void kiln_clear_error(void)
{
    kiln_tls.error[0] = '\0';
}

KILN_API const char *kiln_last_error(void)
{
    return kiln_tls.error;
}
