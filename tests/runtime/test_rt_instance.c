/* test_rt_instance.c -- instantiation and linking: vmctx contents, exports, globals,
 * segments in spec order (and their traps), the start function, imports of every kind from
 * instances and from the host (and every way linking fails), canonical signature ids across
 * modules, host calls, kiln_call's signature check, and pool limits/reuse.
 *
 * Module A exports a function, memory, table and globals and has active/passive/declarative
 * segments and a start function. Module B imports all of A's kinds plus a host function, with
 * its types in a different order than A's.
 */
#include <pthread.h>

#include "rt_test.h"

static const uint8_t types_v_i[1] = {KILN_TYPE_I32}; /* () -> i32 */

/* ---- Module A ---- */

enum { A_ADD1, A_START, A_READ16 };

KILN_GEN static int32_t gen_add1(kiln_vmctx *vm, int32_t x)
{
    (void)vm;
    return x + 1;
}

KILN_GEN static void gen_start(kiln_vmctx *vm)
{
    ((kiln_global_cell *)kiln_vm_globals(vm)[1].p)->u.i32 = 77;
}

KILN_GEN static int32_t gen_read16(kiln_vmctx *vm)
{
    int32_t v;
    memcpy(&v, (uint8_t *)vm->mem0_base.p + 16, 4);
    return v;
}

static desc_builder a_desc;
static kiln_module_desc *mod_a;

static void build_a(void)
{
    desc_builder *m = &a_desc;
    desc_begin(m, "test");
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_v_v = desc_type(m, 0, 0, NULL);
    uint32_t t_v_i = desc_type(m, 0, 1, types_v_i);
    desc_func(m, (void *)gen_add1, rt_entry_i_i, t_i_i);   /* A_ADD1 */
    desc_func(m, (void *)gen_start, rt_entry_v_v, t_v_v);  /* A_START */
    desc_func(m, (void *)gen_read16, rt_entry_v_i, t_v_i); /* A_READ16 */
    desc_table(m, KILN_TYPE_FUNCREF, rt_limits_max(4, 8));
    desc_memory(m, rt_limits_max(1, 4));
    desc_global(m, KILN_TYPE_I32, false, rt_init_i32(5));
    desc_global(m, KILN_TYPE_I32, true, rt_init_i32(0)); /* set to 77 by the start function */
    desc_global(m, KILN_TYPE_FUNCREF, false, rt_init_func(A_ADD1));
    desc_global(m, KILN_TYPE_EXTERNREF, false, rt_init_null(KILN_TYPE_EXTERNREF));
    desc_export(m, "add1", KILN_KIND_FUNC, A_ADD1);
    desc_export(m, "mem", KILN_KIND_MEMORY, 0);
    desc_export(m, "tab", KILN_KIND_TABLE, 0);
    desc_export(m, "g5", KILN_KIND_GLOBAL, 0);
    desc_export(m, "gmut", KILN_KIND_GLOBAL, 1);
    desc_export(m, "gref", KILN_KIND_GLOBAL, 2);
    desc_export(m, "read16", KILN_KIND_FUNC, A_READ16);
    desc_active_elem(m, rt_init_i32(1), 3,
                     (kiln_init_desc[]){rt_init_func(A_ADD1), rt_init_null(KILN_TYPE_FUNCREF),
                                        rt_init_func(A_READ16)});
    desc_elem(m, KILN_SEG_MODE_PASSIVE, 1, (kiln_init_desc[]){rt_init_func(A_ADD1)});
    desc_elem(m, KILN_SEG_MODE_DECLARATIVE, 1, (kiln_init_desc[]){rt_init_func(A_START)});
    desc_active_data(m, rt_init_i32(16), "\x2a\0\0", 4); /* 42 at 16 */
    desc_passive_data(m, "hello", 5);
    desc_start(m, A_START);
    mod_a = desc_end(m);
}

static kiln_instance *new_a(void)
{
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(mod_a, NULL, &inst), KILN_STATUS_OK);
    assert_non_null(inst);
    return inst;
}

/* ---- Module B: imports from A and the host ---- */

enum { B_ADD1, B_MUL, B_CALL_ADD1, B_CALL_MUL }; /* the first two are imports */

KILN_GEN static int32_t gen_adapter_add1(kiln_vmctx *vm, int32_t x)
{
    uint64_t ar[2] = {0, 0};
    memcpy(ar, &x, 4);
    kiln_host_call(vm, B_ADD1, ar);
    memcpy(&x, ar, 4);
    return x;
}

KILN_GEN static int64_t gen_adapter_mul(kiln_vmctx *vm, int32_t a, int64_t b)
{
    uint64_t ar[4] = {0, 0, 0, 0};
    memcpy(&ar[0], &a, 4);
    memcpy(&ar[2], &b, 8);
    kiln_host_call(vm, B_MUL, ar);
    memcpy(&b, ar, 8);
    return b;
}

KILN_GEN static int32_t gen_b_call_add1(kiln_vmctx *vm, int32_t x)
{
    kiln_import_slot *slot = &kiln_vm_imports(vm)[B_ADD1];
    return ((rt_fn_i_i)slot->code.p)(slot->vmctx.p, x) * 10;
}

KILN_GEN static int64_t gen_b_call_mul(kiln_vmctx *vm, int32_t a, int64_t b)
{
    kiln_import_slot *slot = &kiln_vm_imports(vm)[B_MUL];
    return ((rt_fn_iI_I)slot->code.p)(slot->vmctx.p, a, b);
}

static const uint8_t types_I[1] = {KILN_TYPE_I64};
static desc_builder b_desc;
static kiln_module_desc *mod_b;

