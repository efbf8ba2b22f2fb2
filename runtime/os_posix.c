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
 * address range), a copy. Module pools also map their slot blocks here (kiln_os_map), keep
 * their data image in a sealed memfd that slots map copy-on-write (kiln_os_image_*), ask which
 * pages an instance wrote (PAGEMAP_SCAN; mincore for touched pages where that is missing) and
 * give large touched ranges back. Threads waiting in memory.atomic.wait park on a futex word
 * (kiln_os_park; wait.c, docs/threads.md).
 * Calls nothing else in the runtime; os_baremetal.c replaces it on bare metal.
 * Called by signal_posix.c, interrupt.c (the epoch ticker, waking parked threads), memory.c,
 * pool.c and wait.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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

/* ---- Copy-on-write images ---- */

unsigned kiln_os_without;

bool kiln_os_image_new(size_t size, kiln_os_image *out)
{
    out->fd = -1;
    out->view = NULL;
    out->size = 0;
    if (kiln_os_without & KILN_OS_NO_IMAGE)
        return false;
#if defined(MFD_CLOEXEC) && defined(MFD_ALLOW_SEALING)
    int fd = memfd_create("kiln-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return false;
    out->fd = fd;
    out->size = size;
    return ftruncate(fd, (off_t)size) == 0;
#else
    (void)size;
    return false;
#endif
}

bool kiln_os_image_write(kiln_os_image *image, size_t offset, const void *bytes, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n =
            pwrite(image->fd, (const char *)bytes + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

bool kiln_os_image_seal(kiln_os_image *image)
{
    /* Sealed: nothing can change or truncate what the slots map (a truncated file would
     * turn their accesses into SIGBUS). The view is private and read-only: a shared mapping
     * of a write-sealed file is refused by kernels before 6.6. */
#ifdef F_ADD_SEALS
    if (fcntl(image->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) !=
        0)
        return false;
    void *view = mmap(NULL, image->size, PROT_READ, MAP_PRIVATE, image->fd, 0);
    if (view == MAP_FAILED)
        return false;
    image->view = view;
    return true;
#else
    return false;
#endif
}

void kiln_os_image_free(kiln_os_image *image)
{
    if (image->view != NULL)
        munmap((void *)(uintptr_t)image->view, image->size);
    if (image->fd >= 0)
        close(image->fd);
    image->fd = -1;
    image->view = NULL;
    image->size = 0;
}

bool kiln_os_image_map(const kiln_os_image *image, void *p)
{
    if (image->fd < 0)
        return false;
    void *q = mmap(p, image->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image->fd, 0);
    return q != MAP_FAILED;
}

/* PAGEMAP_SCAN (Linux 6.7, include/uapi/linux/fs.h), declared here for older headers: one
 * ioctl on /proc/self/pagemap lists the pages of a range by category. */
struct kiln_page_region {
    uint64_t start, end, categories;
};
struct kiln_pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define KILN_PAGEMAP_SCAN    _IOWR('f', 16, struct kiln_pm_scan_arg)
#define KILN_PAGE_IS_FILE    (1u << 2)
#define KILN_PAGE_IS_PRESENT (1u << 3)
#define KILN_PAGE_IS_SWAPPED (1u << 4)
#define KILN_PAGE_IS_PFNZERO (1u << 5)

/* Lists the pages of [begin, end) that hold private data into regions[0..cap); returns their
 * number, or -1 with errno. */
static int scan_written(int fd, uintptr_t begin, uintptr_t end, struct kiln_page_region *regions,
                        size_t cap, uintptr_t *walk_end)
{
    /* Present or swapped, and neither a page of the file (read, not written, in a private
     * file mapping) nor the shared zero page (read, not written, in an anonymous one). */
    struct kiln_pm_scan_arg arg = {
        .size = sizeof arg,
        .start = begin,
        .end = end,
        .vec = (uintptr_t)regions,
        .vec_len = cap,
        .category_inverted = KILN_PAGE_IS_FILE | KILN_PAGE_IS_PFNZERO,
        .category_mask = KILN_PAGE_IS_FILE | KILN_PAGE_IS_PFNZERO,
        .category_anyof_mask = KILN_PAGE_IS_PRESENT | KILN_PAGE_IS_SWAPPED,
        .return_mask = KILN_PAGE_IS_FILE, /* never set in a match: adjacent pages merge */
    };
    int n = ioctl(fd, KILN_PAGEMAP_SCAN, &arg);
    *walk_end = (uintptr_t)arg.walk_end;
    return n;
}

/* The process's /proc/self/pagemap if it answers PAGEMAP_SCAN: -2 not tried yet, -1 no,
 * else the descriptor. The file names the process that opened it, so a forked child drops
 * its copy and opens its own on first use. */
static atomic_int pagemap_fd = -2;
static pthread_once_t pagemap_once = PTHREAD_ONCE_INIT;

static void pagemap_forget(void)
{
    int fd = atomic_exchange(&pagemap_fd, -2);
    if (fd >= 0)
        close(fd);
}

static void pagemap_register_fork(void)
{
    pthread_atfork(NULL, NULL, pagemap_forget);
}

static int pagemap(void)
{
    int fd = atomic_load_explicit(&pagemap_fd, memory_order_acquire);
    if (fd != -2)
        return fd;
    pthread_once(&pagemap_once, pagemap_register_fork);
    int opened = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (opened >= 0) {
        /* Probe with the page of this frame before anyone relies on it. */
        uintptr_t page = (uintptr_t)kiln_os_page_size();
        uintptr_t here = (uintptr_t)__builtin_frame_address(0) & ~(page - 1);
        struct kiln_page_region region;
        uintptr_t walk_end;
        if (scan_written(opened, here, here + page, &region, 1, &walk_end) < 0) {
            close(opened);
            opened = -1;
        }
    }
    int expected = -2;
    if (!atomic_compare_exchange_strong(&pagemap_fd, &expected, opened)) {
        if (opened >= 0)
            close(opened); /* another thread was first */
        return expected;
    }
    return opened;
}

bool kiln_os_written(void *p, size_t size, kiln_os_run *runs, size_t cap, size_t *count,
                     void **next)
{
    int fd = (kiln_os_without & KILN_OS_NO_WRITTEN) ? -1 : pagemap();
    if (fd < 0)
        return false;
    struct kiln_page_region regions[32];
    if (cap > KILN_ARRAY_LEN(regions))
        cap = KILN_ARRAY_LEN(regions);
    uintptr_t walk_end;
    int n = scan_written(fd, (uintptr_t)p, (uintptr_t)p + size, regions, cap, &walk_end);
    if (n < 0 || walk_end <= (uintptr_t)p)
        return false;
    for (int i = 0; i < n; i++) {
        runs[i].begin = (uintptr_t)regions[i].start;
        runs[i].end = (uintptr_t)regions[i].end;
    }
    *count = (size_t)n;
    *next = (void *)walk_end;
    return true;
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

size_t kiln_os_stack_guard(void)
{
    size_t page = kiln_os_page_size();
    return (KILN_TASK_STACK_GUARD + page - 1) / page * page;
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
        /* Absolute times, so the ticks keep their period on average; but a wake-up later
         * than a whole period drops the missed ticks instead of catching up with a burst,
         * which would end deadlines armed meanwhile early: an epoch never lasts less than
         * the period (under load it lasts longer). */
        uint64_t ns = (uint64_t)next.tv_nsec + ticker.period_ns;
        next.tv_sec += (time_t)(ns / 1000000000u);
        next.tv_nsec = (long)(ns % 1000000000u);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t late = (uint64_t)(now.tv_sec - next.tv_sec) * 1000000000u + (uint64_t)now.tv_nsec -
                        (uint64_t)next.tv_nsec;
        if ((now.tv_sec > next.tv_sec ||
             (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) &&
            late >= ticker.period_ns)
            next = now;
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

/* ---- Parking threads (wait.c) ---- */

const bool kiln_os_threads = true;

uint64_t kiln_os_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* futex(2) on a process-private word. A 32-bit target built with a 64-bit time_t
 * (_TIME_BITS=64) passes its struct timespec to futex_time64, which expects that layout. */
static long futex(uint32_t *word, int op, uint32_t value, const struct timespec *timeout)
{
#ifdef SYS_futex_time64
    if (sizeof(time_t) > sizeof(long))
        return syscall(SYS_futex_time64, word, op | FUTEX_PRIVATE_FLAG, value, timeout, NULL, 0);
#endif
    return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, value, timeout, NULL, 0);
}

void kiln_os_park(uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
    /* FUTEX_WAIT's timeout is relative, on CLOCK_MONOTONIC. It returns at once (EAGAIN) if
     * *word != expected, 0 when woken (or spuriously), EINTR on a signal, ETIMEDOUT: every
     * case is the caller's to sort out. */
    struct timespec ts;
    /* At most a day at a time (a 32-bit time_t holds that): the caller parks again. */
    if (timeout_ns > (int64_t)86400 * 1000000000)
        timeout_ns = (int64_t)86400 * 1000000000;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
    }
    int saved_errno = errno;
    futex(word, FUTEX_WAIT, expected, timeout_ns >= 0 ? &ts : NULL);
    errno = saved_errno;
}

void kiln_os_unpark(uint32_t *word)
{
    int saved_errno = errno; /* from a signal handler too (kiln_instance_interrupt) */
    futex(word, FUTEX_WAKE, INT32_MAX, NULL);
    errno = saved_errno;
}
