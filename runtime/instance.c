/* instance.c -- instantiation, both paths, and what an embedder asks of an instance.
 *
 * kiln_instance_new_in follows the spec's instantiation (Wasm 2.0, 4.5.4): prepare the module
 * (module.c), take a slot (pool.c), intern signatures, link imports by (module, name) with
 * the spec's import matching -> KILN_STATUS_LINK with "unknown import"/"incompatible import
 * type" (reference types, Wasm 3.0, compared by canonical words: equal for tables and mutable
 * globals, a subtype for immutable ones; tags by equal canonical signature ids; memories shared
 * exactly when the import says so, threads), fill funcrefs and the defined tags' records,
 * create tables and memories, initialise globals, then defined tables from their
 * initialisers, then the one tail both paths share (finish):
 * element then data segments, each checked as a whole, a failing one trapping with earlier
 * writes kept; the start function; and what a trap leaves behind.
 * kiln_pool_instantiate is the same for a module pool minus what the pool did once (the slot
 * comes with its vmctx template, tables, memories and data image ready): link, funcrefs,
 * tags, globals, table initialisers, finish. kiln_instance_new_ex is either path with the host's
 * per-instance limits (kiln_instance_limits): the smaller of the pool's and the instance's sizes
 * and stack budget, checked against the initial sizes before anything is initialised; the grow
 * callback is kept in the record for memory.c and table.c. An instantiation that traps
 * after it may have published references to its own functions stays alive as a zombie until
 * its pool is freed (the spec's linking tests call them); any other failure returns the
 * slot.
 * Calls pool.c, module.c, memory.c, table.c, call.c and trap.c; called only by embedders.
 */
#include <stdio.h>
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

/* "incompatible import type": what (table element type, global type) differs: the import's
 * type (its descriptor's type index) vs the export's (canonical ids). */
