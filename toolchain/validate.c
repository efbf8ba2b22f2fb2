/* validate.c -- the WebAssembly 2.0 validation rules over a decoded wasm_module.
 *
 * Module-level checks (imports, limits, constant expressions, segments, start, exports) run
 * first and collect C.refs (the functions ref.func may name); then every function body is
 * type-checked in one pass with the spec appendix's algorithm: an operand stack of value types,
 * where WASM_VT_UNKNOWN is the bottom type of unreachable code, and a control stack of frames
 * {opcode, start types, end types, height, unreachable}. Ops whose wasm_ops[] row has in/out
 * letters are checked from the table; the rows with in == NULL are checked by hand here.
 * Invariants: the module decoded without error, so every body and constant expression
 * re-reads with dec_instr and its block structure is sound (else only in an if); both stacks live
 * in a scratch arena that is reset after each function and grow geometrically up to kiln_limits.h's
 * bounds. Messages start with the reference interpreter's wording ("type mismatch", "unknown
 * local", ...) so assert_invalid texts match as prefixes. Called by the compile pipeline and the
 * CLI right after kiln_decode.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "toolchain.h"

#define MAX_PAGES   65536u              /* 4 GiB of 64 KiB pages */
#define MAX_PAGES64 ((uint64_t)1 << 48) /* 2^64 bytes of 64 KiB pages (memory64) */

typedef struct ctrl_frame {
    uint16_t op;      /* WASM_OP_BLOCK, _LOOP, _IF or _ELSE; a function body is a BLOCK */
    bool unreachable; /* the rest of the frame is dead code: pops yield WASM_VT_UNKNOWN */
    uint32_t height;  /* operand stack height when the frame was entered */
    uint32_t param_count, result_count;
    const wasm_valtype *params, *results; /* into m->types or the static singletons */
    uint32_t br_table_stamp;              /* last br_table that checked this label */
    uint32_t init_height;                 /* v->init_count when the frame was entered */
} ctrl_frame;

typedef struct validator {
    const wasm_module *m;
    kiln_diag *d;
    kiln_arena module_arena; /* lives as long as kiln_validate: the declared-refs set */
    kiln_arena scratch;      /* reset after each function and each module-level check */
    uint8_t *refs;           /* bit set over function indices: C.refs */
    uint32_t *canon;         /* per type index: the first equivalent type's index */
    uint32_t func_index;     /* of the body being checked; KILN_NO_FUNC outside bodies */
    uint32_t const_globals;  /* globals a Wasm 3.0 constant expression may read: those
                                before the global being initialised, all for segments */
    bool to_compile;         /* kiln_validate_to_compile: judged by 3.0 (fail_wasm3, wording) */
    const wasm_instr *ins;   /* the instruction being checked, for offsets and messages */

    wasm_valtype *vals;
    uint32_t val_count, val_cap;
    ctrl_frame *ctrls;
    uint32_t ctrl_count, ctrl_cap;
    uint32_t br_table_stamp;

    /* Locals of the current function: parameters, then the local groups. */
    const wasm_functype *func_type;
    uint64_t local_total;
    uint64_t *group_ends; /* cumulative local count after each group, parameters included */
    /* Locals without a default (non-nullable references) must be set before they are read;
     * NULL when the function has none. local_set[x] is 1 once x holds a value (always for
     * the others); init_stack lists the locals set since, frames keep its height. */
    uint8_t *local_set;
    uint32_t *init_stack;
    uint32_t init_count;
} validator;

/*
 * Errors
 */

/* Records an error of class code (the first error wins) and returns false. Body errors get
 * the current function's index. */
static bool fail_at(validator *v, size_t offset, kiln_err code, const char *fmt, ...)
    KILN_PRINTF(4, 5);
/* An invalid-module error at the current instruction. */
static bool fail_instr(validator *v, const char *fmt, ...) KILN_PRINTF(2, 3);

static bool vfail_at(validator *v, size_t offset, kiln_err code, const char *fmt, va_list ap)
    KILN_PRINTF(4, 0);

