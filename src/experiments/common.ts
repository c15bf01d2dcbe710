/**
 * What every experiment shares: its options (launcher, parallelism, cancellation, progress, persistence),
 * and the harness that trains a list of variants in parallel and records each as a member of the run.
 */
import type { Metrics, StartOptions } from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import type { FinalMetrics, RunEpoch } from '../runs/format';
import type { RunWriter } from '../runs/store';
import { generalizationGap, type Gap } from '../runs/metrics';
import { DEFAULT_SEEDS, interval, seedList, type Interval } from './intervals';
import {
  defaultParallelism,
  runPool,
  trainOnce,
  workerLauncher,
  type Launcher,
  type TrainOutcome,
  type TrainRequest,
} from './engineRun';

export interface ExperimentProgress {
  /** Epochs finished over all trainings, out of `totalEpochs`. */
  completedEpochs: number;
  totalEpochs: number;
  /** completedEpochs / totalEpochs, in [0, 1]. */
  fraction: number;
  /** Trainings finished, out of `totalRuns`. */
  completedRuns: number;
  totalRuns: number;
  /** The training that just reported, e.g. "rate 0.3". */
  label?: string;
  message: string;
}

export interface ExperimentOptions {
  /** The CSV file's text when the spec's data is a CSV file. */
  csvText?: string;
  /**
   * Or its path: each engine worker streams the file itself (the host holds no text). Experiments that need
   * the rows on the host (a dataset-size sweep's subsets, a validation split drawn or re-evaluated) read it.
   */
  csvPath?: string;
  /** How trainings are started. Default: real engine workers found under `root`. */
  launcher?: Launcher;
  /** Where the engine worker is found (the extension's or the repository's root). Default: process.cwd(). */
  root?: string;
  /** Trainings at once. Default: os.availableParallelism(). */
  maxParallel?: number;
  /** Aborting stops every training; the result then has status `stopped`. */
  signal?: AbortSignal;
  onProgress?(progress: ExperimentProgress): void;
  /** Saves the experiment as it progresses (members, epochs, final weights) and its result at the end. */
  writer?: RunWriter;
  /** Overrides the spec's epochs for every training (quick looks, tests). */
  epochs?: number;
  /**
   * Seeds each point trains on (default 5): the config's seed and the ones after it. Every setting of the
   * experiment trains on the same seeds, so they can be compared seed by seed.
   */
  seeds?: number;
}

export type ExperimentStatus = 'completed' | 'stopped' | 'failed';

/** One training's outcome as experiments report it (weights summarized elsewhere). */
export interface TrainingSummary {
  status: ExperimentStatus;
  message?: string;
  epochs: RunEpoch[];
  final?: FinalMetrics;
  gap?: Gap;
}

/** A row of a final-metrics table. */
export interface FinalRow {
  label: string;
  trainLoss?: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /** validation loss - training loss */
  gapLoss?: number;
  /** training accuracy - validation accuracy */
  gapAccuracy?: number;
}

export function summarize(outcome: TrainOutcome): TrainingSummary {
  const final = outcome.final ?? lastEpochFinal(outcome.epochs);
  return {
    status: outcome.status,
    ...(outcome.message !== undefined ? { message: outcome.message } : {}),
    epochs: outcome.epochs,
    ...(final ? { final, gap: generalizationGap(final) } : {}),
  };
}

function lastEpochFinal(epochs: RunEpoch[]): FinalMetrics | undefined {
  const last = epochs[epochs.length - 1];
  return last
    ? {
        train: last.train,
        validation: last.validation,
        ...(last.validationTrainMode ? { validationTrainMode: last.validationTrainMode } : {}),
      }
    : undefined;
}

export function finalRow(label: string, summary: TrainingSummary): FinalRow {
  const f = summary.final;
  const row: FinalRow = { label };
  if (!f) return row;
  const put = (key: keyof FinalRow, v: number | undefined) => {
    if (v !== undefined) (row as unknown as Record<string, number>)[key] = v;
  };
  put('trainLoss', f.train.loss);
  put('trainAccuracy', f.train.accuracy);
  put('valLoss', f.validation.loss);
  put('valAccuracy', f.validation.accuracy);
  put('gapLoss', summary.gap?.loss);
  put('gapAccuracy', summary.gap?.accuracy);
  return row;
}

