;; Dropout Lens: WebAssembly SIMD matrix-product micro-kernels (f32x4).
;;
;; Assembled by scripts/build-wasm.mjs into matmulWasm.generated.ts. The host (wasm.ts) packs op(A) and op(B)
;; into this module's memory and drives the cache blocking; this module does the arithmetic.
;;
;; Packed layouts (all f32, byte addresses):
;;   A panel: 4 rows of op(A) over kc steps, step-major: a[p*4 + r]          (16 bytes per step)
;;   B panel: 8 columns of op(B) over kc steps, step-major: b[p*8 + c]       (32 bytes per step)
;; A 4x8 tile of C lives in 8 v128 accumulators (2 per row); per step it takes 2 vector loads of B,
;; 4 broadcast loads of A (v128.load32_splat), 8 multiplies and 8 adds. WebAssembly SIMD has no fused
;; multiply-add, so a step is 16 arithmetic instructions for 64 flops.
(module
  (memory (export "memory") 1)

  ;; C[0..4, 0..8] (row stride ldc bytes) = (load ? C : 0) + Apanel · Bpanel over kc steps.
  (func $tile (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $load i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local $end i32) (local $r i32)
    (if (local.get $load)
      (then
        (local.set $r (local.get $c))
        (local.set $c00 (v128.load (local.get $r)))
        (local.set $c01 (v128.load offset=16 (local.get $r)))
        (local.set $r (i32.add (local.get $r) (local.get $ldc)))
        (local.set $c10 (v128.load (local.get $r)))
        (local.set $c11 (v128.load offset=16 (local.get $r)))
        (local.set $r (i32.add (local.get $r) (local.get $ldc)))
        (local.set $c20 (v128.load (local.get $r)))
        (local.set $c21 (v128.load offset=16 (local.get $r)))
        (local.set $r (i32.add (local.get $r) (local.get $ldc)))
        (local.set $c30 (v128.load (local.get $r)))
        (local.set $c31 (v128.load offset=16 (local.get $r)))))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $kc) (i32.const 4))))
    (if (i32.gt_s (local.get $kc) (i32.const 0))
      (then
        (loop $steps
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $av (v128.load32_splat (local.get $a)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=4 (local.get $a)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=8 (local.get $a)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=12 (local.get $a)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $steps (i32.ne (local.get $a) (local.get $end))))))
    (local.set $r (local.get $c))
    (v128.store (local.get $r) (local.get $c00))
    (v128.store offset=16 (local.get $r) (local.get $c01))
    (local.set $r (i32.add (local.get $r) (local.get $ldc)))
    (v128.store (local.get $r) (local.get $c10))
    (v128.store offset=16 (local.get $r) (local.get $c11))
    (local.set $r (i32.add (local.get $r) (local.get $ldc)))
    (v128.store (local.get $r) (local.get $c20))
    (v128.store offset=16 (local.get $r) (local.get $c21))
    (local.set $r (i32.add (local.get $r) (local.get $ldc)))
    (v128.store (local.get $r) (local.get $c30))
    (v128.store offset=16 (local.get $r) (local.get $c31)))

  ;; Every full 4x8 tile of a block: for each of np B panels (outer: its kc x 8 panel stays in L1),
  ;; for each of mp A panels (inner: the packed A block stays in L2), one tile.
  ;; c points at the block's top-left element of C; ldc is C's row stride in bytes.
  (func (export "block") (param $mp i32) (param $np i32) (param $kc i32) (param $ap i32) (param $bp i32)
    (param $c i32) (param $ldc i32) (param $load i32)
    (local $jr i32) (local $ir i32) (local $bpan i32) (local $apan i32) (local $ccol i32) (local $ctile i32)
    (local $astride i32) (local $bstride i32) (local $cstride i32)
    (local.set $astride (i32.shl (local.get $kc) (i32.const 4)))
    (local.set $bstride (i32.shl (local.get $kc) (i32.const 5)))
    (local.set $cstride (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $bpan (local.get $bp))
    (local.set $ccol (local.get $c))
    (local.set $jr (i32.const 0))
    (block $done_j
      (loop $cols
        (br_if $done_j (i32.ge_s (local.get $jr) (local.get $np)))
        (local.set $apan (local.get $ap))
        (local.set $ctile (local.get $ccol))
        (local.set $ir (i32.const 0))
        (block $done_i
          (loop $rows
            (br_if $done_i (i32.ge_s (local.get $ir) (local.get $mp)))
            (call $tile (local.get $kc) (local.get $apan) (local.get $bpan) (local.get $ctile) (local.get $ldc) (local.get $load))
            (local.set $apan (i32.add (local.get $apan) (local.get $astride)))
            (local.set $ctile (i32.add (local.get $ctile) (local.get $cstride)))
            (local.set $ir (i32.add (local.get $ir) (i32.const 1)))
            (br $rows)))
        (local.set $bpan (i32.add (local.get $bpan) (local.get $bstride)))
        (local.set $ccol (i32.add (local.get $ccol) (i32.const 32)))
        (local.set $jr (i32.add (local.get $jr) (i32.const 1)))
        (br $cols))))

  ;; One tile, for the edges: the host points c at a 4x8 scratch tile (ldc = 32) and copies the valid part.
  (func (export "tile") (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $load i32)
    (call $tile (local.get $kc) (local.get $a) (local.get $b) (local.get $c) (local.get $ldc) (local.get $load)))
  ;; Packs full panels of w lanes (w = 4 or 8) over `steps` steps: dst[s*w + l] = src[l*lstride + s*sstride]
  ;; (strides in bytes). When the steps are contiguous (sstride = 4: A untransposed, B transposed) it moves 4x4
  ;; blocks through a register transpose; when the lanes are contiguous (lstride = 4) it copies vectors.
  (func (export "pack") (param $src i32) (param $lstride i32) (param $sstride i32) (param $w i32) (param $steps i32) (param $dst i32)
    (local $s i32) (local $g i32) (local $groups i32) (local $row i32) (local $out i32) (local $dstep i32) (local $l i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $groups (i32.shr_u (local.get $w) (i32.const 2)))
    (local.set $dstep (i32.shl (local.get $w) (i32.const 2)))
    (if (i32.eq (local.get $lstride) (i32.const 4))
      (then
        ;; lanes contiguous: one vector per group per step
        (local.set $s (i32.const 0))
        (block $done (loop $step
          (br_if $done (i32.ge_s (local.get $s) (local.get $steps)))
          (local.set $row (i32.add (local.get $src) (i32.mul (local.get $s) (local.get $sstride))))
          (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $s) (local.get $dstep))))
          (v128.store (local.get $out) (v128.load (local.get $row)))
          (if (i32.eq (local.get $groups) (i32.const 2))
            (then (v128.store offset=16 (local.get $out) (v128.load offset=16 (local.get $row)))))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (br $step)))
        (return)))
    (if (i32.eq (local.get $sstride) (i32.const 4))
      (then
        ;; steps contiguous: 4 lanes x 4 steps at a time, transposed in registers
        (local.set $s (i32.const 0))
        (block $done (loop $step
          (br_if $done (i32.gt_s (i32.add (local.get $s) (i32.const 4)) (local.get $steps)))
          (local.set $g (i32.const 0))
          (block $gdone (loop $group
            (br_if $gdone (i32.ge_s (local.get $g) (local.get $groups)))
            (local.set $row (i32.add (i32.add (local.get $src) (i32.shl (local.get $s) (i32.const 2)))
              (i32.mul (i32.shl (local.get $g) (i32.const 2)) (local.get $lstride))))
            (local.set $r0 (v128.load (local.get $row)))
            (local.set $row (i32.add (local.get $row) (local.get $lstride)))
            (local.set $r1 (v128.load (local.get $row)))
            (local.set $row (i32.add (local.get $row) (local.get $lstride)))
            (local.set $r2 (v128.load (local.get $row)))
            (local.set $row (i32.add (local.get $row) (local.get $lstride)))
            (local.set $r3 (v128.load (local.get $row)))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $out (i32.add (i32.add (local.get $dst) (i32.mul (local.get $s) (local.get $dstep)))
              (i32.shl (local.get $g) (i32.const 4))))
            (v128.store (local.get $out) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (local.set $out (i32.add (local.get $out) (local.get $dstep)))
            (v128.store (local.get $out) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (local.set $out (i32.add (local.get $out) (local.get $dstep)))
            (v128.store (local.get $out) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (local.set $out (i32.add (local.get $out) (local.get $dstep)))
            (v128.store (local.get $out) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br $group)))
          (local.set $s (i32.add (local.get $s) (i32.const 4)))
          (br $step)))))
    ;; what is left (every step when neither stride is 4; the last steps % 4 otherwise): element by element
    (block $done (loop $step
      (br_if $done (i32.ge_s (local.get $s) (local.get $steps)))
      (local.set $l (i32.const 0))
      (block $ldone (loop $lane
        (br_if $ldone (i32.ge_s (local.get $l) (local.get $w)))
        (f32.store
          (i32.add (i32.add (local.get $dst) (i32.mul (local.get $s) (local.get $dstep))) (i32.shl (local.get $l) (i32.const 2)))
          (f32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $l) (local.get $lstride)))
            (i32.mul (local.get $s) (local.get $sstride)))))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $lane)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $step))))

  ;; Packs one partial panel (lanes < w), zero-filling the missing lanes. Same addressing as "pack".
  (func (export "packPartial") (param $src i32) (param $lstride i32) (param $sstride i32) (param $w i32) (param $lanes i32)
    (param $steps i32) (param $dst i32)
    (local $s i32) (local $l i32) (local $out i32) (local $in i32)
    (block $done (loop $step
      (br_if $done (i32.ge_s (local.get $s) (local.get $steps)))
      (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $s) (i32.shl (local.get $w) (i32.const 2)))))
      (local.set $in (i32.add (local.get $src) (i32.mul (local.get $s) (local.get $sstride))))
      (v128.store (local.get $out) (v128.const i32x4 0 0 0 0))
      (if (i32.eq (local.get $w) (i32.const 8)) (then (v128.store offset=16 (local.get $out) (v128.const i32x4 0 0 0 0))))
      (local.set $l (i32.const 0))
      (block $ldone (loop $lane
        (br_if $ldone (i32.ge_s (local.get $l) (local.get $lanes)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $l) (i32.const 2)))
          (f32.load (i32.add (local.get $in) (i32.mul (local.get $l) (local.get $lstride)))))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $lane)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $step))))
)
