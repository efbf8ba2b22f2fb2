/* compile.c -- THE pipeline, one call after another:
 *
 *     read -> decode -> validate -> lower -> verify -> optimise -> emit (+ header)
 *
 * A large module's object is made in parts (partition.c): lower -> verify -> optimise -> emit
 * runs once per part, on worker threads, and `ld.lld -r` merges the parts' objects.
 * kiln_compile owns every LLVM object it creates (one context per part, so compilations on
 * different threads never share state) and disposes all of them on every path. Outputs are
 * written to a temporary name beside the target and renamed into place (host.c), so a failed or
 * interrupted compilation never leaves a half-written object for a build system to pick up.
 * Nothing here depends on time or on pointer values: the same input and options give the
 * same bytes. The module is named after the input's file name (not its directory), since
 * ELF objects record it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/TargetMachine.h>

#include "lower.h"

static bool verify_requested(const kiln_compile_options *o)
{
#ifndef NDEBUG
    return true;
#else
    const char *env = getenv("KILN_VERIFY");
    return o->verify || (env && strcmp(env, "1") == 0);
#endif
}

static const char *base_name(const char *path)
{
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    return base;
}

/* Lowering and code generation for one part of a decoded, validated module, in a context of
 * its own (the part may be compiled on any thread). */
static bool generate_part(const kiln_compile_options *o, const wasm_module *m, const char *prefix,
                          const char *name, const lower_part *part, uint8_t **out, size_t *out_size,
                          kiln_diag *d)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = NULL;
    LLVMModuleRef mod = NULL;
    LLVMTargetDataRef td = NULL;
    bool ok = emit_target_machine(o->triple, o->cpu, o->opt_level, &tm, d);
    if (ok) {
        mod = LLVMModuleCreateWithNameInContext(name, ctx);
        char *triple = LLVMGetTargetMachineTriple(tm);
        LLVMSetTarget(mod, triple);
        LLVMDisposeMessage(triple);
        td = LLVMCreateTargetDataLayout(tm);
        LLVMSetModuleDataLayout(mod, td);
        ok = lower_module(mod, td, m, prefix, o, part, d);
    }
    if (ok && verify_requested(o))
        ok = emit_verify(mod, d);
    if (ok)
        ok = emit_optimize(mod, tm, o->opt_level, d);
    kiln_interrupt_mode interrupts = ok ? lower_interrupt_mode(o, LLVMGetTarget(mod)) : 0;
    if (ok && interrupts != KILN_INTERRUPT_NONE) {
        emit_interrupt_checks(mod, interrupts == KILN_INTERRUPT_FULL);
        if (verify_requested(o))
            ok = emit_verify(mod, d);
    }
    if (ok)
        ok = emit_output(mod, tm, o->emit, out, out_size, d);
    if (td)
        LLVMDisposeTargetData(td);
    if (mod)
        LLVMDisposeModule(mod);
    if (tm)
        LLVMDisposeTargetMachine(tm);
    LLVMContextDispose(ctx);
    return ok;
}

/* What the worker threads share: part i's object goes to objects[i]. */
typedef struct parts_job {
    const kiln_compile_options *o;
    const wasm_module *m;
    const char *prefix, *name;
    const lower_part *parts;
    uint8_t **objects;
    size_t *sizes;
} parts_job;

static bool generate_one(void *ctx, uint32_t i, kiln_diag *d)
{
    const parts_job *j = ctx;
    return generate_part(j->o, j->m, j->prefix, j->name, &j->parts[i], &j->objects[i], &j->sizes[i],
                         d);
}

/* Objects for ELF targets are split into parts (partition.c) when the module is large; a
 * module of one part is compiled on the calling thread, as before splitting existed.
 * Assembly and IR are for reading, so they always show the module as one unit. */
