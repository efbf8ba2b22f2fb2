/* lower_memory.c -- loads, stores, memory.size/grow and bulk memory.
 *
 * Guard-page addressing (the default on 64-bit targets): every access is
 * base + zext(addr) + offset with no bounds check. Memory 0 reserves 4 GiB + 4 GiB of guard,
 * so the sum (< 2^33) stays in the reservation and an out-of-bounds access faults; the
 * runtime turns the fault into a trap. The base is loaded once per function in the entry
 * block (lower.c).
 *
 * Bounds-checked addressing (--bounds-checks; always on 32-bit targets): before the access,
 * zext(addr) + offset + size <= size_in_bytes, one compare (in i64 on 64-bit targets; with
 * an overflow-checked i32 add on 32-bit ones), branching to the function's out-of-bounds
 * trap block. Base and size live in two allocas that are written in the prologue and after
 * every call and memory.grow (the only things that can grow, and so move, the memory);
 * mem2reg turns them into SSA values, so a loop without calls reads both once and LLVM can
 * hoist what does not depend on the loop.
 *
 * Address facts (guard-page mode, at every optimisation level): a Wasm address is an i32
 * sum, so `p[1]` after `p[0]` is an access at zext(p + 4), which LLVM cannot relate to
 * zext(p) -- the sum might wrap -- and which therefore gets no displacement, no adjacency
 * with p[0] and no vectorisation. But once an access at zext(p) has run, p is below the
 * memory size, so p + C cannot wrap for 0 < C < 64 KiB in a memory below 65,536 pages. So
 * (unless --no-address-facts), within one basic block, after an access at zext(p): an access
 * at zext(p + C) is emitted as base + (zext(p) + C), and so is one at zext(p + C1 + C2 ...) with
 * C = C1 + C2 ... < 64 KiB (clang writes (p + 144) + 8), and an i32.add p, C gets nuw (pointer
 * increments become non-wrapping induction variables for SCEV). This is exact on every
 * execution that reaches it in a memory below 4 GiB, not speculation; without an earlier
 * access p + C wraps as Wasm says (tests/wast/addr_fold.wast). In a memory of 65,536 pages p
 * may be one of its last C bytes: a folded access that wrapped then starts at base + 2^32 +
 * ..., in the guard, and traps instead of reaching the bottom of the memory (fail-safe,
 * docs/abi.md; exact with --no-address-facts). A fold is made only while offset + C < 2^32,
 * so every access still starts below base + 8 GiB - 1, inside the reservation. "p" is an SSA
 * value, or a local between two writes (the loads of two local.get are different values that
 * mem2reg makes one).
 *
 * Roots (guard-page mode): LLVM's loop vectoriser checks at run time that the arrays a loop
 * reads and writes do not overlap, grouping the accesses by the object they point into. All
 * Wasm accesses point into one object, the memory, so nothing is grouped and a loop like
 * c[j] += a * b[j] gets a check that c[j] and c[j + 1] do not overlap, which always fails:
 * the vector loop never runs. So an access whose address comes from local l (through adds,
 * and through copies between locals within the last LOWER_GETS local.get/set/tee) uses l's
 * "root": a copy of the base made by an empty inline asm that LLVM cannot see through, one
 * per local (at most LOWER_ROOTS_MAX per function), in the entry block. The vectoriser then
 * groups by array and compares whole ranges once before the loop. Roots change no semantics
 * (two roots may alias as far as LLVM knows, as the base does with itself), and emit.c
 * replaces each by the base itself after the optimisation pipeline, so code generation sees
 * one base register as before.
 *
 * Accesses use alignment 1 (Wasm's alignment is only a hint) and the "wasm memory" alias
 * class, so they never clobber vmctx values LLVM keeps in registers. Size reads
 * memory0->size; grow and the bulk operations call the runtime (abi.h), which checks bounds
 * before moving any byte.
 */
#include "lower.h"

#include <string.h>

void lower_memory_reload(lower_ctx *c)
{
    lower_unit *u = c->u;
    if (c->mem_record == NULL)
        return;
    LLVMValueRef base = lower_load(
        c, u->t_ptr, lower_gep(c, c->mem_record, lower_i64(u, offsetof(kiln_memory, base))),
        ALIAS_VMCTX, false);
    LLVMValueRef size = lower_load(
        c, u->t_i64, lower_gep(c, c->mem_record, lower_i64(u, offsetof(kiln_memory, size))),
        ALIAS_VMCTX, false);
    if (u->ptr_size < 8) /* a 32-bit host cannot hold 4 GiB: the size fits in i32 */
        size = LLVMBuildTrunc(c->b, size, u->t_i32, "");
    LLVMBuildStore(c->b, base, c->mem_base_slot);
    LLVMBuildStore(c->b, size, c->mem_size_slot);
}

