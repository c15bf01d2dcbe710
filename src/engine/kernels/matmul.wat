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
  (func $block (export "block") (param $mp i32) (param $np i32) (param $kc i32) (param $ap i32) (param $bp i32)
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
  (func $pack (export "pack") (param $src i32) (param $lstride i32) (param $sstride i32) (param $w i32) (param $steps i32) (param $dst i32)
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
  (func $packPartial (export "packPartial") (param $src i32) (param $lstride i32) (param $sstride i32) (param $w i32) (param $lanes i32)
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
  (func $min (param $x i32) (param $y i32) (result i32)
    (select (local.get $x) (local.get $y) (i32.lt_s (local.get $x) (local.get $y))))

  ;; Copies a rows x cols block of f32 between two row-major layouts (strides in bytes).
  (func $copyBlock (param $src i32) (param $sstride i32) (param $dst i32) (param $dstride i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32)
    (block $rdone (loop $row
      (br_if $rdone (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $cdone (loop $col
        (br_if $cdone (i32.ge_s (local.get $c) (local.get $cols)))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
          (f32.load (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $col)))
      (local.set $src (i32.add (local.get $src) (local.get $sstride)))
      (local.set $dst (i32.add (local.get $dst) (local.get $dstride)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; The whole product C (+)= op(A) op(B), m x k x n, in one call. op(A)[i][p] is at a + i*aLane + p*aStep and
  ;; op(B)[p][j] at b + p*bStep + j*bLane (bytes), which covers all four transpose combinations. k is cut into
  ;; blocks of kBlock steps, m into blocks of mc rows (a multiple of 4); packA holds mc x kBlock floats, packB
  ;; kBlock x roundUp(n, 8), scratch one 4x8 tile. Requires m, n, k >= 1.
  (func (export "gemm") (param $m i32) (param $k i32) (param $n i32) (param $a i32) (param $b i32) (param $c i32)
    (param $aLane i32) (param $aStep i32) (param $bLane i32) (param $bStep i32) (param $acc i32)
    (param $kBlock i32) (param $mc i32) (param $packA i32) (param $packB i32) (param $scratch i32)
    (local $pc i32) (local $kc i32) (local $load i32) (local $np i32) (local $nPanels i32) (local $jp i32)
    (local $ic i32) (local $mcur i32) (local $mp i32) (local $mPanels i32) (local $ip i32) (local $rows i32)
    (local $cols i32) (local $cBlock i32) (local $cTile i32) (local $ldc i32) (local $src i32)
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (local.set $np (i32.shr_u (local.get $n) (i32.const 3)))
    (local.set $nPanels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (loop $kblocks
      (local.set $kc (call $min (local.get $kBlock) (i32.sub (local.get $k) (local.get $pc))))
      (local.set $load (i32.or (local.get $acc) (i32.gt_s (local.get $pc) (i32.const 0))))
      ;; pack op(B)[pc .. pc+kc, all columns]
      (local.set $src (i32.add (local.get $b) (i32.mul (local.get $pc) (local.get $bStep))))
      (local.set $jp (i32.const 0))
      (block $bdone (loop $bpanels
        (br_if $bdone (i32.ge_s (local.get $jp) (local.get $np)))
        (call $pack (i32.add (local.get $src) (i32.mul (i32.shl (local.get $jp) (i32.const 3)) (local.get $bLane)))
          (local.get $bLane) (local.get $bStep) (i32.const 8) (local.get $kc)
          (i32.add (local.get $packB) (i32.mul (local.get $jp) (i32.shl (local.get $kc) (i32.const 5)))))
        (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
        (br $bpanels)))
      (if (i32.lt_s (local.get $np) (local.get $nPanels))
        (then (call $packPartial (i32.add (local.get $src) (i32.mul (i32.shl (local.get $np) (i32.const 3)) (local.get $bLane)))
          (local.get $bLane) (local.get $bStep) (i32.const 8) (i32.sub (local.get $n) (i32.shl (local.get $np) (i32.const 3)))
          (local.get $kc) (i32.add (local.get $packB) (i32.mul (local.get $np) (i32.shl (local.get $kc) (i32.const 5)))))))
      (local.set $ic (i32.const 0))
      (loop $mblocks
        (local.set $mcur (call $min (local.get $mc) (i32.sub (local.get $m) (local.get $ic))))
        (local.set $mp (i32.shr_u (local.get $mcur) (i32.const 2)))
        (local.set $mPanels (i32.shr_u (i32.add (local.get $mcur) (i32.const 3)) (i32.const 2)))
        ;; pack op(A)[ic .. ic+mcur, pc .. pc+kc]
        (local.set $src (i32.add (i32.add (local.get $a) (i32.mul (local.get $pc) (local.get $aStep)))
          (i32.mul (local.get $ic) (local.get $aLane))))
        (local.set $ip (i32.const 0))
        (block $adone (loop $apanels
          (br_if $adone (i32.ge_s (local.get $ip) (local.get $mp)))
          (call $pack (i32.add (local.get $src) (i32.mul (i32.shl (local.get $ip) (i32.const 2)) (local.get $aLane)))
            (local.get $aLane) (local.get $aStep) (i32.const 4) (local.get $kc)
            (i32.add (local.get $packA) (i32.mul (local.get $ip) (i32.shl (local.get $kc) (i32.const 4)))))
          (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
          (br $apanels)))
        (if (i32.lt_s (local.get $mp) (local.get $mPanels))
          (then (call $packPartial (i32.add (local.get $src) (i32.mul (i32.shl (local.get $mp) (i32.const 2)) (local.get $aLane)))
            (local.get $aLane) (local.get $aStep) (i32.const 4) (i32.sub (local.get $mcur) (i32.shl (local.get $mp) (i32.const 2)))
            (local.get $kc) (i32.add (local.get $packA) (i32.mul (local.get $mp) (i32.shl (local.get $kc) (i32.const 4)))))))
        (local.set $cBlock (i32.add (local.get $c) (i32.mul (local.get $ic) (local.get $ldc))))
        (if (i32.and (i32.gt_s (local.get $mp) (i32.const 0)) (i32.gt_s (local.get $np) (i32.const 0)))
          (then (call $block (local.get $mp) (local.get $np) (local.get $kc) (local.get $packA) (local.get $packB)
            (local.get $cBlock) (local.get $ldc) (local.get $load))))
        ;; edge tiles through the scratch tile: the partial column panel of every row panel, then the partial row panel
        (local.set $ip (i32.const 0))
        (block $edone (loop $erows
          (br_if $edone (i32.ge_s (local.get $ip) (local.get $mPanels)))
          (local.set $rows (call $min (i32.const 4) (i32.sub (local.get $mcur) (i32.shl (local.get $ip) (i32.const 2)))))
          (local.set $jp (select (local.get $np) (i32.const 0) (i32.eq (local.get $rows) (i32.const 4))))
          (block $jdone (loop $ecols
            (br_if $jdone (i32.ge_s (local.get $jp) (local.get $nPanels)))
            (local.set $cols (call $min (i32.const 8) (i32.sub (local.get $n) (i32.shl (local.get $jp) (i32.const 3)))))
            (local.set $cTile (i32.add (i32.add (local.get $cBlock) (i32.mul (i32.shl (local.get $ip) (i32.const 2)) (local.get $ldc)))
              (i32.shl (local.get $jp) (i32.const 5))))
            (if (local.get $load)
              (then (call $copyBlock (local.get $cTile) (local.get $ldc) (local.get $scratch) (i32.const 32) (local.get $rows) (local.get $cols))))
            (call $tile (local.get $kc) (i32.add (local.get $packA) (i32.mul (local.get $ip) (i32.shl (local.get $kc) (i32.const 4))))
              (i32.add (local.get $packB) (i32.mul (local.get $jp) (i32.shl (local.get $kc) (i32.const 5))))
              (local.get $scratch) (i32.const 32) (local.get $load))
            (call $copyBlock (local.get $scratch) (i32.const 32) (local.get $cTile) (local.get $ldc) (local.get $rows) (local.get $cols))
            (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
            (br $ecols)))
          (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
          (br $erows)))
        (local.set $ic (i32.add (local.get $ic) (local.get $mc)))
        (br_if $mblocks (i32.lt_s (local.get $ic) (local.get $m))))
      (local.set $pc (i32.add (local.get $pc) (local.get $kBlock)))
      (br_if $kblocks (i32.lt_s (local.get $pc) (local.get $k)))))
)
