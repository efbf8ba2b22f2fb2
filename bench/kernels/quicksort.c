/* quicksort.c -- an in-place quicksort (median of three, insertion sort below 16). */
#include <stdlib.h>

#include "bench.h"

#define COUNT  1200000
#define ROUNDS 3

static void insertion(uint32_t *a, long lo, long hi)
{
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(uint32_t *a, long i, long j)
{
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(uint32_t *a, long lo, long hi)
{
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo])
            swap(a, mid, lo);
        if (a[hi] < a[lo])
            swap(a, hi, lo);
        if (a[hi] < a[mid])
            swap(a, hi, mid);
        uint32_t pivot = a[mid];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                swap(a, i, j);
                i++;
                j--;
            }
        }
        /* recurse into the smaller half, loop on the larger: O(log n) stack */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion(a, lo, hi);
}

int main(void)
{
    long n = COUNT * (long)bench_one;
    uint32_t *a = malloc(sizeof(uint32_t) * n);
    if (!a)
        return 2;
    uint64_t seed = 12345, h = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (long i = 0; i < n; i++)
            a[i] = (uint32_t)(bench_rand(&seed) >> 32) % (r == 2 ? 1000u : 0xffffffffu);
        quicksort(a, 0, n - 1);
        for (long i = 1; i < n; i++)
            if (a[i - 1] > a[i])
                return 3;
        for (long i = 0; i < n; i += 1021)
            h = bench_mix(h, a[i]);
    }
    return bench_report("quicksort", h);
}
