/* test_rt_typed_refs.c -- Wasm 3.0 typed function references in the runtime: canonical ids of
 * recursion groups (iso-recursive equivalence across modules), descriptor checks of
 * reference words and groups, import matching of typed tables and globals (equality,
 * subtyping of immutable globals), kiln_call's and host results' checks of typed and
 * non-null references, kiln_funcref_type, and table initialisers in both instantiation
 * paths.
 *
 * Module E (the exporter) has type 0 = (func (result i32)) and type 1 =
 * (func (param (ref 0)) (result i32)), functions seven : 0 and take : 1, a table
 * (ref null 0) initialised with ref.func seven whose element 1 an active segment nulls, a
 * table (ref 0) initialised from global 0, and globals g : (ref 0), g2 : (ref null 0)
 * (immutable) and gm : (mut (ref null 0)).
 */
#include <stdio.h>

#include "rt_test.h"

#define TYPED(x)    (KILN_HEAP_TYPE + (uint32_t)(x))
#define NON_NULL(w) (KILN_REF_NON_NULL | (w))

static const uint8_t kinds_v_i[1] = {KILN_TYPE_I32};
static const uint8_t kinds_r[1] = {KILN_TYPE_FUNCREF};
static const uint8_t kinds_r_i[2] = {KILN_TYPE_FUNCREF, KILN_TYPE_I32};
static const uint8_t kinds_i_r[2] = {KILN_TYPE_I32, KILN_TYPE_FUNCREF};

/* Interns m's types into ids (after the checks instantiation makes). */
static kiln_status intern(desc_builder *b, uint32_t *ids)
{
    kiln_module_desc *m = desc_end(b);
    uint32_t global_imports;
    kiln_status s = kiln_module_prepare(m, &global_imports);
    return s == KILN_STATUS_OK ? kiln_module_intern(m, ids) : s;
}

/* ---- (a) Canonical ids ---- */

static void test_recursive_types_intern_across_modules(void **state)
{
    (void)state;
    rt_arm();
    desc_builder b;
    uint32_t x[4], y[4];
    /* type 0 = (func (param (ref null 0))), alone and after a numeric type. */
    static const uint32_t self0[1] = {TYPED(0)}, self1[1] = {TYPED(1)};
    static const uint32_t self0_nn[1] = {NON_NULL(TYPED(0))};
    desc_begin(&b, "x");
    desc_type_refs(&b, 1, 0, kinds_r, self0);
    desc_type_refs(&b, 1, 0, kinds_r, self0_nn);
    assert_int_equal(intern(&b, x), KILN_STATUS_OK);
    desc_begin(&b, "y");
    desc_type(&b, 1, 1, rt_types_i_i);
    desc_type_refs(&b, 1, 0, kinds_r, self1);
    assert_int_equal(intern(&b, y), KILN_STATUS_OK);
    assert_int_equal(x[0], y[1]);
    /* Nullability and heap make other types: x[1] = (func (param (ref 0))) names x[0]. */
    assert_int_not_equal(x[0], x[1]);
    uint32_t plain = kiln_sig_intern(1, kinds_r, 0, NULL); /* (func (param funcref)) */
    assert_int_not_equal(x[0], plain);
    assert_int_not_equal(x[1], plain);
    /* The numeric type interns as kiln_sig_intern does. */
    assert_int_equal(y[0], kiln_sig_intern(1, rt_types_i_i, 1, rt_types_i_i + 1));
    /* Canonical words: the self reference names the type's own id. */
    const uint32_t *words = kiln_sig_refs(x[0]);
    assert_non_null(words);
    assert_int_equal(words[0], TYPED(x[0]));
    assert_int_equal(kiln_sig_refs(x[1])[0], NON_NULL(TYPED(x[0])));
    assert_null(kiln_sig_refs(y[0]));
    assert_null(kiln_sig_refs(plain));
    /* A funcref spelled with a word (ref null func) is plain funcref. */
    static const uint32_t func_word[1] = {KILN_HEAP_FUNC};
    desc_begin(&b, "z");
    desc_type_refs(&b, 1, 0, kinds_r, func_word);
    assert_int_equal(intern(&b, x), KILN_STATUS_OK);
    assert_int_equal(x[0], plain);
}

