#!/usr/bin/env bash
# test_options.sh -- add_wasm_module() options that the samples do not cover: a .wasm source,
# PREFIX, BOUNDS_CHECKS, the configure-time errors (bad OPT/PREFIX, mixed sources), and the
# target triple when cross-compiling (derived from CMAKE_SYSTEM_PROCESSOR, or taken from
# CMAKE_C_COMPILER_TARGET): only the module libraries are built, so no cross sysroot is needed.
#
# Usage: test_options.sh KILN_BUILD_DIR WORK_DIR CC WAT2WASM
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
kiln_build=$1 work=$2 KILN_TEST_CC=$3 wat2wasm=$4
KILN_FIND=-DKiln_DIR=$kiln_build
enter_work "$work"
src="$work/src"
mkdir "$src"
cat >"$src/add.wat" <<'WAT'
(module (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1))))
WAT
"$wat2wasm" "$src/add.wat" -o "$src/add.wasm" || die "wat2wasm add.wat"
cat >"$src/host.c" <<'C'
#include <stdio.h>

#include "calc.h"

int main(void)
{
    kiln_instance *inst = NULL;
    int32_t r = 0;
    if (kiln_instance_new(&calc_module, NULL, &inst) != KILN_STATUS_OK ||
        calc_add(inst, 40, 2, &r) != KILN_TRAP_NONE)
        return 1;
    kiln_instance_free(inst);
    printf("%d\n", (int)r);
    return r != 42;
}
C

# project BODY: writes $src/CMakeLists.txt with a project that finds Kiln and then BODY.
project_with()
{
    printf '%s\n' 'cmake_minimum_required(VERSION 3.25)' 'project(t LANGUAGES C)' \
        'find_package(Kiln CONFIG REQUIRED)' "$1" >"$src/CMakeLists.txt"
}

# A .wasm source with PREFIX: the header is calc/calc.h (in the target's directory) and the
# wrappers are calc_*.
project_with 'add_wasm_module(adder SOURCES add.wasm PREFIX calc OPT 0)
add_executable(host host.c)
target_link_libraries(host PRIVATE adder)'
cmake_configure "$src" "$work/wasm" Ninja
cmake_build "$work/wasm"
if [[ -f $work/wasm/adder/calc.h ]] && [[ $("$work/wasm/host") == 42 ]]; then
    pass ".wasm source with PREFIX calc: adder/calc.h, calc_add() = 42"
else
    fail ".wasm source with PREFIX calc"
fi

# OPT z: the module is compiled with -Oz (code size first) and still works.
project_with 'add_wasm_module(adder SOURCES add.wasm PREFIX calc OPT z)
add_executable(host host.c)
target_link_libraries(host PRIVATE adder)'
cmake_configure "$src" "$work/oz" Ninja
cmake_build "$work/oz"
if grep -q -- '-Oz' "$work/oz/CMakeFiles/adder.kiln/calc.o.cmd" && [[ $("$work/oz/host") == 42 ]]; then
    pass "OPT z: compiled with -Oz, calc_add() = 42"
else
    fail "OPT z: $(cat "$work/oz/CMakeFiles/adder.kiln/calc.o.cmd" 2>/dev/null | head -c 300)"
fi

# BOUNDS_CHECKS: the module is compiled with --bounds-checks and still works.
project_with 'add_wasm_module(adder SOURCES add.wasm PREFIX calc BOUNDS_CHECKS)
add_executable(host host.c)
target_link_libraries(host PRIVATE adder)'
cmake_configure "$src" "$work/bounds" Ninja
cmake_build "$work/bounds"
if grep -q -- '--bounds-checks' "$work/bounds/CMakeFiles/adder.kiln/calc.o.cmd" &&
    [[ $("$work/bounds/host") == 42 ]]; then
    pass "BOUNDS_CHECKS: compiled with --bounds-checks, calc_add() = 42"
else
    fail "BOUNDS_CHECKS"
fi

# DEBUG: the module is compiled with -g (DWARF in the object) and still works.
project_with 'add_wasm_module(adder SOURCES add.wasm PREFIX calc DEBUG)
add_executable(host host.c)
target_link_libraries(host PRIVATE adder)'
cmake_configure "$src" "$work/debug" Ninja
cmake_build "$work/debug"
if grep -q -- ';-g' "$work/debug/CMakeFiles/adder.kiln/calc.o.cmd" &&
    objdump -h "$work/debug/CMakeFiles/adder.kiln/calc.o" | grep -q '\.debug_info' &&
    [[ $("$work/debug/host") == 42 ]]; then
    pass "DEBUG: compiled with -g (.debug_info in the object), calc_add() = 42"
else
    fail "DEBUG: $(cat "$work/debug/CMakeFiles/adder.kiln/calc.o.cmd" 2>/dev/null | head -c 300)"
fi

