/**
 * "Forgot eval()": the same trained model evaluated in eval mode (correct) and in train mode (dropout still
 * on, the classic bug). Reports the accuracy each would show, the per-epoch curves of both, and how much the
 * train-mode predictions vary from pass to pass: single stochastic passes over the validation data, the
 * fraction of predictions that flip between consecutive passes, and the spread of the accuracies they report.
 * The passes run in the engine, on the trained model its finished session holds.
 */
import type { ModelSpec } from '../protocol/modelSpec';
import {
  csvOf,
  applyEpochs,
  experimentSeeds,
  finishRun,
  perSeed,
  seedStats,
  overallStatus,
  summarize,
  trainPlans,
  type ExperimentOptions,
  type ExperimentStatus,
  type SeedStats,
  type TrainingSummary,
} from './common';
import { paired, type PairedDifference } from './intervals';
import type { PredictionEvent, TrainedModel } from './engineRun';
import { meanVarianceOf } from './predictionStats';
import { argmax } from './stats';
import { validationData } from './validationSplit';
import { hasDropout } from './variants';

export interface ForgotEvalResult {
  kind: 'forgot-eval';
  status: ExperimentStatus;
  message?: string;
  name: string;
  seed: number;
  /** Every seed the model trained on (the first is `seed`); curves and single passes are the first seed's. */
  seeds: number[];
  /** The first seed's training. */
  training: TrainingSummary;
  /** The trainings over the seeds: final metrics (eval and train mode) as means with 95% intervals. */
  stats: SeedStats;
  /** Final validation in eval mode, mean over seeds: what a correct loop reports. */
  evalMode?: { loss: number; accuracy?: number };
  /** Final validation in train mode, mean over seeds: what forgetting `model.eval()` reports. */
  trainMode?: { loss: number; accuracy?: number };
  /** evalMode.accuracy - trainMode.accuracy (classification), mean over seeds of the per-seed drops. */
  accuracyDrop?: number;
  /** The per-seed drops with their 95% interval (loss: train-mode loss - eval loss); `withinNoise` when it contains 0. */
  drop?: { loss?: PairedDifference; accuracy?: PairedDifference };
  /** Per epoch (first seed): validation in both modes, for overlaid curves. */
  curves: {
    epoch: number;
    evalLoss: number;
    trainModeLoss?: number;
    evalAccuracy?: number;
    trainModeAccuracy?: number;
  }[];
  /** Mean over validation samples of the variance of the predicted class's probability across Monte Carlo passes (engine, first seed). */
  mcVariance?: number;
  /** Single train-mode passes over the validation data (engine, first seed); 0 when unavailable. */
  passes: number;
  /** The accuracy each pass would report (classification). */
  passAccuracies: number[];
  passAccuracy?: { min: number; max: number; mean: number; std: number };
  /** Mean fraction of validation predictions that change between consecutive passes (classification). */
  flipRate?: number;
  /** Fraction of validation samples whose prediction is not the same in every pass (classification). */
  unstableFraction?: number;
  /** Regression: mean over samples of the standard deviation of the prediction across passes. */
  predictionStd?: number;
  notes: string[];
}

export interface ForgotEvalOptions extends ExperimentOptions {
  /** Stochastic passes (default 10, at least 2). */
  passes?: number;
}

