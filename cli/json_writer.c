/* json_writer.c -- the JSON writer behind `kiln validate --json` and `kiln inspect --json`.
 *
 * A streaming writer: values are written as they are produced, with the separator and the
 * indentation decided from a stack of "has this container got items yet" flags. Strings go
 * through json.c's json_write_string, so all of Kiln's JSON escapes the same way: output is
 * always valid JSON, with bytes that are not UTF-8 replaced by U+FFFD. File names are
 * arbitrary bytes, so cli_json_kv_path adds the exact bytes in hex when that replacement
 * would lose information.
 */
#include <string.h>

#include "cli.h"
#include "json.h"

void cli_json_init(cli_json *j, FILE *out, bool pretty)
{
    j->out = out;
    j->pretty = pretty;
    j->after_key = false;
    j->depth = 0;
    j->inline_level = CLI_JSON_MAX_DEPTH;
}

static void newline_indent(cli_json *j, int level)
{
    fputc('\n', j->out);
    for (int i = 0; i < level; i++)
        fputs("  ", j->out);
}

/* Writes whatever must come before a value or a key at the current position. */
static void before_item(cli_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth == 0)
        return;
    int level = j->depth - 1;
    if (j->has_items[level])
        fputc(',', j->out);
    if (j->pretty) {
        if (level >= j->inline_level) {
            if (j->has_items[level])
                fputc(' ', j->out);
        } else {
            newline_indent(j, j->depth);
        }
    }
    j->has_items[level] = true;
}

static void open_container(cli_json *j, char c, bool inline_)
{
    before_item(j);
    KILN_ASSERT(j->depth < CLI_JSON_MAX_DEPTH);
    fputc(c, j->out);
    j->has_items[j->depth] = false;
    if (inline_ && j->inline_level > j->depth)
        j->inline_level = j->depth;
    j->depth++;
}

static void close_container(cli_json *j, char c)
{
    KILN_ASSERT(j->depth > 0);
    j->depth--;
    int level = j->depth;
    if (j->pretty && level < j->inline_level && j->has_items[level])
        newline_indent(j, level);
    fputc(c, j->out);
    if (j->inline_level == level)
        j->inline_level = CLI_JSON_MAX_DEPTH;
}

void cli_json_object(cli_json *j, bool inline_)
{
    open_container(j, '{', inline_);
}

void cli_json_object_end(cli_json *j)
{
    close_container(j, '}');
}

void cli_json_array(cli_json *j, bool inline_)
{
    open_container(j, '[', inline_);
}

void cli_json_array_end(cli_json *j)
{
    close_container(j, ']');
}

void cli_json_key(cli_json *j, const char *key)
{
    before_item(j);
    json_write_string(j->out, key, strlen(key));
    fputs(j->pretty ? ": " : ":", j->out);
    j->after_key = true;
}

void cli_json_string(cli_json *j, const char *s, size_t n)
{
    before_item(j);
    json_write_string(j->out, s ? s : "", s ? n : 0);
}

void cli_json_cstring(cli_json *j, const char *s)
{
    cli_json_string(j, s, strlen(s));
}

void cli_json_uint(cli_json *j, uint64_t v)
{
    before_item(j);
    fprintf(j->out, "%llu", (unsigned long long)v);
}

void cli_json_bool(cli_json *j, bool v)
{
    before_item(j);
    fputs(v ? "true" : "false", j->out);
}

void cli_json_kv_string(cli_json *j, const char *key, const char *s, size_t n)
{
    cli_json_key(j, key);
    cli_json_string(j, s, n);
}

void cli_json_kv_cstring(cli_json *j, const char *key, const char *s)
{
    cli_json_key(j, key);
    cli_json_cstring(j, s);
}

void cli_json_kv_uint(cli_json *j, const char *key, uint64_t v)
{
    cli_json_key(j, key);
    cli_json_uint(j, v);
}

void cli_json_kv_bool(cli_json *j, const char *key, bool v)
{
    cli_json_key(j, key);
    cli_json_bool(j, v);
}

void cli_json_kv_path(cli_json *j, const char *key, const char *path)
{
    size_t n = strlen(path);
    cli_json_kv_string(j, key, path, n);
    if (kiln_utf8_valid((const uint8_t *)path, n))
        return;
    /* "<key>_hex": the exact bytes, since the string above has U+FFFD in place of some. */
    char hex_key[64];
    snprintf(hex_key, sizeof hex_key, "%s_hex", key);
    cli_json_key(j, hex_key);
    before_item(j);
    fputc('"', j->out);
    for (size_t i = 0; i < n; i++)
        fprintf(j->out, "%02x", (unsigned char)path[i]);
    fputc('"', j->out);
}

void cli_json_diag_members(cli_json *j, const kiln_diag *d)
{
    cli_json_kv_cstring(j, "class", kiln_err_class(d->code));
    if (d->offset != KILN_NO_OFFSET)
        cli_json_kv_uint(j, "offset", d->offset);
    if (d->func_index != KILN_NO_FUNC)
        cli_json_kv_uint(j, "function", d->func_index);
    if (d->line != 0) { /* module text */
        cli_json_kv_uint(j, "line", d->line);
        cli_json_kv_uint(j, "column", d->column);
    }
    const char *nul = memchr(d->msg, '\0', sizeof d->msg);
    cli_json_kv_string(j, "message", d->msg, nul ? (size_t)(nul - d->msg) : sizeof d->msg);
    if (d->feature) /* the Wasm 3.0 feature met (docs/errors.md) */
        cli_json_kv_cstring(j, "feature", d->feature);
}
