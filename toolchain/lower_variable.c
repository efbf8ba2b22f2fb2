/* lower_variable.c -- locals, globals, tables and references.
 *
 * Locals are the entry block's allocas. Globals: a defined global is read and written in its
 * cell inside vmctx, at a constant offset (layout.global_cells + 16 * defined index); an
 * imported one through its pointer in layout.globals. Immutable globals never change after
 * instantiation, so their loads are invariant. Tables: table.get/set/size are inline (the
 * wasm_table record via layout.tables, a bounds check that traps "out of bounds table
 * access", then the 8-byte element slot); grow/fill/copy/init/elem.drop call the runtime
 * (with u32 operands: a 64-bit table's are narrowed first, table_operand).
 * A funcref is a pointer to a kiln_funcref record: in vmctx for defined functions, the
 * import slot's `ref` for imported ones. Null is the null pointer.
 */
#include "lower.h"

bool lower_local_get(lower_ctx *c, const wasm_instr *ins, int arg)
{
    uint32_t i = ins->u.index;
    KILN_ASSERT(i < c->local_count);
    LLVMValueRef v = LLVMBuildLoad2(c->b, lower_valtype(c->u, c->local_types[i]), c->locals[i], "");
    lower_fact_local(c, v, i);
    lower_push(c, v);
    return true;
}

bool lower_local_set(lower_ctx *c, const wasm_instr *ins, int arg)
{
    KILN_ASSERT(ins->u.index < c->local_count);
    LLVMValueRef v = lower_pop(c);
    LLVMBuildStore(c->b, v, c->locals[ins->u.index]);
    c->local_versions[ins->u.index]++;
    lower_fact_local(c, v, ins->u.index);
    return true;
}

bool lower_local_tee(lower_ctx *c, const wasm_instr *ins, int arg)
{
    KILN_ASSERT(ins->u.index < c->local_count);
    LLVMBuildStore(c->b, *lower_top(c, 1), c->locals[ins->u.index]);
    c->local_versions[ins->u.index]++;
    lower_fact_local(c, *lower_top(c, 1), ins->u.index);
    return true;
}

static LLVMValueRef global_ptr(lower_ctx *c, uint32_t g)
{
    lower_unit *u = c->u;
    const wasm_module *m = u->m;
    if (g < m->global_import_count)
        return lower_load(c, u->t_ptr,
                          lower_vmctx_ptr(c, u->layout.globals + (uint64_t)g * sizeof(kiln_ptr64)),
                          ALIAS_VMCTX, true);
    return lower_vmctx_ptr(c, u->layout.global_cells + (uint64_t)(g - m->global_import_count) *
                                                           sizeof(kiln_global_cell));
}

bool lower_global_get(lower_ctx *c, const wasm_instr *ins, int arg)
{
    const wasm_global *g = &c->u->m->globals[ins->u.index];
    LLVMTypeRef t = lower_valtype(c->u, g->type.type);
    lower_push(c, lower_load(c, t, global_ptr(c, ins->u.index), ALIAS_VMCTX, !g->type.mut));
    return true;
}

bool lower_global_set(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    lower_store(c, v, global_ptr(c, ins->u.index), ALIAS_VMCTX);
    return true;
}

LLVMValueRef lower_table_record(lower_ctx *c, uint32_t t)
{
    lower_unit *u = c->u;
    LLVMValueRef record = lower_load(
        c, u->t_ptr, lower_vmctx_ptr(c, u->layout.tables + (uint64_t)t * sizeof(kiln_ptr64)),
        ALIAS_VMCTX, true);
    /* Every table's record exists for the instance's life: its fields may be loaded early. */
    lower_mark_dereferenceable(c, record, sizeof(kiln_table));
    return record;
}

static LLVMValueRef table_size(lower_ctx *c, LLVMValueRef table)
{
    lower_unit *u = c->u;
    return lower_load(c, u->t_i32, lower_gep(c, table, lower_i64(u, offsetof(kiln_table, size))),
                      ALIAS_VMCTX, false);
}

