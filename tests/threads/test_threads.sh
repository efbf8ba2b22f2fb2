#!/usr/bin/env bash
# test_threads.sh psum   KILN WORK NATIVE EXE WASM
# test_threads.sh litmus KILN WORK NATIVE NATIVE_WEAK WASM WASM_WEAK ITERATIONS
# test_threads.sh ends   KILN WORK WASM
#
# The wasi-threads tests (tests/threads/CMakeLists.txt says what each checks). psum: for 1, 2
# and 8 threads, NATIVE's stdout (status 0, no stderr) is the reference that `kiln run WASM`,
# the executable `kiln build WASM` makes and EXE (add_wasm_executable) must print exactly; the
# totals must not depend on the thread count. litmus: every build must say "verdict: PASS"
# (status 0), the wasm one built with release/acquire accesses too (wasm atomics are all
# sequentially consistent): `kiln run` for ITERATIONS, the others for a quarter of them.
# NATIVE_WEAK, the same accesses natively, is only reported (x86 shows store buffering
# there: it shows that the test can see a forbidden outcome).
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
mode=$1
kiln=$(abspath "$2")
work=$3
shift 3
enter_work "$work"
export XDG_CACHE_HOME=$PWD/cache
mkdir bin

# build NAME WASM: `kiln build` WASM into bin/NAME; false (reported) if it fails.
build() {
    if "$kiln" build "$2" -o "bin/$1" 2>build.err; then
        return 0
    fi
    fail "kiln build $1: $(cat build.err)"
    return 1
}

case $mode in
psum)
    native=$(abspath "$1") exe=$(abspath "$2") wasm=$(abspath "$3")
    build psum "$wasm" || finish
    for n in 1 2 8; do
        status=0
        "$native" "$n" >native.out 2>native.err || status=$?
        if [[ $status != 0 || -s native.err ]]; then
            cat native.out native.err
            die "the native psum with $n threads failed (status $status)"
        fi
        pass "native reference, $n threads"
        if [[ $n == 1 ]]; then
            tail -n +2 native.out >totals.1
        elif ! tail -n +2 native.out | cmp -s - totals.1; then
            fail "native psum: the totals with $n threads differ from those with 1"
        fi
        want_stdout <native.out
        check "kiln run psum.wasm $n" 0 "$kiln" run "$wasm" "$n"
        want_stdout <native.out
        check "kiln build: psum $n" 0 bin/psum "$n"
        want_stdout <native.out
        check "add_wasm_executable: $(basename "$exe") $n" 0 "$exe" "$n"
    done
    ;;
litmus)
    native=$(abspath "$1") weak_native=$(abspath "$2")
    wasm=$(abspath "$3") weak_wasm=$(abspath "$4") iterations=$5
    quarter=$(((iterations + 3) / 4)) # the other builds: fewer, to keep the test short
    # verdict NAME CMD...: status 0, "verdict: PASS", nothing on stderr.
    verdict() {
        local name=$1
        shift
        any_stdout
        if check "$name" 0 "$@"; then
            grep -qx "verdict: PASS" "$case_out" || fail "$name: no 'verdict: PASS' line"
        else
            sed 's/^/    | /' "$case_out"
        fi
    }
    verdict "kiln run litmus.wasm $iterations" "$kiln" run "$wasm" "$iterations"
    verdict "native litmus $quarter" "$native" "$quarter"
    build litmus "$wasm" && verdict "kiln build: litmus $quarter" bin/litmus "$quarter"
    verdict "kiln run litmus_weak.wasm $quarter (release/acquire in C, seq_cst in wasm)" \
        "$kiln" run "$weak_wasm" "$quarter"
    "$weak_native" "$quarter" >weak.out 2>&1
    echo "note: the native build with release/acquire accesses (a control, not checked):"
    sed -n '/^SB/,/^verdict/p' weak.out | sed 's/^/    | /'
    ;;
ends)
    wasm=$(abspath "$1")
    expect 134 '^kiln: trap: unreachable in function "trapping_thread"$' \
        "$kiln" run "$wasm" trap
    any_stdout
    check "a thread's proc_exit(7) ends the process" 7 "$kiln" run "$wasm" exit
    check "the main thread's end ends the process (a thread still spins)" 5 \
        "$kiln" run "$wasm" return
    expect 124 '^kiln: timeout: the guest ran longer than 1s$' \
        "$kiln" run --timeout 1s "$wasm" spin
    want_stdout <<<"started 1024 threads, then thread-spawn failed"
    check "thread-spawn fails past 1024 threads" 0 "$kiln" run "$wasm" many
    if build ends "$wasm"; then
        expect 134 '^kiln: trap: unreachable in function "trapping_thread"$' bin/ends trap
        check "kiln build: a thread's proc_exit(7)" 7 bin/ends exit
        check "kiln build: the main thread's end" 5 bin/ends return
    fi
    # Modules wasi-threads cannot run: status 125 and why.
    printf '(module (import "env" "memory" (memory 1)) (func (export "_start")))\n' >unshared.wat
    printf '(module (import "wasi" "thread-spawn" (func (param i32) (result i32)))
       (func (export "_start")))\n' >nomemory.wat
    printf '(module (import "env" "memory" (memory 1 2 shared))
       (import "wasi" "thread-spawn" (func (param i32) (result i32)))
       (func (export "_start")))\n' >nostart.wat
    want_stderr <<'EOF2'
kiln: error: the module imports its memory ("env" "memory"): it is not shared; only a wasi-threads program's shared memory is made by the host (wasm-ld --import-memory --shared-memory)
EOF2
    check "an unshared memory import is refused" 125 "$kiln" run unshared.wat
    want_stderr <<'EOF2'
kiln: error: the module imports "wasi" "thread-spawn" but not its memory: wasi-threads instances share an imported memory (wasm-ld --import-memory --shared-memory)
EOF2
    check "thread-spawn without an imported memory is refused" 125 "$kiln" run nomemory.wat
    want_stderr <<'EOF2'
kiln: error: the module imports "wasi" "thread-spawn" but has no function export "wasi_thread_start" of type (i32, i32) -> ()
EOF2
    check "thread-spawn without wasi_thread_start is refused" 125 "$kiln" run nostart.wat
    ;;
*)
    die "unknown mode '$mode'"
    ;;
esac
finish
