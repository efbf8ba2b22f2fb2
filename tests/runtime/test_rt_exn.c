/* test_rt_exn.c -- Wasm exceptions in the runtime (exn.c): tag descriptors and their checks,
 * tag imports and exports (identity per instance, matching by canonical type), the LSDA
 * reader on hand-written tables, throw and throw_ref through a real entry (uncaught:
 * KILN_TRAP_EXCEPTION and kiln_last_exception; null: KILN_TRAP_NULL_EXN_REF), the ownership
 * rules of caught exceptions (kiln_exn_caught), and, where the runtime unwinds with DWARF
 * and a clang built exn_try.ll (RT_EXN_TRY), real catches: landing pads as the code generator
 * lowers a try_table, matching and mismatching tags, nested try_tables (_Unwind_Resume keeps
 * the forced unwind going), catch_ref + throw_ref, and traps that no landing pad sees.
 *
 * Module X: tag types A = (i32), B = (i64 i32), C = (), tags a, b, c (exported), and
 * functions () -> i32 that stand in for generated code (KILN_GEN). The runtime's free() is
 * wrapped (-Wl,--wrap=free) so that a test can see when the block of one exception is freed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt_exn_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define RT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_UNDER_ASAN 1
#endif
#endif
#ifndef RT_UNDER_ASAN
#define RT_UNDER_ASAN 0
#endif

/* ---- Module X ---- */

enum { T_A, T_B, T_C, T_V_I, T_R };
enum { TAG_A, TAG_B, TAG_C };
enum {
    F_THROW_A,
    F_THROW_B,
    F_THROW_C,
    F_THROW_REF_NULL,
    F_THROW_REF_STATE,
    F_CAUGHT_REF,
    F_FIVE,
    F_CATCH,
    F_NESTED,
    F_RETHROW,
    F_TRAP_IN_TRY,
    F_LOOP,
    F_HOLD,
};

static const uint8_t kinds_b[2] = {KILN_TYPE_I64, KILN_TYPE_I32};
static const uint8_t kinds_r[1] = {KILN_TYPE_EXNREF};

/* What the KILN_GEN functions below do, set by each test. */
struct test_state {
    rt_body body;              /* F_CATCH: what the try_table runs */
    const kiln_tag *throw_tag; /* gen_throw_state's tag (of type A) */
    int catch_tag;             /* F_CATCH: the clause's tag, or -1 for catch_all */
    uint32_t as_ref;           /* F_CATCH, F_LOOP: catch_ref / catch_all_ref */
    kiln_exn *exn;             /* what the latest catch took; what F_THROW_REF_STATE throws */
    kiln_exn *exn2;            /* F_RETHROW: what its second catch took */
    int inner_ran;             /* F_NESTED: the inner try_table returned (it must not) */
    uint32_t loops;            /* F_LOOP */
    int scenario;              /* F_HOLD: which hold_* below */
    int frees[4];              /* F_HOLD: the watched exception's frees at each step */
};
static struct test_state st;

static const kiln_tag *tag_of(kiln_vmctx *vm, uint32_t index)
{
    return kiln_vm_tags(vm)[index].p;
}

RT_GEN static int32_t gen_throw_a(kiln_vmctx *vm)
{
    uint64_t values[2] = {7, 0};
    kiln_throw(vm, tag_of(vm, TAG_A), values);
}

RT_GEN static int32_t gen_throw_state(kiln_vmctx *vm)
{
    uint64_t values[2] = {8, 0};
    kiln_throw(vm, st.throw_tag, values);
}

RT_GEN static int32_t gen_throw_b(kiln_vmctx *vm)
{
    uint64_t values[4] = {(uint64_t)-5, 0, 9, 0};
    kiln_throw(vm, tag_of(vm, TAG_B), values);
}

RT_GEN static int32_t gen_throw_c(kiln_vmctx *vm)
{
    kiln_throw(vm, tag_of(vm, TAG_C), NULL);
}

RT_GEN static int32_t gen_throw_ref_null(kiln_vmctx *vm)
{
    kiln_throw_ref(vm, NULL);
}

RT_GEN static int32_t gen_throw_ref_state(kiln_vmctx *vm)
{
    kiln_throw_ref(vm, st.exn);
}

RT_GEN static int32_t gen_caught_ref(kiln_vmctx *vm)
{
    kiln_exn_caught(vm, st.exn, 1);
    return 1;
}

RT_GEN static int32_t gen_ok(kiln_vmctx *vm)
{
    (void)vm;
    return 5;
}

RT_GEN static int32_t gen_catch(kiln_vmctx *vm)
{
    const kiln_tag *tag = st.catch_tag < 0 ? NULL : tag_of(vm, (uint32_t)st.catch_tag);
    return rt_exn_try(vm, st.body, tag, st.as_ref, &st.exn);
}

/* try_table (catch b) around a throw of a: the clause does not match. */
RT_GEN static int32_t gen_inner_b(kiln_vmctx *vm)
{
    kiln_exn *exn;
    int32_t v = rt_exn_try(vm, gen_throw_a, tag_of(vm, TAG_B), 0, &exn);
    st.inner_ran = 1;
    return v;
}

RT_GEN static int32_t gen_nested(kiln_vmctx *vm)
{
    return rt_exn_try(vm, gen_inner_b, tag_of(vm, TAG_A), 0, &st.exn) + 100;
}

/* catch_ref a, then throw_ref what it caught inside a catch a. */
RT_GEN static int32_t gen_rethrow(kiln_vmctx *vm)
{
    int32_t v1 = rt_exn_try(vm, gen_throw_a, tag_of(vm, TAG_A), 1, &st.exn);
    int32_t v2 = rt_exn_try(vm, gen_throw_ref_state, tag_of(vm, TAG_A), 0, &st.exn2);
    return v1 + v2;
}

