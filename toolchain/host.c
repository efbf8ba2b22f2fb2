/* host.c -- the host's files, programs and processes, for the compiler and the kiln program.
 *
 * The one place that reads and writes whole files, looks programs up on PATH, runs them with
 * posix_spawn (never a shell), finds ld.lld and makes scratch directories. The compiler uses
 * it to read its input, write its outputs and merge partitions with `ld.lld -r`; the kiln
 * program for everything else it runs or touches. Nothing here prints: failures come back as
 * false plus a kiln_diag or a one-line message. Writes go through a temporary file beside the
 * target and rename(), so a reader never sees a partial file and a failure leaves none.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np, mkdtemp */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolchain.h"

#ifndef KILN_LLVM_BINDIR
#define KILN_LLVM_BINDIR "" /* set by toolchain/CMakeLists.txt when LLVM is known */
#endif

extern char **environ;

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

void host_cpu_key(char *out, size_t cap)
{
    /* (leaf, subleaf) pairs: vendor and maximum; family, model, stepping and the first
     * features; structured extended features; XSAVE state; the extended range. */
    static const unsigned leaves[][2] = {{0, 0},           {1, 0},          {7, 0},
                                         {7, 1},           {0xd, 1},        {0x80000000u, 0},
                                         {0x80000001u, 0}, {0x80000008u, 0}};
    size_t n = 0;
    unsigned max = __get_cpuid_max(0, NULL), max_ext = __get_cpuid_max(0x80000000u, NULL);
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
        unsigned a = 0, b = 0, c = 0, d = 0;
        unsigned leaf = leaves[i][0];
        if (leaf < 0x80000000u ? leaf <= max : leaf <= max_ext)
            __cpuid_count(leaf, leaves[i][1], a, b, c, d);
        if (leaf == 1)
            b &= 0x0000ffffu; /* not the APIC id and logical count: they vary by core */
        int k = snprintf(out + n, n < cap ? cap - n : 0, "%x.%x:%x,%x,%x,%x ", leaf, leaves[i][1],
                         a, b, c, d);
        n += k > 0 ? (size_t)k : 0;
    }
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (max >= 1)
        __cpuid(1, a, b, c, d);
    unsigned xcr0 = 0;
    if (c & (1u << 27)) { /* OSXSAVE: the OS says which register state it saves */
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = lo;
    }
    snprintf(out + n, n < cap ? cap - n : 0, "xcr0:%x", xcr0);
}
#else
#include <strings.h>
#include <sys/auxv.h>

void host_cpu_key(char *out, size_t cap)
{
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    int k = snprintf(out, cap, "%lx %lx %s", (unsigned long)getauxval(AT_HWCAP),
                     (unsigned long)getauxval(AT_HWCAP2), platform ? platform : "");
    size_t n = k > 0 ? (size_t)k : 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL && line[0] != '\n') {
        /* Identification, not speed: "CPU implementer", "CPU part", "isa", "uarch" ... */
        if (strncmp(line, "cpu MHz", 7) == 0 || strncasecmp(line, "bogomips", 8) == 0 ||
            strncmp(line, "processor", 9) == 0)
            continue;
        k = snprintf(out + n, n < cap ? cap - n : 0, "|%s", line);
        n += k > 0 ? (size_t)k : 0;
    }
    fclose(f);
}
#endif

/* ---- Files ---- */

static bool io_error(kiln_diag *d, const char *what, int err)
{
    return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "%s: %s", what, strerror(err));
}

/* size is 0 when unknown (a stream). */
static bool too_large(kiln_diag *d, uintmax_t size)
{
    if (size)
        return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                             "module of %ju bytes exceeds the limit of %u (KILN_MAX_MODULE_SIZE)",
                             size, (unsigned)KILN_MAX_MODULE_SIZE);
    return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                         "module exceeds the limit of %u bytes (KILN_MAX_MODULE_SIZE)",
                         (unsigned)KILN_MAX_MODULE_SIZE);
}

/* Reads fd to its end; the first allocation is hint + 1 bytes, so a regular file's end is
 * seen without growing, and there is always room for the NUL after the last byte. */
