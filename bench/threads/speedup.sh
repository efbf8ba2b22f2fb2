#!/usr/bin/env bash
# speedup.sh -- the wasi-threads speed-up: the parallel sum of tests/threads (psum.c) with 1
# and with 2 threads, as a `kiln build` executable, timed alternately; prints each run, the
# median wall time of each and the median ratio t(1 thread) / t(2 threads) (docs/threads.md).
#
#   bench/threads/speedup.sh [--kiln PATH] [--runs N] [--log2 K] [--rounds R] [--threads T]
#
#   --kiln PATH   kiln to build with (default: build/bin/kiln, what scripts/test.sh builds)
#   --runs N      runs of each (default 9)
#   --log2 K      2^K values (default 24: 64 MiB)
#   --rounds R    times each thread sums its chunk (default 16), so that the sum, which
#                 scales, outweighs the start and the page faults of the array, which do not
#   --threads T   the second thread count (default 2)
#
# Not a test (timings depend on the machine and its load): run it on a quiet machine and
# look at the load average it prints. Needs clang-19 (wasm32) and wasm-ld.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

kiln="" runs=9 log2=24 rounds=16 threads=2
while [[ $# -gt 0 ]]; do
    case $1 in
        --kiln) kiln=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --log2) log2=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "speedup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if [[ -z $kiln ]]; then
    for k in build/bin/kiln; do
        [[ -x $k ]] && { kiln=$k; break; }
    done
fi
[[ -x $kiln ]] || { echo "speedup.sh: no kiln (--kiln PATH)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=tests/threads
for f in psum kt_wasm kt_common; do
    clang-19 --target=wasm32-wasi -O2 -std=c17 -nostdlib -matomics -mbulk-memory -I$src \
        -c $src/$f.c -o "$tmp/$f.o"
done
clang-19 --target=wasm32-wasi -nostdlib "$tmp"/psum.o "$tmp"/kt_wasm.o "$tmp"/kt_common.o \
    -Wl,--import-memory,--shared-memory,--max-memory=134217728,-z,stack-size=65536 \
    -o "$tmp/psum.wasm"
"$kiln" build "$tmp/psum.wasm" -o "$tmp/psum"

# seconds ARGS...: runs psum once, prints its wall time in seconds.
seconds() {
    local t0 t1
    t0=$(date +%s%N)
    "$tmp/psum" "$@" >"$tmp/out"
    t1=$(date +%s%N)
    echo "scale=4; ($t1 - $t0) / 1000000000" | bc
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
"$tmp/psum" 1 "$log2" "$rounds" >/dev/null # warm the page cache
one=() two=() ratios=()
for ((i = 1; i <= runs; i++)); do
    a=$(seconds 1 "$log2" "$rounds")
    b=$(seconds "$threads" "$log2" "$rounds")
    one+=("$a") two+=("$b")
    ratios+=("$(echo "scale=4; $a / $b" | bc)")
    echo "run $i: 1 thread ${a}s, $threads threads ${b}s, ratio ${ratios[-1]}"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median: 1 thread $(printf '%s\n' "${one[@]}" | median)s, $threads threads" \
    "$(printf '%s\n' "${two[@]}" | median)s; median ratio" \
    "$(printf '%s\n' "${ratios[@]}" | median)"
