/* inspect_text.c -- the human-readable view of `kiln inspect`.
 *
 * One block per kind of entity, in the order a reader asks about a module: what sections it
 * has and where, its types, what it imports, its functions (with names from the name section
 * and what is imported, exported or the start function, on the same line), tables, memories,
 * globals, exports, start, and segments. Each block is an aligned table (cli_table_run) and
 * is left out when the module has none of that entity. Import and export cross-references are
 * indexed once up front (kind -> index -> entry), so the output is linear in the module size.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define NO_ENTRY UINT32_MAX

typedef struct text_view {
    const cli_inspection *in;
    const wasm_module *m;
    int hex_digits; /* of offsets */
    /* Per extern kind: index -> the import entry that defines it (imports come first in each
     * index space), and index -> first export of it, chained through export_next. */
    uint32_t import_count[5];
    uint32_t *import_entry[5];
    uint32_t *import_index; /* import entry -> its index in its own index space */
    uint32_t space[5];
    uint32_t *export_first[5];
    uint32_t *export_next;
    bool func_names; /* the name section names at least one function: show a name column */
    bool failed;
} text_view;

static uint32_t *alloc_entries(text_view *v, uint32_t n)
{
    uint32_t *a = malloc(n ? n * sizeof *a : 1);
    if (!a) {
        v->failed = true;
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        a[i] = NO_ENTRY;
    return a;
}

static void view_init(text_view *v, const cli_inspection *in)
{
    const wasm_module *m = in->m;
    memset(v, 0, sizeof *v);
    v->in = in;
    v->m = m;
    v->func_names = m->func_names && m->func_name_count > 0;
    v->hex_digits = 4;
    while (v->hex_digits < 16 && (in->size >> (4 * v->hex_digits)) != 0)
        v->hex_digits++;

    for (uint32_t i = 0; m->imports && i < m->import_count; i++)
        if (m->imports[i].kind <= WASM_EXTERN_TAG)
            v->import_count[m->imports[i].kind]++;
    uint32_t next[5] = {0};
    for (int k = 0; k <= WASM_EXTERN_TAG; k++)
        v->import_entry[k] = alloc_entries(v, v->import_count[k]);
    v->import_index = alloc_entries(v, m->imports ? m->import_count : 0);
    for (uint32_t i = 0; !v->failed && m->imports && i < m->import_count; i++) {
        uint8_t k = m->imports[i].kind;
        if (k <= WASM_EXTERN_TAG) {
            v->import_index[i] = next[k];
            v->import_entry[k][next[k]++] = i;
        }
    }

    v->space[WASM_EXTERN_FUNC] = m->funcs ? m->func_count : 0;
    v->space[WASM_EXTERN_TABLE] = m->tables ? m->table_count : 0;
    v->space[WASM_EXTERN_MEMORY] = m->memories ? m->memory_count : 0;
    v->space[WASM_EXTERN_GLOBAL] = m->globals ? m->global_count : 0;
    v->space[WASM_EXTERN_TAG] = m->tags ? m->tag_count : 0;
    for (int k = 0; k <= WASM_EXTERN_TAG; k++)
        v->export_first[k] = alloc_entries(v, v->space[k]);
    uint32_t export_count = m->exports ? m->export_count : 0;
    v->export_next = alloc_entries(v, export_count);
    /* Backwards, so that each chain lists a thing's exports in file order. */
    for (uint32_t i = export_count; !v->failed && i-- > 0;) {
        const wasm_export *e = &m->exports[i];
        if (e->kind <= WASM_EXTERN_TAG && e->index < v->space[e->kind]) {
            v->export_next[i] = v->export_first[e->kind][e->index];
            v->export_first[e->kind][e->index] = i;
        }
    }
}

static void view_free(text_view *v)
{
    for (int k = 0; k <= WASM_EXTERN_TAG; k++) {
        free(v->import_entry[k]);
        free(v->export_first[k]);
    }
    free(v->import_index);
    free(v->export_next);
}

static void buf_import_name(cli_buf *b, const wasm_import *imp)
{
    cli_buf_name(b, imp->module.ptr, imp->module.len);
    cli_buf_put(b, ".", 1);
    cli_buf_name(b, imp->name.ptr, imp->name.len);
}

/* "import env.f", "export \"a\", \"b\"", "start", separated by "; ". */
static void buf_notes(cli_buf *b, const text_view *v, uint8_t kind, uint32_t index)
{
    const wasm_module *m = v->m;
    bool any = false;
    if (index < v->import_count[kind]) {
        cli_buf_put(b, "import ", 7);
        buf_import_name(b, &m->imports[v->import_entry[kind][index]]);
        any = true;
    }
    if (index < v->space[kind] && v->export_first[kind][index] != NO_ENTRY) {
        cli_buf_printf(b, "%sexport ", any ? "; " : "");
        for (uint32_t e = v->export_first[kind][index]; e != NO_ENTRY; e = v->export_next[e]) {
            if (e != v->export_first[kind][index])
                cli_buf_put(b, ", ", 2);
            cli_buf_quoted(b, m->exports[e].name.ptr, m->exports[e].name.len);
        }
        any = true;
    }
    if (kind == WASM_EXTERN_FUNC && m->has_start && m->start == index)
        cli_buf_printf(b, "%sstart", any ? "; " : "");
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static uint32_t defined(uint32_t total, uint32_t imported)
{
    return total > imported ? total - imported : 0;
}

static void section_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_module *m = v->m;
    if (row == 0) {
        cli_table_cell(t, "section");
        cli_table_cell(t, "start");
        cli_table_cell(t, "end");
        cli_table_cell(t, "size");
        cli_table_cell(t, "contents");
        return;
    }
    const wasm_section *s = &m->sections[row - 1];
    cli_table_cell(t, "%s", cli_section_name(s->id));
    cli_table_cell(t, "0x%0*zx", v->hex_digits, s->content);
    cli_table_cell(t, "0x%0*zx", v->hex_digits, s->content + s->size);
    cli_table_cell(t, "%zu", s->size);
    uint64_t n = 0;
    const char *one = NULL, *many = NULL;
    switch (s->id) {
    case 0:
        cli_buf_quoted(cli_table_next(t), s->name.ptr, s->name.ptr ? s->name.len : 0);
        return;
    case 1:
        n = m->type_count, one = "type", many = "types";
        break;
    case 2:
        n = m->import_count, one = "import", many = "imports";
        break;
    case 3:
        n = defined(m->func_count, m->func_import_count), one = "function", many = "functions";
        break;
    case 4:
        n = defined(m->table_count, m->table_import_count), one = "table", many = "tables";
        break;
    case 5:
        n = defined(m->memory_count, m->memory_import_count), one = "memory", many = "memories";
        break;
    case 6:
        n = defined(m->global_count, m->global_import_count), one = "global", many = "globals";
        break;
    case 7:
        n = m->export_count, one = "export", many = "exports";
        break;
    case 8:
        if (m->has_start)
            cli_table_cell(t, "function %lu", (unsigned long)m->start);
        return;
    case 9:
        n = m->elem_count, one = "segment", many = "segments";
        break;
    case 10:
        n = defined(m->func_count, m->func_import_count), one = "body", many = "bodies";
        break;
    case 11:
        n = m->data_seg_count, one = "segment", many = "segments";
        break;
    case 12:
        n = m->data_count, one = "segment", many = "segments";
        break;
    case 13:
        n = defined(m->tag_count, m->tag_import_count), one = "tag", many = "tags";
        break;
    default:
        return;
    }
    cli_table_cell(t, "%llu %s", (unsigned long long)n, plural(n, one, many));
}

static void type_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    cli_table_cell(t, "%zu", row);
    cli_buf_functype(cli_table_next(t), &v->m->types[row]);
}

