;; threads_wait.wast -- memory.atomic.wait32/64 and memory.atomic.notify between real
;; threads. A waiter announces itself (an atomic increment) and then waits with no timeout;
;; the notifier spins until it sees the announcement, then notifies until notify reports that
;; it woke someone (the waiter may not be queued yet when the announcement shows). So wait
;; must return 0 ("ok") and the notify that ended the loop 1, exactly, and the script only
;; finishes if the waiter really blocks while the notifier runs. Then: the main script as the
;; notifier, wait64, two waiters woken by one notify of count 2, a notify of count 0 that
;; wakes nobody, timeouts (2) and a value that differs (1), and a race decided by `either`.

;; The counter of announced waiters is at 4; waiters wait on 0 (wait32) and 8 (wait64).
(module $Mem (memory (export "shared") 1 1 shared))
(register "mem" $Mem)

(module definition $Waiter
  (memory (import "mem" "shared") 1 1 shared)
  (func (export "wait32") (param $addr i32) (result i32)
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (memory.atomic.wait32 (local.get $addr) (i32.const 0) (i64.const -1)))
  (func (export "wait64") (param $addr i32) (result i32)
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (memory.atomic.wait64 (local.get $addr) (i64.const 0) (i64.const -1)))
  ;; a timed wait on a value nobody changes: 2 after at least timeout ns
  (func (export "wait_timeout") (param $addr i32) (param $timeout i64) (result i32)
    (memory.atomic.wait32 (local.get $addr) (i32.const 0) (local.get $timeout)))
  ;; a wait for a value the memory does not hold: 1 at once
  (func (export "wait_ne") (param $addr i32) (result i32)
    (memory.atomic.wait64 (local.get $addr) (i64.const 7) (i64.const -1)))
  (func (export "reset") (i32.atomic.store (i32.const 4) (i32.const 0))))

(module definition $Notifier
  (memory (import "mem" "shared") 1 1 shared)
  ;; spins until $n waiters have announced themselves
  (func $announced (param $n i32)
    (loop $spin (br_if $spin (i32.lt_u (i32.atomic.load (i32.const 4)) (local.get $n)))))
  ;; then notifies until one is woken: the result of the last notify (1)
  (func (export "wake_one") (param $addr i32) (result i32)
    (local $woken i32)
    (call $announced (i32.const 1))
    (loop $retry
      (local.set $woken (memory.atomic.notify (local.get $addr) (i32.const 1)))
      (br_if $retry (i32.eqz (local.get $woken))))
    (local.get $woken))
  ;; waits for $n announcements, then notifies up to $n at a time until $n were woken:
  ;; how many were woken in all ($n)
  (func (export "wake_all") (param $addr i32) (param $n i32) (result i32)
    (local $woken i32)
    (call $announced (local.get $n))
    (loop $retry
      (local.set $woken
        (i32.add (local.get $woken)
          (memory.atomic.notify (local.get $addr) (i32.sub (local.get $n) (local.get $woken)))))
      (br_if $retry (i32.lt_u (local.get $woken) (local.get $n))))
    (local.get $woken))
  (func (export "notify") (param $addr i32) (param $count i32) (result i32)
    (memory.atomic.notify (local.get $addr) (local.get $count))))

;; wait32 between two threads
(thread $T1 (shared (module $Mem)) (shared (module $Waiter))
  (register "mem" $Mem)
  (module instance $Waiter)
  (assert_return (invoke "wait32" (i32.const 0)) (i32.const 0)))
(thread $T2 (shared (module $Mem)) (shared (module $Notifier))
  (register "mem" $Mem)
  (module instance $Notifier)
  ;; nobody is woken by a count of 0, whether the waiter is queued yet or not
  (assert_return (invoke "notify" (i32.const 0) (i32.const 0)) (i32.const 0))
  (assert_return (invoke "wake_one" (i32.const 0)) (i32.const 1)))
(wait $T1)
(wait $T2)

;; wait64, the main script notifying
(module instance $W $Waiter)
(assert_return (invoke $W "reset"))
(thread $T64 (shared (module $Mem)) (shared (module $Waiter))
  (register "mem" $Mem)
  (module instance $Waiter)
  (assert_return (invoke "wait64" (i32.const 8)) (i32.const 0)))
(module instance $N $Notifier)
(assert_return (invoke $N "wake_one" (i32.const 8)) (i32.const 1))
(wait $T64)

;; two waiters on one address, woken by notifies of count 2
(assert_return (invoke $W "reset"))
(thread $A (shared (module $Mem)) (shared (module $Waiter))
  (register "mem" $Mem)
  (module instance $Waiter)
  (assert_return (invoke "wait32" (i32.const 16)) (i32.const 0)))
(thread $B (shared (module $Mem)) (shared (module $Waiter))
  (register "mem" $Mem)
  (module instance $Waiter)
  (assert_return (invoke "wait32" (i32.const 16)) (i32.const 0)))
(assert_return (invoke $N "wake_all" (i32.const 16) (i32.const 2)) (i32.const 2))
(wait $B)
(wait $A)
;; nobody waits any more
(assert_return (invoke $N "notify" (i32.const 16) (i32.const 2)) (i32.const 0))

;; timeouts and values that differ, in a thread: 2 and 1
(thread $Timed (shared (module $Mem)) (shared (module $Waiter))
  (register "mem" $Mem)
  (module instance $Waiter)
  (assert_return (invoke "wait_timeout" (i32.const 24) (i64.const 10000000)) (i32.const 2))
  (assert_return (invoke "wait_timeout" (i32.const 24) (i64.const 0)) (i32.const 2))
  (assert_return (invoke "wait_ne" (i32.const 24)) (i32.const 1)))
(wait $Timed)

;; A race: the waiter gives up after 50 ms, the notifier notifies once it has seen the
;; announcement, which may be before the waiter is queued or after it gave up. Either the
;; waiter was woken (0) and the notify woke it (1), or not (2, and 0 or 1).
(assert_return (invoke $W "reset"))
(module definition $Racer
  (memory (import "mem" "shared") 1 1 shared)
  (func (export "wait") (result i32)
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (memory.atomic.wait32 (i32.const 32) (i32.const 0) (i64.const 50000000)))
  (func (export "notify") (result i32)
    (loop $spin (br_if $spin (i32.eqz (i32.atomic.load (i32.const 4)))))
    (memory.atomic.notify (i32.const 32) (i32.const 1))))
(thread $R1 (shared (module $Mem)) (shared (module $Racer))
  (register "mem" $Mem)
  (module instance $Racer)
  (assert_return (invoke "wait") (either (i32.const 0) (i32.const 2))))
(thread $R2 (shared (module $Mem)) (shared (module $Racer))
  (register "mem" $Mem)
  (module instance $Racer)
  (assert_return (invoke "notify") (either (i32.const 0) (i32.const 1))))
(wait $R1)
(wait $R2)
