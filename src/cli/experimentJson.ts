/**
 * The experiments' `--json` output: one object per result, with the fields every experiment starts with
 * (kind, config, name, seed, status) and each training's final metrics and generalization gap.
 */
import {
  finalRow,
  type CompareResult,
  type DatasetSweepResult,
  type ExperimentStatus,
  type FinalRow,
  type ForgotEvalResult,
  type McExperimentResult,
  type SweepResult,
  type TrainingSummary,
} from '../experiments';

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

/** A training summary as JSON (see `runJson`). */
function trainingJson(
  label: string,
  training: TrainingSummary,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return runJson(finalRow(label, training), training.status, training.message, extra);
}

/** The fields every experiment's JSON starts with. */
function resultHead(
  kind: string,
  result: { name: string; seed: number; status: ExperimentStatus; message?: string },
  configPath: string | undefined,
): Record<string, unknown> {
  return {
    kind,
    ...(configPath !== undefined ? { config: configPath } : {}),
    name: result.name,
    seed: result.seed,
    status: result.status,
    ...(result.message !== undefined ? { message: result.message } : {}),
  };
}

export function sweepJson(result: SweepResult, configPath?: string): Record<string, unknown> {
  return {
    ...resultHead('sweep', result, configPath),
    group: result.group,
    bestRate: result.best?.rate ?? null,
    overfittingRates: result.overfitting?.rates ?? [],
    underfittingRates: result.underfitting?.rates ?? [],
    runs: result.points.map((p, i) =>
      runJson(result.table[i]!, p.training.status, p.training.message, {
        rate: p.rate,
        ...(p.region ? { region: p.region } : {}),
      }),
    ),
  };
}

export function compareJson(result: CompareResult, configPath?: string): Record<string, unknown> {
  const arms = [result.withDropout, result.withoutDropout];
  return {
    ...resultHead('compare', result, configPath),
    runs: arms.map((arm, i) =>
      runJson(result.table[i]!, arm.training.status, arm.training.message, {
        dropout: arm.key === 'with-dropout',
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
      accuracyBenefit: p.accuracyBenefit ?? null,
      helps: p.helps ?? null,
      withDropout: trainingJson('with dropout', p.withDropout),
      withoutDropout: trainingJson('without dropout', p.withoutDropout),
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
    training: trainingJson('training', result.training),
    mcAccuracy: result.mcAccuracy ?? null,
    evalAccuracy: result.evalAccuracy ?? null,
    accuracyDelta: result.accuracyDelta ?? null,
    meanVariance: result.meanVariance ?? null,
    leastSure: result.leastSure,
    perSample: result.perSample ?? null,
    notes: result.notes,
  };
}

export function forgotEvalJson(result: ForgotEvalResult, configPath?: string): Record<string, unknown> {
  return {
    ...resultHead('forgot-eval', result, configPath),
    training: trainingJson('training', result.training),
    evalMode: result.evalMode ?? null,
    trainMode: result.trainMode ?? null,
    accuracyDrop: result.accuracyDrop ?? null,
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
