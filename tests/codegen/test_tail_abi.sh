#!/bin/sh
# test_tail_abi.sh -- every return_call is a jump, on every target, whatever the signatures
# (toolchain/lower_abi.c, docs/abi.md "Functions").
#
# Writes tails.wat: 50 functions of deterministic pseudo-random signatures (0 to 16 parameters
# of i32, i64, f32, f64, v128 and externref; one of five result lists), each ending in a
# return_call (even ones) or return_call_indirect (odd ones) of the next function with the
# same results. Compiles it with kiln at -O0 and -O2 for x86-64, aarch64, riscv64, armv7
# (hard float) and thumbv7m (soft float): a `musttail` LLVM cannot honour ends the compiler
# with a fatal error, so every compile must succeed; and since riscv64's tail calls are
# `tail` (LLVM's sibling calls, which silently become calls when an argument would go on the
# stack), no generated function may contain a call except to kiln_trap_raise (its stack
# check). That holds only if the registers-only model (take_reg) matches each target's
# calling convention exactly.
# Usage: test_tail_abi.sh KILN_CG WORKDIR
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$1
enter_work "$2"

awk 'BEGIN {
    n = 50
    split("i32 i64 f32 f64 v128 externref", vt, " ")
    split("|i32|i64 f64|f32|v128", rl, "|")
    x = 12345
    for (i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) % 2147483648
        np[i] = int(x / 65536) % 17
        res[i] = (i % 5) + 1
        for (k = 0; k < np[i]; k++) {
            x = (x * 1103515245 + 12345) % 2147483648
            p[i, k] = vt[int(x / 65536) % 6 + 1]
        }
    }
    print "(module"
    for (i = 0; i < n; i++) {
        printf "  (type $t%d (func", i
        if (np[i]) { printf " (param"; for (k = 0; k < np[i]; k++) printf " %s", p[i, k]; printf ")" }
        if (rl[res[i]] != "") printf " (result %s)", rl[res[i]]
        print "))"
    }
    printf "  (table %d funcref)\n  (elem (i32.const 0)", n
    for (i = 0; i < n; i++) printf " $f%d", i
    print ")"
    for (i = 0; i < n; i++) {
        j = (i + 5) % n                 # the next function with the same result list
        printf "  (func $f%d (export \"f%d\") (type $t%d)\n    ", i, i, i
        printf (i % 2 == 0) ? "(return_call $f%d" : "(return_call_indirect (type $t%d)", j
        for (k = 0; k < np[j]; k++) {
            t = p[j, k]
            if (t == "v128") printf " (v128.const i64x2 %d %d)", k, i
            else if (t == "externref") printf " (ref.null extern)"
            else printf " (%s.const %d)", t, k + 1
        }
        if (i % 2 == 1) printf " (i32.const %d)", j
        print "))"
    }
    print ")"
}' >tails.wat || die "writing tails.wat"

found_total=0
for target in x86_64-linux-gnu aarch64-linux-gnu riscv64-linux-gnu armv7a-linux-gnueabihf \
    thumbv7m-none-eabi; do
    case $target in
    x86_64*) calls='^[[:space:]]+call' ;;
    aarch64*) calls='^[[:space:]]+(bl|blr)[[:space:]]' ;;
    riscv64*) calls='^[[:space:]]+(call|jalr[[:space:]]+ra)' ;;
    *) calls='^[[:space:]]+(bl|blx)[[:space:]]' ;;
    esac
    for opt in 0 2; do
        out=tails-$target-O$opt.s
        expect 0 "" "$KILN" tails.wat --target "$target" -O$opt --bounds-checks --emit asm \
            -o "$out"
        [ -s "$out" ] || continue
        # The bodies of tails_f0 .. tails_f49: any call but to kiln_trap_raise is a failure.
        bad=$(awk -v calls="$calls" '
            /^tails_f[0-9]+:/ { in_f = 1; name = $1; found++; next }
            /^\.Lfunc_end/ { in_f = 0 }
            in_f && $0 ~ calls && $0 !~ /kiln_trap_raise/ { print name " " $0 }
            END { print "found " found + 0 }' "$out")
        found=$(echo "$bad" | sed -n 's/^found //p')
        [ "$found" = 50 ] || fail "$target -O$opt: $found of 50 functions in $out"
        calls_left=$(echo "$bad" | grep -v '^found ' | head -3)
        [ -z "$calls_left" ] || fail "$target -O$opt: a tail call is a call: $calls_left"
        found_total=$((found_total + found))
    done
done
[ "$found_total" = 500 ] || fail "checked $found_total function bodies, expected 500"
finish
