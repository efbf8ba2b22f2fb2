/* fuzz_exec_host.c -- `kiln wast` with binaryen's fuzzing host module, for scripts/fuzz-exec.sh.
 *
 * Usage: fuzz_exec_host [kiln wast options...] SCRIPT.wast
 *
 * Modules made by `wasm-opt -ttf` import a host module, "fuzzing-support", that binaryen's
 * interpreter implements (src/tools/execution-results.h in binaryen) and JavaScript
 * implements in its fuzz shell. This program is the `kiln wast` command (cli_wast) with that
 * module supplied through the C API, so the fuzzed module runs against the same host it ran
 * against under binaryen:
 *   log-i32/i64/f32/f64/v128  append the value to the file named by KILN_FUZZ_LOG (one line
 *                             each: "i32 -5", "i64 7", "f32 0x3f800000", "f64 0x...",
 *                             "v128 0x........ x4" in i32 lanes); the script compares them
 *   throw(i32 v)              v == 0: a "JS" exception, tag jstag with the externref 0xbad;
 *                             else tag wasmtag with v
 *   table-get/table-set       element i of the caller's export "table"; a missing table or an
 *                             index out of range throws the JS exception (not a trap)
 *   call-export(i, flags)     calls the caller's export number i (binary order) as JS would:
 *   call-export-catch(i)      zero arguments; an export that is no function, an i64, v128,
 *   call-ref(f, flags)        exnref or non-null parameter, a v128 or exnref result, or a
 *   call-ref-catch(f)         null f throw the JS exception; results are dropped. The -catch
 *                             forms return 1 if an exception (Wasm or JS) escaped, else 0;
 *                             traps pass through
 *   sleep(ms, id)             returns id
 *   tags wasmtag (i32) and jstag (externref)
 * and "__fuzz_import" supplies the immutable externref globals -ttf imports, with binaryen's
 * payload (the sum of the bytes of module and name, mod 251). While a module is being
 * instantiated (its start function runs) its exports do not exist yet, for JS as for
 * binaryen: table-get, table-set, call-export and call-export-catch throw the JS exception. An
 * externref payload N is the host pointer N + 1, which is how `kiln wast` passes a script's
 * (ref.extern N).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wast.h"

#define JS_ERROR_PAYLOAD 0xbadu
#define PAYLOADS         251u /* __fuzz_import globals' payloads are 0..250 */

static FILE *log_file;
static kiln_tag *wasmtag, *jstag;
static kiln_global_cell extern_globals[PAYLOADS];
/* Instances whose instantiation has finished: their exports can be reached. */
static kiln_instance **ready;
static size_t ready_count, ready_cap;

static void instantiated(void *env, kiln_instance *inst)
{
    (void)env;
    if (ready_count == ready_cap) {
        size_t cap = ready_cap ? 2 * ready_cap : 16;
        kiln_instance **p = realloc(ready, cap * sizeof(*p));
        if (p == NULL)
            return; /* then its exports stay unreachable: a difference, reported */
        ready = p;
        ready_cap = cap;
    }
    ready[ready_count++] = inst;
}

static bool is_ready(const kiln_instance *inst)
{
    for (size_t i = 0; i < ready_count; i++)
        if (ready[i] == inst)
            return true;
    return false;
}

static void *extern_ref(uint32_t payload)
{
    return (void *)(uintptr_t)(payload + 1u);
}

static kiln_trap js_throw(void)
{
    kiln_val v = {.type = KILN_TYPE_EXTERNREF, .of.externref = extern_ref(JS_ERROR_PAYLOAD)};
    return kiln_host_throw(jstag, &v, 1);
}

static void log_line(const char *fmt, ...) KILN_PRINTF(1, 2);

static void log_line(const char *fmt, ...)
{
    FILE *f = log_file ? log_file : stdout;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fflush(f); /* a crash of the command's process must not lose what was logged */
}

