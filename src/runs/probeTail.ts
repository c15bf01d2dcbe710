/**
 * Follows a probe run folder while its script runs: reads what each rank file gained since the last poll (by byte
 * offset; a rotated file's rest is read from its `.1` part), keeps a bounded window of records per rank, and
 * rereads `run.json`. The extension polls it into the run panel and the Problems panel; it works wherever the
 * extension host reads the disk the script writes to (Remote-SSH, dev containers).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MASK_HISTORY } from '../protocol/webview';
import { PROBE_RANK_FILE, parseProbeRun, type ProbeRunRecord } from './probe';
import { rankOfRecords, type RankRecords } from './probeView';

interface FileState {
  /** Bytes read: always the end of a complete line. */
  offset: number;
  /** header, rank and model records: kept. */
  fixed: Record<string, unknown>[];
  /** fwd records: the latest only. */
  forwards: Record<string, unknown>[];
  findings: Record<string, unknown>[];
  summary?: Record<string, unknown>;
}

const MAX_FINDINGS = 500;
const MAX_READ = 8 * 1024 * 1024;

export class ProbeTail {
  private readonly files = new Map<string, FileState>();
  record: ProbeRunRecord | undefined;

  constructor(
    readonly folder: string,
    private readonly keepForwards = MASK_HISTORY * 2,
  ) {}

  /** Reads what is new. True when anything changed. */
  poll(): boolean {
    let changed = this.readRun();
    let names: string[];
    try {
      names = readdirSync(this.folder).filter((n) => PROBE_RANK_FILE.test(n));
    } catch {
      return changed;
    }
    for (const name of names.sort()) if (this.readFile(name)) changed = true;
    return changed;
  }

  ranks(): RankRecords[] {
    return [...this.files.entries()].map(([name, f]) => {
      const records = [...f.fixed, ...f.forwards, ...f.findings, ...(f.summary ? [f.summary] : [])];
      return { rank: rankOfRecords(f.fixed, name), records };
    });
  }

  private readRun(): boolean {
    try {
      const parsed = parseProbeRun(readFileSync(join(this.folder, 'run.json'), 'utf8'));
      if (!parsed.ok) return false;
      const changed = parsed.record.updatedAt !== this.record?.updatedAt || parsed.record.status !== this.record.status;
      this.record = parsed.record;
      return changed;
    } catch {
      return false;
    }
  }

  private readFile(name: string): boolean {
    const path = join(this.folder, name);
    let state = this.files.get(name);
    if (!state) {
      state = { offset: 0, fixed: [], forwards: [], findings: [] };
      this.files.set(name, state);
    }
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return false;
    }
    let text = '';
    if (size < state.offset) {
      // Rotated: the old part is now `.1`; read its rest, then the new file from its start.
      const rotated = `${path}.1`;
      if (existsSync(rotated)) text += completeLines(readFrom(rotated, state.offset)).text;
      state.offset = 0;
    }
    if (size > state.offset) {
      const { text: lines, bytes } = completeLines(
        readFrom(path, state.offset, Math.min(size - state.offset, MAX_READ)),
      );
      state.offset += bytes;
      text += lines;
    }
    if (text === '') return false;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
      const r = value as Record<string, unknown>;
      switch (r['t']) {
        case 'fwd':
          state.forwards.push(r);
          if (state.forwards.length > this.keepForwards)
            state.forwards.splice(0, state.forwards.length - this.keepForwards);
          break;
        case 'finding':
          if (state.findings.length < MAX_FINDINGS) state.findings.push(r);
          break;
        case 'summary':
          state.summary = r;
          break;
        case 'header':
        case 'rank':
        case 'model':
          state.fixed.push(r);
          break;
      }
    }
    return true;
  }
}

/** Bytes of `path` from `offset`, at most `length`. */
function readFrom(path: string, offset: number, length = MAX_READ): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const n = readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The complete lines of a chunk (up to its last newline; a record being written stays for the next poll). */
function completeLines(chunk: Buffer): { text: string; bytes: number } {
  const end = chunk.lastIndexOf(0x0a);
  return end < 0 ? { text: '', bytes: 0 } : { text: chunk.subarray(0, end + 1).toString('utf8'), bytes: end + 1 };
}
