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
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

bool kiln_codegen_identity(char *buf, size_t size)
{
    char exe[PATH_MAX], path[PATH_MAX + 64];
    if (!host_exe_dir(exe, sizeof exe))
        return false;
    const char *rel[2] = {KILN_CODEGEN_PLUGIN_FILE,
                          "../" KILN_INSTALL_LIBDIR "/kiln/" KILN_CODEGEN_PLUGIN_FILE};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        int n = snprintf(path, sizeof path, "%s/%s", exe, rel[i]);
        if (n < 0 || (size_t)n >= sizeof path || stat(path, &st) != 0)
            continue;
        n = snprintf(buf, size, "%s %llu %llu %lld %lld.%09ld", path, (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino, (long long)st.st_size,
                     (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
        return n > 0 && (size_t)n < size;
    }
    return false;
}

bool kiln_compile(const kiln_compile_options *o, kiln_compile_result *result, kiln_diag *d)
{
    pthread_once(&load_once, load);
    kiln_diag_init(d);
    if (loaded == NULL) {
        kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "%s", load_error);
        if (result)
            memset(result, 0, sizeof *result);
        return false;
    }
    return loaded->compile(o, result, d); /* which checks --target and --cpu itself */
}
