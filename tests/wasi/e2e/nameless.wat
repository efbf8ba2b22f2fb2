;; nameless.wat -- a WASI command without a name section (wat2wasm without --debug-names)
;; whose traps must still be attributed: function 1 (imports count; not exported, so "#1")
;; divides by zero when argc is 1, and the exported _start itself (named by its export)
;; executes unreachable when argc is 2. Built with wat2wasm at build time.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $divide (param i32) (result i32)
    (i32.div_u (i32.const 100) (local.get 0)))
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.eq (i32.load (i32.const 0)) (i32.const 2))
      (then unreachable))
    (drop (call $divide (i32.sub (i32.load (i32.const 0)) (i32.const 1))))))
