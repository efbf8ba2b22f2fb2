/* describe.c -- module entities as short strings, for both views of `kiln inspect`.
 *
 * inspect shows modules that failed to decode or validate, so nothing here trusts an index:
 * every type, function and byte-range lookup is bounds-checked and degrades to "?" or
 * "<malformed>". Constant expressions are summarised by re-reading their bytes with the
 * decoder's own dec_instr, so the text always agrees with what the decoder accepted, and
 * instruction names come from the opcode table rather than a second list.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_section_name(uint8_t id)
{
    static const char *const names[] = {
        "custom", "type",  "import",  "function", "table", "memory",    "global",
        "export", "start", "element", "code",     "data",  "datacount", "tag",
    };
    return id < KILN_ARRAY_LEN(names) ? names[id] : "unknown";
}

const wasm_functype *cli_type(const wasm_module *m, uint32_t type_index)
{
    if (!m->types || type_index >= m->type_count)
        return NULL;
    return &m->types[type_index];
}

const wasm_functype *cli_func_type(const wasm_module *m, uint32_t func_index)
{
    if (!m->funcs || func_index >= m->func_count)
        return NULL;
    return cli_type(m, m->funcs[func_index].type_index);
}

bool cli_func_name(const wasm_module *m, uint32_t func_index, wasm_str *out)
{
    if (!m->func_names || m->func_name_count == 0)
        return false;
    return wasm_module_func_name(m, func_index, out);
}

static void buf_types(cli_buf *b, const wasm_valtype *types, uint32_t count)
{
    cli_buf_put(b, "(", 1);
    for (uint32_t i = 0; types && i < count; i++)
        cli_buf_printf(b, "%s%s", i ? ", " : "", wasm_valtype_name(types[i]));
    cli_buf_put(b, ")", 1);
}

void cli_buf_functype(cli_buf *b, const wasm_functype *t)
{
    if (!t) {
        cli_buf_put(b, "?", 1);
        return;
    }
    buf_types(b, t->params, t->param_count);
    cli_buf_put(b, " -> ", 4);
    if (t->result_count == 1 && t->results)
        cli_buf_printf(b, "%s", wasm_valtype_name(t->results[0]));
    else
        buf_types(b, t->results, t->result_count);
}

void cli_buf_limits(cli_buf *b, const wasm_limits *l)
{
    cli_buf_printf(b, "min %llu", (unsigned long long)l->min);
    if (l->has_max)
        cli_buf_printf(b, " max %llu", (unsigned long long)l->max);
    if (l->shared)
        cli_buf_printf(b, " shared");
}

/* A float of width 32 or 64 from its bits, as the text format prints it: nan, nan:0xPAYLOAD
 * for a payload other than the canonical one, inf, or the shortest decimal that reads back as
 * the same value. */
static void buf_float(cli_buf *b, uint64_t bits, unsigned width)
{
    bool f32 = width == 32;
    uint64_t payload = bits & (f32 ? 0x7FFFFFu : 0xFFFFFFFFFFFFFull);
    uint64_t canonical = f32 ? 0x400000u : 0x8000000000000ull;
    const char *sign = (bits >> (width - 1)) & 1 ? "-" : "";
    double v;
    if (f32) {
        uint32_t u = (uint32_t)bits;
        float f;
        memcpy(&f, &u, sizeof f);
        v = f;
    } else {
        memcpy(&v, &bits, sizeof v);
    }
    if (isnan(v)) {
        if (payload == canonical)
            cli_buf_printf(b, "%snan", sign);
        else
            cli_buf_printf(b, "%snan:0x%llx", sign, (unsigned long long)payload);
        return;
    }
    if (isinf(v)) {
        cli_buf_printf(b, "%sinf", sign);
        return;
    }
    char text[48];
    for (int precision = 1; precision <= (f32 ? 9 : 17); precision++) {
        snprintf(text, sizeof text, "%.*g", precision, v);
        if (f32 ? strtof(text, NULL) == (float)v : strtod(text, NULL) == v)
            break;
    }
    cli_buf_printf(b, "%s", text);
}

