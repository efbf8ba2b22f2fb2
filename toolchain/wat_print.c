/* wat_print.c -- a decoded module back as WebAssembly text (`kiln inspect --wat`).
 *
 * The text is for reading, and it is also module text the reader (wat_module.c) takes back:
 * converting it gives the module's binary again, byte for byte, for every module the reader
 * itself could have written (tests/spec/spec_print.c checks the whole core suite). What the
 * text cannot say is left out or changes on the way back (docs/text-format.md, "Printing"):
 * custom sections (listed in comments), LEB128s longer than they need to be, element and data
 * segment flags the reader would choose differently, a data count section no instruction needs,
 * empty else branches, a block type index whose type has a short form, and local groups of
 * one type in a row or of no locals.
 *
 *   module  ::= '(' 'module' id? type* import* func* table* memory* global* export* start?
 *                   elem* data* ')'
 * Every definition is written as its own field, in index order, with its index in a comment
 * (;N;). Functions, imports included, use (type N) and repeat the type's parameters and
 * results inline. Names come from the name section: a function or local whose name is not
 * empty and belongs to no other one of its kind is written $name ($"..." when the name has
 * bytes an id cannot), and every reference to it uses the name; anything else is referred to
 * by its index. Labels are always indices.
 *
 * Instructions are plain (not folded), one per line, indented two spaces per enclosing
 * block. Immediates: integers in decimal; floats in hexadecimal with every bit of the
 * mantissa (0x1.8p+1, -0x0p+0, inf, nan:0x400000), so the bits survive; v128.const as i32x4
 * with four hexadecimal lanes; memargs with offset= and align= only when not 0 and not the
 * natural alignment. Strings escape every byte outside printable ASCII as \hh.
 *
 * Works on any module kiln_decode accepted, valid or not: indices out of range are printed
 * as they are. The bodies are decoded again here with dec_instr (decode.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

/* A growable text buffer; `failed` after an allocation failure (the text is then cut). */
typedef struct pbuf {
    char *data;
    size_t len, cap;
    bool failed;
} pbuf;

static void put(pbuf *b, const char *s, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(pbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void KILN_PRINTF(2, 3) putf(pbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = true; /* every format here fits */
        return;
    }
    put(b, tmp, (size_t)n);
}

static void indent(pbuf *b, unsigned level)
{
    static const char spaces[] = "                                ";
    size_t n = (size_t)level * 2;
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        put(b, spaces, k);
        n -= k;
    }
}

/* string ::= '"' (printable ASCII but " and \ | '\' hh)* '"' */
static void put_string(pbuf *b, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    size_t run = 0; /* bytes written as they are, not yet copied */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            run++;
            continue;
        }
        put(b, (const char *)s + i - run, run);
        run = 0;
        char esc[3] = {'\\', hex[c >> 4], hex[c & 15]};
        put(b, esc, 3);
    }
    put(b, (const char *)s + n - run, run);
    put(b, "\"", 1);
}

/* idchar ::= 0-9 a-z A-Z ! # $ % & ' * + - . / : < = > ? @ \ ^ _ ` | ~ */
static bool is_idchar(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL);
}

/* id ::= '$' idchar+ | '$' string */
static void put_id(pbuf *b, wasm_str name)
{
    bool plain = true;
    for (uint32_t i = 0; i < name.len && plain; i++)
        plain = is_idchar((uint8_t)name.ptr[i]);
    put(b, "$", 1);
    if (plain)
        put(b, name.ptr, name.len);
    else
        put_string(b, (const uint8_t *)name.ptr, name.len);
}

/*
 * Names: which entries of a name map can be ids.
 */

typedef struct names {
    const wasm_namemap_entry *entries; /* sorted by index (the decoder checks it) */
    uint32_t count;
    bool *usable; /* count entries: non-empty and unique in the map */
} names;

