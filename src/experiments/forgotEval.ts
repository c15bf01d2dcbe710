/**
 * "Forgot eval()": the same trained model evaluated in eval mode (correct) and in train mode (dropout still
 * on, the classic bug). Reports the accuracy each would show, the per-epoch curves of both, and how much the
 * train-mode predictions vary from pass to pass: single stochastic passes over the validation data, the
 * fraction of predictions that flip between consecutive passes, and the spread of the accuracies they report.
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
import type { McResultEvent } from './engineRun';
import { forward, forwardSupported, seededRandom, validationData } from './forward';
import { argmax } from './stats';
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
  /** Single train-mode passes over the validation data (on the host, from the final weights); 0 when unavailable. */
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
  let mc: McResultEvent | undefined;
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
          afterTraining: async (model: Parameters<NonNullable<typeof plan.afterTraining>>[0]) => {
            mc = await model.mcInference(passes);
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
  if (mc) {
    const v = Array.from(mc.variance);
    result.mcVariance = v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0;
  }
  // Single passes, each what one train-mode evaluation would compute: on the host, from the final weights,
  // over the same validation split the engine used.
  if (outcome!.weights && forwardSupported(base, outcome!.weights)) {
    const data = validationData(base, options);
    if (data) {
      const random = seededRandom(base.seed ^ 0xe7a1);
      const predictions: number[][] = [];
      for (let p = 0; p < passes; p++)
        predictions.push(predictAll(base, outcome!.weights, data.x, data.inputDim, true, random));
      result.passes = passes;
      Object.assign(result, variability(predictions, data.classes > 0 ? data.y : undefined));
    } else notes.push('Pass-to-pass flips: the validation data could not be rebuilt on the host.');
  } else if (outcome!.weights)
    notes.push(
      'Pass-to-pass flips: the model has layers the host cannot evaluate (batch norm); see the Monte Carlo variance.',
    );
  await finishRun(options, result);
  return result;
}

/** One pass over every row of `x`: the predicted class (classification) or the first output (regression). */
export function predictAll(
  spec: ModelSpec,
  weights: Parameters<typeof forward>[1],
  x: Float32Array,
  inputDim: number,
  stochastic: boolean,
  random: () => number,
): number[] {
  const out: number[] = [];
  const n = inputDim > 0 ? x.length / inputDim : 0;
  for (let i = 0; i < n; i++) {
    const y = forward(spec, weights, x.subarray(i * inputDim, (i + 1) * inputDim), stochastic, random);
    out.push(spec.training.loss === 'cross-entropy' ? argmax(y) : y[0]!);
  }
  return out;
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
