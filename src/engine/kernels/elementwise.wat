;; Dropout Lens: element-wise WebAssembly SIMD kernels (f32x4) for the trainer's hot passes.
;;
;; Assembled by scripts/build-wasm.mjs into elementwiseWasm.generated.ts; the host is elementwise.ts. Every pass
;; runs over roundUp(n, 4) elements: the host pads its regions, so the extra lanes read and write padding.
(module
  (memory (export "memory") 1)

  ;; y[i] = x[i] * (keep[i] * scale), keep bytes 0 or 1: dropout's forward and backward pass.
  (func (export "mask") (param $x i32) (param $keep i32) (param $y i32) (param $n i32) (param $scale f32)
    (local $s v128) (local $end i32)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $keep) (local.get $n)))
    (block $done
      (loop $quads
        (br_if $done (i32.ge_u (local.get $keep) (local.get $end)))
        (v128.store (local.get $y)
          (f32x4.mul
            (v128.load (local.get $x))
            (f32x4.mul
              (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $keep)))))
              (local.get $s))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $keep (i32.add (local.get $keep) (i32.const 4)))
        (br $quads))))

  ;; z[r, j] += b[j]; out[r, j] = z > 0 ? z : 0, over rows x units (row-major, rows packed at `units` floats).
  ;; Bias + ReLU of a hidden dense layer. Quads of 4 units per row, then the row's tail one lane at a time; the
  ;; comparison mask gives +0 for NaN and for -0, as the TypeScript `v > 0 ? v : 0`.
  (func (export "biasRelu") (param $z i32) (param $b i32) (param $out i32) (param $rows i32) (param $units i32)
    (local $r i32) (local $j i32) (local $quads i32) (local $v v128) (local $s f32) (local $zero v128)
    (local.set $quads (i32.and (local.get $units) (i32.const -4)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $quadsDone
          (loop $quad
            (br_if $quadsDone (i32.ge_u (local.get $j) (local.get $quads)))
            (local.set $v (f32x4.add (v128.load (local.get $z)) (v128.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))))
            (v128.store (local.get $z) (local.get $v))
            (v128.store (local.get $out) (v128.and (local.get $v) (f32x4.gt (local.get $v) (local.get $zero))))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $quad)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $units)))
            (local.set $s (f32.add (f32.load (local.get $z)) (f32.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))))
            (f32.store (local.get $z) (local.get $s))
            (f32.store (local.get $out) (select (local.get $s) (f32.const 0) (f32.gt (local.get $s) (f32.const 0))))
            (local.set $z (i32.add (local.get $z) (i32.const 4)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; grad[r, j] = z[r, j] > 0 ? grad[r, j] : 0 in place, and gb[j] = the sum over rows r = 0, 1, ... of the result
  ;; (in that order, one f32 add per row, as the TypeScript loop). ReLU backward + bias gradient.
  (func (export "reluBackBias") (param $z i32) (param $grad i32) (param $gb i32) (param $rows i32) (param $units i32)
    (local $r i32) (local $j i32) (local $quads i32) (local $g v128) (local $s f32) (local $zero v128) (local $at i32)
    (local.set $quads (i32.and (local.get $units) (i32.const -4)))
    ;; gb = 0
    (local.set $j (i32.const 0))
    (block $clearDone
      (loop $clear
        (br_if $clearDone (i32.ge_u (local.get $j) (local.get $units)))
        (f32.store (i32.add (local.get $gb) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $clear)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $quadsDone
          (loop $quad
            (br_if $quadsDone (i32.ge_u (local.get $j) (local.get $quads)))
            (local.set $g (v128.and (v128.load (local.get $grad)) (f32x4.gt (v128.load (local.get $z)) (local.get $zero))))
            (v128.store (local.get $grad) (local.get $g))
            (local.set $at (i32.add (local.get $gb) (i32.shl (local.get $j) (i32.const 2))))
            (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $g)))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $grad (i32.add (local.get $grad) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $quad)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $units)))
            (local.set $s (select (f32.load (local.get $grad)) (f32.const 0) (f32.gt (f32.load (local.get $z)) (f32.const 0))))
            (f32.store (local.get $grad) (local.get $s))
            (local.set $at (i32.add (local.get $gb) (i32.shl (local.get $j) (i32.const 2))))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (local.get $s)))
            (local.set $z (i32.add (local.get $z) (i32.const 4)))
            (local.set $grad (i32.add (local.get $grad) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; torch.optim.SGD's update over n floats (n a multiple of 4; the host pads), every operation rounded to f32:
  ;;   d = g + wd*w
  ;;   mode 0 (no momentum):  w = w - lr*d
  ;;   mode 1 (momentum):     b = keep*buf + fresh*d; buf = b; w = w - lr*b
  ;;   mode 2 (Nesterov):     b = keep*buf + fresh*d; buf = b; w = w - lr*(d + momentum*b)
  ;; keep is 0 and fresh 1 on the first step (the buffer starts as d), else momentum and 1 - dampening.
  (func (export "sgd") (param $w i32) (param $g i32) (param $buf i32) (param $n i32) (param $mode i32)
    (param $lr f32) (param $wd f32) (param $keep f32) (param $fresh f32) (param $momentum f32)
    (local $end i32) (local $vw v128) (local $d v128) (local $b v128)
    (local $slr v128) (local $swd v128) (local $skeep v128) (local $sfresh v128) (local $sm v128)
    (local.set $slr (f32x4.splat (local.get $lr)))
    (local.set $swd (f32x4.splat (local.get $wd)))
    (local.set $skeep (f32x4.splat (local.get $keep)))
    (local.set $sfresh (f32x4.splat (local.get $fresh)))
    (local.set $sm (f32x4.splat (local.get $momentum)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $quads
        (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
        (local.set $vw (v128.load (local.get $w)))
        (local.set $d (f32x4.add (v128.load (local.get $g)) (f32x4.mul (local.get $swd) (local.get $vw))))
        (if (i32.eqz (local.get $mode))
          (then (v128.store (local.get $w) (f32x4.sub (local.get $vw) (f32x4.mul (local.get $slr) (local.get $d)))))
          (else
            (local.set $b (f32x4.add (f32x4.mul (local.get $skeep) (v128.load (local.get $buf))) (f32x4.mul (local.get $sfresh) (local.get $d))))
            (v128.store (local.get $buf) (local.get $b))
            (if (i32.eq (local.get $mode) (i32.const 2))
              (then (local.set $b (f32x4.add (local.get $d) (f32x4.mul (local.get $sm) (local.get $b))))))
            (v128.store (local.get $w) (f32x4.sub (local.get $vw) (f32x4.mul (local.get $slr) (local.get $b))))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $buf (i32.add (local.get $buf) (i32.const 16)))
        (br $quads)))))