static bool read_all(int fd, size_t hint, host_file *out, kiln_diag *d)
{
    const size_t limit = KILN_MAX_MODULE_SIZE;
    size_t cap = hint + 1;
    uint8_t *data = malloc(cap);
    size_t size = 0;
    if (!data)
        return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory reading file");
    for (;;) {
        if (size == cap) {
            if (size > limit) {
                free(data);
                return too_large(d, 0);
            }
            size_t grown = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            uint8_t *bigger = realloc(data, grown);
            if (!bigger) {
                free(data);
                return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET,
                                     "out of memory reading file");
            }
            data = bigger;
            cap = grown;
        }
        ssize_t n = read(fd, data + size, cap - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            free(data);
            return io_error(d, "cannot read file", err);
        }
        if (n == 0)
            break; /* size < cap: the loop grows before it reads */
        size += (size_t)n;
    }
    if (size > limit) {
        free(data);
        return too_large(d, 0);
    }
    data[size] = 0;
    out->data = data;
    out->size = size;
    return true;
}

bool host_read_file(const char *path, host_file *out, kiln_diag *d)
{
    /* A fresh diagnostic: callers declare one just for this call, and a stale function index
     * would make "cannot open file" end in "(in function N)". */
    kiln_diag_init(d);
    out->data = NULL;
    out->size = 0;
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(d, "cannot open file", errno);
    bool ok;
    struct stat st;
    if (fstat(fd, &st) != 0)
        ok = io_error(d, "cannot read file", errno);
    else if (S_ISDIR(st.st_mode))
        ok = io_error(d, "cannot read file", EISDIR);
    else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > KILN_MAX_MODULE_SIZE)
        ok = too_large(d, (uintmax_t)st.st_size);
    else
        ok = read_all(fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 64 * 1024, out, d);
    if (!is_stdin)
        close(fd);
    return ok;
}

void host_file_free(host_file *f)
{
    free(f->data);
    f->data = NULL;
    f->size = 0;
}

static bool write_fd(int fd, const uint8_t *p, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

bool host_write_file(const char *path, const void *data, size_t size, unsigned mode, kiln_diag *d)
{
    kiln_diag_init(d);
    /* Something that is not a regular file (/dev/null, a FIFO, a terminal) is written to in
     * place: renaming a temporary file over it would replace it, and /dev/null with it when
     * run as root. A directory is an error, as open() says. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        int fd = S_ISDIR(st.st_mode) ? -1 : open(path, O_WRONLY | O_CLOEXEC);
        if (S_ISDIR(st.st_mode))
            errno = EISDIR;
        bool ok = fd >= 0 && write_fd(fd, data, size);
        int err = errno;
        if (fd >= 0 && close(fd) != 0 && ok) {
            ok = false;
            err = errno;
        }
        if (!ok)
            kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "cannot write %s: %s", path,
                          strerror(err));
        return ok;
    }
    char tmp[HOST_PATH_SIZE + 32];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "cannot write %s: path too long",
                             path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    bool ok = fd >= 0;
    if (ok) {
        ok = write_fd(fd, data, size);
        int err = errno;
        ok = (close(fd) == 0) && ok;
        if (ok)
            ok = rename(tmp, path) == 0;
        else
            errno = err;
        if (!ok) {
            err = errno;
            unlink(tmp);
            errno = err;
        }
    }
    if (!ok)
        kiln_diag_set(d, KILN_ERR_IO, KILN_NO_OFFSET, "cannot write %s: %s", path, strerror(errno));
    return ok;
}

/* ---- Paths and directories ---- */

bool host_path_join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    return n >= 0 && (size_t)n < size;
}

bool host_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool host_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool host_exe_dir(char *out, size_t size)
{
    if (size < 2)
        return false;
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0)
        return false;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    return true;
}

bool host_make_dirs(const char *path)
{
    char buf[HOST_PATH_SIZE];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return false;
        buf[i] = saved;
    }
    return host_is_dir(path);
}

bool host_make_temp_dir(const char *tag, char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] != '/')
        tmp = "/tmp";
    int n = snprintf(out, size, "%s/%s-XXXXXX", tmp, tag);
    return n >= 0 && (size_t)n < size && mkdtemp(out) != NULL;
}

