/* header.c -- the C header `kiln compile --header` writes, and the naming rules behind it.
 *
 * The header includes <kiln/kiln.h>, declares PREFIX_module (the descriptor the object
 * exports) and gives every exported function E a typed wrapper
 *     static inline kiln_trap PREFIX_E(kiln_instance *inst, params..., result pointers...)
 * that packs the parameters into the 16-byte-per-value array (2 uint64_t words per value),
 * calls kiln_invoke(inst, function index, array) and, if nothing trapped, unpacks the results.
 * Export names become C identifiers through kiln_mangle_name, one injective rule documented
 * in docs/abi.md and unit-tested: names a user can type are kept as they are. Everything here is
 * plain text generation with no LLVM; the output depends only on the module and the prefix. Called
 * by compile.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

static bool is_alnum(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static void put(char *out, size_t cap, size_t *n, char ch)
{
    if (*n + 1 < cap)
        out[*n] = ch;
    (*n)++;
}

/* Appends name mangled to out at *n (see kiln_mangle_name): escape_first writes the first
 * byte as "_xHH" whatever it is. */
static void mangle_into(const char *name, size_t len, bool escape_first, char *out, size_t cap,
                        size_t *n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (is_alnum(ch) && !(escape_first && i == 0)) {
            put(out, cap, n, (char)ch);
        } else if (ch == '_' && !(escape_first && i == 0)) {
            put(out, cap, n, '_');
            put(out, cap, n, '_');
        } else {
            put(out, cap, n, '_');
            put(out, cap, n, 'x');
            put(out, cap, n, hex[ch >> 4]);
            put(out, cap, n, hex[ch & 15]);
        }
    }
}

static size_t finish(char *out, size_t cap, size_t n)
{
    if (cap > 0)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

static bool has_prefix(const char *name, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && memcmp(name, word, n) == 0;
}

static bool has_suffix(const char *name, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && memcmp(name + len - n, word, n) == 0;
}

/* Whether name is written as it is: [A-Za-z0-9_] bytes only, no "__", and none of the forms
 * that would meet another name of the header: PREFIX_module, the include guard
 * PREFIX_KILN_MODULE_H, the sealed imports' PREFIX_import_M_N and the accessors
 * PREFIX_M_memory and PREFIX_T_tag. */
static bool verbatim(const char *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!is_alnum(ch) && ch != '_')
            return false;
        if (ch == '_' && i + 1 < len && name[i + 1] == '_')
            return false;
    }
    return !(len == 6 && memcmp(name, "module", 6) == 0) &&
           !(len == 13 && memcmp(name, "KILN_MODULE_H", 13) == 0) &&
           !has_prefix(name, len, "import_") && !has_suffix(name, len, "_memory") &&
           !has_suffix(name, len, "_tag");
}

size_t kiln_mangle_name(const char *name, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    if (verbatim(name, len)) {
        for (size_t i = 0; i < len; i++)
            put(out, cap, &n, name[i]);
        return finish(out, cap, n);
    }
    /* Escaped: '_' as "__", other bytes outside [A-Za-z0-9] as "_xHH", then "__", so that it
     * always holds "__" and never equals a verbatim name. A name that would come out
     * starting "import_" (a sealed import's PREFIX_import_M_N) gets its 'i' written "_x69":
     * letters are otherwise never escaped, so the escape is unambiguous. */
    bool reserved = len > 6 && memcmp(name, "import", 6) == 0 && !is_alnum((unsigned char)name[6]);
    mangle_into(name, len, reserved, out, cap, &n);
    put(out, cap, &n, '_');
    put(out, cap, &n, '_');
    return finish(out, cap, n);
}

size_t kiln_import_symbol(const char *prefix, const char *module, size_t module_len,
                          const char *name, size_t name_len, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = prefix; *p; p++)
        put(out, cap, &n, *p);
    for (const char *p = "_import_"; *p; p++)
        put(out, cap, &n, *p);
    mangle_into(module, module_len, false, out, cap, &n);
    put(out, cap, &n, '_');
    /* Every '_' of a mangled name starts "__" or "_xHH", so the separator is the '_' that
     * starts neither, provided N does not start with '_' itself. */
    mangle_into(name, name_len, name_len > 0 && name[0] == '_', out, cap, &n);
    return finish(out, cap, n);
}

bool kiln_import_sealed(const char *list, const char *module, size_t len)
{
    bool sealed = false;
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t item = end ? (size_t)(end - p) : strlen(p);
        bool remove = item > 0 && p[0] == '-';
        const char *word = p + remove;
        size_t wlen = item - remove;
        if ((wlen == 1 && word[0] == '*') || (wlen == len && memcmp(word, module, len) == 0))
            sealed = !remove;
        p = end ? end + 1 : p + item;
    }
    return sealed;
}

