/* wasi_path.c -- the path_* functions: open, create_directory, filestat_get/set_times, link,
 * readlink, remove_directory, rename, symlink, unlink_file.
 *
 * Each one checks the directory descriptor (EBADF, ENOTDIR for a non-directory, ENOTCAPABLE
 * for a missing right), has wasi_resolve turn the guest path into (directory fd, plain name)
 * beneath it, and makes one *at() call on that pair that never follows a symlink: when an
 * operation follows the last component, wasi_resolve has already done so within the sandbox.
 * A trailing '/' keeps its POSIX meaning (the last component must be a directory), checked
 * here because the kernel is never shown one (it would follow a final symlink unchecked).
 * path_open narrows the requested rights to what the file type allows and refuses rights the
 * directory cannot hand on (ENOTCAPABLE); path_symlink refuses absolute targets (EPERM).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wasi_impl.h"

/* A directory descriptor with the given rights, or NULL with *err set. */
static wasi_fd *dir_get(wasi_call *c, uint32_t fd, uint64_t rights, uint16_t *err)
{
    wasi_fd *f = wasi_fd_get(c->wasi, fd);
    if (f == NULL) {
        *err = WASI_EBADF;
        return NULL;
    }
    if (f->filetype != WASI_FILETYPE_DIRECTORY) {
        *err = WASI_ENOTDIR;
        return NULL;
    }
    uint64_t base;
    wasi_fd_rights(c->wasi, f, &base, NULL);
    if ((base & rights) != rights) {
        *err = wasi_refuse_rights(c->wasi, fd, rights & ~base);
        return NULL;
    }
    return f;
}

/* The directory in argument 0, checked for rights, and the path in arguments path_arg and
 * path_arg + 1 resolved beneath it (mode: WASI_NOFOLLOW, ...). */
static uint16_t dir_path(wasi_call *c, uint64_t rights, unsigned path_arg, int mode, wasi_path *p)
{
    uint16_t err;
    wasi_fd *dir = dir_get(c, wasi_arg32(c, 0), rights, &err);
    if (dir == NULL)
        return err;
    return wasi_resolve(c, dir, wasi_arg32(c, path_arg), wasi_arg32(c, path_arg + 1), mode, p);
}

/* What a trailing '/' demands of the entry a non-following operation acts on. */
enum {
    TRAIL_EXISTING_DIR, /* unlink, rmdir, rename source, readlink, link source */
    TRAIL_NEW_DIR,      /* mkdir, rename target: absent is fine, else a directory */
    TRAIL_NEW_OTHER,    /* symlink, link target: "x/" cannot name a new non-directory */
};

