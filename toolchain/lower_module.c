/* lower_module.c -- everything the object holds besides function bodies.
 *
 *  - function declarations: PREFIX_f<N> for each defined function (internal, vmctx first),
 *    PREFIX_f<N>.<name> when the name section names it (lower_func_symbol), so that perf,
 *    gdb and nm show the guest's names;
 *  - import adapters PREFIX_import<N>: the `code` of a function import bound to a host
 *    function. They pack the parameters into a 16-byte-per-value array, call
 *    kiln_host_call(vmctx, N, array) (N = the function index = the import slot index) and
 *    unpack the results; a sealed import's adapter instead calls the C function
 *    PREFIX_import_M_N with typed arguments (emit_sealed_thunk);
 *  - array entries PREFIX_entry<T>, one per distinct signature: kiln_array_fn, the generic
 *    call from the host (kiln_invoke) into code of that signature;
 *  - PREFIX_module, the const kiln_module_desc with every array abi.h describes.
 * Descriptors are emitted as packed LLVM structs whose fields are placed at abi.h's own
 * offsetof() values, so they match the C structs on every target (kiln_ptr64 = 8 bytes).
 * Only PREFIX_module is global (default visibility); everything else is internal, except in
 * a module compiled in several parts (lower.h, partition.c), where the defined functions
 * PREFIX_f<N> are hidden globals so that the parts link together: hidden symbols become
 * local in any executable or shared object the merged object is linked into.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lower.h"

const char *lower_symbol(lower_unit *u, const char *fmt, ...)
{
    char suffix[32 + LOWER_NAME_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(suffix, sizeof suffix, fmt, ap);
    va_end(ap);
    /* The prefix is at most KILN_MAX_PREFIX bytes (kiln_compile checks it). */
    snprintf(u->symbol, sizeof u->symbol, "%s_%s", u->prefix, suffix);
    return u->symbol;
}

/* The symbol of defined function f: PREFIX_f<N>, with ".<name>" appended when the name
 * section names f. The name is untrusted: bytes outside [A-Za-z0-9_.] become '_' and at most
 * LOWER_NAME_MAX bytes are kept. f<N> alone keeps symbols unique, and the '.' keeps them apart
 * from every other symbol of the module (export wrappers are C identifiers). A function of
 * the module alone, so every part of a split module computes the same name. */
const char *lower_func_symbol(lower_unit *u, uint32_t f)
{
    char suffix[32 + LOWER_NAME_MAX];
    int n = snprintf(suffix, sizeof suffix, "f%u", f);
    wasm_str name;
    if (wasm_module_func_name(u->m, f, &name) && name.len > 0) {
        suffix[n++] = '.';
        for (uint32_t i = 0; i < name.len && i < LOWER_NAME_MAX; i++) {
            char c = name.ptr[i];
            bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.';
            suffix[n++] = keep ? c : '_';
        }
        suffix[n] = '\0';
    }
    return lower_symbol(u, "%s", suffix);
}

static void add_fn_attr(lower_unit *u, LLVMValueRef fn, unsigned index, const char *name,
                        uint64_t value)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    KILN_ASSERT(kind != 0);
    LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(u->ctx, kind, value));
}

/* The object format decides whether the linker defines __start_/__stop_ symbols for the
 * code section (ELF only; other formats get no section and a null code range for now). */
bool lower_triple_is_elf(const char *t)
{
    static const char *const non_elf[] = {"apple", "darwin", "macos",  "ios", "windows",
                                          "win32", "mingw",  "cygwin", "wasm"};
    for (size_t i = 0; i < KILN_ARRAY_LEN(non_elf); i++)
        if (strstr(t, non_elf[i]))
            return false;
    return true;
}

void lower_function_attrs(lower_unit *u, LLVMValueRef fn)
{
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    LLVMSetUnnamedAddress(fn, LLVMLocalUnnamedAddr);
    if (u->is_elf)
        LLVMSetSection(fn, "kiln_text"); /* the fault handler's code range (abi.h) */
    if (!u->exceptions)                  /* else a Wasm exception may unwind through any function */
        add_fn_attr(u, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
    /* Unwind tables for debuggers and profilers; not on bare metal, where ARM's would pull
     * in libgcc's unwinder (__aeabi_unwind_cpp_pr0) that firmware does not link. */
    if (!u->bare_metal) {
        add_fn_attr(u, fn, LLVMAttributeFunctionIndex, "uwtable", 2 /* async */);
        /* Frame records in every function: a trap's backtrace follows them (runtime/trap.c),
         * and so do profilers (perf --call-graph fp). */
        static const char fp_kind[] = "frame-pointer", fp_all[] = "all";
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(u->ctx, fp_kind, sizeof fp_kind - 1,
                                                          fp_all, sizeof fp_all - 1));
    }
    lower_vmctx_attrs(u, fn);
}

/* vmctx, every wasm function's first parameter, is never null and always the whole of its
 * instance's context (abi.h): the optimiser may then load invariant fields of it (table
 * records, signature ids) ahead of the branch that first needs them, e.g. out of a loop that
 * dispatches through call_indirect only on some iterations. */
void lower_vmctx_attrs(lower_unit *u, LLVMValueRef fn)
{
    add_fn_attr(u, fn, 1, "nonnull", 0);
    add_fn_attr(u, fn, 1, "noundef", 0);
    add_fn_attr(u, fn, 1, "dereferenceable", u->layout.size);
    add_fn_attr(u, fn, 1, "align", 8);
}

static bool out_of_memory(lower_unit *u)
{
    return kiln_diag_set(u->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
}

/* The same C prototype (header.c): equal counts and representations. */
static bool same_c_type(const wasm_functype *a, const wasm_functype *b)
{
    if (a->param_count != b->param_count || a->result_count != b->result_count)
        return false;
    for (uint32_t i = 0; i < a->param_count; i++)
        if (wasm_valtype_repr(a->params[i]) != wasm_valtype_repr(b->params[i]))
            return false;
    for (uint32_t i = 0; i < a->result_count; i++)
        if (wasm_valtype_repr(a->results[i]) != wasm_valtype_repr(b->results[i]))
            return false;
    return true;
}

/* u->sealed from the options. One C function serves every import of a (module, name), so
 * the imports of one name must agree on its C prototype. */
static bool mark_sealed(lower_unit *u)
{
    const wasm_module *m = u->m;
    const wasm_import **seen = NULL;
    uint32_t f = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const wasm_import *im = &m->imports[i];
        if (im->kind != WASM_EXTERN_FUNC)
            continue;
        u->sealed[f] = kiln_import_sealed(u->sealed_imports, im->module.ptr, im->module.len);
        if (u->sealed[f]) {
            if (!seen &&
                !(seen = ARENA_ARRAY(&u->scratch, const wasm_import *, m->func_import_count)))
                return out_of_memory(u);
            for (uint32_t k = 0; k < f; k++) {
                const wasm_import *o = seen[k];
                if (o && o->module.len == im->module.len && o->name.len == im->name.len &&
                    memcmp(o->module.ptr, im->module.ptr, im->module.len) == 0 &&
                    memcmp(o->name.ptr, im->name.ptr, im->name.len) == 0 &&
                    !same_c_type(&m->types[o->u.type_index], &m->types[im->u.type_index]))
                    return kiln_diag_set(u->diag, KILN_ERR_UNSUPPORTED, im->offset,
                                         "sealed import \"%.*s\" \"%.*s\" is imported with two "
                                         "different types: it cannot be one C function",
                                         (int)im->module.len, im->module.ptr, (int)im->name.len,
                                         im->name.ptr);
            }
            seen[f] = im;
        }
        f++;
    }
    kiln_arena_reset(&u->scratch);
    return true;
}

