/* instance.c -- instantiation: descriptor checks, import linking, vmctx set-up, segments.
 *
 * kiln_instance_new_in follows the spec's instantiation (Wasm 2.0, 4.5.4): check the
 * descriptor (every count, index and vmctx offset, so a broken one is KILN_STATUS_ARG, not a
 * wild write); take a pool slot and one zeroed block for the instance record + vmctx; resolve
 * imports by (module, name) with the spec's import matching (signatures by canonical id,
 * limits by subtyping against the exporter's current size, global type and mutability) ->
 * KILN_STATUS_LINK with "unknown import"/"incompatible import type" in kiln_last_error();
 * fill signature ids, funcrefs, tables, memories and globals; apply active element segments
 * then active data segments, each checked as a whole, a failing one trapping with earlier
 * writes kept; run the start function through kiln_invoke.
 * An instantiation that traps after it may have published references to its own functions
 * (into an imported table, or through the start function) stays alive as a zombie until its
 * pool is freed: those functions must stay callable, as the spec's linking tests require.
 *
 * kiln_pool_instantiate is the same sequence for a module pool (pool.c), minus everything the
 * pool did once: no descriptor check, no interning (the vmctx starts as a copy of the pool's
 * template), no allocation (the slot's block holds every record and the initial table
 * elements), memory already committed and zeroed, data segments copied as one prepared image
 * when their offsets are constant. Only import linking, globals, element segments and the
 * start function are per instance.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

/* ---- Import linking ---- */

static bool str_is_n(const kiln_str_desc *s, const char *c, size_t n)
{
    return n == s->len && (n == 0 || memcmp(s->ptr.p, c, n) == 0);
}

static bool str_is(const kiln_str_desc *s, const char *c)
{
    return str_is_n(s, c, strlen(c));
}

static const kiln_import *find_import(const kiln_imports *imports, const kiln_import_desc *im)
{
    if (imports == NULL)
        return NULL;
    for (size_t i = 0; i < imports->count; i++) {
        const kiln_import *item = &imports->items[i];
        if (item->module != NULL && item->name != NULL && str_is(&im->module, item->module) &&
            str_is(&im->name, item->name))
            return item;
    }
    return NULL;
}

static kiln_status link_error(const char *what, const kiln_import_desc *im, const char *why)
{
    kiln_set_error("%s: \"%.*s\" \"%.*s\"%s%s", what, (int)im->module.len,
                   (const char *)im->module.ptr.p, (int)im->name.len, (const char *)im->name.ptr.p,
                   why[0] ? ": " : "", why);
    return KILN_STATUS_LINK;
}

static kiln_status incompatible(const kiln_import_desc *im, const char *why)
{
    return link_error("incompatible import type", im, why);
}

/* Limits subtyping (spec 4.5.2.3): the exporter's current size must be at least the import's
 * minimum; an import with a maximum needs an exporter with a maximum no larger. */
static bool limits_match(uint64_t cur, bool has_max, uint64_t max, const kiln_limits_desc *want)
{
    if (cur < want->min)
        return false;
    return !want->has_max || (has_max && max <= want->max);
}

static bool host_type_matches(const kiln_host_func *h, const kiln_functype_desc *t)
{
    const uint8_t *types = t->types.p;
    if (h->param_count != t->param_count || h->result_count != t->result_count)
        return false;
    if ((h->param_count && h->params == NULL) || (h->result_count && h->results == NULL))
        return false;
    return (t->param_count == 0 || memcmp(h->params, types, t->param_count) == 0) &&
           (t->result_count == 0 ||
            memcmp(h->results, types + t->param_count, t->result_count) == 0);
}