RT_GEN static int32_t gen_trap(kiln_vmctx *vm)
{
    kiln_trap_raise(vm, KILN_TRAP_UNREACHABLE);
}

RT_GEN static int32_t gen_trap_in_try(kiln_vmctx *vm)
{
    kiln_exn *exn;
    return rt_exn_try(vm, gen_trap, NULL, 0, &exn);
}

RT_GEN static int32_t gen_loop(kiln_vmctx *vm)
{
    int32_t sum = 0;
    for (uint32_t i = 0; i < st.loops; i++)
        sum += rt_exn_try(vm, gen_throw_a, tag_of(vm, TAG_A), st.as_ref, &st.exn);
    return sum;
}

/* Legacy handlers (KILN_EXN_HOLD, kiln_exn_drop), as generated code calls them: catches a's
 * exception as held, then plays one scenario, noting the frees after each step. */
enum { HOLD_NESTED, HOLD_RETHROWN, HOLD_TRAP, HOLD_AS_REF, HOLD_CAUGHT_AGAIN };

RT_GEN static int32_t gen_hold(kiln_vmctx *vm)
{
    int32_t v = rt_exn_try(vm, gen_throw_a, tag_of(vm, TAG_A), KILN_EXN_HOLD, &st.exn);
    kiln_exn *e = st.exn;
    watch(e);
    switch (st.scenario) {
    case HOLD_NESTED: /* held again by an inner handler, dropped by both: the last frees */
        kiln_exn_caught(vm, e, KILN_EXN_HOLD);
        kiln_exn_drop(e, NULL);
        st.frees[0] = watched_frees;
        kiln_exn_drop(e, NULL);
        break;
    case HOLD_RETHROWN: /* the handler is left by rethrowing it: not freed, caught later */
        kiln_exn_drop(e, e);
        st.frees[0] = watched_frees;
        kiln_exn_caught(vm, e, KILN_EXN_CATCH);
        break;
    case HOLD_TRAP: /* the activation's entry frees what its handlers held */
        kiln_trap_raise(vm, KILN_TRAP_UNREACHABLE);
    case HOLD_AS_REF: /* caught as an exnref while held: the instance owns it from then on */
        kiln_exn_caught(vm, e, KILN_EXN_REF);
        kiln_exn_drop(e, NULL);
        break;
    default: /* HOLD_CAUGHT_AGAIN: a plain catch inside the handler leaves it to the holder */
        kiln_exn_caught(vm, e, KILN_EXN_CATCH);
        st.frees[0] = watched_frees;
        kiln_exn_drop(e, NULL);
        break;
    }
    st.frees[1] = watched_frees;
    return v;
}

static kiln_module_desc *module_x(desc_builder *b)
{
    desc_begin(b, "x");
    desc_type(b, 1, 0, rt_types_i);
    desc_type(b, 2, 0, kinds_b);
    desc_type(b, 0, 0, NULL);
    desc_type(b, 0, 1, rt_types_i);
    desc_type(b, 1, 0, kinds_r); /* (func (param exnref)): exnref is a value type */
    desc_tag(b, T_A);
    desc_tag(b, T_B);
    desc_tag(b, T_C);
    void *const code[] = {
        [F_THROW_A] = (void *)gen_throw_a,
        [F_THROW_B] = (void *)gen_throw_b,
        [F_THROW_C] = (void *)gen_throw_c,
        [F_THROW_REF_NULL] = (void *)gen_throw_ref_null,
        [F_THROW_REF_STATE] = (void *)gen_throw_ref_state,
        [F_CAUGHT_REF] = (void *)gen_caught_ref,
        [F_FIVE] = (void *)gen_ok,
        [F_CATCH] = (void *)gen_catch,
        [F_NESTED] = (void *)gen_nested,
        [F_RETHROW] = (void *)gen_rethrow,
        [F_TRAP_IN_TRY] = (void *)gen_trap_in_try,
        [F_LOOP] = (void *)gen_loop,
        [F_HOLD] = (void *)gen_hold,
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(code); i++)
        desc_func(b, code[i], rt_entry_v_i, T_V_I);
    desc_export(b, "a", KILN_KIND_TAG, TAG_A);
    desc_export(b, "b", KILN_KIND_TAG, TAG_B);
    desc_export(b, "c", KILN_KIND_TAG, TAG_C);
    desc_export(b, "throw_a", KILN_KIND_FUNC, F_THROW_A);
    return desc_end(b);
}

static kiln_instance *new_x(desc_builder *b)
{
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(module_x(b), NULL, &inst), KILN_STATUS_OK);
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

/* ---- Descriptors ---- */

static kiln_status prepare(kiln_module_desc *m)
{
    uint32_t global_imports;
    return kiln_module_prepare(m, &global_imports);
}

static void expect_bad(kiln_module_desc *m, const char *why)
{
    assert_int_equal(prepare(m), KILN_STATUS_ARG);
    char want[128];
    snprintf(want, sizeof want, "invalid module descriptor: %s", why);
    assert_string_equal(kiln_last_error(), want);
}

