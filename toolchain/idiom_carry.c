/* idiom_carry.c -- 128-bit sums that WebAssembly spells in 64-bit halves, rebuilt as i128 adds.
 *
 * WebAssembly has no add with carry. A compiler adding 128-bit values (C's unsigned __int128,
 * Rust's u128; after Kiln's multiply idiom, the products of lower.c's `mul i128`) writes each
 * sum as its low halves added in a chain, the carry out of each addition recovered by an
 * unsigned compare, and the high halves and those carries added up:
 *
 *     s1 = x0 + y1        c1 = s1 <u x0   (or <u y1, or x0 >u s1)
 *     s2 = s1 + y2        c2 = s2 <u s1
 *     hi = h0 + h1 + h2 + zext(c1) + zext(c2) + e   (any order and grouping; e: other terms)
 *
 * LLVM forms add-with-carry from one such step, not from the chains of several that sums of
 * products make (ed25519's field multiply adds five products per limb: Kiln's code had 10
 * setb and 14 adc where clang's native build has 24 adc). This pass, run on the optimised IR
 * of 64-bit targets, finds each add tree `hi` whose terms hold the carries of one chain, and
 * proves the rest: every low addend is the low half of an i128 value P (`trunc P`), whose high
 * half `trunc (P >> 64)` is one of the tree's terms, or a 64-bit value whose high half is 0.
 * Then, as integers, sum(P) = 2^64 (sum(h) + sum(c)) + s_last, so
 *
 *     hi = trunc((P0 + P1 + ... + Pk) >> 64) + e,    s_last = trunc(P0 + ... + Pk)
 *
 * and the chain is rebuilt as i128 adds, which instruction selection turns into add/adc
 * (adds/adcs on AArch64). Only meaning is matched, never a toolchain's instruction order; a
 * tree that does not prove out (a carry of another chain, a high half missing or seen twice,
 * a shared inner node) is left as it is. Called by emit.c after the optimisation pipeline.
 */
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* Terms of one add tree, carries of one chain: small fixed bounds keep the pass linear. */
#define MAX_TERMS 64

typedef struct chain_step {
    LLVMValueRef sum;    /* s_j = add prev, addend */
    LLVMValueRef prev;   /* s_{j-1}, or x0 for the first step */
    LLVMValueRef addend; /* y_j */
} chain_step;

static bool is_op(LLVMValueRef v, LLVMOpcode op)
{
    return v != NULL && LLVMIsAInstruction(v) && LLVMGetInstructionOpcode(v) == op;
}

static bool is_i64(LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    return LLVMGetTypeKind(t) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(t) == 64;
}

static bool is_i128(LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    return LLVMGetTypeKind(t) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(t) == 128;
}

static bool has_one_use(LLVMValueRef v)
{
    LLVMUseRef u = LLVMGetFirstUse(v);
    return u != NULL && LLVMGetNextUse(u) == NULL;
}

/* The terms of the add tree at root: inner adds of one use are opened. */
static bool collect_terms(LLVMValueRef v, bool root, LLVMValueRef *terms, unsigned *n)
{
    if (is_op(v, LLVMAdd) && is_i64(v) && (root || has_one_use(v))) {
        return collect_terms(LLVMGetOperand(v, 0), false, terms, n) &&
               collect_terms(LLVMGetOperand(v, 1), false, terms, n);
    }
    if (*n >= MAX_TERMS)
        return false;
    terms[(*n)++] = v;
    return true;
}

/* If term is zext(i1 c) with c the carry out of s = a + b (s <u a, s <u b, a >u s, b >u s),
 * fills step (sum, and both operands as prev/addend in s's order) and returns true. */
static bool carry_of(LLVMValueRef term, chain_step *step)
{
    if (!is_op(term, LLVMZExt))
        return false;
    LLVMValueRef c = LLVMGetOperand(term, 0);
    if (!is_op(c, LLVMICmp))
        return false;
    LLVMIntPredicate p = LLVMGetICmpPredicate(c);
    LLVMValueRef l = LLVMGetOperand(c, 0), r = LLVMGetOperand(c, 1);
    LLVMValueRef s, other;
    if (p == LLVMIntULT) {
        s = l;
        other = r;
    } else if (p == LLVMIntUGT) {
        s = r;
        other = l;
    } else {
        return false;
    }
    if (!is_op(s, LLVMAdd) || !is_i64(s))
        return false;
    LLVMValueRef a = LLVMGetOperand(s, 0), b = LLVMGetOperand(s, 1);
    if (other != a && other != b)
        return false;
    step->sum = s;
    step->prev = a;
    step->addend = b;
    return true;
}

