/* host.c -- 1000 live instances of one module in a module pool (argv[1] overrides the count).
 * kiln_module_pool_new prepares everything about counter.c's module once (descriptor checks,
 * signatures, the data image, every slot's records and guarded memory); kiln_pool_instantiate
 * then only fills a free slot. Each instance gets add(i) then add(1000000); its total must be
 * its own i + 1000000, which shows that no two instances share state. Then every instance and
 * the pool are freed. Exit status 0 on success. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "counter.h"

int main(int argc, char **argv)
{
    uint32_t count = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000;
    if (count == 0)
        return 2;
    /* 2 pages per instance is what clang's default layout needs (stack + data). */
    kiln_pool_config cfg = {.slots = count, .max_memory_pages = 16};
    kiln_pool *pool = NULL;
    kiln_status s = kiln_module_pool_new(&counter_module, &cfg, &pool);
    kiln_instance **insts = calloc(count, sizeof *insts);
    if (s != KILN_STATUS_OK || insts == NULL) {
        fprintf(stderr, "pool: %s %s\n", kiln_status_message(s), kiln_last_error());
        return 1;
    }
    int failures = 0;
    uint32_t made = 0;
    for (; made < count; made++) {
        kiln_trap trap = KILN_TRAP_NONE;
        s = kiln_pool_instantiate(pool, NULL, &insts[made], &trap);
        if (s != KILN_STATUS_OK) {
            fprintf(stderr, "instance %u: %s %s\n", made, kiln_status_message(s),
                    kiln_last_error());
            failures++;
            break;
        }
        int64_t total = 0;
        if (counter_add(insts[made], made, &total) != KILN_TRAP_NONE || total != made)
            failures++;
    }
    /* One more than the slots: the pool says so instead of growing. */
    kiln_instance *extra = NULL;
    s = kiln_pool_instantiate(pool, NULL, &extra, NULL);
    if (s != KILN_STATUS_POOL_EXHAUSTED) {
        fprintf(stderr, "FAIL: instance %u of %u slots: %s\n", count + 1, count,
                kiln_status_message(s));
        kiln_instance_free(extra);
        failures++;
    }
    for (uint32_t i = 0; i < made; i++) {
        int64_t total = 0;
        int32_t calls = 0;
        if (counter_add(insts[i], 1000000, &total) != KILN_TRAP_NONE ||
            counter_calls(insts[i], &calls) != KILN_TRAP_NONE || total != (int64_t)i + 1000000 ||
            calls != 2) {
            fprintf(stderr, "FAIL: instance %u: total %lld, %d calls\n", i, (long long)total,
                    (int)calls);
            failures++;
        }
        kiln_instance_free(insts[i]);
    }
    free(insts);
    kiln_pool_free(pool);
    printf("%u instances created, called and freed; %s\n", made,
           failures == 0 ? "every total was its own" : "FAILED");
    return failures == 0 ? 0 : 1;
}
