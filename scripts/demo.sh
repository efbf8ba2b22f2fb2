#!/usr/bin/env bash
# demo.sh -- a tour of what Kiln does today, from a fresh Debian 12 machine.
#
# Installs what is missing (scripts/install-deps.sh; root or sudo), configures and builds
# Kiln in build/ (clang-19, Ninja), compiles the sample C programs in samples/ to wasm32-wasi
# with clang-19, then shows `kiln inspect` and `kiln validate` (text and --json) on them and
# on a deliberately truncated copy, whose error says where and what. Non-interactive; every
# command is printed before it runs. Artefacts go to build/demo/ (KILN_BUILD_DIR=dir
# to use another build directory).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
build=${KILN_BUILD_DIR:-build} # relative to the repository root

if [[ -t 1 ]]; then
    step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
    step() { printf '\n== %s\n' "$*"; }
fi
show() {
    printf '$ %s\n' "$*"
    "$@"
}
# Runs a command with its output in build/demo.log, shown only if it fails.
show_quiet() {
    printf '$ %s\n' "$*"
    if ! "$@" >>"$root/$build/demo.log" 2>&1; then
        tail -n 40 "$root/$build/demo.log" >&2
        echo "demo.sh: '$*' failed; the whole log is $build/demo.log" >&2
        exit 1
    fi
}
# Runs a command that is expected to fail, and prints its exit status.
show_status() {
    printf '$ %s\n' "$*"
    local status=0
    "$@" || status=$?
    printf '(exit status %d)\n' "$status"
}

step "Installing what is missing"
./scripts/install-deps.sh

step "Configuring and building Kiln in $build/"
mkdir -p "$build"
: >"$build/demo.log"
show_quiet env CC=clang-19 cmake -S . -B "$build" -G Ninja
show_quiet cmake --build "$build" -j2
echo "built $build/bin/kiln (log: $build/demo.log)"

# Debian's wasi-libc puts headers and libraries in /usr/include/wasm32-wasi and
# /usr/lib/wasm32-wasi, where clang looks by default; wasi-sdk style installs use a sysroot.
step "Compiling the samples to WebAssembly"
demo=$root/$build/demo
mkdir -p "$demo"
cd "$demo"
sysroot_flags=()
printf 'int main(void) { return 0; }\n' >probe.c
if ! clang-19 --target=wasm32-wasi probe.c -o probe.wasm 2>/dev/null; then
    found=""
    for dir in /usr/share/wasi-sysroot /opt/wasi-sdk/share/wasi-sysroot; do
        if [[ -d $dir ]] && clang-19 --target=wasm32-wasi --sysroot="$dir" probe.c \
            -o probe.wasm 2>/dev/null; then
            found=$dir
            break
        fi
    done
    if [[ -z $found ]]; then
        echo "demo.sh: clang-19 cannot build for wasm32-wasi (wasi-libc missing?)" >&2
        exit 1
    fi
    sysroot_flags=(--sysroot="$found")
fi
rm -f probe.c probe.wasm
# Compile with -O2, link without -O: an -O link makes clang run wasm-opt (binaryen), which
# would strip the name section that gives `kiln inspect` its function names.
for sample in hello wc; do
    show clang-19 --target=wasm32-wasi "${sysroot_flags[@]}" -O2 -c \
        "$root/samples/$sample/$sample.c" -o "$sample.o"
    show clang-19 --target=wasm32-wasi "${sysroot_flags[@]}" "$sample.o" -o "$sample.wasm" \
        -Wl,--strip-debug
done
ls -l hello.wasm wc.wasm

export PATH="$root/$build/bin:$PATH"

step "kiln --version"
show kiln --version

step "Inspecting a module"
show kiln inspect hello.wasm

step "Validating (text: silent on success, -v says so)"
show kiln validate hello.wasm wc.wasm
echo "(exit status 0)"
show kiln validate -v hello.wasm wc.wasm

step "Validating with --json: one object per file"
show kiln validate --json hello.wasm wc.wasm

step "A deliberately broken module: hello.wasm cut in half"
size=$(stat -c %s hello.wasm)
printf '$ head -c %d hello.wasm >truncated.wasm\n' $((size / 2))
head -c $((size / 2)) hello.wasm >truncated.wasm
show_status kiln validate truncated.wasm
show_status kiln validate --json hello.wasm truncated.wasm missing.wasm

step "A module that decodes but is invalid: a function returns i64 where it declares i32"
cat >type_error.wat <<'EOF'
(module
  (func $answer (result i32)
    i64.const 42))
EOF
show cat type_error.wat
show wat2wasm --no-check type_error.wat -o type_error.wasm
show_status kiln validate type_error.wasm
show_status kiln validate --json type_error.wasm

step "inspect still shows what decodes before the error (first lines)"
printf '$ kiln inspect truncated.wasm\n'
status=0
kiln inspect truncated.wasm >inspect.txt 2>inspect.err || status=$?
head -n 16 inspect.txt
echo "  [... $(($(wc -l <inspect.txt) - 16)) more lines ...]"
cat inspect.err
printf '(exit status %d)\n' "$status"

step "kiln build: each sample as one native executable (docs/run.md)"
show kiln build hello.wasm -o hello
show ./hello Kiln
printf 'one two three\nfour five\n' >words.txt
show kiln build --dir .::/work wc.wasm -o wc
show ./wc /work/words.txt
show_status ./wc /work/missing.txt
printf '$ sha256sum hello (built twice: the same bytes)\n'
mkdir -p again
(cd again && kiln build ../hello.wasm -o hello)
sha256sum hello again/hello

step "kiln run: compile (cached in ~/.cache/kiln), load and run in one step"
show kiln run hello.wasm WebAssembly
show kiln run --dir .::/work wc.wasm /work/words.txt

step "samples/request-server: every request in a fresh instance, with a deadline and a memory cap"
rs=$demo/request-server
show_quiet cmake -S "$root/samples/request-server" -B "$rs" -G Ninja -DKiln_DIR="$root/$build" \
    -DCMAKE_C_COMPILER=clang-19
show_quiet cmake --build "$rs" -j2
printf '$ request_server --port 0 --max-requests 6 &\n'
"$rs/request_server" --port 0 --max-requests 6 >"$rs/server.out" 2>"$rs/server.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$rs/server.out")
    [[ -n $port ]] && break
    sleep 0.1
done
if [[ -z $port ]]; then
    kill "$server_pid" 2>/dev/null || true
    echo "demo.sh: the request server did not start (log: $rs/server.log)" >&2
    exit 1
fi
cat "$rs/server.out"
# GET TARGET: one request over bash's /dev/tcp (curl -i http://127.0.0.1:PORT/TARGET does the
# same), showing the status line, the timings and the body.
http_get() {
    printf '$ GET http://127.0.0.1:%s%s\n' "$port" "$1"
    # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
    timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
        printf "GET %s HTTP/1.0\r\n\r\n" "$2" >&3 && cat <&3' _ "$port" "$1" |
        tr -d '\r' | grep -v '^Content-\|^Connection:\|^$' || true
}
http_get '/hello?name=Kiln'
http_get '/fib?n=90'
http_get /spin
http_get /hog
http_get /crash
http_get '/hello?name=again'
wait "$server_pid"
echo "(the server exited with status $? after 6 requests; what it logged:)"
cat "$rs/server.log"

step "Done"
echo "Modules are in $build/demo/. Run ./scripts/test.sh for the test suite."
echo "kiln help lists the commands; docs/cli.md and docs/errors.md describe them."
