/* lower_atomic.c -- the threads proposal's 0xFE instructions: atomic loads, stores,
 * read-modify-writes and compare-exchanges, wait, notify and the fence.
 *
 * Every atomic access is sequentially consistent (LLVM's seq_cst: on x86-64 a locked
 * instruction or xchg for stores, on aarch64 ldar/stlr and LSE or LL/SC loops, on riscv64
 * the A extension with fences, on armv7 ldrex/strex with dmb; sub-word read-modify-writes
 * become masked word loops where the ISA has none). Operands are the access's width: a narrow
 * form wraps its value (and a compare-exchange its expected value, as the proposal says) and
 * zero-extends what it read.
 *
 * Order of checks: an atomic access whose effective address (zext(addr) + offset) is not a
 * multiple of its size traps "unaligned atomic" before anything else, then the bounds are
 * checked as for any access (guard pages, or the explicit check of bounds-checked mode),
 * so both modes trap alike; the reference interpreter checks alignment first too. The
 * alignment test only needs the low bits: (addr + offset mod size) mod size, computed in the
 * address's own width (the size divides 2^32). Atomics are allowed on unshared memories
 * (they are then simply the same accesses); wait on an unshared memory traps in the runtime.
 *
 * wait and notify call the runtime (abi.h: kiln_atomic_wait32/64, kiln_atomic_notify) with the
 * host address of the checked access, which keys the runtime's table of waiters: a shared
 * memory never moves, so every instance importing it agrees on the key. In guard-page mode
 * the bounds check of an access is the access itself, which notify does not make and wait
 * makes in the runtime, where a fault is no trap: generated code reads the address first (a
 * volatile load, never removed) so that an address out of bounds traps here.
 */
#include "lower.h"

/* Traps unless the effective address of ins's access is a multiple of size, then returns
 * the checked host address. */
static LLVMValueRef atomic_address(lower_ctx *c, const wasm_instr *ins, LLVMValueRef addr,
                                   unsigned size)
{
    const wasm_memarg *mem = &ins->u.memarg.mem;
    if (size > 1) {
        LLVMTypeRef t = LLVMTypeOf(addr);
        uint64_t low = mem->offset & (size - 1u);
        LLVMValueRef a = low ? LLVMBuildAdd(c->b, addr, LLVMConstInt(t, low, false), "") : addr;
        LLVMValueRef mis = LLVMBuildAnd(c->b, a, LLVMConstInt(t, size - 1u, false), "");
        lower_trap_if(c, LLVMBuildICmp(c->b, LLVMIntNE, mis, LLVMConstInt(t, 0, false), ""),
                      KILN_TRAP_UNALIGNED_ATOMIC);
    }
    return lower_memarg_address(c, mem, addr, size);
}

static LLVMTypeRef access_type(const lower_ctx *c, unsigned size)
{
    return LLVMIntTypeInContext(c->u->ctx, size * 8u);
}

/* v (i32 or i64) wrapped to the access's width. */
static LLVMValueRef wrap(lower_ctx *c, LLVMValueRef v, unsigned size)
{
    LLVMTypeRef t = access_type(c, size);
    return LLVMTypeOf(v) == t ? v : LLVMBuildTrunc(c->b, v, t, "");
}

/* What an access read, zero-extended to the instruction's result type. */
static LLVMValueRef widen(lower_ctx *c, const wasm_instr *ins, LLVMValueRef v)
{
    LLVMTypeRef t = lower_letter_type(c->u, wasm_ops[ins->op].out[0]);
    return LLVMTypeOf(v) == t ? v : LLVMBuildZExt(c->b, v, t, "");
}

/* What every access here carries: the memory's alias class and the natural alignment the
 * check established. */
static void tag_access(lower_ctx *c, LLVMValueRef inst, unsigned size)
{
    LLVMSetMetadata(inst, c->u->md_tbaa, c->u->tbaa[ALIAS_MEMORY]);
    LLVMSetAlignment(inst, size);
}

/* An atomic load or store: tagged, sequentially consistent (atomicrmw and cmpxchg take their
 * ordering when built). */
static void mark(lower_ctx *c, LLVMValueRef inst, unsigned size)
{
    tag_access(c, inst, size);
    LLVMSetOrdering(inst, LLVMAtomicOrderingSequentiallyConsistent);
}

