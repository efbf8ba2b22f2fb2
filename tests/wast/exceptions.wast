;; exceptions.wast -- Wasm 3.0 exception handling as Kiln compiles it (abi.h, "Exceptions"):
;; throw and try_table with every kind of catch clause, payloads of every value type, exnref
;; re-thrown with throw_ref, handlers in callers several frames up (through direct, indirect
;; and typed calls), tags shared between instances, exceptions that reach the host, and 10^6
;; caught exceptions in a loop (their memory is reused, not leaked).

(module $M
  (type $i2i (func (param i32) (result i32)))
  (tag $e0 (export "e0"))
  (tag $e1 (export "e1") (param i32))
  (tag $many (param i32 i64 f32 f64 v128 funcref externref))
  (table $t 1 funcref)
  (elem (table $t) (i32.const 0) func $throw1)
  (elem declare func $throw1)

  (func $throw1 (type $i2i) (throw $e1 (local.get 0)))
  (func $deep (param i32 i32) (result i32)
    ;; recurse n levels, then throw $e1 v from the innermost frame
    (if (result i32) (i32.eqz (local.get 0))
      (then (call $throw1 (local.get 1)))
      (else (i32.add (i32.const 1000)
        (call $deep (i32.sub (local.get 0) (i32.const 1)) (local.get 1))))))

  ;; catch: the payload reaches the label
  (func (export "catch_direct") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e1 $h) (drop (call $throw1 (local.get 0))))
      (i32.const -1)))
  (func (export "catch_deep") (param i32 i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e1 $h) (call $deep (local.get 0) (local.get 1)))))
  (func (export "catch_indirect") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e1 $h)
        (drop (call_indirect $t (type $i2i) (local.get 0) (i32.const 0))))
      (i32.const -1)))
  (func (export "catch_ref_call") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e1 $h)
        (drop (call_ref $i2i (local.get 0) (ref.func $throw1))))
      (i32.const -1)))

  ;; clauses are tried in order; a clause that does not match lets the next one try
  (func (export "order") (param i32) (result i32)
    (block $all
      (block $one (result i32)
        (try_table (catch $e0 $all) (catch $e1 $one) (catch_all $all)
          (if (i32.eq (local.get 0) (i32.const 0)) (then (throw $e0)))
          (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $e1 (i32.const 11))))
          (throw $many (i32.const 0) (i64.const 0) (f32.const 0) (f64.const 0)
            (v128.const i64x2 0 0) (ref.null func) (ref.null extern)))
        (unreachable))
      (return))
    (i32.const -2))

  ;; every value type in a payload
  (func (export "many") (param i32 i64 f32 f64 externref)
        (result i32 i64 f32 f64 i64 i64 i32 externref)
    (local $a i32) (local $b i64) (local $c f32) (local $d f64)
    (local $v v128) (local $f funcref) (local $x externref)
    (block $h (result i32 i64 f32 f64 v128 funcref externref)
      (try_table (catch $many $h)
        (throw $many (local.get 0) (local.get 1) (local.get 2) (local.get 3)
          (v128.const i64x2 0x0102030405060708 -7) (ref.func $throw1) (local.get 4)))
      (unreachable))
    (local.set $x) (local.set $f) (local.set $v)
    (local.set $d) (local.set $c) (local.set $b) (local.set $a)
    (local.get $a) (local.get $b) (local.get $c) (local.get $d)
    (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v))
    (i32.eqz (ref.is_null (local.get $f)))
    (local.get $x))

  ;; catch_ref keeps the exception as an exnref; throw_ref raises it again
  (func (export "rethrow") (param i32) (result i32)
    (block $outer (result i32)
      (try_table (catch $e1 $outer)
        (block $h (result i32 exnref)
          (try_table (catch_ref $e1 $h) (drop (call $throw1 (local.get 0))))
          (unreachable))
        (throw_ref)) ;; drops nothing: the i32 stays below the exnref
      (unreachable)))
  (func (export "catch_all_ref") (result i32)
    (block $outer (result i32)
      (try_table (catch $e1 $outer)
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (throw $e1 (i32.const 77)))
          (unreachable))
        (throw_ref))
      (unreachable)))
  (func (export "throw_null") (throw_ref (ref.null exn)))

  ;; an exception no handler takes reaches the host
  (func (export "uncaught") (param i32) (result i32) (call $throw1 (local.get 0)))
  ;; a try_table that catches another tag does not stop it
  (func (export "other_tag") (result i32)
    (block $h
      (try_table (catch $e0 $h) (drop (call $throw1 (i32.const 5)))))
    (i32.const 0))

  ;; 10^6 exceptions thrown and caught: each is freed when its catch has its values
  (func (export "loop") (param i32) (result i32)
    (local $sum i32)
    (loop $l
      (block $h (result i32)
        (try_table (catch $e1 $h) (drop (call $throw1 (local.get 0))))
        (i32.const 0))
      (local.set $sum (i32.add (local.get $sum)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get $sum))
)
(register "M" $M)

(assert_return (invoke "catch_direct" (i32.const 7)) (i32.const 7))
(assert_return (invoke "catch_deep" (i32.const 0) (i32.const 3)) (i32.const 3))
(assert_return (invoke "catch_deep" (i32.const 100) (i32.const 3)) (i32.const 3))
(assert_return (invoke "catch_indirect" (i32.const 8)) (i32.const 8))
(assert_return (invoke "catch_ref_call" (i32.const 9)) (i32.const 9))
(assert_return (invoke "order" (i32.const 0)) (i32.const -2))
(assert_return (invoke "order" (i32.const 1)) (i32.const 11))
(assert_return (invoke "order" (i32.const 2)) (i32.const -2))
(assert_return (invoke "many" (i32.const 1) (i64.const 2) (f32.const 3.5) (f64.const 4.25)
                           (ref.extern 5))
  (i32.const 1) (i64.const 2) (f32.const 3.5) (f64.const 4.25)
  (i64.const 0x0102030405060708) (i64.const -7) (i32.const 1) (ref.extern 5))
(assert_return (invoke "rethrow" (i32.const 13)) (i32.const 13))
(assert_return (invoke "catch_all_ref") (i32.const 77))
(assert_trap (invoke "throw_null") "null exception reference")
(assert_exception (invoke "uncaught" (i32.const 1)))
(assert_exception (invoke "other_tag"))
(assert_return (invoke "loop" (i32.const 1000000)) (i32.const 1784293664))

;; Tags are shared by import: an instance catches what another throws with the same tag,
;; and not with its own tag of the same type.
(module $N
  (tag $e1 (import "M" "e1") (param i32))
  (func $throw1 (import "M" "uncaught") (param i32) (result i32))
  (tag $mine (param i32))
  (func (export "catch_imported") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e1 $h) (call $throw1 (local.get 0)))))
  (func (export "catch_mine") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $mine $h) (call $throw1 (local.get 0)))))
)
(assert_return (invoke "catch_imported" (i32.const 21)) (i32.const 21))
(assert_exception (invoke "catch_mine" (i32.const 21)))
(assert_unlinkable
  (module (tag (import "M" "e1") (param i64)))
  "incompatible import type")