static void import_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_module *m = v->m;
    const wasm_import *imp = &m->imports[row];
    buf_import_name(cli_table_next(t), imp);
    cli_table_cell(t, "%s %lu", wasm_externkind_name(imp->kind),
                   (unsigned long)v->import_index[row]);
    cli_buf *b = cli_table_next(t);
    switch (imp->kind) {
    case WASM_EXTERN_FUNC:
        cli_buf_printf(b, "type %lu ", (unsigned long)imp->u.type_index);
        cli_buf_functype(b, cli_type(m, imp->u.type_index));
        break;
    case WASM_EXTERN_TABLE:
        cli_buf_printf(b, "%s ", wasm_valtype_name(imp->u.table.elem));
        cli_buf_limits(b, &imp->u.table.limits);
        break;
    case WASM_EXTERN_MEMORY:
        cli_buf_limits(b, &imp->u.memory.limits);
        cli_buf_put(b, " pages", 6);
        break;
    case WASM_EXTERN_GLOBAL:
        cli_buf_printf(b, "%s%s", imp->u.global.mut ? "mut " : "",
                       wasm_valtype_name(imp->u.global.type));
        break;
    case WASM_EXTERN_TAG:
        cli_buf_printf(b, "type %lu ", (unsigned long)imp->u.type_index);
        cli_buf_functype(b, cli_type(m, imp->u.type_index));
        break;
    default:
        break;
    }
}

