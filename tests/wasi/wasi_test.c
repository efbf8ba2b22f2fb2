/* wasi_test.c -- the WASI tests' fixture (see wasi_test.h): a memory-only module instance,
 * a temporary tree per test (removed with nftw afterwards), and calls into the host
 * functions kiln_wasi_imports hands out, with arguments typed from each function's params.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"
#include "wasi_test.h"

static kiln_module_desc module;
static kiln_memory_desc memories[1];
static kiln_wasi_preopen fixture_preopen;
static const char *const fixture_argv[] = {"prog", "a b", ""};
static const char *const fixture_env[] = {"A=1", "EMPTY="};

static void build_module(void)
{
    memset(&module, 0, sizeof module);
    module.abi_version = KILN_ABI_VERSION;
    module.name.ptr.p = (void *)(uintptr_t)"wasi_test";
    module.name.len = 9;
    module.start = UINT32_MAX;
    /* 32-bit targets always compile with bounds checks and have no guard-page memories. */
    module.flags = sizeof(void *) < 8 ? KILN_MODULE_BOUNDS_CHECKED : 0u;
    memories[0].limits.min = WT_PAGES;
    memories[0].limits.max = WT_PAGES;
    memories[0].limits.has_max = 1;
    module.memory_count = 1;
    module.memories.p = memories;
    kiln_vmctx_layout *l = &module.layout;
    l->imports = l->tables = l->globals = l->global_cells = l->sig_ids = l->funcrefs =
        l->elem_dropped = l->data_dropped = l->memories = KILN_VMCTX_HEADER_SIZE;
    l->size = KILN_VMCTX_HEADER_SIZE + 16u; /* the memories array: one pointer */
}

void wt_default_config(wt *t, kiln_wasi_config *cfg)
{
    kiln_wasi_config_init(cfg);
    cfg->argv = fixture_argv;
    cfg->argc = 3;
    cfg->env = fixture_env;
    cfg->env_count = 2;
    cfg->stdin_fd = cfg->stdout_fd = cfg->stderr_fd = -1;
    fixture_preopen.host_path = t->sandbox;
    fixture_preopen.guest_path = "/sandbox";
    fixture_preopen.flags = 0;
    cfg->preopens = &fixture_preopen;
    cfg->preopen_count = 1;
    if (t->walk)
        cfg->flags |= KILN_WASI_NO_OPENAT2;
}

kiln_status wt_rewasi(wt *t, const kiln_wasi_config *cfg)
{
    kiln_wasi_free(t->wasi);
    t->wasi = NULL;
    kiln_status st = kiln_wasi_new(cfg, &t->wasi);
    if (st == KILN_STATUS_OK)
        assert_int_equal(kiln_wasi_imports(t->wasi, &t->imports), KILN_STATUS_OK);
    return st;
}

/* Open descriptors of this process: teardown checks that a test leaked none. */
static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

static int setup(void **state, bool walk)
{
    wt *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->fds_at_start = count_fds();
    t->walk = walk;
    wasi_force_fallback_walk(walk);
    snprintf(t->tmp, sizeof t->tmp, "/tmp/kiln-wasi-XXXXXX");
    assert_non_null(mkdtemp(t->tmp));
    snprintf(t->sandbox, sizeof t->sandbox, "%s/sandbox", t->tmp);
    assert_int_equal(mkdir(t->sandbox, 0755), 0);
    wt_write_file(t, "secret", "top secret");
    build_module();
    assert_int_equal(kiln_instance_new(&module, NULL, &t->inst), KILN_STATUS_OK);
    kiln_memory *m = kiln_instance_memory(t->inst, 0);
    assert_non_null(m);
    assert_int_equal(m->size, WT_MEM_SIZE);
    t->mem = m->base.p;
    kiln_wasi_config cfg;
    wt_default_config(t, &cfg);
    assert_int_equal(wt_rewasi(t, &cfg), KILN_STATUS_OK);
    *state = t;
    return 0;
}

int wt_setup(void **state)
{
    return setup(state, false);
}

