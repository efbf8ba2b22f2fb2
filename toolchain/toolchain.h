/* toolchain.h -- the header of the Kiln compiler (libraries kiln_front and kiln_toolchain).
 *
 * Sectioned per file, chibicc/QBE style. The compiler's own files, the kiln program (cli/) and
 * the tests include it; the runtime never sees it, and it knows nothing of the program.
 *
 * Pipeline (compile.c):
 *     bytes --kiln_decode--> wasm_module --kiln_validate--> validated module
 *           --lower--> LLVM IR --emit--> object + kiln_header_generate --> C header
 * wasm_* names are the specification's abstract syntax (a module as it declares itself);
 * kiln_* names are the compiler's machinery. The decoder checks everything the binary format
 * says (malformed); the validator checks everything the validation rules say (invalid). Each
 * check lives in exactly one of them. Input bytes are borrowed: they must outlive the
 * wasm_module (code bodies, names and data segments are slices of the input, never copies).
 */
#ifndef KILN_TOOLCHAIN_H
#define KILN_TOOLCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kiln_limits.h"

#if defined(__GNUC__) || defined(__clang__)
#define KILN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define KILN_NORETURN          __attribute__((noreturn))
#else
#define KILN_PRINTF(fmt, args)
#define KILN_NORETURN
#endif

/* Internal bugs only, never input errors (QBE's die()). Active in every build type. */
KILN_NORETURN void kiln_die(const char *file, int line, const char *expr);
#define KILN_ASSERT(x) ((x) ? (void)0 : kiln_die(__FILE__, __LINE__, #x))

#define KILN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * diag.c
 */

/* The class of an error; the first error wins and is never overwritten. */
typedef enum kiln_err {
    KILN_OK = 0,
    KILN_ERR_MALFORMED,   /* does not decode            (spec: assert_malformed) */
    KILN_ERR_INVALID,     /* decodes, fails validation  (spec: assert_invalid)   */
    KILN_ERR_UNSUPPORTED, /* valid Wasm Kiln does not implement                  */
    KILN_ERR_LIMIT,       /* over an implementation limit in kiln_limits.h         */
    KILN_ERR_NOMEM,       /* the host allocator failed                           */
    KILN_ERR_IO,          /* reading or writing a file failed                    */
    KILN_ERR_LLVM,        /* LLVM reported an error                              */
} kiln_err;

#define KILN_NO_OFFSET SIZE_MAX
#define KILN_NO_FUNC   UINT32_MAX

/* The WebAssembly 3.0 features Kiln recognises. Their names are the proposals' and those of
 * `kiln compile --disable-NAME`; modules using one Kiln does not compile (or one disabled)
 * are rejected with KILN_ERR_UNSUPPORTED "unsupported feature: NAME (what was met)". */
#define KILN_FEATURE_GC                  "gc"
#define KILN_FEATURE_EXCEPTIONS          "exceptions"
#define KILN_FEATURE_TAIL_CALL           "tail-call"
#define KILN_FEATURE_FUNCTION_REFERENCES "function-references"
#define KILN_FEATURE_MULTI_MEMORY        "multi-memory"
#define KILN_FEATURE_MEMORY64            "memory64"
#define KILN_FEATURE_EXTENDED_CONST      "extended-const"
#define KILN_FEATURE_RELAXED_SIMD        "relaxed-simd"
#define KILN_FEATURE_THREADS             "threads"
#define KILN_FEATURE_CUSTOM_PAGE_SIZES   "custom-page-sizes"
#define KILN_FEATURE_WIDE_ARITHMETIC     "wide-arithmetic"

/* kiln_compile_options.disabled_features: the compiled features a module may be refused
 * for (features.c). KILN_FEAT_NOT_COMPILED stands for the ones Kiln rejects anyway. */
enum {
    KILN_FEAT_TAIL_CALL = 1u << 0,
    KILN_FEAT_MULTI_MEMORY = 1u << 1,
    KILN_FEAT_MEMORY64 = 1u << 2,
    KILN_FEAT_EXTENDED_CONST = 1u << 3,
    KILN_FEAT_RELAXED_SIMD = 1u << 4,
    KILN_FEAT_WIDE_ARITHMETIC = 1u << 5,
    KILN_FEAT_CUSTOM_PAGE_SIZES = 1u << 6,
    KILN_FEAT_FUNCTION_REFERENCES = 1u << 7,
    KILN_FEAT_EXCEPTIONS = 1u << 8,
    KILN_FEAT_GC = 1u << 9, /* the part compiled: the abstract heap types any, eq, ..., none */
    KILN_FEAT_THREADS = 1u << 10,
    KILN_FEAT_NOT_COMPILED = 1u << 31,
};

typedef struct kiln_diag {
    kiln_err code;
    size_t offset;         /* byte offset in the input; KILN_NO_OFFSET if not about the input */
    uint32_t func_index;   /* function index (imports counted); KILN_NO_FUNC outside bodies */
    uint32_t line, column; /* module text: 1-based position (offset is then in the text); 0 for
                              binary input and errors without a place in the text */
    char msg[192];         /* lower-case, no trailing period; the spec's wording first */
    const char *feature;   /* the Wasm 3.0 feature met (a KILN_FEATURE_* name), else NULL:
                              always set for KILN_ERR_UNSUPPORTED from the decoder and the
                              validator, and set for KILN_ERR_INVALID where Wasm 2.0 and 3.0
                              disagree about the same bytes (see docs/limits.md) */
} kiln_diag;

void kiln_diag_init(kiln_diag *d);
/* Records an error unless one is recorded already. Always returns false. */
bool kiln_diag_set(kiln_diag *d, kiln_err code, size_t offset, const char *fmt, ...)
    KILN_PRINTF(4, 5);
/* "malformed", "invalid", ... as used in the CLI's text and JSON output. */
const char *kiln_err_class(kiln_err code);
/* Prints "FILE:0xOFFSET: error: MESSAGE" (+ " (in function N)") to a string, or
 * "FILE:LINE:COLUMN: error: MESSAGE" for an error in module text. */
int kiln_diag_format(const kiln_diag *d, const char *file, char *buf, size_t size);
/* Formats a one-line message into out[size], cut short if it does not fit: for messages,
 * where a cut is harmless, never for paths (check snprintf's result for those). A NULL out
 * or size 0 writes nothing. */
void kiln_msg(char *out, size_t size, const char *fmt, ...) KILN_PRINTF(3, 4);

/*
 * arena.c -- bump allocation for everything whose lifetime is a module or a function.
 */

/* The backing allocator is injectable so tests can fail the N-th allocation (Lua's
 * lua_Alloc). realloc semantics: size 0 frees. NULL = the C library. */
typedef struct kiln_allocator {
    void *(*realloc)(void *ud, void *ptr, size_t size);
    void *ud;
} kiln_allocator;

typedef struct kiln_arena_chunk kiln_arena_chunk;
typedef struct kiln_arena {
    kiln_arena_chunk *head;
    const kiln_allocator *alloc;
    size_t total; /* bytes handed out, for limits and statistics */
} kiln_arena;

