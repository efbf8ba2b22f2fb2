/* features.c -- `kiln compile --disable-FEATURE`: rejecting a compiled Wasm 3.0 feature.
 *
 * Every feature is on by default, as in the 3.0 spec. A user who must not accept one (a
 * runtime policy, a peer engine that lacks it) names it; kiln_check_features then walks a
 * decoded and validated module and reports the first use of a disabled feature as
 * KILN_ERR_UNSUPPORTED "unsupported feature: NAME (what): disabled by --disable-NAME", at the
 * byte where it is met, with d->feature set, as the decoder does for the features Kiln does
 * not compile. Uses, per feature:
 *   tail-call         return_call, return_call_indirect, return_call_ref
 *   function-references
 *                     a reference type other than funcref and externref (in a type, import,
 *                     table, global, element segment of expressions, local, block type,
 *                     select or ref.null), a table initialiser, call_ref,
 *                     return_call_ref, ref.as_non_null, br_on_null, br_on_non_null
 *   multi-memory      a second memory (imported or defined)
 *   memory64          a memory or table with a 64-bit address type
 *   extended-const    i32/i64 add, sub, mul in a constant expression
 *   relaxed-simd      the 0xFD instructions 0x100-0x113
 *   wide-arithmetic   i64.add128, i64.sub128, i64.mul_wide_s/u
 *   custom-page-sizes a memory of 1-byte pages (one declared with 64 KiB pages is ordinary)
 *   exceptions        a tag (imported, defined, exported), an exnref type anywhere, try_table,
 *                     throw, throw_ref, and the legacy try, catch, catch_all, delegate,
 *                     rethrow
 *   threads           a shared memory (imported or defined), the 0xFE instructions (atomic
 *                     accesses, wait, notify, fence)
 * The part of gc Kiln does not compile is rejected by the decoder whatever the options.
 */
#include <stdio.h>
#include <string.h>

#include "toolchain.h"

static const struct {
    const char *name;
    uint32_t bit;
} features[] = {
    {KILN_FEATURE_TAIL_CALL, KILN_FEAT_TAIL_CALL},
    {KILN_FEATURE_MULTI_MEMORY, KILN_FEAT_MULTI_MEMORY},
    {KILN_FEATURE_MEMORY64, KILN_FEAT_MEMORY64},
    {KILN_FEATURE_EXTENDED_CONST, KILN_FEAT_EXTENDED_CONST},
    {KILN_FEATURE_RELAXED_SIMD, KILN_FEAT_RELAXED_SIMD},
    {KILN_FEATURE_WIDE_ARITHMETIC, KILN_FEAT_WIDE_ARITHMETIC},
    {KILN_FEATURE_CUSTOM_PAGE_SIZES, KILN_FEAT_CUSTOM_PAGE_SIZES},
    {KILN_FEATURE_GC, KILN_FEAT_GC},
    {KILN_FEATURE_EXCEPTIONS, KILN_FEAT_EXCEPTIONS},
    {KILN_FEATURE_FUNCTION_REFERENCES, KILN_FEAT_FUNCTION_REFERENCES},
    {KILN_FEATURE_THREADS, KILN_FEAT_THREADS},
};

bool kiln_feature_bit(const char *name, uint32_t *bit)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(features); i++)
        if (strcmp(features[i].name, name) == 0) {
            *bit = features[i].bit;
            return true;
        }
    return false;
}

const char *kiln_feature_names(void)
{
    return "tail-call, multi-memory, memory64, extended-const, relaxed-simd, wide-arithmetic, "
           "custom-page-sizes, function-references, exceptions, threads (and gc, which Kiln "
           "compiles only in part)";
}

static const char *name_of(uint32_t bit)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(features); i++)
        if (features[i].bit == bit)
            return features[i].name;
    return "?";
}

#define FEAT_EXCEPTIONS KILN_FEAT_EXCEPTIONS

/* Refuses the use of feature bit (one of them) at offset: "...: disabled by
 * --disable-NAME". */
