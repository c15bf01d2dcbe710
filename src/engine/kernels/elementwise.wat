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
        (br $quads)))))