void kiln_arena_init(kiln_arena *a, const kiln_allocator *alloc);
void *kiln_arena_alloc(kiln_arena *a, size_t size, size_t align); /* zeroed; NULL on OOM/overflow */
void *kiln_arena_array(kiln_arena *a, size_t n, size_t elem, size_t align); /* checks n*elem */
void kiln_arena_reset(kiln_arena *a); /* frees all but the first chunk, which is kept for reuse */
void kiln_arena_free(kiln_arena *a);
#define ARENA_NEW(a, T)      ((T *)kiln_arena_alloc((a), sizeof(T), _Alignof(T)))
#define ARENA_ARRAY(a, T, n) ((T *)kiln_arena_array((a), (n), sizeof(T), _Alignof(T)))

/*
 * read.c -- a bounds-checked cursor over untrusted bytes.
 *
 * Every read takes a description ("type count") that ends up in the message:
 *   "unexpected end of section or function: type count" / "integer too large: type count".
 * Every function returns false after recording the first error in *diag.
 */

typedef struct kiln_reader {
    const uint8_t *base; /* start of the module: offsets are p - base */
    const uint8_t *p;
    const uint8_t *end; /* end of the current section / body / sub-range */
    kiln_diag *diag;
    bool multi_memory; /* the module has more than one memory: dec_instr reads the memory
                          index immediates as Wasm 3.0 does (u32) instead of a zero byte */
    bool memory64;     /* the module has a 64-bit memory: memarg offsets are u64 (Wasm 3.0) */
    kiln_diag *later;  /* NULL, or where rd_unsupported_later records a Wasm 3.0 construct
                          read completely (the first one), so that decoding goes on and a
                          malformed byte after it still wins, as the spec's order requires */
    kiln_diag *wasm2;  /* NULL, or where rd_u32_u64 records the first integer Wasm 2.0 finds
                          malformed (a u32 there) but Wasm 3.0 reads (a u64): reading goes on */
} kiln_reader;

void rd_init(kiln_reader *r, const uint8_t *bytes, size_t size, kiln_diag *diag);
static inline size_t rd_offset(const kiln_reader *r)
{
    return (size_t)(r->p - r->base);
}
static inline size_t rd_left(const kiln_reader *r)
{
    return (size_t)(r->end - r->p);
}
static inline bool rd_done(const kiln_reader *r)
{
    return r->p == r->end;
}
/* Records code at the current offset. Returns false. */
bool rd_fail(kiln_reader *r, kiln_err code, const char *fmt, ...) KILN_PRINTF(3, 4);
/* Like rd_fail at an explicit offset. */
bool rd_fail_at(kiln_reader *r, size_t offset, kiln_err code, const char *fmt, ...)
    KILN_PRINTF(4, 5);
/* KILN_ERR_UNSUPPORTED "unsupported feature: FEATURE (WHAT)" at offset, with diag->feature set;
 * WHAT says what was met ("return_call", "tag section"). Returns false. */
bool rd_unsupported(kiln_reader *r, size_t offset, const char *feature, const char *fmt, ...)
    KILN_PRINTF(4, 5);
/* The same for a construct the caller has read completely: with r->later set it is recorded
 * there instead (unless something is already) and true is returned, so reading goes on. */
bool rd_unsupported_later(kiln_reader *r, size_t offset, const char *feature, const char *fmt, ...)
    KILN_PRINTF(4, 5);

bool rd_u8(kiln_reader *r, uint8_t *out, const char *what);
bool rd_bytes(kiln_reader *r, size_t n, const uint8_t **out, const char *what);
bool rd_u32(kiln_reader *r, uint32_t *out, const char *what); /* unsigned LEB128, <= 5 bytes */
bool rd_u64(kiln_reader *r, uint64_t *out, const char *what); /* unsigned LEB128, <= 10 bytes */
bool rd_s32(kiln_reader *r, int32_t *out, const char *what);  /* signed LEB128, <= 5 bytes */
bool rd_s33(kiln_reader *r, int64_t *out, const char *what);  /* signed LEB128, <= 5 bytes */
bool rd_s64(kiln_reader *r, int64_t *out, const char *what);  /* signed LEB128, <= 10 bytes */
/* A u32 in Wasm 2.0 and a u64 in 3.0 (memory64 made limits and memarg offsets u64 for every
 * address type; a 32-bit memory or table is then invalid past 32 bits, see validate.c). A u64
 * that is no valid u32 (a value past 32 bits, or 6..10 bytes) is read, and the u32 error is
 * recorded in r->wasm2 if set; an invalid u64 fails with the u32 error, as a u32 read would. */
bool rd_u32_u64(kiln_reader *r, uint64_t *out, const char *what);
bool rd_f32(kiln_reader *r, uint32_t *out_bits, const char *what);
bool rd_f64(kiln_reader *r, uint64_t *out_bits, const char *what);
/* name ::= vec(byte) that is valid UTF-8 ("malformed UTF-8 encoding"). */
bool rd_name(kiln_reader *r, const char **out, uint32_t *out_len, const char *what);
/* A vector length, bounded by the bytes left (each entry is >= min_entry_bytes) and by
 * limit (KILN_ERR_LIMIT, with the limit's name). Use it before every allocation. */
bool rd_count(kiln_reader *r, uint32_t *out, size_t min_entry_bytes, uint64_t limit,
              const char *what);
/* A sub-reader over the next len bytes; r advances past them. */
bool rd_sub(kiln_reader *r, size_t len, kiln_reader *out, const char *what);
/* Checks UTF-8 per the spec (no overlongs, no surrogates, <= U+10FFFF). */
bool kiln_utf8_valid(const uint8_t *s, size_t n);

/*
 * opcodes.def / opcodes.c -- the instruction table.
 */

typedef enum wasm_imm {
    IMM_NONE,
    IMM_BLOCK,         /* blocktype (block, loop, if) */
    IMM_LABEL,         /* br, br_if: labelidx */
    IMM_BR_TABLE,      /* vec(labelidx) labelidx */
    IMM_FUNC,          /* call, ref.func: funcidx */
    IMM_CALL_INDIRECT, /* typeidx tableidx */
    IMM_TYPE,          /* call_ref, return_call_ref: typeidx */
    IMM_LOCAL,         /* local.get/set/tee */
    IMM_GLOBAL,        /* global.get/set */
    IMM_TABLE,         /* table.get/set/size/grow/fill: tableidx */
    IMM_TABLE_COPY,    /* tableidx(dst) tableidx(src) */
    IMM_TABLE_INIT,    /* elemidx tableidx */
    IMM_ELEM,          /* elem.drop: elemidx */
    IMM_MEMARG,        /* align offset */
    IMM_MEMORY,        /* memory.size/grow/fill: a zero byte (memory index 0) */
    IMM_MEMORY_COPY,   /* two zero bytes */
    IMM_MEMORY_INIT,   /* dataidx, zero byte */
    IMM_DATA,          /* data.drop: dataidx */
    IMM_I32,           /* i32.const: s32 */
    IMM_I64,           /* i64.const: s64 */
    IMM_F32,           /* f32.const: 4 bytes */
    IMM_F64,           /* f64.const: 8 bytes */
    IMM_V128,          /* v128.const: 16 bytes */
    IMM_SHUFFLE,       /* i8x16.shuffle: 16 lane indices */
    IMM_LANE,          /* extract/replace_lane: one lane index byte */
    IMM_MEMARG_LANE,   /* v128.loadN_lane/storeN_lane: memarg + lane index byte */
    IMM_SELECT_T,      /* select t*: vec(valtype) */
    IMM_REFTYPE,       /* ref.null t */
    IMM_TAG,           /* throw, catch (legacy): tagidx */
    IMM_TRY_TABLE,     /* try_table: blocktype vec(catch) */
    IMM_ZERO,          /* atomic.fence: a reserved zero byte */
} wasm_imm;

