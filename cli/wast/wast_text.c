/* wast_text.c -- spec scripts read directly, without wast2json (`kiln wast FILE.wast`).
 *
 * The script is read with the text reader's lexer (toolchain/wat_lex.c) and each module is
 * converted by kiln_wat_to_wasm. The output is what wast2json writes: DIR/NAME.json with the
 * command list, and one file per module beside it (NAME.N.wasm), so that wast_run.c runs both
 * routes the same way and `--prepare-only --work DIR` leaves DIR/NAME.json for a later run. A
 * module the reader rejects is written as text (NAME.N.wat, "module_type": "text") with the
 * reader's message in "text_error" and its place in "text_error_at" (and "text_error_class":
 * "invalid" when the reader's verdict is invalid, not malformed: a branch hint annotation on
 * another instruction): an assert_malformed (assert_invalid) passes when that message starts
 * with the expected text, as the reference runner checks.
 * The top-level "converter": "kiln wast" says the modules are Kiln's own conversions, so the
 * runner holds assert_invalid to the expected message too.
 *
 * The grammar read (WebAssembly 3.0 spec scripts, interpreter/README.md of the spec):
 *
 *   script    ::= cmd*  |  modulefield*   (fields at the top: the whole file is one module)
 *   cmd       ::= module | instance | register | action | assertion | thread | wait | meta
 *   module    ::= '(' 'module' 'definition'? $id? modulefield* ')'
 *               | '(' 'module' 'definition'? $id? 'binary' string* ')'
 *               | '(' 'module' 'definition'? $id? 'quote' string* ')'
 *   instance  ::= '(' 'module' 'instance' $inst? $def? ')'  (one name alone is $def)
 *   register  ::= '(' 'register' string $id? ')'
 *   action    ::= '(' 'invoke' $id? string const* ')'
 *               | '(' 'get' $id? string ')'
 *   assertion ::= '(' 'assert_return' action result* ')'
 *               | '(' 'assert_exception' action ')'
 *               | '(' 'assert_trap' action string ')'
 *               | '(' 'assert_trap' (module|instance) string ')'   (-> assert_uninstantiable)
 *               | '(' 'assert_exhaustion' action string ')'
 *               | '(' 'assert_malformed' module string ')'
 *               | '(' 'assert_invalid' module string ')'
 *               | '(' 'assert_unlinkable' (module|instance) string ')'
 *               | '(' 'assert_uninstantiable' module string ')'
 *               | '(' 'assert_malformed_custom' module string ')'
 *               | '(' 'assert_invalid_custom' module string ')'
 *   const     ::= '(' ('i32'|'i64'|'f32'|'f64') '.const' num ')'
 *               | '(' 'v128.const' shape num* ')'
 *               | '(' 'ref.null' heaptype ')'         (func, extern, any, ..., noexn, $t, N)
 *               | '(' 'ref.extern' nat ')' | '(' 'ref.host' nat ')'
 *   result    ::= const
 *               | '(' ('f32'|'f64') '.const' ('nan:canonical'|'nan:arithmetic') ')'
 *               | '(' 'v128.const' ('f32x4'|'f64x2') (num|'nan:canonical'|'nan:arithmetic')* ')'
 *               | '(' 'ref.null' ')'                  (any null reference)
 *               | '(' ('ref'|'ref.func'|'ref.extern'|'ref.eq'|'ref.i31'|'ref.struct'
 *                     |'ref.array'|'ref.exn') ')'     (any non-null reference of the kind)
 *               | '(' 'either' result+ ')'       (any one of them; not nested)
 *   thread    ::= '(' 'thread' $id? shared* cmd* ')'    (threads proposal; its commands
 *                                                       run on a host thread)
 *   shared    ::= '(' 'shared' '(' 'module' $id ')' ')'
 *   wait      ::= '(' 'wait' $id ')'                    (joins the thread)
 *   meta      ::= '(' 'script' $id? cmd* ')'        (its commands run as at the top)
 *               | '(' 'output' $id? string? ')'    (skipped)
 *               | '(' 'input' $id? string ')'      (not supported: an error)
 *
 * The JSON is wast2json's, extended for what Wasm 3.0 scripts add (docs/cli.md#wast):
 * "definition": true on a module command; "module_instance" commands with "instance" and
 * "module" names; an "instance" object instead of a module file in assert_unlinkable /
 * assert_uninstantiable; "assert_exception" and the *_custom assertions; value types
 * "anyref", "eqref", "i31ref", "structref", "arrayref", "exnref", "nullref", "nullfuncref",
 * "nullexternref", "nullexnref", "hostref" (ref.host N), and "ref" (a null of a defined or
 * unnamed heap type, or the pattern (ref)); "thread" commands with "name", "shared" (module
 * names) and their "commands" nested, and "wait" commands with "thread". Every error is
 * "FILE:LINE:COLUMN: message"; nesting inside commands is bounded by the grammar above, and a
 * module's parentheses are counted without recursion (the reader itself bounds their depth).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wast.h"
#include "wat.h"

typedef struct script_reader {
    wat_lexer lx;
    kiln_arena arena; /* escaped $"ids" */
    kiln_diag d;      /* the lexer's errors */
    const char *text;
    size_t size;
    const char *path; /* the .wast, in messages */
    FILE *out;        /* the JSON */
    const char *dir;  /* where the module files go; NULL: none are written */
    const char *stem; /* NAME of NAME.N.wasm */
    unsigned files;   /* module files written */
    bool first;       /* no command written yet */
    bool wasm3;       /* module text read as the 3.0 spec reads it (wat_to_wasm) */
    unsigned threads; /* (thread ...) commands open around the one being read */
    char *err;
    size_t err_size;
} script_reader;