static bool same_name(const wasm_str *x, const wasm_str *y)
{
    return x->len == y->len && (x->len == 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
}

/* Sorts the entry numbers a[0..count) by the bytes of their names (tmp: count scratch
 * entries). A merge sort: qsort has no context argument, and the printer keeps no state
 * outside its call. */
static void merge_sort(const wasm_namemap_entry *e, uint32_t *a, uint32_t *tmp, uint32_t count)
{
    if (count < 2)
        return;
    uint32_t half = count / 2;
    merge_sort(e, a, tmp, half);
    merge_sort(e, a + half, tmp, count - half);
    uint32_t i = 0, j = half, k = 0;
    while (i < half && j < count) {
        const wasm_str *x = &e[a[i]].name, *y = &e[a[j]].name;
        uint32_t m = x->len < y->len ? x->len : y->len;
        int c = m ? memcmp(x->ptr, y->ptr, m) : 0;
        if (c == 0)
            c = x->len < y->len ? -1 : x->len > y->len;
        tmp[k++] = c <= 0 ? a[i++] : a[j++];
    }
    while (i < half)
        tmp[k++] = a[i++];
    while (j < count)
        tmp[k++] = a[j++];
    memcpy(a, tmp, count * sizeof *a);
}

static bool names_init(names *n, const wasm_namemap_entry *entries, uint32_t count)
{
    n->entries = entries;
    n->count = count;
    n->usable = NULL;
    if (count == 0)
        return true;
    n->usable = calloc(count, sizeof *n->usable);
    uint32_t *order = calloc(count, sizeof *order);
    uint32_t *tmp = calloc(count, sizeof *tmp);
    bool ok = n->usable && order && tmp;
    if (ok) {
        for (uint32_t i = 0; i < count; i++)
            order[i] = i;
        merge_sort(entries, order, tmp, count);
        for (uint32_t i = 0; i < count;) {
            uint32_t j = i + 1;
            while (j < count && same_name(&entries[order[i]].name, &entries[order[j]].name))
                j++;
            if (j == i + 1 && entries[order[i]].name.len > 0)
                n->usable[order[i]] = true;
            i = j;
        }
    }
    free(order);
    free(tmp);
    if (!ok) {
        free(n->usable);
        n->usable = NULL;
    }
    return ok;
}

static void names_free(names *n)
{
    free(n->usable);
    n->usable = NULL;
}

/* The usable name of index, or NULL. */
static const wasm_str *names_get(const names *n, uint32_t index)
{
    uint32_t lo = 0, hi = n->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (n->entries[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n->count && n->entries[lo].index == index && n->usable[lo])
        return &n->entries[lo].name;
    return NULL;
}

/*
 * The printer.
 */

typedef struct printer {
    const wasm_module *m;
    pbuf out;
    kiln_diag *d;
    kiln_arena scratch; /* br_table targets of the function being printed */
    names funcs;
    names locals; /* of the function being printed; count 0 otherwise */
} printer;

static void put_func_ref(printer *p, uint32_t index)
{
    const wasm_str *name = names_get(&p->funcs, index);
    if (name)
        put_id(&p->out, *name);
    else
        putf(&p->out, "%u", (unsigned)index);
}

static void put_local_ref(printer *p, uint32_t index)
{
    const wasm_str *name = names_get(&p->locals, index);
    if (name)
        put_id(&p->out, *name);
    else
        putf(&p->out, "%u", (unsigned)index);
}

static void put_valtype(pbuf *b, wasm_valtype t)
{
    const char *name = wasm_valtype_name(t);
    if (strcmp(name, "?") == 0)
        putf(b, "(; type 0x%x ;)", (unsigned)t);
    else
        puts_(b, name);
}

/* f32: sign, 8 exponent bits, 23 mantissa bits. */
static void put_f32(pbuf *b, uint32_t bits)
{
    const char *sign = bits >> 31 ? "-" : "";
    uint32_t exp = (bits >> 23) & 0xFF, mant = bits & 0x7FFFFF;
    if (exp == 0xFF) {
        if (mant == 0)
            putf(b, "%sinf", sign);
        else
            putf(b, "%snan:0x%x", sign, (unsigned)mant);
        return;
    }
    if (exp == 0 && mant == 0) {
        putf(b, "%s0x0p+0", sign);
        return;
    }
    /* 23 bits as 6 hexadecimal digits (shifted left by one), trailing zeros dropped. */
    uint32_t frac = mant << 1;
    int digits = 6;
    while (digits > 0 && (frac & 0xF) == 0) {
        frac >>= 4;
        digits--;
    }
    const char *lead = exp == 0 ? "0" : "1";
    int e = exp == 0 ? -126 : (int)exp - 127;
    if (digits)
        putf(b, "%s0x%s.%0*xp%+d", sign, lead, digits, (unsigned)frac, e);
    else
        putf(b, "%s0x%sp%+d", sign, lead, e);
}

/* f64: sign, 11 exponent bits, 52 mantissa bits. */
static void put_f64(pbuf *b, uint64_t bits)
{
    const char *sign = bits >> 63 ? "-" : "";
    uint32_t exp = (uint32_t)(bits >> 52) & 0x7FF;
    uint64_t mant = bits & 0xFFFFFFFFFFFFFull;
    if (exp == 0x7FF) {
        if (mant == 0)
            putf(b, "%sinf", sign);
        else
            putf(b, "%snan:0x%llx", sign, (unsigned long long)mant);
        return;
    }
    if (exp == 0 && mant == 0) {
        putf(b, "%s0x0p+0", sign);
        return;
    }
    uint64_t frac = mant;
    int digits = 13;
    while (digits > 0 && (frac & 0xF) == 0) {
        frac >>= 4;
        digits--;
    }
    const char *lead = exp == 0 ? "0" : "1";
    int e = exp == 0 ? -1022 : (int)exp - 1023;
    if (digits)
        putf(b, "%s0x%s.%0*llxp%+d", sign, lead, digits, (unsigned long long)frac, e);
    else
        putf(b, "%s0x%sp%+d", sign, lead, e);
}

/* (param ...) (result ...) of type index t, if there is one; parameter names from the
 * function's local names (p->locals) when named. */
static void put_signature(printer *p, uint32_t t, bool named_params)
{
    const wasm_module *m = p->m;
    if (t >= m->type_count)
        return;
    const wasm_functype *ft = &m->types[t];
    bool open = false;
    for (uint32_t i = 0; i < ft->param_count; i++) {
        const wasm_str *name = named_params ? names_get(&p->locals, i) : NULL;
        if (name) {
            if (open)
                puts_(&p->out, ")");
            puts_(&p->out, " (param ");
            put_id(&p->out, *name);
            puts_(&p->out, " ");
            put_valtype(&p->out, ft->params[i]);
            puts_(&p->out, ")");
            open = false;
            continue;
        }
        puts_(&p->out, open ? " " : " (param ");
        put_valtype(&p->out, ft->params[i]);
        open = true;
    }
    if (open)
        puts_(&p->out, ")");
    if (ft->result_count) {
        puts_(&p->out, " (result");
        for (uint32_t i = 0; i < ft->result_count; i++) {
            puts_(&p->out, " ");
            put_valtype(&p->out, ft->results[i]);
        }
        puts_(&p->out, ")");
    }
}

static void put_memarg(printer *p, const wasm_instr *ins)
{
    const wasm_memarg *ma = &ins->u.memarg.mem;
    uint32_t natural = 0;
    while ((1u << natural) < wasm_ops[ins->op].size)
        natural++;
    if (ma->memory != 0) /* multi-memory (Wasm 3.0) */
        putf(&p->out, " %u", (unsigned)ma->memory);
    if (ma->offset)
        putf(&p->out, " offset=%llu", (unsigned long long)ma->offset);
    if (ma->align != natural) {
        if (ma->align < 64)
            putf(&p->out, " align=%llu", 1ull << ma->align);
        else
            putf(&p->out, " (; align=2**%u ;)", (unsigned)ma->align);
    }
}

/* select t*: the decoder keeps the first type only, so the vector is read again from the
 * bytes after the opcode. Any count is printed (one (result) with all of them), so even the
 * invalid ones, 0 or more than 1, read back as they were. */
static void put_select_types(printer *p, const wasm_instr *ins)
{
    kiln_diag scratch;
    kiln_diag_init(&scratch);
    kiln_reader r;
    rd_init(&r, p->m->bytes, p->m->size, &scratch);
    r.p = p->m->bytes + ins->offset + 1;
    uint32_t n;
    if (!rd_u32(&r, &n, "select type count"))
        return;
    puts_(&p->out, " (result");
    for (uint32_t i = 0; i < n; i++) {
        wasm_valtype t;
        if (!dec_valtype(&r, &t, "select type"))
            break;
        puts_(&p->out, " ");
        put_valtype(&p->out, t);
    }
    puts_(&p->out, ")");
}

static void put_blocktype(pbuf *b, const wasm_instr *ins)
{
    if (ins->u.block.kind == WASM_BT_VALUE) {
        puts_(b, " (result ");
        put_valtype(b, ins->u.block.value);
        puts_(b, ")");
    } else if (ins->u.block.kind == WASM_BT_TYPE) {
        putf(b, " (type %u)", (unsigned)ins->u.block.type_index);
    }
}

/* One instruction's name and immediates (not the indentation or the line end). */
static void put_instr(printer *p, const wasm_instr *ins)
{
    pbuf *b = &p->out;
    const wasm_opinfo *info = &wasm_ops[ins->op];
    puts_(b, info->name);
    switch ((wasm_imm)info->imm) {
    case IMM_NONE:
        break;
    case IMM_MEMORY: /* memory indices other than 0: multi-memory (Wasm 3.0) */
        if (ins->u.index != 0)
            putf(b, " %u", (unsigned)ins->u.index);
        break;
    case IMM_MEMORY_COPY:
        if (ins->u.memory_copy.dst != 0 || ins->u.memory_copy.src != 0)
            putf(b, " %u %u", (unsigned)ins->u.memory_copy.dst, (unsigned)ins->u.memory_copy.src);
        break;
    case IMM_BLOCK:
        put_blocktype(b, ins);
        break;
    case IMM_LABEL:
    case IMM_GLOBAL:
    case IMM_TABLE:
    case IMM_ELEM:
    case IMM_DATA:
    case IMM_TAG:
        putf(b, " %u", (unsigned)ins->u.index);
        break;
    case IMM_TRY_TABLE: { /* blocktype, then the catch clauses */
        static const char *const kinds[] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
        put_blocktype(b, ins);
        for (uint32_t i = 0; i < ins->u.block.catch_count && ins->u.block.catches; i++) {
            const wasm_catch *c = &ins->u.block.catches[i];
            putf(b, " (%s", kinds[c->kind]);
            if (c->kind == WASM_CATCH || c->kind == WASM_CATCH_REF)
                putf(b, " %u", (unsigned)c->tag);
            putf(b, " %u)", (unsigned)c->label);
        }
        break;
    }
    case IMM_BR_TABLE:
        for (uint32_t i = 0; i < ins->u.br_table.count && ins->u.br_table.targets; i++)
            putf(b, " %u", (unsigned)ins->u.br_table.targets[i]);
        putf(b, " %u", (unsigned)ins->u.br_table.default_target);
        break;
    case IMM_FUNC:
        puts_(b, " ");
        put_func_ref(p, ins->u.index);
        break;
    case IMM_TYPE:
        putf(b, " %u", (unsigned)ins->u.index);
        break;
    case IMM_CALL_INDIRECT:
        if (ins->u.call_indirect.table != 0)
            putf(b, " %u", (unsigned)ins->u.call_indirect.table);
        putf(b, " (type %u)", (unsigned)ins->u.call_indirect.type_index);
        break;
    case IMM_LOCAL:
        puts_(b, " ");
        put_local_ref(p, ins->u.index);
        break;
    case IMM_TABLE_COPY:
        putf(b, " %u %u", (unsigned)ins->u.table_copy.dst, (unsigned)ins->u.table_copy.src);
        break;
    case IMM_TABLE_INIT:
        putf(b, " %u %u", (unsigned)ins->u.table_init.table, (unsigned)ins->u.table_init.elem);
        break;
    case IMM_MEMARG:
        put_memarg(p, ins);
        break;
    case IMM_MEMORY_INIT:
        if (ins->u.memory_init.memory != 0)
            putf(b, " %u", (unsigned)ins->u.memory_init.memory);
        putf(b, " %u", (unsigned)ins->u.memory_init.data);
        break;
    case IMM_I32:
        putf(b, " %d", (int)ins->u.i32);
        break;
    case IMM_I64:
        putf(b, " %lld", (long long)ins->u.i64);
        break;
    case IMM_F32:
        puts_(b, " ");
        put_f32(b, ins->u.f32_bits);
        break;
    case IMM_F64:
        puts_(b, " ");
        put_f64(b, ins->u.f64_bits);
        break;
    case IMM_V128: {
        const uint8_t *v = ins->u.v128;
        puts_(b, " i32x4");
        for (int i = 0; i < 16; i += 4)
            putf(b, " 0x%08x",
                 (unsigned)(v[i] | (uint32_t)v[i + 1] << 8 | (uint32_t)v[i + 2] << 16 |
                            (uint32_t)v[i + 3] << 24));
        break;
    }
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++)
            putf(b, " %u", (unsigned)ins->u.v128[i]);
        break;
    case IMM_LANE:
        putf(b, " %u", (unsigned)ins->u.lane);
        break;
    case IMM_MEMARG_LANE:
        put_memarg(p, ins);
        putf(b, " %u", (unsigned)ins->u.memarg.lane);
        break;
    case IMM_SELECT_T:
        put_select_types(p, ins);
        break;
    case IMM_REFTYPE: { /* ref.null's heap type */
        uint32_t h = wasm_ref_heap(ins->u.reftype);
        if (wasm_heap_is_type(h))
            putf(b, " %u", (unsigned)(h - WASM_HT_TYPE));
        else if (strcmp(wasm_heap_name(h), "?") != 0)
            putf(b, " %s", wasm_heap_name(h));
        else
            putf(b, " (; type 0x%02x ;)", (unsigned)ins->u.reftype);
        break;
    }
    default:
        break;
    }
}

/* The instructions of e without its final end. Bodies (lines): one instruction per line at
 * level + the block depth. Constant expressions (!lines): on one line, separated by spaces,
 * each in parentheses when wrap (the folded form of an instruction without operands). */
static bool put_expr(printer *p, wasm_expr e, bool lines, unsigned level, bool wrap)
{
    const wasm_module *m = p->m;
    if (e.offset > m->size || e.size > m->size - e.offset)
        return kiln_diag_set(p->d, KILN_ERR_MALFORMED, e.offset, "expression out of range");
    kiln_reader r;
    wasm_expr_reader(&r, m, e, p->d);
    uint32_t depth = 0;
    bool first = true;
    while (!rd_done(&r)) {
        wasm_instr ins;
        if (!dec_instr(&r, &p->scratch, &ins))
            return false;
        uint16_t op = ins.op;
        if (op == WASM_OP_END && depth == 0 && rd_done(&r))
            break; /* the expression's own end */
        unsigned at = level + depth;
        bool closes = op == WASM_OP_END || op == WASM_OP_DELEGATE;
        if (closes || op == WASM_OP_ELSE || op == WASM_OP_CATCH || op == WASM_OP_CATCH_ALL) {
            if (depth > 0)
                at--;
            if (closes && depth > 0)
                depth--;
        } else if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_IF ||
                   op == WASM_OP_TRY || op == WASM_OP_TRY_TABLE) {
            depth++;
        }
        if (lines) {
            indent(&p->out, at);
        } else {
            if (!first)
                puts_(&p->out, " ");
        }
        bool paren = !lines && wrap;
        if (paren)
            puts_(&p->out, "(");
        put_instr(p, &ins);
        if (paren)
            puts_(&p->out, ")");
        if (lines)
            puts_(&p->out, "\n");
        first = false;
    }
    return true;
}

