/**
 * The run record: one JSON file per run or experiment under the workspace's `.dropout-lens/runs/`.
 * Versioned by `format` ("dropout-lens/run@1"); documented in docs/run-format.md. Pure TypeScript.
 *
 * A record holds one training at its top level (`epochs`, `final`, `weights`) for `train`, `mc` and
 * `forgot-eval`, and one `members` entry per training for the experiments that train several models
 * (`compare`, `sweep`, `dataset-sweep`). `summary` holds the experiment's result, as drawn by the UI.
 */
import type { Metrics } from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import type { RunReplayInfo } from './replayFormat';

export const RUN_FORMAT = 'dropout-lens/run@1';
export const RUN_FORMAT_PREFIX = 'dropout-lens/run@';

export type RunKind = 'train' | 'compare' | 'sweep' | 'dataset-sweep' | 'mc' | 'forgot-eval';
export const RUN_KINDS: readonly RunKind[] = ['train', 'compare', 'sweep', 'dataset-sweep', 'mc', 'forgot-eval'];

export type RunRecordStatus = 'running' | 'completed' | 'stopped' | 'failed';
export const RUN_STATUSES: readonly RunRecordStatus[] = ['running', 'completed', 'stopped', 'failed'];

/**
 * A run's status as a list shows it: `interrupted` is a record still `running` on disk whose writer is gone
 * (its process ended on this machine, or its heartbeat stopped). It is never written, only derived.
 */
export type RunListStatus = RunRecordStatus | 'interrupted';

/** Who is writing a running record, so a reader can tell a live run from one whose writer died. */
export interface RunWriterInfo {
  pid: number;
  /** The machine's host name (a pid means something only there). */
  host: string;
  /** ISO 8601: the writer's last sign of life; it is refreshed at least every `everyMs`. */
  heartbeatAt: string;
  everyMs: number;
}

/** One epoch's metrics, as the engine's `epoch` event reports them. */
export interface RunEpoch {
  epoch: number;
  lr: number;
  train: Metrics;
  /** Eval mode: what a correct validation loop reports. */
  validation: Metrics;
  /** Train mode (dropout on): what forgetting `model.eval()` would report. */
  validationTrainMode?: Metrics;
}

export interface FinalMetrics {
  train: Metrics;
  validation: Metrics;
  validationTrainMode?: Metrics;
}

/** A dense layer's final weights: float32 little-endian bytes, base64. W is row-major [out, in]. */
export interface EncodedLayerWeights {
  layer: number;
  out: number;
  in: number;
  W: string;
  b: string;
}

/** One training: the whole run for `train`, one arm or one point of an experiment in `members`. */
export interface TrainingRecord {
  status: RunRecordStatus;
  message?: string;
  epochs: RunEpoch[];
  final?: FinalMetrics;
  weights?: EncodedLayerWeights[];
  /** What a replay of this training needs (src/runs/replayInfo.ts); absent in records from before replays. */
  replay?: RunReplayInfo;
}

export interface RunMember extends TrainingRecord {
  /** Stable key inside the record, e.g. `with-dropout`, `rate=0.3`, `fraction=0.25/without-dropout`. */
  key: string;
  label: string;
  /** The spec this member trained (the experiment's variant of the run's spec). */
  spec: ModelSpec;
}

export interface RunRecord extends TrainingRecord {
  format: typeof RUN_FORMAT;
  /** File-name safe; the file is `<id>.json`. */
  id: string;
  kind: RunKind;
  config: {
    name: string;
    /** Workspace-relative (or absolute) path of the config file, when there is one. */
    path?: string;
  };
  spec: ModelSpec;
  seed: number;
  /** ISO 8601 times. */
  createdAt: string;
  updatedAt: string;
  members?: RunMember[];
  /** The experiment's result (its JSON form), written when the experiment ends. */
  summary?: unknown;
  /** While `running`: the writing process and its heartbeat. Removed when the run ends. */
  writer?: RunWriterInfo;
}

