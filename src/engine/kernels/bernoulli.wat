;; Dropout Lens: Bernoulli keep masks from four interleaved sfc32 generators, one per i32x4 lane.
;;
;; Assembled by scripts/build-wasm.mjs into bernoulliWasm.generated.ts; the host is bernoulli.ts, which also holds
;; the TypeScript twin of this stream (the fallback, and what the tests compare against).
;; State (64 bytes): the a, b, c and d words of lanes 0-3, each as one v128. One step of the four generators yields
;; 4 values; value 4s + l of a draw comes from step s of lane l. A draw runs whole blocks of 16 values.
(module
  (memory (export "memory") 1)

  ;; dst[i] = (value i >= threshold, unsigned) for i < roundUp(n, 16); returns how many of the first n are 1.
  (func (export "draw") (param $state i32) (param $dst i32) (param $n i32) (param $threshold i32) (result i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $t v128)
    (local $thr v128) (local $one v128) (local $kept v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $at i32) (local $end i32) (local $count i32)
    (local.set $a (v128.load (local.get $state)))
    (local.set $b (v128.load offset=16 (local.get $state)))
    (local.set $c (v128.load offset=32 (local.get $state)))
    (local.set $d (v128.load offset=48 (local.get $state)))
    (local.set $thr (i32x4.splat (local.get $threshold)))
    (local.set $one (i32x4.splat (i32.const 1)))
    (local.set $at (local.get $dst))
    (local.set $end (i32.add (local.get $dst) (local.get $n)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        ;; One sfc32 step on every lane: t = a + b + d; d += 1; a = b ^ (b >> 9); b = c + (c << 3); c = rotl(c, 21) + t.
        (local.set $t (i32x4.add (i32x4.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32x4.add (local.get $d) (local.get $one)))
        (local.set $a (v128.xor (local.get $b) (i32x4.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32x4.add (local.get $c) (i32x4.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32x4.add (v128.or (i32x4.shl (local.get $c) (i32.const 21)) (i32x4.shr_u (local.get $c) (i32.const 11))) (local.get $t)))
        (local.set $m0 (i32x4.ge_u (local.get $t) (local.get $thr)))
        (local.set $t (i32x4.add (i32x4.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32x4.add (local.get $d) (local.get $one)))
        (local.set $a (v128.xor (local.get $b) (i32x4.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32x4.add (local.get $c) (i32x4.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32x4.add (v128.or (i32x4.shl (local.get $c) (i32.const 21)) (i32x4.shr_u (local.get $c) (i32.const 11))) (local.get $t)))
        (local.set $m1 (i32x4.ge_u (local.get $t) (local.get $thr)))
        (local.set $t (i32x4.add (i32x4.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32x4.add (local.get $d) (local.get $one)))
        (local.set $a (v128.xor (local.get $b) (i32x4.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32x4.add (local.get $c) (i32x4.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32x4.add (v128.or (i32x4.shl (local.get $c) (i32.const 21)) (i32x4.shr_u (local.get $c) (i32.const 11))) (local.get $t)))
        (local.set $m2 (i32x4.ge_u (local.get $t) (local.get $thr)))
        (local.set $t (i32x4.add (i32x4.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32x4.add (local.get $d) (local.get $one)))
        (local.set $a (v128.xor (local.get $b) (i32x4.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32x4.add (local.get $c) (i32x4.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32x4.add (v128.or (i32x4.shl (local.get $c) (i32.const 21)) (i32x4.shr_u (local.get $c) (i32.const 11))) (local.get $t)))
        (local.set $m3 (i32x4.ge_u (local.get $t) (local.get $thr)))
        ;; Kept lanes are all ones (-1): subtracting the masks counts them.
        (local.set $kept (i32x4.sub (i32x4.sub (local.get $kept) (local.get $m0)) (local.get $m1)))
        (local.set $kept (i32x4.sub (i32x4.sub (local.get $kept) (local.get $m2)) (local.get $m3)))
        (v128.store (local.get $at)
          (v128.and
            (i8x16.narrow_i16x8_s
              (i16x8.narrow_i32x4_s (local.get $m0) (local.get $m1))
              (i16x8.narrow_i32x4_s (local.get $m2) (local.get $m3)))
            (i8x16.splat (i32.const 1))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $blocks)))
    (local.set $count
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $kept)) (i32x4.extract_lane 1 (local.get $kept)))
        (i32.add (i32x4.extract_lane 2 (local.get $kept)) (i32x4.extract_lane 3 (local.get $kept)))))
    ;; The last block's values past n were counted too.
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $end) (local.get $at)))
        (local.set $count (i32.sub (local.get $count) (i32.load8_u (local.get $end))))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (br $tail)))
    (v128.store (local.get $state) (local.get $a))
    (v128.store offset=16 (local.get $state) (local.get $b))
    (v128.store offset=32 (local.get $state) (local.get $c))
    (v128.store offset=48 (local.get $state) (local.get $d))
    (local.get $count)))
