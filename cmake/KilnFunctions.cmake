# KilnFunctions.cmake -- add_wasm_module() and add_wasm_executable() (docs/cmake.md).
#
# Loaded by KilnConfig.cmake (find_package(Kiln)) and by Kiln's own top-level CMakeLists.txt
# (add_subdirectory of a Kiln checkout). Everything here works on targets: the `kiln`
# program is Kiln::kiln (or the path in KILN_EXECUTABLE), the libraries Kiln::runtime and
# Kiln::wasi. Nothing sets global flags.
#
#   add_wasm_module(<target> SOURCES <file.wasm | file.wat | file.c/.cpp...>
#                   [PREFIX name] [OPT 0-3|s|z] [CPU name] [TARGET triple] [BOUNDS_CHECKS] [WASI]
#                   [NO_INTERRUPT_CHECKS] [SEALED_IMPORTS list] [DEBUG]
#                   [EXPORTS sym...] [COMPILE_OPTIONS opt...] [LINK_OPTIONS opt...])
#   add_wasm_executable(<target> SOURCES ... [DIRS host[::guest]...] [ENV NAME=VALUE...]
#                       [INHERIT_ENV] [TIMEOUT duration] [HOST_SOURCES file...]
#                       + the add_wasm_module options except WASI/EXPORTS)
include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.20)
  message(FATAL_ERROR "Kiln's CMake functions need CMake 3.20 or newer (cmake_path, DEPFILE "
                      "with every generator)")
endif()

set(KILN_EXECUTABLE "" CACHE FILEPATH
    "kiln program that compiles wasm modules (empty: the Kiln::kiln target)")
set(KILN_WASM_CC "" CACHE FILEPATH
    "clang used to compile C sources to wasm32-wasi (empty: clang-19 or clang on PATH)")
set(KILN_WASI_SYSROOT "" CACHE PATH "WASI sysroot for C sources (empty: probe)")
set(KILN_WAT2WASM "" CACHE FILEPATH
    "wat2wasm for .wat sources (empty: kiln compile reads them; PATH's with COMPILE_OPTIONS)")

