/* cmd_build.c -- `kiln build`: a WASI command module -> one native executable (docs/run.md),
 * and the options `kiln build` and `kiln run` (cmd_run.c) share.
 *
 * kiln_compile writes the module's object (prefix kiln_app) into a fresh temporary directory,
 * next to a generated main.c whose tables hold the --dir and --env settings and whose main()
 * calls kiln_wasi_run_main_flags (libkiln_wasi). The system C compiler then compiles and
 * links both against libkiln_wasi.a and libkiln_runtime.a, run inside the temporary directory
 * on relative file names with no debug information and no build id, so the executable depends
 * only on the inputs and the options.
 *
 * Where the libraries and headers are: beside an installed kiln (BINDIR/../lib/libkiln_*.a,
 * BINDIR/../include), else the build tree's paths compiled in (KILN_BUILD_*).
 */
#define _DEFAULT_SOURCE /* realpath, strndup */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kiln/wasi.h"

const char cli_build_help[] =
    "Usage: kiln build FILE.wasm -o APP [--dir HOST[::GUEST]]... [--env NAME=VALUE]...\n"
    "                  [--inherit-env] [--timeout DURATION] [-O0..-O3] [--target TRIPLE]\n"
    "                  [--cpu NAME] [--host FILE.c|FILE.o|FILE.a]... [--header OUT.h]\n"
    "\n"
    "Compile a WASI command module (one that exports _start) and link it with the Kiln\n"
    "runtime and WASI libraries into one native executable. The executable passes its\n"
    "arguments to the guest (argv[0] = the program name); which directories and environment\n"
    "the guest sees is fixed here.\n"
    "\n"
    "Options:\n"
    "  -o APP               the executable to write (required)\n"
    "  --host FILE          host code (a C source, object or archive) linked into APP;\n"
    "                       repeatable. With --host, every function import of a module\n"
    "                       other than WASI's calls the C function\n"
    "                       kiln_app_import_MODULE_NAME (docs/abi.md, \"Sealed imports\")\n"
    "                       that this code defines; C sources are compiled with the\n"
    "                       module's header included. A missing function fails the link\n"
    "  --header OUT.h       also write the module's C header (the prototypes to define)\n"
    "  --dir HOST[::GUEST]  give the guest the host directory HOST (opened when APP starts,\n"
    "                       relative to its working directory) under the name GUEST\n"
    "                       (default: HOST); repeatable\n"
    "  --ro-dir HOST[::GUEST]  the same, read-only: the guest can create, change or\n"
    "                       remove nothing there; repeatable\n"
    "  --allow-special-fs   let the directories reach /proc, /sys and device files\n"
    "                       (refused by default: they expose the host, not files)\n"
    "  --env NAME=VALUE     set an environment variable for the guest; repeatable\n"
    "  --inherit-env        also pass APP's whole environment at run time (before --env)\n"
    "  --timeout DURATION   stop the guest after DURATION (e.g. 500ms, 10s, 2m; a number\n"
    "                       alone is seconds): APP prints 'kiln: timeout: ...' and exits\n"
    "                       with status 124\n"
    "  -O0 -O1 -O2 -O3      optimisation level (default -O2); -Os, -Oz: smaller code\n"
    "  -g                   debug info naming the guest's functions (as kiln compile)\n"
    "  --bounds-checks      explicit bounds checks instead of guard pages\n"
    "  --no-address-facts   exact address wrapping in 4 GiB memories, at a cost in\n"
    "                       speed (docs/abi.md)\n"
    "  --relaxed-dead-loads an out-of-bounds load whose value is never used may not\n"
    "                       trap (not conformant; measures what exact traps cost)\n"
    "  --interrupt-checks MODE  signal (default), full or none: how running calls can be\n"
    "                       stopped (as kiln compile; none: no --timeout)\n"
    "  --no-interrupt-checks  the same as --interrupt-checks none\n"
    "  --disable-FEATURE    refuse the module if it uses FEATURE (as kiln compile)\n"
    "  --target TRIPLE      target triple of the module's code (default: the host's)\n"
    "  --cpu NAME           target CPU (default: generic; 'native' = this machine's)\n"
    "  --dynamic            link the C library dynamically (default: a static executable)\n"
    "  -h, --help           show this help\n"
    "\n"
    "The C compiler is $CC, else the one Kiln was built with, else cc, clang-19 or clang.\n"
    "APP is linked -static (no loader work at start-up, nothing needed at run time) unless\n"
    "--dynamic is given or Kiln was built with sanitizers.\n"
    "The same inputs and options give a byte-identical APP.\n"
    "Exit status: 0 success, 1 the module cannot be compiled or linked or is not a WASI\n"
    "command (no function _start of type () -> ()), 2 usage error.\n"
    "APP exits with the guest's status, 134 after a trap, 124 after --timeout.\n";

