#!/usr/bin/env bash
# fuzz-exec.sh -- differential fuzzing of Kiln's code generation against binaryen's interpreter.
#
# Usage: scripts/fuzz-exec.sh [options]
#   --seeds FIRST:LAST   the seeds to run (default 1:200); a seed always makes the same module
#   -O LEVEL             an optimisation level to compile at; repeatable (default: -O 0 -O 2)
#   --bounds-checks      compile with explicit bounds checks instead of guard pages
#   --features "FLAGS"   wasm-opt feature flags for the generated modules (default: with
#                        binaryen 116 or later every Wasm 3.0 feature Kiln compiles but typed
#                        function references, which binaryen ties to GC, plus custom page
#                        sizes and wide arithmetic; with an older one binaryen's defaults)
#   --wasm-opt PATH      the wasm-opt to use (default: the one install-deps.sh --fuzz puts in
#                        ~/.cache/kiln/npm, binaryen 132 from npm, else wasm-opt on PATH)
#   --build-dir DIR      the Kiln build tree (default: build)
#   --kiln PATH          the kiln program (default: BUILD_DIR/bin/kiln)
#   --host PATH          tests/fuzz's fuzz_exec_host (default: BUILD_DIR/tests/fuzz/...)
#   --work DIR           where work files go (default: BUILD_DIR/fuzz-exec)
#   --strict             count skipped seeds as failures (ctest)
#   --skip-if-missing    exit 77 (skipped, for ctest) when wasm-opt, python3 or the host is
#                        missing
#
# For each seed, `wasm-opt -ttf` turns 8000 pseudo-random bytes into a valid module (with
# --denan: which NaN an operation returns is nondeterministic in Wasm, and binaryen's
# interpreter and the hardware choose differently, which would show in memory), binaryen's
# interpreter runs every export (`--fuzz-exec-before`), tests/fuzz/fuzz_exec_wast.py turns
# what it printed into a spec script, and fuzz_exec_host (`kiln wast` with binaryen's
# "fuzzing-support" host module: logging, throwing JS and Wasm exceptions, table access,
# calls back into exports and references) compiles the module and checks every result, trap
# and exception; then the values the module logged are compared with binaryen's. Work files
# of a failing seed are kept (sN.wasm, sN.wast, sN.log, sN.expect, sN-OLEVEL.out,
# sN-OLEVEL.klog). ctest fuzz.exec runs a few fixed seeds; longer runs are for people: a
# failure is a difference to investigate (binaryen has bugs of its own, 108 more than 132).
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
kiln= host= work= missing=2 strict=0 wasm_opt=
while [[ $# -gt 0 ]]; do
    case $1 in
        --seeds) seeds=$2; shift 2 ;;
        -O) opts+=("-O$2"); shift 2 ;;
        -O[0-3]) opts+=("$1"); shift ;;
        --bounds-checks) bounds=(--bounds-checks); shift ;;
        --features) read -r -a features <<<"$2"; shift 2 ;;
        --build-dir) build=$2; shift 2 ;;
        --kiln) kiln=$2; shift 2 ;;
        --host) host=$2; shift 2 ;;
        --wasm-opt) wasm_opt=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --skip-if-missing) missing=77; shift ;;
        --strict) strict=1; shift ;;
        -h|--help) sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
host=$(realpath -m "${host:-$build/tests/fuzz/fuzz_exec_host}")
work=$(realpath -m "${work:-$build/fuzz-exec}")
[[ -x $kiln ]] || { echo "fuzz-exec.sh: $kiln not found: build Kiln first (or --build-dir)" >&2; exit 2; }
if [[ ! -x $host ]]; then
    echo "fuzz-exec.sh: $host not found (tests/fuzz builds it with the compiler)" >&2
    exit $missing
fi
if [[ -z $wasm_opt ]]; then
    wasm_opt=$HOME/.cache/kiln/npm/node_modules/.bin/wasm-opt
    [[ -x $wasm_opt ]] || wasm_opt=$(command -v wasm-opt || true)
fi
for tool in "$wasm_opt" python3; do
    command -v "$tool" >/dev/null || {
        echo "fuzz-exec.sh: ${tool:-wasm-opt} not found (./scripts/install-deps.sh --fuzz installs it)" >&2
        exit $missing
    }
done
version=$("$wasm_opt" --version 2>/dev/null | grep -o 'version [0-9]*' | grep -o '[0-9]*$')
if [[ ${#features[@]} -eq 0 ]] && ((${version:-0} >= 116)); then
    features=(--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int
        --enable-simd --enable-bulk-memory --enable-multivalue --enable-reference-types
        --enable-exception-handling --enable-tail-call --enable-memory64 --enable-multimemory
        --enable-extended-const --enable-relaxed-simd --enable-custom-page-sizes
        --enable-wide-arithmetic)
fi
echo "fuzz-exec: $wasm_opt (binaryen ${version:-?}) ${features[*]}"
# npm's binaryen is wasm-opt compiled to JavaScript: its interpreter recurses on node's stack,
# which overflows ("Maximum call stack size exceeded") on modules binaryen's native build
# runs. Its runs get a larger stack: the hard limit, of which node may use 30 MiB.
run_opt=("$wasm_opt")
if head -n 1 "$wasm_opt" | grep -q node; then
    hard=$(ulimit -H -s) stack=30000 # KiB
    [[ $hard == unlimited ]] || ((hard * 3 / 4 >= stack)) || stack=$((hard * 3 / 4))
    run_opt=(bash -c 'ulimit -s "$(ulimit -H -s)" 2>/dev/null; exec node --stack-size="$0" "$@"'
        "$stack" "$wasm_opt")
fi
conv=$root/tests/fuzz/fuzz_exec_wast.py
mkdir -p "$work" && cd "$work" || exit 2

passed=0 failed=0 skipped=0
for ((s = first; s <= last; s++)); do
    python3 -c "import random, sys; random.seed($s)
sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(8000)))" >"s$s.bin"
    if ! timeout 60 "$wasm_opt" -ttf "s$s.bin" --denan -o "s$s.wasm" "${features[@]}" >/dev/null 2>&1 ||
        ! timeout 60 "${run_opt[@]}" "s$s.wasm" --fuzz-exec-before "${features[@]}" >"s$s.log" 2>&1; then
        echo "seed $s: skipped: wasm-opt failed"
        skipped=$((skipped + 1))
        continue
    fi
    python3 "$conv" convert "$kiln" "s$s.wasm" "s$s.log" "s$s.wast" "s$s.expect" 2>"s$s.skip"
    case $? in
        0) ;;
        3) echo "seed $s: skipped: $(cut -d: -f3- "s$s.skip")"; skipped=$((skipped + 1)); continue ;;
        *) echo "seed $s: fuzz_exec_wast.py failed: $(cat "s$s.skip")"; failed=$((failed + 1)); continue ;;
    esac
    ok=1
    for o in "${opts[@]}"; do
        out=s$s$o.out klog=s$s$o.klog
        rm -f "$klog"
        if ! KILN_FUZZ_LOG=$klog timeout 600 "$host" "$o" "${bounds[@]}" "s$s.wast" >"$out" 2>&1; then
            echo "seed $s $o: FAILED: $(grep -m 1 -E 'FAIL|error' "$out" | cut -c 1-240)"
            ok=0
        elif ! python3 "$conv" compare "s$s.expect" "$klog" >>"$out"; then
            echo "seed $s $o: FAILED: $(tail -n 1 "$out" | cut -c 1-240)"
            ok=0
        else
            rm -f "$out" "$klog"
        fi
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