static kiln_trap log_value(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env, (void)caller, (void)results;
    switch (args[0].type) {
    case KILN_TYPE_I32:
        log_line("i32 %" PRId32 "\n", args[0].of.i32);
        break;
    case KILN_TYPE_I64:
        log_line("i64 %" PRId64 "\n", args[0].of.i64);
        break;
    case KILN_TYPE_F32: {
        uint32_t bits;
        memcpy(&bits, &args[0].of.f32, 4);
        log_line("f32 0x%08" PRIx32 "\n", bits);
        break;
    }
    case KILN_TYPE_F64: {
        uint64_t bits;
        memcpy(&bits, &args[0].of.f64, 8);
        log_line("f64 0x%016" PRIx64 "\n", bits);
        break;
    }
    default: {
        uint32_t lane[4];
        memcpy(lane, args[0].of.v128.bytes, 16);
        log_line("v128 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 "\n", lane[0],
                 lane[1], lane[2], lane[3]);
        break;
    }
    }
    return KILN_TRAP_NONE;
}

static kiln_trap throw_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env, (void)caller, (void)results;
    if (args[0].of.i32 == 0)
        return js_throw();
    return kiln_host_throw(wasmtag, &args[0], 1);
}

/* The caller's funcref table exported as "table", or NULL. */
static kiln_table *exported_table(kiln_instance *caller)
{
    kiln_extern e;
    if (!is_ready(caller) || kiln_instance_export(caller, "table", &e) != KILN_STATUS_OK ||
        e.kind != KILN_KIND_TABLE || e.of.table->elem_type != KILN_TYPE_FUNCREF)
        return NULL;
    return e.of.table;
}

static kiln_trap table_get(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env;
    kiln_table *t = exported_table(caller);
    uint32_t i = (uint32_t)args[0].of.i32;
    if (t == NULL || i >= t->size)
        return js_throw();
    results[0].type = KILN_TYPE_FUNCREF;
    results[0].of.funcref = ((const kiln_funcref **)t->elems.p)[i];
    return KILN_TRAP_NONE;
}

static kiln_trap table_set(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env, (void)results;
    kiln_table *t = exported_table(caller);
    uint32_t i = (uint32_t)args[0].of.i32;
    if (t == NULL || i >= t->size)
        return js_throw();
    ((const kiln_funcref **)t->elems.p)[i] = args[1].of.funcref;
    return KILN_TRAP_NONE;
}

/* What a call "from JS" ended with. */
typedef enum js_outcome { JS_RETURNED, JS_THROWN_BY_JS, JS_THROWN_BY_WASM, JS_TRAPPED } js_outcome;

/* Calls f with default arguments as binaryen's callFunctionAsJS does. JS_TRAPPED: *trap is
 * the trap; JS_THROWN_BY_WASM: the exception is the thread's last (kiln_last_exception). */
static js_outcome call_as_js(kiln_instance *caller, const kiln_funcref *f, kiln_trap *trap)
{
    uint32_t np, nr, nullable;
    const uint8_t *params, *rtypes;
    if (f == NULL || kiln_funcref_type(f, &np, &params, &nr, &rtypes, &nullable) != KILN_STATUS_OK)
        return JS_THROWN_BY_JS;
    for (uint32_t i = 0; i < np; i++) {
        uint8_t t = params[i];
        if (t == KILN_TYPE_I64 || t == KILN_TYPE_V128 || t == KILN_TYPE_EXNREF ||
            (i < 32 && !(nullable & (UINT32_C(1) << i))) || i >= 32)
            return JS_THROWN_BY_JS;
    }
    for (uint32_t i = 0; i < nr; i++)
        if (rtypes[i] == KILN_TYPE_V128 || rtypes[i] == KILN_TYPE_EXNREF)
            return JS_THROWN_BY_JS;
    kiln_val *vals = calloc((np > nr ? np : nr) + 1, sizeof(*vals));
    if (vals == NULL) {
        *trap = KILN_TRAP_HOST;
        return JS_TRAPPED;
    }
    for (uint32_t i = 0; i < np; i++)
        vals[i].type = params[i]; /* zero, or a null reference */
    kiln_trap t = kiln_call(caller, f, vals, np, vals, nr);
    free(vals);
    if (t == KILN_TRAP_NONE)
        return JS_RETURNED;
    if (t == KILN_TRAP_EXCEPTION)
        return JS_THROWN_BY_WASM;
    *trap = t;
    return JS_TRAPPED;
}

