;; sealed.wat -- sealed imports (docs/abi.md "Sealed imports"), for sealed_e2e.c: compiled by
;; `kiln compile --sealed-imports bench,typed` with prefix sealed, so every function import of
;; "bench" and "typed" calls a C function sealed_import_MODULE_NAME of sealed_e2e.c directly,
;; while "dyn" "add1" and the tag stay bound at instantiation. "typed" "many" has more
;; parameters than any target passes in registers (the spill area of riscv64 and armv7, the
;; stack elsewhere); "typed" "fail" returns what its argument asks for (sealed_e2e.c).
(module
  (import "host" "tag" (tag $ht (param i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end (result i64)))
  (import "typed" "mix" (func $mix (param i32 i64 f32 f64) (result f64 i64 i32)))
  (import "typed" "v" (func $v (param v128 i32) (result v128)))
  (import "typed" "refs" (func $refs (param externref funcref) (result externref)))
  (import "typed" "fail" (func $fail (param i32) (result i32)))
  (import "typed" "many"
    (func $many (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i64 i64
                       f64 f64 f64 f64 f64 f64 f64 f64 f64 f32) (result i64)))
  (import "dyn" "add1" (func $add1 (param i32) (result i32)))
  (type $mix_t (func (param i32 i64 f32 f64) (result f64 i64 i32)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $mix $start)
  (memory (export "memory") 1)

  (func (export "bench") (result i64)
    (call $start)
    (call $end))
  (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "mix_indirect") (param i32 i64 f32 f64) (result f64 i64 i32)
    (call_indirect $t (type $mix_t)
      (local.get 0) (local.get 1) (local.get 2) (local.get 3) (i32.const 0)))
  (func (export "mix_tail") (param i32 i64 f32 f64) (result f64 i64 i32)
    (return_call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "mix_ref") (result funcref)
    (ref.func $mix))
  (func (export "v") (param v128 i32) (result v128)
    (call $v (local.get 0) (local.get 1)))
  (func (export "refs") (param externref funcref) (result externref)
    (call $refs (local.get 0) (local.get 1)))
  ;; fail's result plus one, after storing 1 at address 0 (kept when fail traps).
  (func (export "fail") (param i32) (result i32)
    (i32.store (i32.const 0) (i32.const 1))
    (i32.add (call $fail (local.get 0)) (i32.const 1)))
  ;; fail inside a try_table catching the host tag: 1000 + the tag's value when caught.
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $ht $h)
        (return (call $fail (local.get 0))))
      (unreachable))
    (i32.const 1000)
    (i32.add))
  (func (export "many") (result i64)
    (call $many (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5)
                (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 9) (i32.const -10)
                (i64.const 11) (i64.const 12)
                (f64.const 13) (f64.const 14) (f64.const 15) (f64.const 16) (f64.const 17)
                (f64.const 18) (f64.const 19) (f64.const 20) (f64.const 21) (f32.const 22)))
  (func (export "add1") (param i32) (result i32)
    (call $add1 (local.get 0))))
