/* lower_control.c -- structured control flow, calls, drop and select.
 *
 * A block or if gets its continuation block and one phi per result when it opens; every
 * branch to its label adds incoming values from the branching block, and `end` adds the
 * fall-through. A loop gets a header with one phi per parameter, which branches to its label
 * feed. If nothing reaches a continuation, it is deleted and the code after it is dead (the
 * driver skips dead code). The function body is frame 0, whose continuation returns, so
 * `return` is a branch to the outermost label. Multiple results are returned as a literal
 * struct of the result types (LLVM demotes large ones to sret on each target).
 */
#include <string.h>

#include "lower.h"

/* The parameter and result types of a block type. one holds a single value type. */
static void block_sig(lower_ctx *c, const wasm_instr *ins, wasm_valtype *one, uint32_t *np,
                      const wasm_valtype **params, uint32_t *nr, const wasm_valtype **results)
{
    *np = 0;
    *params = NULL;
    *nr = 0;
    *results = NULL;
    switch (ins->u.block.kind) {
    case WASM_BT_EMPTY:
        break;
    case WASM_BT_VALUE:
        *one = ins->u.block.value;
        *nr = 1;
        *results = one;
        break;
    default: {
        const wasm_functype *ft = &c->u->m->types[ins->u.block.type_index];
        *np = ft->param_count;
        *params = ft->params;
        *nr = ft->result_count;
        *results = ft->results;
        break;
    }
    }
}

