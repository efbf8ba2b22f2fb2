/* wasi_fdtable.c -- the guest's descriptor table.
 *
 * Guest descriptors are indexes into kiln_wasi.fds, never host descriptor numbers: a host
 * descriptor the configuration did not hand over has no index, so the guest cannot name it.
 * Each slot holds an owned host descriptor (or -1), its WASI file type, and its rights: base
 * (what this descriptor may do) and inheriting (what descriptors opened through it may get).
 * New descriptors take the lowest free slot from 3 up (0-2 are stdio, filled only by the
 * configuration, so a guest without stdin never reads a file through fd 0); the table grows by
 * doubling up to the configured max_fds (then EMFILE).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

bool wasi_fdtable_init(kiln_wasi *w, uint32_t fd_count)
{
    w->fds = calloc(fd_count, sizeof *w->fds);
    if (w->fds == NULL)
        return false;
    for (uint32_t i = 0; i < fd_count; i++)
        w->fds[i].host = -1;
    w->fd_count = fd_count;
    return true;
}

void wasi_fd_release(wasi_fd *f)
{
    wasi_dirstream_free(f->dir);
    if (f->host >= 0)
        close(f->host);
    free(f->preopen_name);
    memset(f, 0, sizeof *f);
    f->host = -1;
}

void wasi_fdtable_free(kiln_wasi *w)
{
    if (w->fds == NULL)
        return;
    for (uint32_t i = 0; i < w->fd_count; i++)
        wasi_fd_release(&w->fds[i]);
    free(w->fds);
    w->fds = NULL;
    w->fd_count = 0;
}

wasi_fd *wasi_fd_get(kiln_wasi *w, uint32_t fd)
{
    if (fd >= w->fd_count || w->fds[fd].host < 0)
        return NULL;
    return &w->fds[fd];
}

wasi_fd *wasi_fd_checked(kiln_wasi *w, uint32_t fd, uint64_t rights, uint16_t *err)
{
    wasi_fd *f = wasi_fd_get(w, fd);
    if (f == NULL) {
        *err = WASI_EBADF;
        return NULL;
    }
    if ((f->rights_base & rights) != rights) {
        *err = wasi_refuse_rights(w, fd, rights & ~f->rights_base);
        return NULL;
    }
    return f;
}

uint16_t wasi_fd_insert(kiln_wasi *w, int host, uint8_t filetype, uint64_t base,
                        uint64_t inheriting, uint32_t *out_fd)
{
    uint32_t fd = 3; /* 0-2 are stdio: only the configuration fills them */
    while (fd < w->fd_count && w->fds[fd].host >= 0)
        fd++;
    if (fd == w->fd_count) {
        if (w->fd_count >= w->max_fds) {
            close(host);
            return WASI_EMFILE;
        }
        uint32_t grown = w->fd_count * 2 > w->max_fds ? w->max_fds : w->fd_count * 2;
        if (grown < 8 && w->max_fds >= 8)
            grown = 8;
        wasi_fd *fds = realloc(w->fds, (size_t)grown * sizeof *fds);
        if (fds == NULL) {
            close(host);
            return WASI_ENOMEM;
        }
        memset(fds + w->fd_count, 0, (size_t)(grown - w->fd_count) * sizeof *fds);
        for (uint32_t i = w->fd_count; i < grown; i++)
            fds[i].host = -1;
        w->fds = fds;
        w->fd_count = grown;
    }
    wasi_fd *f = &w->fds[fd];
    memset(f, 0, sizeof *f);
    f->host = host;
    f->filetype = filetype;
    f->rights_base = base;
    f->rights_inheriting = inheriting;
    *out_fd = fd;
    return WASI_ESUCCESS;
}

uint8_t wasi_filetype_of_mode(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR:
        return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR:
        return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK:
        return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK:
        return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK:
        return WASI_FILETYPE_SOCKET_STREAM; /* refined by wasi_filetype_of_fd */
    default:
        return WASI_FILETYPE_UNKNOWN; /* FIFOs: witx has no type for them */
    }
}

uint8_t wasi_filetype_of_fd(int host)
{
    struct stat st;
    if (fstat(host, &st) != 0)
        return WASI_FILETYPE_UNKNOWN;
    if (S_ISSOCK(st.st_mode)) {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(host, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
            return WASI_FILETYPE_SOCKET_DGRAM;
        return WASI_FILETYPE_SOCKET_STREAM;
    }
    return wasi_filetype_of_mode(st.st_mode);
}

uint64_t wasi_rights_for(int host, uint8_t filetype)
{
    uint64_t rights;
    switch (filetype) {
    case WASI_FILETYPE_REGULAR_FILE:
    case WASI_FILETYPE_BLOCK_DEVICE:
        rights = WASI_RIGHTS_REGULAR_FILE;
        break;
    case WASI_FILETYPE_DIRECTORY:
        rights = WASI_RIGHTS_DIRECTORY;
        break;
    case WASI_FILETYPE_SOCKET_STREAM:
    case WASI_FILETYPE_SOCKET_DGRAM:
        rights = WASI_RIGHTS_SOCKET;
        break;
    default:
        rights = WASI_RIGHTS_STREAM;
        break;
    }
    int fl = fcntl(host, F_GETFL);
    if (fl >= 0 && filetype != WASI_FILETYPE_DIRECTORY) {
        int mode = fl & O_ACCMODE;
        if (mode == O_WRONLY)
            rights &= ~(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
        if (mode == O_RDONLY)
            rights &=
                ~(WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE);
    }
    return rights;
}
