import type { ConvKernels, WindowGeometry } from './convTypes';
import { CONV_WASM_BASE64 } from './convWasm.generated';
import { compileKernelModule, wasmApi, type WasmMemory, type WasmModule } from './wasm';

/**
 * The convolution data-movement kernels in WebAssembly SIMD (conv.wat), twins of convTypescript.ts bit for bit.
 * Operands are copied into the instance's own memory and results copied out, as the matmul and element-wise
 * kernels do (wasm.ts says why no engine buffer is a view into wasm memory): each copy is one memcpy, against
 * per-element JavaScript loops that cost several times more. After the first step nothing allocates: regions,
 * heap views and the per-sample views of the caller's buffers are cached.
 */
interface ConvExports {
  memory: WasmMemory;
  im2col(x: number, col: number, ...geometry: Window): void;
  col2im(col: number, gx: number, ...geometry: Window): void;
  maxPool(x: number, out: number, argmax: number, planes: number, ...geometry: PoolWindow): void;
  maxPoolBack(grad: number, argmax: number, gx: number, planes: number, hw: number, positions: number): void;
  avgPool(x: number, out: number, planes: number, ...geometry: PoolWindow): void;
  avgPoolBack(grad: number, gx: number, planes: number, ...geometry: PoolWindow): void;
  planeBiasRelu(z: number, b: number, out: number, planes: number, channels: number, positions: number): void;
  planeReluBackBias(z: number, grad: number, gb: number, planes: number, channels: number, positions: number): void;
}
type Window = [C: number, H: number, W: number, kh: number, kw: number, s: number, p: number, oh: number, ow: number];
type PoolWindow = [H: number, W: number, kh: number, kw: number, s: number, outH: number, outW: number];

/** Bytes after each region: pooling's last group of four windows may read up to 15 floats past the input and write
 *  3 values past the output. */
const SLACK = 64;

class WasmConvKernels implements ConvKernels {
  readonly name = 'wasm-simd';
  private floats: Float32Array;
  private ints: Int32Array;
  private readonly heapViews = new Map<number, Float32Array>();
  private readonly intViews = new Map<number, Int32Array>();
  private readonly callerViews = new WeakMap<Float32Array | Int32Array, Map<number, Float32Array | Int32Array>>();

  constructor(private readonly exports: ConvExports) {
    this.floats = new Float32Array(exports.memory.buffer);
    this.ints = new Int32Array(exports.memory.buffer);
  }

  im2col(x: Float32Array, xAt: number, g: WindowGeometry, col: Float32Array): void {
    const n = g.channels * g.height * g.width;
    const cols = fanIn(g) * g.outH * g.outW;
    const [xr, cr] = this.regions(n, cols);
    this.put(x, xAt, n, xr);
    this.exports.im2col(
      xr,
      cr,
      g.channels,
      g.height,
      g.width,
      g.kernelH,
      g.kernelW,
      g.stride,
      g.padding,
      g.outH,
      g.outW,
    );
    this.take(cr, cols, col, 0);
  }

  col2im(col: Float32Array, g: WindowGeometry, gx: Float32Array, gxAt: number): void {
    const n = g.channels * g.height * g.width;
    const cols = fanIn(g) * g.outH * g.outW;
    const [cr, gr] = this.regions(cols, n);
    this.put(col, 0, cols, cr);
    this.put(gx, gxAt, n, gr);
    this.exports.col2im(
      cr,
      gr,
      g.channels,
      g.height,
      g.width,
      g.kernelH,
      g.kernelW,
      g.stride,
      g.padding,
      g.outH,
      g.outW,
    );
    this.take(gr, n, gx, gxAt);
  }

  maxPool(x: Float32Array, g: WindowGeometry, planes: number, out: Float32Array, argmax: Int32Array): void {
    const n = planes * g.height * g.width;
    const m = planes * g.outH * g.outW;
    const [xr, or, ar] = this.regions(n, m, m);
    this.put(x, 0, n, xr);
    this.exports.maxPool(xr, or, ar, planes, g.height, g.width, g.kernelH, g.kernelW, g.stride, g.outH, g.outW);
    this.take(or, m, out, 0);
    this.checkLength(argmax, 0, m);
    argmax.set(this.intView(ar, m));
  }

  maxPoolBack(grad: Float32Array, argmax: Int32Array, g: WindowGeometry, planes: number, gx: Float32Array): void {
    const hw = g.height * g.width;
    const m = planes * g.outH * g.outW;
    const [gr, ar, xr] = this.regions(m, m, planes * hw);
    this.put(grad, 0, m, gr);
    this.checkLength(argmax, 0, m);
    const args = this.intView(ar, m);
    args.set(this.callerView(argmax, 0, m));
    this.exports.maxPoolBack(gr, ar, xr, planes, hw, g.outH * g.outW);
    this.take(xr, planes * hw, gx, 0);
  }

  avgPool(x: Float32Array, g: WindowGeometry, planes: number, out: Float32Array): void {
    const n = planes * g.height * g.width;
    const m = planes * g.outH * g.outW;
    const [xr, or] = this.regions(n, m);
    this.put(x, 0, n, xr);
    this.exports.avgPool(xr, or, planes, g.height, g.width, g.kernelH, g.kernelW, g.stride, g.outH, g.outW);
    this.take(or, m, out, 0);
  }

