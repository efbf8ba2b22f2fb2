/* abi.h -- the contract between Kiln-generated code and libkiln_runtime.
 *
 * Generated objects and the runtime agree on exactly what is in this file and nothing else;
 * KILN_ABI_VERSION changes whenever any layout or signature here changes, and
 * kiln_instance_new() refuses a module descriptor built for another version.
 *
 * Design (docs/abi.md has the reasons):
 *  - Every compiled function takes the instance context (kiln_vmctx *) as its first argument.
 *  - kiln_vmctx is a fixed 64-byte header followed by a per-module area whose layout the
 *    compiler chooses and records in the descriptor (kiln_module_desc.layout): imported
 *    function slots, table pointers, global cells, canonical signature ids, funcref records,
 *    dropped-segment flags. Generated code addresses all of it at constant offsets.
 *  - Layout is target-independent: every pointer-sized field is stored in an 8-byte slot
 *    (kiln_ptr64), so a compiler running on x86-64 lays out vmctx for a 32-bit ARM target
 *    without knowing the target's struct rules. Little-endian targets only.
 *  - Memory 0 is reached through vmctx->memory0 (a kiln_memory record that may belong to
 *    another instance when the memory is imported), every memory (0 included) through the
 *    per-module array at layout.memories. With guard pages a 32-bit memory's base never
 *    moves, so generated code loads it once per function.
 *  - Traps: generated code calls kiln_trap_raise (noreturn), which unwinds to the innermost
 *    host->wasm entry. Faults in guarded memory are turned into the same trap by the runtime's
 *    signal handler.
 */
#ifndef KILN_ABI_H
#define KILN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ABI_VERSION 9u

/* Pointer-sized values in a fixed 8-byte slot (see above). */
typedef union kiln_ptr64 {
    void *p;
    uint64_t pad;
} kiln_ptr64;

/* Value types as the binary format encodes them. */
enum {
    KILN_TYPE_I32 = 0x7F,
    KILN_TYPE_I64 = 0x7E,
    KILN_TYPE_F32 = 0x7D,
    KILN_TYPE_F64 = 0x7C,
    KILN_TYPE_V128 = 0x7B,
    KILN_TYPE_FUNCREF = 0x70,
    KILN_TYPE_EXTERNREF = 0x6F,
    KILN_TYPE_EXNREF = 0x69, /* exceptions: a kiln_exn * */
    KILN_TYPE_ANYREF = 0x6E, /* GC's hierarchy (any, eq, i31, struct, array, none): always
                                NULL, Kiln compiles no instruction that makes another value */
};

/* Typed references (Wasm 3.0 function references). A reference-typed value's type byte is
 * KILN_TYPE_FUNCREF, _EXTERNREF, _EXNREF or _ANYREF (its representation: a const
 * kiln_funcref *, an opaque host pointer, a kiln_exn *, always NULL); where the descriptor
 * can say more it adds a reference word:
 *   0                          the type byte alone: (ref null func) / (ref null extern) / ...
 *   KILN_REF_NON_NULL | heap   (ref heap), null excluded
 *   heap                       (ref null heap)
 * heap is an abstract heap type of the byte's hierarchy (KILN_HEAP_FUNC, _NOFUNC; _EXTERN,
 * _NOEXTERN; _EXN, _NOEXN; _ANY, _EQ, _I31, _STRUCT, _ARRAY, _NONE), or KILN_HEAP_TYPE + x for the
 * module's type index x (a function type). Inside a descriptor x is module-relative; the
 * runtime's canonical words (kiln_table.elem_ref) use KILN_HEAP_TYPE + the canonical
 * signature id instead. */
#define KILN_REF_NON_NULL 0x80000000u
#define KILN_REF_HEAP     0x7FFFFFFFu /* mask */
enum {
    KILN_HEAP_EXN = 0x69,
    KILN_HEAP_ARRAY = 0x6A,
    KILN_HEAP_STRUCT = 0x6B,
    KILN_HEAP_I31 = 0x6C,
    KILN_HEAP_EQ = 0x6D,
    KILN_HEAP_ANY = 0x6E,
    KILN_HEAP_EXTERN = 0x6F,
    KILN_HEAP_FUNC = 0x70,
    KILN_HEAP_NONE = 0x71,
    KILN_HEAP_NOEXTERN = 0x72,
    KILN_HEAP_NOFUNC = 0x73,
    KILN_HEAP_NOEXN = 0x74,
    KILN_HEAP_TYPE = 0x100,
};

