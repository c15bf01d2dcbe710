/**
 * The engine's side of the worker protocol: takes EngineCommands, trains in short slices so commands are
 * handled between steps, and posts EngineEvents. A finished session (completed or stopped) holds its model
 * and answers `predict` until `release`. Pure: the worker entry (worker.ts) supplies `post`,
 * the scheduler and the interrupt flag, and tests drive it directly.
 */
import type { EngineCommand, EngineEvent, Metrics, PredictCommand, StartOptions } from '../protocol/engine';
import { ENGINE_PROTOCOL_VERSION } from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import { isDropRate, parsePredictCommand } from '../protocol/validate';
import { loadDataset, type CsvSource } from './data';
import { chooseWorkers } from './parallel/choice';
import { DataParallel } from './parallel/dataParallel';
import type { ReplicaHost } from './parallel/types';
import { createTrainer, type Trainer } from './trainer';

export type Post = (event: EngineEvent, transfer?: ArrayBuffer[]) => void;

export interface SessionHost {
  post: Post;
  /** Runs `fn` after pending messages were handled (setImmediate in a worker). */
  schedule(fn: () => void): void;
  /** True when the host has asked for a stop or pause that has not been handled yet (a shared flag). */
  interrupted?(): boolean;
  now?(): number;
  /**
   * Streams a file's bytes to `onChunk` (synchronously; throws with a message saying why it cannot). Hosts
   * that can read files supply it (the worker entry, the CLI); a `start` with `csvPath` needs it.
   */
  readFile?(path: string, onChunk: (bytes: Uint8Array, totalBytes: number) => void): void;
  /** How to start a second engine worker for data-parallel training; hosts without threads leave it out. */
  replicas?: ReplicaHost;
}

/** Least time between two `loading` events, and before the first. */
const LOADING_INTERVAL_MS = 250;

/** Shortest wall time between two decision-boundary snapshots. */
const BOUNDARY_INTERVAL_MS = 200;
/** Longest slice of steps between two looks at the message queue. */
const SLICE_MS = 8;
/** Loss beyond this many times the first step's loss (and at least this absolute value) counts as divergence. */
const DIVERGENCE_FACTOR = 1e4;
const DIVERGENCE_FLOOR = 1e4;

export class EngineSession {
  private trainer: Trainer | undefined;
  private spec: ModelSpec | undefined;
  private options: Required<StartOptions> = {
    streamHz: 30,
    paused: false,
    boundaryEvery: 1,
    boundaryResolution: 48,
    workers: 'auto',
  };
  /** `finished`: the run is over and its model held for `predict` until `release`. */
  private state: 'idle' | 'starting' | 'running' | 'paused' | 'finished' | 'released' = 'idle';
  private doneReason: 'completed' | 'stopped' | 'failed' | undefined;
  private parallel: DataParallel | undefined;
  private stopRequested = false;
  private scheduled = false;
  private firstLoss: number | undefined;
  private lastStream = -Infinity;
  private lastStepEvent = -Infinity;
  private lastBoundary = -Infinity;
  private stepsInWindow = 0;
  private windowStart = 0;
  private stepsPerSecond = 0;
  private final: { train: Metrics; validation: Metrics; validationTrainMode: Metrics } | undefined;

  constructor(private readonly host: SessionHost) {}

  /** The start command's CSV: its text or bytes as sent (parsed in chunks), or its file, streamed. */
  private csvOf(command: Extract<EngineCommand, { type: 'start' }>): CsvSource | undefined {
    if (command.csvPath === undefined) return command.csvText ?? command.csvBytes;
    const host = this.host;
    if (!host.readFile) throw new Error('This engine host cannot read files: send the CSV as text or bytes.');
    const read = host.readFile.bind(host);
    const path = command.csvPath;
    // A feed: the file is read twice, to count its rows, then into the split; its progress is posted.
    const start = this.now();
    let last = start;
    let pass = 0;
    return (sink) => {
      pass++;
      let bytesRead = 0;
      read(path, (bytes, totalBytes) => {
        sink.pushBytes(bytes);
        bytesRead += bytes.length;
        const now = this.now();
        if (now - last < LOADING_INTERVAL_MS) return;
        last = now;
        const fraction = Math.min(1, ((pass - 1) * totalBytes + bytesRead) / (2 * Math.max(1, totalBytes)));
        this.post({ type: 'loading', fraction, totalBytes });
      });
    };
  }

  private now(): number {
    return this.host.now?.() ?? performance.now();
  }

