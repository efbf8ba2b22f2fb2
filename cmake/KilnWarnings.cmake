# Warnings for Kiln's own code: -Wall -Wextra -Werror plus the ones model C codebases use
# (Lua's makefile). Applied per target with kiln_set_warnings(), never to generated code.
function(kiln_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror
    -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -Wformat=2 -Wvla -Wpointer-arith -Wcast-qual
    -Wno-unused-parameter)
endfunction()
