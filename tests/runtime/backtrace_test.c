/* backtrace_test.c -- kiln_trap_backtrace on traps several wasm calls deep.
 *
 * Links backtrace.wat compiled at -O0 (prefix bt: every call stays a call, so the frames are
 * exact) and checks, for a division by zero (kiln_trap_raise), a guard-page fault (the signal
 * handler's walk) and a failing host import (kiln_host_call), every frame's function index,
 * name and module; then that a deeper stack keeps 64 frames, that a later trap replaces the
 * backtrace, and that a trap in the called export alone gives one frame. The -O2 build of
 * the same module (prefix bto) must still name the trapping function first and the export
 * last. With --bench N it instead times N traps at three depths (ns per trap on stdout; the
 * trap-path cost in docs/abi.md, "Backtraces"). Run by ctest as runtime.backtrace.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/check.h"
#include "bt.h"
#include "bto.h"

static kiln_trap host_fail(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env;
    (void)caller;
    (void)args;
    (void)results;
    return KILN_TRAP_HOST;
}

static const kiln_host_func fail_fn = {host_fail, NULL, 0, 0, NULL, NULL};
static const kiln_import fail_item = {
    "env", "fail", {.kind = KILN_KIND_HOST_FUNC, .of.host = &fail_fn}};
static const kiln_imports imports = {&fail_item, 1};

/* The calling thread's backtrace as "name/index name/index ...", e.g. "div/1 compute/2". */
static const char *frames_text(const kiln_module *module, size_t *count)
{
    static char text[4096];
    kiln_frame frames[80];
    size_t n = kiln_trap_backtrace(frames, 80);
    *count = n;
    size_t at = 0;
    text[0] = '\0';
    for (size_t i = 0; i < n && i < 80; i++) {
        const kiln_frame *f = &frames[i];
        if (f->module != module)
            at += (size_t)snprintf(text + at, sizeof text - at, "%s?", i ? " " : "");
        else
            at += (size_t)snprintf(text + at, sizeof text - at, "%s%.*s/%u", i ? " " : "",
                                   (int)f->name_len, f->name ? f->name : "", f->func_index);
        if (at >= sizeof text)
            break;
    }
    return text;
}

#define EXPECT_FRAMES(module, want)                                                                \
    do {                                                                                           \
        size_t n_;                                                                                 \
        const char *got_ = frames_text(module, &n_);                                               \
        CHECK_MSG(strcmp(got_, want) == 0, "backtrace \"%s\", want \"%s\"", got_, want);           \
    } while (0)

static void exact_frames(kiln_instance *inst)
{
    int32_t r = 0;
    EXPECT_TRAP(bt_run_div(inst, &r), KILN_TRAP_INT_DIV_ZERO);
    EXPECT_FRAMES(&bt_module, "div/1 compute/2 compute/2 compute/2 main/3 run_div/7");
    CHECK(kiln_trap_backtrace(NULL, 0) == 6);
    kiln_frame first;
    CHECK(kiln_trap_backtrace(&first, 1) == 6);
    CHECK(first.pc == kiln_last_trap_pc());
    CHECK(first.file == NULL && first.line == 0);

    EXPECT_TRAP(bt_run_oob(inst, &r), KILN_TRAP_MEMORY_OOB);
    EXPECT_FRAMES(&bt_module, "peek/4 compute/2 compute/2 compute/2 main/3 run_oob/8");

    EXPECT_TRAP(bt_run_host(inst), KILN_TRAP_HOST);
    EXPECT_FRAMES(&bt_module, "fail/0 callhost/5 run_host/9");

    /* 64 frames kept of 202: div, then 63 of down's. */
    EXPECT_TRAP(bt_run_deep(inst, 200, &r), KILN_TRAP_INT_DIV_ZERO);
    size_t n;
    const char *text = frames_text(&bt_module, &n);
    CHECK_MSG(n == 64, "deep backtrace has %zu frames, want 64", n);
    CHECK(strncmp(text, "div/1 down/6 down/6 ", 20) == 0);

    /* A trap in the export itself: one frame, and nothing left of the one before. */
    EXPECT_TRAP(bt_div_now(inst, 1, 0, &r), KILN_TRAP_INT_DIV_ZERO);
    EXPECT_FRAMES(&bt_module, "div_now/11");
    EXPECT_CALL(int32_t, 3, bt_div_now(inst, 6, 2, &out_));
}

static void optimised_frames(kiln_instance *inst)
{
    int32_t r = 0;
    EXPECT_TRAP(bto_run_deep(inst, 3, &r), KILN_TRAP_INT_DIV_ZERO);
    kiln_frame frames[16];
    size_t n = kiln_trap_backtrace(frames, 16);
    /* div may be inlined into down; down's recursion stays calls. */
    CHECK_MSG(n >= 3 && n <= 5, "-O2: %zu frames", n);
    if (n >= 3 && n <= 16) {
        CHECK(frames[0].module == &bto_module && frames[n - 1].module == &bto_module);
        CHECK(frames[0].func_index == 1 || frames[0].func_index == 6);
        CHECK(frames[n - 1].func_index == 10 || frames[n - 1].func_index == 6);
    }
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int bench(kiln_instance *inst, long count)
{
    int32_t r;
    static const int32_t depths[] = {0, 10, 60};
    double t0 = now_ns();
    for (long i = 0; i < count; i++)
        (void)bt_div_now(inst, 1, 0, &r);
    printf("depth 1: %.0f ns per trap\n", (now_ns() - t0) / (double)count);
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        t0 = now_ns();
        for (long i = 0; i < count; i++)
            (void)bt_run_deep(inst, depths[d], &r);
        printf("depth %d: %.0f ns per trap\n", depths[d] + 2, (now_ns() - t0) / (double)count);
    }
    return 0;
}

int main(int argc, char **argv)
{
    kiln_instance *inst = NULL, *opt = NULL;
    kiln_status s = kiln_instance_new(&bt_module, &imports, &inst);
    kiln_status s2 = kiln_instance_new(&bto_module, &imports, &opt);
    if (s != KILN_STATUS_OK || s2 != KILN_STATUS_OK) {
        printf("FAIL kiln_instance_new: %s %s\n", kiln_status_message(s), kiln_last_error());
        return 1;
    }
    CHECK(kiln_trap_backtrace(NULL, 0) == 0);
    if (argc == 3 && strcmp(argv[1], "--bench") == 0)
        return bench(inst, atol(argv[2]));
    exact_frames(inst);
    optimised_frames(opt);
    kiln_instance_free(inst);
    kiln_instance_free(opt);
    return check_finish();
}
