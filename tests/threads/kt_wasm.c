/* kt_wasm.c -- kt.h for freestanding wasm32 with wasi-threads (no libc; docs/threads.md).
 *
 * Built with clang --target=wasm32-wasi -nostdlib -matomics -mbulk-memory and linked with
 * wasm-ld --import-memory --shared-memory: every thread is an instance of the module on the
 * one shared memory, with its own globals, __stack_pointer among them. The host's
 * thread-spawn(arg) starts a thread in wasi_thread_start(tid, arg) (below, in assembly: it
 * points __stack_pointer at the top of the stack kt_thread_create allocated before any C
 * code runs, since C code keeps address-taken locals there). Blocking uses
 * memory.atomic.wait32/notify, which the host turns into futex waits. No TLS is used, so
 * __tls_base needs no setting.
 */
#include <stdbool.h>

#include "kt.h"

#define WASM_PAGE 65536u

#define WASI_IMPORT(name)                                                                          \
    __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

typedef struct ciovec {
    const char *buf;
    size_t len;
} ciovec;

WASI_IMPORT("fd_write")
int32_t wasi_fd_write(int32_t fd, const ciovec *iovs, int32_t n, size_t *written);
WASI_IMPORT("proc_exit") _Noreturn void wasi_proc_exit(int32_t status);
WASI_IMPORT("sched_yield") int32_t wasi_sched_yield(void);
WASI_IMPORT("args_sizes_get") int32_t wasi_args_sizes_get(size_t *argc, size_t *size);
WASI_IMPORT("args_get") int32_t wasi_args_get(char **argv, char *buf);
/* wasi-threads: the new thread's id (> 0), or a negative error. */
__attribute__((import_module("wasi"), import_name("thread-spawn"))) int32_t
wasi_thread_spawn(void *start_arg);

struct kt_thread {
    uint32_t stack_top; /* @0: wasi_thread_start loads it into __stack_pointer */
    int32_t done;       /* @4: set to 1 and notified by wasi_thread_start once fn returned */
    void *(*fn)(void *);
    void *arg;
    void *result;
    void *stack;
    int32_t tid;
};

/* wasi_thread_start(tid, t): __stack_pointer = t->stack_top; kt_thread_entry(tid, t); then
 * t->done = 1 and a notify, once no C code of the thread runs any more (its stack may be
 * freed by the joiner as soon as it sees done). */
__asm__(".globaltype __stack_pointer, i32\n"
        ".functype kt_thread_entry (i32, i32) -> ()\n"
        ".globl wasi_thread_start\n"
        ".export_name wasi_thread_start, wasi_thread_start\n"
        ".type wasi_thread_start,@function\n"
        "wasi_thread_start:\n"
        "  .functype wasi_thread_start (i32, i32) -> ()\n"
        "  local.get 1\n"
        "  i32.load 0\n"
        "  global.set __stack_pointer\n"
        "  local.get 0\n"
        "  local.get 1\n"
        "  call kt_thread_entry\n"
        "  local.get 1\n"
        "  i32.const 1\n"
        "  i32.atomic.store 4\n"
        "  local.get 1\n"
        "  i32.const -1\n"
        "  memory.atomic.notify 4\n"
        "  drop\n"
        "  end_function\n");

void kt_thread_entry(int32_t tid, kt_thread *t);

void kt_thread_entry(int32_t tid, kt_thread *t)
{
    t->tid = tid;
    t->result = t->fn(t->arg);
}

/* ---- Locks ---- */

void kt_mutex_lock(kt_mutex *m)
{
    int32_t c = 0;
    if (__atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return;
    if (c != 2)
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_SEQ_CST);
    while (c != 0) {
        __builtin_wasm_memory_atomic_wait32(&m->state, 2, -1);
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_SEQ_CST);
    }
}

void kt_mutex_unlock(kt_mutex *m)
{
    if (__atomic_exchange_n(&m->state, 0, __ATOMIC_SEQ_CST) == 2)
        __builtin_wasm_memory_atomic_notify(&m->state, 1);
}

