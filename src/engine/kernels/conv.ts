import type { ConvKernels } from './convTypes';
import { convTypescript } from './convTypescript';
import { createWasmConvKernels } from './convWasm';

export type { ConvKernels, WindowGeometry } from './convTypes';

/**
 * The convolution data-movement kernels a new network runs on: WebAssembly SIMD where the runtime has it (each call
 * its own instance, as the matmul kernels), else the TypeScript twin.
 */
export function convKernels(): ConvKernels {
  return createWasmConvKernels() ?? convTypescript;
}

/** Every conv kernel set this runtime has (the tests run each): the TypeScript reference first. */
export function convKernelSets(): ConvKernels[] {
  const wasm = createWasmConvKernels();
  return wasm ? [convTypescript, wasm] : [convTypescript];
}