static bool vfail_at(validator *v, size_t offset, kiln_err code, const char *fmt, va_list ap)
{
    if (v->d->code != KILN_OK)
        return false;
    char msg[sizeof v->d->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    kiln_diag_set(v->d, code, offset, "%s", msg);
    v->d->func_index = v->func_index;
    return false;
}

static bool fail_at(validator *v, size_t offset, kiln_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(v, offset, code, fmt, ap);
    va_end(ap);
    return false;
}

static bool fail_instr(validator *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(v, v->ins->offset, KILN_ERR_INVALID, fmt, ap);
    va_end(ap);
    return false;
}

/* An unsupported-feature error: "unsupported feature: FEATURE (WHAT)". */
static bool fail_unsupported(validator *v, size_t offset, const char *feature, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static bool fail_unsupported(validator *v, size_t offset, const char *feature, const char *fmt, ...)
{
    if (v->d->code != KILN_OK)
        return false;
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fail_at(v, offset, KILN_ERR_UNSUPPORTED, "unsupported feature: %s (%s)", feature, what);
    v->d->feature = feature;
    return false;
}

/* Bytes Wasm 3.0 gives a meaning (feature) where Wasm 2.0 makes the module invalid with the
 * message fmt, and the 2.0 spec tests pin that verdict: kiln_validate's view only (the
 * compiler, kiln_validate_to_compile, judges them by 3.0 and compiles them: several
 * memories, defined globals in constant expressions). Class invalid, the 2.0 message followed
 * by "(valid in Wasm 3.0)", d->feature set. */
static bool fail_wasm3(validator *v, size_t offset, const char *feature, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static bool fail_wasm3(validator *v, size_t offset, const char *feature, const char *fmt, ...)
{
    KILN_ASSERT(!v->to_compile);
    if (v->d->code != KILN_OK)
        return false;
    char msg[sizeof v->d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_at(v, offset, KILN_ERR_INVALID, "%s (valid in Wasm 3.0)", msg);
    v->d->feature = feature;
    return false;
}

static bool fail_nomem(validator *v, const char *what)
{
    return fail_at(v, KILN_NO_OFFSET, KILN_ERR_NOMEM, "out of memory: %s", what);
}

/* dec_instr and the reader record their own errors; this only adds the function index. */
static bool note_decode_failure(validator *v)
{
    if (v->d->code == KILN_OK)
        return fail_at(v, KILN_NO_OFFSET, KILN_ERR_MALFORMED, "cannot re-read an instruction");
    if (v->d->func_index == KILN_NO_FUNC)
        v->d->func_index = v->func_index;
    return false;
}

static const char *op_name(const validator *v)
{
    return wasm_ops[v->ins->op].name;
}

static const char *type_name(wasm_valtype t)
{
    return t == WASM_VT_UNKNOWN ? "a value" : wasm_valtype_name(t);
}

/*
 * Small helpers over the module
 */

/* A one-element result list for `block (result t)`, with a stable address. */
static const wasm_valtype *single_type(wasm_valtype t)
{
    static const wasm_valtype types[] = {WASM_VT_I32,      WASM_VT_I64,  WASM_VT_F32,
                                         WASM_VT_F64,      WASM_VT_V128, WASM_VT_FUNCREF,
                                         WASM_VT_EXTERNREF};
    for (size_t i = 0; i < KILN_ARRAY_LEN(types); i++)
        if (types[i] == t)
            return &types[i];
    return NULL;
}

static wasm_valtype letter_type(char c)
{
    switch (c) {
    case 'i':
        return WASM_VT_I32;
    case 'I':
        return WASM_VT_I64;
    case 'f':
        return WASM_VT_F32;
    case 'F':
        return WASM_VT_F64;
    case 'v':
        return WASM_VT_V128;
    default:
        KILN_ASSERT(!"bad type letter in opcodes.def");
        return WASM_VT_UNKNOWN;
    }
}

/*
 * Types: validity, equivalence and subtyping (Wasm 3.0 with typed function references)
 */

/* The heap of a value type as its recursion group's equivalence key sees it: a reference to
 * a member of the group (starting at group) is its position (REL), one to an earlier type
 * that type's class (canon), so equivalent groups get equal keys (Wasm 3.0's iso-recursive
 * equivalence). */
#define HEAP_REL 0x3F000000u
static wasm_valtype key_of(const validator *v, wasm_valtype t, uint32_t group)
{
    if (!wasm_valtype_is_ref(t) || !wasm_heap_is_type(wasm_ref_heap(t)))
        return t;
    uint32_t j = wasm_ref_heap(t) - WASM_HT_TYPE;
    return (t & ~WASM_VT_HEAP) | (j >= group ? HEAP_REL + (j - group) : WASM_HT_TYPE + v->canon[j]);
}

static uint32_t hash_group(const validator *v, uint32_t group)
{
    const wasm_functype *types = v->m->types;
    uint32_t size = types[group].group_size;
    uint32_t h = 2166136261u ^ size; /* FNV-1a over the key's words */
    for (uint32_t i = group; i < group + size; i++) {
        const wasm_functype *ft = &types[i];
        h = (h * 16777619u) ^ ft->param_count;
        h = (h * 16777619u) ^ ft->result_count;
        for (uint32_t k = 0; k < ft->param_count; k++)
            h = (h * 16777619u) ^ key_of(v, ft->params[k], group);
        for (uint32_t k = 0; k < ft->result_count; k++)
            h = (h * 16777619u) ^ key_of(v, ft->results[k], group);
    }
    return h * 16777619u;
}

static bool same_group(const validator *v, uint32_t a, uint32_t b)
{
    const wasm_functype *types = v->m->types;
    uint32_t size = types[a].group_size;
    if (types[b].group_size != size)
        return false;
    for (uint32_t i = 0; i < size; i++) {
        const wasm_functype *fa = &types[a + i], *fb = &types[b + i];
        if (fa->param_count != fb->param_count || fa->result_count != fb->result_count)
            return false;
        for (uint32_t k = 0; k < fa->param_count; k++)
            if (key_of(v, fa->params[k], a) != key_of(v, fb->params[k], b))
                return false;
        for (uint32_t k = 0; k < fa->result_count; k++)
            if (key_of(v, fa->results[k], a) != key_of(v, fb->results[k], b))
                return false;
    }
    return true;
}

/* Value type t is valid with limit types defined: a type index it names is < limit. */
static bool check_valtype(validator *v, wasm_valtype t, uint32_t limit, size_t offset)
{
    if (!wasm_valtype_is_ref(t) || !wasm_heap_is_type(wasm_ref_heap(t)))
        return true;
    uint32_t j = wasm_ref_heap(t) - WASM_HT_TYPE;
    if (j >= limit)
        return fail_at(v, offset, KILN_ERR_INVALID, "unknown type %u", j);
    return true;
}

/* Every type's values name only types defined so far and the members of its own recursion
 * group, and canon[] classes equivalent types: member k of a group is equivalent to member
 * k of an equivalent group (a hash set over the groups' keys). */
static bool check_types(validator *v)
{
    const wasm_module *m = v->m;
    uint32_t n = m->type_count;
    v->canon = ARENA_ARRAY(&v->module_arena, uint32_t, n ? n : 1);
    uint32_t cap = 16;
    while (cap < 2u * (uint64_t)n)
        cap *= 2;
    uint32_t *slots = ARENA_ARRAY(&v->scratch, uint32_t, cap); /* first type + 1; 0 = empty */
    if (!v->canon || !slots)
        return fail_nomem(v, "type classes");
    for (uint32_t g = 0; g < n; g += m->types[g].group_size ? m->types[g].group_size : 1) {
        uint32_t end = g + (m->types[g].group_size ? m->types[g].group_size : 1);
        for (uint32_t i = g; i < end; i++) {
            const wasm_functype *ft = &m->types[i];
            for (uint32_t k = 0; k < ft->param_count + ft->result_count; k++) {
                wasm_valtype t =
                    k < ft->param_count ? ft->params[k] : ft->results[k - ft->param_count];
                if (!check_valtype(v, t, end, ft->offset))
                    return false;
            }
            v->canon[i] = i;
        }
        for (uint32_t h = hash_group(v, g) & (cap - 1);; h = (h + 1) & (cap - 1)) {
            if (!slots[h]) {
                slots[h] = g + 1;
                break;
            }
            if (same_group(v, slots[h] - 1, g)) {
                for (uint32_t i = g; i < end; i++)
                    v->canon[i] = v->canon[slots[h] - 1 + (i - g)];
                break;
            }
        }
    }
    kiln_arena_reset(&v->scratch);
    return true;
}

/* Heap type a matches b (a <: b): nofunc <: every type index <: func, noextern <: extern,
 * noexn <: exn, none <: i31, struct, array <: eq <: any, equivalent type indices match. */
static bool heap_matches(const validator *v, uint32_t a, uint32_t b)
{
    if (a == b)
        return true;
    if (wasm_heap_is_type(b))
        return a == WASM_HT_NOFUNC ||
               (wasm_heap_is_type(a) && v->canon[a - WASM_HT_TYPE] == v->canon[b - WASM_HT_TYPE]);
    if (b == WASM_HT_FUNC)
        return a == WASM_HT_NOFUNC || wasm_heap_is_type(a);
    if (b == WASM_HT_EXTERN)
        return a == WASM_HT_NOEXTERN;
    if (b == WASM_HT_EXN)
        return a == WASM_HT_NOEXN;
    /* GC's abstract hierarchy: none <: i31, struct, array <: eq <: any */
    if (b == WASM_HT_ANY)
        return a == WASM_HT_EQ || a == WASM_HT_I31 || a == WASM_HT_STRUCT || a == WASM_HT_ARRAY ||
               a == WASM_HT_NONE;
    if (b == WASM_HT_EQ)
        return a == WASM_HT_I31 || a == WASM_HT_STRUCT || a == WASM_HT_ARRAY || a == WASM_HT_NONE;
    if (b == WASM_HT_I31 || b == WASM_HT_STRUCT || b == WASM_HT_ARRAY)
        return a == WASM_HT_NONE;
    return false;
}

/* Value type a matches b (a <: b); WASM_VT_UNKNOWN (unreachable code's bottom) matches all. */
static bool matches(const validator *v, wasm_valtype a, wasm_valtype b)
{
    if (a == b || a == WASM_VT_UNKNOWN)
        return true;
    if (!wasm_valtype_is_ref(a) || !wasm_valtype_is_ref(b))
        return false;
    if (wasm_ref_nullable(a) && !wasm_ref_nullable(b))
        return false;
    return heap_matches(v, wasm_ref_heap(a), wasm_ref_heap(b));
}

/* Every type of a matches the one of b at its position. */
static bool types_match(const validator *v, const wasm_valtype *a, uint32_t na,
                        const wasm_valtype *b, uint32_t nb)
{
    if (na != nb)
        return false;
    for (uint32_t i = 0; i < na; i++)
        if (!matches(v, a[i], b[i]))
            return false;
    return true;
}

static const wasm_functype *func_type_of(const validator *v, uint32_t f)
{
    return &v->m->types[v->m->funcs[f].type_index];
}

static void mark_ref(validator *v, uint32_t f)
{
    if (f < v->m->func_count)
        v->refs[f / 8] |= (uint8_t)(1u << (f % 8));
}

static bool is_declared_ref(const validator *v, uint32_t f)
{
    return (v->refs[f / 8] >> (f % 8)) & 1u;
}

/* A reader over expression e (a body or a constant expression). */
static void open_expr(validator *v, wasm_expr e, kiln_reader *out)
{
    wasm_expr_reader(out, v->m, e, v->d);
}

/* The offset of entry `index` of the first section with this id, found by re-reading the
 * entries before it (error paths only: wasm_func/wasm_table/wasm_memory keep no offset).
 * Falls back to the section's start, or to fallback if there is no such section. */
static size_t entry_offset(const validator *v, uint8_t id, uint32_t index, size_t fallback)
{
    const wasm_section *s = NULL;
    for (uint32_t i = 0; i < v->m->section_count && !s; i++)
        if (v->m->sections[i].id == id)
            s = &v->m->sections[i];
    if (!s)
        return fallback;
    kiln_diag scratch_diag;
    kiln_diag_init(&scratch_diag);
    kiln_reader r;
    rd_init(&r, v->m->bytes, v->m->size, &scratch_diag);
    r.p = v->m->bytes + s->content;
    r.end = r.p + s->size;
    uint32_t count;
    if (!rd_u32(&r, &count, "count"))
        return s->offset;
    for (uint32_t i = 0; i < index; i++) {
        uint8_t byte;
        uint32_t u32;
        uint64_t u64;
        bool ok = true;
        if (id == 3) {
            ok = rd_u32(&r, &u32, "type index");
        } else {
            if (id == 4)
                ok = rd_u8(&r, &byte, "reference type");
            ok = ok && rd_u8(&r, &byte, "limits flag") && rd_u64(&r, &u64, "minimum");
            if (ok && (byte & 1))
                ok = rd_u64(&r, &u64, "maximum");
        }
        if (!ok)
            return s->offset;
    }
    return rd_offset(&r);
}

/*
 * Module-level checks
 */

// limits ::= {min, max?}, valid within range: min <= range, max <= range, min <= max
static bool check_limits(validator *v, const wasm_limits *l, uint64_t range, const char *range_msg,
                         size_t offset)
{
    if (l->min > range || (l->has_max && l->max > range))
        return fail_at(v, offset, KILN_ERR_INVALID, "%s", range_msg);
    if (l->has_max && l->min > l->max)
        return fail_at(v, offset, KILN_ERR_INVALID,
                       "size minimum must not be greater than maximum: %llu > %llu",
                       (unsigned long long)l->min, (unsigned long long)l->max);
    return true;
}

/* The address type of table t: i64 for a 64-bit table (memory64), else i32. */
static wasm_valtype table_at(const wasm_module *m, uint32_t t)
{
    return wasm_table_is64(m, t) ? WASM_VT_I64 : WASM_VT_I32;
}

static bool check_table_type(validator *v, const wasm_tabletype *t, size_t offset)
{
    if (!check_valtype(v, t->elem, v->m->type_count, offset))
        return false;
    if (t->limits.is64) /* any u64 */
        return check_limits(v, &t->limits, UINT64_MAX, "", offset);
    return check_limits(v, &t->limits, UINT32_MAX, "table size must be at most 2^32-1", offset);
}

static bool check_memory_type(validator *v, const wasm_memtype *t, size_t offset)
{
    const wasm_limits *l = &t->limits;
    if (l->page_log2 != 16 && l->page_log2 != 0) /* custom-page-sizes: 1 byte or 64 KiB */
        return fail_at(v, offset, KILN_ERR_INVALID, "invalid custom page size: 2^%u bytes",
                       (unsigned)l->page_log2);
    if (l->shared && !l->has_max) /* threads: so that it never has to move */
        return fail_at(v, offset, KILN_ERR_INVALID, "shared memory must have maximum");
    if (l->page_log2 == 0) /* 1-byte pages: what memory.size can return */
        return check_limits(v, l, l->is64 ? UINT64_MAX : UINT32_MAX,
                            "memory size must be at most 2^32-1 bytes", offset);
    if (l->is64) /* memory64: 2^64 bytes at most */
        return check_limits(v, l, MAX_PAGES64, "memory size must be at most 2^48 pages", offset);
    return check_limits(v, l, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)", offset);
}

/* A tag's type: a function type without results (exceptions). */
static bool check_tag_type(validator *v, uint32_t type_index, size_t offset)
{
    if (type_index >= v->m->type_count)
        return fail_at(v, offset, KILN_ERR_INVALID, "unknown type %u", type_index);
    if (v->m->types[type_index].result_count != 0)
        return fail_at(v, offset, KILN_ERR_INVALID,
                       "non-empty tag result type: type %u has %u results", type_index,
                       v->m->types[type_index].result_count);
    return true;
}

static bool check_imports(validator *v)
{
    const wasm_module *m = v->m;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const wasm_import *im = &m->imports[i];
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            if (im->u.type_index >= m->type_count)
                return fail_at(v, im->offset, KILN_ERR_INVALID, "unknown type %u",
                               im->u.type_index);
            break;
        case WASM_EXTERN_TABLE:
            if (!check_table_type(v, &im->u.table, im->offset))
                return false;
            break;
        case WASM_EXTERN_MEMORY:
            if (!check_memory_type(v, &im->u.memory, im->offset))
                return false;
            break;
        case WASM_EXTERN_GLOBAL:
            if (!check_valtype(v, im->u.global.type, m->type_count, im->offset))
                return false;
            break;
        default: /* WASM_EXTERN_TAG */
            if (!check_tag_type(v, im->u.type_index, im->offset))
                return false;
            break;
        }
    }
    return true;
}

static bool check_const_expr(validator *v, wasm_expr e, wasm_valtype want, const char *what);

/* Type indices of defined functions (imported ones are checked with the imports), then
 * tables and memories, and the 2.0 rule of at most one memory. */
static bool check_declarations(validator *v)
{
    const wasm_module *m = v->m;
    for (uint32_t f = m->func_import_count; f < m->func_count; f++)
        if (m->funcs[f].type_index >= m->type_count)
            return fail_at(v, entry_offset(v, 3, f - m->func_import_count, m->funcs[f].code_offset),
                           KILN_ERR_INVALID, "unknown type %u", m->funcs[f].type_index);
    for (uint32_t t = m->table_import_count; t < m->table_count; t++) {
        const wasm_table *tab = &m->tables[t];
        if (!check_table_type(v, &tab->type, tab->offset))
            return false;
        /* Wasm 3.0: a table of non-nullable references needs an initialiser, which sees
         * the imported globals only (the table section comes before the global one) */
        if (!tab->has_init && !wasm_valtype_defaultable(tab->type.elem))
            return fail_at(v, tab->offset, KILN_ERR_INVALID,
                           "type mismatch: table %u of %s has no initialiser", t,
                           wasm_valtype_name(tab->type.elem));
        v->const_globals = m->global_import_count;
        if (tab->has_init && !check_const_expr(v, tab->init, tab->type.elem, "table initializer"))
            return false;
    }
    for (uint32_t i = m->memory_import_count; i < m->memory_count; i++)
        if (!check_memory_type(v, &m->memories[i].type,
                               entry_offset(v, 5, i - m->memory_import_count, KILN_NO_OFFSET)))
            return false;
    for (uint32_t i = m->tag_import_count; i < m->tag_count; i++)
        if (!check_tag_type(v, m->tags[i].type_index, m->tags[i].offset))
            return false;
    /* Wasm 3.0 (multi-memory) allows any number of memories; 2.0 at most one. */
    if (m->memory_count > 1 && !v->to_compile) /* at the second one (entry or import) */
        return fail_wasm3(v, m->memories[1].offset, KILN_FEATURE_MULTI_MEMORY,
                          "multiple memories: %u memories, at most 1", m->memory_count);
    return true;
}

/* The type of one instruction of a constant expression. In Wasm 2.0 only t.const, ref.null,
 * ref.func and global.get of an imported immutable global are constant. ref.func here
 * declares the function for ref.func in bodies (C.refs). */
static bool const_instr_type(validator *v, const wasm_instr *ins, wasm_valtype want,
                             const char *what, wasm_valtype *out)
{
    const wasm_module *m = v->m;
    switch (ins->op) {
    case WASM_OP_I32_CONST:
        *out = WASM_VT_I32;
        return true;
    case WASM_OP_I64_CONST:
        *out = WASM_VT_I64;
        return true;
    case WASM_OP_F32_CONST:
        *out = WASM_VT_F32;
        return true;
    case WASM_OP_F64_CONST:
        *out = WASM_VT_F64;
        return true;
    case WASM_OP_V128_CONST:
        *out = WASM_VT_V128;
        return true;
    case WASM_OP_REF_NULL:
        if (!check_valtype(v, ins->u.reftype, m->type_count, ins->offset))
            return false;
        *out = ins->u.reftype;
        return true;
    case WASM_OP_REF_FUNC:
        if (ins->u.index >= m->func_count)
            return fail_instr(v, "unknown function %u", ins->u.index);
        mark_ref(v, ins->u.index);
        *out = wasm_ref(WASM_HT_TYPE + m->funcs[ins->u.index].type_index, false);
        return true;
    case WASM_OP_GLOBAL_GET: {
        /* 2.0: constant expressions see only the imported globals. Wasm 3.0 lets them read
         * earlier immutable defined globals too (and segments any immutable one): the
         * compiler takes those (the runtime evaluates them in order at instantiation), the
         * 2.0 view keeps 2.0's verdict. */
        uint32_t g = ins->u.index;
        bool visible = g < m->global_import_count || (v->to_compile && g < v->const_globals);
        if (!visible) {
            if (g < v->const_globals && !m->globals[g].type.mut)
                return fail_wasm3(v, ins->offset, KILN_FEATURE_GC, "unknown global %u", g);
            return fail_instr(v, "unknown global %u", g);
        }
        if (m->globals[g].type.mut)
            return fail_instr(v, "constant expression required: global %u is mutable", g);
        *out = m->globals[g].type.type;
        return true;
    }
    case WASM_OP_I32_ADD:
    case WASM_OP_I32_SUB:
    case WASM_OP_I32_MUL:
    case WASM_OP_I64_ADD:
    case WASM_OP_I64_SUB:
    case WASM_OP_I64_MUL:
        /* Wasm 3.0 (extended-const); in an expression of another type it is still an error
         * (2.0's "constant expression required", a type mismatch in 3.0). */
        if (*wasm_ops[ins->op].out == (want == WASM_VT_I32 ? 'i' : want == WASM_VT_I64 ? 'I' : 0))
            return fail_unsupported(v, ins->offset, KILN_FEATURE_EXTENDED_CONST, "%s in %s",
                                    op_name(v), what);
        return fail_instr(v, "constant expression required: %s in %s", op_name(v), what);
    default:
        return fail_instr(v, "constant expression required: %s in %s", op_name(v), what);
    }
}

/* i32/i64 add, sub, mul: the operations of Wasm 3.0's extended constant expressions. */
static bool is_extended_const_op(uint16_t op)
{
    return op == WASM_OP_I32_ADD || op == WASM_OP_I32_SUB || op == WASM_OP_I32_MUL ||
           op == WASM_OP_I64_ADD || op == WASM_OP_I64_SUB || op == WASM_OP_I64_MUL;
}

/* A constant expression of type want (what names it in messages): constant instructions
 * only, leaving exactly one value of type want. Judged by 3.0 (to_compile), the extended
 * operations take their two operands from the expression's stack (at most
 * KILN_MAX_CONST_EXPR_DEPTH deep, the runtime's bound: class limit beyond). */
static bool check_const_expr(validator *v, wasm_expr e, wasm_valtype want, const char *what)
{
    kiln_reader r;
    open_expr(v, e, &r);
    wasm_valtype stack[KILN_MAX_CONST_EXPR_DEPTH];
    uint32_t depth = 0;
    wasm_valtype got = WASM_VT_UNKNOWN;
    size_t extra_offset = e.offset;
    wasm_instr ins;
    v->ins = &ins;
    for (;;) {
        if (!dec_instr(&r, &v->scratch, &ins))
            return note_decode_failure(v);
        if (ins.op == WASM_OP_END)
            break;
        if (v->to_compile && is_extended_const_op(ins.op)) {
            wasm_valtype t = *wasm_ops[ins.op].in == 'i' ? WASM_VT_I32 : WASM_VT_I64;
            if (depth < 2 || stack[depth - 1] != t || stack[depth - 2] != t)
                return fail_instr(v, "type mismatch: %s expects two %s operands in %s", op_name(v),
                                  wasm_valtype_name(t), what);
            depth--;
            continue;
        }
        if (!const_instr_type(v, &ins, want, what, &got))
            return false;
        if (depth == KILN_MAX_CONST_EXPR_DEPTH)
            return fail_at(v, ins.offset, KILN_ERR_LIMIT,
                           "constant expression deeper than %u operands in %s",
                           KILN_MAX_CONST_EXPR_DEPTH, what);
        stack[depth++] = got;
        if (depth == 2)
            extra_offset = ins.offset;
    }
    v->ins = NULL;
    kiln_arena_reset(&v->scratch);
    if (depth == 0)
        return fail_at(v, e.offset, KILN_ERR_INVALID, "type mismatch: %s expects %s but is empty",
                       what, wasm_valtype_name(want));
    if (depth > 1)
        return fail_at(v, extra_offset, KILN_ERR_INVALID,
                       "type mismatch: %s leaves %u values, expected one %s", what, depth,
                       wasm_valtype_name(want));
    got = stack[0];
    if (!matches(v, got, want))
        return fail_at(v, e.offset, KILN_ERR_INVALID, "type mismatch: %s expects %s but got %s",
                       what, wasm_valtype_name(want), wasm_valtype_name(got));
    return true;
}

static bool check_globals(validator *v)
{
    const wasm_module *m = v->m;
    for (uint32_t g = m->global_import_count; g < m->global_count; g++) {
        v->const_globals = g;
        if (!check_valtype(v, m->globals[g].type.type, m->type_count, m->globals[g].init.offset))
            return false;
        if (!check_const_expr(v, m->globals[g].init, m->globals[g].type.type, "global initializer"))
            return false;
    }
    v->const_globals = m->global_count;
    return true;
}

static bool check_elems(validator *v)
{
    const wasm_module *m = v->m;
    for (uint32_t i = 0; i < m->elem_count; i++) {
        const wasm_elem *el = &m->elems[i];
        if (!check_valtype(v, el->type, m->type_count, el->offset))
            return false;
        if (el->func_indices) {
            for (uint32_t k = 0; k < el->count; k++) {
                if (el->func_indices[k] >= m->func_count)
                    return fail_at(v, el->offset, KILN_ERR_INVALID, "unknown function %u",
                                   el->func_indices[k]);
                mark_ref(v, el->func_indices[k]);
            }
        } else {
            for (uint32_t k = 0; k < el->count; k++)
                if (!check_const_expr(v, el->exprs[k], el->type, "element initializer"))
                    return false;
        }
        if (el->mode != WASM_SEG_ACTIVE)
            continue;
        if (el->table >= m->table_count)
            return fail_at(v, el->offset, KILN_ERR_INVALID, "unknown table %u", el->table);
        if (!check_const_expr(v, el->offset_expr, table_at(m, el->table), "element offset"))
            return false;
        wasm_valtype table_type = m->tables[el->table].type.elem;
        if (!matches(v, el->type, table_type))
            return fail_at(v, el->offset, KILN_ERR_INVALID,
                           "type mismatch: element segment %u of %s for table %u of %s", i,
                           wasm_valtype_name(el->type), el->table, wasm_valtype_name(table_type));
    }
    return true;
}

static bool check_datas(validator *v)
{
    const wasm_module *m = v->m;
    for (uint32_t i = 0; i < m->data_seg_count; i++) {
        const wasm_data *seg = &m->datas[i];
        if (seg->mode != WASM_SEG_ACTIVE)
            continue;
        if (seg->memory >= m->memory_count)
            return fail_at(v, seg->offset, KILN_ERR_INVALID, "unknown memory %u", seg->memory);
        wasm_valtype at = wasm_memory_is64(m, seg->memory) ? WASM_VT_I64 : WASM_VT_I32;
        if (!check_const_expr(v, seg->offset_expr, at, "data offset"))
            return false;
    }
    return true;
}

static bool check_start(validator *v)
{
    const wasm_module *m = v->m;
    if (!m->has_start)
        return true;
    if (m->start >= m->func_count)
        return fail_at(v, m->start_offset, KILN_ERR_INVALID, "unknown function %u", m->start);
    const wasm_functype *ft = func_type_of(v, m->start);
    if (ft->param_count || ft->result_count)
        return fail_at(v, m->start_offset, KILN_ERR_INVALID,
                       "start function: function %u must have type [] -> [], not %u params, %u "
                       "results",
                       m->start, ft->param_count, ft->result_count);
    return true;
}

static uint32_t hash_name(wasm_str s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t i = 0; i < s.len; i++)
        h = (h ^ (uint8_t)s.ptr[i]) * 16777619u;
    return h;
}

/* Export indices in range, names unique (an open-addressing set over the names), and every
 * exported function declared for ref.func. */
static bool check_exports(validator *v)
{
    const wasm_module *m = v->m;
    static const char *const unknown[] = {"function", "table", "memory", "global", "tag"};
    uint32_t cap = 16;
    while (cap < 2u * (uint64_t)m->export_count)
        cap *= 2;
    uint32_t *slots = ARENA_ARRAY(&v->scratch, uint32_t, cap); /* export index + 1; 0 = empty */
    if (!slots)
        return fail_nomem(v, "export name set");
    for (uint32_t i = 0; i < m->export_count; i++) {
        const wasm_export *ex = &m->exports[i];
        uint32_t limit = ex->kind == WASM_EXTERN_FUNC     ? m->func_count
                         : ex->kind == WASM_EXTERN_TABLE  ? m->table_count
                         : ex->kind == WASM_EXTERN_MEMORY ? m->memory_count
                         : ex->kind == WASM_EXTERN_GLOBAL ? m->global_count
                                                          : m->tag_count;
        KILN_ASSERT(ex->kind <= WASM_EXTERN_TAG);
        if (ex->index >= limit)
            return fail_at(v, ex->offset, KILN_ERR_INVALID, "unknown %s %u", unknown[ex->kind],
                           ex->index);
        if (ex->kind == WASM_EXTERN_FUNC)
            mark_ref(v, ex->index);
        for (uint32_t h = hash_name(ex->name) & (cap - 1);; h = (h + 1) & (cap - 1)) {
            if (!slots[h]) {
                slots[h] = i + 1;
                break;
            }
            const wasm_str *other = &m->exports[slots[h] - 1].name;
            if (other->len == ex->name.len &&
                (other->len == 0 || memcmp(other->ptr, ex->name.ptr, other->len) == 0))
                return fail_at(v, ex->offset, KILN_ERR_INVALID, "duplicate export name \"%.*s\"",
                               (int)ex->name.len, ex->name.ptr);
        }
    }
    kiln_arena_reset(&v->scratch);
    return true;
}

/*
 * The operand and control stacks
 */

static bool grow_vals(validator *v)
{
    if (v->val_count >= KILN_MAX_OPERAND_STACK)
        return fail_at(v, v->ins->offset, KILN_ERR_LIMIT,
                       "operand stack height exceeds the limit of %u (KILN_MAX_OPERAND_STACK)",
                       KILN_MAX_OPERAND_STACK);
    uint32_t cap = v->val_cap ? v->val_cap * 2 : 64;
    if (cap > KILN_MAX_OPERAND_STACK)
        cap = KILN_MAX_OPERAND_STACK;
    wasm_valtype *vals = ARENA_ARRAY(&v->scratch, wasm_valtype, cap);
    if (!vals)
        return fail_nomem(v, "operand stack");
    if (v->val_count)
        memcpy(vals, v->vals, v->val_count * sizeof *vals);
    v->vals = vals;
    v->val_cap = cap;
    return true;
}

static inline bool push_val(validator *v, wasm_valtype t)
{
    if (v->val_count == v->val_cap && !grow_vals(v))
        return false;
    v->vals[v->val_count++] = t;
    return true;
}

static bool push_vals(validator *v, const wasm_valtype *types, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!push_val(v, types[i]))
            return false;
    return true;
}

