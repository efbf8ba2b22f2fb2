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

enum { A_ADD1, A_START, A_READ16, A_FUNCS };

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

static kiln_module_desc mod_a;
static kiln_functype_desc a_types[3];
static kiln_func_desc a_funcs[A_FUNCS];
static kiln_table_desc a_tables[1];
static kiln_memory_desc a_memories[1];
static kiln_global_desc a_globals[4];
static kiln_export_desc a_exports[7];
static kiln_elem_desc a_elems[3];
static kiln_init_desc a_elem0[3], a_elem1[1], a_elem2[1];
static kiln_data_desc a_datas[2];
static char a_data0[] = "\x2a\0\0", a_data1[] = "hello";

static void build_a(void)
{
    kiln_module_desc *m = &mod_a;
    rt_module_init(m);
    a_types[0] = rt_type(1, 1, rt_types_i_i);
    a_types[1] = rt_type(0, 0, NULL);
    a_types[2] = rt_type(0, 1, types_v_i);
    a_funcs[A_ADD1] = rt_func((void *)gen_add1, rt_entry_i_i, 0);
    a_funcs[A_START] = rt_func((void *)gen_start, rt_entry_v_v, 1);
    a_funcs[A_READ16] = rt_func((void *)gen_read16, rt_entry_v_i, 2);
    a_tables[0].elem_type = KILN_TYPE_FUNCREF;
    a_tables[0].limits = (kiln_limits_desc){.min = 4, .max = 8, .has_max = 1};
    a_memories[0].limits = (kiln_limits_desc){.min = 1, .max = 4, .has_max = 1};
    a_globals[0].type = KILN_TYPE_I32;
    a_globals[0].init = rt_init_i32(5);
    a_globals[1].type = KILN_TYPE_I32;
    a_globals[1].mut = 1;
    a_globals[1].init = rt_init_i32(0);
    a_globals[2].type = KILN_TYPE_FUNCREF;
    a_globals[2].init = rt_init_func(A_ADD1);
    a_globals[3].type = KILN_TYPE_EXTERNREF;
    a_globals[3].init.kind = KILN_INIT_REF_NULL;
    a_globals[3].init.type = KILN_TYPE_EXTERNREF;
    a_exports[0] = rt_export("add1", KILN_KIND_FUNC, A_ADD1);
    a_exports[1] = rt_export("mem", KILN_KIND_MEMORY, 0);
    a_exports[2] = rt_export("tab", KILN_KIND_TABLE, 0);
    a_exports[3] = rt_export("g5", KILN_KIND_GLOBAL, 0);
    a_exports[4] = rt_export("gmut", KILN_KIND_GLOBAL, 1);
    a_exports[5] = rt_export("gref", KILN_KIND_GLOBAL, 2);
    a_exports[6] = rt_export("read16", KILN_KIND_FUNC, A_READ16);
    a_elem0[0] = rt_init_func(A_ADD1);
    a_elem0[1].kind = KILN_INIT_REF_NULL;
    a_elem0[1].type = KILN_TYPE_FUNCREF;
    a_elem0[2] = rt_init_func(A_READ16);
    a_elem1[0] = rt_init_func(A_ADD1);
    a_elem2[0] = rt_init_func(A_START);
    a_elems[0] = (kiln_elem_desc){.mode = KILN_SEG_MODE_ACTIVE,
                                  .elem_type = KILN_TYPE_FUNCREF,
                                  .table = 0,
                                  .count = 3,
                                  .offset = rt_init_i32(1),
                                  .items.p = a_elem0};
    a_elems[1] = (kiln_elem_desc){.mode = KILN_SEG_MODE_PASSIVE,
                                  .elem_type = KILN_TYPE_FUNCREF,
                                  .count = 1,
                                  .items.p = a_elem1};
    a_elems[2] = (kiln_elem_desc){.mode = KILN_SEG_MODE_DECLARATIVE,
                                  .elem_type = KILN_TYPE_FUNCREF,
                                  .count = 1,
                                  .items.p = a_elem2};
    a_datas[0] = (kiln_data_desc){.mode = KILN_SEG_MODE_ACTIVE,
                                  .memory = 0,
                                  .size = 4,
                                  .offset = rt_init_i32(16),
                                  .bytes.p = a_data0};
    a_datas[1] = (kiln_data_desc){.mode = KILN_SEG_MODE_PASSIVE, .size = 5, .bytes.p = a_data1};
    m->type_count = 3;
    m->types.p = a_types;
    m->func_count = A_FUNCS;
    m->funcs.p = a_funcs;
    m->table_count = 1;
    m->tables.p = a_tables;
    m->memory_count = 1;
    m->memories.p = a_memories;
    m->global_count = 4;
    m->globals.p = a_globals;
    m->export_count = 7;
    m->exports.p = a_exports;
    m->elem_count = 3;
    m->elems.p = a_elems;
    m->data_count = 2;
    m->datas.p = a_datas;
    m->start = A_START;
    rt_layout(m);
}

