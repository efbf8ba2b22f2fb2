/* wat_module.c -- modules in the text format: WebAssembly 3.0, section 6.6, -> binary bytes.
 *
 *   module  ::= '(' 'module' id? field* ')' | field*          (a file of fields alone)
 *             | '(' 'module' id? 'binary' string* ')'           (the bytes as they are)
 *             | '(' 'module' id? 'quote' string* ')'            (the strings, as module text)
 *   field   ::= type | rec | import | func | table | memory | tag | global | export | start
 *             | elem | data
 *   rec     ::= '(' 'rec' type* ')'
 *   type    ::= '(' 'type' id? subtype ')'
 *   subtype ::= comptype | '(' 'sub' 'final'? typeidx* comptype ')'
 *   comptype ::= '(' 'func' ('(' 'param' id? t ')' | '(' 'param' t* ')')* ('(' 'result' t* ')')*
 * ')' | '(' 'struct' ('(' 'field' id? fieldtype ')' | '(' 'field' fieldtype* ')')* ')' | '('
 * 'array' fieldtype ')' import  ::= '(' 'import' name name '(' ('func' id? typeuse | 'table' id?
 * tabletype | 'memory' id? memtype | 'global' id? globaltype | 'tag' id? typeuse) ')' ')' func ::=
 * '(' 'func' id? inline-export* ('(' 'import' name name ')' typeuse | typeuse local* instr*) ')'
 *   table   ::= '(' 'table' id? inline-export* ('(' 'import' name name ')' tabletype
 *                          | tabletype expr? | addrtype? reftype '(' 'elem' ... ')') ')'
 *   memory  ::= '(' 'memory' id? inline-export* ('(' 'import' name name ')' memtype
 *                          | memtype | addrtype? '(' 'data' string* ')') ')'
 *   tag     ::= '(' 'tag' id? inline-export* ('(' 'import' name name ')')? typeuse ')'
 *   global  ::= '(' 'global' id? inline-export* ('(' 'import' name name ')' globaltype
 *                          | globaltype expr) ')'
 *   export  ::= '(' 'export' name '(' ('func'|'table'|'memory'|'global'|'tag') idx ')' ')'
 *   start   ::= '(' 'start' funcidx ')'
 *   elem    ::= '(' 'elem' id? (elemlist                                          passive
 *                             | 'declare' elemlist                                declarative
 *                             | ('(' 'table' x ')' | x)? offset (elemlist | funcidx*)) ')'
 *   elemlist ::= reftype elemexpr* | 'func' funcidx*
 *   elemexpr ::= '(' 'item' expr ')' | foldedinstr
 *   data    ::= '(' 'data' id? (string* | ('(' 'memory' x ')' | x)? offset string*) ')'
 *   offset  ::= '(' 'offset' expr ')' | foldedinstr
 *   memtype ::= addrtype? limits      tabletype ::= addrtype? limits reftype
 *   addrtype ::= 'i32' | 'i64'
 * Value types are kept as their encodings (wat_vt): (ref null? heaptype) and the
 * abbreviations (funcref, anyref, ...), a type index written as s33.
 *
 * Three passes over the fields. Pass 0 gives every type its index and name (types refer to
 * each other in any order). Pass 1 reads every explicit type definition (rec groups, field
 * names) and gives every named function, table, memory, tag, global, element and data
 * segment its index (references may point forward); it also checks that imports come before
 * definitions and that no name is defined twice. Pass 2 writes each field into its section's
 * buffer, in text order; implicit types (a typeuse with no (type x), a block type with
 * parameters or several results) are appended after the explicit ones in the order they
 * occur: an implicit use matches the first final func type without supertypes alone in its
 * rec group, as the reference interpreter does. Encoding choices follow wat2wasm 1.0.32
 * wherever the binary format leaves a choice (shortest LEB128s, consecutive locals of one
 * type grouped, element segment flags, a data count section only when a body uses a data
 * index, no name section unless @name annotations ask for one), so the output is
 * byte-identical to wast2json's for the 2.0 spec suite (tests/spec/spec_wat.c); for 3.0 types,
 * the reference interpreter's (a rec group of one and a final type without supertypes are the
 * bare type). Custom sections from @custom annotations go around the sections where they ask
 * (wat_annot.c).
 * Entry points (toolchain.h): kiln_wat_to_wasm; kiln_is_wat and kiln_module_input, which the
 * CLI (validate, inspect) and kiln_compile call on every input; wat_to_wasm (wat.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat.h"

enum {
    SEC_CUSTOM,
    SEC_TYPE,
    SEC_IMPORT,
    SEC_FUNC,
    SEC_TABLE,
    SEC_MEMORY,
    SEC_GLOBAL,
    SEC_EXPORT,
    SEC_START,
    SEC_ELEM,
    SEC_CODE,
    SEC_DATA,
    SEC_DATACOUNT,
    SEC_TAG,
    SEC_COUNT
};

typedef struct wat_sections {
    wat_buf buf[SEC_COUNT];
    uint32_t count[SEC_COUNT];
} wat_sections;

static void sections_init(const wat_parser *ps, wat_sections *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < SEC_COUNT; i++)
        s->buf[i].alloc = ps->alloc;
}

static const char *const space_names[WAT_SPACE_COUNT] = {
    [WAT_SPACE_TYPE] = "type",     [WAT_SPACE_FUNC] = "func",     [WAT_SPACE_TABLE] = "table",
    [WAT_SPACE_MEMORY] = "memory", [WAT_SPACE_GLOBAL] = "global", [WAT_SPACE_ELEM] = "elem",
    [WAT_SPACE_DATA] = "data",     [WAT_SPACE_TAG] = "tag"};

static bool fail_nomem(wat_parser *ps)
{
    return kiln_diag_set(ps->d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: text module");
}

static const wat_token *cur(wat_parser *ps)
{
    return &ps->lx.tok;
}

/* An entry of section b starts here, for the field or abbreviation at text (see
 * kiln_wat_locate: the validator reports entries by their first byte). */
static void mark_entry(wat_parser *ps, wat_buf *b, size_t text)
{
    if (ps->track)
        wat_mark_here(b, text);
}

bool wat_advance(wat_parser *ps)
{
    return wat_next(&ps->lx);
}

bool wat_unexpected(wat_parser *ps)
{
    const wat_token *t = cur(ps);
    if (t->kind == WAT_EOF)
        return wat_fail(ps->d, t, "unexpected end");
    if (t->kind == WAT_RESERVED)
        return wat_fail(ps->d, t, "unknown operator");
    return wat_fail(ps->d, t, "unexpected token");
}

bool wat_expect_lpar(wat_parser *ps)
{
    return cur(ps)->kind == WAT_LPAR ? wat_advance(ps) : wat_unexpected(ps);
}

bool wat_expect_rpar(wat_parser *ps)
{
    return cur(ps)->kind == WAT_RPAR ? wat_advance(ps) : wat_unexpected(ps);
}

bool wat_peek_field(wat_parser *ps, const char *kw)
{
    if (cur(ps)->kind != WAT_LPAR)
        return false;
    wat_lexer copy = ps->lx;
    kiln_diag scratch;
    kiln_diag_init(&scratch);
    copy.d = &scratch; /* an error here is found again when the parser gets there */
    copy.arena = NULL; /* no names decoded for a look-ahead */
    return wat_next(&copy) && wat_is_keyword(&copy.tok, kw);
}

/* The abstract heap types and the reference type abbreviations, with their bytes. */
static const struct {
    const char *heap, *ref;
    uint8_t byte;
} abstract_types[] = {{"func", "funcref", 0x70},       {"extern", "externref", 0x6F},
                      {"any", "anyref", 0x6E},         {"eq", "eqref", 0x6D},
                      {"i31", "i31ref", 0x6C},         {"struct", "structref", 0x6B},
                      {"array", "arrayref", 0x6A},     {"none", "nullref", 0x71},
                      {"nofunc", "nullfuncref", 0x73}, {"noextern", "nullexternref", 0x72},
                      {"exn", "exnref", 0x69},         {"noexn", "nullexnref", 0x74}};

static void vt_byte(wat_vt *vt, uint8_t byte)
{
    vt->b[vt->len++] = byte;
}

/* A type index as s33 (non-negative: at most 5 bytes). */
static void vt_index(wat_vt *vt, uint32_t x)
{
    uint64_t v = x;
    for (;;) {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        bool done = v == 0 && !(byte & 0x40);
        vt_byte(vt, done ? byte : (uint8_t)(byte | 0x80));
        if (done)
            return;
    }
}

void wat_put_vt(wat_buf *b, const wat_vt *vt)
{
    wat_put_bytes(b, vt->b, vt->len);
}

bool wat_heaptype(wat_parser *ps, wat_vt *out)
{
    out->len = 0;
    for (size_t i = 0; i < KILN_ARRAY_LEN(abstract_types); i++) {
        if (wat_is_keyword(cur(ps), abstract_types[i].heap)) {
            vt_byte(out, abstract_types[i].byte);
            return wat_advance(ps);
        }
    }
    uint32_t x;
    if (!wat_index(ps, WAT_SPACE_TYPE, &x))
        return false;
    vt_index(out, x);
    return true;
}

bool wat_at_reftype(wat_parser *ps)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(abstract_types); i++)
        if (wat_is_keyword(cur(ps), abstract_types[i].ref))
            return true;
    return wat_peek_field(ps, "ref");
}

bool wat_at_valtype(wat_parser *ps)
{
    return cur(ps)->kind == WAT_KEYWORD || wat_peek_field(ps, "ref");
}

/* Where a type should be: a keyword the reference interpreter's lexer does not know at all
 * (no instruction, no word of the grammar: anyfunc) is "unknown operator NAME" there;
 * anything else "unexpected token" (shared and pagesize: words of the threads and
 * custom-page-sizes grammars). */
static bool not_a_type(wat_parser *ps)
{
    static const char *const words[] = {
        "i32",    "i64",    "f32",        "f64",      "v128",    "i8",        "i16",
        "null",   "ref",    "mut",        "param",    "result",  "local",     "type",
        "module", "import", "export",     "table",    "memory",  "global",    "elem",
        "data",   "start",  "offset",     "item",     "declare", "then",      "sub",
        "final",  "rec",    "field",      "tag",      "do",      "catch_ref", "catch_all_ref",
        "binary", "quote",  "definition", "instance", "shared",  "pagesize"};
    const wat_token *t = cur(ps);
    if (t->kind != WAT_KEYWORD || wat_names_get(&ps->ops, t->text, t->len) != UINT32_MAX ||
        wat_at_reftype(ps))
        return wat_unexpected(ps);
    for (size_t i = 0; i < KILN_ARRAY_LEN(words); i++)
        if (wat_is_keyword(t, words[i]))
            return wat_unexpected(ps);
    for (size_t i = 0; i < KILN_ARRAY_LEN(abstract_types); i++)
        if (wat_is_keyword(t, abstract_types[i].heap))
            return wat_unexpected(ps);
    if (memchr(t->text, '=', t->len)) /* offset=, align= */
        return wat_unexpected(ps);
    return wat_fail(ps->d, t, "unknown operator %.*s", (int)(t->len > 64 ? 64 : t->len), t->text);
}