static kiln_status ref_mismatch(const kiln_import_desc *im, const char *what, uint8_t kind,
                                uint32_t word)
{
    char want[KILN_REF_NAME_SIZE], have[KILN_REF_NAME_SIZE], why[128];
    snprintf(why, sizeof why, "%s %s vs %s", what, kiln_ref_name(im->type, im->ref, false, want),
             kiln_ref_name(kind, word, true, have));
    return incompatible(im, why);
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

/* Binds function import im to the module's own adapter for it (a sealed import's, which
 * calls the C function it was linked with, or a host function's, h), with the funcref that
 * ref.func and tables of the import yield. */
static void bind_adapter(kiln_instance *inst, const kiln_import_desc *im, uint32_t sig,
                         const kiln_host_func *h)
{
    kiln_vmctx *vm = inst->vmctx;
    const kiln_func_desc *fd = (const kiln_func_desc *)inst->module->funcs.p + im->index;
    kiln_import_slot *slot = &kiln_vm_imports(vm)[im->index];
    kiln_funcref *ref = &inst->host_refs[im->index];
    ref->code = fd->code;
    ref->vmctx.p = vm;
    ref->array_entry = fd->array_entry;
    ref->sig = sig;
    slot->code = fd->code;
    slot->vmctx.p = vm;
    slot->ref.p = ref;
    slot->host.p = (void *)(uintptr_t)h; /* kept const; kiln_host_call reads it */
}

static kiln_status link_function(kiln_instance *inst, const kiln_import_desc *im,
                                 const kiln_extern *ext)
{
    kiln_vmctx *vm = inst->vmctx;
    const kiln_module_desc *m = inst->module;
    const kiln_func_desc *fd = (const kiln_func_desc *)m->funcs.p + im->index;
    uint32_t sig = kiln_vm_sig_ids(vm)[im->type_index];
    kiln_import_slot *slot = &kiln_vm_imports(vm)[im->index];
    if (im->sealed) { /* its adapter calls the C function it was linked with */
        if (fd->code.p == NULL) {
            kiln_set_error("invalid module descriptor: no adapter for sealed import %u",
                           (unsigned)im->index);
            return KILN_STATUS_ARG;
        }
        bind_adapter(inst, im, sig, NULL);
        return KILN_STATUS_OK;
    }
    if (ext == NULL)
        return link_error("unknown import", im, "");
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
        bind_adapter(inst, im, sig, h);
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

/* Every import neither sealed nor in imports, named in one error: `unknown import: "m" "n"`
 * for one, `unknown imports: "m" "n", "m" "n2"` for several (at most 4,000 bytes of them,
 * then ", ..."). KILN_STATUS_OK if there is none. */
static kiln_status check_unknown(const kiln_module_desc *m, const kiln_imports *imports)
{
    const kiln_import_desc *descs = m->imports.p;
    char list[4096];
    size_t len = 0;
    uint32_t count = 0;
    const kiln_import_desc *first = NULL;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const kiln_import_desc *im = &descs[i];
        if ((im->kind == KILN_KIND_FUNC && im->sealed) || find_import(imports, im) != NULL)
            continue;
        if (count++ == 0)
            first = im;
        if (len < 4000) {
            int n =
                snprintf(list + len, sizeof list - len, "%s\"%.*s\" \"%.*s\"",
                         count > 1 ? ", " : "", (int)im->module.len, (const char *)im->module.ptr.p,
                         (int)im->name.len, (const char *)im->name.ptr.p);
            len = n < 0 ? len : len + (size_t)n < sizeof list ? len + (size_t)n : sizeof list - 1;
        } else if (len < sizeof list - 6) {
            memcpy(list + len, ", ...", 6);
            len = sizeof list - 1;
        }
    }
    if (count == 0)
        return KILN_STATUS_OK;
    if (count == 1)
        return link_error("unknown import", first, "");
    kiln_set_error("unknown imports: %s", list);
    return KILN_STATUS_LINK;
}

static kiln_status link_imports(kiln_instance *inst, const kiln_imports *imports)
{
    const kiln_module_desc *m = inst->module;
    const kiln_import_desc *descs = m->imports.p;
    kiln_vmctx *vm = inst->vmctx;
    vm->import_env.p = NULL;
    kiln_status s = check_unknown(m, imports);
    if (s != KILN_STATUS_OK)
        return s;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const kiln_import_desc *im = &descs[i];
        if (im->kind == KILN_KIND_FUNC) {
            const kiln_import *item = im->sealed ? NULL : find_import(imports, im);
            s = link_function(inst, im, item != NULL ? &item->value : NULL);
            if (s != KILN_STATUS_OK)
                return s;
            continue;
        }
        const kiln_import *item = find_import(imports, im);
        if (item == NULL)
            return link_error("unknown import", im, "");
        const kiln_extern *ext = &item->value;
        switch (im->kind) {
        case KILN_KIND_TABLE: {
            if (ext->kind != KILN_KIND_TABLE || ext->of.table == NULL)
                return incompatible(im, "not a table");
            kiln_table_impl *t = (kiln_table_impl *)ext->of.table;
            /* Tables are mutable: element types must be equal, not just compatible. */
            if (t->pub.elem_type != im->type ||
                t->pub.elem_ref != kiln_ref_canon(im->ref, kiln_vm_sig_ids(vm)))
                return ref_mismatch(im, "table element type", t->pub.elem_type, t->pub.elem_ref);
            if (t->is64 != (im->limits.is64 != 0))
                return incompatible(im, "table address type");
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
            if (mem->is64 != (im->limits.is64 != 0))
                return incompatible(im, "memory address type");
            if (mem->page_log2 != kiln_desc_page_log2(&im->limits))
                return incompatible(im, "memory page size");
            /* Threads: a shared import takes only a shared memory, an unshared one only an
             * unshared memory. */
            if (mem->shared != (im->limits.shared != 0))
                return incompatible(im, mem->shared
                                            ? "memory sharing: the memory is shared, the import "
                                              "is not"
                                            : "memory sharing: the import is shared, the memory "
                                              "is not");
            if (!limits_match(kiln_memory_size(mem) >> mem->page_log2, mem->has_max, mem->decl_max,
                              &im->limits))
                return incompatible(im, "memory limits");
            inst->memories[im->index] = mem;
            if (mem->counted) /* held while this instance lives (docs/threads.md) */
                kiln_memory_retain_impl(mem);
            break;
        }
        case KILN_KIND_GLOBAL: {
            const kiln_host_global *g = &ext->of.global;
            if (ext->kind != KILN_KIND_GLOBAL || g->cell == NULL)
                return incompatible(im, "not a global");
            if (g->type != im->type || (g->mut != 0) != (im->mut != 0))
                return incompatible(im, "global type");
            /* A mutable global's type must be equal (it is read and written), an immutable
             * one's a subtype of the import's (it is only read). */
            uint32_t want = kiln_ref_canon(im->ref, kiln_vm_sig_ids(vm));
            uint32_t have = kiln_ref_norm(g->ref);
            if (have != want && (im->mut || !kiln_ref_subtype(g->type, have, want)))
                return ref_mismatch(im, "global type", g->type, have);
            kiln_vm_globals(vm)[im->index].p = ext->of.global.cell;
            break;
        }
        case KILN_KIND_TAG:
            /* Tags match when their types are equivalent: equal canonical ids. */
            if (ext->kind != KILN_KIND_TAG || ext->of.tag == NULL)
                return incompatible(im, "not a tag");
            if (ext->of.tag->sig != kiln_vm_sig_ids(vm)[im->type_index])
                return incompatible(im, "tag type");
            kiln_vm_tags(vm)[im->index].p = (void *)(uintptr_t)ext->of.tag;
            break;
        }
    }
    return KILN_STATUS_OK;
}

