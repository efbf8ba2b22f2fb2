/* test_json.c -- unit tests for cli/json.c (the JSON reader and string writer).
 *
 * Valid documents check the tree (kinds, decoded strings, number text and exact values);
 * invalid ones check the error class and the byte offset, as every diag test should.
 * Two robustness tests run under ASan in sanitizer builds: failing the N-th allocation
 * (Lua's ltests.c) must give KILN_ERR_NOMEM or success, and thousands of deterministic random
 * mutations of a wast2json-like document must never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "test_alloc.h"

/* A wast2json-shaped document, used by several tests. */
static const char sample[] =
    "{\"source_filename\": \"i32.wast\",\n"
    " \"commands\": [\n"
    "  {\"type\": \"module\", \"line\": 3, \"filename\": \"i32.0.wasm\"}, \n"
    "  {\"type\": \"assert_return\", \"line\": 40, \"action\": {\"type\": \"invoke\", "
    "\"field\": \"add\", \"args\": [{\"type\": \"i32\", \"value\": \"4294967295\"}]}, "
    "\"expected\": [{\"type\": \"f32\", \"value\": \"nan:canonical\"}]}, \n"
    "  {\"type\": \"assert_return\", \"line\": 41, \"action\": {\"type\": \"invoke\", "
    "\"field\": \"x\", \"args\": [{\"type\": \"v128\", \"lane_type\": \"i8\", \"value\": "
    "[\"127\", \"0\", \"255\", \"0\"]}]}, \"expected\": []}, \n"
    "  {\"type\": \"assert_malformed\", \"line\": 7, \"filename\": \"i32.1.wat\", "
    "\"text\": \"unknown operator\", \"module_type\": \"text\"}]\n"
    "}\n";

typedef struct parsed {
    kiln_arena arena;
    kiln_diag diag;
    const json_value *root;
    bool ok;
} parsed;

static void parse_n(parsed *r, const char *text, size_t size)
{
    kiln_arena_init(&r->arena, NULL);
    kiln_diag_init(&r->diag);
    r->ok = json_parse(text, size, &r->arena, &r->root, &r->diag);
}

static void parse(parsed *r, const char *text)
{
    parse_n(r, text, strlen(text));
}

static void done(parsed *r)
{
    kiln_arena_free(&r->arena);
}

/* Asserts that text fails with class code at byte offset. */
static void expect_error(const char *text, size_t size, kiln_err code, size_t offset)
{
    parsed r;
    parse_n(&r, text, size);
    if (r.ok || r.diag.code != code || r.diag.offset != offset)
        print_error("input \"%.*s\": got ok=%d code=%d offset=%zu msg=%s\n", (int)size, text, r.ok,
                    (int)r.diag.code, r.diag.offset, r.diag.msg);
    assert_false(r.ok);
    assert_int_equal(r.diag.code, code);
    assert_int_equal(r.diag.offset, offset);
    assert_null(r.root);
    done(&r);
}

static void expect_malformed(const char *text, size_t offset)
{
    expect_error(text, strlen(text), KILN_ERR_MALFORMED, offset);
}

static void test_json_wast2json_document(void **state)
{
    parsed r;
    parse(&r, sample);
    assert_true(r.ok);
    assert_int_equal(r.root->kind, JSON_OBJECT);
    assert_string_equal(json_get_str(r.root, "source_filename"), "i32.wast");

    const json_value *cmds = json_get(r.root, "commands");
    assert_non_null(cmds);
    assert_int_equal(cmds->kind, JSON_ARRAY);
    assert_int_equal(json_len(cmds), 4);
    assert_null(json_at(cmds, 4));

    uint64_t line = 0;
    assert_true(json_get_u64(json_at(cmds, 0), "line", &line));
    assert_int_equal(line, 3);
    assert_true(json_str_eq(json_get(json_at(cmds, 0), "type"), "module"));
    assert_false(json_str_eq(json_get(json_at(cmds, 0), "type"), "modul"));
    assert_null(json_get(json_at(cmds, 0), "missing"));
    assert_null(json_get_str(json_at(cmds, 0), "line")); /* a number, not a string */
    assert_false(json_get_u64(json_at(cmds, 0), "type", &line));

    const json_value *args = json_get(json_get(json_at(cmds, 1), "action"), "args");
    assert_string_equal(json_get_str(json_at(args, 0), "value"), "4294967295");
    const json_value *expected = json_get(json_at(cmds, 1), "expected");
    assert_string_equal(json_get_str(json_at(expected, 0), "value"), "nan:canonical");

    const json_value *lanes =
        json_get(json_at(json_get(json_get(json_at(cmds, 2), "action"), "args"), 0), "value");
    assert_int_equal(json_len(lanes), 4);
    assert_string_equal(json_at(lanes, 2)->u.str.ptr, "255");
    assert_int_equal(json_len(json_get(json_at(cmds, 2), "expected")), 0);
    assert_null(json_at(json_get(json_at(cmds, 2), "expected"), 0));

    /* Offsets point at the value's first byte. */
    const json_value *mt = json_get(json_at(cmds, 3), "module_type");
    assert_memory_equal(sample + mt->offset, "\"text\"", 6);
    done(&r);
}

