/* emit.c -- the back half of the pipeline: target machine, verifier, optimiser, output.
 *
 * The target machine comes from --target (default: the host triple) and --cpu (default
 * "generic", so the output does not depend on the machine that compiles; "native" asks for
 * the host CPU and its features). Code is position-independent so objects link into PIE
 * executables and shared libraries. Optimisation is the new pass manager's default<On>
 * pipeline through LLVMRunPasses, after which the "root" copies of memory bases that lowering
 * made for the loop vectoriser (lower_memory.c) are replaced by the bases themselves, and the
 * anchors that kept loads alive are removed, leaving accesses of Wasm memory volatile for code
 * generation (settle_accesses); on 64-bit targets, 128-bit sums written in 64-bit halves are
 * rebuilt as i128 adds first (idiom_carry.c). Output goes
 * to a malloc'ed buffer (object, assembly or textual IR); compile.c writes it to a file when asked.
 * LLVM's targets are registered once per process (call_once), so compilations on several threads
 * may start at the same time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Support.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "lower.h"

static once_flag targets_once = ONCE_FLAG_INIT;

static void init_targets(void)
{
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
    LLVMInitializeAllAsmParsers();
    /* The x86 pass that turns cmov into branches moves a load feeding the cmov into the
     * branch taken when its value is used, volatile or not; a Wasm load must happen on every
     * path (settle_accesses). A cmov with a memory operand always reads it, so keeping the
     * cmov keeps the access. The option is LLVM's, process-wide, and only exists when the
     * x86 target does: every LLVM Kiln links has it. */
    const char *const args[] = {"kiln", "-x86-cmov-converter=false"};
    LLVMParseCommandLineOptions(2, args, NULL);
}

/* Copies an LLVM message into d (first line only: the diag holds one line). */
static bool llvm_fail(kiln_diag *d, const char *what, const char *msg)
{
    size_t n = msg ? strcspn(msg, "\n") : 0;
    return kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET, "%s: %.*s", what, (int)n,
                         msg ? msg : "");
}

