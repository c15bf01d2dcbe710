/**
 * Runs on disk: a `RunWriter` that saves a run as it progresses (atomically: temp file, fsync, then rename), and
 * a `RunStore` that lists, reads and deletes the runs of one folder. File I/O goes through `RunFileSystem`
 * (node:fs/promises by default), so the store can be tested, or backed by something else.
 *
 * Nothing is called saved that is not on disk: every failed write becomes a `RunSaveError` (path and reason),
 * kept by the writer and passed to its `onError`; `close()` says whether the final record reached the disk.
 * A running record names its writer (pid, host) and carries a heartbeat, so a list shows a run whose writer
 * died as `interrupted`; listing also removes the temp files such writers left behind.
 */
import { promises as nodeFs } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Metrics } from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import {
  RUN_FORMAT,
  encodeWeights,
  isInterrupted,
  listEntry,
  newRunId,
  parseRunRecord,
  type FinalMetrics,
  type LayerWeights,
  type Liveness,
  type RunEpoch,
  type RunKind,
  type RunListEntry,
  type RunMember,
  type RunProblem,
  type RunRecord,
  type RunRecordStatus,
  type TrainingRecord,
} from './format';
import { parseProbeRun, type ProbeRunRecord } from './probe';
import type { RunReplayInfo } from './replayFormat';
import { RunSaveError, saveErrorOf } from './saveErrors';

export interface RunFileSystem {
  readFile(path: string): Promise<string>;
  /** Writes a whole file; the default one also flushes it to the device (fsync) before resolving. */
  writeFile(path: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** Creates the folder and its parents; rejects with the real reason (EROFS, EACCES...) when it cannot. */
  mkdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Flushes a folder's entries (a rename into it) to the device. Optional. */
  syncFolder?(path: string): Promise<void>;
  /** A file's modification time. Optional: without it, only temp files of dead local writers are removed. */
  mtimeMs?(path: string): Promise<number>;
}

/** A recursive mkdir reports ENOENT when it fails higher up (under a read-only folder): find the real reason. */
async function mkdirError(path: string, error: unknown): Promise<unknown> {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error;
  const missing: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    try {
      await nodeFs.stat(p);
      break;
    } catch {
      if (dirname(p) === p) return error;
      missing.unshift(p);
    }
  }
  for (const dir of missing) {
    try {
      await nodeFs.mkdir(dir);
    } catch (inner) {
      if ((inner as NodeJS.ErrnoException).code !== 'EEXIST') return inner;
    }
  }
  return error;
}

export const nodeFileSystem: RunFileSystem = {
  readFile: (path) => nodeFs.readFile(path, 'utf8'),
  writeFile: async (path, text) => {
    const file = await nodeFs.open(path, 'w');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
  },
  rename: (from, to) => nodeFs.rename(from, to),
  readdir: (path) => nodeFs.readdir(path),
  mkdir: async (path) => {
    try {
      await nodeFs.mkdir(path, { recursive: true });
    } catch (error) {
      throw await mkdirError(path, error);
    }
  },
  unlink: (path) => nodeFs.unlink(path),
  syncFolder: async (path) => {
    if (process.platform === 'win32') return; // folders cannot be opened for fsync there; NTFS journals renames
    const folder = await nodeFs.open(path, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  },
  mtimeMs: async (path) => (await nodeFs.stat(path)).mtimeMs,
};

/** This machine: its host name, and whether a pid is a live process here. */
export const localLiveness: Liveness = {
  host: hostname(),
  isAlive(pid) {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
    }
  },
  now: () => Date.now(),
};

/** A host name as it may appear in a file name. */
const hostTag = (host: string) => host.replace(/[^A-Za-z0-9_-]/g, '_') || 'host';

/** The default runs folder, relative to the workspace folder. */
export const DEFAULT_RUNS_FOLDER = '.dropout-lens/runs';

