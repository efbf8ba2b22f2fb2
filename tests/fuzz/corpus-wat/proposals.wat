(module
  (import "m" "shared" (memory 1 2 shared))
  (memory $p i64 0 8 (pagesize 1))
  (memory $d (pagesize 65536) (data "abc"))
  (func (param i32 i64) (result i32)
    (drop (i32.atomic.rmw8.xor_u offset=1 (local.get 0) (i32.const 3)))
    (drop (i64.atomic.rmw.cmpxchg $p align=8 (i64.const 0) (local.get 1) (local.get 1)))
    (i64.atomic.store32 (local.get 0) (local.get 1))
    atomic.fence
    (drop (memory.atomic.notify offset=4 (local.get 0) (i32.const 1)))
    (drop (memory.atomic.wait64 (local.get 0) (local.get 1) (i64.const 0)))
    (i64.sub128 (local.get 1) (local.get 1) (local.get 1) (local.get 1)) drop drop
    (i64.mul_wide_u (local.get 1) (local.get 1)) drop drop
    (i32.atomic.load16_u (local.get 0))))
