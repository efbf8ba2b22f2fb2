/* lower.h -- private header of the code generator: lower*.c, emit.c and compile.c.
 *
 * toolchain.h holds what the rest of the toolchain sees of code generation (kiln_compile and
 * the name mangling); this header holds the LLVM-typed state the lowering files share, so that
 * nothing outside them needs the LLVM headers. Two levels of state:
 *   lower_unit  one per compilation: the LLVM context/module, types, declarations, metadata,
 *               the vmctx layout, and the functions every other function refers to;
 *   lower_ctx   one per function body: builder position, value stack, control frames, locals,
 *               the lazily created trap blocks. Its arrays live in the unit's scratch arena,
 *               which is reset after every function.
 * Lowering runs only on validated modules: handlers assert, they do not report, except for
 * an instruction without a lower.def row, which is KILN_ERR_UNSUPPORTED.
 */
#ifndef KILN_TOOLCHAIN_LOWER_H
#define KILN_TOOLCHAIN_LOWER_H

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "kiln/abi.h"
#include "toolchain.h"

/* Bytes of a name-section name kept in a function's symbol (lower_func_symbol). */
#define LOWER_NAME_MAX 96

/* Intrinsics the lowering calls; names in lower.c. */
typedef enum lower_intr {
    INTR_CTLZ,
    INTR_CTTZ,
    INTR_CTPOP,
    INTR_FABS,
    INTR_CEIL,
    INTR_FLOOR,
    INTR_TRUNC,
    INTR_ROUNDEVEN,
    INTR_SQRT,
    INTR_MINIMUM,
    INTR_MAXIMUM,
    INTR_COPYSIGN,
    INTR_FSHL,
    INTR_FSHR,
    INTR_FPTOSI_SAT,
    INTR_FPTOUI_SAT,
    INTR_STACKSAVE,
    INTR_ABS,
    INTR_SMIN,
    INTR_SMAX,
    INTR_UMIN,
    INTR_UMAX,
    INTR_SADD_SAT,
    INTR_UADD_SAT,
    INTR_SSUB_SAT,
    INTR_USUB_SAT,
    INTR_UADD_OVF,
    INTR_MEMCPY,
    INTR_MEMSET,
    INTR_COUNT
} lower_intr;

/* Runtime functions of abi.h that generated code calls; signatures in lower.c. */
typedef enum lower_rt {
    RT_TRAP_RAISE,
    RT_HOST_CALL,
    RT_SEALED_RETURN,
    RT_MEMORY_GROW,
    RT_MEMORY_INIT,
    RT_DATA_DROP,
    RT_MEMORY_COPY,
    RT_MEMORY_FILL,
    RT_TABLE_GROW,
    RT_TABLE_FILL,
    RT_TABLE_COPY,
    RT_TABLE_INIT,
    RT_ELEM_DROP,
    RT_THROW,
    RT_THROW_REF,
    RT_EXN_GET,
    RT_EXN_CAUGHT,
    RT_EXN_DROP,
    RT_ATOMIC_WAIT32,
    RT_ATOMIC_WAIT64,
    RT_ATOMIC_NOTIFY,
    RT_COUNT
} lower_rt;

/* Alias classes (TBAA): accesses of different classes never alias. Linear memory is never
 * inside vmctx or a table, so stores to it cannot clobber the memory base, globals or
 * import slots that LLVM has loaded (wasm2c reloads the base after every char store). */
typedef enum lower_alias {
    ALIAS_MEMORY, /* linear memory */
    ALIAS_VMCTX,  /* vmctx and what it points to: globals, slots, funcrefs, table/memory records */
    ALIAS_TABLE,  /* table element arrays */
    ALIAS_COUNT
} lower_alias;

/* The part of a module one LLVM module holds (compile.c, partition.c). An unsplit module is
 * one part with every defined function and the descriptor; its functions are internal. A
 * split module has several parts, each compiled in its own context and merged by
 * `ld.lld -r`: there every defined function PREFIX_f<N> is a hidden global (the descriptor
 * and other parts refer to it), and each part declares the functions it calls from other
 * parts. Import adapters and array entries are referred to by the descriptor only and stay
 * internal to its part. */
typedef struct lower_part {
    uint32_t first, end; /* defined function indices [first, end) lowered in this part */
    bool descriptor;     /* holds the import adapters, array entries and PREFIX_module */
    bool split;          /* one of several parts */
} lower_part;

#define LOWER_LIBC_KINDS 4 /* lower_libc.c: none, memcpy, memset, memcmp */

