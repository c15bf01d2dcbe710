/** Arithmetic on a run's metrics: its final metrics, and the generalization gap. */
import type { Metrics } from '../protocol/engine';
import type { FinalMetrics, RunEpoch } from './format';

/** Generalization gap: validation minus training loss, and training minus validation accuracy. */
export interface Gap {
  loss: number;
  accuracy?: number;
}

export function generalizationGap(final: { train: Metrics; validation: Metrics }): Gap {
  const gap: Gap = { loss: final.validation.loss - final.train.loss };
  if (final.train.accuracy !== undefined && final.validation.accuracy !== undefined)
    gap.accuracy = final.train.accuracy - final.validation.accuracy;
  return gap;
}

/** The final metrics of a run: its `final`, else its last epoch. */
export function finalOf(training: { final?: FinalMetrics; epochs: RunEpoch[] }): FinalMetrics | undefined {
  if (training.final) return training.final;
  const last = training.epochs[training.epochs.length - 1];
  return last
    ? {
        train: last.train,
        validation: last.validation,
        ...(last.validationTrainMode ? { validationTrainMode: last.validationTrainMode } : {}),
      }
    : undefined;
}
