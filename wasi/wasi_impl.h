/* wasi_impl.h -- the one internal header of libkiln_wasi, sectioned per file.
 *
 * The library is built with -fvisibility=hidden: everything declared here is hidden, and only
 * the KILN_API definitions (the functions of kiln/wasi.h) are exported.
 *
 * Every preview1 function is a wasi_impl: it gets a wasi_call (the context, the caller's
 * memory 0 as base + size, the arguments) and returns a WASI errno. Guest memory is touched
 * only through the wasi_mem_* helpers below, which check (uint64_t)ptr + len <= size first.
 * The guest's descriptors index wasi->fds, never host descriptor numbers (wasi_fdtable.c);
 * paths are resolved beneath a directory descriptor by wasi_resolve.c only.
 */
#ifndef KILN_WASI_IMPL_H
#define KILN_WASI_IMPL_H

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include "kiln/kiln.h"
#include "kiln/wasi.h"

#define KILN_API __attribute__((visibility("default")))

#define WASI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Limits (docs/wasi.md) ---- */

#define WASI_PATH_MAX                                                                              \
    4096u                            /* bytes of a guest path or symlink target, and of a          \
                                        path while symlinks are expanded into it */
#define WASI_MAX_SYMLINKS      40u   /* symlinks expanded in one resolution (Linux's MAXSYMLINKS) */
#define WASI_IOV_BATCH         64u   /* iovecs copied from the guest per readv/writev */
#define WASI_MAX_SUBSCRIPTIONS 4096u /* poll_oneoff subscriptions per call */
/* poll_oneoff waits at most this long at a time, to notice a stop asked of its caller. */
#define WASI_POLL_SLICE_NS   (10u * 1000u * 1000u)
#define WASI_DEFAULT_MAX_FDS 1024u

/* ---- witx constants (wasi_snapshot_preview1 typenames.witx) ---- */

enum {
    WASI_ESUCCESS = 0,
    WASI_E2BIG = 1,
    WASI_EACCES = 2,
    WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4,
    WASI_EAFNOSUPPORT = 5,
    WASI_EAGAIN = 6,
    WASI_EALREADY = 7,
    WASI_EBADF = 8,
    WASI_EBADMSG = 9,
    WASI_EBUSY = 10,
    WASI_ECANCELED = 11,
    WASI_ECHILD = 12,
    WASI_ECONNABORTED = 13,
    WASI_ECONNREFUSED = 14,
    WASI_ECONNRESET = 15,
    WASI_EDEADLK = 16,
    WASI_EDESTADDRREQ = 17,
    WASI_EDOM = 18,
    WASI_EDQUOT = 19,
    WASI_EEXIST = 20,
    WASI_EFAULT = 21,
    WASI_EFBIG = 22,
    WASI_EHOSTUNREACH = 23,
    WASI_EIDRM = 24,
    WASI_EILSEQ = 25,
    WASI_EINPROGRESS = 26,
    WASI_EINTR = 27,
    WASI_EINVAL = 28,
    WASI_EIO = 29,
    WASI_EISCONN = 30,
    WASI_EISDIR = 31,
    WASI_ELOOP = 32,
    WASI_EMFILE = 33,
    WASI_EMLINK = 34,
    WASI_EMSGSIZE = 35,
    WASI_EMULTIHOP = 36,
    WASI_ENAMETOOLONG = 37,
    WASI_ENETDOWN = 38,
    WASI_ENETRESET = 39,
    WASI_ENETUNREACH = 40,
    WASI_ENFILE = 41,
    WASI_ENOBUFS = 42,
    WASI_ENODEV = 43,
    WASI_ENOENT = 44,
    WASI_ENOEXEC = 45,
    WASI_ENOLCK = 46,
    WASI_ENOLINK = 47,
    WASI_ENOMEM = 48,
    WASI_ENOMSG = 49,
    WASI_ENOPROTOOPT = 50,
    WASI_ENOSPC = 51,
    WASI_ENOSYS = 52,
    WASI_ENOTCONN = 53,
    WASI_ENOTDIR = 54,
    WASI_ENOTEMPTY = 55,
    WASI_ENOTRECOVERABLE = 56,
    WASI_ENOTSOCK = 57,
    WASI_ENOTSUP = 58,
    WASI_ENOTTY = 59,
    WASI_ENXIO = 60,
    WASI_EOVERFLOW = 61,
    WASI_EOWNERDEAD = 62,
    WASI_EPERM = 63,
    WASI_EPIPE = 64,
    WASI_EPROTO = 65,
    WASI_EPROTONOSUPPORT = 66,
    WASI_EPROTOTYPE = 67,
    WASI_ERANGE = 68,
    WASI_EROFS = 69,
    WASI_ESPIPE = 70,
    WASI_ESRCH = 71,
    WASI_ESTALE = 72,
    WASI_ETIMEDOUT = 73,
    WASI_ETXTBSY = 74,
    WASI_EXDEV = 75,
    WASI_ENOTCAPABLE = 76,
};