/** What a list of runs shows without reading the whole record again. */
export interface RunListEntry {
  id: string;
  /** The run's file: `<id>.json`, or a probe run's `<id>/run.json`. */
  file: string;
  /** `probe`: a runtime probe run of the user's own PyTorch script (src/runs/probe.ts). */
  kind: RunKind | 'probe';
  name: string;
  configPath?: string;
  status: RunListStatus;
  message?: string;
  createdAt: string;
  updatedAt: string;
  /** Epochs recorded (top level, or summed over members). */
  epochCount: number;
  memberCount: number;
  final?: FinalMetrics;
}

export interface RunProblem {
  file: string;
  message: string;
}

export type ParsedRun = { ok: true; record: RunRecord } | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isMetrics = (v: unknown): boolean => isObject(v) && typeof v['loss'] === 'number';

function checkTraining(v: Record<string, unknown>, where: string): string | undefined {
  if (!RUN_STATUSES.includes(v['status'] as RunRecordStatus))
    return `${where}: unknown status ${JSON.stringify(v['status'])}`;
  if (!Array.isArray(v['epochs'])) return `${where}: "epochs" is not a list`;
  for (const [i, e] of (v['epochs'] as unknown[]).entries()) {
    if (!isObject(e) || typeof e['epoch'] !== 'number' || !isMetrics(e['train']) || !isMetrics(e['validation']))
      return `${where}: epoch #${i} is malformed`;
  }
  if (v['weights'] !== undefined && !Array.isArray(v['weights'])) return `${where}: "weights" is not a list`;
  return undefined;
}

/** Validates a run file's text. Never throws: a corrupt or foreign file comes back as a message. */
export function parseRunRecord(text: string): ParsedRun {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not valid JSON (${(error as Error).message})` };
  }
  if (!isObject(raw)) return { ok: false, message: 'not a Dropout Lens run (not a JSON object)' };
  const format = raw['format'];
  if (typeof format !== 'string' || !format.startsWith(RUN_FORMAT_PREFIX))
    return { ok: false, message: 'not a Dropout Lens run (no "format": "dropout-lens/run@1")' };
  if (format !== RUN_FORMAT)
    return { ok: false, message: `run format "${format}" is not supported by this version (expected "${RUN_FORMAT}")` };
  if (typeof raw['id'] !== 'string' || raw['id'] === '') return { ok: false, message: 'run has no "id"' };
  if (!RUN_KINDS.includes(raw['kind'] as RunKind))
    return { ok: false, message: `unknown run kind ${JSON.stringify(raw['kind'])}` };
  if (!isObject(raw['config']) || typeof raw['config']['name'] !== 'string')
    return { ok: false, message: 'run has no "config.name"' };
  if (!isObject(raw['spec'])) return { ok: false, message: 'run has no "spec"' };
  if (typeof raw['seed'] !== 'number') return { ok: false, message: 'run has no "seed"' };
  if (typeof raw['createdAt'] !== 'string' || typeof raw['updatedAt'] !== 'string')
    return { ok: false, message: 'run has no "createdAt"/"updatedAt"' };
  const problem = checkTraining(raw, 'run');
  if (problem) return { ok: false, message: problem };
  if (raw['members'] !== undefined) {
    if (!Array.isArray(raw['members'])) return { ok: false, message: '"members" is not a list' };
    for (const [i, m] of (raw['members'] as unknown[]).entries()) {
      if (!isObject(m) || typeof m['key'] !== 'string') return { ok: false, message: `member #${i} is malformed` };
      const p = checkTraining(m, `member "${m['key']}"`);
      if (p) return { ok: false, message: p };
    }
  }
  const w = raw['writer'];
  if (
    w !== undefined &&
    !(
      isObject(w) &&
      typeof w['pid'] === 'number' &&
      typeof w['host'] === 'string' &&
      typeof w['heartbeatAt'] === 'string' &&
      typeof w['everyMs'] === 'number'
    )
  )
    delete raw['writer']; // unreadable: the record is judged by its updatedAt, as one from before writers were named
  return { ok: true, record: raw as unknown as RunRecord };
}

