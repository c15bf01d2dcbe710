import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineSession } from '../../../src/engine/session';
import { ReplaySession } from '../../../src/engine/replaySession';
import { locateEngineWorker } from '../../../src/session/engineWorker';
import { ReplayClient } from '../../../src/session/replayClient';
import { parseWebviewMessage } from '../../../src/protocol/validate';
import type { EngineEvent, ReplayCommand, RunIntervention } from '../../../src/protocol/engine';
import type { ModelSpec } from '../../../src/protocol/modelSpec';

const spec: ModelSpec = {
  name: 'replay session test',
  seed: 5,
  data: { source: 'generator', generator: 'moons', samples: 100, noise: 0.2, validation: 0.2 },
  model: {
    input: 2,
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
      { type: 'dense', units: 2, activation: 'linear' },
    ],
  },
  training: {
    epochs: 8,
    batchSize: 8,
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
};

/** A live run streaming every step, with a layer switched to eval for a while. */
function liveRun() {
  const events: EngineEvent[] = [];
  let clock = 0;
  const queue: (() => void)[] = [];
  const s = new EngineSession({
    post: (e) => events.push(e),
    schedule: (fn) => queue.push(fn),
    now: () => (clock += 1),
  });
  s.handle({ type: 'start', version: 1, spec, options: { streamHz: 1000, paused: true, boundaryEvery: 0 } });
  s.handle({ type: 'step', count: 20 });
  s.handle({ type: 'setMode', layer: 1, mode: 'eval' });
  s.handle({ type: 'step', count: 5 });
  s.handle({ type: 'setMode', layer: 1, mode: 'train' });
  s.handle({ type: 'resume' });
  while (queue.length > 0) queue.shift()!();
  const done = events.find((e): e is Extract<EngineEvent, { type: 'done' }> => e.type === 'done')!;
  const interventions: RunIntervention[] = events.flatMap((e): RunIntervention[] =>
    e.type === 'modes' ? [{ type: 'modes', step: e.step!, layers: e.layers }] : [],
  );
  const masks = new Map(
    events.flatMap((e) => (e.type === 'masks' ? [[e.step, e.layers.map((m) => [...m.bits])] as const] : [])),
  );
  return { done, interventions, masks };
}

test("a replay worker answers the latest of a burst of seeks with the live masks, and verifies the run's end", async () => {
  const run = liveRun();
  const client = new ReplayClient(locateEngineWorker(process.cwd()), {
    type: 'replay',
    version: 1,
    spec,
    steps: run.done.step,
    interventions: run.interventions,
    weights: run.done.weights!,
  });
  try {
    const ready = await client.ready;
    assert.ok(ready.ok);
    assert.equal(ready.ready.steps, run.done.step);
    // A slider dragged: many seeks at once; the earlier ones are superseded (undefined), the last one answered.
    const answers = await Promise.all([70, 3, 55, 22].map((n) => client.seek(n, 8)));
    assert.ok(answers.slice(0, 3).every((a) => a === undefined || a.step !== 22));
    const last = answers[3]!;
    assert.equal(last.step, 22);
    assert.deepEqual(
      last.masks.map((m) => m.step),
      [15, 16, 17, 18, 19, 20, 21, 22],
    );
    for (const m of last.masks) assert.deepEqual([...m.layers[0]!.bits], run.masks.get(m.step)![0], `step ${m.step}`);
    // Step 22 was in eval mode: every unit kept.
    assert.equal(last.masks.at(-1)!.layers[0]!.realizedDropFraction, 0);
    // Overlapping windows: the steps a frame showed (their buffers transferred) show again in the next one.
    for (const n of [30, 32, 32]) {
      const frame = (await client.seek(n, 8))!;
      assert.equal(frame.masks.length, 8);
      for (const m of frame.masks)
        assert.deepEqual([...m.layers[0]!.bits], run.masks.get(m.step)![0], `step ${m.step}`);
    }
    for (const n of [run.done.step, 1, 40, 39]) {
      const frame = (await client.seek(n, 1))!;
      assert.deepEqual([...frame.masks[0]!.layers[0]!.bits], run.masks.get(n)![0], `step ${n}`);
    }
    const verified = await client.verified;
    assert.deepEqual(verified, { type: 'replayVerified', step: run.done.step, identical: true });
    // A seek the worker refuses is answered (undefined), not left waiting.
    assert.equal(await client.seek(run.done.step + 5, 1), undefined);
  } finally {
    await client.dispose();
  }
});

