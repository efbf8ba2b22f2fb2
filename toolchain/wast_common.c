/* wast_common.c -- what the spec-script runners share: `kiln wast` (cli_wast.c) and the
 * decoder/validator conformance test (tests/spec/spec_validate.c).
 *
 * A spec script (.wast) is converted by wabt's wast2json into a JSON command list plus one
 * file per module (NAME.N.wasm, or NAME.N.wat for text modules). This file runs wast2json
 * (posix_spawn, never a shell), loads the JSON into an arena, reads the module file a command
 * names, and classifies a binary module as valid, invalid or malformed the way the spec's
 * assert_invalid / assert_malformed expect, including the one documented workaround for a
 * wast2json encoding quirk (wast_check_module). It also holds the small POSIX file helpers
 * both runners need: program lookup on PATH, scratch directories, whole-file reads.
 * Everything reports failure through its return value and a message buffer; nothing prints.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolchain.h"

extern char **environ;

static void set_error(char *err, size_t size, const char *fmt, ...) KILN_PRINTF(3, 4);

static void set_error(char *err, size_t size, const char *fmt, ...)
{
    if (err == NULL || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

bool wast_path_join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    return n >= 0 && (size_t)n < size;
}

bool wast_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

bool wast_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool wast_find_program(const char *name, char *out, size_t size)
{
    if (name == NULL || name[0] == '\0')
        return false;
    if (strchr(name, '/')) {
        if (!is_executable_file(name) || strlen(name) >= size)
            return false;
        memcpy(out, name, strlen(name) + 1);
        return true;
    }
    const char *path = getenv("PATH");
    if (path == NULL || path[0] == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    /* Each PATH entry in turn; an empty entry means the current directory (POSIX). */
    for (const char *p = path;; p++) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        int n = len == 0 ? snprintf(out, size, "./%s", name)
                         : snprintf(out, size, "%.*s/%s", (int)len, p, name);
        if (n >= 0 && (size_t)n < size && is_executable_file(out))
            return true;
        if (colon == NULL)
            break;
        p = colon;
    }
    return false;
}

bool wast_spawn(const char *const argv[], char *err, size_t err_size)
{
    /* posix_spawn's argv is char *const[] for historical reasons; it does not write to it.
     * The pointers are copied (not cast) to keep -Wcast-qual meaningful. */
    size_t n = 0;
    while (argv[n] != NULL)
        n++;
    char **args = malloc((n + 1) * sizeof(*args));
    if (args == NULL) {
        set_error(err, err_size, "out of memory");
        return false;
    }
    memcpy(args, argv, (n + 1) * sizeof(*args));
    pid_t pid;
    int e = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], NULL, NULL, args, environ)
                                 : posix_spawnp(&pid, argv[0], NULL, NULL, args, environ);
    free(args);
    if (e != 0) {
        set_error(err, err_size, "cannot run %s: %s", argv[0], strerror(e));
        return false;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            set_error(err, err_size, "waiting for %s: %s", argv[0], strerror(errno));
            return false;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFEXITED(status))
        set_error(err, err_size, "%s exited with status %d", argv[0], WEXITSTATUS(status));
    else
        set_error(err, err_size, "%s killed by signal %d", argv[0], WTERMSIG(status));
    return false;
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
    return wast_spawn(argv, err, err_size);
}

bool wast_make_dirs(const char *path)
{
    char buf[WAST_PATH_SIZE];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return false;
        buf[i] = saved;
    }
    return wast_is_dir(path);
}

void wast_empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[WAST_PATH_SIZE];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (wast_path_join(path, sizeof(path), dir, e->d_name))
            unlink(path);
    }
    closedir(d);
}

bool wast_remove_dir(const char *dir)
{
    wast_empty_dir(dir);
    return rmdir(dir) == 0;
}

bool wast_make_temp_dir(const char *tag, char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] != '/')
        tmp = "/tmp";
    int n = snprintf(out, size, "%s/%s-XXXXXX", tmp, tag);
    return n >= 0 && (size_t)n < size && mkdtemp(out) != NULL;
}

bool wast_read_file(const char *path, char **out, size_t *out_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 16, size = 0;
    char *buf = malloc(cap);
    while (buf) {
        size += fread(buf + size, 1, cap - size, f);
        if (size < cap)
            break;
        char *grown = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    bool ok = buf && !ferror(f);
    fclose(f);
    if (!ok) {
        free(buf);
        return false;
    }
    buf[size] = '\0'; /* size < cap: the loop only stops with room left */
    *out = buf;
    *out_size = size;
    return true;
}

bool wast_script_load(wast_script *s, const char *json_path, char *err, size_t err_size)
{
    memset(s, 0, sizeof(*s));
    kiln_arena_init(&s->arena, NULL);
    size_t size = 0;
    if (!wast_read_file(json_path, &s->text, &size)) {
        set_error(err, err_size, "cannot read %s: %s", json_path, strerror(errno));
        return false;
    }
    kiln_diag d;
    kiln_diag_init(&d);
    const json_value *root = NULL;
    if (!json_parse(s->text, size, &s->arena, &root, &d)) {
        char msg[512];
        kiln_diag_format(&d, json_path, msg, sizeof(msg));
        set_error(err, err_size, "bad wast2json output: %s", msg);
        return false;
    }
    const json_value *cmds = json_get(root, "commands");
    if (cmds == NULL || cmds->kind != JSON_ARRAY) {
        set_error(err, err_size, "bad wast2json output: %s has no \"commands\" array", json_path);
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
    free(s->text);
    memset(s, 0, sizeof(*s));
}

bool wast_command_module(const json_value *cmd, const char **filename, bool *text, char *err,
                         size_t err_size)
{
    const char *name = json_get_str(cmd, "filename");
    const char *module_type = json_get_str(cmd, "module_type");
    if (!name || name[0] == '\0' || strchr(name, '/')) {
        set_error(err, err_size,
                  "bad wast2json output: a module command without a plain "
                  "filename");
        return false;
    }
    /* `module` commands carry no module_type; wast2json names text modules *.wat. */
    bool is_text = module_type ? strcmp(module_type, "text") == 0 : wast_ends_with(name, ".wat");
    if (module_type && !is_text && strcmp(module_type, "binary") != 0) {
        set_error(err, err_size, "bad wast2json output: module_type \"%s\"", module_type);
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
static bool decode_and_validate(const uint8_t *wasm, size_t size, kiln_diag *d)
{
    wasm_module m;
    kiln_diag_init(d);
    bool ok = kiln_decode(&m, wasm, size, NULL, d) && kiln_validate(&m, NULL, d);
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

void wast_check_module(const uint8_t *wasm, size_t size, wast_expect want, wast_check *out)
{
    memset(out, 0, sizeof(*out));
    out->valid = decode_and_validate(wasm, size, &out->diag);
    static const char dc_required[] = "data count section required";
    if (!out->valid && want == WAST_EXPECT_INVALID && out->diag.code == KILN_ERR_MALFORMED &&
        strncmp(out->diag.msg, dc_required, strlen(dc_required)) == 0) {
        size_t patched_size;
        uint8_t *copy = add_data_count(wasm, size, &patched_size);
        if (copy) {
            out->valid = decode_and_validate(copy, patched_size, &out->diag);
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
