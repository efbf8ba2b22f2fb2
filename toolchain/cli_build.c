/* cli_build.c -- `kiln build` (a WASI command module -> one native executable) and
 * `kiln run` (compile, cache, dlopen and run in-process). docs/run.md.
 *
 * build: kiln_compile writes the module's object (prefix kiln_app) into a fresh temporary
 * directory, next to a generated main.c whose tables hold the --dir and --env settings and
 * whose main() calls kiln_wasi_run_main_flags (libkiln_wasi). The system C compiler then
 * compiles and links both against libkiln_wasi.a and libkiln_runtime.a, run inside the
 * temporary directory on relative file names with no debug information and no build id, so
 * the executable depends only on the inputs and the options.
 *
 * run: the object is linked into a shared object with ld.lld (-shared), kept in the cache
 * ($XDG_CACHE_HOME/kiln or ~/.cache/kiln) under a hash of the module bytes, the options and
 * Kiln's version, with a checksum file beside it; an entry whose checksum does not match is
 * rebuilt. The shared object's calls into the runtime resolve against this program, which
 * exports the runtime (toolchain/CMakeLists.txt). Then kiln_wasi_run_main_flags runs it.
 *
 * Where the libraries and headers are: beside an installed kiln (BINDIR/../lib/libkiln_*.a,
 * BINDIR/../include), else the build tree's paths compiled in (KILN_BUILD_*).
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np, mkdtemp */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_build.h"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

extern char **environ;

#define PATH_SIZE  4096
#define APP_PREFIX "kiln_app"
#define MAX_DIRS   256
#define MAX_ENVS   1024

const char kiln_cli_build_help[] =
    "Usage: kiln build FILE.wasm -o APP [--dir HOST[::GUEST]]... [--env NAME=VALUE]...\n"
    "                  [--inherit-env] [-O0..-O3] [--target TRIPLE] [--cpu NAME]\n"
    "\n"
    "Compile a WASI command module (one that exports _start) and link it with the Kiln\n"
    "runtime and WASI libraries into one native executable. The executable passes its\n"
    "arguments to the guest (argv[0] = the program name); which directories and environment\n"
    "the guest sees is fixed here.\n"
    "\n"
    "Options:\n"
    "  -o APP               the executable to write (required)\n"
    "  --dir HOST[::GUEST]  give the guest the host directory HOST (opened when APP starts,\n"
    "                       relative to its working directory) under the name GUEST\n"
    "                       (default: HOST); repeatable\n"
    "  --env NAME=VALUE     set an environment variable for the guest; repeatable\n"
    "  --inherit-env        also pass APP's whole environment at run time (before --env)\n"
    "  -O0 -O1 -O2 -O3      optimisation level (default -O2)\n"
    "  --bounds-checks      explicit bounds checks instead of guard pages\n"
    "  --target TRIPLE      target triple of the module's code (default: the host's)\n"
    "  --cpu NAME           target CPU (default: generic; 'native' = this machine's)\n"
    "  --dynamic            link the C library dynamically (default: a static executable)\n"
    "  -h, --help           show this help\n"
    "\n"
    "The C compiler is $CC, else the one Kiln was built with, else cc, clang-19 or clang.\n"
    "APP is linked -static (no loader work at start-up, nothing needed at run time) unless\n"
    "--dynamic is given or Kiln was built with sanitizers.\n"
    "The same inputs and options give a byte-identical APP.\n"
    "Exit status: 0 success, 1 the module cannot be compiled or linked, 2 usage error.\n";