/* ---- vmctx contents ---- */

/* A segment's offset: an i32 (zero-extended) or, for a 64-bit memory, an i64. */
static uint64_t eval_offset(kiln_instance *inst, const kiln_init_desc *init)
{
    kiln_global_cell cell;
    if (init->kind == KILN_INIT_GLOBAL) {
        cell = *(kiln_global_cell *)kiln_vm_globals(inst->vmctx)[init->index].p;
    } else if (init->kind == KILN_INIT_EXPR) {
        /* checked when the module was (kiln_module_check) */
        if (!kiln_init_expr(inst->module, init, inst->module->global_count,
                            kiln_vm_globals(inst->vmctx), &cell))
            return UINT64_MAX;
    } else {
        cell = init->value;
    }
    return init->type == KILN_TYPE_I64 ? (uint64_t)cell.u.i64 : (uint32_t)cell.u.i32;
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

/* The defined tags: one record each in vmctx (a new tag per instance: its address is its
 * identity), after the imported ones in the pointer array throw and catch clauses read. */
static void init_tags(kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    const kiln_tag_desc *tags = m->tags.p;
    kiln_ptr64 *ptrs = kiln_vm_tags(inst->vmctx);
    kiln_tag *records = kiln_vm_tag_records(inst->vmctx);
    const uint32_t *ids = kiln_vm_sig_ids(inst->vmctx);
    uint32_t defined = 0;
    for (uint32_t i = 0; i < m->tag_count; i++) {
        if (tags[i].imported)
            continue;
        kiln_tag *r = &records[defined++];
        r->sig = ids[tags[i].type_index];
        r->reserved = 0;
        ptrs[i].p = r;
    }
}

/* ---- Limits: the pool's, lowered by the instance's own (kiln_instance_limits) ---- */

static uint64_t memory_cap(const kiln_pool *pool, const kiln_instance_limits *limits)
{
    uint64_t cap = pool->config.max_memory_pages;
    if (limits != NULL && limits->max_memory_pages != 0 && limits->max_memory_pages < cap)
        cap = limits->max_memory_pages;
    return cap;
}

static uint32_t table_cap(const kiln_pool *pool, const kiln_instance_limits *limits)
{
    uint32_t cap = pool->config.max_table_elems;
    if (limits != NULL && limits->max_table_elems != 0 && limits->max_table_elems < cap)
        cap = limits->max_table_elems;
    return cap;
}

/* The instance's stack and grow settings, and its own size limits checked against the
 * module's initial sizes (the pool's were checked by the pool or are checked as the tables
 * and memories are created), so that going over one is reported as this instance's limit. */
static kiln_status apply_limits(kiln_instance *inst, const kiln_instance_limits *limits)
{
    if (limits == NULL)
        return KILN_STATUS_OK;
    if (limits->stack_size != 0 && limits->stack_size < inst->stack_budget)
        inst->stack_budget = limits->stack_size;
    if (limits->stack_headroom != 0)
        inst->stack_headroom = limits->stack_headroom;
    inst->on_grow = limits->on_grow;
    inst->on_grow_env = limits->on_grow_env;
    const kiln_module_desc *m = inst->module;
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; limits->max_memory_pages != 0 && i < m->memory_count; i++) {
        /* The limit counts 64 KiB pages; a memory of 1-byte pages is compared in bytes. */
        const kiln_limits_desc *lim = &memories[i].limits;
        if (!memories[i].imported && (lim->min << kiln_desc_page_log2(lim)) >
                                         limits->max_memory_pages * (uint64_t)KILN_WASM_PAGE) {
            kiln_set_error("memory %u of %llu pages is over the instance's limit of %llu pages",
                           (unsigned)i, (unsigned long long)memories[i].limits.min,
                           (unsigned long long)limits->max_memory_pages);
            return KILN_STATUS_LIMIT;
        }
    }
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; limits->max_table_elems != 0 && i < m->table_count; i++) {
        if (!tables[i].imported && tables[i].limits.min > limits->max_table_elems) {
            kiln_set_error("table %u of %llu elements is over the instance's limit of %u",
                           (unsigned)i, (unsigned long long)tables[i].limits.min,
                           (unsigned)limits->max_table_elems);
            return KILN_STATUS_LIMIT;
        }
    }
    return KILN_STATUS_OK;
}

