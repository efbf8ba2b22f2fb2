/* lower_simd.c -- the 0xFD family: v128 memory access, lanes, and vector arithmetic.
 *
 * A v128 is <2 x i64> on the value stack, in locals, phis and call signatures (lower.c); each
 * handler views its operands in the row's lane shape (<16 x i8> ... <2 x double>) with a
 * bitcast, and casts its result back, so LLVM sees one type at every join. Most rows map to
 * one LLVM instruction or intrinsic over that shape (binop, icmp, fcmp, unary/binary
 * intrinsic, shift); the others are written out here where Wasm's definition differs from the
 * obvious LLVM operation: out-of-range swizzle indices, sign/zero extension of narrow lanes,
 * saturating narrowing and rounding multiplies, and NaN handling of min/max/pmin/pmax.
 * Memory accesses use the scalar loads' guard-page addressing (lower_memory.c) and alignment 1,
 * which is never more than the actual alignment. No fast-math flag is set anywhere.
 */
#include <string.h>

#include "lower.h"

static unsigned shape_of(int arg)
{
    return (unsigned)arg & 7u;
}

static int param_of(int arg)
{
    return arg >> 3;
}

static bool shape_is_float(unsigned shape)
{
    return shape == SH_F32 || shape == SH_F64;
}

static unsigned shape_lanes(unsigned shape)
{
    static const unsigned lanes[] = {
        [SH_I8] = 16, [SH_I16] = 8, [SH_I32] = 4, [SH_I64] = 2, [SH_F32] = 4, [SH_F64] = 2};
    return lanes[shape];
}

static LLVMTypeRef lane_type(lower_unit *u, unsigned shape)
{
    switch (shape) {
    case SH_F32:
        return u->t_f32;
    case SH_F64:
        return u->t_f64;
    default:
        return LLVMIntTypeInContext(u->ctx, 128u / shape_lanes(shape));
    }
}

static LLVMTypeRef vec_type(lower_unit *u, LLVMTypeRef lane, unsigned n)
{
    return LLVMVectorType(lane, n);
}

static LLVMTypeRef shape_type(lower_unit *u, unsigned shape)
{
    return vec_type(u, lane_type(u, shape), shape_lanes(shape));
}

/* The integer vector with the shape's lane count and width: a comparison's result type. */
static LLVMTypeRef shape_int_type(lower_unit *u, unsigned shape)
{
    unsigned n = shape_lanes(shape);
    return vec_type(u, LLVMIntTypeInContext(u->ctx, 128u / n), n);
}

static LLVMValueRef pop_as(lower_ctx *c, LLVMTypeRef t)
{
    return LLVMBuildBitCast(c->b, lower_pop(c), t, "");
}

static LLVMValueRef pop_shape(lower_ctx *c, unsigned shape)
{
    return pop_as(c, shape_type(c->u, shape));
}

static void push_v128(lower_ctx *c, LLVMValueRef v)
{
    lower_push(c, LLVMBuildBitCast(c->b, v, c->u->t_v128, ""));
}

static LLVMValueRef splat(lower_ctx *c, LLVMValueRef scalar, unsigned n)
{
    LLVMTypeRef vt = vec_type(c->u, LLVMTypeOf(scalar), n);
    LLVMValueRef v =
        LLVMBuildInsertElement(c->b, LLVMGetPoison(vt), scalar, lower_i32(c->u, 0), "");
    LLVMValueRef zeros = LLVMConstNull(vec_type(c->u, c->u->t_i32, n));
    return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(vt), zeros, "");
}

/* A constant splat of an integer into a vector of type vt. */
static LLVMValueRef const_splat(LLVMTypeRef vt, unsigned long long v)
{
    unsigned n = LLVMGetVectorSize(vt);
    LLVMValueRef elems[16];
    for (unsigned i = 0; i < n; i++)
        elems[i] = LLVMConstInt(LLVMGetElementType(vt), v, false);
    return LLVMConstVector(elems, n);
}

/* The lanes first, first + step, ... (n of them) of a, as a shufflevector. */
static LLVMValueRef lanes_of(lower_ctx *c, LLVMValueRef a, unsigned first, unsigned step,
                             unsigned n)
{
    LLVMValueRef mask[16];
    for (unsigned i = 0; i < n; i++)
        mask[i] = lower_i32(c->u, first + i * step);
    return LLVMBuildShuffleVector(c->b, a, LLVMGetPoison(LLVMTypeOf(a)), LLVMConstVector(mask, n),
                                  "");
}

static LLVMValueRef extend(lower_ctx *c, LLVMValueRef v, LLVMTypeRef t, bool is_signed)
{
    return is_signed ? LLVMBuildSExt(c->b, v, t, "") : LLVMBuildZExt(c->b, v, t, "");
}

/* The v128 memory instructions differ only in what is loaded and where it goes: one handler.
 * arg = SIMD_ARG(VLOAD_* or VSTORE*, 0), for the extending loads SIMD_ARG(VLOAD_EXTEND,
 * SIMD_ARG(result shape, sign)); the accessed width is opcodes.def's size column. */
