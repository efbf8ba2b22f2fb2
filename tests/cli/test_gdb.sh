#!/usr/bin/env bash
# test_gdb.sh KILN WAT2WASM SRCDIR WORKDIR -- gdb on a `kiln build -g` executable knows the
# guest's functions by name.
#
# trap_div.wat (with its name section) built with -g -O0: `break compute` must resolve (a
# subprogram named by the name section), and at the breakpoint `bt` must show compute, main
# and _start as its first three frames. The same build without -g has no such function.
# The object, compiled in parts, must be byte-identical whatever -j compiles it. `kiln run -g`
# caches an object of its own, with debug information. Skipped (77) without gdb or
# when gdb cannot run the program (no ptrace). Run by ctest as cli.gdb.
set -u
. "$(dirname "$0")/../lib/lib.sh"

kiln=$(abspath "$1")
wat2wasm=$2
src=$(abspath "$3")
need_program "$wat2wasm" wat2wasm
need_program gdb gdb
enter_work "$4"
export XDG_CACHE_HOME=$PWD/cache

"$wat2wasm" --debug-names "$src/trap_div.wat" -o div.wasm || die "wat2wasm trap_div.wat"
"$kiln" build -g -O0 div.wasm -o div_g || die "kiln build -g -O0 div.wasm"
"$kiln" build -O0 div.wasm -o div_plain || die "kiln build -O0 div.wasm"

gdb -q -batch -ex 'break compute' -ex run -ex bt ./div_g >gdb.out 2>&1 </dev/null
grep -q '^Breakpoint 1, ' gdb.out || {
    grep -q 'Breakpoint 1 at' gdb.out && skip "gdb cannot run the program here (ptrace?)"
    fail "gdb -g: break compute did not resolve"
    cat gdb.out
}
if grep -q '^Breakpoint 1, ' gdb.out; then
    frames=$(grep -E '^#[0-9]' gdb.out | head -n 3 | sed -E 's/^(#[0-9]+) .* in ([^ ]+) \(\).*/\1 \2/')
    want=$'#0 compute\n#1 main\n#2 _start'
    if [ "$frames" = "$want" ]; then
        pass "gdb -g: break compute stops there; bt: compute, main, _start"
    else
        fail "gdb -g: bt's first frames are not compute, main, _start"
        cat gdb.out
    fi
fi

gdb -q -batch -ex 'info functions ^compute$' ./div_plain >plain.out 2>&1 </dev/null
if grep -qE 'compute\(' plain.out; then
    fail "without -g gdb still knows a function compute"
    cat plain.out
else
    pass "without -g: no function compute in the debug info"
fi

# In parts (16-byte partitions: one function each), each part its own compile unit.
"$kiln" compile -g -O2 -j1 --partition-size 16 div.wasm -o j1.o || die "kiln compile -g -j1"
"$kiln" compile -g -O2 -j2 --partition-size 16 div.wasm -o j2.o || die "kiln compile -g -j2"
if cmp -s j1.o j2.o; then
    pass "compile -g in parts: the same object for -j1 and -j2"
else
    fail "compile -g in parts: -j1 and -j2 objects differ"
fi

# kiln run -g: -g is part of the cache key, so the run compiles a second object, the one
# with debug information (kiln run caches shared objects under $XDG_CACHE_HOME/kiln).
rm -rf cache
"$kiln" run -O0 div.wasm >/dev/null 2>&1
"$kiln" run -g -O0 div.wasm >/dev/null 2>&1
with=0 without=0
while IFS= read -r so; do
    if objdump -h "$so" | grep -q '\.debug_info'; then with=$((with + 1)); else without=$((without + 1)); fi
done < <(find cache -type f -name '*.so')
if [[ $with == 1 && $without == 1 ]]; then
    pass "kiln run -g: its own cache entry, with debug info (the plain run's has none)"
else
    fail "kiln run -g: $with cached objects with debug info, $without without (want 1 and 1)"
fi

finish
