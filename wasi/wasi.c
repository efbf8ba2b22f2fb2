/* wasi.c -- the public API of libkiln_wasi: contexts, the import list, proc_exit.
 *
 * kiln_wasi_new copies the configuration into one kiln_wasi: argv and environ packed as the
 * guest will read them, a descriptor table whose slots 0-2 hold duplicates of the configured
 * stdio descriptors, then the preopened directories (opened here, O_PATH-free so fd_readdir
 * works), then the pre-opened sockets. kiln_wasi_imports hands out one kiln_host_func per row
 * of wasi_funcs.def; they all enter through host_entry, which looks up the caller's memory 0,
 * runs the row's wasi_impl and stores its errno as the i32 result.
 *
 * Also here: args_*, environ_*, proc_exit (records the code and unwinds with KILN_TRAP_EXIT),
 * proc_raise (ENOTSUP, as wasmtime) and sched_yield.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wasi_impl.h"

/* ---- The function table ---- */

typedef struct wasi_func_info {
    const char *name;
    const char *params, *results;
    wasi_impl *impl;
} wasi_func_info;

static const wasi_func_info wasi_funcs[] = {
#define WASI_FUNC(name, params, results) {#name, params, results, wasi_##name},
#include "wasi_funcs.def"
#undef WASI_FUNC
};

#define WASI_FUNC_COUNT WASI_ARRAY_LEN(wasi_funcs)

static _Thread_local char last_error[256];

__attribute__((format(printf, 1, 2))) static void set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

KILN_API const char *kiln_wasi_last_error(void)
{
    return last_error;
}

KILN_API const char *kiln_wasi_snapshot(void)
{
    return "wasi_snapshot_preview1";
}

/* ---- KILN_WASI_VERBOSE ---- */

/* The preview1 function this thread is running, for KILN_WASI_VERBOSE's lines (per thread:
 * the instances of a wasi-threads program share one kiln_wasi). */
static _Thread_local const char *calling;

void wasi_log(const kiln_wasi *w, const char *fmt, ...)
{
    if (!wasi_verbose(w))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "kiln: wasi: %s: %s\n", calling ? calling : "wasi", line);
}

void wasi_quote(char *out, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    if (size < 8)
        return;
    out[n++] = '"';
    for (size_t i = 0; i < len && n + 8 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
        if (i == 199 && i + 1 < len) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
}

void wasi_rights_names(uint64_t mask, char *out, size_t size)
{
    static const char *const names[] = {
        "fd_datasync",
        "fd_read",
        "fd_seek",
        "fd_fdstat_set_flags",
        "fd_sync",
        "fd_tell",
        "fd_write",
        "fd_advise",
        "fd_allocate",
        "path_create_directory",
        "path_create_file",
        "path_link_source",
        "path_link_target",
        "path_open",
        "fd_readdir",
        "path_readlink",
        "path_rename_source",
        "path_rename_target",
        "path_filestat_get",
        "path_filestat_set_size",
        "path_filestat_set_times",
        "fd_filestat_get",
        "fd_filestat_set_size",
        "fd_filestat_set_times",
        "path_symlink",
        "path_remove_directory",
        "path_unlink_file",
        "poll_fd_readwrite",
        "sock_shutdown",
        "sock_accept",
    };
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < WASI_ARRAY_LEN(names) && n < size; i++)
        if (mask & (UINT64_C(1) << i))
            n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", names[i]);
}

uint16_t wasi_refuse_rights(const kiln_wasi *w, uint32_t fd, uint64_t missing)
{
    if (wasi_verbose(w)) {
        char names[768];
        wasi_rights_names(missing, names, sizeof names);
        bool one = (missing & (missing - 1)) == 0;
        wasi_log(w, "fd %u lacks the right%s %s: ENOTCAPABLE", (unsigned)fd, one ? "" : "s", names);
    }
    return WASI_ENORIGHTS;
}

