/* compile.c -- THE pipeline, one call after another:
 *
 *     check the target -> read -> decode -> validate -> lower -> verify -> optimise -> emit
 *     (+ header)
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
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llvm-c/ErrorHandling.h>
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
    if (ok) {
        emit_function_attributes(mod, o->cpu, o->size_level);
        ok = emit_optimize(mod, tm, o->size_level ? -o->size_level : o->opt_level, d);
    }
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

static bool compile_unchecked(const kiln_compile_options *o, kiln_compile_result *result,
                              kiln_diag *d);

/* ---- The target, checked before anything is compiled ----
 *
 * An unknown triple is an error from LLVMGetTargetFromTriple. A CPU name is harder: LLVM
 * warns on stderr about a name it does not know and compiles for a generic CPU instead, and
 * for a CPU that cannot run the target (i386 for x86-64, a 32-bit RISC-V core for riscv64)
 * it reports a fatal error, which ends the process: a fatal-error handler cannot return to
 * the caller. So a CPU other than "generic" and "native" is tried first, once per triple
 * and CPU for the life of the process: a child process (fork) compiles a one-function module
 * for them with its stderr in a pipe and LLVM's fatal-error handler installed to write the
 * reason there and leave the child. A message or a failure in the child becomes this
 * compilation's error; nothing is written and the caller's process goes on. The child only
 * uses LLVM state of its own (a fresh context) and the targets registered before the fork. */

static void fatal_in_child(const char *reason)
{
    static const char prefix[] = "LLVM ERROR: ";
    if (write(STDERR_FILENO, prefix, sizeof prefix - 1) >= 0 &&
        write(STDERR_FILENO, reason, strlen(reason)) >= 0)
        (void)!write(STDERR_FILENO, "\n", 1);
    _exit(3);
}

static bool probe_cpu(const char *triple, const char *cpu, kiln_diag *d)
{
    /* (module (func (param f64) (result f64) local.get 0)) */
    static const uint8_t one_func[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06,
                                       0x01, 0x60, 0x01, 0x7c, 0x01, 0x7c, 0x03, 0x02, 0x01, 0x00,
                                       0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b};
    int fds[2];
    if (pipe(fds) != 0)
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "cannot check --cpu: pipe: %s",
                             strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "cannot check --cpu: fork: %s",
                             strerror(e));
    }
    if (pid == 0) {
        struct rlimit no_core = {0, 0}; /* a crash here is an answer, not a core file */
        setrlimit(RLIMIT_CORE, &no_core);
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        LLVMInstallFatalErrorHandler(fatal_in_child);
        kiln_compile_options o;
        kiln_compile_options_init(&o);
        o.input_path = "cpu-check.wasm";
        o.input = one_func;
        o.input_size = sizeof one_func;
        o.opt_level = 0;
        o.triple = triple;
        o.cpu = cpu;
        o.jobs = 1;
        kiln_compile_result r;
        kiln_diag cd;
        kiln_diag_init(&cd);
        bool ok = compile_unchecked(&o, &r, &cd);
        if (!ok)
            fprintf(stderr, "%s\n", cd.msg);
        fflush(stderr);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    char out[1024];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fds[0], out + used, sizeof out - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof out - 1) { /* the first line is enough; drain the rest */
            char sink[256];
            while (read(fds[0], sink, sizeof sink) > 0)
                ;
            break;
        }
    }
    out[used] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && used == 0)
        return true;
    out[strcspn(out, "\n")] = '\0';
    char crashed[64];
    snprintf(crashed, sizeof crashed, "the code generator was killed by signal %d",
             WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET,
                         "--cpu '%.40s' cannot be used for %.60s: %.80s", cpu,
                         triple ? triple : "this machine", out[0] ? out : crashed);
}

/* The last triple and CPU that passed, so a build of many modules probes once. */
static pthread_mutex_t checked_lock = PTHREAD_MUTEX_INITIALIZER;
static char checked[256];

static bool check_target(const kiln_compile_options *o, kiln_diag *d)
{
    /* The triple: LLVM knows it (and so registers its targets before any fork). */
    LLVMTargetMachineRef tm;
    if (!emit_target_machine(o->triple, NULL, o->opt_level, &tm, d))
        return false;
    LLVMDisposeTargetMachine(tm);
    const char *cpu = o->cpu;
    if (cpu == NULL || strcmp(cpu, "generic") == 0 || strcmp(cpu, "native") == 0)
        return true; /* emit_target_machine knows these (native: only for this machine) */
    char key[sizeof checked];
    int n = snprintf(key, sizeof key, "%s\n%s", o->triple ? o->triple : "", cpu);
    if (n < 0 || (size_t)n >= sizeof key)
        return kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET, "--cpu '%.40s...' is too long", cpu);
    pthread_mutex_lock(&checked_lock);
    bool ok = strcmp(key, checked) == 0 || probe_cpu(o->triple, cpu, d);
    if (ok)
        memcpy(checked, key, (size_t)n + 1);
    pthread_mutex_unlock(&checked_lock);
    return ok;
}

/* ---- The pipeline ---- */

bool kiln_compile(const kiln_compile_options *o, kiln_compile_result *result, kiln_diag *d)
{
    kiln_diag_init(d);
    if (result)
        memset(result, 0, sizeof *result);
    if (o->opt_level < 0 || o->opt_level > 3)
        return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET, "optimisation level %d not in 0-3",
                             o->opt_level);
    if (o->size_level < 0 || o->size_level > 2 || (o->size_level && o->opt_level != 2))
        return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                             "size level %d with -O%d: -Os and -Oz are 1 and 2 at -O2",
                             o->size_level, o->opt_level);
    if (!check_target(o, d))
        return false;
    return compile_unchecked(o, result, d);
}

static bool compile_unchecked(const kiln_compile_options *o, kiln_compile_result *result,
                              kiln_diag *d)
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

    uint8_t *converted; /* module text, converted to its binary encoding (on o->alloc) */
    if (!kiln_module_input_with(bytes, size, o->alloc, &bytes, &size, &converted, d)) {
        host_file_free(&owned);
        return false;
    }
    wasm_module m;
    bool ok = kiln_decode(&m, bytes, size, o->alloc, d);
    if (ok)
        ok = kiln_validate_to_compile(&m, o->alloc, d);
    if (ok)
        ok = kiln_check_features(&m, o->disabled_features, o->alloc, d);
    if (!ok && converted) /* the failing instruction's line:column in the text */
        kiln_wat_locate(o->input ? o->input : owned.data, o->input ? o->input_size : owned.size, d);
    if (ok)
        ok = generate(o, &m, prefix, base_name(path), &res, d);
    if (ok && (o->header_path || o->want_header))
        ok = kiln_header_generate(&m, prefix, base_name(path), o->sealed_imports, &res.header,
                                  &res.header_size, d);
    wasm_module_free(&m);
    if (converted && o->alloc)
        o->alloc->realloc(o->alloc->ud, converted, 0);
    else
        free(converted);
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
