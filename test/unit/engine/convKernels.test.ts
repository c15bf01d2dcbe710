// The SIMD conv kernels (conv.wat) against their TypeScript twins (convTypescript.ts), bit for bit, over random
// geometries: kernels 1-5, strides 1-3, padding 0-2, odd sizes, and values drawn from a few levels so that max
// pooling meets ties (the first maximum in row-major order wins, as in PyTorch), with NaN and both zeros.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slidingOutput } from '../../../src/protocol/layerShapes';
import type { ConvKernels, WindowGeometry } from '../../../src/engine/kernels/convTypes';
import { convTypescript, planeSums, windowGeometry } from '../../../src/engine/kernels/convTypescript';
import { createWasmConvKernels } from '../../../src/engine/kernels/convWasm';
import { convKernels } from '../../../src/engine/kernels/conv';
import { SeededRandom } from '../../../src/engine/random';

const wasm = createWasmConvKernels();
const skip = wasm ? false : 'no WebAssembly SIMD';
const ts = convTypescript;
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const CASES = 300;

const int = (rng: SeededRandom, lo: number, hi: number) => lo + Math.floor(rng.uniform() * (hi - lo + 1));

/** Values from a handful of levels (ties), now and then NaN, -0 or +0. */
function values(rng: SeededRandom, n: number, special = true): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    a[i] = special && u < 0.02 ? NaN : special && u < 0.06 ? -0 : special && u < 0.1 ? 0 : int(rng, -3, 3) * 0.75;
  }
  return a;
}