bool lower_declare_functions(lower_unit *u)
{
    const wasm_module *m = u->m;
    u->is_elf = lower_triple_is_elf(LLVMGetTarget(u->mod));
    u->bare_metal = strstr(LLVMGetTarget(u->mod), "-none") != NULL; /* thumbv7m-none-eabi */
    u->exceptions = m->tag_count > 0 || m->exception_use.offset != KILN_NO_OFFSET;
    u->entries = ARENA_ARRAY(&u->arena, LLVMValueRef, m->type_count ? m->type_count : 1);
    u->funcs = ARENA_ARRAY(&u->arena, LLVMValueRef, m->func_count ? m->func_count : 1);
    u->mul128 = ARENA_ARRAY(&u->arena, lower_mul128_cache, m->func_count ? m->func_count : 1);
    u->table_fixed = ARENA_ARRAY(&u->arena, bool, m->table_count ? m->table_count : 1);
    u->sealed = ARENA_ARRAY(&u->arena, bool, m->func_import_count ? m->func_import_count : 1);
    if (!u->entries || !u->funcs || !u->mul128 || !u->table_fixed || !u->sealed)
        return out_of_memory(u);
    if (!mark_sealed(u))
        return false;
    /* A table grows only by table.grow in this module, or, when it is shared (imported or
     * exported), by any other module or the host: without either, its size and elements
     * array are fixed for the instance's life. */
    for (uint32_t t = 0; t < m->table_count; t++)
        u->table_fixed[t] = !m->table_grow_used && !m->tables[t].imported;
    for (uint32_t e = 0; e < m->export_count; e++)
        if (m->exports[e].kind == WASM_EXTERN_TABLE)
            u->table_fixed[m->exports[e].index] = false;
    if (!lower_signatures(u))
        return false;
    /* Generated code unwinds with the C library's unwinder (abi.h: DWARF call frame
     * information, or the ARM EHABI's tables on 32-bit ARM); bare metal has none. */
    if (u->exceptions && u->bare_metal) {
        kiln_diag_set(u->diag, KILN_ERR_UNSUPPORTED,
                      m->tag_count ? m->tags[0].offset : m->exception_use.offset,
                      "unsupported feature: exceptions (not on target %s)", LLVMGetTarget(u->mod));
        u->diag->feature = KILN_FEATURE_EXCEPTIONS;
        return false;
    }

    /* A split module declares only its part's functions here, and the others as they are
     * called (lower_func): unused declarations of hidden symbols would still reach the
     * object's symbol table. */
    const lower_part *part = u->part;
    for (uint32_t f = 0; f < m->func_count; f++) {
        bool imported = f < m->func_import_count;
        bool here = imported ? part->descriptor : f >= part->first && f < part->end;
        if (part->split && !here)
            continue;
        const char *name = imported ? lower_symbol(u, "import%u", f) : lower_func_symbol(u, f);
        LLVMValueRef fn = LLVMAddFunction(u->mod, name, u->sigs[m->funcs[f].type_index].fn);
        lower_function_attrs(u, fn);
        lower_set_wasm_cc(u, fn);
        if (part->split && !imported) {
            LLVMSetLinkage(fn, LLVMExternalLinkage);
            LLVMSetVisibility(fn, LLVMHiddenVisibility);
        }
        u->funcs[f] = fn;
    }
    return true;
}

