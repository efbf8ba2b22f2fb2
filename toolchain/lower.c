/* lower.c -- lowers a validated module to LLVM IR: the per-function driver and the helpers
 * the lowering families (lower_control.c, lower_numeric.c, lower_memory.c,
 * lower_variable.c, lower_simd.c) share; lower_module.c emits everything outside function bodies.
 *
 * One pass over each body with a stack of LLVM values and a stack of control frames. Locals
 * are allocas in the entry block (mem2reg promotes them); the entry block also loads memory
 * 0's base once (invariant: in guard-page mode it never moves; bounds-checked mode keeps base
 * and size in two more allocas, reloaded after calls and memory.grow) and checks the stack pointer
 * against vmctx->stack_limit. A function proven to be a 64x64->128 multiply helper (__multi3) is
 * lowered as one `mul i128` instead ("Idiom" below). Each instruction dispatches through
 * lower_table[], built from lower.def; instructions in unreachable code are skipped, counting only
 * nesting. Trap blocks are created lazily, one per trap kind per function, and moved to the end of
 * the function. Called by compile.c through lower_module(), once per part of the module
 * (partition.c); the module must have passed kiln_validate.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lower.h"

static const struct {
    lower_fn fn;
    int arg;
} lower_table[WASM_OP_COUNT] = {
#define LOWER(ID, HANDLER, ARG) [WASM_OP_##ID] = {HANDLER, (int)(ARG)},
#include "lower.def"
#undef LOWER
};

static const char *const intr_names[INTR_COUNT] = {
    [INTR_CTLZ] = "llvm.ctlz",
    [INTR_CTTZ] = "llvm.cttz",
    [INTR_CTPOP] = "llvm.ctpop",
    [INTR_FABS] = "llvm.fabs",
    [INTR_CEIL] = "llvm.ceil",
    [INTR_FLOOR] = "llvm.floor",
    [INTR_TRUNC] = "llvm.trunc",
    [INTR_ROUNDEVEN] = "llvm.roundeven",
    [INTR_SQRT] = "llvm.sqrt",
    [INTR_MINIMUM] = "llvm.minimum",
    [INTR_MAXIMUM] = "llvm.maximum",
    [INTR_COPYSIGN] = "llvm.copysign",
    [INTR_FSHL] = "llvm.fshl",
    [INTR_FSHR] = "llvm.fshr",
    [INTR_FPTOSI_SAT] = "llvm.fptosi.sat",
    [INTR_FPTOUI_SAT] = "llvm.fptoui.sat",
    [INTR_STACKSAVE] = "llvm.stacksave",
    [INTR_ABS] = "llvm.abs",
    [INTR_SMIN] = "llvm.smin",
    [INTR_SMAX] = "llvm.smax",
    [INTR_UMIN] = "llvm.umin",
    [INTR_UMAX] = "llvm.umax",
    [INTR_SADD_SAT] = "llvm.sadd.sat",
    [INTR_UADD_SAT] = "llvm.uadd.sat",
    [INTR_SSUB_SAT] = "llvm.ssub.sat",
    [INTR_USUB_SAT] = "llvm.usub.sat",
    [INTR_UADD_OVF] = "llvm.uadd.with.overflow",
    [INTR_MEMCPY] = "llvm.memcpy",
    [INTR_MEMSET] = "llvm.memset",
};

/* abi.h's runtime functions. sig: result letter, then parameters:
 * v = void, p = pointer, i = i32, I = i64. */
static const struct {
    const char *name;
    const char *sig;
} rt_funcs[RT_COUNT] = {
    [RT_TRAP_RAISE] = {"kiln_trap_raise", "vpi"},
    [RT_HOST_CALL] = {"kiln_host_call", "vpip"},
    [RT_SEALED_RETURN] = {"kiln_sealed_return", "vpi"},
    [RT_MEMORY_GROW] = {"kiln_memory_grow", "IpiI"},
    [RT_MEMORY_INIT] = {"kiln_memory_init", "vpiiIii"},
    [RT_DATA_DROP] = {"kiln_data_drop", "vpi"},
    [RT_MEMORY_COPY] = {"kiln_memory_copy", "vpiiIII"},
    [RT_MEMORY_FILL] = {"kiln_memory_fill", "vpiIiI"},
    [RT_TABLE_GROW] = {"kiln_table_grow", "ipipi"},
    [RT_TABLE_FILL] = {"kiln_table_fill", "vpiipi"},
    [RT_TABLE_COPY] = {"kiln_table_copy", "vpiiiii"},
    [RT_TABLE_INIT] = {"kiln_table_init", "vpiiiii"},
    [RT_ELEM_DROP] = {"kiln_elem_drop", "vpi"},
    [RT_THROW] = {"kiln_throw", "vppp"},
    [RT_THROW_REF] = {"kiln_throw_ref", "vpp"},
    [RT_EXN_GET] = {"kiln_exn_get", "pp"},
    [RT_EXN_CAUGHT] = {"kiln_exn_caught", "vppi"},
    [RT_EXN_DROP] = {"kiln_exn_drop", "vpp"},
    [RT_ATOMIC_WAIT32] = {"kiln_atomic_wait32", "ipipiI"},
    [RT_ATOMIC_WAIT64] = {"kiln_atomic_wait64", "ipipII"},
    [RT_ATOMIC_NOTIFY] = {"kiln_atomic_notify", "ipipi"},
};

/*
 * Types, constants, intrinsics, runtime calls
 */

