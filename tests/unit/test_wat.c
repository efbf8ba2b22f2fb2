/* test_wat.c -- unit tests for the text reader: wat_lex.c (tokens, numbers, strings) and
 * kiln_wat_to_wasm (abbreviations, encoding choices, errors).
 *
 * Expected module bytes are written out by hand, section by section (each was also checked
 * once against wat2wasm 1.0.32, which agrees on all of them). Errors assert the class, the
 * exact message and the line:column. Hostile inputs (deep nesting, unclosed comments, huge
 * numbers) must end in a diagnostic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_alloc.h"
#include "wat.h"

/* One token of text, lexed alone. */
typedef struct lexed {
    kiln_arena arena;
    kiln_diag d;
    wat_lexer lx;
    bool ok;
} lexed;

static void lex1(lexed *l, const char *text)
{
    kiln_arena_init(&l->arena, NULL);
    kiln_diag_init(&l->d);
    wat_lex_init(&l->lx, text, strlen(text), &l->arena, &l->d);
    l->ok = wat_next(&l->lx);
}

static void lex_free(lexed *l)
{
    kiln_arena_free(&l->arena);
}

static uint8_t kind_of(const char *text)
{
    lexed l;
    lex1(&l, text);
    assert_true(l.ok);
    uint8_t k = l.lx.tok.kind;
    lex_free(&l);
    return k;
}

static void test_lex_token_kinds(void **state)
{
    (void)state;
    assert_int_equal(kind_of("("), WAT_LPAR);
    assert_int_equal(kind_of(")"), WAT_RPAR);
    assert_int_equal(kind_of("  ;; nothing\n (; nested (; ;) ;) "), WAT_EOF);
    assert_int_equal(kind_of("i32.add"), WAT_KEYWORD);
    assert_int_equal(kind_of("offset=8"), WAT_KEYWORD);
    assert_int_equal(kind_of("nan:canonical"), WAT_KEYWORD);
    assert_int_equal(kind_of("$x"), WAT_ID);
    assert_int_equal(kind_of("\"s\""), WAT_STRING);
    assert_int_equal(kind_of("42"), WAT_NUM);
    assert_int_equal(kind_of("-0x1p-3"), WAT_NUM);
    assert_int_equal(kind_of("nan:0x1"), WAT_NUM);
    assert_int_equal(kind_of("+inf"), WAT_NUM);
    /* Malformed numbers are reserved tokens, not keywords. */
    assert_int_equal(kind_of("1_"), WAT_RESERVED);
    assert_int_equal(kind_of("1__0"), WAT_RESERVED);
    assert_int_equal(kind_of("0x"), WAT_RESERVED);
    assert_int_equal(kind_of("0x1p"), WAT_RESERVED);
    assert_int_equal(kind_of(".5"), WAT_RESERVED);
    assert_int_equal(kind_of("0drop"), WAT_RESERVED);
    assert_int_equal(kind_of("nan:1"), WAT_RESERVED);
    assert_int_equal(kind_of("$"), WAT_RESERVED);
}

static void test_lex_positions_and_annotations(void **state)
{
    (void)state;
    lexed l;
    lex1(&l, "(@custom \"x\" (nested))\n  ;; c\n (;\n;)  $id");
    assert_true(l.ok);
    assert_int_equal(l.lx.tok.kind, WAT_ID);
    assert_int_equal(l.lx.tok.line, 4);
    assert_int_equal(l.lx.tok.column, 5);
    assert_int_equal(l.lx.tok.name_len, 2);
    assert_memory_equal(l.lx.tok.name, "id", 2);
    lex_free(&l);

    lex1(&l, "$\"a b\"");
    assert_true(l.ok);
    assert_int_equal(l.lx.tok.kind, WAT_ID);
    assert_int_equal(l.lx.tok.name_len, 3);
    assert_memory_equal(l.lx.tok.name, "a b", 3);
    lex_free(&l);
}