LLVMValueRef lower_func(lower_unit *u, uint32_t f)
{
    if (u->funcs[f])
        return u->funcs[f];
    /* Defined in another part; adapters are in the descriptor's part, which declares them. */
    KILN_ASSERT(u->part->split && f >= u->m->func_import_count);
    LLVMValueRef fn =
        LLVMAddFunction(u->mod, lower_func_symbol(u, f), u->sigs[u->m->funcs[f].type_index].fn);
    lower_set_wasm_cc(u, fn);
    LLVMSetLinkage(fn, LLVMExternalLinkage);
    LLVMSetVisibility(fn, LLVMHiddenVisibility);
    if (!u->exceptions)
        add_fn_attr(u, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
    lower_vmctx_attrs(u, fn);
    u->funcs[f] = fn;
    return fn;
}

/*
 * Import adapters and array entries: 16 bytes per value in the args/results array.
 */

enum { VALUE_SLOT = 16 };

static LLVMValueRef slot_ptr(lower_unit *u, LLVMValueRef array, uint32_t i)
{
    LLVMValueRef off = lower_i64(u, (uint64_t)i * VALUE_SLOT);
    return LLVMBuildInBoundsGEP2(u->b, u->t_i8, array, &off, 1, "");
}

static LLVMValueRef load_slot(lower_unit *u, LLVMTypeRef t, LLVMValueRef array, uint32_t i)
{
    LLVMValueRef v = LLVMBuildLoad2(u->b, t, slot_ptr(u, array, i), "");
    LLVMSetAlignment(v, 8); /* the host's array is uint64_t[] */
    return v;
}

static void store_slot(lower_unit *u, LLVMValueRef v, LLVMValueRef array, uint32_t i)
{
    LLVMSetAlignment(LLVMBuildStore(u->b, v, slot_ptr(u, array, i)), 8);
}

/* The C function a sealed import calls, declared once per symbol (duplicate imports of one
 * name share it: mark_sealed checked their types agree): kiln_trap NAME(kiln_instance
 * *caller, void *env, params..., result pointers...), v128 parameters by pointer. */
static LLVMValueRef sealed_decl(lower_unit *u, const wasm_import *im, const wasm_functype *ft,
                                LLVMTypeRef *fty)
{
    size_t len = kiln_import_symbol(u->prefix, im->module.ptr, im->module.len, im->name.ptr,
                                    im->name.len, NULL, 0);
    char *name = kiln_arena_alloc(&u->scratch, len + 1, 1);
    uint32_t n = 2 + ft->param_count + ft->result_count;
    LLVMTypeRef *params = ARENA_ARRAY(&u->scratch, LLVMTypeRef, n);
    if (!name || !params)
        return NULL;
    kiln_import_symbol(u->prefix, im->module.ptr, im->module.len, im->name.ptr, im->name.len, name,
                       len + 1);
    params[0] = params[1] = u->t_ptr;
    for (uint32_t i = 0; i < ft->param_count; i++) {
        bool v128 = wasm_valtype_repr(ft->params[i]) == WASM_VT_V128;
        params[2 + i] = v128 ? u->t_ptr : lower_valtype(u, ft->params[i]);
    }
    for (uint32_t i = 0; i < ft->result_count; i++)
        params[2 + ft->param_count + i] = u->t_ptr;
    *fty = LLVMFunctionType(u->t_i32, params, n, false);
    LLVMValueRef fn = LLVMGetNamedFunction(u->mod, name);
    if (fn)
        return fn;
    fn = LLVMAddFunction(u->mod, name, *fty);
    /* C code: it returns its trap rather than unwinding (kiln_sealed_return raises it). */
    add_fn_attr(u, fn, LLVMAttributeFunctionIndex, "nounwind", 0);
    /* RV64's C convention passes and returns 32-bit integers sign-extended to 64 bits; a C
     * callee may rely on it. */
    if (strncmp(LLVMGetTarget(u->mod), "riscv64", 7) == 0) {
        add_fn_attr(u, fn, LLVMAttributeReturnIndex, "signext", 0);
        for (uint32_t i = 0; i < ft->param_count; i++)
            if (wasm_valtype_repr(ft->params[i]) == WASM_VT_I32)
                add_fn_attr(u, fn, 3 + i, "signext", 0);
    }
    return fn;
}

/* A sealed import's adapter: calls PREFIX_import_M_N(caller instance, vmctx->import_env,
 * params..., &results...) and, when it returns a trap, kiln_sealed_return raises it (or the
 * exception the host function threw). Otherwise a stop asked while it ran is taken here, as
 * kiln_host_call does, when the module has interruption checks. Internal and small, so LLVM
 * inlines it into its callers (lower_call calls it directly). */
static bool emit_sealed_thunk(lower_unit *u, uint32_t f, const wasm_import *im)
{
    const wasm_module *m = u->m;
    uint32_t type_index = m->funcs[f].type_index;
    const wasm_functype *ft = &m->types[type_index];
    LLVMValueRef fn = u->funcs[f];
    LLVMPositionBuilderAtEnd(u->b, LLVMAppendBasicBlockInContext(u->ctx, fn, "entry"));
    LLVMTypeRef fty;
    LLVMValueRef callee = sealed_decl(u, im, ft, &fty);
    uint32_t n = 2 + ft->param_count + ft->result_count;
    LLVMValueRef *args = ARENA_ARRAY(&u->scratch, LLVMValueRef, n);
    LLVMValueRef *results = ARENA_ARRAY(&u->scratch, LLVMValueRef, ft->result_count + 1);
    if (!callee || !args || !results)
        return out_of_memory(u);
    LLVMValueRef vmctx = LLVMGetParam(fn, 0);
    /* Parameters first: on registers-only targets they are read from the spill area before
     * anything is called. */
    for (uint32_t i = 0; i < ft->param_count; i++) {
        LLVMValueRef v = lower_param(u, u->b, fn, type_index, i);
        if (wasm_valtype_repr(ft->params[i]) == WASM_VT_V128) {
            LLVMValueRef slot = LLVMBuildAlloca(u->b, u->t_v128, "");
            LLVMSetAlignment(slot, 16);
            LLVMBuildStore(u->b, v, slot);
            v = slot;
        }
        args[2 + i] = v;
    }
    for (uint32_t i = 0; i < ft->result_count; i++) {
        LLVMValueRef slot = LLVMBuildAlloca(u->b, lower_valtype(u, ft->results[i]), "");
        LLVMSetAlignment(slot, 16);
        args[2 + ft->param_count + i] = slot;
    }
    LLVMValueRef at = LLVMBuildInBoundsGEP2(
        u->b, u->t_i8, vmctx, (LLVMValueRef[]){lower_i64(u, KILN_VMCTX_INSTANCE)}, 1, "");
    LLVMValueRef inst = LLVMBuildLoad2(u->b, u->t_ptr, at, "caller");
    LLVMSetAlignment(inst, 8);
    at = LLVMBuildInBoundsGEP2(u->b, u->t_i8, vmctx,
                               (LLVMValueRef[]){lower_i64(u, KILN_VMCTX_IMPORT_ENV)}, 1, "");
    LLVMValueRef env = LLVMBuildLoad2(u->b, u->t_ptr, at, "env");
    LLVMSetAlignment(env, 8);
    args[0] = inst;
    args[1] = env;
    LLVMValueRef trap = LLVMBuildCall2(u->b, fty, callee, args, n, "trap");

    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(u->ctx, fn, "trapped");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(u->ctx, fn, "ok");
    LLVMValueRef br = LLVMBuildCondBr(
        u->b, LLVMBuildICmp(u->b, LLVMIntNE, trap, lower_i32(u, KILN_TRAP_NONE), ""), fail, ok);
    LLVMSetMetadata(br, u->md_prof, u->unlikely);
    LLVMPositionBuilderAtEnd(u->b, fail);
    LLVMValueRef ret = lower_rt_decl(u, RT_SEALED_RETURN);
    LLVMBuildCall2(u->b, LLVMGlobalGetValueType(ret), ret, (LLVMValueRef[]){vmctx, trap}, 2, "");
    LLVMBuildUnreachable(u->b);

    LLVMPositionBuilderAtEnd(u->b, ok);
    if (u->interrupts != KILN_INTERRUPT_NONE) {
        at = LLVMBuildInBoundsGEP2(u->b, u->t_i8, vmctx,
                                   (LLVMValueRef[]){lower_i64(u, KILN_VMCTX_INTERRUPT)}, 1, "");
        LLVMValueRef word = LLVMBuildLoad2(u->b, u->t_i32, at, "interrupt");
        LLVMSetVolatile(word, true);
        LLVMSetAlignment(word, 4);
        LLVMBasicBlockRef stop = LLVMAppendBasicBlockInContext(u->ctx, fn, "interrupted");
        LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(u->ctx, fn, "done");
        br = LLVMBuildCondBr(u->b, LLVMBuildICmp(u->b, LLVMIntNE, word, lower_i32(u, 0), ""), stop,
                             done);
        LLVMSetMetadata(br, u->md_prof, u->unlikely);
        LLVMPositionBuilderAtEnd(u->b, stop);
        LLVMValueRef raise = lower_rt_decl(u, RT_TRAP_RAISE);
        LLVMBuildCall2(u->b, LLVMGlobalGetValueType(raise), raise,
                       (LLVMValueRef[]){vmctx, lower_i32(u, KILN_TRAP_INTERRUPTED)}, 2, "");
        LLVMBuildUnreachable(u->b);
        LLVMPositionBuilderAtEnd(u->b, done);
    }
    for (uint32_t i = 0; i < ft->result_count; i++) {
        LLVMTypeRef t = lower_valtype(u, ft->results[i]);
        results[i] = LLVMBuildLoad2(u->b, t, args[2 + ft->param_count + i], "");
        LLVMSetAlignment(results[i], 16);
    }
    lower_ret(u, u->b, fn, type_index, results);
    kiln_arena_reset(&u->scratch);
    return true;
}

static bool emit_adapter(lower_unit *u, uint32_t f)
{
    const wasm_module *m = u->m;
    uint32_t type_index = m->funcs[f].type_index;
    const wasm_functype *ft = &m->types[type_index];
    LLVMValueRef fn = u->funcs[f];
    LLVMPositionBuilderAtEnd(u->b, LLVMAppendBasicBlockInContext(u->ctx, fn, "entry"));

    uint32_t slots = ft->param_count > ft->result_count ? ft->param_count : ft->result_count;
    LLVMTypeRef array_type = LLVMArrayType2(u->t_i64, 2 * (uint64_t)(slots ? slots : 1));
    LLVMValueRef array = LLVMBuildAlloca(u->b, array_type, "args");
    LLVMSetAlignment(array, 16);
    for (uint32_t i = 0; i < ft->param_count; i++)
        store_slot(u, lower_param(u, u->b, fn, type_index, i), array, i);

    LLVMValueRef host_call = lower_rt_decl(u, RT_HOST_CALL);
    LLVMValueRef args[3] = {LLVMGetParam(fn, 0), lower_i32(u, f), array};
    LLVMBuildCall2(u->b, LLVMGlobalGetValueType(host_call), host_call, args, 3, "");

    LLVMValueRef small[16];
    LLVMValueRef *results = small;
    if (ft->result_count > KILN_ARRAY_LEN(small)) {
        results = ARENA_ARRAY(&u->scratch, LLVMValueRef, ft->result_count);
        if (!results)
            return out_of_memory(u);
    }
    for (uint32_t i = 0; i < ft->result_count; i++)
        results[i] = load_slot(u, lower_valtype(u, ft->results[i]), array, i);
    lower_ret(u, u->b, fn, type_index, results);
    kiln_arena_reset(&u->scratch);
    return true;
}

static LLVMValueRef emit_entry(lower_unit *u, uint32_t type_index)
{
    const wasm_functype *ft = &u->m->types[type_index];
    LLVMTypeRef p[3] = {u->t_ptr, u->t_ptr, u->t_ptr};
    LLVMTypeRef fty = LLVMFunctionType(u->t_void, p, 3, false);
    LLVMValueRef fn = LLVMAddFunction(u->mod, lower_symbol(u, "entry%u", type_index), fty);
    lower_function_attrs(u, fn);
    if (u->interrupts != KILN_INTERRUPT_NONE) /* the check of every host->wasm call */
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(u->ctx, LOWER_ENTRY_ATTR,
                                                          sizeof LOWER_ENTRY_ATTR - 1, "", 0));
    LLVMPositionBuilderAtEnd(u->b, LLVMAppendBasicBlockInContext(u->ctx, fn, "entry"));

    LLVMValueRef array = LLVMGetParam(fn, 2);
    uint32_t most = ft->param_count > ft->result_count ? ft->param_count : ft->result_count;
    LLVMValueRef small[16];
    LLVMValueRef *vals = small;
    if (most > KILN_ARRAY_LEN(small)) {
        vals = ARENA_ARRAY(&u->scratch, LLVMValueRef, most);
        if (!vals)
            return NULL;
    }
    for (uint32_t i = 0; i < ft->param_count; i++)
        vals[i] = load_slot(u, lower_valtype(u, ft->params[i]), array, i);
    if (!lower_call_wasm(u, u->b, fn, type_index, type_index, LLVMGetParam(fn, 1),
                         LLVMGetParam(fn, 0), vals, false, NULL, vals))
        return NULL;
    for (uint32_t i = 0; i < ft->result_count; i++)
        store_slot(u, vals[i], array, i);
    LLVMBuildRetVoid(u->b);
    kiln_arena_reset(&u->scratch);
    return fn;
}

