/* test_rt_host_exn.c -- the host's side of Wasm exceptions: host tags (kiln_tag_new,
 * kiln_tag_free), throwing into wasm from a host function (kiln_host_throw, raised by
 * kiln_host_call at the import's call site), and exceptions passing through host functions
 * (a host function returns the KILN_TRAP_EXCEPTION its call into wasm ended with).
 *
 * Module H: imports a function "host" "fn" () -> i32 (host_fn below, whose behaviour each
 * test sets in `hs`) and a tag "host" "tag" of type (i32); defines a tag "own" (i32) and a
 * tag "typed" of type (param (ref func)); its functions () -> i32 stand in for generated
 * code: calls of the import with and without try_tables around them (exn_try.ll's landing
 * pads, as in test_rt_exn.c), and throws. Instances x and y of it share one host tag. The
 * runtime's free() is wrapped (-Wl,--wrap=free) to see when one exception is freed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt_exn_test.h"

/* ---- The host function ---- */

enum {
    M_RETURN,      /* returns 42 */
    M_THROW,       /* kiln_host_throw(hs.tag, hs.values, hs.count) hs.throws times */
    M_NESTED,      /* kiln_call of hs.target's function hs.target_func */
    M_EMPTY,       /* returns KILN_TRAP_EXCEPTION with nothing thrown */
    M_YIELD_THROW, /* kiln_yield; once cancelled, kiln_host_throw and KILN_TRAP_EXCEPTION */
};
#define RET_GOT ((kiln_trap) - 1) /* hs.ret: return what kiln_host_throw / kiln_call returned */

static struct host_state {
    int modes[3];  /* what host_fn does at each nesting depth */
    int then_mode; /* >= 0: depth 0's mode from its second call on */
    int depth, calls;
    kiln_trap ret;          /* M_THROW, M_NESTED: what host_fn returns */
    const kiln_tag *tag;    /* M_THROW */
    kiln_val values[4];     /* M_THROW */
    size_t count;           /* M_THROW */
    bool null_values;       /* M_THROW: pass NULL for the values */
    int throws;             /* M_THROW: kiln_host_throw calls (0 = 1) */
    bool watch_first;       /* M_THROW, M_YIELD_THROW: watch() the first one staged */
    bool watch_nested;      /* M_NESTED: watch() the call's exception */
    kiln_trap got;          /* M_THROW: what kiln_host_throw returned last */
    char error[256];        /* M_THROW: kiln_last_error() after it */
    kiln_exn *first_staged; /* M_THROW: what the first kiln_host_throw staged */
    kiln_exn *staged;       /* M_THROW: what is staged when host_fn returns */
    kiln_instance *target;  /* M_NESTED */
    uint32_t target_func;
    kiln_trap nested_trap;    /* M_NESTED: what the call returned */
    const kiln_exn *nested;   /* M_NESTED: kiln_last_exception() after it */
    kiln_status yield_status; /* M_YIELD_THROW */
} hs;

static void host_reset(void)
{
    memset(&hs, 0, sizeof hs);
    hs.then_mode = -1;
    hs.ret = RET_GOT;
}

static kiln_exn *staged_now(void)
{
    return kiln_tls.top != NULL ? kiln_tls.top->thrown : NULL;
}

static kiln_trap host_throw_n(void)
{
    kiln_trap t = KILN_TRAP_NONE;
    for (int i = 0; i < (hs.throws ? hs.throws : 1); i++) {
        t = kiln_host_throw(hs.tag, hs.null_values ? NULL : hs.values, hs.count);
        if (i == 0) {
            hs.first_staged = staged_now();
            if (hs.watch_first)
                watch(hs.first_staged);
        }
    }
    hs.got = t;
    snprintf(hs.error, sizeof hs.error, "%s", kiln_last_error());
    hs.staged = staged_now();
    return t;
}

static kiln_trap host_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env;
    (void)args;
    int depth = hs.depth;
    int mode = hs.modes[depth];
    if (depth == 0 && hs.then_mode >= 0 && hs.calls > 0)
        mode = hs.then_mode;
    hs.calls++;
    results[0].of.i32 = 42;
    kiln_trap t = KILN_TRAP_NONE;
    switch (mode) {
    case M_THROW:
        t = host_throw_n();
        break;
    case M_NESTED: {
        kiln_val r;
        hs.depth++;
        t = kiln_call(hs.target, kiln_instance_funcref(hs.target, hs.target_func), NULL, 0, &r, 1);
        hs.depth--;
        hs.nested_trap = t;
        hs.nested = kiln_last_exception();
        if (hs.watch_nested)
            watch(hs.nested);
        break;
    }
    case M_EMPTY:
        return KILN_TRAP_EXCEPTION;
    case M_YIELD_THROW:
        hs.yield_status = kiln_yield(caller, NULL, NULL);
        if (hs.yield_status != KILN_STATUS_CANCELLED)
            return KILN_TRAP_NONE;
        return host_throw_n();
    default:
        return KILN_TRAP_NONE;
    }
    return hs.ret == RET_GOT ? t : hs.ret;
}

