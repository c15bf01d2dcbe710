/**
 * The host's handle on a replay worker (src/engine/replaySession.ts). Lazy: no worker exists, and nothing is
 * retrained, until the first seek; that seek starts the worker on the finished run. Seeks coalesce: a new one
 * answers every earlier one still waiting with undefined at once, and while the worker prepares only the latest
 * waits to be sent. Each seek is answered with its frame, or with undefined when a later seek superseded it or the
 * worker failed. The worker does the work; the extension host only waits on messages.
 */
import type { EngineCommand, EngineEvent, ReplayFrame } from '../protocol/engine';
import { EngineWorker } from './engineWorker';
import type { WorkerLocation } from './projectRoot';

export type ReplayReady = Extract<EngineEvent, { type: 'replayReady' }>;
export type ReplayVerified = Extract<EngineEvent, { type: 'replayVerified' }>;
export type ReplayProgress = Extract<EngineEvent, { type: 'replayProgress' }>;
export type ReplayStart = Extract<EngineCommand, { type: 'replay' }>;
type Seek = Extract<EngineCommand, { type: 'seek' }>;

/** What the client needs of its worker: an EngineWorker (a test may wrap one to watch it). */
export interface ReplayWorker {
  readonly isFinished: boolean;
  onEvent(listener: (event: EngineEvent) => void): { dispose(): void };
  send(command: EngineCommand): void;
  terminate(): Promise<void>;
}

export type ReplayWorkerFactory = (location: WorkerLocation) => ReplayWorker;

export class ReplayClient {
  private worker: ReplayWorker | undefined;
  private readonly pending = new Map<string, (frame: ReplayFrame | undefined) => void>();
  /** The latest seek, held until the worker can take it. */
  private held: Seek | undefined;
  private seekable = false;
  private next = 0;
  private failure: string | undefined;
  private disposed = false;
  private readonly progressListeners: ((progress: ReplayProgress) => void)[] = [];
  private settle: (value: { ok: true; ready: ReplayReady } | { ok: false; message: string }) => void = () => undefined;
  private settleVerified: (value: ReplayVerified | undefined) => void = () => undefined;
  /** Resolves once the worker, started by the first seek, can seek; or with the reason it cannot. */
  readonly ready: Promise<{ ok: true; ready: ReplayReady } | { ok: false; message: string }>;
  /** Resolves when the replay reached the run's last step and compared it with the record; undefined if it failed. */
  readonly verified: Promise<ReplayVerified | undefined>;

  constructor(
    private readonly location: WorkerLocation,
    private readonly start: ReplayStart,
    private readonly createWorker: ReplayWorkerFactory = (where) => new EngineWorker(where),
  ) {
    this.ready = new Promise((resolve) => (this.settle = resolve));
    this.verified = new Promise((resolve) => (this.settleVerified = resolve));
  }

  /** Whether a seek started the worker. */
  get started(): boolean {
    return this.worker !== undefined;
  }

  /** Called as the worker reports how far it is on its way to a step. */
  onProgress(listener: (progress: ReplayProgress) => void): void {
    this.progressListeners.push(listener);
  }

  /** The frame at `step` (with the masks of the `window` steps up to it), or undefined when superseded or failed. */
  seek(step: number, window: number): Promise<ReplayFrame | undefined> {
    if (this.disposed || this.failure !== undefined || this.worker?.isFinished) return Promise.resolve(undefined);
    this.answerWaiting();
    const requestId = String(++this.next);
    const answer = new Promise<ReplayFrame | undefined>((resolve) => this.pending.set(requestId, resolve));
    const command: Seek = { type: 'seek', requestId, step, window };
    if (this.seekable) this.worker!.send(command);
    else {
      this.held = command;
      this.launch();
    }
    return answer;
  }

  private launch(): void {
    if (this.worker) return;
    const worker = this.createWorker(this.location);
    this.worker = worker;
    worker.onEvent((event) => this.handle(event));
    worker.send(this.start);
  }

  private handle(event: EngineEvent): void {
    if (event.type === 'replayReady') {
      this.seekable = true;
      this.settle({ ok: true, ready: event });
      const held = this.held;
      this.held = undefined;
      if (held) this.worker!.send(held);
    } else if (event.type === 'replayProgress') for (const listener of this.progressListeners) listener(event);
    else if (event.type === 'replayVerified') this.settleVerified(event);
    else if (event.type === 'replayFrame') {
      const resolve = this.pending.get(event.requestId);
      this.pending.delete(event.requestId);
      resolve?.(event.frame);
    } else if (event.type === 'error') {
      if (event.fatal) this.fail(event.message);
      // A refused seek: nothing will answer the seek waiting.
      else this.answerWaiting();
    } else if (event.type === 'done') this.fail(this.failure ?? 'The replay worker ended.');
  }

  private fail(message: string): void {
    this.failure ??= message;
    this.held = undefined;
    this.settle({ ok: false, message: this.failure });
    this.settleVerified(undefined);
    this.answerWaiting();
  }

  /** Answers every seek still waiting with undefined. */
  private answerWaiting(): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const resolve of waiting) resolve(undefined);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.held = undefined;
    this.answerWaiting();
    this.settle({ ok: false, message: 'The replay was closed.' });
    this.settleVerified(undefined);
    await this.worker?.terminate();
  }
}