static bool fail_pop(validator *v, wasm_valtype want, const char *got)
{
    return fail_instr(v, "type mismatch: %s expects %s but got %s", op_name(v), type_name(want),
                      got);
}

/* pop_val(expect): WASM_VT_UNKNOWN as want accepts anything. *out (may be NULL) gets the
 * popped type, WASM_VT_UNKNOWN below the height of an unreachable frame. */
static inline bool pop_val(validator *v, wasm_valtype want, wasm_valtype *out)
{
    const ctrl_frame *f = &v->ctrls[v->ctrl_count - 1];
    wasm_valtype got = WASM_VT_UNKNOWN;
    if (out)
        *out = got; /* defined on failure too */
    if (v->val_count == f->height) {
        if (!f->unreachable)
            return fail_pop(v, want, "nothing");
    } else {
        got = v->vals[--v->val_count];
        if (got != want && want != WASM_VT_UNKNOWN && !matches(v, got, want))
            return fail_pop(v, want, wasm_valtype_name(got));
    }
    if (out)
        *out = got;
    return true;
}

/* "[t1 t2 ...]" into buf: the reference interpreter's way of writing a stack. Long lists
 * keep their end (the top of a stack), after "...". */
static void put_types(char *buf, size_t size, const wasm_valtype *types, uint32_t n, bool more)
{
    uint32_t first = n > 6 ? n - 6 : 0;
    size_t len = (size_t)snprintf(buf, size, "[%s", more || first ? "..." : "");
    for (uint32_t i = first; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", len > 1 ? " " : "",
                                type_name(types[i]));
    if (len < size)
        snprintf(buf + len, size - len, "]");
}

