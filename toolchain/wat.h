/* wat.h -- the text-format reader's private header (wat_lex.c, wat_encode.c, wat_instr.c,
 * wat_module.c, and the unit tests of the lexer).
 *
 * The reader turns module text into the module's binary encoding, so that the decoder and
 * validator serve both inputs (docs/text-format.md). Its one public entry point,
 * kiln_wat_to_wasm, is declared in toolchain.h. The pieces, in the order a module goes
 * through them:
 *   wat_lex.c     tokens on demand (no token array): the lexer is a small value, so a parser
 *                 looks ahead or goes back by copying it; number and string conversion;
 *   wat_module.c  the module grammar (fields and all their abbreviations), in three passes:
 *                 type names; then names and explicit types; then the sections;
 *   wat_instr.c   instructions, plain and folded, driven by opcodes.def's and opcodes3.def's
 *                 names;
 *   wat_encode.c  growable byte buffers with LEB128 writers, and the name tables;
 *   wat_annot.c   the annotations it interprets: @custom sections, @name names, branch hints.
 * Errors are kiln_diag records of class malformed with the reference interpreter's wording
 * and the token's line and column.
 */
#ifndef KILN_TOOLCHAIN_WAT_H
#define KILN_TOOLCHAIN_WAT_H

#include "opcodes3.h"
#include "toolchain.h"

/*
 * wat_lex.c
 */

typedef enum wat_tok_kind {
    WAT_EOF,
    WAT_LPAR,     /* ( */
    WAT_RPAR,     /* ) */
    WAT_KEYWORD,  /* starts with a-z and is not a number: "module", "i32.add", "offset=8" */
    WAT_ID,       /* $name or $"name": name/name_len hold the name without the '$' */
    WAT_NUM,      /* a well-formed integer or float literal, inf and nan forms included */
    WAT_STRING,   /* "...": the literal as written (decode with wat_string) */
    WAT_RESERVED, /* any other run of idchars (malformed numbers like 1_ or 0x): an error
                     wherever the parser meets one ("unknown operator") */
} wat_tok_kind;

typedef struct wat_token {
    uint8_t kind;     /* wat_tok_kind */
    bool is_int;      /* WAT_NUM: an integer (no fraction, exponent, inf or nan) */
    bool is_nat;      /* WAT_NUM: an unsigned integer (no sign) */
    bool id_escaped;  /* WAT_ID: written $"..." (name points into the reader's arena) */
    const char *text; /* the token as written */
    size_t len;
    const char *name; /* WAT_ID: the name without '$' */
    size_t name_len;
    size_t offset;         /* of the first byte */
    size_t space_at;       /* where the space before it (comments, annotations) begins */
    uint32_t line, column; /* 1-based; columns count bytes */
} wat_token;

/* The annotations the reader interprets (wat_module.c); any other (@id ...) is skipped. */
enum { WAT_ANNOT_CUSTOM, WAT_ANNOT_NAME, WAT_ANNOT_BRANCH_HINT, WAT_ANNOT_KIND_COUNT };

/* One interpreted annotation, as the lexer met it outside any other. */
typedef struct wat_annot {
    uint8_t kind;          /* WAT_ANNOT_* */
    bool claimed;          /* a place of the grammar took it (else it is misplaced) */
    size_t at, body;       /* its "(@", and the end of its id (where its items begin) */
    size_t line_start;     /* the offset of the first byte of at's line */
    uint32_t line, column; /* of at */
} wat_annot;

/* The interpreted annotations of a text, in text order (an array in an arena). */
typedef struct wat_annots {
    wat_annot *list;
    uint32_t count, cap;
    bool failed; /* out of memory: some are missing */
} wat_annots;

typedef struct wat_lexer {
    const char *base, *p, *end;
    uint32_t line;
    const char *line_start;
    kiln_arena *arena; /* for escaped ids */
    kiln_diag *d;
    wat_token tok;      /* the current token (after wat_next) */
    wat_annots *annots; /* NULL, or where @custom, @name and @metadata.code.branch_hint
                           annotations are recorded (in the arena) as they are skipped */
} wat_lexer;

/* arena receives the names of $"..." ids; NULL for a look-ahead copy, whose escaped ids
 * then have no name (so peeking at a huge $"..." costs no allocation). */
