// The experiments against the real engine, on the `overfit` generator (overlapping blobs with label noise,
// few samples, a wide network): the directions the articles predict. Small models, few epochs, fixed seeds.
// Most run the engine in this thread (no worker start-up); one goes through real worker threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import {
  runCompareExperiment,
  runDatasetSweepExperiment,
  runForgotEvalExperiment,
  runMcExperiment,
  runSweepExperiment,
  trainOnce,
  withGroupRate,
  type Launcher,
} from '../../../src/experiments';
import { EngineWorker } from '../../../src/session/engineWorker';

const root = join(__dirname, '..', '..', '..');
const engineReady =
  existsSync(join(root, 'src', 'engine', 'trainer.ts')) ||
  existsSync(join(root, 'src', 'engine', 'trainer', 'index.ts'));
const skip = engineReady ? false : 'the engine trainer has not landed yet';
// Imported lazily: the engine's modules load only when it is there.
/** Real worker threads (held after `done`), from the bundle when built, else from the sources through a tsx bootstrap. */
const workers: Launcher = () =>
  existsSync(join(root, 'dist', 'worker.js'))
    ? new EngineWorker({ file: join(root, 'dist', 'worker.js') }, { hold: true })
    : new EngineWorker({ file: join(__dirname, 'workerFromSource.cjs') }, { hold: true });
const inProcess = async () => (await import('../../../src/experiments/inProcess')).inProcessLauncher();

/** A small network on the overfit generator (80 samples, half held out); dropout after each hidden layer. */
export function overfitSpec(rate: number, units = 16, overrides: Partial<ModelSpec['training']> = {}): ModelSpec {
  const plain: ModelSpec = {
    name: 'overfit on purpose',
    seed: 11,
    data: { source: 'generator', generator: 'overfit', samples: 80, noise: 0.3, validation: 0.5 },
    model: {
      input: 2,
      layers: [
        { type: 'dense', units, activation: 'relu' },
        { type: 'dense', units, activation: 'relu' },
        { type: 'dense', units: 2, activation: 'linear' },
      ],
    },
    training: {
      epochs: 60,
      batchSize: 10,
      optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
      schedule: { kind: 'constant' },
      loss: 'cross-entropy',
      init: 'he',
      ...overrides,
    },
    evaluation: { mode: 'eval' },
  };
  return withGroupRate(plain, 'hidden', rate);
}

// One seed each: these check the direction the literature predicts on the example's seed, quickly; the
// statistics over seeds are tested in experiments.test.ts, intervals.test.ts and the CLI checks.
test(
  'compare (real workers): dropout narrows the generalization gap and spreads weights more evenly',
  { skip, timeout: 60_000 },
  async () => {
    const result = await runCompareExperiment(overfitSpec(0.5, 64), { launcher: workers, maxParallel: 2, seeds: 1 });
    assert.equal(result.status, 'completed', result.message);
    const w = result.withDropout.training.gap!;
    const wo = result.withoutDropout.training.gap!;
    console.log(
      `gap without ${JSON.stringify(wo)}, with ${JSON.stringify(w)}; evenness without ${result.withoutDropout.weights?.evenness.toFixed(3)}, with ${result.withDropout.weights?.evenness.toFixed(3)}`,
    );
    assert.ok(wo.accuracy! > 0.1, `without dropout the model overfits (accuracy gap ${wo.accuracy})`);
    assert.ok(w.loss < wo.loss, `loss gap: with ${w.loss} < without ${wo.loss}`);
    assert.ok(w.accuracy! < wo.accuracy!, `accuracy gap: with ${w.accuracy} < without ${wo.accuracy}`);
    assert.ok(result.evennessGain! > 0, `evenness gain ${result.evennessGain}`);
  },
);

test('sweep (in process): the best rate is neither 0 nor the largest', { skip, timeout: 60_000 }, async () => {
  const result = await runSweepExperiment(overfitSpec(0), {
    launcher: await inProcess(),
    group: 'hidden',
    maxParallel: 9,
    seeds: 1,
  });
  assert.equal(result.status, 'completed', result.message);
  console.log(
    result.points
      .map(
        (p) =>
          `${p.rate}: val ${p.training.final?.validation.loss.toFixed(3)} acc ${p.training.final?.validation.accuracy?.toFixed(3)}`,
      )
      .join('; '),
  );
  assert.ok(result.best);
  assert.notEqual(result.best.rate, 0);
  assert.notEqual(result.best.rate, 0.8);
  assert.ok(result.overfitting && result.underfitting);
});

