/* spec_compile.c -- compiles every valid binary module of the spec test suite.
 *
 * For each TESTSUITE/core/NAME.wast except simd_NAME (sorted), runs `wast2json` (posix_spawn, no
 * shell) into WORK/NAME/, parses the JSON with json.c and compiles every module of a
 * `module`, `assert_unlinkable` or `assert_uninstantiable` command with kiln_compile, in
 * memory, with LLVM's verifier on, once per requested -O level (default 0 and 2). Each .wast
 * runs in a forked child, so a crash costs one file, not the run. Output: one line per file,
 * one per failure (kiln_diag_format), then `N compiled, N failed, N unsupported`. Exit 1 on
 * any failure, 77 when the suite or wast2json is missing (ctest SKIP_RETURN_CODE), 2 usage.
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
#include <time.h>
#include <unistd.h>

#include "toolchain.h"

extern char **environ;

#define PATH_SIZE 4096

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

static bool slurp(const char *path, uint8_t **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        uint8_t *p = realloc(buf, cap * 2);
        if (!p) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap *= 2;
    }
    fclose(f);
    *out = buf;
    *size = len;
    return buf != NULL;
}

static bool run_wast2json(const run *r, const char *wast, const char *json)
{
    const char *argv[] = {r->wast2json, wast, "-o", json, NULL};
    pid_t pid;
    char *const *args = (char *const *)(void *)argv;
    int err = strchr(r->wast2json, '/')
                  ? posix_spawn(&pid, r->wast2json, NULL, NULL, args, environ)
                  : posix_spawnp(&pid, r->wast2json, NULL, NULL, args, environ);
    if (err != 0)
        return false;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void compile_one(const run *r, const char *name, const char *dir, const json_value *cmd,
                        counts *c)
{
    const char *file = json_get_str(cmd, "filename");
    const char *module_type = json_get_str(cmd, "module_type");
    if (!file || (module_type && strcmp(module_type, "binary") != 0))
        return;
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    uint8_t *bytes;
    size_t size;
    if (!slurp(path, &bytes, &size)) {
        printf("%s: FAIL: cannot read %s\n", name, path);
        c->failed++;
        return;
    }
    for (int i = 0; i < r->level_count; i++) {
        kiln_compile_options o;
        kiln_compile_options_init(&o);
        o.input_path = file;
        o.input = bytes;
        o.input_size = size;
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
    free(bytes);
}

/* Compiles the modules of one .wast; returns its counts. */
static counts check_wast(const run *r, const char *name)
{
    counts c = {0, 0, 0};
    char wast[PATH_SIZE], dir[PATH_SIZE], json[PATH_SIZE];
    size_t stem = strlen(name) - 5;
    snprintf(wast, sizeof wast, "%s/core/%s", r->suite, name);
    snprintf(dir, sizeof dir, "%s/%.*s", r->work, (int)stem, name);
    snprintf(json, sizeof json, "%s/%.*s.json", dir, (int)stem, name);
    mkdir(dir, 0777);
    uint8_t *text;
    size_t size;
    if (!run_wast2json(r, wast, json) || !slurp(json, &text, &size)) {
        printf("%s: FAIL: wast2json\n", name);
        c.failed++;
        return c;
    }
    kiln_arena arena;
    kiln_arena_init(&arena, NULL);
    const json_value *root;
    kiln_diag d;
    if (!json_parse((const char *)text, size, &arena, &root, &d)) {
        printf("%s: FAIL: bad JSON: %s\n", name, d.msg);
        c.failed++;
    } else {
        const json_value *cmds = json_get(root, "commands");
        for (size_t i = 0; i < json_len(cmds); i++) {
            const json_value *cmd = json_at(cmds, i);
            const char *type = json_get_str(cmd, "type");
            if (type && (strcmp(type, "module") == 0 || strcmp(type, "assert_unlinkable") == 0 ||
                         strcmp(type, "assert_uninstantiable") == 0))
                compile_one(r, name, dir, cmd, &c);
        }
    }
    kiln_arena_free(&arena);
    free(text);
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
    mkdir(r.work, 0777);
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