static void expect_lex_error(const char *text, const char *msg, uint32_t line, uint32_t column)
{
    lexed l;
    lex1(&l, text);
    while (l.ok && l.lx.tok.kind != WAT_EOF)
        l.ok = wat_next(&l.lx);
    assert_false(l.ok);
    assert_int_equal(l.d.code, KILN_ERR_MALFORMED);
    assert_string_equal(l.d.msg, msg);
    assert_int_equal(l.d.line, line);
    assert_int_equal(l.d.column, column);
    lex_free(&l);
}

static void test_lex_errors(void **state)
{
    (void)state;
    expect_lex_error("(; never closed", "unclosed comment", 1, 1);
    expect_lex_error("x\n  (; one\n(; two ;)\n", "unclosed comment", 2, 3);
    expect_lex_error("\n (@ann\n \"x\"", "unclosed annotation", 2, 2);
    expect_lex_error("x \"abc", "unclosed string literal", 1, 3);
    expect_lex_error("\"a\\qb\"", "illegal escape", 1, 3);
    expect_lex_error("\"\\u{d800}\"", "illegal escape", 1, 2);
    expect_lex_error("\"\\u{110000}\"", "illegal escape", 1, 2);
    expect_lex_error("\"\x80\"", "malformed UTF-8 encoding", 1, 2);
    expect_lex_error("\n  \"tab\there\"", "illegal control character in string", 2, 7);
    expect_lex_error("(data\"a\")", "unknown operator", 1, 2);
    expect_lex_error("\"a\"\"b\"", "unknown operator", 1, 1);
    expect_lex_error("$\"\"", "empty identifier", 1, 1);
    expect_lex_error("{", "unknown operator", 1, 1);
}

