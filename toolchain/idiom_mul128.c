/* idiom_mul128.c -- recognising a 64 x 64 -> 128-bit multiply by what it computes.
 *
 * WebAssembly has no 64x64->128 multiply, so compilers lower `unsigned __int128` and `u128`
 * products to a call of a helper, __multi3(ret, a_lo, a_hi, b_lo, b_hi), which stores the
 * low 128 bits of (a_hi:a_lo) * (b_hi:b_lo) at ret (low half) and ret + 8 (high half),
 * computed from 32-bit halves with 64-bit multiplies. Each toolchain's copy (compiler-rt's
 * multi3.c built by one clang or another, Rust's compiler-builtins) has its own instruction
 * order, locals and association, so this file does not compare bytes: it proves that a
 * function computes the product, whatever its encoding, and lowering then emits one
 * `mul i128` (lower.c).
 *
 * The proof is algebraic. The body must be straight-line code over its parameters with
 * i64 add, sub, mul, shl and shr_u by constants, and with a mask 2^k - 1, or of disjoint
 * bits, lt_u/gt_u carries of an add, i64.extend_i32_u, constants and locals, ending in two
 * i64 stores to memory 0 at ret (+ constants). Every i64 value is a polynomial with integer
 * coefficients (kept mod 2^128) over variables that the machine value equals exactly, with
 * an upper bound of that value and its known trailing zero bits:
 *   - the parameters a_lo, a_hi, b_lo, b_hi are variables of bound 2^64 - 1;
 *   - splitting a value P at bit k makes two variables H (P >> k) and L (its low k bits),
 *     with the relation P = 2^k H + L, the same pair for the same P and k: `v >> k` is H,
 *     `v & (2^k - 1)` is L; an add, sub or mul whose bound reaches 2^64 is the L of the exact
 *     result split at 64 (the machine keeps its low 64 bits), `v << k` that overflows is
 *     2^k times the L of v split at 64 - k;
 *   - `s <u x` where s is the low half of an add x + y (either order) of values below 2^64
 *     is the add's carry, the H of that split;
 *   - `x | y` is x + y when y's bound is below 2^(x's trailing zeros), or the other way.
 * At the end the stores give lo (at ret) and hi (at ret + 8); then lo + 2^64 hi minus
 * (a_lo + 2^64 a_hi)(b_lo + 2^64 b_hi) is computed mod 2^128, every L replaced by P - 2^k H
 * (latest first, so none is left), and the result must be the zero polynomial. A zero
 * polynomial is zero for every value of its variables, the real ones included, so a match is
 * a proof; anything the method cannot see through (another algorithm, a helper call, more
 * terms than it keeps) is simply not recognised and lowered as written. Traps stay the same:
 * the stores keep their order, addresses and offsets (lower.c).
 */
#include <stdlib.h>
#include <string.h>

#include "lower.h"

typedef unsigned __int128 u128;

#define MAX_DEGREE 4  /* variables per monomial */
#define MAX_TERMS  48 /* terms per polynomial */
#define MAX_STACK  16 /* operand stack depth */
#define MAX_LOCALS 64 /* parameters and locals */
#define MAX_SPLITS 24 /* (H, L) pairs */
#define MAX_VARS   (5 + 2 * MAX_SPLITS)

typedef struct term {
    uint8_t v[MAX_DEGREE]; /* variables, ascending, 0 = none (a constant has none) */
    u128 c;                /* coefficient mod 2^128, never 0 */
} term;

typedef struct poly {
    uint32_t n;
    term t[MAX_TERMS];
} poly;

/* An operand: an i64 value, or an i32 address ret + add (the only i32 values allowed). */
typedef struct value {
    enum { V_NONE, V_I64, V_I32_CARRY, V_I32_CONST, V_ADDR } kind;
    u128 bound;  /* of the machine value (V_I64, V_I32_CARRY) */
    unsigned tz; /* known trailing zero bits of the machine value (64 for 0) */
    int32_t i32; /* V_I32_CONST: the constant; V_ADDR: what was added to ret */
    poly *p;     /* V_I64, V_I32_CARRY (a carry: 0 or 1): the value */
} value;

typedef struct split {
    poly p; /* split at bit k: p = 2^k H + L */
    unsigned k;
    uint8_t h, l;
    bool sum;  /* p = x + y, both below 2^64, split at 64: H is the add's carry */
    poly x, y; /* if sum */
} split;

