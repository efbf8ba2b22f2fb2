;; Seed: malformed text the reader must report (an unclosed block, a bad number, nesting).
(module (func (block (block (block (i32.const 1_) (nan:0x0 (; unclosed