LLVMTypeRef lower_valtype(const lower_unit *u, wasm_valtype t)
{
    switch (wasm_valtype_repr(t)) {
    case WASM_VT_I32:
        return u->t_i32;
    case WASM_VT_I64:
        return u->t_i64;
    case WASM_VT_F32:
        return u->t_f32;
    case WASM_VT_F64:
        return u->t_f64;
    case WASM_VT_V128:
        return u->t_v128;
    case WASM_VT_FUNCREF:
    case WASM_VT_EXTERNREF:
    case WASM_VT_EXNREF:
    case WASM_VT_ANYREF:
        return u->t_ptr;
    default:
        KILN_ASSERT(!"unknown value type");
    }
}

LLVMTypeRef lower_letter_type(const lower_unit *u, char letter)
{
    switch (letter) {
    case 'i':
        return u->t_i32;
    case 'I':
        return u->t_i64;
    case 'f':
        return u->t_f32;
    case 'F':
        return u->t_f64;
    case 'v':
        return u->t_v128;
    default:
        KILN_ASSERT(!"unknown type letter");
    }
}

LLVMValueRef lower_i32(const lower_unit *u, uint32_t v)
{
    return LLVMConstInt(u->t_i32, v, false);
}

LLVMValueRef lower_i64(const lower_unit *u, uint64_t v)
{
    return LLVMConstInt(u->t_i64, v, false);
}

LLVMValueRef lower_intrinsic(lower_unit *u, lower_intr id, LLVMTypeRef *types, unsigned n,
                             LLVMTypeRef *out_type)
{
    const char *name = intr_names[id];
    unsigned iid = LLVMLookupIntrinsicID(name, strlen(name));
    KILN_ASSERT(iid != 0);
    *out_type = LLVMIntrinsicGetType(u->ctx, iid, types, n);
    return LLVMGetIntrinsicDeclaration(u->mod, iid, types, n);
}

LLVMValueRef lower_call_intr(lower_ctx *c, lower_intr id, LLVMTypeRef *types, unsigned ntypes,
                             LLVMValueRef *args, unsigned nargs)
{
    LLVMTypeRef fty;
    LLVMValueRef fn = lower_intrinsic(c->u, id, types, ntypes, &fty);
    return LLVMBuildCall2(c->b, fty, fn, args, nargs, "");
}

static LLVMTypeRef sig_letter_type(const lower_unit *u, char letter)
{
    switch (letter) {
    case 'v':
        return u->t_void;
    case 'p':
        return u->t_ptr;
    case 'i':
        return u->t_i32;
    case 'I':
        return u->t_i64;
    default:
        KILN_ASSERT(!"bad runtime signature letter");
    }
}

LLVMValueRef lower_rt_decl(lower_unit *u, lower_rt id)
{
    if (u->rt[id])
        return u->rt[id];
    const char *sig = rt_funcs[id].sig;
    LLVMTypeRef params[8];
    unsigned n = 0;
    for (const char *p = sig + 1; *p; p++) {
        KILN_ASSERT(n < KILN_ARRAY_LEN(params));
        params[n++] = sig_letter_type(u, *p);
    }
    LLVMTypeRef fty = LLVMFunctionType(sig_letter_type(u, sig[0]), params, n, false);
    LLVMValueRef fn = LLVMAddFunction(u->mod, rt_funcs[id].name, fty);
    unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
    /* The ones that raise exceptions: throw, throw_ref, and a host function's call or a
     * sealed import's failed return, which raise what the host function threw
     * (kiln_host_throw) or let through. */
    if (id != RT_THROW && id != RT_THROW_REF && id != RT_HOST_CALL && id != RT_SEALED_RETURN)
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(u->ctx, nounwind, 0));
    if (id == RT_TRAP_RAISE || id == RT_THROW || id == RT_THROW_REF || id == RT_SEALED_RETURN) {
        /* Never returns: trap blocks end in `unreachable`, and are cold. */
        static const char *const attrs[] = {"noreturn", "cold"};
        for (size_t i = 0; i < KILN_ARRAY_LEN(attrs); i++) {
            unsigned kind = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
            LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                    LLVMCreateEnumAttribute(u->ctx, kind, 0));
        }
    }
    u->rt[id] = fn;
    return fn;
}

LLVMValueRef lower_rt_call(lower_ctx *c, lower_rt id, LLVMValueRef *args, unsigned n)
{
    LLVMValueRef fn = lower_rt_decl(c->u, id);
    return LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, args, n, "");
}

/*
 * Value stack
 */

void lower_push(lower_ctx *c, LLVMValueRef v)
{
    KILN_ASSERT(c->sp < c->stack_cap);
    c->stack[c->sp++] = v;
}

LLVMValueRef lower_pop(lower_ctx *c)
{
    KILN_ASSERT(c->sp > 0);
    return c->stack[--c->sp];
}

LLVMValueRef *lower_top(lower_ctx *c, uint32_t n)
{
    KILN_ASSERT(c->sp >= n);
    return c->stack + (c->sp - n);
}

/*
 * vmctx and memory access
 */

LLVMValueRef lower_gep(lower_ctx *c, LLVMValueRef base, LLVMValueRef byte_offset)
{
    return LLVMBuildGEP2(c->b, c->u->t_i8, base, &byte_offset, 1, "");
}

LLVMValueRef lower_vmctx_ptr(lower_ctx *c, uint64_t offset)
{
    if (offset == 0)
        return c->vmctx;
    LLVMValueRef idx = lower_i64(c->u, offset);
    return LLVMBuildInBoundsGEP2(c->b, c->u->t_i8, c->vmctx, &idx, 1, "");
}

/* The innermost loop around the builder's position gets an llvm.sideeffect call at the top
 * of its header, once (LOWER_KEEP_TAG). */