typedef struct matcher {
    value stack[MAX_STACK];
    uint32_t sp;
    value locals[MAX_LOCALS];
    split splits[MAX_SPLITS];
    uint32_t split_count;
    uint8_t next_var;
    poly pool[MAX_STACK + MAX_LOCALS + 8]; /* polynomials of values, recycled by index */
    bool used[MAX_STACK + MAX_LOCALS + 8];
    bool stored[2]; /* low, high */
    value halves[2];
    lower_mul128 plan;
    uint32_t stores;
} matcher;

/* ---- Polynomials ---- */

static int cmp_mono(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, MAX_DEGREE);
}

static int cmp_term(const void *a, const void *b)
{
    return cmp_mono(((const term *)a)->v, ((const term *)b)->v);
}

/* Sorts, merges equal monomials and drops zero coefficients. */
static void normalise(poly *p)
{
    qsort(p->t, p->n, sizeof p->t[0], cmp_term);
    uint32_t out = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        if (out > 0 && cmp_mono(p->t[out - 1].v, p->t[i].v) == 0)
            p->t[out - 1].c += p->t[i].c;
        else
            p->t[out++] = p->t[i];
        if (p->t[out - 1].c == 0)
            out--;
    }
    p->n = out;
}

static bool add_term(poly *p, const uint8_t *v, u128 c)
{
    if (c == 0)
        return true;
    for (uint32_t i = 0; i < p->n; i++)
        if (cmp_mono(p->t[i].v, v) == 0) {
            p->t[i].c += c;
            return true;
        }
    if (p->n == MAX_TERMS)
        return false;
    memcpy(p->t[p->n].v, v, MAX_DEGREE);
    p->t[p->n++].c = c;
    return true;
}

static void set_const(poly *p, u128 c)
{
    static const uint8_t none[MAX_DEGREE];
    p->n = 0;
    add_term(p, none, c);
}

static void set_var(poly *p, uint8_t var)
{
    uint8_t v[MAX_DEGREE] = {var};
    p->n = 0;
    add_term(p, v, 1);
}

/* out = a + scale * b (out may be a). */
static bool poly_add(poly *out, const poly *a, const poly *b, u128 scale)
{
    if (out != a)
        *out = *a;
    for (uint32_t i = 0; i < b->n; i++)
        if (!add_term(out, b->t[i].v, b->t[i].c * scale))
            return false;
    normalise(out);
    return true;
}

/* The product of two monomials, or false if it has more than MAX_DEGREE variables. */
static bool mono_mul(const uint8_t *a, const uint8_t *b, uint8_t *out)
{
    uint8_t all[2 * MAX_DEGREE];
    unsigned n = 0;
    for (unsigned i = 0; i < MAX_DEGREE; i++) {
        if (a[i])
            all[n++] = a[i];
        if (b[i])
            all[n++] = b[i];
    }
    if (n > MAX_DEGREE)
        return false;
    for (unsigned i = 1; i < n; i++) /* insertion sort */
        for (unsigned j = i; j > 0 && all[j - 1] > all[j]; j--) {
            uint8_t t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    memset(out, 0, MAX_DEGREE);
    memcpy(out, all, n);
    return true;
}

/* out = a * b (out distinct from both). */
static bool poly_mul(poly *out, const poly *a, const poly *b)
{
    out->n = 0;
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = 0; j < b->n; j++) {
            uint8_t v[MAX_DEGREE];
            if (!mono_mul(a->t[i].v, b->t[j].v, v) || !add_term(out, v, a->t[i].c * b->t[j].c))
                return false;
        }
    normalise(out);
    return true;
}

static bool poly_equal(const poly *a, const poly *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (cmp_mono(a->t[i].v, b->t[i].v) != 0 || a->t[i].c != b->t[i].c)
            return false;
    return true;
}

/* p with every occurrence of variable var replaced by q; scratch holds MAX_DEGREE + 1
 * polynomials. */
