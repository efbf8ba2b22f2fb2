/* decode.c -- the WebAssembly 2.0 binary format: bytes -> wasm_module.
 *
 * kiln_decode reads the preamble, then each section through a sub-reader over exactly its
 * declared size, in the required order (custom sections anywhere). Everything the binary
 * format says is checked here, as KILN_ERR_MALFORMED with the reference interpreter's
 * wording; index ranges and types are left to validate.c. The spec decodes a whole module
 * before validating it, so every function body and constant expression is walked with
 * dec_instr and its block structure: an illegal opcode late in a body wins over a type
 * error early in it. Where the reference interpreter's message depends on the bytes after
 * a body that ends too early (it reads the module as one stream), body_ran_out looks at them.
 * Counts are bounded by the bytes left before anything is allocated; everything lives in
 * the module's arena, and code bodies, names and data stay slices of the input.
 * Callers: the CLI (validate, inspect, compile), the unit tests and the fuzzers.
 */
#include <string.h>

#include "toolchain.h"

#define MSG_END   "unexpected end of section or function"
#define MSG_ORDER "unexpected content after last section"

/* What a nested block is, for else, catch, catch_all and delegate (legacy exceptions: try's
 * body may be followed by catch clauses, then at most one catch_all, or by delegate). */
enum { FRAME_BLOCK, FRAME_IF, FRAME_ELSE, FRAME_TRY, FRAME_CATCH, FRAME_CATCH_ALL };

typedef struct dec_ctx {
    wasm_module *m;
    kiln_diag *d;
    const uint8_t *module_end;
    unsigned last_rank; /* order rank of the last non-custom section, 0 before any */
    uint8_t last_id;    /* its id */
    uint32_t section_cap;
    bool has_func_section;
    uint32_t defined_func_count; /* entries of the function section */
    size_t func_section_offset;
    bool has_code_section;
    uint32_t code_count; /* entries of the code section */
    size_t code_section_offset;
    bool has_data_section;
    size_t data_section_offset;
    size_t data_count_offset;
    size_t first_data_use; /* memory.init/data.drop in a body; KILN_NO_OFFSET if none */
    uint32_t first_data_use_func;
    bool seen_name_section;
    uint8_t frames[KILN_MAX_NESTING]; /* open blocks of the expression being walked */
} dec_ctx;

static bool fail_nomem(dec_ctx *c, const char *what)
{
    return kiln_diag_set(c->d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: %s", what);
}

static void *alloc_array(dec_ctx *c, size_t n, size_t elem, size_t align, const char *what)
{
    void *p = kiln_arena_array(&c->m->arena, n, elem, align);
    if (!p)
        fail_nomem(c, what);
    return p;
}
#define ALLOC_ARRAY(c, T, n, what) ((T *)alloc_array((c), (n), sizeof(T), _Alignof(T), (what)))

/* How many entries of a vector of n to allocate, when each entry that decodes takes at
 * least min bytes. If n entries cannot fit in the bytes left, reading them must fail at
 * entry left/min + 1 at the latest, so that many suffice: allocation stays proportional to
 * the bytes really there, while the error is still the one that reading entry by entry
 * finds (the spec's, e.g. "malformed import kind" in a truncated import section rather than
 * a premature "unexpected end"). When the vector decodes, the result is n. */
static uint32_t vec_capacity(const kiln_reader *r, uint32_t n, size_t min)
{
    size_t fit = rd_left(r) / min;
    return n <= fit ? n : (uint32_t)(fit + 1); /* fit < n <= UINT32_MAX */
}

/*
 * Types
 */

static bool is_valtype(uint8_t b)
{
    return wasm_valtype_is_num(b) || wasm_valtype_is_ref(b);
}

/*
 * Wasm 3.0 constructs. Kiln compiles WebAssembly 2.0; what 3.0 (and the proposals Kiln
 * names, docs/limits.md) adds is recognised here so that such a module is rejected as
 * "unsupported feature: NAME (what was met)" rather than as malformed. The rule that keeps
 * the 2.0 verdicts: a construct counts as 3.0 only if it decodes completely by the 3.0
 * grammar (read with probe(), which records nothing); otherwise the 2.0 error stands, at the
 * same offset and with the same wording as before (a byte unknown in every version stays
 * "illegal opcode", a truncated tag import stays "malformed import kind").
 */

/* A copy of r whose errors go to a scratch diag: for reading ahead without reporting. */
static kiln_reader probe(const kiln_reader *r, kiln_diag *scratch)
{
    kiln_diag_init(scratch);
    kiln_reader p = *r;
    p.diag = scratch;
    p.later = NULL;
    p.wasm2 = NULL;
    return p;
}

/* absheaptype ::= 0x69..0x74 (exn, array, struct, i31, eq, any, extern, func, none,
 * noextern, nofunc, noexn); the same bytes as value types are the nullable abbreviations
 * (0x6E anyref = (ref null any), ...). NULL for other bytes. */
static const char *abs_heaptype_name(uint8_t b)
{
    static const char *const names[] = {"exn",    "array", "struct", "i31",      "eq",     "any",
                                        "extern", "func",  "none",   "noextern", "nofunc", "noexn"};
    return b >= 0x69 && b <= 0x74 ? names[b - 0x69] : NULL;
}

/* heaptype ::= ht:absheaptype | x:s33 (if x >= 0, a type index). *abs is the abstract heap
 * type's byte, or 0 for a type index (*index). */
static bool read_heaptype(kiln_reader *r, uint8_t *abs, uint32_t *index)
{
    *abs = 0;
    *index = 0;
    if (!rd_done(r) && abs_heaptype_name(*r->p)) {
        *abs = *r->p++;
        return true;
    }
    int64_t x;
    if (!rd_s33(r, &x, "heap type"))
        return false;
    if (x < 0 || x > UINT32_MAX)
        return rd_fail(r, KILN_ERR_MALFORMED, "malformed heap type");
    *index = (uint32_t)x;
    return true;
}

/* True if b, which is not a Wasm 2.0 value type, starts a Wasm 3.0 reference type:
 * 0x64 (ref ht), 0x63 (ref null ht) or an abbreviation other than funcref/externref. */
static bool is_reftype3(uint8_t b)
{
    return b == 0x63 || b == 0x64 || (abs_heaptype_name(b) && b != 0x70 && b != 0x6F);
}

/* The heap-type part of a wasm_valtype: an abstract type's byte, or WASM_HT_TYPE + index
 * (an index too large for the encoding becomes the largest one, which no module has, so
 * that the validator's "unknown type" still reports it). */
static uint32_t heap_of(uint8_t abs, uint32_t index)
{
    if (abs)
        return abs;
    uint32_t most = WASM_VT_HEAP - WASM_HT_TYPE;
    return WASM_HT_TYPE + (index < most ? index : most);
}

/* reftype ::= 0x64 ht:heaptype | 0x63 ht:heaptype | absheaptype (abbreviation), with b (read
 * at offset at) where a value or reference type is: every abstract heap type decodes (GC's
 * any, eq, i31, struct, array and none are types whose only value is null in Kiln, which
 * reports the instructions that make others, and struct and array types, as unsupported);
 * else the Wasm 2.0 error "malformed KIND 0xBB: what" (false). */
static bool reftype3(kiln_reader *r, size_t at, uint8_t b, const char *kind, const char *what,
                     wasm_valtype *out)
{
    if (b != 0x63 && b != 0x64) {
        *out = wasm_ref(b, true);
        return true;
    }
    kiln_diag scratch;
    kiln_reader p = probe(r, &scratch);
    uint8_t abs;
    uint32_t index;
    if (!read_heaptype(&p, &abs, &index))
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed %s 0x%02x: %s", kind, b, what);
    r->p = p.p;
    *out = wasm_ref(heap_of(abs, index), b == 0x63);
    return true;
}

// valtype ::= 0x7F | 0x7E | 0x7D | 0x7C | 0x7B | reftype (3.0 reference types: above)
static bool read_valtype(kiln_reader *r, wasm_valtype *out, const char *what)
{
    size_t at = rd_offset(r);
    uint8_t b;
    *out = WASM_VT_UNKNOWN; /* defined on failure too */
    if (!rd_u8(r, &b, what))
        return false;
    if (is_reftype3(b))
        return reftype3(r, at, b, "value type", what, out);
    if (!is_valtype(b))
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed value type 0x%02x: %s", b, what);
    *out = b;
    return true;
}

bool dec_valtype(kiln_reader *r, wasm_valtype *out, const char *what)
{
    return read_valtype(r, out, what);
}

// reftype ::= 0x70 | 0x6F | 3.0 reference types (above)
static bool read_reftype(kiln_reader *r, wasm_valtype *out, const char *what)
{
    size_t at = rd_offset(r);
    uint8_t b;
    *out = WASM_VT_UNKNOWN; /* also for an unsupported 3.0 reference type */
    if (!rd_u8(r, &b, what))
        return false;
    if (is_reftype3(b))
        return reftype3(r, at, b, "reference type", what, out);
    if (!wasm_valtype_is_ref(b))
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed reference type 0x%02x: %s", b,
                          what);
    *out = b;
    return true;
}

/* ref.null ht: (ref null ht). 0x70 and 0x6F are Wasm 2.0's reftype; other heap types are
 * 3.0's. */
static bool read_ref_null_type(kiln_reader *r, wasm_valtype *out)
{
    if (!rd_done(r) && (*r->p == 0x70 || *r->p == 0x6F)) {
        *out = *r->p++;
        return true;
    }
    kiln_diag scratch;
    kiln_reader p = probe(r, &scratch);
    uint8_t abs;
    uint32_t index;
    if (rd_done(r) || !read_heaptype(&p, &abs, &index))
        return read_reftype(r, out, "ref.null type"); /* the 2.0 error */
    r->p = p.p;
    *out = wasm_ref(heap_of(abs, index), true);
    return true;
}

