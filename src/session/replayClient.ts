/**
 * The host's handle on a replay worker (src/engine/replaySession.ts): starts it on a finished run, asks for steps,
 * and answers each seek with its frame, or with undefined when a later seek superseded it or the worker failed.
 * The worker does the work; the extension host only waits on messages.
 */
import type { EngineCommand, EngineEvent, ReplayFrame } from '../protocol/engine';
import { EngineWorker } from './engineWorker';
import type { WorkerLocation } from './projectRoot';

export type ReplayReady = Extract<EngineEvent, { type: 'replayReady' }>;
export type ReplayVerified = Extract<EngineEvent, { type: 'replayVerified' }>;
export type ReplayStart = Extract<EngineCommand, { type: 'replay' }>;

export class ReplayClient {
  private readonly worker: EngineWorker;
  private readonly pending = new Map<string, (frame: ReplayFrame | undefined) => void>();
  private next = 0;
  private failure: string | undefined;
  /** Resolves when the replay can seek, or with the reason it cannot (bad data, a crashed worker). */
  readonly ready: Promise<{ ok: true; ready: ReplayReady } | { ok: false; message: string }>;
  /** Resolves when the replay reached the run's last step and compared it with the record; undefined if it failed. */
  readonly verified: Promise<ReplayVerified | undefined>;

  constructor(location: WorkerLocation, start: ReplayStart) {
    this.worker = new EngineWorker(location);
    let settle: (value: { ok: true; ready: ReplayReady } | { ok: false; message: string }) => void = () => undefined;
    let verified: (value: ReplayVerified | undefined) => void = () => undefined;
    this.ready = new Promise((resolve) => (settle = resolve));
    this.verified = new Promise((resolve) => (verified = resolve));
    this.worker.onEvent((event) => {
      if (event.type === 'replayReady') settle({ ok: true, ready: event });
      else if (event.type === 'replayVerified') verified(event);
      else if (event.type === 'replayFrame') this.answer(event.requestId, event.frame);
      else if (event.type === 'error') {
        if (event.fatal) {
          this.failure ??= event.message;
          settle({ ok: false, message: event.message });
          verified(undefined);
        }
        // A refused seek: nothing will answer the seeks waiting.
        for (const id of [...this.pending.keys()]) this.answer(id, undefined);
      } else if (event.type === 'done') {
        settle({ ok: false, message: this.failure ?? 'The replay worker ended.' });
        verified(undefined);
        for (const id of [...this.pending.keys()]) this.answer(id, undefined);
      }
    });
    this.worker.send(start);
  }

  /** The frame at `step` (with the masks of the `window` steps up to it), or undefined when superseded or failed. */
  seek(step: number, window: number): Promise<ReplayFrame | undefined> {
    if (this.worker.isFinished) return Promise.resolve(undefined);
    const requestId = String(++this.next);
    const answer = new Promise<ReplayFrame | undefined>((resolve) => this.pending.set(requestId, resolve));
    this.worker.send({ type: 'seek', requestId, step, window });
    return answer;
  }

  /** Answers `requestId`, and every seek sent before it with undefined: the worker answers only the latest. */
  private answer(requestId: string, frame: ReplayFrame | undefined): void {
    const n = Number(requestId);
    for (const [id, resolve] of [...this.pending]) {
      if (Number(id) > n) continue;
      this.pending.delete(id);
      resolve(id === requestId ? frame : undefined);
    }
  }

  async dispose(): Promise<void> {
    for (const id of [...this.pending.keys()]) this.answer(id, undefined);
    await this.worker.terminate();
  }
}
