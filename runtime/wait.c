/* wait.c -- memory.atomic.wait32/64 and memory.atomic.notify (threads): a parking lot.
 *
 * Waiting threads are kept in a table keyed by the host address they wait on, futex-style
 * (the threads proposal's waiter lists; Linux futexes; WebKit's parking lot): the address
 * hashes to one of WAIT_BUCKETS buckets, each a mutex and a FIFO list of waiters. A waiter is
 * a record on its own thread's stack: the address, its instance, and `woken`, which only a
 * notify that picked it sets. Under the bucket lock, wait loads the value at the address
 * (sequentially consistent) and compares it with the expected one, then registers, so no
 * notify can come between the comparison and the registration; notify takes up to count
 * waiters of the address from the front of the list (oldest first), marks them woken and
 * wakes their threads. A waiting thread sleeps on its instance's futex word (kiln_os_park on
 * inst->wait_word), which whoever wakes it bumps first: notify here, and a stop request or a
 * deadline in interrupt.c, which must wake it without taking a lock (kiln_instance_interrupt
 * is safe in a signal handler). Nothing spins: a waiter sleeps until something wakes it, then
 * looks at its record again under the bucket lock, and returns
 *   0  only if a notify picked it (woken), whatever woke the thread;
 *   2  once its deadline (CLOCK_MONOTONIC, measured from the call) has passed, unless a
 *      notify picked it first;
 * or traps KILN_TRAP_INTERRUPTED when its instance's stop bits are set and no notify picked
 * it. It counts itself in inst->waiting and reads the futex word before it looks at the stop
 * bits, and a stop request sets the bits before it reads inst->waiting and bumps the word, so
 * a request made before or during the wait is never lost (docs/threads.md).
 * Bare metal has one thread (kiln_os_threads): a wait that would block times out at once
 * (2), or, without a timeout, traps KILN_TRAP_HOST, since nothing could ever end it.
 * Calls interrupt.c (kiln_interrupt_wake), trap.c and the platform layer (kiln_os_park,
 * kiln_os_now_ns). Called by generated code.
 */
#include "runtime_impl.h"

/* 256 buckets on 64-bit hosts, 16 on 32-bit ones and bare metal (each takes a cache line). */
#define WAIT_BUCKET_BITS (sizeof(void *) >= 8 ? 8u : 4u)
#define WAIT_BUCKETS     (1u << WAIT_BUCKET_BITS)

typedef struct kiln_waiter {
    struct kiln_waiter *prev, *next; /* in its bucket's list, oldest first */
    const void *addr;                /* the address it waits on */
    kiln_instance *inst;             /* whose code waits: its futex word, its stop bits */
    bool woken;                      /* a notify picked it (under the bucket lock) */
} kiln_waiter;

typedef struct wait_bucket {
    _Alignas(64) pthread_mutex_t lock; /* a cache line each: unrelated addresses do not
                                          contend on one */
    kiln_waiter *head, *tail;
} wait_bucket;

static wait_bucket buckets[WAIT_BUCKETS];
static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static void buckets_init(void)
{
    for (unsigned i = 0; i < WAIT_BUCKETS; i++)
        pthread_mutex_init(&buckets[i].lock, NULL);
}

/* Fibonacci hashing: the top bits of the address times 2^64 / phi. */
static wait_bucket *bucket_of(const void *addr)
{
    pthread_once(&buckets_once, buckets_init);
    uint64_t h = (uint64_t)(uintptr_t)addr * UINT64_C(0x9E3779B97F4A7C15);
    return &buckets[h >> (64u - WAIT_BUCKET_BITS)];
}

static void enqueue(wait_bucket *b, kiln_waiter *w)
{
    w->next = NULL;
    w->prev = b->tail;
    if (b->tail != NULL)
        b->tail->next = w;
    else
        b->head = w;
    b->tail = w;
}

static void unlink_waiter(wait_bucket *b, kiln_waiter *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        b->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        b->tail = w->prev;
}

/* The value a wait compares, loaded sequentially consistent. Bare metal has one thread and,
 * on Cortex-M, no 64-bit atomics: a plain load there. */
#ifdef KILN_BAREMETAL
static uint64_t load_value(const void *ptr, bool wide)
{
    return wide ? *(const uint64_t *)ptr : *(const uint32_t *)ptr;
}
#else
static uint64_t load_value(const void *ptr, bool wide)
{
    return wide ? __atomic_load_n((const uint64_t *)ptr, __ATOMIC_SEQ_CST)
                : __atomic_load_n((const uint32_t *)ptr, __ATOMIC_SEQ_CST);
}
#endif

/* How a wait ended. WAIT_* values 0-2 are what memory.atomic.wait returns. */
enum {
    WAIT_WOKEN = 0,
    WAIT_NOT_EQUAL = 1,
    WAIT_TIMED_OUT = 2,
    WAIT_STOPPED, /* the instance's stop bits: KILN_TRAP_INTERRUPTED */
    WAIT_FOREVER, /* bare metal, no timeout: it could never end */
    WAIT_ON,      /* none of these yet: park again */
};