/* Operand/result letters used in the table's in/out columns:
 *   i = i32  I = i64  f = f32  F = f64  v = v128
 * Ops whose types depend on immediates or the context (control, variables, calls, table.*,
 * ref.*, select, drop ...) have in = out = NULL and are checked by hand in validate.c.
 * Typed rows with index immediates (memory.*, data.drop, elem.drop) still need their
 * indices checked there. */
typedef struct wasm_opinfo {
    const char *name; /* text-format name: "i32.add" */
    uint8_t prefix;   /* 0, 0xFC or 0xFD */
    uint32_t code;    /* the byte, or the u32 after the prefix */
    uint8_t imm;      /* wasm_imm */
    const char *in;   /* operand types, bottom of stack first; NULL = special */
    const char *out;  /* result types; NULL = special */
    uint8_t size;     /* memory ops incl. _lane: bytes accessed (max alignment = log2 size;
                         for v128.loadN_lane/storeN_lane the lane must be < 16/size);
                         extract/replace_lane: number of lanes (lane < size);
                         i8x16.shuffle: 32 (each index < 32); else 0 */
} wasm_opinfo;

typedef enum wasm_op {
#define OP(id, name, prefix, code, imm, in, out, size) WASM_OP_##id,
#include "opcodes.def"
#undef OP
    WASM_OP_COUNT
} wasm_op;

extern const wasm_opinfo wasm_ops[WASM_OP_COUNT];
/* The op for (prefix, code); WASM_OP_COUNT for unknown prefixes and codes. */
uint16_t wasm_op_lookup(uint8_t prefix, uint32_t code);

/*
 * module.h-like part: the decoded module (decode.c fills it, validate.c checks it).
 */

/* A value type. Numbers, v128 and Wasm 2.0's funcref/externref are their binary bytes;
 * the other reference types of Wasm 3.0 (typed function references) are
 * WASM_VT_REF | [WASM_VT_NULLABLE] | heap, where heap is an abstract heap type's byte
 * (WASM_HT_*) or WASM_HT_TYPE + a type index. (ref null func), (ref null extern), (ref null
 * exn) and (ref null any) are always spelt WASM_VT_FUNCREF, WASM_VT_EXTERNREF, WASM_VT_EXNREF
 * and WASM_VT_ANYREF (wasm_ref makes sure), so equal types are equal values. The heap and
 * nullability bits are the runtime's reference word (kiln/abi.h, KILN_REF_*) with the nullability
 * inverted. */
typedef uint32_t wasm_valtype;
enum {
    WASM_VT_UNKNOWN = 0x00, /* validator only: the bottom type of unreachable code */
    WASM_VT_I32 = 0x7F,
    WASM_VT_I64 = 0x7E,
    WASM_VT_F32 = 0x7D,
    WASM_VT_F64 = 0x7C,
    WASM_VT_V128 = 0x7B,
    WASM_VT_FUNCREF = 0x70,
    WASM_VT_EXTERNREF = 0x6F,
    WASM_VT_EXNREF = 0x69, /* (ref null exn): exceptions */
    WASM_VT_ANYREF = 0x6E, /* (ref null any): GC's hierarchy, whose values are all null in
                              Kiln (no GC instruction is compiled) */
};
#define WASM_VT_REF      0x80000000u
#define WASM_VT_NULLABLE 0x40000000u
#define WASM_VT_HEAP     0x3FFFFFFFu /* mask */
enum {
    WASM_HT_EXN = 0x69,
    WASM_HT_ARRAY = 0x6A,
    WASM_HT_STRUCT = 0x6B,
    WASM_HT_I31 = 0x6C,
    WASM_HT_EQ = 0x6D,
    WASM_HT_ANY = 0x6E,
    WASM_HT_EXTERN = 0x6F,
    WASM_HT_FUNC = 0x70,
    WASM_HT_NONE = 0x71,
    WASM_HT_NOEXTERN = 0x72,
    WASM_HT_NOFUNC = 0x73,
    WASM_HT_NOEXN = 0x74,
    WASM_HT_TYPE = 0x100, /* + a type index */
};
/* The reference type (ref [null] heap). */
static inline wasm_valtype wasm_ref(uint32_t heap, bool nullable)
{
    if (nullable && (heap == WASM_HT_FUNC || heap == WASM_HT_EXTERN || heap == WASM_HT_EXN ||
                     heap == WASM_HT_ANY))
        return heap;
    return WASM_VT_REF | (nullable ? WASM_VT_NULLABLE : 0) | heap;
}
static inline bool wasm_valtype_is_ref(wasm_valtype t)
{
    return t == WASM_VT_FUNCREF || t == WASM_VT_EXTERNREF || t == WASM_VT_EXNREF ||
           t == WASM_VT_ANYREF || (t & WASM_VT_REF);
}
/* For a reference type: its heap type and whether it admits null. */
static inline uint32_t wasm_ref_heap(wasm_valtype t)
{
    return t & WASM_VT_REF ? t & WASM_VT_HEAP : t;
}
static inline bool wasm_ref_nullable(wasm_valtype t)
{
    return t & WASM_VT_REF ? (t & WASM_VT_NULLABLE) != 0 : true;
}
/* Whether heap type h is a concrete type index (then h - WASM_HT_TYPE). */
static inline bool wasm_heap_is_type(uint32_t h)
{
    return h >= WASM_HT_TYPE;
}
/* Whether reference type t holds function references (func, nofunc, a type index) rather
 * than external ones: what it is represented as (a const kiln_funcref *, or a host pointer). */
