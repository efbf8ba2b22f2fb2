#!/usr/bin/env bash
# test_bench_smoke.sh KILN DIR KERNEL... -- for each KERNEL, `kiln build -O2 DIR/KERNEL.wasm`
# and check that the executable prints exactly what DIR/KERNEL.native prints (the checksum
# line).
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
kiln=$1 dir=$2
shift 2
for k in "$@"; do
    if ! "$kiln" build -O2 "$dir/$k.wasm" -o "$dir/$k.kiln"; then
        fail "$k: kiln build -O2 $dir/$k.wasm"
        continue
    fi
    want=$("$dir/$k.native")
    got=$("$dir/$k.kiln")
    if [[ $got == "$want" ]]; then
        pass "$got"
    else
        fail "$k: kiln printed '$got', native printed '$want'"
    fi
done
finish