int wt_setup_walk(void **state)
{
    return setup(state, true);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

int wt_teardown(void **state)
{
    wt *t = *state;
    kiln_wasi_free(t->wasi);
    kiln_instance_free(t->inst);
    int leaked = count_fds() - t->fds_at_start;
    nftw(t->tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    wasi_force_fallback_walk(false);
    free(t);
    assert_int_equal(leaked, 0); /* every host descriptor the library opened is closed */
    return 0;
}

const kiln_host_func *wt_func(wt *t, const char *name)
{
    for (size_t i = 0; i < t->imports.count; i++)
        if (strcmp(t->imports.items[i].name, name) == 0)
            return t->imports.items[i].value.of.host;
    return NULL;
}

static kiln_trap invoke(wt *t, const char *name, const uint64_t *args, size_t n, uint32_t *result)
{
    const kiln_host_func *h = wt_func(t, name);
    assert_non_null(h);
    assert_int_equal(h->param_count, n);
    kiln_val vals[16], results[1];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        memset(&vals[i], 0, sizeof vals[i]);
        vals[i].type = h->params[i];
        if (h->params[i] == KILN_TYPE_I64)
            vals[i].of.i64 = (int64_t)args[i];
        else
            vals[i].of.i32 = (int32_t)(uint32_t)args[i];
    }
    memset(results, 0, sizeof results);
    results[0].type = KILN_TYPE_I32;
    results[0].of.i32 = -1;
    kiln_trap trap = h->fn(h->env, t->inst, vals, results);
    *result = (uint32_t)results[0].of.i32;
    return trap;
}

kiln_trap wt_call_trap(wt *t, const char *name, const uint64_t *args, size_t n)
{
    uint32_t result;
    return invoke(t, name, args, n, &result);
}

uint32_t wt_call(wt *t, const char *name, const uint64_t *args, size_t n)
{
    uint32_t result;
    assert_int_equal(invoke(t, name, args, n, &result), KILN_TRAP_NONE);
    return result;
}

uint32_t wt_str(wt *t, uint32_t addr, const char *s)
{
    size_t n = strlen(s);
    assert_true(addr + n <= WT_MEM_SIZE);
    memcpy(t->mem + addr, s, n);
    return (uint32_t)n;
}

uint32_t wt_u32(wt *t, uint32_t addr)
{
    uint32_t v;
    memcpy(&v, t->mem + addr, 4);
    return v;
}

uint64_t wt_u64(wt *t, uint32_t addr)
{
    uint64_t v;
    memcpy(&v, t->mem + addr, 8);
    return v;
}

void wt_set_u32(wt *t, uint32_t addr, uint32_t v)
{
    memcpy(t->mem + addr, &v, 4);
}

void wt_set_u64(wt *t, uint32_t addr, uint64_t v)
{
    memcpy(t->mem + addr, &v, 8);
}

void wt_iov(wt *t, uint32_t i, uint32_t buf, uint32_t len)
{
    wt_set_u32(t, WT_IOVS + 8 * i, buf);
    wt_set_u32(t, WT_IOVS + 8 * i + 4, len);
}

uint32_t wt_open(wt *t, const char *path, uint32_t oflags, uint32_t lookup, uint32_t *fd)
{
    assert_int_equal(WT_CALL(t, "fd_fdstat_get", WT_SANDBOX_FD, WT_OUT2), E_SUCCESS);
    uint64_t inheriting = wt_u64(t, WT_OUT2 + 16);
    uint32_t len = wt_str(t, WT_PATH, path);
    wt_set_u32(t, WT_OUT, UINT32_MAX);
    uint32_t err = WT_CALL(t, "path_open", WT_SANDBOX_FD, lookup, WT_PATH, len, oflags, inheriting,
                           inheriting, 0, WT_OUT);
    *fd = wt_u32(t, WT_OUT);
    return err;
}

static void host_path(wt *t, const char *rel, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", t->tmp, rel);
}

void wt_write_file(wt *t, const char *rel, const char *content)
{
    char p[600];
    host_path(t, rel, p, sizeof p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

bool wt_exists(wt *t, const char *rel)
{
    char p[600];
    struct stat st;
    host_path(t, rel, p, sizeof p);
    return lstat(p, &st) == 0;
}

bool wt_read_file(wt *t, const char *rel, char *buf, size_t cap)
{
    char p[600];
    host_path(t, rel, p, sizeof p);
    FILE *f = fopen(p, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return true;
}

void wt_mkdir(wt *t, const char *rel)
{
    char p[600];
    host_path(t, rel, p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
}

void wt_symlink(wt *t, const char *target, const char *rel)
{
    char p[600];
    host_path(t, rel, p, sizeof p);
    assert_int_equal(symlink(target, p), 0);
}
