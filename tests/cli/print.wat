;; print.wat -- a module with every section and segment form, for `kiln inspect --wat`
;; (test_inspect_wat.sh compares its printed text exactly).
(module
  (type $unary (func (param i32) (result i32)))
  (type $pair (func (param i64 f32) (result f64 v128)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "tab" (table 1 funcref))
  (import "env" "mem" (memory 1 2))
  (import "env" "g" (global $imported f64))
  (import "env" "base" (global $base i32))
  (table $t2 2 10 externref)
  (table $t3 1 funcref)
  (global $counter (mut i32) (i32.const -7))
  (global $bits f32 (f32.const -0x1.fffffep+127))
  (global $tiny f64 (f64.const 0x0.0000000000001p-1022))
  (global $nan f32 (f32.const -nan:0x200000))
  (global $ref funcref (ref.func $id))
  (func $id (export "id") (type $unary) (local.get 0))
  (func $work (param $n i32) (param i64) (result i32) (local $acc i32) (local f64 f64) (local v128)
    block $out (result i32)
      loop $again
        local.get $acc
        local.get $n
        br_if $out
        drop
        block $inner
          local.get $n
          br_table $inner $again $inner
        end
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $again
      end
      i32.const 0
    end
    if (result i32)
      i32.const 1
    else
      i32.const 2
    end
    i32.load8_u offset=16
    i64.load32_s offset=4 align=2
    drop
    local.get 0
    local.get 0
    local.get 0
    i32.const 1
    select (result i32)
    call_indirect (type $unary)
    i32.const 0
    call_indirect $t3 (type $unary)
    drop
    v128.const i32x4 1 -1 0x7fffffff 0
    v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
    i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
    drop
    i32.const 0
    v128.const f32x4 1.5 -0 nan inf
    v128.load16_lane offset=2 align=1 5
    i32x4.extract_lane 3
    drop
    i32.const 0 i32.const 0 i32.const 0 memory.init 1
    data.drop 1
    i32.const 0 i32.const 0 i32.const 0 memory.copy
    i32.const 0 i32.const 0 i32.const 0 table.init 0 2
    elem.drop 3
    i32.const 0 i32.const 0 i32.const 0 table.copy 1 1
    ref.null extern
    i32.const 1
    table.grow 1
    memory.size
    i32.add
    drop
    f64.const inf
    f64.const -0
    f64.min
    drop
    i64.const -9223372036854775808
    drop
    local.get $acc
    return)
  (export "work" (func $work))
  (export "mem" (memory 0))
  (export "counter" (global $counter))
  (start $id2)
  (func $id2)
  (elem (i32.const 0) $id $work)
  (elem (table 1) (i32.const 1) externref (ref.null extern))
  (elem funcref (ref.func $id) (ref.null func))
  (elem declare func $id2)
  (elem (table 0) (offset global.get $base) funcref (ref.null func))
  (elem func $id $work)
  (elem (table $t3) (i32.const 0) func $id)
  (elem declare funcref (ref.null func))
  (data (i32.const 16) "hello\n\"\\\ff")
  (data "passive")
  (data (offset i32.const 100) "0123456789abcdefghijklmnopqrstuvwxyz"))