bool lower_v128_memory(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned size = wasm_ops[ins->op].size;
    unsigned kind = shape_of(arg); /* the low 3 bits: VLOAD_* / VSTORE* */
    LLVMTypeRef narrow = LLVMIntTypeInContext(u->ctx, size * 8u);
    LLVMValueRef v = NULL;
    if (kind == VLOAD_LANE || kind == VSTORE_LANE || kind == VSTORE)
        v = lower_pop(c);
    LLVMValueRef ptr = lower_memarg_address(c, &ins->u.memarg.mem, lower_pop(c), size);
    switch (kind) {
    case VLOAD_PLAIN:
        lower_push(c, lower_load(c, u->t_v128, ptr, ALIAS_MEMORY, false));
        break;
    case VLOAD_EXTEND: {
        /* 8 bytes as n lanes of half the result width, each extended. */
        unsigned shape = shape_of(param_of(arg)), n = shape_lanes(shape);
        LLVMTypeRef half = vec_type(u, LLVMIntTypeInContext(u->ctx, 64u / n), n);
        LLVMValueRef x = lower_load(c, half, ptr, ALIAS_MEMORY, false);
        push_v128(c, extend(c, x, shape_type(u, shape), param_of(param_of(arg)) & SIMD_SIGNED));
        break;
    }
    case VLOAD_SPLAT:
        push_v128(c, splat(c, lower_load(c, narrow, ptr, ALIAS_MEMORY, false), 16u / size));
        break;
    case VLOAD_ZERO: {
        LLVMTypeRef vt = vec_type(u, narrow, 16u / size);
        LLVMValueRef x = lower_load(c, narrow, ptr, ALIAS_MEMORY, false);
        push_v128(c, LLVMBuildInsertElement(c->b, LLVMConstNull(vt), x, lower_i32(u, 0), ""));
        break;
    }
    case VLOAD_LANE: {
        LLVMTypeRef vt = vec_type(u, narrow, 16u / size);
        LLVMValueRef x = lower_load(c, narrow, ptr, ALIAS_MEMORY, false);
        LLVMValueRef vec = LLVMBuildBitCast(c->b, v, vt, "");
        push_v128(c, LLVMBuildInsertElement(c->b, vec, x, lower_i32(u, ins->u.memarg.lane), ""));
        break;
    }
    case VSTORE_LANE: {
        LLVMTypeRef vt = vec_type(u, narrow, 16u / size);
        LLVMValueRef vec = LLVMBuildBitCast(c->b, v, vt, "");
        LLVMValueRef x = LLVMBuildExtractElement(c->b, vec, lower_i32(u, ins->u.memarg.lane), "");
        lower_store(c, x, ptr, ALIAS_MEMORY);
        break;
    }
    default:
        KILN_ASSERT(kind == VSTORE);
        lower_store(c, v, ptr, ALIAS_MEMORY);
        break;
    }
    return true;
}

/* v128.const: the immediate's 16 bytes, little-endian, as the two i64 lanes. */
bool lower_v128_const(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef halves[2];
    for (int h = 0; h < 2; h++) {
        uint64_t bits = 0;
        for (int i = 7; i >= 0; i--)
            bits = bits << 8 | ins->u.v128[h * 8 + i];
        halves[h] = lower_i64(c->u, bits);
    }
    lower_push(c, LLVMConstVector(halves, 2));
    return true;
}

/* v128.not: LLVM has no `not`; xor with all ones. */
bool lower_v128_not(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lower_pop(c);
    lower_push(c, LLVMBuildNot(c->b, v, ""));
    return true;
}

/* v128.andnot: a & ~b, two instructions (x86 andnps / AArch64 bic match the pair). */
bool lower_v128_andnot(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef b = lower_pop(c);
    LLVMValueRef a = lower_pop(c);
    lower_push(c, LLVMBuildAnd(c->b, a, LLVMBuildNot(c->b, b, ""), ""));
    return true;
}

/* v128.bitselect: (a & m) | (b & ~m), three operands. */
bool lower_v128_bitselect(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef m = lower_pop(c);
    LLVMValueRef b = lower_pop(c);
    LLVMValueRef a = lower_pop(c);
    LLVMValueRef x = LLVMBuildAnd(c->b, a, m, "");
    LLVMValueRef y = LLVMBuildAnd(c->b, b, LLVMBuildNot(c->b, m, ""), "");
    lower_push(c, LLVMBuildOr(c->b, x, y, ""));
    return true;
}

/* v128.any_true: the whole vector as an i128 compared with 0 (an i32 result). */
bool lower_v128_any_true(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMTypeRef i128 = LLVMIntTypeInContext(c->u->ctx, 128);
    LLVMValueRef v = pop_as(c, i128);
    LLVMValueRef nz = LLVMBuildICmp(c->b, LLVMIntNE, v, LLVMConstNull(i128), "");
    lower_push(c, LLVMBuildZExt(c->b, nz, c->u->t_i32, ""));
    return true;
}

