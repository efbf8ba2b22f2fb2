;; other.wat -- a second module in the same executable (prefix "other"): the same export
;; name as basic ("fac") with other behaviour, a function imported from basic's instance,
;; and export names that exercise the header's name mangling.
(module
  (import "basic" "fac" (func $basic_fac (param i64) (result i64)))
  (memory 1)
  (data (i32.const 0) "other")
  (func (export "fac") (param $n i32) (result i32) (local $r i32)
    (local.set $r (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.le_s (local.get $n) (i32.const 1)))
        (local.set $r (i32.mul (local.get $r) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $r))
  (func (export "via_basic") (param i64) (result i64)
    (i64.add (call $basic_fac (local.get 0)) (i64.load8_u (i32.const 0))))
  (func (export "_weird name-\c3\bc") (result i32) (i32.const 1))
  (func (export "module") (result i32) (i32.const 7))
)