static bool substitute(poly *p, uint8_t var, const poly *q, poly *scratch)
{
    poly *result = &scratch[0], *acc = &scratch[1], *tmp = &scratch[2];
    result->n = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        uint8_t rest[MAX_DEGREE] = {0};
        unsigned n = 0, power = 0;
        for (unsigned j = 0; j < MAX_DEGREE; j++) {
            if (p->t[i].v[j] == var)
                power++;
            else if (p->t[i].v[j])
                rest[n++] = p->t[i].v[j];
        }
        acc->n = 0;
        if (!add_term(acc, rest, p->t[i].c))
            return false;
        for (unsigned e = 0; e < power; e++) {
            if (!poly_mul(tmp, acc, q))
                return false;
            *acc = *tmp;
        }
        if (!poly_add(result, result, acc, 1))
            return false;
    }
    *p = *result;
    return true;
}

/* ---- Values ---- */

static poly *new_poly(matcher *mt)
{
    for (size_t i = 0; i < sizeof mt->used; i++)
        if (!mt->used[i]) {
            mt->used[i] = true;
            mt->pool[i].n = 0;
            return &mt->pool[i];
        }
    return NULL;
}

static void drop_value(matcher *mt, value *v)
{
    if ((v->kind == V_I64 || v->kind == V_I32_CARRY) && v->p != NULL)
        mt->used[v->p - mt->pool] = false;
    memset(v, 0, sizeof *v);
}

/* A copy of v with a polynomial of its own. */
static bool copy_value(matcher *mt, const value *v, value *out)
{
    *out = *v;
    if (v->kind != V_I64 && v->kind != V_I32_CARRY)
        return true;
    out->p = new_poly(mt);
    if (out->p == NULL)
        return false;
    *out->p = *v->p;
    return true;
}

static unsigned ctz128(u128 c)
{
    unsigned n = 0;
    while (n < 64 && !(c & 1)) {
        c >>= 1;
        n++;
    }
    return n;
}

static bool i64_const(matcher *mt, uint64_t c, value *out)
{
    memset(out, 0, sizeof *out);
    out->kind = V_I64;
    out->p = new_poly(mt);
    if (out->p == NULL)
        return false;
    set_const(out->p, c);
    out->bound = c;
    out->tz = c == 0 ? 64 : ctz128(c);
    return true;
}

#define U64_MAX_128 ((u128)UINT64_MAX)

static u128 sat_add(u128 a, u128 b)
{
    return a + b < a ? ~(u128)0 : a + b;
}

static u128 sat_mul(u128 a, u128 b)
{
    if (a != 0 && b > ~(u128)0 / a)
        return ~(u128)0;
    return a * b;
}

/* The (H, L) pair of polynomial p split at bit k: the same as before for the same p and k. */
static split *split_of(matcher *mt, const poly *p, unsigned k)
{
    for (uint32_t i = 0; i < mt->split_count; i++)
        if (mt->splits[i].k == k && poly_equal(&mt->splits[i].p, p))
            return &mt->splits[i];
    if (mt->split_count == MAX_SPLITS || mt->next_var + 2 > MAX_VARS)
        return NULL;
    split *s = &mt->splits[mt->split_count++];
    memset(s, 0, sizeof *s);
    s->p = *p;
    s->k = k;
    s->h = mt->next_var++;
    s->l = mt->next_var++;
    return s;
}

/* v >> k (high) or v & (2^k - 1) (low), in place (0 < k < 64). */
static bool split_value(matcher *mt, value *v, unsigned k, bool high)
{
    u128 limit = (u128)1 << k;
    if (v->bound < limit) { /* nothing at bit k or above: v >> k is 0, v & mask is v */
        if (high) {
            set_const(v->p, 0);
            v->bound = 0;
            v->tz = 64;
        }
        return true;
    }
    split *s = split_of(mt, v->p, k);
    if (s == NULL)
        return false;
    set_var(v->p, high ? s->h : s->l);
    v->bound = high ? v->bound >> k : limit - 1;
    v->tz = 0;
    return true;
}

/* What the machine keeps of v, whose polynomial is the exact result of an operation of
 * bound v->bound: itself below 2^64, else its low 64 bits (the L of a split at 64). */
static split *wrap(matcher *mt, value *v)
{
    if (v->bound <= U64_MAX_128)
        return NULL;
    split *s = split_of(mt, v->p, 64);
    if (s == NULL)
        return NULL;
    set_var(v->p, s->l);
    v->bound = U64_MAX_128;
    return s;
}

/* Whether every bit x may have is below y's known trailing zeros (then x | y == x + y). */
static bool below_zeros(const value *x, const value *y)
{
    return y->tz >= 64 || x->bound < ((u128)1 << y->tz);
}