/* The sandbox's two refusals (docs/wasi.md): a path that leaves the pre-opened directory,
 * and an operation the descriptor's rights do not allow. */
#define WASI_EESCAPE   WASI_EPERM
#define WASI_ENORIGHTS WASI_ENOTCAPABLE

/* rights (u64 bit numbers) */
#define WASI_RIGHT_FD_DATASYNC             (UINT64_C(1) << 0)
#define WASI_RIGHT_FD_READ                 (UINT64_C(1) << 1)
#define WASI_RIGHT_FD_SEEK                 (UINT64_C(1) << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS     (UINT64_C(1) << 3)
#define WASI_RIGHT_FD_SYNC                 (UINT64_C(1) << 4)
#define WASI_RIGHT_FD_TELL                 (UINT64_C(1) << 5)
#define WASI_RIGHT_FD_WRITE                (UINT64_C(1) << 6)
#define WASI_RIGHT_FD_ADVISE               (UINT64_C(1) << 7)
#define WASI_RIGHT_FD_ALLOCATE             (UINT64_C(1) << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY   (UINT64_C(1) << 9)
#define WASI_RIGHT_PATH_CREATE_FILE        (UINT64_C(1) << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE        (UINT64_C(1) << 11)
#define WASI_RIGHT_PATH_LINK_TARGET        (UINT64_C(1) << 12)
#define WASI_RIGHT_PATH_OPEN               (UINT64_C(1) << 13)
#define WASI_RIGHT_FD_READDIR              (UINT64_C(1) << 14)
#define WASI_RIGHT_PATH_READLINK           (UINT64_C(1) << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE      (UINT64_C(1) << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET      (UINT64_C(1) << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET       (UINT64_C(1) << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE  (UINT64_C(1) << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (UINT64_C(1) << 20)
#define WASI_RIGHT_FD_FILESTAT_GET         (UINT64_C(1) << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE    (UINT64_C(1) << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES   (UINT64_C(1) << 23)
#define WASI_RIGHT_PATH_SYMLINK            (UINT64_C(1) << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY   (UINT64_C(1) << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE        (UINT64_C(1) << 26)
#define WASI_RIGHT_POLL_FD_READWRITE       (UINT64_C(1) << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN           (UINT64_C(1) << 28)
#define WASI_RIGHT_SOCK_ACCEPT             (UINT64_C(1) << 29)
#define WASI_RIGHTS_ALL                    ((UINT64_C(1) << 30) - 1)

/* What applies to each kind of descriptor (rights outside these are dropped at open). */
#define WASI_RIGHTS_REGULAR_FILE                                                                   \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |                            \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |                    \
     WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |                         \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                                \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIRECTORY                                                                      \
    (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE |                  \
     WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |     \
     WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |            \
     WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE |            \
     WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                                \
     WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                      \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |     \
     WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
/* Terminals, pipes and other character streams. */
#define WASI_RIGHTS_STREAM                                                                         \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |                   \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_FD_SYNC |              \
     WASI_RIGHT_FD_DATASYNC)
#define WASI_RIGHTS_SOCKET                                                                         \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |                   \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN |        \
     WASI_RIGHT_SOCK_ACCEPT)
/* What a read-only preopen (and everything opened through it) loses. */
#define WASI_RIGHTS_MUTATING                                                                       \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |                       \
     WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                              \
     WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_RENAME_SOURCE |   \
     WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE |                           \
     WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                        \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |                                  \
     WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)

enum {
    WASI_FILETYPE_UNKNOWN = 0,
    WASI_FILETYPE_BLOCK_DEVICE = 1,
    WASI_FILETYPE_CHARACTER_DEVICE = 2,
    WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4,
    WASI_FILETYPE_SOCKET_DGRAM = 5,
    WASI_FILETYPE_SOCKET_STREAM = 6,
    WASI_FILETYPE_SYMBOLIC_LINK = 7,
};