# Writes content to path only when it differs, so the file's time stamp changes exactly when
# its content does: custom commands that depend on it rerun when their options change, also
# with generators that do not track command lines (Unix Makefiles).
function(_kiln_write_if_changed path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${content}")
endfunction()

# The `kiln` program: KILN_EXECUTABLE if set (e.g. a host-built kiln when Kiln itself is
# cross-compiled through add_subdirectory), else the Kiln::kiln target. Sets <out_cmd> to
# what goes after COMMAND and <out_dep> to what goes into DEPENDS: the real (non-alias)
# target for a target built in this project (a target-level and a file-level dependency),
# the file of an imported one.
function(_kiln_program out_cmd out_dep)
  if(KILN_EXECUTABLE)
    set(${out_cmd} "${KILN_EXECUTABLE}" PARENT_SCOPE)
    set(${out_dep} "${KILN_EXECUTABLE}" PARENT_SCOPE)
    return()
  endif()
  if(NOT TARGET Kiln::kiln)
    message(FATAL_ERROR "Kiln: no Kiln::kiln target; call find_package(Kiln) first, or set "
                        "KILN_EXECUTABLE to a kiln program")
  endif()
  get_target_property(real Kiln::kiln ALIASED_TARGET)
  get_target_property(imported Kiln::kiln IMPORTED)
  if(real)
    set(${out_cmd} "$<TARGET_FILE:${real}>" PARENT_SCOPE)
    set(${out_dep} "${real}" PARENT_SCOPE)
  elseif(imported)
    set(${out_cmd} "$<TARGET_FILE:Kiln::kiln>" PARENT_SCOPE)
    set(${out_dep} "$<TARGET_FILE:Kiln::kiln>" PARENT_SCOPE)
  else()
    set(${out_cmd} "$<TARGET_FILE:Kiln::kiln>" PARENT_SCOPE)
    set(${out_dep} Kiln::kiln PARENT_SCOPE)
  endif()
endfunction()

# The target triple for `kiln compile --target`: an explicit TARGET, else the toolchain's
# CMAKE_C_COMPILER_TARGET, else (cross-compiling only) one derived from
# CMAKE_SYSTEM_PROCESSOR. Empty: kiln's default, the host.
function(_kiln_target_triple out explicit)
  if(explicit)
    set(triple "${explicit}")
  elseif(CMAKE_C_COMPILER_TARGET)
    set(triple "${CMAKE_C_COMPILER_TARGET}")
  elseif(CMAKE_CROSSCOMPILING)
    string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" cpu)
    if(cpu MATCHES "^(aarch64|arm64)$")
      set(triple aarch64-linux-gnu)
    elseif(cpu MATCHES "^riscv64")
      set(triple riscv64-linux-gnu)
    elseif(cpu MATCHES "^arm")
      set(triple armv7a-linux-gnueabihf)
    elseif(cpu MATCHES "^(x86_64|amd64)$")
      set(triple x86_64-linux-gnu)
    else()
      message(FATAL_ERROR "Kiln: cannot derive a target triple from CMAKE_SYSTEM_PROCESSOR "
                          "'${CMAKE_SYSTEM_PROCESSOR}'; set CMAKE_C_COMPILER_TARGET in the "
                          "toolchain file or pass TARGET to add_wasm_module")
    endif()
  else()
    set(triple "")
  endif()
  set(${out} "${triple}" PARENT_SCOPE)
endfunction()

# Finds a clang that builds wasm32-wasi programs and the sysroot flags it needs, once per
# build tree: KILN_WASI_SYSROOT if set, then the compiler's default (Debian's wasi-libc),
# then the usual wasi-sdk locations. The result is cached in _KILN_WASM_CC_FLAGS. Without
# one, the configuration fails -- or, given a variable name (_kiln_find_wasm_cc(found):
# Kiln's own samples and tests, which are left out instead), that variable says whether
# one was found.
function(_kiln_find_wasm_cc)
  set(found_var "${ARGV0}")
  if(found_var)
    set(${found_var} FALSE PARENT_SCOPE)
  endif()
  set(key "${KILN_WASM_CC}|${KILN_WASI_SYSROOT}")
  if(DEFINED CACHE{_KILN_WASM_CC_KEY} AND _KILN_WASM_CC_KEY STREQUAL key)
    if(found_var)
      set(${found_var} TRUE PARENT_SCOPE)
    endif()
    return()
  endif()
  if(NOT KILN_WASM_CC)
    find_program(_KILN_WASM_CC_FOUND NAMES clang-19 clang
                 DOC "clang found for wasm32-wasi (internal)")
    if(NOT _KILN_WASM_CC_FOUND AND found_var)
      message(STATUS "Kiln: no clang-19 or clang to build wasm32-wasi C sources")
      return()
    elseif(NOT _KILN_WASM_CC_FOUND)
      message(FATAL_ERROR "Kiln: C sources need clang (clang-19 or clang on PATH, or set "
                          "KILN_WASM_CC)")
    endif()
    set_property(CACHE KILN_WASM_CC PROPERTY VALUE "${_KILN_WASM_CC_FOUND}")
    set(key "${_KILN_WASM_CC_FOUND}|${KILN_WASI_SYSROOT}")
  endif()
  set(probe_dir "${CMAKE_BINARY_DIR}/CMakeFiles/KilnWasmProbe")
  file(MAKE_DIRECTORY "${probe_dir}")
  file(WRITE "${probe_dir}/probe.c"
       "#include <stdlib.h>\n__attribute__((export_name(\"f\"))) int f(int n) "
       "{ return (int)(size_t)malloc((size_t)n); }\n")
  set(candidates "")
  if(KILN_WASI_SYSROOT)
    list(APPEND candidates "${KILN_WASI_SYSROOT}")
  endif()
  list(APPEND candidates "<default>" /usr/share/wasi-sysroot /opt/wasi-sdk/share/wasi-sysroot)
  foreach(candidate IN LISTS candidates)
    if(candidate STREQUAL "<default>")
      set(flags "")
    elseif(EXISTS "${candidate}")
      set(flags "--sysroot=${candidate}")
    else()
      continue()
    endif()
    execute_process(
      COMMAND "${KILN_WASM_CC}" --target=wasm32-wasi ${flags} -nostartfiles -Wl,--no-entry
              "${probe_dir}/probe.c" -o "${probe_dir}/probe.wasm"
      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc EQUAL 0)
      message(STATUS "Kiln: C to wasm with ${KILN_WASM_CC} --target=wasm32-wasi, "
                     "sysroot ${candidate}")
      set(_KILN_WASM_CC_FLAGS "${flags}" CACHE INTERNAL "")
      set(_KILN_WASM_CC_KEY "${key}" CACHE INTERNAL "")
      if(found_var)
        set(${found_var} TRUE PARENT_SCOPE)
      endif()
      return()
    endif()
  endforeach()
  set(why "${KILN_WASM_CC} cannot build for wasm32-wasi; install wasi-libc and "
          "libclang-rt-19-dev-wasm32 (Debian), or set KILN_WASI_SYSROOT")
  string(CONCAT why ${why})
  if(found_var)
    message(STATUS "Kiln: ${why}")
    return()
  endif()
  message(FATAL_ERROR "Kiln: ${why}")
endfunction()

# _kiln_wasm_from_c(<wasm> <work_dir> SOURCES file.c... [COMMAND] [NAME what]
#                   [EXPORTS sym...] [COMPILE_OPTIONS opt...] [LINK_OPTIONS opt...])
# C and C++ sources -> one wasm32-wasi module: each source compiled with -O2 into <work_dir>
# (header dependencies from -MD; clang takes the language from the extension), then linked
# into <wasm>, with libc++ and libc++abi if a source is C++ (as clang++ links). COMMAND keeps wasi-libc's _start
# (a WASI program); without it the module has no entry point and no start files, and
# exports what EXPORTS or export_name() say. Each step's command line is recorded beside
# its output, so a step reruns when, and only when, its inputs or its options change.
# add_wasm_module() uses it, and so do Kiln's own samples and tests.
function(_kiln_wasm_from_c wasm work)
  cmake_parse_arguments(PARSE_ARGV 2 arg "COMMAND" "NAME"
                        "SOURCES;EXPORTS;COMPILE_OPTIONS;LINK_OPTIONS")
  _kiln_find_wasm_cc()
  set(cc "${KILN_WASM_CC}" --target=wasm32-wasi ${_KILN_WASM_CC_FLAGS})
  file(MAKE_DIRECTORY "${work}")
  set(objects "")
  set(cxx_libs "")
  set(index 0)
  foreach(src IN LISTS arg_SOURCES)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE)
    cmake_path(GET src STEM stem)
    set(obj "${work}/${index}_${stem}.o")
    set(cmd ${cc} -O2 ${arg_COMPILE_OPTIONS} -MD -MF "${obj}.d" -c "${src}" -o "${obj}")
    _kiln_write_if_changed("${obj}.cmd" "${cmd}\n")
    cmake_path(RELATIVE_PATH src BASE_DIRECTORY "${CMAKE_SOURCE_DIR}" OUTPUT_VARIABLE rel)
    add_custom_command(
      OUTPUT "${obj}"
      COMMAND ${cmd}
      DEPENDS "${src}" "${obj}.cmd"
      DEPFILE "${obj}.d"
      COMMENT "Compiling ${rel} to wasm32-wasi"
      VERBATIM COMMAND_EXPAND_LISTS)
    list(APPEND objects "${obj}")
    math(EXPR index "${index} + 1")
    _kiln_is_cxx("${src}" is_cxx)
    if(is_cxx)
      set(cxx_libs -lc++ -lc++abi)
    endif()
  endforeach()
  if(arg_COMMAND)
    set(entry "")
  else()
    set(entry -nostartfiles -Wl,--no-entry)
  endif()
  set(exports "")
  foreach(sym IN LISTS arg_EXPORTS)
    list(APPEND exports "-Wl,--export=${sym}")
  endforeach()
  # No -O at link time: clang would run wasm-opt when binaryen is installed, and the output
  # would depend on what else is on the machine.
  set(cmd ${cc} ${entry} ${exports} ${objects} -o "${wasm}" ${arg_LINK_OPTIONS} ${cxx_libs})
  _kiln_write_if_changed("${wasm}.cmd" "${cmd}\n")
  if(NOT arg_NAME)
    cmake_path(GET wasm FILENAME arg_NAME)
  endif()
  add_custom_command(
    OUTPUT "${wasm}"
    COMMAND ${cmd}
    DEPENDS ${objects} "${wasm}.cmd"
    COMMENT "Linking ${arg_NAME}"
    VERBATIM COMMAND_EXPAND_LISTS)
