/* module.c -- what the runtime checks and registers about a module descriptor once.
 *
 * A descriptor comes from a Kiln-compiled object, but the runtime trusts none of it: every
 * count, index, type, constant expression and vmctx offset is checked before anything is
 * written through it, so a broken one is KILN_STATUS_ARG ("invalid module descriptor: ..."),
 * not a wild write, and a descriptor for another ABI is KILN_STATUS_ABI. Its code range is
 * registered with the signal handler (faults there are traps) and its function types are
 * interned, one recursion group at a time, into the process-wide ids call_indirect compares
 * (sig.c). Reference words are checked for shape here (heap of the value's kind, type index
 * in range, a function type naming only its own or earlier groups); whether a ref.func or a
 * global fits a typed slot needs canonical ids and is the compiler validator's job.
 * Calls signal_posix.c (or os_baremetal.c), sig.c and trap.c. Called by instance.c before a
 * module's instance in a pool of any module, and by pool.c when a module pool is created.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

/* The most pages a memory's type may declare: 65,536 (4 GiB) with 32-bit addresses, 2^48
 * (2^64 bytes) with 64-bit ones. Instantiation holds both to KILN_MAX_PAGES (memory.c). */
static uint64_t memory_pages_max(const kiln_limits_desc *l)
{
    if (kiln_desc_page_log2(l) == 0) /* 1-byte pages (custom-page-sizes): 2^32 - 1, or any u64 */
        return l->is64 ? UINT64_MAX : UINT32_MAX;
    return l->is64 ? KILN_MAX_PAGES64 : KILN_MAX_PAGES;
}

/* A memory's shared flag (threads): 0 or 1, and a shared memory has a maximum. */
static bool sharing_ok(const kiln_limits_desc *l)
{
    return l->shared <= 1 && (!l->shared || l->has_max);
}

/* What an import or export may be: KILN_KIND_FUNC/TABLE/MEMORY/GLOBAL/TAG. */
static bool is_extern_kind(uint8_t kind)
{
    return kind <= KILN_KIND_GLOBAL || kind == KILN_KIND_TAG;
}

/* A reference word (abi.h) for a value of kind: 0 for numbers; for references 0 or a heap of
 * the kind's hierarchy, a type index below type_limit. */
static bool ref_ok(uint8_t kind, uint32_t word, uint32_t type_limit)
{
    if (!kiln_is_ref_type(kind) || word == 0)
        return word == 0;
    uint32_t heap = word & KILN_REF_HEAP;
    switch (heap) {
    case KILN_HEAP_FUNC:
    case KILN_HEAP_NOFUNC:
        return kind == KILN_TYPE_FUNCREF;
    case KILN_HEAP_EXTERN:
    case KILN_HEAP_NOEXTERN:
        return kind == KILN_TYPE_EXTERNREF;
    case KILN_HEAP_EXN:
    case KILN_HEAP_NOEXN:
        return kind == KILN_TYPE_EXNREF;
    case KILN_HEAP_ANY:
    case KILN_HEAP_EQ:
    case KILN_HEAP_I31:
    case KILN_HEAP_STRUCT:
    case KILN_HEAP_ARRAY:
    case KILN_HEAP_NONE:
        return kind == KILN_TYPE_ANYREF;
    }
    return heap >= KILN_HEAP_TYPE && kind == KILN_TYPE_FUNCREF &&
           heap - KILN_HEAP_TYPE < type_limit;
}

/* The recursion group of type i: [*first, *first + *size); group_size 0 is a group of its own
 * (hand-written descriptors with the fields zeroed). */
static void group_of(const kiln_functype_desc *types, uint32_t i, uint32_t *first, uint32_t *size)
{
    if (types[i].group_size == 0) {
        *first = i;
        *size = 1;
    } else {
        *first = types[i].group;
        *size = types[i].group_size;
    }
}

static kiln_status bad(const char *what)
{
    kiln_set_error("invalid module descriptor: %s", what);
    return KILN_STATUS_ARG;
}

static bool area_ok(uint32_t size, uint32_t offset, uint64_t count, uint64_t elem_size,
                    uint32_t align)
{
    if (count == 0)
        return true;
    if (offset < KILN_VMCTX_HEADER_SIZE || offset % align != 0)
        return false;
    return (uint64_t)offset + count * elem_size <= size;
}

static bool str_ok(const kiln_str_desc *s)
{
    return s->len == 0 || s->ptr.p != NULL;
}