static void test_recursion_groups_intern_as_wholes(void **state)
{
    (void)state;
    rt_arm();
    desc_builder b;
    uint32_t p[4], q[4], r[4];
    /* P: rec { 0 = (func (param (ref 1))), 1 = (func (result (ref null 0))) }, then
     * 2 = (func (param (ref null 0))) outside the group. */
    static const uint32_t p0[1] = {NON_NULL(TYPED(1))}, p1[1] = {TYPED(0)}, p2[1] = {TYPED(0)};
    desc_begin(&b, "p");
    desc_type_refs(&b, 1, 0, kinds_r, p0);
    desc_type_refs(&b, 0, 1, kinds_r, p1);
    desc_type_refs(&b, 1, 0, kinds_r, p2);
    desc_rec_group(&b, 0, 2);
    assert_int_equal(intern(&b, p), KILN_STATUS_OK);
    assert_int_equal(p[1], p[0] + 1);
    /* Q: the same after a numeric type: every index shifted by one. */
    static const uint32_t q1[1] = {NON_NULL(TYPED(2))}, q2[1] = {TYPED(1)}, q3[1] = {TYPED(1)};
    desc_begin(&b, "q");
    desc_type(&b, 0, 0, NULL);
    desc_type_refs(&b, 1, 0, kinds_r, q1);
    desc_type_refs(&b, 0, 1, kinds_r, q2);
    desc_type_refs(&b, 1, 0, kinds_r, q3);
    desc_rec_group(&b, 1, 2);
    assert_int_equal(intern(&b, q), KILN_STATUS_OK);
    assert_int_equal(q[1], p[0]);
    assert_int_equal(q[2], p[1]);
    assert_int_equal(q[3], p[2]);
    assert_int_equal(q[0], kiln_sig_intern(0, NULL, 0, NULL));
    assert_int_equal(kiln_sig_refs(p[0])[0], NON_NULL(TYPED(p[1])));
    assert_int_equal(kiln_sig_refs(p[1])[0], TYPED(p[0]));
    assert_int_equal(kiln_sig_refs(p[2])[0], TYPED(p[0]));
    /* R: P's group with its members in the other order is another group. */
    static const uint32_t r0[1] = {TYPED(1)}, r1[1] = {NON_NULL(TYPED(0))};
    desc_begin(&b, "r");
    desc_type_refs(&b, 0, 1, kinds_r, r0);
    desc_type_refs(&b, 1, 0, kinds_r, r1);
    desc_rec_group(&b, 0, 2);
    assert_int_equal(intern(&b, r), KILN_STATUS_OK);
    assert_int_not_equal(r[0], p[1]);
    assert_int_not_equal(r[1], p[0]);
    assert_int_equal(r[1], r[0] + 1);
    /* rec { 0 = (func (param (ref null 0))) } is the same type written without rec. */
    static const uint32_t s0[1] = {TYPED(0)};
    desc_begin(&b, "s");
    desc_type_refs(&b, 1, 0, kinds_r, s0);
    desc_rec_group(&b, 0, 1);
    assert_int_equal(intern(&b, r), KILN_STATUS_OK);
    desc_begin(&b, "t");
    desc_type_refs(&b, 1, 0, kinds_r, s0); /* group fields left 0: a group of its own */
    assert_int_equal(intern(&b, q), KILN_STATUS_OK);
    assert_int_equal(r[0], q[0]);
}

/* ---- (b) Descriptor checks ---- */

static void expect_bad(desc_builder *b, const char *what)
{
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(desc_end(b), NULL, &inst), KILN_STATUS_ARG);
    assert_null(inst);
    char want[128];
    snprintf(want, sizeof want, "invalid module descriptor: %s", what);
    assert_string_equal(kiln_last_error(), want);
}