static bool out_of_memory(lower_ctx *c)
{
    return kiln_diag_set(c->u->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
}

/* n phis of the given types at the top of bb (which is still empty). */
static bool make_phis(lower_ctx *c, LLVMBasicBlockRef bb, const wasm_valtype *types, uint32_t n,
                      LLVMValueRef **out)
{
    *out = NULL;
    if (n == 0)
        return true;
    LLVMValueRef *phis = ARENA_ARRAY(&c->u->scratch, LLVMValueRef, n);
    if (!phis)
        return out_of_memory(c);
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(c->b);
    LLVMPositionBuilderAtEnd(c->b, bb);
    for (uint32_t i = 0; i < n; i++)
        phis[i] = LLVMBuildPhi(c->b, lower_valtype(c->u, types[i]), "");
    LLVMPositionBuilderAtEnd(c->b, saved);
    *out = phis;
    return true;
}

static lower_frame *push_frame(lower_ctx *c, lower_frame_kind kind, uint32_t np, uint32_t nr)
{
    KILN_ASSERT(c->depth < c->frame_cap && c->sp >= np);
    lower_frame *f = &c->frames[c->depth++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->param_count = np;
    f->result_count = nr;
    f->height = c->sp - np;
    return f;
}

static lower_frame *label_frame(lower_ctx *c, uint32_t label)
{
    KILN_ASSERT(label < c->depth);
    return &c->frames[c->depth - 1 - label];
}

static LLVMBasicBlockRef label_block(const lower_frame *f)
{
    return f->kind == FRAME_LOOP ? f->loop_bb : f->end_bb;
}

/* The number of values a branch to f's label carries. */
static uint32_t label_arity(const lower_frame *f)
{
    return f->kind == FRAME_LOOP ? f->param_count : f->result_count;
}

/* Adds vals (label_arity of them), carried by a branch from the current block to f's label,
 * to the label's phis. Call once per CFG edge. */
static void label_incoming_vals(lower_ctx *c, lower_frame *f, LLVMValueRef *vals)
{
    LLVMBasicBlockRef from = LLVMGetInsertBlock(c->b);
    bool loop = f->kind == FRAME_LOOP;
    LLVMValueRef *phis = loop ? f->loop_phis : f->end_phis;
    for (uint32_t i = 0; i < label_arity(f); i++)
        LLVMAddIncoming(phis[i], &vals[i], &from, 1);
    if (!loop)
        f->end_preds++;
}

/* The same for the values on top of the stack. */
static void label_incoming(lower_ctx *c, lower_frame *f)
{
    label_incoming_vals(c, f, lower_top(c, label_arity(f)));
}

static uint32_t frame_index(const lower_ctx *c, const lower_frame *f)
{
    return (uint32_t)(f - c->frames);
}

static void drop_held(lower_ctx *c, uint32_t from);
static bool holds_any(const lower_ctx *c, uint32_t from);

/* A branch from the current block to f's label, which leaves the frames above f (and f, if
 * it is not a loop): handlers among them drop the exceptions they hold. */
static void branch_to(lower_ctx *c, lower_frame *f)
{
    drop_held(c, frame_index(c, f));
    label_incoming(c, f);
    LLVMBuildBr(c->b, label_block(f));
}

/* The block a conditional branch from the current block to f's label goes to, with the
 * values on top of the stack: the label's own, or one that first drops the exceptions of the
 * handlers the branch leaves. */
static LLVMBasicBlockRef edge_to(lower_ctx *c, lower_frame *f)
{
    if (!holds_any(c, frame_index(c, f))) {
        label_incoming(c, f);
        return label_block(f);
    }
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef leave = LLVMAppendBasicBlockInContext(c->u->ctx, c->fn, "leave");
    LLVMPositionBuilderAtEnd(c->b, leave);
    branch_to(c, f);
    LLVMPositionBuilderAtEnd(c->b, saved);
    return leave;
}

static LLVMValueRef is_true(lower_ctx *c, LLVMValueRef i32)
{
    return LLVMBuildICmp(c->b, LLVMIntNE, i32, LLVMConstNull(c->u->t_i32), "");
}

/* Values a branch, return or unreachable left on the stack of frame f are discarded at its
 * end (or else). Their loads still trap: every load of Wasm memory is anchored (lower_load). */
static void drop_abandoned(lower_ctx *c, const lower_frame *f)
{
    c->sp = f->height;
}

bool lower_func_frame(lower_ctx *c)
{
    const wasm_functype *ft = c->type;
    lower_frame *f = push_frame(c, FRAME_FUNC, 0, ft->result_count);
    f->end_bb = LLVMAppendBasicBlockInContext(c->u->ctx, c->fn, "return");
    return make_phis(c, f->end_bb, ft->results, ft->result_count, &f->end_phis);
}

bool lower_nop(lower_ctx *c, const wasm_instr *ins, int arg)
{
    return true;
}

bool lower_unreachable(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMBuildBr(c->b, lower_trap_block(c, KILN_TRAP_UNREACHABLE));
    c->unreachable = true;
    return true;
}

bool lower_block(lower_ctx *c, const wasm_instr *ins, int arg)
{
    wasm_valtype one;
    uint32_t np, nr;
    const wasm_valtype *params, *results;
    block_sig(c, ins, &one, &np, &params, &nr, &results);
    lower_frame *f = push_frame(c, FRAME_BLOCK, np, nr);
    f->end_bb = LLVMAppendBasicBlockInContext(c->u->ctx, c->fn, "block.end");
    return make_phis(c, f->end_bb, results, nr, &f->end_phis);
}

bool lower_loop(lower_ctx *c, const wasm_instr *ins, int arg)
{
    wasm_valtype one;
    uint32_t np, nr;
    const wasm_valtype *params, *results;
    block_sig(c, ins, &one, &np, &params, &nr, &results);
    lower_frame *f = push_frame(c, FRAME_LOOP, np, nr);
    f->loop_bb = lower_new_block(c, "loop");
    if (!make_phis(c, f->loop_bb, params, np, &f->loop_phis))
        return false;
    branch_to(c, f); /* the entry edge carries the parameters */
    LLVMPositionBuilderAtEnd(c->b, f->loop_bb);
    c->sp = f->height;
    for (uint32_t i = 0; i < np; i++)
        lower_push(c, f->loop_phis[i]);
    return true;
}

bool lower_if(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef cond = lower_pop(c);
    wasm_valtype one;
    uint32_t np, nr;
    const wasm_valtype *params, *results;
    block_sig(c, ins, &one, &np, &params, &nr, &results);
    lower_frame *f = push_frame(c, FRAME_IF, np, nr);
    LLVMBasicBlockRef then_bb = lower_new_block(c, "if.then");
    f->else_bb = LLVMAppendBasicBlockInContext(c->u->ctx, c->fn, "if.else");
    f->end_bb = LLVMAppendBasicBlockInContext(c->u->ctx, c->fn, "if.end");
    if (!make_phis(c, f->end_bb, results, nr, &f->end_phis))
        return false;
    if (np > 0) {
        f->if_params = ARENA_ARRAY(&c->u->scratch, LLVMValueRef, np);
        if (!f->if_params)
            return out_of_memory(c);
        memcpy(f->if_params, lower_top(c, np), np * sizeof(LLVMValueRef));
    }
    LLVMBuildCondBr(c->b, is_true(c, cond), then_bb, f->else_bb);
    LLVMPositionBuilderAtEnd(c->b, then_bb);
    return true;
}

/* Starts the else arm of f: its parameters are the if's. */
static void enter_else(lower_ctx *c, lower_frame *f)
{
    LLVMMoveBasicBlockAfter(f->else_bb, LLVMGetInsertBlock(c->b));
    LLVMPositionBuilderAtEnd(c->b, f->else_bb);
    c->sp = f->height;
    for (uint32_t i = 0; i < f->param_count; i++)
        lower_push(c, f->if_params[i]);
    f->else_bb = NULL;
    f->kind = FRAME_ELSE;
    c->unreachable = false;
}

bool lower_else(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_frame *f = label_frame(c, 0);
    KILN_ASSERT(f->kind == FRAME_IF);
    if (!c->unreachable)
        branch_to(c, f);
    else
        drop_abandoned(c, f);
    enter_else(c, f);
    return true;
}

static void build_return(lower_ctx *c, LLVMValueRef *vals)
{
    lower_ret(c->u, c->b, c->fn, c->u->m->funcs[c->func_index].type_index, vals);
}

static bool close_dispatch(lower_ctx *c, uint32_t fi, uint32_t target);

bool lower_end(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_frame *f = label_frame(c, 0);
    /* A legacy try: an exception none of its catches took goes outward. */
    if ((f->eh == EH_TRY || f->eh == EH_CATCH) && f->next_test &&
        !close_dispatch(c, c->depth - 1, c->depth - 2))
        return false;
    if (f->kind == FRAME_LOOP) {
        /* A loop's label is its start: the results simply stay on the stack. */
        if (c->unreachable)
            drop_abandoned(c, f);
        c->depth--;
        return true;
    }
    if (!c->unreachable)
        branch_to(c, f);
    else
        drop_abandoned(c, f);
    if (f->kind == FRAME_IF) {
        /* No else arm: the parameters pass through as the results. */
        enter_else(c, f);
        branch_to(c, f);
    }
    c->sp = f->height;
    LLVMBasicBlockRef last = LLVMGetInsertBlock(c->b);
    if (f->end_preds == 0) {
        for (uint32_t i = 0; i < f->result_count; i++)
            LLVMInstructionEraseFromParent(f->end_phis[i]);
        LLVMDeleteBasicBlock(f->end_bb);
        c->unreachable = true;
    } else {
        LLVMMoveBasicBlockAfter(f->end_bb, last);
        LLVMPositionBuilderAtEnd(c->b, f->end_bb);
        for (uint32_t i = 0; i < f->result_count; i++)
            lower_push(c, f->end_phis[i]);
        c->unreachable = false;
        if (f->kind == FRAME_FUNC)
            build_return(c, lower_top(c, f->result_count));
    }
    c->depth--;
    return true;
}

bool lower_br(lower_ctx *c, const wasm_instr *ins, int arg)
{
    branch_to(c, label_frame(c, ins->u.index));
    c->unreachable = true;
    return true;
}

bool lower_return(lower_ctx *c, const wasm_instr *ins, int arg)
{
    branch_to(c, &c->frames[0]);
    c->unreachable = true;
    return true;
}

bool lower_br_if(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef cond = lower_pop(c);
    lower_frame *f = label_frame(c, ins->u.index);
    LLVMBasicBlockRef cont = lower_new_block(c, "br_if.cont");
    LLVMBuildCondBr(c->b, is_true(c, cond), edge_to(c, f), cont);
    LLVMPositionBuilderAtEnd(c->b, cont);
    return true;
}

/* br_on_null: branch with the values below the reference if it is null, else keep it.
 * br_on_non_null: branch with the values and the reference if it is not null, else drop it. */
bool lower_br_on_null(lower_ctx *c, const wasm_instr *ins, int arg)
{
    bool on_null = ins->op == WASM_OP_BR_ON_NULL;
    LLVMValueRef ref = lower_top(c, 1)[0];
    if (on_null)
        c->sp--;
    lower_frame *f = label_frame(c, ins->u.index);
    LLVMBasicBlockRef cont =
        lower_new_block(c, on_null ? "br_on_null.cont" : "br_on_non_null.cont");
    LLVMBasicBlockRef taken = edge_to(c, f);
    LLVMValueRef is_null = LLVMBuildIsNull(c->b, ref, "");
    if (on_null) {
        LLVMBuildCondBr(c->b, is_null, taken, cont);
        LLVMPositionBuilderAtEnd(c->b, cont);
        lower_push(c, ref);
    } else {
        LLVMBuildCondBr(c->b, is_null, cont, taken);
        LLVMPositionBuilderAtEnd(c->b, cont);
        c->sp--;
    }
    return true;
}

bool lower_br_table(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef index = lower_pop(c);
    uint32_t def = ins->u.br_table.default_target;
    lower_frame *fd = label_frame(c, def);
    uint32_t cases = 0;
    for (uint32_t i = 0; i < ins->u.br_table.count; i++)
        cases += ins->u.br_table.targets[i] != def;
    LLVMValueRef sw = LLVMBuildSwitch(c->b, index, edge_to(c, fd), cases);
    /* One incoming value per switch edge, as LLVM requires; cases that go to the default
     * label are left to the default edge. */
    for (uint32_t i = 0; i < ins->u.br_table.count; i++) {
        uint32_t label = ins->u.br_table.targets[i];
        if (label == def)
            continue;
        LLVMAddCase(sw, lower_i32(c->u, i), edge_to(c, label_frame(c, label)));
    }
    c->unreachable = true;
    return true;
}

bool lower_emit_call(lower_ctx *c, uint32_t type_index, LLVMValueRef callee,
                     LLVMValueRef callee_vmctx, bool tail)
{
    lower_unit *u = c->u;
    const wasm_functype *ft = &u->m->types[type_index];
    uint32_t n = ft->param_count;
    LLVMValueRef *args = lower_top(c, n);
    c->sp -= n;
    c->calls_wasm = true;
    if (tail) /* the call leaves every handler */
        drop_held(c, 0);
    /* The results land where the arguments were: the driver made room for them. */
    if (!lower_call_wasm(u, c->b, c->fn, type_index, u->m->funcs[c->func_index].type_index, callee,
                         callee_vmctx, args, tail, tail ? NULL : lower_unwind_dest(c),
                         c->stack + c->sp))
        return false;
    if (tail) {
        c->unreachable = true;
        return true;
    }
    lower_memory_reload(c); /* bounds-checked: the callee may have grown (moved) memory */
    c->sp += ft->result_count;
    return true;
}

/* call and, with arg 1, return_call. */
bool lower_call(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    bool tail = arg != 0;
    uint32_t f = ins->u.index;
    uint32_t type_index = u->m->funcs[f].type_index;
    if (f < u->m->func_import_count && u->sealed[f] && u->funcs[f]) {
        /* Sealed: its adapter calls the C function; direct, so LLVM may inline it. */
        return lower_emit_call(c, type_index, u->funcs[f], c->vmctx, tail);
    }
    if (f < u->m->func_import_count) {
        /* Through the import slot: {code, vmctx}, fixed at instantiation. */
        uint64_t slot = u->layout.imports + (uint64_t)f * sizeof(kiln_import_slot);
        LLVMValueRef code =
            lower_load(c, u->t_ptr, lower_vmctx_ptr(c, slot + offsetof(kiln_import_slot, code)),
                       ALIAS_VMCTX, true);
        LLVMValueRef vm =
            lower_load(c, u->t_ptr, lower_vmctx_ptr(c, slot + offsetof(kiln_import_slot, vmctx)),
                       ALIAS_VMCTX, true);
        return lower_emit_call(c, type_index, code, vm, tail);
    }
    const lower_mul128 *mul128 = lower_mul128_of(u, f);
    if (mul128 != NULL) {
        lower_mul128_call(c, mul128);
        if (tail) { /* no results: return_call's caller has none either */
            drop_held(c, 0);
            lower_ret(u, c->b, c->fn, u->m->funcs[c->func_index].type_index, NULL);
            c->unreachable = true;
        }
        return true;
    }
    /* A tail call goes to the function itself: the entry's test in front of it would leave
     * the call out of tail position. */
    LLVMValueRef libc = tail ? NULL : lower_libc_entry(u, f);
    return lower_emit_call(c, type_index, libc ? libc : lower_func(u, f), c->vmctx, tail);
}

/* call_indirect and, with arg 1, return_call_indirect. */
bool lower_call_indirect(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    bool tail = arg != 0;
    uint32_t type_index = ins->u.call_indirect.type_index;
    LLVMValueRef index = lower_pop(c);
    LLVMValueRef table = lower_table_record(c, ins->u.call_indirect.table);
    /* A table that cannot grow (u->table_fixed) has the same size and elements array for the
     * whole call: LLVM may load them once, outside the loop that dispatches. */
    uint32_t t = ins->u.call_indirect.table;
    bool fixed = u->table_fixed[t];
    /* Such a table keeps the size it was created with, its declared minimum. */
    const wasm_limits *limits = &u->m->tables[t].type.limits;
    LLVMValueRef size =
        fixed && limits->min <= UINT32_MAX
            ? lower_i32(u, (uint32_t)limits->min)
            : lower_load(c, u->t_i32, lower_gep(c, table, lower_i64(u, offsetof(kiln_table, size))),
                         ALIAS_VMCTX, fixed);
    lower_trap_if(c, lower_table_index_oob(c, index, size), KILN_TRAP_UNDEFINED_ELEMENT);
    LLVMValueRef elems = lower_load(c, u->t_ptr, table, ALIAS_VMCTX, fixed);
    LLVMValueRef slot = lower_table_elem(c, elems, index);
    LLVMValueRef ref = lower_load(c, u->t_ptr, slot, ALIAS_TABLE, false);
    lower_trap_if(c, LLVMBuildIsNull(c->b, ref, ""), KILN_TRAP_UNINITIALIZED);
    /* Canonical signature ids: equal signatures have equal ids across every module. A
     * function reference record is written once, at instantiation (runtime/instance.c), so
     * its fields are invariant. */
    LLVMValueRef sig =
        lower_load(c, u->t_i32, lower_gep(c, ref, lower_i64(u, offsetof(kiln_funcref, sig))),
                   ALIAS_VMCTX, true);
    LLVMValueRef want =
        lower_load(c, u->t_i32,
                   lower_vmctx_ptr(c, u->layout.sig_ids + (uint64_t)type_index * sizeof(uint32_t)),
                   ALIAS_VMCTX, true);
    lower_trap_if(c, LLVMBuildICmp(c->b, LLVMIntNE, sig, want, ""), KILN_TRAP_INDIRECT_TYPE);
    LLVMValueRef code = lower_load(c, u->t_ptr, ref, ALIAS_VMCTX, true);
    LLVMValueRef vm =
        lower_load(c, u->t_ptr, lower_gep(c, ref, lower_i64(u, offsetof(kiln_funcref, vmctx))),
                   ALIAS_VMCTX, true);
    return lower_emit_call(c, type_index, code, vm, tail);
}

/* call_ref and, with arg 1, return_call_ref: the validator typed the reference with the
 * callee's type, so there is no signature to check, only null. */
bool lower_call_ref(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    LLVMValueRef ref = lower_pop(c);
    lower_trap_if(c, LLVMBuildIsNull(c->b, ref, ""), KILN_TRAP_NULL_FUNC_REF);
    LLVMValueRef code = lower_load(c, u->t_ptr, ref, ALIAS_VMCTX, false);
    LLVMValueRef vm =
        lower_load(c, u->t_ptr, lower_gep(c, ref, lower_i64(u, offsetof(kiln_funcref, vmctx))),
                   ALIAS_VMCTX, false);
    return lower_emit_call(c, ins->u.index, code, vm, arg != 0);
}

/*
 * Exceptions (abi.h). Calls inside a frame that handles exceptions are invokes whose landing
 * pad leads to the frame's handling; every other call stays a call, so nothing costs
 * anything until a throw. Three kinds of frame handle them (lower_eh):
 *  - a try_table with catch clauses: its tag tests compare the exception's tag with each
 *    clause's in order and branch to the clause's label with the exception's values (and the
 *    exception itself for catch_ref, catch_all_ref);
 *  - a legacy try, in its body: the same tests, one added by each catch as lowering reaches
 *    it, each going to the handler code that follows the catch, which holds the exception
 *    (a handler may rethrow it) until it is left;
 *  - a legacy try in a handler: its calls' landing pad drops the held exception (the runtime
 *    frees it unless it is the one unwinding: a rethrow) and goes on outward. Every normal
 *    way out of a handler (its end, a branch out, a tail call) drops it too.
 * An exception no test of a frame takes goes outward: to the next such frame in the same
 * function (route), or the landing pad resumes unwinding in the caller. delegate l sends the
 * exceptions of its try's body to the frame at label l, as if thrown there.
 */

bool lower_try_table(lower_ctx *c, const wasm_instr *ins, int arg)
{
    if (!lower_block(c, ins, arg))
        return false;
    lower_frame *f = label_frame(c, 0);
    f->catches = ins->u.block.catches;
    f->catch_count = ins->u.block.catch_count;
    if (f->catch_count > 0)
        f->eh = EH_TRY_TABLE;
    return true;
}

bool lower_try(lower_ctx *c, const wasm_instr *ins, int arg)
{
    if (!lower_block(c, ins, arg))
        return false;
    label_frame(c, 0)->eh = EH_TRY;
    return true;
}

/* A pointer into vmctx's tag array: tag x's record (as the landing pad and throw compare). */
static LLVMValueRef tag_record(lower_ctx *c, uint32_t x)
{
    lower_unit *u = c->u;
    return lower_load(c, u->t_ptr,
                      lower_vmctx_ptr(c, u->layout.tags + (uint64_t)x * sizeof(kiln_ptr64)),
                      ALIAS_VMCTX, true);
}

static LLVMValueRef personality(lower_unit *u)
{
    const char *name = "kiln_eh_personality";
    LLVMValueRef fn = LLVMGetNamedFunction(u->mod, name);
    if (fn)
        return fn;
    LLVMTypeRef params[] = {u->t_i32, u->t_i32, u->t_i64, u->t_ptr, u->t_ptr};
    return LLVMAddFunction(u->mod, name, LLVMFunctionType(u->t_i32, params, 5, false));
}

static LLVMTypeRef lp_type(lower_unit *u)
{
    LLVMTypeRef fields[] = {u->t_ptr, u->t_i32};
    return LLVMStructTypeInContext(u->ctx, fields, 2, false);
}

/* Whether frame f does something with exceptions thrown inside it at this point. */
static bool handles(const lower_frame *f)
{
    return f->eh == EH_TRY_TABLE || f->eh == EH_TRY || (f->eh == EH_CATCH && f->held);
}

static bool build_dispatch(lower_ctx *c, uint32_t fi);
static bool build_cleanup(lower_ctx *c, uint32_t fi);

/* Adds an edge carrying lp from the current block to what frame fi does with exceptions
 * (made on first use) and branches there. */
static bool to_handling(lower_ctx *c, uint32_t fi, LLVMValueRef lp)
{
    lower_frame *f = &c->frames[fi];
    LLVMBasicBlockRef from = LLVMGetInsertBlock(c->b);
    if (f->eh == EH_CATCH) {
        if (!f->cleanup && !build_cleanup(c, fi))
            return false;
        LLVMAddIncoming(f->cleanup_lp, &lp, &from, 1);
        LLVMBuildBr(c->b, f->cleanup);
    } else {
        if (!f->dispatch && !build_dispatch(c, fi))
            return false;
        LLVMAddIncoming(f->dispatch_lp, &lp, &from, 1);
        LLVMBuildBr(c->b, f->dispatch);
    }
    return true;
}

/* Sends the exception of landingpad value lp, at the current position, to the innermost of
 * frames [0, count) that handles exceptions, or resumes unwinding in the caller. */
static bool route(lower_ctx *c, uint32_t count, LLVMValueRef lp)
{
    for (uint32_t i = count; i-- > 0;)
        if (handles(&c->frames[i]))
            return to_handling(c, i, lp);
    LLVMBuildResume(c->b, lp);
    return true;
}

/* Opens the dispatch block of frame fi: the landingpad value's phi, the exception, its tag. */
static void open_dispatch(lower_ctx *c, lower_frame *f)
{
    lower_unit *u = c->u;
    f->dispatch = LLVMAppendBasicBlockInContext(u->ctx, c->fn, "catch.dispatch");
    LLVMPositionBuilderAtEnd(c->b, f->dispatch);
    f->dispatch_lp = LLVMBuildPhi(c->b, lp_type(u), "lp");
    LLVMValueRef header = LLVMBuildExtractValue(c->b, f->dispatch_lp, 0, "");
    f->exn = lower_rt_call(c, RT_EXN_GET, &header, 1);
    f->tag = LLVMBuildLoad2(c->b, u->t_ptr, f->exn, "tag");
}

/* Adds to the tag tests of frame f (positioned at their end) the test of catch clause kind
 * (any for catch_all) with tag x, and returns the block the clause's code starts in, where
 * the builder is left; the tests go on at f->next_test (NULL after a catch-all). */
static LLVMBasicBlockRef add_test(lower_ctx *c, lower_frame *f, bool all, uint32_t x)
{
    lower_unit *u = c->u;
    LLVMBasicBlockRef take = LLVMAppendBasicBlockInContext(u->ctx, c->fn, "catch");
    f->next_test = NULL;
    if (all) {
        LLVMBuildBr(c->b, take);
    } else {
        f->next_test = LLVMAppendBasicBlockInContext(u->ctx, c->fn, "catch.next");
        LLVMValueRef want = tag_record(c, x);
        LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, f->tag, want, ""), take, f->next_test);
    }
    LLVMPositionBuilderAtEnd(c->b, take);
    return take;
}

