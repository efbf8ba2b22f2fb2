/* wasi_fdtable.c -- the guest's descriptor table.
 *
 * Guest descriptors are indexes into kiln_wasi.fds, never host descriptor numbers: a host
 * descriptor the configuration did not hand over has no index, so the guest cannot name it.
 * Each slot points to an entry (or is NULL) holding an owned host descriptor, its WASI file
 * type, and its rights: base (what this descriptor may do) and inheriting (what descriptors
 * opened through it may get). New descriptors take the lowest free slot from 3 up (0-2 are
 * stdio, filled only by the configuration, so a guest without stdin never reads a file
 * through fd 0); the table grows by doubling up to the configured max_fds (then EMFILE).
 *
 * Threads (wasi-threads: every instance of a program shares one kiln_wasi): the table is
 * guarded by kiln_wasi.fd_lock, and entries are reference-counted. wasi_fd_get and
 * wasi_fd_checked take a reference for the calling thread's current host call (a
 * thread-local list, released by host_entry when the call returns, wasi_fd_put_held), so an
 * entry another thread closes or renumbers away meanwhile stays valid, with its host
 * descriptor open, until the call that uses it ends: a host descriptor number is never
 * reused under a call that checked the rights of another entry. Rights are read and changed
 * under the lock. Creation (kiln_wasi_new) is single-threaded and fills slots directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

/* The entries the calling thread's current host call holds a reference to. */
#define HELD_INLINE 8
static _Thread_local struct {
    wasi_fd *inline_items[HELD_INLINE];
    wasi_fd **items; /* inline_items, or a heap array past HELD_INLINE (poll_oneoff) */
    uint32_t count, capacity;
} held;

static void entry_destroy(wasi_fd *f)
{
    wasi_dirstream_free(f->dir);
    if (f->host >= 0)
        close(f->host);
    free(f->preopen_name);
    pthread_mutex_destroy(&f->dir_lock);
    free(f);
}

/* Drops one reference under fd_lock; returns the entry if it was the last (destroy it after
 * unlocking), else NULL. */
static wasi_fd *entry_unref(wasi_fd *f)
{
    return --f->refs == 0 ? f : NULL;
}

static wasi_fd *entry_new(int host)
{
    wasi_fd *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->host = host;
    f->refs = 1; /* the table's */
    pthread_mutex_init(&f->dir_lock, NULL);
    return f;
}

static bool held_push(wasi_fd *f)
{
    if (held.items == NULL) {
        held.items = held.inline_items;
        held.capacity = HELD_INLINE;
    }
    if (held.count == held.capacity) {
        uint32_t cap = held.capacity * 2;
        wasi_fd **items = malloc((size_t)cap * sizeof *items);
        if (items == NULL)
            return false;
        memcpy(items, held.items, (size_t)held.count * sizeof *items);
        if (held.items != held.inline_items)
            free(held.items);
        held.items = items;
        held.capacity = cap;
    }
    held.items[held.count++] = f;
    return true;
}

uint32_t wasi_fd_held_mark(void)
{
    return held.count;
}

void wasi_fd_put_held(kiln_wasi *w, uint32_t mark)
{
    if (held.count <= mark)
        return;
    wasi_fd *dead[HELD_INLINE];
    uint32_t ndead = 0;
    pthread_mutex_lock(&w->fd_lock);
    for (uint32_t i = mark; i < held.count; i++) {
        wasi_fd *f = entry_unref(held.items[i]);
        if (f == NULL)
            continue;
        if (ndead < HELD_INLINE)
            dead[ndead++] = f;
        else
            entry_destroy(f); /* rare: many closed at once; close() under the lock */
    }
    pthread_mutex_unlock(&w->fd_lock);
    for (uint32_t i = 0; i < ndead; i++)
        entry_destroy(dead[i]);
    held.count = mark;
    if (mark == 0 && held.items != held.inline_items) {
        free(held.items);
        held.items = held.inline_items;
        held.capacity = HELD_INLINE;
    }
}

bool wasi_fdtable_init(kiln_wasi *w, uint32_t fd_count)
{
    w->fds = calloc(fd_count, sizeof *w->fds);
    if (w->fds == NULL)
        return false;
    w->fd_count = fd_count;
    return true;
}

wasi_fd *wasi_fd_slot_init(kiln_wasi *w, uint32_t fd, int host)
{
    wasi_fd *f = entry_new(host);
    if (f != NULL)
        w->fds[fd] = f;
    return f;
}

void wasi_fdtable_free(kiln_wasi *w)
{
    if (w->fds == NULL)
        return;
    for (uint32_t i = 0; i < w->fd_count; i++)
        if (w->fds[i] != NULL && entry_unref(w->fds[i]) != NULL)
            entry_destroy(w->fds[i]);
    free(w->fds);
    w->fds = NULL;
    w->fd_count = 0;
}

