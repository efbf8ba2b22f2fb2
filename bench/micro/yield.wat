;; yield.wat -- the tasks microbenchmark's module (docs/yield.md): `count n` calls the host
;; import env.yield n times (which suspends the task each time) and returns the sum of what
;; it was resumed with; `seven` returns 7 at once (a task's start + finish).
(module
  (import "env" "yield" (func $yield (param i32) (result i32)))
  (func (export "count") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $yield (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $more)))
    (local.get $acc))
  (func (export "seven") (result i32) (i32.const 7)))