  handle(command: EngineCommand): void {
    try {
      this.dispatch(command);
    } catch (error) {
      this.post({
        type: 'error',
        code: 'internal',
        message: errorMessage(error),
        ...(this.trainer ? { step: this.trainer.step } : {}),
        fatal: false,
      });
    }
  }

  private dispatch(command: EngineCommand): void {
    if (command.type === 'start') return this.start(command);
    if (command.type === 'predict') return this.predict(command);
    if (command.type === 'release') return this.release();
    const trainer = this.trainer;
    if (!trainer || this.state === 'finished' || this.state === 'released') {
      this.post({
        type: 'error',
        code: 'invalid-command',
        message:
          this.state === 'released'
            ? `"${command.type}": this session was released; start a new one.`
            : this.state === 'finished'
              ? `"${command.type}": the training has finished; a finished session answers only "predict" and "release".`
              : `"${command.type}" needs a running session; send "start" first.`,
        fatal: false,
      });
      return;
    }
    switch (command.type) {
      case 'pause':
        if (this.state === 'running') {
          this.state = 'paused';
          this.post({ type: 'paused', step: trainer.step });
        }
        return;
      case 'resume':
        if (this.state === 'paused') {
          this.state = 'running';
          this.post({ type: 'resumed', step: trainer.step });
          this.scheduleSlice();
        }
        return;
      case 'step': {
        if (this.state !== 'paused') {
          this.post({
            type: 'error',
            code: 'invalid-command',
            message: 'Single steps are taken while paused; pause first.',
            fatal: false,
          });
          return;
        }
        const count = Math.max(1, Math.min(10_000, Math.floor(command.count ?? 1)));
        for (let i = 0; i < count && this.state === 'paused'; i++) this.trainOneStep(true);
        return;
      }
      case 'stop':
        this.stopRequested = true;
        if (this.state === 'paused') this.finish('stopped');
        return;
      case 'setMode':
        trainer.setMode(command.layer, command.mode);
        this.post({
          type: 'modes',
          layers: trainer.layers.map((l) => ({ layer: l.index, mode: l.mode })),
          step: trainer.step,
        });
        return;
      case 'setRate':
        if (!isDropRate(command.rate)) {
          this.post({
            type: 'error',
            code: 'invalid-command',
            message: `A dropout rate must be in [0, 1); got ${command.rate}.`,
            fatal: false,
          });
          return;
        }
        trainer.setRate(command.layer, command.rate);
        this.post({ type: 'rate', layer: command.layer, rate: command.rate, step: trainer.step });
        return;
      default:
        this.post({
          type: 'error',
          code: 'invalid-command',
          message: `Unknown command ${JSON.stringify((command as { type?: unknown }).type)}.`,
          fatal: false,
        });
    }
  }

  /** Inference on the model as it is: between training steps, or held after `done`. */
  private predict(command: PredictCommand): void {
    const refuse = (message: string) =>
      this.post({
        type: 'error',
        code: 'invalid-command',
        message,
        fatal: false,
        ...(typeof command.requestId === 'string' ? { requestId: command.requestId } : {}),
      });
    const parsed = parsePredictCommand(command);
    if (!parsed.ok) return refuse(`${parsed.error}.`);
    const trainer = this.trainer;
    if (this.state === 'released') return refuse('"predict": this session was released: its model is gone.');
    if (!trainer) return refuse('"predict" needs a model: send "start" first.');
    if (this.doneReason === 'failed')
      return refuse('"predict": the training failed, so there is no model to predict with.');
    const request = parsed.value;
    let result;
    try {
      result = trainer.predict({
        passes: request.passes,
        mode: request.mode,
        ...(request.layers ? { layers: request.layers } : {}),
        ...(request.inputs ? { inputs: request.inputs } : {}),
        perPass: request.output === 'passes',
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
      });
    } catch (error) {
      return refuse(`"predict": ${errorMessage(error)}`);
    }
    const { perPass, passAccuracy, ...rest } = result;
    this.post(
      {
        type: 'prediction',
        requestId: request.requestId,
        ...rest,
        ...(perPass ? { perPass } : {}),
        ...(passAccuracy ? { passAccuracy } : {}),
      },
      [result.mean, result.variance, ...(perPass ? [perPass] : []), ...(passAccuracy ? [passAccuracy] : [])].map(
        (a) => a.buffer as ArrayBuffer,
      ),
    );
  }

  /** Frees the model (a run still training is stopped first); every later command but a refused `start` gets an error. */
  private release(): void {
    if (this.state === 'running' || this.state === 'paused') this.finish('stopped');
    this.state = 'released';
    this.trainer = undefined;
    this.post({ type: 'released' });
  }