static void test_json_scalars(void **state)
{
    parsed r;
    parse(&r, " \t\r\ntrue\n");
    assert_true(r.ok);
    assert_int_equal(r.root->kind, JSON_TRUE);
    assert_int_equal(r.root->offset, 4);
    done(&r);
    parse(&r, "false");
    assert_int_equal(r.root->kind, JSON_FALSE);
    done(&r);
    parse(&r, "null");
    assert_int_equal(r.root->kind, JSON_NULL);
    assert_string_equal(json_kind_name(r.root->kind), "null");
    done(&r);
    parse(&r, "[{}, [], \"\"]");
    assert_true(r.ok);
    assert_int_equal(json_at(r.root, 0)->kind, JSON_OBJECT);
    assert_int_equal(json_len(json_at(r.root, 0)), 0);
    assert_int_equal(json_at(r.root, 1)->kind, JSON_ARRAY);
    assert_int_equal(json_at(r.root, 2)->u.str.len, 0);
    assert_string_equal(json_kind_name(json_at(r.root, 2)->kind), "string");
    done(&r);
}

static void test_json_numbers(void **state)
{
    static const struct {
        const char *text;
        bool is_u64;
        uint64_t u64;
        double value;
    } cases[] = {
        {"0", true, 0, 0.0},
        {"-0", false, 0, -0.0},
        {"7", true, 7, 7.0},
        {"4294967295", true, 4294967295u, 4294967295.0},
        {"18446744073709551615", true, UINT64_MAX, 18446744073709551615.0},
        {"18446744073709551616", false, 0, 18446744073709551616.0},
        {"99999999999999999999", false, 0, 99999999999999999999.0},
        {"-1", false, 0, -1.0},
        {"1.5", false, 0, 1.5},
        {"1e3", false, 0, 1000.0},
        {"1E+3", false, 0, 1000.0},
        {"25e-2", false, 0, 0.25},
        {"-0.125e1", false, 0, -1.25},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        parsed r;
        parse(&r, cases[i].text);
        assert_true(r.ok);
        assert_int_equal(r.root->kind, JSON_NUMBER);
        assert_string_equal(r.root->u.num.text, cases[i].text);
        assert_int_equal(r.root->u.num.len, strlen(cases[i].text));
        assert_int_equal(r.root->u.num.is_u64, cases[i].is_u64);
        assert_true(r.root->u.num.u64 == cases[i].u64);
        assert_true(r.root->u.num.value == cases[i].value);
        done(&r);
    }
    parsed r;
    parse(&r, "1e400");
    assert_true(r.ok);
    assert_true(r.root->u.num.value > 1e308); /* HUGE_VAL */
    done(&r);
}

static void test_json_string_escapes(void **state)
{
    parsed r;
    parse(&r,
          "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\uD834\\uDD1E\"");
    assert_true(r.ok);
    static const char want[] = "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                               "\xf0\x9d\x84\x9e";
    assert_int_equal(r.root->u.str.len, sizeof(want) - 1);
    assert_memory_equal(r.root->u.str.ptr, want, sizeof(want));
    done(&r);

    parse(&r, "\"x\\u0000y\"");
    assert_true(r.ok);
    assert_int_equal(r.root->u.str.len, 3);
    assert_memory_equal(r.root->u.str.ptr, "x\0y", 4);
    done(&r);

    /* Raw UTF-8 is kept as is, up to U+10FFFF. */
    parse(&r, "\"\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\x7f\"");
    assert_true(r.ok);
    assert_string_equal(r.root->u.str.ptr, "\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\x7f");
    done(&r);

    /* Keys are decoded too. */
    parse(&r, "{\"\\u0061b\": 1}");
    assert_true(r.ok);
    assert_non_null(json_get(r.root, "ab"));
    done(&r);
}

