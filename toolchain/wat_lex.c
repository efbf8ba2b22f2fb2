/* wat_lex.c -- the text format's tokens: WebAssembly 2.0, section 6.2 (lexical format).
 *
 *   token    ::= keyword | uN | sN | fN | string | id | '(' | ')' | reserved
 *   keyword  ::= ('a'..'z') idchar*            (not a number: inf, nan, nan:0x.. are floats)
 *   id       ::= '$' idchar+ | '$' string       ($"..." must be valid UTF-8, not empty)
 *   num      ::= d ('_'? d)*                    hexnum likewise with hex digits
 *   int      ::= ('+'|'-')? (num | '0x' hexnum)
 *   float    ::= ('+'|'-')? ( num ('.' num?)? (('e'|'E') ('+'|'-')? num)?
 *                           | '0x' hexnum ('.' hexnum?)? (('p'|'P') ('+'|'-')? num)?
 *                           | 'inf' | 'nan' | 'nan:0x' hexnum )
 *   string   ::= '"' (char | '\' ('t'|'n'|'r'|'"'|'\''|'\\'|hh|'u{' hexnum '}'))* '"'
 *   space    ::= ' ' | tab | newline | cr | ';;' ... newline | '(;' ... ';)' (nested)
 * Annotations "(@id ...)" are skipped like comments (balanced parentheses, strings inside);
 * a lexer given a wat_annots records those the reader interprets (@custom, @name,
 * @metadata.code.branch_hint) as it skips them, for wat_annot.c.
 *
 * A token is a maximal run of idchars, so "0drop" and "1_" are one token each; a run that is
 * neither a keyword, an id nor a well-formed number is WAT_RESERVED, which the parser reports
 * as "unknown operator" like the reference interpreter. Strings are checked here (escapes,
 * UTF-8, no control characters) and decoded later by wat_string into the caller's buffer.
 * The lexer never allocates except for the names of escaped ids; it never reads past end.
 * Number conversion: integers by hand with overflow checks; floats through strtof/strtod,
 * which round correctly (glibc, decimal and hex) -- in the "C" locale, which Kiln never
 * changes. Callers: wat_module.c, wat_instr.c, the unit tests (test_wat.c).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat.h"

void wat_lex_init(wat_lexer *lx, const char *text, size_t size, kiln_arena *arena, kiln_diag *d)
{
    static const char empty[1];
    if (!text) {
        text = empty;
        size = 0;
    }
    lx->base = text;
    lx->p = text;
    lx->end = text + size;
    lx->line = 1;
    lx->line_start = text;
    lx->arena = arena;
    lx->d = d;
    memset(&lx->tok, 0, sizeof lx->tok);
    lx->tok.kind = WAT_EOF;
    lx->annots = NULL;
}

/* How much of an unknown token a message shows. */
#define UNKNOWN_NAME_MAX 64