static inline bool wasm_ref_is_func(wasm_valtype t)
{
    uint32_t h = wasm_ref_heap(t);
    return h == WASM_HT_FUNC || h == WASM_HT_NOFUNC || wasm_heap_is_type(h);
}
/* Whether reference type t holds exception references (exn, noexn). */
static inline bool wasm_ref_is_exn(wasm_valtype t)
{
    uint32_t h = wasm_ref_heap(t);
    return h == WASM_HT_EXN || h == WASM_HT_NOEXN;
}
/* Whether reference type t is in GC's hierarchy (any, eq, i31, struct, array, none). */
static inline bool wasm_ref_is_any(wasm_valtype t)
{
    uint32_t h = wasm_ref_heap(t);
    return (h >= WASM_HT_ARRAY && h <= WASM_HT_ANY) || h == WASM_HT_NONE;
}
/* The type of t's representation: t itself for numbers; funcref, externref, exnref or anyref
 * for refs. */
static inline wasm_valtype wasm_valtype_repr(wasm_valtype t)
{
    if (!wasm_valtype_is_ref(t))
        return t;
    return wasm_ref_is_func(t)  ? WASM_VT_FUNCREF
           : wasm_ref_is_exn(t) ? WASM_VT_EXNREF
           : wasm_ref_is_any(t) ? WASM_VT_ANYREF
                                : WASM_VT_EXTERNREF;
}
/* Whether a local of type t has a default value (numbers, nullable references). */
static inline bool wasm_valtype_defaultable(wasm_valtype t)
{
    return !wasm_valtype_is_ref(t) || wasm_ref_nullable(t);
}
/* "i32", ..., "funcref", "(ref null 3)", "(ref func)"; "?" for others. Composite names are
 * built in a small per-thread ring of buffers: valid until 8 more such names are made. */
const char *wasm_valtype_name(wasm_valtype t);
/* "func", "extern", "nofunc", "noextern" for an abstract heap type; "?" for others. */
const char *wasm_heap_name(uint32_t heap);
bool wasm_valtype_is_num(wasm_valtype t); /* i32 i64 f32 f64, and v128 too (the spec
                                             calls v128 a vector type) */

typedef struct wasm_str {
    const char *ptr; /* points into the input; not NUL-terminated */
    uint32_t len;
} wasm_str;

typedef struct wasm_functype {
    uint32_t param_count, result_count;
    wasm_valtype *params;  /* param_count entries */
    wasm_valtype *results; /* result_count entries */
    size_t offset;         /* of its entry in the type section */
    uint32_t group;        /* its recursion group: the types [group, group + group_size), */
    uint32_t group_size;   /* which may name each other; 1 for a type defined on its own */
} wasm_functype;

typedef struct wasm_limits {
    uint64_t min, max; /* max meaningful only if has_max */
    bool has_max;
    bool is64;         /* a 64-bit address type (Wasm 3.0 memory64, memories and tables) */
    bool shared;       /* memories: shared between threads (threads; needs a maximum) */
    uint8_t page_log2; /* memories: log2 of the page size, 16 (64 KiB, the default) or any
                          value below 64 the binary gave (custom-page-sizes); the validator
                          allows 16 and 0 (1-byte pages). Tables: 16 */
} wasm_limits;

typedef struct wasm_tabletype {
    wasm_valtype elem; /* a reference type */
    wasm_limits limits;
} wasm_tabletype;

typedef struct wasm_memtype {
    wasm_limits limits; /* in pages of 2^limits.page_log2 bytes */
} wasm_memtype;

typedef struct wasm_globaltype {
    wasm_valtype type;
    bool mut;
} wasm_globaltype;

typedef enum wasm_externkind {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
    WASM_EXTERN_TAG = 4, /* Wasm 3.0: exceptions */
} wasm_externkind;
const char *wasm_externkind_name(uint8_t kind); /* "func", "table", "memory", "global" */

/* A constant or function-body expression: a byte range of the input. For constant
 * expressions the range covers the instructions and the final `end`. */
typedef struct wasm_expr {
    size_t offset; /* of the first instruction byte */
    size_t size;   /* bytes, including the final end */
} wasm_expr;

typedef struct wasm_import {
    wasm_str module, name;
    uint8_t kind; /* wasm_externkind */
    union {
        uint32_t type_index; /* func, tag */
        wasm_tabletype table;
        wasm_memtype memory;
        wasm_globaltype global;
    } u;
    size_t offset; /* of the import entry */
} wasm_import;

typedef struct wasm_export {
    wasm_str name;
    uint8_t kind; /* wasm_externkind */
    uint32_t index;
    size_t offset; /* of the export entry */
} wasm_export;

typedef struct wasm_localgroup {
    uint32_t count;
    wasm_valtype type;
} wasm_localgroup;

/* One entry per function in the function index space (imports first). */
typedef struct wasm_func {
    uint32_t type_index;
    bool imported;
    /* Defined functions only: */
    uint32_t local_group_count;
    wasm_localgroup *local_groups;
    uint32_t local_count; /* declared locals, parameters not included; <= KILN_MAX_LOCALS */
    wasm_expr body;       /* the instructions after the locals, including the final end */
    size_t code_offset;   /* of the code entry's size field */
} wasm_func;

typedef struct wasm_table {
    wasm_tabletype type;
    bool imported;
    bool has_init;  /* defined tables: elements start as init's value (Wasm 3.0), not null */
    wasm_expr init; /* if has_init */
    size_t offset;  /* of its type in the table section, or of its import entry */
} wasm_table;

typedef struct wasm_memory {
    wasm_memtype type;
    bool imported;
    size_t offset; /* of its type in the memory section, or of its import entry */
} wasm_memory;

/* A tag (exceptions): the type of the values an exception carries. */
typedef struct wasm_tag {
    uint32_t type_index; /* a function type with no results */
    bool imported;
    size_t offset; /* of its entry in the tag section, or of its import entry */
} wasm_tag;

typedef struct wasm_global {
    wasm_globaltype type;
    bool imported;
    wasm_expr init; /* defined globals only */
} wasm_global;

typedef enum wasm_segmode {
    WASM_SEG_ACTIVE,
    WASM_SEG_PASSIVE,
    WASM_SEG_DECLARATIVE, /* element segments only */
} wasm_segmode;

typedef struct wasm_elem {
    uint8_t mode;          /* wasm_segmode */
    wasm_valtype type;     /* funcref or externref */
    uint32_t table;        /* active only */
    wasm_expr offset_expr; /* active only */
    uint32_t count;
    /* Exactly one of these is set: function indices (flags 0-3), or init expressions (4-7). */
    uint32_t *func_indices;
    wasm_expr *exprs;
    size_t offset; /* of the segment entry */
} wasm_elem;

typedef struct wasm_data {
    uint8_t mode;          /* active or passive */
    uint32_t memory;       /* active only */
    wasm_expr offset_expr; /* active only */
    const uint8_t *bytes;  /* into the input */
    uint32_t size;
    size_t offset; /* of the segment entry */
} wasm_data;

typedef struct wasm_section {
    uint8_t id;     /* 0 = custom */
    wasm_str name;  /* custom sections only */
    size_t offset;  /* of the section id byte */
    size_t content; /* of the first content byte */
    size_t size;    /* content bytes */
} wasm_section;

typedef struct wasm_namemap_entry {
    uint32_t index;
    wasm_str name;
} wasm_namemap_entry;

