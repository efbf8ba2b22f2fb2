;; dead_loads.wast -- loads whose value is never used must still trap when out of bounds.
;; With guard pages the trap is the MMU's fault on the access itself, and LLVM deletes loads
;; whose value is unused -- dropped, left on the stack by a branch, return or unreachable (as
;; binaryen writes code), or found unneeded by the optimiser (x - x, x * 0, an if whose arms
;; are empty, a store that a later one overwrites). Every load of Wasm memory is anchored by
;; lowering and settled after the pipeline (toolchain/lower.c lower_load, toolchain/emit.c
;; keep_loads; docs/abi.md). Each function is called in bounds (a result) and out of bounds (a
;; trap). Run by ctest wast.dead_loads at -O0 and -O2, and with --bounds-checks.
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

;; Loads that the optimiser finds unneeded.
(module
  (memory 1)
  (data (i32.const 16) "\2a\00\00\00\07\00\00\00")

  ;; x - x of one load is 0 whatever x is.
  (func (export "self_sub") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.load (local.get 0)))
    (i32.sub (local.get 1) (local.get 1)))

  ;; x * 0 and x & 0.
  (func (export "times_zero") (param i32) (result i64)
    (i64.add (i64.mul (i64.load (local.get 0)) (i64.const 0))
             (i64.and (i64.load offset=8 (local.get 0)) (i64.const 0))))

  ;; The load only decides an if whose arms do nothing.
  (func (export "empty_if") (param i32) (result i32)
    (if (i32.load8_u (local.get 0)) (then) (else))
    (i32.const 9))

  ;; A select of two equal values.
  (func (export "same_select") (param i32) (result i32)
    (select (i32.const 10) (i32.const 10) (i32.load16_u (local.get 0))))

  ;; The loaded value is stored, and the store is overwritten before anything reads it.
  (func (export "overwritten") (param i32) (result i32)
    (i32.store (i32.const 32) (i32.load (local.get 0)))
    (i32.store (i32.const 32) (i32.const 11))
    (i32.load (i32.const 32)))

  ;; Loaded in a loop into a local that nothing reads afterwards (a dead cycle of phis).
  (func (export "loop_dead") (param i32 i32) (result i32)
    (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 1)))
        (local.set 2 (i32.add (local.get 2) (i32.load (local.get 0))))
        (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
        (br $l)))
    (i32.const 12))

  ;; A loop whose only effects are a global counter and a dropped load: LLVM would replace it
  ;; by the counter's final value and delete it, load and all.
  (global $budget (mut i32) (i32.const 0))
  (func (export "counted") (param i32 i32) (result i32)
    (global.set $budget (local.get 1))
    (loop $l
      (if (i32.eqz (global.get $budget)) (then (return (i32.const 16))))
      (global.set $budget (i32.sub (global.get $budget) (i32.const 1)))
      (drop (i32.load16_u offset=4 (local.get 0)))
      (br $l))
    (i32.const 0))

  ;; A load of the same address ten times in a loop, whose last value only one branch uses:
  ;; the optimiser hoists it before the loop and keeps it, and x86's code generator would
  ;; move it into that branch (as the operand of a cmov turned into a jump).
  (func (export "select_after_loop") (param i32 i32) (result i32)
    (local i32 i32)
    (loop $l
      (local.set 2 (i32.load (local.get 0)))
      (local.set 3 (i32.add (local.get 3) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 3) (i32.const 10))))
    (if (result i32) (local.get 1) (then (local.get 2)) (else (i32.const 17))))

  ;; A vector load whose lanes are all replaced.
  (func (export "lanes_replaced") (param i32) (result i32)
    (i32x4.extract_lane 0
      (i32x4.replace_lane 0 (v128.load (local.get 0)) (i32.const 13))))

  ;; A comparison whose outcome is known: an unsigned value is never below 0.
  (func (export "known_compare") (param i32) (result i32)
    (i32.lt_u (i32.load (local.get 0)) (i32.const 0)))
)

