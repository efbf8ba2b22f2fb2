;; func_refs.wast -- typed function references (Wasm 3.0): call_ref and return_call_ref
;; through globals, tables, locals and parameters; a table with an initialiser; non-nullable
;; locals; ref.as_non_null, br_on_null and br_on_non_null; a recursive (self-referencing)
;; function type, equal across modules (canonical signature ids); import matching of typed
;; globals and tables; the two null traps.

(module $M
  (type $i2i (func (param i32) (result i32)))
  ;; A type that names itself: a function taking the next function of the same type.
  (type $node (func (param (ref null $node) i32) (result i32)))
  (func $inc (export "inc") (type $i2i) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $i2i) (i32.mul (local.get 0) (i32.const 2)))
  (global $g (export "g") (ref $i2i) (ref.func $inc))
  ;; Every element starts as $dbl: no null in a (ref $i2i) table.
  (table $t (export "t") 2 (ref $i2i) (ref.func $dbl))
  (table $ft (export "ft") 1 funcref)
  (elem (table $ft) (i32.const 0) func $walk)
  (elem declare func $count)

  (func (export "via_global") (param i32) (result i32)
    (call_ref $i2i (local.get 0) (global.get $g)))
  (func (export "via_table") (param i32 i32) (result i32)
    (call_ref $i2i (local.get 0) (table.get $t (local.get 1))))
  (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $inc)))
  (func (export "grow") (result i32) (table.grow $t (ref.func $inc) (i32.const 3)))
  (func (export "size") (result i32) (table.size $t))

  ;; A non-nullable local: valid to read only after it is set.
  (func (export "local") (param i32) (result i32)
    (local $f (ref $i2i))
    (local.set $f (ref.func $dbl))
    (call_ref $i2i (local.get 0) (local.get $f)))

  (func $pick (param i32) (result (ref null $i2i))
    (select (result (ref null $i2i)) (ref.func $inc) (ref.null $i2i) (local.get 0)))
  (func (export "as_non_null") (param i32) (result i32)
    (call_ref $i2i (i32.const 5) (ref.as_non_null (call $pick (local.get 0)))))
  (func (export "null_call") (result i32)
    (call_ref $i2i (i32.const 1) (ref.null $i2i)))
  (func (export "on_null") (param i32) (result i32)
    (block $null
      (return (call_ref $i2i (i32.const 10) (br_on_null $null (call $pick (local.get 0))))))
    (i32.const -1))
  (func (export "on_non_null") (param i32) (result i32)
    (call_ref $i2i (i32.const 20)
      (block $some (result (ref $i2i))
        (br_on_non_null $some (call $pick (local.get 0)))
        (ref.func $dbl))))

  ;; $walk counts down through call_ref (native stack grows); $count through
  ;; return_call_ref (constant stack: 10^8 rounds).
  (func $walk (type $node)
    (if (result i32) (i32.eqz (local.get 1))
      (then (i32.const 0))
      (else
        (i32.add (i32.const 1)
          (call_ref $node (local.get 0) (i32.sub (local.get 1) (i32.const 1))
            (ref.as_non_null (local.get 0)))))))
  (func $count (type $node)
    (if (result i32) (i32.eqz (local.get 1))
      (then (i32.const 7))
      (else
        (return_call_ref $node (local.get 0) (i32.sub (local.get 1) (i32.const 1))
          (ref.as_non_null (local.get 0))))))
  (func (export "walk") (param i32) (result i32)
    (call_ref $node (ref.func $walk) (local.get 0) (ref.func $walk)))
  (func (export "count") (param i32) (result i32)
    (call_ref $node (ref.func $count) (local.get 0) (ref.func $count)))
)
(register "M" $M)

(assert_return (invoke "via_global" (i32.const 41)) (i32.const 42))
(assert_return (invoke "via_table" (i32.const 21) (i32.const 0)) (i32.const 42))
(assert_return (invoke "via_table" (i32.const 21) (i32.const 1)) (i32.const 42))
(assert_trap (invoke "via_table" (i32.const 21) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "set" (i32.const 1)))
(assert_return (invoke "via_table" (i32.const 21) (i32.const 1)) (i32.const 22))
(assert_return (invoke "grow") (i32.const 2))
(assert_return (invoke "size") (i32.const 5))
(assert_return (invoke "via_table" (i32.const 1) (i32.const 4)) (i32.const 2))
(assert_return (invoke "local" (i32.const 8)) (i32.const 16))
(assert_return (invoke "as_non_null" (i32.const 1)) (i32.const 6))
(assert_trap (invoke "as_non_null" (i32.const 0)) "null reference")
(assert_trap (invoke "null_call") "null function reference")
(assert_return (invoke "on_null" (i32.const 1)) (i32.const 11))
(assert_return (invoke "on_null" (i32.const 0)) (i32.const -1))
(assert_return (invoke "on_non_null" (i32.const 1)) (i32.const 21))
(assert_return (invoke "on_non_null" (i32.const 0)) (i32.const 40))
(assert_return (invoke "walk" (i32.const 1000)) (i32.const 1000))
(assert_return (invoke "count" (i32.const 100000000)) (i32.const 7))

