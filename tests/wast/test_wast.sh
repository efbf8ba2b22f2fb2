#!/usr/bin/env bash
# test_wast.sh -- tests of the `kiln wast` runner itself: exact exit statuses and output.
#
# Usage: test_wast.sh KILN WAST2JSON SOURCE_DIR WORK_DIR
# altered.wast has deliberately wrong expectations: the runner must report exactly those
# commands as failed, with the expected and actual values, and pass the rest (also at -O0 and
# from wast2json's JSON). timeout.wast checks that a command that never returns costs one
# failure and the script goes on with its state replayed. The threads proposal's thread and
# wait commands: scopes, the failures of wait, threads that do not finish (interrupted, or
# left running) and a timeout while a thread runs. The rest covers usage errors, the
# --skip-if-missing statuses and the scratch directory (removed, or kept with --keep).
# Cases use tests/lib/lib.sh. Exits 77 (ctest: skipped) without wast2json.
set -uo pipefail
source "$(dirname "$0")/../lib/lib.sh"
need_program "$2" "wast2json (Debian package wabt)"
kiln=$(abspath "$1") wast2json=$(abspath "$2") src=$(abspath "$3")
enter_work "$4"
mkdir tmp json
cp "$src/altered.wast" "$src/timeout.wast" .
# Scratch directories go here, so the test can check that none is left behind.
export TMPDIR=$PWD/tmp

# The one FAIL line per ";; WRONG" command of altered.wast, and the summary.
altered_output() {
    cat <<'EOF'
altered.wast:20: FAIL: assert_return add(i32:1, i32:2): expected i32:4, got i32:3
altered.wast:23: FAIL: assert_return neg(f32:1.5 (0x3fc00000)): expected f32:1.5 (0x3fc00000), got f32:-1.5 (0xbfc00000)
altered.wast:25: FAIL: assert_return sqrt(f64:4 (0x4010000000000000)): expected f64:nan:arithmetic, got f64:2 (0x4000000000000000)
altered.wast:27: FAIL: assert_return pair(i64:7): expected [i64:7, i64:2], got [i64:7, i64:1]
altered.wast:29: FAIL: assert_return id(externref:5): expected externref:6, got externref:5
altered.wast:32: FAIL: assert_return get g: expected i32:43, got i32:42
altered.wast:35: FAIL: assert_trap div_s(i32:1, i32:0): expected trap "integer overflow", got trap "integer divide by zero"
altered.wast:36: FAIL: assert_trap div_s(i32:6, i32:3): expected trap "integer divide by zero", got i32:2
altered.wast:38: FAIL: assert_return boom(): expected [], got trap "unreachable"
altered.wast:64: FAIL: assert_return $V.id(v128:i32x4:1,2,3,4): expected v128:i32x4:1,2,3,5, got v128:i32x4:1,2,3,4
altered.wast:65: FAIL: assert_return get $V.g: expected v128:i16x8:1,-2,3,-4,5,-6,7,8, got v128:i16x8:1,-2,3,-4,5,-6,7,-8
skipped: 1 text-format modules
22 passed, 11 failed, 1 skipped
EOF
}

# Every ";; WRONG" line of the script has its FAIL line above: the two lists stay in step.
wrong_lines=$(grep -n ';; WRONG$' altered.wast | cut -d: -f1 | tr '\n' ' ')
expected_lines=$(altered_output | sed -n 's/^altered\.wast:\([0-9]*\): FAIL.*/\1/p' | tr '\n' ' ')
if [[ $wrong_lines == "$expected_lines" ]]; then
    pass "altered.wast marks the lines the test expects"
else
    fail "altered.wast: WRONG lines '$wrong_lines', expected failures '$expected_lines'"
fi

altered_output | want_stdout
check "altered -O2 (default)" 1 "$kiln" wast --via-wast2json --wast2json "$wast2json" altered.wast

altered_output | want_stdout
check "altered -O0" 1 "$kiln" wast -O0 --via-wast2json --wast2json "$wast2json" altered.wast

# The same script as wast2json's JSON: modules are read beside the JSON, and the lines name
# the source file wast2json recorded.
"$wast2json" altered.wast -o json/altered.json || die "wast2json altered.wast"
altered_output | want_stdout
check "altered from JSON" 1 "$kiln" wast json/altered.json