const char kiln_cli_run_help[] =
    "Usage: kiln run [--dir HOST[::GUEST]]... [--env NAME[=VALUE]]... [-O0..-O3]\n"
    "                FILE.wasm [ARGS...]\n"
    "\n"
    "Compile a WASI command module (cached), load it into this process and call _start with\n"
    "the arguments FILE.wasm ARGS... The options are those of `wasmtime run`.\n"
    "\n"
    "Options:\n"
    "  --dir HOST[::GUEST]  give the guest the host directory HOST under the name GUEST\n"
    "                       (default: HOST); repeatable\n"
    "  --env NAME=VALUE     set an environment variable for the guest; --env NAME passes\n"
    "                       this process's NAME if set; repeatable\n"
    "  -O0 -O1 -O2 -O3      optimisation level (default -O2)\n"
    "  --bounds-checks      explicit bounds checks instead of guard pages\n"
    "  -h, --help           show this help\n"
    "\n"
    "Compiled modules are cached in $XDG_CACHE_HOME/kiln (default ~/.cache/kiln).\n"
    "Exit status: the guest's proc_exit code (0 when _start returns); 134 the guest trapped\n"
    "('kiln: trap: MESSAGE' on stderr); 125 the module could not be started (a missing\n"
    "import or directory); 1 the module cannot be compiled or loaded; 2 usage error.\n";

/* ---- Options shared by build and run ---- */

typedef struct build_opts {
    const char *cmd; /* "build" or "run" */
    const char *input, *output;
    const char *dir_hosts[MAX_DIRS], *dir_guests[MAX_DIRS];
    size_t dir_count;
    const char *envs[MAX_ENVS];
    size_t env_count;
    bool inherit_env;
    bool dynamic; /* build: link the C library dynamically (default: static) */
    int opt_level;
    bool bounds_checks; /* --bounds-checks */
    const char *triple, *cpu;
    char *owned[MAX_DIRS + MAX_ENVS]; /* strings split or built here */
    size_t owned_count;
} build_opts;

static void opts_free(build_opts *o)
{
    for (size_t i = 0; i < o->owned_count; i++)
        free(o->owned[i]);
    o->owned_count = 0;
}

static char *own(build_opts *o, char *s)
{
    if (s != NULL)
        o->owned[o->owned_count++] = s;
    return s;
}

static int fail(const char *cmd, const char *fmt, ...) KILN_PRINTF(2, 3);

static int fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kiln %s: error: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAIL;
}

/* "HOST" or "HOST::GUEST". */
static int add_dir(build_opts *o, const char *spec)
{
    if (o->dir_count == MAX_DIRS)
        return cli_usage_error(o->cmd, "at most %d --dir options", MAX_DIRS);
    const char *sep = strstr(spec, "::");
    size_t host_len = sep ? (size_t)(sep - spec) : strlen(spec);
    const char *guest = sep ? sep + 2 : spec;
    if (host_len == 0 || *guest == '\0')
        return cli_usage_error(o->cmd, "--dir '%s': expected HOST or HOST::GUEST", spec);
    char *host = own(o, strndup(spec, host_len));
    if (host == NULL)
        return cli_usage_error(o->cmd, "out of memory");
    o->dir_hosts[o->dir_count] = host;
    o->dir_guests[o->dir_count++] = guest;
    return CLI_EXIT_OK;
}