const RUN_FILE = /\.json$/;
/** Temp files of a write: `<id>.json.<host>.<pid>.<n>.tmp` (before: no host). Never listed, never reported. */
const TEMP_FILE = /\.tmp$/;
const TEMP_PARTS = /\.json\.(?:([A-Za-z0-9_-]+)\.)?(\d+)\.(\d+)\.tmp$/;
/** A temp file this old is removed whoever wrote it: no write of one record takes that long. */
const TEMP_STALE_MS = 10 * 60_000;

/** How often a writer shows it is alive while its run is under way (ms). */
export const HEARTBEAT_MS = 10_000;

export interface NewRun {
  kind: RunKind;
  spec: ModelSpec;
  config: { name?: string; path?: string };
  /** Default: a fresh time-ordered id. */
  id?: string;
  now?: () => Date;
  /** Called for each write that fails (the writer keeps going: a later write may succeed). */
  onError?: (error: RunSaveError) => void;
  /** The heartbeat's period (ms); 0 turns it off. Default HEARTBEAT_MS. */
  heartbeatMs?: number;
}

/** What `RunWriter.close()` answers: saved means the final record is on disk. */
export type SaveOutcome =
  | { saved: true; file: string; failures: readonly RunSaveError[] }
  | { saved: false; file: string; error: RunSaveError; failures: readonly RunSaveError[] };

export interface MemberInit {
  key: string;
  label: string;
  spec: ModelSpec;
}

export interface TrainingEnd {
  status: RunRecordStatus;
  message?: string;
  final?: FinalMetrics | { train: Metrics; validation: Metrics; validationTrainMode?: Metrics };
  weights?: readonly LayerWeights[];
  replay?: RunReplayInfo;
}

let tempCounter = 0;

/**
 * Writes one run as it progresses. Every change (`addEpoch`, `endTraining`, `finish`...) is saved at once:
 * the whole record is written to a temp file, flushed, and renamed over `<id>.json`, so the file on disk is
 * always a complete record, at most one change behind. Writes are serialized; changes made while a write is
 * under way are coalesced into the next one. Methods never throw for I/O: each failure is kept in `failures`
 * (the last in `lastError`) and passed to `onError`; `close()` tells whether the final record is on disk.
 * `create` does throw (a `RunSaveError`) when the folder or the first record cannot be written, before any
 * long work starts.
 */
