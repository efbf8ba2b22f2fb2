/* spec_run.c -- executes the spec test suite's assertions against compiled code.
 *
 * For each TESTSUITE/core/NAME.wast (not simd_NAME), in a forked child: wast2json, then the
 * commands in order. Each module is compiled with kiln_compile (prefix m<line>), linked into
 * a shared object with CC -shared and dlopen'ed; this program exports libkiln_runtime's
 * functions (-rdynamic, whole archive), so the objects bind to it. Imports come from the
 * "spectest" host module or from instances registered by `register`. Checked commands:
 * assert_return (exact bits; nan:canonical / nan:arithmetic), assert_trap and
 * assert_exhaustion (the trap's message against the expected text), assert_uninstantiable,
 * assert_unlinkable, action. v128 values are skipped (no SIMD yet), as are export names with
 * a NUL byte (the embedder API takes C strings); assert_invalid and assert_malformed belong to
 * spec_validate. Output: failures, one line per file, a total.
 * Exit 1 on failures, 77 when the suite or wast2json is missing, 2 on usage errors.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* kiln.h's kiln_module, kiln_extern, kiln_import, kiln_memory and kiln_table share their names
 * with internal.h's decoded-module types; here the runtime's get a kiln_rt_ prefix. */
#define kiln_module kiln_rt_module
#define kiln_extern kiln_rt_extern
#define kiln_memory kiln_rt_memory
#define kiln_table  kiln_rt_table
#define kiln_import kiln_rt_import
#include "kiln/kiln.h"
#undef kiln_module
#undef kiln_extern
#undef kiln_memory
#undef kiln_table
#undef kiln_import

extern char **environ;

#define PATH_SIZE 4096
#define MAX_NAMED 512

typedef struct counts {
    long passed, failed, skipped;
} counts;

typedef struct runner {
    const char *suite, *wast2json, *cc, *work;
    int opt;
    const char *name; /* the .wast being run */
    char dir[PATH_SIZE];
    counts c;
    kiln_pool *pool;
    kiln_instance *current;
    struct {
        char name[128];
        kiln_instance *inst;
    } named[MAX_NAMED], registered[MAX_NAMED];
    int named_count, registered_count;
    /* spectest */
    kiln_rt_memory *memory;
    kiln_rt_table *table;
    kiln_global_cell g_i32, g_i64, g_f32, g_f64;
} runner;

static void fail(runner *r, uint64_t line, const char *fmt, ...) KILN_PRINTF(3, 4);

static void fail(runner *r, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s:%" PRIu64 ": FAIL: ", r->name, line);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    r->c.failed++;
}

static bool spawn_wait(const char *const argv[])
{
    pid_t pid;
    char *args[8];
    size_t n = 0;
    for (; argv[n] && n < 7; n++)
        memcpy(&args[n], &argv[n], sizeof args[n]); /* spawn does not write to them */
    args[n] = NULL;
    int err = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], NULL, NULL, args, environ)
                                   : posix_spawnp(&pid, argv[0], NULL, NULL, args, environ);
    if (err != 0)
        return false;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool slurp(const char *path, uint8_t **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        uint8_t *p = realloc(buf, cap * 2);
        if (!p) {
            free(buf);
            buf = NULL;
        }
        buf = p;
        cap *= 2;
    }
    fclose(f);
    *out = buf;
    *size = len;
    return buf != NULL;
}

/* ---- spectest ---- */

static kiln_trap print_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    return KILN_TRAP_NONE;
}

static const uint8_t t_i32[] = {KILN_TYPE_I32}, t_i64[] = {KILN_TYPE_I64},
                     t_f32[] = {KILN_TYPE_F32}, t_f64[] = {KILN_TYPE_F64},
                     t_i32_f32[] = {KILN_TYPE_I32, KILN_TYPE_F32},
                     t_f64_f64[] = {KILN_TYPE_F64, KILN_TYPE_F64};
