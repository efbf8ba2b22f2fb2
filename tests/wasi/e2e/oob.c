/* oob.c -- a WASI guest that traps with an out-of-bounds load (a fault in the guard region,
 * claimed by the runtime's signal handler, in a built executable and in a dlopen'ed module). */
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    puts("before the fault");
    fflush(stdout);
    volatile int *p = (volatile int *)(uintptr_t)(0xfffffff0u - (unsigned)argc);
    printf("%d\n", *p);
    return 0;
}