static kiln_status link_function(kiln_instance *inst, const kiln_import_desc *im,
                                 const kiln_extern *ext)
{
    kiln_vmctx *vm = inst->vmctx;
    const kiln_module_desc *m = inst->module;
    const kiln_func_desc *fd = (const kiln_func_desc *)m->funcs.p + im->index;
    uint32_t sig = kiln_vm_sig_ids(vm)[im->type_index];
    kiln_import_slot *slot = &kiln_vm_imports(vm)[im->index];
    if (ext->kind == KILN_KIND_HOST_FUNC) {
        const kiln_host_func *h = ext->of.host;
        if (h == NULL || h->fn == NULL)
            return incompatible(im, "null host function");
        if (!host_type_matches(h, (const kiln_functype_desc *)m->types.p + im->type_index))
            return incompatible(im, "function signature");
        if (fd->code.p == NULL) {
            kiln_set_error("invalid module descriptor: no host adapter for import %u",
                           (unsigned)im->index);
            return KILN_STATUS_ARG;
        }
        kiln_funcref *ref = &inst->host_refs[im->index];
        ref->code = fd->code;
        ref->vmctx.p = vm;
        ref->array_entry = fd->array_entry;
        ref->sig = sig;
        slot->code = fd->code;
        slot->vmctx.p = vm;
        slot->ref.p = ref;
        slot->host.p = (void *)(uintptr_t)h; /* kept const; kiln_host_call reads it */
        return KILN_STATUS_OK;
    }
    if (ext->kind != KILN_KIND_FUNC)
        return incompatible(im, "not a function");
    const kiln_funcref *f = ext->of.func;
    if (f == NULL)
        return incompatible(im, "null function");
    if (f->sig != sig)
        return incompatible(im, "function signature");
    slot->code = f->code;
    slot->vmctx = f->vmctx;
    slot->ref.p = (void *)(uintptr_t)f;
    slot->host.p = NULL;
    return KILN_STATUS_OK;
}

static kiln_status link_imports(kiln_instance *inst, const kiln_imports *imports)
{
    const kiln_module_desc *m = inst->module;
    const kiln_import_desc *descs = m->imports.p;
    kiln_vmctx *vm = inst->vmctx;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const kiln_import_desc *im = &descs[i];
        const kiln_import *item = find_import(imports, im);
        if (item == NULL)
            return link_error("unknown import", im, "");
        const kiln_extern *ext = &item->value;
        kiln_status s = KILN_STATUS_OK;
        switch (im->kind) {
        case KILN_KIND_FUNC:
            s = link_function(inst, im, ext);
            break;
        case KILN_KIND_TABLE: {
            if (ext->kind != KILN_KIND_TABLE || ext->of.table == NULL)
                return incompatible(im, "not a table");
            kiln_table_impl *t = (kiln_table_impl *)ext->of.table;
            if (t->pub.elem_type != im->type)
                return incompatible(im, "element type");
            if (!limits_match(t->pub.size, t->has_max, t->decl_max, &im->limits))
                return incompatible(im, "table limits");
            kiln_vm_tables(vm)[im->index].p = t;
            break;
        }
        case KILN_KIND_MEMORY: {
            if (ext->kind != KILN_KIND_MEMORY || ext->of.memory == NULL)
                return incompatible(im, "not a memory");
            kiln_memory_impl *mem = (kiln_memory_impl *)ext->of.memory;
            /* Unchecked code relies on the guard region behind the memory. */
            if (!(inst->module->flags & KILN_MODULE_BOUNDS_CHECKED) &&
                mem->pub.reserved != KILN_MEMORY_RESERVATION)
                return link_error("memory without guard pages", im,
                                  "the importer was not compiled with --bounds-checks");
            if (!limits_match(mem->pub.size / KILN_WASM_PAGE, mem->has_max, mem->decl_max,
                              &im->limits))
                return incompatible(im, "memory limits");
            inst->memories[im->index] = mem;
            break;
        }
        case KILN_KIND_GLOBAL: {
            if (ext->kind != KILN_KIND_GLOBAL || ext->of.global.cell == NULL)
                return incompatible(im, "not a global");
            if (ext->of.global.type != im->type || (ext->of.global.mut != 0) != (im->mut != 0))
                return incompatible(im, "global type");
            kiln_vm_globals(vm)[im->index].p = ext->of.global.cell;
            break;
        }
        }
        if (s != KILN_STATUS_OK)
            return s;
    }
    return KILN_STATUS_OK;
}

/* ---- vmctx contents ---- */

static uint32_t eval_offset(kiln_instance *inst, const kiln_init_desc *init)
{
    if (init->kind == KILN_INIT_GLOBAL)
        return (uint32_t)((kiln_global_cell *)kiln_vm_globals(inst->vmctx)[init->index].p)->u.i32;
    return (uint32_t)init->value.u.i32;
}