static void test_tag_descriptors_checked(void **state)
{
    (void)state;
    rt_arm();
    desc_builder b;
    kiln_module_desc *m = module_x(&b);
    assert_int_equal(prepare(m), KILN_STATUS_OK);

    /* A tag's type: in range, without results. */
    b.tags[TAG_B].type_index = 99;
    expect_bad(m, "tag");
    b.tags[TAG_B].type_index = T_V_I;
    expect_bad(m, "tag");
    b.tags[TAG_B].type_index = T_B;
    /* Imported tags come first and match the imports. */
    b.tags[TAG_A].imported = 1;
    expect_bad(m, "tag");
    b.tags[TAG_A].imported = 0;
    m->tags.p = NULL;
    expect_bad(m, "missing array");
    m->tags.p = b.tags;
    /* Exports of kind 5 name a tag; kind 4 (a host function) is no export kind. */
    b.exports[0].index = 3;
    expect_bad(m, "export");
    b.exports[0].index = TAG_A;
    b.exports[0].kind = KILN_KIND_HOST_FUNC;
    expect_bad(m, "export");
    b.exports[0].kind = KILN_KIND_TAG;
    /* The vmctx areas: the pointers 8-aligned, the records inside vmctx. */
    m->layout.tags += 4;
    expect_bad(m, "vmctx layout");
    m->layout.tags -= 4;
    m->layout.tag_records = m->layout.size - 8;
    expect_bad(m, "vmctx layout");
    rt_layout(m);
    assert_int_equal(prepare(m), KILN_STATUS_OK);

    /* Tag imports: kind 5 with the tag's own type index; kind 4 is no import kind. */
    desc_begin(&b, "imp");
    desc_type(&b, 1, 0, rt_types_i);
    desc_type(&b, 2, 0, kinds_b);
    desc_import_tag(&b, "x", "a", 0);
    desc_tag(&b, 1);
    m = desc_end(&b);
    assert_int_equal(prepare(m), KILN_STATUS_OK);
    b.imports[0].type_index = 1;
    expect_bad(m, "tag import");
    b.imports[0].type_index = 0;
    b.imports[0].index = 1;
    expect_bad(m, "import index");
    b.imports[0].index = 0;
    b.imports[0].kind = KILN_KIND_HOST_FUNC;
    expect_bad(m, "import index");
    b.imports[0].kind = KILN_KIND_TAG;
    b.tags[0].imported = 0;
    expect_bad(m, "tag import");
    b.tags[0].imported = 1;
    b.tags[1].imported = 1; /* more imported tags than imports */
    expect_bad(m, "tag");
    b.tags[1].imported = 0;
    assert_int_equal(prepare(m), KILN_STATUS_OK);
}

/* exnref as a value type: tables and globals of it, and reference words of its hierarchy. */
static void test_exnref_tables_and_globals(void **state)
{
    (void)state;
    rt_arm();
    desc_builder b;
    desc_begin(&b, "r");
    desc_type(&b, 1, 0, kinds_r);
    uint32_t t = desc_table(&b, KILN_TYPE_EXNREF, rt_limits(2));
    uint32_t g = desc_global(&b, KILN_TYPE_EXNREF, true, rt_init_null(KILN_TYPE_EXNREF));
    desc_export(&b, "t", KILN_KIND_TABLE, t);
    desc_export(&b, "g", KILN_KIND_GLOBAL, g);
    kiln_module_desc *m = desc_end(&b);
    kiln_instance *inst;
    assert_int_equal(kiln_instance_new(m, NULL, &inst), KILN_STATUS_OK);
    kiln_extern e;
    assert_int_equal(kiln_instance_export(inst, "t", &e), KILN_STATUS_OK);
    assert_int_equal(e.of.table->elem_type, KILN_TYPE_EXNREF);
    assert_int_equal(e.of.table->size, 2);
    assert_int_equal(kiln_instance_export(inst, "g", &e), KILN_STATUS_OK);
    assert_int_equal(e.of.global.type, KILN_TYPE_EXNREF);
    assert_null(e.of.global.cell->u.ref.p);
    kiln_instance_free(inst);
    /* (ref null exn) is plain exnref; (ref noexn) fits an exnref; exn is no funcref heap. */
    b.globals[g].ref = KILN_HEAP_EXN;
    assert_int_equal(prepare(m), KILN_STATUS_OK);
    assert_int_equal(kiln_ref_norm(KILN_HEAP_EXN), 0);
    assert_true(kiln_ref_subtype(KILN_TYPE_EXNREF, KILN_REF_NON_NULL | KILN_HEAP_NOEXN, 0));
    assert_false(kiln_ref_subtype(KILN_TYPE_EXNREF, 0, KILN_REF_NON_NULL | KILN_HEAP_EXN));
    assert_false(kiln_ref_fits(&b, KILN_HEAP_NOEXN));
    char name[KILN_REF_NAME_SIZE];
    assert_string_equal(kiln_ref_name(KILN_TYPE_EXNREF, 0, true, name), "exnref");
    assert_string_equal(
        kiln_ref_name(KILN_TYPE_EXNREF, KILN_REF_NON_NULL | KILN_HEAP_EXN, true, name),
        "(ref exn)");
    b.tables[t].elem_ref = KILN_HEAP_FUNC;
    expect_bad(m, "table");
}

/* ---- Tags: identity per instance, imports matched by canonical type ---- */

static void test_tags_exported_per_instance(void **state)
{
    (void)state;
    rt_arm();
    desc_builder b;
    kiln_instance *x1 = new_x(&b), *x2 = new_x(&b);
    const kiln_tag *a1 = export_tag(x1, "a"), *a2 = export_tag(x2, "a");
    /* Each instance defines its own tags: one record each, in vmctx. */
    assert_ptr_not_equal(a1, a2);
    assert_ptr_equal(a1, &kiln_vm_tag_records(x1->vmctx)[TAG_A]);
    assert_ptr_equal(tag_of(x1->vmctx, TAG_C), &kiln_vm_tag_records(x1->vmctx)[TAG_C]);
    assert_int_equal(a1->sig, kiln_sig_intern(1, rt_types_i, 0, NULL));
    assert_int_equal(a1->sig, a2->sig);
    assert_int_equal(export_tag(x1, "b")->sig, kiln_sig_intern(2, kinds_b, 0, NULL));
    assert_int_equal(export_tag(x1, "c")->sig, kiln_sig_intern(0, NULL, 0, NULL));
    kiln_instance_free(x1);
    kiln_instance_free(x2);

    /* A module pool's instances get their tags too. */
    kiln_pool *pool;
    kiln_pool_config config = {.slots = 2};
    assert_int_equal(kiln_module_pool_new(module_x(&b), &config, &pool), KILN_STATUS_OK);
    kiln_instance *p1, *p2;
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &p1, NULL), KILN_STATUS_OK);
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &p2, NULL), KILN_STATUS_OK);
    assert_ptr_equal(export_tag(p1, "a"), &kiln_vm_tag_records(p1->vmctx)[TAG_A]);
    assert_ptr_not_equal(export_tag(p1, "a"), export_tag(p2, "a"));
    assert_int_equal(export_tag(p2, "b")->sig, kiln_sig_intern(2, kinds_b, 0, NULL));
    kiln_instance_free(p1);
    kiln_instance_free(p2);
    kiln_pool_free(pool);
}