/* "type mismatch: WHO requires [types] but stack has [the frame's values] (op)": the
 * reference interpreter's message for a sequence of operands or a block's results. */
static bool fail_requires(validator *v, const char *who, const wasm_valtype *types, uint32_t n)
{
    const ctrl_frame *f = &v->ctrls[v->ctrl_count - 1];
    char want[64], has[64];
    put_types(want, sizeof want, types, n, false);
    uint32_t avail = v->val_count - f->height;
    put_types(has, sizeof has, avail ? v->vals + f->height : NULL, avail, f->unreachable);
    return fail_instr(v, "type mismatch: %s requires %s but stack has %s (%s)", who, want, has,
                      op_name(v));
}

/* Whether the top of the stack matches types (the unreachable rest matches anything). */
static bool top_matches(const validator *v, const wasm_valtype *types, uint32_t n)
{
    const ctrl_frame *f = &v->ctrls[v->ctrl_count - 1];
    uint32_t avail = v->val_count - f->height;
    for (uint32_t i = 0; i < n; i++) {
        if (i >= avail)
            return f->unreachable;
        if (!matches(v, v->vals[v->val_count - 1 - i], types[n - 1 - i]))
            return false;
    }
    return true;
}

/* Checks that the top of the stack matches types without changing it; the spec's
 * push_vals(pop_vals(types)), used for the targets of br_table. */
