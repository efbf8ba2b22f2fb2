/* os_posix.c -- the runtime's only mmap/mprotect/munmap callers, and thread stack bounds.
 *
 * Linear memories and alternate signal stacks are address space reserved PROT_NONE with
 * MAP_NORESERVE (so an 8 GiB reservation costs no commit charge), then committed piecewise
 * with mprotect. Decommit replaces the range with a fresh PROT_NONE mapping (MAP_FIXED): one
 * system call that both frees the pages and guarantees they read as zero when committed
 * again, which is what a reused pool slot needs; if that remap fails (e.g. the kernel's
 * mapping-count limit when it would split an area), madvise(MADV_DONTNEED) + mprotect.
 * A bounds-checked memory that outgrows its reservation moves (kiln_os_move): mremap on
 * Linux, without copying; elsewhere, and out of a module pool's slot (which must keep its
 * address range), a copy. Module pools also map their slot blocks here (kiln_os_map), ask
 * which pages an instance touched (mincore) and give large touched ranges back.
 * Calls nothing else in the runtime; os_baremetal.c replaces it on bare metal.
 * Called by signal_posix.c, interrupt.c (the epoch ticker), memory.c and pool.c.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "runtime_impl.h"

size_t kiln_os_page_size(void)
{
    long n = sysconf(_SC_PAGESIZE); /* glibc answers from auxv, no system call */
    return n > 0 ? (size_t)n : 4096u;
}

void *kiln_os_reserve(size_t size)
{
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

bool kiln_os_commit(void *p, size_t size)
{
    return size == 0 || mprotect(p, size, PROT_READ | PROT_WRITE) == 0;
}

bool kiln_os_decommit(void *p, size_t size)
{
    if (size == 0)
        return true;
    void *q =
        mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (q != MAP_FAILED)
        return true;
    return madvise(p, size, MADV_DONTNEED) == 0 && mprotect(p, size, PROT_NONE) == 0;
}

void kiln_os_release(void *p, size_t size)
{
    if (p != NULL && size != 0)
        munmap(p, size);
}

void *kiln_os_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void *kiln_os_move(void *p, size_t used, size_t old_size, size_t new_size, bool keep_old)
{
    void *q = kiln_os_reserve(new_size);
    if (q == NULL)
        return NULL;
#ifdef MREMAP_FIXED
    /* Linux: move the committed pages' page tables onto the start of the new reservation
     * (no copy). Not for keep_old (a pool slot): it would leave a hole in the slot. */
    if (!keep_old && used != 0) {
        if (mremap(p, used, used, MREMAP_MAYMOVE | MREMAP_FIXED, q) != MAP_FAILED) {
            /* Only the reserved rest: [p, p+used) is unmapped already, and another thread
             * may have mapped something there since. */
            if (old_size > used)
                munmap((char *)p + used, old_size - used);
            return q;
        }
        /* E.g. the pages span several mappings. The kernel may have unmapped the target's
         * head before refusing (mincore fails on unmapped pages): release what is still
         * ours, then copy into a fresh reservation. */
        unsigned char probe;
        if (mincore(q, 1, &probe) == 0)
            munmap(q, new_size);
        else if (new_size > used)
            munmap((char *)q + used, new_size - used);
        q = kiln_os_reserve(new_size);
        if (q == NULL)
            return NULL;
    }
#endif
    if (!kiln_os_commit(q, used)) {
        munmap(q, new_size);
        return NULL;
    }
    if (used != 0)
        memcpy(q, p, used);
    if (!keep_old)
        munmap(p, old_size);
    return q;
}

bool kiln_os_resident(void *p, size_t size, uint8_t *resident)
{
    return mincore(p, size, (unsigned char *)resident) == 0;
}

bool kiln_os_discard(void *p, size_t size)
{
    return size == 0 || madvise(p, size, MADV_DONTNEED) == 0;
}

/* The main thread's stack without pthread_getattr_np, which reads /proc/self/maps for it
 * (~200 us on a VM: most of a sealed executable's start-up overhead). The kernel puts the
 * program's file name (AT_EXECFN) at the very top of the initial stack, followed only by an
 * 8-byte end marker, and the stack may grow to RLIMIT_STACK below the end of that page; no
 * other mapping is placed in that range. The caller is on the main thread iff its frame is
 * inside it. False (use pthread_getattr_np) for other threads or an unlimited stack. */
static bool main_thread_stack(uintptr_t *lo, uintptr_t *hi)
{
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    struct rlimit rl;
    long page = sysconf(_SC_PAGESIZE);
    if (execfn == NULL || page <= 0 || getrlimit(RLIMIT_STACK, &rl) != 0 ||
        rl.rlim_cur == RLIM_INFINITY)
        return false;
    uintptr_t end = (uintptr_t)execfn + strlen(execfn) + 1 + sizeof(uint64_t);
    uintptr_t top = (end + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    if (top < end || rl.rlim_cur >= top)
        return false;
    uintptr_t bottom = top - (uintptr_t)rl.rlim_cur;
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
    if (frame <= bottom || frame >= top)
        return false;
    *lo = bottom;
    *hi = top;
    return true;
}

/* pthread_getattr_np knows every thread's stack; for the main thread glibc derives it from
 * /proc/self/maps and RLIMIT_STACK (see main_thread_stack), so callers cache the answer per
 * thread. */
bool kiln_os_thread_stack(uintptr_t *lo, uintptr_t *hi, size_t *guard)
{
    if (main_thread_stack(lo, hi)) {
        *guard = 0; /* the kernel's stack guard gap lies below lo */
        return true;
    }
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return false;
    void *addr = NULL;
    size_t size = 0, guard_size = 0;
    int rc = pthread_attr_getstack(&attr, &addr, &size);
    if (pthread_attr_getguardsize(&attr, &guard_size) != 0)
        guard_size = 0;
    pthread_attr_destroy(&attr);
    if (rc != 0 || addr == NULL || size == 0)
        return false;
    *lo = (uintptr_t)addr;
    *hi = (uintptr_t)addr + size;
    *guard = guard_size;
    return true;
}

/* ---- The epoch ticker (interrupt.c) ---- */

static struct {
    pthread_t thread;
    uint64_t period_ns;
    void (*fn)(void *);
    void *arg;
    int stop; /* atomic */
} ticker;

static void *ticker_main(void *unused)
{
    (void)unused;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!__atomic_load_n(&ticker.stop, __ATOMIC_ACQUIRE)) {
        /* Absolute times: a late wake-up does not push every later tick back. */
        uint64_t ns = (uint64_t)next.tv_nsec + ticker.period_ns;
        next.tv_sec += (time_t)(ns / 1000000000u);
        next.tv_nsec = (long)(ns % 1000000000u);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
        ticker.fn(ticker.arg);
    }
    return NULL;
}

bool kiln_os_ticker_start(uint64_t period_ns, void (*fn)(void *), void *arg)
{
    ticker.period_ns = period_ns;
    ticker.fn = fn;
    ticker.arg = arg;
    __atomic_store_n(&ticker.stop, 0, __ATOMIC_RELEASE);
    /* Signals are for the threads that run wasm: the ticker blocks them all. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    bool ok = pthread_create(&ticker.thread, NULL, ticker_main, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

void kiln_os_ticker_stop(void)
{
    __atomic_store_n(&ticker.stop, 1, __ATOMIC_RELEASE);
    pthread_join(ticker.thread, NULL);
}
