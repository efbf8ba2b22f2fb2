/* kiln.h -- the embedder API of libkiln_runtime.
 *
 * A program that runs Kiln-compiled modules includes this header (usually through the
 * header `kiln compile --header` generates for each module) and links libkiln_runtime.a.
 *
 *   kiln_instance *inst;
 *   if (kiln_instance_new(&fac_module, NULL, &inst) != KILN_STATUS_OK) ...
 *   int64_t r;
 *   kiln_trap t = fac_fac(inst, 20, &r);       // typed wrapper from fac.h
 *   if (t != KILN_TRAP_NONE) fprintf(stderr, "trap: %s\n", kiln_trap_message(t));
 *   kiln_instance_free(inst);
 *
 * Every creation function returns a kiln_status and never aborts: resource exhaustion is
 * reported. Traps are values (kiln_trap), never signals or longjmps the host sees. Entry
 * points are re-entrant (wasm -> host -> wasm nests) and instances on different threads run
 * concurrently; one instance must not be entered from two threads at once. Threads share
 * memory through a shared memory (threads proposal) that each thread's instance defines or
 * imports (docs/threads.md).
 */
#ifndef KILN_KILN_H
#define KILN_KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_VERSION_MAJOR 0
#define KILN_VERSION_MINOR 1
#define KILN_VERSION_PATCH 0

/* The descriptor a compiled module exports as `P_module`. */
typedef struct kiln_module_desc kiln_module;
typedef struct kiln_instance kiln_instance;
typedef struct kiln_pool kiln_pool;

typedef enum kiln_status {
    KILN_STATUS_OK = 0,
    KILN_STATUS_NOMEM,          /* an allocation or address-space reservation failed */
    KILN_STATUS_LINK,           /* an import is missing or has the wrong type */
    KILN_STATUS_TRAP,           /* instantiation trapped (segment out of bounds, start) */
    KILN_STATUS_LIMIT,          /* over a pool or runtime limit */
    KILN_STATUS_POOL_EXHAUSTED, /* every slot of the pool is in use */
    KILN_STATUS_ARG,            /* a NULL or otherwise invalid argument */
    KILN_STATUS_ABI,            /* the module was compiled for another KILN_ABI_VERSION */
    KILN_STATUS_NOT_FOUND,      /* no export of that name/kind */
    KILN_STATUS_UNSUPPORTED,    /* not available on this target (tasks without a stack switch) */
    KILN_STATUS_CANCELLED,      /* kiln_yield: the task is being freed; return from the host
                                   function */
} kiln_status;

/* "ok", "out of memory", ... */
const char *kiln_status_message(kiln_status s);
/* The specification's wording for a trap: "integer divide by zero", ... */
const char *kiln_trap_message(kiln_trap t);
/* The runtime's version as "MAJOR.MINOR.PATCH"; a static string. */
const char *kiln_runtime_version(void);
/* A description of the calling thread's last failure (e.g. `unknown import: "env" "f"` for
 * KILN_STATUS_LINK), or "". Valid until the thread's next runtime call. */
const char *kiln_last_error(void);
/* Where the calling thread's latest trap was raised: an address inside the generated code of
 * the trapping function (or of the function that called a failing runtime helper or host
 * function), 0 if none is known. kiln_module_func_at names the function. */
uintptr_t kiln_last_trap_pc(void);
/* The function of module whose code contains pc: its index (imports counted, as in the
 * binary) and its name: from the name section, else its first export name (not
 * NUL-terminated; *name NULL and *name_len 0 when it has neither). False if pc is not in
 * module's code. Any out-pointer may be NULL. */
bool kiln_module_func_at(const kiln_module *module, uintptr_t pc, uint32_t *index,
                         const char **name, size_t *name_len);

/* One wasm frame of a trap's backtrace (kiln_trap_backtrace). */
typedef struct kiln_frame {
    uintptr_t pc;              /* in the function's generated code (a call, or the fault) */
    const kiln_module *module; /* the module whose code holds pc; NULL if none is known */
    uint32_t func_index;       /* as kiln_module_func_at; UINT32_MAX without a module */
    const char *name;          /* as kiln_module_func_at: not NUL-terminated, may be NULL */
    size_t name_len;
    const char *file; /* guest source file and line: NULL and 0 (not recorded yet) */
    uint32_t line;
} kiln_frame;

/* The wasm call stack of the calling thread's latest trap, innermost first: frame 0 is where
 * it was raised (kiln_last_trap_pc), each next one the call in its caller, up to the call
 * from the host (kiln_call or a typed wrapper) into the innermost wasm activation. Fills
 * min(max, count) frames of out and returns count (at most 64), 0 if nothing is known (no
 * trap yet, a stack overflow in host code). The trap path records program counters only
 * (no allocation, async-signal-safe); names are looked up here. Where frames are kept
 * (hosted targets: generated code keeps frame pointers) and what is missing (inlined
 * functions) is in docs/abi.md, "Backtraces". Valid until the thread's next trap. */