/** One setting's trainings over the seeds, and its final metrics as means with 95% intervals. */
export interface SeedStats {
  /** The seeds, in the order of the per-seed values. */
  seeds: number[];
  /** Per seed, in the order of `seeds`. */
  runs: TrainingSummary[];
  /** Worst status over the seeds (failed, then stopped). */
  status: ExperimentStatus;
  message?: string;
  trainLoss?: Interval;
  trainAccuracy?: Interval;
  valLoss?: Interval;
  valAccuracy?: Interval;
  gapLoss?: Interval;
  gapAccuracy?: Interval;
  /** Validation in train mode (dropout on), when the engine measured it. */
  valLossTrainMode?: Interval;
  valAccuracyTrainMode?: Interval;
}

/** Aggregates one setting's per-seed trainings (values of a seed without final metrics are left out). */
export function seedStats(seeds: readonly number[], runs: readonly TrainingSummary[]): SeedStats {
  const failed = runs.find((r) => r.status === 'failed');
  const stopped = runs.find((r) => r.status === 'stopped');
  const worst = failed ?? stopped;
  const stats: SeedStats = {
    seeds: [...seeds],
    runs: [...runs],
    status: worst?.status ?? 'completed',
    ...(worst?.message !== undefined ? { message: worst.message } : {}),
  };
  const put = (key: keyof SeedStats, pick: (r: TrainingSummary) => number | undefined) => {
    const i = interval(runs.map(pick));
    if (i) (stats as unknown as Record<string, Interval>)[key] = i;
  };
  put('trainLoss', (r) => r.final?.train.loss);
  put('trainAccuracy', (r) => r.final?.train.accuracy);
  put('valLoss', (r) => r.final?.validation.loss);
  put('valAccuracy', (r) => r.final?.validation.accuracy);
  put('gapLoss', (r) => r.gap?.loss);
  put('gapAccuracy', (r) => r.gap?.accuracy);
  put('valLossTrainMode', (r) => r.final?.validationTrainMode?.loss);
  put('valAccuracyTrainMode', (r) => r.final?.validationTrainMode?.accuracy);
  return stats;
}

/** A final-metrics row of the means over seeds. */
export function meanRow(label: string, stats: SeedStats): FinalRow {
  const row: FinalRow = { label };
  const put = (key: keyof FinalRow, v: Interval | undefined) => {
    if (v !== undefined) (row as unknown as Record<string, number>)[key] = v.mean;
  };
  put('trainLoss', stats.trainLoss);
  put('trainAccuracy', stats.trainAccuracy);
  put('valLoss', stats.valLoss);
  put('valAccuracy', stats.valAccuracy);
  put('gapLoss', stats.gapLoss);
  put('gapAccuracy', stats.gapAccuracy);
  return row;
}

/** The seeds an experiment runs on, from its options. */
export function experimentSeeds(spec: ModelSpec, options: ExperimentOptions): number[] {
  return seedList(spec.seed, options.seeds ?? DEFAULT_SEEDS);
}

/**
 * Every plan once per seed, seed-major inside a plan: plan 0 seed 0, plan 0 seed 1, ... With more than one
 * seed the keys and labels name the seed (`rate=0.3/seed=43`).
 */
export function perSeed(plans: readonly Plan[], seeds: readonly number[]): Plan[] {
  if (seeds.length === 1 && seeds[0] === plans[0]?.spec.seed) return [...plans];
  return plans.flatMap((p) =>
    seeds.map((seed) => ({
      ...p,
      key: `${p.key}/seed=${seed}`,
      label: `${p.label}, seed ${seed}`,
      spec: { ...p.spec, seed },
    })),
  );
}

/** Splits `perSeed`'s outcomes back per plan: `outcomes[plan][seed]`. */
export function bySeed<T>(outcomes: readonly T[], planCount: number, seedCount: number): T[][] {
  return Array.from({ length: planCount }, (_, i) => outcomes.slice(i * seedCount, (i + 1) * seedCount));
}

/** A variant to train. */
export interface Plan {
  key: string;
  label: string;
  spec: ModelSpec;
  csvText?: string;
  csvPath?: string;
  options?: StartOptions;
  afterTraining?: TrainRequest['afterTraining'];
}

/** The CSV of the options as a plan or a request carries it: its text, else its path, else nothing. */
export function csvOf(options: {
  csvText?: string;
  csvPath?: string;
}): { csvText: string } | { csvPath: string } | object {
  if (options.csvText !== undefined) return { csvText: options.csvText };
  if (options.csvPath !== undefined) return { csvPath: options.csvPath };
  return {};
}

export function applyEpochs(spec: ModelSpec, epochs: number | undefined): ModelSpec {
  if (epochs === undefined) return spec;
  return { ...spec, training: { ...spec.training, epochs } };
}

export function launcherOf(options: ExperimentOptions): Launcher {
  return options.launcher ?? workerLauncher(options.root ?? process.cwd());
}

