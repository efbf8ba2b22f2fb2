/* interrupt.c -- interruption checks, placed in the optimised IR.
 *
 * A running call must be stoppable (kiln_instance_interrupt, deadlines). A check reads
 * vmctx->interrupt (a volatile 32-bit load), compares it with zero and branches to a block
 * that raises KILN_TRAP_INTERRUPTED. Two placements (kiln_interrupt_mode):
 *  - SIGNAL (hosts with an OS): the runtime stops code that runs in wasm with a signal to the
 *    running thread (signal_posix.c), which costs the code nothing; checks are only needed
 *    where a signal cannot land in wasm code: at every host->wasm entry (an array entry: a
 *    stop asked before the call started) and on the back-edges of loops that call (the signal
 *    may land in a host function or a runtime helper each time round).
 *  - FULL (no signals: bare metal): on every loop back-edge and at the entry of every function
 *    that calls another, so no path runs unboundedly between two checks (a recursion cycle,
 *    direct, indirect or through the host, passes a calling function's entry; a function that
 *    calls nothing and has no loop runs in time bounded by its size), and at entries.
 * The checks are added after the optimisation pipeline, not during lowering, so that they
 * never stand in its way: a volatile load in a loop body stops the loop vectoriser and would
 * be inlined into callers' loops; after optimisation a vectorised loop pays one check per
 * vector iteration, and a function inlined everywhere pays none. Back-edges are found by a
 * depth-first walk (an edge to a block on the walk's stack); each is split by a new block
 * holding its check. Only functions lowering marked get checks (LOWER_CHECKS_ATTR: wasm
 * functions; LOWER_ENTRY_ATTR: array entries); import adapters and idioms are not wasm code.
 */
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* What the checks of one function share. */
typedef struct checker {
    LLVMContextRef ctx;
    LLVMBuilderRef b;
    LLVMValueRef fn, vmctx;
    LLVMBasicBlockRef trap; /* created on first use */
    LLVMValueRef raise;     /* kiln_trap_raise */
    LLVMValueRef unlikely;  /* !prof branch weights */
    LLVMTypeRef i32, i64, ptr;
} checker;

static LLVMBasicBlockRef trap_block(checker *k)
{
    if (k->trap)
        return k->trap;
    k->trap = LLVMAppendBasicBlockInContext(k->ctx, k->fn, "trap.interrupted");
    LLVMPositionBuilderAtEnd(k->b, k->trap);
    LLVMValueRef args[2] = {k->vmctx, LLVMConstInt(k->i32, KILN_TRAP_INTERRUPTED, false)};
    LLVMBuildCall2(k->b, LLVMGlobalGetValueType(k->raise), k->raise, args, 2, "");
    LLVMBuildUnreachable(k->b);
    return k->trap;
}

/* At the builder's position: if (vmctx->interrupt) goto trap.interrupted; else goto next. */
static void build_check(checker *k, LLVMBasicBlockRef next)
{
    LLVMValueRef at =
        LLVMBuildGEP2(k->b, LLVMInt8TypeInContext(k->ctx), k->vmctx,
                      (LLVMValueRef[]){LLVMConstInt(k->i64, KILN_VMCTX_INTERRUPT, false)}, 1, "");
    LLVMValueRef word = LLVMBuildLoad2(k->b, k->i32, at, "interrupt");
    LLVMSetVolatile(word, true);
    LLVMSetAlignment(word, 4);
    LLVMValueRef set = LLVMBuildICmp(k->b, LLVMIntNE, word, LLVMConstInt(k->i32, 0, false), "");
    LLVMBasicBlockRef here = LLVMGetInsertBlock(k->b);
    LLVMBasicBlockRef trap = trap_block(k);
    LLVMPositionBuilderAtEnd(k->b, here);
    LLVMValueRef br = LLVMBuildCondBr(k->b, set, trap, next);
    if (k->unlikely)
        LLVMSetMetadata(br, LLVMGetMDKindIDInContext(k->ctx, "prof", 4), k->unlikely);
}

/* Phis of h that name pred as an incoming block name via instead (one entry: LLVM keeps one
 * entry per predecessor edge, and via has a single edge to h). The C API cannot change an
 * incoming block in place, so each such phi is rebuilt. */
