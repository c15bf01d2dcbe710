/**
 * The experiments' `--json` output: one object per result, with the fields every experiment starts with
 * (kind, config, name, seed, seeds, status) and each setting's final metrics and generalization gap: the
 * plain numbers are means over the seeds, and `overSeeds` has each as `{ mean, low, high, values }` (the
 * 95% t-interval and the per-seed values, in the order of `seeds`).
 */
import {
  meanRow,
  type CompareResult,
  type DatasetSweepResult,
  type ExperimentStatus,
  type FinalRow,
  type ForgotEvalResult,
  type McExperimentResult,
  type SeedStats,
  type SweepResult,
} from '../experiments';
import type { Interval, PairedDifference } from '../experiments/intervals';

/** An interval over seeds as JSON: mean, 95% interval and the per-seed values; null when absent. */
export function intervalJson(i: Interval | undefined): Record<string, unknown> | null {
  return i ? { mean: i.mean, low: i.low, high: i.high, values: i.values } : null;
}

/** A paired difference over seeds as JSON: `intervalJson` and whether it is within noise. */
export function differenceJson(d: PairedDifference | undefined): Record<string, unknown> | null {
  return d ? { ...intervalJson(d), withinNoise: d.withinNoise } : null;
}

/** A setting's final metrics over the seeds. */
function overSeedsJson(stats: SeedStats): Record<string, unknown> {
  return {
    seeds: stats.seeds,
    trainLoss: intervalJson(stats.trainLoss),
    trainAccuracy: intervalJson(stats.trainAccuracy),
    valLoss: intervalJson(stats.valLoss),
    valAccuracy: intervalJson(stats.valAccuracy),
    gapLoss: intervalJson(stats.gapLoss),
    gapAccuracy: intervalJson(stats.gapAccuracy),
    ...(stats.valLossTrainMode
      ? {
          valLossTrainMode: intervalJson(stats.valLossTrainMode),
          valAccuracyTrainMode: intervalJson(stats.valAccuracyTrainMode),
        }
      : {}),
    statuses: stats.runs.map((r) => r.status),
  };
}

/** A final-metrics row as JSON: per-run final train/val loss and accuracy, and the generalization gap. */
function runJson(
  row: FinalRow,
  status: string,
  message: string | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    label: row.label,
    ...extra,
    status,
    ...(message !== undefined ? { message } : {}),
    trainLoss: row.trainLoss ?? null,
    trainAccuracy: row.trainAccuracy ?? null,
    valLoss: row.valLoss ?? null,
    valAccuracy: row.valAccuracy ?? null,
    generalizationGap: { loss: row.gapLoss ?? null, accuracy: row.gapAccuracy ?? null },
  };
}

/** A setting over the seeds as JSON: `runJson` of the means, with `overSeeds`. */
function statsJson(label: string, stats: SeedStats): Record<string, unknown> {
  return runJson(meanRow(label, stats), stats.status, stats.message, { overSeeds: overSeedsJson(stats) });
}

/** The fields every experiment's JSON starts with. */
function resultHead(
  kind: string,
  result: { name: string; seed: number; seeds: number[]; status: ExperimentStatus; message?: string },
  configPath: string | undefined,
): Record<string, unknown> {
  return {
    kind,
    ...(configPath !== undefined ? { config: configPath } : {}),
    name: result.name,
    seed: result.seed,
    seeds: result.seeds,
    status: result.status,
    ...(result.message !== undefined ? { message: result.message } : {}),
  };
}

export function sweepJson(result: SweepResult, configPath?: string): Record<string, unknown> {
  return {
    ...resultHead('sweep', result, configPath),
    group: result.group,
    bestRate: result.best?.rate ?? null,
    indistinguishableRates: result.indistinguishable,
    test: 'paired t-test over seeds on validation loss, 95%',
    overfittingRates: result.overfitting?.rates ?? [],
    underfittingRates: result.underfitting?.rates ?? [],
    runs: result.points.map((p, i) =>
      runJson(result.table[i]!, p.stats.status, p.stats.message, {
        rate: p.rate,
        ...(p.region ? { region: p.region } : {}),
        overSeeds: overSeedsJson(p.stats),
        vsBest: differenceJson(p.vsBest),
      }),
    ),
  };
}

