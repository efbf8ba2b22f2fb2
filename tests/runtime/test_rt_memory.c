/* test_rt_memory.c -- linear memories and tables at their edges: memory.grow against the
 * declared maximum and the 4 GiB limit, memory.fill/copy/init and data.drop, table.grow/
 * fill/copy/init and elem.drop, each with the spec's bounds rule (whole range checked before
 * any write; zero length exactly at the end is fine, one past it traps; no u32 wrap-around).
 *
 * The bulk operations trap, so they run inside "generated" functions under kiln_invoke.
 */
#include "rt_test.h"

enum {
    F_FILL,   /* (dst, value, len) */
    F_COPY,   /* (dst, src, len) */
    F_INIT,   /* (dst, src, len) from data 0 */
    F_DROP,   /* (seg) -> 0 */
    F_GROW,   /* (delta) -> old or -1 */
    F_TFILL,  /* (dst, func or -1, len) on table 0 */
    F_TCOPY,  /* (dst, src, len) table 0 -> table 0 */
    F_TCOPY1, /* (dst, src, len) table 1 -> table 0 */
    F_TINIT,  /* (dst, src, len) elem 0 -> table 0 */
    F_EDROP,  /* (seg) -> 0 */
    F_TGROW,  /* (delta, func or -1) -> old or -1 */
    F_COUNT
};

static void *ref_of(kiln_vmctx *vm, int32_t func)
{
    return func < 0 ? NULL : &kiln_vm_funcrefs(vm)[func];
}

KILN_GEN static void gen_fill(kiln_vmctx *vm, int32_t d, int32_t v, int32_t n)
{
    kiln_memory_fill(vm, 0, (uint32_t)d, (uint32_t)v, (uint32_t)n);
}
KILN_GEN static void gen_copy(kiln_vmctx *vm, int32_t d, int32_t s, int32_t n)
{
    kiln_memory_copy(vm, 0, 0, (uint32_t)d, (uint32_t)s, (uint32_t)n);
}
KILN_GEN static void gen_init(kiln_vmctx *vm, int32_t d, int32_t s, int32_t n)
{
    kiln_memory_init(vm, 0, 0, (uint32_t)d, (uint32_t)s, (uint32_t)n);
}
KILN_GEN static int32_t gen_drop(kiln_vmctx *vm, int32_t seg)
{
    kiln_data_drop(vm, (uint32_t)seg);
    return 0;
}
KILN_GEN static int32_t gen_grow(kiln_vmctx *vm, int32_t delta)
{
    return (int32_t)kiln_memory_grow(vm, 0, (uint32_t)delta);
}
KILN_GEN static void gen_tfill(kiln_vmctx *vm, int32_t d, int32_t f, int32_t n)
{
    kiln_table_fill(vm, 0, (uint32_t)d, ref_of(vm, f), (uint32_t)n);
}
KILN_GEN static void gen_tcopy(kiln_vmctx *vm, int32_t d, int32_t s, int32_t n)
{
    kiln_table_copy(vm, 0, 0, (uint32_t)d, (uint32_t)s, (uint32_t)n);
}
KILN_GEN static void gen_tcopy1(kiln_vmctx *vm, int32_t d, int32_t s, int32_t n)
{
    kiln_table_copy(vm, 0, 1, (uint32_t)d, (uint32_t)s, (uint32_t)n);
}
KILN_GEN static void gen_tinit(kiln_vmctx *vm, int32_t d, int32_t s, int32_t n)
{
    kiln_table_init(vm, 0, 0, (uint32_t)d, (uint32_t)s, (uint32_t)n);
}
KILN_GEN static int32_t gen_edrop(kiln_vmctx *vm, int32_t seg)
{
    kiln_elem_drop(vm, (uint32_t)seg);
    return 0;
}
KILN_GEN static int32_t gen_tgrow(kiln_vmctx *vm, int32_t delta, int32_t f)
{
    return (int32_t)kiln_table_grow(vm, 0, ref_of(vm, f), (uint32_t)delta);
}