/* Traps. Values are ABI: generated code passes them to kiln_trap_raise. */
typedef enum kiln_trap {
    KILN_TRAP_NONE = 0,
    KILN_TRAP_UNREACHABLE,       /* "unreachable" */
    KILN_TRAP_MEMORY_OOB,        /* "out of bounds memory access" */
    KILN_TRAP_INT_DIV_ZERO,      /* "integer divide by zero" */
    KILN_TRAP_INT_OVERFLOW,      /* "integer overflow" */
    KILN_TRAP_BAD_CONVERSION,    /* "invalid conversion to integer" */
    KILN_TRAP_TABLE_OOB,         /* "out of bounds table access" */
    KILN_TRAP_UNDEFINED_ELEMENT, /* "undefined element" (call_indirect index >= table size) */
    KILN_TRAP_UNINITIALIZED,     /* "uninitialized element" (call_indirect on null) */
    KILN_TRAP_INDIRECT_TYPE,     /* "indirect call type mismatch" */
    KILN_TRAP_STACK_EXHAUSTED,   /* "call stack exhausted" */
    KILN_TRAP_HOST,              /* a host function reported a failure */
    KILN_TRAP_EXIT,              /* WASI proc_exit unwinding; not an error */
    KILN_TRAP_INTERRUPTED,       /* "interrupted": kiln_instance_interrupt or a deadline */
    KILN_TRAP_NULL_FUNC_REF,     /* "null function reference" (call_ref on null) */
    KILN_TRAP_NULL_REF,          /* "null reference" (ref.as_non_null on null) */
    KILN_TRAP_NULL_EXN_REF,      /* "null exception reference" (throw_ref of null) */
    KILN_TRAP_EXCEPTION,         /* "uncaught exception": a Wasm exception reached the
                                    host->wasm entry (kiln_last_exception says which) */
    KILN_TRAP_UNALIGNED_ATOMIC,  /* "unaligned atomic": an atomic access whose effective
                                    address is not a multiple of its size (threads) */
    KILN_TRAP_UNSHARED_WAIT,     /* "expected shared memory": memory.atomic.wait32/64 on a
                                    memory that is not shared */
    KILN_TRAP_COUNT
} kiln_trap;

/* A 128-bit vector value, as stored in globals, tables of locals and kiln_val. */
typedef struct kiln_v128 {
    uint8_t bytes[16];
} kiln_v128;

struct kiln_vmctx;

/* A function reference: what a funcref table element, a ref.func result and an imported
 * function slot point to. One record per (instance, function); equal references are equal
 * pointers, across modules. */
typedef struct kiln_funcref {
    kiln_ptr64 code;        /* native code: RESULT code(kiln_vmctx *, params...) */
    kiln_ptr64 vmctx;       /* the instance (or host adapter context) it runs with */
    kiln_ptr64 array_entry; /* kiln_array_fn for generic calls from the host */
    uint32_t sig;           /* canonical signature id, process-wide (kiln_sig_intern) */
    uint32_t reserved;
} kiln_funcref;

/* A tag (exceptions): what throw names and a catch clause compares. One record per
 * (instance, defined tag); an imported tag is its exporter's record, so a tag's identity is
 * its record's address. */
typedef struct kiln_tag {
    uint32_t sig; /* canonical signature id of the tag's type (its parameters; no results) */
    uint32_t reserved;
} kiln_tag;

/* An exception, as generated code sees it (an exnref points here). The runtime allocates it,
 * with the unwinder's header in front of it (runtime-private, target-specific). */
typedef struct kiln_exn {
    kiln_ptr64 tag;   /* const kiln_tag * */
    uint32_t count;   /* values */
    uint32_t flags;   /* runtime-private */
    kiln_ptr64 owner; /* runtime-private */
    uint64_t reserved;
    uint64_t values[]; /* count values, 16 bytes each (as kiln_array_fn's array) */
} kiln_exn;
#define KILN_EXN_VALUES 32u /* offsetof(kiln_exn, values) */

/* A generic call: args_results holds the parameters on entry and the results on return,
 * 16 bytes per value (so a v128 fits), in order. */
typedef void (*kiln_array_fn)(struct kiln_vmctx *vmctx, void *code, uint64_t *args_results);

/* A linear memory. Owned by the instance that defines it (or by the host); an importing
 * instance points at the same record, so growth is seen by every user. */
