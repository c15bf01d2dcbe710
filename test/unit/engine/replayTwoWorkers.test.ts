import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../../../src/engine/data';
import { IMAGE_GENERATORS } from '../../../src/engine/data/images';
import { Replay } from '../../../src/engine/replay';
import { verdict } from '../../../src/engine/replaySession';
import { EngineSession } from '../../../src/engine/session';
import { createTrainer } from '../../../src/engine/trainer';
import { SerialSplit } from '../../../src/engine/parallel/serialSplit';
import { threadReplicas } from '../../../src/session/replicaWorkers';
import type { EngineEvent, LayerMask, RunIntervention } from '../../../src/protocol/engine';
import type { LayerSpec, ModelSpec } from '../../../src/protocol/modelSpec';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

const adam = { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 } as const;

function spec(data: ModelSpec['data'], input: ModelSpec['model']['input'], layers: LayerSpec[], epochs: number) {
  return {
    name: 'two-worker replay test',
    seed: 31,
    data,
    model: { input, layers },
    training: {
      epochs,
      // Odd: the workers take 6 and 5 rows of a full batch, and the epoch's last batch splits unevenly too.
      batchSize: 11,
      optimizer: adam,
      schedule: { kind: 'step', every: 2, gamma: 0.5 },
      maxNorm: 3,
      loss: 'cross-entropy',
      init: 'he',
    },
    evaluation: { mode: 'eval' },
  } satisfies ModelSpec;
}

/** Batch norm (per-worker statistics), Gaussian and spatial dropout, DropConnect: every stream a worker owns. */
const mlp = spec(
  { source: 'generator', generator: 'moons', samples: 120, noise: 0.2, validation: 0.25 },
  2,
  [
    { type: 'dense', units: 24, activation: 'tanh' },
    { type: 'batchnorm', momentum: 0.1, epsilon: 1e-5 },
    { type: 'dropout', rate: 0.4, kind: 'gaussian', scaling: 'inverted' },
    { type: 'dense', units: 24, activation: 'relu', dropConnect: 0.3 },
    { type: 'dropout', rate: 0.5, kind: 'spatial', scaling: 'inverted', shape: [6, 4] },
    { type: 'dense', units: 2, activation: 'linear' },
  ],
  6,
);

