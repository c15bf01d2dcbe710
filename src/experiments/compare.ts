/**
 * With vs without dropout: the same model and data trained on the same seeds (in parallel), once as
 * configured and once with every dropout rate at 0 and DropConnect off. Curves, a final-metrics table of the
 * means over seeds with the generalization gap, the gap's change as a paired interval over seeds, and both
 * weight distributions (first seed) on one shared histogram range.
 */
import type { ModelSpec } from '../protocol/modelSpec';
import {
  csvOf,
  applyEpochs,
  bySeed,
  experimentSeeds,
  finishRun,
  meanRow,
  perSeed,
  seedStats,
  overallStatus,
  summarize,
  trainPlans,
  type ExperimentOptions,
  type ExperimentStatus,
  type FinalRow,
  type Plan,
  type SeedStats,
  type TrainingSummary,
} from './common';
import { paired, type PairedDifference } from './intervals';
import { flattenWeights, sharedRange, weightStats, type WeightStats } from './stats';
import { hasDropout, withGroupRate, withoutDropout } from './variants';

export interface CompareArm {
  key: 'with-dropout' | 'without-dropout';
  label: string;
  spec: ModelSpec;
  /** The first seed's training (its curves); every seed's is in `stats.runs`. */
  training: TrainingSummary;
  /** The arm's trainings over the seeds: final metrics as means with 95% intervals. */
  stats: SeedStats;
  /** The first seed's final weights. Absent when the engine sent no weights (a failed run). */
  weights?: WeightStats;
}

export interface CompareResult {
  kind: 'compare';
  status: ExperimentStatus;
  message?: string;
  name: string;
  seed: number;
  /** Every seed both arms trained on (the first is `seed`). */
  seeds: number[];
  withDropout: CompareArm;
  withoutDropout: CompareArm;
  /** Final train/val loss and accuracy and the gap, one row per arm (with dropout first). */
  table: FinalRow[];
  /**
   * Positive when dropout narrows the gap: gap without - gap with (loss, and accuracy for classification),
   * the mean over seeds of the per-seed differences.
   */
  gapReduction?: { loss: number; accuracy?: number };
  /** The same per-seed differences with their 95% intervals; `withinNoise` when the interval contains 0. */
  gapReductionInterval?: { loss: PairedDifference; accuracy?: PairedDifference };
  /** Validation loss without dropout - with it, seed by seed (positive: dropout helps). */
  valLossBenefit?: PairedDifference;
  /** Positive when dropout spreads weights more evenly: evenness with - evenness without. */
  evennessGain?: number;
  /** Notes for the reader, e.g. that dropout was added because the config had none. */
  notes: string[];
}

export interface CompareOptions extends ExperimentOptions {
  /** When the config has no dropout: the rate added after each hidden layer for the "with" arm (default 0.5). */
  defaultRate?: number;
  /** Histogram bins of the weight distributions (default 40). */
  bins?: number;
}

export async function runCompareExperiment(spec: ModelSpec, options: CompareOptions = {}): Promise<CompareResult> {
  const base = applyEpochs(spec, options.epochs);
  const notes: string[] = [];
  let withSpec = base;
  if (!hasDropout(base)) {
    const rate = options.defaultRate ?? 0.5;
    withSpec = withGroupRate(base, 'hidden', rate);
    notes.push(`The config has no dropout: the "with dropout" run adds dropout ${rate} after each hidden layer.`);
  }
  const withoutSpec = withoutDropout(base);
  const csv = csvOf(options);
  const plans: Plan[] = [
    { key: 'with-dropout', label: 'with dropout', spec: withSpec, ...csv },
    { key: 'without-dropout', label: 'without dropout', spec: withoutSpec, ...csv },
  ];
  const seeds = experimentSeeds(spec, options);
  const outcomes = await trainPlans(perSeed(plans, seeds), options);
  const [withRuns, withoutRuns] = bySeed(outcomes, 2, seeds.length);
  const withOutcome = withRuns![0];
  const withoutOutcome = withoutRuns![0];
  const wWith = flattenWeights(withOutcome!.weights);
  const wWithout = flattenWeights(withoutOutcome!.weights);
  const range = sharedRange(wWith, wWithout);
  const bins = options.bins ?? 40;
  const arm = (
    key: CompareArm['key'],
    label: string,
    s: ModelSpec,
    runs: typeof outcomes,
    w: Float32Array,
  ): CompareArm => {
    const stats = seedStats(seeds, runs.map(summarize));
    return {
      key,
      label,
      spec: s,
      training: stats.runs[0]!,
      stats,
      ...(w.length > 0 ? { weights: weightStats(w, bins, range) } : {}),
    };
  };
  const withArm = arm('with-dropout', 'with dropout', withSpec, withRuns!, wWith);
  const withoutArm = arm('without-dropout', 'without dropout', withoutSpec, withoutRuns!, wWithout);
  const status = overallStatus(outcomes, options.signal);
  const result: CompareResult = {
    kind: 'compare',
    ...status,
    name: spec.name,
    seed: spec.seed,
    seeds,
    withDropout: withArm,
    withoutDropout: withoutArm,
    table: [meanRow(withArm.label, withArm.stats), meanRow(withoutArm.label, withoutArm.stats)],
    notes,
  };
  const per = (a: CompareArm, pick: (t: TrainingSummary) => number | undefined) => a.stats.runs.map(pick);
  const lossGap = paired(
    per(withoutArm, (t) => t.gap?.loss),
    per(withArm, (t) => t.gap?.loss),
  );
  const accGap = paired(
    per(withoutArm, (t) => t.gap?.accuracy),
    per(withArm, (t) => t.gap?.accuracy),
  );
  if (lossGap) {
    result.gapReduction = { loss: lossGap.mean, ...(accGap ? { accuracy: accGap.mean } : {}) };
    result.gapReductionInterval = { loss: lossGap, ...(accGap ? { accuracy: accGap } : {}) };
  }
  const benefit = paired(
    per(withoutArm, (t) => t.final?.validation.loss),
    per(withArm, (t) => t.final?.validation.loss),
  );
  if (benefit) result.valLossBenefit = benefit;
  if (withArm.weights && withoutArm.weights)
    result.evennessGain = withArm.weights.evenness - withoutArm.weights.evenness;
  await finishRun(options, result);
  return result;
}