typedef struct kiln_memory {
    kiln_ptr64 base;    /* never moves while the memory lives (guard-page mode) */
    uint64_t size;      /* bytes accessible now: pages * the page size (64 KiB, or 1 byte) */
    uint64_t max_pages; /* declared maximum (capped at 4 GiB of pages), or 4 GiB of pages */
    uint64_t reserved;  /* bytes of address space reserved at base (incl. guard) */
} kiln_memory;

/* A table. Elements are const kiln_funcref * (funcref) or opaque host pointers (externref);
 * NULL is the null reference. */
typedef struct kiln_table {
    kiln_ptr64 elems; /* capacity entries of the host's pointer size (void *) */
    uint32_t size;
    uint32_t max; /* declared maximum, or UINT32_MAX */
    uint32_t capacity;
    uint8_t elem_type; /* KILN_TYPE_FUNCREF or KILN_TYPE_EXTERNREF */
    uint8_t reserved[3];
    uint32_t elem_ref; /* canonical reference word of the element type (0: elem_type alone) */
    uint32_t reserved2;
} kiln_table;

/* A global's storage. 16 bytes so every value type fits; numbers are little-endian at
 * offset 0, references are pointers at offset 0. */
typedef struct kiln_global_cell {
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        kiln_v128 v128;
        kiln_ptr64 ref;
    } u;
} kiln_global_cell;

/* The fixed header of every instance context. Offsets are ABI (checked below). */
typedef struct kiln_vmctx {
    kiln_ptr64 memory0;    /* 0:  kiln_memory * of memory 0, or NULL */
    kiln_ptr64 mem0_base;  /* 8:  cached memory0->base (guard-page mode: never changes) */
    uint64_t stack_limit;  /* 16: lowest stack address wasm may use; checked in prologues */
    uint32_t interrupt;    /* 24: non-zero asks generated code to stop (KILN_TRAP_INTERRUPTED,
                              which clears it) at its next check: entries and loops that
                              call (KILN_MODULE_INTERRUPT_CHECKS: a signal does the rest), or
                              every back-edge and calling function's entry (..._FULL) */
    uint32_t reserved28;   /* 28 */
    kiln_ptr64 instance;   /* 32: the kiln_instance that owns this context */
    kiln_ptr64 module;     /* 40: const kiln_module_desc * */
    kiln_ptr64 import_env; /* 48: sealed imports' env (kiln_instance_set_import_env) */
    uint64_t reserved;     /* 56 */
    /* 64: the per-module area described by kiln_module_desc.layout */
} kiln_vmctx;

#define KILN_VMCTX_MEMORY0     0u
#define KILN_VMCTX_MEM0_BASE   8u
#define KILN_VMCTX_STACK_LIMIT 16u
#define KILN_VMCTX_INTERRUPT   24u
#define KILN_VMCTX_INSTANCE    32u
#define KILN_VMCTX_MODULE      40u
#define KILN_VMCTX_IMPORT_ENV  48u
#define KILN_VMCTX_HEADER_SIZE 64u

/* One imported function's slot in vmctx: the callee and the context to pass it. Bound to
 * another instance's export, it copies that funcref's code/vmctx; bound to a host function,
 * code is the module's generated adapter for that import and vmctx is the importer's own. */
typedef struct kiln_import_slot {
    kiln_ptr64 code;
    kiln_ptr64 vmctx;
    kiln_ptr64 ref;  /* const kiln_funcref * that ref.func / table.get of this import yields */
    kiln_ptr64 host; /* host imports: const kiln_host_func * (see kiln.h); else NULL */
} kiln_import_slot;

/* Where the per-module parts of vmctx are, in bytes from the start of vmctx. */
typedef struct kiln_vmctx_layout {
    uint32_t size;         /* total bytes of vmctx, header included, multiple of 16 */
    uint32_t imports;      /* kiln_import_slot[func_import_count] */
    uint32_t tables;       /* kiln_ptr64 (kiln_table *)[table_count] */
    uint32_t globals;      /* kiln_ptr64 (kiln_global_cell *)[global_count]: every global */
    uint32_t global_cells; /* kiln_global_cell[defined global count]: the defined ones */
    uint32_t sig_ids;      /* uint32_t[type_count]: canonical signature id per type index */
    uint32_t funcrefs;     /* kiln_funcref[func_count - func_import_count]: defined funcs */
    uint32_t elem_dropped; /* uint8_t[elem_count] */
    uint32_t data_dropped; /* uint8_t[data_count] */
    uint32_t memories;     /* kiln_ptr64 (kiln_memory *)[memory_count] */
    uint32_t tags;         /* kiln_ptr64 (const kiln_tag *)[tag_count]: every tag, imports first */
    uint32_t tag_records;  /* kiln_tag[tag_count - tag imports]: the defined tags */
    uint32_t reserved;
} kiln_vmctx_layout;

