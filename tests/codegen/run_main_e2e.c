/* run_main_e2e.c -- kiln_wasi_run_main with imports beyond WASI (wasi_main.h): run_main.wat
 * compiled with --sealed-imports bench (prefix run_main). kiln_wasi_config.imports is one
 * list made of two with kiln_imports_concat (the first binds first), import_env reaches the
 * sealed import, and a missing import fails the start naming every one that is missing.
 * Checks: tests/lib/check.h.
 */
#define _POSIX_C_SOURCE 200809L /* fileno, dup */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kiln/wasi_main.h>

#include "../lib/check.h"
#include "run_main.h"

kiln_trap run_main_import_bench_tick(kiln_instance *caller, void *env, int32_t *r0)
{
    (void)caller;
    *r0 = env != NULL ? *(const int *)env : -1;
    return KILN_TRAP_NONE;
}

static kiln_trap constant(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)caller;
    (void)args;
    results[0].of.i32 = *(const int *)env;
    return KILN_TRAP_NONE;
}

static kiln_trap times(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)caller;
    results[0].of.i32 = args[0].of.i32 * *(const int *)env;
    return KILN_TRAP_NONE;
}

static const uint8_t types_i[] = {KILN_TYPE_I32};

/* kiln_wasi_run_main with stderr captured into err. */
static int run(const kiln_wasi_config *cfg, char *err, size_t size)
{
    static char name[] = "run_main";
    char *argv[] = {name, NULL};
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    int status = kiln_wasi_run_main(&run_main_module, cfg, 1, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(err, 1, size - 1, tmp);
    err[n] = '\0';
    fclose(tmp);
    return status;
}

int main(void)
{
    int three = 3, seven = 7, two = 2, one = 1;
    kiln_host_func base7 = {constant, &seven, 0, 1, NULL, types_i};
    kiln_host_func base1 = {constant, &one, 0, 1, NULL, types_i};
    kiln_host_func scale2 = {times, &two, 1, 1, types_i, types_i};
    kiln_import first[] = {{"env", "base", {.kind = KILN_KIND_HOST_FUNC, .of.host = &base7}}};
    kiln_import second[] = {
        {"env", "base", {.kind = KILN_KIND_HOST_FUNC, .of.host = &base1}},
        {"env", "scale", {.kind = KILN_KIND_HOST_FUNC, .of.host = &scale2}},
    };
    kiln_imports a = {first, 1}, b = {second, 2}, joined;
    const kiln_imports *lists[] = {&a, NULL, &b};
    EXPECT_INT(kiln_imports_concat(lists, 3, &joined), KILN_STATUS_OK);
    EXPECT_UINT(joined.count, 3);

    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.imports = &joined;
    cfg.import_env = &three;
    char err[512];
    /* base() binds to the first list's (7), scale to the second's, tick to the C function. */
    EXPECT_INT(run(&cfg, err, sizeof err), 7 * 3 * 2);
    CHECK_MSG(err[0] == '\0', "stderr: %s", err);

    /* Without the extra imports: one message names both. */
    cfg.imports = &a;
    EXPECT_INT(run(&cfg, err, sizeof err), KILN_WASI_MAIN_EXIT_ERROR);
    CHECK_MSG(
        strcmp(
            err,
            "kiln: error: unknown or incompatible import: unknown import: \"env\" \"scale\"\n") ==
            0,
        "stderr: %s", err);
    cfg.imports = NULL;
    EXPECT_INT(run(&cfg, err, sizeof err), KILN_WASI_MAIN_EXIT_ERROR);
    CHECK_MSG(strcmp(err, "kiln: error: unknown or incompatible import: unknown imports: \"env\" "
                          "\"base\", \"env\" "
                          "\"scale\"\n") == 0,
              "stderr: %s", err);

    /* The helper's errors, and freeing. */
    kiln_imports bad = {NULL, 2}, out = {first, 1};
    const kiln_imports *bad_lists[] = {&bad};
    EXPECT_INT(kiln_imports_concat(bad_lists, 1, &out), KILN_STATUS_ARG);
    CHECK(out.items == NULL && out.count == 0);
    CHECK(strcmp(kiln_last_error(), "kiln_imports_concat: list 0 has 2 items at NULL") == 0);
    EXPECT_INT(kiln_imports_concat(NULL, 1, &out), KILN_STATUS_ARG);
    EXPECT_INT(kiln_imports_concat(NULL, 0, &out), KILN_STATUS_OK);
    CHECK(out.items == NULL && out.count == 0);
    kiln_imports_free(&joined);
    CHECK(joined.items == NULL && joined.count == 0);
    kiln_imports_free(NULL);
    return check_finish();
}