/* Every import enters here: env is the row's wasi_binding. */
static kiln_trap host_entry(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *results)
{
    const wasi_binding *b = env;
    const wasi_func_info *info = &wasi_funcs[b->index];
    wasi_call call = {.wasi = b->wasi, .caller = caller, .args = args, .trap = KILN_TRAP_NONE};
    kiln_memory *mem = kiln_instance_memory(caller, 0);
    if (mem != NULL && mem->base.p != NULL) {
        call.mem = mem->base.p;
        /* A shared memory (wasi-threads) grows under other threads: its size is published
         * with a release store (docs/threads.md). It never shrinks, so this size stays
         * valid for the whole call. */
        call.mem_size = __atomic_load_n(&mem->size, __ATOMIC_ACQUIRE);
    }
    const char *outer = calling;
    uint32_t mark = wasi_fd_held_mark();
    calling = info->name;
    uint16_t err = info->impl(&call);
    calling = outer;
    wasi_fd_put_held(b->wasi, mark);
    if (call.trap != KILN_TRAP_NONE)
        return call.trap;
    if (info->results[0] != '\0')
        results[0].of.i32 = err;
    return KILN_TRAP_NONE;
}

/* ---- Creation ---- */

KILN_API void kiln_wasi_config_init(kiln_wasi_config *config)
{
    if (config == NULL)
        return;
    memset(config, 0, sizeof *config);
    config->stdin_fd = 0;
    config->stdout_fd = 1;
    config->stderr_fd = 2;
}

/* Packs n strings into one buffer of NUL-terminated strings; sizes must fit the guest's u32. */
static bool pack_strings(const char *const *strs, size_t n, const char *what, char **out_buf,
                         uint32_t *out_count, uint32_t *out_size, kiln_status *status)
{
    uint64_t total = 0;
    if (n > UINT32_MAX / 4) {
        set_error("too many %s", what);
        *status = KILN_STATUS_LIMIT;
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strs[i] == NULL) {
            set_error("%s[%zu] is NULL", what, i);
            *status = KILN_STATUS_ARG;
            return false;
        }
        total += strlen(strs[i]) + 1;
        if (total > UINT32_MAX) {
            set_error("%s are larger than 4 GiB", what);
            *status = KILN_STATUS_LIMIT;
            return false;
        }
    }
    char *buf = malloc(total != 0 ? (size_t)total : 1);
    if (buf == NULL) {
        set_error("out of memory");
        *status = KILN_STATUS_NOMEM;
        return false;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(strs[i]) + 1;
        memcpy(buf + off, strs[i], len);
        off += len;
    }
    *out_buf = buf;
    *out_count = (uint32_t)n;
    *out_size = (uint32_t)total;
    return true;
}

/* Duplicates a configured stdio/socket descriptor into guest slot fd. */
static kiln_status add_host_fd(kiln_wasi *w, uint32_t fd, int host, const char *what)
{
    int dup_fd = fcntl(host, F_DUPFD_CLOEXEC, 3);
    if (dup_fd < 0) {
        set_error("%s (host fd %d): %s", what, host, strerror(errno));
        return KILN_STATUS_ARG;
    }
    uint8_t type = wasi_filetype_of_fd(dup_fd);
    wasi_fd *f = wasi_fd_slot_init(w, fd, dup_fd);
    if (f == NULL) {
        close(dup_fd);
        set_error("out of memory");
        return KILN_STATUS_NOMEM;
    }
    f->filetype = type;
    f->rights_base = wasi_rights_for(dup_fd, type);
    f->rights_inheriting =
        type == WASI_FILETYPE_DIRECTORY ? WASI_RIGHTS_DIRECTORY | WASI_RIGHTS_REGULAR_FILE : 0;
    return KILN_STATUS_OK;
}