static kiln_instance *new_a(void)
{
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(&mod_a, NULL, &inst), KILN_STATUS_OK);
    assert_non_null(inst);
    return inst;
}

/* ---- Module B: imports from A and the host ---- */

enum { B_ADD1, B_MUL, B_CALL_ADD1, B_CALL_MUL, B_FUNCS };

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

static kiln_module_desc mod_b;
static kiln_functype_desc b_types[4];
static kiln_func_desc b_funcs[B_FUNCS];
static kiln_import_desc b_imports[6];
static kiln_table_desc b_tables[1];
static kiln_memory_desc b_memories[1];
static kiln_global_desc b_globals[2];
static kiln_elem_desc b_elems[1];
static kiln_init_desc b_elem0[1];
static kiln_data_desc b_datas[1];
static char b_data0[] = "B";
static const uint8_t types_I[1] = {KILN_TYPE_I64};

static kiln_import_desc import_desc(const char *module, const char *name, uint8_t kind,
                                    uint32_t index)
{
    kiln_import_desc d;
    memset(&d, 0, sizeof d);
    d.module = rt_str(module);
    d.name = rt_str(name);
    d.kind = kind;
    d.index = index;
    return d;
}

static void build_b(void)
{
    kiln_module_desc *m = &mod_b;
    rt_module_init(m);
    b_types[0] = rt_type(0, 0, NULL);
    b_types[1] = rt_type(1, 0, types_I);
    b_types[2] = rt_type(1, 1, rt_types_i_i);
    b_types[3] = rt_type(2, 1, rt_types_iI_I);
    b_funcs[B_ADD1] = rt_func((void *)gen_adapter_add1, rt_entry_i_i, 2);
    b_funcs[B_MUL] = rt_func((void *)gen_adapter_mul, rt_entry_iI_I, 3);
    b_funcs[B_CALL_ADD1] = rt_func((void *)gen_b_call_add1, rt_entry_i_i, 2);
    b_funcs[B_CALL_MUL] = rt_func((void *)gen_b_call_mul, rt_entry_iI_I, 3);
    b_imports[0] = import_desc("a", "add1", KILN_KIND_FUNC, 0);
    b_imports[0].type_index = 2;
    b_imports[1] = import_desc("host", "mul", KILN_KIND_FUNC, 1);
    b_imports[1].type_index = 3;
    b_imports[2] = import_desc("a", "mem", KILN_KIND_MEMORY, 0);
    b_imports[2].limits.min = 1;
    b_imports[3] = import_desc("a", "tab", KILN_KIND_TABLE, 0);
    b_imports[3].type = KILN_TYPE_FUNCREF;
    b_imports[3].limits.min = 2;
    b_imports[4] = import_desc("a", "g5", KILN_KIND_GLOBAL, 0);
    b_imports[4].type = KILN_TYPE_I32;
    b_imports[5] = import_desc("a", "gmut", KILN_KIND_GLOBAL, 1);
    b_imports[5].type = KILN_TYPE_I32;
    b_imports[5].mut = 1;
    b_tables[0] = (kiln_table_desc){.elem_type = KILN_TYPE_FUNCREF, .imported = 1};
    b_memories[0].imported = 1;
    b_globals[0] = (kiln_global_desc){.type = KILN_TYPE_I32, .imported = 1};
    b_globals[1] = (kiln_global_desc){.type = KILN_TYPE_I32, .mut = 1, .imported = 1};
    /* B's function 2 into A's table at 0; B's byte into A's memory at 100. */
    b_elem0[0] = rt_init_func(B_CALL_ADD1);
    b_elems[0] = (kiln_elem_desc){.mode = KILN_SEG_MODE_ACTIVE,
                                  .elem_type = KILN_TYPE_FUNCREF,
                                  .count = 1,
                                  .offset = rt_init_i32(0),
                                  .items.p = b_elem0};
    b_datas[0] = (kiln_data_desc){
        .mode = KILN_SEG_MODE_ACTIVE, .size = 1, .offset = rt_init_i32(100), .bytes.p = b_data0};
    m->type_count = 4;
    m->types.p = b_types;
    m->import_count = 6;
    m->imports.p = b_imports;
    m->func_count = B_FUNCS;
    m->func_import_count = 2;
    m->funcs.p = b_funcs;
    m->table_count = 1;
    m->tables.p = b_tables;
    m->memory_count = 1;
    m->memories.p = b_memories;
    m->global_count = 2;
    m->globals.p = b_globals;
    m->elem_count = 1;
    m->elems.p = b_elems;
    m->data_count = 1;
    m->datas.p = b_datas;
    rt_layout(m);
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
    assert_ptr_equal(vm->module.p, &mod_a);
    assert_ptr_equal(vm->instance.p, inst);
    assert_ptr_equal(kiln_instance_module(inst), &mod_a);
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

    kiln_instance_set_user(inst, &mod_a);
    assert_ptr_equal(kiln_instance_user(inst), &mod_a);
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
    assert_int_equal(kiln_instance_new(&mod_b, &list, &b), KILN_STATUS_OK);

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

/* A module with exactly one import of the given description (and nothing else). */
static kiln_status link_single(const kiln_import_desc *im, const kiln_functype_desc *ftype,
                               const kiln_extern *ext, const char *bind_name)
{
    static kiln_module_desc m;
    static kiln_import_desc imports[1];
    static kiln_functype_desc types[1];
    static kiln_func_desc funcs[1];
    static kiln_table_desc tables[1];
    static kiln_memory_desc memories[1];
    static kiln_global_desc globals[1];
    rt_module_init(&m);
    imports[0] = *im;
    m.import_count = 1;
    m.imports.p = imports;
    switch (im->kind) {
    case KILN_KIND_FUNC:
        types[0] = *ftype;
        funcs[0] = rt_func((void *)gen_adapter_add1, rt_entry_i_i, 0);
        m.type_count = 1;
        m.types.p = types;
        m.func_count = m.func_import_count = 1;
        m.funcs.p = funcs;
        break;
    case KILN_KIND_TABLE:
        tables[0] = (kiln_table_desc){.elem_type = im->type, .imported = 1, .limits = im->limits};
        m.table_count = 1;
        m.tables.p = tables;
        break;
    case KILN_KIND_MEMORY:
        memories[0] = (kiln_memory_desc){.imported = 1, .limits = im->limits};
        m.memory_count = 1;
        m.memories.p = memories;
        break;
    case KILN_KIND_GLOBAL:
        globals[0] = (kiln_global_desc){.type = im->type, .mut = im->mut, .imported = 1};
        m.global_count = 1;
        m.globals.p = globals;
        break;
    }
    rt_layout(&m);
    kiln_import item = {"m", bind_name, *ext};
    kiln_imports list = {&item, 1};
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new(&m, &list, &inst);
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
    kiln_import_desc f = import_desc("m", "x", KILN_KIND_FUNC, 0);
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
    kiln_import_desc m = import_desc("m", "x", KILN_KIND_MEMORY, 0);
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
    kiln_import_desc t = import_desc("m", "x", KILN_KIND_TABLE, 0);
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
    kiln_import_desc g = import_desc("m", "x", KILN_KIND_GLOBAL, 0);
    g.type = KILN_TYPE_I32;
    assert_int_equal(link_single(&g, NULL, &g5, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&g, NULL, &gmut, "x"), "global type");
    g.mut = 1;
    assert_int_equal(link_single(&g, NULL, &gmut, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&g, NULL, &g5, "x"), "global type");
    g.type = KILN_TYPE_I64;
    expect_link_error(link_single(&g, NULL, &gmut, "x"), "global type");
    kiln_global_cell cell = {.u.i64 = 9};
    kiln_extern hg = {.kind = KILN_KIND_GLOBAL, .of.global = {KILN_TYPE_I64, 1, &cell}};
    assert_int_equal(link_single(&g, NULL, &hg, "x"), KILN_STATUS_OK);
    expect_link_error(link_single(&g, NULL, &add1, "x"), "not a global");

    kiln_instance_free(a);
}

static void test_descriptor_errors(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = NULL;
    kiln_module_desc m = mod_a;
    m.abi_version = KILN_ABI_VERSION + 1;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ABI);
    m = mod_a;
    m.layout.funcrefs = m.layout.size - 8; /* funcrefs would run past the end */
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    assert_non_null(strstr(kiln_last_error(), "invalid module descriptor"));
    m = mod_a;
    m.layout.size = 40;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    m = mod_a;
    m.start = 99;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    m = mod_b; /* imports numbered out of order */
    kiln_import_desc imports[6];
    memcpy(imports, b_imports, sizeof imports);
    imports[1].index = 0;
    m.imports.p = imports;
    assert_int_equal(kiln_instance_new(&m, NULL, &inst), KILN_STATUS_ARG);
    assert_int_equal(kiln_instance_new(NULL, NULL, &inst), KILN_STATUS_ARG);
    assert_int_equal(kiln_instance_new(&mod_a, NULL, NULL), KILN_STATUS_ARG);
    /* Imports required but none given. */
    assert_int_equal(kiln_instance_new(&mod_b, NULL, &inst), KILN_STATUS_LINK);
    assert_non_null(strstr(kiln_last_error(), "unknown import: \"a\" \"add1\""));
    assert_null(inst);
}

