/* runtime_impl.h -- the one internal header of libkiln_runtime, sectioned per file.
 *
 * Nothing here is public: the library is built with -fvisibility=hidden, so every kiln_*
 * symbol declared here is hidden; only KILN_API definitions (kiln.h and abi.h) are exported.
 * A pool owns its slots; a slot keeps what its next instance reuses (docs/pools.md). An
 * instance owns the memories and tables it defines; imported ones belong to their exporter
 * (or the host), which must outlive the importer.
 *
 * Files, lowest first; each calls only files listed before it, never back up:
 *   os_posix.c | os_baremetal.c -> signal_posix.c -> interrupt.c -> trap.c -> sig.c
 *   -> memory.c, table.c, wait.c -> module.c -> exn.c -> pool.c -> call.c -> task.c
 *   -> instance.c
 *   (runtime.c calls nothing; stack_switch_ARCH.S, task.c's context switch, calls nothing)
 * os_posix.c is the only caller of mmap/mprotect/munmap, signal_posix.c the only file that
 * knows signals and machine contexts (os_baremetal.c replaces both). The static inline
 * helpers below (vmctx views, kiln_eval_ref, kiln_unwind) call into no runtime file.
 */
#ifndef KILN_RUNTIME_IMPL_H
#define KILN_RUNTIME_IMPL_H

#ifdef KILN_BAREMETAL
#include "baremetal_compat.h" /* no threads, no signals: os_baremetal.c */
#else
#include <pthread.h>
#include <signal.h>
#endif
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/kiln.h"

#define KILN_API               __attribute__((visibility("default")))
#define KILN_NORETURN          __attribute__((noreturn))
#define KILN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

#define KILN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Runtime functions a Wasm exception unwinds through without returning (exn.c raises it).
 * ThreadSanitizer keeps a shadow call stack that instrumented functions push on entry and pop
 * on return (longjmp is intercepted and resets it); a function left by unwinding never pops,
 * so these stay uninstrumented (they touch no shared memory). KILN_UNWOUND_TSAN is the same
 * for call.c's kiln_host_call (which raises a host function's exception at the import's call
 * site) under ThreadSanitizer only: it keeps its AddressSanitizer instrumentation, which its
 * stack bookkeeping across task stack switches needs (runtime.yield). */
#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define KILN_UNWOUND __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef KILN_UNWOUND
#define KILN_UNWOUND
#endif
#if defined(__SANITIZE_THREAD__)
#define KILN_UNWOUND_TSAN KILN_UNWOUND
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KILN_UNWOUND_TSAN KILN_UNWOUND
#endif
#endif
#ifndef KILN_UNWOUND_TSAN
#define KILN_UNWOUND_TSAN
#endif

/* ---- Limits and sizes ---- */

#define KILN_WASM_PAGE 65536u
#define KILN_MAX_PAGES 65536u /* 32-bit memories: 4 GiB; what any memory grows to */
/* The most pages a 64-bit memory may declare (2^64 bytes); it still grows to KILN_MAX_PAGES. */
#define KILN_MAX_PAGES64 ((uint64_t)1 << 48)
/* Memories with custom page sizes count pages of 2^page_log2 bytes: 16 (64 KiB, the default)
 * or 0 (1 byte). Limits of the embedder (kiln_pool_config, kiln_instance_limits) stay in
 * 64 KiB pages. */
/* The most pages of 2^page_log2 bytes a memory grows to: 4 GiB of 64 KiB pages, 2^32 - 1 of
 * 1-byte ones (what a 32-bit memory.size can return). */
static inline uint64_t kiln_max_pages(unsigned page_log2)
{
    return page_log2 == 16 ? KILN_MAX_PAGES : UINT32_MAX;
}
/* log2 of the page size of a memory described by l: 0 or 16. */
static inline unsigned kiln_desc_page_log2(const kiln_limits_desc *l)
{
    return l->one_byte_pages ? 0u : 16u;
}
/* cap64k (64 KiB pages) in pages of 2^page_log2 bytes, at most kiln_max_pages. */
static inline uint64_t kiln_cap_pages(uint64_t cap64k, unsigned page_log2)
{
    return cap64k >= KILN_MAX_PAGES ? kiln_max_pages(page_log2) : cap64k << (16 - page_log2);
}
/* 4 GiB addressable + 4 GiB guard: zext(i32 addr) + u32 offset + access size stays inside. */
/* On a 32-bit host this is 0: there are no guard-page memories there (memory.c). */
#define KILN_MEMORY_RESERVATION  ((size_t)(UINT64_C(8) << 30))
#define KILN_DEFAULT_POOL_SLOTS  16384u
#define KILN_MAX_POOL_SLOTS      (1u << 20)
#define KILN_DEFAULT_TABLE_ELEMS 10000000u
/* Stack kept below the wasm stack limit for host code (host functions called from wasm,
 * grow callbacks, the runtime's own frames): kiln_pool_config.stack_headroom and
 * kiln_instance_limits.stack_headroom, this when both are 0. A thread whose stack is smaller
 * than twice the headroom keeps half of it (trap.c, docs/abi.md). */
#define KILN_DEFAULT_STACK_HEADROOM ((size_t)128u * 1024u)
/* The least headroom kept, whatever the configuration asks (still at most half the stack):
 * small wasm functions that call no wasm code have no stack check of their own and run their
 * frame in it (toolchain/lower.c, lower_leaf_check; docs/abi.md). */
#define KILN_MIN_STACK_HEADROOM ((size_t)16u * 1024u)
/* kiln_pool_config.stack_size 0: 1 MiB less the 32 KiB headroom of earlier versions. */
#define KILN_DEFAULT_STACK_BUDGET ((size_t)992u * 1024u)
/* Freed instances' memory reservations a pool of any module keeps (kiln_pool_config). */
#define KILN_DEFAULT_CACHED_MEMORIES 64u
/* Per-thread alternate signal stack; an existing one at least MIN bytes large is kept. */
#define KILN_ALTSTACK_SIZE (64u * 1024u)
#define KILN_ALTSTACK_MIN  (16u * 1024u)
/* A memory fault unwinds through a trampoline on the faulting stack if it has this much room
 * above the wasm stack limit (signal_posix.c). */
#define KILN_REDIRECT_ROOM (8u * 1024u)
/* Faults this far below a thread's lowest usable stack byte count as stack overflow. */
#define KILN_STACK_GUARD_SLOP (64u * 1024u)
/* Task stacks (task.c, docs/yield.md): the default usable size (wasm and host code), how
 * many a pool of stacks holds by default (17 GiB of address space on 64-bit hosts, 272 MiB
 * on 32-bit ones), how many freed stacks keep their pages, the guard
 * below each one (bytes of address space only: 64 KiB so that a host frame of up to that size
 * cannot jump over it into the next stack), and the part of a freed stack that stays warm
 * when the rest is given back. */