typedef struct wasm_local_names {
    uint32_t func_index;
    uint32_t count;
    wasm_namemap_entry *names;
} wasm_local_names;

typedef struct wasm_module {
    const uint8_t *bytes; /* borrowed input */
    size_t size;

    uint32_t section_count;
    wasm_section *sections; /* in file order, custom sections included */

    uint32_t type_count;
    wasm_functype *types;

    uint32_t import_count;
    wasm_import *imports;

    /* Index spaces, imports first. */
    uint32_t func_count, func_import_count;
    wasm_func *funcs;
    uint32_t table_count, table_import_count;
    wasm_table *tables;
    uint32_t memory_count, memory_import_count;
    wasm_memory *memories;
    uint32_t global_count, global_import_count;
    wasm_global *globals;
    uint32_t tag_count, tag_import_count; /* exceptions (Wasm 3.0) */
    wasm_tag *tags;

    uint32_t export_count;
    wasm_export *exports;

    bool has_start;
    uint32_t start;
    size_t start_offset;

    uint32_t elem_count;
    wasm_elem *elems;

    bool has_data_count;
    uint32_t data_count;
    uint32_t data_seg_count; /* entries of the data section */
    wasm_data *datas;

    /* The "name" custom section; all optional. A malformed name section is ignored (the
     * spec makes custom sections irrelevant to validity) and reported through
     * name_section_error for `kiln inspect`. */
    bool has_module_name;
    wasm_str module_name;
    uint32_t func_name_count;
    wasm_namemap_entry *func_names; /* sorted by index */
    uint32_t local_name_count;
    wasm_local_names *local_names; /* sorted by func_index */
    kiln_diag name_section_error;

    /* Where Wasm 2.0 finds the module malformed but 3.0 decodes it: the first limits minimum or
     * maximum or memarg offset that is no valid u32 ("integer too large: limits minimum" or
     * "integer representation too long: ...", the offset and function of the 2.0 error), else
     * KILN_OK. kiln_validate reports it first; kiln_validate_to_compile judges the values by
     * 3.0 (memory size, table size, "offset out of range"). */
    kiln_diag wasm2_malformed;

    /* The first instruction in a function body that belongs to exceptions (Wasm 3.0, or
     * the legacy try, catch, catch_all, delegate, rethrow), as the decoder met it: offset
     * KILN_NO_OFFSET if none. */
    struct wasm_use {
        size_t offset;
        uint32_t func;
        const char *what; /* the instruction's name */
    } exception_use;
    /* Some function body has a table.grow (the decoder saw it): without one, a table this
     * module defines and does not export keeps its size and elements array (lower.c). */
    bool table_grow_used;

    kiln_arena arena; /* owns everything above except bytes */
} wasm_module;

/* Whether memory index mem (< memory_count, imports counted) has 64-bit addresses. */
static inline bool wasm_memory_is64(const wasm_module *m, uint32_t mem)
{
    return m->memories[mem].type.limits.is64;
}

/* log2 of memory mem's page size: 16 (64 KiB), or 0 (1 byte: custom-page-sizes). */
static inline unsigned wasm_memory_page_log2(const wasm_module *m, uint32_t mem)
{
    return m->memories[mem].type.limits.page_log2;
}

/* Whether memory mem is a 32-bit one of 64 KiB pages: the only kind guard pages can cover
 * (its accessible size is always a multiple of the host's page), so memory 0's fast paths. */
static inline bool wasm_memory_is_plain(const wasm_module *m, uint32_t mem)
{
    return !wasm_memory_is64(m, mem) && wasm_memory_page_log2(m, mem) == 16;
}

/* Whether memory mem is shared between threads (threads): it never moves, and other threads
 * may grow it at any time, so a bounds check reads its current size. */
static inline bool wasm_memory_is_shared(const wasm_module *m, uint32_t mem)
{
    return m->memories[mem].type.limits.shared;
}

/* Whether table index t (< table_count, imports counted) has 64-bit indices (table64). */
static inline bool wasm_table_is64(const wasm_module *m, uint32_t t)
{
    return m->tables[t].type.limits.is64;
}

/* Looks up the name-section name of a function; returns false if it has none. */
bool wasm_module_func_name(const wasm_module *m, uint32_t func_index, wasm_str *out);
/* The type of function index f (imports counted). f must be < func_count. */
const wasm_functype *wasm_module_func_type(const wasm_module *m, uint32_t f);

/*
 * decode.c
 */

/* Decodes a whole module: every section, and the structure of every function body and
 * constant expression (opcodes, immediates, nesting, the final end), so that every
 * assert_malformed case is reported here before any validation runs.
 * On failure returns false with d set; *m must still be released with wasm_module_free.
 * alloc may be NULL. bytes must outlive m. */
bool kiln_decode(wasm_module *m, const uint8_t *bytes, size_t size, const kiln_allocator *alloc,
                 kiln_diag *d);
void wasm_module_free(wasm_module *m);

/* A reader over expression e of decoded module m (a function body or a constant expression),
 * set to read memory immediates as m's memories require (several memories, 64-bit ones).
 * Every re-reading of instructions goes through it. */
void wasm_expr_reader(kiln_reader *r, const wasm_module *m, wasm_expr e, kiln_diag *d);

/* Reads one value type (any encoding the decoder accepts; WASM_VT_UNKNOWN for a 3.0 one it
 * reports as unsupported), what naming it in errors. */
bool dec_valtype(kiln_reader *r, wasm_valtype *out, const char *what);

/* One decoded instruction. dec_instr reads the opcode and its immediates; it checks the
 * binary format only (LEB rules, zero bytes, known opcodes, value-type encodings), never
 * index ranges or types. */
typedef enum wasm_blocktype_kind { WASM_BT_EMPTY, WASM_BT_VALUE, WASM_BT_TYPE } wasm_blocktype_kind;

typedef struct wasm_memarg {
    uint32_t align; /* log2 of the alignment, as encoded */
    uint64_t offset;
    uint32_t memory; /* always 0 in Wasm 2.0 */
} wasm_memarg;

/* A try_table catch clause: catch x l, catch_ref x l, catch_all l, catch_all_ref l. */
typedef enum wasm_catch_kind {
    WASM_CATCH = 0,
    WASM_CATCH_REF = 1,
    WASM_CATCH_ALL = 2,
    WASM_CATCH_ALL_REF = 3,
} wasm_catch_kind;
typedef struct wasm_catch {
    uint8_t kind; /* wasm_catch_kind */
    uint32_t tag; /* CATCH, CATCH_REF */
    uint32_t label;
} wasm_catch;