static kiln_status intern_types(kiln_instance *inst)
{
    return kiln_module_intern(inst->module, kiln_vm_sig_ids(inst->vmctx));
}

static void init_funcrefs(kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    const kiln_func_desc *funcs = m->funcs.p;
    kiln_funcref *refs = kiln_vm_funcrefs(inst->vmctx);
    const uint32_t *ids = kiln_vm_sig_ids(inst->vmctx);
    for (uint32_t i = m->func_import_count; i < m->func_count; i++) {
        kiln_funcref *r = &refs[i - m->func_import_count];
        r->code = funcs[i].code;
        r->vmctx.p = inst->vmctx;
        r->array_entry = funcs[i].array_entry;
        r->sig = ids[funcs[i].type_index];
    }
}

static kiln_status create_tables_and_memories(kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    const kiln_pool_config *cfg = &inst->pool->config;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        kiln_table_impl *t = &inst->own_tables[i];
        kiln_status s =
            kiln_table_setup(t, tables[i].elem_type, tables[i].limits.min, tables[i].limits.has_max,
                             tables[i].limits.max, cfg->max_table_elems);
        if (s != KILN_STATUS_OK)
            return s;
        kiln_vm_tables(inst->vmctx)[i].p = t;
    }
    const kiln_memory_desc *memories = m->memories.p;
    kiln_slot *slot = &inst->pool->slots[inst->slot];
    bool guarded = !(m->flags & KILN_MODULE_BOUNDS_CHECKED);
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        /* Bounds-checked memories have their own reservations, never the slot's (memory.c). */
        void *cached = guarded ? slot->reservation : NULL;
        if (guarded)
            slot->reservation = NULL;
        const kiln_limits_desc *lim = &memories[i].limits;
        kiln_status s = kiln_memory_setup(&inst->own_memories[i], lim->min, lim->has_max, lim->max,
                                          cfg->max_memory_pages, guarded, cached);
        if (s != KILN_STATUS_OK) {
            /* Limit errors come before the reservation is touched; a failed commit
             * released it. */
            if (s != KILN_STATUS_NOMEM && cached != NULL)
                slot->reservation = cached;
            return s;
        }
        inst->memories[i] = &inst->own_memories[i];
    }
    if (m->memory_count != 0) {
        inst->vmctx->memory0.p = &inst->memories[0]->pub;
        inst->vmctx->mem0_base = inst->memories[0]->pub.base;
    }
    return KILN_STATUS_OK;
}

static void init_globals(kiln_instance *inst, uint32_t global_imports)
{
    const kiln_module_desc *m = inst->module;
    const kiln_global_desc *globals = m->globals.p;
    kiln_ptr64 *ptrs = kiln_vm_globals(inst->vmctx);
    kiln_global_cell *cells = kiln_vm_global_cells(inst->vmctx);
    for (uint32_t i = global_imports; i < m->global_count; i++) {
        kiln_global_cell *cell = &cells[i - global_imports];
        const kiln_init_desc *init = &globals[i].init;
        switch (init->kind) {
        case KILN_INIT_CONST:
            *cell = init->value;
            break;
        case KILN_INIT_GLOBAL:
            *cell = *(const kiln_global_cell *)ptrs[init->index].p;
            break;
        default:
            memset(cell, 0, sizeof *cell);
            cell->u.ref.p = kiln_eval_ref(inst, init);
            break;
        }
        ptrs[i].p = cell;
    }
}

/* Step 5: element segments, then data segments (spec 2.0 order). A module pool with a
 * prepared image of memory 0 copies it instead of the data segments (none can trap then). */