// resulttype ::= vec(valtype)
static bool read_resulttype(dec_ctx *c, kiln_reader *r, uint32_t limit, uint32_t *out_count,
                            wasm_valtype **out, const char *what)
{
    uint32_t n;
    if (!rd_count(r, &n, 1, limit, what))
        return false;
    wasm_valtype *types = ALLOC_ARRAY(c, wasm_valtype, n, what);
    if (!types)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!read_valtype(r, &types[i], what))
            return false;
    *out_count = n;
    *out = types;
    return true;
}

/* The Wasm 3.0 type definitions (gc), read without recording anything: false if malformed.
 * Every loop iteration consumes a byte or fails, so counts need no bound. */

// valtype (3.0) ::= numtype | vectype | reftype (any of the forms above)
static bool skip_valtype3(kiln_reader *p)
{
    uint8_t b, abs;
    uint32_t index;
    if (!rd_u8(p, &b, "value type"))
        return false;
    if (b == 0x63 || b == 0x64)
        return read_heaptype(p, &abs, &index);
    return is_valtype(b) || abs_heaptype_name(b) != NULL;
}

// fieldtype ::= st:storagetype m:mut; storagetype ::= valtype | 0x78 (i8) | 0x77 (i16)
static bool skip_fieldtype(kiln_reader *p)
{
    uint8_t mut;
    if (!rd_done(p) && (*p->p == 0x78 || *p->p == 0x77))
        p->p++;
    else if (!skip_valtype3(p))
        return false;
    return rd_u8(p, &mut, "mutability") && mut <= 1;
}

// comptype ::= 0x5E ft:fieldtype | 0x5F ft*:vec(fieldtype) | 0x60 vec(valtype) vec(valtype)
static bool skip_comptype(kiln_reader *p)
{
    uint8_t form;
    uint32_t n;
    if (!rd_u8(p, &form, "type form"))
        return false;
    switch (form) {
    case 0x5E:
        return skip_fieldtype(p);
    case 0x5F:
        if (!rd_u32(p, &n, "field count"))
            return false;
        for (uint32_t i = 0; i < n; i++)
            if (!skip_fieldtype(p))
                return false;
        return true;
    case 0x60:
        for (int list = 0; list < 2; list++) {
            if (!rd_u32(p, &n, "type count"))
                return false;
            for (uint32_t i = 0; i < n; i++)
                if (!skip_valtype3(p))
                    return false;
        }
        return true;
    default:
        return false;
    }
}

// subtype ::= 0x50 x*:vec(typeidx) ct:comptype | 0x4F x*:vec(typeidx) ct:comptype | comptype
static bool skip_subtype(kiln_reader *p)
{
    uint32_t n, x;
    if (!rd_done(p) && (*p->p == 0x50 || *p->p == 0x4F)) {
        p->p++;
        if (!rd_u32(p, &n, "supertype count"))
            return false;
        for (uint32_t i = 0; i < n; i++)
            if (!rd_u32(p, &x, "supertype index"))
                return false;
    }
    return skip_comptype(p);
}

// rectype ::= 0x4E st*:vec(subtype) | st:subtype
static bool skip_rectype(kiln_reader *p)
{
    uint32_t n;
    if (rd_done(p) || *p->p != 0x4E)
        return skip_subtype(p);
    p->p++;
    if (!rd_u32(p, &n, "recursive type count"))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!skip_subtype(p))
            return false;
    return true;
}

// functype ::= 0x60 rt1:resulttype rt2:resulttype   (3.0 forms: skip_rectype)
static bool read_functype(dec_ctx *c, kiln_reader *r, wasm_functype *out)
{
    size_t at = rd_offset(r);
    uint8_t form;
    if (!rd_u8(r, &form, "function type form"))
        return false;
    if (form != 0x60) {
        /* Wasm 3.0 (gc): rectype ::= 0x4E vec(subtype) | subtype; subtype ::= 0x50 ... |
         * 0x4F ... | comptype; comptype ::= 0x5F structtype | 0x5E arraytype | 0x60 functype */
        static const struct {
            uint8_t form;
            const char *what;
        } gc_forms[] = {{0x4E, "recursive type group"},
                        {0x4F, "final subtype"},
                        {0x50, "subtype"},
                        {0x5E, "array type"},
                        {0x5F, "struct type"}};
        kiln_diag scratch;
        kiln_reader p = probe(r, &scratch);
        p.p = r->base + at;
        for (size_t i = 0; i < KILN_ARRAY_LEN(gc_forms); i++) {
            if (form == gc_forms[i].form && skip_rectype(&p)) {
                r->p = p.p;
                return rd_unsupported_later(r, at, KILN_FEATURE_GC, "%s", gc_forms[i].what);
            }
        }
        /* The reference interpreter reads the form as a signed LEB128 byte. */
        if (form & 0x80)
            return rd_fail(r, KILN_ERR_MALFORMED,
                           "integer representation too long: function type form");
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed function type 0x%02x", form);
    }
    return read_resulttype(c, r, KILN_MAX_PARAMS, &out->param_count, &out->params,
                           "parameter count") &&
           read_resulttype(c, r, KILN_MAX_RESULTS, &out->result_count, &out->results,
                           "result count");
}

/* Wasm 3.0 and proposal limits: flag bit 0 max, bit 1 shared (threads; memories), bit 2
 * 64-bit address type (memory64, for tables too), bit 3 custom page size (custom-page-sizes;
 * memories). lim ::= flags n:u64 m?:u64 (p:u32 log2 page size if bit 3).
 * flag (> 1) was read already. 0 if the limits do not decode so (nothing recorded: the 2.0
 * error stands); 1 if they did, -1 after a page size past 2^63 (malformed, recorded). */
static int limits3(kiln_reader *r, uint8_t flag, bool memory, wasm_limits *out)
{
    uint8_t known = memory ? 0x0F : 0x05;
    if (flag & ~known)
        return 0;
    if ((flag & 3) == 2) /* shared without a maximum: read_limits' 2.0 error stands */
        return 0;
    kiln_diag scratch;
    kiln_reader p = probe(r, &scratch);
    uint64_t min, max = 0;
    uint32_t page_size;
    bool i64 = flag & 4;
    /* n and m are u64s for 32-bit memories too, as in Wasm 3.0 (the validator bounds them) */
    if (!rd_u64(&p, &min, "limits minimum"))
        return 0;
    if ((flag & 1) && !rd_u64(&p, &max, "limits maximum"))
        return 0;
    size_t page_at = rd_offset(&p);
    if ((flag & 8) && !rd_u32(&p, &page_size, "page size"))
        return 0;
    r->p = p.p;
    /* A page of 2^p bytes must fit in a u64: past that, malformed in the proposal too. */
    if ((flag & 8) && page_size >= 64) {
        rd_fail_at(r, page_at, KILN_ERR_MALFORMED, "invalid custom page size: 2^%u bytes",
                   (unsigned)page_size);
        return -1;
    }
    out->min = min;
    out->max = max;
    out->has_max = flag & 1;
    out->is64 = i64;
    out->page_log2 = (flag & 8) ? (uint8_t)page_size : 16; /* validate.c allows 0 and 16 */
    out->shared = (flag & 2) != 0;                         /* threads (a maximum is there: above) */
    return 1;
}

// limits ::= 0x00 n:u32 | 0x01 n:u32 m:u32   (3.0 flags: above)
/* Wasm 3.0 reads n and m as u64 for 32-bit tables and memories too (the validator bounds
 * them): rd_u32_u64 keeps such a value and records the 2.0 error in r->wasm2. */
static bool read_limits(kiln_reader *r, wasm_limits *out, const char *what)
{
    /* The flag is a one-bit LEB128 integer to the reference interpreter: a flag byte above 1
     * is "integer too large", a continuation bit "integer representation too long". */
    uint8_t flag;
    if (!rd_u8(r, &flag, "limits flag"))
        return false;
    size_t at = rd_offset(r) - 1;
    if (flag > 1 && !(flag & 0x80)) {
        int read3 = limits3(r, flag, strcmp(what, "memory") == 0, out);
        if (read3 != 0)
            return read3 > 0;
    }
    if ((flag & 0x7f) > 1) {
        rd_fail_at(r, at, KILN_ERR_MALFORMED, "integer too large: %s limits flag 0x%02x", what,
                   flag);
        /* 0x02 (0x06 with 64-bit addresses), a shared memory without a maximum: malformed in
         * 2.0 and 3.0 (the 2.0 suite says so), decoded by the threads proposal, whose
         * validation rejects it ("shared memory must have maximum"). The feature is named so
         * that a script about threads can tell (docs/errors.md). */
        if ((flag & 0x7b) == 2 && strcmp(what, "memory") == 0 &&
            r->diag->code == KILN_ERR_MALFORMED && r->diag->feature == NULL)
            r->diag->feature = KILN_FEATURE_THREADS;
        return false;
    }
    if (flag & 0x80)
        return rd_fail(r, KILN_ERR_MALFORMED, "integer representation too long: %s limits flag",
                       what);
    uint64_t min, max = 0;
    if (!rd_u32_u64(r, &min, "limits minimum"))
        return false;
    if (flag && !rd_u32_u64(r, &max, "limits maximum"))
        return false;
    out->min = min;
    out->max = max;
    out->has_max = flag == 1;
    out->is64 = false;
    out->shared = false;
    out->page_log2 = 16;
    return true;
}

// tabletype ::= et:reftype lim:limits
static bool read_tabletype(kiln_reader *r, wasm_tabletype *out)
{
    return read_reftype(r, &out->elem, "table element type") &&
           read_limits(r, &out->limits, "table");
}