/* "FILE:LINE:COLUMN: message" at tok into r->err. Returns false. */
static bool fail_at(script_reader *r, const wat_token *tok, const char *fmt, ...) KILN_PRINTF(3, 4);

static bool fail_at(script_reader *r, const wat_token *tok, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kiln_msg(r->err, r->err_size, "%s:%" PRIu32 ":%" PRIu32 ": %s", r->path, tok->line, tok->column,
             msg);
    return false;
}

/* The next token; a lexical error becomes the script's error. */
static bool next(script_reader *r)
{
    if (wat_next(&r->lx))
        return true;
    kiln_msg(r->err, r->err_size, "%s:%" PRIu32 ":%" PRIu32 ": %s", r->path, r->d.line, r->d.column,
             r->d.msg);
    return false;
}

static bool unexpected(script_reader *r, const char *wanted)
{
    const wat_token *t = &r->lx.tok;
    if (t->kind == WAT_EOF)
        return fail_at(r, t, "unexpected end of script, expected %s", wanted);
    return fail_at(r, t, "unexpected token \"%.*s\", expected %s", (int)(t->len > 40 ? 40 : t->len),
                   t->text, wanted);
}

static bool expect(script_reader *r, uint8_t kind, const char *wanted)
{
    if (r->lx.tok.kind != kind)
        return unexpected(r, wanted);
    return next(r);
}

/* The n-th token after the current one (1: the next), without moving. */
static wat_token peek_n(const script_reader *r, unsigned n)
{
    wat_lexer copy = r->lx;
    copy.arena = NULL;
    kiln_diag d;
    kiln_diag_init(&d);
    copy.d = &d;
    for (unsigned i = 0; i < n; i++) {
        if (!wat_next(&copy)) {
            copy.tok.kind = WAT_RESERVED;
            break;
        }
    }
    return copy.tok;
}

/* The token after the current one, without moving. */
static wat_token peek(const script_reader *r)
{
    return peek_n(r, 1);
}

static bool is_kw(const wat_token *t, const char *kw)
{
    return wat_is_keyword(t, kw);
}

/* Writes a JSON string of a token's decoded bytes (a string literal). False if out of memory. */
static bool put_string_token(script_reader *r, const wat_token *t)
{
    uint8_t *bytes = malloc(t->len + 1);
    if (bytes == NULL)
        return false;
    size_t n = wat_string(t, bytes);
    json_write_string(r->out, (const char *)bytes, n);
    free(bytes);
    return true;
}

/* Writes "$name" of an id token. */
static void put_id(script_reader *r, const wat_token *t)
{
    char *s = malloc(t->name_len + 2);
    if (s == NULL) {
        fputs("\"$?\"", r->out);
        return;
    }
    s[0] = '$';
    if (t->name)
        memcpy(s + 1, t->name, t->name_len);
    json_write_string(r->out, s, t->name ? t->name_len + 1 : 1);
    free(s);
}

static void begin_command(script_reader *r, const char *type, const wat_token *at)
{
    fputs(r->first ? "\n  " : ",\n  ", r->out);
    r->first = false;
    fprintf(r->out, "{\"type\": \"%s\", \"line\": %" PRIu32, type, at->line);
}

/* ---- modules ---- */

/* Writes a module file NAME.N.EXT; file receives its name. */
static bool write_module_file(script_reader *r, const wat_token *at, const char *ext,
                              const void *data, size_t size, char *file, size_t file_size)
{
    char path[HOST_PATH_SIZE];
    int n = snprintf(file, file_size, "%s.%u.%s", r->stem, r->files++, ext);
    if (n < 0 || (size_t)n >= file_size)
        return fail_at(r, at, "path too long for the module file in %s", r->dir ? r->dir : "");
    if (r->dir == NULL)
        return true; /* wast_text_read without module files */
    if (!host_path_join(path, sizeof(path), r->dir, file))
        return fail_at(r, at, "path too long for the module file in %s", r->dir);
    kiln_diag d;
    kiln_diag_init(&d);
    if (!host_write_file(path, data, size, 0666, &d))
        return fail_at(r, at, "cannot write %s: %s", path, d.msg);
    return true;
}