/* The LLVM signature of a Wasm function type (lower_abi.c, docs/abi.md "Functions"):
 * RET (ptr vmctx, [ptr results,] the parameters that are passed in registers). */
typedef struct lower_sig {
    LLVMTypeRef fn;      /* the function type */
    LLVMTypeRef ret;     /* its return type: the one result, or void */
    LLVMTypeRef results; /* several results: the struct the results pointer points to */
    LLVMTypeRef key;     /* RESULTS (ptr, PARAMS...): equal exactly for equal Wasm types */
    uint32_t *spill;     /* riscv64: per parameter, 0 (a register) or 1 + its offset in
                            kiln_spill_area; NULL when every parameter is in a register */
    uint32_t spill_size; /* bytes of kiln_spill_area the type uses */
    unsigned first;      /* LLVM index of the first Wasm parameter: 1, or 2 after results */
} lower_sig;

/* A function proven to store the low 128 bits of the product (a_hi:a_lo) * (b_hi:b_lo) of
 * its parameters (ret, a_lo, a_hi, b_lo, b_hi) at ret (low half) and ret + 8 (high half)
 * (idiom_mul128.c): its two i64 stores in their order, each to ret + add[i] (an i32 add,
 * wrapping; none if 0) with memarg offset offset[i], storing half[i] (0 low, 1 high). */
typedef struct lower_mul128 {
    uint8_t half[2];
    int32_t add[2];
    uint64_t offset[2];
} lower_mul128;
/* Whether f computes that multiply, proven whatever its encoding; *out is its store plan. */
bool lower_mul128_match(const wasm_module *m, const wasm_func *f, lower_mul128 *out);

/* Per function of a unit: whether lower_mul128_match was asked (state) and its answer. */
typedef struct lower_mul128_cache {
    uint8_t state; /* 0 not asked, 1 no, 2 yes */
    lower_mul128 plan;
} lower_mul128_cache;

typedef struct lower_unit {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTargetDataRef td;
    const wasm_module *m;
    const char *prefix;
    const lower_part *part;
    kiln_diag *diag;
    kiln_arena scratch;      /* per function; reset after each */
    kiln_arena arena;        /* per compilation */
    unsigned ptr_size;       /* 4 or 8 (kiln_ptr64 slots are always 8) */
    bool is_elf;             /* code goes to section kiln_text with __start_/__stop_ bounds */
    bool bounds_checks;      /* explicit bounds checks (KILN_MODULE_BOUNDS_CHECKED) */
    bool relaxed_dead_loads; /* no anchors on loads (kiln_compile_options) */
    bool address_facts;      /* folds and nuw adds (lower_memory.c; lower.c: when exact) */
    kiln_interrupt_mode interrupts; /* SIGNAL, FULL or NONE (resolved from AUTO) */
    const char *sealed_imports;     /* kiln_compile_options.sealed_imports */
    LLVMDIBuilderRef dib;           /* -g: debug info (lower.c, lower_debug_*), else NULL */
    LLVMMetadataRef di_file, di_cu, di_fn_type;
    bool bare_metal;   /* an OS-less triple (*-none-*): no unwind tables */
    bool exceptions;   /* the module uses exceptions: wasm functions may unwind (not nounwind) */
    unsigned wasm_cc;  /* LLVM calling convention of Wasm functions (lower_abi.c): tailcc, or
                        * ccc where LLVM 19 has no tailcc (riscv64) */
    unsigned arg_regs; /* where Wasm calls put arguments (lower_abi.c ARGS_*) */
    char symbol[KILN_MAX_PREFIX + 2 + 32 + LOWER_NAME_MAX]; /* lower_symbol()'s result */

    kiln_vmctx_layout layout;

    LLVMTypeRef t_void, t_i1, t_i8, t_i32, t_i64, t_f32, t_f64, t_v128, t_ptr;
    struct lower_sig *sigs; /* per type index: its LLVM signature (lower_abi.c) */
    LLVMValueRef *funcs;    /* per function index: the defined function or import adapter;
                               NULL until lower_func declares one from another part */
    bool *sealed;           /* per function import: sealed (kiln_compile_options), its adapter
                               calls PREFIX_import_M_N (lower_module.c) */
    LLVMValueRef *entries;  /* per type index: its array entry, or NULL if unused */
    LLVMValueRef rt[RT_COUNT];
    LLVMValueRef code_begin, code_end; /* __start_/__stop_kiln_text */

    LLVMValueRef assume; /* llvm.assume, for the keep-alive anchors of loads */
    LLVMTypeRef assume_type;
    LLVMValueRef sideeffect; /* llvm.sideeffect, which keeps loops with anchored loads */
    LLVMTypeRef sideeffect_type;
    unsigned md_tbaa, md_invariant, md_prof;
    LLVMValueRef tbaa[ALIAS_COUNT];
    LLVMValueRef unlikely;                       /* branch_weights for a branch to a trap block */
    LLVMValueRef libc_entries[LOWER_LIBC_KINDS]; /* per lower_libc.c kind: lower_libc_entry's */
    uint32_t libc_entry_funcs[LOWER_LIBC_KINDS]; /* ... and the function index it calls */
    lower_mul128_cache *mul128;                  /* per function index (lower_mul128_of) */
    bool *table_fixed; /* per table: its size and elements array never change while an
                          instance runs (lower_declare_functions): loads of them invariant */
} lower_unit;