export class RunWriter {
  readonly file: string;
  private readonly current: RunRecord;
  private writing: Promise<void> = Promise.resolve();
  private pending = false;
  private readonly now: () => Date;
  private onError: ((error: RunSaveError) => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastWriteAt = 0;
  /** Whether the last write reached the disk. */
  private lastWriteOk = false;
  lastError: RunSaveError | undefined;
  readonly failures: RunSaveError[] = [];

  private constructor(
    private readonly fs: RunFileSystem,
    readonly folder: string,
    record: RunRecord,
    now: () => Date,
    onError: ((error: RunSaveError) => void) | undefined,
  ) {
    this.current = record;
    this.now = now;
    this.onError = onError;
    this.file = join(folder, `${record.id}.json`);
  }

  /**
   * Creates the folder and the run's first file (status `running`, no epochs). Rejects with a `RunSaveError`
   * when either cannot be written: nothing then says the run is being saved.
   */
  static async create(folder: string, init: NewRun, fs: RunFileSystem = nodeFileSystem): Promise<RunWriter> {
    const now = init.now ?? (() => new Date());
    const time = now().toISOString();
    const everyMs = init.heartbeatMs ?? HEARTBEAT_MS;
    const record: RunRecord = {
      format: RUN_FORMAT,
      id: init.id ?? newRunId(init.kind, now()),
      kind: init.kind,
      config: {
        name: init.config.name ?? init.spec.name,
        ...(init.config.path !== undefined ? { path: init.config.path } : {}),
      },
      spec: init.spec,
      seed: init.spec.seed,
      createdAt: time,
      updatedAt: time,
      status: 'running',
      epochs: [],
      writer: { pid: process.pid, host: localLiveness.host, heartbeatAt: time, everyMs },
    };
    try {
      await fs.mkdir(folder);
    } catch (error) {
      throw saveErrorOf(error, folder);
    }
    // The first record's failure is create's answer (thrown), not also a report through onError.
    const writer = new RunWriter(fs, folder, record, now, undefined);
    await writer.save();
    if (!writer.lastWriteOk) throw writer.lastError ?? new RunSaveError(writer.file, undefined, 'not written');
    writer.onError = init.onError;
    if (everyMs > 0) {
      writer.heartbeat = setInterval(() => writer.beat(everyMs), everyMs);
      writer.heartbeat.unref();
    }
    return writer;
  }

  get id(): string {
    return this.current.id;
  }

  /** Whether the last write reached the disk (a later change may still be on its way). */
  get lastWriteSaved(): boolean {
    return this.lastWriteOk;
  }

  /** The record as it stands (a live object: do not mutate). */
  get record(): Readonly<RunRecord> {
    return this.current;
  }

  /** Declares a member (an arm or a point of an experiment). Idempotent per key. */
  addMember(member: MemberInit): Promise<void> {
    const members = (this.current.members ??= []);
    if (!members.some((m) => m.key === member.key)) members.push({ ...member, status: 'running', epochs: [] });
    return this.save();
  }

  /** Appends an epoch to the run (no member) or to one member, and saves. */
  addEpoch(epoch: RunEpoch, memberKey?: string): Promise<void> {
    this.target(memberKey).epochs.push(copyEpoch(epoch));
    return this.save();
  }

  /** Records how one training ended (the run's own, or a member's): status, final metrics, weights. */
  endTraining(end: TrainingEnd, memberKey?: string): Promise<void> {
    const t = this.target(memberKey);
    t.status = end.status;
    if (end.message !== undefined) t.message = end.message;
    else delete t.message;
    if (end.final) t.final = copyFinal(end.final);
    if (end.weights) t.weights = encodeWeights(end.weights);
    if (end.replay) t.replay = structuredClone(end.replay);
    return this.save();
  }

  /** Ends the run: its status, and the experiment's summary (any JSON-able value). */
  finish(status: RunRecordStatus, options: { message?: string; summary?: unknown } = {}): Promise<void> {
    this.current.status = status;
    if (options.message !== undefined) this.current.message = options.message;
    if (options.summary !== undefined) this.current.summary = toJsonValue(options.summary);
    if (status !== 'running') {
      delete this.current.writer;
      this.stopHeartbeat();
    }
    return this.save();
  }

  /** Resolves when everything changed so far is on disk. */
  async flush(): Promise<void> {
    let writing: Promise<void>;
    do {
      writing = this.writing;
      await writing;
    } while (writing !== this.writing);
  }

  /**
   * Waits for the last write, makes the rename durable, stops the heartbeat, and says whether the record as
   * it stands (normally the final one, after `finish`) is on disk. Earlier failed writes are in `failures`.
   */
  async close(): Promise<SaveOutcome> {
    this.stopHeartbeat();
    await this.flush();
    if (this.lastWriteOk && this.fs.syncFolder) {
      try {
        await this.fs.syncFolder(this.folder);
      } catch (error) {
        this.fail(saveErrorOf(error, this.folder));
      }
    }
    if (this.lastWriteOk) return { saved: true, file: this.file, failures: this.failures };
    return {
      saved: false,
      file: this.file,
      error: this.lastError ?? new RunSaveError(this.file, undefined, 'not written'),
      failures: this.failures,
    };
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** A sign of life when nothing else was written for a while: the record, its heartbeat refreshed. */
  private beat(everyMs: number): void {
    if (this.current.status !== 'running') return this.stopHeartbeat();
    if (Date.now() - this.lastWriteAt < everyMs / 2) return;
    void this.save(false);
  }

  private target(memberKey: string | undefined): TrainingRecord {
    if (memberKey === undefined) return this.current;
    const member = this.current.members?.find((m) => m.key === memberKey);
    if (!member) throw new Error(`Run ${this.current.id} has no member "${memberKey}"`);
    return member;
  }

  private fail(error: RunSaveError): void {
    this.lastWriteOk = false;
    this.lastError = error;
    this.failures.push(error);
    try {
      this.onError?.(error);
    } catch {
      // a reporter's own failure must not stop the saving
    }
  }

  private save(changed = true): Promise<void> {
    this.pending = true;
    this.writing = this.writing.then(async () => {
      if (!this.pending) return;
      this.pending = false;
      const time = this.now().toISOString();
      if (changed) this.current.updatedAt = time;
      if (this.current.writer) this.current.writer.heartbeatAt = time;
      this.lastWriteAt = Date.now();
      const temp = `${this.file}.${hostTag(localLiveness.host)}.${process.pid}.${++tempCounter}.tmp`;
      try {
        await this.fs.writeFile(temp, JSON.stringify(this.current));
        await this.fs.rename(temp, this.file);
        this.lastWriteOk = true;
      } catch (error) {
        this.fail(saveErrorOf(error, this.file));
        await this.fs.unlink(temp).catch(() => undefined);
      }
    });
    return this.writing;
  }
}

/**
 * Checks that runs can be saved in `folder` before long work starts: creates it, writes and removes a small
 * probe file. Resolves with undefined when it can, else with the reason (never throws).
 */
export async function checkRunsFolder(
  folder: string,
  fs: RunFileSystem = nodeFileSystem,
): Promise<RunSaveError | undefined> {
  try {
    await fs.mkdir(folder);
  } catch (error) {
    return saveErrorOf(error, folder);
  }
  // Named like a temp file, so that nothing lists it and a left-over one is cleaned up.
  const probe = join(folder, `.probe.json.${hostTag(localLiveness.host)}.${process.pid}.${++tempCounter}.tmp`);
  try {
    await fs.writeFile(probe, `{"probe":"${'0'.repeat(4000)}"}`);
  } catch (error) {
    await fs.unlink(probe).catch(() => undefined);
    return saveErrorOf(error, folder);
  }
  await fs.unlink(probe).catch(() => undefined);
  return undefined;
}

function copyMetrics(m: Metrics): Metrics {
  return m.accuracy !== undefined ? { loss: m.loss, accuracy: m.accuracy } : { loss: m.loss };
}

function copyEpoch(e: RunEpoch): RunEpoch {
  return {
    epoch: e.epoch,
    lr: e.lr,
    train: copyMetrics(e.train),
    validation: copyMetrics(e.validation),
    ...(e.validationTrainMode ? { validationTrainMode: copyMetrics(e.validationTrainMode) } : {}),
  };
}

function copyFinal(f: FinalMetrics): FinalMetrics {
  return {
    train: copyMetrics(f.train),
    validation: copyMetrics(f.validation),
    ...(f.validationTrainMode ? { validationTrainMode: copyMetrics(f.validationTrainMode) } : {}),
  };
}

/** Typed arrays become plain arrays, non-finite numbers null: what JSON.stringify would do, made explicit. */
export function toJsonValue(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
    ),
  ) as unknown;
}

