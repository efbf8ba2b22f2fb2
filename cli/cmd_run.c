/* cmd_run.c -- `kiln run`: compile a WASI command module (cached), load it into this process
 * and run it (docs/run.md).
 *
 * The object is linked into a shared object (loader.c), kept in the cache ($XDG_CACHE_HOME/kiln
 * or ~/.cache/kiln) under a hash of the module bytes, the options, Kiln's version and ABI
 * version, with a checksum file beside it; an entry whose checksum does not match is rebuilt.
 * Then kiln_wasi_run_main_flags runs the module; its exit status is kiln's.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kiln/wasi_main.h"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

const char cli_run_help[] =
    "Usage: kiln run [--dir HOST[::GUEST]]... [--ro-dir HOST[::GUEST]]...\n"
    "                [--env NAME[=VALUE]]... [--timeout DURATION] [-O0..-O3] [-v]\n"
    "                FILE.wasm [ARGS...]\n"
    "\n"
    "Compile a WASI command module (cached), load it into this process and call _start with\n"
    "the arguments FILE.wasm ARGS... The options are those of `wasmtime run`.\n"
    "\n"
    "Options:\n"
    "  --dir HOST[::GUEST]  give the guest the host directory HOST under the name GUEST\n"
    "                       (default: HOST); repeatable\n"
    "  --ro-dir HOST[::GUEST]  the same, read-only: the guest can create, change or\n"
    "                       remove nothing there; repeatable\n"
    "  --allow-special-fs   let the directories reach /proc, /sys and device files\n"
    "                       (refused by default: they expose the host, not files)\n"
    "  -v, --verbose        say on stderr why the sandbox refused or narrowed a request\n"
    "                       (also KILN_WASI_VERBOSE=1 in the environment)\n"
    "  --env NAME=VALUE     set an environment variable for the guest; --env NAME passes\n"
    "                       this process's NAME if set; repeatable\n"
    "  --timeout DURATION   stop the guest after DURATION (e.g. 500ms, 10s, 2m; a number\n"
    "                       alone is seconds): 'kiln: timeout: ...' and exit status 124\n"
    "  -O0 -O1 -O2 -O3      optimisation level (default -O2)\n"
    "  --bounds-checks      explicit bounds checks instead of guard pages\n"
    "  --interrupt-checks MODE  signal (default), full or none: how running calls can be\n"
    "                       stopped (as kiln compile; none: no --timeout)\n"
    "  --no-interrupt-checks  the same as --interrupt-checks none\n"
    "  -h, --help           show this help\n"
    "\n"
    "Compiled modules are cached in $XDG_CACHE_HOME/kiln (default ~/.cache/kiln).\n"
    "Exit status: the guest's proc_exit code (0 when _start returns); 134 the guest trapped\n"
    "('kiln: trap: MESSAGE' on stderr); 124 --timeout passed; 125 the module could not be\n"
    "started (a missing import or directory); 1 the module cannot be compiled or loaded;\n"
    "2 usage error.\n";

/* ---- The cache ---- */

/* Two FNV-1a-64 streams with different bases: a 128-bit key for non-adversarial input. */
typedef struct hash128 {
    uint64_t a, b;
} hash128;

static void hash_init(hash128 *h)
{
    h->a = 0xcbf29ce484222325u;
    h->b = 0x84222325cbf29ce4u;
}

static void hash_bytes(hash128 *h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ p[i]) * 0x100000001b3u;
        h->b = (h->b ^ (uint8_t)(p[i] + 0x5b)) * 0x100000001b3u;
    }
}

static void hash_string(hash128 *h, const char *s)
{
    hash_bytes(h, s, strlen(s) + 1);
}

/* $XDG_CACHE_HOME/kiln or ~/.cache/kiln, created if missing; false if there is none. */
static bool cache_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/kiln", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, size, "%s/.cache/kiln", home);
    else
        return false;
    return n < (int)size && host_make_dirs(out) && access(out, W_OK) == 0;
}

static void sum_text(const host_file *f, char *out, size_t size)
{
    hash128 h;
    hash_init(&h);
    hash_bytes(&h, f->data, f->size);
    snprintf(out, size, "%016llx%016llx %zu\n", (unsigned long long)h.a, (unsigned long long)h.b,
             f->size);
}

/* True if so_path and its .sum file agree. */
static bool cache_valid(const char *so_path, const char *sum_path)
{
    host_file so, sum;
    kiln_diag d;
    if (!host_read_file(so_path, &so, &d))
        return false;
    bool ok = false;
    if (host_read_file(sum_path, &sum, &d)) {
        char want[80];
        sum_text(&so, want, sizeof want);
        ok = sum.size == strlen(want) && memcmp(sum.data, want, sum.size) == 0;
        host_file_free(&sum);
    }
    host_file_free(&so);
    return ok;
}

/* ---- Running ---- */

/* Compiles and links the module into a shared object: the cached one when it is valid, else a
 * new one (stored in the cache when there is one). so_path receives its path; tmp_dir is set
 * (non-empty) when it lives in a temporary directory the caller removes. */
