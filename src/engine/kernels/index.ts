import type { MatmulKernels } from './types';
import { referenceKernels } from './reference';
import { smallKernels } from './typescript';
import { createWasmKernels } from './wasm';

export type { MatmulKernels } from './types';
export { referenceKernels } from './reference';
export { smallKernels } from './typescript';
export { createWasmKernels, fusedMatmulWasmModule, wasmSimdAvailable, WasmMatmulKernels } from './wasm';

/**
 * Products with fewer multiply-adds (m·k·n) than this run in plain TypeScript. Measured on the development machine
 * (median µs per call, TypeScript loops vs SIMD): 4³ 0.35 vs 0.70, 6³ 0.9 vs 0.9, 8³ 1.4 vs 0.45, 16³ 8.5 vs 0.8,
 * and W1's 32x2x64 about 10 vs 2: the crossover is near 200 multiply-adds, so only tiny products stay in TypeScript.
 */
export const DEFAULT_WASM_THRESHOLD = 256;

export interface KernelOptions {
  /** 'auto' (default): WebAssembly SIMD for large products, TypeScript for small ones; 'wasm': always the SIMD
   *  kernels (throws if unavailable); 'typescript': the small-product TypeScript loops only; 'reference': the
   *  plain reference loops. */
  readonly prefer?: 'auto' | 'wasm' | 'typescript' | 'reference';
  /** m·k·n from which 'auto' uses WebAssembly. */
  readonly wasmThreshold?: number;
}

/** The kernels the engine should run on. Each call gets its own WebAssembly instance (one per worker). */
export function selectKernels(options: KernelOptions = {}): MatmulKernels {
  const prefer = options.prefer ?? 'auto';
  if (prefer === 'reference') return referenceKernels;
  if (prefer === 'typescript') return smallKernels;
  const wasm = createWasmKernels();
  if (prefer === 'wasm') {
    if (!wasm) throw new Error('WebAssembly SIMD is not available in this runtime');
    return wasm;
  }
  if (!wasm) return smallKernels;
  const threshold = options.wasmThreshold ?? DEFAULT_WASM_THRESHOLD;
  return {
    name: `auto(${wasm.name} >= ${threshold} MACs, else typescript-small)`,
    matmul(A, B, C, m, k, n, transA, transB, accumulate) {
      if (m * k * n >= threshold) wasm.matmul(A, B, C, m, k, n, transA, transB, accumulate);
      else smallKernels.matmul(A, B, C, m, k, n, transA, transB, accumulate);
    },
  };
}
