/* test_codegen.c -- unit tests of code generation that need no runtime.
 *
 * Name mangling (the header's one rule must be injective: checked exhaustively over short
 * names and by decoding), default prefixes, the shape of the generated IR (--emit llvm) for
 * the hand-written lowering families and the memory-base hoisting, byte-identical output,
 * cross targets (32-bit pointers in the descriptor), that SIMD compiles, and the diagnostics
 * for bad options. The .wasm fixtures come from the .wat files in fixtures/ (wat2wasm at build
 * time); their directory is argv[1]. KILN_VERIFY=1 is set by ctest, so every compilation is
 * verified.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "toolchain.h"

#include "ir_text.h"

static const char *fixture_dir = ".";

/* ---- name mangling ---- */

static size_t mangle(const char *name, size_t len, char *out, size_t cap)
{
    return kiln_mangle_name(name, len, out, cap);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The inverse of the old rule (escaped names without their "__" end, import symbols' parts):
 * -1 if s is not such a string. */
static long unescape(const char *s, size_t len, char *out)
{
    long n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] != '_') {
            out[n++] = s[i++];
        } else if (i + 1 < len && s[i + 1] == '_') {
            out[n++] = '_';
            i += 2;
        } else if (i + 3 < len && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
                   hexval(s[i + 3]) >= 0) {
            out[n++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
            i += 4;
        } else {
            return -1;
        }
    }
    return n;
}

/* The inverse of the mangling rule: a name without "__" is itself, one with it ends "__" and
 * is escaped. -1 if s is not a mangled name. */
static long demangle(const char *s, char *out)
{
    size_t len = strlen(s);
    if (strstr(s, "__") == NULL) {
        memcpy(out, s, len);
        return (long)len;
    }
    if (len < 2 || s[len - 1] != '_' || s[len - 2] != '_')
        return -1;
    return unescape(s, len - 2, out);
}

static void test_mangle_examples(void **state)
{
    char buf[128];
    /* Names a user can type stay as they are. */
    assert_int_equal(mangle("fac", 3, buf, sizeof buf), 3);
    assert_string_equal(buf, "fac");
    mangle("get_x", 5, buf, sizeof buf);
    assert_string_equal(buf, "get_x");
    mangle("_start", 6, buf, sizeof buf);
    assert_string_equal(buf, "_start");
    mangle("run_indirect", 12, buf, sizeof buf);
    assert_string_equal(buf, "run_indirect");
    mangle("a_", 2, buf, sizeof buf);
    assert_string_equal(buf, "a_");
    mangle("2x", 2, buf, sizeof buf); /* after PREFIX_: a C identifier */
    assert_string_equal(buf, "2x");
    mangle("memory", 6, buf, sizeof buf);
    assert_string_equal(buf, "memory");
    mangle("import", 6, buf, sizeof buf);
    assert_string_equal(buf, "import");
    mangle("imports", 7, buf, sizeof buf);
    assert_string_equal(buf, "imports");
    mangle("modules", 7, buf, sizeof buf);
    assert_string_equal(buf, "modules");
    /* Everything else is escaped and ends "__". */
    mangle("a__b", 4, buf, sizeof buf);
    assert_string_equal(buf, "a____b__");
    mangle("__start", 7, buf, sizeof buf);
    assert_string_equal(buf, "____start__");
    mangle("a.b-c", 5, buf, sizeof buf);
    assert_string_equal(buf, "a_x2eb_x2dc__");
    mangle("\xc3\xbc", 2, buf, sizeof buf);
    assert_string_equal(buf, "_xc3_xbc__");
    mangle("a\0b", 3, buf, sizeof buf);
    assert_string_equal(buf, "a_x00b__");
    mangle("", 0, buf, sizeof buf);
    assert_string_equal(buf, "__");
    /* The header's own names: PREFIX_module, the include guard, PREFIX_import_M_N and the
     * accessors PREFIX_M_memory, PREFIX_T_tag. */
    mangle("module", 6, buf, sizeof buf);
    assert_string_equal(buf, "module__");
    mangle("KILN_MODULE_H", 13, buf, sizeof buf);
    assert_string_equal(buf, "KILN__MODULE__H__");
    mangle("import_x", 8, buf, sizeof buf);
    assert_string_equal(buf, "_x69mport__x__");
    mangle("import-", 7, buf, sizeof buf);
    assert_string_equal(buf, "_x69mport_x2d__");
    mangle("get_memory", 10, buf, sizeof buf);
    assert_string_equal(buf, "get__memory__");
    mangle("wt_tag", 6, buf, sizeof buf);
    assert_string_equal(buf, "wt__tag__");
    /* Truncation still reports the full length and terminates. */
    assert_int_equal(mangle("a-b", 3, buf, 3), 8);
    assert_string_equal(buf, "a_");
    assert_int_equal(mangle("a-b", 3, NULL, 0), 8);
}

/* Every name of up to 3 bytes over an alphabet holding each class of byte (and the header's
 * words): the mangled names are pairwise different (sorted, no neighbours equal), decode back,
 * and none is a name the header uses otherwise. */
static const char alphabet[] = {'a', 'Z', '0', '_', 'x', '2', 'f', ' ', '-', '\0', '\xff', 'm'};
enum { ALPHA = sizeof alphabet, MAXLEN = 3 };
static const char *const header_words[] = {"module",    "KILN_MODULE_H", "import",       "import_",
                                           "import_a",  "import-",       "memory",       "_memory",
                                           "a_memory",  "tag",           "_tag",         "a_tag",
                                           "a__memory", "modul",         "import_memory"};