/* Registered in bucket b (locked), waits until a notify picks w, the instance is stopped or
 * the deadline passes; returns with b locked and w out of the list. */
static uint32_t park(wait_bucket *b, kiln_waiter *w, int64_t timeout_ns, uint64_t deadline)
{
    kiln_instance *inst = w->inst;
    for (;;) {
        /* Read before the flags: whoever changes them bumps the word after, and then
         * kiln_os_park returns at once or is woken. */
        uint32_t word = __atomic_load_n(&inst->wait_word, __ATOMIC_SEQ_CST);
        if (w->woken) /* notify took it out of the list */
            return WAIT_WOKEN;
        /* Nanoseconds to the deadline; -1 without one. */
        int64_t left = -1;
        if (timeout_ns >= 0) {
            uint64_t now = kiln_os_now_ns();
            left = now < deadline ? (int64_t)(deadline - now) : 0;
        }
        uint32_t end = WAIT_ON;
        if (__atomic_load_n(&inst->vmctx->interrupt, __ATOMIC_SEQ_CST) != 0)
            end = WAIT_STOPPED;
        else if (left == 0)
            end = WAIT_TIMED_OUT;
        else if (!kiln_os_threads)
            end = left < 0 ? WAIT_FOREVER : WAIT_TIMED_OUT;
        if (end != WAIT_ON) {
            unlink_waiter(b, w);
            return end;
        }
        pthread_mutex_unlock(&b->lock);
        kiln_os_park(&inst->wait_word, word, left);
        pthread_mutex_lock(&b->lock);
    }
}

static uint32_t wait_on(kiln_vmctx *vmctx, uint32_t memory, void *ptr, uint64_t expected, bool wide,
                        int64_t timeout_ns, const void *pc)
{
    kiln_instance *inst = kiln_vm_instance(vmctx);
    if (!inst->memories[memory]->shared)
        kiln_trap_raise_from(vmctx, KILN_TRAP_UNSHARED_WAIT, pc);
    /* The deadline counts from the call (the bucket lock may take a while). */
    uint64_t deadline = 0;
    if (timeout_ns >= 0) {
        uint64_t now = kiln_os_now_ns();
        deadline = now + (uint64_t)timeout_ns < now ? UINT64_MAX : now + (uint64_t)timeout_ns;
    }
    wait_bucket *b = bucket_of(ptr);
    pthread_mutex_lock(&b->lock);
    if (load_value(ptr, wide) != expected) {
        pthread_mutex_unlock(&b->lock);
        return WAIT_NOT_EQUAL;
    }
    kiln_waiter w = {.addr = ptr, .inst = inst, .woken = false};
    enqueue(b, &w);
    /* Before park looks at the stop bits: a stop request that does not see this finds them
     * already set when park looks (interrupt.c). */
    __atomic_fetch_add(&inst->waiting, 1, __ATOMIC_SEQ_CST);
    uint32_t result = park(b, &w, timeout_ns, deadline);
    __atomic_fetch_sub(&inst->waiting, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&b->lock);
    if (result == WAIT_STOPPED)
        kiln_trap_raise_from(vmctx, KILN_TRAP_INTERRUPTED, pc);
    if (result == WAIT_FOREVER) {
        kiln_set_error("memory.atomic.wait without a timeout would wait forever: no other "
                       "thread runs on this target to notify it");
        kiln_trap_raise_from(vmctx, KILN_TRAP_HOST, pc);
    }
    return result;
}

KILN_API uint32_t kiln_atomic_wait32(kiln_vmctx *vmctx, uint32_t memory, void *ptr,
                                     uint32_t expected, int64_t timeout_ns)
{
    return wait_on(vmctx, memory, ptr, expected, false, timeout_ns, __builtin_return_address(0));
}

KILN_API uint32_t kiln_atomic_wait64(kiln_vmctx *vmctx, uint32_t memory, void *ptr,
                                     uint64_t expected, int64_t timeout_ns)
{
    return wait_on(vmctx, memory, ptr, expected, true, timeout_ns, __builtin_return_address(0));
}

KILN_API uint32_t kiln_atomic_notify(kiln_vmctx *vmctx, uint32_t memory, void *ptr, uint32_t count)
{
    /* No one waits on an unshared memory (wait traps there). */
    if (count == 0 || !kiln_vm_instance(vmctx)->memories[memory]->shared)
        return 0;
    wait_bucket *b = bucket_of(ptr);
    uint32_t woken = 0;
    pthread_mutex_lock(&b->lock);
    for (kiln_waiter *w = b->head; w != NULL && woken < count;) {
        kiln_waiter *next = w->next;
        if (w->addr == ptr) {
            unlink_waiter(b, w);
            w->woken = true;
            /* Under the lock: the waiter (on its thread's stack) and its instance stay until
             * it has taken the lock and seen woken. */
            kiln_interrupt_wake(w->inst);
            woken++;
        }
        w = next;
    }
    pthread_mutex_unlock(&b->lock);
    return woken;
}
