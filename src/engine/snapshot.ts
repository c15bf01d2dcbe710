/**
 * What the worker streams to the panel about dropout layers: the bit-packed mask of the batch's first example, and
 * activation statistics. Both read what the last training step left in the layers; nothing is recomputed over the
 * whole batch (the drop count comes from the mask draw), so a snapshot costs about the same on every workload.
 */
import type { FeatureMapsEvent, LayerActivationStats, LayerMask } from '../protocol/engine';
import type { Conv2dLayer, DenseLayer, Dropout2dLayer, DropoutLayer } from './nn/network';

/** The layers whose masks the panel shows. */
export type MaskedLayer = DropoutLayer | Dropout2dLayer | DenseLayer | Conv2dLayer;

/**
 * Moments and histograms are taken over the batch's first rows, at most this many activations (at least one row):
 * enough for the panel's 24-bin histogram and a mean to about 1%, and a bounded cost (W3's full batch is 262,144).
 */
export const STATS_SAMPLE = 8192;

/**
 * DropConnect shows the weights feeding the layer's first unit (a conv's first filter): one row of its weight mask.
 * dropout2d shows its first example's channels.
 */
export function maskWidth(l: MaskedLayer): number {
  if (l.kind === 'dropout') return l.units;
  if (l.kind === 'dropout2d') return l.shape[0];
  return l.kind === 'dense' ? l.inputs : l.fanIn;
}

/** Fills `bits` (zeroed first) with the first example's keep mask, LSB first, 1 = kept. */
export function layerMask(l: MaskedLayer, batch: number, bits: Uint8Array): LayerMask {
  const width = maskWidth(l);
  const active =
    l.kind === 'dropout' ? l.active && l.spec.kind !== 'gaussian' : l.kind === 'dropout2d' ? l.active : l.masked;
  bits.fill(0);
  if (!active) {
    for (let i = 0; i < width; i++) bits[i >> 3]! |= 1 << (i & 7);
    return { layer: l.index, units: width, bits, rate: l.rate, realizedDropFraction: 0 };
  }
  const keep = l.kind === 'dropout' ? l.keep : l.kind === 'dropout2d' ? l.channelKeep : l.keepW!;
  for (let i = 0; i < width; i++) if (keep[i]) bits[i >> 3]! |= 1 << (i & 7);
  const total = l.kind === 'dropout' || l.kind === 'dropout2d' ? batch * l.units : keep.length;
  return { layer: l.index, units: width, bits, rate: l.rate, realizedDropFraction: total > 0 ? l.dropped / total : 0 };
}

/** The first example's feature maps before and after a dropout2d layer, copied (the buffers are transferred). */
export function featureMaps(l: Dropout2dLayer, step: number): FeatureMapsEvent {
  const before = l.input.slice(0, l.units);
  const after = l.active ? l.out.slice(0, l.units) : before.slice();
  return { type: 'featureMaps', step, layer: l.index, shape: [...l.shape], before, after };
}

export function layerActivationStats(
  l: DropoutLayer | Dropout2dLayer,
  batch: number,
  bins: number,
): LayerActivationStats {
  const rows = Math.min(batch, Math.max(1, Math.floor(STATS_SAMPLE / l.units)));
  const s = pairStats(l.input, l.out, rows * l.units, bins);
  const count = batch * l.units;
  // Standard scaling rescales at test time, so its training output is compared after that rescaling.
  const rescale = l.kind === 'dropout' && l.active && l.spec.scaling === 'standard' && l.spec.kind !== 'gaussian';
  const droppedMean = rescale ? s.after.mean / (1 - l.rate || 1) : s.after.mean;
  const undroppedMean = s.before.mean;
  return {
    layer: l.index,
    before: s.before,
    after: s.after,
    realizedDropFraction: count > 0 ? l.dropped / count : 0,
    expectation: {
      undroppedMean,
      droppedMean,
      relativeError: Math.abs(droppedMean - undroppedMean) / Math.max(1e-12, Math.abs(undroppedMean)),
    },
    histogram: { min: s.min, max: s.max, before: s.beforeCounts, after: s.afterCounts },
  };
}

/** Mean, variance (population) and histograms over one shared range of before[0..n) and after[0..n), in two passes. */
function pairStats(before: Float32Array, after: Float32Array, n: number, bins: number) {
  let sumB = 0;
  let sumA = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const b = before[i]!;
    const a = after[i]!;
    sumB += b;
    sumA += a;
    if (b < min) min = b;
    if (a < min) min = a;
    if (b > max) max = b;
    if (a > max) max = a;
  }
  if (!(max > min)) max = min + 1;
  const meanB = sumB / Math.max(1, n);
  const meanA = sumA / Math.max(1, n);
  const beforeCounts = new Float32Array(bins);
  const afterCounts = new Float32Array(bins);
  const scale = bins / (max - min);
  const last = bins - 1;
  let varB = 0;
  let varA = 0;
  for (let i = 0; i < n; i++) {
    const b = before[i]!;
    const a = after[i]!;
    varB += (b - meanB) * (b - meanB);
    varA += (a - meanA) * (a - meanA);
    beforeCounts[Math.min(last, ((b - min) * scale) | 0)]!++;
    afterCounts[Math.min(last, ((a - min) * scale) | 0)]!++;
  }
  return {
    before: { mean: meanB, variance: varB / Math.max(1, n) },
    after: { mean: meanA, variance: varA / Math.max(1, n) },
    min,
    max,
    beforeCounts,
    afterCounts,
  };
}