typedef struct mangled {
    char text[4 * 16 + 3];
} mangled;

static int compare_mangled(const void *a, const void *b)
{
    return strcmp(((const mangled *)a)->text, ((const mangled *)b)->text);
}

static void check_mangled(const char *name, size_t len, mangled *m)
{
    size_t n = mangle(name, len, m->text, sizeof m->text);
    assert_true(n < sizeof m->text);
    char back[32];
    assert_int_equal(demangle(m->text, back), (long)len);
    assert_memory_equal(back, name, len);
    size_t tl = strlen(m->text);
    assert_true(strncmp(m->text, "import_", 7) != 0);
    assert_true(strcmp(m->text, "module") != 0 && strcmp(m->text, "KILN_MODULE_H") != 0);
    assert_true(tl < 7 || strcmp(m->text + tl - 7, "_memory") != 0);
    assert_true(tl < 4 || strcmp(m->text + tl - 4, "_tag") != 0);
}

static void test_mangle_injective(void **state)
{
    size_t total = KILN_ARRAY_LEN(header_words), per = 1;
    for (int len = 0; len <= MAXLEN; len++, per *= ALPHA)
        total += per;
    mangled *all = calloc(total, sizeof *all);
    assert_non_null(all);
    size_t k = 0;
    per = 1;
    for (int len = 0; len <= MAXLEN; len++, per *= ALPHA) {
        for (size_t code = 0; code < per; code++) {
            char name[MAXLEN];
            size_t c = code;
            for (int i = 0; i < len; i++, c /= ALPHA)
                name[i] = alphabet[c % ALPHA];
            check_mangled(name, (size_t)len, &all[k++]);
        }
    }
    for (size_t w = 0; w < KILN_ARRAY_LEN(header_words); w++)
        check_mangled(header_words[w], strlen(header_words[w]), &all[k++]);
    qsort(all, k, sizeof *all, compare_mangled);
    for (size_t i = 1; i < k; i++)
        assert_true(strcmp(all[i - 1].text, all[i].text) != 0);
    free(all);
}

/* Sealed imports' C functions: P_import_M_N, M and N mangled, a leading '_' of N escaped. */
static void test_import_symbol(void **state)
{
    char buf[128];
    assert_int_equal(kiln_import_symbol("P", "bench", 5, "start", 5, buf, sizeof buf), 20);
    assert_string_equal(buf, "P_import_bench_start");
    kiln_import_symbol("app", "wasi_snapshot_preview1", 22, "fd_write", 8, buf, sizeof buf);
    assert_string_equal(buf, "app_import_wasi__snapshot__preview1_fd__write");
    kiln_import_symbol("P", "_", 1, "x", 1, buf, sizeof buf);
    assert_string_equal(buf, "P_import____x");
    kiln_import_symbol("P", "", 0, "_x", 2, buf, sizeof buf);
    assert_string_equal(buf, "P_import___x5fx");
    kiln_import_symbol("P", "a-b", 3, "", 0, buf, sizeof buf);
    assert_string_equal(buf, "P_import_a_x2db_");
    assert_int_equal(kiln_import_symbol("P", "m", 1, "n", 1, buf, 4), 12);
    assert_string_equal(buf, "P_i");
}