endfunction()

# Whether src is a C++ source, by its extension (what clang goes by).
function(_kiln_is_cxx src out)
  cmake_path(GET src EXTENSION LAST_ONLY ext)
  string(TOLOWER "${ext}" lower)
  if(ext STREQUAL ".C" OR lower MATCHES "^\\.(cc|cpp|cxx|c\\+\\+)$")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# add_wasm_module(<target> SOURCES ... [options]): docs/cmake.md.
function(add_wasm_module target)
  set(flags BOUNDS_CHECKS NO_INTERRUPT_CHECKS WASI DEBUG _KILN_COMMAND)
  set(one PREFIX OPT CPU TARGET SEALED_IMPORTS)
  set(multi SOURCES EXPORTS COMPILE_OPTIONS LINK_OPTIONS)
  cmake_parse_arguments(PARSE_ARGV 1 arg "${flags}" "${one}" "${multi}")
  set(fn add_wasm_module)
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${fn}(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "${fn}(${target}): SOURCES is required")
  endif()
  # Prefix: a C identifier of at most 100 bytes; default: the target name, sanitised.
  if(DEFINED arg_PREFIX)
    set(prefix "${arg_PREFIX}")
    string(LENGTH "${prefix}" len)
    if(NOT prefix MATCHES "^[A-Za-z_][A-Za-z0-9_]*$" OR len GREATER 100)
      message(FATAL_ERROR "${fn}(${target}): PREFIX '${prefix}' is not a C identifier of at "
                          "most 100 bytes")
    endif()
  else()
    string(MAKE_C_IDENTIFIER "${target}" prefix)
  endif()
  if(NOT DEFINED arg_OPT)
    set(arg_OPT 2)
  elseif(NOT arg_OPT MATCHES "^[0-3sz]$")
    message(FATAL_ERROR "${fn}(${target}): OPT must be 0, 1, 2, 3, s or z, not '${arg_OPT}'")
  endif()

  # Classify the sources: one .wasm, one .wat, or any number of C and C++ files.
  set(wasm_in "")
  set(wat_in "")
  set(c_in "")
  foreach(src IN LISTS arg_SOURCES)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
               NORMALIZE OUTPUT_VARIABLE abs)
    cmake_path(GET abs EXTENSION LAST_ONLY ext)
    string(TOLOWER "${ext}" ext)
    if(ext STREQUAL ".wasm")
      list(APPEND wasm_in "${abs}")
    elseif(ext STREQUAL ".wat")
      list(APPEND wat_in "${abs}")
    elseif(ext MATCHES "^\\.(c|cc|cpp|cxx|c\\+\\+)$")
      list(APPEND c_in "${abs}")
    else()
      message(FATAL_ERROR "${fn}(${target}): '${src}': SOURCES are .wasm, .wat, or C and C++ "
                          "(.c, .cc, .cpp, .cxx) files")
    endif()
  endforeach()
  list(LENGTH wasm_in n_wasm)
  list(LENGTH wat_in n_wat)
  list(LENGTH c_in n_c)
  set(kinds 0)
  foreach(n IN ITEMS ${n_wasm} ${n_wat} ${n_c})
    if(n GREATER 0)
      math(EXPR kinds "${kinds} + 1")
    endif()
  endforeach()
  if(kinds GREATER 1 OR n_wasm GREATER 1 OR n_wat GREATER 1)
    message(FATAL_ERROR "${fn}(${target}): one module per target: SOURCES is one .wasm, one "
                        ".wat, or C files")
  endif()
  if(arg_EXPORTS AND NOT c_in)
    message(FATAL_ERROR "${fn}(${target}): EXPORTS applies to C sources only")
  endif()
  if(arg_LINK_OPTIONS AND NOT c_in)
    message(FATAL_ERROR "${fn}(${target}): LINK_OPTIONS applies to C sources only")
  endif()
  if(arg_COMPILE_OPTIONS AND wasm_in)
    message(FATAL_ERROR "${fn}(${target}): COMPILE_OPTIONS applies to .c and .wat sources")
  endif()

  # Intermediates live in CMakeFiles/<target>.kiln/, the header alone in <target>/ (the
  # directory that goes on the include path).
  set(work "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${target}.kiln")
  set(include_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  set(header "${include_dir}/${prefix}.h")
  set(object "${work}/${prefix}${CMAKE_C_OUTPUT_EXTENSION}")
  if(NOT CMAKE_C_OUTPUT_EXTENSION)
    set(object "${work}/${prefix}.o")
  endif()
  file(MAKE_DIRECTORY "${work}" "${include_dir}")
  # One options file per step (see _kiln_write_if_changed): a step reruns when its own
  # command line changes, and only then.

  # 1. The wasm module.
  if(wasm_in)
    set(wasm "${wasm_in}")
  elseif(wat_in AND NOT KILN_WAT2WASM AND NOT arg_COMPILE_OPTIONS)
    set(wasm "${wat_in}") # kiln compile reads module text itself
  elseif(wat_in)
    if(KILN_WAT2WASM)
      set(wat2wasm "${KILN_WAT2WASM}")
    else()
      find_program(_KILN_WAT2WASM_FOUND wat2wasm DOC "wat2wasm for .wat sources (internal)")
      if(NOT _KILN_WAT2WASM_FOUND)
        message(FATAL_ERROR "${fn}(${target}): .wat sources need wat2wasm (WABT) on PATH or "
                            "KILN_WAT2WASM")
      endif()
      set(wat2wasm "${_KILN_WAT2WASM_FOUND}")
    endif()
    set(wasm "${work}/${prefix}.wasm")
    set(cmd "${wat2wasm}" ${arg_COMPILE_OPTIONS} "${wat_in}" -o "${wasm}")
    _kiln_write_if_changed("${work}/wat2wasm.cmd" "${cmd}\n")
    cmake_path(RELATIVE_PATH wat_in BASE_DIRECTORY "${CMAKE_SOURCE_DIR}" OUTPUT_VARIABLE rel)
    add_custom_command(
      OUTPUT "${wasm}"
      COMMAND ${cmd}
      DEPENDS "${wat_in}" "${work}/wat2wasm.cmd"
      COMMENT "Assembling wasm module ${rel}"
      VERBATIM COMMAND_EXPAND_LISTS)
  else()
    set(wasm "${work}/${prefix}.wasm")
    set(kind "")
    if(arg__KILN_COMMAND)
      set(kind COMMAND)
    endif()
    _kiln_wasm_from_c("${wasm}" "${work}" ${kind} NAME "wasm module ${target}"
                      SOURCES ${c_in} EXPORTS ${arg_EXPORTS}
                      COMPILE_OPTIONS ${arg_COMPILE_OPTIONS}
                      LINK_OPTIONS -Wl,--strip-debug ${arg_LINK_OPTIONS})
  endif()

  # 2. kiln compile: the object and the header, in one step.
  _kiln_program(kiln kiln_dep)
  _kiln_target_triple(triple "${arg_TARGET}")
  set(cmd "${kiln}" compile "${wasm}" -o "${object}" --header "${header}" --prefix "${prefix}"
          -O${arg_OPT})
  if(triple)
    list(APPEND cmd --target "${triple}")
  endif()
  if(arg_CPU)
    list(APPEND cmd --cpu "${arg_CPU}")
  endif()
  if(arg_BOUNDS_CHECKS)
    list(APPEND cmd --bounds-checks)
  endif()
  if(arg_NO_INTERRUPT_CHECKS)
    list(APPEND cmd --no-interrupt-checks)
  endif()
  if(arg_SEALED_IMPORTS)
    list(APPEND cmd --sealed-imports "${arg_SEALED_IMPORTS}")
  endif()
  if(arg_DEBUG)
    list(APPEND cmd -g)
  endif()
  _kiln_write_if_changed("${object}.cmd" "${cmd}\n")
  add_custom_command(
    OUTPUT "${object}" "${header}"
    COMMAND ${cmd}
    DEPENDS "${wasm}" ${kiln_dep} "${object}.cmd"
    COMMENT "Compiling wasm module ${target} with kiln -O${arg_OPT}"
    VERBATIM COMMAND_EXPAND_LISTS)

  # 3. The static library: the object, the header on the interface include path.
  set_source_files_properties("${object}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  set_source_files_properties("${header}" PROPERTIES HEADER_FILE_ONLY TRUE GENERATED TRUE)
  add_library(${target} STATIC "${object}" "${header}")
  set_target_properties(${target} PROPERTIES
    LINKER_LANGUAGE C
    KILN_MODULE_PREFIX "${prefix}"
    KILN_MODULE_HEADER "${header}"
    KILN_MODULE_OBJECT "${object}"
    KILN_MODULE_WASM "${wasm}")
  target_include_directories(${target} INTERFACE "$<BUILD_INTERFACE:${include_dir}>")
  target_link_libraries(${target} PUBLIC Kiln::runtime)
  if(arg_WASI OR arg__KILN_COMMAND)
    target_link_libraries(${target} PUBLIC Kiln::wasi)
  endif()
endfunction()

# "..." C string literal of s.
function(_kiln_c_string out s)
  string(REPLACE "\\" "\\\\" s "${s}")
  string(REPLACE "\"" "\\\"" s "${s}")
  string(REPLACE "\n" "\\n" s "${s}")
  set(${out} "\"${s}\"" PARENT_SCOPE)
endfunction()

# add_wasm_executable(<target> SOURCES ... [options]): docs/cmake.md. The same program as
# `kiln build`: the module (a WASI command) and a generated main() that calls
# kiln_wasi_run_main_flags with the DIRS and ENV fixed here.
function(add_wasm_executable target)
  set(flags INHERIT_ENV BOUNDS_CHECKS NO_INTERRUPT_CHECKS DEBUG)
  set(one PREFIX OPT CPU TARGET TIMEOUT)
  set(multi SOURCES DIRS ENV COMPILE_OPTIONS LINK_OPTIONS HOST_SOURCES)
  cmake_parse_arguments(PARSE_ARGV 1 arg "${flags}" "${one}" "${multi}")
  set(fn add_wasm_executable)
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${fn}(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(module_args SOURCES ${arg_SOURCES} _KILN_COMMAND)
  foreach(kw IN ITEMS BOUNDS_CHECKS NO_INTERRUPT_CHECKS DEBUG)
    if(arg_${kw})
      list(APPEND module_args ${kw})
    endif()
  endforeach()
  # TIMEOUT: a whole number and a unit (ns us ms s m h; none: seconds), as `kiln build
  # --timeout`; the generated main() stops the guest after it (exit status 124).
  set(timeout_ns "")
  if(DEFINED arg_TIMEOUT)
    if(NOT arg_TIMEOUT MATCHES "^([0-9]+)(ns|us|ms|s|m|h)?$")
      message(FATAL_ERROR "${fn}(${target}): TIMEOUT '${arg_TIMEOUT}': expected a whole "
                          "number and a unit, such as 500ms, 10s or 2m")
    endif()
    set(scale_ns 1) # ns
    set(scale_us 1000)
    set(scale_ms 1000000)
    set(scale_s 1000000000)
    set(scale_m 60000000000)
    set(scale_h 3600000000000)
    set(scale_ 1000000000)
    math(EXPR timeout_ns "${CMAKE_MATCH_1} * ${scale_${CMAKE_MATCH_2}}")
    if(timeout_ns LESS_EQUAL 0 OR arg_NO_INTERRUPT_CHECKS)
      message(FATAL_ERROR "${fn}(${target}): TIMEOUT must be positive and needs the "
                          "interruption checks NO_INTERRUPT_CHECKS leaves out")
    endif()
  endif()
  foreach(kw IN ITEMS PREFIX OPT CPU TARGET)
    if(DEFINED arg_${kw})
      list(APPEND module_args ${kw} "${arg_${kw}}")
    endif()
  endforeach()
  foreach(kw IN ITEMS COMPILE_OPTIONS LINK_OPTIONS)
    if(arg_${kw})
      list(APPEND module_args ${kw} ${arg_${kw}})
    endif()
  endforeach()
  if(NOT DEFINED arg_PREFIX)
    string(MAKE_C_IDENTIFIER "${target}" prefix)
    list(APPEND module_args PREFIX "${prefix}")
  else()
    set(prefix "${arg_PREFIX}")
  endif()
  # HOST_SOURCES: C code of the imports beyond WASI's, all sealed to it (docs/abi.md "Sealed
  # imports"): it defines PREFIX_import_MODULE_NAME, compiled with the module's header
  # included, so a definition of another type does not compile and a missing one fails the
  # link naming the import.
  if(arg_HOST_SOURCES)
    list(APPEND module_args SEALED_IMPORTS "*,-wasi_snapshot_preview1,-wasi")
  endif()
  set(module ${target}-wasm)
  add_wasm_module(${module} ${module_args})

  # The generated main(): the --dir and --env tables of `kiln build`.
  set(dirs "")
  foreach(spec IN LISTS arg_DIRS)
    string(FIND "${spec}" "::" sep)
    if(sep EQUAL -1)
      set(host "${spec}")
      set(guest "${spec}")
    else()
      string(SUBSTRING "${spec}" 0 ${sep} host)
      math(EXPR rest "${sep} + 2")
      string(SUBSTRING "${spec}" ${rest} -1 guest)
    endif()
    if(host STREQUAL "" OR guest STREQUAL "")
      message(FATAL_ERROR "${fn}(${target}): DIRS '${spec}': expected HOST or HOST::GUEST")
    endif()
    _kiln_c_string(h "${host}")
    _kiln_c_string(g "${guest}")
    string(APPEND dirs "    {.host_path = ${h}, .guest_path = ${g}},\n")
  endforeach()
  set(envs "")
  foreach(spec IN LISTS arg_ENV)
    if(NOT spec MATCHES "^[^=]+=")
      message(FATAL_ERROR "${fn}(${target}): ENV '${spec}': expected NAME=VALUE")
    endif()
    _kiln_c_string(e "${spec}")
    string(APPEND envs "    ${e},\n")
  endforeach()
  set(src "/* Generated by add_wasm_executable(${target}) (KilnFunctions.cmake): do not edit. */\n")
  string(APPEND src "#include <kiln/wasi_main.h>\n\n#include \"${prefix}.h\"\n\n")
  if(dirs)
    string(APPEND src "static const kiln_wasi_preopen dirs[] = {\n${dirs}};\n")
  endif()
  if(envs)
    string(APPEND src "static const char *const envs[] = {\n${envs}};\n")
  endif()
  string(APPEND src "\nint main(int argc, char **argv)\n{\n"
                    "    kiln_wasi_config cfg;\n    kiln_wasi_config_init(&cfg);\n")
  if(dirs)
    string(APPEND src "    cfg.preopens = dirs;\n"
                      "    cfg.preopen_count = sizeof dirs / sizeof dirs[0];\n")
  endif()
  if(envs)
    string(APPEND src "    cfg.env = envs;\n    cfg.env_count = sizeof envs / sizeof envs[0];\n")
  endif()
  if(timeout_ns)
    string(APPEND src "    cfg.timeout_ns = ${timeout_ns}u;\n")
  endif()
  set(flags "KILN_WASI_MAIN_AT_EXIT")
  if(arg_INHERIT_ENV)
    string(APPEND flags " | KILN_WASI_MAIN_INHERIT_ENV")
  endif()
  string(APPEND src "    return kiln_wasi_run_main_flags(&${prefix}_module, &cfg, ${flags}, "
                    "argc, argv);\n}\n")
  set(main_c "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${target}.kiln/main.c")
  _kiln_write_if_changed("${main_c}" "${src}")
  add_executable(${target} "${main_c}" ${arg_HOST_SOURCES})
  if(arg_HOST_SOURCES)
    set_property(SOURCE ${arg_HOST_SOURCES} TARGET_DIRECTORY ${target} APPEND PROPERTY
                 COMPILE_OPTIONS -include "${prefix}.h")
  endif()
  target_link_libraries(${target} PRIVATE ${module} Kiln::wasi)
  set_target_properties(${target} PROPERTIES KILN_MODULE_TARGET ${module})
endfunction()
