#!/usr/bin/env bash
# test_e2e.sh KILN GUEST_DIR SRC_DIR WORK [SAMPLES_DIR]
#
# Runs the WASI guests built from tests/wasi/e2e/*.c (GUEST_DIR/NAME.wasm) through both
# `kiln run` and executables made by `kiln build`, and compares stdout, stderr and the exit
# status with SRC_DIR/expected/ exactly. Also: the sample programs, usage and input errors,
# the compile cache (a corrupt entry is rebuilt) and reproducible builds.
set -uo pipefail
source "$(dirname "$0")/../../lib/lib.sh"
# Everything absolute: the checks change directories.
kiln=$(abspath "$1") guests=$(abspath "$2") src=$(abspath "$3") samples=${5:+$(abspath "$5")}
enter_work "$4"
work=$PWD
mkdir bin
export XDG_CACHE_HOME=$work/cache
unset KILN_E2E_A KILN_E2E_B KILN_E2E_UNSET

# guest_case NAME STATUS STDOUT_FILE STDERR STDIN_TEXT -- COMMAND...: the exit status, stdout
# as in STDOUT_FILE ("": not compared) and stderr exactly the line STDERR ("": empty, "*": not
# compared), with STDIN_TEXT on stdin.
guest_case() {
    local name=$1 status=$2 out=$3 err=$4 input=$5
    shift 6
    if [[ -n $out ]]; then want_stdout <"$out"; else any_stdout; fi
    if [[ $err == "*" ]]; then
        any_stderr
    elif [[ -n $err ]]; then
        printf '%s\n' "$err" | want_stderr
    fi
    printf '%s' "$input" >"$work/stdin"
    check_stdin "$name" "$status" "$work/stdin" "$@"
}

# Each guest both ways: `kiln run OPTS G.wasm ARGS` and `kiln build OPTS G.wasm -o bin/G`.
# case NAME STATUS STDERR STDIN "RUN/BUILD OPTS" ARGS...
both() {
    local name=$1 status=$2 err=$3 input=$4 opts=$5
    shift 5
    local -a o
    read -r -a o <<<"$opts"
    prepare "$name"
    guest_case "run $name" "$status" "$src/expected/$name.out" "$err" "$input" -- \
        "$kiln" run "${o[@]}" "$guests/${name%%.*}.wasm" "$@"
    after "$name"
    local exe="$work/bin/$name"
    if "$kiln" build "${o[@]}" "$guests/${name%%.*}.wasm" -o "$exe" 2>"$work/build.err"; then
        prepare "$name"
        guest_case "build $name" "$status" "$src/expected/$name.out" "$err" "$input" -- "$exe" "$@"
        after "$name"
    else
        fail "build $name: $(cat "$work/build.err")"
    fi
}

# files.wasm works in a fresh sandbox directory, with a file next to it it must not reach;
# rights.wasm in a fresh read-only one (--ro-dir ro::/ro) holding data.txt.
prepare() {
    if [[ $1 == files ]]; then
        rm -rf "$work/case"
        mkdir -p "$work/case/sb"
        echo secret >"$work/case/outside.txt"
        cd "$work/case" || exit 1
    elif [[ $1 == rights ]]; then
        rm -rf "$work/case"
        mkdir -p "$work/case/ro"
        echo "hello rust" >"$work/case/ro/data.txt"
        cd "$work/case" || exit 1
    fi
}
after() {
    if [[ $1 == files ]]; then
        cd "$work" || exit 1
        [[ "$(cat "$work/case/outside.txt")" == secret ]] || fail "files: outside.txt changed"
        [[ ! -e "$work/case/newdir" ]] || fail "files: a directory was created outside"
        [[ -z "$(ls -A "$work/case/sb")" ]] || fail "files: the sandbox is not empty"
    elif [[ $1 == rights ]]; then
        cd "$work" || exit 1
        [[ "$(cat "$work/case/ro/data.txt")" == "hello rust" ]] || fail "rights: data.txt changed"
        [[ "$(ls -A "$work/case/ro")" == data.txt ]] || fail "rights: the read-only directory changed"
    fi
}

