;; addr_fold.wast -- the address arithmetic that address facts (toolchain/lower_memory.c)
;; widen, against Wasm's 32-bit semantics. After an access at zext(p) succeeded, p + C
;; (C < 64 KiB) cannot wrap and is computed in 64 bits; without such an access, or when it
;; traps, the i32 sum must wrap (or trap) exactly as the spec says. Run by ctest wast.addr_fold
;; at -O2 and -O0, with guard pages.
(module
  (memory 1)
  (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
  (data (i32.const 65520) "\05\00\00\00\06\00\00\00\07\00\00\00\08\00\00\00")

  ;; p[0] + p[1] + p[2]: the later two are folded displacements.
  (func (export "sum3") (param $p i32) (result i32)
    (i32.add
      (i32.add (i32.load (local.get $p))
               (i32.load (i32.add (local.get $p) (i32.const 4))))
      (i32.load (i32.add (local.get $p) (i32.const 8)))))

  ;; No earlier access to p: p + 8 wraps as an i32.
  (func (export "wrapped") (param $p i32) (result i32)
    (i32.load (i32.add (local.get $p) (i32.const 8))))

  ;; The access at p traps first; the folded one after it never runs.
  (func (export "first_traps") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p))
             (i32.load (i32.add (local.get $p) (i32.const 8)))))

  ;; Stores: p[0] = x, p[1] = x + 1, then the sum read back through unfolded addresses.
  (func (export "store2") (param $p i32) (param $x i32) (result i32)
    (i32.store (local.get $p) (local.get $x))
    (i32.store (i32.add (local.get $p) (i32.const 4)) (i32.add (local.get $x) (i32.const 1)))
    (i32.add (i32.load (local.get $p)) (i32.load offset=4 (local.get $p))))

  ;; A pointer loop (p += 4 after the access at p: the increment becomes nuw).
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

  ;; A negative constant is never widened: p - 4 with p = 2 wraps to 0xfffffffe and traps.
  (func (export "minus4") (param $p i32) (result i32)
    (i32.add (i32.load8_u (local.get $p))
             (i32.load8_u (i32.add (local.get $p) (i32.const -4)))))

  ;; A chain of constants after the access at p, as clang writes (p + 4) + 4: folded too.
  (func (export "chain") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p))
             (i32.load (i32.add (i32.add (local.get $p) (i32.const 4)) (i32.const 4)))))

  ;; The same chain without an earlier access wraps as an i32.
  (func (export "chain_wrapped") (param $p i32) (result i32)
    (i32.load (i32.add (i32.add (local.get $p) (i32.const 4)) (i32.const 4))))

  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)

(assert_return (invoke "sum3" (i32.const 0)) (i32.const 6))
(assert_return (invoke "sum3" (i32.const 4)) (i32.const 9))
(assert_return (invoke "sum3" (i32.const 65520)) (i32.const 18))
(assert_return (invoke "sum3" (i32.const 65524)) (i32.const 21))
(assert_trap (invoke "sum3" (i32.const 65528)) "out of bounds memory access")
(assert_return (invoke "wrapped" (i32.const -4)) (i32.const 2))
(assert_return (invoke "wrapped" (i32.const -8)) (i32.const 1))
(assert_trap (invoke "first_traps" (i32.const -4)) "out of bounds memory access")
(assert_return (invoke "chain" (i32.const 0)) (i32.const 4))
(assert_return (invoke "chain" (i32.const 65520)) (i32.const 12))
(assert_trap (invoke "chain" (i32.const 65528)) "out of bounds memory access")
(assert_return (invoke "chain_wrapped" (i32.const -8)) (i32.const 1))
(assert_return (invoke "chain_wrapped" (i32.const -4)) (i32.const 2))
(assert_trap (invoke "chain_wrapped" (i32.const 65532)) "out of bounds memory access")
(assert_trap (invoke "first_traps" (i32.const 65532)) "out of bounds memory access")
(assert_return (invoke "first_traps" (i32.const 0)) (i32.const 4))
(assert_return (invoke "sum_loop" (i32.const 0) (i32.const 4)) (i32.const 10))
(assert_return (invoke "sum_loop" (i32.const 65520) (i32.const 4)) (i32.const 26))
(assert_trap (invoke "sum_loop" (i32.const 65520) (i32.const 5)) "out of bounds memory access")
(assert_return (invoke "store2" (i32.const 100) (i32.const 41)) (i32.const 83))
(assert_trap (invoke "store2" (i32.const 65532) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "minus4" (i32.const 8)) (i32.const 5))
(assert_trap (invoke "minus4" (i32.const 2)) "out of bounds memory access")

;; Memories grow to 65,536 pages (4 GiB); what address facts do there: address_facts_4gib.wast.
(assert_return (invoke "grow" (i32.const 65536)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 65535)) (i32.const 1))
(assert_return (invoke "grow" (i32.const 0)) (i32.const 65536))
(assert_return (invoke "sum3" (i32.const 65520)) (i32.const 18))