/* i8x16.shuffle: the immediate lane indices (validated < 32) are shufflevector's mask. */
bool lower_simd_shuffle(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef b = pop_shape(c, SH_I8);
    LLVMValueRef a = pop_shape(c, SH_I8);
    LLVMValueRef mask[16];
    for (unsigned i = 0; i < 16; i++)
        mask[i] = lower_i32(c->u, ins->u.v128[i]);
    push_v128(c, LLVMBuildShuffleVector(c->b, a, b, LLVMConstVector(mask, 16), ""));
    return true;
}

/* i8x16.swizzle: a variable permute where an index >= 16 selects 0. Written generically as
 * 16 extracts of a at (index & 15) -- a build_vector LLVM's x86 and AArch64 back ends turn
 * into pshufb / tbl -- then a select on index < 16 for the out-of-range lanes. */
bool lower_simd_swizzle(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    LLVMTypeRef vt = shape_type(u, SH_I8);
    LLVMValueRef idx = pop_as(c, vt);
    LLVMValueRef a = pop_as(c, vt);
    LLVMValueRef masked = LLVMBuildAnd(c->b, idx, const_splat(vt, 15), "");
    LLVMValueRef r = LLVMGetPoison(vt);
    for (unsigned i = 0; i < 16; i++) {
        LLVMValueRef k = LLVMBuildExtractElement(c->b, masked, lower_i32(u, i), "");
        LLVMValueRef e = LLVMBuildExtractElement(c->b, a, k, "");
        r = LLVMBuildInsertElement(c->b, r, e, lower_i32(u, i), "");
    }
    LLVMValueRef in_range = LLVMBuildICmp(c->b, LLVMIntULT, idx, const_splat(vt, 16), "");
    push_v128(c, LLVMBuildSelect(c->b, in_range, r, LLVMConstNull(vt), ""));
    return true;
}

/* Splats: i8/i16 take the low bits of an i32 operand, so a truncation comes first. */
bool lower_simd_splat(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef x = lower_pop(c);
    if (shape == SH_I8 || shape == SH_I16)
        x = LLVMBuildTrunc(c->b, x, lane_type(c->u, shape), "");
    push_v128(c, splat(c, x, shape_lanes(shape)));
    return true;
}

/* extract_lane: i8/i16 lanes are sign- or zero-extended to the i32 result. */
bool lower_simd_extract(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef v = pop_shape(c, shape);
    LLVMValueRef x = LLVMBuildExtractElement(c->b, v, lower_i32(c->u, ins->u.lane), "");
    if (shape == SH_I8 || shape == SH_I16)
        x = extend(c, x, c->u->t_i32, param_of(arg) & SIMD_SIGNED);
    lower_push(c, x);
    return true;
}

/* replace_lane: i8/i16 lanes take the low bits of the i32 operand. */
bool lower_simd_replace(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef x = lower_pop(c);
    LLVMValueRef v = pop_shape(c, shape);
    if (shape == SH_I8 || shape == SH_I16)
        x = LLVMBuildTrunc(c->b, x, lane_type(c->u, shape), "");
    push_v128(c, LLVMBuildInsertElement(c->b, v, x, lower_i32(c->u, ins->u.lane), ""));
    return true;
}

/* Table-row handler: one icmp over the shape; Wasm's true lane is all ones, hence sext. */
bool lower_simd_icmp(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef b = pop_shape(c, shape);
    LLVMValueRef a = pop_shape(c, shape);
    LLVMValueRef r = LLVMBuildICmp(c->b, (LLVMIntPredicate)param_of(arg), a, b, "");
    push_v128(c, LLVMBuildSExt(c->b, r, shape_int_type(c->u, shape), ""));
    return true;
}

/* Table-row handler: one fcmp (predicate from the row: ne is unordered), then sext. */
bool lower_simd_fcmp(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef b = pop_shape(c, shape);
    LLVMValueRef a = pop_shape(c, shape);
    LLVMValueRef r = LLVMBuildFCmp(c->b, (LLVMRealPredicate)param_of(arg), a, b, "");
    push_v128(c, LLVMBuildSExt(c->b, r, shape_int_type(c->u, shape), ""));
    return true;
}

/* The bits of lane i of a constant v128 viewed in shape (lanes of 32 or 64 bits); false if v
 * is not a constant. v is a bitcast (constant expression) of v128.const's <2 x i64>, or that
 * bitcast already folded into a float vector. */
