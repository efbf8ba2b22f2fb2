/* os_posix.c -- the runtime's only mmap/mprotect/munmap callers, and thread stack bounds.
 *
 * Linear memories and alternate signal stacks are address space reserved PROT_NONE with
 * MAP_NORESERVE (so an 8 GiB reservation costs no commit charge), then committed piecewise
 * with mprotect. Decommit replaces the range with a fresh PROT_NONE mapping (MAP_FIXED): one
 * system call that both frees the pages and guarantees they read as zero when committed
 * again, which is what a reused pool slot needs. If that remap fails (e.g. the kernel's
 * mapping-count limit when it would split an area), madvise(MADV_DONTNEED) + mprotect does
 * the same in two steps.
 *
 * Bare-metal ports replace this file (static memory, no reservations).
 */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

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

/* pthread_getattr_np knows every thread's stack; for the main thread glibc derives it from
 * /proc/self/maps and RLIMIT_STACK, so callers cache the answer per thread. */
bool kiln_os_thread_stack(uintptr_t *lo, uintptr_t *hi, size_t *guard)
{
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