/* A LEB128 of at most bits bits from [*p, end): false if it runs past end or is longer than
 * the encoding allows (the compiler copied validated bytes; this only keeps a broken
 * descriptor from reading astray). */
static bool leb(const uint8_t **p, const uint8_t *end, unsigned bits, bool is_signed, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (*p == end || shift >= bits + 7)
            return false;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (is_signed && shift < 64 && (v >> (shift - 1)) & 1)
        v |= ~(uint64_t)0 << shift;
    *out = v;
    return true;
}

bool kiln_init_expr(const kiln_module_desc *m, const kiln_init_desc *init, uint32_t global_limit,
                    const kiln_ptr64 *globals, kiln_global_cell *out)
{
    const kiln_global_desc *gd = m->globals.p;
    const uint8_t *p = init->expr.p, *end = p + init->index;
    uint64_t stack[KILN_INIT_EXPR_MAX_DEPTH];
    uint8_t types[KILN_INIT_EXPR_MAX_DEPTH];
    uint32_t depth = 0;
    if (p == NULL || (init->type != KILN_TYPE_I32 && init->type != KILN_TYPE_I64))
        return false;
    while (p < end) {
        uint8_t op = *p++;
        uint64_t v;
        uint8_t t;
        switch (op) {
        case 0x0B: /* end: the last byte, one value of the expression's type left */
            if (p != end || depth != 1 || types[0] != init->type)
                return false;
            if (out) {
                memset(out, 0, sizeof *out);
                if (init->type == KILN_TYPE_I32)
                    out->u.i32 = (int32_t)(uint32_t)stack[0];
                else
                    out->u.i64 = (int64_t)stack[0];
            }
            return true;
        case 0x41: /* i32.const */
        case 0x42: /* i64.const */
        case 0x23: /* global.get */
            if (depth == KILN_INIT_EXPR_MAX_DEPTH)
                return false;
            if (op == 0x23) {
                if (!leb(&p, end, 32, false, &v) || v >= global_limit)
                    return false;
                t = gd[v].type;
                if ((t != KILN_TYPE_I32 && t != KILN_TYPE_I64) || gd[v].mut)
                    return false;
                v = globals
                        ? (t == KILN_TYPE_I32
                               ? (uint64_t)(uint32_t)((const kiln_global_cell *)globals[v].p)->u.i32
                               : (uint64_t)((const kiln_global_cell *)globals[v].p)->u.i64)
                        : 0;
            } else {
                t = op == 0x41 ? KILN_TYPE_I32 : KILN_TYPE_I64;
                if (!leb(&p, end, op == 0x41 ? 32 : 64, true, &v))
                    return false;
            }
            stack[depth] = v;
            types[depth++] = t;
            break;
        default: {
            /* i32.add/sub/mul 0x6A-0x6C, i64.add/sub/mul 0x7C-0x7E */
            bool i32 = op >= 0x6A && op <= 0x6C, i64 = op >= 0x7C && op <= 0x7E;
            t = i32 ? KILN_TYPE_I32 : KILN_TYPE_I64;
            if ((!i32 && !i64) || depth < 2 || types[depth - 1] != t || types[depth - 2] != t)
                return false;
            uint64_t a = stack[depth - 2], b = stack[depth - 1];
            unsigned k = i32 ? op - 0x6A : op - 0x7C;
            v = k == 0 ? a + b : k == 1 ? a - b : a * b;
            stack[--depth - 1] = i32 ? (uint32_t)v : v;
            break;
        }
        }
    }
    return false; /* no end */
}

/* A constant expression producing type; globals it reads must be below global_limit. */
static bool init_ok(const kiln_module_desc *m, const kiln_init_desc *init, uint8_t type,
                    uint32_t global_limit)
{
    const kiln_global_desc *globals = m->globals.p;
    switch (init->kind) {
    case KILN_INIT_CONST:
        return !kiln_is_ref_type(type);
    case KILN_INIT_GLOBAL:
        return init->index < global_limit && globals[init->index].type == type;
    case KILN_INIT_REF_NULL:
        return kiln_is_ref_type(type);
    case KILN_INIT_REF_FUNC:
        return type == KILN_TYPE_FUNCREF && init->index < m->func_count;
    case KILN_INIT_EXPR:
        return init->type == type && kiln_init_expr(m, init, global_limit, NULL, NULL);
    }
    return false;
}

/* What init_ok cannot see of a constant expression init_ok accepted for a slot of reference
 * word `word`: a null (ref.null, or a nullable global) where null is excluded. Whether a
 * ref.func or global.get has the right heap needs canonical ids; the compiler's validator
 * checked it. */
