/**
 * Training one model through the engine worker protocol, as experiments need it: epochs collected, final
 * metrics and weights kept, cancellation through an AbortSignal, and optionally a hook that runs on the
 * trained model, held by its finished session (predictions in any mode), before the session is released.
 *
 * The `Launcher` hides where the engine runs: real worker threads by default, a fake in tests.
 */
import { availableParallelism } from 'node:os';
import type {
  EngineCommand,
  EngineEvent,
  EngineEventOf,
  PredictCommand,
  PredictionEvent,
  StartOptions,
} from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import type { FinalMetrics, LayerWeights, RunEpoch, RunRecordStatus } from '../runs/format';
import { EngineWorker, locateEngineWorker } from '../session/engineWorker';

/** What an experiment needs of an engine worker; `EngineWorker` (held, see `workerLauncher`) is one. */
export interface EngineHandle {
  onEvent(listener: (event: EngineEvent) => void): { dispose(): void };
  send(command: EngineCommand): void;
  /** Frees a finished session's model (and its thread). */
  release(): Promise<void>;
  terminate(): Promise<void>;
}

/** Starts a fresh engine (one worker thread per training) whose session is held after `done` until released. */
export type Launcher = () => EngineHandle;

/** Real worker threads: the bundle `dist/worker.js` under `root`, else the TypeScript sources through tsx. */
export function workerLauncher(root: string): Launcher {
  const location = locateEngineWorker(root);
  return () => new EngineWorker(location, { hold: true });
}

/** Trainings run at once by default: one per core. */
export function defaultParallelism(): number {
  return Math.max(1, availableParallelism());
}

export type ReadyEvent = EngineEventOf<'ready'>;
export type BoundaryEvent = EngineEventOf<'boundary'>;
export type DoneEvent = EngineEventOf<'done'>;
export type { PredictionEvent };

/** What a prediction asks for: `PredictCommand` without its type and request id. */
export type PredictRequest = Omit<PredictCommand, 'type' | 'requestId'>;

/** The trained model, held by its finished engine session (see `TrainRequest.afterTraining`). */
export interface TrainedModel {
  readonly ready: ReadyEvent;
  /** The last decision-boundary snapshot (2-D inputs), if the engine sent one. */
  readonly boundary?: BoundaryEvent;
  /** Passes over the validation split or the given inputs, in the request's modes. */
  predict(request: PredictRequest): Promise<PredictionEvent>;
}

export interface TrainRequest {
  spec: ModelSpec;
  csvText?: string;
  /** Or the CSV's path, streamed by the worker. */
  csvPath?: string;
  options?: StartOptions;
  signal?: AbortSignal;
  onEpoch?(epoch: RunEpoch): void;
  onEvent?(event: EngineEvent): void;
  /**
   * Runs on the trained model once its training has completed, before the session is released; its error is
   * kept in `afterTrainingError`.
   */
  afterTraining?(model: TrainedModel): Promise<void>;
}

export interface TrainOutcome {
  status: Exclude<RunRecordStatus, 'running'>;
  message?: string;
  ready?: ReadyEvent;
  epochs: RunEpoch[];
  final?: FinalMetrics;
  weights?: LayerWeights[];
  /** The last decision-boundary snapshot (2-D inputs), if the engine sent one. */
  boundary?: BoundaryEvent;
  /** Set when `afterTraining` could not run or failed. */
  afterTrainingError?: string;
}

/** Grace period for a worker to honour `stop` before it is terminated. */
const STOP_GRACE_MS = 3000;

let requestCounter = 0;