size_t kiln_trap_backtrace(kiln_frame *out, size_t max);

/* Installs the SIGSEGV/SIGBUS handlers (on an alternate stack per thread that enters wasm)
 * once. Idempotent and thread-safe; kiln_instance_new calls it. Faults that are not
 * Kiln-generated code touching instance memory go to the handler installed before. */
kiln_status kiln_runtime_init(void);

/* ---- Values ---- */

typedef struct kiln_val {
    uint8_t type; /* KILN_TYPE_* */
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        kiln_v128 v128;
        const kiln_funcref *funcref; /* NULL = ref.null func */
        void *externref;             /* NULL = ref.null extern; also exnref (kiln_exn *) */
    } of;
} kiln_val;

/* ---- Imports ---- */

/* A host function. On KILN_TRAP_NONE the results are taken; any other value traps the
 * calling wasm code with that trap (use KILN_TRAP_HOST for host errors), except
 * KILN_TRAP_EXCEPTION, which throws a Wasm exception at the call instead (kiln_host_throw).
 * caller is the instance whose code called the import (its memory:
 * kiln_instance_memory(caller, 0)). */
typedef kiln_trap (*kiln_host_fn)(void *env, kiln_instance *caller, const kiln_val *args,
                                  kiln_val *results);

typedef struct kiln_host_func {
    kiln_host_fn fn;
    void *env;
    uint32_t param_count, result_count;
    const uint8_t *params;  /* KILN_TYPE_* */
    const uint8_t *results; /* KILN_TYPE_* */
} kiln_host_func;

/* A host-owned global (to import into modules). */
typedef struct kiln_host_global {
    uint8_t type; /* KILN_TYPE_* */
    uint8_t mut;
    kiln_global_cell *cell;
    /* A reference type's canonical reference word (abi.h): 0 for numbers and plain
     * funcref/externref; else KILN_REF_NON_NULL and/or a heap, a function type's heap being
     * KILN_HEAP_TYPE + its canonical signature id (a funcref's `sig`). An import of the global
     * takes it if the types are equal, or, for an immutable global, if this type is a subtype
     * of the import's. Exported globals report theirs. The host keeps the cell's value of
     * that type. */
    uint32_t ref;
} kiln_host_global;

/* An import binds to a host function: kiln_extern.kind for of.host. */
#define KILN_KIND_HOST_FUNC 4

/* Something an import binds to, or an export yields. */
typedef struct kiln_extern {
    uint8_t kind; /* KILN_KIND_FUNC/TABLE/MEMORY/GLOBAL/TAG, or KILN_KIND_HOST_FUNC */
    union {
        const kiln_funcref *func;   /* KILN_KIND_FUNC: an instance's function */
        const kiln_host_func *host; /* KILN_KIND_HOST_FUNC */
        const kiln_tag *tag;        /* KILN_KIND_TAG: an instance's tag, or the host's
                                       (kiln_tag_new): exceptions */
        kiln_table *table;
        kiln_memory *memory;
        kiln_host_global global; /* also what a global export yields */
    } of;
} kiln_extern;

typedef struct kiln_import {
    const char *module, *name; /* NUL-terminated UTF-8 */
    kiln_extern value;
} kiln_import;

typedef struct kiln_imports {
    const kiln_import *items;
    size_t count;
} kiln_imports;

/* One list of the imports of count lists, in order: lists[0]'s items first. Instantiation
 * binds each import to the first item of its (module, name), so an earlier list overrides a
 * later one (put the host's own functions before a default set such as WASI's). lists[i]
 * may be NULL or empty. *out owns a new items array (the kiln_import records are copied; the
 * strings and the things they bind to are borrowed and must outlive every instantiation
 * with it) until kiln_imports_free; no hidden state. KILN_STATUS_ARG for NULL out or lists
 * with count != 0, or a list with count != 0 and NULL items; KILN_STATUS_NOMEM. *out is
 * {NULL, 0} on failure. Thread-safe. */
kiln_status kiln_imports_concat(const kiln_imports *const *lists, size_t count, kiln_imports *out);
/* Frees the items of a list made by kiln_imports_concat and sets it to {NULL, 0}. NULL is
 * ignored. */
void kiln_imports_free(kiln_imports *list);

/* ---- Instances ---- */

