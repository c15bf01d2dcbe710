/**
 * The host's handle on one engine worker thread: typed commands in, typed events out, and a crash or an
 * unexpected exit turned into an `error` event plus `done`, so a caller never waits on a dead worker.
 * Used by the extension host, the CLI and the experiments alike.
 */
import { Worker } from 'node:worker_threads';
import type { EngineCommand, EngineEvent } from '../protocol/engine';
import { workerEntry, type WorkerLocation } from './projectRoot';

export type EngineEventListener = (event: EngineEvent) => void;

/** The engine worker: `dist/worker.js`, or `src/engine/worker.ts` from source (see workerEntry). */
export function locateEngineWorker(root: string): WorkerLocation {
  return workerEntry(root, 'worker.js', 'src/engine/worker.ts');
}

export interface EngineWorkerOptions {
  /**
   * Keep the worker after `done`: its session holds the trained model and answers `predict` until
   * `release()` (or `terminate()`). Without it the thread ends with `done`.
   */
  hold?: boolean;
}

/** Longest wait for a released worker to end its thread before it is terminated. */
const RELEASE_GRACE_MS = 2000;

export class EngineWorker {
  private readonly worker: Worker;
  private readonly listeners = new Set<EngineEventListener>();
  /** `held`: the training is done and the thread kept for inference; `ended`: no more events. */
  private state: 'live' | 'held' | 'ended' = 'live';
  private lastStep: number | undefined;
  /** The run's `done` event, once it has come: whenDone() after the end answers with it. */
  private done: Extract<EngineEvent, { type: 'done' }> | undefined;
  /** Raised with every stop or pause so the worker ends its training slice after the current step. */
  private readonly interrupt = new Int32Array(new SharedArrayBuffer(4));
  private readonly exited: Promise<void>;
  private releasing = false;

  constructor(
    location: WorkerLocation,
    private readonly options: EngineWorkerOptions = {},
  ) {
    this.worker = new Worker(location.file, {
      eval: location.eval ?? false,
      workerData: { interrupt: this.interrupt.buffer },
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (event: EngineEvent) => this.handle(event));
    this.worker.on('error', (error) => this.fail(`The engine worker crashed: ${error.message}`));
    this.worker.on('exit', (code) => {
      if (this.state !== 'ended' && !this.releasing)
        this.fail(`The engine worker exited unexpectedly (exit code ${code}).`);
    });
  }

  /** True once the training is over (`done`), held for inference or not. */
  get isFinished(): boolean {
    return this.state !== 'live';
  }

  onEvent(listener: EngineEventListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  send(command: EngineCommand): void {
    if (this.state === 'ended') return;
    if (command.type === 'stop' || command.type === 'pause') Atomics.store(this.interrupt, 0, 1);
    if (command.type === 'start' && command.csvBytes) {
      const bytes = command.csvBytes;
      // A view into a larger (e.g. pooled) buffer is copied: transferring would take the buffer from its other users.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      this.worker.postMessage({ ...command, csvBytes: own }, [own.buffer as ArrayBuffer]);
      return;
    }
    if (command.type === 'predict' && command.inputs) {
      this.worker.postMessage(command, [command.inputs.slice().buffer]);
      return;
    }
    this.worker.postMessage(command);
  }

  /** Resolves with the `done` event, whatever way the run ends (at once when it has ended already). */
  whenDone(): Promise<Extract<EngineEvent, { type: 'done' }>> {
    if (this.done) return Promise.resolve(this.done);
    return new Promise((resolve) => {
      const subscription = this.onEvent((event) => {
        if (event.type === 'done') {
          subscription.dispose();
          resolve(event);
        }
      });
    });
  }

  /**
   * Frees the held model and ends the thread (a run still training is stopped first, and posts `done`).
   * Resolves once the thread has ended.
   */
  async release(): Promise<void> {
    if (this.state === 'ended') return this.exited;
    this.releasing = true;
    this.worker.postMessage({ type: 'release' } satisfies EngineCommand);
    const timer = setTimeout(() => void this.terminate(), RELEASE_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  async terminate(): Promise<void> {
    this.state = 'ended';
    await this.worker.terminate();
  }

  private handle(event: EngineEvent): void {
    if (this.state === 'ended') return;
    if (event.type === 'step') this.lastStep = event.step;
    if (event.type === 'done') this.done = event;
    const ends = event.type === 'released' || (event.type === 'done' && !this.options.hold);
    if (event.type === 'done') this.state = 'held';
    if (ends) this.state = 'ended';
    for (const listener of [...this.listeners]) listener(event);
    if (event.type === 'done' && ends) void this.worker.terminate();
  }

  private fail(message: string): void {
    if (this.state === 'ended') return;
    const step = this.lastStep ?? 0;
    const training = this.state === 'live';
    this.handle({ type: 'error', code: 'internal', message, step, fatal: true });
    if (training) this.handle({ type: 'done', reason: 'failed', step, epoch: 0 });
    this.state = 'ended';
  }
}