/* A constant expression: may it be written with each instruction in parentheses? Only plain
 * instructions can (block, loop, if, else and end cannot stand alone). */
static bool expr_is_plain(const printer *p, wasm_expr e)
{
    const wasm_module *m = p->m;
    if (e.offset > m->size || e.size > m->size - e.offset)
        return false;
    kiln_diag scratch_diag;
    kiln_diag_init(&scratch_diag);
    kiln_reader r;
    wasm_expr_reader(&r, m, e, &scratch_diag);
    while (!rd_done(&r)) {
        wasm_instr ins;
        if (!dec_instr(&r, NULL, &ins))
            return false;
        uint16_t op = ins.op;
        if (op == WASM_OP_END)
            return rd_done(&r);
        if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_IF || op == WASM_OP_ELSE ||
            op == WASM_OP_TRY || op == WASM_OP_TRY_TABLE || op == WASM_OP_CATCH ||
            op == WASM_OP_CATCH_ALL || op == WASM_OP_DELEGATE)
            return false;
    }
    return false;
}

static void put_limits(pbuf *b, const wasm_limits *l)
{
    if (l->is64) /* the address type (memory64) */
        puts_(b, " i64");
    putf(b, " %llu", (unsigned long long)l->min);
    if (l->has_max)
        putf(b, " %llu", (unsigned long long)l->max);
    if (l->shared) /* threads */
        puts_(b, " shared");
}

