#!/bin/sh
# test_parallel.sh -- `kiln compile -j N` on modules compiled in parts (partition.c): the
# object is byte-identical for -j1, -j2, -j4 and -j8 and across two runs, at each -O level
# given; it really holds several parts (one FILE symbol per part); every symbol it defines
# is hidden except PREFIX_module; the same module in one part has no hidden function and no
# second FILE symbol; --emit llvm ignores the split; bad -j and --partition-size values are
# usage errors.
# Usage: test_parallel.sh KILN_CG WORKDIR PART_SIZE "OPT..." MODULE.wasm...
#   PART_SIZE  --partition-size for the split compilations, or "default"
#   OPT...     -O levels, e.g. "0 2"
set -u
KILN=$1
WORK=$2
PART=$3
OPTS=$4
shift 4
. "$(dirname "$0")/../lib/lib.sh"

READELF=
for tool in llvm-readelf-19 llvm-readelf readelf; do
    if command -v "$tool" >/dev/null 2>&1; then
        READELF=$tool
        break
    fi
done
[ -n "$READELF" ] || die "no llvm-readelf or readelf to read the objects"

rm -rf "$WORK"
mkdir -p "$WORK"

if [ "$PART" = default ]; then
    split_opt=
else
    split_opt="--partition-size $PART"
fi

# symbols OBJ: "BIND VIS NDX NAME" for every symbol.
symbols() {
    "$READELF" -sW "$1" | awk 'NF >= 8 && $1 ~ /^[0-9]+:$/ { print $5, $6, $7, $8 }'
}

for wasm in "$@"; do
    name=$(basename "$wasm" .wasm)
    for opt in $OPTS; do
        base="$WORK/$name-O$opt"
        for j in 1 2 4 8; do
            # shellcheck disable=SC2086
            "$KILN" "$wasm" -O"$opt" -j"$j" $split_opt -o "$base-j$j.o" ||
                fail "$name -O$opt -j$j: exit $?"
        done
        # shellcheck disable=SC2086
        "$KILN" "$wasm" -O"$opt" --jobs=8 $split_opt -o "$base-again.o" ||
            fail "$name -O$opt again: exit $?"
        for other in j2 j4 j8 again; do
            cmp -s "$base-j1.o" "$base-$other.o" ||
                fail "$name -O$opt: -j1 and $other objects differ"
        done

        parts=$(symbols "$base-j1.o" | awk '$3 == "ABS" && $4 ~ /\.wasm$/' | wc -l)
        [ "$parts" -ge 2 ] || fail "$name -O$opt: $parts part(s), expected a split module"
        # Defined globals: PREFIX_module visible, the functions hidden, nothing else.
        symbols "$base-j1.o" | awk -v m="${name}_module" '
            $1 == "GLOBAL" && $3 != "UND" {
                if ($4 == m) { if ($2 != "DEFAULT") print "not default: " $4; seen = 1 }
                else if ($2 != "HIDDEN") print "not hidden: " $4
            }
            END { if (!seen) print "no " m }' >"$base.bad"
        [ ! -s "$base.bad" ] || fail "$name -O$opt: $(head -3 "$base.bad")"
        symbols "$base-j1.o" | grep -q "GLOBAL HIDDEN [0-9]* ${name}_f[0-9]" ||
            fail "$name -O$opt: no hidden PREFIX_fN function"

        # The whole module as one part: one FILE symbol, functions local, same for any -j.
        "$KILN" "$wasm" -O"$opt" -j1 --partition-size 4294967295 -o "$base-one.o" ||
            fail "$name -O$opt one part: exit $?"
        "$KILN" "$wasm" -O"$opt" -j8 --partition-size 4294967295 -o "$base-one8.o" ||
            fail "$name -O$opt one part -j8: exit $?"
        cmp -s "$base-one.o" "$base-one8.o" || fail "$name -O$opt one part: -j1 and -j8 differ"
        parts=$(symbols "$base-one.o" | awk '$3 == "ABS" && $4 ~ /\.wasm$/' | wc -l)
        [ "$parts" -eq 1 ] || fail "$name -O$opt one part: $parts FILE symbols"
        ! symbols "$base-one.o" | grep -q "HIDDEN [0-9]* ${name}_f" ||
            fail "$name -O$opt one part: hidden functions"
    done

    # Assembly and IR always show the module as one unit.
    # shellcheck disable=SC2086
    "$KILN" "$wasm" --emit llvm -j4 $split_opt -o "$WORK/$name-split.ll" &&
        "$KILN" "$wasm" --emit llvm -j1 --partition-size 4294967295 -o "$WORK/$name-one.ll" ||
        fail "$name --emit llvm: exit $?"
    cmp -s "$WORK/$name-split.ll" "$WORK/$name-one.ll" ||
        fail "$name --emit llvm: depends on the partition size"
done

# Usage errors: exit status 2.
first=${1:-}
if [ -n "$first" ]; then
    for bad in "-j0" "-j" "-jx" "-j257" "--jobs=2x" "--partition-size=0" \
        "--partition-size=4294967296" "--partition-size=-1"; do
        "$KILN" "$first" "$bad" -o "$WORK/bad.o" >/dev/null 2>"$WORK/err"
        status=$?
        [ "$status" -eq 2 ] || fail "$bad: exit $status, want 2"
        grep -q "kiln compile: " "$WORK/err" || fail "$bad: no usage message"
    done
fi

finish