bool emit_target_machine(const char *triple, const char *cpu, int opt_level,
                         LLVMTargetMachineRef *out, kiln_diag *d)
{
    call_once(&targets_once, init_targets);
    *out = NULL;
    char *host_triple = NULL;
    if (!triple) {
        host_triple = LLVMGetDefaultTargetTriple();
        triple = host_triple;
    }
    char *norm = LLVMNormalizeTargetTriple(triple);
    LLVMDisposeMessage(host_triple);

    bool ok = true;
    LLVMTargetRef target;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(norm, &target, &err)) {
        ok = llvm_fail(d, "unknown target", err);
        LLVMDisposeMessage(err);
        LLVMDisposeMessage(norm);
        return ok;
    }

    char *host_cpu = NULL, *host_features = NULL;
    const char *features = "";
    /* Debian's riscv64 ABI (an explicit --cpu other than generic must have F and D) */
    const char *abi = strncmp(norm, "riscv64", 7) == 0 ? "lp64d" : NULL;
    /* No --cpu: x86-64 code for the x86-64-v2 level (SSE4.2, POPCNT: every x86-64 CPU since
     * 2009, the baseline of today's distributions; docs/cli.md has the measurements), every
     * other port its Debian baseline. */
    bool x86_64 = strncmp(norm, "x86_64", 6) == 0;
    if (!cpu && x86_64)
        cpu = "x86-64-v2";
    if (!cpu || strcmp(cpu, "generic") == 0) {
        /* The Debian baseline of each port, as clang-19 chooses it, so objects link with the
         * C code of the host program (same float ABI: riscv64 lp64d, armhf VFP registers;
         * docs/cross.md). */
        cpu = "generic";
        if (strncmp(norm, "riscv64", 7) == 0) {
            cpu = "generic-rv64";
            features = "+m,+a,+f,+d,+c,+zicsr";
        } else if (strncmp(norm, "armv7", 5) == 0 && strstr(norm, "eabihf") != NULL) {
            features = "+vfp2,+vfp2sp,+vfp3d16,+vfp3d16sp,+fp64,-d32,-neon";
        }
    } else if (strcmp(cpu, "native") == 0) {
        /* This machine's CPU and features mean nothing to another architecture (LLVM would
         * warn about each feature and, for riscv64, drop the float ABI). */
        char *host = LLVMGetDefaultTargetTriple();
        size_t arch = strcspn(host, "-");
        bool same = strncmp(host, norm, arch) == 0 && norm[arch] == '-';
        if (!same)
            ok = kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET,
                               "--cpu native names this machine's CPU (%.*s), not one for %s",
                               (int)arch, host, norm);
        LLVMDisposeMessage(host);
        if (!ok) {
            LLVMDisposeMessage(norm);
            return false;
        }
        host_cpu = LLVMGetHostCPUName();
        host_features = LLVMGetHostCPUFeatures();
        cpu = host_cpu;
        features = host_features;
    }
    /* 32-bit ARM Linux: thread-local data (the spill area, lower_abi.c) through TPIDRURO, as
     * clang does for ARMv6K and later, rather than __aeabi_read_tp, which glibc keeps to
     * itself. */
    char arm_features[256];
    bool arm = strncmp(norm, "arm", 3) == 0 || strncmp(norm, "thumb", 5) == 0;
    if (arm && strstr(norm, "-linux") != NULL) {
        snprintf(arm_features, sizeof arm_features, "%s%s+read-tp-tpidruro", features,
                 *features ? "," : "");
        features = arm_features;
    }
    static const LLVMCodeGenOptLevel levels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                                 LLVMCodeGenLevelDefault,
                                                 LLVMCodeGenLevelAggressive};
    LLVMCodeGenOptLevel level = levels[opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level];
    /* At -O0, 32-bit ARM's fast instruction selector stops the process at the first call
     * with the Wasm functions' tailcc convention ("Unsupported calling convention") instead
     * of leaving it to the full selector, and aarch64's (GlobalISel) passes wrong stack
     * arguments in a tailcc tail call: both select instructions as at -O1 (lower_abi.c). */
    if (level == LLVMCodeGenLevelNone && (arm || strncmp(norm, "aarch64", 7) == 0))
        level = LLVMCodeGenLevelLess;
    LLVMTargetMachineOptionsRef tmo = LLVMCreateTargetMachineOptions();
    LLVMTargetMachineOptionsSetCPU(tmo, cpu);
    LLVMTargetMachineOptionsSetFeatures(tmo, features);
    if (abi)
        LLVMTargetMachineOptionsSetABI(tmo, abi);
    LLVMTargetMachineOptionsSetCodeGenOptLevel(tmo, level);
    LLVMTargetMachineOptionsSetRelocMode(tmo, LLVMRelocPIC);
    *out = LLVMCreateTargetMachineWithOptions(target, norm, tmo);
    LLVMDisposeTargetMachineOptions(tmo);
    if (!*out)
        ok = kiln_diag_set(d, KILN_ERR_LLVM, KILN_NO_OFFSET,
                           "cannot create a target machine for %s", norm);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(host_features);
    LLVMDisposeMessage(norm);
    return ok;
}

bool emit_verify(LLVMModuleRef mod, kiln_diag *d)
{
    char *msg = NULL;
    bool ok = !LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg);
    if (!ok)
        llvm_fail(d, "generated IR does not verify", msg);
    LLVMDisposeMessage(msg);
    return ok;
}