test(
  'MC dropout (in process): per-sample variance above 0, MC accuracy close to eval accuracy',
  { skip, timeout: 60_000 },
  async () => {
    const result = await runMcExperiment(overfitSpec(0.3, 16, { epochs: 30 }), {
      launcher: await inProcess(),
      samples: 30,
      mapResolution: 8,
      seeds: 1,
    });
    assert.equal(result.status, 'completed', result.message);
    assert.equal(result.perSample!.variance.length, result.validationSize);
    assert.ok(result.meanVariance! > 0);
    assert.ok(Math.abs(result.accuracyDelta!) < 0.15, `MC ${result.mcAccuracy} vs eval ${result.evalAccuracy}`);
    assert.equal(result.leastSure.length, 10);
    assert.equal(result.map?.variance.length, 64);
    assert.equal(result.points?.x.length, result.validationSize);
    assert.equal(result.training.epochs.length, 30, 'the training still finishes after the passes');
  },
);

test(
  'forgot eval (in process): train mode reports a worse accuracy, and predictions flip between passes',
  { skip, timeout: 60_000 },
  async () => {
    const result = await runForgotEvalExperiment(overfitSpec(0.5, 16, { epochs: 30 }), {
      launcher: await inProcess(),
      passes: 8,
      seeds: 1,
    });
    assert.equal(result.status, 'completed', result.message);
    console.log(
      `eval ${JSON.stringify(result.evalMode)} train-mode ${JSON.stringify(result.trainMode)} flips ${result.flipRate} unstable ${result.unstableFraction} pass acc ${JSON.stringify(result.passAccuracy)}`,
    );
    assert.ok(result.trainMode!.loss > result.evalMode!.loss);
    assert.ok(result.flipRate! > 0);
    assert.ok(result.unstableFraction! > result.flipRate!);
    assert.ok(result.passAccuracy!.max > result.passAccuracy!.min);
  },
);

test(
  'dataset-size sweep (in process): dropout helps most on the small subsets, less as the data grows',
  { skip, timeout: 60_000 },
  async () => {
    const result = await runDatasetSweepExperiment(overfitSpec(0.5, 16, { epochs: 30 }), {
      launcher: await inProcess(),
      fractions: [0.25, 0.5, 1],
      maxParallel: 6,
      seeds: 1,
    });
    assert.equal(result.status, 'completed', result.message);
    console.log(
      result.points
        .map((p) => `${p.fraction} (${p.samples} samples): loss benefit ${p.lossBenefit?.toFixed(3)}`)
        .join('; '),
    );
    const [small, , full] = result.points;
    assert.ok(small!.lossBenefit! > 0, 'dropout helps on the small subset');
    assert.ok(full!.lossBenefit! < small!.lossBenefit!, 'and helps less on the whole data');
  },
);

test(
  "the held model's eval-mode prediction is the validation the engine measured, both scalings, in process and in a worker",
  { skip, timeout: 60_000 },
  async () => {
    for (const [name, launcher] of [
      ['in process', await inProcess()],
      ['worker', workers],
    ] as const)
      for (const scaling of ['inverted', 'standard'] as const) {
        const spec = overfitSpec(0.5, 16, { epochs: 10 });
        for (const l of spec.model.layers) if (l.type === 'dropout') l.scaling = scaling;
        let accuracy: number | undefined;
        let trainMode: number[] = [];
        const outcome = await trainOnce(launcher, {
          spec,
          afterTraining: async (model) => {
            accuracy = (await model.predict({ passes: 1, mode: 'eval' })).accuracy;
            trainMode = Array.from((await model.predict({ passes: 3, mode: 'train' })).passAccuracy!);
          },
        });
        assert.equal(outcome.afterTrainingError, undefined, name);
        assert.equal(accuracy, outcome.final!.validation.accuracy, `${name}, ${scaling}`);
        assert.equal(trainMode.length, 3);
        assert.ok(
          new Set(trainMode).size > 1,
          `${name}, ${scaling}: train-mode passes differ (${trainMode.join(', ')})`,
        );
      }
  },
);