LLVMValueRef lower_table_index_oob(lower_ctx *c, LLVMValueRef index, LLVMValueRef size)
{
    if (LLVMTypeOf(index) == c->u->t_i64) /* a 64-bit table: size < 2^32 */
        size = LLVMBuildZExt(c->b, size, c->u->t_i64, "");
    return LLVMBuildICmp(c->b, LLVMIntUGE, index, size, "");
}

LLVMValueRef lower_table_elem(lower_ctx *c, LLVMValueRef elems, LLVMValueRef index)
{
    lower_unit *u = c->u;
    LLVMValueRef off = LLVMBuildShl(c->b, LLVMBuildZExtOrBitCast(c->b, index, u->t_i64, ""),
                                    lower_i64(u, u->ptr_size == 8 ? 3 : 2), "");
    return lower_gep(c, elems, off);
}

/* The element slot of index in table t, after the bounds check. */
static LLVMValueRef table_slot(lower_ctx *c, uint32_t t, LLVMValueRef index)
{
    lower_unit *u = c->u;
    LLVMValueRef table = lower_table_record(c, t);
    lower_trap_if(c, lower_table_index_oob(c, index, table_size(c, table)), KILN_TRAP_TABLE_OOB);
    return lower_table_elem(c, lower_load(c, u->t_ptr, table, ALIAS_VMCTX, false), index);
}

/* An operand of a 64-bit table's bulk instruction (a destination, source or length) as the
 * runtime's u32: past 2^32 - 1 it is out of bounds (no table is that large), so trap. */
static LLVMValueRef table_operand(lower_ctx *c, LLVMValueRef v)
{
    lower_unit *u = c->u;
    if (LLVMTypeOf(v) != u->t_i64)
        return v;
    lower_trap_if(c, LLVMBuildICmp(c->b, LLVMIntUGT, v, lower_i64(u, UINT32_MAX), ""),
                  KILN_TRAP_TABLE_OOB);
    return LLVMBuildTrunc(c->b, v, u->t_i32, "");
}

/* The three operands of table.fill/copy/init, narrowed (table_operand: only i64 ones change,
 * never fill's reference or init's i32 segment offset), back on the stack. */
static void narrow_table_operands(lower_ctx *c)
{
    LLVMValueRef n = table_operand(c, lower_pop(c));
    LLVMValueRef s = table_operand(c, lower_pop(c));
    LLVMValueRef d = table_operand(c, lower_pop(c));
    lower_push(c, d);
    lower_push(c, s);
    lower_push(c, n);
}

bool lower_table_get(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef slot = table_slot(c, ins->u.index, lower_pop(c));
    lower_push(c, lower_load(c, c->u->t_ptr, slot, ALIAS_TABLE, false));
    return true;
}

bool lower_table_set(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    LLVMValueRef slot = table_slot(c, ins->u.index, lower_pop(c));
    lower_store(c, v, slot, ALIAS_TABLE);
    return true;
}

bool lower_table_size(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef size = table_size(c, lower_table_record(c, ins->u.index));
    if (wasm_table_is64(c->u->m, ins->u.index))
        size = LLVMBuildZExt(c->b, size, c->u->t_i64, "");
    lower_push(c, size);
    return true;
}

/* table.grow of a 64-bit table: a delta past 2^32 - 1 fails (-1) without calling the
 * runtime; else the runtime's u32 result, with its failure UINT32_MAX as -1. */
