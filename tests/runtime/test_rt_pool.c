/* test_rt_pool.c -- module pools (kiln_module_pool_new / kiln_pool_instantiate).
 *
 * Module P stands for a small compiled module: one memory (1 page, max 4) with two active
 * data segments (the pool's prepared image) and a passive one, a mutable global, a table with
 * an active element segment, and functions that load, store, grow and read past the memory
 * the way generated code does (base + zext(address) + offset, no bounds check). The tests
 * check that a slot comes back exactly as a fresh instance after any use (memory zeroed and
 * shrunk back, globals and tables re-initialised), that slots are isolated from each other
 * even at the farthest address generated code can form, the status codes (exhausted, limits,
 * wrong module), per-instance imports with segments that cannot be pre-laid out, zombies,
 * large memories reset by residency, data images (every byte of a reset slot, for a one-page
 * and a 1 MiB image, mapped or copied, written pages known or not; a trap before the data
 * segments), threads, and 10,000 live instances in one process.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rt_test.h"

/* ---- Module P ---- */

enum { P_LOAD, P_STORE, P_GROW, P_GGET, P_GSET, P_TGROW, P_FAR_LOAD, P_FAR_STORE, P_FUNCS };

/* i32.load (address) */
KILN_GEN static int32_t gen_load(kiln_vmctx *vm, int32_t addr)
{
    int32_t v;
    memcpy(&v, (uint8_t *)vm->mem0_base.p + (uint32_t)addr, 4);
    return v;
}

/* i32.store (address, value); returns the old value */
KILN_GEN static int32_t gen_store(kiln_vmctx *vm, int32_t addr, int32_t value)
{
    int32_t old;
    uint8_t *p = (uint8_t *)vm->mem0_base.p + (uint32_t)addr;
    memcpy(&old, p, 4);
    memcpy(p, &value, 4);
    return old;
}

KILN_GEN static int32_t gen_grow(kiln_vmctx *vm, int32_t delta)
{
    return (int32_t)kiln_memory_grow(vm, 0, (uint32_t)delta);
}

KILN_GEN static int32_t gen_gget(kiln_vmctx *vm)
{
    return kiln_vm_global_cells(vm)[1].u.i32;
}

KILN_GEN static int32_t gen_gset(kiln_vmctx *vm, int32_t v)
{
    int32_t old = kiln_vm_global_cells(vm)[1].u.i32;
    kiln_vm_global_cells(vm)[1].u.i32 = v;
    return old;
}

KILN_GEN static int32_t gen_tgrow(kiln_vmctx *vm, int32_t delta)
{
    return (int32_t)kiln_table_grow(vm, 0, NULL, (uint32_t)delta);
}

/* The farthest reach of generated code: i32.load offset=0xFFFFFFFF of address addr. */
KILN_GEN static int32_t gen_far_load(kiln_vmctx *vm, int32_t addr)
{
    volatile uint8_t *p = (uint8_t *)vm->mem0_base.p + (uint64_t)(uint32_t)addr + 0xFFFFFFFFull;
    return p[0];
}

/* i64.store offset=0xFFFFFFFF: the last byte written would be base + 8 GiB + 5 */
KILN_GEN static int32_t gen_far_store(kiln_vmctx *vm, int32_t addr, int32_t value)
{
    volatile uint64_t *p = (volatile uint64_t *)((uint8_t *)vm->mem0_base.p +
                                                 (uint64_t)(uint32_t)addr + 0xFFFFFFFFull);
    *p = (uint64_t)(uint32_t)value * 0x0101010101010101ull;
    return 0;
}

static const uint8_t types_v_i[1] = {KILN_TYPE_I32};

static desc_builder p_desc;
static kiln_module_desc *mod_p;
static uint8_t p_data1[1024];

static void build_p(void)
{
    desc_builder *m = &p_desc;
    desc_begin(m, "p");
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_ii_i = desc_type(m, 2, 1, rt_types_ii_i);
    uint32_t t_v_i = desc_type(m, 0, 1, types_v_i);
    desc_func(m, (void *)gen_load, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_store, rt_entry_ii_i, t_ii_i);
    desc_func(m, (void *)gen_grow, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_gget, rt_entry_v_i, t_v_i);
    desc_func(m, (void *)gen_gset, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_tgrow, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_far_load, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_far_store, rt_entry_ii_i, t_ii_i);
    desc_table(m, KILN_TYPE_FUNCREF, rt_limits_max(4, 8));
    desc_memory(m, rt_limits_max(1, 4));
    desc_global(m, KILN_TYPE_I32, false, rt_init_i32(5));
    desc_global(m, KILN_TYPE_I32, true, rt_init_i32(7));
    desc_export(m, "load", KILN_KIND_FUNC, P_LOAD);
    desc_export(m, "mem", KILN_KIND_MEMORY, 0);
    desc_active_elem(m, rt_init_i32(1), 3,
                     (kiln_init_desc[]){rt_init_func(P_LOAD), rt_init_null(KILN_TYPE_FUNCREF),
                                        rt_init_func(P_STORE)});
    for (size_t i = 0; i < sizeof p_data1; i++)
        p_data1[i] = (uint8_t)(i * 7 + 1);
    desc_active_data(m, rt_init_i32(100), "pool", 4);
    desc_passive_data(m, "passive", 7);
    desc_active_data(m, rt_init_i32(102), p_data1, sizeof p_data1); /* overlaps: later wins */
    mod_p = desc_end(m);
}

static int32_t call1(kiln_instance *inst, uint32_t func, int32_t a)
{
    int32_t r = -1;
    assert_int_equal(rt_invoke_i(inst, func, 1, a, 0, 0, &r), KILN_TRAP_NONE);
    return r;
}

