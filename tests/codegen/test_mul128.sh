#!/bin/sh
# test_mul128.sh -- the 64x64->128 multiply idiom (toolchain/idiom_mul128.c) on code from more
# than one toolchain: mul128/variants.c (or mul128/variants.rs) built for wasm32-wasi by the
# given toolchain, without wasm-opt (which would inline __multi3 into its callers), then
#   - `kiln run` prints exactly what the same source built natively prints (every variant,
#     the deliberately wrong one too: a recognised function must keep its results);
#   - in `kiln compile -O0 --emit llvm`, the bodies proven to be the product (the toolchain's
#     own __multi3, mul_halves, mul_rotated) have one `mul i128` each, mul_builtin's call of
#     __multi3 is expanded into one, and mul_dropped (a lost carry) has none.
# Usage: test_mul128.sh KILN WORKDIR TOOLCHAIN [WASM_CC]
#   TOOLCHAIN: clang-19 (WASM_CC, -O2 and -Os), clang-16 (its own compiler-rt's __multi3),
#   rust (rustc with the wasm32-wasi standard library: compiler-builtins' __multi3).
# Exit 77 (skipped) when the toolchain, its wasm32 runtime or wasm-ld is missing.
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$(abspath "$1") TOOLCHAIN=$3 WASM_CC=${4:-clang-19}
SRC=$(cd "$(dirname "$0")/mul128" && pwd)
enter_work "$2"
need_program wasm-objdump wasm-objdump
SYSROOT=/usr/lib/wasm32-wasi
[ -e "$SYSROOT/crt1-command.o" ] || skip "no wasi-libc at $SYSROOT"
WASM_LD=$(command -v wasm-ld-19 || command -v wasm-ld || true)

# The index of function NAME in module WASM (its name section), or nothing.
func_index() {
    wasm-objdump -x "$1" | sed -n "s/^ - func\[\([0-9]*\)\] sig=[0-9]* <$2>\$/\1/p" | head -n 1
}

# How many `mul i128` the body of function NAME of WASM has in kiln's -O0 IR (IR file LL).
muls_in() {
    local i
    i=$(func_index "$1" "$3")
    [ -n "$i" ] || { echo "none"; return; }
    awk -v f="@m_f$i" 'index($0, "define") == 1 && (index($0, f "(") || index($0, f ".")) { p = 1 } p { print } p && /^}/ { exit }' \
        "$2" | grep -c ' = mul i128 '
}

# check_module LABEL WASM EXPECTED_OUTPUT_FILE NAME=COUNT...
check_module() {
    local label=$1 wasm=$2 expected=$3 pair name want got
    shift 3
    if "$KILN" run "$wasm" >"$label.out" 2>"$label.err" && cmp -s "$label.out" "$expected"; then
        pass "$label: kiln run prints the native output"
    else
        fail "$label: kiln run differs from the native build:
$(diff "$expected" "$label.out" | head -n 12)
$(head -n 5 "$label.err")"
    fi
    "$KILN" compile "$wasm" -O0 --emit llvm --prefix m -o "$label.ll" 2>"$label.cerr" ||
        die_log "$label.cerr" "$label: kiln compile --emit llvm"
    for pair in "$@"; do
        name=${pair%=*} want=${pair#*=}
        got=$(muls_in "$wasm" "$label.ll" "$name")
        if [ "$got" = "$want" ]; then
            pass "$label: $name has $want mul i128"
        else
            fail "$label: $name has $got mul i128, expected $want"
        fi
    done
}

# build_c LABEL CC RUNTIME FLAGS...: variants.c built by CC with FLAGS, linked with wasm-ld
# (no -O at link: clang would run wasm-opt) against wasi-libc and RUNTIME (compiler-rt).
build_c() {
    local label=$1 cc=$2 rt=$3
    shift 3
    "$cc" --target=wasm32-wasi --sysroot=/usr "$@" -c "$SRC/variants.c" -o "$label.o" \
        >"$label.build" 2>&1 || die_log "$label.build" "$label: $cc $* variants.c"
    "$WASM_LD" -L"$SYSROOT" "$SYSROOT/crt1-command.o" "$label.o" -lc "$rt" -o "$label.wasm" \
        >>"$label.build" 2>&1 || die_log "$label.build" "$label: wasm-ld"
}

# The native build of variants.c: the expected output.
native_c() {
    cc -O2 "$SRC/variants.c" -o native >native.build 2>&1 || die_log native.build "cc variants.c"
    ./native >native.out || die "native variants"
    grep -q '^halves .* mismatches 0$' native.out || die "native variants: unexpected output"
}

C_EXPECT="__multi3=1 mul_builtin=1 mul_halves=1 mul_rotated=1 mul_dropped=0"
case $TOOLCHAIN in
clang-19 | clang-16)
    if [ "$TOOLCHAIN" = clang-19 ]; then cc=$WASM_CC; else cc=clang-16; fi
    command -v "$cc" >/dev/null 2>&1 || skip "no $cc"
    [ -n "$WASM_LD" ] || skip "no wasm-ld"
    version=$("$cc" -dumpversion | cut -d. -f1)
    rt=$("$cc" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)
    [ -e "$rt" ] || rt=/usr/lib/llvm-$version/lib/clang/$version/lib/wasi/libclang_rt.builtins-wasm32.a
    [ -e "$rt" ] || skip "no wasm32 compiler-rt for $cc (libclang-rt-$version-dev-wasm32)"
    native_c
    for opt in -O2 -Os; do
        build_c "$TOOLCHAIN$opt" "$cc" "$rt" "$opt"
        # shellcheck disable=SC2086 # a list of NAME=COUNT words
        check_module "$TOOLCHAIN$opt" "$TOOLCHAIN$opt.wasm" native.out $C_EXPECT
    done
    ;;
rust)
    rustc=
    for r in /usr/bin/rustc rustc; do
        if command -v "$r" >/dev/null 2>&1 &&
            [ -d "$("$r" --print target-libdir --target wasm32-wasi 2>/dev/null)" ]; then
            rustc=$r
            break
        fi
    done
    [ -n "$rustc" ] || skip "no rustc with the wasm32-wasi standard library (libstd-rust-dev-wasm32)"
    "$rustc" -O "$SRC/variants.rs" -o native >native.build 2>&1 || die_log native.build "rustc variants.rs"
    ./native >native.out || die "native variants.rs"
    "$rustc" -O --target wasm32-wasi "$SRC/variants.rs" -o rust.wasm >rust.build 2>&1 ||
        die_log rust.build "rustc --target wasm32-wasi variants.rs"
    check_module rust rust.wasm native.out __multi3=1
    ;;
*) die "unknown toolchain '$TOOLCHAIN'" ;;
esac
finish
