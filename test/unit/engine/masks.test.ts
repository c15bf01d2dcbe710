import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BernoulliStream, bernoulliSimd } from '../../../src/engine/kernels/bernoulli';
import { SeededRandom } from '../../../src/engine/random';
import { Network } from '../../../src/engine/nn/network';
import { selectKernels } from '../../../src/engine/kernels';
import { elementwiseSimd } from '../../../src/engine/kernels/elementwise';
import { applyMask, trainScale } from '../../../src/engine/nn/dropout';

test(
  'the SIMD mask draw and its TypeScript twin give the same masks, counts and state, bit for bit',
  { skip: bernoulliSimd() ? false : 'no WebAssembly SIMD' },
  () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const simd = new BernoulliStream(() => a.nextU32());
    const twin = new BernoulliStream(() => b.nextU32(), null);
    for (const [n, p] of [
      [1, 0.5],
      [7, 0.3],
      [16, 0.5],
      [17, 0.1],
      [2048, 0.5],
      [100_003, 0.8],
      [33, 0],
      [64, 0.999],
    ] as const) {
      const k1 = new Uint8Array(n);
      const k2 = new Uint8Array(n);
      assert.equal(simd.draw(k1, n, p), twin.draw(k2, n, p), `dropped count, n=${n} p=${p}`);
      assert.deepEqual(k1, k2, `masks, n=${n} p=${p}`);
      assert.deepEqual(simd.state, twin.state, `state after n=${n} p=${p}`);
    }
  },
);

test('realized drop fractions stay within 5 standard deviations of the rate, and the count is exact', () => {
  const rng = new SeededRandom(7);
  const n = 50_000;
  const keep = new Uint8Array(n);
  for (const p of [0, 0.1, 0.2, 0.5, 0.9]) {
    for (let round = 0; round < 5; round++) {
      const dropped = rng.bernoulli(keep, n, p);
      assert.equal(
        dropped,
        keep.reduce((z, k) => z + (k ? 0 : 1), 0),
        'the returned count',
      );
      const sd = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(dropped / n - p) <= 5 * sd + 1e-12, `p=${p}: realized ${dropped / n}`);
    }
  }
  // Neighbouring units are independent: pairs agree as often as chance says.
  rng.bernoulli(keep, n, 0.5);
  let same = 0;
  for (let i = 1; i < n; i++) if (keep[i] === keep[i - 1]) same++;
  assert.ok(Math.abs(same / (n - 1) - 0.5) < 5 * Math.sqrt(0.25 / n), `neighbours agree ${same / (n - 1)}`);
});

test('one seed fixes every mask; another seed gives others', () => {
  const draw = (seed: number) => {
    const rng = new SeededRandom(seed);
    const keep = new Uint8Array(300);
    rng.bernoulli(keep, 300, 0.5);
    rng.uniform();
    rng.bernoulli(keep, 300, 0.5);
    return keep;
  };
  assert.deepEqual(draw(3), draw(3));
  assert.notDeepEqual(draw(3), draw(4));
});

test('a network counts the units its dropout dropped, drawn or injected', () => {
  const net = new Network(
    [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
    ],
    3,
    4,
    selectKernels(),
  );
  const x = new Float32Array(12).fill(1);
  net.forward(x, 4, 'train', new SeededRandom(1), false);
  const l = net.layers[1]!;
  assert.ok(l.kind === 'dropout');
  assert.equal(
    l.dropped,
    l.keep.subarray(0, 32).reduce((z, k) => z + (k ? 0 : 1), 0),
  );
  const injected = new Uint8Array(32).fill(1);
  injected[3] = injected[9] = injected[31] = 0;
  net.forward(x, 4, 'train', new SeededRandom(1), false, new Map([[1, injected]]));
  assert.equal(l.dropped, 3);
  net.forward(x, 4, 'eval', new SeededRandom(1), false);
  assert.equal(l.dropped, 0);
});

test(
  "the SIMD mask pass gives applyMask's bits, on prefixes of longer buffers too",
  { skip: elementwiseSimd() ? false : 'no WebAssembly SIMD' },
  () => {
    const simd = elementwiseSimd()!;
    const rng = new SeededRandom(9);
    for (const [n, p] of [
      [1, 0.5],
      [5, 0.3],
      [2048, 0.5],
      [3001, 0.2],
      [70_000, 0.7],
    ] as const) {
      const x = Float32Array.from({ length: n + 13 }, () => rng.normal());
      const keep = new Uint8Array(n + 13);
      rng.bernoulli(keep, n + 13, p);
      const scale = trainScale(p, 'inverted');
      const want = new Float32Array(n + 13).fill(7);
      const got = new Float32Array(n + 13).fill(7);
      applyMask(x, keep, scale, want, n);
      simd.mask(x, keep, scale, got, n);
      assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), `n=${n} p=${p}`);
    }
  },
);
