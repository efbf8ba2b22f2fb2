;; interrupt.wat -- code that runs until it is stopped, for interrupt_loop.c.
;;   spin      `loop br`: the tightest loop there is (one back-edge check per iteration)
;;   fib N     doubly recursive, no loop at all: only the entry checks of a calling function
;;             can stop it (fib 40 runs for seconds)
;;   tail_spin mutual tail calls (return_call, return_call_indirect) that never end, in
;;             constant stack, with no loop in the Wasm
;;   count N   a loop that ends: its result shows interrupted instances still compute
;;   sleep_on  calls the host import env.wait, which waits while no stop is pending
(module
  (import "env" "wait" (func $wait))
  (memory 1)
  (func (export "spin") (loop $l (br $l)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (type $v (func))
  (table 1 funcref)
  (elem (i32.const 0) $tail_pong)
  (func $tail_ping (export "tail_spin") (return_call_indirect (type $v) (i32.const 0)))
  (func $tail_pong (return_call $tail_ping))
  (func (export "count") (param i32) (result i32) (local i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get 1))
  (func (export "sleep_on") (call $wait) (loop $l (br $l))))
