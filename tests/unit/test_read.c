/* test_read.c -- unit tests for the reader's foundations: read.c, diag.c and arena.c.
 *
 * Every failure case asserts the class, the byte offset and the exact message, because the
 * messages are an interface: the spec test suite matches their prefix, and users read the
 * rest. Inputs are commented byte arrays. Arena tests run on a counting allocator that can
 * be told to fail, and check that everything obtained is given back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "toolchain.h"
#include "test_alloc.h"
#include "wasm_builder.h"

#define END "unexpected end of section or function"

/* A reader over a byte array literal, with its own diag. */
typedef struct reader_fixture {
    kiln_reader r;
    kiln_diag d;
} reader_fixture;

static kiln_reader *open_reader(reader_fixture *f, const uint8_t *bytes, size_t n)
{
    kiln_diag_init(&f->d);
    rd_init(&f->r, bytes, n, &f->d);
    return &f->r;
}
#define OPEN(f, arr) open_reader((f), (arr), sizeof(arr))

static void expect_error(const kiln_diag *d, kiln_err code, size_t offset, const char *msg)
{
    assert_string_equal(d->msg, msg);
    assert_int_equal(d->code, code);
    assert_int_equal(d->offset, offset);
}

/*
 * diag.c
 */

static void test_diag_first_error_wins(void **state)
{
    (void)state;
    kiln_diag d;
    kiln_diag_init(&d);
    assert_int_equal(d.code, KILN_OK);
    assert_int_equal(d.offset, KILN_NO_OFFSET);
    assert_int_equal(d.func_index, KILN_NO_FUNC);
    assert_false(kiln_diag_set(&d, KILN_ERR_MALFORMED, 0x1f, "integer too large: %s", "count"));
    assert_false(kiln_diag_set(&d, KILN_ERR_INVALID, 3, "type mismatch"));
    expect_error(&d, KILN_ERR_MALFORMED, 0x1f, "integer too large: count");
}

static void test_diag_truncates_long_messages(void **state)
{
    (void)state;
    kiln_diag d;
    kiln_diag_init(&d);
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    kiln_diag_set(&d, KILN_ERR_IO, KILN_NO_OFFSET, "%s", big);
    assert_int_equal(strlen(d.msg), sizeof d.msg - 1);
}

static void test_err_class_names(void **state)
{
    (void)state;
    assert_string_equal(kiln_err_class(KILN_ERR_MALFORMED), "malformed");
    assert_string_equal(kiln_err_class(KILN_ERR_INVALID), "invalid");
    assert_string_equal(kiln_err_class(KILN_ERR_UNSUPPORTED), "unsupported");
    assert_string_equal(kiln_err_class(KILN_ERR_LIMIT), "limit");
    assert_string_equal(kiln_err_class(KILN_ERR_NOMEM), "nomem");
    assert_string_equal(kiln_err_class(KILN_ERR_IO), "io");
    assert_string_equal(kiln_err_class(KILN_ERR_LLVM), "llvm");
    assert_string_equal(kiln_err_class(KILN_OK), "ok");
}

static void test_diag_format(void **state)
{
    (void)state;
    kiln_diag d;
    char buf[256];
    kiln_diag_init(&d);
    kiln_diag_set(&d, KILN_ERR_MALFORMED, 0x1f, "integer too large: type count");
    kiln_diag_format(&d, "fac.wasm", buf, sizeof buf);
    assert_string_equal(buf, "fac.wasm:0x1f: error: integer too large: type count");

    d.func_index = 3;
    kiln_diag_format(&d, "fac.wasm", buf, sizeof buf);
    assert_string_equal(buf, "fac.wasm:0x1f: error: integer too large: type count (in function 3)");

    d.offset = 0;
    d.func_index = KILN_NO_FUNC;
    kiln_diag_format(&d, "a.wasm", buf, sizeof buf);
    assert_string_equal(buf, "a.wasm:0x0: error: integer too large: type count");

    d.offset = KILN_NO_OFFSET;
    kiln_diag_format(&d, "a.wasm", buf, sizeof buf);
    assert_string_equal(buf, "a.wasm: error: integer too large: type count");

    kiln_diag_format(&d, NULL, buf, sizeof buf);
    assert_string_equal(buf, "error: integer too large: type count");

    /* The return value is the full length, as with snprintf. */
    char tiny[8];
    int n = kiln_diag_format(&d, "a.wasm", tiny, sizeof tiny);
    assert_int_equal(n, (int)strlen("a.wasm: error: integer too large: type count"));
    assert_string_equal(tiny, "a.wasm:");
}

