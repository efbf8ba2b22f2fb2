#!/usr/bin/env bash
# test_cli.sh -- end-to-end tests of the `kiln` program: exact exit statuses, stdout and stderr.
#
# Usage: test_cli.sh KILN WAT2WASM SOURCE_DIR WORK_DIR VERSION
# Modules are made at test time: wat2wasm assembles the .wat files next to this script, and
# malformed ones are byte strings written with printf or truncated copies. Every case
# compares the whole output with the text below (tests/lib/lib.sh shows a diff), so a
# change in wording, offsets or layout fails here until the expectation is updated on
# purpose. Exits 77 (ctest: skipped) when wat2wasm is missing.
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
need_program "$2" "wat2wasm (Debian package wabt)"
# Absolute paths: the cases run from inside the work directory.
kiln=$(abspath "$1") wat2wasm=$(abspath "$2") src=$(abspath "$3") version=$5
enter_work "$4"

# --- the modules -------------------------------------------------------------------------
"$wat2wasm" --debug-names "$src/demo.wat" -o demo.wasm || die "wat2wasm demo.wat"
"$wat2wasm" --no-check "$src/type_error.wat" -o type_error.wasm || die "wat2wasm type_error.wat"
head -c 150 demo.wasm >truncated.wasm          # cut inside the code section
printf '\0asm\1\0\0\0' >empty_module.wasm      # the smallest valid module
printf 'hello, world' >text.wasm               # no magic
printf '\0asm\2\0\0\0' >version2.wasm          # unknown version
printf '\0asm\1\0\0\0\1\x80\x80\x80\x80\x80\x00' >overlong.wasm # 6-byte section size LEB
: >zero.wasm
mkdir -p a_directory.wasm
cp demo.wasm -- -dash.wasm
cp demo.wasm "é.wasm"
odd_name=$'odd\tname\x01"\\\xff.wasm'    # tab, control, quote, backslash, invalid UTF-8

# --- global options and usage errors ------------------------------------------------------
want_stdout <<EOF
kiln $version
EOF
check "--version" 0 "$kiln" --version

cat >main_help.txt <<'EOF'
Usage: kiln COMMAND [OPTIONS] [ARGS...]

Kiln is an ahead-of-time WebAssembly toolchain: it turns .wasm modules into native
objects that link statically with a small runtime.

Commands:
  compile    compile a module (.wasm or .wat) to a native object and a C header
  validate   check that modules (.wasm or .wat) are well-formed and valid
  inspect    show what a module contains: sections, imports, functions, exports ...
  wast       run a WebAssembly spec test script against compiled code
  build      build a native executable from a WASI command module
  run        compile a WASI command module (cached) and run it
  help       show the help of a command

Options:
  -h, --help  show this help
  --version   show the version

Run 'kiln help COMMAND' or 'kiln COMMAND --help' for a command's options.
Exit status: 0 success, 1 a module is not valid or a file cannot be read,
2 usage error.
EOF
want_stdout <main_help.txt
check "--help" 0 "$kiln" --help

want_stdout <main_help.txt
check "-h" 0 "$kiln" -h

want_stdout <main_help.txt
check "help without a command" 0 "$kiln" help

want_stderr <main_help.txt
check "no arguments: help on stderr, status 2" 2 "$kiln"

want_stderr <<'EOF'
kiln: unknown command 'frobnicate'
Run 'kiln --help' for usage.
EOF
check "unknown command" 2 "$kiln" frobnicate

want_stderr <<'EOF'
kiln: unknown option '--frobnicate'
Run 'kiln --help' for usage.
EOF
check "unknown global option" 2 "$kiln" --frobnicate

want_stderr <<'EOF'
kiln: unknown command 'frobnicate'
Run 'kiln --help' for usage.
EOF
check "help for an unknown command" 2 "$kiln" help frobnicate

want_stdout <<'EOF'
Usage: kiln help [COMMAND]

Show the help of COMMAND, or the list of commands.
EOF
check "help help" 0 "$kiln" help help

