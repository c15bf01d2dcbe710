/**
 * With vs without dropout: the same model, data and seed trained twice (in parallel), once as configured
 * and once with every dropout rate at 0 and DropConnect off. Curves, a final-metrics table with the
 * generalization gap, and both weight distributions on one shared histogram range.
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
  type Plan,
  type TrainingSummary,
} from './common';
import { flattenWeights, sharedRange, weightStats, type WeightStats } from './stats';
import { hasDropout, withGroupRate, withoutDropout } from './variants';

export interface CompareArm {
  key: 'with-dropout' | 'without-dropout';
  label: string;
  spec: ModelSpec;
  training: TrainingSummary;
  /** Absent when the engine sent no weights (a failed run). */
  weights?: WeightStats;
}

export interface CompareResult {
  kind: 'compare';
  status: ExperimentStatus;
  message?: string;
  name: string;
  seed: number;
  withDropout: CompareArm;
  withoutDropout: CompareArm;
  /** Final train/val loss and accuracy and the gap, one row per arm (with dropout first). */
  table: FinalRow[];
  /** Positive when dropout narrows the gap: gap without - gap with (loss, and accuracy for classification). */
  gapReduction?: { loss: number; accuracy?: number };
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
  const [withOutcome, withoutOutcome] = await trainPlans(plans, options);
  const wWith = flattenWeights(withOutcome!.weights);
  const wWithout = flattenWeights(withoutOutcome!.weights);
  const range = sharedRange(wWith, wWithout);
  const bins = options.bins ?? 40;
  const arm = (
    key: CompareArm['key'],
    label: string,
    s: ModelSpec,
    outcome: typeof withOutcome,
    w: Float32Array,
  ): CompareArm => ({
    key,
    label,
    spec: s,
    training: summarize(outcome!),
    ...(w.length > 0 ? { weights: weightStats(w, bins, range) } : {}),
  });
  const withArm = arm('with-dropout', 'with dropout', withSpec, withOutcome, wWith);
  const withoutArm = arm('without-dropout', 'without dropout', withoutSpec, withoutOutcome, wWithout);
  const status = overallStatus([withOutcome!, withoutOutcome!], options.signal);
  const result: CompareResult = {
    kind: 'compare',
    ...status,
    name: spec.name,
    seed: spec.seed,
    withDropout: withArm,
    withoutDropout: withoutArm,
    table: [finalRow(withArm.label, withArm.training), finalRow(withoutArm.label, withoutArm.training)],
    notes,
  };
  const gw = withArm.training.gap;
  const gwo = withoutArm.training.gap;
  if (gw && gwo) {
    result.gapReduction = { loss: gwo.loss - gw.loss };
    if (gw.accuracy !== undefined && gwo.accuracy !== undefined)
      result.gapReduction.accuracy = gwo.accuracy - gw.accuracy;
  }
  if (withArm.weights && withoutArm.weights)
    result.evennessGain = withArm.weights.evenness - withoutArm.weights.evenness;
  await finishRun(options, result);
  return result;
}