bool wat_reftype(wat_parser *ps, wat_vt *out)
{
    out->len = 0;
    for (size_t i = 0; i < KILN_ARRAY_LEN(abstract_types); i++) {
        if (wat_is_keyword(cur(ps), abstract_types[i].ref)) {
            vt_byte(out, abstract_types[i].byte);
            return wat_advance(ps);
        }
    }
    if (!wat_peek_field(ps, "ref"))
        return not_a_type(ps);
    if (!wat_advance(ps) || !wat_advance(ps))
        return false;
    bool null = wat_is_keyword(cur(ps), "null");
    if (null && !wat_advance(ps))
        return false;
    wat_vt ht;
    if (!wat_heaptype(ps, &ht) || !wat_expect_rpar(ps))
        return false;
    /* (ref null abstract) is written as its abbreviation's byte. */
    if (!(null && ht.len == 1 && ht.b[0] >= 0x69))
        vt_byte(out, null ? 0x63 : 0x64);
    memcpy(out->b + out->len, ht.b, ht.len);
    out->len = (uint8_t)(out->len + ht.len);
    return true;
}

bool wat_valtype(wat_parser *ps, wat_vt *out)
{
    static const struct {
        const char *name;
        uint8_t byte;
    } types[] = {{"i32", 0x7F}, {"i64", 0x7E}, {"f32", 0x7D}, {"f64", 0x7C}, {"v128", 0x7B}};
    for (size_t i = 0; i < KILN_ARRAY_LEN(types); i++) {
        if (wat_is_keyword(cur(ps), types[i].name)) {
            out->len = 1;
            out->b[0] = types[i].byte;
            return wat_advance(ps);
        }
    }
    return wat_reftype(ps, out);
}

bool wat_index(wat_parser *ps, int space, uint32_t *out)
{
    const wat_token *t = cur(ps);
    if (t->kind == WAT_ID && space >= 0) {
        uint32_t i = wat_names_get(&ps->names[space], t->name, t->name_len);
        if (i == UINT32_MAX)
            return wat_fail(ps->d, t, "unknown %s $%.*s", space_names[space],
                            (int)(t->name_len > 64 ? 64 : t->name_len), t->name);
        *out = i;
        return wat_advance(ps);
    }
    if (t->kind == WAT_NUM && t->is_nat) {
        uint64_t v;
        if (!wat_nat_u64(t, &v) || v > UINT32_MAX)
            return wat_fail(ps->d, t, "constant out of range");
        *out = (uint32_t)v;
        return wat_advance(ps);
    }
    return wat_unexpected(ps);
}

/* The bytes of a string token, decoded into tmp (replacing its contents). */
static bool string_bytes(wat_parser *ps, wat_buf *tmp)
{
    const wat_token *t = cur(ps);
    if (t->kind != WAT_STRING)
        return wat_unexpected(ps);
    tmp->len = 0;
    wat_put_bytes(tmp, t->text, t->len); /* reserve, then decode in place */
    if (tmp->failed)
        return fail_nomem(ps);
    tmp->len = wat_string(t, tmp->data);
    return true;
}

/* name ::= string, valid UTF-8; written as vec(byte). */
static bool put_name(wat_parser *ps, wat_buf *b)
{
    wat_buf tmp = WAT_BUF(ps);
    bool ok = string_bytes(ps, &tmp);
    if (ok && !kiln_utf8_valid(tmp.data, tmp.len))
        ok = wat_fail(ps->d, cur(ps), "malformed UTF-8 encoding");
    if (ok) {
        wat_put_name(b, tmp.data, tmp.len);
        ok = wat_advance(ps);
    }
    wat_buf_free(&tmp);
    return ok;
}

/*
 * Types
 */

/* A copy of b's bytes in the arena (b may be empty). */
static const uint8_t *arena_copy(wat_parser *ps, const uint8_t *bytes, size_t n)
{
    uint8_t *c = ARENA_ARRAY(ps->arena, uint8_t, n ? n : 1);
    if (c && n)
        memcpy(c, bytes, n);
    return c;
}

/* Whether type i is a plain func type: final, no supertypes, alone in its rec group (the
 * only kind an implicit type use matches). */
static bool plain_func(const wat_type *t)
{
    return t->kind == 0x60 && t->final && t->super_count == 0 && t->group_first &&
           t->group_size == 1;
}

/* Appends a type (explicit or implicit); *out = its index. A plain func type's encoding goes
 * into ps->sigs (first index wins), so that implicit type uses find the smallest equal
 * one; a type in a rec group is entered by end_rec_group once the group is complete. */
static bool add_type(wat_parser *ps, const wat_type *t, uint32_t *out)
{
    if (ps->type_count >= KILN_MAX_TYPES)
        return kiln_diag_set(ps->d, KILN_ERR_LIMIT, cur(ps)->offset, "too many types: more than %u",
                             KILN_MAX_TYPES);
    if (ps->type_count == ps->type_cap) {
        uint32_t cap = ps->type_cap ? ps->type_cap * 2 : 16;
        wat_type *grown = ARENA_ARRAY(ps->arena, wat_type, cap);
        if (!grown)
            return fail_nomem(ps);
        if (ps->type_count)
            memcpy(grown, ps->types, ps->type_count * sizeof *grown);
        ps->types = grown;
        ps->type_cap = cap;
    }
    ps->types[ps->type_count] = *t;
    if (plain_func(t)) {
        uint32_t old;
        if (!wat_names_add(&ps->sigs, ps->arena, (const char *)t->body, t->body_len, ps->type_count,
                           &old) &&
            old == UINT32_MAX)
            return fail_nomem(ps);
    }
    *out = ps->type_count++;
    return true;
}

/* The func type params -> results as a wat_type (its encoding in the arena). */
static bool func_type_of(wat_parser *ps, const wat_buf *params, uint32_t np, const wat_buf *results,
                         uint32_t nr, wat_type *t)
{
    memset(t, 0, sizeof *t);
    wat_buf body = WAT_BUF(ps);
    wat_put_byte(&body, 0x60);
    wat_put_u32(&body, np);
    size_t p_at = body.len;
    wat_put_bytes(&body, params->data, params->len);
    wat_put_u32(&body, nr);
    size_t r_at = body.len;
    wat_put_bytes(&body, results->data, results->len);
    const uint8_t *copy = body.failed ? NULL : arena_copy(ps, body.data, body.len);
    size_t len = body.len;
    wat_buf_free(&body);
    if (!copy)
        return fail_nomem(ps);
    t->kind = 0x60;
    t->final = true;
    t->group_first = true;
    t->group_size = 1;
    t->text_at = cur(ps)->offset; /* an implicit type: where it is used */
    t->param_count = np;
    t->result_count = nr;
    t->params = copy + p_at;
    t->params_len = params->len;
    t->results = copy + r_at;
    t->results_len = results->len;
    t->body = copy;
    t->body_len = len;
    return true;
}

uint32_t wat_find_or_add_type(wat_parser *ps, const wat_buf *params, uint32_t np,
                              const wat_buf *results, uint32_t nr)
{
    wat_type t;
    if (!func_type_of(ps, params, np, results, nr, &t))
        return UINT32_MAX;
    uint32_t i = wat_names_get(&ps->sigs, (const char *)t.body, t.body_len);
    if (i != UINT32_MAX)
        return i;
    if (!add_type(ps, &t, &i))
        return UINT32_MAX;
    return i;
}

/* ('(' 'param' ...')')* ('(' 'result' ... ')')* into params and results (encodings; *np and
 * *nr count the types). bind: parameter names become locals. */
static bool params_results(wat_parser *ps, bool bind, bool allow_names, wat_buf *params,
                           uint32_t *np, wat_buf *results, uint32_t *nr)
{
    *np = *nr = 0;
    while (wat_peek_field(ps, "param")) {
        if (!wat_advance(ps) || !wat_advance(ps))
            return false;
        if (cur(ps)->kind == WAT_ID) {
            if (!allow_names)
                return wat_unexpected(ps);
            wat_token id = *cur(ps);
            wat_vt vt;
            if (!wat_advance(ps) ||
                (bind && !wat_name_annot(ps, WAT_NAME_LOCAL, ps->local_count)) ||
                !wat_valtype(ps, &vt))
                return false;
            wat_put_vt(params, &vt);
            (*np)++;
            if (bind) {
                uint32_t old;
                if (!wat_names_add(&ps->locals, ps->arena, id.name, id.name_len, ps->local_count,
                                   &old))
                    return old == UINT32_MAX ? fail_nomem(ps)
                                             : wat_fail(ps->d, &id, "duplicate local");
                ps->local_count++;
            }
        } else {
            if (bind && !wat_name_annot(ps, WAT_NAME_LOCAL, ps->local_count))
                return false;
            while (wat_at_valtype(ps)) {
                wat_vt vt;
                if (!wat_valtype(ps, &vt))
                    return false;
                wat_put_vt(params, &vt);
                (*np)++;
                if (bind)
                    ps->local_count++;
            }
        }
        if (!wat_expect_rpar(ps))
            return false;
    }
    while (wat_peek_field(ps, "result")) {
        if (!wat_advance(ps) || !wat_advance(ps))
            return false;
        while (wat_at_valtype(ps)) {
            wat_vt vt;
            if (!wat_valtype(ps, &vt))
                return false;
            wat_put_vt(results, &vt);
            (*nr)++;
        }
        if (!wat_expect_rpar(ps))
            return false;
    }
    if (wat_peek_field(ps, "param")) /* a parameter after a result */
        return wat_advance(ps) && wat_unexpected(ps);
    if (params->failed || results->failed)
        return fail_nomem(ps);
    if (*np > KILN_MAX_PARAMS || *nr > KILN_MAX_RESULTS)
        return kiln_diag_set(ps->d, KILN_ERR_LIMIT, cur(ps)->offset,
                             "too many parameters or results: more than %u", KILN_MAX_PARAMS);
    return true;
}

static bool typeuse(wat_parser *ps, bool bind_params, bool allow_param_names, bool block,
                    wat_typeref *out);

bool wat_typeuse(wat_parser *ps, bool bind_params, bool allow_param_names, wat_typeref *out)
{
    return typeuse(ps, bind_params, allow_param_names, false, out);
}

bool wat_blocktype(wat_parser *ps, wat_typeref *out)
{
    return typeuse(ps, false, false, true, out);
}

static bool typeuse(wat_parser *ps, bool bind_params, bool allow_param_names, bool block,
                    wat_typeref *out)
{
    memset(out, 0, sizeof *out);
    wat_token type_tok = *cur(ps);
    if (wat_peek_field(ps, "type")) {
        if (!wat_advance(ps) || !wat_advance(ps))
            return false;
        type_tok = *cur(ps);
        if (!wat_index(ps, WAT_SPACE_TYPE, &out->type_index) || !wat_expect_rpar(ps))
            return false;
        out->has_type = true;
    }
    wat_buf params = WAT_BUF(ps), results = WAT_BUF(ps);
    uint32_t np = 0, nr = 0;
    bool ok = params_results(ps, bind_params, allow_param_names, &params, &np, &results, &nr);
    out->has_inline = np || nr;
    if (ok && out->has_type && out->type_index >= ps->type_count) {
        /* No such type: with inline types there is nothing to check them against; without,
         * the index is written as it is and kiln_validate reports it. */
        if (out->has_inline)
            ok = wat_fail(ps->d, &type_tok, "unknown type");
    } else if (ok && out->has_type) {
        const wat_type *ft = &ps->types[out->type_index];
        if (out->has_inline &&
            (ft->kind != 0x60 || ft->param_count != np || ft->result_count != nr ||
             ft->params_len != params.len || ft->results_len != results.len ||
             (params.len && memcmp(ft->params, params.data, params.len) != 0) ||
             (results.len && memcmp(ft->results, results.data, results.len) != 0)))
            ok = wat_fail(ps->d, &type_tok, "inline function type");
        if (ok && bind_params && !out->has_inline && ft->kind == 0x60)
            ps->local_count += ft->param_count;
    } else if (ok && block && np == 0 && nr <= 1) {
        out->is_short = true;
        out->short_vt.len = 1;
        out->short_vt.b[0] = 0x40;
        if (nr == 1) {
            out->short_vt.len = (uint8_t)results.len;
            memcpy(out->short_vt.b, results.data, results.len);
        }
    } else if (ok) {
        out->type_index = wat_find_or_add_type(ps, &params, np, &results, nr);
        ok = out->type_index != UINT32_MAX;
    }
    wat_buf_free(&params);
    wat_buf_free(&results);
    return ok;
}