static void keep_loop(lower_ctx *c)
{
    for (uint32_t d = c->depth; d > 0; d--) {
        lower_frame *f = &c->frames[d - 1];
        if (f->kind != FRAME_LOOP)
            continue;
        if (f->kept)
            return;
        LLVMBuilderRef b = LLVMCreateBuilderInContext(c->u->ctx);
        LLVMValueRef first = LLVMGetFirstInstruction(f->loop_bb);
        while (first && LLVMIsAPHINode(first))
            first = LLVMGetNextInstruction(first);
        if (first)
            LLVMPositionBuilderBefore(b, first);
        else
            LLVMPositionBuilderAtEnd(b, f->loop_bb);
        LLVMBuildCall2(b, c->u->sideeffect_type, c->u->sideeffect, NULL, 0, "");
        LLVMDisposeBuilder(b);
        f->kept = true;
        return;
    }
}

LLVMValueRef lower_load(lower_ctx *c, LLVMTypeRef t, LLVMValueRef ptr, lower_alias alias,
                        bool invariant)
{
    LLVMValueRef v = LLVMBuildLoad2(c->b, t, ptr, "");
    LLVMSetMetadata(v, c->u->md_tbaa, c->u->tbaa[alias]);
    if (invariant)
        LLVMSetMetadata(v, c->u->md_invariant,
                        LLVMMetadataAsValue(c->u->ctx, LLVMMDNodeInContext2(c->u->ctx, NULL, 0)));
    if (alias == ALIAS_MEMORY) {
        LLVMSetAlignment(v, 1); /* Wasm's alignment is a hint: accesses may be unaligned */
        /* Guard-page mode: the access itself is the bounds check, so it must happen even if
         * its value is never needed (LOWER_KEEP_TAG). Explicit checks trap on their own. */
        if (!c->u->bounds_checks && !c->u->relaxed_dead_loads) {
            LLVMOperandBundleRef keep =
                LLVMCreateOperandBundle(LOWER_KEEP_TAG, sizeof LOWER_KEEP_TAG - 1, &v, 1);
            LLVMValueRef yes = LLVMConstInt(c->u->t_i1, 1, false);
            LLVMBuildCallWithOperandBundles(c->b, c->u->assume_type, c->u->assume, &yes, 1, &keep,
                                            1, "");
            LLVMDisposeOperandBundle(keep);
            keep_loop(c);
        }
    }
    return v;
}

LLVMValueRef lower_store(lower_ctx *c, LLVMValueRef v, LLVMValueRef ptr, lower_alias alias)
{
    LLVMValueRef st = LLVMBuildStore(c->b, v, ptr);
    LLVMSetMetadata(st, c->u->md_tbaa, c->u->tbaa[alias]);
    if (alias == ALIAS_MEMORY)
        LLVMSetAlignment(st, 1);
    return st;
}

/*
 * Blocks and traps
 */

LLVMBasicBlockRef lower_new_block(lower_ctx *c, const char *name)
{
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(c->u->ctx, c->fn, name);
    if (cur)
        LLVMMoveBasicBlockAfter(bb, cur);
    return bb;
}

void lower_mark_unlikely(lower_ctx *c, LLVMValueRef br)
{
    LLVMSetMetadata(br, c->u->md_prof, c->u->unlikely);
}

static const char *const trap_block_names[KILN_TRAP_COUNT] = {
    [KILN_TRAP_UNREACHABLE] = "trap.unreachable",
    [KILN_TRAP_MEMORY_OOB] = "trap.memory_oob",
    [KILN_TRAP_INT_DIV_ZERO] = "trap.div_zero",
    [KILN_TRAP_INT_OVERFLOW] = "trap.int_overflow",
    [KILN_TRAP_BAD_CONVERSION] = "trap.bad_conversion",
    [KILN_TRAP_TABLE_OOB] = "trap.table_oob",
    [KILN_TRAP_UNDEFINED_ELEMENT] = "trap.undefined_element",
    [KILN_TRAP_UNINITIALIZED] = "trap.uninitialized",
    [KILN_TRAP_INDIRECT_TYPE] = "trap.indirect_type",
    [KILN_TRAP_STACK_EXHAUSTED] = "trap.stack_exhausted",
};

LLVMBasicBlockRef lower_trap_block(lower_ctx *c, kiln_trap trap)
{
    KILN_ASSERT(trap > KILN_TRAP_NONE && trap < KILN_TRAP_COUNT);
    if (c->trap_bb[trap])
        return c->trap_bb[trap];
    const char *name = trap_block_names[trap] ? trap_block_names[trap] : "trap";
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(c->u->ctx, c->fn, name);
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(c->b);
    LLVMPositionBuilderAtEnd(c->b, bb);
    LLVMValueRef args[2] = {c->vmctx, lower_i32(c->u, (uint32_t)trap)};
    lower_rt_call(c, RT_TRAP_RAISE, args, 2);
    LLVMBuildUnreachable(c->b);
    if (saved)
        LLVMPositionBuilderAtEnd(c->b, saved);
    c->trap_bb[trap] = bb;
    return bb;
}

void lower_trap_if(lower_ctx *c, LLVMValueRef cond, kiln_trap trap)
{
    LLVMBasicBlockRef trap_bb = lower_trap_block(c, trap);
    LLVMBasicBlockRef here = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef cont = lower_new_block(c, "");
    lower_mark_unlikely(c, LLVMBuildCondBr(c->b, cond, trap_bb, cont));
    LLVMPositionBuilderAtEnd(c->b, cont);
    /* cont runs only after here: what here's accesses vouch for holds in it (address facts,
     * lower_memory.c), so a bounds check does not end them. */
    for (uint32_t i = 0; i < c->fact_count; i++)
        if (c->facts[i].bb == here)
            c->facts[i].bb = cont;
}

/*
 * The per-function driver
 */

static bool grow_array(kiln_arena *a, void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n = n > UINT32_MAX / 2 ? need : n * 2;
    void *p = kiln_arena_array(a, n, elem, 16);
    if (!p)
        return false;
    if (*cap)
        memcpy(p, *arr, (size_t)*cap * elem);
    *arr = p;
    *cap = n;
    return true;
}

