;; Dropout Lens: the convolutional layers' data movement in WebAssembly SIMD (f32x4): im2col and col2im, max and
;; average pooling forward and backward, and the per-channel bias + ReLU passes around a conv layer's products.
;;
;; Assembled by scripts/build-wasm.mjs into convWasm.generated.ts; the host is convWasm.ts, and the TypeScript twin
;; every function here must match bit for bit is convTypescript.ts. Images are NCHW f32; addresses are in bytes.
;; Geometry as in convTypes.ts: C, H, W (input), kh, kw, stride s, padding p, outH, outW.
;; Vectorized loops only reorder work between different output elements, never the order of the f32 operations
;; that make one element, so each result is the twin's exactly.
(module
  (memory (export "memory") 1)

  ;; n floats of 0 from byte address at.
  (func $zero (param $at i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $n) (i32.const 2))))
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $at) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $at) (v128.const i32x4 0 0 0 0))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $quads)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (f32.store (local.get $at) (f32.const 0))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $tail))))

  ;; The first output column whose input column ox s - p + j is not left of the image: ceil((p - j) / s), in [0, outW].
  (func $firstInside (param $j i32) (param $s i32) (param $p i32) (param $outW i32) (result i32)
    (local $t i32) (local $lo i32)
    (local.set $t (i32.sub (local.get $p) (local.get $j)))
    (local.set $lo
      (select (i32.const 0)
        (i32.div_u (i32.add (local.get $t) (i32.sub (local.get $s) (i32.const 1))) (local.get $s))
        (i32.le_s (local.get $t) (i32.const 0))))
    (select (local.get $outW) (local.get $lo) (i32.gt_s (local.get $lo) (local.get $outW))))

  ;; One past the last output column whose input column lies inside [0, W): floor((W - 1 + p - j) / s) + 1, in [lo, outW].
  (func $endInside (param $j i32) (param $s i32) (param $p i32) (param $W i32) (param $outW i32) (param $lo i32)
    (result i32)
    (local $t i32) (local $hi i32)
    (local.set $t (i32.sub (i32.add (local.get $W) (i32.sub (local.get $p) (i32.const 1))) (local.get $j)))
    (local.set $hi
      (select (i32.const 0)
        (i32.add (i32.div_u (local.get $t) (local.get $s)) (i32.const 1))
        (i32.lt_s (local.get $t) (i32.const 0))))
    (local.set $hi (select (local.get $outW) (local.get $hi) (i32.gt_s (local.get $hi) (local.get $outW))))
    (select (local.get $lo) (local.get $hi) (i32.lt_s (local.get $hi) (local.get $lo))))

  ;; col[(c kh kw + i kw + j), (oy outW + ox)] = x[c, oy s - p + i, ox s - p + j], 0 outside the image; one sample.
  ;; col's rows are written in order, outW floats per (row, oy).
  (func (export "im2col") (param $x i32) (param $col i32) (param $C i32) (param $H i32) (param $W i32)
    (param $kh i32) (param $kw i32) (param $s i32) (param $p i32) (param $outH i32) (param $outW i32)
    (local $c i32) (local $i i32) (local $j i32) (local $oy i32) (local $ox i32) (local $lo i32) (local $hi i32)
    (local $at i32) (local $iy i32) (local $src i32) (local $sb i32) (local $rowBytes i32)
    (local.set $sb (i32.shl (local.get $s) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $at (local.get $col))
    (local.set $c (i32.const 0))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $i (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
        (local.set $j (i32.const 0))
        (block $jDone (loop $jLoop
          (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
          (local.set $lo (call $firstInside (local.get $j) (local.get $s) (local.get $p) (local.get $outW)))
          (local.set $hi
            (call $endInside (local.get $j) (local.get $s) (local.get $p) (local.get $W) (local.get $outW) (local.get $lo)))
          (local.set $oy (i32.const 0))
          (block $oyDone (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $s)) (local.get $p)) (local.get $i)))
            (if (i32.ge_u (local.get $iy) (local.get $H))
              (then (call $zero (local.get $at) (local.get $outW)))
              (else
                ;; x + ((c H + iy) W - p + j) floats: may point left of the row; only columns >= lo are read.
                (local.set $src
                  (i32.add (local.get $x)
                    (i32.shl
                      (i32.add
                        (i32.sub (i32.mul (i32.add (i32.mul (local.get $c) (local.get $H)) (local.get $iy)) (local.get $W)) (local.get $p))
                        (local.get $j))
                      (i32.const 2))))
                ;; The row inline (no calls: rows are short): zeros left of the image, the inside, zeros right of it.
                (local.set $ox (i32.const 0))
                (block $leftDone (loop $left
                  (br_if $leftDone (i32.ge_u (local.get $ox) (local.get $lo)))
                  (f32.store (i32.add (local.get $at) (i32.shl (local.get $ox) (i32.const 2))) (f32.const 0))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $left)))
                (if (i32.eq (local.get $s) (i32.const 1))
                  (then
                    (block $quadsDone (loop $quads
                      (br_if $quadsDone (i32.gt_u (i32.add (local.get $ox) (i32.const 4)) (local.get $hi)))
                      (v128.store (i32.add (local.get $at) (i32.shl (local.get $ox) (i32.const 2)))
                        (v128.load (i32.add (local.get $src) (i32.shl (local.get $ox) (i32.const 2)))))
                      (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
                      (br $quads)))))
                (block $oxDone (loop $oxLoop
                  (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $hi)))
                  (f32.store
                    (i32.add (local.get $at) (i32.shl (local.get $ox) (i32.const 2)))
                    (f32.load (i32.add (local.get $src) (i32.mul (local.get $ox) (local.get $sb)))))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $oxLoop)))
                (block $rightDone (loop $right
                  (br_if $rightDone (i32.ge_u (local.get $ox) (local.get $outW)))
                  (f32.store (i32.add (local.get $at) (i32.shl (local.get $ox) (i32.const 2))) (f32.const 0))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $right)))))
            (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cLoop))))

  ;; The adjoint of im2col: gx[c, oy s - p + i, ox s - p + j] += col[...] over one sample, in im2col's order.
  (func (export "col2im") (param $col i32) (param $gx i32) (param $C i32) (param $H i32) (param $W i32)
    (param $kh i32) (param $kw i32) (param $s i32) (param $p i32) (param $outH i32) (param $outW i32)
    (local $c i32) (local $i i32) (local $j i32) (local $oy i32) (local $ox i32) (local $lo i32) (local $hi i32)
    (local $at i32) (local $iy i32) (local $dst i32) (local $sb i32) (local $rowBytes i32) (local $a i32)
    (local.set $sb (i32.shl (local.get $s) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $at (local.get $col))
    (local.set $c (i32.const 0))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $i (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
        (local.set $j (i32.const 0))
        (block $jDone (loop $jLoop
          (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
          (local.set $lo (call $firstInside (local.get $j) (local.get $s) (local.get $p) (local.get $outW)))
          (local.set $hi
            (call $endInside (local.get $j) (local.get $s) (local.get $p) (local.get $W) (local.get $outW) (local.get $lo)))
          (local.set $oy (i32.const 0))
          (block $oyDone (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $s)) (local.get $p)) (local.get $i)))
            (if (i32.lt_u (local.get $iy) (local.get $H))
              (then
                (local.set $dst
                  (i32.add (local.get $gx)
                    (i32.shl
                      (i32.add
                        (i32.sub (i32.mul (i32.add (i32.mul (local.get $c) (local.get $H)) (local.get $iy)) (local.get $W)) (local.get $p))
                        (local.get $j))
                      (i32.const 2))))
                (local.set $ox (local.get $lo))
                (if (i32.eq (local.get $s) (i32.const 1))
                  (then
                    (block $quadsDone (loop $quads
                      (br_if $quadsDone (i32.gt_u (i32.add (local.get $ox) (i32.const 4)) (local.get $hi)))
                      (local.set $a (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))))
                      (v128.store (local.get $a)
                        (f32x4.add (v128.load (local.get $a))
                          (v128.load (i32.add (local.get $at) (i32.shl (local.get $ox) (i32.const 2))))))
                      (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
                      (br $quads)))))
                (block $oxDone (loop $oxLoop
                  (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $hi)))
                  (local.set $a (i32.add (local.get $dst) (i32.mul (local.get $ox) (local.get $sb))))
                  (f32.store (local.get $a)
                    (f32.add (f32.load (local.get $a))
                      (f32.load (i32.add (local.get $at) (i32.shl (local.get $ox) (i32.const 2))))))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $oxLoop)))))
            (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cLoop))))

  ;; Max pooling over `planes` planes of H x W: out[plane, oy, ox] and argmax (the in-plane index of the window's
  ;; maximum; a later value wins only when greater, or NaN, so ties keep the first in row-major order). Four
  ;; adjacent windows at a time, their (i, j) candidates 4 floats at stride s (one load for s = 1, else four lane
  ;; loads: measured 3x faster than two loads and an i8x16.shuffle for s = 2 here). A row's last group may run past
  ;; its end: those lanes read the next row (or the host's slack) and write outputs the next row overwrites.
  (func (export "maxPool") (param $x i32) (param $out i32) (param $arg i32) (param $planes i32) (param $H i32)
    (param $W i32) (param $kh i32) (param $kw i32) (param $s i32) (param $outH i32) (param $outW i32)
    (local $q i32) (local $base i32) (local $oy i32) (local $ox i32) (local $i i32) (local $j i32) (local $at i32)
    (local $a i32) (local $sb i32) (local $lanes v128) (local $v v128) (local $max v128) (local $best v128)
    (local $m v128) (local $rowOut i32)
    (local.set $sb (i32.shl (local.get $s) (i32.const 2)))
    (local.set $lanes (i32x4.mul (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $s))))
    (local.set $rowOut (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $planes)))
      (local.set $base (i32.add (local.get $x) (i32.shl (i32.mul (local.get $q) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
        (local.set $ox (i32.const 0))
        (block $vecDone (loop $vecLoop
          (br_if $vecDone (i32.ge_u (local.get $ox) (local.get $outW)))
          (local.set $at (i32.add (i32.mul (i32.mul (local.get $oy) (local.get $s)) (local.get $W)) (i32.mul (local.get $ox) (local.get $s))))
          (local.set $best (i32x4.add (i32x4.splat (local.get $at)) (local.get $lanes)))
          (local.set $a (i32.add (local.get $base) (i32.shl (local.get $at) (i32.const 2))))
          (local.set $max (if (result v128) (i32.eq (local.get $s) (i32.const 1))
                  (then (v128.load (local.get $a)))
                  (else
                    (f32x4.replace_lane 3
                      (f32x4.replace_lane 2
                        (f32x4.replace_lane 1
                          (f32x4.splat (f32.load (local.get $a)))
                          (f32.load (i32.add (local.get $a) (local.get $sb))))
                        (f32.load (i32.add (local.get $a) (i32.shl (local.get $sb) (i32.const 1)))))
                      (f32.load (i32.add (local.get $a) (i32.mul (local.get $sb) (i32.const 3))))))))
          (local.set $i (i32.const 0))
          (block $iDone (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $j (i32.const 0))
            (block $jDone (loop $jLoop
              (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
              (local.set $at
                (i32.add
                  (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $s)) (local.get $i)) (local.get $W))
                  (i32.add (i32.mul (local.get $ox) (local.get $s)) (local.get $j))))
              (local.set $a (i32.add (local.get $base) (i32.shl (local.get $at) (i32.const 2))))
              (local.set $v (if (result v128) (i32.eq (local.get $s) (i32.const 1))
                  (then (v128.load (local.get $a)))
                  (else
                    (f32x4.replace_lane 3
                      (f32x4.replace_lane 2
                        (f32x4.replace_lane 1
                          (f32x4.splat (f32.load (local.get $a)))
                          (f32.load (i32.add (local.get $a) (local.get $sb))))
                        (f32.load (i32.add (local.get $a) (i32.shl (local.get $sb) (i32.const 1)))))
                      (f32.load (i32.add (local.get $a) (i32.mul (local.get $sb) (i32.const 3))))))))
              (local.set $m (v128.or (f32x4.gt (local.get $v) (local.get $max)) (f32x4.ne (local.get $v) (local.get $v))))
              (local.set $max (v128.bitselect (local.get $v) (local.get $max) (local.get $m)))
              (local.set $best
                (v128.bitselect (i32x4.add (i32x4.splat (local.get $at)) (local.get $lanes)) (local.get $best) (local.get $m)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
          (v128.store (i32.add (local.get $out) (i32.shl (local.get $ox) (i32.const 2))) (local.get $max))
          (v128.store (i32.add (local.get $arg) (i32.shl (local.get $ox) (i32.const 2))) (local.get $best))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $vecLoop)))
        (local.set $out (i32.add (local.get $out) (local.get $rowOut)))
        (local.set $arg (i32.add (local.get $arg) (local.get $rowOut)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))

  ;; gx = 0 over planes x hw floats, then gx[plane, argmax] += grad for every window, in order (windows that
  ;; overlap may share a winner, so the adds stay scalar and ordered).
  (func (export "maxPoolBack") (param $grad i32) (param $arg i32) (param $gx i32) (param $planes i32) (param $hw i32)
    (param $p i32)
    (local $q i32) (local $base i32) (local $end i32) (local $a i32)
    (call $zero (local.get $gx) (i32.mul (local.get $planes) (local.get $hw)))
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $planes)))
      (local.set $base (i32.add (local.get $gx) (i32.shl (i32.mul (local.get $q) (local.get $hw)) (i32.const 2))))
      (local.set $end (i32.add (local.get $grad) (i32.shl (local.get $p) (i32.const 2))))
      (block $oDone (loop $oLoop
        (br_if $oDone (i32.ge_u (local.get $grad) (local.get $end)))
        (local.set $a (i32.add (local.get $base) (i32.shl (i32.load (local.get $arg)) (i32.const 2))))
        (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32.load (local.get $grad))))
        (local.set $grad (i32.add (local.get $grad) (i32.const 4)))
        (local.set $arg (i32.add (local.get $arg) (i32.const 4)))
        (br $oLoop)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))

  ;; Average pooling, no padding: out = (0 + x[window (0, 0)] + x[(0, 1)] + ... in row-major order) / (kh kw), four
  ;; adjacent windows at a time as in maxPool (a row's last group may run past its end the same way).
  (func (export "avgPool") (param $x i32) (param $out i32) (param $planes i32) (param $H i32) (param $W i32)
    (param $kh i32) (param $kw i32) (param $s i32) (param $outH i32) (param $outW i32)
    (local $q i32) (local $base i32) (local $oy i32) (local $ox i32) (local $i i32) (local $j i32) (local $a i32)
    (local $sb i32) (local $sum v128) (local $count v128) (local $rowOut i32)
    (local.set $sb (i32.shl (local.get $s) (i32.const 2)))
    (local.set $count (f32x4.splat (f32.convert_i32_u (i32.mul (local.get $kh) (local.get $kw)))))
    (local.set $rowOut (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $planes)))
      (local.set $base (i32.add (local.get $x) (i32.shl (i32.mul (local.get $q) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
        (local.set $ox (i32.const 0))
        (block $vecDone (loop $vecLoop
          (br_if $vecDone (i32.ge_u (local.get $ox) (local.get $outW)))
          (local.set $sum (v128.const i32x4 0 0 0 0))
          (local.set $i (i32.const 0))
          (block $iDone (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $j (i32.const 0))
            (block $jDone (loop $jLoop
              (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
              (local.set $a
                (i32.add (local.get $base)
                  (i32.shl
                    (i32.add
                      (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $s)) (local.get $i)) (local.get $W))
                      (i32.add (i32.mul (local.get $ox) (local.get $s)) (local.get $j)))
                    (i32.const 2))))
              (local.set $sum (f32x4.add (local.get $sum) (if (result v128) (i32.eq (local.get $s) (i32.const 1))
                  (then (v128.load (local.get $a)))
                  (else
                    (f32x4.replace_lane 3
                      (f32x4.replace_lane 2
                        (f32x4.replace_lane 1
                          (f32x4.splat (f32.load (local.get $a)))
                          (f32.load (i32.add (local.get $a) (local.get $sb))))
                        (f32.load (i32.add (local.get $a) (i32.shl (local.get $sb) (i32.const 1)))))
                      (f32.load (i32.add (local.get $a) (i32.mul (local.get $sb) (i32.const 3)))))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
          (v128.store (i32.add (local.get $out) (i32.shl (local.get $ox) (i32.const 2)))
            (f32x4.div (local.get $sum) (local.get $count)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $vecLoop)))
        (local.set $out (i32.add (local.get $out) (local.get $rowOut)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))

  ;; gx = 0 over the planes, then every input of a window gets grad / (kh kw) added, window by window in order
  ;; (overlapping windows add into the same inputs, so scalar and ordered).
  (func (export "avgPoolBack") (param $grad i32) (param $gx i32) (param $planes i32) (param $H i32) (param $W i32)
    (param $kh i32) (param $kw i32) (param $s i32) (param $outH i32) (param $outW i32)
    (local $q i32) (local $base i32) (local $oy i32) (local $ox i32) (local $i i32) (local $j i32) (local $a i32)
    (local $share f32) (local $count f32)
    (local.set $count (f32.convert_i32_u (i32.mul (local.get $kh) (local.get $kw))))
    (call $zero (local.get $gx) (i32.mul (local.get $planes) (i32.mul (local.get $H) (local.get $W))))
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $planes)))
      (local.set $base (i32.add (local.get $gx) (i32.shl (i32.mul (local.get $q) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
        (local.set $ox (i32.const 0))
        (block $oxDone (loop $oxLoop
          (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $outW)))
          (local.set $share (f32.div (f32.load (local.get $grad)) (local.get $count)))
          (local.set $i (i32.const 0))
          (block $iDone (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $j (i32.const 0))
            (block $jDone (loop $jLoop
              (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
              (local.set $a
                (i32.add (local.get $base)
                  (i32.shl
                    (i32.add
                      (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $s)) (local.get $i)) (local.get $W))
                      (i32.add (i32.mul (local.get $ox) (local.get $s)) (local.get $j)))
                    (i32.const 2))))
              (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (local.get $share)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
          (local.set $grad (i32.add (local.get $grad) (i32.const 4)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))

  ;; z[plane] += b[channel]; out = z > 0 ? z : 0 (+0 for NaN and -0), over batch x C planes of P floats. Planes need
  ;; not be 16-byte aligned (unaligned vector loads), each plane's last P mod 4 floats one at a time.
  (func (export "planeBiasRelu") (param $z i32) (param $b i32) (param $out i32) (param $planes i32) (param $C i32)
    (param $P i32)
    (local $q i32) (local $bias v128) (local $v v128) (local $end i32) (local $s f32) (local $zero v128)
    (local $c i32)
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $planes)))
      (local.set $c (i32.rem_u (local.get $q) (local.get $C)))
      (local.set $bias (v128.load32_splat (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $end (i32.add (local.get $z) (i32.shl (local.get $P) (i32.const 2))))
      (block $quadsDone (loop $quads
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $z) (i32.const 16)) (local.get $end)))
        (local.set $v (f32x4.add (v128.load (local.get $z)) (local.get $bias)))
        (v128.store (local.get $z) (local.get $v))
        (v128.store (local.get $out) (v128.and (local.get $v) (f32x4.gt (local.get $v) (local.get $zero))))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $quads)))
      (block $tailDone (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $z) (local.get $end)))
        (local.set $s (f32.add (f32.load (local.get $z)) (f32x4.extract_lane 0 (local.get $bias))))
        (f32.store (local.get $z) (local.get $s))
        (f32.store (local.get $out) (select (local.get $s) (f32.const 0) (f32.gt (local.get $s) (f32.const 0))))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $tail)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))

  ;; grad = z > 0 ? grad : 0 in place over batch x C planes of P floats, and gb[c] = the sum over the batch, in
  ;; order, of each plane's sum. A plane's sum: lane l (0-3) adds the plane's floats l, l + 4, l + 8, ... in order,
  ;; then (lane 0 + lane 1) + (lane 2 + lane 3); every add in f32. The TypeScript twin (planeSums) sums the same way.
  (func (export "planeReluBackBias") (param $z i32) (param $grad i32) (param $gb i32) (param $planes i32)
    (param $C i32) (param $P i32)
    (local $q i32) (local $c i32) (local $g v128) (local $acc v128) (local $end i32) (local $s f32) (local $zero v128)
    (local $at i32)
    (call $zero (local.get $gb) (local.get $C))
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $planes)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $end (i32.add (local.get $grad) (i32.shl (local.get $P) (i32.const 2))))
      (block $quadsDone (loop $quads
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $grad) (i32.const 16)) (local.get $end)))
        (local.set $g (v128.and (v128.load (local.get $grad)) (f32x4.gt (v128.load (local.get $z)) (local.get $zero))))
        (v128.store (local.get $grad) (local.get $g))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $g)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $grad (i32.add (local.get $grad) (i32.const 16)))
        (br $quads)))
      ;; The tail's floats go to lanes 0, 1, 2 in order.
      (if (i32.lt_u (local.get $grad) (local.get $end))
        (then
          (local.set $s (select (f32.load (local.get $grad)) (f32.const 0) (f32.gt (f32.load (local.get $z)) (f32.const 0))))
          (f32.store (local.get $grad) (local.get $s))
          (local.set $acc (f32x4.replace_lane 0 (local.get $acc) (f32.add (f32x4.extract_lane 0 (local.get $acc)) (local.get $s))))
          (local.set $z (i32.add (local.get $z) (i32.const 4)))
          (local.set $grad (i32.add (local.get $grad) (i32.const 4)))))
      (if (i32.lt_u (local.get $grad) (local.get $end))
        (then
          (local.set $s (select (f32.load (local.get $grad)) (f32.const 0) (f32.gt (f32.load (local.get $z)) (f32.const 0))))
          (f32.store (local.get $grad) (local.get $s))
          (local.set $acc (f32x4.replace_lane 1 (local.get $acc) (f32.add (f32x4.extract_lane 1 (local.get $acc)) (local.get $s))))
          (local.set $z (i32.add (local.get $z) (i32.const 4)))
          (local.set $grad (i32.add (local.get $grad) (i32.const 4)))))
      (if (i32.lt_u (local.get $grad) (local.get $end))
        (then
          (local.set $s (select (f32.load (local.get $grad)) (f32.const 0) (f32.gt (f32.load (local.get $z)) (f32.const 0))))
          (f32.store (local.get $grad) (local.get $s))
          (local.set $acc (f32x4.replace_lane 2 (local.get $acc) (f32.add (f32x4.extract_lane 2 (local.get $acc)) (local.get $s))))
          (local.set $z (i32.add (local.get $z) (i32.const 4)))
          (local.set $grad (i32.add (local.get $grad) (i32.const 4)))))
      (local.set $c (i32.rem_u (local.get $q) (local.get $C)))
      (local.set $at (i32.add (local.get $gb) (i32.shl (local.get $c) (i32.const 2))))
      (f32.store (local.get $at)
        (f32.add (f32.load (local.get $at))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop)))))