/*
 * Pass 1: names, explicit types, the order of imports.
 */

/* Skips from "(" to just after its ")". */
static bool skip_balanced(wat_parser *ps)
{
    size_t depth = 0;
    do {
        if (cur(ps)->kind == WAT_EOF)
            return wat_unexpected(ps);
        if (cur(ps)->kind == WAT_LPAR)
            depth++;
        else if (cur(ps)->kind == WAT_RPAR)
            depth--;
        if (!wat_advance(ps))
            return false;
    } while (depth > 0);
    return true;
}

/* Gives the next index of space to the field; its $id, if any, names it. */
static bool define(wat_parser *ps, int space, const wat_token *id)
{
    uint32_t index = ps->counts[space];
    if (index == UINT32_MAX)
        return kiln_diag_set(ps->d, KILN_ERR_LIMIT, cur(ps)->offset, "too many %ss",
                             space_names[space]);
    ps->counts[space]++;
    if (id && id->kind == WAT_ID) {
        uint32_t old;
        if (!wat_names_add(&ps->names[space], ps->arena, id->name, id->name_len, index, &old))
            return old == UINT32_MAX ? fail_nomem(ps)
                                     : wat_fail(ps->d, id, "duplicate %s", space_names[space]);
    }
    return true;
}

/* storagetype ::= valtype | 'i8' | 'i16' */
static bool storage_type(wat_parser *ps, wat_buf *b)
{
    if (wat_is_keyword(cur(ps), "i8") || wat_is_keyword(cur(ps), "i16")) {
        wat_put_byte(b, wat_is_keyword(cur(ps), "i8") ? 0x78 : 0x77);
        return wat_advance(ps);
    }
    wat_vt vt;
    if (!wat_valtype(ps, &vt))
        return false;
    wat_put_vt(b, &vt);
    return true;
}

/* fieldtype ::= storagetype | '(' 'mut' storagetype ')'; written type, mutability. */
static bool field_type(wat_parser *ps, wat_buf *b)
{
    if (wat_peek_field(ps, "mut")) {
        if (!wat_advance(ps) || !wat_advance(ps) || !storage_type(ps, b) || !wat_expect_rpar(ps))
            return false;
        wat_put_byte(b, 1);
        return true;
    }
    if (!storage_type(ps, b))
        return false;
    wat_put_byte(b, 0);
    return true;
}

/* comptype ::= '(' 'func' (param)* (result)* ')'
 *            | '(' 'struct' ('(' 'field' id fieldtype ')' | '(' 'field' fieldtype* ')')* ')'
 *            | '(' 'array' fieldtype ')'
 * into t (kind, encoding, func counts, field names). */
static bool comp_type(wat_parser *ps, wat_type *t)
{
    if (!wat_expect_lpar(ps))
        return false;
    wat_buf body = WAT_BUF(ps), fields = WAT_BUF(ps);
    bool ok = true;
    if (wat_is_keyword(cur(ps), "func")) {
        wat_buf params = WAT_BUF(ps), results = WAT_BUF(ps);
        uint32_t np, nr;
        ok = wat_advance(ps) && params_results(ps, false, true, &params, &np, &results, &nr) &&
             func_type_of(ps, &params, np, &results, nr, t);
        wat_buf_free(&params);
        wat_buf_free(&results);
    } else if (wat_is_keyword(cur(ps), "struct")) {
        memset(t, 0, sizeof *t);
        t->kind = 0x5F;
        ok = wat_advance(ps);
        uint32_t count = 0;
        while (ok && wat_peek_field(ps, "field")) {
            ok = wat_advance(ps) && wat_advance(ps);
            if (ok && cur(ps)->kind == WAT_ID) {
                wat_token id = *cur(ps);
                uint32_t old;
                if (!wat_names_add(&t->fields, ps->arena, id.name, id.name_len, count, &old))
                    ok = old == UINT32_MAX ? fail_nomem(ps)
                                           : wat_fail(ps->d, &id, "duplicate field");
                ok = ok && wat_advance(ps) && field_type(ps, &fields);
                count++;
            } else {
                while (ok && cur(ps)->kind != WAT_RPAR) {
                    ok = field_type(ps, &fields);
                    count++;
                }
            }
            ok = ok && wat_expect_rpar(ps);
        }
        wat_put_byte(&body, 0x5F);
        wat_put_u32(&body, count);
        wat_put_buf(&body, &fields);
        t->param_count = count;
    } else if (wat_is_keyword(cur(ps), "array")) {
        memset(t, 0, sizeof *t);
        t->kind = 0x5E;
        wat_put_byte(&body, 0x5E);
        ok = wat_advance(ps) && field_type(ps, &body);
    } else {
        ok = wat_unexpected(ps);
    }
    if (ok && t->kind != 0x60) {
        t->body = body.failed ? NULL : arena_copy(ps, body.data, body.len);
        t->body_len = body.len;
        if (!t->body)
            ok = fail_nomem(ps);
    }
    wat_buf_free(&body);
    wat_buf_free(&fields);
    return ok && wat_expect_rpar(ps);
}

/* subtype ::= comptype | '(' 'sub' 'final'? typeidx* comptype ')' */
static bool sub_type(wat_parser *ps, wat_type *t)
{
    if (!wat_peek_field(ps, "sub")) {
        if (!comp_type(ps, t))
            return false;
        t->final = true;
        return true;
    }
    if (!wat_advance(ps) || !wat_advance(ps))
        return false;
    bool final = wat_is_keyword(cur(ps), "final");
    if (final && !wat_advance(ps))
        return false;
    wat_buf supers = WAT_BUF(ps);
    uint32_t n = 0;
    bool ok = true;
    while (ok && (cur(ps)->kind == WAT_ID || cur(ps)->kind == WAT_NUM)) {
        uint32_t x;
        ok = wat_index(ps, WAT_SPACE_TYPE, &x);
        wat_put_bytes(&supers, &x, sizeof x);
        n++;
    }
    ok = ok && comp_type(ps, t) && wat_expect_rpar(ps);
    if (ok) {
        t->final = final;
        t->super_count = n;
        uint32_t *copy = ARENA_ARRAY(ps->arena, uint32_t, n ? n : 1);
        if (!copy || supers.failed)
            ok = fail_nomem(ps);
        else if (n)
            memcpy(copy, supers.data, (size_t)n * sizeof *copy);
        t->supers = copy;
    }
    wat_buf_free(&supers);
    return ok;
}

/* type ::= '(' 'type' id? subtype ')', after the keyword at kw_at (the name was given in
 * pass 0). */
static bool collect_type(wat_parser *ps, size_t kw_at)
{
    if (cur(ps)->kind == WAT_ID && !wat_advance(ps))
        return false;
    if (!wat_name_annot(ps, WAT_NAME_TYPE, ps->type_count))
        return false;
    wat_type t;
    memset(&t, 0, sizeof t);
    if (!sub_type(ps, &t) || !wat_expect_rpar(ps))
        return false;
    t.text_at = kw_at;
    t.group_first = !ps->in_rec;
    t.group_size = ps->in_rec ? 0 : 1;
    uint32_t index;
    return add_type(ps, &t, &index);
}

/* rec ::= '(' 'rec' type* ')', after the keyword at kw_at. */
static bool collect_rec(wat_parser *ps, size_t kw_at)
{
    uint32_t start = ps->type_count;
    ps->in_rec = true;
    while (wat_peek_field(ps, "type")) {
        if (!wat_advance(ps)) {
            ps->in_rec = false;
            return false;
        }
        size_t type_at = cur(ps)->offset;
        if (!wat_advance(ps) || !collect_type(ps, type_at)) {
            ps->in_rec = false;
            return false;
        }
    }
    ps->in_rec = false;
    if (!wat_expect_rpar(ps))
        return false;
    uint32_t n = ps->type_count - start;
    if (n == 0) {
        /* An empty group: no type, but an entry of the type section. */
        if (ps->empty_rec_count == ps->empty_rec_cap) {
            if (ps->empty_rec_cap >= KILN_MAX_TYPES)
                return kiln_diag_set(ps->d, KILN_ERR_LIMIT, cur(ps)->offset,
                                     "too many types: more than %u", KILN_MAX_TYPES);
            uint32_t cap = ps->empty_rec_cap ? ps->empty_rec_cap * 2 : 8;
            uint32_t *grown = ARENA_ARRAY(ps->arena, uint32_t, cap);
            if (!grown)
                return fail_nomem(ps);
            if (ps->empty_rec_count)
                memcpy(grown, ps->empty_recs, ps->empty_rec_count * sizeof *grown);
            ps->empty_recs = grown;
            ps->empty_rec_cap = cap;
        }
        ps->empty_recs[ps->empty_rec_count++] = start;
        return true;
    }
    wat_type *first = &ps->types[start];
    first->group_first = true;
    first->rec_at = kw_at;
    first->group_size = n;
    if (plain_func(first)) { /* (rec (type (func ...))) is a plain type too */
        uint32_t old;
        if (!wat_names_add(&ps->sigs, ps->arena, (const char *)first->body, first->body_len, start,
                           &old) &&
            old == UINT32_MAX)
            return fail_nomem(ps);
    }
    return true;
}

/* Pass 0: the names of the types, (type $t ...) alone or in (rec ...), so that a type can
 * refer to any other by name. At the field's keyword; skips the field. */
/* A type's index and name for pass 0. A duplicate name goes to ps->type_dup (the first
 * one) and the pass goes on, so that the names after it are known to pass 1 too. */
static bool name_type(wat_parser *ps, const wat_token *id)
{
    if (id->kind == WAT_ID &&
        wat_names_get(&ps->names[WAT_SPACE_TYPE], id->name, id->name_len) != UINT32_MAX) {
        if (ps->type_dup->code == KILN_OK)
            wat_fail(ps->type_dup, id, "duplicate type");
        return define(ps, WAT_SPACE_TYPE, NULL);
    }
    return define(ps, WAT_SPACE_TYPE, id);
}

static bool name_types(wat_parser *ps)
{
    wat_token kw = *cur(ps);
    if (!wat_advance(ps))
        return false;
    if (wat_is_keyword(&kw, "type")) {
        if (!name_type(ps, cur(ps)))
            return false;
    } else if (wat_is_keyword(&kw, "rec")) {
        while (wat_peek_field(ps, "type")) {
            wat_lexer save = ps->lx;
            if (!wat_advance(ps) || !wat_advance(ps) || !name_type(ps, cur(ps)))
                return false;
            ps->lx = save;
            if (!skip_balanced(ps))
                return false;
        }
    }
    while (cur(ps)->kind != WAT_RPAR) {
        if (cur(ps)->kind == WAT_EOF)
            return wat_unexpected(ps);
        if (!(cur(ps)->kind == WAT_LPAR ? skip_balanced(ps) : wat_advance(ps)))
            return false;
    }
    return wat_advance(ps);
}

