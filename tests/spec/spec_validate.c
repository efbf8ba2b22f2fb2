/* spec_validate.c -- runs the decoder and validator against the WebAssembly spec test suite.
 *
 * For each .wast file of one folder (core/ by default), in sorted order, it runs
 * `wast2json FILE.wast -o WORK/DIR/NAME/NAME.json` (posix_spawn, no shell), parses the JSON
 * with json.c and checks every module the commands name: `module`, `assert_unlinkable` and
 * `assert_uninstantiable` must decode and validate; binary `assert_invalid` must fail with
 * class invalid and binary `assert_malformed` with class malformed. Text-format modules
 * (`module_type: "text"`, testing the text parser) are counted as skipped; commands that need
 * execution (assert_return, assert_trap, action, register, ...) are not counted at all.
 * Each file is checked in a forked child, so a crash is one failed file, not a lost run.
 * Output: one line per file with its counts, a line per disagreement, then exactly
 * `N passed, N failed, N skipped`. Exit 1 if anything failed, 77 if the test suite or
 * wast2json is missing (ctest: SKIP_RETURN_CODE 77), 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

#define EXIT_SKIP 77
#define PATH_SIZE 4096

typedef struct options {
    const char *suite;                   /* the test suite root */
    const char *wast2json;               /* path (or name on PATH) of wast2json */
    const char *dir;                     /* folder under suite: "core", "proposals/memory64", ... */
    const char *work;                    /* scratch directory for wast2json output */
    bool keep;                           /* keep the generated files */
    bool messages;                       /* note error messages that differ from the spec's */
    bool fork_per_file;                  /* check each file in a child process */
    long expect_checked, expect_skipped; /* -1: not checked */
} options;

typedef struct counts {
    long passed, failed, skipped;
    long message_notes;
} counts;

typedef enum expect { EXPECT_VALID, EXPECT_INVALID, EXPECT_MALFORMED } expect;

static const char *const expect_names[] = {"valid", "invalid", "malformed"};

static void usage(FILE *f)
{
    fputs("usage: spec_validate [options] TESTSUITE WAST2JSON [FILE.wast...]\n"
          "Checks kiln_decode + kiln_validate against the modules of TESTSUITE/DIR/*.wast\n"
          "(or only the FILEs given: names in DIR, or paths).\n"
          "  --dir DIR             folder of TESTSUITE to run (default: core)\n"
          "  --work DIR            scratch directory for wast2json output (default: spec-work)\n"
          "  --keep                keep the generated .json/.wasm files for debugging\n"
          "  --messages            also note error messages that do not start with the\n"
          "                        spec's expected text (notes only, never failures)\n"
          "  --no-fork             check files in this process (for a debugger)\n"
          "  --expect-checked N    fail unless passed + failed == N\n"
          "  --expect-skipped N    fail unless skipped == N\n"
          "Exit status: 0 all passed, 1 failures, 2 usage error, 77 test suite or wast2json\n"
          "missing.\n",
          f);
}

static bool path_join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "spec_validate: path too long: %s/%s\n", a, b);
        return false;
    }
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p */
static bool make_dirs(const char *path)
{
    char buf[PATH_SIZE];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "spec_validate: cannot create %s: %s\n", buf, strerror(errno));
            return false;
        }
        buf[i] = saved;
    }
    return is_dir(path);
}

/* Removes the files directly inside dir (our own per-file scratch directory). */
static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[PATH_SIZE];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (path_join(path, sizeof(path), dir, e->d_name))
            unlink(path);
    }
    closedir(d);
}

static bool read_file(const char *path, char **out, size_t *out_size)
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
    *out = buf;
    *out_size = size;
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of the .wast files in dir; NULL on error. Free with free_names. */
static char **list_wast_files(const char *dir, size_t *out_count)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t count = 0, cap = 0;
    char **names = NULL;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        if (!ends_with(e->d_name, ".wast"))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 256;
            char **grown = realloc(names, cap * sizeof(*names));
            ok = grown != NULL;
            if (ok)
                names = grown;
        }
        if (ok && (names[count] = strdup(e->d_name)) != NULL)
            count++;
        else
            ok = false;
    }
    closedir(d);
    if (!ok) {
        for (size_t i = 0; i < count; i++)
            free(names[i]);
        free(names);
        return NULL;
    }
    if (count)
        qsort(names, count, sizeof(*names), compare_names);
    *out_count = count;
    return names ? names : calloc(1, sizeof(*names));
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* Runs wast2json on wast, writing json; returns false (after printing why) unless it ran and
 * exited with status 0. */