static desc_builder module_desc;
static kiln_module_desc *module;

static void build_module(void)
{
    desc_builder *m = &module_desc;
    desc_begin(m, "test");
    uint32_t t_iii_v = desc_type(m, 3, 0, rt_types_iii);
    uint32_t t_i_i = desc_type(m, 1, 1, rt_types_i_i);
    uint32_t t_ii_i = desc_type(m, 2, 1, rt_types_ii_i);
    desc_func(m, (void *)gen_fill, rt_entry_iii_v, t_iii_v);
    desc_func(m, (void *)gen_copy, rt_entry_iii_v, t_iii_v);
    desc_func(m, (void *)gen_init, rt_entry_iii_v, t_iii_v);
    desc_func(m, (void *)gen_drop, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_grow, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_tfill, rt_entry_iii_v, t_iii_v);
    desc_func(m, (void *)gen_tcopy, rt_entry_iii_v, t_iii_v);
    desc_func(m, (void *)gen_tcopy1, rt_entry_iii_v, t_iii_v);
    desc_func(m, (void *)gen_tinit, rt_entry_iii_v, t_iii_v);
    desc_func(m, (void *)gen_edrop, rt_entry_i_i, t_i_i);
    desc_func(m, (void *)gen_tgrow, rt_entry_ii_i, t_ii_i);
    desc_memory(m, rt_limits_max(1, 3));
    desc_table(m, KILN_TYPE_FUNCREF, rt_limits_max(4, 6));
    desc_table(m, KILN_TYPE_FUNCREF, rt_limits(2));
    desc_passive_data(m, "abcdefgh", 8);
    desc_elem(m, KILN_SEG_MODE_PASSIVE, 3,
              (kiln_init_desc[]){rt_init_func(F_FILL), rt_init_null(KILN_TYPE_FUNCREF),
                                 rt_init_func(F_COPY)});
    module = desc_end(m);
}

static kiln_instance *new_instance(void)
{
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(module, NULL, &inst), KILN_STATUS_OK);
    return inst;
}

static kiln_trap call3(kiln_instance *inst, uint32_t f, int32_t a, int32_t b, int32_t c)
{
    return rt_invoke_i(inst, f, 3, a, b, c, NULL);
}

static int32_t call1(kiln_instance *inst, uint32_t f, int32_t a)
{
    int32_t r = 0;
    assert_int_equal(rt_invoke_i(inst, f, 1, a, 0, 0, &r), KILN_TRAP_NONE);
    return r;
}

