# 64-bit ARM Linux (Debian arm64): clang-19 + /usr/aarch64-linux-gnu, run under qemu-aarch64.
# cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#       -DKILN_HOST_KILN=build/bin/kiln        (docs/cross.md)
set(KILN_CROSS_TRIPLE aarch64-linux-gnu)
set(KILN_CROSS_GNU_TRIPLE aarch64-linux-gnu)
set(KILN_CROSS_QEMU qemu-aarch64)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
include("${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake")
