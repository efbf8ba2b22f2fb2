;; dead_loads.wast -- loads whose value is never used must still trap when out of bounds.
;; With guard pages the trap is the MMU's fault on the access itself, and LLVM deletes loads
;; whose value is unused; toolchain/lower_control.c makes the loads a value was computed from
;; volatile when the value is dropped or left on the stack by a branch, return or unreachable
;; (as binaryen writes code). Each function is called in bounds (a result) and out of bounds
;; (a trap). Run by ctest wast.dead_loads at -O0 and -O2, and with --bounds-checks. Not here:
;; loads the optimiser finds unneeded (x - x of one load), which -O2 deletes (docs/abi.md).
(module
  (memory 1)
  (data (i32.const 16) "\2a\00\00\00\00\00\00\00")

  ;; drop
  (func (export "dropped") (param i32) (result i32)
    (drop (i64.load (local.get 0)))
    (i32.const 1))

  ;; drop of an expression computed from loads (instruction selection skips the unused
  ;; compare, and then the loads).
  (func (export "dropped_expr") (param i32) (result i32)
    (drop (f32.gt (f32.convert_i32_u (i32.add (i32.load (local.get 0)) (i32.const 1)))
                  (f32.load offset=4 (local.get 0))))
    (i32.const 8))

  ;; Left below a return inside a block, then unreachable: what binaryen writes for
  ;; (drop (f32.load ...)) followed by a block that returns.
  (func (export "ret_block") (param i32) (result f32)
    (f32.load offset=22 (local.get 0))
    (block (return (f32.const 2)))
    (unreachable))

  ;; Left below a return's value.
  (func (export "ret") (param i32) (result i32)
    (i32.load (local.get 0))
    (return (i32.const 3)))

  ;; Left below a br's value.
  (func (export "br_value") (param i32) (result i32)
    (block $b (result i32)
      (i32.load8_u (local.get 0))
      (br $b (i32.const 4))))

  ;; Left in a loop that a br leaves.
  (func (export "loop_out") (param i32) (result i32)
    (block $out
      (loop $l
        (f64.load (local.get 0))
        (br $out)))
    (i32.const 5))

  ;; Left by br_table, either target.
  (func (export "table") (param i32 i32) (result i32)
    (block $a
      (block $b
        (i32.load16_s (local.get 0))
        (br_table $a $b (local.get 1))))
    (i32.const 6))

  ;; Left in the then arm of an if, which branches out.
  (func (export "if_arm") (param i32) (result i32)
    (if (result i32) (i32.const 1)
      (then (i32.load (local.get 0)) (br 0 (i32.const 7)))
      (else (i32.const 0))))

  ;; Left before unreachable: the access comes first, so an out-of-bounds address reports
  ;; the access, an in-bounds one the unreachable.
  (func (export "then_unreachable") (param i32)
    (i64.load (local.get 0))
    (unreachable))
)

(assert_return (invoke "dropped" (i32.const 16)) (i32.const 1))
(assert_trap (invoke "dropped" (i32.const 0x40000000)) "out of bounds memory access")
(assert_trap (invoke "dropped" (i32.const 65529)) "out of bounds memory access")
(assert_return (invoke "dropped_expr" (i32.const 16)) (i32.const 8))
(assert_trap (invoke "dropped_expr" (i32.const 0x40000000)) "out of bounds memory access")
(assert_trap (invoke "dropped_expr" (i32.const 65532)) "out of bounds memory access")
(assert_return (invoke "ret_block" (i32.const 16)) (f32.const 2))
(assert_trap (invoke "ret_block" (i32.const 0x40000000)) "out of bounds memory access")
(assert_trap (invoke "ret_block" (i32.const 65511)) "out of bounds memory access")
(assert_return (invoke "ret" (i32.const 16)) (i32.const 3))
(assert_trap (invoke "ret" (i32.const 0x40000000)) "out of bounds memory access")
(assert_return (invoke "br_value" (i32.const 65535)) (i32.const 4))
(assert_trap (invoke "br_value" (i32.const 0x40000000)) "out of bounds memory access")
(assert_trap (invoke "br_value" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "loop_out" (i32.const 16)) (i32.const 5))
(assert_trap (invoke "loop_out" (i32.const 0x40000000)) "out of bounds memory access")
(assert_return (invoke "table" (i32.const 16) (i32.const 0)) (i32.const 6))
(assert_return (invoke "table" (i32.const 16) (i32.const 1)) (i32.const 6))
(assert_trap (invoke "table" (i32.const 0x40000000) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "table" (i32.const 0x40000000) (i32.const 5)) "out of bounds memory access")
(assert_return (invoke "if_arm" (i32.const 16)) (i32.const 7))
(assert_trap (invoke "if_arm" (i32.const 0x40000000)) "out of bounds memory access")
(assert_trap (invoke "then_unreachable" (i32.const 16)) "unreachable")
(assert_trap (invoke "then_unreachable" (i32.const 0x40000000)) "out of bounds memory access")