static const struct {
    const char *name;
    kiln_host_func fn;
} spectest_funcs[] = {
    {"print", {print_fn, NULL, 0, 0, NULL, NULL}},
    {"print_i32", {print_fn, NULL, 1, 0, t_i32, NULL}},
    {"print_i64", {print_fn, NULL, 1, 0, t_i64, NULL}},
    {"print_f32", {print_fn, NULL, 1, 0, t_f32, NULL}},
    {"print_f64", {print_fn, NULL, 1, 0, t_f64, NULL}},
    {"print_i32_f32", {print_fn, NULL, 2, 0, t_i32_f32, NULL}},
    {"print_f64_f64", {print_fn, NULL, 2, 0, t_f64_f64, NULL}},
};

static bool spectest(runner *r, const char *name, kiln_rt_extern *out)
{
    for (size_t i = 0; i < KILN_ARRAY_LEN(spectest_funcs); i++)
        if (strcmp(name, spectest_funcs[i].name) == 0) {
            out->kind = KILN_KIND_HOST_FUNC;
            out->of.host = &spectest_funcs[i].fn;
            return true;
        }
    const struct {
        const char *name;
        uint8_t type;
        kiln_global_cell *cell;
    } globals[] = {{"global_i32", KILN_TYPE_I32, &r->g_i32},
                   {"global_i64", KILN_TYPE_I64, &r->g_i64},
                   {"global_f32", KILN_TYPE_F32, &r->g_f32},
                   {"global_f64", KILN_TYPE_F64, &r->g_f64}};
    for (size_t i = 0; i < KILN_ARRAY_LEN(globals); i++)
        if (strcmp(name, globals[i].name) == 0) {
            out->kind = KILN_KIND_GLOBAL;
            out->of.global.type = globals[i].type;
            out->of.global.mut = 0;
            out->of.global.cell = globals[i].cell;
            return true;
        }
    if (strcmp(name, "memory") == 0 && r->memory) {
        out->kind = KILN_KIND_MEMORY;
        out->of.memory = r->memory;
        return true;
    }
    if (strcmp(name, "table") == 0 && r->table) {
        out->kind = KILN_KIND_TABLE;
        out->of.table = r->table;
        return true;
    }
    return false;
}

/* ---- modules ---- */

static kiln_instance *find(runner *r, const char *name, bool registered)
{
    int n = registered ? r->registered_count : r->named_count;
    for (int i = n - 1; i >= 0; i--) {
        const char *k = registered ? r->registered[i].name : r->named[i].name;
        if (strcmp(k, name) == 0)
            return registered ? r->registered[i].inst : r->named[i].inst;
    }
    return NULL;
}

/* Compiles, links and loads the module in file; NULL (after reporting) on failure. */
static const kiln_rt_module *load(runner *r, uint64_t line, const char *file)
{
    char path[PATH_SIZE], obj[PATH_SIZE], so[PATH_SIZE], prefix[32];
    snprintf(path, sizeof path, "%s/%s", r->dir, file);
    snprintf(prefix, sizeof prefix, "m%" PRIu64, line);
    snprintf(obj, sizeof obj, "%s/%s.o", r->dir, prefix);
    snprintf(so, sizeof so, "%s/%s.so", r->dir, prefix);
    kiln_compile_options o;
    kiln_compile_options_init(&o);
    o.input_path = path;
    o.output_path = obj;
    o.prefix = prefix;
    o.opt_level = r->opt;
    o.verify = true;
    kiln_diag d;
    if (!kiln_compile(&o, NULL, &d)) {
        char msg[512];
        kiln_diag_format(&d, file, msg, sizeof msg);
        if (d.code == KILN_ERR_UNSUPPORTED) {
            r->c.skipped++;
            return NULL;
        }
        fail(r, line, "compile: %s", msg);
        return NULL;
    }
    const char *argv[] = {r->cc, "-shared", "-o", so, obj, NULL};
    if (!spawn_wait(argv)) {
        fail(r, line, "cannot link %s", obj);
        return NULL;
    }
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fail(r, line, "dlopen: %s", dlerror());
        return NULL;
    }
    char sym[64];
    snprintf(sym, sizeof sym, "%s_module", prefix);
    const kiln_rt_module *m = dlsym(h, sym);
    if (!m)
        fail(r, line, "no symbol %s", sym);
    return m;
}

