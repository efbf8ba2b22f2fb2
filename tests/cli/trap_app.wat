;; trap_app.wat -- a WASI command that calls trap_lib.wat's export, which traps
;; (test_backtrace.sh: frames of two modules in one backtrace).
(module
  (import "lib" "entry" (func $entry (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $app_work
    (drop (call $entry (i32.const 5))))
  (func $_start (export "_start")
    (call $app_work)))