static const kiln_host_func host_fn_import = {host_fn, NULL, 0, 1, NULL, rt_types_i};

/* ---- Module H ---- */

enum { T_V_I, T_A, T_R };
enum { TAG_HOST, TAG_OWN, TAG_TYPED };
enum {
    F_IMPORT, /* the host function */
    F_CALL,
    F_CALL_TWICE,
    F_TRY_HOST,
    F_TRY_OWN,
    F_TRY_ALL,
    F_THROW_HOST,
    F_THROW_OWN,
    F_REF_RETHROW,
};

static const uint8_t kinds_r[1] = {KILN_TYPE_FUNCREF};
static const uint32_t refs_r[1] = {KILN_REF_NON_NULL | KILN_HEAP_FUNC};

/* What the catching functions took. */
static struct gen_state {
    kiln_exn *exn;
} st;

static const kiln_tag *tag_of(kiln_vmctx *vm, uint32_t index)
{
    return kiln_vm_tags(vm)[index].p;
}

RT_GEN static int32_t gen_adapter(kiln_vmctx *vm)
{
    (void)vm;
    return -1; /* the import's own code: never called by the tests */
}

RT_GEN static int32_t gen_call(kiln_vmctx *vm)
{
    uint64_t ar[2] = {0, 0};
    kiln_host_call(vm, F_IMPORT, ar);
    return (int32_t)ar[0];
}

RT_GEN static int32_t gen_call_twice(kiln_vmctx *vm)
{
    return gen_call(vm) + gen_call(vm);
}

RT_GEN static int32_t gen_try_host(kiln_vmctx *vm)
{
    return rt_exn_try(vm, gen_call, tag_of(vm, TAG_HOST), 0, &st.exn);
}

RT_GEN static int32_t gen_try_own(kiln_vmctx *vm)
{
    return rt_exn_try(vm, gen_call, tag_of(vm, TAG_OWN), 0, &st.exn);
}

RT_GEN static int32_t gen_try_all(kiln_vmctx *vm)
{
    return rt_exn_try(vm, gen_call, NULL, 0, &st.exn);
}

RT_GEN static int32_t gen_throw_host(kiln_vmctx *vm)
{
    uint64_t values[2] = {9, 0};
    kiln_throw(vm, tag_of(vm, TAG_HOST), values);
}

RT_GEN static int32_t gen_throw_own(kiln_vmctx *vm)
{
    uint64_t values[2] = {8, 0};
    kiln_throw(vm, tag_of(vm, TAG_OWN), values);
}

/* try_table (catch_all_ref) around a throw of own, then throw_ref of what it caught: an
 * exception an exnref refers to (owned by the instance) leaves the call uncaught. */
RT_GEN static int32_t gen_ref_rethrow(kiln_vmctx *vm)
{
    kiln_exn *exn;
    rt_exn_try(vm, gen_throw_own, NULL, KILN_EXN_REF, &exn);
    kiln_throw_ref(vm, exn);
}

static kiln_module_desc *module_h(desc_builder *b)
{
    desc_begin(b, "h");
    desc_type(b, 0, 1, rt_types_i);
    desc_type(b, 1, 0, rt_types_i);
    desc_type_refs(b, 1, 0, kinds_r, refs_r);
    desc_import_func(b, "host", "fn", T_V_I, (void *)gen_adapter, rt_entry_v_i);
    desc_import_tag(b, "host", "tag", T_A);
    desc_tag(b, T_A);
    desc_tag(b, T_R);
    void *const code[] = {
        [F_CALL] = (void *)gen_call,           [F_CALL_TWICE] = (void *)gen_call_twice,
        [F_TRY_HOST] = (void *)gen_try_host,   [F_TRY_OWN] = (void *)gen_try_own,
        [F_TRY_ALL] = (void *)gen_try_all,     [F_THROW_HOST] = (void *)gen_throw_host,
        [F_THROW_OWN] = (void *)gen_throw_own, [F_REF_RETHROW] = (void *)gen_ref_rethrow,
    };
    for (size_t i = F_CALL; i < KILN_ARRAY_LEN(code); i++)
        desc_func(b, code[i], rt_entry_v_i, T_V_I);
    desc_export(b, "tag", KILN_KIND_TAG, TAG_HOST);
    desc_export(b, "own", KILN_KIND_TAG, TAG_OWN);
    desc_export(b, "typed", KILN_KIND_TAG, TAG_TYPED);
    return desc_end(b);
}