static kiln_trap apply_segments(kiln_instance *inst, const kiln_bound *bound)
{
    const kiln_module_desc *m = inst->module;
    const kiln_elem_desc *elems = m->elems.p;
    for (uint32_t i = 0; i < m->elem_count; i++) {
        if (elems[i].mode == KILN_SEG_MODE_ACTIVE) {
            uint32_t offset = eval_offset(inst, &elems[i].offset);
            kiln_trap t =
                kiln_table_init_checked(inst, elems[i].table, i, offset, 0, elems[i].count);
            if (t != KILN_TRAP_NONE)
                return t;
        }
        if (elems[i].mode != KILN_SEG_MODE_PASSIVE)
            kiln_vm_elem_dropped(inst->vmctx)[i] = 1;
    }
    const kiln_data_desc *datas = m->datas.p;
    if (bound != NULL && bound->has_image) {
        if (bound->image_hi > bound->image_lo)
            memcpy((char *)inst->memories[0]->pub.base.p + bound->image_lo, bound->image,
                   bound->image_hi - bound->image_lo);
        uint8_t *dropped = kiln_vm_data_dropped(inst->vmctx);
        for (uint32_t i = 0; i < m->data_count; i++)
            dropped[i] = datas[i].mode == KILN_SEG_MODE_ACTIVE;
        return KILN_TRAP_NONE;
    }
    for (uint32_t i = 0; i < m->data_count; i++) {
        if (datas[i].mode != KILN_SEG_MODE_ACTIVE)
            continue;
        uint32_t offset = eval_offset(inst, &datas[i].offset);
        kiln_trap t = kiln_memory_init_checked(inst, datas[i].memory, i, offset, 0, datas[i].size);
        if (t != KILN_TRAP_NONE)
            return t;
        kiln_vm_data_dropped(inst->vmctx)[i] = 1;
    }
    return KILN_TRAP_NONE;
}

/* Could a trapped instantiation have left references to this instance's functions where
 * live code can reach them? */
static bool may_have_escaped(const kiln_instance *inst, bool start_ran)
{
    const kiln_module_desc *m = inst->module;
    if (start_ran)
        return true;
    const kiln_import_desc *imports = m->imports.p;
    for (uint32_t i = 0; i < m->import_count; i++)
        if (imports[i].kind == KILN_KIND_TABLE)
            return true;
    return false;
}

void kiln_instance_destroy(kiln_instance *inst, bool keep_reservation)
{
    const kiln_module_desc *m = inst->module;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++)
        if (!tables[i].imported)
            kiln_table_teardown(&inst->own_tables[i]);
    const kiln_memory_desc *memories = m->memories.p;
    kiln_slot *slot = &inst->pool->slots[inst->slot];
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        bool keep = keep_reservation && slot->reservation == NULL;
        void *reservation = kiln_memory_teardown(&inst->own_memories[i], keep);
        if (reservation != NULL)
            slot->reservation = reservation;
    }
}

static size_t align_up(size_t n, size_t a)
{
    return (n + a - 1) & ~(a - 1);
}

