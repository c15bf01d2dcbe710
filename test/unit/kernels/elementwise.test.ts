// The SIMD element-wise passes (elementwise.wat) against their TypeScript twins, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elementwiseSimd, type SgdUpdate } from '../../../src/engine/kernels/elementwise';
import { activationBackwardBias, biasActivate } from '../../../src/engine/nn/activation';
import { Sgd, sgdStep } from '../../../src/engine/nn/optim';
import { SeededRandom } from '../../../src/engine/random';

const skip = elementwiseSimd() ? false : 'no WebAssembly SIMD';
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function normals(rng: SeededRandom, n: number): Float32Array {
  const a = Float32Array.from({ length: n }, () => rng.normal());
  // Edge values: zeros of both signs, a NaN-free but large entry.
  if (n > 3) {
    a[0] = 0;
    a[1] = -0;
    a[2] = 1e30;
  }
  return a;
}

const SHAPES: ReadonlyArray<[number, number]> = [
  [1, 1],
  [3, 5],
  [32, 64],
  [7, 2],
  [128, 512],
  [5, 1030],
  [9, 3],
];

test('biasRelu gives biasActivate(relu) bit for bit, on prefixes of longer buffers too', { skip }, () => {
  const simd = elementwiseSimd()!;
  const rng = new SeededRandom(3);
  for (const [rows, units] of SHAPES) {
    const extra = 2 * units + 3;
    const z0 = normals(rng, rows * units + extra);
    const b = normals(rng, units);
    const zWant = z0.slice();
    const zGot = z0.slice();
    const outWant = new Float32Array(z0.length).fill(7);
    const outGot = new Float32Array(z0.length).fill(7);
    biasActivate('relu', zWant, b, outWant, rows, units);
    simd.biasRelu(zGot, b, outGot, rows, units);
    assert.deepEqual(bits(zGot), bits(zWant), `z ${rows}x${units}`);
    assert.deepEqual(bits(outGot), bits(outWant), `out ${rows}x${units}`);
  }
});

test('reluBackBias gives activationBackwardBias(relu) bit for bit', { skip }, () => {
  const simd = elementwiseSimd()!;
  const rng = new SeededRandom(4);
  for (const [rows, units] of SHAPES) {
    const extra = units + 5;
    const z = normals(rng, rows * units + extra);
    const g0 = normals(rng, rows * units + extra);
    const gWant = g0.slice();
    const gGot = g0.slice();
    const gbWant = new Float32Array(units).fill(3);
    const gbGot = new Float32Array(units).fill(3);
    activationBackwardBias('relu', z, z, gWant, gbWant, rows, units);
    simd.reluBackBias(z, gGot, gbGot, rows, units);
    assert.deepEqual(bits(gGot), bits(gWant), `grad ${rows}x${units}`);
    assert.deepEqual(bits(gbGot), bits(gbWant), `gb ${rows}x${units}`);
  }
});

test(
  'the SIMD SGD update over all parameters gives sgdStep bit for bit (plain, momentum, Nesterov, decay, dampening)',
  { skip },
  () => {
    const rng = new SeededRandom(5);
    const sizes = [1, 130, 4096, 7, 64];
    for (const [momentum, dampening, nesterov, weightDecay] of [
      [0, 0, false, 0],
      [0, 0, false, 0.01],
      [0.9, 0, false, 0],
      [0.9, 0.1, false, 0.001],
      [0.9, 0, true, 0.01],
      [0.5, 0, true, 0],
    ] as const) {
      const params = sizes.map((n) => ({ value: normals(rng, n), grad: new Float32Array(n) }));
      const twin = params.map((p) => ({ value: p.value.slice(), grad: p.grad }));
      const simd = new Sgd(params, momentum, dampening, nesterov, weightDecay);
      const ts = new Sgd(twin, momentum, dampening, nesterov, weightDecay, { simd: false });
      for (let step = 0; step < 4; step++) {
        for (const p of params) p.grad.set(normals(rng, p.grad.length));
        const lr = step === 2 ? 0.003 : 0.05;
        simd.step(lr);
        ts.step(lr);
        params.forEach((p, k) => {
          const what = `m=${momentum} d=${dampening} nesterov=${nesterov} wd=${weightDecay} step ${step + 1} param ${k}`;
          assert.deepEqual(bits(p.value), bits(twin[k]!.value), `w ${what}`);
          if (momentum) assert.deepEqual(bits(simd.buffer(k)!), bits(ts.buffer(k)!), `buffer ${what}`);
        });
      }
    }
  },
);

test('sgdStep rounds every operation to f32 (PyTorch float tensors), first step takes the buffer as d', () => {
  const w = Float32Array.of(1, -2);
  const g = Float32Array.of(0.5, 0.25);
  const buf = new Float32Array(2);
  const u: SgdUpdate = { mode: 1, lr: Math.fround(0.1), weightDecay: 0, keep: 0, fresh: 1, momentum: Math.fround(0.9) };
  sgdStep(w, g, buf, 2, u);
  assert.deepEqual([...buf], [0.5, 0.25]);
  assert.deepEqual(
    [...w],
    [Math.fround(1 - Math.fround(Math.fround(0.1) * 0.5)), Math.fround(-2 - Math.fround(Math.fround(0.1) * 0.25))],
  );
});