static void build_b(void)
{
    desc_builder *m = &b_desc;
    desc_begin(m, "test");
    desc_type(m, 0, 0, NULL); /* A's type 1; (i32) -> i32 is A's type 0 */
    desc_type(m, 1, 0, types_I);
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_iI_I = desc_type(m, 2, 1, rt_types_iI_I);
    desc_import_func(m, "a", "add1", t_i_i, (void *)gen_adapter_add1, rt_entry_i_i);
    desc_import_func(m, "host", "mul", t_iI_I, (void *)gen_adapter_mul, rt_entry_iI_I);
    desc_import_memory(m, "a", "mem", rt_limits(1));
    desc_import_table(m, "a", "tab", KILN_TYPE_FUNCREF, rt_limits(2));
    desc_import_global(m, "a", "g5", KILN_TYPE_I32, false);
    desc_import_global(m, "a", "gmut", KILN_TYPE_I32, true);
    desc_func(m, (void *)gen_b_call_add1, rt_entry_i_i, t_i_i);  /* B_CALL_ADD1 */
    desc_func(m, (void *)gen_b_call_mul, rt_entry_iI_I, t_iI_I); /* B_CALL_MUL */
    /* B's function 2 into A's table at 0; B's byte into A's memory at 100. */
    desc_active_elem(m, rt_init_i32(0), 1, (kiln_init_desc[]){rt_init_func(B_CALL_ADD1)});
    desc_active_data(m, rt_init_i32(100), "B", 1);
    mod_b = desc_end(m);
}

static kiln_instance *mul_caller;
static kiln_trap host_mul(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env;
    mul_caller = caller;
    assert_int_equal(args[0].type, KILN_TYPE_I32);
    assert_int_equal(args[1].type, KILN_TYPE_I64);
    assert_int_equal(results[0].type, KILN_TYPE_I64);
    if (args[0].of.i32 < 0)
        return KILN_TRAP_HOST;
    results[0].of.i64 = args[0].of.i32 * args[1].of.i64;
    return KILN_TRAP_NONE;
}
static const kiln_host_func host_mul_fn = {host_mul, NULL, 2, 1, rt_types_iI_I, rt_types_iI_I + 2};

/* Fills items[] with B's imports bound to A's exports and the host. */
static size_t b_imports_from(kiln_instance *a, kiln_import *items)
{
    static const char *const names[] = {"add1", "mem", "tab", "g5", "gmut"};
    size_t n = 0;
    for (size_t i = 0; i < 5; i++) {
        items[n].module = "a";
        items[n].name = names[i];
        assert_int_equal(kiln_instance_export(a, names[i], &items[n].value), KILN_STATUS_OK);
        n++;
    }
    items[n].module = "host";
    items[n].name = "mul";
    items[n].value.kind = KILN_KIND_HOST_FUNC;
    items[n].value.of.host = &host_mul_fn;
    return n + 1;
}

/* ---- Tests ---- */

static void test_instantiate_fills_vmctx(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_a();
    kiln_vmctx *vm = inst->vmctx;
    assert_true(((uintptr_t)vm & 15) == 0);
    assert_ptr_equal(vm->module.p, mod_a);
    assert_ptr_equal(vm->instance.p, inst);
    assert_ptr_equal(kiln_instance_module(inst), mod_a);
    kiln_memory *mem = kiln_instance_memory(inst, 0);
    assert_non_null(mem);
    assert_null(kiln_instance_memory(inst, 1));
    assert_ptr_equal(vm->memory0.p, mem);
    assert_ptr_equal(vm->mem0_base.p, mem->base.p);
    assert_int_equal(mem->size, 65536);
    assert_int_equal(mem->max_pages, 4);
    /* 32-bit hosts: bounds-checked, the declared maximum of 4 pages (memory.c). */
    assert_int_equal(mem->reserved, sizeof(void *) >= 8 ? KILN_MEMORY_RESERVATION : 4 * 65536);
    assert_int_equal(vm->stack_limit, 0);

    /* Globals: const, start-function write, ref.func, ref.null. */
    kiln_ptr64 *g = kiln_vm_globals(vm);
    assert_ptr_equal(g[0].p, &kiln_vm_global_cells(vm)[0]);
    assert_int_equal(((kiln_global_cell *)g[0].p)->u.i32, 5);
    assert_int_equal(((kiln_global_cell *)g[1].p)->u.i32, 77);
    const kiln_funcref *f0 = &kiln_vm_funcrefs(vm)[A_ADD1];
    assert_ptr_equal(((kiln_global_cell *)g[2].p)->u.ref.p, f0);
    assert_null(((kiln_global_cell *)g[3].p)->u.ref.p);

    /* Funcref records. */
    assert_ptr_equal(f0->code.p, (void *)gen_add1);
    assert_ptr_equal(f0->vmctx.p, vm);
    assert_ptr_equal(f0->array_entry.p, (void *)rt_entry_i_i);
    assert_int_equal(f0->sig, kiln_vm_sig_ids(vm)[0]);
    assert_int_equal(f0->sig, kiln_sig_intern(1, rt_types_i_i, 1, rt_types_i_i + 1));

    /* Table: elem 0 at offset 1; segments dropped per mode. */
    kiln_table *t = kiln_vm_tables(vm)[0].p;
    assert_int_equal(t->size, 4);
    assert_int_equal(t->max, 8);
    assert_int_equal(t->elem_type, KILN_TYPE_FUNCREF);
    void **elems = t->elems.p;
    assert_null(elems[0]);
    assert_ptr_equal(elems[1], f0);
    assert_null(elems[2]);
    assert_ptr_equal(elems[3], &kiln_vm_funcrefs(vm)[A_READ16]);
    assert_int_equal(kiln_vm_elem_dropped(vm)[0], 1);
    assert_int_equal(kiln_vm_elem_dropped(vm)[1], 0);
    assert_int_equal(kiln_vm_elem_dropped(vm)[2], 1);
    assert_int_equal(kiln_vm_data_dropped(vm)[0], 1);
    assert_int_equal(kiln_vm_data_dropped(vm)[1], 0);

    /* Data segment applied; read back by generated code. */
    int32_t v = 0;
    assert_int_equal(rt_invoke_i(inst, A_READ16, 0, 0, 0, 0, &v), KILN_TRAP_NONE);
    assert_int_equal(v, 42);

    kiln_instance_set_user(inst, mod_a);
    assert_ptr_equal(kiln_instance_user(inst), mod_a);
    kiln_instance_free(inst);
    kiln_instance_free(NULL);
}