/* ---- The module descriptor: constant data the compiler emits as `P_module`. ----
 * Every field has a fixed size and position on every target (pointers in kiln_ptr64), so
 * the compiler emits it as plain data without target struct rules. Strings are UTF-8 with
 * an explicit length (and a NUL after them for convenience). */

/* A constant expression. Wasm 2.0's single instructions are kinds 0-3; an extended constant
 * expression (Wasm 3.0: i32/i64 add, sub, mul over constants and globals) that reads a
 * global is KILN_INIT_EXPR, evaluated at instantiation (the compiler folds those that read
 * none into KILN_INIT_CONST). */
enum {
    KILN_INIT_CONST = 0,  /* value holds the constant (t.const) */
    KILN_INIT_GLOBAL = 1, /* global.get index */
    KILN_INIT_REF_NULL = 2,
    KILN_INIT_REF_FUNC = 3, /* ref.func index */
    KILN_INIT_EXPR = 4,     /* expr: index bytes of the expression in the binary encoding,
                               `end` included (kiln_init_expr) */
};
/* The deepest operand stack of a KILN_INIT_EXPR (deeper ones are refused when compiled). */
#define KILN_INIT_EXPR_MAX_DEPTH 256
typedef struct kiln_init_desc {
    uint8_t kind;
    uint8_t type; /* value type of the result */
    uint8_t reserved[2];
    uint32_t index;
    kiln_ptr64 expr; /* KILN_INIT_EXPR: const uint8_t * */
    kiln_global_cell value;
} kiln_init_desc;

typedef struct kiln_str_desc {
    kiln_ptr64 ptr; /* const char * */
    uint32_t len;
    uint32_t reserved;
} kiln_str_desc;

typedef struct kiln_functype_desc {
    uint32_t param_count, result_count;
    kiln_ptr64 types;    /* const uint8_t *: params then results, KILN_TYPE_* */
    kiln_ptr64 refs;     /* const uint32_t *: the reference word of each param then result (0
                            for numbers), or NULL when every word is 0 */
    uint32_t group;      /* index of the first type of its recursion group */
    uint32_t group_size; /* types in that group (1: a type defined on its own) */
} kiln_functype_desc;

typedef struct kiln_limits_desc {
    uint64_t min, max;
    uint8_t has_max;
    uint8_t is64;           /* memories: 64-bit addresses (memory64) */
    uint8_t one_byte_pages; /* memories: 1 if their pages are 1 byte (custom-page-sizes),
                               0 for 64 KiB pages; min and max count such pages */
    uint8_t shared;         /* memories: 1 if shared (threads; has_max is then 1) */
    uint8_t reserved[4];
} kiln_limits_desc;

/* KILN_KIND_TAG is 5: 4 is kiln.h's KILN_KIND_HOST_FUNC. */
enum {
    KILN_KIND_FUNC = 0,
    KILN_KIND_TABLE = 1,
    KILN_KIND_MEMORY = 2,
    KILN_KIND_GLOBAL = 3,
    KILN_KIND_TAG = 5,
};

typedef struct kiln_import_desc {
    kiln_str_desc module, name;
    uint8_t kind;            /* KILN_KIND_* */
    uint8_t type;            /* tables: element type; globals: value type */
    uint8_t mut;             /* globals */
    uint8_t sealed;          /* functions: bound at link time to the C function
                                PREFIX_import_M_N (docs/abi.md "Sealed imports"):
                                instantiation binds the module's own adapter, which calls
                                it, and looks for nothing in kiln_imports */
    uint32_t index;          /* index in its index space */
    uint32_t type_index;     /* functions, tags */
    uint32_t ref;            /* tables, globals: reference word of type (module-relative) */
    kiln_limits_desc limits; /* tables and memories */
} kiln_import_desc;

typedef struct kiln_export_desc {
    kiln_str_desc name;
    uint8_t kind;
    uint8_t reserved[3];
    uint32_t index;
} kiln_export_desc;