/* The array entry for a type index, shared by all types with the same LLVM signature (LLVM
 * uniques function types, so equal signatures are the same LLVMTypeRef). Entries are
 * created in function order, so the output does not depend on pointer values. */
typedef struct entry_map {
    LLVMTypeRef *keys;
    LLVMValueRef *values;
    uint32_t mask;
} entry_map;

static uint32_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)x;
}

static LLVMValueRef entry_for(lower_unit *u, entry_map *map, uint32_t type_index)
{
    if (u->entries[type_index])
        return u->entries[type_index];
    LLVMTypeRef key = u->sigs[type_index].key;
    uint32_t i = hash_ptr(key) & map->mask;
    while (map->keys[i] && map->keys[i] != key)
        i = (i + 1) & map->mask;
    if (!map->keys[i]) {
        map->keys[i] = key;
        map->values[i] = emit_entry(u, type_index);
    }
    u->entries[type_index] = map->values[i];
    return map->values[i];
}

/*
 * Descriptor builder: a packed struct whose fields sit at explicit byte offsets.
 */

typedef struct desc {
    lower_unit *u;
    LLVMValueRef vals[96];
    unsigned n;
    uint32_t off;
} desc;

static void d_init_builder(desc *d, lower_unit *u)
{
    d->u = u;
    d->n = 0;
    d->off = 0;
}

static void d_append(desc *d, LLVMValueRef v, uint32_t size)
{
    KILN_ASSERT(d->n < KILN_ARRAY_LEN(d->vals));
    d->vals[d->n++] = v;
    d->off += size;
}

static void d_pad(desc *d, uint32_t to)
{
    KILN_ASSERT(to >= d->off);
    if (to > d->off)
        d_append(d, LLVMConstNull(LLVMArrayType2(d->u->t_i8, to - d->off)), to - d->off);
}

static void d_int(desc *d, size_t at, unsigned bytes, uint64_t v)
{
    d_pad(d, (uint32_t)at);
    d_append(d, LLVMConstInt(LLVMIntTypeInContext(d->u->ctx, bytes * 8), v, false), bytes);
}

/* A kiln_ptr64: the pointer, zero-extended to 8 bytes on 32-bit targets (little-endian). */
static void d_ptr(desc *d, size_t at, LLVMValueRef p)
{
    d_pad(d, (uint32_t)at);
    d_append(d, p ? p : LLVMConstNull(d->u->t_ptr), d->u->ptr_size);
    if (d->u->ptr_size < 8)
        d_append(d, LLVMConstNull(LLVMArrayType2(d->u->t_i8, 8 - d->u->ptr_size)),
                 8 - d->u->ptr_size);
}

static LLVMValueRef d_end(desc *d, size_t size)
{
    d_pad(d, (uint32_t)size);
    return LLVMConstStructInContext(d->u->ctx, d->vals, d->n, true);
}