static bool peek_vals(validator *v, const wasm_valtype *types, uint32_t n)
{
    return top_matches(v, types, n) || fail_requires(v, "instruction", types, n);
}

static bool pop_vals(validator *v, const wasm_valtype *types, uint32_t n)
{
    if (!peek_vals(v, types, n))
        return false;
    const ctrl_frame *f = &v->ctrls[v->ctrl_count - 1];
    uint32_t avail = v->val_count - f->height;
    v->val_count -= n < avail ? n : avail;
    return true;
}

static bool push_ctrl(validator *v, uint16_t op, const wasm_valtype *params, uint32_t param_count,
                      const wasm_valtype *results, uint32_t result_count)
{
    if (v->ctrl_count == v->ctrl_cap) {
        if (v->ctrl_count > KILN_MAX_NESTING)
            return fail_at(v, v->ins->offset, KILN_ERR_LIMIT,
                           "blocks nested deeper than the limit of %u (KILN_MAX_NESTING)",
                           KILN_MAX_NESTING);
        uint32_t cap = v->ctrl_cap ? v->ctrl_cap * 2 : 16;
        if (cap > KILN_MAX_NESTING + 1)
            cap = KILN_MAX_NESTING + 1;
        ctrl_frame *ctrls = ARENA_ARRAY(&v->scratch, ctrl_frame, cap);
        if (!ctrls)
            return fail_nomem(v, "control stack");
        if (v->ctrl_count)
            memcpy(ctrls, v->ctrls, v->ctrl_count * sizeof *ctrls);
        v->ctrls = ctrls;
        v->ctrl_cap = cap;
    }
    ctrl_frame *f = &v->ctrls[v->ctrl_count++];
    *f = (ctrl_frame){.op = op,
                      .height = v->val_count,
                      .param_count = param_count,
                      .result_count = result_count,
                      .params = params,
                      .results = results,
                      .init_height = v->init_count};
    return push_vals(v, params, param_count);
}

/* pop_ctrl: the frame's results must be exactly what is left above its height. */
static bool pop_ctrl(validator *v, ctrl_frame *out)
{
    const ctrl_frame *f = &v->ctrls[v->ctrl_count - 1];
    if (v->val_count - f->height > f->result_count) /* extra values: the whole block's */
        return fail_requires(v, "block", f->results, f->result_count);
    if (!pop_vals(v, f->results, f->result_count))
        return false;
    *out = *f;
    v->ctrl_count--;
    /* locals set inside the frame are unset again after it (Wasm 3.0's local init rule) */
    while (v->init_count > f->init_height)
        v->local_set[v->init_stack[--v->init_count]] = 0;
    return true;
}

/* unreachable(): drop the frame's operands; later pops yield WASM_VT_UNKNOWN. */
static void mark_unreachable(validator *v)
{
    ctrl_frame *f = &v->ctrls[v->ctrl_count - 1];
    v->val_count = f->height;
    f->unreachable = true;
}

/*
 * Instructions
 */

/* Label n of the current function, or NULL after recording "unknown label". */
static ctrl_frame *label_frame(validator *v, uint32_t n)
{
    if (n >= v->ctrl_count) {
        fail_instr(v, "unknown label %u", n);
        return NULL;
    }
    return &v->ctrls[v->ctrl_count - 1 - n];
}

/* label_types(frame): a loop's label takes its parameters, others take the results. */
static void label_types(const ctrl_frame *f, const wasm_valtype **types, uint32_t *count)
{
    bool loop = f->op == WASM_OP_LOOP;
    *types = loop ? f->params : f->results;
    *count = loop ? f->param_count : f->result_count;
}

// blocktype ::= 0x40 | valtype | typeidx (s33)
static bool read_blocktype(validator *v, const wasm_instr *ins, const wasm_functype **type,
                           const wasm_valtype **single)
{
    *type = NULL;
    *single = NULL;
    if (ins->u.block.kind == WASM_BT_VALUE) {
        *single = single_type(ins->u.block.value);
        if (!*single) { /* a Wasm 3.0 reference type: a copy in the function's arena */
            wasm_valtype *copy = ARENA_ARRAY(&v->scratch, wasm_valtype, 1);
            if (!copy)
                return fail_nomem(v, "block type");
            *copy = ins->u.block.value;
            *single = copy;
            return check_valtype(v, *copy, v->m->type_count, ins->offset);
        }
    } else if (ins->u.block.kind == WASM_BT_TYPE) {
        if (ins->u.block.type_index >= v->m->type_count)
            return fail_instr(v, "unknown type %u", ins->u.block.type_index);
        *type = &v->m->types[ins->u.block.type_index];
    }
    return true;
}

static bool check_block(validator *v, const wasm_instr *ins)
{
    const wasm_functype *type;
    const wasm_valtype *single;
    if (!read_blocktype(v, ins, &type, &single))
        return false;
    if (ins->op == WASM_OP_IF && !pop_val(v, WASM_VT_I32, NULL))
        return false;
    if (!type)
        return push_ctrl(v, ins->op, NULL, 0, single, single ? 1 : 0);
    if (!pop_vals(v, type->params, type->param_count))
        return false;
    return push_ctrl(v, ins->op, type->params, type->param_count, type->results,
                     type->result_count);
}

static bool check_else(validator *v)
{
    KILN_ASSERT(v->ctrls[v->ctrl_count - 1].op == WASM_OP_IF); /* the decoder checks it */
    ctrl_frame f;
    if (!pop_ctrl(v, &f))
        return false;
    return push_ctrl(v, WASM_OP_ELSE, f.params, f.param_count, f.results, f.result_count);
}

static bool check_end(validator *v)
{
    ctrl_frame f;
    if (!pop_ctrl(v, &f))
        return false;
    /* An if without else has an empty else branch, which must turn params into results. */
    if (f.op == WASM_OP_IF && !types_match(v, f.params, f.param_count, f.results, f.result_count))
        return fail_instr(v, "type mismatch: if without else must have equal parameter and "
                             "result types");
    if (v->ctrl_count == 0)
        return true; /* the function's end; its results are checked */
    return push_vals(v, f.results, f.result_count);
}

static bool check_br(validator *v, uint32_t label, bool conditional)
{
    if (conditional && !pop_val(v, WASM_VT_I32, NULL))
        return false;
    const ctrl_frame *f = label_frame(v, label);
    if (!f)
        return false;
    const wasm_valtype *types;
    uint32_t count;
    label_types(f, &types, &count);
    if (!pop_vals(v, types, count))
        return false;
    if (conditional)
        return push_vals(v, types, count);
    mark_unreachable(v);
    return true;
}

/* All targets must have the default's arity, and the operands must match every target's
 * label types (the spec's current rule; types may differ between targets). Each frame is
 * checked once per br_table however often it is named. */
static bool check_br_table(validator *v, const wasm_instr *ins)
{
    if (!pop_val(v, WASM_VT_I32, NULL))
        return false;
    ctrl_frame *def = label_frame(v, ins->u.br_table.default_target);
    if (!def)
        return false;
    const wasm_valtype *def_types;
    uint32_t arity;
    label_types(def, &def_types, &arity);
    uint32_t stamp = ++v->br_table_stamp;
    for (uint32_t i = 0; i < ins->u.br_table.count; i++) {
        ctrl_frame *f = label_frame(v, ins->u.br_table.targets[i]);
        if (!f)
            return false;
        if (f->br_table_stamp == stamp)
            continue;
        f->br_table_stamp = stamp;
        const wasm_valtype *types;
        uint32_t count;
        label_types(f, &types, &count);
        if (count != arity)
            return fail_instr(v,
                              "type mismatch: br_table target %u has %u value(s), the default %u "
                              "has %u",
                              ins->u.br_table.targets[i], count, ins->u.br_table.default_target,
                              arity);
        if (!peek_vals(v, types, count))
            return false;
    }
    if (!pop_vals(v, def_types, arity))
        return false;
    mark_unreachable(v);
    return true;
}

static bool check_call(validator *v, const wasm_functype *ft)
{
    if (!pop_vals(v, ft->params, ft->param_count))
        return false;
    return push_vals(v, ft->results, ft->result_count);
}

/* return_call, return_call_indirect: the callee's results become the function's, so they
 * must be the same types; then, as return, the rest of the block is unreachable. */
static bool check_return_call(validator *v, const char *what, const wasm_functype *ft)
{
    const wasm_functype *self = v->func_type;
    if (!types_match(v, ft->results, ft->result_count, self->results, self->result_count))
        return fail_instr(v,
                          "type mismatch: %s to a function whose results differ from the "
                          "caller's",
                          what);
    if (!pop_vals(v, ft->params, ft->param_count))
        return false;
    mark_unreachable(v);
    return true;
}

/* "unknown table 3": an index immediate outside its index space. */
static bool check_index(validator *v, uint32_t index, uint32_t count, const char *space)
{
    if (index >= count)
        return fail_instr(v, "unknown %s %u", space, index);
    return true;
}

static bool check_table_index(validator *v, uint32_t table)
{
    return check_index(v, table, v->m->table_count, "table");
}