static void test_memory_grow_size_and_max(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance();
    kiln_memory *mem = kiln_instance_memory(inst, 0);
    uint8_t *base = mem->base.p;
    assert_int_equal(call1(inst, F_GROW, 0), 1);
    assert_int_equal(call1(inst, F_GROW, 1), 1);
    assert_int_equal(mem->size, 2 * 65536);
    assert_int_equal(call1(inst, F_GROW, 2), -1); /* 4 > max 3 */
    assert_int_equal(mem->size, 2 * 65536);
    assert_int_equal(call1(inst, F_GROW, 1), 2);
    assert_int_equal(call1(inst, F_GROW, 1), -1);
    assert_int_equal(call1(inst, F_GROW, -1), -1); /* delta 0xFFFFFFFF */
    assert_int_equal(call1(inst, F_GROW, 0), 3);
    assert_ptr_equal(mem->base.p, base); /* never moves */
    assert_int_equal(base[3 * 65536 - 1], 0);
    base[3 * 65536 - 1] = 1; /* the new pages are writable */
    kiln_instance_free(inst);

    /* A guard-page memory without a maximum grows to 65,536 pages (4 GiB: every i32 address),
     * no further; its last byte is usable. */
    kiln_memory *hm;
    assert_int_equal(kiln_memory_new(1, UINT64_MAX, &hm), KILN_STATUS_OK);
    kiln_memory_impl *impl = (kiln_memory_impl *)hm;
    if (sizeof(void *) >= 8) {
        assert_int_equal(kiln_memory_grow_impl(impl, 65536), UINT64_MAX);
        assert_int_equal(hm->size, 65536);
        assert_int_equal(kiln_memory_grow_impl(impl, 65534), 1);
        assert_int_equal(hm->size, (UINT64_C(1) << 32) - 65536);
        assert_int_equal(kiln_memory_grow_impl(impl, 2), UINT64_MAX);
        assert_int_equal(kiln_memory_grow_impl(impl, 1), 65535u);
        assert_int_equal(hm->size, UINT64_C(1) << 32);
        assert_int_equal(kiln_memory_grow_impl(impl, 1), UINT64_MAX);
        ((volatile uint8_t *)hm->base.p)[UINT32_MAX] = 7;
        assert_int_equal(((volatile uint8_t *)hm->base.p)[UINT32_MAX], 7);
        assert_int_equal(kiln_memory_grow_impl(impl, 0), 65536u);
        kiln_memory_free(hm);
        hm = NULL;
        assert_int_equal(kiln_memory_new(65536, UINT64_MAX, &hm), KILN_STATUS_OK);
        assert_int_equal(hm->size, UINT64_C(1) << 32);
        kiln_memory_free(hm);
        hm = NULL;
        assert_int_equal(kiln_memory_new(65535, 65535, &hm), KILN_STATUS_OK);
    } else {
        /* 32-bit host: a bounds-checked memory reserving 16 MiB; 4 GiB does not fit, 32 MiB
         * does (the memory moves). */
        assert_int_equal(hm->reserved, 16u << 20);
        assert_int_equal(kiln_memory_grow_impl(impl, 65535), UINT64_MAX);
        ((volatile uint8_t *)hm->base.p)[65535] = 7;
        assert_int_equal(kiln_memory_grow_impl(impl, 511), 1);
        assert_int_equal(hm->size, 32u << 20);
        assert_int_equal(hm->reserved, 32u << 20);
        assert_int_equal(((volatile uint8_t *)hm->base.p)[65535], 7);
        ((volatile uint8_t *)hm->base.p)[(32u << 20) - 1] = 7;
        assert_int_equal(kiln_memory_grow_impl(impl, 0), 512u);
    }
    kiln_memory_free(hm);
    assert_int_equal(kiln_memory_new(2, 1, &hm), KILN_STATUS_ARG);
    assert_int_equal(kiln_memory_new(65537, UINT64_MAX, &hm), KILN_STATUS_ARG);
    kiln_memory_free(NULL);
}

/* A module compiled with --bounds-checks gets memories of exactly their growth limit and no
 * guard region (memory.c: kiln_memory_setup, bounds-checked); a module compiled for guard pages
 * cannot import such a memory, a bounds-checked one can. */
