/* wast_script.c -- spec scripts as wast2json writes them, for `kiln wast` (wast_run.c) and the
 * decoder/validator conformance test (tests/spec/spec_validate.c).
 *
 * A spec script (.wast) is converted by wabt's wast2json into a JSON command list plus one
 * file per module (NAME.N.wasm, or NAME.N.wat for text modules). This file runs wast2json
 * (host_spawn, never a shell), loads the JSON into an arena, reads the module file a command
 * names, and classifies a binary module as valid, invalid or malformed the way the spec's
 * assert_invalid / assert_malformed expect, including the one documented workaround for a
 * wast2json encoding quirk (wast_check_module). Everything reports failure through its return
 * value and a message buffer; nothing prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wast.h"

bool wast_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

bool wast_run_wast2json(const char *wast2json, bool enable_all, const char *wast, const char *json,
                        char *err, size_t err_size)
{
    const char *argv[6];
    int argc = 0;
    argv[argc++] = wast2json;
    /* The test suite's README: --enable-all converts every proposal folder with output
     * byte-identical to the per-folder flags; core needs no flags. */
    if (enable_all)
        argv[argc++] = "--enable-all";
    argv[argc++] = wast;
    argv[argc++] = "-o";
    argv[argc++] = json;
    argv[argc] = NULL;
    return host_spawn(NULL, argv, err, err_size);
}

bool wast_script_load(wast_script *s, const char *json_path, char *err, size_t err_size)
{
    memset(s, 0, sizeof(*s));
    kiln_arena_init(&s->arena, NULL);
    kiln_diag d;
    kiln_diag_init(&d);
    if (!host_read_file(json_path, &s->text, &d)) {
        kiln_msg(err, err_size, "%s: %s", json_path, d.msg);
        return false;
    }
    const json_value *root = NULL;
    if (!json_parse((const char *)s->text.data, s->text.size, &s->arena, &root, &d)) {
        char msg[512];
        kiln_diag_format(&d, json_path, msg, sizeof(msg));
        kiln_msg(err, err_size, "bad wast2json output: %s", msg);
        return false;
    }
    const json_value *cmds = json_get(root, "commands");
    if (cmds == NULL || cmds->kind != JSON_ARRAY) {
        kiln_msg(err, err_size, "bad wast2json output: %s has no \"commands\" array", json_path);
        return false;
    }
    s->root = root;
    s->commands = cmds;
    s->source = json_get_str(root, "source_filename");
    return true;
}

void wast_script_free(wast_script *s)
{
    kiln_arena_free(&s->arena);
    host_file_free(&s->text);
    memset(s, 0, sizeof(*s));
}

bool wast_command_module(const json_value *cmd, const char **filename, bool *text, char *err,
                         size_t err_size)
{
    const char *name = json_get_str(cmd, "filename");
    const char *module_type = json_get_str(cmd, "module_type");
    if (!name || name[0] == '\0' || strchr(name, '/')) {
        kiln_msg(err, err_size,
                 "bad wast2json output: a module command without a plain "
                 "filename");
        return false;
    }
    /* `module` commands carry no module_type; wast2json names text modules *.wat. */
    bool is_text = module_type ? strcmp(module_type, "text") == 0 : wast_ends_with(name, ".wat");
    if (module_type && !is_text && strcmp(module_type, "binary") != 0) {
        kiln_msg(err, err_size, "bad wast2json output: module_type \"%s\"", module_type);
        return false;
    }
    *filename = name;
    *text = is_text;
    return true;
}

const char *wast_expect_name(wast_expect e)
{
    static const char *const names[] = {
        [WAST_EXPECT_VALID] = "valid",
        [WAST_EXPECT_INVALID] = "invalid",
        [WAST_EXPECT_MALFORMED] = "malformed",
    };
    return (unsigned)e < KILN_ARRAY_LEN(names) ? names[e] : "?";
}

/* Decodes and validates wasm; returns true if valid, else false with d set. */
static bool decode_and_validate(const uint8_t *wasm, size_t size, bool wasm3, kiln_diag *d)
{
    wasm_module m;
    kiln_diag_init(d);
    bool ok = kiln_decode(&m, wasm, size, NULL, d) &&
              (wasm3 ? kiln_validate_to_compile(&m, NULL, d) : kiln_validate(&m, NULL, d));
    wasm_module_free(&m);
    return ok;
}

/* wast2json 1.0.32 writes no data count section when a module has no data segments, even if
 * its code uses memory.init or data.drop. Those bytes are malformed ("data count section
 * required"), while the spec's text module is only invalid (memory_init.wast:190, 227). For
 * such a module (no data count, no data section) this returns a copy with an empty data count
 * section (0c 01 00) inserted before the code section, so that the validator is still
 * checked on it; otherwise NULL. It reads section headers only, trusting nothing. */
static uint8_t *add_data_count(const uint8_t *wasm, size_t size, size_t *out_size)
{
    size_t pos = 8, code_at = 0;
    if (size < 8)
        return NULL;
    while (pos < size) {
        size_t start = pos;
        uint8_t id = wasm[pos++];
        uint32_t len = 0;
        unsigned shift = 0;
        for (;;) {
            if (pos >= size || shift > 28)
                return NULL;
            uint8_t b = wasm[pos++];
            len |= (uint32_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80))
                break;
        }
        if (id == 11 || id == 12 || len > size - pos)
            return NULL;
        if (id == 10 && code_at == 0)
            code_at = start;
        pos += len;
    }
    if (code_at == 0)
        return NULL;
    static const uint8_t data_count[] = {0x0c, 0x01, 0x00};
    uint8_t *out = malloc(size + sizeof(data_count));
    if (!out)
        return NULL;
    memcpy(out, wasm, code_at);
    memcpy(out + code_at, data_count, sizeof(data_count));
    memcpy(out + code_at + sizeof(data_count), wasm + code_at, size - code_at);
    *out_size = size + sizeof(data_count);
    return out;
}

void wast_check_module(const uint8_t *wasm, size_t size, wast_expect want, bool wasm3,
                       wast_check *out)
{
    memset(out, 0, sizeof(*out));
    out->valid = decode_and_validate(wasm, size, wasm3, &out->diag);
    static const char dc_required[] = "data count section required";
    if (!out->valid && want == WAST_EXPECT_INVALID && out->diag.code == KILN_ERR_MALFORMED &&
        strncmp(out->diag.msg, dc_required, strlen(dc_required)) == 0) {
        size_t patched_size;
        uint8_t *copy = add_data_count(wasm, size, &patched_size);
        if (copy) {
            out->valid = decode_and_validate(copy, patched_size, wasm3, &out->diag);
            out->patched = true;
            free(copy);
        }
    }
    if (out->valid)
        out->matches = want == WAST_EXPECT_VALID;
    else
        out->matches = (want == WAST_EXPECT_INVALID && out->diag.code == KILN_ERR_INVALID) ||
                       (want == WAST_EXPECT_MALFORMED && out->diag.code == KILN_ERR_MALFORMED);
}