static int add_env(build_opts *o, const char *spec, bool allow_inherit)
{
    if (o->env_count == MAX_ENVS)
        return cli_usage_error(o->cmd, "at most %d --env options", MAX_ENVS);
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
static int parse(build_opts *o, int argc, char **argv, bool run, int *rest)
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
            if (run) {
                o->input = arg;
                *rest = i;
                return -1;
            }
            if (o->input)
                return cli_usage_error(o->cmd, "expected one FILE, got '%s' and '%s'", o->input,
                                       arg);
            o->input = arg;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(run ? kiln_cli_run_help : kiln_cli_build_help, stdout);
            return CLI_EXIT_OK;
        } else if (arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && arg[3] == '\0') {
            o->opt_level = arg[2] - '0';
        } else if (strcmp(arg, "--bounds-checks") == 0) {
            o->bounds_checks = true;
        } else if (!run && strcmp(arg, "--inherit-env") == 0) {
            o->inherit_env = true;
        } else if (!run && strcmp(arg, "--dynamic") == 0) {
            o->dynamic = true;
        } else if (!run && strcmp(arg, "-o") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(o->cmd, "option '-o' needs a value");
            o->output = argv[++i];
        } else if (kiln_option_value(argc, argv, &i, "--dir", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if ((st = add_dir(o, v)) != CLI_EXIT_OK)
                return st;
        } else if (kiln_option_value(argc, argv, &i, "--env", &v, &missing)) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
            if ((st = add_env(o, v, run)) != CLI_EXIT_OK)
                return st;
        } else if (!run && (kiln_option_value(argc, argv, &i, "--target", &o->triple, &missing) ||
                            kiln_option_value(argc, argv, &i, "--cpu", &o->cpu, &missing))) {
            if (missing)
                return cli_usage_error(o->cmd, "option '%s' needs a value", arg);
        } else {
            return cli_usage_error(o->cmd, "unknown option '%s'", arg);
        }
    }
    if (!o->input)
        return cli_usage_error(o->cmd, "expected a FILE.wasm");
    if (!run && !o->output)
        return cli_usage_error(o->cmd, "expected -o APP");
    return -1;
}

/* ---- Files and processes ---- */

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A program: a name with '/' as is, else looked up on PATH. */
static bool find_program(const char *name, char *out, size_t size)
{
    if (name == NULL || *name == '\0')
        return false;
    if (strchr(name, '/')) {
        if (access(name, X_OK) != 0)
            return false;
        snprintf(out, size, "%s", name);
        return true;
    }
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len > 0 && snprintf(out, size, "%.*s/%s", (int)len, path, name) < (int)size &&
            is_file(out) && access(out, X_OK) == 0)
            return true;
        path += len + (end != NULL);
    }
    return false;
}

/* Runs argv in dir (NULL = here), inheriting stdout/stderr; true if it exited with 0. */
static bool spawn_in(const char *dir, const char *const argv[], char *err, size_t err_size)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (dir)
        posix_spawn_file_actions_addchdir_np(&fa, dir);
    pid_t pid;
    char *const *av; /* posix_spawn's prototype predates const-correct argv */
    memcpy(&av, &argv, sizeof av);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, av, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(err, err_size, "cannot run %s: %s", argv[0], strerror(rc));
        return false;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, err_size, "waiting for %s: %s", argv[0], strerror(errno));
            return false;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFEXITED(status))
        snprintf(err, err_size, "%s exited with status %d", argv[0], WEXITSTATUS(status));
    else
        snprintf(err, err_size, "%s was killed by signal %d", argv[0], WTERMSIG(status));
    return false;
}

static bool make_temp_dir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] != '/')
        tmp = "/tmp";
    if (snprintf(out, size, "%s/kiln-build-XXXXXX", tmp) >= (int)size)
        return false;
    return mkdtemp(out) != NULL;
}

static void remove_temp_dir(const char *dir)
{
    static const char *const names[] = {"app.o", "main.c", "app.so"};
    char path[PATH_SIZE];
    for (size_t i = 0; i < KILN_ARRAY_LEN(names); i++)
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) < (int)sizeof path)
            unlink(path);
    rmdir(dir);
}

static bool write_all(const char *path, const void *data, size_t size, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return false;
    const uint8_t *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return false;
        }
        p += n;
        size -= (size_t)n;
    }
    return close(fd) == 0;
}