static int compare_symbols(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Every (module, name) pair of up to 2 bytes each over the alphabet gives a different
 * symbol, and no export name of up to 3 bytes, alone or after "import", mangles to a name
 * starting "import_". */
static void test_import_symbol_injective(void **state)
{
    enum { LEN = 2 };
    size_t names = 1 + ALPHA + ALPHA * ALPHA;
    typedef char symbol[2 * 4 * LEN + 16];
    symbol *text = calloc(names * names, sizeof *text);
    assert_non_null(text);
    char words[1 + ALPHA + ALPHA * ALPHA][LEN];
    size_t lens[1 + ALPHA + ALPHA * ALPHA];
    size_t w = 0;
    for (size_t per = 1, len = 0; len <= LEN; len++, per *= ALPHA)
        for (size_t code = 0; code < per; code++, w++) {
            size_t c = code;
            for (size_t i = 0; i < len; i++, c /= ALPHA)
                words[w][i] = alphabet[c % ALPHA];
            lens[w] = len;
        }
    size_t k = 0;
    for (size_t a = 0; a < names; a++)
        for (size_t b = 0; b < names; b++, k++)
            assert_true(kiln_import_symbol("P", words[a], lens[a], words[b], lens[b], text[k],
                                           sizeof text[k]) < sizeof text[k]);
    qsort(text, k, sizeof text[0], compare_symbols);
    for (size_t i = 1; i < k; i++)
        assert_true(strcmp(text[i - 1], text[i]) != 0);
    free(text);
    for (size_t a = 0; a < names; a++)
        for (size_t b = 0; b < names; b++) {
            char name[6 + 2 * LEN], out[64];
            size_t n = 0;
            memcpy(name, "import", 6);
            n = 6;
            memcpy(name + n, words[a], lens[a]);
            n += lens[a];
            kiln_mangle_name(name, n, out, sizeof out);
            assert_true(strncmp(out, "import_", 7) != 0);
            memcpy(name, words[a], lens[a]);
            memcpy(name + lens[a], words[b], lens[b]);
            kiln_mangle_name(name, lens[a] + lens[b], out, sizeof out);
            assert_true(strncmp(out, "import_", 7) != 0);
        }
}

static void test_prefix_from_path(void **state)
{
    char p[KILN_MAX_PREFIX + 1];
    kiln_prefix_from_path("dir/sub/fac.wasm", p, sizeof p);
    assert_string_equal(p, "fac");
    kiln_prefix_from_path("a-b.c.wasm", p, sizeof p);
    assert_string_equal(p, "a_b_c");
    kiln_prefix_from_path("2048.wasm", p, sizeof p);
    assert_string_equal(p, "w2048");
    kiln_prefix_from_path("", p, sizeof p);
    assert_string_equal(p, "w");
    kiln_prefix_from_path("noext", p, sizeof p);
    assert_string_equal(p, "noext");
    assert_true(kiln_prefix_valid("fac"));
    assert_true(kiln_prefix_valid("_x1"));
    assert_false(kiln_prefix_valid("1x"));
    assert_false(kiln_prefix_valid("a-b"));
    assert_false(kiln_prefix_valid(""));
}

/* ---- compiling fixtures ---- */

static uint8_t *load_fixture(const char *name, size_t *size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    *size = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static bool compile_fixture(const char *name, kiln_emit_kind emit, int opt, const char *triple,
                            kiln_compile_result *res, kiln_diag *d)
{
    size_t size;
    uint8_t *bytes = load_fixture(name, &size);
    kiln_compile_options o;
    text_options(&o, name, emit, opt, triple);
    o.input = bytes;
    o.input_size = size;
    o.want_header = true;
    bool ok = kiln_compile(&o, res, d);
    free(bytes);
    return ok;
}

static char *ir_of(const char *name, int opt, const char *triple)
{
    kiln_compile_result res;
    kiln_diag d;
    if (!compile_fixture(name, KILN_EMIT_LLVM, opt, triple, &res, &d))
        fail_msg("%s: %s", name, d.msg);
    return result_text(&res);
}

/* The text of function name's definition, up to the closing brace. */
static char *function_text(const char *ir, const char *name)
{
    char head[128];
    snprintf(head, sizeof head, " @%s(", name);
    const char *start = NULL;
    for (const char *line = ir; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *eol = strchr(line, '\n');
        const char *hit = strstr(line, head);
        if (strncmp(line, "define ", 7) == 0 && hit && (!eol || hit < eol)) {
            start = line;
            break;
        }
    }
    assert_non_null(start);
    const char *end = strstr(start, "\n}\n");
    assert_non_null(end);
    return text_copy(start, (size_t)(end - start) + 2);
}

/* -O0 IR of wat (a .wat text) for triple, with --bounds-checks if checks. */
static char *ir_of_wat(const char *wat, const char *triple, bool checks)
{
    kiln_compile_options o;
    text_options(&o, "facts.wat", KILN_EMIT_LLVM, 0, triple);
    o.input = (const uint8_t *)wat;
    o.input_size = strlen(wat);
    o.bounds_checks = checks;
    kiln_compile_result res;
    kiln_diag d;
    if (!kiln_compile(&o, &res, &d))
        fail_msg("facts.wat: %s", d.msg);
    return result_text(&res);
}

/* Whether a line of text contains both a and b. */
static bool line_with(const char *text, const char *a, const char *b)
{
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];
        if (n >= sizeof buf)
            continue;
        memcpy(buf, line, n);
        buf[n] = '\0';
        if (strstr(buf, a) && strstr(buf, b))
            return true;
    }
    return false;
}

/* Address facts in bounds-checked mode (lower.c, facts_exact_when_checked): after the access
 * at p, the access at p + 4 is checked as zext(p) + 8 (its end), folded, only where that is
 * exact: on 32-bit hosts, and on 64-bit ones when the memory's maximum keeps it 64 KiB short
 * of 4 GiB. A memory without such a maximum checks zext(p + 4) + 4 (exact wrapping,
 * wast.memory_4gib_wrap.bounds). The first access's check does not end the facts
 * (lower_trap_if carries them into the block after it). */
static void test_checked_facts(void **state)
{
    (void)state;
    static const char fmt[] = "(module (memory 1 %s)\n"
                              "  (func (export \"pair\") (param $p i32) (result i32)\n"
                              "    (i32.add (i32.load (local.get $p))\n"
                              "             (i32.load (i32.add (local.get $p) (i32.const 4))))))\n";
    static const struct {
        const char *max, *triple;
        const char *op, *end; /* a line with both: the folded check */
        bool want;
    } cases[] = {
        {"100", "x86_64-unknown-linux-gnu", "add nuw i64", ", 8", true},
        {"65535", "x86_64-unknown-linux-gnu", "add nuw i64", ", 8", true},
        {"", "x86_64-unknown-linux-gnu", "add nuw i64", ", 8", false},
        {"65536", "x86_64-unknown-linux-gnu", "add nuw i64", ", 8", false},
        {"", "armv7a-unknown-linux-gnueabihf", "uadd.with.overflow.i32(", ", i32 8)", true},
    };
    for (size_t i = 0; i < KILN_ARRAY_LEN(cases); i++) {
        char wat[512];
        snprintf(wat, sizeof wat, fmt, cases[i].max);
        char *ir = ir_of_wat(wat, cases[i].triple, true);
        char *f = function_text(ir, "facts_f0");
        bool folded = line_with(f, cases[i].op, cases[i].end);
        if (folded != cases[i].want)
            fail_msg("max '%s' %s: second access %sfolded", cases[i].max, cases[i].triple,
                     folded ? "" : "not ");
        free(f);
        free(ir);
    }
}

