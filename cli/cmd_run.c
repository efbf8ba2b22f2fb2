/* cmd_run.c -- `kiln run`: compile a WASI command module (cached), load it into this process
 * and run it (docs/run.md).
 *
 * The object is linked into a shared object (loader.c), kept in the cache ($XDG_CACHE_HOME/kiln
 * or ~/.cache/kiln, a private directory) under a hash of the module bytes, the options, Kiln's
 * version and ABI version, with a .sum file beside it that vouches for it; an entry that is
 * not exactly what this user wrote is rebuilt (the cache section below says how, and why the
 * check costs the same for every module size). Then kiln_wasi_run_main_flags runs the module;
 * its exit status is kiln's.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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
    "                [--preload NAME=FILE.wasm]... FILE.wasm [ARGS...]\n"
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
    "  --preload NAME=FILE.wasm  instantiate FILE first (with WASI, and the modules\n"
    "                       preloaded before it) and let FILE.wasm import its exports\n"
    "                       as module NAME; repeatable\n"
    "  -v, --verbose        say on stderr why the sandbox refused or narrowed a request\n"
    "                       (also KILN_WASI_VERBOSE=1 in the environment)\n"
    "  --env NAME=VALUE     set an environment variable for the guest; --env NAME passes\n"
    "                       this process's NAME if set; repeatable\n"
    "  --timeout DURATION   stop the guest after DURATION (e.g. 500ms, 10s, 2m; a number\n"
    "                       alone is seconds): 'kiln: timeout: ...' and exit status 124\n"
    "  -O0 -O1 -O2 -O3      optimisation level (default -O2); -Os, -Oz: smaller code\n"
    "  --cpu NAME           target CPU (default on x86-64 and aarch64: native, this\n"
    "                       machine's CPU and features, part of the cache key; elsewhere\n"
    "                       the port's baseline; e.g. x86-64-v2, generic)\n"
    "  --bounds-checks      explicit bounds checks instead of guard pages\n"
    "  -g                   debug info naming the guest's functions (as kiln compile;\n"
    "                       part of the cache key), for gdb on kiln run\n"
    "  --no-address-facts   exact address wrapping in 4 GiB memories, at a cost in\n"
    "                       speed (docs/abi.md)\n"
    "  --relaxed-dead-loads an out-of-bounds load whose value is never used may not\n"
    "                       trap (not conformant; measures what exact traps cost)\n"
    "  --interrupt-checks MODE  signal (default), full or none: how running calls can be\n"
    "                       stopped (as kiln compile; none: no --timeout)\n"
    "  --no-interrupt-checks  the same as --interrupt-checks none\n"
    "  --disable-FEATURE    refuse the module if it uses FEATURE (as kiln compile)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Compiled modules are cached in $XDG_CACHE_HOME/kiln (default ~/.cache/kiln).\n"
    "Exit status: the guest's proc_exit code (0 when _start returns); 134 the guest trapped\n"
    "('kiln: trap: MESSAGE' on stderr); 124 --timeout passed; 125 the module could not be\n"
    "started (a missing import or directory); 1 the module cannot be compiled or loaded;\n"
    "2 usage error.\n";

/* ---- The cache ----
 *
 * Entries live in a private directory (host_open_private_dir: ours, mode 0700, not a symlink,
 * checked on its descriptor) as KEY.so plus KEY.so.sum, both written here: created O_EXCL |
 * O_NOFOLLOW with mode 0600, fsync'ed, renamed into place. Whoever cannot write the directory
 * can neither plant nor swap an entry, so the warm check does not need to read the shared
 * object: it opens both files without following symlinks or blocking (a FIFO in their place
 * is a bad entry, not a hang), accepts only regular files of this user, and compares the
 * .sum, written when the entry was made, with the .so's fstat (size, device, inode, mtime to
 * the nanosecond) and a hash of its first and last 4 KiB. That costs the same for a 1 KiB
 * and a 100 MB module, and still catches what can happen to a private file: truncation, a
 * partial copy, an edit, replacement. Anything else is rebuilt and replaced. The shared
 * object is loaded through /proc/self/fd of the descriptor that was checked.
 */

