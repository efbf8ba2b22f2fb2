/* wasi_fd.c -- descriptor operations that move no data: fd_close, fd_renumber, fd_seek,
 * fd_tell, fd_fdstat_*, fd_filestat_*, fd_prestat_*, fd_advise, fd_allocate, fd_sync,
 * fd_datasync.
 *
 * Each looks the guest descriptor up with the rights witx lists for it (EBADF if there is no
 * such descriptor, ENOTCAPABLE if a right is missing), checks its integer arguments the way
 * wasmtime does (a flag or enum value outside its witx type is EINVAL), checks any result
 * pointer before changing anything, and then makes one host call. Rights can only shrink:
 * fd_fdstat_set_rights refuses to add any (ENOTCAPABLE).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi_impl.h"

void wasi_filestat_put(uint8_t out[WASI_FILESTAT_SIZE], const struct stat *st, uint8_t filetype)
{
    memset(out, 0, WASI_FILESTAT_SIZE);
    wasi_put_u64(out + 0, (uint64_t)st->st_dev);
    wasi_put_u64(out + 8, (uint64_t)st->st_ino);
    out[16] = filetype;
    wasi_put_u64(out + 24, (uint64_t)st->st_nlink);
    wasi_put_u64(out + 32, (uint64_t)st->st_size);
    wasi_put_u64(out + 40, wasi_timespec_ns(&st->st_atim));
    wasi_put_u64(out + 48, wasi_timespec_ns(&st->st_mtim));
    wasi_put_u64(out + 56, wasi_timespec_ns(&st->st_ctim));
}

uint64_t wasi_timespec_ns(const struct timespec *ts)
{
    if (ts->tv_sec < 0)
        return 0; /* before 1970: WASI timestamps are unsigned */
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

uint16_t wasi_timestamps(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2])
{
    if (fst_flags &
        ~(uint32_t)(WASI_FST_ATIM | WASI_FST_ATIM_NOW | WASI_FST_MTIM | WASI_FST_MTIM_NOW))
        return WASI_EINVAL;
    const uint64_t value[2] = {atim, mtim};
    const uint32_t set[2] = {WASI_FST_ATIM, WASI_FST_MTIM};
    const uint32_t now[2] = {WASI_FST_ATIM_NOW, WASI_FST_MTIM_NOW};
    for (int i = 0; i < 2; i++) {
        if ((fst_flags & set[i]) && (fst_flags & now[i]))
            return WASI_EINVAL;
        ts[i].tv_sec = 0;
        if (fst_flags & set[i]) {
            ts[i].tv_sec = (time_t)(value[i] / 1000000000u);
            ts[i].tv_nsec = (long)(value[i] % 1000000000u);
        } else
            ts[i].tv_nsec = (fst_flags & now[i]) ? UTIME_NOW : UTIME_OMIT;
    }
    return WASI_ESUCCESS;
}

/* fd_close(fd) -> errno. Preopens can be closed too (as in wasmtime). */
uint16_t wasi_fd_close(wasi_call *c)
{
    return wasi_fd_close_slot(c->wasi, wasi_arg32(c, 0));
}

/* fd_renumber(fd, to) -> errno: to is closed and fd moves there. Both must be open. */
uint16_t wasi_fd_renumber(wasi_call *c)
{
    return wasi_fd_renumber_slot(c->wasi, wasi_arg32(c, 0), wasi_arg32(c, 1));
}

/* fd_seek(fd, offset: filedelta, whence) -> (errno, filesize). fd_tell's right is enough for
 * seek(0, cur), which is how libc implements ftell. */
uint16_t wasi_fd_seek(wasi_call *c)
{
    int64_t offset = (int64_t)wasi_arg64(c, 1);
    uint32_t whence = wasi_arg32(c, 2), out = wasi_arg32(c, 3);
    uint64_t right =
        offset == 0 && whence == WASI_WHENCE_CUR ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK;
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), 0, &err);
    if (f == NULL)
        return err;
    uint64_t base;
    wasi_fd_rights(c->wasi, f, &base, NULL);
    if ((base & (right | WASI_RIGHT_FD_SEEK)) == 0)
        return wasi_refuse_rights(c->wasi, wasi_arg32(c, 0), right);
    int how;
    switch (whence) {
    case WASI_WHENCE_SET:
        how = SEEK_SET;
        break;
    case WASI_WHENCE_CUR:
        how = SEEK_CUR;
        break;
    case WASI_WHENCE_END:
        how = SEEK_END;
        break;
    default:
        return WASI_EINVAL;
    }
    if (!wasi_mem_ok(c, out, 8))
        return WASI_EFAULT;
    off_t pos = lseek(f->host, (off_t)offset, how);
    if (pos < 0)
        return wasi_errno();
    return wasi_store_u64(c, out, (uint64_t)pos);
}