#define KILN_TASK_STACK_SIZE  ((size_t)1u << 20)
#define KILN_TASK_STACKS      (sizeof(void *) >= 8 ? 16384u : 256u)
#define KILN_TASK_CACHED      64u
#define KILN_TASK_STACK_GUARD ((size_t)64u * 1024u)
#define KILN_TASK_WARM        ((size_t)64u * 1024u)
/* Address ranges the signal handler recognises (fixed arrays, read lock-free). */
#define KILN_MAX_CODE_RANGES   4096u
#define KILN_MAX_MEMORY_RANGES 65536u
/* Frames a trap's backtrace keeps (kiln_trap_backtrace; per thread, filled on the trap path). */
#define KILN_TRAP_FRAMES 64u

/* ---- os_posix.c ---- */

size_t kiln_os_page_size(void);
/* PROT_NONE address space, not backed; NULL on failure. */
void *kiln_os_reserve(size_t size);
/* Makes [p, p+size) readable and writable. */
bool kiln_os_commit(void *p, size_t size);
/* Returns [p, p+size) to PROT_NONE with its contents zeroed and its memory given back. */
bool kiln_os_decommit(void *p, size_t size);
void kiln_os_release(void *p, size_t size);
/* Zeroed read/write memory, backed lazily (first touch); NULL on failure. kiln_os_release. */
void *kiln_os_map(size_t size);
/* A new reservation of new_size bytes whose first used bytes are read/write and hold what
 * [p, p+used) held (moved with mremap on Linux, else copied), the rest reserved; releases
 * the old_size bytes at p unless keep_old. NULL on failure, p untouched. */
void *kiln_os_move(void *p, size_t used, size_t old_size, size_t new_size, bool keep_old);
/* resident[i] = page i of [p, p+size) is in memory (mincore); false if the kernel refuses. */
bool kiln_os_resident(void *p, size_t size, uint8_t *resident);
/* Gives the pages of [p, p+size) back; they stay accessible and read as zero (MADV_DONTNEED),
 * or, inside a kiln_os_image_map'ed range, as the image again. */
bool kiln_os_discard(void *p, size_t size);
/* Platform features the runtime behaves as if it lacked (KILN_OS_NO_*), so that tests
 * exercise the fallbacks on any host. 0 unless a test sets it. */
extern unsigned kiln_os_without;
#define KILN_OS_NO_IMAGE   1u /* kiln_os_image_new fails: module pools copy their image */
#define KILN_OS_NO_WRITTEN 2u /* kiln_os_written fails: resets discard and zero */
/* An in-memory file of size bytes (a multiple of the page size), zero but for what was
 * written into it, then sealed with a read-only view of it. fd -1 when there is none. */
typedef struct kiln_os_image {
    int fd;
    const uint8_t *view; /* size bytes, PROT_READ, once sealed */
    size_t size;
} kiln_os_image;
/* Makes *out, all zeros (memfd_create on Linux); false where the platform has no such file or
 * refuses one (then the caller copies instead). Fill it with kiln_os_image_write, then
 * kiln_os_image_seal; kiln_os_image_free in any case. */
bool kiln_os_image_new(size_t size, kiln_os_image *out);
/* Writes len bytes at offset (offset + len <= size); false on failure. */
bool kiln_os_image_write(kiln_os_image *image, size_t offset, const void *bytes, size_t len);
/* Seals the file (no more writes, no resizing) and maps its view; false on failure. */
bool kiln_os_image_seal(kiln_os_image *image);
void kiln_os_image_free(kiln_os_image *image);
/* Maps image copy-on-write, read/write, over [p, p+image->size) (which must be reserved):
 * reads see the image, writes go to private pages, kiln_os_discard brings the image back. */
bool kiln_os_image_map(const kiln_os_image *image, void *p);
/* A run of pages [begin, end). */
typedef struct kiln_os_run {
    uintptr_t begin, end;
} kiln_os_run;
/* The pages of [p, p+size) that hold private data: written since they were mapped, committed
 * or discarded (pages only read still show the file or the zero page). Fills runs[0..*count)
 * (at most cap) from p on and sets *next to where the walk stopped (p+size when done; call
 * again from there otherwise). false if the kernel cannot tell (Linux before 6.7: no
 * PAGEMAP_SCAN) or nothing was learnt. */
bool kiln_os_written(void *p, size_t size, kiln_os_run *runs, size_t cap, size_t *count,
                     void **next);
/* The calling thread's usable stack [*lo, *hi) and its guard size (0 if unknown). */
bool kiln_os_thread_stack(uintptr_t *lo, uintptr_t *hi, size_t *guard);
/* Bytes of PROT_NONE guard below each task stack (task.c): KILN_TASK_STACK_GUARD rounded to
 * pages where an MMU catches overflows, 0 on bare metal (there the wasm stack limit alone
 * protects: no pages to give back either). */
size_t kiln_os_stack_guard(void);
/* A thread calling fn(arg) every period_ns nanoseconds (on a monotonic clock, without
 * drift) until kiln_os_ticker_stop, which joins it. One at a time; false if it cannot start
 * (bare metal: never). */
bool kiln_os_ticker_start(uint64_t period_ns, void (*fn)(void *), void *arg);
void kiln_os_ticker_stop(void);
/* Parking threads (wait.c: memory.atomic.wait/notify), futex-style. kiln_os_threads: whether
 * another thread can ever unpark one (false on bare metal: one thread of execution, and
 * kiln_os_park returns at once). kiln_os_now_ns: a monotonic clock in nanoseconds
 * (CLOCK_MONOTONIC; 0 on bare metal). kiln_os_park blocks the calling thread while
 * *word == expected, until kiln_os_unpark(word) or timeout_ns nanoseconds (< 0: no limit);
 * it may also return early (a signal, spuriously), so callers look at their condition again.
 * kiln_os_unpark wakes every thread parked on word; async-signal-safe. */
extern const bool kiln_os_threads;
uint64_t kiln_os_now_ns(void);
void kiln_os_park(uint32_t *word, uint32_t expected, int64_t timeout_ns);
void kiln_os_unpark(uint32_t *word);

/* ---- interrupt.c ---- */

/* The check that raises KILN_TRAP_INTERRUPTED took the stop: clears vmctx->interrupt. */
void kiln_interrupt_taken(kiln_vmctx *vmctx);
/* inst is being freed: its deadline, if armed, is dropped. */
void kiln_deadline_forget(kiln_instance *inst);
/* Wakes the thread of inst parked in memory.atomic.wait (wait.c), if one is, to look at its
 * wait again (notified? stopped?): bumps inst->wait_word and unparks it. Async-signal-safe.
 * Stop requests and deadlines call it when inst->waiting says a thread waits. */
void kiln_interrupt_wake(kiln_instance *inst);