# -v adds a line per passed or skipped command; failures and counts are unchanged.
want_stdout <<'EOF'
altered.wast:7: PASS: module $M (altered.0.wasm)
altered.wast:20: FAIL: assert_return add(i32:1, i32:2): expected i32:4, got i32:3
altered.wast:39: PASS: assert_exhaustion deep()
altered.wast:42: PASS: module altered.1.wasm
altered.wast:50: PASS: assert_return $M.add(i32:2, i32:2)
altered.wast:52: PASS: assert_invalid altered.2.wasm
altered.wast:53: SKIP: assert_malformed altered.3.wat: text-format module
altered.wast:54: PASS: assert_unlinkable altered.4.wasm
altered.wast:55: PASS: assert_uninstantiable altered.5.wasm
altered.wast:58: PASS: module $V (altered.6.wasm)
altered.wast:63: PASS: assert_return $V.id(v128:f32x4:nan (0x7fc00000),1 (0x3f800000),2 (0x40000000),3 (0x40400000))
22 passed, 11 failed, 1 skipped
EOF
contains "altered -v" 1 "$kiln" wast -v --via-wast2json --wast2json "$wast2json" altered.wast
matches "altered -v: 34 command lines" '^34$' <(grep -c ': \(PASS\|FAIL\|SKIP\): ' "$case_out")

want_stdout <<'EOF'
timeout.wast:15: FAIL: action spin(): expected it to finish, got no result within 1 s (--timeout)
timeout.wast:17: FAIL: action spin(): expected it to finish, got no result within 1 s (--timeout)
4 passed, 2 failed, 0 skipped
EOF
check "timeout: one failure each, state replayed" 1 \
    "$kiln" wast --timeout 1 --wast2json "$wast2json" timeout.wast

if [[ -z $(ls -A "$TMPDIR") ]]; then
    pass "no scratch directory left behind"
else
    fail "scratch directories left behind: $(ls "$TMPDIR")"
fi

"$kiln" wast --keep --wast2json "$wast2json" timeout.wast --timeout 1 >/dev/null 2>keep.err
kept=$(sed -n 's/^kiln wast: kept //p' keep.err)
if [[ -n $kept && -f $kept/timeout.json && -f $kept/modules.so ]]; then
    pass "--keep keeps the JSON and the linked modules"
    rm -rf "$kept"
else
    fail "--keep: stderr was: $(cat keep.err)"
fi

# --- the direct route: kiln reads the script itself (cli/wast/wast_text.c) ------------------
# The same failures; the text module of assert_malformed now runs (its message matches).
direct_altered_output() {
    altered_output | grep -v '^skipped:' |
        sed 's/^22 passed, 11 failed, 1 skipped$/23 passed, 11 failed, 0 skipped/'
}
direct_altered_output | want_stdout
check "altered, direct" 1 "$kiln" wast altered.wast

want_stdout <<'EOF'
altered.wast:53: PASS: assert_malformed altered.3.wat
EOF
contains "altered -v, direct: assert_malformed on text runs" 1 "$kiln" wast -v altered.wast

# Text modules the reader rejects: an assert_malformed passes only with a message that starts
# with the expected text; elsewhere a rejected module is a failure, and its users are skipped.
cat >messages.wast <<'EOF'
(module (func (export "f") (result i32) (i32.const 1)))
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
(assert_malformed (module quote "(func (i32.const))") "unknown operator")
(assert_malformed (module quote "(func (i32.const 1) drop)") "unexpected token")
(assert_invalid (module quote "(func (i32.const))") "type mismatch")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(module quote "(func $f (unreachable)" " (unknown))")
(assert_return (invoke "f") (i32.const 1))
EOF
want_stdout <<'EOF'
messages.wast:3: FAIL: assert_malformed messages.2.wat: expected malformed "unknown operator", got malformed "unexpected token (quoted text 1:17)" at 3:27
messages.wast:4: FAIL: assert_malformed messages.3.wasm: expected malformed, got valid
messages.wast:5: FAIL: assert_invalid messages.4.wat: expected invalid, got malformed text: 5:25: unexpected token (quoted text 1:17)
messages.wast:7: FAIL: module messages.6.wat: expected a module, got malformed text: 7:9: unknown operator unknown (quoted text 1:25)
skipped: 1 using a module that failed
3 passed, 4 failed, 1 skipped
EOF
check "direct: text modules the reader rejects" 1 "$kiln" wast messages.wast