KILN_API kiln_status kiln_instance_new_in(kiln_pool *pool, const kiln_module *module,
                                          const kiln_imports *imports, kiln_instance **out,
                                          kiln_trap *trap)
{
    if (trap != NULL)
        *trap = KILN_TRAP_NONE;
    kiln_clear_error();
    if (pool == NULL || module == NULL || out == NULL ||
        (imports != NULL && imports->count != 0 && imports->items == NULL)) {
        kiln_set_error("kiln_instance_new: NULL argument");
        return KILN_STATUS_ARG;
    }
    if (pool->bound != NULL) {
        if (module != pool->bound->module) {
            kiln_set_error("this pool was created for module \"%.*s\"",
                           (int)pool->bound->module->name.len,
                           (const char *)pool->bound->module->name.ptr.p);
            return KILN_STATUS_ARG;
        }
        return kiln_pool_instantiate(pool, imports, out, trap);
    }
    /* A module pool's module was prepared when the pool was created. */
    uint32_t global_imports = 0;
    kiln_status s = kiln_module_prepare(module, &global_imports);
    if (s != KILN_STATUS_OK)
        return s;

    /* One block: instance | vmctx | memory pointers | memories | tables | host funcrefs. */
    size_t off_vmctx = align_up(sizeof(kiln_instance), 64);
    size_t off_memory_ptrs = off_vmctx + align_up(module->layout.size, 64);
    size_t off_memories =
        off_memory_ptrs + align_up((size_t)module->memory_count * sizeof(void *), 16);
    size_t off_tables =
        off_memories + align_up((size_t)module->memory_count * sizeof(kiln_memory_impl), 16);
    size_t off_host =
        off_tables + align_up((size_t)module->table_count * sizeof(kiln_table_impl), 16);
    size_t total = off_host + (size_t)module->func_import_count * sizeof(kiln_funcref);

    uint32_t slot;
    s = kiln_pool_acquire(pool, &slot);
    if (s != KILN_STATUS_OK)
        return s;
    char *block = kiln_pool_block(pool, slot, total);
    if (block == NULL) {
        kiln_pool_release(pool, slot);
        kiln_set_error("cannot allocate %zu bytes for an instance", total);
        return KILN_STATUS_NOMEM;
    }
    kiln_instance *inst = (kiln_instance *)block;
    inst->pool = pool;
    inst->slot = slot;
    inst->module = module;
    inst->stack_budget = pool->config.stack_size;
    inst->vmctx = (kiln_vmctx *)(block + off_vmctx);
    inst->memories = (kiln_memory_impl **)(block + off_memory_ptrs);
    inst->own_memories = (kiln_memory_impl *)(block + off_memories);
    inst->own_tables = (kiln_table_impl *)(block + off_tables);
    inst->host_refs = (kiln_funcref *)(block + off_host);
    pool->slots[slot].inst = inst;
    inst->vmctx->module.p = (void *)(uintptr_t)module;
    inst->vmctx->instance.p = inst;

    s = intern_types(inst);
    if (s == KILN_STATUS_OK)
        s = link_imports(inst, imports);
    if (s == KILN_STATUS_OK) {
        init_funcrefs(inst);
        s = create_tables_and_memories(inst);
    }
    if (s != KILN_STATUS_OK) {
        kiln_instance_destroy(inst, true);
        kiln_pool_release(pool, slot);
        return s;
    }
    init_globals(inst, global_imports);

    bool start_ran = false;
    kiln_trap t = apply_segments(inst, NULL);
    if (t == KILN_TRAP_NONE && module->start != UINT32_MAX) {
        uint64_t args_results[2] = {0, 0};
        start_ran = true;
        t = kiln_invoke(inst, module->start, args_results);
    }
    if (t != KILN_TRAP_NONE) {
        if (trap != NULL)
            *trap = t;
        kiln_set_error("instantiation trapped: %s", kiln_trap_message(t));
        if (may_have_escaped(inst, start_ran)) {
            kiln_pool_keep_zombie(pool, slot);
        } else {
            kiln_instance_destroy(inst, true);
            kiln_pool_release(pool, slot);
        }
        return KILN_STATUS_TRAP;
    }
    *out = inst;
    return KILN_STATUS_OK;
}

KILN_API kiln_status kiln_instance_new(const kiln_module *module, const kiln_imports *imports,
                                       kiln_instance **out)
{
    kiln_pool *pool;
    kiln_status s = kiln_default_pool(&pool);
    if (s != KILN_STATUS_OK) {
        kiln_set_error("cannot create the default pool");
        return s;
    }
    return kiln_instance_new_in(pool, module, imports, out, NULL);
}

/* ---- Module pools ---- */

/* Gives a module pool's slot back after a failed instantiation or kiln_instance_free. */
static void bound_release(kiln_pool *pool, kiln_instance *inst)
{
    uint32_t slot = inst->slot;
    if (kiln_bound_reset(pool, inst))
        kiln_pool_release(pool, slot);
    else
        kiln_pool_retire(pool, slot);
}

/* The parts of a slot's instance that do not depend on imports: records of the defined
 * tables (inline elements, zeroed) and memories (reset to their initial size on release). */