/* The values of tag x's exception exn, loaded into vals (the tag's parameter count). */
static void load_values(lower_ctx *c, LLVMValueRef exn, uint32_t x, LLVMValueRef *vals)
{
    lower_unit *u = c->u;
    const wasm_functype *ft = &u->m->types[u->m->tags[x].type_index];
    for (uint32_t i = 0; i < ft->param_count; i++)
        vals[i] = LLVMBuildLoad2(c->b, lower_valtype(u, ft->params[i]),
                                 lower_gep(c, exn, lower_i64(u, KILN_EXN_VALUES + 16 * i)), "");
}

static void exn_caught(lower_ctx *c, LLVMValueRef exn, uint32_t how)
{
    LLVMValueRef args[] = {c->vmctx, exn, lower_i32(c->u, how)};
    lower_rt_call(c, RT_EXN_CAUGHT, args, 3);
}

/* The dispatch of frame fi: a try_table's tests are all known now, a legacy try's are added
 * by its catches (lower_catch) and closed at its end or delegate (close_dispatch). */
static bool build_dispatch(lower_ctx *c, uint32_t fi)
{
    lower_unit *u = c->u;
    const wasm_module *m = u->m;
    lower_frame *f = &c->frames[fi];
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(c->b);
    open_dispatch(c, f);
    f->next_test = f->dispatch;
    if (f->eh == EH_TRY) {
        LLVMPositionBuilderAtEnd(c->b, saved);
        return true;
    }
    for (uint32_t k = 0; k < f->catch_count && f->next_test; k++) {
        const wasm_catch *cl = &f->catches[k];
        lower_frame *target = &c->frames[fi - 1 - cl->label]; /* labels from outside */
        bool all = cl->kind == WASM_CATCH_ALL || cl->kind == WASM_CATCH_ALL_REF;
        bool ref = cl->kind == WASM_CATCH_REF || cl->kind == WASM_CATCH_ALL_REF;
        add_test(c, f, all, cl->tag);
        uint32_t n = (all ? 0 : m->types[m->tags[cl->tag].type_index].param_count) + ref;
        LLVMValueRef *vals = n ? ARENA_ARRAY(&u->scratch, LLVMValueRef, n) : NULL;
        if (n && !vals)
            return out_of_memory(c);
        if (!all)
            load_values(c, f->exn, cl->tag, vals);
        if (ref)
            vals[n - 1] = f->exn;
        exn_caught(c, f->exn, ref ? KILN_EXN_REF : KILN_EXN_CATCH);
        label_incoming_vals(c, target, vals);
        LLVMBuildBr(c->b, label_block(target));
        if (f->next_test) /* the next clause starts where this one's tag did not match */
            LLVMPositionBuilderAtEnd(c->b, f->next_test);
    }
    bool ok = !f->next_test || route(c, fi, f->dispatch_lp);
    f->next_test = NULL;
    LLVMPositionBuilderAtEnd(c->b, saved);
    return ok;
}