/* Replaces every "root" copy of a memory base (lower_memory.c) by the base it copies. */
static void strip_roots(LLVMModuleRef mod)
{
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb), next; i; i = next) {
                next = LLVMGetNextInstruction(i);
                if (!LLVMIsACallInst(i))
                    continue;
                LLVMValueRef callee = LLVMGetCalledValue(i);
                if (!LLVMIsAInlineAsm(callee))
                    continue;
                size_t len = 0;
                const char *text = LLVMGetInlineAsmAsmString(callee, &len);
                if (len != sizeof LOWER_ROOT_ASM - 1 || memcmp(text, LOWER_ROOT_ASM, len) != 0)
                    continue;
                LLVMReplaceAllUsesWith(i, LLVMGetOperand(i, 0));
                LLVMInstructionEraseFromParent(i);
            }
}

/* ---- Accesses of Wasm memory stay as written (guard-page mode) ---- */

/* Whether tag (a !tbaa access tag) is lowering's "wasm memory" one: !{T, T, 0} with
 * T = !{"wasm memory", root, 0}. Nodes are uniqued per context, so *memo remembers it. */
static bool wasm_memory_tag(LLVMValueRef tag, LLVMValueRef *memo)
{
    if (tag == NULL)
        return false;
    if (*memo != NULL)
        return tag == *memo;
    if (LLVMGetMDNodeNumOperands(tag) != 3)
        return false;
    LLVMValueRef ops[3];
    LLVMGetMDNodeOperands(tag, ops);
    if (ops[0] == NULL || !LLVMIsAMDNode(ops[0]) || LLVMGetMDNodeNumOperands(ops[0]) < 1)
        return false;
    LLVMValueRef name;
    LLVMGetMDNodeOperands(ops[0], &name); /* only the first of its three */
    unsigned len = 0;
    const char *text = name ? LLVMGetMDString(name, &len) : NULL;
    if (text == NULL || len != 11 || memcmp(text, "wasm memory", 11) != 0)
        return false;
    *memo = tag;
    return true;
}

/* Whether i is one of lowering's anchors (LOWER_KEEP_TAG) */
static bool is_anchor(LLVMValueRef i, LLVMValueRef assume)
{
    if (!LLVMIsACallInst(i) || LLVMGetCalledValue(i) != assume || LLVMGetNumOperandBundles(i) != 1)
        return false;
    LLVMOperandBundleRef b = LLVMGetOperandBundleAtIndex(i, 0);
    size_t len = 0;
    const char *tag = LLVMGetOperandBundleTag(b, &len);
    bool ours = len == sizeof LOWER_KEEP_TAG - 1 && memcmp(tag, LOWER_KEEP_TAG, len) == 0;
    LLVMDisposeOperandBundle(b);
    return ours;
}

/* After the pipeline, in each function lowered in guard-page mode (it has anchors): removes
 * the anchors lowering put after each load of Wasm memory (LOWER_KEEP_TAG) and makes every
 * access of Wasm memory volatile, so that code generation performs each exactly as written.
 * With guard pages the access is the bounds check, and instruction selection would
 * otherwise delete loads whose value is unused and narrow accesses to the bytes that matter
 * (`i32.wrap_i64 (i64.load p)` reads 4 bytes, `x & 0xff` one, and a read-modify-write that
 * changes one byte of a word reads and writes only that byte), while an access that crosses
 * the end of memory must trap whatever part of it is used. The optimiser has done its work
 * by now on plain accesses (the anchors kept it from deleting or narrowing loads); what
 * volatile costs is in code generation only: a load is not folded into another
 * instruction's operand, and accesses are not merged, narrowed or reordered with each
 * other (docs/abi.md). */
