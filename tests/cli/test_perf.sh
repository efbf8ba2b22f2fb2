#!/usr/bin/env bash
# test_perf.sh KILN WAT2WASM SRCDIR WORKDIR -- `perf report` on a Kiln executable names the
# guest's functions.
#
# hot.wat spends its time in hot_loop (a name from its name section, no export). Built with
# `kiln build -O0` and sampled with `perf record -e cpu-clock` (a software event: no PMU
# needed), the report's hottest symbol must be kiln_app_f0.hot_loop. Skipped (77) without
# perf or when perf_event_open is refused (perf_event_paranoid, containers). Run by ctest as
# cli.perf.
set -u
. "$(dirname "$0")/../lib/lib.sh"

kiln=$(abspath "$1")
wat2wasm=$2
src=$(abspath "$3")
need_program "$wat2wasm" wat2wasm
need_program perf perf
enter_work "$4"
export XDG_CACHE_HOME=$PWD/cache

perf record -q -e cpu-clock -o probe.data true >/dev/null 2>&1 ||
    skip "perf record -e cpu-clock is not permitted here (perf_event_paranoid?)"

"$wat2wasm" --debug-names "$src/hot.wat" -o hot.wasm || die "wat2wasm hot.wat"
"$kiln" build -O0 hot.wasm -o hot || die "kiln build -O0 hot.wasm"

if nm hot | grep -q ' t kiln_app_f0\.hot_loop$'; then
    pass "nm: the local symbol kiln_app_f0.hot_loop"
else
    fail "nm: no local symbol kiln_app_f0.hot_loop"
    nm hot | grep kiln_app_f
fi

perf record -q -e cpu-clock -o perf.data ./hot >record.log 2>&1 || die_log record.log "perf record"
perf report --stdio -i perf.data --sort symbol >report.txt 2>report.err ||
    die_log report.err "perf report"
top=$(grep -v '^#' report.txt | grep -m 1 '%')
case $top in
*"[.] kiln_app_f0.hot_loop"*) pass "perf report: the hottest symbol is hot_loop ($top)" ;;
*) fail "perf report: the hottest symbol is not kiln_app_f0.hot_loop: $top"; head -n 20 report.txt ;;
esac

finish
