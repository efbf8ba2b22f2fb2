/* inspect_json.c -- the JSON view of `kiln inspect --json`: one document per module.
 *
 * The document mirrors the text view but is complete where the text abbreviates (every
 * element of every segment, full names) and uses plain numbers and strings so that scripts
 * need no parsing beyond JSON. Every member is listed in docs/cli.md. Lists are written one
 * entry per line (inline objects) to keep a large module readable with line-oriented tools.
 * "valid" and "error" come first, right after "file", so a reader sees the verdict before the
 * (possibly partial) contents.
 */
#include "cli.h"

static void kv_name(cli_json *j, const char *key, wasm_str s)
{
    cli_json_kv_string(j, key, s.ptr, s.ptr ? s.len : 0);
}

static void kv_expr(cli_json *j, const char *key, const wasm_module *m, wasm_expr e,
                    cli_buf *scratch)
{
    cli_buf_clear(scratch);
    cli_buf_expr(scratch, m, e);
    cli_json_kv_string(j, key, cli_buf_str(scratch), scratch->len);
}

static void kv_limits(cli_json *j, const wasm_limits *l)
{
    cli_json_kv_uint(j, "min", l->min);
    if (l->has_max)
        cli_json_kv_uint(j, "max", l->max);
    if (l->shared)
        cli_json_kv_bool(j, "shared", true);
}

static void valtypes(cli_json *j, const char *key, const wasm_valtype *t, uint32_t n)
{
    cli_json_key(j, key);
    cli_json_array(j, true);
    for (uint32_t i = 0; t && i < n; i++)
        cli_json_cstring(j, wasm_valtype_name(t[i]));
    cli_json_array_end(j);
}

