;; The bare-metal sample's module: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of
;; the bytes [ptr, ptr+len) of its memory, bit by bit, and fib(n) iteratively. The firmware
;; writes "123456789" at address 0 and expects crc32 = 0xCBF43926, the standard check value;
;; fib(40) = 102334155. crc32 over a range past the end of memory traps (bounds checks).
;; sum(n) adds n values it asks the host for through env.next(i): the firmware runs it as a
;; task, and env.next yields i and returns what the task was resumed with. down(n) recurses
;; without end: on a task's stack too, the stack limit stops it.
(module
  (import "env" "next" (func $next (param i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $next (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $more)))
    (local.get $acc))
  (func $down (export "down") (param i32) (result i32)
    (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "crc32") (param $ptr i32) (param $len i32) (result i32)
    (local $crc i32) (local $bit i32)
    (local.set $crc (i32.const -1))
    (block $done
      (loop $bytes
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $crc (i32.xor (local.get $crc) (i32.load8_u (local.get $ptr))))
        (local.set $bit (i32.const 8))
        (loop $bits
          (local.set $crc
            (i32.xor (i32.shr_u (local.get $crc) (i32.const 1))
                     (i32.and (i32.const 0xEDB88320)
                              (i32.sub (i32.const 0) (i32.and (local.get $crc) (i32.const 1))))))
          (local.tee $bit (i32.sub (local.get $bit) (i32.const 1)))
          (br_if $bits))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $bytes)))
    (i32.xor (local.get $crc) (i32.const -1)))
  (func (export "fib") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a)))
