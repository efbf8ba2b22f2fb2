;; threads.wast -- the threads proposal on one thread: shared memories, every class of atomic
;; access (narrow forms wrap their operands and zero-extend what they read; a narrow
;; compare-exchange compares the wrapped expected value), the order of checks (an unaligned
;; effective address traps "unaligned atomic" before its bounds are looked at, in guard-page
;; and bounds-checked mode alike), atomics on a 64-bit memory and on a second memory,
;; wait/notify without another thread (not-equal, timed out, nobody to wake, an unshared
;; memory), growth of a shared memory seen by a module importing it, and validation.

(module $M
  (memory $m (export "mem") 1 4 shared)
  (memory $u 1 1)
  (memory $w i64 1 2 shared)
  (func (export "init") (param i64) (i64.store (i32.const 0) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "load_off") (param i32) (result i32) (i32.atomic.load offset=4 (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
  (func (export "load8") (param i32) (result i64) (i64.atomic.load8_u (local.get 0)))
  (func (export "load16") (param i32) (result i32) (i32.atomic.load16_u offset=65534 (local.get 0)))
  (func (export "store16") (param i32 i64) (i64.atomic.store16 (local.get 0) (local.get 1)))
  (func (export "store32") (param i32 i64) (i64.atomic.store32 (local.get 0) (local.get 1)))
  (func (export "add8") (param i32 i32) (result i32) (i32.atomic.rmw8.add_u (local.get 0) (local.get 1)))
  (func (export "sub") (param i32 i64) (result i64) (i64.atomic.rmw.sub (local.get 0) (local.get 1)))
  (func (export "and16") (param i32 i64) (result i64) (i64.atomic.rmw16.and_u (local.get 0) (local.get 1)))
  (func (export "or32") (param i32 i64) (result i64) (i64.atomic.rmw32.or_u (local.get 0) (local.get 1)))
  (func (export "xor") (param i32 i32) (result i32) (i32.atomic.rmw.xor (local.get 0) (local.get 1)))
  (func (export "xchg16") (param i32 i32) (result i32) (i32.atomic.rmw16.xchg_u (local.get 0) (local.get 1)))
  (func (export "cas8") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cas32") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw32.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cas64") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fence") (atomic.fence))
  (func (export "u_add") (param i32 i32) (result i32) (i32.atomic.rmw.add $u (local.get 0) (local.get 1)))
  (func (export "u_load") (param i32) (result i32) (i32.load $u (local.get 0)))
  (func (export "w_cas") (param i64 i64 i64) (result i64)
    (i64.atomic.rmw.cmpxchg $w (local.get 0) (local.get 1) (local.get 2)))
  (func (export "w_load") (param i64) (result i32) (i32.atomic.load $w offset=8 (local.get 0)))
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "u_wait") (param i32) (result i32)
    (memory.atomic.wait32 $u (local.get 0) (i32.const 0) (i64.const 0)))
  (func (export "u_notify") (param i32) (result i32)
    (memory.atomic.notify $u (local.get 0) (i32.const 1)))
  (func (export "w_notify") (param i64) (result i32)
    (memory.atomic.notify $w (local.get 0) (i32.const -1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
(register "M" $M)

(invoke "init" (i64.const 0x1122334455667788))
(assert_return (invoke "load" (i32.const 0)) (i32.const 0x55667788))
(assert_return (invoke "load" (i32.const 4)) (i32.const 0x11223344))
(assert_return (invoke "load_off" (i32.const 0)) (i32.const 0x11223344))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x1122334455667788))
(assert_return (invoke "load8" (i32.const 7)) (i64.const 0x11))

;; Read-modify-writes return the old value, zero-extended; their operand wraps.
(assert_return (invoke "add8" (i32.const 0) (i32.const 0x1f9)) (i32.const 0x88))
(assert_return (invoke "load" (i32.const 0)) (i32.const 0x55667781))
(assert_return (invoke "sub" (i32.const 0) (i64.const 1)) (i64.const 0x1122334455667781))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x1122334455667780))
(assert_return (invoke "and16" (i32.const 2) (i64.const 0xffffffffffff00ff)) (i64.const 0x5566))
(assert_return (invoke "or32" (i32.const 4) (i64.const 0xf0000000000000ff)) (i64.const 0x11223344))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x112233ff00667780))
(assert_return (invoke "xor" (i32.const 0) (i32.const -1)) (i32.const 0x00667780))
(assert_return (invoke "xchg16" (i32.const 0) (i32.const 0xabcd1234)) (i32.const 0x887f))
(assert_return (invoke "load" (i32.const 0)) (i32.const 0xff991234))