/* ---- signal_posix.c (os_baremetal.c: no signals) ---- */

/* Whether a stop request is ordered with kiln_enter's store of the running thread by the
 * requester alone (a process-wide memory barrier, membarrier(2)); if not, kiln_enter fences. */
extern bool kiln_signal_barrier;
/* Sends the interrupt signal to the thread running a call of inst, if any, after its stop
 * bits were set: the signal stops code that runs in wasm (docs/tasks.md). Async-signal-safe. */
void kiln_signal_interrupt(kiln_instance *inst);

/* ---- Per-thread state: signal_posix.c defines kiln_tls and sets threads up ---- */

/* One host->wasm entry: where a trap unwinds to. Lives on the entering function's stack. */
typedef struct kiln_entry {
    sigjmp_buf jmp;
    struct kiln_entry *prev;
    kiln_vmctx *vmctx;
    uint64_t saved_limit;  /* vmctx->stack_limit before this entry */
    uint64_t saved_thread; /* kiln_thread.limit before this entry */
    struct exn_head *held; /* exceptions legacy handlers of this activation hold (exn.c):
                              freed if it traps */
    bool in_host;          /* a host function this activation called runs (kiln_host_call) */
    kiln_exn *thrown;      /* what that host function staged with kiln_host_throw (call.c):
                              kiln_host_call raises or frees it when the function returns */
    uintptr_t frame;       /* kiln_enter's frame: a trap's frame walk stays below it */
} kiln_entry;

/* Per-thread runtime state (zero-initialised TLS; ready after kiln_thread_setup). The fields
 * from top to task describe the stack the thread runs on: task.c swaps them (kiln_stack_ctx)
 * whenever it switches the thread to a task's stack or back, so entries, the stack limit and
 * the signal handler's view of the stack always belong to the running stack. */
typedef struct kiln_thread {
    kiln_entry *top;       /* innermost entry, NULL outside wasm */
    uint32_t depth;        /* number of entries on this thread */
    kiln_task *task;       /* the task whose stack the thread runs on, NULL on its own */
    bool ready;            /* kiln_thread_setup ran */
    bool own_altstack;     /* we installed the alternate signal stack */
    bool stack_queried;    /* stack_lo/hi/guard are known (or unknowable) */
    uintptr_t stack_lo;    /* lowest usable byte of the thread's stack, 0 if unknown */
    uintptr_t stack_hi;    /* one past the highest */
    size_t stack_guard;    /* guard size below stack_lo */
    uint64_t limit;        /* the wasm stack limit of the innermost entry */
    void *altstack;        /* our mapping (incl. a guard page), if own_altstack */
    size_t altstack_size;  /* its size */
    stack_t prev_altstack; /* restored at thread exit */
    char error[256];       /* kiln_last_error() */
    uintptr_t trap_pc;     /* kiln_last_trap_pc(): where the latest trap was raised, or 0 */
    void *last_exn;        /* kiln_last_exception()'s allocation (exn.c), or NULL: freed by
                              the thread's next entry (kiln_enter) and at its exit */
    uint32_t exn_serial;   /* uncaught exceptions recorded in last_exn so far (wrapping):
                              kiln_host_call tells one its host function's calls ended with
                              from an older one */
    uint32_t tid;          /* the kernel's thread id (the interrupt signal's target) */
    /* kiln_trap_backtrace(): trap_frames[0, trap_frame_count), innermost first; [0] is
     * trap_pc (trap.c, kiln_trap_walk). */
    uint32_t trap_frame_count;
    uintptr_t trap_frames[KILN_TRAP_FRAMES];
} kiln_thread;

/* Defined by the platform layer (signal_posix.c, os_baremetal.c), which sets threads up;
 * trap.c keeps its entries and the last error there. */
extern _Thread_local kiln_thread kiln_tls;

/* The part of kiln_thread that belongs to a stack (task.c saves and loads it). */
typedef struct kiln_stack_ctx {
    kiln_entry *top;
    uint32_t depth;
    kiln_task *task;
    uintptr_t stack_lo, stack_hi;
    size_t stack_guard;
    uint64_t limit;
} kiln_stack_ctx;

/* What trap.c and call.c read of the running task (task.c owns the rest of the record). */
typedef struct kiln_task_head {
    bool cancelled; /* kiln_task_free is unwinding it: no wasm may run on it any more */
} kiln_task_head;

/* Whether the thread runs a task that is being cancelled: entries refuse to run wasm and
 * host calls return with KILN_TRAP_INTERRUPTED (task.c, docs/yield.md). */
static inline bool kiln_task_cancelling(const kiln_thread *t)
{
    return t->task != NULL && ((const kiln_task_head *)(const void *)t->task)->cancelled;
}

/* Unwinds to the innermost entry of the calling thread (which must exist). Inline: the
 * signal handler (signal_posix.c) unwinds with it too, and trap.c sits above that file. */
KILN_NORETURN static inline void kiln_unwind(kiln_thread *t, uint32_t trap)
{
    if (trap == KILN_TRAP_NONE || trap >= KILN_TRAP_COUNT)
        trap = KILN_TRAP_HOST;
    siglongjmp(t->top->jmp, (int)trap);
}

/* ---- signal_posix.c ---- */

/* Whether pc is in registered generated code (a code range of a module). Async-signal-safe;
 * false on platforms without the registry (bare metal). */
bool kiln_signal_in_code(uintptr_t pc);

/* Lazily per thread, before its first entry: stack bounds, alternate signal stack, exit
 * destructor. Failures only weaken stack-overflow reporting; the thread can still run. */
void kiln_thread_setup(kiln_thread *t);
/* Registers [begin, end) as Kiln-generated code (idempotent). false if the table is full. */
bool kiln_signal_add_code(uintptr_t begin, uintptr_t end);
/* Registers/unregisters a linear-memory reservation. */
bool kiln_signal_add_memory(uintptr_t begin, uintptr_t end);
void kiln_signal_remove_memory(uintptr_t begin);
/* Re-installs Kiln's handlers if something replaced them since kiln_runtime_init, keeping the
 * recorded previous ones. For harnesses that swap handlers behind the runtime's back (CMocka
 * installs its own with signal() around every test); call after kiln_runtime_init. */
void kiln_signal_rearm(void);

/* ---- trap.c ---- */

/* Records pc as the thread's latest trap site with a backtrace of that frame alone (pc 0:
 * none). */
void kiln_trap_note(kiln_thread *t, uintptr_t pc);
/* Records a trap at pc (in generated code) and its backtrace: pc, then the return addresses
 * of the generated frames found by following the frame-pointer chain from fp (a runtime
 * frame or the trapping function's own), up to the innermost entry. A return address equal
 * to skip (pc's own, when pc was a helper's return address) is not repeated. Reads only the
 * stack between sp and the entry's frame: async-signal-safe. */
