/* wasi.h -- wasi_snapshot_preview1 for Kiln-compiled modules (libkiln_wasi).
 *
 *   kiln_wasi_config cfg;
 *   kiln_wasi_config_init(&cfg);                   // stdio = host 0/1/2, nothing else
 *   kiln_wasi_preopen dir = {.host_path = "/srv/data", .guest_path = "/data"};
 *   cfg.argv = argv; cfg.argc = argc; cfg.preopens = &dir; cfg.preopen_count = 1;
 *   kiln_wasi *wasi; kiln_imports imports;  int code = 0;
 *   if (kiln_wasi_new(&cfg, &wasi) != KILN_STATUS_OK) ... kiln_wasi_last_error() ...
 *   kiln_wasi_imports(wasi, &imports);
 *   kiln_instance_new(&prog_module, &imports, &inst);
 *   if (prog__start(inst) == KILN_TRAP_EXIT) kiln_wasi_exit_code(wasi, &code);
 *
 * A kiln_wasi is one guest's world: arguments, environment, and a descriptor table of its own
 * reaching only the configured stdio, preopened directories and sockets (docs/wasi.md). Its
 * imports may be called from several threads at once (the instances of one wasi-threads
 * program share one kiln_wasi: docs/threads.md); kiln_wasi_new, kiln_wasi_free and
 * kiln_wasi_imports are calls of one thread, before the first instance and after the last.
 */
#ifndef KILN_WASI_H
#define KILN_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The WASI snapshot this library implements: "wasi_snapshot_preview1" (the import module
 * name). A static string. */
const char *kiln_wasi_snapshot(void);

typedef struct kiln_wasi kiln_wasi;

/* kiln_wasi_preopen.flags */
#define KILN_WASI_PREOPEN_READONLY 0x1u /* no rights that create, change or remove anything */
/* Let paths beneath this directory reach special files: file systems that expose the host's
 * kernel and processes (procfs, sysfs, debugfs, cgroupfs, ...) and device files. Without it
 * (the default) such a path is EACCES and a preopen on one is refused (docs/wasi.md):
 * /proc/self/mem is the host process's own memory. Magic links stay refused either way. */
#define KILN_WASI_PREOPEN_SPECIAL_FS 0x2u

/* A host directory the guest sees as a pre-opened descriptor (fd 3, 4, ... in order). */
typedef struct kiln_wasi_preopen {
    const char *host_path;  /* directory on the host, opened by kiln_wasi_new */
    const char *guest_path; /* its name for the guest (fd_prestat_dir_name): "/", ".", "/data" */
    uint32_t flags;         /* KILN_WASI_PREOPEN_* */
} kiln_wasi_preopen;

/* kiln_wasi_config.flags */
/* Resolve paths with the component-by-component walk even where openat2(RESOLVE_BENEATH)
 * exists (e.g. under seccomp filters that fail openat2 with EPERM instead of ENOSYS). */
#define KILN_WASI_NO_OPENAT2 0x1u
/* Say on stderr, one "kiln: wasi: ..." line each, whenever the sandbox refuses a request (a
 * missing right, a special file) or narrows the rights path_open asked for. For finding out
 * why a guest fails; kiln_wasi_run_main* also sets it when the host's environment has
 * KILN_WASI_VERBOSE=1. */
#define KILN_WASI_VERBOSE 0x2u

typedef struct kiln_wasi_config {
    const char *const *argv; /* argc NUL-terminated strings; argv[0] is the program name */
    size_t argc;
    const char *const *env; /* env_count "NAME=value" strings */
    size_t env_count;
    const kiln_wasi_preopen *preopens;
    size_t preopen_count;
    /* Host sockets (e.g. a listening TCP socket) given to the guest as the descriptors after
     * the preopens, for sock_accept/sock_recv/sock_send/sock_shutdown. */
    const int *sockets;
    size_t socket_count;
    /* Host descriptors behind guest fds 0, 1 and 2, or -1 for none (the guest gets EBADF).
     * kiln_wasi_new duplicates them: the guest closing its fd 1 never closes the host's. */
    int stdin_fd, stdout_fd, stderr_fd;
    uint32_t max_fds; /* size limit of the guest descriptor table; 0 = 1024 */
    uint32_t flags;   /* KILN_WASI_* */
    /* kiln_wasi_run_main*: the guest is stopped after this many nanoseconds of running, with
     * KILN_WASI_MAIN_EXIT_TIMEOUT; 0 = no limit. kiln_wasi_new ignores it. */
    uint64_t timeout_ns;
    /* kiln_wasi_run_main*: imports beyond WASI (host functions, other instances' exports;
     * kiln_imports_concat makes one list of several), bound before WASI's, so they may
     * replace a WASI function too; NULL = none. Borrowed for the run. import_env is the env
     * of the module's sealed imports (kiln_instance_set_import_env), set before _start runs.
     * kiln_wasi_new ignores both. */
    const kiln_imports *imports;
    void *import_env;
} kiln_wasi_config;

/* Fills *config with the defaults: stdio = host descriptors 0, 1 and 2; no arguments,
 * environment, preopens or sockets; flags 0. */
void kiln_wasi_config_init(kiln_wasi_config *config);

/* Creates a WASI context from config (which, and whose strings, need not outlive the call:
 * everything is copied). Opens every preopen's host_path as a directory and duplicates the
 * stdio and socket descriptors (close-on-exec). Returns KILN_STATUS_ARG for a NULL or invalid
 * argument, a preopen that cannot be opened as a directory or (without
 * KILN_WASI_PREOPEN_SPECIAL_FS) is on a special file system, KILN_STATUS_NOMEM when an
 * allocation fails, KILN_STATUS_LIMIT when the descriptors do not fit max_fds;
 * kiln_wasi_last_error() then says why. *out is set only on success; release it with
 * kiln_wasi_free after every instance using its imports is freed. */
kiln_status kiln_wasi_new(const kiln_wasi_config *config, kiln_wasi **out);
/* Closes every descriptor the guest still holds and frees the context. NULL is ignored. */
void kiln_wasi_free(kiln_wasi *wasi);

/* The imports of module "wasi_snapshot_preview1": one host function per preview1 function,
 * typed exactly as the witx signatures lower to core wasm (i32/i64 parameters, one i32 errno
 * result; proc_exit has none). out->items points into wasi and stays valid until
 * kiln_wasi_free; an embedder with more imports copies the items into its own array. Each
 * function works on the memory 0 of the instance that calls it. */
kiln_status kiln_wasi_imports(kiln_wasi *wasi, kiln_imports *out);

/* proc_exit(code) unwinds the guest: the host function returns KILN_TRAP_EXIT, which the
 * runtime passes up as the trap of the call that entered wasm. Returns true and sets *out (if
 * non-NULL) to the code if the guest called proc_exit, false otherwise. */
bool kiln_wasi_exit_code(const kiln_wasi *wasi, int *out);

/* Why the calling thread's last kiln_wasi_new failed ("preopen \"/x\": No such file or
 * directory"), or "". Valid until the thread's next kiln_wasi_new. */
const char *kiln_wasi_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