static void test_bounds_checked_memory(void **state)
{
    (void)state;
    rt_arm();
    module->flags = KILN_MODULE_BOUNDS_CHECKED;
    kiln_instance *inst = new_instance();
    module->flags = RT_MODULE_FLAGS;
    kiln_memory *mem = kiln_instance_memory(inst, 0);
    uint8_t *base = mem->base.p;
    assert_int_equal(mem->reserved, 3 * 65536); /* the declared maximum, no guard */
    assert_int_equal(mem->size, 65536);
    assert_int_equal(call1(inst, F_GROW, 2), 1);
    assert_int_equal(mem->size, 3 * 65536);
    assert_int_equal(call1(inst, F_GROW, 1), -1);
    assert_ptr_equal(mem->base.p, base);
    assert_int_equal(base[3 * 65536 - 1], 0);
    assert_int_equal(call3(inst, F_FILL, 3 * 65536 - 1, 7, 2), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(base[3 * 65536 - 1], 0);
    assert_int_equal(call3(inst, F_FILL, 3 * 65536 - 1, 7, 1), KILN_TRAP_NONE);
    assert_int_equal(base[3 * 65536 - 1], 7);

    static desc_builder importer_desc;
    desc_begin(&importer_desc, "test");
    desc_import_memory(&importer_desc, "m", "mem", rt_limits(1));
    kiln_module_desc *importer = desc_end(&importer_desc);
    importer->flags = 0; /* compiled for guard pages */
    kiln_import item = {"m", "mem", {.kind = KILN_KIND_MEMORY, .of.memory = mem}};
    kiln_imports imports = {&item, 1};
    kiln_instance *other = NULL;
    assert_int_equal(kiln_instance_new(importer, &imports, &other), KILN_STATUS_LINK);
    assert_string_equal(kiln_last_error(), "memory without guard pages: \"m\" \"mem\": the "
                                           "importer was not compiled with --bounds-checks");
    importer->flags = KILN_MODULE_BOUNDS_CHECKED;
    assert_int_equal(kiln_instance_new(importer, &imports, &other), KILN_STATUS_OK);
    assert_ptr_equal(kiln_instance_memory(other, 0), mem);
    kiln_instance_free(other);
    kiln_instance_free(inst);
}

/* A bounds-checked memory whose limit is over kiln_checked_reserve_max (16 MiB on 32-bit
 * hosts; 2 pages here) reserves max(min, that) and moves when it outgrows the reservation,
 * into one twice as large (at most the limit), contents kept, the record's base updated. */
static void test_bounds_checked_memory_moves(void **state)
{
    (void)state;
    rt_arm();
    size_t saved = kiln_checked_reserve_max;
    kiln_checked_reserve_max = 2 * 65536;
    module->flags = KILN_MODULE_BOUNDS_CHECKED;
    module_desc.memories[0].limits = rt_limits_max(1, 20);
    kiln_instance *inst = new_instance();
    module->flags = RT_MODULE_FLAGS;
    module_desc.memories[0].limits = rt_limits_max(1, 3);
    kiln_memory *mem = kiln_instance_memory(inst, 0);
    uint8_t *base = mem->base.p;
    assert_int_equal(mem->reserved, 2 * 65536);
    base[100] = 42;
    assert_int_equal(call1(inst, F_GROW, 1), 1);
    assert_ptr_equal(mem->base.p, base);
    base[2 * 65536 - 1] = 43;
    assert_int_equal(call1(inst, F_GROW, 1), 2); /* 3 pages > 2 reserved: moves */
    assert_ptr_equal(kiln_instance_memory(inst, 0), mem);
    uint8_t *moved = mem->base.p;
    assert_int_equal(mem->reserved, 4 * 65536);
    assert_int_equal(mem->size, 3 * 65536);
    assert_int_equal(moved[100], 42);
    assert_int_equal(moved[2 * 65536 - 1], 43);
    assert_int_equal(moved[3 * 65536 - 1], 0);
    assert_int_equal(call1(inst, F_GROW, 1), 3); /* fits: stays */
    assert_ptr_equal(mem->base.p, moved);
    assert_int_equal(call1(inst, F_GROW, 5), 4); /* 9 > 8: at least what is needed */
    assert_int_equal(mem->reserved, 9 * 65536);
    assert_int_equal(call1(inst, F_GROW, 1), 9); /* 10 > 9: doubled to 18 */
    assert_int_equal(mem->reserved, 18 * 65536);
    assert_int_equal(call1(inst, F_GROW, 9), 10); /* 19 > 18: the limit, 20 */
    assert_int_equal(mem->reserved, 20 * 65536);
    assert_int_equal(call1(inst, F_GROW, 2), -1);
    assert_int_equal(call1(inst, F_GROW, 1), 19);
    assert_int_equal(mem->reserved, 20 * 65536);
    base = mem->base.p;
    assert_int_equal(base[100], 42);
    assert_int_equal(base[2 * 65536 - 1], 43);
    assert_int_equal(base[19 * 65536], 0);
    /* The runtime's helpers use the moved base. */
    assert_int_equal(call3(inst, F_FILL, 19 * 65536 - 1, 7, 2), KILN_TRAP_NONE);
    assert_int_equal(base[19 * 65536], 7);
    assert_int_equal(call3(inst, F_FILL, 19 * 65536, 7, 65537), KILN_TRAP_MEMORY_OOB);
    kiln_instance_free(inst);
    kiln_checked_reserve_max = saved;
}

static void test_memory_fill_bounds(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance();
    uint8_t *m = inst->vmctx->mem0_base.p;
    assert_int_equal(call3(inst, F_FILL, 65536, 1, 0), KILN_TRAP_NONE);
    assert_int_equal(call3(inst, F_FILL, 65537, 1, 0), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_FILL, 65535, 0xAA, 1), KILN_TRAP_NONE);
    assert_int_equal(m[65535], 0xAA);
    assert_int_equal(call3(inst, F_FILL, 65534, 0xBB, 3), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(m[65534], 0); /* nothing written */
    assert_int_equal(m[65535], 0xAA);
    assert_int_equal(call3(inst, F_FILL, -1, 1, 2), KILN_TRAP_MEMORY_OOB); /* no wrap */
    assert_int_equal(call3(inst, F_FILL, 0, -1, -1), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_FILL, 10, 0x1FF, 2), KILN_TRAP_NONE); /* value mod 256 */
    assert_int_equal(m[10], 0xFF);
    assert_int_equal(m[11], 0xFF);
    assert_int_equal(m[12], 0);
    assert_int_equal(call3(inst, F_FILL, 0, 0x11, 65536), KILN_TRAP_NONE);
    assert_int_equal(m[65535], 0x11);
    kiln_instance_free(inst);
}

