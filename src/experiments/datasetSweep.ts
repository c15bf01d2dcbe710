/**
 * Dataset-size sweep: the model with and without dropout on growing subsets of the data. For each size,
 * dropout's benefit is the validation loss without dropout minus with it (positive: dropout helps). The
 * articles predict a sweet spot: little help on tiny data, most in between, less or none on large data.
 */
import { DATA_FILE_LIMIT, readTextSync } from '../engine/data/files';
import type { ModelSpec } from '../protocol/modelSpec';
import {
  applyEpochs,
  bySeed,
  experimentSeeds,
  finishRun,
  perSeed,
  seedStats,
  overallStatus,
  summarize,
  trainPlans,
  type ExperimentOptions,
  type ExperimentStatus,
  type Plan,
  type SeedStats,
  type TrainingSummary,
} from './common';
import { paired, type PairedDifference } from './intervals';
import { hasDropout, withDataFraction, withGroupRate, withoutDropout } from './variants';

export const DEFAULT_FRACTIONS: readonly number[] = [0.125, 0.25, 0.5, 1];

export interface DatasetSizePoint {
  fraction: number;
  /** Samples in the subset (both splits), when known. */
  samples?: number;
  /** The first seed's trainings (their curves); every seed's is in `withStats.runs` and `withoutStats.runs`. */
  withDropout: TrainingSummary;
  withoutDropout: TrainingSummary;
  /** Each arm over the seeds: final metrics as means with 95% intervals. */
  withStats: SeedStats;
  withoutStats: SeedStats;
  /** Validation loss without dropout - with dropout, mean over seeds: positive when dropout helps. */
  lossBenefit?: number;
  /** The per-seed loss benefit with its 95% interval; `withinNoise` when it contains 0. */
  lossBenefitInterval?: PairedDifference;
  /** Validation accuracy with dropout - without, mean over seeds: positive when dropout helps. */
  accuracyBenefit?: number;
  accuracyBenefitInterval?: PairedDifference;
  /** The mean loss benefit is positive (see `lossBenefitInterval.withinNoise` for whether that is real). */
  helps?: boolean;
}

export interface DatasetSweepResult {
  kind: 'dataset-sweep';
  status: ExperimentStatus;
  message?: string;
  name: string;
  seed: number;
  /** Every seed each arm trained on at each size (the first is `seed`). */
  seeds: number[];
  points: DatasetSizePoint[];
  /** The fraction where dropout helps most (largest loss benefit). */
  bestFraction?: number;
  /** The smallest fraction past the best one from which dropout no longer helps; absent if it always helps there. */
  stopsHelpingAt?: number;
  notes: string[];
}

export interface DatasetSweepOptions extends ExperimentOptions {
  /** Fractions of the data, each in (0, 1]. Default 1/8, 1/4, 1/2, 1. */
  fractions?: readonly number[];
  /** Rate added after hidden layers when the config has no dropout (default 0.5). */
  defaultRate?: number;
}

/** Why a list of data fractions cannot be swept, or undefined when it can. */
export function checkFractions(fractions: readonly number[]): string | undefined {
  if (fractions.length === 0) return 'no fractions to sweep';
  for (const f of fractions) if (!(f > 0 && f <= 1)) return `fraction ${f} is outside (0, 1]`;
  if (new Set(fractions).size !== fractions.length) return 'a fraction appears twice';
  return undefined;
}

export async function runDatasetSweepExperiment(
  spec: ModelSpec,
  options: DatasetSweepOptions = {},
): Promise<DatasetSweepResult> {
  const fractions = [...(options.fractions ?? DEFAULT_FRACTIONS)].sort((a, b) => a - b);
  const problem = checkFractions(fractions);
  if (problem) throw new RangeError(`Dataset sweep: ${problem}.`);
  const notes: string[] = [];
  const base = applyEpochs(spec, options.epochs);
  let withSpec = base;
  if (!hasDropout(base)) {
    const rate = options.defaultRate ?? 0.5;
    withSpec = withGroupRate(base, 'hidden', rate);
    notes.push(`The config has no dropout: the "with dropout" runs add dropout ${rate} after each hidden layer.`);
  }
  // The subsets are cut from the rows on the host: a CSV given by path is read here.
  const csvText =
    options.csvText ?? (options.csvPath !== undefined ? readTextSync(options.csvPath, DATA_FILE_LIMIT) : undefined);
  if (spec.data.source === 'csv' && csvText === undefined)
    notes.push('No CSV text was given: every size trains on the whole file.');
  const withoutSpec = withoutDropout(base);
  const plans: Plan[] = [];
  const samples: (number | undefined)[] = [];
  for (const f of fractions) {
    const a = withDataFraction(withSpec, f, csvText);
    const b = withDataFraction(withoutSpec, f, csvText);
    samples.push(a.samples);
    plans.push({
      key: `fraction=${f}/with-dropout`,
      label: `${pct(f)} with dropout`,
      spec: a.spec,
      ...(a.csvText !== undefined ? { csvText: a.csvText } : {}),
    });
    plans.push({
      key: `fraction=${f}/without-dropout`,
      label: `${pct(f)} without dropout`,
      spec: b.spec,
      ...(b.csvText !== undefined ? { csvText: b.csvText } : {}),
    });
  }
  const seeds = experimentSeeds(spec, options);
  const outcomes = await trainPlans(perSeed(plans, seeds), options);
  const grouped = bySeed(outcomes, plans.length, seeds.length);
  const points: DatasetSizePoint[] = fractions.map((fraction, i) => {
    const w = seedStats(seeds, grouped[2 * i]!.map(summarize));
    const wo = seedStats(seeds, grouped[2 * i + 1]!.map(summarize));
    const point: DatasetSizePoint = {
      fraction,
      ...(samples[i] !== undefined ? { samples: samples[i] } : {}),
      withDropout: w.runs[0]!,
      withoutDropout: wo.runs[0]!,
      withStats: w,
      withoutStats: wo,
    };
    const loss = (s: SeedStats) => s.runs.map((r) => r.final?.validation.loss);
    const acc = (s: SeedStats) => s.runs.map((r) => r.final?.validation.accuracy);
    const lossBenefit = paired(loss(wo), loss(w));
    if (lossBenefit) {
      point.lossBenefit = lossBenefit.mean;
      point.lossBenefitInterval = lossBenefit;
      point.helps = lossBenefit.mean > 0;
    }
    const accuracyBenefit = paired(acc(w), acc(wo));
    if (accuracyBenefit) {
      point.accuracyBenefit = accuracyBenefit.mean;
      point.accuracyBenefitInterval = accuracyBenefit;
    }
    return point;
  });
  const measured = points.filter((p) => p.lossBenefit !== undefined);
  const result: DatasetSweepResult = {
    kind: 'dataset-sweep',
    ...overallStatus(outcomes, options.signal),
    name: spec.name,
    seed: spec.seed,
    seeds,
    points,
    notes,
  };
  if (measured.length > 0) {
    const best = measured.reduce((a, b) => (b.lossBenefit! > a.lossBenefit! ? b : a));
    result.bestFraction = best.fraction;
    const stop = measured.find((p) => p.fraction > best.fraction && !p.helps);
    if (stop) result.stopsHelpingAt = stop.fraction;
  }
  await finishRun(options, result);
  return result;
}

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10}% of the data`;
}