/* Memory 0's base (guard-page mode) or its record and base/size slots (bounds-checked mode).
 * A 64-bit memory 0 and the other memories are reached through their records at each access
 * (lower_memory.c: generic_address). */
static void lower_memory_setup(lower_ctx *c)
{
    lower_unit *u = c->u;
    if (u->m->memory_count == 0 || !wasm_memory_is_plain(u->m, 0))
        return;
    /* A shared memory's size changes under other threads: bounds checks read it each time. */
    if (u->bounds_checks && wasm_memory_is_shared(u->m, 0))
        return;
    if (u->bounds_checks) {
        /* The base may move when memory grows: kept in slots, reloaded after calls. */
        LLVMTypeRef size_type = u->ptr_size == 8 ? u->t_i64 : u->t_i32;
        c->mem_base_slot = LLVMBuildAlloca(c->b, u->t_ptr, "");
        c->mem_size_slot = LLVMBuildAlloca(c->b, size_type, "");
        c->mem_record =
            lower_load(c, u->t_ptr, lower_vmctx_ptr(c, KILN_VMCTX_MEMORY0), ALIAS_VMCTX, true);
        lower_memory_reload(c);
    } else {
        c->mem_base =
            lower_load(c, u->t_ptr, lower_vmctx_ptr(c, KILN_VMCTX_MEM0_BASE), ALIAS_VMCTX, true);
    }
}