static bool const_lane_bits(LLVMValueRef v, unsigned shape, unsigned i, uint64_t *out)
{
    if (!LLVMIsConstant(v))
        return false;
    if (LLVMIsAConstantExpr(v) && LLVMGetConstOpcode(v) == LLVMBitCast)
        v = LLVMGetOperand(v, 0);
    LLVMTypeRef et = LLVMGetElementType(LLVMTypeOf(v));
    if (LLVMGetTypeKind(et) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(et) == 64) {
        unsigned per = shape == SH_F32 ? 2 : 1;
        LLVMValueRef e = LLVMGetAggregateElement(v, i / per);
        if (!e || !LLVMIsAConstantInt(e))
            return false;
        uint64_t bits = LLVMConstIntGetZExtValue(e);
        *out = per == 2 ? (uint32_t)(bits >> (32 * (i % 2))) : bits;
        return true;
    }
    LLVMValueRef e = LLVMGetAggregateElement(v, i);
    if (!e || !LLVMIsAConstantFP(e))
        return false;
    LLVMBool loses;
    double d = LLVMConstRealGetDouble(e, &loses);
    if (shape == SH_F32) {
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        *out = bits;
    } else {
        memcpy(out, &d, sizeof d);
    }
    return true;
}

/* The common lane bits of a constant splat; false if v is not one. */
static bool splat_bits(LLVMValueRef v, unsigned shape, uint64_t *out)
{
    uint64_t first = 0;
    for (unsigned i = 0; i < shape_lanes(shape); i++) {
        uint64_t bits;
        if (!const_lane_bits(v, shape, i, &bits) || (i > 0 && bits != first))
            return false;
        first = bits;
    }
    *out = first;
    return true;
}

static LLVMValueRef quiet_nan(lower_ctx *c, unsigned shape, LLVMValueRef v);

/* x + -0, x - 0, x * 1, x / 1 (= x) and x * -1, x / -1, -0 - x (= -x) with a splat constant:
 * LLVM folds them to x or fneg x, which would leave a signaling NaN lane unquieted; lowered
 * as that identity with NaN lanes quieted (lower_numeric.c does the same for scalars). */
static LLVMValueRef float_identity(lower_ctx *c, unsigned shape, LLVMOpcode op, LLVMValueRef l,
                                   LLVMValueRef r)
{
    uint64_t lk = 0, rk = 0;
    bool lc = splat_bits(l, shape, &lk), rc = splat_bits(r, shape, &rk), negate;
    LLVMValueRef x = lower_float_identity(op, shape == SH_F32, l, lc, lk, r, rc, rk, &negate);
    if (!x)
        return NULL;
    return quiet_nan(c, shape, negate ? LLVMBuildFNeg(c->b, x, "") : x);
}

/* Table-row handler: one LLVM binary instruction over the shape (float identities aside). */
bool lower_simd_binop(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMOpcode op = (LLVMOpcode)param_of(arg);
    LLVMValueRef b = pop_shape(c, shape);
    LLVMValueRef a = pop_shape(c, shape);
    LLVMValueRef v = shape_is_float(shape) ? float_identity(c, shape, op, a, b) : NULL;
    push_v128(c, v ? v : LLVMBuildBinOp(c->b, op, a, b, ""));
    return true;
}

/* neg: fneg for float lanes (a sign flip, NaNs included), 0 - x for integer lanes. */
bool lower_simd_neg(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef v = pop_shape(c, shape);
    push_v128(c, shape_is_float(shape) ? LLVMBuildFNeg(c->b, v, "") : LLVMBuildNeg(c->b, v, ""));
    return true;
}

/* Table-row handler: one overloaded intrinsic over the shape (ctpop, fabs, ceil, ...). */
bool lower_simd_unary_intr(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef v = pop_shape(c, shape);
    LLVMTypeRef t = LLVMTypeOf(v);
    lower_intr id = (lower_intr)param_of(arg);
    push_v128(c, lower_quiet_rounding(c, id, v, lower_call_intr(c, id, &t, 1, &v, 1)));
    return true;
}

/* Table-row handler: one two-operand intrinsic (saturating add/sub, integer min/max). */
bool lower_simd_binary_intr(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef args[2];
    args[1] = pop_shape(c, shape);
    args[0] = pop_shape(c, shape);
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    push_v128(c, lower_call_intr(c, (lower_intr)param_of(arg), &t, 1, args, 2));
    return true;
}

/* Integer abs: llvm.abs with is_int_min_poison = false, since Wasm's abs(INT_MIN) = INT_MIN. */
bool lower_simd_abs(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[2] = {pop_shape(c, shape_of(arg)), LLVMConstNull(c->u->t_i1)};
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    push_v128(c, lower_call_intr(c, INTR_ABS, &t, 1, args, 2));
    return true;
}

/* Shifts: an i32 count taken modulo the lane width (LLVM's is poison at >= width), splat. */
bool lower_simd_shift(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMTypeRef lane = lane_type(c->u, shape);
    unsigned bits = LLVMGetIntTypeWidth(lane);
    LLVMValueRef n = LLVMBuildAnd(c->b, lower_pop(c), lower_i32(c->u, bits - 1), "");
    LLVMValueRef v = pop_shape(c, shape);
    if (bits < 32)
        n = LLVMBuildTrunc(c->b, n, lane, "");
    else if (bits > 32)
        n = LLVMBuildZExt(c->b, n, lane, "");
    LLVMValueRef counts = splat(c, n, shape_lanes(shape));
    push_v128(c, LLVMBuildBinOp(c->b, (LLVMOpcode)param_of(arg), v, counts, ""));
    return true;
}