static void bound_setup(kiln_pool *pool, kiln_instance *inst, char *block)
{
    const kiln_bound *b = pool->bound;
    const kiln_module_desc *m = b->module;
    const kiln_pool_config *cfg = &pool->config;
    kiln_vmctx *vm = inst->vmctx;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        const kiln_limits_desc *lim = &tables[i].limits;
        kiln_table_impl *t = &inst->own_tables[i];
        void **elems = (void **)(block + b->elem_offsets[i]);
        uint32_t min = (uint32_t)lim->min;
        uint64_t limit = lim->has_max ? lim->max : UINT32_MAX;
        memset(t, 0, sizeof *t);
        if (min != 0) {
            memset(elems, 0, (size_t)min * sizeof(void *));
            t->pub.elems.p = elems;
            t->inline_elems = elems;
        }
        t->pub.size = min;
        t->pub.capacity = min;
        t->pub.max = lim->has_max ? (uint32_t)lim->max : UINT32_MAX;
        t->pub.elem_type = tables[i].elem_type;
        t->limit = (uint32_t)(limit < cfg->max_table_elems ? limit : cfg->max_table_elems);
        t->decl_max = (uint32_t)lim->max;
        t->has_max = lim->has_max != 0;
        kiln_vm_tables(vm)[i].p = t;
    }
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        const kiln_limits_desc *lim = &memories[i].limits;
        kiln_memory_impl *mem = &inst->own_memories[i];
        memset(mem, 0, sizeof *mem);
        mem->pub.base.p = kiln_bound_memory_base(pool, inst->slot, i);
        mem->pub.size = lim->min * KILN_WASM_PAGE;
        mem->pub.max_pages = lim->has_max ? lim->max : KILN_MAX_PAGES;
        mem->pub.reserved = b->mem_strides[i];
        mem->limit_pages = kiln_memory_limit(lim->has_max, lim->max, cfg->max_memory_pages,
                                             !(m->flags & KILN_MODULE_BOUNDS_CHECKED));
        mem->decl_max = lim->max;
        mem->has_max = lim->has_max != 0;
        inst->memories[i] = mem;
    }
}

/* A slot's first instance commits the initial pages of its memories; they stay committed. */
static kiln_status bound_commit(kiln_pool *pool, uint32_t slot)
{
    const kiln_module_desc *m = pool->bound->module;
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported)
            continue;
        char *base = kiln_bound_memory_base(pool, slot, i);
        uint64_t bytes = memories[i].limits.min * KILN_WASM_PAGE;
        if (!kiln_os_commit(base, (size_t)bytes)) {
            /* Back to PROT_NONE: the slot stays uncommitted and may be retried. */
            kiln_os_decommit(base, (size_t)bytes);
            kiln_set_error("cannot commit %llu pages of linear memory",
                           (unsigned long long)memories[i].limits.min);
            return KILN_STATUS_NOMEM;
        }
    }
    pool->slots[slot].committed = true;
    return KILN_STATUS_OK;
}

KILN_API kiln_status kiln_pool_instantiate(kiln_pool *pool, const kiln_imports *imports,
                                           kiln_instance **out, kiln_trap *trap)
{
    if (trap != NULL)
        *trap = KILN_TRAP_NONE;
    kiln_clear_error();
    if (pool == NULL || pool->bound == NULL || out == NULL ||
        (imports != NULL && imports->count != 0 && imports->items == NULL)) {
        kiln_set_error(pool != NULL && pool->bound == NULL
                           ? "kiln_pool_instantiate: not a module pool (kiln_module_pool_new)"
                           : "kiln_pool_instantiate: NULL argument");
        return KILN_STATUS_ARG;
    }
    const kiln_bound *b = pool->bound;
    const kiln_module_desc *module = b->module;
    uint32_t slot;
    kiln_status s = kiln_pool_acquire(pool, &slot);
    if (s != KILN_STATUS_OK)
        return s;
    if (!pool->slots[slot].committed) {
        s = bound_commit(pool, slot);
        if (s != KILN_STATUS_OK) {
            kiln_pool_release(pool, slot);
            return s;
        }
    }
    char *block = kiln_bound_block(pool, slot);
    kiln_instance *inst = (kiln_instance *)block;
    memset(inst, 0, sizeof *inst);
    inst->pool = pool;
    inst->slot = slot;
    inst->module = module;
    inst->stack_budget = pool->config.stack_size;
    inst->vmctx = (kiln_vmctx *)(block + b->off_vmctx);
    inst->memories = (kiln_memory_impl **)(block + b->off_memory_ptrs);
    inst->own_memories = (kiln_memory_impl *)(block + b->off_memories);
    inst->own_tables = (kiln_table_impl *)(block + b->off_tables);
    inst->host_refs = (kiln_funcref *)(block + b->off_host);
    pool->slots[slot].inst = inst;
    /* Zero everywhere but the canonical signature ids, interned at pool creation. */
    memcpy(inst->vmctx, b->vmctx_template, module->layout.size);
    inst->vmctx->module.p = (void *)(uintptr_t)module;
    inst->vmctx->instance.p = inst;
    bound_setup(pool, inst, block);

    s = link_imports(inst, imports);
    if (s != KILN_STATUS_OK) {
        bound_release(pool, inst);
        return s;
    }
    init_funcrefs(inst);
    if (module->memory_count != 0) {
        inst->vmctx->memory0.p = &inst->memories[0]->pub;
        inst->vmctx->mem0_base = inst->memories[0]->pub.base;
    }
    init_globals(inst, b->global_imports);

    bool start_ran = false;
    kiln_trap t = apply_segments(inst, b);
    if (t == KILN_TRAP_NONE && module->start != UINT32_MAX) {
        uint64_t args_results[2] = {0, 0};
        start_ran = true;
        t = kiln_invoke(inst, module->start, args_results);
    }
    if (t != KILN_TRAP_NONE) {
        if (trap != NULL)
            *trap = t;
        kiln_set_error("instantiation trapped: %s", kiln_trap_message(t));
        if (may_have_escaped(inst, start_ran))
            kiln_pool_keep_zombie(pool, slot);
        else
            bound_release(pool, inst);
        return KILN_STATUS_TRAP;
    }
    *out = inst;
    return KILN_STATUS_OK;
}

