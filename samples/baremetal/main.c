/* main.c -- a bare-metal firmware that runs a Kiln-compiled module (docs/baremetal.md).
 *
 * Built for Cortex-M3 with arm-none-eabi-gcc + picolibc and run under
 * qemu-system-arm -M mps2-an385 with semihosting: printf goes to the host's standard output
 * and returning from main ends qemu with main's status. The module (crc.wat) was compiled by
 * `kiln compile --target thumbv7m-none-eabi --bounds-checks`; crc.h is its generated header.
 *
 * The firmware implements the runtime's platform layer (kiln/baremetal.h): linear memories
 * come from a static arena, the stack bounds from picolibc's linker script.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crc.h"
#include "kiln/baremetal.h"

/* ---- The platform layer ---- */

/* Room for two 64 KiB memories; crc.wat declares one page with a maximum of one. */
static _Alignas(16) uint8_t memory_arena[2 * 65536];
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
    s = kiln_instance_new_in(pool, &crc_module, NULL, &inst, &trap);
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

    kiln_instance_free(inst);
    kiln_pool_free(pool);
    printf("done\n");
    return 0;
}