/* Stack checks (lower.c, lower_leaf_check): fixtures/leaf.wat's small functions that call no
 * wasm code (f1 a loop over memory, f7 memory.grow) have none, at -O0 as at -O2; every function
 * that calls (f2 the host, f3 directly, f4 through the table, f5 a tail call of itself) and
 * the leaf of more than 1,024 bytes (f6) compare the stack pointer with the limit and trap. */
static void test_leaf_checks(void **state)
{
    (void)state;
    static const struct {
        int func;
        bool checked;
    } want[] = {{1, false}, {2, true}, {3, true}, {4, true}, {5, true}, {6, true}, {7, false}};
    for (int opt = 0; opt <= 2; opt += 2) {
        char *ir = ir_of("leaf.wasm", opt, NULL);
        for (size_t i = 0; i < KILN_ARRAY_LEN(want); i++) {
            char name[32];
            snprintf(name, sizeof name, "leaf_f%d", want[i].func);
            char *f = function_text(ir, name);
            bool checked = strstr(f, "llvm.stacksave") != NULL;
            if (checked != want[i].checked)
                fail_msg("-O%d %s: stack check %s", opt, name, checked ? "present" : "missing");
            /* The check's trap is the only way this fixture traps with code 10. */
            if (opt == 2)
                assert_int_equal(strstr(f, "i32 10)") != NULL, want[i].checked);
            free(f);
        }
        free(ir);
    }
}

/* The multiply idiom (lower.c, idiom_mul128.c): of fixtures/multi3.wat's functions f0
 * (compiler-rt's body) and f3 (the same product with another local) are proven products and
 * become one `mul i128` each; the near misses f1 (a wrong shift) and f2 (the high half at
 * ret + 16) are lowered instruction by instruction (none has a stack check: they call nothing).
 * Direct calls of f0 and f3 are expanded in place at every -O level (f4 mul and f7 near_local: one
 * product each, f8 mul_add and f9 mul_frame: two), calls of f1 and f2 stay calls. At -O2 every load
 * of mul_frame is forwarded from a product's store (address facts across the expanded calls).
 * 32-bit targets keep the plain lowering. */
static void test_multi3_idiom(void **state)
{
    (void)state;
    char *ir = ir_of("multi3.wasm", 0, NULL);
    assert_int_equal(count(ir, " = mul i128 "), 8);
    assert_int_equal(count(ir, "call tailcc void @multi3_f0("), 0);
    assert_int_equal(count(ir, "call tailcc void @multi3_f1("), 1);
    assert_int_equal(count(ir, "call tailcc void @multi3_f2("), 1);
    assert_int_equal(count(ir, "call tailcc void @multi3_f3("), 0);
    for (int i = 0; i <= 3; i += 3) {
        char name[32];
        snprintf(name, sizeof name, "multi3_f%d", i);
        char *f = function_text(ir, name);
        assert_int_equal(count(f, " = mul i128 "), 1);
        assert_null(strstr(f, "llvm.stacksave"));
        assert_int_equal(count(f, "store i64 "), 2);
        free(f);
    }
    for (int i = 1; i <= 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "multi3_f%d", i);
        char *f = function_text(ir, name);
        assert_null(strstr(f, "i128"));
        assert_null(strstr(f, "llvm.stacksave")); /* a small leaf (test_leaf_checks) */
        assert_int_equal(count(f, " = mul i64 "), 6);
        free(f);
    }
    free(ir);

    ir = ir_of("multi3.wasm", 2, NULL);
    char *mul = function_text(ir, "multi3_f4");
    assert_non_null(strstr(mul, " = mul i128 "));
    assert_null(strstr(mul, " = mul i64 "));
    free(mul);
    char *frame = function_text(ir, "multi3_f9");
    assert_int_equal(count(frame, " = mul nuw i128 "), 2);
    assert_int_equal(count(frame, "store volatile i64 "), 4);
    assert_int_equal(count(frame, " = load "), 1); /* vmctx: the memory base (a leaf: no check) */
    free(frame);
    free(ir);

    ir = ir_of("multi3.wasm", 0, "armv7-unknown-linux-gnueabihf");
    assert_null(strstr(ir, "i128"));
    free(ir);
}

