#!/bin/bash
# test_stack_switch.sh SOURCE_DIR WORK_DIR -- the tasks' context switch
# (runtime/stack_switch_*.S) on every CPU it is written for: switch_freestanding.c and the
# target's .S built with clang-19 --target=TRIPLE (no C library, linked by ld.lld) and run
# natively or under qemu-user. Each line is one target and float ABI, so the callee-saved
# floating-point registers of each are exercised (d8-d15, fs0-fs11, s16-s31) as well as the
# soft-float frames. Cortex-M code runs under qemu-arm's A-profile CPU, which executes the
# same Thumb-2 instructions. A target whose emulator is missing is reported and left out
# (never passed); exit 77 if no target could run. Exit 0 pass, 1 fail.
set -u
source "$(dirname "$0")/../lib/lib.sh"
src=$1
need_program clang-19 "clang-19"
command -v ld.lld-19 >/dev/null 2>&1 || command -v ld.lld >/dev/null 2>&1 ||
    skip "ld.lld not found (lld-19)"
enter_work "$2"

# triple | .S | flags | runner ("-": the host, if it is that CPU)
targets='
x86_64-linux-gnu|x86_64||-
aarch64-linux-gnu|aarch64||qemu-aarch64
riscv64-linux-gnu|riscv64|-march=rv64gc|qemu-riscv64
riscv64-linux-gnu|riscv64|-march=rv64imac -mabi=lp64|qemu-riscv64
armv7-linux-gnueabihf|arm||qemu-arm
armv7-linux-gnueabihf|arm|-mthumb -fomit-frame-pointer|qemu-arm
thumbv7m-none-eabi|arm|-mcpu=cortex-m3 -fomit-frame-pointer|qemu-arm
thumbv7em-none-eabihf|arm|-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -fomit-frame-pointer|qemu-arm
'
ran=0
n=0
while IFS='|' read -r triple arch flags runner; do
    [ -n "$triple" ] || continue
    n=$((n + 1))
    name="$triple $flags"
    exe=$PWD/switch$n
    # shellcheck disable=SC2086 # flags are words
    if ! clang-19 --target="$triple" $flags -O2 -ffreestanding -fno-stack-protector -fno-builtin \
        -nostdlib -static -fuse-ld=lld -Wall -Wextra -Werror -o "$exe" \
        "$src/tests/cross/switch_freestanding.c" "$src/runtime/stack_switch_$arch.S" \
        >build$n.log 2>&1; then
        cat build$n.log
        fail "$name: does not build"
        continue
    fi
    if [ "$runner" = - ]; then
        if [ "$(uname -m)" != "${triple%%-*}" ]; then
            echo "left out: $name (built, not run: the host is $(uname -m))"
            continue
        fi
        runner=
    elif ! command -v "$runner" >/dev/null 2>&1; then
        echo "left out: $name (built, not run: no $runner; qemu-user has it)"
        continue
    fi
    ran=$((ran + 1))
    out=$($runner "$exe" 2>&1)
    status=$?
    if [ $status -eq 0 ] && [ "$out" = "stack switch ok" ]; then
        pass "$name"
    else
        fail "$name: exit $status: $out"
    fi
done <<EOT
$targets
EOT
[ $ran -gt 0 ] || skip "no target could run"
finish
