/* stats.c -- a running mean over pushed samples, compiled to wasm by add_wasm_module().
 * The exports are named in CMakeLists.txt (EXPORTS mean push reset) instead of with
 * export_name attributes. The state lives in the instance's linear memory. */
#include <stdint.h>

static int64_t sum;
static int32_t count;

void reset(void);
int32_t push(int64_t value);
double mean(void);

void reset(void)
{
    sum = 0;
    count = 0;
}

/* Adds a sample; returns how many there are now. */
int32_t push(int64_t value)
{
    sum += value;
    return ++count;
}

/* The mean of the samples so far (0 when there are none). */
double mean(void)
{
    return count == 0 ? 0.0 : (double)sum / count;
}
