/* test_simd.c -- the IR the hand-written SIMD lowerings (lower_simd.c) produce.
 *
 * simd_edge.wasm (from simd_edge.wat; its path is argv[1]) is compiled with --emit llvm at
 * -O0 for x86-64, and each exported function's body is checked for the construct that gives
 * the spec's semantics: shufflevector's constant mask, swizzle's in-range select (and no
 * target intrinsic), the clamps of narrow and q15mulr_sat_s, llvm.minimum + quieting for
 * min, plain compare + select for pmin/pmax, the saturating conversions (selects on x86,
 * the intrinsics on AArch64) and the zeroed upper lanes of the _zero forms, bitmask's sign test,
 * abs with is_int_min_poison false, and masked shift counts. At -O2 for x86-64-v3, swizzle must
 * become one pshufb (not a per-lane loop). simd_e2e.c checks the values these produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "toolchain.h"

#include "ir_text.h"

#define X86_64 "x86_64-unknown-linux-gnu"

static const char *wasm_path = "simd_edge.wasm";
static char *ir_o0;

/* The module compiled with the given options, as text (IR or assembly). */
static char *compile_text(kiln_emit_kind emit, int opt, const char *triple, const char *cpu)
{
    kiln_compile_options o;
    text_options(&o, wasm_path, emit, opt, triple);
    o.cpu = cpu;
    kiln_compile_result res;
    kiln_diag d;
    if (!kiln_compile(&o, &res, &d))
        fail_msg("%s: %s", wasm_path, d.msg);
    return result_text(&res);
}

/* The function indices of simd_edge.wat's exports, in order. */
enum {
    F_SHUFFLE,
    F_SWIZZLE,
    F_NARROW_S8,
    F_NARROW_U8,
    F_NARROW_S16,
    F_NARROW_U16,
    F_FMIN32,
    F_FMAX32,
    F_FMIN64,
    F_FMAX64,
    F_PMIN32,
    F_PMAX32,
    F_PMIN64,
    F_PMAX64,
    F_TRUNC_S32,
    F_TRUNC_U32,
    F_TRUNC_S64Z,
    F_TRUNC_U64Z,
    F_Q15,
    F_BITMASK8,
    F_BITMASK16,
    F_BITMASK32,
    F_BITMASK64,
    F_ALL_TRUE16,
    F_ANY_TRUE,
    F_AVGR8,
    F_ABS8,
    F_DOT,
    F_SHL8,
    F_SHR_S64,
};

/* The body of function index f in text (IR "@simd_edge_fN(" up to "\n}", or the assembly
 * label "simd_edge_fN:" up to its .Lfunc_end), as a new string. */
static char *body(const char *text, unsigned f, bool is_asm)
{
    char head[64], tail[64];
    if (is_asm) {
        snprintf(head, sizeof head, "\nsimd_edge_f%u:", f);
        snprintf(tail, sizeof tail, ".Lfunc_end%u:", f);
    } else {
        snprintf(head, sizeof head, " @simd_edge_f%u(", f);
        snprintf(tail, sizeof tail, "\n}");
    }
    const char *start = strstr(text, head);
    if (!start)
        fail_msg("no function %u", f);
    const char *end = strstr(start, tail);
    assert_non_null(end);
    return text_copy(start, (size_t)(end - start));
}

/* Asserts that function f's -O0 IR contains each of the NULL-terminated needles. */
static void expect_ir(unsigned f, ...)
{
    char *b = body(ir_o0, f, false);
    va_list ap;
    va_start(ap, f);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
        if (!strstr(b, needle)) {
            print_error("function %u lacks \"%s\":\n%s\n", f, needle, b);
            va_end(ap);
            free(b);
            fail();
        }
    va_end(ap);
    free(b);
}

static int setup(void **state)
{
    ir_o0 = compile_text(KILN_EMIT_LLVM, 0, X86_64, NULL);
    return 0;
}

static int teardown(void **state)
{
    free(ir_o0);
    return 0;
}