static int32_t call2(kiln_instance *inst, uint32_t func, int32_t a, int32_t b)
{
    int32_t r = -1;
    assert_int_equal(rt_invoke_i(inst, func, 2, a, b, 0, &r), KILN_TRAP_NONE);
    return r;
}

/* Everything a fresh instance of P must look like. */
static void assert_fresh_p(kiln_instance *inst)
{
    kiln_vmctx *vm = inst->vmctx;
    const uint8_t *mem = vm->mem0_base.p;
    assert_int_equal(kiln_instance_memory(inst, 0)->size, 65536);
    assert_memory_equal(mem + 100, "po", 2);
    assert_memory_equal(mem + 102, p_data1, sizeof p_data1);
    for (uint32_t i = 0; i < 65536; i++)
        if (i < 100 || i >= 102 + sizeof p_data1)
            assert_int_equal(mem[i], 0);
    assert_int_equal(kiln_vm_global_cells(vm)[0].u.i32, 5);
    assert_int_equal(call1(inst, P_GGET, 0), 7);
    kiln_table *tab = kiln_vm_tables(vm)[0].p;
    assert_int_equal(tab->size, 4);
    void **elems = tab->elems.p;
    assert_null(elems[0]);
    assert_ptr_equal(elems[1], kiln_instance_funcref(inst, P_LOAD));
    assert_null(elems[2]);
    assert_ptr_equal(elems[3], kiln_instance_funcref(inst, P_STORE));
    const uint8_t *data_dropped = kiln_vm_data_dropped(vm);
    assert_int_equal(data_dropped[0], 1);
    assert_int_equal(data_dropped[1], 0);
    assert_int_equal(data_dropped[2], 1);
    assert_int_equal(kiln_vm_elem_dropped(vm)[0], 1);
    assert_int_equal(vm->stack_limit, 0);
    assert_int_equal(vm->interrupt, 0);
    assert_null(kiln_instance_user(inst));
}

static void test_instantiate_reset_and_reuse(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 2, .max_memory_pages = 3};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(mod_p, &cfg, &pool), KILN_STATUS_OK);
    assert_ptr_equal(kiln_pool_module(pool), mod_p);
    kiln_instance *a = NULL, *b = NULL, *c = NULL;
    kiln_trap trap = KILN_TRAP_HOST;
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &a, &trap), KILN_STATUS_OK);
    assert_int_equal(trap, KILN_TRAP_NONE);
    assert_fresh_p(a);
    assert_ptr_equal(kiln_instance_module(a), mod_p);

    /* Use everything: memory (and grow it), the global, the table (grown onto the heap). */
    uint8_t *base = a->vmctx->mem0_base.p;
    kiln_vmctx *vm = a->vmctx;
    assert_int_equal(call2(a, P_STORE, 0, 0x11223344), 0);
    assert_int_equal(call2(a, P_STORE, 40000, -1), 0);
    assert_int_equal(call2(a, P_STORE, 65532, 9), 0);
    assert_int_equal(call1(a, P_GROW, 1), 1);
    assert_int_equal(call1(a, P_GROW, 1), 2);
    assert_int_equal(call1(a, P_GROW, 1), -1); /* pool limit: 3 pages (module max 4) */
    assert_int_equal(call2(a, P_STORE, 65536 + 10, 77), 0);
    assert_int_equal(call2(a, P_STORE, 3 * 65536 - 4, 78), 0);
    assert_int_equal(call1(a, P_GSET, 99), 7);
    assert_int_equal(call1(a, P_TGROW, 3), 4);
    kiln_table *tab = kiln_vm_tables(vm)[0].p;
    assert_int_equal(tab->size, 7);
    assert_ptr_equal(((void **)tab->elems.p)[1], kiln_instance_funcref(a, P_LOAD));
    assert_int_equal(call1(a, P_TGROW, 2), -1); /* module max 8 */
    kiln_instance_set_user(a, a);
    kiln_instance_free(a);

    /* The same slot (the free list is LIFO), exactly as fresh. */
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &b, &trap), KILN_STATUS_OK);
    assert_ptr_equal(b, a);
    assert_ptr_equal(b->vmctx->mem0_base.p, base);
    assert_fresh_p(b);
    int32_t v = 0;
    assert_int_equal(rt_invoke_i(b, P_LOAD, 1, 65536 + 10, 0, 0, &v), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call1(b, P_GROW, 2), 1);
    assert_int_equal(call1(b, P_LOAD, 65536 + 10), 0);
    assert_int_equal(call1(b, P_LOAD, 3 * 65536 - 4), 0);

    /* A second slot is 8 GiB away; a third is not there. */
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &c, &trap), KILN_STATUS_OK);
    uintptr_t bb = (uintptr_t)b->vmctx->mem0_base.p, cb = (uintptr_t)c->vmctx->mem0_base.p;
    assert_true((bb > cb ? bb - cb : cb - bb) >= KILN_MEMORY_RESERVATION);
    assert_fresh_p(c);
    kiln_instance *d = NULL;
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &d, &trap), KILN_STATUS_POOL_EXHAUSTED);
    assert_null(d);
    assert_non_null(strstr(kiln_last_error(), "all 2 slots"));
    assert_string_equal(kiln_status_message(KILN_STATUS_POOL_EXHAUSTED), "pool exhausted");

    /* kiln_instance_new_in on a module pool: only its module. */
    kiln_instance_free(c);
    kiln_module_desc other = *mod_p;
    assert_int_equal(kiln_instance_new_in(pool, &other, NULL, &d, &trap), KILN_STATUS_ARG);
    assert_non_null(strstr(kiln_last_error(), "created for module \"p\""));
    assert_int_equal(kiln_instance_new_in(pool, mod_p, NULL, &d, &trap), KILN_STATUS_OK);
    assert_ptr_equal(d, c);
    assert_fresh_p(d);

    /* Freeing the pool with instances alive waits for the last one. */
    kiln_pool_free(pool);
    assert_int_equal(call1(b, P_LOAD, 102), *(const int32_t *)(const void *)p_data1);
    kiln_instance_free(d);
    kiln_instance_free(b); /* the pool goes with it (LSan would see a leak) */
}