export interface RunList {
  /** Newest first (by creation time, then id). */
  runs: RunListEntry[];
  /** Files in the folder that are not readable runs: reported, skipped. */
  problems: RunProblem[];
}

export type ReadRunResult = { ok: true; record: RunRecord } | { ok: false; message: string };

/** The runs of one folder. Never throws on a bad file: it becomes a problem. */
export class RunStore {
  constructor(
    readonly folder: string,
    private readonly fs: RunFileSystem = nodeFileSystem,
    /** How a list tells a live run from an interrupted one (tests replace it). */
    private readonly liveness: Liveness = localLiveness,
  ) {}

  /** A writer for a new run in this folder. */
  create(init: NewRun): Promise<RunWriter> {
    return RunWriter.create(this.folder, init, this.fs);
  }

  async list(): Promise<RunList> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { runs: [], problems: [] };
      return {
        runs: [],
        problems: [{ file: this.folder, message: `cannot read the runs folder: ${(error as Error).message}` }],
      };
    }
    const runs: RunListEntry[] = [];
    const problems: RunProblem[] = [];
    for (const name of names.sort()) {
      if (TEMP_FILE.test(name)) {
        await this.removeIfStale(name);
        continue;
      }
      const file = join(this.folder, name);
      if (!RUN_FILE.test(name)) {
        const probe = await this.readProbeFolder(file);
        if (probe === undefined)
          problems.push({ file, message: 'not a run file (runs are .json files, probe runs folders with run.json)' });
        else if (probe.ok) runs.push(probeListEntry(probe.record, join(file, PROBE_RUN_FILE)));
        else problems.push({ file: join(file, PROBE_RUN_FILE), message: probe.message });
        continue;
      }
      const result = await this.readFile(file);
      if (result.ok) runs.push(listEntry(result.record, file, isInterrupted(result.record, this.liveness)));
      else problems.push({ file, message: result.message });
    }
    runs.sort((a, b) =>
      a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt),
    );
    return { runs, problems };
  }

  /** Reads one run by id (or by file path inside the folder). */
  read(idOrFile: string): Promise<ReadRunResult> {
    return this.readFile(this.fileOf(idOrFile));
  }

  async delete(idOrFile: string): Promise<boolean> {
    try {
      await this.fs.unlink(this.fileOf(idOrFile));
      return true;
    } catch {
      return false;
    }
  }

  /** Reads a probe run (a folder `<id>/` with `run.json`) by id or by folder path. */
  async readProbe(
    idOrFolder: string,
  ): Promise<{ ok: true; record: ProbeRunRecord; folder: string } | { ok: false; message: string }> {
    const folder = idOrFolder.includes('/') || idOrFolder.includes('\\') ? idOrFolder : join(this.folder, idOrFolder);
    const result = await this.readProbeFolder(folder);
    if (result === undefined)
      return { ok: false, message: `${folder} is not a probe run folder (no ${PROBE_RUN_FILE})` };
    return result.ok ? { ...result, folder } : result;
  }

  /** undefined: not a folder with a run.json at all. */
  private async readProbeFolder(
    folder: string,
  ): Promise<{ ok: true; record: ProbeRunRecord } | { ok: false; message: string } | undefined> {
    let text: string;
    try {
      text = await this.fs.readFile(join(folder, PROBE_RUN_FILE));
    } catch {
      return undefined;
    }
    return parseProbeRun(text);
  }

  /**
   * Removes a temp file its writer left behind: one written on this machine by a process that is gone, or
   * any old enough that no write can still be under way. Best effort: a file that stays is still never listed.
   */
  private async removeIfStale(name: string): Promise<void> {
    const file = join(this.folder, name);
    const parts = TEMP_PARTS.exec(name);
    const host = parts?.[1];
    const pid = Number(parts?.[2]);
    let stale = host === hostTag(this.liveness.host) && !this.liveness.isAlive(pid);
    if (!stale && this.fs.mtimeMs) {
      const mtime = await this.fs.mtimeMs(file).catch(() => undefined);
      stale = mtime !== undefined && this.liveness.now() - mtime > TEMP_STALE_MS;
    }
    if (stale) await this.fs.unlink(file).catch(() => undefined);
  }

  fileOf(idOrFile: string): string {
    if (idOrFile.includes('/') || idOrFile.includes('\\')) return idOrFile;
    return join(this.folder, idOrFile.endsWith('.json') ? idOrFile : `${idOrFile}.json`);
  }

  private async readFile(file: string): Promise<ReadRunResult> {
    let text: string;
    try {
      text = await this.fs.readFile(file);
    } catch (error) {
      return { ok: false, message: `cannot read: ${(error as Error).message}` };
    }
    return parseRunRecord(text);
  }
}

/** A probe run's record file inside its folder. */
export const PROBE_RUN_FILE = 'run.json';

export function probeListEntry(record: ProbeRunRecord, file: string): RunListEntry {
  return {
    id: record.id,
    file,
    kind: 'probe',
    name: record.config.name,
    ...(record.config.path !== undefined ? { configPath: record.config.path } : {}),
    status: record.status,
    ...(record.message !== undefined ? { message: record.message } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    epochCount: 0,
    memberCount: 0,
  };
}

export type { RunMember };