/* module, at "(" followed by "module" (or, with whole, the whole script as one module):
 * converts it and writes the "name", "filename", "module_type" (and for a rejected text,
 * "text_error") members of the current command, and "definition": true for
 * `(module definition ...)` (compiled, not instantiated). The text given to the reader is the
 * module's own, with the script's keyword `definition` blanked out (so positions stay those of the
 * script). */
static bool read_module(script_reader *r, bool whole)
{
    wat_token open = r->lx.tok;
    size_t start = whole ? 0 : open.offset, end = r->size;
    wat_token name = {0}, def = {0};
    bool named = false, is_def = false;
    if (!whole) {
        if (!next(r)) /* "module" */
            return false;
        if (!next(r))
            return false;
        const wat_token *t = &r->lx.tok;
        if (is_kw(t, "definition")) {
            def = *t;
            is_def = true;
            if (!next(r))
                return false;
        }
        if (t->kind == WAT_ID) {
            name = *t;
            named = true;
        }
        if (is_kw(t, "instance"))
            return fail_at(r, t, "unexpected \"instance\", expected a module");
        /* Count parentheses to the module's ")": the reader checks what is inside. */
        size_t depth = 1;
        for (;;) {
            if (r->lx.tok.kind == WAT_EOF)
                return fail_at(r, &open, "unclosed module (no \")\" before the end of the script)");
            if (r->lx.tok.kind == WAT_LPAR)
                depth++;
            else if (r->lx.tok.kind == WAT_RPAR && --depth == 0)
                break;
            if (!next(r))
                return false;
        }
        end = r->lx.tok.offset + 1;
        if (!next(r))
            return false;
    }
    if (named) {
        fputs(", \"name\": ", r->out);
        put_id(r, &name);
    }
    if (is_def)
        fputs(", \"definition\": true", r->out);
    const char *text = r->text + start;
    char *copy = NULL;
    if (is_def) {
        copy = malloc(end - start);
        if (copy == NULL)
            return fail_at(r, &open, "out of memory");
        memcpy(copy, text, end - start);
        memset(copy + (def.offset - start), ' ', def.len);
        text = copy;
    }
    uint8_t *wasm = NULL;
    size_t wasm_size = 0;
    kiln_diag d;
    kiln_diag_init(&d);
    char file[HOST_PATH_SIZE];
    bool converted =
        wat_to_wasm((const uint8_t *)text, end - start, NULL, r->wasm3, &wasm, &wasm_size, &d);
    bool ok;
    if (converted) {
        ok = write_module_file(r, &open, "wasm", wasm, wasm_size, file, sizeof(file));
        free(wasm);
        free(copy);
        if (!ok)
            return false;
        fputs(", \"filename\": ", r->out);
        json_write_string(r->out, file, strlen(file));
        fputs(", \"module_type\": \"binary\"", r->out);
        return true;
    }
    free(copy);
    if (d.code == KILN_ERR_NOMEM)
        return fail_at(r, &open, "%s", d.msg);
    if (!write_module_file(r, &open, "wat", r->text + start, end - start, file, sizeof(file)))
        return false;
    /* The reader's position is in the module's text: make it the script's. */
    uint32_t line = d.line ? open.line + d.line - 1 : open.line;
    uint32_t column = d.line > 1 ? d.column : open.column + (d.column ? d.column - 1 : 0);
    fputs(", \"filename\": ", r->out);
    json_write_string(r->out, file, strlen(file));
    fputs(", \"module_type\": \"text\", \"text_error\": ", r->out);
    json_write_string(r->out, d.msg, strlen(d.msg));
    fprintf(r->out, ", \"text_error_at\": \"%" PRIu32 ":%" PRIu32 "\"", line, column);
    if (d.code == KILN_ERR_INVALID) /* a branch hint on another instruction */
        fputs(", \"text_error_class\": \"invalid\"", r->out);
    return true;
}

/* instance ::= '(' 'module' 'instance' $inst? $def? ')', at "(": writes the "instance" and
 * "module" members (one name alone is the module's, as in the reference interpreter). */
static bool read_instance(script_reader *r)
{
    if (!next(r) || !next(r) || !next(r)) /* "(" "module" "instance" */
        return false;
    const wat_token *t = &r->lx.tok;
    wat_token names[2];
    size_t n = 0;
    while (n < 2 && t->kind == WAT_ID) {
        names[n++] = *t;
        if (!next(r))
            return false;
    }
    if (n == 2) {
        fputs(", \"instance\": ", r->out);
        put_id(r, &names[0]);
    }
    if (n > 0) {
        fputs(", \"module\": ", r->out);
        put_id(r, &names[n - 1]);
    }
    return expect(r, WAT_RPAR, "\")\"");
}

/* ---- values ---- */