static kiln_status instantiate_importer(kiln_pool *pool, kiln_module_desc *m,
                                        const kiln_extern *value, kiln_instance **out)
{
    kiln_import item = {.module = "x", .name = "a", .value = *value};
    kiln_imports imports = {&item, 1};
    if (pool != NULL)
        return kiln_pool_instantiate(pool, &imports, out, NULL);
    return kiln_instance_new(m, &imports, out);
}

static void test_tag_imports_link_by_type(void **state)
{
    (void)state;
    rt_arm();
    desc_builder bx, bi;
    kiln_instance *x = new_x(&bx);
    kiln_extern a;
    assert_int_equal(kiln_instance_export(x, "a", &a), KILN_STATUS_OK);

    /* The importer's tag type (i32) is its type 1: the same canonical type as x's. */
    desc_begin(&bi, "imp");
    desc_type(&bi, 0, 0, NULL);
    desc_type(&bi, 1, 0, rt_types_i);
    desc_import_tag(&bi, "x", "a", 1);
    desc_tag(&bi, 0);
    desc_export(&bi, "a", KILN_KIND_TAG, 0);
    desc_export(&bi, "own", KILN_KIND_TAG, 1);
    kiln_module_desc *m = desc_end(&bi);
    kiln_instance *imp;
    assert_int_equal(instantiate_importer(NULL, m, &a, &imp), KILN_STATUS_OK);
    /* An imported tag is its exporter's record: throw and catch compare that address. */
    assert_ptr_equal(tag_of(imp->vmctx, 0), a.of.tag);
    assert_ptr_equal(export_tag(imp, "a"), a.of.tag);
    assert_ptr_equal(export_tag(imp, "own"), &kiln_vm_tag_records(imp->vmctx)[0]);
    kiln_instance_free(imp);

    /* Both instantiation paths link tags. */
    kiln_pool *pool;
    kiln_pool_config config = {.slots = 1};
    assert_int_equal(kiln_module_pool_new(m, &config, &pool), KILN_STATUS_OK);
    assert_int_equal(instantiate_importer(pool, m, &a, &imp), KILN_STATUS_OK);
    assert_ptr_equal(tag_of(imp->vmctx, 0), a.of.tag);
    assert_ptr_equal(tag_of(imp->vmctx, 1), &kiln_vm_tag_records(imp->vmctx)[0]);
    kiln_instance_free(imp);

    /* Another type: refused, in both paths. */
    kiln_extern b;
    assert_int_equal(kiln_instance_export(x, "b", &b), KILN_STATUS_OK);
    assert_int_equal(instantiate_importer(NULL, m, &b, &imp), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(), "incompatible import type: \"x\" \"a\": tag type");
    assert_int_equal(instantiate_importer(pool, m, &b, &imp), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(), "incompatible import type: \"x\" \"a\": tag type");
    kiln_pool_free(pool);
    /* Not a tag at all. */
    kiln_extern f;
    assert_int_equal(kiln_instance_export(x, "throw_a", &f), KILN_STATUS_OK);
    assert_int_equal(instantiate_importer(NULL, m, &f, &imp), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(), "incompatible import type: \"x\" \"a\": not a tag");
    kiln_extern none = {.kind = KILN_KIND_TAG};
    assert_int_equal(instantiate_importer(NULL, m, &none, &imp), KILN_STATUS_LINK);
    kiln_instance_free(x);
}

/* ---- The LSDA reader ---- */

