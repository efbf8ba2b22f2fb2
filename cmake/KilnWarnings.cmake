# Warnings for Kiln's own code: -Wall -Wextra plus the ones model C codebases use (Lua's
# makefile), clean under GCC 12 and clang-19. Applied per target with kiln_set_warnings(),
# never to generated code. -Werror only with -DKILN_WERROR=ON (developers and CI:
# scripts/test.sh turns it on); a user's newer compiler must not fail the build on a new
# warning.
# C sources only: the runtime's assembly (stack_switch_*.S) gets -Wall -Wundef.
function(kiln_set_warnings target)
  target_compile_options(${target} PRIVATE
    "$<$<COMPILE_LANGUAGE:C>:-Wall;-Wextra;-Wshadow;-Wundef;-Wwrite-strings;-Wstrict-prototypes>"
    "$<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes;-Wold-style-definition;-Wformat=2;-Wvla>"
    "$<$<COMPILE_LANGUAGE:C>:-Wpointer-arith;-Wcast-qual;-Wno-unused-parameter>"
    "$<$<COMPILE_LANGUAGE:ASM>:-Wall;-Wundef>"
    $<$<BOOL:${KILN_WERROR}>:-Werror>)
endfunction()
