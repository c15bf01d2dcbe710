/**
 * Training one model through the engine worker protocol, as experiments need it: epochs collected, final
 * metrics and weights kept, cancellation through an AbortSignal, and optionally a hook that runs on the
 * trained model (Monte Carlo passes, mode switches) before the worker is released.
 *
 * The `Launcher` hides where the engine runs: real worker threads by default, a fake in tests.
 */
import { availableParallelism } from 'node:os';
import type { EngineCommand, EngineEvent, EngineEventOf, StartOptions } from '../protocol/engine';
import type { LayerMode, ModelSpec } from '../protocol/modelSpec';
import type { FinalMetrics, LayerWeights, RunEpoch, RunRecordStatus } from '../runs/format';
import { EngineWorker, locateEngineWorker } from '../session/engineWorker';

/** What an experiment needs of an engine worker; `EngineWorker` is one. */
export interface EngineHandle {
  onEvent(listener: (event: EngineEvent) => void): { dispose(): void };
  send(command: EngineCommand): void;
  terminate(): Promise<void>;
}

/** Starts a fresh engine (one worker thread per training). */
export type Launcher = () => EngineHandle;

/** Real worker threads: the bundle `dist/worker.js` under `root`, else the TypeScript sources through tsx. */
export function workerLauncher(root: string): Launcher {
  const location = locateEngineWorker(root);
  return () => new EngineWorker(location);
}

/** Trainings run at once by default: one per core. */
export function defaultParallelism(): number {
  return Math.max(1, availableParallelism());
}

export type ReadyEvent = EngineEventOf<'ready'>;
export type BoundaryEvent = EngineEventOf<'boundary'>;
export type McResultEvent = EngineEventOf<'mcResult'>;

