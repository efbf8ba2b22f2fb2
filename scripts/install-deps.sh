#!/usr/bin/env bash
# Installs exactly what Kiln needs to build, test and run its samples on Debian 12 (bookworm).
# Idempotent: packages already present are not touched, and apt is not called at all when
# nothing is missing. Uses sudo only when not root.
set -euo pipefail

packages=(
  cmake ninja-build pkg-config
  clang-format-19                       # the source style (.clang-format), checked by ctest style.format
  llvm-19-dev lld-19 clang-19           # the code generator (LLVM C API), the linker, and the C compiler
  libclang-rt-19-dev                    # ASan/UBSan/libFuzzer runtimes for KILN_SANITIZE / KILN_FUZZ
  libclang-rt-19-dev-wasm32 wasi-libc   # clang-19 --target=wasm32-wasi for tests and samples
  libc++-19-dev-wasm32 libc++abi-19-dev-wasm32  # C++ guests with exceptions (tests/cxx)
  wabt                                  # wast2json / wat2wasm for the spec suite and .wat tests
  binaryen python3                      # wasm-opt: optional pre-optimisation and fuzzing (fuzz.exec)
  libcmocka-dev                         # unit tests
  clang-16 libclang-rt-16-dev-wasm32    # another toolchain's wasm code and compiler-rt (codegen.mul128)
  rustc libstd-rust-dev-wasm32          # Rust for wasm32-wasi (codegen.mul128.rust)
  zlib1g-dev libzstd-dev libxml2-dev libffi-dev libedit-dev libncurses-dev  # LLVM's CMake package links these
  gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm  # the bare-metal sample and its test
)
# Optional groups: --bench (scripts/bench.sh: the peers and the report tools), --fuzz
# (scripts/fuzz-exec.sh with Wasm 3.0 modules: binaryen 132 from npm, whose wasm-opt -ttf
# makes modules with exceptions, tail calls, memory64, multi-memory ...; Debian's binaryen
# 108 predates them). The npm package goes to ~/.cache/kiln/npm, outside the system.
fuzz=0
for group in "$@"; do
  case $group in
    --bench) packages+=(hyperfine gnuplot-nox nodejs python3 valgrind) ;;
    --fuzz)
      # npm comes with some nodejs builds (NodeSource's conflicts with Debian's npm package).
      packages+=(nodejs)
      command -v npm >/dev/null || packages+=(npm)
      fuzz=1 ;;
    *) echo "install-deps: unknown option '$group' (known: --bench, --fuzz)" >&2; exit 2 ;;
  esac
done

# binaryen 132 for scripts/fuzz-exec.sh, once the packages are there. A failure (no network)
# is not fatal: fuzz-exec.sh then uses Debian's wasm-opt and says which it used.
npm_binaryen() {
  local prefix=$HOME/.cache/kiln/npm
  if [ "$fuzz" -eq 0 ] || [ -x "$prefix/node_modules/.bin/wasm-opt" ]; then
    return 0
  fi
  echo "install-deps: installing binaryen@132.0.0 from npm into $prefix"
  mkdir -p "$prefix"
  if ! npm install --no-audit --no-fund --silent --prefix "$prefix" binaryen@132.0.0; then
    echo "install-deps: warning: npm could not install binaryen 132; fuzz-exec.sh will use" \
      "Debian's wasm-opt (binaryen 108, Wasm 2.0 modules)" >&2
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  npm_binaryen
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
npm_binaryen