static void test_lex_string_escapes(void **state)
{
    (void)state;
    lexed l;
    lex1(&l, "\"\\t\\n\\r\\\"\\'\\\\\\00\\ff\\u{41}\\u{e9}\\u{1F600}\"");
    assert_true(l.ok);
    uint8_t out[64];
    size_t n = wat_string(&l.lx.tok, out);
    static const uint8_t want[] = {'\t', '\n', '\r', '"',  '\'', '\\', 0x00, 0xff,
                                   'A',  0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    lex_free(&l);
}

/* wat_int on text: true and *out, or false. */
static bool int_of(const char *text, unsigned bits, uint64_t *out)
{
    lexed l;
    lex1(&l, text);
    bool ok = l.ok && wat_int(&l.lx.tok, bits, out);
    lex_free(&l);
    return ok;
}

static void test_lex_integers(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(int_of("0", 32, &v));
    assert_int_equal(v, 0);
    assert_true(int_of("1_000_000", 32, &v));
    assert_int_equal(v, 1000000);
    assert_true(int_of("0xffff_ffff", 32, &v));
    assert_int_equal(v, 0xffffffffu);
    assert_true(int_of("-0x8000_0000", 32, &v));
    assert_int_equal(v, 0x80000000u);
    assert_true(int_of("-1", 32, &v));
    assert_int_equal(v, 0xffffffffu);
    assert_true(int_of("+7", 32, &v));
    assert_int_equal(v, 7);
    assert_false(int_of("0x1_0000_0000", 32, &v)); /* 2^32 */
    assert_false(int_of("-0x8000_0001", 32, &v));  /* -2^31 - 1 */
    assert_false(int_of("1.0", 32, &v));           /* not an integer */
    assert_true(int_of("18446744073709551615", 64, &v));
    assert_int_equal(v, UINT64_MAX);
    assert_true(int_of("-9223372036854775808", 64, &v));
    assert_int_equal(v, (uint64_t)1 << 63);
    assert_false(int_of("18446744073709551616", 64, &v)); /* 2^64 */
    assert_false(int_of("-9223372036854775809", 64, &v));
    assert_false(int_of("0x1_0000_0000_0000_0000", 64, &v));

    uint64_t nat;
    assert_true(wat_nat_text("0x10", 4, &nat));
    assert_int_equal(nat, 16);
    assert_false(wat_nat_text("-1", 2, &nat));
    assert_false(wat_nat_text("1_", 2, &nat));
}

static bool f32_of(const char *text, uint32_t *out)
{
    lexed l;
    lex1(&l, text);
    bool ok = l.ok && wat_f32(&l.lx.tok, out);
    lex_free(&l);
    return ok;
}

static bool f64_of(const char *text, uint64_t *out)
{
    lexed l;
    lex1(&l, text);
    bool ok = l.ok && wat_f64(&l.lx.tok, out);
    lex_free(&l);
    return ok;
}

static void test_lex_floats(void **state)
{
    (void)state;
    uint32_t f;
    uint64_t d;
    assert_true(f32_of("0.1", &f));
    assert_int_equal(f, 0x3dcccccd);
    assert_true(f32_of("-0", &f));
    assert_int_equal(f, 0x80000000u);
    assert_true(f32_of("1.e1", &f)); /* an empty fraction */
    assert_int_equal(f, 0x41200000);
    assert_true(f32_of("0x1.p1", &f));
    assert_int_equal(f, 0x40000000);
    assert_true(f32_of("0x1p-149", &f)); /* the smallest subnormal */
    assert_int_equal(f, 1);
    assert_true(f32_of("0x1p-150", &f)); /* halfway to 0: ties to even */
    assert_int_equal(f, 0);
    assert_true(f32_of("0x1.fffffep127", &f));
    assert_int_equal(f, 0x7f7fffff);
    assert_true(f32_of("0x1.fffffefffp127", &f)); /* below the halfway point: rounds down */
    assert_int_equal(f, 0x7f7fffff);
    assert_false(f32_of("0x1.ffffffp127", &f)); /* halfway: rounds to 2^128, out of range */
    assert_false(f32_of("1e39", &f));
    assert_true(f32_of("1_0.0_1e0_1", &f));
    assert_int_equal(f, 0x42c83333); /* 100.1 */
    assert_true(f32_of("inf", &f));
    assert_int_equal(f, 0x7f800000);
    assert_true(f32_of("-inf", &f));
    assert_int_equal(f, 0xff800000u);
    assert_true(f32_of("nan", &f));
    assert_int_equal(f, 0x7fc00000);
    assert_true(f32_of("-nan", &f));
    assert_int_equal(f, 0xffc00000u);
    assert_true(f32_of("nan:0x1", &f));
    assert_int_equal(f, 0x7f800001);
    assert_true(f32_of("nan:0x7f_ffff", &f));
    assert_int_equal(f, 0x7fffffff);
    assert_false(f32_of("nan:0x0", &f));       /* a NaN needs a payload */
    assert_false(f32_of("nan:0x80_0000", &f)); /* wider than 23 bits */

    assert_true(f64_of("0x1.fffffffffffffp1023", &d));
    assert_int_equal(d, 0x7fefffffffffffffull);
    assert_false(f64_of("0x1p+1024", &d));
    assert_false(f64_of("1e309", &d));
    assert_true(f64_of("0x1p-1074", &d));
    assert_int_equal(d, 1);
    assert_true(f64_of("-nan:0xf_ffff_ffff_ffff", &d));
    assert_int_equal(d, 0xffffffffffffffffull);
    assert_false(f64_of("nan:0x10_0000_0000_0000", &d));
    assert_false(f64_of("nan:0x0", &d));
    assert_true(f64_of("1", &d));
    assert_int_equal(d, 0x3ff0000000000000ull);
    /* A literal longer than the lexer's stack buffer. */
    char big[400] = "0.";
    memset(big + 2, '1', 300);
    assert_true(f64_of(big, &d));
    assert_int_equal(d, 0x3fbc71c71c71c71cull); /* 0.111... */
}

/* Converts text; on success compares with want. */
static void expect_bytes(const char *text, const uint8_t *want, size_t want_size)
{
    uint8_t *out;
    size_t size;
    kiln_diag d;
    kiln_diag_init(&d);
    bool ok = kiln_wat_to_wasm((const uint8_t *)text, strlen(text), &out, &size, &d);
    if (!ok)
        fail_msg("%u:%u: %s", (unsigned)d.line, (unsigned)d.column, d.msg);
    assert_int_equal(size, want_size);
    assert_memory_equal(out, want, want_size);
    free(out);
}

#define HEADER 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

static void test_inline_import_export_and_named_locals(void **state)
{
    (void)state;
    static const char text[] =
        "(module\n"
        "  (func $log (import \"env\" \"log\") (param i32))\n"
        "  (func (export \"run\") (export \"go\") (param $x i32) (local $y i64)\n"
        "    (call $log (local.get $x))))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,   /* type: [i32] -> [], shared by both */
        0x02, 0x0b, 0x01, 0x03, 'e', 'n', 'v', 0x03, 'l', 'o', 'g', 0x00, 0x00, /* import */
        0x03, 0x02, 0x01, 0x00,                     /* function: type 0 */
        0x07, 0x0c, 0x02, 0x03, 'r', 'u', 'n', 0x00, 0x01, 0x02, 'g', 'o', 0x00, 0x01,
        0x0a, 0x0a, 0x01, 0x08, 0x01, 0x01, 0x7e,   /* code: 1 local group: 1 x i64 */
        0x20, 0x00, 0x10, 0x00, 0x0b,               /* local.get 0, call 0, end */
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_memory_data_and_table_elem_abbreviations(void **state)
{
    (void)state;
    static const char text[] = "(memory (export \"mem\") (data \"hi\" \"!\"))\n"
                               "(table $t funcref (elem $a $b))\n"
                               "(func $a) (func $b)";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                             /* type: [] -> [] */
        0x03, 0x03, 0x02, 0x00, 0x00,                                   /* function: 2 x type 0 */
        0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x02,                       /* table: min = max = 2 */
        0x05, 0x04, 0x01, 0x01, 0x01, 0x01,                             /* memory: 1 page, max 1 */
        0x07, 0x07, 0x01, 0x03, 'm', 'e', 'm', 0x02, 0x00,              /* export memory 0 */
        0x09, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x01,     /* elem: flags 0, at 0 */
        0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,           /* two empty bodies */
        0x0b, 0x09, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x03, 'h', 'i', '!',  /* data at 0 */
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_folded_blocks_and_labels(void **state)
{
    (void)state;
    static const char text[] = "(module\n"
                               "  (func (param i32) (result i32)\n"
                               "    (block $out (result i32)\n"
                               "      (loop $top\n"
                               "        (br_if $out (local.get 0) (local.get 0))\n"
                               "        br $top)\n"
                               "      unreachable)))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, /* type: [i32] -> [i32] */
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x13, 0x01, 0x11, 0x00,
        0x02, 0x7f,                                     /* block (result i32): short form */
        0x03, 0x40,                                     /* loop */
        0x20, 0x00, 0x20, 0x00,                         /* the folded operands first */
        0x0d, 0x01,                                     /* br_if $out = depth 1 */
        0x0c, 0x00,                                     /* br $top = depth 0 */
        0x0b, 0x00, 0x0b, 0x0b,                         /* end loop, unreachable, end, end */
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_implicit_types_and_segments(void **state)
{
    (void)state;
    static const char text[] =
        "(type $v (func))\n"
        "(func (result f32) (f32.const -0x1p-1) (block (param f32) (result f32)))\n"
        "(func (type $v))\n"
        "(global $g (mut i64) (i64.const -1))\n"
        "(elem declare func 1)\n"
        "(data (memory 0) (offset (i32.const 8)) \"\\01\\u{e9}\")\n"
        "(memory 1 2)\n"
        "(start 1)";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        /* types: the explicit one, then the implicit ones in the order they are used */
        0x01, 0x0d, 0x03, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7d, 0x60, 0x01, 0x7d, 0x01, 0x7d,
        0x03, 0x03, 0x02, 0x01, 0x00,                   /* function: types 1 and 0 */
        0x05, 0x04, 0x01, 0x01, 0x01, 0x02,             /* memory 1 2 */
        0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x7f, 0x0b, /* global mut i64 = -1 */
        0x08, 0x01, 0x01,                               /* start 1 */
        0x09, 0x05, 0x01, 0x03, 0x00, 0x01, 0x01,       /* elem: declarative, func 1 */
        0x0a, 0x0f, 0x02,
        0x0a, 0x00, 0x43, 0x00, 0x00, 0x00, 0xbf,       /* f32.const -0.5 */
        0x02, 0x02, 0x0b, 0x0b,                         /* block type 2: an index */
        0x02, 0x00, 0x0b,
        0x0b, 0x09, 0x01, 0x00, 0x41, 0x08, 0x0b, 0x03, 0x01, 0xc3, 0xa9, /* data */
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_binary_and_quote_modules(void **state)
{
    (void)state;
    static const uint8_t empty[] = {HEADER};
    expect_bytes("(module $m binary \"\\00asm\" \"\\01\\00\\00\\00\")", empty, sizeof empty);
    expect_bytes("(module quote \"(mod\" \"ule)\")", empty, sizeof empty);
    expect_bytes(";; nothing but a comment\n", empty, sizeof empty);
}

static void test_empty_else_and_typed_select(void **state)
{
    (void)state;
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0a, 0x13, 0x01, 0x11, 0x00,
        0x41, 0x00, 0x04, 0x40, 0x0b,             /* if, an empty else left out */
        0x41, 0x01, 0x41, 0x02, 0x41, 0x00,
        0x1c, 0x01, 0x7f, 0x1a,                   /* select (result i32), drop */
        0x0b,
    };
    // clang-format on
    expect_bytes("(func (if (i32.const 0) (then) (else))"
                 " (drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0))))",
                 want, sizeof want);
}

/* Converts text and expects a malformed-text error at line:column. */
static void expect_error(const char *text, const char *msg, uint32_t line, uint32_t column)
{
    static uint8_t sentinel[1];
    uint8_t *out = sentinel;
    size_t size = 1;
    kiln_diag d;
    kiln_diag_init(&d);
    bool ok = kiln_wat_to_wasm((const uint8_t *)text, strlen(text), &out, &size, &d);
    if (ok)
        fail_msg("accepted: %s", text);
    assert_null(out);
    assert_int_equal(size, 0);
    assert_int_equal(d.code, KILN_ERR_MALFORMED);
    assert_string_equal(d.msg, msg);
    if (d.line != line || d.column != column)
        fail_msg("%s: at %u:%u, expected %u:%u", text, (unsigned)d.line, (unsigned)d.column,
                 (unsigned)line, (unsigned)column);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("(func (block $a (br $b)))", "unknown label", 1, 21);
    expect_error("(func block $a end $b)", "mismatching label", 1, 20);
    expect_error("(func i32.const 0 if else $l end)", "mismatching label", 1, 27);
    expect_error("(type $t (func (param i32)))\n(func (type $t) (param i64))",
                 "inline function type", 2, 13);
    expect_error("(func (type 9) (param i32))", "unknown type", 1, 13);
    expect_error("(func (call $nope))", "unknown func $nope", 1, 13);
    expect_error("(func (i32.const 4294967296) drop)", "constant out of range", 1, 18);
    expect_error("(func (f32.const 1e39) drop)", "constant out of range", 1, 18);
    expect_error("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))",
                 "alignment must be a power of two", 1, 34);
    expect_error("(memory 1) (func (drop (i32.load offset=-1 (i32.const 0))))", "unknown operator",
                 1, 34);
    expect_error("(memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0))))",
                 "i32 constant out of range", 1, 34);
    expect_error("(func (i32.frob))", "unknown operator i32.frob", 1, 8);
    expect_error("(func (nop) (result i32))", "unexpected token", 1, 14);
    expect_error("(func (result i32) (param i32))", "unexpected token", 1, 21);
    expect_error("(func) (import \"\" \"\" (func))", "import after function", 1, 9);
    expect_error("(global i32 (i32.const 0)) (func (import \"\" \"\"))", "import after global", 1,
                 34);
    expect_error("(func $f) (func $f)", "duplicate func", 1, 17);
    expect_error("(func (param $x i32) (local $x i32))", "duplicate local", 1, 29);
    expect_error("(func $a) (start $a) (start $a)", "multiple start sections", 1, 23);
    expect_error("(func (export \"\\ff\"))", "malformed UTF-8 encoding", 1, 15);
    expect_error("(func (v128.const i32x4 1 2 3) drop)", "wrong number of lane literals", 1, 29);
}

static void test_errors_lanes_and_ends(void **state)
{
    (void)state;
    expect_error("(func (i8x16.extract_lane_u 256 (v128.const i64x2 0 0)) drop)",
                 "malformed lane index", 1, 29);
    expect_error("(func (i8x16.extract_lane_u -1 (v128.const i64x2 0 0)) drop)", "unexpected token",
                 1, 29);
    expect_error("(func (i8x16.shuffle 0 1 2) drop)", "invalid lane length", 1, 26);
    expect_error("(module (func)", "unexpected end", 1, 15);
    expect_error("(module (func)) (func)", "unexpected token", 1, 17);
    expect_error("(module\n  quote \"(func\" \" (i32.frob))\")",
                 "unknown operator i32.frob (quoted text 1:8)", 2, 3);
    expect_error("(module\n  (func\n    (i32.const 0)\n    (local.get $x)))", "unknown local", 4,
                 16);
}

static void test_hostile_inputs(void **state)
{
    (void)state;
    /* Folded instructions nested far deeper than the limit: a limit error, no crash. */
    size_t depth = 100000;
    size_t n = depth * 6 + 64;
    char *text = malloc(n);
    assert_non_null(text);
    size_t len = (size_t)sprintf(text, "(func ");
    for (size_t i = 0; i < depth; i++)
        len += (size_t)sprintf(text + len, "(nop ");
    for (size_t i = 0; i < depth; i++)
        text[len++] = ')';
    text[len++] = ')';
    uint8_t *out;
    size_t size;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_false(kiln_wat_to_wasm((const uint8_t *)text, len, &out, &size, &d));
    assert_int_equal(d.code, KILN_ERR_LIMIT);
    assert_string_equal(d.msg, "nesting too deep: more than 1000 folded instructions");

    /* Plain blocks nest without recursion, up to KILN_MAX_NESTING labels. */
    len = (size_t)sprintf(text, "(func ");
    for (size_t i = 0; i < 20000; i++)
        len += (size_t)sprintf(text + len, "block ");
    for (size_t i = 0; i < 20000; i++)
        len += (size_t)sprintf(text + len, "end ");
    text[len++] = ')';
    kiln_diag_init(&d);
    assert_false(kiln_wat_to_wasm((const uint8_t *)text, len, &out, &size, &d));
    assert_int_equal(d.code, KILN_ERR_LIMIT);
    assert_string_equal(d.msg, "nesting too deep: more than 10000 blocks");

    /* Every prefix of a module: a diagnostic or a module, never a crash. */
    static const char module[] =
        "(module (type $t (func (param i32))) (import \"a\" \"b\" (func $i (type $t)))\n"
        " (table $tab 2 funcref) (memory 1) (global (mut i32) (i32.const 0))\n"
        " (func $f (export \"f\") (param $p i32) (result i32) (local f64)\n"
        "   (block $b (result i32) (br_table $b 0 (i32.const 1) (local.get $p))))\n"
        " (elem (table $tab) (i32.const 0) func $f $i) (data (i32.const 0) \"x\"))";
    for (size_t cut = 0; cut < sizeof module - 1; cut++) {
        kiln_diag_init(&d);
        if (kiln_wat_to_wasm((const uint8_t *)module, cut, &out, &size, &d))
            free(out);
        else
            assert_int_not_equal(d.code, KILN_OK);
    }
    kiln_diag_init(&d);
    assert_true(kiln_wat_to_wasm((const uint8_t *)module, sizeof module - 1, &out, &size, &d));
    wasm_module m;
    assert_true(kiln_decode(&m, out, size, NULL, &d));
    assert_true(kiln_validate(&m, NULL, &d));
    wasm_module_free(&m);
    free(out);
    free(text);
}

static void test_text_detection(void **state)
{
    (void)state;
    assert_true(kiln_is_wat((const uint8_t *)"(module)", 8));
    assert_true(kiln_is_wat((const uint8_t *)";; c\n(; x ;) (func)", 17));
    assert_false(kiln_is_wat((const uint8_t *)"\0asm\1\0\0\0", 8));
    assert_false(kiln_is_wat((const uint8_t *)"hello", 5));
    assert_false(kiln_is_wat((const uint8_t *)"", 0));
    const uint8_t *bytes;
    size_t size;
    uint8_t *owned;
    kiln_diag d;
    kiln_diag_init(&d);
    static const uint8_t bin[] = {HEADER};
    assert_true(kiln_module_input(bin, sizeof bin, &bytes, &size, &owned, &d));
    assert_ptr_equal(bytes, bin);
    assert_null(owned);
    assert_true(kiln_module_input((const uint8_t *)"(module)", 8, &bytes, &size, &owned, &d));
    assert_non_null(owned);
    assert_int_equal(size, 8);
    assert_memory_equal(bytes, bin, 8);
    free(owned);
    char msg[128];
    kiln_diag_init(&d);
    assert_false(
        kiln_module_input((const uint8_t *)"(module\n (oops))", 16, &bytes, &size, &owned, &d));
    kiln_diag_format(&d, "x.wat", msg, sizeof msg);
    assert_string_equal(msg, "x.wat:2:3: error: unexpected token");
}

/* Validation errors in converted text, mapped back to the instruction's line:column. */
static void test_locate_validation_errors(void **state)
{
    (void)state;
    static const char text[] = "(module\n"
                               "  (func (result i32)\n"
                               "    (i32.add (i32.const 1) (i64.const 2))))\n";
    uint8_t *out;
    size_t size;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_true(kiln_wat_to_wasm((const uint8_t *)text, sizeof text - 1, &out, &size, &d));
    wasm_module m;
    assert_true(kiln_decode(&m, out, size, NULL, &d));
    assert_false(kiln_validate(&m, NULL, &d));
    wasm_module_free(&m);
    free(out);
    assert_string_equal(d.msg, "type mismatch: i32.add expects i32 but got i64");
    assert_true(kiln_wat_locate((const uint8_t *)text, sizeof text - 1, &d));
    assert_int_equal(d.line, 3);
    assert_int_equal(d.column, 6); /* the folded i32.add, written after its operands */
    assert_int_equal(d.offset, 34);

    /* An entry (an export of a function that does not exist): the export's field. */
    static const char text2[] = "(module\n  (func)\n  (export \"f\" (func 3)))";
    kiln_diag_init(&d);
    assert_true(kiln_wat_to_wasm((const uint8_t *)text2, sizeof text2 - 1, &out, &size, &d));
    assert_true(kiln_decode(&m, out, size, NULL, &d));
    assert_false(kiln_validate(&m, NULL, &d));
    wasm_module_free(&m);
    free(out);
    assert_true(kiln_wat_locate((const uint8_t *)text2, sizeof text2 - 1, &d));
    assert_int_equal(d.line, 3);
    assert_int_equal(d.column, 4); /* the keyword export */

    /* Bytes given as (module binary ...) have no place in the text: the offset stays. */
    static const char text3[] = "(module binary \"\\00asm\\01\\00\\00\\00\" "
                                "\"\\07\\05\\01\\01f\\00\\03\")";
    kiln_diag_init(&d);
    assert_true(kiln_wat_to_wasm((const uint8_t *)text3, sizeof text3 - 1, &out, &size, &d));
    assert_true(kiln_decode(&m, out, size, NULL, &d));
    assert_false(kiln_validate(&m, NULL, &d));
    wasm_module_free(&m);
    free(out);
    size_t binary_offset = d.offset;
    assert_false(kiln_wat_locate((const uint8_t *)text3, sizeof text3 - 1, &d));
    assert_int_equal(d.offset, binary_offset);
    assert_int_equal(d.line, 0);
}

/* Failing the N-th allocation, for every N: "out of memory", never a crash or a leak. */
static void test_nomem_at_every_allocation(void **state)
{
    (void)state;
    static const char text[] =
        "(module (type $t (func (param i32))) (import \"a\" \"b\" (func $i (type $t)))\n"
        " (table $tab funcref (elem $f)) (memory (data \"x\")) (global $g (mut i32) (i32.const "
        "0))\n"
        " (func $f (export \"f\") (param $p i32) (result i32) (local $\"l\" f64)\n"
        "   (block $b (result i32) (br_table $b 0 (i32.const 1) (local.get $p))))\n"
        " (elem (table $tab) (i32.const 0) funcref (ref.func $f)) (data \"y\")\n"
        " (func (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1))"
        " (drop (block (param i32) (result i32) (local.get 0)))))";
    uint8_t *want;
    size_t want_size;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_true(kiln_wat_to_wasm((const uint8_t *)text, sizeof text - 1, &want, &want_size, &d));
    size_t n;
    for (n = 1;; n++) {
        counting_allocator ca;
        counting_init(&ca, n);
        uint8_t *out;
        size_t size;
        kiln_diag_init(&d);
        bool ok = kiln_wat_to_wasm_with((const uint8_t *)text, sizeof text - 1, &ca.base, &out,
                                        &size, &d);
        if (ok) {
            /* Either the failure point was never reached, or what failed was not needed (an
             * element list is built both ways and one is dropped): the bytes are right. */
            assert_int_equal(size, want_size);
            assert_memory_equal(out, want, size);
            ca.base.realloc(ca.base.ud, out, 0);
        } else {
            assert_int_equal(d.code, KILN_ERR_NOMEM);
            assert_int_equal(d.offset, KILN_NO_OFFSET);
            assert_int_equal(strncmp(d.msg, "out of memory", 13), 0);
            assert_null(out);
        }
        assert_int_equal(ca.live, 0);
        if (ca.calls < n)
            break;
        assert_true(n < 10000);
    }
    free(want);
    assert_true(n > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lex_token_kinds),
        cmocka_unit_test(test_lex_positions_and_annotations),
        cmocka_unit_test(test_lex_errors),
        cmocka_unit_test(test_lex_string_escapes),
        cmocka_unit_test(test_lex_integers),
        cmocka_unit_test(test_lex_floats),
        cmocka_unit_test(test_inline_import_export_and_named_locals),
        cmocka_unit_test(test_memory_data_and_table_elem_abbreviations),
        cmocka_unit_test(test_folded_blocks_and_labels),
        cmocka_unit_test(test_implicit_types_and_segments),
        cmocka_unit_test(test_binary_and_quote_modules),
        cmocka_unit_test(test_empty_else_and_typed_select),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_errors_lanes_and_ends),
        cmocka_unit_test(test_hostile_inputs),
        cmocka_unit_test(test_text_detection),
        cmocka_unit_test(test_locate_validation_errors),
        cmocka_unit_test(test_nomem_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