// globaltype ::= t:valtype m:mut;  mut ::= 0x00 | 0x01
static bool read_globaltype(kiln_reader *r, wasm_globaltype *out)
{
    if (!read_valtype(r, &out->type, "global type"))
        return false;
    uint8_t mut;
    if (!rd_u8(r, &mut, "global mutability"))
        return false;
    if (mut > 1)
        return rd_fail_at(r, rd_offset(r) - 1, KILN_ERR_MALFORMED, "malformed mutability 0x%02x",
                          mut);
    out->mut = mut == 1;
    return true;
}

/*
 * Instructions
 */

// blocktype ::= 0x40 | t:valtype | x:s33 (if x >= 0)
static bool read_blocktype(kiln_reader *r, wasm_instr *out)
{
    size_t at = rd_offset(r);
    if (rd_done(r))
        return rd_fail(r, KILN_ERR_MALFORMED, MSG_END ": block type");
    uint8_t b = *r->p;
    if (b == 0x40) {
        r->p++;
        out->u.block.kind = WASM_BT_EMPTY;
        return true;
    }
    if ((b & 0xC0) == 0x40) { /* a one-byte negative s33: must be a value type */
        r->p++;
        out->u.block.kind = WASM_BT_VALUE;
        if (is_reftype3(b))
            return reftype3(r, at, b, "value type", "block type", &out->u.block.value);
        if (!is_valtype(b))
            return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed value type 0x%02x: block type",
                              b);
        out->u.block.value = b;
        return true;
    }
    int64_t x;
    if (!rd_s33(r, &x, "block type"))
        return false;
    if (x < 0)
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed block type %lld", (long long)x);
    out->u.block.kind = WASM_BT_TYPE;
    out->u.block.type_index = (uint32_t)x;
    return true;
}

/* memarg ::= a:u32 o:u32                  (a < 2^6)
 *          | a:u32 x:memidx o:u32         (2^6 <= a < 2^7: Wasm 3.0, alignment a - 2^6)
 * Flags of 2^7 and more are malformed in Wasm 3.0 (in 2.0 they were an alignment the
 * validator rejected). Wasm 3.0 reads o as a u64 for every memory (rd_u32_u64; past 32 bits
 * a 32-bit memory's offset is invalid: "offset out of range"). */
static bool read_memarg(kiln_reader *r, wasm_memarg *out)
{
    size_t at = rd_offset(r);
    out->memory = 0;
    if (!rd_u32(r, &out->align, "memarg alignment"))
        return false;
    if (out->align >= 128)
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed memop flags 0x%x",
                          (unsigned)out->align);
    if (out->align >= 64) {
        out->align -= 64;
        if (!rd_u32(r, &out->memory, "memory index"))
            return false;
    }
    if (r->memory64) /* a module with a 64-bit memory: offsets are u64 (no 2.0 verdict) */
        return rd_u64(r, &out->offset, "memarg offset");
    return rd_u32_u64(r, &out->offset, "memarg offset");
}

/* The memory index of memory.size/grow/fill/init/copy: a single 0x00 byte in Wasm 2.0, a
 * u32 in 3.0 (read so only when the module has several memories, r->multi_memory, so that
 * the 2.0 suite's "zero byte expected" holds for one memory). */
static bool read_memory_index(kiln_reader *r, uint32_t *out, const char *what)
{
    if (r->multi_memory)
        return rd_u32(r, out, what);
    uint8_t b;
    *out = 0;
    if (!rd_u8(r, &b, what))
        return false;
    if (b != 0)
        return rd_fail_at(r, rd_offset(r) - 1, KILN_ERR_MALFORMED, "zero byte expected: %s", what);
    return true;
}

// br_table ::= 0x0E l*:vec(labelidx) lN:labelidx
static bool read_br_table(kiln_reader *r, kiln_arena *scratch, wasm_instr *out)
{
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_BR_TABLE_SIZE, "br_table target count"))
        return false;
    uint32_t *targets = NULL;
    if (scratch) {
        targets = ARENA_ARRAY(scratch, uint32_t, n);
        if (!targets)
            return kiln_diag_set(r->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET,
                                 "out of memory: br_table targets");
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t label;
        if (!rd_u32(r, &label, "br_table target"))
            return false;
        if (targets)
            targets[i] = label;
    }
    out->u.br_table.count = n;
    out->u.br_table.targets = targets;
    return rd_u32(r, &out->u.br_table.default_target, "br_table default target");
}

// try_table ::= 0x1F bt:blocktype c*:vec(catch)
// catch ::= 0x00 x:tagidx l:labelidx | 0x01 x l | 0x02 l | 0x03 l
static bool read_try_table(kiln_reader *r, kiln_arena *scratch, wasm_instr *out)
{
    if (!read_blocktype(r, out))
        return false;
    uint32_t n;
    if (!rd_count(r, &n, 2, KILN_MAX_BR_TABLE_SIZE, "catch count"))
        return false;
    wasm_catch *catches = NULL;
    if (scratch && n) {
        catches = ARENA_ARRAY(scratch, wasm_catch, n);
        if (!catches)
            return kiln_diag_set(r->diag, KILN_ERR_NOMEM, KILN_NO_OFFSET,
                                 "out of memory: try_table catches");
    }
    for (uint32_t i = 0; i < n; i++) {
        size_t at = rd_offset(r);
        uint8_t kind;
        uint32_t tag = 0, label;
        if (!rd_u8(r, &kind, "catch kind"))
            return false;
        if (kind > WASM_CATCH_ALL_REF)
            return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed catch clause 0x%02x", kind);
        if (kind <= WASM_CATCH_REF && !rd_u32(r, &tag, "catch tag index"))
            return false;
        if (!rd_u32(r, &label, "catch label"))
            return false;
        if (catches)
            catches[i] = (wasm_catch){.kind = kind, .tag = tag, .label = label};
    }
    out->u.block.catch_count = n;
    out->u.block.catches = catches;
    return true;
}

// select t* ::= 0x1C t*:vec(valtype)
static bool read_select_types(kiln_reader *r, wasm_instr *out)
{
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_SELECT_TYPES, "select type count"))
        return false;
    out->u.select.count = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_valtype t;
        if (!read_valtype(r, &t, "select type"))
            return false;
        if (i == 0)
            out->u.select.type = t;
    }
    return true;
}

static bool read_immediates(kiln_reader *r, kiln_arena *scratch, uint8_t imm, wasm_instr *out)
{
    const uint8_t *bytes;
    switch ((wasm_imm)imm) {
    case IMM_NONE:
        return true;
    case IMM_BLOCK:
        return read_blocktype(r, out);
    case IMM_LABEL:
        return rd_u32(r, &out->u.index, "label index");
    case IMM_BR_TABLE:
        return read_br_table(r, scratch, out);
    case IMM_FUNC:
        return rd_u32(r, &out->u.index, "function index");
    case IMM_CALL_INDIRECT:
        return rd_u32(r, &out->u.call_indirect.type_index, "type index") &&
               rd_u32(r, &out->u.call_indirect.table, "table index");
    case IMM_TYPE:
        return rd_u32(r, &out->u.index, "type index");
    case IMM_LOCAL:
        return rd_u32(r, &out->u.index, "local index");
    case IMM_GLOBAL:
        return rd_u32(r, &out->u.index, "global index");
    case IMM_TABLE:
        return rd_u32(r, &out->u.index, "table index");
    case IMM_TABLE_COPY:
        return rd_u32(r, &out->u.table_copy.dst, "table index") &&
               rd_u32(r, &out->u.table_copy.src, "table index");
    case IMM_TABLE_INIT:
        return rd_u32(r, &out->u.table_init.elem, "element segment index") &&
               rd_u32(r, &out->u.table_init.table, "table index");
    case IMM_ELEM:
        return rd_u32(r, &out->u.index, "element segment index");
    case IMM_MEMARG:
        return read_memarg(r, &out->u.memarg.mem);
    case IMM_MEMORY:
        return read_memory_index(r, &out->u.index, "memory index");
    case IMM_MEMORY_COPY:
        return read_memory_index(r, &out->u.memory_copy.dst, "memory index") &&
               read_memory_index(r, &out->u.memory_copy.src, "memory index");
    case IMM_MEMORY_INIT:
        return rd_u32(r, &out->u.memory_init.data, "data segment index") &&
               read_memory_index(r, &out->u.memory_init.memory, "memory index");
    case IMM_DATA:
        return rd_u32(r, &out->u.index, "data segment index");
    case IMM_I32:
        return rd_s32(r, &out->u.i32, "i32 constant");
    case IMM_I64:
        return rd_s64(r, &out->u.i64, "i64 constant");
    case IMM_F32:
        return rd_f32(r, &out->u.f32_bits, "f32 constant");
    case IMM_F64:
        return rd_f64(r, &out->u.f64_bits, "f64 constant");
    case IMM_V128:
    case IMM_SHUFFLE:
        if (!rd_bytes(r, 16, &bytes, imm == IMM_V128 ? "v128 constant" : "shuffle lanes"))
            return false;
        memcpy(out->u.v128, bytes, 16);
        return true;
    case IMM_LANE:
        return rd_u8(r, &out->u.lane, "lane index");
    case IMM_MEMARG_LANE:
        return read_memarg(r, &out->u.memarg.mem) && rd_u8(r, &out->u.memarg.lane, "lane index");
    case IMM_SELECT_T:
        return read_select_types(r, out);
    case IMM_REFTYPE:
        return read_ref_null_type(r, &out->u.reftype);
    case IMM_TAG:
        return rd_u32(r, &out->u.index, "tag index");
    case IMM_TRY_TABLE:
        return read_try_table(r, scratch, out);
    case IMM_ZERO: {
        uint8_t zero;
        if (!rd_u8(r, &zero, "atomic.fence's reserved byte"))
            return false;
        if (zero != 0)
            return rd_fail_at(r, rd_offset(r) - 1, KILN_ERR_MALFORMED,
                              "zero byte expected: atomic.fence's reserved byte is 0x%02x", zero);
        return true;
    }
    }
    kiln_die(__FILE__, __LINE__, "opcodes.def names an immediate kind decode.c does not know");
}