static void test_bad_reference_words_and_groups(void **state)
{
    (void)state;
    rt_arm();
    desc_builder b;
    static const uint32_t extern_on_func[1] = {KILN_HEAP_EXTERN};
    static const uint32_t word_on_i32[2] = {KILN_HEAP_FUNC, 0};
    static const uint32_t later[1] = {TYPED(1)};
    static const uint32_t unknown_heap[1] = {0x71};
    static const uint32_t ok[1] = {TYPED(0)};
    desc_begin(&b, "bad");
    desc_type_refs(&b, 1, 0, kinds_r, extern_on_func);
    expect_bad(&b, "reference type in a function type");
    desc_begin(&b, "bad");
    desc_type_refs(&b, 2, 0, kinds_i_r, word_on_i32); /* the i32 has a word */
    expect_bad(&b, "reference type in a function type");
    desc_begin(&b, "bad");
    desc_type_refs(&b, 1, 0, kinds_r, later); /* names a later group */
    desc_type(&b, 0, 0, NULL);
    expect_bad(&b, "reference type in a function type");
    desc_begin(&b, "bad");
    desc_type_refs(&b, 1, 0, kinds_r, unknown_heap);
    expect_bad(&b, "reference type in a function type");
    /* Groups: a member that names another group, a group past the end, a member that does
     * not start its group. */
    desc_begin(&b, "bad");
    desc_type_refs(&b, 1, 0, kinds_r, later);
    desc_type(&b, 0, 0, NULL);
    desc_rec_group(&b, 0, 2);
    b.types[1].group_size = 0;
    expect_bad(&b, "recursion group");
    desc_begin(&b, "bad");
    desc_type(&b, 0, 0, NULL);
    desc_rec_group(&b, 0, 2);
    expect_bad(&b, "recursion group");
    desc_begin(&b, "bad");
    desc_type(&b, 0, 0, NULL);
    desc_type(&b, 0, 0, NULL);
    b.types[1].group = 0;
    b.types[1].group_size = 1;
    expect_bad(&b, "recursion group");
    /* Globals, tables and segments: an index out of range, an extern heap on a funcref, a
     * non-nullable table without an initialiser, a null where null is excluded. */
    desc_begin(&b, "bad");
    desc_type_refs(&b, 1, 0, kinds_r, ok);
    desc_global(&b, KILN_TYPE_FUNCREF, false, rt_init_null(KILN_TYPE_FUNCREF));
    b.globals[0].ref = TYPED(1);
    expect_bad(&b, "global");
    b.globals[0].ref = NON_NULL(TYPED(0));
    expect_bad(&b, "global initializer");
    b.globals[0].ref = TYPED(0);
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(desc_end(&b), NULL, &inst), KILN_STATUS_OK);
    kiln_instance_free(inst);
    desc_begin(&b, "bad");
    desc_type(&b, 0, 0, NULL);
    desc_table(&b, KILN_TYPE_FUNCREF, rt_limits(1));
    b.tables[0].elem_ref = KILN_HEAP_NOEXTERN;
    expect_bad(&b, "table");
    b.tables[0].elem_ref = NON_NULL(TYPED(0));
    expect_bad(&b, "table initializer");
    b.tables[0].has_init = 1;
    b.tables[0].init = rt_init_null(KILN_TYPE_FUNCREF);
    expect_bad(&b, "table initializer");
    b.tables[0].init = rt_init_i32(1);
    expect_bad(&b, "table initializer");
    desc_begin(&b, "bad");
    desc_table(&b, KILN_TYPE_FUNCREF, rt_limits(1));
    desc_elem(&b, KILN_SEG_MODE_PASSIVE, 1, (kiln_init_desc[]){rt_init_null(KILN_TYPE_FUNCREF)});
    b.elems[0].ref = NON_NULL(KILN_HEAP_FUNC);
    expect_bad(&b, "element segment item");
    b.elems[0].ref = KILN_HEAP_EXTERN;
    expect_bad(&b, "element segment");
    /* An import whose word differs from its table's. */
    desc_begin(&b, "bad");
    desc_type(&b, 0, 0, NULL);
    desc_import_table(&b, "e", "tab", KILN_TYPE_FUNCREF, rt_limits(0));
    desc_import_ref(&b, TYPED(0));
    b.tables[0].elem_ref = 0;
    expect_bad(&b, "table import");
}

