/* wat_annot.c -- the annotations the text reader interprets: custom sections, names and
 * branch hints (Wasm 3.0's text format takes annotations from the annotations proposal; these
 * three are its custom-annotation, name-annotation and branch-hinting uses).
 *
 *   custom ::= '(@custom' string place? string* ')'    at module level: before, between or
 *                                                      after the fields
 *   place  ::= '(' ('before' | 'after') sec ')'
 *   sec    ::= 'first' | 'type' | 'import' | 'func' | 'table' | 'memory' | 'tag' | 'global'
 *            | 'export' | 'start' | 'elem' | 'datacount' | 'code' | 'data' | 'last'
 *   name   ::= '(@name' string ')'                     after 'module' id?, and after the
 *              keyword and id? of func, param and local (one type), type, table, memory,
 *              global, tag, elem and data, imports' descriptions included
 *   hint   ::= '(@metadata.code.branch_hint' string ')'  just before an if or a br_if in a
 *              function (plain, or the "(" of the folded form); the string is "\00"
 *              (unlikely) or "\01" (likely)
 *
 * What they write:
 * - @custom: a custom section with that name (UTF-8) and the strings' bytes, put before or after
 *   the place of sec in the binary order (type import func table memory tag global export start
 *   elem datacount code data), whether that section is written or not; first is the start of the
 *   module, last its end. No placement: (after last). Sections at one place keep text order.
 * - @name: the name section, written (after the data section) only when the text has one:
 *   subsections 0 module, 1 functions, 2 locals, and the extended-name-section proposal's
 *   4 types, 5 tables, 6 memories, 7 globals, 8 elem segments, 9 data segments, 11 tags.
 *   $ids are not written (as wat2wasm without --debug-names): the name is the annotation's.
 * - hints: the custom section "metadata.code.branch_hint", right before the code section:
 *   vec(funcidx vec(offset:u32 size:u32 value:byte)), functions in index order, size 1,
 *   offset that of the if/br_if opcode from the start of the function's code entry after its
 *   size (the local declarations' first byte).
 *
 * The lexer records each one as it skips it (wat_lex.c, before pass 0). The grammar's places
 * claim those in the space before a token (wat_token.space_at .. offset) while pass 2 reads the
 * module (types: pass 1). Their errors, with the reference interpreter's wording, are held
 * until the whole module has been read, as the reference reports them: then the earliest of the
 * malformed ones ("@custom annotation: missing section name", "misplaced @name annotation", a
 * hint "not in a function", ...), else a hint on another instruction (class invalid,
 * "@metadata.code.branch_hint annotation: invalid target"). Unknown annotations stay skipped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wat.h"

/* One @custom annotation. */
typedef struct wat_custom {
    unsigned place; /* 2 * WAT_PLACE_* + 1 after, + 0 before */
    const uint8_t *name, *data;
    size_t name_len, data_len;
} wat_custom;

static const char *const annot_prefix[WAT_ANNOT_KIND_COUNT] = {
    [WAT_ANNOT_CUSTOM] = "@custom annotation: ",
    [WAT_ANNOT_NAME] = "@name annotation: ",
    [WAT_ANNOT_BRANCH_HINT] = "@metadata.code.branch_hint annotation: "};

/* What an entry of each name subsection names ("multiple function"). */
static const char *const name_what[WAT_NAME_SUBSECTIONS] = {
    [WAT_NAME_MODULE] = "module", [WAT_NAME_FUNC] = "function", [WAT_NAME_LOCAL] = "local",
    [WAT_NAME_TYPE] = "type",     [WAT_NAME_TABLE] = "table",   [WAT_NAME_MEMORY] = "memory",
    [WAT_NAME_GLOBAL] = "global", [WAT_NAME_ELEM] = "elem",     [WAT_NAME_DATA] = "data",
    [WAT_NAME_TAG] = "tag"};

