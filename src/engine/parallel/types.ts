/**
 * What the parallel trainer asks of its host: a way to start a replica worker. The worker entry supplies it
 * (worker_threads in Node; a Web Worker would do the same with postMessage), so the engine itself stays free of
 * any runtime's thread API.
 */
import type { LayerSpec } from '../../protocol/modelSpec';
import type { LayoutSizes } from './sharedMemory';

/** Everything a replica needs: it builds the same network over the shared weights and waits for steps. */
export interface ReplicaInit {
  buffer: SharedArrayBuffer;
  sizes: LayoutSizes;
  layers: LayerSpec[];
  inputDim: number;
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
