;; run_main.wat -- a WASI command with imports beyond WASI, for run_main_e2e.c: "bench" "tick"
;; is sealed (kiln compile --sealed-imports bench), "env" "base" and "env" "scale" are host
;; functions given through kiln_wasi_config.imports. It exits with base() * scale(tick()).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "bench" "tick" (func $tick (result i32)))
  (import "env" "base" (func $base (result i32)))
  (import "env" "scale" (func $scale (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $exit (i32.mul (call $base) (call $scale (call $tick))))))
