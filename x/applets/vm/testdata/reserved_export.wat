;; Exports a name in the reserved "w3b_" namespace.
(module
  (memory (export "memory") 1)
  (global (export "w3b_gas") (mut i64) (i64.const 0))
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle") (param i32 i32) (result i32) (i32.const 0)))