/* Allocas for parameters and locals, the memory base, and the stack check. */
static bool lower_prologue(lower_ctx *c, const wasm_func *f)
{
    lower_unit *u = c->u;
    const wasm_functype *ft = c->type;
    uint64_t count = (uint64_t)ft->param_count + f->local_count;
    c->local_count = (uint32_t)count;
    c->locals = ARENA_ARRAY(&u->scratch, LLVMValueRef, count ? count : 1);
    c->local_types = ARENA_ARRAY(&u->scratch, wasm_valtype, count ? count : 1);
    c->local_versions = ARENA_ARRAY(&u->scratch, uint32_t, count ? count : 1);
    if (!c->locals || !c->local_types || !c->local_versions)
        return kiln_diag_set(u->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    memset(c->local_versions, 0, (count ? count : 1) * sizeof *c->local_versions);
    c->root_bases = ARENA_ARRAY(&u->scratch, LLVMValueRef, count ? count : 1);
    if (!c->root_bases)
        return kiln_diag_set(u->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    memset(c->root_bases, 0, (count ? count : 1) * sizeof *c->root_bases);

    uint32_t n = 0;
    for (uint32_t i = 0; i < ft->param_count; i++)
        c->local_types[n++] = ft->params[i];
    for (uint32_t g = 0; g < f->local_group_count; g++)
        for (uint32_t i = 0; i < f->local_groups[g].count; i++)
            c->local_types[n++] = f->local_groups[g].type;
    KILN_ASSERT(n == c->local_count);

    for (uint32_t i = 0; i < n; i++) {
        LLVMTypeRef t = lower_valtype(u, c->local_types[i]);
        c->locals[i] = LLVMBuildAlloca(c->b, t, "");
    }
    for (uint32_t i = 0; i < n; i++) {
        LLVMValueRef init = i < ft->param_count
                                ? lower_param(u, c->b, c->fn, f->type_index, i)
                                : LLVMConstNull(lower_valtype(u, c->local_types[i]));
        LLVMBuildStore(c->b, init, c->locals[i]);
    }

    lower_memory_setup(c);

    /* Stack exhaustion is a clean trap: the stack pointer against vmctx->stack_limit. */
    LLVMTypeRef ptr_type = u->t_ptr;
    LLVMValueRef sp = lower_call_intr(c, INTR_STACKSAVE, &ptr_type, 1, NULL, 0);
    /* On 32-bit hosts the limit (a u64 in vmctx) is below 2^32: its low word, the first on
     * these little-endian targets, compared in the pointer's width is one load and one
     * compare instead of a 64-bit subtract with borrow (10 bytes less per function on
     * Cortex-M). */
    LLVMTypeRef word = u->ptr_size == 4 ? u->t_i32 : u->t_i64;
    LLVMValueRef sp_int = LLVMBuildPtrToInt(c->b, sp, word, "");
    LLVMValueRef limit =
        lower_load(c, word, lower_vmctx_ptr(c, KILN_VMCTX_STACK_LIMIT), ALIAS_VMCTX, false);
    c->stack_check = LLVMBuildICmp(c->b, LLVMIntULT, sp_int, limit, "");
    lower_trap_if(c, c->stack_check, KILN_TRAP_STACK_EXHAUSTED);
    return true;
}

/* A function that calls no wasm code and whose body is at most this many bytes runs without
 * the prologue's stack check: it cannot recurse, so its frame is the only stack it takes below
 * its caller's checked one, and a frame of code this small stays far inside the headroom the
 * runtime keeps below the limit (at least KILN_MIN_STACK_HEADROOM, 16 KiB, docs/abi.md).
 * Calls into the host (imports, runtime helpers) run in that headroom anyway. The small
 * functions that object-oriented code calls by the million (accessors, methods) then need no
 * frame at all: no check, no trap path to align the stack for. */
#define LEAF_BODY_MAX 1024u

static void lower_leaf_check(lower_ctx *c, const wasm_func *f)
{
    if (c->calls_wasm || f->body.size > LEAF_BODY_MAX || c->stack_check == NULL)
        return;
    /* The check folds away; the optimiser deletes its loads and the trap block if nothing
     * else uses it. */
    LLVMValueRef cmp = c->stack_check;
    LLVMReplaceAllUsesWith(cmp, LLVMConstInt(LLVMInt1TypeInContext(c->u->ctx), 0, false));
    LLVMValueRef sp_int = LLVMGetOperand(cmp, 0), limit = LLVMGetOperand(cmp, 1);
    LLVMInstructionEraseFromParent(cmp);
    LLVMValueRef sp = LLVMGetOperand(sp_int, 0);
    LLVMInstructionEraseFromParent(sp_int);
    LLVMInstructionEraseFromParent(sp); /* llvm.stacksave: DCE would keep it */
    LLVMInstructionEraseFromParent(limit);
    c->stack_check = NULL;
}

/*
 * Idiom: 64x64->128 multiply helpers (__multi3)
 *
 * WebAssembly has no 64x64->128 multiply, so compilers lower `unsigned __int128` products to
 * calls of a helper, __multi3(ret, a_lo, a_hi, b_lo, b_hi), which stores the low 128 bits of
 * (a_hi:a_lo) * (b_hi:b_lo) at ret (low half) and ret + 8 (high half), computed from 32-bit
 * halves with 64-bit multiplies. LLVM inlines that body but never sees the one `mul i128`
 * behind it (ed25519: 166 imulq in Kiln's code, 40 mulq in clang's native build). A function
 * that idiom_mul128.c proves computes that product, whatever toolchain built it and however
 * it is encoded (the name section is untrusted and not consulted), is lowered as that
 * `mul i128` instead. The stores keep their order, addresses and offsets, so traps are the
 * same: clang's compiler-rt stores the high half first (it traps before anything is written
 * when ret + 16 is out of bounds), and so does the replacement.
 */

const lower_mul128 *lower_mul128_of(lower_unit *u, uint32_t f)
{
    /* 32-bit targets have no 64x64->128 multiply: the plain lowering is as good there. */
    if (u->ptr_size != 8)
        return NULL;
    lower_mul128_cache *e = &u->mul128[f];
    if (e->state == 0)
        e->state = lower_mul128_match(u->m, &u->m->funcs[f], &e->plan) ? 2 : 1;
    return e->state == 2 ? &e->plan : NULL;
}

/* Stores the low 128 bits of (a_hi:a_lo) * (b_hi:b_lo) as the plan's two stores do. */
static void mul128_store(lower_ctx *c, const lower_mul128 *plan, LLVMValueRef ret,
                         LLVMValueRef const factors[4])
{
    lower_unit *u = c->u;
    LLVMTypeRef t_i128 = LLVMIntTypeInContext(u->ctx, 128);
    LLVMValueRef sixty_four = LLVMConstInt(t_i128, 64, false);
    LLVMValueRef wide[2];
    for (unsigned i = 0; i < 2; i++) {
        LLVMValueRef lo = LLVMBuildZExt(c->b, factors[2 * i], t_i128, "");
        LLVMValueRef hi = LLVMBuildZExt(c->b, factors[2 * i + 1], t_i128, "");
        wide[i] = LLVMBuildOr(c->b, LLVMBuildShl(c->b, hi, sixty_four, ""), lo, "");
    }
    LLVMValueRef product = LLVMBuildMul(c->b, wide[0], wide[1], "");
    LLVMValueRef halves[2] = {
        LLVMBuildTrunc(c->b, product, u->t_i64, ""),
        LLVMBuildTrunc(c->b, LLVMBuildLShr(c->b, product, sixty_four, ""), u->t_i64, ""),
    };
    for (unsigned i = 0; i < 2; i++) {
        LLVMValueRef addr = ret;
        if (plan->add[i] != 0)
            addr =
                LLVMBuildAdd(c->b, ret, LLVMConstInt(u->t_i32, (uint32_t)plan->add[i], false), "");
        lower_store(c, halves[plan->half[i]], lower_effective_address(c, addr, plan->offset[i], 8),
                    ALIAS_MEMORY);
    }
}

/* The body of a recognised multiply. It makes no calls but the trap path's and needs no
 * frame (no locals survive mem2reg), so it has no stack check: the caller passed its own,
 * and the runtime keeps a stack headroom below the limit for such frames (docs/abi.md).
 * Exported or called indirectly, it runs as this function. */
static void lower_mul128_body(lower_ctx *c, const lower_mul128 *plan)
{
    lower_memory_setup(c);
    LLVMValueRef factors[4];
    for (unsigned i = 0; i < 4; i++)
        factors[i] = LLVMGetParam(c->fn, 2 + i);
    mul128_store(c, plan, LLVMGetParam(c->fn, 1), factors);
    LLVMBuildRetVoid(c->b);
}

/* A direct call of a recognised multiply, expanded in place: its stores then take part in
 * the caller's address facts (lower_memory.c), so ret + 8 is the same address whether the
 * store or a later load computed it, and LLVM forwards the product from store to load
 * instead of reading it back from the Wasm stack. A trap in it (ret out of bounds) is
 * reported in the caller, as it already was once LLVM inlined the function at -O1 and up. */
void lower_mul128_call(lower_ctx *c, const lower_mul128 *plan)
{
    LLVMValueRef *args = lower_top(c, 5);
    LLVMValueRef ret = args[0], factors[4] = {args[1], args[2], args[3], args[4]};
    c->sp -= 5;
    mul128_store(c, plan, ret, factors);
}

/* The most values ins can push, so the driver can make room before calling its handler
 * (handlers never fail for want of stack). */
static uint32_t pushes_needed(const lower_ctx *c, const wasm_instr *ins)
{
    const wasm_module *m = c->u->m;
    switch (ins->op) {
    case WASM_OP_CALL:
        return m->types[m->funcs[ins->u.index].type_index].result_count;
    case WASM_OP_CALL_INDIRECT:
        return m->types[ins->u.call_indirect.type_index].result_count;
    case WASM_OP_CALL_REF:
        return m->types[ins->u.index].result_count;
    case WASM_OP_LOOP:
        return ins->u.block.kind == WASM_BT_TYPE ? m->types[ins->u.block.type_index].param_count
                                                 : 0;
    case WASM_OP_CATCH: /* the tag's parameters, pushed after the stack is cut back */
        return m->types[m->tags[ins->u.index].type_index].param_count;
    case WASM_OP_ELSE:
    case WASM_OP_DELEGATE:
    case WASM_OP_END: {
        const lower_frame *f = &c->frames[c->depth - 1];
        return f->param_count + f->result_count; /* pushed after the stack is cut back */
    }
    default:
        return 1;
    }
}

static bool lower_unsupported(lower_ctx *c, const wasm_instr *ins)
{
    lower_unit *u = c->u;
    kiln_diag_set(u->diag, KILN_ERR_UNSUPPORTED, ins->offset, "%s is not supported yet",
                  ins->op < WASM_OP_COUNT ? wasm_ops[ins->op].name : "instruction");
    u->diag->func_index = c->func_index;
    return false;
}

/* Trap blocks last: the hot path reads top to bottom. */
static void place_trap_blocks(lower_ctx *c)
{
    for (int t = 0; t < KILN_TRAP_COUNT; t++)
        if (c->trap_bb[t])
            LLVMMoveBasicBlockAfter(c->trap_bb[t], LLVMGetLastBasicBlock(c->fn));
}

static bool lower_body(lower_unit *u, uint32_t func_index)
{
    const wasm_module *m = u->m;
    const wasm_func *f = &m->funcs[func_index];
    lower_ctx c;
    memset(&c, 0, sizeof c);
    c.u = u;
    c.b = u->b;
    c.func_index = func_index;
    c.type = &m->types[f->type_index];
    c.fn = u->funcs[func_index];
    c.vmctx = LLVMGetParam(c.fn, 0);
    if (u->interrupts != KILN_INTERRUPT_NONE) /* interrupt.c adds checks after optimisation */
        LLVMAddAttributeAtIndex(c.fn, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(u->ctx, LOWER_CHECKS_ATTR,
                                                          sizeof LOWER_CHECKS_ATTR - 1, "", 0));

    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(u->ctx, c.fn, "entry");
    LLVMPositionBuilderAtEnd(c.b, entry);
    c.entry_bb = entry;
    const lower_mul128 *mul128 = lower_mul128_of(u, func_index);
    if (mul128 != NULL) {
        lower_mul128_body(&c, mul128);
        place_trap_blocks(&c);
        return true;
    }
    if (!lower_prologue(&c, f))
        return false;
    lower_libc_fast_path(&c, f);

    kiln_reader r;
    wasm_expr_reader(&r, m, f->body, u->diag);

    bool ok = grow_array(&u->scratch, (void **)&c.frames, &c.frame_cap, 16, sizeof(lower_frame)) &&
              grow_array(&u->scratch, (void **)&c.stack, &c.stack_cap, 64, sizeof(LLVMValueRef));
    if (!ok)
        return kiln_diag_set(u->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    if (!lower_func_frame(&c))
        return false;

    while (c.depth > 0) {
        wasm_instr ins;
        if (!dec_instr(&r, &u->scratch, &ins)) {
            u->diag->func_index = func_index;
            return false;
        }
        if (!lower_table[ins.op].fn)
            return lower_unsupported(&c, &ins);
        if (c.unreachable) {
            /* Dead code: only the nesting matters, until this frame's else or end. */
            bool ends = ins.op == WASM_OP_END || ins.op == WASM_OP_DELEGATE;
            if (ins.op == WASM_OP_BLOCK || ins.op == WASM_OP_LOOP || ins.op == WASM_OP_IF ||
                ins.op == WASM_OP_TRY || ins.op == WASM_OP_TRY_TABLE) {
                c.dead_depth++;
                continue;
            }
            if (ends && c.dead_depth > 0) {
                c.dead_depth--;
                continue;
            }
            /* else, catch and catch_all start live code again if their frame is reachable */
            bool splits =
                ins.op == WASM_OP_ELSE || ins.op == WASM_OP_CATCH || ins.op == WASM_OP_CATCH_ALL;
            if (!ends && !(splits && c.dead_depth == 0))
                continue;
        }
        if (!grow_array(&u->scratch, (void **)&c.stack, &c.stack_cap,
                        c.sp + pushes_needed(&c, &ins) + 1, sizeof(LLVMValueRef)) ||
            !grow_array(&u->scratch, (void **)&c.frames, &c.frame_cap, c.depth + 1,
                        sizeof(lower_frame)))
            return kiln_diag_set(u->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
        if (!lower_table[ins.op].fn(&c, &ins, lower_table[ins.op].arg))
            return false;
    }

    lower_leaf_check(&c, f);
    place_trap_blocks(&c);
    return true;
}

/*
 * vmctx layout
 */

bool lower_layout(const wasm_module *m, kiln_vmctx_layout *out, kiln_diag *d)
{
    /* Header, then the 32-byte records (import slots, funcrefs), the 16-byte global cells,
     * the 8-byte pointer arrays, the 4-byte signature ids and the 1-byte flags: every part
     * is naturally aligned without padding. */
    uint64_t off = KILN_VMCTX_HEADER_SIZE;
    memset(out, 0, sizeof *out);
    out->imports = (uint32_t)off;
    off += (uint64_t)m->func_import_count * sizeof(kiln_import_slot);
    out->funcrefs = (uint32_t)off;
    off += (uint64_t)(m->func_count - m->func_import_count) * sizeof(kiln_funcref);
    out->global_cells = (uint32_t)off;
    off += (uint64_t)(m->global_count - m->global_import_count) * sizeof(kiln_global_cell);
    out->tables = (uint32_t)off;
    off += (uint64_t)m->table_count * sizeof(kiln_ptr64);
    out->globals = (uint32_t)off;
    off += (uint64_t)m->global_count * sizeof(kiln_ptr64);
    out->memories = (uint32_t)off;
    off += (uint64_t)m->memory_count * sizeof(kiln_ptr64);
    out->tags = (uint32_t)off;
    off += (uint64_t)m->tag_count * sizeof(kiln_ptr64);
    out->tag_records = (uint32_t)off;
    off += (uint64_t)(m->tag_count - m->tag_import_count) * sizeof(kiln_tag);
    out->sig_ids = (uint32_t)off;
    off += (uint64_t)m->type_count * sizeof(uint32_t);
    out->elem_dropped = (uint32_t)off;
    off += m->elem_count;
    out->data_dropped = (uint32_t)off;
    off += m->data_seg_count;
    off = (off + 15) & ~(uint64_t)15;
    if (off > UINT32_MAX)
        return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                             "instance context over 4 GiB (too many functions or globals)");
    out->size = (uint32_t)off;
    return true;
}

/*
 * Module driver
 */

static LLVMValueRef md_value(lower_unit *u, LLVMMetadataRef *mds, size_t n)
{
    return LLVMMetadataAsValue(u->ctx, LLVMMDNodeInContext2(u->ctx, mds, n));
}

void lower_mark_dereferenceable(lower_ctx *c, LLVMValueRef load, uint64_t bytes)
{
    lower_unit *u = c->u;
    LLVMMetadataRef size = LLVMValueAsMetadata(LLVMConstInt(u->t_i64, bytes, false));
    LLVMMetadataRef align = LLVMValueAsMetadata(LLVMConstInt(u->t_i64, 8, false));
    LLVMSetMetadata(load, LLVMGetMDKindIDInContext(u->ctx, "dereferenceable", 15),
                    md_value(u, &size, 1));
    LLVMSetMetadata(load, LLVMGetMDKindIDInContext(u->ctx, "align", 5), md_value(u, &align, 1));
    LLVMSetMetadata(load, LLVMGetMDKindIDInContext(u->ctx, "nonnull", 7), md_value(u, NULL, 0));
}

static void init_metadata(lower_unit *u)
{
    LLVMContextRef ctx = u->ctx;
    u->md_tbaa = LLVMGetMDKindIDInContext(ctx, "tbaa", 4);
    u->md_invariant = LLVMGetMDKindIDInContext(ctx, "invariant.load", 14);
    u->md_prof = LLVMGetMDKindIDInContext(ctx, "prof", 4);

    /* TBAA: a root and one scalar type per alias class; the access tag of class X is
     * !{X, X, 0}. Different classes are siblings, so they never alias. */
    static const char *const names[ALIAS_COUNT] = {
        [ALIAS_MEMORY] = "wasm memory",
        [ALIAS_VMCTX] = "kiln vmctx",
        [ALIAS_TABLE] = "kiln table elements",
    };
    LLVMMetadataRef root_name = LLVMMDStringInContext2(ctx, "kiln tbaa", 9);
    LLVMMetadataRef root = LLVMMDNodeInContext2(ctx, &root_name, 1);
    LLVMMetadataRef zero = LLVMValueAsMetadata(LLVMConstInt(u->t_i64, 0, false));
    for (int i = 0; i < ALIAS_COUNT; i++) {
        LLVMMetadataRef type_ops[3] = {LLVMMDStringInContext2(ctx, names[i], strlen(names[i])),
                                       root, zero};
        LLVMMetadataRef type = LLVMMDNodeInContext2(ctx, type_ops, 3);
        LLVMMetadataRef tag_ops[3] = {type, type, zero};
        u->tbaa[i] = md_value(u, tag_ops, 3);
    }

    LLVMMetadataRef weights[3] = {
        LLVMMDStringInContext2(ctx, "branch_weights", 14),
        LLVMValueAsMetadata(LLVMConstInt(u->t_i32, 1, false)),
        LLVMValueAsMetadata(LLVMConstInt(u->t_i32, 1u << 20, false)),
    };
    u->unlikely = md_value(u, weights, 3);
}

/* Address facts (lower_memory.c) fold p + C into zext(p) + C after an access at p. That is
 * exact unless memory 0 can be within 64 KiB of 4 GiB, where p + C may wrap: guard-page mode
 * accepts that (such an access traps instead of wrapping; --no-address-facts is exact), but
 * bounds-checked mode stays exact, so it uses facts only where they cannot change a result:
 * on 32-bit hosts (no memory gets near 4 GiB) and for a memory 0 whose declared maximum
 * keeps it 64 KiB short of 4 GiB. */
static bool facts_exact_when_checked(const lower_unit *u)
{
    if (!u->bounds_checks || u->ptr_size < 8)
        return true;
    const wasm_module *m = u->m;
    if (m->memory_count == 0 || wasm_memory_is64(m, 0))
        return true; /* no fold applies: 64-bit addresses are checked in full */
    const wasm_limits *l = &m->memories[0].type.limits;
    unsigned log2 = wasm_memory_page_log2(m, 0);
    return l->has_max && l->max <= ((UINT64_C(1) << 32) - 0x10000u) >> log2;
}

/* -g: one compile unit for the module, named after its file, and one subprogram per defined
 * function named by the name section (else f<N>), so gdb can break at a guest function by
 * name and names frames. No line table yet: every
 * instruction is at line 0 of the module's file (docs/abi.md, "Debug info"). */
static void debug_begin(lower_unit *u, const kiln_compile_options *o)
{
    const char *path = o->input_path ? o->input_path : "module.wasm";
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            base = p + 1;
    size_t dir_len = base > path ? (size_t)(base - path - 1) : 0;
    u->dib = LLVMCreateDIBuilder(u->mod);
    u->di_file = LLVMDIBuilderCreateFile(u->dib, base, strlen(base), dir_len ? path : ".",
                                         dir_len ? dir_len : 1);
    static const char producer[] = "kiln";
    u->di_cu = LLVMDIBuilderCreateCompileUnit(
        u->dib, LLVMDWARFSourceLanguageC11, u->di_file, producer, sizeof producer - 1,
        o->opt_level > 0, "", 0, 0, "", 0, LLVMDWARFEmissionFull, 0, false, false, "", 0, "", 0);
    u->di_fn_type = LLVMDIBuilderCreateSubroutineType(u->dib, u->di_file, NULL, 0, LLVMDIFlagZero);
    LLVMMetadataRef version =
        LLVMValueAsMetadata(LLVMConstInt(u->t_i32, LLVMDebugMetadataVersion(), false));
    LLVMAddModuleFlag(u->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18, version);
    LLVMMetadataRef dwarf = LLVMValueAsMetadata(LLVMConstInt(u->t_i32, 4, false));
    LLVMAddModuleFlag(u->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13, dwarf);
}

/* The subprogram of function f, attached to it; the builder's location is its line 0 until
 * debug_end_function. */
static void debug_function(lower_unit *u, LLVMBuilderRef b, LLVMValueRef fn, uint32_t f)
{
    char index_name[16];
    wasm_str name;
    const char *text = index_name;
    size_t len;
    if (wasm_module_func_name(u->m, f, &name) && name.len > 0) {
        text = name.ptr;
        len = name.len;
    } else {
        len = (size_t)snprintf(index_name, sizeof index_name, "f%u", f);
    }
    /* No linkage name: gdb would name the function by it (PREFIX_f<N>.<name>). */
    LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(
        u->dib, u->di_file, text, len, "", 0, u->di_file, 0, u->di_fn_type, true, true, 0,
        LLVMDIFlagZero, LLVMGetLinkage(fn) == LLVMInternalLinkage);
    LLVMSetSubprogram(fn, sp);
    LLVMSetCurrentDebugLocation2(b, LLVMDIBuilderCreateDebugLocation(u->ctx, 0, 0, sp, NULL));
}

bool lower_module(LLVMModuleRef mod, LLVMTargetDataRef td, const wasm_module *m, const char *prefix,
                  const kiln_compile_options *o, const lower_part *part, kiln_diag *d)
{
    lower_unit u;
    memset(&u, 0, sizeof u);
    u.ctx = LLVMGetModuleContext(mod);
    u.mod = mod;
    u.td = td;
    u.m = m;
    u.prefix = prefix;
    u.part = part;
    u.diag = d;
    u.ptr_size = LLVMPointerSize(td);
    /* A 32-bit address space cannot hold the 8 GiB guard-page reservation. */
    u.bounds_checks = o->bounds_checks || u.ptr_size < 8;
    u.relaxed_dead_loads = o->relaxed_dead_loads;
    u.address_facts = !o->no_address_facts && facts_exact_when_checked(&u);
    u.interrupts = lower_interrupt_mode(o, LLVMGetTarget(mod));
    u.sealed_imports = o->sealed_imports;
    kiln_arena_init(&u.scratch, o->alloc);
    kiln_arena_init(&u.arena, o->alloc);
    u.b = LLVMCreateBuilderInContext(u.ctx);

    u.t_void = LLVMVoidTypeInContext(u.ctx);
    u.t_i1 = LLVMInt1TypeInContext(u.ctx);
    u.t_i8 = LLVMInt8TypeInContext(u.ctx);
    u.t_i32 = LLVMInt32TypeInContext(u.ctx);
    u.t_i64 = LLVMInt64TypeInContext(u.ctx);
    u.t_f32 = LLVMFloatTypeInContext(u.ctx);
    u.t_f64 = LLVMDoubleTypeInContext(u.ctx);
    u.t_v128 = LLVMVectorType(u.t_i64, 2);
    u.t_ptr = LLVMPointerTypeInContext(u.ctx, 0);
    init_metadata(&u);
    unsigned assume_id = LLVMLookupIntrinsicID("llvm.assume", 11);
    u.assume = LLVMGetIntrinsicDeclaration(mod, assume_id, NULL, 0);
    u.assume_type = LLVMIntrinsicGetType(u.ctx, assume_id, NULL, 0);
    unsigned sideeffect_id = LLVMLookupIntrinsicID("llvm.sideeffect", 15);
    u.sideeffect = LLVMGetIntrinsicDeclaration(mod, sideeffect_id, NULL, 0);
    u.sideeffect_type = LLVMIntrinsicGetType(u.ctx, sideeffect_id, NULL, 0);

    if (o->debug_info)
        debug_begin(&u, o);
    bool ok = lower_layout(m, &u.layout, d) && lower_declare_functions(&u);
    for (uint32_t i = part->first; ok && i < part->end; i++) {
        if (u.dib != NULL && i >= m->func_import_count)
            debug_function(&u, u.b, u.funcs[i], i);
        ok = lower_body(&u, i);
        LLVMSetCurrentDebugLocation2(u.b, NULL);
        kiln_arena_reset(&u.scratch);
    }
    ok = ok && (!part->descriptor || lower_module_data(&u));

    if (u.dib != NULL) {
        LLVMDIBuilderFinalize(u.dib);
        LLVMDisposeDIBuilder(u.dib);
    }
    LLVMDisposeBuilder(u.b);
    kiln_arena_free(&u.scratch);
    kiln_arena_free(&u.arena);
    return ok;
}
