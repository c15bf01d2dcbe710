/**
 * Dropout variants as pure functions over flat buffers. Masks and noise are inputs, so the trainer draws
 * them from its seeded stream and the golden tests inject PyTorch's.
 *   inverted (PyTorch/Keras):  train y = x * keep / (1 - p)   eval y = x
 *   standard (the paper):      train y = x * keep             eval y = x * (1 - p)
 *   gaussian:                  train y = x * (1 + sigma z), sigma = sqrt(p / (1 - p))   eval y = x
 *   spatial:                   one keep per (example, channel), shared by every position
 */
import type { DropoutScaling } from '../../protocol/modelSpec';
import type { SeededRandom } from '../random';

export function checkRate(rate: number): void {
  if (!(rate >= 0 && rate < 1))
    throw new RangeError(`A dropout rate is the probability of dropping a unit and must be in [0, 1); got ${rate}.`);
}

/** Scale applied to kept units in training. p = 1 keeps nothing: scale 0, never Infinity (0 * Infinity is NaN). */
export function trainScale(p: number, scaling: DropoutScaling): number {
  if (scaling === 'standard') return 1;
  return p >= 1 ? 0 : 1 / (1 - p);
}

/** How many of keep[0..n) are 0 (for injected masks; drawn ones come with their count). */
export function countDropped(keep: Uint8Array, n: number): number {
  let dropped = 0;
  for (let i = 0; i < n; i++) if (!keep[i]) dropped++;
  return dropped;
}

/** keep is [batch, channels]; expands to the [batch, positions * channels] input layout (position-major). */
export function expandSpatial(
  channelKeep: Uint8Array,
  keep: Uint8Array,
  batch: number,
  positions: number,
  channels: number,
): void {
  for (let b = 0; b < batch; b++)
    for (let s = 0; s < positions; s++)
      for (let c = 0; c < channels; c++) keep[(b * positions + s) * channels + c] = channelKeep[b * channels + c]!;
}

export function drawGaussian(noise: Float32Array, n: number, p: number, rng: SeededRandom): void {
  const sigma = Math.sqrt(p / (1 - p));
  for (let i = 0; i < n; i++) noise[i] = 1 + sigma * rng.normal();
}

/** y = x * (keep * scale) with scale rounded to float32, as PyTorch multiplies (dropped: exact zeros, -0 for x < 0).
 *  The reference for kernels/elementwise.ts's SIMD pass, which must give the same bits. */
export function applyMask(x: Float32Array, keep: Uint8Array, scale: number, y: Float32Array, n: number): void {
  const s = Math.fround(scale);
  for (let i = 0; i < n; i++) y[i] = x[i]! * (keep[i]! * s);
}

export function applyNoise(x: Float32Array, noise: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i]! * noise[i]!;
}

/** Eval-mode dropout: identity, or the keep probability for standard scaling. */
export function applyEval(x: Float32Array, p: number, scaling: DropoutScaling, y: Float32Array, n: number): void {
  const scale = scaling === 'standard' ? 1 - p : 1;
  for (let i = 0; i < n; i++) y[i] = x[i]! * scale;
}
