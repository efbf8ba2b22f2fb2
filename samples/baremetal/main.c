/* main.c -- a bare-metal firmware that runs a Kiln-compiled module (docs/baremetal.md).
 *
 * Built for Cortex-M3 with arm-none-eabi-gcc + picolibc and run under
 * qemu-system-arm -M mps2-an385 with semihosting: printf goes to the host's standard output
 * and returning from main ends qemu with main's status. The module (crc.wat) was compiled by
 * `kiln compile --target thumbv7m-none-eabi --bounds-checks`; crc.h is its generated header.
 *
 * The firmware implements the runtime's platform layer (kiln/baremetal.h): linear memories
 * (and the stacks of tasks) come from a static arena, the stack bounds from picolibc's linker
 * script. It also runs the module's sum as a task (docs/yield.md): the import env.next
 * suspends it, and main resumes it with the next value.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crc.h"
#include "kiln/baremetal.h"

/* ---- The platform layer ---- */

/* Room for two 64 KiB memories (crc.wat declares one page with a maximum of one) and two
 * 16 KiB task stacks. */
static _Alignas(16) uint8_t memory_arena[2 * 65536 + 2 * 16384];
static size_t arena_used;

void *kiln_platform_memory_alloc(size_t size)
{
    size = (size + 15u) & ~(size_t)15u;
    if (size > sizeof memory_arena - arena_used)
        return NULL;
    void *p = memory_arena + arena_used;
    arena_used += size;
    return p;
}

void kiln_platform_memory_free(void *p, size_t size)
{
    size = (size + 15u) & ~(size_t)15u;
    if ((uint8_t *)p + size == memory_arena + arena_used) /* the last one: give it back */
        arena_used -= size;
}

/* picolibc.ld puts a __stack_size stack (set with --defsym at link time) just below __stack. */
extern char __stack[], __stack_size[];

void kiln_platform_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
    *hi = (uintptr_t)__stack;
    *lo = (uintptr_t)__stack - (uintptr_t)__stack_size;
}

/* ---- The program ---- */

static int fail(const char *what, kiln_status s)
{
    printf("%s: %s (%s)\n", what, kiln_status_message(s), kiln_last_error());
    return 1;
}

/* env.next(i): suspends the task with i; returns the value it is resumed with. */
static kiln_trap next(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results)
{
    (void)env;
    kiln_val resumed;
    if (kiln_yield(caller, &args[0], &resumed) != KILN_STATUS_OK)
        return KILN_TRAP_HOST;
    results[0] = resumed;
    return KILN_TRAP_NONE;
}

static const uint8_t i32_type[] = {KILN_TYPE_I32};
static const kiln_host_func next_fn = {next, NULL, 1, 1, i32_type, i32_type};
static const kiln_import import_list[] = {
    {"env", "next", {.kind = KILN_KIND_HOST_FUNC, .of.host = &next_fn}},
};
static const kiln_imports imports = {import_list, 1};

/* sum(3) as a task, resumed with 10, 20, 30; then down(0), which exhausts its stack. */
static int run_tasks(kiln_instance *inst)
{
    kiln_stacks_config config = {.count = 2, .stack_size = 16 * 1024};
    kiln_stacks *stacks;
    kiln_status s = kiln_stacks_new(&config, &stacks);
    if (s != KILN_STATUS_OK)
        return fail("kiln_stacks_new", s);
    kiln_extern sum, down;
    if (kiln_instance_export(inst, "sum", &sum) != KILN_STATUS_OK ||
        kiln_instance_export(inst, "down", &down) != KILN_STATUS_OK)
        return fail("kiln_instance_export", KILN_STATUS_NOT_FOUND);
    kiln_val arg = {.type = KILN_TYPE_I32, .of.i32 = 3};
    kiln_task *task;
    s = kiln_task_start(stacks, inst, sum.of.func, &arg, 1, &task);
    if (s != KILN_STATUS_OK)
        return fail("kiln_task_start", s);
    printf("task: yielded");
    while (kiln_task_get_state(task) == KILN_TASK_SUSPENDED) {
        int32_t i = kiln_task_yielded(task)->of.i32;
        printf(" %ld", (long)i);
        kiln_val value = {.type = KILN_TYPE_I32, .of.i32 = 10 * (i + 1)};
        kiln_task_resume(task, &value);
    }
    size_t n;
    const kiln_val *results = kiln_task_results(task, &n);
    printf(", returned %ld (%s)\n", n == 1 ? (long)results[0].of.i32 : -1L,
           kiln_trap_message(kiln_task_trap(task)));
    kiln_task_free(task);

    arg.of.i32 = 0;
    s = kiln_task_start(stacks, inst, down.of.func, &arg, 1, &task);
    if (s != KILN_STATUS_OK)
        return fail("kiln_task_start", s);
    printf("task recursing: %s\n", kiln_trap_message(kiln_task_trap(task)));
    kiln_task_free(task);
    kiln_stacks_free(stacks);
    return 0;
}

int main(void)
{
    kiln_pool_config config = {
        .slots = 1,
        .max_memory_pages = 1,
        .max_table_elems = 16,
        .stack_size = 8 * 1024,
    };
    kiln_pool *pool;
    kiln_status s = kiln_pool_new(&config, &pool);
    if (s != KILN_STATUS_OK)
        return fail("kiln_pool_new", s);
    kiln_instance *inst;
    kiln_trap trap = KILN_TRAP_NONE;
    s = kiln_instance_new_in(pool, &crc_module, &imports, &inst, &trap);
    if (s != KILN_STATUS_OK)
        return fail("kiln_instance_new_in", s);

    static const char check[] = "123456789";
    kiln_memory *memory = kiln_instance_memory(inst, 0);
    memcpy(memory->base.p, check, sizeof check - 1);

    int32_t crc = 0;
    trap = crc_crc32(inst, 0, (int32_t)(sizeof check - 1), &crc);
    printf("crc32(\"%s\") = 0x%08lX (%s)\n", check, (unsigned long)(uint32_t)crc,
           kiln_trap_message(trap));

    int64_t fib = 0;
    trap = crc_fib(inst, 40, &fib);
    printf("fib(40) = %lld (%s)\n", (long long)fib, kiln_trap_message(trap));

    /* 8 bytes from 65532: the last 4 are past the memory's end. */
    trap = crc_crc32(inst, 65532, 8, &crc);
    printf("crc32 past the end: %s\n", kiln_trap_message(trap));

    if (run_tasks(inst) != 0)
        return 1;

    kiln_instance_free(inst);
    kiln_pool_free(pool);
    printf("done\n");
    return 0;
}