static kiln_status add_preopen(kiln_wasi *w, uint32_t fd, const kiln_wasi_preopen *p)
{
    if (p->host_path == NULL || p->guest_path == NULL) {
        set_error("preopen %u: NULL path", fd);
        return KILN_STATUS_ARG;
    }
    size_t name_len = strlen(p->guest_path);
    if (name_len > WASI_PATH_MAX) {
        set_error("preopen \"%s\": guest path too long", p->guest_path);
        return KILN_STATUS_ARG;
    }
    if (p->flags & ~(KILN_WASI_PREOPEN_READONLY | KILN_WASI_PREOPEN_SPECIAL_FS)) {
        set_error("preopen \"%s\": unknown flags 0x%x", p->host_path, (unsigned)p->flags);
        return KILN_STATUS_ARG;
    }
    int host = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (host < 0) {
        set_error("preopen \"%s\": %s", p->host_path, strerror(errno));
        return KILN_STATUS_ARG;
    }
    bool special_ok = p->flags & KILN_WASI_PREOPEN_SPECIAL_FS;
    const char *special = special_ok ? NULL : wasi_special_file(host);
    if (special != NULL) {
        close(host);
        set_error("preopen \"%s\": on %s, which exposes the host's kernel and processes, not "
                  "files (allow it with KILN_WASI_PREOPEN_SPECIAL_FS, kiln run --allow-special-fs)",
                  p->host_path, special);
        return KILN_STATUS_ARG;
    }
    char *name = malloc(name_len + 1);
    if (name == NULL) {
        close(host);
        set_error("out of memory");
        return KILN_STATUS_NOMEM;
    }
    memcpy(name, p->guest_path, name_len + 1);
    uint64_t base = WASI_RIGHTS_DIRECTORY;
    uint64_t inheriting = WASI_RIGHTS_DIRECTORY | WASI_RIGHTS_REGULAR_FILE;
    if (p->flags & KILN_WASI_PREOPEN_READONLY) {
        base &= ~WASI_RIGHTS_MUTATING;
        inheriting &= ~WASI_RIGHTS_MUTATING;
    }
    wasi_fd *f = wasi_fd_slot_init(w, fd, host);
    if (f == NULL) {
        close(host);
        free(name);
        set_error("out of memory");
        return KILN_STATUS_NOMEM;
    }
    f->filetype = WASI_FILETYPE_DIRECTORY;
    f->rights_base = base;
    f->rights_inheriting = inheriting;
    f->preopen_name = name;
    f->preopen_name_len = (uint32_t)name_len;
    f->special_ok = special_ok;
    return KILN_STATUS_OK;
}

static kiln_status build_imports(kiln_wasi *w)
{
    size_t ntypes = 0;
    for (size_t i = 0; i < WASI_FUNC_COUNT; i++)
        ntypes += strlen(wasi_funcs[i].params) + strlen(wasi_funcs[i].results);
    w->host = calloc(WASI_FUNC_COUNT, sizeof *w->host);
    w->imports = calloc(WASI_FUNC_COUNT, sizeof *w->imports);
    w->bindings = calloc(WASI_FUNC_COUNT, sizeof *w->bindings);
    w->types = malloc(ntypes);
    if (w->host == NULL || w->imports == NULL || w->bindings == NULL || w->types == NULL) {
        set_error("out of memory");
        return KILN_STATUS_NOMEM;
    }
    uint8_t *t = w->types;
    for (size_t i = 0; i < WASI_FUNC_COUNT; i++) {
        const wasi_func_info *info = &wasi_funcs[i];
        kiln_host_func *h = &w->host[i];
        w->bindings[i].wasi = w;
        w->bindings[i].index = (uint32_t)i;
        h->fn = host_entry;
        h->env = &w->bindings[i];
        h->param_count = (uint32_t)strlen(info->params);
        h->result_count = (uint32_t)strlen(info->results);
        h->params = t;
        for (const char *s = info->params; *s; s++)
            *t++ = *s == 'I' ? KILN_TYPE_I64 : KILN_TYPE_I32;
        h->results = t;
        for (const char *s = info->results; *s; s++)
            *t++ = KILN_TYPE_I32;
        kiln_import *im = &w->imports[i];
        im->module = "wasi_snapshot_preview1";
        im->name = info->name;
        im->value.kind = KILN_KIND_HOST_FUNC;
        im->value.of.host = h;
    }
    return KILN_STATUS_OK;
}