/* A fast 128-bit hash (two 64-bit lanes over 16-byte blocks, then a murmur-style finaliser)
 * for keys and entry checks. Not cryptographic: it names entries in a private directory,
 * where only this user's own modules collide with each other. */
typedef struct hash128 {
    uint64_t a, b;
    uint64_t len;
    uint8_t tail[16];
    size_t tail_len;
} hash128;

#define HASH_K1 0x9e3779b97f4a7c15u
#define HASH_K2 0xc2b2ae3d27d4eb4fu
#define HASH_K3 0x165667b19e3779f9u
#define HASH_K4 0xd6e8feb86659fd93u

static uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void hash_init(hash128 *h)
{
    h->a = HASH_K3;
    h->b = HASH_K4;
    h->len = 0;
    h->tail_len = 0;
}

static void hash_block(hash128 *h, const uint8_t *p)
{
    h->a = rotl64(h->a ^ (load64(p) * HASH_K1), 31) * HASH_K2;
    h->b = rotl64(h->b ^ (load64(p + 8) * HASH_K2), 29) * HASH_K1;
}

static void hash_bytes(hash128 *h, const void *data, size_t n)
{
    const uint8_t *p = data;
    h->len += n;
    if (h->tail_len != 0) {
        size_t take = 16 - h->tail_len < n ? 16 - h->tail_len : n;
        memcpy(h->tail + h->tail_len, p, take);
        h->tail_len += take;
        p += take;
        n -= take;
        if (h->tail_len < 16)
            return;
        hash_block(h, h->tail);
        h->tail_len = 0;
    }
    for (; n >= 16; p += 16, n -= 16)
        hash_block(h, p);
    memcpy(h->tail, p, n);
    h->tail_len = n;
}

static void hash_string(hash128 *h, const char *s)
{
    hash_bytes(h, s, strlen(s) + 1);
}

static uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53u;
    return x ^ (x >> 33);
}

