/* wasi_poll.c -- poll_oneoff.
 *
 * All subscriptions are read out of guest memory first (the events array may overlap them),
 * at most WASI_MAX_SUBSCRIPTIONS per call (more is EINVAL, as poll(2) with too many fds).
 * Clock subscriptions (realtime or monotonic, relative or SUBSCRIPTION_CLOCK_ABSTIME) become
 * deadlines on the monotonic clock; fd_read/fd_write subscriptions become pollfds. Problems
 * with one subscription (a closed fd: EBADF, no poll_fd_readwrite right: ENOTCAPABLE, an
 * unsupported clock or flag: EINVAL) are reported as an event carrying that error, and such
 * an event makes the call return at once. Otherwise ppoll(2) waits until an fd is ready or
 * the earliest deadline passes, and every subscription that is ready then gets an event.
 * The wait is sliced (WASI_POLL_SLICE_NS) so that a stop asked of the calling instance
 * (kiln_instance_interrupt, a deadline) ends it: poll_oneoff then returns EINTR.
 * fd_read events on regular files report the bytes left before end of file, elsewhere what
 * FIONREAD says; POLLHUP sets fd_readwrite_hangup.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "wasi_impl.h"

typedef struct poll_sub {
    uint64_t userdata;
    uint8_t type;      /* WASI_EVENT_* */
    uint16_t error;    /* non-zero: report at once */
    uint64_t deadline; /* clocks: CLOCK_MONOTONIC ns */
    int pollfd;        /* fds: index into the pollfd array, or -1 */
    const wasi_fd *fd;
} poll_sub;

static uint64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return wasi_timespec_ns(&ts);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* The monotonic deadline of a clock subscription (payload at offset 16 of the record). */
static void parse_clock(const uint8_t *rec, poll_sub *s, uint64_t mono, uint64_t real)
{
    uint32_t id = wasi_get_u32(rec + 16);
    uint64_t timeout = wasi_get_u64(rec + 24);
    uint16_t flags = wasi_get_u16(rec + 40);
    if ((id != WASI_CLOCK_REALTIME && id != WASI_CLOCK_MONOTONIC) ||
        (flags & ~WASI_SUBCLOCK_ABSTIME)) {
        s->error = WASI_EINVAL;
        return;
    }
    if (!(flags & WASI_SUBCLOCK_ABSTIME))
        s->deadline = add_sat(mono, timeout);
    else if (id == WASI_CLOCK_MONOTONIC)
        s->deadline = timeout;
    else
        s->deadline = timeout > real ? add_sat(mono, timeout - real) : mono;
}

static void put_event(uint8_t *rec, const poll_sub *s, uint64_t nbytes, uint16_t flags)
{
    memset(rec, 0, WASI_EVENT_SIZE);
    wasi_put_u64(rec + 0, s->userdata);
    wasi_put_u16(rec + 8, s->error);
    rec[10] = s->type;
    wasi_put_u64(rec + 16, nbytes);
    wasi_put_u16(rec + 24, flags);
}

/* Bytes a read could return now: to end of file for regular files, else FIONREAD. */
static uint64_t readable_bytes(const wasi_fd *f)
{
    if (f->filetype == WASI_FILETYPE_REGULAR_FILE) {
        struct stat st;
        off_t pos = lseek(f->host, 0, SEEK_CUR);
        if (fstat(f->host, &st) == 0 && pos >= 0 && st.st_size > pos)
            return (uint64_t)(st.st_size - pos);
        return 0;
    }
    int n = 0;
    if (ioctl(f->host, FIONREAD, &n) == 0 && n > 0)
        return (uint64_t)n;
    return 0;
}