/* dirname of the running kiln, for the install-relative library paths. */
static bool exe_dir(char *out, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0)
        return false;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    return true;
}

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
    char include[2][PATH_SIZE]; /* -I directories; the second may be empty */
    char runtime_lib[PATH_SIZE], wasi_lib[PATH_SIZE];
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
    char dir[PATH_SIZE];
    for (size_t i = 0; i < KILN_ARRAY_LEN(libdirs) && exe_dir(dir, sizeof dir); i++) {
        const char *rel = libdirs[i][0] == '/' ? "" : dir; /* an absolute LIBDIR as is */
        const char *up = libdirs[i][0] == '/' ? "" : "/../";
        const char *inc = KILN_INSTALL_INCLUDEDIR;
        char h[PATH_SIZE];
        p->include[1][0] = '\0';
        if (!path_fmt(p->runtime_lib, sizeof p->runtime_lib, "%s%s%s/libkiln_runtime.a", rel, up,
                      libdirs[i]) ||
            !path_fmt(p->wasi_lib, sizeof p->wasi_lib, "%s%s%s/libkiln_wasi.a", rel, up,
                      libdirs[i]) ||
            !path_fmt(p->include[0], sizeof p->include[0], "%s%s%s", inc[0] == '/' ? "" : dir,
                      inc[0] == '/' ? "" : "/../", inc) ||
            !path_fmt(h, sizeof h, "%s/kiln/wasi_main.h", p->include[0]))
            continue;
        if (is_file(p->runtime_lib) && is_file(p->wasi_lib) && is_file(h))
            return true;
    }
#if defined(KILN_BUILD_RUNTIME_LIB) && defined(KILN_BUILD_WASI_LIB) &&                             \
    defined(KILN_BUILD_RUNTIME_INCLUDE) && defined(KILN_BUILD_WASI_INCLUDE)
    snprintf(p->runtime_lib, sizeof p->runtime_lib, "%s", KILN_BUILD_RUNTIME_LIB);
    snprintf(p->wasi_lib, sizeof p->wasi_lib, "%s", KILN_BUILD_WASI_LIB);
    snprintf(p->include[0], sizeof p->include[0], "%s", KILN_BUILD_RUNTIME_INCLUDE);
    snprintf(p->include[1], sizeof p->include[1], "%s", KILN_BUILD_WASI_INCLUDE);
    return is_file(p->runtime_lib) && is_file(p->wasi_lib);
#else
    return false;
#endif
}

/* ---- Compiling ---- */

