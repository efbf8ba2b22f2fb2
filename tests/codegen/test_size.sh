#!/bin/sh
# test_size.sh -- -Os and -Oz (kiln compile, build, run; toolchain/emit.c): every defined
# function gets optsize (and minsize at -Oz), the pipeline is default<Os>/<Oz>, the code is
# smaller than at -O2 and computes the same; -Os/-Oz are refused with another -O by the
# library (a size level is an -O2 variant). Usage: test_size.sh KILN WORKDIR WAT2WASM
# (exit 77 = skipped: no wat2wasm)
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$(abspath "$1") WAT2WASM=${3:-}
need_program "$WAT2WASM" wat2wasm
enter_work "$2"
# Loops that -O2 unrolls and vectorises, and a _start that prints through WASI.
cat >s.wat <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $sum (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (i32.load (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func $fill (param $n i32) (local $i i32)
    (loop $l
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.xor (local.get $i) (i32.const 0x5a)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  (func (export "_start")
    (call $fill (i32.const 1000))
    ;; "ok\n" if the sum is right, "no\n" otherwise
    (i32.store (i32.const 8192) (select (i32.const 0x0a6b6f) (i32.const 0x0a6f6e)
      (i32.eq (call $sum (i32.const 1000)) (i32.const 332320428))))
    (i32.store (i32.const 8200) (i32.const 8192))
    (i32.store (i32.const 8204) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 8200) (i32.const 1) (i32.const 8208)))))
WAT
"$WAT2WASM" s.wat -o s.wasm || die "wat2wasm s.wat"
text_of() { # bytes of generated code in object $1
    size -A "$1" | awk '$1 == "kiln_text" { print $2 }'
}
"$KILN" compile s.wasm -O2 -o o2.o || die "kiln compile -O2"
for level in s z; do
    "$KILN" compile s.wasm -O$level -o o$level.o || die "kiln compile -O$level"
    big=$(text_of o2.o) small=$(text_of o$level.o)
    if [ -n "$small" ] && [ -n "$big" ] && [ "$small" -lt "$big" ]; then
        pass "-O$level: $small bytes of code, -O2: $big"
    else
        fail "-O$level: '$small' bytes of code, not fewer than -O2's '$big'"
    fi
    "$KILN" compile s.wasm -O$level --emit llvm -o o$level.ll || die "kiln compile -O$level --emit llvm"
    want=optsize
    [ $level = z ] && want=minsize
    if grep -q "^attributes #.*$want" o$level.ll; then
        pass "-O$level: functions have $want"
    else
        fail "-O$level: no $want attribute in the IR"
    fi
    want_stdout <<'OUT'
ok
OUT
    XDG_CACHE_HOME=$PWD/cache check "kiln run -O$level" 0 "$KILN" run -O$level s.wasm
done
# A wrong answer prints "no": the same program at -O2 must print "ok" too (the check can fail).
want_stdout <<'OUT'
ok
OUT
XDG_CACHE_HOME=$PWD/cache check "kiln run -O2" 0 "$KILN" run -O2 s.wasm
"$KILN" compile s.wasm -O2 --emit llvm -o o2.ll || die "kiln compile -O2 --emit llvm"
if grep -q "minsize\|optsize" o2.ll; then
    fail "-O2: size attributes in the IR"
else
    pass "-O2: no size attributes"
fi
# The last -O wins, as in clang: -Oz -O3 is -O3.
"$KILN" compile s.wasm -Oz -O3 --emit llvm -o last.ll || die "kiln compile -Oz -O3"
if grep -q "minsize" last.ll; then fail "-Oz -O3 kept minsize"; else pass "-Oz -O3 is -O3"; fi
finish