/* ---- Module E ---- */

enum { E_SEVEN, E_TAKE };
enum { E_T_V_I, E_T_TAKE };

KILN_GEN static int32_t gen_seven(kiln_vmctx *vm)
{
    (void)vm;
    return 7;
}

/* take: calls its (ref 0) argument, no null check (the type excludes null). */
KILN_GEN static int32_t gen_take(kiln_vmctx *vm, const kiln_funcref *f)
{
    (void)vm;
    return ((rt_fn_v_i)f->code.p)(f->vmctx.p) + 100;
}

KILN_GEN static void entry_r_i(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    const kiln_funcref *f;
    memcpy(&f, ar, sizeof f);
    int32_t r = ((int32_t (*)(kiln_vmctx *, const kiln_funcref *))code)(vm, f);
    ar[0] = ar[1] = 0;
    memcpy(ar, &r, 4);
}

static const uint32_t take_refs[2] = {NON_NULL(TYPED(E_T_V_I)), 0};
static desc_builder e_desc;
static kiln_module_desc *mod_e;

static void build_e(void)
{
    desc_builder *m = &e_desc;
    desc_begin(m, "e");
    desc_type(m, 0, 1, kinds_v_i);
    desc_type_refs(m, 1, 1, kinds_r_i, take_refs);
    desc_func(m, (void *)gen_seven, rt_entry_v_i, E_T_V_I);
    desc_func(m, (void *)gen_take, entry_r_i, E_T_TAKE);
    desc_global(m, KILN_TYPE_FUNCREF, false, rt_init_func(E_SEVEN)); /* g */
    m->globals[0].ref = NON_NULL(TYPED(E_T_V_I));
    desc_global(m, KILN_TYPE_FUNCREF, false, rt_init_func(E_SEVEN)); /* g2 */
    m->globals[1].ref = TYPED(E_T_V_I);
    desc_global(m, KILN_TYPE_FUNCREF, true, rt_init_null(KILN_TYPE_FUNCREF)); /* gm */
    m->globals[2].ref = TYPED(E_T_V_I);
    desc_table(m, KILN_TYPE_FUNCREF, rt_limits_max(3, 10));
    m->tables[0].elem_ref = TYPED(E_T_V_I);
    m->tables[0].has_init = 1;
    m->tables[0].init = rt_init_func(E_SEVEN);
    desc_table(m, KILN_TYPE_FUNCREF, rt_limits(2));
    m->tables[1].elem_ref = NON_NULL(TYPED(E_T_V_I));
    m->tables[1].has_init = 1;
    m->tables[1].init = rt_init_global(KILN_TYPE_FUNCREF, 0);
    /* After the initialiser: element 1 of table 0 becomes null. */
    desc_active_elem(m, rt_init_i32(1), 1, (kiln_init_desc[]){rt_init_null(KILN_TYPE_FUNCREF)});
    m->elems[0].ref = TYPED(E_T_V_I);
    desc_export(m, "seven", KILN_KIND_FUNC, E_SEVEN);
    desc_export(m, "take", KILN_KIND_FUNC, E_TAKE);
    desc_export(m, "tab", KILN_KIND_TABLE, 0);
    desc_export(m, "g", KILN_KIND_GLOBAL, 0);
    desc_export(m, "g2", KILN_KIND_GLOBAL, 1);
    desc_export(m, "gm", KILN_KIND_GLOBAL, 2);
    mod_e = desc_end(m);
}

static kiln_instance *new_e(void)
{
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(mod_e, NULL, &inst), KILN_STATUS_OK);
    return inst;
}

static kiln_extern export_of(kiln_instance *inst, const char *name)
{
    kiln_extern e;
    assert_int_equal(kiln_instance_export(inst, name, &e), KILN_STATUS_OK);
    return e;
}

/* ---- (c) Import matching ---- */

/* Instantiates a module with types 0 = (func), 1 = (func (result i32)) -- E's type 0 at
 * another index -- importing "e" "x" of kind (table or global) with the type kind and word
 * ref (module-relative), bound to ext. */
