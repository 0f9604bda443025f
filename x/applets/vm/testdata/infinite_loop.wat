;; Payload "L" spins forever (must be stopped by gas); anything else
;; stores "ok" and succeeds.
(module
  (import "w3b" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ok")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "handle") (param $p i32) (param $n i32) (result i32)
    (if (local.get $n)
      (then (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 76))
        (then (loop $spin (br $spin))))))
    (call $state_set (i32.const 0) (i32.const 2) (i32.const 0) (i32.const 2))
    (i32.const 0)))