static void test_statuses_and_limits(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 1};
    kiln_pool *pool = NULL;
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_module_pool_new(NULL, &cfg, &pool), KILN_STATUS_ARG);
    assert_int_equal(kiln_module_pool_new(mod_p, NULL, &pool), KILN_STATUS_ARG);
    assert_int_equal(kiln_module_pool_new(mod_p, &cfg, NULL), KILN_STATUS_ARG);
    kiln_pool_config zero = {.slots = 0};
    assert_int_equal(kiln_module_pool_new(mod_p, &zero, &pool), KILN_STATUS_ARG);
    assert_int_equal(kiln_pool_instantiate(NULL, NULL, &inst, NULL), KILN_STATUS_ARG);
    assert_null(kiln_pool_module(NULL));

    kiln_module_desc bad = *mod_p;
    bad.abi_version = KILN_ABI_VERSION + 1;
    assert_int_equal(kiln_module_pool_new(&bad, &cfg, &pool), KILN_STATUS_ABI);
    bad = *mod_p;
    bad.start = P_FUNCS; /* checked once, at pool creation */
    assert_int_equal(kiln_module_pool_new(&bad, &cfg, &pool), KILN_STATUS_ARG);
    assert_non_null(strstr(kiln_last_error(), "start function"));

    /* The module's initial sizes against the pool's limits. */
    kiln_pool_config small = {.slots = 1, .max_memory_pages = 1, .max_table_elems = 3};
    assert_int_equal(kiln_module_pool_new(mod_p, &small, &pool), KILN_STATUS_LIMIT);
    assert_non_null(strstr(kiln_last_error(), "table of 4 elements"));
    small.max_table_elems = 4;
    assert_int_equal(kiln_module_pool_new(mod_p, &small, &pool), KILN_STATUS_OK);
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst, NULL), KILN_STATUS_OK);
    assert_int_equal(call1(inst, P_GROW, 1), -1);
    assert_int_equal(call1(inst, P_TGROW, 1), -1);
    kiln_instance_free(inst);
    kiln_pool_free(pool);
    kiln_memory_desc mem2[1] = {{.limits = {.min = 2, .max = 4, .has_max = 1}}};
    bad = *mod_p;
    bad.memories.p = mem2;
    small.max_memory_pages = 1;
    assert_int_equal(kiln_module_pool_new(&bad, &small, &pool), KILN_STATUS_LIMIT);
    assert_non_null(strstr(kiln_last_error(), "memory of 2 pages"));

    /* Address space: 20,000 guarded memories (160 TiB) cannot fit in 47 bits. */
    kiln_pool_config huge = {.slots = 20000};
    assert_int_equal(kiln_module_pool_new(mod_p, &huge, &pool), KILN_STATUS_NOMEM);
    assert_non_null(strstr(kiln_last_error(), "cannot reserve address space"));

    /* A pool of any module is not a module pool. */
    assert_int_equal(kiln_pool_new(&cfg, &pool), KILN_STATUS_OK);
    assert_null(kiln_pool_module(pool));
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst, NULL), KILN_STATUS_ARG);
    assert_non_null(strstr(kiln_last_error(), "not a module pool"));
    kiln_pool_free(pool);
}

/* ---- Guard regions between slots ---- */

static void test_slots_cannot_reach_each_other(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 3};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(mod_p, &cfg, &pool), KILN_STATUS_OK);
    kiln_instance *inst[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst[i], NULL), KILN_STATUS_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(call2(inst[i], P_STORE, 0, 1000 + i), 0);
    /* Every instance tries the farthest load and store generated code can form; each
     * faults in its own guard region, and no other slot's memory changes. */
    for (int i = 0; i < 3; i++) {
        int32_t v = 0;
        assert_int_equal(rt_invoke_i(inst[i], P_FAR_LOAD, 1, -1, 0, 0, &v), KILN_TRAP_MEMORY_OOB);
        assert_int_equal(rt_invoke_i(inst[i], P_FAR_STORE, 2, -1, 0x5A, 0, &v),
                         KILN_TRAP_MEMORY_OOB);
        assert_int_equal(rt_invoke_i(inst[i], P_FAR_STORE, 2, -9, 0x5A, 0, &v),
                         KILN_TRAP_MEMORY_OOB);
        assert_int_equal(rt_invoke_i(inst[i], P_FAR_LOAD, 1, 0, 0, 0, &v), KILN_TRAP_MEMORY_OOB);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(call2(inst[i], P_STORE, 0, 0), 1000 + i);
        assert_fresh_p(inst[i]);
    }
    for (int i = 0; i < 3; i++)
        kiln_instance_free(inst[i]);
    kiln_pool_free(pool);
}

/* ---- Module Q: imports, and data that cannot be pre-laid out ---- */

enum { Q_TWICE, Q_CALL_TWICE, Q_LOAD, Q_FUNCS };

KILN_GEN static int32_t gen_adapter_twice(kiln_vmctx *vm, int32_t x)
{
    uint64_t ar[2] = {0, 0};
    memcpy(ar, &x, 4);
    kiln_host_call(vm, Q_TWICE, ar);
    memcpy(&x, ar, 4);
    return x;
}

KILN_GEN static int32_t gen_call_twice(kiln_vmctx *vm, int32_t x)
{
    kiln_import_slot *slot = &kiln_vm_imports(vm)[Q_TWICE];
    return ((rt_fn_i_i)slot->code.p)(slot->vmctx.p, x) + 1;
}

