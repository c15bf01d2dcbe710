import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerActivationStats, layerMask, STATS_SAMPLE } from '../../../src/engine/snapshot';
import { Network, type DropoutLayer } from '../../../src/engine/nn/network';
import { selectKernels } from '../../../src/engine/kernels';
import { SeededRandom } from '../../../src/engine/random';

function dropoutNet(units: number, batch: number) {
  const net = new Network(
    [
      { type: 'dense', units, activation: 'relu' },
      { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
    ],
    4,
    batch,
    selectKernels(),
  );
  net.initialize('he', new SeededRandom(2));
  const x = Float32Array.from({ length: 4 * batch }, (_, i) => Math.sin(i));
  net.forward(x, batch, 'train', new SeededRandom(3), false);
  return net.layers[1] as DropoutLayer;
}

function moments(v: Float32Array, n: number) {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (v[i]! - mean) ** 2;
  return { mean, variance: variance / n };
}

test('statistics of a batch that fits the sample are the exact moments, histograms count every activation', () => {
  const l = dropoutNet(16, 8);
  const s = layerActivationStats(l, 8, 24);
  for (const [got, want] of [
    [s.before, moments(l.input, 128)],
    [s.after, moments(l.out, 128)],
  ] as const) {
    assert.ok(Math.abs(got.mean - want.mean) < 1e-9 && Math.abs(got.variance - want.variance) < 1e-9);
  }
  assert.equal(
    s.histogram.before.reduce((a, b) => a + b, 0),
    128,
  );
  assert.equal(
    s.histogram.after.reduce((a, b) => a + b, 0),
    128,
  );
  const dropped = l.keep.subarray(0, 128).reduce((z, k) => z + (k ? 0 : 1), 0);
  assert.equal(s.realizedDropFraction, dropped / 128);
  assert.equal(s.expectation.undroppedMean, s.before.mean);
});

test('a large batch: moments and histograms over whole leading rows, the drop fraction over the whole batch', () => {
  const units = 1000;
  const batch = 64;
  const l = dropoutNet(units, batch);
  const s = layerActivationStats(l, batch, 24);
  const rows = Math.floor(STATS_SAMPLE / units);
  assert.equal(
    s.histogram.before.reduce((a, b) => a + b, 0),
    rows * units,
  );
  assert.ok(Math.abs(s.before.mean - moments(l.input, rows * units).mean) < 1e-9);
  const dropped = l.keep.subarray(0, batch * units).reduce((z, k) => z + (k ? 0 : 1), 0);
  assert.equal(s.realizedDropFraction, dropped / (batch * units));
  // Inverted dropout keeps the mean: the check holds on the sample too.
  assert.ok(s.expectation.relativeError < 0.1, `relative error ${s.expectation.relativeError}`);
});

test('the mask is the first example, bit-packed LSB first', () => {
  const l = dropoutNet(20, 4);
  const m = layerMask(l, 4, new Uint8Array(3));
  for (let i = 0; i < 20; i++) assert.equal((m.bits[i >> 3]! >> (i & 7)) & 1, l.keep[i]);
  assert.equal(m.units, 20);
  assert.equal(m.realizedDropFraction, l.keep.subarray(0, 80).reduce((z, k) => z + (k ? 0 : 1), 0) / 80);
});