/* The hash as 32 hex digits. */
static void hash_hex(const hash128 *h0, char out[33])
{
    hash128 h = *h0;
    uint8_t last[16] = {0};
    memcpy(last, h.tail, h.tail_len);
    last[15] = (uint8_t)h.tail_len;
    hash_block(&h, last);
    uint64_t a = fmix64(h.a ^ h.len), b = fmix64(h.b ^ rotl64(h.len, 32));
    a += b;
    b += a;
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

/* The options and versions that make an entry, after the module's bytes. */
static void hash_options(hash128 *h, const cli_app_opts *o)
{
    char opt[64];
    snprintf(opt, sizeof opt, "-O%d", o->opt_level);
    hash_string(h, opt);
    if (o->size_level) { /* -Os, -Oz; keys of speed builds stay as they were */
        snprintf(opt, sizeof opt, "size %d", o->size_level);
        hash_string(h, opt);
    }
    if (o->bounds_checks)
        hash_string(h, "--bounds-checks");
    if (o->debug_info) /* -g: the same code with DWARF, a different object */
        hash_string(h, "-g");
    if (o->relaxed_dead_loads)
        hash_string(h, "--relaxed-dead-loads");
    if (o->no_address_facts)
        hash_string(h, "--no-address-facts");
    snprintf(opt, sizeof opt, "--interrupt-checks %d", (int)o->interrupts);
    hash_string(h, opt);
    if (o->disabled_features) {
        snprintf(opt, sizeof opt, "--disable %#x", (unsigned)o->disabled_features);
        hash_string(h, opt);
    }
    /* --cpu native: the key holds what "native" means on this machine, so a cache shared by
     * machines with other CPUs (a home directory on NFS) never hands one the other's code. */
    hash_string(h, "--cpu");
    hash_string(h, o->cpu ? o->cpu : "generic");
    if (o->cpu != NULL && strcmp(o->cpu, "native") == 0) {
        char cpu[4096];
        host_cpu_key(cpu, sizeof cpu);
        hash_string(h, cpu);
    }
    hash_string(h, "kiln " KILN_VERSION);
    /* The code generator's own identity: a rebuilt one of the same version (a developer's
     * tree, a reinstalled package) compiles afresh. */
    char identity[4096 + 128];
    if (kiln_codegen_identity(identity, sizeof identity))
        hash_string(h, identity);
    snprintf(opt, sizeof opt, "abi %u", (unsigned)KILN_ABI_VERSION);
    hash_string(h, opt);
    const char *base = strrchr(o->input, '/');
    hash_string(h, base ? base + 1 : o->input); /* names the module in the object */
}

/* The key of a module read into memory. */
static void key_of_bytes(const cli_app_opts *o, const host_file *f, char key[33])
{
    hash128 h;
    hash_init(&h);
    hash_bytes(&h, f->data, f->size);
    hash_options(&h, o);
    hash_hex(&h, key);
}

/* The key of a module file read in pieces (no copy of a large module in memory); false if it
 * cannot be read that way (standard input, an error: the caller reads it whole). */
static bool key_of_file(const cli_app_opts *o, char key[33])
{
    if (strcmp(o->input, "-") == 0)
        return false;
    int fd = open(o->input, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    hash128 h;
    hash_init(&h);
    static uint8_t buf[1 << 20];
    while (ok) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        hash_bytes(&h, buf, (size_t)n);
    }
    close(fd);
    if (!ok)
        return false;
    hash_options(&h, o);
    hash_hex(&h, key);
    return true;
}

typedef struct run_cache {
    int dirfd; /* the private directory; -1: no cache */
    char dir[HOST_PATH_SIZE];
} run_cache;

/* $XDG_CACHE_HOME/kiln (when absolute), else ~/.cache/kiln, opened private; a directory that
 * is not private is not used, with one warning (docs/run.md). */
static void cache_open(const cli_app_opts *o, run_cache *c)
{
    c->dirfd = -1;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(c->dir, sizeof c->dir, "%s/kiln", xdg);
    else if (home && home[0] == '/')
        n = snprintf(c->dir, sizeof c->dir, "%s/.cache/kiln", home);
    else
        return;
    if (n < 0 || (size_t)n >= sizeof c->dir)
        return;
    char why[256];
    if (host_open_private_dir(c->dir, &c->dirfd, why, sizeof why) == HOST_DIR_UNSAFE)
        fprintf(stderr,
                "kiln %s: warning: not using the cache %s: %s; compiling in a temporary "
                "directory instead (make it yours and private, chmod 700, or remove it)\n",
                o->cmd, c->dir, why);
}

/* The .sum of an entry: its key and what fstat and the ends of the .so said when it was made. */
static bool sum_text(int so_fd, const struct stat *st, const char *key, char *out, size_t size)
{
    uint8_t buf[4096];
    hash128 h;
    hash_init(&h);
    off_t len = st->st_size, head = len < (off_t)sizeof buf ? len : (off_t)sizeof buf;
    if (pread(so_fd, buf, (size_t)head, 0) != (ssize_t)head)
        return false;
    hash_bytes(&h, buf, (size_t)head);
    if (len > head) {
        off_t tail = len - head < (off_t)sizeof buf ? len - head : (off_t)sizeof buf;
        if (pread(so_fd, buf, (size_t)tail, len - tail) != (ssize_t)tail)
            return false;
        hash_bytes(&h, buf, (size_t)tail);
    }
    char ends[33];
    hash_hex(&h, ends);
    int n = snprintf(out, size,
                     "kiln cache entry %s\nsize %jd\ndevice %ju\ninode %ju\nmtime %jd.%09ld\n"
                     "ends %s\n",
                     key, (intmax_t)st->st_size, (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
                     (intmax_t)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec, ends);
    return n > 0 && (size_t)n < size;
}

/* The entry KEY.so as a descriptor, if it and its .sum are what this user wrote; else -1. */
static int cache_lookup(const run_cache *c, const char *key)
{
    char so_name[64], sum_name[64];
    snprintf(so_name, sizeof so_name, "%s.so", key);
    snprintf(sum_name, sizeof sum_name, "%s.so.sum", key);
    struct stat so_st, sum_st;
    int so = host_open_private_file(c->dirfd, so_name, &so_st);
    if (so < 0)
        return -1;
    int sum = host_open_private_file(c->dirfd, sum_name, &sum_st);
    char want[512], got[512];
    bool ok = sum >= 0 && sum_st.st_size < (off_t)sizeof got &&
              sum_text(so, &so_st, key, want, sizeof want);
    if (ok) {
        ssize_t n = pread(sum, got, sizeof got - 1, 0);
        ok = n == (ssize_t)strlen(want) && memcmp(got, want, (size_t)n) == 0;
    }
    if (sum >= 0)
        close(sum);
    if (!ok) {
        close(so);
        return -1;
    }
    return so;
}

/* Stores the shared object at built as the entry KEY; returns a descriptor of the stored
 * .so (to load), or -1 if it could not be stored (the caller loads built itself). */
static int cache_store(const run_cache *c, const char *key, const char *built)
{
    char so_name[64], sum_name[64], so_tmp[128], sum_tmp[128], sum[512];
    snprintf(so_name, sizeof so_name, "%s.so", key);
    snprintf(sum_name, sizeof sum_name, "%s.so.sum", key);
    int in = open(built, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int so = host_create_private_file(c->dirfd, so_name, so_tmp, sizeof so_tmp);
    bool ok = so >= 0 && host_copy_fd(in, so);
    close(in);
    struct stat st;
    ok = ok && fstat(so, &st) == 0 && sum_text(so, &st, key, sum, sizeof sum);
    if (!ok) {
        if (so >= 0) {
            close(so);
            unlinkat(c->dirfd, so_tmp, 0);
        }
        return -1;
    }
    /* The .so first, then the .sum that vouches for it: a crash in between leaves an entry
     * without a matching .sum, which the next run rebuilds. */
    int fd = -1;
    if (host_commit_private_file(c->dirfd, so, so_tmp, so_name) &&
        (fd = host_create_private_file(c->dirfd, sum_name, sum_tmp, sizeof sum_tmp)) >= 0) {
        ok = host_write_all(fd, sum, strlen(sum)) &&
             host_commit_private_file(c->dirfd, fd, sum_tmp, sum_name);
        close(fd);
        fsync(c->dirfd);
        if (ok)
            return so;
    }
    close(so);
    return -1;
}

/* ---- Running ---- */

/* A path dlopen reads the descriptor fd's file by: /proc/self/fd/N (the very file checked),
 * or, without /proc, the entry's path in the private directory. */
static void loadable_path(int fd, const run_cache *c, const char *key, char *out, size_t size)
{
    snprintf(out, size, "/proc/self/fd/%d", fd);
    if (access(out, F_OK) != 0)
        snprintf(out, size, "%s/%s.so", c->dir, key);
}

/* Compiles and links the module into a shared object: the cached one when there is a good
 * entry, else a new one (stored in the cache when there is one). so_path receives the path
 * to load; tmp_dir is set (non-empty) when it lives in a temporary directory the caller
 * removes. */
static int prepare_shared(const cli_app_opts *o, char *so_path, size_t size, char *tmp_dir)
{
    run_cache c;
    cache_open(o, &c);
    char key[33] = "", key2[33];
    bool streamed = c.dirfd >= 0 && key_of_file(o, key);
    int fd = streamed ? cache_lookup(&c, key) : -1;
    if (fd >= 0) {
        loadable_path(fd, &c, key, so_path, size); /* fd stays open: the process loads it */
        return CLI_EXIT_OK;
    }
    host_file f;
    kiln_diag d;
    if (!host_read_file(o->input, &f, &d)) {
        cli_print_diag(stderr, &d, o->input);
        return CLI_EXIT_FAIL;
    }
    /* The key of the bytes compiled (the file may have changed since it was hashed). */
    key_of_bytes(o, &f, key2);
    if (c.dirfd >= 0 && (!streamed || strcmp(key, key2) != 0) &&
        (fd = cache_lookup(&c, key2)) >= 0) {
        host_file_free(&f);
        loadable_path(fd, &c, key2, so_path, size);
        return CLI_EXIT_OK;
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
    int status = cli_app_compile(o, &f, tmp_dir, NULL);
    host_file_free(&f);
    if (status != CLI_EXIT_OK)
        return status;
    char obj[HOST_PATH_SIZE + 16], built[HOST_PATH_SIZE + 16];
    snprintf(obj, sizeof obj, "%s/app.o", tmp_dir);
    snprintf(built, sizeof built, "%s/app.so", tmp_dir);
    const char *objects[] = {obj};
    if (!loader_link(linker, objects, 1, NULL, built, err, sizeof err))
        return cli_app_fail(o->cmd, "linking failed: %s", err);
    if (c.dirfd >= 0 && (fd = cache_store(&c, key2, built)) >= 0) {
        loadable_path(fd, &c, key2, so_path, size);
        return CLI_EXIT_OK;
    }
    snprintf(so_path, size, "%s", built); /* no cache: run the temporary one */
    return CLI_EXIT_OK;
}

/* ---- Preloaded modules (--preload NAME=FILE) ----
 *
 * Each is compiled (and cached) as the main module is, loaded from its own shared object
 * (RTLD_LOCAL, so every one's kiln_app_module is its own), and instantiated in order with a
 * WASI context of the run's settings and the exports of the modules preloaded before it.
 * Its exports then become imports of module NAME for the later ones and the main module.
 * Everything made here lives until the process exits (kiln run exits with the guest). */

typedef struct preloads {
    kiln_import *items; /* every preloaded module's exports, as imports */
    size_t count, cap;
    /* Kept with the exports they serve, so that they stay reachable until the process ends
     * (the leak checker of a sanitizer build holds an unreachable one to be a leak). */
    kiln_wasi *wasi[CLI_MAX_PRELOADS];
    kiln_instance *instances[CLI_MAX_PRELOADS];
} preloads;

/* Adds inst's exports as imports of module name. */
static int add_exports(const cli_app_opts *o, preloads *p, const char *name, const kiln_module *m,
                       kiln_instance *inst)
{
    const kiln_export_desc *exports = m->exports.p;
    for (uint32_t i = 0; i < m->export_count; i++) {
        const kiln_export_desc *e = &exports[i];
        if (memchr(e->name.ptr.p, '\0', e->name.len) != NULL)
            continue; /* kiln_import names are NUL-terminated: no module can name it there */
        if (p->count == p->cap) {
            size_t cap = p->cap ? 2 * p->cap : 16;
            kiln_import *items = realloc(p->items, cap * sizeof *items);
            if (items == NULL)
                return cli_app_fail(o->cmd, "out of memory");
            p->items = items;
            p->cap = cap;
        }
        char *export_name = strndup(e->name.ptr.p, e->name.len);
        kiln_import *item = &p->items[p->count];
        if (export_name == NULL || kiln_instance_export_n(inst, e->name.ptr.p, e->name.len,
                                                          &item->value) != KILN_STATUS_OK) {
            free(export_name);
            return cli_app_fail(o->cmd, "--preload %s: export %u: %s", name, (unsigned)i,
                                export_name ? kiln_last_error() : "out of memory");
        }
        item->module = name;
        item->name = export_name;
        p->count++;
    }
    return CLI_EXIT_OK;
}

/* Instantiates preloaded module k (loaded as m) with WASI and the earlier ones' exports. */
static int instantiate_preload(const cli_app_opts *o, const kiln_wasi_config *cfg, preloads *p,
                               size_t k, const kiln_module *m)
{
    const char *name = o->preload_names[k];
    kiln_wasi *wasi = NULL;
    kiln_status s = kiln_wasi_new(cfg, &wasi);
    if (s != KILN_STATUS_OK)
        return cli_app_fail(o->cmd, "--preload %s: %s", name, kiln_wasi_last_error());
    p->wasi[k] = wasi;
    kiln_imports wasi_imports, earlier = {p->items, p->count}, all;
    const kiln_imports *lists[2] = {&earlier, &wasi_imports};
    kiln_instance *inst = NULL;
    kiln_trap trap = KILN_TRAP_NONE;
    if ((s = kiln_wasi_imports(wasi, &wasi_imports)) == KILN_STATUS_OK &&
        (s = kiln_imports_concat(lists, 2, &all)) == KILN_STATUS_OK) {
        s = kiln_instance_new_ex(NULL, m, &all, NULL, &inst, &trap);
        kiln_imports_free(&all);
    }
    if (s == KILN_STATUS_TRAP)
        return cli_app_fail(o->cmd, "--preload %s: its start function trapped: %s", name,
                            kiln_trap_message(trap));
    if (s != KILN_STATUS_OK)
        return cli_app_fail(o->cmd, "--preload %s: %s", name, kiln_last_error());
    p->instances[k] = inst; /* inst and wasi live until the process ends */
    return add_exports(o, p, name, m, inst);
}

/* Loads the shared object and runs its module as a WASI command; returns the exit status. */
static int run_shared(const cli_app_opts *o, const char *so_path, const char *const *preload_so,
                      int argc, char **argv)
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
    static preloads p; /* reachable until the process exits */
    for (size_t k = 0; k < o->preload_count; k++) {
        const kiln_module *pm;
        if (!loader_open(preload_so[k], CLI_APP_PREFIX "_module", &pm, err, sizeof err))
            return cli_app_fail(o->cmd, "--preload %s: %s", o->preload_names[k], err);
        int status = instantiate_preload(o, &cfg, &p, k, pm);
        if (status != CLI_EXIT_OK)
            return status;
    }
    kiln_imports extra = {p.items, p.count};
    if (p.count != 0)
        cfg.imports = &extra;
    fflush(stdout);
    fflush(stderr);
    /* kiln run exits with this status: the instance is left to the OS (no 8 GiB unmap). */
    return kiln_wasi_run_main_flags(m, &cfg, KILN_WASI_MAIN_AT_EXIT, argc, argv);
}

static int do_run(cli_app_opts *o, int argc, char **argv)
{
    char so_path[HOST_PATH_SIZE + 64], tmp[HOST_PATH_SIZE] = "";
    char preload_so[CLI_MAX_PRELOADS][HOST_PATH_SIZE + 64],
        preload_tmp[CLI_MAX_PRELOADS][HOST_PATH_SIZE];
    const char *preload_paths[CLI_MAX_PRELOADS];
    int status = CLI_EXIT_OK;
    /* The preloaded modules, compiled as the main one is: the same options, their own file. */
    const char *main_input = o->input;
    size_t made = 0;
    for (; status == CLI_EXIT_OK && made < o->preload_count; made++) {
        preload_tmp[made][0] = '\0';
        o->input = o->preload_files[made];
        status = prepare_shared(o, preload_so[made], sizeof preload_so[made], preload_tmp[made]);
        preload_paths[made] = preload_so[made];
    }
    o->input = main_input;
    if (status == CLI_EXIT_OK)
        status = prepare_shared(o, so_path, sizeof so_path, tmp);
    if (status == CLI_EXIT_OK)
        status = run_shared(o, so_path, preload_paths, argc, argv);
    for (size_t k = 0; k < made; k++)
        if (preload_tmp[k][0])
            host_remove_dir(preload_tmp[k]);
    if (tmp[0])
        host_remove_dir(tmp);
    return status;
}

int cli_run(int argc, char **argv)
{
    return cli_app_main("run", true, argc, argv, do_run);
}
