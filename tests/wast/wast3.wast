;; wast3.wast -- the commands and values Wasm 3.0 spec scripts add (cli/wast/wast_text.c),
;; on Wasm 2.0 modules that Kiln compiles. tests/wast/test_wast.sh checks its exact output.

;; A module definition is compiled, not instantiated; each instance has its own state.
(module definition $M
  (global $g (mut i32) (i32.const 0))
  (func (export "inc") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.get $g)))
(module instance $I1 $M)
(module instance $I2 $M)
(assert_return (invoke $I1 "inc") (i32.const 1))
(assert_return (invoke $I1 "inc") (i32.const 2))
(assert_return (invoke $I2 "inc") (i32.const 1))
(module instance $M) ;; one name is the module's: an unnamed instance, now the current one
(assert_return (invoke "inc") (i32.const 1))
(assert_return (invoke $I1 "inc") (i32.const 3))
(register "I2" $I2)
(module (import "I2" "inc" (func $inc (result i32)))
  (func (export "call") (result i32) (call $inc)))
(assert_return (invoke "call") (i32.const 2))
(module definition $B binary "\00asm" "\01\00\00\00")
(module instance $B)
(module definition (memory 1))
(module instance)
(module $N (func (export "two") (result i32) (i32.const 2)))
(module instance $N2 $N) ;; a module that was instantiated can be instantiated again
(assert_return (invoke $N2 "two") (i32.const 2))

;; Instantiation failures of definitions.
(module definition $Imp (import "nowhere" "f" (func)))
(assert_unlinkable (module instance $Imp) "unknown import")
(module definition $Oob (memory 0) (data (i32.const 1) "x"))
(assert_trap (module instance $Oob) "out of bounds memory access")

;; Reference values and result patterns.
(module $R
  (func $f (export "f"))
  (elem declare func $f)
  (func (export "null_func") (result funcref) (ref.null func))
  (func (export "func") (result funcref) (ref.func $f))
  (func (export "id_func") (param funcref) (result funcref) (local.get 0))
  (func (export "id_extern") (param externref) (result externref) (local.get 0)) (func (export "id_any") (param anyref) (result anyref) (local.get 0)))
(assert_return (invoke "null_func") (ref.null))
(assert_return (invoke "null_func") (ref.null func))
(assert_return (invoke "null_func") (ref.null nofunc))
(assert_return (invoke "null_func") (ref.null any))
(assert_return (invoke "null_func") (ref.null $t))
(assert_return (invoke "func") (ref.func))
(assert_return (invoke "id_func" (ref.null nofunc)) (ref.null func))
(assert_return (invoke "id_extern" (ref.extern 7)) (ref.extern 7))
(assert_return (invoke "id_extern" (ref.extern 7)) (ref.extern))
(assert_return (invoke "id_extern" (ref.null noextern)) (ref.null noextern))
(assert_return (invoke "id_extern" (ref.extern 1)) (either (ref.struct) (ref.extern 1)))
;; Values compiled code cannot hold: skipped.
(assert_return (invoke "id_extern" (ref.host 1)) (ref.host 1))
(assert_return (invoke "id_any" (ref.null any)) (ref.null any)) ;; but null anyref it holds
(assert_return (invoke "func") (ref.struct))
(assert_return (invoke "func") (either (ref.i31) (ref.array)))
(assert_return (invoke "func") (ref))
(assert_return (invoke "func") (ref.eq))
(assert_return (invoke "func") (ref.exn))

;; Custom annotations are interpreted: their assertions are judged like the others.
(assert_malformed_custom (module quote "(@custom)") "@custom annotation: missing section name")
(assert_invalid_custom (module (func (@metadata.code.branch_hint "\01") nop)) "@metadata.code.branch_hint annotation: invalid target")
(module (@name "annotated") (@a x (y "z") ;; annotations of any shape are ignored
  ) (func (export "ok") (result i32) (@a) (i32.const 1)))
(assert_return (invoke "ok") (i32.const 1))

;; Modules using a Wasm 3.0 feature Kiln does not compile: assertions about them are skipped,
;; not judged. Two memories (multi-memory) and a type mismatch: Wasm 2.0's verdict, "multiple
;; memories", is not the error the script is about.
(assert_invalid (module (memory 1) (memory 1) (func (result i32) (i64.const 0))) "type mismatch")
;; ref.i31 (gc), as bytes: the decoder stops there.
(assert_invalid
  (module binary "\00asm\01\00\00\00" "\01\05\01\60\00\01\7f" "\03\02\01\00"
                 "\0a\08\01\06\00\41\00\fb\1c\0b")
  "type mismatch")
;; Where the script asks for 2.0's verdict, it is given.
(assert_invalid (module (memory 1) (memory 1)) "multiple memories")
