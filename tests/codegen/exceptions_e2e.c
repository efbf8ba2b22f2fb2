/* exceptions_e2e.c -- end-to-end test of the host API for Wasm exceptions (docs/exceptions.md)
 * with real compiled code: exceptions.wat compiled by `kiln compile` (kiln_cg) with prefix
 * exceptions, at -O0 and -O2. Two instances, x and y, import one host tag (kiln_tag_new) and
 * the host functions below. Wasm catches the host's throw (try_table and legacy try); the
 * host sees wasm's throw of its tag and a host throw nothing caught; exceptions of nested
 * calls pass through the host function back to the outer wasm, which catches them; misuse
 * is a KILN_TRAP_HOST with the runtime's message. Checks: tests/lib/check.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../lib/check.h"
#include "exceptions.h"

static kiln_tag *host_tag;      /* (i32 i64) */
static kiln_instance *insts[2]; /* x, y */
static uint32_t host_throws;    /* kiln_host_throw calls that returned KILN_TRAP_EXCEPTION */
static char host_error[256];    /* kiln_last_error() after the latest failing one */

static kiln_val val_i32(int32_t v)
{
    kiln_val val = {.type = KILN_TYPE_I32};
    val.of.i32 = v;
    return val;
}

static kiln_val val_i64(int64_t v)
{
    kiln_val val = {.type = KILN_TYPE_I64};
    val.of.i64 = v;
    return val;
}

static kiln_trap counted(kiln_trap t)
{
    if (t == KILN_TRAP_EXCEPTION)
        host_throws++;
    else
        snprintf(host_error, sizeof host_error, "%s", kiln_last_error());
    return t;
}

/* "throw" (i32 a, i64 b): throws the host tag with (a, b). Negative a: -1 one value short,
 * -2 b as an i32, -3 throws and then returns normally, -4 throws the caller's own tag "wt"
 * with (i32)b instead. */
static kiln_trap host_throw(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *results)
{
    (void)env;
    (void)results;
    int32_t a = args[0].of.i32;
    kiln_val v[2] = {val_i32(a), val_i64(args[1].of.i64)};
    switch (a) {
    case -1:
        return counted(kiln_host_throw(host_tag, v, 1));
    case -2:
        v[1] = val_i32((int32_t)args[1].of.i64);
        return counted(kiln_host_throw(host_tag, v, 2));
    case -3:
        counted(kiln_host_throw(host_tag, v, 2));
        return KILN_TRAP_NONE; /* the staged exception is dropped (and freed) */
    case -4: {
        kiln_extern wt;
        if (kiln_instance_export(caller, "wt", &wt) != KILN_STATUS_OK)
            return KILN_TRAP_HOST;
        v[0] = val_i32((int32_t)args[1].of.i64);
        return counted(kiln_host_throw(wt.of.tag, v, 1));
    }
    default:
        return counted(kiln_host_throw(host_tag, v, 2));
    }
}

/* Calls export name of inst with one i32 argument and returns its trap (its result in *r). */
static kiln_trap call_export(kiln_instance *inst, const char *name, int32_t arg, int32_t *r)
{
    kiln_extern f;
    if (kiln_instance_export(inst, name, &f) != KILN_STATUS_OK || f.kind != KILN_KIND_FUNC)
        return KILN_TRAP_HOST;
    kiln_val a = val_i32(arg), result;
    kiln_trap t = kiln_call(inst, f.of.func, &a, 1, &result, 1);
    if (t == KILN_TRAP_NONE)
        *r = result.of.i32;
    return t;
}

static kiln_trap nested_trap; /* what "call"'s latest call into wasm returned */

/* "call" (i32 which, i32 arg) -> i32: calls into wasm and returns what that returned:
 * 0 the caller's throw_wt(arg), 1 y's throw_host_tag_1(arg), 2 y's throw_wt(arg), 3 the
 * caller's rethrow_ref(arg), 4 the caller's plus_one(arg), 5 nothing (returns
 * KILN_TRAP_EXCEPTION without an exception), 6 y's host_throw_uncaught(arg, arg) (the host
 * function throws the host tag inside y, which does not catch it). */
static kiln_trap host_call(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env;
    int32_t arg = args[1].of.i32, r = 0;
    kiln_trap t;
    switch (args[0].of.i32) {
    case 0:
        t = call_export(caller, "throw_wt", arg, &r);
        break;
    case 1:
        t = call_export(insts[1], "throw_host_tag_1", arg, &r);
        break;
    case 2:
        t = call_export(insts[1], "throw_wt", arg, &r);
        break;
    case 3:
        t = call_export(caller, "rethrow_ref", arg, &r);
        break;
    case 4:
        t = call_export(caller, "plus_one", arg, &r);
        break;
    case 5:
        return KILN_TRAP_EXCEPTION;
    default:
        t = exceptions_host_throw_uncaught(insts[1], arg, arg, &r);
        break;
    }
    nested_trap = t;
    results[0] = val_i32(r);
    return t;
}

