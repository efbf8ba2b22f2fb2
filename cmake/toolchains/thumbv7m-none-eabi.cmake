# Bare-metal Cortex-M3 (ARMv7-M, Thumb-2, soft float): arm-none-eabi-gcc with picolibc
# (Debian gcc-arm-none-eabi + picolibc-arm-none-eabi). Builds the OS-less runtime and the
# sample firmware in samples/baremetal/, which runs under qemu-system-arm -M mps2-an385
# (docs/baremetal.md). Modules are compiled by a host kiln:
#   kiln compile --target thumbv7m-none-eabi --bounds-checks
# Use:
#   cmake -S . -B build-bm -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/thumbv7m-none-eabi.cmake \
#         -DKILN_HOST_KILN=build/bin/kiln
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m3)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# No OS to run test programs: CMake's compiler checks build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# CMake passes the C flags to the link step as well: picolibc's specs once, here.
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft --specs=picolibc.specs")
set(CMAKE_ASM_FLAGS_INIT "${CMAKE_C_FLAGS_INIT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

set(KILN_PLATFORM baremetal CACHE STRING "Runtime platform: posix or baremetal")
set(KILN_BUILD_TOOLCHAIN OFF CACHE BOOL "Build the kiln compiler (needs LLVM 19)")
set(KILN_BUILD_TESTS OFF CACHE BOOL "Build Kiln's tests")
set(KILN_TARGET_TRIPLE thumbv7m-none-eabi CACHE STRING "kiln compile --target for modules")