/* Compiles o->input (already read into bytes) to DIR/app.o. */
static int compile_object(const build_opts *o, const cli_file *f, const char *dir)
{
    char obj[PATH_SIZE];
    snprintf(obj, sizeof obj, "%s/app.o", dir);
    const char *base = strrchr(o->input, '/');
    base = base ? base + 1 : o->input;
    kiln_compile_options co;
    kiln_compile_options_init(&co);
    co.input_path = base; /* names the module; no directory enters the object */
    co.input = f->data;
    co.input_size = f->size;
    co.output_path = obj;
    co.prefix = APP_PREFIX;
    co.opt_level = o->opt_level;
    co.bounds_checks = o->bounds_checks;
    co.triple = o->triple;
    co.cpu = o->cpu;
    kiln_diag d;
    if (!kiln_compile(&co, NULL, &d)) {
        char line[512];
        kiln_diag_format(&d, o->input, line, sizeof line);
        fprintf(stderr, "%s\n", line);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
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

static bool generate_main(const build_opts *o, cli_buf *b)
{
    cli_buf_printf(b, "/* Generated by kiln build: main() of a sealed WASI command. */\n"
                      "#include <kiln/wasi_main.h>\n\n"
                      "extern const kiln_module " APP_PREFIX "_module;\n\n");
    if (o->dir_count) {
        cli_buf_printf(b, "static const kiln_wasi_preopen dirs[%zu] = {\n", o->dir_count);
        for (size_t i = 0; i < o->dir_count; i++) {
            cli_buf_printf(b, "    {");
            put_c_string(b, o->dir_hosts[i]);
            cli_buf_printf(b, ", ");
            put_c_string(b, o->dir_guests[i]);
            cli_buf_printf(b, ", 0},\n");
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
                   "    cfg.env = %s;\n    cfg.env_count = %zu;\n"
                   "    return kiln_wasi_run_main_flags(&" APP_PREFIX
                   "_module, &cfg, KILN_WASI_MAIN_AT_EXIT%s, argc, argv);\n}\n",
                   o->dir_count ? "dirs" : "0", o->dir_count, o->env_count ? "env" : "0",
                   o->env_count, o->inherit_env ? " | KILN_WASI_MAIN_INHERIT_ENV" : "");
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
        return find_program(cc, out, size);
    return (KILN_LIBS_CC[0] && find_program(KILN_LIBS_CC, out, size)) ||
           find_program("cc", out, size) || find_program("clang-19", out, size) ||
           find_program("clang", out, size);
}

/* An absolute path for -o (the compiler runs in the temporary directory). */
static bool absolute_output(const char *cmd, const char *output, char *out, size_t size)
{
    const char *slash = strrchr(output, '/');
    char dir[PATH_SIZE];
    const char *base = slash ? slash + 1 : output;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        fail(cmd, "-o '%s': not a file name", output);
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
        fail(cmd, "-o '%s': %s: %s", output, dir, strerror(errno));
        return false;
    }
    struct stat st;
    if (access(real, W_OK) != 0) {
        fail(cmd, "-o '%s': directory not writable: %s", output, strerror(errno));
        return false;
    }
    if (stat(output, &st) == 0 && S_ISDIR(st.st_mode)) {
        fail(cmd, "-o '%s': is a directory", output);
        return false;
    }
    if (snprintf(out, size, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base) >= (int)size) {
        fail(cmd, "-o '%s': path too long", output);
        return false;
    }
    return true;
}

static int do_build(build_opts *o)
{
    char out_path[PATH_SIZE], cc[PATH_SIZE], tmp[PATH_SIZE], err[PATH_SIZE + 256];
    kiln_paths paths;
    cli_file f;
    kiln_diag d;
    if (!cli_read_file(o->input, &f, &d)) {
        cli_print_diag(stderr, &d, o->input);
        return CLI_EXIT_FAIL;
    }
    int st = CLI_EXIT_OK;
    if (!absolute_output(o->cmd, o->output, out_path, sizeof out_path))
        st = CLI_EXIT_FAIL;
    else if (!find_cc(cc, sizeof cc))
        st = fail(o->cmd, "no C compiler: set $CC or install cc or clang-19");
    else if (!find_paths(&paths))
        st = fail(o->cmd, "cannot find libkiln_runtime.a and libkiln_wasi.a (docs/run.md)");
    if (st != CLI_EXIT_OK) {
        cli_file_free(&f);
        return st;
    }
    if (!make_temp_dir(tmp, sizeof tmp)) {
        cli_file_free(&f);
        return fail(o->cmd, "cannot create a temporary directory: %s", strerror(errno));
    }
    int status = compile_object(o, &f, tmp);
    cli_file_free(&f);
    cli_buf main_c;
    cli_buf_init(&main_c);
    if (status == CLI_EXIT_OK) {
        char path[PATH_SIZE + 16];
        snprintf(path, sizeof path, "%s/main.c", tmp);
        if (!generate_main(o, &main_c) || !write_all(path, main_c.data, main_c.len, 0644))
            status = fail(o->cmd, "cannot write %s", path);
    }
    if (status == CLI_EXIT_OK) {
        char inc0[PATH_SIZE + 2], inc1[PATH_SIZE + 2];
        snprintf(inc0, sizeof inc0, "-I%s", paths.include[0]);
        snprintf(inc1, sizeof inc1, "-I%s",
                 paths.include[1][0] ? paths.include[1] : paths.include[0]);
        const char *argv[20];
        size_t n = 0;
        const char *fixed[] = {cc,
                               "-std=c17",
                               "-O2",
                               "-g0",
                               "-fno-ident",
                               inc0,
                               inc1,
                               "main.c",
                               "app.o",
                               paths.wasi_lib,
                               paths.runtime_lib,
                               "-lm",
                               "-lpthread",
                               "-Wl,--build-id=none"};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            argv[n++] = fixed[i];
        if (KILN_LIBS_LDFLAG[0])
            argv[n++] = KILN_LIBS_LDFLAG; /* sanitizer runtimes: dynamic only */
        else if (!o->dynamic)
            argv[n++] = "-static-pie";
        argv[n++] = "-o";
        argv[n++] = out_path;
        argv[n] = NULL;
        if (!spawn_in(tmp, argv, err, sizeof err))
            status = fail(o->cmd, "linking %s failed: %s", o->output, err);
    }
    cli_buf_free(&main_c);
    remove_temp_dir(tmp);
    return status;
}

int kiln_cli_build(int argc, char **argv)
{
    build_opts *o = calloc(1, sizeof *o);
    if (o == NULL)
        return fail("build", "out of memory");
    o->cmd = "build";
    int rest = 0;
    int status = parse(o, argc, argv, false, &rest);
    if (status < 0)
        status = do_build(o);
    opts_free(o);
    free(o);
    return status;
}

/* ---- run: the cache ---- */

/* Two FNV-1a-64 streams with different bases: a 128-bit key for non-adversarial input. */
typedef struct hash128 {
    uint64_t a, b;
} hash128;

static void hash_init(hash128 *h)
{
    h->a = 0xcbf29ce484222325u;
    h->b = 0x84222325cbf29ce4u;
}

static void hash_bytes(hash128 *h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ p[i]) * 0x100000001b3u;
        h->b = (h->b ^ (uint8_t)(p[i] + 0x5b)) * 0x100000001b3u;
    }
}