/* Writes a number of bits bits as the unsigned decimal of its bit pattern. */
static bool put_number(script_reader *r, const wat_token *t, char kind, unsigned bits)
{
    uint64_t v = 0;
    bool ok;
    if (t->kind != WAT_NUM)
        return unexpected(r, "a number");
    if (kind == 'i') {
        ok = wat_int(t, bits, &v);
    } else if (bits == 32) {
        uint32_t f = 0;
        ok = wat_f32(t, &f);
        v = f;
    } else {
        ok = wat_f64(t, &v);
    }
    if (!ok)
        return fail_at(r, t, "constant out of range");
    if (bits < 64)
        v &= (UINT64_C(1) << bits) - 1;
    fprintf(r->out, "\"%" PRIu64 "\"", v);
    return true;
}

/* nan:canonical or nan:arithmetic, allowed in results: writes it and returns true. */
static bool put_nan_pattern(script_reader *r, const wat_token *t)
{
    if (t->kind != WAT_KEYWORD || !(is_kw(t, "nan:canonical") || is_kw(t, "nan:arithmetic")))
        return false;
    fprintf(r->out, "\"%.*s\"", (int)t->len, t->text);
    return true;
}

/* The lanes of v128.const after its shape keyword; at the first lane. */
static bool read_v128(script_reader *r, bool result)
{
    static const struct {
        const char *shape, *lane;
        char kind;
        unsigned bits;
    } shapes[] = {{"i8x16", "i8", 'i', 8},   {"i16x8", "i16", 'i', 16}, {"i32x4", "i32", 'i', 32},
                  {"i64x2", "i64", 'i', 64}, {"f32x4", "f32", 'f', 32}, {"f64x2", "f64", 'f', 64}};
    const wat_token *t = &r->lx.tok;
    size_t k = 0;
    while (k < KILN_ARRAY_LEN(shapes) && !is_kw(t, shapes[k].shape))
        k++;
    if (k == KILN_ARRAY_LEN(shapes))
        return unexpected(r, "a v128 shape (i8x16, ..., f64x2)");
    fprintf(r->out, "{\"type\": \"v128\", \"lane_type\": \"%s\", \"value\": [", shapes[k].lane);
    if (!next(r))
        return false;
    for (unsigned i = 0; i < 128 / shapes[k].bits; i++) {
        if (i)
            fputs(", ", r->out);
        if (r->lx.tok.kind == WAT_RPAR)
            return fail_at(r, t, "wrong number of lane literals");
        if (!(result && shapes[k].kind == 'f' && put_nan_pattern(r, t)) &&
            !put_number(r, t, shapes[k].kind, shapes[k].bits))
            return false;
        if (!next(r))
            return false;
    }
    if (r->lx.tok.kind != WAT_RPAR)
        return fail_at(r, t, "wrong number of lane literals");
    fputs("]}", r->out);
    return true;
}

/* The reference type a heap type's null has, by the heap type's keyword: the text format's
 * abbreviations (nofunc -> nullfuncref, ...). */
static const struct {
    const char *heap, *type;
} null_types[] = {
    {"func", "funcref"},
    {"extern", "externref"},
    {"any", "anyref"},
    {"eq", "eqref"},
    {"i31", "i31ref"},
    {"struct", "structref"},
    {"array", "arrayref"},
    {"exn", "exnref"},
    {"none", "nullref"},
    {"nofunc", "nullfuncref"},
    {"noextern", "nullexternref"},
    {"noexn", "nullexnref"},
};

/* '(' 'ref.null' heaptype? ')' after "ref.null": {"type": T, "value": "null"}, T from
 * null_types; a defined type ($t or an index) or, in a result, no heap type at all is
 * {"type": "ref", "value": "null"} (with "heap_type" for a defined type). */
static bool read_null(script_reader *r, bool result)
{
    const wat_token *t = &r->lx.tok;
    if (t->kind == WAT_RPAR && result) {
        fputs("{\"type\": \"ref\", \"value\": \"null\"}", r->out);
        return true;
    }
    if (t->kind == WAT_ID || (t->kind == WAT_NUM && t->is_nat)) {
        fputs("{\"type\": \"ref\", \"value\": \"null\", \"heap_type\": ", r->out);
        if (t->kind == WAT_ID)
            put_id(r, t);
        else
            json_write_string(r->out, t->text, t->len);
        fputc('}', r->out);
        return next(r);
    }
    for (size_t k = 0; k < KILN_ARRAY_LEN(null_types); k++) {
        if (is_kw(t, null_types[k].heap)) {
            fprintf(r->out, "{\"type\": \"%s\", \"value\": \"null\"}", null_types[k].type);
            return next(r);
        }
    }
    return unexpected(r, "a heap type");
}

/* The JSON type of a result pattern for any non-null reference of a kind: (ref.func),
 * (ref.struct), ..., (ref) for any but a function; NULL if op is none. (ref.extern) is read
 * with ref.extern N. */
