;; memory_4gib.wast -- a memory of 65,536 pages (4 GiB): every i32 address is in bounds for a
;; byte access, and an access that reaches past the last byte traps. Grown to 4 GiB, created
;; at 4 GiB, and with a declared maximum of 65,536. Run by ctest wast.memory_4gib.* at -O2
;; and -O0, with guard pages and with --bounds-checks (64-bit hosts only: a 32-bit address
;; space cannot hold a 4 GiB memory). Addresses that wrap past 4 GiB: memory_4gib_wrap.wast.
(module
  (memory 0)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load32_off4") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "load_max_off") (param i32) (result i32)
    (i32.load8_u offset=4294967295 (local.get 0)))
  ;; p[0] then p[1]: the second access after the first proved p in bounds.
  (func (export "pair") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p))
             (i32.load (i32.add (local.get $p) (i32.const 4)))))
  ;; The sum of n words from p, p += 4.
  (func (export "sum_loop") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
)

(assert_return (invoke "size") (i32.const 0))
(assert_trap (invoke "load8" (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "grow" (i32.const 65537)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 65536)) (i32.const 0))
(assert_return (invoke "size") (i32.const 65536))
(assert_return (invoke "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 0)) (i32.const 65536))
(assert_return (invoke "size") (i32.const 65536))

;; The last byte, the last word, the last double word.
(assert_return (invoke "load8" (i32.const -1)) (i32.const 0))
(assert_return (invoke "store8" (i32.const -1) (i32.const 0xab)))
(assert_return (invoke "load8" (i32.const -1)) (i32.const 0xab))
(assert_return (invoke "store32" (i32.const -8) (i32.const 0x11223344)))
(assert_return (invoke "store32" (i32.const -4) (i32.const 0x55667788)))
(assert_return (invoke "load32" (i32.const -4)) (i32.const 0x55667788))
(assert_return (invoke "load32" (i32.const -8)) (i32.const 0x11223344))
(assert_return (invoke "load64" (i32.const -8)) (i64.const 0x5566778811223344))
(assert_return (invoke "load32_off4" (i32.const -8)) (i32.const 0x55667788))
(assert_return (invoke "pair" (i32.const -8)) (i32.const 0x6688aacc))
(assert_return (invoke "sum_loop" (i32.const -8) (i32.const 2)) (i32.const 0x6688aacc))
(assert_return (invoke "load_max_off" (i32.const 0)) (i32.const 0x55))

;; Straddling the end, or an offset past it: out of bounds.
(assert_trap (invoke "load32" (i32.const -3)) "out of bounds memory access")
(assert_trap (invoke "load32" (i32.const -1)) "out of bounds memory access")
(assert_trap (invoke "load64" (i32.const -7)) "out of bounds memory access")
(assert_trap (invoke "load64" (i32.const -4)) "out of bounds memory access")
(assert_trap (invoke "load32_off4" (i32.const -4)) "out of bounds memory access")
(assert_trap (invoke "load32_off4" (i32.const -7)) "out of bounds memory access")
(assert_trap (invoke "load_max_off" (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "load_max_off" (i32.const -1)) "out of bounds memory access")
(assert_trap (invoke "store32" (i32.const -2) (i32.const 1)) "out of bounds memory access")

;; Bulk operations up to the last byte, and one byte past it.
(assert_return (invoke "fill" (i32.const -16) (i32.const 0x5a) (i32.const 16)))
(assert_return (invoke "load8" (i32.const -1)) (i32.const 0x5a))
(assert_return (invoke "load8" (i32.const -16)) (i32.const 0x5a))
(assert_return (invoke "load8" (i32.const -17)) (i32.const 0))
(assert_trap (invoke "fill" (i32.const -16) (i32.const 0) (i32.const 17)) "out of bounds memory access")
(assert_return (invoke "load8" (i32.const -16)) (i32.const 0x5a))
(assert_return (invoke "store32" (i32.const 0) (i32.const 0x01020304)))
(assert_return (invoke "copy" (i32.const -4) (i32.const 0) (i32.const 4)))
(assert_return (invoke "load32" (i32.const -4)) (i32.const 0x01020304))
(assert_return (invoke "copy" (i32.const 8) (i32.const -4) (i32.const 4)))
(assert_return (invoke "load32" (i32.const 8)) (i32.const 0x01020304))
(assert_trap (invoke "copy" (i32.const 0) (i32.const -4) (i32.const 5)) "out of bounds memory access")

;; Created at 4 GiB.
(module
  (memory 65536)
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store16") (param i32 i32) (i32.store16 (local.get 0) (local.get 1)))
  (func (export "load16") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (data (i32.const -2) "\aa\bb")
)
(assert_return (invoke "size") (i32.const 65536))
(assert_return (invoke "load8" (i32.const -1)) (i32.const 0xbb))
(assert_return (invoke "load16" (i32.const -2)) (i32.const 0xbbaa))
(assert_trap (invoke "load16" (i32.const -1)) "out of bounds memory access")
(assert_return (invoke "store16" (i32.const -2) (i32.const 0x1234)))
(assert_return (invoke "load16" (i32.const -2)) (i32.const 0x1234))
(assert_return (invoke "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 0)) (i32.const 65536))

;; A declared maximum of 65,536 pages.
(module
  (memory 1 65536)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
(assert_return (invoke "grow" (i32.const 65536)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 65535)) (i32.const 1))
(assert_return (invoke "size") (i32.const 65536))
(assert_return (invoke "load8" (i32.const -1)) (i32.const 0))
(assert_return (invoke "grow" (i32.const 1)) (i32.const -1))