static LLVMValueRef private_const(lower_unit *u, const char *name, LLVMValueRef init,
                                  unsigned align)
{
    LLVMValueRef g = LLVMAddGlobal(u->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(g, align);
    return g;
}

static LLVMValueRef bytes_const(lower_unit *u, const char *name, const void *bytes, size_t n,
                                bool nul)
{
    if (n == 0 && !nul)
        return NULL;
    return private_const(u, name, LLVMConstStringInContext2(u->ctx, bytes, n, !nul), 1);
}

/* The descriptor's two views of a value type (kiln/abi.h): the type byte (a reference's
 * representation, funcref or externref) and the reference word (0 for all but Wasm 3.0's
 * typed references; the heap numbering is the runtime's). */
static uint8_t type_byte(wasm_valtype t)
{
    return (uint8_t)wasm_valtype_repr(t);
}

static uint32_t ref_word(wasm_valtype t)
{
    if (!wasm_valtype_is_ref(t) || t == WASM_VT_FUNCREF || t == WASM_VT_EXTERNREF)
        return 0;
    return (wasm_ref_nullable(t) ? 0 : KILN_REF_NON_NULL) | wasm_ref_heap(t);
}
_Static_assert(
    (unsigned)WASM_HT_FUNC == KILN_HEAP_FUNC && (unsigned)WASM_HT_EXTERN == KILN_HEAP_EXTERN &&
        (unsigned)WASM_HT_NOFUNC == KILN_HEAP_NOFUNC &&
        (unsigned)WASM_HT_NOEXTERN == KILN_HEAP_NOEXTERN &&
        (unsigned)WASM_HT_EXN == KILN_HEAP_EXN && (unsigned)WASM_HT_NOEXN == KILN_HEAP_NOEXN &&
        (unsigned)WASM_HT_ANY == KILN_HEAP_ANY && (unsigned)WASM_HT_EQ == KILN_HEAP_EQ &&
        (unsigned)WASM_HT_I31 == KILN_HEAP_I31 && (unsigned)WASM_HT_STRUCT == KILN_HEAP_STRUCT &&
        (unsigned)WASM_HT_ARRAY == KILN_HEAP_ARRAY && (unsigned)WASM_HT_NONE == KILN_HEAP_NONE &&
        (unsigned)WASM_VT_ANYREF == KILN_TYPE_ANYREF && (unsigned)WASM_HT_TYPE == KILN_HEAP_TYPE,
    "heap type numbering");

/* kiln_str_desc: pointer to a NUL-terminated copy, and the length. */
static void d_str(desc *d, size_t at, const char *s, uint32_t len)
{
    d_ptr(d, at + offsetof(kiln_str_desc, ptr), bytes_const(d->u, "str", s, len, true));
    d_int(d, at + offsetof(kiln_str_desc, len), 4, len);
}

static void d_limits(desc *d, size_t at, const wasm_limits *l)
{
    d_int(d, at + offsetof(kiln_limits_desc, min), 8, l->min);
    d_int(d, at + offsetof(kiln_limits_desc, max), 8, l->has_max ? l->max : 0);
    d_int(d, at + offsetof(kiln_limits_desc, has_max), 1, l->has_max);
    d_int(d, at + offsetof(kiln_limits_desc, is64), 1, l->is64);
    d_int(d, at + offsetof(kiln_limits_desc, one_byte_pages), 1, l->page_log2 == 0);
    d_int(d, at + offsetof(kiln_limits_desc, shared), 1, l->shared);
}

/* A constant expression, decoded into kiln_init_desc fields. */
typedef struct init_value {
    uint8_t kind;
    uint32_t index;
    uint64_t lo, hi;     /* the value cell, little-endian */
    const uint8_t *expr; /* KILN_INIT_EXPR: the expression's bytes (index of them) */
} init_value;

_Static_assert(KILN_MAX_CONST_EXPR_DEPTH == KILN_INIT_EXPR_MAX_DEPTH,
               "the validator admits what the runtime evaluates");

/* An extended constant expression (Wasm 3.0: i32/i64 add, sub and mul over constants and
 * globals; validated): folded into a constant when it reads no global, else left for the
 * runtime to evaluate (KILN_INIT_EXPR, its bytes as they are). */
static bool decode_extended_init(lower_unit *u, wasm_expr e, init_value *out)
{
    const wasm_module *m = u->m;
    kiln_reader r;
    wasm_expr_reader(&r, m, e, u->diag);
    uint64_t stack[KILN_INIT_EXPR_MAX_DEPTH];
    uint32_t depth = 0;
    bool reads_global = false;
    for (;;) {
        wasm_instr ins;
        if (!dec_instr(&r, &u->scratch, &ins))
            return false;
        if (ins.op == WASM_OP_END)
            break;
        bool push = ins.op == WASM_OP_I32_CONST || ins.op == WASM_OP_I64_CONST ||
                    ins.op == WASM_OP_GLOBAL_GET;
        if (push && depth == KILN_INIT_EXPR_MAX_DEPTH)
            return kiln_diag_set(u->diag, KILN_ERR_LIMIT, ins.offset,
                                 "constant expression deeper than %u operands",
                                 KILN_INIT_EXPR_MAX_DEPTH);
        if (!push && depth < 2)
            return kiln_diag_set(u->diag, KILN_ERR_INVALID, ins.offset,
                                 "type mismatch: %s in a constant expression",
                                 wasm_ops[ins.op].name);
        uint64_t a = depth >= 2 ? stack[depth - 2] : 0, b = depth >= 1 ? stack[depth - 1] : 0;
        switch (ins.op) {
        case WASM_OP_I32_CONST:
            stack[depth++] = (uint32_t)ins.u.i32;
            break;
        case WASM_OP_I64_CONST:
            stack[depth++] = (uint64_t)ins.u.i64;
            break;
        case WASM_OP_GLOBAL_GET:
            reads_global = true;
            stack[depth++] = 0;
            break;
        case WASM_OP_I32_ADD:
            stack[--depth - 1] = (uint32_t)(a + b);
            break;
        case WASM_OP_I32_SUB:
            stack[--depth - 1] = (uint32_t)(a - b);
            break;
        case WASM_OP_I32_MUL:
            stack[--depth - 1] = (uint32_t)(a * b);
            break;
        case WASM_OP_I64_ADD:
            stack[--depth - 1] = a + b;
            break;
        case WASM_OP_I64_SUB:
            stack[--depth - 1] = a - b;
            break;
        case WASM_OP_I64_MUL:
            stack[--depth - 1] = a * b;
            break;
        default:
            return kiln_diag_set(u->diag, KILN_ERR_UNSUPPORTED, ins.offset,
                                 "constant expression with %s is not supported",
                                 wasm_ops[ins.op].name);
        }
    }
    if (depth != 1)
        return kiln_diag_set(u->diag, KILN_ERR_INVALID, e.offset,
                             "type mismatch: a constant expression leaves %u values", depth);
    if (reads_global) {
        out->kind = KILN_INIT_EXPR;
        out->expr = m->bytes + e.offset;
        out->index = (uint32_t)e.size;
    } else {
        out->kind = KILN_INIT_CONST;
        out->lo = stack[0];
    }
    return true;
}

static bool decode_init(lower_unit *u, wasm_expr e, init_value *out)
{
    const wasm_module *m = u->m;
    kiln_reader r;
    wasm_expr_reader(&r, m, e, u->diag);
    wasm_instr ins;
    memset(out, 0, sizeof *out);
    if (!dec_instr(&r, &u->scratch, &ins))
        return false;
    wasm_instr next;
    if (!dec_instr(&r, &u->scratch, &next))
        return false;
    if (next.op != WASM_OP_END) /* more than one instruction: Wasm 3.0's extended form */
        return decode_extended_init(u, e, out);
    switch (ins.op) {
    case WASM_OP_I32_CONST:
        out->kind = KILN_INIT_CONST;
        out->lo = (uint32_t)ins.u.i32;
        break;
    case WASM_OP_I64_CONST:
        out->kind = KILN_INIT_CONST;
        out->lo = (uint64_t)ins.u.i64;
        break;
    case WASM_OP_F32_CONST:
        out->kind = KILN_INIT_CONST;
        out->lo = ins.u.f32_bits;
        break;
    case WASM_OP_F64_CONST:
        out->kind = KILN_INIT_CONST;
        out->lo = ins.u.f64_bits;
        break;
    case WASM_OP_V128_CONST:
        out->kind = KILN_INIT_CONST;
        for (int i = 7; i >= 0; i--) {
            out->lo = out->lo << 8 | ins.u.v128[i];
            out->hi = out->hi << 8 | ins.u.v128[i + 8];
        }
        break;
    case WASM_OP_REF_NULL:
        out->kind = KILN_INIT_REF_NULL;
        break;
    case WASM_OP_REF_FUNC:
        out->kind = KILN_INIT_REF_FUNC;
        out->index = ins.u.index;
        break;
    case WASM_OP_GLOBAL_GET:
        out->kind = KILN_INIT_GLOBAL;
        out->index = ins.u.index;
        break;
    default:
        return kiln_diag_set(u->diag, KILN_ERR_UNSUPPORTED, ins.offset,
                             "constant expression with %s is not supported", wasm_ops[ins.op].name);
    }
    return true;
}

static void d_init_value(desc *d, size_t at, const init_value *v, wasm_valtype type)
{
    d_int(d, at + offsetof(kiln_init_desc, kind), 1, v->kind);
    d_int(d, at + offsetof(kiln_init_desc, type), 1, type_byte(type));
    d_int(d, at + offsetof(kiln_init_desc, index), 4, v->index);
    d_ptr(d, at + offsetof(kiln_init_desc, expr),
          v->expr ? bytes_const(d->u, "init", v->expr, v->index, false) : NULL);
    d_int(d, at + offsetof(kiln_init_desc, value), 8, v->lo);
    d_int(d, at + offsetof(kiln_init_desc, value) + 8, 8, v->hi);
}

static bool d_init_expr(desc *d, size_t at, wasm_expr e, wasm_valtype type)
{
    init_value v;
    if (!decode_init(d->u, e, &v))
        return false;
    d_init_value(d, at, &v, type);
    return true;
}

/* An array of descriptor structs: a packed struct of the elements (their types may differ
 * in which pointers are null). NULL for an empty array. */
typedef struct desc_array {
    LLVMValueRef *elems;
    uint32_t count;
} desc_array;

static bool array_begin(lower_unit *u, desc_array *a, uint32_t count)
{
    a->count = count;
    a->elems = count ? ARENA_ARRAY(&u->arena, LLVMValueRef, count) : NULL;
    return count == 0 || a->elems != NULL || out_of_memory(u);
}

static LLVMValueRef array_end(lower_unit *u, desc_array *a, const char *what)
{
    if (a->count == 0)
        return NULL;
    LLVMValueRef init = LLVMConstStructInContext(u->ctx, a->elems, a->count, true);
    return private_const(u, lower_symbol(u, "%s", what), init, 8);
}

static bool emit_types(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->type_count))
        return false;
    for (uint32_t t = 0; t < m->type_count; t++) {
        const wasm_functype *ft = &m->types[t];
        uint8_t codes[KILN_MAX_PARAMS + KILN_MAX_RESULTS];
        uint8_t refs[4 * (KILN_MAX_PARAMS + KILN_MAX_RESULTS)]; /* little-endian words */
        uint32_t n = 0;
        bool typed = false;
        for (uint32_t i = 0; i < ft->param_count + ft->result_count; i++) {
            wasm_valtype vt =
                i < ft->param_count ? ft->params[i] : ft->results[i - ft->param_count];
            uint32_t word = ref_word(vt);
            typed = typed || word != 0;
            for (int k = 0; k < 4; k++)
                refs[4 * n + k] = (uint8_t)(word >> 8 * k);
            codes[n++] = type_byte(vt);
        }
        desc d;
        d_init_builder(&d, u);
        d_int(&d, offsetof(kiln_functype_desc, param_count), 4, ft->param_count);
        d_int(&d, offsetof(kiln_functype_desc, result_count), 4, ft->result_count);
        d_ptr(&d, offsetof(kiln_functype_desc, types), bytes_const(u, "sig", codes, n, false));
        if (typed)
            d_ptr(&d, offsetof(kiln_functype_desc, refs),
                  private_const(u, "sig_refs",
                                LLVMConstStringInContext2(u->ctx, (char *)refs, 4 * n, true), 4));
        d_int(&d, offsetof(kiln_functype_desc, group), 4, ft->group);
        d_int(&d, offsetof(kiln_functype_desc, group_size), 4, ft->group_size);
        a.elems[t] = d_end(&d, sizeof(kiln_functype_desc));
    }
    *out = array_end(u, &a, "types");
    return true;
}

