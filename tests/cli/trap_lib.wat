;; trap_lib.wat -- a library module whose export divides by zero one call deep; trap_app.wat
;; imports it as "lib" (test_backtrace.sh: kiln run --preload lib=...).
(module
  (global $zero (mut i32) (i32.const 0))
  (func $lib_div (param i32) (result i32)
    (i32.div_u (local.get 0) (global.get $zero)))
  (func $lib_entry (export "entry") (param i32) (result i32)
    (call $lib_div (local.get 0))))