static kiln_status instantiate(runner *r, const kiln_rt_module *m, kiln_instance **out,
                               kiln_trap *trap)
{
    const kiln_import_desc *descs = m->imports.p;
    kiln_rt_import *items = calloc(m->import_count ? m->import_count : 1, sizeof *items);
    char(*names)[2][256] = calloc(m->import_count ? m->import_count : 1, sizeof *names);
    size_t n = 0;
    for (uint32_t i = 0; items && names && i < m->import_count; i++) {
        snprintf(names[n][0], 256, "%.*s", (int)descs[i].module.len,
                 (const char *)descs[i].module.ptr.p);
        snprintf(names[n][1], 256, "%.*s", (int)descs[i].name.len,
                 (const char *)descs[i].name.ptr.p);
        kiln_rt_extern e;
        bool found = false;
        if (strcmp(names[n][0], "spectest") == 0) {
            found = spectest(r, names[n][1], &e);
        } else {
            kiln_instance *from = find(r, names[n][0], true);
            found = from && kiln_instance_export(from, names[n][1], &e) == KILN_STATUS_OK;
        }
        if (!found)
            continue; /* the runtime reports the missing import */
        items[n].module = names[n][0];
        items[n].name = names[n][1];
        items[n].value = e;
        n++;
    }
    kiln_imports imports = {items, n};
    *trap = KILN_TRAP_NONE;
    kiln_status s = kiln_instance_new_in(r->pool, m, &imports, out, trap);
    free(items);
    free(names);
    return s;
}

/* ---- values ---- */

static bool parse_value(const json_value *v, kiln_val *out, bool *skip)
{
    const char *type = json_get_str(v, "type");
    const char *text = json_get_str(v, "value");
    memset(out, 0, sizeof *out);
    uint64_t bits = text ? strtoull(text, NULL, 10) : 0;
    if (!type)
        return false;
    if (strcmp(type, "i32") == 0) {
        out->type = KILN_TYPE_I32;
        out->of.i32 = (int32_t)(uint32_t)bits;
    } else if (strcmp(type, "i64") == 0) {
        out->type = KILN_TYPE_I64;
        out->of.i64 = (int64_t)bits;
    } else if (strcmp(type, "f32") == 0) {
        out->type = KILN_TYPE_F32;
        uint32_t b = (uint32_t)bits;
        memcpy(&out->of.f32, &b, 4);
    } else if (strcmp(type, "f64") == 0) {
        out->type = KILN_TYPE_F64;
        memcpy(&out->of.f64, &bits, 8);
    } else if (strcmp(type, "externref") == 0) {
        out->type = KILN_TYPE_EXTERNREF;
        out->of.externref =
            !text || strcmp(text, "null") == 0 ? NULL : (void *)(uintptr_t)(bits + 0x1000);
    } else if (strcmp(type, "funcref") == 0) {
        out->type = KILN_TYPE_FUNCREF;
    } else {
        *skip = true; /* v128 */
    }
    return true;
}

static bool result_matches(const json_value *want, const kiln_val *got)
{
    const char *type = json_get_str(want, "type");
    const char *text = json_get_str(want, "value");
    if (strcmp(type, "f32") == 0 && text && strncmp(text, "nan:", 4) == 0) {
        uint32_t b;
        memcpy(&b, &got->of.f32, 4);
        return strcmp(text, "nan:canonical") == 0 ? (b & 0x7fffffffu) == 0x7fc00000u
                                                  : (b & 0x7fc00000u) == 0x7fc00000u;
    }
    if (strcmp(type, "f64") == 0 && text && strncmp(text, "nan:", 4) == 0) {
        uint64_t b;
        memcpy(&b, &got->of.f64, 8);
        return strcmp(text, "nan:canonical") == 0
                   ? (b & 0x7fffffffffffffffu) == 0x7ff8000000000000u
                   : (b & 0x7ff8000000000000u) == 0x7ff8000000000000u;
    }
    kiln_val v;
    bool skip = false;
    parse_value(want, &v, &skip);
    switch (v.type) {
    case KILN_TYPE_I32:
    case KILN_TYPE_F32:
        return memcmp(&v.of, &got->of, 4) == 0;
    case KILN_TYPE_I64:
    case KILN_TYPE_F64:
        return memcmp(&v.of, &got->of, 8) == 0;
    case KILN_TYPE_EXTERNREF:
        return v.of.externref == got->of.externref;
    default: /* funcref: null, or any non-null reference */
        return text && strcmp(text, "null") == 0 ? got->of.funcref == NULL
                                                 : got->of.funcref != NULL;
    }
}

