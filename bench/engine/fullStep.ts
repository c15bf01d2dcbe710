/**
 * Full training steps on the engine's trainer (src/engine/index.ts), for the benchmark: builds the workload's
 * network, returns a function that runs one step (forward, backward, update, dropout active).
 */
import type { MatmulKernels } from '../../src/engine/kernels/types';
import type { Workload } from './workloads';

export type FullStep = (w: Workload, kernels: MatmulKernels) => () => void;

/** The step runner, or why there is none. */
export function fullStepRunner(): FullStep | string {
  return 'the trainer (createTrainer in src/engine/index.ts) has not landed yet';
}
