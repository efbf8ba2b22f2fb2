;; geometry.wat -- integer geometry, written by hand in the WebAssembly text format.
(module
  ;; Squared length of the vector (x, y).
  (func (export "norm2") (param $x i64) (param $y i64) (result i64)
    (i64.add (i64.mul (local.get $x) (local.get $x))
             (i64.mul (local.get $y) (local.get $y))))
  ;; Twice the signed area of the triangle (ax, ay), (bx, by), (cx, cy).
  (func (export "area2") (param $ax i64) (param $ay i64) (param $bx i64) (param $by i64)
                         (param $cx i64) (param $cy i64) (result i64)
    (i64.sub
      (i64.mul (i64.sub (local.get $bx) (local.get $ax)) (i64.sub (local.get $cy) (local.get $ay)))
      (i64.mul (i64.sub (local.get $by) (local.get $ay)) (i64.sub (local.get $cx) (local.get $ax)))))
  ;; Integer square root (floor), by Newton's method; traps on a negative input.
  (func (export "isqrt") (param $n i64) (result i64)
    (local $x i64) (local $y i64)
    (if (i64.lt_s (local.get $n) (i64.const 0)) (then unreachable))
    (if (i64.lt_s (local.get $n) (i64.const 2)) (then (return (local.get $n))))
    (local.set $x (local.get $n))
    (local.set $y (i64.shr_u (i64.add (local.get $x) (i64.const 1)) (i64.const 1)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $y) (local.get $x)))
        (local.set $x (local.get $y))
        (local.set $y (i64.shr_u (i64.add (local.get $x) (i64.div_u (local.get $n) (local.get $x)))
                                 (i64.const 1)))
        (br $next)))
    (local.get $x)))