/* The entry of fd with a reference held for this call, under fd_lock; NULL if none. */
static wasi_fd *get_locked(kiln_wasi *w, uint32_t fd)
{
    if (fd >= w->fd_count || w->fds[fd] == NULL)
        return NULL;
    wasi_fd *f = w->fds[fd];
    if (!held_push(f))
        return NULL;
    f->refs++;
    return f;
}

wasi_fd *wasi_fd_get(kiln_wasi *w, uint32_t fd)
{
    pthread_mutex_lock(&w->fd_lock);
    wasi_fd *f = get_locked(w, fd);
    pthread_mutex_unlock(&w->fd_lock);
    return f;
}

wasi_fd *wasi_fd_checked(kiln_wasi *w, uint32_t fd, uint64_t rights, uint16_t *err)
{
    pthread_mutex_lock(&w->fd_lock);
    wasi_fd *f = get_locked(w, fd);
    uint64_t base = f != NULL ? f->rights_base : 0;
    pthread_mutex_unlock(&w->fd_lock);
    if (f == NULL) {
        *err = WASI_EBADF;
        return NULL;
    }
    if ((base & rights) != rights) {
        *err = wasi_refuse_rights(w, fd, rights & ~base);
        return NULL;
    }
    return f;
}

void wasi_fd_rights(kiln_wasi *w, const wasi_fd *f, uint64_t *base, uint64_t *inheriting)
{
    pthread_mutex_lock(&w->fd_lock);
    *base = f->rights_base;
    if (inheriting != NULL)
        *inheriting = f->rights_inheriting;
    pthread_mutex_unlock(&w->fd_lock);
}

uint16_t wasi_fd_set_rights(kiln_wasi *w, wasi_fd *f, uint64_t base, uint64_t inheriting)
{
    pthread_mutex_lock(&w->fd_lock);
    uint16_t err = WASI_ESUCCESS;
    if ((base & ~f->rights_base) || (inheriting & ~f->rights_inheriting))
        err = WASI_ENORIGHTS;
    else {
        f->rights_base = base;
        f->rights_inheriting = inheriting;
    }
    pthread_mutex_unlock(&w->fd_lock);
    return err;
}

uint16_t wasi_fd_close_slot(kiln_wasi *w, uint32_t fd)
{
    pthread_mutex_lock(&w->fd_lock);
    wasi_fd *dead = NULL;
    uint16_t err = WASI_EBADF;
    if (fd < w->fd_count && w->fds[fd] != NULL) {
        dead = entry_unref(w->fds[fd]);
        w->fds[fd] = NULL;
        err = WASI_ESUCCESS;
    }
    pthread_mutex_unlock(&w->fd_lock);
    if (dead != NULL)
        entry_destroy(dead);
    return err;
}

uint16_t wasi_fd_renumber_slot(kiln_wasi *w, uint32_t from, uint32_t to)
{
    pthread_mutex_lock(&w->fd_lock);
    wasi_fd *dead = NULL;
    uint16_t err = WASI_EBADF;
    if (from < w->fd_count && to < w->fd_count && w->fds[from] != NULL && w->fds[to] != NULL) {
        err = WASI_ESUCCESS;
        if (from != to) {
            dead = entry_unref(w->fds[to]);
            w->fds[to] = w->fds[from];
            w->fds[from] = NULL;
        }
    }
    pthread_mutex_unlock(&w->fd_lock);
    if (dead != NULL)
        entry_destroy(dead);
    return err;
}

uint16_t wasi_fd_insert(kiln_wasi *w, int host, const wasi_fd *init, uint32_t *out_fd)
{
    wasi_fd *f = entry_new(host);
    if (f == NULL) {
        close(host);
        return WASI_ENOMEM;
    }
    f->filetype = init->filetype;
    f->sync_flags = init->sync_flags;
    f->rights_base = init->rights_base;
    f->rights_inheriting = init->rights_inheriting;
    f->special_ok = init->special_ok;
    pthread_mutex_lock(&w->fd_lock);
    uint32_t fd = 3; /* 0-2 are stdio: only the configuration fills them */
    while (fd < w->fd_count && w->fds[fd] != NULL)
        fd++;
    uint16_t err = WASI_ESUCCESS;
    if (fd == w->fd_count) {
        uint32_t grown = w->fd_count * 2 > w->max_fds ? w->max_fds : w->fd_count * 2;
        if (grown < 8 && w->max_fds >= 8)
            grown = 8;
        wasi_fd **fds = NULL;
        if (w->fd_count >= w->max_fds)
            err = WASI_EMFILE;
        else if ((fds = realloc(w->fds, (size_t)grown * sizeof *fds)) == NULL)
            err = WASI_ENOMEM;
        else {
            memset(fds + w->fd_count, 0, (size_t)(grown - w->fd_count) * sizeof *fds);
            w->fds = fds;
            w->fd_count = grown;
        }
    }
    if (err == WASI_ESUCCESS)
        w->fds[fd] = f;
    pthread_mutex_unlock(&w->fd_lock);
    if (err != WASI_ESUCCESS) {
        entry_destroy(f);
        return err;
    }
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