typedef enum lower_frame_kind {
    FRAME_FUNC,
    FRAME_BLOCK,
    FRAME_LOOP,
    FRAME_IF,
    FRAME_ELSE
} lower_frame_kind;

/* One control frame: a block, loop, if/else, or the function body itself. */
typedef struct lower_frame {
    uint8_t kind; /* lower_frame_kind */
    uint32_t param_count, result_count;
    uint32_t height;           /* value stack height below the frame's parameters */
    LLVMBasicBlockRef end_bb;  /* continuation after `end` (not for loops) */
    LLVMValueRef *end_phis;    /* result_count phis at the top of end_bb */
    uint32_t end_preds;        /* edges into end_bb so far */
    LLVMBasicBlockRef loop_bb; /* loops: the header, target of branches to the label */
    LLVMValueRef *loop_phis;   /* loops: param_count phis at the top of loop_bb */
    LLVMBasicBlockRef else_bb; /* if: the else arm, until `else` is reached */
    LLVMValueRef *if_params;   /* if: the parameters, pushed again for the else arm */
    /* Exceptions (lower_control.c): what the frame does with an exception thrown inside. */
    uint8_t eh;                     /* lower_eh */
    const wasm_catch *catches;      /* try_table: its catch clauses (labels count from the frame */
    uint32_t catch_count;           /* below) */
    LLVMBasicBlockRef lpad;         /* the landing pad of the calls in the try_table's or try's */
                                    /* body, made for the first one; NULL while there is none */
    LLVMBasicBlockRef dispatch;     /* ... its tag tests, entered with the landingpad's value */
    LLVMValueRef dispatch_lp;       /* (a phi: its own pad's, or an inner frame's) */
    LLVMValueRef exn, tag;          /* try: the exception and its tag, in dispatch */
    LLVMBasicBlockRef next_test;    /* try: where the next catch's tag test goes, or NULL */
    LLVMValueRef held;              /* in a handler: the exception it holds (NULL: unreachable) */
    LLVMBasicBlockRef cleanup_lpad; /* in a handler: the landing pad of its calls, and */
    LLVMBasicBlockRef cleanup;      /* what it leads to (drop held, then go outward), entered */
    LLVMValueRef cleanup_lp;        /* with the landingpad's value (a phi) */
    bool kept;                      /* loops: llvm.sideeffect placed in the header (lower_load) */
} lower_frame;

/* lower_frame.eh: a try_table with catch clauses, a legacy try while in its body, and one
 * while in a catch or catch_all handler. */
typedef enum lower_eh { EH_NONE, EH_TRY_TABLE, EH_TRY, EH_CATCH } lower_eh;

/* An i32 value as address facts know it: a local's value between two writes (local is its
 * index), or any other SSA value (local == UINT32_MAX), within one basic block. */
typedef struct lower_addr_key {
    LLVMBasicBlockRef bb;
    LLVMValueRef value;
    uint32_t local, version;
} lower_addr_key;

enum { LOWER_FACTS = 32, LOWER_GETS = 64, LOWER_ROOTS_MAX = 64 };

/* String attributes of the functions interrupt.c gives interruption checks: wasm functions
 * (checks on loop back-edges) and array entries (a check on entry). */
#define LOWER_CHECKS_ATTR "kiln-interrupt-checks"
#define LOWER_ENTRY_ATTR  "kiln-interrupt-entry"

/* The text of the inline asm that makes a "root" copy of memory 0's base (lower_memory.c);
 * emit_optimize replaces every such copy by the base after the optimisation pipeline. */
#define LOWER_ROOT_ASM "# kiln root"

