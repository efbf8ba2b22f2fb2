/* wasi_resolve.c -- resolving guest paths without ever leaving a pre-opened directory.
 *
 * A path's directory part is opened (O_PATH) beneath the base descriptor, either by
 *  - openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the kernel has it (probed once):
 *    EXDEV is an escape (EPERM to the guest); ELOOP, which a magic link also gives, reruns the
 *    resolution with the walk below so the answer does not depend on the kernel; or by
 *  - a walk, one component at a time, each opened O_NOFOLLOW | O_DIRECTORY. A symlink found on
 *    the way is read (readlinkat) and spliced into the rest of the path (at most 40, absolute
 *    targets refused); ".." pops the names walked so far and re-walks them from the base (a
 *    directory renamed away meanwhile cannot lead outside); ".." with nothing to pop escapes.
 * When the operation follows the last component, that is done here too (readlinkat, then
 * resolve again), so every operation acts on (directory fd, plain name) with *at() calls that
 * never follow symlinks. Nothing is resolved relative to the process's working directory.
 * Unless the preopen allows it, the directory a path ends in must not be on a special file
 * system (procfs, sysfs, ...: wasi_special_file, by fstatfs of that directory's descriptor).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_impl.h"

#if defined(SYS_openat2) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define WASI_HAVE_OPENAT2_HEADERS 1
#else
#define WASI_HAVE_OPENAT2_HEADERS 0
#endif

#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)

/* 0 = not probed, 1 = usable, 2 = not usable. */
static atomic_int openat2_state;
static atomic_bool fallback_forced;

void wasi_force_fallback_walk(bool on)
{
    atomic_store(&fallback_forced, on);
}

#if WASI_HAVE_OPENAT2_HEADERS
static long sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.resolve = resolve;
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}
#endif

bool wasi_have_openat2(void)
{
#if WASI_HAVE_OPENAT2_HEADERS
    int state = atomic_load(&openat2_state);
    if (state == 0) {
        /* Seccomp filters (older container runtimes) fail unknown syscalls with EPERM rather
         * than ENOSYS: anything but success counts as "not here". */
        int root = open("/", DIR_FLAGS);
        long fd = root >= 0
                      ? sys_openat2(root, ".", DIR_FLAGS, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
                      : -1;
        state = fd >= 0 ? 1 : 2;
        if (fd >= 0)
            close((int)fd);
        if (root >= 0)
            close(root);
        atomic_store(&openat2_state, state);
    }
    return state == 1;
#else
    return false;
#endif
}

bool wasi_use_openat2(const kiln_wasi *w)
{
    if (atomic_load(&fallback_forced) || (w != NULL && (w->flags & KILN_WASI_NO_OPENAT2)))
        return false;
    return wasi_have_openat2();
}

/* ---- Scratch state of one resolution (on the heap: host functions run on the guest's
 * stack headroom) ---- */

typedef struct resolver {
    int base;
    unsigned links;                 /* symlinks expanded so far */
    char path[WASI_PATH_MAX + 1];   /* the whole path still to resolve */
    char dir[WASI_PATH_MAX + 1];    /* the walk's copy of its directory part, spliced into */
    char spare[WASI_PATH_MAX + 1];  /* scratch while splicing a symlink's target in */
    char link[WASI_PATH_MAX + 1];   /* a symlink's target */
    char walked[WASI_PATH_MAX + 1]; /* the walk's directories below base, '/'-separated */
    size_t walked_len;
} resolver;

static bool is_dot(const char *s, size_t n)
{
    return n == 1 && s[0] == '.';
}

static bool is_dotdot(const char *s, size_t n)
{
    return n == 2 && s[0] == '.' && s[1] == '.';
}

/* RFC 3629 UTF-8: no overlong forms, surrogates or code points above U+10FFFF. */
bool wasi_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else
            return false;
        if (n - i < len)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += len;
    }
    return true;
}

/* Replaces r->dir with r->link + "/" + tail (what followed the symlink; may be empty). */
static uint16_t splice_link(resolver *r, size_t link_len, const char *tail, size_t tail_len)
{
    if (link_len + 1 + tail_len > WASI_PATH_MAX)
        return WASI_ENAMETOOLONG;
    memcpy(r->spare, r->link, link_len);
    size_t n = link_len;
    if (tail_len != 0) {
        r->spare[n++] = '/';
        memcpy(r->spare + n, tail, tail_len);
        n += tail_len;
    }
    r->spare[n] = '\0';
    memcpy(r->dir, r->spare, n + 1);
    return WASI_ESUCCESS;
}

