# linux-cross.cmake -- the part shared by Kiln's Linux cross toolchain files (docs/cross.md).
#
# Each <triple>.cmake beside this file sets the four KILN_CROSS_* variables and includes it.
# The compiler is clang-19 with --target (the compiler of native builds: same warnings, same
# -Werror), linking with lld; the C library, headers, crt files and libgcc come from Debian's
# cross packages (libc6-dev-<arch>-cross and gcc-<gnu triple>, whose installation clang finds
# by itself in /usr/lib/gcc-cross). Programs built for the target run under qemu-user
# (CMAKE_CROSSCOMPILING_EMULATOR), so ctest in a cross build tree runs its tests emulated.
#
#   KILN_CROSS_TRIPLE     clang's --target, and what `kiln compile --target` gets
#   KILN_CROSS_GNU_TRIPLE Debian's name: /usr/<it> is the target's C library
#   KILN_CROSS_QEMU       the qemu-user program for the architecture
#   CMAKE_SYSTEM_PROCESSOR
# and may set KILN_CROSS_KILN_FLAGS (more `kiln compile` flags for the target's modules).
set(CMAKE_SYSTEM_NAME Linux)

find_program(KILN_CROSS_CC NAMES clang-19 clang REQUIRED)
find_program(KILN_CROSS_AR NAMES llvm-ar-19 llvm-ar REQUIRED)
find_program(KILN_CROSS_RANLIB NAMES llvm-ranlib-19 llvm-ranlib REQUIRED)
set(CMAKE_C_COMPILER "${KILN_CROSS_CC}")
set(CMAKE_C_COMPILER_TARGET "${KILN_CROSS_TRIPLE}")
set(CMAKE_ASM_COMPILER "${KILN_CROSS_CC}")
set(CMAKE_ASM_COMPILER_TARGET "${KILN_CROSS_TRIPLE}")
# binutils' ar would write archives without a symbol index for foreign objects.
set(CMAKE_AR "${KILN_CROSS_AR}" CACHE FILEPATH "archiver for the target")
set(CMAKE_RANLIB "${KILN_CROSS_RANLIB}" CACHE FILEPATH "ranlib for the target")
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_INIT "-fuse-ld=lld")
endforeach()

set(KILN_CROSS_SYSROOT "/usr/${KILN_CROSS_GNU_TRIPLE}")
if(NOT EXISTS "${KILN_CROSS_SYSROOT}/include/stdio.h")
  message(FATAL_ERROR "Kiln cross (${KILN_CROSS_TRIPLE}): no C library in ${KILN_CROSS_SYSROOT}; "
                      "install libc6-dev-*-cross and gcc-${KILN_CROSS_GNU_TRIPLE} "
                      "(scripts/test-cross.sh does)")
endif()
set(CMAKE_FIND_ROOT_PATH "${KILN_CROSS_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(KILN_CROSS_QEMU_PATH NAMES "${KILN_CROSS_QEMU}")
if(KILN_CROSS_QEMU_PATH)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${KILN_CROSS_QEMU_PATH};-L;${KILN_CROSS_SYSROOT}")
endif()

# A cross build has no LLVM for the target: it builds the runtime, WASI and the tests that
# do not need the compiler, and compiles wasm modules with a host kiln (KILN_HOST_KILN).
set(KILN_BUILD_TOOLCHAIN OFF CACHE BOOL "Build the kiln compiler (needs LLVM for the target)")
set(KILN_TARGET_TRIPLE "${KILN_CROSS_TRIPLE}" CACHE STRING "kiln compile --target for modules")
set(KILN_CROSS_KILN_FLAGS "${KILN_CROSS_KILN_FLAGS}" CACHE STRING
    "More kiln compile flags for the target's modules (armv7: --bounds-checks)")
