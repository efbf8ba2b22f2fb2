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
 * a preopen is not even named by inode. Each descriptor keeps a stream of its own (a
 * descriptor of its own, so fd_seek cannot disturb it, and a buffer of getdents64 records)
 * and the cookie of the entry it returns next: reading on from where the last call stopped
 * costs nothing; an earlier cookie rewinds (lseek to 0) and skips.
 *
 * The stream reads getdents64 itself rather than readdir/telldir/seekdir: a file system's
 * directory offsets are 64-bit values (ext4 hashes), which a 32-bit host's readdir cannot
 * return without _FILE_OFFSET_BITS=64 (EOVERFLOW) and whose telldir cannot hold them in a
 * long. Only counts are kept here, so cookies mean the same on every host; an entry that does
 * not fit the guest's buffer simply stays at the head of the stream's buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_impl.h"

#define DIR_BUF_SIZE (32u * 1024u) /* getdents64 records read at a time */

/* linux_dirent64: d_ino u64 @0, d_off s64 @8, d_reclen u16 @16, d_type u8 @18, d_name @19. */
#define DENT_RECLEN_AT 16u
#define DENT_TYPE_AT   18u
#define DENT_NAME_AT   19u

struct wasi_dirstream {
    int fd;
    uint64_t cookie; /* of the entry at buf[pos] (or the next one read) */
    size_t len, pos; /* bytes of records in buf, and where the next one starts */
    uint8_t buf[DIR_BUF_SIZE];
};

void wasi_dirstream_free(wasi_dirstream *s)
{
    if (s == NULL)
        return;
    close(s->fd);
    free(s);
}

/* One entry of the stream's buffer, in place. */
typedef struct dir_entry {
    uint64_t ino;
    uint8_t type; /* DT_* */
    const char *name;
    uint16_t reclen;
} dir_entry;

/* The entry at the head of the stream, other than "." and "..", without consuming it; false
 * at the end (*err = ESUCCESS) or on failure (*err set). */
static bool peek_entry(wasi_dirstream *s, dir_entry *e, uint16_t *err)
{
    *err = WASI_ESUCCESS;
    for (;;) {
        if (s->pos >= s->len) {
            long n = syscall(SYS_getdents64, s->fd, s->buf, sizeof s->buf);
            if (n < 0) {
                *err = wasi_errno();
                return false;
            }
            s->len = (size_t)n;
            s->pos = 0;
            if (n == 0)
                return false;
        }
        const uint8_t *rec = s->buf + s->pos;
        uint16_t reclen;
        memcpy(&reclen, rec + DENT_RECLEN_AT, sizeof reclen);
        if (reclen <= DENT_NAME_AT || reclen > s->len - s->pos) {
            *err = WASI_EIO; /* not what the kernel writes */
            return false;
        }
        memcpy(&e->ino, rec, sizeof e->ino);
        e->type = rec[DENT_TYPE_AT];
        e->name = (const char *)rec + DENT_NAME_AT; /* NUL-terminated within reclen */
        e->reclen = reclen;
        if (strcmp(e->name, ".") != 0 && strcmp(e->name, "..") != 0)
            return true;
        s->pos += reclen; /* synthesized instead */
    }
}

static void consume_entry(wasi_dirstream *s, const dir_entry *e)
{
    s->pos += e->reclen;
    s->cookie++;
}

static uint8_t dirent_type(int dirfd, const dir_entry *de)
{
    switch (de->type) {
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
        if (fstatat(dirfd, de->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return WASI_FILETYPE_UNKNOWN;
        return wasi_filetype_of_mode(st.st_mode);
    }
    }
}

/* Opens the stream on first use and positions it at cookie (>= 2). */
static uint16_t seek_stream(wasi_fd *f, uint64_t cookie)
{
    wasi_dirstream *s = f->dir;
    if (s == NULL) {
        s = malloc(sizeof *s);
        if (s == NULL)
            return WASI_ENOMEM;
        s->fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->fd < 0) {
            uint16_t err = wasi_errno();
            free(s);
            return err;
        }
        s->cookie = 2;
        s->len = s->pos = 0;
        f->dir = s;
    }
    /* Cookie 2 starts the listing afresh: rewind even when the stream is already there (it
     * may be at its end), so entries created since the last listing are seen. */
    if (cookie < s->cookie || cookie == 2) {
        if (lseek(s->fd, 0, SEEK_SET) < 0)
            return wasi_errno();
        s->cookie = 2;
        s->len = s->pos = 0;
    }
    uint16_t err = WASI_ESUCCESS;
    dir_entry e;
    while (s->cookie < cookie) {
        if (!peek_entry(s, &e, &err))
            return err; /* past the end: nothing to return */
        consume_entry(s, &e);
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

/* fd_readdir on f, holding its dir_lock. */
static uint16_t readdir_locked(wasi_call *c, wasi_fd *f)
{
    uint16_t err;
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
    wasi_dirstream *s = f->dir;
    if (s->cookie < cookie) /* the cookie is past the end */
        return wasi_store_u32(c, out, used);
    for (;;) {
        dir_entry e;
        if (!peek_entry(s, &e, &err)) {
            if (err != WASI_ESUCCESS && used == 0)
                return err;
            break;
        }
        /* An entry cut short stays at the head of the stream, so the next call (from its
         * cookie) needs no rewind. */
        if (!put_record(c, buf, buf_len, &used, s->cookie + 1, e.ino, dirent_type(s->fd, &e),
                        e.name))
            break;
        consume_entry(s, &e);
    }
    return wasi_store_u32(c, out, used);
}

/* fd_readdir(fd, buf, buf_len, cookie) -> (errno, size). A descriptor's stream is used by
 * one thread at a time (wasi-threads). */
uint16_t wasi_fd_readdir(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_READDIR, &err);
    if (f == NULL)
        return err;
    if (f->filetype != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    pthread_mutex_lock(&f->dir_lock);
    err = readdir_locked(c, f);
    pthread_mutex_unlock(&f->dir_lock);
    return err;
}