;; Compare-exchange: the expected value is wrapped to the access's width before comparing.
(assert_return (invoke "cas8" (i32.const 0) (i32.const 0x1034) (i32.const 0x56)) (i32.const 0x34))
(assert_return (invoke "load" (i32.const 0)) (i32.const 0xff991256))
(assert_return (invoke "cas8" (i32.const 0) (i32.const 0x34) (i32.const 0x78)) (i32.const 0x56))
(assert_return (invoke "load" (i32.const 0)) (i32.const 0xff991256))
(assert_return (invoke "cas32" (i32.const 0) (i64.const 0x77ff991256) (i64.const 0xdeadbeef)) (i64.const 0xff991256))
(assert_return (invoke "cas64" (i32.const 0) (i64.const 0x112233ffdeadbeef) (i64.const 7)) (i64.const 0x112233ffdeadbeef))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 7))
(assert_return (invoke "cas64" (i32.const 0) (i64.const 8) (i64.const 9)) (i64.const 7))
(assert_return (invoke "store16" (i32.const 2) (i64.const 0x12345)) )
(assert_return (invoke "store32" (i32.const 4) (i64.const 0x123456789)) )
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x2345678923450007))
(assert_return (invoke "fence"))

;; Alignment of the effective address (offset included), checked before the bounds.
(assert_trap (invoke "load" (i32.const 2)) "unaligned atomic")
(assert_trap (invoke "load_off" (i32.const 1)) "unaligned atomic")
(assert_trap (invoke "load64" (i32.const 4)) "unaligned atomic")
(assert_trap (invoke "store16" (i32.const 1) (i64.const 0)) "unaligned atomic")
(assert_trap (invoke "cas64" (i32.const 12) (i64.const 0) (i64.const 0)) "unaligned atomic")
(assert_trap (invoke "load" (i32.const 65534)) "unaligned atomic")
(assert_trap (invoke "load" (i32.const -2)) "unaligned atomic")
(assert_trap (invoke "wait32" (i32.const 2) (i32.const 0) (i64.const 0)) "unaligned atomic")
(assert_trap (invoke "wait64" (i32.const 4) (i64.const 0) (i64.const 0)) "unaligned atomic")
(assert_trap (invoke "notify" (i32.const 1) (i32.const 1)) "unaligned atomic")
;; Aligned but out of bounds.
(assert_trap (invoke "load" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "load" (i32.const -4)) "out of bounds memory access")
(assert_trap (invoke "load_off" (i32.const 65532)) "out of bounds memory access")
(assert_return (invoke "load_off" (i32.const 65528)) (i32.const 0))
(assert_trap (invoke "load16" (i32.const 2)) "out of bounds memory access")
(assert_return (invoke "load16" (i32.const 0)) (i32.const 0))
(assert_trap (invoke "add8" (i32.const 65536) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "cas64" (i32.const 65536) (i64.const 0) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "wait64" (i32.const 65536) (i64.const 0) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "notify" (i32.const 65536) (i32.const 1)) "out of bounds memory access")

;; An unshared memory: atomics work, notify wakes nobody, wait traps.
(assert_return (invoke "u_add" (i32.const 8) (i32.const 5)) (i32.const 0))
(assert_return (invoke "u_load" (i32.const 8)) (i32.const 5))
(assert_trap (invoke "u_add" (i32.const 6) (i32.const 5)) "unaligned atomic")
(assert_return (invoke "u_notify" (i32.const 8)) (i32.const 0))
(assert_trap (invoke "u_wait" (i32.const 8)) "expected shared memory")