static bool refuse_use(kiln_diag *d, uint32_t bit, size_t offset, uint32_t func, const char *what)
{
    const char *name = name_of(bit);
    kiln_diag_set(d, KILN_ERR_UNSUPPORTED, offset,
                  "unsupported feature: %s (%s): disabled by --disable-%s", name, what, name);
    d->feature = name;
    d->func_index = func;
    return false;
}

/* The feature a value type belongs to, of the ones checked here: a typed function
 * reference (function-references), an exception reference (exceptions); 0 otherwise. */
static uint32_t type_feature(wasm_valtype t)
{
    if (!wasm_valtype_is_ref(t))
        return 0;
    if (wasm_ref_is_exn(t))
        return FEAT_EXCEPTIONS;
    if (wasm_ref_is_any(t))
        return KILN_FEAT_GC;
    return t & WASM_VT_REF ? KILN_FEAT_FUNCTION_REFERENCES : 0;
}

/* The features an instruction of a function body belongs to, of those checked here; 0 if
 * none. */
static uint32_t instr_feature(const wasm_instr *ins)
{
    switch (ins->op) {
    case WASM_OP_RETURN_CALL:
    case WASM_OP_RETURN_CALL_INDIRECT:
        return KILN_FEAT_TAIL_CALL;
    case WASM_OP_RETURN_CALL_REF:
        return KILN_FEAT_TAIL_CALL | KILN_FEAT_FUNCTION_REFERENCES;
    case WASM_OP_CALL_REF:
    case WASM_OP_REF_AS_NON_NULL:
    case WASM_OP_BR_ON_NULL:
    case WASM_OP_BR_ON_NON_NULL:
        return KILN_FEAT_FUNCTION_REFERENCES;
    case WASM_OP_TRY:
    case WASM_OP_CATCH:
    case WASM_OP_THROW:
    case WASM_OP_RETHROW:
    case WASM_OP_THROW_REF:
    case WASM_OP_DELEGATE:
    case WASM_OP_CATCH_ALL:
    case WASM_OP_TRY_TABLE:
        return FEAT_EXCEPTIONS;
    case WASM_OP_BLOCK:
    case WASM_OP_LOOP:
    case WASM_OP_IF:
        return ins->u.block.kind == WASM_BT_VALUE ? type_feature(ins->u.block.value) : 0;
    case WASM_OP_SELECT_T:
        return type_feature(ins->u.select.type);
    case WASM_OP_REF_NULL:
        return type_feature(ins->u.reftype);
    case WASM_OP_I64_ADD128:
    case WASM_OP_I64_SUB128:
    case WASM_OP_I64_MUL_WIDE_S:
    case WASM_OP_I64_MUL_WIDE_U:
        return KILN_FEAT_WIDE_ARITHMETIC;
    default:
        break;
    }
    const wasm_opinfo *info = &wasm_ops[ins->op];
    if (info->prefix == 0xFD && info->code >= 0x100 && info->code <= 0x113)
        return KILN_FEAT_RELAXED_SIMD;
    if (info->prefix == 0xFE)
        return KILN_FEAT_THREADS;
    return 0;
}

/* Walks the instructions of e (a body when func != KILN_NO_FUNC, else a constant expression):
 * the first one of a checked feature (in checked) fails. */
static bool check_expr(const wasm_module *m, wasm_expr e, uint32_t func, uint32_t checked,
                       kiln_arena *scratch, kiln_diag *d)
{
    kiln_reader r;
    wasm_expr_reader(&r, m, e, d); /* a body's range starts after its locals */
    while (!rd_done(&r)) {
        wasm_instr ins;
        if (!dec_instr(&r, scratch, &ins))
            return false;
        uint32_t bits = instr_feature(&ins);
        bool extended =
            func == KILN_NO_FUNC &&
            (ins.op == WASM_OP_I32_ADD || ins.op == WASM_OP_I32_SUB || ins.op == WASM_OP_I32_MUL ||
             ins.op == WASM_OP_I64_ADD || ins.op == WASM_OP_I64_SUB || ins.op == WASM_OP_I64_MUL);
        if (extended)
            bits = KILN_FEAT_EXTENDED_CONST;
        bits &= checked;
        if (bits) /* return_call_ref: tail-call first */
            return refuse_use(d, bits & -bits, ins.offset, func, wasm_ops[ins.op].name);
    }
    kiln_arena_reset(scratch);
    return true;
}

