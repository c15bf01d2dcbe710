/**
 * Statistics the experiments report: weight distributions and their spread, generalization gaps.
 */
import type { LayerWeights } from '../runs/format';

export interface Histogram {
  /** Bins cover [min, max] in equal widths. */
  min: number;
  max: number;
  counts: number[];
}

export interface WeightStats {
  /** Weights counted: every dense layer's W (biases excluded). */
  count: number;
  mean: number;
  std: number;
  meanAbs: number;
  maxAbs: number;
  /**
   * How evenly the weight mass is spread: (mean |w|)^2 / mean(w^2), in (0, 1]. 1 when every weight has the
   * same magnitude; low when a few large weights dominate. Dropout spreads weights more evenly (higher).
   */
  evenness: number;
  /** Largest weight over the standard deviation: how far the biggest weight stands out (lower: more even). */
  peakRatio: number;
  /** Excess kurtosis: heavy tails (a few large weights) give high values. */
  kurtosis: number;
  histogram: Histogram;
}

export function histogram(values: ArrayLike<number>, bins: number, min: number, max: number): Histogram {
  const counts = new Array<number>(bins).fill(0);
  const width = max > min ? (max - min) / bins : 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)));
    counts[k]!++;
  }
  return { min, max, counts };
}

export function flattenWeights(weights: readonly LayerWeights[] | undefined): Float32Array {
  if (!weights) return new Float32Array(0);
  const total = weights.reduce((n, w) => n + w.W.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const w of weights) {
    out.set(w.W, o);
    o += w.W.length;
  }
  return out;
}

/** Range covering every given set of weights, symmetric around 0 so two histograms line up. */
export function sharedRange(...sets: ArrayLike<number>[]): { min: number; max: number } {
  let m = 0;
  for (const s of sets) for (let i = 0; i < s.length; i++) if (Number.isFinite(s[i]!)) m = Math.max(m, Math.abs(s[i]!));
  if (m === 0) m = 1;
  return { min: -m, max: m };
}

export function weightStats(values: ArrayLike<number>, bins = 40, range?: { min: number; max: number }): WeightStats {
  const n = values.length;
  let sum = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    sum += v;
    sumAbs += Math.abs(v);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = n > 0 ? sum / n : 0;
  let m2 = 0;
  let m4 = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const d = v - mean;
    m2 += d * d;
    m4 += d * d * d * d;
    sq += v * v;
  }
  const variance = n > 0 ? m2 / n : 0;
  const std = Math.sqrt(variance);
  const meanAbs = n > 0 ? sumAbs / n : 0;
  const meanSq = n > 0 ? sq / n : 0;
  const r = range ?? sharedRange(values);
  return {
    count: n,
    mean,
    std,
    meanAbs,
    maxAbs,
    evenness: meanSq > 0 ? (meanAbs * meanAbs) / meanSq : 1,
    peakRatio: std > 0 ? maxAbs / std : 0,
    kurtosis: variance > 0 ? m4 / n / (variance * variance) - 3 : 0,
    histogram: histogram(values, bins, r.min, r.max),
  };
}

/** Index of the largest value (first on ties). */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (values[offset + k]! > values[offset + best]!) best = k;
  return best;
}