void wat_lex_init(wat_lexer *lx, const char *text, size_t size, kiln_arena *arena, kiln_diag *d);
/* Reads the next token into lx->tok. False (with d set) on a lexical error: an unclosed
 * string or comment, a bad escape, bytes that are not UTF-8 in a string or comment, an
 * illegal character. Whitespace, comments and annotations (@id ...) are skipped. */
bool wat_next(wat_lexer *lx);

/* Records a malformed-text error at tok. Returns false. */
bool wat_fail(kiln_diag *d, const wat_token *tok, const char *fmt, ...) KILN_PRINTF(3, 4);

/* The decoded bytes of a WAT_STRING token. out must hold tok->len bytes (a string never
 * decodes to more than it is written with). Returns the decoded length. The token was
 * checked by the lexer, so this cannot fail. */
size_t wat_string(const wat_token *tok, uint8_t *out);

/* Integer literals. nat: digits or 0x hexdigits with single '_' between digits.
 * wat_int: sign? nat, into a value of bits (32 or 64) bits: anything from -2^(bits-1) to
 * 2^bits - 1, stored as its two's complement. False when out of range or not an integer. */
bool wat_nat_u64(const wat_token *tok, uint64_t *out); /* false on overflow / not a nat */
/* The same for text that is not a token of its own: the N of "offset=N" and "align=N". */
bool wat_nat_text(const char *s, size_t n, uint64_t *out);
/* Whether s[0..n) is a number literal, and of which kind. */
bool wat_num_syntax(const char *s, size_t n, bool *is_int, bool *is_nat);
bool wat_int(const wat_token *tok, unsigned bits, uint64_t *out);
/* Float literals (integers too) as f32 or f64 bits, rounded to nearest even. False when
 * the value rounds to infinity (it is not inf), or a nan payload is 0 or too wide. */
bool wat_f32(const wat_token *tok, uint32_t *out);
bool wat_f64(const wat_token *tok, uint64_t *out);
/* tok is the keyword s. */
bool wat_is_keyword(const wat_token *tok, const char *s);

/*
 * wat_encode.c
 */

/* Where an instruction's bytes came from: data[at] was written for the token at text. Also
 * a branch hint: the instruction at data[at] has hint value text (0 or 1). */
typedef struct wat_mark {
    size_t at, text;
} wat_mark;

typedef struct wat_buf {
    uint8_t *data; /* malloc'ed */
    size_t len, cap;
    bool failed;     /* an allocation failed or the size passed KILN_MAX_MODULE_SIZE */
    wat_mark *marks; /* sorted by at; only when the parser tracks positions */
    size_t mark_count, mark_cap;
    wat_mark *hints; /* branch hints of the instructions in data, sorted by at */
    size_t hint_count, hint_cap;
    const kiln_allocator *alloc; /* for data and marks; NULL = the C library */
} wat_buf;

/* An empty buffer on the parser's allocator. */
#define WAT_BUF(ps) ((wat_buf){.alloc = (ps)->alloc})

void wat_buf_free(wat_buf *b);
/* Records that the next byte written comes from the text at text_offset. */
void wat_mark_here(wat_buf *b, size_t text_offset);
/* Records that the next byte written is an instruction with branch hint value. */
void wat_hint_here(wat_buf *b, uint8_t value);
/* Appends src's bytes, its marks and its hints (shifted). */
void wat_put_buf(wat_buf *dst, const wat_buf *src);
void wat_put_byte(wat_buf *b, uint8_t byte);
void wat_put_bytes(wat_buf *b, const void *bytes, size_t n);
void wat_put_u32(wat_buf *b, uint32_t v); /* unsigned LEB128, shortest form */
void wat_put_u64(wat_buf *b, uint64_t v);
void wat_put_s32(wat_buf *b, int32_t v); /* signed LEB128, shortest form */
void wat_put_s64(wat_buf *b, int64_t v);
void wat_put_u32le(wat_buf *b, uint32_t v);
void wat_put_u64le(wat_buf *b, uint64_t v);
/* A vec(byte): the length, then the bytes. */
void wat_put_name(wat_buf *b, const uint8_t *bytes, size_t n);
/* A section: id, the size, then the content of src (nothing when src is empty and
 * !always). */