void kiln_trap_walk(kiln_thread *t, uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t skip);

/* Runs fn(vmctx, code, args_results) as a trap boundary; returns the trap or NONE. The wasm
 * stack limit is the entry's frame less stack_budget, never lower than the thread's stack
 * bottom + stack_headroom (the outermost entry of a thread; nested entries only tighten it). */
kiln_trap kiln_enter(kiln_vmctx *vmctx, size_t stack_budget, size_t stack_headroom,
                     kiln_array_fn fn, void *code, uint64_t *args_results);
/* kiln_trap_raise for the runtime's helpers that generated code calls (memory.copy, table.get,
 * host calls ...): the trap is attributed to the helper's caller, pc (pass
 * __builtin_return_address(0) from the helper itself). */
KILN_NORETURN void kiln_trap_raise_from(kiln_vmctx *vmctx, uint32_t trap, const void *pc);
void kiln_set_error(const char *fmt, ...) KILN_PRINTF(1, 2);
void kiln_clear_error(void);

/* ---- stack_switch_ARCH.S (only where CMake found one: KILN_STACK_SWITCH) ---- */

/* Saves the callee-saved registers on the current stack, stores its stack pointer in *from,
 * switches to the stack pointer `to` (saved by an earlier switch, or laid out by
 * kiln_stack_prepare) and restores the registers saved there: the switch that saved `to`
 * returns arg. */
void *kiln_stack_switch(void **from, void *to, void *arg);
/* Lays out a first context below top (16-byte aligned): switching to the result calls
 * fn(arg) there, in a frame that ends backtraces. fn must never return. */
void *kiln_stack_prepare(void *top, void (*fn)(void *));

/* ---- sig.c ---- */

/* Canonical signature id (>= 1) for params -> results; equal signatures get equal ids in the
 * whole process. 0 if out of memory or over the id limit. Thread-safe. */
uint32_t kiln_sig_intern(uint32_t param_count, const uint8_t *params, uint32_t result_count,
                         const uint8_t *results);
/* The signature of id; false if id was never issued. Lock-free. */
bool kiln_sig_get(uint32_t id, uint32_t *param_count, const uint8_t **params,
                  uint32_t *result_count, const uint8_t **results);
/* One function type of a recursion group, as interning keys it: kinds and, when any is not
 * 0, one key word per parameter then result. A key word is a canonical reference word
 * (abi.h; 0 for numbers and for plain funcref/externref) except that a typed heap naming
 * the member k of its own group is KILN_SIG_REL | (KILN_HEAP_TYPE + k), the non-null bit
 * kept; a typed heap naming an earlier type is KILN_HEAP_TYPE + its canonical id. */
typedef struct kiln_sig_member {
    uint32_t param_count, result_count;
    const uint8_t *params, *results; /* KILN_TYPE_* */
    const uint32_t *refs;            /* [param_count + result_count] key words, or NULL */
} kiln_sig_member;
#define KILN_SIG_REL 0x40000000u
/* Interns a recursion group of count types: ids[k] is member k's canonical id. Groups with
 * equal keys get the same ids (a group's are consecutive); a group of one without words gets
 * kiln_sig_intern's id. KILN_STATUS_ARG for a malformed key (a REL word past the group, an
 * ABS id not issued), KILN_STATUS_LIMIT over the id limit, KILN_STATUS_NOMEM; each with
 * kiln_set_error. Thread-safe. */
kiln_status kiln_sig_intern_group(uint32_t count, const kiln_sig_member *members, uint32_t *ids);
/* The canonical reference words of id's params then results, or NULL if all are 0 (or id
 * was never issued). Lock-free. */
const uint32_t *kiln_sig_refs(uint32_t id);

/* The value types a kiln_val (and a descriptor) carries, and the reference ones among them. */
static inline bool kiln_is_ref_type(uint8_t t)
{
    return t == KILN_TYPE_FUNCREF || t == KILN_TYPE_EXTERNREF || t == KILN_TYPE_EXNREF ||
           t == KILN_TYPE_ANYREF;
}
static inline bool kiln_is_value_type(uint8_t t)
{
    return t == KILN_TYPE_I32 || t == KILN_TYPE_I64 || t == KILN_TYPE_F32 || t == KILN_TYPE_F64 ||
           t == KILN_TYPE_V128 || kiln_is_ref_type(t);
}

/* Canonical reference words (abi.h): a descriptor's module-relative word with its type index
 * replaced by that type's canonical id (ids: the module's, from kiln_module_intern), and
 * (ref null func) / (ref null extern) / (ref null exn) written as 0 whichever way it was
 * spelled (the heap codes equal the type bytes: kiln_ref_norm). Inline: instance.c, pool.c and
 * module.c use them. */
static inline uint32_t kiln_ref_norm(uint32_t word)
{
    return word == KILN_HEAP_FUNC || word == KILN_HEAP_EXTERN || word == KILN_HEAP_EXN ||
                   word == KILN_HEAP_ANY
               ? 0
               : word;
}
static inline uint32_t kiln_ref_canon(uint32_t word, const uint32_t *ids)
{
    uint32_t heap = word & KILN_REF_HEAP;
    if (heap < KILN_HEAP_TYPE)
        return kiln_ref_norm(word);
    return (word & KILN_REF_NON_NULL) | (KILN_HEAP_TYPE + ids[heap - KILN_HEAP_TYPE]);
}
/* Whether a value of canonical word sub (kind: its KILN_TYPE_FUNCREF/EXTERNREF/EXNREF/ANYREF
 * byte) may be used where canonical word super is expected: nullability (non-null <:
 * nullable) and heap (nofunc <: a function type <: func; noextern <: extern; noexn <: exn;
 * none <: i31, struct, array <: eq <: any). */
static inline bool kiln_ref_subtype(uint8_t kind, uint32_t sub, uint32_t super)
{
    if (sub == 0)
        sub = kind; /* (ref null func/extern/exn): the heap codes equal the type bytes */
    if (super == 0)
        super = kind;
    if ((super & KILN_REF_NON_NULL) && !(sub & KILN_REF_NON_NULL))
        return false;
    uint32_t hs = sub & KILN_REF_HEAP, hp = super & KILN_REF_HEAP;
    if (hs == hp)
        return true;
    switch (hp) {
    case KILN_HEAP_FUNC:
        return hs == KILN_HEAP_NOFUNC || hs >= KILN_HEAP_TYPE;
    case KILN_HEAP_EXTERN:
        return hs == KILN_HEAP_NOEXTERN;
    case KILN_HEAP_EXN:
        return hs == KILN_HEAP_NOEXN;
    case KILN_HEAP_ANY:
        return hs == KILN_HEAP_EQ || hs == KILN_HEAP_I31 || hs == KILN_HEAP_STRUCT ||
               hs == KILN_HEAP_ARRAY || hs == KILN_HEAP_NONE;
    case KILN_HEAP_EQ:
        return hs == KILN_HEAP_I31 || hs == KILN_HEAP_STRUCT || hs == KILN_HEAP_ARRAY ||
               hs == KILN_HEAP_NONE;
    case KILN_HEAP_I31:
    case KILN_HEAP_STRUCT:
    case KILN_HEAP_ARRAY:
        return hs == KILN_HEAP_NONE;
    default:
        return hp >= KILN_HEAP_TYPE && hs == KILN_HEAP_NOFUNC;
    }
}
/* Whether a reference value (a const kiln_funcref * for funcref kinds, else an opaque host
 * pointer; NULL = null) fits the canonical word: not null if the word says so, a typed heap
 * only a funcref of that signature, nofunc/noextern/noexn/none only null, and GC's other
 * heap types nothing but null either (Kiln has no GC objects). */