/* The operand bundle tag of the anchors that keep out-of-bounds loads trapping in guard-page
 * mode: `call void @llvm.assume(i1 true) ["noundef"(T %loaded)]` after each load of Wasm
 * memory (lower_load). The claim is true -- bytes of linear memory are never undef -- and
 * it is a use LLVM keeps, so no optimisation deletes a load whose value turns out unneeded;
 * emit_optimize removes the anchors after the pipeline and makes the loads that had no other
 * use volatile (emit.c, docs/abi.md "Loads whose value is unused"). */
#define LOWER_KEEP_TAG "noundef"
/* Anchors are "droppable" uses to LLVM: a pass may drop them along with what it deletes. Loop
 * deletion is the one that would take anchored loads with it (a loop whose only effects are
 * a counter and a dropped load is replaced by its exit values), so the header of every loop
 * with an anchored load also calls llvm.sideeffect, which no pass drops and the vectoriser
 * accepts; code generation emits nothing for it. */

typedef struct lower_ctx {
    lower_unit *u;
    LLVMBuilderRef b;
    uint32_t func_index;
    const wasm_functype *type;
    LLVMValueRef fn;
    LLVMValueRef vmctx;
    LLVMValueRef mem_base; /* memory 0's base, loaded once in the entry block; or NULL */
    LLVMBasicBlockRef entry_bb;
    LLVMValueRef *root_bases; /* per local: its root copy of mem_base, or NULL (lower_memory.c) */
    uint32_t root_count;
    /* Bounds-checked mode: memory 0's record (invariant), and allocas holding its base and
     * size in bytes (pointer-sized integer), reloaded after calls and memory.grow; mem2reg
     * turns them into SSA values, so checks see one load per call-free region. */
    LLVMValueRef mem_record, mem_base_slot, mem_size_slot;

    uint32_t local_count; /* parameters included */
    LLVMValueRef *locals; /* allocas */
    wasm_valtype *local_types;
    uint32_t *local_versions; /* bumped by every local.set/tee (address facts) */

    /* Guard-page address facts (lower_memory.c): the i32 addresses accessed so far in the
     * current basic block, and which local (at which version) recent local.get values read. */
    lower_addr_key facts[LOWER_FACTS];
    uint32_t fact_count; /* facts[0 .. fact_count), least recently used first */
    lower_addr_key gets[LOWER_GETS];
    uint32_t get_next;

    LLVMValueRef *stack;
    uint32_t sp, stack_cap;
    lower_frame *frames;
    uint32_t depth, frame_cap;

    /* The prologue's stack check (its comparison), and whether the body calls wasm code: a
     * small function that does not loses the check (lower.c, lower_leaf_check). */
    LLVMValueRef stack_check;
    bool calls_wasm;

    bool unreachable;    /* the current position is dead until the frame's else/end */
    uint32_t dead_depth; /* blocks opened inside dead code */
    LLVMBasicBlockRef trap_bb[KILN_TRAP_COUNT];
} lower_ctx;

/* Every handler of the lowering table: arg is the row's parameter. */
typedef bool (*lower_fn)(lower_ctx *c, const wasm_instr *ins, int arg);

/* ---- lower.c: the driver and helpers shared by the families ---- */

/* Lowers part of a validated module into mod, whose target triple and data layout are set,
 * with o's bounds_checks, interrupt_checks and alloc. */
bool lower_module(LLVMModuleRef mod, LLVMTargetDataRef td, const wasm_module *m, const char *prefix,
                  const kiln_compile_options *o, const lower_part *part, kiln_diag *d);
/* Whether objects for the (normalised) triple are ELF: a kiln_text section with
 * __start_/__stop_ bounds, and parts merged by `ld.lld -r`. */
bool lower_triple_is_elf(const char *triple);
/* Fills the vmctx layout of m (docs/abi.md); false with KILN_ERR_LIMIT if it exceeds 4 GiB. */
bool lower_layout(const wasm_module *m, kiln_vmctx_layout *out, kiln_diag *d);

LLVMTypeRef lower_valtype(const lower_unit *u, wasm_valtype t);
LLVMTypeRef lower_letter_type(const lower_unit *u, char letter); /* opcodes.def in/out */
LLVMValueRef lower_rt_decl(lower_unit *u, lower_rt fn);
LLVMValueRef lower_rt_call(lower_ctx *c, lower_rt fn, LLVMValueRef *args, unsigned n);
LLVMValueRef lower_intrinsic(lower_unit *u, lower_intr id, LLVMTypeRef *types, unsigned n,
                             LLVMTypeRef *out_type);
