;; memories.wat -- several memories, one of them 64-bit (multi-memory, memory64), for
;; memories_e2e.c: accesses, bulk operations between memories, size/grow and the bounds of each.
(module
  (memory $small (export "small") 1 1)
  (memory $big (export "big") i64 2 4)
  (memory $data 1)
  (data (memory $data) (i32.const 100) "kiln")
  (data (memory $big) (i64.const 0x1fffc) "wxyz")

  (func (export "load_small") (param i32) (result i32) (i32.load $small (local.get 0)))
  (func (export "store_small") (param i32 i32) (i32.store $small (local.get 0) (local.get 1)))
  (func (export "load_big") (param i64) (result i32) (i32.load $big (local.get 0)))
  (func (export "load_big_off") (param i64) (result i32)
    (i32.load8_u $big offset=0xffffffff (local.get 0)))
  (func (export "store_big") (param i64 i64) (i64.store $big (local.get 0) (local.get 1)))
  (func (export "load_data") (param i32) (result i32) (i32.load8_u $data (local.get 0)))
  ;; data (i32 addresses) -> big (i64): the length is an i32
  (func (export "copy_data_to_big") (param i64 i32 i32)
    (memory.copy $big $data (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_big_to_small") (param i32 i64 i32)
    (memory.copy $small $big (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_big") (param i64 i32 i64)
    (memory.fill $big (local.get 0) (local.get 1) (local.get 2)))
  (func (export "size_big") (result i64) (memory.size $big))
  (func (export "grow_big") (param i64) (result i64) (memory.grow $big (local.get 0)))
  (func (export "size_data") (result i32) (memory.size $data))
  (func (export "grow_small") (param i32) (result i32) (memory.grow $small (local.get 0)))
  ;; the same value through every memory: small[a] = data[b]; big[c] = small[a]; big[c]
  (func (export "chain") (param i32 i32 i64) (result i32)
    (i32.store8 $small (local.get 0) (i32.load8_u $data (local.get 1)))
    (i32.store8 $big (local.get 2) (i32.load8_u $small (local.get 0)))
    (i32.load8_u $big (local.get 2)))
)
