import { ELEMENTWISE_WASM_BASE64 } from './elementwiseWasm.generated';
import { decodeBase64, wasmApi, type WasmMemory } from './wasm';

/**
 * Element-wise passes in WebAssembly SIMD (elementwise.wat). Scalar JavaScript costs 2.5-5 ns per element on the
 * development machine, so on W1 these passes outweighed the matrix products; copying the operands in and out
 * (memcpy) and running 4 lanes at a time is several times cheaper. Operands are copied like the matmul kernels'
 * (see wasm.ts for why nothing hands out views into wasm memory); after the first step nothing allocates.
 */
export interface ElementwiseKernels {
  /** y[i] = x[i] * (keep[i] * fround(scale)) for i < n (dropout forward and backward); must match dropout.ts's applyMask. */
  mask(x: Float32Array, keep: Uint8Array, scale: number, y: Float32Array, n: number): void;
}

interface ElementwiseExports {
  memory: WasmMemory;
  mask(x: number, keep: number, y: number, n: number, scale: number): void;
}

interface Regions {
  x: Float32Array;
  keep: Uint8Array;
  y: Float32Array;
  /** Byte addresses of x, keep and y. */
  at: [number, number, number];
}

class SimdElementwise implements ElementwiseKernels {
  private readonly regions = new Map<number, Regions>();
  private readonly prefixes = new WeakMap<Float32Array | Uint8Array, Float32Array | Uint8Array>();

  constructor(private readonly exports: ElementwiseExports) {}

  mask(x: Float32Array, keep: Uint8Array, scale: number, y: Float32Array, n: number): void {
    if (n <= 0) return;
    const r = this.regionsFor(n);
    r.x.set(this.prefix(x, n));
    r.keep.set(this.prefix(keep, n));
    this.exports.mask(r.at[0], r.at[1], r.at[2], n, Math.fround(scale));
    y.set(r.y);
  }

  /** Views of x, keep and y regions for n elements, each padded to 16 bytes; dropped when memory grows. */
  private regionsFor(n: number): Regions {
    let r = this.regions.get(n);
    const memory = this.exports.memory;
    if (r && r.x.buffer === memory.buffer) return r;
    const floats = align16(4 * n);
    const at: [number, number, number] = [0, floats, floats + align16(n)];
    const bytes = at[2] + floats;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    if (this.regions.size > 64 || (r && r.x.buffer !== memory.buffer)) this.regions.clear();
    r = { x: new Float32Array(memory.buffer, at[0], n), keep: new Uint8Array(memory.buffer, at[1], n), y: new Float32Array(memory.buffer, at[2], n), at };
    this.regions.set(n, r);
    return r;
  }

  /** The first n elements as a view, cached per array (engine buffers are sized for the largest batch). */
  private prefix<T extends Float32Array | Uint8Array>(a: T, n: number): T {
    if (a.length === n) return a;
    const cached = this.prefixes.get(a) as T | undefined;
    if (cached && cached.length === n) return cached;
    const view = a.subarray(0, n) as T;
    this.prefixes.set(a, view);
    return view;
  }
}

function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}

let cache: ElementwiseKernels | null | undefined;

/** The thread's SIMD element-wise kernels, or null without WebAssembly SIMD. */
export function elementwiseSimd(): ElementwiseKernels | null {
  if (cache !== undefined) return cache;
  try {
    const bytes = decodeBase64(ELEMENTWISE_WASM_BASE64);
    cache = wasmApi && wasmApi.validate(bytes) ? new SimdElementwise(new wasmApi.Instance(new wasmApi.Module(bytes), {}).exports as ElementwiseExports) : null;
  } catch {
    cache = null;
  }
  return cache;
}