;; A 64-bit shared memory: the address is an i64, checked in full.
(assert_return (invoke "w_cas" (i64.const 8) (i64.const 0) (i64.const 0x0102030405060708)) (i64.const 0))
(assert_return (invoke "w_load" (i64.const 4)) (i32.const 0x01020304))
(assert_trap (invoke "w_load" (i64.const 65528)) "out of bounds memory access")
(assert_trap (invoke "w_load" (i64.const 0x100000000)) "out of bounds memory access")
(assert_trap (invoke "w_cas" (i64.const -8) (i64.const 0) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "w_cas" (i64.const 6) (i64.const 0) (i64.const 0)) "unaligned atomic")
(assert_return (invoke "w_notify" (i64.const 8)) (i32.const 0))

;; Wait and notify alone: a value other than the expected one, a timeout, nobody waiting.
(invoke "init" (i64.const 0x100000005))
(assert_return (invoke "wait32" (i32.const 0) (i32.const 4) (i64.const -1)) (i32.const 1))
(assert_return (invoke "wait64" (i32.const 0) (i64.const 5) (i64.const -1)) (i32.const 1))
(assert_return (invoke "wait32" (i32.const 0) (i32.const 5) (i64.const 0)) (i32.const 2))
(assert_return (invoke "wait32" (i32.const 0) (i32.const 5) (i64.const 1000000)) (i32.const 2))
(assert_return (invoke "wait64" (i32.const 0) (i64.const 0x100000005) (i64.const 1000)) (i32.const 2))
(assert_return (invoke "notify" (i32.const 0) (i32.const 0)) (i32.const 0))
(assert_return (invoke "notify" (i32.const 0) (i32.const -1)) (i32.const 0))

;; A module importing the shared memory sees the same bytes and its growth.
(module $N
  (import "M" "mem" (memory 1 4 shared))
  (func (export "peek") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
(assert_return (invoke $N "peek" (i32.const 0)) (i32.const 5))
(assert_trap (invoke $N "peek" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke $M "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke $N "size") (i32.const 2))
(invoke $N "poke" (i32.const 65536) (i32.const 42))
(assert_return (invoke $M "load" (i32.const 65536)) (i32.const 42))
(assert_return (invoke $N "grow" (i32.const 2)) (i32.const 2))
(assert_return (invoke $M "size") (i32.const 4))
(assert_return (invoke $M "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke $N "peek" (i32.const 262140)) (i32.const 0))
(assert_trap (invoke $N "peek" (i32.const 262144)) "out of bounds memory access")

;; Linking: shared only to shared, and the limits as for any memory.
(assert_unlinkable
  (module (import "M" "mem" (memory 1 4)))
  "incompatible import type")
(assert_unlinkable
  (module (import "M" "mem" (memory 1 3 shared)))
  "incompatible import type")
(module (import "M" "mem" (memory 0 8 shared)))

;; Validation.
(assert_invalid (module (memory 1 shared)) "shared memory must have maximum")
(assert_invalid (module (memory i64 1 shared)) "shared memory must have maximum")
(assert_invalid
  (module (memory 1 1 shared) (func (drop (i32.atomic.load align=2 (i32.const 0)))))
  "atomic alignment must be natural")
(assert_invalid
  (module (memory 1 1 shared) (func (drop (i64.atomic.rmw8.add_u align=2 (i32.const 0) (i64.const 0)))))
  "atomic alignment must be natural")
(assert_invalid
  (module (memory 1 1 shared) (func (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i32.const 0)))))
  "type mismatch")
(assert_invalid
  (module (func (atomic.fence) (drop (i32.atomic.load (i32.const 0)))))
  "unknown memory")
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"       ;; type: [] -> []
    "\03\02\01\00"             ;; one function
    "\0a\07\01\05\00\fe\03\01\0b") ;; atomic.fence with reserved byte 1
  "zero byte expected")