test('hostile replay commands get precise errors and never take the session down', () => {
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  const session = new ReplaySession({ post: (e) => events.push(e), schedule: (fn) => queue.push(fn) });
  const errors = () => events.filter((e) => e.type === 'error').map((e) => (e as { message: string }).message);
  const send = (c: unknown) => session.handle(c as ReplayCommand);
  send({ type: 'seek', requestId: 'a', step: 1 });
  const base = { type: 'replay', version: 1, spec, steps: 50, interventions: [] };
  send({ ...base, version: 2 });
  send({ ...base, steps: 0 });
  send({ ...base, steps: Number.NaN });
  send({ ...base, steps: 1e12 });
  send({ ...base, interventions: 'none' });
  send({ ...base, interventions: [{ type: 'rate', step: 3, layer: 99, rate: 0.1 }] });
  send({ ...base, interventions: [{ type: 'rate', step: 3, layer: 0, rate: 0.1 }] });
  send({ ...base, interventions: [{ type: 'rate', step: 3, layer: 1, rate: 2 }] });
  send({ ...base, interventions: [{ type: 'modes', step: -1, layers: [] }] });
  send({ ...base, spec: { ...spec, data: { source: 'csv', path: 'x.csv', standardize: true, validation: 0.2 } } });
  assert.deepEqual(errors(), [
    '"seek" needs a replay; send "replay" first.',
    'Protocol version 2 is not supported (expected 1).',
    "A replay needs the run's step count, 1 to 1000000000; got 0.",
    "A replay needs the run's step count, 1 to 1000000000; got NaN.",
    "A replay needs the run's step count, 1 to 1000000000; got 1000000000000.",
    'A replay needs its list of interventions.',
    'An intervention at step 3 names layer 99; the model has 3.',
    'An intervention at step 3 sets the rate of layer 0, which has none.',
    'An intervention at step 3 sets rate 2, outside [0, 1).',
    "An intervention's step must be a non-negative integer; got -1.",
    'The config trains on x.csv, but its text was not provided.',
  ]);
  events.length = 0;
  send(base);
  assert.equal(events[0]?.type, 'replayReady');
  send(base);
  for (const bad of [
    { step: 0 },
    { step: -1 },
    { step: 'x' },
    { step: 1.5 },
    { step: 51 },
    { step: 3, window: 0 },
    { step: 3, window: 'a' },
    { step: 3, requestId: 7 },
  ])
    send({ type: 'seek', requestId: 'r', ...bad });
  assert.deepEqual(errors(), [
    'This worker already replays a run; start a new worker for another.',
    'This run has steps 1 to 50; there is no step 0.',
    'This run has steps 1 to 50; there is no step -1.',
    'This run has steps 1 to 50; there is no step x.',
    'This run has steps 1 to 50; there is no step 1.5.',
    'This run has steps 1 to 50; there is no step 51.',
    "A seek's window is a positive number of steps; got 0.",
    "A seek's window is a positive number of steps; got a.",
    'A seek needs a requestId.',
  ]);
  // The session still works: a valid seek is answered.
  send({ type: 'seek', requestId: 'ok', step: 7, window: 1000 });
  while (queue.length > 0) queue.shift()!();
  const frame = events.find((e) => e.type === 'replayFrame');
  assert.ok(frame && frame.type === 'replayFrame');
  assert.equal(frame.requestId, 'ok');
  assert.deepEqual(
    frame.frame.masks.map((m) => m.step),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.ok(events.some((e) => e.type === 'replayVerified'));
});

test('a seek from the panel is validated: only an integer step from 1 on', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'seek', step: 12 }), { ok: true, value: { type: 'seek', step: 12 } });
  for (const step of [0, -3, 1.5, '12', null, Number.NaN, Infinity, 1e10, undefined])
    assert.match(
      (parseWebviewMessage({ type: 'seek', step }) as { ok: false; error: string }).error,
      /^seek: step must be an integer from 1 to 1000000000/,
    );
  // Extra fields do not come through.
  assert.deepEqual(parseWebviewMessage({ type: 'seek', step: 2, requestId: 'x', window: 1e9 }), {
    ok: true,
    value: { type: 'seek', step: 2 },
  });
});