static uint16_t trailing_check(const wasi_path *p, int kind)
{
    if (!p->trailing_slash)
        return WASI_ESUCCESS;
    struct stat st;
    if (fstatat(p->dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT && kind == TRAIL_NEW_DIR)
            return WASI_ESUCCESS;
        return wasi_errno();
    }
    if (kind == TRAIL_NEW_OTHER)
        return WASI_EEXIST;
    return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

static int follow_mode(uint32_t lookupflags)
{
    return (lookupflags & WASI_LOOKUP_SYMLINK_FOLLOW) ? WASI_FOLLOW : WASI_FOLLOW_IF_SLASH;
}

/* EACCES for a path that leads to a special file (wasi_special_file), said in verbose mode. */
static uint16_t refuse_special(const wasi_call *c, uint32_t path, uint32_t path_len,
                               const char *what)
{
    if (wasi_verbose(c->wasi)) {
        char quoted[1024];
        wasi_quote(quoted, sizeof quoted, (const char *)wasi_mem_at(c, path), path_len);
        wasi_log(c->wasi,
                 "%s: EACCES: it is %s%s, which exposes the host, not a file "
                 "(--allow-special-fs)",
                 quoted, what[0] == 'a' ? "" : "on ", what);
    }
    return WASI_EACCES;
}

/* path_open(fd, dirflags, path, oflags, fs_rights_base, fs_rights_inheriting, fdflags)
 *   -> (errno, fd) */
uint16_t wasi_path_open(wasi_call *c)
{
    uint32_t dirflags = wasi_arg32(c, 1), path = wasi_arg32(c, 2), path_len = wasi_arg32(c, 3);
    uint32_t oflags = wasi_arg32(c, 4), fdflags = wasi_arg32(c, 7), out = wasi_arg32(c, 8);
    uint64_t base = wasi_arg64(c, 5), inheriting = wasi_arg64(c, 6);
    if ((dirflags & ~WASI_LOOKUP_SYMLINK_FOLLOW) ||
        (oflags & ~(WASI_O_CREAT | WASI_O_DIRECTORY | WASI_O_EXCL | WASI_O_TRUNC)) ||
        (fdflags & ~WASI_FDFLAGS_ALL) || ((base | inheriting) & ~WASI_RIGHTS_ALL))
        return WASI_EINVAL;
    uint64_t needed = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_O_CREAT)
        needed |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_O_TRUNC)
        needed |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    uint16_t err;
    wasi_fd *dir = dir_get(c, wasi_arg32(c, 0), needed, &err);
    if (dir == NULL)
        return err;
    uint64_t dir_base, dir_inheriting;
    wasi_fd_rights(c->wasi, dir, &dir_base, &dir_inheriting);
    /* What the new descriptor gets is what it asks for and the directory can hand on. The
     * rights that decide how the host file is opened (read, write) or that fdflags ask of the
     * kernel must all be there (ENOTCAPABLE: a write-open under a read-only directory fails
     * here, not at the first write); the others are narrowed, as wasmtime does: Rust's std
     * asks for every right, path_create_file and fd_filestat_set_times included, when it opens
     * a file for reading, and must still read under a read-only preopen. */
    uint64_t essential = base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |
                                 WASI_RIGHT_FD_FILESTAT_SET_SIZE);
    if (fdflags & WASI_FDFLAG_DSYNC)
        essential |= WASI_RIGHT_FD_DATASYNC;
    if (fdflags & (WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
        essential |= WASI_RIGHT_FD_SYNC;
    if (essential & ~dir_inheriting) {
        if (wasi_verbose(c->wasi)) {
            char names[768], quoted[1024] = "a path";
            wasi_rights_names(essential & ~dir_inheriting, names, sizeof names);
            if (path_len != 0 && wasi_mem_ok(c, path, path_len))
                wasi_quote(quoted, sizeof quoted, (const char *)wasi_mem_at(c, path), path_len);
            wasi_log(c->wasi, "%s: ENOTCAPABLE: fd %u cannot hand on %s%s", quoted,
                     (unsigned)wasi_arg32(c, 0), names,
                     (dir_inheriting & WASI_RIGHT_FD_WRITE) ? "" : " (read-only)");
        }
        return WASI_ENORIGHTS;
    }
    if (!wasi_mem_ok(c, out, 4))
        return WASI_EFAULT;
    uint64_t dropped = (base | inheriting) & ~dir_inheriting;
    base &= dir_inheriting;
    inheriting &= dir_inheriting;

    bool read = base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
    /* fd_datasync needs no writable host descriptor (fdatasync works on a read-only one), so
     * it does not select a write mode: a directory opened with its own rights still opens. */
    bool write =
        base & (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE);
    int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
    if (oflags & WASI_O_DIRECTORY)
        flags |= O_DIRECTORY | O_RDONLY;
    else
        flags |= read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
    if (oflags & WASI_O_CREAT)
        flags |= O_CREAT;
    if (oflags & WASI_O_EXCL)
        flags |= O_EXCL;
    if (oflags & WASI_O_TRUNC)
        flags |= O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND)
        flags |= O_APPEND;
    if (fdflags & WASI_FDFLAG_NONBLOCK)
        flags |= O_NONBLOCK;
    if (fdflags & WASI_FDFLAG_DSYNC)
        flags |= O_DSYNC;
    if (fdflags & WASI_FDFLAG_RSYNC)
        flags |= O_RSYNC;
    if (fdflags & WASI_FDFLAG_SYNC)
        flags |= O_SYNC;

    /* creat|excl never follows a final symlink (POSIX: EEXIST even if it dangles). */
    bool excl = (oflags & (WASI_O_CREAT | WASI_O_EXCL)) == (WASI_O_CREAT | WASI_O_EXCL);
    wasi_path p;
    err = wasi_resolve(c, dir, path, path_len, excl ? WASI_FOLLOW_IF_SLASH : follow_mode(dirflags),
                       &p);
    if (err != WASI_ESUCCESS)
        return err;
    if (p.trailing_slash) {
        if (flags & O_CREAT) {
            wasi_path_done(&p);
            return WASI_EISDIR; /* open("x/", O_CREAT), as Linux */
        }
        flags = (flags & ~O_ACCMODE) | O_DIRECTORY | O_RDONLY;
    }
    /* Device files are refused before they are opened (opening one can act: a tape rewinds,
     * a watchdog arms); what the open gave is checked again, and for its file system (a mount
     * point such as "proc" of a "/" preopen resolves to a directory outside procfs). */
    struct stat st;
    bool special_ok = dir->special_ok;
    if (!special_ok && fstatat(p.dirfd, p.name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
        wasi_path_done(&p);
        return refuse_special(c, path, path_len,
                              S_ISCHR(st.st_mode) ? "a character device" : "a block device");
    }
    int host = openat(p.dirfd, p.name, flags, 0666);
    err = host < 0 ? wasi_errno() : WASI_ESUCCESS;
    wasi_path_done(&p);
    if (host < 0)
        return err;
    const char *special = special_ok ? NULL : wasi_special_file(host);
    if (special != NULL) {
        close(host);
        return refuse_special(c, path, path_len, special);
    }
    if (dropped != 0 && wasi_verbose(c->wasi)) {
        char names[768], quoted[1024];
        wasi_rights_names(dropped, names, sizeof names);
        wasi_quote(quoted, sizeof quoted, (const char *)wasi_mem_at(c, path), path_len);
        wasi_log(c->wasi, "%s: opened without the rights fd %u cannot hand on: %s", quoted,
                 (unsigned)wasi_arg32(c, 0), names);
    }
    uint8_t type = wasi_filetype_of_fd(host);
    uint64_t rights = base & wasi_rights_for(host, type);
    wasi_fd init = {
        .filetype = type,
        .sync_flags =
            (uint16_t)(fdflags & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC)),
        .rights_base = rights,
        .rights_inheriting = inheriting,
        .special_ok = special_ok,
    };
    uint32_t fd;
    err = wasi_fd_insert(c->wasi, host, &init, &fd);
    if (err != WASI_ESUCCESS)
        return err;
    return wasi_store_u32(c, out, fd);
}

