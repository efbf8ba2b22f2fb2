# KILN_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on everything Kiln builds
# (ON), or ThreadSanitizer (KILN_SANITIZE=thread; scripts/test.sh runs its runtime tests).
# UBSan is made fatal so a test that trips it fails instead of printing and passing.
# KILN_SANITIZE_LINK: what a program linking the libraries of such a build needs (the
# package, kiln.pc and `kiln build` pass it on).
set(KILN_SANITIZE_LINK "")
if(KILN_SANITIZE STREQUAL "thread")
  set(KILN_SANITIZE_LINK -fsanitize=thread)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
elseif(KILN_SANITIZE)
  set(KILN_SANITIZE_LINK -fsanitize=address,undefined)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
endif()
if(KILN_SANITIZE)
  add_link_options(${KILN_SANITIZE_LINK})
endif()