static kiln_status link_one(uint8_t kind, uint8_t type, bool mut, uint32_t ref,
                            const kiln_extern *ext)
{
    desc_builder b;
    desc_begin(&b, "importer");
    desc_type(&b, 0, 0, NULL);
    desc_type(&b, 0, 1, kinds_v_i);
    if (kind == KILN_KIND_TABLE)
        desc_import_table(&b, "e", "x", type, rt_limits(0));
    else
        desc_import_global(&b, "e", "x", type, mut);
    desc_import_ref(&b, ref);
    kiln_import item = {"e", "x", *ext};
    kiln_imports list = {&item, 1};
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new(desc_end(&b), &list, &inst);
    kiln_instance_free(inst);
    return s;
}

static void expect_incompatible(kiln_status s, const char *why)
{
    assert_int_equal(s, KILN_STATUS_LINK);
    char want[256];
    snprintf(want, sizeof want, "incompatible import type: \"e\" \"x\": %s", why);
    assert_string_equal(kiln_last_error(), want);
}

static void test_typed_table_and_global_imports(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *e = new_e();
    uint32_t sig = kiln_vm_sig_ids(e->vmctx)[E_T_V_I];
    char why[160];
    /* Exports report canonical words. */
    kiln_extern tab = export_of(e, "tab"), g = export_of(e, "g"), g2 = export_of(e, "g2"),
                gm = export_of(e, "gm");
    assert_int_equal(tab.of.table->elem_ref, TYPED(sig));
    assert_int_equal(g.of.global.ref, NON_NULL(TYPED(sig)));
    assert_int_equal(g2.of.global.ref, TYPED(sig));
    assert_int_equal(gm.of.global.ref, TYPED(sig));

    /* Tables: the element type must be equal. */
    assert_int_equal(link_one(KILN_KIND_TABLE, KILN_TYPE_FUNCREF, false, TYPED(1), &tab),
                     KILN_STATUS_OK);
    snprintf(why, sizeof why, "table element type funcref vs (ref null sig#%u)", (unsigned)sig);
    expect_incompatible(link_one(KILN_KIND_TABLE, KILN_TYPE_FUNCREF, false, 0, &tab), why);
    snprintf(why, sizeof why, "table element type (ref 1) vs (ref null sig#%u)", (unsigned)sig);
    expect_incompatible(
        link_one(KILN_KIND_TABLE, KILN_TYPE_FUNCREF, false, NON_NULL(TYPED(1)), &tab), why);
    snprintf(why, sizeof why, "table element type (ref null 0) vs (ref null sig#%u)",
             (unsigned)sig);
    expect_incompatible(link_one(KILN_KIND_TABLE, KILN_TYPE_FUNCREF, false, TYPED(0), &tab), why);
    kiln_table *host_tab;
    assert_int_equal(kiln_table_new(KILN_TYPE_FUNCREF, 1, UINT64_MAX, &host_tab), KILN_STATUS_OK);
    kiln_extern htab = {.kind = KILN_KIND_TABLE, .of.table = host_tab};
    assert_int_equal(link_one(KILN_KIND_TABLE, KILN_TYPE_FUNCREF, false, 0, &htab), KILN_STATUS_OK);
    assert_int_equal(link_one(KILN_KIND_TABLE, KILN_TYPE_FUNCREF, false, KILN_HEAP_FUNC, &htab),
                     KILN_STATUS_OK); /* (ref null func) spelled out */
    expect_incompatible(link_one(KILN_KIND_TABLE, KILN_TYPE_FUNCREF, false, TYPED(1), &htab),
                        "table element type (ref null 1) vs funcref");
    kiln_table_free(host_tab);

    /* Immutable globals: the export's type a subtype of the import's. g : (ref sig). */
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, NON_NULL(TYPED(1)), &g),
                     KILN_STATUS_OK);
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, TYPED(1), &g),
                     KILN_STATUS_OK);
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, 0, &g), KILN_STATUS_OK);
    assert_int_equal(
        link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, NON_NULL(KILN_HEAP_FUNC), &g),
        KILN_STATUS_OK);
    snprintf(why, sizeof why, "global type (ref 0) vs (ref sig#%u)", (unsigned)sig);
    expect_incompatible(
        link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, NON_NULL(TYPED(0)), &g), why);
    /* g2 : (ref null sig): a supertype of (ref 1) and of (ref null nofunc). */
    snprintf(why, sizeof why, "global type (ref 1) vs (ref null sig#%u)", (unsigned)sig);
    expect_incompatible(
        link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, NON_NULL(TYPED(1)), &g2), why);
    snprintf(why, sizeof why, "global type (ref null nofunc) vs (ref null sig#%u)", (unsigned)sig);
    expect_incompatible(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, KILN_HEAP_NOFUNC, &g2),
                        why);
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, TYPED(1), &g2),
                     KILN_STATUS_OK);
    /* Mutable globals: equal types only. gm : (mut (ref null sig)). */
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, true, TYPED(1), &gm),
                     KILN_STATUS_OK);
    snprintf(why, sizeof why, "global type funcref vs (ref null sig#%u)", (unsigned)sig);
    expect_incompatible(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, true, 0, &gm), why);
    /* A host global with a canonical word: a (ref null nofunc) fits any nullable funcref. */
    kiln_global_cell cell = {.u.ref.p = NULL};
    kiln_extern hg = {.kind = KILN_KIND_GLOBAL,
                      .of.global = {KILN_TYPE_FUNCREF, 0, &cell, KILN_HEAP_NOFUNC}};
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, TYPED(1), &hg),
                     KILN_STATUS_OK);
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, 0, &hg), KILN_STATUS_OK);
    expect_incompatible(
        link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, false, NON_NULL(TYPED(1)), &hg),
        "global type (ref 1) vs (ref null nofunc)");
    hg.of.global.mut = 1; /* (ref null func) spelled out is funcref: equal */
    hg.of.global.ref = KILN_HEAP_FUNC;
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_FUNCREF, true, 0, &hg), KILN_STATUS_OK);
    hg.of.global.mut = 0;
    hg.of.global.type = KILN_TYPE_EXTERNREF;
    hg.of.global.ref = NON_NULL(KILN_HEAP_NOEXTERN);
    assert_int_equal(link_one(KILN_KIND_GLOBAL, KILN_TYPE_EXTERNREF, false, 0, &hg),
                     KILN_STATUS_OK);
    hg.of.global.mut = 1;
    expect_incompatible(link_one(KILN_KIND_GLOBAL, KILN_TYPE_EXTERNREF, true, 0, &hg),
                        "global type externref vs (ref noextern)");
    kiln_instance_free(e);
}