/**
 * Trains every plan (at most `maxParallel` at once), reporting progress and saving each as a member of the
 * run (or, with `asRun`, a single plan as the run's own training).
 */
export async function trainPlans(
  plans: readonly Plan[],
  options: ExperimentOptions,
  asRun = false,
): Promise<TrainOutcome[]> {
  const launcher = launcherOf(options);
  const writer = options.writer;
  const totalEpochs = plans.reduce((n, p) => n + p.spec.training.epochs, 0);
  let completedEpochs = 0;
  let completedRuns = 0;
  const report = (label: string | undefined, message: string) =>
    options.onProgress?.({
      completedEpochs,
      totalEpochs,
      fraction: totalEpochs > 0 ? Math.min(1, completedEpochs / totalEpochs) : 1,
      completedRuns,
      totalRuns: plans.length,
      ...(label !== undefined ? { label } : {}),
      message,
    });
  if (writer && !asRun) for (const p of plans) await writer.addMember({ key: p.key, label: p.label, spec: p.spec });
  report(undefined, `Starting ${plans.length} training${plans.length === 1 ? '' : 's'}`);
  const tasks = plans.map((plan) => async (): Promise<TrainOutcome> => {
    const memberKey = asRun ? undefined : plan.key;
    if (options.signal?.aborted) {
      const outcome: TrainOutcome = { status: 'stopped', message: 'Stopped before it started.', epochs: [] };
      await writer?.endTraining({ status: 'stopped', message: outcome.message! }, memberKey);
      return outcome;
    }
    let seen = 0;
    const outcome = await trainOnce(launcher, {
      spec: plan.spec,
      ...csvOf(plan),
      ...(plan.options ? { options: plan.options } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(plan.afterTraining ? { afterTraining: plan.afterTraining } : {}),
      onEpoch: (epoch) => {
        seen++;
        completedEpochs++;
        void writer?.addEpoch(epoch, memberKey);
        report(
          plan.label,
          `${plan.label}: epoch ${epoch.epoch}/${plan.spec.training.epochs} val loss ${fmt(epoch.validation.loss)}${epoch.validation.accuracy !== undefined ? ` acc ${fmt(epoch.validation.accuracy)}` : ''}`,
        );
      },
    });
    completedEpochs += Math.max(0, plan.spec.training.epochs - seen); // a stopped or failed run counts as done
    completedRuns++;
    await writer?.endTraining(
      {
        status: outcome.status,
        ...(outcome.message !== undefined ? { message: outcome.message } : {}),
        ...(outcome.final ? { final: outcome.final } : {}),
        ...(outcome.weights ? { weights: outcome.weights } : {}),
      },
      memberKey,
    );
    report(plan.label, `${plan.label}: ${outcome.status}${outcome.message ? ` (${outcome.message})` : ''}`);
    return outcome;
  });
  return runPool(tasks, options.maxParallel ?? defaultParallelism());
}

/** The experiment's overall status from its trainings': stopped if aborted, failed if any failed. */
export function overallStatus(
  outcomes: readonly TrainOutcome[],
  signal?: AbortSignal,
): { status: ExperimentStatus; message?: string } {
  if (signal?.aborted || outcomes.some((o) => o.status === 'stopped'))
    return { status: 'stopped', message: 'Stopped.' };
  const failed = outcomes.find((o) => o.status === 'failed');
  if (failed) return { status: 'failed', message: failed.message ?? 'A training failed.' };
  return { status: 'completed' };
}

/** Saves the result as the run's summary and ends the run. */
export async function finishRun(
  options: ExperimentOptions,
  result: { status: ExperimentStatus; message?: string },
): Promise<void> {
  if (!options.writer) return;
  await options.writer.finish(result.status, {
    ...(result.message !== undefined ? { message: result.message } : {}),
    summary: withoutSeedEpochs(result),
  });
  await options.writer.flush();
}

/**
 * The result as the run's summary: each seed's per-epoch metrics (`SeedStats.runs[i].epochs`) are left out,
 * since the run's members hold them already; everything else is kept.
 */
export function withoutSeedEpochs<T>(result: T): T {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!value || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
    const out: Record<string, unknown> = {};
    const seedStats = 'seeds' in value && 'runs' in value && Array.isArray((value as { runs: unknown }).runs);
    for (const [key, v] of Object.entries(value))
      out[key] =
        seedStats && key === 'runs'
          ? (v as Record<string, unknown>[]).map(({ epochs: _epochs, ...rest }) => walk(rest))
          : walk(v);
    return out;
  };
  return walk(result) as T;
}

export function fmt(v: number | undefined, digits = 4): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

export type { Metrics };
