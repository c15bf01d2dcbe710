import type { MatmulKernels } from './types';
import { MATMUL_FMA_WASM_BASE64 } from './matmulFmaWasm.generated';
import { MATMUL_WASM_BASE64 } from './matmulWasm.generated';

/**
 * WebAssembly SIMD matrix products, GotoBLAS-style: the k dimension is cut into (equal) blocks of at most KC steps,
 * and for each one op(B) is packed into 8-column panels (the panel the micro-kernel walks, KC x 8 floats = 8 KiB,
 * sits in L1) and op(A), MC rows at a time, into 4-row panels (the packed block, MC x KC floats = 128 KiB, sits in
 * L2). The module (matmul.wat) computes every full 4x8 tile of C in 8 f32x4 accumulators; tiles at the right and
 * bottom edges run through a 4x8 scratch tile. The whole loop nest runs inside wasm: one call per product. Packing (also in wasm: vector copies, or 4x4 register transposes
 * when the source is step-contiguous) absorbs the transposes, so all four (transA, transB) combinations run the
 * same micro-kernel.
 *
 * Memory: the instance owns its memory and grows it on demand (views are refreshed after growth). The caller's
 * operands are ordinary Float32Arrays, copied in with one `set` (a memcpy) each and C copied out: O(mk + kn + mn)
 * against O(mkn) arithmetic, about 1% at the benchmark's sizes. We chose this over an `allocate()` that hands out
 * views into wasm memory because such views are invalidated whenever memory grows, which would make every engine
 * buffer a hazard for its owner. An operand that already is a view of this instance's memory
 * (`x.buffer === memory.buffer`) is used in place, without a copy.
 */
const KC = 256;
const MC = 128;
const SCRATCH = 0; // 4x8 f32 tile at byte 0
const PACK_A = 256; // MC x KC floats
const PACK_B = PACK_A + MC * KC * 4; // KC x roundUp(n, 8) floats, then A, B and C when they need copying in

// The parts of the WebAssembly JS API used here, typed locally: the project's lib (ES2022, no DOM) declares none.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}
export const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface MatmulExports {
  memory: WasmMemory;
  block(mp: number, np: number, kc: number, ap: number, bp: number, c: number, ldc: number, load: number): void;
  tile(kc: number, a: number, b: number, c: number, ldc: number, load: number): void;
  pack(src: number, lstride: number, sstride: number, w: number, steps: number, dst: number): void;
  packPartial(
    src: number,
    lstride: number,
    sstride: number,
    w: number,
    lanes: number,
    steps: number,
    dst: number,
  ): void;
  gemm(
    m: number,
    k: number,
    n: number,
    a: number,
    b: number,
    c: number,
    aLane: number,
    aStep: number,
    bLane: number,
    bStep: number,
    accumulate: number,
    kBlock: number,
    mc: number,
    packA: number,
    packB: number,
    scratch: number,
  ): void;
}

