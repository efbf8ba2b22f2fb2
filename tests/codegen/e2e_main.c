/* e2e_main.c -- end-to-end test of code generation: basic.wat and other.wat, compiled by
 * `kiln compile` (kiln_cg) with prefixes basic and other, linked into this program with
 * libkiln_runtime. Every export is called through the generated headers and its results
 * compared exactly: control flow, multi-value, host imports, memory, globals, tables,
 * numeric edge cases (NaN, -0, bounds of every trapping conversion), one trap of each kind
 * (returned as a kiln_trap value, after which the instance stays usable), and a call from
 * one module into the other's instance. Checks: tests/lib/check.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../lib/check.h"
#include "basic.h"
#include "other.h"

static int64_t logged;

static kiln_trap host_add3(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32 + args[2].of.i32;
    return KILN_TRAP_NONE;
}

static kiln_trap host_log(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    logged = args[0].of.i64;
    return KILN_TRAP_NONE;
}

static kiln_trap host_swap(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    results[0].of.i32 = args[1].of.i32 * 2;
    results[1].of.f64 = args[0].of.f64 * 10;
    return KILN_TRAP_NONE;
}

/* A host failure traps the calling wasm code (KILN_TRAP_HOST). */
static kiln_trap host_check(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *results)
{
    return args[0].of.i32 ? KILN_TRAP_HOST : KILN_TRAP_NONE;
}

static const uint8_t t_iii[] = {KILN_TYPE_I32, KILN_TYPE_I32, KILN_TYPE_I32};
static const uint8_t t_i[] = {KILN_TYPE_I32};
static const uint8_t t_I[] = {KILN_TYPE_I64};
static const uint8_t t_Fi[] = {KILN_TYPE_F64, KILN_TYPE_I32};
static const uint8_t t_iF[] = {KILN_TYPE_I32, KILN_TYPE_F64};

static const kiln_host_func add3 = {host_add3, NULL, 3, 1, t_iii, t_i};
static const kiln_host_func logf_ = {host_log, NULL, 1, 0, t_I, NULL};
static const kiln_host_func swap = {host_swap, NULL, 2, 2, t_Fi, t_iF};
static const kiln_host_func check = {host_check, NULL, 1, 0, t_i, NULL};

static kiln_instance *new_basic(void)
{
    kiln_import items[4] = {
        {"env", "add3", {.kind = KILN_KIND_HOST_FUNC, .of.host = &add3}},
        {"env", "log", {.kind = KILN_KIND_HOST_FUNC, .of.host = &logf_}},
        {"env", "swap", {.kind = KILN_KIND_HOST_FUNC, .of.host = &swap}},
        {"env", "check", {.kind = KILN_KIND_HOST_FUNC, .of.host = &check}},
    };
    kiln_imports imports = {items, 4};
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new(&basic_module, &imports, &inst);
    CHECK_MSG(s == KILN_STATUS_OK, "instantiating basic: %s", kiln_status_message(s));
    return inst;
}

static void test_control(kiln_instance *b)
{
    EXPECT_CALL(int64_t, 1, basic_fac(b, 0, &out_));
    EXPECT_CALL(int64_t, 2432902008176640000, basic_fac(b, 20, &out_));
    EXPECT_CALL(int32_t, 55, basic_fib(b, 10, &out_));
    EXPECT_CALL(int32_t, 100, basic_classify(b, 0, &out_));
    EXPECT_CALL(int32_t, 101, basic_classify(b, 1, &out_));
    EXPECT_CALL(int32_t, 102, basic_classify(b, 2, &out_));
    EXPECT_CALL(int32_t, 101, basic_classify(b, 3, &out_));
    EXPECT_CALL(int32_t, 103, basic_classify(b, 4, &out_));
    EXPECT_CALL(int32_t, 103, basic_classify(b, -1, &out_));
    int32_t q = 0, r = 0;
    CHECK(basic_divmod(b, 23, 7, &q, &r) == KILN_TRAP_NONE && q == 3 && r == 2);
    EXPECT_CALL(int32_t, 2003, basic_multi(b, 23, &out_));
    EXPECT_CALL(int32_t, 6, basic_if_params(b, 5, 3, &out_));
    EXPECT_CALL(int32_t, 4, basic_if_params(b, 2, 3, &out_));
    EXPECT_CALL(int64_t, 55, basic_loop_sum(b, 10, &out_));
    EXPECT_CALL(float, 1.5f, basic_select(b, 1, 1.5f, 2.5f, &out_));
    EXPECT_CALL(float, 2.5f, basic_select(b, 0, 1.5f, 2.5f, &out_));
    EXPECT_CALL(int32_t, 115, basic_call_host(b, 5, &out_));
    CHECK(logged == 5);
    EXPECT_CALL(double, 21.0, basic_call_swap(b, 3, &out_));
}

