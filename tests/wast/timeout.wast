;; timeout.wast -- a command that never finishes must cost one failure, not the run.
;;
;; tests/wast/test_wast.sh runs it with --timeout 1: `kiln wast` reports the spin as failed,
;; replays the commands before it in a fresh child (so bump's counter is 1 again) and carries
;; on after it. Crashes in generated code take the same path (the child dies by a signal).

(module
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "spin") (loop (br 0)))
)
(assert_return (invoke "bump") (i32.const 1))
(invoke "spin")
(assert_return (invoke "bump") (i32.const 2))
(invoke "spin")
(assert_return (invoke "bump") (i32.const 3))
