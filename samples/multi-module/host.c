/* host.c -- two wasm modules, one program: geometry (from .wat) computes, stats (from C)
 * accumulates. Exit status 0 when the results are the expected ones. */
#include <stdint.h>
#include <stdio.h>

#include "geometry.h"
#include "stats.h"

int main(void)
{
    kiln_instance *geo = NULL, *st = NULL;
    kiln_status s;
    if ((s = kiln_instance_new(&geometry_module, NULL, &geo)) != KILN_STATUS_OK ||
        (s = kiln_instance_new(&stats_module, NULL, &st)) != KILN_STATUS_OK) {
        fprintf(stderr, "instantiate: %s %s\n", kiln_status_message(s), kiln_last_error());
        return 1;
    }
    static const int64_t points[][2] = {{3, 4}, {6, 8}, {5, 12}, {8, 15}};
    int failures = 0;
    int32_t n = 0;
    if (stats_reset(st) != KILN_TRAP_NONE)
        failures++;
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        int64_t n2 = 0, len = 0;
        if (geometry_norm2(geo, points[i][0], points[i][1], &n2) != KILN_TRAP_NONE ||
            geometry_isqrt(geo, n2, &len) != KILN_TRAP_NONE ||
            stats_push(st, len, &n) != KILN_TRAP_NONE) {
            failures++;
            continue;
        }
        printf("|(%lld, %lld)| = %lld\n", (long long)points[i][0], (long long)points[i][1],
               (long long)len);
    }
    double m = 0;
    int64_t area = 0;
    if (stats_mean(st, &m) != KILN_TRAP_NONE || n != 4 || m != 11.25)
        failures++;
    if (geometry_area2(geo, 0, 0, 4, 0, 0, 3, &area) != KILN_TRAP_NONE || area != 12)
        failures++;
    printf("mean length %.2f over %d points, triangle area %lld/2\n", m, (int)n, (long long)area);

    /* A trap in one module leaves both usable. */
    int64_t r = 0;
    kiln_trap t = geometry_isqrt(geo, -1, &r);
    printf("isqrt(-1): %s\n", kiln_trap_message(t));
    if (t != KILN_TRAP_UNREACHABLE || stats_push(st, 1, &n) != KILN_TRAP_NONE || n != 5)
        failures++;

    kiln_instance_free(geo);
    kiln_instance_free(st);
    if (failures)
        fprintf(stderr, "FAIL: %d unexpected results\n", failures);
    return failures == 0 ? 0 : 1;
}