void kiln_prefix_from_path(const char *path, char *out, size_t cap)
{
    KILN_ASSERT(cap > KILN_MAX_PREFIX);
    const char *base = path ? path : "";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        len = (size_t)(dot - base);
    size_t n = 0;
    if (len == 0 || (base[0] >= '0' && base[0] <= '9'))
        out[n++] = 'w';
    for (size_t i = 0; i < len && n < KILN_MAX_PREFIX; i++) {
        unsigned char ch = (unsigned char)base[i];
        out[n++] = is_alnum(ch) || ch == '_' ? (char)ch : '_';
    }
    out[n] = '\0';
}

bool kiln_prefix_valid(const char *prefix)
{
    size_t len = strlen(prefix);
    if (len == 0 || len > KILN_MAX_PREFIX || (prefix[0] >= '0' && prefix[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum((unsigned char)prefix[i]) && prefix[i] != '_')
            return false;
    return true;
}

/*
 * A growable string; an allocation failure sticks and is reported at the end.
 */

typedef struct hbuf {
    char *data;
    size_t len, cap;
    bool failed;
} hbuf;

static void hb_put(hbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n + 1 > b->cap - b->len || !b->data) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void hb_printf(hbuf *b, const char *fmt, ...) KILN_PRINTF(2, 3);

static void hb_printf(hbuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        hb_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    hb_put(b, big, (size_t)n);
    free(big);
}

/* A name inside a C comment: printable ASCII except what could end the comment or start a
 * trigraph; everything else as \xHH. */
static void hb_comment_name(hbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '*' && ch != '\\' && ch != '?')
            hb_put(b, (const char *)&ch, 1);
        else
            hb_printf(b, "\\x%02x", ch);
    }
}

static const char *c_type(wasm_valtype t)
{
    switch (wasm_valtype_repr(t)) {
    case WASM_VT_I32:
        return "int32_t";
    case WASM_VT_I64:
        return "int64_t";
    case WASM_VT_F32:
        return "float";
    case WASM_VT_F64:
        return "double";
    case WASM_VT_V128:
        return "kiln_v128";
    case WASM_VT_FUNCREF:
        return "const kiln_funcref *";
    default:
        return "void *";
    }
}

/* "int32_t x" / "const kiln_funcref *x": no space after a '*'. */
static void hb_decl(hbuf *b, const char *type, const char *stars, const char *name, uint32_t i)
{
    size_t tl = strlen(type);
    const char *sep = tl > 0 && type[tl - 1] == '*' ? "" : " ";
    hb_printf(b, ", %s%s%s%s%u", type, sep, stars, name, i);
}

/* Export e's name as a C identifier (kiln_mangle_name), allocated; NULL (b failed) if out of
 * memory. */
static char *mangled_name(hbuf *b, const wasm_export *e)
{
    size_t mlen = kiln_mangle_name(e->name.ptr, e->name.len, NULL, 0);
    char *mangled = malloc(mlen + 1);
    if (!mangled) {
        b->failed = true;
        return NULL;
    }
    kiln_mangle_name(e->name.ptr, e->name.len, mangled, mlen + 1);
    return mangled;
}

/* An exported memory M: PREFIX_M_memory(inst), its kiln_memory record (base, size). A
 * function's mangled name never ends "_memory" (verbatim names do not, escaped ones end
 * "__"), so the suffix cannot collide with a function wrapper. */
static void emit_memory_accessor(hbuf *b, const wasm_module *m, const wasm_export *e,
                                 const char *prefix)
{
    char *mangled = mangled_name(b, e);
    if (!mangled)
        return;
    const wasm_limits *l = &m->memories[e->index].type.limits;
    hb_put(b, "\n/* export \"", 12);
    hb_comment_name(b, e->name.ptr, e->name.len);
    hb_printf(b, "\": memory %u (%s addresses%s) */\n", e->index, l->is64 ? "64-bit" : "32-bit",
              l->shared ? ", shared" : "");
    hb_printf(b,
              "static inline kiln_memory *%s_%s_memory(kiln_instance *inst)\n"
              "{\n"
              "    return kiln_instance_memory(inst, %uu);\n"
              "}\n",
              prefix, mangled, e->index);
    free(mangled);
}

/* An exported tag T: PREFIX_T_tag(inst), the tag's record, which the host throws with
 * (kiln_host_throw) and compares kiln_last_exception()->tag with. No function's mangled
 * name ends "_tag" either. */
