import { BERNOULLI_WASM_BASE64 } from './bernoulliWasm.generated';
import { compileKernelModule, wasmApi, type WasmMemory } from './wasm';

/**
 * Bernoulli keep masks drawn from four interleaved sfc32 generators (bernoulli.wat): value 4s + l of a draw is
 * step s of lane l, a draw consumes whole blocks of 16 values, and a value u keeps its unit when u >= p * 2^32,
 * that is u / 2^32 >= p. The WebAssembly SIMD path runs the four lanes at once (about 16 values per loop turn); the
 * TypeScript twin below yields the same stream bit for bit, for runtimes without SIMD and as the tests' reference.
 */
export class BernoulliStream {
  /** a, b, c, d words of lanes 0-3: [a0 a1 a2 a3 b0 ... d3], the order the wasm module loads as four v128. */
  readonly state = new Uint32Array(16);

  constructor(
    seedWord: () => number,
    private readonly simd = bernoulliSimd(),
  ) {
    for (let i = 0; i < 16; i++) this.state[i] = seedWord();
    // Like sfc32's own seeding, run a few steps so lanes seeded with nearby words decorrelate.
    drawTypeScript(this.state, new Uint8Array(48), 48, 0);
  }

  /** keep[i] = 1 with probability 1 - p, else 0, for i < n; returns how many were dropped. */
  draw(keep: Uint8Array, n: number, p: number): number {
    const threshold = Math.min(Math.ceil(p * 4294967296), 4294967295);
    const kept = this.simd
      ? this.simd.draw(this.state, keep, n, threshold)
      : drawTypeScript(this.state, keep, n, threshold);
    return n - kept;
  }
}

/** The TypeScript twin of bernoulli.wat's `draw`: fills keep[0..n), advances `state`, returns how many are 1. */
export function drawTypeScript(state: Uint32Array, keep: Uint8Array, n: number, threshold: number): number {
  let kept = 0;
  const steps = ((n + 15) >> 4) * 4;
  for (let s = 0; s < steps; s++) {
    for (let l = 0; l < 4; l++) {
      const a = state[l]!;
      const b = state[4 + l]!;
      const c = state[8 + l]!;
      const d = state[12 + l]!;
      const t = (a + b + d) >>> 0;
      state[l] = b ^ (b >>> 9);
      state[4 + l] = c + (c << 3);
      state[8 + l] = ((c << 21) | (c >>> 11)) + t;
      state[12 + l] = d + 1;
      const i = 4 * s + l;
      if (i < n) {
        const k = t >= threshold ? 1 : 0;
        keep[i] = k;
        kept += k;
      }
    }
  }
  return kept;
}

interface BernoulliExports {
  memory: WasmMemory;
  draw(state: number, dst: number, n: number, threshold: number): number;
}

const STATE = 0;
const OUT = 64;

/** One instance per thread, shared by every stream: a stream's state is copied in and out around each draw. */
class SimdBernoulli {
  private stateView: Uint32Array;
  private readonly outViews = new Map<number, Uint8Array>();

  constructor(private readonly exports: BernoulliExports) {
    this.stateView = new Uint32Array(exports.memory.buffer, STATE, 16);
  }

  draw(state: Uint32Array, keep: Uint8Array, n: number, threshold: number): number {
    const memory = this.exports.memory;
    const bytes = OUT + ((n + 15) & ~15);
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    if (this.stateView.buffer !== memory.buffer) {
      this.stateView = new Uint32Array(memory.buffer, STATE, 16);
      this.outViews.clear();
    }
    this.stateView.set(state);
    const kept = this.exports.draw(STATE, OUT, n, threshold | 0);
    state.set(this.stateView);
    let out = this.outViews.get(n);
    if (!out) {
      if (this.outViews.size > 64) this.outViews.clear();
      this.outViews.set(n, (out = new Uint8Array(memory.buffer, OUT, n)));
    }
    keep.set(out);
    return kept;
  }
}

let simdCache: SimdBernoulli | null | undefined;

/** The thread's SIMD mask drawer, or null without WebAssembly SIMD. */
export function bernoulliSimd(): SimdBernoulli | null {
  if (simdCache !== undefined) return simdCache;
  try {
    const module = compileKernelModule(BERNOULLI_WASM_BASE64);
    simdCache =
      module && wasmApi ? new SimdBernoulli(new wasmApi.Instance(module, {}).exports as BernoulliExports) : null;
  } catch {
    simdCache = null;
  }
  return simdCache;
}