static int prepare_shared(const cli_app_opts *o, char *so_path, size_t size, char *tmp_dir)
{
    host_file f;
    kiln_diag d;
    if (!host_read_file(o->input, &f, &d)) {
        cli_print_diag(stderr, &d, o->input);
        return CLI_EXIT_FAIL;
    }
    hash128 h;
    hash_init(&h);
    hash_bytes(&h, f.data, f.size);
    char opt[16];
    snprintf(opt, sizeof opt, "-O%d", o->opt_level);
    hash_string(&h, opt);
    if (o->bounds_checks)
        hash_string(&h, "--bounds-checks");
    char interrupts[32];
    snprintf(interrupts, sizeof interrupts, "--interrupt-checks %d", (int)o->interrupts);
    hash_string(&h, interrupts);
    hash_string(&h, "kiln " KILN_VERSION);
    char abi[16];
    snprintf(abi, sizeof abi, "abi %u", (unsigned)KILN_ABI_VERSION);
    hash_string(&h, abi);
    const char *base = strrchr(o->input, '/');
    hash_string(&h, base ? base + 1 : o->input); /* names the module in the object */

    char dir[HOST_PATH_SIZE], sum_path[HOST_PATH_SIZE + 8];
    bool cached = cache_dir(dir, sizeof dir);
    if (cached) {
        int n = snprintf(so_path, size, "%s/%016llx%016llx.so", dir, (unsigned long long)h.a,
                         (unsigned long long)h.b);
        int m = snprintf(sum_path, sizeof sum_path, "%s.sum", so_path);
        cached = n >= 0 && (size_t)n < size && m >= 0 && (size_t)m < sizeof sum_path;
        if (cached && cache_valid(so_path, sum_path)) {
            host_file_free(&f);
            return CLI_EXIT_OK;
        }
    }

    char linker[HOST_PATH_SIZE], err[HOST_PATH_SIZE + 256];
    if (!host_find_lld(linker, sizeof linker)) {
        host_file_free(&f);
        return cli_app_fail(o->cmd, "no ld.lld-19 or ld.lld on PATH (install lld)");
    }
    if (!host_make_temp_dir("kiln-build", tmp_dir, HOST_PATH_SIZE)) {
        tmp_dir[0] = '\0';
        host_file_free(&f);
        return cli_app_fail(o->cmd, "cannot create a temporary directory: %s", strerror(errno));
    }
    int status = cli_app_compile(o, &f, tmp_dir);
    host_file_free(&f);
    if (status != CLI_EXIT_OK)
        return status;
    char obj[HOST_PATH_SIZE + 16], built[HOST_PATH_SIZE + 16];
    snprintf(obj, sizeof obj, "%s/app.o", tmp_dir);
    snprintf(built, sizeof built, "%s/app.so", tmp_dir);
    const char *objects[] = {obj};
    if (!loader_link(linker, objects, 1, NULL, built, err, sizeof err))
        return cli_app_fail(o->cmd, "linking failed: %s", err);
    host_file so;
    if (cached && host_read_file(built, &so, &d)) {
        char sum[80];
        sum_text(&so, sum, sizeof sum);
        bool stored = host_write_file(so_path, so.data, so.size, 0644, &d) &&
                      host_write_file(sum_path, sum, strlen(sum), 0644, &d);
        host_file_free(&so);
        if (stored)
            return CLI_EXIT_OK;
    }
    snprintf(so_path, size, "%s", built); /* no cache: run the temporary one */
    return CLI_EXIT_OK;
}

/* Loads the shared object and runs its module as a WASI command; returns the exit status. */
static int run_shared(const cli_app_opts *o, const char *so_path, int argc, char **argv)
{
    const kiln_module *m;
    char err[HOST_PATH_SIZE + 256];
    if (!loader_open(so_path, CLI_APP_PREFIX "_module", &m, err, sizeof err))
        return cli_app_fail(o->cmd, "%s", err);
    kiln_wasi_preopen dirs[CLI_MAX_DIRS];
    for (size_t i = 0; i < o->dir_count; i++)
        dirs[i] = (kiln_wasi_preopen){.host_path = o->dir_hosts[i],
                                      .guest_path = o->dir_guests[i],
                                      .flags = cli_app_dir_flags(o, i)};
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.preopens = dirs;
    cfg.preopen_count = o->dir_count;
    cfg.env = o->envs;
    cfg.env_count = o->env_count;
    cfg.timeout_ns = o->timeout_ns;
    if (o->verbose)
        cfg.flags |= KILN_WASI_VERBOSE;
    fflush(stdout);
    fflush(stderr);
    /* kiln run exits with this status: the instance is left to the OS (no 8 GiB unmap). */
    return kiln_wasi_run_main_flags(m, &cfg, KILN_WASI_MAIN_AT_EXIT, argc, argv);
}

static int do_run(cli_app_opts *o, int argc, char **argv)
{
    char so_path[HOST_PATH_SIZE + 64], tmp[HOST_PATH_SIZE] = "";
    int status = prepare_shared(o, so_path, sizeof so_path, tmp);
    if (status == CLI_EXIT_OK)
        status = run_shared(o, so_path, argc, argv);
    if (tmp[0])
        host_remove_dir(tmp);
    return status;
}

int cli_run(int argc, char **argv)
{
    return cli_app_main("run", true, argc, argv, do_run);
}
