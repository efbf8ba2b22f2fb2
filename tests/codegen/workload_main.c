/* workload_main.c -- runs workload.c twice, natively and as Wasm compiled by `kiln compile`
 * (prefix "workload"), and checks that every export returns exactly what the native code
 * does, for several arguments each. Exit status 1 on any difference or trap (tests/lib/check.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "../lib/check.h"
#include "workload.h"
#include "workload_native.h"

/* A result of the Wasm build (trap t, value got) against the native one. */
static void check(const char *what, kiln_trap t, uint64_t got, uint64_t want)
{
    if (CHECK_MSG(t == KILN_TRAP_NONE, "%s: trapped: %s", what, kiln_trap_message(t)))
        CHECK_MSG(got == want, "%s: wasm %" PRIx64 ", native %" PRIx64, what, got, want);
}

int main(void)
{
    kiln_instance *inst;
    if (!CHECK_MSG(kiln_instance_new(&workload_module, NULL, &inst) == KILN_STATUS_OK,
                   "instantiation failed: %s", kiln_last_error()))
        return check_finish();
    static const uint32_t seeds[] = {1, 42, 0xdeadbeef, 123456789};
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        uint32_t s = seeds[i], r32;
        int32_t i32 = 0;
        int64_t i64 = 0;
        kiln_trap t = workload_sha(inst, (int32_t)s, (int32_t)(s % 5000), &i32);
        check("sha", t, (uint32_t)i32, wl_sha(s, s % 5000));
        t = workload_sort(inst, (int32_t)s, (int32_t)(s % 4096), (int32_t)i, &i64);
        check("sort", t, (uint64_t)i64, wl_sort(s, s % 4096, (uint32_t)i));
        t = workload_matmul(inst, (int32_t)(8 + i * 8), &i64);
        check("matmul", t, (uint64_t)i64, wl_matmul((uint32_t)(8 + i * 8)));
        t = workload_crc(inst, (int32_t)s, 65536, &i32);
        check("crc", t, (uint32_t)i32, wl_crc(s, 65536));
        int64_t a = (int64_t)s * -977, b = (int64_t)s << 20;
        t = workload_divs(inst, a, b, &i64);
        check("divs", t, (uint64_t)i64, (uint64_t)wl_divs(a, b));
        t = workload_floats(inst, (int32_t)s, &i64);
        check("floats", t, (uint64_t)i64, wl_floats(s));
        t = workload_bytes(inst, (int32_t)s, &i32);
        check("bytes", t, (uint32_t)i32, wl_bytes(s));
        r32 = (uint32_t)i;
        t = workload_ack(inst, 2, (int32_t)(r32 + 3), &i32);
        check("ack", t, (uint32_t)i32, wl_ack(2, r32 + 3));
    }
    kiln_instance_free(inst);
    return check_finish();
}
