/* fannkuch.c -- fannkuch-redux: pancake flips over every permutation of n elements. */
#include "bench.h"

#define N 10

static void fannkuch(int n, int *checksum_out, int *max_flips_out)
{
    int perm[16], perm1[16], count[16];
    int max_flips = 0, checksum = 0, perm_count = 0, r = n;
    for (int i = 0; i < n; i++)
        perm1[i] = i;
    for (;;) {
        while (r != 1) {
            count[r - 1] = r;
            r--;
        }
        for (int i = 0; i < n; i++)
            perm[i] = perm1[i];
        int flips = 0;
        int k;
        while ((k = perm[0]) != 0) {
            for (int i = 0, j = k; i < j; i++, j--) {
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            flips++;
        }
        if (flips > max_flips)
            max_flips = flips;
        checksum += (perm_count % 2 == 0) ? flips : -flips;
        for (;;) {
            if (r == n) {
                *checksum_out = checksum;
                *max_flips_out = max_flips;
                return;
            }
            int perm0 = perm1[0];
            for (int i = 0; i < r; i++)
                perm1[i] = perm1[i + 1];
            perm1[r] = perm0;
            count[r]--;
            if (count[r] > 0)
                break;
            r++;
        }
        perm_count++;
    }
}

int main(void)
{
    uint64_t h = 0;
    for (int rep = 0; rep < 1; rep++) {
        int checksum, max_flips;
        fannkuch(N * (int)bench_one, &checksum, &max_flips);
        h = bench_mix(h, (uint32_t)checksum);
        h = bench_mix(h, (uint32_t)max_flips);
    }
    return bench_report("fannkuch", h);
}