/* fdflags (u16) */
#define WASI_FDFLAG_APPEND   0x1u
#define WASI_FDFLAG_DSYNC    0x2u
#define WASI_FDFLAG_NONBLOCK 0x4u
#define WASI_FDFLAG_RSYNC    0x8u
#define WASI_FDFLAG_SYNC     0x10u
#define WASI_FDFLAGS_ALL     0x1fu
/* oflags (u16) */
#define WASI_O_CREAT     0x1u
#define WASI_O_DIRECTORY 0x2u
#define WASI_O_EXCL      0x4u
#define WASI_O_TRUNC     0x8u
/* lookupflags (u32) */
#define WASI_LOOKUP_SYMLINK_FOLLOW 0x1u
/* fstflags (u16) */
#define WASI_FST_ATIM     0x1u
#define WASI_FST_ATIM_NOW 0x2u
#define WASI_FST_MTIM     0x4u
#define WASI_FST_MTIM_NOW 0x8u
/* whence (u8) */
enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 };
/* clockid (u32) */
enum {
    WASI_CLOCK_REALTIME = 0,
    WASI_CLOCK_MONOTONIC = 1,
    WASI_CLOCK_PROCESS_CPUTIME = 2,
    WASI_CLOCK_THREAD_CPUTIME = 3,
};
/* advice (u8) */
enum {
    WASI_ADVICE_NORMAL = 0,
    WASI_ADVICE_SEQUENTIAL,
    WASI_ADVICE_RANDOM,
    WASI_ADVICE_WILLNEED,
    WASI_ADVICE_DONTNEED,
    WASI_ADVICE_NOREUSE,
};
/* eventtype (u8), subclockflags and eventrwflags (u16) */
enum { WASI_EVENT_CLOCK = 0, WASI_EVENT_FD_READ = 1, WASI_EVENT_FD_WRITE = 2 };
#define WASI_SUBCLOCK_ABSTIME 0x1u
#define WASI_EVENT_HANGUP     0x1u
/* riflags, roflags (u16); sdflags (u8) */
#define WASI_RECV_PEEK           0x1u
#define WASI_RECV_WAITALL        0x2u
#define WASI_RECV_DATA_TRUNCATED 0x1u
#define WASI_SHUT_RD             0x1u
#define WASI_SHUT_WR             0x2u
/* preopentype (u8) */
#define WASI_PREOPENTYPE_DIR 0u

/* Guest record sizes and field offsets (wasm32 layout). */
#define WASI_IOVEC_SIZE        8u  /* buf u32 @0, buf_len u32 @4 */
#define WASI_FDSTAT_SIZE       24u /* filetype u8 @0, flags u16 @2, base u64 @8, inh u64 @16 */
#define WASI_FILESTAT_SIZE     64u /* dev, ino, filetype u8 @16, nlink, size, atim, mtim, ctim */
#define WASI_DIRENT_SIZE       24u /* d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type @20 */
#define WASI_PRESTAT_SIZE      8u  /* tag u8 @0, pr_name_len u32 @4 */
#define WASI_SUBSCRIPTION_SIZE 48u /* userdata u64 @0, tag u8 @8, payload @16 */
#define WASI_EVENT_SIZE        32u /* userdata @0, error u16 @8, type u8 @10, nbytes @16, flags @24 */

/* ---- The context (wasi.c) ---- */

typedef struct wasi_dirstream wasi_dirstream;

/* One guest descriptor: an entry of the table (wasi_fdtable.c), reference-counted. */
typedef struct wasi_fd {
    int host;                 /* owned; closed when the last reference goes */
    uint32_t refs;            /* the table's slot and the host calls using it (under fd_lock) */
    pthread_mutex_t dir_lock; /* fd_readdir's stream */
    uint8_t filetype;         /* WASI_FILETYPE_* */
    uint16_t sync_flags;      /* DSYNC/RSYNC/SYNC as opened (Linux cannot report RSYNC back) */
    uint64_t rights_base, rights_inheriting;
    char *preopen_name; /* guest_path of a preopen (malloc'd), else NULL */
    bool special_ok;    /* may reach special file systems and devices (KILN_WASI_PREOPEN_SPECIAL_FS
                           of the preopen it comes from) */
    uint32_t preopen_name_len;
    wasi_dirstream *dir; /* fd_readdir's stream (wasi_dir.c), opened on first use */
} wasi_fd;

