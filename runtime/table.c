/* table.c -- tables and the table instructions generated code does not inline.
 *
 * A table is an array of 8-byte references (const kiln_funcref * or an externref's pointer;
 * NULL is the null reference) with a size and a capacity. Generated code reads elems/size on
 * every table.get/set/call_indirect, so growth may move the array (realloc, capacity doubled
 * up to the growth cap). table.grow returns the old size or -1 (as u32) beyond the declared
 * maximum, beyond the pool's or the instance's max_table_elems, when the instance's grow
 * callback refuses, or when allocation fails; it never traps.
 * table.fill/copy/init check the whole range first and write nothing on "out of bounds table
 * access"; zero-length accesses at the end are fine, one past the end traps.
 * Tables of module pools start in an array inside their slot (inline_elems, capacity = the
 * declared minimum); growing past it moves them to the heap, and the slot's reset frees that
 * copy and points the table back at its inline array.
 * Calls trap.c. Called by instance.c and pool.c (set-up, teardown), generated code, embedders.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

kiln_status kiln_table_check(uint8_t elem_type, uint64_t min, bool has_max, uint64_t max,
                             uint32_t cap, uint32_t *out_limit)
{
    /* A 64-bit table may declare any maximum; every table grows to 2^32 - 1 at most. */
    if (!kiln_is_ref_type(elem_type) || (has_max && max < min)) {
        kiln_set_error("invalid table type");
        return KILN_STATUS_ARG;
    }
    if (min > UINT32_MAX) {
        kiln_set_error("table of %llu elements: Kiln's tables hold at most 2^32 - 1",
                       (unsigned long long)min);
        return KILN_STATUS_LIMIT;
    }
    uint64_t limit = has_max ? max : UINT32_MAX;
    if (limit > cap)
        limit = cap;
    if (min > limit) {
        kiln_set_error("table of %llu elements is over the pool's limit of %u",
                       (unsigned long long)min, (unsigned)cap);
        return KILN_STATUS_LIMIT;
    }
    *out_limit = (uint32_t)limit;
    return KILN_STATUS_OK;
}

kiln_status kiln_table_setup(kiln_table_impl *t, uint8_t elem_type, uint64_t min, bool has_max,
                             uint64_t max, uint32_t cap)
{
    memset(t, 0, sizeof *t);
    uint32_t limit;
    kiln_status s = kiln_table_check(elem_type, min, has_max, max, cap, &limit);
    if (s != KILN_STATUS_OK)
        return s;
    if (min != 0) {
        t->pub.elems.p = calloc((size_t)min, sizeof(void *));
        if (t->pub.elems.p == NULL) {
            kiln_set_error("cannot allocate a table of %llu elements", (unsigned long long)min);
            return KILN_STATUS_NOMEM;
        }
    }
    t->pub.size = (uint32_t)min;
    t->pub.capacity = (uint32_t)min;
    t->pub.max = has_max && max < UINT32_MAX ? (uint32_t)max : UINT32_MAX;
    t->pub.elem_type = elem_type;
    t->limit = limit;
    t->decl_max = max;
    t->has_max = has_max;
    return KILN_STATUS_OK;
}

void kiln_table_teardown(kiln_table_impl *t)
{
    if (t->pub.elems.p != (void *)t->inline_elems)
        free(t->pub.elems.p);
    t->pub.elems.p = NULL;
    t->pub.size = t->pub.capacity = 0;
}

/* realloc for heap arrays; a copy to the heap for a slot's inline array. */
static void **table_realloc(kiln_table_impl *t, uint64_t cap)
{
    if (t->pub.elems.p == NULL || t->pub.elems.p != (void *)t->inline_elems)
        return realloc(t->pub.elems.p, (size_t)cap * sizeof(void *));
    void **elems = malloc((size_t)cap * sizeof(void *));
    if (elems != NULL)
        memcpy(elems, t->inline_elems, (size_t)t->pub.size * sizeof(void *));
    return elems;
}

uint32_t kiln_table_grow_impl(kiln_table_impl *t, void *init, uint32_t delta)
{
    uint32_t old = t->pub.size;
    if (delta == 0)
        return old;
    if ((uint64_t)old + delta > t->limit)
        return UINT32_MAX;
    uint32_t size = old + delta;
    if (size > t->pub.capacity) {
        uint64_t cap = (uint64_t)t->pub.capacity * 2;
        if (cap < size)
            cap = size;
        if (cap > t->limit)
            cap = t->limit;
        void **elems = table_realloc(t, cap);
        if (elems == NULL && cap > size) {
            cap = size;
            elems = table_realloc(t, cap);
        }
        if (elems == NULL)
            return UINT32_MAX;
        t->pub.elems.p = elems;
        t->pub.capacity = (uint32_t)cap;
    }
    void **elems = t->pub.elems.p;
    for (uint32_t i = old; i < size; i++)
        elems[i] = init;
    t->pub.size = size;
    return old;
}

