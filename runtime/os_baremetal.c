/* os_baremetal.c -- the platform layer of the bare-metal runtime (KILN_PLATFORM=baremetal):
 * it replaces os_posix.c and signal_posix.c.
 *
 * There is no MMU to rely on, so only modules compiled with --bounds-checks run (memory.c's
 * guard-page path refuses the others on a 32-bit host), and nothing faults on purpose: traps
 * come from generated code's explicit checks and unwind with longjmp (baremetal_compat.h).
 * "Reserving" a linear memory takes its whole growth limit from the firmware's
 * kiln_platform_memory_alloc (kiln/baremetal.h) at once; committing pages only zeroes them.
 * The signal-handler registries have nothing to register. One thread of execution: nothing
 * could unpark a parked thread (memory.atomic.wait, wait.c: docs/threads.md).
 * Calls nothing else in the runtime; called where os_posix.c and signal_posix.c would be.
 */
#include <string.h>

#include "runtime_impl.h"
#include "kiln/baremetal.h"

size_t kiln_os_page_size(void)
{
    return 4096;
}

void *kiln_os_reserve(size_t size)
{
    return kiln_platform_memory_alloc(size);
}

bool kiln_os_commit(void *p, size_t size)
{
    if (size != 0)
        memset(p, 0, size);
    return true;
}

bool kiln_os_decommit(void *p, size_t size)
{
    if (size != 0)
        memset(p, 0, size);
    return true;
}

void kiln_os_release(void *p, size_t size)
{
    kiln_platform_memory_free(p, size);
}

/* Bounds-checked memories reserve their whole growth limit here (kiln_checked_reserve_max
 * is SIZE_MAX), so this is not reached; it copies, for completeness. */
void *kiln_os_move(void *p, size_t used, size_t old_size, size_t new_size, bool keep_old)
{
    void *q = kiln_platform_memory_alloc(new_size);
    if (q == NULL)
        return NULL;
    if (used != 0)
        memcpy(q, p, used);
    if (!keep_old)
        kiln_platform_memory_free(p, old_size);
    return q;
}

/* Module pools lay out 8 GiB of address space per slot: not here. */
void *kiln_os_map(size_t size)
{
    (void)size;
    return NULL;
}

bool kiln_os_resident(void *p, size_t size, uint8_t *resident)
{
    (void)p;
    (void)size;
    (void)resident;
    return false;
}

bool kiln_os_discard(void *p, size_t size)
{
    return kiln_os_decommit(p, size);
}

unsigned kiln_os_without;

/* No files to map: module pools (which need kiln_os_map anyway) would copy. */
bool kiln_os_image_new(size_t size, kiln_os_image *out)
{
    (void)size;
    out->fd = -1;
    out->view = NULL;
    out->size = 0;
    return false;
}

bool kiln_os_image_write(kiln_os_image *image, size_t offset, const void *bytes, size_t len)
{
    (void)image;
    (void)offset;
    (void)bytes;
    (void)len;
    return false;
}

bool kiln_os_image_seal(kiln_os_image *image)
{
    (void)image;
    return false;
}

void kiln_os_image_free(kiln_os_image *image)
{
    (void)image;
}

bool kiln_os_image_map(const kiln_os_image *image, void *p)
{
    (void)image;
    (void)p;
    return false;
}

bool kiln_os_written(void *p, size_t size, kiln_os_run *runs, size_t cap, size_t *count,
                     void **next)
{
    (void)p;
    (void)size;
    (void)runs;
    (void)cap;
    (void)count;
    (void)next;
    return false;
}

bool kiln_os_thread_stack(uintptr_t *lo, uintptr_t *hi, size_t *guard)
{
    *lo = *hi = 0;
    *guard = 0;
    kiln_platform_stack_bounds(lo, hi);
    return *lo != 0 && *hi > *lo;
}

/* No MMU: task stacks have no guard, the wasm stack limit alone keeps wasm on them. */
size_t kiln_os_stack_guard(void)
{
    return 0;
}

_Thread_local kiln_thread kiln_tls;

void kiln_thread_setup(kiln_thread *t)
{
    if (!t->stack_queried && !kiln_os_thread_stack(&t->stack_lo, &t->stack_hi, &t->stack_guard))
        t->stack_lo = t->stack_hi = 0;
    t->stack_queried = true;
    t->ready = true;
}

/* No code-range registry: a trap's backtrace is its site alone. */
bool kiln_signal_in_code(uintptr_t pc)
{
    (void)pc;
    return false;
}

bool kiln_signal_add_code(uintptr_t begin, uintptr_t end)
{
    (void)begin;
    (void)end;
    return true;
}

bool kiln_signal_add_memory(uintptr_t begin, uintptr_t end)
{
    (void)begin;
    (void)end;
    return true;
}

void kiln_signal_remove_memory(uintptr_t begin)
{
    (void)begin;
}

void kiln_signal_rearm(void) {}

KILN_API kiln_status kiln_runtime_init(void)
{
    return KILN_STATUS_OK;
}

/* No threads: the embedder advances the epoch itself (from a timer interrupt, say). */
bool kiln_os_ticker_start(uint64_t period_ns, void (*fn)(void *), void *arg)
{
    (void)period_ns;
    (void)fn;
    (void)arg;
    return false;
}

void kiln_os_ticker_stop(void) {}

/* No signals: modules for bare metal check every loop (KILN_INTERRUPT_FULL), and nothing
 * needs ordering with a signal. */
bool kiln_signal_barrier = true;

void kiln_signal_interrupt(kiln_instance *inst)
{
    (void)inst;
}

/* One thread of execution: no one to unpark a parked thread, and no clock the runtime knows.
 * wait.c does not park here (kiln_os_threads); these only complete the interface. */
const bool kiln_os_threads = false;

uint64_t kiln_os_now_ns(void)
{
    return 0;
}

void kiln_os_park(uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
    (void)word;
    (void)expected;
    (void)timeout_ns;
}

void kiln_os_unpark(uint32_t *word)
{
    (void)word;
}