static void hash_string(hash128 *h, const char *s)
{
    hash_bytes(h, s, strlen(s) + 1);
}

static bool cache_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/kiln", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, size, "%s/.cache/kiln", home);
    else
        return false;
    if (n >= (int)size)
        return false;
    /* mkdir -p */
    for (char *p = out + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            int rc = mkdir(out, 0755);
            *p = c;
            if (rc != 0 && errno != EEXIST)
                return false;
            if (c == '\0')
                break;
        }
    }
    return access(out, W_OK) == 0;
}

static bool read_whole(const char *path, cli_file *f)
{
    kiln_diag d;
    return cli_read_file(path, f, &d);
}

static void sum_text(const cli_file *f, char *out, size_t size)
{
    hash128 h;
    hash_init(&h);
    hash_bytes(&h, f->data, f->size);
    snprintf(out, size, "%016llx%016llx %zu\n", (unsigned long long)h.a, (unsigned long long)h.b,
             f->size);
}

/* True if so_path and its .sum file agree. */
static bool cache_valid(const char *so_path, const char *sum_path)
{
    cli_file so, sum;
    if (!read_whole(so_path, &so))
        return false;
    bool ok = false;
    if (read_whole(sum_path, &sum)) {
        char want[80];
        sum_text(&so, want, sizeof want);
        ok = sum.size == strlen(want) && memcmp(sum.data, want, sum.size) == 0;
        cli_file_free(&sum);
    }
    cli_file_free(&so);
    return ok;
}