static void test_ir_families(void **state)
{
    char *ir = ir_of("ops.wasm", 0, "x86_64-unknown-linux-gnu");
    assert_non_null(strstr(ir, "call float @llvm.roundeven.f32"));
    assert_non_null(strstr(ir, "call double @llvm.minimum.f64"));
    assert_non_null(strstr(ir, "call float @llvm.maximum.f32"));
    assert_non_null(strstr(ir, "call i64 @llvm.fptoui.sat.i64.f32"));
    assert_non_null(strstr(ir, "call i64 @llvm.ctlz.i64(i64 %"));
    assert_non_null(strstr(ir, ", i1 false)")); /* clz(0) is defined */
    assert_non_null(strstr(ir, "call i32 @llvm.fshl.i32"));
    assert_null(strstr(ir, "fast")); /* no fast-math flags anywhere */
    /* Only P_module is visible outside the object: every function is internal, and every
     * other global private. */
    const char *desc = strstr(ir, "\n@ops_module = ");
    assert_non_null(desc);
    assert_true(strncmp(desc + 15, "constant", 8) == 0 ||
                strncmp(desc + 15, "local_unnamed_addr constant", 27) == 0);
    assert_int_equal(count(ir, "\n@"),
                     count(ir, " = private ") + count(ir, " = external hidden ") + 1);
    assert_int_equal(count(ir, "define "), count(ir, "define internal "));
    assert_int_equal(count(ir, "section \"kiln_text\""), count(ir, "define "));

    /* div_s: one block per trap kind, each calling kiln_trap_raise once. */
    char *div = function_text(ir, "ops_f6");
    assert_int_equal(count(div, "call void @kiln_trap_raise"), 3); /* stack, zero, overflow */
    assert_non_null(strstr(div, "i32 3)"));                        /* KILN_TRAP_INT_DIV_ZERO */
    assert_non_null(strstr(div, "i32 4)"));                        /* KILN_TRAP_INT_OVERFLOW */
    free(div);
    /* rem_u and rem_s share one divide-by-zero block; rem_s never traps on overflow. */
    char *rem = function_text(ir, "ops_f7");
    assert_int_equal(count(rem, "call void @kiln_trap_raise"), 2);
    assert_null(strstr(rem, "i32 4)"));
    free(rem);
    /* trunc: NaN and range checks with the exact f64 bounds of i32. */
    char *trunc = function_text(ir, "ops_f8");
    assert_non_null(strstr(trunc, "fcmp uno double"));
    assert_non_null(strstr(trunc, "0xC1E0000000200000")); /* -2147483649.0 */
    assert_non_null(strstr(trunc, "0x41E0000000000000")); /* 2147483648.0 */
    free(trunc);
    free(ir);
}

static void test_memory_base_hoisted(void **state)
{
    char *ir = ir_of("store_loop.wasm", 2, "x86_64-unknown-linux-gnu");
    char *fill = function_text(ir, "store_loop_f0");
    /* One load of the base (vmctx + 8), invariant, whatever the loop stores. */
    assert_int_equal(count(fill, "!invariant.load"), 1);
    assert_int_equal(count(fill, "getelementptr inbounds i8, ptr %0, i64 8"), 1);
    assert_int_equal(count(fill, "load ptr"), 1);
    assert_true(count(fill, "store i8") >= 1);
    /* The global's cell is not reloaded after the byte store either: TBAA separates them. */
    assert_true(count(fill, "load i32") <= 1);
    free(fill);
    free(ir);
}

/* Roots (lower_memory.c): the unrolled c[j] += a * b[j] loop vectorises with one run-time
 * overlap check, c's range against b's (two pointer compares, not one per pair of accesses),
 * and no root copy survives the pipeline at any level. */
static void test_vector_loop_roots(void **state)
{
    (void)state;
    char *ir = ir_of("vector_loop.wasm", 2, "x86_64-unknown-linux-gnu");
    char *axpy = function_text(ir, "vector_loop_f0");
    assert_int_equal(count(axpy, "icmp ult ptr"), 2);
    assert_int_equal(count(axpy, "fmul <4 x double>"), 1);
    assert_int_equal(count(axpy, "store volatile <4 x double>"), 1);
    free(axpy);
    assert_null(strstr(ir, " asm "));
    free(ir);
    for (int opt = 0; opt <= 3; opt++) {
        ir = ir_of("vector_loop.wasm", opt, NULL);
        assert_null(strstr(ir, "kiln root"));
        assert_null(strstr(ir, " asm "));
        free(ir);
    }
}

/* Accesses of Wasm memory in guard-page mode (toolchain/lower.c lower_load, emit.c
 * settle_accesses): after the pipeline, at every level, no anchor is left, and every load
 * and store in a function with loads is volatile, so code generation neither deletes the
 * dropped load nor narrows the partly used one or the read-modify-write. Bounds-checked code
 * gets neither anchors nor volatile accesses (its checks trap on their own).
 * tests/wast/dead_loads.wast runs the same shapes. */
static void test_exact_accesses(void **state)
{
    (void)state;
    static const struct {
        const char *fn, *access;
        size_t n;
    } want[] = {{"exact_f0", "load volatile i64", 1},
                {"exact_f1", "load volatile i64", 1},
                {"exact_f2", "load volatile i32", 1},
                {"exact_f2", "store volatile i32", 1}};
    for (int opt = 0; opt <= 3; opt++) {
        char *ir = ir_of("exact.wasm", opt, "x86_64-unknown-linux-gnu");
        assert_null(strstr(ir, "call void @llvm.assume"));
        for (size_t i = 0; i < KILN_ARRAY_LEN(want); i++) {
            char *f = function_text(ir, want[i].fn);
            assert_int_equal(count(f, want[i].access), want[i].n);
            free(f);
        }
        free(ir);
    }
    size_t size;
    uint8_t *bytes = load_fixture("exact.wasm", &size);
    kiln_compile_options o;
    text_options(&o, "exact.wasm", KILN_EMIT_LLVM, 2, "x86_64-unknown-linux-gnu");
    o.input = bytes;
    o.input_size = size;
    o.bounds_checks = true;
    kiln_compile_result res;
    kiln_diag d;
    assert_true(kiln_compile(&o, &res, &d));
    char *ir = result_text(&res);
    assert_null(strstr(ir, "llvm.assume"));
    /* The only volatile loads are the array entries' interruption checks. */
    assert_int_equal(count(ir, "load volatile"), count(ir, "%interrupt = load volatile i32"));
    assert_null(strstr(ir, "store volatile"));
    assert_non_null(strstr(ir, "trap.memory_oob"));
    free(ir);
    /* --relaxed-dead-loads (the bench's baseline for what exactness costs): no anchors, no
     * volatile accesses; the dropped load is deleted (Wasm memory accesses are the ones with
     * align 1), the used one stays. */
    o.bounds_checks = false;
    o.relaxed_dead_loads = true;
    assert_true(kiln_compile(&o, &res, &d));
    ir = result_text(&res);
    assert_null(strstr(ir, "llvm.assume"));
    assert_int_equal(count(ir, "load volatile"), count(ir, "%interrupt = load volatile i32"));
    assert_null(strstr(ir, "store volatile"));
    char *f = function_text(ir, "exact_f0");
    assert_int_equal(count(f, "align 1,"), 0);
    free(f);
    f = function_text(ir, "exact_f1");
    assert_int_equal(count(f, "align 1,"), 1);
    free(f);
    free(ir);
    free(bytes);
}

