#!/usr/bin/env bash
# test_direct.sh -- every core script of the test suite through both routes of `kiln wast`:
# directly (cli/wast/wast_text.c reads the .wast) and through wast2json (--via-wast2json).
#
# Usage: test_direct.sh KILN WAST2JSON SUITE WORK_DIR [EXPECTED_DIRECT_TOTAL]
# For each SUITE/core/*.wast, the direct route must report 0 failed and 0 skipped, and count
# at least as many assertions as the JSON route does (its passed plus its skipped: the text
# modules it skips are what the direct route runs); the JSON route must report 0 failed.
# With EXPECTED_DIRECT_TOTAL, the direct route's total of passed assertions must be exactly
# that (the pinned suite's count), so that a script that silently lost commands fails.
# Output: one line per script that breaks a rule, then the totals of each route. Exits 77
# (ctest: skipped) without the suite or wast2json, never 0 without having run.
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
[[ $# -ge 4 ]] || die "usage: test_direct.sh KILN WAST2JSON SUITE WORK_DIR [TOTAL]"
need_program "$2" "wast2json (Debian package wabt)"
kiln=$(abspath "$1") wast2json=$(abspath "$2") suite=$3 expected_total=${5:-}
if ! compgen -G "$suite/core/*.wast" >/dev/null; then
    echo "SKIP: no test suite at $suite/core"
    exit 77
fi
suite=$(abspath "$suite")
enter_work "$4"

# "P passed, F failed, S skipped" -> "P F S"; "" if the run printed no summary.
counts() { sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$1" | tail -1; }

scripts=0 direct_p=0 direct_f=0 direct_s=0 via_p=0 via_f=0 via_s=0 bad=0
for wast in "$suite"/core/*.wast; do
    name=$(basename "$wast" .wast)
    scripts=$((scripts + 1))
    "$kiln" wast "$wast" >"$name.direct" 2>&1
    "$kiln" wast --via-wast2json --wast2json "$wast2json" "$wast" >"$name.via" 2>&1
    d=$(counts "$name.direct") v=$(counts "$name.via")
    if [[ -z $d || -z $v ]]; then
        fail "$name: no summary (direct: $(tail -1 "$name.direct"); via wast2json: $(tail -1 "$name.via"))"
        bad=$((bad + 1))
        continue
    fi
    read -r dp df ds <<<"$d"
    read -r vp vf vs <<<"$v"
    direct_p=$((direct_p + dp)) direct_f=$((direct_f + df)) direct_s=$((direct_s + ds))
    via_p=$((via_p + vp)) via_f=$((via_f + vf)) via_s=$((via_s + vs))
    if ((df != 0 || ds != 0 || vf != 0 || dp < vp + vs)); then
        fail "$name: direct $dp passed, $df failed, $ds skipped; via wast2json $vp passed, $vf failed, $vs skipped"
        bad=$((bad + 1))
    fi
done
echo "$scripts scripts"
echo "direct:         $direct_p passed, $direct_f failed, $direct_s skipped"
echo "via wast2json:  $via_p passed, $via_f failed, $via_s skipped"
if ((bad == 0)); then
    pass "every script: direct 0 failed, 0 skipped, at least the JSON route's assertions"
fi
if [[ -n $expected_total ]]; then
    if ((direct_p == expected_total)); then
        pass "direct total is $expected_total"
    else
        fail "direct total is $direct_p, expected $expected_total"
    fi
fi
finish
