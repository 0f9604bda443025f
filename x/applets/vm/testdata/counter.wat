;; A well-behaved applet exercising the whole w3b ABI. Per event it
;; increments "count", stores the payload under "last", stores the instance
;; config under "cfg", emits ("seen", seq ++ device) and logs.
;; Payload "F..." makes handle return 7 (error); "T..." traps.
(module
  (import "w3b" "log" (func $log (param i32 i32 i32)))
  (import "w3b" "event_device" (func $event_device (param i32 i32) (result i32)))
  (import "w3b" "event_stream" (func $event_stream (result i64)))
  (import "w3b" "event_seq" (func $event_seq (result i64)))
  (import "w3b" "event_time" (func $event_time (result i64)))
  (import "w3b" "block_height" (func $block_height (result i64)))
  (import "w3b" "block_time" (func $block_time (result i64)))
  (import "w3b" "config" (func $config (param i32 i32) (result i32)))
  (import "w3b" "state_get" (func $state_get (param i32 i32 i32 i32) (result i32)))
  (import "w3b" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (import "w3b" "state_delete" (func $state_delete (param i32 i32)))
  (import "w3b" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "count")
  (data (i32.const 16) "last")
  (data (i32.const 32) "seen")
  (data (i32.const 48) "handled event")
  (data (i32.const 64) "cfg")
  (data (i32.const 80) "times")
  (data (i32.const 96) "gone")
  (func (export "alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "handle") (param $ptr i32) (param $len i32) (result i32)
    (local $c i64) (local $dlen i32) (local $clen i32)
    (if (local.get $len)
      (then
        (if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 70)) ;; 'F'
          (then (call $state_set (i32.const 96) (i32.const 4) (i32.const 0) (i32.const 1))
                (return (i32.const 7))))
        (if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 84)) ;; 'T'
          (then (call $emit (i32.const 32) (i32.const 4) (i32.const 0) (i32.const 0))
                (unreachable)))))
    ;; count += 1
    (if (i32.eq (call $state_get (i32.const 0) (i32.const 5) (i32.const 256) (i32.const 8)) (i32.const -1))
      (then (local.set $c (i64.const 0)))
      (else (local.set $c (i64.load (i32.const 256)))))
    (i64.store (i32.const 256) (i64.add (local.get $c) (i64.const 1)))
    (call $state_set (i32.const 0) (i32.const 5) (i32.const 256) (i32.const 8))
    (call $state_set (i32.const 16) (i32.const 4) (local.get $ptr) (local.get $len))
    ;; cfg
    (local.set $clen (call $config (i32.const 1024) (i32.const 256)))
    (call $state_set (i32.const 64) (i32.const 3) (i32.const 1024) (local.get $clen))
    ;; times = stream, event_time, block_height, block_time
    (i64.store (i32.const 1536) (call $event_stream))
    (i64.store (i32.const 1544) (call $event_time))
    (i64.store (i32.const 1552) (call $block_height))
    (i64.store (i32.const 1560) (call $block_time))
    (call $state_set (i32.const 80) (i32.const 5) (i32.const 1536) (i32.const 32))
    (call $state_delete (i32.const 96) (i32.const 4))
    ;; emit("seen", seq ++ device)
    (local.set $dlen (call $event_device (i32.const 520) (i32.const 64)))
    (i64.store (i32.const 512) (call $event_seq))
    (call $emit (i32.const 32) (i32.const 4) (i32.const 512) (i32.add (local.get $dlen) (i32.const 8)))
    (call $log (i32.const 1) (i32.const 48) (i32.const 13))
    (i32.const 0)))
