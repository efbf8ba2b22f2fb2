#!/usr/bin/env bash
# test.sh -- install what is missing, configure and build Kiln, and run the whole test suite.
#
#   ./scripts/test.sh                  build/ with clang-19 + Ninja, then ctest -j2; then
#                                      build-gcc/ with Debian's cc (GCC) and the unit,
#                                      runtime, wasi and samples tests
#   KILN_SANITIZE=1 ./scripts/test.sh  build-asan/ with -DKILN_SANITIZE=ON (ASan + UBSan)
#   KILN_SANITIZE=thread ./scripts/test.sh
#                                      build-tsan/ with -DKILN_SANITIZE=thread (TSan), a
#                                      runtime-only build whose modules build/'s kiln compiles
#                                      (the compiler links LLVM, which TSan cannot see into:
#                                      it reports races in LLVM's own locks); the runtime tests
#   KILN_FUZZ=1 ./scripts/test.sh      build-fuzz/ with -DKILN_FUZZ=ON (libFuzzer targets)
#   KILN_BUILD_DIR=dir                 overrides the build directory
#   KILN_TEST_GCC=0                    leave out the GCC build
#
# Warnings are errors here (-DKILN_WERROR=ON), not in a user's build. The exit status is 0
# only if every test passed (skipped tests do not fail it).
# Non-interactive and idempotent; CI runs it through .ci/run with CI=true and no stdin.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/install-deps.sh --fuzz

build=build
cmake_args=()
ctest_args=()
if [[ ${KILN_SANITIZE:-0} == thread ]]; then
    echo "test.sh: building build/bin/kiln for the ThreadSanitizer build's modules"
    if [[ ! -f build/CMakeCache.txt ]]; then
        CC=clang-19 cmake -S . -B build -G Ninja -DKILN_WERROR=ON
    fi
    cmake --build build -j2 --target kiln
    build=$build-tsan
    cmake_args+=(-DKILN_SANITIZE=thread -DKILN_BUILD_TOOLCHAIN=OFF
        "-DKILN_HOST_KILN=$PWD/build/bin/kiln" "-DKILN_TARGET_TRIPLE=$(uname -m)-linux-gnu")
    ctest_args+=(-L runtime)
elif [[ ${KILN_SANITIZE:-0} == 1 ]]; then
    build=$build-asan
    cmake_args+=(-DKILN_SANITIZE=ON)
fi
if [[ ${KILN_FUZZ:-0} == 1 ]]; then
    build=$build-fuzz
    cmake_args+=(-DKILN_FUZZ=ON)
fi
build=${KILN_BUILD_DIR:-$build}

echo "test.sh: configuring $build/ ${cmake_args[*]}"
CC=clang-19 cmake -S . -B "$build" -G Ninja -DKILN_WERROR=ON "${cmake_args[@]}"
echo "test.sh: building $build/"
cmake --build "$build" -j2

echo "test.sh: running the test suite"
status=0
ctest --test-dir "$build" --output-on-failure -j2 "${ctest_args[@]}" || status=$?

# The same code must build warning-free with the compiler a user has: Debian's cc (GCC 12).
if [[ ${KILN_TEST_GCC:-1} == 1 && ${KILN_SANITIZE:-0} == 0 && ${KILN_FUZZ:-0} == 0 ]]; then
    gcc_build=${build}-gcc
    echo "test.sh: configuring and building $gcc_build/ with cc (GCC)"
    CC=cc cmake -S . -B "$gcc_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_WERROR=ON
    if cmake --build "$gcc_build" -j2; then
        ctest --test-dir "$gcc_build" --output-on-failure -j2 -L "unit|runtime|wasi|samples" || status=1
    else
        echo "test.sh: the GCC build failed"
        status=1
    fi
fi
exit "$status"
