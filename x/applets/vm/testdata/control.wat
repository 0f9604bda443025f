;; Control-flow torture test for the instrumenter: multi-value results,
;; return from nested blocks, br_table with a branch to the function's
;; outermost label, br_if back-edges, call_indirect, recursion, floats,
;; bulk memory, memory.grow and a start function. The exported "run" must
;; return the same value before and after instrumentation.
(module
  (type $unop (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (table 4 funcref)
  (elem (i32.const 0) $sq $neg $dbl $fib32)
  (start $init)
  (func $init (global.set $g (i32.const 42)))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "handle") (param i32 i32) (result i32) (i32.const 0))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $neg (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func $dbl (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (func $fib32 (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib32 (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib32 (i32.sub (local.get $n) (i32.const 2)))))))
  (func $divmod (param $a i32) (param $b i32) (result i32 i32)
    (block $outer
      (block $inner
        (br_if $inner (local.get $b))
        (return (i32.const -1) (i32.const -1)))
      (if (i32.gt_u (local.get $b) (i32.const 1000))
        (then (return (call $sq (local.get $a)) (i32.const 0)))))
    (i32.div_u (local.get $a) (local.get $b))
    (i32.rem_u (local.get $a) (local.get $b)))
  (func $dispatch (param $k i32) (param $x i32) (result i32)
    block $d2 (result i32)
      block $d1 (result i32)
        block $d0 (result i32)
          local.get $x
          local.get $k
          br_table $d0 $d1 $d2 3
        end
        i32.const 3
        i32.mul
        return
      end
      i32.const 100
      i32.add
      br 1
    end
    call $dbl
    i32.const 7
    i32.xor)
  (func $loops (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $acc i64)
    (block $exit
      (loop $outer
        (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (loop $inner
          (local.set $acc (i64.add (local.get $acc)
            (i64.extend_i32_u (call_indirect (type $unop) (local.get $j) (i32.and (local.get $j) (i32.const 3))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (local.get $i))))
        (if (i32.and (local.get $i) (i32.const 1))
          (then (local.set $acc (i64.mul (local.get $acc) (i64.const 3))))
          (else (local.set $acc (i64.xor (local.get $acc) (i64.const 0x5555)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $acc))
  (func $floats (param $n i32) (result i64)
    (local $x f64) (local $y f32) (local $i i32)
    (local.set $x (f64.const 1.5))
    (local.set $y (f32.const 0.25))
    (loop $l
      (local.set $x (f64.add (f64.mul (local.get $x) (f64.const 1.01))
                             (f64.sqrt (f64.convert_i32_u (local.get $i)))))
      (local.set $y (f32.add (local.get $y) (f32.demote_f64 (f64.div (local.get $x) (f64.const 7)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.xor (i64.reinterpret_f64 (local.get $x))
             (i64.extend_i32_u (i32.reinterpret_f32 (local.get $y)))))
  (func $bulk (param $n i32) (result i64)
    (local $i i32) (local $s i64)
    (memory.fill (i32.const 2048) (i32.const 7) (local.get $n))
    (memory.copy (i32.const 8192) (i32.const 2048) (local.get $n))
    (drop (memory.grow (i32.const 1)))
    (block $e (loop $l
      (br_if $e (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i64.add (local.get $s) (i64.load8_u (i32.add (i32.const 8192) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i64.add (local.get $s) (i64.extend_i32_u (memory.size))))
  (func $mix (param $acc i64) (param $v i64) (result i64)
    (i64.add (i64.mul (local.get $acc) (i64.const 1000003)) (local.get $v)))
  (func (export "run") (param $n i32) (result i64)
    (local $acc i64) (local $q i32) (local $r i32)
    (call $divmod (i32.const 100) (local.get $n))
    (local.set $r) (local.set $q)
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (local.get $q))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (local.get $r))))
    (call $divmod (i32.const 5) (i32.const 0))
    (local.set $r) (local.set $q)
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (i32.add (local.get $q) (local.get $r)))))
    (call $divmod (i32.const 5) (i32.const 5000))
    (local.set $r) (local.set $q)
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (i32.add (local.get $q) (local.get $r)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (call $dispatch (i32.const 0) (local.get $n)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (call $dispatch (i32.const 1) (local.get $n)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (call $dispatch (i32.const 2) (local.get $n)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (call $dispatch (i32.const 3) (local.get $n)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_s (call $dispatch (i32.const 9) (local.get $n)))))
    (local.set $acc (call $mix (local.get $acc) (call $loops (i32.const 20))))
    (local.set $acc (call $mix (local.get $acc) (call $floats (i32.const 1000))))
    (local.set $acc (call $mix (local.get $acc) (call $bulk (i32.const 1000))))
    (call $mix (local.get $acc) (i64.extend_i32_s (global.get $g)))))
