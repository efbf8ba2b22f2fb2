/* desc_builder.c -- the runtime tests' module descriptors (see desc_builder.h): appending
 * entries to a desc_builder's arrays, and the vmctx layout the compiler would choose.
 * A builder that runs out of room is a bug in the test: it stops the program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desc_builder.h"
#include "rt_test.h"

kiln_str_desc rt_str(const char *s)
{
    kiln_str_desc d;
    memset(&d, 0, sizeof d);
    d.ptr.p = (void *)(uintptr_t)s;
    d.len = (uint32_t)strlen(s);
    return d;
}

kiln_functype_desc rt_type(uint32_t params, uint32_t results, const uint8_t *types)
{
    kiln_functype_desc t;
    memset(&t, 0, sizeof t);
    t.param_count = params;
    t.result_count = results;
    t.types.p = (void *)(uintptr_t)types;
    return t;
}

static kiln_init_desc init(uint8_t kind, uint8_t type, uint32_t index)
{
    kiln_init_desc d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.type = type;
    d.index = index;
    return d;
}

kiln_init_desc rt_init_i32(int32_t v)
{
    kiln_init_desc d = init(KILN_INIT_CONST, KILN_TYPE_I32, 0);
    d.value.u.i32 = v;
    return d;
}

kiln_init_desc rt_init_global(uint8_t type, uint32_t index)
{
    return init(KILN_INIT_GLOBAL, type, index);
}

kiln_init_desc rt_init_func(uint32_t index)
{
    return init(KILN_INIT_REF_FUNC, KILN_TYPE_FUNCREF, index);
}

kiln_init_desc rt_init_null(uint8_t type)
{
    return init(KILN_INIT_REF_NULL, type, 0);
}

void rt_module_init(kiln_module_desc *m)
{
    memset(m, 0, sizeof *m);
    m->abi_version = KILN_ABI_VERSION;
    m->name = rt_str("test");
    m->start = UINT32_MAX;
    m->flags = RT_MODULE_FLAGS;
    m->code_begin.p = __start_kiln_text;
    m->code_end.p = __stop_kiln_text;
}

static uint32_t align_to(uint32_t n, uint32_t a)
{
    return (n + a - 1) & ~(a - 1);
}

void rt_layout(kiln_module_desc *m)
{
    const kiln_global_desc *globals = m->globals.p;
    const kiln_tag_desc *tags = m->tags.p;
    uint32_t global_imports = 0, tag_imports = 0;
    for (uint32_t i = 0; i < m->global_count; i++)
        global_imports += globals[i].imported ? 1 : 0;
    for (uint32_t i = 0; i < m->tag_count; i++)
        tag_imports += tags[i].imported ? 1 : 0;
    kiln_vmctx_layout *l = &m->layout;
    uint32_t off = KILN_VMCTX_HEADER_SIZE;
    l->imports = off;
    off += m->func_import_count * (uint32_t)sizeof(kiln_import_slot);
    l->tables = off;
    off += m->table_count * 8u;
    l->globals = off;
    off += m->global_count * 8u;
    l->memories = off;
    off += m->memory_count * 8u;
    l->tags = off;
    off += m->tag_count * 8u;
    l->tag_records = off;
    off += (m->tag_count - tag_imports) * (uint32_t)sizeof(kiln_tag);
    off = align_to(off, 16);
    l->global_cells = off;
    off += (m->global_count - global_imports) * 16u;
    l->sig_ids = off;
    off += m->type_count * 4u;
    off = align_to(off, 8);
    l->funcrefs = off;
    off += (m->func_count - m->func_import_count) * (uint32_t)sizeof(kiln_funcref);
    l->elem_dropped = off;
    off += m->elem_count;
    l->data_dropped = off;
    off += m->data_count;
    l->size = align_to(off, 16);
}

/* The next index of an array of cap entries whose count is *count. */
static uint32_t next(uint32_t *count, uint32_t cap, const char *what)
{
    if (*count >= cap) {
        fprintf(stderr, "desc_builder: more than %u %s\n", cap, what);
        abort();
    }
    return (*count)++;
}

void desc_begin(desc_builder *b, const char *name)
{
    memset(b, 0, sizeof *b);
    rt_module_init(&b->m);
    b->m.name = rt_str(name);
}

