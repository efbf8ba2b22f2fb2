#!/bin/sh
# test_cpu.sh -- the check of --cpu (kiln_compile, toolchain/compile.c) through the kiln
# program: a CPU name LLVM does not know, or one that cannot run the target (i386 for x86-64,
# where LLVM would abort), is an error naming the CPU and LLVM's reason, exit 1, no output
# file; known CPUs compile. Usage: test_cpu.sh KILN WORKDIR WAT2WASM   (exit 77 = skipped: no wat2wasm)
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$1 WAT2WASM=${3:-}
need_program "$WAT2WASM" wat2wasm
enter_work "$2"
echo '(module (func (export "f") (param f64) (result f64) (local.get 0)) (func (export "_start")))' >m.wat
"$WAT2WASM" m.wat -o m.wasm || die "wat2wasm m.wat"

expect 1 "^m.wasm: error: --cpu 'bogus' cannot be used for aarch64-linux-gnu: 'bogus' is not a recognized processor" \
    "$KILN" compile m.wasm --target aarch64-linux-gnu --cpu bogus -o a.o
[ ! -e a.o ] || fail "--cpu bogus left a.o behind"
expect 0 "" "$KILN" compile m.wasm --target aarch64-linux-gnu --cpu cortex-a72 -o a.o
[ -s a.o ] || fail "--cpu cortex-a72: no a.o"
expect 1 "^m.wasm: error: --cpu 'bogus' cannot be used for x86_64-linux-gnu: 'bogus' is not a recognized processor" \
    "$KILN" compile m.wasm --target x86_64-linux-gnu --cpu bogus -o x.o
expect 1 "^m.wasm: error: --cpu 'i386' cannot be used for x86_64-linux-gnu: LLVM ERROR: 64-bit code requested" \
    "$KILN" compile m.wasm --target x86_64-linux-gnu --cpu i386 -o x.o
[ ! -e x.o ] || fail "--cpu i386 left x.o behind"
[ ! -e core ] || fail "the check left a core file"
expect 0 "" "$KILN" compile m.wasm --target x86_64-linux-gnu --cpu x86-64-v3 -o x.o
[ -s x.o ] || fail "--cpu x86-64-v3: no x.o"
# The x86-64 default is the x86-64-v2 level (docs/cli.md "Choosing a CPU"): f64.floor is one
# roundsd and i32.popcnt one popcnt, where generic (SSE2) calls libm's floor; the levels are
# tuned for no CPU in particular, so a rotate stays a rol, never LLVM's shld of the level's
# own tuning.
cat >fr.wat <<'WAT'
(module
  (func (export "f") (param f64 i32) (result f64)
    (f64.add (f64.floor (local.get 0)) (f64.convert_i32_u (i32.popcnt (local.get 1)))))
  (func (export "r") (param i32 i32) (result i32)
    (i32.xor (i32.rotl (local.get 0) (i32.const 7)) (i32.rotr (local.get 1) (i32.const 13)))))
WAT
"$WAT2WASM" fr.wat -o fr.wasm || die "wat2wasm fr.wat"
asm_has() { # asm_has PATTERN [OPTIONS...]: fr.wasm's x86-64 assembly matches PATTERN
    local pattern=$1
    shift
    "$KILN" compile fr.wasm --target x86_64-linux-gnu --emit asm -o fr.s "$@" 2>fr.err ||
        die_log fr.err "kiln compile fr.wasm $*"
    grep -Eq "$pattern" fr.s
}
if asm_has 'roundsd' && asm_has 'popcntl' && ! asm_has 'floor@PLT' && ! asm_has 'shld'; then
    pass "x86-64 default: roundsd, popcnt, no libm call, no shld"
else
    fail "x86-64 default is not x86-64-v2 tuned generically: $(grep -E 'round|popcnt|floor|shld|rol|ror' fr.s | head -5)"
fi
if asm_has 'floor@PLT' --cpu generic && ! asm_has 'popcntl' --cpu generic; then
    pass "--cpu generic: SSE2 only (floor through libm, no popcnt)"
else
    fail "--cpu generic: $(grep -E 'round|popcnt|floor' fr.s | head -5)"
fi
if ! asm_has "shld" --cpu x86-64-v2 && ! asm_has 'shld' --cpu x86-64-v3; then
    pass "--cpu x86-64-v2/-v3: rotates without shld"
else
    fail "--cpu x86-64-vN: shld in $(grep -E 'shld' fr.s | head -3)"
fi

# kiln build checks the same way (it compiles through the same entry point).
expect 1 "error: --cpu 'bogus' cannot be used" "$KILN" build m.wasm --cpu bogus -o m.exe
[ ! -e m.exe ] || fail "kiln build --cpu bogus left m.exe behind"

finish