# Scripts that are not scripts: one FILE:LINE:COLUMN message each, status 2, never a crash.
script_error() { # NAME TEXT MESSAGE
    printf '%s\n' "$2" >"$1.wast"
    printf 'kiln wast: %s.wast:%s\n' "$1" "$3" | want_stderr
    check "direct: script error: $1" 2 "$kiln" wast "$1.wast"
}
script_error unclosed '(module (func)' '1:1: unclosed module (no ")" before the end of the script)'
script_error range '(assert_return (invoke "f") (i32.const 4294967296))' \
    '1:40: constant out of range'
script_error arg '(assert_return (invoke "f" (i32.const 1) (foo)))' \
    '1:43: unexpected "foo", expected a constant'
script_error token 'xyz' '1:1: unexpected token "xyz", expected a command'
script_error command '(module) (bogus)' '1:11: unknown command "bogus"'
script_error eof '(register "x" $M' '2:1: unexpected end of script, expected ")"'
script_error string '(register "x' '1:11: unclosed string literal'
script_error lanes '(assert_return (invoke "f") (v128.const i32x4 1 2 3))' \
    '1:52: wrong number of lane literals'
script_error nan '(assert_return (invoke "f" (f32.const nan:canonical)))' \
    '1:39: unexpected token "nan:canonical", expected a number'
script_error definition '(assert_unlinkable (module definition $x) "x")' \
    '1:28: misplaced module definition'
script_error heaptype '(assert_return (invoke "f" (ref.null bogus)))' \
    '1:38: unexpected token "bogus", expected a heap type'
script_error hostref '(assert_return (invoke "f") (ref.host))' \
    '1:38: unexpected token ")", expected a host reference number (0 to 4294967295)'
deep=$(printf '(block %.0s' $(seq 5000))
script_error deep "(module $deep" '1:1: unclosed module (no ")" before the end of the script)'
printf '(module (func %s%s))\n' "$deep" "$(printf ')%.0s' $(seq 5000))" >nested.wast
want_stdout <<'EOF'
nested.wast:1: FAIL: module nested.0.wat: expected a module, got malformed text: 1:1: nesting too deep: more than 1000 folded instructions
0 passed, 1 failed, 0 skipped
EOF
check "direct: nesting past the reader's limit" 1 "$kiln" wast nested.wast

# assert_invalid: the validator's message must start with the expected text on the direct
# route (Kiln's own conversion); through wast2json only the class is checked.
printf '%s\n' '(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")' \
    '(assert_invalid (module (func (result i32) (i64.const 0))) "unknown type")' >invalid.wast
want_stdout <<'EOF'
invalid.wast:2: FAIL: assert_invalid invalid.1.wasm: expected invalid "unknown type", got invalid "type mismatch: instruction requires [i32] but stack has [i64] (end)"
1 passed, 1 failed, 0 skipped
EOF
check "direct: assert_invalid checks the message" 1 "$kiln" wast invalid.wast
want_stdout <<'EOF'
2 passed, 0 failed, 0 skipped
EOF
check "via wast2json: assert_invalid checks the class" 0 \
    "$kiln" wast --via-wast2json --wast2json "$wast2json" invalid.wast

# (either ...): any one alternative passes; a failure shows them all.
cat >either.wast <<'EOF'
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "nan") (result f32) (f32.const nan:0x400001))
  (func (export "two") (result i32 i64) (i32.const 2) (i64.const 3)))
(assert_return (invoke "one") (either (i32.const 0) (i32.const 1)))
(assert_return (invoke "nan") (either (f32.const 1) (f32.const nan:arithmetic)))
(assert_return (invoke "two") (i32.const 2) (either (i64.const 4) (i64.const 5)))
(assert_return (invoke "one") (either (i32.const 7)))
EOF
want_stdout <<'EOF'
either.wast:7: FAIL: assert_return two(): expected [i32:2, either(i64:4 | i64:5)], got [i32:2, i64:3]
either.wast:8: FAIL: assert_return one(): expected i32:7, got i32:1
3 passed, 2 failed, 0 skipped
EOF
check "direct: either" 1 "$kiln" wast either.wast
script_error either_empty '(assert_return (invoke "f") (either))' \
    '1:30: (either) needs at least one result'
script_error either_nested '(assert_return (invoke "f") (either (either (i32.const 1))))' \
    '1:38: unexpected "either", expected a result'

# Meta commands: (script ...) groups commands that run as at the top, (output ...) is skipped.
cat >meta.wast <<'EOF'
(script $s
  (module (func (export "f") (result i32) (i32.const 1)))
  (assert_return (invoke "f") (i32.const 2)))
