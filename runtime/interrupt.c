/* interrupt.c -- stopping running calls: interrupt requests, epochs and deadlines.
 *
 * Generated code reads the 32-bit vmctx->interrupt on every loop back-edge and at
 * the entry of every function that calls another (toolchain/interrupt.c) and traps with
 * KILN_TRAP_INTERRUPTED when they are not zero; the trap clears the word (kiln_interrupt_taken)
 * so the instance runs its next call normally. Two bits ask for a stop: KILN_STOP_REQUEST, set
 * by kiln_instance_interrupt (one atomic OR: any thread, a signal handler), and
 * KILN_STOP_DEADLINE, set when the process-wide epoch reaches the instance's deadline.
 * Generated code never reads a clock: kiln_epoch_advance (the embedder's, or the ticker
 * thread's) walks a min-heap of armed deadlines under one mutex and sets the bit of every
 * instance whose deadline has come, so a check costs one load and a branch whatever the
 * policy. A request stays pending until a check takes it, like a signal: set while no call
 * runs, it stops the next call at its first check (kiln_instance_cancel_interrupt drops it).
 * A thread of the instance parked in memory.atomic.wait (wait.c) is woken to take the stop:
 * it checks the bits after registering as a waiter, so setting them then waking it loses
 * nothing (docs/threads.md).
 * Calls os_posix.c / os_baremetal.c (the ticker, unparking); called by trap.c
 * (kiln_interrupt_taken), wait.c (kiln_interrupt_wake), instance.c (kiln_deadline_forget) and
 * embedders.
 */
#include <stdlib.h>

#include "runtime_impl.h"

enum {
    KILN_STOP_REQUEST = 1u,  /* kiln_instance_interrupt */
    KILN_STOP_DEADLINE = 2u, /* the epoch reached the deadline */
};

void kiln_interrupt_wake(kiln_instance *inst)
{
    /* A parked thread read the word before it looked at its wait and parks only while the
     * word still holds that value: after this bump it returns at once, or is woken. */
    __atomic_fetch_add(&inst->wait_word, 1, __ATOMIC_SEQ_CST);
    kiln_os_unpark(&inst->wait_word);
}

/* Sets stop bits; wakes a thread of inst parked in memory.atomic.wait; then, unless every
 * loop of the module checks them, signals the thread running it (the signal stops code that
 * has no checks). The waiter counts itself (inst->waiting) before it looks at the bits, so a
 * waiter this does not see finds them set (both sequentially consistent). */
static void stop_set(kiln_instance *inst, uint32_t bits)
{
    __atomic_fetch_or(&inst->vmctx->interrupt, bits, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&inst->waiting, __ATOMIC_SEQ_CST) != 0)
        kiln_interrupt_wake(inst);
    if (!(inst->module->flags & KILN_MODULE_INTERRUPT_FULL))
        kiln_signal_interrupt(inst);
}

static void stop_clear(kiln_instance *inst, uint32_t bits)
{
    __atomic_fetch_and(&inst->vmctx->interrupt, ~bits, __ATOMIC_RELAXED);
}

static bool interruptible(const kiln_instance *inst)
{
    return (inst->module->flags & KILN_MODULE_INTERRUPT_CHECKS) != 0;
}

KILN_API kiln_status kiln_instance_interrupt(kiln_instance *inst)
{
    if (inst == NULL || !interruptible(inst))
        return KILN_STATUS_ARG;
    stop_set(inst, KILN_STOP_REQUEST);
    return KILN_STATUS_OK;
}

KILN_API void kiln_instance_cancel_interrupt(kiln_instance *inst)
{
    if (inst != NULL)
        stop_clear(inst, KILN_STOP_REQUEST);
}

KILN_API bool kiln_instance_interrupted(const kiln_instance *inst)
{
    return inst != NULL && __atomic_load_n(&inst->vmctx->interrupt, __ATOMIC_RELAXED) != 0;
}

void kiln_interrupt_taken(kiln_vmctx *vmctx)
{
    __atomic_store_n(&vmctx->interrupt, 0, __ATOMIC_RELAXED);
}

/* ---- Epochs and deadlines ---- */

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t epoch;       /* under heap_lock: no 64-bit atomics on every target (Cortex-M3) */
static kiln_instance **heap; /* a min-heap on deadline; inst->deadline_slot = index + 1 */
static size_t heap_count, heap_cap;

