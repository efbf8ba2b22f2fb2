# lib.sh -- helpers for the CLI tests (sourced by test_cli.sh and test_samples.sh).
#
# A case runs one command and compares its exit status, stdout and stderr with expectations
# set just before it:
#     want_stdout <<'EOF'          (optional; default: empty)
#     ...exact text...
#     EOF
#     want_stderr <<'EOF' ... EOF  (optional; default: empty)
#     check "name" STATUS cmd args...
# Any difference fails the case and prints a unified diff (expected -> actual). `contains`
# cases check only that the given lines appear, for outputs that depend on the compiler.
# finish prints a summary and returns 1 if any case failed.

# shellcheck disable=SC2154 # $work is set by the sourcing script
passed=0
failed=0
failed_names=()

want_stdout() { cat >"$work/.want_out"; }
want_stderr() { cat >"$work/.want_err"; }

reset_wants() {
    : >"$work/.want_out"
    : >"$work/.want_err"
}

fail_case() {
    failed=$((failed + 1))
    failed_names+=("$1")
}

# check NAME STATUS CMD... -- exact status, stdout and stderr.
check() {
    local name=$1 want_status=$2
    shift 2
    local status=0
    "$@" >"$work/.out" 2>"$work/.err" </dev/null || status=$?
    local ok=1
    if [[ $status != "$want_status" ]]; then
        echo "FAIL $name: exit status $status, expected $want_status"
        ok=0
    fi
    if ! diff -u --label expected --label actual "$work/.want_out" "$work/.out" >"$work/.diff"; then
        echo "FAIL $name: stdout differs"
        cat "$work/.diff"
        ok=0
    fi
    if ! diff -u --label expected --label actual "$work/.want_err" "$work/.err" >"$work/.diff"; then
        echo "FAIL $name: stderr differs"
        cat "$work/.diff"
        ok=0
    fi
    if ((ok)); then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        fail_case "$name"
    fi
    reset_wants
}

# check_stdin NAME STATUS INPUT_FILE CMD... -- like check, with stdin from INPUT_FILE.
check_stdin() {
    local name=$1 want_status=$2 input=$3
    shift 3
    # shellcheck disable=SC2016 # expanded by the inner shell
    check "$name" "$want_status" bash -c '"$@" <"$0"' "$input" "$@"
}

# contains NAME STATUS CMD... -- exact status; every line given by want_stdout must occur
# (as a whole line) somewhere in stdout; stderr must match want_stderr exactly.
contains() {
    local name=$1 want_status=$2
    shift 2
    local status=0
    "$@" >"$work/.out" 2>"$work/.err" </dev/null || status=$?
    local ok=1
    if [[ $status != "$want_status" ]]; then
        echo "FAIL $name: exit status $status, expected $want_status"
        ok=0
    fi
    local line
    while IFS= read -r line; do
        if ! grep -qxF -- "$line" "$work/.out"; then
            echo "FAIL $name: stdout lacks the line: $line"
            ok=0
        fi
    done <"$work/.want_out"
    if ! diff -u --label expected --label actual "$work/.want_err" "$work/.err" >"$work/.diff"; then
        echo "FAIL $name: stderr differs"
        cat "$work/.diff"
        ok=0
    fi
    if ((ok)); then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "---- stdout was:"
        cat "$work/.out"
        fail_case "$name"
    fi
    reset_wants
}

# matches NAME REGEX FILE -- FILE (an output captured earlier) has a line matching the
# extended regular expression REGEX; on failure the file is printed.
matches() {
    local name=$1 regex=$2 file=$3
    if grep -Eq -- "$regex" "$file"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: no line of $file matches: $regex"
        echo "---- $file:"
        cat "$file"
        fail_case "$name"
    fi
}

finish() {
    echo
    echo "$passed passed, $failed failed"
    if ((failed)); then
        printf 'failed: %s\n' "${failed_names[@]}"
        return 1
    fi
    return 0
}
