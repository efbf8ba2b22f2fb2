#!/usr/bin/env bash
# bench.sh -- build Kiln (Release) and run the benchmark suite of bench/ (docs/bench.md).
#
#   ./scripts/bench.sh                 5 interleaved runs of every kernel, compile, start-up, micro,
#                                      server
#   ./scripts/bench.sh --runs 9        more runs per kernel and engine
#   ./scripts/bench.sh --filter 'sha|crc'   only the kernels (and sections: compile, startup,
#                                      micro, server) whose name matches the regex
#   ./scripts/bench.sh --quick         1 run, no warm-up: a smoke test, not a measurement
#   ./scripts/bench.sh --instructions  also count instructions under callgrind (deterministic)
#   ./scripts/bench.sh --filter startup --merge
#                                      re-measure sections only (startup, compile, micro, server) and
#                                      replace them in latest.json / latest.md, dated
#   --build-dir DIR                    Kiln build tree (default: build-bench/, configured with
#                                      CMAKE_BUILD_TYPE=Release if missing); KILN_BENCH_BUILD_DIR too
#   --startup-runs N, --compile-runs N passed to bench/harness.py
#   --baseline-kiln PATH               also build every kernel with another kiln (e.g. bin/kiln of
#                                      an earlier commit's build tree): engine kiln-baseline and
#                                      the ratio kiln / kiln-baseline per kernel
#   --kiln-cpus LIST                   also kiln build --cpu C for each C of LIST: engines kiln@C
#                                      (e.g. generic,x86-64-v2,x86-64-v3,native)
#   --engines LIST                     only these engines (comma-separated; native always runs)
#   --results DIR                      write latest.* there instead of bench/results/ (a partial or
#                                      comparison run that must not replace the published figures)
#
# Writes bench/results/latest.json, latest.md and latest.png; everything built goes to
# BUILD_DIR/bench-scratch/. Exit status: 0, or 1 when anything fails to build or an engine
# prints a different checksum than the native build (the harness says which).
# Not part of the test suite: ctest never runs it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${KILN_BENCH_BUILD_DIR:-build-bench}
harness_args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --build-dir) build=$2; shift 2 ;;
        --build-dir=*) build=${1#*=}; shift ;;
        --runs|--filter|--startup-runs|--compile-runs|--functions|--baseline-kiln|--kiln-cpus|--engines|--results)
            harness_args+=("$1" "$2"); shift 2 ;;
        --runs=*|--filter=*|--startup-runs=*|--compile-runs=*|--functions=*|--baseline-kiln=*|--kiln-cpus=*|--engines=*|--results=*|--quick|--merge|--instructions)
            harness_args+=("$1"); shift ;;
        -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

./scripts/install-deps.sh --bench

for tool in clang-19 wasm2c node python3 cmake ninja; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench.sh: '$tool' is missing; run ./scripts/install-deps.sh" >&2
        exit 1
    fi
done
command -v hyperfine >/dev/null || echo "bench.sh: hyperfine missing: start-up is timed by the harness" >&2
command -v gnuplot >/dev/null || command -v gnuplot-nox >/dev/null ||
    echo "bench.sh: gnuplot missing: no latest.png (install gnuplot-nox)" >&2

if [[ ! -f $build/CMakeCache.txt ]]; then
    echo "bench.sh: configuring $build/ (Release)"
    CC=clang-19 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
if [[ $build_type != Release ]]; then
    echo "bench.sh: note: $build/ is a '$build_type' build, not Release" >&2
fi
echo "bench.sh: building kiln in $build/"
cmake --build "$build" -j2 --target kiln kiln_runtime kiln_wasi

exec python3 bench/harness.py --build-dir "$build" --scratch "$build/bench-scratch" "${harness_args[@]}"