static void func_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_module *m = v->m;
    if (row == 0) {
        cli_table_cell(t, "func");
        if (v->func_names)
            cli_table_cell(t, "name");
        cli_table_cell(t, "type");
        cli_table_cell(t, "signature");
        cli_table_cell(t, "size");
        cli_table_cell(t, "locals");
        return;
    }
    uint32_t index = (uint32_t)(row - 1);
    const wasm_func *f = &m->funcs[index];
    cli_table_cell(t, "%lu", (unsigned long)index);
    wasm_str name;
    if (v->func_names && cli_func_name(m, index, &name))
        cli_buf_name(cli_table_next(t), name.ptr, name.len);
    else if (v->func_names)
        cli_table_skip(t);
    cli_table_cell(t, "%lu", (unsigned long)f->type_index);
    cli_buf_functype(cli_table_next(t), cli_type(m, f->type_index));
    uint32_t size;
    if (cli_code_entry_size(m, f, &size)) {
        cli_table_cell(t, "%lu", (unsigned long)size);
        cli_table_cell(t, "%lu", (unsigned long)f->local_count);
    } else {
        cli_table_cell(t, "-");
        cli_table_cell(t, "-");
    }
    buf_notes(cli_table_next(t), v, WASM_EXTERN_FUNC, index);
}

static void table_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_table *tab = &v->m->tables[row];
    cli_table_cell(t, "%zu", row);
    cli_table_cell(t, "%s", wasm_valtype_name(tab->type.elem));
    cli_buf_limits(cli_table_next(t), &tab->type.limits);
    buf_notes(cli_table_next(t), v, WASM_EXTERN_TABLE, (uint32_t)row);
}

static void memory_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_memory *mem = &v->m->memories[row];
    cli_table_cell(t, "%zu", row);
    cli_buf *b = cli_table_next(t);
    cli_buf_limits(b, &mem->type.limits);
    cli_buf_put(b, " pages", 6);
    buf_notes(cli_table_next(t), v, WASM_EXTERN_MEMORY, (uint32_t)row);
}

static void tag_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    uint32_t type = v->m->tags[row].type_index;
    cli_table_cell(t, "%zu", row);
    cli_buf *b = cli_table_next(t);
    cli_buf_printf(b, "type %lu ", (unsigned long)type);
    cli_buf_functype(b, cli_type(v->m, type));
    buf_notes(cli_table_next(t), v, WASM_EXTERN_TAG, (uint32_t)row);
}