/* Ends the tag tests of legacy try frame fi, if still open: an exception no catch took goes
 * to the frame at index target (delegate), or outward (end). */
static bool close_dispatch(lower_ctx *c, uint32_t fi, uint32_t target)
{
    lower_frame *f = &c->frames[fi];
    if (!f->next_test)
        return true;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(c->b);
    LLVMPositionBuilderAtEnd(c->b, f->next_test);
    f->next_test = NULL;
    bool ok = route(c, target + 1, f->dispatch_lp);
    LLVMPositionBuilderAtEnd(c->b, saved);
    return ok;
}

/* What an exception thrown in a handler of frame fi does on its way out: the handler drops
 * the exception it holds, then the exception goes outward. */
static bool build_cleanup(lower_ctx *c, uint32_t fi)
{
    lower_unit *u = c->u;
    lower_frame *f = &c->frames[fi];
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(c->b);
    f->cleanup = LLVMAppendBasicBlockInContext(u->ctx, c->fn, "catch.cleanup");
    LLVMPositionBuilderAtEnd(c->b, f->cleanup);
    f->cleanup_lp = LLVMBuildPhi(c->b, lp_type(u), "lp");
    LLVMValueRef header = LLVMBuildExtractValue(c->b, f->cleanup_lp, 0, "");
    LLVMValueRef args[] = {f->held, lower_rt_call(c, RT_EXN_GET, &header, 1)};
    lower_rt_call(c, RT_EXN_DROP, args, 2);
    bool ok = route(c, fi, f->cleanup_lp);
    LLVMPositionBuilderAtEnd(c->b, saved);
    return ok;
}