/* The carry of an add whose low half is s and one of whose operands is x: s <u x. */
static bool carry_of(matcher *mt, const value *s, const value *x, value *out)
{
    if (s->kind != V_I64 || x->kind != V_I64 || s->p->n != 1 || s->p->t[0].c != 1)
        return false;
    uint8_t var = s->p->t[0].v[0];
    if (s->p->t[0].v[1] != 0)
        return false;
    for (uint32_t i = 0; i < mt->split_count; i++) {
        const split *sp = &mt->splits[i];
        if (sp->sum && sp->l == var && (poly_equal(&sp->x, x->p) || poly_equal(&sp->y, x->p))) {
            memset(out, 0, sizeof *out);
            out->kind = V_I32_CARRY;
            out->p = new_poly(mt);
            if (out->p == NULL)
                return false;
            set_var(out->p, sp->h);
            out->bound = 1;
            return true;
        }
    }
    return false;
}

static bool binary(matcher *mt, uint16_t op, value *l, value *r)
{
    if (l->kind != V_I64 || r->kind != V_I64)
        return false;
    poly tmp;
    switch (op) {
    case WASM_OP_I64_OR:
        if (!below_zeros(r, l) && !below_zeros(l, r))
            return false; /* bits that may overlap: not an add */
        if (!poly_add(l->p, l->p, r->p, 1))
            return false;
        l->bound = sat_add(l->bound, r->bound);
        if (l->bound > U64_MAX_128) /* disjoint bits never carry */
            l->bound = U64_MAX_128;
        l->tz = l->tz < r->tz ? l->tz : r->tz;
        return true;
    case WASM_OP_I64_ADD: {
        poly x = *l->p;
        if (!poly_add(l->p, l->p, r->p, 1))
            return false;
        l->bound = sat_add(l->bound, r->bound);
        l->tz = l->tz < r->tz ? l->tz : r->tz;
        if (l->bound <= U64_MAX_128)
            return true;
        split *s = wrap(mt, l);
        if (s == NULL)
            return false;
        if (!s->sum) { /* remember the operands, for carry_of */
            s->sum = true;
            s->x = x;
            s->y = *r->p;
        }
        return true;
    }
    case WASM_OP_I64_SUB:
        /* x - y + 2^64 is exact and positive: the machine keeps its low 64 bits. */
        if (!poly_add(l->p, l->p, r->p, ~(u128)0))
            return false;
        set_const(&tmp, (u128)1 << 64);
        if (!poly_add(l->p, l->p, &tmp, 1))
            return false;
        l->bound = sat_add(l->bound, (u128)1 << 64);
        l->tz = l->tz < r->tz ? l->tz : r->tz;
        return wrap(mt, l) != NULL;
    case WASM_OP_I64_MUL:
        if (!poly_mul(&tmp, l->p, r->p))
            return false;
        *l->p = tmp;
        l->bound = sat_mul(l->bound, r->bound);
        l->tz = l->tz + r->tz > 64 ? 64 : l->tz + r->tz;
        return l->bound <= U64_MAX_128 || wrap(mt, l) != NULL;
    default:
        break;
    }
    /* The rest take a constant right operand. */
    if (r->p->n > 1 || (r->p->n == 1 && r->p->t[0].v[0] != 0))
        return false;
    uint64_t c = r->p->n ? (uint64_t)r->p->t[0].c : 0;
    unsigned k = (unsigned)(c & 63);
    switch (op) {
    case WASM_OP_I64_SHL: {
        if (k == 0)
            return true;
        /* Bits shifted out: 2^k times the low 64 - k bits. */
        if (sat_mul(l->bound, (u128)1 << k) > U64_MAX_128 && !split_value(mt, l, 64 - k, false))
            return false;
        set_const(&tmp, (u128)1 << k);
        poly prod;
        if (!poly_mul(&prod, l->p, &tmp))
            return false;
        *l->p = prod;
        l->bound = l->bound << k;
        l->tz = l->tz + k > 64 ? 64 : l->tz + k;
        return true;
    }
    case WASM_OP_I64_SHR_U:
        return k == 0 || split_value(mt, l, k, true);
    case WASM_OP_I64_AND: /* a mask 2^k - 1 */
        if (c == UINT64_MAX)
            return true;
        if (c == 0 || (c & (c + 1)) != 0)
            return false;
        return split_value(mt, l, ctz128(~(u128)c), false);
    default:
        return false;
    }
}

