#!/usr/bin/env bash
# test_backtrace.sh KILN WAT2WASM SRCDIR WORKDIR -- a trapping guest prints its wasm call stack.
#
# trap_div.wat (a division by zero four calls deep, kiln_trap_raise) and trap_oob.wat (a load
# on a guard page, the signal handler), with their name sections (wat2wasm --debug-names):
# `kiln run` and an executable from `kiln build` print the trap line and then one "  at N:
# NAME" line per frame, exactly (-O0: every call stays a call). At -O2 inlining merges frames,
# but at least three named ones remain. Without a name section, frames are named by their
# export, else "function #N". trap_app.wat calls into trap_lib.wat, preloaded, which traps:
# those frames are marked as another module's. Run by ctest as cli.backtrace.
set -u
. "$(dirname "$0")/../lib/lib.sh"

kiln=$(abspath "$1")
wat2wasm=$2
src=$(abspath "$3")
need_program "$wat2wasm" wat2wasm
enter_work "$4"
export XDG_CACHE_HOME=$PWD/cache

"$wat2wasm" --debug-names "$src/trap_div.wat" -o div.wasm || die "wat2wasm trap_div.wat"
"$wat2wasm" --debug-names "$src/trap_oob.wat" -o oob.wasm || die "wat2wasm trap_oob.wat"

want_stderr <<'OUT'
kiln: trap: integer divide by zero in function "div"
  at 0: div
  at 1: compute
  at 2: compute
  at 3: main
  at 4: _start
OUT
check "run -O0: division by zero, five frames" 134 "$kiln" run -O0 div.wasm

"$kiln" build -O0 div.wasm -o div_exe || die "kiln build -O0 div.wasm"
want_stderr <<'OUT'
kiln: trap: integer divide by zero in function "div"
  at 0: div
  at 1: compute
  at 2: compute
  at 3: main
  at 4: _start
OUT
check "build -O0: the executable prints the same" 134 ./div_exe

want_stderr <<'OUT'
kiln: trap: out of bounds memory access in function "peek"
  at 0: peek
  at 1: inner
  at 2: inner
  at 3: outer
  at 4: _start
OUT
check "run -O0: guard-page fault, five frames" 134 "$kiln" run -O0 oob.wasm

# -O2: the first line and >= 3 named frames, the last one _start.
for f in div oob; do
    any_stderr
    check "run -O2 $f.wasm: exit status" 134 "$kiln" run -O2 $f.wasm
    frames=$(grep -cE '^  at [0-9]+: [A-Za-z_]+$' "$case_err")
    last=$(tail -n 1 "$case_err")
    if [ "$frames" -ge 3 ] && [ "$last" = "  at $((frames - 1)): _start" ]; then
        pass "run -O2 $f.wasm: $frames named frames, _start last"
    else
        fail "run -O2 $f.wasm: $frames named frames, last line '$last'"
        cat "$case_err"
    fi
done

# No name section (kiln reads the text itself and writes none): the export name, else #N.
want_stderr <<'OUT'
kiln: trap: integer divide by zero in function #0
  at 0: function #0
  at 1: function #1
  at 2: function #1
  at 3: function #2
  at 4: _start
OUT
check "run -O0 without a name section" 134 "$kiln" run -O0 "$src/trap_div.wat"

# A frame in a preloaded module (kiln run gives every module the same prefix).
"$wat2wasm" --debug-names "$src/trap_lib.wat" -o lib.wasm || die "wat2wasm trap_lib.wat"
"$wat2wasm" --debug-names "$src/trap_app.wat" -o app.wasm || die "wat2wasm trap_app.wat"
want_stderr <<'OUT'
kiln: trap: integer divide by zero
  at 0: lib_div (another module)
  at 1: lib_entry (another module)
  at 2: app_work
  at 3: _start
OUT
check "run -O0 --preload: frames of two modules" 134 "$kiln" run -O0 --preload lib=lib.wasm app.wasm

finish