/* path_create_directory(fd, path) -> errno */
uint16_t wasi_path_create_directory(wasi_call *c)
{
    wasi_path p;
    uint16_t err = dir_path(c, WASI_RIGHT_PATH_CREATE_DIRECTORY, 1, WASI_NOFOLLOW, &p);
    if (err != WASI_ESUCCESS)
        return err;
    if ((err = trailing_check(&p, TRAIL_NEW_DIR)) == 0 && mkdirat(p.dirfd, p.name, 0777) != 0)
        err = wasi_errno();
    wasi_path_done(&p);
    return err;
}

/* path_filestat_get(fd, flags, path) -> (errno, filestat) */
uint16_t wasi_path_filestat_get(wasi_call *c)
{
    uint32_t flags = wasi_arg32(c, 1), out = wasi_arg32(c, 4);
    if (flags & ~WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    uint16_t err;
    wasi_fd *dir = dir_get(c, wasi_arg32(c, 0), WASI_RIGHT_PATH_FILESTAT_GET, &err);
    if (dir == NULL)
        return err;
    if (!wasi_mem_ok(c, out, WASI_FILESTAT_SIZE))
        return WASI_EFAULT;
    wasi_path p;
    if ((err = wasi_resolve(c, dir, wasi_arg32(c, 2), wasi_arg32(c, 3), follow_mode(flags), &p)) !=
        0)
        return err;
    struct stat st;
    if (fstatat(p.dirfd, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        err = wasi_errno();
    else if (p.trailing_slash && !S_ISDIR(st.st_mode))
        err = WASI_ENOTDIR;
    wasi_path_done(&p);
    if (err != WASI_ESUCCESS)
        return err;
    uint8_t rec[WASI_FILESTAT_SIZE];
    wasi_filestat_put(rec, &st, wasi_filetype_of_mode(st.st_mode));
    return wasi_mem_write(c, out, rec, sizeof rec);
}

/* path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags) -> errno */
uint16_t wasi_path_filestat_set_times(wasi_call *c)
{
    uint32_t flags = wasi_arg32(c, 1);
    if (flags & ~WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    struct timespec ts[2];
    uint16_t err = wasi_timestamps(wasi_arg64(c, 4), wasi_arg64(c, 5), wasi_arg32(c, 6), ts);
    if (err != WASI_ESUCCESS)
        return err;
    wasi_path p;
    err = dir_path(c, WASI_RIGHT_PATH_FILESTAT_SET_TIMES, 2, follow_mode(flags), &p);
    if (err != WASI_ESUCCESS)
        return err;
    if ((err = trailing_check(&p, TRAIL_EXISTING_DIR)) == 0 &&
        utimensat(p.dirfd, p.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
        err = wasi_errno();
    wasi_path_done(&p);
    return err;
}

/* path_link(old_fd, old_flags, old_path, new_fd, new_path) -> errno */
uint16_t wasi_path_link(wasi_call *c)
{
    uint32_t old_flags = wasi_arg32(c, 1);
    if (old_flags & ~WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    uint16_t err;
    wasi_fd *old_dir = dir_get(c, wasi_arg32(c, 0), WASI_RIGHT_PATH_LINK_SOURCE, &err);
    if (old_dir == NULL)
        return err;
    wasi_fd *new_dir = dir_get(c, wasi_arg32(c, 4), WASI_RIGHT_PATH_LINK_TARGET, &err);
    if (new_dir == NULL)
        return err;
    wasi_path from, to;
    int follow = (old_flags & WASI_LOOKUP_SYMLINK_FOLLOW) ? WASI_FOLLOW : WASI_NOFOLLOW;
    if ((err = wasi_resolve(c, old_dir, wasi_arg32(c, 2), wasi_arg32(c, 3), follow, &from)) != 0)
        return err;
    if ((err = wasi_resolve(c, new_dir, wasi_arg32(c, 5), wasi_arg32(c, 6), WASI_NOFOLLOW, &to)) !=
        0) {
        wasi_path_done(&from);
        return err;
    }
    if ((err = trailing_check(&from, TRAIL_EXISTING_DIR)) == 0 &&
        (err = trailing_check(&to, TRAIL_NEW_OTHER)) == 0 &&
        linkat(from.dirfd, from.name, to.dirfd, to.name, 0) != 0)
        err = wasi_errno();
    wasi_path_done(&from);
    wasi_path_done(&to);
    return err;
}

/* path_readlink(fd, path, buf, buf_len) -> (errno, size): the target, cut to buf_len (no
 * NUL), as wasmtime. */
uint16_t wasi_path_readlink(wasi_call *c)
{
    uint16_t err;
    wasi_fd *dir = dir_get(c, wasi_arg32(c, 0), WASI_RIGHT_PATH_READLINK, &err);
    if (dir == NULL)
        return err;
    uint32_t buf = wasi_arg32(c, 3), buf_len = wasi_arg32(c, 4), out = wasi_arg32(c, 5);
    if (!wasi_mem_ok(c, buf, buf_len) || !wasi_mem_ok(c, out, 4))
        return WASI_EFAULT;
    wasi_path p;
    if ((err = wasi_resolve(c, dir, wasi_arg32(c, 1), wasi_arg32(c, 2), WASI_NOFOLLOW, &p)) != 0)
        return err;
    char *target = malloc(WASI_PATH_MAX);
    ssize_t n = -1;
    if (target == NULL)
        err = WASI_ENOMEM;
    else if ((err = trailing_check(&p, TRAIL_EXISTING_DIR)) == 0 &&
             (n = readlinkat(p.dirfd, p.name, target, WASI_PATH_MAX)) < 0)
        err = wasi_errno();
    wasi_path_done(&p);
    if (err == WASI_ESUCCESS) {
        uint32_t m = (uint64_t)n < buf_len ? (uint32_t)n : buf_len;
        wasi_mem_write(c, buf, target, m);
        err = wasi_store_u32(c, out, m);
    }
    free(target);
    return err;
}

/* path_remove_directory(fd, path) -> errno */
uint16_t wasi_path_remove_directory(wasi_call *c)
{
    wasi_path p;
    uint16_t err = dir_path(c, WASI_RIGHT_PATH_REMOVE_DIRECTORY, 1, WASI_NOFOLLOW, &p);
    if (err != WASI_ESUCCESS)
        return err;
    if ((err = trailing_check(&p, TRAIL_EXISTING_DIR)) == 0 &&
        unlinkat(p.dirfd, p.name, AT_REMOVEDIR) != 0)
        err = wasi_errno();
    wasi_path_done(&p);
    return err;
}

/* path_rename(fd, old_path, new_fd, new_path) -> errno */
uint16_t wasi_path_rename(wasi_call *c)
{
    uint16_t err;
    wasi_fd *old_dir = dir_get(c, wasi_arg32(c, 0), WASI_RIGHT_PATH_RENAME_SOURCE, &err);
    if (old_dir == NULL)
        return err;
    wasi_fd *new_dir = dir_get(c, wasi_arg32(c, 3), WASI_RIGHT_PATH_RENAME_TARGET, &err);
    if (new_dir == NULL)
        return err;
    wasi_path from, to;
    if ((err = wasi_resolve(c, old_dir, wasi_arg32(c, 1), wasi_arg32(c, 2), WASI_NOFOLLOW,
                            &from)) != 0)
        return err;
    if ((err = wasi_resolve(c, new_dir, wasi_arg32(c, 4), wasi_arg32(c, 5), WASI_NOFOLLOW, &to)) !=
        0) {
        wasi_path_done(&from);
        return err;
    }
    /* A trailing '/' on either side means both must be directories. */
    if (to.trailing_slash)
        from.trailing_slash = true;
    if ((err = trailing_check(&from, TRAIL_EXISTING_DIR)) == 0 &&
        (err = trailing_check(&to, TRAIL_NEW_DIR)) == 0 &&
        renameat(from.dirfd, from.name, to.dirfd, to.name) != 0)
        err = wasi_errno();
    wasi_path_done(&from);
    wasi_path_done(&to);
    return err;
}

/* path_symlink(old_path, fd, new_path) -> errno. old_path is stored, not resolved; an
 * absolute one could never be followed inside the sandbox, so it is refused (EPERM). */
uint16_t wasi_path_symlink(wasi_call *c)
{
    uint32_t target = wasi_arg32(c, 0), target_len = wasi_arg32(c, 1);
    uint16_t err;
    wasi_fd *dir = dir_get(c, wasi_arg32(c, 2), WASI_RIGHT_PATH_SYMLINK, &err);
    if (dir == NULL)
        return err;
    err = WASI_ESUCCESS;
    if (!wasi_mem_ok(c, target, target_len))
        return WASI_EFAULT;
    if (target_len == 0)
        return WASI_ENOENT;
    if (target_len >= WASI_PATH_MAX)
        return WASI_ENAMETOOLONG;
    char *text = malloc(target_len + 1u);
    if (text == NULL)
        return WASI_ENOMEM;
    memcpy(text, wasi_mem_at(c, target), target_len);
    text[target_len] = '\0';
    if (memchr(text, '\0', target_len) != NULL)
        err = WASI_EINVAL;
    else if (!wasi_utf8_valid((const unsigned char *)text, target_len))
        err = WASI_EILSEQ;
    else if (text[0] == '/')
        err = WASI_EESCAPE;
    wasi_path p;
    if (err == WASI_ESUCCESS &&
        (err = wasi_resolve(c, dir, wasi_arg32(c, 3), wasi_arg32(c, 4), WASI_NOFOLLOW, &p)) == 0) {
        if ((err = trailing_check(&p, TRAIL_NEW_OTHER)) == 0 &&
            symlinkat(text, p.dirfd, p.name) != 0)
            err = wasi_errno();
        wasi_path_done(&p);
    }
    free(text);
    return err;
}

/* path_unlink_file(fd, path) -> errno */
uint16_t wasi_path_unlink_file(wasi_call *c)
{
    wasi_path p;
    uint16_t err = dir_path(c, WASI_RIGHT_PATH_UNLINK_FILE, 1, WASI_NOFOLLOW, &p);
    if (err != WASI_ESUCCESS)
        return err;
    if ((err = trailing_check(&p, TRAIL_EXISTING_DIR)) == 0 && unlinkat(p.dirfd, p.name, 0) != 0)
        err = wasi_errno();
    wasi_path_done(&p);
    return err;
}
