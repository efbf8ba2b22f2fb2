#!/bin/bash
# test_host_imports.sh -- extra imports through the kiln program (docs/cli.md): `kiln build
# --host` seals every import of modules other than WASI's to C code given as a source, an
# object or an archive, and a missing function fails the link naming the import; without
# --host, build names every unresolved import at once; `kiln run --preload NAME=FILE` links
# other modules' exports as imports (a preloaded module may use WASI and earlier preloads).
# Usage: test_host_imports.sh KILN RUNTIME_INCLUDE WORKDIR
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$(abspath "$1")
INCLUDE=$(abspath "$2")
enter_work "$3"
CC=${CC:-cc}
need_program "$CC" "a C compiler"

# A WASI command whose exit status is bench.end(5) after bench.start().
cat >prog.wat <<'WAT'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end (param i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $start)
    (call $exit (i32.wrap_i64 (call $end (i32.const 5))))))
WAT
cat >host.c <<'C'
static int starts;
kiln_trap kiln_app_import_bench_start(kiln_instance *caller, void *env)
{
    (void)caller;
    (void)env;
    starts++;
    return KILN_TRAP_NONE;
}
#ifndef NO_END
kiln_trap kiln_app_import_bench_end(kiln_instance *caller, void *env, int32_t p0, int64_t *r0)
{
    (void)caller;
    (void)env;
    *r0 = p0 * 10 + starts;
    return KILN_TRAP_NONE;
}
#endif
C

want_stderr <<'ERR'
prog.wat: error: unknown imports: "bench" "start", "bench" "end" (functions: give their C code with --host FILE.c; docs/run.md)
ERR
check "build without --host names every unresolved import" 1 "$KILN" build prog.wat -o prog

check "build --host host.c" 0 "$KILN" build prog.wat -o prog --host host.c --header prog.h
check "the host's functions run (exit status bench.end(5) = 51)" 51 ./prog
want_stdout <<'OUT'
kiln_trap kiln_app_import_bench_start(kiln_instance *caller, void *env);
kiln_trap kiln_app_import_bench_end(kiln_instance *caller, void *env, int32_t p0, int64_t *r0);
OUT
contains "build --header: the prototypes" 0 cat prog.h

# An object and an archive, compiled against the header build wrote.
"$CC" -c -I"$INCLUDE" -include prog.h host.c -o host.o || die "compiling host.o"
ar rcs libhost.a host.o || die "ar"
check "build --host host.o" 0 "$KILN" build prog.wat -o prog_o --host host.o
check "runs" 51 ./prog_o
check "build --host libhost.a" 0 "$KILN" build prog.wat -o prog_a --host libhost.a
check "runs" 51 ./prog_a

# A missing function: the link fails, naming it (module and name are in the symbol).
cp host.c host_no_end.c
sed -i 's/^#ifndef NO_END/#if 0/' host_no_end.c
expect 1 "undefined reference to .kiln_app_import_bench_end" \
    "$KILN" build prog.wat -o prog_missing --host host_no_end.c
grep -q "kiln build: error: linking prog_missing failed" "$case_err" ||
    fail "no 'linking failed' line: $(cat "$case_err")"
# A definition of another type does not compile: the header is included.
sed 's/int32_t p0, int64_t \*r0/int64_t p0, int64_t *r0/' host.c >host_bad.c
expect 1 "kiln_app_import_bench_end" "$KILN" build prog.wat -o prog_bad --host host_bad.c
want_stderr <<'ERR'
kiln build: --host 'host.h': expected a .c, .o or .a file
Run 'kiln help build' for usage.
ERR
any_stdout
check "--host needs .c, .o or .a" 2 "$KILN" build prog.wat -o x --host host.h
# ---- kiln run --preload ----
export XDG_CACHE_HOME=$PWD/cache
# lib: add(a, b) and hello(), which prints through its own WASI imports.
cat >lib.wat <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from lib\n")
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "hello")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
WAT
# twice: a second preload that imports the first (as "lib").
cat >twice.wat <<'WAT'
(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (func (export "twice") (param i32) (result i32) (call $add (local.get 0) (local.get 0))))
WAT
# main: exits with twice(add(10, 11)) = 42 after lib's hello().
cat >main.wat <<'WAT'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (import "lib" "hello" (func $hello))
  (import "math" "twice" (func $twice (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $hello)
    (call $exit (call $twice (call $add (i32.const 10) (i32.const 11))))))
WAT
want_stdout <<'OUT'
hello from lib
OUT
check "run --preload: two modules linked into the main one" 42 \
    "$KILN" run --preload lib=lib.wat --preload math=twice.wat main.wat
want_stderr <<'ERR'
kiln: error: unknown or incompatible import: unknown imports: "lib" "add", "lib" "hello", "math" "twice"
ERR
check "run without the preloads names every missing import" 125 "$KILN" run main.wat
want_stderr <<'ERR'
kiln: error: unknown or incompatible import: unknown import: "math" "twice"
ERR
check "run with one preload of two" 125 "$KILN" run --preload lib=lib.wat main.wat
want_stderr <<'ERR'
kiln run: error: --preload math: unknown import: "lib" "add"
ERR
check "a preload needing a later one" 1 \
    "$KILN" run --preload math=twice.wat --preload lib=lib.wat main.wat
want_stderr <<'ERR'
kiln run: --preload 'lib': expected NAME=FILE.wasm
Run 'kiln help run' for usage.
ERR
check "--preload needs NAME=FILE" 2 "$KILN" run --preload lib main.wat
finish