void kt_cond_wait(kt_cond *c, kt_mutex *m)
{
    int32_t seq = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
    kt_mutex_unlock(m);
    __builtin_wasm_memory_atomic_wait32(&c->seq, seq, -1); /* not-equal: a signal came */
    kt_mutex_lock(m);
}

void kt_cond_signal(kt_cond *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&c->seq, 1);
}

void kt_cond_broadcast(kt_cond *c)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&c->seq, UINT32_MAX);
}

/* ---- The heap: a bump allocator over memory.grow with a first-fit free list, one lock ---- */

typedef struct block {
    size_t size; /* bytes after the header */
    struct block *next;
    uint32_t pad[2];
} block; /* 16 bytes: keeps blocks 16-aligned */

extern unsigned char __heap_base;
static kt_mutex heap_lock = KT_MUTEX_INIT;
static uintptr_t heap_top;
static block *free_list;

void *kt_alloc(size_t size)
{
    size = (size + 15u) & ~(size_t)15u;
    if (size == 0 || size > UINT32_MAX / 2)
        return NULL;
    kt_mutex_lock(&heap_lock);
    block *b = NULL;
    for (block **p = &free_list; *p != NULL; p = &(*p)->next)
        if ((*p)->size >= size) {
            b = *p;
            *p = b->next;
            break;
        }
    if (b == NULL) {
        if (heap_top == 0)
            heap_top = ((uintptr_t)&__heap_base + 15u) & ~(uintptr_t)15u;
        uintptr_t end = heap_top + sizeof(block) + size;
        uintptr_t have = __builtin_wasm_memory_size(0) * WASM_PAGE;
        if (end > have &&
            __builtin_wasm_memory_grow(0, (end - have + WASM_PAGE - 1) / WASM_PAGE) == SIZE_MAX) {
            kt_mutex_unlock(&heap_lock);
            return NULL;
        }
        b = (block *)heap_top;
        b->size = size;
        heap_top = end;
        kt_mutex_unlock(&heap_lock);
        return b + 1; /* fresh memory is zero */
    }
    kt_mutex_unlock(&heap_lock);
    __builtin_memset(b + 1, 0, b->size);
    return b + 1;
}

void kt_free(void *p)
{
    if (p == NULL)
        return;
    block *b = (block *)p - 1;
    kt_mutex_lock(&heap_lock);
    b->next = free_list;
    free_list = b;
    kt_mutex_unlock(&heap_lock);
}

/* ---- Threads ---- */

kt_thread *kt_thread_create(void *(*fn)(void *), void *arg, size_t stack_size)
{
    if (stack_size == 0)
        stack_size = 64u * 1024u;
    kt_thread *t = kt_alloc(sizeof *t);
    void *stack = t != NULL ? kt_alloc(stack_size) : NULL;
    if (stack == NULL) {
        kt_free(t);
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    t->stack = stack;
    t->stack_top = (uint32_t)((uintptr_t)stack + stack_size);
    if (wasi_thread_spawn(t) < 0) {
        kt_free(stack);
        kt_free(t);
        return NULL;
    }
    return t;
}

void *kt_thread_join(kt_thread *t)
{
    while (__atomic_load_n(&t->done, __ATOMIC_SEQ_CST) == 0)
        __builtin_wasm_memory_atomic_wait32(&t->done, 0, -1);
    void *result = t->result;
    kt_free(t->stack);
    kt_free(t);
    return result;
}

/* ---- WASI ---- */

void kt_yield(void)
{
    wasi_sched_yield();
}

void kt_write(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ciovec iov = {s, len};
        size_t n = 0;
        if (wasi_fd_write(fd, &iov, 1, &n) != 0 || n == 0)
            return;
        s += n;
        len -= n;
    }
}

_Noreturn void kt_exit(int status)
{
    wasi_proc_exit(status);
}

void _start(void);

void _start(void)
{
    size_t argc = 0, size = 0;
    char **argv = NULL;
    if (wasi_args_sizes_get(&argc, &size) == 0 && (argv = kt_alloc((argc + 1) * sizeof *argv)) &&
        wasi_args_get(argv, kt_alloc(size + 1)) != 0)
        argc = 0;
    kt_exit(kt_main((int)argc, argv));
}
