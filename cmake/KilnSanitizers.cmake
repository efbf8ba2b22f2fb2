# KILN_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on everything Kiln builds.
# UBSan is made fatal so a test that trips it fails instead of printing and passing.
if(KILN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