typedef struct kiln_func_desc {
    kiln_ptr64 code;        /* defined: the function; imported: the host adapter */
    kiln_ptr64 array_entry; /* kiln_array_fn for its signature */
    uint32_t type_index;
    uint32_t reserved;
    kiln_str_desc name; /* from the name section, or empty */
} kiln_func_desc;

typedef struct kiln_table_desc {
    uint8_t elem_type;
    uint8_t imported;
    uint8_t has_init; /* defined tables: elements start as init, not null */
    uint8_t reserved;
    uint32_t elem_ref; /* reference word of the element type (module-relative) */
    kiln_limits_desc limits;
    kiln_init_desc init; /* has_init: the table's initialiser expression (Wasm 3.0) */
} kiln_table_desc;

typedef struct kiln_memory_desc {
    uint8_t imported;
    uint8_t reserved[7];
    kiln_limits_desc limits;
} kiln_memory_desc;

typedef struct kiln_global_desc {
    uint8_t type;
    uint8_t mut;
    uint8_t imported;
    uint8_t reserved;
    uint32_t ref;        /* reference word of type (module-relative) */
    kiln_init_desc init; /* defined globals */
} kiln_global_desc;

enum { KILN_SEG_MODE_ACTIVE = 0, KILN_SEG_MODE_PASSIVE = 1, KILN_SEG_MODE_DECLARATIVE = 2 };

typedef struct kiln_elem_desc {
    uint8_t mode;
    uint8_t elem_type;
    uint8_t reserved[2];
    uint32_t table;
    uint32_t count;
    uint32_t ref; /* reference word of the segment's type (module-relative) */
    kiln_init_desc offset;
    kiln_ptr64 items; /* const kiln_init_desc[count] */
} kiln_elem_desc;

typedef struct kiln_tag_desc {
    uint32_t type_index; /* its type: a function type without results */
    uint8_t imported;
    uint8_t reserved[3];
} kiln_tag_desc;

typedef struct kiln_data_desc {
    uint8_t mode;
    uint8_t reserved[3];
    uint32_t memory;
    uint32_t size;
    uint32_t reserved2;
    kiln_init_desc offset;
    kiln_ptr64 bytes; /* const uint8_t[size] */
} kiln_data_desc;

#define KILN_MODULE_BOUNDS_CHECKED   0x1u /* compiled with explicit bounds checks */
#define KILN_MODULE_INTERRUPT_CHECKS 0x2u /* checks vmctx->interrupt (kiln_instance_interrupt) */
#define KILN_MODULE_INTERRUPT_FULL   0x4u /* ... on every loop: no interrupt signal needed */

typedef struct kiln_module_desc {
    uint32_t abi_version; /* KILN_ABI_VERSION */
    uint32_t flags;       /* KILN_MODULE_* */
    kiln_str_desc name;   /* the prefix it was compiled with */
    kiln_vmctx_layout layout;
    uint32_t type_count, import_count, func_count, func_import_count;
    uint32_t table_count, memory_count, global_count, export_count;
    uint32_t elem_count, data_count;
    uint32_t start;      /* function index, or UINT32_MAX */
    uint32_t tag_count;  /* imports first */
    kiln_ptr64 types;    /* const kiln_functype_desc[type_count] */
    kiln_ptr64 imports;  /* const kiln_import_desc[import_count] */
    kiln_ptr64 funcs;    /* const kiln_func_desc[func_count] */
    kiln_ptr64 tables;   /* const kiln_table_desc[table_count] */
    kiln_ptr64 memories; /* const kiln_memory_desc[memory_count] */
    kiln_ptr64 globals;  /* const kiln_global_desc[global_count] */
    kiln_ptr64 exports;  /* const kiln_export_desc[export_count] */
    kiln_ptr64 elems;    /* const kiln_elem_desc[elem_count] */
    kiln_ptr64 datas;    /* const kiln_data_desc[data_count] */
    /* [code_begin, code_end) holds all of the module's generated code: the signal handler
     * claims a fault only when the faulting PC is inside a registered range. */
    kiln_ptr64 code_begin, code_end;
    kiln_ptr64 tags; /* const kiln_tag_desc[tag_count] */
} kiln_module_desc;

/* ---- Runtime functions generated code calls. All take the calling vmctx first. ---- */