bool wat_fail(kiln_diag *d, const wat_token *tok, const char *fmt, ...)
{
    if (d->code != KILN_OK)
        return false;
    char msg[sizeof d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The reference interpreter's lexer names what it does not know ("unknown operator
     * get_local"): so does every "unknown operator" at a token with text. */
    if (strcmp(fmt, "unknown operator") == 0 && tok->text && tok->len > 0)
        snprintf(msg, sizeof msg, "unknown operator %.*s%s",
                 (int)(tok->len > UNKNOWN_NAME_MAX ? UNKNOWN_NAME_MAX : tok->len), tok->text,
                 tok->len > UNKNOWN_NAME_MAX ? "..." : "");
    kiln_diag_set(d, KILN_ERR_MALFORMED, tok->offset, "%s", msg);
    d->line = tok->line;
    d->column = tok->column;
    return false;
}

/* An error at the lexer's current position (or at p). */
static bool lex_fail_at(wat_lexer *lx, const char *p, const char *msg)
{
    wat_token t = {0};
    t.offset = (size_t)(p - lx->base);
    t.line = lx->line;
    const char *line_start = lx->line_start;
    if (p < line_start) { /* the start of a comment or annotation lines above */
        for (const char *q = p; q < lx->line_start; q++)
            t.line -= *q == '\n';
        line_start = p;
        while (line_start > lx->base && line_start[-1] != '\n')
            line_start--;
    }
    t.column = (uint32_t)(p - line_start) + 1;
    return wat_fail(lx->d, &t, "%s", msg);
}

static bool is_idchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The length of a UTF-8 sequence at p (valid per the spec), or 0. */
static size_t utf8_len(const char *p, const char *end)
{
    size_t left = (size_t)(end - p);
    unsigned char c = (unsigned char)p[0];
    size_t n = c < 0x80                ? 1
               : c >= 0xC2 && c < 0xE0 ? 2
               : c >= 0xE0 && c < 0xF0 ? 3
               : c >= 0xF0 && c < 0xF5 ? 4
                                       : 0;
    if (n == 0 || n > left)
        return 0;
    return kiln_utf8_valid((const uint8_t *)p, n) ? n : 0;
}

static void newline(wat_lexer *lx, const char *after)
{
    lx->line++;
    lx->line_start = after;
}

/* Skips a block comment at "(;", nested ones included. */
static bool skip_block_comment(wat_lexer *lx)
{
    const char *start = lx->p;
    unsigned depth = 0;
    while (lx->p < lx->end) {
        if (lx->end - lx->p >= 2 && lx->p[0] == '(' && lx->p[1] == ';') {
            depth++;
            lx->p += 2;
        } else if (lx->end - lx->p >= 2 && lx->p[0] == ';' && lx->p[1] == ')') {
            lx->p += 2;
            if (--depth == 0)
                return true;
        } else if (*lx->p == '\n') {
            lx->p++;
            newline(lx, lx->p);
        } else {
            size_t n = utf8_len(lx->p, lx->end);
            if (n == 0)
                return lex_fail_at(lx, lx->p, "malformed UTF-8 encoding");
            lx->p += n;
        }
    }
    return lex_fail_at(lx, start, "unclosed comment");
}

/* Checks a string literal at '"' and moves past it. */
static bool scan_string(wat_lexer *lx)
{
    const char *start = lx->p;
    lx->p++;
    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;
        if (c == '"') {
            lx->p++;
            return true;
        }
        if (c == '\n')
            return lex_fail_at(lx, start, "unclosed string literal");
        if (c < 0x20 || c == 0x7f)
            return lex_fail_at(lx, lx->p, "illegal control character in string");
        if (c == '\\') {
            const char *esc = lx->p;
            if (lx->end - lx->p < 2)
                return lex_fail_at(lx, start, "unclosed string literal");
            char e = lx->p[1];
            if (strchr("tnr\"'\\", e)) {
                lx->p += 2;
            } else if (e == 'u') {
                lx->p += 2;
                if (lx->p >= lx->end || *lx->p != '{')
                    return lex_fail_at(lx, esc, "illegal escape");
                lx->p++;
                uint32_t v = 0;
                size_t digits = 0;
                while (lx->p < lx->end && hex_value((unsigned char)*lx->p) >= 0) {
                    v = v * 16 + (uint32_t)hex_value((unsigned char)*lx->p);
                    if (v > 0x10FFFF)
                        return lex_fail_at(lx, esc, "illegal escape");
                    digits++;
                    lx->p++;
                    if (lx->p < lx->end && *lx->p == '_' && lx->end - lx->p > 1 &&
                        hex_value((unsigned char)lx->p[1]) >= 0)
                        lx->p++;
                }
                if (digits == 0 || lx->p >= lx->end || *lx->p != '}' || (v >= 0xD800 && v < 0xE000))
                    return lex_fail_at(lx, esc, "illegal escape");
                lx->p++;
            } else if (hex_value((unsigned char)e) >= 0 && lx->end - lx->p >= 3 &&
                       hex_value((unsigned char)lx->p[2]) >= 0) {
                lx->p += 3;
            } else {
                return lex_fail_at(lx, esc, "illegal escape");
            }
            continue;
        }
        size_t n = utf8_len(lx->p, lx->end);
        if (n == 0)
            return lex_fail_at(lx, lx->p, "malformed UTF-8 encoding");
        lx->p += n;
    }
    return lex_fail_at(lx, start, "unclosed string literal");
}