static kiln_status instantiate_h(desc_builder *b, const kiln_tag *host_tag, kiln_instance **out)
{
    kiln_import items[2] = {
        {.module = "host", .name = "fn"},
        {.module = "host", .name = "tag"},
    };
    items[0].value.kind = KILN_KIND_HOST_FUNC;
    items[0].value.of.host = &host_fn_import;
    items[1].value.kind = KILN_KIND_TAG;
    items[1].value.of.tag = host_tag;
    kiln_imports imports = {items, 2};
    return kiln_instance_new(module_h(b), &imports, out);
}

static kiln_instance *new_h(desc_builder *b, const kiln_tag *host_tag)
{
    kiln_instance *inst = NULL;
    assert_int_equal(instantiate_h(b, host_tag, &inst), KILN_STATUS_OK);
    return inst;
}

static const kiln_tag *export_tag(kiln_instance *inst, const char *name)
{
    kiln_extern e;
    assert_int_equal(kiln_instance_export(inst, name, &e), KILN_STATUS_OK);
    assert_int_equal(e.kind, KILN_KIND_TAG);
    return e.of.tag;
}

static kiln_trap run(kiln_instance *inst, uint32_t func, int32_t *result)
{
    return rt_invoke_i(inst, func, 0, 0, 0, 0, result);
}

static kiln_tag *new_tag(uint32_t count, const uint8_t *params)
{
    kiln_tag *tag = NULL;
    assert_int_equal(kiln_tag_new(params, count, &tag), KILN_STATUS_OK);
    assert_non_null(tag);
    return tag;
}

static kiln_val val_i32(int32_t v)
{
    kiln_val val = {.type = KILN_TYPE_I32};
    val.of.i32 = v;
    return val;
}

/* ---- Host tags ---- */

