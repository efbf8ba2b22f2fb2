/* test_wat3.c -- unit tests for the text reader's WebAssembly 3.0 grammar: reference and
 * heap types, type definitions (struct, array, sub, rec), tags, i64 memories and tables,
 * table initialisers, typed element segments, multiple memories, and the instructions of
 * opcodes3.def (tail calls, typed function references, GC, exceptions, relaxed SIMD), and the
 * proposals threads, custom-page-sizes and wide-arithmetic.
 *
 * Expected module bytes are written out by hand, section by section. Those wat2wasm 1.0.39
 * can read (tags, exceptions, memory64, multi-memory, relaxed SIMD, tail calls) were checked
 * against it once, byte for byte; the GC and typed-reference encodings follow the binary
 * chapter of the 3.0 spec and the reference interpreter's choices (a rec group of one type
 * and (sub final) without supertypes are written as the plain type; (ref null abstract) as
 * its abbreviation's byte). Errors assert the exact message and the line:column.
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
    if (size != want_size || memcmp(out, want, want_size) != 0) {
        for (size_t i = 0; i < size; i++)
            fprintf(stderr, "0x%02x,%s", out[i], i % 16 == 15 ? "\n" : " ");
        fprintf(stderr, "\n");
    }
    assert_int_equal(size, want_size);
    assert_memory_equal(out, want, want_size);
    free(out);
}

static void expect_error(const char *text, const char *msg, uint32_t line, uint32_t column)
{
    uint8_t *out = NULL;
    size_t size = 0;
    kiln_diag d;
    kiln_diag_init(&d);
    bool ok = kiln_wat_to_wasm((const uint8_t *)text, strlen(text), &out, &size, &d);
    if (ok)
        fail_msg("accepted: %s", text);
    assert_int_equal(d.code, KILN_ERR_MALFORMED);
    assert_string_equal(d.msg, msg);
    assert_int_equal(d.line, line);
    assert_int_equal(d.column, column);
}

#define HEADER 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

static void test_reference_types(void **state)
{
    (void)state;
    static const char text[] =
        "(module\n"
        "  (type $f (func (param anyref eqref i31ref structref arrayref nullref)\n"
        "                 (result nullfuncref nullexternref exnref nullexnref)))\n"
        "  (type (func (param (ref any) (ref null $f) (ref $f) (ref null none))\n"
        "              (result (ref null 0))))\n"
        "  (func (type 1) unreachable))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x1a, 0x02,
        0x60, 0x06, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x04, 0x73, 0x72, 0x69, 0x74,
        0x60, 0x04, 0x64, 0x6e, 0x63, 0x00, 0x64, 0x00, 0x71, 0x01, 0x63, 0x00,
        0x03, 0x02, 0x01, 0x01,
        0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_struct_array_sub_rec(void **state)
{
    (void)state;
    static const char text[] =
        "(module\n"
        "  (rec\n"
        "    (type $s (sub (struct (field $x i32) (field (mut i64) i8) (field $z (mut i16)))))\n"
        "    (type $t (sub final $s (struct (field $x i32) (field (mut i64) i8)\n"
        "                                   (field $z (mut i16)) (field (ref null $t))))))\n"
        "  (rec)\n"
        "  (type $a (array (mut (ref null $s))))\n"
        "  (func (param (ref $t)) (result i32)\n"
        "    (struct.get_u $t $z (local.get 0)) drop\n"
        "    (struct.get $s 0 (local.get 0))))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x2b, 0x04,
        0x4e, 0x02,                                       /* rec of 2 */
        0x50, 0x00, 0x5f, 0x04, 0x7f, 0x00, 0x7e, 0x01, 0x78, 0x00, 0x77, 0x01,
        0x4f, 0x01, 0x00, 0x5f, 0x05, 0x7f, 0x00, 0x7e, 0x01, 0x78, 0x00, 0x77, 0x01,
        0x63, 0x01, 0x00,
        0x4e, 0x00,                                       /* (rec): an empty group */
        0x5e, 0x63, 0x00, 0x01,                           /* array (mut (ref null $s)) */
        0x60, 0x01, 0x64, 0x01, 0x01, 0x7f,               /* the implicit type: index 3 */
        0x03, 0x02, 0x01, 0x03,
        0x0a, 0x11, 0x01, 0x0f, 0x00,
        0x20, 0x00, 0xfb, 0x04, 0x01, 0x03, 0x1a,         /* struct.get_u $t $z: field 3 */
        0x20, 0x00, 0xfb, 0x02, 0x00, 0x00, 0x0b,
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

/* An implicit type use matches only a final func type without supertypes alone in its rec
 * group; (sub final (func)) and (rec (type ...)) of one are written as the plain type. */