/* The Wasm 3.0 (and proposal) instructions Kiln does not compile, by opcode. */
typedef struct op3 {
    uint8_t prefix; /* 0, 0xFB, 0xFC, 0xFD or 0xFE */
    uint32_t first, last;
    const char *feature;
    const char *name; /* of the first code; NULL: named by the table below */
} op3;

static const op3 ops3[] = {
    {0, 0xD3, 0xD3, KILN_FEATURE_GC, "ref.eq"},
    {0xFB, 0x00, 0x1E, KILN_FEATURE_GC, NULL},
};

static const char *const gc_op_names[0x1F] = {
    "struct.new",      "struct.new_default", "struct.get",         "struct.get_s",
    "struct.get_u",    "struct.set",         "array.new",          "array.new_default",
    "array.new_fixed", "array.new_data",     "array.new_elem",     "array.get",
    "array.get_s",     "array.get_u",        "array.set",          "array.len",
    "array.fill",      "array.copy",         "array.init_data",    "array.init_elem",
    "ref.test",        "ref.test null",      "ref.cast",           "ref.cast null",
    "br_on_cast",      "br_on_cast_fail",    "any.convert_extern", "extern.convert_any",
    "ref.i31",         "i31.get_s",          "i31.get_u"};

/* An opcode Wasm 2.0 does not have, at offset at: unsupported if it is one of ops3[], else
 * the 2.0 error "illegal opcode". Returns false. */
static bool unknown_opcode(kiln_reader *r, size_t at, uint8_t prefix, uint32_t code)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(ops3); i++) {
        const op3 *o = &ops3[i];
        if (o->prefix != prefix || code < o->first || code > o->last)
            continue;
        if (o->name)
            return rd_unsupported(r, at, o->feature, "%s", o->name);
        return rd_unsupported(r, at, o->feature, "%s", gc_op_names[code]); /* 0xFB */
    }
    if (prefix)
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "illegal opcode 0x%02x 0x%02x", prefix,
                          (unsigned)code);
    return rd_fail_at(r, at, KILN_ERR_MALFORMED, "illegal opcode 0x%02x", (unsigned)code);
}

/* instr ::= opcode:byte immediates | 0xFC sub:u32 immediates | 0xFD sub:u32 immediates
 * | 0xFE sub:u32 immediates (threads) (and Wasm 3.0's 0xFB, GC: recognised, unknown_opcode)
 * scratch may be NULL: br_table targets are then read and checked but not stored
 * (u.br_table.targets = NULL), which is what the decoder's structure pass does. */
bool dec_instr(kiln_reader *r, kiln_arena *scratch, wasm_instr *out)
{
    memset(out, 0, sizeof *out);
    out->offset = rd_offset(r);
    uint8_t byte;
    if (!rd_u8(r, &byte, "opcode"))
        return false;
    uint8_t prefix = 0;
    uint32_t code = byte;
    if (byte == 0xFC || byte == 0xFD) {
        prefix = byte;
        if (!rd_u32(r, &code, "opcode"))
            return false;
    } else if (byte == 0xFB || byte == 0xFE) {
        /* Prefixes Wasm 2.0 does not have: "illegal opcode 0xfb" unless a sub-opcode follows */
        kiln_diag scratch_diag;
        kiln_reader p = probe(r, &scratch_diag);
        uint32_t sub;
        if (rd_u32(&p, &sub, "opcode")) {
            prefix = byte;
            code = sub;
            r->p = p.p;
        }
    }
    uint16_t op = prefix == 0xFB ? WASM_OP_COUNT : wasm_op_lookup(prefix, code);
    if (op >= WASM_OP_COUNT) {
        if (prefix == 0xFB || prefix == 0xFE) {
            bool known = false;
            for (size_t i = 0; i < KILN_ARRAY_LEN(ops3); i++)
                known = known ||
                        (ops3[i].prefix == prefix && code >= ops3[i].first && code <= ops3[i].last);
            if (!known) /* e.g. 0xFB 0x7F: as in Wasm 2.0, the prefix byte is the illegal one */
                return rd_fail_at(r, out->offset, KILN_ERR_MALFORMED, "illegal opcode 0x%02x",
                                  byte);
        }
        return unknown_opcode(r, out->offset, prefix, code);
    }
    out->op = op;
    return read_immediates(r, scratch, wasm_ops[op].imm, out);
}

/* A function body's reader ran out before its final `end`. The reference interpreter reads
 * the module as one stream and would go on with the bytes after the body, so its message
 * depends on them: nothing left is "unexpected end", a 0x0B that could close the function
 * makes the body longer than its size ("section size mismatch"), anything else is read
 * where the final end should be ("END opcode expected"). */
static bool body_ran_out(dec_ctx *c, kiln_reader *r, uint32_t depth)
{
    if (r->end == c->module_end)
        return rd_fail(r, KILN_ERR_MALFORMED, MSG_END ": function body has no final end");
    if (*r->end == 0x0B && depth == 0)
        return rd_fail(r, KILN_ERR_MALFORMED,
                       "section size mismatch: function body has no final end");
    return rd_fail(r, KILN_ERR_MALFORMED, "END opcode expected: function body has no final end");
}

// expr ::= (in:instr)* 0x0B, where block, loop and if open a nested instruction sequence
// that their own 0x0B closes, and an if's sequence may be split once by 0x05 (else).
static bool walk_expr(dec_ctx *c, kiln_reader *r, bool is_body, uint32_t func_index, wasm_expr *out)
{
    size_t start = rd_offset(r);
    uint32_t depth = 0; /* open blocks, not counting the expression itself */
    for (;;) {
        if (rd_done(r)) {
            if (is_body)
                return body_ran_out(c, r, depth);
            return rd_fail(r, KILN_ERR_MALFORMED, MSG_END ": constant expression has no end");
        }
        wasm_instr ins;
        if (!dec_instr(r, NULL, &ins))
            return false;
        uint8_t byte = r->base[ins.offset];
        uint8_t *top = depth ? &c->frames[depth - 1] : NULL;
        if (is_body && ins.op == WASM_OP_TABLE_GROW)
            c->m->table_grow_used = true;
        if (is_body && c->m->exception_use.offset == KILN_NO_OFFSET &&
            wasm_instr_uses_exceptions(&ins))
            c->m->exception_use = (struct wasm_use){ins.offset, func_index, wasm_ops[ins.op].name};
        if (ins.op == WASM_OP_BLOCK || ins.op == WASM_OP_LOOP || ins.op == WASM_OP_IF ||
            ins.op == WASM_OP_TRY || ins.op == WASM_OP_TRY_TABLE) {
            if (depth == KILN_MAX_NESTING)
                return rd_fail_at(r, ins.offset, KILN_ERR_LIMIT,
                                  "blocks nested deeper than the limit of %u (KILN_MAX_NESTING)",
                                  KILN_MAX_NESTING);
            c->frames[depth++] = ins.op == WASM_OP_IF    ? FRAME_IF
                                 : ins.op == WASM_OP_TRY ? FRAME_TRY
                                                         : FRAME_BLOCK;
        } else if (byte == 0x05) {
            if (!top || *top != FRAME_IF)
                return rd_fail_at(r, ins.offset, KILN_ERR_MALFORMED,
                                  "END opcode expected: else outside an if");
            *top = FRAME_ELSE;
        } else if (ins.op == WASM_OP_CATCH || ins.op == WASM_OP_CATCH_ALL) {
            if (!top || (*top != FRAME_TRY && *top != FRAME_CATCH))
                return rd_fail_at(r, ins.offset, KILN_ERR_MALFORMED,
                                  "END opcode expected: %s outside a try or after catch_all",
                                  wasm_ops[ins.op].name);
            *top = ins.op == WASM_OP_CATCH ? FRAME_CATCH : FRAME_CATCH_ALL;
        } else if (ins.op == WASM_OP_DELEGATE) {
            if (!top || *top != FRAME_TRY)
                return rd_fail_at(r, ins.offset, KILN_ERR_MALFORMED,
                                  "END opcode expected: delegate outside a try or after a catch");
            depth--; /* delegate ends the try */
        } else if (byte == 0x0B) {
            if (depth == 0)
                break;
            depth--;
        } else if (is_body &&
                   (wasm_ops[ins.op].imm == IMM_MEMORY_INIT || wasm_ops[ins.op].imm == IMM_DATA)) {
            if (c->first_data_use == KILN_NO_OFFSET) {
                c->first_data_use = ins.offset;
                c->first_data_use_func = func_index;
            }
        }
    }
    if (is_body && !rd_done(r))
        return rd_fail(r, KILN_ERR_MALFORMED,
                       "section size mismatch: function body continues after its final end");
    out->offset = start;
    out->size = rd_offset(r) - start;
    return true;
}

static bool read_const_expr(dec_ctx *c, kiln_reader *r, wasm_expr *out)
{
    return walk_expr(c, r, false, KILN_NO_FUNC, out);
}

/*
 * Index spaces: imports first, then the definitions of one section.
 */

static bool alloc_funcs(dec_ctx *c, uint32_t defined)
{
    wasm_module *m = c->m;
    m->func_count = m->func_import_count + defined;
    m->funcs = ALLOC_ARRAY(c, wasm_func, m->func_count, "functions");
    if (!m->funcs)
        return false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        if (m->imports[i].kind != WASM_EXTERN_FUNC)
            continue;
        m->funcs[k].type_index = m->imports[i].u.type_index;
        m->funcs[k].imported = true;
        k++;
    }
    return true;
}