/* The function export number index of the caller's module, or NULL. */
static const kiln_funcref *export_at(kiln_instance *caller, int32_t index)
{
    const kiln_module *m = kiln_instance_module(caller);
    if (!is_ready(caller) || index < 0 || (uint32_t)index >= m->export_count)
        return NULL;
    const kiln_export_desc *d = &((const kiln_export_desc *)m->exports.p)[index];
    kiln_extern e;
    if (d->kind != KILN_KIND_FUNC ||
        kiln_instance_export_n(caller, d->name.ptr.p, d->name.len, &e) != KILN_STATUS_OK)
        return NULL;
    return e.of.func;
}

/* call-export and call-ref: an exception passes on to the caller's handlers. */
static kiln_trap finish(js_outcome o, kiln_trap trap)
{
    switch (o) {
    case JS_RETURNED:
        return KILN_TRAP_NONE;
    case JS_THROWN_BY_JS:
        return js_throw();
    case JS_THROWN_BY_WASM:
        return KILN_TRAP_EXCEPTION; /* the call's exception, thrown again at the import */
    default:
        return trap;
    }
}

/* The -catch forms: 1 if an exception escaped, else 0. */
static kiln_trap finish_catch(js_outcome o, kiln_trap trap, kiln_val *results)
{
    if (o == JS_TRAPPED)
        return trap;
    results[0].type = KILN_TYPE_I32;
    results[0].of.i32 = o != JS_RETURNED;
    return KILN_TRAP_NONE;
}

static kiln_trap call_export(void *env, kiln_instance *caller, const kiln_val *args,
                             kiln_val *results)
{
    (void)env, (void)results;
    kiln_trap trap = KILN_TRAP_NONE;
    return finish(call_as_js(caller, export_at(caller, args[0].of.i32), &trap), trap);
}

static kiln_trap call_export_catch(void *env, kiln_instance *caller, const kiln_val *args,
                                   kiln_val *results)
{
    (void)env;
    kiln_trap trap = KILN_TRAP_NONE;
    return finish_catch(call_as_js(caller, export_at(caller, args[0].of.i32), &trap), trap,
                        results);
}

static kiln_trap call_ref(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env, (void)results;
    kiln_trap trap = KILN_TRAP_NONE;
    return finish(call_as_js(caller, args[0].of.funcref, &trap), trap);
}

static kiln_trap call_ref_catch(void *env, kiln_instance *caller, const kiln_val *args,
                                kiln_val *results)
{
    (void)env;
    kiln_trap trap = KILN_TRAP_NONE;
    return finish_catch(call_as_js(caller, args[0].of.funcref, &trap), trap, results);
}

static kiln_trap sleep_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env, (void)caller;
    results[0] = args[1];
    return KILN_TRAP_NONE;
}

static const uint8_t t_i32[] = {KILN_TYPE_I32}, t_i64[] = {KILN_TYPE_I64},
                     t_f32[] = {KILN_TYPE_F32}, t_f64[] = {KILN_TYPE_F64},
                     t_v128[] = {KILN_TYPE_V128}, t_i32_i32[] = {KILN_TYPE_I32, KILN_TYPE_I32},
                     t_func[] = {KILN_TYPE_FUNCREF},
                     t_i32_func[] = {KILN_TYPE_I32, KILN_TYPE_FUNCREF},
                     t_func_i32[] = {KILN_TYPE_FUNCREF, KILN_TYPE_I32};

