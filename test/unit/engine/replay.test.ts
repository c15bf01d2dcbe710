import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineSession } from '../../../src/engine/session';
import { loadDataset } from '../../../src/engine/data';
import { createTrainer } from '../../../src/engine/trainer';
import { Replay } from '../../../src/engine/replay';
import { verdict } from '../../../src/engine/replaySession';
import type { EngineCommand, EngineEvent, LayerMask, RunIntervention } from '../../../src/protocol/engine';
import type { LayerSpec, ModelSpec } from '../../../src/protocol/modelSpec';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

function spec(layers: LayerSpec[], optimizer: ModelSpec['training']['optimizer'], epochs = 6): ModelSpec {
  return {
    name: 'replay test',
    seed: 23,
    data: { source: 'generator', generator: 'moons', samples: 120, noise: 0.2, validation: 0.25 },
    model: { input: 2, layers },
    training: {
      epochs,
      batchSize: 10,
      optimizer,
      schedule: { kind: 'step', every: 2, gamma: 0.5 },
      maxNorm: 3,
      loss: 'cross-entropy',
      init: 'he',
    },
    evaluation: { mode: 'eval' },
  };
}

const sgd = { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-4 } as const;
const adam = { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 } as const;

const mlp = spec(
  [
    { type: 'dense', units: 24, activation: 'relu' },
    { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
    { type: 'dense', units: 16, activation: 'relu', dropConnect: 0.2 },
    { type: 'dropout', rate: 0.3, kind: 'bernoulli', scaling: 'standard' },
    { type: 'dense', units: 2, activation: 'linear' },
  ],
  sgd,
  10,
);

/** Every variant with state of its own: batch norm's running statistics, Adam's moments, Gaussian noise, channels. */
const everything = spec(
  [
    { type: 'dense', units: 24, activation: 'tanh' },
    { type: 'batchnorm', momentum: 0.1, epsilon: 1e-5 },
    { type: 'dropout', rate: 0.4, kind: 'gaussian', scaling: 'inverted' },
    { type: 'dense', units: 24, activation: 'relu', dropConnect: 0.3 },
    { type: 'dropout', rate: 0.5, kind: 'spatial', scaling: 'inverted', shape: [6, 4] },
    { type: 'dense', units: 2, activation: 'linear' },
  ],
  adam,
  8,
);

/**
 * The live run: an EngineSession on a clock that moves with every look, so it streams the masks and activations of
 * every step. It starts paused and the user steps, switches a layer to eval and back and changes a rate, at steps the
 * replay must apply them at.
 */
function live(s: ModelSpec, dropout: number) {
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  let clock = 0;
  const session = new EngineSession({
    post: (e) => events.push(e),
    schedule: (fn) => queue.push(fn),
    now: () => (clock += 1),
  });
  const send = (c: EngineCommand) => session.handle(c);
  send({ type: 'start', version: 1, spec: s, options: { streamHz: 1000, paused: true, boundaryEvery: 0 } });
  send({ type: 'step', count: 9 });
  send({ type: 'setMode', layer: dropout, mode: 'eval' });
  send({ type: 'step', count: 6 });
  send({ type: 'setMode', mode: 'train' });
  send({ type: 'setRate', layer: dropout, rate: 0.25 });
  send({ type: 'step', count: 1 });
  send({ type: 'resume' });
  for (let i = 0; i < 100_000 && queue.length > 0; i++) queue.shift()!();
  const of = <T extends EngineEvent['type']>(t: T) => events.filter((e): e is Of<T> => e.type === t);
  const done = of('done')[0]!;
  assert.equal(done.reason, 'completed');
  const interventions: RunIntervention[] = events.flatMap((e): RunIntervention[] =>
    e.type === 'modes'
      ? [{ type: 'modes', step: e.step!, layers: e.layers }]
      : e.type === 'rate'
        ? [{ type: 'rate', step: e.step!, layer: e.layer, rate: e.rate }]
        : [],
  );
  const masks = new Map(of('masks').map((e) => [e.step, e.layers]));
  const activations = new Map(of('activations').map((e) => [e.step, e.layers]));
  assert.equal(masks.size, done.step, 'the live run streamed every step');
  return { done, interventions, masks, activations };
}

function replayOf(s: ModelSpec, run: ReturnType<typeof live>, checkpointEvery = 7) {
  return new Replay(s, loadDataset(s.data, s.seed), {
    steps: run.done.step,
    interventions: run.interventions,
    checkpointEvery,
  });
}

const sameMasks = (a: LayerMask[], b: LayerMask[], step: number) =>
  assert.deepEqual(
    a.map((m) => ({ ...m, bits: [...m.bits] })),
    b.map((m) => ({ ...m, bits: [...m.bits] })),
    `masks at step ${step}`,
  );

for (const [name, s, dropout] of [
  ['an MLP with Bernoulli dropout, DropConnect and SGD with momentum', mlp, 1],
  ['batch norm, Gaussian and spatial dropout, DropConnect and Adam', everything, 2],
] as const) {
  test(`replayed masks and activations at step N equal the live ones at step N, scrubbing both ways: ${name}`, () => {
    const run = live(s, dropout);
    assert.equal(run.interventions.length, 3);
    assert.deepEqual(
      run.interventions.map((c) => c.step),
      [9, 15, 15],
    );
    const replay = replayOf(s, run);
    const last = run.done.step;
    // Forwards, backwards past checkpoints, onto the steps of the interventions, the last step, back to the first.
    for (const n of [5, 40, 12, 13, 9, 10, 16, 15, last, last - 1, 60, 1, 2, 33, 33]) {
      const frame = replay.seek(n)!;
      assert.equal(frame.step, n);
      assert.equal(frame.masks.length, 1);
      sameMasks(frame.masks[0]!.layers, run.masks.get(n)!, n);
      assert.deepEqual(frame.activations, run.activations.get(n), `activations at step ${n}`);
    }
    // A window: the masks of the steps before N as well, in order.
    const frame = replay.seek(50, 20)!;
    assert.deepEqual(
      frame.masks.map((m) => m.step),
      Array.from({ length: 20 }, (_, i) => 31 + i),
    );
    for (const m of frame.masks) sameMasks(m.layers, run.masks.get(m.step)!, m.step);
    // At the last step, the replay's weights are the run's final weights, bit for bit.
    replay.seek(last);
    assert.deepEqual(verdict(replay.weights(), run.done.weights), { identical: true });
  });
}

test('without its interventions a replay is a different run, and the verdict says so', () => {
  const run = live(mlp, 1);
  const replay = new Replay(mlp, loadDataset(mlp.data, mlp.seed), { steps: run.done.step, interventions: [] });
  // Layer 1 was in eval from step 9 to 15: its masks there were all kept; replayed without the switch they drop.
  const frame = replay.seek(12)!;
  assert.notDeepEqual([...frame.masks[0]!.layers[0]!.bits], [...run.masks.get(12)![0]!.bits]);
  replay.seek(run.done.step);
  const v = verdict(replay.weights(), run.done.weights);
  assert.equal(v.identical, false);
  assert.match(v.message!, /differ from the recorded ones \(layer 0, weight \d+\)/);
});

test('scrubbing reuses checkpoints: going back never retrains from step 0', () => {
  const run = live(mlp, 1);
  const replay = replayOf(mlp, run, 10);
  replay.seek(run.done.step);
  assert.equal(replay.checkpointCount, 1 + Math.floor(run.done.step / 10));
  // Back to step 57: restored at 50, seven steps trained, not 57.
  let steps = 0;
  replay.seek(57, 1, () => {
    steps++;
    return false;
  });
  assert.equal(steps, 6, 'shouldYield is asked between steps: 7 steps from the checkpoint at 50');
  // A yield stops the way there; the next call carries on and ends on the same frame.
  const early = replayOf(mlp, run, 10);
  assert.equal(
    early.seek(30, 1, () => true),
    undefined,
  );
  assert.equal(early.position, 1);
  sameMasks(early.seek(30)!.masks[0]!.layers, run.masks.get(30)!, 30);
});

test('a checkpoint restored into a fresh trainer continues bit for bit', () => {
  const data = loadDataset(everything.data, everything.seed);
  const a = createTrainer(everything, data);
  for (let i = 0; i < 13; i++) a.trainStep();
  a.setMode(4, 'eval');
  const checkpoint = a.checkpoint();
  const masksA: number[][] = [];
  for (let i = 0; i < 20; i++) {
    a.trainStep();
    masksA.push(a.masks().flatMap((m) => [...m.bits]));
  }
  const b = createTrainer(everything, loadDataset(everything.data, everything.seed));
  b.restore(checkpoint);
  assert.equal(b.layers[4]!.mode, 'eval');
  const masksB: number[][] = [];
  for (let i = 0; i < 20; i++) {
    b.trainStep();
    masksB.push(b.masks().flatMap((m) => [...m.bits]));
  }
  assert.deepEqual(masksB, masksA);
  assert.deepEqual(b.weights(), a.weights());
  assert.deepEqual(b.evaluate('validation', 'eval'), a.evaluate('validation', 'eval'));
});

test('a replay refuses steps the run does not have, and a bad step count', () => {
  const run = live(mlp, 1);
  const replay = replayOf(mlp, run);
  assert.throws(() => replay.seek(0), /steps 1 to \d+; there is no step 0/);
  assert.throws(() => replay.seek(run.done.step + 1), /there is no step/);
  assert.throws(() => replay.seek(1.5), /there is no step 1.5/);
  assert.throws(() => new Replay(mlp, loadDataset(mlp.data, mlp.seed), { steps: 0, interventions: [] }), /step count/);
});
