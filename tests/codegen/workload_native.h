/* workload_native.h -- the functions of workload.c, by their C names: workload.c defines them
 * (exported from its Wasm build as sha, sort, ... through the generated workload.h), and
 * workload_main.c calls the native build's to compare with the Wasm build's results.
 */
#ifndef KILN_WORKLOAD_NATIVE_H
#define KILN_WORKLOAD_NATIVE_H

#include <stdint.h>

uint32_t wl_sha(uint32_t seed, uint32_t len);
uint64_t wl_sort(uint32_t seed, uint32_t n, uint32_t order);
uint64_t wl_matmul(uint32_t n);
uint32_t wl_crc(uint32_t seed, uint32_t len);
int64_t wl_divs(int64_t a, int64_t b);
uint64_t wl_floats(uint32_t seed);
uint32_t wl_ack(uint32_t m, uint32_t n);
uint32_t wl_bytes(uint32_t seed);

#endif
