/**
 * Monte Carlo dropout uncertainty: train, then N stochastic passes over the validation data with dropout
 * on. Per sample: the predictive mean (of the predicted class's probability) and its variance; the
 * accuracy of the MC mean against the deterministic eval pass; the samples the model is least sure of; and
 * for 2-D inputs an uncertainty map over the input plane (Monte Carlo passes over a grid). Every pass runs in
 * the engine, on the trained model its finished session holds.
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
import { interval, paired, type Interval, type PairedDifference } from './intervals';
import type { BoundaryEvent, PredictionEvent, TrainedModel } from './engineRun';
import { mcStats, meanVarianceOf } from './predictionStats';
import { validationData } from './validationSplit';
import { hasDropout } from './variants';

export interface McSampleStat {
  /** Index in the validation split. */
  index: number;
  /** Predicted class of the MC mean (classification); the mean prediction (regression). */
  predicted: number;
  /** Mean over passes of the predicted class's probability (classification) or of the prediction. */
  mean: number;
  variance: number;
}

export interface UncertaintyMap {
  resolution: number;
  /** [xMin, xMax, yMin, yMax] */
  extent: [number, number, number, number];
  /** Row-major from yMin: the MC mean's predicted class per cell. */
  classes: number[];
  /** The MC mean's probability of that class. */
  confidence: number[];
  /** Variance across passes of that probability: the uncertainty. */
  variance: number[];
  passes: number;
}

export interface McExperimentResult {
  kind: 'mc';
  status: ExperimentStatus;
  message?: string;
  name: string;
  seed: number;
  samples: number;
  /** Every seed the model trained on (the first is `seed`); per-sample figures are the first seed's. */
  seeds: number[];
  /** The first seed's training. */
  training: TrainingSummary;
  /** The trainings over the seeds: final metrics as means with 95% intervals. */
  stats: SeedStats;
  /** Over the seeds: the MC mean's accuracy, the eval pass's, their per-seed difference, the mean variance. */
  intervals: {
    mcAccuracy?: Interval;
    evalAccuracy?: Interval;
    accuracyDelta?: PairedDifference;
    meanVariance?: Interval;
  };
  task?: 'classification' | 'regression';
  validationSize?: number;
  /** Per validation sample, in order (first seed). */
  perSample?: { mean: number[]; variance: number[]; predicted: number[] };
  /** Means over the seeds. */
  mcAccuracy?: number;
  evalAccuracy?: number;
  /** mcAccuracy - evalAccuracy */
  accuracyDelta?: number;
  meanVariance?: number;
  /** Highest variance first (first seed). */
  leastSure: McSampleStat[];
  /** For 2-D inputs: the validation samples' coordinates and labels, aligned with `perSample`. */
  points?: { x: number[]; y: number[]; label: number[] };
  /** For 2-D inputs (first seed). */
  map?: UncertaintyMap;
  /** The deterministic (eval-mode) decision boundary the engine sent last, for 2-D inputs. */
  boundary?: { resolution: number; extent: [number, number, number, number]; classes: number[]; confidence: number[] };
  notes: string[];
}

export interface McOptions extends ExperimentOptions {
  /** Stochastic passes. Default: the config's `evaluation.mcSamples`, else 30. */
  samples?: number;
  /** How many least-sure samples to list (default 10). */
  leastSure?: number;
  /** Grid side of the uncertainty map (default 32); 0: no map. */
  mapResolution?: number;
}

/** One seed's answers from the engine: the Monte Carlo passes and the eval pass's accuracy. */
interface SeedPasses {
  mc: PredictionEvent;
  evalAccuracy?: number;
}