  private start(command: Extract<EngineCommand, { type: 'start' }>): void {
    if (this.state !== 'idle') {
      this.post({
        type: 'error',
        code: 'invalid-command',
        message: 'This worker already runs a session; start a new worker for a new run.',
        fatal: false,
      });
      return;
    }
    if (command.version !== ENGINE_PROTOCOL_VERSION) {
      this.fail(
        'invalid-command',
        `Protocol version ${command.version} is not supported (expected ${ENGINE_PROTOCOL_VERSION}).`,
      );
      return;
    }
    this.options = { ...this.options, ...command.options };
    this.spec = command.spec;
    let data;
    try {
      data = loadDataset(command.spec.data, command.spec.seed, this.csvOf(command));
    } catch (error) {
      this.fail('invalid-data', errorMessage(error));
      return;
    }
    try {
      this.trainer = createTrainer(command.spec, data);
    } catch (error) {
      this.fail('invalid-config', errorMessage(error));
      return;
    }
    try {
      this.parallel = this.distribute(this.trainer);
    } catch (error) {
      this.fail('invalid-config', errorMessage(error));
      return;
    }
    this.state = 'starting';
    if (!this.parallel) return this.begin();
    // The replica thread starts while this one keeps handling messages; training begins once it is ready.
    this.parallel.ready().then(
      () => this.begin(),
      (error: unknown) => this.fail('internal', errorMessage(error)),
    );
  }

  /** The second worker, when the start option or 'auto' asks for it (see parallel/choice.ts). */
  private distribute(trainer: Trainer): DataParallel | undefined {
    const replicas = this.host.replicas;
    const size = {
      batch: Math.min(this.spec!.training.batchSize, trainer.trainSize),
      parameters: trainer.parameterCount,
    };
    if (chooseWorkers(this.options.workers, size, replicas?.cores ?? 1) === 1) return undefined;
    if (!replicas)
      throw new Error('This engine host cannot start a second worker: train on one (workers: 1 or "auto").');
    const parallel = new DataParallel(
      replicas.spawn,
      replicas.stallMs !== undefined ? { stallMs: replicas.stallMs } : {},
    );
    trainer.distribute(parallel);
    return parallel;
  }

  private begin(): void {
    if (this.state !== 'starting') return;
    const t = this.trainer!;
    this.post({
      type: 'ready',
      version: ENGINE_PROTOCOL_VERSION,
      layers: t.layers,
      inputDim: t.inputDim,
      outputDim: t.outputDim,
      task: t.task,
      trainSize: t.trainSize,
      validationSize: t.validationSize,
      stepsPerEpoch: t.stepsPerEpoch,
      parameterCount: t.parameterCount,
      ...(t.workers > 1 ? { workers: t.workers } : {}),
    });
    if (this.stopRequested) return this.finish('stopped');
    this.windowStart = this.now();
    this.state = this.options.paused ? 'paused' : 'running';
    if (this.state === 'paused') this.post({ type: 'paused', step: 0 });
    else this.scheduleSlice();
  }

  private scheduleSlice(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.host.schedule(() => {
      this.scheduled = false;
      this.slice();
    });
  }

  private slice(): void {
    const deadline = this.now() + SLICE_MS;
    while (this.state === 'running') {
      if (this.stopRequested) return this.finish('stopped');
      this.trainOneStep(false);
      // A pending stop or pause ends the slice after this very step, so it takes effect within one step.
      if (this.host.interrupted?.() || this.now() >= deadline) break;
    }
    if (this.stopRequested && this.state !== 'finished') return this.finish('stopped');
    if (this.state === 'running') this.scheduleSlice();
  }