/* ---- Segment traps and the start function ---- */

KILN_GEN static void gen_trap_start(kiln_vmctx *vm)
{
    kiln_trap_raise(vm, KILN_TRAP_UNREACHABLE);
}

/* A module importing A's table and memory, with the given segments and start. */
static kiln_status instantiate_segments(kiln_instance *a, kiln_elem_desc *elems,
                                        uint32_t elem_count, kiln_data_desc *datas,
                                        uint32_t data_count, bool trapping_start, kiln_trap *trap,
                                        kiln_pool *pool)
{
    static kiln_module_desc m;
    static kiln_import_desc imports[2];
    static kiln_functype_desc types[2];
    static kiln_func_desc funcs[2];
    static kiln_table_desc tables[1];
    static kiln_memory_desc memories[1];
    rt_module_init(&m);
    imports[0] = import_desc("a", "tab", KILN_KIND_TABLE, 0);
    imports[0].type = KILN_TYPE_FUNCREF;
    imports[1] = import_desc("a", "mem", KILN_KIND_MEMORY, 0);
    types[0] = rt_type(1, 1, rt_types_i_i);
    types[1] = rt_type(0, 0, NULL);
    funcs[0] = rt_func((void *)gen_add1, rt_entry_i_i, 0);
    funcs[1] = rt_func((void *)gen_trap_start, rt_entry_v_v, 1);
    tables[0] = (kiln_table_desc){.elem_type = KILN_TYPE_FUNCREF, .imported = 1};
    memories[0].imported = 1;
    m.import_count = 2;
    m.imports.p = imports;
    m.type_count = 2;
    m.types.p = types;
    m.func_count = 2;
    m.funcs.p = funcs;
    m.table_count = 1;
    m.tables.p = tables;
    m.memory_count = 1;
    m.memories.p = memories;
    m.elem_count = elem_count;
    m.elems.p = elems;
    m.data_count = data_count;
    m.datas.p = datas;
    m.start = trapping_start ? 1 : UINT32_MAX;
    rt_layout(&m);
    kiln_import items[2] = {{"a", "tab", {0}}, {"a", "mem", {0}}};
    assert_int_equal(kiln_instance_export(a, "tab", &items[0].value), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_export(a, "mem", &items[1].value), KILN_STATUS_OK);
    kiln_imports list = {items, 2};
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new_in(pool, &m, &list, &inst, trap);
    if (s == KILN_STATUS_OK)
        kiln_instance_free(inst);
    return s;
}