export async function runMcExperiment(spec: ModelSpec, options: McOptions = {}): Promise<McExperimentResult> {
  const base = applyEpochs(spec, options.epochs);
  const samples = Math.max(2, Math.round(options.samples ?? spec.evaluation.mcSamples ?? 30));
  const notes: string[] = [];
  if (!hasDropout(base)) notes.push('The model has no dropout: every pass is the same, the variance is 0.');
  const twoD = inputDimOf(base) === 2;
  const seeds = experimentSeeds(spec, options);
  const resolution = options.mapResolution ?? 32;
  const events: (SeedPasses | undefined)[] = seeds.map(() => undefined);
  let map: UncertaintyMap | undefined;
  const plans = perSeed(
    [
      {
        key: 'mc',
        label: 'training',
        spec: base,
        ...csvOf(options),
        ...(twoD ? { options: { boundaryEvery: base.training.epochs } } : {}),
      },
    ],
    seeds,
  ).map((plan, i) => ({
    ...plan,
    afterTraining: async (model: TrainedModel) => {
      const mc = await model.predict({ passes: samples, mode: 'mc' });
      const evalPass = await model.predict({ passes: 1, mode: 'eval' });
      events[i] = { mc, ...(evalPass.accuracy !== undefined ? { evalAccuracy: evalPass.accuracy } : {}) };
      if (i === 0 && model.ready.inputDim === 2 && resolution > 0) {
        const extent = model.boundary?.extent ?? ([-3, 3, -3, 3] as [number, number, number, number]);
        map = await uncertaintyMap(model, plan.spec.seed, extent, resolution, Math.min(samples, 50));
      }
    },
  }));
  const outcomes = await trainPlans(plans, options, plans.length === 1);
  const outcome = outcomes[0];
  const mc = events[0]?.mc;
  const stats = seedStats(seeds, outcomes.map(summarize));
  const training = stats.runs[0]!;
  const status = overallStatus(outcomes, options.signal);
  const mcAcc = events.map((e) => e?.mc.accuracy);
  const evalAcc = events.map((e) => e?.evalAccuracy);
  const meanVar = events.map((e) => (e ? meanVarianceOf(e.mc) : undefined));
  const intervals: McExperimentResult['intervals'] = {};
  const put = <K extends keyof McExperimentResult['intervals']>(
    key: K,
    value: McExperimentResult['intervals'][K] | undefined,
  ) => {
    if (value) intervals[key] = value;
  };
  put('mcAccuracy', interval(mcAcc));
  put('evalAccuracy', interval(evalAcc));
  put('accuracyDelta', paired(mcAcc, evalAcc));
  put('meanVariance', interval(meanVar));
  const result: McExperimentResult = {
    kind: 'mc',
    ...status,
    name: spec.name,
    seed: spec.seed,
    samples,
    seeds,
    training,
    stats,
    intervals,
    leastSure: [],
    notes,
  };
  if (outcome!.ready) {
    result.task = outcome!.ready.task;
    result.validationSize = outcome!.ready.validationSize;
  }
  const afterError = outcomes.find((o) => o.afterTrainingError)?.afterTrainingError;
  if (afterError) {
    notes.push(`Monte Carlo passes: ${afterError}`);
    if (result.status === 'completed') {
      result.status = 'failed';
      result.message = `Monte Carlo inference failed: ${afterError}`;
    }
  }
  if (intervals.mcAccuracy) result.mcAccuracy = intervals.mcAccuracy.mean;
  if (intervals.evalAccuracy) result.evalAccuracy = intervals.evalAccuracy.mean;
  if (intervals.accuracyDelta) result.accuracyDelta = intervals.accuracyDelta.mean;
  if (intervals.meanVariance) result.meanVariance = intervals.meanVariance.mean;
  if (mc) {
    const { perSample } = mcStats(mc);
    result.perSample = perSample;
    const v = perSample.variance;
    result.leastSure = v
      .map((variance, index) => ({
        index,
        variance,
        mean: perSample.mean[index]!,
        predicted: perSample.predicted[index]!,
      }))
      .sort((a, b) => b.variance - a.variance || a.mean - b.mean)
      .slice(0, options.leastSure ?? 10);
  }
  const data = inputDimOf(base) === 2 ? validationData(base, options) : undefined;
  if (data && data.inputDim === 2) {
    const points = { x: [] as number[], y: [] as number[], label: [] as number[] };
    for (let i = 0; i < data.n; i++) {
      points.x.push(data.x[2 * i]!);
      points.y.push(data.x[2 * i + 1]!);
      points.label.push(data.y[i]!);
    }
    result.points = points;
  }
  if (outcome!.boundary) result.boundary = boundaryJson(outcome!.boundary);
  if (map) result.map = map;
  await finishRun(options, result);
  return result;
}

function inputDimOf(spec: ModelSpec): number | undefined {
  return spec.data.source === 'generator' ? (spec.model.input ?? 2) : spec.model.input;
}

function boundaryJson(b: BoundaryEvent): NonNullable<McExperimentResult['boundary']> {
  return {
    resolution: b.resolution,
    extent: b.extent,
    classes: Array.from(b.classes),
    confidence: Array.from(b.confidence),
  };
}

/** Monte Carlo passes over a grid covering `extent`, in the engine, on the trained model. */
export async function uncertaintyMap(
  model: TrainedModel,
  seed: number,
  extent: [number, number, number, number],
  resolution: number,
  passes: number,
): Promise<UncertaintyMap> {
  const [x0, x1, y0, y1] = extent;
  const grid = new Float32Array(2 * resolution * resolution);
  for (let r = 0; r < resolution; r++)
    for (let c = 0; c < resolution; c++) {
      const i = r * resolution + c;
      grid[2 * i] = x0 + ((c + 0.5) / resolution) * (x1 - x0);
      grid[2 * i + 1] = y0 + ((r + 0.5) / resolution) * (y1 - y0);
    }
  const event = await model.predict({ passes, mode: 'mc', inputs: grid, seed: (seed ^ 0x5eed) >>> 0 });
  const { classes, perSample } = mcStats(event);
  return {
    resolution,
    extent,
    classes: classes > 1 ? perSample.predicted : perSample.predicted.map(() => 0),
    confidence: perSample.mean,
    variance: perSample.variance,
    passes,
  };
}
