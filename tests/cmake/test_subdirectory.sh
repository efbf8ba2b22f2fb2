#!/usr/bin/env bash
# test_subdirectory.sh -- add_subdirectory() of this Kiln checkout from another project: the
# Kiln:: ALIAS targets, find_package(Kiln) afterwards, both functions, and a module that
# depends on the kiln target built in the same tree. Builds all of Kiln again, so it only runs
# with -DKILN_TEST_CMAKE_SUBDIRECTORY=ON (a few minutes on 2 cores).
#
# Usage: test_subdirectory.sh KILN_SOURCE_DIR WORK_DIR CC
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
kiln_src=$1 work=$2 KILN_TEST_CC=$3 KILN_FIND=
enter_work "$work"
mkdir src
cat >"$work/src/CMakeLists.txt" <<EOF_CMAKE
cmake_minimum_required(VERSION 3.25)
project(uses_kiln LANGUAGES C)
add_subdirectory("$kiln_src" kiln)
find_package(Kiln CONFIG REQUIRED)
foreach(t IN ITEMS Kiln::runtime Kiln::wasi Kiln::kiln)
  get_target_property(real \${t} ALIASED_TARGET)
  if(NOT real)
    message(FATAL_ERROR "\${t} is not an ALIAS target")
  endif()
endforeach()
add_wasm_module(counter SOURCES "$kiln_src/samples/pool/counter.c")
add_executable(pool_host "$kiln_src/samples/pool/host.c")
target_link_libraries(pool_host PRIVATE counter)
add_wasm_executable(hello SOURCES "$kiln_src/samples/hello/hello.c")
EOF_CMAKE
cmake_configure "$work/src" "$work/build" Ninja
cmake_build "$work/build" pool_host hello
if out=$("$work/build/pool_host" 100) && [[ $out == "100 instances created"* ]]; then
    pass "add_subdirectory: add_wasm_module + host: $out"
else
    fail "add_subdirectory: pool_host: $out"
fi
if out=$("$work/build/hello" sub) && [[ $out == "Hello, sub, from WebAssembly!"* ]]; then
    pass "add_subdirectory: add_wasm_executable"
else
    fail "add_subdirectory: hello: $out"
fi
finish