/* Bounds-checked: traps unless [zext(addr) + offset, + size) is inside memory 0; returns the
 * byte offset zext(addr) + offset (i64 on 64-bit targets, i32 on 32-bit ones). */
static LLVMValueRef checked_offset(lower_ctx *c, LLVMValueRef addr, uint64_t offset, unsigned size)
{
    lower_unit *u = c->u;
    uint64_t reach = offset + size; /* < 2^33 */
    if (u->ptr_size == 8) {
        LLVMValueRef mem_size = LLVMBuildLoad2(c->b, u->t_i64, c->mem_size_slot, "");
        LLVMValueRef a = LLVMBuildZExt(c->b, addr, u->t_i64, "");
        LLVMValueRef end = LLVMBuildNUWAdd(c->b, a, lower_i64(u, reach), ""); /* < 2^34 */
        lower_trap_if(c, LLVMBuildICmp(c->b, LLVMIntUGT, end, mem_size, ""), KILN_TRAP_MEMORY_OOB);
        return offset ? LLVMBuildNUWAdd(c->b, a, lower_i64(u, offset), "") : a;
    }
    LLVMValueRef mem_size = LLVMBuildLoad2(c->b, u->t_i32, c->mem_size_slot, "");
    LLVMValueRef oob;
    if (reach > UINT32_MAX) {
        oob = LLVMConstInt(u->t_i1, 1, false); /* no 32-bit memory reaches that far */
    } else {
        LLVMTypeRef t = u->t_i32;
        LLVMValueRef args[2] = {addr, lower_i32(u, (uint32_t)reach)};
        LLVMValueRef sum = lower_call_intr(c, INTR_UADD_OVF, &t, 1, args, 2);
        LLVMValueRef end = LLVMBuildExtractValue(c->b, sum, 0, "");
        LLVMValueRef wrapped = LLVMBuildExtractValue(c->b, sum, 1, "");
        oob = LLVMBuildOr(c->b, wrapped, LLVMBuildICmp(c->b, LLVMIntUGT, end, mem_size, ""), "");
    }
    lower_trap_if(c, oob, KILN_TRAP_MEMORY_OOB);
    /* In bounds, so addr + offset did not wrap. */
    return offset ? LLVMBuildAdd(c->b, addr, lower_i32(u, (uint32_t)offset), "") : addr;
}

/* The key of v in the current block: the local it was read from, or v itself. */
static lower_addr_key fact_key(const lower_ctx *c, LLVMValueRef v)
{
    lower_addr_key k = {LLVMGetInsertBlock(c->b), v, UINT32_MAX, 0};
    for (uint32_t n = 1; n <= LOWER_GETS; n++) { /* the most recent first */
        const lower_addr_key *g = &c->gets[(c->get_next + LOWER_GETS - n) % LOWER_GETS];
        if (g->value == v) {
            k.local = g->local;
            k.version = g->version;
            break;
        }
    }
    return k;
}

static bool key_equal(const lower_addr_key *a, const lower_addr_key *b)
{
    if (a->bb != b->bb || a->local != b->local)
        return false;
    return a->local == UINT32_MAX ? a->value == b->value : a->version == b->version;
}

/* The facts are kept most recently used last: a hit moves its entry to the end, and a new
 * fact displaces the least recently used when all LOWER_FACTS are taken. So the address
 * every access of a frame is relative to (clang's stack frame pointer in a function that
 * writes 25 products to its frame, ed25519's field multiply) stays known however many
 * derived addresses pass through, and its accesses keep one form that LLVM can match (store
 * to load forwarding needs the store's address and the load's to be the same expression). */
static bool fact_touch(lower_ctx *c, const lower_addr_key *k)
{
    for (uint32_t i = c->fact_count; i-- > 0;)
        if (key_equal(&c->facts[i], k)) {
            lower_addr_key hit = c->facts[i];
            memmove(&c->facts[i], &c->facts[i + 1], (c->fact_count - 1 - i) * sizeof hit);
            c->facts[c->fact_count - 1] = hit;
            return true;
        }
    return false;
}

