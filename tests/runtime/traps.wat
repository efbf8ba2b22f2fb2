;; traps.wat -- the module tests/runtime/trap_loop.c traps in a loop.
(module
  (memory 1 1)
  (func (export "store") (param $addr i32) (param $v i32)
    (i32.store (local.get $addr) (local.get $v)))
  (func (export "load") (param $addr i32) (result i32)
    (i32.load (local.get $addr)))
  (func (export "div") (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  ;; Recurses n times; with n large enough it exhausts any stack.
  (func $down (export "down") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 0))
      (else (i64.add (i64.const 1) (call $down (i64.sub (local.get $n) (i64.const 1)))))))
)
