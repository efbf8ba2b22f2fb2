;; trap_div.wat -- a WASI command that traps four calls deep: _start -> main -> compute
;; (twice, recursive) -> div, dividing by a global that is 0 (backtraces, test_backtrace.sh).
(module
  (memory (export "memory") 1)
  (global $zero (mut i32) (i32.const 0))
  (func $div (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  (func $compute (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $div (i32.const 7) (global.get $zero)))
      (else (i32.add (call $compute (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func $main
    (drop (call $compute (i32.const 1))))
  (func $_start (export "_start")
    (call $main)))