static bool init_fits(const kiln_module_desc *m, const kiln_init_desc *init, uint32_t word)
{
    if (!(word & KILN_REF_NON_NULL))
        return true;
    if (init->kind == KILN_INIT_GLOBAL)
        return (((const kiln_global_desc *)m->globals.p)[init->index].ref & KILN_REF_NON_NULL) != 0;
    return init->kind != KILN_INIT_REF_NULL;
}

static kiln_status check(const kiln_module_desc *m, uint32_t *global_imports_out)
{
    if (m->abi_version != KILN_ABI_VERSION) {
        kiln_set_error("module compiled for runtime ABI %u, this runtime has ABI %u",
                       (unsigned)m->abi_version, KILN_ABI_VERSION);
        return KILN_STATUS_ABI;
    }
    const kiln_vmctx_layout *l = &m->layout;
    if (l->size < KILN_VMCTX_HEADER_SIZE || l->size % 16 != 0)
        return bad("vmctx size");
    if ((m->type_count && !m->types.p) || (m->import_count && !m->imports.p) ||
        (m->func_count && !m->funcs.p) || (m->table_count && !m->tables.p) ||
        (m->memory_count && !m->memories.p) || (m->global_count && !m->globals.p) ||
        (m->export_count && !m->exports.p) || (m->elem_count && !m->elems.p) ||
        (m->data_count && !m->datas.p) || (m->tag_count && !m->tags.p))
        return bad("missing array");
    if (m->func_import_count > m->func_count)
        return bad("function import count");

    const kiln_functype_desc *types = m->types.p;
    for (uint32_t i = 0; i < m->type_count;) {
        /* A group starts at i and names itself from each member. */
        uint32_t first, size;
        group_of(types, i, &first, &size);
        if (first != i || size > m->type_count - i)
            return bad("recursion group");
        for (uint32_t k = i + 1; k < i + size; k++) {
            uint32_t f, n;
            group_of(types, k, &f, &n);
            if (f != first || n != size)
                return bad("recursion group");
        }
        for (uint32_t end = i + size; i < end; i++) {
            uint64_t n = (uint64_t)types[i].param_count + types[i].result_count;
            if (n != 0 && types[i].types.p == NULL)
                return bad("function type without types");
            const uint8_t *t = types[i].types.p;
            const uint32_t *refs = types[i].refs.p;
            for (uint64_t j = 0; j < n; j++) {
                if (!kiln_is_value_type(t[j]))
                    return bad("value type");
                /* Types name earlier groups or their own, never a later one. */
                if (refs != NULL && !ref_ok(t[j], refs[j], end))
                    return bad("reference type in a function type");
            }
        }
    }
    const kiln_func_desc *funcs = m->funcs.p;
    for (uint32_t i = 0; i < m->func_count; i++) {
        if (funcs[i].type_index >= m->type_count)
            return bad("function type index");
        if (i >= m->func_import_count && funcs[i].code.p == NULL)
            return bad("defined function without code");
    }

    const kiln_table_desc *tables = m->tables.p;
    const kiln_memory_desc *memories = m->memories.p;
    const kiln_global_desc *globals = m->globals.p;
    const kiln_tag_desc *tags = m->tags.p;
    uint32_t counts[KILN_KIND_TAG + 1] = {0}; /* imports per KILN_KIND_* */
    const kiln_import_desc *imports = m->imports.p;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const kiln_import_desc *im = &imports[i];
        if (!str_ok(&im->module) || !str_ok(&im->name))
            return bad("import name");
        if (!is_extern_kind(im->kind) || im->index != counts[im->kind]++)
            return bad("import index");
        switch (im->kind) {
        case KILN_KIND_FUNC:
            if (im->index >= m->func_import_count || im->type_index >= m->type_count ||
                funcs[im->index].type_index != im->type_index)
                return bad("function import");
            break;
        case KILN_KIND_TABLE:
            if (im->index >= m->table_count || !tables[im->index].imported ||
                tables[im->index].elem_type != im->type || tables[im->index].elem_ref != im->ref ||
                !ref_ok(im->type, im->ref, m->type_count))
                return bad("table import");
            break;
        case KILN_KIND_MEMORY:
            if (im->index >= m->memory_count || !memories[im->index].imported ||
                !sharing_ok(&im->limits) || im->limits.shared != memories[im->index].limits.shared)
                return bad("memory import");
            break;
        case KILN_KIND_GLOBAL:
            if (im->index >= m->global_count || !globals[im->index].imported ||
                globals[im->index].type != im->type || globals[im->index].mut != im->mut ||
                globals[im->index].ref != im->ref || !ref_ok(im->type, im->ref, m->type_count))
                return bad("global import");
            break;
        case KILN_KIND_TAG:
            if (im->index >= m->tag_count || !tags[im->index].imported ||
                im->type_index >= m->type_count || tags[im->index].type_index != im->type_index)
                return bad("tag import");
            break;
        }
    }
    if (counts[KILN_KIND_FUNC] != m->func_import_count)
        return bad("function import count");
    for (uint32_t i = 0; i < m->table_count; i++) {
        if (tables[i].imported != (i < counts[KILN_KIND_TABLE]) ||
            !kiln_is_ref_type(tables[i].elem_type) ||
            (!tables[i].limits.is64 && tables[i].limits.min > UINT32_MAX) ||
            (tables[i].limits.has_max &&
             (tables[i].limits.max < tables[i].limits.min ||
              (!tables[i].limits.is64 && tables[i].limits.max > UINT32_MAX))) ||
            !ref_ok(tables[i].elem_type, tables[i].elem_ref, m->type_count))
            return bad("table");
        /* A defined table of a non-nullable type needs its initialiser (Wasm 3.0). */
        const kiln_table_desc *t = &tables[i];
        bool init_good = t->has_init ? !t->imported && t->has_init == 1 &&
                                           init_ok(m, &t->init, t->elem_type, m->global_count) &&
                                           init_fits(m, &t->init, t->elem_ref)
                                     : t->imported || !(t->elem_ref & KILN_REF_NON_NULL);
        if (!init_good)
            return bad("table initializer");
    }
    for (uint32_t i = 0; i < m->memory_count; i++) {
        if (memories[i].imported != (i < counts[KILN_KIND_MEMORY]) ||
            memories[i].limits.one_byte_pages > 1 ||
            memories[i].limits.min > memory_pages_max(&memories[i].limits) ||
            (memories[i].limits.has_max &&
             (memories[i].limits.max < memories[i].limits.min ||
              memories[i].limits.max > memory_pages_max(&memories[i].limits))) ||
            !sharing_ok(&memories[i].limits))
            return bad("memory");
    }
    uint32_t global_imports = counts[KILN_KIND_GLOBAL];
    for (uint32_t i = 0; i < m->global_count; i++) {
        if (globals[i].imported != (i < global_imports) || !kiln_is_value_type(globals[i].type) ||
            !ref_ok(globals[i].type, globals[i].ref, m->type_count))
            return bad("global");
        if (i >= global_imports && (!init_ok(m, &globals[i].init, globals[i].type, i) ||
                                    !init_fits(m, &globals[i].init, globals[i].ref)))
            return bad("global initializer");
    }

    /* A tag's type is a function type without results (its parameters are what it
     * carries). */
    uint32_t tag_imports = counts[KILN_KIND_TAG];
    for (uint32_t i = 0; i < m->tag_count; i++) {
        if (tags[i].imported != (i < tag_imports) || tags[i].type_index >= m->type_count ||
            types[tags[i].type_index].result_count != 0)
            return bad("tag");
    }

    const kiln_export_desc *exports = m->exports.p;
    const uint32_t limits[KILN_KIND_TAG + 1] = {
        m->func_count, m->table_count, m->memory_count, m->global_count, 0, m->tag_count};
    for (uint32_t i = 0; i < m->export_count; i++) {
        if (!str_ok(&exports[i].name) || !is_extern_kind(exports[i].kind) ||
            exports[i].index >= limits[exports[i].kind])
            return bad("export");
    }
    const kiln_elem_desc *elems = m->elems.p;
    for (uint32_t i = 0; i < m->elem_count; i++) {
        const kiln_elem_desc *e = &elems[i];
        if (e->mode > KILN_SEG_MODE_DECLARATIVE || !kiln_is_ref_type(e->elem_type) ||
            !ref_ok(e->elem_type, e->ref, m->type_count) || (e->count && !e->items.p))
            return bad("element segment");
        if (e->mode == KILN_SEG_MODE_ACTIVE &&
            (e->table >= m->table_count || tables[e->table].elem_type != e->elem_type ||
             !init_ok(m, &e->offset, tables[e->table].limits.is64 ? KILN_TYPE_I64 : KILN_TYPE_I32,
                      m->global_count)))
            return bad("active element segment");
        const kiln_init_desc *items = e->items.p;
        for (uint32_t j = 0; j < e->count; j++)
            if (!init_ok(m, &items[j], e->elem_type, m->global_count) ||
                !init_fits(m, &items[j], e->ref))
                return bad("element segment item");
    }
    const kiln_data_desc *datas = m->datas.p;
    for (uint32_t i = 0; i < m->data_count; i++) {
        const kiln_data_desc *d = &datas[i];
        if (d->mode > KILN_SEG_MODE_PASSIVE || (d->size && !d->bytes.p))
            return bad("data segment");
        if (d->mode == KILN_SEG_MODE_ACTIVE &&
            (d->memory >= m->memory_count ||
             !init_ok(m, &d->offset,
                      ((const kiln_memory_desc *)m->memories.p)[d->memory].limits.is64
                          ? KILN_TYPE_I64
                          : KILN_TYPE_I32,
                      m->global_count)))
            return bad("active data segment");
    }
    if (m->start != UINT32_MAX && m->start >= m->func_count)
        return bad("start function");

    if (!area_ok(l->size, l->imports, m->func_import_count, sizeof(kiln_import_slot), 8) ||
        !area_ok(l->size, l->tables, m->table_count, sizeof(kiln_ptr64), 8) ||
        !area_ok(l->size, l->globals, m->global_count, sizeof(kiln_ptr64), 8) ||
        !area_ok(l->size, l->global_cells, m->global_count - global_imports,
                 sizeof(kiln_global_cell), 8) ||
        !area_ok(l->size, l->sig_ids, m->type_count, sizeof(uint32_t), 4) ||
        !area_ok(l->size, l->funcrefs, m->func_count - m->func_import_count, sizeof(kiln_funcref),
                 8) ||
        !area_ok(l->size, l->elem_dropped, m->elem_count, 1, 1) ||
        !area_ok(l->size, l->data_dropped, m->data_count, 1, 1) ||
        !area_ok(l->size, l->memories, m->memory_count, sizeof(kiln_ptr64), 8) ||
        !area_ok(l->size, l->tags, m->tag_count, sizeof(kiln_ptr64), 8) ||
        !area_ok(l->size, l->tag_records, m->tag_count - tag_imports, sizeof(kiln_tag),
                 _Alignof(kiln_tag)))
        return bad("vmctx layout");
    *global_imports_out = global_imports;
    return KILN_STATUS_OK;
}