/* The result count of the exported function field, from the module descriptor. */
static size_t export_result_count(const kiln_rt_module *m, const char *field)
{
    const kiln_export_desc *exports = m->exports.p;
    for (uint32_t i = 0; i < m->export_count; i++) {
        const kiln_export_desc *e = &exports[i];
        if (e->kind == KILN_KIND_FUNC && e->name.len == strlen(field) &&
            memcmp(e->name.ptr.p, field, e->name.len) == 0) {
            const kiln_func_desc *f = &((const kiln_func_desc *)m->funcs.p)[e->index];
            return ((const kiln_functype_desc *)m->types.p)[f->type_index].result_count;
        }
    }
    return 0;
}

/* Runs an action; returns false if it could not be run (reported). */
static bool run_action(runner *r, uint64_t line, const json_value *action, kiln_val *results,
                       size_t *nresults, kiln_trap *trap, bool *skip)
{
    const char *type = json_get_str(action, "type");
    const char *field = json_get_str(action, "field");
    const char *module = json_get_str(action, "module");
    kiln_instance *inst = module ? find(r, module, false) : r->current;
    *trap = KILN_TRAP_NONE;
    *nresults = 0;
    if (!inst || !field || !type) {
        fail(r, line, "no instance for action");
        return false;
    }
    const json_value *fv = json_get(action, "field");
    if (fv->u.str.len != strlen(field)) {
        *skip = true; /* kiln_instance_export takes a C string: no NUL inside a name */
        return false;
    }
    kiln_rt_extern e;
    if (kiln_instance_export(inst, field, &e) != KILN_STATUS_OK) {
        fail(r, line, "no export \"%s\"", field);
        return false;
    }
    if (strcmp(type, "get") == 0) {
        memset(&results[0], 0, sizeof results[0]);
        results[0].type = e.of.global.type;
        memcpy(&results[0].of, e.of.global.cell, 16);
        *nresults = 1;
        return true;
    }
    const json_value *args = json_get(action, "args");
    size_t nargs = json_len(args);
    kiln_val argv[64];
    if (nargs > 64)
        return false;
    for (size_t i = 0; i < nargs; i++)
        parse_value(json_at(args, i), &argv[i], skip);
    if (*skip)
        return false;
    *nresults = export_result_count(kiln_instance_module(inst), field);
    *trap = kiln_call(inst, e.of.func, argv, nargs, results, *nresults);
    return true;
}

static bool message_matches(const char *want, kiln_trap t)
{
    const char *got = kiln_trap_message(t);
    size_t n = strlen(got) < strlen(want) ? strlen(got) : strlen(want);
    return t != KILN_TRAP_NONE && strncmp(got, want, n) == 0;
}

