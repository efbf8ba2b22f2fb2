;; yield.wat -- a guest whose calls suspend through a host import, for yield_loop.c (tasks:
;; kiln_task_start, kiln_yield, kiln_task_resume).
;;   run N K              yields N*1000+i for i = 0..K-1 through env.yield and returns N plus
;;                        the sum of the values it was resumed with
;;   yield_then_trap KIND yields KIND, then traps: 0 unreachable, 1 an out-of-bounds load (a
;;                        guard-page fault, or the bounds check), 2 division by the resumed value
;;   yield_then_recurse   yields 7, then recurses without end: call stack exhausted
;;   yield_then_spin      yields 9, then loops until it is interrupted
;;   spin                 loops until it is interrupted (no call, no yield)
;;   outer X              env.call_back(X) + 100000: the host calls `inner` X with kiln_call
;;   inner X              2 * env.yield(X): a yield nested in a host function's call into wasm
;;   host_deep N          env.deep(N): host code recursing N KiB deep on the task's stack
;;   store A V            writes V at A and returns what is there
(module
  (import "env" "yield" (func $yield (param i32) (result i32)))
  (import "env" "call_back" (func $call_back (param i32) (result i32)))
  (import "env" "deep" (func $deep_host (param i32) (result i32)))
  (memory 1 1)
  (func (export "run") (param $n i32) (param $k i32) (result i32) (local $i i32) (local $acc i32)
    (local.set $acc (local.get $n))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $k)))
      (local.set $acc (i32.add (local.get $acc)
        (call $yield (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $acc))
  (func (export "yield_then_trap") (param $kind i32) (result i32) (local $v i32)
    (local.set $v (call $yield (local.get $kind)))
    (if (i32.eqz (local.get $kind)) (then unreachable))
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (return (i32.load (i32.const 0x7fff0000)))))
    (i32.div_s (i32.const 1) (local.get $v)))
  (func $recurse (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "yield_then_recurse") (result i32)
    (drop (call $yield (i32.const 7)))
    (call $recurse (i32.const 0)))
  (func (export "yield_then_spin") (result i32)
    (drop (call $yield (i32.const 9)))
    (loop $l (br $l))
    (i32.const 0))
  (func (export "spin") (loop $l (br $l)))
  (func (export "outer") (param i32) (result i32)
    (i32.add (call $call_back (local.get 0)) (i32.const 100000)))
  (func (export "inner") (param i32) (result i32)
    (i32.mul (call $yield (local.get 0)) (i32.const 2)))
  (func (export "host_deep") (param i32) (result i32) (call $deep_host (local.get 0)))
  (func (export "store") (param i32 i32) (result i32)
    (i32.store (local.get 0) (local.get 1))
    (i32.load (local.get 0))))
