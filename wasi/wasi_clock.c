/* wasi_clock.c -- clock_res_get, clock_time_get, random_get.
 *
 * The four witx clocks map to CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID and
 * CLOCK_THREAD_CPUTIME_ID; any other id is EINVAL. Times are u64 nanoseconds (realtime since
 * 1970; the others from an arbitrary origin); clock_time_get's precision argument is a hint
 * the host clocks do not need. random_get fills the buffer from getrandom(2), in pieces, so a
 * buffer of any size the memory holds works and an interrupted call resumes where it stopped.
 */
#include <errno.h>
#include <sys/random.h>

#include "wasi_impl.h"

bool wasi_clock_host_id(uint32_t id, int *out)
{
    switch (id) {
    case WASI_CLOCK_REALTIME:
        *out = CLOCK_REALTIME;
        return true;
    case WASI_CLOCK_MONOTONIC:
        *out = CLOCK_MONOTONIC;
        return true;
    case WASI_CLOCK_PROCESS_CPUTIME:
        *out = CLOCK_PROCESS_CPUTIME_ID;
        return true;
    case WASI_CLOCK_THREAD_CPUTIME:
        *out = CLOCK_THREAD_CPUTIME_ID;
        return true;
    default:
        return false;
    }
}

/* clock_res_get and clock_time_get: query (clock_getres or clock_gettime) the host clock for
 * the id in argument 0, the result stored as a timestamp at argument out_arg. */
static uint16_t clock_query(wasi_call *c, unsigned out_arg,
                            int (*query)(clockid_t, struct timespec *))
{
    int id;
    if (!wasi_clock_host_id(wasi_arg32(c, 0), &id))
        return WASI_EINVAL;
    uint32_t out = wasi_arg32(c, out_arg);
    if (!wasi_mem_ok(c, out, 8))
        return WASI_EFAULT;
    struct timespec ts;
    if (query(id, &ts) != 0)
        return wasi_errno();
    return wasi_store_u64(c, out, wasi_timespec_ns(&ts));
}

/* clock_res_get(id) -> (errno, timestamp) */
uint16_t wasi_clock_res_get(wasi_call *c)
{
    return clock_query(c, 1, clock_getres);
}

/* clock_time_get(id, precision) -> (errno, timestamp) */
uint16_t wasi_clock_time_get(wasi_call *c)
{
    return clock_query(c, 2, clock_gettime);
}

/* random_get(buf, buf_len) -> errno */
uint16_t wasi_random_get(wasi_call *c)
{
    uint32_t buf = wasi_arg32(c, 0), len = wasi_arg32(c, 1);
    if (!wasi_mem_ok(c, buf, len))
        return WASI_EFAULT;
    uint32_t done = 0;
    while (done < len) {
        uint32_t want = len - done;
        if (want > (1u << 25)) /* getrandom returns at most 32 MiB - 1 per call anyway */
            want = 1u << 25;
        ssize_t n = getrandom(wasi_mem_at(c, buf + done), want, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return wasi_errno();
        }
        done += (uint32_t)n;
    }
    return WASI_ESUCCESS;
}