static void run_command(runner *r, const json_value *cmd)
{
    const char *type = json_get_str(cmd, "type");
    uint64_t line = 0;
    json_get_u64(cmd, "line", &line);
    if (!type)
        return;
    if (strcmp(type, "module") == 0) {
        r->current = NULL;
        const kiln_rt_module *m = load(r, line, json_get_str(cmd, "filename"));
        if (!m)
            return;
        kiln_trap trap;
        kiln_status s = instantiate(r, m, &r->current, &trap);
        if (s != KILN_STATUS_OK) {
            fail(r, line, "instantiation: %s (%s)", kiln_status_message(s), kiln_last_error());
            r->current = NULL;
            return;
        }
        r->c.passed++;
        const char *name = json_get_str(cmd, "name");
        if (name && r->named_count < MAX_NAMED) {
            snprintf(r->named[r->named_count].name, 128, "%s", name);
            r->named[r->named_count++].inst = r->current;
        }
    } else if (strcmp(type, "register") == 0) {
        const char *name = json_get_str(cmd, "name");
        kiln_instance *inst = name ? find(r, name, false) : r->current;
        if (inst && r->registered_count < MAX_NAMED) {
            snprintf(r->registered[r->registered_count].name, 128, "%s", json_get_str(cmd, "as"));
            r->registered[r->registered_count++].inst = inst;
        }
    } else if (strcmp(type, "assert_return") == 0 || strcmp(type, "action") == 0 ||
               strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0) {
        kiln_val results[64];
        size_t n;
        kiln_trap trap;
        bool skip = false;
        const json_value *expected = json_get(cmd, "expected");
        for (size_t i = 0; i < json_len(expected); i++) {
            const char *t = json_get_str(json_at(expected, i), "type");
            skip |= t && strcmp(t, "v128") == 0;
        }
        if (skip || !run_action(r, line, json_get(cmd, "action"), results, &n, &trap, &skip)) {
            if (skip)
                r->c.skipped++;
            return;
        }
        const char *text = json_get_str(cmd, "text");
        if (strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0) {
            if (message_matches(text, trap))
                r->c.passed++;
            else
                fail(r, line, "trap '%s', want '%s'", kiln_trap_message(trap), text);
            return;
        }
        if (trap != KILN_TRAP_NONE) {
            fail(r, line, "unexpected trap '%s'", kiln_trap_message(trap));
            return;
        }
        if (strcmp(type, "action") == 0) {
            r->c.passed++;
            return;
        }
        if (n != json_len(expected)) {
            fail(r, line, "%zu results, want %zu", n, json_len(expected));
            return;
        }
        for (size_t i = 0; i < n; i++)
            if (!result_matches(json_at(expected, i), &results[i])) {
                uint64_t bits = 0;
                memcpy(&bits, &results[i].of, 8);
                fail(r, line, "result %zu is 0x%" PRIx64 ", want %s %s", i, bits,
                     json_get_str(json_at(expected, i), "type"),
                     json_get_str(json_at(expected, i), "value"));
                return;
            }
        r->c.passed++;
    } else if (strcmp(type, "assert_uninstantiable") == 0 ||
               strcmp(type, "assert_unlinkable") == 0) {
        const kiln_rt_module *m = load(r, line, json_get_str(cmd, "filename"));
        if (!m)
            return;
        kiln_instance *inst = NULL;
        kiln_trap trap;
        kiln_status s = instantiate(r, m, &inst, &trap);
        bool unlinkable = strcmp(type, "assert_unlinkable") == 0;
        if (unlinkable ? s == KILN_STATUS_LINK : s == KILN_STATUS_TRAP)
            r->c.passed++;
        else
            fail(r, line, "%s: got status '%s'", type, kiln_status_message(s));
    }
}

static counts run_wast(runner *r, const char *name)
{
    r->name = name;
    size_t stem = strlen(name) - 5;
    char wast[PATH_SIZE], json[PATH_SIZE];
    snprintf(wast, sizeof wast, "%s/core/%s", r->suite, name);
    snprintf(r->dir, sizeof r->dir, "%s/%.*s", r->work, (int)stem, name);
    snprintf(json, sizeof json, "%s/%.*s.json", r->dir, (int)stem, name);
    mkdir(r->dir, 0777);
    const char *argv[] = {r->wast2json, wast, "-o", json, NULL};
    uint8_t *text;
    size_t size;
    if (!spawn_wait(argv) || !slurp(json, &text, &size)) {
        fail(r, 0, "wast2json");
        return r->c;
    }
    kiln_pool_config cfg = {.slots = 1000};
    if (kiln_pool_new(&cfg, &r->pool) != KILN_STATUS_OK ||
        kiln_memory_new(1, 2, &r->memory) != KILN_STATUS_OK ||
        kiln_table_new(KILN_TYPE_FUNCREF, 10, 20, &r->table) != KILN_STATUS_OK) {
        fail(r, 0, "runtime set-up");
        return r->c;
    }
    r->g_i32.u.i32 = 666;
    r->g_i64.u.i64 = 666;
    r->g_f32.u.f32 = 666.6f;
    r->g_f64.u.f64 = 666.6;
    kiln_arena arena;
    kiln_arena_init(&arena, NULL);
    const json_value *root;
    kiln_diag d;
    if (json_parse((const char *)text, size, &arena, &root, &d)) {
        const json_value *cmds = json_get(root, "commands");
        for (size_t i = 0; i < json_len(cmds); i++)
            run_command(r, json_at(cmds, i));
    } else {
        fail(r, 0, "bad JSON");
    }
    kiln_arena_free(&arena);
    free(text);
    return r->c;
}

