/**
 * Runs on disk: a `RunWriter` that saves a run as it progresses (atomically: temp file, then rename), and
 * a `RunStore` that lists, reads and deletes the runs of one folder. File I/O goes through `RunFileSystem`
 * (node:fs/promises by default), so the store can be tested, or backed by something else.
 */
import { promises as nodeFs } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import {
  RUN_FORMAT,
  encodeWeights,
  listEntry,
  newRunId,
  parseRunRecord,
  type FinalMetrics,
  type LayerWeights,
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

export interface RunFileSystem {
  readFile(path: string): Promise<string>;
  writeFile(path: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeFileSystem: RunFileSystem = {
  readFile: (path) => nodeFs.readFile(path, 'utf8'),
  writeFile: (path, text) => nodeFs.writeFile(path, text, 'utf8'),
  rename: (from, to) => nodeFs.rename(from, to),
  readdir: (path) => nodeFs.readdir(path),
  mkdir: async (path) => {
    await nodeFs.mkdir(path, { recursive: true });
  },
  unlink: (path) => nodeFs.unlink(path),
};

/** The default runs folder, relative to the workspace folder. */
export const DEFAULT_RUNS_FOLDER = '.dropout-lens/runs';

const RUN_FILE = /\.json$/;
/** Temp files of an interrupted write: `<id>.json.<pid>.<n>.tmp`. Never listed, never reported. */
const TEMP_FILE = /\.tmp$/;

export interface NewRun {
  kind: RunKind;
  spec: ModelSpec;
  config: { name?: string; path?: string };
  /** Default: a fresh time-ordered id. */
  id?: string;
  now?: () => Date;
}

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
}

let tempCounter = 0;

/**
 * Writes one run as it progresses. Every change (`addEpoch`, `endTraining`, `finish`...) is saved at once:
 * the whole record is written to a temp file and renamed over `<id>.json`, so the file on disk is always a
 * complete record, at most one change behind. Writes are serialized; changes made while a write is under way
 * are coalesced into the next one. Methods never throw for I/O: the last error is kept in `lastError`.
 */
export class RunWriter {
  readonly file: string;
  private readonly current: RunRecord;
  private writing: Promise<void> = Promise.resolve();
  private pending = false;
  private readonly now: () => Date;
  lastError: Error | undefined;

  private constructor(
    private readonly fs: RunFileSystem,
    readonly folder: string,
    record: RunRecord,
    now: () => Date,
  ) {
    this.current = record;
    this.now = now;
    this.file = join(folder, `${record.id}.json`);
  }

  /** Creates the folder and the run's first file (status `running`, no epochs). */
  static async create(folder: string, init: NewRun, fs: RunFileSystem = nodeFileSystem): Promise<RunWriter> {
    const now = init.now ?? (() => new Date());
    const time = now().toISOString();
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
    };
    await fs.mkdir(folder);
    const writer = new RunWriter(fs, folder, record, now);
    await writer.save();
    return writer;
  }

  get id(): string {
    return this.current.id;
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
    return this.save();
  }

  /** Ends the run: its status, and the experiment's summary (any JSON-able value). */
  finish(status: RunRecordStatus, options: { message?: string; summary?: unknown } = {}): Promise<void> {
    this.current.status = status;
    if (options.message !== undefined) this.current.message = options.message;
    if (options.summary !== undefined) this.current.summary = toJsonValue(options.summary);
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

  private target(memberKey: string | undefined): TrainingRecord {
    if (memberKey === undefined) return this.current;
    const member = this.current.members?.find((m) => m.key === memberKey);
    if (!member) throw new Error(`Run ${this.current.id} has no member "${memberKey}"`);
    return member;
  }

  private save(): Promise<void> {
    this.pending = true;
    this.writing = this.writing.then(async () => {
      if (!this.pending) return;
      this.pending = false;
      this.current.updatedAt = this.now().toISOString();
      const temp = `${this.file}.${process.pid}.${++tempCounter}.tmp`;
      try {
        await this.fs.writeFile(temp, JSON.stringify(this.current));
        await this.fs.rename(temp, this.file);
      } catch (error) {
        this.lastError = error as Error;
        await this.fs.unlink(temp).catch(() => undefined);
      }
    });
    return this.writing;
  }
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
      if (TEMP_FILE.test(name)) continue;
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
      if (result.ok) runs.push(listEntry(result.record, file));
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