/* all_true: every lane nonzero, as the lanes' i1 mask (bitcast to iN) being all ones. */
bool lower_simd_all_true(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    LLVMValueRef v = pop_shape(c, shape);
    LLVMValueRef nz = LLVMBuildICmp(c->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    LLVMTypeRef in = LLVMIntTypeInContext(c->u->ctx, n);
    LLVMValueRef bits = LLVMBuildBitCast(c->b, nz, in, "");
    LLVMValueRef all = LLVMBuildICmp(c->b, LLVMIntEQ, bits, LLVMConstAllOnes(in), "");
    lower_push(c, LLVMBuildZExt(c->b, all, c->u->t_i32, ""));
    return true;
}

/* bitmask: the lanes' sign bits (x < 0 as an i1 mask, bitcast to iN), zero-extended. */
bool lower_simd_bitmask(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    LLVMValueRef v = pop_shape(c, shape);
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, v, LLVMConstNull(LLVMTypeOf(v)), "");
    LLVMValueRef bits = LLVMBuildBitCast(c->b, neg, LLVMIntTypeInContext(c->u->ctx, n), "");
    lower_push(c, LLVMBuildZExt(c->b, bits, c->u->t_i32, ""));
    return true;
}

/* avgr_u: (a + b + 1) >> 1 without overflow, in lanes of twice the width. */
bool lower_simd_avgr(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    LLVMTypeRef vt = shape_type(u, shape);
    LLVMTypeRef wide = vec_type(u, LLVMIntTypeInContext(u->ctx, 256u / n), n);
    LLVMValueRef b = LLVMBuildZExt(c->b, pop_as(c, vt), wide, "");
    LLVMValueRef a = LLVMBuildZExt(c->b, pop_as(c, vt), wide, "");
    LLVMValueRef sum = LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, a, b, ""), const_splat(wide, 1), "");
    LLVMValueRef half = LLVMBuildLShr(c->b, sum, const_splat(wide, 1), "");
    push_v128(c, LLVMBuildTrunc(c->b, half, vt, ""));
    return true;
}

/* q15mulr_sat_s: (a * b + 0x4000) >> 15 in i32 lanes, saturated to i16; only
 * -32768 * -32768 overflows (to 32768), so clamping from above is enough. */
bool lower_simd_q15mulr(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    LLVMTypeRef vt = shape_type(u, SH_I16);
    LLVMTypeRef wide = vec_type(u, u->t_i32, 8);
    LLVMValueRef b = LLVMBuildSExt(c->b, pop_as(c, vt), wide, "");
    LLVMValueRef a = LLVMBuildSExt(c->b, pop_as(c, vt), wide, "");
    LLVMValueRef p =
        LLVMBuildAdd(c->b, LLVMBuildMul(c->b, a, b, ""), const_splat(wide, 0x4000), "");
    LLVMValueRef args[2] = {LLVMBuildAShr(c->b, p, const_splat(wide, 15), ""),
                            const_splat(wide, 0x7fff)};
    LLVMValueRef r = lower_call_intr(c, INTR_SMIN, &wide, 1, args, 2);
    push_v128(c, LLVMBuildTrunc(c->b, r, vt, ""));
    return true;
}

/* extmul: half the lanes (low or high) of each operand extended to the result shape, then a
 * multiply that cannot overflow. arg's shape is the result's. */
bool lower_simd_extmul(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    int flags = param_of(arg);
    LLVMTypeRef src = vec_type(u, LLVMIntTypeInContext(u->ctx, 64u / n), 2 * n);
    LLVMTypeRef dst = shape_type(u, shape);
    unsigned first = flags & SIMD_HIGH ? n : 0;
    LLVMValueRef b = extend(c, lanes_of(c, pop_as(c, src), first, 1, n), dst, flags & SIMD_SIGNED);
    LLVMValueRef a = extend(c, lanes_of(c, pop_as(c, src), first, 1, n), dst, flags & SIMD_SIGNED);
    push_v128(c, LLVMBuildMul(c->b, a, b, ""));
    return true;
}

/* extadd_pairwise: even lanes + odd lanes, each extended to the result shape (arg's). */
bool lower_simd_extadd(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    bool is_signed = param_of(arg) & SIMD_SIGNED;
    LLVMTypeRef src = vec_type(u, LLVMIntTypeInContext(u->ctx, 64u / n), 2 * n);
    LLVMTypeRef dst = shape_type(u, shape);
    LLVMValueRef v = pop_as(c, src);
    LLVMValueRef even = extend(c, lanes_of(c, v, 0, 2, n), dst, is_signed);
    LLVMValueRef odd = extend(c, lanes_of(c, v, 1, 2, n), dst, is_signed);
    push_v128(c, LLVMBuildAdd(c->b, even, odd, ""));
    return true;
}