/* Instantiates module in the default pool (created on first use: 16,384 slots, keeping at
 * most 64 freed memory reservations, see kiln_pool_config): binds imports by
 * (module, name), initialises memory/tables/globals from the segments and runs the start
 * function. imports may be NULL when the module has none (or they are sealed at link time).
 * Imports neither sealed nor given fail with KILN_STATUS_LINK and kiln_last_error() naming
 * all of them: `unknown import: "env" "f"`, or `unknown imports: "env" "f", "env" "g"`.
 * On KILN_STATUS_TRAP, *trap (if non-NULL) says which trap. *out is set only on success;
 * release it with kiln_instance_free. */
kiln_status kiln_instance_new(const kiln_module *module, const kiln_imports *imports,
                              kiln_instance **out);
/* The same in a given pool; for a module pool (kiln_module_pool_new) module must be the
 * pool's module, and this is kiln_pool_instantiate. */
kiln_status kiln_instance_new_in(kiln_pool *pool, const kiln_module *module,
                                 const kiln_imports *imports, kiln_instance **out, kiln_trap *trap);
/* Returns the slot to its pool. NULL is ignored. */
void kiln_instance_free(kiln_instance *inst);

/* Host-owned memories and tables, to bind to imports (e.g. the spec tests' "spectest"
 * module). max_pages/max == UINT64_MAX means no maximum. The host frees them after every
 * instance importing them (shared memories excepted: kiln_memory_new_shared below);
 * kiln_*_free ignores NULL and instances' own memories/tables. */
kiln_status kiln_memory_new(uint64_t min_pages, uint64_t max_pages, kiln_memory **out);
void kiln_memory_free(kiln_memory *memory);
kiln_status kiln_table_new(uint8_t elem_type, uint32_t min, uint64_t max, kiln_table **out);
/* The same with 64-bit addresses (memory64), for imports declared `i64`: a memory holds at
 * most 65,536 pages and a table 2^32 - 1 elements whatever their declared maximum. */
kiln_status kiln_memory_new64(uint64_t min_pages, uint64_t max_pages, kiln_memory **out);
kiln_status kiln_table_new64(uint8_t elem_type, uint32_t min, uint64_t max, kiln_table **out);
void kiln_table_free(kiln_table *table);
/* A shared memory (threads proposal) of 64 KiB pages and 32-bit addresses, for imports
 * declared `shared` (e.g. the spec tests' spectest.shared_memory: 1, 2); only those take it.
 * It never moves: with guard pages (64-bit hosts) like any memory, and on 32-bit hosts it
 * reserves max_pages up front. Instances on any threads may use it at once: memory.grow is
 * atomic (each of two concurrent growths gets its own old size), and memory.atomic.wait and
 * notify work across every instance importing it. KILN_STATUS_ARG (kiln_last_error says why)
 * for NULL out, max_pages UINT64_MAX (a shared memory has a maximum), min_pages > max_pages or
 * max_pages > 65536; KILN_STATUS_LIMIT if its maximum does not fit the address space (32-bit
 * hosts), KILN_STATUS_NOMEM if it cannot be reserved. *out is set only on success.
 * Thread-safe.
 * Shared memories are reference-counted: the one made here starts with the host's reference,
 * which kiln_memory_free drops; every instance importing it (and one defining a shared memory)
 * holds another while it lives, so the memory goes with the last of them, in any order. */
kiln_status kiln_memory_new_shared(uint64_t min_pages, uint64_t max_pages, kiln_memory **out);
/* Takes a reference to a shared memory (one an instance defines or imports, e.g. from
 * kiln_instance_export), so that it stays usable, and can be bound to new instances, after the
 * instance it came from is freed; drop it with kiln_memory_release. Freeing an instance never
 * disturbs other holders of its shared memory: a thread blocked in memory.atomic.wait on it
 * in another instance keeps waiting until notified, interrupted or timed out
 * (docs/threads.md). KILN_STATUS_ARG for NULL or an unshared memory (that one lives exactly
 * as long as its instance, or until kiln_memory_free). Thread-safe, as is release. */
kiln_status kiln_memory_retain(kiln_memory *memory);
/* Drops a reference taken with kiln_memory_retain; NULL and unshared memories are ignored. */
void kiln_memory_release(kiln_memory *memory);

/* Looks up an export by name. */
kiln_status kiln_instance_export(kiln_instance *inst, const char *name, kiln_extern *out);
/* The same for a name of len bytes that may contain NUL bytes (export names are any UTF-8). */
kiln_status kiln_instance_export_n(kiln_instance *inst, const char *name, size_t len,
                                   kiln_extern *out);
/* Memory index 0..n-1 of the instance (imported or defined), or NULL. */
kiln_memory *kiln_instance_memory(kiln_instance *inst, uint32_t index);
/* Tag index 0..n-1 of the instance (imported: the exporter's or the host's record; defined:
 * the instance's own), or NULL: what a catch clause on the tag compares, what
 * kiln_host_throw takes and what kiln_last_exception()->tag is. */