# Per-command help: the same text both ways, and it starts with the usage line.
"$kiln" validate --help >validate_help.txt
want_stdout <validate_help.txt
check "help validate = validate --help" 0 "$kiln" help validate
want_stdout <validate_help.txt
check "validate -h" 0 "$kiln" validate -h
want_stdout <<'EOF'
Usage: kiln validate [--json] [--verbose] FILE...
EOF
check "validate help starts with its usage" 0 head -n 1 validate_help.txt

"$kiln" inspect --help >inspect_help.txt
want_stdout <inspect_help.txt
check "help inspect = inspect --help" 0 "$kiln" help inspect
want_stdout <<'EOF'
Usage: kiln inspect [--json | --wat] FILE
EOF
check "inspect help starts with its usage" 0 head -n 1 inspect_help.txt

want_stderr <<'EOF'
kiln validate: no input files
Run 'kiln help validate' for usage.
EOF
check "validate without files" 2 "$kiln" validate

want_stderr <<'EOF'
kiln validate: unknown option '--frobnicate'
Run 'kiln help validate' for usage.
EOF
check "validate with an unknown option" 2 "$kiln" validate --frobnicate demo.wasm

want_stderr <<'EOF'
kiln inspect: no input file
Run 'kiln help inspect' for usage.
EOF
check "inspect without a file" 2 "$kiln" inspect --json

want_stderr <<'EOF'
kiln inspect: only one FILE can be inspected at a time
Run 'kiln help inspect' for usage.
EOF
check "inspect with two files" 2 "$kiln" inspect demo.wasm demo.wasm

if [[ -w /dev/full ]]; then
    want_stderr <<'EOF'
kiln: error writing output: No space left on device
EOF
    # shellcheck disable=SC2016 # expanded by the inner shell
    check "a write error is reported and fails" 1 bash -c '"$0" --help >/dev/full' "$kiln"
fi

# --- validate: text mode ------------------------------------------------------------------
check "valid module: silent, status 0" 0 "$kiln" validate demo.wasm

want_stdout <<'EOF'
demo.wasm: valid
empty_module.wasm: valid
EOF
check "valid modules with --verbose" 0 "$kiln" validate --verbose demo.wasm empty_module.wasm

want_stderr <<'EOF'
truncated.wasm:0x8f: error: length out of bounds: section size
EOF
check "truncated module" 1 "$kiln" validate truncated.wasm

want_stderr <<'EOF'
type_error.wasm:0x25: error: type mismatch: instruction requires [i32] but stack has [i64] (end) (in function 1)
EOF
check "type error" 1 "$kiln" validate type_error.wasm

want_stderr <<'EOF'
text.wasm:0x0: error: magic header not detected
version2.wasm:0x4: error: unknown binary version 0x00000002
overlong.wasm:0xe: error: integer representation too long: section size
zero.wasm:0x0: error: unexpected end of section or function: magic header
EOF
check "malformed headers and LEBs" 1 "$kiln" validate text.wasm version2.wasm overlong.wasm zero.wasm

want_stderr <<'EOF'
missing.wasm: error: cannot open file: No such file or directory
a_directory.wasm: error: cannot read file: Is a directory
EOF
check "unreadable files" 1 "$kiln" validate missing.wasm a_directory.wasm

want_stdout <<'EOF'
demo.wasm: valid
EOF
want_stderr <<'EOF'
truncated.wasm:0x8f: error: length out of bounds: section size
missing.wasm: error: cannot open file: No such file or directory
EOF
check "one bad file does not stop the others" 1 \
    "$kiln" validate -v truncated.wasm demo.wasm missing.wasm

check_stdin "standard input" 0 demo.wasm "$kiln" validate -
want_stderr <<'EOF'
<stdin>:0x8f: error: length out of bounds: section size
EOF
check_stdin "standard input, truncated" 1 truncated.wasm "$kiln" validate -

check "-- ends the options" 0 "$kiln" validate -- -dash.wasm

# --- validate --json ----------------------------------------------------------------------
want_stdout <<'EOF'
{"file":"demo.wasm","valid":true}
EOF
check "json: valid" 0 "$kiln" validate --json demo.wasm

want_stdout <<'EOF'
{"file":"truncated.wasm","valid":false,"class":"malformed","offset":143,"message":"length out of bounds: section size"}
EOF
check "json: malformed" 1 "$kiln" validate --json truncated.wasm

