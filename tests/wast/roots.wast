;; roots.wast -- loops the vectoriser runs over several arrays once each array has its own
;; "root" (toolchain/lower_memory.c): whatever the vectoriser's run-time overlap check
;; decides, overlapping arrays must give the sequential result. Run by ctest wast.roots at
;; -O2 and -O0.
(module
  (memory 1)

  ;; c[j] += a * b[j] for j < 2n (f64), unrolled by two the way clang emits such a loop.
  (func $axpy (export "axpy") (param $c i32) (param $b i32) (param $a f64) (param $n i32)
    (local $c1 i32) (local $i i32)
    (loop $next
      (f64.store (local.get $c)
        (f64.add (f64.mul (local.get $a) (f64.load (local.get $b))) (f64.load (local.get $c))))
      (f64.store (local.tee $c1 (i32.add (local.get $c) (i32.const 8)))
        (f64.add (f64.mul (local.get $a) (f64.load (i32.add (local.get $b) (i32.const 8))))
                 (f64.load (local.get $c1))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br_if $next
        (i32.ne (local.get $n) (local.tee $i (i32.add (local.get $i) (i32.const 1)))))))

  ;; p[j] = j + 1 (f64) for j < n.
  (func $iota (param $p i32) (param $n i32)
    (local $j i32)
    (loop $next
      (f64.store (local.get $p) (f64.convert_i32_u (local.tee $j (i32.add (local.get $j) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $next (i32.ne (local.get $j) (local.get $n)))))

  ;; 64 doubles 1..64 at 1024, 64 zeros at 2048, then axpy(c, b, 1.0, 32).
  (func (export "run") (param $c i32) (param $b i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 4096))
    (call $iota (i32.const 1024) (i32.const 64))
    (call $axpy (local.get $c) (local.get $b) (f64.const 1) (i32.const 32)))

  (func (export "at") (param $p i32) (result f64) (f64.load (local.get $p)))

  ;; The sum of n doubles from p.
  (func (export "sum") (param $p i32) (param $n i32) (result f64)
    (local $s f64)
    (loop $next
      (local.set $s (f64.add (local.get $s) (f64.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s)))

;; Disjoint: c = b, so 2048.. holds 1..64.
(invoke "run" (i32.const 2048) (i32.const 1024))
(assert_return (invoke "at" (i32.const 2048)) (f64.const 1))
(assert_return (invoke "at" (i32.const 2552)) (f64.const 64))
(assert_return (invoke "sum" (i32.const 2048) (i32.const 64)) (f64.const 2080))
(assert_return (invoke "sum" (i32.const 1024) (i32.const 64)) (f64.const 2080))

;; c = b + 1 element: each element adds the one before it, already updated -- prefix sums,
;; x[k] = (k + 1)(k + 2) / 2 for k < 65 (the element past b's 64 starts at 0).
(invoke "run" (i32.const 1032) (i32.const 1024))
(assert_return (invoke "at" (i32.const 1024)) (f64.const 1))
(assert_return (invoke "at" (i32.const 1032)) (f64.const 3))
(assert_return (invoke "at" (i32.const 1528)) (f64.const 2080))
(assert_return (invoke "at" (i32.const 1536)) (f64.const 2080))
(assert_return (invoke "sum" (i32.const 1024) (i32.const 64)) (f64.const 45760))

;; c = b - 1 element: each element adds the one after it, not yet updated.
;; x[k] = (k + 1) + (k + 2) for k < 63; x[-1] = 0 + 1; x[63] stays 64.
(invoke "run" (i32.const 1016) (i32.const 1024))
(assert_return (invoke "at" (i32.const 1016)) (f64.const 1))
(assert_return (invoke "at" (i32.const 1024)) (f64.const 3))
(assert_return (invoke "at" (i32.const 1520)) (f64.const 127))
(assert_return (invoke "at" (i32.const 1528)) (f64.const 64))
(assert_return (invoke "sum" (i32.const 1016) (i32.const 64)) (f64.const 4096))

;; c = b: every element doubles.
(invoke "run" (i32.const 1024) (i32.const 1024))
(assert_return (invoke "sum" (i32.const 1024) (i32.const 64)) (f64.const 4160))
