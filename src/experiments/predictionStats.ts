/**
 * What a Monte Carlo prediction says per sample: the predicted class of the mean over the passes (or the
 * mean prediction, for regression), that output's mean and its variance across the passes. Shared by the
 * experiments and the run panel's Monte Carlo button; pure, no engine.
 */
import type { PredictionEvent } from '../protocol/engine';
import { argmax } from './stats';

export function mcStats(event: Pick<PredictionEvent, 'examples' | 'width' | 'mean' | 'variance'>): {
  perSample: { mean: number[]; variance: number[]; predicted: number[] };
  classes: number;
} {
  const { examples: n, width } = event;
  const classes = width > 1 ? width : 0;
  const perSample = { mean: [] as number[], variance: [] as number[], predicted: [] as number[] };
  for (let i = 0; i < n; i++) {
    const k = classes > 1 ? argmax(event.mean, i * width, width) : 0;
    perSample.mean.push(event.mean[i * width + k]!);
    perSample.variance.push(event.variance[i * width + k]!);
    perSample.predicted.push(classes > 1 ? k : event.mean[i * width]!);
  }
  return { perSample, classes };
}

/** The mean over samples of that variance: one figure for how unsure the model is. */
export function meanVarianceOf(event: Pick<PredictionEvent, 'examples' | 'width' | 'mean' | 'variance'>): number {
  const v = mcStats(event).perSample.variance;
  return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0;
}
