/* lower_numeric.c -- constants, arithmetic, comparisons and conversions.
 *
 * Most numeric instructions are one lower.def row over a generic handler here (binop, icmp,
 * fcmp, cast, unary/binary intrinsic). The hand-written handlers are where Wasm defines what
 * LLVM leaves undefined or poison: division by zero and INT_MIN / -1 (trap), shift counts of
 * the bit width or more (masked), clz/ctz of zero (the width), float->int conversion of NaN
 * or out-of-range values (trap), and where LLVM may return a signaling NaN unquieted while
 * Wasm wants an arithmetic NaN (min/max, and the identities x*1, x-0, ... that LLVM folds).
 * Types come from opcodes.def's in/out letters. No fast-math flag is ever set: float
 * operations keep IEEE semantics and are never reassociated.
 */
#include <string.h>

#include "lower.h"

static LLVMTypeRef out_type(lower_ctx *c, const wasm_instr *ins)
{
    return lower_letter_type(c->u, wasm_ops[ins->op].out[0]);
}

static void push_bool(lower_ctx *c, LLVMValueRef i1)
{
    lower_push(c, LLVMBuildZExt(c->b, i1, c->u->t_i32, ""));
}

bool lower_const(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    LLVMValueRef v;
    switch (ins->op) {
    case WASM_OP_I32_CONST:
        v = lower_i32(u, (uint32_t)ins->u.i32);
        break;
    case WASM_OP_I64_CONST:
        v = lower_i64(u, (uint64_t)ins->u.i64);
        break;
    case WASM_OP_F32_CONST:
        /* From the bits, so NaN payloads survive (a double would not carry them). */
        v = LLVMConstBitCast(lower_i32(u, ins->u.f32_bits), u->t_f32);
        break;
    default:
        KILN_ASSERT(ins->op == WASM_OP_F64_CONST);
        v = LLVMConstBitCast(lower_i64(u, ins->u.f64_bits), u->t_f64);
        break;
    }
    lower_push(c, v);
    return true;
}

/* v with the quiet bit set if it is a NaN: Wasm's arithmetic NaN, where LLVM may pass a
 * signaling NaN through unchanged. */
