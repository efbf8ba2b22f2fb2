/* counter.c -- per-instance state in linear memory: every instance has its own total. */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

static int64_t total;
static int32_t calls;

/* Adds amount to this instance's total; returns the new total. */
EXPORT("add") int64_t add(int64_t amount)
{
    calls++;
    total += amount;
    return total;
}

EXPORT("calls") int32_t get_calls(void)
{
    return calls;
}