/* i32x4.dot_i16x8_s: products of sign-extended i16 pairs, adjacent pairs added (wrapping:
 * only -32768 * -32768 * 2 wraps, as the spec's result does). */
bool lower_simd_dot(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    LLVMTypeRef src = shape_type(u, SH_I16);
    LLVMTypeRef dst = shape_type(u, SH_I32);
    LLVMValueRef b = pop_as(c, src);
    LLVMValueRef a = pop_as(c, src);
    LLVMValueRef p[2];
    for (unsigned k = 0; k < 2; k++) {
        LLVMValueRef x = LLVMBuildSExt(c->b, lanes_of(c, a, k, 2, 4), dst, "");
        LLVMValueRef y = LLVMBuildSExt(c->b, lanes_of(c, b, k, 2, 4), dst, "");
        p[k] = LLVMBuildMul(c->b, x, y, "");
    }
    push_v128(c, LLVMBuildAdd(c->b, p[0], p[1], ""));
    return true;
}

/* relaxed madd/nmadd (arg: SIMD_ARG(shape, negate)): a * b + c, or -(a * b) + c, rounded
 * twice. The spec allows fused or not; unfused gives the same result on every target (the
 * IR has no contract flag, so LLVM never fuses them). */
bool lower_simd_relaxed_madd(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMTypeRef t = shape_type(c->u, shape_of(arg));
    LLVMValueRef z = pop_as(c, t);
    LLVMValueRef y = pop_as(c, t);
    LLVMValueRef x = pop_as(c, t);
    LLVMValueRef p = LLVMBuildFMul(c->b, x, y, "");
    if (param_of(arg))
        p = LLVMBuildFNeg(c->b, p, "");
    push_v128(c, LLVMBuildFAdd(c->b, p, z, ""));
    return true;
}

/* relaxed dot products: each pair of adjacent i8 lanes of a times those of b, b's lanes taken
 * as signed (the spec leaves b's top bit's meaning open), added with signed saturation into
 * an i16 lane; for i32x4.relaxed_dot_i8x16_i7x16_add_s (arg's shape SH_I32) adjacent i16
 * lanes are then added into i32 lanes, plus c's. Within the range the spec defines (b's
 * lanes below 128) every allowed result is this one. */
bool lower_simd_relaxed_dot(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    bool add = shape_of(arg) == SH_I32;
    LLVMTypeRef t32 = shape_type(u, SH_I32);
    LLVMValueRef acc = add ? pop_as(c, t32) : NULL;
    LLVMTypeRef src = shape_type(u, SH_I8);
    LLVMTypeRef wide = vec_type(u, u->t_i32, 8);
    LLVMValueRef b = pop_as(c, src);
    LLVMValueRef a = pop_as(c, src);
    LLVMValueRef p[2];
    for (unsigned k = 0; k < 2; k++) {
        LLVMValueRef x = LLVMBuildSExt(c->b, lanes_of(c, a, k, 2, 8), wide, "");
        LLVMValueRef y = LLVMBuildSExt(c->b, lanes_of(c, b, k, 2, 8), wide, "");
        p[k] = LLVMBuildMul(c->b, x, y, "");
    }
    LLVMValueRef sum = LLVMBuildAdd(c->b, p[0], p[1], "");
    LLVMValueRef lows[8], highs[8];
    for (unsigned i = 0; i < 8; i++) {
        lows[i] = LLVMConstInt(u->t_i32, (unsigned long long)-32768, true);
        highs[i] = LLVMConstInt(u->t_i32, 32767, true);
    }
    LLVMValueRef min = LLVMConstVector(lows, 8), max = LLVMConstVector(highs, 8);
    sum = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, sum, min, ""), min, sum, "");
    sum = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, sum, max, ""), max, sum, "");
    LLVMValueRef d16 = LLVMBuildTrunc(c->b, sum, shape_type(u, SH_I16), "");
    if (!add) {
        push_v128(c, d16);
        return true;
    }
    LLVMValueRef q[2];
    for (unsigned k = 0; k < 2; k++)
        q[k] = LLVMBuildSExt(c->b, lanes_of(c, d16, k, 2, 4), t32, "");
    push_v128(c, LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, q[0], q[1], ""), acc, ""));
    return true;
}

/* narrow: a's lanes then b's (signed, twice the width), each clamped to the narrow lane's
 * signed or unsigned range, then truncated. arg's shape is the result's. */
