/* lower_memory.c -- loads, stores, memory.size/grow and bulk memory.
 *
 * Guard-page addressing: every access is base + zext(addr) + offset with no bounds check.
 * Memory 0 reserves 4 GiB + 4 GiB of guard, so the sum (< 2^33) stays in the reservation
 * and an out-of-bounds access faults; the runtime turns the fault into a trap. The base is
 * loaded once per function in the entry block (lower.c). Accesses use alignment 1 (Wasm's
 * alignment is only a hint) and the "wasm memory" alias class, so they never clobber vmctx
 * values LLVM keeps in registers. Size reads memory0->size; grow and the bulk operations
 * call the runtime (abi.h), which checks bounds before moving any byte.
 */
#include "lower.h"

/* base + zext(addr) + offset: guard-page addressing, no bounds check (the reservation covers
 * every 33-bit sum). Shared with lower_simd.c's v128 accesses. */
LLVMValueRef lower_effective_address(lower_ctx *c, LLVMValueRef addr, uint64_t offset)
{
    lower_unit *u = c->u;
    KILN_ASSERT(c->mem_base != NULL);
    LLVMValueRef ea = LLVMBuildZExt(c->b, addr, u->t_i64, "");
    if (offset != 0)
        ea = LLVMBuildAdd(c->b, ea, lower_i64(u, offset), ""); /* no wrap: both < 2^32 */
    return lower_gep(c, c->mem_base, ea);
}

bool lower_load_op(lower_ctx *c, const kiln_instr *ins, int arg)
{
    lower_unit *u = c->u;
    const kiln_opinfo *info = &kiln_ops[ins->op];
    LLVMTypeRef t = lower_letter_type(u, info->out[0]);
    LLVMValueRef ptr = lower_effective_address(c, lower_pop(c), ins->u.memarg.mem.offset);
    if (arg == LOAD_PLAIN) {
        lower_push(c, lower_load(c, t, ptr, ALIAS_MEMORY, false));
        return true;
    }
    LLVMTypeRef narrow = LLVMIntTypeInContext(u->ctx, info->size * 8u);
    LLVMValueRef v = lower_load(c, narrow, ptr, ALIAS_MEMORY, false);
    lower_push(c,
               arg == LOAD_SIGNED ? LLVMBuildSExt(c->b, v, t, "") : LLVMBuildZExt(c->b, v, t, ""));
    return true;
}

bool lower_store_op(lower_ctx *c, const kiln_instr *ins, int arg)
{
    lower_unit *u = c->u;
    const kiln_opinfo *info = &kiln_ops[ins->op];
    LLVMValueRef v = lower_pop(c);
    LLVMValueRef ptr = lower_effective_address(c, lower_pop(c), ins->u.memarg.mem.offset);
    LLVMTypeRef t = LLVMTypeOf(v);
    if (LLVMGetTypeKind(t) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(t) > info->size * 8u)
        v = LLVMBuildTrunc(c->b, v, LLVMIntTypeInContext(u->ctx, info->size * 8u), "");
    lower_store(c, v, ptr, ALIAS_MEMORY);
    return true;
}

bool lower_memory_size(lower_ctx *c, const kiln_instr *ins, int arg)
{
    lower_unit *u = c->u;
    LLVMValueRef mem =
        lower_load(c, u->t_ptr, lower_vmctx_ptr(c, KILN_VMCTX_MEMORY0), ALIAS_VMCTX, true);
    LLVMValueRef bytes =
        lower_load(c, u->t_i64, lower_gep(c, mem, lower_i64(u, offsetof(kiln_abi_memory, size))),
                   ALIAS_VMCTX, false);
    LLVMValueRef pages = LLVMBuildLShr(c->b, bytes, lower_i64(u, 16), "");
    lower_push(c, LLVMBuildTrunc(c->b, pages, u->t_i32, ""));
    return true;
}

bool lower_memory_grow(lower_ctx *c, const kiln_instr *ins, int arg)
{
    LLVMValueRef args[3] = {c->vmctx, lower_i32(c->u, 0), lower_pop(c)};
    lower_push(c, lower_rt_call(c, RT_MEMORY_GROW, args, 3));
    return true;
}

/* The bulk memory and table instructions: the runtime function fn gets vmctx, the index
 * immediates imms[0..n), then the instruction's three operands in stack order (a
 * destination, a source or value, a length). */
void lower_bulk_call(lower_ctx *c, lower_rt fn, const uint32_t *imms, unsigned n)
{
    LLVMValueRef args[6];
    KILN_ASSERT(n <= 2);
    args[0] = c->vmctx;
    for (unsigned i = 0; i < n; i++)
        args[1 + i] = lower_i32(c->u, imms[i]);
    args[n + 3] = lower_pop(c);
    args[n + 2] = lower_pop(c);
    args[n + 1] = lower_pop(c);
    lower_rt_call(c, fn, args, n + 4);
}

bool lower_memory_init(lower_ctx *c, const kiln_instr *ins, int arg)
{
    const uint32_t imms[2] = {ins->u.memory_init.memory, ins->u.memory_init.data};
    lower_bulk_call(c, RT_MEMORY_INIT, imms, 2);
    return true;
}

bool lower_data_drop(lower_ctx *c, const kiln_instr *ins, int arg)
{
    LLVMValueRef args[2] = {c->vmctx, lower_i32(c->u, ins->u.index)};
    lower_rt_call(c, RT_DATA_DROP, args, 2);
    return true;
}

bool lower_memory_copy(lower_ctx *c, const kiln_instr *ins, int arg)
{
    const uint32_t memory = 0;
    lower_bulk_call(c, RT_MEMORY_COPY, &memory, 1);
    return true;
}

bool lower_memory_fill(lower_ctx *c, const kiln_instr *ins, int arg)
{
    const uint32_t memory = 0;
    lower_bulk_call(c, RT_MEMORY_FILL, &memory, 1);
    return true;
}