/* Whether an access at zext(v) ran earlier in the current block (a hit counts as a use). */
static bool fact_accessed(lower_ctx *c, LLVMValueRef v)
{
    lower_addr_key k = fact_key(c, v);
    return fact_touch(c, &k);
}

static void fact_record(lower_ctx *c, LLVMValueRef v)
{
    lower_addr_key k = fact_key(c, v);
    if (fact_touch(c, &k))
        return;
    if (c->fact_count == LOWER_FACTS) {
        memmove(&c->facts[0], &c->facts[1], (LOWER_FACTS - 1) * sizeof k);
        c->fact_count--;
    }
    c->facts[c->fact_count++] = k;
}

void lower_fact_local(lower_ctx *c, LLVMValueRef v, uint32_t i)
{
    c->gets[c->get_next] = (lower_addr_key){NULL, v, i, c->local_versions[i]};
    c->get_next = (c->get_next + 1) % LOWER_GETS;
}

/* l + C with 0 < C < 64 KiB (the largest step address facts vouch for): C, else 0. */
static uint64_t small_step(LLVMValueRef r)
{
    if (!LLVMIsAConstantInt(r))
        return 0;
    uint64_t k = LLVMConstIntGetZExtValue(r);
    return k < 0x10000u ? k : 0;
}

void lower_fact_add(lower_ctx *c, LLVMValueRef add, LLVMValueRef l, LLVMValueRef r)
{
    if (c->u->address_facts && (c->mem_base != NULL || c->mem_record != NULL) &&
        LLVMIsAInstruction(add) && small_step(r) != 0 && fact_accessed(c, l))
        LLVMSetNUW(add, 1);
}

/* The oldest entry of the gets ring for value v, or (v == NULL) for local l at version ver. */
static const lower_addr_key *oldest_get(const lower_ctx *c, LLVMValueRef v, uint32_t l,
                                        uint32_t ver)
{
    for (uint32_t n = LOWER_GETS; n >= 1; n--) {
        const lower_addr_key *g = &c->gets[(c->get_next + LOWER_GETS - n) % LOWER_GETS];
        if (g->value == NULL)
            continue;
        if (v != NULL ? g->value == v : (g->local == l && g->version == ver))
            return g;
    }
    return NULL;
}

/* The local an address comes from (see "Roots" at the top), or UINT32_MAX. */
static uint32_t root_local(const lower_ctx *c, LLVMValueRef v)
{
    uint32_t root = UINT32_MAX;
    for (int depth = 0; depth < 16 && v != NULL; depth++) {
        if (LLVMIsAInstruction(v) && LLVMGetInstructionOpcode(v) == LLVMAdd) {
            v = LLVMGetOperand(v, 0);
            continue;
        }
        const lower_addr_key *g = oldest_get(c, v, 0, 0);
        if (g == NULL)
            return root;
        root = g->local;
        /* The value the local.set/tee of this version stored, to follow copies like q = p. */
        const lower_addr_key *set = oldest_get(c, NULL, g->local, g->version);
        if (set == NULL || set->value == v)
            return root;
        v = set->value;
    }
    return root;
}

/* The base for an access at an address coming from local l: its root copy of mem_base,
 * created in the entry block on first use, or mem_base itself. */
static LLVMValueRef root_base(lower_ctx *c, LLVMValueRef addr)
{
    uint32_t l = root_local(c, addr);
    if (l == UINT32_MAX || c->entry_bb == NULL)
        return c->mem_base;
    if (c->root_bases[l] != NULL)
        return c->root_bases[l];
    if (c->root_count >= LOWER_ROOTS_MAX)
        return c->mem_base;
    lower_unit *u = c->u;
    LLVMBuilderRef b = LLVMCreateBuilderInContext(u->ctx);
    LLVMPositionBuilderBefore(b, LLVMGetBasicBlockTerminator(c->entry_bb));
    LLVMTypeRef params[2] = {u->t_ptr, u->t_i64};
    LLVMTypeRef ft = LLVMFunctionType(u->t_ptr, params, 2, false);
    /* The number makes each copy a different value: identical calls would be merged. */
    LLVMValueRef text = LLVMGetInlineAsm(ft, LOWER_ROOT_ASM, sizeof LOWER_ROOT_ASM - 1, "=r,0,i", 6,
                                         false, false, LLVMInlineAsmDialectATT, false);
    LLVMValueRef args[2] = {c->mem_base, lower_i64(u, c->root_count)};
    LLVMValueRef call = LLVMBuildCall2(b, ft, text, args, 2, "root");
    static const char *const attrs[] = {"nounwind", "willreturn", "memory"}; /* memory(none) */
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        LLVMAddCallSiteAttribute(
            call, LLVMAttributeFunctionIndex,
            LLVMCreateEnumAttribute(
                u->ctx, LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i])), 0));
    LLVMDisposeBuilder(b);
    c->root_count++;
    return c->root_bases[l] = call;
}