bool lower_simd_narrow(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    unsigned bits = 128u / n;
    bool is_signed = param_of(arg) & SIMD_SIGNED;
    LLVMTypeRef src = vec_type(u, LLVMIntTypeInContext(u->ctx, 2 * bits), n / 2);
    LLVMValueRef b = pop_as(c, src);
    LLVMValueRef a = pop_as(c, src);
    LLVMValueRef mask[16];
    for (unsigned i = 0; i < n; i++)
        mask[i] = lower_i32(u, i);
    LLVMValueRef v = LLVMBuildShuffleVector(c->b, a, b, LLVMConstVector(mask, n), "");
    LLVMTypeRef wide = LLVMTypeOf(v);
    unsigned long long lo = is_signed ? ~0ull << (bits - 1) : 0; /* sign-extended -2^(bits-1) */
    unsigned long long hi = is_signed ? (1ull << (bits - 1)) - 1 : (1ull << bits) - 1;
    LLVMValueRef args[2] = {v, const_splat(wide, lo)};
    args[0] = lower_call_intr(c, INTR_SMAX, &wide, 1, args, 2);
    args[1] = const_splat(wide, hi);
    v = lower_call_intr(c, INTR_SMIN, &wide, 1, args, 2);
    push_v128(c, LLVMBuildTrunc(c->b, v, shape_type(u, shape), ""));
    return true;
}

/* extend_low/high: half the lanes, extended to the result shape (arg's). */
bool lower_simd_extend(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    int flags = param_of(arg);
    LLVMTypeRef src = vec_type(u, LLVMIntTypeInContext(u->ctx, 64u / n), 2 * n);
    LLVMValueRef half = lanes_of(c, pop_as(c, src), flags & SIMD_HIGH ? n : 0, 1, n);
    push_v128(c, extend(c, half, shape_type(u, shape), flags & SIMD_SIGNED));
    return true;
}

/* Lanes of v with the quiet bit set where they are NaN (as lower_numeric.c's quiet_nan). */
static LLVMValueRef quiet_nan(lower_ctx *c, unsigned shape, LLVMValueRef v)
{
    LLVMTypeRef it = shape_int_type(c->u, shape);
    LLVMValueRef bit = const_splat(it, shape == SH_F64 ? 1ull << 51 : 1ull << 22);
    LLVMValueRef q = LLVMBuildOr(c->b, LLVMBuildBitCast(c->b, v, it, ""), bit, "");
    LLVMValueRef quieted = LLVMBuildBitCast(c->b, q, LLVMTypeOf(v), "");
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealUNO, v, v, ""), quieted, v, "");
}

/* min/max: llvm.minimum/maximum (NaN-propagating, -0 < +0) with NaN lanes quieted, since
 * LLVM may pass a signaling NaN operand through unchanged. */
bool lower_simd_fminmax(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef args[2];
    args[1] = pop_shape(c, shape);
    args[0] = pop_shape(c, shape);
    LLVMTypeRef t = LLVMTypeOf(args[0]);
    LLVMValueRef r;
    if (c->u->ptr_size < 8 && shape == SH_F64) /* llc-19 on 32-bit ARM: see lower_minmax */
        r = lower_minmax_by_hand(c, (lower_intr)param_of(arg) == INTR_MINIMUM, args[0], args[1]);
    else
        r = lower_call_intr(c, (lower_intr)param_of(arg), &t, 1, args, 2);
    push_v128(c, quiet_nan(c, shape, r));
    return true;
}

/* pmin: b < a ? b : a; pmax: a < b ? b : a -- exactly, so NaNs and zeros pass as the spec
 * says (not minnum/maxnum, which differ on NaN and signed zeros). arg: SIMD_HIGH = pmax. */
bool lower_simd_pminmax(lower_ctx *c, const wasm_instr *ins, int arg)
{
    unsigned shape = shape_of(arg);
    LLVMValueRef b = pop_shape(c, shape);
    LLVMValueRef a = pop_shape(c, shape);
    LLVMValueRef lt = param_of(arg) & SIMD_HIGH ? LLVMBuildFCmp(c->b, LLVMRealOLT, a, b, "")
                                                : LLVMBuildFCmp(c->b, LLVMRealOLT, b, a, "");
    push_v128(c, LLVMBuildSelect(c->b, lt, b, a, ""));
    return true;
}

/* Integer -> float: all four lanes (f32x4), or the low two i32 lanes (f64x2.convert_low). */
bool lower_simd_convert(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned shape = shape_of(arg);
    bool is_signed = param_of(arg) & SIMD_SIGNED;
    LLVMValueRef v = pop_shape(c, SH_I32);
    if (shape == SH_F64)
        v = lanes_of(c, v, 0, 1, 2);
    LLVMTypeRef t = shape_type(u, shape);
    push_v128(c, is_signed ? LLVMBuildSIToFP(c->b, v, t, "") : LLVMBuildUIToFP(c->b, v, t, ""));
    return true;
}

/* Whether LLVM's back end for the module's target scalarizes vector llvm.fpto[su]i.sat: x86
 * does in LLVM 19 (four cvttss2si + cmov sequences), while e.g. AArch64 selects one fcvtzs. */
