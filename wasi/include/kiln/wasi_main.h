/* wasi_main.h -- run a Kiln-compiled WASI command module as a program's main (libkiln_wasi).
 *
 * `kiln build` links executables whose main() is a few generated lines around
 * kiln_wasi_run_main; `kiln run` calls it in-process on a dlopen'ed module. docs/run.md.
 *
 *   int main(int argc, char **argv)
 *   {
 *       kiln_wasi_config cfg;
 *       kiln_wasi_config_init(&cfg);        // + preopens, env
 *       return kiln_wasi_run_main(&app_module, &cfg, argc, argv);
 *   }
 */
#ifndef KILN_WASI_MAIN_H
#define KILN_WASI_MAIN_H

#include <stdbool.h>

#include "kiln/wasi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exit statuses besides the guest's own proc_exit code (docs/run.md). */
#define KILN_WASI_MAIN_EXIT_TRAP    134 /* the guest trapped (128 + SIGABRT, as wasmtime) */
#define KILN_WASI_MAIN_EXIT_ERROR   125 /* the module could not be started (link, preopen, ...) */
#define KILN_WASI_MAIN_EXIT_TIMEOUT 124 /* config->timeout_ns passed (as timeout(1)) */

/* Instantiates module with the WASI imports made from config (its argv/argc are replaced by
 * argc/argv: argv[0] is the program name the guest sees), calls the export `_start` and
 * returns the process exit status: the guest's proc_exit code (truncated to 0..255 like any
 * exit status), 0 when _start returns, KILN_WASI_MAIN_EXIT_TRAP after printing
 * "kiln: trap: MESSAGE" to stderr, KILN_WASI_MAIN_EXIT_TIMEOUT after printing "kiln: timeout:
 * the guest ran longer than DURATION" (config->timeout_ns: a thread interrupts the guest,
 * kiln_instance_interrupt, which stops it in wasm code or when a host call returns; a guest
 * sleeping in poll_oneoff wakes for it), or KILN_WASI_MAIN_EXIT_ERROR after printing
 * "kiln: error: MESSAGE". Flushes nothing of the host's stdio and never calls exit(). With
 * KILN_WASI_VERBOSE=1 in the host's environment, config->flags gets KILN_WASI_VERBOSE
 * (kiln/wasi.h).
 * wasi-threads (docs/threads.md): a module importing a shared memory gets one made from the
 * import's limits, and one importing "wasi" "thread-spawn" runs each thread it spawns on a
 * host thread of its own, in an instance of its own; the first _start return, proc_exit,
 * trap or timeout on any thread gives the status and stops the other threads (waited for
 * before returning, unless KILN_WASI_MAIN_AT_EXIT). */
int kiln_wasi_run_main(const kiln_module *module, const kiln_wasi_config *config, int argc,
                       char **argv);
/* Imports beyond WASI (a host's own functions, another instance's exports) come from
 * config->imports and bind before WASI's; sealed imports get config->import_env. An import
 * nobody provides fails the start (KILN_WASI_MAIN_EXIT_ERROR) with one message naming them
 * all: "kiln: error: unknown or incompatible import: unknown imports: "bench" "start", "bench"
 * "end"". */

/* The same; with inherit_env, the host's environment (environ) is given to the guest first,
 * followed by config->env (a NAME set in both has both entries, the configured one last). */
int kiln_wasi_run_main_env(const kiln_module *module, const kiln_wasi_config *config,
                           bool inherit_env, int argc, char **argv);

/* Flags of kiln_wasi_run_main_flags. */
#define KILN_WASI_MAIN_INHERIT_ENV 0x1u /* as inherit_env above */
/* The caller ends the process with the returned status right away (a generated main, `kiln
 * run`): the instance, its memory reservation and the WASI state are not torn down but left
 * to the OS, still reachable from a static so leak checkers do not report them. Unmapping a
 * touched 8 GiB reservation costs ~0.1 ms, a twentieth of a hello world's whole run. Call it
 * at most once per process with this flag. */
#define KILN_WASI_MAIN_AT_EXIT 0x2u

/* kiln_wasi_run_main with KILN_WASI_MAIN_* flags; unknown flags are an error (status
 * KILN_WASI_MAIN_EXIT_ERROR). */
int kiln_wasi_run_main_flags(const kiln_module *module, const kiln_wasi_config *config,
                             unsigned flags, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