/* fd_tell(fd) -> (errno, filesize) */
uint16_t wasi_fd_tell(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_TELL, &err);
    if (f == NULL)
        return err;
    uint32_t out = wasi_arg32(c, 1);
    if (!wasi_mem_ok(c, out, 8))
        return WASI_EFAULT;
    off_t pos = lseek(f->host, 0, SEEK_CUR);
    if (pos < 0)
        return wasi_errno();
    return wasi_store_u64(c, out, (uint64_t)pos);
}

/* fd_fdstat_get(fd) -> (errno, fdstat) */
uint16_t wasi_fd_fdstat_get(wasi_call *c)
{
    wasi_fd *f = wasi_fd_get(c->wasi, wasi_arg32(c, 0));
    if (f == NULL)
        return WASI_EBADF;
    uint32_t out = wasi_arg32(c, 1);
    if (!wasi_mem_ok(c, out, WASI_FDSTAT_SIZE))
        return WASI_EFAULT;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0)
        return wasi_errno();
    uint16_t flags = f->sync_flags;
    if (fl & O_APPEND)
        flags |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK)
        flags |= WASI_FDFLAG_NONBLOCK;
    uint8_t rec[WASI_FDSTAT_SIZE];
    memset(rec, 0, sizeof rec);
    uint64_t base, inheriting;
    wasi_fd_rights(c->wasi, f, &base, &inheriting);
    rec[0] = f->filetype;
    wasi_put_u16(rec + 2, flags);
    wasi_put_u64(rec + 8, base);
    wasi_put_u64(rec + 16, inheriting);
    return wasi_mem_write(c, out, rec, sizeof rec);
}

/* fd_fdstat_set_flags(fd, flags) -> errno. Linux can change APPEND and NONBLOCK only; the
 * sync flags may be passed as they are (what fdstat_get reported) but not changed (EINVAL,
 * as wasmtime). */
uint16_t wasi_fd_fdstat_set_flags(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &err);
    if (f == NULL)
        return err;
    uint32_t flags = wasi_arg32(c, 1);
    const uint32_t sync = WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC;
    if ((flags & ~WASI_FDFLAGS_ALL) || (flags & sync) != f->sync_flags)
        return WASI_EINVAL;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0)
        return wasi_errno();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDFLAG_APPEND)
        fl |= O_APPEND;
    if (flags & WASI_FDFLAG_NONBLOCK)
        fl |= O_NONBLOCK;
    if (fcntl(f->host, F_SETFL, fl) != 0)
        return wasi_errno();
    return WASI_ESUCCESS;
}

/* fd_fdstat_set_rights(fd, base, inheriting) -> errno: rights can only be dropped. */
uint16_t wasi_fd_fdstat_set_rights(wasi_call *c)
{
    wasi_fd *f = wasi_fd_get(c->wasi, wasi_arg32(c, 0));
    if (f == NULL)
        return WASI_EBADF;
    uint64_t base = wasi_arg64(c, 1), inheriting = wasi_arg64(c, 2);
    if ((base | inheriting) & ~WASI_RIGHTS_ALL)
        return WASI_EINVAL;
    uint16_t err = wasi_fd_set_rights(c->wasi, f, base, inheriting);
    if (err != WASI_ESUCCESS)
        return err;
    return WASI_ESUCCESS;
}

/* fd_filestat_get(fd) -> (errno, filestat) */
uint16_t wasi_fd_filestat_get(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_FILESTAT_GET, &err);
    if (f == NULL)
        return err;
    uint32_t out = wasi_arg32(c, 1);
    if (!wasi_mem_ok(c, out, WASI_FILESTAT_SIZE))
        return WASI_EFAULT;
    struct stat st;
    if (fstat(f->host, &st) != 0)
        return wasi_errno();
    uint8_t rec[WASI_FILESTAT_SIZE];
    wasi_filestat_put(rec, &st, f->filetype);
    return wasi_mem_write(c, out, rec, sizeof rec);
}

/* fd_filestat_set_size(fd, size) -> errno */
uint16_t wasi_fd_filestat_set_size(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_FILESTAT_SET_SIZE, &err);
    if (f == NULL)
        return err;
    uint64_t size = wasi_arg64(c, 1);
    if (size > INT64_MAX)
        return WASI_EINVAL;
    if (ftruncate(f->host, (off_t)size) != 0)
        return wasi_errno();
    return WASI_ESUCCESS;
}