static void put_tabletype(pbuf *b, const wasm_tabletype *t)
{
    put_limits(b, &t->limits);
    puts_(b, " ");
    put_valtype(b, t->elem);
}

static void put_globaltype(pbuf *b, const wasm_globaltype *g)
{
    puts_(b, " ");
    if (g->mut)
        puts_(b, "(mut ");
    put_valtype(b, g->type);
    if (g->mut)
        puts_(b, ")");
}

static void put_str(pbuf *b, wasm_str s)
{
    put_string(b, (const uint8_t *)s.ptr, s.len);
}

static void put_imports(printer *p)
{
    const wasm_module *m = p->m;
    uint32_t counts[5] = {0};
    for (uint32_t i = 0; i < m->import_count; i++) {
        const wasm_import *im = &m->imports[i];
        indent(&p->out, 1);
        puts_(&p->out, "(import ");
        put_str(&p->out, im->module);
        puts_(&p->out, " ");
        put_str(&p->out, im->name);
        puts_(&p->out, " (");
        puts_(&p->out, wasm_externkind_name(im->kind));
        uint32_t index = im->kind <= WASM_EXTERN_TAG ? counts[im->kind]++ : 0;
        switch (im->kind) {
        case WASM_EXTERN_FUNC: {
            const wasm_str *name = names_get(&p->funcs, index);
            if (name) {
                puts_(&p->out, " ");
                put_id(&p->out, *name);
            }
            putf(&p->out, " (;%u;) (type %u)", (unsigned)index, (unsigned)im->u.type_index);
            put_signature(p, im->u.type_index, false);
            break;
        }
        case WASM_EXTERN_TABLE:
            putf(&p->out, " (;%u;)", (unsigned)index);
            put_tabletype(&p->out, &im->u.table);
            break;
        case WASM_EXTERN_MEMORY:
            putf(&p->out, " (;%u;)", (unsigned)index);
            put_limits(&p->out, &im->u.memory.limits);
            break;
        case WASM_EXTERN_GLOBAL:
            putf(&p->out, " (;%u;)", (unsigned)index);
            put_globaltype(&p->out, &im->u.global);
            break;
        case WASM_EXTERN_TAG:
            putf(&p->out, " (;%u;) (type %u)", (unsigned)index, (unsigned)im->u.type_index);
            put_signature(p, im->u.type_index, false);
            break;
        default:
            break;
        }
        puts_(&p->out, "))\n");
    }
}

