;; "G": grow one page at a time until memory.grow fails, then store
;;      memory.size under "pages" and succeed (shows the cap).
;; "S": grow forever, ignoring failures (must run out of gas).
;; "H": one memory.grow of 65535 pages (charged per page: out of gas).
;; other: store memory.size under "pages".
(module
  (import "w3b" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "pages")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func $store_pages
    (i32.store (i32.const 16) (memory.size))
    (call $state_set (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 4)))
  (func (export "handle") (param $p i32) (param $n i32) (result i32)
    (local $mode i32)
    (if (local.get $n) (then (local.set $mode (i32.load8_u (local.get $p)))))
    (if (i32.eq (local.get $mode) (i32.const 71)) ;; 'G'
      (then
        (block $done
          (loop $grow
            (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
            (br $grow)))))
    (if (i32.eq (local.get $mode) (i32.const 83)) ;; 'S'
      (then (loop $forever (drop (memory.grow (i32.const 1))) (br $forever))))
    (if (i32.eq (local.get $mode) (i32.const 72)) ;; 'H'
      (then (drop (memory.grow (i32.const 65535)))))
    (call $store_pages)
    (i32.const 0)))