static void test_exports_and_kiln_call(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_a();
    kiln_extern e;
    assert_int_equal(kiln_instance_export(inst, "add1", &e), KILN_STATUS_OK);
    assert_int_equal(e.kind, KILN_KIND_FUNC);
    const kiln_funcref *add1 = e.of.func;
    assert_int_equal(kiln_instance_export(inst, "mem", &e), KILN_STATUS_OK);
    assert_int_equal(e.kind, KILN_KIND_MEMORY);
    assert_ptr_equal(e.of.memory, kiln_instance_memory(inst, 0));
    assert_int_equal(kiln_instance_export(inst, "tab", &e), KILN_STATUS_OK);
    assert_int_equal(e.kind, KILN_KIND_TABLE);
    assert_int_equal(e.of.table->size, 4);
    assert_int_equal(kiln_instance_export(inst, "gmut", &e), KILN_STATUS_OK);
    assert_int_equal(e.kind, KILN_KIND_GLOBAL);
    assert_int_equal(e.of.global.type, KILN_TYPE_I32);
    assert_int_equal(e.of.global.mut, 1);
    assert_int_equal(e.of.global.cell->u.i32, 77);
    assert_int_equal(kiln_instance_export(inst, "nope", &e), KILN_STATUS_NOT_FOUND);
    assert_int_equal(kiln_instance_export(inst, "add", &e), KILN_STATUS_NOT_FOUND);
    assert_int_equal(kiln_instance_export(NULL, "add1", &e), KILN_STATUS_ARG);

    kiln_val args[1] = {{.type = KILN_TYPE_I32, .of.i32 = 41}};
    kiln_val results[1];
    assert_int_equal(kiln_call(inst, add1, args, 1, results, 1), KILN_TRAP_NONE);
    assert_int_equal(results[0].type, KILN_TYPE_I32);
    assert_int_equal(results[0].of.i32, 42);
    /* Signature check: count, type, room for results. */
    assert_int_equal(kiln_call(inst, add1, args, 0, results, 1), KILN_TRAP_HOST);
    assert_non_null(strstr(kiln_last_error(), "takes 1 arguments"));
    kiln_val wrong[1] = {{.type = KILN_TYPE_I64, .of.i64 = 41}};
    assert_int_equal(kiln_call(inst, add1, wrong, 1, results, 1), KILN_TRAP_HOST);
    assert_non_null(strstr(kiln_last_error(), "wrong type"));
    assert_int_equal(kiln_call(inst, add1, args, 1, results, 0), KILN_TRAP_HOST);
    kiln_funcref bogus = *add1;
    bogus.sig = 0;
    assert_int_equal(kiln_call(inst, &bogus, args, 1, results, 1), KILN_TRAP_HOST);
    kiln_instance_free(inst);
}

