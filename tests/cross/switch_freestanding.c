/* switch_freestanding.c -- runtime/stack_switch_ARCH.S on its own, for every CPU it is
 * written for, without a C library (test_stack_switch.sh builds it with clang-19 for each
 * target and runs it under qemu-user): a coroutine on a static stack and the program's own
 * stack pass values back and forth 1,000 times while both keep integer and floating-point
 * values live across every switch (the compiler keeps them in callee-saved registers, which
 * the switch must preserve). Prints "stack switch ok" and exits 0, or prints what differed
 * and exits 1. _start and the two system calls it makes (write, exit) are per CPU below.
 */
#include <stddef.h>
#include <stdint.h>

void *kiln_stack_switch(void **from, void *to, void *arg);
void *kiln_stack_prepare(void *top, void (*fn)(void *));

static long sys2(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = nr, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
                     x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
#elif defined(__riscv)
    register long a7 __asm__("a7") = nr, a0 __asm__("a0") = a, a1 __asm__("a1") = b,
                     a2 __asm__("a2") = c;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
    return a0;
#elif defined(__arm__)
    register long r7 __asm__("r7") = nr, r0 __asm__("r0") = a, r1 __asm__("r1") = b,
                     r2 __asm__("r2") = c;
    __asm__ volatile("svc 0" : "+r"(r0) : "r"(r7), "r"(r1), "r"(r2) : "memory");
    return r0;
#endif
}

#if defined(__x86_64__)
enum { SYS_WRITE = 1, SYS_EXIT = 60 };
#elif defined(__arm__)
enum { SYS_WRITE = 4, SYS_EXIT = 1 };
#else
enum { SYS_WRITE = 64, SYS_EXIT = 93 };
#endif

static void say(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    sys2(SYS_WRITE, 1, (long)s, (long)n);
}

static void *main_sp, *co_sp;
static _Alignas(16) char co_stack[16384];
/* Floating-point values where the CPU has registers for them (soft-float targets call
 * library helpers this program does not link). */
#if defined(__x86_64__) || defined(__aarch64__) ||                                                 \
    (defined(__riscv_flen) && __riscv_flen >= 64) || (defined(__ARM_FP) && (__ARM_FP & 8))
typedef double real;
#elif (defined(__riscv_flen) && __riscv_flen == 32) || (defined(__ARM_FP) && (__ARM_FP & 4))
typedef float real;
#else
typedef long real;
#endif

static volatile long seed = 3;
static volatile real fseed = 2;
static int failures;

/* The coroutine: gets k, answers k + 1000, expects k + 1 next; keeps its own live values. */
static void co_main(void *arg)
{
    long a = seed * 7, b = seed * 11, c = seed * 13;
    real x = fseed * 3, y = fseed * 5;
    long expect = (long)(intptr_t)arg;
    for (;;) {
        long next =
            (long)(intptr_t)kiln_stack_switch(&co_sp, main_sp, (void *)(intptr_t)(expect + 1000));
        if (next != expect + 1 || a != seed * 7 || b != seed * 11 || c != seed * 13 ||
            x != fseed * 3 || y != fseed * 5) {
            say("coroutine: wrong value after a switch\n");
            failures++;
        }
        expect = next;
        a += 0, b += 0, c += 0;
        x *= 1, y *= 1;
    }
}

static int run(void)
{
    long a = seed, b = seed * 2, c = seed * 3, d = seed * 4, e = seed * 5, f = seed * 6;
    real x = fseed, y = fseed * 2, z = fseed * 3, w = fseed * 4;
    co_sp = kiln_stack_prepare(co_stack + sizeof co_stack, co_main);
    long r = (long)(intptr_t)kiln_stack_switch(&main_sp, co_sp, (void *)(intptr_t)0);
    for (long i = 1; i <= 1000; i++) {
        if (r != i - 1 + 1000) {
            say("main: the coroutine answered a wrong value\n");
            return 1;
        }
        r = (long)(intptr_t)kiln_stack_switch(&main_sp, co_sp, (void *)(intptr_t)i);
        if (a != seed || b != seed * 2 || c != seed * 3 || d != seed * 4 || e != seed * 5 ||
            f != seed * 6 || x != fseed || y != fseed * 2 || z != fseed * 3 || w != fseed * 4) {
            say("main: a callee-saved register changed across a switch\n");
            return 1;
        }
        a += 0, b += 0, c += 0, d += 0, e += 0, f += 0;
        x *= 1, y *= 1, z *= 1, w *= 1;
    }
    if (r != 2000 || failures)
        return 1;
    say("stack switch ok\n");
    return 0;
}

#if defined(__x86_64__)
__attribute__((force_align_arg_pointer))
#endif
void _start(void);
void _start(void)
{
    sys2(SYS_EXIT, run(), 0, 0);
    for (;;)
        ;
}