void wat_put_section(wat_buf *b, uint8_t id, const wat_buf *src, uint32_t count, bool always);

/* Names of one index space: $name -> index. An open-addressing table in an arena. */
typedef struct wat_names {
    struct wat_name_slot *slots;
    uint32_t cap, used;
} wat_names;

/* Adds name -> index. False if the name is there already (*old = its index) or on
 * allocation failure (*old = UINT32_MAX). */
bool wat_names_add(wat_names *n, kiln_arena *a, const char *name, size_t len, uint32_t index,
                   uint32_t *old);
/* The index of name, or UINT32_MAX. */
uint32_t wat_names_get(const wat_names *n, const char *name, size_t len);

/*
 * wat_module.c and wat_instr.c share the parser state.
 */

/* A value type (or storage type, or heap type) as its binary encoding: one byte for the
 * number, vector and abbreviated reference types, 0x63/0x64 and a heap type for (ref ...),
 * the heap type a byte or a type index as s33 (at most 5 bytes). */
typedef struct wat_vt {
    uint8_t len;
    uint8_t b[7];
} wat_vt;

/* One defined type: func, struct or array, with its sub/final clause. Types live in rec
 * groups; a type outside (rec ...) is a group of its own. */
typedef struct wat_type {
    uint8_t kind; /* 0x60 func, 0x5F struct, 0x5E array */
    bool final;   /* no (sub ...), or (sub final ...) */
    uint32_t super_count;
    const uint32_t *supers;
    uint32_t param_count, result_count; /* func: the counts; struct: fields in param_count */
    const uint8_t *params, *results;    /* func: the encodings of the types */
    size_t params_len, results_len;
    const uint8_t *body; /* the comptype's encoding, from the kind byte on */
    size_t body_len;
    uint32_t group_size; /* types in its rec group when this is the group's first */
    bool group_first;
    wat_names fields; /* struct field names -> field index */
    size_t text_at;   /* its "type" keyword (kiln_wat_locate); implicit types: their use */
    size_t rec_at;    /* a rec group's first type: the group's "rec" keyword */
} wat_type;

enum {
    WAT_SPACE_TYPE,
    WAT_SPACE_FUNC,
    WAT_SPACE_TABLE,
    WAT_SPACE_MEMORY,
    WAT_SPACE_GLOBAL,
    WAT_SPACE_ELEM,
    WAT_SPACE_DATA,
    WAT_SPACE_TAG,
    WAT_SPACE_COUNT
};

/* Name subsections (the name section's, with the extended-name-section proposal's ids). */
enum {
    WAT_NAME_MODULE = 0,
    WAT_NAME_FUNC = 1,
    WAT_NAME_LOCAL = 2,
    WAT_NAME_TYPE = 4,
    WAT_NAME_TABLE = 5,
    WAT_NAME_MEMORY = 6,
    WAT_NAME_GLOBAL = 7,
    WAT_NAME_ELEM = 8,
    WAT_NAME_DATA = 9,
    WAT_NAME_TAG = 11,
    WAT_NAME_SUBSECTIONS = 12
};

/* The places a custom section can be put before or after (@custom's placement): the sections
 * in binary order between first and last. */
enum {
    WAT_PLACE_FIRST,
    WAT_PLACE_TYPE,
    WAT_PLACE_IMPORT,
    WAT_PLACE_FUNC,
    WAT_PLACE_TABLE,
    WAT_PLACE_MEMORY,
    WAT_PLACE_TAG,
    WAT_PLACE_GLOBAL,
    WAT_PLACE_EXPORT,
    WAT_PLACE_START,
    WAT_PLACE_ELEM,
    WAT_PLACE_DATACOUNT,
    WAT_PLACE_CODE,
    WAT_PLACE_DATA,
    WAT_PLACE_LAST,
    WAT_PLACE_COUNT
};

typedef struct wat_label {
    const char *name; /* NULL for none */
    size_t len;
} wat_label;