static inline bool kiln_ref_fits(const void *value, uint32_t word)
{
    if (value == NULL)
        return !(word & KILN_REF_NON_NULL);
    uint32_t heap = word & KILN_REF_HEAP;
    if (heap == KILN_HEAP_NOFUNC || heap == KILN_HEAP_NOEXTERN || heap == KILN_HEAP_NOEXN ||
        heap == KILN_HEAP_NONE || (heap >= KILN_HEAP_ARRAY && heap <= KILN_HEAP_ANY))
        return false;
    return heap < KILN_HEAP_TYPE || ((const kiln_funcref *)value)->sig == heap - KILN_HEAP_TYPE;
}
/* A reference type for error messages, in buf (KILN_REF_NAME_SIZE bytes): "funcref",
 * "(ref extern)", "(ref null nofunc)", "(ref 3)" for a descriptor's type index 3, or, when
 * canonical, "(ref null sig#12)" for canonical signature id 12. */
#define KILN_REF_NAME_SIZE 32u
const char *kiln_ref_name(uint8_t kind, uint32_t word, bool canonical, char *buf);

/* ---- memory.c ---- */

/* A runtime-created memory: the ABI record first, so a kiln_memory * converts back. */
typedef struct kiln_memory_impl {
    kiln_memory pub;
    uint64_t limit_pages; /* growth cap: min(declared max, pool limit, 65536) */
    uint64_t decl_max;    /* declared maximum, meaningful if has_max */
    bool has_max;
    bool host_owned;   /* created by kiln_memory_new */
    bool is64;         /* 64-bit addresses (memory64): importers must say so too */
    bool shared;       /* shared (threads): never moves, grows under a lock, can be waited
                          on; importers must say so too (docs/threads.md) */
    bool counted;      /* a shared memory's own heap object, freed with its last reference:
                          its defining instance, each importer and each host handle hold one
                          (kiln_memory_new_counted) */
    uint32_t refs;     /* (atomic) references held, if counted */
    uint8_t page_log2; /* pages of 2^page_log2 bytes (16, or 0); importers must agree */
    /* Bounds-checked memories may move when they grow past pub.reserved (memory.c).
     * own_mapping: [base, base+reserved) is this memory's own reservation (released or
     * moved with it). A module pool's memory that grew out of its slot keeps the slot's
     * reservation in home* until kiln_memory_reset moves it back. */
    bool own_mapping;
    char *home; /* NULL unless moved out of a pool slot */
    uint64_t home_reserved, home_size;
} kiln_memory_impl;

/* pub.size of a memory other threads may be using: a shared memory's grows while other
 * threads read it, so memory.grow publishes it with a release store and its readers (the
 * runtime's helpers, generated code) load it with acquire ordering (docs/threads.md). Bare
 * metal has one thread and, on Cortex-M, no 64-bit atomics: plain accesses there. */
#ifdef KILN_BAREMETAL
static inline uint64_t kiln_memory_size(const kiln_memory_impl *m)
{
    return m->pub.size;
}
static inline void kiln_memory_publish_size(kiln_memory_impl *m, uint64_t bytes)
{
    m->pub.size = bytes;
}
#else
static inline uint64_t kiln_memory_size(const kiln_memory_impl *m)
{
    return __atomic_load_n(&m->pub.size, __ATOMIC_ACQUIRE);
}
static inline void kiln_memory_publish_size(kiln_memory_impl *m, uint64_t bytes)
{
    __atomic_store_n(&m->pub.size, bytes, __ATOMIC_RELEASE);
}
#endif

/* Bounds-checked memories whose growth limit is at most this many bytes reserve all of it
 * (and never move); larger ones reserve max(initial size, this) and move when they outgrow
 * it. SIZE_MAX (always reserve the limit) on 64-bit hosts and bare metal, 16 MiB on 32-bit
 * POSIX hosts. A variable so that tests can exercise moving growth on any host. */
extern size_t kiln_checked_reserve_max;
/* Bytes a bounds-checked memory of min pages growing to limit pages (of 2^page_log2 bytes)
 * reserves up front: a multiple of the OS page, at least one. A shared memory reserves its
 * whole limit whatever kiln_checked_reserve_max says: it must never move. May exceed SIZE_MAX
 * on 32-bit. */
uint64_t kiln_checked_capacity(uint64_t min_pages, uint64_t limit_pages, unsigned page_log2,
                               bool shared);
/* A memory's growth limit in its pages: its maximum (4 GiB without one), capped by cap_pages
 * (64 KiB pages). */
uint64_t kiln_memory_limit(bool has_max, uint64_t max, uint64_t cap_pages, unsigned page_log2);
/* The limits of a memory the runtime creates: KILN_STATUS_ARG if they are not valid memory
 * limits, KILN_STATUS_LIMIT (with the same error text everywhere) if min is over the growth
 * limit; else OK with the growth limit in *out_limit. */
kiln_status kiln_memory_check(uint64_t min, bool has_max, uint64_t max, uint64_t cap_pages,
                              unsigned page_log2, uint64_t *out_limit);
/* Checks the limits (kiln_memory_check), reserves address space and commits min pages.
 * guarded: an 8 GiB reservation registered with the signal handler, or `cached` (a registered
 * one a pool slot kept) when not NULL. Else bounds-checked: kiln_checked_capacity reserved, no
 * guard region, not registered, moving when it grows past its reservation (never if shared:
 * it reserves its whole limit, or fails). Argument and limit errors come before the
 * reservation is touched; a failed commit releases it, cached or not. */
kiln_status kiln_memory_setup(kiln_memory_impl *m, uint64_t min, bool has_max, uint64_t max,
                              uint64_t cap_pages, unsigned page_log2, bool shared, bool guarded,
                              void *cached);
/* Whether a memory of a module is one its instances define and keep with their slot:
 * neither imported nor shared (shared memories are objects of their own, below). */