both basics 7 "to stderr" $'in put\n' "--env KILN_E2E_A=x --env KILN_E2E_B=fixed" "a b" c exit=7
both files 0 "" "" "--dir sb::/sandbox"
both misc 42 "" "" ""
# Rust's rights on a read-only preopen: File::open narrows them and reads; writing through
# the descriptor, opening for writing and creating are ENOTCAPABLE (76; Rust:
# PermissionDenied). -v (and KILN_WASI_VERBOSE=1 for a built executable) says why.
both rights 0 "" "" "--ro-dir ro::/ro"
rights_verbose() {
    cat <<'EOF'
kiln: wasi: path_open: "data.txt": opened without the rights fd 3 cannot hand on: path_create_directory, path_create_file, path_link_source, path_link_target, path_rename_source, path_rename_target, fd_filestat_set_times, path_symlink, path_remove_directory, path_unlink_file
kiln: wasi: fd_write: fd 4 lacks the right fd_write: ENOTCAPABLE
kiln: wasi: fd_filestat_set_times: fd 4 lacks the right fd_filestat_set_times: ENOTCAPABLE
kiln: wasi: path_open: "data.txt": ENOTCAPABLE: fd 3 cannot hand on fd_write, fd_allocate, fd_filestat_set_size (read-only)
kiln: wasi: path_open: fd 3 lacks the rights path_create_file, path_filestat_set_size: ENOTCAPABLE
kiln: wasi: path_open: ".": opened without the rights fd 3 cannot hand on: path_create_directory, path_create_file, path_link_source, path_link_target, path_rename_source, path_rename_target, fd_filestat_set_times, path_symlink, path_remove_directory, path_unlink_file
EOF
}
prepare rights
rights_verbose | want_stderr
guest_case "run -v rights" 0 "$src/expected/rights.out" "" "" -- \
    "$kiln" run -v --ro-dir ro::/ro "$guests/rights.wasm"
rights_verbose | want_stderr
KILN_WASI_VERBOSE=1 guest_case "build rights, KILN_WASI_VERBOSE=1" 0 \
    "$src/expected/rights.out" "" "" -- "$work/bin/rights"
after rights
# Host special files stay out of reach whatever is preopened: /proc and devices under "/" are
# EACCES (2; /proc itself, opened for writing, EISDIR), a preopen of /proc is refused (125).
both rights.special 0 "" "" "--dir /::/" special
guest_case "run: --dir /proc" 125 "" \
    'kiln: error: invalid argument: preopen "/proc": on procfs, which exposes the host'"'"'s kernel and processes, not files (allow it with KILN_WASI_PREOPEN_SPECIAL_FS, kiln run --allow-special-fs)' \
    "" -- "$kiln" run --dir /proc::/proc "$guests/rights.wasm" special