static LLVMValueRef grow_table64(lower_ctx *c, LLVMValueRef *args)
{
    lower_unit *u = c->u;
    LLVMValueRef delta = args[3];
    LLVMBasicBlockRef call_bb = LLVMAppendBasicBlockInContext(u->ctx, c->fn, "table.grow");
    LLVMBasicBlockRef join_bb = LLVMAppendBasicBlockInContext(u->ctx, c->fn, "table.grown");
    LLVMBasicBlockRef from = LLVMGetInsertBlock(c->b);
    LLVMValueRef minus1 = LLVMConstInt(u->t_i64, UINT64_MAX, false);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntUGT, delta, lower_i64(u, UINT32_MAX), ""),
                    join_bb, call_bb);
    LLVMPositionBuilderAtEnd(c->b, call_bb);
    args[3] = LLVMBuildTrunc(c->b, delta, u->t_i32, "");
    LLVMValueRef r = lower_rt_call(c, RT_TABLE_GROW, args, 4);
    LLVMValueRef failed = LLVMBuildICmp(c->b, LLVMIntEQ, r, lower_i32(u, UINT32_MAX), "");
    LLVMValueRef r64 =
        LLVMBuildSelect(c->b, failed, minus1, LLVMBuildZExt(c->b, r, u->t_i64, ""), "");
    LLVMBasicBlockRef called = LLVMGetInsertBlock(c->b);
    LLVMBuildBr(c->b, join_bb);
    LLVMPositionBuilderAtEnd(c->b, join_bb);
    LLVMValueRef phi = LLVMBuildPhi(c->b, u->t_i64, "");
    LLVMValueRef values[2] = {minus1, r64};
    LLVMBasicBlockRef blocks[2] = {from, called};
    LLVMAddIncoming(phi, values, blocks, 2);
    return phi;
}

bool lower_table_grow(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef delta = lower_pop(c);
    LLVMValueRef init = lower_pop(c);
    LLVMValueRef args[4] = {c->vmctx, lower_i32(c->u, ins->u.index), init, delta};
    if (wasm_table_is64(c->u->m, ins->u.index))
        lower_push(c, grow_table64(c, args));
    else
        lower_push(c, lower_rt_call(c, RT_TABLE_GROW, args, 4));
    return true;
}

/* The bulk table instructions: the runtime function fn gets vmctx, the index immediates
 * imms[0..n), then the instruction's three operands in stack order (a destination, a source
 * or value, a length). (The bulk memory ones, lower_memory.c, pass u64 addresses.) */
static void bulk_call(lower_ctx *c, lower_rt fn, const uint32_t *imms, unsigned n)
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

bool lower_table_fill(lower_ctx *c, const wasm_instr *ins, int arg)
{
    narrow_table_operands(c);
    bulk_call(c, RT_TABLE_FILL, &ins->u.index, 1);
    return true;
}

bool lower_table_copy(lower_ctx *c, const wasm_instr *ins, int arg)
{
    const uint32_t imms[2] = {ins->u.table_copy.dst, ins->u.table_copy.src};
    narrow_table_operands(c);
    bulk_call(c, RT_TABLE_COPY, imms, 2);
    return true;
}

bool lower_table_init(lower_ctx *c, const wasm_instr *ins, int arg)
{
    const uint32_t imms[2] = {ins->u.table_init.table, ins->u.table_init.elem};
    narrow_table_operands(c);
    bulk_call(c, RT_TABLE_INIT, imms, 2);
    return true;
}

bool lower_elem_drop(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[2] = {c->vmctx, lower_i32(c->u, ins->u.index)};
    lower_rt_call(c, RT_ELEM_DROP, args, 2);
    return true;
}

bool lower_ref_null(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_push(c, LLVMConstNull(c->u->t_ptr));
    return true;
}

bool lower_ref_is_null(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    lower_push(c, LLVMBuildZExt(c->b, LLVMBuildIsNull(c->b, v, ""), c->u->t_i32, ""));
    return true;
}

bool lower_ref_as_non_null(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_top(c, 1)[0];
    lower_trap_if(c, LLVMBuildIsNull(c->b, v, ""), KILN_TRAP_NULL_REF);
    return true;
}

LLVMValueRef lower_funcref(lower_ctx *c, uint32_t f)
{
    lower_unit *u = c->u;
    const wasm_module *m = u->m;
    if (f < m->func_import_count) {
        uint64_t slot = u->layout.imports + (uint64_t)f * sizeof(kiln_import_slot);
        return lower_load(c, u->t_ptr, lower_vmctx_ptr(c, slot + offsetof(kiln_import_slot, ref)),
                          ALIAS_VMCTX, true);
    }
    return lower_vmctx_ptr(c, u->layout.funcrefs +
                                  (uint64_t)(f - m->func_import_count) * sizeof(kiln_funcref));
}

bool lower_ref_func(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_push(c, lower_funcref(c, ins->u.index));
    return true;
}