static void put_utf8(uint8_t *out, size_t *n, uint32_t v)
{
    if (v < 0x80) {
        out[(*n)++] = (uint8_t)v;
    } else if (v < 0x800) {
        out[(*n)++] = (uint8_t)(0xC0 | (v >> 6));
        out[(*n)++] = (uint8_t)(0x80 | (v & 0x3F));
    } else if (v < 0x10000) {
        out[(*n)++] = (uint8_t)(0xE0 | (v >> 12));
        out[(*n)++] = (uint8_t)(0x80 | ((v >> 6) & 0x3F));
        out[(*n)++] = (uint8_t)(0x80 | (v & 0x3F));
    } else {
        out[(*n)++] = (uint8_t)(0xF0 | (v >> 18));
        out[(*n)++] = (uint8_t)(0x80 | ((v >> 12) & 0x3F));
        out[(*n)++] = (uint8_t)(0x80 | ((v >> 6) & 0x3F));
        out[(*n)++] = (uint8_t)(0x80 | (v & 0x3F));
    }
}

/* Decodes a checked literal text[0..len) including its quotes. A \u{...} escape is at
 * least 5 bytes written and at most 4 decoded, so the output is never longer than len. */
static size_t decode_string(const char *text, size_t len, uint8_t *out)
{
    size_t n = 0;
    const char *p = text + 1, *end = text + len - 1;
    while (p < end) {
        if (*p != '\\') {
            out[n++] = (uint8_t)*p++;
            continue;
        }
        char e = p[1];
        p += 2;
        switch (e) {
        case 't':
            out[n++] = '\t';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case '"':
        case '\'':
        case '\\':
            out[n++] = (uint8_t)e;
            break;
        case 'u': {
            uint32_t v = 0;
            p++; /* { */
            while (*p != '}') {
                if (*p != '_')
                    v = v * 16 + (uint32_t)hex_value((unsigned char)*p);
                p++;
            }
            p++;
            put_utf8(out, &n, v);
            break;
        }
        default:
            out[n++] = (uint8_t)(hex_value((unsigned char)e) * 16 + hex_value((unsigned char)*p));
            p++;
            break;
        }
    }
    return n;
}

size_t wat_string(const wat_token *tok, uint8_t *out)
{
    const char *text = tok->text;
    size_t len = tok->len;
    if (tok->kind == WAT_ID) { /* $"..." */
        text++;
        len--;
    }
    return decode_string(text, len, out);
}

/* num ::= d ('_'? d)*, with d decimal or hex. Returns the end of the run, or NULL if there
 * is no digit at s or an underscore is not between two digits. */
static const char *scan_num(const char *s, const char *end, bool hex)
{
    const char *p = s;
    bool digit = false;
    while (p < end) {
        int v = hex_value((unsigned char)*p);
        bool is_digit = hex ? v >= 0 : (*p >= '0' && *p <= '9');
        if (is_digit) {
            digit = true;
            p++;
        } else if (*p == '_' && digit && p + 1 < end) {
            int w = hex_value((unsigned char)p[1]);
            if (!(hex ? w >= 0 : (p[1] >= '0' && p[1] <= '9')))
                return NULL;
            p++;
        } else {
            break;
        }
    }
    return digit ? p : NULL;
}