static bool sat_conversion_is_scalarized(lower_unit *u)
{
    const char *triple = LLVMGetTarget(u->mod);
    return strncmp(triple, "x86_64", 6) == 0 ||
           (triple[0] == 'i' && strncmp(triple + 2, "86", 2) == 0);
}

/* A constant splat of the float value d into a vector of type vt. */
static LLVMValueRef const_splat_real(LLVMTypeRef vt, double d)
{
    unsigned n = LLVMGetVectorSize(vt);
    LLVMValueRef elems[4];
    for (unsigned i = 0; i < n; i++)
        elems[i] = LLVMConstReal(LLVMGetElementType(vt), d);
    return LLVMConstVector(elems, n);
}

/* trunc_sat: llvm.fptosi/fptoui.sat per lane; the f64x2 forms give two i32 lanes and zeros
 * above them. arg's shape is the source's. Where the target scalarizes the intrinsic, the
 * same function is written as a plain fptosi/fptoui (poison only in lanes that are then
 * replaced) and selects for NaN and the two saturated ends, which stays in vector registers
 * (x86: cvttps2dq, compares, blends). Bounds: signed x < -2^31 -> INT32_MIN (every such x
 * truncates to <= -2^31), x >= 2^31 -> INT32_MAX, NaN -> 0; unsigned x < 0 or NaN -> 0 (x in
 * (-1, 0) truncates to 0 anyway), x >= 2^32 -> UINT32_MAX. All bounds are exact in f32. */
bool lower_simd_trunc_sat(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    unsigned shape = shape_of(arg), n = shape_lanes(shape);
    bool is_signed = param_of(arg) & SIMD_SIGNED;
    LLVMValueRef v = pop_shape(c, shape);
    LLVMTypeRef it = vec_type(u, u->t_i32, n), ft = LLVMTypeOf(v);
    LLVMValueRef r;
    if (!sat_conversion_is_scalarized(u)) {
        LLVMTypeRef types[2] = {it, ft};
        r = lower_call_intr(c, is_signed ? INTR_FPTOSI_SAT : INTR_FPTOUI_SAT, types, 2, &v, 1);
    } else if (is_signed) {
        LLVMValueRef t = LLVMBuildFPToSI(c->b, v, it, "");
        LLVMValueRef lo =
            LLVMBuildFCmp(c->b, LLVMRealOLT, v, const_splat_real(ft, -2147483648.0), "");
        LLVMValueRef hi =
            LLVMBuildFCmp(c->b, LLVMRealOGE, v, const_splat_real(ft, 2147483648.0), "");
        LLVMValueRef nan = LLVMBuildFCmp(c->b, LLVMRealUNO, v, v, "");
        r = LLVMBuildSelect(c->b, lo, const_splat(it, 0x80000000u), t, "");
        r = LLVMBuildSelect(c->b, hi, const_splat(it, 0x7fffffffu), r, "");
        r = LLVMBuildSelect(c->b, nan, LLVMConstNull(it), r, "");
    } else {
        LLVMValueRef t = LLVMBuildFPToUI(c->b, v, it, "");
        LLVMValueRef lo = LLVMBuildFCmp(c->b, LLVMRealULT, v, LLVMConstNull(ft), "");
        LLVMValueRef hi =
            LLVMBuildFCmp(c->b, LLVMRealOGE, v, const_splat_real(ft, 4294967296.0), "");
        r = LLVMBuildSelect(c->b, lo, LLVMConstNull(it), t, "");
        r = LLVMBuildSelect(c->b, hi, const_splat(it, 0xffffffffu), r, "");
    }
    if (n == 2) {
        LLVMValueRef mask[4] = {lower_i32(u, 0), lower_i32(u, 1), lower_i32(u, 2), lower_i32(u, 3)};
        r = LLVMBuildShuffleVector(c->b, r, LLVMConstNull(it), LLVMConstVector(mask, 4), "");
    }
    push_v128(c, r);
    return true;
}

/* f32x4.demote_f64x2_zero: fptrunc of both lanes, zeros in the upper two. */
bool lower_simd_demote(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    LLVMValueRef v = pop_shape(c, SH_F64);
    LLVMTypeRef t2 = vec_type(u, u->t_f32, 2);
    LLVMValueRef r = LLVMBuildFPTrunc(c->b, v, t2, "");
    LLVMValueRef mask[4] = {lower_i32(u, 0), lower_i32(u, 1), lower_i32(u, 2), lower_i32(u, 3)};
    push_v128(c, LLVMBuildShuffleVector(c->b, r, LLVMConstNull(t2), LLVMConstVector(mask, 4), ""));
    return true;
}

/* f64x2.promote_low_f32x4: fpext of the low two lanes. */
bool lower_simd_promote(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef v = lanes_of(c, pop_shape(c, SH_F32), 0, 1, 2);
    push_v128(c, LLVMBuildFPExt(c->b, v, shape_type(c->u, SH_F64), ""));
    return true;
}