static void test_json_rejects_bad_syntax(void **state)
{
    expect_malformed("", 0);
    expect_malformed("  ", 2);
    expect_malformed("[1,]", 3);
    expect_malformed("[,1]", 1);
    expect_malformed("[1 2]", 3);
    expect_malformed("[", 1);
    expect_malformed("[true", 5);
    expect_malformed("{\"a\":1,}", 7);
    expect_malformed("{\"a\" 1}", 5);
    expect_malformed("{\"a\":}", 5);
    expect_malformed("{1:2}", 1);
    expect_malformed("{'a':2}", 1);
    expect_malformed("{\"a\":1", 6);
    expect_malformed("{} x", 3);
    expect_malformed("{}{}", 2);
    expect_malformed("tru", 0);
    expect_malformed("nul", 0);
    expect_malformed("True", 0);
    expect_malformed("NaN", 0);
    expect_malformed("Infinity", 0);
    expect_malformed("// c\n1", 0);
    expect_malformed("\xef\xbb\xbf{}", 0); /* byte order mark */
    expect_malformed("\v1", 0);            /* not JSON whitespace */
    expect_error("[1,\0]", 5, KILN_ERR_MALFORMED, 3);
}

static void test_json_rejects_bad_numbers(void **state)
{
    expect_malformed("01", 0);
    expect_malformed("-01", 0);
    expect_malformed("-", 1);
    expect_malformed("+1", 0);
    expect_malformed(".5", 0);
    expect_malformed("1.", 2);
    expect_malformed("1.e3", 2);
    expect_malformed("1e", 2);
    expect_malformed("1e+", 3);
    expect_malformed("- 1", 1);
    expect_malformed("0x10", 1);
    expect_malformed("[1.5.5]", 4);
}

static void test_json_rejects_bad_strings(void **state)
{
    expect_malformed("\"abc", 0);
    expect_malformed("\"abc\\\"", 0);
    expect_malformed("\"a\\", 0);
    expect_malformed("[\"a\nb\"]", 3); /* raw control character */
    expect_malformed("\"\t\"", 1);
    expect_malformed("\"\\x\"", 1);     /* unknown escape */
    expect_malformed("\"\\U0041\"", 1); /* only lower-case \u */
    expect_malformed("\"\\u12\"", 1);
    expect_malformed("\"\\u12g4\"", 1);
    expect_malformed("\"ab\\ud800\"", 3); /* lone high surrogate */
    expect_malformed("\"\\ud800\\u0041\"", 1);
    expect_malformed("\"\\ud800\\n\"", 1);
    expect_malformed("\"\\ud800\\ud800\"", 1);
    expect_malformed("\"\\udc00\"", 1); /* lone low surrogate */
    expect_malformed("\"\\ud800\\udc0\"", 7);
    expect_malformed("\"a\xff\"", 2);
    expect_malformed("\"\x80\"", 1);
    expect_malformed("\"\xc0\x80\"", 1);         /* overlong NUL */
    expect_malformed("\"\xe0\x80\xaf\"", 1);     /* overlong '/' */
    expect_malformed("\"\xed\xa0\x80\"", 1);     /* encoded surrogate */
    expect_malformed("\"\xf4\x90\x80\x80\"", 1); /* above U+10FFFF */
    expect_malformed("\"\xe2\x82\"", 1);         /* truncated sequence */
    expect_malformed("\"\xe2\x82", 0);
}

static void test_json_rejects_duplicate_keys(void **state)
{
    expect_malformed("{\"a\":1,\"b\":2,\"a\":3}", 13);
    expect_malformed("{\"a\":1,\"\\u0061\":2}", 7); /* equal after decoding */

    /* A large object takes the sorting path; the later duplicate is reported. */
    char buf[4096];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"k%d\":%d,", i, i);
    size_t dup = n;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"k42\":0}");
    expect_malformed(buf, dup);

    buf[dup] = '\0';
    strcat(buf, "\"k100\":0}");
    parsed r;
    parse(&r, buf);
    assert_true(r.ok);
    assert_int_equal(json_len(r.root), 101);
    uint64_t v = 0;
    assert_true(json_get_u64(r.root, "k77", &v));
    assert_int_equal(v, 77);
    done(&r);

    /* Keys that differ only in length or after a NUL are distinct. */
    parse(&r, "{\"a\":1,\"a\\u0000\":2,\"ab\":3}");
    assert_true(r.ok);
    done(&r);
}

static void test_json_depth_limit(void **state)
{
    static char buf[2 * (JSON_MAX_DEPTH + 1)];
    /* JSON_MAX_DEPTH nested arrays parse. */
    size_t n = 0;
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        buf[n++] = '[';
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        buf[n++] = ']';
    parsed r;
    parse_n(&r, buf, n);
    assert_true(r.ok);
    done(&r);

    /* One more is a limit error at the opening bracket that goes over. */
    n = 0;
    for (int i = 0; i <= JSON_MAX_DEPTH; i++)
        buf[n++] = '[';
    for (int i = 0; i <= JSON_MAX_DEPTH; i++)
        buf[n++] = ']';
    expect_error(buf, n, KILN_ERR_LIMIT, JSON_MAX_DEPTH);

    /* Objects count too, and the check comes before the missing close is seen. */
    static char objs[4 * (JSON_MAX_DEPTH + 2)];
    n = 0;
    for (int i = 0; i <= JSON_MAX_DEPTH; i++) {
        memcpy(objs + n, "{\"\":", 4);
        n += 4;
    }
    expect_error(objs, n, KILN_ERR_LIMIT, 4 * JSON_MAX_DEPTH);
}

