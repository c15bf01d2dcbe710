import type { MatmulKernels } from './types';
import { referenceKernels } from './reference';
import { smallKernels } from './typescript';
import { createWasmKernels } from './wasm';

export type { MatmulKernels } from './types';
export { referenceKernels } from './reference';
export { smallKernels } from './typescript';
export { createWasmKernels, wasmSimdAvailable, WasmMatmulKernels } from './wasm';

/**
 * Products with fewer multiply-adds (m·k·n) than this run in plain TypeScript. Measured with bench/engine's kernel
 * section: the SIMD path already wins at W1's smallest products (32x2x64 = 4,096 MACs: ~3 µs against ~10 µs for
 * the TypeScript loops), so only tiny products stay in TypeScript.
 */
export const DEFAULT_WASM_THRESHOLD = 1024;

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
    name: `auto(wasm-simd >= ${threshold} MACs, else typescript-small)`,
    matmul(A, B, C, m, k, n, transA, transB, accumulate) {
      if (m * k * n >= threshold) wasm.matmul(A, B, C, m, k, n, transA, transB, accumulate);
      else smallKernels.matmul(A, B, C, m, k, n, transA, transB, accumulate);
    },
  };
}