# Configure-time errors: expect_error NAME REGEX add_wasm_module-call. They are raised before
# the function creates anything, so a script (cmake -P) that loads the package's functions
# shows them without the cost of configuring a project each time.
expect_error()
{
    local name=$1 want=$2
    local log="$work/error.log"
    printf '%s\n' "include(\"$kiln_build/KilnFunctions.cmake\")" "$3" >"$src/error.cmake"
    if (cd "$src" && cmake -P error.cmake) >"$log" 2>&1; then
        fail "$name: no error"
    elif ! grep -Eq "$want" "$log"; then
        fail "$name: the error does not match /$want/"
        sed 's/^/    | /' "$log" | head -n 20
    else
        pass "$name: $(grep -Eo "$want" "$log" | head -n 1)"
    fi
}
expect_error "OPT 4" 'OPT must be 0, 1, 2, 3, s or z' 'add_wasm_module(m SOURCES add.wasm OPT 4)'
expect_error "OPT s2" 'OPT must be 0, 1, 2, 3, s or z' 'add_wasm_module(m SOURCES add.wasm OPT s2)'
expect_error "bad PREFIX" "PREFIX '1x' is not a C identifier" \
    'add_wasm_module(m SOURCES add.wasm PREFIX 1x)'
expect_error "two kinds of source" 'one module per target' \
    'add_wasm_module(m SOURCES add.wasm add.wat)'
expect_error "unknown source" 'SOURCES are .wasm, .wat, or C and C\+\+' \
    'add_wasm_module(m SOURCES host.rs)'
expect_error "no SOURCES" 'SOURCES is required' 'add_wasm_module(m OPT 1)'

# Cross-compiling: only the module targets are built (no target sysroot here), so the C
# compiler only has to compile; FindThreads' checks are answered in advance. (32-bit targets
# are not tried: KilnConfigVersion.cmake rejects a 64-bit Kiln's libraries for them.)
cross()
{
    local name=$1 want=$2
    shift 2
    local build="$work/cross-$name"
    project_with 'add_wasm_module(adder SOURCES add.wat PREFIX calc)'
    cmake_configure "$src" "$build" Ninja -DCMAKE_SYSTEM_NAME=Linux \
        -DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY -DCMAKE_HAVE_PTHREAD_H=1 \
        -DCMAKE_HAVE_LIBC_PTHREAD=1 "$@"
    cmake_build "$build" adder
    local obj="$build/CMakeFiles/adder.kiln/calc.o"
    local kind
    kind=$(file -b "$obj")
    if [[ $kind == *"$want"* ]]; then
        pass "cross $name: $kind"
    else
        fail "cross $name: $obj is '$kind', not $want"
    fi
}
# HOST_SOURCES: a WASI command's other imports are sealed to the host's C functions
# (PREFIX_import_MODULE_NAME, the prefix being the target's name); the program exits with
# bench.end(5) = 51. Without one of them the build fails naming the import.
cat >"$src/prog.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end (param i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $start)
    (call $exit (i32.wrap_i64 (call $end (i32.const 5))))))
WAT
cat >"$src/bench_host.c" <<'C'
static int starts;
kiln_trap prog_import_bench_start(kiln_instance *caller, void *env)
{
    (void)caller;
    (void)env;
    starts++;
    return KILN_TRAP_NONE;
}
#ifndef NO_END
kiln_trap prog_import_bench_end(kiln_instance *caller, void *env, int32_t p0, int64_t *r0)
{
    (void)caller;
    (void)env;
    *r0 = p0 * 10 + starts;
    return KILN_TRAP_NONE;
}
#endif
C
project_with 'add_wasm_executable(prog SOURCES prog.wat HOST_SOURCES bench_host.c)'
cmake_configure "$src" "$work/host" Ninja
cmake_build "$work/host"
status=0
"$work/host/prog" || status=$?
if [[ $status == 51 ]]; then
    pass "HOST_SOURCES: the host's typed functions run (exit status 51)"
else
    fail "HOST_SOURCES: exit status $status, expected 51"
fi
project_with 'add_wasm_executable(prog SOURCES prog.wat HOST_SOURCES bench_host.c)
set_source_files_properties(bench_host.c PROPERTIES COMPILE_DEFINITIONS NO_END)'
cmake_configure "$src" "$work/host-missing" Ninja
if cmake --build "$work/host-missing" >"$work/host-missing.log" 2>&1; then
    fail "HOST_SOURCES without bench.end: the build succeeded"
elif grep -q "undefined reference to .prog_import_bench_end" "$work/host-missing.log"; then
    pass "HOST_SOURCES without bench.end: the link fails naming prog_import_bench_end"
else
    fail "HOST_SOURCES without bench.end: no undefined prog_import_bench_end in the log"
    tail -n 20 "$work/host-missing.log"
fi

# The C compiler must take --target: the test's own when it is clang, else clang-19 (a GCC
# build of Kiln still has Debian's clang-19 for its wasm sources).
cross_cc=$KILN_TEST_CC
if ! "$cross_cc" --version 2>/dev/null | grep -q clang; then
    cross_cc=$(command -v clang-19 || true)
fi
if [[ -n $cross_cc ]]; then
    KILN_TEST_CC=$cross_cc cross aarch64 'ARM aarch64' -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
        -DCMAKE_C_FLAGS=--target=aarch64-linux-gnu
    KILN_TEST_CC=$cross_cc cross riscv64-compiler-target 'RISC-V' \
        -DCMAKE_SYSTEM_PROCESSOR=riscv64 -DCMAKE_C_COMPILER_TARGET=riscv64-linux-gnu
else
    fail "cross cases: $KILN_TEST_CC cannot take --target and there is no clang-19"
fi

finish