static inline bool kiln_memory_in_slot(const kiln_memory_desc *d)
{
    return !d->imported && !d->limits.shared;
}
/* A shared memory as an object of its own, with one reference (its creator's): limits lim,
 * growth capped by cap_pages, guard pages or bounds-checked, its own reservation. Shared
 * memories never live in a pool's slots: another instance or the host may keep using one
 * (and threads wait on it) after the instance that defined it is freed, so it lives until
 * its last reference goes (docs/threads.md). */
kiln_status kiln_memory_new_counted(const kiln_limits_desc *lim, uint64_t cap_pages, bool guarded,
                                    kiln_memory_impl **out);
/* Takes / drops a reference to a counted memory; the last drop tears it down and frees it.
 * Any thread. */
void kiln_memory_retain_impl(kiln_memory_impl *m);
void kiln_memory_release_impl(kiln_memory_impl *m);
/* Drops the references an instance holds on counted memories (the shared ones it defines or
 * imports) and clears them from inst->memories; safe on a partly built instance. */
void kiln_instance_release_memories(kiln_instance *inst);
/* Decommits the memory; returns its still-registered reservation if keep (guard-page
 * memories only), else releases it and returns NULL. */
void *kiln_memory_teardown(kiln_memory_impl *m, bool keep);
/* Memory 0's initial contents, prepared by a module pool when every active data segment has
 * a constant offset into the module's own memory 0 and fits its initial size: bytes
 * [lo, hi) of the memory, the segments laid out in order, zeros elsewhere. A slot's memory
 * holds it whenever no instance is using the slot (the slot's first use puts it there,
 * every reset puts it back), so instantiation copies nothing and applies no data segment
 * (none can trap). Where the platform has files in memory (memfd), the image lives in
 * `file`, covering the memory's first file.size bytes (its wasm pages up to hi), and slots
 * map it copy-on-write; elsewhere, or for a slot whose mapping failed, it is copied from
 * bytes. */
typedef struct kiln_memory_image {
    bool present;
    uint32_t lo, hi;
    const uint8_t *bytes;        /* hi - lo bytes (the file's view or `heap`); NULL if hi == lo */
    uint8_t *heap;               /* the laid-out segments when there is no file */
    kiln_os_image file;          /* fd -1 if none */
    const kiln_data_desc *datas; /* the module's data segments (for kiln_memory_copy_image) */
    uint32_t data_count;
} kiln_memory_image;

/* Module pools: written (or, without kiln_os_written, touched) runs of at most this many
 * bytes are rewritten at reset; longer ones are given back to the kernel (kiln_os_discard).
 * Without kiln_os_written, memories of at most this many initial bytes are zeroed with one
 * memset once their slot is warm. */
#define KILN_POOL_MEMSET_MAX ((uint64_t)256u * 1024u)
/* Module pools: a slot is warm from its this-many-th reset on (pool.c). */
#define KILN_POOL_WARM_RESETS 8u
/* Module pools: puts a slot's memory back to min_bytes committed, as a fresh instance finds
 * it: image's bytes (NULL: none) and zeros elsewhere, first back into its slot if it grew out
 * of it. mapped: the slot maps image->file over its first pages. With kiln_os_written only
 * the pages instances wrote are rewritten (no system call but that one if none was);
 * otherwise the image file's pages are discarded (back to the file) and the rest zeroed
 * (warm: with one memset, else the pages mincore reports resident), then the image copied
 * if not mapped. false if the kernel refused to decommit the pages the memory had grown
 * into. */
bool kiln_memory_reset(kiln_memory_impl *m, uint64_t min_bytes, const kiln_memory_image *image,
                       bool mapped, bool warm);
/* Copies the image's active data segments, in order, into a memory based at base that is
 * zero where they go: only the bytes they cover (the pages between stay untouched). */
void kiln_memory_copy_image(uint8_t *base, const kiln_memory_image *image);
/* Writes the fresh contents (image's bytes where it has them, zeros elsewhere) into bytes
 * [from, to) of a memory based at base. */
void kiln_memory_restore(uint8_t *base, uint64_t from, uint64_t to, const kiln_memory_image *image);
uint64_t kiln_memory_grow_impl(kiln_memory_impl *m, uint64_t delta_pages);
kiln_trap kiln_memory_init_checked(kiln_instance *inst, uint32_t memory, uint32_t data,
                                   uint64_t dst, uint32_t src, uint32_t len);

/* ---- table.c ---- */

typedef struct kiln_table_impl {
    kiln_table pub;
    uint32_t limit;    /* growth cap: min(declared max, pool limit) */
    uint64_t decl_max; /* declared maximum, meaningful if has_max (a 64-bit table's may be
                          past 2^32; it grows to 2^32 - 1 at most) */
    bool has_max;
    bool host_owned;     /* created by kiln_table_new */
    bool is64;           /* 64-bit indices (memory64's table64): importers must say so too */
    void **inline_elems; /* module pools: the slot's own array (not freed); else NULL */
} kiln_table_impl;

/* The type of a table the runtime creates: KILN_STATUS_ARG if it is not a valid table type,
 * KILN_STATUS_LIMIT if min is over the growth limit (its maximum capped by cap); else OK
 * with that limit in *out_limit. */
kiln_status kiln_table_check(uint8_t elem_type, uint64_t min, bool has_max, uint64_t max,
                             uint32_t cap, uint32_t *out_limit);
/* Checks the type (kiln_table_check) and allocates min null elements. */
kiln_status kiln_table_setup(kiln_table_impl *t, uint8_t elem_type, uint64_t min, bool has_max,
                             uint64_t max, uint32_t cap);
void kiln_table_teardown(kiln_table_impl *t);
uint32_t kiln_table_grow_impl(kiln_table_impl *t, void *init, uint32_t delta);
kiln_trap kiln_table_init_checked(kiln_instance *inst, uint32_t table, uint32_t elem, uint32_t dst,
                                  uint32_t src, uint32_t len);

/* ---- module.c ---- */

/* Before each instantiation in a pool of any module, and once when a module pool is created:
 * the runtime's signal handlers installed, the descriptor checked (KILN_STATUS_ABI for another
 * ABI version, KILN_STATUS_ARG for a broken one), its code range registered with the signal
 * handler (safe to repeat). */
kiln_status kiln_module_prepare(const kiln_module_desc *m, uint32_t *global_imports);
/* The prepared module whose generated code holds pc, or NULL (lock-free). */
const kiln_module_desc *kiln_module_of_pc(uintptr_t pc);
/* Interns the module's function signatures into ids[type_count] (their canonical ids). */
kiln_status kiln_module_intern(const kiln_module_desc *m, uint32_t *ids);

/* ---- The instance record: pool.c lays it out in a slot's block, instance.c fills it ---- */