static void test_implicit_type_matching(void **state)
{
    (void)state;
    static const char text[] = "(module\n"
                               "  (type (sub (func)))\n"
                               "  (rec (type (func)) (type (func)))\n"
                               "  (type (sub final (func)))\n"
                               "  (rec (type (func (param i32))))\n"
                               "  (func)\n"
                               "  (func (param i32)))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x15, 0x04,
        0x50, 0x00, 0x60, 0x00, 0x00,
        0x4e, 0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00,
        0x60, 0x00, 0x00,
        0x60, 0x01, 0x7f, 0x00,
        0x03, 0x03, 0x02, 0x03, 0x04,
        0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_tags_memory64_tables_multi_memory(void **state)
{
    (void)state;
    static const char text[] =
        "(module\n"
        "  (import \"m\" \"e\" (tag $i (param i32)))\n"
        "  (tag $t (export \"t\") (param i64))\n"
        "  (memory $m i64 (data \"ab\"))\n"
        "  (memory $n i64 1 0x1_0000_0000_0000)\n"
        "  (table i64 funcref (elem $f))\n"
        "  (table $u 2 (ref null func) (ref.func $f))\n"
        "  (table 3 externref (ref.null extern))\n"
        "  (func $f (param i64)\n"
        "    (i32.load8_u $n offset=0x1_0000_0000 align=1 (local.get 0)) drop\n"
        "    (i32.store 0 (i64.const 0) (i32.const 0))\n"
        "    (memory.copy $n $m (i64.const 0) (i64.const 0) (i64.const 0))\n"
        "    (memory.size $n) drop)\n"
        "  (export \"m\" (memory $n))\n"
        "  (elem $e (ref null func) (ref.null func) (item ref.func $f))\n"
        "  (data (memory $n) (i64.const 8) \"c\"))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7e, 0x00,
        0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'e', 0x04, 0x00, 0x00,      /* tag import */
        0x03, 0x02, 0x01, 0x01,
        0x04, 0x10, 0x03,
        0x70, 0x05, 0x01, 0x01,                                         /* i64, min = max */
        0x40, 0x00, 0x70, 0x00, 0x02, 0xd2, 0x00, 0x0b,                 /* initialiser */
        0x6f, 0x00, 0x03,                                               /* ref.null: plain */
        0x05, 0x0d, 0x02, 0x05, 0x01, 0x01,
        0x05, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40,           /* max 2^48 */
        0x0d, 0x03, 0x01, 0x00, 0x01,                                   /* tag section */
        0x07, 0x09, 0x02, 0x01, 't', 0x04, 0x01, 0x01, 'm', 0x02, 0x01,
        0x09, 0x10, 0x02,
        0x00, 0x42, 0x00, 0x0b, 0x01, 0x00,                             /* offset i64.const 0 */
        0x05, 0x70, 0x02, 0xd0, 0x70, 0x0b, 0xd2, 0x00, 0x0b,
        0x0a, 0x23, 0x01, 0x21, 0x00,
        0x20, 0x00, 0x2d, 0x40, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1a, /* align|0x40, mem 1 */
        0x42, 0x00, 0x41, 0x00, 0x36, 0x02, 0x00,
        0x42, 0x00, 0x42, 0x00, 0x42, 0x00, 0xfc, 0x0a, 0x01, 0x00,
        0x3f, 0x01, 0x1a, 0x0b,
        0x0b, 0x0f, 0x02,
        0x00, 0x42, 0x00, 0x0b, 0x02, 'a', 'b',
        0x02, 0x01, 0x42, 0x08, 0x0b, 0x01, 'c',
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_tail_calls_exceptions_relaxed_simd(void **state)
{
    (void)state;
    static const char text[] =
        "(module\n"
        "  (type $v (func))\n"
        "  (tag $x (param i32))\n"
        "  (table $t 1 funcref)\n"
        "  (func $g (param i32) (result i32)\n"
        "    (return_call $g (i32.const 0)))\n"
        "  (func (param i32) (result i32)\n"
        "    (block $o (result i32)\n"
        "      (try_table $in (result i32) (catch $x $o) (catch_all_ref 0)\n"
        "        (throw $x (i32.const 1))))\n"
        "    (return_call_indirect $t (param i32) (result i32) (i32.const 0)))\n"
        "  (func (result i32)\n"
        "    try $l (result i32)\n"
        "      i32.const 0\n"
        "    catch $x\n"
        "    catch_all\n"
        "      rethrow $l\n"
        "    end)\n"
        "  (func (param v128)\n"
        "    (i8x16.relaxed_swizzle (local.get 0) (local.get 0)) drop\n"
        "    (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 0) (local.get 0))\n"
        "    drop))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x15, 0x05, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7b, 0x00,
        0x03, 0x05, 0x04, 0x02, 0x02, 0x03, 0x04,
        0x04, 0x04, 0x01, 0x70, 0x00, 0x01,
        0x0d, 0x03, 0x01, 0x00, 0x01,
        0x0a, 0x42, 0x04,
        0x06, 0x00, 0x41, 0x00, 0x12, 0x00, 0x0b,                   /* return_call */
        0x17, 0x00, 0x02, 0x7f,
        0x1f, 0x7f, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00,             /* try_table: 2 catches */
        0x41, 0x01, 0x08, 0x00, 0x0b, 0x0b,
        0x41, 0x00, 0x13, 0x02, 0x00, 0x0b,                         /* return_call_indirect */
        0x0c, 0x00, 0x06, 0x7f, 0x41, 0x00, 0x07, 0x00, 0x19, 0x09, 0x00, 0x0b, 0x0b,
        0x14, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0x80, 0x02, 0x1a,
        0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0x93, 0x02, 0x1a, 0x0b,
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_gc_and_reference_instructions(void **state)
{
    (void)state;
    static const char text[] =
        "(module\n"
        "  (type $a (array (mut i8)))\n"
        "  (type $f (func))\n"
        "  (data $d \"xy\")\n"
        "  (elem $e func)\n"
        "  (func (param $p (ref null $f)) (param $q anyref)\n"
        "    (array.new_fixed $a 2 (i32.const 1) (i32.const 2)) drop\n"
        "    (array.new_data $a $d (i32.const 0) (i32.const 1)) drop\n"
        "    (array.init_elem $a $e (ref.null $a) (i32.const 0) (i32.const 0) (i32.const 0))\n"
        "    (array.copy $a $a (ref.null $a) (i32.const 0) (ref.null $a) (i32.const 0)\n"
        "                (i32.const 0))\n"
        "    (ref.test (ref $a) (local.get $q)) drop\n"
        "    (ref.cast i31ref (local.get $q)) drop\n"
        "    (block $l (result anyref)\n"
        "      (br_on_cast $l anyref (ref $a) (local.get $q)) drop\n"
        "      (br_on_cast_fail $l (ref any) (ref null i31) (ref.null any)))\n"
        "    (extern.convert_any) (any.convert_extern) (ref.eq (ref.null eq)) drop\n"
        "    (call_ref $f (ref.as_non_null (local.get $p)))\n"
        "    (block $n (br_on_null $n (local.get $p)) drop)\n"
        "    (select (result (ref null $f)) (local.get $p) (ref.null $f) (i32.const 1))\n"
        "    drop))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x0d, 0x03, 0x5e, 0x78, 0x01, 0x60, 0x00, 0x00, 0x60, 0x02, 0x63, 0x01, 0x6e, 0x00,
        0x03, 0x02, 0x01, 0x02,
        0x09, 0x04, 0x01, 0x01, 0x00, 0x00,
        0x0c, 0x01, 0x01,                                           /* data count */
        0x0a, 0x70, 0x01, 0x6e, 0x00,
        0x41, 0x01, 0x41, 0x02, 0xfb, 0x08, 0x00, 0x02, 0x1a,       /* array.new_fixed */
        0x41, 0x00, 0x41, 0x01, 0xfb, 0x09, 0x00, 0x00, 0x1a,       /* array.new_data */
        0xd0, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfb, 0x13, 0x00, 0x00,
        0xd0, 0x00, 0x41, 0x00, 0xd0, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfb, 0x11, 0x00, 0x00,
        0x20, 0x01, 0xfb, 0x14, 0x00, 0x1a,                         /* ref.test (ref $a) */
        0x20, 0x01, 0xfb, 0x17, 0x6c, 0x1a,                         /* ref.cast i31ref */
        0x02, 0x6e,
        0x20, 0x01, 0xfb, 0x18, 0x01, 0x00, 0x6e, 0x00, 0x1a,       /* br_on_cast */
        0xd0, 0x6e, 0xfb, 0x19, 0x02, 0x00, 0x6e, 0x6c, 0x0b,       /* br_on_cast_fail */
        0xfb, 0x1b, 0xfb, 0x1a, 0xd0, 0x6d, 0xd3, 0x1a,
        0x20, 0x00, 0xd4, 0x14, 0x01,                               /* call_ref $f */
        0x02, 0x40, 0x20, 0x00, 0xd5, 0x00, 0x1a, 0x0b,
        0x20, 0x00, 0xd0, 0x01, 0x41, 0x01, 0x1c, 0x01, 0x63, 0x01, 0x1a,
        0x0b,
        0x0b, 0x05, 0x01, 0x01, 0x02, 'x', 'y',
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_legacy_try_forms(void **state)
{
    (void)state;
    static const char text[] = "(module\n"
                               "  (tag $e)\n"
                               "  (func\n"
                               "    (try $t (do (throw $e)) (catch $e (rethrow $t)) (catch_all))\n"
                               "    (block $b (try (do nop) (delegate $b)))\n"
                               "    try $u delegate 0))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x0d, 0x03, 0x01, 0x00, 0x00,
        0x0a, 0x1a, 0x01, 0x18, 0x00,
        0x06, 0x40, 0x08, 0x00, 0x07, 0x00, 0x09, 0x00, 0x19, 0x0b,
        0x02, 0x40, 0x06, 0x40, 0x01, 0x18, 0x00, 0x0b,               /* delegate $b = 0 */
        0x06, 0x40, 0x18, 0x00,
        0x0b,
    };
    // clang-format on
    expect_bytes(text, want, sizeof want);
}

static void test_errors3(void **state)
{
    (void)state;
    expect_error("(type $s (struct (field $x i32) (field $x i64)))", "duplicate field", 1, 40);
    expect_error("(rec (type $a (func))) (type $a (func))", "duplicate type", 1, 30);
    /* A duplicate does not hide the names after it (no "unknown type $b" first). */
    expect_error("(func (type $b)) (type $a (func)) (type $a (func)) (type $b (func))",
                 "duplicate type", 1, 41);
    expect_error("(type (struct (field i32)))\n"
                 "(func (param (ref null 0)) (drop (struct.get 0 $y (local.get 0))))",
                 "unknown field $y", 2, 48);
    expect_error("(func (param (ref $nope)))", "unknown type $nope", 1, 19);
    expect_error("(func (param (ref null)))", "unexpected token", 1, 23);
    expect_error("(tag $t) (import \"m\" \"n\" (tag))", "import after tag", 1, 11);
    expect_error("(memory i64 0x1_0000_0000_0000_0000)", "constant out of range", 1, 13);
    expect_error("(memory 0x1_0000_0000)", "i32 constant out of range", 1, 9);
    /* A try_table's catches see the labels outside it, not its own. */
    expect_error("(func (block $b (try_table $l (catch_all $l))))", "unknown label", 1, 42);
    expect_error("(func (throw $nope))", "unknown tag $nope", 1, 14);
    expect_error("(func try catch_all end catch_all)", "unexpected token", 1, 25);
    expect_error("(func (try (do) (catch_all) (delegate 0)))", "unexpected token", 1, 29);
    expect_error("(func try catch_all delegate 0)", "unexpected token", 1, 21);
    expect_error("(func (try (do) (catch_all) (catch_all)))", "unexpected token", 1, 29);
    expect_error("(func try catch_all catch 0 end)", "unexpected token", 1, 21);
    expect_error("(func (try (catch_all)))", "unexpected token", 1, 13);
    expect_error("(type (sub $x (func)))", "unknown type $x", 1, 12);
    expect_error("(type (array i32 i64))", "unexpected token", 1, 18);
    expect_error("(func (ref.null $t) drop)", "unknown type $t", 1, 17);
    expect_error("(memory 1) (func (drop (i32.load $m (i32.const 0))))", "unknown memory $m", 1,
                 34);
    expect_error("(func (i32.frob))", "unknown operator i32.frob", 1, 8);
    /* A word no part of the grammar where a type should be, as the reference lexer says it;
     * a known word there stays "unexpected token". */
    expect_error("(global $g anyfunc (ref.null func))", "unknown operator anyfunc", 1, 12);
    expect_error("(global $g func (ref.null func))", "unexpected token", 1, 12);
    expect_error("(func (param i32 nop))", "unexpected token", 1, 18);
}

/* wat_to_wasm(wasm3): the 3.0 suite's side where it and the 2.0 suite disagree. */
static void test_wasm3_ranges(void **state)
{
    (void)state;
    static const char text[] =
        "(memory 0x1_0000_0000)\n"
        "(func (drop (i32.load offset=4294967296 align=0x8000_0000_0000_0000\n"
        "                        (i32.const 0))))";
    // clang-format off
    static const uint8_t want[] = {
        HEADER,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x05, 0x07, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10,  /* min 2^32: the validator's */
        0x0a, 0x0e, 0x01, 0x0c, 0x00,
        0x41, 0x00, 0x28, 0x3f, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1a, 0x0b, /* 2^63, 2^32 */
    };
    // clang-format on
    uint8_t *out;
    size_t size;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_true(wat_to_wasm((const uint8_t *)text, strlen(text), NULL, true, &out, &size, &d));
    assert_int_equal(size, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    free(out);
    /* The 2.0 default rejects the same text. */
    assert_false(wat_to_wasm((const uint8_t *)text, strlen(text), NULL, false, &out, &size, &d));
    assert_string_equal(d.msg, "i32 constant out of range");
    assert_int_equal(d.column, 9);

    static const char lane[] = "(module quote \"(func (result i32) (i32x4.extract_lane 256\"\n"
                               "  \"(v128.const i32x4 0 0 0 0)))\")";
    kiln_diag_init(&d);
    assert_false(wat_to_wasm((const uint8_t *)lane, strlen(lane), NULL, true, &out, &size, &d));
    assert_string_equal(d.msg, "i8 constant out of range (quoted text 1:40)");
    kiln_diag_init(&d);
    assert_false(wat_to_wasm((const uint8_t *)lane, strlen(lane), NULL, false, &out, &size, &d));
    assert_string_equal(d.msg, "malformed lane index (quoted text 1:40)");
}

static void expect_nomem_safe(const char *text);

/* Every allocation of the 3.0 paths failing in turn: a clean KILN_ERR_NOMEM, nothing leaked,
 * or the right bytes. */
static void test_nomem_3(void **state)
{
    (void)state;
    static const char text[] =
        "(module (rec (type $s (sub (struct (field $x i32) (field (mut i8)))))\n"
        "             (type $t (sub final $s (struct (field $x i32) (field (mut i8))))))\n"
        " (rec) (type $a (array (ref null $s))) (tag $e (param i32))\n"
        " (memory $m i64 (data \"x\")) (memory $n 1) (table 2 (ref null func) (ref.func $f))\n"
        " (func $f (param $p (ref null $t)) (result i32)\n"
        "   (drop (struct.get $t $x (local.get $p)))\n"
        "   (block $o (try_table (catch $e $o) (throw $e (i32.const 1))) (unreachable))\n"
        "   (i32.load8_u $n offset=4 (i32.const 0))))";
    expect_nomem_safe(text);
}

/* Fails the reader's N-th allocation for N = 1, 2, ... until it succeeds: every failure is
 * "out of memory" with nothing leaked, and the success gives the same bytes. */
static void expect_nomem_safe(const char *text)
{
    uint8_t *want;
    size_t want_size;
    size_t text_size = strlen(text);
    kiln_diag d;
    kiln_diag_init(&d);
    assert_true(kiln_wat_to_wasm((const uint8_t *)text, text_size, &want, &want_size, &d));
    size_t n;
    for (n = 1;; n++) {
        counting_allocator ca;
        counting_init(&ca, n);
        uint8_t *out;
        size_t size;
        kiln_diag_init(&d);
        bool ok =
            kiln_wat_to_wasm_with((const uint8_t *)text, text_size, &ca.base, &out, &size, &d);
        if (ok) {
            assert_int_equal(size, want_size);
            assert_memory_equal(out, want, size);
            ca.base.realloc(ca.base.ud, out, 0);
        } else {
            assert_int_equal(d.code, KILN_ERR_NOMEM);
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

/* The annotations the reader interprets (wat_annot.c): @custom sections at their places,
 * @name names in the name section, branch hints in metadata.code.branch_hint. The bytes follow
 * the annotations proposal's overview (custom and name annotations, the extended-name-section
 * subsection ids) and the branch-hinting proposal's section format (offsets from the first
 * byte of the function's local declarations). */
static void test_annotations(void **state)
{
    (void)state;
    /* Custom sections: (before first), after a section, before one that is not there
     * (code is), the default (after last); a nested known annotation inside an unknown one
     * is skipped with it. */
    static const char customs[] = "(module\n"
                                  "  (@custom \"a\" (before first) \"1\")\n"
                                  "  (type (func))\n"
                                  "  (@custom \"d\" \"\\ff\")\n"
                                  "  (@custom \"b\" (after type) \"2\")\n"
                                  "  (@x (@custom \"ignored\"))\n"
                                  "  (func (type 0))\n"
                                  "  (@custom \"c\" (before code)))";
    // clang-format off
    static const uint8_t customs_want[] = {
        HEADER,
        0x00, 0x03, 0x01, 'a', '1',             /* before first */
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,     /* type */
        0x00, 0x03, 0x01, 'b', '2',             /* after type */
        0x03, 0x02, 0x01, 0x00,                 /* function */
        0x00, 0x02, 0x01, 'c',                  /* before code */
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,     /* code */
        0x00, 0x03, 0x01, 'd', 0xff,            /* after last */
    };
    // clang-format on
    expect_bytes(customs, customs_want, sizeof customs_want);

    /* Branch hints on a folded br_if and a plain if of function 1 (an import is 0). */
    static const char hints[] =
        "(module\n"
        "  (import \"m\" \"f\" (func))\n"
        "  (func $f (param i32) (local i32)\n"
        "    (@metadata.code.branch_hint \"\\01\") (br_if 0 (local.get 0))\n"
        "    local.get 0\n"
        "    (@metadata.code.branch_hint \"\\00\") if end))";
    // clang-format off
    static const uint8_t hints_want[] = {
        HEADER,
        0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x00,
        0x02, 0x07, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00,
        0x03, 0x02, 0x01, 0x01,
        0x00, 0x23, 0x19, 'm', 'e', 't', 'a', 'd', 'a', 't', 'a', '.', 'c', 'o', 'd', 'e', '.',
        'b', 'r', 'a', 'n', 'c', 'h', '_', 'h', 'i', 'n', 't',
        0x01,                                   /* one function */
        0x01, 0x02,                             /* function 1, two hints */
        0x05, 0x01, 0x01,                       /* br_if at 5: likely */
        0x09, 0x01, 0x00,                       /* if at 9: unlikely */
        0x0a, 0x0f, 0x01, 0x0d,
        0x01, 0x01, 0x7f,                       /* offsets 0..2: the locals */
        0x20, 0x00, 0x0d, 0x00, 0x20, 0x00, 0x04, 0x40, 0x0b, 0x0b,
    };
    // clang-format on
    expect_bytes(hints, hints_want, sizeof hints_want);

    /* Names: module, function, parameter and local, global (subsection 7); the $ids are not
     * written. */
    static const char names[] = "(module (@name \"M\")\n"
                                "  (func $f (@name \"F\") (param $p (@name \"P\") i32)\n"
                                "    (local (@name \"L\") i64))\n"
                                "  (global (@name \"G\") i32 (i32.const 0)))";
    // clang-format off
    static const uint8_t names_want[] = {
        HEADER,
        0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x06, 0x06, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b,
        0x0a, 0x06, 0x01, 0x04, 0x01, 0x01, 0x7e, 0x0b,
        0x00, 0x20, 0x04, 'n', 'a', 'm', 'e',
        0x00, 0x02, 0x01, 'M',
        0x01, 0x04, 0x01, 0x00, 0x01, 'F',
        0x02, 0x09, 0x01, 0x00, 0x02, 0x00, 0x01, 'P', 0x01, 0x01, 'L',
        0x07, 0x04, 0x01, 0x00, 0x01, 'G',
    };
    // clang-format on
    expect_bytes(names, names_want, sizeof names_want);
    expect_nomem_safe(customs);
    expect_nomem_safe(hints);
    expect_nomem_safe(names);

    /* Malformed: reported once the module is read, the earliest in the text. */
    expect_error("(module (@custom \"x\" (after funcs)))",
                 "@custom annotation: malformed section kind", 1, 29);
    expect_error("(module (@custom \"x\" (at func)))", "@custom annotation: malformed placement", 1,
                 22);
    expect_error("(module (@custom \"x\" \"y\" (after func)))",
                 "@custom annotation: unexpected token", 1, 26);
    expect_error("(module (@custom))", "@custom annotation: missing section name", 1, 17);
    expect_error("(module (func (@custom \"x\")))", "misplaced @custom annotation", 1, 15);
    expect_error("(module (@name \"a\") (@name \"b\"))", "@name annotation: multiple module", 1,
                 21);
    expect_error("(module (func) (@name \"M\"))", "misplaced @name annotation", 1, 16);
    expect_error("(module\n  (func\n    (@metadata.code.branch_hint \"\\01\")\n"
                 "    (@metadata.code.branch_hint \"\\01\") (br_if 0 (i32.const 1))))",
                 "@metadata.code.branch_hint annotation: duplicate annotation", 4, 5);
    expect_error("(module (global i32 (@metadata.code.branch_hint \"\\00\") (i32.const 0)))",
                 "@metadata.code.branch_hint annotation: not in a function", 1, 21);
    expect_error("(module (func (@metadata.code.branch_hint \"\\02\") (br_if 0 (i32.const 1))))",
                 "@metadata.code.branch_hint annotation: malformed hint", 1, 43);

    /* Invalid (the module is well-formed): a hint on another instruction. */
    static const char target[] = "(module (func (@metadata.code.branch_hint \"\\01\") nop))";
    uint8_t *out = NULL;
    size_t size = 0;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_false(kiln_wat_to_wasm((const uint8_t *)target, strlen(target), &out, &size, &d));
    assert_int_equal(d.code, KILN_ERR_INVALID);
    assert_string_equal(d.msg, "@metadata.code.branch_hint annotation: invalid target");
    assert_int_equal(d.line, 1);
    assert_int_equal(d.column, 15);
}

/* Proposals beside 3.0 that Kiln reads but does not compile: threads (shared memories, the
 * 0xFE atomic instructions), custom-page-sizes ((pagesize n): limits flag 0x08, then log2 n)
 * and wide-arithmetic (0xFC 19..22). The encodings follow the proposals' overviews. */
static void test_threads_page_sizes_wide_arithmetic(void **state)
{
    (void)state;
    // clang-format off
    static const uint8_t shared32[] = {HEADER, 0x05, 0x04, 0x01, 0x03, 0x01, 0x02};
    static const uint8_t shared64[] = {HEADER, 0x05, 0x04, 0x01, 0x07, 0x01, 0x02};
    static const uint8_t page1[] = {HEADER, 0x05, 0x04, 0x01, 0x08, 0x00, 0x00};
    static const uint8_t shared_page[] = {HEADER, 0x05, 0x05, 0x01, 0x0b, 0x01, 0x02, 0x10};
    static const uint8_t page_data[] = {
        HEADER,
        0x05, 0x05, 0x01, 0x09, 0x03, 0x03, 0x00,   /* min = max = 3 pages of 1 byte */
        0x0b, 0x09, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x03, 0x78, 0x79, 0x7a,
    };
    static const uint8_t import_shared[] = {
        HEADER, 0x02, 0x09, 0x01, 0x01, 0x6d, 0x01, 0x6e, 0x02, 0x03, 0x01, 0x02};
    // clang-format on
    expect_bytes("(memory 1 2 shared)", shared32, sizeof shared32);
    expect_bytes("(memory i64 1 2 shared)", shared64, sizeof shared64);
    expect_bytes("(memory 0 (pagesize 1))", page1, sizeof page1);
    expect_bytes("(memory 1 2 shared (pagesize 65536))", shared_page, sizeof shared_page);
    expect_bytes("(memory (pagesize 1) (data \"xyz\"))", page_data, sizeof page_data);
    expect_bytes("(import \"m\" \"n\" (memory 1 2 shared))", import_shared, sizeof import_shared);

    static const char atomics[] =
        "(memory 1 1 shared)\n"
        "(func (param i32) (result i32)\n"
        "  (i32.atomic.rmw.cmpxchg offset=8 (local.get 0) (i32.const 1) (i32.const 2))\n"
        "  atomic.fence\n"
        "  (memory.atomic.notify (local.get 0) (i32.const 1)) i32.add\n"
        "  (i64.atomic.load8_u align=1 (local.get 0)) i32.wrap_i64 i32.add)";
    // clang-format off
    static const uint8_t atomics_want[] = {
        HEADER,
        0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x00,
        0x05, 0x04, 0x01, 0x03, 0x01, 0x01,
        0x0a, 0x22, 0x01, 0x20, 0x00,
        0x20, 0x00, 0x41, 0x01, 0x41, 0x02, 0xfe, 0x48, 0x02, 0x08, /* cmpxchg: align 4 */
        0xfe, 0x03, 0x00,                                           /* atomic.fence 0x00 */
        0x20, 0x00, 0x41, 0x01, 0xfe, 0x00, 0x02, 0x00, 0x6a,       /* notify */
        0x20, 0x00, 0xfe, 0x14, 0x00, 0x00, 0xa7, 0x6a,             /* load8_u */
        0x0b,
    };
    // clang-format on
    expect_bytes(atomics, atomics_want, sizeof atomics_want);

    /* A memory index: align | 0x40, then the index. */
    static const char multi[] =
        "(memory 1) (memory $b 1 1 shared)\n"
        "(func (drop (i64.atomic.rmw32.xchg_u $b offset=4 (i32.const 0) (i64.const 5))))";
    // clang-format off
    static const uint8_t multi_want[] = {
        HEADER,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x05, 0x06, 0x02, 0x00, 0x01, 0x03, 0x01, 0x01,
        0x0a, 0x0e, 0x01, 0x0c, 0x00,
        0x41, 0x00, 0x42, 0x05, 0xfe, 0x47, 0x42, 0x01, 0x04, 0x1a, 0x0b,
    };
    // clang-format on
    expect_bytes(multi, multi_want, sizeof multi_want);

    static const char wide[] =
        "(func (param i64 i64 i64 i64) (result i64 i64)\n"
        "  (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))";
    // clang-format off
    static const uint8_t wide_want[] = {
        HEADER,
        0x01, 0x0a, 0x01, 0x60, 0x04, 0x7e, 0x7e, 0x7e, 0x7e, 0x02, 0x7e, 0x7e,
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x0e, 0x01, 0x0c, 0x00,
        0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x03, 0xfc, 0x13, 0x0b,
    };
    // clang-format on
    expect_bytes(wide, wide_want, sizeof wide_want);

    /* Errors: the reference interpreters' wording, at the "(" of (pagesize n). */
    expect_error("(memory 0 (pagesize 3))", "invalid custom page size", 1, 11);
    expect_error("(memory 0 (pagesize 0))", "invalid custom page size", 1, 11);
    expect_error("(memory (pagesize 0) (data))", "invalid custom page size", 1, 9);
    expect_error("(memory 0 (pagesize 0x4000_0000_0000_0000))", "invalid custom page size", 1, 11);
    expect_error("(memory 0 (pagesize $p))", "unexpected token", 1, 21);
    expect_error("(memory 1 shared 2)", "unexpected token", 1, 18);
    expect_error("(table 1 2 shared funcref)", "unexpected token", 1, 12);
    expect_error("(func atomic.fence 0)", "unexpected token", 1, 20);
    expect_error("(memory 1 1 shared) (func (drop (i32.atomic.load align=3 (i32.const 0))))",
                 "alignment must be a power of two", 1, 50);
    expect_error("(func i64.add129)", "unknown operator i64.add129", 1, 7);
    /* 3.0 reads limits as u64s: past them, its "i64 constant out of range". */
    static const char big[] = "(memory 0x1_0000_0000_0000_0000 (pagesize 1))";
    uint8_t *out = NULL;
    size_t size = 0;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_false(wat_to_wasm((const uint8_t *)big, strlen(big), NULL, true, &out, &size, &d));
    assert_string_equal(d.msg, "i64 constant out of range");
    assert_int_equal(d.column, 9);
}

/* opcodes3.def's counts, as its header comment gives them. */
static void test_opcodes3_table(void **state)
{
    (void)state;
    unsigned plain = 0, gc = 0, misc = 0, simd = 0, atomic = 0;
#define OP3(id, name, prefix, code, imm, feature)                                                  \
    do {                                                                                           \
        if ((prefix) == 0)                                                                         \
            plain++;                                                                               \
        else if ((prefix) == 0xFB)                                                                 \
            gc++;                                                                                  \
        else if ((prefix) == 0xFC)                                                                 \
            misc++;                                                                                \
        else if ((prefix) == 0xFD)                                                                 \
            simd++;                                                                                \
        else if ((prefix) == 0xFE)                                                                 \
            atomic++;                                                                              \
        assert_true(strlen(name) > 0 && strlen(feature) > 0);                                      \
    } while (0);
#include "opcodes3.def"
#undef OP3
    assert_int_equal(plain, 16);
    assert_int_equal(gc, 31);
    assert_int_equal(misc, 0); /* wide arithmetic moved to opcodes.def: compiled */
    assert_int_equal(simd, 0); /* relaxed SIMD moved to opcodes.def: compiled */
    assert_int_equal(atomic, 67);
    assert_int_equal(plain + gc + misc + simd + atomic, WASM_OP3_COUNT);
}

/* The unsupported-feature error of a 3.0 type definition, placed back in the text: a type
 * at its "type" keyword, a rec group at its "rec" keyword. */
static void locate_unsupported(const char *text, uint32_t line, uint32_t column, const char *msg)
{
    uint8_t *out;
    size_t size;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_true(kiln_wat_to_wasm((const uint8_t *)text, strlen(text), &out, &size, &d));
    wasm_module m;
    bool valid = kiln_decode(&m, out, size, NULL, &d) && kiln_validate(&m, NULL, &d);
    wasm_module_free(&m);
    free(out);
    assert_false(valid);
    assert_int_equal(d.code, KILN_ERR_UNSUPPORTED);
    assert_string_equal(d.msg, msg);
    assert_true(kiln_wat_locate((const uint8_t *)text, strlen(text), &d));
    assert_int_equal(d.line, line);
    assert_int_equal(d.column, column);
}

static void test_locate_types(void **state)
{
    (void)state;
    locate_unsupported("(module\n  (type (func))\n  (type $s (struct (field i32))))", 3, 4,
                       "unsupported feature: gc (struct type)");
    locate_unsupported("(module\n  (rec\n    (type $a (func))\n    (type $b (array i8))))", 2, 4,
                       "unsupported feature: gc (recursive type group)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_types),
        cmocka_unit_test(test_struct_array_sub_rec),
        cmocka_unit_test(test_implicit_type_matching),
        cmocka_unit_test(test_tags_memory64_tables_multi_memory),
        cmocka_unit_test(test_tail_calls_exceptions_relaxed_simd),
        cmocka_unit_test(test_gc_and_reference_instructions),
        cmocka_unit_test(test_legacy_try_forms),
        cmocka_unit_test(test_errors3),
        cmocka_unit_test(test_wasm3_ranges),
        cmocka_unit_test(test_nomem_3),
        cmocka_unit_test(test_threads_page_sizes_wide_arithmetic),
        cmocka_unit_test(test_opcodes3_table),
        cmocka_unit_test(test_locate_types),
        cmocka_unit_test(test_annotations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