typedef struct wasi_binding {
    struct kiln_wasi *wasi;
    uint32_t index; /* row of wasi_funcs.def */
} wasi_binding;

struct kiln_wasi {
    /* args and environ, as the guest sees them: NUL-terminated strings packed in one buffer */
    char *args_buf, *env_buf;
    uint32_t argc, env_count;
    uint32_t args_size, env_size;
    /* The descriptor table: fd_count slots, NULL when free. Every instance of a program
     * (wasi-threads) shares it: guarded by fd_lock, which also guards the entries' refs and
     * rights and the exit state below. */
    wasi_fd **fds;
    uint32_t fd_count; /* slots allocated */
    uint32_t max_fds;
    uint32_t flags; /* KILN_WASI_* */
    pthread_mutex_t fd_lock;
    bool exited; /* the first proc_exit's code wins */
    int exit_code;
    kiln_host_func *host; /* one per function */
    kiln_import *imports; /* one per function */
    wasi_binding *bindings;
    uint8_t *types; /* params then results of every function, KILN_TYPE_* */
};

/* One host call: what every wasi_impl works with. */
typedef struct wasi_call {
    struct kiln_wasi *wasi;
    kiln_instance *caller; /* waits end early when kiln_instance_interrupted(caller) */
    uint8_t *mem;          /* the caller's memory 0, or NULL (then size is 0) */
    uint64_t mem_size;
    const kiln_val *args;
    kiln_trap trap; /* proc_exit sets KILN_TRAP_EXIT */
} wasi_call;

typedef uint16_t wasi_impl(wasi_call *call);

static inline uint32_t wasi_arg32(const wasi_call *c, unsigned i)
{
    return (uint32_t)c->args[i].of.i32;
}

static inline uint64_t wasi_arg64(const wasi_call *c, unsigned i)
{
    return (uint64_t)c->args[i].of.i64;
}

/* ---- Guest memory: every access is checked against the caller's size (overflow-safe). ---- */

static inline bool wasi_mem_ok(const wasi_call *c, uint32_t ptr, uint64_t len)
{
    /* ptr < 2^32 and len <= 2^32 * 64 in every caller, so the sum cannot wrap. */
    return (uint64_t)ptr + len <= c->mem_size;
}

/* Only after wasi_mem_ok(c, ptr, n) with n > 0 (c->mem is then non-NULL). */
static inline uint8_t *wasi_mem_at(const wasi_call *c, uint32_t ptr)
{
    return c->mem + ptr;
}

static inline uint16_t wasi_mem_read(const wasi_call *c, uint32_t ptr, void *dst, uint64_t n)
{
    if (!wasi_mem_ok(c, ptr, n))
        return WASI_EFAULT;
    if (n != 0)
        memcpy(dst, c->mem + ptr, (size_t)n);
    return WASI_ESUCCESS;
}

static inline uint16_t wasi_mem_write(const wasi_call *c, uint32_t ptr, const void *src, uint64_t n)
{
    if (!wasi_mem_ok(c, ptr, n))
        return WASI_EFAULT;
    if (n != 0)
        memcpy(c->mem + ptr, src, (size_t)n);
    return WASI_ESUCCESS;
}

/* Little-endian stores into a host buffer (the guest layout; hosts are little-endian). */
static inline void wasi_put_u16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}
static inline void wasi_put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static inline void wasi_put_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static inline uint16_t wasi_get_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static inline uint32_t wasi_get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t wasi_get_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint16_t wasi_store_u32(const wasi_call *c, uint32_t ptr, uint32_t v)
{
    uint8_t b[4];
    wasi_put_u32(b, v);
    return wasi_mem_write(c, ptr, b, 4);
}

static inline uint16_t wasi_store_u64(const wasi_call *c, uint32_t ptr, uint64_t v)
{
    uint8_t b[8];
    wasi_put_u64(b, v);
    return wasi_mem_write(c, ptr, b, 8);
}

/* ---- wasi.c: what KILN_WASI_VERBOSE prints ---- */