/*
 * LEB128
 */

static void test_rd_u32_values(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[5];
        size_t len;
        uint32_t value;
    } cases[] = {
        {{0x00}, 1, 0},
        {{0x7f}, 1, 127},
        {{0x80, 0x01}, 2, 128},
        {{0xe5, 0x8e, 0x26}, 3, 624485},
        {{0xff, 0xff, 0xff, 0xff, 0x0f}, 5, UINT32_MAX}, /* max: 4 unused bits clear */
        {{0x80, 0x80, 0x80, 0x80, 0x00}, 5, 0},          /* padded zero is allowed */
        {{0x82, 0x80, 0x80, 0x80, 0x00}, 5, 2},          /* padded 2 */
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        reader_fixture f;
        kiln_reader *r = open_reader(&f, cases[i].bytes, cases[i].len);
        uint32_t v = 1234;
        assert_true(rd_u32(r, &v, "test value"));
        assert_int_equal(v, cases[i].value);
        assert_true(rd_done(r));
    }
}

static void test_rd_u32_rejects_overlong_leb(void **state)
{
    (void)state;
    static const uint8_t overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00}; /* 6-byte u32 */
    reader_fixture f;
    uint32_t v;
    assert_false(rd_u32(OPEN(&f, overlong), &v, "type count"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 5, "integer representation too long: type count");

    /* A continuation bit in the 5th byte is too long even when nothing follows. */
    static const uint8_t cont5[] = {0xff, 0xff, 0xff, 0xff, 0x8f};
    assert_false(rd_u32(OPEN(&f, cont5), &v, "x"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 5, "integer representation too long: x");
}

static void test_rd_u32_rejects_unused_bits(void **state)
{
    (void)state;
    static const uint8_t cases[][5] = {
        {0x80, 0x80, 0x80, 0x80, 0x10}, /* 2^32: bit 4 of the last byte */
        {0x82, 0x80, 0x80, 0x80, 0x70}, /* padded, high bits set */
        {0x82, 0x80, 0x80, 0x80, 0x40}, {0xff, 0xff, 0xff, 0xff, 0x1f},
        {0xff, 0xff, 0xff, 0xff, 0x90}, /* too large wins over the continuation bit */
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        reader_fixture f;
        uint32_t v;
        assert_false(rd_u32(open_reader(&f, cases[i], 5), &v, "memory minimum"));
        expect_error(&f.d, KILN_ERR_MALFORMED, 4, "integer too large: memory minimum");
    }
}

static void test_rd_u32_unterminated(void **state)
{
    (void)state;
    static const uint8_t cut[] = {0x80, 0x80}; /* continuation, then nothing */
    reader_fixture f;
    uint32_t v;
    assert_false(rd_u32(OPEN(&f, cut), &v, "function count"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 2, END ": function count");

    assert_false(rd_u32(open_reader(&f, NULL, 0), &v, "empty"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 0, END ": empty");
}

static void test_rd_s32_values_and_sign_bits(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[5];
        size_t len;
        int32_t value;
    } ok[] = {
        {{0x00}, 1, 0},
        {{0x7f}, 1, -1},
        {{0x3f}, 1, 63},
        {{0x40}, 1, -64},
        {{0xc0, 0x00}, 2, 64},
        {{0x80, 0x7f}, 2, -128},
        {{0xff, 0xff, 0xff, 0xff, 0x07}, 5, INT32_MAX},
        {{0x80, 0x80, 0x80, 0x80, 0x78}, 5, INT32_MIN},
        {{0xff, 0xff, 0xff, 0xff, 0x7f}, 5, -1}, /* padded -1 */
        {{0x80, 0x80, 0x80, 0x80, 0x00}, 5, 0},  /* padded 0 */
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(ok); i++) {
        reader_fixture f;
        int32_t v = 1234;
        assert_true(rd_s32(open_reader(&f, ok[i].bytes, ok[i].len), &v, "i32"));
        assert_int_equal(v, ok[i].value);
    }
    /* The 4 unused bits of the 5th byte must all equal the sign bit (bit 3). */
    static const uint8_t too_large[][5] = {
        {0x80, 0x80, 0x80, 0x80, 0x08}, /* 2^31 */
        {0xff, 0xff, 0xff, 0xff, 0x77}, /* -2^31 - 1 */
        {0x80, 0x80, 0x80, 0x80, 0x70}, {0xff, 0xff, 0xff, 0xff, 0x0f},
        {0x80, 0x80, 0x80, 0x80, 0x1f}, {0xff, 0xff, 0xff, 0xff, 0x4f},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(too_large); i++) {
        reader_fixture f;
        int32_t v;
        assert_false(rd_s32(open_reader(&f, too_large[i], 5), &v, "i32 constant"));
        expect_error(&f.d, KILN_ERR_MALFORMED, 4, "integer too large: i32 constant");
    }
    static const uint8_t too_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}; /* 6 bytes */
    reader_fixture f;
    int32_t v;
    assert_false(rd_s32(OPEN(&f, too_long), &v, "i32 constant"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 5, "integer representation too long: i32 constant");
}

static void test_rd_s33_block_type_range(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[5];
        size_t len;
        int64_t value;
    } ok[] = {
        {{0x40}, 1, -64},
        {{0x7f}, 1, -1},
        {{0xff, 0xff, 0xff, 0xff, 0x0f}, 5, (int64_t)UINT32_MAX}, /* largest type index */
        {{0x80, 0x80, 0x80, 0x80, 0x70}, 5, -((int64_t)1 << 32)}, /* smallest s33 */
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(ok); i++) {
        reader_fixture f;
        int64_t v = 0;
        assert_true(rd_s33(open_reader(&f, ok[i].bytes, ok[i].len), &v, "block type"));
        assert_int_equal(v, ok[i].value);
    }
    static const uint8_t too_large[][5] = {
        {0x80, 0x80, 0x80, 0x80, 0x10}, /* 2^32: bits 4..6 not all the sign */
        {0xff, 0xff, 0xff, 0xff, 0x6f},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(too_large); i++) {
        reader_fixture f;
        int64_t v;
        assert_false(rd_s33(open_reader(&f, too_large[i], 5), &v, "block type"));
        expect_error(&f.d, KILN_ERR_MALFORMED, 4, "integer too large: block type");
    }
    static const uint8_t too_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    reader_fixture f;
    int64_t v;
    assert_false(rd_s33(OPEN(&f, too_long), &v, "block type"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 5, "integer representation too long: block type");
}

static void test_rd_64_bit_leb(void **state)
{
    (void)state;
    reader_fixture f;
    static const uint8_t u64_max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    uint64_t u;
    assert_true(rd_u64(OPEN(&f, u64_max), &u, "u64"));
    assert_true(u == UINT64_MAX);
    static const uint8_t u64_large[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    assert_false(rd_u64(OPEN(&f, u64_large), &u, "u64"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 9, "integer too large: u64");

    static const uint8_t s64_max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    static const uint8_t s64_min[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f};
    int64_t s;
    assert_true(rd_s64(OPEN(&f, s64_max), &s, "i64"));
    assert_true(s == INT64_MAX);
    assert_true(rd_s64(OPEN(&f, s64_min), &s, "i64"));
    assert_true(s == INT64_MIN);
    static const uint8_t minus_one[] = {0x7f};
    assert_true(rd_s64(OPEN(&f, minus_one), &s, "i64"));
    assert_true(s == -1);

    static const uint8_t s64_large[][10] = {
        {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
        {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(s64_large); i++) {
        assert_false(rd_s64(open_reader(&f, s64_large[i], 10), &s, "i64 constant"));
        expect_error(&f.d, KILN_ERR_MALFORMED, 9, "integer too large: i64 constant");
    }
    static const uint8_t s64_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0x7f}; /* 11 bytes */
    assert_false(rd_s64(OPEN(&f, s64_long), &s, "i64 constant"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 10, "integer representation too long: i64 constant");
}

/* rd_u32_u64: a u64 that Wasm 2.0 reads as a u32. */
static void test_rd_u32_u64(void **state)
{
    (void)state;
    reader_fixture f;
    kiln_diag wasm2;
    uint64_t v;
    /* A valid u32 records nothing. */
    static const uint8_t u32_max[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
    kiln_reader *r = OPEN(&f, u32_max);
    kiln_diag_init(&wasm2);
    r->wasm2 = &wasm2;
    assert_true(rd_u32_u64(r, &v, "limits minimum"));
    assert_true(v == UINT32_MAX);
    assert_int_equal(rd_offset(r), 5);
    assert_int_equal(wasm2.code, KILN_OK);
    /* 2^32, after a byte: read, and the u32 error recorded; the first one stays. */
    static const uint8_t two[] = {0x00, 0x80, 0x80, 0x80, 0x80, 0x10,
                                  0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    r = OPEN(&f, two);
    r->wasm2 = &wasm2;
    r->p++;
    assert_true(rd_u32_u64(r, &v, "limits minimum"));
    assert_true(v == UINT64_C(0x100000000));
    assert_int_equal(rd_offset(r), 6);
    expect_error(&wasm2, KILN_ERR_MALFORMED, 5, "integer too large: limits minimum");
    assert_true(rd_u32_u64(r, &v, "limits maximum")); /* 0 in 6 bytes */
    assert_true(v == 0);
    assert_true(rd_done(r));
    expect_error(&wasm2, KILN_ERR_MALFORMED, 5, "integer too large: limits minimum");
    assert_int_equal(f.d.code, KILN_OK);
    /* Without r->wasm2 nothing is recorded. */
    r = OPEN(&f, two);
    r->p++;
    assert_true(rd_u32_u64(r, &v, "memarg offset"));
    assert_int_equal(f.d.code, KILN_OK);
    /* No u64 either: the u32 error, and r stays. */
    static const uint8_t large[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    r = OPEN(&f, large);
    kiln_diag_init(&wasm2);
    r->wasm2 = &wasm2;
    assert_false(rd_u32_u64(r, &v, "memarg offset"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 4, "integer too large: memarg offset");
    assert_int_equal(rd_offset(r), 0);
    assert_int_equal(wasm2.code, KILN_OK);
    static const uint8_t long11[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x00};
    assert_false(rd_u32_u64(OPEN(&f, long11), &v, "memarg offset"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 5, "integer representation too long: memarg offset");
    static const uint8_t cut[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
    assert_false(rd_u32_u64(OPEN(&f, cut), &v, "limits maximum"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 5, "integer representation too long: limits maximum");
    static const uint8_t short1[] = {0x80};
    assert_false(rd_u32_u64(OPEN(&f, short1), &v, "limits maximum"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, END ": limits maximum");
}

static void test_rd_floats_little_endian(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0x00, 0x00, 0x80, 0x3f,                         /* 1.0f */
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xbf, /* -1.0 */
                                    0x01, 0x02};
    reader_fixture f;
    kiln_reader *r = OPEN(&f, bytes);
    uint32_t f32;
    uint64_t f64;
    assert_true(rd_f32(r, &f32, "f32"));
    assert_int_equal(f32, 0x3f800000u);
    assert_true(rd_f64(r, &f64, "f64"));
    assert_true(f64 == 0xbff0000000000000ull);
    assert_false(rd_f32(r, &f32, "f32 constant"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 12, END ": f32 constant");
    assert_int_equal(rd_offset(r), 12); /* a failed read consumes nothing */
}

static void test_rd_u8_and_bytes(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0xaa, 0xbb, 0xcc};
    reader_fixture f;
    kiln_reader *r = OPEN(&f, bytes);
    uint8_t b;
    const uint8_t *p;
    assert_true(rd_u8(r, &b, "byte"));
    assert_int_equal(b, 0xaa);
    assert_false(rd_bytes(r, 3, &p, "payload"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 1, END ": payload");
    assert_true(rd_bytes(r, 2, &p, "payload"));
    assert_ptr_equal(p, bytes + 1);
    assert_true(rd_done(r));
    assert_false(rd_u8(r, &b, "byte"));
    assert_false(rd_bytes(r, SIZE_MAX, &p, "huge")); /* no pointer is formed past end */
}

static void test_rd_fail_records_first_error(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {1, 2, 3, 4};
    reader_fixture f;
    kiln_reader *r = OPEN(&f, bytes);
    r->p += 2;
    assert_false(rd_fail(r, KILN_ERR_INVALID, "type mismatch: %d", 7));
    assert_false(rd_fail_at(r, 0, KILN_ERR_MALFORMED, "later"));
    expect_error(&f.d, KILN_ERR_INVALID, 2, "type mismatch: 7");
}

/*
 * Names and UTF-8
 */

static void test_rd_name_valid(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {
        0x00,                                     /* "" */
        0x03, 'a',  'b',  'c',                    /* "abc" */
        0x0b, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, /* "é€😀" */
        0x9f, 0x98, 0x80, 0x7f, 0x00,             /* + U+007F, U+0000 */
    };
    reader_fixture f;
    kiln_reader *r = OPEN(&f, bytes);
    const char *s;
    uint32_t n;
    assert_true(rd_name(r, &s, &n, "name"));
    assert_int_equal(n, 0);
    assert_true(rd_name(r, &s, &n, "name"));
    assert_int_equal(n, 3);
    assert_memory_equal(s, "abc", 3);
    assert_true(rd_name(r, &s, &n, "name"));
    assert_int_equal(n, 11);
    assert_ptr_equal(s, (const char *)bytes + 6); /* a slice of the input */
    assert_true(rd_done(r));
}

static void test_rd_name_rejects_malformed_utf8(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[6];
        size_t len;
        const char *why;
    } bad[] = {
        {{0x02, 0xc0, 0x80}, 3, "overlong 2-byte NUL"},
        {{0x02, 0xc1, 0xbf}, 3, "overlong 2-byte U+007F"},
        {{0x03, 0xe0, 0x80, 0x80}, 4, "overlong 3-byte"},
        {{0x03, 0xe0, 0x9f, 0xbf}, 4, "overlong 3-byte U+07FF"},
        {{0x04, 0xf0, 0x80, 0x80, 0x80}, 5, "overlong 4-byte"},
        {{0x04, 0xf0, 0x8f, 0xbf, 0xbf}, 5, "overlong 4-byte U+FFFF"},
        {{0x03, 0xed, 0xa0, 0x80}, 4, "surrogate U+D800"},
        {{0x03, 0xed, 0xbf, 0xbf}, 4, "surrogate U+DFFF"},
        {{0x04, 0xf4, 0x90, 0x80, 0x80}, 5, "U+110000"},
        {{0x04, 0xf5, 0x80, 0x80, 0x80}, 5, "lead byte F5"},
        {{0x01, 0xff}, 2, "byte FF"},
        {{0x01, 0x80}, 2, "lone continuation byte"},
        {{0x02, 0xe2, 0x82}, 3, "truncated 3-byte sequence"},
        {{0x03, 0xf0, 0x9f, 0x98}, 4, "truncated 4-byte sequence"},
        {{0x02, 0xc3, 0x41}, 3, "continuation byte missing"},
        {{0x03, 0xe2, 0x82, 0x41}, 4, "third byte not a continuation"},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(bad); i++) {
        reader_fixture f;
        const char *s;
        uint32_t n;
        assert_false(rd_name(open_reader(&f, bad[i].bytes, bad[i].len), &s, &n, "import name"));
        expect_error(&f.d, KILN_ERR_MALFORMED, 0, "malformed UTF-8 encoding: import name");
    }
}

static void test_utf8_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint8_t s[4];
        size_t n;
        bool ok;
    } cases[] = {
        {{0x7f}, 1, true},                    /* U+007F */
        {{0xc2, 0x80}, 2, true},              /* U+0080 */
        {{0xdf, 0xbf}, 2, true},              /* U+07FF */
        {{0xe0, 0xa0, 0x80}, 3, true},        /* U+0800 */
        {{0xed, 0x9f, 0xbf}, 3, true},        /* U+D7FF */
        {{0xee, 0x80, 0x80}, 3, true},        /* U+E000 */
        {{0xef, 0xbf, 0xbf}, 3, true},        /* U+FFFF */
        {{0xf0, 0x90, 0x80, 0x80}, 4, true},  /* U+10000 */
        {{0xf4, 0x8f, 0xbf, 0xbf}, 4, true},  /* U+10FFFF */
        {{0xed, 0xa0, 0x80}, 3, false},       /* U+D800 */
        {{0xf4, 0x90, 0x80, 0x80}, 4, false}, /* U+110000 */
        {{0xc2}, 1, false},                   /* cut */
        {{0xf8, 0x88, 0x80, 0x80}, 4, false}, /* 5-byte lead */
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++)
        assert_int_equal(kiln_utf8_valid(cases[i].s, cases[i].n), cases[i].ok);
    assert_true(kiln_utf8_valid(NULL, 0));
}

static void test_rd_name_length_checks(void **state)
{
    (void)state;
    reader_fixture f;
    const char *s;
    uint32_t n;
    /* The length counts from its own first byte: 3 > 2 bytes there. */
    static const uint8_t oob[] = {0x03, 'a'};
    assert_false(rd_name(OPEN(&f, oob), &s, &n, "export name"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 0, "length out of bounds: export name");
    /* 2 bytes from the length byte on, but only 1 after it: runs off the end. */
    static const uint8_t short_by_one[] = {0x02, 'a'};
    assert_false(rd_name(OPEN(&f, short_by_one), &s, &n, "export name"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 0, END ": export name");
    /* A huge length never forms a pointer. */
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 'a'};
    assert_false(rd_name(OPEN(&f, huge), &s, &n, "export name"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 0, "length out of bounds: export name");
}

static void test_rd_name_limit(void **state)
{
    (void)state;
    wasm_builder b = {0};
    char *text = malloc(KILN_MAX_NAME_SIZE + 1);
    assert_non_null(text);
    memset(text, 'a', KILN_MAX_NAME_SIZE + 1);
    reader_fixture f;
    const char *s;
    uint32_t len;

    wb_name_n(&b, text, KILN_MAX_NAME_SIZE + 1);
    assert_false(rd_name(open_reader(&f, b.data, b.len), &s, &len, "custom section name"));
    expect_error(&f.d, KILN_ERR_LIMIT, 0,
                 "custom section name of 100001 bytes exceeds the limit of 100000 "
                 "(KILN_MAX_NAME_SIZE)");

    wb_reset(&b);
    wb_name_n(&b, text, KILN_MAX_NAME_SIZE); /* exactly at the limit is fine */
    assert_true(rd_name(open_reader(&f, b.data, b.len), &s, &len, "custom section name"));
    assert_int_equal(len, KILN_MAX_NAME_SIZE);
    free(text);
    wb_free(&b);
}

/*
 * Counts and sub-readers
 */

static void test_rd_count_bounds(void **state)
{
    (void)state;
    reader_fixture f;
    uint32_t n;
    /* 0xFFFFFFFF in a 5-byte LEB with 3 bytes after it. */
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x60, 0x00, 0x00};
    assert_false(rd_count(OPEN(&f, huge), &n, 1, UINT32_MAX, "type count"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 0, "length out of bounds: type count");

    /* 2 entries of at least 3 bytes do not fit in 5 bytes. */
    static const uint8_t short_entries[] = {0x02, 0x60, 0x00, 0x00, 0x60, 0x00};
    assert_false(rd_count(OPEN(&f, short_entries), &n, 3, UINT32_MAX, "type count"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 0, END ": type count");
    assert_true(rd_count(OPEN(&f, short_entries), &n, 2, UINT32_MAX, "type count"));
    assert_int_equal(n, 2);

    /* min_entry_bytes 0 means 1. */
    static const uint8_t three[] = {0x03, 1, 2, 3};
    assert_true(rd_count(OPEN(&f, three), &n, 0, 3, "targets"));
    assert_int_equal(n, 3);

    /* Over the limit, within the bytes: KILN_ERR_LIMIT naming the count. */
    assert_false(rd_count(OPEN(&f, three), &n, 1, 2, "br_table target count"));
    expect_error(&f.d, KILN_ERR_LIMIT, 0,
                 "br_table target count 3 exceeds the implementation limit of 2");

    /* Errors of the LEB itself come first. */
    static const uint8_t bad_leb[] = {0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0};
    assert_false(rd_count(OPEN(&f, bad_leb), &n, 1, 10, "count"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 4, "integer too large: count");
}

static void test_rd_sub_bounds(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04};
    reader_fixture f;
    kiln_reader *r = OPEN(&f, bytes);
    kiln_reader sub;
    uint8_t b;
    r->p++;
    assert_true(rd_sub(r, 2, &sub, "section"));
    assert_int_equal(rd_offset(r), 3);
    assert_int_equal(rd_offset(&sub), 1); /* offsets stay module-relative */
    assert_int_equal(rd_left(&sub), 2);
    assert_true(rd_u8(&sub, &b, "b") && b == 0x02);
    assert_true(rd_u8(&sub, &b, "b") && b == 0x03);
    assert_false(rd_u8(&sub, &b, "field")); /* the parent still has a byte: irrelevant */
    expect_error(&f.d, KILN_ERR_MALFORMED, 3, END ": field");

    r = OPEN(&f, bytes);
    assert_false(rd_sub(r, 5, &sub, "section"));
    expect_error(&f.d, KILN_ERR_MALFORMED, 0, "length out of bounds: section");
    assert_false(rd_sub(r, SIZE_MAX, &sub, "section"));
}

/*
 * arena.c
 */

static void test_arena_alignment_and_zeroing(void **state)
{
    (void)state;
    counting_allocator ca;
    counting_init(&ca, 0);
    kiln_arena a;
    kiln_arena_init(&a, &ca.base);
    for (size_t align = 1; align <= 256; align *= 2) {
        uint8_t *p = kiln_arena_alloc(&a, 3, 1); /* misalign the next one */
        assert_non_null(p);
        uint8_t *q = kiln_arena_alloc(&a, 40, align);
        assert_non_null(q);
        assert_int_equal((uintptr_t)q % align, 0);
        for (size_t i = 0; i < 40; i++)
            assert_int_equal(q[i], 0);
        memset(q, 0xab, 40);
    }
    /* Bigger than any default chunk. */
    uint8_t *big = kiln_arena_alloc(&a, 3u << 20, 64);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 64, 0);
    assert_int_equal(big[(3u << 20) - 1], 0);
    /* Zero-size requests give distinct usable pointers. */
    assert_non_null(kiln_arena_alloc(&a, 0, 8));
    assert_non_null(ARENA_ARRAY(&a, uint64_t, 0));
    kiln_arena_free(&a);
    assert_int_equal(ca.live, 0);
}

static void test_arena_array_overflow(void **state)
{
    (void)state;
    counting_allocator ca;
    counting_init(&ca, 0);
    kiln_arena a;
    kiln_arena_init(&a, &ca.base);
    assert_null(kiln_arena_array(&a, SIZE_MAX / 2, 4, 4));
    assert_null(kiln_arena_array(&a, (size_t)1 << 62, 8, 8));
    assert_null(kiln_arena_alloc(&a, SIZE_MAX - 8, 16));
    assert_int_equal(ca.calls, 0); /* rejected before asking the allocator */
    uint32_t *p = ARENA_ARRAY(&a, uint32_t, 10);
    assert_non_null(p);
    kiln_arena_free(&a);
    assert_int_equal(ca.live, 0);
}

static void test_arena_reset_keeps_first_chunk(void **state)
{
    (void)state;
    counting_allocator ca;
    counting_init(&ca, 0);
    kiln_arena a;
    kiln_arena_init(&a, &ca.base);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) {
            uint8_t *p = kiln_arena_alloc(&a, 100, 8);
            assert_non_null(p);
            memset(p, 0xee, 100);
        }
        assert_int_equal(a.total, 100000);
        kiln_arena_reset(&a);
        assert_int_equal(ca.live, 1);
        assert_int_equal(a.total, 0);
    }
    /* Small allocations after a reset reuse the kept chunk: no new allocator call. */
    size_t calls = ca.calls;
    uint8_t *p = kiln_arena_alloc(&a, 64, 8);
    assert_non_null(p);
    assert_int_equal(p[63], 0); /* zeroed again even though the chunk was used before */
    assert_int_equal(ca.calls, calls);
    kiln_arena_free(&a);
    assert_int_equal(ca.live, 0);
    kiln_arena_reset(&a); /* harmless on an empty arena */
    kiln_arena_free(&a);
}

static void test_arena_big_requests_get_their_own_chunk(void **state)
{
    (void)state;
    counting_allocator ca;
    counting_init(&ca, 0);
    kiln_arena a;
    kiln_arena_init(&a, &ca.base);
    assert_non_null(kiln_arena_alloc(&a, 100, 8)); /* first chunk, 4 KiB */
    assert_int_equal(ca.calls, 1);
    assert_non_null(kiln_arena_alloc(&a, 100000, 8)); /* its own chunk */
    assert_int_equal(ca.calls, 2);
    assert_true(ca.largest < 100000 + 256);
    for (int i = 0; i < 30; i++) /* the first chunk's free space is still used */
        assert_non_null(kiln_arena_alloc(&a, 100, 8));
    assert_int_equal(ca.calls, 2);
    assert_non_null(kiln_arena_alloc(&a, 1000, 8)); /* next default chunk: 8 KiB, not 200 */
    assert_int_equal(ca.calls, 3);
    assert_true(ca.largest < 100000 + 256);
    kiln_arena_reset(&a);
    assert_int_equal(ca.live, 1);
    kiln_arena_free(&a);
    assert_int_equal(ca.live, 0);
}

static void test_arena_allocator_failure(void **state)
{
    (void)state;
    counting_allocator ca;
    counting_init(&ca, 2);
    kiln_arena a;
    kiln_arena_init(&a, &ca.base);
    assert_non_null(kiln_arena_alloc(&a, 4000, 8));
    assert_null(kiln_arena_alloc(&a, 4000, 8));     /* needs a second chunk: fails */
    assert_non_null(kiln_arena_alloc(&a, 4000, 8)); /* the allocator recovers */
    kiln_arena_free(&a);
    assert_int_equal(ca.live, 0);
}

static void test_arena_default_allocator(void **state)
{
    (void)state;
    kiln_arena a;
    kiln_arena_init(&a, NULL);
    char *s = kiln_arena_alloc(&a, 6, 1);
    assert_non_null(s);
    memcpy(s, "kiln!", 6);
    kiln_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_first_error_wins),
        cmocka_unit_test(test_diag_truncates_long_messages),
        cmocka_unit_test(test_err_class_names),
        cmocka_unit_test(test_diag_format),
        cmocka_unit_test(test_rd_u32_values),
        cmocka_unit_test(test_rd_u32_rejects_overlong_leb),
        cmocka_unit_test(test_rd_u32_rejects_unused_bits),
        cmocka_unit_test(test_rd_u32_unterminated),
        cmocka_unit_test(test_rd_s32_values_and_sign_bits),
        cmocka_unit_test(test_rd_s33_block_type_range),
        cmocka_unit_test(test_rd_64_bit_leb),
        cmocka_unit_test(test_rd_u32_u64),
        cmocka_unit_test(test_rd_floats_little_endian),
        cmocka_unit_test(test_rd_u8_and_bytes),
        cmocka_unit_test(test_rd_fail_records_first_error),
        cmocka_unit_test(test_rd_name_valid),
        cmocka_unit_test(test_rd_name_rejects_malformed_utf8),
        cmocka_unit_test(test_utf8_boundaries),
        cmocka_unit_test(test_rd_name_length_checks),
        cmocka_unit_test(test_rd_name_limit),
        cmocka_unit_test(test_rd_count_bounds),
        cmocka_unit_test(test_rd_sub_bounds),
        cmocka_unit_test(test_arena_alignment_and_zeroing),
        cmocka_unit_test(test_arena_array_overflow),
        cmocka_unit_test(test_arena_reset_keeps_first_chunk),
        cmocka_unit_test(test_arena_big_requests_get_their_own_chunk),
        cmocka_unit_test(test_arena_allocator_failure),
        cmocka_unit_test(test_arena_default_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
