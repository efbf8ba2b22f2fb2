/* json.c -- a strict JSON (RFC 8259) reader into an arena tree, and a JSON string writer.
 *
 * json_parse() is a recursive-descent parser with one function per grammar rule (the
 * production is above each). It never reads past `size`, bounds nesting by JSON_MAX_DEPTH
 * (so recursion depth is bounded too), and reports the first error with its byte offset in a
 * kiln_diag: class malformed for bad syntax, limit for too deep nesting, nomem when the
 * allocator fails. It accepts exactly RFC 8259: no comments, no trailing commas, no leading
 * zeros or '+', no byte order mark, strings in valid UTF-8, and unique keys in an object.
 * Everything in the tree is copied into the caller's arena, so the input may be freed after
 * parsing. While a container is open its children sit on a heap scratch stack (through the
 * arena's allocator); when it closes they are copied into one arena array.
 * json_write_string() escapes a byte string for output; the CLI uses it for --json output.
 * Callers: `kiln wast` and tests/spec (wast2json output), and the --json outputs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct json_parser {
    const char *text;
    size_t size;
    size_t pos;
    kiln_arena *arena;
    kiln_diag *diag;
    unsigned depth;
    json_member *stack; /* children of the open containers, innermost last */
    size_t stack_len, stack_cap;
} json_parser;

static bool parse_value(json_parser *p, json_value *out);