/* Whether w logs the sandbox's refusals (KILN_WASI_VERBOSE). */
static inline bool wasi_verbose(const kiln_wasi *w)
{
    return w != NULL && (w->flags & KILN_WASI_VERBOSE);
}
/* "kiln: wasi: FUNCTION: MESSAGE" on stderr when w is verbose. */
void wasi_log(const kiln_wasi *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A guest string for a log line: at most 200 bytes, quoted, every byte that is not printable
 * ASCII written \xHH (the guest chose it). */
void wasi_quote(char *out, size_t size, const char *s, size_t len);
/* The witx names of the rights in mask, ", "-separated, into out. */
void wasi_rights_names(uint64_t mask, char *out, size_t size);
/* Logs that guest descriptor fd lacks the rights in missing; returns ENOTCAPABLE. */
uint16_t wasi_refuse_rights(const kiln_wasi *w, uint32_t fd, uint64_t missing);

/* ---- wasi_errno.c ---- */

/* The WASI errno for a host errno value (EIO for anything unknown). */
uint16_t wasi_errno_from_host(int host_errno);
/* wasi_errno_from_host(errno). */
uint16_t wasi_errno(void);

/* ---- wasi_fdtable.c ---- */

/* The descriptor fd of the guest, or NULL (EBADF). The entry stays valid (its host
 * descriptor open) until the current host call returns, whatever other threads do. */
wasi_fd *wasi_fd_get(kiln_wasi *w, uint32_t fd);
/* The descriptor if it exists and has every right in rights; else NULL with *err = EBADF or
 * ENOTCAPABLE. Valid as wasi_fd_get's. */
wasi_fd *wasi_fd_checked(kiln_wasi *w, uint32_t fd, uint64_t rights, uint16_t *err);
/* f's rights, read under the table's lock (fd_fdstat_set_rights may change them). */
void wasi_fd_rights(kiln_wasi *w, const wasi_fd *f, uint64_t *base, uint64_t *inheriting);
/* Narrows f's rights (ENOTCAPABLE if that would add any), under the table's lock. */
uint16_t wasi_fd_set_rights(kiln_wasi *w, wasi_fd *f, uint64_t base, uint64_t inheriting);
/* Takes ownership of host (closing it on failure) and puts it in the lowest free slot, with
 * filetype, sync_flags, rights and special_ok taken from init. */
uint16_t wasi_fd_insert(kiln_wasi *w, int host, const wasi_fd *init, uint32_t *out_fd);
/* fd_close and fd_renumber on the table: EBADF if a slot is free. The host descriptor is
 * closed once no host call uses its entry any more. */
uint16_t wasi_fd_close_slot(kiln_wasi *w, uint32_t fd);
uint16_t wasi_fd_renumber_slot(kiln_wasi *w, uint32_t from, uint32_t to);
/* The references the calling thread's host calls hold (a mark), and their release down to
 * a mark: host_entry brackets every call with them. */
uint32_t wasi_fd_held_mark(void);
void wasi_fd_put_held(kiln_wasi *w, uint32_t mark);
/* kiln_wasi_new only (one thread): a new entry for host in the free slot fd. */
wasi_fd *wasi_fd_slot_init(kiln_wasi *w, uint32_t fd, int host);
/* The WASI filetype of a host descriptor / of a stat result. */
uint8_t wasi_filetype_of_fd(int host);
uint8_t wasi_filetype_of_mode(mode_t mode);
/* Rights that make sense for a descriptor of this type, minus what its open mode excludes. */
uint64_t wasi_rights_for(int host, uint8_t filetype);
/* Allocates the first fd_count slots, all free. */
bool wasi_fdtable_init(kiln_wasi *w, uint32_t fd_count);
void wasi_fdtable_free(kiln_wasi *w);

/* ---- wasi_fd.c ---- */

/* A filestat record from a stat result (filetype given: sockets need more than st_mode). */
void wasi_filestat_put(uint8_t out[WASI_FILESTAT_SIZE], const struct stat *st, uint8_t filetype);
uint64_t wasi_timespec_ns(const struct timespec *ts);
/* utimensat/futimens times from (atim, mtim, fst_flags); EINVAL for bad flags. */
uint16_t wasi_timestamps(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2]);

/* ---- wasi_io.c ---- */

/* The guest's iovec array, walked in batches of at most WASI_IOV_BATCH non-empty buffers. */
typedef struct wasi_iovs {
    uint32_t ptr, count; /* the guest array */
    uint32_t next;       /* index of the next iovec to take */
    uint64_t budget;     /* bytes the batches may still cover (results are u32) */
} wasi_iovs;

