/* interp.c -- a bytecode interpreter loop: a small stack machine with a switch dispatch,
 * running a program of nested loops, arithmetic and a call/return. */
#include "bench.h"

enum op {
    OP_PUSH,
    OP_LOAD,
    OP_STORE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_AND,
    OP_XOR,
    OP_SHR,
    OP_LT,
    OP_JZ,
    OP_JMP,
    OP_CALL,
    OP_RET,
    OP_DUP,
    OP_POP,
    OP_HALT,
};

struct insn {
    uint8_t op;
    int32_t arg;
};

/* locals: 0 = i, 1 = n, 2 = acc, 3 = j. The comments give each row's first index. */
static const struct insn program[] = {
    /*  0 */ {OP_PUSH, 0},
    {OP_STORE, 0}, /* i = 0 */
    /*  2 */ {OP_LOAD, 0},
    {OP_LOAD, 1},
    {OP_LT, 0},
    {OP_JZ, 49}, /* loop: while (i < n) */
    /*  6 */ {OP_LOAD, 2},
    {OP_PUSH, 31},
    {OP_MUL, 0},
    /*  9 */ {OP_LOAD, 0},
    {OP_LOAD, 0},
    {OP_PUSH, 3},
    {OP_SHR, 0},
    {OP_XOR, 0},
    {OP_ADD, 0},
    /* 15 */ {OP_PUSH, 0x7fffffff},
    {OP_AND, 0},
    {OP_STORE, 2}, /* acc = (acc*31 + (i^i>>3)) & M */
    /* 18 */ {OP_LOAD, 0},
    {OP_PUSH, 7},
    {OP_AND, 0},
    {OP_JZ, 27}, /* every 8th i: call */
    /* 22 */ {OP_LOAD, 0},
    {OP_PUSH, 1},
    {OP_ADD, 0},
    {OP_STORE, 0},
    {OP_JMP, 2}, /* next: i++ */
    /* 27 */ {OP_CALL, 29},
    {OP_JMP, 22},
    /* 29: function */ {OP_PUSH, 0},
    {OP_STORE, 3}, /* j = 0 */
    /* 31 */ {OP_LOAD, 3},
    {OP_PUSH, 4},
    {OP_LT, 0},
    {OP_JZ, 48}, /* while (j < 4) */
    /* 35 */ {OP_LOAD, 2},
    {OP_DUP, 0},
    {OP_PUSH, 5},
    {OP_SHR, 0},
    {OP_SUB, 0},
    /* 40 */ {OP_LOAD, 3},
    {OP_ADD, 0},
    {OP_STORE, 2}, /* acc = acc - (acc>>5) + j */
    /* 43 */ {OP_LOAD, 3},
    {OP_PUSH, 1},
    {OP_ADD, 0},
    {OP_STORE, 3},
    {OP_JMP, 31},
    /* 48 */ {OP_RET, 0},
    /* 49 */ {OP_HALT, 0},
};

static int64_t run(const struct insn *code, int64_t n)
{
    int64_t stack[64], locals[4] = {0, n, 1, 0};
    int ret_stack[16];
    int sp = 0, rsp = 0, pc = 0;
    for (;;) {
        const struct insn in = code[pc++];
        switch (in.op) {
        case OP_PUSH:
            stack[sp++] = in.arg;
            break;
        case OP_LOAD:
            stack[sp++] = locals[in.arg];
            break;
        case OP_STORE:
            locals[in.arg] = stack[--sp];
            break;
        case OP_ADD:
            sp--;
            stack[sp - 1] += stack[sp];
            break;
        case OP_SUB:
            sp--;
            stack[sp - 1] -= stack[sp];
            break;
        case OP_MUL:
            sp--;
            stack[sp - 1] *= stack[sp];
            break;
        case OP_AND:
            sp--;
            stack[sp - 1] &= stack[sp];
            break;
        case OP_XOR:
            sp--;
            stack[sp - 1] ^= stack[sp];
            break;
        case OP_SHR:
            sp--;
            stack[sp - 1] >>= stack[sp];
            break;
        case OP_LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_JZ:
            if (stack[--sp] == 0)
                pc = in.arg;
            break;
        case OP_JMP:
            pc = in.arg;
            break;
        case OP_CALL:
            ret_stack[rsp++] = pc;
            pc = in.arg;
            break;
        case OP_RET:
            pc = ret_stack[--rsp];
            break;
        case OP_DUP:
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case OP_POP:
            sp--;
            break;
        case OP_HALT:
            return locals[2] ^ (int64_t)sp << 40;
        default:
            return -1;
        }
    }
}

int main(void)
{
    uint64_t h = 0;
    for (int r = 0; r < 3; r++) {
        int64_t n = 2200000 * (int64_t)bench_one + r;
        h = bench_mix(h, (uint64_t)run(program, n));
    }
    return bench_report("interp", h);
}