function decodeBase64(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Compiles a kernel module from its base64 bytes, or null when this runtime has no WebAssembly SIMD to run it. */
export function compileKernelModule(base64: string): WasmModule | null {
  try {
    const bytes = decodeBase64(base64);
    return wasmApi && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  } catch {
    return null;
  }
}

let moduleCache: WasmModule | null | undefined;
let fusedCache: WasmModule | null | undefined;

/** The compiled kernel module, or null when this runtime has no WebAssembly SIMD. */
export function matmulWasmModule(): WasmModule | null {
  if (moduleCache === undefined) moduleCache = compileKernelModule(MATMUL_WASM_BASE64);
  return moduleCache;
}

/**
 * The same kernels with fused multiply-adds (relaxed SIMD's f32x4.relaxed_madd), or null where the runtime does not
 * validate relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd; VS Code's Electron has it).
 */
export function fusedMatmulWasmModule(): WasmModule | null {
  if (fusedCache === undefined) fusedCache = compileKernelModule(MATMUL_FMA_WASM_BASE64);
  return fusedCache;
}

export function wasmSimdAvailable(): boolean {
  return matmulWasmModule() !== null;
}

export class WasmMatmulKernels implements MatmulKernels {
  private readonly exports: MatmulExports;
  private heap: Float32Array;
  private readonly views = new Map<number, Map<number, Float32Array>>();
  private readonly prefixes = new WeakMap<Float32Array, Float32Array>();

  constructor(
    module: WasmModule,
    readonly name: string = 'wasm-simd',
  ) {
    this.exports = new wasmApi!.Instance(module, {}).exports as MatmulExports;
    this.heap = new Float32Array(this.exports.memory.buffer);
  }

  /** The instance's memory (for tests and for callers that want to check aliasing). */
  get memory(): WasmMemory {
    return this.exports.memory;
  }

  private ensure(bytes: number): void {
    const memory = this.exports.memory;
    if (memory.buffer.byteLength < bytes) {
      const pages = Math.ceil((bytes - memory.buffer.byteLength) / 65536);
      memory.grow(pages);
    }
    if (this.heap.buffer !== memory.buffer) {
      this.heap = new Float32Array(memory.buffer);
      this.views.clear();
    }
  }

  /** Byte address of `x`'s first `length` elements inside wasm memory, copying them in at `fallback` unless they
   *  already live there. */
  private place(x: Float32Array, length: number, fallback: number): number {
    if (x.buffer === this.exports.memory.buffer) return x.byteOffset;
    this.heap.set(x.length === length ? x : this.prefix(x, length), fallback >> 2);
    return fallback;
  }

  matmul(
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
  ): void {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
      if (!accumulate) C.fill(0, 0, m * n);
      return;
    }
    // Equal k blocks (784 = 4 x 196, not 3 x 256 + 16): a short last block would pay a full pass over C.
    const kBlock = Math.ceil(k / Math.ceil(k / KC));
    const nPanels = (n + 7) >> 3;
    const aOwn = PACK_B + align16(kBlock * nPanels * 32);
    const bOwn = aOwn + align16(m * k * 4);
    const cOwn = bOwn + align16(k * n * 4);
    this.ensure(cOwn + m * n * 4);
    const aAddr = this.place(A, m * k, aOwn);
    const bAddr = this.place(B, k * n, bOwn);
    const inPlace = C.buffer === this.exports.memory.buffer;
    const cAddr = inPlace ? C.byteOffset : cOwn;
    if (!inPlace && accumulate) this.heap.set(C.length === m * n ? C : this.prefix(C, m * n), cOwn >> 2);
    // op(A)[i][p] and op(B)[p][j] as (lane stride, step stride) in bytes.
    this.exports.gemm(
      m,
      k,
      n,
      aAddr,
      bAddr,
      cAddr,
      transA ? 4 : k * 4,
      transA ? m * 4 : 4,
      transB ? k * 4 : 4,
      transB ? 4 : n * 4,
      accumulate ? 1 : 0,
      kBlock,
      MC,
      PACK_A,
      PACK_B,
      SCRATCH,
    );
    if (!inPlace) C.set(this.view(cOwn >> 2, m * n));
  }

  /** x's first `length` elements as a view, cached per array: the engine's buffers are sized for its largest
   *  batch, so operands are often longer than the product; after the first step this allocates nothing. */
  private prefix(x: Float32Array, length: number): Float32Array {
    const cached = this.prefixes.get(x);
    if (cached && cached.length === length) return cached;
    const view = x.subarray(0, length);
    this.prefixes.set(x, view);
    return view;
  }

  /** A view of heap[at, at + length), cached: the engine repeats the same few shapes, so after the first step
   *  copying C out allocates nothing. The cache is dropped when memory grows (views of the old buffer detach). */
  private view(at: number, length: number): Float32Array {
    let byAt = this.views.get(at);
    if (!byAt) this.views.set(at, (byAt = new Map<number, Float32Array>()));
    let v = byAt.get(length);
    if (!v) {
      if (this.views.size > 64 || byAt.size > 64) this.views.clear();
      v = this.heap.subarray(at, at + length);
      byAt.set(length, v);
      if (!this.views.has(at)) this.views.set(at, byAt);
    }
    return v;
  }
}

function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}

/**
 * A fresh instance of the WebAssembly SIMD kernels, or null when WebAssembly SIMD is unavailable: the fused
 * multiply-add module where the runtime has relaxed SIMD (detected once, at the first call), unless `fused` is false.
 */
export function createWasmKernels(options: { fused?: boolean } = {}): WasmMatmulKernels | null {
  const fused = options.fused === false ? null : fusedMatmulWasmModule();
  if (fused) return new WasmMatmulKernels(fused, 'wasm-simd-fma');
  const module = matmulWasmModule();
  return module ? new WasmMatmulKernels(module) : null;
}