static bool run_wast2json(const options *o, const char *display, const char *wast, const char *json)
{
    const char *argv[8];
    int argc = 0;
    argv[argc++] = o->wast2json;
    /* README: --enable-all converts every proposal folder and gives byte-identical output;
     * core needs no flags. */
    if (strcmp(o->dir, "core") != 0)
        argv[argc++] = "--enable-all";
    argv[argc++] = wast;
    argv[argc++] = "-o";
    argv[argc++] = json;
    argv[argc] = NULL;

    pid_t pid;
    /* posix_spawn's argv is char *const[] for historical reasons; it does not write to it. */
    char *const *args = (char *const *)(void *)argv;
    int err = strchr(o->wast2json, '/')
                  ? posix_spawn(&pid, o->wast2json, NULL, NULL, args, environ)
                  : posix_spawnp(&pid, o->wast2json, NULL, NULL, args, environ);
    if (err != 0) {
        printf("%s: FAIL: cannot run %s: %s\n", display, o->wast2json, strerror(err));
        return false;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            printf("%s: FAIL: waitpid: %s\n", display, strerror(errno));
            return false;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFEXITED(status))
        printf("%s: FAIL: wast2json exited with status %d\n", display, WEXITSTATUS(status));
    else
        printf("%s: FAIL: wast2json killed by signal %d\n", display, WTERMSIG(status));
    return false;
}