export async function runForgotEvalExperiment(
  spec: ModelSpec,
  options: ForgotEvalOptions = {},
): Promise<ForgotEvalResult> {
  const base = applyEpochs(spec, options.epochs);
  const passes = Math.max(2, Math.round(options.passes ?? 10));
  const notes: string[] = [];
  if (!hasDropout(base)) notes.push('The model has no dropout: train and eval modes give the same predictions.');
  const seeds = experimentSeeds(spec, options);
  let mc: PredictionEvent | undefined;
  let single: PredictionEvent | undefined;
  const plans = perSeed(
    [
      {
        key: 'forgot-eval',
        label: 'training',
        spec: base,
        ...csvOf(options),
      },
    ],
    seeds,
  ).map((plan, i) =>
    i === 0
      ? {
          ...plan,
          afterTraining: async (model: TrainedModel) => {
            mc = await model.predict({ passes, mode: 'mc' });
            // What each evaluation would compute with model.eval() forgotten: every layer in train mode.
            single = await model.predict({ passes, mode: 'train', output: 'passes' });
          },
        }
      : plan,
  );
  const outcomes = await trainPlans(plans, options, plans.length === 1);
  const outcome = outcomes[0];
  const stats = seedStats(seeds, outcomes.map(summarize));
  const training = stats.runs[0]!;
  const result: ForgotEvalResult = {
    kind: 'forgot-eval',
    ...overallStatus(outcomes, options.signal),
    name: spec.name,
    seed: spec.seed,
    seeds,
    training,
    stats,
    curves: training.epochs.map((e) => ({
      epoch: e.epoch,
      evalLoss: e.validation.loss,
      ...(e.validationTrainMode ? { trainModeLoss: e.validationTrainMode.loss } : {}),
      ...(e.validation.accuracy !== undefined ? { evalAccuracy: e.validation.accuracy } : {}),
      ...(e.validationTrainMode?.accuracy !== undefined ? { trainModeAccuracy: e.validationTrainMode.accuracy } : {}),
    })),
    passes: 0,
    passAccuracies: [],
    notes,
  };
  if (stats.valLoss)
    result.evalMode = {
      loss: stats.valLoss.mean,
      ...(stats.valAccuracy ? { accuracy: stats.valAccuracy.mean } : {}),
    };
  if (stats.valLossTrainMode)
    result.trainMode = {
      loss: stats.valLossTrainMode.mean,
      ...(stats.valAccuracyTrainMode ? { accuracy: stats.valAccuracyTrainMode.mean } : {}),
    };
  const per = (pick: (t: TrainingSummary) => number | undefined) => stats.runs.map(pick);
  const lossDrop = paired(
    per((t) => t.final?.validationTrainMode?.loss),
    per((t) => t.final?.validation.loss),
  );
  const accuracyDrop = paired(
    per((t) => t.final?.validation.accuracy),
    per((t) => t.final?.validationTrainMode?.accuracy),
  );
  if (lossDrop || accuracyDrop)
    result.drop = { ...(lossDrop ? { loss: lossDrop } : {}), ...(accuracyDrop ? { accuracy: accuracyDrop } : {}) };
  if (accuracyDrop) result.accuracyDrop = accuracyDrop.mean;
  if (outcome!.afterTrainingError) notes.push(`Monte Carlo passes: ${outcome!.afterTrainingError}`);
  if (mc) result.mcVariance = meanVarianceOf(mc);
  if (single?.perPass) {
    const data = single.accuracy !== undefined ? validationData(base, options) : undefined;
    if (single.accuracy === undefined || data) {
      result.passes = passes;
      Object.assign(result, variability(passPredictions(single), data?.y));
    } else notes.push('Pass-to-pass flips: the validation labels could not be rebuilt on the host.');
  }
  await finishRun(options, result);
  return result;
}

/** Each pass's prediction per example: the most probable class (classification) or the first output (regression). */
export function passPredictions(event: PredictionEvent): number[][] {
  const { passes, examples: n, width } = event;
  const perPass = event.perPass!;
  const classification = event.accuracy !== undefined;
  return Array.from({ length: passes }, (_, t) =>
    Array.from({ length: n }, (_, i) =>
      classification ? argmax(perPass, (t * n + i) * width, width) : perPass[(t * n + i) * width]!,
    ),
  );
}

/**
 * Pass-to-pass variability of single stochastic passes (`predictions[pass][sample]`). With `labels`
 * (classification): each pass's accuracy, flips between consecutive passes, samples that ever change.
 * Without: the mean standard deviation of each sample's prediction (regression).
 */
export function variability(
  predictions: readonly (readonly number[])[],
  labels?: ArrayLike<number>,
): Pick<ForgotEvalResult, 'passAccuracies' | 'passAccuracy' | 'flipRate' | 'unstableFraction' | 'predictionStd'> {
  const out: ReturnType<typeof variability> = { passAccuracies: [] };
  const passes = predictions.length;
  const n = predictions[0]?.length ?? 0;
  if (passes < 2 || n === 0) return out;
  if (labels) {
    out.passAccuracies = predictions.map((p) => p.reduce((c, v, i) => c + (v === labels[i] ? 1 : 0), 0) / n);
    const a = out.passAccuracies;
    const mean = a.reduce((x, y) => x + y, 0) / a.length;
    out.passAccuracy = {
      min: Math.min(...a),
      max: Math.max(...a),
      mean,
      std: Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length),
    };
    let flips = 0;
    for (let p = 1; p < passes; p++) {
      let changed = 0;
      for (let i = 0; i < n; i++) if (predictions[p]![i] !== predictions[p - 1]![i]) changed++;
      flips += changed / n;
    }
    out.flipRate = flips / (passes - 1);
    let unstable = 0;
    for (let i = 0; i < n; i++) if (predictions.some((p) => p[i] !== predictions[0]![i])) unstable++;
    out.unstableFraction = unstable / n;
  } else {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const values = predictions.map((p) => p[i]!);
      const mean = values.reduce((x, y) => x + y, 0) / values.length;
      total += Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length);
    }
    out.predictionStd = total / n;
  }
  return out;
}
