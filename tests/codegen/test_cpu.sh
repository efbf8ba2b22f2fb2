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
# kiln build checks the same way (it compiles through the same entry point).
expect 1 "error: --cpu 'bogus' cannot be used" "$KILN" build m.wasm --cpu bogus -o m.exe
[ ! -e m.exe ] || fail "kiln build --cpu bogus left m.exe behind"

finish