KILN_API uint32_t kiln_table_grow(kiln_vmctx *vmctx, uint32_t table, void *init, uint32_t delta)
{
    kiln_table_impl *t = kiln_vm_table(vmctx, table);
    uint32_t old = t->pub.size;
    /* The host's say comes after the limit (a growth over it fails without asking). */
    if (delta != 0 && (uint64_t)old + delta <= t->limit &&
        !kiln_grow_allowed(kiln_vm_instance(vmctx), KILN_GROW_TABLE, table, old,
                           (uint64_t)old + delta))
        return UINT32_MAX;
    return kiln_table_grow_impl(t, init, delta);
}

KILN_API void kiln_table_fill(kiln_vmctx *vmctx, uint32_t table, uint32_t dst, void *value,
                              uint32_t len)
{
    kiln_table_impl *t = kiln_vm_table(vmctx, table);
    if ((uint64_t)dst + len > t->pub.size)
        kiln_trap_raise_from(vmctx, KILN_TRAP_TABLE_OOB, __builtin_return_address(0));
    void **elems = t->pub.elems.p;
    for (uint32_t i = 0; i < len; i++)
        elems[dst + i] = value;
}

KILN_API void kiln_table_copy(kiln_vmctx *vmctx, uint32_t dst_table, uint32_t src_table,
                              uint32_t dst, uint32_t src, uint32_t len)
{
    kiln_table_impl *d = kiln_vm_table(vmctx, dst_table);
    kiln_table_impl *s = kiln_vm_table(vmctx, src_table);
    if ((uint64_t)dst + len > d->pub.size || (uint64_t)src + len > s->pub.size)
        kiln_trap_raise_from(vmctx, KILN_TRAP_TABLE_OOB, __builtin_return_address(0));
    if (len != 0)
        memmove((void **)d->pub.elems.p + dst, (void **)s->pub.elems.p + src,
                (size_t)len * sizeof(void *));
}

/* An element segment's items are constant expressions evaluated as table.init copies them;
 * for Wasm 2.0 constant expressions this equals evaluating them at instantiation (ref.func
 * and ref.null are constant, global.get may only name immutable imported globals). */
kiln_trap kiln_table_init_checked(kiln_instance *inst, uint32_t table, uint32_t elem, uint32_t dst,
                                  uint32_t src, uint32_t len)
{
    const kiln_elem_desc *seg = (const kiln_elem_desc *)inst->module->elems.p + elem;
    /* A dropped segment behaves as an empty one. */
    uint64_t count = kiln_vm_elem_dropped(inst->vmctx)[elem] ? 0 : seg->count;
    kiln_table_impl *t = kiln_vm_table(inst->vmctx, table);
    if ((uint64_t)src + len > count || (uint64_t)dst + len > t->pub.size)
        return KILN_TRAP_TABLE_OOB;
    const kiln_init_desc *items = seg->items.p;
    void **elems = t->pub.elems.p;
    for (uint32_t i = 0; i < len; i++)
        elems[dst + i] = kiln_eval_ref(inst, &items[src + i]);
    return KILN_TRAP_NONE;
}

KILN_API void kiln_table_init(kiln_vmctx *vmctx, uint32_t table, uint32_t elem, uint32_t dst,
                              uint32_t src, uint32_t len)
{
    kiln_trap trap = kiln_table_init_checked(kiln_vm_instance(vmctx), table, elem, dst, src, len);
    if (trap != KILN_TRAP_NONE)
        kiln_trap_raise_from(vmctx, trap, __builtin_return_address(0));
}

KILN_API void kiln_elem_drop(kiln_vmctx *vmctx, uint32_t elem)
{
    kiln_vm_elem_dropped(vmctx)[elem] = 1;
}

/* ---- Host-owned tables (kiln.h) ---- */

static kiln_status table_new(uint8_t elem_type, uint32_t min, uint64_t max, bool is64,
                             kiln_table **out)
{
    if (out == NULL)
        return KILN_STATUS_ARG;
    kiln_table_impl *t = malloc(sizeof *t);
    if (t == NULL)
        return KILN_STATUS_NOMEM;
    bool has_max = max != UINT64_MAX;
    kiln_status s = kiln_table_setup(t, elem_type, min, has_max, has_max ? max : 0, UINT32_MAX);
    if (s != KILN_STATUS_OK) {
        free(t);
        return s;
    }
    t->host_owned = true;
    t->is64 = is64;
    *out = &t->pub;
    return KILN_STATUS_OK;
}

KILN_API kiln_status kiln_table_new(uint8_t elem_type, uint32_t min, uint64_t max, kiln_table **out)
{
    return table_new(elem_type, min, max, false, out);
}

KILN_API kiln_status kiln_table_new64(uint8_t elem_type, uint32_t min, uint64_t max,
                                      kiln_table **out)
{
    return table_new(elem_type, min, max, true, out);
}

KILN_API void kiln_table_free(kiln_table *table)
{
    if (table == NULL)
        return;
    kiln_table_impl *t = (kiln_table_impl *)table;
    if (!t->host_owned)
        return; /* an instance's table: freed with the instance */
    kiln_table_teardown(t);
    free(t);
}
