/**
 * Dropout-rate sweep: the same model trained per rate on one layer group (inputs, hidden layers or both),
 * on several seeds each; validation loss and accuracy against the rate as means with 95% intervals, the best
 * rate (lowest mean validation loss, ties broken by accuracy), the rates a paired t-test over the seeds cannot
 * tell from it, and the regions around it: below the best rate the model overfits, above it it underfits.
 */
import type { ModelSpec } from '../protocol/modelSpec';
import {
  csvOf,
  applyEpochs,
  bySeed,
  experimentSeeds,
  meanRow,
  perSeed,
  seedStats,
  finishRun,
  overallStatus,
  summarize,
  trainPlans,
  type ExperimentOptions,
  type ExperimentStatus,
  type FinalRow,
  type SeedStats,
  type TrainingSummary,
} from './common';
import { paired, type PairedDifference } from './intervals';
import { withGroupRate, type LayerGroup } from './variants';

export const DEFAULT_SWEEP_RATES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

export type SweepRegion = 'overfitting' | 'best' | 'underfitting';

export interface SweepPoint {
  rate: number;
  key: string;
  spec: ModelSpec;
  /** The first seed's training (its curves); every seed's is in `stats.runs`. */
  training: TrainingSummary;
  /** The rate's trainings over the seeds: final metrics as means with 95% intervals. */
  stats: SeedStats;
  /** Absent when no seed produced final metrics. */
  region?: SweepRegion;
  /**
   * Validation loss of this rate minus the best rate's, seed by seed (paired), with its 95% interval;
   * `withinNoise` when that interval contains 0. Absent for the best rate itself.
   */
  vsBest?: PairedDifference;
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
  /** Every seed each rate trained on (the first is `seed`). */
  seeds: number[];
  group: LayerGroup;
  rates: number[];
  points: SweepPoint[];
  /**
   * Lowest mean validation loss over the seeds; ties (within 1e-6 relative) broken by higher mean validation
   * accuracy, then lower rate.
   */
  best?: { rate: number; valLoss: number; valAccuracy?: number };
  /**
   * The best rate and every rate statistically indistinguishable from it: a paired t-test over the seeds
   * (the 95% interval of the per-seed difference in validation loss contains 0). With one seed nothing can
   * be told apart, so every rate that trained is here.
   */
  indistinguishable: number[];
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

/** The best point: lowest (mean) validation loss, ties by higher accuracy, then lower rate. */
export function bestPoint(
  points: readonly { rate: number; valLoss?: number; valAccuracy?: number }[],
): { rate: number; valLoss: number; valAccuracy?: number } | undefined {
  let best: { rate: number; valLoss: number; valAccuracy?: number } | undefined;
  for (const p of points) {
    if (p.valLoss === undefined || !Number.isFinite(p.valLoss)) continue;
    const candidate = {
      rate: p.rate,
      valLoss: p.valLoss,
      ...(p.valAccuracy !== undefined ? { valAccuracy: p.valAccuracy } : {}),
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
  const seeds = experimentSeeds(spec, options);
  const plans = rates.map((rate) => ({
    key: sweepKey(rate),
    label: `rate ${rate}`,
    spec: withGroupRate(base, group, rate),
    ...csvOf(options),
  }));
  const outcomes = await trainPlans(perSeed(plans, seeds), options);
  const points: SweepPoint[] = bySeed(outcomes, plans.length, seeds.length).map((runs, i) => {
    const stats = seedStats(seeds, runs.map(summarize));
    return { rate: rates[i]!, key: plans[i]!.key, spec: plans[i]!.spec, training: stats.runs[0]!, stats };
  });
  const best = bestPoint(
    points.map((p) => ({
      rate: p.rate,
      ...(p.stats.valLoss ? { valLoss: p.stats.valLoss.mean } : {}),
      ...(p.stats.valAccuracy ? { valAccuracy: p.stats.valAccuracy.mean } : {}),
    })),
  );
  const bestStats = points.find((p) => p.rate === best?.rate)?.stats;
  const lossesOf = (s: SeedStats) => s.runs.map((r) => r.final?.validation.loss);
  const indistinguishable: number[] = [];
  for (const p of points) {
    if (!best || !bestStats || !p.stats.valLoss) continue;
    p.region = p.rate < best.rate ? 'overfitting' : p.rate > best.rate ? 'underfitting' : 'best';
    if (p.rate === best.rate) {
      indistinguishable.push(p.rate);
      continue;
    }
    const d = paired(lossesOf(p.stats), lossesOf(bestStats));
    if (d) p.vsBest = d;
    if (!d || d.withinNoise) indistinguishable.push(p.rate);
  }
  const below = rates.filter((r) => best && r < best.rate);
  const above = rates.filter((r) => best && r > best.rate);
  const result: SweepResult = {
    kind: 'sweep',
    ...overallStatus(outcomes, options.signal),
    name: spec.name,
    seed: spec.seed,
    seeds,
    group,
    rates,
    points,
    ...(best ? { best } : {}),
    indistinguishable,
    overfitting: below.length > 0 ? { from: below[0]!, to: below[below.length - 1]!, rates: below } : null,
    underfitting: above.length > 0 ? { from: above[0]!, to: above[above.length - 1]!, rates: above } : null,
    table: points.map((p) => meanRow(`rate ${p.rate}`, p.stats)),
  };
  await finishRun(options, result);
  return result;
}

/**
 * In words: which rates the seeds cannot tell from the best, and how that was decided. One implementation
 * for the CLI's summary and the report.
 */
export function sweepNoiseText(result: SweepResult): string {
  if (!result.best) return '';
  const n = result.seeds.length;
  if (n < 2)
    return 'With one seed there is no interval: the differences between rates may be noise (run with more seeds).';
  const others = result.indistinguishable.filter((r) => r !== result.best!.rate);
  const how = `a paired t-test over the ${n} seeds: the 95% interval of the per-seed difference in validation loss contains 0`;
  const trained = result.points.filter((p) => p.stats.valLoss && p.rate !== result.best!.rate).length;
  if (others.length > 1 && others.length === trained)
    return `No rate differs from ${result.best.rate} beyond the noise between seeds (${how} for every rate): at these seeds the sweep cannot tell the rates apart, and the overfitting and underfitting regions are only tendencies. More seeds or a larger validation set would narrow the intervals.`;
  if (others.length === 0)
    return `Every other rate is worse than ${result.best.rate} beyond the noise between seeds (${how} for none of them).`;
  return `The differences between ${result.best.rate} and ${others.join(', ')} are within noise (${how}): any of these rates is as good as the best at these seeds.`;
}