typedef struct wasm_instr {
    uint16_t op;   /* wasm_op */
    size_t offset; /* of the first opcode byte (the prefix for 0xFC/0xFD) */
    union {
        struct {
            uint8_t kind; /* wasm_blocktype_kind */
            wasm_valtype value;
            uint32_t type_index;
            uint32_t catch_count; /* try_table: its catch clauses, allocated in the scratch */
            wasm_catch *catches;  /* arena (NULL when read without one) */
        } block;
        uint32_t index; /* label, func, local, global, table, elem, data */
        struct {
            uint32_t count;    /* targets, not counting the default */
            uint32_t *targets; /* count entries, allocated in the scratch arena */
            uint32_t default_target;
        } br_table;
        struct {
            uint32_t type_index, table;
        } call_indirect;
        struct {
            uint32_t dst, src;
        } table_copy;
        struct {
            uint32_t elem, table;
        } table_init;
        struct {
            uint32_t data, memory;
        } memory_init;
        struct {
            uint32_t dst, src;
        } memory_copy;
        struct {
            wasm_memarg mem;
            uint8_t lane;
        } memarg;
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16]; /* v128.const bytes, or i8x16.shuffle lane indices */
        uint8_t lane;
        struct {
            uint32_t count;    /* number of types in the vector (valid only if 1) */
            wasm_valtype type; /* the first type */
        } select;
        wasm_valtype reftype;
    } u;
} wasm_instr;

/* features.c: whether an instruction belongs to exceptions (its opcode, or an exnref
 * block, select or ref.null type). */
bool wasm_instr_uses_exceptions(const wasm_instr *ins);

/* Reads one instruction at r. scratch receives br_table targets (may be reset by the caller
 * after each function). Errors: "illegal opcode 0xNN", "unexpected end", "integer too large",
 * "zero byte expected", "malformed reference type", ... */
bool dec_instr(kiln_reader *r, kiln_arena *scratch, wasm_instr *out);

/*
 * wat_lex.c, wat_module.c, wat_instr.c, wat_encode.c -- the text format (wat.h inside).
 */

/* Converts module text (a "(module ...)", "(module binary ...)", "(module quote ...)" or a
 * bare list of module fields; WebAssembly 2.0) to the module's binary encoding, which the
 * caller then decodes and validates like any .wasm. On success *out is malloc'ed (release
 * with free()) and holds *out_size bytes. On failure returns false with d set: class
 * malformed with the reference interpreter's wording ("unexpected token", "unknown
 * operator", "constant out of range", "unknown label", ...) and d->line/d->column (1-based;
 * columns count bytes) as well as d->offset (bytes into text); limit when the text nests
 * deeper than KILN_MAX_TEXT_DEPTH; nomem. Checks only what the text format itself says:
 * type errors are left to kiln_validate. Thread-safe; text is never modified. */
bool kiln_wat_to_wasm(const uint8_t *text, size_t size, uint8_t **out, size_t *out_size,
                      kiln_diag *d);
/* The same with every allocation through alloc (NULL = the C library): *out then comes from
 * alloc too (release it with alloc->realloc(alloc->ud, *out, 0)). A failed allocation is
 * KILN_ERR_NOMEM "out of memory: ...", with nothing leaked. Number literals longer than 127
 * bytes are still copied through the C library's malloc. */
bool kiln_wat_to_wasm_with(const uint8_t *text, size_t size, const kiln_allocator *alloc,
                           uint8_t **out, size_t *out_size, kiln_diag *d);
/* For an error the decoder or validator found in the conversion of text (d->offset is in the
 * binary encoding): if that offset is where an instruction's opcode or a section entry was
 * written, sets d->offset to the token it came from (the instruction's name, the field's
 * keyword) and d->line/d->column to its position, and returns true. Otherwise (bytes given
 * by (module binary ...) or (module quote ...), a section header) d is left as it is.
 * It converts text again, recording positions: call it on the error path only. */
bool kiln_wat_locate(const uint8_t *text, size_t size, kiln_diag *d);
/* True if bytes look like module text: they do not start with "\0asm" and their first
 * token (after white space and comments) is "(". */
bool kiln_is_wat(const uint8_t *bytes, size_t size);
/* The module bytes of an input that is binary or text: *bytes is input itself (*owned NULL)
 * or its conversion (*owned, malloc'ed: free() it after the module is released). False
 * with d set when text does not convert. */
/* The same with the conversion's allocations through alloc (NULL = the C library): *owned
 * then comes from alloc (release it with alloc->realloc(alloc->ud, *owned, 0)). */
bool kiln_module_input_with(const uint8_t *input, size_t size, const kiln_allocator *alloc,
                            const uint8_t **bytes, size_t *bytes_size, uint8_t **owned,
                            kiln_diag *d);
bool kiln_module_input(const uint8_t *input, size_t size, const uint8_t **bytes, size_t *bytes_size,
                       uint8_t **owned, kiln_diag *d);

/*
 * validate.c
 */

/* Validates a decoded module per the specification. On failure returns false with d set
 * (class KILN_ERR_INVALID, the offset of the offending instruction or entry, and the
 * function index for body errors). alloc may be NULL. */
bool kiln_validate(const wasm_module *m, const kiln_allocator *alloc, kiln_diag *d);
/* kiln_validate for the compiler. Where Wasm 2.0 and 3.0 disagree about the same bytes (two
 * memories; global.get of a defined global in a constant expression), kiln_validate gives
 * 2.0's verdict, as the 2.0 spec tests require (invalid, with d->feature naming the 3.0
 * feature); this one reports what keeps Kiln from compiling the module: KILN_ERR_UNSUPPORTED
 * "unsupported feature: NAME (what was met)". Everything else is the same. */
bool kiln_validate_to_compile(const wasm_module *m, const kiln_allocator *alloc, kiln_diag *d);

/*
 * wat_print.c -- a decoded module as WebAssembly text (docs/text-format.md, "Printing").
 */

/* Writes m (decoded by kiln_decode; it need not be valid) as module text that
 * kiln_wat_to_wasm reads back: every section but the custom ones (listed in comments), names
 * from the name section where they can be ids, floats with all their bits. On success *out is
 * malloc'ed and NUL-terminated (release with free()) and holds *out_size bytes. False with d
 * set when out of memory. Thread-safe; m is not modified. */
bool kiln_wat_print(const wasm_module *m, char **out, size_t *out_size, kiln_diag *d);

/*
 * compile.c, compile_options.c, header.c -- code generation as the rest of the toolchain,
 * the kiln program and the tests see it. lower*.c, emit.c and partition.c share the
 * LLVM-typed private header lower.h.
 */

/* Where generated code checks vmctx->interrupt (kiln_instance_interrupt, deadlines). */
typedef enum kiln_interrupt_mode {
    KILN_INTERRUPT_AUTO = 0, /* FULL for targets without an OS (*-none-*), else SIGNAL */
    KILN_INTERRUPT_SIGNAL,   /* at host->wasm entries and on the back-edges of loops that call:
                                the runtime stops other code with a signal (docs/tasks.md) */
    KILN_INTERRUPT_FULL,     /* on every loop back-edge and at the entry of every function that
                                calls another as well: no signal needed (bare metal) */
    KILN_INTERRUPT_NONE,     /* no checks: calls cannot be stopped (trusted code) */
} kiln_interrupt_mode;

