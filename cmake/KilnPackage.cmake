# KilnPackage.cmake -- how Kiln is consumed by other CMake projects (docs/cmake.md):
#  - the Kiln:: names (ALIAS targets) for add_subdirectory() of a checkout;
#  - install rules: the kiln program, libkiln_runtime.a, libkiln_wasi.a, the kiln/*.h headers,
#    the CMake package (KilnConfig.cmake, KilnConfigVersion.cmake, KilnTargets*.cmake,
#    KilnFunctions.cmake) and kiln.pc;
#  - the same package in the build tree (export(EXPORT)), for find_package(Kiln) with
#    Kiln_DIR=<build dir>;
#  - add_wasm_module() / add_wasm_executable() for the including project.
# Included last by the top-level CMakeLists.txt, after the targets exist.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(KILN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Kiln" CACHE STRING
    "Where the CMake package files go, relative to the install prefix")

# Exported names: Kiln::runtime, Kiln::wasi, Kiln::kiln, in the build tree as in an install.
set_target_properties(kiln_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(kiln_wasi PROPERTIES EXPORT_NAME wasi)
set_target_properties(kiln PROPERTIES EXPORT_NAME kiln
                      # libLLVM outside the default search path stays found when installed.
                      INSTALL_RPATH_USE_LINK_PATH ON)
add_library(Kiln::runtime ALIAS kiln_runtime)
# A sanitizer build's libraries call into the sanitizer runtimes: whoever links them (the
# package's users, kiln.pc's users) must link those runtimes too.
set(KILN_PC_EXTRA_LIBS "")
if(KILN_SANITIZE)
  target_link_options(kiln_runtime INTERFACE ${KILN_SANITIZE_LINK})
  set(KILN_PC_EXTRA_LIBS " ${KILN_SANITIZE_LINK}")
endif()
add_library(Kiln::wasi ALIAS kiln_wasi)
add_executable(Kiln::kiln ALIAS kiln)

install(TARGETS kiln
  EXPORT KilnTargets
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
# The code generator plugin kiln opens on its first compilation (toolchain/codegen_plugin.h).
install(TARGETS kiln_codegen LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}/kiln")
install(TARGETS kiln_runtime kiln_wasi
  EXPORT KilnTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/runtime/include/kiln"
                  "${PROJECT_SOURCE_DIR}/wasi/include/kiln"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.h")
install(EXPORT KilnTargets
  NAMESPACE Kiln::
  DESTINATION "${KILN_INSTALL_CMAKEDIR}")

# The package files: one template for both trees (cmake/KilnConfig.cmake.in).
set(pkg_dir "${PROJECT_BINARY_DIR}/cmake/package")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/KilnConfig.cmake.in"
  "${pkg_dir}/KilnConfig.cmake"
  INSTALL_DESTINATION "${KILN_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/KilnConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  # 0.x: a minor release may break the ABI (KILN_ABI_VERSION), so 0.1 accepts 0.1.* only.
  COMPATIBILITY SameMinorVersion)
install(FILES "${pkg_dir}/KilnConfig.cmake"
              "${PROJECT_BINARY_DIR}/KilnConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/KilnFunctions.cmake"
  DESTINATION "${KILN_INSTALL_CMAKEDIR}")

# Build tree: Kiln_DIR=<build dir> finds KilnConfig.cmake there.
export(EXPORT KilnTargets NAMESPACE Kiln:: FILE "${PROJECT_BINARY_DIR}/KilnTargets.cmake")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/KilnConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/KilnConfig.cmake"
  INSTALL_DESTINATION "${PROJECT_BINARY_DIR}"
  INSTALL_PREFIX "${PROJECT_BINARY_DIR}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/KilnFunctions.cmake"
               "${PROJECT_BINARY_DIR}/KilnFunctions.cmake" COPYONLY)

# kiln.pc, relocatable: the prefix is found from the file's own directory (${pcfiledir}),
# so `cmake --install --prefix ANYWHERE` gives a working file.
set(pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  message(FATAL_ERROR "Kiln: CMAKE_INSTALL_LIBDIR must be relative to the prefix for kiln.pc")
endif()
file(RELATIVE_PATH KILN_PC_PREFIX_FROM_PCDIR "/prefix/${pc_dir}" "/prefix")
configure_file("${PROJECT_SOURCE_DIR}/cmake/kiln.pc.in" "${pkg_dir}/kiln.pc" @ONLY)
install(FILES "${pkg_dir}/kiln.pc" DESTINATION "${pc_dir}")

include(KilnFunctions)

# add_subdirectory() of a checkout: the including project's find_package(Kiln) finds the
# build-tree package, which sees the ALIAS targets and does not import them again.
if(NOT PROJECT_IS_TOP_LEVEL)
  set(Kiln_DIR "${PROJECT_BINARY_DIR}" PARENT_SCOPE)
endif()