static bool splittable(const kiln_compile_options *o)
{
    if (o->emit != KILN_EMIT_OBJ)
        return false;
    char *triple = o->triple ? LLVMNormalizeTargetTriple(o->triple) : LLVMGetDefaultTargetTriple();
    bool elf = lower_triple_is_elf(triple);
    LLVMDisposeMessage(triple);
    return elf;
}

static bool generate(const kiln_compile_options *o, const wasm_module *m, const char *prefix,
                     const char *name, kiln_compile_result *res, kiln_diag *d)
{
    lower_part whole = {.first = m->func_import_count, .end = m->func_count, .descriptor = true};
    if (!splittable(o))
        return generate_part(o, m, prefix, name, &whole, &res->output, &res->output_size, d);
    lower_part *parts;
    uint32_t count = part_plan(m, o->partition_size, &parts, d);
    if (count == 0)
        return false;
    if (count == 1) {
        free(parts);
        return generate_part(o, m, prefix, name, &whole, &res->output, &res->output_size, d);
    }
    uint8_t **objects = calloc(count, sizeof *objects);
    size_t *sizes = calloc(count, sizeof *sizes);
    bool ok = objects && sizes;
    if (!ok)
        kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    /* A caller's allocator has no thread-safety contract: its compilations use one thread
     * (the output is the same). */
    unsigned jobs = o->alloc ? 1 : part_jobs(o->jobs);
    parts_job job = {o, m, prefix, name, parts, objects, sizes};
    ok = ok && part_run(count, jobs, generate_one, &job, d);
    ok = ok && part_merge(objects, sizes, count, &res->output, &res->output_size, d);
    for (uint32_t i = 0; objects && i < count; i++)
        free(objects[i]);
    free(objects);
    free(sizes);
    free(parts);
    return ok;
}

bool kiln_compile(const kiln_compile_options *o, kiln_compile_result *result, kiln_diag *d)
{
    kiln_diag_init(d);
    kiln_compile_result res;
    memset(&res, 0, sizeof res);
    if (result)
        memset(result, 0, sizeof *result);
    if (o->opt_level < 0 || o->opt_level > 3)
        return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET, "optimisation level %d not in 0-3",
                             o->opt_level);

    const char *path = o->input_path ? o->input_path : "module.wasm";
    char prefix[KILN_MAX_PREFIX + 1];
    if (o->prefix) {
        if (!kiln_prefix_valid(o->prefix))
            return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                                 "prefix '%.64s' is not a C identifier of at most %u bytes",
                                 o->prefix, KILN_MAX_PREFIX);
        memcpy(prefix, o->prefix, strlen(o->prefix) + 1);
    } else {
        kiln_prefix_from_path(path, prefix, sizeof prefix);
    }

    host_file owned = {0};
    const uint8_t *bytes = o->input;
    size_t size = o->input_size;
    if (!bytes) {
        if (!o->input_path)
            return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "no input");
        if (!host_read_file(o->input_path, &owned, d))
            return false;
        bytes = owned.data;
        size = owned.size;
    }

    wasm_module m;
    bool ok = kiln_decode(&m, bytes, size, o->alloc, d);
    if (ok)
        ok = kiln_validate(&m, o->alloc, d);
    if (ok)
        ok = generate(o, &m, prefix, base_name(path), &res, d);
    if (ok && (o->header_path || o->want_header))
        ok = kiln_header_generate(&m, prefix, base_name(path), &res.header, &res.header_size, d);
    wasm_module_free(&m);
    host_file_free(&owned);

    if (ok && o->output_path)
        ok = host_write_file(o->output_path, res.output, res.output_size, 0666, d);
    if (ok && o->header_path) {
        ok = host_write_file(o->header_path, res.header, res.header_size, 0666, d);
        if (!ok && o->output_path)
            remove(o->output_path); /* all or nothing */
    }
    if (ok && result) {
        *result = res;
        if (!o->want_header) {
            free(result->header);
            result->header = NULL;
            result->header_size = 0;
        }
        return true;
    }
    kiln_compile_result_free(&res);
    return ok;
}
