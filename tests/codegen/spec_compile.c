/* spec_compile.c -- compiles every valid binary module of the spec test suite.
 *
 * For each TESTSUITE/core/NAME.wast except simd_NAME (sorted), runs `wast2json` into WORK/NAME/,
 * loads the script (cli/wast/wast_script.c, as `kiln wast` does) and compiles every module of a
 * `module`, `assert_unlinkable` or `assert_uninstantiable` command with kiln_compile, in
 * memory, with LLVM's verifier on, once per requested -O level (default 0 and 2). Each .wast
 * runs in a forked child, so a crash costs one file, not the run. Output: one line per file,
 * one per failure (kiln_diag_format), then `N compiled, N failed, N unsupported`. Exit 1 on
 * any failure, 77 when the suite or wast2json is missing (ctest SKIP_RETURN_CODE), 2 usage.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wast.h"

#define PATH_SIZE HOST_PATH_SIZE

typedef struct counts {
    long compiled, failed, unsupported;
} counts;

typedef struct run {
    const char *suite, *wast2json, *work;
    int levels[4];
    int level_count;
} run;

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void compile_one(const run *r, const char *name, const char *dir, const json_value *cmd,
                        counts *c)
{
    const char *file;
    bool text;
    char err[256];
    if (!wast_command_module(cmd, &file, &text, err, sizeof err)) {
        printf("%s: FAIL: %s\n", name, err);
        c->failed++;
        return;
    }
    if (text)
        return;
    char path[PATH_SIZE];
    host_file f;
    kiln_diag rd;
    if (!host_path_join(path, sizeof path, dir, file) || !host_read_file(path, &f, &rd)) {
        printf("%s: FAIL: cannot read %s\n", name, path);
        c->failed++;
        return;
    }
    for (int i = 0; i < r->level_count; i++) {
        kiln_compile_options o;
        kiln_compile_options_init(&o);
        o.input_path = file;
        o.input = f.data;
        o.input_size = f.size;
        o.opt_level = r->levels[i];
        o.verify = true;
        o.want_header = true;
        kiln_compile_result res;
        kiln_diag d;
        if (kiln_compile(&o, &res, &d)) {
            c->compiled++;
            kiln_compile_result_free(&res);
            continue;
        }
        char line[512];
        kiln_diag_format(&d, file, line, sizeof line);
        if (d.code == KILN_ERR_UNSUPPORTED) {
            c->unsupported++;
            printf("%s: -O%d unsupported: %s\n", name, r->levels[i], line);
        } else {
            c->failed++;
            printf("%s: -O%d FAIL: %s\n", name, r->levels[i], line);
        }
    }
    host_file_free(&f);
}

/* Compiles the modules of one .wast; returns its counts. */
static counts check_wast(const run *r, const char *name)
{
    counts c = {0, 0, 0};
    char wast[PATH_SIZE], dir[PATH_SIZE], json[PATH_SIZE];
    size_t stem = strlen(name) - 5;
    int n1 = snprintf(wast, sizeof wast, "%s/core/%s", r->suite, name);
    int n2 = snprintf(dir, sizeof dir, "%s/%.*s", r->work, (int)stem, name);
    int n3 = snprintf(json, sizeof json, "%s/%.*s.json", dir, (int)stem, name);
    if (n1 < 0 || n1 >= (int)sizeof wast || n2 < 0 || n2 >= (int)sizeof dir || n3 < 0 ||
        n3 >= (int)sizeof json) {
        printf("%s: FAIL: path too long\n", name);
        c.failed++;
        return c;
    }
    host_make_dirs(dir);
    char err[PATH_SIZE + 128];
    wast_script script = {0};
    if (!wast_run_wast2json(r->wast2json, false, wast, json, err, sizeof err) ||
        !wast_script_load(&script, json, err, sizeof err)) {
        printf("%s: FAIL: %s\n", name, err);
        c.failed++;
        wast_script_free(&script);
        return c;
    }
    for (size_t i = 0; i < json_len(script.commands); i++) {
        const json_value *cmd = json_at(script.commands, i);
        const char *type = json_get_str(cmd, "type");
        if (type && (strcmp(type, "module") == 0 || strcmp(type, "assert_unlinkable") == 0 ||
                     strcmp(type, "assert_uninstantiable") == 0))
            compile_one(r, name, dir, cmd, &c);
    }
    wast_script_free(&script);
    return c;
}