LLVMValueRef lower_call_intr(lower_ctx *c, lower_intr id, LLVMTypeRef *types, unsigned ntypes,
                             LLVMValueRef *args, unsigned nargs);
LLVMValueRef lower_i32(const lower_unit *u, uint32_t v);
LLVMValueRef lower_i64(const lower_unit *u, uint64_t v);

void lower_push(lower_ctx *c, LLVMValueRef v);
LLVMValueRef lower_pop(lower_ctx *c);
/* The top n values, bottom first; valid until the next push. */
LLVMValueRef *lower_top(lower_ctx *c, uint32_t n);

/* A pointer to vmctx + offset, and typed loads/stores through such pointers. */
LLVMValueRef lower_vmctx_ptr(lower_ctx *c, uint64_t offset);
/* Marks a load of a pointer as never null and pointing at bytes readable ones, 8-aligned. */
void lower_mark_dereferenceable(lower_ctx *c, LLVMValueRef load, uint64_t bytes);
LLVMValueRef lower_load(lower_ctx *c, LLVMTypeRef t, LLVMValueRef ptr, lower_alias alias,
                        bool invariant);
LLVMValueRef lower_store(lower_ctx *c, LLVMValueRef v, LLVMValueRef ptr, lower_alias alias);
LLVMValueRef lower_gep(lower_ctx *c, LLVMValueRef base, LLVMValueRef byte_offset);
/* The operand an identity-foldable float operation equals (lower_numeric.c). */
LLVMValueRef lower_float_identity(LLVMOpcode op, bool f32, LLVMValueRef l, bool lc, uint64_t lk,
                                  LLVMValueRef r, bool rc, uint64_t rk, bool *negate);
/* The address of a size-byte access to memory 0 (32-bit, whose base or record the function
 * keeps): base + zext(addr) + offset, after the bounds check in bounds-checked mode
 * (lower_memory.c). */
LLVMValueRef lower_effective_address(lower_ctx *c, LLVMValueRef addr, uint64_t offset,
                                     unsigned size);
/* The same for the memory and offset of a memarg, any memory: every access to a 64-bit memory
 * is bounds-checked, in either mode. */
LLVMValueRef lower_memarg_address(lower_ctx *c, const wasm_memarg *mem, LLVMValueRef addr,
                                  unsigned size);
/* Bounds-checked mode: memory 0's base and size, loaded into the function's slots (in the
 * prologue, and again after anything that may grow or move memory: calls, memory.grow). */
void lower_memory_reload(lower_ctx *c);

/* Branches to the function's trap block for `trap` if cond is true; continues in a new block. */
void lower_trap_if(lower_ctx *c, LLVMValueRef cond, kiln_trap trap);
/* The trap block itself (created on first use). */
LLVMBasicBlockRef lower_trap_block(lower_ctx *c, kiln_trap trap);
/* A new block placed after the current one. */
LLVMBasicBlockRef lower_new_block(lower_ctx *c, const char *name);
/* Marks a conditional branch as almost never taken towards its first successor. */
void lower_mark_unlikely(lower_ctx *c, LLVMValueRef br);

