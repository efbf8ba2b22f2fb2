#!/usr/bin/env bash
# test_rebuild.sh -- add_wasm_module() rebuilds exactly what an input change requires.
#
# Usage: test_rebuild.sh GENERATOR PREFIX SAMPLES_DIR WORK_DIR CC
# Builds a copy of samples/multi-module (geometry from .wat, stats from C, one host) against
# the Kiln installed in PREFIX, then changes one input at a time and lists the build products
# (*.o, *.wasm, *.h, *.a, the executable) written by the next build: they must be exactly the
# changed module's chain and its dependents. A second build must write nothing. With Ninja,
# `ninja -n -d explain` must also report no work after a build. The test touches PREFIX's
# kiln program (ctest serialises it with the other users of PREFIX).
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
generator=$1 prefix=$2 samples=$3 work=$4 KILN_TEST_CC=$5
KILN_FIND=-DCMAKE_PREFIX_PATH=$prefix
enter_work "$work"
cp -R "$samples/multi-module" "$work/src"
b="$work/build"
cmake_configure "$work/src" "$b" "$generator"
cmake_build "$b"

# Build products newer than the marker, relative to the build directory, one per line.
changed_products()
{
    find "$b" -type f -newer "$work/marker" \( -name '*.o' -o -name '*.wasm' -o -name '*.h' \
        -o -name '*.a' -o -name multi_host \) | sed "s|^$b/||" | LC_ALL=C sort
}

# step NAME EXPECTED CHANGE...: runs the CHANGE command after a marker, rebuilds, and compares
# the products written with EXPECTED (one per line, sorted).
step()
{
    local name=$1 expected=$2
    shift 2
    if [[ -n $expected ]]; then
        expected=$(printf '%s\n' "$expected" | LC_ALL=C sort)
    fi
    # Sub-second time stamps (ext4, tmpfs, overlayfs; Ninja and GNU make use them): a short
    # pause keeps the marker, the change and the new outputs apart.
    sleep 0.2
    touch "$work/marker"
    sleep 0.2
    "$@"
    cmake_build "$b"
    local got
    got=$(changed_products)
    if [[ $got == "$expected" ]]; then
        pass "$generator: $name"
    else
        fail "$generator: $name: rebuilt products differ from the expected ones"
        diff <(printf '%s\n' "$expected") <(printf '%s\n' "$got") | sed 's/^/    | /'
    fi
    if [[ $generator == Ninja ]]; then
        local explain
        explain=$(ninja -C "$b" -n -d explain 2>&1)
        if [[ $explain == *"no work to do"* ]]; then
            pass "$generator: $name: ninja -n -d explain: no work to do"
        else
            fail "$generator: $name: ninja still has work after a build:"
            printf '%s\n' "$explain" | sed 's/^/    | /' | head -n 20
        fi
    fi
}

# shellcheck disable=SC2317 # called through step()
none() { :; }
host='CMakeFiles/multi_host.dir/host.c.o'

step "a no-op build rebuilds nothing" "" none

# What recompiling stats.c writes: the C object and its wasm, kiln compile's outputs, the
# library and the host.
stats_chain="$host
CMakeFiles/stats.kiln/0_stats.o
CMakeFiles/stats.kiln/stats.o
CMakeFiles/stats.kiln/stats.wasm
libstats.a
multi_host
stats/stats.h"
step "touching stats.c rebuilds stats and its dependents only" "$stats_chain" \
    touch "$work/src/stats.c"

step "touching geometry.wat rebuilds geometry and its dependents only" "$host
CMakeFiles/geometry.kiln/geometry.o
geometry/geometry.h
libgeometry.a
multi_host" touch "$work/src/geometry.wat"

step "OPT 3 -> OPT 1 reruns kiln compile of geometry only" "$host
CMakeFiles/geometry.kiln/geometry.o
geometry/geometry.h
libgeometry.a
multi_host" sed -i 's/geometry.wat OPT 3/geometry.wat OPT 1/' "$work/src/CMakeLists.txt"

step "new COMPILE_OPTIONS for stats recompile stats.c" "$stats_chain" \
    sed -i 's/-std=c17 -Wall/-std=c17 -DKILN_TEST=1 -Wall/' "$work/src/CMakeLists.txt"

step "a new kiln program recompiles every module, not the wasm" "$host
CMakeFiles/geometry.kiln/geometry.o
CMakeFiles/stats.kiln/stats.o
geometry/geometry.h
libgeometry.a
libstats.a
multi_host
stats/stats.h" touch "$prefix/bin/kiln"

step "a second no-op build rebuilds nothing" "" none

finish