/* A wasm extern kind as the descriptor spells it (kiln/abi.h: tags are KILN_KIND_TAG). */
static uint8_t desc_kind(uint8_t kind)
{
    return kind == WASM_EXTERN_TAG ? KILN_KIND_TAG : kind;
}

static bool emit_imports(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->import_count))
        return false;
    uint32_t next[5] = {0, 0, 0, 0, 0}; /* next index in each index space */
    for (uint32_t i = 0; i < m->import_count; i++) {
        const wasm_import *im = &m->imports[i];
        desc d;
        d_init_builder(&d, u);
        d_str(&d, offsetof(kiln_import_desc, module), im->module.ptr, im->module.len);
        d_str(&d, offsetof(kiln_import_desc, name), im->name.ptr, im->name.len);
        d_int(&d, offsetof(kiln_import_desc, kind), 1, desc_kind(im->kind));
        wasm_valtype type = 0;
        uint8_t mut = 0;
        uint32_t type_index = 0;
        const wasm_limits *limits = NULL;
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            type_index = im->u.type_index;
            break;
        case WASM_EXTERN_TABLE:
            type = im->u.table.elem;
            limits = &im->u.table.limits;
            break;
        case WASM_EXTERN_MEMORY:
            limits = &im->u.memory.limits;
            break;
        case WASM_EXTERN_TAG:
            type_index = im->u.type_index;
            break;
        default:
            type = im->u.global.type;
            mut = im->u.global.mut;
            break;
        }
        d_int(&d, offsetof(kiln_import_desc, type), 1, type_byte(type));
        d_int(&d, offsetof(kiln_import_desc, mut), 1, mut);
        if (im->kind == WASM_EXTERN_FUNC && u->sealed[next[im->kind]])
            d_int(&d, offsetof(kiln_import_desc, sealed), 1, 1);
        d_int(&d, offsetof(kiln_import_desc, index), 4, next[im->kind]++);
        d_int(&d, offsetof(kiln_import_desc, type_index), 4, type_index);
        d_int(&d, offsetof(kiln_import_desc, ref), 4, ref_word(type));
        if (limits)
            d_limits(&d, offsetof(kiln_import_desc, limits), limits);
        a.elems[i] = d_end(&d, sizeof(kiln_import_desc));
    }
    *out = array_end(u, &a, "imports");
    return true;
}