/* Reads the symlink name in dirfd into r->link. Returns its length, or -1 if name is not a
 * symlink (or cannot be read). *err is set when it is a symlink the sandbox refuses. */
static long read_link(resolver *r, int dirfd, const char *name, uint16_t *err)
{
    ssize_t n = readlinkat(dirfd, name, r->link, WASI_PATH_MAX);
    if (n < 0)
        return -1;
    *err = WASI_ESUCCESS;
    if (++r->links > WASI_MAX_SYMLINKS)
        *err = WASI_ELOOP;
    else if (n >= (ssize_t)WASI_PATH_MAX)
        *err = WASI_ENAMETOOLONG;
    else if (n == 0)
        *err = WASI_ENOENT;
    else if (r->link[0] == '/')
        *err = WASI_EESCAPE; /* absolute: outside the tree by definition (also /proc/self/root) */
    r->link[n < (ssize_t)WASI_PATH_MAX ? n : WASI_PATH_MAX] = '\0';
    return (long)n;
}

/* Opens the directories in r->walked one by one from the base, never following symlinks. */
static int rewalk(resolver *r, uint16_t *err)
{
    int cur = openat(r->base, ".", DIR_FLAGS);
    size_t i = 0;
    while (cur >= 0 && i < r->walked_len) {
        size_t j = i;
        while (j < r->walked_len && r->walked[j] != '/')
            j++;
        char name[NAME_MAX + 1];
        memcpy(name, r->walked + i, j - i);
        name[j - i] = '\0';
        int next = openat(cur, name, DIR_FLAGS | O_NOFOLLOW);
        close(cur);
        cur = next;
        i = j + 1;
    }
    if (cur < 0)
        *err = wasi_errno();
    return cur;
}

/* The component walk: opens the directory r->dir names beneath the base. */
static int walk_dir(resolver *r, uint16_t *err)
{
    r->walked_len = 0;
    int cur = openat(r->base, ".", DIR_FLAGS);
    if (cur < 0) {
        *err = wasi_errno();
        return -1;
    }
    size_t len = strlen(r->dir), pos = 0;
    while (pos < len) {
        while (pos < len && r->dir[pos] == '/')
            pos++;
        size_t start = pos;
        while (pos < len && r->dir[pos] != '/')
            pos++;
        size_t n = pos - start;
        const char *comp = r->dir + start;
        if (n == 0 || is_dot(comp, n))
            continue;
        if (is_dotdot(comp, n)) {
            if (r->walked_len == 0) {
                *err = WASI_EESCAPE; /* above the base */
                goto out_close;
            }
            size_t k = r->walked_len;
            while (k > 0 && r->walked[k - 1] != '/')
                k--;
            r->walked_len = k > 0 ? k - 1 : 0;
            close(cur);
            cur = rewalk(r, err);
            if (cur < 0)
                return -1;
            continue;
        }
        if (n > NAME_MAX) {
            *err = WASI_ENAMETOOLONG;
            goto out_close;
        }
        char name[NAME_MAX + 1];
        memcpy(name, comp, n);
        name[n] = '\0';
        int next = openat(cur, name, DIR_FLAGS | O_NOFOLLOW);
        if (next >= 0) {
            size_t need = r->walked_len + (r->walked_len != 0) + n;
            if (need > WASI_PATH_MAX) {
                close(next);
                *err = WASI_ENAMETOOLONG;
                goto out_close;
            }
            if (r->walked_len != 0)
                r->walked[r->walked_len++] = '/';
            memcpy(r->walked + r->walked_len, name, n);
            r->walked_len += n;
            close(cur);
            cur = next;
            continue;
        }
        int e = errno;
        if (e != ENOTDIR && e != ELOOP) {
            *err = wasi_errno_from_host(e);
            goto out_close;
        }
        long link_len = read_link(r, cur, name, err);
        if (link_len < 0) {
            *err = WASI_ENOTDIR; /* a file where a directory is needed */
            goto out_close;
        }
        if (*err != WASI_ESUCCESS)
            goto out_close;
        /* Splice the target in front of the rest and go on from the same directory. */
        while (pos < len && r->dir[pos] == '/')
            pos++;
        if ((*err = splice_link(r, (size_t)link_len, r->dir + pos, len - pos)) != WASI_ESUCCESS)
            goto out_close;
        len = strlen(r->dir);
        pos = 0;
    }
    return cur;

out_close:
    close(cur);
    return -1;
}