/* A landing pad (stored in *out) that takes every Kiln exception to frame fi's handling. */
static bool build_lpad(lower_ctx *c, uint32_t fi, LLVMBasicBlockRef *out)
{
    lower_unit *u = c->u;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(c->b);
    *out = LLVMAppendBasicBlockInContext(u->ctx, c->fn, "lpad");
    LLVMPositionBuilderAtEnd(c->b, *out);
    LLVMValueRef lp = LLVMBuildLandingPad(c->b, lp_type(u), personality(u), 1, "");
    LLVMAddClause(lp, LLVMConstNull(u->t_ptr)); /* catches everything: the tags are tested */
    /* ... and is a cleanup too: else LLVM takes the resume after the tests for unreachable (a
     * catching landing pad cannot resume, for C++) and deletes it with the tests */
    LLVMSetCleanup(lp, 1);
    bool ok = to_handling(c, fi, lp);
    LLVMPositionBuilderAtEnd(c->b, saved);
    return ok;
}

LLVMBasicBlockRef lower_unwind_dest(lower_ctx *c)
{
    for (uint32_t i = c->depth; i-- > 0;) {
        lower_frame *f = &c->frames[i];
        if (!handles(f))
            continue;
        LLVMBasicBlockRef *pad = f->eh == EH_CATCH ? &f->cleanup_lpad : &f->lpad;
        if (!*pad && !build_lpad(c, i, pad))
            return NULL;
        return *pad;
    }
    return NULL;
}