/** The trained model, paused before its last step, answering commands (see `TrainRequest.afterTraining`). */
export interface TrainedModel {
  readonly ready: ReadyEvent;
  /** N stochastic passes over the validation data. */
  mcInference(samples: number): Promise<McResultEvent>;
  /** `layer` absent: the whole model. */
  setMode(mode: LayerMode, layer?: number): void;
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
   * Runs once training has reached its last step (the model is paused one step before the end, fully
   * trained otherwise), before the worker finishes; its error is kept in `afterTrainingError`.
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
/** The most steps one `step` command takes. */
const MAX_STEP_CHUNK = 10_000;

let requestCounter = 0;

/** Trains one model to the end (or to a stop/failure). Never rejects. */
export function trainOnce(launcher: Launcher, request: TrainRequest): Promise<TrainOutcome> {
  return new Promise<TrainOutcome>((resolve) => {
    const outcome: TrainOutcome = { status: 'failed', epochs: [] };
    let errorMessage: string | undefined;
    let finished = false;
    let handle: EngineHandle;
    try {
      handle = launcher();
    } catch (error) {
      resolve({ status: 'failed', message: `Could not start the engine: ${(error as Error).message}`, epochs: [] });
      return;
    }
    const pendingMc = new Map<string, { resolve(e: McResultEvent): void; reject(e: Error): void }>();
    let killTimer: ReturnType<typeof setTimeout> | undefined;

    const finish = (status: TrainOutcome['status'], message?: string) => {
      if (finished) return;
      finished = true;
      subscription.dispose();
      request.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      for (const p of pendingMc.values()) p.reject(new Error('The engine finished before answering.'));
      pendingMc.clear();
      outcome.status = status;
      const text = message ?? errorMessage;
      if (text !== undefined) outcome.message = text;
      resolve(outcome);
    };

    const onAbort = () => {
      if (finished) return;
      handle.send({ type: 'stop' });
      killTimer = setTimeout(() => {
        void handle.terminate().catch(() => undefined);
        finish('stopped', 'Stopped.');
      }, STOP_GRACE_MS);
    };

    // afterTraining: the engine ends a session with `done` after its last epoch and the worker is released
    // then, so the hook runs before: start paused, step (in chunks) to one step before the end, run the
    // hook on the paused model, then resume for the last step, the last epoch and `done` with the weights.
    const wantsHook = request.afterTraining !== undefined;
    let phase: 'starting' | 'stepping' | 'hook' | 'finishing' = 'starting';
    let target = 0;
    let chunkEnd = 0;
    let stepped = 0;
    const sendChunk = (from: number) => {
      const count = Math.min(MAX_STEP_CHUNK, target - from);
      chunkEnd = from + count;
      handle.send({ type: 'step', count });
    };

    const model = (ready: ReadyEvent): TrainedModel => ({
      ready,
      mcInference: (samples) =>
        new Promise<McResultEvent>((res, rej) => {
          if (finished) {
            rej(new Error('The engine has finished.'));
            return;
          }
          const requestId = `mc-${++requestCounter}`;
          pendingMc.set(requestId, { resolve: res, reject: rej });
          handle.send({ type: 'mcInference', requestId, samples });
        }),
      setMode: (mode, layer) =>
        handle.send(layer === undefined ? { type: 'setMode', mode } : { type: 'setMode', layer, mode }),
    });

    const runHook = async (ready: ReadyEvent) => {
      phase = 'hook';
      try {
        await request.afterTraining!(model(ready));
      } catch (error) {
        outcome.afterTrainingError = (error as Error).message;
      }
      phase = 'finishing';
      if (!finished) handle.send({ type: 'resume' });
    };

    const subscription = handle.onEvent((event) => {
      request.onEvent?.(event);
      switch (event.type) {
        case 'ready': {
          outcome.ready = event;
          if (wantsHook) {
            target = request.spec.training.epochs * event.stepsPerEpoch - 1;
            if (target < 1) {
              phase = 'finishing';
              outcome.afterTrainingError = 'The training is too short to pause before its end.';
              handle.send({ type: 'resume' });
            } else {
              phase = 'stepping';
              sendChunk(0);
            }
          }
          break;
        }
        case 'step':
          // Paused stepping reports every step (counted here, whatever the engine's numbering): a chunk ends
          // after `chunkEnd` steps, the stepping after `target`.
          if (phase === 'stepping') {
            stepped++;
            if (stepped >= chunkEnd) {
              if (stepped >= target) {
                if (outcome.ready) void runHook(outcome.ready);
              } else sendChunk(stepped);
            }
          }
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
        case 'mcResult': {
          const p = pendingMc.get(event.requestId);
          if (p) {
            pendingMc.delete(event.requestId);
            p.resolve(event);
          }
          break;
        }
        case 'error':
          if (event.fatal || errorMessage === undefined) errorMessage = event.message;
          if (!event.fatal && phase === 'hook') {
            // A refused command during the hook: fail the oldest pending request.
            const first = pendingMc.entries().next();
            if (!first.done) {
              pendingMc.delete(first.value[0]);
              first.value[1].reject(new Error(event.message));
            }
          }
          break;
        case 'done':
          if (event.final)
            outcome.final = {
              train: event.final.train,
              validation: event.final.validation,
              validationTrainMode: event.final.validationTrainMode,
            };
          if (event.weights) outcome.weights = event.weights.map((w) => ({ layer: w.layer, W: w.W, b: w.b }));
          if (
            wantsHook &&
            phase !== 'finishing' &&
            outcome.afterTrainingError === undefined &&
            event.reason === 'completed'
          ) {
            outcome.afterTrainingError = 'The engine finished before the trained model could be queried.';
          }
          finish(
            event.reason,
            event.reason === 'completed'
              ? undefined
              : (errorMessage ?? (event.reason === 'stopped' ? 'Stopped.' : 'Training failed.')),
          );
          break;
        default:
          break;
      }
    });

    if (request.signal?.aborted) {
      finish('stopped', 'Stopped before it started.');
      void handle.terminate().catch(() => undefined);
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
      options: { streamHz: 0, workers: 1, ...(request.options ?? {}), ...(wantsHook ? { paused: true } : {}) },
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