kiln_module_desc *desc_end(desc_builder *b)
{
    kiln_module_desc *m = &b->m;
    m->types.p = b->types;
    m->imports.p = b->imports;
    m->funcs.p = b->funcs;
    m->tables.p = b->tables;
    m->memories.p = b->memories;
    m->globals.p = b->globals;
    m->exports.p = b->exports;
    m->elems.p = b->elems;
    m->datas.p = b->datas;
    m->tags.p = b->tags;
    for (uint32_t i = 0, item = 0; i < m->elem_count; i++) {
        b->elems[i].items.p = &b->items[item];
        item += b->elems[i].count;
    }
    rt_layout(m);
    return m;
}

uint32_t desc_type(desc_builder *b, uint32_t params, uint32_t results, const uint8_t *types)
{
    uint32_t i = next(&b->m.type_count, DESC_MAX, "types");
    b->types[i] = rt_type(params, results, types);
    return i;
}

uint32_t desc_type_refs(desc_builder *b, uint32_t params, uint32_t results, const uint8_t *types,
                        const uint32_t *refs)
{
    uint32_t i = desc_type(b, params, results, types);
    b->types[i].refs.p = (void *)(uintptr_t)refs;
    return i;
}

void desc_rec_group(desc_builder *b, uint32_t first, uint32_t size)
{
    for (uint32_t i = first; i < first + size; i++) {
        b->types[i].group = first;
        b->types[i].group_size = size;
    }
}

void desc_import_ref(desc_builder *b, uint32_t ref)
{
    if (b->m.import_count == 0) {
        fprintf(stderr, "desc_builder: desc_import_ref without an import\n");
        abort();
    }
    kiln_import_desc *d = &b->imports[b->m.import_count - 1];
    d->ref = ref;
    if (d->kind == KILN_KIND_TABLE)
        b->tables[d->index].elem_ref = ref;
    else if (d->kind == KILN_KIND_GLOBAL)
        b->globals[d->index].ref = ref;
}

/* Appends the import (module, name, kind, index in its index space). */
static kiln_import_desc *add_import(desc_builder *b, const char *module, const char *name,
                                    uint8_t kind, uint32_t index)
{
    kiln_import_desc *d = &b->imports[next(&b->m.import_count, DESC_MAX, "imports")];
    d->module = rt_str(module);
    d->name = rt_str(name);
    d->kind = kind;
    d->index = index;
    return d;
}

/* The next index of a kind's index space for an import: imports come before definitions. */
static uint32_t next_import(desc_builder *b, uint8_t kind, uint32_t *count, const char *what)
{
    if (*count != b->kind_imports[kind]) {
        fprintf(stderr, "desc_builder: %s import after a defined one\n", what);
        abort();
    }
    b->kind_imports[kind]++;
    return next(count, DESC_MAX, what);
}

uint32_t desc_import_func(desc_builder *b, const char *module, const char *name, uint32_t type,
                          void *adapter, kiln_array_fn entry)
{
    uint32_t i = next_import(b, KILN_KIND_FUNC, &b->m.func_count, "functions");
    b->m.func_import_count++;
    b->funcs[i] =
        (kiln_func_desc){.code.p = adapter, .array_entry.p = (void *)entry, .type_index = type};
    add_import(b, module, name, KILN_KIND_FUNC, i)->type_index = type;
    return i;
}

/* The table's and the memory's limits are the import's, as the compiler writes them. */
uint32_t desc_import_table(desc_builder *b, const char *module, const char *name, uint8_t elem_type,
                           kiln_limits_desc limits)
{
    uint32_t i = next_import(b, KILN_KIND_TABLE, &b->m.table_count, "tables");
    b->tables[i] = (kiln_table_desc){.elem_type = elem_type, .imported = 1, .limits = limits};
    kiln_import_desc *d = add_import(b, module, name, KILN_KIND_TABLE, i);
    d->type = elem_type;
    d->limits = limits;
    return i;
}

uint32_t desc_import_memory(desc_builder *b, const char *module, const char *name,
                            kiln_limits_desc limits)
{
    uint32_t i = next_import(b, KILN_KIND_MEMORY, &b->m.memory_count, "memories");
    b->memories[i] = (kiln_memory_desc){.imported = 1, .limits = limits};
    add_import(b, module, name, KILN_KIND_MEMORY, i)->limits = limits;
    return i;
}

uint32_t desc_import_global(desc_builder *b, const char *module, const char *name, uint8_t type,
                            bool mut)
{
    uint32_t i = next_import(b, KILN_KIND_GLOBAL, &b->m.global_count, "globals");
    b->globals[i] = (kiln_global_desc){.type = type, .mut = mut, .imported = 1};
    kiln_import_desc *d = add_import(b, module, name, KILN_KIND_GLOBAL, i);
    d->type = type;
    d->mut = mut;
    return i;
}