static int space_of_keyword(const wat_token *t)
{
    if (wat_is_keyword(t, "func"))
        return WAT_SPACE_FUNC;
    if (wat_is_keyword(t, "table"))
        return WAT_SPACE_TABLE;
    if (wat_is_keyword(t, "memory"))
        return WAT_SPACE_MEMORY;
    if (wat_is_keyword(t, "global"))
        return WAT_SPACE_GLOBAL;
    if (wat_is_keyword(t, "tag"))
        return WAT_SPACE_TAG;
    return -1;
}

static const char *const def_names[WAT_SPACE_COUNT] = {[WAT_SPACE_FUNC] = "function",
                                                       [WAT_SPACE_TABLE] = "table",
                                                       [WAT_SPACE_MEMORY] = "memory",
                                                       [WAT_SPACE_GLOBAL] = "global",
                                                       [WAT_SPACE_TAG] = "tag"};

/* Memory index is an i64 memory: its memargs' offsets may be u64. */
static bool set_memory64(wat_parser *ps, uint32_t index)
{
    if (index >= ps->memory64_cap) {
        uint32_t cap = ps->memory64_cap ? ps->memory64_cap : 8;
        while (cap <= index && cap < UINT32_MAX / 2)
            cap *= 2;
        if (cap <= index)
            return true; /* absurd counts: the decoder's limits report them */
        uint8_t *grown = ARENA_ARRAY(ps->arena, uint8_t, cap);
        if (!grown)
            return fail_nomem(ps);
        memset(grown, 0, cap);
        if (ps->memory64_cap)
            memcpy(grown, ps->memory64, ps->memory64_cap);
        ps->memory64 = grown;
        ps->memory64_cap = cap;
    }
    ps->memory64[index] = 1;
    return true;
}

/* An import of space after a definition is malformed ("import after function"). */
static bool check_import_order(wat_parser *ps, int first_def, const wat_token *at)
{
    if (first_def >= 0)
        return wat_fail(ps->d, at, "import after %s", def_names[first_def]);
    return true;
}

/* A table's (ref ...) element type in pass 1: reads it, and notes a type other than
 * (ref null func) and (ref null extern) (written funcref and externref) for put_elem. */
static bool note_table_type(wat_parser *ps)
{
    wat_vt vt;
    if (!wat_reftype(ps, &vt))
        return false;
    if (vt.len != 1)
        ps->typed_tables = true;
    return true;
}

/* One field, at its keyword, for pass 1. */
static bool collect_field(wat_parser *ps, int *first_def)
{
    wat_token kw = *cur(ps);
    if (wat_is_keyword(&kw, "type"))
        return wat_advance(ps) && collect_type(ps, kw.offset);
    if (wat_is_keyword(&kw, "rec"))
        return wat_advance(ps) && collect_rec(ps, kw.offset);
    int space = space_of_keyword(&kw);
    if (wat_is_keyword(&kw, "import")) {
        if (!check_import_order(ps, *first_def, &kw))
            return false;
        /* import "m" "n" ( kind id? */
        if (!wat_advance(ps))
            return false;
        for (int i = 0; i < 2; i++) {
            if (cur(ps)->kind != WAT_STRING)
                return wat_unexpected(ps);
            if (!wat_advance(ps))
                return false;
        }
        if (!wat_expect_lpar(ps))
            return false;
        space = space_of_keyword(cur(ps));
        if (space < 0)
            return wat_unexpected(ps);
        if (!wat_advance(ps) || !define(ps, space, cur(ps)))
            return false;
        if (cur(ps)->kind == WAT_ID && !wat_advance(ps))
            return false;
        if (space == WAT_SPACE_MEMORY && wat_is_keyword(cur(ps), "i64") &&
            !set_memory64(ps, ps->counts[space] - 1))
            return false;
        /* Skip to the description's ")"; the import's own follows below. */
        while (cur(ps)->kind != WAT_RPAR) {
            if (cur(ps)->kind == WAT_EOF)
                return wat_unexpected(ps);
            if (space == WAT_SPACE_TABLE && wat_peek_field(ps, "ref")) {
                if (!note_table_type(ps))
                    return false;
                continue;
            }
            if (!(cur(ps)->kind == WAT_LPAR ? skip_balanced(ps) : wat_advance(ps)))
                return false;
        }
        if (!wat_advance(ps))
            return false;
    } else if (space >= 0) {
        if (!wat_advance(ps))
            return false;
        if (!define(ps, space, cur(ps)))
            return false;
        if (cur(ps)->kind == WAT_ID && !wat_advance(ps))
            return false;
        bool imported = false;
        uint32_t index = ps->counts[space] - 1;
        for (;;) {
            if ((space == WAT_SPACE_TABLE || space == WAT_SPACE_MEMORY) &&
                cur(ps)->kind == WAT_KEYWORD) {
                /* i64, a reference type, ...: (elem ...) or (data ...) may follow */
                if (space == WAT_SPACE_MEMORY && wat_is_keyword(cur(ps), "i64") &&
                    !set_memory64(ps, index))
                    return false;
                if (!wat_advance(ps))
                    return false;
                continue;
            }
            if (cur(ps)->kind != WAT_LPAR)
                break;
            if (space == WAT_SPACE_TABLE && wat_peek_field(ps, "ref")) {
                if (!note_table_type(ps))
                    return false;
                continue;
            }
            if (wat_peek_field(ps, "import")) {
                imported = true;
                if (!check_import_order(ps, *first_def, cur(ps)))
                    return false;
            } else if (space == WAT_SPACE_TABLE && wat_peek_field(ps, "elem")) {
                if (!define(ps, WAT_SPACE_ELEM, NULL))
                    return false;
            } else if (space == WAT_SPACE_MEMORY && wat_peek_field(ps, "data")) {
                if (!define(ps, WAT_SPACE_DATA, NULL))
                    return false;
            }
            if (!skip_balanced(ps))
                return false;
        }
        if (!imported && *first_def < 0)
            *first_def = space;
    } else if (wat_is_keyword(&kw, "elem") || wat_is_keyword(&kw, "data")) {
        if (!wat_advance(ps))
            return false;
        if (!define(ps, wat_is_keyword(&kw, "elem") ? WAT_SPACE_ELEM : WAT_SPACE_DATA, cur(ps)))
            return false;
    } else if (!wat_is_keyword(&kw, "export") && !wat_is_keyword(&kw, "start")) {
        return wat_unexpected(ps);
    }
    /* Skip to the field's ")". */
    while (cur(ps)->kind != WAT_RPAR) {
        if (cur(ps)->kind == WAT_EOF)
            return wat_unexpected(ps);
        if (cur(ps)->kind == WAT_LPAR) {
            if (space == WAT_SPACE_TABLE && wat_peek_field(ps, "ref")) {
                if (!note_table_type(ps))
                    return false;
                continue;
            }
            if (!skip_balanced(ps))
                return false;
        } else if (!wat_advance(ps)) {
            return false;
        }
    }
    return wat_advance(ps);
}

/*
 * Pass 2: the sections.
 */

/* pagetype ::= '(' 'pagesize' n ')' (custom-page-sizes), at the "(": *log2 = log2 n. n must be
 * a power of two that the reference interpreter's integers hold (below 2^62); anything else
 * is its "invalid custom page size". */
static bool page_size(wat_parser *ps, uint32_t *log2)
{
    wat_token at = *cur(ps);
    if (!wat_advance(ps) || !wat_advance(ps))
        return false;
    const wat_token *t = cur(ps);
    if (t->kind != WAT_NUM || !t->is_nat || !t->is_int)
        return wat_unexpected(ps);
    uint64_t n;
    if (!wat_nat_u64(t, &n) || n == 0 || n >= (uint64_t)1 << 62 || (n & (n - 1)) != 0)
        return wat_fail(ps->d, &at, "invalid custom page size");
    *log2 = 0;
    while (((uint64_t)1 << *log2) < n)
        (*log2)++;
    return wat_advance(ps) && wat_expect_rpar(ps);
}

/* addrtype? limits, with limits ::= n m?: i32 (the default) takes u32s, i64 u64s (3.0: u64s
 * for both, the reference interpreter's "i64 constant out of range" past them). A memory's
 * may be followed by 'shared' (threads) and a pagetype (custom-page-sizes). Written flags
 * (bit 0: a maximum, bit 1: shared, bit 2: i64, bit 3: a page size), min, max?, log2 page
 * size?. */
static bool limits(wat_parser *ps, wat_buf *b, bool memory)
{
    bool is64 = wat_is_keyword(cur(ps), "i64");
    if ((is64 || wat_is_keyword(cur(ps), "i32")) && !wat_advance(ps))
        return false;
    uint64_t lim = is64 || ps->wasm3 ? UINT64_MAX : UINT32_MAX;
    const char *range = ps->wasm3 ? "i64 constant out of range"
                        : is64    ? "constant out of range"
                                  : "i32 constant out of range";
    uint64_t min, max = 0;
    const wat_token *t = cur(ps);
    if (t->kind != WAT_NUM || !t->is_nat || !t->is_int)
        return wat_unexpected(ps);
    if (!wat_nat_u64(t, &min) || min > lim)
        return wat_fail(ps->d, t, "%s", range);
    if (!wat_advance(ps))
        return false;
    t = cur(ps);
    bool has_max = t->kind == WAT_NUM;
    if (has_max) {
        if (!t->is_nat || !t->is_int)
            return wat_unexpected(ps);
        if (!wat_nat_u64(t, &max) || max > lim)
            return wat_fail(ps->d, t, "%s", range);
        if (!wat_advance(ps))
            return false;
    }
    bool shared = memory && wat_is_keyword(cur(ps), "shared");
    if (shared && !wat_advance(ps))
        return false;
    uint32_t log2 = 0;
    bool has_page = memory && wat_peek_field(ps, "pagesize");
    if (has_page && !page_size(ps, &log2))
        return false;
    wat_put_byte(
        b, (uint8_t)((has_max ? 1 : 0) | (shared ? 2 : 0) | (is64 ? 4 : 0) | (has_page ? 8 : 0)));
    wat_put_u64(b, min);
    if (has_max)
        wat_put_u64(b, max);
    if (has_page)
        wat_put_u32(b, log2);
    return true;
}

/* tabletype ::= addrtype? limits reftype; written reftype, limits. *rt = the reftype. */
static bool table_type(wat_parser *ps, wat_buf *b, wat_vt *rt)
{
    wat_buf lim = WAT_BUF(ps);
    bool ok = limits(ps, &lim, false) && wat_reftype(ps, rt);
    if (ok) {
        wat_put_vt(b, rt);
        wat_put_buf(b, &lim);
    }
    wat_buf_free(&lim);
    return ok;
}

/* globaltype ::= valtype | '(' 'mut' valtype ')' */
static bool global_type(wat_parser *ps, wat_buf *b)
{
    wat_vt vt;
    if (wat_peek_field(ps, "mut")) {
        if (!wat_advance(ps) || !wat_advance(ps) || !wat_valtype(ps, &vt) || !wat_expect_rpar(ps))
            return false;
        wat_put_vt(b, &vt);
        wat_put_byte(b, 1);
        return true;
    }
    if (!wat_valtype(ps, &vt))
        return false;
    wat_put_vt(b, &vt);
    wat_put_byte(b, 0);
    return true;
}