/* Modules whose code ran, for kiln_module_of_pc (trap backtraces name frames of any module):
 * append-only, lock-free, [0, used) scanned. */
static const kiln_module_desc *code_modules[KILN_MAX_CODE_RANGES];
static uint32_t code_modules_used;

static void register_module(const kiln_module_desc *m)
{
    for (;;) {
        uint32_t used = __atomic_load_n(&code_modules_used, __ATOMIC_ACQUIRE);
        for (uint32_t i = 0; i < used; i++)
            if (__atomic_load_n(&code_modules[i], __ATOMIC_ACQUIRE) == m)
                return;
        if (used == KILN_MAX_CODE_RANGES)
            return; /* kiln_signal_add_code refuses as many */
        const kiln_module_desc *none = NULL;
        /* Claim slot `used`; a racing registration of another module takes it first. */
        if (__atomic_compare_exchange_n(&code_modules[used], &none, m, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            uint32_t expect = used;
            __atomic_compare_exchange_n(&code_modules_used, &expect, used + 1, false,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED);
            return;
        }
        /* Help the winner publish its slot, then look again. */
        uint32_t expect = used;
        __atomic_compare_exchange_n(&code_modules_used, &expect, used + 1, false, __ATOMIC_RELEASE,
                                    __ATOMIC_RELAXED);
    }
}

/* Linked into one executable, modules share one kiln_text section, so each one's code range
 * (__start_/__stop_kiln_text) is all of it: the module whose function entry is the highest
 * at or below pc is the one whose code holds pc. */
const kiln_module_desc *kiln_module_of_pc(uintptr_t pc)
{
    const kiln_module_desc *best = NULL;
    uintptr_t best_at = 0;
    uint32_t used = __atomic_load_n(&code_modules_used, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < used; i++) {
        const kiln_module_desc *m = __atomic_load_n(&code_modules[i], __ATOMIC_ACQUIRE);
        if (m == NULL || pc < (uintptr_t)m->code_begin.p || pc >= (uintptr_t)m->code_end.p)
            continue;
        const kiln_func_desc *funcs = m->funcs.p;
        for (uint32_t f = 0; f < m->func_count; f++) {
            uintptr_t at = (uintptr_t)funcs[f].code.p;
            if (at != 0 && at <= pc && at >= best_at) {
                best = m;
                best_at = at;
            }
        }
    }
    return best;
}

kiln_status kiln_module_prepare(const kiln_module_desc *m, uint32_t *global_imports)
{
    kiln_status s = kiln_runtime_init();
    if (s != KILN_STATUS_OK) {
        kiln_set_error("cannot install the runtime's signal handlers");
        return s;
    }
    if ((s = check(m, global_imports)) != KILN_STATUS_OK)
        return s;
    uintptr_t code_begin = (uintptr_t)m->code_begin.p;
    uintptr_t code_end = (uintptr_t)m->code_end.p;
    if (code_begin < code_end && !kiln_signal_add_code(code_begin, code_end)) {
        kiln_set_error("too many modules registered with the signal handler");
        return KILN_STATUS_LIMIT;
    }
    if (code_begin < code_end)
        register_module(m);
    return KILN_STATUS_OK;
}

/* Member k of the group at first: its kinds and key words (sig.c: a type of the group by its
 * position in it, an earlier one by its canonical id in ids) in words[], which has room for
 * its params and results; refs NULL if it has no reference word. */
static void key_member(const kiln_functype_desc *t, uint32_t first, const uint32_t *ids,
                       uint32_t *words, kiln_sig_member *out)
{
    const uint8_t *kinds = t->types.p;
    const uint32_t *refs = t->refs.p;
    uint32_t n = t->param_count + t->result_count;
    out->param_count = t->param_count;
    out->result_count = t->result_count;
    out->params = kinds;
    out->results = kinds ? kinds + t->param_count : NULL;
    out->refs = NULL;
    for (uint32_t j = 0; refs != NULL && j < n; j++) {
        uint32_t w = refs[j], heap = w & KILN_REF_HEAP;
        if (heap >= KILN_HEAP_TYPE && heap - KILN_HEAP_TYPE >= first)
            w = (w & KILN_REF_NON_NULL) | KILN_SIG_REL | (heap - first);
        else
            w = kiln_ref_canon(w, ids);
        words[j] = w;
        if (w != 0)
            out->refs = words;
    }
}

/* Interns the group of size types at first into ids[first..]: key words in small buffers
 * unless the group is large. */
static kiln_status intern_group(const kiln_functype_desc *types, uint32_t first, uint32_t size,
                                uint32_t *ids)
{
    kiln_sig_member small_members[8];
    uint32_t small_words[256];
    uint64_t word_count = 0;
    for (uint32_t k = first; k < first + size; k++)
        word_count += (uint64_t)types[k].param_count + types[k].result_count;
    kiln_sig_member *members = small_members;
    uint32_t *words = small_words;
    if (size > KILN_ARRAY_LEN(small_members))
        members = malloc((size_t)size * sizeof *members);
    if (word_count > KILN_ARRAY_LEN(small_words))
        words = word_count <= SIZE_MAX / sizeof *words ? malloc((size_t)word_count * sizeof *words)
                                                       : NULL;
    kiln_status s = KILN_STATUS_NOMEM;
    bool allocated = members != NULL && words != NULL;
    if (allocated) {
        uint32_t *w = words;
        for (uint32_t k = 0; k < size; k++) {
            key_member(&types[first + k], first, ids, w, &members[k]);
            w += types[first + k].param_count + types[first + k].result_count;
        }
        s = kiln_sig_intern_group(size, members, ids + first);
    }
    if (members != small_members)
        free(members);
    if (words != small_words)
        free(words);
    if (s != KILN_STATUS_OK) {
        char why[160];
        snprintf(why, sizeof why, "%s", allocated ? kiln_last_error() : "out of memory");
        kiln_set_error("cannot intern function type %u: %s", (unsigned)first, why);
    }
    return s;
}

kiln_status kiln_module_intern(const kiln_module_desc *m, uint32_t *ids)
{
    const kiln_functype_desc *types = m->types.p;
    for (uint32_t i = 0; i < m->type_count;) {
        uint32_t first, size; /* checked (check): first == i, a whole group follows */
        group_of(types, i, &first, &size);
        kiln_status s = intern_group(types, i, size, ids);
        if (s != KILN_STATUS_OK)
            return s;
        i += size;
    }
    return KILN_STATUS_OK;
}