/* The local names of function f (p->locals); false when out of memory. */
static bool locals_of(printer *p, uint32_t f)
{
    const wasm_module *m = p->m;
    names_free(&p->locals);
    p->locals = (names){0};
    uint32_t lo = 0, hi = m->local_name_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->local_names[mid].func_index < f)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->local_name_count && m->local_names[lo].func_index == f)
        return names_init(&p->locals, m->local_names[lo].names, m->local_names[lo].count);
    return true;
}

static bool put_func(printer *p, uint32_t f)
{
    const wasm_module *m = p->m;
    const wasm_func *fn = &m->funcs[f];
    if (!locals_of(p, f))
        return kiln_diag_set(p->d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: module text");
    indent(&p->out, 1);
    puts_(&p->out, "(func");
    const wasm_str *name = names_get(&p->funcs, f);
    if (name) {
        puts_(&p->out, " ");
        put_id(&p->out, *name);
    }
    putf(&p->out, " (;%u;) (type %u)", (unsigned)f, (unsigned)fn->type_index);
    put_signature(p, fn->type_index, true);
    puts_(&p->out, "\n");

    /* Locals: unnamed ones of one type in a row share a (local ...). */
    uint32_t params = fn->type_index < m->type_count ? m->types[fn->type_index].param_count : 0;
    uint32_t index = params;
    bool open = false;
    wasm_valtype open_type = 0;
    bool any = false;
    for (uint32_t g = 0; g < fn->local_group_count; g++) {
        const wasm_localgroup *lg = &fn->local_groups[g];
        for (uint32_t k = 0; k < lg->count; k++, index++) {
            const wasm_str *ln = names_get(&p->locals, index);
            if (!any) {
                indent(&p->out, 2);
                any = true;
            }
            if (ln || (open && open_type != lg->type)) {
                if (open)
                    puts_(&p->out, ")");
                open = false;
            }
            if (ln) {
                puts_(&p->out, any && index > params ? " (local " : "(local ");
                put_id(&p->out, *ln);
                puts_(&p->out, " ");
                put_valtype(&p->out, lg->type);
                puts_(&p->out, ")");
                continue;
            }
            if (!open) {
                puts_(&p->out, index > params ? " (local " : "(local ");
                open = true;
                open_type = lg->type;
            } else {
                puts_(&p->out, " ");
            }
            put_valtype(&p->out, lg->type);
        }
    }
    if (open)
        puts_(&p->out, ")");
    if (any)
        puts_(&p->out, "\n");

    bool ok = put_expr(p, fn->body, true, 2, false);
    kiln_arena_reset(&p->scratch);
    indent(&p->out, 1);
    puts_(&p->out, ")\n");
    return ok;
}

static bool put_elem(printer *p, uint32_t i)
{
    const wasm_elem *e = &p->m->elems[i];
    pbuf *b = &p->out;
    indent(b, 1);
    putf(b, "(elem (;%u;)", (unsigned)i);
    if (e->mode == WASM_SEG_DECLARATIVE) {
        puts_(b, " declare");
    } else if (e->mode == WASM_SEG_ACTIVE) {
        if (e->table != 0)
            putf(b, " (table %u)", (unsigned)e->table);
        puts_(b, " (offset ");
        if (!put_expr(p, e->offset_expr, false, 0, false))
            return false;
        puts_(b, ")");
    }
    if (e->func_indices) {
        puts_(b, " func");
        for (uint32_t k = 0; k < e->count; k++) {
            puts_(b, " ");
            put_func_ref(p, e->func_indices[k]);
        }
    } else {
        puts_(b, " ");
        put_valtype(b, e->type);
        for (uint32_t k = 0; e->exprs && k < e->count; k++) {
            puts_(b, " (item ");
            if (!put_expr(p, e->exprs[k], false, 0, false))
                return false;
            puts_(b, ")");
        }
    }
    puts_(b, ")\n");
    return true;
}

static bool put_data(printer *p, uint32_t i)
{
    const wasm_data *dt = &p->m->datas[i];
    pbuf *b = &p->out;
    indent(b, 1);
    putf(b, "(data (;%u;)", (unsigned)i);
    if (dt->mode == WASM_SEG_ACTIVE) {
        if (dt->memory != 0)
            putf(b, " (memory %u)", (unsigned)dt->memory);
        puts_(b, " (offset ");
        if (!put_expr(p, dt->offset_expr, false, 0, false))
            return false;
        puts_(b, ")");
    }
    /* Long segments: 32 bytes a string, one string a line. */
    enum { CHUNK = 32 };
    if (dt->size <= CHUNK) {
        puts_(b, " ");
        put_string(b, dt->bytes, dt->size);
    } else {
        for (uint32_t at = 0; at < dt->size; at += CHUNK) {
            puts_(b, "\n");
            indent(b, 2);
            put_string(b, dt->bytes + at, dt->size - at < CHUNK ? dt->size - at : CHUNK);
        }
    }
    puts_(b, ")\n");
    return true;
}

static bool print_module(printer *p)
{
    const wasm_module *m = p->m;
    pbuf *b = &p->out;
    puts_(b, "(module");
    if (m->has_module_name && m->module_name.len > 0) {
        puts_(b, " ");
        put_id(b, m->module_name);
    }
    puts_(b, "\n");
    for (uint32_t t = 0; t < m->type_count; t++) {
        /* a recursion group of several types (of one: a plain type, the same type) */
        bool group = m->types[t].group_size > 1;
        if (group && m->types[t].group == t) {
            indent(b, 1);
            puts_(b, "(rec\n");
        }
        indent(b, group ? 2 : 1);
        putf(b, "(type (;%u;) (func", (unsigned)t);
        put_signature(p, t, false);
        puts_(b, "))");
        if (group && t + 1 == m->types[t].group + m->types[t].group_size)
            puts_(b, ")");
        puts_(b, "\n");
    }
    put_imports(p);
    for (uint32_t f = m->func_import_count; f < m->func_count; f++)
        if (!put_func(p, f))
            return false;
    for (uint32_t t = m->table_import_count; t < m->table_count; t++) {
        indent(b, 1);
        const wasm_table *tab = &m->tables[t];
        putf(b, "(table (;%u;)", (unsigned)t);
        put_tabletype(b, &tab->type);
        if (tab->has_init) { /* Wasm 3.0: the elements' initial value */
            puts_(b, " ");
            if (!put_expr(p, tab->init, false, 0, expr_is_plain(p, tab->init)))
                return false;
        }
        puts_(b, ")\n");
    }
    for (uint32_t i = m->memory_import_count; i < m->memory_count; i++) {
        indent(b, 1);
        putf(b, "(memory (;%u;)", (unsigned)i);
        put_limits(b, &m->memories[i].type.limits);
        puts_(b, ")\n");
    }
    for (uint32_t t = m->tag_import_count; t < m->tag_count; t++) {
        indent(b, 1);
        putf(b, "(tag (;%u;) (type %u)", (unsigned)t, (unsigned)m->tags[t].type_index);
        put_signature(p, m->tags[t].type_index, false);
        puts_(b, ")\n");
    }
    for (uint32_t g = m->global_import_count; g < m->global_count; g++) {
        const wasm_global *gl = &m->globals[g];
        indent(b, 1);
        putf(b, "(global (;%u;)", (unsigned)g);
        put_globaltype(b, &gl->type);
        puts_(b, " ");
        if (!put_expr(p, gl->init, false, 0, expr_is_plain(p, gl->init)))
            return false;
        puts_(b, ")\n");
    }
    for (uint32_t i = 0; i < m->export_count; i++) {
        const wasm_export *ex = &m->exports[i];
        indent(b, 1);
        puts_(b, "(export ");
        put_str(b, ex->name);
        puts_(b, " (");
        puts_(b, wasm_externkind_name(ex->kind));
        puts_(b, " ");
        if (ex->kind == WASM_EXTERN_FUNC)
            put_func_ref(p, ex->index);
        else
            putf(b, "%u", (unsigned)ex->index);
        puts_(b, "))\n");
    }
    if (m->has_start) {
        indent(b, 1);
        puts_(b, "(start ");
        put_func_ref(p, m->start);
        puts_(b, ")\n");
    }
    for (uint32_t i = 0; i < m->elem_count; i++)
        if (!put_elem(p, i))
            return false;
    for (uint32_t i = 0; i < m->data_seg_count; i++)
        if (!put_data(p, i))
            return false;
    for (uint32_t i = 0; i < m->section_count; i++) {
        const wasm_section *s = &m->sections[i];
        if (s->id != 0)
            continue;
        indent(b, 1);
        puts_(b, ";; custom section ");
        put_str(b, s->name);
        putf(b, " at 0x%zx, %zu bytes: not printed\n", s->offset, s->size);
    }
    puts_(b, ")\n");
    return true;
}

bool kiln_wat_print(const wasm_module *m, char **out, size_t *out_size, kiln_diag *d)
{
    *out = NULL;
    *out_size = 0;
    printer p = {.m = m, .d = d};
    kiln_arena_init(&p.scratch, NULL);
    bool ok = names_init(&p.funcs, m->func_names, m->func_name_count);
    if (!ok)
        kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: module text");
    ok = ok && print_module(&p);
    if (ok && (p.out.failed || !p.out.data))
        ok = kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory: module text");
    names_free(&p.funcs);
    names_free(&p.locals);
    kiln_arena_free(&p.scratch);
    if (!ok) {
        free(p.out.data);
        return false;
    }
    *out = p.out.data;
    *out_size = p.out.len;
    return true;
}