export function compareJson(result: CompareResult, configPath?: string): Record<string, unknown> {
  const arms = [result.withDropout, result.withoutDropout];
  return {
    ...resultHead('compare', result, configPath),
    runs: arms.map((arm, i) =>
      runJson(result.table[i]!, arm.stats.status, arm.stats.message, {
        dropout: arm.key === 'with-dropout',
        overSeeds: overSeedsJson(arm.stats),
        ...(arm.weights
          ? {
              weights: {
                evenness: arm.weights.evenness,
                std: arm.weights.std,
                maxAbs: arm.weights.maxAbs,
                kurtosis: arm.weights.kurtosis,
              },
            }
          : {}),
      }),
    ),
    gapReduction: result.gapReduction ?? null,
    gapReductionOverSeeds: result.gapReductionInterval
      ? {
          loss: differenceJson(result.gapReductionInterval.loss),
          accuracy: differenceJson(result.gapReductionInterval.accuracy),
        }
      : null,
    valLossBenefit: differenceJson(result.valLossBenefit),
    evennessGain: result.evennessGain ?? null,
    notes: result.notes,
  };
}

export function datasetSweepJson(result: DatasetSweepResult, configPath?: string): Record<string, unknown> {
  return {
    ...resultHead('dataset-sweep', result, configPath),
    bestFraction: result.bestFraction ?? null,
    stopsHelpingAt: result.stopsHelpingAt ?? null,
    points: result.points.map((p) => ({
      fraction: p.fraction,
      samples: p.samples ?? null,
      lossBenefit: p.lossBenefit ?? null,
      lossBenefitOverSeeds: differenceJson(p.lossBenefitInterval),
      accuracyBenefit: p.accuracyBenefit ?? null,
      accuracyBenefitOverSeeds: differenceJson(p.accuracyBenefitInterval),
      helps: p.helps ?? null,
      withDropout: statsJson('with dropout', p.withStats),
      withoutDropout: statsJson('without dropout', p.withoutStats),
    })),
    notes: result.notes,
  };
}

export function mcJson(result: McExperimentResult, configPath?: string): Record<string, unknown> {
  return {
    ...resultHead('mc', result, configPath),
    samples: result.samples,
    task: result.task ?? null,
    validationSize: result.validationSize ?? null,
    training: statsJson('training', result.stats),
    mcAccuracy: result.mcAccuracy ?? null,
    evalAccuracy: result.evalAccuracy ?? null,
    accuracyDelta: result.accuracyDelta ?? null,
    meanVariance: result.meanVariance ?? null,
    overSeeds: {
      mcAccuracy: intervalJson(result.intervals.mcAccuracy),
      evalAccuracy: intervalJson(result.intervals.evalAccuracy),
      accuracyDelta: differenceJson(result.intervals.accuracyDelta),
      meanVariance: intervalJson(result.intervals.meanVariance),
    },
    leastSure: result.leastSure,
    perSample: result.perSample ?? null,
    notes: result.notes,
  };
}

export function forgotEvalJson(result: ForgotEvalResult, configPath?: string): Record<string, unknown> {
  return {
    ...resultHead('forgot-eval', result, configPath),
    training: statsJson('training', result.stats),
    evalMode: result.evalMode ?? null,
    trainMode: result.trainMode ?? null,
    accuracyDrop: result.accuracyDrop ?? null,
    dropOverSeeds: result.drop
      ? { loss: differenceJson(result.drop.loss), accuracy: differenceJson(result.drop.accuracy) }
      : null,
    mcVariance: result.mcVariance ?? null,
    passes: result.passes,
    passAccuracies: result.passAccuracies,
    passAccuracy: result.passAccuracy ?? null,
    flipRate: result.flipRate ?? null,
    unstableFraction: result.unstableFraction ?? null,
    predictionStd: result.predictionStd ?? null,
    curves: result.curves,
    notes: result.notes,
  };
}
