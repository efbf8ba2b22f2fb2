/* desc_builder.h -- module descriptors for the runtime tests, built the way a test reads.
 *
 * A test stands in for the code generator (rt_test.h), so it also writes the descriptor the
 * compiler would emit (runtime/include/kiln/abi.h). A desc_builder holds that descriptor and
 * every array it points to; each desc_* call appends one entry and returns its index in its
 * index space, in order, so a test lists its module's contents in one place and names the
 * indices with an enum. Imports of a kind come before the definitions of that kind (as in
 * Wasm). desc_end() points the descriptor at the builder's arrays and lays out vmctx as the
 * compiler does, so a builder copied by value and ended again is a module of its own.
 * Strings and data bytes are not copied: they must outlive the module (literals do).
 * Descriptors start as rt_module_init() makes them: code range = kiln_text, no start
 * function, RT_MODULE_FLAGS. Used by tests/runtime/test_rt_*.c.
 */
#ifndef KILN_DESC_BUILDER_H
#define KILN_DESC_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/abi.h"

/* The flags a module compiled for this host carries: 32-bit targets always get bounds checks
 * (docs/abi.md), and a 32-bit host instantiates no guard-page memory. */
#define RT_MODULE_FLAGS (sizeof(void *) < 8 ? (uint32_t)KILN_MODULE_BOUNDS_CHECKED : 0u)

enum { DESC_MAX = 16, DESC_MAX_ITEMS = 32 };

typedef struct desc_builder {
    kiln_module_desc m;
    kiln_functype_desc types[DESC_MAX];
    kiln_import_desc imports[DESC_MAX];
    kiln_func_desc funcs[DESC_MAX];
    kiln_table_desc tables[DESC_MAX];
    kiln_memory_desc memories[DESC_MAX];
    kiln_global_desc globals[DESC_MAX];
    kiln_export_desc exports[DESC_MAX];
    kiln_elem_desc elems[DESC_MAX];
    kiln_data_desc datas[DESC_MAX];
    kiln_tag_desc tags[DESC_MAX];
    kiln_init_desc items[DESC_MAX_ITEMS]; /* the element segments' items */
    uint32_t item_count;
    uint32_t kind_imports[KILN_KIND_TAG + 1]; /* imports per KILN_KIND_* */
} desc_builder;

/* An empty module named name (the prefix the compiler was given). */
void desc_begin(desc_builder *b, const char *name);
/* The descriptor, laid out; valid while b lives. Fields may still be changed (then lay out
 * again with rt_layout if a count changed). */
kiln_module_desc *desc_end(desc_builder *b);

/* A function type: params then results in types[] (which must outlive the module). */
uint32_t desc_type(desc_builder *b, uint32_t params, uint32_t results, const uint8_t *types);

/* Typed references (Wasm 3.0): a function type with reference words refs[params + results]
 * (module-relative, abi.h; must outlive the module), types [first, first + size) made one
 * recursion group, and the reference word of the latest import (and of the table or global
 * it imports). */
uint32_t desc_type_refs(desc_builder *b, uint32_t params, uint32_t results, const uint8_t *types,
                        const uint32_t *refs);
void desc_rec_group(desc_builder *b, uint32_t first, uint32_t size);
void desc_import_ref(desc_builder *b, uint32_t ref);

/* Imports. A function import's descriptor holds the module's generated adapter for it (code
 * called when the import is bound to a host function) and the array entry of its type. */
uint32_t desc_import_func(desc_builder *b, const char *module, const char *name, uint32_t type,
                          void *adapter, kiln_array_fn entry);
uint32_t desc_import_table(desc_builder *b, const char *module, const char *name, uint8_t elem_type,
                           kiln_limits_desc limits);
uint32_t desc_import_memory(desc_builder *b, const char *module, const char *name,
                            kiln_limits_desc limits);
uint32_t desc_import_global(desc_builder *b, const char *module, const char *name, uint8_t type,
                            bool mut);
/* A tag (exceptions) of function type `type` (no results). */
uint32_t desc_import_tag(desc_builder *b, const char *module, const char *name, uint32_t type);

/* Definitions. */
uint32_t desc_func(desc_builder *b, void *code, kiln_array_fn entry, uint32_t type);
uint32_t desc_table(desc_builder *b, uint8_t elem_type, kiln_limits_desc limits);
uint32_t desc_memory(desc_builder *b, kiln_limits_desc limits);
uint32_t desc_global(desc_builder *b, uint8_t type, bool mut, kiln_init_desc init);
uint32_t desc_tag(desc_builder *b, uint32_t type);
uint32_t desc_export(desc_builder *b, const char *name, uint8_t kind, uint32_t index);
void desc_start(desc_builder *b, uint32_t func);

/* Segments, of table 0 and memory 0. The items are copied; the bytes are not. */
uint32_t desc_active_elem(desc_builder *b, kiln_init_desc offset, uint32_t count,
                          const kiln_init_desc *items);
uint32_t desc_elem(desc_builder *b, uint8_t mode, uint32_t count, const kiln_init_desc *items);
uint32_t desc_active_data(desc_builder *b, kiln_init_desc offset, const void *bytes, uint32_t size);
uint32_t desc_passive_data(desc_builder *b, const void *bytes, uint32_t size);

/* An empty descriptor with RT_MODULE_FLAGS (what desc_begin starts from). */
void rt_module_init(kiln_module_desc *m);
/* Lays out the per-module vmctx area from the descriptor's counts, as the compiler does. */
void rt_layout(kiln_module_desc *m);

/* Values for the fields above. */
kiln_str_desc rt_str(const char *s);
kiln_functype_desc rt_type(uint32_t params, uint32_t results, const uint8_t *types);

static inline kiln_limits_desc rt_limits(uint64_t min)
{
    return (kiln_limits_desc){.min = min};
}

static inline kiln_limits_desc rt_limits_max(uint64_t min, uint64_t max)
{
    return (kiln_limits_desc){.min = min, .max = max, .has_max = 1};
}

/* Constant expressions (zero-filled but for these fields): i32.const v, global.get index,
 * ref.func index, ref.null type. */
kiln_init_desc rt_init_i32(int32_t v);
kiln_init_desc rt_init_global(uint8_t type, uint32_t index);
kiln_init_desc rt_init_func(uint32_t index);
kiln_init_desc rt_init_null(uint8_t type);

#endif