/* Classifies s[0..n) as a number literal (see the grammar above). */
static bool number_syntax(const char *s, size_t n, bool *is_int, bool *is_nat)
{
    const char *p = s, *end = s + n;
    *is_nat = true;
    if (p < end && (*p == '+' || *p == '-')) {
        p++;
        *is_nat = false;
    }
    *is_int = false;
    size_t rest = (size_t)(end - p);
    if ((rest == 3 && memcmp(p, "inf", 3) == 0) || (rest == 3 && memcmp(p, "nan", 3) == 0))
        return true;
    if (rest > 6 && memcmp(p, "nan:0x", 6) == 0)
        return scan_num(p + 6, end, true) == end;
    bool hex = rest > 2 && p[0] == '0' && p[1] == 'x';
    if (hex)
        p += 2;
    p = scan_num(p, end, hex);
    if (!p)
        return false;
    if (p == end) {
        *is_int = true;
        return true;
    }
    if (*p == '.') {
        p++;
        if (p < end && hex_value((unsigned char)*p) >= 0 && (hex || (*p >= '0' && *p <= '9'))) {
            p = scan_num(p, end, hex);
            if (!p)
                return false;
        }
    }
    if (p < end && (hex ? (*p == 'p' || *p == 'P') : (*p == 'e' || *p == 'E'))) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        p = scan_num(p, end, false);
        if (!p)
            return false;
    }
    return p == end;
}

/* "nan:1", "inf_": a malformed float, not a keyword (so "unknown operator" wherever met). */
static bool looks_numeric(const char *s, size_t n)
{
    if ((n == 13 && memcmp(s, "nan:canonical", 13) == 0) ||
        (n == 14 && memcmp(s, "nan:arithmetic", 14) == 0))
        return false; /* keywords of scripts (result patterns) */
    return (n > 3 && (memcmp(s, "nan", 3) == 0 || memcmp(s, "inf", 3) == 0));
}

/* The end of a reserved token at p: idchars and strings, ((idchar | string)+ in the
 * reference interpreter's lexer; a string here is anything up to its closing quote on the
 * line, for naming the token only). */
static const char *reserved_end(const char *p, const char *end)
{
    while (p < end) {
        if (is_idchar((unsigned char)*p)) {
            p++;
        } else if (*p == '"') {
            const char *q = p + 1;
            while (q < end && *q != '"' && *q != '\n')
                q += *q == '\\' && q + 1 < end ? 2 : 1;
            if (q >= end || *q != '"')
                break;
            p = q + 1;
        } else {
            break;
        }
    }
    return p;
}

/* Tokens other than parentheses must be followed by a space, a parenthesis, a comment or
 * the end: "(data\"a\")" and "\"a\"\"b\"" are one unknown token each, as in the reference
 * interpreter's lexer. */
static bool check_separated(wat_lexer *lx, const wat_token *t)
{
    if (lx->p < lx->end && (*lx->p == '"' || is_idchar((unsigned char)*lx->p))) {
        wat_token run = *t; /* the message names the whole run, as the reference's lexer */
        run.len = (size_t)(reserved_end(t->text, lx->end) - t->text);
        return wat_fail(lx->d, &run, "unknown operator");
    }
    return true;
}

/* Skips a line comment at ";;": it ends before a newline or a carriage return (a lone CR
 * ends a line for the reference interpreter). */
static bool skip_line_comment(wat_lexer *lx)
{
    while (lx->p < lx->end && *lx->p != '\n' && *lx->p != '\r') {
        size_t n = utf8_len(lx->p, lx->end);
        if (n == 0)
            return lex_fail_at(lx, lx->p, "malformed UTF-8 encoding");
        lx->p += n;
    }
    return true;
}

/* $"..." at p ('$' then '"'): checks it and moves past it. An empty or unclosed one is an
 * "empty identifier" (the reference interpreter's lexer then matches the '$' alone); name, if
 * given (lx->arena set), receives the decoded name. */
