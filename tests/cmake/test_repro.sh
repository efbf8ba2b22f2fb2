#!/usr/bin/env bash
# test_repro.sh -- add_wasm_module() output is reproducible: the same sample built twice, from
# two source locations into two build directories of different lengths, gives byte-identical
# wasm modules, module objects (kiln compile output), generated headers and static libraries.
#
# Usage: test_repro.sh KILN_BUILD_DIR SAMPLES_DIR WORK_DIR CC
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
kiln_build=$1 samples=$2 work=$3 KILN_TEST_CC=$4
KILN_FIND=-DKiln_DIR=$kiln_build
enter_work "$work"
mkdir copy-of-the-sources
a="$work/a"
b="$work/second/build-directory-with-a-longer-name"
# multi-module: a module from .wat and one from C.
sample=multi-module
cp -R "$samples/$sample" "$work/copy-of-the-sources/"
cmake_configure "$samples/$sample" "$a/$sample" Ninja
cmake_configure "$work/copy-of-the-sources/$sample" "$b/$sample" Ninja
cmake_build "$a/$sample"
cmake_build "$b/$sample"
compared=0
while IFS= read -r f; do
    compared=$((compared + 1))
    if ! cmp -s "$a/$sample/$f" "$b/$sample/$f"; then
        fail "$sample: $f differs between the two builds"
    fi
done < <(cd "$a/$sample" && find . -type f ! -path './CMakeFiles/KilnWasmProbe/*' \
    \( -path '*.kiln/*' -name '*.o' -o -name '*.wasm' -o -name '*.a' \
    -o -path './*/*.h' ! -path './CMakeFiles/*' \) | LC_ALL=C sort)
# geometry (from .wat, which kiln compile reads itself): .o .h .a; stats: .wasm .o .h .a
# and 0_stats.o.
if ((compared < 8)); then
    fail "$sample: only $compared files compared"
else
    pass "$sample: $compared module files byte-identical across builds"
fi

finish
