/**
 * Dropout-rate sweep: the same model trained once per rate on one layer group (inputs, hidden layers or
 * both), validation loss and accuracy against the rate, the best rate (lowest validation loss, ties broken
 * by accuracy), and the regions around it: below the best rate the model overfits, above it it underfits.
 */
import type { ModelSpec } from '../protocol/modelSpec';
import {
  csvOf,
  applyEpochs,
  finalRow,
  finishRun,
  overallStatus,
  summarize,
  trainPlans,
  type ExperimentOptions,
  type ExperimentStatus,
  type FinalRow,
  type TrainingSummary,
} from './common';
import { withGroupRate, type LayerGroup } from './variants';

export const DEFAULT_SWEEP_RATES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

export type SweepRegion = 'overfitting' | 'best' | 'underfitting';

export interface SweepPoint {
  rate: number;
  key: string;
  spec: ModelSpec;
  training: TrainingSummary;
  /** Absent when the training did not produce final metrics. */
  region?: SweepRegion;
}

export interface RateRange {
  from: number;
  to: number;
  /** The rates of the sweep inside the range. */
  rates: number[];
}

export interface SweepResult {
  kind: 'sweep';
  status: ExperimentStatus;
  message?: string;
  name: string;
  seed: number;
  group: LayerGroup;
  rates: number[];
  points: SweepPoint[];
  /** Lowest validation loss; ties (within 1e-6 relative) broken by higher validation accuracy, then lower rate. */
  best?: { rate: number; valLoss: number; valAccuracy?: number };
  /** Rates below the best: too little dropout, the model overfits. Null when the best is the lowest rate. */
  overfitting: RateRange | null;
  /** Rates above the best: too much dropout, the model underfits. Null when the best is the highest rate. */
  underfitting: RateRange | null;
  table: FinalRow[];
}

export interface SweepOptions extends ExperimentOptions {
  /** Rates to train, each in [0, 1). Default 0 to 0.8 in steps of 0.1. */
  rates?: readonly number[];
  /** Layer group whose dropout rate is swept. Default `hidden`. */
  group?: LayerGroup;
}

export function sweepKey(rate: number): string {
  return `rate=${rate}`;
}

/** Checks a rate list; returns an error message or undefined. */
export function checkRates(rates: readonly number[]): string | undefined {
  if (rates.length === 0) return 'no rates to sweep';
  for (const r of rates) if (!Number.isFinite(r) || r < 0 || r >= 1) return `rate ${r} is outside [0, 1)`;
  if (new Set(rates).size !== rates.length) return 'a rate appears twice';
  return undefined;
}

/** The best point: lowest validation loss, ties by higher accuracy, then lower rate. */
export function bestPoint(
  points: readonly { rate: number; training: TrainingSummary }[],
): { rate: number; valLoss: number; valAccuracy?: number } | undefined {
  let best: { rate: number; valLoss: number; valAccuracy?: number } | undefined;
  for (const p of points) {
    const v = p.training.final?.validation;
    if (!v || !Number.isFinite(v.loss)) continue;
    const candidate = {
      rate: p.rate,
      valLoss: v.loss,
      ...(v.accuracy !== undefined ? { valAccuracy: v.accuracy } : {}),
    };
    if (!best) {
      best = candidate;
      continue;
    }
    const tol = 1e-6 * Math.max(1, Math.abs(best.valLoss));
    if (candidate.valLoss < best.valLoss - tol) best = candidate;
    else if (Math.abs(candidate.valLoss - best.valLoss) <= tol) {
      const a = candidate.valAccuracy ?? -Infinity;
      const b = best.valAccuracy ?? -Infinity;
      if (a > b || (a === b && candidate.rate < best.rate)) best = candidate;
    }
  }
  return best;
}

export async function runSweepExperiment(spec: ModelSpec, options: SweepOptions = {}): Promise<SweepResult> {
  const rates = [...(options.rates ?? DEFAULT_SWEEP_RATES)].sort((a, b) => a - b);
  const problem = checkRates(rates);
  if (problem) throw new RangeError(`Sweep: ${problem}.`);
  const group = options.group ?? 'hidden';
  const base = applyEpochs(spec, options.epochs);
  const plans = rates.map((rate) => ({
    key: sweepKey(rate),
    label: `rate ${rate}`,
    spec: withGroupRate(base, group, rate),
    ...csvOf(options),
  }));
  const outcomes = await trainPlans(plans, options);
  const points: SweepPoint[] = plans.map((p, i) => ({
    rate: rates[i]!,
    key: p.key,
    spec: p.spec,
    training: summarize(outcomes[i]!),
  }));
  const best = bestPoint(points);
  for (const p of points) {
    if (!best || !p.training.final) continue;
    p.region = p.rate < best.rate ? 'overfitting' : p.rate > best.rate ? 'underfitting' : 'best';
  }
  const below = rates.filter((r) => best && r < best.rate);
  const above = rates.filter((r) => best && r > best.rate);
  const result: SweepResult = {
    kind: 'sweep',
    ...overallStatus(outcomes, options.signal),
    name: spec.name,
    seed: spec.seed,
    group,
    rates,
    points,
    ...(best ? { best } : {}),
    overfitting: below.length > 0 ? { from: below[0]!, to: below[below.length - 1]!, rates: below } : null,
    underfitting: above.length > 0 ? { from: above[0]!, to: above[above.length - 1]!, rates: above } : null,
    table: points.map((p) => finalRow(`rate ${p.rate}`, p.training)),
  };
  await finishRun(options, result);
  return result;
}