static void buf_instr(cli_buf *b, const wasm_instr *ins)
{
    const wasm_opinfo *info = &wasm_ops[ins->op];
    cli_buf_printf(b, "%s", info->name);
    switch (info->imm) {
    case IMM_I32:
        cli_buf_printf(b, " %ld", (long)ins->u.i32);
        break;
    case IMM_I64:
        cli_buf_printf(b, " %lld", (long long)ins->u.i64);
        break;
    case IMM_F32:
        cli_buf_put(b, " ", 1);
        buf_float(b, ins->u.f32_bits, 32);
        break;
    case IMM_F64:
        cli_buf_put(b, " ", 1);
        buf_float(b, ins->u.f64_bits, 64);
        break;
    case IMM_V128:
        /* As four i32 lanes, the text format's most compact exact spelling. */
        cli_buf_put(b, " i32x4", 6);
        for (int lane = 0; lane < 4; lane++) {
            const uint8_t *p = ins->u.v128 + 4 * lane;
            uint32_t v =
                (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            cli_buf_printf(b, " 0x%08x", (unsigned)v);
        }
        break;
    case IMM_GLOBAL:
    case IMM_FUNC:
    case IMM_LOCAL:
    case IMM_LABEL:
    case IMM_TABLE:
    case IMM_ELEM:
    case IMM_DATA:
    case IMM_TAG:
        cli_buf_printf(b, " %lu", (unsigned long)ins->u.index);
        break;
    case IMM_REFTYPE: {
        uint32_t h = wasm_ref_heap(ins->u.reftype);
        if (wasm_heap_is_type(h))
            cli_buf_printf(b, " %lu", (unsigned long)(h - WASM_HT_TYPE));
        else
            cli_buf_printf(b, " %s", wasm_heap_name(h));
        break;
    }
    default:
        break;
    }
}

void cli_buf_expr(cli_buf *b, const wasm_module *m, wasm_expr e)
{
    if (!m->bytes || e.offset > m->size || e.size > m->size - e.offset || e.size == 0) {
        cli_buf_put(b, "<malformed>", 11);
        return;
    }
    kiln_diag d;
    kiln_diag_init(&d);
    kiln_reader r;
    wasm_expr_reader(&r, m, e, &d);
    kiln_arena scratch;
    kiln_arena_init(&scratch, NULL);
    size_t start = b->len;
    bool first = true;
    while (!rd_done(&r)) {
        wasm_instr ins;
        if (!dec_instr(&r, &scratch, &ins) || ins.op >= WASM_OP_COUNT) {
            b->len = start;
            if (b->data)
                b->data[start] = '\0';
            cli_buf_put(b, "<malformed>", 11);
            break;
        }
        if (strcmp(wasm_ops[ins.op].name, "end") == 0 && rd_done(&r))
            break;
        if (!first)
            cli_buf_put(b, ", ", 2);
        buf_instr(b, &ins);
        first = false;
    }
    if (first && b->len == start)
        cli_buf_put(b, "<empty>", 7);
    kiln_arena_free(&scratch);
}

bool cli_code_entry_size(const wasm_module *m, const wasm_func *f, uint32_t *out)
{
    /* code_offset 0 means the code entry was never decoded (offset 0 is the magic). */
    if (f->imported || !m->bytes || f->code_offset == 0 || f->code_offset >= m->size)
        return false;
    kiln_diag d;
    kiln_diag_init(&d);
    kiln_reader r;
    rd_init(&r, m->bytes, m->size, &d);
    r.p = m->bytes + f->code_offset;
    return rd_u32(&r, out, "code size");
}

uint64_t cli_code_size(const wasm_module *m)
{
    uint64_t total = 0;
    for (uint32_t i = 0; m->funcs && i < m->func_count; i++) {
        uint32_t size;
        if (cli_code_entry_size(m, &m->funcs[i], &size))
            total += size;
    }
    return total;
}

bool cli_module_version(const uint8_t *bytes, size_t size, uint32_t *out)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    if (size < 8 || memcmp(bytes, magic, 4) != 0)
        return false;
    *out = (uint32_t)bytes[4] | (uint32_t)bytes[5] << 8 | (uint32_t)bytes[6] << 16 |
           (uint32_t)bytes[7] << 24;
    return true;
}
