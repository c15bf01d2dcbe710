import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplaySession } from '../../../src/engine/replaySession';
import { parseWebviewMessage } from '../../../src/protocol/validate';
import type { EngineEvent, ReplayCommand } from '../../../src/protocol/engine';
import { liveRun, spec } from './replayRun';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

test('a replay session trains nothing before the first seek, answers only the latest of a burst, then prepares the rest with progress', () => {
  const run = liveRun();
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  let clock = 0;
  // Every look at the clock moves it 5 ms: a slice (8 ms) ends after a step or two, and progress is due every 100 ms.
  const session = new ReplaySession({
    post: (e) => events.push(e),
    schedule: (fn) => queue.push(fn),
    now: () => (clock += 5),
  });
  session.handle({
    type: 'replay',
    version: 1,
    spec,
    steps: run.done.step,
    interventions: run.interventions,
    weights: run.done.weights!,
    checkpointEvery: 10,
  });
  assert.deepEqual(
    events.map((e) => e.type),
    ['replayReady'],
  );
  assert.equal(queue.length, 0, 'nothing scheduled: no step is retrained until a seek asks for one');
  // A slider dragged: four seeks before the session gets to work; only the last is answered.
  for (const [id, step] of [
    ['a', 70],
    ['b', 3],
    ['c', 55],
    ['d', 60],
  ] as const)
    session.handle({ type: 'seek', requestId: id, step, window: 4 });
  for (let i = 0; i < 100_000 && queue.length > 0; i++) queue.shift()!();
  const frames = events.filter((e): e is Of<'replayFrame'> => e.type === 'replayFrame');
  assert.deepEqual(
    frames.map((f) => [f.requestId, f.frame.step]),
    [['d', 60]],
  );
  for (const m of frames[0]!.frame.masks) assert.deepEqual([...m.layers[0]!.bits], run.masks.get(m.step)![0]);
  // On its way to step 60 it said how far it was; then, idle, it went on to the last step, laying checkpoints.
  const answered = events.indexOf(frames[0]!);
  const progress = events.filter((e): e is Of<'replayProgress'> => e.type === 'replayProgress');
  const before = progress.filter((p) => events.indexOf(p) < answered);
  const after = progress.filter((p) => events.indexOf(p) > answered);
  assert.ok(before.length >= 2 && before.every((p) => p.target === 60 && p.step < 60), JSON.stringify(before));
  assert.ok(after.length >= 2 && after.every((p) => p.target === run.done.step && p.step > 60), JSON.stringify(after));
  for (const list of [before, after])
    for (let i = 1; i < list.length; i++) assert.ok(list[i]!.step > list[i - 1]!.step, 'progress moves forward');
  assert.ok(after.at(-1)!.checkpoints > 6, 'checkpoints every 10 steps laid down on the way');
  assert.deepEqual(events.at(-1), { type: 'replayVerified', step: run.done.step, identical: true });
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
