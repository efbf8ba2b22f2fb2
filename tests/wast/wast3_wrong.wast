;; wast3_wrong.wast -- Wasm 3.0 script commands with wrong expectations: tests/wast/test_wast.sh
;; requires exactly its FAIL and SKIP lines (a runner that passes or drops them fails).
(module definition $M (func (export "one") (result i32) (i32.const 1)))
(module instance $I $M)
(assert_return (invoke $I "one") (i32.const 2))
(assert_exception (invoke $I "one"))
(module instance $X $Nope)
(assert_return (invoke $X "one") (i32.const 1))
(module $R
  (func $f (export "f")) (elem declare func $f)
  (func (export "null") (result funcref) (ref.null func))
  (func (export "func") (result funcref) (ref.func $f)))
(assert_return (invoke "func") (ref.null))
(assert_return (invoke "null") (ref.func))
(assert_return (invoke "null") (either (ref.struct) (ref.func)))
(assert_unlinkable (module instance $M) "unknown import")
(assert_trap (module instance $M) "unreachable")
(module definition $Bad (func (result i32) (i64.const 0)))
(module instance $Bad)
(assert_return (invoke "func") (ref.func))
;; A module the script expects to trap changes the memory it imports when it does not: the
;; instance it imports from, and instances importing from that, are stale afterwards.
(module $S
  (memory (export "mem") 1)
  (func (export "load") (result i32) (i32.load8_u (i32.const 0))))
(register "S" $S)
(assert_trap (module (import "S" "mem" (memory 1)) (data (i32.const 0) "\2a")) "unreachable")
(assert_return (invoke $S "load") (i32.const 0))
(module $T (import "S" "mem" (memory 1)) (func (export "load") (result i32) (i32.load8_u (i32.const 0))))
(assert_return (invoke $T "load") (i32.const 0))
(module $V (func (export "load") (result i32) (i32.const 0)))
(assert_return (invoke $V "load") (i32.const 0))
;; Custom annotations: a well-formed one, a branch hint on the wrong instruction, a misplaced name.
(assert_malformed_custom (module quote "(@custom \"x\" (after func))") "@custom annotation")
(assert_malformed_custom (module (func (@metadata.code.branch_hint "\00") nop)) "@metadata.code.branch_hint annotation: invalid target")
(assert_invalid_custom (module (func) (@name "M")) "misplaced @name annotation")
