#!/bin/sh
# test_compile_cli.sh -- `kiln compile` as users run it: options, default output names, the
# FILE:0xOFFSET: error: MESSAGE format, exit statuses (0 ok, 1 compile error, 2 usage),
# no output file left behind on failure, and byte-identical output for the same input and
# flags wherever the file sits.
# Usage: test_compile_cli.sh KILN_CG WORKDIR WAT2WASM   (exit 77 = skipped: no wat2wasm)
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$1 WAT2WASM=${3:-}
need_program "$WAT2WASM" wat2wasm
enter_work "$2"
mkdir sub

cat >mod.wat <<'EOF'
(module
  (memory 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "get_x") (result i32) (i32.load (i32.const 0))))
EOF
cat >simd.wat <<'EOF'
(module (func (result i32) (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))
EOF
cat >bad.wat <<'EOF'
(module (func (result i32) (i64.const 0)))
EOF
"$WAT2WASM" mod.wat -o mod.wasm || die "wat2wasm mod.wat"
"$WAT2WASM" simd.wat -o simd.wasm || die "wat2wasm simd.wat"
"$WAT2WASM" --no-check bad.wat -o bad.wasm || die "wat2wasm bad.wat"
printf '\000asm\001\000\000' >trunc.wasm

# Usage errors: exit 2 and a pointer to the help.
expect 2 "kiln compile: expected a FILE" "$KILN"
expect 2 "unknown option '--bogus'" "$KILN" mod.wasm --bogus
expect 2 "expected one FILE" "$KILN" mod.wasm mod.wasm
expect 2 "option '-o' needs a value" "$KILN" mod.wasm -o
expect 2 "option '--target' needs a value" "$KILN" mod.wasm --target
expect 2 "--emit must be obj, asm or llvm" "$KILN" mod.wasm --emit exe
expect 2 "--prefix must be a C identifier" "$KILN" mod.wasm --prefix 1abc
expect 2 "kiln help compile" "$KILN" mod.wasm -O7
expect 0 "" "$KILN" --help
stdout_has "Usage: kiln compile" || fail "--help prints no usage"

# Compile errors: exit 1, one FILE:0xOFFSET: error: MESSAGE line, no output file.
expect 1 "^trunc.wasm:0x[0-9a-f]*: error: " "$KILN" trunc.wasm -o trunc.o
[ ! -e trunc.o ] || fail "a failed compilation left trunc.o"
expect 1 "^bad.wasm:0x[0-9a-f]*: error: type mismatch: .* (in function 0)$" \
    "$KILN" bad.wasm -o bad.o --header bad.h
[ ! -e bad.o ] && [ ! -e bad.h ] || fail "a failed compilation left bad.o or bad.h"
# SIMD compiles (it used to be the example of a compile error).
expect 0 "" "$KILN" simd.wasm -o simd.o --header simd.h
[ -s simd.o ] && [ -s simd.h ] || fail "simd.wasm: no simd.o or simd.h"
# --disable-FEATURE: the first use of a compiled 3.0 feature is refused as unsupported, at
# its byte (checked against the bytes: return_call's 0x12 at 0x17, the second memory's limits
# at 0xd, i64.mul's 0x7e at 0x11); the other features and those never compiled change nothing.
printf '(module (func $f (return_call $f)))' >tail.wat
printf '(module (memory 1) (memory i64 1))' >mems.wat
printf '(module (global i64 (i64.mul (i64.const 2) (i64.const 3))))' >ext.wat
"$WAT2WASM" --enable-tail-call tail.wat -o tail.wasm || die "wat2wasm tail.wat"
"$WAT2WASM" --enable-multi-memory --enable-memory64 mems.wat -o mems.wasm || die "wat2wasm mems.wat"
"$WAT2WASM" --enable-extended-const ext.wat -o ext.wasm || die "wat2wasm ext.wat"
expect 1 "^tail.wasm:0x17: error: unsupported feature: tail-call (return_call): disabled by --disable-tail-call (in function 0)$" \
    "$KILN" tail.wasm -o tail.o --disable-tail-call
[ ! -e tail.o ] || fail "a refused module left tail.o"
expect 1 "^mems.wasm:0xd: error: unsupported feature: multi-memory (a second memory): disabled by --disable-multi-memory$" \
    "$KILN" mems.wasm -o mems.o --disable-multi-memory
expect 1 "^mems.wasm:0xd: error: unsupported feature: memory64 (a 64-bit memory): disabled by --disable-memory64$" \
    "$KILN" mems.wasm -o mems.o --disable-memory64
expect 1 "^ext.wasm:0x11: error: unsupported feature: extended-const (i64.mul): disabled by --disable-extended-const$" \
    "$KILN" ext.wasm -o ext.o --disable-extended-const
expect 1 "^tail.wat:1:19: error: unsupported feature: tail-call (return_call)" \
    "$KILN" tail.wat -o tail.o --disable-tail-call
printf '(module\n  (memory 1)\n  (memory 20 (pagesize 1)))' >pages.wat
expect 1 "^pages.wat:3:4: error: unsupported feature: custom-page-sizes (a memory of 1-byte pages): disabled by --disable-custom-page-sizes$" \
    "$KILN" pages.wat -o pages.o --disable-custom-page-sizes
printf '(module (type $t (func))\n  (func $f (type $t) (call_ref $t (ref.func $f)))\n  (elem declare func $f))' >fref.wat
expect 1 "^fref.wat:2:23: error: unsupported feature: function-references (call_ref): disabled by --disable-function-references (in function 0)$" \
    "$KILN" fref.wat -o fref.o --disable-function-references
printf '(module (func (local (ref extern))))' >flocal.wat
expect 1 "^flocal.wat:0x15: error: unsupported feature: function-references ((ref extern) local): disabled by --disable-function-references (in function 0)$" \
    "$KILN" flocal.wat -o flocal.o --disable-function-references
expect 0 "" "$KILN" fref.wat -o fref.o --disable-tail-call
# Exceptions: --disable-exceptions refuses a tag and the legacy instructions; bare metal has
# no unwinder for them (32-bit ARM Linux has the EHABI's).
printf '(module (tag $e) (func (throw $e)))' >tag.wat
printf '(module (func (try (do) (catch_all))))' >legacy.wat
expect 1 "^tag.wat:1:10: error: unsupported feature: exceptions (tag section): disabled by --disable-exceptions$" \
    "$KILN" tag.wat -o tag.o --disable-exceptions
expect 0 "" "$KILN" tag.wat -o tag.o
expect 0 "" "$KILN" legacy.wat -o legacy.o
expect 1 "^legacy.wat:1:16: error: unsupported feature: exceptions (try): disabled by --disable-exceptions (in function 0)$" \
    "$KILN" legacy.wat -o legacy.o --disable-exceptions
expect 0 "" "$KILN" legacy.wat -o legacy.o --target armv7-linux-gnueabihf
# GC's abstract heap types compile (null is their only value); --disable-gc refuses them.
printf '(module (func (result anyref) (ref.null none)))' >anyref.wat
expect 0 "" "$KILN" anyref.wat -o anyref.o
expect 1 "^anyref.wat:1:31: error: unsupported feature: gc (anyref in a function type): disabled by --disable-gc$" \
    "$KILN" anyref.wat -o anyref.o --disable-gc
expect 0 "" "$KILN" tag.wat -o tag.o --target armv7-linux-gnueabihf
expect 1 "^tag.wat:0x15: error: unsupported feature: exceptions (not on target thumbv7m-unknown-none-eabi)$" \
    "$KILN" tag.wat -o tag.o --target thumbv7m-none-eabi
expect 0 "" "$KILN" tail.wasm -o tail.o --disable-memory64 --disable-relaxed-simd --disable-gc
expect 0 "" "$KILN" mems.wasm -o mems.o --disable-tail-call --disable-extended-const
expect 2 "unknown feature in '--disable-bogus'" "$KILN" tail.wasm --disable-bogus
expect 1 "^missing.wasm: error: cannot open file: No such file or directory$" "$KILN" missing.wasm
expect 1 "^mod.wasm: error: unknown target: " "$KILN" mod.wasm --target nosuch-arch-linux

# Successful compilations are silent and write what was asked for.
expect 0 "" "$KILN" mod.wasm
[ -s mod.o ] || fail "default output mod.o missing"
expect 0 "" "$KILN" mod.wasm --emit asm
grep -q "kiln_text" mod.s || fail "mod.s has no kiln_text section"
expect 0 "" "$KILN" mod.wasm --emit llvm -o - -O0
stdout_has "define internal tailcc i32 @mod_f0" || fail "-o - --emit llvm printed no IR"
expect 0 "" "$KILN" mod.wasm -o a.o --header a.h --prefix my_mod
grep -q "extern const kiln_module my_mod_module;" a.h || fail "a.h lacks my_mod_module"
grep -q "static inline kiln_trap my_mod_get_x(kiln_instance \*inst, int32_t \*r0)" a.h ||
    fail "a.h lacks the mangled wrapper my_mod_get_x"
# --bounds-checks: an explicit check before the load, the out-of-bounds trap block, and the
# descriptor flag KILN_MODULE_BOUNDS_CHECKED (1, in the i32 after the ABI version); 32-bit
# targets get the checks without asking; the default has neither. Interruption checks are on
# by default (KILN_MODULE_INTERRUPT_CHECKS, 2) and off with --no-interrupt-checks.
expect 0 "" "$KILN" mod.wasm --emit llvm -o - --bounds-checks
stdout_has "trap.memory_oob" || fail "--bounds-checks: no trap.memory_oob block"
stdout_has "@mod_module = .*{ i32 9, i32 3," || fail "--bounds-checks: descriptor flags not 3"
expect 0 "" "$KILN" mod.wasm --emit llvm -o -
stdout_has "trap.memory_oob" && fail "guard pages: unexpected trap.memory_oob block"
stdout_has "@mod_module = .*{ i32 9, i32 2," || fail "guard pages: descriptor flags not 2"
expect 0 "" "$KILN" mod.wasm --emit llvm -o - --no-interrupt-checks
stdout_has "@mod_module = .*{ i32 9, i32 0," || fail "--no-interrupt-checks: descriptor flags not 0"
expect 0 "" "$KILN" mod.wasm --emit llvm -o - -O0 --target armv7-linux-gnueabihf
stdout_has "llvm.uadd.with.overflow.i32" || fail "armv7: no overflow-checked bounds check"
expect 0 "" "$KILN" mod.wasm --target thumbv7m-none-eabi --bounds-checks -o mod-thumbv7m.o
for t in aarch64-linux-gnu riscv64-linux-gnu armv7-linux-gnueabihf; do
    expect 0 "" "$KILN" mod.wasm --target $t --cpu generic -o "mod-$t.o"
done
# --cpu native is this machine's CPU: refused for another architecture, no file left.
other=riscv64-linux-gnu
[ "$(uname -m)" = riscv64 ] && other=aarch64-linux-gnu
expect 1 "error: --cpu native names this machine's CPU ($(uname -m)), not one for" \
    "$KILN" mod.wasm --target $other --cpu native -o native-cross.o
[ ! -e native-cross.o ] || fail "--cpu native for $other left native-cross.o behind"

# Byte-identical output: same input and flags, from another directory and file path.
cp mod.wasm sub/mod.wasm
expect 0 "" "$KILN" mod.wasm -o b.o --header b.h --prefix my_mod
expect 0 "" "$KILN" sub/mod.wasm -o sub/c.o --header sub/c.h --prefix my_mod
cmp -s a.o b.o || fail "two compilations of mod.wasm differ"
cmp -s a.o sub/c.o || fail "the object depends on the input's directory"
cmp -s a.h b.h && cmp -s a.h sub/c.h || fail "the headers differ"
ls ./*.tmp sub/*.tmp >/dev/null 2>&1 && fail "temporary files left behind"

# RISC-V without Zfa rounds through an integer conversion that returns a signalling NaN
# unchanged: floor/ceil/trunc/nearest must add x + x on the NaN path (scalar and vector);
# x86-64 must keep its plain rounding.
cat >round.wat <<'WAT'
(module
  (func (export "s") (param f32) (result f32) (f32.floor (local.get 0)))
  (func (export "d") (param f64) (result f64) (f64.nearest (local.get 0)))
  (func (export "v") (param v128) (result v128) (f32x4.ceil (local.get 0))))
WAT
"$WAT2WASM" round.wat -o round.wasm || fail "wat2wasm round.wat"
expect 0 "" "$KILN" round.wasm --target riscv64-linux-gnu --emit asm -o round-rv.s
n=$(grep -c 'fadd' round-rv.s)
[ "$n" -ge 3 ] || fail "riscv64 rounding: $n fadd instructions quieting NaNs, want >= 3"
expect 0 "" "$KILN" round.wasm --target x86_64-linux-gnu --emit asm -o round-x86.s
grep -q 'addps\|addss\|addsd' round-x86.s && fail "x86-64 rounding quiets NaNs by hand"

# f64 min/max on 32-bit ARM: llc-19 cannot select its own expansion of llvm.minimum.f64
# there (it aborted the process), so Kiln lowers them by hand on 32-bit targets.
cat >minmax.wat <<'WAT'
(module
  (func (export "min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
  (func (export "max") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1))))
WAT
"$WAT2WASM" minmax.wat -o minmax.wasm || fail "wat2wasm minmax.wat"
expect 0 "" "$KILN" minmax.wasm --target armv7a-linux-gnueabihf -O2 -o minmax-arm.o
expect 0 "" "$KILN" minmax.wasm --target armv7a-linux-gnueabihf -O0 -o minmax-arm0.o

# Outputs that are not regular files are written in place, never replaced by a rename:
# /dev/null stays the device (a root user's rename would have replaced it), a FIFO gets the
# object, and a directory is an error naming it.
expect 0 "" "$KILN" mod.wasm -o /dev/null --header /dev/null
[ -c /dev/null ] || fail "kiln compile -o /dev/null replaced /dev/null"
mkfifo out.fifo || fail "mkfifo"
timeout 60 cat out.fifo >fifo.o &
expect 0 "" "$KILN" mod.wasm -o out.fifo
wait
expect 0 "" "$KILN" mod.wasm -o plain.o
cmp -s fifo.o plain.o || fail "the object written to a FIFO differs from the file's"
mkdir -p outdir
expect 1 "^mod.wasm: error: cannot write outdir: Is a directory$" "$KILN" mod.wasm -o outdir


# Module text compiles as itself: the same object and header as wat2wasm's bytes (module text
# is told apart by content, so a binary named .wat and text named .wasm work too), and
# malformed text is reported at line:column with nothing left behind.
mkdir -p text bin
cp mod.wat text/m.wat
cp mod.wasm bin/m.wat
expect 0 "" "$KILN" text/m.wat -o text/m.o --header text/m.h
expect 0 "" "$KILN" bin/m.wat -o bin/m.o --header bin/m.h
cmp -s text/m.o bin/m.o || fail "module text compiles to another object than its binary"
cmp -s text/m.h bin/m.h || fail "module text gives another header than its binary"
printf '(module\n  (func (result i32)\n    (i32.const 1) (i32.bogus)))\n' >badtext.wasm
expect 1 "^badtext.wasm:3:20: error: unknown operator i32.bogus$" "$KILN" badtext.wasm -o badtext.o
[ ! -e badtext.o ] || fail "malformed text left an object behind"

finish
