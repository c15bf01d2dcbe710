/**
 * The coordinator's side of data-parallel training over two workers: the trainer keeps the first part of every
 * batch and hands the rest to a replica worker through shared memory; both run forward and backward at once over
 * the same shared weights; the coordinator then adds the replica's gradients to its own (always in that order)
 * and steps the optimizer once. Batch norm normalizes each worker's rows with their own statistics, as PyTorch's
 * DistributedDataParallel does without SyncBatchNorm, and the running statistics are the coordinator's (DDP's
 * buffers broadcast from rank 0).
 */
import { shapeSize } from '../../protocol/layerShapes';
import type { Parameter } from '../nn/optim';
import { addGradient, coordinatorRows } from './reduce';
import { ReplicaState, SharedChannel } from './sharedMemory';
import { shareParameters, type ShareableNetwork } from './shareParameters';
import type { BatchSplit, MirroredLayer, ParallelModel, ReplicaHandle, ReplicaSpawner } from './types';

export type { ParallelModel } from './types';

/** A replica that neither answers nor fails for this long is taken for dead. */
const DEFAULT_STALL_MS = 60_000;
/** How long a replica may take to start (a worker thread loading the engine, from the TypeScript sources too). */
const DEFAULT_START_MS = 60_000;

export interface DataParallelOptions {
  stallMs?: number;
  startMs?: number;
}

export class DataParallel implements BatchSplit {
  readonly workers = 2;
  private channel: SharedChannel | undefined;
  private replica: ReplicaHandle | undefined;
  private helperGradients: Float32Array[] = [];
  private pendingSeq: number | undefined;
  private pendingRows = 0;
  private gone: string | undefined;
  private released = false;

  constructor(
    private readonly spawn: ReplicaSpawner,
    private readonly options: DataParallelOptions = {},
  ) {}

  /** Rows of a `batch` the coordinator keeps: the first half, rounded up. */
  ownRows(batch: number): number {
    return coordinatorRows(batch);
  }

  /** Moves the network's parameters onto shared memory and starts the replica on them. */
  attach(net: ShareableNetwork, model: ParallelModel): void {
    if (this.channel) throw new Error('The parallel trainer is attached once.');
    const targetWidth = model.task === 'classification' ? 1 : model.outputDim;
    const sizes = {
      layers: model.layers.length,
      parameterLengths: net.parameters.map((p) => p.value.length),
      maxRows: Math.max(1, model.maxBatch - this.ownRows(model.maxBatch)),
      inputDim: shapeSize(model.input),
      targetWidth,
      workers: this.workers,
    };
    const channel = SharedChannel.create(sizes);
    shareParameters(net, channel, 0, true);
    this.helperGradients = net.parameters.map((_, k) => channel.gradients(1, k));
    this.channel = channel;
    this.replica = this.spawn({
      buffer: channel.buffer,
      sizes,
      layers: model.layers,
      input: model.input,
      outputDim: model.outputDim,
      task: model.task,
      seed: model.seed,
      workers: this.workers,
      rank: 1,
    });
    this.replica.onExit((message) => {
      this.gone ??= message;
    });
  }

  /** Resolves once the replica built its network; rejects with why it could not. */
  ready(): Promise<void> {
    const channel = this.attached();
    const deadline = Date.now() + (this.options.startMs ?? DEFAULT_START_MS);
    return new Promise((resolve, reject) => {
      const poll = (): void => {
        const state = channel.state;
        if (state === ReplicaState.Ready) return resolve();
        if (state !== ReplicaState.Starting) return reject(new Error(this.failure(channel.failure())));
        if (this.gone !== undefined) return reject(new Error(this.failure(this.gone)));
        if (Date.now() > deadline) return reject(new Error(this.failure('it did not start in time')));
        setTimeout(poll, 5);
      };
      poll();
    });
  }

  /**
   * Hands rows [own, batch) of the batch to the replica and starts its step. `x` and `y` hold the batch's inputs
   * and targets row by row; `layers` the modes and rates in force.
   */
  startStep(
    x: Float32Array,
    y: Float32Array,
    batch: number,
    inputDim: number,
    targetWidth: number,
    layers: readonly MirroredLayer[],
  ): void {
    const channel = this.attached();
    if (this.gone !== undefined) throw new Error(this.failure(this.gone));
    const own = this.ownRows(batch);
    const rows = batch - own;
    this.pendingRows = rows;
    if (rows === 0) return;
    channel.inputs.set(x.subarray(own * inputDim, batch * inputDim));
    channel.targets.set(y.subarray(own * targetWidth, batch * targetWidth));
    for (let i = 0; i < layers.length; i++) {
      channel.modes[i] = layers[i]!.mode === 'eval' ? 1 : 0;
      channel.rates[i] = layers[i]!.rate ?? 0;
    }
    channel.results[2] = rows / batch;
    this.pendingSeq = channel.command(rows);
  }

  /** Waits for the replica's step and adds its gradients to `parameters`' (the coordinator's own, already scaled). */
  finishStep(parameters: readonly Parameter[]): { rows: number; loss: number; correct: number } {
    const channel = this.attached();
    const rows = this.pendingRows;
    if (rows === 0) return { rows, loss: 0, correct: 0 };
    const why = channel.awaitAnswer(this.pendingSeq!, this.options.stallMs ?? DEFAULT_STALL_MS);
    this.pendingSeq = undefined;
    if (why !== undefined) {
      this.gone ??= why;
      throw new Error(this.failure(why));
    }
    for (let k = 0; k < parameters.length; k++) addGradient(parameters[k]!.grad, this.helperGradients[k]!);
    return { rows, loss: channel.results[0]!, correct: channel.results[1]! };
  }

  /** Ends the replica: asked to quit, then its thread ended. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.channel?.quit();
    this.replica?.terminate();
  }

  private attached(): SharedChannel {
    if (!this.channel) throw new Error('The parallel trainer has no replica yet.');
    return this.channel;
  }

  private failure(why: string): string {
    return `The second engine worker stopped: ${why}. The run ends here; train again, or set dropoutLens.engine.workers to 1 (CLI --workers 1) to train on one worker.`;
  }
}