static bool alloc_tables(dec_ctx *c, uint32_t defined)
{
    wasm_module *m = c->m;
    m->table_count = m->table_import_count + defined;
    m->tables = ALLOC_ARRAY(c, wasm_table, m->table_count, "tables");
    if (!m->tables)
        return false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        if (m->imports[i].kind != WASM_EXTERN_TABLE)
            continue;
        m->tables[k].type = m->imports[i].u.table;
        m->tables[k].imported = true;
        m->tables[k].offset = m->imports[i].offset;
        k++;
    }
    return true;
}

static bool alloc_memories(dec_ctx *c, uint32_t defined)
{
    wasm_module *m = c->m;
    m->memory_count = m->memory_import_count + defined;
    m->memories = ALLOC_ARRAY(c, wasm_memory, m->memory_count, "memories");
    if (!m->memories)
        return false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        if (m->imports[i].kind != WASM_EXTERN_MEMORY)
            continue;
        m->memories[k].type = m->imports[i].u.memory;
        m->memories[k].imported = true;
        m->memories[k].offset = m->imports[i].offset;
        k++;
    }
    return true;
}

static bool alloc_globals(dec_ctx *c, uint32_t defined)
{
    wasm_module *m = c->m;
    m->global_count = m->global_import_count + defined;
    m->globals = ALLOC_ARRAY(c, wasm_global, m->global_count, "globals");
    if (!m->globals)
        return false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        if (m->imports[i].kind != WASM_EXTERN_GLOBAL)
            continue;
        m->globals[k].type = m->imports[i].u.global;
        m->globals[k].imported = true;
        k++;
    }
    return true;
}

/*
 * Sections
 */

/* Whether a recursion group follows (at 0x4E) whose members are all function types, plain
 * (0x60) or final without supertypes (0x4F 0x00 0x60): the groups Kiln compiles (types that
 * name each other). Reads a probe; records nothing. */
static bool is_func_rec_group(const kiln_reader *r)
{
    kiln_diag scratch;
    kiln_reader p = probe(r, &scratch);
    uint8_t b;
    uint32_t n, supers;
    if (!rd_u8(&p, &b, "rec") || b != 0x4E || !rd_u32(&p, &n, "recursive type count"))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!rd_done(&p) && *p.p == 0x4F) {
            p.p++;
            if (!rd_u32(&p, &supers, "supertype count") || supers != 0)
                return false;
        }
        if (rd_done(&p) || *p.p != 0x60 || !skip_comptype(&p))
            return false;
    }
    return true;
}

/* Room for one more type in m->types (grown geometrically in the module arena). */
static bool type_room(dec_ctx *c, uint32_t *cap)
{
    wasm_module *m = c->m;
    if (m->type_count < *cap)
        return true;
    uint32_t grown_cap = *cap ? *cap * 2 : 8;
    wasm_functype *grown = ALLOC_ARRAY(c, wasm_functype, grown_cap, "types");
    if (!grown)
        return false;
    if (m->type_count)
        memcpy(grown, m->types, m->type_count * sizeof *grown);
    m->types = grown;
    *cap = grown_cap;
    return true;
}

/* One type (a subtype): plain, or final without supertypes (0x4F 0x00), at index
 * m->type_count of the group that starts at group. */
static bool read_member(dec_ctx *c, kiln_reader *r, uint32_t group, uint32_t *cap)
{
    wasm_module *m = c->m;
    if (m->type_count == KILN_MAX_TYPES)
        return rd_fail(r, KILN_ERR_LIMIT, "more types than the limit of %u (KILN_MAX_TYPES)",
                       KILN_MAX_TYPES);
    if (!type_room(c, cap))
        return false;
    wasm_functype *ft = &m->types[m->type_count];
    memset(ft, 0, sizeof *ft);
    ft->offset = rd_offset(r);
    ft->group = group;
    if (rd_left(r) >= 3 && r->p[0] == 0x4F && r->p[1] == 0x00 && r->p[2] == 0x60)
        r->p += 2; /* sub final (func ...): the same type as (func ...) */
    if (!read_functype(c, r, ft))
        return false;
    m->type_count++;
    return true;
}

// typesec ::= rt*:section_1(vec(rectype))
// rectype ::= 0x4E st*:vec(subtype) | st:subtype   (subtypes of function types: above)
static bool read_type_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_TYPES, "type count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 2); /* 0x60 0x00 0x00; 3.0: struct 0x5f 0x00, rec 0x4e 0x00 */
    m->types = ALLOC_ARRAY(c, wasm_functype, cap ? cap : 1, "types");
    if (!m->types)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t group = m->type_count, size = 1;
        if (is_func_rec_group(r)) {
            r->p++;
            if (!rd_u32(r, &size, "recursive type count"))
                return false;
            for (uint32_t k = 0; k < size; k++)
                if (!read_member(c, r, group, &cap))
                    return false;
        } else if (!read_member(c, r, group, &cap)) {
            return false;
        }
        for (uint32_t k = group; k < m->type_count; k++)
            m->types[k].group_size = size;
    }
    return true;
}

/* tagtype ::= 0x00 x:typeidx (Wasm 3.0, exceptions). True if it decodes (r is then past
 * it, *type_index set); false with nothing read or recorded if not. */
static bool read_tagtype(kiln_reader *r, uint32_t *type_index)
{
    kiln_diag scratch;
    kiln_reader p = probe(r, &scratch);
    uint8_t attribute;
    if (!rd_u8(&p, &attribute, "tag attribute") || attribute != 0 ||
        !rd_u32(&p, type_index, "tag type index"))
        return false;
    r->p = p.p;
    return true;
}

// import ::= mod:name nm:name d:importdesc
// importdesc ::= 0x00 x:typeidx | 0x01 tt:tabletype | 0x02 mt:memtype | 0x03 gt:globaltype
static bool read_import(kiln_reader *r, wasm_import *im)
{
    im->offset = rd_offset(r);
    if (!rd_name(r, &im->module.ptr, &im->module.len, "import module name") ||
        !rd_name(r, &im->name.ptr, &im->name.len, "import field name") ||
        !rd_u8(r, &im->kind, "import kind"))
        return false;
    switch (im->kind) {
    case WASM_EXTERN_FUNC:
        return rd_u32(r, &im->u.type_index, "import type index");
    case WASM_EXTERN_TABLE:
        return read_tabletype(r, &im->u.table);
    case WASM_EXTERN_MEMORY:
        return read_limits(r, &im->u.memory.limits, "memory");
    case WASM_EXTERN_GLOBAL:
        return read_globaltype(r, &im->u.global);
    case WASM_EXTERN_TAG: { /* Wasm 3.0 (exceptions); a truncated one is 2.0's error */
        size_t at = rd_offset(r) - 1;
        if (read_tagtype(r, &im->u.type_index))
            return true;
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed import kind 0x%02x", im->kind);
    }
    default:
        return rd_fail_at(r, rd_offset(r) - 1, KILN_ERR_MALFORMED, "malformed import kind 0x%02x",
                          im->kind);
    }
}

// importsec ::= im*:section_2(vec(import))
static bool read_import_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_IMPORTS, "import count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 4); /* two names, kind, one-byte type index */
    m->imports = ALLOC_ARRAY(c, wasm_import, cap, "imports");
    if (!m->imports)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        wasm_import *im = &m->imports[i];
        m->import_count = i + 1;
        if (!read_import(r, im))
            return false;
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            m->func_import_count++;
            break;
        case WASM_EXTERN_TABLE:
            m->table_import_count++;
            break;
        case WASM_EXTERN_MEMORY:
            m->memory_import_count++;
            break;
        case WASM_EXTERN_GLOBAL:
            m->global_import_count++;
            break;
        default: /* WASM_EXTERN_TAG (Wasm 3.0) */
            m->tag_import_count++;
            break;
        }
    }
    return true;
}

// funcsec ::= x*:section_3(vec(typeidx))
static bool read_function_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_FUNCTIONS - m->func_import_count, "function count"))
        return false;
    if (!alloc_funcs(c, n))
        return false;
    c->has_func_section = true;
    c->defined_func_count = n;
    for (uint32_t i = 0; i < n; i++)
        if (!rd_u32(r, &m->funcs[m->func_import_count + i].type_index, "function type index"))
            return false;
    return true;
}

/* table ::= tt:tabletype | 0x40 0x00 tt:tabletype e:expr   (the second form is Wasm 3.0,
 * function-references: a table whose elements start as e's value, not null) */
static bool read_table(dec_ctx *c, kiln_reader *r, wasm_table *out)
{
    if (rd_left(r) >= 2 && r->p[0] == 0x40 && r->p[1] == 0x00) {
        r->p += 2;
        out->has_init = true;
        return read_tabletype(r, &out->type) && read_const_expr(c, r, &out->init);
    }
    return read_tabletype(r, &out->type);
}

// tablesec ::= tab*:section_4(vec(tabletype))
static bool read_table_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    uint32_t limit =
        KILN_MAX_TABLES > m->table_import_count ? KILN_MAX_TABLES - m->table_import_count : 0;
    if (!rd_count(r, &n, 1, limit, "table count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 3); /* reftype, flag, minimum */
    if (!alloc_tables(c, cap))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        m->tables[m->table_import_count + i].offset = rd_offset(r);
        if (!read_table(c, r, &m->tables[m->table_import_count + i]))
            return false;
    }
    m->table_count = m->table_import_count + n;
    return true;
}