typedef enum kiln_emit_kind {
    KILN_EMIT_OBJ,  /* relocatable object */
    KILN_EMIT_ASM,  /* assembly text */
    KILN_EMIT_LLVM, /* textual LLVM IR, after optimisation */
} kiln_emit_kind;

#define KILN_MAX_PREFIX 100 /* bytes of a symbol prefix (a C identifier) */

typedef struct kiln_compile_options {
    const char *input_path; /* read when input is NULL; names the module in messages and in
                               the object; its stem is the default prefix */
    const uint8_t *input;   /* optional: the module's bytes, borrowed */
    size_t input_size;
    const char *output_path; /* if set, the output is written to this file */
    const char *header_path; /* if set, the C header is written to this file */
    bool want_header;        /* also return the header in the result */
    const char *prefix;      /* NULL = kiln_prefix_from_path(input_path) */
    int opt_level;           /* 0..3 */
    int size_level;          /* 0: speed; 1: -Os, 2: -Oz (code size first; opt_level 2) */
    const char *triple;      /* NULL = the host's */
    const char *cpu;         /* NULL = "x86-64-v2" on x86-64, else the port's baseline;
                                "generic" = the baseline; "native" = the host CPU and features (an
                                error for another architecture); any other name is tried
                                first, once per process, in a child process (compile.c): a
                                name LLVM does not know or a CPU that cannot run the triple
                                is a KILN_ERR_LLVM diagnostic, never an abort */
    kiln_emit_kind emit;
    unsigned jobs;           /* threads compiling a large module's parts; 0 = the online
                                cores. Never changes the output (docs/cli.md) */
    uint32_t partition_size; /* bytes of function bodies per part; 0 = the default (64 KiB).
                                Modules with more are compiled in parts merged by ld.lld -r */
    bool bounds_checks;      /* explicit bounds checks instead of guard pages (docs/abi.md) */
    bool debug_info;         /* -g: DWARF describing each function by its guest name
                                (docs/abi.md, "Debug info") */
    bool no_address_facts;   /* guard-page mode: no address facts (docs/abi.md): an address
                                p + C that wraps past 4 GiB in a memory of 65,536 pages
                                wraps as the spec says instead of trapping; costs speed */
    bool relaxed_dead_loads; /* guard-page mode: an out-of-bounds load whose value is never
                                used may be deleted and not trap. Not conformant; for
                                measuring what exact traps cost (docs/abi.md) */
    kiln_interrupt_mode interrupts; /* default AUTO: running calls can be stopped */
    bool verify; /* LLVMVerifyModule after lowering; also on in debug builds and when the
                    environment has KILN_VERIFY=1 */
    uint32_t disabled_features;  /* KILN_FEAT_* bits: a module using one is refused as
                                    unsupported (--disable-NAME; features.c) */
    const kiln_allocator *alloc; /* for the module and the lowering's arenas; NULL = libc */
    const char *sealed_imports;  /* function imports bound at link time to C functions
                                    (docs/abi.md "Sealed imports"): a comma-separated list of
                                    import module names, "*" for every module, "-NAME" taking
                                    NAME out again (later items win); NULL or "" = none */
} kiln_compile_options;

typedef struct kiln_compile_result {
    uint8_t *output; /* object/assembly/IR bytes (malloc); NULL when not requested */
    size_t output_size;
    char *header; /* NUL-terminated (malloc), if want_header */
    size_t header_size;
} kiln_compile_result;

/* features.c: the KILN_FEAT_* bit of a feature name; false for an unknown name. */
bool kiln_feature_bit(const char *name, uint32_t *bit);
/* The names kiln_feature_bit knows, for messages. */
const char *kiln_feature_names(void);
/* The first use in m (decoded and validated) of a feature in disabled (KILN_FEAT_* bits):
 * KILN_ERR_UNSUPPORTED "unsupported feature: NAME (what): disabled by --disable-NAME" at its
 * byte, d->feature set. True when there is none. */
bool kiln_check_features(const wasm_module *m, uint32_t disabled, const kiln_allocator *alloc,
                         kiln_diag *d);

/* Defaults: -O2, an object for the host, generic CPU, prefix from the file name. */
void kiln_compile_options_init(kiln_compile_options *o);
/* The whole pipeline: check the options (the triple and CPU included) -> read -> decode ->
 * validate -> lower -> verify -> optimise -> emit (+ header). result may be NULL when only
 * files are wanted. On failure returns false with d set (any class) and leaves no partial
 * output file behind. An unknown triple or unusable CPU is KILN_ERR_LLVM before the input is
 * read; checking a CPU forks a child process once per triple and CPU (see compile.c).
 * Thread-safe: every call has its own LLVM contexts. A large module is compiled in parts on
 * up to o->jobs threads, all joined before the call returns, and merged with ld.lld -r. The
 * output depends only on the input bytes and the options other than jobs (not on time, the
 * thread count, paths other than the file name, or the machine when triple and cpu are
 * given). */
bool kiln_compile(const kiln_compile_options *o, kiln_compile_result *result, kiln_diag *d);
/* The kiln program only (cli/codegen_loader.c): the identity of the code generator plugin it
 * would load (path, device, inode, size, modification time), without loading it, for keys of
 * cached compilations (a rebuilt or reinstalled code generator, even of the same version,
 * never reuses the old one's objects). false if there is none. */
bool kiln_codegen_identity(char *buf, size_t size);
void kiln_compile_result_free(kiln_compile_result *r);

/* The one mangling rule for export names in C identifiers (docs/abi.md): a name of
 * [A-Za-z0-9_] bytes without "__" is kept as it is ("_start", "get_x"), unless it is "module"
 * or "KILN_MODULE_H", starts "import_" or ends "_memory" or "_tag" (names the header uses);
 * any other name is escaped: '_' as "__", other bytes outside [A-Za-z0-9] as "_xHH" (two
 * lower-case hex digits), an 'i' that would start "import_" as "_x69", then "__" (so an
 * escaped name always holds "__" and a kept one never does). Injective.
 * Writes at most cap bytes including a NUL; returns the full length (without the NUL). */
size_t kiln_mangle_name(const char *name, size_t len, char *out, size_t cap);
/* The C function a sealed function import calls (docs/abi.md "Sealed imports"):
 * PREFIX_import_M_N, M and N the module and import names with [A-Za-z0-9] kept, '_' as "__",
 * other bytes as "_xHH", and a leading '_' of N as "_x5f" (which keeps the pair injective). Writes
 * at most cap bytes including a NUL; returns the full length. */
size_t kiln_import_symbol(const char *prefix, const char *module, size_t module_len,
                          const char *name, size_t name_len, char *out, size_t cap);
/* Whether function imports from module (len bytes) are sealed under list, a
 * kiln_compile_options.sealed_imports value (NULL: none). */