KILN_API uint64_t kiln_epoch_now(void)
{
    pthread_mutex_lock(&heap_lock);
    uint64_t now = epoch;
    pthread_mutex_unlock(&heap_lock);
    return now;
}

static void heap_place(size_t i, kiln_instance *inst)
{
    heap[i] = inst;
    __atomic_store_n(&inst->deadline_slot, (uint32_t)i + 1, __ATOMIC_RELAXED);
}

static void sift_up(size_t i)
{
    kiln_instance *inst = heap[i];
    while (i > 0 && heap[(i - 1) / 2]->deadline > inst->deadline) {
        heap_place(i, heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_place(i, inst);
}

static void sift_down(size_t i)
{
    kiln_instance *inst = heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_count)
            break;
        if (c + 1 < heap_count && heap[c + 1]->deadline < heap[c]->deadline)
            c++;
        if (heap[c]->deadline >= inst->deadline)
            break;
        heap_place(i, heap[c]);
        i = c;
    }
    heap_place(i, inst);
}

/* Takes inst out of the heap if it is in it. Under heap_lock. */
static void heap_remove(kiln_instance *inst)
{
    uint32_t slot = inst->deadline_slot;
    if (slot == 0)
        return;
    size_t i = slot - 1;
    __atomic_store_n(&inst->deadline_slot, 0, __ATOMIC_RELAXED);
    kiln_instance *last = heap[--heap_count];
    if (i == heap_count)
        return;
    heap[i] = last;
    if (i > 0 && heap[(i - 1) / 2]->deadline > last->deadline)
        sift_up(i);
    else
        sift_down(i);
}

KILN_API kiln_status kiln_instance_set_deadline(kiln_instance *inst, uint64_t epochs)
{
    if (inst == NULL || !interruptible(inst))
        return KILN_STATUS_ARG;
    kiln_status status = KILN_STATUS_OK;
    pthread_mutex_lock(&heap_lock);
    heap_remove(inst);
    stop_clear(inst, KILN_STOP_DEADLINE);
    if (epochs != 0) {
        uint64_t now = epoch;
        inst->deadline = now + epochs < now ? UINT64_MAX : now + epochs;
        if (heap_count == heap_cap) {
            size_t cap = heap_cap ? heap_cap * 2 : 64;
            kiln_instance **grown = realloc(heap, cap * sizeof *grown);
            if (grown == NULL)
                status = KILN_STATUS_NOMEM;
            else
                heap = grown, heap_cap = cap;
        }
        if (status == KILN_STATUS_OK) {
            heap[heap_count++] = inst;
            sift_up(heap_count - 1);
        }
    }
    pthread_mutex_unlock(&heap_lock);
    return status;
}

KILN_API uint64_t kiln_epoch_advance(uint64_t n)
{
    pthread_mutex_lock(&heap_lock);
    uint64_t now = epoch += n;
    while (heap_count > 0 && heap[0]->deadline <= now) {
        kiln_instance *inst = heap[0];
        heap_remove(inst);
        stop_set(inst, KILN_STOP_DEADLINE);
    }
    pthread_mutex_unlock(&heap_lock);
    return now;
}

void kiln_deadline_forget(kiln_instance *inst)
{
    if (__atomic_load_n(&inst->deadline_slot, __ATOMIC_RELAXED) == 0)
        return;
    pthread_mutex_lock(&heap_lock);
    heap_remove(inst);
    pthread_mutex_unlock(&heap_lock);
}

static void tick(void *arg)
{
    (void)arg;
    kiln_epoch_advance(1);
}

static pthread_mutex_t ticker_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ticker_running;

KILN_API kiln_status kiln_epoch_ticker_start(uint64_t period_ns)
{
    if (period_ns == 0)
        return KILN_STATUS_ARG;
    pthread_mutex_lock(&ticker_lock);
    if (ticker_running)
        kiln_os_ticker_stop();
    ticker_running = kiln_os_ticker_start(period_ns, tick, NULL);
    kiln_status status = ticker_running ? KILN_STATUS_OK : KILN_STATUS_NOMEM;
    pthread_mutex_unlock(&ticker_lock);
    return status;
}

KILN_API void kiln_epoch_ticker_stop(void)
{
    pthread_mutex_lock(&ticker_lock);
    if (ticker_running)
        kiln_os_ticker_stop();
    ticker_running = false;
    pthread_mutex_unlock(&ticker_lock);
}