/* ---- (d) Host values checked against typed parameters and results ---- */

static void test_kiln_call_checks_typed_arguments(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *e = new_e();
    const kiln_funcref *seven = export_of(e, "seven").of.func;
    const kiln_funcref *take = export_of(e, "take").of.func;
    uint32_t sig = kiln_vm_sig_ids(e->vmctx)[E_T_V_I];
    char want[160];
    kiln_val arg = {.type = KILN_TYPE_FUNCREF, .of.funcref = seven}, res;
    assert_int_equal(kiln_call(e, take, &arg, 1, &res, 1), KILN_TRAP_NONE);
    assert_int_equal(res.type, KILN_TYPE_I32);
    assert_int_equal(res.of.i32, 107);
    arg.of.funcref = NULL;
    assert_int_equal(kiln_call(e, take, &arg, 1, &res, 1), KILN_TRAP_HOST);
    snprintf(want, sizeof want, "kiln_call: argument 0 has the wrong type: null for (ref sig#%u)",
             (unsigned)sig);
    assert_string_equal(kiln_last_error(), want);
    arg.of.funcref = take; /* (func (param (ref 0)) (result i32)), not type 0 */
    assert_int_equal(kiln_call(e, take, &arg, 1, &res, 1), KILN_TRAP_HOST);
    snprintf(want, sizeof want,
             "kiln_call: argument 0 has the wrong type: a function of another type for "
             "(ref sig#%u)",
             (unsigned)sig);
    assert_string_equal(kiln_last_error(), want);
    /* kiln_task_start checks the same before it takes a stack. */
    kiln_task *task = NULL;
    arg.of.funcref = NULL;
    kiln_status s = kiln_task_start(NULL, e, take, &arg, 1, &task);
    if (s != KILN_STATUS_UNSUPPORTED) {
        assert_int_equal(s, KILN_STATUS_ARG);
        snprintf(want, sizeof want,
                 "kiln_task_start: argument 0 has the wrong type: null for (ref sig#%u)",
                 (unsigned)sig);
        assert_string_equal(kiln_last_error(), want);
    }
    assert_null(task);
    kiln_instance_free(e);
}