/* Drops the exceptions held by the handlers among frames [from, depth), which the code at
 * the current position leaves normally. */
static void drop_held(lower_ctx *c, uint32_t from)
{
    for (uint32_t i = c->depth; i-- > from;) {
        lower_frame *f = &c->frames[i];
        if (f->eh == EH_CATCH && f->held) {
            LLVMValueRef args[] = {f->held, LLVMConstNull(c->u->t_ptr)};
            lower_rt_call(c, RT_EXN_DROP, args, 2);
        }
    }
}

static bool holds_any(const lower_ctx *c, uint32_t from)
{
    for (uint32_t i = from; i < c->depth; i++)
        if (c->frames[i].eh == EH_CATCH && c->frames[i].held)
            return true;
    return false;
}

/* catch x and catch_all: the previous part of the try (its body or a handler) ends as an if's
 * then arm does at else; the handler starts where the new tag test takes the exception,
 * holding it, with catch x's values. Without a dispatch (no call in the body may throw)
 * nothing reaches the handler. */
bool lower_catch(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_frame *f = label_frame(c, 0);
    KILN_ASSERT(f->eh == EH_TRY || f->eh == EH_CATCH);
    if (!c->unreachable)
        branch_to(c, f);
    c->sp = f->height;
    f->eh = EH_CATCH;
    f->held = NULL;
    f->cleanup_lpad = NULL; /* handlers share no landing pad: */
    f->cleanup = NULL;      /* each drops what it holds */
    if (!f->next_test) {
        c->unreachable = true;
        return true;
    }
    bool all = ins->op == WASM_OP_CATCH_ALL;
    LLVMPositionBuilderAtEnd(c->b, f->next_test);
    LLVMBasicBlockRef take = add_test(c, f, all, all ? 0 : ins->u.index);
    LLVMMoveBasicBlockAfter(take, LLVMGetLastBasicBlock(c->fn));
    if (!all) {
        const wasm_module *m = c->u->m;
        load_values(c, f->exn, ins->u.index, c->stack + c->sp);
        c->sp += m->types[m->tags[ins->u.index].type_index].param_count;
    }
    exn_caught(c, f->exn, KILN_EXN_HOLD);
    f->held = f->exn;
    c->unreachable = false;
    return true;
}