/* Opens the directory r->path[0, len) names beneath the base, with openat2 or the walk. */
static int open_dir(resolver *r, size_t len, bool use_openat2, uint16_t *err)
{
    memcpy(r->dir, r->path, len);
    r->dir[len] = '\0';
    if (len == 0) {
        int fd = openat(r->base, ".", DIR_FLAGS);
        if (fd < 0)
            *err = wasi_errno();
        return fd;
    }
#if WASI_HAVE_OPENAT2_HEADERS
    if (use_openat2) {
        long fd = -1;
        int e = 0;
        /* EAGAIN: a rename raced with ".." resolution; the kernel asks for a retry. */
        for (int tries = 0; tries < 8; tries++) {
            fd = sys_openat2(r->base, r->dir, DIR_FLAGS, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
            e = errno;
            if (fd >= 0 || e != EAGAIN)
                break;
        }
        if (fd >= 0)
            return (int)fd;
        if (e == EXDEV) {
            *err = WASI_EESCAPE;
            return -1;
        }
        if (e != ELOOP && e != EAGAIN && e != ENOSYS) {
            *err = wasi_errno_from_host(e);
            return -1;
        }
        /* ELOOP is a loop, more than 40 links, or a magic link: the walk tells which. */
    }
#else
    (void)use_openat2;
#endif
    return walk_dir(r, err);
}

/* ---- Special files: what a path must not reach (docs/wasi.md, "Special files") ---- */

/* File systems whose files are the host's kernel and processes rather than data: reading or
 * writing them is a way out of any sandbox (/proc/self/mem writes this process's memory,
 * /proc/self/environ and maps read its secrets, /sys and /sys/kernel/debug change the
 * kernel). By fstatfs f_type (linux/magic.h), so neither a path nor a bind mount hides them.
 * devtmpfs reports tmpfs's type: device files are refused by their st_mode instead. */
static const struct {
    unsigned long magic;
    const char *name;
} special_fs[] = {
    {0x9fa0, "procfs"},       {0x62656572, "sysfs"},       {0x64626720, "debugfs"},
    {0x74726163, "tracefs"},  {0x73636673, "securityfs"},  {0xf97cff8c, "selinuxfs"},
    {0x43415d53, "smackfs"},  {0x27e0eb, "cgroupfs"},      {0x63677270, "cgroup2fs"},
    {0xcafe4a11, "bpffs"},    {0x6165676c, "pstorefs"},    {0xde5e81e4, "efivarfs"},
    {0x62656570, "configfs"}, {0x42494e4d, "binfmt_misc"}, {0x1cd1, "devpts"},
    {0x65735543, "fusectl"},  {0x6e736673, "nsfs"},
};

const char *wasi_special_file(int fd)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0)
        return "a file system that cannot be identified";
    for (size_t i = 0; i < WASI_ARRAY_LEN(special_fs); i++)
        if ((unsigned long)fs.f_type == special_fs[i].magic)
            return special_fs[i].name;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return "a file that cannot be identified";
    if (S_ISCHR(st.st_mode))
        return "a character device";
    if (S_ISBLK(st.st_mode))
        return "a block device";
    return NULL;
}

