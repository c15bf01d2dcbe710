import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineWorker, locateEngineWorker } from '../../../src/session/engineWorker';
import { ReplayClient, type ReplayWorker } from '../../../src/session/replayClient';
import type { EngineCommand, EngineEvent } from '../../../src/protocol/engine';
import { liveRun, spec } from '../engine/replayRun';

/** Real engine workers, watched: how many were started, what they were sent and what they answered. */
function watchedWorkers() {
  const watch = { started: 0, sent: [] as EngineCommand[], received: [] as EngineEvent[] };
  return {
    watch,
    factory: (location: ReturnType<typeof locateEngineWorker>): ReplayWorker => {
      watch.started++;
      const worker = new EngineWorker(location);
      worker.onEvent((e) => watch.received.push(e));
      return {
        get isFinished() {
          return worker.isFinished;
        },
        onEvent: (listener) => worker.onEvent(listener),
        send: (command) => {
          watch.sent.push(command);
          worker.send(command);
        },
        terminate: () => worker.terminate(),
      };
    },
  };
}

test('a replay client starts no worker before the first seek; a burst of seeks coalesces to the latest, answered with the live masks', async () => {
  const run = liveRun();
  const { watch, factory } = watchedWorkers();
  const client = new ReplayClient(
    locateEngineWorker(process.cwd()),
    {
      type: 'replay',
      version: 1,
      spec,
      steps: run.done.step,
      interventions: run.interventions,
      weights: run.done.weights!,
    },
    factory,
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(client.started, false);
    assert.equal(watch.started, 0, 'no worker, so nothing retrained, until a seek');
    // A slider dragged before the worker is up: each seek supersedes the one before at once.
    const answers = await Promise.all([70, 3, 55, 22].map((n) => client.seek(n, 8)));
    assert.deepEqual(answers.slice(0, 3), [undefined, undefined, undefined]);
    assert.equal(watch.started, 1);
    assert.deepEqual(
      watch.sent.map((c) => (c.type === 'seek' ? `seek ${c.step}` : c.type)),
      ['replay', 'seek 22'],
      'the worker was asked for the latest step only',
    );
    assert.equal(watch.received.filter((e) => e.type === 'replayFrame').length, 1);
    const last = answers[3]!;
    assert.equal(last.step, 22);
    assert.deepEqual(
      last.masks.map((m) => m.step),
      [15, 16, 17, 18, 19, 20, 21, 22],
    );
    for (const m of last.masks) assert.deepEqual([...m.layers[0]!.bits], run.masks.get(m.step)![0], `step ${m.step}`);
    // Step 22 was in eval mode: every unit kept.
    assert.equal(last.masks.at(-1)!.layers[0]!.realizedDropFraction, 0);
    const ready = await client.ready;
    assert.ok(ready.ok);
    assert.equal(ready.ready.steps, run.done.step);
    // Once the worker is up a seek goes at once; one sent before it is still answered undefined, never late.
    const [superseded, latest] = await Promise.all([client.seek(30, 8), client.seek(32, 8)]);
    assert.equal(superseded, undefined);
    assert.deepEqual(
      latest!.masks.map((m) => m.step),
      [25, 26, 27, 28, 29, 30, 31, 32],
    );
    // Overlapping windows: the steps a frame showed (their buffers transferred) show again in the next one.
    for (const n of [32, run.done.step, 1, 40, 39]) {
      const frame = (await client.seek(n, 8))!;
      for (const m of frame.masks)
        assert.deepEqual([...m.layers[0]!.bits], run.masks.get(m.step)![0], `step ${m.step}`);
    }
    const verified = await client.verified;
    assert.deepEqual(verified, { type: 'replayVerified', step: run.done.step, identical: true });
    // A seek the worker refuses is answered (undefined), not left waiting.
    assert.equal(await client.seek(run.done.step + 5, 1), undefined);
    assert.equal(watch.started, 1, 'one worker for the whole timeline');
  } finally {
    await client.dispose();
  }
});

test('a replay client that is never sought starts nothing, and disposes cleanly', async () => {
  const { watch, factory } = watchedWorkers();
  const client = new ReplayClient(
    locateEngineWorker(process.cwd()),
    { type: 'replay', version: 1, spec, steps: 10, interventions: [] },
    factory,
  );
  await client.dispose();
  assert.equal(watch.started, 0);
  assert.deepEqual(await client.ready, { ok: false, message: 'The replay was closed.' });
  assert.equal(await client.verified, undefined);
  assert.equal(await client.seek(3, 1), undefined);
  assert.equal(watch.started, 0, 'a disposed client starts no worker');
});

test('a replay worker that cannot load the run fails every seek and says why', async () => {
  const { factory } = watchedWorkers();
  const client = new ReplayClient(
    locateEngineWorker(process.cwd()),
    {
      type: 'replay',
      version: 1,
      spec: { ...spec, data: { source: 'csv', path: 'x.csv', standardize: true, validation: 0.2 } },
      steps: 10,
      interventions: [],
    },
    factory,
  );
  try {
    assert.equal(await client.seek(3, 1), undefined);
    const ready = await client.ready;
    assert.ok(!ready.ok);
    assert.match(ready.message, /x\.csv, but its text was not provided/);
    assert.equal(await client.seek(4, 1), undefined);
  } finally {
    await client.dispose();
  }
});