const kiln_tag *kiln_instance_tag(kiln_instance *inst, uint32_t index);
const kiln_module *kiln_instance_module(const kiln_instance *inst);
/* The env pointer the instance's sealed imports get as their second argument (docs/abi.md
 * "Sealed imports"): NULL from instantiation (so a start function's calls get NULL) until
 * set here. NULL inst is ignored (gives NULL). */
void kiln_instance_set_import_env(kiln_instance *inst, void *env);
void *kiln_instance_import_env(const kiln_instance *inst);
/* Host data attached to an instance (e.g. its WASI context). */
void kiln_instance_set_user(kiln_instance *inst, void *user);
void *kiln_instance_user(const kiln_instance *inst);

/* Calls a function reference with a signature check (KILN_STATUS_ARG via a KILN_TRAP_HOST
 * trap if args do not match). results must have room for the function's results. */
kiln_trap kiln_call(kiln_instance *inst, const kiln_funcref *func, const kiln_val *args,
                    size_t arg_count, kiln_val *results, size_t result_count);
/* The type of function reference func: its parameter and result KILN_TYPE_* bytes (a
 * reference type as its abstract type's byte, as kiln_call takes it), valid for the life of
 * the process. *nullable_params, if not NULL, gets a bit mask whose bit i (i < 32) is clear
 * when parameter i is a non-null reference, which has no default value. KILN_STATUS_ARG for
 * NULL or a pointer that is no function reference. Out-pointers may be NULL. Lock-free. */
kiln_status kiln_funcref_type(const kiln_funcref *func, uint32_t *param_count,
                              const uint8_t **params, uint32_t *result_count,
                              const uint8_t **results, uint32_t *nullable_params);
/* The typed wrappers' entry: calls function func_index of inst with the 16-byte-per-value
 * array convention of kiln_array_fn. */
kiln_trap kiln_invoke(kiln_instance *inst, uint32_t func_index, uint64_t *args_results);

/* ---- Exceptions (Wasm 3.0) ---- */

/* A Wasm exception that no try_table of the call catches unwinds to the call's entry, which
 * returns KILN_TRAP_EXCEPTION ("uncaught exception"); the exception itself is then the
 * calling thread's last exception. The host throws into wasm from a host function
 * (kiln_host_throw), with a tag of its own (kiln_tag_new) or an instance's. A host function
 * called by wasm that gets KILN_TRAP_EXCEPTION from a call into wasm and returns it passes
 * the exception on: it is thrown again at the import's call site, where the handlers of its
 * wasm caller may catch it (docs/exceptions.md).
 *
 * Exceptions live until nothing can reach them. One that wasm caught with catch or catch_all
 * is freed when caught. One caught with catch_ref or catch_all_ref is an exnref value:
 * the instance whose code first caught it that way owns it and frees it when the instance is
 * freed (kiln_instance_free, a pool slot's reset, or the pool's end for a zombie). So an
 * exnref must not outlive that instance: not in another instance's table or global, nor in
 * the host's hands. An instance owns at most 65,536 exceptions: one more catch_ref traps with
 * KILN_TRAP_HOST (kiln_last_error says why).
 *
 * Exceptions unwind with the C library's DWARF unwinder (x86-64, aarch64, riscv64 Linux:
 * _Unwind_* from libgcc_s, or libgcc_eh in a static executable; the compiler drivers link
 * it). On 32-bit ARM and bare metal, throw traps with KILN_TRAP_HOST ("exceptions are not
 * supported on this target"). */

/* A tag of the host: the type (params) -> () of param_count KILN_TYPE_* value types (a
 * reference type byte means its nullable abstract type: funcref is (ref null func); typed
 * and non-null references cannot be said here). Its canonical type is the one a module's tag
 * of the same parameters has (declared on its own, not in a recursion group with other
 * types), so it binds to any number of instances' tag imports of that type
 * (kiln_extern{.kind = KILN_KIND_TAG, .of.tag = tag}); they compare tags by address, so
 * an exception thrown with it, by the host or by any of them, is caught by catch clauses
 * naming their import of it. It must outlive every instance importing it, and every
 * exception of it the host still looks at. KILN_STATUS_ARG (kiln_last_error says why) for
 * NULL out, NULL params with param_count > 0, or a byte that is not a KILN_TYPE_* value
 * type; KILN_STATUS_NOMEM or KILN_STATUS_LIMIT if the type cannot be interned. *out is set
 * only on success: release it with kiln_tag_free. Thread-safe; works on every target (only
 * throwing needs an unwinder). */
kiln_status kiln_tag_new(const uint8_t *params, uint32_t param_count, kiln_tag **out);
/* Frees a tag from kiln_tag_new. NULL and instances' tags are ignored. */
void kiln_tag_free(kiln_tag *tag);