  private trainOneStep(single: boolean): void {
    const trainer = this.trainer!;
    let stepped;
    try {
      stepped = trainer.trainStep();
    } catch (error) {
      // A step that throws (above all: a parallel run's second worker stopped) ends the run, saying why.
      this.fail('internal', errorMessage(error), trainer.step);
      return;
    }
    const { loss, accuracy, epochCompleted } = stepped;
    if (!Number.isFinite(loss)) {
      this.fail(
        'nan-loss',
        `The training loss became ${loss} at step ${trainer.step} (epoch ${trainer.epoch + 1}). Lower the learning rate, or check the data for extreme values.`,
        trainer.step,
      );
      return;
    }
    const firstLoss = (this.firstLoss ??= loss);
    if (loss > DIVERGENCE_FLOOR && loss > DIVERGENCE_FACTOR * firstLoss) {
      this.fail(
        'diverged',
        `Training diverged at step ${trainer.step}: the loss grew from ${firstLoss.toPrecision(3)} to ${loss.toPrecision(3)}. Lower the learning rate or add a max-norm constraint.`,
        trainer.step,
      );
      return;
    }
    const now = this.now();
    this.stepsInWindow++;
    if (now - this.windowStart >= 500) {
      this.stepsPerSecond = (1000 * this.stepsInWindow) / (now - this.windowStart);
      this.stepsInWindow = 0;
      this.windowStart = now;
    }
    const streamEvery = this.options.streamHz > 0 ? 1000 / this.options.streamHz : Infinity;
    if (single || epochCompleted || now - this.lastStepEvent >= streamEvery / 2) {
      this.lastStepEvent = now;
      this.post({
        type: 'step',
        step: trainer.step,
        epoch: trainer.epoch,
        loss,
        ...(accuracy !== undefined ? { accuracy } : {}),
        lr: trainer.lr,
        stepsPerSecond: this.stepsPerSecond,
      });
    }
    if (single || now - this.lastStream >= streamEvery) {
      this.lastStream = now;
      this.streamMasks();
    }
    if (epochCompleted) this.endEpoch();
  }

  private streamMasks(): void {
    const trainer = this.trainer!;
    const masks = trainer.masks().map((m) => ({ ...m, bits: m.bits.slice() }));
    this.post(
      { type: 'masks', step: trainer.step, layers: masks },
      masks.map((m) => m.bits.buffer),
    );
    const stats = trainer.activationStats();
    this.post(
      { type: 'activations', step: trainer.step, layers: stats },
      stats.flatMap((s) => [s.histogram.before.buffer as ArrayBuffer, s.histogram.after.buffer as ArrayBuffer]),
    );
    for (const maps of trainer.featureMaps())
      this.post(maps, [maps.before.buffer as ArrayBuffer, maps.after.buffer as ArrayBuffer]);
  }

  private endEpoch(): void {
    const trainer = this.trainer!;
    const train = trainer.evaluate('train', 'eval');
    const validation = trainer.evaluate('validation', 'eval');
    const validationTrainMode = trainer.evaluate('validation', 'train');
    this.final = { train, validation, validationTrainMode };
    this.post({
      type: 'epoch',
      epoch: trainer.epoch,
      step: trainer.step,
      lr: trainer.lr,
      train,
      validation,
      validationTrainMode,
    });
    const every = this.options.boundaryEvery;
    const last = trainer.epoch >= this.spec!.training.epochs;
    // Tiny models finish hundreds of epochs a second: a few pictures a second are all an eye can follow.
    const due = this.now() - this.lastBoundary >= BOUNDARY_INTERVAL_MS || last;
    if (every > 0 && trainer.epoch % every === 0 && due) {
      this.lastBoundary = this.now();
      const boundary = trainer.decisionBoundary(this.options.boundaryResolution);
      if (boundary)
        this.post(
          { type: 'boundary', epoch: trainer.epoch, resolution: this.options.boundaryResolution, ...boundary },
          [
            boundary.classes.buffer as ArrayBuffer,
            boundary.confidence.buffer as ArrayBuffer,
            boundary.points.buffer as ArrayBuffer,
            boundary.labels.buffer as ArrayBuffer,
          ],
        );
    }
    if (last) this.finish('completed');
  }

  private finish(reason: 'completed' | 'stopped' | 'failed'): void {
    if (this.state === 'finished' || this.state === 'released') return;
    this.state = 'finished';
    this.parallel?.release();
    this.doneReason = reason;
    const trainer = this.trainer;
    if (!trainer) {
      this.post({ type: 'done', reason, step: 0, epoch: 0 });
      return;
    }
    const weights = reason === 'failed' ? undefined : trainer.weights();
    this.post(
      {
        type: 'done',
        reason,
        step: trainer.step,
        epoch: trainer.epoch,
        ...(this.final ? { final: this.final } : {}),
        ...(weights ? { weights } : {}),
      },
      weights?.flatMap((w) => [w.W.buffer as ArrayBuffer, w.b.buffer as ArrayBuffer]),
    );
  }

  private fail(
    code: 'invalid-config' | 'invalid-data' | 'invalid-command' | 'nan-loss' | 'diverged' | 'internal',
    message: string,
    step?: number,
  ): void {
    this.post({
      type: 'error',
      code,
      message,
      ...(step !== undefined ? { step, epoch: this.trainer?.epoch ?? 0 } : {}),
      fatal: true,
    });
    this.finish('failed');
  }

  private post(event: EngineEvent, transfer?: ArrayBuffer[]): void {
    this.host.post(event, transfer);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
