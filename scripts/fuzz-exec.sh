#!/usr/bin/env bash
# fuzz-exec.sh -- differential fuzzing of Kiln's code generation against binaryen's interpreter.
#
# Usage: scripts/fuzz-exec.sh [options]
#   --seeds FIRST:LAST   the seeds to run (default 1:200); a seed always makes the same module
#   -O LEVEL             an optimisation level to compile at; repeatable (default: -O 0 -O 2)
#   --bounds-checks      compile with explicit bounds checks instead of guard pages
#   --features "FLAGS"   wasm-opt feature flags for the generated modules (default: binaryen's
#                        defaults), e.g. "--enable-simd --enable-bulk-memory"
#   --build-dir DIR      the Kiln build tree holding bin/kiln (default: build)
#   --kiln PATH          the kiln program (default: BUILD_DIR/bin/kiln)
#   --work DIR           where work files go (default: BUILD_DIR/fuzz-exec)
#   --strict             count skipped seeds as failures (ctest)
#   --skip-if-missing    exit 77 (skipped, for ctest) when wasm-opt, wast2json or python3 is
#                        missing
#
# For each seed, `wasm-opt -ttf` turns 8000 pseudo-random bytes into a valid module (with
# --denan: which NaN an operation returns is nondeterministic in Wasm, and binaryen's
# interpreter and the hardware choose differently, which would show in memory), binaryen's
# interpreter runs every export (`--fuzz-exec-before`), tests/fuzz/fuzz_exec_wast.py turns
# what it printed into a spec script, and `kiln wast` compiles the module and checks every
# result and trap. Work files of a failing seed are kept (sN.wasm, sN.wast, sN.log,
# sN-OLEVEL.out). ctest fuzz.exec runs a few fixed seeds; longer runs are for people: a
# failure is a difference to investigate (binaryen 108, Debian 12's, has bugs of its own).
# Every difference is a failure: loads whose value is unused or partly used trap like the
# others (docs/abi.md, "Every access happens as written").
# Exit status: 0 if every seed passed (skipped seeds included unless --strict), 1 if any
# failed, 2 usage (77: see --skip-if-missing).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
root=$(pwd)

seeds=1:200
opts=()
bounds=()
features=()
build=build
kiln= work= missing=2 strict=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --seeds) seeds=$2; shift 2 ;;
        -O) opts+=("-O$2"); shift 2 ;;
        -O[0-3]) opts+=("$1"); shift ;;
        --bounds-checks) bounds=(--bounds-checks); shift ;;
        --features) read -r -a features <<<"$2"; shift 2 ;;
        --build-dir) build=$2; shift 2 ;;
        --kiln) kiln=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --skip-if-missing) missing=77; shift ;;
        --strict) strict=1; shift ;;
        -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fuzz-exec.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ ${#opts[@]} -gt 0 ]] || opts=(-O0 -O2)
if [[ ! $seeds =~ ^([0-9]+):([0-9]+)$ ]] || ((BASH_REMATCH[1] > BASH_REMATCH[2])); then
    echo "fuzz-exec.sh: --seeds wants FIRST:LAST, got '$seeds'" >&2
    exit 2
fi
first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}
[[ $build == /* ]] || build=$root/$build
kiln=$(realpath -m "${kiln:-$build/bin/kiln}")
work=$(realpath -m "${work:-$build/fuzz-exec}")
[[ -x $kiln ]] || { echo "fuzz-exec.sh: $kiln not found: build Kiln first (or --build-dir)" >&2; exit 2; }
for tool in wasm-opt wast2json python3; do
    command -v "$tool" >/dev/null || {
        echo "fuzz-exec.sh: $tool not found (./scripts/install-deps.sh installs it)" >&2
        exit $missing
    }
done
conv=$root/tests/fuzz/fuzz_exec_wast.py
mkdir -p "$work" && cd "$work" || exit 2

passed=0 failed=0 skipped=0
for ((s = first; s <= last; s++)); do
    python3 -c "import random, sys; random.seed($s)
sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(8000)))" >"s$s.bin"
    if ! timeout 60 wasm-opt -ttf "s$s.bin" --denan -o "s$s.wasm" "${features[@]}" >/dev/null 2>&1 ||
        ! timeout 60 wasm-opt "s$s.wasm" --fuzz-exec-before "${features[@]}" >"s$s.log" 2>&1; then
        echo "seed $s: skipped: wasm-opt failed"
        skipped=$((skipped + 1))
        continue
    fi
    python3 "$conv" "s$s.wasm" "s$s.log" "s$s.wast" 2>"s$s.skip"
    case $? in
        0) ;;
        3) echo "seed $s: skipped: $(cut -d: -f3- "s$s.skip")"; skipped=$((skipped + 1)); continue ;;
        *) echo "seed $s: fuzz_exec_wast.py failed: $(cat "s$s.skip")"; failed=$((failed + 1)); continue ;;
    esac
    ok=1
    for o in "${opts[@]}"; do
        out=s$s$o.out
        if timeout 600 "$kiln" wast "$o" "${bounds[@]}" "s$s.wast" >"$out" 2>&1; then
            rm -f "$out"
            continue
        fi
        echo "seed $s $o: FAILED: $(grep FAIL "$out" | head -n 1 | cut -c 1-240)"
        ok=0
    done
    if ((ok)); then
        passed=$((passed + 1))
        rm -f "s$s".*
    else
        failed=$((failed + 1))
    fi
done
echo "fuzz-exec: seeds $first..$last: $passed passed, $failed failed," \
    "$skipped skipped; work files in $work"
if ((strict && skipped > 0)); then
    echo "fuzz-exec: --strict: skipped seeds count as failures"
    exit 1
fi
((failed == 0))