/** A conv model: conv DropConnect, batchnorm2d, Dropout2d's channel masks, pooling, then Bernoulli dropout. */
const conv = spec(
  { source: 'generator', generator: 'shapes', samples: 60, noise: 0.1, validation: 0.25 },
  [1, 16, 16],
  [
    { type: 'conv2d', filters: 4, kernel: [3, 3], stride: 1, padding: 1, activation: 'relu', dropConnect: 0.2 },
    { type: 'batchnorm2d', momentum: 0.1, epsilon: 1e-5 },
    { type: 'dropout2d', rate: 0.3 },
    { type: 'maxpool2d', size: 2, stride: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
    { type: 'dense', units: IMAGE_GENERATORS.shapes.classes, activation: 'linear' },
  ],
  7,
);

/**
 * A live run on two workers (a real replica thread), streaming every step's masks and activations, with a layer
 * switched to eval and back and a rate changed on the way: the interventions a replay must apply where they were.
 */
async function liveTwoWorkerRun(s: ModelSpec, dropout: number) {
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  let clock = 0;
  const session = new EngineSession({
    post: (e) => events.push(e),
    schedule: (fn) => queue.push(fn),
    now: () => (clock += 1),
    replicas: threadReplicas(),
  });
  session.handle({
    type: 'start',
    version: 1,
    spec: s,
    options: { streamHz: 1000, paused: true, boundaryEvery: 0, workers: 2 },
  });
  // The replica thread starts while this one waits; the run begins (paused) once it is ready.
  for (let i = 0; i < 6000 && !events.some((e) => e.type === 'paused' || e.type === 'done'); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  const ready = events.find((e): e is Of<'ready'> => e.type === 'ready');
  assert.equal(ready?.workers, 2, 'the live run trained on two workers');
  session.handle({ type: 'step', count: 7 });
  session.handle({ type: 'setMode', layer: dropout, mode: 'eval' });
  session.handle({ type: 'step', count: 4 });
  session.handle({ type: 'setMode', mode: 'train' });
  session.handle({ type: 'setRate', layer: dropout, rate: 0.25 });
  session.handle({ type: 'step', count: 1 });
  session.handle({ type: 'resume' });
  for (let i = 0; i < 100_000 && queue.length > 0; i++) queue.shift()!();
  const of = <T extends EngineEvent['type']>(t: T) => events.filter((e): e is Of<T> => e.type === t);
  const done = of('done')[0]!;
  assert.equal(done.reason, 'completed', JSON.stringify(of('error')));
  const interventions: RunIntervention[] = events.flatMap((e): RunIntervention[] =>
    e.type === 'modes'
      ? [{ type: 'modes', step: e.step!, layers: e.layers }]
      : e.type === 'rate'
        ? [{ type: 'rate', step: e.step!, layer: e.layer, rate: e.rate }]
        : [],
  );
  const masks = new Map(of('masks').map((e) => [e.step, e.layers]));
  const activations = new Map(of('activations').map((e) => [e.step, e.layers]));
  const featureMaps = new Map<number, Of<'featureMaps'>[]>();
  for (const e of of('featureMaps')) featureMaps.set(e.step, [...(featureMaps.get(e.step) ?? []), e]);
  assert.equal(masks.size, done.step, 'the live run streamed every step');
  return { done, interventions, masks, activations, featureMaps };
}

const bits = (masks: LayerMask[]) => masks.map((m) => ({ ...m, bits: [...m.bits] }));

for (const [name, s, dropout] of [
  ['batch norm, Gaussian and spatial dropout, DropConnect and Adam', mlp, 2],
  ['a conv model with DropConnect, batchnorm2d, Dropout2d and Bernoulli dropout', conv, 2],
] as const) {
  test(`a two-worker run replays in one thread bit for bit: masks and activations at step N, the final weights: ${name}`, async () => {
    const run = await liveTwoWorkerRun(s, dropout);
    assert.deepEqual(
      run.interventions.map((c) => c.step),
      [7, 11, 11],
    );
    const replay = new Replay(s, loadDataset(s.data, s.seed), {
      steps: run.done.step,
      interventions: run.interventions,
      checkpointEvery: 5,
      workers: 2,
    });
    const last = run.done.step;
    // Forwards, back past checkpoints, onto the interventions' steps, the last step and back to the first.
    for (const n of [4, 30, 9, 8, 7, 12, 11, last, last - 1, 1, 2, 17]) {
      const frame = replay.seek(n)!;
      assert.deepEqual(bits(frame.masks[0]!.layers), bits(run.masks.get(n)!), `masks at step ${n}`);
      assert.deepEqual(frame.activations, run.activations.get(n), `activations at step ${n}`);
      assert.deepEqual(frame.featureMaps, run.featureMaps.get(n) ?? [], `feature maps at step ${n}`);
    }
    replay.seek(last);
    assert.deepEqual(verdict(replay.weights(), run.done.weights), { identical: true });
    // On one worker's arithmetic the same run is another run: the worker count is part of what replays.
    const oneWorker = new Replay(s, loadDataset(s.data, s.seed), { steps: last, interventions: run.interventions });
    oneWorker.seek(last);
    assert.equal(verdict(oneWorker.weights(), run.done.weights).identical, false);
  });
}

test('a split in one thread checkpoints its second worker: restored into a fresh trainer, it continues bit for bit', () => {
  const data = loadDataset(mlp.data, mlp.seed);
  const a = createTrainer(mlp, data);
  a.distribute(new SerialSplit());
  for (let i = 0; i < 9; i++) a.trainStep();
  a.setMode(1, 'eval'); // batch norm on running statistics: each worker's own
  const checkpoint = a.checkpoint();
  assert.ok(checkpoint.split, "the checkpoint holds the second worker's statistics and stream");
  const after = (t: typeof a) =>
    Array.from({ length: 12 }, () => [t.trainStep().loss, ...t.masks().flatMap((m) => [...m.bits])]);
  const expected = after(a);
  const b = createTrainer(mlp, loadDataset(mlp.data, mlp.seed));
  b.distribute(new SerialSplit());
  b.restore(checkpoint);
  assert.deepEqual(after(b), expected);
  assert.deepEqual(b.weights(), a.weights());
  // A checkpoint of one worker's run does not go into a split trainer, nor the other way round.
  const single = createTrainer(mlp, loadDataset(mlp.data, mlp.seed));
  assert.throws(() => single.restore(checkpoint), /2 worker\(s\) in this thread; the trainer runs on 1/);
  assert.throws(() => b.restore(single.checkpoint()), /1 worker\(s\) in this thread; the trainer runs on 2/);
});

test('a replay refuses a worker count it cannot reproduce', () => {
  const data = loadDataset(mlp.data, mlp.seed);
  for (const workers of [0, 3, 1.5])
    assert.throws(
      () => new Replay(mlp, data, { steps: 10, interventions: [], workers }),
      new RegExp(`runs on 1 or 2 workers, as the run did; got ${workers}`),
    );
});