static void repoint_phis(checker *k, LLVMBasicBlockRef h, LLVMBasicBlockRef pred,
                         LLVMBasicBlockRef via)
{
    LLVMValueRef next;
    for (LLVMValueRef phi = LLVMGetFirstInstruction(h); phi && LLVMIsAPHINode(phi); phi = next) {
        next = LLVMGetNextInstruction(phi);
        unsigned n = LLVMCountIncoming(phi);
        LLVMValueRef *vals = malloc((n + 1) * sizeof *vals);
        LLVMBasicBlockRef *blocks = malloc((n + 1) * sizeof *blocks);
        KILN_ASSERT(vals && blocks);
        unsigned m = 0;
        bool via_added = false;
        for (unsigned i = 0; i < n; i++) {
            LLVMBasicBlockRef from = LLVMGetIncomingBlock(phi, i);
            if (from == pred) {
                if (via_added)
                    continue;
                from = via;
                via_added = true;
            }
            vals[m] = LLVMGetIncomingValue(phi, i);
            blocks[m++] = from;
        }
        LLVMPositionBuilderBefore(k->b, phi);
        LLVMValueRef fresh = LLVMBuildPhi(k->b, LLVMTypeOf(phi), "");
        LLVMAddIncoming(fresh, vals, blocks, m);
        LLVMReplaceAllUsesWith(phi, fresh);
        LLVMInstructionEraseFromParent(phi);
        free(vals);
        free(blocks);
    }
}

/* The edge from->to becomes from->check->to, with the check in the new block. */
static void check_edge(checker *k, LLVMBasicBlockRef from, LLVMBasicBlockRef to)
{
    LLVMBasicBlockRef check = LLVMInsertBasicBlockInContext(k->ctx, to, "interrupt.check");
    LLVMValueRef term = LLVMGetBasicBlockTerminator(from);
    unsigned n = LLVMGetNumSuccessors(term);
    for (unsigned i = 0; i < n; i++)
        if (LLVMGetSuccessor(term, i) == to)
            LLVMSetSuccessor(term, i, check);
    repoint_phis(k, to, from, check);
    LLVMPositionBuilderAtEnd(k->b, check);
    build_check(k, to);
}

/* The check at the entry: a new first block holding the entry's allocas (they must stay in
 * the entry block to be static) and the check, then the old entry. */
static void check_entry(checker *k)
{
    LLVMBasicBlockRef old = LLVMGetEntryBasicBlock(k->fn);
    LLVMBasicBlockRef entry = LLVMInsertBasicBlockInContext(k->ctx, old, "interrupt.entry");
    LLVMPositionBuilderAtEnd(k->b, entry);
    LLVMValueRef next;
    for (LLVMValueRef i = LLVMGetFirstInstruction(old); i && LLVMIsAAllocaInst(i); i = next) {
        next = LLVMGetNextInstruction(i);
        LLVMInstructionRemoveFromParent(i);
        LLVMInsertIntoBuilder(k->b, i);
    }
    build_check(k, old);
}

/* Whether bb calls anything but intrinsics, inline asm and kiln_trap_raise (which never
 * returns): such a call may lead back into wasm, or leave it for a while. */
static bool block_calls(LLVMBasicBlockRef bb, LLVMValueRef raise)
{
    for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
        if (!LLVMIsACallInst(i) && !LLVMIsAInvokeInst(i))
            continue;
        LLVMValueRef callee = LLVMGetCalledValue(i);
        if (LLVMIsAInlineAsm(callee) || callee == raise)
            continue;
        if (LLVMIsAFunction(callee) && LLVMGetIntrinsicID(callee) != 0)
            continue;
        return true;
    }
    return false;
}

typedef struct edge {
    unsigned from, to; /* block indices */
} edge;

/* Block -> index in fn's block list: an open-addressing table of twice the blocks' count,
 * so the walk below is linear in the size of the function. */
typedef struct block_index {
    LLVMBasicBlockRef *keys;
    unsigned *values;
    size_t mask;
} block_index;

static size_t block_hash(LLVMBasicBlockRef b, size_t mask)
{
    uintptr_t x = (uintptr_t)b;
    x ^= x >> 17;
    x *= (uintptr_t)0x9E3779B97F4A7C15u;
    return (size_t)(x >> 7) & mask;
}

static void index_init(block_index *t, LLVMBasicBlockRef *blocks, unsigned n)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    t->keys = calloc(cap, sizeof *t->keys);
    t->values = malloc(cap * sizeof *t->values);
    KILN_ASSERT(t->keys && t->values);
    t->mask = cap - 1;
    for (unsigned i = 0; i < n; i++) {
        size_t h = block_hash(blocks[i], t->mask);
        while (t->keys[h])
            h = (h + 1) & t->mask;
        t->keys[h] = blocks[i];
        t->values[h] = i;
    }
}