static bool check_memory_index(validator *v, uint32_t memory)
{
    return check_index(v, memory, v->m->memory_count, "memory");
}

static bool check_data_index(validator *v, uint32_t data)
{
    const wasm_module *m = v->m;
    return check_index(v, data, m->has_data_count ? m->data_count : m->data_seg_count,
                       "data segment");
}

static bool check_elem_index(validator *v, uint32_t elem)
{
    return check_index(v, elem, v->m->elem_count, "elem segment");
}

static bool check_memarg(validator *v, const wasm_memarg *mem, uint32_t natural)
{
    if (!check_memory_index(v, mem->memory))
        return false;
    if (wasm_ops[v->ins->op].prefix == 0xFE && (mem->align >= 32 || (1u << mem->align) != natural))
        return fail_instr(v, "atomic alignment must be natural: 2^%u != %u for %s",
                          mem->align < 32 ? mem->align : 32, natural, op_name(v));
    if (mem->align >= 32 || (1u << mem->align) > natural)
        return fail_instr(v, "alignment must not be larger than natural: 2^%u > %u for %s",
                          mem->align, natural, op_name(v));
    /* Only Wasm 3.0 reads such an offset (a u64; kiln_validate has reported it as malformed
     * already); a 64-bit memory takes any u64. */
    if (mem->offset > UINT32_MAX && !wasm_memory_is64(v->m, mem->memory))
        return fail_instr(v, "offset out of range: %llu > 2^32-1 for %s",
                          (unsigned long long)mem->offset, op_name(v));
    return true;
}

static bool check_lane(validator *v, uint32_t lane, uint32_t lanes)
{
    if (lane >= lanes)
        return fail_instr(v, "invalid lane index %u for %s (%u lanes)", lane, op_name(v), lanes);
    return true;
}

/* The rules that depend on an immediate alone (memory, data and elem indices, alignment,
 * lanes); they hold whether the op's types come from the table or from check_special. */
static bool check_immediates(validator *v, const wasm_instr *ins)
{
    const wasm_opinfo *info = &wasm_ops[ins->op];
    switch (info->imm) {
    case IMM_MEMARG:
        return check_memarg(v, &ins->u.memarg.mem, info->size);
    case IMM_MEMARG_LANE:
        KILN_ASSERT(info->size != 0);
        if (!check_memarg(v, &ins->u.memarg.mem, info->size))
            return false;
        return check_lane(v, ins->u.memarg.lane, 16u / info->size);
    case IMM_LANE:
        return check_lane(v, ins->u.lane, info->size);
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++)
            if (!check_lane(v, ins->u.v128[i], info->size))
                return false;
        return true;
    case IMM_MEMORY:
        return check_memory_index(v, ins->u.index);
    case IMM_MEMORY_COPY:
        return check_memory_index(v, ins->u.memory_copy.dst) &&
               check_memory_index(v, ins->u.memory_copy.src);
    case IMM_MEMORY_INIT:
        return check_memory_index(v, ins->u.memory_init.memory) &&
               check_data_index(v, ins->u.memory_init.data);
    case IMM_DATA:
        return check_data_index(v, ins->u.index);
    case IMM_ELEM:
        return check_elem_index(v, ins->u.index);
    default:
        return true;
    }
}

/* An op whose row has in/out letters: pop the operands, push the results. */
static bool check_signature(validator *v, const wasm_opinfo *info)
{
    size_t n = strlen(info->in);
    for (size_t i = n; i-- > 0;)
        if (!pop_val(v, letter_type(info->in[i]), NULL))
            return false;
    for (const char *c = info->out; *c; c++)
        if (!push_val(v, letter_type(*c)))
            return false;
    return true;
}

static bool pop_i32s(validator *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!pop_val(v, WASM_VT_I32, NULL))
            return false;
    return true;
}

static bool check_select(validator *v, const wasm_instr *ins)
{
    if (ins->op == WASM_OP_SELECT_T) {
        if (ins->u.select.count != 1)
            return fail_instr(v, "invalid result arity: select has %u types, expected 1",
                              ins->u.select.count);
        wasm_valtype t = ins->u.select.type;
        return check_valtype(v, t, v->m->type_count, ins->offset) &&
               pop_val(v, WASM_VT_I32, NULL) && pop_val(v, t, NULL) && pop_val(v, t, NULL) &&
               push_val(v, t);
    }
    wasm_valtype t1, t2;
    if (!pop_val(v, WASM_VT_I32, NULL) || !pop_val(v, WASM_VT_UNKNOWN, &t1) ||
        !pop_val(v, WASM_VT_UNKNOWN, &t2))
        return false;
    if (wasm_valtype_is_ref(t1) || wasm_valtype_is_ref(t2))
        return fail_instr(v,
                          "type mismatch: select without a type needs numeric or vector "
                          "operands, got %s",
                          wasm_valtype_name(wasm_valtype_is_ref(t1) ? t1 : t2));
    if (t1 != t2 && t1 != WASM_VT_UNKNOWN && t2 != WASM_VT_UNKNOWN)
        return fail_instr(v, "type mismatch: select operands %s and %s differ",
                          wasm_valtype_name(t2), wasm_valtype_name(t1));
    return push_val(v, t1 == WASM_VT_UNKNOWN ? t2 : t1);
}

