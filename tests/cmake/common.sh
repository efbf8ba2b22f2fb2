# shellcheck shell=bash
# common.sh -- helpers for the CMake integration tests (sourced, not run).
#
# Each test configures Kiln's standalone sample projects (samples/*/CMakeLists.txt) against a
# Kiln package, the way a user would: KILN_FIND=(-DKiln_DIR=<build tree>) or
# (-DCMAKE_PREFIX_PATH=<install prefix>). Logs go to WORK/*.log and are printed on failure.

failures=0

fail()
{
    echo "FAIL $*"
    failures=$((failures + 1))
}

pass()
{
    echo "ok   $*"
}

# Prints a log file and fails the test with a message: die LOG MESSAGE.
die_log()
{
    echo "FAIL $2 (log: $1)"
    sed 's/^/    | /' "$1" | tail -n 40
    exit 1
}

# configure_sample SRC BUILD GENERATOR [cmake args...]: configures SRC in BUILD with the C
# compiler in $KILN_TEST_CC, the package in KILN_FIND and the WASI sysroot in the environment's
# KILN_TEST_WASI_SYSROOT (if any); exits the test on failure.
configure_sample()
{
    local src=$1 build=$2 generator=$3
    shift 3
    local log="$build.configure.log"
    mkdir -p "$(dirname "$build")"
    local extra=()
    if [[ -n ${KILN_TEST_WASI_SYSROOT:-} ]]; then
        extra=(-DKILN_WASI_SYSROOT="$KILN_TEST_WASI_SYSROOT")
    fi
    if ! cmake -S "$src" -B "$build" -G "$generator" -DCMAKE_C_COMPILER="$KILN_TEST_CC" \
        "${KILN_FIND[@]}" "${extra[@]}" "$@" >"$log" 2>&1; then
        die_log "$log" "configure $(basename "$src") in $build"
    fi
}

# build_sample BUILD [targets...]: builds (2 jobs at most); exits the test on failure.
build_sample()
{
    local build=$1
    shift
    local log="$build.build.log"
    local targets=()
    if (($# > 0)); then
        targets=(--target "$@")
    fi
    if ! cmake --build "$build" -j2 "${targets[@]}" >"$log" 2>&1; then
        die_log "$log" "build $build"
    fi
}

finish()
{
    if ((failures > 0)); then
        echo "$failures failure(s)"
        exit 1
    fi
    echo "all passed"
    exit 0
}