/* delegate l: the try ends; exceptions of its body go to the frame at label l (counted from
 * outside the try) as if thrown there. */
bool lower_delegate(lower_ctx *c, const wasm_instr *ins, int arg)
{
    uint32_t fi = c->depth - 1;
    KILN_ASSERT(ins->u.index < fi);
    if (!close_dispatch(c, fi, fi - 1 - ins->u.index))
        return false;
    return lower_end(c, ins, arg);
}

/* rethrow l: the exception the handler at label l holds, raised again. */
bool lower_rethrow(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_frame *f = label_frame(c, ins->u.index);
    KILN_ASSERT(f->eh == EH_CATCH && f->held);
    LLVMValueRef fn = lower_rt_decl(c->u, RT_THROW_REF);
    LLVMValueRef args[] = {c->vmctx, f->held};
    lower_call_may_throw(c, LLVMGlobalGetValueType(fn), fn, args, 2);
    LLVMBuildUnreachable(c->b);
    c->unreachable = true;
    return true;
}

LLVMValueRef lower_call_may_throw(lower_ctx *c, LLVMTypeRef fty, LLVMValueRef fn,
                                  LLVMValueRef *args, unsigned n)
{
    return lower_build_call(c->u, c->b, c->fn, fty, fn, args, n, lower_unwind_dest(c));
}