static void test_json_allocation_failures(void **state)
{
    bool succeeded = false;
    for (long n = 0; n < 10000 && !succeeded; n++) {
        counting_allocator f;
        counting_init_budget(&f, (size_t)n);
        kiln_arena arena;
        kiln_arena_init(&arena, &f.base);
        kiln_diag d;
        kiln_diag_init(&d);
        const json_value *root = NULL;
        succeeded = json_parse(sample, sizeof(sample) - 1, &arena, &root, &d);
        if (!succeeded) {
            assert_int_equal(d.code, KILN_ERR_NOMEM);
            assert_null(root);
        } else {
            assert_int_equal(json_len(json_get(root, "commands")), 4);
        }
        kiln_arena_free(&arena);
        assert_int_equal(f.live, 0); /* the scratch stack is always released */
    }
    assert_true(succeeded);
}

static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_json_survives_mutations(void **state)
{
    static const char alphabet[] =
        "{}[],:\"\\u0123456789abcdefABCDEF-+.eE \t\ntruefalsenull\x80\xff";
    char buf[sizeof(sample)];
    uint32_t seed = 12345;
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(buf, sample, sizeof(sample));
        size_t n = sizeof(sample) - 1;
        int edits = 1 + (int)(next_random(&seed) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = next_random(&seed) % n;
            switch (next_random(&seed) % 3) {
            case 0: /* replace a byte */
                buf[at] = alphabet[next_random(&seed) % (sizeof(alphabet) - 1)];
                break;
            case 1: /* cut the input short */
                n = at + 1;
                break;
            default: /* drop a byte */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n = n > 1 ? n - 1 : 1;
                break;
            }
        }
        /* Parse an exact-size heap copy so ASan catches any read past the end. */
        char *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        parsed r;
        parse_n(&r, copy, n);
        if (r.ok)
            accepted++;
        else
            assert_true(r.diag.code == KILN_ERR_MALFORMED && r.diag.offset <= n);
        done(&r);
        free(copy);
    }
    assert_true(accepted > 0);
}

/* Runs json_write_string into a temporary file and returns what it wrote. */
static char *written(const char *s, size_t len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_true(json_write_string(f, s, len));
    long size = ftell(f);
    assert_true(size >= 2);
    rewind(f);
    char *out = calloc(1, (size_t)size + 1);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    return out;
}

static void expect_written(const char *s, size_t len, const char *want)
{
    char *out = written(s, len);
    assert_string_equal(out, want);
    free(out);
}

static void test_json_write_string(void **state)
{
    expect_written("", 0, "\"\"");
    expect_written("plain text", 10, "\"plain text\"");
    expect_written("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
    expect_written("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    expect_written("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    expect_written("x\0y", 3, "\"x\\u0000y\"");
    expect_written("\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\"");
    expect_written("\xff", 1, "\"\\ufffd\"");
    expect_written("a\xe2\x82", 3, "\"a\\ufffd\\ufffd\"");
    expect_written("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    expect_written("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");

    /* Whatever the bytes, the output parses, and valid UTF-8 comes back unchanged. */
    char all[256];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    memcpy(all + 128, "\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf", 9);
    char *out = written(all, 137);
    parsed r;
    parse(&r, out);
    assert_true(r.ok);
    assert_int_equal(r.root->u.str.len, 137);
    assert_memory_equal(r.root->u.str.ptr, all, 137);
    done(&r);
    free(out);

    for (int i = 0; i < 256; i++)
        all[i] = (char)(255 - i);
    out = written(all, 256);
    parse(&r, out);
    assert_true(r.ok);
    done(&r);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_wast2json_document),
        cmocka_unit_test(test_json_scalars),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_json_string_escapes),
        cmocka_unit_test(test_json_rejects_bad_syntax),
        cmocka_unit_test(test_json_rejects_bad_numbers),
        cmocka_unit_test(test_json_rejects_bad_strings),
        cmocka_unit_test(test_json_rejects_duplicate_keys),
        cmocka_unit_test(test_json_depth_limit),
        cmocka_unit_test(test_json_allocation_failures),
        cmocka_unit_test(test_json_survives_mutations),
        cmocka_unit_test(test_json_write_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