uint32_t desc_import_tag(desc_builder *b, const char *module, const char *name, uint32_t type)
{
    uint32_t i = next_import(b, KILN_KIND_TAG, &b->m.tag_count, "tags");
    b->tags[i] = (kiln_tag_desc){.type_index = type, .imported = 1};
    add_import(b, module, name, KILN_KIND_TAG, i)->type_index = type;
    return i;
}

uint32_t desc_func(desc_builder *b, void *code, kiln_array_fn entry, uint32_t type)
{
    uint32_t i = next(&b->m.func_count, DESC_MAX, "functions");
    b->funcs[i] =
        (kiln_func_desc){.code.p = code, .array_entry.p = (void *)entry, .type_index = type};
    return i;
}

uint32_t desc_table(desc_builder *b, uint8_t elem_type, kiln_limits_desc limits)
{
    uint32_t i = next(&b->m.table_count, DESC_MAX, "tables");
    b->tables[i] = (kiln_table_desc){.elem_type = elem_type, .limits = limits};
    return i;
}

uint32_t desc_memory(desc_builder *b, kiln_limits_desc limits)
{
    uint32_t i = next(&b->m.memory_count, DESC_MAX, "memories");
    b->memories[i] = (kiln_memory_desc){.limits = limits};
    return i;
}

uint32_t desc_global(desc_builder *b, uint8_t type, bool mut, kiln_init_desc init_value)
{
    uint32_t i = next(&b->m.global_count, DESC_MAX, "globals");
    b->globals[i] = (kiln_global_desc){.type = type, .mut = mut, .init = init_value};
    return i;
}

uint32_t desc_tag(desc_builder *b, uint32_t type)
{
    uint32_t i = next(&b->m.tag_count, DESC_MAX, "tags");
    b->tags[i] = (kiln_tag_desc){.type_index = type};
    return i;
}

uint32_t desc_export(desc_builder *b, const char *name, uint8_t kind, uint32_t index)
{
    uint32_t i = next(&b->m.export_count, DESC_MAX, "exports");
    b->exports[i] = (kiln_export_desc){.name = rt_str(name), .kind = kind, .index = index};
    return i;
}

void desc_start(desc_builder *b, uint32_t func)
{
    b->m.start = func;
}

/* Appends an element segment of table 0; its items go to b->items (desc_end points at them). */
static uint32_t add_elem(desc_builder *b, uint8_t mode, kiln_init_desc offset, uint32_t count,
                         const kiln_init_desc *items)
{
    uint32_t i = next(&b->m.elem_count, DESC_MAX, "element segments");
    if (b->item_count + count > DESC_MAX_ITEMS) {
        fprintf(stderr, "desc_builder: more than %u element items\n", DESC_MAX_ITEMS);
        abort();
    }
    memcpy(&b->items[b->item_count], items, count * sizeof *items);
    b->item_count += count;
    b->elems[i] = (kiln_elem_desc){
        .mode = mode, .elem_type = KILN_TYPE_FUNCREF, .count = count, .offset = offset};
    return i;
}

uint32_t desc_active_elem(desc_builder *b, kiln_init_desc offset, uint32_t count,
                          const kiln_init_desc *items)
{
    return add_elem(b, KILN_SEG_MODE_ACTIVE, offset, count, items);
}

uint32_t desc_elem(desc_builder *b, uint8_t mode, uint32_t count, const kiln_init_desc *items)
{
    kiln_init_desc none;
    memset(&none, 0, sizeof none);
    return add_elem(b, mode, none, count, items);
}

uint32_t desc_active_data(desc_builder *b, kiln_init_desc offset, const void *bytes, uint32_t size)
{
    uint32_t i = next(&b->m.data_count, DESC_MAX, "data segments");
    b->datas[i] = (kiln_data_desc){.mode = KILN_SEG_MODE_ACTIVE,
                                   .size = size,
                                   .offset = offset,
                                   .bytes.p = (void *)(uintptr_t)bytes};
    return i;
}

uint32_t desc_passive_data(desc_builder *b, const void *bytes, uint32_t size)
{
    uint32_t i = next(&b->m.data_count, DESC_MAX, "data segments");
    b->datas[i] = (kiln_data_desc){
        .mode = KILN_SEG_MODE_PASSIVE, .size = size, .bytes.p = (void *)(uintptr_t)bytes};
    return i;
}