static void global_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_global *g = &v->m->globals[row];
    cli_table_cell(t, "%zu", row);
    cli_table_cell(t, "%s%s", g->type.mut ? "mut " : "", wasm_valtype_name(g->type.type));
    if (g->imported) {
        cli_table_skip(t);
    } else {
        cli_buf *b = cli_table_next(t);
        cli_buf_put(b, "= ", 2);
        cli_buf_expr(b, v->m, g->init);
    }
    buf_notes(cli_table_next(t), v, WASM_EXTERN_GLOBAL, (uint32_t)row);
}

static void export_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_export *e = &v->m->exports[row];
    cli_buf_quoted(cli_table_next(t), e->name.ptr, e->name.len);
    cli_table_cell(t, "%s %lu", wasm_externkind_name(e->kind), (unsigned long)e->index);
    wasm_str name;
    if (e->kind == WASM_EXTERN_FUNC && cli_func_name(v->m, e->index, &name))
        cli_buf_name(cli_table_next(t), name.ptr, name.len);
}

static const char *segment_mode(uint8_t mode)
{
    switch (mode) {
    case WASM_SEG_ACTIVE:
        return "active";
    case WASM_SEG_PASSIVE:
        return "passive";
    case WASM_SEG_DECLARATIVE:
        return "declarative";
    default:
        return "?";
    }
}

#define PREVIEW_ITEMS 8
#define PREVIEW_BYTES 16

static void elem_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_elem *e = &v->m->elems[row];
    cli_table_cell(t, "%zu", row);
    cli_table_cell(t, "%s", segment_mode(e->mode));
    if (e->mode == WASM_SEG_ACTIVE) {
        cli_table_cell(t, "table %lu", (unsigned long)e->table);
        cli_buf *b = cli_table_next(t);
        cli_buf_put(b, "offset ", 7);
        cli_buf_expr(b, v->m, e->offset_expr);
    } else {
        cli_table_skip(t);
        cli_table_skip(t);
    }
    cli_table_cell(t, "%lu %s", (unsigned long)e->count, wasm_valtype_name(e->type));
    cli_buf *b = cli_table_next(t);
    uint32_t shown = e->count < PREVIEW_ITEMS ? e->count : PREVIEW_ITEMS;
    if (e->func_indices) {
        cli_buf_put(b, "func", 4);
        for (uint32_t i = 0; i < shown; i++)
            cli_buf_printf(b, " %lu", (unsigned long)e->func_indices[i]);
    } else if (e->exprs) {
        for (uint32_t i = 0; i < shown; i++) {
            if (i)
                cli_buf_put(b, "; ", 2);
            cli_buf_expr(b, v->m, e->exprs[i]);
        }
    } else {
        shown = e->count;
    }
    if (shown < e->count)
        cli_buf_printf(b, " ... (%lu more)", (unsigned long)(e->count - shown));
}

static void data_row(cli_table *t, const void *ctx, size_t row)
{
    const text_view *v = ctx;
    const wasm_data *d = &v->m->datas[row];
    cli_table_cell(t, "%zu", row);
    cli_table_cell(t, "%s", segment_mode(d->mode));
    if (d->mode == WASM_SEG_ACTIVE) {
        cli_table_cell(t, "memory %lu", (unsigned long)d->memory);
        cli_buf *b = cli_table_next(t);
        cli_buf_put(b, "offset ", 7);
        cli_buf_expr(b, v->m, d->offset_expr);
    } else {
        cli_table_skip(t);
        cli_table_skip(t);
    }
    cli_table_cell(t, "%lu %s", (unsigned long)d->size, plural(d->size, "byte", "bytes"));
    if (d->bytes && d->size) {
        cli_buf *b = cli_table_next(t);
        uint32_t shown = d->size < PREVIEW_BYTES ? d->size : PREVIEW_BYTES;
        cli_buf_quoted(b, (const char *)d->bytes, shown);
        if (shown < d->size)
            cli_buf_put(b, "...", 3);
    }
}

/* Prints "Title (n):" and the table; nothing when there are no rows. */
static bool block(FILE *out, const char *title, size_t n, const char *align, size_t header_rows,
                  cli_table_row_fn fn, const text_view *v)
{
    if (n == 0)
        return true;
    fprintf(out, "\n%s (%zu):\n", title, n);
    return cli_table_run(align, n + header_rows, fn, v, out, "  ");
}

