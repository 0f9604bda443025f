;; A module with a start function: it runs (metered) when the instance is
;; created and its effect is visible to handle.
(module
  (import "w3b" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "started")
  (global $n (mut i32) (i32.const 0))
  (start $init)
  (func $init (local $i i32)
    (loop $l
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100)))))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "handle") (param i32 i32) (result i32)
    (i32.store (i32.const 16) (global.get $n))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (call $state_set (i32.const 0) (i32.const 7) (i32.const 16) (i32.const 4))
    (i32.const 0)))
