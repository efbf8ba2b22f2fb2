;; altered.wast -- a spec script whose expectations were altered on purpose.
;;
;; tests/wast/test_wast.sh runs `kiln wast` on it and requires exactly one FAIL line for each
;; command marked ";; WRONG" below (and the counts line), so a runner that passes everything,
;; or drops a kind of command, fails the test. The other commands are correct and must pass.

(module $M
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "pair") (param i64) (result i64 i64) (local.get 0) (i64.const 1))
  (func (export "boom") (unreachable))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func $deep (export "deep") (call $deep))
  (global (export "g") i32 (i32.const 42))
)

(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4)) ;; WRONG
(assert_return (invoke "add" (i32.const -1) (i32.const 0)) (i32.const -1))
(assert_return (invoke "neg" (f32.const 1.5)) (f32.const -1.5))
(assert_return (invoke "neg" (f32.const 1.5)) (f32.const 1.5)) ;; WRONG
(assert_return (invoke "sqrt" (f64.const -1)) (f64.const nan:canonical))
(assert_return (invoke "sqrt" (f64.const 4)) (f64.const nan:arithmetic)) ;; WRONG
(assert_return (invoke "pair" (i64.const 7)) (i64.const 7) (i64.const 1))
(assert_return (invoke "pair" (i64.const 7)) (i64.const 7) (i64.const 2)) ;; WRONG
(assert_return (invoke "id" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "id" (ref.extern 5)) (ref.extern 6)) ;; WRONG
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_return (get "g") (i32.const 42))
(assert_return (get "g") (i32.const 43)) ;; WRONG

(assert_trap (invoke "div_s" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div_s" (i32.const 1) (i32.const 0)) "integer overflow") ;; WRONG
(assert_trap (invoke "div_s" (i32.const 6) (i32.const 3)) "integer divide by zero") ;; WRONG
(assert_trap (invoke "boom") "unreachable")
(assert_return (invoke "boom")) ;; WRONG
(assert_exhaustion (invoke "deep") "call stack exhausted")

(register "M" $M)
(module
  (import "M" "add" (func $add (param i32 i32) (result i32)))
  (import "spectest" "global_i32" (global $g i32))
  (func (export "inc") (param i32) (result i32) (call $add (local.get 0) (i32.const 1)))
  (func (export "g") (result i32) (global.get $g))
)
(assert_return (invoke "inc" (i32.const 41)) (i32.const 42))
(assert_return (invoke "g") (i32.const 666))
(assert_return (invoke $M "add" (i32.const 2) (i32.const 2)) (i32.const 4))

(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
(assert_unlinkable (module (import "spectest" "unknown" (func))) "unknown import")
(assert_trap (module (func $f (unreachable)) (start $f)) "unreachable")

;; v128 values need no SIMD instructions to pass through parameters, results and globals.
(module $V
  (func (export "id") (param v128) (result v128) (local.get 0))
  (global (export "g") v128 (v128.const i16x8 1 -2 3 -4 5 -6 7 -8))
)
(assert_return (invoke $V "id" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 4))
(assert_return (invoke $V "id" (v128.const f32x4 nan 1 2 3)) (v128.const f32x4 nan:canonical 1 2 3))
(assert_return (invoke $V "id" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 5)) ;; WRONG
(assert_return (get $V "g") (v128.const i16x8 1 -2 3 -4 5 -6 7 8)) ;; WRONG
