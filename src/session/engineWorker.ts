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

export class EngineWorker {
  private readonly worker: Worker;
  private readonly listeners = new Set<EngineEventListener>();
  private finished = false;
  private lastStep: number | undefined;
  /** Raised with every stop or pause so the worker ends its training slice after the current step. */
  private readonly interrupt = new Int32Array(new SharedArrayBuffer(4));

  constructor(location: WorkerLocation) {
    this.worker = new Worker(location.file, {
      eval: location.eval ?? false,
      workerData: { interrupt: this.interrupt.buffer },
    });
    this.worker.on('message', (event: EngineEvent) => this.handle(event));
    this.worker.on('error', (error) => this.fail(`The engine worker crashed: ${error.message}`));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.fail(`The engine worker exited unexpectedly (exit code ${code}).`);
    });
  }

  get isFinished(): boolean {
    return this.finished;
  }

  onEvent(listener: EngineEventListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  send(command: EngineCommand): void {
    if (this.finished) return;
    if (command.type === 'stop' || command.type === 'pause') Atomics.store(this.interrupt, 0, 1);
    if (command.type === 'start' && command.csvBytes) {
      const bytes = command.csvBytes;
      // A view into a larger (e.g. pooled) buffer is copied: transferring would take the buffer from its other users.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      this.worker.postMessage({ ...command, csvBytes: own }, [own.buffer as ArrayBuffer]);
      return;
    }
    this.worker.postMessage(command);
  }

  /** Resolves with the `done` event, whatever way the run ends. */
  whenDone(): Promise<Extract<EngineEvent, { type: 'done' }>> {
    return new Promise((resolve) => {
      const subscription = this.onEvent((event) => {
        if (event.type === 'done') {
          subscription.dispose();
          resolve(event);
        }
      });
    });
  }

  async terminate(): Promise<void> {
    this.finished = true;
    await this.worker.terminate();
  }

  private handle(event: EngineEvent): void {
    if (this.finished) return;
    if (event.type === 'step') this.lastStep = event.step;
    if (event.type === 'done') this.finished = true;
    for (const listener of [...this.listeners]) listener(event);
    if (event.type === 'done') void this.worker.terminate();
  }

  private fail(message: string): void {
    if (this.finished) return;
    const step = this.lastStep ?? 0;
    this.handle({ type: 'error', code: 'internal', message, step, fatal: true });
    this.handle({ type: 'done', reason: 'failed', step, epoch: 0 });
  }
}