typedef struct wasi_iov_batch {
    struct iovec iov[WASI_IOV_BATCH];
    int count;
    uint64_t bytes;
} wasi_iov_batch;

/* Checks the array and every buffer in it against memory (EFAULT) before any I/O. */
uint16_t wasi_iovs_begin(const wasi_call *c, uint32_t ptr, uint32_t count, wasi_iovs *out);
/* The next batch (count 0 at the end); EFAULT if the guest changed the array meanwhile. */
uint16_t wasi_iovs_next(const wasi_call *c, wasi_iovs *it, wasi_iov_batch *b);
/* One sendmsg (send) or recvmsg on host over batch b, with flags; *out_flags, if not NULL,
 * gets the message flags recvmsg reports. The call's result, errno set as it left it. */
ssize_t wasi_msg_io(int host, wasi_iov_batch *b, bool send, int flags, int *out_flags);

/* ---- wasi_resolve.c ---- */

/* A path resolved beneath a directory: operate on (dirfd, name) with *at() calls that do not
 * follow a final symlink. name has no '/'; it is "." when the path names the directory
 * itself. trailing_slash: the guest path ended in '/'. */
typedef struct wasi_path {
    int dirfd; /* owned: close with wasi_path_done */
    char name[256 + 1];
    bool trailing_slash;
    const char *special; /* after EACCES for a special file system: its wasi_special_file */
} wasi_path;

/* How the last component is treated: never followed (unlink, rename, readlink, ...),
 * followed, or followed only when the path ends in '/' (POSIX: "link/" names the target). */
enum { WASI_NOFOLLOW = 0, WASI_FOLLOW = 1, WASI_FOLLOW_IF_SLASH = 2 };

/* Copies the guest path [ptr, ptr+len) out of memory and resolves it beneath the directory
 * descriptor dir: every component but the last is resolved with symlinks expanded (and
 * the last as follow says), never leaving dir's tree (EPERM: absolute paths, ".." above
 * the base, a symlink to an absolute path or out of the tree, a magic link). Unless
 * dir->special_ok, the directory it ends in must not be on a special file system (EACCES,
 * wasi_special_file). Errors: EFAULT, ENOENT (empty path), EINVAL (NUL inside), EILSEQ (not
 * UTF-8), ENAMETOOLONG, ELOOP (more than 40 symlinks), ENOTDIR, ENOMEM, and the host's. */
uint16_t wasi_resolve(const wasi_call *c, const wasi_fd *dir, uint32_t ptr, uint32_t len,
                      int follow, wasi_path *out);
/* How wasi_resolve_bytes resolves: with openat2 (else the walk), and whether the directory it
 * ends in may be on a special file system. */
enum { WASI_RESOLVE_OPENAT2 = 0x1, WASI_RESOLVE_SPECIAL_OK = 0x2 };
/* The same for a host string of len bytes beneath base_fd, how = WASI_RESOLVE_* flags. */
uint16_t wasi_resolve_bytes(int base_fd, const char *path, size_t len, int follow, unsigned how,
                            wasi_path *out);
/* What makes fd special, when it is: a file system that exposes the host's kernel or
 * processes rather than files ("procfs", "sysfs", "debugfs", ..., by fstatfs's f_type) or a
 * device file ("a character device", "a block device"); NULL for anything else. */
const char *wasi_special_file(int fd);
void wasi_path_done(wasi_path *p);
/* RFC 3629 UTF-8 (paths must be UTF-8: EILSEQ otherwise, as wasmtime). */
bool wasi_utf8_valid(const unsigned char *s, size_t n);
/* Whether openat2(RESOLVE_BENEATH) is usable here (probed once, thread-safe), and the test
 * switch that makes wasi_resolve use the component walk regardless. */
bool wasi_have_openat2(void);
void wasi_force_fallback_walk(bool on);
bool wasi_use_openat2(const kiln_wasi *w);

/* ---- The preview1 functions, one per row of wasi_funcs.def ---- */

#define WASI_FUNC(name, params, results) wasi_impl wasi_##name;
#include "wasi_funcs.def"
#undef WASI_FUNC

/* ---- wasi_dir.c ---- */

/* Closes a descriptor's fd_readdir stream. NULL is ignored. */
void wasi_dirstream_free(wasi_dirstream *s);

/* ---- wasi_clock.c (for poll_oneoff) ---- */

/* The host clock of a WASI clock id; false for an unknown id. */
bool wasi_clock_host_id(uint32_t id, int *out);

#endif