static void emit_tag_accessor(hbuf *b, const wasm_module *m, const wasm_export *e,
                              const char *prefix)
{
    char *mangled = mangled_name(b, e);
    if (!mangled)
        return;
    const wasm_functype *ft = &m->types[m->tags[e->index].type_index];
    hb_put(b, "\n/* export \"", 12);
    hb_comment_name(b, e->name.ptr, e->name.len);
    hb_printf(b, "\": tag %u (", e->index);
    for (uint32_t i = 0; i < ft->param_count; i++)
        hb_printf(b, "%s%s", i ? " " : "", wasm_valtype_name(ft->params[i]));
    hb_printf(b,
              ") */\n"
              "static inline const kiln_tag *%s_%s_tag(kiln_instance *inst)\n"
              "{\n"
              "    return kiln_instance_tag(inst, %uu);\n"
              "}\n",
              prefix, mangled, e->index);
    free(mangled);
}

static void emit_wrapper(hbuf *b, const wasm_module *m, const wasm_export *e, const char *prefix)
{
    const wasm_functype *ft = wasm_module_func_type(m, e->index);
    char *mangled = mangled_name(b, e);
    if (!mangled)
        return;

    hb_put(b, "\n/* export \"", 12);
    hb_comment_name(b, e->name.ptr, e->name.len);
    hb_printf(b, "\": function %u (", e->index);
    for (uint32_t i = 0; i < ft->param_count; i++)
        hb_printf(b, "%s%s", i ? ", " : "", wasm_valtype_name(ft->params[i]));
    hb_put(b, ") -> (", 6);
    for (uint32_t i = 0; i < ft->result_count; i++)
        hb_printf(b, "%s%s", i ? ", " : "", wasm_valtype_name(ft->results[i]));
    hb_put(b, ") */\n", 5);

    hb_printf(b, "static inline kiln_trap %s_%s(kiln_instance *inst", prefix, mangled);
    for (uint32_t i = 0; i < ft->param_count; i++)
        hb_decl(b, c_type(ft->params[i]), "", "p", i);
    for (uint32_t i = 0; i < ft->result_count; i++)
        hb_decl(b, c_type(ft->results[i]), "*", "r", i);
    hb_put(b, ")\n{\n", 4);

    uint32_t slots = ft->param_count > ft->result_count ? ft->param_count : ft->result_count;
    hb_printf(b, "    uint64_t v[%u] = {0};\n", 2 * (slots ? slots : 1));
    for (uint32_t i = 0; i < ft->param_count; i++)
        hb_printf(b, "    memcpy(&v[%u], &p%u, sizeof p%u);\n", 2 * i, i, i);
    hb_printf(b, "    kiln_trap t = kiln_invoke(inst, %uu, v);\n", e->index);
    if (ft->result_count > 0) {
        hb_put(b, "    if (t == KILN_TRAP_NONE) {\n", 31);
        for (uint32_t i = 0; i < ft->result_count; i++)
            hb_printf(b, "        memcpy(r%u, &v[%u], sizeof *r%u);\n", i, 2 * i, i);
        hb_put(b, "    }\n", 6);
    }
    hb_put(b, "    return t;\n}\n", 16);
    free(mangled);
}

/* A function import's C prototype: the function a sealed import calls (docs/abi.md "Sealed
 * imports"). v128 values go by pointer, which every target's C convention passes alike. */
static void emit_import_prototype(hbuf *b, const wasm_module *m, const wasm_import *im,
                                  uint32_t func_index, const char *prefix, const char *sealed)
{
    const wasm_functype *ft = &m->types[im->u.type_index];
    size_t slen = kiln_import_symbol(prefix, im->module.ptr, im->module.len, im->name.ptr,
                                     im->name.len, NULL, 0);
    char *symbol = malloc(slen + 1);
    if (!symbol) {
        b->failed = true;
        return;
    }
    kiln_import_symbol(prefix, im->module.ptr, im->module.len, im->name.ptr, im->name.len, symbol,
                       slen + 1);
    hb_put(b, "\n/* import \"", 12);
    hb_comment_name(b, im->module.ptr, im->module.len);
    hb_put(b, "\" \"", 3);
    hb_comment_name(b, im->name.ptr, im->name.len);
    hb_printf(b, "\": function %u (", func_index);
    for (uint32_t i = 0; i < ft->param_count; i++)
        hb_printf(b, "%s%s", i ? ", " : "", wasm_valtype_name(ft->params[i]));
    hb_put(b, ") -> (", 6);
    for (uint32_t i = 0; i < ft->result_count; i++)
        hb_printf(b, "%s%s", i ? ", " : "", wasm_valtype_name(ft->results[i]));
    hb_printf(b, "),\n   %s */\n",
              kiln_import_sealed(sealed, im->module.ptr, im->module.len)
                  ? "sealed: the object calls this function, which the program must define"
                  : "not sealed: bound at instantiation (kiln_imports); define this to seal it");
    hb_printf(b, "kiln_trap %s(kiln_instance *caller, void *env", symbol);
    for (uint32_t i = 0; i < ft->param_count; i++) {
        bool v128 = wasm_valtype_repr(ft->params[i]) == WASM_VT_V128;
        hb_decl(b, v128 ? "const kiln_v128" : c_type(ft->params[i]), v128 ? "*" : "", "p", i);
    }
    for (uint32_t i = 0; i < ft->result_count; i++)
        hb_decl(b, c_type(ft->results[i]), "*", "r", i);
    hb_put(b, ");\n", 3);
    free(symbol);
}

