#!/usr/bin/env bash
# test_bench_smoke.sh KILN DIR KERNEL... -- for each KERNEL, `kiln build -O2 DIR/KERNEL.wasm` and check
# that the executable prints exactly what DIR/KERNEL.native prints (the checksum line).
set -euo pipefail
kiln=$1 dir=$2
shift 2
status=0
for k in "$@"; do
    "$kiln" build -O2 "$dir/$k.wasm" -o "$dir/$k.kiln"
    want=$("$dir/$k.native")
    got=$("$dir/$k.kiln")
    if [[ $got == "$want" ]]; then
        echo "ok: $got"
    else
        echo "FAIL: $k: kiln printed '$got', native printed '$want'" >&2
        status=1
    fi
done
exit "$status"