(output $s "s.wasm")
(output)
(assert_return (invoke "f") (i32.const 1))
EOF
want_stdout <<'EOF'
meta.wast:3: FAIL: assert_return f(): expected i32:2, got i32:1
2 passed, 1 failed, 0 skipped
EOF
check "direct: script and output" 1 "$kiln" wast meta.wast
script_error input '(input "other.wast")' '1:2: (input ...) is not supported'
script_error unclosed_script '(script (module)' '2:1: unexpected end of script, expected a command'

# The threads proposal's (thread ...) and (wait ...) run on host threads. Scopes: $In is
# T1's, and so is T1's registration of "m" (the script registers it itself before line 13:
# each registry starts empty); a FAIL inside a thread carries its line; a thread waited
# twice, a thread never started and a module not there to share are failures; a thread no
# wait takes is waited for at the end (T2: its FAIL comes last). The FAIL lines come in
# script order: each thread's are printed before the wait for it returns.
cat >threads.wast <<'EOF'
(module $M (memory (export "m") 1 1 shared)
  (func (export "f") (result i32) (i32.const 1)))
(thread $T1 (shared (module $M))
  (register "m" $M)
  (module $In (import "m" "m" (memory 1 1 shared))
    (func (export "g") (result i32) (i32.atomic.load (i32.const 0))))
  (assert_return (invoke "g") (i32.const 1))
  (assert_return (invoke $M "f") (either (i32.const 2) (i32.const 3))))
(wait $T1)
(wait $T1)
(wait $T3)
(assert_return (invoke $In "g") (i32.const 0)) (register "m" $M)
(module (import "m" "m" (memory 1 1 shared))
  (func (export "h") (result i32) (i32.atomic.load (i32.const 0))))
(assert_return (invoke "h") (i32.const 0))
(thread $T2 (shared (module $Zip)) (assert_return (invoke $M "f") (i32.const 1)))
EOF
want_stdout <<'EOF'
threads.wast:7: FAIL: assert_return g(): expected i32:1, got i32:0
threads.wast:8: FAIL: assert_return $M.f(): expected either(i32:2 | i32:3), got i32:1
threads.wast:10: FAIL: wait $T1: expected a thread $T1 to wait for, got none: the wait at line 9 took it
threads.wast:11: FAIL: wait $T3: expected a thread $T3 to wait for, got none
threads.wast:12: FAIL: assert_return $In.g(): expected a module to run it in, got none
threads.wast:16: FAIL: thread $T2: expected a module $Zip to share, got none
threads.wast:16: FAIL: assert_return $M.f(): expected a module to run it in, got none
4 passed, 7 failed, 0 skipped
EOF
check "direct: thread and wait" 1 "$kiln" wast threads.wast
want_stdout <<'EOF'
threads.wast:5: PASS: module $In (threads.1.wasm)
threads.wast:15: PASS: assert_return h()
EOF
contains "direct: thread and wait, -v" 1 "$kiln" wast -v threads.wast

