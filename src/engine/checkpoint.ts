/**
 * A trainer's whole state between two steps, copied: weights, running statistics, modes and rates, the
 * optimizer's buffers, both random streams and where the epoch stands. Restoring one and training on gives the
 * same steps, bit for bit, as never having stopped: a replay keeps one every K steps to scrub without retraining
 * from the start.
 */
import type { LayerMode } from '../protocol/modelSpec';
import type { Network } from './nn/network';
import type { OptimizerState } from './nn/optim';
import type { RandomState } from './random';

/** Running statistics of the layers that keep them (batch norm), by layer index. */
export type NetworkRunning = { layer: number; mean: Float32Array; variance: Float32Array }[];

export interface NetworkState {
  /** Every parameter's values, in `Network.parameters` order. */
  parameters: Float32Array[];
  running: NetworkRunning;
  modes: LayerMode[];
  /** The rate in force per layer (undefined for layers without one). */
  rates: (number | undefined)[];
}

export interface TrainerCheckpoint {
  step: number;
  epoch: number;
  lr: number;
  cursor: number;
  lastBatch: number;
  order: Uint32Array;
  network: NetworkState;
  optimizer: OptimizerState;
  trainRandom: RandomState;
  shuffleRandom: RandomState;
  /** A run split over two workers in this thread: the second worker's own state. */
  split?: SplitState;
}

/** What the second worker of a split keeps between steps beyond the shared weights. */
export interface SplitState {
  running: NetworkRunning;
  random: RandomState;
}

/** Layers with running statistics, whatever their kind: any layer holding `runningMean` and `runningVar`. */
function runningStats(layer: object): { runningMean: Float32Array; runningVar: Float32Array } | undefined {
  const l = layer as { runningMean?: unknown; runningVar?: unknown };
  return l.runningMean instanceof Float32Array && l.runningVar instanceof Float32Array
    ? { runningMean: l.runningMean, runningVar: l.runningVar }
    : undefined;
}

export function saveRunning(net: Network): NetworkRunning {
  const running: NetworkRunning = [];
  for (const l of net.layers) {
    const stats = runningStats(l);
    if (stats) running.push({ layer: l.index, mean: stats.runningMean.slice(), variance: stats.runningVar.slice() });
  }
  return running;
}

export function restoreRunning(net: Network, running: NetworkRunning): void {
  for (const r of running) {
    const stats = runningStats(net.layers[r.layer]!)!;
    stats.runningMean.set(r.mean);
    stats.runningVar.set(r.variance);
  }
}

export function saveNetwork(net: Network): NetworkState {
  return {
    parameters: net.parameters.map((p) => p.value.slice()),
    running: saveRunning(net),
    modes: net.layers.map((l) => l.mode),
    rates: net.layers.map((l) => ('rate' in l ? l.rate : undefined)),
  };
}

export function restoreNetwork(net: Network, state: NetworkState): void {
  net.parameters.forEach((p, k) => p.value.set(state.parameters[k]!));
  restoreRunning(net, state.running);
  net.layers.forEach((l, i) => {
    l.mode = state.modes[i]!;
    const rate = state.rates[i];
    if ('rate' in l && rate !== undefined) l.rate = rate;
  });
}

/** The memory a checkpoint holds, in bytes. */
export function checkpointBytes(c: TrainerCheckpoint): number {
  const arrays = [
    ...c.network.parameters,
    ...c.network.running.flatMap((r) => [r.mean, r.variance]),
    ...(c.split?.running.flatMap((r) => [r.mean, r.variance]) ?? []),
    ...c.optimizer.buffers,
    c.order,
  ];
  return arrays.reduce((n, a) => n + a.byteLength, 0) + 256;
}