static kiln_trap host_times(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *results)
{
    (void)caller;
    results[0].of.i32 = args[0].of.i32 * *(const int32_t *)env;
    return KILN_TRAP_NONE;
}

static desc_builder q_desc;
static kiln_module_desc *mod_q;
static char q_data0[] = "abcd";

static void build_q(void)
{
    desc_builder *m = &q_desc;
    desc_begin(m, "test");
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    desc_import_func(m, "env", "times", t_i_i, (void *)gen_adapter_twice, rt_entry_i_i);
    desc_import_global(m, "env", "offset", KILN_TYPE_I32, false);
    desc_func(m, (void *)gen_call_twice, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_load, rt_entry_i_i, t_i_i);
    desc_memory(m, rt_limits(1));
    /* Data at an imported offset: applied per instance, with the bounds check. */
    desc_active_data(m, rt_init_global(KILN_TYPE_I32, 0), q_data0, 4);
    mod_q = desc_end(m);
}

static kiln_status instantiate_q(kiln_pool *pool, int32_t *factor, kiln_global_cell *offset,
                                 kiln_instance **out, kiln_trap *trap)
{
    static const uint8_t i32[1] = {KILN_TYPE_I32};
    static kiln_host_func times[4];
    static int next;
    kiln_host_func *h = &times[next++ % 4];
    *h = (kiln_host_func){host_times, factor, 1, 1, i32, i32};
    kiln_import items[2] = {{"env", "times", {.kind = KILN_KIND_HOST_FUNC, .of.host = h}},
                            {"env", "offset", {.kind = KILN_KIND_GLOBAL}}};
    items[1].value.of.global = (kiln_host_global){KILN_TYPE_I32, 0, offset, 0};
    kiln_imports list = {items, 2};
    return kiln_pool_instantiate(pool, &list, out, trap);
}

static void test_imports_per_instance(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 2};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(mod_q, &cfg, &pool), KILN_STATUS_OK);
    int32_t three = 3, five = 5;
    kiln_global_cell at200 = {.u.i32 = 200}, at300 = {.u.i32 = 300}, past = {.u.i32 = 65533};
    kiln_instance *a = NULL, *b = NULL, *c = NULL;
    kiln_trap trap;
    assert_int_equal(instantiate_q(pool, &three, &at200, &a, &trap), KILN_STATUS_OK);
    assert_int_equal(instantiate_q(pool, &five, &at300, &b, &trap), KILN_STATUS_OK);
    assert_int_equal(call1(a, Q_CALL_TWICE, 10), 31);
    assert_int_equal(call1(b, Q_CALL_TWICE, 10), 51);
    assert_int_equal(call1(a, Q_LOAD, 200), *(const int32_t *)(const void *)q_data0);
    assert_int_equal(call1(b, Q_LOAD, 300), *(const int32_t *)(const void *)q_data0);
    assert_int_equal(call1(a, Q_LOAD, 300), 0);
    assert_int_equal(instantiate_q(pool, &five, &at300, &c, &trap), KILN_STATUS_POOL_EXHAUSTED);
    kiln_instance_free(a);

    /* A segment out of bounds traps; the slot comes back (nothing escaped). */
    assert_int_equal(instantiate_q(pool, &five, &past, &c, &trap), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_MEMORY_OOB);
    assert_int_equal(pool->zombies, 0);
    /* Linking errors give the slot back too. */
    kiln_imports none = {NULL, 0};
    assert_int_equal(kiln_pool_instantiate(pool, &none, &c, &trap), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(),
                        "unknown imports: \"env\" \"times\", \"env\" \"offset\"");
    assert_int_equal(instantiate_q(pool, &three, &at300, &c, &trap), KILN_STATUS_OK);
    assert_int_equal(call1(c, Q_LOAD, 200), 0); /* the previous instance's data is gone */
    assert_int_equal(call1(c, Q_LOAD, 300), *(const int32_t *)(const void *)q_data0);
    assert_int_equal(call1(c, Q_CALL_TWICE, 1), 4);
    kiln_instance_free(b);
    kiln_instance_free(c);
    kiln_pool_free(pool);
}

/* ---- Zombies: a start function that traps after publishing nothing still counts ---- */

KILN_GEN static void gen_trap_start(kiln_vmctx *vm)
{
    kiln_trap_raise(vm, KILN_TRAP_UNREACHABLE);
}

static void test_trapping_start_keeps_a_zombie(void **state)
{
    (void)state;
    rt_arm();
    static desc_builder z;
    z = p_desc; /* module P, and a start function that traps */
    uint32_t t_v_v = desc_type(&z, 0, 0, NULL);
    desc_start(&z, desc_func(&z, (void *)gen_trap_start, rt_entry_v_v, t_v_v));
    kiln_module_desc *m = desc_end(&z);
    kiln_pool_config cfg = {.slots = 2};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(m, &cfg, &pool), KILN_STATUS_OK);
    kiln_instance *inst = NULL;
    kiln_trap trap = KILN_TRAP_NONE;
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst, &trap), KILN_STATUS_TRAP);
    assert_int_equal(trap, KILN_TRAP_UNREACHABLE);
    assert_null(inst);
    assert_int_equal(pool->zombies, 1);
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst, &trap), KILN_STATUS_TRAP);
    assert_int_equal(pool->zombies, 2);
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst, &trap), KILN_STATUS_POOL_EXHAUSTED);
    kiln_pool_free(pool); /* frees the zombies */
}

/* ---- Memories above KILN_POOL_MEMSET_MAX: reset by what is resident ---- */