static bool emit_funcs(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    entry_map map;
    uint32_t size = 16;
    while (size < 2 * (uint64_t)m->func_count)
        size *= 2;
    map.mask = size - 1;
    map.keys = ARENA_ARRAY(&u->arena, LLVMTypeRef, size);
    map.values = ARENA_ARRAY(&u->arena, LLVMValueRef, size);
    if (!map.keys || !map.values || !array_begin(u, &a, m->func_count))
        return out_of_memory(u);
    for (uint32_t f = 0; f < m->func_count; f++) {
        uint32_t type_index = m->funcs[f].type_index;
        LLVMValueRef entry = entry_for(u, &map, type_index);
        if (!entry)
            return out_of_memory(u);
        wasm_str name = {"", 0};
        wasm_module_func_name(m, f, &name);
        desc d;
        d_init_builder(&d, u);
        d_ptr(&d, offsetof(kiln_func_desc, code), lower_func(u, f));
        d_ptr(&d, offsetof(kiln_func_desc, array_entry), entry);
        d_int(&d, offsetof(kiln_func_desc, type_index), 4, type_index);
        if (name.len > 0)
            d_str(&d, offsetof(kiln_func_desc, name), name.ptr, name.len);
        a.elems[f] = d_end(&d, sizeof(kiln_func_desc));
    }
    *out = array_end(u, &a, "funcs");
    return true;
}

static bool emit_tables(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->table_count))
        return false;
    for (uint32_t t = 0; t < m->table_count; t++) {
        desc d;
        d_init_builder(&d, u);
        const wasm_table *tab = &m->tables[t];
        d_int(&d, offsetof(kiln_table_desc, elem_type), 1, type_byte(tab->type.elem));
        d_int(&d, offsetof(kiln_table_desc, imported), 1, tab->imported);
        d_int(&d, offsetof(kiln_table_desc, has_init), 1, tab->has_init);
        d_int(&d, offsetof(kiln_table_desc, elem_ref), 4, ref_word(tab->type.elem));
        d_limits(&d, offsetof(kiln_table_desc, limits), &tab->type.limits);
        if (tab->has_init &&
            !d_init_expr(&d, offsetof(kiln_table_desc, init), tab->init, tab->type.elem))
            return false;
        a.elems[t] = d_end(&d, sizeof(kiln_table_desc));
    }
    *out = array_end(u, &a, "tables");
    return true;
}

static bool emit_memories(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->memory_count))
        return false;
    for (uint32_t i = 0; i < m->memory_count; i++) {
        desc d;
        d_init_builder(&d, u);
        d_int(&d, offsetof(kiln_memory_desc, imported), 1, m->memories[i].imported);
        d_limits(&d, offsetof(kiln_memory_desc, limits), &m->memories[i].type.limits);
        a.elems[i] = d_end(&d, sizeof(kiln_memory_desc));
    }
    *out = array_end(u, &a, "memories");
    return true;
}

static bool emit_globals(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->global_count))
        return false;
    for (uint32_t i = 0; i < m->global_count; i++) {
        const wasm_global *g = &m->globals[i];
        desc d;
        d_init_builder(&d, u);
        d_int(&d, offsetof(kiln_global_desc, type), 1, type_byte(g->type.type));
        d_int(&d, offsetof(kiln_global_desc, mut), 1, g->type.mut);
        d_int(&d, offsetof(kiln_global_desc, imported), 1, g->imported);
        d_int(&d, offsetof(kiln_global_desc, ref), 4, ref_word(g->type.type));
        if (!g->imported &&
            !d_init_expr(&d, offsetof(kiln_global_desc, init), g->init, g->type.type))
            return false;
        a.elems[i] = d_end(&d, sizeof(kiln_global_desc));
    }
    *out = array_end(u, &a, "globals");
    return true;
}

static bool emit_tags(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->tag_count))
        return false;
    for (uint32_t i = 0; i < m->tag_count; i++) {
        desc d;
        d_init_builder(&d, u);
        d_int(&d, offsetof(kiln_tag_desc, type_index), 4, m->tags[i].type_index);
        d_int(&d, offsetof(kiln_tag_desc, imported), 1, m->tags[i].imported);
        a.elems[i] = d_end(&d, sizeof(kiln_tag_desc));
    }
    *out = array_end(u, &a, "tags");
    return true;
}

static bool emit_exports(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->export_count))
        return false;
    for (uint32_t i = 0; i < m->export_count; i++) {
        const wasm_export *e = &m->exports[i];
        desc d;
        d_init_builder(&d, u);
        d_str(&d, offsetof(kiln_export_desc, name), e->name.ptr, e->name.len);
        d_int(&d, offsetof(kiln_export_desc, kind), 1, desc_kind(e->kind));
        d_int(&d, offsetof(kiln_export_desc, index), 4, e->index);
        a.elems[i] = d_end(&d, sizeof(kiln_export_desc));
    }
    *out = array_end(u, &a, "exports");
    return true;
}

static bool emit_elem_items(lower_unit *u, const wasm_elem *e, LLVMValueRef *out)
{
    desc_array a;
    if (!array_begin(u, &a, e->count))
        return false;
    for (uint32_t i = 0; i < e->count; i++) {
        desc d;
        d_init_builder(&d, u);
        if (e->func_indices) {
            init_value v = {.kind = KILN_INIT_REF_FUNC, .index = e->func_indices[i]};
            d_init_value(&d, 0, &v, e->type);
        } else if (!d_init_expr(&d, 0, e->exprs[i], e->type)) {
            return false;
        }
        a.elems[i] = d_end(&d, sizeof(kiln_init_desc));
    }
    *out = array_end(u, &a, "elem_items");
    return true;
}

static bool emit_elems(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->elem_count))
        return false;
    for (uint32_t i = 0; i < m->elem_count; i++) {
        const wasm_elem *e = &m->elems[i];
        LLVMValueRef items;
        if (!emit_elem_items(u, e, &items))
            return false;
        desc d;
        d_init_builder(&d, u);
        d_int(&d, offsetof(kiln_elem_desc, mode), 1, e->mode);
        d_int(&d, offsetof(kiln_elem_desc, elem_type), 1, type_byte(e->type));
        d_int(&d, offsetof(kiln_elem_desc, table), 4, e->mode == WASM_SEG_ACTIVE ? e->table : 0);
        d_int(&d, offsetof(kiln_elem_desc, count), 4, e->count);
        d_int(&d, offsetof(kiln_elem_desc, ref), 4, ref_word(e->type));
        if (e->mode == WASM_SEG_ACTIVE &&
            !d_init_expr(&d, offsetof(kiln_elem_desc, offset), e->offset_expr,
                         wasm_table_is64(m, e->table) ? WASM_VT_I64 : WASM_VT_I32))
            return false;
        d_ptr(&d, offsetof(kiln_elem_desc, items), items);
        a.elems[i] = d_end(&d, sizeof(kiln_elem_desc));
    }
    *out = array_end(u, &a, "elems");
    return true;
}

