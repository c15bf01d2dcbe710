import type { ConvKernels, WindowGeometry } from './convTypes';

/**
 * The convolution data-movement kernels in plain TypeScript: the engine's fallback without WebAssembly SIMD, and
 * the twin the SIMD kernels (conv.wat) are tested against bit for bit. Each walks its output contiguously.
 */
export const convTypescript: ConvKernels = {
  name: 'typescript',
  im2col(x, xAt, g, col) {
    const { channels, height: H, width: W, kernelH, kernelW, stride: s, padding: p, outH, outW } = g;
    const P = outH * outW;
    let row = 0;
    for (let c = 0; c < channels; c++)
      for (let i = 0; i < kernelH; i++)
        for (let j = 0; j < kernelW; j++, row++) {
          const lo = firstInside(j, p, s, outW);
          const hi = endInside(j, p, s, W, outW, lo);
          for (let oy = 0; oy < outH; oy++) {
            const at = row * P + oy * outW;
            const iy = oy * s - p + i;
            if (iy < 0 || iy >= H) {
              col.fill(0, at, at + outW);
              continue;
            }
            const src = xAt + (c * H + iy) * W - p + j;
            for (let ox = 0; ox < lo; ox++) col[at + ox] = 0;
            for (let ox = lo; ox < hi; ox++) col[at + ox] = x[src + ox * s]!;
            for (let ox = hi; ox < outW; ox++) col[at + ox] = 0;
          }
        }
  },
  col2im(col, g, gx, gxAt) {
    const { channels, height: H, width: W, kernelH, kernelW, stride: s, padding: p, outH, outW } = g;
    const P = outH * outW;
    let row = 0;
    for (let c = 0; c < channels; c++)
      for (let i = 0; i < kernelH; i++)
        for (let j = 0; j < kernelW; j++, row++) {
          const lo = firstInside(j, p, s, outW);
          const hi = endInside(j, p, s, W, outW, lo);
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * s - p + i;
            if (iy < 0 || iy >= H) continue;
            const at = row * P + oy * outW;
            const dst = gxAt + (c * H + iy) * W - p + j;
            for (let ox = lo; ox < hi; ox++) gx[dst + ox * s] = gx[dst + ox * s]! + col[at + ox]!;
          }
        }
  },
  maxPool(x, g, planes, out, argmax) {
    const { height: H, width: W, kernelH, kernelW, stride: s, outH, outW } = g;
    let o = 0;
    for (let q = 0; q < planes; q++) {
      const base = q * H * W;
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++, o++) {
          let best = oy * s * W + ox * s;
          let max = x[base + best]!;
          for (let i = 0; i < kernelH; i++)
            for (let j = 0; j < kernelW; j++) {
              const at = (oy * s + i) * W + ox * s + j;
              const v = x[base + at]!;
              if (v > max || v !== v) {
                max = v;
                best = at;
              }
            }
          out[o] = max;
          argmax[o] = best;
        }
    }
  },
  maxPoolBack(grad, argmax, g, planes, gx) {
    const HW = g.height * g.width;
    const P = g.outH * g.outW;
    gx.fill(0, 0, planes * HW);
    for (let q = 0; q < planes; q++)
      for (let o = q * P, end = o + P, base = q * HW; o < end; o++) {
        const at = base + argmax[o]!;
        gx[at] = gx[at]! + grad[o]!;
      }
  },
  avgPool(x, g, planes, out) {
    const { height: H, width: W, kernelH, kernelW, stride: s, outH, outW } = g;
    const count = kernelH * kernelW;
    let o = 0;
    for (let q = 0; q < planes; q++) {
      const base = q * H * W;
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++, o++) {
          let sum = 0;
          for (let i = 0; i < kernelH; i++) {
            const at = base + (oy * s + i) * W + ox * s;
            for (let j = 0; j < kernelW; j++) sum = Math.fround(sum + x[at + j]!);
          }
          out[o] = sum / count;
        }
    }
  },
  avgPoolBack(grad, g, planes, gx) {
    const { height: H, width: W, kernelH, kernelW, stride: s, outH, outW } = g;
    const count = kernelH * kernelW;
    gx.fill(0, 0, planes * H * W);
    let o = 0;
    for (let q = 0; q < planes; q++) {
      const base = q * H * W;
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++, o++) {
          const share = Math.fround(grad[o]! / count);
          for (let i = 0; i < kernelH; i++) {
            const at = base + (oy * s + i) * W + ox * s;
            for (let j = 0; j < kernelW; j++) gx[at + j] = gx[at + j]! + share;
          }
        }
    }
  },
  planeBiasRelu(z, b, out, planes, channels, positions) {
    for (let q = 0, i = 0; q < planes; q++) {
      const bias = b[q % channels]!;
      for (let end = i + positions; i < end; i++) {
        const v = Math.fround(z[i]! + bias);
        z[i] = v;
        out[i] = v > 0 ? v : 0;
      }
    }
  },
  planeReluBackBias(z, grad, gb, planes, channels, positions) {
    const n = planes * positions;
    for (let i = 0; i < n; i++) if (!(z[i]! > 0)) grad[i] = 0;
    planeSums(grad, gb, planes, channels, positions);
  },
};

/**
 * gb[channel] = the sum over the batch, in order, of each of the channel's planes' sums. A plane's sum is the one
 * four SIMD lanes make: lane l adds the plane's values l, l + 4, l + 8, ... in order, then (lane 0 + lane 1) +
 * (lane 2 + lane 3); every add rounded to f32. (conv.wat's planeReluBackBias sums the same way.)
 */
export function planeSums(
  grad: Float32Array,
  gb: Float32Array,
  planes: number,
  channels: number,
  positions: number,
): void {
  gb.fill(0, 0, channels);
  const lanes = [0, 0, 0, 0];
  for (let q = 0; q < planes; q++) {
    lanes.fill(0);
    const at = q * positions;
    for (let i = 0; i < positions; i++) lanes[i & 3] = Math.fround(lanes[i & 3]! + grad[at + i]!);
    const sum = Math.fround(Math.fround(lanes[0]! + lanes[1]!) + Math.fround(lanes[2]! + lanes[3]!));
    const c = q % channels;
    gb[c] = gb[c]! + sum;
  }
}

/** The first output column whose input column ox s - p + j is not left of the image. */
function firstInside(j: number, p: number, s: number, outW: number): number {
  return Math.min(outW, Math.max(0, Math.ceil((p - j) / s)));
}

/** One past the last output column whose input column lies inside [0, W). */
function endInside(j: number, p: number, s: number, W: number, outW: number, lo: number): number {
  return Math.max(lo, Math.min(outW, Math.floor((W - 1 + p - j) / s) + 1));
}

/** The geometry of a window over a [C, H, W] input. */
export function windowGeometry(
  input: readonly [number, number, number],
  kernel: readonly [number, number],
  stride: number,
  padding: number,
  out: readonly [number, number],
): WindowGeometry {
  return {
    channels: input[0],
    height: input[1],
    width: input[2],
    kernelH: kernel[0],
    kernelW: kernel[1],
    stride,
    padding,
    outH: out[0],
    outW: out[1],
  };
}