static const char *ref_pattern(const wat_token *op)
{
    static const struct {
        const char *op, *type;
    } patterns[] = {{"ref", "ref"},        {"ref.func", "funcref"},     {"ref.eq", "eqref"},
                    {"ref.i31", "i31ref"}, {"ref.struct", "structref"}, {"ref.array", "arrayref"},
                    {"ref.exn", "exnref"}};
    for (size_t k = 0; k < KILN_ARRAY_LEN(patterns); k++)
        if (is_kw(op, patterns[k].op))
            return patterns[k].type;
    return NULL;
}

/* const, or with result true a result pattern (with either true, (either ...) too); at its
 * "(", leaves after its ")". */
static bool read_value(script_reader *r, bool result, bool either)
{
    if (r->lx.tok.kind != WAT_LPAR)
        return unexpected(r, result ? "a result" : "an argument");
    if (!next(r))
        return false;
    wat_token op = r->lx.tok;
    const wat_token *t = &r->lx.tok;
    if (op.kind != WAT_KEYWORD)
        return unexpected(r, "a constant instruction");
    if (!next(r))
        return false;
    static const char *const scalars[] = {"i32.const", "i64.const", "f32.const", "f64.const"};
    size_t k = 0;
    while (k < KILN_ARRAY_LEN(scalars) && !is_kw(&op, scalars[k]))
        k++;
    if (k < KILN_ARRAY_LEN(scalars)) {
        char kind = scalars[k][0];
        unsigned bits = scalars[k][1] == '3' ? 32 : 64;
        fprintf(r->out, "{\"type\": \"%.3s\", \"value\": ", scalars[k]);
        if (!(result && kind == 'f' && put_nan_pattern(r, t)) && !put_number(r, t, kind, bits))
            return false;
        fputc('}', r->out);
        if (!next(r))
            return false;
    } else if (is_kw(&op, "v128.const")) {
        if (!read_v128(r, result))
            return false;
    } else if (is_kw(&op, "ref.null")) {
        if (!read_null(r, result))
            return false;
    } else if (is_kw(&op, "ref.extern") || is_kw(&op, "ref.host")) {
        const char *type = is_kw(&op, "ref.extern") ? "externref" : "hostref";
        uint64_t n = 0;
        if (t->kind == WAT_RPAR && result && type[0] == 'e') {
            fputs("{\"type\": \"externref\"}", r->out);
        } else {
            if (t->kind != WAT_NUM || !t->is_nat || !wat_nat_u64(t, &n) || n > UINT32_MAX)
                return unexpected(r, "a host reference number (0 to 4294967295)");
            fprintf(r->out, "{\"type\": \"%s\", \"value\": \"%" PRIu64 "\"}", type, n);
            if (!next(r))
                return false;
        }
    } else if (result && ref_pattern(&op) != NULL) {
        fprintf(r->out, "{\"type\": \"%s\"}", ref_pattern(&op));
    } else if (is_kw(&op, "either") && either) {
        fputs("{\"type\": \"either\", \"values\": [", r->out);
        size_t i = 0;
        for (; t->kind != WAT_RPAR; i++) {
            if (i)
                fputs(", ", r->out);
            if (!read_value(r, true, false))
                return false;
        }
        if (i == 0)
            return fail_at(r, &op, "(either) needs at least one result");
        fputs("]}", r->out);
    } else {
        return fail_at(r, &op, "unexpected \"%.*s\", expected %s", (int)(op.len > 40 ? 40 : op.len),
                       op.text, result ? "a result" : "a constant");
    }
    return expect(r, WAT_RPAR, "\")\"");
}

/* ---- commands ---- */

/* action, at "(": writes the "action" member. */
static bool read_action(script_reader *r)
{
    if (!expect(r, WAT_LPAR, "an action (invoke or get)"))
        return false;
    const wat_token *t = &r->lx.tok;
    bool invoke = is_kw(t, "invoke");
    if (!invoke && !is_kw(t, "get"))
        return unexpected(r, "invoke or get");
    fprintf(r->out, ", \"action\": {\"type\": \"%s\"", invoke ? "invoke" : "get");
    if (!next(r))
        return false;
    if (t->kind == WAT_ID) {
        fputs(", \"module\": ", r->out);
        put_id(r, t);
        if (!next(r))
            return false;
    }
    if (t->kind != WAT_STRING)
        return unexpected(r, "an export name (a string)");
    fputs(", \"field\": ", r->out);
    if (!put_string_token(r, t))
        return fail_at(r, t, "out of memory");
    if (!next(r))
        return false;
    if (invoke) {
        fputs(", \"args\": [", r->out);
        for (size_t i = 0; t->kind != WAT_RPAR; i++) {
            if (i)
                fputs(", ", r->out);
            if (!read_value(r, false, false))
                return false;
        }
        fputc(']', r->out);
    }
    fputc('}', r->out);
    return expect(r, WAT_RPAR, "\")\"");
}