/* poll_oneoff(in, out, nsubscriptions) -> (errno, size) */
uint16_t wasi_poll_oneoff(wasi_call *c)
{
    uint32_t in = wasi_arg32(c, 0), out = wasi_arg32(c, 1), n = wasi_arg32(c, 2);
    uint32_t nevents_ptr = wasi_arg32(c, 3);
    if (n == 0)
        return WASI_EINVAL; /* witx: would block forever */
    if (!wasi_mem_ok(c, in, (uint64_t)n * WASI_SUBSCRIPTION_SIZE) ||
        !wasi_mem_ok(c, out, (uint64_t)n * WASI_EVENT_SIZE) || !wasi_mem_ok(c, nevents_ptr, 4))
        return WASI_EFAULT;
    if (n > WASI_MAX_SUBSCRIPTIONS)
        return WASI_EINVAL;
    poll_sub *subs = calloc(n, sizeof *subs);
    struct pollfd *pfds = calloc(n, sizeof *pfds);
    if (subs == NULL || pfds == NULL) {
        free(subs);
        free(pfds);
        return WASI_ENOMEM;
    }
    uint16_t err = WASI_ESUCCESS;
    nfds_t npfds = 0;
    bool immediate = false, have_deadline = false;
    uint64_t earliest = UINT64_MAX;
    uint64_t mono = now_ns(CLOCK_MONOTONIC), real = now_ns(CLOCK_REALTIME);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t rec[WASI_SUBSCRIPTION_SIZE];
        memcpy(rec, wasi_mem_at(c, in + i * WASI_SUBSCRIPTION_SIZE), sizeof rec);
        poll_sub *s = &subs[i];
        s->userdata = wasi_get_u64(rec);
        s->type = rec[8];
        s->pollfd = -1;
        if (s->type == WASI_EVENT_CLOCK) {
            parse_clock(rec, s, mono, real);
            if (s->error == 0) {
                have_deadline = true;
                if (s->deadline < earliest)
                    earliest = s->deadline;
            }
        } else if (s->type == WASI_EVENT_FD_READ || s->type == WASI_EVENT_FD_WRITE) {
            s->fd = wasi_fd_checked(c->wasi, wasi_get_u32(rec + 16), WASI_RIGHT_POLL_FD_READWRITE,
                                    &s->error);
            if (s->fd != NULL) {
                pfds[npfds].fd = s->fd->host;
                pfds[npfds].events = s->type == WASI_EVENT_FD_READ ? POLLIN : POLLOUT;
                s->pollfd = (int)npfds++;
            }
        } else {
            err = WASI_EINVAL;
            goto out_free;
        }
        immediate |= s->error != 0;
    }

    uint32_t count = 0;
    while (count == 0) {
        /* A stop asked of the caller (kiln_instance_interrupt, a deadline) ends the wait: the
         * guest sees EINTR and stops at its next check. Waits are sliced to notice it. */
        if (c->caller != NULL && kiln_instance_interrupted(c->caller)) {
            err = WASI_EINTR;
            goto out_free;
        }
        struct timespec ts;
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        uint64_t wait = immediate       ? 0
                        : have_deadline ? (earliest > now ? earliest - now : 0)
                                        : UINT64_MAX;
        if (wait > WASI_POLL_SLICE_NS)
            wait = WASI_POLL_SLICE_NS;
        ts.tv_sec = (time_t)(wait / 1000000000u);
        ts.tv_nsec = (long)(wait % 1000000000u);
        int r = ppoll(pfds, npfds, &ts, NULL);
        if (r < 0 && errno != EINTR) {
            err = wasi_errno();
            goto out_free;
        }
        if (r < 0)
            continue;
        now = now_ns(CLOCK_MONOTONIC);
        for (uint32_t i = 0; i < n; i++) {
            poll_sub *s = &subs[i];
            uint8_t ev[WASI_EVENT_SIZE];
            if (s->error != 0) {
                put_event(ev, s, 0, 0);
            } else if (s->type == WASI_EVENT_CLOCK) {
                if (s->deadline > now)
                    continue;
                put_event(ev, s, 0, 0);
            } else {
                short re = pfds[s->pollfd].revents;
                if (re == 0)
                    continue;
                uint16_t flags = (re & POLLHUP) ? WASI_EVENT_HANGUP : 0;
                if (re & POLLNVAL)
                    s->error = WASI_EBADF;
                else if ((re & POLLERR) && !(re & (POLLIN | POLLOUT | POLLHUP)))
                    s->error = WASI_EIO;
                uint64_t nbytes =
                    s->error == 0 && s->type == WASI_EVENT_FD_READ ? readable_bytes(s->fd) : 0;
                put_event(ev, s, nbytes, flags);
            }
            memcpy(wasi_mem_at(c, out + count * WASI_EVENT_SIZE), ev, sizeof ev);
            count++;
        }
    }
    err = wasi_store_u32(c, nevents_ptr, count);

out_free:
    free(subs);
    free(pfds);
    return err;
}