// memsec ::= mem*:section_5(vec(memtype)); memtype ::= lim:limits
// (More than one memory is invalid in Wasm 2.0, not malformed: validate.c reports it.)
static bool read_memory_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    uint32_t limit =
        KILN_MAX_MEMORIES > m->memory_import_count ? KILN_MAX_MEMORIES - m->memory_import_count : 0;
    if (!rd_count(r, &n, 1, limit, "memory count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 2); /* flag, minimum */
    if (!alloc_memories(c, cap))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        m->memories[m->memory_import_count + i].offset = rd_offset(r);
        if (!read_limits(r, &m->memories[m->memory_import_count + i].type.limits, "memory"))
            return false;
    }
    m->memory_count = m->memory_import_count + n;
    return true;
}

static bool alloc_tags(dec_ctx *c, uint32_t defined)
{
    wasm_module *m = c->m;
    m->tag_count = m->tag_import_count + defined;
    m->tags = ALLOC_ARRAY(c, wasm_tag, m->tag_count ? m->tag_count : 1, "tags");
    if (!m->tags)
        return false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        if (m->imports[i].kind != WASM_EXTERN_TAG)
            continue;
        m->tags[k].type_index = m->imports[i].u.type_index;
        m->tags[k].imported = true;
        m->tags[k].offset = m->imports[i].offset;
        k++;
    }
    return true;
}

/* tagsec ::= tag*:section_13(vec(tag)); tag ::= 0x00 x:typeidx (Wasm 3.0, exceptions;
 * is_tag_section made sure it decodes) */
static bool read_tag_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_TAGS, "tag count"))
        return false;
    if (!alloc_tags(c, vec_capacity(r, n, 2)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        wasm_tag *t = &m->tags[m->tag_import_count + i];
        t->offset = rd_offset(r);
        if (!read_tagtype(r, &t->type_index))
            return rd_fail(r, KILN_ERR_MALFORMED, "malformed tag");
    }
    m->tag_count = m->tag_import_count + n;
    return true;
}

// globalsec ::= glob*:section_6(vec(global)); global ::= gt:globaltype e:expr
static bool read_global_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    uint32_t limit =
        KILN_MAX_GLOBALS > m->global_import_count ? KILN_MAX_GLOBALS - m->global_import_count : 0;
    if (!rd_count(r, &n, 1, limit, "global count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 3); /* type, mutability, end */
    if (!alloc_globals(c, cap))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        wasm_global *g = &m->globals[m->global_import_count + i];
        if (!read_globaltype(r, &g->type) || !read_const_expr(c, r, &g->init))
            return false;
    }
    m->global_count = m->global_import_count + n;
    return true;
}

// export ::= nm:name d:exportdesc
// exportdesc ::= 0x00 x:funcidx | 0x01 x:tableidx | 0x02 x:memidx | 0x03 x:globalidx
static bool read_export(kiln_reader *r, wasm_export *ex)
{
    ex->offset = rd_offset(r);
    if (!rd_name(r, &ex->name.ptr, &ex->name.len, "export name") ||
        !rd_u8(r, &ex->kind, "export kind"))
        return false;
    if (ex->kind == WASM_EXTERN_TAG) { /* Wasm 3.0 (exceptions); truncated: 2.0's error */
        kiln_diag scratch;
        kiln_reader p = probe(r, &scratch);
        if (rd_u32(&p, &ex->index, "export index")) {
            r->p = p.p;
            return true;
        }
    }
    if (ex->kind > WASM_EXTERN_GLOBAL)
        return rd_fail_at(r, rd_offset(r) - 1, KILN_ERR_MALFORMED, "malformed export kind 0x%02x",
                          ex->kind);
    return rd_u32(r, &ex->index, "export index");
}

// exportsec ::= ex*:section_7(vec(export))
static bool read_export_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_EXPORTS, "export count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 3); /* name, kind, index */
    m->exports = ALLOC_ARRAY(c, wasm_export, cap, "exports");
    if (!m->exports)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        if (!read_export(r, &m->exports[i]))
            return false;
    }
    m->export_count = n;
    return true;
}

// startsec ::= st?:section_8(start); start ::= x:funcidx
static bool read_start_section(dec_ctx *c, kiln_reader *r)
{
    c->m->start_offset = rd_offset(r);
    c->m->has_start = true;
    return rd_u32(r, &c->m->start, "start function index");
}

// elemkind ::= 0x00 ((ref func): Wasm 3.0 types the function indices' ref.func so)
static bool read_elemkind(kiln_reader *r, wasm_valtype *out)
{
    uint8_t b;
    if (!rd_u8(r, &b, "element kind"))
        return false;
    if (b != 0)
        return rd_fail_at(r, rd_offset(r) - 1, KILN_ERR_MALFORMED, "malformed element kind 0x%02x",
                          b);
    *out = wasm_ref(WASM_HT_FUNC, false);
    return true;
}

/* elem ::= 0:u32 e:expr y*:vec(funcidx)                      active, table 0, funcref
 *        | 1:u32 et:elemkind y*:vec(funcidx)                 passive
 *        | 2:u32 x:tableidx e:expr et:elemkind y*:vec(funcidx) active
 *        | 3:u32 et:elemkind y*:vec(funcidx)                 declarative
 *        | 4:u32 e:expr el*:vec(expr)                        active, table 0, funcref
 *        | 5:u32 et:reftype el*:vec(expr)                    passive
 *        | 6:u32 x:tableidx e:expr et:reftype el*:vec(expr)  active
 *        | 7:u32 et:reftype el*:vec(expr)                    declarative
 * Flag bit 0: passive or declarative; bit 1: explicit table (active) or declarative;
 * bit 2: expressions instead of function indices. */
static bool read_elem(dec_ctx *c, kiln_reader *r, wasm_elem *el)
{
    el->offset = rd_offset(r);
    uint32_t flags;
    if (!rd_u32(r, &flags, "element segment flags"))
        return false;
    if (flags > 7)
        return rd_fail_at(r, el->offset, KILN_ERR_MALFORMED, "malformed elements segment kind %u",
                          (unsigned)flags);
    bool passive_or_declarative = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
    el->type = exprs ? WASM_VT_FUNCREF : wasm_ref(WASM_HT_FUNC, false);
    if (passive_or_declarative) {
        el->mode = explicit_table ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
    } else {
        el->mode = WASM_SEG_ACTIVE;
        if (explicit_table && !rd_u32(r, &el->table, "element segment table index"))
            return false;
        if (!read_const_expr(c, r, &el->offset_expr))
            return false;
    }
    if (passive_or_declarative || explicit_table) {
        if (exprs ? !read_reftype(r, &el->type, "element segment type")
                  : !read_elemkind(r, &el->type))
            return false;
    }
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_ELEM_SEGMENT_SIZE, "element segment size"))
        return false;
    if (exprs) {
        el->exprs = ALLOC_ARRAY(c, wasm_expr, n, "element expressions");
        if (!el->exprs)
            return false;
        for (uint32_t i = 0; i < n; i++)
            if (!read_const_expr(c, r, &el->exprs[i]))
                return false;
    } else {
        el->func_indices = ALLOC_ARRAY(c, uint32_t, n, "element function indices");
        if (!el->func_indices)
            return false;
        for (uint32_t i = 0; i < n; i++)
            if (!rd_u32(r, &el->func_indices[i], "element function index"))
                return false;
    }
    el->count = n;
    return true;
}

// elemsec ::= seg*:section_9(vec(elem))
static bool read_elem_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_ELEM_SEGMENTS, "element segment count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 3); /* flags, expression or kind, count */
    m->elems = ALLOC_ARRAY(c, wasm_elem, cap, "element segments");
    if (!m->elems)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        if (!read_elem(c, r, &m->elems[i]))
            return false;
    }
    m->elem_count = n;
    return true;
}

// datacountsec ::= n?:section_12(u32)
static bool read_data_count_section(dec_ctx *c, kiln_reader *r)
{
    c->m->has_data_count = true;
    return rd_u32(r, &c->m->data_count, "data count");
}

/* locals ::= n:u32 t:valtype, in func ::= (t*)*:vec(locals) e:expr.
 * The spec makes a total over 2^32-1 malformed; Kiln's own limit comes after that. */