/* The optimised IR of fixture name compiled at opt for x86_64 with interruption mode. */
static char *ir_with_interrupts(const char *name, int opt, kiln_interrupt_mode mode)
{
    size_t size;
    uint8_t *bytes = load_fixture(name, &size);
    kiln_compile_options o;
    text_options(&o, name, KILN_EMIT_LLVM, opt, "x86_64-unknown-linux-gnu");
    o.input = bytes;
    o.input_size = size;
    o.interrupts = mode;
    kiln_compile_result res;
    kiln_diag d;
    if (!kiln_compile(&o, &res, &d))
        fail_msg("%s: %s", name, d.msg);
    free(bytes);
    return result_text(&res);
}

/* Interruption checks (toolchain/interrupt.c), at -O0 where the fixture's loops and calls
 * survive. Every mode but none checks at the array entries. The default (signal) mode checks
 * only the back-edges of loops that call: f4's. Full mode checks every back-edge and the entry
 * of every function that calls. */
static void test_interrupt_checks(void **state)
{
    (void)state;
    static const struct {
        const char *fn;
        size_t edges, entries; /* full mode */
        size_t signal_edges;   /* signal mode (no function entries) */
    } want[] = {{"checks_f0", 0, 0, 0},
                {"checks_f1", 1, 0, 0},
                {"checks_f2", 0, 1, 0},
                {"checks_f3", 2, 0, 0},
                {"checks_f4", 1, 1, 1}};
    char *full = ir_with_interrupts("checks.wasm", 0, KILN_INTERRUPT_FULL);
    char *signal = ir_with_interrupts("checks.wasm", 0, KILN_INTERRUPT_AUTO);
    for (size_t i = 0; i < KILN_ARRAY_LEN(want); i++) {
        char *f = function_text(full, want[i].fn);
        assert_int_equal(count(f, "\ninterrupt.check"), want[i].edges);
        assert_int_equal(count(f, "\ninterrupt.entry:"), want[i].entries);
        assert_int_equal(count(f, "load volatile i32"), want[i].edges + want[i].entries);
        assert_int_equal(count(f, "\ntrap.interrupted:"), want[i].edges + want[i].entries > 0);
        free(f);
        f = function_text(signal, want[i].fn);
        assert_int_equal(count(f, "\ninterrupt.check"), want[i].signal_edges);
        assert_int_equal(count(f, "\ninterrupt.entry:"), 0);
        assert_int_equal(count(f, "load volatile i32"), want[i].signal_edges);
        free(f);
    }
    /* The one array entry (every export has the signature (i32) -> i32) checks first. */
    for (char *ir = full; ir; ir = ir == full ? signal : NULL) {
        char *f = function_text(ir, "checks_entry0");
        assert_true(strncmp(strchr(f, '\n') + 1, "interrupt.entry:", 16) == 0);
        assert_int_equal(count(f, "load volatile i32"), 1);
        free(f);
    }
    free(full);
    free(signal);
    /* Optimised, f4's loop keeps its check in full mode; in signal mode it has none: $leaf
     * is inlined, so the loop no longer calls and a signal can always stop it. The checks
     * are placed after optimisation for exactly this. */
    for (int mode = KILN_INTERRUPT_SIGNAL; mode <= KILN_INTERRUPT_FULL; mode++) {
        char *ir = ir_with_interrupts("checks.wasm", 2, (kiln_interrupt_mode)mode);
        char *f = function_text(ir, "checks_f4");
        assert_null(strstr(f, "@checks_f0("));
        assert_int_equal(count(f, "load volatile i32"), mode == KILN_INTERRUPT_FULL);
        free(f);
        free(ir);
    }
    char *ir = ir_with_interrupts("checks.wasm", 0, KILN_INTERRUPT_NONE);
    assert_null(strstr(ir, "interrupt."));
    assert_null(strstr(ir, "load volatile"));
    free(ir);
}

static void test_deterministic(void **state)
{
    kiln_compile_result a, b;
    kiln_diag d;
    assert_true(compile_fixture("multi.wasm", KILN_EMIT_OBJ, 2, NULL, &a, &d));
    assert_true(compile_fixture("multi.wasm", KILN_EMIT_OBJ, 2, NULL, &b, &d));
    assert_int_equal(a.output_size, b.output_size);
    assert_memory_equal(a.output, b.output, a.output_size);
    assert_int_equal(a.header_size, b.header_size);
    assert_memory_equal(a.header, b.header, a.header_size);
    kiln_compile_result_free(&a);
    kiln_compile_result_free(&b);
}