KILN_API void kiln_instance_free(kiln_instance *inst)
{
    if (inst == NULL || inst->zombie)
        return;
    kiln_pool *pool = inst->pool;
    if (pool->bound != NULL) {
        bound_release(pool, inst);
        return;
    }
    uint32_t slot = inst->slot;
    kiln_instance_destroy(inst, true);
    kiln_pool_release(pool, slot);
}

KILN_API kiln_status kiln_instance_export(kiln_instance *inst, const char *name, kiln_extern *out)
{
    if (name == NULL)
        return KILN_STATUS_ARG;
    return kiln_instance_export_n(inst, name, strlen(name), out);
}

KILN_API kiln_status kiln_instance_export_n(kiln_instance *inst, const char *name, size_t len,
                                            kiln_extern *out)
{
    if (inst == NULL || (name == NULL && len > 0) || out == NULL)
        return KILN_STATUS_ARG;
    const kiln_module_desc *m = inst->module;
    const kiln_export_desc *exports = m->exports.p;
    for (uint32_t i = 0; i < m->export_count; i++) {
        const kiln_export_desc *e = &exports[i];
        if (!str_is_n(&e->name, name, len))
            continue;
        memset(out, 0, sizeof *out);
        out->kind = e->kind;
        switch (e->kind) {
        case KILN_KIND_FUNC:
            out->of.func = kiln_instance_funcref(inst, e->index);
            break;
        case KILN_KIND_TABLE:
            out->of.table = kiln_vm_tables(inst->vmctx)[e->index].p;
            break;
        case KILN_KIND_MEMORY:
            out->of.memory = &inst->memories[e->index]->pub;
            break;
        case KILN_KIND_GLOBAL: {
            const kiln_global_desc *g = (const kiln_global_desc *)m->globals.p + e->index;
            out->of.global.type = g->type;
            out->of.global.mut = g->mut;
            out->of.global.cell = kiln_vm_globals(inst->vmctx)[e->index].p;
            break;
        }
        }
        return KILN_STATUS_OK;
    }
    return KILN_STATUS_NOT_FOUND;
}

KILN_API kiln_memory *kiln_instance_memory(kiln_instance *inst, uint32_t index)
{
    if (inst == NULL || index >= inst->module->memory_count)
        return NULL;
    return &inst->memories[index]->pub;
}

KILN_API const kiln_module *kiln_instance_module(const kiln_instance *inst)
{
    return inst != NULL ? inst->module : NULL;
}

KILN_API void kiln_instance_set_user(kiln_instance *inst, void *user)
{
    if (inst != NULL)
        inst->user = user;
}

KILN_API void *kiln_instance_user(const kiln_instance *inst)
{
    return inst != NULL ? inst->user : NULL;
}
