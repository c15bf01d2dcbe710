/**
 * How many workers a training run uses: the setting (dropoutLens.engine.workers, CLI --workers) forces 1 or 2;
 * 'auto' takes two where a step is big enough for the second core to pay for its hand-over (copying the rows,
 * waking the replica, adding its gradients), and where the host has two cores to give.
 */

import type { WorkerSetting } from '../../protocol/engine';

export type { WorkerSetting };

export const WORKER_SETTINGS: readonly WorkerSetting[] = ['auto', 1, 2];

/**
 * Multiply-adds of one training step from which 'auto' takes two workers (`node --import tsx
 * bench/engine/workerThreshold.ts` measures the crossover). On the 2-core development machine, with other jobs
 * keeping both cores busy (load 2.9), two workers lost up to 31 M multiply-adds a step (0.6-1.0x), while W2
 * (257 M) and W3 (1.0 G) gained 1.4x and 1.6x when the machine was quieter: the threshold sits above the loaded
 * measurements, so 'auto' splits only steps big enough to gain on a machine with a free core.
 */
export const TWO_WORKER_THRESHOLD = 32_000_000;

/** Rows each worker needs at least: below that the hand-over costs more than half a step saves. */
const MIN_ROWS_PER_WORKER = 8;

export interface StepSize {
  /** Rows of a training batch. */
  batch: number;
  /** Values of the network's parameters. */
  parameters: number;
}

/**
 * Multiply-adds of one step of a dense network: forward, input and weight gradients, three products of
 * batch x parameters each. Layers that reuse their weights across positions (convolutions) do more than this, so
 * the estimate errs towards one worker for them.
 */
export function stepMultiplyAdds(size: StepSize): number {
  return 3 * size.batch * size.parameters;
}

export function chooseWorkers(setting: WorkerSetting, size: StepSize, cores: number): 1 | 2 {
  if (setting !== 'auto') return setting;
  if (cores < 2 || size.batch < 2 * MIN_ROWS_PER_WORKER) return 1;
  return stepMultiplyAdds(size) >= TWO_WORKER_THRESHOLD ? 2 : 1;
}

/** A setting as a user wrote it (a VS Code setting's value, a CLI word, a start option), or undefined if it is none. */
export function parseWorkerSetting(value: unknown): WorkerSetting | undefined {
  if (value === 'auto' || value === 1 || value === 2) return value;
  if (value === '1' || value === '2') return Number(value) as 1 | 2;
  return undefined;
}
