#!/usr/bin/env bash
# test_samples.sh -- configure, build and run every standalone sample against a Kiln package.
#
# Usage: test_samples.sh build-tree|prefix KILN_BUILD_DIR|PREFIX SAMPLES_DIR WORK_DIR CC
#   build-tree: find_package(Kiln) through -DKiln_DIR=KILN_BUILD_DIR
#   prefix:     find_package(Kiln) through -DCMAKE_PREFIX_PATH=PREFIX (after cmake --install)
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
mode=$1 where=$2 samples=$3 work=$4 KILN_TEST_CC=$5
case $mode in
build-tree) KILN_FIND=-DKiln_DIR=$where ;;
prefix) KILN_FIND=-DCMAKE_PREFIX_PATH=$where ;;
*)
    echo "usage: $0 build-tree|prefix DIR SAMPLES_DIR WORK_DIR CC" >&2
    exit 2
    ;;
esac
enter_work "$work"

for sample in sandboxed-library multi-module pool hello wc request-server; do
    cmake_configure "$samples/$sample" "$work/$sample" Ninja
    # The package really came from where it should.
    found=$(sed -n 's/^Kiln_DIR:[A-Z]*=//p' "$work/$sample/CMakeCache.txt")
    case $found in
    "$where"*) ;;
    *) fail "$sample: Kiln_DIR is '$found', not under $where" ;;
    esac
    cmake_build "$work/$sample"
    pass "$sample: configured and built ($mode)"
done

# run NAME EXPECTED_REGEX COMMAND...: runs from $work, checks exit 0 and the output.
run()
{
    local name=$1 want=$2
    shift 2
    local out
    if ! out=$("$@" 2>&1); then
        fail "$name: exit status $? from $*"
        printf '%s\n' "$out" | sed 's/^/    | /'
    elif ! grep -Eq "$want" <<<"$out"; then
        fail "$name: output does not match /$want/"
        printf '%s\n' "$out" | sed 's/^/    | /'
    else
        pass "$name"
    fi
}

run "sandboxed-library: hostile input traps, host continues" \
    'trapped: out of bounds memory access; the host carries on' \
    "$work/sandboxed-library/patch_host"
run "multi-module: two modules in one host" 'mean length 11.25 over 4 points' \
    "$work/multi-module/multi_host"
run "pool: 1000 instances" '^1000 instances created, called and freed; every total' \
    "$work/pool/pool_host"
run "hello: add_wasm_executable" '^Hello, Ada, from WebAssembly!' "$work/hello/hello" Ada
# wc's guest sees the working directory only (DIRS .): run it from $work.
cp "$samples/wc/wc.c" "$work/input.txt"
# shellcheck disable=SC2317 # called through run()
wc_inside() { cd "$work" && ./wc/wc input.txt; }
# shellcheck disable=SC2317 # called through run()
wc_outside() { cd "$work" && ! ./wc/wc /etc/hostname; }
run "wc: add_wasm_executable with DIRS" \
    "^ +[0-9]+ +[0-9]+ +$(wc -c <"$work/input.txt") +[0-9a-f]{8}  input.txt$" wc_inside
run "wc: a path outside DIRS is not reachable" 'wc: /etc/hostname: ' wc_outside

# request-server: the server on a free port for three requests from its load generator, then
# it exits by itself (timeout: it never outlives a failed run). tests/samples runs the rest.
# shellcheck disable=SC2317 # called through run()
request_server_run()
{
    local out="$work/request-server.out" port="" status=0
    timeout 60 "$work/request-server/request_server" --port 0 --max-requests 3 >"$out" 2>&1 &
    local pid=$!
    for _ in $(seq 300); do
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] && "$work/request-server/request_load" --port "$port" --connections 1 \
        --requests 3 '/hello?name=cmake' || status=1
    wait "$pid" || status=1
    cat "$out"
    return "$status"
}
run "request-server: three requests, then a clean exit" \
    '^request_server: served 3 requests: 3 ok, 0 client errors' request_server_run

finish
