/* cli_run_host.c -- the runtime side of `kiln run`: load the module's shared object and run
 * it with kiln_wasi_run_main. Kept apart from cli_build.c because the toolchain's internal.h
 * and the runtime's kiln.h both define kiln_module, kiln_table and kiln_memory.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_build.h"
#include "kiln/abi.h"
#include "kiln/wasi_main.h"

unsigned cli_run_abi_version(void)
{
    return (unsigned)KILN_ABI_VERSION;
}

int cli_run_shared(const char *cmd, const char *so_path, const char *symbol,
                   const char *const *dir_hosts, const char *const *dir_guests, size_t dir_count,
                   const char *const *envs, size_t env_count, int argc, char **argv)
{
    void *handle = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *e = dlerror();
        fprintf(stderr, "kiln %s: error: cannot load %s: %s\n", cmd, so_path,
                e ? e : "unknown error");
        return 1;
    }
    const kiln_module *m = (const kiln_module *)dlsym(handle, symbol);
    if (m == NULL) {
        fprintf(stderr, "kiln %s: error: %s has no symbol %s\n", cmd, so_path, symbol);
        return 1;
    }
    kiln_wasi_preopen *dirs = NULL;
    if (dir_count > 0 && (dirs = calloc(dir_count, sizeof *dirs)) == NULL) {
        fprintf(stderr, "kiln %s: error: out of memory\n", cmd);
        return 1;
    }
    for (size_t i = 0; i < dir_count; i++)
        dirs[i] = (kiln_wasi_preopen){.host_path = dir_hosts[i], .guest_path = dir_guests[i]};
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.preopens = dirs;
    cfg.preopen_count = dir_count;
    cfg.env = envs;
    cfg.env_count = env_count;
    fflush(stdout);
    fflush(stderr);
    /* kiln run exits with this status: the instance is left to the OS (no 8 GiB unmap). */
    int status = kiln_wasi_run_main_flags(m, &cfg, KILN_WASI_MAIN_AT_EXIT, argc, argv);
    free(dirs);
    /* Not dlclose'd: the module's code stays registered with the runtime's fault handler. */
    return status;
}
