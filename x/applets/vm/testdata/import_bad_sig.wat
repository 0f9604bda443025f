;; Imports w3b.log with the wrong signature.
(module
  (import "w3b" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle") (param i32 i32) (result i32) (i32.const 0)))