/* ---- Options shared by build and run ---- */

static void opts_free(cli_app_opts *o)
{
    for (size_t i = 0; i < o->owned_count; i++)
        free(o->owned[i]);
    o->owned_count = 0;
}

static char *own(cli_app_opts *o, char *s)
{
    if (s != NULL)
        o->owned[o->owned_count++] = s;
    return s;
}

int cli_app_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kiln %s: error: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAIL;
}

/* "HOST" or "HOST::GUEST"; flags KILN_WASI_PREOPEN_*. */
static int add_dir(cli_app_opts *o, const char *spec, uint32_t flags)
{
    if (o->dir_count == CLI_MAX_DIRS)
        return cli_usage_error(o->cmd, "at most %d --dir options", CLI_MAX_DIRS);
    const char *sep = strstr(spec, "::");
    size_t host_len = sep ? (size_t)(sep - spec) : strlen(spec);
    const char *guest = sep ? sep + 2 : spec;
    if (host_len == 0 || *guest == '\0')
        return cli_usage_error(o->cmd, "--dir '%s': expected HOST or HOST::GUEST", spec);
    char *host = own(o, strndup(spec, host_len));
    if (host == NULL)
        return cli_usage_error(o->cmd, "out of memory");
    o->dir_hosts[o->dir_count] = host;
    o->dir_flags[o->dir_count] = flags;
    o->dir_guests[o->dir_count++] = guest;
    return CLI_EXIT_OK;
}

static int add_env(cli_app_opts *o, const char *spec, bool allow_inherit)
{
    if (o->env_count == CLI_MAX_ENVS)
        return cli_usage_error(o->cmd, "at most %d --env options", CLI_MAX_ENVS);
    const char *eq = strchr(spec, '=');
    if (eq == spec || *spec == '\0')
        return cli_usage_error(o->cmd, "--env '%s': expected NAME=VALUE", spec);
    if (eq == NULL) {
        if (!allow_inherit)
            return cli_usage_error(o->cmd, "--env '%s': expected NAME=VALUE", spec);
        const char *value = getenv(spec);
        if (value == NULL)
            return CLI_EXIT_OK; /* as wasmtime: an unset NAME is left out */
        size_t n = strlen(spec) + strlen(value) + 2;
        char *s = own(o, malloc(n));
        if (s == NULL)
            return cli_usage_error(o->cmd, "out of memory");
        snprintf(s, n, "%s=%s", spec, value);
        spec = s;
    }
    o->envs[o->env_count++] = spec;
    return CLI_EXIT_OK;
}

/* Parses options; for run, stops at FILE (*rest = its index). Returns -1 to go on, else an
 * exit status (help or a usage error). */
