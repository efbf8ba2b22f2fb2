# shellcheck shell=sh disable=SC3043 # local: dash, bash and busybox sh have it
# lib.sh -- the one helper library of Kiln's shell tests, sourced by every one of them
# (`. "$(dirname "$0")/../lib/lib.sh"`). POSIX sh (plus `local`), so both the bash tests and
# the ones ctest runs with sh (dash) can use it.
#
# Results: pass NAME / fail MESSAGE print "ok   ..." / "FAIL ..." and count; finish prints the
# totals and exits 1 if anything failed, else 0; skip MESSAGE exits 77 (ctest's
# SKIP_RETURN_CODE), die MESSAGE exits 1 at once. A case runs one command and compares its
# exit status, stdout and stderr: exactly (check, with want_stdout/want_stderr set before it
# from a here-document or file; default empty), by whole lines (contains), or by status and a
# grep pattern on stderr (expect); any_stdout/any_stderr leave a stream out. The last case's
# output stays in $case_out and $case_err (stdout_has greps it). Setup: need_program, abspath,
# enter_work; cmake_configure/cmake_build for CMake projects; die_log shows a failed step's log.

lib_passed=0
lib_failed=0
lib_failed_names=
case_out=
case_err=
lib_want_out=
lib_want_err=

# ---- results -------------------------------------------------------------------------------

pass() {
    echo "ok   $*"
    lib_passed=$((lib_passed + 1))
}

# Counts a failure already reported (the first line of NAME goes to the summary).
lib_count_failure() {
    lib_failed=$((lib_failed + 1))
    lib_failed_names="$lib_failed_names$(printf '%s' "$1" | head -n 1)
"
}

fail() {
    echo "FAIL $*"
    lib_count_failure "$*"
}

# die MESSAGE: a setup step failed; the test cannot go on (exit 1).
die() {
    echo "FAIL $*"
    exit 1
}

# die_log LOG MESSAGE: die, showing the end of the log file LOG.
die_log() {
    echo "FAIL $2 (log: $1)"
    tail -n 40 "$1" | sed 's/^/    | /'
    exit 1
}

# skip MESSAGE: the test cannot run here (a tool is missing): ctest reports it as skipped.
skip() {
    echo "SKIP: $*"
    exit 77
}

finish() {
    echo
    echo "$lib_passed passed, $lib_failed failed"
    if [ "$lib_failed" -ne 0 ]; then
        printf '%s' "$lib_failed_names" | sed 's/^/failed: /'
        exit 1
    fi
    exit 0
}

# ---- setup ---------------------------------------------------------------------------------

# abspath PATH: PATH made absolute against the current directory. A bare name that is not a
# file here (a command found through $PATH) is left as it is.
abspath() {
    case $1 in
    /*) printf '%s\n' "$1" ;;
    */*) printf '%s/%s\n' "$PWD" "$1" ;;
    *) if [ -e "$1" ]; then printf '%s/%s\n' "$PWD" "$1"; else printf '%s\n' "$1"; fi ;;
    esac
}