/** What a reader knows of the processes of its own machine. */
export interface Liveness {
  host: string;
  isAlive(pid: number): boolean;
  /** Milliseconds since the epoch. */
  now(): number;
}

/** A record without writer information (older files) counts as interrupted this long after its last save. */
export const LEGACY_STALE_MS = 10 * 60_000;

/** How long a writer may miss its heartbeat before its run counts as interrupted. */
export function staleAfterMs(everyMs: number): number {
  return Math.max(60_000, 6 * everyMs);
}

/**
 * Whether a record still `running` on disk was left behind by a writer that died: its process is gone (on
 * this machine), or it has not shown a sign of life for longer than its heartbeat allows (another machine;
 * 10 minutes for a live pid of this one, which may since belong to another process).
 */
export function isInterrupted(record: RunRecord, liveness: Liveness): boolean {
  if (record.status !== 'running') return false;
  const w = record.writer;
  const here = w !== undefined && w.host === liveness.host;
  if (here && !liveness.isAlive(w.pid)) return true;
  const beat = Date.parse(w?.heartbeatAt ?? record.updatedAt);
  if (!Number.isFinite(beat)) return w === undefined;
  // A live process of this machine is trusted over a late heartbeat (its event loop may be busy), unless the
  // heartbeat is so old that the pid must belong to another process by now.
  const allowed = !w
    ? LEGACY_STALE_MS
    : here
      ? Math.max(LEGACY_STALE_MS, staleAfterMs(w.everyMs))
      : staleAfterMs(w.everyMs);
  return liveness.now() - beat > allowed;
}

export function listEntry(record: RunRecord, file: string, interrupted = false): RunListEntry {
  const members = record.members ?? [];
  const epochCount = record.epochs.length + members.reduce((n, m) => n + m.epochs.length, 0);
  return {
    id: record.id,
    file,
    kind: record.kind,
    name: record.config.name,
    ...(record.config.path !== undefined ? { configPath: record.config.path } : {}),
    status: interrupted ? 'interrupted' : record.status,
    ...(record.message !== undefined
      ? { message: record.message }
      : interrupted
        ? { message: 'Its writer ended before the run did; saved up to its last recorded epoch.' }
        : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    epochCount,
    memberCount: members.length,
    ...(record.final ? { final: record.final } : {}),
  };
}

/** A new, file-name safe run id: time first, so ids sort by creation. */
export function newRunId(kind: RunKind, now: Date = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${kind}-${Math.random().toString(36).slice(2, 6)}`;
}

// ---------- weights: float32 little-endian, base64 ----------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return out;
}

function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const c = [0, 1, 2, 3].map((k) => (i + k < clean.length ? B64.indexOf(clean[i + k]!) : 0));
    if (c.some((x) => x < 0)) throw new Error('invalid base64');
    const n = (c[0]! << 18) | (c[1]! << 12) | (c[2]! << 6) | c[3]!;
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

export function encodeFloat32(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytesToBase64(bytes);
}

export function decodeFloat32(text: string): Float32Array {
  const bytes = base64ToBytes(text);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export interface LayerWeights {
  layer: number;
  W: Float32Array;
  b: Float32Array;
}

export function encodeWeights(weights: readonly LayerWeights[]): EncodedLayerWeights[] {
  return weights.map((w) => ({
    layer: w.layer,
    out: w.b.length,
    in: w.b.length > 0 ? w.W.length / w.b.length : 0,
    W: encodeFloat32(w.W),
    b: encodeFloat32(w.b),
  }));
}

export function decodeWeights(weights: readonly EncodedLayerWeights[]): LayerWeights[] {
  return weights.map((w) => ({ layer: w.layer, W: decodeFloat32(w.W), b: decodeFloat32(w.b) }));
}