static void test_memory_copy_bounds_and_overlap(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance();
    uint8_t *m = inst->vmctx->mem0_base.p;
    memcpy(m, "12345", 5);
    assert_int_equal(call3(inst, F_COPY, 1, 0, 4), KILN_TRAP_NONE);
    assert_memory_equal(m, "11234", 5);
    assert_int_equal(call3(inst, F_COPY, 0, 1, 4), KILN_TRAP_NONE);
    assert_memory_equal(m, "12344", 5);
    assert_int_equal(call3(inst, F_COPY, 65536, 0, 0), KILN_TRAP_NONE);
    assert_int_equal(call3(inst, F_COPY, 0, 65536, 0), KILN_TRAP_NONE);
    assert_int_equal(call3(inst, F_COPY, 65537, 0, 0), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_COPY, 0, 65537, 0), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_COPY, 65530, 0, 7), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(m[65530], 0);
    memcpy(m + 65530, "abcdef", 6);
    assert_int_equal(call3(inst, F_COPY, 0, 65530, 7), KILN_TRAP_MEMORY_OOB);
    assert_memory_equal(m, "12344", 5);
    assert_int_equal(call3(inst, F_COPY, 0, -1, 2), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_COPY, 0, 65530, 6), KILN_TRAP_NONE);
    assert_memory_equal(m, "abcdef", 6);
    kiln_instance_free(inst);
}

