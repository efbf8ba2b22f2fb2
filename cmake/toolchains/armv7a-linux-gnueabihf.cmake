# 32-bit ARM Linux (Debian armhf: ARMv7-A, VFPv3-D16, hard-float ABI): clang-19 +
# /usr/arm-linux-gnueabihf, run under qemu-arm. No 4 GiB guard region fits a 32-bit address
# space: modules are compiled with bounds checks (docs/cross.md).
set(KILN_CROSS_TRIPLE armv7a-linux-gnueabihf)
set(KILN_CROSS_GNU_TRIPLE arm-linux-gnueabihf)
set(KILN_CROSS_QEMU qemu-arm)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)
set(KILN_CROSS_KILN_FLAGS --bounds-checks)
include("${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake")
