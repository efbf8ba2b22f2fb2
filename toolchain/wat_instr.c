/* wat_instr.c -- instructions in the text format: WebAssembly 3.0, section 6.5.
 *
 *   instr        ::= plaininstr | blockinstr | foldedinstr
 *   blockinstr   ::= ('block' | 'loop') label blocktype instr* 'end' id?
 *                  | 'if' label blocktype instr* ('else' id? instr*)? 'end' id?
 *                  | 'try_table' label blocktype catch* instr* 'end' id?
 *                  | 'try' label blocktype instr* ('catch' tagidx instr*)* ('catch_all' instr*)?
 *                        'end' id?   |   'try' label blocktype instr* 'delegate' labelidx
 *   foldedinstr  ::= '(' plaininstr foldedinstr* ')'
 *                  | '(' ('block' | 'loop') label blocktype instr* ')'
 *                  | '(' 'if' label blocktype foldedinstr* '(' 'then' instr* ')'
 *                        ('(' 'else' instr* ')')? ')'
 *                  | '(' 'try_table' label blocktype catch* instr* ')'
 *                  | '(' 'try' label blocktype '(' 'do' instr* ')' ('(' 'catch' tagidx instr* ')')*
 *                        ('(' 'catch_all' instr* ')')? ')'  |  ... '(' 'delegate' labelidx ')' ')'
 *   catch        ::= '(' ('catch' | 'catch_ref') tagidx labelidx ')'
 *                  | '(' ('catch_all' | 'catch_all_ref') labelidx ')'   (labels outside the block)
 *   blocktype    ::= typeuse   (no parameter names; [] -> [] and [] -> [t] use the short
 *                               forms 0x40 / t, as wat2wasm writes them, even after (type x))
 *   memarg       ::= memidx? ('offset=' u64)? ('align=' u32)?   (align a power of two;
 *                               default: the access size, from opcodes.def's size column)
 * Plain instructions are looked up by name in a table built from opcodes.def (2.0) and
 * opcodes3.def (the 3.0 rows); the immediates follow the tables' imm columns. A folded instruction
 * writes its operands first, then itself, so its opcode and immediates are collected in a scratch
 * buffer while the operands are read.
 *
 * A branch hint annotation before an instruction's first token goes with its opcode
 * (wat_branch_hint, put_op).
 * Folded instructions recurse; the depth is bounded by KILN_MAX_TEXT_DEPTH (class limit).
 * Labels live in a stack of KILN_MAX_NESTING entries: plain blocks nest without recursion.
 * Called by wat_module.c for function bodies, global initialisers and segment offsets.
 */
#include <string.h>

#include "wat.h"