/* base + zext(addr) + offset, checked in bounds-checked mode; without checks the guard-page
 * reservation covers every 33-bit sum. Shared with lower_simd.c's v128 accesses. */
/* addr = p + C1 + C2 ... (C1 + C2 + ... < 64 KiB) after an access at p: returns p and adds
 * C1 + C2 + ... to *offset (see the top), else returns addr. */
static LLVMValueRef fold_facts(lower_ctx *c, LLVMValueRef addr, uint64_t *offset)
{
    LLVMValueRef v = addr;
    uint64_t steps = 0;
    for (int depth = 0; depth < 4; depth++) {
        if (!LLVMIsAInstruction(v) || LLVMGetInstructionOpcode(v) != LLVMAdd)
            break;
        uint64_t step = small_step(LLVMGetOperand(v, 1));
        if (step == 0 || steps + step >= 0x10000u)
            break;
        steps += step;
        v = LLVMGetOperand(v, 0);
        /* offset + steps < 2^32: the access starts below base + 8 GiB - 1 even when p is the
         * last byte of a 4 GiB memory, inside the reservation (see the top). */
        if (c->u->address_facts && *offset + steps <= UINT32_MAX && fact_accessed(c, v)) {
            *offset += steps;
            return v;
        }
    }
    return addr;
}

LLVMValueRef lower_effective_address(lower_ctx *c, LLVMValueRef addr, uint64_t offset,
                                     unsigned size)
{
    lower_unit *u = c->u;
    LLVMValueRef wide = fold_facts(c, addr, &offset);
    fact_record(c, addr);
    if (c->mem_record != NULL) {
        /* Checked: the same facts hold once an access at p passed its check, so the check and
         * the address of p + C use zext(p) + C: LLVM sees the loop's pointers as induction
         * variables that do not wrap, and one check can imply the next. */
        LLVMValueRef ea = checked_offset(c, wide, offset, size);
        LLVMValueRef base = LLVMBuildLoad2(c->b, u->t_ptr, c->mem_base_slot, "");
        return lower_gep(c, base, ea);
    }
    KILN_ASSERT(c->mem_base != NULL);
    LLVMValueRef ea = LLVMBuildZExt(c->b, wide, u->t_i64, "");
    if (offset != 0)
        ea = LLVMBuildNUWAdd(c->b, ea, lower_i64(u, offset), ""); /* both < 2^33 */
    return lower_gep(c, root_base(c, wide), ea);
}

/* Memory mem's kiln_memory record: vmctx's array of them never changes. */
static LLVMValueRef memory_record(lower_ctx *c, uint32_t mem)
{
    lower_unit *u = c->u;
    uint64_t at = mem == 0 ? KILN_VMCTX_MEMORY0 : u->layout.memories + (uint64_t)mem * 8u;
    return lower_load(c, u->t_ptr, lower_vmctx_ptr(c, at), ALIAS_VMCTX, true);
}

static LLVMValueRef record_field(lower_ctx *c, LLVMValueRef record, LLVMTypeRef t, size_t field,
                                 bool invariant)
{
    return lower_load(c, t, lower_gep(c, record, lower_i64(c->u, field)), ALIAS_VMCTX, invariant);
}

/* A memory's size in bytes now. Another thread may grow a shared memory at any moment: its
 * size is read with acquire ordering (pairing with the runtime's release store), so the new
 * bytes' zeroes are visible before an access the new size admits. */
static LLVMValueRef memory_bytes(lower_ctx *c, LLVMValueRef record, uint32_t mem)
{
    LLVMValueRef v = record_field(c, record, c->u->t_i64, offsetof(kiln_memory, size), false);
    if (wasm_memory_is_shared(c->u->m, mem)) {
        LLVMSetOrdering(v, LLVMAtomicOrderingAcquire);
        LLVMSetAlignment(v, 8);
    }
    return v;
}