void host_empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[HOST_PATH_SIZE];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (host_path_join(path, sizeof path, dir, e->d_name))
            unlink(path);
    }
    closedir(d);
}

bool host_remove_dir(const char *dir)
{
    host_empty_dir(dir);
    return rmdir(dir) == 0;
}

/* ---- Programs ---- */

static bool is_executable_file(const char *path)
{
    return host_is_file(path) && access(path, X_OK) == 0;
}

bool host_find_program(const char *name, char *out, size_t size)
{
    if (name == NULL || name[0] == '\0')
        return false;
    if (strchr(name, '/')) {
        if (!is_executable_file(name) || strlen(name) >= size)
            return false;
        memcpy(out, name, strlen(name) + 1);
        return true;
    }
    const char *path = getenv("PATH");
    if (path == NULL || path[0] == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    /* Each PATH entry in turn; an empty entry means the current directory (POSIX). */
    for (const char *p = path;; p++) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        int n = len == 0 ? snprintf(out, size, "./%s", name)
                         : snprintf(out, size, "%.*s/%s", (int)len, p, name);
        if (n >= 0 && (size_t)n < size && is_executable_file(out))
            return true;
        if (colon == NULL)
            break;
        p = colon;
    }
    return false;
}

bool host_find_lld(char *out, size_t size)
{
    if (host_find_program("ld.lld-19", out, size) || host_find_program("ld.lld", out, size))
        return true;
    char path[HOST_PATH_SIZE];
    return KILN_LLVM_BINDIR[0] != '\0' &&
           host_path_join(path, sizeof path, KILN_LLVM_BINDIR, "ld.lld") &&
           host_find_program(path, out, size);
}

bool host_spawn(const char *dir, const char *const argv[], char *err, size_t err_size)
{
    /* posix_spawn's argv is char *const[] for historical reasons; it does not write to it.
     * The pointers are copied (not cast) to keep -Wcast-qual meaningful. */
    size_t n = 0;
    while (argv[n] != NULL)
        n++;
    char **args = malloc((n + 1) * sizeof *args);
    if (args == NULL) {
        kiln_msg(err, err_size, "out of memory");
        return false;
    }
    memcpy(args, argv, (n + 1) * sizeof *args);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (dir)
        posix_spawn_file_actions_addchdir_np(&fa, dir);
    pid_t pid;
    int e = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &fa, NULL, args, environ)
                                 : posix_spawnp(&pid, argv[0], &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(args);
    if (e != 0) {
        kiln_msg(err, err_size, "cannot run %s: %s", argv[0], strerror(e));
        return false;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            kiln_msg(err, err_size, "waiting for %s: %s", argv[0], strerror(errno));
            return false;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFEXITED(status))
        kiln_msg(err, err_size, "%s exited with status %d", argv[0], WEXITSTATUS(status));
    else
        kiln_msg(err, err_size, "%s was killed by signal %d", argv[0], WTERMSIG(status));
    return false;
}

/* A buffered writer for response files. */
typedef struct rsp_writer {
    int fd;
    bool ok;
    size_t used;
    char data[4096];
} rsp_writer;

static void rsp_put(rsp_writer *w, char c)
{
    if (w->used == sizeof w->data) {
        w->ok = w->ok && write_fd(w->fd, (const uint8_t *)w->data, w->used);
        w->used = 0;
    }
    w->data[w->used++] = c;
}

/* Writes argv[0..] to fd as a response file: each argument in double quotes, with '\\' and
 * '"' escaped by a backslash, one per line (the GNU rules lld, clang and gcc read it by). */
static bool write_response_file(int fd, const char *const argv[])
{
    rsp_writer w = {.fd = fd, .ok = true, .used = 0};
    for (size_t i = 0; argv[i] != NULL; i++) {
        rsp_put(&w, '"');
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '\\' || *p == '"')
                rsp_put(&w, '\\');
            rsp_put(&w, *p);
        }
        rsp_put(&w, '"');
        rsp_put(&w, '\n');
    }
    return w.ok && write_fd(fd, (const uint8_t *)w.data, w.used);
}