static bool fail_nomem(wat_parser *ps)
{
    return kiln_diag_set(ps->d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: text module");
}

/* The 3.0 instructions of opcodes3.def; the reader numbers them WASM_OP_COUNT + their
 * wasm_op3, after opcodes.def's. */
static const struct {
    const char *name;
    uint8_t prefix;
    uint16_t code;
    uint8_t imm; /* wasm_imm3 */
} ops3[WASM_OP3_COUNT] = {
#define OP3(id, name, prefix, code, imm, feature) {name, prefix, code, imm},
#include "opcodes3.def"
#undef OP3
};

#define OP3(x) ((uint16_t)(WASM_OP_COUNT + WASM_OP3_##x))

bool wat_ops_init(wat_parser *ps)
{
    for (uint32_t op = 0; op < WASM_OP_COUNT + WASM_OP3_COUNT; op++) {
        if (op == WASM_OP_SELECT_T) /* "select" with (result t) */
            continue;
        /* the structured exception instructions are read by the opcodes3.def rows (below) */
        if (op == WASM_OP_TRY || op == WASM_OP_CATCH || op == WASM_OP_CATCH_ALL ||
            op == WASM_OP_DELEGATE || op == WASM_OP_TRY_TABLE)
            continue;
        const char *name = op < WASM_OP_COUNT ? wasm_ops[op].name : ops3[op - WASM_OP_COUNT].name;
        uint32_t old; /* a second row of one name (ref.test null) is not entered */
        if (!wat_names_add(&ps->ops, ps->arena, name, strlen(name), op, &old) && old == UINT32_MAX)
            return fail_nomem(ps);
    }
    return true;
}

/* The opcode of op, written for the token at text (a mark, when positions are tracked), with
 * the branch hint wat_branch_hint kept for it. */
static void put_op(wat_parser *ps, wat_buf *b, uint16_t op, size_t text)
{
    if (ps->track)
        wat_mark_here(b, text);
    if (ps->next_hint) {
        wat_hint_here(b, (uint8_t)(ps->next_hint - 1));
        ps->next_hint = 0;
    }
    uint8_t prefix = op < WASM_OP_COUNT ? wasm_ops[op].prefix : ops3[op - WASM_OP_COUNT].prefix;
    uint32_t code = op < WASM_OP_COUNT ? wasm_ops[op].code : ops3[op - WASM_OP_COUNT].code;
    if (prefix) {
        wat_put_byte(b, prefix);
        wat_put_u32(b, code);
    } else {
        wat_put_byte(b, (uint8_t)code);
    }
}

static const wat_token *cur(wat_parser *ps)
{
    return &ps->lx.tok;
}

static bool is_kw(wat_parser *ps, const char *kw)
{
    return wat_is_keyword(cur(ps), kw);
}

/* label ::= id? -- pushes a label (named or not). */
static bool push_label(wat_parser *ps, bool allow_name)
{
    if (ps->label_depth >= KILN_MAX_NESTING)
        return kiln_diag_set(ps->d, KILN_ERR_LIMIT, cur(ps)->offset,
                             "nesting too deep: more than %u blocks", KILN_MAX_NESTING);
    wat_label *l = &ps->labels[ps->label_depth++];
    l->name = NULL;
    l->len = 0;
    if (allow_name && cur(ps)->kind == WAT_ID) {
        l->name = cur(ps)->name;
        l->len = cur(ps)->name_len;
        return wat_advance(ps);
    }
    return true;
}

/* Pushes a label named by id (an $id token, or anything else for none). */
static bool push_named_label(wat_parser *ps, const wat_token *id)
{
    if (ps->label_depth >= KILN_MAX_NESTING)
        return kiln_diag_set(ps->d, KILN_ERR_LIMIT, cur(ps)->offset,
                             "nesting too deep: more than %u blocks", KILN_MAX_NESTING);
    wat_label *l = &ps->labels[ps->label_depth++];
    l->name = id->kind == WAT_ID ? id->name : NULL;
    l->len = id->kind == WAT_ID ? id->name_len : 0;
    return true;
}

/* 'end' id? / 'else' id?: the id must be the block's label. */
static bool closing_label(wat_parser *ps)
{
    if (cur(ps)->kind != WAT_ID)
        return true;
    const wat_label *l = &ps->labels[ps->label_depth - 1];
    if (!l->name || l->len != cur(ps)->name_len || memcmp(l->name, cur(ps)->name, l->len) != 0)
        return wat_fail(ps->d, cur(ps), "mismatching label");
    return wat_advance(ps);
}

/* labelidx ::= u32 | id (the innermost label of that name). */
static bool label_index(wat_parser *ps, uint32_t *out)
{
    const wat_token *t = cur(ps);
    if (t->kind == WAT_ID) {
        for (uint32_t i = ps->label_depth; i-- > 0;) {
            const wat_label *l = &ps->labels[i];
            if (l->name && l->len == t->name_len && memcmp(l->name, t->name, l->len) == 0) {
                *out = ps->label_depth - 1 - i;
                return wat_advance(ps);
            }
        }
        return wat_fail(ps->d, t, "unknown label");
    }
    uint64_t v;
    if (t->kind == WAT_NUM && t->is_nat) {
        if (!wat_nat_u64(t, &v) || v > UINT32_MAX)
            return wat_fail(ps->d, t, "constant out of range");
        *out = (uint32_t)v;
        return wat_advance(ps);
    }
    return wat_unexpected(ps);
}

static bool is_index_token(const wat_token *t)
{
    return t->kind == WAT_ID || (t->kind == WAT_NUM && t->is_nat);
}

static bool local_index(wat_parser *ps, uint32_t *out)
{
    const wat_token *t = cur(ps);
    if (t->kind == WAT_ID) {
        uint32_t i = wat_names_get(&ps->locals, t->name, t->name_len);
        if (i == UINT32_MAX)
            return wat_fail(ps->d, t, "unknown local");
        *out = i;
        return wat_advance(ps);
    }
    return wat_index(ps, -1, out);
}

/* blocktype: writes 0x40, a value type or a type index. */
static bool block_type(wat_parser *ps, wat_buf *b)
{
    wat_typeref tu;
    if (!wat_blocktype(ps, &tu))
        return false;
    if (tu.is_short) {
        wat_put_vt(b, &tu.short_vt);
        return true;
    }
    if (tu.type_index >= ps->type_count) { /* an unknown (type x): kiln_validate says so */
        wat_put_s64(b, tu.type_index);
        return true;
    }
    const wat_type *ft = &ps->types[tu.type_index];
    if (ft->kind == 0x60 && ft->param_count == 0 && ft->result_count == 0)
        wat_put_byte(b, 0x40);
    else if (ft->kind == 0x60 && ft->param_count == 0 && ft->result_count == 1)
        wat_put_bytes(b, ft->results, ft->results_len);
    else
        wat_put_s64(b, tu.type_index);
    return true;
}

/* The u32 of "offset=N" / "align=N" (prefix bytes before N): a keyword whose N is not a
 * nat is unknown to the reference interpreter's lexer ("unknown operator"); a nat too large
 * is "i32 constant out of range". */
static bool attr_value(wat_parser *ps, size_t prefix, uint64_t *out)
{
    const wat_token *t = cur(ps);
    bool is_int, is_nat;
    if (!wat_num_syntax(t->text + prefix, t->len - prefix, &is_int, &is_nat) || !is_int || !is_nat)
        return wat_fail(ps->d, t, "unknown operator");
    if (!wat_nat_text(t->text + prefix, t->len - prefix, out))
        return wat_fail(ps->d, t,
                        ps->wasm3 ? "constant out of range" : "i32 constant out of range");
    if (*out > UINT32_MAX && !ps->wasm3)
        return wat_fail(ps->d, t, "i32 constant out of range");
    return true;
}

/* A look-ahead copy of the lexer (errors and names discarded). */
static bool peek_next(wat_parser *ps, wat_token *next)
{
    wat_lexer ahead = ps->lx;
    kiln_diag scratch;
    kiln_diag_init(&scratch);
    ahead.d = &scratch;
    ahead.arena = NULL;
    if (!wat_next(&ahead))
        return false;
    *next = ahead.tok;
    return true;
}

static bool is_attr(const wat_token *t, const char *prefix)
{
    size_t n = strlen(prefix);
    return t->kind == WAT_KEYWORD && t->len > n && memcmp(t->text, prefix, n) == 0;
}

/* memarg ::= memidx? ('offset=' u64)? ('align=' u32)?  Written align (| 0x40 with a memory
 * index other than 0, then the index), offset. lane: a lane index follows, so a number is a
 * memory index only when another number or an attribute follows it. An offset above u32 is
 * for i64 memories only (the 2.0 suite's "i32 constant out of range" otherwise). */
static bool memarg(wat_parser *ps, uint32_t size, wat_buf *b, bool lane)
{
    uint32_t mem = 0;
    const wat_token *t = cur(ps);
    bool has_mem = t->kind == WAT_ID;
    if (t->kind == WAT_NUM && t->is_nat) {
        wat_token next;
        has_mem = !lane ||
                  (peek_next(ps, &next) &&
                   (next.kind == WAT_NUM || is_attr(&next, "offset=") || is_attr(&next, "align=")));
    }
    if (has_mem && !wat_index(ps, WAT_SPACE_MEMORY, &mem))
        return false;
    bool is64 = (mem < ps->memory64_cap && ps->memory64[mem]) || ps->wasm3;
    uint32_t align_log2 = 0;
    while ((1u << align_log2) < size)
        align_log2++;
    uint64_t offset = 0;
    if (is_attr(cur(ps), "offset=")) {
        t = cur(ps);
        bool is_int, is_nat;
        if (!wat_num_syntax(t->text + 7, t->len - 7, &is_int, &is_nat) || !is_int || !is_nat)
            return wat_fail(ps->d, t, "unknown operator");
        if (!wat_nat_text(t->text + 7, t->len - 7, &offset))
            return wat_fail(ps->d, t, is64 ? "constant out of range" : "i32 constant out of range");
        if (!is64 && offset > UINT32_MAX)
            return wat_fail(ps->d, t, "i32 constant out of range");
        if (!wat_advance(ps))
            return false;
    }
    if (is_attr(cur(ps), "align=")) {
        uint64_t align;
        if (!attr_value(ps, 6, &align))
            return false;
        if (align == 0 || (align & (align - 1)) != 0)
            return wat_fail(ps->d, cur(ps), "alignment must be a power of two");
        align_log2 = 0;
        while (((uint64_t)1 << align_log2) < align)
            align_log2++;
        if (!wat_advance(ps))
            return false;
    }
    if (mem != 0) {
        wat_put_u32(b, align_log2 | 0x40);
        wat_put_u32(b, mem);
    } else {
        wat_put_u32(b, align_log2);
    }
    wat_put_u64(b, offset);
    return true;
}

/* memidx? (memory.size, memory.grow, memory.fill): written as the index. */
static bool opt_memory(wat_parser *ps, wat_buf *b)
{
    uint32_t x = 0;
    if (is_index_token(cur(ps)) && !wat_index(ps, WAT_SPACE_MEMORY, &x))
        return false;
    wat_put_u32(b, x);
    return true;
}

/* A lane index of extract/replace_lane and the _lane loads and stores. */
static bool lane_index(wat_parser *ps, wat_buf *b)
{
    const wat_token *t = cur(ps);
    uint64_t v;
    if (t->kind != WAT_NUM || !t->is_nat || !t->is_int)
        return wat_unexpected(ps);
    if (!wat_nat_u64(t, &v) || v > 255)
        return wat_fail(ps->d, t, ps->wasm3 ? "i8 constant out of range" : "malformed lane index");
    wat_put_byte(b, (uint8_t)v);
    return wat_advance(ps);
}

/* The numbers that follow (lanes of v128.const and i8x16.shuffle), at most max of them are
 * kept in toks; *count is how many there were. */
static bool lane_tokens(wat_parser *ps, wat_token *toks, unsigned max, unsigned *count)
{
    *count = 0;
    while (cur(ps)->kind == WAT_NUM || cur(ps)->kind == WAT_RESERVED) {
        if (cur(ps)->kind == WAT_RESERVED)
            return wat_unexpected(ps);
        if (*count < max)
            toks[*count] = *cur(ps);
        if (*count <= max)
            (*count)++;
        if (!wat_advance(ps))
            return false;
    }
    return true;
}

static bool v128_const(wat_parser *ps, wat_buf *b)
{
    static const struct {
        const char *name;
        unsigned lanes, bits;
        bool is_float;
    } shapes[] = {{"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
                  {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true},  {"f64x2", 2, 64, true}};
    unsigned s = 0;
    while (s < KILN_ARRAY_LEN(shapes) && !is_kw(ps, shapes[s].name))
        s++;
    if (s == KILN_ARRAY_LEN(shapes))
        return wat_unexpected(ps);
    wat_token shape = *cur(ps);
    if (!wat_advance(ps))
        return false;
    wat_token toks[16];
    unsigned n;
    if (!lane_tokens(ps, toks, 16, &n))
        return false;
    if (n != shapes[s].lanes)
        return wat_fail(ps->d, n ? &toks[n < 16 ? n - 1 : 15] : &shape,
                        "wrong number of lane literals");
    for (unsigned i = 0; i < n; i++) {
        uint64_t v;
        bool ok;
        if (shapes[s].is_float && shapes[s].bits == 32) {
            uint32_t f;
            ok = wat_f32(&toks[i], &f);
            v = f;
        } else if (shapes[s].is_float) {
            ok = wat_f64(&toks[i], &v);
        } else {
            if (!toks[i].is_int)
                return wat_fail(ps->d, &toks[i], "unexpected token");
            ok = wat_int(&toks[i], shapes[s].bits, &v);
        }
        if (!ok)
            return wat_fail(ps->d, &toks[i], "constant out of range");
        for (unsigned k = 0; k < shapes[s].bits / 8; k++)
            wat_put_byte(b, (uint8_t)(v >> (8 * k)));
    }
    return true;
}

static bool shuffle(wat_parser *ps, wat_buf *b)
{
    wat_token toks[16];
    unsigned n;
    wat_token at = *cur(ps);
    if (!lane_tokens(ps, toks, 16, &n))
        return false;
    if (n != 16)
        return wat_fail(ps->d, n ? &toks[n < 16 ? n - 1 : 15] : &at, "invalid lane length");
    for (unsigned i = 0; i < 16; i++) {
        uint64_t v;
        if (!wat_nat_u64(&toks[i], &v) || v > 255)
            return wat_fail(ps->d, &toks[i],
                            ps->wasm3 ? "i8 constant out of range" : "malformed lane index");
        wat_put_byte(b, (uint8_t)v);
    }
    return true;
}

/* The immediates of op (not a block instruction) into b. */
static bool immediates(wat_parser *ps, uint16_t op, wat_buf *b)
{
    const wat_token *t = cur(ps);
    uint32_t x, y;
    uint64_t v;
    switch ((wasm_imm)wasm_ops[op].imm) {
    case IMM_NONE:
        return true;
    case IMM_ZERO: /* atomic.fence's reserved byte: nothing in the text */
        wat_put_byte(b, 0);
        return true;
    case IMM_BLOCK:
        return false; /* handled by the callers (try: the opcodes3.def row) */
    case IMM_LABEL:
        if (!label_index(ps, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_BR_TABLE: {
        wat_buf labels = WAT_BUF(ps);
        uint32_t count = 0, last = 0;
        bool ok = true;
        do {
            if (count > 0) {
                wat_put_u32(&labels, last);
            }
            if (count > KILN_MAX_BR_TABLE_SIZE) {
                ok = kiln_diag_set(ps->d, KILN_ERR_LIMIT, t->offset,
                                   "too many br_table targets: more than %u",
                                   KILN_MAX_BR_TABLE_SIZE);
                break;
            }
            ok = label_index(ps, &last);
            count++;
        } while (ok && is_index_token(cur(ps)));
        if (ok) {
            wat_put_u32(b, count - 1);
            wat_put_buf(b, &labels);
            wat_put_u32(b, last);
        }
        wat_buf_free(&labels);
        return ok;
    }
    case IMM_FUNC:
        if (!wat_index(ps, WAT_SPACE_FUNC, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_TYPE:
        if (!wat_index(ps, WAT_SPACE_TYPE, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_TAG:
        if (!wat_index(ps, WAT_SPACE_TAG, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_TRY_TABLE:
        return false; /* never looked up: the opcodes3.def row is read */
    case IMM_CALL_INDIRECT: {
        x = 0;
        if (is_index_token(t) && !wat_index(ps, WAT_SPACE_TABLE, &x))
            return false;
        wat_typeref tu;
        if (!wat_typeuse(ps, false, false, &tu))
            return false;
        wat_put_u32(b, tu.type_index);
        wat_put_u32(b, x);
        return true;
    }
    case IMM_LOCAL:
        if (!local_index(ps, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_GLOBAL:
        if (!wat_index(ps, WAT_SPACE_GLOBAL, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_TABLE:
        x = 0;
        if (is_index_token(t) && !wat_index(ps, WAT_SPACE_TABLE, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_TABLE_COPY:
        x = y = 0;
        if (is_index_token(t)) {
            if (!wat_index(ps, WAT_SPACE_TABLE, &x) || !wat_index(ps, WAT_SPACE_TABLE, &y))
                return false;
        }
        wat_put_u32(b, x);
        wat_put_u32(b, y);
        return true;
    case IMM_TABLE_INIT: {
        /* table.init x? y: with one index it is the element segment (table 0). */
        wat_lexer ahead = ps->lx;
        kiln_diag scratch;
        kiln_diag_init(&scratch);
        ahead.d = &scratch;
        ahead.arena = NULL; /* a look-ahead: no names decoded */
        x = 0;
        if (!is_index_token(t))
            return wat_unexpected(ps);
        if (wat_next(&ahead) && is_index_token(&ahead.tok)) {
            if (!wat_index(ps, WAT_SPACE_TABLE, &x))
                return false;
        }
        if (!wat_index(ps, WAT_SPACE_ELEM, &y))
            return false;
        wat_put_u32(b, y);
        wat_put_u32(b, x);
        return true;
    }
    case IMM_ELEM:
        if (!wat_index(ps, WAT_SPACE_ELEM, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_MEMARG:
        return memarg(ps, wasm_ops[op].size, b, false);
    case IMM_MEMORY:
        return opt_memory(ps, b);
    case IMM_MEMORY_COPY:
        if (!is_index_token(t)) {
            wat_put_byte(b, 0);
            wat_put_byte(b, 0);
            return true;
        }
        return opt_memory(ps, b) && opt_memory(ps, b);
    case IMM_MEMORY_INIT: {
        /* memory.init x? y: with one index it is the data segment (memory 0). */
        ps->uses_data_index = true;
        wat_token next;
        x = 0;
        if (!is_index_token(t))
            return wat_unexpected(ps);
        if (peek_next(ps, &next) && is_index_token(&next) && !wat_index(ps, WAT_SPACE_MEMORY, &x))
            return false;
        if (!wat_index(ps, WAT_SPACE_DATA, &y))
            return false;
        wat_put_u32(b, y);
        wat_put_u32(b, x);
        return true;
    }
    case IMM_DATA:
        ps->uses_data_index = true;
        if (!wat_index(ps, WAT_SPACE_DATA, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM_I32:
    case IMM_I64: {
        unsigned bits = wasm_ops[op].imm == IMM_I32 ? 32 : 64;
        if (t->kind != WAT_NUM || !t->is_int)
            return wat_unexpected(ps);
        if (!wat_int(t, bits, &v))
            return wat_fail(ps->d, t, "constant out of range");
        if (bits == 32)
            wat_put_s32(b, (int32_t)(uint32_t)v);
        else
            wat_put_s64(b, (int64_t)v);
        return wat_advance(ps);
    }
    case IMM_F32: {
        uint32_t f;
        if (t->kind != WAT_NUM)
            return wat_unexpected(ps);
        if (!wat_f32(t, &f))
            return wat_fail(ps->d, t, "constant out of range");
        wat_put_u32le(b, f);
        return wat_advance(ps);
    }
    case IMM_F64:
        if (t->kind != WAT_NUM)
            return wat_unexpected(ps);
        if (!wat_f64(t, &v))
            return wat_fail(ps->d, t, "constant out of range");
        wat_put_u64le(b, v);
        return wat_advance(ps);
    case IMM_V128:
        return v128_const(ps, b);
    case IMM_SHUFFLE:
        return shuffle(ps, b);
    case IMM_LANE:
        return lane_index(ps, b);
    case IMM_MEMARG_LANE:
        return memarg(ps, wasm_ops[op].size, b, true) && lane_index(ps, b);
    case IMM_SELECT_T:
        return false; /* "select" is looked up as SELECT; see plain_op */
    case IMM_REFTYPE: {
        wat_vt ht;
        if (!wat_heaptype(ps, &ht))
            return false;
        wat_put_vt(b, &ht);
        return true;
    }
    }
    return wat_unexpected(ps);
}

/* The op named by the current keyword token. */
static bool lookup_op(wat_parser *ps, uint16_t *op)
{
    const wat_token *t = cur(ps);
    if (t->kind != WAT_KEYWORD)
        return wat_unexpected(ps);
    uint32_t i = wat_names_get(&ps->ops, t->text, t->len);
    if (i == UINT32_MAX) /* the name too, as the reference interpreter says it */
        return wat_fail(ps->d, t, "unknown operator %.*s", (int)(t->len > 64 ? 64 : t->len),
                        t->text);
    *op = (uint16_t)i;
    return true;
}

/* A reference type as the immediate of ref.test, ref.cast, br_on_cast: its heap type into
 * b; *nullable says whether it was (ref null ...) or an abbreviation. */
static bool cast_type(wat_parser *ps, wat_buf *b, bool *nullable)
{
    wat_vt rt;
    if (!wat_reftype(ps, &rt))
        return false;
    bool full = rt.b[0] == 0x63 || rt.b[0] == 0x64;
    *nullable = !full || rt.b[0] == 0x63;
    wat_put_bytes(b, rt.b + (full ? 1 : 0), rt.len - (full ? 1u : 0u));
    return true;
}

/* The immediates of a 3.0 instruction (not a block, not ref.test/ref.cast) into b. */
static bool immediates3(wat_parser *ps, uint16_t op, wat_buf *b)
{
    const wat_token *t = cur(ps);
    uint32_t x, y;
    switch ((wasm_imm3)ops3[op - WASM_OP_COUNT].imm) {
    case IMM3_NONE:
        return true;
    case IMM3_FUNC:
        if (!wat_index(ps, WAT_SPACE_FUNC, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM3_CALL_INDIRECT: {
        x = 0;
        if (is_index_token(t) && !wat_index(ps, WAT_SPACE_TABLE, &x))
            return false;
        wat_typeref tu;
        if (!wat_typeuse(ps, false, false, &tu))
            return false;
        wat_put_u32(b, tu.type_index);
        wat_put_u32(b, x);
        return true;
    }
    case IMM3_TYPE:
    case IMM3_TYPE_TYPE:
    case IMM3_TYPE_FIELD:
    case IMM3_TYPE_COUNT:
    case IMM3_TYPE_DATA:
    case IMM3_TYPE_ELEM:
        if (!wat_index(ps, WAT_SPACE_TYPE, &x))
            return false;
        wat_put_u32(b, x);
        break;
    case IMM3_LABEL:
        if (!label_index(ps, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM3_TAG:
        if (!wat_index(ps, WAT_SPACE_TAG, &x))
            return false;
        wat_put_u32(b, x);
        return true;
    case IMM3_BR_ON_CAST: {
        wat_buf types = WAT_BUF(ps);
        bool null1 = false, null2 = false;
        bool ok =
            label_index(ps, &x) && cast_type(ps, &types, &null1) && cast_type(ps, &types, &null2);
        if (ok) {
            wat_put_byte(b, (uint8_t)((null1 ? 1 : 0) | (null2 ? 2 : 0)));
            wat_put_u32(b, x);
            wat_put_buf(b, &types);
        }
        wat_buf_free(&types);
        return ok;
    }
    case IMM3_MEMARG1:
    case IMM3_MEMARG2:
    case IMM3_MEMARG4:
    case IMM3_MEMARG8:
        return memarg(ps, 1u << (ops3[op - WASM_OP_COUNT].imm - IMM3_MEMARG1), b, false);
    case IMM3_ZERO:
        wat_put_byte(b, 0);
        return true;
    case IMM3_HEAPTYPE:
    case IMM3_BLOCK:
    case IMM3_TRY_TABLE:
        return wat_unexpected(ps); /* handled by the callers */
    }
    /* The second immediate of the type-indexed ones. */
    t = cur(ps);
    switch ((wasm_imm3)ops3[op - WASM_OP_COUNT].imm) {
    case IMM3_TYPE_TYPE:
        if (!wat_index(ps, WAT_SPACE_TYPE, &y))
            return false;
        break;
    case IMM3_TYPE_FIELD:
        if (t->kind == WAT_ID) {
            y = x < ps->type_count ? wat_names_get(&ps->types[x].fields, t->name, t->name_len)
                                   : UINT32_MAX;
            if (y == UINT32_MAX)
                return wat_fail(ps->d, t, "unknown field $%.*s",
                                (int)(t->name_len > 64 ? 64 : t->name_len), t->name);
            if (!wat_advance(ps))
                return false;
        } else if (!wat_index(ps, -1, &y)) {
            return false;
        }
        break;
    case IMM3_TYPE_COUNT:
        if (!wat_index(ps, -1, &y))
            return false;
        break;
    case IMM3_TYPE_DATA:
        ps->uses_data_index = true;
        if (!wat_index(ps, WAT_SPACE_DATA, &y))
            return false;
        break;
    case IMM3_TYPE_ELEM:
        if (!wat_index(ps, WAT_SPACE_ELEM, &y))
            return false;
        break;
    default:
        return true;
    }
    wat_put_u32(b, y);
    return true;
}

/* op and its immediates (the current token is the op's name). select (result t)* becomes
 * the typed select. */
static bool plain_op(wat_parser *ps, uint16_t op, wat_buf *b)
{
    size_t at = cur(ps)->offset;
    if (!wat_advance(ps))
        return false;
    if (op == WASM_OP_SELECT && wat_peek_field(ps, "result")) {
        wat_buf types = WAT_BUF(ps);
        uint32_t count = 0;
        bool ok = true;
        while (ok && wat_peek_field(ps, "result")) {
            ok = wat_advance(ps) && wat_advance(ps);
            while (ok && wat_at_valtype(ps)) {
                wat_vt vt;
                ok = wat_valtype(ps, &vt);
                if (ok) {
                    wat_put_vt(&types, &vt);
                    count++;
                }
            }
            ok = ok && wat_expect_rpar(ps);
        }
        if (ok) {
            put_op(ps, b, WASM_OP_SELECT_T, at);
            wat_put_u32(b, count);
            wat_put_buf(b, &types);
        }
        wat_buf_free(&types);
        return ok;
    }
    if (op == OP3(REF_TEST) || op == OP3(REF_CAST)) {
        /* ref.test / ref.cast reftype: the nullable form is the next opcode */
        wat_buf ht = WAT_BUF(ps);
        bool nullable = false;
        bool ok = cast_type(ps, &ht, &nullable);
        if (ok) {
            put_op(ps, b, (uint16_t)(op + (nullable ? 1 : 0)), at);
            wat_put_buf(b, &ht);
        }
        wat_buf_free(&ht);
        return ok;
    }
    put_op(ps, b, op, at);
    if (op >= WASM_OP_COUNT)
        return immediates3(ps, op, b);
    return immediates(ps, op, b);
}

static bool instr_seq(wat_parser *ps, wat_buf *b);

/* An else with nothing after it is left out, as wat2wasm does (the same meaning, a byte
 * less): at is where the else opcode went. */
static void drop_empty_else(wat_buf *b, size_t at, size_t marks)
{
    if (!b->failed && b->len == at + 1) {
        b->len = at;
        b->mark_count = marks;
    }
}

/* block/loop/if in plain form, at the keyword. */
static bool plain_block(wat_parser *ps, uint16_t op, wat_buf *b)
{
    size_t at = cur(ps)->offset;
    if (!wat_advance(ps) || !push_label(ps, true))
        return false;
    put_op(ps, b, op, at);
    if (!block_type(ps, b) || !instr_seq(ps, b))
        return false;
    if (op == WASM_OP_IF && is_kw(ps, "else")) {
        size_t else_at = cur(ps)->offset;
        if (!wat_advance(ps) || !closing_label(ps))
            return false;
        size_t len = b->len, marks = b->mark_count;
        put_op(ps, b, WASM_OP_ELSE, else_at);
        if (!instr_seq(ps, b))
            return false;
        drop_empty_else(b, len, marks);
    }
    if (!is_kw(ps, "end"))
        return wat_unexpected(ps);
    size_t end_at = cur(ps)->offset;
    if (!wat_advance(ps) || !closing_label(ps))
        return false;
    put_op(ps, b, WASM_OP_END, end_at);
    ps->label_depth--;
    return true;
}

static bool folded(wat_parser *ps, wat_buf *b);

/* The body of a folded block or loop, or of then/else, up to and including ')'. */
static bool seq_to_rpar(wat_parser *ps, wat_buf *b)
{
    if (!instr_seq(ps, b))
        return false;
    return wat_expect_rpar(ps);
}

/* catch ::= '(' 'catch' tagidx labelidx ')' | '(' 'catch_ref' tagidx labelidx ')'
 *         | '(' 'catch_all' labelidx ')' | '(' 'catch_all_ref' labelidx ')'
 * of a try_table, written vec(catch). The labels are those outside the try_table (its own
 * label is pushed after its catches). */
static bool catch_clauses(wat_parser *ps, wat_buf *b)
{
    static const char *const kinds[] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
    wat_buf list = WAT_BUF(ps);
    uint32_t n = 0;
    bool ok = true;
    for (;;) {
        int k = -1;
        for (int i = 0; i < 4 && k < 0; i++)
            if (wat_peek_field(ps, kinds[i]))
                k = i;
        if (k < 0)
            break;
        uint32_t x = 0, l = 0;
        ok = wat_advance(ps) && wat_advance(ps);
        if (ok && k < 2)
            ok = wat_index(ps, WAT_SPACE_TAG, &x);
        ok = ok && label_index(ps, &l) && wat_expect_rpar(ps);
        if (!ok)
            break;
        wat_put_byte(&list, (uint8_t)k);
        if (k < 2)
            wat_put_u32(&list, x);
        wat_put_u32(&list, l);
        n++;
    }
    if (ok) {
        wat_put_u32(b, n);
        wat_put_buf(b, &list);
    }
    wat_buf_free(&list);
    return ok;
}

/* try_table label blocktype catch* (after the keyword): the head, then the label pushed. */
static bool try_table_head(wat_parser *ps, wat_buf *b, size_t at)
{
    wat_token id = *cur(ps);
    if (id.kind == WAT_ID && !wat_advance(ps))
        return false;
    put_op(ps, b, OP3(TRY_TABLE), at);
    return block_type(ps, b) && catch_clauses(ps, b) && push_named_label(ps, &id);
}

/* try_table label blocktype catch* instr* 'end' id?, at the keyword. */
static bool plain_try_table(wat_parser *ps, wat_buf *b)
{
    size_t at = cur(ps)->offset;
    if (!wat_advance(ps) || !try_table_head(ps, b, at) || !instr_seq(ps, b))
        return false;
    if (!is_kw(ps, "end"))
        return wat_unexpected(ps);
    size_t end_at = cur(ps)->offset;
    if (!wat_advance(ps) || !closing_label(ps))
        return false;
    put_op(ps, b, WASM_OP_END, end_at);
    ps->label_depth--;
    return true;
}

/* 'delegate' labelidx ends a legacy try: the label is resolved outside the try. */
static bool delegate(wat_parser *ps, wat_buf *b)
{
    put_op(ps, b, OP3(DELEGATE), cur(ps)->offset);
    ps->label_depth--;
    uint32_t l;
    if (!wat_advance(ps) || !label_index(ps, &l))
        return false;
    wat_put_u32(b, l);
    return true;
}

/* Legacy exceptions, at the keyword:
 *   'try' label blocktype instr* ('catch' tagidx instr*)* ('catch_all' instr*)? 'end' id?
 *   'try' label blocktype instr* 'delegate' labelidx */
static bool plain_try(wat_parser *ps, wat_buf *b)
{
    size_t at = cur(ps)->offset;
    if (!wat_advance(ps) || !push_label(ps, true))
        return false;
    put_op(ps, b, OP3(TRY), at);
    if (!block_type(ps, b) || !instr_seq(ps, b))
        return false;
    bool caught = false, caught_all = false; /* delegate only without catches; catch_all last */
    for (;; caught = true) {
        bool all = is_kw(ps, "catch_all");
        if ((!all && !is_kw(ps, "catch")) || caught_all)
            break;
        caught_all = all;
        put_op(ps, b, all ? OP3(CATCH_ALL) : OP3(CATCH), cur(ps)->offset);
        if (!wat_advance(ps))
            return false;
        uint32_t x;
        if (!all) {
            if (!wat_index(ps, WAT_SPACE_TAG, &x))
                return false;
            wat_put_u32(b, x);
        }
        if (!instr_seq(ps, b))
            return false;
    }
    if (!caught && is_kw(ps, "delegate"))
        return delegate(ps, b);
    if (!is_kw(ps, "end"))
        return wat_unexpected(ps);
    size_t end_at = cur(ps)->offset;
    if (!wat_advance(ps) || !closing_label(ps))
        return false;
    put_op(ps, b, WASM_OP_END, end_at);
    ps->label_depth--;
    return true;
}

/* '(' 'try' label blocktype '(' 'do' instr* ')' ('(' 'catch' tagidx instr* ')')*
 *     ('(' 'catch_all' instr* ')')? ')'  or  ... '(' 'do' instr* ')' '(' 'delegate' l ')' ')'
 * after the keyword. */
static bool folded_try(wat_parser *ps, wat_buf *b, size_t at)
{
    if (!push_label(ps, true))
        return false;
    put_op(ps, b, OP3(TRY), at);
    if (!block_type(ps, b))
        return false;
    if (!wat_peek_field(ps, "do"))
        return wat_advance(ps) && wat_unexpected(ps);
    if (!wat_advance(ps) || !wat_advance(ps) || !seq_to_rpar(ps, b))
        return false;
    bool caught = false, caught_all = false; /* delegate only without catches; catch_all last */
    for (;; caught = true) {
        bool all = wat_peek_field(ps, "catch_all");
        if ((!all && !wat_peek_field(ps, "catch")) || caught_all)
            break;
        caught_all = all;
        if (!wat_advance(ps))
            return false;
        put_op(ps, b, all ? OP3(CATCH_ALL) : OP3(CATCH), cur(ps)->offset);
        if (!wat_advance(ps))
            return false;
        uint32_t x;
        if (!all) {
            if (!wat_index(ps, WAT_SPACE_TAG, &x))
                return false;
            wat_put_u32(b, x);
        }
        if (!seq_to_rpar(ps, b))
            return false;
    }
    if (!caught && wat_peek_field(ps, "delegate"))
        return wat_advance(ps) && delegate(ps, b) && wat_expect_rpar(ps) && wat_expect_rpar(ps);
    put_op(ps, b, WASM_OP_END, cur(ps)->offset); /* at the try's ")" */
    ps->label_depth--;
    return wat_expect_rpar(ps);
}

static bool folded_if(wat_parser *ps, wat_buf *b, size_t at)
{
    if (!push_label(ps, true))
        return false;
    wat_buf head = WAT_BUF(ps);
    put_op(ps, &head, WASM_OP_IF, at);
    bool ok = block_type(ps, &head);
    /* The condition: folded instructions before (then ...). */
    while (ok && cur(ps)->kind == WAT_LPAR && !wat_peek_field(ps, "then"))
        ok = folded(ps, b);
    wat_put_buf(b, &head);
    wat_buf_free(&head);
    if (!ok)
        return false;
    if (!wat_peek_field(ps, "then"))
        return wat_unexpected(ps);
    if (!wat_advance(ps) || !wat_advance(ps) || !seq_to_rpar(ps, b))
        return false;
    if (wat_peek_field(ps, "else")) {
        size_t len = b->len, marks = b->mark_count;
        put_op(ps, b, WASM_OP_ELSE, cur(ps)->offset);
        if (!wat_advance(ps) || !wat_advance(ps) || !seq_to_rpar(ps, b))
            return false;
        drop_empty_else(b, len, marks);
    }
    put_op(ps, b, WASM_OP_END, cur(ps)->offset); /* at the if's ")" */
    ps->label_depth--;
    return wat_expect_rpar(ps);
}

/* Keywords of the module grammar that cannot start an instruction. */
static bool is_field_keyword(const wat_token *t)
{
    static const char *const words[] = {"param",  "result", "type",    "local",  "then",
                                        "export", "import", "item",    "offset", "elem",
                                        "data",   "table",  "memory",  "global", "func",
                                        "mut",    "module", "declare", "start"};
    for (size_t i = 0; i < KILN_ARRAY_LEN(words); i++)
        if (wat_is_keyword(t, words[i]))
            return true;
    return false;
}

/* foldedinstr at "(". */
static bool folded(wat_parser *ps, wat_buf *b)
{
    if (ps->depth >= KILN_MAX_TEXT_DEPTH)
        return kiln_diag_set(ps->d, KILN_ERR_LIMIT, cur(ps)->offset,
                             "nesting too deep: more than %u folded instructions",
                             KILN_MAX_TEXT_DEPTH);
    wat_token open = *cur(ps);
    if (!wat_advance(ps))
        return false;
    if (is_field_keyword(cur(ps)))
        return wat_unexpected(ps); /* (param ...) after the body began, ... */
    uint16_t op = 0;
    if (!lookup_op(ps, &op))
        return false;
    wat_branch_hint(ps, &open, op);
    ps->depth++;
    bool ok;
    size_t at = cur(ps)->offset;
    if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP) {
        ok = wat_advance(ps) && push_label(ps, true);
        if (ok) {
            put_op(ps, b, op, at);
            ok = block_type(ps, b) && instr_seq(ps, b);
            put_op(ps, b, WASM_OP_END, cur(ps)->offset); /* at the block's ")" */
            ok = ok && wat_expect_rpar(ps);
            ps->label_depth--;
        }
    } else if (op == WASM_OP_IF) {
        ok = wat_advance(ps) && folded_if(ps, b, at);
    } else if (op == OP3(TRY_TABLE)) {
        ok = wat_advance(ps) && try_table_head(ps, b, at) && instr_seq(ps, b);
        if (ok) {
            put_op(ps, b, WASM_OP_END, cur(ps)->offset); /* at the try_table's ")" */
            ps->label_depth--;
            ok = wat_expect_rpar(ps);
        }
    } else if (op == OP3(TRY)) {
        ok = wat_advance(ps) && folded_try(ps, b, at);
    } else if (op == WASM_OP_ELSE || op == WASM_OP_END || op == OP3(CATCH) ||
               op == OP3(CATCH_ALL) || op == OP3(DELEGATE)) {
        ok = wat_unexpected(ps);
    } else {
        wat_buf self = WAT_BUF(ps);
        ok = plain_op(ps, op, &self);
        while (ok && cur(ps)->kind == WAT_LPAR)
            ok = folded(ps, b);
        ok = ok && wat_expect_rpar(ps);
        wat_put_buf(b, &self);
        wat_buf_free(&self);
    }
    ps->depth--;
    return ok;
}

/* instr* up to ')', 'end', 'else' or the end of the input (not consumed). */
static bool instr_seq(wat_parser *ps, wat_buf *b)
{
    for (;;) {
        if (b->failed)
            return fail_nomem(ps);
        const wat_token *t = cur(ps);
        if (t->kind == WAT_RPAR || t->kind == WAT_EOF || is_kw(ps, "end") || is_kw(ps, "else") ||
            is_kw(ps, "catch") || is_kw(ps, "catch_all") || is_kw(ps, "delegate"))
            return true;
        if (t->kind == WAT_LPAR) {
            if (!folded(ps, b))
                return false;
            continue;
        }
        uint16_t op = 0;
        if (!lookup_op(ps, &op))
            return false;
        wat_branch_hint(ps, t, op);
        bool ok = op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_IF
                      ? plain_block(ps, op, b)
                  : op == OP3(TRY_TABLE) ? plain_try_table(ps, b)
                  : op == OP3(TRY)       ? plain_try(ps, b)
                                         : plain_op(ps, op, b);
        if (!ok)
            return false;
    }
}

bool wat_instrs(wat_parser *ps, wat_buf *body)
{
    if (!instr_seq(ps, body))
        return false;
    if (cur(ps)->kind != WAT_RPAR)
        return wat_unexpected(ps);
    return true;
}

bool wat_expr(wat_parser *ps, wat_buf *body)
{
    ps->label_depth = 0;
    if (!wat_instrs(ps, body))
        return false;
    put_op(ps, body, WASM_OP_END, cur(ps)->offset);
    return true;
}

bool wat_folded_instr(wat_parser *ps, wat_buf *body)
{
    ps->label_depth = 0;
    size_t at = cur(ps)->offset;
    if (!folded(ps, body))
        return false;
    put_op(ps, body, WASM_OP_END, at);
    return true;
}
