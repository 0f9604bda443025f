;; Imports a function from a module that is not part of the host ABI.
(module
  (import "env" "foo" (func $foo))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle") (param i32 i32) (result i32) (call $foo) (i32.const 0)))