/* ---- lower_control.c ---- */
bool lower_nop(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_unreachable(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_block(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_loop(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_if(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_else(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_end(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_br(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_br_if(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_br_table(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_return(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_call(lower_ctx *c, const wasm_instr *ins, int arg);
/* A 64x64->128 multiply helper (__multi3 of any toolchain, lower.c "Idiom"): whether function
 * f (an index) computes one (on 64-bit targets; decided once per unit, idiom_mul128.c); a
 * direct call of it, expanded in place (pops its five arguments). */
const lower_mul128 *lower_mul128_of(lower_unit *u, uint32_t f);
void lower_mul128_call(lower_ctx *c, const lower_mul128 *plan);
bool lower_call_indirect(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_call_ref(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_try_table(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_try(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_catch(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_delegate(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_rethrow(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_throw(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_br_on_null(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_drop(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_select(lower_ctx *c, const wasm_instr *ins, int arg);
/* Opens the function-body frame (called by the driver before the first instruction). */
bool lower_func_frame(lower_ctx *c);
/* Calls fn of type index type_index with the top values as arguments; pushes the results,
 * or, as a tail call (return_call), returns them. */
bool lower_emit_call(lower_ctx *c, uint32_t type_index, LLVMValueRef callee,
                     LLVMValueRef callee_vmctx, bool tail);

/* lower_abi.c: the calling convention of Wasm functions. */
/* Fills u->sigs and u->wasm_cc. */
bool lower_signatures(lower_unit *u);
/* Gives fn (a function of some Wasm type) the Wasm calling convention. */
void lower_set_wasm_cc(const lower_unit *u, LLVMValueRef fn);
/* Wasm parameter i of fn, of type type_index. In fn's entry, before it calls anything. */
LLVMValueRef lower_param(lower_unit *u, LLVMBuilderRef b, LLVMValueRef fn, uint32_t type_index,
                         uint32_t i);
/* Returns the results vals from fn, of type type_index. */
void lower_ret(lower_unit *u, LLVMBuilderRef b, LLVMValueRef fn, uint32_t type_index,
               LLVMValueRef *vals);
/* At b in caller (of type caller_type): calls callee (of type type_index, Wasm arguments
 * args) with vmctx. An ordinary call stores the results in results[]; a tail call returns
 * them from caller (the two types' results are equal) and ends the block. With unwind (an
 * ordinary call inside a try_table), the call is an invoke whose exceptions land there, and
 * b continues in a new block. */
bool lower_call_wasm(lower_unit *u, LLVMBuilderRef b, LLVMValueRef caller, uint32_t type_index,
                     uint32_t caller_type, LLVMValueRef callee, LLVMValueRef vmctx,
                     LLVMValueRef *args, bool tail, LLVMBasicBlockRef unwind,
                     LLVMValueRef *results);
/* At b in caller: a call of fn (of type fty), or with unwind an invoke whose exceptions land
 * there, b continuing in a new block. */
LLVMValueRef lower_build_call(lower_unit *u, LLVMBuilderRef b, LLVMValueRef caller, LLVMTypeRef fty,
                              LLVMValueRef fn, LLVMValueRef *args, unsigned n,
                              LLVMBasicBlockRef unwind);
/* An alloca of t at the start of fn's entry block (a static one: LLVM colours its slot). */
LLVMValueRef lower_entry_alloca(lower_unit *u, LLVMValueRef fn, LLVMTypeRef t, const char *name);
/* Calls fn (of type fty) at c's position: an invoke when the position is inside a try_table
 * (lower_control.c), so that an exception lands in its handlers. */
LLVMValueRef lower_call_may_throw(lower_ctx *c, LLVMTypeRef fty, LLVMValueRef fn,
                                  LLVMValueRef *args, unsigned n);
/* The landing pad for calls at c's position: the innermost enclosing try_table's (made on
 * first use), or NULL outside try_table. */
LLVMBasicBlockRef lower_unwind_dest(lower_ctx *c);

/* ---- lower_numeric.c ---- */
bool lower_const(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_binop(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_wide(lower_ctx *c, const wasm_instr *ins, int arg);
/* f64 (or f64x2) min/max without llvm.minimum/maximum, for 32-bit targets (lower_numeric.c). */
LLVMValueRef lower_minmax_by_hand(lower_ctx *c, bool min, LLVMValueRef a, LLVMValueRef b);
bool lower_fneg(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_icmp(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_fcmp(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_eqz(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_unary_intr(lower_ctx *c, const wasm_instr *ins, int arg);
/* r = intrinsic id applied to x; on targets whose rounding keeps a signalling NaN (RISC-V),
 * quiets it (lower_numeric.c). Scalars and vectors. */
LLVMValueRef lower_quiet_rounding(lower_ctx *c, lower_intr id, LLVMValueRef x, LLVMValueRef r);
bool lower_binary_intr(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_minmax(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_count_zeros(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_rotate(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_shift(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_idiv(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_cast(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_sext_in(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_trunc(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_trunc_sat(lower_ctx *c, const wasm_instr *ins, int arg);

/* ---- lower_memory.c ---- */
enum { LOAD_PLAIN, LOAD_SIGNED, LOAD_UNSIGNED };
bool lower_load_op(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_store_op(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_memory_size(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_memory_grow(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_memory_init(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_data_drop(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_memory_copy(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_memory_fill(lower_ctx *c, const wasm_instr *ins, int arg);

/* ---- lower_atomic.c: the 0xFE family (threads) ---- */
bool lower_atomic_load(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_atomic_store(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_atomic_rmw(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_atomic_cmpxchg(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_atomic_wait(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_atomic_notify(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_atomic_fence(lower_ctx *c, const wasm_instr *ins, int arg);

/* ---- lower_simd.c: the 0xFD family ----
 * A row's arg is SIMD_ARG(shape, x): the lane shape the v128 operands are viewed as, and the
 * handler's own parameter (LLVM opcode, predicate, intrinsic or SIMD_* flags). */
enum lower_shape { SH_I8, SH_I16, SH_I32, SH_I64, SH_F32, SH_F64 };
#define SIMD_ARG(shape, x) ((shape) | ((x) << 3))
enum { SIMD_SIGNED = 1, SIMD_UNSIGNED = 2, SIMD_HIGH = 4 };
enum { VLOAD_PLAIN, VLOAD_EXTEND, VLOAD_SPLAT, VLOAD_ZERO, VLOAD_LANE, VSTORE_LANE, VSTORE };
bool lower_v128_memory(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_v128_const(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_v128_not(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_v128_andnot(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_v128_bitselect(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_v128_any_true(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_shuffle(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_swizzle(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_splat(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_extract(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_replace(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_icmp(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_fcmp(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_binop(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_neg(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_unary_intr(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_binary_intr(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_abs(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_shift(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_all_true(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_bitmask(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_avgr(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_q15mulr(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_extmul(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_extadd(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_dot(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_relaxed_madd(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_relaxed_dot(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_narrow(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_extend(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_fminmax(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_pminmax(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_convert(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_trunc_sat(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_demote(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_simd_promote(lower_ctx *c, const wasm_instr *ins, int arg);

/* ---- lower_variable.c: locals, globals, tables, references ---- */
bool lower_local_get(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_local_set(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_local_tee(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_global_get(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_global_set(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_table_get(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_table_set(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_table_size(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_table_grow(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_table_fill(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_table_copy(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_table_init(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_elem_drop(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_ref_null(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_ref_is_null(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_ref_as_non_null(lower_ctx *c, const wasm_instr *ins, int arg);
bool lower_ref_func(lower_ctx *c, const wasm_instr *ins, int arg);
/* The wasm_table record of table t, and the funcref record ref.func f yields. */
LLVMValueRef lower_table_record(lower_ctx *c, uint32_t t);
/* Whether index (i32, or i64 for a 64-bit table) is out of a table of size (i32) elements. */
LLVMValueRef lower_table_index_oob(lower_ctx *c, LLVMValueRef index, LLVMValueRef size);
/* The address of element index (in bounds) of the element array elems. */
LLVMValueRef lower_table_elem(lower_ctx *c, LLVMValueRef elems, LLVMValueRef index);
LLVMValueRef lower_funcref(lower_ctx *c, uint32_t f);

/* ---- lower_module.c: everything outside function bodies ---- */

/* Declares the part's functions: its defined functions, and the import adapters in the
 * descriptor's part (every function when the module is not split). */
bool lower_declare_functions(lower_unit *u);
/* Function index f as a callee or a descriptor entry: u->funcs[f], declared first (a hidden
 * external declaration) when another part of a split module defines it. */
LLVMValueRef lower_func(lower_unit *u, uint32_t f);
/* Emits the import adapters, the array entries, and the P_module descriptor. */
bool lower_module_data(lower_unit *u);
/* The symbol name PREFIX_suffix, in u->symbol (valid until the next call; LLVM copies it). */
const char *lower_symbol(lower_unit *u, const char *fmt, ...) KILN_PRINTF(2, 3);
/* PREFIX_f<N>[.<sanitised name-section name>]: the symbol of defined function f. */
const char *lower_func_symbol(lower_unit *u, uint32_t f);
/* Applies the attributes and section every generated function gets. */
void lower_vmctx_attrs(lower_unit *u, LLVMValueRef fn);
void lower_function_attrs(lower_unit *u, LLVMValueRef fn);

/* ---- lower_libc.c: wasi-libc's memcpy, memset and memcmp ---- */

/* When f is wasi-libc's memcpy, memset or memcmp (exact type and body), emits a native fast
 * path for long in-bounds calls (lower_libc.c says which) and leaves the builder where the
 * function's own body goes; false (nothing emitted) for any other function. */
bool lower_libc_fast_path(lower_ctx *c, const wasm_func *f);
/* The always-inline entry direct calls of wasi-libc function f go through (n == 0 returns at
 * once), or NULL when f is not memcpy, memset or memcmp. */
LLVMValueRef lower_libc_entry(lower_unit *u, uint32_t f);

/* ---- lower_memory.c ---- */

/* memory 0's current size in bytes (i64), read from its runtime record. */
LLVMValueRef lower_memory0_bytes(lower_ctx *c);

/* v is the value of local i at its current version (local.get read it, or local.set/tee
 * wrote it). */
void lower_fact_local(lower_ctx *c, LLVMValueRef v, uint32_t i);
/* Marks `add` (just built as l + r, i32) nuw when r is a constant below 64 KiB and l was
 * accessed earlier in this block: the sum cannot wrap (lower_memory.c). */
void lower_fact_add(lower_ctx *c, LLVMValueRef add, LLVMValueRef l, LLVMValueRef r);

/* ---- emit.c: target machine, verification, optimisation, output ---- */

/* A target machine for triple (NULL = the host's) and cpu (NULL = "x86-64-v2" for x86-64,
 * the port's baseline elsewhere; "generic" = the baseline, SSE2 on x86-64; "native" = the
 * host CPU and its features), position-independent code, at -O opt_level (0-3). */
bool emit_target_machine(const char *triple, const char *cpu, int opt_level,
                         LLVMTargetMachineRef *out, kiln_diag *d);
/* LLVMVerifyModule; KILN_ERR_LLVM with the verifier's first line on failure. */
bool emit_verify(LLVMModuleRef mod, kiln_diag *d);
/* The new pass manager's default<O0..O3> pipeline. */
/* Function attributes every defined function gets, before optimisation. cpu as given (NULL:
 * the default): x86-64 code for a microarchitecture level (x86-64-v2, the default; -v3, -v4)
 * names an instruction set, not a CPU, so it gets tune-cpu "generic", as clang's
 * -march=x86-64-vN does, instead of the level's own model's tuning (which turns rotates into
 * SHLD, microcoded on AMD: SHA-256 ran 1.9x slower). size_level 1 (-Os) adds optsize, 2 (-Oz)
 * optsize and minsize, so instruction selection and the machine passes choose smaller code. */
/* idiom_carry.c: 128-bit sums written in 64-bit halves with their carries, rebuilt as i128
 * adds (64-bit targets, after the pipeline). Returns how many trees it rebuilt. */
unsigned idiom_carry_chains(LLVMModuleRef mod);
void emit_function_attributes(LLVMModuleRef mod, const char *cpu, int size_level);
/* The new pass manager's default<O0..O3> pipeline (opt_level 0-3), or default<Os> / <Oz>
 * (opt_level -1 / -2). */
bool emit_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level, kiln_diag *d);
/* ---- interrupt.c ---- */

/* Adds interruption checks (vmctx->interrupt) to the optimised IR: at the entry of every
 * function marked LOWER_ENTRY_ATTR; in those marked LOWER_CHECKS_ATTR, on the back-edges of
 * loops that call (full: of every loop, and at the entry of every function that calls). */
void emit_interrupt_checks(LLVMModuleRef mod, bool full);
/* The interruption mode o asks for on triple (AUTO resolved). */
kiln_interrupt_mode lower_interrupt_mode(const kiln_compile_options *o, const char *triple);

/* The object, assembly or textual IR, in a malloc'ed buffer owned by the caller. */
bool emit_output(LLVMModuleRef mod, LLVMTargetMachineRef tm, kiln_emit_kind kind, uint8_t **out,
                 size_t *out_size, kiln_diag *d);

/* ---- partition.c: parts, worker threads, `ld.lld -r` ---- */

/* Bytes of function bodies per part by default (docs/cli.md, `--partition-size`). */
#define KILN_PART_SIZE 65536u

/* Splits m's defined functions into parts of consecutive functions whose bodies reach
 * part_size bytes (0 = KILN_PART_SIZE); part 0 holds the descriptor. *out is malloc'ed.
 * Returns the number of parts (>= 1), or 0 with d set when out of memory. */
uint32_t part_plan(const wasm_module *m, uint32_t part_size, lower_part **out, kiln_diag *d);
/* The thread count for -j jobs: 0 = the online cores; at most 256. */
unsigned part_jobs(unsigned jobs);
/* Compiles part index into its own output; d is the part's own diag. */
typedef bool (*part_job_fn)(void *ctx, uint32_t index, kiln_diag *d);
/* Runs fn for every index in [0, count) on up to jobs threads (the caller's included). On
 * failure returns false with the lowest failing index's error in d. */
bool part_run(uint32_t count, unsigned jobs, part_job_fn fn, void *ctx, kiln_diag *d);
/* `ld.lld -r` of the parts' ELF objects, in order, into *out (malloc'ed). */
bool part_merge(uint8_t *const *objects, const size_t *sizes, uint32_t count, uint8_t **out,
                size_t *out_size, kiln_diag *d);

#endif