static void sections(cli_json *j, const wasm_module *m)
{
    cli_json_key(j, "sections");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->sections && i < m->section_count; i++) {
        const wasm_section *s = &m->sections[i];
        cli_json_object(j, true);
        cli_json_kv_uint(j, "id", s->id);
        cli_json_kv_cstring(j, "kind", cli_section_name(s->id));
        if (s->id == 0)
            kv_name(j, "name", s->name);
        cli_json_kv_uint(j, "offset", s->offset);
        cli_json_kv_uint(j, "start", s->content);
        cli_json_kv_uint(j, "size", s->size);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void types(cli_json *j, const wasm_module *m)
{
    cli_json_key(j, "types");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->types && i < m->type_count; i++) {
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        valtypes(j, "params", m->types[i].params, m->types[i].param_count);
        valtypes(j, "results", m->types[i].results, m->types[i].result_count);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void imports(cli_json *j, const wasm_module *m)
{
    cli_json_key(j, "imports");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->imports && i < m->import_count; i++) {
        const wasm_import *imp = &m->imports[i];
        cli_json_object(j, true);
        kv_name(j, "module", imp->module);
        kv_name(j, "name", imp->name);
        cli_json_kv_cstring(j, "kind", wasm_externkind_name(imp->kind));
        switch (imp->kind) {
        case WASM_EXTERN_FUNC:
            cli_json_kv_uint(j, "type", imp->u.type_index);
            break;
        case WASM_EXTERN_TABLE:
            cli_json_kv_cstring(j, "element", wasm_valtype_name(imp->u.table.elem));
            kv_limits(j, &imp->u.table.limits);
            break;
        case WASM_EXTERN_MEMORY:
            kv_limits(j, &imp->u.memory.limits);
            break;
        case WASM_EXTERN_GLOBAL:
            cli_json_kv_cstring(j, "type", wasm_valtype_name(imp->u.global.type));
            cli_json_kv_bool(j, "mutable", imp->u.global.mut);
            break;
        case WASM_EXTERN_TAG:
            cli_json_kv_uint(j, "type", imp->u.type_index);
            break;
        default:
            break;
        }
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void functions(cli_json *j, const wasm_module *m)
{
    uint32_t funcs = m->funcs ? m->func_count : 0;
    uint32_t imported = funcs < m->func_import_count ? funcs : m->func_import_count;
    cli_json_key(j, "function_count");
    cli_json_object(j, true);
    cli_json_kv_uint(j, "imported", imported);
    cli_json_kv_uint(j, "defined", funcs - imported);
    cli_json_object_end(j);
    cli_json_kv_uint(j, "code_size", cli_code_size(m));

    cli_json_key(j, "functions");
    cli_json_array(j, false);
    for (uint32_t i = 0; i < funcs; i++) {
        const wasm_func *f = &m->funcs[i];
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        wasm_str name;
        if (cli_func_name(m, i, &name))
            kv_name(j, "name", name);
        cli_json_kv_uint(j, "type", f->type_index);
        cli_json_kv_bool(j, "imported", f->imported);
        uint32_t size;
        if (cli_code_entry_size(m, f, &size)) {
            cli_json_kv_uint(j, "offset", f->code_offset);
            cli_json_kv_uint(j, "size", size);
            cli_json_kv_uint(j, "locals", f->local_count);
        }
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void tables(cli_json *j, const wasm_module *m)
{
    cli_json_key(j, "tables");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->tables && i < m->table_count; i++) {
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        cli_json_kv_cstring(j, "element", wasm_valtype_name(m->tables[i].type.elem));
        kv_limits(j, &m->tables[i].type.limits);
        cli_json_kv_bool(j, "imported", m->tables[i].imported);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void memories(cli_json *j, const wasm_module *m)
{
    cli_json_key(j, "memories");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->memories && i < m->memory_count; i++) {
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        kv_limits(j, &m->memories[i].type.limits);
        cli_json_kv_bool(j, "imported", m->memories[i].imported);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

/* Tags (exceptions): each one's type index. */
static void tags(cli_json *j, const wasm_module *m)
{
    cli_json_key(j, "tags");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->tags && i < m->tag_count; i++) {
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        cli_json_kv_uint(j, "type", m->tags[i].type_index);
        cli_json_kv_bool(j, "imported", m->tags[i].imported);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void globals(cli_json *j, const wasm_module *m, cli_buf *scratch)
{
    cli_json_key(j, "globals");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->globals && i < m->global_count; i++) {
        const wasm_global *g = &m->globals[i];
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        cli_json_kv_cstring(j, "type", wasm_valtype_name(g->type.type));
        cli_json_kv_bool(j, "mutable", g->type.mut);
        cli_json_kv_bool(j, "imported", g->imported);
        if (!g->imported)
            kv_expr(j, "init", m, g->init, scratch);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void exports(cli_json *j, const wasm_module *m)
{
    cli_json_key(j, "exports");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->exports && i < m->export_count; i++) {
        cli_json_object(j, true);
        kv_name(j, "name", m->exports[i].name);
        cli_json_kv_cstring(j, "kind", wasm_externkind_name(m->exports[i].kind));
        cli_json_kv_uint(j, "index", m->exports[i].index);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static const char *segment_mode(uint8_t mode)
{
    return mode == WASM_SEG_ACTIVE    ? "active"
           : mode == WASM_SEG_PASSIVE ? "passive"
                                      : "declarative";
}

static void elements(cli_json *j, const wasm_module *m, cli_buf *scratch)
{
    cli_json_key(j, "elements");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->elems && i < m->elem_count; i++) {
        const wasm_elem *e = &m->elems[i];
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        cli_json_kv_cstring(j, "mode", segment_mode(e->mode));
        if (e->mode == WASM_SEG_ACTIVE) {
            cli_json_kv_uint(j, "table", e->table);
            kv_expr(j, "offset", m, e->offset_expr, scratch);
        }
        cli_json_kv_cstring(j, "type", wasm_valtype_name(e->type));
        cli_json_kv_uint(j, "count", e->count);
        if (e->func_indices) {
            cli_json_key(j, "functions");
            cli_json_array(j, true);
            for (uint32_t k = 0; k < e->count; k++)
                cli_json_uint(j, e->func_indices[k]);
            cli_json_array_end(j);
        } else if (e->exprs) {
            cli_json_key(j, "init");
            cli_json_array(j, true);
            for (uint32_t k = 0; k < e->count; k++) {
                cli_buf_clear(scratch);
                cli_buf_expr(scratch, m, e->exprs[k]);
                cli_json_string(j, cli_buf_str(scratch), scratch->len);
            }
            cli_json_array_end(j);
        }
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static void datas(cli_json *j, const wasm_module *m, cli_buf *scratch)
{
    cli_json_key(j, "data");
    cli_json_array(j, false);
    for (uint32_t i = 0; m->datas && i < m->data_seg_count; i++) {
        const wasm_data *d = &m->datas[i];
        cli_json_object(j, true);
        cli_json_kv_uint(j, "index", i);
        cli_json_kv_cstring(j, "mode", segment_mode(d->mode));
        if (d->mode == WASM_SEG_ACTIVE) {
            cli_json_kv_uint(j, "memory", d->memory);
            kv_expr(j, "offset", m, d->offset_expr, scratch);
        }
        cli_json_kv_uint(j, "size", d->size);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

bool cli_inspect_json(const cli_inspection *in, FILE *out)
{
    cli_json j;
    cli_json_init(&j, out, true);
    cli_buf scratch;
    cli_buf_init(&scratch);
    cli_json_object(&j, false);
    cli_json_kv_path(&j, "file", in->file);
    cli_json_kv_bool(&j, "valid", in->error.code == KILN_OK);
    if (in->error.code != KILN_OK) {
        cli_json_key(&j, "error");
        cli_json_object(&j, true);
        cli_json_diag_members(&j, &in->error);
        cli_json_object_end(&j);
    }
    const wasm_module *m = in->m;
    if (m) {
        cli_json_kv_uint(&j, "size", in->size);
        uint32_t version;
        if (cli_module_version(in->bytes, in->size, &version))
            cli_json_kv_uint(&j, "version", version);
        if (m->has_module_name)
            kv_name(&j, "module_name", m->module_name);
        if (m->name_section_error.code != KILN_OK) {
            cli_json_key(&j, "name_section_error");
            cli_json_object(&j, true);
            cli_json_diag_members(&j, &m->name_section_error);
            cli_json_object_end(&j);
        }
        sections(&j, m);
        types(&j, m);
        imports(&j, m);
        functions(&j, m);
        tables(&j, m);
        memories(&j, m);
        tags(&j, m);
        globals(&j, m, &scratch);
        exports(&j, m);
        if (m->has_start)
            cli_json_kv_uint(&j, "start", m->start);
        elements(&j, m, &scratch);
        datas(&j, m, &scratch);
    }
    cli_json_object_end(&j);
    fputc('\n', out);
    bool ok = !scratch.failed;
    cli_buf_free(&scratch);
    return ok;
}