bool kiln_import_sealed(const char *list, const char *module, size_t len);
/* The default prefix: the file name without directories and its last extension, with every
 * byte outside [A-Za-z0-9_] replaced by '_', and 'w' in front if it would start with a digit
 * or be empty. Truncated to KILN_MAX_PREFIX bytes. cap must be > KILN_MAX_PREFIX. */
void kiln_prefix_from_path(const char *path, char *out, size_t cap);
/* [A-Za-z_][A-Za-z0-9_]*, at most KILN_MAX_PREFIX bytes. */
bool kiln_prefix_valid(const char *prefix);
/* The C header for a validated module (docs/abi.md): kiln.h, PREFIX_module, a typed
 * static inline wrapper per exported function and a prototype per function import (sealed
 * under sealed_imports, see kiln_import_sealed, or not). *out is malloc'ed and
 * NUL-terminated. */
bool kiln_header_generate(const wasm_module *m, const char *prefix, const char *source_name,
                          const char *sealed_imports, char **out, size_t *out_size, kiln_diag *d);

/*
 * host.c -- the host's files, programs and processes: the one place the toolchain and the
 * kiln program read or write whole files, look programs up, run them and find ld.lld.
 * Nothing here prints; failures come back as false plus a diagnostic or a message.
 */

#define HOST_PATH_SIZE 4096 /* bytes of every path buffer */

typedef struct host_file {
    uint8_t *data; /* malloc'ed, with a NUL after the last byte (text can be parsed in place) */
    size_t size;   /* bytes, without that NUL */
} host_file;

/* Reads a whole file ("-" = standard input) of at most KILN_MAX_MODULE_SIZE bytes. d is
 * initialised first (like kiln_compile, it is the call's own diagnostic). On failure
 * out is empty and d says why: KILN_ERR_IO ("cannot open file: ...", "cannot read file: Is a
 * directory"), KILN_ERR_LIMIT or KILN_ERR_NOMEM. Release with host_file_free. */
bool host_read_file(const char *path, host_file *out, kiln_diag *d);
void host_file_free(host_file *f);
/* Writes data to path through a temporary file beside it (path.tmpPID) and rename(), so a
 * reader never sees a partial file and a failure leaves nothing behind. mode is open(2)'s. d is
 * initialised first. On failure KILN_ERR_IO "cannot write PATH: REASON". */
bool host_write_file(const char *path, const void *data, size_t size, unsigned mode, kiln_diag *d);

/* "a/b" into out; false if it does not fit. */
bool host_path_join(char *out, size_t size, const char *a, const char *b);
bool host_is_dir(const char *path);
bool host_is_file(const char *path); /* a regular file (after symbolic links) */
/* Text that names what `--cpu native` compiles for on this machine, without loading LLVM (a
 * cache key, not a CPU name): on x86 the CPUID leaves LLVM reads the model and features from
 * and the register state the OS enables (XGETBV); elsewhere the kernel's hardware
 * capabilities (AT_HWCAP, AT_HWCAP2, AT_PLATFORM) and the first processor's identification
 * lines in /proc/cpuinfo. Machines whose text differs may get different code. */
void host_cpu_key(char *out, size_t cap);
/* The directory of the running program (/proc/self/exe), without a trailing '/'. */
bool host_exe_dir(char *out, size_t size);
/* mkdir -p; true if path is a directory afterwards. */
bool host_make_dirs(const char *path);
/* mkdtemp("$TMPDIR/TAG-XXXXXX"), /tmp when TMPDIR is unset or relative. */
bool host_make_temp_dir(const char *tag, char *out, size_t size);
/* Removes the files directly inside dir (a scratch directory of the caller's own). */
void host_empty_dir(const char *dir);
/* host_empty_dir, then rmdir. */
bool host_remove_dir(const char *dir);

/* A program: a name containing '/' is taken as a path, any other is looked up in $PATH (an
 * empty entry is the current directory; no PATH is /usr/local/bin:/usr/bin:/bin). True if
 * an executable regular file was found; out is then its path. */
bool host_find_program(const char *name, char *out, size_t size);
/* The linker for relocatable merges and shared objects: ld.lld-19 or ld.lld on PATH, else the
 * ld.lld beside the LLVM Kiln was built with. */
bool host_find_lld(char *out, size_t size);
/* Runs argv (NULL-terminated; argv[0] looked up on PATH unless it contains '/') in dir (NULL:
 * the current directory) with posix_spawn, no shell, inheriting the standard streams, and
 * waits. True if it exited with status 0, else false with the reason in err ("X exited with
 * status 1", "X was killed by signal 9", "cannot run X: ..."). */
bool host_spawn(const char *dir, const char *const argv[], char *err, size_t err_size);
/* host_spawn for a program that reads "@FILE" response files (ld.lld, clang, gcc): argv[1..]
 * go into a response file in a fresh temporary directory (removed afterwards) and the program
 * gets "@FILE" alone, so no number or length of arguments can reach execve's limit
 * (E2BIG, "Argument list too long": ARG_MAX is a quarter of the stack limit, 2 MiB by
 * default). */
bool host_spawn_rsp(const char *dir, const char *const argv[], char *err, size_t err_size);

/* Private directories and files: what only this user can have written (kiln run's cache). */
typedef enum host_dir_status {
    HOST_DIR_OK,      /* *out_fd is the directory, private and ours */
    HOST_DIR_MISSING, /* it cannot be created or opened (a read-only home, ...) */
    HOST_DIR_UNSAFE,  /* it exists but is not private: why says how */
} host_dir_status;
/* Opens the directory at the absolute path, creating it and its missing parents with mode
 * 0700. It must not be a symlink, must belong to the effective user and must not be writable
 * by group or others (HOST_DIR_UNSAFE otherwise, why: "other users can write to it (mode
 * 0777)", ...); one readable by others is made 0700. Everything that follows should work
 * relative to *out_fd (O_CLOEXEC), never the path. */
host_dir_status host_open_private_dir(const char *path, int *out_fd, char *why, size_t why_size);
/* Opens dirfd/name for reading without following a symlink and without blocking (O_NONBLOCK:
 * a FIFO or device in its place), and accepts only a regular file of this user that group and
 * others cannot write; *st is its fstat. -1 otherwise (errno ENOENT, or EINVAL for a file
 * that is not acceptable). */
int host_open_private_file(int dirfd, const char *name, struct stat *st);
/* Creates a new file NAME.tmp.PID.N in dirfd, O_EXCL | O_NOFOLLOW, mode 0600, open for reading
 * and writing; its name goes to tmp. -1 on failure (errno). */
int host_create_private_file(int dirfd, const char *name, char *tmp, size_t tmp_size);
/* fsync(fd), then renames dirfd/tmp to dirfd/name (atomically replacing whatever is there, a
 * FIFO included). On failure tmp is removed and errno says why. */
bool host_commit_private_file(int dirfd, int fd, const char *tmp, const char *name);
/* Writes all of data to fd (EINTR and short writes handled). */
bool host_write_all(int fd, const void *data, size_t size);
/* Copies from's remaining bytes to to. */
bool host_copy_fd(int from, int to);

#endif
