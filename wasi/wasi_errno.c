/* wasi_errno.c -- host errno values to WASI errno values.
 *
 * WASI numbers its errors alphabetically (typenames.witx: 2big = 1 ... notcapable = 76), not
 * like any host, so every errno that leaves libkiln_wasi goes through this table. Host values
 * with no WASI counterpart become EIO; the aliases Linux defines (EWOULDBLOCK = EAGAIN,
 * EDEADLOCK = EDEADLK, EOPNOTSUPP = ENOTSUP) need no rows of their own.
 */
#include <errno.h>

#include "wasi_impl.h"

/* Indexed by host errno; 0 = no WASI counterpart (EIO). Designated initializers keep the
 * table correct whatever the host's numbering is. */
static const uint8_t errno_map[] = {
    [E2BIG] = WASI_E2BIG,
    [EACCES] = WASI_EACCES,
    [EADDRINUSE] = WASI_EADDRINUSE,
    [EADDRNOTAVAIL] = WASI_EADDRNOTAVAIL,
    [EAFNOSUPPORT] = WASI_EAFNOSUPPORT,
    [EAGAIN] = WASI_EAGAIN,
    [EALREADY] = WASI_EALREADY,
    [EBADF] = WASI_EBADF,
    [EBADMSG] = WASI_EBADMSG,
    [EBUSY] = WASI_EBUSY,
    [ECANCELED] = WASI_ECANCELED,
    [ECHILD] = WASI_ECHILD,
    [ECONNABORTED] = WASI_ECONNABORTED,
    [ECONNREFUSED] = WASI_ECONNREFUSED,
    [ECONNRESET] = WASI_ECONNRESET,
    [EDEADLK] = WASI_EDEADLK,
    [EDESTADDRREQ] = WASI_EDESTADDRREQ,
    [EDOM] = WASI_EDOM,
    [EDQUOT] = WASI_EDQUOT,
    [EEXIST] = WASI_EEXIST,
    [EFAULT] = WASI_EFAULT,
    [EFBIG] = WASI_EFBIG,
    [EHOSTUNREACH] = WASI_EHOSTUNREACH,
    [EIDRM] = WASI_EIDRM,
    [EILSEQ] = WASI_EILSEQ,
    [EINPROGRESS] = WASI_EINPROGRESS,
    [EINTR] = WASI_EINTR,
    [EINVAL] = WASI_EINVAL,
    [EIO] = WASI_EIO,
    [EISCONN] = WASI_EISCONN,
    [EISDIR] = WASI_EISDIR,
    [ELOOP] = WASI_ELOOP,
    [EMFILE] = WASI_EMFILE,
    [EMLINK] = WASI_EMLINK,
    [EMSGSIZE] = WASI_EMSGSIZE,
    [EMULTIHOP] = WASI_EMULTIHOP,
    [ENAMETOOLONG] = WASI_ENAMETOOLONG,
    [ENETDOWN] = WASI_ENETDOWN,
    [ENETRESET] = WASI_ENETRESET,
    [ENETUNREACH] = WASI_ENETUNREACH,
    [ENFILE] = WASI_ENFILE,
    [ENOBUFS] = WASI_ENOBUFS,
    [ENODEV] = WASI_ENODEV,
    [ENOENT] = WASI_ENOENT,
    [ENOEXEC] = WASI_ENOEXEC,
    [ENOLCK] = WASI_ENOLCK,
    [ENOLINK] = WASI_ENOLINK,
    [ENOMEM] = WASI_ENOMEM,
    [ENOMSG] = WASI_ENOMSG,
    [ENOPROTOOPT] = WASI_ENOPROTOOPT,
    [ENOSPC] = WASI_ENOSPC,
    [ENOSYS] = WASI_ENOSYS,
    [ENOTCONN] = WASI_ENOTCONN,
    [ENOTDIR] = WASI_ENOTDIR,
    [ENOTEMPTY] = WASI_ENOTEMPTY,
    [ENOTRECOVERABLE] = WASI_ENOTRECOVERABLE,
    [ENOTSOCK] = WASI_ENOTSOCK,
    [ENOTSUP] = WASI_ENOTSUP,
    [ENOTTY] = WASI_ENOTTY,
    [ENXIO] = WASI_ENXIO,
    [EOVERFLOW] = WASI_EOVERFLOW,
    [EOWNERDEAD] = WASI_EOWNERDEAD,
    [EPERM] = WASI_EPERM,
    [EPIPE] = WASI_EPIPE,
    [EPROTO] = WASI_EPROTO,
    [EPROTONOSUPPORT] = WASI_EPROTONOSUPPORT,
    [EPROTOTYPE] = WASI_EPROTOTYPE,
    [ERANGE] = WASI_ERANGE,
    [EROFS] = WASI_EROFS,
    [ESPIPE] = WASI_ESPIPE,
    [ESRCH] = WASI_ESRCH,
    [ESTALE] = WASI_ESTALE,
    [ETIMEDOUT] = WASI_ETIMEDOUT,
    [ETXTBSY] = WASI_ETXTBSY,
    [EXDEV] = WASI_EXDEV,
};

uint16_t wasi_errno_from_host(int host_errno)
{
    if (host_errno == 0)
        return WASI_ESUCCESS;
    if (host_errno < 0 || (size_t)host_errno >= WASI_ARRAY_LEN(errno_map) ||
        errno_map[host_errno] == 0)
        return WASI_EIO;
    return errno_map[host_errno];
}

uint16_t wasi_errno(void)
{
    return wasi_errno_from_host(errno);
}
