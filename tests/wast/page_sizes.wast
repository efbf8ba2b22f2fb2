;; page_sizes.wast -- memories of 1-byte pages (custom-page-sizes): a module gets exactly the
;; bytes it declares, as firmware wants (20 KiB, not 64), and every access, bulk operation and
;; data segment is checked at that byte, in guard-page and bounds-checked mode alike
;; (docs/abi.md: such a memory is always bounds-checked; no host page can guard its end).

(module
  (memory $m 20480 20500 (pagesize 1))
  (memory $big 1)
  (data (memory $m) (i32.const 20476) "\01\02\03\04")
  (func (export "size") (result i32) (memory.size $m))
  (func (export "grow") (param i32) (result i32) (memory.grow $m (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u $m (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load $m (local.get 0)))
  (func (export "load32_off") (param i32) (result i32) (i32.load $m offset=16 (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 $m (local.get 0) (local.get 1)))
  (func (export "store64") (param i32 i64) (i64.store $m (local.get 0) (local.get 1)))
  (func (export "fill") (param i32 i32 i32)
    (memory.fill $m (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_in") (param i32 i32 i32) ;; from $big into $m
    (memory.copy $m $big (local.get 0) (local.get 1) (local.get 2)))
  (func (export "big_size") (result i32) (memory.size $big))
)
(assert_return (invoke "size") (i32.const 20480))
(assert_return (invoke "load32" (i32.const 20476)) (i32.const 0x04030201))
(assert_return (invoke "load8" (i32.const 20479)) (i32.const 4))
(assert_trap (invoke "load8" (i32.const 20480)) "out of bounds memory access")
(assert_trap (invoke "load32" (i32.const 20477)) "out of bounds memory access")
(assert_trap (invoke "load32_off" (i32.const 20461)) "out of bounds memory access")
(assert_return (invoke "load32_off" (i32.const 20460)) (i32.const 0x04030201))
(assert_trap (invoke "store8" (i32.const 20480) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "store64" (i32.const 20473) (i64.const -1)) "out of bounds memory access")
(assert_return (invoke "load32" (i32.const 20476)) (i32.const 0x04030201))
(assert_trap (invoke "fill" (i32.const 20470) (i32.const 7) (i32.const 11))
             "out of bounds memory access")
(assert_return (invoke "fill" (i32.const 20470) (i32.const 7) (i32.const 10)))
(assert_return (invoke "load8" (i32.const 20479)) (i32.const 7))
(assert_return (invoke "fill" (i32.const 20480) (i32.const 7) (i32.const 0)))
(assert_trap (invoke "fill" (i32.const 20481) (i32.const 7) (i32.const 0))
             "out of bounds memory access")
(assert_trap (invoke "copy_in" (i32.const 20000) (i32.const 0) (i32.const 481))
             "out of bounds memory access")
(assert_return (invoke "copy_in" (i32.const 20000) (i32.const 0) (i32.const 480)))
(assert_return (invoke "load8" (i32.const 20479)) (i32.const 0))
;; Growing by bytes, up to the declared maximum of 20,500.
(assert_return (invoke "grow" (i32.const 1)) (i32.const 20480))
(assert_return (invoke "size") (i32.const 20481))
(assert_return (invoke "load8" (i32.const 20480)) (i32.const 0))
(assert_trap (invoke "load8" (i32.const 20481)) "out of bounds memory access")
(assert_return (invoke "grow" (i32.const 20)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 19)) (i32.const 20481))
(assert_return (invoke "size") (i32.const 20500))
(assert_return (invoke "store8" (i32.const 20499) (i32.const 9)))
(assert_return (invoke "load8" (i32.const 20499)) (i32.const 9))
(assert_trap (invoke "load8" (i32.const 20500)) "out of bounds memory access")
(assert_return (invoke "grow" (i32.const 0)) (i32.const 20500))
(assert_return (invoke "big_size") (i32.const 1))

;; A data segment one byte past the end fails instantiation.
(assert_trap
  (module (memory 3 (pagesize 1)) (data (i32.const 1) "abc"))
  "out of bounds memory access")
(module (memory 3 (pagesize 1)) (data (i32.const 0) "abc"))

;; Memory 0 of 1-byte pages, and a 64-bit one: memory 0's fast paths must not apply.
(module
  (memory i64 100 (pagesize 1))
  (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store16") (param i64 i32) (i32.store16 (local.get 0) (local.get 1)))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
)
(assert_return (invoke "store16" (i64.const 98) (i32.const 0x0201)))
(assert_return (invoke "load8" (i64.const 99)) (i32.const 2))
(assert_trap (invoke "store16" (i64.const 99) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "load8" (i64.const 0x1_0000_0000)) "out of bounds memory access")
(assert_trap (invoke "load8" (i64.const -1)) "out of bounds memory access")
(assert_return (invoke "grow" (i64.const 4096)) (i64.const 100))
(assert_return (invoke "load8" (i64.const 4195)) (i32.const 0))
(assert_trap (invoke "load8" (i64.const 4196)) "out of bounds memory access")

;; Imports must agree on the page size.
(module $E (memory (export "small") 16 (pagesize 1)) (memory (export "plain") 1))
(register "E" $E)
(module (import "E" "small" (memory 16 (pagesize 1))))
(module (import "E" "plain" (memory 1 (pagesize 65536))))
(assert_unlinkable (module (import "E" "small" (memory 0))) "incompatible import type")
(assert_unlinkable (module (import "E" "plain" (memory 0 (pagesize 1))))
                   "incompatible import type")
(assert_unlinkable (module (import "E" "small" (memory 17 (pagesize 1))))
                   "incompatible import type")

;; Validation: 1 byte or 64 KiB, and a 32-bit memory.size must hold the size.
(assert_invalid (module (memory 0 (pagesize 4096))) "invalid custom page size")
(assert_invalid (module (memory 0x1_0000_0000 (pagesize 1))) "memory size must be at most")
(module definition (memory 0xFFFF_FFFF (pagesize 1)))
