;; backtrace.wat -- traps several calls deep, for tests/runtime/backtrace_test.c (compiled
;; from wat2wasm --debug-names output, so the name section names every function).
;; Function indices: 0 fail (import), 1 div, 2 compute, 3 main, 4 peek, 5 callhost, 6 down,
;; 7 run_div, 8 run_oob, 9 run_host, 10 run_deep, 11 div_now.
(module
  (import "env" "fail" (func $fail))
  (memory 1 1)
  (global $zero (mut i32) (i32.const 0))
  (global $far (mut i32) (i32.const -16))
  (func $div (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  ;; compute(n): n nested calls of itself, then div(7, 0) or, with $oob, peek(far).
  (func $compute (param $n i32) (param $oob i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then
        (if (result i32) (local.get $oob)
          (then (call $peek (global.get $far)))
          (else (call $div (i32.const 7) (global.get $zero)))))
      (else
        (i32.add (call $compute (i32.sub (local.get $n) (i32.const 1)) (local.get $oob))
                 (i32.const 1)))))
  (func $main (param $oob i32) (result i32)
    (call $compute (i32.const 2) (local.get $oob)))
  (func $peek (param $at i32) (result i32)
    (i32.load (local.get $at)))
  (func $callhost
    (call $fail))
  ;; Recurses n times, then divides by zero: more frames than a backtrace keeps.
  (func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $div (i32.const 1) (global.get $zero)))
      (else (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func $run_div (export "run_div") (result i32)
    (call $main (i32.const 0)))
  (func $run_oob (export "run_oob") (result i32)
    (call $main (i32.const 1)))
  (func $run_host (export "run_host")
    (call $callhost))
  (func $run_deep (export "run_deep") (param $n i32) (result i32)
    (call $down (local.get $n)))
  (func $div_now (export "div_now") (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
)
