;; threads_mp.wast -- the threads proposal's script commands, run on real host threads:
;; message passing (MP) with sequentially consistent atomics, where the reader is started
;; before the writer and spins, so the script only finishes if the threads run at once; a
;; ping-pong of 2 x 2000 turns between two threads; store buffering (SB) and load buffering
;; (LB) litmus tests whose forbidden outcomes `either` leaves out; and SB repeated 1000
;; times behind a spin barrier, counting the forbidden outcome (it must never happen).
;; Results are stored as value + 1, so a thread that did not run never passes for one that
;; read 0. Each thread has a registry of its own, which starts empty: it registers what it
;; imports, and so does the script.

(module $Mem (memory (export "shared") 1 1 shared))

;; MP: the reader first. It spins until the flag is set, then must see the data.
(thread $Reader (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (result i32)
      (loop $spin (br_if $spin (i32.eqz (i32.atomic.load (i32.const 4)))))
      (i32.store (i32.const 16) (i32.add (i32.atomic.load (i32.const 0)) (i32.const 1)))
      (i32.atomic.load (i32.const 0))))
  (assert_return (invoke "run") (i32.const 42)))

(thread $Writer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 0) (i32.const 42))
      (i32.atomic.store (i32.const 4) (i32.const 1))))
  (invoke "run"))

(wait $Reader)
(wait $Writer)

(register "mem" $Mem)
(module $Check
  (memory (import "mem" "shared") 1 1 shared)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(assert_return (invoke $Check "load" (i32.const 16)) (i32.const 43))
(assert_return (invoke $Check "load" (i32.const 4)) (i32.const 1))

;; Ping-pong: $Odd turns an even counter odd, $Even an odd one even, 2000 times each; each
;; waits for the other in between, so the counter ends at 4000 only if both ran at once.
;; Each thread defines its own module; both share $Pp's memory by name.
(module $Pp (memory (export "pp") 1 1 shared))
(register "pp" $Pp)

(thread $Odd (shared (module $Pp))
  (register "pp" $Pp)
  (module
    (memory (import "pp" "pp") 1 1 shared)
    (func (export "run") (result i32)
      (local $i i32)
      (loop $turn
        ;; wait for an even counter, then make it odd
        (loop $spin (br_if $spin (i32.and (i32.atomic.load (i32.const 0)) (i32.const 1))))
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $turn (i32.lt_u (local.get $i) (i32.const 2000))))
      (local.get $i)))
  (assert_return (invoke "run") (i32.const 2000)))

(thread $Even (shared (module $Pp))
  (register "pp" $Pp)
  (module
    (memory (import "pp" "pp") 1 1 shared)
    (func (export "run") (result i32)
      (local $i i32)
      (loop $turn
        (loop $spin (br_if $spin (i32.eqz (i32.and (i32.atomic.load (i32.const 0)) (i32.const 1)))))
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $turn (i32.lt_u (local.get $i) (i32.const 2000))))
      (local.get $i)))
  (assert_return (invoke "run") (i32.const 2000)))

(wait $Even)
(wait $Odd)
(module (memory (import "pp" "pp") 1 1 shared)
  (func (export "count") (result i32) (i32.atomic.load (i32.const 0))))
(assert_return (invoke "count") (i32.const 4000))

;; SB: x at 0, y at 4; $T1 stores x and reads y into 24, $T2 stores y and reads x into 32.
;; With seq-cst atomics at least one of them sees the other's store: r1 = r2 = 0 is
;; forbidden. check returns (r1 + 1) * 10 + (r2 + 1).
(module $SB (memory (export "shared") 1 1 shared))

(thread $T1 (shared (module $SB))
  (register "sb" $SB)
  (module
    (memory (import "sb" "shared") 1 1 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 0) (i32.const 1))
      (i32.store (i32.const 24) (i32.add (i32.atomic.load (i32.const 4)) (i32.const 1)))))
  (invoke "run"))

(thread $T2 (shared (module $SB))
  (register "sb" $SB)
  (module
    (memory (import "sb" "shared") 1 1 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 4) (i32.const 1))
      (i32.store (i32.const 32) (i32.add (i32.atomic.load (i32.const 0)) (i32.const 1)))))
  (invoke "run"))

(wait $T1)
(wait $T2)

(register "sb" $SB)
(module $SBCheck
  (memory (import "sb" "shared") 1 1 shared)
  (func (export "check") (result i32)
    (i32.add (i32.mul (i32.load (i32.const 24)) (i32.const 10)) (i32.load (i32.const 32)))))
(assert_return (invoke $SBCheck "check") (either (i32.const 12) (i32.const 21) (i32.const 22)))

;; LB: $T1 reads x into 24 and stores y, $T2 reads y into 32 and stores x. Both reads
;; seeing the other's store (r1 = r2 = 1) is forbidden.
(module $LB (memory (export "shared") 1 1 shared))

(thread $T1 (shared (module $LB))
  (register "lb" $LB)
  (module
    (memory (import "lb" "shared") 1 1 shared)
    (func (export "run")
      (i32.store (i32.const 24) (i32.add (i32.atomic.load (i32.const 0)) (i32.const 1)))
      (i32.atomic.store (i32.const 4) (i32.const 1))))
  (invoke "run"))