static LLVMValueRef quiet_nan(lower_ctx *c, LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    bool f64 = t == c->u->t_f64;
    LLVMTypeRef it = f64 ? c->u->t_i64 : c->u->t_i32;
    LLVMValueRef bit = LLVMConstInt(it, f64 ? 1ull << 51 : 1ull << 22, false);
    LLVMValueRef quieted = LLVMBuildBitCast(
        c->b, LLVMBuildOr(c->b, LLVMBuildBitCast(c->b, v, it, ""), bit, ""), t, "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealUNO, v, v, ""), quieted, v, "");
}

/* The value of a float constant as bits of a double (so -0.0 differs from +0.0); false if v
 * is not a float constant. */
static bool const_bits(LLVMValueRef v, uint64_t *out)
{
    if (!LLVMIsAConstantFP(v))
        return false;
    LLVMBool loses;
    double d = LLVMConstRealGetDouble(v, &loses);
    memcpy(out, &d, sizeof d);
    return true;
}

/* x + -0, x - 0, x * 1, x / 1 (= x) and x * -1, x / -1, -0 - x (= -x): LLVM folds these to x
 * or fneg x, which leaves a signaling NaN x unquieted, so they are lowered as that identity
 * with the NaN quieted. Given which operands are constants (lc/rc) and their bits (lk/rk, as
 * an f32 or f64 pattern), returns the operand the result equals (l or r) and whether it is
 * negated, or NULL for every other operation. Shared with lower_simd.c (splat constants). */
LLVMValueRef lower_float_identity(LLVMOpcode op, bool f32, LLVMValueRef l, bool lc, uint64_t lk,
                                  LLVMValueRef r, bool rc, uint64_t rk, bool *negate)
{
    const uint64_t neg_zero = f32 ? 0x80000000u : 0x8000000000000000u, pos_zero = 0,
                   one = f32 ? 0x3f800000u : 0x3ff0000000000000u,
                   minus_one = f32 ? 0xbf800000u : 0xbff0000000000000u;
    *negate = false;
    if (op == LLVMFAdd && rc && rk == neg_zero)
        return l;
    if (op == LLVMFAdd && lc && lk == neg_zero)
        return r;
    if (op == LLVMFSub && rc && rk == pos_zero)
        return l;
    if (op == LLVMFSub && lc && lk == neg_zero)
        return *negate = true, r;
    if ((op == LLVMFMul || op == LLVMFDiv) && rc && (rk == one || rk == minus_one))
        return *negate = rk == minus_one, l;
    if (op == LLVMFMul && lc && (lk == one || lk == minus_one))
        return *negate = lk == minus_one, r;
    return NULL;
}

static LLVMValueRef float_identity(lower_ctx *c, LLVMOpcode op, LLVMValueRef l, LLVMValueRef r)
{
    uint64_t lk = 0, rk = 0;
    bool lc = const_bits(l, &lk), rc = const_bits(r, &rk), negate;
    LLVMValueRef x = lower_float_identity(op, false, l, lc, lk, r, rc, rk, &negate);
    if (!x)
        return NULL;
    return quiet_nan(c, negate ? LLVMBuildFNeg(c->b, x, "") : x);
}

bool lower_binop(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef r = lower_pop(c);
    LLVMValueRef l = lower_pop(c);
    LLVMValueRef v = float_identity(c, (LLVMOpcode)arg, l, r);
    if (v == NULL) {
        v = LLVMBuildBinOp(c->b, (LLVMOpcode)arg, l, r, "");
        if (ins->op == WASM_OP_I32_ADD)
            lower_fact_add(c, v, l, r);
    }
    lower_push(c, v);
    return true;
}

/* Wide arithmetic: a 128-bit integer is two i64s, low half first. i64.add128/sub128 (arg
 * LLVMAdd/LLVMSub) join each pair into an i128; i64.mul_wide_s/u (arg LLVMSExt/LLVMZExt)
 * widen both operands. The i128 result is split back: the low half, then the high one. LLVM
 * lowers the i128 operations to add/adc, sub/sbb and one widening multiply (x86-64 mul/imul,
 * aarch64 mul + umulh/smulh). */
bool lower_wide(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMTypeRef t128 = LLVMIntTypeInContext(c->u->ctx, 128);
    LLVMValueRef shift = LLVMConstInt(t128, 64, false);
    LLVMValueRef r;
    if (ins->op == WASM_OP_I64_ADD128 || ins->op == WASM_OP_I64_SUB128) {
        LLVMValueRef halves[4]; /* lo1 hi1 lo2 hi2 */
        for (int i = 3; i >= 0; i--)
            halves[i] = LLVMBuildZExt(c->b, lower_pop(c), t128, "");
        LLVMValueRef a = LLVMBuildOr(c->b, halves[0], LLVMBuildShl(c->b, halves[1], shift, ""), "");
        LLVMValueRef b = LLVMBuildOr(c->b, halves[2], LLVMBuildShl(c->b, halves[3], shift, ""), "");
        r = LLVMBuildBinOp(c->b, (LLVMOpcode)arg, a, b, "");
    } else {
        LLVMValueRef b = LLVMBuildCast(c->b, (LLVMOpcode)arg, lower_pop(c), t128, "");
        LLVMValueRef a = LLVMBuildCast(c->b, (LLVMOpcode)arg, lower_pop(c), t128, "");
        r = LLVMBuildMul(c->b, a, b, "");
    }
    lower_push(c, LLVMBuildTrunc(c->b, r, c->u->t_i64, ""));
    lower_push(c, LLVMBuildTrunc(c->b, LLVMBuildLShr(c->b, r, shift, ""), c->u->t_i64, ""));
    return true;
}

bool lower_fneg(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_push(c, LLVMBuildFNeg(c->b, lower_pop(c), ""));
    return true;
}

bool lower_icmp(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef r = lower_pop(c);
    LLVMValueRef l = lower_pop(c);
    push_bool(c, LLVMBuildICmp(c->b, (LLVMIntPredicate)arg, l, r, ""));
    return true;
}

bool lower_fcmp(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef r = lower_pop(c);
    LLVMValueRef l = lower_pop(c);
    push_bool(c, LLVMBuildFCmp(c->b, (LLVMRealPredicate)arg, l, r, ""));
    return true;
}

bool lower_eqz(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    push_bool(c, LLVMBuildICmp(c->b, LLVMIntEQ, v, LLVMConstNull(LLVMTypeOf(v)), ""));
    return true;
}

/* ceil/floor/trunc/nearest (scalar or vector) need their NaN quieted by hand on RISC-V
 * without Zfa: LLVM rounds through an integer conversion guarded by |x| < 2^52 (2^23 for f32)
 * and returns every other input unchanged, a signalling NaN included. x86-64 (roundss, or
 * libm's floorf without SSE4.1) and aarch64 (frintm...) quiet it already and keep their single
 * operation. Returns r, or NaN ? x + x : r (the fadd quiets the NaN, on the NaN path only;
 * llvm.canonicalize would say it directly, but llc-19 cannot select it on RISC-V). */
LLVMValueRef lower_quiet_rounding(lower_ctx *c, lower_intr id, LLVMValueRef x, LLVMValueRef r)
{
    if (id != INTR_CEIL && id != INTR_FLOOR && id != INTR_TRUNC && id != INTR_ROUNDEVEN)
        return r;
    if (strncmp(LLVMGetTarget(c->u->mod), "riscv", 5) != 0)
        return r;
    LLVMValueRef nan = LLVMBuildFCmp(c->b, LLVMRealUNO, x, x, "");
    return LLVMBuildSelect(c->b, nan, LLVMBuildFAdd(c->b, x, x, ""), r, "");
}

bool lower_unary_intr(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    LLVMTypeRef t = LLVMTypeOf(v);
    LLVMValueRef r = lower_call_intr(c, (lower_intr)arg, &t, 1, &v, 1);
    r = lower_quiet_rounding(c, (lower_intr)arg, v, r);
    lower_push(c, r);
    return true;
}

bool lower_binary_intr(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[2];
    args[1] = lower_pop(c);
    args[0] = lower_pop(c);
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    lower_push(c, lower_call_intr(c, (lower_intr)arg, &t, 1, args, 2));
    return true;
}

/* min/max: llvm.minimum/maximum give NaN-propagation and -0 < +0, but may return a signaling
 * NaN operand unchanged; Wasm wants an arithmetic (quiet) NaN, so the quiet bit is set. */
/* f64 min/max on 32-bit targets, without llvm.minimum/maximum: llc-19's expansion of those
 * for 32-bit ARM compares the bits as an i64 and cannot select the compare. NaN if either is
 * NaN; otherwise the smaller (larger) one, and for equal operands the OR (AND) of their bits,
 * which makes min(-0, +0) = -0 and max(-0, +0) = +0. Scalars and f64x2 vectors alike
 * (lower_simd_fminmax). */
LLVMValueRef lower_minmax_by_hand(lower_ctx *c, bool min, LLVMValueRef a, LLVMValueRef b)
{
    LLVMBuilderRef bld = c->b;
    LLVMTypeRef tf = LLVMTypeOf(a), ti = c->u->t_i64;
    if (LLVMGetTypeKind(tf) == LLVMVectorTypeKind)
        ti = LLVMVectorType(ti, LLVMGetVectorSize(tf));
    LLVMValueRef ia = LLVMBuildBitCast(bld, a, ti, ""), ib = LLVMBuildBitCast(bld, b, ti, "");
    LLVMValueRef bits = min ? LLVMBuildOr(bld, ia, ib, "") : LLVMBuildAnd(bld, ia, ib, "");
    LLVMValueRef r = LLVMBuildBitCast(bld, bits, tf, "");
    r = LLVMBuildSelect(bld, LLVMBuildFCmp(bld, LLVMRealOGT, a, b, ""), min ? b : a, r, "");
    r = LLVMBuildSelect(bld, LLVMBuildFCmp(bld, LLVMRealOLT, a, b, ""), min ? a : b, r, "");
    LLVMValueRef uno = LLVMBuildFCmp(bld, LLVMRealUNO, a, b, "");
    return LLVMBuildSelect(bld, uno, LLVMBuildFAdd(bld, a, b, ""), r, "");
}

bool lower_minmax(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[2];
    args[1] = lower_pop(c);
    args[0] = lower_pop(c);
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    LLVMValueRef r;
    if (c->u->ptr_size < 8 && t == c->u->t_f64)
        r = lower_minmax_by_hand(c, (lower_intr)arg == INTR_MINIMUM, args[0], args[1]);
    else
        r = lower_call_intr(c, (lower_intr)arg, &t, 1, args, 2);
    lower_push(c, quiet_nan(c, r));
    return true;
}

/* clz/ctz: Wasm defines the count of zero as the width, so is_zero_poison = false. */
bool lower_count_zeros(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[2] = {lower_pop(c), LLVMConstNull(c->u->t_i1)};
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    lower_push(c, lower_call_intr(c, (lower_intr)arg, &t, 1, args, 2));
    return true;
}

/* rotl/rotr: funnel shifts of x with itself take the count modulo the width, as Wasm does. */
bool lower_rotate(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef n = lower_pop(c);
    LLVMValueRef x = lower_pop(c);
    LLVMValueRef args[3] = {x, x, n};
    LLVMTypeRef t = LLVMTypeOf(x);
    lower_push(c, lower_call_intr(c, (lower_intr)arg, &t, 1, args, 3));
    return true;
}

/* Shifts: Wasm takes the count modulo the width; LLVM's shift by >= width is poison. */
bool lower_shift(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef n = lower_pop(c);
    LLVMValueRef x = lower_pop(c);
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef mask = LLVMConstInt(t, LLVMGetIntTypeWidth(t) - 1, false);
    LLVMValueRef masked = LLVMBuildAnd(c->b, n, mask, "");
    lower_push(c, LLVMBuildBinOp(c->b, (LLVMOpcode)arg, x, masked, ""));
    return true;
}

/* Division and remainder: LLVM's x/0 and INT_MIN/-1 are undefined; Wasm traps on both for
 * div_s, traps on zero for the others, and defines INT_MIN rem_s -1 as 0. */
bool lower_idiv(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMOpcode op = (LLVMOpcode)arg;
    LLVMValueRef r = lower_pop(c);
    LLVMValueRef l = lower_pop(c);
    LLVMTypeRef t = LLVMTypeOf(l);
    unsigned bits = LLVMGetIntTypeWidth(t);
    LLVMValueRef minus_one = LLVMConstAllOnes(t);
    lower_trap_if(c, LLVMBuildICmp(c->b, LLVMIntEQ, r, LLVMConstNull(t), ""),
                  KILN_TRAP_INT_DIV_ZERO);
    if (op == LLVMSDiv) {
        LLVMValueRef int_min = LLVMConstInt(t, 1ull << (bits - 1), false);
        LLVMValueRef overflow = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, l, int_min, ""),
                                             LLVMBuildICmp(c->b, LLVMIntEQ, r, minus_one, ""), "");
        lower_trap_if(c, overflow, KILN_TRAP_INT_OVERFLOW);
    } else if (op == LLVMSRem) {
        /* x rem -1 is 0 for every x; dividing by 1 instead avoids INT_MIN srem -1. */
        r = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, r, minus_one, ""),
                            LLVMConstInt(t, 1, false), r, "");
    }
    lower_push(c, LLVMBuildBinOp(c->b, op, l, r, ""));
    return true;
}

