/* cli_build.h -- `kiln build` and `kiln run` (cli_build.c, in the kiln program). */
#ifndef KILN_TOOLCHAIN_CLI_BUILD_H
#define KILN_TOOLCHAIN_CLI_BUILD_H

#include <stddef.h>

/* `kiln build FILE.wasm -o APP ...`: a WASI command module -> a native executable. */
extern const char kiln_cli_build_help[];
int kiln_cli_build(int argc, char **argv);

/* `kiln run [OPTIONS] FILE.wasm [ARGS...]`: compile (cached), dlopen and run in-process. */
extern const char kiln_cli_run_help[];
int kiln_cli_run(int argc, char **argv);

/* cli_run_host.c (which sees the runtime's headers, not the toolchain's): dlopens so_path and
 * runs its module `symbol` with kiln_wasi_run_main; returns the exit status. */
int cli_run_shared(const char *cmd, const char *so_path, const char *symbol,
                   const char *const *dir_hosts, const char *const *dir_guests, size_t dir_count,
                   const char *const *envs, size_t env_count, int argc, char **argv);
/* KILN_ABI_VERSION, for the cache key. */
unsigned cli_run_abi_version(void);

#endif