want_stdout <<'EOF'
{"file":"type_error.wasm","valid":false,"class":"invalid","offset":37,"function":1,"message":"type mismatch: instruction requires [i32] but stack has [i64] (end)"}
EOF
check "json: invalid, with the function index" 1 "$kiln" validate --json type_error.wasm

want_stdout <<'EOF'
{"file":"missing.wasm","valid":false,"class":"io","message":"cannot open file: No such file or directory"}
{"file":"a_directory.wasm","valid":false,"class":"io","message":"cannot read file: Is a directory"}
EOF
check "json: unreadable" 1 "$kiln" validate --json missing.wasm a_directory.wasm

want_stdout <<'EOF'
{"file":"demo.wasm","valid":true}
{"file":"text.wasm","valid":false,"class":"malformed","offset":0,"message":"magic header not detected"}
{"file":"empty_module.wasm","valid":true}
EOF
check "json: one line per file, in order" 1 \
    "$kiln" validate demo.wasm --json text.wasm empty_module.wasm

want_stdout <<'EOF'
{"file":"odd\tname\u0001\"\\\ufffd.wasm","file_hex":"6f6464096e616d6501225cff2e7761736d","valid":false,"class":"io","message":"cannot open file: No such file or directory"}
EOF
check "json: file names are escaped" 1 "$kiln" validate --json "$odd_name"

want_stdout <<'EOF'
{"file":"é.wasm","valid":true}
EOF
check "json: UTF-8 file names are kept" 0 "$kiln" validate --json "é.wasm"

want_stdout <<'EOF'
{"file":"<stdin>","valid":true}
EOF
check_stdin "json: standard input" 0 demo.wasm "$kiln" validate --json -

# --- inspect ------------------------------------------------------------------------------
want_stdout <<'EOF'
demo.wasm: WebAssembly module, version 1, 264 bytes
Module name: demo

Sections (11):
  section   start      end  size  contents
  type      0x000a  0x0018    14  3 types
  import    0x001a  0x003f    37  3 imports
  function  0x0041  0x0044     3  2 functions
  memory    0x0046  0x004a     4  1 memory
  global    0x004c  0x005e    18  2 globals
  export    0x0060  0x0081    33  4 exports
  start     0x0083  0x0084     1  function 2
  element   0x0086  0x008e     8  1 segment
  code      0x0090  0x00a4    20  2 bodies
  data      0x00a6  0x00bb    21  2 segments
  custom    0x00bd  0x0108    75  "name"

Types (3):
  0  (i32, i32) -> i32
  1  (i32) -> ()
  2  () -> ()

Imports (3):
  env.log    func 0    type 1 (i32) -> ()
  env.table  table 0   funcref min 2
  env.base   global 0  i32

Functions (3: 1 imported, 2 defined; code 17 bytes):
  func  name  type  signature          size  locals
     0  log      1  (i32) -> ()           -       -  import env.log
     1  add      0  (i32, i32) -> i32     7       0  export "add", "plus"
     2  init     2  () -> ()             10       2  start

Tables (1):
  0  funcref  min 2  import env.table

Memories (1):
  0  min 1 max 4 pages  export "memory"

Globals (3):
  0  i32                       import env.base
  1  mut i32  = i32.const 42   export "counter"
  2  f64      = f64.const 1.5

Exports (4):
  "memory"   memory 0
  "counter"  global 1
  "add"      func 1    add
  "plus"     func 1    add

Start function: 2 (init)

Element segments (1):
  0  active  table 0  offset i32.const 0  2 (ref func)  func 1 2

Data segments (2):
  0  active   memory 0  offset i32.const 16  6 bytes  "hello\n"
  1  passive                                 7 bytes  "passive"
EOF
check "inspect: text" 0 "$kiln" inspect demo.wasm