typedef struct wat_parser {
    wat_lexer lx;
    kiln_diag *d;
    kiln_arena *arena;
    wat_names names[WAT_SPACE_COUNT];
    uint32_t counts[WAT_SPACE_COUNT]; /* entries in each index space so far */
    wat_type *types;                  /* explicit types, then the implicit ones */
    wat_names sigs;                   /* func type encoding -> its first plain index */
    uint32_t type_count, type_cap;
    uint32_t *empty_recs; /* (rec) with no types: the type index they stand before */
    uint32_t empty_rec_count, empty_rec_cap; /* (written as empty groups) */
    bool in_rec;                             /* pass 1: inside (rec ...) */
    bool typed_tables;     /* pass 1 met a table (defined or imported) of a (ref ...) type */
    kiln_diag *type_dup;   /* pass 0: the first duplicate type name */
    uint8_t *memory64;     /* pass 1: per memory index, 1 for an i64 memory (memarg */
    uint32_t memory64_cap; /* offsets up to u64); memories past the cap are i32 */
    /* The function being read. */
    wat_names locals;
    uint32_t local_count; /* parameters + locals */
    wat_label *labels;    /* KILN_MAX_NESTING entries */
    uint32_t label_depth;
    unsigned depth;              /* parentheses nested in the instruction being read */
    bool uses_data_index;        /* memory.init or data.drop seen: write a data count section */
    wat_names ops;               /* instruction name -> wasm_op, built per reader */
    unsigned quote_depth;        /* (module quote ...) inside quoted text */
    bool track;                  /* record wat_marks (kiln_wat_locate) */
    bool wasm3;                  /* the 3.0 suite's ranges and wording (wat_to_wasm) */
    const kiln_allocator *alloc; /* the caller's, for the arena and every buffer */
    size_t field_at;             /* text offset of the module field being written */
    /* Annotations (wat_annot.c), read by pass 2: */
    wat_annots annots;          /* the interpreted ones in the text, found before pass 0 */
    kiln_diag annot_error;      /* the first malformed one (reported once the module is read) */
    kiln_diag hint_error;       /* the first branch hint not on an if or br_if (invalid) */
    bool in_body;               /* reading a function's instructions: branch hints apply */
    uint8_t next_hint;          /* 0, or 1 + the hint of the next if or br_if written */
    struct wat_custom *customs; /* @custom sections, in text order */
    uint32_t custom_count, custom_cap;
    wat_buf name_entries[WAT_NAME_SUBSECTIONS]; /* name subsections' entries, in index order */
    uint32_t name_counts[WAT_NAME_SUBSECTIONS];
    wat_buf local_names; /* the function being read: local index, name */
    uint32_t local_name_count;
    wat_buf hints; /* the branch hint section's entries: function, vec(hint) */
    uint32_t hint_funcs;
} wat_parser;

/* kiln_wat_to_wasm_with, and where the 2.0 and 3.0 spec suites disagree about the text
 * (the reference interpreter changed), wasm3 picks 3.0's side: limits of i32 memories and
 * tables, memarg offsets and alignments are read as u64 and written for the validator to
 * reject ("memory size", "offset out of range", ...) instead of "i32 constant out of range";
 * a lane index above 255 is "i8 constant out of range", not "malformed lane index". For
 * callers that know a script is a 3.0 one (kiln wast); the 2.0 behaviour is the default. */
bool wat_to_wasm(const uint8_t *text, size_t size, const kiln_allocator *alloc, bool wasm3,
                 uint8_t **out, size_t *out_size, kiln_diag *d);

/* The current token; advance; expect. Each failing function returns false with d set. */
bool wat_advance(wat_parser *ps);
bool wat_expect_lpar(wat_parser *ps);
bool wat_expect_rpar(wat_parser *ps);
/* "unexpected token" (or "unknown operator" for a reserved token, "unexpected end" at EOF). */
bool wat_unexpected(wat_parser *ps);
/* The next token after the current one is keyword kw, i.e. the input is at "( kw". */
bool wat_peek_field(wat_parser *ps, const char *kw);

/* valtype ::= numtype | vectype | reftype; reftype ::= '(' 'ref' 'null'? heaptype ')' or an
 * abbreviation (funcref, anyref, ...). Advance past the type. */