static bool local_type(validator *v, uint32_t x, wasm_valtype *out)
{
    const wasm_functype *ft = v->func_type;
    if (x >= v->local_total)
        return fail_instr(v, "unknown local %u", x);
    if (x < ft->param_count) {
        *out = ft->params[x];
        return true;
    }
    /* Binary search for the first group ending after x. */
    const wasm_func *fn = &v->m->funcs[v->func_index];
    uint32_t lo = 0, hi = fn->local_group_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->group_ends[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    KILN_ASSERT(lo < fn->local_group_count);
    *out = fn->local_groups[lo].type;
    return true;
}

/* local.set/tee x: x holds a value until the end of the current frame. */
static bool set_local(validator *v, uint32_t x)
{
    if (v->local_set && !v->local_set[x]) {
        v->local_set[x] = 1;
        v->init_stack[v->init_count++] = x;
    }
    return true;
}

static bool check_variable(validator *v, const wasm_instr *ins)
{
    const wasm_module *m = v->m;
    wasm_valtype t;
    switch (ins->op) {
    case WASM_OP_LOCAL_GET:
        if (!local_type(v, ins->u.index, &t))
            return false;
        if (v->local_set && !v->local_set[ins->u.index])
            return fail_instr(v, "uninitialized local %u: local.get before any local.set",
                              ins->u.index);
        return push_val(v, t);
    case WASM_OP_LOCAL_SET:
        return local_type(v, ins->u.index, &t) && pop_val(v, t, NULL) && set_local(v, ins->u.index);
    case WASM_OP_LOCAL_TEE:
        return local_type(v, ins->u.index, &t) && pop_val(v, t, NULL) &&
               set_local(v, ins->u.index) && push_val(v, t);
    case WASM_OP_GLOBAL_GET:
        if (ins->u.index >= m->global_count)
            return fail_instr(v, "unknown global %u", ins->u.index);
        return push_val(v, m->globals[ins->u.index].type.type);
    default: /* WASM_OP_GLOBAL_SET */
        if (ins->u.index >= m->global_count)
            return fail_instr(v, "unknown global %u", ins->u.index);
        if (!m->globals[ins->u.index].type.mut)
            return fail_instr(v,
                              v->to_compile ? "immutable global: global.set %u"
                                            : "global is immutable: global.set %u",
                              ins->u.index);
        return pop_val(v, m->globals[ins->u.index].type.type, NULL);
    }
}

/* Pops a reference of any type (*out may be NULL; WASM_VT_UNKNOWN in unreachable code). */
static bool pop_ref(validator *v, wasm_valtype *out)
{
    wasm_valtype t;
    if (!pop_val(v, WASM_VT_UNKNOWN, &t))
        return false;
    if (t != WASM_VT_UNKNOWN && !wasm_valtype_is_ref(t))
        return fail_instr(v, "type mismatch: %s expects a reference but got %s", op_name(v),
                          wasm_valtype_name(t));
    if (out)
        *out = t;
    return true;
}

/* The type of tag x, or NULL after "unknown tag". */
static const wasm_functype *tag_type(validator *v, uint32_t x)
{
    if (x >= v->m->tag_count) {
        fail_instr(v, "unknown tag %u", x);
        return NULL;
    }
    return &v->m->types[v->m->tags[x].type_index];
}

/* The values a try_table catch clause hands its label: the tag's parameters (catch,
 * catch_ref), then a (ref exn) (catch_ref, catch_all_ref); they must match the label's
 * types. Labels count from the try_table's context (its own frame is not pushed yet). */
static bool check_catch(validator *v, const wasm_catch *c)
{
    static const wasm_valtype ref_exn = WASM_VT_REF | WASM_HT_EXN;
    const wasm_valtype *params = NULL;
    uint32_t n = 0;
    if (c->kind == WASM_CATCH || c->kind == WASM_CATCH_REF) {
        const wasm_functype *ft = tag_type(v, c->tag);
        if (!ft)
            return false;
        params = ft->params;
        n = ft->param_count;
    }
    const ctrl_frame *f = label_frame(v, c->label);
    if (!f)
        return false;
    const wasm_valtype *types;
    uint32_t count;
    label_types(f, &types, &count);
    bool ref = c->kind == WASM_CATCH_REF || c->kind == WASM_CATCH_ALL_REF;
    bool ok = count == n + ref;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = matches(v, params[i], types[i]);
    if (ok && ref)
        ok = matches(v, ref_exn, types[n]);
    if (!ok)
        return fail_instr(v,
                          "type mismatch: try_table catch clause for label %u: the label takes "
                          "%u value(s) of other types",
                          c->label, count);
    return true;
}

static bool check_try_table(validator *v, const wasm_instr *ins)
{
    for (uint32_t i = 0; i < ins->u.block.catch_count; i++)
        if (!check_catch(v, &ins->u.block.catches[i]))
            return false;
    return check_block(v, ins);
}

/* Legacy exceptions: catch x / catch_all end the try's body (or the previous handler) as
 * else ends an if's; the handler starts with the tag's parameters. delegate l ends the try
 * and names a label outside it; rethrow l names an enclosing catch or catch_all. */
static bool check_legacy(validator *v, const wasm_instr *ins)
{
    ctrl_frame f;
    switch (ins->op) {
    case WASM_OP_CATCH: {
        const wasm_functype *ft = tag_type(v, ins->u.index);
        if (!ft || !pop_ctrl(v, &f))
            return false;
        return push_ctrl(v, WASM_OP_CATCH, ft->params, ft->param_count, f.results, f.result_count);
    }
    case WASM_OP_CATCH_ALL:
        if (!pop_ctrl(v, &f))
            return false;
        return push_ctrl(v, WASM_OP_CATCH_ALL, NULL, 0, f.results, f.result_count);
    case WASM_OP_DELEGATE:
        if (!pop_ctrl(v, &f) || !label_frame(v, ins->u.index))
            return false;
        return push_vals(v, f.results, f.result_count);
    default: { /* WASM_OP_RETHROW */
        const ctrl_frame *l = label_frame(v, ins->u.index);
        if (!l)
            return false;
        if (l->op != WASM_OP_CATCH && l->op != WASM_OP_CATCH_ALL)
            return fail_instr(v, "invalid rethrow label %u: not a catch or catch_all block",
                              ins->u.index);
        mark_unreachable(v);
        return true;
    }
    }
}

/* br_on_null l: [t* (ref null ht)] -> [t* (ref ht)], branching with t* on null.
 * br_on_non_null l: [t* (ref null ht)] -> [t*], branching with t* (ref ht) otherwise; l's
 * last label type must be a reference that (ref ht) matches. */
static bool check_br_on_null(validator *v, const wasm_instr *ins)
{
    wasm_valtype t;
    if (!pop_ref(v, &t))
        return false;
    const ctrl_frame *f = label_frame(v, ins->u.index);
    if (!f)
        return false;
    const wasm_valtype *types;
    uint32_t count;
    label_types(f, &types, &count);
    wasm_valtype non_null = t == WASM_VT_UNKNOWN ? t : wasm_ref(wasm_ref_heap(t), false);
    if (ins->op == WASM_OP_BR_ON_NULL)
        return pop_vals(v, types, count) && push_vals(v, types, count) && push_val(v, non_null);
    if (count == 0 || !wasm_valtype_is_ref(types[count - 1]))
        return fail_instr(v,
                          "type mismatch: br_on_non_null to label %u, whose types do not "
                          "end with a reference",
                          ins->u.index);
    if (!matches(v, non_null, types[count - 1]))
        return fail_instr(v, "type mismatch: br_on_non_null expects %s but got %s",
                          wasm_valtype_name(types[count - 1]), wasm_valtype_name(t));
    return pop_vals(v, types, count - 1) && push_vals(v, types, count - 1);
}

static bool check_table_op(validator *v, const wasm_instr *ins)
{
    const wasm_module *m = v->m;
    switch (ins->op) {
    case WASM_OP_TABLE_COPY: {
        uint32_t dst = ins->u.table_copy.dst, src = ins->u.table_copy.src;
        if (!check_table_index(v, dst) || !check_table_index(v, src))
            return false;
        if (!matches(v, m->tables[src].type.elem, m->tables[dst].type.elem))
            return fail_instr(v, "type mismatch: table.copy from %s table %u to %s table %u",
                              wasm_valtype_name(m->tables[src].type.elem), src,
                              wasm_valtype_name(m->tables[dst].type.elem), dst);
        /* the length is i64 only when both tables are 64-bit */
        wasm_valtype d = table_at(m, dst), s = table_at(m, src);
        return pop_val(v, d == WASM_VT_I64 && s == WASM_VT_I64 ? WASM_VT_I64 : WASM_VT_I32, NULL) &&
               pop_val(v, s, NULL) && pop_val(v, d, NULL);
    }
    case WASM_OP_TABLE_INIT: {
        uint32_t table = ins->u.table_init.table, elem = ins->u.table_init.elem;
        if (!check_table_index(v, table) || !check_elem_index(v, elem))
            return false;
        if (!matches(v, m->elems[elem].type, m->tables[table].type.elem))
            return fail_instr(v, "type mismatch: table.init of %s segment %u into %s table %u",
                              wasm_valtype_name(m->elems[elem].type), elem,
                              wasm_valtype_name(m->tables[table].type.elem), table);
        return pop_i32s(v, 2) && pop_val(v, table_at(m, table), NULL);
    }
    default:
        break;
    }
    if (!check_table_index(v, ins->u.index))
        return false;
    wasm_valtype t = m->tables[ins->u.index].type.elem;
    wasm_valtype at = table_at(m, ins->u.index);
    switch (ins->op) {
    case WASM_OP_TABLE_GET:
        return pop_val(v, at, NULL) && push_val(v, t);
    case WASM_OP_TABLE_SET:
        return pop_val(v, t, NULL) && pop_val(v, at, NULL);
    case WASM_OP_TABLE_SIZE:
        return push_val(v, at);
    case WASM_OP_TABLE_GROW:
        return pop_val(v, at, NULL) && pop_val(v, t, NULL) && push_val(v, at);
    default: /* WASM_OP_TABLE_FILL */
        return pop_val(v, at, NULL) && pop_val(v, t, NULL) && pop_val(v, at, NULL);
    }
}

/* The ops with in == NULL in wasm_ops[]: their types depend on immediates or context. */
static bool check_special(validator *v, const wasm_instr *ins)
{
    const wasm_module *m = v->m;
    switch (ins->op) {
    case WASM_OP_UNREACHABLE:
        mark_unreachable(v);
        return true;
    case WASM_OP_NOP:
        return true;
    case WASM_OP_BLOCK:
    case WASM_OP_LOOP:
    case WASM_OP_IF:
    case WASM_OP_TRY:
        return check_block(v, ins);
    case WASM_OP_TRY_TABLE:
        return check_try_table(v, ins);
    case WASM_OP_CATCH:
    case WASM_OP_CATCH_ALL:
    case WASM_OP_DELEGATE:
    case WASM_OP_RETHROW:
        return check_legacy(v, ins);
    case WASM_OP_THROW: {
        const wasm_functype *ft = tag_type(v, ins->u.index);
        if (!ft || !pop_vals(v, ft->params, ft->param_count))
            return false;
        mark_unreachable(v);
        return true;
    }
    case WASM_OP_THROW_REF:
        if (!pop_val(v, WASM_VT_EXNREF, NULL))
            return false;
        mark_unreachable(v);
        return true;
    case WASM_OP_ELSE:
        return check_else(v);
    case WASM_OP_END:
        return check_end(v);
    case WASM_OP_BR:
        return check_br(v, ins->u.index, false);
    case WASM_OP_BR_IF:
        return check_br(v, ins->u.index, true);
    case WASM_OP_BR_TABLE:
        return check_br_table(v, ins);
    case WASM_OP_RETURN:
        if (!pop_vals(v, v->func_type->results, v->func_type->result_count))
            return false;
        mark_unreachable(v);
        return true;
    case WASM_OP_CALL:
        if (ins->u.index >= m->func_count)
            return fail_instr(v, "unknown function %u", ins->u.index);
        return check_call(v, func_type_of(v, ins->u.index));
    case WASM_OP_RETURN_CALL:
        if (ins->u.index >= m->func_count)
            return fail_instr(v, "unknown function %u", ins->u.index);
        return check_return_call(v, "return_call", func_type_of(v, ins->u.index));
    case WASM_OP_CALL_INDIRECT:
    case WASM_OP_RETURN_CALL_INDIRECT: {
        const char *what = wasm_ops[ins->op].name;
        uint32_t table = ins->u.call_indirect.table, type = ins->u.call_indirect.type_index;
        if (!check_table_index(v, table))
            return false;
        if (!matches(v, m->tables[table].type.elem, WASM_VT_FUNCREF))
            return fail_instr(v, "type mismatch: %s through %s table %u", what,
                              wasm_valtype_name(m->tables[table].type.elem), table);
        if (type >= m->type_count)
            return fail_instr(v, "unknown type %u", type);
        if (!pop_val(v, table_at(m, table), NULL))
            return false;
        if (ins->op == WASM_OP_RETURN_CALL_INDIRECT)
            return check_return_call(v, what, &m->types[type]);
        return check_call(v, &m->types[type]);
    }
    case WASM_OP_DROP:
        return pop_val(v, WASM_VT_UNKNOWN, NULL);
    case WASM_OP_SELECT:
    case WASM_OP_SELECT_T:
        return check_select(v, ins);
    case WASM_OP_LOCAL_GET:
    case WASM_OP_LOCAL_SET:
    case WASM_OP_LOCAL_TEE:
    case WASM_OP_GLOBAL_GET:
    case WASM_OP_GLOBAL_SET:
        return check_variable(v, ins);
    case WASM_OP_TABLE_GET:
    case WASM_OP_TABLE_SET:
    case WASM_OP_TABLE_SIZE:
    case WASM_OP_TABLE_GROW:
    case WASM_OP_TABLE_FILL:
    case WASM_OP_TABLE_COPY:
    case WASM_OP_TABLE_INIT:
        return check_table_op(v, ins);
    case WASM_OP_REF_NULL:
        return check_valtype(v, ins->u.reftype, m->type_count, ins->offset) &&
               push_val(v, ins->u.reftype);
    case WASM_OP_REF_AS_NON_NULL: {
        wasm_valtype t;
        if (!pop_ref(v, &t))
            return false;
        return push_val(v, t == WASM_VT_UNKNOWN ? t : wasm_ref(wasm_ref_heap(t), false));
    }
    case WASM_OP_BR_ON_NULL:
    case WASM_OP_BR_ON_NON_NULL:
        return check_br_on_null(v, ins);
    case WASM_OP_CALL_REF:
    case WASM_OP_RETURN_CALL_REF: {
        uint32_t x = ins->u.index;
        if (x >= m->type_count)
            return fail_instr(v, "unknown type %u", x);
        if (!pop_val(v, wasm_ref(WASM_HT_TYPE + x, true), NULL))
            return false;
        if (ins->op == WASM_OP_RETURN_CALL_REF)
            return check_return_call(v, "return_call_ref", &m->types[x]);
        return check_call(v, &m->types[x]);
    }
    case WASM_OP_REF_IS_NULL:
        return pop_ref(v, NULL) && push_val(v, WASM_VT_I32);
    case WASM_OP_REF_FUNC:
        if (ins->u.index >= m->func_count)
            return fail_instr(v, "unknown function %u", ins->u.index);
        if (!is_declared_ref(v, ins->u.index))
            return fail_instr(v,
                              "undeclared function reference: function %u is in no element "
                              "segment, export or global initializer",
                              ins->u.index);
        return push_val(v, wasm_ref(WASM_HT_TYPE + m->funcs[ins->u.index].type_index, false));
    default:
        return fail_instr(v, "validator does not handle %s", op_name(v));
    }
}

/* The table's letters assume 32-bit memories. For a 64-bit one (memory64), the address
 * operands and page counts are i64: a load's or store's address, memory.size's result and
 * memory.grow's operand and result, memory.fill's destination and length, memory.init's
 * destination, memory.copy's destination (of its destination memory), source (of its source
 * memory) and length (i64 only when both are 64-bit). Rewrites the copies in and out (the
 * row's strings, at most 3 letters each). */
static void address_letters(const wasm_module *m, const wasm_instr *ins, char in[4], char out[4])
{
    switch (wasm_ops[ins->op].imm) {
    case IMM_MEMARG:
    case IMM_MEMARG_LANE:
        if (wasm_memory_is64(m, ins->u.memarg.mem.memory))
            in[0] = 'I';
        break;
    case IMM_MEMORY:
        if (!wasm_memory_is64(m, ins->u.index))
            break;
        for (char *p = in; *p; p++)
            if (ins->op != WASM_OP_MEMORY_FILL || p != in + 1)
                *p = 'I';
        if (out[0])
            out[0] = 'I';
        break;
    case IMM_MEMORY_COPY: {
        bool d = wasm_memory_is64(m, ins->u.memory_copy.dst);
        bool s = wasm_memory_is64(m, ins->u.memory_copy.src);
        in[0] = d ? 'I' : 'i';
        in[1] = s ? 'I' : 'i';
        in[2] = d && s ? 'I' : 'i';
        break;
    }
    case IMM_MEMORY_INIT:
        if (wasm_memory_is64(m, ins->u.memory_init.memory))
            in[0] = 'I';
        break;
    default:
        break;
    }
}

static bool check_instr(validator *v, const wasm_instr *ins)
{
    const wasm_opinfo *info = &wasm_ops[ins->op];
    v->ins = ins;
    if (!check_immediates(v, ins))
        return false;
    if (!info->in)
        return check_special(v, ins);
    uint8_t imm = info->imm;
    if ((imm == IMM_MEMARG || imm == IMM_MEMARG_LANE || imm == IMM_MEMORY ||
         imm == IMM_MEMORY_COPY || imm == IMM_MEMORY_INIT) &&
        v->m->memory_count > 0) {
        wasm_opinfo typed = *info;
        char in[4] = {0}, out[4] = {0};
        KILN_ASSERT(strlen(info->in) < sizeof in && strlen(info->out) < sizeof out);
        memcpy(in, info->in, strlen(info->in));
        memcpy(out, info->out, strlen(info->out));
        address_letters(v->m, ins, in, out);
        typed.in = in;
        typed.out = out;
        return check_signature(v, &typed);
    }
    return check_signature(v, info);
}

/* Prepares the locals of function f: cumulative group ends for local_type's search. */
static bool setup_locals(validator *v, uint32_t f)
{
    const wasm_func *fn = &v->m->funcs[f];
    v->func_type = func_type_of(v, f);
    v->group_ends = NULL;
    uint64_t total = v->func_type->param_count;
    if (fn->local_group_count) {
        v->group_ends = ARENA_ARRAY(&v->scratch, uint64_t, fn->local_group_count);
        if (!v->group_ends)
            return fail_nomem(v, "local groups");
        for (uint32_t g = 0; g < fn->local_group_count; g++) {
            total += fn->local_groups[g].count;
            v->group_ends[g] = total;
        }
    }
    v->local_total = total;
    /* locals without a default: local_set tracks them (unknown types: "unknown type") */
    v->local_set = NULL;
    v->init_stack = NULL;
    v->init_count = 0;
    uint32_t undefaulted = 0;
    for (uint32_t g = 0; g < fn->local_group_count; g++) {
        if (!check_valtype(v, fn->local_groups[g].type, v->m->type_count, fn->body.offset))
            return false;
        if (!wasm_valtype_defaultable(fn->local_groups[g].type))
            undefaulted += fn->local_groups[g].count;
    }
    if (undefaulted) {
        v->local_set = ARENA_ARRAY(&v->scratch, uint8_t, total);
        v->init_stack = ARENA_ARRAY(&v->scratch, uint32_t, undefaulted);
        if (!v->local_set || !v->init_stack)
            return fail_nomem(v, "local initialisation");
        memset(v->local_set, 1, total);
        uint64_t x = v->func_type->param_count;
        for (uint32_t g = 0; g < fn->local_group_count; g++) {
            if (!wasm_valtype_defaultable(fn->local_groups[g].type))
                memset(v->local_set + x, 0, fn->local_groups[g].count);
            x += fn->local_groups[g].count;
        }
    }
    return true;
}

static bool check_body(validator *v, uint32_t f)
{
    const wasm_func *fn = &v->m->funcs[f];
    v->func_index = f;
    v->vals = NULL;
    v->val_count = v->val_cap = 0;
    v->ctrls = NULL;
    v->ctrl_count = v->ctrl_cap = 0;
    v->br_table_stamp = 0;
    if (!setup_locals(v, f))
        return false;

    kiln_reader r;
    open_expr(v, fn->body, &r);
    wasm_instr ins = {.op = WASM_OP_BLOCK, .offset = fn->body.offset};
    v->ins = &ins;
    const wasm_functype *ft = v->func_type;
    if (!push_ctrl(v, WASM_OP_BLOCK, NULL, 0, ft->results, ft->result_count))
        return false;
    while (v->ctrl_count > 0) {
        if (!dec_instr(&r, &v->scratch, &ins))
            return note_decode_failure(v);
        if (!check_instr(v, &ins))
            return false;
    }
    KILN_ASSERT(rd_done(&r)); /* the decoder rejects bytes after the final end */
    v->func_index = KILN_NO_FUNC;
    v->ins = NULL;
    kiln_arena_reset(&v->scratch);
    return true;
}

static bool validate(const wasm_module *m, const kiln_allocator *alloc, bool to_compile,
                     kiln_diag *d)
{
    validator v = {.m = m, .d = d, .func_index = KILN_NO_FUNC, .to_compile = to_compile};
    /* Integers Wasm 2.0 finds malformed and 3.0 reads (limits and memarg offsets past 32 bits
     * or in more than 5 bytes): 2.0 stops decoding there, before any validation. By 3.0 a
     * value past 32 bits fails check_limits or check_memarg below. */
    if (!to_compile && m->wasm2_malformed.code != KILN_OK) {
        if (d->code == KILN_OK)
            *d = m->wasm2_malformed;
        return false;
    }
    kiln_arena_init(&v.module_arena, alloc);
    kiln_arena_init(&v.scratch, alloc);
    bool ok = false;
    v.refs = ARENA_ARRAY(&v.module_arena, uint8_t, m->func_count / 8 + 1);
    if (!v.refs) {
        fail_nomem(&v, "declared function references");
        goto out_free;
    }
    if (!check_types(&v) || !check_imports(&v) || !check_declarations(&v) || !check_globals(&v) ||
        !check_elems(&v) || !check_datas(&v) || !check_start(&v) || !check_exports(&v))
        goto out_free;
    for (uint32_t f = m->func_import_count; f < m->func_count; f++)
        if (!check_body(&v, f))
            goto out_free;
    ok = true;
out_free:
    kiln_arena_free(&v.scratch);
    kiln_arena_free(&v.module_arena);
    return ok;
}

bool kiln_validate(const wasm_module *m, const kiln_allocator *alloc, kiln_diag *d)
{
    return validate(m, alloc, false, d);
}

bool kiln_validate_to_compile(const wasm_module *m, const kiln_allocator *alloc, kiln_diag *d)
{
    return validate(m, alloc, true, d);
}