/* Exceptions (Wasm 3.0), on targets whose C library has an unwinder (DWARF call frame
 * information: x86-64, aarch64, riscv64 Linux; the ARM EHABI's exception index tables:
 * 32-bit ARM Linux): a function that catches has landing pads
 * and kiln_eh_personality as its personality routine; a throw unwinds (forced, phase 2 only)
 * to the innermost landing pad of the current host->wasm entry, or to the entry itself
 * (KILN_TRAP_EXCEPTION). Generated code reads kiln_exn's tag and values. */
/* throw: a new exception of tag carrying values (16 bytes each, as many as the tag's type
 * has parameters). */
__attribute__((noreturn)) void kiln_throw(kiln_vmctx *vmctx, const kiln_tag *tag,
                                          const uint64_t *values);
/* throw_ref: raises exn again; NULL traps KILN_TRAP_NULL_EXN_REF. */
__attribute__((noreturn)) void kiln_throw_ref(kiln_vmctx *vmctx, kiln_exn *exn);
/* In a landing pad: the exception behind the unwinder's header (landingpad's pointer). */
kiln_exn *kiln_exn_get(void *header);
/* After a catch clause took what it needs, how the code goes on holding exn:
 *   KILN_EXN_CATCH  catch, catch_all: done with; freed unless something holds it
 *   KILN_EXN_REF    catch_ref, catch_all_ref: an exnref value, alive until the instance of
 *                   vmctx is freed (unless some instance already owns it)
 *   KILN_EXN_HOLD   legacy catch, catch_all: held by the handler (which may rethrow it)
 *                   until kiln_exn_drop; freed if the activation traps first */
#define KILN_EXN_CATCH 0u
#define KILN_EXN_REF   1u
#define KILN_EXN_HOLD  2u
void kiln_exn_caught(kiln_vmctx *vmctx, kiln_exn *exn, uint32_t how);
/* A legacy handler that holds exn is left: normally (inflight NULL), or by unwinding with
 * the exception inflight, which may be exn itself (rethrow). The last holder frees exn unless
 * it is inflight or an exnref refers to it. */
void kiln_exn_drop(kiln_exn *exn, kiln_exn *inflight);
/* The personality routine of generated functions that catch (the unwinder's calling
 * convention; declared here so that generated code names it). */
#if defined(__arm__) && defined(__ARM_EABI__) && !defined(__ARM_DWARF_EH__)
int kiln_eh_personality(int state, void *header, void *context); /* the EHABI's */
#else
int kiln_eh_personality(int version, int actions, uint64_t exception_class, void *header,
                        void *context);
#endif

/* Unwinds to the innermost host->wasm entry with the given trap. */
__attribute__((noreturn)) void kiln_trap_raise(kiln_vmctx *vmctx, uint32_t trap);

/* Called by the module's generated adapter for a function import bound to a host function:
 * converts the 16-byte-per-value array to kiln_val, calls the host, converts the results
 * back, and raises the host's trap if it returned one. */
void kiln_host_call(kiln_vmctx *vmctx, uint32_t import_index, uint64_t *args_results);

/* Called by a sealed import's adapter when its C function returned trap (not
 * KILN_TRAP_NONE): raises trap in the caller, or for KILN_TRAP_EXCEPTION throws what the
 * function staged with kiln_host_throw, else the calling thread's last exception (the one a
 * call into wasm it made ended with). */
__attribute__((noreturn)) void kiln_sealed_return(kiln_vmctx *vmctx, uint32_t trap);

/* riscv64 and 32-bit ARM (docs/abi.md, "Functions"): `kiln_spill_area`, an array of this
 * many bytes (thread-local; a plain array on bare metal) that holds the parameters of a Wasm
 * call that do not fit the argument registers: written by the caller, read by the callee at
 * its entry, so that every call -- and so every tail call -- passes arguments in registers. */
#define KILN_SPILL_AREA_SIZE 16384u

/* Memory indices count imports. Addresses and lengths are u64 for every memory (generated
 * code zero-extends a 32-bit memory's operands). */
/* memory.grow: returns the old size in pages, or UINT64_MAX on failure (a 32-bit memory's
 * code truncates it to -1). */
uint64_t kiln_memory_grow(kiln_vmctx *vmctx, uint32_t memory, uint64_t delta_pages);
/* memory.init / data.drop (bulk memory); trap on out-of-bounds. */
void kiln_memory_init(kiln_vmctx *vmctx, uint32_t memory, uint32_t data, uint64_t dst, uint32_t src,
                      uint32_t len);
