/**
 * Full training steps on the engine's trainer (src/engine/index.ts), for the benchmark: builds the workload's
 * network from a model spec, trains on random data of the workload's input size, and returns a function that runs
 * one step (forward, backward, update, dropout active).
 */
import type { ConvKernels } from '../../src/engine/kernels/convTypes';
import type { MatmulKernels } from '../../src/engine/kernels/types';
import type { Dataset } from '../../src/engine/dataset';
import { shapeSize } from '../../src/protocol/layerShapes';
import type { ModelSpec } from '../../src/protocol/modelSpec';
import { createTrainer } from '../../src/engine/index';
import { workloadClasses, type Workload } from './workloads';

export interface StepRun {
  /** One training step: forward, backward, update, dropout active. */
  step(): void;
  /** One snapshot of what the worker streams: per-layer bit-packed masks and activation statistics. */
  stream?(): void;
}
/** `conv`: the conv kernels (default: the engine's choice, SIMD where it can). */
export type FullStep = (w: Workload, kernels: MatmulKernels, conv?: ConvKernels) => StepRun;

/** The model spec of a workload: its layers, SGD with momentum, cross-entropy. */
export function workloadSpec(w: Workload): ModelSpec {
  return {
    name: `bench-${w.name}`,
    seed: 1,
    data: { source: 'generator', generator: 'blobs', samples: w.batch * 8, noise: 0.1, validation: 0.2 },
    model: { input: w.input, layers: [...w.layers] },
    training: {
      epochs: 1_000_000,
      batchSize: w.batch,
      optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
      schedule: { kind: 'constant' },
      loss: 'cross-entropy',
      init: 'he',
    },
    evaluation: { mode: 'eval' },
  };
}

/** Random standard-normal-ish inputs of the workload's width, labels over its output classes. */
export function workloadData(w: Workload, batches = 8): Dataset {
  const inputDim = shapeSize(w.input);
  const classes = workloadClasses(w);
  let s = 12345;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const split = (n: number) => {
    const x = new Float32Array(n * inputDim);
    for (let i = 0; i < x.length; i++) x[i] = (rnd() + rnd() + rnd() - 1.5) * 2;
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = Math.floor(rnd() * classes);
    return { x, y, n };
  };
  return { inputDim, classes, outputDim: classes, train: split(w.batch * batches), validation: split(w.batch) };
}

/** The step runner, or why there is none. */
export function fullStepRunner(): FullStep | string {
  return (w, kernels, conv) => {
    const trainer = createTrainer(workloadSpec(w), workloadData(w), { kernels, ...(conv ? { conv } : {}) });
    return {
      step: () => void trainer.trainStep(),
      // What EngineSession posts per stream tick: masks (bits copied for transfer) and activation statistics.
      stream: () => {
        const masks = trainer.masks();
        for (const m of masks) m.bits.slice();
        trainer.activationStats();
      },
    };
  };
}