  avgPoolBack(grad: Float32Array, g: WindowGeometry, planes: number, gx: Float32Array): void {
    const n = planes * g.height * g.width;
    const m = planes * g.outH * g.outW;
    const [gr, xr] = this.regions(m, n);
    this.put(grad, 0, m, gr);
    this.exports.avgPoolBack(gr, xr, planes, g.height, g.width, g.kernelH, g.kernelW, g.stride, g.outH, g.outW);
    this.take(xr, n, gx, 0);
  }

  planeBiasRelu(
    z: Float32Array,
    b: Float32Array,
    out: Float32Array,
    planes: number,
    channels: number,
    positions: number,
  ): void {
    const n = planes * positions;
    const [zr, br, or] = this.regions(n, channels, n);
    this.put(z, 0, n, zr);
    this.put(b, 0, channels, br);
    this.exports.planeBiasRelu(zr, br, or, planes, channels, positions);
    this.take(zr, n, z, 0);
    this.take(or, n, out, 0);
  }

  planeReluBackBias(
    z: Float32Array,
    grad: Float32Array,
    gb: Float32Array,
    planes: number,
    channels: number,
    positions: number,
  ): void {
    const n = planes * positions;
    const [zr, gr, br] = this.regions(n, n, channels);
    this.put(z, 0, n, zr);
    this.put(grad, 0, n, gr);
    this.exports.planeReluBackBias(zr, gr, br, planes, channels, positions);
    this.take(gr, n, grad, 0);
    this.take(br, channels, gb, 0);
  }

  /** Byte addresses of consecutive regions of these many 4-byte values, each 16-byte aligned and followed by slack;
   *  grows the memory when they do not fit (which drops every cached heap view). */
  private regions(a: number, b: number, c = 0): readonly [number, number, number] {
    const at = this.at;
    at[0] = 0;
    at[1] = region(a);
    at[2] = at[1] + region(b);
    const end = at[2] + region(c);
    const memory = this.exports.memory;
    if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    if (this.floats.buffer !== memory.buffer) {
      this.floats = new Float32Array(memory.buffer);
      this.ints = new Int32Array(memory.buffer);
      this.heapViews.clear();
      this.intViews.clear();
    }
    return at;
  }
  private readonly at: [number, number, number] = [0, 0, 0];

  /** Copies src[from, from + n) into the heap at byte address `at`. */
  private put(src: Float32Array, from: number, n: number, at: number): void {
    this.checkLength(src, from, n);
    this.floats.set(this.callerView(src, from, n), at >> 2);
  }

  /** Copies n floats from the heap at byte address `at` into dst[to, to + n). */
  private take(at: number, n: number, dst: Float32Array, to: number): void {
    this.checkLength(dst, to, n);
    dst.set(this.floatView(at, n), to);
  }

  private checkLength(a: Float32Array | Int32Array, from: number, n: number): void {
    if (from + n > a.length)
      throw new RangeError(`conv kernel: a buffer of ${a.length} values is too short for [${from}, ${from + n})`);
  }

  /** src[from, from + n) as a view, cached per (array, offset): per-sample slices repeat every step. */
  private callerView<T extends Float32Array | Int32Array>(src: T, from: number, n: number): T {
    if (from === 0 && src.length === n) return src;
    let byOffset = this.callerViews.get(src);
    if (!byOffset) this.callerViews.set(src, (byOffset = new Map<number, Float32Array | Int32Array>()));
    let v = byOffset.get(from) as T | undefined;
    if (!v || v.length !== n) {
      if (byOffset.size > 1024) byOffset.clear();
      byOffset.set(from, (v = src.subarray(from, from + n) as T));
    }
    return v;
  }

  private floatView(at: number, n: number): Float32Array {
    const key = at * 2 ** 26 + n;
    let v = this.heapViews.get(key);
    if (!v) {
      if (this.heapViews.size > 256) this.heapViews.clear();
      this.heapViews.set(key, (v = this.floats.subarray(at >> 2, (at >> 2) + n)));
    }
    return v;
  }

  private intView(at: number, n: number): Int32Array {
    const key = at * 2 ** 26 + n;
    let v = this.intViews.get(key);
    if (!v) {
      if (this.intViews.size > 256) this.intViews.clear();
      this.intViews.set(key, (v = this.ints.subarray(at >> 2, (at >> 2) + n)));
    }
    return v;
  }
}

function region(values: number): number {
  return ((4 * values + 15) & ~15) + SLACK;
}

function fanIn(g: WindowGeometry): number {
  return g.channels * g.kernelH * g.kernelW;
}

let moduleCache: WasmModule | null | undefined;

/** A fresh instance of the SIMD conv kernels (its own memory), or null without WebAssembly SIMD. */
export function createWasmConvKernels(): ConvKernels | null {
  if (moduleCache === undefined) moduleCache = compileKernelModule(CONV_WASM_BASE64);
  if (!moduleCache || !wasmApi) return null;
  return new WasmConvKernels(new wasmApi.Instance(moduleCache, {}).exports as ConvExports);
}