/* Throws a Wasm exception of tag (the host's or an instance's) carrying values into the wasm
 * code that called the running host function: call it from a kiln_host_fn and return what it
 * returns. It checks values against the tag's type: count, each value's type, and for an
 * instance's tag with typed or non-null reference parameters each reference (an anyref
 * must be null); on a mismatch
 * it returns KILN_TRAP_HOST with kiln_last_error saying what (e.g. "kiln_host_throw: value 1
 * has type i32, the tag's is i64"), as it does when out of memory, outside a host function
 * called by wasm ("kiln_host_throw: not called from a host function"), and on targets
 * without exceptions ("exceptions are not supported on this target": 32-bit ARM, bare
 * metal). Otherwise it copies the values into a new exception, stages it for the calling
 * host function (a second call replaces the first) and returns KILN_TRAP_EXCEPTION; when the
 * host function returns that, the exception is thrown at the import's call site, as if the
 * call had executed `throw`: the caller's try_table and legacy handlers may catch it, and if
 * nothing does it reaches the host->wasm entry as any uncaught exception. A staged
 * exception is freed if the host function returns anything else. The host function returns
 * before the exception unwinds, so host frames are never unwound. */
kiln_trap kiln_host_throw(const kiln_tag *tag, const kiln_val *values, size_t count);

/* The calling thread's latest uncaught exception: the one behind the latest
 * KILN_TRAP_EXCEPTION, or NULL (none since the thread's latest call into wasm, or out of
 * memory recording it, or a host function passed it on to its wasm caller). Its tag is the
 * record of the instance that defined the tag, or the host's tag: compare it with a tag
 * export's kiln_extern.of.tag (valid while that instance lives) or a kiln_tag_new tag; a
 * host function that returns KILN_TRAP_EXCEPTION after its call into wasm ended with this
 * exception, without staging another (kiln_host_throw), has it thrown again at its import's
 * call site (then it is no longer the last exception; one an exnref refers to is passed on
 * as a copy: the same tag and values, another exnref if caught as one). Its values are
 * count 16-byte slots in the array convention of kiln_invoke (kiln_exn_values converts
 * them). Owned by the runtime and valid until the thread's next call into wasm (kiln_call,
 * kiln_invoke, a typed wrapper, an instantiation running a start function, a task start),
 * which frees it. It is not an exnref: never pass it to wasm. */
const kiln_exn *kiln_last_exception(void);
/* Exception exn's values as kiln_val (types from its tag's type): writes the first
 * min(count, capacity) into values (which may be NULL if capacity is 0) and returns count, the
 * number of values the exception carries. 0 for NULL. An exnref value is of.externref with
 * type KILN_TYPE_EXNREF. */
size_t kiln_exn_values(const kiln_exn *exn, kiln_val *values, size_t capacity);

/* ---- Interruption: stopping a running call ---- */

/* Asks the call running in inst to stop: it returns KILN_TRAP_INTERRUPTED within
 * microseconds, and inst stays usable. How depends on the module's interruption mode
 * (docs/tasks.md): in the default signal mode the running thread gets a signal (SIGURG) that
 * stops code running in wasm where it is, and generated code checks at each entry and in
 * loops that call; in full mode (bare metal) generated code checks on every loop back-edge
 * and at the entry of every function that calls another. The request stays pending until a
 * check takes it: made while no call of inst runs, it stops inst's next call at its start
 * (kiln_instance_cancel_interrupt drops it). A call blocked in a host function stops when
 * the host function returns (see kiln_instance_interrupted); code of another instance it
 * called into runs on until it returns to inst's code. KILN_STATUS_ARG for NULL or a module
 * compiled with --no-interrupt-checks. A thread of inst waiting in memory.atomic.wait
 * (threads) is woken and returns KILN_TRAP_INTERRUPTED too, also when the request came
 * before the wait began; so does a deadline (docs/threads.md). Safe from any thread and from
 * a signal handler. */
kiln_status kiln_instance_interrupt(kiln_instance *inst);
/* Drops a pending kiln_instance_interrupt request. NULL is ignored. */
void kiln_instance_cancel_interrupt(kiln_instance *inst);
/* Whether a stop (a request or a reached deadline) is pending for inst: a host function that
 * waits (for I/O, a timer) should return early so the guest stops (WASI's poll_oneoff returns
 * EINTR). False for NULL. Safe from any thread and from a signal handler. */
bool kiln_instance_interrupted(const kiln_instance *inst);

/* Deadlines count in epochs: a process-wide counter that starts at 0 and only grows when
 * kiln_epoch_advance is called -- by the embedder, or by the runtime's ticker thread
 * (kiln_epoch_ticker_start) -- so a deadline costs no clock read in generated code and no
 * system call per call. */