/* throw x: the tag's parameters go to the runtime in 16-byte slots; throw_ref: the exnref. */
bool lower_throw(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    const wasm_module *m = u->m;
    LLVMValueRef fn;
    if (ins->op == WASM_OP_THROW_REF) {
        LLVMValueRef exn = lower_pop(c);
        fn = lower_rt_decl(u, RT_THROW_REF);
        LLVMValueRef args[] = {c->vmctx, exn};
        lower_call_may_throw(c, LLVMGlobalGetValueType(fn), fn, args, 2);
    } else {
        const wasm_functype *ft = &m->types[m->tags[ins->u.index].type_index];
        uint32_t n = ft->param_count;
        LLVMValueRef buf = LLVMConstNull(u->t_ptr);
        if (n) {
            buf = lower_entry_alloca(u, c->fn, LLVMArrayType2(u->t_i64, 2 * (uint64_t)n),
                                     "throw.values");
            LLVMSetAlignment(buf, 16);
            LLVMValueRef *vals = lower_top(c, n);
            for (uint32_t i = 0; i < n; i++) {
                LLVMValueRef st = LLVMBuildStore(c->b, vals[i],
                                                 lower_gep(c, buf, lower_i64(u, 16 * (uint64_t)i)));
                LLVMSetAlignment(st, 8);
            }
            c->sp -= n;
        }
        fn = lower_rt_decl(u, RT_THROW);
        LLVMValueRef args[] = {c->vmctx, tag_record(c, ins->u.index), buf};
        lower_call_may_throw(c, LLVMGlobalGetValueType(fn), fn, args, 3);
    }
    LLVMBuildUnreachable(c->b);
    c->unreachable = true;
    return true;
}

bool lower_drop(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_pop(c); /* its loads still trap: lower_load anchors them */
    return true;
}

bool lower_select(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef cond = lower_pop(c);
    LLVMValueRef b = lower_pop(c);
    LLVMValueRef a = lower_pop(c);
    lower_push(c, LLVMBuildSelect(c->b, is_true(c, cond), a, b, ""));
    return true;
}
