/* wasi_dir.c -- fd_readdir.
 *
 * witx: the buffer is filled with dirent records (24 bytes: d_next, d_ino, d_namlen, d_type),
 * each followed by its name (no NUL). If the last record does not fit, as much of it as fits
 * is written and the result equals buf_len; the guest then knows to call again from the last
 * whole record's d_next, typically with a larger buffer.
 *
 * Cookies are positions: 0 is ".", 1 is "..", 2 + i is the i-th other entry the kernel
 * returns, and d_next is the cookie of the next record (wasmtime numbers them the same way).
 * "." and ".." are synthesized, both with the directory's own inode number, so the parent of
 * a preopen is not even named by inode. Each descriptor keeps an open directory stream (on a
 * descriptor of its own, so fd_seek cannot disturb it) and the cookie it is at: reading on
 * from where the last call stopped costs nothing; an earlier cookie rewinds and skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi_impl.h"

static uint8_t dirent_type(DIR *dir, const struct dirent *de)
{
    switch (de->d_type) {
    case DT_REG:
        return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR:
        return WASI_FILETYPE_DIRECTORY;
    case DT_LNK:
        return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR:
        return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK:
        return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK:
        return WASI_FILETYPE_SOCKET_STREAM;
    case DT_FIFO:
        return WASI_FILETYPE_UNKNOWN;
    default: {
        /* DT_UNKNOWN: some file systems leave the type to a stat. */
        struct stat st;
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return WASI_FILETYPE_UNKNOWN;
        return wasi_filetype_of_mode(st.st_mode);
    }
    }
}

/* The next entry other than "." and "..", or NULL at the end (*err set on failure). */
static struct dirent *next_entry(DIR *dir, uint16_t *err)
{
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (de == NULL) {
            *err = errno != 0 ? wasi_errno() : WASI_ESUCCESS;
            return NULL;
        }
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            return de;
    }
}

/* Opens the stream on first use and positions it at cookie (>= 2). */
static uint16_t seek_stream(wasi_fd *f, uint64_t cookie)
{
    if (f->dir == NULL) {
        int fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return wasi_errno();
        f->dir = fdopendir(fd);
        if (f->dir == NULL) {
            uint16_t err = wasi_errno();
            close(fd);
            return err;
        }
        f->dir_cookie = 2;
    }
    /* Cookie 2 starts the listing afresh: rewind even when the stream is already there (it
     * may be at its end), so entries created since the last listing are seen. */
    if (cookie < f->dir_cookie || cookie == 2) {
        rewinddir(f->dir);
        f->dir_cookie = 2;
    }
    uint16_t err = WASI_ESUCCESS;
    while (f->dir_cookie < cookie) {
        if (next_entry(f->dir, &err) == NULL)
            return err; /* past the end: nothing to return */
        f->dir_cookie++;
    }
    return WASI_ESUCCESS;
}

/* Writes one record (truncated to what is left); false when it did not fit whole. */
static bool put_record(const wasi_call *c, uint32_t buf, uint32_t buf_len, uint32_t *used,
                       uint64_t next, uint64_t ino, uint8_t type, const char *name)
{
    size_t name_len = strlen(name);
    uint8_t rec[WASI_DIRENT_SIZE];
    memset(rec, 0, sizeof rec);
    wasi_put_u64(rec + 0, next);
    wasi_put_u64(rec + 8, ino);
    wasi_put_u32(rec + 16, (uint32_t)name_len);
    rec[20] = type;
    uint32_t left = buf_len - *used;
    uint32_t n = left < WASI_DIRENT_SIZE ? left : WASI_DIRENT_SIZE;
    if (n != 0)
        memcpy(wasi_mem_at(c, buf + *used), rec, n);
    *used += n;
    left -= n;
    uint32_t m = left < name_len ? left : (uint32_t)name_len;
    if (m != 0)
        memcpy(wasi_mem_at(c, buf + *used), name, m);
    *used += m;
    return n == WASI_DIRENT_SIZE && m == name_len;
}

/* fd_readdir(fd, buf, buf_len, cookie) -> (errno, size) */
uint16_t wasi_fd_readdir(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_READDIR, &err);
    if (f == NULL)
        return err;
    if (f->filetype != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    uint32_t buf = wasi_arg32(c, 1), buf_len = wasi_arg32(c, 2), out = wasi_arg32(c, 4);
    uint64_t cookie = wasi_arg64(c, 3);
    if (!wasi_mem_ok(c, buf, buf_len) || !wasi_mem_ok(c, out, 4))
        return WASI_EFAULT;
    struct stat self;
    if (fstat(f->host, &self) != 0)
        return wasi_errno();
    uint32_t used = 0;
    static const char *const dots[2] = {".", ".."};
    for (uint64_t i = cookie; i < 2; i++)
        if (!put_record(c, buf, buf_len, &used, i + 1, (uint64_t)self.st_ino,
                        WASI_FILETYPE_DIRECTORY, dots[i]))
            return wasi_store_u32(c, out, used);
    if ((err = seek_stream(f, cookie > 2 ? cookie : 2)) != WASI_ESUCCESS)
        return err;
    if (f->dir_cookie < cookie) /* the cookie is past the end */
        return wasi_store_u32(c, out, used);
    for (;;) {
        long where = telldir(f->dir);
        struct dirent *de = next_entry(f->dir, &err);
        if (de == NULL) {
            if (err != WASI_ESUCCESS && used == 0)
                return err;
            break;
        }
        if (!put_record(c, buf, buf_len, &used, f->dir_cookie + 1, (uint64_t)de->d_ino,
                        dirent_type(f->dir, de), de->d_name)) {
            /* Cut short: stay on this entry, so the next call (from its cookie) needs no
             * rewind. */
            seekdir(f->dir, where);
            break;
        }
        f->dir_cookie++;
    }
    return wasi_store_u32(c, out, used);
}
