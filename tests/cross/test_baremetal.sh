#!/bin/bash
# test_baremetal.sh KILN SOURCE_DIR WORK_DIR CMAKE -- the bare-metal sample end to end:
# configure and build the firmware for Cortex-M3 (cmake/toolchains/thumbv7m-none-eabi.cmake,
# KILN_PLATFORM=baremetal, the module compiled by KILN), run it under qemu-system-arm on the
# mps2-an385 board with semihosting, and compare its output with baremetal_expected.txt.
# Exit 0 pass, 1 fail, 77 skipped (a tool is missing).
set -u
source "$(dirname "$0")/../lib/lib.sh"
kiln=$1 src=$2 cmake=$4
here=$(cd "$(dirname "$0")" && pwd)

for tool in arm-none-eabi-gcc qemu-system-arm wat2wasm; do
    need_program "$tool" "$tool (scripts/install-deps.sh installs it)"
done
if ! arm-none-eabi-gcc --specs=picolibc.specs -mcpu=cortex-m3 -mthumb -E -x c /dev/null \
        -o /dev/null 2>/dev/null; then
    skip "picolibc for arm-none-eabi not found (picolibc-arm-none-eabi)"
fi

enter_work "$3"
work=$PWD
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
"$cmake" -S "$src" -B "$work/build" "${generator[@]}" \
    -DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchains/thumbv7m-none-eabi.cmake" \
    -DKILN_HOST_KILN="$kiln" >"$work/configure.log" 2>&1 ||
    die_log "$work/configure.log" "configuring the bare-metal build"
"$cmake" --build "$work/build" -j2 >"$work/build.log" 2>&1 ||
    die_log "$work/build.log" "building the firmware"

# qemu writes the semihosting console to its standard error: both streams are compared.
fw=$work/build/samples/baremetal/fw.elf
timeout 60 qemu-system-arm -M mps2-an385 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$fw" >"$work/out.txt" 2>&1
status=$?
[ "$status" -eq 0 ] ||
    die_log "$work/out.txt" "qemu-system-arm exited with status $status (124: timeout)"
if diff -u "$here/baremetal_expected.txt" "$work/out.txt"; then
    pass "$(wc -l <"$work/out.txt") lines as expected"
else
    fail "the firmware's output differs from baremetal_expected.txt"
fi
finish