static const uint8_t types_i_I[2] = {KILN_TYPE_I32, KILN_TYPE_I64};
static const uint8_t types_ii_i[3] = {KILN_TYPE_I32, KILN_TYPE_I32, KILN_TYPE_I32};
static const kiln_host_func throw_fn = {host_throw, NULL, 2, 0, types_i_I, NULL};
static const kiln_host_func call_fn = {host_call, NULL, 2, 1, types_ii_i, types_ii_i + 2};

static kiln_status instantiate(const kiln_tag *tag, kiln_instance **out)
{
    kiln_import items[3] = {
        {.module = "host", .name = "tag", .value = {.kind = KILN_KIND_TAG, .of.tag = tag}},
        {.module = "host", .name = "throw", .value = {.kind = KILN_KIND_HOST_FUNC}},
        {.module = "host", .name = "call", .value = {.kind = KILN_KIND_HOST_FUNC}},
    };
    items[1].value.of.host = &throw_fn;
    items[2].value.of.host = &call_fn;
    kiln_imports imports = {items, 3};
    return kiln_instance_new(&exceptions_module, &imports, out);
}

static const kiln_tag *export_tag(kiln_instance *inst, const char *name)
{
    kiln_extern e;
    if (kiln_instance_export(inst, name, &e) != KILN_STATUS_OK || e.kind != KILN_KIND_TAG)
        return NULL;
    return e.of.tag;
}

/* The thread's last exception is of tag, with count values equal to want's. */
static void expect_exception(const kiln_tag *tag, const kiln_val *want, size_t count)
{
    const kiln_exn *e = kiln_last_exception();
    if (!CHECK(e != NULL))
        return;
    CHECK(e->tag.p == tag);
    kiln_val got[2];
    EXPECT_UINT(kiln_exn_values(e, got, 2), count);
    for (size_t i = 0; i < count && i < 2; i++) {
        EXPECT_UINT(got[i].type, want[i].type);
        EXPECT_INT(got[i].type == KILN_TYPE_I32 ? got[i].of.i32 : got[i].of.i64,
                   want[i].type == KILN_TYPE_I32 ? want[i].of.i32 : want[i].of.i64);
    }
}

