/* sealed_e2e.c -- end-to-end test of sealed imports (docs/abi.md "Sealed imports") with real
 * compiled code: sealed.wat compiled by `kiln compile --sealed-imports bench,typed` (kiln_cg)
 * with prefix sealed, at -O0, -O2 and -O2 --bounds-checks. The module's "bench" and "typed"
 * imports are the C functions below, linked statically through the header's prototypes (a
 * mismatch would not compile); "dyn" "add1" and the tag "host" "tag" are bound at
 * instantiation. Checks: values of every kind both ways, several results, a v128 by
 * pointer, references, more parameters than registers, the caller and env arguments, calls
 * through a table, ref.func and a tail call, traps and exceptions a sealed function returns,
 * and the one error naming every unresolved import. Checks: tests/lib/check.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../lib/check.h"
#include "sealed.h"

static kiln_instance *the_inst; /* the instance the functions expect as their caller */
static kiln_tag *host_tag;      /* (i32) */
static int starts;
static int64_t ticks;
static int callers_ok = 1; /* cleared by a call whose caller is not the_inst */

static void check_caller(kiln_instance *caller)
{
    if (caller != the_inst)
        callers_ok = 0;
}

kiln_trap sealed_import_bench_start(kiln_instance *caller, void *env)
{
    check_caller(caller);
    starts += env != NULL ? *(const int *)env : 1;
    return KILN_TRAP_NONE;
}

kiln_trap sealed_import_bench_end(kiln_instance *caller, void *env, int64_t *r0)
{
    (void)env;
    check_caller(caller);
    *r0 = ++ticks * 100 + starts;
    return KILN_TRAP_NONE;
}

kiln_trap sealed_import_typed_mix(kiln_instance *caller, void *env, int32_t p0, int64_t p1,
                                  float p2, double p3, double *r0, int64_t *r1, int32_t *r2)
{
    (void)env;
    check_caller(caller);
    *r0 = (double)p2 * p3;
    *r1 = p1 - p0;
    *r2 = p0 * 3;
    return KILN_TRAP_NONE;
}

kiln_trap sealed_import_typed_v(kiln_instance *caller, void *env, const kiln_v128 *p0, int32_t p1,
                                kiln_v128 *r0)
{
    (void)env;
    check_caller(caller);
    for (int i = 0; i < 16; i++)
        r0->bytes[i] = (uint8_t)(p0->bytes[15 - i] + p1);
    return KILN_TRAP_NONE;
}

kiln_trap sealed_import_typed_refs(kiln_instance *caller, void *env, void *p0,
                                   const kiln_funcref *p1, void **r0)
{
    (void)env;
    check_caller(caller);
    *r0 = p1 != NULL ? (char *)p0 + 1 : p0;
    return KILN_TRAP_NONE;
}

/* 0..9: that value back; 10: KILN_TRAP_UNREACHABLE; 11: throws the host tag with 7;
 * 12: KILN_TRAP_EXCEPTION with nothing to throw; 13: KILN_TRAP_HOST; 14: stages a throw,
 * then returns 5 normally (the staged exception is dropped). */
kiln_trap sealed_import_typed_fail(kiln_instance *caller, void *env, int32_t p0, int32_t *r0)
{
    (void)env;
    check_caller(caller);
    kiln_val v = {.type = KILN_TYPE_I32};
    v.of.i32 = 7;
    switch (p0) {
    case 10:
        return KILN_TRAP_UNREACHABLE;
    case 11:
        return kiln_host_throw(host_tag, &v, 1);
    case 12:
        return KILN_TRAP_EXCEPTION;
    case 13:
        return KILN_TRAP_HOST;
    case 14:
        if (kiln_host_throw(host_tag, &v, 1) != KILN_TRAP_EXCEPTION)
            return KILN_TRAP_HOST;
        *r0 = 5;
        return KILN_TRAP_NONE;
    default:
        *r0 = p0;
        return KILN_TRAP_NONE;
    }
}

/* The sum of (position * value), positions from 1: the order and every value count. */
kiln_trap sealed_import_typed_many(kiln_instance *caller, void *env, int32_t p0, int32_t p1,
                                   int32_t p2, int32_t p3, int32_t p4, int32_t p5, int32_t p6,
                                   int32_t p7, int32_t p8, int32_t p9, int64_t p10, int64_t p11,
                                   double p12, double p13, double p14, double p15, double p16,
                                   double p17, double p18, double p19, double p20, float p21,
                                   int64_t *r0)
{
    (void)env;
    check_caller(caller);
    int64_t ints[12] = {p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11};
    double reals[10] = {p12, p13, p14, p15, p16, p17, p18, p19, p20, p21};
    int64_t sum = 0;
    for (int i = 0; i < 12; i++)
        sum += (i + 1) * ints[i];
    for (int i = 0; i < 10; i++)
        sum += (i + 13) * (int64_t)reals[i];
    *r0 = sum;
    return KILN_TRAP_NONE;
}

static kiln_trap add1(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env;
    (void)caller;
    results[0].of.i32 = args[0].of.i32 + 1;
    return KILN_TRAP_NONE;
}

static const uint8_t types_i[] = {KILN_TYPE_I32};