static void test_link_across_instances_and_host(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *a = new_a();
    kiln_import items[8];
    kiln_imports list = {items, b_imports_from(a, items)};
    kiln_instance *b = NULL;
    assert_int_equal(kiln_instance_new(mod_b, &list, &b), KILN_STATUS_OK);

    /* Canonical ids: B's types are in another order than A's. */
    uint32_t *ida = kiln_vm_sig_ids(a->vmctx), *idb = kiln_vm_sig_ids(b->vmctx);
    assert_int_equal(idb[2], ida[0]); /* (i32) -> i32 */
    assert_int_equal(idb[0], ida[1]); /* () -> () */
    assert_int_not_equal(idb[1], idb[0]);
    assert_int_not_equal(ida[2], ida[0]);

    /* Imports point at A's objects. */
    kiln_import_slot *slots = kiln_vm_imports(b->vmctx);
    assert_ptr_equal(slots[0].ref.p, &kiln_vm_funcrefs(a->vmctx)[A_ADD1]);
    assert_ptr_equal(slots[0].vmctx.p, a->vmctx);
    assert_null(slots[0].host.p);
    assert_ptr_equal(slots[1].vmctx.p, b->vmctx);
    assert_ptr_equal(slots[1].code.p, (void *)gen_adapter_mul);
    assert_ptr_equal(slots[1].host.p, &host_mul_fn);
    assert_ptr_equal(b->vmctx->memory0.p, a->vmctx->memory0.p);
    assert_ptr_equal(b->vmctx->mem0_base.p, a->vmctx->mem0_base.p);
    assert_ptr_equal(kiln_vm_tables(b->vmctx)[0].p, kiln_vm_tables(a->vmctx)[0].p);
    assert_ptr_equal(kiln_vm_globals(b->vmctx)[1].p, kiln_vm_globals(a->vmctx)[1].p);

    /* Calls: B -> A, B -> host (with the caller), host trap. */
    int32_t r = 0;
    assert_int_equal(rt_invoke_i(b, B_CALL_ADD1, 1, 4, 0, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 50);
    kiln_val args[2] = {{.type = KILN_TYPE_I32, .of.i32 = 3}, {.type = KILN_TYPE_I64, .of.i64 = 7}};
    kiln_val res[1];
    kiln_extern e = {0};
    const kiln_funcref *call_mul = kiln_instance_funcref(b, B_CALL_MUL);
    assert_int_equal(kiln_call(b, call_mul, args, 2, res, 1), KILN_TRAP_NONE);
    assert_int_equal(res[0].of.i64, 21);
    assert_ptr_equal(mul_caller, b);
    args[0].of.i32 = -1;
    assert_int_equal(kiln_call(b, call_mul, args, 2, res, 1), KILN_TRAP_HOST);
    /* The host import itself, invoked directly (function index 1 is the import). */
    args[0].of.i32 = 6;
    assert_int_equal(kiln_call(b, kiln_instance_funcref(b, B_MUL), args, 2, res, 1),
                     KILN_TRAP_NONE);
    assert_int_equal(res[0].of.i64, 42);
    /* And the imported instance function through B's index space. */
    assert_int_equal(rt_invoke_i(b, B_ADD1, 1, 9, 0, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 10);

    /* B's segments landed in A's table and memory; the table entry calls into B. */
    void **elems = ((kiln_table *)kiln_vm_tables(a->vmctx)[0].p)->elems.p;
    assert_ptr_equal(elems[0], &kiln_vm_funcrefs(b->vmctx)[B_CALL_ADD1 - 2]);
    kiln_val one[1] = {{.type = KILN_TYPE_I32, .of.i32 = 1}};
    assert_int_equal(kiln_call(a, elems[0], one, 1, res, 1), KILN_TRAP_NONE);
    assert_int_equal(res[0].of.i32, 20);
    assert_int_equal(((uint8_t *)a->vmctx->mem0_base.p)[100], 'B');

    /* Equal references are equal pointers: A's export is the record B's slot refers to. */
    assert_int_equal(kiln_instance_export(a, "add1", &e), KILN_STATUS_OK);
    assert_ptr_equal(e.of.func, slots[0].ref.p);
    kiln_instance_free(b);
    kiln_instance_free(a);
}

/* A module with exactly one import, "m" "x", of im's kind and type (and nothing else),
 * instantiated with ext bound to "m" bind_name. */
static kiln_status link_single(const kiln_import_desc *im, const kiln_functype_desc *ftype,
                               const kiln_extern *ext, const char *bind_name)
{
    static desc_builder m;
    desc_begin(&m, "test");
    switch (im->kind) {
    case KILN_KIND_FUNC: {
        uint32_t t = desc_type(&m, ftype->param_count, ftype->result_count, ftype->types.p);
        desc_import_func(&m, "m", "x", t, (void *)gen_adapter_add1, rt_entry_i_i);
        break;
    }
    case KILN_KIND_TABLE:
        desc_import_table(&m, "m", "x", im->type, im->limits);
        break;
    case KILN_KIND_MEMORY:
        desc_import_memory(&m, "m", "x", im->limits);
        break;
    case KILN_KIND_GLOBAL:
        desc_import_global(&m, "m", "x", im->type, im->mut);
        break;
    }
    kiln_import item = {"m", bind_name, *ext};
    kiln_imports list = {&item, 1};
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new(desc_end(&m), &list, &inst);
    if (s == KILN_STATUS_OK)
        kiln_instance_free(inst);
    else
        assert_null(inst);
    return s;
}

static void expect_link_error(kiln_status s, const char *message)
{
    assert_int_equal(s, KILN_STATUS_LINK);
    if (strstr(kiln_last_error(), message) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", kiln_last_error(), message);
}

static void test_import_linking_errors(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *a = new_a();
    kiln_extern add1, mem, tab, g5, gmut;
    assert_int_equal(kiln_instance_export(a, "add1", &add1), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_export(a, "mem", &mem), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_export(a, "tab", &tab), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_export(a, "g5", &g5), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_export(a, "gmut", &gmut), KILN_STATUS_OK);

    /* Functions. */
    kiln_import_desc f = {.kind = KILN_KIND_FUNC};
    kiln_functype_desc t_i_i = rt_type(1, 1, rt_types_i_i), t_v_v = rt_type(0, 0, NULL);
    assert_int_equal(link_single(&f, &t_i_i, &add1, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&f, &t_i_i, &add1, "y"), "unknown import: \"m\" \"x\"");
    expect_link_error(link_single(&f, &t_v_v, &add1, "x"),
                      "incompatible import type: \"m\" \"x\": function signature");
    expect_link_error(link_single(&f, &t_i_i, &mem, "x"), "not a function");
    kiln_extern host = {.kind = KILN_KIND_HOST_FUNC, .of.host = &host_mul_fn};
    expect_link_error(link_single(&f, &t_i_i, &host, "x"), "function signature");
    kiln_functype_desc t_mul = rt_type(2, 1, rt_types_iI_I);
    assert_int_equal(link_single(&f, &t_mul, &host, "x"), KILN_STATUS_OK);
    kiln_extern null_func = {.kind = KILN_KIND_FUNC};
    expect_link_error(link_single(&f, &t_i_i, &null_func, "x"), "null function");

    /* Memories: A's is 1 page (max 4). */
    kiln_import_desc m = {.kind = KILN_KIND_MEMORY};
    m.limits = (kiln_limits_desc){.min = 1};
    assert_int_equal(link_single(&m, NULL, &mem, "x"), KILN_STATUS_OK);
    m.limits = (kiln_limits_desc){.min = 2};
    expect_link_error(link_single(&m, NULL, &mem, "x"), "memory limits");
    m.limits = (kiln_limits_desc){.min = 1, .max = 4, .has_max = 1};
    assert_int_equal(link_single(&m, NULL, &mem, "x"), KILN_STATUS_OK);
    m.limits = (kiln_limits_desc){.min = 1, .max = 3, .has_max = 1};
    expect_link_error(link_single(&m, NULL, &mem, "x"), "memory limits");
    /* The current size counts, not the declared minimum. */
    assert_int_equal(kiln_memory_grow(a->vmctx, 0, 1), 1);
    m.limits = (kiln_limits_desc){.min = 2, .max = 5, .has_max = 1};
    assert_int_equal(link_single(&m, NULL, &mem, "x"), KILN_STATUS_OK);
    /* A host memory without a maximum (65536 pages is not "declared 65536"). */
    kiln_memory *hm;
    assert_int_equal(kiln_memory_new(1, UINT64_MAX, &hm), KILN_STATUS_OK);
    kiln_extern hmem = {.kind = KILN_KIND_MEMORY, .of.memory = hm};
    m.limits = (kiln_limits_desc){.min = 1, .max = 65536, .has_max = 1};
    expect_link_error(link_single(&m, NULL, &hmem, "x"), "memory limits");
    m.limits = (kiln_limits_desc){.min = 0};
    assert_int_equal(link_single(&m, NULL, &hmem, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&m, NULL, &tab, "x"), "not a memory");
    kiln_memory_free(hm);

    /* Tables: A's has 4 elements, max 8. */
    kiln_import_desc t = {.kind = KILN_KIND_TABLE};
    t.type = KILN_TYPE_FUNCREF;
    t.limits = (kiln_limits_desc){.min = 4, .max = 8, .has_max = 1};
    assert_int_equal(link_single(&t, NULL, &tab, "x"), KILN_STATUS_OK);
    t.limits = (kiln_limits_desc){.min = 5};
    expect_link_error(link_single(&t, NULL, &tab, "x"), "table limits");
    t.limits = (kiln_limits_desc){.min = 0, .max = 7, .has_max = 1};
    expect_link_error(link_single(&t, NULL, &tab, "x"), "table limits");
    t.type = KILN_TYPE_EXTERNREF;
    t.limits = (kiln_limits_desc){.min = 0};
    expect_link_error(link_single(&t, NULL, &tab, "x"), "element type");
    kiln_table *ht;
    assert_int_equal(kiln_table_new(KILN_TYPE_EXTERNREF, 3, UINT64_MAX, &ht), KILN_STATUS_OK);
    kiln_extern htab = {.kind = KILN_KIND_TABLE, .of.table = ht};
    assert_int_equal(link_single(&t, NULL, &htab, "x"), KILN_STATUS_OK);
    t.limits = (kiln_limits_desc){.min = 0, .max = 10, .has_max = 1};
    expect_link_error(link_single(&t, NULL, &htab, "x"), "table limits");
    kiln_table_free(ht);

    /* Globals: type and mutability must match exactly. */
    kiln_import_desc g = {.kind = KILN_KIND_GLOBAL};
    g.type = KILN_TYPE_I32;
    assert_int_equal(link_single(&g, NULL, &g5, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&g, NULL, &gmut, "x"), "global type");
    g.mut = 1;
    assert_int_equal(link_single(&g, NULL, &gmut, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&g, NULL, &g5, "x"), "global type");
    g.type = KILN_TYPE_I64;
    expect_link_error(link_single(&g, NULL, &gmut, "x"), "global type");
    kiln_global_cell cell = {.u.i64 = 9};
    kiln_extern hg = {.kind = KILN_KIND_GLOBAL, .of.global = {KILN_TYPE_I64, 1, &cell, 0}};
    assert_int_equal(link_single(&g, NULL, &hg, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&g, NULL, &add1, "x"), "not a global");

    kiln_instance_free(a);
}

static void test_descriptor_errors(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = NULL;
    kiln_module_desc m = *mod_a;
    m.abi_version = KILN_ABI_VERSION + 1;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ABI);
    m = *mod_a;
    m.layout.funcrefs = m.layout.size - 8; /* funcrefs would run past the end */
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    assert_non_null(strstr(kiln_last_error(), "invalid module descriptor"));
    m = *mod_a;
    m.layout.size = 40;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    m = *mod_a;
    m.start = 99;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    m = *mod_b; /* imports numbered out of order */
    kiln_import_desc imports[6];
    memcpy(imports, mod_b->imports.p, sizeof imports);
    imports[1].index = 0;
    m.imports.p = imports;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    assert_int_equal(kiln_instance_new(NULL, NULL, &inst), KILN_STATUS_ARG);
    assert_int_equal(kiln_instance_new(mod_a, NULL, NULL), KILN_STATUS_ARG);
    /* Imports required but none given: all of them named in one error. */
    assert_int_equal(kiln_instance_new(mod_b, NULL, &inst), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(),
                        "unknown imports: \"a\" \"add1\", \"host\" \"mul\", \"a\" \"mem\", "
                        "\"a\" \"tab\", \"a\" \"g5\", \"a\" \"gmut\"");
    assert_null(inst);
}

/* ---- Segment traps and the start function ---- */

KILN_GEN static void gen_trap_start(kiln_vmctx *vm)
{
    kiln_trap_raise(vm, KILN_TRAP_UNREACHABLE);
}

/* A module importing A's table and memory ("a" "tab", "a" "mem"), with add1 and a function
 * that traps (its start function if trapping_start); the caller adds the segments, then
 * calls instantiate_segments. */
enum { SEG_ADD1, SEG_TRAP };
static desc_builder seg_desc;

static desc_builder *segments_module(bool trapping_start)
{
    desc_builder *m = &seg_desc;
    desc_begin(m, "test");
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_v_v = desc_type(m, 0, 0, NULL);
    desc_import_table(m, "a", "tab", KILN_TYPE_FUNCREF, rt_limits(0));
    desc_import_memory(m, "a", "mem", rt_limits(0));
    desc_func(m, (void *)gen_add1, rt_entry_i_i, t_i_i);       /* SEG_ADD1 */
    desc_func(m, (void *)gen_trap_start, rt_entry_v_v, t_v_v); /* SEG_TRAP */
    if (trapping_start)
        desc_start(m, SEG_TRAP);
    return m;
}

static kiln_status instantiate_segments(kiln_instance *a, desc_builder *m, kiln_trap *trap,
                                        kiln_pool *pool)
{
    kiln_import items[2] = {{"a", "tab", {0}}, {"a", "mem", {0}}};
    assert_int_equal(kiln_instance_export(a, "tab", &items[0].value), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_export(a, "mem", &items[1].value), KILN_STATUS_OK);
    kiln_imports list = {items, 2};
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new_in(pool, desc_end(m), &list, &inst, trap);
    if (s == KILN_STATUS_OK)
        kiln_instance_free(inst);
    return s;
}

static void test_segments_trap_in_order_keeping_earlier_writes(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 8};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    kiln_instance *a = new_a(); /* table of 4, memory of 1 page */
    kiln_table *tab = kiln_vm_tables(a->vmctx)[0].p;
    uint8_t *mem = a->vmctx->mem0_base.p;
    void **elems = tab->elems.p;
    kiln_trap trap;
    static const kiln_init_desc f0[2] = {{.kind = KILN_INIT_REF_FUNC, .type = KILN_TYPE_FUNCREF},
                                         {.kind = KILN_INIT_REF_FUNC, .type = KILN_TYPE_FUNCREF}};

    /* Zero-length segments exactly at the end are fine; one past it traps. */
    desc_builder *m = segments_module(false);
    desc_active_elem(m, rt_init_i32(4), 0, f0);
    desc_active_data(m, rt_init_i32(65536), "", 0);
    assert_int_equal(instantiate_segments(a, m, &trap, pool), KILN_STATUS_OK);
    m = segments_module(false);
    desc_active_elem(m, rt_init_i32(5), 0, f0);
    assert_int_equal(instantiate_segments(a, m, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_TABLE_OOB);
    m = segments_module(false);
    desc_active_data(m, rt_init_i32(65537), "", 0);
    assert_int_equal(instantiate_segments(a, m, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_MEMORY_OOB);
    assert_non_null(strstr(kiln_last_error(), "out of bounds memory access"));

    /* The spec's linking.wast: an element write before a failing segment stays, and the
     * function it stored stays callable although its instance failed; data segments after a
     * failing element segment are not applied. */
    elems[3] = NULL;
    mem[200] = 0;
    m = segments_module(false);
    desc_active_elem(m, rt_init_i32(3), 1, f0);
    desc_active_elem(m, rt_init_i32(3), 2, f0);
    desc_active_data(m, rt_init_i32(200), "x", 1);
    assert_int_equal(instantiate_segments(a, m, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_TABLE_OOB);
    assert_non_null(elems[3]);
    assert_int_equal(mem[200], 0);
    kiln_val args[1] = {{.type = KILN_TYPE_I32, .of.i32 = 7}}, res[1];
    assert_int_equal(kiln_call(a, elems[3], args, 1, res, 1), KILN_TRAP_NONE);
    assert_int_equal(res[0].of.i32, 8);

    /* Data segments in order: the first lands, the second is out of bounds. */
    m = segments_module(false);
    desc_active_data(m, rt_init_i32(200), "x", 1);
    desc_active_data(m, rt_init_i32(65535), "yz", 2);
    desc_active_data(m, rt_init_i32(300), "w", 1);
    assert_int_equal(instantiate_segments(a, m, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_MEMORY_OOB);
    assert_int_equal(mem[200], 'x');
    assert_int_equal(mem[65535], 0); /* nothing of the failing segment was written */
    assert_int_equal(mem[300], 0);

    /* A trapping start function. */
    assert_int_equal(instantiate_segments(a, segments_module(true), &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_UNREACHABLE);
    assert_non_null(strstr(kiln_last_error(), "instantiation trapped: unreachable"));

    /* The zombies (kept for the table entry and the start function) go with the pool. */
    assert_true(pool->zombies >= 2);
    kiln_pool_free(pool);
    kiln_instance_free(a);
}

/* ---- Pools ---- */

static void test_pool_slots_limits_and_reuse(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config bad = {.slots = 0};
    kiln_pool *pool;
    assert_int_equal(kiln_pool_new(&bad, &pool), KILN_STATUS_ARG);
    assert_int_equal(kiln_pool_new(NULL, &pool), KILN_STATUS_ARG);

    kiln_pool_config cfg = {.slots = 2, .max_memory_pages = 2, .max_table_elems = 6};
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    kiln_instance *i1, *i2, *i3;
    kiln_trap trap;
    assert_int_equal(kiln_instance_new_in(pool, mod_a, NULL, &i1, &trap), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_new_in(pool, mod_a, NULL, &i2, &trap), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_new_in(pool, mod_a, NULL, &i3, &trap),
                     KILN_STATUS_POOL_EXHAUSTED);

    /* Growth is capped by the pool (A declares max 4 pages, 8 elements). */
    assert_int_equal(kiln_memory_grow(i1->vmctx, 0, 1), 1);
    assert_int_equal(kiln_memory_grow(i1->vmctx, 0, 1), UINT64_MAX);
    assert_int_equal(kiln_table_grow(i1->vmctx, 0, NULL, 2), 4);
    assert_int_equal(kiln_table_grow(i1->vmctx, 0, NULL, 1), UINT32_MAX);

    /* A warm slot reuses its reservation, zeroed, and its block. */
    uint8_t *base = i1->vmctx->mem0_base.p;
    base[0] = 0xAB;
    base[65536 + 5] = 0xCD;
    kiln_instance_free(i1);
    assert_int_equal(kiln_instance_new_in(pool, mod_a, NULL, &i3, &trap), KILN_STATUS_OK);
    if (sizeof(void *) >= 8)
        assert_ptr_equal(i3->vmctx->mem0_base.p, base);
    else /* bounds-checked memories (32-bit hosts) are not cached: a fresh one */
        base = i3->vmctx->mem0_base.p;
    assert_int_equal(base[0], 0);
    assert_int_equal(kiln_instance_memory(i3, 0)->size, 65536);
    assert_int_equal(kiln_memory_grow(i3->vmctx, 0, 1), 1);
    assert_int_equal(base[65536 + 5], 0);

    /* Modules over the pool's limits. */
    kiln_module_desc big = *mod_a;
    kiln_memory_desc mem3[1] = {{.limits = {.min = 3}}};
    big.memories.p = mem3;
    kiln_instance_free(i3);
    assert_int_equal(kiln_instance_new_in(pool, &big, NULL, &i3, &trap), KILN_STATUS_LIMIT);
    big = *mod_a;
    kiln_table_desc tab7[1] = {{.elem_type = KILN_TYPE_FUNCREF, .limits = {.min = 7}}};
    big.tables.p = tab7;
    assert_int_equal(kiln_instance_new_in(pool, &big, NULL, &i3, &trap), KILN_STATUS_LIMIT);
    /* The failures gave their slots back, and the cached reservation survived them. */
    assert_int_equal(kiln_instance_new_in(pool, mod_a, NULL, &i3, &trap), KILN_STATUS_OK);
    if (sizeof(void *) >= 8)
        assert_ptr_equal(i3->vmctx->mem0_base.p, base);

    /* Freeing the pool with instances alive waits for the last one. */
    kiln_pool_free(pool);
    int32_t v = 0;
    assert_int_equal(rt_invoke_i(i2, A_READ16, 0, 0, 0, 0, &v), KILN_TRAP_NONE);
    assert_int_equal(v, 42);
    assert_int_equal(kiln_instance_new_in(pool, mod_a, NULL, &i1, &trap), KILN_STATUS_ARG);
    kiln_instance_free(i2);
    kiln_instance_free(i3); /* the pool goes with it (ASan/LSan would see a leak) */
}

/* ---- Signature ids ---- */

typedef struct intern_job {
    int order;
    uint32_t ids[200];
} intern_job;

static void *intern_many(void *arg)
{
    intern_job *job = arg;
    for (int k = 0; k < 200; k++) {
        int i = job->order ? 199 - k : k;
        uint8_t types[4] = {KILN_TYPE_I32, KILN_TYPE_I64, KILN_TYPE_F32, KILN_TYPE_F64};
        types[i % 4] = KILN_TYPE_V128;
        /* 200 signatures: (i % 3) params, then results, over permuted types. */
        uint32_t np = (uint32_t)(i % 3), nr = (uint32_t)((i / 3) % 2);
        uint8_t params[3] = {types[0], types[(i / 6) % 4], KILN_TYPE_EXTERNREF};
        params[np > 0 ? np - 1 : 0] = (uint8_t)(0x70 + (i / 24) % 4);
        job->ids[i] = kiln_sig_intern(np, params, nr, types + 1);
    }
    return NULL;
}

static void test_signature_ids_are_canonical(void **state)
{
    (void)state;
    rt_arm();
    static const uint8_t i32[1] = {KILN_TYPE_I32}, i64[1] = {KILN_TYPE_I64};
    uint32_t a = kiln_sig_intern(1, i32, 0, NULL);
    uint32_t b = kiln_sig_intern(0, NULL, 1, i32);
    uint32_t c = kiln_sig_intern(1, i32, 0, NULL);
    uint32_t d = kiln_sig_intern(1, i64, 0, NULL);
    uint32_t e = kiln_sig_intern(0, NULL, 0, NULL);
    assert_true(a >= 1 && b >= 1 && d >= 1 && e >= 1);
    assert_int_equal(a, c);
    assert_int_not_equal(a, b);
    assert_int_not_equal(a, d);
    assert_int_not_equal(a, e);
    uint32_t np, nr;
    const uint8_t *p, *r;
    assert_true(kiln_sig_get(b, &np, &p, &nr, &r));
    assert_int_equal(np, 0);
    assert_int_equal(nr, 1);
    assert_int_equal(r[0], KILN_TYPE_I32);
    assert_false(kiln_sig_get(0, &np, &p, &nr, &r));
    assert_false(kiln_sig_get(UINT32_MAX, &np, &p, &nr, &r));

    /* Four threads interning the same 200 signatures in two orders agree on every id. */
    intern_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].order = i % 2;
        assert_int_equal(pthread_create(&th[i], NULL, intern_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 1; i < 4; i++)
        assert_memory_equal(jobs[0].ids, jobs[i].ids, sizeof jobs[0].ids);
    for (int i = 0; i < 200; i++)
        assert_int_not_equal(jobs[0].ids[i], 0);
}

/* 6,000 distinct signatures spread over the first seven id chunks (64, 128, ... entries):
 * each gets a new id, reads back its own types, and interns to the same id again. */
static void test_signature_ids_across_chunks(void **state)
{
    (void)state;
    rt_arm();
    static const uint8_t kinds[5] = {KILN_TYPE_I32, KILN_TYPE_I64, KILN_TYPE_F32, KILN_TYPE_F64,
                                     KILN_TYPE_V128};
    enum { N = 6000 };
    static uint32_t ids[N];
    uint8_t params[N][6];
    for (int n = 0; n < N; n++) {
        for (int k = 0, v = n; k < 6; k++, v /= 5)
            params[n][k] = kinds[v % 5];
        /* 7 params, the first externref: no earlier test interns this shape. */
        uint8_t p7[7] = {KILN_TYPE_EXTERNREF};
        memcpy(p7 + 1, params[n], 6);
        ids[n] = kiln_sig_intern(7, p7, 1, kinds + n % 5);
        assert_int_not_equal(ids[n], 0);
        if (n > 0)
            assert_int_equal(ids[n], ids[n - 1] + 1); /* new ids are issued in order */
    }
    for (int n = 0; n < N; n++) {
        uint32_t np, nr;
        const uint8_t *p, *r;
        assert_true(kiln_sig_get(ids[n], &np, &p, &nr, &r));
        assert_int_equal(np, 7);
        assert_int_equal(nr, 1);
        assert_int_equal(p[0], KILN_TYPE_EXTERNREF);
        assert_memory_equal(p + 1, params[n], 6);
        assert_int_equal(r[0], kinds[n % 5]);
        uint8_t p7[7] = {KILN_TYPE_EXTERNREF};
        memcpy(p7 + 1, params[n], 6);
        assert_int_equal(kiln_sig_intern(7, p7, 1, kinds + n % 5), ids[n]);
    }
    uint32_t np, nr;
    const uint8_t *p, *r;
    assert_false(kiln_sig_get(ids[N - 1] + 1, &np, &p, &nr, &r));
}

/* An extended constant expression (KILN_INIT_EXPR) over an imported global, as the compiler
 * leaves one that reads a global: evaluated at instantiation; a malformed one is refused
 * when the module is checked, never evaluated. */
static kiln_status expr_module(const uint8_t *expr, uint32_t len, uint8_t type, int64_t *value)
{
    desc_builder m;
    desc_begin(&m, "test");
    desc_import_global(&m, "h", "g", KILN_TYPE_I32, false);
    desc_import_global(&m, "h", "m", KILN_TYPE_I32, true);
    kiln_init_desc init = {.kind = KILN_INIT_EXPR, .type = type, .index = len};
    init.expr.p = (void *)(uintptr_t)expr;
    uint32_t g = desc_global(&m, type, false, init);
    desc_export(&m, "x", KILN_KIND_GLOBAL, g);
    kiln_global_cell gcell = {.u.i32 = 7}, mcell = {.u.i32 = 1};
    kiln_import items[2] = {
        {"h", "g", {.kind = KILN_KIND_GLOBAL, .of.global = {KILN_TYPE_I32, 0, &gcell, 0}}},
        {"h", "m", {.kind = KILN_KIND_GLOBAL, .of.global = {KILN_TYPE_I32, 1, &mcell, 0}}}};
    kiln_imports list = {items, 2};
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new(desc_end(&m), &list, &inst);
    if (s == KILN_STATUS_OK) {
        kiln_extern e;
        assert_int_equal(kiln_instance_export(inst, "x", &e), KILN_STATUS_OK);
        *value = type == KILN_TYPE_I32 ? e.of.global.cell->u.i32 : e.of.global.cell->u.i64;
        kiln_instance_free(inst);
    }
    return s;
}

static void test_extended_const_expr(void **state)
{
    (void)state;
    rt_arm();
    int64_t v = 0;
    /* global.get 0, i32.const 10, i32.mul, i32.const -3, i32.add: 7 * 10 - 3 */
    static const uint8_t ok[] = {0x23, 0x00, 0x41, 0x0a, 0x6c, 0x41, 0x7d, 0x6a, 0x0b};
    assert_int_equal(expr_module(ok, sizeof ok, KILN_TYPE_I32, &v), KILN_STATUS_OK);
    assert_int_equal(v, 67);
    /* i64: i64.const 2^40, i64.const 1, i64.sub */
    static const uint8_t ok64[] = {0x42, 0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x20, 0x42, 0x01, 0x7d, 0x0b};
    assert_int_equal(expr_module(ok64, sizeof ok64, KILN_TYPE_I64, &v), KILN_STATUS_OK);
    assert_int_equal(v, (INT64_C(1) << 40) - 1);
    static const struct {
        const char *why;
        uint8_t bytes[8];
        uint32_t len;
    } bad[] = {
        {"the mutable global", {0x23, 0x01, 0x0b}, 3},
        {"a global past the limit", {0x23, 0x05, 0x0b}, 3},
        {"an i64 operation on i32s", {0x23, 0x00, 0x41, 0x01, 0x7c, 0x0b}, 6},
        {"one operand", {0x23, 0x00, 0x6a, 0x0b}, 4},
        {"two values left", {0x23, 0x00, 0x41, 0x01, 0x0b}, 5},
        {"no end", {0x23, 0x00, 0x41, 0x01, 0x6a}, 5},
        {"bytes after end", {0x23, 0x00, 0x0b, 0x01}, 4},
        {"an instruction of no constant expression", {0x23, 0x00, 0x45, 0x0b}, 4},
        {"a truncated LEB128", {0x41, 0x80}, 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kiln_status s = expr_module(bad[i].bytes, bad[i].len, KILN_TYPE_I32, &v);
        if (s != KILN_STATUS_ARG)
            fail_msg("%s: status %d", bad[i].why, (int)s);
        assert_non_null(strstr(kiln_last_error(), "invalid module descriptor"));
    }
    /* Deeper than KILN_INIT_EXPR_MAX_DEPTH operands. */
    static uint8_t deep[2 * (KILN_INIT_EXPR_MAX_DEPTH + 1) + KILN_INIT_EXPR_MAX_DEPTH + 1];
    size_t n = 0;
    for (int k = 0; k <= KILN_INIT_EXPR_MAX_DEPTH; k++) {
        deep[n++] = 0x41;
        deep[n++] = 0x01;
    }
    for (int k = 0; k < KILN_INIT_EXPR_MAX_DEPTH; k++)
        deep[n++] = 0x6a;
    deep[n++] = 0x0b;
    assert_int_equal(expr_module(deep, (uint32_t)n, KILN_TYPE_I32, &v), KILN_STATUS_ARG);
    /* One less is fine: 256 ones added up. */
    n = 0;
    for (int k = 0; k < KILN_INIT_EXPR_MAX_DEPTH; k++) {
        deep[n++] = 0x41;
        deep[n++] = 0x01;
    }
    for (int k = 1; k < KILN_INIT_EXPR_MAX_DEPTH; k++)
        deep[n++] = 0x6a;
    deep[n++] = 0x0b;
    assert_int_equal(expr_module(deep, (uint32_t)n, KILN_TYPE_I32, &v), KILN_STATUS_OK);
    assert_int_equal(v, KILN_INIT_EXPR_MAX_DEPTH);
}

int main(void)
{
    build_a();
    build_b();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instantiate_fills_vmctx),
        cmocka_unit_test(test_exports_and_kiln_call),
        cmocka_unit_test(test_link_across_instances_and_host),
        cmocka_unit_test(test_import_linking_errors),
        cmocka_unit_test(test_descriptor_errors),
        cmocka_unit_test(test_segments_trap_in_order_keeping_earlier_writes),
        cmocka_unit_test(test_pool_slots_limits_and_reuse),
        cmocka_unit_test(test_signature_ids_are_canonical),
        cmocka_unit_test(test_signature_ids_across_chunks),
        cmocka_unit_test(test_extended_const_expr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