int main(void)
{
    if (!CHECK(kiln_tag_new(types_i_I, 2, &host_tag) == KILN_STATUS_OK))
        return check_finish();
    for (int i = 0; i < 2; i++) {
        kiln_status s = instantiate(host_tag, &insts[i]);
        if (!CHECK_MSG(s == KILN_STATUS_OK, "instantiating: %s: %s", kiln_status_message(s),
                       kiln_last_error()))
            return check_finish();
    }
    kiln_instance *x = insts[0], *y = insts[1];
    const kiln_tag *x_wt = export_tag(x, "wt"), *y_wt = export_tag(y, "wt");
    CHECK(x_wt != NULL && y_wt != NULL && x_wt != y_wt);
    /* The header's accessor and kiln_instance_tag give the same records; tag 0 is the
     * imported host tag, whatever instance imports it. */
    CHECK(exceptions_wt_tag(x) == x_wt && exceptions_wt_tag(y) == y_wt);
    CHECK(kiln_instance_tag(x, 0) == host_tag && kiln_instance_tag(y, 0) == host_tag);
    CHECK(kiln_instance_tag(x, 1) == x_wt);
    CHECK(kiln_instance_tag(x, 2) == NULL && kiln_instance_tag(NULL, 0) == NULL);

    /* A tag of another type does not bind to the import. */
    kiln_tag *other = NULL;
    CHECK(kiln_tag_new(types_i_I, 1, &other) == KILN_STATUS_OK);
    kiln_instance *z = NULL;
    EXPECT_INT(instantiate(other, &z), KILN_STATUS_LINK);
    CHECK(strcmp(kiln_last_error(), "incompatible import type: \"host\" \"tag\": tag type") == 0);
    CHECK(z == NULL);
    kiln_tag_free(other);

    /* Wasm catches the host's throw of the imported tag and takes its values. */
    EXPECT_CALL(int64_t, 3 * 1000 + 44, exceptions_catch_host(x, 3, 44, &out_));
    EXPECT_CALL(int64_t, 9 * 1000 + INT64_MIN / 2,
                exceptions_catch_host(y, 9, INT64_MIN / 2, &out_));
    EXPECT_CALL(int64_t, 7 + 5, exceptions_legacy_catch_host(y, 7, 5, &out_));
    EXPECT_UINT(host_throws, 3);
    CHECK(kiln_last_exception() == NULL);

    /* The host sees a wasm throw of its tag. */
    EXPECT_TRAP(exceptions_throw__host__tag__(x, 3, -4), KILN_TRAP_EXCEPTION);
    expect_exception(host_tag, (kiln_val[]){val_i32(3), val_i64(-4)}, 2);

    /* A host throw that nothing catches (the try_table there catches $wt only). */
    EXPECT_TRAP(exceptions_host_throw_uncaught(x, 7, INT64_MIN, &(int32_t){0}),
                KILN_TRAP_EXCEPTION);
    expect_exception(host_tag, (kiln_val[]){val_i32(7), val_i64(INT64_MIN)}, 2);
    CHECK(kiln_module_func_at(&exceptions_module, kiln_last_trap_pc(), NULL, NULL, NULL));
    /* ... and one of the instance's own tag, which it does catch. */
    EXPECT_CALL(int32_t, 5000 + 66, exceptions_host_throw_uncaught(x, -4, 66, &out_));

    /* kiln_host_throw's checks: the host function returns its KILN_TRAP_HOST. */
    EXPECT_TRAP(exceptions_catch_host(x, -1, 0, &(int64_t){0}), KILN_TRAP_HOST);
    CHECK(strcmp(host_error, "kiln_host_throw: the tag takes 2 values, not 1") == 0);
    CHECK(strcmp(kiln_last_error(), host_error) == 0);
    EXPECT_TRAP(exceptions_catch_host(x, -2, 0, &(int64_t){0}), KILN_TRAP_HOST);
    CHECK(strcmp(host_error, "kiln_host_throw: value 1 has type i32, the tag's is i64") == 0);
    /* Thrown, then the host function returns normally: nothing is raised. */
    EXPECT_CALL(int64_t, -1, exceptions_catch_host(x, -3, 0, &out_));
    CHECK(kiln_last_exception() == NULL);

    /* Exceptions of nested calls pass through the host function to the outer wasm. */
    EXPECT_CALL(int32_t, 1000 + 21, exceptions_catch_nested(x, 0, 21, &out_));
    EXPECT_TRAP(nested_trap, KILN_TRAP_EXCEPTION);
    CHECK(kiln_last_exception() == NULL); /* taken from the thread, caught, freed */
    EXPECT_CALL(int32_t, 2000 + 2 * 30, exceptions_catch_nested(x, 1, 30, &out_));
    EXPECT_CALL(int32_t, 1000 + 22, exceptions_catch_nested(x, 3, 22, &out_));
    EXPECT_CALL(int32_t, 2000 + 2 * 40, exceptions_catch_nested(x, 6, 40, &out_));
    EXPECT_CALL(int32_t, 24, exceptions_catch_nested(x, 4, 23, &out_));
    EXPECT_TRAP(nested_trap, KILN_TRAP_NONE);
    /* y's $wt is not x's: it passes x's handlers and reaches the host. */
    EXPECT_TRAP(exceptions_catch_nested(x, 2, 50, &(int32_t){0}), KILN_TRAP_EXCEPTION);
    expect_exception(y_wt, (kiln_val[]){val_i32(50)}, 1);
    /* KILN_TRAP_EXCEPTION with no exception: a host error. */
    EXPECT_TRAP(exceptions_catch_nested(x, 5, 0, &(int32_t){0}), KILN_TRAP_HOST);
    CHECK(strcmp(kiln_last_error(),
                 "host function for import 1 returned KILN_TRAP_EXCEPTION without an exception "
                 "to throw (none staged by kiln_host_throw, none from its calls into wasm)") == 0);
    /* The host's throw two levels down (x -> host -> y -> host throws, y has no handler for
     * it) comes back through the outer host function too. */
    EXPECT_CALL(int32_t, 2000 + 2 * 41, exceptions_catch_nested(y, 6, 41, &out_));

    /* Many of them: every exception is freed once caught (LeakSanitizer checks the rest). */
    uint32_t before = host_throws;
    int64_t sum = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t r = 0;
        int32_t n = 0;
        if (exceptions_catch_host(x, i & 7, 1, &r) != KILN_TRAP_NONE ||
            exceptions_catch_nested(x, i & 1 ? 1 : 3, 1, &n) != KILN_TRAP_NONE)
            break;
        sum += r + n;
    }
    EXPECT_UINT(host_throws - before, 20000);
    EXPECT_INT(sum, 20000 * 1 + 2500 * 1000 * (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7) + 10000 * (2000 + 2) +
                        10000 * (1000 + 1));

    kiln_instance_free(x);
    kiln_instance_free(y);
    kiln_tag_free(host_tag);
    return check_finish();
}
