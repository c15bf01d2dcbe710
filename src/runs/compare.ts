/** Two runs side by side (the Compare Two Runs command), and an experiment's member as a run of its own. */
import type { RunEpoch, RunRecord } from './format';
import { finalOf, generalizationGap } from './metrics';

export interface CompareEpochRow {
  epoch: number;
  a?: RunEpoch;
  b?: RunEpoch;
  /** b - a, where both runs have the epoch. */
  delta?: { trainLoss: number; valLoss: number; valAccuracy?: number };
}

export interface MetricDelta {
  a?: number;
  b?: number;
  /** b - a */
  delta?: number;
}

export interface RunComparison {
  a: { id: string; name: string; kind: string };
  b: { id: string; name: string; kind: string };
  epochs: CompareEpochRow[];
  final: {
    trainLoss: MetricDelta;
    trainAccuracy: MetricDelta;
    valLoss: MetricDelta;
    valAccuracy: MetricDelta;
    gapLoss: MetricDelta;
    gapAccuracy: MetricDelta;
  };
}

function md(a: number | undefined, b: number | undefined): MetricDelta {
  return {
    ...(a !== undefined ? { a } : {}),
    ...(b !== undefined ? { b } : {}),
    ...(a !== undefined && b !== undefined ? { delta: b - a } : {}),
  };
}

/**
 * Two runs side by side: epochs aligned by epoch number, and the final metrics with their deltas (b - a).
 * Uses each run's top-level training (for experiments with members, pick a member with `pickMember`).
 */
export function compareRuns(a: RunRecord, b: RunRecord): RunComparison {
  const byEpoch = new Map<number, CompareEpochRow>();
  for (const e of a.epochs) byEpoch.set(e.epoch, { epoch: e.epoch, a: e });
  for (const e of b.epochs) {
    const row = byEpoch.get(e.epoch) ?? { epoch: e.epoch };
    row.b = e;
    byEpoch.set(e.epoch, row);
  }
  const epochs = [...byEpoch.values()].sort((x, y) => x.epoch - y.epoch);
  for (const row of epochs) {
    if (row.a && row.b) {
      row.delta = {
        trainLoss: row.b.train.loss - row.a.train.loss,
        valLoss: row.b.validation.loss - row.a.validation.loss,
      };
      if (row.a.validation.accuracy !== undefined && row.b.validation.accuracy !== undefined)
        row.delta.valAccuracy = row.b.validation.accuracy - row.a.validation.accuracy;
    }
  }
  const fa = finalOf(a);
  const fb = finalOf(b);
  const ga = fa ? generalizationGap(fa) : undefined;
  const gb = fb ? generalizationGap(fb) : undefined;
  return {
    a: { id: a.id, name: a.config.name, kind: a.kind },
    b: { id: b.id, name: b.config.name, kind: b.kind },
    epochs,
    final: {
      trainLoss: md(fa?.train.loss, fb?.train.loss),
      trainAccuracy: md(fa?.train.accuracy, fb?.train.accuracy),
      valLoss: md(fa?.validation.loss, fb?.validation.loss),
      valAccuracy: md(fa?.validation.accuracy, fb?.validation.accuracy),
      gapLoss: md(ga?.loss, gb?.loss),
      gapAccuracy: md(ga?.accuracy, gb?.accuracy),
    },
  };
}

/** A member of an experiment as a stand-alone record (to compare, e.g., two sweep points). */
export function pickMember(record: RunRecord, key: string): RunRecord | undefined {
  const m = record.members?.find((x) => x.key === key);
  if (!m) return undefined;
  const { members: _members, summary: _summary, ...rest } = record;
  return {
    ...rest,
    id: `${record.id}#${m.key}`,
    config: { ...record.config, name: `${record.config.name} (${m.label})` },
    spec: m.spec,
    status: m.status,
    epochs: m.epochs,
    ...(m.message !== undefined ? { message: m.message } : {}),
    ...(m.final ? { final: m.final } : {}),
    ...(m.weights ? { weights: m.weights } : {}),
  };
}