static void test_lsda_landing_pads(void **state)
{
    (void)state;
    const uintptr_t fs = 0x400000;
    /* What LLVM writes on x86-64: no LPStart, a type table, uleb128 call sites. */
    static const uint8_t uleb[] = {
        0xFF,                         /* LPStart: omitted (the function's start) */
        0x9B, 0x25,                   /* TType: pcrel|indirect|sdata4, offset 0x25 (not read) */
        0x01,                         /* call sites: uleb128 */
        13,                           /* call-site table length */
        0x10, 0x10, 0x40, 0x01,       /* [0x10, 0x20) -> 0x40, action 1 */
        0x30, 0x08, 0x00, 0x00,       /* [0x30, 0x38): no landing pad */
        0x50, 0x90, 0x01, 0xC8, 0x01, /* [0x50, 0xE0) -> 0xC8 (2-byte uleb128s) */
        0x01, 0x00,                   /* the action table (not read) */
    };
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0x08), 0);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0x10), fs + 0x40);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0x1F), fs + 0x40);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0x20), 0);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0x34), 0);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0x50), fs + 0xC8);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0xDF), fs + 0xC8);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0xE0), 0);
    assert_int_equal(kiln_lsda_landing_pad(uleb, fs, fs + 0x1000), 0);

    /* udata4 call sites (in the target's byte order), no type table. */
    static const uint32_t sites[2][3] = {{0x100, 0x20, 0x180}, {0x140, 0x10, 0x1A0}};
    uint8_t lsda[4 + 2 * 13];
    size_t at = 0;
    lsda[at++] = 0xFF;
    lsda[at++] = 0xFF;
    lsda[at++] = 0x03;
    lsda[at++] = 2 * 13;
    for (int i = 0; i < 2; i++) {
        memcpy(&lsda[at], sites[i], 12);
        at += 12;
        lsda[at++] = 1; /* action */
    }
    assert_int_equal(kiln_lsda_landing_pad(lsda, fs, fs + 0x100), fs + 0x180);
    assert_int_equal(kiln_lsda_landing_pad(lsda, fs, fs + 0x11F), fs + 0x180);
    assert_int_equal(kiln_lsda_landing_pad(lsda, fs, fs + 0x120), 0);
    assert_int_equal(kiln_lsda_landing_pad(lsda, fs, fs + 0x145), fs + 0x1A0);
    assert_int_equal(kiln_lsda_landing_pad(lsda, fs, fs + 0x150), 0);

    /* An explicit LPStart (absolute pointer): landing pads count from it, call sites still
     * from the function's start. sdata2 call sites. */
    uint8_t abs[1 + sizeof(uintptr_t) + 3 + 8];
    size_t n = 0;
    const uintptr_t lpstart = 0x900000;
    abs[n++] = 0x00; /* LPStart: absptr */
    memcpy(&abs[n], &lpstart, sizeof lpstart);
    n += sizeof lpstart;
    abs[n++] = 0xFF; /* no type table */
    abs[n++] = 0x0A; /* sdata2 */
    abs[n++] = 7;
    const int16_t site[3] = {0x20, 0x10, 0x44};
    memcpy(&abs[n], site, sizeof site);
    n += sizeof site;
    abs[n++] = 0; /* action */
    assert_int_equal(n, sizeof abs - 1);
    assert_int_equal(kiln_lsda_landing_pad(abs, fs, fs + 0x28), lpstart + 0x44);
    assert_int_equal(kiln_lsda_landing_pad(abs, fs, fs + 0x30), 0);

    /* A pc-relative LPStart (pcrel | sdata4): relative to where it is written. */
    uint8_t rel[1 + 4 + 3 + 4];
    rel[0] = 0x1B;
    const int32_t ahead = 0x1000;
    memcpy(&rel[1], &ahead, 4);
    memcpy(&rel[5], (const uint8_t[]){0xFF, 0x01, 4}, 3);
    memcpy(&rel[8], (const uint8_t[]){0x20, 0x10, 0x08, 0x00}, 4);
    assert_int_equal(kiln_lsda_landing_pad(rel, fs, fs + 0x2F), (uintptr_t)&rel[1] + 0x1000 + 8);

    /* An encoding LSDAs never use for call sites (text-relative): no landing pad. */
    static const uint8_t textrel[] = {0xFF, 0xFF, 0x21, 4, 0x10, 0x10, 0x40, 0x01};
    assert_int_equal(kiln_lsda_landing_pad(textrel, fs, fs + 0x10), 0);
}

/* ---- Throwing through a real entry ---- */

static void test_trap_messages(void **state)
{
    (void)state;
    assert_string_equal(kiln_trap_message(KILN_TRAP_NULL_EXN_REF), "null exception reference");
    assert_string_equal(kiln_trap_message(KILN_TRAP_EXCEPTION), "uncaught exception");
}