# need_program PROGRAM WHAT: skips the test unless PROGRAM (a path, or a name on $PATH) runs.
need_program() {
    case $1 in
    */*) [ -x "$1" ] || skip "$2 not found" ;;
    *) if [ -z "$1" ] || ! command -v "$1" >/dev/null 2>&1; then skip "$2 not found"; fi ;;
    esac
}

# enter_work DIR: DIR emptied (removed and created) and made the current directory; the cases
# keep their outputs in it (.out, .err, .want_out, .want_err), wherever they run from.
enter_work() {
    rm -rf "$1"
    mkdir -p "$1" || die "cannot create $1"
    cd "$1" || die "cannot enter $1"
    case_out=$PWD/.out
    case_err=$PWD/.err
    lib_want_out=$PWD/.want_out
    lib_want_err=$PWD/.want_err
    reset_wants
}

# cmake_configure SRC BUILD GENERATOR [cmake args...]: configures SRC in BUILD with the C
# compiler $KILN_TEST_CC, the Kiln package named by $KILN_FIND (one -D argument, or empty) and
# the WASI sysroot $KILN_TEST_WASI_SYSROOT (if set); dies on failure, showing the log.
cmake_configure() {
    local src="$1" build="$2" generator="$3"
    shift 3
    mkdir -p "$(dirname "$build")"
    if ! cmake -S "$src" -B "$build" -G "$generator" -DCMAKE_C_COMPILER="$KILN_TEST_CC" \
        ${KILN_FIND:+"$KILN_FIND"} \
        ${KILN_TEST_WASI_SYSROOT:+"-DKILN_WASI_SYSROOT=$KILN_TEST_WASI_SYSROOT"} \
        "$@" >"$build.configure.log" 2>&1; then
        die_log "$build.configure.log" "configure $(basename "$src") in $build"
    fi
}

# cmake_build BUILD [targets...]: builds (2 jobs at most); dies on failure, showing the log.
cmake_build() {
    local build="$1"
    shift
    if [ "$#" -gt 0 ]; then
        set -- --target "$@"
    fi
    if ! cmake --build "$build" -j2 "$@" >"$build.build.log" 2>&1; then
        die_log "$build.build.log" "build $build"
    fi
}

# ---- cases (after enter_work) --------------------------------------------------------------

want_stdout() { cat >"$lib_want_out"; }
want_stderr() { cat >"$lib_want_err"; }

# any_stdout / any_stderr: the next case does not compare that stream.
any_stdout() { lib_any_out=1; }
any_stderr() { lib_any_err=1; }

reset_wants() {
    : >"$lib_want_out"
    : >"$lib_want_err"
    lib_any_out=0
    lib_any_err=0
}

# lib_compare NAME LABEL WANT GOT: 0 if the files are equal, else prints the diff and 1.
lib_compare() {
    if diff -u --label expected --label actual "$3" "$4" >"$case_out.diff"; then
        return 0
    fi
    echo "FAIL $1: $2 differs"
    cat "$case_out.diff"
    return 1
}

# lib_run NAME STATUS INPUT CMD...: runs CMD with stdin from INPUT; 0 if the exit status is
# STATUS, else reports it and 1.
lib_run() {
    local name="$1" want_status="$2" input="$3" status=0
    shift 3
    "$@" >"$case_out" 2>"$case_err" <"$input" || status=$?
    [ "$status" = "$want_status" ] && return 0
    echo "FAIL $name: exit status $status, expected $want_status"
    return 1
}

# lib_done NAME OK: counts the case as passed (OK = 1) or failed, and resets the wants.
lib_done() {
    if [ "$2" -eq 1 ]; then
        pass "$1"
    else
        lib_count_failure "$1"
    fi
    reset_wants
}

# check NAME STATUS CMD...: exact status, stdout and stderr (stdin: /dev/null).
check() {
    local name="$1" want_status="$2"
    shift 2
    check_stdin "$name" "$want_status" /dev/null "$@"
}

# check_stdin NAME STATUS INPUT_FILE CMD...: the same with stdin from INPUT_FILE.
check_stdin() {
    local name="$1" want_status="$2" input="$3" ok=1
    shift 3
    lib_run "$name" "$want_status" "$input" "$@" || ok=0
    if [ "$lib_any_out" -eq 0 ]; then
        lib_compare "$name" stdout "$lib_want_out" "$case_out" || ok=0
    fi
    if [ "$lib_any_err" -eq 0 ]; then
        lib_compare "$name" stderr "$lib_want_err" "$case_err" || ok=0
    fi
    lib_done "$name" "$ok"
}

# contains NAME STATUS CMD...: exact status; every line given by want_stdout occurs (as a
# whole line) somewhere in stdout; stderr exactly as want_stderr.
contains() {
    local name="$1" want_status="$2" ok=1 line
    shift 2
    lib_run "$name" "$want_status" /dev/null "$@" || ok=0
    while IFS= read -r line; do
        if ! grep -qxF -- "$line" "$case_out"; then
            echo "FAIL $name: stdout lacks the line: $line"
            ok=0
        fi
    done <"$lib_want_out"
    lib_compare "$name" stderr "$lib_want_err" "$case_err" || ok=0
    if [ "$ok" -eq 0 ]; then
        echo "---- stdout was:"
        cat "$case_out"
    fi
    lib_done "$name" "$ok"
}

# matches NAME REGEX FILE: FILE (an output captured earlier) has a line matching the extended
# regular expression REGEX; on failure the file is shown.
matches() {
    if grep -Eq -- "$2" "$3"; then
        pass "$1"
    else
        fail "$1: no line of $3 matches: $2"
        echo "---- $3:"
        cat "$3"
    fi
}

# stdout_has PATTERN: the last case's stdout has a line matching the grep PATTERN.
stdout_has() {
    grep -q -- "$1" "$case_out"
}

# expect STATUS PATTERN CMD...: exact exit status, and stderr matches the grep PATTERN (an
# empty PATTERN: stderr is empty). The case is named by the command.
expect() {
    local want_status="$1" pattern="$2" ok=1
    shift 2
    if ! lib_run "$*" "$want_status" /dev/null "$@"; then
        echo "    stderr: $(head -c 300 "$case_err")"
        ok=0
    fi
    if [ -z "$pattern" ]; then
        if [ -s "$case_err" ]; then
            echo "FAIL $*: unexpected stderr: $(head -c 300 "$case_err")"
            ok=0
        fi
    elif ! grep -q -- "$pattern" "$case_err"; then
        echo "FAIL $*: stderr does not match '$pattern': $(head -c 300 "$case_err")"
        ok=0
    fi
    lib_done "$*" "$ok"
}
