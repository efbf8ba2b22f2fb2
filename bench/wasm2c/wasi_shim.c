/* wasi_shim.c -- the smallest WASI preview1 host that runs the benchmark kernels under wasm2c.
 *
 * The kernels (bench/kernels/) import only fd_write and proc_exit, and the Rust ones also
 * environ_sizes_get and environ_get (Rust's standard library reads the environment at start:
 * here an empty one), so that is all this implements; anything else is a link error, on
 * purpose. It is compiled together with the
 * wasm2c output of one kernel, generated with `wasm2c -n kernel` (so its header is kernel.h
 * and its symbols Z_kernel...), and with wabt's wasm-rt-impl.c in its default configuration:
 * WASM_RT_MEMCHECK_SIGNAL_HANDLER=1, i.e. guard pages and no software bounds checks.
 *
 * Exit status: the guest's proc_exit code, 0 when _start returns, 134 on a trap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "wasm-rt-impl.h"

struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *memory;
};

enum { WASI_ESUCCESS = 0, WASI_EBADF = 8, WASI_EFAULT = 21, WASI_EIO = 29 };

static int in_bounds(const wasm_rt_memory_t *mem, uint32_t addr, uint64_t len)
{
    return (uint64_t)addr + len <= mem->size;
}

static uint32_t load32(const wasm_rt_memory_t *mem, uint32_t addr)
{
    uint32_t v;
    memcpy(&v, mem->data + addr, 4); /* wasm is little-endian, like the x86-64 host */
    return v;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 fd,
                                       u32 iovs, u32 iovs_len, u32 nwritten)
{
    wasm_rt_memory_t *mem = wasi->memory;
    if (fd != 1 && fd != 2)
        return WASI_EBADF;
    if (!in_bounds(mem, iovs, (uint64_t)iovs_len * 8) || !in_bounds(mem, nwritten, 4))
        return WASI_EFAULT;
    uint32_t total = 0;
    for (uint32_t i = 0; i < iovs_len; i++) {
        uint32_t buf = load32(mem, iovs + 8 * i), len = load32(mem, iovs + 8 * i + 4);
        if (!in_bounds(mem, buf, len))
            return WASI_EFAULT;
        uint32_t done = 0;
        while (done < len) {
            ssize_t n = write((int)fd, mem->data + buf + done, len - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return WASI_EIO;
            done += (uint32_t)n;
        }
        total += len;
    }
    memcpy(mem->data + nwritten, &total, 4);
    return WASI_ESUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_environ_sizes_get(struct Z_wasi_snapshot_preview1_instance_t *wasi,
                                                u32 count, u32 size)
{
    wasm_rt_memory_t *mem = wasi->memory;
    if (!in_bounds(mem, count, 4) || !in_bounds(mem, size, 4))
        return WASI_EFAULT;
    memset(mem->data + count, 0, 4);
    memset(mem->data + size, 0, 4);
    return WASI_ESUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_environ_get(struct Z_wasi_snapshot_preview1_instance_t *wasi,
                                          u32 environ, u32 buf)
{
    (void)wasi, (void)environ, (void)buf; /* no variables: nothing to write */
    return WASI_ESUCCESS;
}

void Z_wasi_snapshot_preview1Z_proc_exit(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 code)
{
    (void)wasi;
    _exit((int)code);
}

int main(void)
{
    static Z_kernel_instance_t instance;
    struct Z_wasi_snapshot_preview1_instance_t wasi = {NULL};
    wasm_rt_init();
    Z_kernel_init_module();
    Z_kernel_instantiate(&instance, &wasi);
    wasi.memory = Z_kernelZ_memory(&instance);
    int status = 0;
    wasm_rt_trap_t trap = wasm_rt_impl_try();
    if (trap == WASM_RT_TRAP_NONE) {
        Z_kernelZ__start(&instance);
    } else {
        fprintf(stderr, "wasm2c: trap: %s\n", wasm_rt_strerror(trap));
        status = 134;
    }
    Z_kernel_free(&instance);
    wasm_rt_free();
    return status;
}
