;; memory_4gib_wrap.wast -- in a memory of 65,536 pages, an address computed as p + C just
;; after an access at p, or a pointer stepped past the last word, wraps to the bottom of the
;; memory as the spec's 32-bit sums say. Exact with --no-address-facts and with
;; --bounds-checks (ctest wast.memory_4gib_wrap.*); with address facts (the default) such an
;; access traps instead (docs/abi.md, "Memory and aliasing"): address_facts_4gib.wast.
(module
  (memory 0)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  ;; p[0] + p[1]
  (func (export "pair") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p))
             (i32.load (i32.add (local.get $p) (i32.const 4)))))
  ;; p[0] + p[2], written (p + 4) + 4 as clang does
  (func (export "chain") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p))
             (i32.load (i32.add (i32.add (local.get $p) (i32.const 4)) (i32.const 4)))))
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
  ;; Stores through p and p + 4: the second lands at the bottom.
  (func (export "store_pair") (param $p i32) (param $x i32)
    (i32.store (local.get $p) (local.get $x))
    (i32.store (i32.add (local.get $p) (i32.const 4)) (local.get $x)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
)
(assert_return (invoke "grow" (i32.const 65536)) (i32.const 0))
(assert_return (invoke "store32" (i32.const -8) (i32.const 0x11223344)))
(assert_return (invoke "store32" (i32.const -4) (i32.const 0x55667788)))
(assert_return (invoke "store32" (i32.const 0) (i32.const 0x01020304)))
(assert_return (invoke "store32" (i32.const 4) (i32.const 0x0a0b0c0d)))
(assert_return (invoke "pair" (i32.const -8)) (i32.const 0x6688aacc))
(assert_return (invoke "pair" (i32.const -4)) (i32.const 0x56687a8c))
(assert_return (invoke "chain" (i32.const -4)) (i32.const 0x5f718395))
(assert_return (invoke "sum_loop" (i32.const -8) (i32.const 2)) (i32.const 0x6688aacc))
(assert_return (invoke "sum_loop" (i32.const -8) (i32.const 3)) (i32.const 0x678aadd0))
(assert_return (invoke "sum_loop" (i32.const -4) (i32.const 3)) (i32.const 0x60738699))
(assert_return (invoke "store_pair" (i32.const -4) (i32.const 0x77)))
(assert_return (invoke "load32" (i32.const -4)) (i32.const 0x77))
(assert_return (invoke "load32" (i32.const 0)) (i32.const 0x77))