static bool read_locals(dec_ctx *c, kiln_reader *r, wasm_func *f)
{
    size_t at = rd_offset(r);
    uint32_t n;
    if (!rd_count(r, &n, 1, UINT32_MAX, "local group count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 2); /* count, type */
    wasm_localgroup *groups = NULL;
    if (f) {
        groups = ALLOC_ARRAY(c, wasm_localgroup, cap, "local groups");
        if (!groups)
            return false;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        wasm_localgroup g;
        if (!rd_u32(r, &g.count, "local count") || !read_valtype(r, &g.type, "local type"))
            return false;
        total += g.count;
        if (groups)
            groups[i] = g;
    }
    if (total > UINT32_MAX)
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "too many locals: %llu",
                          (unsigned long long)total);
    if (total > KILN_MAX_LOCALS)
        return rd_fail_at(r, at, KILN_ERR_LIMIT,
                          "too many locals: %llu exceeds the limit of %u (KILN_MAX_LOCALS)",
                          (unsigned long long)total, KILN_MAX_LOCALS);
    if (f) {
        f->local_group_count = n;
        f->local_groups = groups;
        f->local_count = (uint32_t)total;
    }
    return true;
}

// code ::= size:u32 code:func (if size = ||func||)
static bool read_code(dec_ctx *c, kiln_reader *r, uint32_t i)
{
    wasm_module *m = c->m;
    size_t entry = rd_offset(r);
    uint32_t func_index = m->func_import_count + i;
    /* Bodies beyond the function section's count are still decoded (the spec reports the
     * count mismatch only after the whole module), but not stored. */
    wasm_func *f = i < c->defined_func_count ? &m->funcs[func_index] : NULL;
    uint32_t size;
    kiln_reader body;
    if (!rd_count(r, &size, 1, UINT32_MAX, "function body size"))
        return false;
    if (size > KILN_MAX_FUNCTION_SIZE)
        return rd_fail_at(r, entry, KILN_ERR_LIMIT,
                          "function body of %u bytes exceeds the limit of %u "
                          "(KILN_MAX_FUNCTION_SIZE)",
                          (unsigned)size, KILN_MAX_FUNCTION_SIZE);
    if (!rd_sub(r, size, &body, "function body"))
        return false;
    wasm_expr expr;
    bool had_later = r->later && r->later->code != KILN_OK;
    bool had_wasm2 = r->wasm2 && r->wasm2->code != KILN_OK;
    bool ok = read_locals(c, &body, f) && walk_expr(c, &body, true, func_index, &expr);
    if (r->later && !had_later && r->later->code != KILN_OK)
        r->later->func_index = func_index;
    if (r->wasm2 && !had_wasm2 && r->wasm2->code != KILN_OK)
        r->wasm2->func_index = func_index;
    if (!ok) {
        if (c->d->code != KILN_ERR_NOMEM)
            c->d->func_index = func_index;
        return false;
    }
    if (f) {
        f->body = expr;
        f->code_offset = entry;
    }
    return true;
}

/* How instructions read memory immediates in m (kiln_reader.multi_memory, .memory64). In the
 * code section, m->memories is NULL when the module defines no memory (imports only). */
static void set_memory_flags(kiln_reader *r, const wasm_module *m)
{
    uint32_t memories = m->memories ? m->memory_count : m->memory_import_count;
    r->multi_memory = memories > 1;
    r->memory64 = false;
    for (uint32_t i = 0; i < m->import_count; i++)
        if (m->imports[i].kind == WASM_EXTERN_MEMORY && m->imports[i].u.memory.limits.is64)
            r->memory64 = true;
    for (uint32_t i = 0; m->memories && i < m->memory_count; i++)
        if (m->memories[i].type.limits.is64)
            r->memory64 = true;
}

void wasm_expr_reader(kiln_reader *r, const wasm_module *m, wasm_expr e, kiln_diag *d)
{
    KILN_ASSERT(e.offset <= m->size && e.size <= m->size - e.offset);
    rd_init(r, m->bytes, m->size, d);
    set_memory_flags(r, m);
    r->p = m->bytes + e.offset;
    r->end = r->p + e.size;
}

// codesec ::= code*:section_10(vec(code))
static bool read_code_section(dec_ctx *c, kiln_reader *r)
{
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_FUNCTIONS, "function body count"))
        return false;
    c->code_count = n;
    set_memory_flags(r, c->m);
    for (uint32_t i = 0; i < n; i++)
        if (!read_code(c, r, i))
            return false;
    return true;
}

/* data ::= 0:u32 e:expr b*:vec(byte)              active, memory 0
 *        | 1:u32 b*:vec(byte)                     passive
 *        | 2:u32 x:memidx e:expr b*:vec(byte)     active */
static bool read_data(dec_ctx *c, kiln_reader *r, wasm_data *seg)
{
    seg->offset = rd_offset(r);
    uint32_t flags;
    if (!rd_u32(r, &flags, "data segment flags"))
        return false;
    if (flags > 2)
        return rd_fail_at(r, seg->offset, KILN_ERR_MALFORMED, "malformed data segment kind %u",
                          (unsigned)flags);
    if (flags == 1) {
        seg->mode = WASM_SEG_PASSIVE;
    } else {
        seg->mode = WASM_SEG_ACTIVE;
        if (flags == 2 && !rd_u32(r, &seg->memory, "data segment memory index"))
            return false;
        if (!read_const_expr(c, r, &seg->offset_expr))
            return false;
    }
    if (!rd_count(r, &seg->size, 1, UINT32_MAX, "data segment size"))
        return false;
    return rd_bytes(r, seg->size, &seg->bytes, "data segment bytes");
}

// datasec ::= seg*:section_11(vec(data))
static bool read_data_section(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_DATA_SEGMENTS, "data segment count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 2); /* flags, size */
    m->datas = ALLOC_ARRAY(c, wasm_data, cap, "data segments");
    if (!m->datas)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        if (!read_data(c, r, &m->datas[i]))
            return false;
    }
    m->data_seg_count = n;
    return true;
}

/*
 * The name section (custom section "name"), appendix 7.4 of the spec. Its errors never make
 * the module malformed: they go to m->name_section_error and the names are dropped.
 */

// namemap ::= vec(nameassoc); nameassoc ::= idx:u32 nm:name, in strictly increasing idx order
static bool read_namemap(dec_ctx *c, kiln_reader *r, uint64_t limit, uint32_t *out_count,
                         wasm_namemap_entry **out, const char *what)
{
    uint32_t n;
    if (!rd_count(r, &n, 1, limit, what))
        return false;
    uint32_t cap = vec_capacity(r, n, 2); /* index, name */
    wasm_namemap_entry *names = ALLOC_ARRAY(c, wasm_namemap_entry, cap, what);
    if (!names)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        size_t at = rd_offset(r);
        if (!rd_u32(r, &names[i].index, "name index") ||
            !rd_name(r, &names[i].name.ptr, &names[i].name.len, what))
            return false;
        if (i > 0 && names[i].index <= names[i - 1].index)
            return rd_fail_at(r, at, KILN_ERR_MALFORMED,
                              "name map indices not in increasing order: %s", what);
    }
    *out_count = n;
    *out = names;
    return true;
}

// indirectnamemap ::= vec(indirectnameassoc); indirectnameassoc ::= idx:u32 nm:namemap
static bool read_local_names(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    uint32_t n;
    if (!rd_count(r, &n, 1, KILN_MAX_FUNCTIONS, "local name function count"))
        return false;
    uint32_t cap = vec_capacity(r, n, 2); /* index, empty name map */
    wasm_local_names *funcs = ALLOC_ARRAY(c, wasm_local_names, cap, "local names");
    if (!funcs)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        KILN_ASSERT(i < cap);
        size_t at = rd_offset(r);
        if (!rd_u32(r, &funcs[i].func_index, "local name function index") ||
            !read_namemap(c, r, KILN_MAX_LOCALS + KILN_MAX_PARAMS, &funcs[i].count, &funcs[i].names,
                          "local names"))
            return false;
        if (i > 0 && funcs[i].func_index <= funcs[i - 1].func_index)
            return rd_fail_at(r, at, KILN_ERR_MALFORMED,
                              "name map indices not in increasing order: local names");
    }
    m->local_name_count = n;
    m->local_names = funcs;
    return true;
}

/* namesec ::= section_0(namedata); namedata ::= n:name (if n = "name")
 *             modulenamesubsec? funcnamesubsec? localnamesubsec?
 * namesubsection_N(B) ::= N:byte size:u32 B (if size = ||B||)
 * Subsections of the extended-name-section proposal (ids 3 and up) are skipped. */
static bool read_name_subsections(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    int last_id = -1;
    while (!rd_done(r)) {
        size_t at = rd_offset(r);
        uint8_t id;
        uint32_t size;
        kiln_reader sub;
        if (!rd_u8(r, &id, "name subsection id") ||
            !rd_count(r, &size, 1, UINT32_MAX, "name subsection size") ||
            !rd_sub(r, size, &sub, "name subsection"))
            return false;
        if ((int)id <= last_id)
            return rd_fail_at(r, at, KILN_ERR_MALFORMED, "name subsection %u out of order", id);
        last_id = id;
        bool ok = true;
        if (id == 0) {
            ok = rd_name(&sub, &m->module_name.ptr, &m->module_name.len, "module name");
            m->has_module_name = ok;
        } else if (id == 1) {
            ok = read_namemap(c, &sub, KILN_MAX_FUNCTIONS, &m->func_name_count, &m->func_names,
                              "function names");
        } else if (id == 2) {
            ok = read_local_names(c, &sub);
        } else {
            sub.p = sub.end;
        }
        if (!ok)
            return false;
        if (!rd_done(&sub))
            return rd_fail(&sub, KILN_ERR_MALFORMED, "section size mismatch: name subsection %u",
                           id);
    }
    return true;
}

/* Returns false only when out of memory; a malformed name section is recorded in
 * m->name_section_error (r's diag) and all of its names are dropped, never half-kept. */
static bool read_name_section(dec_ctx *c, kiln_reader *r)
{
    if (read_name_subsections(c, r))
        return true;
    if (c->d->code == KILN_ERR_NOMEM)
        return false;
    wasm_module *m = c->m;
    m->has_module_name = false;
    m->module_name = (wasm_str){0};
    m->func_name_count = 0;
    m->func_names = NULL;
    m->local_name_count = 0;
    m->local_names = NULL;
    return true;
}

// customsec ::= section_0(custom); custom ::= name byte*
static bool read_custom_section(dec_ctx *c, kiln_reader *r, wasm_section *sec)
{
    if (!rd_name(r, &sec->name.ptr, &sec->name.len, "custom section name"))
        return false;
    if (sec->name.len == 4 && memcmp(sec->name.ptr, "name", 4) == 0 && !c->seen_name_section) {
        c->seen_name_section = true;
        kiln_reader names = *r;
        names.diag = &c->m->name_section_error;
        if (!read_name_section(c, &names))
            return false;
    }
    r->p = r->end;
    return true;
}

/*
 * The module
 */

/* The position of a section id in the required order; 0 for custom sections and ids the
 * format does not have. The data count section (12) sits between element and code. */
static unsigned section_rank(uint8_t id)
{
    /* The tag section (13, Wasm 3.0) sits between memory and global. */
    static const uint8_t rank[14] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
    return id < sizeof rank ? rank[id] : 0;
}