static void test_shuffle(void **state)
{
    expect_ir(F_SHUFFLE, "shufflevector <16 x i8> %",
              "<16 x i32> <i32 0, i32 17, i32 2, i32 19, i32 31, "
              "i32 16, i32 15, i32 1, i32 8, i32 24, i32 7, i32 23, i32 30, i32 14, i32 3, i32 0>",
              NULL);
}

static void test_swizzle(void **state)
{
    /* Indices masked to 0..15 for the extracts (an index >= 16 would be poison), then lanes
     * whose index is >= 16 (unsigned) replaced by 0. */
    expect_ir(F_SWIZZLE, "and <16 x i8> %", "icmp ult <16 x i8> %", "select <16 x i1> %",
              "zeroinitializer", NULL);
    char *b = body(ir_o0, F_SWIZZLE, false);
    assert_int_equal(count(b, "extractelement <16 x i8> %"), 32); /* index and value, x16 */
    assert_null(strstr(b, "@llvm.x86"));                          /* target-independent */
    free(b);

    /* With SSSE3 (x86-64-v3), LLVM turns it into one pshufb plus the range fix-up. */
    char *v3 = compile_text(KILN_EMIT_ASM, 2, X86_64, "x86-64-v3");
    char *s = body(v3, F_SWIZZLE, true);
    assert_int_equal(count(s, "vpshufb"), 1);
    assert_null(strstr(s, "movzbl")); /* no per-lane scalar code */
    free(s);
    free(v3);
}

static void test_narrow(void **state)
{
    /* Signed: both inputs concatenated, clamped to [-128, 127], truncated. */
    expect_ir(F_NARROW_S8, "shufflevector <8 x i16> %", "@llvm.smax.v16i16(", "i16 -128",
              "@llvm.smin.v16i16(", "i16 127", "trunc <16 x i16> %", NULL);
    /* Unsigned: the signed input clamped to [0, 255]. */
    expect_ir(F_NARROW_U8, "@llvm.smax.v16i16(<16 x i16> %", "zeroinitializer",
              "@llvm.smin.v16i16(", "i16 255", NULL);
    expect_ir(F_NARROW_S16, "@llvm.smax.v8i32(", "i32 -32768", "i32 32767", "trunc <8 x i32> %",
              NULL);
    expect_ir(F_NARROW_U16, "@llvm.smin.v8i32(", "i32 65535", NULL);
}

static void test_float_minmax(void **state)
{
    /* min/max: llvm.minimum/maximum, then NaN lanes get the quiet bit. */
    expect_ir(F_FMIN32, "@llvm.minimum.v4f32(", "fcmp uno <4 x float>", "i32 4194304", NULL);
    expect_ir(F_FMAX64, "@llvm.maximum.v2f64(", "fcmp uno <2 x double>", "i64 2251799813685248",
              NULL);
    /* pmin/pmax: exactly `b < a ? b : a` / `a < b ? b : a` -- no min/max intrinsic. */
    unsigned pm[4] = {F_PMIN32, F_PMAX32, F_PMIN64, F_PMAX64};
    for (int i = 0; i < 4; i++) {
        char *b = body(ir_o0, pm[i], false);
        assert_non_null(strstr(b, "fcmp olt <"));
        assert_non_null(strstr(b, "select <"));
        assert_null(strstr(b, "@llvm.m"));
        free(b);
    }
    /* pmin compares (b, a), pmax (a, b): the operands of fcmp are swapped between them. */
    char *pmin = body(ir_o0, F_PMIN32, false), *pmax = body(ir_o0, F_PMAX32, false);
    const char *cmin = strstr(pmin, "fcmp olt"), *cmax = strstr(pmax, "fcmp olt");
    assert_true(strncmp(cmin, cmax, strcspn(cmin, "\n")) != 0);
    free(pmin);
    free(pmax);
}