# A wait gives up after --timeout: the thread's call is interrupted (a wait nobody notifies,
# a loop), it reports nothing more and runs no further command, and the script goes on
# (nobody waits at 0 any more). A thread no wait takes that does not finish fails at the end.
cat >thread_timeout.wast <<'EOF'
(module $M (memory (export "m") 1 1 shared))
(register "m" $M)
(thread $Hang (shared (module $M)) (register "m" $M)
  (module (import "m" "m" (memory 1 1 shared))
    (func (export "wait") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (assert_return (invoke "wait") (i32.const 0))
  (assert_return (invoke "wait") (i32.const 0)))
(thread $Spin
  (module (func (export "spin") (loop (br 0))))
  (invoke "spin"))
(wait $Hang)
(module (import "m" "m" (memory 1 1 shared))
  (func (export "notify") (result i32) (memory.atomic.notify (i32.const 0) (i32.const 1))))
(assert_return (invoke "notify") (i32.const 0))
EOF
want_stdout <<'EOF'
thread_timeout.wast:11: FAIL: wait $Hang: expected thread $Hang to finish, got no result within 1 s (--timeout): it was running the command at line 6
thread_timeout.wast:8: FAIL: thread $Spin: expected it to finish (no wait took it), got no result within 1 s (--timeout) after the end of the script: it was running the command at line 10
5 passed, 2 failed, 0 skipped
EOF
check "direct: threads that do not finish" 1 "$kiln" wast --timeout 1 thread_timeout.wast

# A thread that cannot be interrupted (its module's start function loops) is left running:
# the script ends all the same.
cat >thread_stuck.wast <<'EOF'
(thread $S (module (func $s (loop (br 0))) (start $s)))
(module (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 1))
EOF
want_stdout <<'EOF'
thread_stuck.wast:1: FAIL: thread $S: expected it to finish (no wait took it), got no result within 1 s (--timeout) after the end of the script: it was running the command at line 1
2 passed, 1 failed, 0 skipped
EOF
check "direct: a thread that cannot be stopped" 1 "$kiln" wast --timeout 1 thread_stuck.wast

# A command of the script that does not finish while a thread runs: the failure names the
# thread, which is not run again when the script is replayed; its wait is skipped.
cat >thread_replay.wast <<'EOF'
(module $M (memory (export "m") 1 1 shared))
(register "m" $M)
(thread $W (shared (module $M)) (register "m" $M)
  (module (import "m" "m" (memory 1 1 shared))
    (func (export "w") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (assert_return (invoke "w") (i32.const 0)))
(module (func (export "spin") (loop (br 0))))
(invoke "spin")
(wait $W)
(assert_return (invoke "spin") (i32.const 0))
EOF
want_stdout <<'EOF'
thread_replay.wast:8: FAIL: action spin(): expected it to finish, got no result within 1 s (--timeout) while the thread at line 3 ran
thread_replay.wast:10: FAIL: assert_return spin(): expected it to finish, got no result within 1 s (--timeout)
skipped: 1 waits for threads a crash or a timeout stopped
3 passed, 2 failed, 1 skipped
EOF
check "direct: a timeout while a thread runs" 1 "$kiln" wast --timeout 1 thread_replay.wast
want_stdout <<'EOF'
thread_replay.wast:9: SKIP: wait $W: thread $W at line 3 was stopped when the process running the script died
EOF
contains "direct: a timeout while a thread runs, -v" 1 "$kiln" wast -v --timeout 1 thread_replay.wast

# An instance runs on one thread at a time: calling one that a thread is calling fails.
cat >thread_busy.wast <<'EOF'
(module $M (memory (export "m") 1 1 shared)
  (func (export "hold") (result i32)
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (loop $spin (br_if $spin (i32.eqz (i32.atomic.load (i32.const 4)))))
    (i32.const 7))
  (func (export "f") (result i32) (i32.const 1)))
(register "m" $M)
(thread $T (shared (module $M)) (assert_return (invoke $M "hold") (i32.const 7)))
(module $C (import "m" "m" (memory 1 1 shared))
  (func (export "held") (loop $spin (br_if $spin (i32.eqz (i32.atomic.load (i32.const 0))))))
  (func (export "release") (i32.atomic.store (i32.const 4) (i32.const 1))))
(invoke $C "held")
(assert_return (invoke $M "f") (i32.const 1))
(invoke $C "release")
(wait $T)
(assert_return (invoke $M "f") (i32.const 1))
EOF
want_stdout <<'EOF'
thread_busy.wast:13: FAIL: assert_return $M.f(): expected i32:1, got error: the instance is being called on another thread (an instance runs on one thread at a time)
6 passed, 1 failed, 0 skipped
EOF
check "direct: an instance another thread is calling" 1 "$kiln" wast thread_busy.wast

# Thread syntax errors: threads nested deeper than 64, shared names a module, wait names a
# thread. 64 deep is fine.
script_error thread_nested "$(printf '(thread %.0s' {1..65})$(printf ')%.0s' {1..65})" \
    '1:514: threads nested deeper than 64'
printf '(thread %.0s' {1..64} >thread_nested64.wast
printf ')%.0s' {1..64} >>thread_nested64.wast
echo '0 passed, 0 failed, 0 skipped' | want_stdout
check "direct: threads nested 64 deep" 0 "$kiln" wast thread_nested64.wast
script_error thread_shared '(thread $A (shared (func)))' \
    '1:21: unexpected token "func", expected "module"'
script_error wait_name '(wait)' "1:6: unexpected token \")\", expected the thread's name"

# --- Wasm 3.0 scripts: module definitions and instances, assert_exception, the *_custom
# assertions (judged: the reader interprets @custom, @name and branch hints), GC and host
# reference values (wast3.wast passes; wast3_wrong.wast fails) ---
cp "$src/wast3.wast" "$src/wast3_wrong.wast" .
want_stdout <<'EOF'
skipped: 2 unsupported by the compiler, 6 values the runner cannot represent
40 passed, 0 failed, 8 skipped
EOF
check "direct: Wasm 3.0 commands" 0 "$kiln" wast wast3.wast
want_stdout <<'EOF'
wast3.wast:10: PASS: module instance $I1 of $M
wast3.wast:25: PASS: module instance of the latest module
wast3.wast:32: PASS: assert_unlinkable (module instance of $Imp)
wast3.wast:34: PASS: assert_uninstantiable (module instance of $Oob)
wast3.wast:56: SKIP: assert_return id_extern(hostref:1): argument 0: compiled code holds no hostref
wast3.wast:58: SKIP: assert_return func(): expected result: compiled code holds no structref
wast3.wast:65: PASS: assert_malformed_custom wast3.8.wat
wast3.wast:66: PASS: assert_invalid_custom wast3.9.wat
wast3.wast:74: SKIP: assert_invalid wast3.11.wasm: wast3.11.wasm:0x18: error: multiple memories: 2 memories, at most 1 (valid in Wasm 3.0)
wast3.wast:76: SKIP: assert_invalid wast3.12.wasm: wast3.12.wasm:0x1a: error: unsupported feature: gc (ref.i31) (in function 0)
wast3.wast:81: PASS: assert_invalid wast3.13.wasm
EOF
contains "direct: Wasm 3.0 commands, -v" 0 "$kiln" wast -v wast3.wast
matches "direct: Wasm 3.0 commands, -v: 48 command lines" '^48$' \
    <(grep -c ': \(PASS\|FAIL\|SKIP\): ' "$case_out")
wast3_wrong_output() {
    cat <<'EOF'
wast3_wrong.wast:5: FAIL: assert_return $I.one(): expected i32:2, got i32:1
wast3_wrong.wast:6: FAIL: assert_exception $I.one(): expected an exception, got i32:1
wast3_wrong.wast:7: FAIL: module instance $X of $Nope: expected a module $Nope to instantiate, got none
wast3_wrong.wast:13: FAIL: assert_return func(): expected ref:null, got funcref:non-null
wast3_wrong.wast:14: FAIL: assert_return null(): expected funcref:non-null, got funcref:null
wast3_wrong.wast:16: FAIL: assert_unlinkable (module instance of $M): expected link error, got a module
wast3_wrong.wast:17: FAIL: assert_uninstantiable (module instance of $M): expected trap "unreachable", got a module
wast3_wrong.wast:18: FAIL: module definition $Bad (wast3_wrong.2.wasm): expected a module, got compile error: wast3_wrong.2.wasm:0x1a: error: type mismatch: instruction requires [i32] but stack has [i64] (end) (in function 0)
wast3_wrong.wast:27: FAIL: assert_uninstantiable wast3_wrong.4.wasm: expected trap "unreachable", got a module
wast3_wrong.wast:34: FAIL: assert_malformed_custom wast3_wrong.7.wasm: expected malformed, got valid
wast3_wrong.wast:35: FAIL: assert_malformed_custom wast3_wrong.8.wat: expected malformed, got invalid text: 35:40: @metadata.code.branch_hint annotation: invalid target
wast3_wrong.wast:36: FAIL: assert_invalid_custom wast3_wrong.9.wat: expected invalid, got malformed text: 36:39: misplaced @name annotation
skipped: 5 using a module that failed, 1 values the runner cannot represent
7 passed, 12 failed, 6 skipped
EOF
}
wast3_wrong_output | want_stdout
check "direct: Wasm 3.0 commands, wrong expectations" 1 "$kiln" wast wast3_wrong.wast
want_stdout <<'EOF'
wast3_wrong.wast:8: SKIP: assert_return $X.one(): module instance at line 7 failed
wast3_wrong.wast:15: SKIP: assert_return null(): expected result: compiled code holds no structref
wast3_wrong.wast:19: SKIP: module instance of $Bad: module at line 18 failed
wast3_wrong.wast:20: SKIP: assert_return func(): module at line 18 failed
wast3_wrong.wast:28: SKIP: assert_return $S.load(): its state may differ: the module at line 27 that imports from it was not instantiated as the script expects
wast3_wrong.wast:30: SKIP: assert_return $T.load(): its state may differ: the module at line 27 that imports from it was not instantiated as the script expects
wast3_wrong.wast:32: PASS: assert_return $V.load()
EOF
contains "direct: Wasm 3.0 commands, wrong expectations, -v" 1 "$kiln" wast -v wast3_wrong.wast
# The JSON the direct route writes runs the same way (the module files beside it).
any_stdout
check "direct: --prepare-only, Wasm 3.0 commands" 0 \
    "$kiln" wast --prepare-only --work prep3 wast3_wrong.wast
wast3_wrong_output | want_stdout
check "direct: the JSON of Wasm 3.0 commands" 1 "$kiln" wast --work prep3 prep3/wast3_wrong.json

# A module instance that does not finish costs one failure; its users are skipped.
cat >instance_timeout.wast <<'EOF'
(module definition $M
  (func $start (loop (br 0)))
  (start $start)
  (func (export "f") (result i32) (i32.const 7)))
(module instance $I $M)
(assert_return (invoke $I "f") (i32.const 7))
(module $N (func (export "g") (result i32) (i32.const 8)))
(assert_return (invoke "g") (i32.const 8))
EOF
want_stdout <<'EOF'
instance_timeout.wast:5: FAIL: module instance $I of $M: expected it to finish, got no result within 1 s (--timeout)
skipped: 1 using a module that failed
3 passed, 1 failed, 1 skipped
EOF
check "direct: a module instance that does not finish" 1 \
    "$kiln" wast --timeout 1 instance_timeout.wast

# --spec: where Wasm 2.0 and 3.0 disagree about the same module, one version's answers.
cat >versions.wast <<'EOF'
(assert_malformed (module quote "(func (i8x16.extract_lane_s 256 (v128.const i64x2 0 0)) drop)")
  "malformed lane index")
(assert_malformed (module quote "(memory 0x1_0000_0000)") "i32 constant out of range")
(assert_invalid (module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))
  "global is immutable")
(assert_invalid (module (memory 1) (memory 1)) "multiple memories")
EOF
want_stdout <<'EOF'
4 passed, 0 failed, 0 skipped
EOF
check "--spec 2.0 (the default): 2.0's answers" 0 "$kiln" wast versions.wast
want_stdout <<'EOF'
versions.wast:1: FAIL: assert_malformed versions.0.wat: expected malformed "malformed lane index", got malformed "i8 constant out of range (quoted text 1:29)" at 1:27
versions.wast:3: FAIL: assert_malformed versions.1.wasm: expected malformed, got invalid: versions.1.wasm:0xb: error: memory size must be at most 65536 pages (4GiB)
versions.wast:4: FAIL: assert_invalid versions.2.wasm: expected invalid "global is immutable", got invalid "immutable global: global.set 0"
versions.wast:6: FAIL: assert_invalid versions.3.wasm: expected invalid, got valid
0 passed, 4 failed, 0 skipped
EOF
check "--spec 3.0: 3.0's answers" 1 "$kiln" wast --spec 3.0 versions.wast
want_stderr <<'EOF'
kiln wast: bad --spec '2.1' (2.0 or 3.0)
Run 'kiln help wast' for usage.
EOF
check "--spec with another version" 2 "$kiln" wast --spec 2.1 versions.wast

# --prepare-only leaves DIR/NAME.json and the module files for a later run from the JSON.
any_stdout
check "direct: --prepare-only" 0 "$kiln" wast --prepare-only --work prep altered.wast
direct_altered_output | want_stdout
check "direct: the JSON --prepare-only wrote" 1 "$kiln" wast --work prep prep/altered.json

# --- calls as wide as a function type may be (KILN_MAX_PARAMS, KILN_MAX_RESULTS: 1,000) ----
# many_params N writes a module with two functions of N parameters cycling i32, i64, f32,
# f64 (values -500..499, floats integral so every sum is exact): "wsumN" returns the sum of
# each parameter (as i64) times its position + 1, "echoN" returns its parameters. Then one
# assert_return each, with the results worked out here, and one deliberately wrong.
many_params() {
    local n=$1 i t v params="" sum_body="" echo_body="" args="" sum=0
    local -a types=(i32 i64 f32 f64)
    for ((i = 0; i < n; i++)); do
        t=${types[i % 4]}
        v=$(((i * 37) % 1000 - 500))
        params+=" $t"
        args+=" ($t.const $v)"
        sum=$((sum + v * (i + 1)))
        case $t in
        i32) sum_body+=" (local.get $i) (i64.extend_i32_s)" ;;
        i64) sum_body+=" (local.get $i)" ;;
        f32) sum_body+=" (local.get $i) (i64.trunc_f32_s)" ;;
        f64) sum_body+=" (local.get $i) (i64.trunc_f64_s)" ;;
        esac
        sum_body+=" (i64.const $((i + 1))) (i64.mul)"
        ((i > 0)) && sum_body+=" (i64.add)"
        echo_body+=" (local.get $i)"
    done
    printf '(module\n  (func (export "wsum%d") (param%s) (result i64)%s)\n' "$n" "$params" "$sum_body"
    printf '  (func (export "echo%d") (param%s) (result%s)%s))\n' "$n" "$params" "$params" "$echo_body"
    printf '(assert_return (invoke "wsum%d"%s) (i64.const %d))\n' "$n" "$args" "$sum"
    printf '(assert_return (invoke "echo%d"%s)%s)\n' "$n" "$args" "$args"
    printf '(assert_return (invoke "wsum%d"%s) (i64.const %d))\n' "$n" "$args" $((sum + 1))
    echo "$sum" >"wide$n.sum"
}
for n in 400 1000; do
    many_params "$n" >"wide$n.wast"
    printf 'wide%d.wast:6: FAIL: assert_return wsum%d(' "$n" "$n" >wide.want
    # The failure line names the call by its first arguments, then " ...".
    "$kiln" wast --wast2json "$wast2json" "wide$n.wast" >wide.out 2>wide.err
    status=$?
    sum=$(cat "wide$n.sum")
    if [[ $status == 1 && $(tail -1 wide.out) == "3 passed, 1 failed, 0 skipped" &&
        $(wc -l <wide.out) == 2 && $(head -1 wide.out) == "$(cat wide.want)"* &&
        $(head -1 wide.out) == *" ...: expected i64:$((sum + 1)), got i64:$sum" && ! -s wide.err ]]; then
        pass "$n parameters and results: 2 passed, the wrong sum reported"
    else
        fail "$n parameters: status $status, stdout $(head -c 300 wide.out) ... $(tail -c 200 wide.out), stderr $(cat wide.err)"
    fi
