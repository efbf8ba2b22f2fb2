;; hostcall.wat -- the host-call microbenchmark: run(n) calls the import "bench" "inc" n times
;; in a loop, each call taking the previous result, and returns the last. micro_kiln.c
;; compiles it twice: with "bench" sealed (a typed C function, docs/abi.md "Sealed imports")
;; and without (a kiln_host_func through the generic adapter and kiln_host_call).
(module
  (import "bench" "inc" (func $inc (param i32) (result i32)))
  (func (export "run") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $inc (local.get $acc)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