/* Decodes and validates wasm; returns true if valid, else false with d set. */
static bool decode_and_validate(const uint8_t *wasm, size_t size, kiln_diag *d)
{
    kiln_module m;
    kiln_diag_init(d);
    bool ok = kiln_decode(&m, wasm, size, NULL, d) && kiln_validate(&m, NULL, d);
    kiln_module_free(&m);
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

static bool outcome_matches(bool ok, const kiln_diag *d, expect want)
{
    if (ok)
        return want == EXPECT_VALID;
    return (want == EXPECT_INVALID && d->code == KILN_ERR_INVALID) ||
           (want == EXPECT_MALFORMED && d->code == KILN_ERR_MALFORMED);
}

/* Decodes and validates one module file and compares the outcome with want. */
static void check_module(const options *o, const char *display, uint64_t line, const char *json_dir,
                         const char *filename, expect want, const char *spec_text, counts *c)
{
    char path[PATH_SIZE];
    char *bytes = NULL;
    size_t size = 0;
    if (!path_join(path, sizeof(path), json_dir, filename) || !read_file(path, &bytes, &size)) {
        printf("%s:%llu: FAIL: cannot read %s\n", display, (unsigned long long)line, filename);
        c->failed++;
        return;
    }

    kiln_diag d;
    const uint8_t *wasm = (const uint8_t *)bytes;
    bool ok = decode_and_validate(wasm, size, &d);
    bool patched = false;
    static const char dc_required[] = "data count section required";
    if (!ok && want == EXPECT_INVALID && d.code == KILN_ERR_MALFORMED &&
        strncmp(d.msg, dc_required, strlen(dc_required)) == 0) {
        size_t patched_size;
        uint8_t *copy = add_data_count(wasm, size, &patched_size);
        if (copy) {
            ok = decode_and_validate(copy, patched_size, &d);
            patched = true;
            free(copy);
        }
    }

    char diag[512];
    if (!ok)
        kiln_diag_format(&d, filename, diag, sizeof(diag));
    if (outcome_matches(ok, &d, want)) {
        c->passed++;
        if (o->messages && patched) {
            printf("%s:%llu: note: wast2json wrote no data count section; checked with an "
                   "empty one added (%s)\n",
                   display, (unsigned long long)line, filename);
        }
        /* The reference interpreter requires the message to start with the expected text. */
        if (o->messages && !ok && spec_text && strncmp(d.msg, spec_text, strlen(spec_text)) != 0) {
            printf("%s:%llu: note: message differs: expected \"%s\", got \"%s\" (%s)\n", display,
                   (unsigned long long)line, spec_text, d.msg, filename);
            c->message_notes++;
        }
    } else {
        c->failed++;
        printf("%s:%llu: FAIL: expected %s, got %s: %s%s", display, (unsigned long long)line,
               expect_names[want], ok ? "valid" : kiln_err_class(d.code), ok ? filename : diag,
               patched ? " (with an empty data count section added)" : "");
        if (spec_text)
            printf(" [spec: \"%s\"]", spec_text);
        printf("\n");
    }
    free(bytes);
}

/* Checks one command of the JSON; commands that need execution are ignored. */
static void check_command(const options *o, const char *display, const char *json_dir,
                          const json_value *cmd, size_t index, counts *c)
{
    const char *type = json_get_str(cmd, "type");
    uint64_t line = 0;
    if (!type || !json_get_u64(cmd, "line", &line)) {
        printf("%s: FAIL: bad wast2json output: command %zu has no type or line\n", display, index);
        c->failed++;
        return;
    }
    expect want;
    if (strcmp(type, "module") == 0 || strcmp(type, "assert_unlinkable") == 0 ||
        strcmp(type, "assert_uninstantiable") == 0)
        want = EXPECT_VALID;
    else if (strcmp(type, "assert_invalid") == 0)
        want = EXPECT_INVALID;
    else if (strcmp(type, "assert_malformed") == 0)
        want = EXPECT_MALFORMED;
    else
        return; /* assert_return, assert_trap, action, register, assert_exhaustion, ... */

    const char *filename = json_get_str(cmd, "filename");
    const char *module_type = json_get_str(cmd, "module_type");
    if (!filename || strchr(filename, '/')) {
        printf("%s:%llu: FAIL: bad wast2json output: %s without a plain filename\n", display,
               (unsigned long long)line, type);
        c->failed++;
        return;
    }
    /* `module` commands carry no module_type; wast2json names text modules *.wat. */
    bool text = module_type ? strcmp(module_type, "text") == 0 : ends_with(filename, ".wat");
    if (module_type && !text && strcmp(module_type, "binary") != 0) {
        printf("%s:%llu: FAIL: bad wast2json output: module_type \"%s\"\n", display,
               (unsigned long long)line, module_type);
        c->failed++;
        return;
    }
    if (text) {
        c->skipped++;
        return;
    }
    check_module(o, display, line, json_dir, filename, want, json_get_str(cmd, "text"), c);
}

/* Converts and checks one .wast file, adding to c. */
static void check_file(const options *o, const char *wast, const char *display, counts *c)
{
    /* NAME of NAME.wast */
    const char *base = strrchr(wast, '/');
    base = base ? base + 1 : wast;
    char name[256];
    size_t len = strlen(base) - strlen(".wast");
    if (len >= sizeof(name)) {
        printf("%s: FAIL: file name too long\n", display);
        c->failed++;
        return;
    }
    memcpy(name, base, len);
    name[len] = '\0';

    char sub[PATH_SIZE], json_dir[PATH_SIZE], json_name[300], json_path[PATH_SIZE];
    snprintf(json_name, sizeof(json_name), "%s.json", name);
    if (!path_join(sub, sizeof(sub), o->work, o->dir) ||
        !path_join(json_dir, sizeof(json_dir), sub, name) ||
        !path_join(json_path, sizeof(json_path), json_dir, json_name) || !make_dirs(json_dir)) {
        printf("%s: FAIL: cannot create the scratch directory under %s\n", display, o->work);
        c->failed++;
        return;
    }
    empty_dir(json_dir); /* no stale modules from an earlier run */
    if (!run_wast2json(o, display, wast, json_path)) {
        c->failed++;
        return;
    }

    char *text = NULL;
    size_t size = 0;
    if (!read_file(json_path, &text, &size)) {
        printf("%s: FAIL: cannot read %s\n", display, json_path);
        c->failed++;
        return;
    }
    kiln_arena arena;
    kiln_arena_init(&arena, NULL);
    kiln_diag d;
    kiln_diag_init(&d);
    const json_value *root = NULL;
    const json_value *cmds = NULL;
    if (!json_parse(text, size, &arena, &root, &d)) {
        char msg[512];
        kiln_diag_format(&d, json_path, msg, sizeof(msg));
        printf("%s: FAIL: bad wast2json output: %s\n", display, msg);
        c->failed++;
    } else if ((cmds = json_get(root, "commands")) == NULL || cmds->kind != JSON_ARRAY) {
        printf("%s: FAIL: bad wast2json output: no \"commands\" array\n", display);
        c->failed++;
    } else {
        for (size_t i = 0; i < json_len(cmds); i++)
            check_command(o, display, json_dir, json_at(cmds, i), i, c);
    }
    kiln_arena_free(&arena);
    free(text);
    if (!o->keep) {
        empty_dir(json_dir);
        rmdir(json_dir);
    }
}

/* check_file in a child process, so that a crash in the decoder or validator costs one
 * failed file and the run goes on. The child sends its counts through a pipe. */
static void check_file_isolated(const options *o, const char *wast, const char *display, counts *c)
{
    if (!o->fork_per_file) {
        check_file(o, wast, display, c);
        return;
    }
    int fds[2];
    fflush(stdout);
    if (pipe(fds) != 0) {
        printf("%s: FAIL: pipe: %s\n", display, strerror(errno));
        c->failed++;
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s: FAIL: fork: %s\n", display, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        c->failed++;
        return;
    }
    if (pid == 0) {
        counts mine = {0};
        close(fds[0]);
        check_file(o, wast, display, &mine);
        fflush(stdout);
        bool sent = write(fds[1], &mine, sizeof(mine)) == (ssize_t)sizeof(mine);
        _exit(sent ? 0 : 1);
    }
    close(fds[1]);
    counts got;
    size_t have = 0;
    while (have < sizeof(got)) {
        ssize_t n = read(fds[0], (char *)&got + have, sizeof(got) - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (have == sizeof(got) && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        c->passed += got.passed;
        c->failed += got.failed;
        c->skipped += got.skipped;
        c->message_notes += got.message_notes;
    } else if (WIFSIGNALED(status)) {
        printf("%s: FAIL: crashed with signal %d (rerun with --no-fork in a debugger)\n", display,
               WTERMSIG(status));
        c->failed++;
    } else {
        printf("%s: FAIL: checker exited with status %d\n", display,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        c->failed++;
    }
}

static bool parse_count(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

/* Parses argv into o; positional FILE arguments are left in *out_files. Returns false on a
 * usage error. */
static bool parse_args(int argc, char **argv, options *o, char ***out_files, int *out_count)
{
    int positional = 0;
    char **files = argv; /* reuses argv's slots: positional args are packed in front */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--dir") == 0 && has_value) {
            o->dir = argv[++i];
        } else if (strcmp(a, "--work") == 0 && has_value) {
            o->work = argv[++i];
        } else if (strcmp(a, "--keep") == 0) {
            o->keep = true;
        } else if (strcmp(a, "--messages") == 0) {
            o->messages = true;
        } else if (strcmp(a, "--no-fork") == 0) {
            o->fork_per_file = false;
        } else if (strcmp(a, "--expect-checked") == 0 && has_value) {
            if (!parse_count(argv[++i], &o->expect_checked))
                return false;
        } else if (strcmp(a, "--expect-skipped") == 0 && has_value) {
            if (!parse_count(argv[++i], &o->expect_skipped))
                return false;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "spec_validate: unknown option or missing value: %s\n", a);
            return false;
        } else {
            files[positional++] = argv[i];
        }
    }
    if (positional < 2)
        return false;
    o->suite = files[0];
    o->wast2json = files[1];
    *out_files = files + 2;
    *out_count = positional - 2;
    return true;
}

/* Exits with EXIT_SKIP (after saying why) if the test suite or wast2json is missing. */
static void skip_if_missing(const options *o, const char *suite_dir)
{
    if (!is_dir(suite_dir)) {
        printf("spec_validate: SKIP: test suite folder %s not found (set KILN_TESTSUITE)\n",
               suite_dir);
        exit(EXIT_SKIP);
    }
    const char *w = o->wast2json;
    bool missing =
        w[0] == '\0' || ends_with(w, "-NOTFOUND") || (strchr(w, '/') && access(w, X_OK) != 0);
    if (missing) {
        printf("spec_validate: SKIP: wast2json not found (\"%s\"; install wabt)\n", w);
        exit(EXIT_SKIP);
    }
}

int main(int argc, char **argv)
{
    options o = {.dir = "core",
                 .work = "spec-work",
                 .fork_per_file = true,
                 .expect_checked = -1,
                 .expect_skipped = -1};
    char **files;
    int file_count;
    if (!parse_args(argc, argv, &o, &files, &file_count)) {
        usage(stderr);
        return 2;
    }
    char suite_dir[PATH_SIZE];
    if (!path_join(suite_dir, sizeof(suite_dir), o.suite, o.dir))
        return 2;
    skip_if_missing(&o, suite_dir);

    char **names = NULL;
    size_t name_count = 0;
    if (file_count == 0) {
        names = list_wast_files(suite_dir, &name_count);
        if (!names) {
            fprintf(stderr, "spec_validate: cannot list %s: %s\n", suite_dir, strerror(errno));
            return 2;
        }
        if (name_count == 0) {
            printf("spec_validate: SKIP: no .wast files in %s\n", suite_dir);
            free_names(names, name_count);
            return EXIT_SKIP;
        }
    }

    counts total = {0};
    size_t n = file_count ? (size_t)file_count : name_count;
    for (size_t i = 0; i < n; i++) {
        const char *arg = file_count ? files[i] : names[i];
        char wast[PATH_SIZE], display[PATH_SIZE], base[300];
        if (strchr(arg, '/')) { /* a path, used as given */
            snprintf(wast, sizeof(wast), "%s", arg);
            snprintf(display, sizeof(display), "%s", arg);
        } else { /* a name in the folder, with or without .wast */
            snprintf(base, sizeof(base), "%s%s", arg, ends_with(arg, ".wast") ? "" : ".wast");
            if (!path_join(wast, sizeof(wast), suite_dir, base) ||
                !path_join(display, sizeof(display), o.dir, base))
                return 2;
        }
        if (!ends_with(wast, ".wast")) {
            fprintf(stderr, "spec_validate: not a .wast file: %s\n", wast);
            return 2;
        }
        counts c = {0};
        check_file_isolated(&o, wast, display, &c);
        printf("%s: %ld passed, %ld failed, %ld skipped\n", display, c.passed, c.failed, c.skipped);
        fflush(stdout);
        total.passed += c.passed;
        total.failed += c.failed;
        total.skipped += c.skipped;
        total.message_notes += c.message_notes;
    }
    free_names(names, name_count);

    bool ok = total.failed == 0;
    if (o.expect_checked >= 0 && total.passed + total.failed != o.expect_checked) {
        printf("spec_validate: FAIL: checked %ld modules, expected %ld (a command kind is being "
               "dropped or the suite changed)\n",
               total.passed + total.failed, o.expect_checked);
        ok = false;
    }
    if (o.expect_skipped >= 0 && total.skipped != o.expect_skipped) {
        printf("spec_validate: FAIL: skipped %ld text modules, expected %ld\n", total.skipped,
               o.expect_skipped);
        ok = false;
    }
    if (o.messages)
        printf("%ld error messages differ from the spec's text (notes only)\n",
               total.message_notes);
    printf("%ld passed, %ld failed, %ld skipped\n", total.passed, total.failed, total.skipped);
    return ok ? 0 : 1;
}