/* '(' 'export' name ')' for an entity of kind at index. */
static bool inline_exports(wat_parser *ps, wat_sections *s, uint8_t kind, uint32_t index)
{
    while (wat_peek_field(ps, "export")) {
        mark_entry(ps, &s->buf[SEC_EXPORT], cur(ps)->offset);
        if (!wat_advance(ps) || !wat_advance(ps))
            return false;
        if (!put_name(ps, &s->buf[SEC_EXPORT]))
            return false;
        wat_put_byte(&s->buf[SEC_EXPORT], kind);
        wat_put_u32(&s->buf[SEC_EXPORT], index);
        s->count[SEC_EXPORT]++;
        if (!wat_expect_rpar(ps))
            return false;
    }
    return true;
}

/* '(' 'import' name name ')' as the start of an import entry. */
static bool inline_import(wat_parser *ps, wat_sections *s)
{
    mark_entry(ps, &s->buf[SEC_IMPORT], cur(ps)->offset);
    if (!wat_advance(ps) || !wat_advance(ps))
        return false;
    if (!put_name(ps, &s->buf[SEC_IMPORT]) || !put_name(ps, &s->buf[SEC_IMPORT]))
        return false;
    s->count[SEC_IMPORT]++;
    return wat_expect_rpar(ps);
}

/* The import descriptions after the kind keyword and id. */
static bool import_desc(wat_parser *ps, wat_sections *s, int space)
{
    wat_buf *b = &s->buf[SEC_IMPORT];
    switch (space) {
    case WAT_SPACE_FUNC: {
        ps->local_count = 0;
        ps->locals = (wat_names){0};
        wat_typeref tu;
        if (!wat_typeuse(ps, false, true, &tu))
            return false;
        wat_put_byte(b, WASM_EXTERN_FUNC);
        wat_put_u32(b, tu.type_index);
        return true;
    }
    case WAT_SPACE_TABLE: {
        wat_put_byte(b, WASM_EXTERN_TABLE);
        wat_vt rt;
        return table_type(ps, b, &rt);
    }
    case WAT_SPACE_MEMORY:
        wat_put_byte(b, WASM_EXTERN_MEMORY);
        return limits(ps, b, true);
    case WAT_SPACE_TAG: {
        ps->local_count = 0;
        ps->locals = (wat_names){0};
        wat_typeref tu;
        if (!wat_typeuse(ps, false, true, &tu))
            return false;
        wat_put_byte(b, 4); /* tag: attribute 0 (exception), type index */
        wat_put_byte(b, 0);
        wat_put_u32(b, tu.type_index);
        return true;
    }
    default:
        wat_put_byte(b, WASM_EXTERN_GLOBAL);
        return global_type(ps, b);
    }
}

/* The name subsection of each index space. */
static const uint8_t name_subsection[WAT_SPACE_COUNT] = {
    [WAT_SPACE_TYPE] = WAT_NAME_TYPE,     [WAT_SPACE_FUNC] = WAT_NAME_FUNC,
    [WAT_SPACE_TABLE] = WAT_NAME_TABLE,   [WAT_SPACE_MEMORY] = WAT_NAME_MEMORY,
    [WAT_SPACE_GLOBAL] = WAT_NAME_GLOBAL, [WAT_SPACE_ELEM] = WAT_NAME_ELEM,
    [WAT_SPACE_DATA] = WAT_NAME_DATA,     [WAT_SPACE_TAG] = WAT_NAME_TAG};

/* After a definition's keyword: its id, if any, and its @name. */
static bool def_id(wat_parser *ps, int space, uint32_t index)
{
    if (cur(ps)->kind == WAT_ID && !wat_advance(ps))
        return false;
    return wat_name_annot(ps, name_subsection[space], index);
}

/* (import "m" "n" (kind id? desc)) at the keyword import. */
static bool import_field(wat_parser *ps, wat_sections *s)
{
    mark_entry(ps, &s->buf[SEC_IMPORT], ps->field_at);
    if (!put_name(ps, &s->buf[SEC_IMPORT]) || !put_name(ps, &s->buf[SEC_IMPORT]))
        return false;
    s->count[SEC_IMPORT]++;
    if (!wat_expect_lpar(ps))
        return false;
    int space = space_of_keyword(cur(ps));
    if (space < 0)
        return wat_unexpected(ps);
    uint32_t index = ps->counts[space]++;
    if (!wat_advance(ps))
        return false;
    if (cur(ps)->kind == WAT_ID && !wat_advance(ps))
        return false;
    if (!wat_name_annot(ps, name_subsection[space], index))
        return false;
    return import_desc(ps, s, space) && wat_expect_rpar(ps) && wat_expect_rpar(ps);
}

/* The locals and body of defined function func into a code entry; its text begins at from
 * (the keyword) and ends at the current ")" once read. */
static bool func_body(wat_parser *ps, wat_sections *s, uint32_t func, size_t from)
{
    wat_buf groups = WAT_BUF(ps), body = WAT_BUF(ps);
    uint32_t group_count = 0, run = 0;
    wat_vt run_type = {0};
    bool ok = true;
    while (ok && wat_peek_field(ps, "local")) {
        ok = wat_advance(ps) && wat_advance(ps);
        wat_token id = *cur(ps);
        bool named = ok && id.kind == WAT_ID;
        if (named)
            ok = wat_advance(ps);
        ok = ok && wat_name_annot(ps, WAT_NAME_LOCAL, ps->local_count);
        while (ok && wat_at_valtype(ps)) {
            wat_vt vt;
            ok = wat_valtype(ps, &vt);
            if (!ok)
                break;
            if (named) {
                uint32_t old;
                if (!wat_names_add(&ps->locals, ps->arena, id.name, id.name_len, ps->local_count,
                                   &old)) {
                    ok = old == UINT32_MAX ? fail_nomem(ps)
                                           : wat_fail(ps->d, &id, "duplicate local");
                    break;
                }
            }
            ps->local_count++;
            if (run && vt.len == run_type.len && memcmp(vt.b, run_type.b, vt.len) == 0) {
                run++;
            } else {
                if (run) {
                    wat_put_u32(&groups, run);
                    wat_put_vt(&groups, &run_type);
                    group_count++;
                }
                run = 1;
                run_type = vt;
            }
            if (named)
                break; /* (local $x t): one type */
        }
        ok = ok && wat_expect_rpar(ps);
    }
    if (ok && run) {
        wat_put_u32(&groups, run);
        wat_put_vt(&groups, &run_type);
        group_count++;
    }
    if (ok) {
        ps->label_depth = 0;
        ps->in_body = true;
        ok = wat_instrs(ps, &body);
        ps->in_body = false;
    }
    if (ok) {
        if (ps->track)
            wat_mark_here(&body, cur(ps)->offset); /* the function's end: its ")" */
        wat_put_byte(&body, 0x0B);
        wat_buf head = WAT_BUF(ps);
        wat_put_u32(&head, group_count);
        size_t size = head.len + groups.len + body.len;
        if (size > UINT32_MAX || head.failed || groups.failed || body.failed) {
            ok = fail_nomem(ps);
        } else {
            wat_buf *code = &s->buf[SEC_CODE];
            wat_put_u32(code, (uint32_t)size);
            wat_put_bytes(code, head.data, head.len);
            wat_put_bytes(code, groups.data, groups.len);
            wat_put_buf(code, &body);
            s->count[SEC_CODE]++;
            ok = wat_func_annots(ps, func, &body, head.len + groups.len, from, cur(ps)->offset);
        }
        wat_buf_free(&head);
    }
    wat_buf_free(&groups);
    wat_buf_free(&body);
    return ok;
}

static bool func_field(wat_parser *ps, wat_sections *s)
{
    uint32_t index = ps->counts[WAT_SPACE_FUNC]++;
    if (!def_id(ps, WAT_SPACE_FUNC, index))
        return false;
    if (!inline_exports(ps, s, WASM_EXTERN_FUNC, index))
        return false;
    ps->locals = (wat_names){0};
    ps->local_count = 0;
    if (wat_peek_field(ps, "import")) {
        return inline_import(ps, s) && import_desc(ps, s, WAT_SPACE_FUNC) && wat_expect_rpar(ps);
    }
    wat_typeref tu;
    if (!wat_typeuse(ps, true, true, &tu))
        return false;
    mark_entry(ps, &s->buf[SEC_FUNC], ps->field_at);
    wat_put_u32(&s->buf[SEC_FUNC], tu.type_index);
    s->count[SEC_FUNC]++;
    return func_body(ps, s, index, ps->field_at) && wat_expect_rpar(ps);
}

/* An element list's items, both as function indices (valid only if every item is one, or a
 * lone ref.func) and as expressions. */
typedef struct elem_items {
    wat_buf funcs, exprs;
    uint32_t count;
    bool all_funcs;
} elem_items;

static bool elem_item_index(wat_parser *ps, elem_items *it)
{
    uint32_t x = 0;
    if (!wat_index(ps, WAT_SPACE_FUNC, &x))
        return false;
    wat_put_u32(&it->funcs, x);
    wat_put_byte(&it->exprs, 0xD2);
    wat_put_u32(&it->exprs, x);
    wat_put_byte(&it->exprs, 0x0B);
    it->count++;
    return true;
}

/* elemexpr ::= '(' 'item' expr ')' | foldedinstr */
static bool elem_item_expr(wat_parser *ps, elem_items *it)
{
    wat_buf e = WAT_BUF(ps);
    bool ok;
    if (wat_peek_field(ps, "item"))
        ok = wat_advance(ps) && wat_advance(ps) && wat_expr(ps, &e) && wat_expect_rpar(ps);
    else
        ok = wat_folded_instr(ps, &e);
    if (ok) {
        /* A lone ref.func x: 0xD2 leb 0x0B. */
        bool is_ref_func = e.len >= 3 && e.data[0] == 0xD2 && e.data[e.len - 1] == 0x0B;
        uint32_t x = 0;
        if (is_ref_func) {
            size_t i = 1;
            unsigned shift = 0;
            while (i < e.len - 1 && (e.data[i] & 0x80) && shift < 28) {
                x |= (uint32_t)(e.data[i] & 0x7F) << shift;
                shift += 7;
                i++;
            }
            x |= (uint32_t)(e.data[i] & 0x7F) << shift;
            is_ref_func = i + 2 == e.len && !(e.data[i] & 0x80);
        }
        if (is_ref_func)
            wat_put_u32(&it->funcs, x);
        else
            it->all_funcs = false;
        wat_put_buf(&it->exprs, &e);
        it->count++;
    }
    wat_buf_free(&e);
    return ok;
}

/* elemlist ::= reftype elemexpr* | 'func' funcidx* ; or (legacy) funcidx* alone. A func list
 * has type funcref here (its element kind byte is 0 either way). */
static bool elem_list(wat_parser *ps, elem_items *it, wat_vt *type)
{
    it->all_funcs = true;
    type->len = 1;
    type->b[0] = 0x70;
    if (!wat_at_reftype(ps) &&
        (wat_is_keyword(cur(ps), "func") || (cur(ps)->kind != WAT_KEYWORD))) {
        if (wat_is_keyword(cur(ps), "func") && !wat_advance(ps))
            return false;
        type->len = 2; /* func x* stands for (ref func) (ref.func x)* */
        type->b[0] = 0x64;
        type->b[1] = 0x70;
        while (cur(ps)->kind == WAT_ID || cur(ps)->kind == WAT_NUM)
            if (!elem_item_index(ps, it))
                return false;
        return true;
    }
    if (!wat_reftype(ps, type))
        return false;
    while (cur(ps)->kind == WAT_LPAR)
        if (!elem_item_expr(ps, it))
            return false;
    return true;
}