/* The message string of an assertion, and its ")". */
static bool read_message(script_reader *r)
{
    const wat_token *t = &r->lx.tok;
    if (t->kind != WAT_STRING)
        return unexpected(r, "the expected message (a string)");
    fputs(", \"text\": ", r->out);
    if (!put_string_token(r, t))
        return fail_at(r, t, "out of memory");
    return next(r) && expect(r, WAT_RPAR, "\")\"");
}

/* Whether the current "(" opens `(module instance ...)`. */
static bool at_instance(const script_reader *r)
{
    wat_token kw = peek(r), second = peek_n(r, 2);
    return r->lx.tok.kind == WAT_LPAR && is_kw(&kw, "module") && is_kw(&second, "instance");
}

/* The module of an assertion, at "(": it must be "(module". With instance, also
 * `(module instance ...)` (assert_unlinkable, assert_trap), written as an "instance" object
 * with the "module" to instantiate; a module definition is not one to instantiate. */
static bool read_assert_module(script_reader *r, bool instance)
{
    wat_token kw = peek(r);
    if (r->lx.tok.kind != WAT_LPAR || !is_kw(&kw, "module"))
        return unexpected(r, "a module");
    if (instance && at_instance(r)) {
        fputs(", \"instance\": {\"type\": \"module_instance\"", r->out);
        if (!read_instance(r))
            return false;
        fputc('}', r->out);
        return true;
    }
    wat_token def = peek_n(r, 2);
    if (instance && is_kw(&def, "definition"))
        return fail_at(r, &def, "misplaced module definition");
    return read_module(r, false);
}

/* cmd, at its "(" (the keyword is kw). */
static bool read_command(script_reader *r, const wat_token *kw)
{
    wat_token at = *kw;
    if (is_kw(kw, "module") && at_instance(r)) {
        begin_command(r, "module_instance", &at);
        if (!read_instance(r))
            return false;
        fputc('}', r->out);
        return true;
    }
    if (is_kw(kw, "module")) {
        begin_command(r, "module", &at);
        if (!read_module(r, false))
            return false;
        fputc('}', r->out);
        return true;
    }
    if (!next(r) || !next(r)) /* "(" keyword */
        return false;
    const wat_token *t = &r->lx.tok;
    if (is_kw(&at, "register")) {
        begin_command(r, "register", &at);
        if (t->kind != WAT_STRING)
            return unexpected(r, "the name to register as (a string)");
        fputs(", \"as\": ", r->out);
        if (!put_string_token(r, t))
            return fail_at(r, t, "out of memory");
        if (!next(r))
            return false;
        if (t->kind == WAT_ID) {
            fputs(", \"name\": ", r->out);
            put_id(r, t);
            if (!next(r))
                return false;
        }
        fputc('}', r->out);
        return expect(r, WAT_RPAR, "\")\"");
    }
    bool trap = is_kw(&at, "assert_trap");
    if (trap) {
        wat_token k = peek(r);
        bool on_module = t->kind == WAT_LPAR && is_kw(&k, "module");
        begin_command(r, on_module ? "assert_uninstantiable" : "assert_trap", &at);
        if (on_module ? !read_assert_module(r, true) : !read_action(r))
            return false;
        if (!read_message(r))
            return false;
        fputc('}', r->out);
        return true;
    }
    if (is_kw(&at, "assert_return")) {
        begin_command(r, "assert_return", &at);
        if (!read_action(r))
            return false;
        fputs(", \"expected\": [", r->out);
        for (size_t i = 0; t->kind != WAT_RPAR; i++) {
            if (i)
                fputs(", ", r->out);
            if (!read_value(r, true, true))
                return false;
        }
        fputs("]}", r->out);
        return expect(r, WAT_RPAR, "\")\"");
    }
    if (is_kw(&at, "assert_exhaustion")) {
        begin_command(r, "assert_exhaustion", &at);
        if (!read_action(r) || !read_message(r))
            return false;
        fputc('}', r->out);
        return true;
    }
    if (is_kw(&at, "assert_exception")) {
        begin_command(r, "assert_exception", &at);
        if (!read_action(r))
            return false;
        fputc('}', r->out);
        return expect(r, WAT_RPAR, "\")\"");
    }
    static const char *const module_asserts[] = {
        "assert_malformed",      "assert_invalid",          "assert_unlinkable",
        "assert_uninstantiable", "assert_malformed_custom", "assert_invalid_custom"};
    for (size_t k = 0; k < KILN_ARRAY_LEN(module_asserts); k++) {
        if (!is_kw(&at, module_asserts[k]))
            continue;
        begin_command(r, module_asserts[k], &at);
        bool instance = k == 2 || k == 3; /* assert_unlinkable, assert_uninstantiable */
        if (!read_assert_module(r, instance) || !read_message(r))
            return false;
        fputc('}', r->out);
        return true;
    }
    return fail_at(r, &at, "unknown command \"%.*s\"", (int)(at.len > 40 ? 40 : at.len), at.text);
}

