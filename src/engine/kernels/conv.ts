import type { ConvKernels } from './convTypes';
import { convTypescript } from './convTypescript';

export type { ConvKernels, WindowGeometry } from './convTypes';

/** The convolution data-movement kernels this thread runs on. */
export function convKernels(): ConvKernels {
  return convTypescript;
}

/** Every conv kernel set this runtime has (the tests run each). */
export function convKernelSets(): ConvKernels[] {
  return [convTypescript];
}
