;; tail_calls.wast -- return_call and return_call_indirect as real tail calls (docs/abi.md,
;; "Functions"): 10^8 rounds of mutual recursion in constant stack, between functions whose
;; signatures differ (more arguments than the registers hold, floats, v128), directly, through
;; tables, across modules and instances, with several results, and into a host function.
;; Without real tail calls each of these exhausts the stack and traps.

;; One instance: a -> b (direct, 12 more arguments: some on the stack) -> c (indirect) -> a.
;; Each round adds 10 (b's ten 1s) + 1 (f64) + 1 (v128 lane 0) + 7 (c's i32) = 19.
(module
  (type $A (func (param i64 i64) (result i64)))
  (type $C (func (param i64 i32 i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $c)
  (func $a (export "a") (type $A)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else
        (return_call $b (i64.sub (local.get 0) (i64.const 1)) (local.get 1)
          (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1)
          (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1)
          (f64.const 1.0) (v128.const i64x2 1 0)))))
  (func $b (param $n i64) (param $acc i64)
           (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (param f64) (param v128) (result i64)
    (return_call_indirect (type $C)
      (local.get $n)
      (i32.const 7)
      (i64.add (local.get $acc)
        (i64.add
          (i64.add
            (i64.add (i64.add (local.get 2) (local.get 3)) (i64.add (local.get 4) (local.get 5)))
            (i64.add (i64.add (local.get 6) (local.get 7)) (i64.add (local.get 8) (local.get 9))))
          (i64.add
            (i64.add (local.get 10) (local.get 11))
            (i64.add (i64.trunc_f64_s (local.get 12)) (i64x2.extract_lane 0 (local.get 13))))))
      (i32.const 0)))
  (func $c (type $C)
    (return_call $a (local.get 0) (i64.add (local.get 2) (i64.extend_i32_u (local.get 1)))))

  ;; Self-recursion through the table and a countdown with a parameter on the stack.
  (type $S (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)))
  (table $self 1 funcref)
  (elem (table $self) (i32.const 0) $s)
  (func $s (export "s") (type $S)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 9))
      (else
        (return_call_indirect $self (type $S)
          (i64.sub (local.get 0) (i64.const 1)) (local.get 1) (local.get 2) (local.get 3)
          (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8)
          (i64.add (local.get 9) (local.get 8))
          (i32.const 0)))))

  ;; Several results (through the caller's results pointer): ping and pong differ in their
  ;; parameters, share the results.
  (func $ping (export "ping") (param $n i32) (param $x f64) (result i32 i64 f64)
    (if (result i32 i64 f64) (i32.eqz (local.get $n))
      (then (i32.const -1) (i64.const 42) (local.get $x))
      (else (return_call $pong (local.get $x) (i32.sub (local.get $n) (i32.const 1))
                               (i64.const 3) (i64.const 4) (i64.const 5) (i64.const 6)
                               (i64.const 7) (i64.const 8) (i64.const 9)))))
  (func $pong (param $x f64) (param $n i32) (param i64 i64 i64 i64 i64 i64 i64)
              (result i32 i64 f64)
    (return_call $ping (local.get $n) (f64.add (local.get $x) (f64.const 0.5))))

  ;; A trap in a tail-called function is reported as in any other call.
  (func $boom (param i32) (result i32) (unreachable))
  (func (export "boom") (result i32) (return_call $boom (i32.const 1)))
  (func $div (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32)
    (return_call $div (local.get 0) (local.get 1)))
)
(assert_return (invoke "a" (i64.const 0) (i64.const 5)) (i64.const 5))
(assert_return (invoke "a" (i64.const 1) (i64.const 0)) (i64.const 19))
(assert_return (invoke "a" (i64.const 100000000) (i64.const 0)) (i64.const 1900000000))
(assert_return (invoke "s" (i64.const 100000000) (i64.const 0) (i64.const 0) (i64.const 0)
                           (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0)
                           (i64.const 3) (i64.const 1))
               (i64.const 300000001))
(assert_return (invoke "ping" (i32.const 0) (f64.const 1.25))
               (i32.const -1) (i64.const 42) (f64.const 1.25))
(assert_return (invoke "ping" (i32.const 10000000) (f64.const 0))
               (i32.const -1) (i64.const 42) (f64.const 5000000))
(assert_trap (invoke "boom") "unreachable")
(assert_return (invoke "div" (i32.const 7) (i32.const 2)) (i32.const 3))
(assert_trap (invoke "div" (i32.const 7) (i32.const 0)) "integer divide by zero")

;; Across instances: $M1's even tail-calls its table slot 1, which $M2 fills with its own odd;
;; odd tail-calls $M1's even through its import. 10^8 crossings each way.
(module $M1
  (type $E (func (param i64 i64) (result i64)))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $even)
  (func $even (export "even") (type $E)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call_indirect (type $E)
              (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2))
              (i32.const 1)))))
)
(register "M1" $M1)
(module $M2
  (type $E (func (param i64 i64) (result i64)))
  (import "M1" "even" (func $even (type $E)))
  (import "M1" "table" (table 2 funcref))
  (elem (i32.const 1) $odd)
  (func $odd (type $E)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.sub (i64.const 0) (local.get 1)))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))
                               (i64.add (local.get 1) (i64.const 1))))))
  (func (export "run") (param i64) (result i64) (return_call $even (local.get 0) (i64.const 0)))
)
(assert_return (invoke $M2 "run" (i64.const 0)) (i64.const 0))
(assert_return (invoke $M2 "run" (i64.const 1)) (i64.const -2))
(assert_return (invoke $M2 "run" (i64.const 100000000)) (i64.const 150000000))
(assert_return (invoke $M2 "run" (i64.const 100000001)) (i64.const -150000002))

;; Into a host function: the import's adapter returns straight to the caller's caller.
(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (func (export "print") (param i32) (return_call $print (local.get 0)))
  (func $loop (export "loop") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call $loop (i32.sub (local.get 0) (i32.const 1))))))
)
(assert_return (invoke "print" (i32.const 7)))
(assert_return (invoke "loop" (i32.const 100000000)) (i32.const 0))

;; Validation: the callee's results must be the caller's.
(assert_invalid
  (module (func $f (result i64) (i64.const 0)) (func (result i32) (return_call $f)))
  "type mismatch")
(assert_invalid
  (module (func $f (result i32 i32) (i32.const 0) (i32.const 0))
          (func (result i32) (return_call $f)))
  "type mismatch")
(assert_invalid
  (module (type $t (func (result i64))) (table 1 funcref)
          (func (result i32) (return_call_indirect (type $t) (i32.const 0))))
  "type mismatch")
(assert_invalid
  (module (func $f (param i32)) (func (return_call $f (i64.const 0))))
  "type mismatch")
(assert_invalid (module (func (return_call 3))) "unknown function")
(assert_invalid
  (module (table 1 externref) (type $t (func))
          (func (return_call_indirect (type $t) (i32.const 0))))
  "type mismatch")