/* action as a command: at its "(". */
static bool read_action_command(script_reader *r, const wat_token *kw)
{
    begin_command(r, "action", kw);
    /* read_action expects to be at "(" */
    if (!read_action(r))
        return false;
    fputs(", \"expected\": []}", r->out);
    return true;
}

/* The meta commands (script, input, output) at "(" with keyword kw: `(script $id? cmd*)`
 * names its commands, which run as if at the top (*depth counts the open ones; the caller
 * reads them and their ")"); `(output $id? string?)` writes a module out in the reference
 * interpreter and is skipped here; `(input ...)` (reading another file) is not supported. */
static bool read_meta(script_reader *r, const wat_token *kw, unsigned *depth)
{
    if (is_kw(kw, "input"))
        return fail_at(r, kw, "(input ...) is not supported");
    if (!next(r) || !next(r)) /* "(" keyword */
        return false;
    const wat_token *t = &r->lx.tok;
    if (t->kind == WAT_ID && !next(r))
        return false;
    if (is_kw(kw, "script")) {
        ++*depth;
        return true;
    }
    if (t->kind == WAT_STRING && !next(r))
        return false;
    return expect(r, WAT_RPAR, "\")\"");
}

/* A command that is neither meta, thread nor wait, at its "(" (keyword kw); known: kw is one
 * of read_script's commands. */
static bool read_plain_command(script_reader *r, const wat_token *kw, bool known)
{
    if (!known)
        return fail_at(r, kw, "unknown command \"%.*s\"", (int)(kw->len > 40 ? 40 : kw->len),
                       kw->text);
    if (is_kw(kw, "invoke") || is_kw(kw, "get"))
        return read_action_command(r, kw);
    return read_command(r, kw);
}

/* The command keywords read_plain_command takes. */
static bool is_plain_command(const wat_token *kw)
{
    static const char *const commands[] = {"module",
                                           "register",
                                           "invoke",
                                           "get",
                                           "assert_return",
                                           "assert_trap",
                                           "assert_exhaustion",
                                           "assert_malformed",
                                           "assert_invalid",
                                           "assert_unlinkable",
                                           "assert_uninstantiable",
                                           "assert_exception",
                                           "assert_malformed_custom",
                                           "assert_invalid_custom"};
    for (size_t k = 0; k < KILN_ARRAY_LEN(commands); k++)
        if (is_kw(kw, commands[k]))
            return true;
    return false;
}

/* The threads proposal's commands (its interpreter/README.md), at "(" with keyword kw:
 *   '(' 'thread' $id? ('(' 'shared' '(' 'module' $id ')' ')')* cmd* ')'
 *   '(' 'wait' $id ')'
 * written {"type": "thread", "name", "shared": [names], "commands": [...]} and
 * {"type": "wait", "thread"}; the runner runs each thread on a host thread (wast_run.c). A
 * thread's commands are the plain ones, wait and threads nested in it (at most
 * MAX_THREAD_NESTING deep), no meta command; its modules are converted as any others. */
#define MAX_THREAD_NESTING 64
static bool read_thread_or_wait(script_reader *r, const wat_token *kw)
{
    wat_token at = *kw;
    bool wait = is_kw(kw, "wait");
    begin_command(r, wait ? "wait" : "thread", &at);
    if (!next(r) || !next(r)) /* "(" keyword */
        return false;
    const wat_token *t = &r->lx.tok;
    if (wait) {
        if (t->kind != WAT_ID)
            return unexpected(r, "the thread's name");
        fputs(", \"thread\": ", r->out);
        put_id(r, t);
        fputc('}', r->out);
        return next(r) && expect(r, WAT_RPAR, "\")\"");
    }
    if (t->kind == WAT_ID) {
        fputs(", \"name\": ", r->out);
        put_id(r, t);
        if (!next(r))
            return false;
    }
    fputs(", \"shared\": [", r->out);
    for (bool first = true; t->kind == WAT_LPAR; first = false) {
        wat_token k = peek(r);
        if (!is_kw(&k, "shared"))
            break;
        /* ( shared ( module $id ) ) */
        if (!next(r) || !next(r) || !expect(r, WAT_LPAR, "\"(module\""))
            return false;
        if (!is_kw(t, "module"))
            return unexpected(r, "\"module\"");
        if (!next(r))
            return false;
        if (t->kind != WAT_ID)
            return unexpected(r, "the shared module's name");
        if (!first)
            fputs(", ", r->out);
        put_id(r, t);
        if (!next(r) || !expect(r, WAT_RPAR, "\")\"") || !expect(r, WAT_RPAR, "\")\""))
            return false;
    }
    fputs("], \"commands\": [", r->out);
    bool outer_first = r->first;
    r->first = true;
    if (r->threads == MAX_THREAD_NESTING)
        return fail_at(r, &at, "threads nested deeper than %u", MAX_THREAD_NESTING);
    r->threads++;
    while (t->kind != WAT_RPAR) {
        if (t->kind != WAT_LPAR)
            return unexpected(r, "a command or \")\"");
        wat_token k = peek(r);
        if (k.kind != WAT_KEYWORD)
            return unexpected(r, "a command");
        bool ok = is_kw(&k, "wait") || is_kw(&k, "thread")
                      ? read_thread_or_wait(r, &k)
                      : read_plain_command(r, &k, is_plain_command(&k));
        if (!ok)
            return false;
    }
    r->threads--;
    r->first = outer_first;
    fputs("]}", r->out);
    return next(r);
}