bool wat_valtype(wat_parser *ps, wat_vt *out);
bool wat_reftype(wat_parser *ps, wat_vt *out);
/* heaptype ::= func | extern | any | ... | typeidx; written as its byte or s33. */
bool wat_heaptype(wat_parser *ps, wat_vt *out);
/* The input is at a value type / reference type (a keyword that is one, or "(ref"). */
bool wat_at_valtype(wat_parser *ps);
bool wat_at_reftype(wat_parser *ps);
void wat_put_vt(wat_buf *b, const wat_vt *vt);
/* An index: a u32 nat or an $id of space (space -1: a nat only). */
bool wat_index(wat_parser *ps, int space, uint32_t *out);
/* typeuse ::= ('(' 'type' x ')')? ('(' 'param' ... ')')* ('(' 'result' ... ')')*, resolved
 * to a type index: x, after checking that the inline types match it ("inline function
 * type"), or the first type equal to the inline ones, appended when there is none.
 * bind_params: parameter names become locals (function definitions); allow_param_names
 * false: a named parameter is "unexpected token" (blocks, call_indirect). */
typedef struct wat_typeref {
    uint32_t type_index;
    bool has_type; /* (type x) given */
    bool has_inline;
    bool is_short;   /* blocks only: no (type x), no params, at most one result: */
    wat_vt short_vt; /* 0x40 or the result's value type; type_index is unset */
} wat_typeref;
bool wat_typeuse(wat_parser *ps, bool bind_params, bool allow_param_names, wat_typeref *out);
/* A block type: wat_typeuse, but [] -> [] and [] -> [t] written inline are short forms and
 * never add a type. */
bool wat_blocktype(wat_parser *ps, wat_typeref *out);
/* The first plain func type (final, no supertypes, alone in its rec group) equal to
 * params -> results (encodings, with their counts), appended when there is none;
 * UINT32_MAX (d set) on allocation failure or past KILN_MAX_TYPES. */
uint32_t wat_find_or_add_type(wat_parser *ps, const wat_buf *params, uint32_t np,
                              const wat_buf *results, uint32_t nr);

/* instr* up to the closing ")" (not consumed) into body. */
bool wat_instrs(wat_parser *ps, wat_buf *body);
/* A constant expression as instructions up to ")" plus the final end. */
bool wat_expr(wat_parser *ps, wat_buf *body);
/* One folded instruction "( op ... )" at "(": for offset and elem item abbreviations. */
bool wat_folded_instr(wat_parser *ps, wat_buf *body);
/* Builds the name -> op table. */
bool wat_ops_init(wat_parser *ps);

/*
 * wat_annot.c: the annotations the reader interprets. Each is taken by the place of the
 * grammar it stands in (pass 2): one left over is misplaced. Their errors wait until the
 * module has been read (wat_annots_check), as the reference interpreter reports them.
 * Functions returning bool fail only when out of memory.
 */

/* Finds the interpreted annotations of text (ps->annots), before the passes. */
bool wat_annots_scan(wat_parser *ps, const char *text, size_t size);
/* At a module field's "(" or the module's end, t: the @custom annotations before t, and when
 * first (before the first field) the module's @name. */
bool wat_module_annots(wat_parser *ps, const wat_token *t, bool first);
/* After a definition's keyword and id: its @name, the entry index of subsection sub. */
bool wat_name_annot(wat_parser *ps, int sub, uint32_t index);
/* The local names of the function just read (func index), and its branch hints: those of body
 * (prefix: the bytes of the code entry before body, after its size), and any other branch hint
 * in the function's text [from, to) is on no instruction ("invalid target"). */
bool wat_func_annots(wat_parser *ps, uint32_t func, const wat_buf *body, size_t prefix, size_t from,
                     size_t to);
/* At an instruction's first token t (its keyword, or "(" when folded), op: a branch hint
 * before it is kept for op's opcode (ps->next_hint), which must be if or br_if. */
void wat_branch_hint(wat_parser *ps, const wat_token *t, uint16_t op);
/* Once the module is read: the first error of its annotations, if any (d set, false). */
bool wat_annots_check(wat_parser *ps);
/* Writes the custom sections at place (2 * WAT_PLACE_* + 1 for after, + 0 for before); the
 * name section; the metadata.code.branch_hint section. */
void wat_put_customs(wat_parser *ps, wat_buf *out, unsigned place);
void wat_put_name_section(wat_parser *ps, wat_buf *out);
void wat_put_hint_section(wat_parser *ps, wat_buf *out);
/* Frees the buffers of the annotation state. */
void wat_annots_free(wat_parser *ps);

#endif