want_stdout <<'EOF'
{
  "file": "demo.wasm",
  "valid": true,
  "size": 264,
  "version": 1,
  "module_name": "demo",
  "sections": [
    {"id": 1, "kind": "type", "offset": 8, "start": 10, "size": 14},
    {"id": 2, "kind": "import", "offset": 24, "start": 26, "size": 37},
    {"id": 3, "kind": "function", "offset": 63, "start": 65, "size": 3},
    {"id": 5, "kind": "memory", "offset": 68, "start": 70, "size": 4},
    {"id": 6, "kind": "global", "offset": 74, "start": 76, "size": 18},
    {"id": 7, "kind": "export", "offset": 94, "start": 96, "size": 33},
    {"id": 8, "kind": "start", "offset": 129, "start": 131, "size": 1},
    {"id": 9, "kind": "element", "offset": 132, "start": 134, "size": 8},
    {"id": 10, "kind": "code", "offset": 142, "start": 144, "size": 20},
    {"id": 11, "kind": "data", "offset": 164, "start": 166, "size": 21},
    {"id": 0, "kind": "custom", "name": "name", "offset": 187, "start": 189, "size": 75}
  ],
  "types": [
    {"index": 0, "params": ["i32", "i32"], "results": ["i32"]},
    {"index": 1, "params": ["i32"], "results": []},
    {"index": 2, "params": [], "results": []}
  ],
  "imports": [
    {"module": "env", "name": "log", "kind": "func", "type": 1},
    {"module": "env", "name": "table", "kind": "table", "element": "funcref", "min": 2},
    {"module": "env", "name": "base", "kind": "global", "type": "i32", "mutable": false}
  ],
  "function_count": {"imported": 1, "defined": 2},
  "code_size": 17,
  "functions": [
    {"index": 0, "name": "log", "type": 1, "imported": true},
    {"index": 1, "name": "add", "type": 0, "imported": false, "offset": 145, "size": 7, "locals": 0},
    {"index": 2, "name": "init", "type": 2, "imported": false, "offset": 153, "size": 10, "locals": 2}
  ],
  "tables": [
    {"index": 0, "element": "funcref", "min": 2, "imported": true}
  ],
  "memories": [
    {"index": 0, "min": 1, "max": 4, "imported": false}
  ],
  "tags": [],
  "globals": [
    {"index": 0, "type": "i32", "mutable": false, "imported": true},
    {"index": 1, "type": "i32", "mutable": true, "imported": false, "init": "i32.const 42"},
    {"index": 2, "type": "f64", "mutable": false, "imported": false, "init": "f64.const 1.5"}
  ],
  "exports": [
    {"name": "memory", "kind": "memory", "index": 0},
    {"name": "counter", "kind": "global", "index": 1},
    {"name": "add", "kind": "func", "index": 1},
    {"name": "plus", "kind": "func", "index": 1}
  ],
  "start": 2,
  "elements": [
    {"index": 0, "mode": "active", "table": 0, "offset": "i32.const 0", "type": "(ref func)", "count": 2, "functions": [1, 2]}
  ],
  "data": [
    {"index": 0, "mode": "active", "memory": 0, "offset": "i32.const 16", "size": 6},
    {"index": 1, "mode": "passive", "size": 7}
  ]
}
EOF
check "inspect: json" 0 "$kiln" inspect --json demo.wasm

# An invalid module: everything is shown, then the error, status 1.
want_stdout <<'EOF'
type_error.wasm: WebAssembly module, version 1, 38 bytes

Sections (3):
  section   start      end  size  contents
  type      0x000a  0x0014    10  2 types
  function  0x0016  0x0019     3  2 functions
  code      0x001b  0x0026    11  2 bodies

Types (2):
  0  (i32) -> i32
  1  () -> i32

Functions (2: 0 imported, 2 defined; code 8 bytes):
  func  type  signature     size  locals
     0     0  (i32) -> i32     4       0
     1     1  () -> i32        4       0
EOF
want_stderr <<'EOF'
type_error.wasm:0x25: error: type mismatch: instruction requires [i32] but stack has [i64] (end) (in function 1)
EOF
check "inspect: invalid module" 1 "$kiln" inspect type_error.wasm

# A truncated module: what decoded before the cut, then the error.
want_stdout <<'EOF'
  section   start      end  size  contents
  type      0x000a  0x0018    14  3 types
  element   0x0086  0x008e     8  1 segment
     1     0  (i32, i32) -> i32     -       -  export "add", "plus"
  0  active  table 0  offset i32.const 0  2 (ref func)  func 1 2