static bool type_use(kiln_diag *d, uint32_t checked, wasm_valtype t, size_t offset, uint32_t func,
                     const char *where)
{
    uint32_t bit = type_feature(t) & checked;
    if (!bit)
        return true;
    char what[96];
    snprintf(what, sizeof what, "%s %s", wasm_valtype_name(t), where);
    return refuse_use(d, bit, offset, func, what);
}

/* The module-level uses of typed function references and exceptions (in checked): their
 * types anywhere outside bodies (a segment of function indices is (ref func) in Wasm 3.0
 * but no use: 2.0 wrote it so too), table initialisers, tags, and the types of locals. */
static bool check_module_uses(const wasm_module *m, uint32_t checked, kiln_diag *d)
{
    if (checked & FEAT_EXCEPTIONS) {
        for (uint32_t i = 0; i < m->import_count; i++)
            if (m->imports[i].kind == WASM_EXTERN_TAG)
                return refuse_use(d, FEAT_EXCEPTIONS, m->imports[i].offset, KILN_NO_FUNC,
                                  "tag import");
        if (m->tag_count > m->tag_import_count)
            return refuse_use(d, FEAT_EXCEPTIONS, m->tags[m->tag_import_count].offset, KILN_NO_FUNC,
                              "tag section");
        for (uint32_t i = 0; i < m->export_count; i++)
            if (m->exports[i].kind == WASM_EXTERN_TAG)
                return refuse_use(d, FEAT_EXCEPTIONS, m->exports[i].offset, KILN_NO_FUNC,
                                  "tag export");
    }
    for (uint32_t i = 0; i < m->type_count; i++) {
        const wasm_functype *ft = &m->types[i];
        for (uint32_t k = 0; k < ft->param_count + ft->result_count; k++) {
            wasm_valtype t = k < ft->param_count ? ft->params[k] : ft->results[k - ft->param_count];
            if (!type_use(d, checked, t, ft->offset, KILN_NO_FUNC, "in a function type"))
                return false;
        }
    }
    for (uint32_t i = 0; i < m->import_count; i++) {
        const wasm_import *im = &m->imports[i];
        if (im->kind == WASM_EXTERN_TABLE &&
            !type_use(d, checked, im->u.table.elem, im->offset, KILN_NO_FUNC, "table import"))
            return false;
        if (im->kind == WASM_EXTERN_GLOBAL &&
            !type_use(d, checked, im->u.global.type, im->offset, KILN_NO_FUNC, "global import"))
            return false;
    }
    for (uint32_t i = m->table_import_count; i < m->table_count; i++) {
        const wasm_table *t = &m->tables[i];
        if (!type_use(d, checked, t->type.elem, t->offset, KILN_NO_FUNC, "table"))
            return false;
        if (t->has_init && (checked & KILN_FEAT_FUNCTION_REFERENCES))
            return refuse_use(d, KILN_FEAT_FUNCTION_REFERENCES, t->offset, KILN_NO_FUNC,
                              "a table initialiser");
    }
    for (uint32_t i = m->global_import_count; i < m->global_count; i++)
        if (!type_use(d, checked, m->globals[i].type.type, m->globals[i].init.offset, KILN_NO_FUNC,
                      "global"))
            return false;
    for (uint32_t i = 0; i < m->elem_count; i++)
        if (m->elems[i].exprs && !type_use(d, checked, m->elems[i].type, m->elems[i].offset,
                                           KILN_NO_FUNC, "element segment"))
            return false;
    for (uint32_t f = m->func_import_count; f < m->func_count; f++)
        for (uint32_t g = 0; g < m->funcs[f].local_group_count; g++)
            if (!type_use(d, checked, m->funcs[f].local_groups[g].type, m->funcs[f].code_offset, f,
                          "local"))
                return false;
    return true;
}

