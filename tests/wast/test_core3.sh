#!/usr/bin/env bash
# test_core3.sh -- every script of the WebAssembly 3.0 core suite (SUITE/core-3.0/*.wast,
# legacy/ and custom/) through `kiln wast`, read directly by Kiln's text reader.
#
# Usage: test_core3.sh KILN SUITE WORK_DIR OPT [PASSED SKIPPED [COMPILE_OPTION...]]
# COMPILE_OPTIONs (e.g. --bounds-checks) go to every `kiln wast` run.
# Modules using a 3.0 feature Kiln does not compile yet are rejected with "unsupported
# feature: NAME", and the commands using them are reported as skipped. So each script must
#   - be read to the end (a summary line: no parse failure, no crash),
#   - have 0 failed commands,
#   - skip only for that reason ("unsupported by the compiler"), never for text modules,
#     unknown commands or modules that failed.
# With PASSED and SKIPPED, the totals must be exactly those (the pinned suite's counts), so
# that a script that silently lost commands, or a feature that stopped compiling, fails.
# Scripts run two at a time. Output: one line per script that breaks a rule, the totals and
# the skips per feature. Exits 77 (ctest: skipped) without the suite, never 0 without running.
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
[[ $# -ge 4 ]] || die "usage: test_core3.sh KILN SUITE WORK_DIR OPT [PASSED SKIPPED]"
kiln=$(abspath "$1") suite=$2 work=$3 opt=$4 want_passed=${5:-} want_skipped=${6:-}
shift $(($# < 6 ? $# : 6))
extra="$*" # compile options, word-split below (none contains spaces)
if ! compgen -G "$suite/core-3.0/*.wast" >/dev/null; then
    echo "SKIP: no test suite at $suite/core-3.0"
    exit 77
fi
suite=$(abspath "$suite")
enter_work "$work"

# One log per script, named after its path below core-3.0 (legacy/throw -> legacy.throw).
export kiln opt extra
run_one() {
    local rel=${1#*/core-3.0/}
    local log=${rel%.wast}
    # shellcheck disable=SC2086 # extra: options, split on purpose
    "$kiln" wast --spec 3.0 -v "-O$opt" $extra "$1" >"${log//\//.}.log" 2>&1
}
export -f run_one
find "$suite/core-3.0" -name '*.wast' | sort >scripts.txt
xargs -P 2 -I{} bash -c 'run_one "$1"' _ {} <scripts.txt

scripts=0 passed=0 failed=0 skipped=0 bad=0
while read -r wast; do
    rel=${wast#"$suite"/core-3.0/}
    log=${rel%.wast}
    log=${log//\//.}.log
    scripts=$((scripts + 1))
    summary=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$log" | tail -1)
    if [[ -z $summary ]]; then
        fail "$rel: no summary: $(tail -1 "$log")"
        bad=$((bad + 1))
        continue
    fi
    read -r p f s <<<"$summary"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    # The skip reasons line: "skipped: N unsupported by the compiler, M using a module ...";
    # the reason that counts: "unsupported by the compiler".
    unsupported=$(grep '^skipped:' "$log" | tail -1 | tr ',' '\n' |
        sed -n 's/^[a-z: ]*\([0-9][0-9]*\) unsupported .*$/\1/p' | awk '{ n += $1 } END { print n + 0 }')
    if ((f != 0 || s != ${unsupported:-0})); then
        fail "$rel: $p passed, $f failed, $s skipped ($(grep '^skipped:' "$log" || echo 'no reasons'))"
        grep -m 3 'FAIL' "$log" | sed 's/^/    | /'
        bad=$((bad + 1))
    fi
done <scripts.txt
echo "$scripts scripts: $passed passed, $failed failed, $skipped skipped (unsupported features)"
# The skipped commands per feature (each skip names the feature of its module), most first.
grep -ho 'unsupported feature:\? [a-z0-9-]*' ./*.log | sort | uniq -c | sort -rn | sed 's/^/    /'
if ((bad == 0)); then
    pass "every script read to the end; 0 failed; skips only for unsupported features"
fi
if [[ -n $want_passed ]]; then
    if ((passed == want_passed && skipped == want_skipped)); then
        pass "totals are $want_passed passed, $want_skipped skipped"
    else
        fail "totals are $passed passed, $skipped skipped; expected $want_passed passed, $want_skipped skipped"
    fi
fi
finish
