#!/bin/sh
# fuzz.sh -- fuzz Kiln's readers with libFuzzer: kiln_decode + kiln_validate (target
# tests/fuzz/fuzz_validate.c), the text reader (fuzz_wat.c) or the spec-script reader
# (fuzz_wast.c).
#
# Usage: scripts/fuzz.sh [SECONDS]           run for SECONDS (default 600), from anywhere
#   FUZZ_TARGET=validate|wat|wast   which reader (default validate)
#   CC=clang-19        the compiler (must be clang: libFuzzer)
#   FUZZ_JOBS=1        parallel fuzzing processes; 1 (default) fuzzes in this process, N > 1
#                      passes -jobs=N -workers=N (logs in build-fuzz/fuzz/fuzz-*.log)
#   KILN_TESTSUITE=... the spec test suite (default: ../shared/testsuite beside the checkout)
#
# For wat and wast the seeds are tests/fuzz/corpus-wat/*.wat (corpus-wast/*.wast) and, from
# the spec suite's scripts (core/, core-3.0/), every module of text (scripts/wast-modules.awk)
# or the scripts themselves, each of at most 64 KiB; the working directory is
# build-fuzz/fuzz-wat/ (fuzz-wast/), and findings are saved as .hex files into corpus-wat/
# (corpus-wast/), which ctest fuzz.replay_wat (fuzz.replay_wast) runs. The rest of this text
# describes the validate target.
# It configures build-fuzz/ with -DKILN_FUZZ=ON (libFuzzer + ASan + UBSan), writes the text
# corpus tests/fuzz/corpus/*.hex as binary seeds to build-fuzz/fuzz/seeds/ (via fuzz_replay
# --unhex, so a bad .hex file stops the run), adds every .wasm of at most 64 KiB that wast2json
# makes from the spec suite's core/*.wast (skipped if either is missing), and fuzzes with
# -max_len=65536. New inputs accumulate in build-fuzz/fuzz/corpus/, reused by later runs.
# Each crash, leak, timeout or OOM input is saved as tests/fuzz/corpus/regress-KIND-HASH.hex:
# replace its first comment line with what the input exercises, fix the bug, and commit the
# file; ctest fuzz.replay then runs it in every build. Reproduce one with
#   build-fuzz/tests/fuzz/fuzz_validate build-fuzz/fuzz/artifacts/crash-HASH
# Exit status: 0 if nothing was found, 1 if an input was saved or the fuzzer failed, 2 usage.
set -eu

seconds=${1:-600}
case $seconds in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS]" >&2
    exit 2
    ;;
esac
target=${FUZZ_TARGET:-validate}
case $target in
validate | wat | wast) ;;
*)
    echo "$0: FUZZ_TARGET must be validate, wat or wast" >&2
    exit 2
    ;;
esac
jobs=${FUZZ_JOBS:-1}
case $jobs in
'' | *[!0-9]* | 0)
    echo "$0: FUZZ_JOBS must be a positive number" >&2
    exit 2
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
work=$build/fuzz
suite=${KILN_TESTSUITE:-$root/../shared/testsuite}
CC=${CC:-clang-19}
export CC

cmake -S "$root" -B "$build" -G Ninja -DKILN_FUZZ=ON >/dev/null
if [ "$target" != validate ]; then
    # The text readers: seeds are text, findings go to corpus-TARGET/ as .hex files.
    work=$build/fuzz-$target
    corpus=$root/tests/fuzz/corpus-$target
    ninja -C "$build" -j2 "fuzz_$target" "fuzz_${target}_replay"
    rm -rf "$work/seeds"
    mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
    cp "$corpus"/*."$target" "$work/seeds/"
    # The spec suite's scripts: whole (wast), or each module of text in them (wat).
    for wast in "$suite"/core/*.wast "$suite"/core-3.0/*.wast "$suite"/core-3.0/*/*.wast; do
        [ -f "$wast" ] || continue
        name=spec-$(basename "$(dirname "$wast")")-$(basename "$wast" .wast)
        if [ "$target" = wat ]; then
            awk -v PREFIX="$work/seeds/$name" -f "$root/scripts/wast-modules.awk" "$wast"
        else
            cp "$wast" "$work/seeds/$name.wast"
        fi
    done
    find "$work/seeds" -type f -size +64k -delete
else
    corpus=$root/tests/fuzz/corpus
    ninja -C "$build" -j2 fuzz_validate fuzz_replay

    rm -rf "$work/seeds" "$work/spec"
    mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
    "$build/tests/fuzz/fuzz_replay" --unhex "$work/seeds" "$corpus"

    if command -v wast2json >/dev/null 2>&1 && [ -d "$suite/core" ]; then
        mkdir -p "$work/spec"
        for wast in "$suite"/core/*.wast; do
            name=$(basename "$wast" .wast)
            wast2json "$wast" -o "$work/spec/$name.json" ||
                echo "$0: warning: wast2json failed on $wast" >&2
        done
        find "$work/spec" -name '*.wasm' -size -65537c -exec cp -t "$work/seeds/" {} +
        rm -rf "$work/spec"
    else
        echo "$0: note: no wast2json or no $suite/core; seeding from tests/fuzz/corpus only" >&2
    fi
fi
echo "$0: $(ls "$work/seeds" | wc -l) seeds, $(ls "$work/corpus" | wc -l) corpus inputs," \
    "fuzzing fuzz_$target for $seconds s"

set -- -max_len=65536 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/"
if [ "$jobs" -gt 1 ]; then
    set -- "$@" -jobs="$jobs" -workers="$jobs"
fi
status=0
(cd "$work" && "$build/tests/fuzz/fuzz_$target" "$@" "$work/corpus" "$work/seeds") || status=$?

saved=0
for input in "$work"/artifacts/crash-* "$work"/artifacts/leak-* "$work"/artifacts/timeout-* \
    "$work"/artifacts/oom-* "$work"/artifacts/slow-unit-*; do
    [ -f "$input" ] || continue
    base=$(basename "$input")
    kind=${base%-*}
    hash=$(printf '%.12s' "${base##*-}")
    out=$corpus/regress-$kind-$hash.hex
    [ -e "$out" ] && continue
    {
        echo "# $kind found by scripts/fuzz.sh on $(date -u +%Y-%m-%d): TODO say what it exercises"
        od -An -v -tx1 "$input" | sed 's/^ *//'
    } >"$out"
    echo "$0: saved $out"
    saved=$((saved + 1))
done

if [ "$saved" -gt 0 ] || [ "$status" -ne 0 ]; then
    echo "$0: fuzzer exit status $status, $saved new regression file(s)" >&2
    exit 1
fi
echo "$0: no crash in $seconds s (fuzz_$target)"