# Traps name the function: from the name section, else an export name, else its index
# (crash is noinline; at -O2 the faulting load of oob.c is in main); then the wasm call stack
# up to _start, one frame a line (wasi-libc's names).
both trap 134 $'kiln: trap: unreachable in function "crash"\n  at 0: crash\n  at 1: __original_main\n  at 2: _start.command_export' "" ""
both oob 134 $'kiln: trap: out of bounds memory access in function "main"\n  at 0: main\n  at 1: __main_void\n  at 2: _start.command_export' "" ""
# wasi-libc's memcpy/memset/memcmp: native fast path (guard pages) and musl's loops
# (--bounds-checks) print the same; a copy across the end of memory traps inside memcpy.
both tails 0 "" "" ""
both tails 0 "" "" "--bounds-checks"
both strings 0 "" "" ""
both strings 0 "" "" "--bounds-checks"
both strings.oob 134 $'kiln: trap: out of bounds memory access in function "memcpy"\n  at 0: memcpy\n  at 1: main\n  at 2: __main_void\n  at 3: _start.command_export' "" "" oob
# The three functions are recognised (their bodies are Debian's wasi-libc's, byte for byte):
# a fast path each with guard pages, none with --bounds-checks (inlined copies are named .iN).
fast=$("$kiln" compile -O2 --emit llvm "$guests/strings.wasm" -o - | grep -c '^libc\.fast:')
[[ $fast == 3 ]] || fail "strings.wasm: $fast libc fast paths, want 3 (memcpy, memset, memcmp)"
empty=$("$kiln" compile -O0 --emit llvm "$guests/strings.wasm" -o - | grep -c '^libc\.empty:')
[[ $empty == 3 ]] || fail "strings.wasm: $empty n == 0 returns, want 3 (memcpy, memset, memcmp)"
# Each direct call whose n is not a constant gets the n == 0 check inlined (lower_libc_entry,
# even at -O0): main makes six (strings.c's "direct" lines); no wrapper is left behind.
main=$("$kiln" inspect "$guests/strings.wasm" | awk '$2 == "main" { print $1 }')
entries=$("$kiln" compile -O0 --emit llvm "$guests/strings.wasm" -o - |
    awk -v f="@strings_f$main" '/^define/ { in_main = index($0, f "(") > 0 || index($0, f ".") > 0 }
        in_main && /^libc\.entry\.empty/ { n++ } END { print n + 0 }')
[[ $entries == 6 ]] || fail "strings.wasm: $entries n == 0 checks inlined into main (f$main), want 6"
wrappers=$("$kiln" compile -O0 --emit llvm "$guests/strings.wasm" -o - |
    grep -cE '^define .*_(memcpy|memset|memcmp)_entry')
[[ $wrappers == 0 ]] || fail "strings.wasm: $wrappers libc entry wrappers left, want 0"
fast=$("$kiln" compile -O2 --bounds-checks --emit llvm "$guests/strings.wasm" -o - |
    grep -c '^libc\.fast:')
[[ $fast == 0 ]] || fail "strings.wasm --bounds-checks: $fast libc fast paths, want 0"
# --timeout stops a guest that loops or sleeps forever: status 124 and one line. A module
# without interruption checks cannot have one.
both spin 124 "kiln: timeout: the guest ran longer than 0.2s" "" "--timeout 200ms"
both spin 124 "kiln: timeout: the guest ran longer than 0.25s" "" "--timeout=0.25s" sleep
printf '%s\n' "kiln build: --timeout needs the interruption checks that --no-interrupt-checks leaves out" \
    "Run 'kiln help build' for usage." | want_stderr
check "build --timeout --no-interrupt-checks" 2 "$kiln" build --timeout 1s --no-interrupt-checks \
    "$guests/spin.wasm" -o bin/none
printf '%s\n' "kiln run: --timeout needs the interruption checks that --no-interrupt-checks leaves out" \
    "Run 'kiln help run' for usage." | want_stderr
check "run --timeout --no-interrupt-checks" 2 "$kiln" run --no-interrupt-checks --timeout 1s \
    "$guests/spin.wasm"
if [[ -f $guests/nameless.wasm ]]; then
    both nameless 134 $'kiln: trap: integer divide by zero in function #1\n  at 0: function #1\n  at 1: _start' "" "-O0"
    both nameless 134 'kiln: trap: unreachable in function "_start"' "" "-O0" x
else
    fail "nameless.wasm was not built (wat2wasm missing)"
fi

# --env NAME (run) and --inherit-env (build) pass the host's value.
KILN_E2E_B=fixed guest_case "run --env NAME inherits" 7 "$src/expected/basics.out" "to stderr" \
    $'in put\n' -- "$kiln" run --env KILN_E2E_A=x --env KILN_E2E_B "$guests/basics.wasm" \
    "a b" c exit=7
if "$kiln" build --inherit-env --env KILN_E2E_A=x "$guests/basics.wasm" -o bin/inherit; then
    KILN_E2E_B=fixed guest_case "build --inherit-env" 7 "$src/expected/basics.out" "to stderr" \
        $'in put\n' -- bin/inherit "a b" c exit=7
else
    fail "build --inherit-env"
fi

# The samples.
if [[ -n $samples && -f $samples/hello.wasm ]]; then
    "$kiln" run "$samples/hello.wasm" >hello.run 2>&1 || fail "run hello.wasm"
    "$kiln" build "$samples/hello.wasm" -o bin/hello && bin/hello >hello.build 2>&1 ||
        fail "build hello.wasm"
    grep -q "from WebAssembly" hello.run || fail "hello.wasm: unexpected output"
    # argv[0] differs (hello.wasm path vs bin/hello), so compare from the second line.
    [[ "$(tail -n +2 hello.run)" == "$(tail -n +2 hello.build)" ]] || fail "hello: run != build"
    mkdir -p wcdir
    printf 'hello world foo\nbar\n' >wcdir/in.txt
    want=$(printf '%8d %8d %8d  %s  %s' 2 4 20 594087ba /in.txt)
    guest_case "run wc.wasm" 0 "" "" "" -- "$kiln" run --dir wcdir::/ "$samples/wc.wasm" /in.txt
    [[ "$(cat "$case_out")" == "$want" ]] || fail "wc: '$(cat "$case_out")', want '$want'"
    "$kiln" build --dir wcdir::/ "$samples/wc.wasm" -o bin/wc || fail "build wc.wasm"
    guest_case "build wc.wasm" 0 "" "" "" -- bin/wc /in.txt
    [[ "$(cat "$case_out")" == "$want" ]] || fail "wc (built): '$(cat "$case_out")', want '$want'"
fi

# Errors.
# A file that cannot be read: the file, the reason, nothing about functions.
guest_case "run: missing file" 1 "" "missing.wasm: error: cannot open file: No such file or directory" \
    "" -- "$kiln" run missing.wasm
guest_case "run: bad --dir" 2 "" "*" "" -- "$kiln" run --dir ::x "$guests/misc.wasm"
guest_case "run: --dir that does not exist" 125 "" "*" "" -- \
    "$kiln" run --dir "$work/nonexistent::/x" "$guests/misc.wasm"
grep -q "nonexistent" "$case_err" || fail "--dir nonexistent: '$(cat "$case_err")'"
guest_case "run: no file" 2 "" "*" "" -- "$kiln" run
guest_case "build: no -o" 2 "" "*" "" -- "$kiln" build "$guests/misc.wasm"
guest_case "build: bad --env" 2 "" "*" "" -- "$kiln" build --env NOEQUALS "$guests/misc.wasm" -o x
guest_case "build: unwritable -o" 1 "" "*" "" -- \
    "$kiln" build "$guests/misc.wasm" -o "$work/no/such/dir/app"
guest_case "build: -o a directory" 1 "" "*" "" -- "$kiln" build "$guests/misc.wasm" -o "$work"
guest_case "build: missing file" 1 "" \
    "missing.wasm: error: cannot open file: No such file or directory" "" -- \
    "$kiln" build missing.wasm -o x
printf 'not wasm' >bad.wasm
guest_case "run: not a module" 1 "" "*" "" -- "$kiln" run bad.wasm
# build refuses what is not a WASI command (an executable of it could only exit with 125),
# naming the file and, for a mistyped "_start", the offset of its export entry.
printf '\0asm\1\0\0\0' >nostart.wasm
guest_case "build: no _start" 1 "" \
    'nostart.wasm: error: not a WASI command: the module exports no function "_start"' "" -- \
    "$kiln" build nostart.wasm -o bin/nostart
[[ ! -e bin/nostart ]] || fail "build: no _start: an executable was written"
# (module (func (export "_start") (param i32)))
printf '\0asm\1\0\0\0\1\5\1\x60\1\x7f\0\3\2\1\0\7\n\1\6_start\0\0\n\4\1\2\0\x0b' >start_i32.wasm
guest_case "build: _start with a parameter" 1 "" \
    'start_i32.wasm:0x16: error: not a WASI command: "_start" has type (i32) -> (), not () -> ()' \
    "" -- "$kiln" build start_i32.wasm -o bin/start_i32
# (module (memory (export "_start") 1))
printf '\0asm\1\0\0\0\5\3\1\0\1\7\n\1\6_start\2\0' >start_memory.wasm
guest_case "build: _start is a memory" 1 "" \
    'start_memory.wasm:0x10: error: not a WASI command: the export "_start" is a memory, not a function' \
    "" -- "$kiln" build start_memory.wasm -o bin/start_memory
# Module text: build and run read it as compile does; errors point at line:column.
printf '(module (func (export "_start")) (memory (export "memory") 1))\n' >start.wat
guest_case "build: module text" 0 "" "" "" -- "$kiln" build start.wat -o bin/start_wat
guest_case "the executable built from text" 0 "" "" "" -- bin/start_wat
guest_case "run: module text" 0 "" "" "" -- "$kiln" run start.wat
printf '(module\n  (func (export "_start") (param i32)))\n' >start_i32.wat
guest_case "build: text _start with a parameter" 1 "" \
    'start_i32.wat:2:9: error: not a WASI command: "_start" has type (i32) -> (), not () -> ()' \
    "" -- "$kiln" build start_i32.wat -o bin/start_i32_wat
printf '(module\n  (func (export "_start")\n    i32.const 1))\n' >extra.wat
guest_case "build: invalid text" 1 "" \
    'extra.wat:3:16: error: type mismatch: block requires [] but stack has [i32] (end) (in function 0)' \
    "" -- "$kiln" build extra.wat -o bin/extra

# The cache: one entry per module + options; a corrupt entry is rebuilt.
entries=$(find cache/kiln -name '*.so' | wc -l)
[[ $entries -ge 5 ]] || fail "cache: $entries entries"
for so in cache/kiln/*.so; do
    printf 'garbage' >"$so"
done
guest_case "run after the cache was corrupted" 42 "$src/expected/misc.out" "" "" -- \
    "$kiln" run "$guests/misc.wasm"
rebuilt=$(find cache/kiln -name '*.so' -size +1k | wc -l)
[[ $rebuilt == 1 ]] || fail "cache: $rebuilt entries rebuilt, want 1 (misc.wasm)"
for so in cache/kiln/*.so; do
    : >"$so.sum"
done
guest_case "run after the checksums were emptied" 42 "$src/expected/misc.out" "" "" -- \
    "$kiln" run "$guests/misc.wasm"

# Reproducible: the same inputs in other directories, another TMPDIR -> the same bytes.
mkdir -p r1/a r2/b/c tmp2
cp "$guests/files.wasm" r1/a/files.wasm
cp "$guests/files.wasm" r2/b/c/files.wasm
(cd r1 && "$kiln" build a/files.wasm -o app --dir sb::/sandbox --env A=1) || fail "repro build 1"
(cd r2/b && TMPDIR=$work/tmp2 "$kiln" build c/files.wasm -o ../app --dir sb::/sandbox \
    --env A=1) || fail "repro build 2"
if cmp -s r1/app r2/app; then
    pass "kiln build is reproducible"
else
    fail "kiln build is not reproducible"
fi

finish
