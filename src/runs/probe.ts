/**
 * Probe runs: what the Python runtime probe (python/dropout_lens) records from a user's own PyTorch script. A
 * probe run is a folder `<runs folder>/<id>/` holding `run.json` (a `dropout-lens/run@1` record of kind `probe`,
 * rewritten atomically by the launcher) and one append-only JSON-lines file per process, `rank-<k>.ndjson` (or
 * `proc-<pid>.ndjson` for a process whose rank is unknown), rotated to `<file>.1` at a size cap. See
 * docs/run-format.md. Pure TypeScript: no vscode, no node:fs (the store reads the files).
 */
import { RUN_FORMAT, RUN_STATUSES, type RunRecordStatus } from './format';

export const PROBE_RECORD_FORMAT = 'dropout-lens/probe@1';

/** One dropout module, or one functional dropout call line inside a module, of one rank. */
export interface ProbeModule {
  name: string;
  kind: string;
  p: number;
  /** Dropped / observed over the sampled calls (units already zero in the input are left out); null before any sample. */
  realizedDrop: number | null;
  trainCalls: number;
  evalCalls: number;
  /** The mode of its last call (sampled or not); absent in records of probes before it was added. */
  mode?: 'train' | 'eval';
  rank: number | string | null;
  file?: string;
  line?: number;
  functional?: boolean;
  /** A fused kernel (scaled_dot_product_attention): its mask is not observable. */
  fused?: boolean;
}

/** A finding observed while the script ran, under the static rules' ids (plus `identical-masks-across-ranks`). */
export interface ProbeFinding {
  rule: string;
  file: string;
  line: number;
  message: string;
  rank: number | string | null;
  ranks?: (number | string)[];
  step?: number;
  count?: number;
  observed: 'runtime';
}

export interface ProbeSummary {
  kind: 'probe';
  ranks: number;
  steps: number;
  modules: ProbeModule[];
  findings: ProbeFinding[];
}

export interface ProbeRunRecord {
  format: typeof RUN_FORMAT;
  id: string;
  kind: 'probe';
  config: { name: string; path?: string };
  createdAt: string;
  updatedAt: string;
  status: RunRecordStatus;
  /** Why it failed (the script's traceback) or stopped. */
  message?: string;
  epochs: [];
  probe: { argv: string[]; python: string; pythonVersion?: string; torch?: string; cwd?: string; pid?: number };
  /** Written when the script ends. */
  summary?: ProbeSummary;
}

export type ParsedProbeRun = { ok: true; record: ProbeRunRecord } | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a probe run's `run.json`. Never throws. */
export function parseProbeRun(text: string): ParsedProbeRun {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not valid JSON (${(error as Error).message})` };
  }
  if (!isObject(raw) || raw['format'] !== RUN_FORMAT) return { ok: false, message: 'not a Dropout Lens run' };
  if (raw['kind'] !== 'probe') return { ok: false, message: 'not a probe run' };
  if (typeof raw['id'] !== 'string' || raw['id'] === '') return { ok: false, message: 'run has no "id"' };
  if (!isObject(raw['config']) || typeof raw['config']['name'] !== 'string')
    return { ok: false, message: 'run has no "config.name"' };
  if (typeof raw['createdAt'] !== 'string' || typeof raw['updatedAt'] !== 'string')
    return { ok: false, message: 'run has no "createdAt"/"updatedAt"' };
  if (!RUN_STATUSES.includes(raw['status'] as RunRecordStatus))
    return { ok: false, message: `unknown status ${JSON.stringify(raw['status'])}` };
  if (!isObject(raw['probe'])) return { ok: false, message: 'probe run has no "probe"' };
  if (raw['summary'] !== undefined && !isProbeSummary(raw['summary']))
    return { ok: false, message: 'probe run has a malformed "summary"' };
  return { ok: true, record: raw as unknown as ProbeRunRecord };
}

export function isProbeSummary(v: unknown): v is ProbeSummary {
  return (
    isObject(v) &&
    v['kind'] === 'probe' &&
    typeof v['ranks'] === 'number' &&
    Array.isArray(v['modules']) &&
    Array.isArray(v['findings'])
  );
}

/**
 * The records of one rank file (the rotated `.1` file's text first, when there is one). A last line without its
 * newline is a record cut by a kill and is dropped, as is any line that is not a JSON object.
 */
export function parseProbeRecords(...texts: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const text of texts) {
    const lines = text.split('\n');
    lines.pop();
    for (const line of lines) {
      if (line === '') continue;
      try {
        const value: unknown = JSON.parse(line);
        if (isObject(value)) out.push(value);
      } catch {
        // a damaged line: skipped
      }
    }
  }
  return out;
}

/** A probe run id: time first (ids sort by age), like the engine's runs. */
export function newProbeRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-probe-${Math.random().toString(36).slice(2, 6)}`;
}

/** The rank files of a probe run folder's listing. */
export const PROBE_RANK_FILE = /^(rank-\d+|proc-\d+)\.ndjson$/;