struct kiln_instance {
    kiln_pool *pool;
    uint32_t slot;
    bool zombie; /* instantiation trapped after publishing references; kept until pool free */
    const kiln_module_desc *module;
    kiln_vmctx *vmctx;
    void *user;
    kiln_memory_impl **memories;    /* [memory_count]: own or imported */
    kiln_memory_impl *own_memories; /* [memory_count], defined ones used */
    kiln_table_impl *own_tables;    /* [table_count], defined ones used */
    kiln_funcref *host_refs;        /* [func_import_count]: records for host-bound imports */
    size_t stack_budget;            /* for kiln_enter: the pool's stack_size or less */
    size_t stack_headroom;          /* for kiln_enter: the pool's, or the instance's own */
    kiln_grow_fn on_grow;           /* kiln_instance_limits.on_grow, or NULL */
    void *on_grow_env;
    uint64_t deadline;      /* the epoch at which calls stop (interrupt.c) */
    uint32_t deadline_slot; /* its index in interrupt.c's heap + 1; 0 = not armed */
    uint32_t runner_tid;    /* (atomic) the thread running a call of it; 0 = none */
    uint32_t wait_word;     /* (atomic) the futex word its thread parks on in
                               memory.atomic.wait (wait.c): bumped to wake it */
    uint32_t waiting;       /* (atomic) its threads in memory.atomic.wait (0 or 1) */
    uint32_t exn_count;     /* exceptions in exns */
    void *exns;             /* the exceptions it owns (exnref values, exn.c), a list */
};

/* Typed views of the per-module area of vmctx (offsets from the descriptor's layout). */
static inline const kiln_module_desc *kiln_vm_module(const kiln_vmctx *vm)
{
    return (const kiln_module_desc *)vm->module.p;
}
static inline kiln_instance *kiln_vm_instance(const kiln_vmctx *vm)
{
    return (kiln_instance *)vm->instance.p;
}
static inline kiln_import_slot *kiln_vm_imports(kiln_vmctx *vm)
{
    return (kiln_import_slot *)((char *)vm + kiln_vm_module(vm)->layout.imports);
}
static inline kiln_ptr64 *kiln_vm_tables(kiln_vmctx *vm)
{
    return (kiln_ptr64 *)((char *)vm + kiln_vm_module(vm)->layout.tables);
}
static inline kiln_ptr64 *kiln_vm_globals(kiln_vmctx *vm)
{
    return (kiln_ptr64 *)((char *)vm + kiln_vm_module(vm)->layout.globals);
}
static inline kiln_global_cell *kiln_vm_global_cells(kiln_vmctx *vm)
{
    return (kiln_global_cell *)((char *)vm + kiln_vm_module(vm)->layout.global_cells);
}
static inline uint32_t *kiln_vm_sig_ids(kiln_vmctx *vm)
{
    return (uint32_t *)((char *)vm + kiln_vm_module(vm)->layout.sig_ids);
}
static inline kiln_funcref *kiln_vm_funcrefs(kiln_vmctx *vm)
{
    return (kiln_funcref *)((char *)vm + kiln_vm_module(vm)->layout.funcrefs);
}
static inline uint8_t *kiln_vm_elem_dropped(kiln_vmctx *vm)
{
    return (uint8_t *)vm + kiln_vm_module(vm)->layout.elem_dropped;
}
static inline uint8_t *kiln_vm_data_dropped(kiln_vmctx *vm)
{
    return (uint8_t *)vm + kiln_vm_module(vm)->layout.data_dropped;
}
static inline kiln_ptr64 *kiln_vm_tags(kiln_vmctx *vm)
{
    return (kiln_ptr64 *)((char *)vm + kiln_vm_module(vm)->layout.tags);
}
static inline kiln_tag *kiln_vm_tag_records(kiln_vmctx *vm)
{
    return (kiln_tag *)((char *)vm + kiln_vm_module(vm)->layout.tag_records);
}
static inline kiln_table_impl *kiln_vm_table(kiln_vmctx *vm, uint32_t index)
{
    return (kiln_table_impl *)kiln_vm_tables(vm)[index].p;
}

/* The funcref record of function func_index (imports first) of inst. Inline: it is on the
 * path of every host->wasm call (kiln_invoke). */
static inline const kiln_funcref *kiln_instance_funcref(kiln_instance *inst, uint32_t func_index)
{
    uint32_t imported = inst->module->func_import_count;
    if (func_index < imported)
        return kiln_vm_imports(inst->vmctx)[func_index].ref.p;
    return &kiln_vm_funcrefs(inst->vmctx)[func_index - imported];
}
/* module.c: an extended constant expression (KILN_INIT_EXPR) over the global cells globals
 * (vmctx's pointers; NULL: check only, nothing evaluated or written): true with *out set (if
 * out) when init is well formed: globals read below global_limit, immutable, i32 or i64,
 * operands of each operation's type, at most KILN_INIT_EXPR_MAX_DEPTH deep, one value of
 * init->type left at the end. */
bool kiln_init_expr(const kiln_module_desc *m, const kiln_init_desc *init, uint32_t global_limit,
                    const kiln_ptr64 *globals, kiln_global_cell *out);

/* Evaluates a constant expression of reference type (ref.func, ref.null, global.get) over
 * inst's vmctx. Inline: table.c evaluates element segment items with it at table.init and
 * instance.c global initialisers; neither calls the other for it. */
static inline void *kiln_eval_ref(kiln_instance *inst, const kiln_init_desc *init)
{
    switch (init->kind) {
    case KILN_INIT_REF_FUNC:
        return (void *)(uintptr_t)kiln_instance_funcref(inst, init->index);
    case KILN_INIT_GLOBAL:
        return ((kiln_global_cell *)kiln_vm_globals(inst->vmctx)[init->index].p)->u.ref.p;
    case KILN_INIT_CONST:
        return init->value.u.ref.p;
    default:
        return NULL;
    }
}
/* The stack budget entries into inst get (its pool's stack_size, or its own if smaller). */
static inline size_t kiln_instance_stack_budget(const kiln_instance *inst)
{
    return inst->stack_budget;
}
/* Whether the host lets inst's code grow memory or table `index` (kind) from current to
 * requested (kiln_instance_limits.on_grow); memory.c and table.c ask once the size limits
 * allow the growth. Inline: it calls only the host. */
static inline bool kiln_grow_allowed(kiln_instance *inst, kiln_grow_kind kind, uint32_t index,
                                     uint64_t current, uint64_t requested)
{
    return inst->on_grow == NULL ||
           inst->on_grow(inst->on_grow_env, inst, kind, index, current, requested);
}
/* The host stack headroom entries into inst keep below the wasm stack (trap.c). */
static inline size_t kiln_instance_stack_headroom(const kiln_instance *inst)
{
    return inst->stack_headroom;
}

/* ---- exn.c ---- */

/* Exceptions an instance owns at once (caught as exnref values, freed with the instance):
 * catching one more as a reference traps with KILN_TRAP_HOST. */