/* kiln_funcref_type: the kinds kiln_call takes, and which parameters have a default. */
static void test_funcref_type_reports_kinds_and_nullability(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *e = new_e();
    const kiln_funcref *seven = export_of(e, "seven").of.func;
    const kiln_funcref *take = export_of(e, "take").of.func;
    uint32_t np = 99, nr = 99, nullable = 0;
    const uint8_t *params = NULL, *results = NULL;
    assert_int_equal(kiln_funcref_type(take, &np, &params, &nr, &results, &nullable),
                     KILN_STATUS_OK);
    assert_int_equal(np, 1);
    assert_int_equal(params[0], KILN_TYPE_FUNCREF);
    assert_int_equal(nr, 1);
    assert_int_equal(results[0], KILN_TYPE_I32);
    assert_int_equal(nullable, UINT32_MAX - 1); /* (ref 0): parameter 0 has no default */
    assert_int_equal(kiln_funcref_type(seven, &np, NULL, &nr, NULL, &nullable), KILN_STATUS_OK);
    assert_int_equal(np, 0);
    assert_int_equal(nr, 1);
    assert_int_equal(nullable, UINT32_MAX);
    assert_int_equal(kiln_funcref_type(NULL, &np, NULL, NULL, NULL, NULL), KILN_STATUS_ARG);
    assert_string_equal(kiln_last_error(), "kiln_funcref_type: not a function reference");
    kiln_funcref bogus = {.sig = UINT32_MAX};
    assert_int_equal(kiln_funcref_type(&bogus, NULL, NULL, NULL, NULL, NULL), KILN_STATUS_ARG);
    kiln_instance_free(e);
}

/* Module H imports "host" "mk" : (func (result (ref 0))) with 0 = (func (result i32)) and
 * calls what it returns, trusting the type. */
enum { H_MK, H_CALL_MK };

KILN_GEN static const kiln_funcref *gen_adapter_mk(kiln_vmctx *vm)
{
    uint64_t ar[2] = {0, 0};
    kiln_host_call(vm, H_MK, ar);
    const kiln_funcref *f;
    memcpy(&f, ar, sizeof f);
    return f;
}

KILN_GEN static int32_t gen_call_mk(kiln_vmctx *vm)
{
    kiln_import_slot *slot = &kiln_vm_imports(vm)[H_MK];
    const kiln_funcref *f =
        ((const kiln_funcref *(*)(kiln_vmctx *))slot->code.p)((kiln_vmctx *)slot->vmctx.p);
    return ((rt_fn_v_i)f->code.p)(f->vmctx.p);
}

KILN_GEN static void entry_v_r(kiln_vmctx *vm, void *code, uint64_t *ar)
{
    const kiln_funcref *f = ((const kiln_funcref *(*)(kiln_vmctx *))code)(vm);
    ar[0] = ar[1] = 0;
    memcpy(ar, &f, sizeof f);
}

static kiln_trap host_mk(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)caller, (void)args;
    results[0].of.funcref = *(const kiln_funcref **)env;
    return KILN_TRAP_NONE;
}