uint64_t kiln_epoch_now(void);
/* Adds n to the epoch and stops, as kiln_instance_interrupt does, the calls of every
 * instance whose deadline it reached. Returns the new epoch. Thread-safe (one mutex); not
 * for signal handlers. */
uint64_t kiln_epoch_advance(uint64_t n);
/* Once the epoch reaches now + epochs, inst's running call stops with KILN_TRAP_INTERRUPTED
 * -- or, if none runs, its next call -- as with kiln_instance_interrupt; the deadline is then
 * spent. epochs 0 removes the deadline. Replaces an earlier deadline and forgets that one's
 * stop if no call took it yet. Freeing inst removes its deadline. KILN_STATUS_ARG as for
 * kiln_instance_interrupt, KILN_STATUS_NOMEM. Thread-safe. */
kiln_status kiln_instance_set_deadline(kiln_instance *inst, uint64_t epochs);
/* Starts (or restarts with a new period) a runtime thread that calls kiln_epoch_advance(1)
 * every period_ns nanoseconds of the monotonic clock. An epoch never lasts less than the
 * period: a tick that comes more than a period late is not caught up with extra ticks (which
 * would end deadlines armed meanwhile early), so under load epochs last longer. A deadline
 * of n epochs therefore stops a call no sooner than (n - 1) periods after it was armed.
 * KILN_STATUS_ARG for 0, KILN_STATUS_NOMEM if the thread cannot start (always on bare
 * metal). */
kiln_status kiln_epoch_ticker_start(uint64_t period_ns);
/* Stops the ticker thread and waits for it. No effect if it is not running. */
void kiln_epoch_ticker_stop(void);

/* ---- Tasks: calls that can suspend (docs/yield.md) ---- */

/* A task is one call of a wasm function that runs on a stack of its own, so that a host
 * function it calls can suspend it (kiln_yield) and give control back to the host code that
 * started or resumed it; that code resumes it later (kiln_task_resume) with a value, on the
 * same thread. Any number of tasks can be suspended at once (one stack each). A task is
 * bound to the thread that started it: it runs on that thread only. */
typedef struct kiln_task kiln_task;
/* A pool of stacks for tasks: address space reserved once, one guarded stack per task alive. */
typedef struct kiln_stacks kiln_stacks;

typedef enum kiln_task_state {
    KILN_TASK_RUNNING,   /* on its stack now: seen only from code the task runs */
    KILN_TASK_SUSPENDED, /* a host function called kiln_yield: kiln_task_yielded() */
    KILN_TASK_RETURNED,  /* the call returned: kiln_task_results() */
    KILN_TASK_TRAPPED,   /* the call trapped: kiln_task_trap() */
} kiln_task_state;

typedef struct kiln_stacks_config {
    uint32_t count; /* stacks, i.e. tasks alive at once; 0 = 16,384 (256 on 32-bit hosts) */
    /* Usable bytes of each stack, for wasm and the host code it calls (rounded up to pages;
     * at least 16 KiB); 0 = 1 MiB. Each entry into wasm on it keeps the instance's
     * stack_headroom (or half the stack, if smaller) below its wasm stack limit. */
    size_t stack_size;
    /* Freed stacks that keep their memory for the next tasks (the top 64 KiB of each; pages
     * below are given back); the others give all of it back. 0 = 64, UINT32_MAX = all. */
    uint32_t cached;
} kiln_stacks_config;

/* Reserves config->count stacks of address space, each above a 64 KiB PROT_NONE guard (no
 * guard and one block from kiln_platform_memory_alloc on bare metal). Nothing is committed
 * until a stack is first used. config NULL: the defaults. KILN_STATUS_ARG for a bad config,
 * KILN_STATUS_NOMEM if the address space cannot be reserved. On success *out is the
 * caller's: kiln_stacks_free. Thread-safe. */
kiln_status kiln_stacks_new(const kiln_stacks_config *config, kiln_stacks **out);
/* Releases the stacks; if tasks still use some, the pool goes with the last of them. NULL is
 * ignored. */
void kiln_stacks_free(kiln_stacks *stacks);

/* Starts a call of func (a function of inst, or any funcref inst's code could call) with
 * args on a stack of stacks (NULL: a default pool made at first use, with the defaults of
 * kiln_stacks_config), and runs it until it returns, traps or yields. On KILN_STATUS_OK
 * *out is the task, in state RETURNED, TRAPPED or SUSPENDED (kiln_task_get_state); free it
 * with kiln_task_free. KILN_STATUS_ARG: NULL arguments, or args that do not match func's
 * parameters (kiln_last_error says which); KILN_STATUS_POOL_EXHAUSTED: every stack is in
 * use; KILN_STATUS_NOMEM; KILN_STATUS_UNSUPPORTED: the runtime has no stack switch for this
 * target. May be called from a host function, also from one a task runs (tasks nest). */
