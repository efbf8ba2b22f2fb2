;; hot.wat -- a WASI command that spends its time in one named function, hot_loop (about
;; 0.7 s built with -O0, which keeps it a function of its own), for the profiler test
;; (test_perf.sh: perf report shows the guest's name).
(module
  (memory (export "memory") 1)
  (global $seed (mut i32) (i32.const 1))
  (func $hot_loop (param $n i32) (result i32)
    (local $x i32)
    (local.set $x (global.get $seed))
    (loop $again
      ;; xorshift32: a dependency chain the optimiser cannot fold
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $x))
  (func $_start (export "_start")
    (global.set $seed (call $hot_loop (i32.const 400000000))))
)
