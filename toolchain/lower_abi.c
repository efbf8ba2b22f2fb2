/* lower_abi.c -- how generated code passes Wasm arguments and results (docs/abi.md,
 * "Functions").
 *
 * Every defined function, import adapter and table element of one Wasm type has one LLVM
 * signature:
 *
 *     RET f(ptr vmctx, [ptr results,] PARAMS...)      calling convention u->wasm_cc
 *
 * chosen so that `return_call` can always be a real tail call:
 *  - The convention is `tailcc` where LLVM 19 has it: with it LLVM guarantees `musttail`
 *    between any two signatures, the callee popping its stack arguments, so a tail call may
 *    pass more of them than its caller received. On x86-64 and aarch64 Kiln relies on that.
 *    32-bit ARM has `tailcc` too, but LLVM 19 miscounts the stack arguments a callee pops
 *    (a caller readjusts by the size rounded to 16, the callee pops the exact size), and
 *    riscv64 has no `tailcc` at all: there the convention is the C one and a tail call is a
 *    sibling call, which LLVM makes only when every argument travels in a register. So on
 *    both, every Wasm call passes its arguments in registers only: the parameters that would
 *    not get one (as the target's calling convention assigns them: take_reg below), and
 *    every v128, are written by the caller to `kiln_spill_area` (runtime/call.c; per thread,
 *    a plain array on bare metal) and read by the callee at its entry, before it calls
 *    anything.
 *  - No target can tail call a function that returns through memory (LLVM's hidden sret
 *    pointer). One result is returned directly; several go through a `results` pointer to a
 *    struct of them that the caller provides, and a tail call passes its own pointer on (the
 *    callee's results are the caller's). No result: void.
 * Ordinary calls are `notail` (runaway recursion must exhaust the stack and trap); tail calls
 * are `musttail`, or on riscv64 `tail` (`musttail` where the two prototypes are identical,
 * which is all the IR verifier accepts for the C convention). At -O0, 32-bit ARM and aarch64
 * select instructions as at -O1 (emit.c): ARM's fast selector stops the process at a `tailcc`
 * call, and aarch64's GlobalISel passes wrong stack arguments in a `tailcc` tail call.
 */
#include <string.h>

#include "lower.h"

/* llvm::CallingConv::Tail; the C API's enum does not name it. */
#define LLVM_TAILCC 18u

/* Where a target's Wasm calls may put arguments (u->arg_regs). */
enum {
    ARGS_ANYWHERE, /* x86-64, aarch64: tailcc tail calls with stack arguments are sound */
    ARGS_RISCV64,  /* registers only: a0-a7, fa0-fa7 (lp64d) */
    ARGS_ARM_HARD, /* registers only: r0-r3, s0-s15/d0-d7 (AAPCS-VFP, *eabihf) */
    ARGS_ARM_SOFT  /* registers only: r0-r3 (AAPCS, floats in core registers) */
};