static bool is_funcref(const wat_vt *t)
{
    return t->len == 1 && t->b[0] == 0x70;
}

/* Writes an element segment the way wat2wasm chooses its flags; a list of ref.func items is
 * written as indices when its type is (ref func), as the reference interpreter does, and
 * when it is funcref as wat2wasm does -- unless the module has a table of a (ref ...) type:
 * indices make the segment's type (ref func) (Wasm 3.0), which such a table could tell
 * from the funcref written. */
static void put_elem(const wat_parser *ps, wat_sections *s, wasm_segmode mode, uint32_t table,
                     const wat_buf *offset, const wat_vt *type, const elem_items *it)
{
    wat_buf *b = &s->buf[SEC_ELEM];
    bool ref_func = type->len == 2 && type->b[0] == 0x64 && type->b[1] == 0x70;
    bool exprs = !(it->all_funcs && (ref_func || (is_funcref(type) && !ps->typed_tables)));
    uint8_t flags = exprs ? 4 : 0;
    if (mode == WASM_SEG_PASSIVE)
        flags |= 1;
    else if (mode == WASM_SEG_DECLARATIVE)
        flags |= 3;
    else if (table != 0 || (exprs && !is_funcref(type)))
        flags |= 2;
    wat_put_byte(b, flags);
    if (flags & 2 && !(flags & 1))
        wat_put_u32(b, table);
    if (!(flags & 1))
        wat_put_buf(b, offset);
    if (flags & 3) {
        if (exprs)
            wat_put_vt(b, type);
        else
            wat_put_byte(b, 0x00);
    }
    wat_put_u32(b, it->count);
    const wat_buf *items = exprs ? &it->exprs : &it->funcs;
    wat_put_buf(b, items);
    if (offset->failed || items->failed)
        b->failed = true;
    s->count[SEC_ELEM]++;
}

static void elem_items_free(elem_items *it)
{
    wat_buf_free(&it->funcs);
    wat_buf_free(&it->exprs);
}

/* offset ::= '(' 'offset' expr ')' | foldedinstr */
static bool offset_expr(wat_parser *ps, wat_buf *b)
{
    if (cur(ps)->kind != WAT_LPAR)
        return wat_unexpected(ps);
    if (wat_peek_field(ps, "offset"))
        return wat_advance(ps) && wat_advance(ps) && wat_expr(ps, b) && wat_expect_rpar(ps);
    return wat_folded_instr(ps, b);
}

/* Whether expr (ending in 0x0B) is exactly ref.null of the heap type of rt. */
static bool is_ref_null_of(const wat_buf *expr, const wat_vt *rt)
{
    const uint8_t *ht = rt->b + (rt->len > 1 ? 1 : 0);
    size_t n = rt->len > 1 ? rt->len - 1u : 1;
    return expr->len == n + 2 && expr->data[0] == 0xD0 && memcmp(expr->data + 1, ht, n) == 0 &&
           expr->data[expr->len - 1] == 0x0B;
}

/* table ::= '(' 'table' id? export* ('(' 'import' ..')' tabletype
 *                                   | tabletype expr?
 *                                   | addrtype? reftype '(' 'elem' ...')') ')' */
static bool table_field(wat_parser *ps, wat_sections *s)
{
    uint32_t index = ps->counts[WAT_SPACE_TABLE]++;
    if (!def_id(ps, WAT_SPACE_TABLE, index))
        return false;
    if (!inline_exports(ps, s, WASM_EXTERN_TABLE, index))
        return false;
    if (wat_peek_field(ps, "import"))
        return inline_import(ps, s) && import_desc(ps, s, WAT_SPACE_TABLE) && wat_expect_rpar(ps);
    wat_lexer at_type = ps->lx;
    bool is64 = wat_is_keyword(cur(ps), "i64");
    if ((is64 || wat_is_keyword(cur(ps), "i32")) && !wat_advance(ps))
        return false;
    wat_vt rt;
    if (wat_at_reftype(ps)) {
        /* reftype (elem ...): a table just large enough, and an active segment at 0. */
        if (!wat_reftype(ps, &rt))
            return false;
        if (!wat_peek_field(ps, "elem"))
            return wat_unexpected(ps);
        if (!wat_advance(ps) || !wat_advance(ps))
            return false;
        elem_items it = {.funcs = WAT_BUF(ps), .exprs = WAT_BUF(ps)};
        it.all_funcs = true;
        bool ok = true;
        if (cur(ps)->kind == WAT_LPAR) {
            while (ok && cur(ps)->kind == WAT_LPAR)
                ok = elem_item_expr(ps, &it);
        } else {
            while (ok && (cur(ps)->kind == WAT_ID || cur(ps)->kind == WAT_NUM))
                ok = elem_item_index(ps, &it);
        }
        ok = ok && wat_expect_rpar(ps) && wat_expect_rpar(ps);
        if (ok) {
            wat_buf *b = &s->buf[SEC_TABLE];
            mark_entry(ps, b, ps->field_at);
            mark_entry(ps, &s->buf[SEC_ELEM], ps->field_at);
            wat_put_vt(b, &rt);
            wat_put_byte(b, is64 ? 5 : 1);
            wat_put_u32(b, it.count);
            wat_put_u32(b, it.count);
            s->count[SEC_TABLE]++;
            /* i32.const 0 end, or i64.const 0 end */
            const uint8_t zero[] = {is64 ? 0x42 : 0x41, 0x00, 0x0B};
            wat_buf off = WAT_BUF(ps);
            wat_put_bytes(&off, zero, sizeof zero);
            put_elem(ps, s, WASM_SEG_ACTIVE, index, &off, &rt, &it);
            ps->counts[WAT_SPACE_ELEM]++;
            wat_buf_free(&off);
        }
        elem_items_free(&it);
        return ok;
    }
    ps->lx = at_type;
    wat_buf tt = WAT_BUF(ps), init = WAT_BUF(ps);
    bool ok = table_type(ps, &tt, &rt);
    if (ok && cur(ps)->kind != WAT_RPAR) {
        /* An initialiser: written 0x40 0x00 tabletype expr, unless it is the ref.null the
         * table has anyway. */
        ps->locals = (wat_names){0};
        ps->local_count = 0;
        ok = wat_expr(ps, &init);
    }
    if (ok) {
        wat_buf *b = &s->buf[SEC_TABLE];
        mark_entry(ps, b, ps->field_at);
        if (init.len && !is_ref_null_of(&init, &rt)) {
            wat_put_byte(b, 0x40);
            wat_put_byte(b, 0x00);
            wat_put_buf(b, &tt);
            wat_put_buf(b, &init);
        } else {
            wat_put_buf(b, &tt);
        }
        s->count[SEC_TABLE]++;
        if (init.failed)
            b->failed = true;
    }
    wat_buf_free(&tt);
    wat_buf_free(&init);
    return ok && wat_expect_rpar(ps);
}

/* The strings of a data segment, concatenated, as vec(byte). */
static bool data_strings(wat_parser *ps, wat_buf *b)
{
    wat_buf all = WAT_BUF(ps), tmp = WAT_BUF(ps);
    bool ok = true;
    while (ok && cur(ps)->kind == WAT_STRING) {
        ok = string_bytes(ps, &tmp);
        if (ok) {
            wat_put_bytes(&all, tmp.data, tmp.len);
            ok = wat_advance(ps);
        }
    }
    if (ok && (all.failed || all.len > UINT32_MAX))
        ok = fail_nomem(ps);
    if (ok) {
        wat_put_name(b, all.data, all.len);
        if (b->failed) /* the memory abbreviation reads the length back */
            ok = fail_nomem(ps);
    }
    wat_buf_free(&all);
    wat_buf_free(&tmp);
    return ok;
}

static bool memory_field(wat_parser *ps, wat_sections *s)
{
    uint32_t index = ps->counts[WAT_SPACE_MEMORY]++;
    if (!def_id(ps, WAT_SPACE_MEMORY, index))
        return false;
    if (!inline_exports(ps, s, WASM_EXTERN_MEMORY, index))
        return false;
    if (wat_peek_field(ps, "import"))
        return inline_import(ps, s) && import_desc(ps, s, WAT_SPACE_MEMORY) && wat_expect_rpar(ps);
    wat_lexer at_type = ps->lx;
    bool is64 = wat_is_keyword(cur(ps), "i64");
    if ((is64 || wat_is_keyword(cur(ps), "i32")) && !wat_advance(ps))
        return false;
    uint32_t log2 = 16;
    bool has_page = wat_peek_field(ps, "pagesize");
    if (has_page && !page_size(ps, &log2))
        return false;
    if (!wat_peek_field(ps, "data"))
        ps->lx = at_type;
    if (wat_peek_field(ps, "data")) {
        /* pagetype? (data string*): min = max = the pages the bytes need, an active segment
         * at 0. */
        if (!wat_advance(ps) || !wat_advance(ps))
            return false;
        wat_buf seg = WAT_BUF(ps);
        bool ok = data_strings(ps, &seg) && wat_expect_rpar(ps) && wat_expect_rpar(ps);
        if (ok) {
            /* seg = vec(byte): its length prefix gives the size. */
            uint64_t size = 0;
            unsigned shift = 0;
            size_t i = 0;
            do {
                size |= (uint64_t)(seg.data[i] & 0x7F) << shift;
                shift += 7;
            } while (seg.data[i++] & 0x80);
            uint64_t pages = (size >> log2) + ((size & (((uint64_t)1 << log2) - 1)) != 0);
            wat_buf *m = &s->buf[SEC_MEMORY];
            mark_entry(ps, m, ps->field_at);
            wat_put_byte(m, (uint8_t)((is64 ? 5 : 1) | (has_page ? 8 : 0)));
            wat_put_u64(m, pages);
            wat_put_u64(m, pages);
            if (has_page)
                wat_put_u32(m, log2);
            s->count[SEC_MEMORY]++;
            wat_buf *d = &s->buf[SEC_DATA];
            mark_entry(ps, d, ps->field_at);
            wat_put_byte(d, index == 0 ? 0 : 2);
            if (index != 0)
                wat_put_u32(d, index);
            const uint8_t zero[] = {is64 ? 0x42 : 0x41, 0x00, 0x0B};
            wat_put_bytes(d, zero, sizeof zero);
            wat_put_buf(d, &seg);
            s->count[SEC_DATA]++;
            ps->counts[WAT_SPACE_DATA]++;
        }
        wat_buf_free(&seg);
        return ok;
    }
    mark_entry(ps, &s->buf[SEC_MEMORY], ps->field_at);
    if (!limits(ps, &s->buf[SEC_MEMORY], true))
        return false;
    s->count[SEC_MEMORY]++;
    return wat_expect_rpar(ps);
}

static bool global_field(wat_parser *ps, wat_sections *s)
{
    uint32_t index = ps->counts[WAT_SPACE_GLOBAL]++;
    if (!def_id(ps, WAT_SPACE_GLOBAL, index))
        return false;
    if (!inline_exports(ps, s, WASM_EXTERN_GLOBAL, index))
        return false;
    if (wat_peek_field(ps, "import"))
        return inline_import(ps, s) && import_desc(ps, s, WAT_SPACE_GLOBAL) && wat_expect_rpar(ps);
    mark_entry(ps, &s->buf[SEC_GLOBAL], ps->field_at);
    if (!global_type(ps, &s->buf[SEC_GLOBAL]))
        return false;
    ps->locals = (wat_names){0};
    ps->local_count = 0;
    if (!wat_expr(ps, &s->buf[SEC_GLOBAL]))
        return false;
    s->count[SEC_GLOBAL]++;
    return wat_expect_rpar(ps);
}