static bool emit_datas(lower_unit *u, LLVMValueRef *out)
{
    const wasm_module *m = u->m;
    desc_array a;
    if (!array_begin(u, &a, m->data_seg_count))
        return false;
    for (uint32_t i = 0; i < m->data_seg_count; i++) {
        const wasm_data *s = &m->datas[i];
        desc d;
        d_init_builder(&d, u);
        d_int(&d, offsetof(kiln_data_desc, mode), 1, s->mode);
        d_int(&d, offsetof(kiln_data_desc, memory), 4, s->mode == WASM_SEG_ACTIVE ? s->memory : 0);
        d_int(&d, offsetof(kiln_data_desc, size), 4, s->size);
        if (s->mode == WASM_SEG_ACTIVE &&
            !d_init_expr(&d, offsetof(kiln_data_desc, offset), s->offset_expr,
                         wasm_memory_is64(m, s->memory) ? WASM_VT_I64 : WASM_VT_I32))
            return false;
        d_ptr(&d, offsetof(kiln_data_desc, bytes),
              bytes_const(u, lower_symbol(u, "data%u", i), s->bytes, s->size, false));
        a.elems[i] = d_end(&d, sizeof(kiln_data_desc));
    }
    *out = array_end(u, &a, "datas");
    return true;
}

static LLVMValueRef section_bound(lower_unit *u, const char *name)
{
    LLVMValueRef g = LLVMAddGlobal(u->mod, u->t_i8, name);
    LLVMSetLinkage(g, LLVMExternalLinkage);
    LLVMSetVisibility(g, LLVMHiddenVisibility);
    return g;
}

bool lower_module_data(lower_unit *u)
{
    const wasm_module *m = u->m;
    for (uint32_t i = 0, f = 0; i < m->import_count; i++) {
        if (m->imports[i].kind != WASM_EXTERN_FUNC)
            continue;
        if (!(u->sealed[f] ? emit_sealed_thunk(u, f, &m->imports[i]) : emit_adapter(u, f)))
            return false;
        f++;
    }

    LLVMValueRef types = NULL, imports = NULL, funcs = NULL, tables = NULL, memories = NULL,
                 globals = NULL, exports = NULL, elems = NULL, datas = NULL, tags = NULL;
    if (!emit_types(u, &types) || !emit_imports(u, &imports) || !emit_funcs(u, &funcs) ||
        !emit_tables(u, &tables) || !emit_memories(u, &memories) || !emit_globals(u, &globals) ||
        !emit_exports(u, &exports) || !emit_elems(u, &elems) || !emit_datas(u, &datas) ||
        !emit_tags(u, &tags))
        return false;

    desc d;
    d_init_builder(&d, u);
    d_int(&d, offsetof(kiln_module_desc, abi_version), 4, KILN_ABI_VERSION);
    d_int(&d, offsetof(kiln_module_desc, flags), 4,
          (u->bounds_checks ? KILN_MODULE_BOUNDS_CHECKED : 0) |
              (u->interrupts != KILN_INTERRUPT_NONE ? KILN_MODULE_INTERRUPT_CHECKS : 0) |
              (u->interrupts == KILN_INTERRUPT_FULL ? KILN_MODULE_INTERRUPT_FULL : 0));
    d_str(&d, offsetof(kiln_module_desc, name), u->prefix, (uint32_t)strlen(u->prefix));
    const kiln_vmctx_layout *l = &u->layout;
    const struct {
        size_t at;
        uint32_t v;
    } words[] = {
        {offsetof(kiln_module_desc, layout.size), l->size},
        {offsetof(kiln_module_desc, layout.imports), l->imports},
        {offsetof(kiln_module_desc, layout.tables), l->tables},
        {offsetof(kiln_module_desc, layout.globals), l->globals},
        {offsetof(kiln_module_desc, layout.global_cells), l->global_cells},
        {offsetof(kiln_module_desc, layout.sig_ids), l->sig_ids},
        {offsetof(kiln_module_desc, layout.funcrefs), l->funcrefs},
        {offsetof(kiln_module_desc, layout.elem_dropped), l->elem_dropped},
        {offsetof(kiln_module_desc, layout.data_dropped), l->data_dropped},
        {offsetof(kiln_module_desc, layout.memories), l->memories},
        {offsetof(kiln_module_desc, layout.tags), l->tags},
        {offsetof(kiln_module_desc, layout.tag_records), l->tag_records},
        {offsetof(kiln_module_desc, type_count), m->type_count},
        {offsetof(kiln_module_desc, import_count), m->import_count},
        {offsetof(kiln_module_desc, func_count), m->func_count},
        {offsetof(kiln_module_desc, func_import_count), m->func_import_count},
        {offsetof(kiln_module_desc, table_count), m->table_count},
        {offsetof(kiln_module_desc, memory_count), m->memory_count},
        {offsetof(kiln_module_desc, global_count), m->global_count},
        {offsetof(kiln_module_desc, export_count), m->export_count},
        {offsetof(kiln_module_desc, elem_count), m->elem_count},
        {offsetof(kiln_module_desc, data_count), m->data_seg_count},
        {offsetof(kiln_module_desc, start), m->has_start ? m->start : UINT32_MAX},
        {offsetof(kiln_module_desc, tag_count), m->tag_count},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(words); i++)
        d_int(&d, words[i].at, 4, words[i].v);
    d_ptr(&d, offsetof(kiln_module_desc, types), types);
    d_ptr(&d, offsetof(kiln_module_desc, imports), imports);
    d_ptr(&d, offsetof(kiln_module_desc, funcs), funcs);
    d_ptr(&d, offsetof(kiln_module_desc, tables), tables);
    d_ptr(&d, offsetof(kiln_module_desc, memories), memories);
    d_ptr(&d, offsetof(kiln_module_desc, globals), globals);
    d_ptr(&d, offsetof(kiln_module_desc, exports), exports);
    d_ptr(&d, offsetof(kiln_module_desc, elems), elems);
    d_ptr(&d, offsetof(kiln_module_desc, datas), datas);
    /* Without functions there is no kiln_text section, and no __start_/__stop_ symbols. */
    if (u->is_elf && m->func_count > 0) {
        d_ptr(&d, offsetof(kiln_module_desc, code_begin), section_bound(u, "__start_kiln_text"));
        d_ptr(&d, offsetof(kiln_module_desc, code_end), section_bound(u, "__stop_kiln_text"));
    }
    d_ptr(&d, offsetof(kiln_module_desc, tags), tags);
    LLVMValueRef init = d_end(&d, sizeof(kiln_module_desc));

    LLVMValueRef g = LLVMAddGlobal(u->mod, LLVMTypeOf(init), lower_symbol(u, "module"));
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, true);
    LLVMSetLinkage(g, LLVMExternalLinkage);
    LLVMSetVisibility(g, LLVMDefaultVisibility);
    LLVMSetAlignment(g, 8);
    return true;
}