static bool scan_string_id(wat_lexer *lx, wat_token *t)
{
    const char *dollar = lx->p;
    kiln_diag saved = *lx->d;
    lx->p++;
    if (!scan_string(lx)) {
        *lx->d = saved;
        return lex_fail_at(lx, dollar, "empty identifier");
    }
    if (lx->p - dollar == 3) /* $"" */
        return lex_fail_at(lx, dollar, "empty identifier");
    if (t == NULL || !lx->arena)
        return true;
    t->len = (size_t)(lx->p - t->text);
    uint8_t *name = ARENA_ARRAY(lx->arena, uint8_t, t->len);
    if (!name)
        return kiln_diag_set(lx->d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: names");
    size_t n = wat_string(t, name);
    if (!kiln_utf8_valid(name, n))
        return wat_fail(lx->d, t, "malformed UTF-8 encoding");
    t->name = (const char *)name;
    t->name_len = n;
    return true;
}

/* The kind of an annotation whose id is id[0..n) (decoded), or -1 for one the reader skips. */
static int annotation_kind(const char *id, size_t n)
{
    static const char *const ids[WAT_ANNOT_KIND_COUNT] = {[WAT_ANNOT_CUSTOM] = "custom",
                                                          [WAT_ANNOT_NAME] = "name",
                                                          [WAT_ANNOT_BRANCH_HINT] =
                                                              "metadata.code.branch_hint"};
    for (int k = 0; k < WAT_ANNOT_KIND_COUNT; k++)
        if (strlen(ids[k]) == n && memcmp(ids[k], id, n) == 0)
            return k;
    return -1;
}

/* Records an annotation of kind at start (its "(@"), whose items begin at body. */
static void record_annotation(wat_lexer *lx, int kind, const char *start, const char *body)
{
    wat_annots *a = lx->annots;
    if (a->failed)
        return;
    if (a->count == a->cap) {
        uint32_t cap = a->cap ? a->cap * 2 : 8;
        wat_annot *grown =
            cap > a->cap && lx->arena ? ARENA_ARRAY(lx->arena, wat_annot, cap) : NULL;
        if (!grown) {
            a->failed = true;
            return;
        }
        if (a->count)
            memcpy(grown, a->list, a->count * sizeof *grown);
        a->list = grown;
        a->cap = cap;
    }
    wat_annot *r = &a->list[a->count++];
    memset(r, 0, sizeof *r);
    r->kind = (uint8_t)kind;
    r->at = (size_t)(start - lx->base);
    r->body = (size_t)(body - lx->base);
    r->line = lx->line;
    r->line_start = (size_t)(lx->line_start - lx->base);
    r->column = (uint32_t)(start - lx->line_start) + 1;
}

/* Skips an annotation at "(@" (the annotations proposal, as Wasm 3.0's text format has it):
 *   annot ::= '(@' (idchar+ | string) annotitem* ')'
 *   annotitem ::= any token but unbalanced parentheses | '(' annotitem* ')'
 * with spaces and comments between; the id must not be empty and a string id must be UTF-8.
 * Inside, only ASCII outside strings and comments, and no control characters ("illegal
 * character"); ids, strings and comments are checked as elsewhere. With lx->annots, one of
 * the kinds the reader interprets is recorded there (its items are read by wat_annot.c). */
static bool skip_annotation(wat_lexer *lx)
{
    const char *start = lx->p;
    int kind = -1;
    uint32_t line = lx->line;
    const char *line_start = lx->line_start;
    lx->p += 2;
    if (lx->p < lx->end && *lx->p == '"') {
        const char *id = lx->p;
        kiln_diag saved = *lx->d;
        if (!scan_string(lx)) { /* the reference's lexer then matches "(@" alone */
            *lx->d = saved;
            return lex_fail_at(lx, start, "empty annotation id");
        }
        if (lx->p - id == 2)
            return lex_fail_at(lx, start, "empty annotation id");
        if (lx->arena) {
            wat_token t = {0};
            t.kind = WAT_STRING;
            t.text = id;
            t.len = (size_t)(lx->p - id);
            uint8_t *name = ARENA_ARRAY(lx->arena, uint8_t, t.len);
            if (!name)
                return kiln_diag_set(lx->d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: names");
            size_t n = wat_string(&t, name);
            if (!kiln_utf8_valid(name, n))
                return lex_fail_at(lx, id, "malformed UTF-8 encoding");
            kind = annotation_kind((const char *)name, n);
        }
    } else if (lx->p < lx->end && is_idchar((unsigned char)*lx->p)) {
        const char *id = lx->p;
        while (lx->p < lx->end && is_idchar((unsigned char)*lx->p))
            lx->p++;
        kind = annotation_kind(id, (size_t)(lx->p - id));
    } else {
        return lex_fail_at(lx, start, "empty annotation id");
    }
    const char *body = lx->p;
    unsigned depth = 1;
    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->p++;
        } else if (c == '\n') {
            lx->p++;
            newline(lx, lx->p);
        } else if (c == ';' && lx->end - lx->p >= 2 && lx->p[1] == ';') {
            if (!skip_line_comment(lx))
                return false;
        } else if (c == '(' && lx->end - lx->p >= 2 && lx->p[1] == ';') {
            if (!skip_block_comment(lx))
                return false;
        } else if (c == '(') {
            lx->p++;
            depth++;
        } else if (c == ')') {
            lx->p++;
            if (--depth > 0)
                continue;
            if (kind >= 0 && lx->annots) {
                /* recorded at its own line, which the lines inside have moved past */
                uint32_t end_line = lx->line;
                const char *end_line_start = lx->line_start;
                lx->line = line;
                lx->line_start = line_start;
                record_annotation(lx, kind, start, body);
                lx->line = end_line;
                lx->line_start = end_line_start;
            }
            return true;
        } else if (c == '"') {
            if (!scan_string(lx))
                return false;
        } else if (c == '$' && (lx->end - lx->p < 2 ||
                                (lx->p[1] != '"' && !is_idchar((unsigned char)lx->p[1])))) {
            return lex_fail_at(lx, lx->p, "empty identifier");
        } else if (c == '$' && lx->p[1] == '"') {
            if (!scan_string_id(lx, NULL))
                return false;
        } else if (is_idchar(c) || (c != 0 && strchr(",;[]{}", (int)c))) {
            lx->p++;
        } else if (c >= 0x80 && utf8_len(lx->p, lx->end) == 0) {
            return lex_fail_at(lx, lx->p, "malformed UTF-8 encoding");
        } else {
            return lex_fail_at(lx, lx->p, "illegal character");
        }
    }
    return lex_fail_at(lx, start, "unclosed annotation");
}

