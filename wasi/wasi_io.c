/* wasi_io.c -- fd_read, fd_write, fd_pread, fd_pwrite and the guest iovec walk they share
 * with sock_recv/sock_send.
 *
 * The guest's iovec array is never copied whole and never sized into an allocation: it is
 * first checked (the array, then every buffer in it, against the caller's memory: EFAULT
 * before any byte moves), then walked again in batches of at most WASI_IOV_BATCH non-empty
 * buffers, each batch one readv/writev (or preadv/pwritev, sendmsg) whose iovecs point
 * straight into guest memory. Empty buffers are skipped, so a million empty iovecs cost no
 * system calls. A short transfer ends the call, as POSIX readv does, and the total is capped
 * at UINT32_MAX (the result is a u32). An error after some bytes moved reports those bytes.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

static bool iov_get(const wasi_call *c, uint32_t array, uint32_t i, uint32_t *buf, uint32_t *len)
{
    uint8_t raw[WASI_IOVEC_SIZE];
    memcpy(raw, wasi_mem_at(c, array + i * WASI_IOVEC_SIZE), sizeof raw);
    *buf = wasi_get_u32(raw);
    *len = wasi_get_u32(raw + 4);
    return wasi_mem_ok(c, *buf, *len);
}

uint16_t wasi_iovs_begin(const wasi_call *c, uint32_t ptr, uint32_t count, wasi_iovs *out)
{
    if (!wasi_mem_ok(c, ptr, (uint64_t)count * WASI_IOVEC_SIZE))
        return WASI_EFAULT;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t buf, len;
        if (!iov_get(c, ptr, i, &buf, &len))
            return WASI_EFAULT;
    }
    out->ptr = ptr;
    out->count = count;
    out->next = 0;
    out->budget = UINT32_MAX;
    return WASI_ESUCCESS;
}

uint16_t wasi_iovs_next(const wasi_call *c, wasi_iovs *it, wasi_iov_batch *b)
{
    b->count = 0;
    b->bytes = 0;
    while (it->next < it->count && b->count < (int)WASI_IOV_BATCH && it->budget > 0) {
        uint32_t buf, len;
        /* Checked again: a guest thread may have rewritten the array since wasi_iovs_begin
         * (the array itself stays in bounds: memories never shrink). */
        if (!iov_get(c, it->ptr, it->next, &buf, &len))
            return WASI_EFAULT;
        it->next++;
        if (len == 0)
            continue;
        uint64_t take = len < it->budget ? len : it->budget;
        b->iov[b->count].iov_base = wasi_mem_at(c, buf);
        b->iov[b->count].iov_len = (size_t)take;
        b->count++;
        b->bytes += take;
        it->budget -= take;
    }
    return WASI_ESUCCESS;
}

ssize_t wasi_msg_io(int host, wasi_iov_batch *b, bool send, int flags, int *out_flags)
{
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = b->iov;
    msg.msg_iovlen = (size_t)b->count;
    ssize_t n = send ? sendmsg(host, &msg, flags) : recvmsg(host, &msg, flags);
    if (out_flags != NULL)
        *out_flags = msg.msg_flags;
    return n;
}

static bool is_socket(const wasi_fd *f)
{
    return f->filetype == WASI_FILETYPE_SOCKET_STREAM || f->filetype == WASI_FILETYPE_SOCKET_DGRAM;
}

/* One batch of I/O at the current position, or at offset when positional. */
static ssize_t transfer(const wasi_fd *f, wasi_iov_batch *b, bool write, bool positional,
                        uint64_t offset)
{
    if (positional)
        return write ? pwritev(f->host, b->iov, b->count, (off_t)offset)
                     : preadv(f->host, b->iov, b->count, (off_t)offset);
    /* MSG_NOSIGNAL: a closed peer is EPIPE for the guest, not SIGPIPE for the host. */
    if (write && is_socket(f))
        return wasi_msg_io(f->host, b, true, MSG_NOSIGNAL, NULL);
    return write ? writev(f->host, b->iov, b->count) : readv(f->host, b->iov, b->count);
}

/* fd_read(fd, iovs, iovs_len) -> (errno, size), fd_write likewise, and the positional forms
 * fd_pread/fd_pwrite(fd, iovs, iovs_len, offset) which also need fd_seek. */
static uint16_t do_io(wasi_call *c, bool write, bool positional)
{
    uint64_t rights = write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ;
    if (positional)
        rights |= WASI_RIGHT_FD_SEEK;
    uint16_t err;
    wasi_fd *f = wasi_fd_checked(c->wasi, wasi_arg32(c, 0), rights, &err);
    if (f == NULL)
        return err;
    uint64_t offset = positional ? wasi_arg64(c, 3) : 0;
    uint32_t out = wasi_arg32(c, positional ? 4 : 3);
    if (offset > INT64_MAX)
        return WASI_EINVAL;
    if (!wasi_mem_ok(c, out, 4))
        return WASI_EFAULT;
    wasi_iovs it;
    if ((err = wasi_iovs_begin(c, wasi_arg32(c, 1), wasi_arg32(c, 2), &it)) != 0)
        return err;
    uint64_t total = 0;
    for (;;) {
        wasi_iov_batch b;
        if ((err = wasi_iovs_next(c, &it, &b)) != 0 || b.count == 0)
            break;
        if (positional && offset + total > INT64_MAX) {
            err = WASI_EINVAL;
            break;
        }
        ssize_t n = transfer(f, &b, write, positional, offset + total);
        if (n < 0) {
            err = wasi_errno();
            break;
        }
        total += (uint64_t)n;
        if ((uint64_t)n < b.bytes)
            break;
    }
    if (total == 0 && err != 0)
        return err;
    return wasi_store_u32(c, out, (uint32_t)total);
}

uint16_t wasi_fd_read(wasi_call *c)
{
    return do_io(c, false, false);
}

uint16_t wasi_fd_write(wasi_call *c)
{
    return do_io(c, true, false);
}

uint16_t wasi_fd_pread(wasi_call *c)
{
    return do_io(c, false, true);
}

uint16_t wasi_fd_pwrite(wasi_call *c)
{
    return do_io(c, true, true);
}