/* Module pools: the slot's tables and memories come with the pool's growth limits; lowers
 * them to the instance's. */
static void lower_slot_limits(kiln_instance *inst, const kiln_instance_limits *limits)
{
    const kiln_module_desc *m = inst->module;
    const kiln_memory_desc *memories = m->memories.p;
    for (uint32_t i = 0; limits->max_memory_pages != 0 && i < m->memory_count; i++) {
        kiln_memory_impl *mem = &inst->own_memories[i];
        uint64_t cap = kiln_cap_pages(limits->max_memory_pages, mem->page_log2);
        if (kiln_memory_in_slot(&memories[i]) && mem->limit_pages > cap)
            mem->limit_pages = cap;
    }
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; limits->max_table_elems != 0 && i < m->table_count; i++) {
        kiln_table_impl *t = &inst->own_tables[i];
        if (!tables[i].imported && t->limit > limits->max_table_elems)
            t->limit = limits->max_table_elems;
    }
}

/* Both kinds of pool: the shared memories the module defines, objects of their own (not in
 * the slot: they may outlive the instance, docs/threads.md), with the instance's growth
 * limit. */
static kiln_status create_shared_memories(kiln_instance *inst, const kiln_instance_limits *limits)
{
    const kiln_module_desc *m = inst->module;
    const kiln_memory_desc *memories = m->memories.p;
    bool guarded = !(m->flags & KILN_MODULE_BOUNDS_CHECKED);
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported || !memories[i].limits.shared)
            continue;
        kiln_status s = kiln_memory_new_counted(&memories[i].limits, memory_cap(inst->pool, limits),
                                                guarded, &inst->memories[i]);
        if (s != KILN_STATUS_OK)
            return s;
    }
    return KILN_STATUS_OK;
}

static kiln_status create_tables_and_memories(kiln_instance *inst,
                                              const kiln_instance_limits *limits)
{
    const kiln_module_desc *m = inst->module;
    uint64_t memory_pages = memory_cap(inst->pool, limits);
    uint32_t table_elems = table_cap(inst->pool, limits);
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported)
            continue;
        kiln_table_impl *t = &inst->own_tables[i];
        kiln_status s =
            kiln_table_setup(t, tables[i].elem_type, tables[i].limits.min, tables[i].limits.has_max,
                             tables[i].limits.max, table_elems);
        if (s != KILN_STATUS_OK)
            return s;
        t->is64 = tables[i].limits.is64 != 0;
        t->pub.elem_ref = kiln_ref_canon(tables[i].elem_ref, kiln_vm_sig_ids(inst->vmctx));
        kiln_vm_tables(inst->vmctx)[i].p = t;
    }
    const kiln_memory_desc *memories = m->memories.p;
    kiln_slot *slot = &inst->pool->slots[inst->slot];
    bool guarded = !(m->flags & KILN_MODULE_BOUNDS_CHECKED);
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (!kiln_memory_in_slot(&memories[i]))
            continue;
        /* Bounds-checked memories have their own reservations, never the slot's (memory.c). */
        void *cached = guarded ? slot->reservation : NULL;
        if (guarded)
            slot->reservation = NULL;
        const kiln_limits_desc *lim = &memories[i].limits;
        kiln_status s =
            kiln_memory_setup(&inst->own_memories[i], lim->min, lim->has_max, lim->max,
                              memory_pages, kiln_desc_page_log2(lim), false, guarded, cached);
        if (s != KILN_STATUS_OK) {
            /* Limit errors come before the reservation is touched; a failed commit
             * released it. */
            if (s != KILN_STATUS_NOMEM && cached != NULL)
                slot->reservation = cached;
            return s;
        }
        inst->own_memories[i].is64 = lim->is64;
        inst->memories[i] = &inst->own_memories[i];
    }
    return create_shared_memories(inst, limits);
}