/* The i128 value whose low half v is (v = trunc P), or NULL. */
static LLVMValueRef low_half_of(LLVMValueRef v)
{
    if (is_op(v, LLVMTrunc) && is_i128(LLVMGetOperand(v, 0)))
        return LLVMGetOperand(v, 0);
    return NULL;
}

/* Whether v is the high half of P: trunc (lshr P, 64). */
static bool is_high_half(LLVMValueRef v, LLVMValueRef p)
{
    if (!is_op(v, LLVMTrunc))
        return false;
    LLVMValueRef sh = LLVMGetOperand(v, 0);
    if (!is_op(sh, LLVMLShr) || LLVMGetOperand(sh, 0) != p)
        return false;
    LLVMValueRef k = LLVMGetOperand(sh, 1);
    return LLVMIsAConstantInt(k) && LLVMConstIntGetZExtValue(k) == 64;
}

/* Erases v and, recursively, the operands it was the last user of, when they compute
 * nothing but a value (the instructions this pass makes dead). */
static void erase_dead(LLVMValueRef v)
{
    if (!LLVMIsAInstruction(v) || LLVMGetFirstUse(v) != NULL)
        return;
    LLVMOpcode op = LLVMGetInstructionOpcode(v);
    if (op != LLVMAdd && op != LLVMICmp && op != LLVMZExt && op != LLVMTrunc && op != LLVMLShr)
        return;
    unsigned n = (unsigned)LLVMGetNumOperands(v);
    LLVMValueRef ops[2] = {NULL, NULL};
    for (unsigned i = 0; i < n && i < 2; i++)
        ops[i] = LLVMGetOperand(v, i);
    LLVMInstructionEraseFromParent(v);
    for (unsigned i = 0; i < 2; i++)
        if (ops[i] != NULL)
            erase_dead(ops[i]);
}

/* v's position in bb (0 for its first instruction), or -1 if v is not an instruction of bb
 * (an argument, a constant, or an instruction of a block that dominates bb). */
static long position_in(LLVMBasicBlockRef bb, LLVMValueRef v)
{
    if (!LLVMIsAInstruction(v) || LLVMGetInstructionParent(v) != bb)
        return -1;
    long n = 0;
    for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i != v; i = LLVMGetNextInstruction(i))
        n++;
    return n;
}

/* Positions b right after v in bb (after the block's phis if v is one, or NULL: at the start). */
static void position_after(LLVMBuilderRef b, LLVMBasicBlockRef bb, LLVMValueRef v)
{
    LLVMValueRef next = v ? LLVMGetNextInstruction(v) : LLVMGetFirstInstruction(bb);
    while (next != NULL && LLVMIsAPHINode(next))
        next = LLVMGetNextInstruction(next);
    LLVMPositionBuilderBefore(b, next);
}

