;; gc_types.wast -- GC's abstract heap types (any, eq, i31, struct, array, none) as Kiln
;; compiles them without the GC instructions: types whose only value is null, in locals,
;; globals, tables, parameters and results, with subtyping (none <: i31, struct, array <: eq
;; <: any) checked by the validator and, across modules, by the runtime's import matching.

(module $G
  (global (export "eq") eqref (ref.null none))
  (global (export "mut_eq") (mut eqref) (ref.null eq))
  (table $t (export "tab") 3 anyref)
  (func (export "null_any") (result anyref) (ref.null any))
  (func (export "id_any") (param anyref) (result anyref) (local.get 0))
  (func (export "is_null") (param eqref) (result i32) (ref.is_null (local.get 0)))
  (func (export "locals") (result i32)
    (local anyref eqref i31ref structref arrayref nullref)
    (i32.add
      (i32.add (ref.is_null (local.get 0)) (ref.is_null (local.get 1)))
      (i32.add (i32.add (ref.is_null (local.get 2)) (ref.is_null (local.get 3)))
               (i32.add (ref.is_null (local.get 4)) (ref.is_null (local.get 5))))))
  ;; subsumption: a nullref where an anyref is expected, through a select and a block
  (func (export "sub") (param i32) (result anyref)
    (block (result eqref)
      (select (result eqref) (ref.null i31) (ref.null struct) (local.get 0))))
  (func (export "on_null") (param arrayref) (result i32)
    (block $null
      (drop (br_on_null $null (local.get 0)))
      (return (i32.const 1)))
    (i32.const 0))
  (func (export "as_non_null") (param anyref) (result i32)
    (drop (ref.as_non_null (local.get 0))) (i32.const 1))
  (func (export "table") (param i32) (result i32)
    (table.set $t (local.get 0) (ref.null none))
    (i32.add (ref.is_null (table.get $t (local.get 0)))
             (table.grow $t (ref.null eq) (i32.const 2))))
)
(register "G" $G)

(assert_return (invoke "null_any") (ref.null any))
(assert_return (invoke "null_any") (ref.null none))
(assert_return (invoke "id_any" (ref.null any)) (ref.null any))
(assert_return (invoke "id_any" (ref.null none)) (ref.null))
(assert_return (invoke "is_null" (ref.null eq)) (i32.const 1))
(assert_return (invoke "locals") (i32.const 6))
(assert_return (invoke "sub" (i32.const 0)) (ref.null any))
(assert_return (invoke "sub" (i32.const 1)) (ref.null any))
(assert_return (invoke "on_null" (ref.null array)) (i32.const 0))
(assert_trap (invoke "as_non_null" (ref.null any)) "null reference")
(assert_return (invoke "table" (i32.const 2)) (i32.const 4))
(assert_trap (invoke "table" (i32.const 5)) "out of bounds table access")
(assert_return (invoke "table" (i32.const 4)) (i32.const 6))

;; imports: an immutable global of a subtype, a mutable one of the same type only
(module
  (global (import "G" "eq") anyref)
  (global (import "G" "mut_eq") (mut eqref))
  (table (import "G" "tab") 3 anyref))
(assert_unlinkable
  (module (global (import "G" "eq") i31ref))
  "incompatible import type")
(assert_unlinkable
  (module (global (import "G" "mut_eq") (mut anyref)))
  "incompatible import type")
(assert_unlinkable
  (module (table (import "G" "tab") 3 eqref))
  "incompatible import type")

;; the validator's subtyping
(assert_invalid
  (module (func (result eqref) (ref.null any)))
  "type mismatch")
(assert_invalid
  (module (func (result i31ref) (ref.null struct)))
  "type mismatch")
(assert_invalid
  (module (func (result anyref) (ref.null func)))
  "type mismatch")
(assert_invalid
  (module (func (result externref) (ref.null none)))
  "type mismatch")
(module (func (result structref) (ref.null none)) (func (result (ref null i31)) (ref.null none)))
