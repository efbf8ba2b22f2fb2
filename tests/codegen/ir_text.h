/* ir_text.h -- compiler output as text, for the codegen unit tests (test_codegen.c and
 * test_simd.c, which include it after <cmocka.h> and "toolchain.h"): the output of a
 * compilation as a string, a piece of it copied out (a function's IR or assembly), how
 * often a needle occurs, and the options both compile with. Strings are malloc'd; the caller frees
 * them. Allocation failures fail the test.
 */
#ifndef KILN_IR_TEXT_H
#define KILN_IR_TEXT_H

/* The n bytes at start, NUL-terminated. */
static inline char *text_copy(const char *start, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, start, n);
    s[n] = '\0';
    return s;
}

/* A compilation's output as a string; res is freed. */
static inline char *result_text(kiln_compile_result *res)
{
    char *text = text_copy((const char *)res->output, res->output_size);
    kiln_compile_result_free(res);
    return text;
}

/* How many times needle occurs in hay (overlapping occurrences count). */
static inline size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The options the tests compile path's module with: emit, -O, triple (NULL: the host's),
 * and LLVM's verifier on. */
static inline void text_options(kiln_compile_options *o, const char *path, kiln_emit_kind emit,
                                int opt, const char *triple)
{
    kiln_compile_options_init(o);
    o->input_path = path;
    o->emit = emit;
    o->opt_level = opt;
    o->triple = triple;
    o->verify = true;
}

#endif