static unsigned index_of(const block_index *t, LLVMBasicBlockRef b)
{
    size_t h = block_hash(b, t->mask);
    while (t->keys[h] != b)
        h = (h + 1) & t->mask;
    return t->values[h];
}

/* A function's control-flow graph: blocks by index, successors and predecessors as index
 * lists (one entry per distinct edge), and which blocks call. */
typedef struct cfg {
    unsigned n;
    LLVMBasicBlockRef *blocks;
    unsigned *succ_start, *succs; /* block i's successors: succs[succ_start[i]..[i + 1]) */
    unsigned *pred_start, *preds;
    bool *calls;
} cfg;

static void cfg_build(cfg *g, LLVMValueRef fn, LLVMValueRef raise)
{
    unsigned n = g->n = LLVMCountBasicBlocks(fn);
    g->blocks = malloc(n * sizeof *g->blocks);
    g->succ_start = calloc(n + 1, sizeof *g->succ_start);
    g->pred_start = calloc(n + 1, sizeof *g->pred_start);
    g->calls = malloc(n * sizeof *g->calls);
    KILN_ASSERT(g->blocks && g->succ_start && g->pred_start && g->calls);
    LLVMGetBasicBlocks(fn, g->blocks);
    block_index index;
    index_init(&index, g->blocks, n);
    size_t edges = 0;
    for (unsigned i = 0; i < n; i++) {
        LLVMValueRef term = LLVMGetBasicBlockTerminator(g->blocks[i]);
        edges += term ? LLVMGetNumSuccessors(term) : 0;
        g->calls[i] = block_calls(g->blocks[i], raise);
    }
    g->succs = malloc((edges + 1) * sizeof *g->succs);
    g->preds = malloc((edges + 1) * sizeof *g->preds);
    KILN_ASSERT(g->succs && g->preds);
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        g->succ_start[i] = m;
        LLVMValueRef term = LLVMGetBasicBlockTerminator(g->blocks[i]);
        unsigned k = term ? LLVMGetNumSuccessors(term) : 0;
        for (unsigned j = 0; j < k; j++) {
            unsigned s = index_of(&index, LLVMGetSuccessor(term, j));
            bool dup = false; /* a switch may name the same target twice */
            for (unsigned e = g->succ_start[i]; e < m; e++)
                dup |= g->succs[e] == s;
            if (!dup) {
                g->succs[m++] = s;
                g->pred_start[s + 1]++;
            }
        }
    }
    g->succ_start[n] = m;
    for (unsigned i = 0; i < n; i++)
        g->pred_start[i + 1] += g->pred_start[i];
    unsigned *fill = calloc(n, sizeof *fill);
    KILN_ASSERT(fill);
    for (unsigned i = 0; i < n; i++)
        for (unsigned e = g->succ_start[i]; e < g->succ_start[i + 1]; e++) {
            unsigned s = g->succs[e];
            g->preds[g->pred_start[s] + fill[s]++] = i;
        }
    free(fill);
    free(index.keys);
    free(index.values);
}

static void cfg_free(cfg *g)
{
    free(g->blocks);
    free(g->succ_start);
    free(g->succs);
    free(g->pred_start);
    free(g->preds);
    free(g->calls);
}

/* The back-edges of g: edges to a block still on the depth-first walk's stack. Returns a
 * malloc'ed array (NULL with *count 0 when there are none). */
static edge *back_edges(const cfg *g, size_t *count)
{
    *count = 0;
    uint8_t *state = calloc(g->n, 1); /* 0 unseen, 1 on the stack, 2 done */
    struct frame {
        unsigned block, next;
    } *stack = malloc(g->n * sizeof *stack);
    KILN_ASSERT(state && stack);
    edge *edges = NULL;
    size_t cap = 0, depth = 0;
    stack[depth++] = (struct frame){0, g->succ_start[0]};
    state[0] = 1;
    while (depth > 0) {
        struct frame *f = &stack[depth - 1];
        if (f->next == g->succ_start[f->block + 1]) {
            state[f->block] = 2;
            depth--;
            continue;
        }
        unsigned s = g->succs[f->next++];
        if (state[s] == 1) {
            if (*count == cap) {
                cap = cap ? cap * 2 : 8;
                edges = realloc(edges, cap * sizeof *edges);
                KILN_ASSERT(edges);
            }
            edges[(*count)++] = (edge){f->block, s};
        } else if (state[s] == 0) {
            state[s] = 1;
            stack[depth++] = (struct frame){s, g->succ_start[s]};
        }
    }
    free(state);
    free(stack);
    return edges;
}

