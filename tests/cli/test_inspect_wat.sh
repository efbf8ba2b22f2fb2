#!/usr/bin/env bash
# test_inspect_wat.sh -- `kiln inspect --wat`: the printed text of hand-written modules, exactly.
#
# Usage: test_inspect_wat.sh KILN SOURCE_DIR WORK_DIR
# print.wat has every section and segment form and instructions with every kind of immediate;
# names.wat is a binary module (written as (module binary ...)) with a name section. Each
# printed text must be exactly the one below, and printing it again must give it back (the
# text is read by kiln's own text reader, so this is a round trip through text). The whole
# core suite's round trip is spec.print's (tests/spec/spec_print.c).
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
kiln=$(abspath "$1") src=$(abspath "$2")
enter_work "$3"

cp "$src/print.wat" "$src/names.wat" .
printf '\0asm\1\0\0\0\1\5\1\x60\0\1' >truncated.wasm # a section size past the end
echo '(module)' >empty.wat
echo '(module (func (result i32) i64.const 1))' >invalid.wat

want_stdout <<'EOF'
(module
  (type (;0;) (func (param i32) (result i32)))
  (type (;1;) (func (param i64 f32) (result f64 v128)))
  (type (;2;) (func (param i32)))
  (type (;3;) (func (param i32 i64) (result i32)))
  (type (;4;) (func))
  (import "env" "log" (func (;0;) (type 2) (param i32)))
  (import "env" "tab" (table (;0;) 1 funcref))
  (import "env" "mem" (memory (;0;) 1 2))
  (import "env" "g" (global (;0;) f64))
  (import "env" "base" (global (;1;) i32))
  (func (;1;) (type 0) (param i32) (result i32)
    local.get 0
  )
  (func (;2;) (type 3) (param i32 i64) (result i32)
    (local i32) (local f64 f64) (local v128)
    block (result i32)
      loop
        local.get 2
        local.get 0
        br_if 1
        drop
        block
          local.get 0
          br_table 0 1 0
        end
        local.get 0
        i32.const 1
        i32.sub
        local.set 0
        br 0
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
    call_indirect (type 0)
    i32.const 0
    call_indirect 2 (type 0)
    drop
    v128.const i32x4 0x00000001 0xffffffff 0x7fffffff 0x00000000
    v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c
    i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
    drop
    i32.const 0
    v128.const i32x4 0x3fc00000 0x80000000 0x7fc00000 0x7f800000
    v128.load16_lane offset=2 align=1 5
    i32x4.extract_lane 3
    drop
    i32.const 0
    i32.const 0
    i32.const 0
    memory.init 1
    data.drop 1
    i32.const 0
    i32.const 0
    i32.const 0
    memory.copy
    i32.const 0
    i32.const 0
    i32.const 0
    table.init 0 2
    elem.drop 3
    i32.const 0
    i32.const 0
    i32.const 0
    table.copy 1 1
    ref.null extern
    i32.const 1
    table.grow 1
    memory.size
    i32.add
    drop
    f64.const inf
    f64.const -0x0p+0
    f64.min
    drop
    i64.const -9223372036854775808
    drop
    local.get 2
    return
  )
  (func (;3;) (type 4)
  )
  (table (;1;) 2 10 externref)
  (table (;2;) 1 funcref)
  (global (;2;) (mut i32) (i32.const -7))
  (global (;3;) f32 (f32.const -0x1.fffffep+127))
  (global (;4;) f64 (f64.const 0x0.0000000000001p-1022))
  (global (;5;) f32 (f32.const -nan:0x200000))
  (global (;6;) funcref (ref.func 1))
  (export "id" (func 1))
  (export "work" (func 2))
  (export "mem" (memory 0))
  (export "counter" (global 2))
  (start 3)
  (elem (;0;) (offset i32.const 0) func 1 2)
  (elem (;1;) (table 1) (offset i32.const 1) externref (item ref.null extern))
  (elem (;2;) funcref (item ref.func 1) (item ref.null func))
  (elem (;3;) declare func 3)
  (elem (;4;) (offset global.get 1) funcref (item ref.null func))
  (elem (;5;) func 1 2)
  (elem (;6;) (table 2) (offset i32.const 0) func 1)
  (elem (;7;) declare funcref (item ref.null func))
  (data (;0;) (offset i32.const 16) "hello\0a\22\5c\ff")
  (data (;1;) "passive")
  (data (;2;) (offset i32.const 100)
    "0123456789abcdefghijklmnopqrstuv"
    "wxyz")
)
EOF
check "--wat: every section, segment form and immediate" 0 "$kiln" inspect --wat print.wat
cp "$case_out" print.out.wat

want_stdout <print.out.wat
check "--wat: the printed text prints as itself" 0 "$kiln" inspect --wat print.out.wat

want_stdout <<'EOF'
(module $m
  (type (;0;) (func (param i32) (result i32)))
  (func $main (;0;) (type 0) (param $x i32) (result i32)
    (local $y i32)
    local.get $x
    call 1
    call 2
    call $"a b"
    local.set $y
    local.get $y
  )
  (func (;1;) (type 0) (param i32) (result i32)
    local.get 0
  )
  (func (;2;) (type 0) (param i32) (result i32)
    local.get 0
  )
  (func $"a b" (;3;) (type 0) (param i32) (result i32)
    local.get 0
  )
  (export "main" (func $main))
  ;; custom section "name" at 0x44, 44 bytes: not printed
)
EOF
check "--wat: names from the name section" 0 "$kiln" inspect --wat names.wat

# An empty module, from standard input.
want_stdout <<'EOF'
(module
)
EOF
check_stdin "--wat: the empty module, from standard input" 0 empty.wat "$kiln" inspect --wat -

# A module that decodes but is not valid: the text, then the error.
want_stdout <<'EOF'
(module
  (type (;0;) (func (result i32)))
  (func (;0;) (type 0) (result i32)
    i64.const 1
  )
)
EOF
want_stderr <<'EOF'
invalid.wat:0x1a: error: type mismatch: instruction requires [i32] but stack has [i64] (end) (in function 0)
EOF
check "--wat: invalid module: text and error" 1 "$kiln" inspect --wat invalid.wat

# A module that does not decode: the error only.
want_stderr <<'EOF'
truncated.wasm:0x9: error: unexpected end of section or function: section size
EOF
check "--wat: malformed module: the error only" 1 "$kiln" inspect --wat truncated.wasm

want_stderr <<'EOF'
kiln inspect: --json and --wat cannot be combined
Run 'kiln help inspect' for usage.
EOF
check "--wat with --json" 2 "$kiln" inspect --json --wat print.wat

finish