static void test_cross_targets(void **state)
{
    static const char *const triples[] = {"aarch64-unknown-linux-gnu", "riscv64-unknown-linux-gnu",
                                          "armv7-unknown-linux-gnueabihf",
                                          "x86_64-unknown-linux-gnu"};
    for (size_t i = 0; i < sizeof triples / sizeof *triples; i++) {
        kiln_compile_result res;
        kiln_diag d;
        if (!compile_fixture("multi.wasm", KILN_EMIT_OBJ, 2, triples[i], &res, &d))
            fail_msg("%s: %s", triples[i], d.msg);
        assert_true(res.output_size > 0);
        kiln_compile_result_free(&res);
    }
    /* f64 min/max, scalar and f64x2 (and the relaxed forms): llc-19 for 32-bit ARM cannot
     * select its own expansion of llvm.minimum/maximum.f64 and ends the process, so Kiln
     * lowers them by hand there. Every target must compile them. */
    static const char minmax[] =
        "(module\n"
        "  (func (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))\n"
        "  (func (param v128 v128) (result v128) (f64x2.min (local.get 0) (local.get 1)))\n"
        "  (func (param v128 v128) (result v128) (f64x2.max (local.get 0) (local.get 1)))\n"
        "  (func (param v128 v128) (result v128) (f64x2.relaxed_max (local.get 0) (local.get 1))))";
    for (size_t i = 0; i < sizeof triples / sizeof *triples; i++) {
        kiln_compile_options o;
        text_options(&o, "minmax.wat", KILN_EMIT_OBJ, 2, triples[i]);
        o.input = (const uint8_t *)minmax;
        o.input_size = sizeof minmax - 1;
        kiln_compile_result res;
        kiln_diag d;
        if (!kiln_compile(&o, &res, &d))
            fail_msg("%s: %s", triples[i], d.msg);
        assert_true(res.output_size > 0);
        kiln_compile_result_free(&res);
    }
    /* 32-bit pointers sit in 8-byte kiln_ptr64 slots, zero-padded. */
    char *ir = ir_of("multi.wasm", 0, "armv7-unknown-linux-gnueabihf");
    assert_non_null(
        strstr(ir, "<{ ptr @multi_import0, [4 x i8] zeroinitializer, ptr @multi_entry"));
    free(ir);
}

/* SIMD is lowered (lower_simd.c; its own tests are test_simd.c and simd_e2e.c). */
static void test_simd_compiles(void **state)
{
    kiln_compile_result res;
    kiln_diag d;
    assert_true(compile_fixture("simd.wasm", KILN_EMIT_OBJ, 2, NULL, &res, &d));
    assert_non_null(res.output);
    kiln_compile_result_free(&res);
}

static void test_bad_options(void **state)
{
    kiln_compile_result res;
    kiln_diag d;
    assert_false(compile_fixture("ops.wasm", KILN_EMIT_OBJ, 2, "nosucharch-linux", &res, &d));
    assert_int_equal(d.code, KILN_ERR_LLVM);
    kiln_compile_options o;
    kiln_compile_options_init(&o);
    o.input_path = "ops.wasm";
    o.input = (const uint8_t *)"\0asm\1\0\0\0";
    o.input_size = 8;
    o.prefix = "not-an-identifier";
    assert_false(kiln_compile(&o, &res, &d));
    o.prefix = "ok";
    o.input_size = 7; /* truncated header */
    assert_false(kiln_compile(&o, &res, &d));
    assert_int_equal(d.code, KILN_ERR_MALFORMED);
    o.input_size = 8; /* the empty module compiles */
    assert_true(kiln_compile(&o, &res, &d));
    assert_true(res.output_size > 0);
    kiln_compile_result_free(&res);
    /* A size level (-Os 1, -Oz 2) is an -O2 variant: with another level, or out of range, it
     * is refused before anything is compiled. */
    o.size_level = 2;
    assert_true(kiln_compile(&o, &res, &d));
    kiln_compile_result_free(&res);
    o.opt_level = 3;
    assert_false(kiln_compile(&o, &res, &d));
    assert_int_equal(d.code, KILN_ERR_LIMIT);
    assert_string_equal(d.msg, "size level 2 with -O3: -Os and -Oz are 1 and 2 at -O2");
    o.opt_level = 2;
    o.size_level = 3;
    assert_false(kiln_compile(&o, &res, &d));
    assert_int_equal(d.code, KILN_ERR_LIMIT);
}

/* The compile options are checked by the library before anything is compiled: an unknown
 * triple, a CPU LLVM does not know, and one that cannot run the target (where LLVM would end
 * the process with a fatal error) are each a diagnostic, nothing is written, and this process
 * goes on compiling. */
