import type { MatmulKernels } from './types';
import { MATMUL_WASM_BASE64 } from './matmulWasm.generated';

/**
 * WebAssembly SIMD matrix products, GotoBLAS-style: the k dimension is cut into blocks of KC steps, and for each
 * one op(B) is packed into 8-column panels (the panel the micro-kernel walks, KC x 8 floats = 8 KiB, sits in L1)
 * and op(A), MC rows at a time, into 4-row panels (the packed block, MC x KC floats = 128 KiB, sits in L2). The
 * module (matmul.wat) computes every full 4x8 tile of C in 8 f32x4 accumulators; tiles at the right and bottom
 * edges run through a 4x8 scratch tile. Packing reads the caller's arrays directly, so it is also the copy into
 * wasm memory and it absorbs the transposes: all four (transA, transB) combinations run the same micro-kernel.
 *
 * Memory: the instance owns its memory and grows it on demand (views are refreshed after growth). The caller's
 * operands are ordinary Float32Arrays; A and B never need copying beyond the packing, and C is computed in wasm
 * memory and copied out (and in first, when accumulating): O(m·n) extra work against O(m·k·n), under 1% at the
 * benchmark's sizes. We chose this over an `allocate()` that hands out views into wasm memory because such views
 * are invalidated whenever memory grows, which would make every engine buffer a hazard for its owner. A C that
 * already is a view of this instance's memory (`C.buffer === memory.buffer`) is computed in place.
 */
const KC = 256;
const MC = 128;
const SCRATCH = 0; // 4x8 f32 tile at byte 0
const PACK_A = 256; // MC x KC floats
const PACK_B = PACK_A + MC * KC * 4; // KC x roundUp(n, 8) floats, then C

interface MatmulExports {
  memory: WebAssembly.Memory;
  block(mp: number, np: number, kc: number, ap: number, bp: number, c: number, ldc: number, load: number): void;
  tile(kc: number, a: number, b: number, c: number, ldc: number, load: number): void;
}

function decodeBase64(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

let moduleCache: WebAssembly.Module | null | undefined;

/** The compiled kernel module, or null when this runtime has no WebAssembly SIMD. */
export function matmulWasmModule(): WebAssembly.Module | null {
  if (moduleCache !== undefined) return moduleCache;
  try {
    const bytes = decodeBase64(MATMUL_WASM_BASE64);
    moduleCache = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    moduleCache = null;
  }
  return moduleCache;
}

export function wasmSimdAvailable(): boolean {
  return matmulWasmModule() !== null;
}

export class WasmMatmulKernels implements MatmulKernels {
  readonly name = 'wasm-simd';
  private readonly exports: MatmulExports;
  private heap: Float32Array;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as MatmulExports;
    this.heap = new Float32Array(this.exports.memory.buffer);
  }

  /** The instance's memory (for tests and for callers that want to check aliasing). */
  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  private ensure(bytes: number): void {
    const memory = this.exports.memory;
    if (memory.buffer.byteLength < bytes) {
      const pages = Math.ceil((bytes - memory.buffer.byteLength) / 65536);
      memory.grow(pages);
    }
    if (this.heap.buffer !== memory.buffer) this.heap = new Float32Array(memory.buffer);
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
    const nPanels = (n + 7) >> 3;
    const packBBytes = Math.min(KC, k) * nPanels * 32;
    const cOwn = PACK_B + packBBytes;
    this.ensure(cOwn + m * n * 4);
    const heap = this.heap;
    const inPlace = C.buffer === this.exports.memory.buffer;
    const cBase = inPlace ? C.byteOffset : cOwn;
    if (!inPlace && accumulate) heap.set(C.subarray(0, m * n), cOwn >> 2);
    const ldc = n * 4;
    const np = n >> 3;
    const { block, tile } = this.exports;

    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const load = accumulate || pc > 0 ? 1 : 0;
      packB(heap, B, pc, kc, k, n, transB);
      for (let ic = 0; ic < m; ic += MC) {
        const mcur = Math.min(MC, m - ic);
        packA(heap, A, ic, mcur, pc, kc, m, k, transA);
        const mp = mcur >> 2;
        const cBlock = cBase + ic * ldc;
        if (mp > 0 && np > 0) block(mp, np, kc, PACK_A, PACK_B, cBlock, ldc, load);
        // Edge tiles: the last (partial) column panel for every row panel, and the last (partial) row panel.
        const mPanels = (mcur + 3) >> 2;
        for (let ip = 0; ip < mPanels; ip++) {
          const rows = Math.min(4, mcur - ip * 4);
          for (let jp = rows === 4 ? np : 0; jp < nPanels; jp++) {
            const cols = Math.min(8, n - jp * 8);
            const cTile = (cBlock >> 2) + ip * 4 * n + jp * 8;
            if (load) {
              for (let r = 0; r < rows; r++) {
                for (let c = 0; c < cols; c++) heap[(SCRATCH >> 2) + r * 8 + c] = heap[cTile + r * n + c]!;
              }
            }
            tile(kc, PACK_A + ip * kc * 16, PACK_B + jp * kc * 32, SCRATCH, 32, load);
            for (let r = 0; r < rows; r++) {
              for (let c = 0; c < cols; c++) heap[cTile + r * n + c] = heap[(SCRATCH >> 2) + r * 8 + c]!;
            }
          }
        }
      }
    }
    if (!inPlace) C.set(heap.subarray(cOwn >> 2, (cOwn >> 2) + m * n));
  }
}

