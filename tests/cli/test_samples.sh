#!/usr/bin/env bash
# test_samples.sh -- `kiln validate` and `kiln inspect` on the sample programs in samples/,
# compiled by clang to wasm32-wasi at build time: real compiler output, with a name section.
#
# Usage: test_samples.sh KILN SAMPLES_BUILD_DIR WORK_DIR
# Sizes and offsets depend on the clang and wasi-libc versions, so the inspect cases match
# lines with regular expressions (exports, imports, names, signatures, the section table) and
# check that the sections listed cover the whole file; the validate cases are exact.
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
# Absolute paths: the cases run from inside the work directory.
kiln=$(abspath "$1") samples=$(abspath "$2")
enter_work "$3"
for sample in hello wc; do
    [[ -f $samples/$sample.wasm ]] ||
        die "$samples/$sample.wasm was not built (target kiln_samples)"
    cp "$samples/$sample.wasm" .
done

check "samples are valid" 0 "$kiln" validate hello.wasm wc.wasm

want_stdout <<'EOF'
{"file":"hello.wasm","valid":true}
{"file":"wc.wasm","valid":true}
EOF
check "samples are valid (json)" 0 "$kiln" validate --json hello.wasm wc.wasm

# Whole lines of the output (contains() matches them exactly).
want_stdout <<'EOF'
Module name: hello.wasm
  "memory"  memory 0
EOF
contains "inspect hello: module name, memory export" 0 "$kiln" inspect hello.wasm

# Outputs that depend on the compiler are checked line by line with regular expressions.
"$kiln" inspect hello.wasm >hello.txt 2>&1
"$kiln" inspect wc.wasm >wc.txt 2>&1
matches "inspect hello: the section table" '^  section +start +end +size +contents$' hello.txt
matches "inspect hello: the custom name section, by name" \
    '^  custom +0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9]+  "name"$' hello.txt
matches "inspect hello: main is named, with its signature" \
    '^ +[0-9]+  main +[0-9]+  \(i32, i32\) -> i32 ' hello.txt
matches "inspect hello: _start is exported" ' export "_start"$' hello.txt
matches "inspect hello: fd_write is imported from WASI" \
    '^  wasi_snapshot_preview1\.fd_write +func [0-9]+ +type [0-9]+ \(i32, i32, i32, i32\) -> i32$' \
    hello.txt
matches "inspect hello: a data segment at i32.const 1024" \
    '^ +[0-9]+  active +memory 0  offset i32\.const 1024 ' hello.txt
matches "inspect wc: path_open is imported from WASI" \
    '^  wasi_snapshot_preview1\.path_open +func [0-9]+' wc.txt
matches "inspect wc: count_stream or main is named" '^ +[0-9]+  (count_stream|main) ' wc.txt

# The JSON document: exports and the module name.
want_stdout <<'EOF'
  "valid": true,
  "module_name": "hello.wasm",
    {"name": "memory", "kind": "memory", "index": 0},
EOF
contains "inspect hello --json: verdict, name, exports" 0 "$kiln" inspect --json hello.wasm

# The sections listed end where the file ends: nothing is missing from the table.
size=$(wc -c <hello.wasm)
last_end=$(awk '/^Sections/ { s = 1; next } s && /^$/ { exit } s && $2 ~ /^0x/ { e = $3 } END { print e }' hello.txt)
want_stdout <<EOF
$size
EOF
# shellcheck disable=SC2016 # expanded by the inner shell
check "inspect hello: the last section ends at the end of the file" 0 \
    bash -c 'echo $(($1))' _ "$last_end"

finish