/* Memory 0 (defined or imported) in the vmctx header, and every memory in the per-module
 * array, where generated code reads them. */
static void init_memories(kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    if (m->memory_count != 0) {
        inst->vmctx->memory0.p = &inst->memories[0]->pub;
        inst->vmctx->mem0_base = inst->memories[0]->pub.base;
    }
    kiln_ptr64 *records = (kiln_ptr64 *)((char *)inst->vmctx + m->layout.memories);
    for (uint32_t i = 0; i < m->memory_count; i++)
        records[i].p = &inst->memories[i]->pub;
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
        case KILN_INIT_EXPR: /* checked when the module was: reads globals below i */
            if (!kiln_init_expr(m, init, i, ptrs, cell))
                memset(cell, 0, sizeof *cell);
            break;
        default:
            memset(cell, 0, sizeof *cell);
            cell->u.ref.p = kiln_eval_ref(inst, init);
            break;
        }
        ptrs[i].p = cell;
    }
}

/* Defined tables with an initialiser (Wasm 3.0) hold its value in every element: evaluated
 * once globals and funcrefs are set, before the element segments (spec order). */
static void init_tables(kiln_instance *inst)
{
    const kiln_module_desc *m = inst->module;
    const kiln_table_desc *tables = m->tables.p;
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported || !tables[i].has_init)
            continue;
        kiln_table_impl *t = &inst->own_tables[i];
        void *value = kiln_eval_ref(inst, &tables[i].init);
        void **elems = t->pub.elems.p;
        for (uint32_t j = 0; j < t->pub.size; j++)
            elems[j] = value;
    }
}

/* Step 5: element segments, then data segments (spec 2.0 order). A module pool's slot with a
 * prepared image of memory 0 holds it already (pool.c), and none of its data segments can
 * trap: they only count as applied, and a trap in an element segment removes it again. */