static void test_target_checked(void **state)
{
    (void)state;
    char out[256];
    snprintf(out, sizeof out, "%s/target-check.o", fixture_dir);
    remove(out);
    kiln_compile_options o;
    kiln_compile_options_init(&o);
    o.input_path = "empty.wasm";
    o.input = (const uint8_t *)"\0asm\1\0\0\0";
    o.input_size = 8;
    o.output_path = out;
    kiln_compile_result res;
    kiln_diag d;
    static const struct {
        const char *triple, *cpu, *message;
    } bad[] = {
        {"nosucharch-linux-gnu", NULL,
         "unknown target: No available targets are compatible with triple "
         "\"nosucharch-unknown-linux-gnu\""},
        {"x86_64-linux-gnu", "bogus",
         "--cpu 'bogus' cannot be used for x86_64-linux-gnu: 'bogus' is not a recognized "
         "processor for this target (ignoring processor)"},
        {"x86_64-linux-gnu", "i386",
         "--cpu 'i386' cannot be used for x86_64-linux-gnu: LLVM ERROR: 64-bit code requested "
         "on a subtarget that doesn't support it!"},
        {"riscv64-linux-gnu", "sifive-e31",
         "--cpu 'sifive-e31' cannot be used for riscv64-linux-gnu: LLVM ERROR: RV64 target "
         "requires an RV64 CPU"},
        {"aarch64-linux-gnu", "cortex-m3",
         "--cpu 'cortex-m3' cannot be used for aarch64-linux-gnu: 'cortex-m3' is not a "
         "recognized processor for this target (ignoring processor)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.triple = bad[i].triple;
        o.cpu = bad[i].cpu;
        assert_false(kiln_compile(&o, &res, &d));
        assert_int_equal(d.code, KILN_ERR_LLVM);
        assert_int_equal(d.offset, KILN_NO_OFFSET);
        assert_string_equal(d.msg, bad[i].message);
        assert_null(res.output);
        assert_int_equal(access(out, F_OK), -1);
    }
    /* Usable CPUs compile, twice (the second time from the remembered answer). */
    static const struct {
        const char *triple, *cpu;
    } good[] = {{"x86_64-linux-gnu", "x86-64-v3"},
                {"x86_64-linux-gnu", "x86-64-v3"},
                {"aarch64-linux-gnu", "cortex-a72"},
                {"riscv64-linux-gnu", "sifive-u74"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        o.triple = good[i].triple;
        o.cpu = good[i].cpu;
        if (!kiln_compile(&o, &res, &d))
            fail_msg("%s --cpu %s: %s", good[i].triple, good[i].cpu, d.msg);
        assert_true(res.output_size > 0);
        kiln_compile_result_free(&res);
        assert_int_equal(access(out, F_OK), 0);
        remove(out);
    }
}

/* An allocator that counts its live blocks and refuses the fail_at-th request (0: none). */
typedef struct counted {
    kiln_allocator base;
    size_t calls, live, fail_at;
} counted;

static void *counted_realloc(void *ud, void *ptr, size_t size)
{
    counted *a = ud;
    if (size == 0) {
        if (ptr)
            a->live--;
        free(ptr);
        return NULL;
    }
    if (++a->calls == a->fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        a->live++;
    return p;
}

/* Module text compiled with the caller's allocator: the conversion's buffers come from it too
 * (none from the C library behind its back), all are given back, and a refused one is a clean
 * out-of-memory error. */
static void test_text_input_allocator(void **state)
{
    (void)state;
    static const char wat[] = "(module (func (export \"add\") (param i32 i32) (result i32)\n"
                              "  (i32.add (local.get 0) (local.get 1))))";
    kiln_compile_options o;
    text_options(&o, "add.wat", KILN_EMIT_OBJ, 1, "x86_64-unknown-linux-gnu");
    o.input = (const uint8_t *)wat;
    o.input_size = sizeof wat - 1;
    counted a = {.base = {counted_realloc, &a}};
    o.alloc = &a.base;
    kiln_compile_result res;
    kiln_diag d;
    if (!kiln_compile(&o, &res, &d))
        fail_msg("%s", d.msg);
    assert_true(res.output_size > 0);
    kiln_compile_result_free(&res);
    assert_int_equal(a.live, 0);
    size_t text_calls = a.calls;
    /* The same module as binary: fewer requests, by the reader's. */
    uint8_t *wasm;
    size_t wasm_size;
    assert_true(kiln_wat_to_wasm((const uint8_t *)wat, sizeof wat - 1, &wasm, &wasm_size, &d));
    o.input = wasm;
    o.input_size = wasm_size;
    a = (counted){.base = {counted_realloc, &a}};
    if (!kiln_compile(&o, &res, &d))
        fail_msg("%s", d.msg);
    kiln_compile_result_free(&res);
    free(wasm);
    assert_int_equal(a.live, 0);
    assert_true(a.calls > 0);
    assert_true(text_calls > a.calls);
    o.input = (const uint8_t *)wat;
    o.input_size = sizeof wat - 1;
    /* The first request is the text reader's: refused, compilation stops cleanly. */
    a = (counted){.base = {counted_realloc, &a}, .fail_at = 1};
    assert_false(kiln_compile(&o, &res, &d));
    assert_int_equal(d.code, KILN_ERR_NOMEM);
    assert_int_equal(a.live, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        fixture_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mangle_examples),      cmocka_unit_test(test_mangle_injective),
        cmocka_unit_test(test_import_symbol),        cmocka_unit_test(test_import_symbol_injective),
        cmocka_unit_test(test_prefix_from_path),     cmocka_unit_test(test_ir_families),
        cmocka_unit_test(test_memory_base_hoisted),  cmocka_unit_test(test_vector_loop_roots),
        cmocka_unit_test(test_deterministic),        cmocka_unit_test(test_cross_targets),
        cmocka_unit_test(test_simd_compiles),        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_multi3_idiom),         cmocka_unit_test(test_leaf_checks),
        cmocka_unit_test(test_checked_facts),        cmocka_unit_test(test_interrupt_checks),
        cmocka_unit_test(test_exact_accesses),       cmocka_unit_test(test_target_checked),
        cmocka_unit_test(test_text_input_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