uint16_t wasi_resolve_bytes(int base_fd, const char *path, size_t len, int follow, unsigned how,
                            wasi_path *out)
{
    bool use_openat2 = how & WASI_RESOLVE_OPENAT2;
    out->dirfd = -1;
    out->name[0] = '\0';
    out->trailing_slash = false;
    out->special = NULL;
    if (len == 0)
        return WASI_ENOENT;
    if (len > WASI_PATH_MAX - 1)
        return WASI_ENAMETOOLONG;
    if (memchr(path, '\0', len) != NULL)
        return WASI_EINVAL;
    if (!wasi_utf8_valid((const unsigned char *)path, len))
        return WASI_EILSEQ;
    if (path[0] == '/')
        return WASI_EESCAPE;
    resolver *r = malloc(sizeof *r);
    if (r == NULL)
        return WASI_ENOMEM;
    r->base = base_fd;
    r->links = 0;
    memcpy(r->path, path, len);
    r->path[len] = '\0';
    uint16_t err = WASI_ESUCCESS;
    for (;;) {
        len = strlen(r->path);
        bool trailing = false;
        while (len > 1 && r->path[len - 1] == '/') {
            len--;
            trailing = true;
        }
        r->path[len] = '\0';
        size_t slash = len;
        while (slash > 0 && r->path[slash - 1] != '/')
            slash--;
        const char *last = r->path + slash;
        size_t last_len = len - slash;
        size_t dir_len = slash; /* keeps the '/': "a/b/" + "c" */
        if (is_dot(last, last_len) || is_dotdot(last, last_len)) {
            /* "a/.." or ".": the directory itself. */
            out->dirfd = open_dir(r, len, use_openat2, &err);
            if (out->dirfd >= 0) {
                strcpy(out->name, ".");
                out->trailing_slash = trailing;
            }
            break;
        }
        if (last_len > NAME_MAX) {
            err = WASI_ENAMETOOLONG;
            break;
        }
        char name[NAME_MAX + 1];
        memcpy(name, last, last_len);
        name[last_len] = '\0';
        int dirfd = open_dir(r, dir_len, use_openat2, &err);
        if (dirfd < 0)
            break;
        bool follow_last = follow == WASI_FOLLOW || (follow == WASI_FOLLOW_IF_SLASH && trailing);
        long link_len = follow_last ? read_link(r, dirfd, name, &err) : -1;
        if (link_len >= 0) {
            /* A symlink to follow: resolve dirpart + target (+ "/") from the start. */
            close(dirfd);
            if (err != WASI_ESUCCESS)
                break;
            size_t n = dir_len + (size_t)link_len + (trailing ? 1 : 0);
            if (n > WASI_PATH_MAX - 1) {
                err = WASI_ENAMETOOLONG;
                break;
            }
            memcpy(r->path + dir_len, r->link, (size_t)link_len);
            if (trailing)
                r->path[n - 1] = '/';
            r->path[n] = '\0';
            continue;
        }
        err = WASI_ESUCCESS;
        out->dirfd = dirfd;
        memcpy(out->name, name, last_len + 1);
        out->trailing_slash = trailing;
        break;
    }
    free(r);
    const char *special =
        out->dirfd >= 0 && !(how & WASI_RESOLVE_SPECIAL_OK) ? wasi_special_file(out->dirfd) : NULL;
    if (special != NULL) {
        wasi_path_done(out); /* a directory in /proc, /sys, ...: nothing there is a file */
        out->special = special;
        return WASI_EACCES;
    }
    return out->dirfd >= 0 ? WASI_ESUCCESS : err;
}

uint16_t wasi_resolve(const wasi_call *c, const wasi_fd *dir, uint32_t ptr, uint32_t len,
                      int follow, wasi_path *out)
{
    out->dirfd = -1;
    if (!wasi_mem_ok(c, ptr, len))
        return WASI_EFAULT;
    if (len > WASI_PATH_MAX)
        return WASI_ENAMETOOLONG;
    /* One copy out of guest memory, so a racing guest thread cannot change the path between
     * the checks and its use. */
    char *copy = malloc(len + 1u);
    if (copy == NULL)
        return WASI_ENOMEM;
    if (len != 0)
        memcpy(copy, wasi_mem_at(c, ptr), len);
    unsigned how = (wasi_use_openat2(c->wasi) ? WASI_RESOLVE_OPENAT2 : 0u) |
                   (dir->special_ok ? WASI_RESOLVE_SPECIAL_OK : 0u);
    uint16_t err = wasi_resolve_bytes(dir->host, copy, len, follow, how, out);
    if (out->special != NULL && wasi_verbose(c->wasi)) {
        char quoted[1024];
        wasi_quote(quoted, sizeof quoted, copy, len);
        wasi_log(c->wasi,
                 "%s: EACCES: it lies on %s, which exposes the host's kernel and "
                 "processes, not files (--allow-special-fs)",
                 quoted, out->special);
    }
    free(copy);
    return err;
}

void wasi_path_done(wasi_path *p)
{
    if (p->dirfd >= 0)
        close(p->dirfd);
    p->dirfd = -1;
}
