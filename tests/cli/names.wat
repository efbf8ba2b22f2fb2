;; names.wat -- a binary module with a name section (module, function and local names, two
;; functions of one name, a name with a space), for `kiln inspect --wat` (test_inspect_wat.sh).
(module binary
  "\00\61\73\6d\01\00\00\00\01\06\01\60\01\7f\01\7f\03\05\04\00\00\00\00\07\08\01\04\6d\61\69\6e\00"
  "\00\0a\21\04\10\01\01\7f\20\00\10\01\10\02\10\03\21\01\20\01\0b\04\00\20\00\0b\04\00\20\00\0b\04"
  "\00\20\00\0b\00\2c\04\6e\61\6d\65\00\02\01\6d\01\16\04\00\04\6d\61\69\6e\01\03\64\75\70\02\03\64"
  "\75\70\03\03\61\20\62\02\09\01\00\02\00\01\78\01\01\79")