/* Runs check_wast in a child; the counts come back through a pipe. */
static counts check_wast_isolated(const run *r, const char *name)
{
    counts c = {0, 0, 0};
    int fds[2];
    fflush(stdout);
    if (pipe(fds) != 0)
        return check_wast(r, name);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        counts got = check_wast(r, name);
        fflush(stdout);
        ssize_t n = write(fds[1], &got, sizeof got);
        _exit(n == (ssize_t)sizeof got ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = pid > 0 ? read(fds[0], &c, sizeof c) : -1;
    close(fds[0]);
    int status = 0;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    if (pid <= 0 || n != (ssize_t)sizeof c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("%s: FAIL: crashed (status %d)\n", name, status);
        c.failed++;
    }
    return c;
}

int main(int argc, char **argv)
{
    run r = {NULL, NULL, "spec-compile-work", {0, 2}, 2};
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--work") == 0 && i + 1 < argc) {
            r.work = argv[++i];
        } else if (strcmp(argv[i], "--opt") == 0 && i + 1 < argc) {
            r.level_count = 0;
            for (const char *p = argv[++i]; *p && r.level_count < 4; p++)
                if (*p >= '0' && *p <= '3')
                    r.levels[r.level_count++] = *p - '0';
        } else if (!r.suite) {
            r.suite = argv[i];
        } else if (!r.wast2json) {
            r.wast2json = argv[i];
        } else {
            first_file = i;
            break;
        }
    }
    if (!r.suite || !r.wast2json) {
        fputs("usage: spec_compile [--work DIR] [--opt 02] TESTSUITE WAST2JSON [NAME.wast...]\n",
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
    host_make_dirs(r.work);
    char **names = NULL;
    size_t count = 0, cap = 0;
    if (first_file < argc) {
        names = (char **)(argv + first_file);
        count = (size_t)(argc - first_file);
    } else {
        for (struct dirent *e; (e = readdir(dirp)) != NULL;) {
            size_t len = strlen(e->d_name);
            if (len < 6 || strcmp(e->d_name + len - 5, ".wast") != 0 ||
                strncmp(e->d_name, "simd_", 5) == 0)
                continue;
            if (count == cap) {
                cap = cap ? cap * 2 : 256;
                char **p = realloc(names, cap * sizeof *names);
                if (!p)
                    return 1;
                names = p;
            }
            size_t n = strlen(e->d_name) + 1;
            names[count] = malloc(n);
            if (!names[count])
                return 1;
            memcpy(names[count++], e->d_name, n);
        }
        qsort(names, count, sizeof *names, compare_strings);
    }
    closedir(dirp);

    counts total = {0, 0, 0};
    time_t start = time(NULL);
    for (size_t i = 0; i < count; i++) {
        counts c = check_wast_isolated(&r, names[i]);
        printf("%s: %ld compiled, %ld failed, %ld unsupported\n", names[i], c.compiled, c.failed,
               c.unsupported);
        total.compiled += c.compiled;
        total.failed += c.failed;
        total.unsupported += c.unsupported;
    }
    printf("%zu files in %lds: %ld compiled, %ld failed, %ld unsupported\n", count,
           (long)(time(NULL) - start), total.compiled, total.failed, total.unsupported);
    if (first_file == argc) {
        for (size_t i = 0; i < count; i++)
            free(names[i]);
        free(names);
    }
    return total.failed ? 1 : 0;
}