static kiln_elem_desc active_elem(int32_t offset, uint32_t count, const kiln_init_desc *items)
{
    return (kiln_elem_desc){.mode = KILN_SEG_MODE_ACTIVE,
                            .elem_type = KILN_TYPE_FUNCREF,
                            .count = count,
                            .offset = rt_init_i32(offset),
                            .items.p = (void *)(uintptr_t)items};
}

static kiln_data_desc active_data(int32_t offset, uint32_t size, const char *bytes)
{
    return (kiln_data_desc){.mode = KILN_SEG_MODE_ACTIVE,
                            .size = size,
                            .offset = rt_init_i32(offset),
                            .bytes.p = (void *)(uintptr_t)bytes};
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
    kiln_elem_desc e1[1] = {active_elem(4, 0, f0)};
    kiln_data_desc d1[1] = {active_data(65536, 0, "")};
    assert_int_equal(instantiate_segments(a, e1, 1, d1, 1, false, &trap, pool), KILN_STATUS_OK);
    e1[0] = active_elem(5, 0, f0);
    assert_int_equal(instantiate_segments(a, e1, 1, NULL, 0, false, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_TABLE_OOB);
    d1[0] = active_data(65537, 0, "");
    assert_int_equal(instantiate_segments(a, NULL, 0, d1, 1, false, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_MEMORY_OOB);
    assert_non_null(strstr(kiln_last_error(), "out of bounds memory access"));

    /* The spec's linking.wast: an element write before a failing segment stays, and the
     * function it stored stays callable although its instance failed; data segments after a
     * failing element segment are not applied. */
    elems[3] = NULL;
    mem[200] = 0;
    kiln_elem_desc e2[2] = {active_elem(3, 1, f0), active_elem(3, 2, f0)};
    kiln_data_desc d2[1] = {active_data(200, 1, "x")};
    assert_int_equal(instantiate_segments(a, e2, 2, d2, 1, false, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_TABLE_OOB);
    assert_non_null(elems[3]);
    assert_int_equal(mem[200], 0);
    kiln_val args[1] = {{.type = KILN_TYPE_I32, .of.i32 = 7}}, res[1];
    assert_int_equal(kiln_call(a, elems[3], args, 1, res, 1), KILN_TRAP_NONE);
    assert_int_equal(res[0].of.i32, 8);

    /* Data segments in order: the first lands, the second is out of bounds. */
    kiln_data_desc d3[3] = {active_data(200, 1, "x"), active_data(65535, 2, "yz"),
                            active_data(300, 1, "w")};
    assert_int_equal(instantiate_segments(a, NULL, 0, d3, 3, false, &trap, pool), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_MEMORY_OOB);
    assert_int_equal(mem[200], 'x');
    assert_int_equal(mem[65535], 0); /* nothing of the failing segment was written */
    assert_int_equal(mem[300], 0);

    /* A trapping start function. */
    assert_int_equal(instantiate_segments(a, NULL, 0, NULL, 0, true, &trap, pool),
                     KILN_STATUS_TRAP);
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
    assert_int_equal(kiln_instance_new_in(pool, &mod_a, NULL, &i1, &trap), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_new_in(pool, &mod_a, NULL, &i2, &trap), KILN_STATUS_OK);
    assert_int_equal(kiln_instance_new_in(pool, &mod_a, NULL, &i3, &trap),
                     KILN_STATUS_POOL_EXHAUSTED);

    /* Growth is capped by the pool (A declares max 4 pages, 8 elements). */
    assert_int_equal(kiln_memory_grow(i1->vmctx, 0, 1), 1);
    assert_int_equal(kiln_memory_grow(i1->vmctx, 0, 1), UINT32_MAX);
    assert_int_equal(kiln_table_grow(i1->vmctx, 0, NULL, 2), 4);
    assert_int_equal(kiln_table_grow(i1->vmctx, 0, NULL, 1), UINT32_MAX);

    /* A warm slot reuses its reservation, zeroed, and its block. */
    uint8_t *base = i1->vmctx->mem0_base.p;
    base[0] = 0xAB;
    base[65536 + 5] = 0xCD;
    kiln_instance_free(i1);
    assert_int_equal(kiln_instance_new_in(pool, &mod_a, NULL, &i3, &trap), KILN_STATUS_OK);
    if (sizeof(void *) >= 8)
        assert_ptr_equal(i3->vmctx->mem0_base.p, base);
    else /* bounds-checked memories (32-bit hosts) are not cached: a fresh one */
        base = i3->vmctx->mem0_base.p;
    assert_int_equal(base[0], 0);
    assert_int_equal(kiln_instance_memory(i3, 0)->size, 65536);
    assert_int_equal(kiln_memory_grow(i3->vmctx, 0, 1), 1);
    assert_int_equal(base[65536 + 5], 0);

    /* Modules over the pool's limits. */
    kiln_module_desc big = mod_a;
    kiln_memory_desc mem3[1] = {{.limits = {.min = 3}}};
    big.memories.p = mem3;
    kiln_instance_free(i3);
    assert_int_equal(kiln_instance_new_in(pool, &big, NULL, &i3, &trap), KILN_STATUS_LIMIT);
    big = mod_a;
    kiln_table_desc tab7[1] = {{.elem_type = KILN_TYPE_FUNCREF, .limits = {.min = 7}}};
    big.tables.p = tab7;
    assert_int_equal(kiln_instance_new_in(pool, &big, NULL, &i3, &trap), KILN_STATUS_LIMIT);
    /* The failures gave their slots back, and the cached reservation survived them. */
    assert_int_equal(kiln_instance_new_in(pool, &mod_a, NULL, &i3, &trap), KILN_STATUS_OK);
    if (sizeof(void *) >= 8)
        assert_ptr_equal(i3->vmctx->mem0_base.p, base);

    /* Freeing the pool with instances alive waits for the last one. */
    kiln_pool_free(pool);
    int32_t v = 0;
    assert_int_equal(rt_invoke_i(i2, A_READ16, 0, 0, 0, 0, &v), KILN_TRAP_NONE);
    assert_int_equal(v, 42);
    assert_int_equal(kiln_instance_new_in(pool, &mod_a, NULL, &i1, &trap), KILN_STATUS_ARG);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