bool kiln_check_features(const wasm_module *m, uint32_t disabled, const kiln_allocator *alloc,
                         kiln_diag *d)
{
    disabled &= ~(uint32_t)KILN_FEAT_NOT_COMPILED;
    if (!disabled)
        return true;
    if ((disabled & KILN_FEAT_EXCEPTIONS) && !check_module_uses(m, FEAT_EXCEPTIONS, d))
        return false;
    if ((disabled & KILN_FEAT_MULTI_MEMORY) && m->memory_count > 1)
        return refuse_use(d, KILN_FEAT_MULTI_MEMORY, m->memories[1].offset, KILN_NO_FUNC,
                          "a second memory");
    if (disabled & KILN_FEAT_MEMORY64) {
        for (uint32_t i = 0; i < m->memory_count; i++)
            if (m->memories[i].type.limits.is64)
                return refuse_use(d, KILN_FEAT_MEMORY64, m->memories[i].offset, KILN_NO_FUNC,
                                  "a 64-bit memory");
        for (uint32_t i = 0; i < m->table_count; i++)
            if (m->tables[i].type.limits.is64)
                return refuse_use(d, KILN_FEAT_MEMORY64, m->tables[i].offset, KILN_NO_FUNC,
                                  "a 64-bit table");
    }
    if ((disabled & KILN_FEAT_FUNCTION_REFERENCES) &&
        !check_module_uses(m, KILN_FEAT_FUNCTION_REFERENCES, d))
        return false;
    if ((disabled & KILN_FEAT_GC) && !check_module_uses(m, KILN_FEAT_GC, d))
        return false;
    if (disabled & KILN_FEAT_THREADS)
        for (uint32_t i = 0; i < m->memory_count; i++)
            if (m->memories[i].type.limits.shared)
                return refuse_use(d, KILN_FEAT_THREADS, m->memories[i].offset, KILN_NO_FUNC,
                                  "a shared memory");
    if (disabled & KILN_FEAT_CUSTOM_PAGE_SIZES)
        for (uint32_t i = 0; i < m->memory_count; i++)
            if (m->memories[i].type.limits.page_log2 != 16)
                return refuse_use(d, KILN_FEAT_CUSTOM_PAGE_SIZES, m->memories[i].offset,
                                  KILN_NO_FUNC, "a memory of 1-byte pages");
    kiln_arena scratch;
    kiln_arena_init(&scratch, alloc);
    bool ok = true;
    for (uint32_t i = m->table_import_count; ok && i < m->table_count; i++)
        if (m->tables[i].has_init)
            ok = check_expr(m, m->tables[i].init, KILN_NO_FUNC, disabled, &scratch, d);
    for (uint32_t i = m->global_import_count; ok && i < m->global_count; i++)
        ok = check_expr(m, m->globals[i].init, KILN_NO_FUNC, disabled, &scratch, d);
    for (uint32_t i = 0; ok && i < m->elem_count; i++) {
        const wasm_elem *e = &m->elems[i];
        if (e->mode == WASM_SEG_ACTIVE)
            ok = check_expr(m, e->offset_expr, KILN_NO_FUNC, disabled, &scratch, d);
        for (uint32_t k = 0; ok && e->exprs && k < e->count; k++)
            ok = check_expr(m, e->exprs[k], KILN_NO_FUNC, disabled, &scratch, d);
    }
    for (uint32_t i = 0; ok && i < m->data_seg_count; i++)
        if (m->datas[i].mode == WASM_SEG_ACTIVE)
            ok = check_expr(m, m->datas[i].offset_expr, KILN_NO_FUNC, disabled, &scratch, d);
    for (uint32_t f = m->func_import_count; ok && f < m->func_count; f++)
        ok = check_expr(m, m->funcs[f].body, f, disabled, &scratch, d);
    kiln_arena_free(&scratch);
    return ok;
}

bool wasm_instr_uses_exceptions(const wasm_instr *ins)
{
    return instr_feature(ins) == FEAT_EXCEPTIONS;
}