static void test_large_memory_reset_by_residency(void **state)
{
    (void)state;
    rt_arm();
    static kiln_module_desc m;
    static kiln_memory_desc mem[1];
    m = *mod_p;
    mem[0].limits = (kiln_limits_desc){.min = 8, .max = 9, .has_max = 1}; /* 512 KiB */
    m.memories.p = mem;
    kiln_pool_config cfg = {.slots = 1};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(&m, &cfg, &pool), KILN_STATUS_OK);
    for (int round = 0; round < 4; round++) {
        kiln_instance *inst = NULL;
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst, NULL), KILN_STATUS_OK);
        uint8_t *base = inst->vmctx->mem0_base.p;
        for (uint32_t i = 0; i < 8 * 65536; i += 4096)
            if (i < 100 || i >= 102 + sizeof p_data1)
                assert_int_equal(base[i] | base[i + 4095], 0);
        assert_memory_equal(base + 102, p_data1, sizeof p_data1);
        assert_int_equal(kiln_instance_memory(inst, 0)->size, 8 * 65536);
        if (round % 2 == 0) {
            /* A few scattered pages. */
            assert_int_equal(call2(inst, P_STORE, 3 * 65536 + 8, 1), 0);
            assert_int_equal(call2(inst, P_STORE, 8 * 65536 - 4, 2), 0);
        } else {
            /* Everything: one resident run longer than KILN_POOL_MEMSET_MAX. */
            memset(base, 0xEE, 8 * 65536);
        }
        kiln_instance_free(inst);
    }
    kiln_pool_free(pool);
}

/* ---- Data images: a reset slot is a fresh one, byte for byte ----
 *
 * Module S: one page (max 3) with four 1 KiB data segments spread over it. Module L: 18
 * pages (max 20) with 1 MiB of data from offset 1000 and a segment across its first page
 * boundary (later wins), so that its image file covers 17 pages and the last page is
 * anonymous memory. Both have P's load, store and grow. Every way of resetting is tried:
 * the image mapped copy-on-write or copied, written pages found by the kernel or not
 * (kiln_os_without). */

enum { IMG_LOAD, IMG_STORE, IMG_GROW, IMG_FUNCS };

typedef struct image_module {
    desc_builder desc;
    kiln_module_desc *m;
    uint32_t pages;
    uint8_t *fresh; /* pages * 64 KiB: what a fresh instance's memory 0 holds */
} image_module;

static image_module img_s, img_l;
static uint8_t s_data[4][1024];
static uint8_t *l_data; /* 1 MiB */
static uint8_t l_patch[100];

static void image_funcs(desc_builder *m)
{
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_ii_i = desc_type(m, 2, 1, rt_types_ii_i);
    desc_func(m, (void *)gen_load, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_store, rt_entry_ii_i, t_ii_i);
    desc_func(m, (void *)gen_grow, rt_entry_i_i, t_i_i);
}

/* Appends an active data segment to im at offset and lays it into im->fresh. */
static void image_data(image_module *im, uint32_t offset, const uint8_t *bytes, uint32_t size)
{
    desc_active_data(&im->desc, rt_init_i32((int32_t)offset), bytes, size);
    memcpy(im->fresh + offset, bytes, size);
}

static void build_images(void)
{
    image_module *s = &img_s;
    desc_begin(&s->desc, "s");
    image_funcs(&s->desc);
    desc_memory(&s->desc, rt_limits_max(1, 3));
    s->pages = 1;
    s->fresh = calloc(1, 65536);
    assert_non_null(s->fresh);
    for (uint32_t k = 0; k < 4; k++) {
        for (uint32_t i = 0; i < sizeof s_data[k]; i++)
            s_data[k][i] = (uint8_t)(i * 13 + k * 5 + 1);
        image_data(s, 1024 + k * 16384, s_data[k], sizeof s_data[k]);
    }
    s->m = desc_end(&s->desc);

    image_module *l = &img_l;
    desc_begin(&l->desc, "l");
    image_funcs(&l->desc);
    desc_memory(&l->desc, rt_limits_max(18, 20));
    l->pages = 18;
    l->fresh = calloc(18, 65536);
    l_data = malloc(1u << 20);
    assert_non_null(l->fresh);
    assert_non_null(l_data);
    uint32_t x = 12345;
    for (uint32_t i = 0; i < 1u << 20; i++) {
        x = x * 1664525u + 1013904223u;
        l_data[i] = (uint8_t)((x >> 24) | 1); /* never zero: a lost byte shows */
    }
    memset(l_patch, 0xA5, sizeof l_patch);
    image_data(l, 1000, l_data, 1u << 20);
    image_data(l, 4090, l_patch, sizeof l_patch);
    l->m = desc_end(&l->desc);
}

/* Every byte of memory 0 as a fresh instance has it, at the initial size, and nothing past. */
static void assert_fresh_memory(kiln_instance *inst, const image_module *im)
{
    kiln_memory *mem = kiln_instance_memory(inst, 0);
    size_t size = (size_t)im->pages * 65536;
    assert_int_equal(mem->size, size);
    const uint8_t *base = mem->base.p;
    if (memcmp(base, im->fresh, size) != 0)
        for (size_t i = 0; i < size; i++)
            if (base[i] != im->fresh[i])
                fail_msg("byte %zu of a fresh instance is 0x%02x, not 0x%02x", i, base[i],
                         im->fresh[i]);
    int32_t v = 0;
    assert_int_equal(rt_invoke_i(inst, IMG_LOAD, 1, (int32_t)size, 0, 0, &v), KILN_TRAP_MEMORY_OOB);
}

/* Writes where an instance can: image bytes (the first, the last, between segments), zero
 * bytes in the image file's pages and in anonymous pages past it, in odd rounds a run longer
 * than KILN_POOL_MEMSET_MAX (or the whole memory when smaller), and the pages memory.grow
 * adds. */