bool lower_atomic_load(lower_ctx *c, const wasm_instr *ins, int arg)
{
    (void)arg;
    unsigned size = wasm_ops[ins->op].size;
    LLVMValueRef ptr = atomic_address(c, ins, lower_pop(c), size);
    LLVMValueRef v = LLVMBuildLoad2(c->b, access_type(c, size), ptr, "");
    mark(c, v, size);
    lower_push(c, widen(c, ins, v));
    return true;
}

bool lower_atomic_store(lower_ctx *c, const wasm_instr *ins, int arg)
{
    (void)arg;
    unsigned size = wasm_ops[ins->op].size;
    LLVMValueRef v = lower_pop(c);
    LLVMValueRef ptr = atomic_address(c, ins, lower_pop(c), size);
    LLVMValueRef st = LLVMBuildStore(c->b, wrap(c, v, size), ptr);
    mark(c, st, size);
    return true;
}

/* arg: the LLVMAtomicRMWBinOp (lower.def). */
bool lower_atomic_rmw(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned size = wasm_ops[ins->op].size;
    LLVMValueRef v = lower_pop(c);
    LLVMValueRef ptr = atomic_address(c, ins, lower_pop(c), size);
    LLVMValueRef old = LLVMBuildAtomicRMW(c->b, (LLVMAtomicRMWBinOp)arg, ptr, wrap(c, v, size),
                                          LLVMAtomicOrderingSequentiallyConsistent, false);
    tag_access(c, old, size);
    lower_push(c, widen(c, ins, old));
    return true;
}

bool lower_atomic_cmpxchg(lower_ctx *c, const wasm_instr *ins, int arg)
{
    (void)arg;
    unsigned size = wasm_ops[ins->op].size;
    LLVMValueRef replacement = lower_pop(c);
    LLVMValueRef expected = lower_pop(c);
    LLVMValueRef ptr = atomic_address(c, ins, lower_pop(c), size);
    LLVMValueRef pair = LLVMBuildAtomicCmpXchg(
        c->b, ptr, wrap(c, expected, size), wrap(c, replacement, size),
        LLVMAtomicOrderingSequentiallyConsistent, LLVMAtomicOrderingSequentiallyConsistent, false);
    tag_access(c, pair, size);
    lower_push(c, widen(c, ins, LLVMBuildExtractValue(c->b, pair, 0, "")));
    return true;
}

/* Guard-page mode: touches the checked address so that one out of bounds traps (the top). */
static void touch(lower_ctx *c, LLVMValueRef ptr, unsigned size)
{
    if (c->u->bounds_checks)
        return;
    LLVMValueRef v = LLVMBuildLoad2(c->b, access_type(c, size), ptr, "");
    tag_access(c, v, size);
    LLVMSetVolatile(v, true);
}

/* memory.atomic.wait32/64 addr expected timeout -> 0 woken, 1 not equal, 2 timed out. */
bool lower_atomic_wait(lower_ctx *c, const wasm_instr *ins, int arg)
{
    (void)arg;
    unsigned size = wasm_ops[ins->op].size;
    LLVMValueRef timeout = lower_pop(c);
    LLVMValueRef expected = lower_pop(c);
    LLVMValueRef ptr = atomic_address(c, ins, lower_pop(c), size);
    touch(c, ptr, size);
    LLVMValueRef args[5] = {c->vmctx, lower_i32(c->u, ins->u.memarg.mem.memory), ptr, expected,
                            timeout};
    lower_push(c, lower_rt_call(c, size == 4 ? RT_ATOMIC_WAIT32 : RT_ATOMIC_WAIT64, args, 5));
    return true;
}

/* memory.atomic.notify addr count -> the number of waiters woken. */
bool lower_atomic_notify(lower_ctx *c, const wasm_instr *ins, int arg)
{
    (void)arg;
    LLVMValueRef count = lower_pop(c);
    LLVMValueRef ptr = atomic_address(c, ins, lower_pop(c), 4);
    touch(c, ptr, 4);
    LLVMValueRef args[4] = {c->vmctx, lower_i32(c->u, ins->u.memarg.mem.memory), ptr, count};
    lower_push(c, lower_rt_call(c, RT_ATOMIC_NOTIFY, args, 4));
    return true;
}

bool lower_atomic_fence(lower_ctx *c, const wasm_instr *ins, int arg)
{
    (void)ins, (void)arg;
    LLVMBuildFence(c->b, LLVMAtomicOrderingSequentiallyConsistent, false, "");
    return true;
}