static const char *const place_words[WAT_PLACE_COUNT] = {
    [WAT_PLACE_FIRST] = "first", [WAT_PLACE_TYPE] = "type",     [WAT_PLACE_IMPORT] = "import",
    [WAT_PLACE_FUNC] = "func",   [WAT_PLACE_TABLE] = "table",   [WAT_PLACE_MEMORY] = "memory",
    [WAT_PLACE_TAG] = "tag",     [WAT_PLACE_GLOBAL] = "global", [WAT_PLACE_EXPORT] = "export",
    [WAT_PLACE_START] = "start", [WAT_PLACE_ELEM] = "elem",     [WAT_PLACE_DATACOUNT] = "datacount",
    [WAT_PLACE_CODE] = "code",   [WAT_PLACE_DATA] = "data",     [WAT_PLACE_LAST] = "last"};

static bool fail_nomem(wat_parser *ps)
{
    return kiln_diag_set(ps->d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: text module");
}

bool wat_annots_scan(wat_parser *ps, const char *text, size_t size)
{
    for (int i = 0; i < WAT_NAME_SUBSECTIONS; i++)
        ps->name_entries[i].alloc = ps->alloc;
    ps->local_names.alloc = ps->alloc;
    ps->hints.alloc = ps->alloc;
    kiln_diag scratch;
    kiln_diag_init(&scratch);
    wat_lexer lx;
    wat_lex_init(&lx, text, size, ps->arena, &scratch);
    lx.annots = &ps->annots;
    /* A lexical error ends the scan: the passes stop there too, and report it. */
    while (wat_next(&lx) && lx.tok.kind != WAT_EOF)
        ;
    if (ps->annots.failed || scratch.code == KILN_ERR_NOMEM)
        return fail_nomem(ps);
    return true;
}

/* Records an error of an annotation into *into (ps->annot_error or ps->hint_error), unless
 * an error earlier in the text is there. */
static void annot_fail(kiln_diag *into, kiln_err code, size_t offset, uint32_t line,
                       uint32_t column, const char *fmt, ...) KILN_PRINTF(6, 7);

static void annot_fail(kiln_diag *into, kiln_err code, size_t offset, uint32_t line,
                       uint32_t column, const char *fmt, ...)
{
    if (into->code != KILN_OK && into->offset <= offset)
        return;
    char msg[sizeof into->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kiln_diag_init(into);
    kiln_diag_set(into, code, offset, "%s", msg);
    into->line = line;
    into->column = column;
}

/* A malformed-annotation error at an annotation's "(@" or at a token inside it. */
static void fail_annot(wat_parser *ps, const wat_annot *a, const char *msg)
{
    annot_fail(&ps->annot_error, KILN_ERR_MALFORMED, a->at, a->line, a->column, "%s%s",
               annot_prefix[a->kind], msg);
}

static void fail_item(wat_parser *ps, const wat_annot *a, const wat_token *t, const char *msg)
{
    annot_fail(&ps->annot_error, KILN_ERR_MALFORMED, t->offset, t->line, t->column, "%s%s",
               annot_prefix[a->kind], msg);
}

/* The index of the first annotation at or after offset. */
static uint32_t first_from(const wat_annots *as, size_t offset)
{
    uint32_t lo = 0, hi = as->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (as->list[mid].at < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Claims the unclaimed annotations of kind in the space before t. Returns how many there
 * were; found[0] and found[1] index the first two. */
static uint32_t claim_before(wat_parser *ps, int kind, const wat_token *t, uint32_t found[2])
{
    uint32_t n = 0;
    for (uint32_t i = first_from(&ps->annots, t->space_at);
         i < ps->annots.count && ps->annots.list[i].at < t->offset; i++) {
        wat_annot *a = &ps->annots.list[i];
        if (a->claimed || a->kind != kind)
            continue;
        a->claimed = true;
        if (n < 2)
            found[n] = i;
        n++;
    }
    return n;
}

/* A lexer over the items of annotation a, at the first one. False when that is no token: the
 * error is then recorded. */
static bool items_begin(wat_parser *ps, const wat_annot *a, wat_lexer *lx, kiln_diag *scratch)
{
    kiln_diag_init(scratch);
    wat_lex_init(lx, ps->lx.base, (size_t)(ps->lx.end - ps->lx.base), ps->arena, scratch);
    lx->p = lx->base + a->body;
    lx->line = a->line;
    lx->line_start = lx->base + a->line_start;
    return wat_next(lx);
}

/* The next item of a (a token the lexer rejects inside an annotation, such as ",", is an
 * unexpected token there). */
static bool items_next(wat_parser *ps, const wat_annot *a, wat_lexer *lx)
{
    if (wat_next(lx))
        return true;
    annot_fail(&ps->annot_error, KILN_ERR_MALFORMED, lx->d->offset, lx->d->line, lx->d->column,
               "%sunexpected token", annot_prefix[a->kind]);
    return false;
}

/* The bytes of a string token, decoded into the arena (NULL when out of memory). */
static const uint8_t *string_bytes(wat_parser *ps, const wat_token *t, size_t *len)
{
    uint8_t *bytes = ARENA_ARRAY(ps->arena, uint8_t, t->len);
    if (bytes)
        *len = wat_string(t, bytes);
    return bytes;
}

/* '(@name' string ')': *name = the string (UTF-8). False when out of memory; *valid false
 * (error recorded) when the annotation is malformed. */
static bool read_name(wat_parser *ps, const wat_annot *a, const uint8_t **name, size_t *len,
                      bool *valid)
{
    *valid = false;
    wat_lexer lx;
    kiln_diag scratch;
    if (!items_begin(ps, a, &lx, &scratch)) {
        if (scratch.code == KILN_ERR_NOMEM)
            return fail_nomem(ps);
        fail_annot(ps, a, "unexpected token");
        return true;
    }
    if (lx.tok.kind != WAT_STRING) {
        fail_item(ps, a, &lx.tok, "missing name");
        return true;
    }
    wat_token str = lx.tok;
    *name = string_bytes(ps, &str, len);
    if (!*name)
        return fail_nomem(ps);
    if (!kiln_utf8_valid(*name, *len)) {
        fail_item(ps, a, &str, "malformed UTF-8 encoding");
        return true;
    }
    if (!items_next(ps, a, &lx))
        return true;
    if (lx.tok.kind != WAT_RPAR) {
        fail_item(ps, a, &lx.tok, "unexpected token");
        return true;
    }
    *valid = true;
    return true;
}

/* Adds a custom section to ps->customs. */
static bool add_custom(wat_parser *ps, const wat_custom *c)
{
    if (ps->custom_count == ps->custom_cap) {
        uint32_t cap = ps->custom_cap ? ps->custom_cap * 2 : 8;
        wat_custom *grown = cap > ps->custom_cap ? ARENA_ARRAY(ps->arena, wat_custom, cap) : NULL;
        if (!grown)
            return fail_nomem(ps);
        if (ps->custom_count)
            memcpy(grown, ps->customs, ps->custom_count * sizeof *grown);
        ps->customs = grown;
        ps->custom_cap = cap;
    }
    ps->customs[ps->custom_count++] = *c;
    return true;
}

/* place ::= '(' ('before' | 'after') sec ')', at "(": *place. False (error recorded) when
 * malformed. */
static bool read_place(wat_parser *ps, const wat_annot *a, wat_lexer *lx, unsigned *place)
{
    wat_token open = lx->tok;
    if (!items_next(ps, a, lx))
        return false;
    bool before = wat_is_keyword(&lx->tok, "before");
    if (!before && !wat_is_keyword(&lx->tok, "after")) {
        fail_item(ps, a, &open, "malformed placement");
        return false;
    }
    if (!items_next(ps, a, lx))
        return false;
    wat_token sec = lx->tok;
    int k = -1;
    for (int i = 0; i < WAT_PLACE_COUNT && k < 0; i++)
        if (wat_is_keyword(&sec, place_words[i]))
            k = i;
    if (k >= 0 && !items_next(ps, a, lx))
        return false;
    if (k < 0 || lx->tok.kind != WAT_RPAR) {
        fail_item(ps, a, &sec, "malformed section kind");
        return false;
    }
    *place = 2u * (unsigned)k + (before ? 0u : 1u);
    return items_next(ps, a, lx);
}

/* custom ::= '(@custom' string place? string* ')' into ps->customs. False when out of memory
 * (a malformed one is recorded and left out). */
static bool read_custom(wat_parser *ps, const wat_annot *a)
{
    wat_lexer lx;
    kiln_diag scratch;
    if (!items_begin(ps, a, &lx, &scratch)) {
        if (scratch.code == KILN_ERR_NOMEM)
            return fail_nomem(ps);
        fail_annot(ps, a, "unexpected token");
        return true;
    }
    wat_custom c = {.place = 2 * WAT_PLACE_LAST + 1};
    if (lx.tok.kind != WAT_STRING) {
        fail_item(ps, a, &lx.tok, "missing section name");
        return true;
    }
    wat_token str = lx.tok;
    c.name = string_bytes(ps, &str, &c.name_len);
    if (!c.name)
        return fail_nomem(ps);
    if (!kiln_utf8_valid(c.name, c.name_len)) {
        fail_item(ps, a, &str, "malformed UTF-8 encoding");
        return true;
    }
    if (!items_next(ps, a, &lx))
        return true;
    if (lx.tok.kind == WAT_LPAR && !read_place(ps, a, &lx, &c.place))
        return scratch.code != KILN_ERR_NOMEM || fail_nomem(ps);
    wat_buf data = WAT_BUF(ps);
    bool ok = true, valid = true;
    while (ok && valid && lx.tok.kind == WAT_STRING) {
        size_t at = data.len;
        wat_put_bytes(&data, lx.tok.text, lx.tok.len); /* reserve, then decode in place */
        if (data.failed)
            ok = fail_nomem(ps);
        else
            data.len = at + wat_string(&lx.tok, data.data + at);
        valid = ok && items_next(ps, a, &lx);
    }
    if (ok && valid && lx.tok.kind != WAT_RPAR) {
        fail_item(ps, a, &lx.tok, "unexpected token");
        valid = false;
    }
    if (ok && valid) {
        uint8_t *copy = ARENA_ARRAY(ps->arena, uint8_t, data.len ? data.len : 1);
        if (copy && data.len)
            memcpy(copy, data.data, data.len);
        c.data = copy;
        c.data_len = data.len;
        ok = copy ? add_custom(ps, &c) : fail_nomem(ps);
    }
    wat_buf_free(&data);
    return ok;
}

/* Adds index -> name to subsection sub (or the function's local names). */
static void put_name_entry(wat_parser *ps, int sub, uint32_t index, const uint8_t *name, size_t len)
{
    wat_buf *b = sub == WAT_NAME_LOCAL ? &ps->local_names : &ps->name_entries[sub];
    if (sub != WAT_NAME_MODULE)
        wat_put_u32(b, index);
    wat_put_name(b, name, len);
    if (sub == WAT_NAME_LOCAL)
        ps->local_name_count++;
    else
        ps->name_counts[sub]++;
}

/* Claims the @name annotations before t for entry index of subsection sub. */
static bool claim_name(wat_parser *ps, const wat_token *t, int sub, uint32_t index)
{
    uint32_t found[2];
    uint32_t n = claim_before(ps, WAT_ANNOT_NAME, t, found);
    if (n == 0)
        return true;
    if (n > 1 || (sub == WAT_NAME_MODULE && ps->name_counts[sub] > 0)) {
        char msg[40];
        snprintf(msg, sizeof msg, "multiple %s", name_what[sub]);
        fail_annot(ps, &ps->annots.list[found[n > 1 ? 1 : 0]], msg);
        return true;
    }
    const uint8_t *name;
    size_t len;
    bool valid;
    if (!read_name(ps, &ps->annots.list[found[0]], &name, &len, &valid))
        return false;
    if (valid)
        put_name_entry(ps, sub, index, name, len);
    return true;
}

bool wat_module_annots(wat_parser *ps, const wat_token *t, bool first)
{
    if (first && !claim_name(ps, t, WAT_NAME_MODULE, 0))
        return false;
    for (uint32_t i = first_from(&ps->annots, t->space_at);
         i < ps->annots.count && ps->annots.list[i].at < t->offset; i++) {
        wat_annot *a = &ps->annots.list[i];
        if (a->kind != WAT_ANNOT_CUSTOM || a->claimed)
            continue;
        a->claimed = true;
        if (!read_custom(ps, a))
            return false;
    }
    return true;
}

bool wat_name_annot(wat_parser *ps, int sub, uint32_t index)
{
    return claim_name(ps, &ps->lx.tok, sub, index);
}

bool wat_func_annots(wat_parser *ps, uint32_t func, const wat_buf *body, size_t prefix, size_t from,
                     size_t to)
{
    if (ps->local_name_count) {
        wat_buf *b = &ps->name_entries[WAT_NAME_LOCAL];
        wat_put_u32(b, func);
        wat_put_u32(b, ps->local_name_count);
        wat_put_buf(b, &ps->local_names);
        ps->name_counts[WAT_NAME_LOCAL]++;
        ps->local_names.len = 0;
        ps->local_name_count = 0;
    }
    for (uint32_t i = first_from(&ps->annots, from);
         i < ps->annots.count && ps->annots.list[i].at < to; i++) {
        wat_annot *a = &ps->annots.list[i];
        if (a->kind != WAT_ANNOT_BRANCH_HINT || a->claimed)
            continue;
        a->claimed = true; /* in the function, on no instruction */
        annot_fail(&ps->hint_error, KILN_ERR_INVALID, a->at, a->line, a->column, "%sinvalid target",
                   annot_prefix[a->kind]);
    }
    if (body->hint_count) {
        wat_buf *b = &ps->hints;
        wat_put_u32(b, func);
        if (body->hint_count > UINT32_MAX) {
            b->failed = true;
            return fail_nomem(ps);
        }
        wat_put_u32(b, (uint32_t)body->hint_count);
        for (size_t i = 0; i < body->hint_count; i++) {
            size_t offset = prefix + body->hints[i].at;
            if (offset > UINT32_MAX) {
                b->failed = true;
                return fail_nomem(ps);
            }
            wat_put_u32(b, (uint32_t)offset);
            wat_put_u32(b, 1);
            wat_put_byte(b, (uint8_t)body->hints[i].text);
        }
        ps->hint_funcs++;
    }
    if (ps->name_entries[WAT_NAME_LOCAL].failed || ps->hints.failed)
        return fail_nomem(ps);
    return true;
}

void wat_branch_hint(wat_parser *ps, const wat_token *t, uint16_t op)
{
    if (!ps->in_body)
        return; /* left unclaimed: "not in a function" */
    uint32_t found[2];
    uint32_t n = claim_before(ps, WAT_ANNOT_BRANCH_HINT, t, found);
    if (n == 0)
        return;
    const wat_annot *a = &ps->annots.list[found[0]];
    if (n > 1) {
        fail_annot(ps, &ps->annots.list[found[1]], "duplicate annotation");
        return;
    }
    /* '(@metadata.code.branch_hint' string ')' with the string one byte, 0 or 1 */
    wat_lexer lx;
    kiln_diag scratch;
    if (!items_begin(ps, a, &lx, &scratch)) {
        fail_annot(ps, a, "unexpected token");
        return;
    }
    if (lx.tok.kind != WAT_STRING) {
        fail_item(ps, a, &lx.tok, "missing hint");
        return;
    }
    wat_token str = lx.tok;
    uint8_t value[16]; /* wat_string needs str.len bytes */
    if (str.len > sizeof value || wat_string(&str, value) != 1 || value[0] > 1) {
        fail_item(ps, a, &str, "malformed hint");
        return;
    }
    if (!items_next(ps, a, &lx))
        return;
    if (lx.tok.kind != WAT_RPAR) {
        fail_item(ps, a, &lx.tok, "unexpected token");
        return;
    }
    if (op != WASM_OP_IF && op != WASM_OP_BR_IF) {
        annot_fail(&ps->hint_error, KILN_ERR_INVALID, a->at, a->line, a->column, "%sinvalid target",
                   annot_prefix[a->kind]);
        return;
    }
    ps->next_hint = (uint8_t)(1 + value[0]);
}

bool wat_annots_check(wat_parser *ps)
{
    for (uint32_t i = 0; i < ps->annots.count; i++) {
        const wat_annot *a = &ps->annots.list[i];
        if (a->claimed)
            continue;
        if (a->kind == WAT_ANNOT_BRANCH_HINT)
            fail_annot(ps, a, "not in a function");
        else
            annot_fail(&ps->annot_error, KILN_ERR_MALFORMED, a->at, a->line, a->column,
                       "misplaced @%s annotation", a->kind == WAT_ANNOT_CUSTOM ? "custom" : "name");
        break; /* the first in the text */
    }
    const kiln_diag *e = ps->annot_error.code != KILN_OK ? &ps->annot_error : &ps->hint_error;
    if (e->code == KILN_OK)
        return true;
    if (ps->d->code == KILN_OK)
        *ps->d = *e;
    return false;
}

/* A custom section: id 0, its size, the name, the contents. */
static void put_custom(wat_buf *out, const char *name, size_t name_len, const uint8_t *data,
                       size_t data_len)
{
    wat_buf head = {.alloc = out->alloc};
    wat_put_name(&head, (const uint8_t *)name, name_len);
    if (head.failed || data_len > UINT32_MAX - head.len) {
        out->failed = true;
    } else {
        wat_put_byte(out, 0);
        wat_put_u32(out, (uint32_t)(head.len + data_len));
        wat_put_buf(out, &head);
        wat_put_bytes(out, data, data_len);
    }
    wat_buf_free(&head);
}

void wat_put_customs(wat_parser *ps, wat_buf *out, unsigned place)
{
    for (uint32_t i = 0; i < ps->custom_count; i++) {
        const wat_custom *c = &ps->customs[i];
        if (c->place == place)
            put_custom(out, (const char *)c->name, c->name_len, c->data, c->data_len);
    }
}

void wat_put_name_section(wat_parser *ps, wat_buf *out)
{
    wat_buf content = WAT_BUF(ps);
    for (int sub = 0; sub < WAT_NAME_SUBSECTIONS; sub++) {
        if (ps->name_entries[sub].failed)
            content.failed = true;
        if (ps->name_counts[sub] == 0)
            continue;
        wat_buf head = WAT_BUF(ps);
        if (sub != WAT_NAME_MODULE)
            wat_put_u32(&head, ps->name_counts[sub]);
        size_t size = head.len + ps->name_entries[sub].len;
        if (head.failed || size > UINT32_MAX) {
            content.failed = true;
        } else {
            wat_put_byte(&content, (uint8_t)sub);
            wat_put_u32(&content, (uint32_t)size);
            wat_put_buf(&content, &head);
            wat_put_buf(&content, &ps->name_entries[sub]);
        }
        wat_buf_free(&head);
    }
    if (content.failed)
        out->failed = true;
    else if (content.len)
        put_custom(out, "name", 4, content.data, content.len);
    wat_buf_free(&content);
}

void wat_put_hint_section(wat_parser *ps, wat_buf *out)
{
    if (ps->hints.failed) {
        out->failed = true;
        return;
    }
    if (ps->hint_funcs == 0)
        return;
    static const char name[] = "metadata.code.branch_hint";
    wat_buf content = WAT_BUF(ps);
    wat_put_u32(&content, ps->hint_funcs);
    wat_put_buf(&content, &ps->hints);
    if (content.failed)
        out->failed = true;
    else
        put_custom(out, name, sizeof name - 1, content.data, content.len);
    wat_buf_free(&content);
}

void wat_annots_free(wat_parser *ps)
{
    for (int i = 0; i < WAT_NAME_SUBSECTIONS; i++)
        wat_buf_free(&ps->name_entries[i]);
    wat_buf_free(&ps->local_names);
    wat_buf_free(&ps->hints);
}
