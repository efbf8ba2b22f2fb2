#!/usr/bin/env bash
# test_proposals.sh -- the proposal scripts of SUITE/proposals-2026/ (threads/,
# custom-page-sizes/, wide-arithmetic/) and of the older SUITE/proposals/ (memory64/,
# multi-memory/, extended-const/, relaxed-simd/, tail-call/, exception-handling/, threads/)
# through `kiln wast`, read directly by Kiln's text reader.
#
# Usage: test_proposals.sh KILN SUITE WORK_DIR OPT
# Each command must pass (or be skipped as an unsupported feature, none so far), and each
# script's totals must be exactly those pinned below
# (a script that silently lost commands, or a skip that became a pass, fails). A script runs
# with the --spec whose answers it was written for: the proposals' folders predate parts of
# Wasm 3.0 (threads/memory.wast wants 2.0's "i32 constant out of range" for 32-bit limits past
# u32, which 3.0 reads as u64s; multi-memory/binary0.wast wants a u32 limit in 7 bytes
# malformed). The only failures, pinned by line, are assertions both versions contradict:
# threads/imports.wast's MVP "multiple tables" (three in each copy of the script), and
# memory64/memory.wast's "multiple memories" (the memory64 proposal predates multi-memory;
# in 2.0 its 64-bit memories are not even decoded), and the "unknown global" of a segment
# offset reading a defined global in extended-const/{data,elem}.wast and multi-memory/data.wast
# (Wasm 3.0 lets constant expressions read defined immutable globals, and the rest of those
# scripts needs 3.0). Exits 77 (ctest: skipped) without the scripts.
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
[[ $# -eq 4 ]] || die "usage: test_proposals.sh KILN SUITE WORK_DIR OPT"
kiln=$(abspath "$1") suite=$2 opt=$4
if ! compgen -G "$suite/proposals-2026/*/*.wast" >/dev/null; then
    echo "SKIP: no proposal scripts at $suite/proposals-2026"
    exit 77
fi
suite=$(abspath "$suite")
enter_work "$3"

# script  --spec  totals
pinned="
proposals-2026/custom-page-sizes/binary      3.0  127 passed, 0 failed, 0 skipped
proposals-2026/custom-page-sizes/custom-page-sizes-invalid 3.0  22 passed, 0 failed, 0 skipped
proposals-2026/custom-page-sizes/custom-page-sizes 3.0  44 passed, 0 failed, 0 skipped
proposals-2026/custom-page-sizes/memory_max  3.0  6 passed, 0 failed, 0 skipped
proposals-2026/custom-page-sizes/memory_max_i64 3.0  6 passed, 0 failed, 0 skipped
proposals-2026/threads/atomic                2.0  297 passed, 0 failed, 0 skipped
proposals-2026/threads/exports               2.0  88 passed, 0 failed, 0 skipped
proposals-2026/threads/imports               2.0  147 passed, 3 failed, 0 skipped
proposals-2026/threads/memory                2.0  82 passed, 0 failed, 0 skipped
proposals-2026/wide-arithmetic/wide-arithmetic 3.0  109 passed, 0 failed, 0 skipped
proposals/exception-handling/binary          3.0  112 passed, 0 failed, 0 skipped
proposals/exception-handling/exports         3.0  97 passed, 0 failed, 0 skipped
proposals/exception-handling/imports         2.0  185 passed, 0 failed, 0 skipped
proposals/exception-handling/rethrow         3.0  16 passed, 0 failed, 0 skipped
proposals/exception-handling/tag             3.0  3 passed, 0 failed, 0 skipped
proposals/exception-handling/throw           3.0  11 passed, 0 failed, 0 skipped
proposals/exception-handling/try_catch       3.0  40 passed, 0 failed, 0 skipped
proposals/exception-handling/try_delegate    3.0  23 passed, 0 failed, 0 skipped
proposals/extended-const/data                3.0  63 passed, 2 failed, 0 skipped
proposals/extended-const/elem                3.0  106 passed, 2 failed, 0 skipped
proposals/extended-const/global              2.0  114 passed, 0 failed, 0 skipped
proposals/memory64/address                   3.0  260 passed, 0 failed, 0 skipped
proposals/memory64/address64                 3.0  242 passed, 0 failed, 0 skipped
proposals/memory64/align64                   3.0  156 passed, 0 failed, 0 skipped
proposals/memory64/binary-leb128             3.0  93 passed, 0 failed, 0 skipped
proposals/memory64/binary                    3.0  177 passed, 0 failed, 0 skipped
proposals/memory64/endianness64              3.0  69 passed, 0 failed, 0 skipped
proposals/memory64/float_memory64            3.0  90 passed, 0 failed, 0 skipped
proposals/memory64/load64                    3.0  97 passed, 0 failed, 0 skipped
proposals/memory64/memory                    3.0  86 passed, 2 failed, 0 skipped
proposals/memory64/memory64                  2.0  65 passed, 0 failed, 0 skipped
proposals/memory64/memory_copy               3.0  8900 passed, 0 failed, 0 skipped
proposals/memory64/memory_fill               3.0  200 passed, 0 failed, 0 skipped
proposals/memory64/memory_grow64             3.0  49 passed, 0 failed, 0 skipped
proposals/memory64/memory_init               3.0  480 passed, 0 failed, 0 skipped
proposals/memory64/memory_redundancy64       3.0  8 passed, 0 failed, 0 skipped
proposals/memory64/memory_trap64             3.0  172 passed, 0 failed, 0 skipped
proposals/memory64/simd_address              3.0  49 passed, 0 failed, 0 skipped
proposals/multi-memory/address0              3.0  92 passed, 0 failed, 0 skipped
proposals/multi-memory/address1              3.0  127 passed, 0 failed, 0 skipped
proposals/multi-memory/align                 3.0  160 passed, 0 failed, 0 skipped
proposals/multi-memory/align0                3.0  5 passed, 0 failed, 0 skipped
proposals/multi-memory/binary                3.0  126 passed, 0 failed, 0 skipped
proposals/multi-memory/binary0               2.0  7 passed, 0 failed, 0 skipped
proposals/multi-memory/data                  3.0  59 passed, 2 failed, 0 skipped
proposals/multi-memory/data0                 3.0  7 passed, 0 failed, 0 skipped
proposals/multi-memory/data1                 3.0  14 passed, 0 failed, 0 skipped
proposals/multi-memory/data_drop0            3.0  11 passed, 0 failed, 0 skipped
proposals/multi-memory/exports0              3.0  8 passed, 0 failed, 0 skipped
proposals/multi-memory/float_exprs0          3.0  14 passed, 0 failed, 0 skipped
proposals/multi-memory/float_exprs1          3.0  3 passed, 0 failed, 0 skipped
proposals/multi-memory/float_memory0         3.0  30 passed, 0 failed, 0 skipped
proposals/multi-memory/imports               3.0  173 passed, 0 failed, 0 skipped
proposals/multi-memory/imports0              3.0  7 passed, 0 failed, 0 skipped
proposals/multi-memory/imports1              3.0  5 passed, 0 failed, 0 skipped
proposals/multi-memory/imports2              3.0  19 passed, 0 failed, 0 skipped
proposals/multi-memory/imports3              3.0  9 passed, 0 failed, 0 skipped
proposals/multi-memory/imports4              3.0  13 passed, 0 failed, 0 skipped
proposals/multi-memory/linking0              3.0  5 passed, 0 failed, 0 skipped
proposals/multi-memory/linking1              3.0  13 passed, 0 failed, 0 skipped
proposals/multi-memory/linking2              3.0  10 passed, 0 failed, 0 skipped
proposals/multi-memory/linking3              3.0  12 passed, 0 failed, 0 skipped
proposals/multi-memory/load                  3.0  117 passed, 0 failed, 0 skipped
proposals/multi-memory/load0                 3.0  3 passed, 0 failed, 0 skipped
proposals/multi-memory/load1                 3.0  17 passed, 0 failed, 0 skipped
proposals/multi-memory/load2                 3.0  38 passed, 0 failed, 0 skipped
proposals/multi-memory/memory-multi          3.0  6 passed, 0 failed, 0 skipped
proposals/multi-memory/memory                2.0  86 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_copy0          3.0  29 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_copy1          3.0  14 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_fill0          3.0  16 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_grow           3.0  154 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_init0          3.0  13 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_size           3.0  48 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_size0          3.0  8 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_size1          3.0  15 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_size2          3.0  21 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_size3          3.0  2 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_trap0          3.0  14 passed, 0 failed, 0 skipped
proposals/multi-memory/memory_trap1          3.0  168 passed, 0 failed, 0 skipped
proposals/multi-memory/simd_memory-multi     3.0  1 passed, 0 failed, 0 skipped
proposals/multi-memory/start0                3.0  9 passed, 0 failed, 0 skipped
proposals/multi-memory/store                 3.0  108 passed, 0 failed, 0 skipped
proposals/multi-memory/store0                3.0  5 passed, 0 failed, 0 skipped
proposals/multi-memory/store1                3.0  11 passed, 0 failed, 0 skipped
proposals/multi-memory/traps0                3.0  15 passed, 0 failed, 0 skipped
proposals/relaxed-simd/i16x8_relaxed_q15mulr_s 3.0  3 passed, 0 failed, 0 skipped
proposals/relaxed-simd/i32x4_relaxed_trunc   3.0  17 passed, 0 failed, 0 skipped
proposals/relaxed-simd/i8x16_relaxed_swizzle 3.0  6 passed, 0 failed, 0 skipped
proposals/relaxed-simd/relaxed_laneselect    3.0  12 passed, 0 failed, 0 skipped
proposals/relaxed-simd/relaxed_madd_nmadd    3.0  19 passed, 0 failed, 0 skipped
proposals/relaxed-simd/relaxed_min_max       3.0  25 passed, 0 failed, 0 skipped
proposals/tail-call/return_call              3.0  44 passed, 0 failed, 0 skipped
proposals/tail-call/return_call_indirect     3.0  75 passed, 0 failed, 0 skipped
proposals/threads/atomic                     3.0  297 passed, 0 failed, 0 skipped
proposals/threads/exports                    3.0  88 passed, 0 failed, 0 skipped
proposals/threads/imports                    2.0  147 passed, 3 failed, 0 skipped
proposals/threads/memory                     2.0  82 passed, 0 failed, 0 skipped"
known_failures="proposals-2026/threads/imports.wast:309: FAIL: assert_invalid imports.47.wasm: expected invalid, got valid
proposals-2026/threads/imports.wast:313: FAIL: assert_invalid imports.48.wasm: expected invalid, got valid
proposals-2026/threads/imports.wast:317: FAIL: assert_invalid imports.49.wasm: expected invalid, got valid
proposals/threads/imports.wast:309: FAIL: assert_invalid imports.47.wasm: expected invalid, got valid
proposals/threads/imports.wast:313: FAIL: assert_invalid imports.48.wasm: expected invalid, got valid
proposals/threads/imports.wast:317: FAIL: assert_invalid imports.49.wasm: expected invalid, got valid
proposals/memory64/memory.wast:10: FAIL: assert_invalid memory.6.wasm: expected invalid, got valid
proposals/memory64/memory.wast:11: FAIL: assert_invalid memory.7.wasm: expected invalid, got valid
proposals/extended-const/data.wast:84: FAIL: assert_invalid data.9.wasm: expected invalid, got valid
proposals/extended-const/data.wast:88: FAIL: assert_invalid data.10.wasm: expected invalid, got valid
proposals/extended-const/elem.wast:170: FAIL: assert_invalid elem.10.wasm: expected invalid, got valid
proposals/extended-const/elem.wast:174: FAIL: assert_invalid elem.11.wasm: expected invalid, got valid
proposals/multi-memory/data.wast:85: FAIL: assert_invalid data.9.wasm: expected invalid, got valid
proposals/multi-memory/data.wast:89: FAIL: assert_invalid data.10.wasm: expected invalid, got valid"

# Every script of the folders has a pinned line (a new script must be added).
for wast in "$suite"/proposals-2026/*/*.wast "$suite"/proposals/*/*.wast; do
    rel=${wast#"$suite"/}
    grep -q "^${rel%.wast} " <<<"$pinned" || fail "$rel: no pinned totals in test_proposals.sh"
done

while read -r rel spec totals; do
    [[ -n $rel ]] || continue
    log=${rel//\//.}.log
    (cd "$suite" && "$kiln" wast --spec "$spec" -v "-O$opt" "$rel.wast") >"$log" 2>&1
    got=$(tail -1 "$log")
    if [[ $got != "$totals" ]]; then
        fail "$rel: $got; expected $totals"
        grep -m 3 'FAIL' "$log" | sed 's/^/    | /'
        continue
    fi
    # Skips only as unsupported features (the reasons line names every kind).
    reasons=$(grep '^skipped:' "$log" | tail -1)
    if [[ -n $reasons && $reasons != "skipped: "+([0-9])" unsupported by the compiler" ]]; then
        fail "$rel: skipped for other reasons: $reasons"
        continue
    fi
    fails=$(grep ': FAIL: ' "$log")
    want=$(grep "^$rel.wast:" <<<"$known_failures")
    if [[ $fails != "$want" ]]; then
        fail "$rel: failures differ from the pinned ones:"
        diff <(echo "$want") <(echo "$fails") | sed 's/^/    | /'
        continue
    fi
    pass "$rel (--spec $spec): $totals"
done <<<"$pinned"
finish
