import { ELEMENTWISE_WASM_BASE64 } from './elementwiseWasm.generated';
import { compileKernelModule, wasmApi, type WasmMemory, type WasmModule } from './wasm';

/**
 * Element-wise passes in WebAssembly SIMD (elementwise.wat). Scalar JavaScript costs 2.5-5 ns per element on the
 * development machine, so on W1 these passes outweighed the matrix products; copying the operands in and out
 * (memcpy) and running 4 lanes at a time is several times cheaper. Operands are copied like the matmul kernels'
 * (see wasm.ts for why nothing hands out views into wasm memory); after the first step nothing allocates.
 */
export interface ElementwiseKernels {
  /** y[i] = x[i] * (keep[i] * fround(scale)) for i < n (dropout forward and backward); must match dropout.ts's applyMask. */
  mask(x: Float32Array, keep: Uint8Array, scale: number, y: Float32Array, n: number): void;
  /** z[r, j] += b[j], out = ReLU(z), over rows x units; must match activation.ts's biasActivate('relu', ...) bit for bit. */
  biasRelu(z: Float32Array, b: Float32Array, out: Float32Array, rows: number, units: number): void;
  /** grad = z > 0 ? grad : 0 in place, gb[j] = sum over rows; must match activationBackwardBias('relu', ...) bit for bit. */
  reluBackBias(z: Float32Array, grad: Float32Array, gb: Float32Array, rows: number, units: number): void;
}

interface ElementwiseExports {
  memory: WasmMemory;
  mask(x: number, keep: number, y: number, n: number, scale: number): void;
  biasRelu(z: number, b: number, out: number, rows: number, units: number): void;
  reluBackBias(z: number, grad: number, gb: number, rows: number, units: number): void;
  sgd(
    w: number,
    g: number,
    buf: number,
    n: number,
    mode: number,
    lr: number,
    wd: number,
    keep: number,
    fresh: number,
    momentum: number,
  ): void;
}

/** Three float regions (a: rows x units, b: units, c: rows x units) for biasRelu / reluBackBias. */
interface RowRegions {
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  at: [number, number, number];
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
  private readonly rowRegions = new Map<number, RowRegions>();
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

  biasRelu(z: Float32Array, b: Float32Array, out: Float32Array, rows: number, units: number): void {
    const n = rows * units;
    if (n <= 0) return;
    const r = this.rowRegionsFor(rows, units);
    r.a.set(this.prefix(z, n));
    r.b.set(this.prefix(b, units));
    this.exports.biasRelu(r.at[0], r.at[1], r.at[2], rows, units);
    z.set(r.a);
    out.set(r.c);
  }

  reluBackBias(z: Float32Array, grad: Float32Array, gb: Float32Array, rows: number, units: number): void {
    const n = rows * units;
    if (n <= 0) {
      gb.fill(0, 0, units);
      return;
    }
    const r = this.rowRegionsFor(rows, units);
    r.a.set(this.prefix(z, n));
    r.c.set(this.prefix(grad, n));
    this.exports.reluBackBias(r.at[0], r.at[2], r.at[1], rows, units);
    grad.set(r.c);
    gb.set(r.b);
  }

