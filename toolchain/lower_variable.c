/* lower_variable.c -- locals, globals, tables and references.
 *
 * Locals are the entry block's allocas. Globals: a defined global is read and written in its
 * cell inside vmctx, at a constant offset (layout.global_cells + 16 * defined index); an
 * imported one through its pointer in layout.globals. Immutable globals never change after
 * instantiation, so their loads are invariant. Tables: table.get/set/size are inline (the
 * wasm_table record via layout.tables, a bounds check that traps "out of bounds table
 * access", then the 8-byte element slot); grow/fill/copy/init/elem.drop call the runtime.
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
    return lower_load(c, u->t_ptr,
                      lower_vmctx_ptr(c, u->layout.tables + (uint64_t)t * sizeof(kiln_ptr64)),
                      ALIAS_VMCTX, true);
}

static LLVMValueRef table_size(lower_ctx *c, LLVMValueRef table)
{
    lower_unit *u = c->u;
    return lower_load(c, u->t_i32, lower_gep(c, table, lower_i64(u, offsetof(kiln_table, size))),
                      ALIAS_VMCTX, false);
}

/* The element slot of index in table t, after the bounds check. */
static LLVMValueRef table_slot(lower_ctx *c, uint32_t t, LLVMValueRef index)
{
    lower_unit *u = c->u;
    LLVMValueRef table = lower_table_record(c, t);
    lower_trap_if(c, LLVMBuildICmp(c->b, LLVMIntUGE, index, table_size(c, table), ""),
                  KILN_TRAP_TABLE_OOB);
    LLVMValueRef elems = lower_load(c, u->t_ptr, table, ALIAS_VMCTX, false);
    LLVMValueRef off = LLVMBuildShl(c->b, LLVMBuildZExt(c->b, index, u->t_i64, ""),
                                    lower_i64(u, u->ptr_size == 8 ? 3 : 2), "");
    return lower_gep(c, elems, off);
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
    lower_push(c, table_size(c, lower_table_record(c, ins->u.index)));
    return true;
}

bool lower_table_grow(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef delta = lower_pop(c);
    LLVMValueRef init = lower_pop(c);
    LLVMValueRef args[4] = {c->vmctx, lower_i32(c->u, ins->u.index), init, delta};
    lower_push(c, lower_rt_call(c, RT_TABLE_GROW, args, 4));
    return true;
}

bool lower_table_fill(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_bulk_call(c, RT_TABLE_FILL, &ins->u.index, 1);
    return true;
}

bool lower_table_copy(lower_ctx *c, const wasm_instr *ins, int arg)
{
    const uint32_t imms[2] = {ins->u.table_copy.dst, ins->u.table_copy.src};
    lower_bulk_call(c, RT_TABLE_COPY, imms, 2);
    return true;
}

bool lower_table_init(lower_ctx *c, const wasm_instr *ins, int arg)
{
    const uint32_t imms[2] = {ins->u.table_init.table, ins->u.table_init.elem};
    lower_bulk_call(c, RT_TABLE_INIT, imms, 2);
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