static void scribble(kiln_instance *inst, const image_module *im, int round)
{
    uint32_t size = im->pages * 65536;
    uint8_t *base = kiln_instance_memory(inst, 0)->base.p;
    const uint32_t at[] = {0, 1000, 1024, 4092, 17000, 50000, size / 2, size - 4096 - 3, size - 4};
    for (size_t i = 0; i < KILN_ARRAY_LEN(at); i++)
        call2(inst, IMG_STORE, (int32_t)at[i], (int32_t)(0x5EED0000u + (uint32_t)round));
    if (round % 2) {
        uint32_t run = size > 2 * KILN_POOL_MEMSET_MAX ? 2 * (uint32_t)KILN_POOL_MEMSET_MAX : size;
        memset(base, 0xEE, run);
        memset(base + size - run, 0xDD, run);
    }
    assert_int_equal(call1(inst, IMG_GROW, 2), (int32_t)im->pages);
    assert_int_equal(call2(inst, IMG_STORE, (int32_t)size + 10, 77), 0);
    assert_int_equal(call2(inst, IMG_STORE, (int32_t)(size + 2 * 65536 - 4), 78), 0);
}

static const char *without_name(unsigned without)
{
    static const char *names[] = {"mapped, written pages known", "mapped, written pages unknown",
                                  "copied, written pages known", "copied, written pages unknown"};
    return names[without & 3u];
}

static void check_resets(const image_module *im)
{
    static _Alignas(65536) uint8_t page[65536];
    kiln_os_run run;
    size_t count;
    void *next;
    print_message("# this kernel %s which pages were written\n",
                  kiln_os_written(page, sizeof page, &run, 1, &count, &next) ? "says"
                                                                             : "cannot say");
    for (unsigned without = 0; without < 4; without++) {
        kiln_os_without = without;
        kiln_pool_config cfg = {.slots = 2};
        kiln_pool *pool = NULL;
        assert_int_equal(kiln_module_pool_new(im->m, &cfg, &pool), KILN_STATUS_OK);
        /* More rounds than KILN_POOL_WARM_RESETS: cold slots, then warm ones. */
        for (int round = 0; round < (int)KILN_POOL_WARM_RESETS + 3; round++) {
            kiln_instance *a = NULL, *b = NULL;
            assert_int_equal(kiln_pool_instantiate(pool, NULL, &a, NULL), KILN_STATUS_OK);
            assert_int_equal(a->slot, 0); /* LIFO: always the same slot */
            assert_int_equal(pool->slots[0].mapped, !(without & KILN_OS_NO_IMAGE));
            assert_fresh_memory(a, im);
            scribble(a, im, round);
            /* The other slot maps the same image: it must not see a's writes. */
            assert_int_equal(kiln_pool_instantiate(pool, NULL, &b, NULL), KILN_STATUS_OK);
            assert_fresh_memory(b, im);
            if (round % 3 == 0)
                scribble(b, im, round + 1);
            kiln_instance_free(b);
            kiln_instance_free(a);
        }
        kiln_pool_free(pool);
        print_message("# module %s: reset %s\n", (const char *)im->desc.m.name.ptr.p,
                      without_name(without));
    }
    kiln_os_without = 0;
}

static void test_reset_restores_small_image(void **state)
{
    (void)state;
    rt_arm();
    check_resets(&img_s);
}

static void test_reset_restores_1mib_image(void **state)
{
    (void)state;
    rt_arm();
    check_resets(&img_l);
}

/* An element segment traps before the data segments run. The slot's memory holds the image
 * already: a zombie (its references may have escaped through an imported table) must show
 * zeros there, and a slot given back must be fresh for the next instance. */
static void test_trap_before_data(void **state)
{
    (void)state;
    rt_arm();
    for (int imported_table = 0; imported_table < 2; imported_table++) {
        static desc_builder t;
        t = img_s.desc; /* S and its data */
        uint32_t at = desc_import_global(&t, "env", "at", KILN_TYPE_I32, false);
        if (imported_table)
            desc_import_table(&t, "env", "tab", KILN_TYPE_FUNCREF, rt_limits(2));
        else
            desc_table(&t, KILN_TYPE_FUNCREF, rt_limits(2));
        kiln_init_desc item = rt_init_func(IMG_LOAD);
        desc_active_elem(&t, rt_init_global(KILN_TYPE_I32, at), 1, &item);
        kiln_module_desc *m = desc_end(&t);
        kiln_table *tab = NULL;
        assert_int_equal(kiln_table_new(KILN_TYPE_FUNCREF, 2, UINT64_MAX, &tab), KILN_STATUS_OK);
        kiln_global_cell offset = {.u.i32 = 1};
        kiln_import items[2] = {{"env", "at", {.kind = KILN_KIND_GLOBAL}},
                                {"env", "tab", {.kind = KILN_KIND_TABLE, .of.table = tab}}};
        items[0].value.of.global = (kiln_host_global){KILN_TYPE_I32, 0, &offset, 0};
        kiln_imports list = {items, imported_table ? 2u : 1u};
        kiln_pool_config cfg = {.slots = 1};
        kiln_pool *pool = NULL;
        assert_int_equal(kiln_module_pool_new(m, &cfg, &pool), KILN_STATUS_OK);
        kiln_instance *inst = NULL;
        kiln_trap trap = KILN_TRAP_NONE;
        assert_int_equal(kiln_pool_instantiate(pool, &list, &inst, &trap), KILN_STATUS_OK);
        assert_fresh_memory(inst, &img_s);
        scribble(inst, &img_s, 1);
        kiln_instance_free(inst);
        offset.u.i32 = 2; /* one element at 2 of a 2-element table */
        assert_int_equal(kiln_pool_instantiate(pool, &list, &inst, &trap), KILN_STATUS_TRAP);
        assert_int_equal(trap, KILN_TRAP_TABLE_OOB);
        if (imported_table) {
            assert_int_equal(pool->zombies, 1);
            const uint8_t *mem = pool->slots[0].inst->memories[0]->pub.base.p;
            for (uint32_t i = 0; i < 65536; i++)
                assert_int_equal(mem[i], 0);
        } else {
            offset.u.i32 = 1;
            assert_int_equal(kiln_pool_instantiate(pool, &list, &inst, &trap), KILN_STATUS_OK);
            assert_fresh_memory(inst, &img_s);
            kiln_instance_free(inst);
        }
        kiln_pool_free(pool);
        kiln_table_free(tab);
    }
}