/* Whether the loop of back-edge e calls: its body is the header and every block that reaches
 * the latch backwards without passing the header. */
static bool loop_calls(const cfg *g, edge e, uint8_t *seen, unsigned *work)
{
    memset(seen, 0, g->n);
    size_t top = 0;
    bool calls = g->calls[e.to];
    seen[e.to] = 1;
    if (!seen[e.from]) {
        seen[e.from] = 1;
        work[top++] = e.from;
    }
    while (top > 0 && !calls) {
        unsigned b = work[--top];
        calls = g->calls[b];
        for (unsigned p = g->pred_start[b]; p < g->pred_start[b + 1]; p++)
            if (!seen[g->preds[p]]) {
                seen[g->preds[p]] = 1;
                work[top++] = g->preds[p];
            }
    }
    return calls;
}

/* kiln_trap_raise, declared as lowering declares it (lower_rt_decl): void(ptr, i32). */
static LLVMValueRef declare_raise(LLVMModuleRef mod, const checker *k)
{
    LLVMTypeRef params[2] = {k->ptr, k->i32};
    LLVMValueRef raise = LLVMAddFunction(
        mod, "kiln_trap_raise", LLVMFunctionType(LLVMVoidTypeInContext(k->ctx), params, 2, false));
    static const char *const attrs[] = {"nounwind", "noreturn", "cold"};
    for (size_t i = 0; i < KILN_ARRAY_LEN(attrs); i++) {
        unsigned kind = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
        LLVMAddAttributeAtIndex(raise, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(k->ctx, kind, 0));
    }
    return raise;
}

void emit_interrupt_checks(LLVMModuleRef mod, bool full)
{
    checker k;
    memset(&k, 0, sizeof k);
    k.ctx = LLVMGetModuleContext(mod);
    k.i32 = LLVMInt32TypeInContext(k.ctx);
    k.i64 = LLVMInt64TypeInContext(k.ctx);
    k.ptr = LLVMPointerTypeInContext(k.ctx, 0);
    k.b = LLVMCreateBuilderInContext(k.ctx);
    k.raise = LLVMGetNamedFunction(mod, "kiln_trap_raise");
    /* The weights of lowering's trap branches (lower.c): the trap is taken once in 2^20. */
    LLVMMetadataRef w[3] = {LLVMMDStringInContext2(k.ctx, "branch_weights", 14),
                            LLVMValueAsMetadata(LLVMConstInt(k.i32, 1, false)),
                            LLVMValueAsMetadata(LLVMConstInt(k.i32, 1u << 20, false))};
    k.unlikely = LLVMMetadataAsValue(k.ctx, LLVMMDNodeInContext2(k.ctx, w, 3));
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (LLVMCountBasicBlocks(fn) == 0)
            continue;
        bool wasm = LLVMGetStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LOWER_CHECKS_ATTR,
                                                  sizeof LOWER_CHECKS_ATTR - 1);
        bool entry = LLVMGetStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LOWER_ENTRY_ATTR,
                                                   sizeof LOWER_ENTRY_ATTR - 1);
        if (!wasm && !entry)
            continue;
        if (!k.raise)
            k.raise = declare_raise(mod, &k);
        k.fn = fn;
        k.vmctx = LLVMGetParam(fn, 0);
        k.trap = NULL;
        if (wasm) {
            cfg g;
            cfg_build(&g, fn, k.raise);
            bool calls = false;
            for (unsigned i = 0; i < g.n; i++)
                calls |= g.calls[i];
            entry |= full && calls;
            size_t n;
            edge *edges = back_edges(&g, &n);
            uint8_t *seen = malloc(g.n);
            unsigned *work = malloc(g.n * sizeof *work);
            KILN_ASSERT(seen && work);
            for (size_t e = 0; e < n; e++)
                if (full || loop_calls(&g, edges[e], seen, work))
                    check_edge(&k, g.blocks[edges[e].from], g.blocks[edges[e].to]);
            free(seen);
            free(work);
            free(edges);
            cfg_free(&g);
        }
        if (entry)
            check_entry(&k);
    }
    LLVMDisposeBuilder(k.b);
}

kiln_interrupt_mode lower_interrupt_mode(const kiln_compile_options *o, const char *triple)
{
    if (o->interrupts != KILN_INTERRUPT_AUTO)
        return o->interrupts;
    /* No OS, no signal to stop call-free loops with: check them all. */
    return triple && strstr(triple, "-none") ? KILN_INTERRUPT_FULL : KILN_INTERRUPT_SIGNAL;
}
