/* fuzz_validate.c -- libFuzzer target: arbitrary bytes through kiln_decode + kiln_validate.
 *
 * Any input must end in success or a diagnostic, never a crash, a sanitizer report, a leak
 * or a huge allocation. Beyond decoding and validating, it exercises what callers do with the
 * result: kiln_diag_format (also into tiny buffers, for truncation), the name lookups
 * (wasm_module_func_name, wasm_valtype_name, wasm_externkind_name, kiln_err_class, the opcode
 * table's names) and, for valid modules, wasm_module_func_type for every function.
 * Built with -fsanitize=fuzzer when KILN_FUZZ=ON (see scripts/fuzz.sh); the same function is
 * linked into fuzz_replay (replay.c), which runs tests/fuzz/corpus/ in every build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps results observable so the compiler cannot drop the calls that produce them. */
static volatile size_t sink;

static void use_str(const char *s)
{
    sink += s ? strlen(s) : 1;
}

static void format_diag(const kiln_diag *d)
{
    static const size_t sizes[] = {1, 2, 16, 512};
    char buf[512];
    for (size_t i = 0; i < KILN_ARRAY_LEN(sizes); i++) {
        memset(buf, 'x', sizeof(buf));
        int n = kiln_diag_format(d, "fuzz.wasm", buf, sizes[i]);
        sink += (size_t)n;
        if (!memchr(buf, '\0', sizes[i]))
            abort(); /* not NUL-terminated within the given size */
    }
    use_str(kiln_err_class(d->code));
}

/* What `kiln inspect` and diagnostics look at in a decoded module. */
static void walk_names(const wasm_module *m)
{
    for (uint32_t i = 0; i < m->type_count; i++) {
        const wasm_functype *t = &m->types[i];
        for (uint32_t k = 0; k < t->param_count; k++)
            use_str(wasm_valtype_name(t->params[k]));
        for (uint32_t k = 0; k < t->result_count; k++)
            use_str(wasm_valtype_name(t->results[k]));
    }
    for (uint32_t i = 0; i < m->import_count; i++) {
        use_str(wasm_externkind_name(m->imports[i].kind));
        sink += m->imports[i].module.len + m->imports[i].name.len;
    }
    for (uint32_t i = 0; i < m->export_count; i++)
        use_str(wasm_externkind_name(m->exports[i].kind));
    for (uint32_t i = 0; i < m->global_count; i++)
        use_str(wasm_valtype_name(m->globals[i].type.type));
    for (uint32_t f = 0; f < m->func_count; f++) {
        wasm_str name;
        if (wasm_module_func_name(m, f, &name))
            sink += name.len + (name.len ? (uint8_t)name.ptr[0] : 0);
    }
    if (m->has_module_name)
        sink += m->module_name.len;
    if (m->name_section_error.code != KILN_OK)
        format_diag(&m->name_section_error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wasm_module m;
    kiln_diag d;
    kiln_diag_init(&d);
    if (kiln_decode(&m, data, size, NULL, &d)) {
        walk_names(&m);
        if (kiln_validate(&m, NULL, &d)) {
            for (uint32_t f = 0; f < m.func_count; f++)
                sink += wasm_module_func_type(&m, f)->param_count;
        }
    }
    format_diag(&d);
    wasm_module_free(&m);

    /* The opcode table's name lookup, driven by the first bytes of the input. */
    if (size >= 2) {
        static const uint8_t prefixes[] = {0x00, 0xfc, 0xfd};
        uint16_t op = wasm_op_lookup(prefixes[data[0] % 3], data[1]);
        if (op < WASM_OP_COUNT)
            use_str(wasm_ops[op].name);
    }
    return 0;
}