KILN_API kiln_status kiln_wasi_new(const kiln_wasi_config *config, kiln_wasi **out)
{
    last_error[0] = '\0';
    if (config == NULL || out == NULL || (config->argc != 0 && config->argv == NULL) ||
        (config->env_count != 0 && config->env == NULL) ||
        (config->preopen_count != 0 && config->preopens == NULL) ||
        (config->socket_count != 0 && config->sockets == NULL)) {
        set_error("invalid argument");
        return KILN_STATUS_ARG;
    }
    uint32_t max_fds = config->max_fds != 0 ? config->max_fds : WASI_DEFAULT_MAX_FDS;
    uint64_t needed = 3 + (uint64_t)config->preopen_count + config->socket_count;
    if (needed > max_fds) {
        set_error("%llu descriptors do not fit max_fds = %u", (unsigned long long)needed, max_fds);
        return KILN_STATUS_LIMIT;
    }
    kiln_wasi *w = calloc(1, sizeof *w);
    if (w == NULL) {
        set_error("out of memory");
        return KILN_STATUS_NOMEM;
    }
    w->max_fds = max_fds;
    w->flags = config->flags;
    pthread_mutex_init(&w->fd_lock, NULL);
    kiln_status st = KILN_STATUS_OK;
    if (!pack_strings(config->argv, config->argc, "argv", &w->args_buf, &w->argc, &w->args_size,
                      &st) ||
        !pack_strings(config->env, config->env_count, "env", &w->env_buf, &w->env_count,
                      &w->env_size, &st))
        goto out_free;
    if (!wasi_fdtable_init(w, (uint32_t)needed)) {
        set_error("out of memory");
        st = KILN_STATUS_NOMEM;
        goto out_free;
    }
    const int stdio[3] = {config->stdin_fd, config->stdout_fd, config->stderr_fd};
    static const char *const stdio_names[3] = {"stdin", "stdout", "stderr"};
    for (uint32_t i = 0; i < 3; i++)
        if (stdio[i] >= 0 && (st = add_host_fd(w, i, stdio[i], stdio_names[i])) != KILN_STATUS_OK)
            goto out_free;
    uint32_t fd = 3;
    for (size_t i = 0; i < config->preopen_count; i++, fd++)
        if ((st = add_preopen(w, fd, &config->preopens[i])) != KILN_STATUS_OK)
            goto out_free;
    for (size_t i = 0; i < config->socket_count; i++, fd++)
        if ((st = add_host_fd(w, fd, config->sockets[i], "socket")) != KILN_STATUS_OK)
            goto out_free;
    if ((st = build_imports(w)) != KILN_STATUS_OK)
        goto out_free;
    *out = w;
    return KILN_STATUS_OK;

out_free:
    kiln_wasi_free(w);
    return st;
}

KILN_API void kiln_wasi_free(kiln_wasi *w)
{
    if (w == NULL)
        return;
    wasi_fdtable_free(w);
    free(w->args_buf);
    free(w->env_buf);
    free(w->host);
    free(w->imports);
    free(w->bindings);
    free(w->types);
    pthread_mutex_destroy(&w->fd_lock);
    free(w);
}

KILN_API kiln_status kiln_wasi_imports(kiln_wasi *w, kiln_imports *out)
{
    if (w == NULL || out == NULL)
        return KILN_STATUS_ARG;
    out->items = w->imports;
    out->count = WASI_FUNC_COUNT;
    return KILN_STATUS_OK;
}

