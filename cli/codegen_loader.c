/* codegen_loader.c -- kiln_compile for the kiln program: opens the codegen plugin on first use.
 *
 * codegen_plugin.h says why the program does not link LLVM. The plugin is looked for beside
 * the program (the build tree: bin/kiln and bin/libkiln-codegen.so) and then in
 * ../LIBDIR/kiln/ (an installed prefix: bin/kiln and lib/kiln/libkiln-codegen.so), both found
 * from /proc/self/exe so that a relocated prefix keeps working. Nothing is searched on
 * LD_LIBRARY_PATH or the current directory.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* PATH_MAX */

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen_plugin.h"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif
#ifndef KILN_INSTALL_LIBDIR
#define KILN_INSTALL_LIBDIR "lib"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const kiln_codegen_api *loaded;
static char load_error[PATH_MAX + 256];

/* Tries dir/rel; on failure appends the reason to load_error. */
static const kiln_codegen_api *try_open(const char *dir, const char *rel)
{
    char path[PATH_MAX + 64];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    if (access(path, F_OK) != 0)
        return NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        kiln_msg(load_error, sizeof load_error, "cannot load %s: %s", path, why ? why : "?");
        return NULL;
    }
    const kiln_codegen_api *api = dlsym(h, KILN_CODEGEN_ENTRY_SYMBOL);
    if (api == NULL || api->api_version != KILN_CODEGEN_API_VERSION ||
        api->options_size != sizeof(kiln_compile_options) ||
        api->result_size != sizeof(kiln_compile_result) || api->diag_size != sizeof(kiln_diag) ||
        strcmp(api->version, KILN_VERSION) != 0) {
        kiln_msg(load_error, sizeof load_error, "%s is not the code generator of kiln %s", path,
                 KILN_VERSION);
        dlclose(h);
        return NULL;
    }
    return api; /* the handle stays open for the life of the process */
}

static void load(void)
{
    char exe[PATH_MAX];
    if (!host_exe_dir(exe, sizeof exe)) {
        kiln_msg(load_error, sizeof load_error, "cannot find the kiln program's directory");
        return;
    }
    kiln_msg(load_error, sizeof load_error,
             "the code generator " KILN_CODEGEN_PLUGIN_FILE " is not beside %s/kiln nor in "
             "%s/../" KILN_INSTALL_LIBDIR "/kiln",
             exe, exe);
    loaded = try_open(exe, KILN_CODEGEN_PLUGIN_FILE);
    if (loaded == NULL)
        loaded = try_open(exe, "../" KILN_INSTALL_LIBDIR "/kiln/" KILN_CODEGEN_PLUGIN_FILE);
}

/*
 * --cpu NAME goes to LLVM as it is. LLVM warns about a name it does not know and carries on
 * with a generic CPU, or, for x86-64, stops the process with abort() ("64-bit code requested
 * on a subtarget that doesn't support it", also for real 32-bit CPUs such as i386). So the
 * first compilation with a CPU other than generic and native first compiles a one-function
 * module for that triple and CPU in a child process, with the child's stderr in a pipe: a
 * crash or a message from LLVM there becomes an error here, before anything is written.
 * The answer is kept for the next compilation with the same triple and CPU.
 */
static pthread_mutex_t cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static char cpu_checked[256]; /* "triple\ncpu" of the last CPU that passed */

static bool cpu_probe(const char *triple, const char *cpu, kiln_diag *d)
{
    /* (module (func (param f64) (result f64) local.get 0)) */
    static const uint8_t one_func[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06,
                                       0x01, 0x60, 0x01, 0x7c, 0x01, 0x7c, 0x03, 0x02, 0x01, 0x00,
                                       0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b};
    int fds[2];
    if (pipe(fds) != 0)
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "cannot check --cpu: pipe failed");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "cannot check --cpu: fork failed");
    }
    if (pid == 0) {
        struct rlimit no_core = {0, 0}; /* LLVM may abort(): no core file for that */
        setrlimit(RLIMIT_CORE, &no_core);
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
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
        bool ok = loaded->compile(&o, &r, &cd);
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
    const char *llvm_says = out[0] ? out : "the code generator crashed";
    return kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET,
                         "--cpu '%.40s' cannot be used for %.60s: %.80s", cpu,
                         triple ? triple : "this machine", llvm_says);
}

static bool cpu_usable(const char *triple, const char *cpu, kiln_diag *d)
{
    if (cpu == NULL || strcmp(cpu, "generic") == 0 || strcmp(cpu, "native") == 0)
        return true; /* checked by the code generator itself */
    char key[sizeof cpu_checked];
    int n = snprintf(key, sizeof key, "%s\n%s", triple ? triple : "", cpu);
    if (n < 0 || (size_t)n >= sizeof key)
        return kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET, "--cpu '%.40s...' is too long", cpu);
    pthread_mutex_lock(&cpu_lock);
    bool ok = strcmp(key, cpu_checked) == 0 || cpu_probe(triple, cpu, d);
    if (ok)
        memcpy(cpu_checked, key, (size_t)n + 1);
    pthread_mutex_unlock(&cpu_lock);
    return ok;
}

bool kiln_compile(const kiln_compile_options *o, kiln_compile_result *result, kiln_diag *d)
{
    pthread_once(&load_once, load);
    kiln_diag_init(d);
    if (loaded == NULL)
        kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "%s", load_error);
    if (loaded == NULL || !cpu_usable(o->triple, o->cpu, d)) {
        if (result)
            memset(result, 0, sizeof *result);
        return false;
    }
    return loaded->compile(o, result, d);
}