/** Packs op(A)[ic..ic+mcur, pc..pc+kc] into 4-row panels at PACK_A, step-major, zero-padding the last panel. */
function packA(heap: Float32Array, A: Float32Array, ic: number, mcur: number, pc: number, kc: number, m: number, k: number, transA: boolean): void {
  const mPanels = (mcur + 3) >> 2;
  for (let ip = 0; ip < mPanels; ip++) {
    const dst = (PACK_A >> 2) + ip * kc * 4;
    const i0 = ic + ip * 4;
    const rows = Math.min(4, mcur - ip * 4);
    if (transA) {
      // op(A)[i][p] = A[p*m + i]: four consecutive floats per step.
      if (rows === 4) {
        for (let p = 0; p < kc; p++) {
          const s = (pc + p) * m + i0;
          const d = dst + p * 4;
          heap[d] = A[s]!;
          heap[d + 1] = A[s + 1]!;
          heap[d + 2] = A[s + 2]!;
          heap[d + 3] = A[s + 3]!;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const s = (pc + p) * m + i0;
          const d = dst + p * 4;
          for (let r = 0; r < 4; r++) heap[d + r] = r < rows ? A[s + r]! : 0;
        }
      }
    } else {
      // op(A)[i][p] = A[i*k + p]: walk each row contiguously.
      for (let r = 0; r < 4; r++) {
        if (r < rows) {
          const s = (i0 + r) * k + pc;
          for (let p = 0; p < kc; p++) heap[dst + p * 4 + r] = A[s + p]!;
        } else {
          for (let p = 0; p < kc; p++) heap[dst + p * 4 + r] = 0;
        }
      }
    }
  }
}

/** Packs op(B)[pc..pc+kc, 0..n] into 8-column panels at PACK_B, step-major, zero-padding the last panel. */
function packB(heap: Float32Array, B: Float32Array, pc: number, kc: number, k: number, n: number, transB: boolean): void {
  const nPanels = (n + 7) >> 3;
  for (let jp = 0; jp < nPanels; jp++) {
    const dst = (PACK_B >> 2) + jp * kc * 8;
    const j0 = jp * 8;
    const cols = Math.min(8, n - j0);
    if (transB) {
      // op(B)[p][j] = B[j*k + p]: walk each of the panel's rows of B contiguously.
      for (let c = 0; c < 8; c++) {
        if (c < cols) {
          const s = (j0 + c) * k + pc;
          for (let p = 0; p < kc; p++) heap[dst + p * 8 + c] = B[s + p]!;
        } else {
          for (let p = 0; p < kc; p++) heap[dst + p * 8 + c] = 0;
        }
      }
    } else if (cols === 8) {
      // op(B)[p][j] = B[p*n + j]: eight consecutive floats per step.
      for (let p = 0; p < kc; p++) {
        const s = (pc + p) * n + j0;
        const d = dst + p * 8;
        heap[d] = B[s]!;
        heap[d + 1] = B[s + 1]!;
        heap[d + 2] = B[s + 2]!;
        heap[d + 3] = B[s + 3]!;
        heap[d + 4] = B[s + 4]!;
        heap[d + 5] = B[s + 5]!;
        heap[d + 6] = B[s + 6]!;
        heap[d + 7] = B[s + 7]!;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const s = (pc + p) * n + j0;
        const d = dst + p * 8;
        for (let c = 0; c < 8; c++) heap[d + c] = c < cols ? B[s + c]! : 0;
      }
    }
  }
}

/** A fresh instance of the WebAssembly SIMD kernels, or null when WebAssembly SIMD is unavailable. */
export function createWasmKernels(): WasmMatmulKernels | null {
  const module = matmulWasmModule();
  return module ? new WasmMatmulKernels(module) : null;
}
