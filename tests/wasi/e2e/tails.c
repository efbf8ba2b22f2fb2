/* tails.c -- C that needs real tail calls. Built with clang's -mtail-call, every
 * [[clang::musttail]] return below becomes a return_call (direct) or return_call_indirect
 * (through the handler table): a threaded interpreter whose handlers jump to each other
 * 10^8 times, and a mutual recursion 10^8 deep. Without real tail calls each would exhaust
 * the stack and trap; with them the program prints the same lines as the native build
 * (expected/tails.out). test_e2e.sh runs it through kiln run and kiln build, with guard pages
 * and with --bounds-checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct vm {
    uint64_t acc;
    uint64_t loops;
} vm;

/* Several parameters of several types, as interpreters pass their registers around. */
typedef uint64_t (*handler)(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n);

static uint64_t op_add(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n);
static uint64_t op_mul(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n);
static uint64_t op_xor(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n);
static uint64_t op_loop(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n);
static uint64_t op_halt(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n);

/* volatile: the table is read at run time, so every dispatch stays an indirect call. */
static handler volatile table[] = {op_add, op_mul, op_xor, op_loop, op_halt};
static const uint8_t program[] = {0, 1, 2, 3, 4}; /* add mul xor loop halt */

#define DISPATCH(pc, x, f, n) __attribute__((musttail)) return table[*(pc)](m, (pc), (x), (f), (n))

static uint64_t op_add(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n)
{
    x += n;
    DISPATCH(pc + 1, x, f + 0.5, n + 1);
}

static uint64_t op_mul(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n)
{
    x *= 0x9E3779B97F4A7C15ull;
    DISPATCH(pc + 1, x, f, n);
}

static uint64_t op_xor(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n)
{
    x ^= x >> 29;
    DISPATCH(pc + 1, x, f, n);
}

static uint64_t op_loop(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n)
{
    if (--m->loops != 0)
        DISPATCH(program, x, f, n);
    DISPATCH(pc + 1, x, f, n);
}

static uint64_t op_halt(vm *m, const uint8_t *pc, uint64_t x, double f, uint32_t n)
{
    (void)pc;
    m->acc = x ^ (uint64_t)f ^ n;
    return m->acc;
}

static int is_odd(uint32_t n, uint32_t depth);

static int is_even(uint32_t n, uint32_t depth)
{
    if (n == 0)
        return (int)(depth & 1);
    __attribute__((musttail)) return is_odd(n - 1, depth + 1);
}

static int is_odd(uint32_t n, uint32_t depth)
{
    if (n == 0)
        return (int)(depth & 1) + 2;
    __attribute__((musttail)) return is_even(n - 1, depth + 1);
}

int main(int argc, char **argv)
{
    (void)argv;
    /* 25,000,000 rounds of four handlers + halt: 10^8 + 1 dispatches. argc keeps the count
     * from being folded. */
    vm m = {0, 25000000u + (uint64_t)argc - 1};
    uint64_t r = table[program[0]](&m, program, 1, 0.0, 7);
    printf("interpreter: %016llx (acc %016llx)\n", (unsigned long long)r,
           (unsigned long long)m.acc);
    printf("is_even(100000000): %d\n", is_even(100000000u + (uint32_t)argc - 1, 0));
    printf("is_even(100000001): %d\n", is_even(100000001u + (uint32_t)argc - 1, 0));
    return 0;
}