bool kiln_header_generate(const wasm_module *m, const char *prefix, const char *source_name,
                          const char *sealed_imports, char **out, size_t *out_size, kiln_diag *d)
{
    hbuf b = {NULL, 0, 0, false};
    *out = NULL;
    *out_size = 0;
    hb_printf(&b, "/* Generated by `kiln compile` from ");
    hb_comment_name(&b, source_name, strlen(source_name));
    hb_printf(&b,
              "; do not edit.\n"
              " *\n"
              " * Instantiate %s_module with kiln_instance_new(). Each exported function E has a\n"
              " * wrapper %s_E(inst, parameters..., result pointers...) returning KILN_TRAP_NONE\n"
              " * or the trap; results are written only when nothing trapped. E is the export\n"
              " * name itself when it has only [A-Za-z0-9_] bytes and no \"__\" (\"_start\" ->\n"
              " * %s__start, \"get_x\" -> %s_get_x), unless it is \"module\" or\n"
              " * \"KILN_MODULE_H\", starts \"import_\" or ends \"_memory\" or \"_tag\"; any\n"
              " * other name is escaped and ends \"__\": '_' as \"__\", other bytes as \"_xHH\"\n"
              " * (\"a-b\" -> %s_a_x2db__, \"module\" -> %s_module__; docs/abi.md).\n"
              " * Each exported memory M has %s_M_memory(inst), its\n"
              " * kiln_memory (base and size in bytes), and each exported tag T has\n"
              " * %s_T_tag(inst), its record (kiln_host_throw, kiln_last_exception).\n"
              " * Each function import has a prototype %s_import_M_N(caller, env, parameters...,\n"
              " * result pointers...), M and N its module and name with [A-Za-z0-9] kept, '_'\n"
              " * as \"__\", other bytes as \"_xHH\" and a leading '_' of N as \"_x5f\"\n"
              " * (\"bench\" \"start\" -> %s_import_bench_start): a sealed import (kiln compile\n"
              " * --sealed-imports)\n"
              " * calls it directly; env is the instance's kiln_instance_import_env. Return\n"
              " * KILN_TRAP_NONE, or a trap to raise in the caller (docs/abi.md).\n"
              " */\n"
              "#ifndef %s_KILN_MODULE_H\n"
              "#define %s_KILN_MODULE_H\n"
              "\n"
              "#include <stdint.h>\n"
              "#include <string.h>\n"
              "\n"
              "#include <kiln/kiln.h>\n"
              "\n"
              "#ifdef __cplusplus\n"
              "extern \"C\" {\n"
              "#endif\n"
              "\n"
              "extern const kiln_module %s_module;\n",
              prefix, prefix, prefix, prefix, prefix, prefix, prefix, prefix, prefix, prefix,
              prefix, prefix, prefix);
    for (uint32_t i = 0; i < m->export_count; i++) {
        if (m->exports[i].kind == WASM_EXTERN_FUNC)
            emit_wrapper(&b, m, &m->exports[i], prefix);
        else if (m->exports[i].kind == WASM_EXTERN_MEMORY)
            emit_memory_accessor(&b, m, &m->exports[i], prefix);
        else if (m->exports[i].kind == WASM_EXTERN_TAG)
            emit_tag_accessor(&b, m, &m->exports[i], prefix);
    }
    for (uint32_t i = 0, f = 0; i < m->import_count; i++)
        if (m->imports[i].kind == WASM_EXTERN_FUNC)
            emit_import_prototype(&b, m, &m->imports[i], f++, prefix, sealed_imports);
    hb_printf(&b, "\n"
                  "#ifdef __cplusplus\n"
                  "}\n"
                  "#endif\n"
                  "\n"
                  "#endif\n");
    if (b.failed) {
        free(b.data);
        return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    }
    *out = b.data;
    *out_size = b.len;
    return true;
}
