/* mandelbrot.c -- the Mandelbrot set as a bitmap, 50 iterations per point. */
#include "bench.h"

#define SIZE 2000
#define ITER 50

int main(void)
{
    int w = SIZE * (int)bench_one, hgt = SIZE;
    uint64_t h = 0;
    uint32_t inside = 0;
    for (int y = 0; y < hgt; y++) {
        double ci = 2.0 * y / hgt - 1.0;
        uint8_t bits = 0;
        for (int x = 0; x < w; x++) {
            double cr = 2.0 * x / w - 1.5;
            double zr = 0, zi = 0, tr = 0, ti = 0;
            int i = 0;
            for (; i < ITER && tr + ti <= 4.0; i++) {
                zi = 2.0 * zr * zi + ci;
                zr = tr - ti + cr;
                tr = zr * zr;
                ti = zi * zi;
            }
            bits = (uint8_t)(bits << 1 | (i == ITER));
            inside += i == ITER;
            if ((x & 7) == 7) {
                h = bench_mix(h, bits);
                bits = 0;
            }
        }
    }
    h = bench_mix(h, inside);
    return bench_report("mandelbrot", h);
}