/* fd_filestat_set_times(fd, atim, mtim, fst_flags) -> errno */
uint16_t wasi_fd_filestat_set_times(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_FILESTAT_SET_TIMES, &err);
    if (f == NULL)
        return err;
    struct timespec ts[2];
    if ((err = wasi_timestamps(wasi_arg64(c, 1), wasi_arg64(c, 2), wasi_arg32(c, 3), ts)) != 0)
        return err;
    if (futimens(f->host, ts) != 0)
        return wasi_errno();
    return WASI_ESUCCESS;
}

/* fd_prestat_get(fd) -> (errno, prestat): EBADF for anything but a preopen (the end of
 * wasi-libc's preopen scan). */
uint16_t wasi_fd_prestat_get(wasi_call *c)
{
    wasi_fd *f = wasi_fd_get(c->wasi, wasi_arg32(c, 0));
    if (f == NULL || f->preopen_name == NULL)
        return WASI_EBADF;
    uint8_t rec[WASI_PRESTAT_SIZE];
    memset(rec, 0, sizeof rec);
    rec[0] = WASI_PREOPENTYPE_DIR;
    wasi_put_u32(rec + 4, f->preopen_name_len);
    return wasi_mem_write(c, wasi_arg32(c, 1), rec, sizeof rec);
}

/* fd_prestat_dir_name(fd, path, path_len) -> errno: the name without a NUL; ENAMETOOLONG if
 * path_len is too small for it (as wasmtime). */
uint16_t wasi_fd_prestat_dir_name(wasi_call *c)
{
    wasi_fd *f = wasi_fd_get(c->wasi, wasi_arg32(c, 0));
    if (f == NULL || f->preopen_name == NULL)
        return WASI_EBADF;
    uint32_t path = wasi_arg32(c, 1), len = wasi_arg32(c, 2);
    if (!wasi_mem_ok(c, path, len))
        return WASI_EFAULT;
    if (len < f->preopen_name_len)
        return WASI_ENAMETOOLONG;
    return wasi_mem_write(c, path, f->preopen_name, f->preopen_name_len);
}

/* fd_advise(fd, offset, len, advice) -> errno */
uint16_t wasi_fd_advise(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_ADVISE, &err);
    if (f == NULL)
        return err;
    uint64_t offset = wasi_arg64(c, 1), len = wasi_arg64(c, 2);
    static const int advice[] = {
        [WASI_ADVICE_NORMAL] = POSIX_FADV_NORMAL,
        [WASI_ADVICE_SEQUENTIAL] = POSIX_FADV_SEQUENTIAL,
        [WASI_ADVICE_RANDOM] = POSIX_FADV_RANDOM,
        [WASI_ADVICE_WILLNEED] = POSIX_FADV_WILLNEED,
        [WASI_ADVICE_DONTNEED] = POSIX_FADV_DONTNEED,
        [WASI_ADVICE_NOREUSE] = POSIX_FADV_NOREUSE,
    };
    uint32_t a = wasi_arg32(c, 3);
    if (a >= WASI_ARRAY_LEN(advice) || offset > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    if (f->filetype == WASI_FILETYPE_DIRECTORY)
        return WASI_EBADF;
    return wasi_errno_from_host(posix_fadvise(f->host, (off_t)offset, (off_t)len, advice[a]));
}

/* fd_allocate(fd, offset, len) -> errno */
uint16_t wasi_fd_allocate(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_ALLOCATE, &err);
    if (f == NULL)
        return err;
    uint64_t offset = wasi_arg64(c, 1), len = wasi_arg64(c, 2);
    if (offset > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    if (offset + len > INT64_MAX)
        return WASI_EFBIG;
    return wasi_errno_from_host(posix_fallocate(f->host, (off_t)offset, (off_t)len));
}

/* fd_datasync(fd) -> errno */
uint16_t wasi_fd_datasync(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_DATASYNC, &err);
    if (f == NULL)
        return err;
    return fdatasync(f->host) == 0 ? WASI_ESUCCESS : wasi_errno();
}

/* fd_sync(fd) -> errno */
uint16_t wasi_fd_sync(wasi_call *c)
{
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), WASI_RIGHT_FD_SYNC, &err);
    if (f == NULL)
        return err;
    return fsync(f->host) == 0 ? WASI_ESUCCESS : wasi_errno();
}