bool lower_cast(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    LLVMTypeRef t = out_type(c, ins);
    /* demote(promote(x)) is x, but LLVM's fold would keep a signaling NaN x unquieted. */
    if (arg == LLVMFPTrunc && LLVMIsAFPExtInst(v) && LLVMTypeOf(LLVMGetOperand(v, 0)) == t) {
        lower_push(c, quiet_nan(c, LLVMGetOperand(v, 0)));
        return true;
    }
    lower_push(c, LLVMBuildCast(c->b, (LLVMOpcode)arg, v, t, ""));
    return true;
}

/* extendN_s: sign-extend the low N bits in place (trunc + sext). */
bool lower_sext_in(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    LLVMTypeRef narrow = LLVMIntTypeInContext(c->u->ctx, (unsigned)arg);
    LLVMValueRef low = LLVMBuildTrunc(c->b, v, narrow, "");
    lower_push(c, LLVMBuildSExt(c->b, low, LLVMTypeOf(v), ""));
    return true;
}

/* Trapping float->int: LLVM's fptosi/fptoui of NaN or an out-of-range value is poison; Wasm
 * traps ("invalid conversion to integer" for NaN, "integer overflow" otherwise). The value is
 * in range iff trunc(x) fits, i.e. lo < x < hi with exact bounds:
 *   signed N bits:   hi = 2^(N-1); lo = -2^(N-1) - 1 when the source type represents it
 *                    (f64 -> i32), else x >= -2^(N-1) (the next float below is <= -2^(N-1)-1);
 *   unsigned N bits: hi = 2^N, lo = -1 (so -0.9 truncates to 0). */
