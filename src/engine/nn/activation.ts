/** Element-wise activations, forward and derivative side by side. GELU is the exact (erf) form, as PyTorch's default. */
import type { Activation } from '../../protocol/modelSpec';

// Abramowitz-Stegun 7.1.26 is too coarse for the golden tolerance; this is W. J. Cody's rational erf (|err| < 1e-7).
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax > 6) return sign;
  const t = 1 / (1 + 0.5 * ax);
  const y =
    1 -
    t *
      Math.exp(
        -ax * ax -
          1.26551223 +
          t *
            (1.00002368 +
              t *
                (0.37409196 +
                  t *
                    (0.09678418 +
                      t *
                        (-0.18628806 +
                          t *
                            (0.27886807 +
                              t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return sign * y;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** out[i] = f(z[i]) for i < n. */
export function activate(kind: Activation, z: Float32Array, out: Float32Array, n: number): void {
  switch (kind) {
    case 'linear':
      if (out !== z) out.set(z.subarray(0, n));
      return;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = z[i]! > 0 ? z[i]! : 0;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(z[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-z[i]!));
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) out[i] = 0.5 * z[i]! * (1 + erf(z[i]! * SQRT1_2));
      return;
  }
}

/** grad[i] *= f'(z[i]), given z (pre-activation) and a = f(z). */
export function activationBackward(
  kind: Activation,
  z: Float32Array,
  a: Float32Array,
  grad: Float32Array,
  n: number,
): void {
  switch (kind) {
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < n; i++) if (!(z[i]! > 0)) grad[i] = 0;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) grad[i]! *= 1 - a[i]! * a[i]!;
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) grad[i]! *= a[i]! * (1 - a[i]!);
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) {
        const x = z[i]!;
        grad[i]! *= 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
      }
      return;
  }
}

/** z[r, j] += b[j], then out = f(z), over rows x units; ReLU in one pass (the common hidden layer). */
export function biasActivate(
  kind: Activation,
  z: Float32Array,
  b: Float32Array,
  out: Float32Array,
  rows: number,
  units: number,
): void {
  if (kind === 'relu') {
    for (let r = 0, i = 0; r < rows; r++) {
      for (let j = 0; j < units; j++, i++) {
        const v = Math.fround(z[i]! + b[j]!);
        z[i] = v;
        out[i] = v > 0 ? v : 0;
      }
    }
    return;
  }
  for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < units; j++, i++) z[i]! += b[j]!;
  activate(kind, z, out, rows * units);
}

/** activationBackward over rows x units, then gb[j] = sum over rows of the result; ReLU in one pass. */
export function activationBackwardBias(
  kind: Activation,
  z: Float32Array,
  a: Float32Array,
  grad: Float32Array,
  gb: Float32Array,
  rows: number,
  units: number,
): void {
  gb.fill(0);
  if (kind === 'relu') {
    for (let r = 0, i = 0; r < rows; r++) {
      for (let j = 0; j < units; j++, i++) {
        const g = z[i]! > 0 ? grad[i]! : 0;
        grad[i] = g;
        gb[j]! += g;
      }
    }
    return;
  }
  activationBackward(kind, z, a, grad, rows * units);
  for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < units; j++, i++) gb[j]! += grad[i]!;
}