static void test_throw_ref_null_traps(void **state)
{
    (void)state;
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    assert_int_equal(run(x, F_THROW_REF_NULL, NULL), KILN_TRAP_NULL_EXN_REF);
    uint32_t index = UINT32_MAX;
    assert_true(kiln_module_func_at(&b.m, kiln_last_trap_pc(), &index, NULL, NULL));
    assert_int_equal(index, F_THROW_REF_NULL);
    assert_null(kiln_last_exception());
    /* The instance is fine afterwards. */
    int32_t r = 0;
    assert_int_equal(run(x, F_FIVE, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 5);
    kiln_instance_free(x);
}

static void test_unsupported_target_traps(void **state)
{
    (void)state;
    if (kiln_exn_unwinds) {
        print_message("skipped: this target unwinds exceptions (the other tests cover it)\n");
        skip();
    }
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    assert_int_equal(run(x, F_THROW_A, NULL), KILN_TRAP_HOST);
    assert_string_equal(kiln_last_error(), "exceptions are not supported on this target");
    assert_null(kiln_last_exception());
    kiln_instance_free(x);
}

static void test_uncaught_throw_is_an_exception_trap(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    assert_int_equal(run(x, F_THROW_B, NULL), KILN_TRAP_EXCEPTION);
    const kiln_exn *e = kiln_last_exception();
    assert_non_null(e);
    assert_ptr_equal(e->tag.p, export_tag(x, "b"));
    assert_int_equal(e->count, 2);
    assert_int_equal((int64_t)e->values[0], -5);
    assert_int_equal(e->values[2], 9);
    kiln_val vals[2];
    assert_int_equal(kiln_exn_values(e, vals, 1), 2); /* capacity 1: one written */
    assert_int_equal(vals[0].type, KILN_TYPE_I64);
    assert_int_equal(vals[0].of.i64, -5);
    assert_int_equal(kiln_exn_values(e, vals, 2), 2);
    assert_int_equal(vals[1].type, KILN_TYPE_I32);
    assert_int_equal(vals[1].of.i32, 9);
    assert_int_equal(kiln_exn_values(NULL, vals, 2), 0);
    /* The trap is attributed to the throwing function. */
    uint32_t index = UINT32_MAX;
    assert_true(kiln_module_func_at(&b.m, kiln_last_trap_pc(), &index, NULL, NULL));
    assert_int_equal(index, F_THROW_B);

    /* Valid until the next call into wasm, which frees it (watched). */
    watch(e);
    int32_t r = 0;
    assert_int_equal(run(x, F_FIVE, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 5);
    assert_null(kiln_last_exception());
    assert_int_equal(watched_frees, 1);
    watch(NULL);

    /* A tag without values. */
    assert_int_equal(run(x, F_THROW_C, NULL), KILN_TRAP_EXCEPTION);
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(x, "c"));
    assert_int_equal(kiln_last_exception()->count, 0);
    assert_int_equal(kiln_exn_values(kiln_last_exception(), NULL, 0), 0);
    kiln_instance_free(x);
}

/* A host function's call into wasm ends with the exception; the host returns that trap, which
 * passes the exception on to its wasm caller (thrown again at the call). */
static kiln_trap host_reenter(void *env, kiln_instance *caller, const kiln_val *args,
                              kiln_val *results)
{
    (void)caller;
    (void)args;
    (void)results;
    kiln_instance *x = env;
    kiln_extern f;
    if (kiln_instance_export(x, "throw_a", &f) != KILN_STATUS_OK)
        return KILN_TRAP_HOST;
    kiln_val r;
    kiln_trap t = kiln_call(x, f.of.func, NULL, 0, &r, 1);
    if (t != KILN_TRAP_EXCEPTION || kiln_last_exception() == NULL)
        return KILN_TRAP_HOST;
    return t;
}

RT_GEN static int32_t gen_call_host(kiln_vmctx *vm)
{
    uint64_t ar[2] = {0, 0};
    kiln_host_call(vm, 0, ar);
    return (int32_t)ar[0];
}

RT_GEN static int32_t gen_try_host(kiln_vmctx *vm)
{
    kiln_exn *exn;
    return rt_exn_try(vm, gen_call_host, NULL, 0, &exn);
}

static void test_uncaught_through_host_function(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    rt_arm();
    desc_builder bx, bh;
    kiln_instance *x = new_x(&bx);
    desc_begin(&bh, "h");
    uint32_t t = desc_type(&bh, 0, 1, rt_types_i);
    desc_import_func(&bh, "host", "reenter", t, (void *)gen_call_host, rt_entry_v_i);
    uint32_t call = desc_func(&bh, (void *)gen_call_host, rt_entry_v_i, t);
    uint32_t try_call = desc_func(&bh, (void *)gen_try_host, rt_entry_v_i, t);
    kiln_host_func fn = {host_reenter, x, 0, 1, NULL, rt_types_i};
    kiln_import item = {.module = "host", .name = "reenter"};
    item.value.kind = KILN_KIND_HOST_FUNC;
    item.value.of.host = &fn;
    kiln_imports imports = {&item, 1};
    kiln_instance *h;
    assert_int_equal(kiln_instance_new(desc_end(&bh), &imports, &h), KILN_STATUS_OK);
    assert_int_equal(run(h, call, NULL), KILN_TRAP_EXCEPTION);
    assert_non_null(kiln_last_exception());
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(x, "a"));
    assert_int_equal(kiln_last_exception()->values[0], 7);
    /* Thrown again at the call of the import: the caller's catch_all takes it. */
    int32_t r = 0;
    assert_int_equal(run(h, try_call, &r), REQUIRE_TRY_OR(KILN_TRAP_NONE, KILN_TRAP_EXCEPTION));
    assert_int_equal(r, REQUIRE_TRY_OR(7, 0));
    kiln_instance_free(h);
    kiln_instance_free(x);
}

/* ---- Ownership (kiln_exn_caught), with exceptions taken from the uncaught path ---- */

/* The thread's last exception, taken over as a landing pad would hold it. */
static kiln_exn *take_last(void)
{
    kiln_exn *e = (kiln_exn *)(uintptr_t)kiln_last_exception();
    assert_non_null(e);
    kiln_tls.last_exn = NULL;
    return e;
}

static void test_caught_exceptions_owned_or_freed(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    kiln_vmctx *vm = x->vmctx;

    /* catch (not a reference): freed at once. */
    assert_int_equal(run(x, F_THROW_A, NULL), KILN_TRAP_EXCEPTION);
    kiln_exn *e = take_last();
    watch(e);
    kiln_exn_caught(vm, e, 0);
    assert_int_equal(watched_frees, 1);
    assert_int_equal(x->exn_count, 0);

    /* catch_ref: exposed and owned by the catching instance, and no catch frees it now. */
    assert_int_equal(run(x, F_THROW_A, NULL), KILN_TRAP_EXCEPTION);
    e = take_last();
    watch(e);
    kiln_exn_caught(vm, e, 1);
    assert_true(e->flags != 0);
    assert_ptr_equal(e->owner.p, x);
    assert_int_equal(x->exn_count, 1);
    kiln_exn_caught(vm, e, 0);
    kiln_exn_caught(vm, e, 1); /* already owned: nothing changes */
    assert_int_equal(x->exn_count, 1);
    assert_int_equal(watched_frees, 0);

    /* throw_ref of an owned exception that nobody catches: the thread gets a copy, the owner
     * keeps its own. */
    st.exn = e;
    assert_int_equal(run(x, F_THROW_REF_STATE, NULL), KILN_TRAP_EXCEPTION);
    const kiln_exn *copy = kiln_last_exception();
    assert_non_null(copy);
    assert_ptr_not_equal(copy, e);
    assert_ptr_equal(copy->tag.p, e->tag.p);
    assert_int_equal(copy->count, 1);
    assert_int_equal(copy->values[0], 7);
    uint32_t index = UINT32_MAX;
    assert_true(kiln_module_func_at(&b.m, kiln_last_trap_pc(), &index, NULL, NULL));
    assert_int_equal(index, F_THROW_REF_STATE);
    assert_int_equal(run(x, F_FIVE, NULL), KILN_TRAP_NONE); /* frees the copy only */
    assert_int_equal(watched_frees, 0);
    assert_int_equal(x->exn_count, 1);

    /* The owner's end frees it. */
    kiln_instance_free(x);
    assert_int_equal(watched_frees, 1);
    watch(NULL);
}

