/* kiln/baremetal.h -- the platform layer a bare-metal firmware implements.
 *
 * A runtime built with KILN_PLATFORM=baremetal (docs/baremetal.md) has no mmap, no signals
 * and no threads. It runs only modules compiled with `kiln compile --bounds-checks` (the
 * generated code checks every access and raises traps itself; kiln_instance_new refuses a
 * guard-page module with KILN_STATUS_ARG) and unwinds traps with setjmp/longjmp. The firmware
 * provides the three functions below; everything else the runtime allocates (instance
 * records, tables, the pool) comes from the C library's malloc.
 *
 * Single-threaded: call the runtime from one thread of execution only (not from interrupt
 * handlers while the main loop is inside it).
 */
#ifndef KILN_BAREMETAL_H
#define KILN_BAREMETAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Storage for one linear memory: size bytes (the memory's growth limit, a multiple of
 * 65536, or one 4 KiB page for a memory of maximum 0), 16-byte aligned. The runtime zeroes
 * what it uses. NULL if there is no room; instantiation then fails with KILN_STATUS_NOMEM.
 * Give memories a maximum (or set kiln_pool_config.max_memory_pages) so that size stays
 * small: a memory without a maximum asks for the pool's max_memory_pages. */
void *kiln_platform_memory_alloc(size_t size);
/* Returns storage from kiln_platform_memory_alloc (same size) when the instance is freed. */
void kiln_platform_memory_free(void *p, size_t size);
/* The stack wasm code runs on: lowest usable address *lo and one past the highest *hi, for
 * the stack-exhaustion check. Set both to 0 if unknown: the pool's stack_size below the
 * entry frame is then the only limit. */
void kiln_platform_stack_bounds(uintptr_t *lo, uintptr_t *hi);

#ifdef __cplusplus
}
#endif

#endif