/* An access to a memory the function keeps nothing of (one but memory 0, a 64-bit one, or
 * one of 1-byte pages): base and size come from its record at each access. They are loads in
 * the vmctx alias class, so LLVM reuses them until a call (which may grow the memory) and
 * hoists them out of loops without calls. A 32-bit memory of 64 KiB pages in guard-page mode
 * needs no check (its reservation covers every 33-bit sum, as memory 0's, and its size is
 * whole host pages) and its base never moves. One of 1-byte pages ends anywhere in a host
 * page, where no guard can stop an access past its size: it is checked. Everything else is
 * checked in u64: zext(addr) or the 64-bit addr, + offset + size <= size in bytes, with the
 * sums' overflow (only a 64-bit address can overflow) out of bounds. */
static LLVMValueRef generic_address(lower_ctx *c, uint32_t mem, LLVMValueRef addr, uint64_t offset,
                                    unsigned size)
{
    lower_unit *u = c->u;
    LLVMValueRef record = memory_record(c, mem);
    bool is64 = wasm_memory_is64(u->m, mem);
    if (wasm_memory_is_plain(u->m, mem) && !u->bounds_checks) {
        LLVMValueRef base = record_field(c, record, u->t_ptr, offsetof(kiln_memory, base), true);
        LLVMValueRef ea = LLVMBuildZExt(c->b, addr, u->t_i64, "");
        if (offset != 0)
            ea = LLVMBuildNUWAdd(c->b, ea, lower_i64(u, offset), ""); /* both < 2^33 */
        return lower_gep(c, base, ea);
    }
    /* Base and size both before the check: a load after the branch to the trap block runs
     * only if the check passed, so LLVM could not hoist it out of a loop (the record is not
     * known to be dereferenceable) and reloaded the base at every access, 5x slower in a
     * histogram loop (bench/micro access_hist_i64). */
    LLVMValueRef base = record_field(c, record, u->t_ptr, offsetof(kiln_memory, base),
                                     wasm_memory_is_shared(u->m, mem)); /* never moves */
    LLVMValueRef bytes = memory_bytes(c, record, mem);
    LLVMValueRef a = is64 ? addr : LLVMBuildZExt(c->b, addr, u->t_i64, "");
    LLVMValueRef oob;
    if (offset > UINT64_MAX - size) {
        oob = LLVMConstInt(u->t_i1, 1, false); /* no memory reaches that far */
    } else {
        LLVMTypeRef t = u->t_i64;
        LLVMValueRef args[2] = {a, lower_i64(u, offset + size)};
        LLVMValueRef sum = lower_call_intr(c, INTR_UADD_OVF, &t, 1, args, 2);
        LLVMValueRef end = LLVMBuildExtractValue(c->b, sum, 0, "");
        LLVMValueRef wrapped = LLVMBuildExtractValue(c->b, sum, 1, "");
        oob = LLVMBuildOr(c->b, wrapped, LLVMBuildICmp(c->b, LLVMIntUGT, end, bytes, ""), "");
    }
    lower_trap_if(c, oob, KILN_TRAP_MEMORY_OOB);
    /* In bounds: addr + offset did not wrap and fits the host's pointer. */
    LLVMValueRef ea = offset ? LLVMBuildNUWAdd(c->b, a, lower_i64(u, offset), "") : a;
    if (u->ptr_size < 8)
        ea = LLVMBuildTrunc(c->b, ea, u->t_i32, "");
    return lower_gep(c, base, ea);
}

LLVMValueRef lower_memarg_address(lower_ctx *c, const wasm_memarg *mem, LLVMValueRef addr,
                                  unsigned size)
{
    if (mem->memory == 0 && (c->mem_base != NULL || c->mem_record != NULL))
        return lower_effective_address(c, addr, mem->offset, size);
    return generic_address(c, mem->memory, addr, mem->offset, size);
}

bool lower_load_op(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    const wasm_opinfo *info = &wasm_ops[ins->op];
    LLVMTypeRef t = lower_letter_type(u, info->out[0]);
    LLVMValueRef ptr = lower_memarg_address(c, &ins->u.memarg.mem, lower_pop(c), info->size);
    if (arg == LOAD_PLAIN) {
        lower_push(c, lower_load(c, t, ptr, ALIAS_MEMORY, false));
        return true;
    }
    LLVMTypeRef narrow = LLVMIntTypeInContext(u->ctx, info->size * 8u);
    LLVMValueRef v = lower_load(c, narrow, ptr, ALIAS_MEMORY, false);
    lower_push(c,
               arg == LOAD_SIGNED ? LLVMBuildSExt(c->b, v, t, "") : LLVMBuildZExt(c->b, v, t, ""));
    return true;
}

