#!/bin/sh
# test_carry.sh -- 128-bit sums in 64-bit halves rebuilt as i128 adds (toolchain/idiom_carry.c)
# on code C compilers write: carry/sums.c built for wasm32-wasi by clang-19 and, when it is
# installed, clang-16 (-O2, linked without wasm-opt), then
#   - `kiln run` (guard pages, and --bounds-checks) prints exactly what the native build of
#     the same source prints: inputs take and skip every carry;
#   - in `kiln compile -O2 --emit llvm` (x86-64 and aarch64), add_halves and accumulate are
#     sums of i128 values with no carry compare left in add_halves, and
#     not_carry_le and not_carry_signed (a <= and a signed compare, which are not carries,
#     first in chains of two adds) have no i128 add.
# Usage: test_carry.sh KILN WORKDIR [WASM_CC]   (exit 77 = skipped: no wasi-libc or wasm-ld)
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$(abspath "$1") WASM_CC=${3:-clang-19}
SRC=$(cd "$(dirname "$0")/carry" && pwd)
enter_work "$2"
need_program wasm-objdump wasm-objdump
SYSROOT=/usr/lib/wasm32-wasi
[ -e "$SYSROOT/crt1-command.o" ] || skip "no wasi-libc at $SYSROOT"
WASM_LD=$(command -v wasm-ld-19 || command -v wasm-ld || true)
[ -n "$WASM_LD" ] || skip "no wasm-ld"

# The body of function NAME (name section of WASM) in IR file LL compiled with --prefix m.
body_of() {
    local i
    i=$(wasm-objdump -x "$1" | sed -n "s/^ - func\[\([0-9]*\)\] sig=[0-9]* <$3>\$/\1/p" | head -n 1)
    [ -n "$i" ] || die "$1: no function $3 in the name section"
    awk -v f="@m_f$i" 'index($0, "define") == 1 && (index($0, f "(") || index($0, f ".")) { p = 1 } p { print } p && /^}/ { exit }' "$2"
}

# check_count LABEL WASM LL NAME PATTERN OP N: the count of PATTERN in NAME's body OP N.
check_count() {
    local got
    got=$(body_of "$2" "$3" "$4" | grep -c -- "$5")
    if [ "$got" "$6" "$7" ]; then
        pass "$1: $4 has $got '$5' ($6 $7)"
    else
        fail "$1: $4 has $got '$5', expected $6 $7"
    fi
}

cc -O2 "$SRC/sums.c" -o native >native.build 2>&1 || die_log native.build "cc sums.c"
./native >native.out || die "native sums"
[ "$(wc -l <native.out)" -eq 6 ] || die "native sums: unexpected output"

ran=0
for cc in "$WASM_CC" clang-16; do
    command -v "$cc" >/dev/null 2>&1 || { echo "# $cc: not installed"; continue; }
    version=$("$cc" -dumpversion | cut -d. -f1)
    rt=$("$cc" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)
    [ -e "$rt" ] || rt=/usr/lib/llvm-$version/lib/clang/$version/lib/wasi/libclang_rt.builtins-wasm32.a
    [ -e "$rt" ] || { echo "# $cc: no wasm32 compiler-rt"; continue; }
    label=clang$version
    "$cc" --target=wasm32-wasi --sysroot=/usr -O2 -c "$SRC/sums.c" -o "$label.o" \
        >"$label.build" 2>&1 || die_log "$label.build" "$cc sums.c"
    "$WASM_LD" -L"$SYSROOT" "$SYSROOT/crt1-command.o" "$label.o" -lc "$rt" -o "$label.wasm" \
        >>"$label.build" 2>&1 || die_log "$label.build" "$label: wasm-ld"
    ran=$((ran + 1))
    for mode in "" --bounds-checks; do
        if "$KILN" run $mode "$label.wasm" >"$label$mode.out" 2>"$label$mode.err" &&
            cmp -s "$label$mode.out" native.out; then
            pass "$label $mode: kiln run prints the native output"
        else
            fail "$label $mode: kiln run differs from the native build:
$(diff native.out "$label$mode.out" | head -n 12)
$(head -n 5 "$label$mode.err")"
        fi
    done
    for target in x86_64-linux-gnu aarch64-linux-gnu; do
        ll=$label-$target.ll
        "$KILN" compile "$label.wasm" -O2 --target "$target" --emit llvm --prefix m -o "$ll" \
            2>"$ll.err" || die_log "$ll.err" "$label: kiln compile --target $target"
        check_count "$label $target" "$label.wasm" "$ll" add_halves ' = add i128 ' -ge 2
        check_count "$label $target" "$label.wasm" "$ll" add_halves 'icmp ult i64' -eq 0
        check_count "$label $target" "$label.wasm" "$ll" accumulate ' = add i128 ' -ge 1
        check_count "$label $target" "$label.wasm" "$ll" not_carry_le ' = add i128 ' -eq 0
        check_count "$label $target" "$label.wasm" "$ll" not_carry_signed ' = add i128 ' -eq 0
    done
done
[ "$ran" -gt 0 ] || skip "no clang with a wasm32 compiler-rt"
finish