EOF
want_stderr <<'EOF'
truncated.wasm:0x8f: error: length out of bounds: section size
EOF
contains "inspect: truncated module shows what decoded" 1 "$kiln" inspect truncated.wasm

want_stdout <<'EOF'
  "valid": false,
  "error": {"class": "malformed", "offset": 143, "message": "length out of bounds: section size"},
  "code_size": 0,
EOF
contains "inspect --json: truncated module" 1 "$kiln" inspect --json truncated.wasm

want_stdout <<'EOF'
{
  "file": "missing.wasm",
  "valid": false,
  "error": {"class": "io", "message": "cannot open file: No such file or directory"}
}
EOF
check "inspect --json: unreadable file" 1 "$kiln" inspect --json missing.wasm

want_stderr <<'EOF'
missing.wasm: error: cannot open file: No such file or directory
EOF
check "inspect: unreadable file" 1 "$kiln" inspect missing.wasm

want_stdout <<'EOF'
empty_module.wasm: WebAssembly module, version 1, 8 bytes
EOF
check "inspect: empty module" 0 "$kiln" inspect empty_module.wasm

want_stdout <<'EOF'
text.wasm: not a WebAssembly module, 12 bytes
EOF
want_stderr <<'EOF'
text.wasm:0x0: error: magic header not detected
EOF
check "inspect: not a module" 1 "$kiln" inspect text.wasm


# --- module text: kiln reads .wat itself ---------------------------------------------------
# Text is told apart by its content (not "\0asm", first token "("), not by its name.
printf '(module\n  (func (result i32)\n    (i32.const 0x1_0000_0000)))\n' >bad_const.wat
printf '(module (func $f) (func $f))' >duplicate.wasm # text, despite its name
cp "$src/type_error.wat" type_error_text.wasm

check "text: a valid module" 0 "$kiln" validate "$src/demo.wat"

want_stderr <<'EOF'
type_error_text.wasm:7:16: error: type mismatch: instruction requires [i32] but stack has [i64] (end) (in function 1)
EOF
check "text: a validation error at the instruction's line:column" 1 \
    "$kiln" validate type_error_text.wasm

want_stderr <<'EOF'
bad_const.wat:3:16: error: constant out of range
duplicate.wasm:1:25: error: duplicate func
EOF
check "text: malformed text at line:column" 1 "$kiln" validate bad_const.wat duplicate.wasm

want_stdout <<'EOF'
{"file":"bad_const.wat","valid":false,"class":"malformed","offset":44,"line":3,"column":16,"message":"constant out of range"}
EOF
check "text: json has line and column" 1 "$kiln" validate --json bad_const.wat

check_stdin "text: standard input" 0 "$src/demo.wat" "$kiln" validate -

want_stderr <<'EOF'
bad_const.wat:3:16: error: constant out of range
EOF
check "text: inspect of malformed text shows only the error" 1 "$kiln" inspect bad_const.wat

want_stdout <<'EOF'
Types (2):
  0  (i32) -> i32
  1  () -> i32
EOF
want_stderr <<'EOF'
type_error_text.wasm:0x25: error: type mismatch: instruction requires [i32] but stack has [i64] (end) (in function 1)
EOF
contains "text: inspect shows the binary encoding, and its offsets" 1 \
    "$kiln" inspect type_error_text.wasm

# Tags (exceptions): the tag section, tag imports and exports, text and JSON.
printf '(module (import "m" "t" (tag (param i32))) (tag (export "b") (param i64 f32)))\n' >tags.wat
want_stdout <<'EOF'
  tag      0x0020  0x0023     3  1 tag
  m.t  tag 0  type 0 (i32) -> ()
Tags (2):
  0  type 0 (i32) -> ()       import m.t
  1  type 1 (i64, f32) -> ()  export "b"
  "b"  tag 1
EOF
contains "tags: inspect lists them" 0 "$kiln" inspect tags.wat
want_stdout <<'EOF'
    {"index": 0, "type": 0, "imported": true},
    {"index": 1, "type": 1, "imported": false}
EOF
contains "tags: inspect --json lists them" 0 "$kiln" inspect --json tags.wat

finish
