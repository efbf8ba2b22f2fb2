/* memories_e2e.c -- end-to-end test of several memories, one of them 64-bit (multi-memory and
 * memory64, Wasm 3.0): memories.wat compiled by `kiln compile` (kiln_cg) with prefix memories,
 * in guard-page and bounds-checked mode, at -O0 and -O2. Each memory keeps its own bytes and
 * bounds; the bulk operations move bytes between them with the spec's checks (nothing moves
 * when a range is out of bounds); the 64-bit memory takes addresses past 2^32 and traps on
 * them, with no wrap-around of address + offset; size and grow work per memory. The exported
 * memories are reached through the header's accessors. Checks: tests/lib/check.h.
 */
#include <stdint.h>
#include <string.h>

#include "../lib/check.h"
#include "memories.h"

#define PAGE 65536u

int main(void)
{
    kiln_instance *inst = NULL;
    kiln_status s = kiln_instance_new(&memories_module, NULL, &inst);
    if (!CHECK_MSG(s == KILN_STATUS_OK, "instantiating: %s", kiln_status_message(s)))
        return check_finish();
    kiln_memory *small = memories_small_memory(inst);
    kiln_memory *big = memories_big_memory(inst);
    CHECK(small != NULL && big != NULL && small != big);
    EXPECT_UINT(small->size, PAGE);
    EXPECT_UINT(big->size, 2 * PAGE);
    CHECK(small->base.p != big->base.p);
    uint8_t *sb = small->base.p, *bb = big->base.p;

    /* The data segments went to their own memories. */
    EXPECT_MEM(bb + 0x1fffc, "wxyz", 4);
    EXPECT_CALL(int32_t, 'k', memories_load_data(inst, 100, &out_));
    EXPECT_CALL(int32_t, 0, memories_load_small(inst, 100, &out_));

    /* Loads and stores: each memory its own bytes and bounds. */
    EXPECT_TRAP(memories_store_small(inst, 8, 0x01020304), KILN_TRAP_NONE);
    EXPECT_UINT(sb[8], 4);
    EXPECT_CALL(int32_t, 0x01020304, memories_load_small(inst, 8, &out_));
    EXPECT_CALL(int32_t, 0, memories_load_big(inst, 8, &out_));
    EXPECT_CALL(int32_t, 0x7a797877, memories_load_big(inst, 0x1fffc, &out_));
    EXPECT_TRAP(memories_load_big(inst, 0x1fffd, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_load_small(inst, PAGE - 3, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_CALL(int32_t, 0, memories_load_small(inst, PAGE - 4, &out_));
    /* 64-bit addresses: past 2^32, and wrapping ones, trap; address + offset never wraps. */
    EXPECT_TRAP(memories_load_big(inst, (int64_t)1 << 32, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_load_big(inst, -4, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_load_big(inst, INT64_MIN, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_load_big_off(inst, 0, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_load_big_off(inst, -0xffffffffLL, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_store_big(inst, 2 * PAGE - 8, 0x1122334455667788), KILN_TRAP_NONE);
    EXPECT_MEM(bb + 2 * PAGE - 8, "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
    EXPECT_TRAP(memories_store_big(inst, 2 * PAGE - 7, 1), KILN_TRAP_MEMORY_OOB);
    EXPECT_UINT(bb[2 * PAGE - 7], 0x77); /* a trapping store writes nothing */

    /* One value through every memory. */
    EXPECT_CALL(int32_t, 'i', memories_chain(inst, 40, 101, 0x10000, &out_));
    EXPECT_UINT(sb[40], 'i');
    EXPECT_UINT(bb[0x10000], 'i');

    /* Bulk operations between memories, 32-bit and 64-bit operands. */
    EXPECT_TRAP(memories_copy_data_to_big(inst, 500, 100, 4), KILN_TRAP_NONE);
    EXPECT_MEM(bb + 500, "kiln", 4);
    EXPECT_TRAP(memories_copy_big_to_small(inst, 1000, 500, 4), KILN_TRAP_NONE);
    EXPECT_MEM(sb + 1000, "kiln", 4);
    EXPECT_TRAP(memories_copy_data_to_big(inst, 2 * PAGE - 2, 100, 4), KILN_TRAP_MEMORY_OOB);
    EXPECT_MEM(bb + 2 * PAGE - 2, "\x22\x11", 2); /* nothing moved */
    EXPECT_TRAP(memories_copy_data_to_big(inst, 0, PAGE - 2, 4), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_copy_big_to_small(inst, 0, -1, 1), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_copy_big_to_small(inst, PAGE, 0, 0), KILN_TRAP_NONE);
    EXPECT_TRAP(memories_copy_big_to_small(inst, PAGE + 1, 0, 0), KILN_TRAP_MEMORY_OOB);
    EXPECT_TRAP(memories_fill_big(inst, 600, 0xab, 3), KILN_TRAP_NONE);
    EXPECT_MEM(bb + 600, "\xab\xab\xab\x00", 4);
    EXPECT_TRAP(memories_fill_big(inst, 1, 0xcd, -1), KILN_TRAP_MEMORY_OOB);
    EXPECT_UINT(bb[1], 0);
    EXPECT_TRAP(memories_fill_big(inst, 2 * PAGE, 0xcd, 0), KILN_TRAP_NONE);

    /* Size and grow, each memory its own; the 64-bit one in i64 pages. */
    EXPECT_CALL(int64_t, 2, memories_size_big(inst, &out_));
    EXPECT_CALL(int32_t, 1, memories_size_data(inst, &out_));
    EXPECT_CALL(int64_t, 2, memories_grow_big(inst, 1, &out_));
    EXPECT_CALL(int64_t, 3, memories_size_big(inst, &out_));
    EXPECT_UINT(big->size, 3 * PAGE);
    EXPECT_CALL(int64_t, -1, memories_grow_big(inst, 2, &out_)); /* over the maximum, 4 */
    EXPECT_CALL(int64_t, -1, memories_grow_big(inst, (int64_t)1 << 40, &out_));
    EXPECT_CALL(int64_t, -1, memories_grow_big(inst, -1, &out_));
    EXPECT_CALL(int32_t, -1, memories_grow_small(inst, 1, &out_));
    EXPECT_CALL(int32_t, 1, memories_size_data(inst, &out_));
    EXPECT_CALL(int32_t, 0, memories_load_big(inst, 3 * PAGE - 4, &out_)); /* grown, zeroed */
    EXPECT_TRAP(memories_load_big(inst, 3 * PAGE - 3, &(int32_t){0}), KILN_TRAP_MEMORY_OOB);
    EXPECT_CALL(int32_t, 'k', memories_load_data(inst, 100, &out_));

    kiln_instance_free(inst);
    return check_finish();
}