static bool read_script(script_reader *r)
{
    if (!next(r))
        return false;
    unsigned scripts = 0; /* open (script ...) commands */
    for (bool first = true; r->lx.tok.kind != WAT_EOF || scripts > 0; first = false) {
        if (r->lx.tok.kind == WAT_RPAR && scripts > 0) {
            scripts--;
            if (!next(r))
                return false;
            continue;
        }
        if (r->lx.tok.kind != WAT_LPAR)
            return unexpected(r, "a command");
        wat_token kw = peek(r);
        if (kw.kind == WAT_KEYWORD &&
            (is_kw(&kw, "script") || is_kw(&kw, "input") || is_kw(&kw, "output"))) {
            if (!read_meta(r, &kw, &scripts))
                return false;
            continue;
        }
        if (kw.kind != WAT_KEYWORD)
            return unexpected(r, "a command");
        if (is_kw(&kw, "thread") || is_kw(&kw, "wait")) {
            if (!read_thread_or_wait(r, &kw))
                return false;
            continue;
        }
        bool known = is_plain_command(&kw);
        static const char *const fields[] = {"type",   "rec", "import", "func",  "table", "memory",
                                             "global", "tag", "export", "start", "elem",  "data"};
        size_t f = 0;
        while (f < KILN_ARRAY_LEN(fields) && !is_kw(&kw, fields[f]))
            f++;
        if (!known && first && f < KILN_ARRAY_LEN(fields)) {
            /* "(func ...": module fields at the top level, the whole script one module */
            begin_command(r, "module", &kw);
            if (!read_module(r, true))
                return false;
            fputc('}', r->out);
            return true;
        }
        if (!read_plain_command(r, &kw, known))
            return false;
    }
    return true;
}

bool wast_text_read(const uint8_t *text, size_t size, const char *display, const char *dir,
                    const char *stem, FILE *out, bool wasm3, char *err, size_t err_size)
{
    script_reader r;
    memset(&r, 0, sizeof(r));
    kiln_arena_init(&r.arena, NULL);
    kiln_diag_init(&r.d);
    r.text = (const char *)text;
    r.size = size;
    r.path = display;
    r.dir = dir;
    r.stem = stem;
    r.first = true;
    r.err = err;
    r.err_size = err_size;
    r.out = out;
    r.wasm3 = wasm3;
    wat_lex_init(&r.lx, r.text, r.size, &r.arena, &r.d);
    fputs("{\"source_filename\": ", r.out);
    json_write_string(r.out, display, strlen(display));
    fputs(", \"converter\": \"kiln wast\"", r.out);
    fputs(",\n \"commands\": [", r.out);
    bool ok = read_script(&r);
    fputs("]}\n", r.out);
    kiln_arena_free(&r.arena);
    return ok;
}

bool wast_text_convert(const char *wast_path, const char *json_path, bool wasm3, char *err,
                       size_t err_size)
{
    host_file f;
    kiln_diag d;
    kiln_diag_init(&d);
    if (!host_read_file(wast_path, &f, &d)) {
        kiln_msg(err, err_size, "%s: %s", wast_path, d.msg);
        return false;
    }
    char dir[HOST_PATH_SIZE], stem[HOST_PATH_SIZE];
    const char *slash = strrchr(json_path, '/');
    const char *base = slash ? slash + 1 : json_path;
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - json_path) : 1,
             slash ? json_path : ".");
    if (dir[0] == '\0')
        snprintf(dir, sizeof(dir), "/");
    size_t base_len = strlen(base);
    if (wast_ends_with(base, ".json"))
        base_len -= 5;
    snprintf(stem, sizeof(stem), "%.*s", (int)base_len, base);

    char tmp[HOST_PATH_SIZE + 16];
    snprintf(tmp, sizeof(tmp), "%s.tmp", json_path);
    FILE *out = fopen(tmp, "w");
    bool ok = false;
    if (out == NULL) {
        kiln_msg(err, err_size, "cannot write %s", tmp);
    } else {
        ok = wast_text_read(f.data, f.size, wast_path, dir, stem, out, wasm3, err, err_size);
        if (fclose(out) != 0 && ok) {
            kiln_msg(err, err_size, "cannot write %s", tmp);
            ok = false;
        }
        if (ok && rename(tmp, json_path) != 0) {
            kiln_msg(err, err_size, "cannot write %s", json_path);
            ok = false;
        }
        if (!ok)
            remove(tmp);
    }
    host_file_free(&f);
    return ok;
}