static void test_memory_init_and_data_drop(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance();
    uint8_t *m = inst->vmctx->mem0_base.p;
    assert_int_equal(call3(inst, F_INIT, 0, 0, 8), KILN_TRAP_NONE);
    assert_memory_equal(m, "abcdefgh", 8);
    assert_int_equal(call3(inst, F_INIT, 100, 6, 2), KILN_TRAP_NONE);
    assert_memory_equal(m + 100, "gh", 2);
    assert_int_equal(call3(inst, F_INIT, 65536, 8, 0), KILN_TRAP_NONE); /* both at the end */
    assert_int_equal(call3(inst, F_INIT, 0, 9, 0), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_INIT, 65537, 0, 0), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_INIT, 200, 4, 5), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(m[200], 0);
    assert_int_equal(call3(inst, F_INIT, 65535, 0, 2), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(m[65535], 0);
    assert_int_equal(call3(inst, F_INIT, 0, -1, 2), KILN_TRAP_MEMORY_OOB);
    /* A dropped segment is empty: length 0 still works, anything more traps. */
    assert_int_equal(call1(inst, F_DROP, 0), 0);
    assert_int_equal(call3(inst, F_INIT, 0, 0, 0), KILN_TRAP_NONE);
    assert_int_equal(call3(inst, F_INIT, 0, 0, 1), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call3(inst, F_INIT, 0, 1, 0), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(call1(inst, F_DROP, 0), 0); /* dropping twice is fine */
    kiln_instance_free(inst);
}

static void **table_elems(kiln_instance *inst, uint32_t t)
{
    return ((kiln_table *)kiln_vm_tables(inst->vmctx)[t].p)->elems.p;
}

static void test_table_grow_fill_copy(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance();
    kiln_table *t0 = kiln_vm_tables(inst->vmctx)[0].p;
    kiln_funcref *refs = kiln_vm_funcrefs(inst->vmctx);
    int32_t r = 0;
    assert_int_equal(rt_invoke_i(inst, F_TGROW, 2, 0, -1, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 4);
    assert_int_equal(rt_invoke_i(inst, F_TGROW, 2, 1, F_COPY, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 4);
    assert_ptr_equal(table_elems(inst, 0)[4], &refs[F_COPY]);
    assert_int_equal(rt_invoke_i(inst, F_TGROW, 2, 2, -1, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, -1); /* 7 > max 6 */
    assert_int_equal(rt_invoke_i(inst, F_TGROW, 2, -1, -1, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, -1);
    assert_int_equal(rt_invoke_i(inst, F_TGROW, 2, 1, -1, 0, &r), KILN_TRAP_NONE);
    assert_int_equal(r, 5);
    assert_int_equal(t0->size, 6);

    void **e = table_elems(inst, 0);
    assert_int_equal(call3(inst, F_TFILL, 6, F_FILL, 0), KILN_TRAP_NONE);
    assert_int_equal(call3(inst, F_TFILL, 7, F_FILL, 0), KILN_TRAP_TABLE_OOB);
    assert_int_equal(call3(inst, F_TFILL, 4, F_FILL, 3), KILN_TRAP_TABLE_OOB);
    assert_ptr_equal(e[4], &refs[F_COPY]); /* nothing written */
    assert_int_equal(call3(inst, F_TFILL, 0, F_FILL, 3), KILN_TRAP_NONE);
    assert_ptr_equal(e[2], &refs[F_FILL]);
    assert_null(e[3]);

    /* Copy within table 0 (overlapping) and from table 1 (two nulls). */
    e[0] = &refs[0];
    e[1] = &refs[1];
    e[2] = &refs[2];
    assert_int_equal(call3(inst, F_TCOPY, 1, 0, 2), KILN_TRAP_NONE);
    assert_ptr_equal(e[1], &refs[0]);
    assert_ptr_equal(e[2], &refs[1]);
    assert_int_equal(call3(inst, F_TCOPY, 0, 1, 2), KILN_TRAP_NONE);
    assert_ptr_equal(e[0], &refs[0]);
    assert_ptr_equal(e[1], &refs[1]);
    assert_int_equal(call3(inst, F_TCOPY, 6, 0, 0), KILN_TRAP_NONE);
    assert_int_equal(call3(inst, F_TCOPY, 0, 7, 0), KILN_TRAP_TABLE_OOB);
    assert_int_equal(call3(inst, F_TCOPY1, 0, 1, 2), KILN_TRAP_TABLE_OOB); /* table 1 has 2 */
    assert_ptr_equal(e[0], &refs[0]);
    assert_int_equal(call3(inst, F_TCOPY1, 0, 0, 2), KILN_TRAP_NONE);
    assert_null(e[0]);
    assert_null(e[1]);
    kiln_instance_free(inst);
}

static void test_table_init_and_elem_drop(void **state)
{
    (void)state;
    rt_arm();
    kiln_instance *inst = new_instance();
    kiln_funcref *refs = kiln_vm_funcrefs(inst->vmctx);
    void **e = table_elems(inst, 0);
    assert_int_equal(call3(inst, F_TINIT, 1, 0, 3), KILN_TRAP_NONE);
    assert_null(e[0]);
    assert_ptr_equal(e[1], &refs[F_FILL]);
    assert_null(e[2]);
    assert_ptr_equal(e[3], &refs[F_COPY]);
    assert_int_equal(call3(inst, F_TINIT, 4, 3, 0), KILN_TRAP_NONE); /* both at the end */
    assert_int_equal(call3(inst, F_TINIT, 0, 4, 0), KILN_TRAP_TABLE_OOB);
    assert_int_equal(call3(inst, F_TINIT, 5, 0, 0), KILN_TRAP_TABLE_OOB);
    assert_int_equal(call3(inst, F_TINIT, 2, 0, 3), KILN_TRAP_TABLE_OOB);
    assert_null(e[2]); /* nothing written */
    assert_int_equal(call3(inst, F_TINIT, 0, 1, 3), KILN_TRAP_TABLE_OOB);
    assert_int_equal(call1(inst, F_EDROP, 0), 0);
    assert_int_equal(call3(inst, F_TINIT, 0, 0, 0), KILN_TRAP_NONE);
    assert_int_equal(call3(inst, F_TINIT, 0, 0, 1), KILN_TRAP_TABLE_OOB);
    kiln_instance_free(inst);
}

static void test_host_tables_grow_and_keep_contents(void **state)
{
    (void)state;
    rt_arm();
    kiln_table *t;
    assert_int_equal(kiln_table_new(KILN_TYPE_EXTERNREF, 0, UINT64_MAX, &t), KILN_STATUS_OK);
    kiln_table_impl *impl = (kiln_table_impl *)t;
    static char marks[1000];
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(kiln_table_grow_impl(impl, &marks[i], 1), i);
    assert_int_equal(t->size, 1000);
    assert_true(t->capacity >= 1000);
    void **e = t->elems.p;
    for (uint32_t i = 0; i < 1000; i++)
        assert_ptr_equal(e[i], &marks[i]);
    assert_int_equal(kiln_table_grow_impl(impl, NULL, UINT32_MAX), UINT32_MAX);
    kiln_table_free(t);
    assert_int_equal(kiln_table_new(KILN_TYPE_I32, 0, UINT64_MAX, &t), KILN_STATUS_ARG);
    assert_int_equal(kiln_table_new(KILN_TYPE_FUNCREF, 5, 4, &t), KILN_STATUS_ARG);
    assert_int_equal(kiln_table_new(KILN_TYPE_FUNCREF, 5, 5, &t), KILN_STATUS_OK);
    assert_int_equal(kiln_table_grow_impl((kiln_table_impl *)t, NULL, 1), UINT32_MAX);
    assert_int_equal(kiln_table_grow_impl((kiln_table_impl *)t, NULL, 0), 5);
    kiln_table_free(t);
    kiln_table_free(NULL);
}

int main(void)
{
    build_module();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_grow_size_and_max),
        cmocka_unit_test(test_bounds_checked_memory),
        cmocka_unit_test(test_bounds_checked_memory_moves),
        cmocka_unit_test(test_memory_fill_bounds),
        cmocka_unit_test(test_memory_copy_bounds_and_overlap),
        cmocka_unit_test(test_memory_init_and_data_drop),
        cmocka_unit_test(test_table_grow_fill_copy),
        cmocka_unit_test(test_table_init_and_elem_drop),
        cmocka_unit_test(test_host_tables_grow_and_keep_contents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
