# cli_lib.sh -- helpers the codegen shell tests source (POSIX sh): count failures, check a
# command's exit status and stderr, report. Expects WORK (a scratch directory) to be set.

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect STATUS PATTERN CMD... : runs CMD, checks its exit status and that stderr matches
# the grep pattern (empty pattern: stderr must be empty).
expect() {
    want=$1 pattern=$2
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "$*: exit $got, want $want ($(head -c 300 "$WORK/err"))"
    if [ -z "$pattern" ]; then
        [ ! -s "$WORK/err" ] || fail "$*: unexpected stderr: $(head -c 300 "$WORK/err")"
    elif ! grep -q -- "$pattern" "$WORK/err"; then
        fail "$*: stderr does not match '$pattern': $(head -c 300 "$WORK/err")"
    fi
}

# finish: "ok", or the number of failures and exit status 1.
finish() {
    if [ "$failures" -ne 0 ]; then
        echo "FAIL: $failures failure(s)"
        exit 1
    fi
    echo "ok"
    exit 0
}
