#!/usr/bin/env bash
# test_many_parts.sh -- a module compiled one function per part links, however many parts:
# the parts are merged by `ld.lld -r` with its arguments in a response file (host_spawn_rsp).
# Passing them on the command line failed with "Argument list too long" once the paths of
# the parts' objects passed execve's limit, a quarter of the stack limit (100,000 functions
# at the default 8 MiB). Here COUNT functions under `ulimit -s 512` (a 128 KiB limit), which
# the test first checks the old command line would have exceeded; then the object must hold
# COUNT parts and its export must return COUNT through COUNT - 1 calls across parts.
# Usage: test_many_parts.sh KILN_CG GEN_FUNCS CC RUNTIME_INCLUDE RUNTIME_LIB WORK COUNT [LDFLAG]
set -u
source "$(dirname "$0")/../lib/lib.sh"
kiln=$(abspath "$1") gen=$(abspath "$2") cc=$3 include=$(abspath "$4") lib=$(abspath "$5")
count=$7 ldflag=${8:-}
enter_work "$6"
mkdir tmp
export TMPDIR="$PWD/tmp"

"$gen" "$count" many.wasm || die "gen_funcs $count"

# What the old command line held: one "$TMPDIR/kiln-compile-XXXXXX/pN.o" per part (and a
# pointer to it), against ARG_MAX under the same stack limit.
arg_max=$(ulimit -s 512 && getconf ARG_MAX)
need=$(awk -v n="$count" -v d="$TMPDIR/kiln-compile-XXXXXX/" \
    'BEGIN { s = 0; for (i = 0; i < n; i++) s += length(d "p" i ".o") + 1 + 8; print s }')
if [ "$need" -gt "$arg_max" ]; then
    pass "the parts' paths ($need bytes) exceed ARG_MAX ($arg_max) under ulimit -s 512"
else
    fail "the parts' paths ($need bytes) fit ARG_MAX ($arg_max): the test proves nothing"
fi

if (ulimit -s 512 && "$kiln" many.wasm -O0 -j2 --partition-size 1 -o many.o --header many.h \
    --prefix many) >compile.log 2>&1; then
    pass "$count parts compile and merge under ulimit -s 512"
else
    fail "compiling $count parts: $(cat compile.log)"
fi

readelf=
for tool in llvm-readelf-19 llvm-readelf readelf; do
    if command -v "$tool" >/dev/null 2>&1; then
        readelf=$tool
        break
    fi
done
[ -n "$readelf" ] || die "no llvm-readelf or readelf"
parts=$("$readelf" -sW many.o | awk '$4 == "FILE"' | wc -l)
if [ "$parts" -eq "$count" ]; then
    pass "the object holds $count parts"
else
    fail "the object holds $parts parts, want $count"
fi

cat >host.c <<'HOST'
#include <stdio.h>
#include "many.h"

int main(void)
{
    kiln_instance *inst;
    if (kiln_instance_new(&many_module, NULL, &inst) != KILN_STATUS_OK)
        return 1;
    int32_t r = 0;
    kiln_trap t = many_last(inst, &r);
    printf("%s %d\n", kiln_trap_message(t), (int)r);
    kiln_instance_free(inst);
    return 0;
}
HOST
# shellcheck disable=SC2086 # LDFLAG: none or one flag
if "$cc" -I"$include" -I. host.c many.o "$lib" -lpthread -lm $ldflag -o host >link.log 2>&1; then
    out=$(./host)
    if [ "$out" = "no trap $count" ]; then
        pass "the export returns $count"
    else
        fail "the export: '$out', want 'no trap $count'"
    fi
else
    fail "linking the host: $(cat link.log)"
fi
finish
