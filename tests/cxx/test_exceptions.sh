#!/usr/bin/env bash
# test_exceptions.sh KILN NATIVE WORK EXE WASM...
#
# NATIVE (exceptions.cpp built with the host's C++ exceptions) gives the reference: its stdout
# and exit status, which must be 0 with its own checks passed. Each WASM (the same program for
# wasm32-wasi with legacy Wasm exceptions and eh_runtime.c) must print exactly that stdout,
# nothing on stderr, and exit with that status, both under `kiln run` and as the executable
# `kiln build` makes; so must EXE, the program add_wasm_executable() built. A difference is
# shown as a diff.
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
kiln=$(abspath "$1") native=$(abspath "$2")
work=$3 exe=$(abspath "$4")
shift 4
guests=()
for wasm in "$@"; do
    guests+=("$(abspath "$wasm")")
done
enter_work "$work"
export XDG_CACHE_HOME=$PWD/cache
mkdir bin

status=0
"$native" >native.out 2>native.err || status=$?
if [[ $status != 0 || -s native.err ]] || ! grep -qx "done: 0 failures.*" native.out; then
    echo "---- native stdout:"
    cat native.out
    die_log native.err "the native build of exceptions.cpp failed its own checks (status $status)"
fi
pass "native reference ($(wc -l <native.out) lines)"

want_stdout <native.out
check "add_wasm_executable $(basename "$exe")" "$status" "$exe"
for wasm in "${guests[@]}"; do
    name=$(basename "$wasm" .wasm)
    want_stdout <native.out
    check "run $name" "$status" "$kiln" run "$wasm"
    if "$kiln" build "$wasm" -o "bin/$name" 2>build.err; then
        want_stdout <native.out
        check "build $name" "$status" "bin/$name"
    else
        fail "build $name: $(cat build.err)"
    fi
done
finish