/** Trains one model to the end (or to a stop/failure), runs `afterTraining` on it, releases it. Never rejects. */
export function trainOnce(launcher: Launcher, request: TrainRequest): Promise<TrainOutcome> {
  return new Promise<TrainOutcome>((resolve) => {
    const outcome: TrainOutcome = { status: 'failed', epochs: [] };
    let errorMessage: string | undefined;
    let finished = false;
    let trained = false;
    let handle: EngineHandle;
    try {
      handle = launcher();
    } catch (error) {
      resolve({ status: 'failed', message: `Could not start the engine: ${(error as Error).message}`, epochs: [] });
      return;
    }
    const pending = new Map<string, { resolve(e: PredictionEvent): void; reject(e: Error): void }>();
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const rejectPending = (message: string) => {
      for (const p of pending.values()) p.reject(new Error(message));
      pending.clear();
    };

    const finish = (status: TrainOutcome['status'], message?: string) => {
      if (finished) return;
      finished = true;
      request.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      rejectPending('The engine was released before answering.');
      outcome.status = status;
      const text = message ?? errorMessage;
      if (text !== undefined) outcome.message = text;
      // The session is released before the outcome is given, so no thread outlives the training.
      void handle
        .release()
        .catch(() => handle.terminate())
        .catch(() => undefined)
        .finally(() => {
          subscription.dispose();
          resolve(outcome);
        });
    };

    const onAbort = () => {
      if (finished) return;
      if (trained) {
        finish('stopped', 'Stopped.');
        return;
      }
      handle.send({ type: 'stop' });
      killTimer = setTimeout(() => {
        void handle.terminate().catch(() => undefined);
        finish('stopped', 'Stopped.');
      }, STOP_GRACE_MS);
    };

    const model = (ready: ReadyEvent): TrainedModel => ({
      ready,
      ...(outcome.boundary ? { boundary: outcome.boundary } : {}),
      predict: (predict) =>
        new Promise<PredictionEvent>((res, rej) => {
          if (finished) {
            rej(new Error('The engine has been released.'));
            return;
          }
          const requestId = `predict-${++requestCounter}`;
          pending.set(requestId, { resolve: res, reject: rej });
          handle.send({ type: 'predict', requestId, ...predict });
        }),
    });

    const runHook = async (ready: ReadyEvent, status: TrainOutcome['status']) => {
      try {
        await request.afterTraining!(model(ready));
      } catch (error) {
        outcome.afterTrainingError = (error as Error).message;
      }
      finish(status);
    };

    const subscription = handle.onEvent((event) => {
      request.onEvent?.(event);
      switch (event.type) {
        case 'ready':
          outcome.ready = event;
          break;
        case 'epoch': {
          const epoch: RunEpoch = {
            epoch: event.epoch,
            lr: event.lr,
            train: event.train,
            validation: event.validation,
            validationTrainMode: event.validationTrainMode,
          };
          outcome.epochs.push(epoch);
          request.onEpoch?.(epoch);
          break;
        }
        case 'boundary':
          outcome.boundary = event;
          break;
        case 'prediction': {
          const p = pending.get(event.requestId);
          if (p) {
            pending.delete(event.requestId);
            p.resolve(event);
          }
          break;
        }
        case 'error': {
          const p = event.requestId !== undefined ? pending.get(event.requestId) : undefined;
          if (p) {
            pending.delete(event.requestId!);
            p.reject(new Error(event.message));
            break;
          }
          if (event.fatal || errorMessage === undefined) errorMessage = event.message;
          if (event.fatal) rejectPending(event.message);
          break;
        }
        case 'done': {
          if (event.final)
            outcome.final = {
              train: event.final.train,
              validation: event.final.validation,
              validationTrainMode: event.final.validationTrainMode,
            };
          if (event.weights) outcome.weights = event.weights.map((w) => ({ layer: w.layer, W: w.W, b: w.b }));
          const message =
            event.reason === 'completed'
              ? undefined
              : (errorMessage ?? (event.reason === 'stopped' ? 'Stopped.' : 'Training failed.'));
          if (request.afterTraining && event.reason === 'completed' && outcome.ready && !finished) {
            trained = true;
            void runHook(outcome.ready, event.reason);
          } else finish(event.reason, message);
          break;
        }
        default:
          break;
      }
    });

    if (request.signal?.aborted) {
      finish('stopped', 'Stopped before it started.');
      return;
    }
    request.signal?.addEventListener('abort', onAbort);
    handle.send({
      type: 'start',
      version: 1,
      spec: request.spec,
      ...(request.csvText !== undefined
        ? { csvText: request.csvText }
        : request.csvPath !== undefined
          ? { csvPath: request.csvPath }
          : {}),
      // Experiments train several runs at once already: one worker each, unless a caller asks for more.
      options: { streamHz: 0, workers: 1, ...(request.options ?? {}) },
    });
  });
}

/** Runs tasks with at most `cap` at once, in order of start. */
export async function runPool<T>(tasks: readonly (() => Promise<T>)[], cap: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(cap, tasks.length)) }, async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  });
  await Promise.all(lanes);
  return results;
}
