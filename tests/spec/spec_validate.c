/* spec_validate.c -- runs the decoder and validator against the WebAssembly spec test suite.
 *
 * For each .wast file of one folder (core/ by default), in sorted order, it runs
 * `wast2json FILE.wast -o WORK/DIR/NAME/NAME.json` (posix_spawn, no shell), parses the JSON
 * with json.c and checks every module the commands name (wast2json, the JSON and the
 * classification are shared with `kiln wast`: cli/wast/wast_script.c): `module`,
 * `assert_unlinkable` and `assert_uninstantiable` must decode and validate; binary `assert_invalid`
 * must fail with class invalid and binary `assert_malformed` with class malformed. Text-format
 * modules
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wast.h"

#define EXIT_SKIP WAST_EXIT_SKIP
#define PATH_SIZE HOST_PATH_SIZE

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
    if (host_path_join(out, size, a, b))
        return true;
    fprintf(stderr, "spec_validate: path too long: %s/%s\n", a, b);
    return false;
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
        if (!wast_ends_with(e->d_name, ".wast"))
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

/* Decodes and validates one module file and compares the outcome with want. */
static void check_module(const options *o, const char *display, uint64_t line, const char *json_dir,
                         const char *filename, wast_expect want, const char *spec_text, counts *c)
{
    char path[PATH_SIZE];
    host_file file;
    kiln_diag read_diag;
    if (!path_join(path, sizeof(path), json_dir, filename) ||
        !host_read_file(path, &file, &read_diag)) {
        printf("%s:%llu: FAIL: cannot read %s\n", display, (unsigned long long)line, filename);
        c->failed++;
        return;
    }

    wast_check r;
    wast_check_module(file.data, file.size, want, false, &r);
    const kiln_diag *d = &r.diag;
    char diag[512];
    if (!r.valid)
        kiln_diag_format(d, filename, diag, sizeof(diag));
    if (r.matches) {
        c->passed++;
        if (o->messages && r.patched) {
            printf("%s:%llu: note: wast2json wrote no data count section; checked with an "
                   "empty one added (%s)\n",
                   display, (unsigned long long)line, filename);
        }
        /* The reference interpreter requires the message to start with the expected text. */
        if (o->messages && !r.valid && spec_text &&
            strncmp(d->msg, spec_text, strlen(spec_text)) != 0) {
            printf("%s:%llu: note: message differs: expected \"%s\", got \"%s\" (%s)\n", display,
                   (unsigned long long)line, spec_text, d->msg, filename);
            c->message_notes++;
        }
    } else {
        c->failed++;
        printf("%s:%llu: FAIL: expected %s, got %s: %s%s", display, (unsigned long long)line,
               wast_expect_name(want), r.valid ? "valid" : kiln_err_class(d->code),
               r.valid ? filename : diag,
               r.patched ? " (with an empty data count section added)" : "");
        if (spec_text)
            printf(" [spec: \"%s\"]", spec_text);
        printf("\n");
    }
    host_file_free(&file);
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
    wast_expect want;
    if (strcmp(type, "module") == 0 || strcmp(type, "assert_unlinkable") == 0 ||
        strcmp(type, "assert_uninstantiable") == 0)
        want = WAST_EXPECT_VALID;
    else if (strcmp(type, "assert_invalid") == 0)
        want = WAST_EXPECT_INVALID;
    else if (strcmp(type, "assert_malformed") == 0)
        want = WAST_EXPECT_MALFORMED;
    else
        return; /* assert_return, assert_trap, action, register, assert_exhaustion, ... */

    const char *filename;
    bool text;
    char err[256];
    if (!wast_command_module(cmd, &filename, &text, err, sizeof(err))) {
        printf("%s:%llu: FAIL: %s: %s\n", display, (unsigned long long)line, type, err);
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
        !path_join(json_path, sizeof(json_path), json_dir, json_name) ||
        !host_make_dirs(json_dir)) {
        printf("%s: FAIL: cannot create the scratch directory under %s\n", display, o->work);
        c->failed++;
        return;
    }
    host_empty_dir(json_dir); /* no stale modules from an earlier run */
    char err[HOST_PATH_SIZE + 100];
    /* README: core needs no flags; --enable-all converts the proposal folders. */
    if (!wast_run_wast2json(o->wast2json, strcmp(o->dir, "core") != 0, wast, json_path, err,
                            sizeof(err))) {
        printf("%s: FAIL: %s\n", display, err);
        c->failed++;
        return;
    }

    wast_script script;
    if (!wast_script_load(&script, json_path, err, sizeof(err))) {
        printf("%s: FAIL: %s\n", display, err);
        c->failed++;
    } else {
        for (size_t i = 0; i < json_len(script.commands); i++)
            check_command(o, display, json_dir, json_at(script.commands, i), i, c);
    }
    wast_script_free(&script);
    if (!o->keep)
        host_remove_dir(json_dir);
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
    if (!host_is_dir(suite_dir)) {
        printf("spec_validate: SKIP: test suite folder %s not found (set KILN_TESTSUITE)\n",
               suite_dir);
        exit(EXIT_SKIP);
    }
    const char *w = o->wast2json;
    bool missing =
        w[0] == '\0' || wast_ends_with(w, "-NOTFOUND") || (strchr(w, '/') && access(w, X_OK) != 0);
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
            snprintf(base, sizeof(base), "%s%s", arg, wast_ends_with(arg, ".wast") ? "" : ".wast");
            if (!path_join(wast, sizeof(wast), suite_dir, base) ||
                !path_join(display, sizeof(display), o.dir, base))
                return 2;
        }
        if (!wast_ends_with(wast, ".wast")) {
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