bool lower_store_op(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    const wasm_opinfo *info = &wasm_ops[ins->op];
    LLVMValueRef v = lower_pop(c);
    LLVMValueRef ptr = lower_memarg_address(c, &ins->u.memarg.mem, lower_pop(c), info->size);
    LLVMTypeRef t = LLVMTypeOf(v);
    if (LLVMGetTypeKind(t) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(t) > info->size * 8u)
        v = LLVMBuildTrunc(c->b, v, LLVMIntTypeInContext(u->ctx, info->size * 8u), "");
    lower_store(c, v, ptr, ALIAS_MEMORY);
    return true;
}

LLVMValueRef lower_memory0_bytes(lower_ctx *c)
{
    lower_unit *u = c->u;
    return record_field(c, memory_record(c, 0), u->t_i64, offsetof(kiln_memory, size), false);
}

/* An address-typed operand of a bulk instruction as the runtime takes it: u64. */
static LLVMValueRef address_u64(lower_ctx *c, LLVMValueRef v)
{
    return LLVMTypeOf(v) == c->u->t_i64 ? v : LLVMBuildZExt(c->b, v, c->u->t_i64, "");
}

bool lower_memory_size(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    uint32_t mem = ins->u.index;
    LLVMValueRef bytes = memory_bytes(c, memory_record(c, mem), mem);
    LLVMValueRef pages =
        LLVMBuildLShr(c->b, bytes, lower_i64(u, wasm_memory_page_log2(u->m, mem)), "");
    lower_push(c, wasm_memory_is64(u->m, mem) ? pages : LLVMBuildTrunc(c->b, pages, u->t_i32, ""));
    return true;
}

bool lower_memory_grow(lower_ctx *c, const wasm_instr *ins, int arg)
{
    lower_unit *u = c->u;
    uint32_t mem = ins->u.index;
    LLVMValueRef args[3] = {c->vmctx, lower_i32(u, mem), address_u64(c, lower_pop(c))};
    LLVMValueRef old = lower_rt_call(c, RT_MEMORY_GROW, args, 3);
    /* A 32-bit memory's failure, UINT64_MAX, truncates to -1. */
    lower_push(c, wasm_memory_is64(u->m, mem) ? old : LLVMBuildTrunc(c->b, old, u->t_i32, ""));
    lower_memory_reload(c); /* the base may have moved */
    return true;
}

bool lower_memory_init(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[6];
    args[0] = c->vmctx;
    args[1] = lower_i32(c->u, ins->u.memory_init.memory);
    args[2] = lower_i32(c->u, ins->u.memory_init.data);
    args[5] = lower_pop(c);                 /* length: i32 */
    args[4] = lower_pop(c);                 /* offset in the segment: i32 */
    args[3] = address_u64(c, lower_pop(c)); /* destination */
    lower_rt_call(c, RT_MEMORY_INIT, args, 6);
    return true;
}

bool lower_data_drop(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[2] = {c->vmctx, lower_i32(c->u, ins->u.index)};
    lower_rt_call(c, RT_DATA_DROP, args, 2);
    return true;
}

bool lower_memory_copy(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[6];
    args[0] = c->vmctx;
    args[1] = lower_i32(c->u, ins->u.memory_copy.dst);
    args[2] = lower_i32(c->u, ins->u.memory_copy.src);
    args[5] = address_u64(c, lower_pop(c));
    args[4] = address_u64(c, lower_pop(c));
    args[3] = address_u64(c, lower_pop(c));
    lower_rt_call(c, RT_MEMORY_COPY, args, 6);
    return true;
}

bool lower_memory_fill(lower_ctx *c, const wasm_instr *ins, int arg)
{
    LLVMValueRef args[5];
    args[0] = c->vmctx;
    args[1] = lower_i32(c->u, ins->u.index);
    args[4] = address_u64(c, lower_pop(c)); /* length */
    args[3] = lower_pop(c);                 /* byte value: i32 */
    args[2] = address_u64(c, lower_pop(c)); /* destination */
    lower_rt_call(c, RT_MEMORY_FILL, args, 5);
    return true;
}