/* ---- Bounds-checked modules: slots only as large as the memory can grow ---- */

static void test_bounds_checked_slots_are_small(void **state)
{
    (void)state;
    rt_arm();
    static kiln_module_desc m;
    m = *mod_p;
    m.flags |= KILN_MODULE_BOUNDS_CHECKED;
    kiln_pool_config cfg = {.slots = 3, .max_memory_pages = 2};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(&m, &cfg, &pool), KILN_STATUS_OK);
    kiln_instance *inst[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst[i], NULL), KILN_STATUS_OK);
    /* Growth limit 2 pages (the pool's cap below the module's maximum of 4): 128 KiB apart. */
    for (int i = 1; i < 3; i++)
        assert_int_equal((uintptr_t)inst[i]->vmctx->mem0_base.p -
                             (uintptr_t)inst[i - 1]->vmctx->mem0_base.p,
                         2 * 65536);
    assert_int_equal(kiln_instance_memory(inst[0], 0)->reserved, 2 * 65536);
    assert_int_equal(call1(inst[0], P_GROW, 1), 1);
    assert_int_equal(call1(inst[0], P_GROW, 1), -1);
    assert_int_equal(call2(inst[0], P_STORE, 65536 + 8, 5), 0);
    assert_int_equal(call1(inst[1], P_LOAD, 8), 0);
    kiln_instance_free(inst[0]);
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst[0], NULL), KILN_STATUS_OK);
    assert_fresh_p(inst[0]);
    assert_int_equal(call1(inst[0], P_GROW, 1), 1);
    assert_int_equal(call1(inst[0], P_LOAD, 65536 + 8), 0);
    for (int i = 0; i < 3; i++)
        kiln_instance_free(inst[i]);
    kiln_pool_free(pool);
}

/* On 32-bit hosts a bounds-checked slot holds max(initial size, 16 MiB) when the growth limit
 * is larger, and a memory that outgrows its slot is copied out of it until the slot is reset
 * (memory.c). kiln_checked_reserve_max stands in for the 32-bit setting: 2 pages. */
static void test_bounds_checked_memory_outgrows_slot(void **state)
{
    (void)state;
    rt_arm();
    size_t saved = kiln_checked_reserve_max;
    kiln_checked_reserve_max = 2 * 65536;
    static kiln_module_desc m;
    m = *mod_p; /* memory: min 1, max 4 pages */
    m.flags |= KILN_MODULE_BOUNDS_CHECKED;
    kiln_pool_config cfg = {.slots = 2};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(&m, &cfg, &pool), KILN_STATUS_OK);
    kiln_instance *inst[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst[i], NULL), KILN_STATUS_OK);
    kiln_memory *mem = kiln_instance_memory(inst[0], 0);
    uint8_t *home = mem->base.p;
    uint8_t *other = kiln_instance_memory(inst[1], 0)->base.p;
    assert_int_equal(mem->reserved, 2 * 65536);
    assert_int_equal((uintptr_t)other - (uintptr_t)home, 2 * 65536);
    assert_int_equal(call1(inst[0], P_GROW, 1), 1); /* fits the slot */
    assert_ptr_equal(mem->base.p, home);
    home[65536 + 8] = 5;
    assert_int_equal(call1(inst[0], P_GROW, 1), 2); /* 3 pages: out of the slot */
    uint8_t *moved = mem->base.p;
    assert_ptr_not_equal(moved, home);
    assert_int_equal(mem->size, 3 * 65536);
    assert_int_equal(mem->reserved, 4 * 65536); /* doubled, at most the limit */
    assert_memory_equal(moved + 100, "po", 2);
    assert_int_equal(moved[65536 + 8], 5);
    assert_int_equal(moved[3 * 65536 - 1], 0);
    moved[3 * 65536 - 1] = 9;
    assert_int_equal(other[8], 0); /* the neighbour slot is untouched */
    assert_int_equal(call1(inst[0], P_GROW, 2), -1);
    assert_int_equal(call1(inst[0], P_GROW, 1), 3); /* inside the new reservation */
    assert_ptr_equal(mem->base.p, moved);
    assert_int_equal(moved[3 * 65536 - 1], 9);
    kiln_instance_free(inst[0]);
    /* The slot again, its memory back home and fresh. */
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst[0], NULL), KILN_STATUS_OK);
    mem = kiln_instance_memory(inst[0], 0);
    assert_ptr_equal(mem->base.p, home);
    assert_int_equal(mem->reserved, 2 * 65536);
    assert_fresh_p(inst[0]);
    assert_int_equal(call1(inst[0], P_GROW, 2), 1);
    assert_ptr_not_equal(mem->base.p, home);
    assert_int_equal(((uint8_t *)mem->base.p)[65536 + 8], 0);
    assert_int_equal(((uint8_t *)mem->base.p)[3 * 65536 - 1], 0);
    for (int i = 0; i < 2; i++)
        kiln_instance_free(inst[i]);
    kiln_pool_free(pool);
    kiln_checked_reserve_max = saved;
}

/* ---- Threads ---- */

typedef struct cycle_job {
    kiln_pool *pool;
    int id;
    int failures;
} cycle_job;

