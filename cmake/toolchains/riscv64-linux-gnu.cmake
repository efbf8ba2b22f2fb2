# 64-bit RISC-V Linux (Debian riscv64: rv64gc, lp64d ABI): clang-19 + /usr/riscv64-linux-gnu,
# run under qemu-riscv64 (docs/cross.md).
set(KILN_CROSS_TRIPLE riscv64-linux-gnu)
set(KILN_CROSS_GNU_TRIPLE riscv64-linux-gnu)
set(KILN_CROSS_QEMU qemu-riscv64)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
include("${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake")