#define KILN_MAX_OWNED_EXNS 65536u
/* Whether this build raises exceptions (a DWARF unwinder: KILN_EXN_DWARF); elsewhere throw
 * traps with KILN_TRAP_HOST. */
extern const bool kiln_exn_unwinds;
/* Frees the exceptions inst owns: its slot is being reset or freed (pool.c). */
void kiln_exn_release(kiln_instance *inst);
/* Frees the exceptions legacy handlers of entry's activation still hold: it trapped. */
void kiln_exn_free_held(kiln_entry *entry);
/* kiln_tag.reserved of a tag made by kiln_tag_new (0 in an instance's records): only those
 * are freed by kiln_tag_free. Generated code never reads the field. */
#define KILN_TAG_HOST 1u
/* A new exception of tag with count values, not raised: its values are the caller's to fill
 * (16-byte slots, as kiln_throw's); kiln_exn_raise_at raises it, kiln_exn_free frees it.
 * NULL if out of memory, and always where exceptions do not unwind (kiln_exn_unwinds). */
kiln_exn *kiln_exn_new(const kiln_tag *tag, uint32_t count);
/* Frees an exception from kiln_exn_new or kiln_exn_take_last that was never raised. NULL is
 * ignored. */
void kiln_exn_free(kiln_exn *exn);
/* The calling thread's last exception (kiln_last_exception), taken from the thread: it is
 * the caller's now (kiln_exn_raise_at or kiln_exn_free). NULL if there is none. */
kiln_exn *kiln_exn_take_last(void);
/* Raises exn (from kiln_exn_new or kiln_exn_take_last) in the current activation as if the
 * generated code that called the runtime helper at return address pc had thrown it: its
 * landing pads, then outward to the entry (kiln_host_call, at an import's call site). */
KILN_NORETURN void kiln_exn_raise_at(kiln_exn *exn, const void *pc);
/* The landing pad covering ip in a function starting at func_start whose LSDA (the
 * .gcc_except_table format: lpstart, type table and call-site encodings, call-site table) is
 * at lsda; 0 if no call site covers ip or its entry has no landing pad. */
uintptr_t kiln_lsda_landing_pad(const uint8_t *lsda, uintptr_t func_start, uintptr_t ip);

/* ---- pool.c ---- */

typedef struct kiln_slot {
    kiln_instance *inst; /* the live (or zombie) instance, NULL if free */
    void *block;         /* pools of any module: the cached instance block (heap) */
    size_t block_size;
    void *reservation; /* a cached, registered, decommitted memory reservation */
    bool committed;    /* module pools: the initial pages of its memories are read/write */
    bool mapped;       /* module pools: memory 0 maps the data image's file (else a copy) */
    uint32_t resets;   /* module pools: instances freed from it (saturating) */
} kiln_slot;

/* Where an instance's records lie in its block: instance | vmctx | memory pointers |
 * memories | tables | host funcrefs, then (module pools) the defined tables' inline
 * elements. Offsets in bytes; records_end is where the host funcrefs end. */
typedef struct kiln_block_layout {
    size_t vmctx, memory_ptrs, memories, tables, host, records_end;
} kiln_block_layout;

/* What a module pool prepares once for its module (kiln_module_pool_new). Each slot owns
 * block_size bytes of `blocks` and span bytes of address space in one of the chunks:
 * 8 GiB (KILN_MEMORY_RESERVATION) per memory the module defines, or for a module compiled
 * with bounds checks kiln_checked_capacity (its growth limit on 64-bit hosts; a memory that
 * outgrows its slot moves out of it until the slot is reset). */
typedef struct kiln_module_pool {
    const kiln_module_desc *module;
    uint32_t global_imports;
    kiln_block_layout layout;
    size_t *elem_offsets; /* [table_count]: inline elements of each defined table */
    size_t block_size;
    uint8_t *vmctx_template; /* layout.size bytes: zero but for the canonical signature ids */
    char *blocks;            /* slots * block_size, kiln_os_map */
    size_t blocks_size;
    size_t span;          /* address space per slot: the sum of its memories' strides */
    size_t *mem_offsets;  /* [memory_count]: each defined memory's offset in the span */
    size_t *mem_strides;  /* [memory_count]: 8 GiB, or kiln_checked_capacity if bounds-checked */
    uint32_t chunk_slots; /* slots per chunk */
    uint32_t chunk_count;
    char **chunks; /* each chunk_slots * span bytes (the last may be shorter), registered */
    kiln_memory_image image;
} kiln_module_pool;

struct kiln_pool {
    kiln_pool_config config; /* normalised: zeros replaced by defaults */
    pthread_mutex_t lock;
    kiln_slot *slots;
    uint32_t *free_list; /* stack of free slot indices */
    uint32_t free_count;
    uint32_t live;    /* slots in use, zombies included */
    uint32_t zombies; /* slots held by zombies */
    uint32_t cached;  /* pools of any module: free slots holding a memory reservation */
    bool closing;     /* kiln_pool_free was called with instances alive */
    bool is_default;
    kiln_module_pool *module_pool; /* module pools only; NULL for pools of any module */
};

/* The pool behind kiln_instance_new, created on first use; lives until exit. */
kiln_status kiln_default_pool(kiln_pool **out);
/* Takes a free slot of pool (KILN_STATUS_POOL_EXHAUSTED if none) and lays out a new instance
 * of m in its block: the record filled but for user, the vmctx zero but for its module and
 * instance pointers, and in a module pool (m is its module) the canonical signature ids, the
 * defined tables and memories at their initial size (the slot's memory committed at its
 * first use). Imports, funcrefs, globals and segments are the caller's. On success the slot
 * goes back with kiln_pool_put or stays as a zombie (kiln_pool_keep_zombie). */
kiln_status kiln_pool_take(kiln_pool *pool, const kiln_module_desc *m, kiln_instance **out);
/* Returns inst's slot to its pool, freeing the exceptions inst owns (kiln_exn_release): a
 * module pool's slot is reset (tables back to their inline arrays, memories zeroed to their
 * initial size; a slot whose memory cannot be reset is retired), a pool of any module frees
 * the instance's tables and memories, keeping one memory reservation for the slot. Frees the
 * pool if it was closing and this was its last live slot. */
void kiln_pool_put(kiln_instance *inst);
/* Keeps inst in its slot as a zombie (and the exceptions it owns) until the pool is freed. */
void kiln_pool_keep_zombie(kiln_instance *inst);

/* ---- call.c ---- */

/* Whether args[0..count) (of the right kinds) fit the reference words of signature sig's
 * parameters (kiln_ref_fits); if not, sets the error "<who>: argument N has the wrong type:
 * ...". For kiln_call and kiln_task_start. */
bool kiln_check_ref_args(const char *who, uint32_t sig, const kiln_val *args, uint32_t count);

#endif