bool host_spawn_rsp(const char *dir, const char *const argv[], char *err, size_t err_size)
{
    char tmp[HOST_PATH_SIZE], rsp[HOST_PATH_SIZE + 16], at[HOST_PATH_SIZE + 17];
    if (!host_make_temp_dir("kiln-args", tmp, sizeof tmp)) {
        kiln_msg(err, err_size, "cannot create a temporary directory: %s", strerror(errno));
        return false;
    }
    snprintf(rsp, sizeof rsp, "%s/args.rsp", tmp);
    snprintf(at, sizeof at, "@%s", rsp);
    int fd = open(rsp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write_response_file(fd, argv + 1);
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok)
        kiln_msg(err, err_size, "cannot write %s: %s", rsp, strerror(e));
    else
        ok = host_spawn(dir, (const char *const[]){argv[0], at, NULL}, err, err_size);
    unlink(rsp);
    rmdir(tmp);
    return ok;
}

/* ---- Private directories and files (kiln run's cache) ---- */

host_dir_status host_open_private_dir(const char *path, int *out_fd, char *why, size_t why_size)
{
    *out_fd = -1;
    kiln_msg(why, why_size, "%s", "");
    /* mkdir -p with 0700 (the XDG base directory rule for directories it creates). */
    char buf[HOST_PATH_SIZE];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf || path[0] != '/')
        return HOST_DIR_MISSING;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return HOST_DIR_MISSING;
        buf[i] = saved;
    }
    /* The directory itself is opened without following a symlink and checked on the
     * descriptor, which every later step works relative to: swapping the path afterwards
     * changes nothing. */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP || e == ENOTDIR) {
            struct stat lst;
            bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
            kiln_msg(why, why_size, "%s", link ? "it is a symbolic link" : "it is not a directory");
            return HOST_DIR_UNSAFE;
        }
        return HOST_DIR_MISSING;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return HOST_DIR_MISSING;
    }
    if (st.st_uid != geteuid()) {
        kiln_msg(why, why_size, "it belongs to user %ju, not to you (%ju)", (uintmax_t)st.st_uid,
                 (uintmax_t)geteuid());
        close(fd);
        return HOST_DIR_UNSAFE;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        kiln_msg(why, why_size, "other users can write to it (mode %04o)",
                 (unsigned)(st.st_mode & 07777));
        close(fd);
        return HOST_DIR_UNSAFE;
    }
    /* Ours, and nobody else could ever write to it: what it holds is ours. Readable by
     * others (0755, what older versions made): made private. */
    if ((st.st_mode & 077) != 0 && fchmod(fd, st.st_mode & 0700) != 0) {
        kiln_msg(why, why_size, "it cannot be made private (mode %04o): %s",
                 (unsigned)(st.st_mode & 07777), strerror(errno));
        close(fd);
        return HOST_DIR_UNSAFE;
    }
    *out_fd = fd;
    return HOST_DIR_OK;
}

int host_open_private_file(int dirfd, const char *name, struct stat *st)
{
    /* O_NONBLOCK: a FIFO or device planted under the name must not block the open. */
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid() ||
        (st->st_mode & (S_IWGRP | S_IWOTH))) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

int host_create_private_file(int dirfd, const char *name, char *tmp, size_t tmp_size)
{
    static unsigned counter;
    for (int tries = 0; tries < 100; tries++) {
        int n = snprintf(tmp, tmp_size, "%s.tmp.%ld.%u", name, (long)getpid(), counter++);
        if (n < 0 || (size_t)n >= tmp_size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

bool host_commit_private_file(int dirfd, int fd, const char *tmp, const char *name)
{
    if (fsync(fd) == 0 && renameat(dirfd, tmp, dirfd, name) == 0)
        return true;
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    errno = e;
    return false;
}

bool host_write_all(int fd, const void *data, size_t size)
{
    return write_fd(fd, data, size);
}

bool host_copy_fd(int from, int to)
{
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        if (!write_fd(to, (const uint8_t *)buf, (size_t)n))
            return false;
    }
}
