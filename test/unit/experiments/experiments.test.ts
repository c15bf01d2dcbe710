// The experiments' plumbing against a fake engine: variants, parallelism, progress, cancellation,
// persistence, result shapes. The learning directions are tested against the real engine in directions.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import {
  bestPoint,
  runCompareExperiment,
  runDatasetSweepExperiment,
  runForgotEvalExperiment,
  runMcExperiment,
  runPool,
  runSweepExperiment,
  sweepNoiseText,
  variability,
  weightStats,
  withDataFraction,
  withGroupRate,
  withoutDropout,
  type ExperimentProgress,
} from '../../../src/experiments';
import { RunStore } from '../../../src/runs';
import { fakeLauncher } from './fakeEngine';

const spec: ModelSpec = {
  name: 'fake',
  seed: 3,
  data: { source: 'generator', generator: 'overfit', samples: 80, noise: 0.3, validation: 0.5 },
  model: {
    input: 2,
    layers: [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
      { type: 'dense', units: 8, activation: 'relu', dropConnect: 0.2 },
      { type: 'dense', units: 2, activation: 'linear' },
    ],
  },
  training: {
    epochs: 4,
    batchSize: 16,
    optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
};

test('variants: without dropout zeroes rates and DropConnect; group rates add missing layers', () => {
  const off = withoutDropout(spec);
  assert.deepEqual(
    off.model.layers.map((l) => (l.type === 'dropout' ? l.rate : l.type === 'dense' ? (l.dropConnect ?? 'none') : '-')),
    ['none', 0, 'none', 'none'],
  );
  assert.equal((spec.model.layers[1] as { rate: number }).rate, 0.5, 'the original is untouched');

  const hidden = withGroupRate(spec, 'hidden', 0.3);
  // dense, dropout(0.3), dense(dc), +dropout(0.3), dense(out)
  assert.deepEqual(
    hidden.model.layers.map((l) => (l.type === 'dropout' ? `drop ${l.rate}` : l.type)),
    ['dense', 'drop 0.3', 'dense', 'drop 0.3', 'dense'],
  );
  const input = withGroupRate(spec, 'input', 0.2);
  assert.deepEqual(
    input.model.layers.map((l) => (l.type === 'dropout' ? `drop ${l.rate}` : l.type)),
    ['drop 0.2', 'dense', 'drop 0.5', 'dense', 'dense'],
  );
  const all = withGroupRate(input, 'all', 0.1);
  assert.deepEqual(
    all.model.layers.map((l) => (l.type === 'dropout' ? `drop ${l.rate}` : l.type)),
    ['drop 0.1', 'dense', 'drop 0.1', 'dense', 'drop 0.1', 'dense'],
  );
});

test('variants: data fractions shrink generators and subsample CSV rows (header kept, seeded)', () => {
  assert.equal(
    withDataFraction(spec, 0.5).spec.data.source === 'generator' &&
      (withDataFraction(spec, 0.5).spec.data as { samples: number }).samples,
    40,
  );
  const csvSpec: ModelSpec = { ...spec, data: { source: 'csv', path: 'd.csv', standardize: true, validation: 0.2 } };
  const csv = 'a,b,label\n' + Array.from({ length: 100 }, (_, i) => `${i},${i * 2},${i % 2}`).join('\n');
  const sub = withDataFraction(csvSpec, 0.25, csv);
  const lines = sub.csvText!.trim().split('\n');
  assert.equal(lines[0], 'a,b,label');
  assert.equal(lines.length, 26);
  assert.equal(sub.samples, 25);
  assert.equal(withDataFraction(csvSpec, 0.25, csv).csvText, sub.csvText, 'same seed, same rows');
});

test('compare: two parallel runs, final table, gap reduction, shared-range weight histograms, saved as a run', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-exp-'));
  try {
    const launcher = fakeLauncher();
    const store = new RunStore(folder);
    const writer = await store.create({ kind: 'compare', spec, config: { path: 'fake.dropout.yaml' } });
    const progress: ExperimentProgress[] = [];
    const result = await runCompareExperiment(spec, {
      launcher,
      writer,
      maxParallel: 2,
      seeds: 1,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.status, 'completed', result.message);
    assert.equal(launcher.maxConcurrent, 2, 'both arms train at once');
    assert.equal(launcher.started[0]!.seed, launcher.started[1]!.seed);
    assert.deepEqual(
      result.table.map((r) => r.label),
      ['with dropout', 'without dropout'],
    );
    assert.ok(result.gapReduction!.loss > 0);
    assert.ok(result.withDropout.weights!.evenness > result.withoutDropout.weights!.evenness);
    assert.deepEqual(
      [result.withDropout.weights!.histogram.min, result.withDropout.weights!.histogram.max],
      [result.withoutDropout.weights!.histogram.min, result.withoutDropout.weights!.histogram.max],
    );
    assert.equal(result.withDropout.training.epochs.length, 4);
    const last = progress[progress.length - 1]!;
    assert.equal(last.fraction, 1);
    assert.equal(last.completedRuns, 2);
    const saved = await store.read(writer.id);
    assert.ok(saved.ok);
    assert.equal(saved.record.status, 'completed');
    assert.deepEqual(
      saved.record.members!.map((m) => [m.key, m.epochs.length, m.status, (m.weights ?? []).length]),
      [
        ['with-dropout', 4, 'completed', 1],
        ['without-dropout', 4, 'completed', 1],
      ],
    );
    assert.equal((saved.record.summary as { kind: string }).kind, 'compare');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('compare: a config without dropout gets dropout added for the "with" arm, and a note says so', async () => {
  const launcher = fakeLauncher();
  const plain = withoutDropout(spec);
  const result = await runCompareExperiment(plain, { launcher });
  assert.match(result.notes.join(' '), /no dropout/);
  assert.ok(result.withDropout.spec.model.layers.some((l) => l.type === 'dropout' && l.rate === 0.5));
});

test('sweep: rates in parallel up to the cap, best rate, named regions', async () => {
  const launcher = fakeLauncher({ bestRate: 0.3 });
  const result = await runSweepExperiment(spec, { launcher, maxParallel: 3, group: 'hidden' });
  assert.equal(result.status, 'completed');
  assert.equal(launcher.maxConcurrent, 3);
  assert.deepEqual(result.rates, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
  assert.equal(result.best?.rate, 0.3);
  assert.deepEqual(result.overfitting, { from: 0, to: 0.2, rates: [0, 0.1, 0.2] });
  assert.deepEqual(result.underfitting?.rates, [0.4, 0.5, 0.6, 0.7, 0.8]);
  assert.deepEqual(
    result.points.map((p) => p.region),
    [
      'overfitting',
      'overfitting',
      'overfitting',
      'best',
      'underfitting',
      'underfitting',
      'underfitting',
      'underfitting',
      'underfitting',
    ],
  );
  assert.equal(result.table.length, 9);
  await assert.rejects(runSweepExperiment(spec, { launcher, rates: [0, 1] }), /outside \[0, 1\)/);
});

test('sweep: ties on validation loss are broken by accuracy', () => {
  assert.equal(
    bestPoint([
      { rate: 0.1, valLoss: 0.5, valAccuracy: 0.7 },
      { rate: 0.2, valLoss: 0.5, valAccuracy: 0.8 },
      { rate: 0.3, valLoss: 0.6, valAccuracy: 0.9 },
    ])?.rate,
    0.2,
  );
});

test('sweep: a failed rate fails the experiment but the others are reported', async () => {
  const launcher = fakeLauncher({ failAtRate: 0.4 });
  const result = await runSweepExperiment(spec, { launcher, rates: [0.3, 0.4, 0.6] });
  assert.equal(result.status, 'failed');
  assert.match(result.message ?? '', /diverged/);
  assert.equal(result.points[1]!.training.status, 'failed');
  assert.equal(result.points[0]!.training.status, 'completed');
  assert.ok(result.best);
});

test('cancellation: aborting stops running trainings and skips the rest', async () => {
  const launcher = fakeLauncher({ stepDelayMs: 5 });
  const controller = new AbortController();
  const slow = { ...spec, training: { ...spec.training, epochs: 200 } };
  setTimeout(() => controller.abort(), 50);
  const started = Date.now();
  const result = await runSweepExperiment(slow, { launcher, maxParallel: 2, signal: controller.signal });
  assert.equal(result.status, 'stopped');
  assert.ok(Date.now() - started < 2000, 'stops quickly');
  assert.ok(launcher.started.length <= 4, `started ${launcher.started.length}`);
  assert.ok(result.points.every((p) => p.training.status === 'stopped'));
});

test('dataset-size sweep: with and without dropout per fraction, benefit per size', async () => {
  const launcher = fakeLauncher();
  const result = await runDatasetSweepExperiment(spec, { launcher, fractions: [0.25, 0.5, 1], seeds: 2 });
  assert.equal(result.status, 'completed');
  assert.equal(launcher.started.length, 12, 'two arms, three sizes, two seeds');
  assert.deepEqual(result.seeds, [3, 4]);
  for (const p of result.points) assert.equal(p.lossBenefitInterval!.n, 2);
  assert.deepEqual(
    result.points.map((p) => p.samples),
    [20, 40, 80],
  );
  for (const p of result.points) assert.equal(typeof p.lossBenefit, 'number');
  assert.ok(result.bestFraction !== undefined);
});

test('MC uncertainty: trains to the end, predicts on the held model (MC passes, one eval pass), releases it; least-sure samples first', async () => {
  const launcher = fakeLauncher({ validationSize: 30 });
  const result = await runMcExperiment(spec, { launcher, samples: 20, leastSure: 5, mapResolution: 0, seeds: 1 });
  assert.equal(result.status, 'completed', result.message);
  assert.equal(result.training.epochs.length, 4, 'every epoch runs before the passes');
  assert.deepEqual(launcher.commands, ['start', 'predict', 'predict', 'release']);
  assert.equal(result.perSample!.mean.length, 30);
  assert.equal(result.mcAccuracy, 0.8);
  assert.ok(Math.abs(result.accuracyDelta! - 0.02) < 1e-9);
  assert.equal(result.leastSure.length, 5);
  for (let i = 1; i < 5; i++) assert.ok(result.leastSure[i - 1]!.variance >= result.leastSure[i]!.variance);
});

test('forgot eval: eval-mode vs train-mode accuracy, and the engine variance', async () => {
  const launcher = fakeLauncher();
  const result = await runForgotEvalExperiment(spec, { launcher, passes: 5 });
  assert.equal(result.status, 'completed', result.message);
  assert.ok(result.accuracyDrop! > 0);
  assert.equal(result.curves.length, 4);
  assert.ok(result.mcVariance! > 0);
});

test('seeds: every rate trains on the same seeds, spread over the workers; means, intervals, per-seed values', async () => {
  const launcher = fakeLauncher({ bestRate: 0.3, seedNoise: 0.2, pairNoise: 0.01 });
  const result = await runSweepExperiment(spec, { launcher, maxParallel: 4, rates: [0, 0.3, 0.6], seeds: 4 });
  assert.equal(result.status, 'completed');
  assert.equal(launcher.started.length, 12);
  assert.equal(launcher.maxConcurrent, 4);
  assert.deepEqual(result.seeds, [3, 4, 5, 6]);
  for (const rate of [0, 0.3, 0.6])
    assert.deepEqual(
      launcher.started
        .filter((s) => s.model.layers.some((l) => l.type === 'dropout' && l.rate === rate))
        .map((s) => s.seed),
      [3, 4, 5, 6],
    );
  const p = result.points[1]!;
  assert.equal(p.stats.valLoss!.n, 4);
  assert.equal(p.stats.valLoss!.values.length, 4);
  assert.ok(p.stats.valLoss!.low < p.stats.valLoss!.mean && p.stats.valLoss!.mean < p.stats.valLoss!.high);
  assert.equal(result.table[1]!.valLoss, p.stats.valLoss!.mean, 'the table shows means');
  // The shared seed effect (0.2) makes the intervals overlap, but the paired test sees the 0.18 difference.
  assert.equal(result.best?.rate, 0.3);
  assert.deepEqual(result.indistinguishable, [0.3]);
  assert.equal(result.points[0]!.vsBest!.withinNoise, false);
});

test('seeds: rates whose difference from the best is within the seed noise are indistinguishable from it', async () => {
  // (The fake's spec keeps a DropConnect of 0.2, so rates below 0.2 would all count as 0.2.)
  const launcher = fakeLauncher({ bestRate: 0.5, pairNoise: 0.05 });
  const result = await runSweepExperiment(spec, { launcher, rates: [0.2, 0.45, 0.5, 0.55, 0.9], seeds: 5 });
  assert.ok(result.best && [0.45, 0.5, 0.55].includes(result.best.rate));
  assert.ok(result.indistinguishable.includes(result.best.rate));
  assert.ok(!result.indistinguishable.includes(0.2) && !result.indistinguishable.includes(0.9), 'far rates differ');
  assert.ok(result.indistinguishable.length >= 2, `${result.indistinguishable.join(',')}: near rates are noise`);
  assert.match(sweepNoiseText(result), /are within noise \(a paired t-test over the 5 seeds/);
  const flat = await runSweepExperiment(spec, {
    launcher: fakeLauncher({ bestRate: 0.5, pairNoise: 1 }),
    rates: [0.45, 0.5, 0.55],
    seeds: 3,
  });
  assert.equal(flat.indistinguishable.length, 3);
  assert.match(sweepNoiseText(flat), /^No rate differs from .* cannot tell the rates apart/);
  // One seed: nothing can be told apart.
  const one = await runSweepExperiment(spec, { launcher: fakeLauncher(), rates: [0, 0.3], seeds: 1 });
  assert.deepEqual(one.indistinguishable, [0, 0.3]);
  assert.equal(one.points[0]!.key, 'rate=0', 'one seed keeps the plain keys');
});

test('seeds: compare, MC and forgot-eval report intervals over seeds', async () => {
  const compare = await runCompareExperiment(spec, { launcher: fakeLauncher({ pairNoise: 0.01 }), seeds: 3 });
  assert.deepEqual(compare.seeds, [3, 4, 5]);
  assert.equal(compare.withDropout.stats.runs.length, 3);
  assert.equal(compare.gapReductionInterval!.loss.n, 3);
  assert.equal(compare.gapReduction!.loss, compare.gapReductionInterval!.loss.mean);
  const mc = await runMcExperiment(spec, { launcher: fakeLauncher(), samples: 5, mapResolution: 0, seeds: 2 });
  assert.equal(mc.status, 'completed', mc.message);
  assert.equal(mc.intervals.mcAccuracy!.n, 2);
  assert.equal(mc.intervals.accuracyDelta!.n, 2);
  const forgot = await runForgotEvalExperiment(spec, { launcher: fakeLauncher(), passes: 3, seeds: 2 });
  assert.equal(forgot.status, 'completed', forgot.message);
  assert.equal(forgot.drop!.accuracy!.n, 2);
  assert.equal(forgot.accuracyDrop, forgot.drop!.accuracy!.mean);
});

test('variability: flips between passes and unstable samples', () => {
  const labels = [0, 1, 1, 0];
  const v = variability(
    [
      [0, 1, 1, 0],
      [0, 1, 0, 0],
      [0, 1, 1, 1],
    ],
    labels,
  );
  assert.deepEqual(v.passAccuracies, [1, 0.75, 0.75]);
  assert.ok(Math.abs(v.flipRate! - 0.375) < 1e-12); // 1/4 then 2/4
  assert.equal(v.unstableFraction, 0.5);
  assert.ok(
    variability([
      [1, 2],
      [3, 2],
    ]).predictionStd! > 0,
  );
});

test('weight stats: an outlier lowers evenness', () => {
  const even = weightStats(Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1)));
  const peaked = weightStats(Float32Array.from({ length: 100 }, (_, i) => (i === 0 ? 30 : i % 2 ? 0.1 : -0.1)));
  assert.equal(even.evenness, 1);
  assert.ok(peaked.evenness < 0.2);
  assert.equal(
    even.histogram.counts.reduce((a, b) => a + b, 0),
    100,
  );
});

test('runPool never exceeds its cap', async () => {
  let active = 0;
  let peak = 0;
  const tasks = Array.from({ length: 7 }, (_, i) => async () => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 5));
    active--;
    return i;
  });
  assert.deepEqual(await runPool(tasks, 3), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(peak, 3);
});

test("the saved summary leaves out each seed's epochs (the members hold them) and keeps the rest", async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-exp-seeds-'));
  try {
    const store = new RunStore(folder);
    const writer = await store.create({ kind: 'sweep', spec, config: {} });
    const result = await runSweepExperiment(spec, { launcher: fakeLauncher(), rates: [0.2, 0.5], seeds: 2, writer });
    assert.equal(result.points[0]!.stats.runs[0]!.epochs.length, 4, 'the result itself keeps them');
    const saved = await store.read(writer.id);
    assert.ok(saved.ok);
    assert.deepEqual(
      saved.record.members!.map((m) => [m.key, m.epochs.length]),
      [
        ['rate=0.2/seed=3', 4],
        ['rate=0.2/seed=4', 4],
        ['rate=0.5/seed=3', 4],
        ['rate=0.5/seed=4', 4],
      ],
    );
    const summary = saved.record.summary as typeof result;
    assert.equal(summary.points[0]!.stats.runs.length, 2);
    assert.equal(summary.points[0]!.stats.runs[0]!.epochs, undefined);
    assert.deepEqual(summary.points[0]!.stats.valLoss, JSON.parse(JSON.stringify(result.points[0]!.stats.valLoss)));
    assert.equal(summary.points[0]!.training.epochs.length, 4, "the first seed's curves stay");
    assert.deepEqual(summary.indistinguishable, result.indistinguishable);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