(assert_return (invoke "self_sub" (i32.const 16)) (i32.const 0))
(assert_trap (invoke "self_sub" (i32.const 65533)) "out of bounds memory access")
(assert_trap (invoke "self_sub" (i32.const -1)) "out of bounds memory access")
(assert_return (invoke "times_zero" (i32.const 16)) (i64.const 0))
(assert_trap (invoke "times_zero" (i32.const 65524)) "out of bounds memory access")
(assert_trap (invoke "times_zero" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "empty_if" (i32.const 65535)) (i32.const 9))
(assert_trap (invoke "empty_if" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "same_select" (i32.const 16)) (i32.const 10))
(assert_trap (invoke "same_select" (i32.const 65535)) "out of bounds memory access")
(assert_return (invoke "overwritten" (i32.const 16)) (i32.const 11))
(assert_trap (invoke "overwritten" (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke "loop_dead" (i32.const 16) (i32.const 3)) (i32.const 12))
(assert_return (invoke "loop_dead" (i32.const 65536) (i32.const 0)) (i32.const 12))
(assert_trap (invoke "loop_dead" (i32.const 65536) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke "counted" (i32.const 16) (i32.const 5)) (i32.const 16))
(assert_return (invoke "counted" (i32.const -1) (i32.const 0)) (i32.const 16))
(assert_trap (invoke "counted" (i32.const -1) (i32.const 5)) "out of bounds memory access")
(assert_trap (invoke "counted" (i32.const 65532) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "select_after_loop" (i32.const 16) (i32.const 1)) (i32.const 42))
(assert_return (invoke "select_after_loop" (i32.const 16) (i32.const 0)) (i32.const 17))
(assert_trap (invoke "select_after_loop" (i32.const 65534) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "lanes_replaced" (i32.const 16)) (i32.const 13))
(assert_trap (invoke "lanes_replaced" (i32.const 65521)) "out of bounds memory access")
(assert_return (invoke "known_compare" (i32.const 16)) (i32.const 0))
(assert_trap (invoke "known_compare" (i32.const 65533)) "out of bounds memory access")

;; A memory of 0 pages: every access traps, a splat whose value only decides an empty if too.
(module
  (memory 0)
  (func (export "splat_if") (result i32)
    (if (i32x4.extract_lane 1 (v128.load32_splat (i32.const 0))) (then))
    (i32.const 14))
  (func (export "narrow") (param i32) (result i32)
    (drop (i64.load32_s offset=0 (local.get 0)))
    (i32.const 15))
)

(assert_trap (invoke "splat_if") "out of bounds memory access")
(assert_trap (invoke "narrow" (i32.const 0)) "out of bounds memory access")

;; Accesses whose value is only partly used: code generation would read (and write back) only
;; the bytes that matter, but an access that crosses the end of memory traps as a whole.
(module
  (memory 1)
  (func (export "wrap") (param i32) (result i32)
    (i32.wrap_i64 (i64.load (local.get 0))))
  (func (export "lane0") (param i32) (result i32)
    (i32x4.extract_lane 0 (v128.load (local.get 0))))
  (func (export "low8") (param i32) (result i32)
    (i32.and (i32.load (local.get 0)) (i32.const 255)))
  (func (export "or1") (param i32)
    (i32.store (local.get 0) (i32.or (i32.load (local.get 0)) (i32.const 1))))
  (func (export "and_hi") (param i32)
    (i64.store (local.get 0) (i64.and (i64.load (local.get 0)) (i64.const 0xffffffffffffff00))))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
)

(assert_return (invoke "wrap" (i32.const 65528)) (i32.const 0))
(assert_trap (invoke "wrap" (i32.const 65532)) "out of bounds memory access")
(assert_return (invoke "lane0" (i32.const 65520)) (i32.const 0))
(assert_trap (invoke "lane0" (i32.const 65532)) "out of bounds memory access")
(assert_trap (invoke "low8" (i32.const 65535)) "out of bounds memory access")
(assert_trap (invoke "or1" (i32.const 65534)) "out of bounds memory access")
(assert_return (invoke "peek" (i32.const 65534)) (i32.const 0))
(assert_return (invoke "or1" (i32.const 65532)))
(assert_return (invoke "peek" (i32.const 65532)) (i32.const 1))
(assert_trap (invoke "and_hi" (i32.const 65532)) "out of bounds memory access")
(assert_return (invoke "peek" (i32.const 65532)) (i32.const 1))