bool lower_trunc(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    bool is_signed = arg != 0;
    LLVMValueRef v = lower_pop(c);
    LLVMTypeRef src = LLVMTypeOf(v);
    LLVMTypeRef dst = out_type(c, ins);
    unsigned bits = LLVMGetIntTypeWidth(dst);
    bool src_f64 = src == u->t_f64;

    lower_trap_if(c, LLVMBuildFCmp(c->b, LLVMRealUNO, v, v, ""), KILN_TRAP_BAD_CONVERSION);

    double hi = is_signed ? (double)(1ull << (bits - 1))
                          : (bits == 64 ? 18446744073709551616.0 : (double)(1ull << bits));
    LLVMValueRef below;
    if (!is_signed) {
        below = LLVMBuildFCmp(c->b, LLVMRealOLE, v, LLVMConstReal(src, -1.0), "");
    } else if (src_f64 && bits == 32) {
        below = LLVMBuildFCmp(c->b, LLVMRealOLE, v, LLVMConstReal(src, -2147483649.0), "");
    } else {
        below = LLVMBuildFCmp(c->b, LLVMRealOLT, v, LLVMConstReal(src, -hi), "");
    }
    LLVMValueRef above = LLVMBuildFCmp(c->b, LLVMRealOGE, v, LLVMConstReal(src, hi), "");
    lower_trap_if(c, LLVMBuildOr(c->b, below, above, ""), KILN_TRAP_INT_OVERFLOW);
    lower_push(c,
               is_signed ? LLVMBuildFPToSI(c->b, v, dst, "") : LLVMBuildFPToUI(c->b, v, dst, ""));
    return true;
}

bool lower_trunc_sat(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    LLVMTypeRef types[2] = {out_type(c, ins), LLVMTypeOf(v)};
    lower_push(c, lower_call_intr(c, (lower_intr)arg, types, 2, &v, 1));
    return true;
}