kiln_status kiln_task_start(kiln_stacks *stacks, kiln_instance *inst, const kiln_funcref *func,
                            const kiln_val *args, size_t arg_count, kiln_task **out);
/* Resumes a suspended task: the kiln_yield that suspended it returns KILN_STATUS_OK with
 * *value (a zero value of type 0 if value is NULL) in its *resumed, and the task runs until
 * it returns, traps or yields again. A stop requested for a suspended task's instance
 * (kiln_instance_interrupt, a deadline) is taken as soon as it resumes: the host function's
 * return becomes KILN_TRAP_INTERRUPTED. KILN_STATUS_ARG if task is NULL, not suspended, or
 * was started on another thread (nothing runs). */
kiln_status kiln_task_resume(kiln_task *task, const kiln_val *value);
/* Where the task stands (KILN_TASK_TRAPPED for NULL). */
kiln_task_state kiln_task_get_state(const kiln_task *task);
/* SUSPENDED: the value the task yielded (valid until it is resumed or freed); else NULL. */
const kiln_val *kiln_task_yielded(const kiln_task *task);
/* TRAPPED: the trap; else KILN_TRAP_NONE. */
kiln_trap kiln_task_trap(const kiln_task *task);
/* RETURNED: the call's results (*count of them; valid until the task is freed); else NULL and
 * 0. count may be NULL. */
const kiln_val *kiln_task_results(const kiln_task *task, size_t *count);
/* The instance the task was started with. */
kiln_instance *kiln_task_instance(const kiln_task *task);
/* Frees a task and gives its stack back. A suspended task is first cancelled, on the calling
 * thread, which must be the task's: the kiln_yield it is suspended in returns
 * KILN_STATUS_CANCELLED, and from then on every kiln_yield of the task returns that, every
 * entry into wasm it makes returns KILN_TRAP_INTERRUPTED without running wasm, and every
 * return of its host functions to wasm unwinds with KILN_TRAP_INTERRUPTED; so its host
 * functions run their own cleanup on the way out, and no wasm code runs. KILN_STATUS_ARG
 * (nothing freed) if the task is running, or suspended and started on another thread. NULL
 * is ignored (KILN_STATUS_OK). */
kiln_status kiln_task_free(kiln_task *task);

/* Suspends the task the calling host function runs in: control goes back to the host code
 * that started or last resumed the task, whose kiln_task_start or kiln_task_resume returns
 * with the task SUSPENDED and *value (a zero value of type 0 if value is NULL) as its
 * kiln_task_yielded. Returns when the task is resumed: KILN_STATUS_OK and the resume's value
 * in *resumed (if not NULL). caller is the host function's caller argument.
 * KILN_STATUS_ARG, without suspending anything, if caller is NULL or the calling code does
 * not run in a task (a plain call such as kiln_call: there is no one to give control to);
 * KILN_STATUS_CANCELLED if the task is being freed (kiln_task_free): return from the host
 * function, the call unwinds. A host function may yield from a wasm call nested in the task
 * (wasm -> host -> kiln_call -> wasm -> host -> kiln_yield): the whole task is suspended. */
kiln_status kiln_yield(kiln_instance *caller, const kiln_val *value, kiln_val *resumed);

/* ---- Pools ---- */

typedef struct kiln_pool_config {
    uint32_t slots;            /* instances the pool can hold at once */
    uint64_t max_memory_pages; /* per instance; 0 = 65536 (4 GiB) */
    uint32_t max_table_elems;  /* per table; 0 = 10,000,000 */
    size_t stack_size;         /* wasm stack budget per entry; 0 = 992 KiB */
    /* Stack kept free below the wasm stack for host functions called from wasm and the
     * runtime's helpers, counted from the bottom of the thread's stack; 0 = 128 KiB, and at
     * least 16 KiB (small wasm functions that call no wasm code run there without a stack
     * check of their own). A thread with less than twice this much stack keeps half of it
     * (docs/abi.md, "Stack headroom"). */
    size_t stack_headroom;
    /* Pools of any module: how many freed instances' memory reservations the pool keeps for
     * its next instances (8 GiB of address space each for a guard-page memory); the others
     * are released by kiln_instance_free. 0 = 64, UINT32_MAX = one per slot. Module pools
     * reserve their memories once, at creation, and ignore it. */
    uint32_t cached_memories;
} kiln_pool_config;

/* A pool of config->slots instances of any modules (kiln_instance_new_in). A slot allocates
 * its records at its first use and keeps them for the next instance. An instance reserves
 * its memory unless its slot kept a freed instance's reservation: freed reservations are
 * kept while the pool holds fewer than config->cached_memories of them and released
 * otherwise (so a pool that once held thousands of instances does not keep their address
 * space). On success *out is the caller's: release it with kiln_pool_free. */