/* Tries the tree at root; returns true if it was rebuilt. */
static bool rebuild(LLVMBuilderRef b, LLVMValueRef root)
{
    LLVMValueRef terms[MAX_TERMS];
    unsigned n = 0;
    if (!collect_terms(root, true, terms, &n))
        return false;
    chain_step steps[MAX_TERMS];
    bool is_carry[MAX_TERMS];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        is_carry[i] = carry_of(terms[i], &steps[k]);
        if (is_carry[i])
            k++;
    }
    if (k == 0)
        return false;
    /* Order the steps into one chain: each step's prev is the previous step's sum (either
     * operand of the add may be it); the first step's prev is no step's sum. */
    chain_step chain[MAX_TERMS];
    bool used[MAX_TERMS];
    memset(used, 0, sizeof used);
    for (unsigned j = 0; j < k; j++) {
        /* The last step: its sum is no other step's operand. */
        int last = -1;
        for (unsigned i = 0; i < k && last < 0; i++) {
            if (used[i])
                continue;
            bool feeds = false;
            for (unsigned o = 0; o < k; o++)
                if (!used[o] && o != i &&
                    (steps[o].prev == steps[i].sum || steps[o].addend == steps[i].sum))
                    feeds = true;
            if (!feeds)
                last = (int)i;
        }
        if (last < 0)
            return false;
        /* Filled from the end: chain[k - 1 - j]. */
        used[last] = true;
        chain[k - 1 - j] = steps[last];
    }
    for (unsigned j = 0; j < k; j++) {
        if (j == 0)
            continue;
        chain_step *s = &chain[j];
        if (s->addend == chain[j - 1].sum) { /* the add had prev second */
            s->addend = s->prev;
            s->prev = chain[j - 1].sum;
        }
        if (s->prev != chain[j - 1].sum)
            return false; /* carries of more than one chain, or of unrelated adds */
    }
    /* The low addends x0, y1 .. yk and their i128 values; the first step's operands are
     * both addends. */
    LLVMValueRef lows[MAX_TERMS + 1];
    unsigned nl = 0;
    lows[nl++] = chain[0].prev;
    for (unsigned j = 0; j < k; j++)
        lows[nl++] = chain[j].addend;
    bool matched[MAX_TERMS];
    memset(matched, 0, sizeof matched);
    LLVMValueRef wides[MAX_TERMS + 1];
    bool any_wide = false;
    for (unsigned i = 0; i < nl; i++) {
        LLVMValueRef p = low_half_of(lows[i]);
        wides[i] = p;
        if (p == NULL)
            continue; /* a 64-bit addend: high half 0 */
        any_wide = true;
        /* Its high half must be exactly one unmatched term of the tree. */
        int at = -1;
        for (unsigned t = 0; t < n; t++)
            if (!is_carry[t] && !matched[t] && is_high_half(terms[t], p)) {
                at = (int)t;
                break;
            }
        if (at < 0)
            return false;
        matched[at] = true;
    }
    if (!any_wide && k < 2)
        return false; /* one 64-bit add with carry: LLVM handles that itself */
    /* The sum is built in s_last's block, each partial sum as early as its operands allow
     * (right after the later of the previous partial sum and the next addend): a sum of
     * products then adds each product as it comes, as native code does, instead of keeping
     * them all live until the end (the spills that made ed25519's field multiply slow). Every
     * P and low addend dominates s_last (they feed the chain), so the sum and its halves
     * dominate every user of s_last and, through the carries, the root. */
    LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(root));
    LLVMTypeRef i128 = LLVMInt128TypeInContext(ctx), i64 = LLVMInt64TypeInContext(ctx);
    LLVMValueRef last_sum = chain[k - 1].sum;
    LLVMBasicBlockRef bb = LLVMGetInstructionParent(last_sum);
    LLVMValueRef sum = NULL;
    for (unsigned i = 0; i < nl; i++) {
        LLVMValueRef src = wides[i] ? wides[i] : lows[i];
        long src_at = position_in(bb, src), sum_at = sum ? position_in(bb, sum) : -1;
        position_after(b, bb, src_at > sum_at ? src : sum_at >= 0 ? sum : NULL);
        LLVMValueRef w = wides[i] ? wides[i] : LLVMBuildZExt(b, lows[i], i128, "");
        sum = sum ? LLVMBuildAdd(b, sum, w, "") : w;
    }
    LLVMPositionBuilderBefore(b, LLVMGetNextInstruction(sum));
    LLVMValueRef lo = LLVMBuildTrunc(b, sum, i64, "");
    LLVMValueRef hi =
        LLVMBuildTrunc(b, LLVMBuildLShr(b, sum, LLVMConstInt(i128, 64, false), ""), i64, "");
    /* The root: the sum's high half plus the terms that are neither carries nor matched. */
    LLVMPositionBuilderBefore(b, root);
    LLVMValueRef new_root = hi;
    for (unsigned t = 0; t < n; t++)
        if (!is_carry[t] && !matched[t])
            new_root = LLVMBuildAdd(b, new_root, terms[t], "");
    LLVMReplaceAllUsesWith(last_sum, lo);
    LLVMReplaceAllUsesWith(root, new_root);
    erase_dead(root); /* and the carries and old chain, where nothing else uses them */
    return true;
}

/* Whether v is the root of an i64 add tree: an add none of whose users is an add that
 * would open it (an add of one use is an inner node of its user's tree). */
static bool is_root(LLVMValueRef v)
{
    if (!is_op(v, LLVMAdd) || !is_i64(v))
        return false;
    if (!has_one_use(v))
        return true;
    LLVMValueRef user = LLVMGetUser(LLVMGetFirstUse(v));
    return !(is_op(user, LLVMAdd) && is_i64(user));
}

unsigned idiom_carry_chains(LLVMModuleRef mod)
{
    unsigned rebuilt = 0;
    LLVMBuilderRef b = LLVMCreateBuilderInContext(LLVMGetModuleContext(mod));
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb), next; i; i = next) {
                next = LLVMGetNextInstruction(i);
                /* A rebuild erases only i and what fed it (all before i) and adds before i:
                 * next is still the instruction after i. */
                if (is_root(i) && rebuild(b, i))
                    rebuilt++;
            }
    LLVMDisposeBuilder(b);
    return rebuilt;
}