static bool export_field(wat_parser *ps, wat_sections *s)
{
    wat_buf *b = &s->buf[SEC_EXPORT];
    mark_entry(ps, b, ps->field_at);
    if (!put_name(ps, b) || !wat_expect_lpar(ps))
        return false;
    int space = space_of_keyword(cur(ps));
    if (space < 0)
        return wat_unexpected(ps);
    uint32_t x;
    if (!wat_advance(ps) || !wat_index(ps, space, &x))
        return false;
    static const uint8_t kinds[WAT_SPACE_COUNT] = {[WAT_SPACE_FUNC] = WASM_EXTERN_FUNC,
                                                   [WAT_SPACE_TABLE] = WASM_EXTERN_TABLE,
                                                   [WAT_SPACE_MEMORY] = WASM_EXTERN_MEMORY,
                                                   [WAT_SPACE_GLOBAL] = WASM_EXTERN_GLOBAL,
                                                   [WAT_SPACE_TAG] = 4};
    wat_put_byte(b, kinds[space]);
    wat_put_u32(b, x);
    s->count[SEC_EXPORT]++;
    return wat_expect_rpar(ps) && wat_expect_rpar(ps);
}

static bool elem_field(wat_parser *ps, wat_sections *s)
{
    if (!def_id(ps, WAT_SPACE_ELEM, ps->counts[WAT_SPACE_ELEM]++))
        return false;
    wasm_segmode mode = WASM_SEG_PASSIVE;
    uint32_t table = 0;
    wat_buf offset = WAT_BUF(ps);
    bool ok = true;
    if (wat_is_keyword(cur(ps), "declare")) {
        mode = WASM_SEG_DECLARATIVE;
        ok = wat_advance(ps);
    } else if ((cur(ps)->kind == WAT_LPAR && !wat_peek_field(ps, "ref")) ||
               cur(ps)->kind == WAT_NUM || cur(ps)->kind == WAT_ID) {
        mode = WASM_SEG_ACTIVE;
        if (wat_peek_field(ps, "table"))
            ok = wat_advance(ps) && wat_advance(ps) && wat_index(ps, WAT_SPACE_TABLE, &table) &&
                 wat_expect_rpar(ps);
        else if (cur(ps)->kind != WAT_LPAR)
            ok = wat_index(ps, WAT_SPACE_TABLE, &table);
        ps->locals = (wat_names){0};
        ps->local_count = 0;
        ok = ok && offset_expr(ps, &offset);
    }
    elem_items it = {.funcs = WAT_BUF(ps), .exprs = WAT_BUF(ps)};
    wat_vt type;
    ok = ok && elem_list(ps, &it, &type) && wat_expect_rpar(ps);
    if (ok) {
        mark_entry(ps, &s->buf[SEC_ELEM], ps->field_at);
        put_elem(ps, s, mode, table, &offset, &type, &it);
    }
    elem_items_free(&it);
    wat_buf_free(&offset);
    return ok;
}

static bool data_field(wat_parser *ps, wat_sections *s)
{
    if (!def_id(ps, WAT_SPACE_DATA, ps->counts[WAT_SPACE_DATA]++))
        return false;
    wat_buf *b = &s->buf[SEC_DATA];
    mark_entry(ps, b, ps->field_at);
    bool ok = true;
    if (cur(ps)->kind == WAT_STRING || cur(ps)->kind == WAT_RPAR) {
        wat_put_byte(b, 1);
    } else {
        uint32_t memory = 0;
        if (wat_peek_field(ps, "memory"))
            ok = wat_advance(ps) && wat_advance(ps) && wat_index(ps, WAT_SPACE_MEMORY, &memory) &&
                 wat_expect_rpar(ps);
        else if (cur(ps)->kind != WAT_LPAR)
            ok = wat_index(ps, WAT_SPACE_MEMORY, &memory);
        if (!ok)
            return false;
        wat_put_byte(b, memory == 0 ? 0 : 2);
        if (memory != 0)
            wat_put_u32(b, memory);
        ps->locals = (wat_names){0};
        ps->local_count = 0;
        ok = offset_expr(ps, b);
    }
    ok = ok && data_strings(ps, b) && wat_expect_rpar(ps);
    if (ok)
        s->count[SEC_DATA]++;
    return ok;
}

/* tag ::= '(' 'tag' id? export* ('(' 'import' name name ')')? typeuse ')' */
static bool tag_field(wat_parser *ps, wat_sections *s)
{
    uint32_t index = ps->counts[WAT_SPACE_TAG]++;
    if (!def_id(ps, WAT_SPACE_TAG, index))
        return false;
    if (!inline_exports(ps, s, 4, index))
        return false;
    if (wat_peek_field(ps, "import"))
        return inline_import(ps, s) && import_desc(ps, s, WAT_SPACE_TAG) && wat_expect_rpar(ps);
    ps->locals = (wat_names){0};
    ps->local_count = 0;
    wat_typeref tu;
    if (!wat_typeuse(ps, false, true, &tu))
        return false;
    mark_entry(ps, &s->buf[SEC_TAG], ps->field_at);
    wat_put_byte(&s->buf[SEC_TAG], 0);
    wat_put_u32(&s->buf[SEC_TAG], tu.type_index);
    s->count[SEC_TAG]++;
    return wat_expect_rpar(ps);
}

/* One field, at its keyword, for pass 2. */
static bool emit_field(wat_parser *ps, wat_sections *s, bool *has_start)
{
    wat_token kw = *cur(ps);
    ps->field_at = kw.offset; /* the field's keyword: where its entries come from */
    if (!wat_advance(ps))
        return false;
    if (wat_is_keyword(&kw, "type") || wat_is_keyword(&kw, "rec")) { /* read in pass 1 */
        while (cur(ps)->kind != WAT_RPAR) {
            if (cur(ps)->kind == WAT_EOF)
                return wat_unexpected(ps);
            if (!(cur(ps)->kind == WAT_LPAR ? skip_balanced(ps) : wat_advance(ps)))
                return false;
        }
        return wat_advance(ps);
    }
    if (wat_is_keyword(&kw, "import"))
        return import_field(ps, s);
    if (wat_is_keyword(&kw, "func"))
        return func_field(ps, s);
    if (wat_is_keyword(&kw, "table"))
        return table_field(ps, s);
    if (wat_is_keyword(&kw, "memory"))
        return memory_field(ps, s);
    if (wat_is_keyword(&kw, "global"))
        return global_field(ps, s);
    if (wat_is_keyword(&kw, "export"))
        return export_field(ps, s);
    if (wat_is_keyword(&kw, "elem"))
        return elem_field(ps, s);
    if (wat_is_keyword(&kw, "data"))
        return data_field(ps, s);
    if (wat_is_keyword(&kw, "tag"))
        return tag_field(ps, s);
    if (wat_is_keyword(&kw, "start")) {
        if (*has_start)
            return wat_fail(ps->d, &kw, "multiple start sections");
        *has_start = true;
        uint32_t x;
        if (!wat_index(ps, WAT_SPACE_FUNC, &x))
            return false;
        mark_entry(ps, &s->buf[SEC_START], kw.offset);
        wat_put_u32(&s->buf[SEC_START], x);
        return wat_expect_rpar(ps);
    }
    return wat_fail(ps->d, &kw, "unexpected token");
}

/* Runs pass fn over the fields from the lexer position start until ")" (in_module) or the
 * end of the input. */
static bool each_field(wat_parser *ps, const wat_lexer *start, bool in_module, wat_sections *s,
                       bool names_only)
{
    ps->lx = *start;
    ps->lx.d = ps->d;
    int first_def = -1;
    bool has_start = false;
    for (bool first = true;; first = false) {
        const wat_token *t = cur(ps);
        if (s && !wat_module_annots(ps, t, first)) /* @custom between fields, the @name first */
            return false;
        if (in_module && t->kind == WAT_RPAR)
            return true;
        if (!in_module && t->kind == WAT_EOF)
            return true;
        if (t->kind != WAT_LPAR)
            return wat_unexpected(ps);
        if (!wat_advance(ps))
            return false;
        if (cur(ps)->kind != WAT_KEYWORD)
            return wat_unexpected(ps);
        bool ok = names_only ? name_types(ps)
                  : s        ? emit_field(ps, s, &has_start)
                             : collect_field(ps, &first_def);
        if (!ok)
            return false;
    }
}

/* subtype: the comptype alone when final without supertypes, else 0x4F (final) or 0x50,
 * vec(typeidx), comptype. */
static void put_subtype(wat_parser *ps, wat_buf *b, const wat_type *t)
{
    mark_entry(ps, b, t->text_at);
    if (!t->final || t->super_count) {
        wat_put_byte(b, t->final ? 0x4F : 0x50);
        wat_put_u32(b, t->super_count);
        for (uint32_t k = 0; k < t->super_count; k++)
            wat_put_u32(b, t->supers[k]);
    }
    wat_put_bytes(b, t->body, t->body_len);
}

/* The type section from the table: one entry per rec group, a group of one as its subtype
 * alone, others 0x4E vec(subtype); empty (rec) groups where they stood. */
static void write_types(wat_parser *ps, wat_sections *s)
{
    wat_buf *b = &s->buf[SEC_TYPE];
    uint32_t e = 0;
    for (uint32_t i = 0; i <= ps->type_count; i++) {
        for (; e < ps->empty_rec_count && ps->empty_recs[e] == i; e++) {
            wat_put_byte(b, 0x4E);
            wat_put_byte(b, 0x00);
            s->count[SEC_TYPE]++;
        }
        if (i == ps->type_count || !ps->types[i].group_first)
            continue;
        const wat_type *t = &ps->types[i];
        s->count[SEC_TYPE]++;
        if (t->group_size == 1) {
            put_subtype(ps, b, t);
            continue;
        }
        mark_entry(ps, b, t->rec_at);
        wat_put_byte(b, 0x4E);
        wat_put_u32(b, t->group_size);
        for (uint32_t k = 0; k < t->group_size; k++)
            put_subtype(ps, b, &ps->types[i + k]);
    }
}

/* The section of a place (none for first and last), if it has content. */
static void put_section_at(wat_parser *ps, wat_sections *s, wat_buf *out, unsigned place)
{
    static const uint8_t ids[WAT_PLACE_COUNT] = {
        [WAT_PLACE_TYPE] = SEC_TYPE,     [WAT_PLACE_IMPORT] = SEC_IMPORT,
        [WAT_PLACE_FUNC] = SEC_FUNC,     [WAT_PLACE_TABLE] = SEC_TABLE,
        [WAT_PLACE_MEMORY] = SEC_MEMORY, [WAT_PLACE_TAG] = SEC_TAG,
        [WAT_PLACE_GLOBAL] = SEC_GLOBAL, [WAT_PLACE_EXPORT] = SEC_EXPORT,
        [WAT_PLACE_START] = SEC_START,   [WAT_PLACE_ELEM] = SEC_ELEM,
        [WAT_PLACE_CODE] = SEC_CODE,     [WAT_PLACE_DATA] = SEC_DATA};
    if (place == WAT_PLACE_START) {
        if (s->buf[SEC_START].len) {
            wat_put_byte(out, SEC_START);
            wat_put_u32(out, (uint32_t)s->buf[SEC_START].len);
            wat_put_buf(out, &s->buf[SEC_START]);
        }
    } else if (place == WAT_PLACE_DATACOUNT) {
        if (ps->uses_data_index && ps->counts[WAT_SPACE_DATA] > 0) {
            wat_put_byte(out, SEC_DATACOUNT);
            wat_buf n = WAT_BUF(ps);
            wat_put_u32(&n, ps->counts[WAT_SPACE_DATA]);
            wat_put_u32(out, (uint32_t)n.len);
            wat_put_buf(out, &n);
            wat_buf_free(&n);
        }
    } else if (ids[place] != SEC_CUSTOM) {
        wat_put_section(out, ids[place], &s->buf[ids[place]], s->count[ids[place]], false);
    }
}