(thread $T2 (shared (module $LB))
  (register "lb" $LB)
  (module
    (memory (import "lb" "shared") 1 1 shared)
    (func (export "run")
      (i32.store (i32.const 32) (i32.add (i32.atomic.load (i32.const 4)) (i32.const 1)))
      (i32.atomic.store (i32.const 0) (i32.const 1))))
  (invoke "run"))

(wait $T2)
(wait $T1)

(register "lb" $LB)
(module $LBCheck
  (memory (import "lb" "shared") 1 1 shared)
  (func (export "check") (result i32)
    (i32.add (i32.mul (i32.load (i32.const 24)) (i32.const 10)) (i32.load (i32.const 32)))))
(assert_return (invoke $LBCheck "check") (either (i32.const 11) (i32.const 12) (i32.const 21)))

;; SB 1000 times: round i uses fresh x, y at 1024 + 16 i and 1028 + 16 i, and the results
;; at 1032 + 16 i (r1 + 1) and 1036 + 16 i (r2 + 1). Before each round both threads meet at a
;; spin barrier (the counter at 8 reaches 2 (i + 1)), so their stores and loads overlap.
;; Each thread instantiates the shared definition $SBRound: an instance of its own.
(module $SBMem (memory (export "shared") 1 1 shared))
(register "sbloop" $SBMem)
(module definition $SBRound
  (memory (import "sbloop" "shared") 1 1 shared)
  (func $round (param $i i32) (param $mine i32) (param $theirs i32) (param $out i32)
    (local $base i32)
    (local.set $base (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 4))))
    (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 1)))
    (loop $barrier
      (br_if $barrier
        (i32.lt_u (i32.atomic.load (i32.const 8))
                  (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 1)))))
    (i32.atomic.store (i32.add (local.get $base) (local.get $mine)) (i32.const 1))
    (i32.store (i32.add (local.get $base) (local.get $out))
      (i32.add (i32.atomic.load (i32.add (local.get $base) (local.get $theirs))) (i32.const 1))))
  ;; x at offset 0 of the round, y at 4; r1 at 8, r2 at 12
  (func (export "run1") (result i32)
    (local $i i32)
    (loop $next
      (call $round (local.get $i) (i32.const 0) (i32.const 4) (i32.const 8))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000))))
    (local.get $i))
  (func (export "run2") (result i32)
    (local $i i32)
    (loop $next
      (call $round (local.get $i) (i32.const 4) (i32.const 0) (i32.const 12))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000))))
    (local.get $i))
  ;; the rounds with outcome r = (r1 + 1) * 10 + r2 + 1
  (func $rounds (export "rounds") (param $r i32) (result i32)
    (local $i i32) (local $n i32) (local $base i32)
    (loop $next
      (local.set $base (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 4))))
      (local.set $n
        (i32.add (local.get $n)
          (i32.eq (local.get $r)
            (i32.add (i32.mul (i32.load offset=8 (local.get $base)) (i32.const 10))
                     (i32.load offset=12 (local.get $base))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000))))
    (local.get $n))
  (func (export "allowed") (result i32)
    (i32.add (i32.add (call $rounds (i32.const 12)) (call $rounds (i32.const 21)))
             (call $rounds (i32.const 22)))))

(thread $A (shared (module $SBMem)) (shared (module $SBRound))
  (register "sbloop" $SBMem)
  (module instance $SBRound)
  (assert_return (invoke "run1") (i32.const 1000)))
(thread $B (shared (module $SBMem)) (shared (module $SBRound))
  (register "sbloop" $SBMem)
  (module instance $SBRound)
  (assert_return (invoke "run2") (i32.const 1000)))
(wait $A)
(wait $B)
(module instance $SBCount $SBRound)
(assert_return (invoke $SBCount "rounds" (i32.const 11)) (i32.const 0))
(assert_return (invoke $SBCount "allowed") (i32.const 1000))
(assert_return (invoke $SBCount "rounds" (i32.const 0)) (i32.const 0))

;; Nested threads: $Outer starts $Inner and waits for it, then sees its store; $Inner shares
;; the module $Outer was given.
(module $NMem (memory (export "shared") 1 1 shared))
(thread $Outer (shared (module $NMem))
  (register "n" $NMem)
  (thread $Inner (shared (module $NMem))
    (register "n" $NMem)
    (module (memory (import "n" "shared") 1 1 shared)
      (func (export "put") (i32.atomic.store (i32.const 0) (i32.const 7))))
    (invoke "put"))
  (wait $Inner)
  (module (memory (import "n" "shared") 1 1 shared)
    (func (export "get") (result i32) (i32.atomic.load (i32.const 0))))
  (assert_return (invoke "get") (i32.const 7)))
(wait $Outer)
;; The threads registered "n" in their own registries, not the script's.
(assert_unlinkable (module (memory (import "n" "shared") 1 1 shared)) "unknown import")