static void print_header(const text_view *v, FILE *out)
{
    const cli_inspection *in = v->in;
    const wasm_module *m = v->m;
    uint32_t version;
    if (cli_module_version(in->bytes, in->size, &version))
        fprintf(out, "%s: WebAssembly module, version %lu, %zu %s\n", in->file,
                (unsigned long)version, in->size, plural(in->size, "byte", "bytes"));
    else
        fprintf(out, "%s: not a WebAssembly module, %zu %s\n", in->file, in->size,
                plural(in->size, "byte", "bytes"));
    if (m->has_module_name) {
        cli_buf b;
        cli_buf_init(&b);
        cli_buf_name(&b, m->module_name.ptr, m->module_name.len);
        fprintf(out, "Module name: %s\n", cli_buf_str(&b));
        cli_buf_free(&b);
    }
    const kiln_diag *ne = &m->name_section_error;
    if (ne->code != KILN_OK && ne->offset != KILN_NO_OFFSET)
        fprintf(out, "Name section ignored: %s (at 0x%zx)\n", ne->msg, ne->offset);
    else if (ne->code != KILN_OK)
        fprintf(out, "Name section ignored: %s\n", ne->msg);
}

bool cli_inspect_text(const cli_inspection *in, FILE *out)
{
    if (!in->m)
        return true; /* unreadable: the caller prints the error */
    const wasm_module *m = in->m;
    text_view v;
    view_init(&v, in);
    bool ok = !v.failed;
    if (ok) {
        print_header(&v, out);
        uint32_t funcs = m->funcs ? m->func_count : 0;
        uint32_t imported = funcs < m->func_import_count ? funcs : m->func_import_count;
        ok = block(out, "Sections", m->sections ? m->section_count : 0, "llrrl", 1, section_row,
                   &v) &&
             block(out, "Types", m->types ? m->type_count : 0, "rl", 0, type_row, &v) &&
             block(out, "Imports", m->imports ? m->import_count : 0, "lll", 0, import_row, &v);
        if (ok && funcs) {
            fprintf(out, "\nFunctions (%lu: %lu imported, %lu defined; code %llu bytes):\n",
                    (unsigned long)funcs, (unsigned long)imported,
                    (unsigned long)(funcs - imported), (unsigned long long)cli_code_size(m));
            ok = cli_table_run(v.func_names ? "rlrlrrl" : "rrlrrl", (size_t)funcs + 1, func_row, &v,
                               out, "  ");
        }
        ok = ok && block(out, "Tables", m->tables ? m->table_count : 0, "rlll", 0, table_row, &v) &&
             block(out, "Memories", m->memories ? m->memory_count : 0, "rll", 0, memory_row, &v) &&
             block(out, "Tags", m->tags ? m->tag_count : 0, "rll", 0, tag_row, &v) &&
             block(out, "Globals", m->globals ? m->global_count : 0, "rlll", 0, global_row, &v) &&
             block(out, "Exports", m->exports ? m->export_count : 0, "lll", 0, export_row, &v);
        if (ok && m->has_start) {
            wasm_str name;
            cli_buf b;
            cli_buf_init(&b);
            if (cli_func_name(m, m->start, &name)) {
                cli_buf_put(&b, " (", 2);
                cli_buf_name(&b, name.ptr, name.len);
                cli_buf_put(&b, ")", 1);
            }
            fprintf(out, "\nStart function: %lu%s\n", (unsigned long)m->start, cli_buf_str(&b));
            ok = !b.failed;
            cli_buf_free(&b);
        }
        ok = ok &&
             block(out, "Element segments", m->elems ? m->elem_count : 0, "rlllrl", 0, elem_row,
                   &v) &&
             block(out, "Data segments", m->datas ? m->data_seg_count : 0, "rlllrl", 0, data_row,
                   &v);
    }
    view_free(&v);
    return ok;
}
