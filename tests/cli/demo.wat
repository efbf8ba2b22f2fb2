;; demo.wat -- a small module with one of everything `kiln inspect` shows: imports of three
;; kinds, a defined memory, mutable and immutable globals, exports, a start function, an
;; active element segment, active and passive data segments, and (with wat2wasm
;; --debug-names) a name section. tests/cli/run.sh compares inspect's output on it exactly.
(module $demo
  (type $binop (func (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "table" (table 2 funcref))
  (import "env" "base" (global $base i32))
  (memory (export "memory") 1 4)
  (global $counter (export "counter") (mut i32) (i32.const 42))
  (global $scale f64 (f64.const 1.5))
  (func $add (export "add") (export "plus") (type $binop)
    local.get 0
    local.get 1
    i32.add)
  (func $init (local i32 i64)
    global.get $base
    call $log)
  (start $init)
  (elem (i32.const 0) $add $init)
  (data (i32.const 16) "hello\n")
  (data "passive"))