static void settle_accesses(LLVMModuleRef mod)
{
    unsigned kind = LLVMGetMDKindIDInContext(LLVMGetModuleContext(mod), "tbaa", 4);
    LLVMValueRef assume = LLVMGetNamedFunction(mod, "llvm.assume");
    if (assume == NULL || LLVMGetIntrinsicID(assume) != LLVMLookupIntrinsicID("llvm.assume", 11))
        return;
    LLVMValueRef memo = NULL;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        size_t anchors = 0;
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb), next; i; i = next) {
                next = LLVMGetNextInstruction(i);
                if (is_anchor(i, assume)) {
                    LLVMInstructionEraseFromParent(i);
                    anchors++;
                }
            }
        if (anchors == 0)
            continue; /* no loads of Wasm memory, or bounds-checked ones */
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
                if ((LLVMIsALoadInst(i) || LLVMIsAStoreInst(i)) &&
                    wasm_memory_tag(LLVMGetMetadata(i, kind), &memo))
                    LLVMSetVolatile(i, true);
    }
}

void emit_function_attributes(LLVMModuleRef mod, const char *cpu, int size_level)
{
    /* x86-64 levels (cpu NULL is x86-64-v2 there) are tuned for no CPU in particular. */
    bool tune = strncmp(LLVMGetTarget(mod), "x86_64", 6) == 0 &&
                (cpu == NULL || strncmp(cpu, "x86-64-v", 8) == 0);
    if (!tune && size_level <= 0)
        return;
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    static const char key[] = "tune-cpu", value[] = "generic";
    LLVMAttributeRef attrs[3];
    unsigned n = 0;
    if (tune)
        attrs[n++] = LLVMCreateStringAttribute(ctx, key, sizeof key - 1, value, sizeof value - 1);
    if (size_level >= 1)
        attrs[n++] = LLVMCreateEnumAttribute(ctx, LLVMGetEnumAttributeKindForName("optsize", 7), 0);
    if (size_level >= 2)
        attrs[n++] = LLVMCreateEnumAttribute(ctx, LLVMGetEnumAttributeKindForName("minsize", 7), 0);
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
        for (unsigned i = 0; i < n && !LLVMIsDeclaration(f); i++)
            LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, attrs[i]);
}

bool emit_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level, kiln_diag *d)
{
    static const char *const pipelines[] = {"default<Oz>", "default<Os>", "default<O0>",
                                            "default<O1>", "default<O2>", "default<O3>"};
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMErrorRef err = LLVMRunPasses(mod,
                                     pipelines[2 + (opt_level < -2  ? -2
                                                    : opt_level > 3 ? 3
                                                                    : opt_level)],
                                     tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (!err) {
        strip_roots(mod);
        if (opt_level != 0 && LLVMPointerSize(LLVMGetModuleDataLayout(mod)) == 8)
            idiom_carry_chains(mod);
        settle_accesses(mod);
        return true;
    }
    char *msg = LLVMGetErrorMessage(err);
    llvm_fail(d, "optimisation failed", msg);
    LLVMDisposeErrorMessage(msg);
    return false;
}

static bool copy_out(const char *data, size_t size, uint8_t **out, size_t *out_size, kiln_diag *d)
{
    *out = malloc(size ? size : 1);
    if (!*out)
        return kiln_diag_set(d, KILN_ERR_NOMEM, KILN_NO_OFFSET, "out of memory");
    if (size)
        memcpy(*out, data, size);
    *out_size = size;
    return true;
}

bool emit_output(LLVMModuleRef mod, LLVMTargetMachineRef tm, kiln_emit_kind kind, uint8_t **out,
                 size_t *out_size, kiln_diag *d)
{
    *out = NULL;
    *out_size = 0;
    if (kind == KILN_EMIT_LLVM) {
        char *text = LLVMPrintModuleToString(mod);
        bool ok = copy_out(text, strlen(text), out, out_size, d);
        LLVMDisposeMessage(text);
        return ok;
    }
    char *err = NULL;
    LLVMMemoryBufferRef buf = NULL;
    LLVMCodeGenFileType type = kind == KILN_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, type, &err, &buf)) {
        llvm_fail(d, "code generation failed", err);
        LLVMDisposeMessage(err);
        return false;
    }
    bool ok = copy_out(LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), out, out_size, d);
    LLVMDisposeMemoryBuffer(buf);
    return ok;
}
