/* wasi_sock.c -- sock_accept, sock_recv, sock_send, sock_shutdown.
 *
 * Preview1 cannot create sockets: the guest works only with the ones the embedder pre-opened
 * (kiln_wasi_config.sockets) and what it accepts on them. A descriptor that is not a socket
 * is ENOTSOCK, a closed one EBADF. recv and send make one recvmsg/sendmsg over the first batch
 * of at most WASI_IOV_BATCH non-empty buffers (a short transfer, which both calls allow);
 * send uses MSG_NOSIGNAL so a closed peer is EPIPE, never SIGPIPE in the host. Accepted
 * sockets are close-on-exec, blocking unless the guest asks for fdflags.nonblock, and get the
 * socket rights minus sock_accept.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

static wasi_fd *sock_get(wasi_call *c, uint32_t fd, uint64_t rights, uint16_t *err)
{
    wasi_fd *f = wasi_fd_get(c->wasi, fd);
    if (f == NULL) {
        *err = WASI_EBADF;
        return NULL;
    }
    if (f->filetype != WASI_FILETYPE_SOCKET_STREAM && f->filetype != WASI_FILETYPE_SOCKET_DGRAM) {
        *err = WASI_ENOTSOCK;
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

/* One recvmsg/sendmsg over the first batch of the iovec array in arguments 1-2 (a short
 * transfer, which both calls allow); *n gets the bytes moved, *msg_flags recvmsg's flags. */
static uint16_t sock_transfer(wasi_call *c, const wasi_fd *f, bool send, int how, uint32_t *n,
                              int *msg_flags)
{
    wasi_iovs it;
    wasi_iov_batch b;
    uint16_t err;
    if ((err = wasi_iovs_begin(c, wasi_arg32(c, 1), wasi_arg32(c, 2), &it)) != 0 ||
        (err = wasi_iovs_next(c, &it, &b)) != 0)
        return err;
    ssize_t r = wasi_msg_io(f->host, &b, send, how, msg_flags);
    if (r < 0)
        return wasi_errno();
    *n = (uint32_t)r;
    return WASI_ESUCCESS;
}

/* sock_accept(fd, flags: fdflags) -> (errno, fd) */
uint16_t wasi_sock_accept(wasi_call *c)
{
    uint32_t flags = wasi_arg32(c, 1), out = wasi_arg32(c, 2);
    if (flags & ~WASI_FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    uint16_t err;
    wasi_fd *f = sock_get(c, wasi_arg32(c, 0), WASI_RIGHT_SOCK_ACCEPT, &err);
    if (f == NULL)
        return err;
    if (!wasi_mem_ok(c, out, 4))
        return WASI_EFAULT;
    int host = accept4(f->host, NULL, NULL,
                       SOCK_CLOEXEC | ((flags & WASI_FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0));
    if (host < 0)
        return wasi_errno();
    uint8_t type = wasi_filetype_of_fd(host);
    wasi_fd init = {.filetype = type, .rights_base = WASI_RIGHTS_SOCKET & ~WASI_RIGHT_SOCK_ACCEPT};
    uint32_t fd;
    err = wasi_fd_insert(c->wasi, host, &init, &fd);
    if (err != WASI_ESUCCESS)
        return err;
    return wasi_store_u32(c, out, fd);
}

/* sock_recv(fd, ri_data: iovec_array, ri_flags) -> (errno, size, roflags) */
uint16_t wasi_sock_recv(wasi_call *c)
{
    uint32_t ri_flags = wasi_arg32(c, 3), size_out = wasi_arg32(c, 4);
    uint32_t flags_out = wasi_arg32(c, 5);
    if (ri_flags & ~(WASI_RECV_PEEK | WASI_RECV_WAITALL))
        return WASI_EINVAL;
    uint16_t err;
    wasi_fd *f = sock_get(c, wasi_arg32(c, 0), WASI_RIGHT_FD_READ, &err);
    if (f == NULL)
        return err;
    if (!wasi_mem_ok(c, size_out, 4) || !wasi_mem_ok(c, flags_out, 2))
        return WASI_EFAULT;
    int how = ((ri_flags & WASI_RECV_PEEK) ? MSG_PEEK : 0) |
              ((ri_flags & WASI_RECV_WAITALL) ? MSG_WAITALL : 0);
    uint32_t n;
    int msg_flags;
    if ((err = sock_transfer(c, f, false, how, &n, &msg_flags)) != 0)
        return err;
    uint8_t ro[2];
    wasi_put_u16(ro, (msg_flags & MSG_TRUNC) ? WASI_RECV_DATA_TRUNCATED : 0);
    wasi_mem_write(c, flags_out, ro, 2);
    return wasi_store_u32(c, size_out, n);
}

/* sock_send(fd, si_data: ciovec_array, si_flags) -> (errno, size) */
uint16_t wasi_sock_send(wasi_call *c)
{
    uint32_t si_flags = wasi_arg32(c, 3), out = wasi_arg32(c, 4);
    if (si_flags != 0) /* witx defines no siflags */
        return WASI_EINVAL;
    uint16_t err;
    wasi_fd *f = sock_get(c, wasi_arg32(c, 0), WASI_RIGHT_FD_WRITE, &err);
    if (f == NULL)
        return err;
    if (!wasi_mem_ok(c, out, 4))
        return WASI_EFAULT;
    uint32_t n;
    int msg_flags;
    if ((err = sock_transfer(c, f, true, MSG_NOSIGNAL, &n, &msg_flags)) != 0)
        return err;
    return wasi_store_u32(c, out, n);
}

/* sock_shutdown(fd, how: sdflags) -> errno */
uint16_t wasi_sock_shutdown(wasi_call *c)
{
    uint32_t how = wasi_arg32(c, 1);
    if (how == 0 || (how & ~(WASI_SHUT_RD | WASI_SHUT_WR)))
        return WASI_EINVAL;
    uint16_t err;
    wasi_fd *f = sock_get(c, wasi_arg32(c, 0), WASI_RIGHT_SOCK_SHUTDOWN, &err);
    if (f == NULL)
        return err;
    int h = how == (WASI_SHUT_RD | WASI_SHUT_WR) ? SHUT_RDWR
            : how == WASI_SHUT_RD                ? SHUT_RD
                                                 : SHUT_WR;
    if (shutdown(f->host, h) != 0)
        return wasi_errno();
    return WASI_ESUCCESS;
}
