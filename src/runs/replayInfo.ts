/**
 * What a run record keeps so the run can be replayed (src/engine/replay.ts): its step count, the changes made while
 * it trained, the identity of its CSV and the worker count. The seed and spec are the record's own. A record read
 * from disk is untrusted: `replaySourceOf` checks the field and says in words why a run cannot be replayed.
 */
import { REPLAYABLE_WORKERS } from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import { decodeWeights, type LayerWeights, type RunRecord } from './format';
import type { DataIdentity, RunReplayInfo } from './replayFormat';

export type { DataIdentity, RunReplayInfo } from './replayFormat';

/** Everything a replay starts from, whether the run was just trained or read from its record. */
export interface ReplaySource {
  name: string;
  spec: ModelSpec;
  info: RunReplayInfo;
  /** Final weights, to check the replay's end against. */
  weights?: LayerWeights[];
  /** Where the config was (the CSV path in the spec is relative to its folder): workspace-relative or absolute. */
  configPath?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStep = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function interventionProblem(v: unknown, i: number): string | undefined {
  if (!isObject(v) || !isStep(v['step'])) return `intervention #${i} has no step`;
  if (v['type'] === 'rate') {
    const rate = v['rate'];
    if (!isStep(v['layer']) || typeof rate !== 'number' || !(rate >= 0 && rate < 1))
      return `intervention #${i} is not a valid rate change`;
    return undefined;
  }
  if (v['type'] !== 'modes' || !Array.isArray(v['layers'])) return `intervention #${i} is of no known type`;
  for (const l of v['layers'] as unknown[])
    if (!isObject(l) || !isStep(l['layer']) || (l['mode'] !== 'train' && l['mode'] !== 'eval'))
      return `intervention #${i} holds a malformed mode`;
  return undefined;
}

/** Why the record's `replay` field cannot be used, or undefined when it can. */
export function replayInfoProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'it is not an object';
  const steps = value['steps'];
  if (!Number.isInteger(steps) || (steps as number) < 1)
    return `its step count ${JSON.stringify(steps)} is not a positive integer`;
  if (!Array.isArray(value['interventions'])) return 'it has no list of interventions';
  for (const [i, c] of (value['interventions'] as unknown[]).entries()) {
    const problem = interventionProblem(c, i);
    if (problem) return problem;
  }
  const data = value['data'];
  if (
    data !== undefined &&
    !(isObject(data) && typeof data['sha256'] === 'string' && typeof data['bytes'] === 'number')
  )
    return 'its data identity is malformed';
  if (!Number.isInteger(value['workers']) || (value['workers'] as number) < 1) return 'its worker count is missing';
  return undefined;
}

export type ReplaySourceResult = { ok: true; source: ReplaySource } | { ok: false; message: string };

/** A saved run as a replay's source, or why it cannot be replayed, in words for the panel. */
export function replaySourceOf(record: RunRecord): ReplaySourceResult {
  if (record.kind !== 'train')
    return {
      ok: false,
      message: `A ${record.kind} experiment trains several models: only single training runs replay.`,
    };
  if (record.status === 'running')
    return { ok: false, message: 'This run never finished (its writer ended first): it cannot be replayed.' };
  const raw: unknown = (record as { replay?: unknown }).replay;
  if (raw === undefined)
    return {
      ok: false,
      message:
        'This run was saved before runs recorded what a replay needs (its steps and the mode and rate changes made while it trained): train it again to scrub through it.',
    };
  const problem = replayInfoProblem(raw);
  if (problem) return { ok: false, message: `This run's replay record is unreadable: ${problem}.` };
  const info = raw as RunReplayInfo;
  if (!REPLAYABLE_WORKERS.includes(info.workers))
    return {
      ok: false,
      message: `This run trained on ${info.workers} engine workers; a replay reproduces runs on ${REPLAYABLE_WORKERS.join(' or ')} only, and would not give its steps bit for bit.`,
    };
  if (record.spec.data.source === 'csv' && !info.data)
    return {
      ok: false,
      message: "This run does not record its CSV file's content hash: a replay could not tell a changed file.",
    };
  let weights: LayerWeights[] | undefined;
  try {
    weights = record.weights ? decodeWeights(record.weights) : undefined;
  } catch {
    weights = undefined;
  }
  return {
    ok: true,
    source: {
      name: record.config.name,
      spec: record.spec,
      info,
      ...(weights ? { weights } : {}),
      ...(record.config.path !== undefined ? { configPath: record.config.path } : {}),
    },
  };
}

/** Why the data found now is not the run's, or undefined when it is. */
export function dataChangedProblem(path: string, recorded: DataIdentity, found: DataIdentity): string | undefined {
  if (recorded.sha256 === found.sha256 && recorded.bytes === found.bytes) return undefined;
  return `The data file ${path} changed since this run (${recorded.bytes} bytes then, ${found.bytes} now; its content hash differs): a replay would not be this run. Restore the file to replay it.`;
}