kiln_status kiln_pool_new(const kiln_pool_config *config, kiln_pool **out);

/* A pool of config->slots instances of one module, prepared once: the descriptor checked,
 * its signatures interned, its data segments laid out as one image, every slot's records
 * allocated and its guarded memory reserved (8 GiB of address space per memory per slot,
 * so at most ~16,000 slots with a memory fit in a 47-bit address space). Instantiating from
 * it makes no system call once a slot has been used; freeing an instance resets its slot in
 * proportion to what it touched. module must outlive the pool.
 * KILN_STATUS_NOMEM if the address space or memory cannot be reserved, KILN_STATUS_LIMIT if
 * the module's initial memory/tables exceed config's limits, KILN_STATUS_ARG/ABI for a bad
 * descriptor. On success *out is the caller's: release it with kiln_pool_free. */
kiln_status kiln_module_pool_new(const kiln_module *module, const kiln_pool_config *config,
                                 kiln_pool **out);
/* Instantiates the pool's module in a free slot: binds imports, initialises globals, tables
 * and memory, runs the start function (see kiln_instance_new). KILN_STATUS_POOL_EXHAUSTED
 * when every slot is in use. Thread-safe. *out is set only on success; kiln_instance_free
 * resets the slot and returns it to the pool. */
kiln_status kiln_pool_instantiate(kiln_pool *pool, const kiln_imports *imports, kiln_instance **out,
                                  kiln_trap *trap);
/* The module a module pool was created for; NULL for a pool of any module. */
const kiln_module *kiln_pool_module(const kiln_pool *pool);

/* Every instance of the pool should have been freed; if some are alive, the pool is released
 * with the last of them. NULL is ignored. */
void kiln_pool_free(kiln_pool *pool);

/* ---- Per-instance limits (docs/limits.md) ---- */

/* What a grow callback is asked about. */
typedef enum kiln_grow_kind {
    KILN_GROW_MEMORY, /* memory.grow; sizes in the memory's pages (64 KiB, or 1 byte) */
    KILN_GROW_TABLE,  /* table.grow; sizes in elements */
} kiln_grow_kind;

/* Asked before every memory.grow and table.grow that inst's code runs (on its own memories
 * and tables or imported ones; index in inst's index space) once the size limits allow it,
 * before anything changes: current and requested are the sizes before and after. true lets
 * the growth go ahead (it can still fail if the system is out of memory); false makes the
 * instruction fail as the specification allows (it returns -1). Not asked for a growth by 0
 * or one over a limit. Runs on inst's thread in the middle of its wasm code, on the stack
 * headroom: it may look at inst (kiln_instance_memory, kiln_instance_user) but must not free
 * it or leave with longjmp. For a shared memory it runs holding the memory's growth lock
 * (other threads' memory.grow of it wait): it must not grow a shared memory itself, e.g. by
 * calling wasm code that does. */
typedef bool (*kiln_grow_fn)(void *env, kiln_instance *inst, kiln_grow_kind kind, uint32_t index,
                             uint64_t current, uint64_t requested);

/* Limits the host sets on one instance, whatever its module declares. 0 (NULL) means the
 * pool's; otherwise each size limit combines with its pool's and the smaller wins. Memory
 * and table limits bound what the instance defines: a memory or table it imports keeps the
 * limits its owner gave it. */
typedef struct kiln_instance_limits {
    uint64_t max_memory_pages; /* per memory; memory.grow past it returns -1 */
    uint32_t max_table_elems;  /* per table; table.grow past it returns -1 */
    size_t stack_size;         /* wasm stack budget per entry: KILN_TRAP_STACK_EXHAUSTED */
    size_t stack_headroom;     /* replaces the pool's stack_headroom (not combined) */
    kiln_grow_fn on_grow;      /* NULL: growth is bounded by the sizes alone */
    void *on_grow_env;         /* on_grow's first argument; must outlive the instance */
} kiln_instance_limits;

/* kiln_instance_new_in (pool NULL: the default pool of kiln_instance_new; a module pool:
 * module must be its module, as for kiln_pool_instantiate) with limits for this instance;
 * limits NULL is kiln_instance_new_in itself. *limits is copied: it need not outlive the
 * call. A memory or table whose initial size is over its limit fails with
 * KILN_STATUS_LIMIT before anything is initialised, kiln_last_error() naming it. Thread-safe
 * like kiln_instance_new_in; *out is set only on success (kiln_instance_free). */
kiln_status kiln_instance_new_ex(kiln_pool *pool, const kiln_module *module,
                                 const kiln_imports *imports, const kiln_instance_limits *limits,
                                 kiln_instance **out, kiln_trap *trap);

#ifdef __cplusplus
}
#endif

#endif