/* The earliest of two errors in the text (a one-pass parser would have met it first). */
static void earliest(kiln_diag *d, const kiln_diag *a, const kiln_diag *b)
{
    bool b_first = b->code != KILN_OK && (a->code == KILN_OK || b->offset < a->offset);
    if (d->code == KILN_OK)
        *d = b_first ? *b : *a;
}

static bool convert_fields(wat_parser *ps, const wat_lexer *start, bool in_module, wat_buf *out)
{
    kiln_diag *real = ps->d;
    kiln_diag first;
    kiln_diag_init(&first);
    ps->d = &first;
    kiln_diag dup;
    kiln_diag_init(&dup);
    ps->type_dup = &dup;
    bool ok = each_field(ps, start, in_module, NULL, true) &&
              each_field(ps, start, in_module, NULL, false);
    if (dup.code != KILN_OK && (ok || dup.offset < first.offset)) {
        ok = false;
        first = dup;
    }
    ps->d = real;
    if (!ok) {
        /* Pass 1 only skims bodies: an error inside one before this point must win, so run
         * pass 2 as far as it gets and report whichever error comes first in the text. */
        kiln_diag second;
        kiln_diag_init(&second);
        if (first.code == KILN_ERR_MALFORMED) {
            wat_sections s;
            sections_init(ps, &s);
            ps->d = &second;
            for (int i = WAT_SPACE_FUNC; i < WAT_SPACE_COUNT; i++)
                ps->counts[i] = 0;
            each_field(ps, start, in_module, &s, false);
            ps->d = real;
            for (int i = 0; i < SEC_COUNT; i++)
                wat_buf_free(&s.buf[i]);
            if (second.code != KILN_ERR_MALFORMED)
                kiln_diag_init(&second);
        }
        earliest(real, &first, &second);
        return false;
    }
    for (int i = WAT_SPACE_FUNC; i < WAT_SPACE_COUNT; i++)
        ps->counts[i] = 0;
    wat_sections s;
    sections_init(ps, &s);
    ok = each_field(ps, start, in_module, &s, false) && wat_annots_check(ps);
    if (ok)
        write_types(ps, &s);
    if (ok) {
        static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
        wat_put_bytes(out, header, sizeof header);
        /* Each place: the custom sections before it, its section, those after it. The
         * branch hints go first before the code, the names last after the data. */
        for (unsigned place = 0; place < WAT_PLACE_COUNT; place++) {
            if (place == WAT_PLACE_CODE)
                wat_put_hint_section(ps, out);
            wat_put_customs(ps, out, 2 * place);
            put_section_at(ps, &s, out, place);
            wat_put_customs(ps, out, 2 * place + 1);
            if (place == WAT_PLACE_DATA)
                wat_put_name_section(ps, out);
        }
        for (int i = 0; i < SEC_COUNT; i++)
            if (s.buf[i].failed)
                out->failed = true;
        if (out->failed)
            ok = fail_nomem(ps);
    }
    for (int i = 0; i < SEC_COUNT; i++)
        wat_buf_free(&s.buf[i]);
    return ok;
}

static bool convert(const char *text, size_t size, unsigned quote_depth, bool track, bool wasm3,
                    wat_buf *out, kiln_diag *d);

/* An error inside the strings of (module quote ...): its line and column are in the quoted
 * text, which is not the file's, so the error is placed at the quote keyword and the quoted
 * position goes into the message. */
static void quoted_position(kiln_diag *d, const wat_token *quote)
{
    const char *nul = memchr(d->msg, '\0', sizeof d->msg);
    size_t n = nul ? (size_t)(nul - d->msg) : sizeof d->msg - 1;
    snprintf(d->msg + n, sizeof d->msg - n, " (quoted text %u:%u)", (unsigned)d->line,
             (unsigned)d->column);
    d->offset = quote->offset;
    d->line = quote->line;
    d->column = quote->column;
}

/* After "(module id?": binary or quote strings, or fields. */
static bool module_body(wat_parser *ps, wat_buf *out)
{
    bool binary = wat_is_keyword(cur(ps), "binary");
    if (binary || wat_is_keyword(cur(ps), "quote")) {
        wat_token kw = *cur(ps);
        if (!wat_advance(ps))
            return false;
        wat_buf all = WAT_BUF(ps), tmp = WAT_BUF(ps);
        bool ok = true;
        while (ok && cur(ps)->kind == WAT_STRING) {
            ok = string_bytes(ps, &tmp);
            if (ok) {
                wat_put_bytes(&all, tmp.data, tmp.len);
                ok = wat_advance(ps);
            }
        }
        ok = ok && wat_expect_rpar(ps);
        if (ok && cur(ps)->kind != WAT_EOF)
            ok = wat_unexpected(ps);
        if (ok && all.failed)
            ok = fail_nomem(ps);
        ok = ok && wat_annots_check(ps); /* none of the outer text's is in place */
        if (ok && binary) {
            wat_put_bytes(out, all.data, all.len);
        } else if (ok) {
            if (ps->quote_depth >= 8)
                ok = wat_fail(ps->d, &kw, "nesting too deep: module quote");
            else
                ok = convert((const char *)all.data, all.len, ps->quote_depth + 1, false, ps->wasm3,
                             out, ps->d); /* positions in quoted text are not the file's */
            if (!ok && ps->d->line != 0)
                quoted_position(ps->d, &kw);
        }
        wat_buf_free(&all);
        wat_buf_free(&tmp);
        return ok;
    }
    wat_lexer start = ps->lx;
    if (!convert_fields(ps, &start, true, out))
        return false;
    if (!wat_expect_rpar(ps))
        return false;
    return cur(ps)->kind == WAT_EOF ? true : wat_unexpected(ps);
}

static bool convert(const char *text, size_t size, unsigned quote_depth, bool track, bool wasm3,
                    wat_buf *out, kiln_diag *d)
{
    kiln_arena arena;
    kiln_arena_init(&arena, out->alloc); /* the caller's allocator, which out carries */
    wat_parser *ps = ARENA_NEW(&arena, wat_parser);
    bool ok = ps != NULL;
    if (!ok)
        kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: text module");
    if (ok) {
        ps->d = d;
        ps->arena = &arena;
        ps->quote_depth = quote_depth;
        ps->wasm3 = wasm3;
        ps->track = track;
        ps->alloc = out->alloc;
        ps->labels = ARENA_ARRAY(&arena, wat_label, KILN_MAX_NESTING);
        ok = ps->labels != NULL ? wat_ops_init(ps) : fail_nomem(ps);
    }
    if (ok)
        ok = wat_annots_scan(ps, text, size);
    if (ok) {
        wat_lex_init(&ps->lx, text, size, &arena, d);
        ok = wat_advance(ps);
    }
    if (ok) {
        if (cur(ps)->kind == WAT_LPAR && wat_peek_field(ps, "module")) {
            ok = wat_advance(ps) && wat_advance(ps);
            if (ok && cur(ps)->kind == WAT_ID)
                ok = wat_advance(ps);
            ok = ok && module_body(ps, out);
        } else {
            wat_lexer start = ps->lx;
            ok = convert_fields(ps, &start, false, out);
        }
    }
    if (ps)
        wat_annots_free(ps);
    kiln_arena_free(&arena);
    return ok;
}

bool kiln_wat_to_wasm(const uint8_t *text, size_t size, uint8_t **out, size_t *out_size,
                      kiln_diag *d)
{
    return kiln_wat_to_wasm_with(text, size, NULL, out, out_size, d);
}

bool kiln_wat_to_wasm_with(const uint8_t *text, size_t size, const kiln_allocator *alloc,
                           uint8_t **out, size_t *out_size, kiln_diag *d)
{
    return wat_to_wasm(text, size, alloc, false, out, out_size, d);
}

bool wat_to_wasm(const uint8_t *text, size_t size, const kiln_allocator *alloc, bool wasm3,
                 uint8_t **out, size_t *out_size, kiln_diag *d)
{
    *out = NULL;
    *out_size = 0;
    wat_buf b = {.alloc = alloc};
    if (!convert((const char *)text, size, 0, false, wasm3, &b, d)) {
        wat_buf_free(&b);
        return false;
    }
    if (b.failed) {
        wat_buf_free(&b);
        return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: text module");
    }
    *out = b.data;
    *out_size = b.len;
    b.data = NULL; /* the caller's now; the branch hints that came with the code go */
    wat_buf_free(&b);
    return true;
}

bool kiln_is_wat(const uint8_t *bytes, size_t size)
{
    if (size >= 4 && memcmp(bytes, "\0asm", 4) == 0)
        return false;
    kiln_arena arena;
    kiln_arena_init(&arena, NULL);
    kiln_diag d;
    kiln_diag_init(&d);
    wat_lexer lx;
    wat_lex_init(&lx, (const char *)bytes, size, &arena, &d);
    bool text = wat_next(&lx) && lx.tok.kind == WAT_LPAR;
    kiln_arena_free(&arena);
    return text;
}

bool kiln_module_input_with(const uint8_t *input, size_t size, const kiln_allocator *alloc,
                            const uint8_t **bytes, size_t *bytes_size, uint8_t **owned,
                            kiln_diag *d)
{
    *owned = NULL;
    if (!kiln_is_wat(input, size)) {
        *bytes = input;
        *bytes_size = size;
        return true;
    }
    if (!kiln_wat_to_wasm_with(input, size, alloc, owned, bytes_size, d))
        return false;
    *bytes = *owned;
    return true;
}

bool kiln_module_input(const uint8_t *input, size_t size, const uint8_t **bytes, size_t *bytes_size,
                       uint8_t **owned, kiln_diag *d)
{
    return kiln_module_input_with(input, size, NULL, bytes, bytes_size, owned, d);
}

bool kiln_wat_locate(const uint8_t *text, size_t size, kiln_diag *d)
{
    if (d->offset == KILN_NO_OFFSET || d->line != 0)
        return false;
    wat_buf b = {0};
    kiln_diag scratch;
    kiln_diag_init(&scratch);
    bool found = false;
    size_t at = 0;
    if (convert((const char *)text, size, 0, true, false, &b, &scratch) && !b.failed) {
        /* The marks are sorted by binary offset: binary search for an exact one. */
        size_t lo = 0, hi = b.mark_count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (b.marks[mid].at < d->offset)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < b.mark_count && b.marks[lo].at == d->offset) {
            found = true;
            at = b.marks[lo].text;
        }
    }
    wat_buf_free(&b);
    if (!found || at > size)
        return false;
    uint32_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    d->offset = at;
    d->line = line;
    d->column = (uint32_t)(at - line_start) + 1;
    return true;
}