static void test_owned_exceptions_bounded(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    assert_int_equal(run(x, F_THROW_A, NULL), KILN_TRAP_EXCEPTION);
    kiln_exn *e = take_last();
    /* As if it had caught 65,536 references already: one more traps, and this one goes. */
    x->exn_count = KILN_MAX_OWNED_EXNS;
    st.exn = e;
    watch(e);
    assert_int_equal(run(x, F_CAUGHT_REF, NULL), KILN_TRAP_HOST);
    assert_string_equal(kiln_last_error(), "an instance holds at most 65536 caught exception "
                                           "references (exnref) until it is freed");
    assert_int_equal(watched_frees, 1);
    watch(NULL);
    x->exn_count = 0;
    kiln_instance_free(x);
}

/* ---- Real catches: landing pads (exn_try.ll) ---- */

static void test_catch_takes_matching_tag(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    int32_t r = 0;
    st = (struct test_state){.body = gen_throw_a, .catch_tag = TAG_A};
    assert_int_equal(run(x, F_CATCH, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 7);
    assert_int_equal(x->exn_count, 0); /* catch: freed */
    assert_null(kiln_last_exception());
    /* catch_all, a tag without values. */
    st = (struct test_state){.body = gen_throw_c, .catch_tag = -1};
    assert_int_equal(run(x, F_CATCH, &r), KILN_TRAP_NONE);
    assert_int_equal(r, -1);
    /* Nothing thrown: the body's result. */
    st = (struct test_state){.body = gen_ok, .catch_tag = TAG_A};
    assert_int_equal(run(x, F_CATCH, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 5);
    /* throw_ref null inside a try_table is a trap, not an exception. */
    st = (struct test_state){.body = gen_throw_ref_null, .catch_tag = -1};
    assert_int_equal(run(x, F_CATCH, &r), KILN_TRAP_NULL_EXN_REF);
    kiln_instance_free(x);
}

static void test_catch_of_other_tag_resumes(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    /* No clause matches: the landing pad resumes, and the exception reaches the entry. */
    st = (struct test_state){.body = gen_throw_a, .catch_tag = TAG_B};
    assert_int_equal(run(x, F_CATCH, NULL), KILN_TRAP_EXCEPTION);
    assert_non_null(kiln_last_exception());
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(x, "a"));
    assert_int_equal(kiln_last_exception()->values[0], 7);
    /* Same tag type, another instance's tag: no match either (a tag is its record). */
    desc_builder b2;
    kiln_instance *y = new_x(&b2);
    int32_t r = 0;
    st = (struct test_state){.body = gen_throw_state, .throw_tag = export_tag(x, "a")};
    st.catch_tag = TAG_A;
    assert_int_equal(run(y, F_CATCH, NULL), KILN_TRAP_EXCEPTION);
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(x, "a"));
    assert_int_equal(run(x, F_CATCH, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 8);
    kiln_instance_free(y);

    /* Nested: the inner try_table (catch b) resumes, the outer (catch a) takes it. */
    st = (struct test_state){0};
    assert_int_equal(run(x, F_NESTED, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 107);
    assert_int_equal(st.inner_ran, 0);
    kiln_instance_free(x);
}

static void test_catch_ref_and_throw_ref(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    int32_t r = 0;
    st = (struct test_state){0};
    assert_int_equal(run(x, F_RETHROW, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 14);
    /* throw_ref raised the very exception catch_ref took; the plain catch kept it. */
    assert_ptr_equal(st.exn2, st.exn);
    assert_int_equal(x->exn_count, 1);
    assert_ptr_equal(st.exn->owner.p, x);
    watch(st.exn);
    /* Again and again: each run owns one more (a new exception each time). */
    for (int i = 0; i < 100; i++)
        assert_int_equal(run(x, F_RETHROW, NULL), KILN_TRAP_NONE);
    assert_int_equal(x->exn_count, 101);
    kiln_instance_free(x);
    assert_int_equal(watched_frees, 1);
    watch(NULL);
}

static void test_traps_skip_landing_pads(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    assert_int_equal(run(x, F_TRAP_IN_TRY, NULL), KILN_TRAP_UNREACHABLE);
    assert_null(kiln_last_exception());
    kiln_instance_free(x);
}

/* Many throws and catches: memory stays flat (each caught exception is freed). */
static void test_throw_catch_loop_keeps_memory_flat(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    int32_t r = 0;
    st = (struct test_state){.loops = 1000};
    assert_int_equal(run(x, F_LOOP, &r), KILN_TRAP_NONE); /* warm up */
    long before = rt_rss_pages();
    st.loops = 100000;
    assert_int_equal(run(x, F_LOOP, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 700000);
    long after = rt_rss_pages();
    /* 100,000 leaked exceptions would be ~2,000 pages. AddressSanitizer keeps freed memory
     * in quarantine (its LeakSanitizer reports leaks instead). */
    if (before > 0 && after > 0 && !RT_UNDER_ASAN)
        assert_true(after - before < 256);
    assert_int_equal(x->exn_count, 0);
    kiln_instance_free(x);
}

static void test_held_exceptions_freed_once(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    int32_t r = 0;
    static const struct {
        int scenario;
        int trap, first, last; /* the trap, the frees after the first and the last step */
    } cases[] = {
        {HOLD_NESTED, KILN_TRAP_NONE, 0, 1},
        {HOLD_RETHROWN, KILN_TRAP_NONE, 0, 1},
        {HOLD_AS_REF, KILN_TRAP_NONE, 0, 0},
        {HOLD_CAUGHT_AGAIN, KILN_TRAP_NONE, 0, 1},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        st = (struct test_state){.scenario = cases[i].scenario};
        assert_int_equal(run(x, F_HOLD, &r), cases[i].trap);
        assert_int_equal(r, 7);
        assert_int_equal(st.frees[0], cases[i].first);
        assert_int_equal(st.frees[1], cases[i].last);
    }
    /* The exnref one is the instance's: freed with it. */
    assert_int_equal(x->exn_count, 1);
    st = (struct test_state){.scenario = HOLD_AS_REF};
    assert_int_equal(run(x, F_HOLD, &r), KILN_TRAP_NONE);
    assert_int_equal(x->exn_count, 2);
    assert_int_equal(watched_frees, 0);
    kiln_instance_free(x);
    assert_int_equal(watched_frees, 1);

    /* A trap in the handler: kiln_enter frees what it held, once. */
    x = new_x(&b);
    st = (struct test_state){.scenario = HOLD_TRAP};
    assert_int_equal(run(x, F_HOLD, NULL), KILN_TRAP_UNREACHABLE);
    assert_int_equal(watched_frees, 1);
    assert_null(kiln_last_exception());
    assert_int_equal(x->exn_count, 0);
    kiln_instance_free(x);
    assert_int_equal(watched_frees, 1);
    watch(NULL);
}

/* Tasks (their own stacks, docs/yield.md): an exception unwinds to the task's entry. */
static void test_exceptions_in_tasks(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b;
    kiln_instance *x = new_x(&b);
    kiln_task *task;
    kiln_status s = kiln_task_start(NULL, x, kiln_instance_funcref(x, F_THROW_A), NULL, 0, &task);
    if (s == KILN_STATUS_UNSUPPORTED) {
        kiln_instance_free(x);
        print_message("skipped: no tasks on this target\n");
        skip();
    }
    assert_int_equal(s, KILN_STATUS_OK);
    assert_int_equal(kiln_task_get_state(task), KILN_TASK_TRAPPED);
    assert_int_equal(kiln_task_trap(task), KILN_TRAP_EXCEPTION);
    assert_ptr_equal(kiln_last_exception()->tag.p, export_tag(x, "a"));
    assert_int_equal(kiln_task_free(task), KILN_STATUS_OK);

    st = (struct test_state){.body = gen_throw_a, .catch_tag = TAG_A};
    assert_int_equal(kiln_task_start(NULL, x, kiln_instance_funcref(x, F_CATCH), NULL, 0, &task),
                     KILN_STATUS_OK);
    assert_int_equal(kiln_task_get_state(task), KILN_TASK_RETURNED);
    size_t count = 0;
    const kiln_val *results = kiln_task_results(task, &count);
    assert_int_equal(count, 1);
    assert_int_equal(results[0].of.i32, 7);
    assert_int_equal(kiln_task_free(task), KILN_STATUS_OK);
    kiln_instance_free(x);
}

/* Threads throw and catch at once, each in its own instance; each ends with an uncaught
 * exception of its own, freed when it exits (LeakSanitizer would see it otherwise). */
typedef struct worker {
    kiln_instance *inst;
    int wrong;
} worker;

RT_GEN static int32_t gen_loop_thread(kiln_vmctx *vm)
{
    int32_t sum = 0;
    kiln_exn *exn;
    for (int i = 0; i < 5000; i++)
        sum += rt_exn_try(vm, gen_throw_a, tag_of(vm, TAG_A), 0, &exn);
    return sum;
}

static void *throwing_worker(void *arg)
{
    worker *w = arg;
    uint64_t ar[2] = {0, 0};
    for (int round = 0; round < 4; round++) {
        /* An entry of its own: gen_loop_thread is no function of the module. */
        ar[0] = 0;
        if (kiln_enter(w->inst->vmctx, kiln_instance_stack_budget(w->inst),
                       kiln_instance_stack_headroom(w->inst), rt_entry_v_i, (void *)gen_loop_thread,
                       ar) != KILN_TRAP_NONE ||
            (int32_t)ar[0] != 35000)
            w->wrong++;
        if (run(w->inst, F_THROW_B, NULL) != KILN_TRAP_EXCEPTION || kiln_last_exception() == NULL ||
            kiln_last_exception()->values[2] != 9)
            w->wrong++;
    }
    return NULL;
}

static void test_threads_throw_concurrently(void **state)
{
    (void)state;
    REQUIRE_UNWINDER();
    REQUIRE_TRY();
    rt_arm();
    desc_builder b1, b2;
    worker w[2] = {{new_x(&b1), 0}, {new_x(&b2), 0}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, throwing_worker, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(w[i].wrong, 0);
        assert_int_equal(w[i].inst->exn_count, 0);
        kiln_instance_free(w[i].inst);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_descriptors_checked),
        cmocka_unit_test(test_exnref_tables_and_globals),
        cmocka_unit_test(test_tags_exported_per_instance),
        cmocka_unit_test(test_tag_imports_link_by_type),
        cmocka_unit_test(test_lsda_landing_pads),
        cmocka_unit_test(test_trap_messages),
        cmocka_unit_test(test_throw_ref_null_traps),
        cmocka_unit_test(test_unsupported_target_traps),
        cmocka_unit_test(test_uncaught_throw_is_an_exception_trap),
        cmocka_unit_test(test_uncaught_through_host_function),
        cmocka_unit_test(test_caught_exceptions_owned_or_freed),
        cmocka_unit_test(test_owned_exceptions_bounded),
        cmocka_unit_test(test_catch_takes_matching_tag),
        cmocka_unit_test(test_catch_of_other_tag_resumes),
        cmocka_unit_test(test_catch_ref_and_throw_ref),
        cmocka_unit_test(test_traps_skip_landing_pads),
        cmocka_unit_test(test_throw_catch_loop_keeps_memory_flat),
        cmocka_unit_test(test_held_exceptions_freed_once),
        cmocka_unit_test(test_exceptions_in_tasks),
        cmocka_unit_test(test_threads_throw_concurrently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