static const char *section_name(uint8_t id)
{
    static const char *const names[14] = {"custom", "type",   "import",     "function", "table",
                                          "memory", "global", "export",     "start",    "element",
                                          "code",   "data",   "data count", "tag"};
    return id < KILN_ARRAY_LEN(names) ? names[id] : "unknown";
}

static wasm_section *add_section(dec_ctx *c, kiln_reader *r, size_t at)
{
    wasm_module *m = c->m;
    if (m->section_count == KILN_MAX_SECTIONS) {
        rd_fail_at(r, at, KILN_ERR_LIMIT, "more sections than the limit of %u (KILN_MAX_SECTIONS)",
                   KILN_MAX_SECTIONS);
        return NULL;
    }
    if (m->section_count == c->section_cap) {
        uint32_t cap = c->section_cap ? c->section_cap * 2 : 16;
        wasm_section *grown = ALLOC_ARRAY(c, wasm_section, cap, "section list");
        if (!grown)
            return NULL;
        if (m->section_count)
            memcpy(grown, m->sections, m->section_count * sizeof *grown);
        m->sections = grown;
        c->section_cap = cap;
    }
    return &m->sections[m->section_count++];
}

/* tagsec ::= section_13(vec(tag)); tag ::= 0x00 x:typeidx   (Wasm 3.0, exceptions)
 * r is just after the id byte. True if a whole tag section follows (then it is reported as
 * unsupported); else the id is Wasm 2.0's "malformed section id". Records nothing. */
static bool is_tag_section(const kiln_reader *r)
{
    kiln_diag scratch;
    kiln_reader p = probe(r, &scratch), sub;
    uint32_t size, n;
    if (!rd_u32(&p, &size, "section size") || !rd_sub(&p, size, &sub, "section") ||
        !rd_u32(&sub, &n, "tag count"))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t attribute;
        uint32_t type_index;
        if (!rd_u8(&sub, &attribute, "tag attribute") || attribute != 0 ||
            !rd_u32(&sub, &type_index, "tag type index"))
            return false;
    }
    return rd_done(&sub);
}

// section_N(B) ::= N:byte size:u32 cont:B (if size = ||B||)
static bool read_section(dec_ctx *c, kiln_reader *r)
{
    size_t at = rd_offset(r);
    uint8_t id;
    if (!rd_u8(r, &id, "section id"))
        return false;
    if (id > 13 || (id == 13 && !is_tag_section(r)))
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, "malformed section id %u", id);
    unsigned rank = section_rank(id);
    if (rank != 0 && rank <= c->last_rank) {
        if (id == c->last_id)
            return rd_fail_at(r, at, KILN_ERR_MALFORMED, MSG_ORDER ": duplicate %s section",
                              section_name(id));
        return rd_fail_at(r, at, KILN_ERR_MALFORMED, MSG_ORDER ": %s section after %s section",
                          section_name(id), section_name(c->last_id));
    }
    uint32_t size;
    kiln_reader sub;
    if (!rd_count(r, &size, 1, UINT32_MAX, "section size") || !rd_sub(r, size, &sub, "section"))
        return false;
    wasm_section *sec = add_section(c, r, at);
    if (!sec)
        return false;
    sec->id = id;
    sec->offset = at;
    sec->content = rd_offset(&sub);
    sec->size = size;
    if (rank != 0) {
        c->last_rank = rank;
        c->last_id = id;
    }
    bool ok = false;
    switch (id) {
    case 0:
        ok = read_custom_section(c, &sub, sec);
        break;
    case 1:
        ok = read_type_section(c, &sub);
        break;
    case 2:
        ok = read_import_section(c, &sub);
        break;
    case 3:
        c->func_section_offset = at;
        ok = read_function_section(c, &sub);
        break;
    case 4:
        ok = read_table_section(c, &sub);
        break;
    case 5:
        ok = read_memory_section(c, &sub);
        break;
    case 6:
        ok = read_global_section(c, &sub);
        break;
    case 7:
        ok = read_export_section(c, &sub);
        break;
    case 8:
        ok = read_start_section(c, &sub);
        break;
    case 9:
        ok = read_elem_section(c, &sub);
        break;
    case 10:
        c->has_code_section = true;
        c->code_section_offset = at;
        ok = read_code_section(c, &sub);
        break;
    case 11:
        c->has_data_section = true;
        c->data_section_offset = at;
        ok = read_data_section(c, &sub);
        break;
    case 12:
        c->data_count_offset = at;
        ok = read_data_count_section(c, &sub);
        break;
    case 13:
        ok = read_tag_section(c, &sub);
        break;
    }
    if (!ok)
        return false;
    if (!rd_done(&sub))
        return rd_fail(&sub, KILN_ERR_MALFORMED, "section size mismatch: %s section",
                       section_name(id));
    return true;
}

/* The checks the spec makes after the last section, in its order, and the index spaces of
 * kinds that had imports but no section of their own. */
static bool finish_module(dec_ctx *c, kiln_reader *r)
{
    wasm_module *m = c->m;
    if (c->defined_func_count != c->code_count) {
        size_t at = c->has_code_section ? c->code_section_offset : c->func_section_offset;
        return rd_fail_at(r, at, KILN_ERR_MALFORMED,
                          "function and code section have inconsistent lengths: %u functions, "
                          "%u bodies",
                          (unsigned)c->defined_func_count, (unsigned)c->code_count);
    }
    if (m->has_data_count && m->data_count != m->data_seg_count) {
        size_t at = c->has_data_section ? c->data_section_offset : c->data_count_offset;
        return rd_fail_at(r, at, KILN_ERR_MALFORMED,
                          "data count and data section have inconsistent lengths: %u in the "
                          "data count section, %u segments",
                          (unsigned)m->data_count, (unsigned)m->data_seg_count);
    }
    if (!m->has_data_count && c->first_data_use != KILN_NO_OFFSET) {
        rd_fail_at(r, c->first_data_use, KILN_ERR_MALFORMED,
                   "data count section required: for memory.init or data.drop");
        c->d->func_index = c->first_data_use_func;
        return false;
    }
    if (!c->has_func_section && !alloc_funcs(c, 0))
        return false;
    if (!m->tables && !alloc_tables(c, 0))
        return false;
    if (!m->memories && !alloc_memories(c, 0))
        return false;
    if (!m->globals && !alloc_globals(c, 0))
        return false;
    if (!m->tags && !alloc_tags(c, 0))
        return false;
    return true;
}

// module ::= magic version section*   (magic = 0x00 0x61 0x73 0x6D, version = 0x01 0 0 0)
static bool decode_module(dec_ctx *c, kiln_reader *r)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    const uint8_t *bytes;
    if (!rd_bytes(r, 4, &bytes, "magic header"))
        return false;
    if (memcmp(bytes, magic, 4) != 0)
        return rd_fail_at(r, 0, KILN_ERR_MALFORMED, "magic header not detected");
    if (!rd_bytes(r, 4, &bytes, "binary version"))
        return false;
    if (memcmp(bytes, version, 4) != 0)
        return rd_fail_at(
            r, 4, KILN_ERR_MALFORMED, "unknown binary version 0x%08x",
            (unsigned)(bytes[0] | bytes[1] << 8 | bytes[2] << 16 | (uint32_t)bytes[3] << 24));
    while (!rd_done(r))
        if (!read_section(c, r))
            return false;
    return finish_module(c, r);
}

bool kiln_decode(wasm_module *m, const uint8_t *bytes, size_t size, const kiln_allocator *alloc,
                 kiln_diag *d)
{
    memset(m, 0, sizeof *m);
    kiln_arena_init(&m->arena, alloc);
    kiln_diag_init(&m->name_section_error);
    kiln_diag_init(&m->wasm2_malformed);
    m->exception_use.offset = KILN_NO_OFFSET;
    kiln_diag_init(d);
    m->bytes = bytes;
    m->size = bytes ? size : 0;
    if (m->size > KILN_MAX_MODULE_SIZE)
        return kiln_diag_set(d, KILN_ERR_LIMIT, KILN_NO_OFFSET,
                             "module of %zu bytes exceeds the limit of %u (KILN_MAX_MODULE_SIZE)",
                             m->size, KILN_MAX_MODULE_SIZE);
    dec_ctx ctx = {.m = m, .d = d, .first_data_use = KILN_NO_OFFSET};
    dec_ctx *c = &ctx;
    kiln_reader r;
    rd_init(&r, bytes, m->size, d);
    c->module_end = r.end;
    /* Wasm 3.0 constructs that decode completely are reported after the whole module has
     * decoded, so that a malformed byte after one still makes the module malformed. */
    kiln_diag later;
    kiln_diag_init(&later);
    r.later = &later;
    r.wasm2 = &m->wasm2_malformed;
    bool ok = decode_module(c, &r);
    if (later.code != KILN_OK && (ok || d->code == KILN_ERR_UNSUPPORTED)) {
        *d = later; /* the first Wasm 3.0 construct, before an unsupported instruction too */
        return false;
    }
    return ok;
}

void wasm_module_free(wasm_module *m)
{
    if (m->arena.alloc)
        kiln_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}

bool wasm_module_func_name(const wasm_module *m, uint32_t func_index, wasm_str *out)
{
    uint32_t lo = 0, hi = m->func_name_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t index = m->func_names[mid].index;
        if (index == func_index) {
            *out = m->func_names[mid].name;
            return true;
        }
        if (index < func_index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

const wasm_functype *wasm_module_func_type(const wasm_module *m, uint32_t f)
{
    KILN_ASSERT(f < m->func_count);
    uint32_t t = m->funcs[f].type_index;
    return t < m->type_count ? &m->types[t] : NULL;
}