static void test_tag_new_checks_arguments(void **state)
{
    (void)state;
    static const uint8_t good[3] = {KILN_TYPE_I64, KILN_TYPE_EXNREF, KILN_TYPE_ANYREF};
    kiln_tag *tag = (kiln_tag *)(uintptr_t)1;
    assert_int_equal(kiln_tag_new(good, 3, NULL), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_tag_new: NULL argument");
    assert_int_equal(kiln_tag_new(NULL, 1, &tag), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_tag_new: NULL argument");
    /* Only the eight value types: no heap type or typed reference byte, no block type. */
    static const uint8_t heap[2] = {KILN_TYPE_I32, KILN_HEAP_NOFUNC};
    assert_int_equal(kiln_tag_new(heap, 2, &tag), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_tag_new: parameter 1: 0x73 is not a value type");
    static const uint8_t typed[1] = {0x64}; /* (ref ht) */
    assert_int_equal(kiln_tag_new(typed, 1, &tag), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_tag_new: parameter 0: 0x64 is not a value type");
    static const uint8_t empty_block[1] = {0x40};
    assert_int_equal(kiln_tag_new(empty_block, 1, &tag), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_tag_new: parameter 0: 0x40 is not a value type");
    assert_ptr_equal(tag, (kiln_tag *)(uintptr_t)1); /* untouched on failure */

    /* The canonical type of a module's tag of the same parameters; each tag its own record. */
    kiln_tag *a = new_tag(3, good), *b = new_tag(3, good);
    assert_ptr_not_equal(a, b);
    assert_int_equal(a->sig, kiln_sig_intern(3, good, 0, NULL));
    assert_int_equal(b->sig, a->sig);
    kiln_tag *none = NULL;
    assert_int_equal(kiln_tag_new(NULL, 0, &none), KILN_STATUS_OK);
    assert_int_equal(none->sig, kiln_sig_intern(0, NULL, 0, NULL));
    kiln_tag_free(a);
    kiln_tag_free(b);
    kiln_tag_free(none);
    kiln_tag_free(NULL);
}

static void test_host_tag_imported_by_instances(void **state)
{
    (void)state;
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i);
    desc_builder bx, by;
    kiln_instance *x = new_h(&bx, tag), *y = new_h(&by, tag);
    /* Both import the host's record itself: one identity. */
    assert_ptr_equal(tag_of(x->vmctx, TAG_HOST), tag);
    assert_ptr_equal(tag_of(y->vmctx, TAG_HOST), tag);
    assert_ptr_equal(export_tag(x, "tag"), tag);
    assert_ptr_not_equal(export_tag(x, "own"), export_tag(y, "own"));
    /* kiln_tag_free leaves an instance's tag alone. */
    kiln_tag_free((kiln_tag *)(uintptr_t)export_tag(x, "own"));
    assert_int_equal(export_tag(x, "own")->sig, tag->sig);
    kiln_instance_free(x);
    kiln_instance_free(y);

    /* A tag of another type does not link. */
    kiln_tag *wide = new_tag(3, rt_types_iii);
    kiln_instance *z = NULL;
    assert_int_equal(instantiate_h(&bx, wide, &z), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(), "incompatible import type: \"host\" \"tag\": tag type");
    assert_null(z);
    kiln_tag_free(wide);
    kiln_tag_free(tag);
}

/* ---- kiln_host_throw ---- */

static void test_host_throw_caught_by_import_clause(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i);
    desc_builder b;
    kiln_instance *x = new_h(&b, tag);
    int32_t r = 0;

    /* The clause compares the imported tag: the host's record. */
    host_reset();
    hs.modes[0] = M_THROW;
    hs.tag = tag;
    hs.values[0] = val_i32(1234);
    hs.count = 1;
    st.exn = NULL;
    assert_int_equal(run(x, F_TRY_HOST, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1234);
    assert_int_equal(hs.got, KILN_TRAP_EXCEPTION);
    assert_ptr_equal(st.exn, hs.staged); /* the very exception it staged, caught and freed */
    assert_null(kiln_tls.top);
    assert_null(kiln_last_exception());
    assert_int_equal(x->exn_count, 0);
    /* catch_all takes it too. */
    assert_int_equal(run(x, F_TRY_ALL, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 1234);

    /* The host throws an instance's tag: the clause naming it catches it. */
    hs.tag = export_tag(x, "own");
    hs.values[0] = val_i32(-7);
    assert_int_equal(run(x, F_TRY_OWN, &r), KILN_TRAP_NONE);
    assert_int_equal(r, -7);
    /* ... and the host tag's clause does not: the exception goes on to the entry. */
    assert_int_equal(run(x, F_TRY_HOST, &r), KILN_TRAP_EXCEPTION);
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(x, "own"));
    assert_int_equal(kiln_last_exception()->values[0], (uint32_t)-7);

    /* The function it returns to never runs on: the host function's result is not taken. */
    hs.tag = tag;
    hs.values[0] = val_i32(5);
    hs.calls = 0;
    assert_int_equal(run(x, F_CALL_TWICE, &r), KILN_TRAP_EXCEPTION);
    assert_int_equal(hs.calls, 1);
    assert_ptr_equal(kiln_last_exception()->tag.p, tag);
    kiln_instance_free(x);
    kiln_tag_free(tag);
}

/* Every value type goes into the exception as kiln_throw stores it (16-byte slots), and
 * comes back out through kiln_exn_values; an uncaught host throw reaches the entry. */
static void test_host_throw_uncaught_keeps_values(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i);
    static const uint8_t kinds[4] = {KILN_TYPE_I64, KILN_TYPE_F32, KILN_TYPE_V128,
                                     KILN_TYPE_EXTERNREF};
    kiln_tag *wide = new_tag(4, kinds);
    desc_builder b;
    kiln_instance *x = new_h(&b, tag);
    host_reset();
    hs.modes[0] = M_THROW;
    hs.tag = wide;
    hs.count = 4;
    hs.values[0] = (kiln_val){.type = KILN_TYPE_I64, .of.i64 = -2};
    hs.values[1] = (kiln_val){.type = KILN_TYPE_F32, .of.f32 = 1.5f};
    hs.values[2].type = KILN_TYPE_V128;
    for (int i = 0; i < 16; i++)
        hs.values[2].of.v128.bytes[i] = (uint8_t)(0xA0 + i);
    hs.values[3] = (kiln_val){.type = KILN_TYPE_EXTERNREF, .of.externref = &hs};
    assert_int_equal(run(x, F_CALL, NULL), KILN_TRAP_EXCEPTION);
    const kiln_exn *e = kiln_last_exception();
    assert_non_null(e);
    assert_ptr_equal(e, hs.staged);
    assert_ptr_equal(e->tag.p, wide);
    assert_int_equal(e->count, 4);
    assert_int_equal(e->values[0], (uint64_t)-2);
    assert_int_equal(e->values[1], 0);
    assert_int_equal(e->values[2], 0x3FC00000u); /* 1.5f, the upper bytes zero */
    assert_int_equal(e->values[3], 0);
    assert_memory_equal(&e->values[4], hs.values[2].of.v128.bytes, 16);
    assert_int_equal(e->values[6], (uint64_t)(uintptr_t)&hs);
    assert_int_equal(e->values[7], 0);
    kiln_val out[4];
    assert_int_equal(kiln_exn_values(e, out, 4), 4);
    assert_int_equal(out[0].type, KILN_TYPE_I64);
    assert_int_equal(out[0].of.i64, -2);
    assert_int_equal(out[1].type, KILN_TYPE_F32);
    assert_true(out[1].of.f32 == 1.5f);
    assert_int_equal(out[2].type, KILN_TYPE_V128);
    assert_memory_equal(out[2].of.v128.bytes, hs.values[2].of.v128.bytes, 16);
    assert_int_equal(out[3].type, KILN_TYPE_EXTERNREF);
    assert_ptr_equal(out[3].of.externref, &hs);
    /* Attributed to the call of the import, in the function that called it. */
    uint32_t index = UINT32_MAX;
    assert_true(kiln_module_func_at(&b.m, kiln_last_trap_pc(), &index, NULL, NULL));
    assert_int_equal(index, F_CALL);

    /* A host tag without values. */
    kiln_tag *none = new_tag(0, NULL);
    hs.tag = none;
    hs.count = 0;
    assert_int_equal(run(x, F_CALL, NULL), KILN_TRAP_EXCEPTION);
    assert_ptr_equal(kiln_last_exception()->tag.p, none);
    assert_int_equal(kiln_last_exception()->count, 0);
    /* Freed by the next call into wasm, like any uncaught exception. */
    watch(kiln_last_exception());
    hs.modes[0] = M_RETURN;
    int32_t r = 0;
    assert_int_equal(run(x, F_CALL, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 42);
    assert_int_equal(watched_frees, 1);
    watch(NULL);
    kiln_instance_free(x);
    kiln_tag_free(none);
    kiln_tag_free(wide);
    kiln_tag_free(tag);
}

/* Runs x's F_TRY_ALL, whose host function's kiln_host_throw fails with error. */
static void expect_throw_error(kiln_instance *x, const char *error)
{
    hs.calls = 0;
    hs.got = KILN_TRAP_NONE;
    assert_int_equal(run(x, F_TRY_ALL, NULL), KILN_TRAP_HOST);
    assert_int_equal(hs.calls, 1);
    assert_int_equal(hs.got, KILN_TRAP_HOST);
    assert_null(hs.staged);
    assert_string_equal(hs.error, error);
    assert_string_equal(kiln_last_error(), error); /* the trap keeps the message */
    assert_null(kiln_last_exception());
}

static void test_host_throw_checks_values(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    rt_arm();
    static const uint8_t kinds[2] = {KILN_TYPE_I32, KILN_TYPE_I64};
    kiln_tag *tag = new_tag(1, rt_types_i), *pair = new_tag(2, kinds);
    desc_builder b;
    kiln_instance *x = new_h(&b, tag);
    host_reset();
    hs.modes[0] = M_THROW;
    hs.tag = pair;
    hs.values[0] = val_i32(1);
    hs.values[1] = val_i32(2);
    hs.count = 1;
    expect_throw_error(x, "kiln_host_throw: the tag takes 2 values, not 1");
    hs.count = 3;
    expect_throw_error(x, "kiln_host_throw: the tag takes 2 values, not 3");
    hs.count = 2;
    expect_throw_error(x, "kiln_host_throw: value 1 has type i32, the tag's is i64");
    hs.values[0].type = 0x40;
    hs.values[1] = (kiln_val){.type = KILN_TYPE_I64, .of.i64 = 2};
    expect_throw_error(x, "kiln_host_throw: value 0 has type no value type, the tag's is i32");
    hs.values[0] = val_i32(1);
    hs.null_values = true;
    expect_throw_error(x, "kiln_host_throw: NULL values");
    hs.null_values = false;

    hs.tag = tag;
    hs.count = 0;
    expect_throw_error(x, "kiln_host_throw: the tag takes 1 values, not 0");
    hs.count = 1;
    hs.values[0] = (kiln_val){.type = KILN_TYPE_F32};
    expect_throw_error(x, "kiln_host_throw: value 0 has type f32, the tag's is i32");
    hs.values[0] = val_i32(1);
    hs.tag = NULL;
    expect_throw_error(x, "kiln_host_throw: not a tag");
    kiln_tag bogus = {.sig = UINT32_MAX};
    hs.tag = &bogus;
    expect_throw_error(x, "kiln_host_throw: not a tag");
    bogus.sig = kiln_sig_intern(0, NULL, 1, rt_types_i); /* a type with results */
    expect_throw_error(x, "kiln_host_throw: not a tag");
    /* anyref: Kiln has no GC objects, only null. */
    static const uint8_t any[1] = {KILN_TYPE_ANYREF};
    kiln_tag *any_tag = new_tag(1, any);
    hs.tag = any_tag;
    hs.values[0] = (kiln_val){.type = KILN_TYPE_ANYREF, .of.externref = &hs};
    expect_throw_error(
        x, "kiln_host_throw: value 0: an anyref is always null (Kiln has no GC objects)");
    hs.values[0].of.externref = NULL;
    hs.calls = 0;
    assert_int_equal(run(x, F_TRY_ALL, NULL), KILN_TRAP_NONE);
    assert_int_equal(hs.got, KILN_TRAP_EXCEPTION);
    kiln_tag_free(any_tag);

    /* An instance's tag of a typed, non-null reference: the reference is checked too. */
    hs.tag = export_tag(x, "typed");
    hs.values[0] = (kiln_val){.type = KILN_TYPE_FUNCREF, .of.funcref = NULL};
    expect_throw_error(x, "kiln_host_throw: argument 0 has the wrong type: null for (ref func)");
    hs.values[0].of.funcref = kiln_instance_funcref(x, F_CALL);
    hs.calls = 0;
    st.exn = NULL;
    assert_int_equal(run(x, F_TRY_ALL, NULL), KILN_TRAP_NONE);
    assert_int_equal(hs.got, KILN_TRAP_EXCEPTION);
    assert_ptr_equal(st.exn, hs.staged);
    kiln_instance_free(x);
    kiln_tag_free(pair);
    kiln_tag_free(tag);
}

static void test_host_throw_outside_host_function(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    kiln_tag *tag = new_tag(1, rt_types_i);
    kiln_val v = val_i32(3);
    assert_int_equal(kiln_host_throw(tag, &v, 1), KILN_TRAP_HOST);
    assert_string_equal(kiln_last_error(), "kiln_host_throw: not called from a host function");
    kiln_tag_free(tag);
}

/* A staged exception that the host function does not return KILN_TRAP_EXCEPTION for is
 * freed, once; a second kiln_host_throw replaces (and frees) the first. */
static void test_staged_exception_freed_unless_raised(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i);
    desc_builder b;
    kiln_instance *x = new_h(&b, tag);
    static const struct {
        kiln_trap ret, trap; /* what the host function returns, what the call returns */
        int32_t result;
    } cases[] = {
        {KILN_TRAP_NONE, KILN_TRAP_NONE, 42},
        {KILN_TRAP_HOST, KILN_TRAP_HOST, 0},
        {KILN_TRAP_UNREACHABLE, KILN_TRAP_UNREACHABLE, 0},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        host_reset();
        hs.modes[0] = M_THROW;
        hs.tag = tag;
        hs.values[0] = val_i32(1234);
        hs.count = 1;
        hs.watch_first = true;
        hs.ret = cases[i].ret;
        st.exn = NULL;
        int32_t r = 0;
        assert_int_equal(run(x, F_TRY_ALL, &r), cases[i].trap);
        assert_int_equal(r, cases[i].result);
        assert_int_equal(hs.got, KILN_TRAP_EXCEPTION);
        assert_non_null(hs.staged);
        assert_int_equal(watched_frees, 1);
        assert_null(st.exn); /* no handler saw it */
        assert_null(kiln_last_exception());
    }

    /* Thrown twice: the second replaces the first, which is freed at once. */
    host_reset();
    hs.modes[0] = M_THROW;
    hs.tag = tag;
    hs.values[0] = val_i32(55);
    hs.count = 1;
    hs.throws = 2;
    hs.watch_first = true;
    int32_t r = 0;
    assert_int_equal(run(x, F_TRY_HOST, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 55);
    assert_ptr_not_equal(hs.staged, hs.first_staged);
    assert_ptr_equal(st.exn, hs.staged);
    assert_int_equal(watched_frees, 1);
    watch(NULL);
    kiln_instance_free(x);
    kiln_tag_free(tag);
}

/* ---- Exceptions passing through host functions ---- */

static void test_nested_exception_passes_through_host(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i);
    desc_builder bx, by;
    kiln_instance *x = new_h(&bx, tag), *y = new_h(&by, tag);
    int32_t r = 0;

    /* y throws the shared host tag; x's clause on its import of it catches the very
     * exception, moved out of the thread's last exception, and frees it. */
    host_reset();
    hs.modes[0] = M_NESTED;
    hs.target = y;
    hs.target_func = F_THROW_HOST;
    hs.watch_nested = true;
    st.exn = NULL;
    assert_int_equal(run(x, F_TRY_HOST, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 9);
    assert_int_equal(hs.nested_trap, KILN_TRAP_EXCEPTION);
    assert_non_null(hs.nested);
    assert_ptr_equal(st.exn, hs.nested);
    assert_int_equal(watched_frees, 1);
    assert_null(kiln_last_exception());

    /* x's own tag, thrown by x itself in the nested call. */
    hs.target = x;
    hs.target_func = F_THROW_OWN;
    assert_int_equal(run(x, F_TRY_OWN, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 8);
    assert_int_equal(watched_frees, 1);

    /* y's own tag is not x's: no clause matches, and the exception, still the same one,
     * reaches the outer entry. */
    hs.target = y;
    assert_int_equal(run(x, F_TRY_OWN, &r), KILN_TRAP_EXCEPTION);
    assert_ptr_equal(kiln_last_exception(), hs.nested);
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(y, "own"));
    assert_int_equal(kiln_last_exception()->values[0], 8);
    assert_int_equal(watched_frees, 0);
    uint32_t index = UINT32_MAX;
    assert_true(kiln_module_func_at(&bx.m, kiln_last_trap_pc(), &index, NULL, NULL));
    assert_int_equal(index, F_CALL); /* thrown again at x's call of the import */

    /* Without a try_table: the host function's caller is left as by a throw. */
    hs.calls = 0;
    assert_int_equal(run(x, F_CALL_TWICE, &r), KILN_TRAP_EXCEPTION);
    assert_int_equal(hs.calls, 1);
    assert_ptr_equal(kiln_last_exception(), hs.nested);

    /* A host function's throw two levels down: x -> host -> y -> host (throws) -> y has no
     * handler -> the outer host function returns the exception -> x catches it. */
    host_reset();
    hs.modes[0] = M_NESTED;
    hs.modes[1] = M_THROW;
    hs.target = y;
    hs.target_func = F_CALL;
    hs.tag = tag;
    hs.values[0] = val_i32(77);
    hs.count = 1;
    st.exn = NULL;
    assert_int_equal(run(x, F_TRY_HOST, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 77);
    assert_int_equal(hs.nested_trap, KILN_TRAP_EXCEPTION);
    assert_ptr_equal(st.exn, hs.staged);
    assert_ptr_equal(hs.nested, hs.staged);
    assert_null(kiln_last_exception());
    watch(NULL);
    kiln_instance_free(x);
    kiln_instance_free(y);
    kiln_tag_free(tag);
}

/* An exception an exnref refers to (caught by catch_all_ref, owned by its instance) leaves
 * the nested call as a copy (kiln_last_exception); that copy is what passes on. */
static void test_exposed_exception_passes_as_copy(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i);
    desc_builder b;
    kiln_instance *x = new_h(&b, tag);
    host_reset();
    hs.modes[0] = M_NESTED;
    hs.target = x;
    hs.target_func = F_REF_RETHROW;
    hs.watch_nested = true;
    st.exn = NULL;
    int32_t r = 0;
    assert_int_equal(run(x, F_TRY_OWN, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 8);
    /* The original: x's, until x is freed (its list holds the unwinder's header). */
    assert_int_equal(x->exn_count, 1);
    const kiln_exn *original = kiln_exn_get(x->exns);
    assert_ptr_equal(original->owner.p, x);
    assert_int_equal(original->values[0], 8);
    assert_ptr_not_equal(st.exn, original);
    assert_ptr_equal(st.exn, hs.nested);
    assert_int_equal(watched_frees, 1); /* the copy: caught by catch, freed (st.exn is gone) */
    watch(NULL);
    kiln_instance_free(x);
    kiln_tag_free(tag);
}

static void test_exception_return_without_exception(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    rt_arm();
    static const char error[] = "host function for import 0 returned KILN_TRAP_EXCEPTION "
                                "without an exception to throw (none staged by "
                                "kiln_host_throw, none from its calls into wasm)";
    kiln_tag *tag = new_tag(1, rt_types_i);
    desc_builder bx, by;
    kiln_instance *x = new_h(&bx, tag), *y = new_h(&by, tag);
    host_reset();
    hs.modes[0] = M_EMPTY;
    assert_int_equal(run(x, F_TRY_ALL, NULL), KILN_TRAP_HOST);
    assert_string_equal(kiln_last_error(), error);
    assert_null(kiln_last_exception());

    /* An exception a previous host function's call ended with (and that host function kept
     * to itself) is not this one's to pass on. */
    host_reset();
    hs.modes[0] = M_NESTED;
    hs.ret = KILN_TRAP_NONE;
    hs.then_mode = M_EMPTY;
    hs.target = y;
    hs.target_func = F_THROW_OWN;
    assert_int_equal(run(x, F_CALL_TWICE, NULL), KILN_TRAP_HOST);
    assert_int_equal(hs.calls, 2);
    assert_string_equal(kiln_last_error(), error);
    /* Still the thread's last exception, until the next call into wasm. */
    assert_ptr_equal(kiln_last_exception(), hs.nested);
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(y, "own"));
    kiln_instance_free(x);
    kiln_instance_free(y);
    kiln_tag_free(tag);
}

/* ---- Tasks ---- */

static void test_host_throw_in_tasks(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i);
    desc_builder b;
    kiln_instance *x = new_h(&b, tag);
    host_reset();
    hs.modes[0] = M_THROW;
    hs.tag = tag;
    hs.values[0] = val_i32(31);
    hs.count = 1;
    kiln_task *task;
    kiln_status s = kiln_task_start(NULL, x, kiln_instance_funcref(x, F_TRY_HOST), NULL, 0, &task);
    if (s == KILN_STATUS_UNSUPPORTED) {
        kiln_instance_free(x);
        kiln_tag_free(tag);
        print_message("skipped: no tasks on this target\n");
        skip();
    }
    assert_int_equal(s, KILN_STATUS_OK);
    assert_int_equal(kiln_task_get_state(task), KILN_TASK_RETURNED);
    size_t count = 0;
    assert_int_equal(kiln_task_results(task, &count)[0].of.i32, 31);
    assert_int_equal(kiln_task_free(task), KILN_STATUS_OK);

    /* A task freed while its host function is suspended unwinds without running wasm: an
     * exception that host function throws on its way out is dropped (no handler runs) and
     * freed, and the call ends KILN_TRAP_INTERRUPTED. */
    host_reset();
    hs.modes[0] = M_YIELD_THROW;
    hs.tag = tag;
    hs.values[0] = val_i32(32);
    hs.count = 1;
    hs.watch_first = true;
    st.exn = NULL;
    assert_int_equal(kiln_task_start(NULL, x, kiln_instance_funcref(x, F_TRY_ALL), NULL, 0, &task),
                     KILN_STATUS_OK);
    assert_int_equal(kiln_task_get_state(task), KILN_TASK_SUSPENDED);
    assert_int_equal(kiln_task_free(task), KILN_STATUS_OK);
    assert_int_equal(hs.yield_status, KILN_STATUS_CANCELLED);
    assert_int_equal(hs.got, KILN_TRAP_EXCEPTION);
    assert_int_equal(watched_frees, 1);
    assert_null(st.exn);
    watch(NULL);
    kiln_instance_free(x);
    kiln_tag_free(tag);
}

/* ---- Targets without an unwinder ---- */

static void test_host_throw_unsupported_target(void **state)
{
    (void)state;
    if (kiln_exn_unwinds) {
        print_message("skipped: this target unwinds exceptions (the other tests cover it)\n");
        skip();
    }
    rt_arm();
    kiln_tag *tag = new_tag(1, rt_types_i); /* tags work everywhere */
    desc_builder b;
    kiln_instance *x = new_h(&b, tag);
    host_reset();
    hs.modes[0] = M_THROW;
    hs.tag = tag;
    hs.values[0] = val_i32(1);
    hs.count = 1;
    assert_int_equal(run(x, F_CALL, NULL), KILN_TRAP_HOST);
    assert_int_equal(hs.got, KILN_TRAP_HOST);
    assert_string_equal(hs.error, "exceptions are not supported on this target");
    assert_null(kiln_last_exception());
    kiln_instance_free(x);
    kiln_tag_free(tag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_new_checks_arguments),
        cmocka_unit_test(test_host_tag_imported_by_instances),
        cmocka_unit_test(test_host_throw_caught_by_import_clause),
        cmocka_unit_test(test_host_throw_uncaught_keeps_values),
        cmocka_unit_test(test_host_throw_checks_values),
        cmocka_unit_test(test_host_throw_outside_host_function),
        cmocka_unit_test(test_staged_exception_freed_unless_raised),
        cmocka_unit_test(test_nested_exception_passes_through_host),
        cmocka_unit_test(test_exposed_exception_passes_as_copy),
        cmocka_unit_test(test_exception_return_without_exception),
        cmocka_unit_test(test_host_throw_in_tasks),
        cmocka_unit_test(test_host_throw_unsupported_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