int main(void)
{
    if (!CHECK(kiln_tag_new(types_i, 1, &host_tag) == KILN_STATUS_OK))
        return check_finish();
    kiln_host_func add1_func = {add1, NULL, 1, 1, types_i, types_i};
    kiln_import items[2] = {
        {"host", "tag", {.kind = KILN_KIND_TAG, .of.tag = host_tag}},
        {"dyn", "add1", {.kind = KILN_KIND_HOST_FUNC, .of.host = &add1_func}},
    };

    /* Sealed imports need nothing at instantiation; every other unresolved one is named in
     * one error. */
    kiln_instance *inst = NULL;
    EXPECT_INT(kiln_instance_new(&sealed_module, NULL, &inst), KILN_STATUS_LINK);
    CHECK_MSG(strcmp(kiln_last_error(), "unknown imports: \"host\" \"tag\", \"dyn\" \"add1\"") == 0,
              "error: %s", kiln_last_error());
    kiln_imports one = {items, 1};
    EXPECT_INT(kiln_instance_new(&sealed_module, &one, &inst), KILN_STATUS_LINK);
    CHECK_MSG(strcmp(kiln_last_error(), "unknown import: \"dyn\" \"add1\"") == 0, "error: %s",
              kiln_last_error());
    kiln_imports imports = {items, 2};
    kiln_status s = kiln_instance_new(&sealed_module, &imports, &inst);
    if (!CHECK_MSG(s == KILN_STATUS_OK, "instantiating: %s", kiln_last_error()))
        return check_finish();
    the_inst = inst;

    /* env: NULL until set, then what was set. */
    CHECK(kiln_instance_import_env(inst) == NULL);
    EXPECT_CALL(int64_t, 101, sealed_bench(inst, &out_));
    int three = 3;
    kiln_instance_set_import_env(inst, &three);
    CHECK(kiln_instance_import_env(inst) == &three);
    EXPECT_CALL(int64_t, 204, sealed_bench(inst, &out_));

    /* Values and several results, directly, through the table, by a tail call, and through
     * ref.func from the host. */
    double d = 0;
    int64_t l = 0;
    int32_t i = 0;
    EXPECT_TRAP(sealed_mix(inst, 6, 100, 1.5f, -2.0, &d, &l, &i), KILN_TRAP_NONE);
    CHECK(d == -3.0 && l == 94 && i == 18);
    EXPECT_TRAP(sealed_mix_indirect(inst, -7, 1, 0.5f, 8.0, &d, &l, &i), KILN_TRAP_NONE);
    CHECK(d == 4.0 && l == 8 && i == -21);
    EXPECT_TRAP(sealed_mix_tail(inst, 1, INT64_MIN + 1, 2.0f, 2.5, &d, &l, &i), KILN_TRAP_NONE);
    CHECK(d == 5.0 && l == INT64_MIN && i == 3);
    const kiln_funcref *mix = NULL;
    EXPECT_TRAP(sealed_mix_ref(inst, &mix), KILN_TRAP_NONE);
    CHECK(mix != NULL);
    if (mix != NULL) {
        kiln_val args[4] = {{.type = KILN_TYPE_I32},
                            {.type = KILN_TYPE_I64},
                            {.type = KILN_TYPE_F32},
                            {.type = KILN_TYPE_F64}};
        args[0].of.i32 = 2;
        args[1].of.i64 = 10;
        args[2].of.f32 = 3.0f;
        args[3].of.f64 = 0.25;
        kiln_val res[3];
        EXPECT_TRAP(kiln_call(inst, mix, args, 4, res, 3), KILN_TRAP_NONE);
        CHECK(res[0].of.f64 == 0.75 && res[1].of.i64 == 8 && res[2].of.i32 == 6);
    }

    kiln_v128 v, vr;
    for (int k = 0; k < 16; k++)
        v.bytes[k] = (uint8_t)(k * 3);
    EXPECT_TRAP(sealed_v(inst, v, 2, &vr), KILN_TRAP_NONE);
    for (int k = 0; k < 16; k++)
        EXPECT_INT(vr.bytes[k], (15 - k) * 3 + 2);

    static char buf[4];
    void *ext = NULL;
    EXPECT_TRAP(sealed_refs(inst, buf, NULL, &ext), KILN_TRAP_NONE);
    CHECK(ext == buf);
    EXPECT_TRAP(sealed_refs(inst, buf, mix, &ext), KILN_TRAP_NONE);
    CHECK(ext == buf + 1);

    EXPECT_CALL(int64_t, 3595, sealed_many(inst, &out_));
    EXPECT_CALL(int32_t, 42, sealed_add1(inst, 41, &out_));

    /* What a sealed function returns: a trap is raised in its wasm caller (after that
     * caller's store), an exception is thrown at the call. */
    EXPECT_CALL(int32_t, 10, sealed_fail(inst, 9, &out_));
    kiln_memory *mem = sealed_memory_memory(inst);
    int32_t out = 0;
    uint8_t *bytes = mem->base.p;
    bytes[0] = 0;
    EXPECT_TRAP(sealed_fail(inst, 10, &out), KILN_TRAP_UNREACHABLE);
    EXPECT_INT(bytes[0], 1);
    EXPECT_TRAP(sealed_fail(inst, 13, &out), KILN_TRAP_HOST);
    EXPECT_TRAP(sealed_fail(inst, 12, &out), KILN_TRAP_HOST);
    CHECK_MSG(strcmp(kiln_last_error(),
                     "sealed import returned KILN_TRAP_EXCEPTION without an exception to throw "
                     "(none staged by kiln_host_throw, none from its calls into wasm)") == 0,
              "error: %s", kiln_last_error());
    EXPECT_CALL(int32_t, 1007, sealed_catch(inst, 11, &out_));
    EXPECT_CALL(int32_t, 4, sealed_catch(inst, 4, &out_));
    EXPECT_TRAP(sealed_fail(inst, 11, &out), KILN_TRAP_EXCEPTION);
    EXPECT_CALL(int32_t, 6, sealed_fail(inst, 14, &out_));
    EXPECT_CALL(int32_t, 5, sealed_catch(inst, 14, &out_));
    CHECK(callers_ok);

    kiln_instance_free(inst);
    kiln_tag_free(host_tag);
    return check_finish();
}