static void test_memory(kiln_instance *b)
{
    kiln_memory *mem = kiln_instance_memory(b, 0);
    CHECK(mem != NULL && mem->size == 65536);
    EXPECT_CALL(int32_t, 'k', basic_load8(b, 16, &out_));
    EXPECT_CALL(int32_t, -1, basic_load8s(b, 22, &out_));
    EXPECT_CALL(int64_t, 0x1122334455667788, basic_store_load(b, 1000, 0x1122334455667788, &out_));
    CHECK(mem && memcmp((uint8_t *)mem->base.p + 1003, "\x88\x77\x66\x55\x44\x33\x22\x11", 8) == 0);
    EXPECT_CALL(int32_t, 0x5678, basic_store16(b, 2000, 0x12345678, &out_));
    EXPECT_CALL(int32_t, 0x6e6c696b + 0xab, basic_fill_copy(b, &out_));
    EXPECT_CALL(int32_t, 1, basic_mem_size(b, &out_));
    EXPECT_CALL(int32_t, 1, basic_mem_grow(b, 1, &out_));
    EXPECT_CALL(int32_t, 2, basic_mem_size(b, &out_));
    EXPECT_CALL(int32_t, -1, basic_mem_grow(b, 10, &out_));
    EXPECT_CALL(int32_t, 0, basic_oob_load(b, 2 * 65536 - 4, &out_));
    EXPECT_TRAP(basic_oob_load(b, 2 * 65536 - 3, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(basic_oob_load(b, -1, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(basic_oob_store(b, 2 * 65536 - 4), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(basic_dropped_load(b, 3 * 65536), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(basic_dropped_load(b, 65536), KILN_TRAP_NONE);
}

static void test_globals_tables(kiln_instance *b)
{
    EXPECT_CALL(int32_t, 1, basic_bump(b, &out_));
    EXPECT_CALL(int32_t, 2, basic_bump(b, &out_));
    EXPECT_CALL(int64_t, 0x123456789, basic_konst(b, &out_));
    EXPECT_CALL(double, 5.0, basic_fl(b, 2.0, &out_));
    EXPECT_CALL(double, 15.0, basic_fl(b, 3.0, &out_));
    EXPECT_CALL(int32_t, 42, basic_call_indirect(b, 0, 21, &out_));
    EXPECT_CALL(int32_t, 81, basic_call_indirect(b, 1, 9, &out_));
    EXPECT_CALL(int32_t, 42, basic_call_answer(b, 2, &out_));
    EXPECT_CALL(int32_t, 4, basic_table_size(b, &out_));
    EXPECT_CALL(int32_t, 1, basic_table_get_null(b, 3, &out_));
    EXPECT_CALL(int32_t, 0, basic_table_get_null(b, 0, &out_));
    EXPECT_TRAP(basic_trap_uninitialized(b, &(int32_t){0}), KILN_TRAP_UNINITIALIZED);
    EXPECT_TRAP(basic_table_set(b, 3, 0), KILN_TRAP_NONE);
    EXPECT_CALL(int32_t, 10, basic_call_indirect(b, 3, 5, &out_));
    EXPECT_CALL(int32_t, 81, basic_ref_func_eq(b, &out_));
    EXPECT_TRAP(basic_table_set(b, 4, 0), KILN_TRAP_TABLE_OOB);
}

static void test_numbers(kiln_instance *b)
{
    EXPECT_CALL(int32_t, -3, basic_div_s(b, -7, 2, &out_));
    EXPECT_TRAP(basic_div_s(b, INT32_MIN, -1, &(int32_t){0}), KILN_TRAP_INT_OVERFLOW);
    EXPECT_TRAP(basic_div_s(b, 7, 0, &(int32_t){0}), KILN_TRAP_INT_DIV_ZERO);
    EXPECT_CALL(int32_t, 0, basic_rem_s(b, INT32_MIN, -1, &out_));
    EXPECT_CALL(int32_t, -1, basic_rem_s(b, -7, 2, &out_));
    EXPECT_TRAP(basic_rem_s(b, 5, 0, &(int32_t){0}), KILN_TRAP_INT_DIV_ZERO);
    EXPECT_CALL(int64_t, 0, basic_rem_s64(b, INT64_MIN, -1, &out_));
    EXPECT_CALL(int64_t, INT64_MAX, basic_div_u64(b, -1, 2, &out_));
    EXPECT_TRAP(basic_div_u64(b, 1, 0, &(int64_t){0}), KILN_TRAP_INT_DIV_ZERO);
    EXPECT_CALL(int32_t, 2, basic_shl(b, 1, 33, &out_));
    EXPECT_CALL(int64_t, -4, basic_shr_s64(b, -8, 65, &out_));
    EXPECT_CALL(int32_t, 3, basic_rotl(b, (int32_t)0x80000001u, 1, &out_));
    EXPECT_CALL(int32_t, 0x12345678, basic_rotl(b, 0x12345678, 32, &out_));
    EXPECT_CALL(int64_t, INT64_MIN, basic_rotr64(b, 1, 1, &out_));
    EXPECT_CALL(int32_t, 32, basic_clz(b, 0, &out_));
    EXPECT_CALL(int32_t, 0, basic_clz(b, -1, &out_));
    EXPECT_CALL(int64_t, 64, basic_ctz64(b, 0, &out_));
    EXPECT_CALL(int32_t, 16, basic_popcnt(b, (int32_t)0xff00ff00u, &out_));
    EXPECT_CALL(int32_t, -128, basic_ext8(b, 0x180, &out_));
    EXPECT_CALL(int64_t, INT32_MIN, basic_ext32(b, 0x180000000, &out_));

    float fout = 0;
    CHECK(basic_fmin(b, -0.0f, 0.0f, &fout) == KILN_TRAP_NONE && f32_bits(fout) == 0x80000000u);
    CHECK(basic_fmin(b, 0.0f, -0.0f, &fout) == KILN_TRAP_NONE && f32_bits(fout) == 0x80000000u);
    CHECK(basic_fmin(b, NAN, 1.0f, &fout) == KILN_TRAP_NONE && isnan(fout));
    double dout = 0;
    CHECK(basic_fmax(b, -0.0, 0.0, &dout) == KILN_TRAP_NONE && f64_bits(dout) == 0);
    CHECK(basic_fmax(b, 1.0, NAN, &dout) == KILN_TRAP_NONE && isnan(dout));
    EXPECT_CALL(double, 2.0, basic_nearest(b, 2.5, &out_));
    EXPECT_CALL(double, -4.0, basic_nearest(b, -3.5, &out_));
    CHECK(basic_nearest(b, -0.4, &dout) == KILN_TRAP_NONE && f64_bits(dout) == 0x8000000000000000u);
    EXPECT_CALL(float, -3.0f, basic_copysign(b, 3.0f, -0.0f, &out_));
    EXPECT_CALL(int32_t, 1, basic_fne(b, NAN, NAN, &out_));
    EXPECT_CALL(int32_t, 0, basic_fne(b, 1.0, 1.0, &out_));

    EXPECT_CALL(int32_t, INT32_MIN, basic_trunc_s(b, -2147483648.9, &out_));
    EXPECT_CALL(int32_t, INT32_MAX, basic_trunc_s(b, 2147483647.9, &out_));
    EXPECT_TRAP(basic_trunc_s(b, -2147483649.0, &(int32_t){0}), KILN_TRAP_INT_OVERFLOW);
    EXPECT_TRAP(basic_trunc_s(b, 2147483648.0, &(int32_t){0}), KILN_TRAP_INT_OVERFLOW);
    EXPECT_TRAP(basic_trunc_s(b, NAN, &(int32_t){0}), KILN_TRAP_BAD_CONVERSION);
    EXPECT_CALL(int32_t, 0, basic_trunc_u(b, -0.9f, &out_));
    EXPECT_CALL(int32_t, (int32_t)4294967040u, basic_trunc_u(b, 4294967040.0f, &out_));
    EXPECT_TRAP(basic_trunc_u(b, 4294967296.0f, &(int32_t){0}), KILN_TRAP_INT_OVERFLOW);
    EXPECT_TRAP(basic_trunc_u(b, -1.0f, &(int32_t){0}), KILN_TRAP_INT_OVERFLOW);
    EXPECT_TRAP(basic_trunc_u(b, -NAN, &(int32_t){0}), KILN_TRAP_BAD_CONVERSION);
    EXPECT_CALL(int64_t, INT64_MIN, basic_trunc_s64(b, -9223372036854775808.0f, &out_));
    EXPECT_TRAP(basic_trunc_s64(b, 9223372036854775808.0f, &(int64_t){0}), KILN_TRAP_INT_OVERFLOW);
    EXPECT_CALL(int32_t, 0, basic_trunc_sat_u(b, -5.0, &out_));
    EXPECT_CALL(int32_t, -1, basic_trunc_sat_u(b, 1e10, &out_));
    EXPECT_CALL(int32_t, 0, basic_trunc_sat_u(b, NAN, &out_));
    EXPECT_CALL(int64_t, INT64_MAX, basic_trunc_sat_s64(b, 1e300, &out_));
    EXPECT_CALL(int64_t, INT64_MIN, basic_trunc_sat_s64(b, -1e300, &out_));
    EXPECT_CALL(float, 18446744073709551616.0f, basic_convert_u64(b, -1, &out_));
    EXPECT_CALL(int32_t, (int32_t)0xbf800000u, basic_reinterpret(b, -1.0f, &out_));
    EXPECT_CALL(int64_t, 0x7ff4000000000001, basic_nan_bits(b, &out_));
}

static void test_traps(void)
{
    kiln_instance *b = new_basic();
    if (!b)
        return;
    EXPECT_TRAP(basic_trap_unreachable(b), KILN_TRAP_UNREACHABLE);
    EXPECT_TRAP(basic_trap_stack(b), KILN_TRAP_STACK_EXHAUSTED);
    EXPECT_TRAP(basic_trap_undefined(b, &(int32_t){0}), KILN_TRAP_UNDEFINED_ELEMENT);
    EXPECT_TRAP(basic_trap_uninitialized(b, &(int32_t){0}), KILN_TRAP_UNINITIALIZED);
    EXPECT_TRAP(basic_trap_indirect_type(b, &(int32_t){0}), KILN_TRAP_INDIRECT_TYPE);
    EXPECT_TRAP(basic_trap_table_oob(b), KILN_TRAP_TABLE_OOB);
    EXPECT_TRAP(basic_call_check(b, 1, &(int32_t){0}), KILN_TRAP_HOST);
    EXPECT_CALL(int32_t, 1, basic_call_check(b, 0, &out_));
    /* Still usable after every kind of trap. */
    EXPECT_CALL(int64_t, 120, basic_fac(b, 5, &out_));
    EXPECT_TRAP(basic_trap_stack(b), KILN_TRAP_STACK_EXHAUSTED);
    EXPECT_CALL(int32_t, 55, basic_fib(b, 10, &out_));
    kiln_instance_free(b);
}

static void test_two_modules(kiln_instance *b)
{
    kiln_extern fac;
    CHECK(kiln_instance_export(b, "fac", &fac) == KILN_STATUS_OK && fac.kind == KILN_KIND_FUNC);
    kiln_import items[1] = {{"basic", "fac", fac}};
    kiln_imports imports = {items, 1};
    kiln_instance *o = NULL;
    if (!CHECK_MSG(kiln_instance_new(&other_module, &imports, &o) == KILN_STATUS_OK,
                   "instantiating other failed"))
        return;
    EXPECT_CALL(int32_t, 120, other_fac(o, 5, &out_));
    EXPECT_CALL(int64_t, 120, basic_fac(b, 5, &out_));
    EXPECT_CALL(int64_t, 720 + 'o', other_via_basic(o, 6, &out_));
    EXPECT_CALL(int32_t, 1, other___weird_x20name_x2d_xc3_xbc__(o, &out_));
    EXPECT_CALL(int32_t, 7, other_module__(o, &out_));
    kiln_instance_free(o);
}

int main(void)
{
    kiln_instance *b = new_basic();
    if (!b)
        return 1;
    test_control(b);
    test_memory(b);
    test_globals_tables(b);
    test_numbers(b);
    test_two_modules(b);
    kiln_instance_free(b);
    test_traps();
    return check_finish();
}