bool wat_next(wat_lexer *lx)
{
    wat_token *t = &lx->tok;
    size_t space_at = (size_t)(lx->p - lx->base);
    for (;;) {
        while (lx->p < lx->end &&
               (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r')) {
            if (*lx->p == '\n')
                newline(lx, lx->p + 1);
            lx->p++;
        }
        if (lx->end - lx->p >= 2 && lx->p[0] == ';' && lx->p[1] == ';') {
            if (!skip_line_comment(lx))
                return false;
            continue;
        }
        if (lx->end - lx->p >= 2 && lx->p[0] == '(' && lx->p[1] == ';') {
            if (!skip_block_comment(lx))
                return false;
            continue;
        }
        if (lx->end - lx->p >= 2 && lx->p[0] == '(' && lx->p[1] == '@') {
            if (!skip_annotation(lx))
                return false;
            continue;
        }
        break;
    }

    memset(t, 0, sizeof *t);
    t->offset = (size_t)(lx->p - lx->base);
    t->space_at = space_at;
    t->line = lx->line;
    t->column = (uint32_t)(lx->p - lx->line_start) + 1;
    t->text = lx->p;
    if (lx->p >= lx->end) {
        t->kind = WAT_EOF;
        return true;
    }
    char c = *lx->p;
    if (c == '(' || c == ')') {
        t->kind = c == '(' ? WAT_LPAR : WAT_RPAR;
        lx->p++;
        t->len = 1;
        return true;
    }
    if (c == '"') {
        if (!scan_string(lx))
            return false;
        t->kind = WAT_STRING;
        t->len = (size_t)(lx->p - t->text);
        return check_separated(lx, t);
    }
    if (c == '$' && lx->end - lx->p >= 2 && lx->p[1] == '"') {
        t->kind = WAT_ID;
        t->id_escaped = true;
        if (!scan_string_id(lx, t)) /* with no arena (a look-ahead) the name is not needed */
            return false;
        t->len = (size_t)(lx->p - t->text);
        return check_separated(lx, t);
    }
    if (!is_idchar((unsigned char)c)) {
        if ((unsigned char)c >= 0x80 && utf8_len(lx->p, lx->end) == 0)
            return lex_fail_at(lx, lx->p, "malformed UTF-8 encoding");
        if (c != 0 && strchr(",;[]{}", c)) { /* a reserved token of its own */
            t->kind = WAT_RESERVED;
            t->len = 1;
            return wat_fail(lx->d, t, "unknown operator");
        }
        /* What else is no token, in the reference interpreter's wording. */
        if ((unsigned char)c >= 0x80)
            return lex_fail_at(lx, lx->p, "misplaced unicode character");
        if ((unsigned char)c < 0x20)
            return lex_fail_at(lx, lx->p, "misplaced control character");
        return lex_fail_at(lx, lx->p, "malformed UTF-8 encoding"); /* DEL */
    }
    while (lx->p < lx->end && is_idchar((unsigned char)*lx->p))
        lx->p++;
    t->len = (size_t)(lx->p - t->text);
    if (c == '$') {
        if (t->len == 1) {
            return wat_fail(lx->d, t, "empty identifier");
        } else {
            t->kind = WAT_ID;
            t->name = t->text + 1;
            t->name_len = t->len - 1;
        }
    } else if (number_syntax(t->text, t->len, &t->is_int, &t->is_nat)) {
        t->kind = WAT_NUM;
    } else if (c >= 'a' && c <= 'z' && !looks_numeric(t->text, t->len)) {
        t->kind = WAT_KEYWORD;
    } else {
        t->kind = WAT_RESERVED;
    }
    return check_separated(lx, t);
}

bool wat_is_keyword(const wat_token *tok, const char *s)
{
    size_t n = strlen(s);
    return tok->kind == WAT_KEYWORD && tok->len == n && memcmp(tok->text, s, n) == 0;
}

/* Accumulates the digits of a checked num at p (underscores skipped) into *out. False on
 * overflow of 64 bits. */
static bool num_value(const char *p, const char *end, bool hex, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = hex ? 16 : 10;
    for (; p < end; p++) {
        if (*p == '_')
            continue;
        uint64_t digit = (uint64_t)hex_value((unsigned char)*p);
        if (v > (UINT64_MAX - digit) / base)
            return false;
        v = v * base + digit;
    }
    *out = v;
    return true;
}

bool wat_nat_u64(const wat_token *tok, uint64_t *out)
{
    if (tok->kind != WAT_NUM || !tok->is_int || !tok->is_nat)
        return false;
    bool hex = tok->len > 2 && tok->text[1] == 'x';
    return num_value(tok->text + (hex ? 2 : 0), tok->text + tok->len, hex, out);
}

bool wat_int(const wat_token *tok, unsigned bits, uint64_t *out)
{
    if (tok->kind != WAT_NUM || !tok->is_int)
        return false;
    const char *p = tok->text, *end = tok->text + tok->len;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    bool hex = end - p > 2 && p[1] == 'x';
    uint64_t mag;
    if (!num_value(p + (hex ? 2 : 0), end, hex, &mag))
        return false;
    uint64_t mask = bits == 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
    if (neg) {
        if (mag > ((uint64_t)1 << (bits - 1)))
            return false;
        *out = (0 - mag) & mask;
    } else {
        if (mag > mask)
            return false;
        *out = mag;
    }
    return true;
}

/* The literal without underscores, NUL-terminated, in buf (or malloc'ed when longer; *heap
 * is then set and must be freed). NULL on allocation failure. */
static char *clean_number(const wat_token *tok, char *buf, size_t size, char **heap)
{
    char *out = buf;
    *heap = NULL;
    if (tok->len + 1 > size) {
        out = malloc(tok->len + 1);
        if (!out)
            return NULL;
        *heap = out;
    }
    size_t n = 0;
    for (size_t i = 0; i < tok->len; i++)
        if (tok->text[i] != '_')
            out[n++] = tok->text[i];
    out[n] = '\0';
    return out;
}

/* inf, nan and nan:0x forms: the bits for a float of mant_bits mantissa bits, or false
 * when tok is another number. *ok is false for a payload out of range. */
static bool special_float(const wat_token *tok, unsigned mant_bits, uint64_t *bits, bool *ok)
{
    const char *p = tok->text, *end = tok->text + tok->len;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    size_t rest = (size_t)(end - p);
    unsigned exp_bits = mant_bits == 23 ? 8 : 11;
    uint64_t sign = neg ? (uint64_t)1 << (mant_bits + exp_bits) : 0;
    uint64_t exp = (((uint64_t)1 << exp_bits) - 1) << mant_bits;
    *ok = true;
    if (rest == 3 && memcmp(p, "inf", 3) == 0) {
        *bits = sign | exp;
        return true;
    }
    if (rest == 3 && memcmp(p, "nan", 3) == 0) {
        *bits = sign | exp | ((uint64_t)1 << (mant_bits - 1));
        return true;
    }
    if (rest > 6 && memcmp(p, "nan:0x", 6) == 0) {
        uint64_t payload;
        *ok = num_value(p + 6, end, true, &payload) && payload != 0 &&
              payload < ((uint64_t)1 << mant_bits);
        if (*ok)
            *bits = sign | exp | payload;
        return true;
    }
    return false;
}

bool wat_f32(const wat_token *tok, uint32_t *out)
{
    if (tok->kind != WAT_NUM)
        return false;
    uint64_t bits = 0;
    bool ok;
    if (special_float(tok, 23, &bits, &ok)) {
        *out = (uint32_t)bits;
        return ok;
    }
    char buf[128], *heap;
    char *s = clean_number(tok, buf, sizeof buf, &heap);
    if (!s)
        return false;
    char *end;
    float f = strtof(s, &end);
    ok = *end == '\0' && !isinf(f);
    free(heap);
    memcpy(out, &f, sizeof *out);
    return ok;
}

bool wat_f64(const wat_token *tok, uint64_t *out)
{
    if (tok->kind != WAT_NUM)
        return false;
    uint64_t bits = 0;
    bool ok;
    if (special_float(tok, 52, &bits, &ok)) {
        *out = bits;
        return ok;
    }
    char buf[128], *heap;
    char *s = clean_number(tok, buf, sizeof buf, &heap);
    if (!s)
        return false;
    char *end;
    double f = strtod(s, &end);
    ok = *end == '\0' && !isinf(f);
    free(heap);
    memcpy(out, &f, sizeof *out);
    return ok;
}

bool wat_nat_text(const char *s, size_t n, uint64_t *out)
{
    bool is_int, is_nat;
    if (!number_syntax(s, n, &is_int, &is_nat) || !is_int || !is_nat)
        return false;
    bool hex = n > 2 && s[1] == 'x';
    return num_value(s + (hex ? 2 : 0), s + n, hex, out);
}

bool wat_num_syntax(const char *s, size_t n, bool *is_int, bool *is_nat)
{
    return number_syntax(s, n, is_int, is_nat);
}
