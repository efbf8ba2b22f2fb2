/* kt.h -- a tiny threads runtime for the wasi-threads tests (tests/threads/README section in
 * docs/threads.md).
 *
 * Two implementations of the same API, so one program builds for both:
 *   kt_wasm.c    freestanding wasm32 (no libc): wasi_thread_start, thread-spawn, a futex-style
 *                mutex and condition variable on memory.atomic.wait32/notify, fd_write,
 *                proc_exit, a bump/free-list allocator under an atomic lock;
 *   kt_native.c  the host: POSIX threads, write(2), malloc.
 * kt_common.c (both) has the formatted output and the barrier. Programs define kt_main instead
 * of main. Not a libc: only what the tests need.
 */
#ifndef KT_H
#define KT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __wasm__
typedef struct kt_mutex {
    int32_t state; /* 0 unlocked, 1 locked, 2 locked with waiters */
} kt_mutex;
typedef struct kt_cond {
    int32_t seq; /* bumped by every signal and broadcast */
} kt_cond;
#define KT_MUTEX_INIT {0}
#define KT_COND_INIT  {0}
#else
#include <pthread.h>
typedef struct kt_mutex {
    pthread_mutex_t m;
} kt_mutex;
typedef struct kt_cond {
    pthread_cond_t c;
} kt_cond;
#define KT_MUTEX_INIT {PTHREAD_MUTEX_INITIALIZER}
#define KT_COND_INIT  {PTHREAD_COND_INITIALIZER}
#endif

typedef struct kt_thread kt_thread;

/* The program's entry (kt_wasm.c's _start or the native main call it); returns the exit
 * status. */
int kt_main(int argc, char **argv);

/* Starts fn(arg) on a new thread with a stack of stack_size bytes (wasm: in linear memory;
 * 0 = 64 KiB); NULL if it cannot. */
kt_thread *kt_thread_create(void *(*fn)(void *), void *arg, size_t stack_size);
/* Waits for t to end, frees it and returns fn's result. */
void *kt_thread_join(kt_thread *t);

void kt_mutex_lock(kt_mutex *m);
void kt_mutex_unlock(kt_mutex *m);
/* Unlocks m, waits for a signal or broadcast (or wakes spuriously), locks m again. */
void kt_cond_wait(kt_cond *c, kt_mutex *m);
void kt_cond_signal(kt_cond *c);
void kt_cond_broadcast(kt_cond *c);

/* A barrier for count threads on a mutex and a condition variable. */
typedef struct kt_barrier {
    kt_mutex lock;
    kt_cond cond;
    uint32_t count, waiting, generation;
} kt_barrier;
void kt_barrier_init(kt_barrier *b, uint32_t count);
void kt_barrier_wait(kt_barrier *b);

/* Zeroed memory from the heap (NULL when out of memory), and back. */
void *kt_alloc(size_t size);
void kt_free(void *p);

/* Gives the processor up for a moment (sched_yield). */
void kt_yield(void);
/* Writes len bytes to the descriptor (1 = stdout). */
void kt_write(int fd, const char *s, size_t len);
/* printf for the conversions %s %c %d %u %x with l/ll and 0-padded widths, to stdout. */
void kt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the process with status now, from any thread. */
_Noreturn void kt_exit(int status);
/* A decimal argument, or dflt when absent or not a number. */
uint64_t kt_arg_u64(int argc, char **argv, int i, uint64_t dflt);

#endif
