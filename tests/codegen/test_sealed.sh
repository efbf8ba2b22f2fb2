#!/bin/sh
# test_sealed.sh -- sealed imports through `kiln compile --sealed-imports` (docs/abi.md
# "Sealed imports"): the header's prototypes, exactly; a host of typed C functions links and
# runs; a missing function fails the link naming the import's module and name; a mistyped one
# fails the C compile; the list syntax ('*', -NAME); one name at two types is refused; and
# every cross target compiles a sealed module (the C convention of each: riscv64 sign-extends
# i32 arguments), with and without --bounds-checks.
# Usage: test_sealed.sh KILN_CG CC RUNTIME_LIB RUNTIME_INCLUDE WORKDIR [LDFLAGS]
# (LDFLAGS: what a sanitizer build's runtime needs at link time)
set -u
. "$(dirname "$0")/../lib/lib.sh"
KILN=$(abspath "$1")
CC=$2
RUNTIME_LIB=$(abspath "$3")
INCLUDE=$(abspath "$4")
SRC=$(cd "$(dirname "$0")" && pwd)
enter_work "$5"
LDFLAGS=${6:-}

cat >bench.wat <<'WAT'
(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end (param i32) (result i64)))
  (import "env" "log" (func $log (param f64 v128) (result f32 i32)))
  (func (export "run") (param i32) (result i64)
    (call $start)
    (call $end (local.get 0))))
WAT

check "compile --sealed-imports bench" 0 "$KILN" bench.wat --sealed-imports bench -o bench.o \
    --header bench.h
want_stdout <<'OUT'
/* import "bench" "start": function 0 () -> (),
   sealed: the object calls this function, which the program must define */
kiln_trap bench_import_bench_start(kiln_instance *caller, void *env);
/* import "bench" "end": function 1 (i32) -> (i64),
kiln_trap bench_import_bench_end(kiln_instance *caller, void *env, int32_t p0, int64_t *r0);
/* import "env" "log": function 2 (f64, v128) -> (f32, i32),
   not sealed: bound at instantiation (kiln_imports); define this to seal it */
kiln_trap bench_import_env_log(kiln_instance *caller, void *env, double p0, const kiln_v128 *p1, float *r0, int32_t *r1);
OUT
contains "header: a prototype per function import" 0 cat bench.h

cat >host.c <<'C'
#include <stdio.h>
#include "bench.h"
static int started;
kiln_trap bench_import_bench_start(kiln_instance *caller, void *env)
{
    (void)caller;
    (void)env;
    started++;
    return KILN_TRAP_NONE;
}
#ifndef NO_END
kiln_trap bench_import_bench_end(kiln_instance *caller, void *env, int32_t p0, int64_t *r0)
{
    (void)caller;
    (void)env;
#ifdef WRONG_TYPE
    *r0 = p0;
    return 0.5;
}
#else
    *r0 = (int64_t)p0 * 1000 + started;
    return KILN_TRAP_NONE;
}
#endif
#endif
#ifdef WRONG_PROTO
kiln_trap bench_import_bench_start(kiln_instance *caller, int32_t x);
#endif
static kiln_trap log_fn(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *res)
{
    (void)env;
    (void)caller;
    (void)args;
    (void)res;
    return KILN_TRAP_NONE;
}
int main(void)
{
    static const uint8_t p[] = {KILN_TYPE_F64, KILN_TYPE_V128}, r[] = {KILN_TYPE_F32, KILN_TYPE_I32};
    kiln_host_func log = {log_fn, NULL, 2, 2, p, r};
    kiln_import items[] = {{"env", "log", {.kind = KILN_KIND_HOST_FUNC, .of.host = &log}}};
    kiln_imports imports = {items, 1};
    kiln_instance *inst;
    if (kiln_instance_new(&bench_module, &imports, &inst) != KILN_STATUS_OK) {
        printf("error: %s\n", kiln_last_error());
        return 1;
    }
    int64_t t = 0;
    kiln_trap trap = bench_run(inst, 7, &t);
    printf("%s %lld\n", kiln_trap_message(trap), (long long)t);
    kiln_instance_free(inst);
    return 0;
}
C
link() {
    # shellcheck disable=SC2086 # LDFLAGS is a list of flags
    "$CC" -std=c17 -Wall -Werror -I. -I"$INCLUDE" "$@" host.c bench.o "$RUNTIME_LIB" -lpthread -lm \
        $LDFLAGS -o host
}
check "a host of typed C functions links" 0 link
want_stdout <<'OUT'
no trap 7001
OUT
check "and runs" 0 ./host

# The link fails naming the missing function, whose name holds the import's module and name.
expect 1 "bench_import_bench_end" link -DNO_END
# A mistyped definition or declaration is a compile error.
expect 1 "bench_import_bench_start" link -DWRONG_PROTO

# The list: '*' seals every module, -NAME takes one out again, later items win.
"$KILN" bench.wat --sealed-imports '*,-bench' -o star.o --header star.h >/dev/null 2>&1 ||
    fail "compile --sealed-imports '*,-bench'"
want_stdout <<'OUT'
   sealed: the object calls this function, which the program must define */
   not sealed: bound at instantiation (kiln_imports); define this to seal it */
OUT
check "'*,-bench': env sealed, bench not" 0 sh -c "grep -o '   [a-z ]*sealed.*' star.h | sort -r | uniq"

# One name imported at two types cannot be one C function.
cat >twice.wat <<'WAT'
(module
  (import "m" "f" (func (param i32)))
  (import "m" "f" (func (param i64))))
WAT
want_stderr <<'ERR'
twice.wat:0x1c: error: sealed import "m" "f" is imported with two different types: it cannot be one C function
ERR
check "one name at two types" 1 "$KILN" twice.wat --sealed-imports m -o twice.o
cat >same.wat <<'WAT'
(module
  (import "m" "f" (func (param i32)))
  (import "m" "f" (func (param i32)))
  (func (export "g") (call 0 (i32.const 1)) (call 1 (i32.const 2))))
WAT
check "one name twice at one type" 0 "$KILN" same.wat --sealed-imports m -o same.o

# Every target's convention, unchecked and bounds-checked: sealed.wat has a sealed import of
# 22 parameters (stack or spill area), several results, v128 and references.
for triple in x86_64-linux-gnu aarch64-linux-gnu riscv64-linux-gnu armv7-linux-gnueabihf; do
    for bc in "" --bounds-checks; do
        check "$triple $bc" 0 "$KILN" "$SRC/sealed.wat" --target "$triple" $bc \
            --sealed-imports bench,typed -o "sealed-$triple$bc.o"
    done
done
"$KILN" "$SRC/sealed.wat" --target riscv64-linux-gnu --sealed-imports typed --emit llvm \
    -o riscv.ll >/dev/null 2>&1 || fail "riscv64 --emit llvm"
matches "riscv64: i32 arguments sign-extended" \
    '^declare signext i32 @sealed_import_typed_fail\(ptr, ptr, i32 signext, ptr\)' riscv.ll
finish