function normals(rng: SeededRandom, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** A random conv geometry (kernel 1-5 each way, stride 1-3, padding 0-2, sides 1-13) whose output is not empty. */
function convGeometry(rng: SeededRandom): WindowGeometry {
  for (;;) {
    const C = int(rng, 1, 3);
    const H = int(rng, 1, 13);
    const W = int(rng, 1, 13);
    const kh = int(rng, 1, 5);
    const kw = int(rng, 1, 5);
    const s = int(rng, 1, 3);
    const p = int(rng, 0, Math.min(2, kh - 1, kw - 1));
    const oh = slidingOutput(H, kh, s, p);
    const ow = slidingOutput(W, kw, s, p);
    if (oh >= 1 && ow >= 1) return windowGeometry([C, H, W], [kh, kw], s, p, [oh, ow]);
  }
}

/** A random pooling geometry: square window 1-5, stride 1-3, no padding. */
function poolGeometry(rng: SeededRandom): WindowGeometry {
  for (;;) {
    const C = int(rng, 1, 3);
    const H = int(rng, 1, 13);
    const W = int(rng, 1, 13);
    const k = int(rng, 1, 5);
    const s = int(rng, 1, 3);
    const oh = slidingOutput(H, k, s, 0);
    const ow = slidingOutput(W, k, s, 0);
    if (oh >= 1 && ow >= 1) return windowGeometry([C, H, W], [k, k], s, 0, [oh, ow]);
  }
}

const describe = (g: WindowGeometry) =>
  `${g.channels}x${g.height}x${g.width} k${g.kernelH}x${g.kernelW} s${g.stride} p${g.padding} -> ${g.outH}x${g.outW}`;

test('im2col and col2im match the TypeScript twin bit for bit, at a sample offset, accumulating', { skip }, () => {
  const rng = new SeededRandom(14);
  for (let t = 0; t < CASES; t++) {
    const g = convGeometry(rng);
    const inputs = g.channels * g.height * g.width;
    const cols = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
    const batch = int(rng, 1, 3);
    const n = int(rng, 0, batch - 1);
    const x = normals(rng, batch * inputs);
    const want = new Float32Array(cols).fill(9);
    const got = new Float32Array(cols).fill(-9);
    ts.im2col(x, n * inputs, g, want);
    wasm!.im2col(x, n * inputs, g, got);
    assert.deepEqual(bits(got), bits(want), `im2col ${describe(g)}`);

    const col = normals(rng, cols);
    const gx0 = normals(rng, batch * inputs);
    const gxWant = gx0.slice();
    const gxGot = gx0.slice();
    ts.col2im(col, g, gxWant, n * inputs);
    wasm!.col2im(col, g, gxGot, n * inputs);
    assert.deepEqual(bits(gxGot), bits(gxWant), `col2im ${describe(g)}`);
  }
});

test('maxPool and maxPoolBack match the twin bit for bit, ties and NaN included', { skip }, () => {
  const rng = new SeededRandom(15);
  let ties = 0;
  for (let t = 0; t < CASES; t++) {
    const g = poolGeometry(rng);
    const planes = int(rng, 1, 4) * g.channels;
    const x = values(rng, planes * g.height * g.width);
    const m = planes * g.outH * g.outW;
    const outWant = new Float32Array(m + 3).fill(5);
    const outGot = new Float32Array(m + 3).fill(5);
    const argWant = new Int32Array(m + 3).fill(-1);
    const argGot = new Int32Array(m + 3).fill(-1);
    ts.maxPool(x, g, planes, outWant, argWant);
    wasm!.maxPool(x, g, planes, outGot, argGot);
    assert.deepEqual(bits(outGot), bits(outWant), `maxPool ${describe(g)}`);
    assert.deepEqual(argGot, argWant, `argmax ${describe(g)}`);
    if (g.kernelH > 1) ties++;

    const grad = normals(rng, m);
    const gxWant = new Float32Array(planes * g.height * g.width + 2).fill(3);
    const gxGot = gxWant.slice();
    ts.maxPoolBack(grad, argWant, g, planes, gxWant);
    wasm!.maxPoolBack(grad, argGot, g, planes, gxGot);
    assert.deepEqual(bits(gxGot), bits(gxWant), `maxPoolBack ${describe(g)}`);
  }
  assert.ok(ties > CASES / 2, 'most cases pool windows wider than one value');
});

test('max pooling keeps the first maximum of a tie in row-major order, as PyTorch', { skip }, () => {
  // One 4x4 plane, 2x2 windows: every window holds its maximum twice.
  const x = Float32Array.from([1, 1, 0, 2, 0, 1, 2, 0, 3, 0, 0, 0, 3, 3, 0, 0]);
  const g = windowGeometry([1, 4, 4], [2, 2], 2, 0, [2, 2]);
  for (const k of [ts, wasm!]) {
    const out = new Float32Array(4);
    const arg = new Int32Array(4);
    k.maxPool(x, g, 1, out, arg);
    assert.deepEqual([...out], [1, 2, 3, 0], k.name);
    assert.deepEqual([...arg], [0, 3, 8, 10], k.name);
  }
});

test('avgPool and avgPoolBack match the twin bit for bit', { skip }, () => {
  const rng = new SeededRandom(16);
  for (let t = 0; t < CASES; t++) {
    const g = poolGeometry(rng);
    const planes = int(rng, 1, 4) * g.channels;
    const x = values(rng, planes * g.height * g.width);
    const m = planes * g.outH * g.outW;
    const want = new Float32Array(m).fill(5);
    const got = new Float32Array(m).fill(-5);
    ts.avgPool(x, g, planes, want);
    wasm!.avgPool(x, g, planes, got);
    assert.deepEqual(bits(got), bits(want), `avgPool ${describe(g)}`);

    const grad = normals(rng, m);
    const gxWant = new Float32Array(planes * g.height * g.width).fill(3);
    const gxGot = gxWant.slice();
    ts.avgPoolBack(grad, g, planes, gxWant);
    wasm!.avgPoolBack(grad, g, planes, gxGot);
    assert.deepEqual(bits(gxGot), bits(gxWant), `avgPoolBack ${describe(g)}`);
  }
});

test('planeBiasRelu and planeReluBackBias match the twin bit for bit, odd plane sizes included', { skip }, () => {
  const rng = new SeededRandom(17);
  for (let t = 0; t < CASES; t++) {
    const channels = int(rng, 1, 6);
    const planes = int(rng, 1, 4) * channels;
    const positions = int(rng, 1, 40);
    const n = planes * positions;
    const z0 = values(rng, n + 5);
    const b = normals(rng, channels);
    const zWant = z0.slice();
    const zGot = z0.slice();
    const outWant = new Float32Array(n + 5).fill(2);
    const outGot = outWant.slice();
    ts.planeBiasRelu(zWant, b, outWant, planes, channels, positions);
    wasm!.planeBiasRelu(zGot, b, outGot, planes, channels, positions);
    assert.deepEqual(bits(zGot), bits(zWant), `z ${planes}x${positions}`);
    assert.deepEqual(bits(outGot), bits(outWant), `out ${planes}x${positions}`);

    const g0 = normals(rng, n + 5);
    const gWant = g0.slice();
    const gGot = g0.slice();
    const gbWant = new Float32Array(channels).fill(7);
    const gbGot = gbWant.slice();
    ts.planeReluBackBias(zWant, gWant, gbWant, planes, channels, positions);
    wasm!.planeReluBackBias(zGot, gGot, gbGot, planes, channels, positions);
    assert.deepEqual(bits(gGot), bits(gWant), `grad ${planes}x${positions}`);
    assert.deepEqual(bits(gbGot), bits(gbWant), `gb ${planes}x${positions}`);
  }
});

test('planeSums adds each channel over the batch (exact on small integers)', () => {
  const channels = 3;
  const positions = 7;
  const planes = 2 * channels;
  const grad = Float32Array.from({ length: planes * positions }, (_, i) => (i % 5) - 2);
  const gb = new Float32Array(channels).fill(99);
  planeSums(grad, gb, planes, channels, positions);
  const want = [0, 0, 0];
  for (let q = 0; q < planes; q++) for (let i = 0; i < positions; i++) want[q % channels]! += grad[q * positions + i]!;
  assert.deepEqual([...gb], want);
});

test('the engine runs the SIMD conv kernels where the runtime has them', () => {
  assert.equal(convKernels().name, wasm ? 'wasm-simd' : 'typescript');
});

test('a conv kernel refuses a buffer too short for its geometry', { skip }, () => {
  const g = windowGeometry([1, 4, 4], [3, 3], 1, 1, [4, 4]);
  const k: ConvKernels = wasm!;
  assert.throws(() => k.im2col(new Float32Array(10), 0, g, new Float32Array(9 * 16)), /too short/);
  assert.throws(() => k.im2col(new Float32Array(16), 0, g, new Float32Array(10)), /too short/);
});