static int parse(cli_app_opts *o, int argc, char **argv, bool run, int *rest)
{
    o->opt_level = 2;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *v = NULL;
        bool missing = false;
        int st = CLI_EXIT_OK;
        if (arg[0] != '-' || strcmp(arg, "-") == 0 || strcmp(arg, "--") == 0) {
            if (strcmp(arg, "--") == 0) {
                if (++i >= argc)
                    break;
                arg = argv[i];
            }
            if (run) { /* the guest's arguments follow; the checks below still apply */
                o->input = arg;
                *rest = i;
                break;
            }
            if (o->input)
                return cli_usage_error(o->cmd, "expected one FILE, got '%s' and '%s'", o->input,
                                       arg);
            o->input = arg;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(run ? cli_run_help : cli_build_help, stdout);
            return CLI_EXIT_OK;
        } else if (arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && arg[3] == '\0') {
            o->opt_level = arg[2] - '0';
            o->size_level = 0;
        } else if (strcmp(arg, "-Os") == 0 || strcmp(arg, "-Oz") == 0) {
            o->opt_level = 2;
            o->size_level = arg[2] == 's' ? 1 : 2;
        } else if (strcmp(arg, "-g") == 0) {
            o->debug_info = true;
        } else if (strcmp(arg, "--bounds-checks") == 0) {
            o->bounds_checks = true;
        } else if (strcmp(arg, "--relaxed-dead-loads") == 0) {
            o->relaxed_dead_loads = true;
        } else if (strcmp(arg, "--no-address-facts") == 0) {
            o->no_address_facts = true;
        } else if (strcmp(arg, "--no-interrupt-checks") == 0) {
            o->interrupts = KILN_INTERRUPT_NONE;
        } else if (cli_disable_option(o->cmd, arg, &o->disabled_features, &st)) {
            if (st != CLI_EXIT_OK)
                return st;
        } else if (cli_option_value(argc, argv, &i, "--interrupt-checks", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if (!cli_interrupt_mode(v, &o->interrupts))
                return cli_usage_error(
                    o->cmd, "--interrupt-checks must be signal, full or none, not '%s'", v);
        } else if (!run && strcmp(arg, "--inherit-env") == 0) {
            o->inherit_env = true;
        } else if (!run && strcmp(arg, "--dynamic") == 0) {
            o->dynamic = true;
        } else if (!run && cli_option_value(argc, argv, &i, "--host", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if (o->host_count == CLI_MAX_HOSTS)
                return cli_usage_error(o->cmd, "at most %d --host options", CLI_MAX_HOSTS);
            const char *dot = strrchr(v, '.');
            if (dot == NULL ||
                (strcmp(dot, ".c") != 0 && strcmp(dot, ".o") != 0 && strcmp(dot, ".a") != 0))
                return cli_usage_error(o->cmd, "--host '%s': expected a .c, .o or .a file", v);
            o->hosts[o->host_count++] = v;
        } else if (run && cli_option_value(argc, argv, &i, "--preload", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if (o->preload_count == CLI_MAX_PRELOADS)
                return cli_usage_error(o->cmd, "at most %d --preload options", CLI_MAX_PRELOADS);
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v || eq[1] == '\0')
                return cli_usage_error(o->cmd, "--preload '%s': expected NAME=FILE.wasm", v);
            char *name = own(o, strndup(v, (size_t)(eq - v)));
            if (name == NULL)
                return cli_usage_error(o->cmd, "out of memory");
            o->preload_names[o->preload_count] = name;
            o->preload_files[o->preload_count++] = eq + 1;
        } else if (!run && cli_option_value(argc, argv, &i, "--header", &o->header, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
        } else if (!run && strcmp(arg, "-o") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(o->cmd, "option '-o' needs a value");
            o->output = argv[++i];
        } else if (cli_option_value(argc, argv, &i, "--dir", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if ((st = add_dir(o, v, 0)) != CLI_EXIT_OK)
                return st;
        } else if (cli_option_value(argc, argv, &i, "--ro-dir", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if ((st = add_dir(o, v, KILN_WASI_PREOPEN_READONLY)) != CLI_EXIT_OK)
                return st;
        } else if (strcmp(arg, "--allow-special-fs") == 0) {
            o->allow_special_fs = true;
        } else if (run && (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0)) {
            o->verbose = true;
        } else if (cli_option_value(argc, argv, &i, "--timeout", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if (!cli_duration(v, &o->timeout_ns) || o->timeout_ns == 0)
                return cli_usage_error(o->cmd,
                                       "--timeout '%s': expected a duration such as 500ms, 10s "
                                       "or 2m",
                                       v);
        } else if (cli_option_value(argc, argv, &i, "--env", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if ((st = add_env(o, v, run)) != CLI_EXIT_OK)
                return st;
        } else if ((!run && cli_option_value(argc, argv, &i, "--target", &o->triple, &missing)) ||
                   cli_option_value(argc, argv, &i, "--cpu", &o->cpu, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
        } else {
            return cli_usage_error(o->cmd, "unknown option '%s'", arg);
        }
    }
    /* kiln run compiles on the machine that runs the code: for its CPU, unless told
     * otherwise (the cache key holds what "native" means here). On x86-64 and aarch64, where
     * LLVM reads the CPU and its features reliably; 32-bit ARM and riscv64 keep their port's
     * baseline, whose float ABI a CPU LLVM cannot identify (an emulator's) would lose. */
#if defined(__x86_64__) || defined(__aarch64__)
    if (run && o->cpu == NULL)
        o->cpu = "native";
#endif
    if (o->timeout_ns && o->interrupts == KILN_INTERRUPT_NONE)
        return cli_usage_error(o->cmd, "--timeout needs the interruption checks that "
                                       "--no-interrupt-checks leaves out");
    if (!o->input)
        return cli_usage_error(o->cmd, "expected a FILE.wasm");
    if (!run && !o->output)
        return cli_usage_error(o->cmd, "expected -o APP");
    return -1;
}

uint32_t cli_app_dir_flags(const cli_app_opts *o, size_t i)
{
    return o->dir_flags[i] | (o->allow_special_fs ? KILN_WASI_PREOPEN_SPECIAL_FS : 0u);
}

/* ---- Where the libraries are ---- */

/* snprintf that says whether the result fit. */
static bool path_fmt(char *out, size_t size, const char *fmt, ...) KILN_PRINTF(3, 4);

static bool path_fmt(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

typedef struct kiln_paths {
    char include[2][HOST_PATH_SIZE]; /* -I directories; the second may be empty */
    char runtime_lib[HOST_PATH_SIZE], wasi_lib[HOST_PATH_SIZE];
} kiln_paths;

static bool find_paths(kiln_paths *p)
{
    /* Installed: PREFIX/bin/kiln with PREFIX/LIBDIR (GNUInstallDirs' value, e.g.
     * lib/x86_64-linux-gnu, else lib) and PREFIX/INCLUDEDIR. */
#ifndef KILN_INSTALL_LIBDIR
#define KILN_INSTALL_LIBDIR "lib"
#endif
#ifndef KILN_INSTALL_INCLUDEDIR
#define KILN_INSTALL_INCLUDEDIR "include"
#endif
    static const char *const libdirs[] = {KILN_INSTALL_LIBDIR, "lib"};
    char dir[HOST_PATH_SIZE];
    for (size_t i = 0; i < KILN_ARRAY_LEN(libdirs) && host_exe_dir(dir, sizeof dir); i++) {
        const char *rel = libdirs[i][0] == '/' ? "" : dir; /* an absolute LIBDIR as is */
        const char *up = libdirs[i][0] == '/' ? "" : "/../";
        const char *inc = KILN_INSTALL_INCLUDEDIR;
        char h[HOST_PATH_SIZE];
        p->include[1][0] = '\0';
        if (!path_fmt(p->runtime_lib, sizeof p->runtime_lib, "%s%s%s/libkiln_runtime.a", rel, up,
                      libdirs[i]) ||
            !path_fmt(p->wasi_lib, sizeof p->wasi_lib, "%s%s%s/libkiln_wasi.a", rel, up,
                      libdirs[i]) ||
            !path_fmt(p->include[0], sizeof p->include[0], "%s%s%s", inc[0] == '/' ? "" : dir,
                      inc[0] == '/' ? "" : "/../", inc) ||
            !path_fmt(h, sizeof h, "%s/kiln/wasi_main.h", p->include[0]))
            continue;
        if (host_is_file(p->runtime_lib) && host_is_file(p->wasi_lib) && host_is_file(h))
            return true;
    }
#if defined(KILN_BUILD_RUNTIME_LIB) && defined(KILN_BUILD_WASI_LIB) &&                             \
    defined(KILN_BUILD_RUNTIME_INCLUDE) && defined(KILN_BUILD_WASI_INCLUDE)
    snprintf(p->runtime_lib, sizeof p->runtime_lib, "%s", KILN_BUILD_RUNTIME_LIB);
    snprintf(p->wasi_lib, sizeof p->wasi_lib, "%s", KILN_BUILD_WASI_LIB);
    snprintf(p->include[0], sizeof p->include[0], "%s", KILN_BUILD_RUNTIME_INCLUDE);
    snprintf(p->include[1], sizeof p->include[1], "%s", KILN_BUILD_WASI_INCLUDE);
    return host_is_file(p->runtime_lib) && host_is_file(p->wasi_lib);
#else
    return false;
#endif
}

/* ---- Compiling ---- */

int cli_app_compile(const cli_app_opts *o, const host_file *f, const char *dir, const char *name)
{
    char obj[HOST_PATH_SIZE], header[HOST_PATH_SIZE];
    snprintf(obj, sizeof obj, "%s/%s", dir, name ? name : "app.o");
    snprintf(header, sizeof header, "%s/" CLI_APP_PREFIX ".h", dir);
    const char *base = strrchr(o->input, '/');
    base = base ? base + 1 : o->input;
    kiln_compile_options co;
    kiln_compile_options_init(&co);
    co.input_path = base; /* names the module; no directory enters the object */
    co.input = f->data;
    co.input_size = f->size;
    co.output_path = obj;
    co.prefix = CLI_APP_PREFIX;
    co.opt_level = o->opt_level;
    co.size_level = o->size_level;
    co.bounds_checks = o->bounds_checks;
    co.debug_info = o->debug_info;
    co.relaxed_dead_loads = o->relaxed_dead_loads;
    co.no_address_facts = o->no_address_facts;
    co.interrupts = o->interrupts;
    co.disabled_features = o->disabled_features;
    co.triple = o->triple;
    co.cpu = o->cpu;
    if (o->host_count != 0) {
        co.sealed_imports = CLI_APP_SEALED;
        co.header_path = header;
    }
    co.want_header = o->header != NULL;
    kiln_compile_result res;
    memset(&res, 0, sizeof res);
    kiln_diag d;
    if (!kiln_compile(&co, &res, &d)) {
        cli_print_diag(stderr, &d, o->input);
        return CLI_EXIT_FAIL;
    }
    bool ok =
        o->header == NULL || host_write_file(o->header, res.header, res.header_size, 0644, &d);
    kiln_compile_result_free(&res);
    if (!ok)
        return cli_app_fail(o->cmd, "%s", d.msg);
    return CLI_EXIT_OK;
}

static bool is_wasi_module(const wasm_str *s)
{
    return (s->len == 22 && memcmp(s->ptr, "wasi_snapshot_preview1", 22) == 0) ||
           (s->len == 4 && memcmp(s->ptr, "wasi", 4) == 0);
}

/* Imports the executable cannot bind, all in one diagnostic: functions of modules other than
 * WASI's without --host code to seal them to, and tables, globals and tags of any module (a
 * memory is wasi-threads' shared memory, made at run time). */
static void check_imports(const cli_app_opts *o, const wasm_module *m, kiln_diag *d)
{
    cli_buf list;
    cli_buf_init(&list);
    uint32_t count = 0;
    for (uint32_t i = 0; i < m->import_count; i++) {
        const wasm_import *im = &m->imports[i];
        if (im->kind == WASM_EXTERN_MEMORY ||
            (im->kind == WASM_EXTERN_FUNC && (is_wasi_module(&im->module) || o->host_count)))
            continue;
        if (count++ < 20)
            cli_buf_printf(&list, "%s\"%.*s\" \"%.*s\"", count > 1 ? ", " : "", (int)im->module.len,
                           im->module.ptr, (int)im->name.len, im->name.ptr);
        else if (count == 21)
            cli_buf_printf(&list, ", ...");
    }
    if (count != 0)
        kiln_diag_set(d, KILN_ERR_UNSUPPORTED, KILN_NO_OFFSET,
                      "unknown import%s: %s (functions: give their C code with --host FILE.c; "
                      "docs/run.md)",
                      count > 1 ? "s" : "", list.failed ? "(out of memory)" : cli_buf_str(&list));
    cli_buf_free(&list);
}

/* A WASI command exports a function "_start" of type () -> () (the WASI application ABI).
 * An executable of anything else could only fail when it starts (status 125), so build
 * refuses it here, before compiling: "FILE: error: not a WASI command: ...". A module that
 * does not decode or validate is reported as kiln compile would. */
static int check_command(const cli_app_opts *o, const host_file *f)
{
    wasm_module m;
    memset(&m, 0, sizeof m);
    kiln_diag d;
    kiln_diag_init(&d);
    const uint8_t *bytes;
    size_t size;
    uint8_t *converted = NULL;
    if (kiln_module_input(f->data, f->size, &bytes, &size, &converted, &d) &&
        kiln_decode(&m, bytes, size, NULL, &d) && kiln_validate_to_compile(&m, NULL, &d)) {
        check_imports(o, &m, &d);
        const wasm_export *start = NULL;
        for (uint32_t i = 0; i < m.export_count && start == NULL; i++)
            if (m.exports[i].name.len == 6 && memcmp(m.exports[i].name.ptr, "_start", 6) == 0)
                start = &m.exports[i];
        if (d.code != KILN_OK)
            ; /* unresolved imports */
        else if (start == NULL)
            kiln_diag_set(&d, KILN_ERR_UNSUPPORTED, KILN_NO_OFFSET,
                          "not a WASI command: the module exports no function \"_start\"");
        else if (start->kind != WASM_EXTERN_FUNC)
            kiln_diag_set(&d, KILN_ERR_UNSUPPORTED, start->offset,
                          "not a WASI command: the export \"_start\" is a %s, not a function",
                          wasm_externkind_name(start->kind));
        else {
            const wasm_functype *t = wasm_module_func_type(&m, start->index);
            cli_buf type;
            cli_buf_init(&type);
            cli_buf_functype(&type, t);
            if (t->param_count != 0 || t->result_count != 0)
                kiln_diag_set(&d, KILN_ERR_UNSUPPORTED, start->offset,
                              "not a WASI command: \"_start\" has type %.64s, not () -> ()",
                              cli_buf_str(&type));
            cli_buf_free(&type);
        }
    }
    wasm_module_free(&m);
    if (d.code != KILN_OK && converted)
        kiln_wat_locate(f->data, f->size, &d); /* the line:column in the module text */
    free(converted);
    if (d.code == KILN_OK)
        return CLI_EXIT_OK;
    cli_print_diag(stderr, &d, o->input);
    return CLI_EXIT_FAIL;
}

/* s as a C string literal: every byte outside a safe set as a 3-digit octal escape. */
static void put_c_string(cli_buf *b, const char *s)
{
    cli_buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr(" /._-=:,+", *p))
            cli_buf_put(b, (const char *)p, 1);
        else
            cli_buf_printf(b, "\\%03o", *p);
    }
    cli_buf_put(b, "\"", 1);
}

static bool generate_main(const cli_app_opts *o, cli_buf *b)
{
    cli_buf_printf(b, "/* Generated by kiln build: main() of a sealed WASI command. */\n"
                      "#include <kiln/wasi_main.h>\n\n"
                      "extern const kiln_module " CLI_APP_PREFIX "_module;\n\n");
    if (o->dir_count) {
        cli_buf_printf(b, "static const kiln_wasi_preopen dirs[%zu] = {\n", o->dir_count);
        for (size_t i = 0; i < o->dir_count; i++) {
            cli_buf_printf(b, "    {");
            put_c_string(b, o->dir_hosts[i]);
            cli_buf_printf(b, ", ");
            put_c_string(b, o->dir_guests[i]);
            cli_buf_printf(b, ", 0x%xu},\n", (unsigned)cli_app_dir_flags(o, i));
        }
        cli_buf_printf(b, "};\n");
    }
    if (o->env_count) {
        cli_buf_printf(b, "static const char *const env[%zu] = {\n", o->env_count);
        for (size_t i = 0; i < o->env_count; i++) {
            cli_buf_printf(b, "    ");
            put_c_string(b, o->envs[i]);
            cli_buf_printf(b, ",\n");
        }
        cli_buf_printf(b, "};\n");
    }
    cli_buf_printf(b,
                   "\nint main(int argc, char **argv)\n{\n"
                   "    kiln_wasi_config cfg;\n"
                   "    kiln_wasi_config_init(&cfg);\n"
                   "    cfg.preopens = %s;\n    cfg.preopen_count = %zu;\n"
                   "    cfg.env = %s;\n    cfg.env_count = %zu;\n",
                   o->dir_count ? "dirs" : "0", o->dir_count, o->env_count ? "env" : "0",
                   o->env_count);
    if (o->timeout_ns)
        cli_buf_printf(b, "    cfg.timeout_ns = %lluu;\n", (unsigned long long)o->timeout_ns);
    cli_buf_printf(b,
                   "    return kiln_wasi_run_main_flags(&" CLI_APP_PREFIX
                   "_module, &cfg, KILN_WASI_MAIN_AT_EXIT%s, argc, argv);\n}\n",
                   o->inherit_env ? " | KILN_WASI_MAIN_INHERIT_ENV" : "");
    return !b->failed;
}

/* The compiler Kiln's libraries were built with, and the link flag they need (sanitizer
 * builds: their objects call the ASan/UBSan runtimes). Set by toolchain/CMakeLists.txt. */
#ifndef KILN_LIBS_CC
#define KILN_LIBS_CC ""
#endif
#ifndef KILN_LIBS_LDFLAG
#define KILN_LIBS_LDFLAG ""
#endif

static bool find_cc(char *out, size_t size)
{
    const char *cc = getenv("CC");
    if (cc && *cc)
        return host_find_program(cc, out, size);
    return (KILN_LIBS_CC[0] && host_find_program(KILN_LIBS_CC, out, size)) ||
           host_find_program("cc", out, size) || host_find_program("clang-19", out, size) ||
           host_find_program("clang", out, size);
}

/* An absolute path for -o (the compiler runs in the temporary directory). */
static bool absolute_output(const char *cmd, const char *output, char *out, size_t size)
{
    const char *slash = strrchr(output, '/');
    char dir[HOST_PATH_SIZE];
    const char *base = slash ? slash + 1 : output;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        cli_app_fail(cmd, "-o '%s': not a file name", output);
        return false;
    }
    if (slash == output)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - output), output);
    else
        snprintf(dir, sizeof dir, ".");
    char real[PATH_MAX];
    if (realpath(dir, real) == NULL) {
        cli_app_fail(cmd, "-o '%s': %s: %s", output, dir, strerror(errno));
        return false;
    }
    struct stat st;
    if (access(real, W_OK) != 0) {
        cli_app_fail(cmd, "-o '%s': directory not writable: %s", output, strerror(errno));
        return false;
    }
    if (stat(output, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_app_fail(cmd, "-o '%s': is a directory", output);
        return false;
    }
    if (snprintf(out, size, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base) >= (int)size) {
        cli_app_fail(cmd, "-o '%s': path too long", output);
        return false;
    }
    return true;
}

static int do_build(cli_app_opts *o, int argc, char **argv)
{
    (void)argc, (void)argv; /* build takes no guest arguments */
    char out_path[HOST_PATH_SIZE], cc[HOST_PATH_SIZE], tmp[HOST_PATH_SIZE];
    char err[HOST_PATH_SIZE + 256];
    kiln_paths paths;
    host_file f;
    kiln_diag d;
    if (!host_read_file(o->input, &f, &d)) {
        cli_print_diag(stderr, &d, o->input);
        return CLI_EXIT_FAIL;
    }
    int st = check_command(o, &f);
    if (st == CLI_EXIT_OK && !absolute_output(o->cmd, o->output, out_path, sizeof out_path))
        st = CLI_EXIT_FAIL;
    else if (st == CLI_EXIT_OK && !find_cc(cc, sizeof cc))
        st = cli_app_fail(o->cmd, "no C compiler: set $CC or install cc or clang-19");
    else if (st == CLI_EXIT_OK && !find_paths(&paths))
        st = cli_app_fail(o->cmd, "cannot find libkiln_runtime.a and libkiln_wasi.a (docs/run.md)");
    if (st != CLI_EXIT_OK) {
        host_file_free(&f);
        return st;
    }
    if (!host_make_temp_dir("kiln-build", tmp, sizeof tmp)) {
        host_file_free(&f);
        return cli_app_fail(o->cmd, "cannot create a temporary directory: %s", strerror(errno));
    }
    /* Host files by absolute paths: the compiler runs in the temporary directory. */
    char(*host_paths)[PATH_MAX] = calloc(o->host_count ? o->host_count : 1, PATH_MAX);
    int status = host_paths ? CLI_EXIT_OK : cli_app_fail(o->cmd, "out of memory");
    for (size_t i = 0; status == CLI_EXIT_OK && i < o->host_count; i++)
        if (realpath(o->hosts[i], host_paths[i]) == NULL)
            status = cli_app_fail(o->cmd, "--host '%s': %s", o->hosts[i], strerror(errno));
    if (status == CLI_EXIT_OK)
        status = cli_app_compile(o, &f, tmp, NULL);
    host_file_free(&f);
    cli_buf main_c;
    cli_buf_init(&main_c);
    if (status == CLI_EXIT_OK) {
        char path[HOST_PATH_SIZE + 16];
        snprintf(path, sizeof path, "%s/main.c", tmp);
        if (!generate_main(o, &main_c))
            status = cli_app_fail(o->cmd, "out of memory");
        else if (!host_write_file(path, main_c.data, main_c.len, 0644, &d))
            status = cli_app_fail(o->cmd, "%s", d.msg);
    }
    if (status == CLI_EXIT_OK) {
        char inc0[HOST_PATH_SIZE + 2], inc1[HOST_PATH_SIZE + 2];
        snprintf(inc0, sizeof inc0, "-I%s", paths.include[0]);
        snprintf(inc1, sizeof inc1, "-I%s",
                 paths.include[1][0] ? paths.include[1] : paths.include[0]);
        const char *cc_argv[24 + 2 * CLI_MAX_HOSTS];
        size_t n = 0;
        const char *fixed[] = {cc, "-std=c17", "-O2", "-g0", "-fno-ident", inc0, inc1};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            cc_argv[n++] = fixed[i];
        /* Host sources see the module's prototypes whether they include its header or not:
         * a definition of the wrong type is a compile error. */
        if (o->host_count != 0) {
            cc_argv[n++] = "-include";
            cc_argv[n++] = CLI_APP_PREFIX ".h";
        }
        cc_argv[n++] = "main.c";
        cc_argv[n++] = "app.o";
        for (size_t i = 0; i < o->host_count; i++) /* before the libraries they call */
            cc_argv[n++] = host_paths[i];
        const char *libs[] = {paths.wasi_lib, paths.runtime_lib, "-lm", "-lpthread",
                              "-Wl,--build-id=none"};
        for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
            cc_argv[n++] = libs[i];
        if (KILN_LIBS_LDFLAG[0])
            cc_argv[n++] = KILN_LIBS_LDFLAG; /* sanitizer runtimes: dynamic only */
        else if (!o->dynamic)
            cc_argv[n++] = "-static-pie";
        cc_argv[n++] = "-o";
        cc_argv[n++] = out_path;
        cc_argv[n] = NULL;
        if (!host_spawn(tmp, cc_argv, err, sizeof err))
            status = cli_app_fail(o->cmd, "linking %s failed: %s", o->output, err);
    }
    cli_buf_free(&main_c);
    free(host_paths);
    host_remove_dir(tmp);
    return status;
}

int cli_app_main(const char *cmd, bool run, int argc, char **argv,
                 int (*go)(cli_app_opts *o, int argc, char **argv))
{
    cli_app_opts *o = calloc(1, sizeof *o);
    if (o == NULL)
        return cli_app_fail(cmd, "out of memory");
    o->cmd = cmd;
    int rest = argc;
    int status = parse(o, argc, argv, run, &rest);
    if (status < 0)
        status = go(o, argc - rest, argv + rest);
    opts_free(o);
    free(o);
    return status;
}

int cli_build(int argc, char **argv)
{
    return cli_app_main("build", false, argc, argv, do_build);
}