/* ---- The body ---- */

static bool push(matcher *mt, value *v)
{
    if (mt->sp == MAX_STACK)
        return false;
    mt->stack[mt->sp++] = *v;
    return true;
}

static bool pop(matcher *mt, value *out)
{
    if (mt->sp == 0)
        return false;
    *out = mt->stack[--mt->sp];
    return true;
}

static bool step(matcher *mt, const wasm_instr *ins, uint32_t local_count)
{
    value a, b, value_out;
    switch (ins->op) {
    case WASM_OP_NOP:
        return true;
    case WASM_OP_LOCAL_GET:
        return ins->u.index < local_count && mt->locals[ins->u.index].kind != V_NONE &&
               copy_value(mt, &mt->locals[ins->u.index], &a) && push(mt, &a);
    case WASM_OP_LOCAL_SET:
    case WASM_OP_LOCAL_TEE:
        if (ins->u.index >= local_count || !pop(mt, &a))
            return false;
        if ((a.kind == V_I64) != (mt->locals[ins->u.index].kind == V_I64))
            return false;
        if (ins->op == WASM_OP_LOCAL_TEE && !(copy_value(mt, &a, &b) && push(mt, &b)))
            return false;
        drop_value(mt, &mt->locals[ins->u.index]);
        mt->locals[ins->u.index] = a;
        return true;
    case WASM_OP_DROP:
        if (!pop(mt, &a))
            return false;
        drop_value(mt, &a);
        return true;
    case WASM_OP_I64_CONST:
        return i64_const(mt, (uint64_t)ins->u.i64, &a) && push(mt, &a);
    case WASM_OP_I32_CONST:
        memset(&a, 0, sizeof a);
        a.kind = V_I32_CONST;
        a.i32 = ins->u.i32;
        return push(mt, &a);
    case WASM_OP_I32_ADD: /* ret + constant, wrapping as i32.add does */
        if (!pop(mt, &b) || !pop(mt, &a))
            return false;
        if (a.kind == V_I32_CONST && b.kind == V_ADDR) {
            value t = a;
            a = b;
            b = t;
        }
        if (a.kind != V_ADDR || b.kind != V_I32_CONST)
            return false;
        a.i32 = (int32_t)((uint32_t)a.i32 + (uint32_t)b.i32);
        return push(mt, &a);
    case WASM_OP_I64_ADD:
    case WASM_OP_I64_SUB:
    case WASM_OP_I64_MUL:
    case WASM_OP_I64_SHL:
    case WASM_OP_I64_SHR_U:
    case WASM_OP_I64_AND:
    case WASM_OP_I64_OR:
        if (!pop(mt, &b) || !pop(mt, &a))
            return false;
        if (!binary(mt, ins->op, &a, &b)) {
            drop_value(mt, &a);
            drop_value(mt, &b);
            return false;
        }
        drop_value(mt, &b);
        return push(mt, &a);
    case WASM_OP_I64_LT_U: /* s <u x, x >u s: an add's carry */
    case WASM_OP_I64_GT_U:
        if (!pop(mt, &b) || !pop(mt, &a))
            return false;
        if (!(ins->op == WASM_OP_I64_LT_U ? carry_of(mt, &a, &b, &value_out)
                                          : carry_of(mt, &b, &a, &value_out)))
            return false;
        drop_value(mt, &a);
        drop_value(mt, &b);
        return push(mt, &value_out);
    case WASM_OP_I64_EXTEND_I32_U:
        if (!pop(mt, &a) || a.kind != V_I32_CARRY)
            return false;
        a.kind = V_I64;
        return push(mt, &a);
    case WASM_OP_I64_STORE: {
        if (ins->u.memarg.mem.memory != 0 || mt->stores == 2 || !pop(mt, &b) || !pop(mt, &a) ||
            a.kind != V_ADDR || b.kind != V_I64)
            return false;
        /* Which half: the store's distance from ret (the offset plus what was added). */
        uint64_t at = ins->u.memarg.mem.offset + (uint64_t)(int64_t)a.i32;
        if (at != 0 && at != 8)
            return false;
        unsigned half = at == 8;
        if (mt->stored[half])
            return false;
        mt->stored[half] = true;
        mt->halves[half] = b;
        mt->plan.half[mt->stores] = (uint8_t)half;
        mt->plan.add[mt->stores] = a.i32;
        mt->plan.offset[mt->stores] = ins->u.memarg.mem.offset;
        mt->stores++;
        return true;
    }
    default:
        return false;
    }
}