/* Writes data to path atomically (a temporary name, then rename). */
static bool write_atomic(const char *path, const void *data, size_t size)
{
    char tmp[PATH_SIZE + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    if (!write_all(tmp, data, size, 0644) || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

/* Compiles and links the module into a shared object: the cached one when it is valid, else a
 * new one (stored in the cache when there is one). so_path receives its path; *tmp_dir is set
 * when it lives in a temporary directory the caller removes. */
static int prepare_shared(const build_opts *o, char *so_path, size_t size, char *tmp_dir,
                          bool *has_tmp)
{
    cli_file f;
    kiln_diag d;
    if (!cli_read_file(o->input, &f, &d)) {
        cli_print_diag(stderr, &d, o->input);
        return CLI_EXIT_FAIL;
    }
    hash128 h;
    hash_init(&h);
    hash_bytes(&h, f.data, f.size);
    char opt[16];
    snprintf(opt, sizeof opt, "-O%d", o->opt_level);
    hash_string(&h, opt);
    if (o->bounds_checks)
        hash_string(&h, "--bounds-checks");
    hash_string(&h, "kiln " KILN_VERSION);
    char abi[16];
    snprintf(abi, sizeof abi, "abi %u", cli_run_abi_version());
    hash_string(&h, abi);
    const char *base = strrchr(o->input, '/');
    hash_string(&h, base ? base + 1 : o->input); /* names the module in the object */

    char dir[PATH_SIZE], sum_path[PATH_SIZE + 8];
    bool cached = cache_dir(dir, sizeof dir - 64);
    if (cached) {
        snprintf(so_path, size, "%s/%016llx%016llx.so", dir, (unsigned long long)h.a,
                 (unsigned long long)h.b);
        snprintf(sum_path, sizeof sum_path, "%s.sum", so_path);
        if (cache_valid(so_path, sum_path)) {
            cli_file_free(&f);
            return CLI_EXIT_OK;
        }
    }

    char linker[PATH_SIZE], err[PATH_SIZE + 256];
    if (!find_program("ld.lld-19", linker, sizeof linker) &&
        !find_program("ld.lld", linker, sizeof linker)) {
        cli_file_free(&f);
        return fail(o->cmd, "no ld.lld-19 or ld.lld on PATH (install lld)");
    }
    if (!make_temp_dir(tmp_dir, PATH_SIZE)) {
        cli_file_free(&f);
        return fail(o->cmd, "cannot create a temporary directory: %s", strerror(errno));
    }
    *has_tmp = true;
    int status = compile_object(o, &f, tmp_dir);
    cli_file_free(&f);
    if (status != CLI_EXIT_OK)
        return status;
    const char *argv[] = {linker, "-shared", "--build-id=none", "-o", "app.so", "app.o", NULL};
    if (!spawn_in(tmp_dir, argv, err, sizeof err))
        return fail(o->cmd, "linking failed: %s", err);
    char built[PATH_SIZE + 16];
    snprintf(built, sizeof built, "%s/app.so", tmp_dir);
    cli_file so;
    if (cached && read_whole(built, &so)) {
        char sum[80];
        sum_text(&so, sum, sizeof sum);
        bool stored =
            write_atomic(so_path, so.data, so.size) && write_atomic(sum_path, sum, strlen(sum));
        cli_file_free(&so);
        if (stored)
            return CLI_EXIT_OK;
    }
    snprintf(so_path, size, "%s", built); /* no cache: run the temporary one */
    return CLI_EXIT_OK;
}

static int do_run(build_opts *o, int argc, char **argv)
{
    char so_path[PATH_SIZE + 64], tmp[PATH_SIZE];
    bool has_tmp = false;
    int status = prepare_shared(o, so_path, sizeof so_path, tmp, &has_tmp);
    if (status != CLI_EXIT_OK) {
        if (has_tmp)
            remove_temp_dir(tmp);
        return status;
    }
    status = cli_run_shared(o->cmd, so_path, APP_PREFIX "_module", o->dir_hosts, o->dir_guests,
                            o->dir_count, o->envs, o->env_count, argc, argv);
    if (has_tmp)
        remove_temp_dir(tmp);
    return status;
}

int kiln_cli_run(int argc, char **argv)
{
    build_opts *o = calloc(1, sizeof *o);
    if (o == NULL)
        return fail("run", "out of memory");
    o->cmd = "run";
    int rest = 0;
    int status = parse(o, argc, argv, true, &rest);
    if (status < 0)
        status = do_run(o, argc - rest, argv + rest);
    opts_free(o);
    free(o);
    return status;
}
