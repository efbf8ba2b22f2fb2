#!/usr/bin/env bash
# test_install.sh -- `cmake --install` into a fresh prefix and check what lands there: the
# kiln program, the two libraries, the headers, the CMake package and kiln.pc (used here to
# build and run a small host with the system C compiler).
#
# Usage: test_install.sh KILN_BUILD_DIR PREFIX CC VERSION
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
build=$1 prefix=$2 KILN_TEST_CC=$3 version=$4
rm -rf "$prefix"
mkdir -p "$(dirname "$prefix")"
log="$prefix.install.log"
if ! cmake --install "$build" --prefix "$prefix" >"$log" 2>&1; then
    die_log "$log" "cmake --install $build --prefix $prefix"
fi

libdir=lib
for f in bin/kiln "$libdir/libkiln_runtime.a" "$libdir/libkiln_wasi.a" \
    include/kiln/kiln.h include/kiln/abi.h include/kiln/wasi.h include/kiln/wasi_main.h \
    "$libdir/cmake/Kiln/KilnConfig.cmake" "$libdir/cmake/Kiln/KilnConfigVersion.cmake" \
    "$libdir/cmake/Kiln/KilnTargets.cmake" "$libdir/cmake/Kiln/KilnFunctions.cmake" \
    "$libdir/pkgconfig/kiln.pc"; do
    if [[ -f $prefix/$f ]]; then pass "installed $f"; else fail "missing $prefix/$f"; fi
done

if out=$("$prefix/bin/kiln" --version 2>&1) && [[ $out == *"$version"* ]]; then
    pass "installed kiln runs: $out"
else
    fail "installed kiln --version: $out"
fi

# Nothing installed may point back into the build tree.
if grep -rlF "$build" "$prefix/$libdir/cmake" "$prefix/$libdir/pkgconfig"; then
    fail "package files mention the build tree $build"
else
    pass "package files are relocatable"
fi

# kiln.pc: a host that only needs the runtime, built by hand.
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
if [[ $(pkg-config --modversion kiln 2>&1) == "$version" ]]; then
    pass "pkg-config --modversion kiln"
else
    fail "pkg-config --modversion kiln: $(pkg-config --modversion kiln 2>&1)"
fi
cat >"$prefix.pc-host.c" <<'C'
#include <stdio.h>
#include <string.h>

#include <kiln/wasi.h>

int main(void)
{
    printf("%s %s\n", kiln_runtime_version(), kiln_wasi_snapshot());
    return strcmp(kiln_wasi_snapshot(), "wasi_snapshot_preview1") != 0;
}
C
read -ra pc_flags <<<"$(pkg-config --cflags --libs kiln)"
if "$KILN_TEST_CC" -std=c17 -Wall -Wextra -Werror "$prefix.pc-host.c" -o "$prefix.pc-host" \
    "${pc_flags[@]}" >"$log" 2>&1 && out=$("$prefix.pc-host") && [[ $out == "$version "* ]]; then
    pass "a host built with \$(pkg-config --cflags --libs kiln) runs: $out"
else
    die_log "$log" "host built with pkg-config flags"
fi

finish
