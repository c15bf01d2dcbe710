// Statistics over seeds: the t quantiles against textbook values and against a numerical integration of
// Student's density, intervals on hand-computed data, the paired comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatInterval, interval, overlaps, paired, seedList, tQuantile975 } from '../../../src/experiments/intervals';

/** P(T <= t) for Student's t with `df` degrees of freedom, by Simpson's rule on the density from 0 to t. */
function tCdf(t: number, df: number): number {
  // log of the density's constant: Γ((ν+1)/2) / (sqrt(νπ) Γ(ν/2)), by the Lanczos-free recurrence on half-integers.
  const logGammaHalf = (k: number): number => {
    // Γ(k/2) for whole k ≥ 1: Γ(1/2) = sqrt(π), Γ(1) = 1, Γ(x + 1) = x Γ(x).
    let x = k % 2 === 0 ? 1 : 0.5;
    let g = k % 2 === 0 ? 0 : 0.5 * Math.log(Math.PI);
    while (x < k / 2) {
      g += Math.log(x);
      x += 1;
    }
    return g;
  };
  const c = Math.exp(logGammaHalf(df + 1) - logGammaHalf(df) - 0.5 * Math.log(df * Math.PI));
  const f = (x: number) => c * (1 + (x * x) / df) ** (-(df + 1) / 2);
  const steps = 20000;
  const h = t / steps;
  let s = f(0) + f(t);
  for (let i = 1; i < steps; i++) s += f(i * h) * (i % 2 === 1 ? 4 : 2);
  return 0.5 + (s * h) / 3;
}

test('t quantiles: textbook values (two-sided 95%)', () => {
  const known: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [5, 2.571],
    [6, 2.447],
    [9, 2.262],
    [10, 2.228],
    [15, 2.131],
    [20, 2.086],
    [29, 2.045],
    [30, 2.042],
    [40, 2.021],
    [60, 2.0],
    [120, 1.98],
  ];
  for (const [df, t] of known) assert.ok(Math.abs(tQuantile975(df) - t) < 6e-4, `df ${df}: ${tQuantile975(df)}`);
  assert.ok(Math.abs(tQuantile975(1e6) - 1.95996) < 1e-5, 'tends to the normal quantile');
  assert.throws(() => tQuantile975(0), RangeError);
  assert.throws(() => tQuantile975(2.5), RangeError);
});

test('t quantiles: each puts 97.5% of the mass below it (numerical integration), and they fall with df', () => {
  let previous = Infinity;
  for (let df = 1; df <= 60; df++) {
    const q = tQuantile975(df);
    assert.ok(Math.abs(tCdf(q, df) - 0.975) < 2e-6, `df ${df}: cdf ${tCdf(q, df)}`);
    assert.ok(q < previous, `df ${df} below df ${df - 1}`);
    previous = q;
  }
});

test('interval: mean, sample sd and the t half-width on hand-computed data', () => {
  // 1..5: mean 3, sd sqrt(2.5), half-width 2.776445 * sqrt(2.5) / sqrt(5) = 2.776445 * sqrt(0.5).
  const i = interval([1, 2, 3, 4, 5])!;
  assert.equal(i.mean, 3);
  assert.ok(Math.abs(i.sd - Math.sqrt(2.5)) < 1e-12);
  const half = 2.776445105 * Math.sqrt(0.5);
  assert.ok(Math.abs(i.low - (3 - half)) < 1e-9 && Math.abs(i.high - (3 + half)) < 1e-9);
  assert.deepEqual(i.values, [1, 2, 3, 4, 5]);
  // Two values: df 1, t = 12.706.
  const two = interval([0.4, 0.6])!;
  assert.ok(Math.abs(two.high - two.mean - (12.706204736 * Math.sqrt(0.02)) / Math.sqrt(2)) < 1e-9);
  // Missing and non-finite values are left out; one value has no width; none has no interval.
  assert.deepEqual(interval([2, undefined, Number.NaN]), { mean: 2, low: 2, high: 2, sd: 0, n: 1, values: [2] });
  assert.equal(interval([]), undefined);
  const same = interval([0.5, 0.5, 0.5])!;
  assert.equal(same.low, 0.5);
  assert.equal(same.high, 0.5);
});

test('paired: a small consistent difference is real even when the intervals overlap', () => {
  // Seed-to-seed spread is large and shared; b is always 0.01 above a.
  const a = [0.3, 0.5, 0.4, 0.6, 0.35];
  const b = a.map((x, i) => x + 0.01 + (i % 2 ? 0.001 : -0.001));
  assert.ok(overlaps(interval(a)!, interval(b)!), 'the intervals overlap');
  const d = paired(b, a)!;
  assert.equal(d.withinNoise, false);
  assert.ok(d.low > 0 && Math.abs(d.mean - 0.0098) < 1e-9);
  // A difference that flips sign from seed to seed is noise.
  const noisy = paired([0.41, 0.39, 0.42, 0.38, 0.4], [0.4, 0.4, 0.4, 0.4, 0.4])!;
  assert.equal(noisy.withinNoise, true);
  // Incomplete pairs are dropped; a single pair concludes nothing; no pair gives nothing.
  assert.equal(paired([1, undefined, 3], [0, 2, undefined])!.n, 1);
  assert.equal(paired([1], [0])!.withinNoise, true);
  assert.equal(paired([undefined], [0]), undefined);
  assert.equal(paired([1, 2], [1, 2])!.withinNoise, true, 'identical runs are indistinguishable');
});

test('seeds and formatting', () => {
  assert.deepEqual(seedList(7, 3), [7, 8, 9]);
  assert.deepEqual(seedList(0xffffffff, 2), [0xffffffff, 0]);
  assert.throws(() => seedList(1, 0), RangeError);
  assert.equal(formatInterval(interval([1, 2, 3, 4, 5]), 2), '3.00 ± 1.96');
  assert.equal(formatInterval(interval([0.5]), 3), '0.500');
  assert.equal(formatInterval(undefined), '-');
});