static counts run_isolated(runner *r, const char *name)
{
    counts c = {0, 0, 0};
    int fds[2];
    fflush(stdout);
    if (pipe(fds) != 0)
        return c;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(300);
        counts got = run_wast(r, name);
        fflush(stdout);
        _exit(write(fds[1], &got, sizeof got) == (ssize_t)sizeof got ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = pid > 0 ? read(fds[0], &c, sizeof c) : -1;
    close(fds[0]);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (n != (ssize_t)sizeof c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("%s: FAIL: crashed (status 0x%x)\n", name, status);
        c.failed++;
    }
    return c;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    runner r;
    memset(&r, 0, sizeof r);
    r.work = "spec-run-work";
    r.cc = "cc";
    r.opt = 2;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
            r.work = argv[++i];
        else if (strcmp(argv[i], "--cc") == 0 && i + 1 < argc)
            r.cc = argv[++i];
        else if (strcmp(argv[i], "--opt") == 0 && i + 1 < argc)
            r.opt = atoi(argv[++i]);
        else if (!r.suite)
            r.suite = argv[i];
        else if (!r.wast2json)
            r.wast2json = argv[i];
        else {
            first = i;
            break;
        }
    }
    if (!r.suite || !r.wast2json) {
        fputs("usage: spec_run [--work DIR] [--cc CC] [--opt N] TESTSUITE WAST2JSON "
              "[NAME.wast...]\n",
              stderr);
        return 2;
    }
    char core[PATH_SIZE];
    snprintf(core, sizeof core, "%s/core", r.suite);
    DIR *dirp = opendir(core);
    if (!dirp) {
        printf("skipped: no test suite at %s\n", core);
        return 77;
    }
    mkdir(r.work, 0777);
    char **names = NULL;
    size_t count = 0;
    if (first < argc) {
        names = argv + first;
        count = (size_t)(argc - first);
    } else {
        names = calloc(1024, sizeof *names);
        for (struct dirent *e; names && count < 1024 && (e = readdir(dirp)) != NULL;) {
            size_t len = strlen(e->d_name);
            if (len > 5 && strcmp(e->d_name + len - 5, ".wast") == 0 &&
                strncmp(e->d_name, "simd_", 5) != 0) {
                names[count] = malloc(len + 1);
                if (names[count])
                    memcpy(names[count++], e->d_name, len + 1);
            }
        }
        qsort(names, count, sizeof *names, compare_strings);
    }
    closedir(dirp);
    counts total = {0, 0, 0};
    for (size_t i = 0; i < count; i++) {
        counts c = run_isolated(&r, names[i]);
        printf("%s: %ld passed, %ld failed, %ld skipped\n", names[i], c.passed, c.failed,
               c.skipped);
        total.passed += c.passed;
        total.failed += c.failed;
        total.skipped += c.skipped;
    }
    printf("%zu files: %ld passed, %ld failed, %ld skipped\n", count, total.passed, total.failed,
           total.skipped);
    if (first == argc) {
        for (size_t i = 0; i < count; i++)
            free(names[i]);
        free(names);
    }
    return total.failed ? 1 : 0;
}