static void test_host_results_checked_against_typed_results(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *e = new_e();
    static const uint32_t mk_refs[1] = {NON_NULL(TYPED(0))};
    desc_builder b;
    desc_begin(&b, "h");
    desc_type(&b, 0, 1, kinds_v_i);
    desc_type_refs(&b, 0, 1, kinds_r, mk_refs);
    desc_import_func(&b, "host", "mk", 1, (void *)gen_adapter_mk, entry_v_r);
    desc_func(&b, (void *)gen_call_mk, rt_entry_v_i, 0);
    const kiln_funcref *choice = export_of(e, "seven").of.func;
    kiln_host_func mk = {host_mk, &choice, 0, 1, NULL, kinds_r};
    kiln_import item = {"host", "mk", {.kind = KILN_KIND_HOST_FUNC, .of.host = &mk}};
    kiln_imports list = {&item, 1};
    kiln_instance *h = NULL;
    assert_int_equal(kiln_instance_new(desc_end(&b), &list, &h), KILN_STATUS_OK);
    uint32_t sig = kiln_vm_sig_ids(h->vmctx)[0];
    assert_int_equal(sig, kiln_vm_sig_ids(e->vmctx)[E_T_V_I]);
    int32_t r = 0;
    assert_int_equal(rt_invoke_i(h, H_CALL_MK, 0, 0, 0, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 7);
    char want[160];
    choice = NULL;
    assert_int_equal(rt_invoke_i(h, H_CALL_MK, 0, 0, 0, 0, NULL), KILN_TRAP_HOST);
    snprintf(want, sizeof want,
             "host function for import 0: result 0 has the wrong type: null for (ref sig#%u)",
             (unsigned)sig);
    assert_string_equal(kiln_last_error(), want);
    choice = export_of(e, "take").of.func;
    assert_int_equal(rt_invoke_i(h, H_CALL_MK, 0, 0, 0, 0, NULL), KILN_TRAP_HOST);
    snprintf(want, sizeof want,
             "host function for import 0: result 0 has the wrong type: a function of another "
             "type for (ref sig#%u)",
             (unsigned)sig);
    assert_string_equal(kiln_last_error(), want);
    kiln_instance_free(h);
    kiln_instance_free(e);
}

/* ---- (e) Table initialisers ---- */

static void check_initialised_tables(kiln_instance *e)
{
    uint32_t sig = kiln_vm_sig_ids(e->vmctx)[E_T_V_I];
    const kiln_funcref *seven = kiln_instance_funcref(e, E_SEVEN);
    kiln_table *t0 = &kiln_vm_table(e->vmctx, 0)->pub, *t1 = &kiln_vm_table(e->vmctx, 1)->pub;
    assert_int_equal(t0->size, 3);
    assert_int_equal(t0->elem_ref, TYPED(sig));
    void **elems = t0->elems.p;
    assert_ptr_equal(elems[0], seven);
    assert_null(elems[1]); /* the active segment ran after the initialiser */
    assert_ptr_equal(elems[2], seven);
    assert_int_equal(t1->size, 2);
    assert_int_equal(t1->elem_ref, NON_NULL(TYPED(sig)));
    elems = t1->elems.p;
    assert_ptr_equal(elems[0], seven); /* global.get 0: ref.func seven */
    assert_ptr_equal(elems[1], seven);
}

static void test_table_initialisers_fill_tables(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *e = new_e();
    check_initialised_tables(e);
    kiln_instance_free(e);
    /* A module pool: the same in a fresh slot and in a reused one. */
    kiln_pool_config cfg = {.slots = 2};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(mod_e, &cfg, &pool), KILN_STATUS_OK);
    for (int round = 0; round < 3; round++) {
        kiln_instance *p = NULL;
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &p, NULL), KILN_STATUS_OK);
        check_initialised_tables(p);
        ((void **)kiln_vm_table(p->vmctx, 0)->pub.elems.p)[2] = NULL; /* reset must undo */
        kiln_instance_free(p);
    }
    kiln_pool_free(pool);
}

int main(void)
{
    build_e();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recursive_types_intern_across_modules),
        cmocka_unit_test(test_recursion_groups_intern_as_wholes),
        cmocka_unit_test(test_bad_reference_words_and_groups),
        cmocka_unit_test(test_typed_table_and_global_imports),
        cmocka_unit_test(test_kiln_call_checks_typed_arguments),
        cmocka_unit_test(test_funcref_type_reports_kinds_and_nullability),
        cmocka_unit_test(test_host_results_checked_against_typed_results),
        cmocka_unit_test(test_table_initialisers_fill_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