;; Another module spells the same types: they are the same types (one canonical id each),
;; so its call_indirect reaches $walk, and M's global of type (ref $i2i) links as (ref $i2i)
;; and, immutable, as any supertype (funcref). A type that differs only in nullability is
;; another type: the call traps.
(module $B
  (type $i2i (func (param i32) (result i32)))
  (type $node2 (func (param (ref null $node2) i32) (result i32)))
  (type $node3 (func (param (ref $node3) i32) (result i32)))
  (import "M" "g" (global $g (ref $i2i)))
  (import "M" "g" (global $any funcref))
  (import "M" "ft" (table $ft 1 funcref))
  (import "M" "t" (table $t 1 (ref $i2i)))
  (func (export "b_global") (result i32) (call_ref $i2i (i32.const 99) (global.get $g)))
  (func (export "b_table") (result i32) (call_ref $i2i (i32.const 4) (table.get $t (i32.const 0))))
  (func (export "b_walk") (result i32)
    (call_indirect $ft (type $node2) (ref.null $node2) (i32.const 0) (i32.const 0)))
  (func (export "b_walk3") (result i32)
    (call_indirect $ft (type $node3) (ref.func $dummy) (i32.const 0) (i32.const 0)))
  (func $dummy (type $node3) (i32.const 0))
  (elem declare func $dummy)
)
(assert_return (invoke "b_global") (i32.const 100))
(assert_return (invoke "b_table") (i32.const 8))
(assert_return (invoke "b_walk") (i32.const 0))
(assert_trap (invoke "b_walk3") "indirect call type mismatch")

(assert_unlinkable
  (module (type $f (func (param i64) (result i32))) (import "M" "g" (global (ref $f))))
  "incompatible import type")
(assert_unlinkable
  (module (import "M" "t" (table 1 funcref)))
  "incompatible import type")
(assert_unlinkable
  (module (type $i2i (func (param i32) (result i32))) (import "M" "ft" (table 1 (ref null $i2i))))
  "incompatible import type")

;; Validation: a non-nullable local read before it is set, or after the block that set it.
(assert_invalid
  (module (type $t (func)) (func (local (ref $t)) (drop (local.get 0))))
  "uninitialized local")
(assert_invalid
  (module (type $t (func)) (elem declare func $f) (func $f (local (ref $t))
    (block (local.set 0 (ref.func $f))) (drop (local.get 0))))
  "uninitialized local")
(assert_invalid
  (module (type $t (func)) (table 1 (ref $t)))
  "type mismatch")

;; Recursion groups: types that name each other are equal to another module's types when
;; their groups are equal member by member (iso-recursive): the member's position counts, not
;; its name; the same members in another order are other types.
(module $R1
  (rec (type $a (func (param (ref null $b)) (result i32)))
       (type $b (func (param (ref null $a)) (result i32))))
  (table (export "rt") 2 funcref)
  (elem (i32.const 0) func $fa $fb)
  (func $fa (type $a) (i32.const 1))
  (func $fb (type $b) (i32.const 2))
)
(register "R1" $R1)
(module $R2
  (rec (type $a2 (func (param (ref null $b2)) (result i32)))
       (type $b2 (func (param (ref null $a2)) (result i32))))
  ;; The same group spelt the other way round: $b3 is member 0 (as $a2), $a3 member 1 (as $b2).
  (rec (type $b3 (func (param (ref null $a3)) (result i32)))
       (type $a3 (func (param (ref null $b3)) (result i32))))
  (import "R1" "rt" (table 2 funcref))
  (func (export "call_a") (result i32) (call_indirect (type $a2) (ref.null $b2) (i32.const 0)))
  (func (export "call_b") (result i32) (call_indirect (type $b2) (ref.null $a2) (i32.const 1)))
  (func (export "call_b3") (result i32) (call_indirect (type $b3) (ref.null $a3) (i32.const 0)))
  (func (export "call_a3") (result i32) (call_indirect (type $a3) (ref.null $b3) (i32.const 0)))
)
(assert_return (invoke "call_a") (i32.const 1))
(assert_return (invoke "call_b") (i32.const 2))
(assert_return (invoke "call_b3") (i32.const 1))
(assert_trap (invoke "call_a3") "indirect call type mismatch")
;; A group of one is a type defined on its own.
(module
  (rec (type $f (func (result i32))))
  (import "R1" "rt" (table 2 funcref))
  (rec (type $a4 (func (param (ref null $b4)) (result i32)))
       (type $b4 (func (param (ref null $a4)) (result i32))))
  (func (export "call_a4") (result i32) (call_indirect (type $a4) (ref.null $b4) (i32.const 0)))
)
(assert_return (invoke "call_a4") (i32.const 1))
(assert_invalid
  (module (type $t (func (param (ref $u)))) (type $u (func)))
  "unknown type")
