/**
 * What the parallel trainer asks of its host: a way to start a replica worker. The worker entry supplies it
 * (worker_threads in Node; a Web Worker would do the same with postMessage), so the engine itself stays free of
 * any runtime's thread API.
 */
import type { LayerShape } from '../../protocol/layerShapes';
import type { LayerMode, LayerSpec } from '../../protocol/modelSpec';
import type { SplitState } from '../checkpoint';
import type { Parameter } from '../nn/optim';
import type { ShareableNetwork } from './shareParameters';
import type { LayoutSizes } from './sharedMemory';

/** Everything a replica needs: it builds the same network over the shared weights and waits for steps. */
export interface ReplicaInit {
  buffer: SharedArrayBuffer;
  sizes: LayoutSizes;
  layers: LayerSpec[];
  /** A flat input's width, or an image's [C, H, W]. */
  input: LayerShape;
  outputDim: number;
  task: 'classification' | 'regression';
  seed: number;
  workers: number;
  rank: number;
}

export interface ReplicaHandle {
  /** Called once if the replica's thread ends or fails on its own, with what happened. */
  onExit(listener: (message: string) => void): void;
  terminate(): void;
}

export type ReplicaSpawner = (init: ReplicaInit) => ReplicaHandle;

/** The host's offer: how to start replicas, and how many cores this process may use. */
export interface ReplicaHost {
  spawn: ReplicaSpawner;
  cores: number;
  /** How long a step may wait on a silent replica before the run ends (default 60 s). */
  stallMs?: number;
}

/** The model a split builds its other workers' networks for. */
export interface ParallelModel {
  layers: LayerSpec[];
  input: LayerShape;
  outputDim: number;
  task: 'classification' | 'regression';
  seed: number;
  /** The largest batch a step takes. */
  maxBatch: number;
}

/** A layer as the other workers mirror it before each step. */
export interface MirroredLayer {
  mode: LayerMode;
  rate?: number;
}

/**
 * A trainer's batch split over workers (data parallelism): the coordinator keeps the first `ownRows` of every
 * batch; the split runs the rest on the other worker and adds its gradients to the coordinator's, in a fixed
 * order. Over threads (DataParallel) or in this one thread (SerialSplit), with the same arithmetic.
 */
export interface BatchSplit {
  readonly workers: number;
  ownRows(batch: number): number;
  /** Builds the other worker's network over `net`'s weights; once, before the first step. */
  attach(net: ShareableNetwork, model: ParallelModel): void;
  /** Hands rows [ownRows(batch), batch) of `x` and `y` to the other worker, with the modes and rates in force. */
  startStep(
    x: Float32Array,
    y: Float32Array,
    batch: number,
    inputDim: number,
    targetWidth: number,
    layers: readonly MirroredLayer[],
  ): void;
  /** Adds the other worker's gradients to `parameters`' (the coordinator's own, already scaled). */
  finishStep(parameters: readonly Parameter[]): { rows: number; loss: number; correct: number };
  release(): void;
  /** The other worker's state between steps, where this thread holds it (undefined over threads). */
  readonly saveState?: () => SplitState;
  readonly restoreState?: (state: SplitState) => void;
}