static bool nomem(lower_unit *u)
{
    return kiln_diag_set(u->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
}

/* The argument registers still free while a signature is laid out, as the target's LLVM
 * calling convention assigns them: only parameters that get a register stay in the LLVM
 * signature, so LLVM sees exactly the ones this model placed. */
typedef struct regs {
    unsigned gprs; /* integer/core registers used (in order; ARM never back-fills) */
    uint32_t fprs; /* riscv64: FP registers used; ARM hard-float: bit mask of s0-s15 */
} regs;

/* ARM's core registers r0-r3: a 64-bit value takes an even pair, skipping an odd one. */
static bool take_core(regs *r, bool wide)
{
    if (!wide)
        return r->gprs < 4 ? (r->gprs++, true) : false;
    unsigned even = (r->gprs + 1) & ~1u;
    return even + 2 <= 4 ? (r->gprs = even + 2, true) : false;
}

/* Whether the next parameter, of type t, gets a register (and takes it). */
static bool take_reg(const lower_unit *u, regs *r, wasm_valtype t)
{
    bool fp = t == WASM_VT_F32 || t == WASM_VT_F64;
    bool wide = t == WASM_VT_I64 || t == WASM_VT_F64;
    if (t == WASM_VT_V128)
        return u->arg_regs == ARGS_ANYWHERE;
    switch (u->arg_regs) {
    case ARGS_RISCV64:
        if (fp)
            return r->fprs < 8 ? (r->fprs++, true) : false;
        return r->gprs < 8 ? (r->gprs++, true) : false;
    case ARGS_ARM_HARD:
        if (t == WASM_VT_F32) { /* the lowest free s register (back-filling) */
            for (unsigned i = 0; i < 16; i++)
                if (!(r->fprs & (1u << i)))
                    return r->fprs |= 1u << i, true;
            return false;
        }
        if (t == WASM_VT_F64) { /* the lowest d register with both halves free */
            for (unsigned i = 0; i < 16; i += 2)
                if (!(r->fprs & (3u << i)))
                    return r->fprs |= 3u << i, true;
            return false;
        }
        return take_core(r, wide);
    case ARGS_ARM_SOFT: /* floats in core registers too */
        return take_core(r, wide);
    default:
        return true;
    }
}

/* Bytes (and alignment) of a parameter's slot in the spill area. */
static unsigned spill_bytes(wasm_valtype t)
{
    return t == WASM_VT_V128 ? 16 : 8;
}

/* Which parameters of a register-only target miss the registers: they go through
 * kiln_spill_area. */
static bool plan_spills(lower_unit *u, const wasm_functype *ft, lower_sig *s)
{
    regs r = {.gprs = s->first, .fprs = 0}; /* vmctx (and the results pointer) come first */
    uint32_t off = 0;
    for (uint32_t i = 0; i < ft->param_count; i++) {
        wasm_valtype t = ft->params[i];
        if (take_reg(u, &r, t))
            continue;
        if (!s->spill) {
            s->spill = ARENA_ARRAY(&u->arena, uint32_t, ft->param_count);
            if (!s->spill)
                return nomem(u);
            memset(s->spill, 0, ft->param_count * sizeof *s->spill);
        }
        uint32_t size = spill_bytes(t);
        off = (off + size - 1) & ~(size - 1);
        s->spill[i] = off + 1;
        off += size;
    }
    KILN_ASSERT(off <= KILN_SPILL_AREA_SIZE);
    s->spill_size = off;
    return true;
}

bool lower_signatures(lower_unit *u)
{
    const wasm_module *m = u->m;
    const char *triple = LLVMGetTarget(u->mod);
    bool riscv = strncmp(triple, "riscv", 5) == 0;
    bool arm = strncmp(triple, "arm", 3) == 0 || strncmp(triple, "thumb", 5) == 0;
    u->wasm_cc = riscv ? LLVMCCallConv : LLVM_TAILCC;
    u->arg_regs = riscv                      ? ARGS_RISCV64
                  : !arm                     ? ARGS_ANYWHERE
                  : strstr(triple, "eabihf") ? ARGS_ARM_HARD
                                             : ARGS_ARM_SOFT;
    u->sigs = ARENA_ARRAY(&u->arena, lower_sig, m->type_count ? m->type_count : 1);
    LLVMTypeRef *params = ARENA_ARRAY(&u->arena, LLVMTypeRef, KILN_MAX_PARAMS + 2);
    LLVMTypeRef *results = ARENA_ARRAY(&u->arena, LLVMTypeRef, KILN_MAX_RESULTS);
    if (!u->sigs || !params || !results)
        return nomem(u);
    for (uint32_t t = 0; t < m->type_count; t++) {
        const wasm_functype *ft = &m->types[t];
        lower_sig *s = &u->sigs[t];
        memset(s, 0, sizeof *s);
        KILN_ASSERT(ft->param_count <= KILN_MAX_PARAMS && ft->result_count <= KILN_MAX_RESULTS);
        for (uint32_t i = 0; i < ft->result_count; i++)
            results[i] = lower_valtype(u, ft->results[i]);
        s->ret = ft->result_count == 1 ? results[0] : u->t_void;
        if (ft->result_count > 1)
            s->results = LLVMStructTypeInContext(u->ctx, results, ft->result_count, false);
        s->first = s->results ? 2 : 1;

        /* The key: the whole Wasm signature, for sharing array entries. */
        params[0] = u->t_ptr;
        for (uint32_t i = 0; i < ft->param_count; i++)
            params[i + 1] = lower_valtype(u, ft->params[i]);
        s->key =
            LLVMFunctionType(s->results ? s->results : s->ret, params, ft->param_count + 1, false);

        if (u->arg_regs != ARGS_ANYWHERE && !plan_spills(u, ft, s))
            return false;
        unsigned n = 0;
        params[n++] = u->t_ptr;
        if (s->results)
            params[n++] = u->t_ptr;
        for (uint32_t i = 0; i < ft->param_count; i++)
            if (!s->spill || !s->spill[i])
                params[n++] = lower_valtype(u, ft->params[i]);
        s->fn = LLVMFunctionType(s->ret, params, n, false);
    }
    return true;
}

void lower_set_wasm_cc(const lower_unit *u, LLVMValueRef fn)
{
    LLVMSetFunctionCallConv(fn, u->wasm_cc);
}

/* riscv64's spill area: `thread_local char kiln_spill_area[KILN_SPILL_AREA_SIZE]`. */
static LLVMValueRef spill_slot(lower_unit *u, LLVMBuilderRef b, uint32_t offset)
{
    LLVMValueRef area = LLVMGetNamedGlobal(u->mod, "kiln_spill_area");
    if (!area) {
        area =
            LLVMAddGlobal(u->mod, LLVMArrayType2(u->t_i8, KILN_SPILL_AREA_SIZE), "kiln_spill_area");
        LLVMSetThreadLocal(area, !u->bare_metal); /* one thread without an OS */
        if (!u->bare_metal)
            LLVMSetThreadLocalMode(area, LLVMInitialExecTLSModel);
        LLVMSetAlignment(area, 16);
        LLVMSetLinkage(area, LLVMExternalLinkage);
    }
    if (u->bare_metal) {
        LLVMValueRef idx = LLVMConstInt(u->t_i64, offset, false);
        return LLVMBuildGEP2(b, u->t_i8, area, &idx, 1, "");
    }
    /* Thread-local addresses go through llvm.threadlocal.address. */
    unsigned id = LLVMLookupIntrinsicID("llvm.threadlocal.address", 24);
    LLVMTypeRef pt = u->t_ptr;
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(u->mod, id, &pt, 1);
    LLVMValueRef base =
        LLVMBuildCall2(b, LLVMIntrinsicGetType(u->ctx, id, &pt, 1), fn, &area, 1, "");
    LLVMValueRef idx = LLVMConstInt(u->t_i64, offset, false);
    return LLVMBuildGEP2(b, u->t_i8, base, &idx, 1, "");
}

LLVMValueRef lower_param(lower_unit *u, LLVMBuilderRef b, LLVMValueRef fn, uint32_t type_index,
                         uint32_t i)
{
    const lower_sig *s = &u->sigs[type_index];
    if (s->spill && s->spill[i]) {
        wasm_valtype t = u->m->types[type_index].params[i];
        LLVMValueRef v =
            LLVMBuildLoad2(b, lower_valtype(u, t), spill_slot(u, b, s->spill[i] - 1), "");
        LLVMSetAlignment(v, spill_bytes(t));
        return v;
    }
    if (!s->spill) /* every parameter in a register, in order */
        return LLVMGetParam(fn, s->first + i);
    unsigned n = s->first;
    for (uint32_t k = 0; k < i; k++)
        n += !s->spill[k];
    return LLVMGetParam(fn, n);
}

void lower_ret(lower_unit *u, LLVMBuilderRef b, LLVMValueRef fn, uint32_t type_index,
               LLVMValueRef *vals)
{
    const lower_sig *s = &u->sigs[type_index];
    uint32_t n = u->m->types[type_index].result_count;
    if (n == 1) {
        LLVMBuildRet(b, vals[0]);
        return;
    }
    if (s->results) {
        LLVMValueRef out = LLVMGetParam(fn, 1);
        for (uint32_t i = 0; i < n; i++)
            LLVMBuildStore(b, vals[i], LLVMBuildStructGEP2(b, s->results, out, i, ""));
    }
    LLVMBuildRetVoid(b);
}

LLVMValueRef lower_entry_alloca(lower_unit *u, LLVMValueRef fn, LLVMTypeRef t, const char *name)
{
    LLVMBuilderRef eb = LLVMCreateBuilderInContext(u->ctx);
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(fn);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(eb, first);
    else
        LLVMPositionBuilderAtEnd(eb, entry);
    LLVMValueRef a = LLVMBuildAlloca(eb, t, name);
    LLVMDisposeBuilder(eb);
    return a;
}

LLVMValueRef lower_build_call(lower_unit *u, LLVMBuilderRef b, LLVMValueRef caller, LLVMTypeRef fty,
                              LLVMValueRef fn, LLVMValueRef *args, unsigned n,
                              LLVMBasicBlockRef unwind)
{
    if (!unwind)
        return LLVMBuildCall2(b, fty, fn, args, n, "");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(u->ctx, caller, "invoke.cont");
    LLVMValueRef call = LLVMBuildInvoke2(b, fty, fn, args, n, next, unwind, "");
    LLVMPositionBuilderAtEnd(b, next);
    return call;
}

bool lower_call_wasm(lower_unit *u, LLVMBuilderRef b, LLVMValueRef caller, uint32_t type_index,
                     uint32_t caller_type, LLVMValueRef callee, LLVMValueRef vmctx,
                     LLVMValueRef *args, bool tail, LLVMBasicBlockRef unwind, LLVMValueRef *results)
{
    const wasm_functype *ft = &u->m->types[type_index];
    const lower_sig *s = &u->sigs[type_index];
    LLVMValueRef small[16];
    LLVMValueRef *out = small;
    if (ft->param_count + 2 > KILN_ARRAY_LEN(small)) {
        out = ARENA_ARRAY(&u->scratch, LLVMValueRef, ft->param_count + 2);
        if (!out)
            return nomem(u);
    }
    unsigned n = 0;
    out[n++] = vmctx;
    LLVMValueRef buf = NULL;
    if (s->results)
        out[n++] = buf =
            tail ? LLVMGetParam(caller, 1) : lower_entry_alloca(u, caller, s->results, "results");
    for (uint32_t i = 0; i < ft->param_count; i++) {
        if (s->spill && s->spill[i]) {
            LLVMValueRef st = LLVMBuildStore(b, args[i], spill_slot(u, b, s->spill[i] - 1));
            LLVMSetAlignment(st, spill_bytes(ft->params[i]));
        } else {
            out[n++] = args[i];
        }
    }
    LLVMValueRef call = lower_build_call(u, b, caller, s->fn, callee, out, n, tail ? NULL : unwind);
    LLVMSetInstructionCallConv(call, u->wasm_cc);
    if (tail) {
        /* The callee's results are the caller's: return them as they come. */
        bool must = u->wasm_cc == LLVM_TAILCC || s->fn == u->sigs[caller_type].fn;
        LLVMSetTailCallKind(call, must ? LLVMTailCallKindMustTail : LLVMTailCallKindTail);
        if (LLVMGetTypeKind(s->ret) == LLVMVoidTypeKind)
            LLVMBuildRetVoid(b);
        else
            LLVMBuildRet(b, call);
        return true;
    }
    /* Every other Wasm call uses stack: runaway recursion must exhaust it and trap, never
     * become a loop through tail-recursion elimination. */
    if (!unwind)
        LLVMSetTailCallKind(call, LLVMTailCallKindNoTail);
    if (ft->result_count == 1) {
        results[0] = call;
    } else if (buf) {
        for (uint32_t i = 0; i < ft->result_count; i++)
            results[i] = LLVMBuildLoad2(b, lower_valtype(u, ft->results[i]),
                                        LLVMBuildStructGEP2(b, s->results, buf, i, ""), "");
    }
    return true;
}