static bool fail_at(json_parser *p, kiln_err code, size_t offset, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static bool fail_at(json_parser *p, kiln_err code, size_t offset, const char *fmt, ...)
{
    char msg[sizeof(p->diag->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kiln_diag_set(p->diag, code, offset, "%s", msg);
}

/* Describes the byte at pos for a message: "'x'", "byte 0x01" or "end of input". */
static const char *describe_byte(const json_parser *p, size_t pos, char *buf, size_t size)
{
    if (pos >= p->size)
        return "end of input";
    unsigned char c = (unsigned char)p->text[pos];
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static bool fail_unexpected(json_parser *p, const char *expected)
{
    char buf[16];
    const char *what = describe_byte(p, p->pos, buf, sizeof(buf));
    return fail_at(p, KILN_ERR_MALFORMED, p->pos, "unexpected %s: expected %s", what, expected);
}

/* The realloc of the arena's allocator (the C library's if it has none); size 0 frees. */
static void *scratch_realloc(const json_parser *p, void *ptr, size_t size)
{
    const kiln_allocator *alloc = p->arena->alloc;
    if (alloc)
        return alloc->realloc(alloc->ud, ptr, size);
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static bool push_member(json_parser *p, const json_member *m)
{
    if (p->stack_len == p->stack_cap) {
        size_t cap = p->stack_cap ? p->stack_cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof(json_member))
            return fail_at(p, KILN_ERR_NOMEM, p->pos, "out of memory");
        json_member *grown = scratch_realloc(p, p->stack, cap * sizeof(json_member));
        if (!grown)
            return fail_at(p, KILN_ERR_NOMEM, p->pos, "out of memory");
        p->stack = grown;
        p->stack_cap = cap;
    }
    p->stack[p->stack_len++] = *m;
    return true;
}

/* Returns the length of the valid UTF-8 sequence at s (at most n bytes), or 0 if there is
 * none: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    if (c < 0x80)
        return 1;
    if (c < 0xc2) /* a continuation byte, or an overlong 2-byte form */
        return 0;
    if (c < 0xe0)
        len = 2;
    else if (c < 0xf0)
        len = 3;
    else if (c < 0xf5)
        len = 4;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    }
    if (c == 0xe0 && s[1] < 0xa0) /* overlong 3-byte form */
        return 0;
    if (c == 0xed && s[1] >= 0xa0) /* surrogate */
        return 0;
    if (c == 0xf0 && s[1] < 0x90) /* overlong 4-byte form */
        return 0;
    if (c == 0xf4 && s[1] >= 0x90) /* above U+10FFFF */
        return 0;
    return len;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the XXXX of a \uXXXX escape whose backslash is at esc; end bounds the string body. */
static bool read_u_escape(json_parser *p, size_t esc, size_t end, uint32_t *out)
{
    uint32_t v = 0;
    if (end - esc < 6)
        return fail_at(p, KILN_ERR_MALFORMED, esc, "\\u escape needs 4 hex digits");
    for (size_t k = esc + 2; k < esc + 6; k++) {
        int d = hex_digit(p->text[k]);
        if (d < 0)
            return fail_at(p, KILN_ERR_MALFORMED, esc, "\\u escape needs 4 hex digits");
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return true;
}

/* Decodes the escape whose backslash is at *i into buf[*len...]; advances *i past it.
 * escape = '"' | '\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u' 4HEXDIG ('\u' 4HEXDIG)? */
static bool decode_escape(json_parser *p, size_t *i, size_t end, char *buf, size_t *len)
{
    size_t esc = *i;
    char e = p->text[esc + 1]; /* in range: the body never ends in a lone backslash */
    static const char simple_in[] = "\"\\/bfnrt";
    static const char simple_out[] = "\"\\/\b\f\n\r\t";
    const char *hit = e ? strchr(simple_in, e) : NULL;
    if (hit) {
        buf[(*len)++] = simple_out[hit - simple_in];
        *i = esc + 2;
        return true;
    }
    if (e != 'u') {
        char b[16];
        return fail_at(p, KILN_ERR_MALFORMED, esc, "invalid escape: backslash before %s",
                       describe_byte(p, esc + 1, b, sizeof(b)));
    }
    uint32_t cp;
    if (!read_u_escape(p, esc, end, &cp))
        return false;
    *i = esc + 6;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail_at(p, KILN_ERR_MALFORMED, esc, "unpaired low surrogate \\u%04x", cp);
    if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t low;
        if (end - *i < 2 || p->text[*i] != '\\' || p->text[*i + 1] != 'u')
            return fail_at(p, KILN_ERR_MALFORMED, esc, "unpaired high surrogate \\u%04x", cp);
        if (!read_u_escape(p, *i, end, &low))
            return false;
        if (low < 0xdc00 || low > 0xdfff)
            return fail_at(p, KILN_ERR_MALFORMED, esc, "unpaired high surrogate \\u%04x", cp);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        *i += 6;
    }
    *len += utf8_encode(cp, buf + *len);
    return true;
}

// string = '"' *char '"'
// char = unescaped | '\' escape      unescaped = any UTF-8 scalar value except '"', '\', < 0x20
static bool parse_string(json_parser *p, const char **out, size_t *out_len)
{
    size_t start = p->pos; /* the opening quote */
    size_t end = start + 1;

    /* First pass: find the closing quote, so the decoded copy can be sized (decoding never
     * makes a string longer). */
    while (end < p->size && p->text[end] != '"')
        end += p->text[end] == '\\' ? 2 : 1;
    if (end >= p->size)
        return fail_at(p, KILN_ERR_MALFORMED, start, "unterminated string");

    char *buf = kiln_arena_alloc(p->arena, end - start, 1); /* body + NUL */
    if (!buf)
        return fail_at(p, KILN_ERR_NOMEM, start, "out of memory");
    size_t len = 0;
    size_t i = start + 1;
    while (i < end) {
        unsigned char c = (unsigned char)p->text[i];
        if (c == '\\') {
            if (!decode_escape(p, &i, end, buf, &len))
                return false;
        } else if (c < 0x20) {
            return fail_at(p, KILN_ERR_MALFORMED, i,
                           "control character 0x%02x must be escaped in a string", c);
        } else {
            size_t n = utf8_seq_len((const unsigned char *)p->text + i, end - i);
            if (n == 0)
                return fail_at(p, KILN_ERR_MALFORMED, i, "invalid UTF-8 in a string");
            memcpy(buf + len, p->text + i, n);
            len += n;
            i += n;
        }
    }
    buf[len] = '\0';
    p->pos = end + 1;
    *out = buf;
    *out_len = len;
    return true;
}

static bool is_digit(const json_parser *p, size_t pos)
{
    return pos < p->size && p->text[pos] >= '0' && p->text[pos] <= '9';
}

/* Skips 1*DIGIT at p->pos; what names the part for the message. */
static bool skip_digits(json_parser *p, const char *what)
{
    if (!is_digit(p, p->pos))
        return fail_unexpected(p, what);
    while (is_digit(p, p->pos))
        p->pos++;
    return true;
}

// number = ['-'] int [frac] [exp]      int = '0' | digit1-9 *DIGIT
// frac = '.' 1*DIGIT                   exp = ('e' | 'E') ['-' | '+'] 1*DIGIT
static bool parse_number(json_parser *p, json_value *out)
{
    size_t start = p->pos;
    bool integer = true;
    bool negative = p->text[p->pos] == '-';
    if (negative)
        p->pos++;
    if (is_digit(p, p->pos) && p->text[p->pos] == '0') {
        p->pos++;
        if (is_digit(p, p->pos))
            return fail_at(p, KILN_ERR_MALFORMED, start, "leading zero in a number");
    } else if (!skip_digits(p, "a digit")) {
        return false;
    }
    if (p->pos < p->size && p->text[p->pos] == '.') {
        p->pos++;
        integer = false;
        if (!skip_digits(p, "a digit after '.'"))
            return false;
    }
    if (p->pos < p->size && (p->text[p->pos] == 'e' || p->text[p->pos] == 'E')) {
        p->pos++;
        integer = false;
        if (p->pos < p->size && (p->text[p->pos] == '+' || p->text[p->pos] == '-'))
            p->pos++;
        if (!skip_digits(p, "a digit in the exponent"))
            return false;
    }

    size_t len = p->pos - start;
    char *text = kiln_arena_alloc(p->arena, len + 1, 1);
    if (!text)
        return fail_at(p, KILN_ERR_NOMEM, start, "out of memory");
    memcpy(text, p->text + start, len);
    out->kind = JSON_NUMBER;
    out->u.num.text = text;
    out->u.num.len = len;
    /* strtod follows LC_NUMERIC; Kiln never calls setlocale, so this is the "C" locale. */
    out->u.num.value = strtod(text, NULL);
    if (integer && !negative) {
        uint64_t v = 0;
        bool exact = true;
        for (size_t k = 0; k < len && exact; k++) {
            uint64_t d = (uint64_t)(text[k] - '0');
            exact = v <= (UINT64_MAX - d) / 10;
            v = v * 10 + d;
        }
        out->u.num.is_u64 = exact;
        out->u.num.u64 = exact ? v : 0;
    }
    return true;
}

// literal = "true" | "false" | "null"
static bool parse_literal(json_parser *p, const char *word, uint8_t kind, json_value *out)
{
    size_t n = strlen(word);
    if (p->size - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
        return fail_unexpected(p, "a value");
    p->pos += n;
    out->kind = kind;
    return true;
}

// ws = *( ' ' | '\t' | '\n' | '\r' )
static void skip_ws(json_parser *p)
{
    while (p->pos < p->size) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool at(const json_parser *p, char c)
{
    return p->pos < p->size && p->text[p->pos] == c;
}

static bool enter(json_parser *p)
{
    if (++p->depth > JSON_MAX_DEPTH)
        return fail_at(p, KILN_ERR_LIMIT, p->pos, "nesting deeper than %d arrays and objects",
                       JSON_MAX_DEPTH);
    return true;
}

static int compare_members(const void *a, const void *b)
{
    const json_member *x = *(const json_member *const *)a;
    const json_member *y = *(const json_member *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool same_key(const json_member *x, const json_member *y)
{
    return x->key_len == y->key_len && memcmp(x->key, y->key, x->key_len) == 0;
}

static bool duplicate_key(json_parser *p, const json_member *dup)
{
    return fail_at(p, KILN_ERR_MALFORMED, dup->offset, "duplicate key \"%.40s\"%s", dup->key,
                   dup->key_len > 40 ? "..." : "");
}

/* Rejects an object with two equal keys: pairwise for small objects, by sorting otherwise
 * (so a huge object costs n log n, not n^2). */
static bool check_unique_keys(json_parser *p, const json_member *members, size_t count)
{
    if (count <= 16) {
        for (size_t i = 1; i < count; i++) {
            for (size_t j = 0; j < i; j++) {
                if (same_key(&members[i], &members[j]))
                    return duplicate_key(p, &members[i]);
            }
        }
        return true;
    }
    const json_member **sorted = scratch_realloc(p, NULL, count * sizeof(*sorted));
    if (!sorted)
        return fail_at(p, KILN_ERR_NOMEM, p->pos, "out of memory");
    for (size_t i = 0; i < count; i++)
        sorted[i] = &members[i];
    qsort(sorted, count, sizeof(*sorted), compare_members);
    const json_member *dup = NULL;
    for (size_t i = 1; i < count && !dup; i++) {
        if (same_key(sorted[i - 1], sorted[i]))
            dup = sorted[i]; /* the later of the two in the input */
    }
    scratch_realloc(p, sorted, 0);
    return dup ? duplicate_key(p, dup) : true;
}

/* Moves the children pushed since base from the scratch stack into an arena array. */
static bool pop_members(json_parser *p, size_t base, json_member **out, size_t *out_count)
{
    size_t count = p->stack_len - base;
    *out = NULL;
    *out_count = count;
    if (count == 0)
        return true;
    json_member *arr = ARENA_ARRAY(p->arena, json_member, count);
    if (!arr)
        return fail_at(p, KILN_ERR_NOMEM, p->pos, "out of memory");
    memcpy(arr, p->stack + base, count * sizeof(json_member));
    p->stack_len = base;
    *out = arr;
    return true;
}

// object = '{' ws [ member *( ws ',' ws member ) ] ws '}'
// member = string ws ':' ws value
static bool parse_object(json_parser *p, json_value *out)
{
    size_t base = p->stack_len;
    if (!enter(p))
        return false;
    p->pos++; /* '{' */
    skip_ws(p);
    if (at(p, '}')) {
        p->pos++;
    } else {
        for (;;) {
            json_member m = {0};
            m.offset = p->pos;
            if (!at(p, '"'))
                return fail_unexpected(p, "a string key");
            if (!parse_string(p, &m.key, &m.key_len))
                return false;
            skip_ws(p);
            if (!at(p, ':'))
                return fail_unexpected(p, "':' after an object key");
            p->pos++;
            skip_ws(p);
            if (!parse_value(p, &m.value) || !push_member(p, &m))
                return false;
            skip_ws(p);
            if (at(p, '}')) {
                p->pos++;
                break;
            }
            if (!at(p, ','))
                return fail_unexpected(p, "',' or '}' after an object member");
            p->pos++;
            skip_ws(p);
        }
    }
    p->depth--;
    out->kind = JSON_OBJECT;
    if (!pop_members(p, base, &out->u.object.members, &out->u.object.count))
        return false;
    return check_unique_keys(p, out->u.object.members, out->u.object.count);
}

// array = '[' ws [ value *( ws ',' ws value ) ] ws ']'
static bool parse_array(json_parser *p, json_value *out)
{
    size_t base = p->stack_len;
    if (!enter(p))
        return false;
    p->pos++; /* '[' */
    skip_ws(p);
    if (at(p, ']')) {
        p->pos++;
    } else {
        for (;;) {
            json_member m = {0};
            if (!parse_value(p, &m.value) || !push_member(p, &m))
                return false;
            skip_ws(p);
            if (at(p, ']')) {
                p->pos++;
                break;
            }
            if (!at(p, ','))
                return fail_unexpected(p, "',' or ']' after an array element");
            p->pos++;
            skip_ws(p);
        }
    }
    p->depth--;
    out->kind = JSON_ARRAY;
    size_t count = p->stack_len - base;
    out->u.array.count = count;
    out->u.array.items = NULL;
    if (count == 0)
        return true;
    json_value *items = ARENA_ARRAY(p->arena, json_value, count);
    if (!items)
        return fail_at(p, KILN_ERR_NOMEM, p->pos, "out of memory");
    for (size_t i = 0; i < count; i++)
        items[i] = p->stack[base + i].value;
    p->stack_len = base;
    out->u.array.items = items;
    return true;
}

// value = object | array | string | number | "true" | "false" | "null"
static bool parse_value(json_parser *p, json_value *out)
{
    memset(out, 0, sizeof(*out));
    out->offset = p->pos;
    if (p->pos >= p->size)
        return fail_unexpected(p, "a value");
    switch (p->text[p->pos]) {
    case '{':
        return parse_object(p, out);
    case '[':
        return parse_array(p, out);
    case '"':
        out->kind = JSON_STRING;
        return parse_string(p, &out->u.str.ptr, &out->u.str.len);
    case 't':
        return parse_literal(p, "true", JSON_TRUE, out);
    case 'f':
        return parse_literal(p, "false", JSON_FALSE, out);
    case 'n':
        return parse_literal(p, "null", JSON_NULL, out);
    default:
        if (p->text[p->pos] == '-' || is_digit(p, p->pos))
            return parse_number(p, out);
        return fail_unexpected(p, "a value");
    }
}

// JSON-text = ws value ws
bool json_parse(const char *text, size_t size, kiln_arena *arena, const json_value **out,
                kiln_diag *d)
{
    json_parser p = {.text = text, .size = size, .arena = arena, .diag = d};
    *out = NULL;
    json_value *root = ARENA_NEW(arena, json_value);
    if (!root)
        return kiln_diag_set(d, KILN_ERR_NOMEM, 0, "out of memory");
    skip_ws(&p);
    bool ok = parse_value(&p, root);
    if (ok) {
        skip_ws(&p);
        if (p.pos != size)
            ok = fail_unexpected(&p, "end of input after the value");
    }
    scratch_realloc(&p, p.stack, 0);
    if (ok)
        *out = root;
    return ok;
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->kind != JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const json_member *m = &obj->u.object.members[i];
        if (m->key_len == n && memcmp(m->key, key, n) == 0)
            return &m->value;
    }
    return NULL;
}

const char *json_get_str(const json_value *obj, const char *key)
{
    const json_value *v = json_get(obj, key);
    return v && v->kind == JSON_STRING ? v->u.str.ptr : NULL;
}

bool json_get_u64(const json_value *obj, const char *key, uint64_t *out)
{
    const json_value *v = json_get(obj, key);
    if (!v || v->kind != JSON_NUMBER || !v->u.num.is_u64)
        return false;
    *out = v->u.num.u64;
    return true;
}

size_t json_len(const json_value *v)
{
    if (v && v->kind == JSON_ARRAY)
        return v->u.array.count;
    if (v && v->kind == JSON_OBJECT)
        return v->u.object.count;
    return 0;
}

const json_value *json_at(const json_value *array, size_t i)
{
    if (!array || array->kind != JSON_ARRAY || i >= array->u.array.count)
        return NULL;
    return &array->u.array.items[i];
}

bool json_str_eq(const json_value *v, const char *s)
{
    if (!v || v->kind != JSON_STRING)
        return false;
    size_t n = strlen(s);
    return v->u.str.len == n && memcmp(v->u.str.ptr, s, n) == 0;
}

const char *json_kind_name(uint8_t kind)
{
    static const char *const names[] = {
        [JSON_NULL] = "null",     [JSON_FALSE] = "false",   [JSON_TRUE] = "true",
        [JSON_NUMBER] = "number", [JSON_STRING] = "string", [JSON_ARRAY] = "array",
        [JSON_OBJECT] = "object",
    };
    return kind < KILN_ARRAY_LEN(names) ? names[kind] : "?";
}

bool json_write_string(FILE *f, const char *s, size_t len)
{
    const unsigned char *b = (const unsigned char *)s;
    putc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char c = b[i];
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            break;
        }
        if (esc) {
            fputs(esc, f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else {
            size_t n = utf8_seq_len(b + i, len - i);
            if (n == 0) {
                fputs("\\ufffd", f); /* not UTF-8: U+FFFD keeps the output valid JSON */
                i++;
            } else {
                fwrite(b + i, 1, n, f);
                i += n;
            }
        }
    }
    putc('"', f);
    return !ferror(f);
}