static kiln_trap apply_segments(kiln_instance *inst, const kiln_memory_image *image)
{
    const kiln_module_desc *m = inst->module;
    const kiln_elem_desc *elems = m->elems.p;
    for (uint32_t i = 0; i < m->elem_count; i++) {
        if (elems[i].mode == KILN_SEG_MODE_ACTIVE) {
            uint64_t offset = eval_offset(inst, &elems[i].offset);
            kiln_trap t = offset > UINT32_MAX
                              ? KILN_TRAP_TABLE_OOB
                              : kiln_table_init_checked(inst, elems[i].table, i, (uint32_t)offset,
                                                        0, elems[i].count);
            if (t != KILN_TRAP_NONE) {
                /* The data segments never ran: a zombie's memory must not show them. */
                if (image != NULL && image->present && image->hi > image->lo)
                    memset((char *)inst->memories[0]->pub.base.p + image->lo, 0,
                           image->hi - image->lo);
                return t;
            }
        }
        if (elems[i].mode != KILN_SEG_MODE_PASSIVE)
            kiln_vm_elem_dropped(inst->vmctx)[i] = 1;
    }
    const kiln_data_desc *datas = m->datas.p;
    if (image != NULL && image->present) {
        uint8_t *dropped = kiln_vm_data_dropped(inst->vmctx);
        for (uint32_t i = 0; i < m->data_count; i++)
            dropped[i] = datas[i].mode == KILN_SEG_MODE_ACTIVE;
        return KILN_TRAP_NONE;
    }
    for (uint32_t i = 0; i < m->data_count; i++) {
        if (datas[i].mode != KILN_SEG_MODE_ACTIVE)
            continue;
        uint64_t offset = eval_offset(inst, &datas[i].offset);
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

/* Steps 5-6 of both paths, once every record is filled: segments, the start function, and
 * on a trap its disposition (a zombie if references may have escaped, else the slot goes
 * back). In this file with both paths: one direct call, no call into another file. */
static kiln_status finish(kiln_instance *inst, const kiln_memory_image *image, kiln_instance **out,
                          kiln_trap *trap)
{
    const kiln_module_desc *module = inst->module;
    bool start_ran = false;
    kiln_trap t = apply_segments(inst, image);
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
            kiln_pool_keep_zombie(inst);
        else
            kiln_pool_put(inst);
        return KILN_STATUS_TRAP;
    }
    *out = inst;
    return KILN_STATUS_OK;
}

/* kiln_pool_instantiate with limits: the slot comes with its records laid out (pool.c). */
static kiln_status instantiate_from_module_pool(kiln_pool *pool, const kiln_imports *imports,
                                                const kiln_instance_limits *limits,
                                                kiln_instance **out, kiln_trap *trap)
{
    const kiln_module_pool *mp = pool->module_pool;
    kiln_instance *inst;
    kiln_status s = kiln_pool_take(pool, mp->module, &inst);
    if (s != KILN_STATUS_OK)
        return s;
    s = apply_limits(inst, limits);
    if (s == KILN_STATUS_OK)
        s = link_imports(inst, imports);
    if (s == KILN_STATUS_OK)
        s = create_shared_memories(inst, limits);
    if (s != KILN_STATUS_OK) {
        kiln_pool_put(inst);
        return s;
    }
    if (limits != NULL)
        lower_slot_limits(inst, limits);
    init_funcrefs(inst);
    init_tags(inst);
    init_memories(inst);
    init_globals(inst, mp->global_imports);
    init_tables(inst);
    return finish(inst, &mp->image, out, trap);
}

KILN_API kiln_status kiln_instance_new_ex(kiln_pool *pool, const kiln_module *module,
                                          const kiln_imports *imports,
                                          const kiln_instance_limits *limits, kiln_instance **out,
                                          kiln_trap *trap)
{
    if (trap != NULL)
        *trap = KILN_TRAP_NONE;
    kiln_clear_error();
    if (module == NULL || out == NULL ||
        (imports != NULL && imports->count != 0 && imports->items == NULL)) {
        kiln_set_error("kiln_instance_new: NULL argument");
        return KILN_STATUS_ARG;
    }
    if (pool == NULL) {
        kiln_status s = kiln_default_pool(&pool);
        if (s != KILN_STATUS_OK) {
            kiln_set_error("cannot create the default pool");
            return s;
        }
    }
    if (pool->module_pool != NULL) {
        const kiln_module_desc *own = pool->module_pool->module;
        if (module != own) {
            kiln_set_error("this pool was created for module \"%.*s\"", (int)own->name.len,
                           (const char *)own->name.ptr.p);
            return KILN_STATUS_ARG;
        }
        return instantiate_from_module_pool(pool, imports, limits, out, trap);
    }
    /* A module pool's module was prepared when the pool was created. */
    uint32_t global_imports = 0;
    kiln_status s = kiln_module_prepare(module, &global_imports);
    if (s != KILN_STATUS_OK)
        return s;
    kiln_instance *inst;
    s = kiln_pool_take(pool, module, &inst);
    if (s != KILN_STATUS_OK)
        return s;
    s = apply_limits(inst, limits);
    if (s == KILN_STATUS_OK)
        s = intern_types(inst);
    if (s == KILN_STATUS_OK)
        s = link_imports(inst, imports);
    if (s == KILN_STATUS_OK) {
        init_funcrefs(inst);
        init_tags(inst);
        s = create_tables_and_memories(inst, limits);
    }
    if (s != KILN_STATUS_OK) {
        kiln_pool_put(inst);
        return s;
    }
    init_memories(inst);
    init_globals(inst, global_imports);
    init_tables(inst);
    return finish(inst, NULL, out, trap);
}

KILN_API kiln_status kiln_instance_new_in(kiln_pool *pool, const kiln_module *module,
                                          const kiln_imports *imports, kiln_instance **out,
                                          kiln_trap *trap)
{
    if (pool == NULL) {
        if (trap != NULL)
            *trap = KILN_TRAP_NONE;
        kiln_set_error("kiln_instance_new: NULL argument");
        return KILN_STATUS_ARG;
    }
    return kiln_instance_new_ex(pool, module, imports, NULL, out, trap);
}

KILN_API kiln_status kiln_instance_new(const kiln_module *module, const kiln_imports *imports,
                                       kiln_instance **out)
{
    return kiln_instance_new_ex(NULL, module, imports, NULL, out, NULL);
}

KILN_API kiln_status kiln_pool_instantiate(kiln_pool *pool, const kiln_imports *imports,
                                           kiln_instance **out, kiln_trap *trap)
{
    if (trap != NULL)
        *trap = KILN_TRAP_NONE;
    kiln_clear_error();
    if (pool == NULL || pool->module_pool == NULL || out == NULL ||
        (imports != NULL && imports->count != 0 && imports->items == NULL)) {
        kiln_set_error(pool != NULL && pool->module_pool == NULL
                           ? "kiln_pool_instantiate: not a module pool (kiln_module_pool_new)"
                           : "kiln_pool_instantiate: NULL argument");
        return KILN_STATUS_ARG;
    }
    return instantiate_from_module_pool(pool, imports, NULL, out, trap);
}

KILN_API void kiln_instance_free(kiln_instance *inst)
{
    if (inst == NULL || inst->zombie)
        return;
    kiln_deadline_forget(inst);
    kiln_pool_put(inst);
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
            out->of.global.ref = kiln_ref_canon(g->ref, kiln_vm_sig_ids(inst->vmctx));
            break;
        }
        case KILN_KIND_TAG:
            out->of.tag = kiln_vm_tags(inst->vmctx)[e->index].p;
            break;
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

KILN_API const kiln_tag *kiln_instance_tag(kiln_instance *inst, uint32_t index)
{
    if (inst == NULL || index >= inst->module->tag_count)
        return NULL;
    return kiln_vm_tags(inst->vmctx)[index].p;
}

KILN_API const kiln_module *kiln_instance_module(const kiln_instance *inst)
{
    return inst != NULL ? inst->module : NULL;
}

KILN_API kiln_status kiln_imports_concat(const kiln_imports *const *lists, size_t count,
                                         kiln_imports *out)
{
    if (out != NULL) {
        out->items = NULL;
        out->count = 0;
    }
    if (out == NULL || (count != 0 && lists == NULL)) {
        kiln_set_error("kiln_imports_concat: NULL argument");
        return KILN_STATUS_ARG;
    }
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (lists[i] == NULL)
            continue;
        if (lists[i]->count != 0 && lists[i]->items == NULL) {
            kiln_set_error("kiln_imports_concat: list %zu has %zu items at NULL", i,
                           lists[i]->count);
            return KILN_STATUS_ARG;
        }
        if (lists[i]->count > SIZE_MAX / sizeof(kiln_import) - total) {
            kiln_set_error("kiln_imports_concat: too many imports");
            return KILN_STATUS_NOMEM;
        }
        total += lists[i]->count;
    }
    if (total == 0)
        return KILN_STATUS_OK;
    kiln_import *items = malloc(total * sizeof *items);
    if (items == NULL) {
        kiln_set_error("kiln_imports_concat: out of memory for %zu imports", total);
        return KILN_STATUS_NOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (lists[i] != NULL && lists[i]->count != 0) {
            memcpy(items + n, lists[i]->items, lists[i]->count * sizeof *items);
            n += lists[i]->count;
        }
    out->items = items;
    out->count = total;
    return KILN_STATUS_OK;
}

KILN_API void kiln_imports_free(kiln_imports *list)
{
    if (list == NULL)
        return;
    free((void *)(uintptr_t)list->items);
    list->items = NULL;
    list->count = 0;
}

KILN_API void kiln_instance_set_import_env(kiln_instance *inst, void *env)
{
    if (inst != NULL)
        inst->vmctx->import_env.p = env;
}

KILN_API void *kiln_instance_import_env(const kiln_instance *inst)
{
    return inst != NULL ? inst->vmctx->import_env.p : NULL;
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