static void *cycle_many(void *arg)
{
    cycle_job *job = arg;
    for (int i = 0; i < 3000; i++) {
        kiln_instance *inst = NULL;
        kiln_status s = kiln_pool_instantiate(job->pool, NULL, &inst, NULL);
        if (s != KILN_STATUS_OK) {
            job->failures++;
            continue;
        }
        int32_t r = -1;
        uint64_t key = (uint64_t)job->id * 100000u + (uint64_t)i;
        if (rt_invoke_i(inst, P_LOAD, 1, 0, 0, 0, &r) != KILN_TRAP_NONE || r != 0 ||
            rt_invoke_i(inst, P_STORE, 2, 0, (int32_t)key, 0, &r) != KILN_TRAP_NONE ||
            rt_invoke_i(inst, P_LOAD, 1, 102, 0, 0, &r) != KILN_TRAP_NONE ||
            r != *(const int32_t *)(const void *)p_data1 ||
            rt_invoke_i(inst, P_GSET, 1, (int32_t)key, 0, 0, &r) != KILN_TRAP_NONE || r != 7 ||
            rt_invoke_i(inst, P_LOAD, 1, 0, 0, 0, &r) != KILN_TRAP_NONE || r != (int32_t)key)
            job->failures++;
        kiln_instance_free(inst);
    }
    return NULL;
}

static void test_threads_share_a_pool(void **state)
{
    (void)state;
    rt_arm();
    kiln_pool_config cfg = {.slots = 4};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(mod_p, &cfg, &pool), KILN_STATUS_OK);
    cycle_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (cycle_job){pool, i + 1, 0};
        assert_int_equal(pthread_create(&th[i], NULL, cycle_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
    }
    assert_int_equal(pool->live, 0);
    assert_int_equal(pool->free_count, 4);
    kiln_pool_free(pool);
}

/* ---- 10,000 live instances ---- */

static long count_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long lines = 0;
    int c;
    if (f == NULL)
        return -1;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define LIVE 10000u

static void test_10000_live_instances(void **state)
{
    (void)state;
    RT_SKIP_UNDER_TSAN("a module pool of 10,000 guard-page memories (80 TiB)");
    rt_arm();
    long page_kib = (long)kiln_os_page_size() / 1024;
    long rss_before = rt_rss_pages();
    double t0 = seconds();
    kiln_pool_config cfg = {.slots = LIVE};
    kiln_pool *pool = NULL;
    assert_int_equal(kiln_module_pool_new(mod_p, &cfg, &pool), KILN_STATUS_OK);
    double t1 = seconds();
    kiln_instance **inst = calloc(LIVE, sizeof *inst);
    assert_non_null(inst);
    for (uint32_t i = 0; i < LIVE; i++) {
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst[i], NULL), KILN_STATUS_OK);
        assert_int_equal(call2(inst[i], P_STORE, 4000, (int32_t)i), 0);
        assert_int_equal(call1(inst[i], P_GSET, (int32_t)i), 7);
    }
    double t2 = seconds();
    kiln_instance *extra = NULL;
    assert_int_equal(kiln_pool_instantiate(pool, NULL, &extra, NULL), KILN_STATUS_POOL_EXHAUSTED);
    long rss_live = rt_rss_pages();
    long maps = count_mappings();
    for (uint32_t i = 0; i < LIVE; i++) {
        assert_int_equal(call1(inst[i], P_LOAD, 4000), (int32_t)i);
        assert_int_equal(call1(inst[i], P_GGET, 0), (int32_t)i);
        assert_int_equal(call1(inst[i], P_LOAD, 102), *(const int32_t *)(const void *)p_data1);
    }
    double t3 = seconds();
    for (uint32_t i = 0; i < LIVE; i++)
        kiln_instance_free(inst[i]);
    double t4 = seconds();
    long rss_freed = rt_rss_pages();
    /* Every slot is usable again, and comes back fresh. */
    for (uint32_t i = 0; i < LIVE; i++)
        assert_int_equal(kiln_pool_instantiate(pool, NULL, &inst[i], NULL), KILN_STATUS_OK);
    assert_fresh_p(inst[0]);
    assert_fresh_p(inst[LIVE - 1]);
    assert_int_equal(call1(inst[LIVE / 2], P_LOAD, 4000), 0);
    for (uint32_t i = 0; i < LIVE; i++)
        kiln_instance_free(inst[i]);
    kiln_pool_free(pool);
    free(inst);
    long per_instance_kib = (rss_live - rss_before) * page_kib * 1024 / (long)LIVE;
    printf("# 10000 live instances: pool created in %.1f ms, instantiated + 2 calls in %.1f ms, "
           "checked in %.1f ms, freed in %.1f ms; RSS +%ld KiB (%ld bytes per instance), "
           "after free +%ld KiB; %ld mappings\n",
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3,
           (rss_live - rss_before) * page_kib, per_instance_kib,
           (rss_freed - rss_before) * page_kib, maps);
    /* What one instance touches: its block (< 2 KiB) and one page of memory (data + the
     * store), so well under 16 KiB; and the mappings stay far from vm.max_map_count. */
    assert_true(per_instance_kib < 16 * 1024);
    assert_true(maps > 0 && maps < 30000);
}

int main(void)
{
    build_p();
    build_q();
    build_images();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instantiate_reset_and_reuse),
        cmocka_unit_test(test_statuses_and_limits),
        cmocka_unit_test(test_slots_cannot_reach_each_other),
        cmocka_unit_test(test_imports_per_instance),
        cmocka_unit_test(test_trapping_start_keeps_a_zombie),
        cmocka_unit_test(test_large_memory_reset_by_residency),
        cmocka_unit_test(test_reset_restores_small_image),
        cmocka_unit_test(test_reset_restores_1mib_image),
        cmocka_unit_test(test_trap_before_data),
        cmocka_unit_test(test_bounds_checked_slots_are_small),
        cmocka_unit_test(test_bounds_checked_memory_outgrows_slot),
        cmocka_unit_test(test_threads_share_a_pool),
        cmocka_unit_test(test_10000_live_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