KILN_API bool kiln_wasi_exit_code(const kiln_wasi *w, int *out)
{
    /* exit_code is written once, before exited is set (release). */
    if (w == NULL || !__atomic_load_n(&w->exited, __ATOMIC_ACQUIRE))
        return false;
    if (out != NULL)
        *out = w->exit_code;
    return true;
}

/* ---- args and environ ---- */

/* Writes count pointers into ptrs and the packed strings into buf: the layout of
 * args_get/environ_get (argv[i] = buf + offset of string i). */
static uint16_t put_strings(const wasi_call *c, uint32_t ptrs, uint32_t buf, const char *strs,
                            uint32_t count, uint32_t size)
{
    if (!wasi_mem_ok(c, ptrs, (uint64_t)count * 4) || !wasi_mem_ok(c, buf, size))
        return WASI_EFAULT;
    uint32_t off = 0;
    for (uint32_t i = 0; i < count; i++) {
        wasi_put_u32(wasi_mem_at(c, ptrs + 4 * i), buf + off);
        off += (uint32_t)strlen(strs + off) + 1;
    }
    return wasi_mem_write(c, buf, strs, size);
}

static uint16_t put_sizes(const wasi_call *c, uint32_t count_ptr, uint32_t size_ptr, uint32_t count,
                          uint32_t size)
{
    if (!wasi_mem_ok(c, count_ptr, 4) || !wasi_mem_ok(c, size_ptr, 4))
        return WASI_EFAULT;
    wasi_store_u32(c, count_ptr, count);
    return wasi_store_u32(c, size_ptr, size);
}

/* args_get(argv: Pointer<Pointer<u8>>, argv_buf: Pointer<u8>) -> errno */
uint16_t wasi_args_get(wasi_call *c)
{
    kiln_wasi *w = c->wasi;
    return put_strings(c, wasi_arg32(c, 0), wasi_arg32(c, 1), w->args_buf, w->argc, w->args_size);
}

/* args_sizes_get() -> (errno, size, size) */
uint16_t wasi_args_sizes_get(wasi_call *c)
{
    return put_sizes(c, wasi_arg32(c, 0), wasi_arg32(c, 1), c->wasi->argc, c->wasi->args_size);
}

/* environ_get(environ: Pointer<Pointer<u8>>, environ_buf: Pointer<u8>) -> errno */
uint16_t wasi_environ_get(wasi_call *c)
{
    kiln_wasi *w = c->wasi;
    return put_strings(c, wasi_arg32(c, 0), wasi_arg32(c, 1), w->env_buf, w->env_count,
                       w->env_size);
}

/* environ_sizes_get() -> (errno, size, size) */
uint16_t wasi_environ_sizes_get(wasi_call *c)
{
    return put_sizes(c, wasi_arg32(c, 0), wasi_arg32(c, 1), c->wasi->env_count, c->wasi->env_size);
}

/* ---- proc_* and sched_yield ---- */

/* proc_exit(rval: exitcode): never returns to the guest. The code is kept as the guest gave
 * it (wasmtime traps for codes >= 126; the embedder decides what to do with those). */
uint16_t wasi_proc_exit(wasi_call *c)
{
    kiln_wasi *w = c->wasi;
    pthread_mutex_lock(&w->fd_lock);
    if (!__atomic_load_n(&w->exited, __ATOMIC_RELAXED)) { /* threads: the first one wins */
        w->exit_code = (int)wasi_arg32(c, 0);
        __atomic_store_n(&w->exited, true, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&w->fd_lock);
    c->trap = KILN_TRAP_EXIT;
    return WASI_ESUCCESS;
}

/* proc_raise(sig: signal) -> errno: no signals in the sandbox. */
uint16_t wasi_proc_raise(wasi_call *c)
{
    (void)c;
    return WASI_ENOTSUP;
}

uint16_t wasi_sched_yield(wasi_call *c)
{
    (void)c;
    sched_yield();
    return WASI_ESUCCESS;
}
