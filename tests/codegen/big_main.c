/* big_main.c -- runs the program gen_big.c writes twice: natively (bg_run) and as Wasm
 * compiled by `kiln compile` in several parts (prefix "big", big_run), and checks that
 * run(seed, depth) gives the same checksum for several arguments. run calls every function,
 * and each function calls a nearby one, a distant one (usually in another part) and one
 * through a function table, so every kind of call crosses the part boundaries. Exit status 1
 * on any difference or trap (tests/lib/check.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "../lib/check.h"
#include "big.h"

uint32_t bg_run(uint32_t seed, uint32_t depth);

int main(void)
{
    kiln_instance *inst;
    if (!CHECK_MSG(kiln_instance_new(&big_module, NULL, &inst) == KILN_STATUS_OK,
                   "instantiation failed: %s", kiln_last_error()))
        return check_finish();
    static const uint32_t seeds[] = {1, 42, 0xdeadbeef};
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        for (uint32_t depth = 0; depth <= 2; depth++) {
            int32_t got = 0;
            kiln_trap t = big_run(inst, (int32_t)seeds[i], (int32_t)depth, &got);
            uint32_t want = bg_run(seeds[i], depth);
            if (CHECK_MSG(t == KILN_TRAP_NONE, "run(%" PRIu32 ", %" PRIu32 "): trapped: %s",
                          seeds[i], depth, kiln_trap_message(t)))
                CHECK_MSG((uint32_t)got == want,
                          "run(%" PRIu32 ", %" PRIu32 "): wasm %08" PRIx32 ", native %08" PRIx32,
                          seeds[i], depth, (uint32_t)got, want);
        }
    }
    kiln_instance_free(inst);
    return check_finish();
}