static void test_trunc_sat(void **state)
{
    /* x86: LLVM 19 scalarizes the vector saturating intrinsics, so the lowering is a plain
     * conversion with selects for the saturated ends and NaN. */
    expect_ir(F_TRUNC_S32, "fptosi <4 x float> %", "fcmp olt <4 x float> %",
              "fcmp oge <4 x float> %", "fcmp uno <4 x float> %", "i32 -2147483648",
              "i32 2147483647", NULL);
    expect_ir(F_TRUNC_U32, "fptoui <4 x float> %", "fcmp ult <4 x float> %", "i32 -1", NULL);
    /* _zero: two lanes converted, then widened with zeros (shuffle indices 2, 3 of a zero
     * vector). */
    expect_ir(F_TRUNC_S64Z, "fptosi <2 x double> %", "shufflevector <2 x i32> %",
              "<2 x i32> zeroinitializer, <4 x i32> <i32 0, i32 1, i32 2, i32 3>", NULL);
    expect_ir(F_TRUNC_U64Z, "fptoui <2 x double> %", NULL);
    char *b = body(ir_o0, F_TRUNC_S32, false);
    assert_null(strstr(b, ".sat."));
    free(b);
    /* Elsewhere (AArch64: one fcvtzs/fcvtzu) the intrinsics themselves. */
    char *a64 = compile_text(KILN_EMIT_LLVM, 0, "aarch64-unknown-linux-gnu", NULL);
    assert_non_null(strstr(a64, "@llvm.fptosi.sat.v4i32.v4f32("));
    assert_non_null(strstr(a64, "@llvm.fptoui.sat.v4i32.v4f32("));
    assert_non_null(strstr(a64, "@llvm.fptosi.sat.v2i32.v2f64("));
    assert_non_null(strstr(a64, "@llvm.fptoui.sat.v2i32.v2f64("));
    free(a64);
}

static void test_q15mulr(void **state)
{
    /* In i32 lanes: sext, mul, + 0x4000, ashr 15, smin 32767 (only -32768^2 overflows),
     * trunc. */
    expect_ir(F_Q15, "sext <8 x i16> %", "mul <8 x i32> %", "i32 16384", "ashr <8 x i32> %",
              "i32 15", "@llvm.smin.v8i32(", "i32 32767", "trunc <8 x i32> %", NULL);
}

static void test_lanes_masks(void **state)
{
    expect_ir(F_BITMASK8, "icmp slt <16 x i8> %", "bitcast <16 x i1> %", " to i16", "zext i16 %",
              NULL);
    expect_ir(F_BITMASK64, "icmp slt <2 x i64> %", "bitcast <2 x i1> %", " to i2", NULL);
    expect_ir(F_ALL_TRUE16, "icmp ne <8 x i16> %", "bitcast <8 x i1> %", "icmp eq i8 %", ", -1",
              NULL);
    expect_ir(F_ANY_TRUE, "bitcast <2 x i64> %", " to i128", "icmp ne i128 %", NULL);
    expect_ir(F_ABS8, "@llvm.abs.v16i8(<16 x i8> %", ", i1 false)", NULL);
    expect_ir(F_AVGR8, "zext <16 x i8> %", "to <16 x i16>", "lshr <16 x i16> %", NULL);
    expect_ir(F_DOT, "sext <4 x i16> %", "mul <4 x i32> %", "add <4 x i32> %", NULL);
    /* Shift counts modulo the lane width, before the splat. */
    expect_ir(F_SHL8, "and i32 %", ", 7", "trunc i32 %", "shl <16 x i8> %", NULL);
    expect_ir(F_SHR_S64, "and i32 %", ", 63", "zext i32 %", "ashr <2 x i64> %", NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        wasm_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shuffle),     cmocka_unit_test(test_swizzle),
        cmocka_unit_test(test_narrow),      cmocka_unit_test(test_float_minmax),
        cmocka_unit_test(test_trunc_sat),   cmocka_unit_test(test_q15mulr),
        cmocka_unit_test(test_lanes_masks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