  /** Regions a [rows x units], b [units], c [rows x units], each padded to 16 bytes; dropped when memory grows. */
  private rowRegionsFor(rows: number, units: number): RowRegions {
    const key = rows * 65536 + units;
    let r = this.rowRegions.get(key);
    const memory = this.exports.memory;
    if (r && r.a.buffer === memory.buffer) return r;
    const n = rows * units;
    const at: [number, number, number] = [0, align16(4 * n), align16(4 * n) + align16(4 * units)];
    const bytes = at[2] + align16(4 * n);
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    if (this.rowRegions.size > 64 || (r && r.a.buffer !== memory.buffer)) this.rowRegions.clear();
    r = {
      a: new Float32Array(memory.buffer, at[0], n),
      b: new Float32Array(memory.buffer, at[1], units),
      c: new Float32Array(memory.buffer, at[2], n),
      at,
    };
    this.rowRegions.set(key, r);
    return r;
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
    r = {
      x: new Float32Array(memory.buffer, at[0], n),
      keep: new Uint8Array(memory.buffer, at[1], n),
      y: new Float32Array(memory.buffer, at[2], n),
      at,
    };
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

/** The SGD update's parameters, rounded to f32 as the kernel uses them. mode 0: no momentum, 1: momentum, 2: Nesterov. */
export interface SgdUpdate {
  mode: 0 | 1 | 2;
  lr: number;
  weightDecay: number;
  /** Weight on the old momentum buffer: 0 on the first step, else momentum. */
  keep: number;
  /** Weight on d: 1 on the first step, else 1 - dampening. */
  fresh: number;
  momentum: number;
}

/**
 * torch.optim.SGD over a fixed list of parameters in one wasm call per step. The kernel owns an instance (its own
 * memory, sized once, never grown) holding every parameter's weights, gradients and momentum buffer back to back;
 * a step copies weights and gradients in and weights out. The momentum buffers live there only, so `buffer(i)` is a
 * view that stays valid (the memory never grows after construction).
 */
export class SimdSgd {
  private readonly w: Float32Array[];
  private readonly g: Float32Array[];
  private readonly buffers: Float32Array[];
  private readonly total: number;

  constructor(
    private readonly exports: ElementwiseExports,
    sizes: readonly number[],
  ) {
    const offsets: number[] = [];
    let total = 0;
    for (const n of sizes) {
      offsets.push(total);
      total += (n + 3) & ~3;
    }
    this.total = total;
    const bytes = 3 * 4 * total;
    const memory = exports.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    const view = (region: number, k: number) =>
      new Float32Array(memory.buffer, 4 * (region * total + offsets[k]!), sizes[k]);
    this.w = sizes.map((_, k) => view(0, k));
    this.g = sizes.map((_, k) => view(1, k));
    this.buffers = sizes.map((_, k) => view(2, k));
  }

  /** The momentum buffer of parameter k. */
  buffer(k: number): Float32Array {
    return this.buffers[k]!;
  }

  step(params: readonly { value: Float32Array; grad: Float32Array }[], u: SgdUpdate): void {
    for (let k = 0; k < params.length; k++) {
      this.w[k]!.set(params[k]!.value);
      this.g[k]!.set(params[k]!.grad);
    }
    const t = this.total;
    this.exports.sgd(0, 4 * t, 8 * t, t, u.mode, u.lr, u.weightDecay, u.keep, u.fresh, u.momentum);
    for (let k = 0; k < params.length; k++) params[k]!.value.set(this.w[k]!);
  }
}

let moduleCache: WasmModule | null | undefined;
let cache: ElementwiseKernels | null | undefined;

function elementwiseModule(): WasmModule | null {
  if (moduleCache === undefined) moduleCache = compileKernelModule(ELEMENTWISE_WASM_BASE64);
  return moduleCache;
}

function instantiate(): ElementwiseExports | null {
  const mod = elementwiseModule();
  if (!mod || !wasmApi) return null;
  try {
    return new wasmApi.Instance(mod, {}).exports as ElementwiseExports;
  } catch {
    return null;
  }
}

/** The thread's SIMD element-wise kernels, or null without WebAssembly SIMD. */
export function elementwiseSimd(): ElementwiseKernels | null {
  if (cache !== undefined) return cache;
  const exports = instantiate();
  cache = exports ? new SimdElementwise(exports) : null;
  return cache;
}

/** An SGD kernel for parameters of these sizes (its own instance), or null without WebAssembly SIMD. */
export function sgdSimd(sizes: readonly number[]): SimdSgd | null {
  const exports = instantiate();
  return exports ? new SimdSgd(exports, sizes) : null;
}
