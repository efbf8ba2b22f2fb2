#!/usr/bin/env bash
# bench/micro/run.sh KILN_BUILD_DIR OUT.json
#
# Builds the microbenchmarks against the Kiln build tree KILN_BUILD_DIR (in
# KILN_BUILD_DIR/bench-micro), runs Kiln's and wasm2c's, and writes OUT.json:
#   {"micro": {"instantiate": {"kiln": {"median_s": ..., "samples": [...], "batch": N},
#                              "wasm2c": ...},
#              "cycle": {"kiln": ..., "wasm2c": ...},
#              "call":  {"kiln": ..., "kiln_call": ..., "wasm2c": ...},
#              "trap":  {"kiln": ..., "wasm2c": ...},
#              "instantiate_4seg", "cycle_4seg", "instantiate_1mib", "cycle_1mib":
#                        {"kiln": ..., "wasm2c": ...}}}
# (docs/bench.md says what each one measures). Samples are seconds per operation, one per
# timed batch (51 batches); median_s is their median. Needs cmake, ninja (or make), clang-19
# (or $CC), python3, wat2wasm and wasm2c (Debian wabt).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 KILN_BUILD_DIR OUT.json" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
kiln_build=$(cd "$1" && pwd)
out=$2
build="$kiln_build/bench-micro"
cc=${CC:-clang-19}
generator=()
if command -v ninja >/dev/null; then
    generator=(-G Ninja)
fi

cmake -S "$here" -B "$build" "${generator[@]}" -DKiln_DIR="$kiln_build" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Release >"$build.log" 2>&1 ||
    { cat "$build.log" >&2; exit 1; }
cmake --build "$build" -j 2 >>"$build.log" 2>&1 || { cat "$build.log" >&2; exit 1; }

lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
"$build/micro_kiln" >>"$lines"
"$build/micro_wasm2c" >>"$lines"

# One line per measurement: NAME ENGINE BATCH SAMPLE... -> JSON, median by sort.
awk '
function median(n, a,    i, j, t) {
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    name = $1; engine = $2; batch = $3
    n = NF - 3; s = ""
    for (i = 4; i <= NF; i++) { v[i - 3] = $i + 0; s = s (i > 4 ? ", " : "") sprintf("%.4e", $i) }
    entry = sprintf("\"%s\": {\"median_s\": %.4e, \"batch\": %d, \"samples\": [%s]}", engine,
                    median(n, v), batch, s)
    if (!(name in body)) { order[++names] = name; body[name] = entry }
    else body[name] = body[name] ",\n      " entry
}
END {
    printf "{\"micro\": {\n"
    for (k = 1; k <= names; k++)
        printf "    \"%s\": {\n      %s\n    }%s\n", order[k], body[order[k]], k < names ? "," : ""
    printf "}}\n"
}' "$lines" >"$out"

# A summary on stderr, for people.
awk '{ n = NF - 3; for (i = 4; i <= NF; i++) v[i - 3] = $i + 0
       for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
       printf "%-12s %-10s median %10.1f ns\n", $1, $2, v[(n + 1) / 2] * 1e9 }' "$lines" >&2
