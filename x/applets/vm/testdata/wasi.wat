;; Exercises the wasi_snapshot_preview1 subset directly. Per event it stores
;; under "wasi": realtime ns, monotonic ns, clock_res_get errno+res,
;; args/environ counts, errnos of fd_write(5), fd_close(9), fd_prestat_get(3),
;; fd_seek(1), clock_time_get(clock 2), and 16 random bytes.
;; Payload "X" calls proc_exit(3); "B" writes 20000 bytes to stdout
;; (more than MaxLogBytes); "P" sleeps 5 ms through poll_oneoff first.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $res (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "w3b" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "wasi")
  (data (i32.const 16) "hello\n")
  (func (export "alloc") (param i32) (result i32) (i32.const 8192))
  (func (export "handle") (param $p i32) (param $n i32) (result i32)
    (local $m i32)
    (if (local.get $n) (then (local.set $m (i32.load8_u (local.get $p)))))
    (if (i32.eq (local.get $m) (i32.const 88)) (then (call $exit (i32.const 3))))
    (if (i32.eq (local.get $m) (i32.const 80))
      (then
        ;; one relative clock subscription of 5 ms at 512, event at 600
        (i64.store (i32.const 512) (i64.const 77))       ;; userdata
        (i32.store8 (i32.const 520) (i32.const 0))       ;; tag clock
        (i32.store (i32.const 528) (i32.const 1))        ;; monotonic
        (i64.store (i32.const 536) (i64.const 5000000))  ;; timeout
        (drop (call $poll (i32.const 512) (i32.const 600) (i32.const 1) (i32.const 700)))))
    ;; iovec at 32: (16, 6) -> "hello\n"
    (i32.store (i32.const 32) (i32.const 16))
    (i32.store (i32.const 36) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40)))
    (if (i32.eq (local.get $m) (i32.const 66))
      (then
        (i32.store (i32.const 32) (i32.const 20000))
        (i32.store (i32.const 36) (i32.const 20000))
        (drop (call $fd_write (i32.const 2) (i32.const 32) (i32.const 1) (i32.const 40)))))
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 128)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 136)))
    (i32.store (i32.const 144) (call $res (i32.const 0) (i32.const 148)))
    (drop (call $args (i32.const 156) (i32.const 160)))
    (drop (call $env (i32.const 164) (i32.const 168)))
    (i32.store (i32.const 172) (call $fd_write (i32.const 5) (i32.const 32) (i32.const 1) (i32.const 40)))
    (i32.store (i32.const 176) (call $fd_close (i32.const 9)))
    (i32.store (i32.const 180) (call $prestat (i32.const 3) (i32.const 300)))
    (i32.store (i32.const 184) (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 300)))
    (i32.store (i32.const 188) (call $clock (i32.const 2) (i64.const 1) (i32.const 300)))
    (drop (call $random (i32.const 192) (i32.const 16)))
    (call $state_set (i32.const 0) (i32.const 4) (i32.const 128) (i32.const 80))
    (i32.const 0)))
