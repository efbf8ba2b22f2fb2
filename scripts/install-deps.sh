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
  zlib1g-dev libzstd-dev libxml2-dev libffi-dev libedit-dev libncurses-dev  # LLVM's CMake package links these
  gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm  # the bare-metal sample and its test
)
# Optional groups: --bench (scripts/bench.sh: the peers and the report tools).
for group in "$@"; do
  case $group in
    --bench) packages+=(hyperfine gnuplot-nox nodejs python3 valgrind) ;;
    *) echo "install-deps: unknown option '$group' (known: --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
