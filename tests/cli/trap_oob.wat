;; trap_oob.wat -- a WASI command whose load three calls deep faults on a guard page:
;; _start -> outer -> inner -> peek (backtraces from the fault handler, test_backtrace.sh).
(module
  (memory (export "memory") 1)
  (global $far (mut i32) (i32.const -16))
  (func $peek (param $at i32) (result i32)
    (i32.load (local.get $at)))
  (func $inner (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $peek (global.get $far)))
      (else (i32.add (call $inner (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func $outer
    (drop (call $inner (i32.const 1))))
  (func $_start (export "_start")
    (call $outer)))
