#!/usr/bin/env bash
# test_proposals.sh -- the proposal scripts of SUITE/proposals-2026/ (threads/,
# custom-page-sizes/, wide-arithmetic/) through `kiln wast`, read directly by Kiln's text reader.
#
# Usage: test_proposals.sh KILN SUITE WORK_DIR OPT
# Kiln compiles wide arithmetic; of the other two it reads the text and binary forms far
# enough to say "unsupported feature: threads" (custom-page-sizes), so each command must pass
# or be skipped for that reason, and each script's totals must be exactly those pinned below
# (a script that silently lost commands, or a skip that became a pass, fails). threads/ is older
# than Wasm 3.0 and runs with --spec 2.0 (its memory.wast wants 2.0's "i32 constant out of
# range" for 32-bit limits past u32, which 3.0 reads as u64s); its imports.wast still asserts
# the MVP's "multiple tables" three times, which Wasm 2.0 and 3.0 allow: those three commands
# are the only failures, pinned by line. Exits 77 (ctest: skipped) without the scripts.
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
custom-page-sizes/binary                   3.0  127 passed, 0 failed, 0 skipped
custom-page-sizes/custom-page-sizes-invalid 3.0 3 passed, 0 failed, 19 skipped
custom-page-sizes/custom-page-sizes        3.0  9 passed, 0 failed, 35 skipped
custom-page-sizes/memory_max               3.0  3 passed, 0 failed, 3 skipped
custom-page-sizes/memory_max_i64           3.0  4 passed, 0 failed, 2 skipped
threads/atomic                             2.0  0 passed, 0 failed, 297 skipped
threads/exports                            2.0  82 passed, 0 failed, 6 skipped
threads/imports                            2.0  145 passed, 3 failed, 2 skipped
threads/memory                             2.0  79 passed, 0 failed, 3 skipped
wide-arithmetic/wide-arithmetic            3.0  109 passed, 0 failed, 0 skipped"
known_failures="imports.wast:309: FAIL: assert_invalid imports.47.wasm: expected invalid, got valid
imports.wast:313: FAIL: assert_invalid imports.48.wasm: expected invalid, got valid
imports.wast:317: FAIL: assert_invalid imports.49.wasm: expected invalid, got valid"

# Every script of the folder has a pinned line (a new script must be added).
for wast in "$suite"/proposals-2026/*/*.wast; do
    rel=${wast#"$suite"/proposals-2026/}
    grep -q "^${rel%.wast} " <<<"$pinned" || fail "$rel: no pinned totals in test_proposals.sh"
done

while read -r rel spec totals; do
    [[ -n $rel ]] || continue
    log=${rel//\//.}.log
    "$kiln" wast --spec "$spec" -v "-O$opt" "$suite/proposals-2026/$rel.wast" >"$log" 2>&1
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
    fails=$(grep ': FAIL: ' "$log" | sed 's|^.*/||')
    want=$(grep "^$(basename "$rel").wast:" <<<"$known_failures")
    if [[ $fails != "$want" ]]; then
        fail "$rel: failures differ from the pinned ones:"
        diff <(echo "$want") <(echo "$fails") | sed 's/^/    | /'
        continue
    fi
    pass "$rel (--spec $spec): $totals"
done <<<"$pinned"
finish
