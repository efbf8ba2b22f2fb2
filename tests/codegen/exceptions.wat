;; exceptions.wat -- Wasm exceptions across the host boundary, for exceptions_e2e.c (compiled by
;; `kiln compile`, read as text). The module imports a tag of the host ($ht: (i32 i64)) and
;; two host functions: "throw" throws $ht with its arguments (kiln_host_throw; a negative
;; first argument asks for the failures instead), "call" calls back into wasm (kiln_call of
;; an export of the instance given by its first argument) and returns what that call
;; returned, exception included. Its own tag $wt (i32) is exported.
(module
  (import "host" "tag" (tag $ht (param i32 i64)))
  (import "host" "throw" (func $host_throw (param i32 i64)))
  (import "host" "call" (func $host_call (param i32 i32) (result i32)))
  (tag $wt (export "wt") (param i32))

  ;; try_table catches the host's throw of the imported tag: a * 1000 + b.
  (func (export "catch_host") (param $a i32) (param $b i64) (result i64)
    (local $x i32) (local $y i64)
    (block $h (result i32 i64)
      (try_table (catch $ht $h)
        (call $host_throw (local.get $a) (local.get $b)))
      (return (i64.const -1)))
    (local.set $y)
    (local.set $x)
    (i64.add (i64.mul (i64.extend_i32_s (local.get $x)) (i64.const 1000)) (local.get $y)))

  ;; The same with the legacy instructions: a + b.
  (func (export "legacy_catch_host") (param $a i32) (param $b i64) (result i64)
    (local $x i32) (local $y i64)
    (try (result i64)
      (do
        (call $host_throw (local.get $a) (local.get $b))
        (i64.const -1))
      (catch $ht
        (local.set $y)
        (local.set $x)
        (i64.add (i64.extend_i32_s (local.get $x)) (local.get $y)))))

  ;; No handler for $ht here (only for $wt): the host's throw goes on to the host.
  (func (export "host_throw_uncaught") (param $a i32) (param $b i64) (result i32)
    (block $w (result i32)
      (try_table (catch $wt $w)
        (call $host_throw (local.get $a) (local.get $b)))
      (return (i32.const -1)))
    (i32.add (i32.const 5000)))

  ;; Throws of wasm, for the host to see and for nested calls.
  (func (export "throw_host_tag") (param $a i32) (param $b i64)
    (throw $ht (local.get $a) (local.get $b)))
  (func (export "throw_wt") (param $a i32) (result i32)
    (throw $wt (local.get $a)))
  (func (export "throw_host_tag_1") (param $a i32) (result i32)
    (throw $ht (local.get $a) (i64.extend_i32_s (local.get $a))))
  ;; catch_all_ref then throw_ref: the exception an exnref refers to leaves the call.
  (func (export "rethrow_ref") (param $a i32) (result i32)
    (throw_ref
      (block $r (result exnref)
        (try_table (catch_all_ref $r)
          (throw $wt (local.get $a)))
        (unreachable))))
  (func (export "plus_one") (param $a i32) (result i32)
    (i32.add (local.get $a) (i32.const 1)))

  ;; Calls the host's "call" (which runs a function of an instance chosen by $which) and
  ;; catches what comes back through it: $wt -> 1000 + value, $ht -> 2000 + a + b; a result
  ;; is returned as it is.
  (func (export "catch_nested") (param $which i32) (param $arg i32) (result i32)
    (block $w (result i32)
      (block $h (result i32 i64)
        (try_table (result i32) (catch $wt $w) (catch $ht $h)
          (call $host_call (local.get $which) (local.get $arg)))
        (return))
      (i32.wrap_i64)
      (i32.add)
      (i32.const 2000)
      (i32.add)
      (return))
    (i32.const 1000)
    (i32.add))
)