static const struct {
    const char *name;
    kiln_host_func func;
} functions[] = {
    {"log-i32", {log_value, NULL, 1, 0, t_i32, NULL}},
    {"log-i64", {log_value, NULL, 1, 0, t_i64, NULL}},
    {"log-f32", {log_value, NULL, 1, 0, t_f32, NULL}},
    {"log-f64", {log_value, NULL, 1, 0, t_f64, NULL}},
    {"log-v128", {log_value, NULL, 1, 0, t_v128, NULL}},
    {"throw", {throw_fn, NULL, 1, 0, t_i32, NULL}},
    {"table-get", {table_get, NULL, 1, 1, t_i32, t_func}},
    {"table-set", {table_set, NULL, 2, 0, t_i32_func, NULL}},
    {"call-export", {call_export, NULL, 2, 0, t_i32_i32, NULL}},
    {"call-export-catch", {call_export_catch, NULL, 1, 1, t_i32, t_i32}},
    {"call-ref", {call_ref, NULL, 2, 0, t_func_i32, NULL}},
    {"call-ref-catch", {call_ref_catch, NULL, 1, 1, t_func, t_i32}},
    {"sleep", {sleep_fn, NULL, 2, 1, t_i32_i32, t_i32}},
};

static bool resolve(void *env, const char *module, const char *name, const kiln_import_desc *d,
                    kiln_extern *out)
{
    (void)env;
    memset(out, 0, sizeof(*out));
    if (strcmp(module, "fuzzing-support") == 0) {
        if (d->kind == KILN_KIND_TAG &&
            (strcmp(name, "wasmtag") == 0 || strcmp(name, "jstag") == 0)) {
            out->kind = KILN_KIND_TAG;
            out->of.tag = name[0] == 'w' ? wasmtag : jstag;
            return true;
        }
        for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
            if (d->kind == KILN_KIND_FUNC && strcmp(name, functions[i].name) == 0) {
                out->kind = KILN_KIND_HOST_FUNC;
                out->of.host = &functions[i].func;
                return true;
            }
        }
        return false; /* unknown: the link error names it */
    }
    if (strcmp(module, "__fuzz_import") == 0 && d->kind == KILN_KIND_GLOBAL &&
        d->type == KILN_TYPE_EXTERNREF && !d->mut) {
        uint32_t payload = 0;
        for (const char *s = module; *s; s++)
            payload = (payload + (uint8_t)*s) % PAYLOADS;
        for (const char *s = name; *s; s++)
            payload = (payload + (uint8_t)*s) % PAYLOADS;
        kiln_global_cell *cell = &extern_globals[payload];
        cell->u.ref.p = extern_ref(payload);
        out->kind = KILN_KIND_GLOBAL;
        out->of.global = (kiln_host_global){.type = KILN_TYPE_EXTERNREF, .mut = 0, .cell = cell};
        return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    const char *path = getenv("KILN_FUZZ_LOG");
    if (path != NULL && path[0] != '\0') {
        log_file = fopen(path, "a");
        if (log_file == NULL) {
            perror(path);
            return 2;
        }
    }
    static const uint8_t i32[] = {KILN_TYPE_I32}, ext[] = {KILN_TYPE_EXTERNREF};
    if (kiln_tag_new(i32, 1, &wasmtag) != KILN_STATUS_OK ||
        kiln_tag_new(ext, 1, &jstag) != KILN_STATUS_OK) {
        fprintf(stderr, "fuzz_exec_host: cannot make the tags: %s\n", kiln_last_error());
        return 2;
    }
    static const wast_provider provider = {resolve, instantiated, NULL};
    wast_set_provider(&provider);
    int status = cli_wast(argc - 1, argv + 1);
    if (log_file)
        fclose(log_file);
    kiln_tag_free(wasmtag);
    kiln_tag_free(jstag);
    free(ready);
    return status;
}
