/* trap.c -- a WASI guest that traps: prints a line, then executes `unreachable`. */
#include <stdio.h>

__attribute__((noinline)) static void crash(void)
{
    __builtin_trap();
}

int main(void)
{
    puts("before the trap");
    fflush(stdout);
    crash();
    puts("not reached");
    return 0;
}