/* The identity: lo + 2^64 hi - (a_lo + 2^64 a_hi)(b_lo + 2^64 b_hi) is 0 once every split's
 * L is replaced by P - 2^k H. */
static bool proves_product(matcher *mt)
{
    const value *lo = &mt->halves[0], *hi = &mt->halves[1];
    poly *scratch = malloc(5 * sizeof *scratch);
    if (scratch == NULL)
        return false;
    poly *d = &scratch[3], *f = &scratch[4];
    bool ok = poly_add(d, lo->p, hi->p, (u128)1 << 64);
    /* (a_lo + 2^64 a_hi) is variables 1 and 2, (b_lo + 2^64 b_hi) 3 and 4. */
    poly fa, fb;
    set_var(&fa, 1);
    set_var(f, 2);
    ok = ok && poly_add(&fa, &fa, f, (u128)1 << 64);
    set_var(&fb, 3);
    set_var(f, 4);
    ok = ok && poly_add(&fb, &fb, f, (u128)1 << 64) && poly_mul(f, &fa, &fb) &&
         poly_add(d, d, f, ~(u128)0);
    for (uint32_t i = mt->split_count; ok && i-- > 0;) {
        const split *s = &mt->splits[i];
        poly q = s->p;
        set_var(f, s->h);
        ok = poly_add(&q, &q, f, ~(((u128)1 << s->k) - 1)) /* P - 2^k H */ &&
             substitute(d, s->l, &q, scratch);
    }
    ok = ok && d->n == 0;
    free(scratch);
    return ok;
}

bool lower_mul128_match(const wasm_module *m, const wasm_func *f, lower_mul128 *out)
{
    static const wasm_valtype params[5] = {WASM_VT_I32, WASM_VT_I64, WASM_VT_I64, WASM_VT_I64,
                                           WASM_VT_I64};
    const wasm_functype *ft = &m->types[f->type_index];
    if (f->imported || m->memory_count == 0 || !wasm_memory_is_plain(m, 0) ||
        ft->param_count != 5 || ft->result_count != 0 ||
        memcmp(ft->params, params, sizeof params) != 0 || 5 + f->local_count > MAX_LOCALS)
        return false;
    matcher *mt = calloc(1, sizeof *mt);
    if (mt == NULL)
        return false;
    bool ok = true;
    /* Parameters: ret, then variables 1-4; locals start at zero. */
    mt->locals[0].kind = V_ADDR;
    mt->next_var = 5;
    for (uint32_t i = 1; i < 5 && ok; i++) {
        value *v = &mt->locals[i];
        v->kind = V_I64;
        v->p = new_poly(mt);
        set_var(v->p, (uint8_t)i);
        v->bound = U64_MAX_128;
    }
    uint32_t local = 5;
    for (uint32_t g = 0; g < f->local_group_count && ok; g++)
        for (uint32_t i = 0; i < f->local_groups[g].count && ok; i++, local++) {
            wasm_valtype t = f->local_groups[g].type;
            if (t == WASM_VT_I64)
                ok = i64_const(mt, 0, &mt->locals[local]);
            else if (t == WASM_VT_I32)
                mt->locals[local].kind = V_I32_CONST;
            else
                ok = false;
        }
    kiln_diag diag;
    kiln_diag_init(&diag);
    kiln_reader r;
    wasm_expr_reader(&r, m, f->body, &diag);
    kiln_arena scratch;
    kiln_arena_init(&scratch, NULL);
    bool ended = false;
    while (ok && !ended) {
        wasm_instr ins;
        if (!dec_instr(&r, &scratch, &ins))
            ok = false;
        else if (ins.op == WASM_OP_END)
            ended = true;
        else
            ok = step(mt, &ins, local);
    }
    kiln_arena_free(&scratch);
    ok = ok && ended && r.p == r.end && mt->sp == 0 && mt->stores == 2 && proves_product(mt);
    if (ok)
        *out = mt->plan;
    free(mt);
    return ok;
}
