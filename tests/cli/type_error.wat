;; type_error.wat -- decodes, fails validation: function 1 says it returns i32 but leaves an
;; i64 on the stack. Assembled with wat2wasm --no-check, which skips wat2wasm's own validation.
(module
  (func $fine (param i32) (result i32)
    local.get 0)
  (func $wrong (result i32)
    i64.const 1))