done

# --- usage errors and missing pieces -----------------------------------------------------
want_stderr <<'EOF'
kiln wast: expected a FILE.wast or FILE.json
Run 'kiln help wast' for usage.
EOF
check "no file" 2 "$kiln" wast

want_stderr <<'EOF'
kiln wast: unknown option '--frobnicate'
Run 'kiln help wast' for usage.
EOF
check "unknown option" 2 "$kiln" wast --frobnicate altered.wast

want_stderr <<'EOF'
kiln wast: option '--linker' needs a value
Run 'kiln help wast' for usage.
EOF
check "option without its value" 2 "$kiln" wast altered.wast --linker

want_stderr <<'EOF'
kiln wast: 'altered.txt' is neither a .wast nor a .json file
Run 'kiln help wast' for usage.
EOF
check "not a script" 2 "$kiln" wast altered.txt

want_stderr <<'EOF'
kiln wast: expected one FILE, got 'timeout.wast' too
Run 'kiln help wast' for usage.
EOF
check "two files" 2 "$kiln" wast altered.wast timeout.wast

want_stderr <<'EOF'
kiln wast: missing.wast not found
EOF
check "missing file" 2 "$kiln" wast missing.wast

want_stdout <<'EOF'
kiln wast: SKIP: missing.wast not found
EOF
check "missing file, --skip-if-missing" 77 "$kiln" wast --skip-if-missing missing.wast

want_stderr <<'EOF'
kiln wast: wast2json not found ("/nonexistent/wast2json"; install wabt)
EOF
check "no wast2json" 2 "$kiln" wast --via-wast2json --wast2json /nonexistent/wast2json altered.wast

want_stdout <<'EOF'
kiln wast: SKIP: wast2json not found ("/nonexistent/wast2json"; install wabt)
EOF
check "no wast2json, --skip-if-missing" 77 \
    "$kiln" wast --skip-if-missing --via-wast2json --wast2json /nonexistent/wast2json altered.wast

want_stderr <<'EOF'
kiln wast: the linker given with --linker was not found
EOF
check "no linker" 2 "$kiln" wast --linker /nonexistent/ld.lld altered.wast

finish