void kiln_data_drop(kiln_vmctx *vmctx, uint32_t data);
/* memory.copy (from memory src_memory to dst_memory, which may be the same) / memory.fill
 * with the spec's bounds rules (checked before any byte moves). */
void kiln_memory_copy(kiln_vmctx *vmctx, uint32_t dst_memory, uint32_t src_memory, uint64_t dst,
                      uint64_t src, uint64_t len);
void kiln_memory_fill(kiln_vmctx *vmctx, uint32_t memory, uint64_t dst, uint32_t value,
                      uint64_t len);

/* Threads. Generated code checks bounds and alignment (KILN_TRAP_UNALIGNED_ATOMIC) and
 * does atomic loads, stores, read-modify-writes and fences inline (sequentially
 * consistent); wait and notify park and wake threads in the runtime. ptr is the host address
 * of the checked, aligned access in memory `memory` of vmctx's instance; timeout_ns < 0
 * waits forever. wait: 0 woken by a notify, 1 the value at ptr was not expected ("not-equal"),
 * 2 timed out; traps KILN_TRAP_UNSHARED_WAIT if the memory is not shared, and
 * KILN_TRAP_INTERRUPTED if the instance is interrupted while it waits. notify: wakes up to
 * count threads waiting on ptr (any instance sharing the memory), returns how many; 0 for a
 * memory that is not shared. A shared memory's size is read with acquire ordering. */
uint32_t kiln_atomic_wait32(kiln_vmctx *vmctx, uint32_t memory, void *ptr, uint32_t expected,
                            int64_t timeout_ns);
uint32_t kiln_atomic_wait64(kiln_vmctx *vmctx, uint32_t memory, void *ptr, uint64_t expected,
                            int64_t timeout_ns);
uint32_t kiln_atomic_notify(kiln_vmctx *vmctx, uint32_t memory, void *ptr, uint32_t count);

/* Table instructions beyond get/set/size, which generated code does inline. */
uint32_t kiln_table_grow(kiln_vmctx *vmctx, uint32_t table, void *init, uint32_t delta);
void kiln_table_fill(kiln_vmctx *vmctx, uint32_t table, uint32_t dst, void *value, uint32_t len);
void kiln_table_copy(kiln_vmctx *vmctx, uint32_t dst_table, uint32_t src_table, uint32_t dst,
                     uint32_t src, uint32_t len);
void kiln_table_init(kiln_vmctx *vmctx, uint32_t table, uint32_t elem, uint32_t dst, uint32_t src,
                     uint32_t len);
void kiln_elem_drop(kiln_vmctx *vmctx, uint32_t elem);

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(kiln_ptr64) == 8, "kiln_ptr64");
/* The layouts above assume 8-byte aligned 64-bit fields, as on every Kiln target (x86-64,
 * aarch64, riscv64, and 32-bit ARM's EABI); i386's System V ABI (4) is not one. */
_Static_assert(_Alignof(kiln_ptr64) == 8 && _Alignof(uint64_t) == 8, "64-bit field alignment");
_Static_assert(sizeof(kiln_funcref) == 32, "kiln_funcref");
_Static_assert(sizeof(kiln_memory) == 32, "kiln_memory");
_Static_assert(sizeof(kiln_table) == 32, "kiln_table");
_Static_assert(sizeof(kiln_global_cell) == 16, "kiln_global_cell");
_Static_assert(sizeof(kiln_import_slot) == 32, "kiln_import_slot");
_Static_assert(sizeof(kiln_tag) == 8, "kiln_tag");
_Static_assert(sizeof(kiln_exn) == KILN_EXN_VALUES, "kiln_exn header");
_Static_assert(sizeof(kiln_vmctx) == KILN_VMCTX_HEADER_SIZE, "kiln_vmctx header");
_Static_assert(offsetof(kiln_vmctx, stack_limit) == KILN_VMCTX_STACK_LIMIT, "stack_limit");
_Static_assert(offsetof(kiln_vmctx, interrupt) == KILN_VMCTX_INTERRUPT, "interrupt");
_Static_assert(offsetof(kiln_vmctx, instance) == KILN_VMCTX_INSTANCE, "instance");
_Static_assert(offsetof(kiln_vmctx, import_env) == KILN_VMCTX_IMPORT_ENV, "import_env");
#endif

#ifdef __cplusplus
}
#endif

#endif
