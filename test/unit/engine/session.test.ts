import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineSession } from '../../../src/engine/session';
import { EngineWorker, locateEngineWorker } from '../../../src/session/engineWorker';
import type { EngineCommand, EngineEvent } from '../../../src/protocol/engine';
import type { ModelSpec } from '../../../src/protocol/modelSpec';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

function spec(overrides: Partial<ModelSpec['training']> = {}): ModelSpec {
  return {
    name: 'session test',
    seed: 11,
    data: { source: 'generator', generator: 'moons', samples: 80, noise: 0.2, validation: 0.25 },
    model: {
      input: 2,
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
        { type: 'dense', units: 2, activation: 'linear' },
      ],
    },
    training: {
      epochs: 3,
      batchSize: 8,
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
      schedule: { kind: 'constant' },
      loss: 'cross-entropy',
      init: 'he',
      ...overrides,
    },
    evaluation: { mode: 'eval' },
  };
}

/** A session whose scheduler the test drives by hand: nothing runs until `drain()`. */
function manual() {
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  const session = new EngineSession({ post: (e) => events.push(e), schedule: (fn) => queue.push(fn) });
  const send = (c: EngineCommand) => session.handle(c);
  const drain = (limit = 10_000) => {
    for (let i = 0; i < limit && queue.length > 0; i++) queue.shift()!();
  };
  return {
    events,
    send,
    drain,
    of: <T extends EngineEvent['type']>(t: T) => events.filter((e): e is Of<T> => e.type === t),
  };
}

test('a run streams ready, steps, masks, one epoch event per epoch, and done with final metrics', () => {
  const s = manual();
  s.send({ type: 'start', version: 1, spec: spec(), options: { streamHz: 1000 } });
  s.drain();
  assert.equal(s.events[0]!.type, 'ready');
  assert.equal(s.of('epoch').length, 3);
  assert.ok(s.of('masks').length > 0);
  const done = s.events.at(-1) as Of<'done'>;
  assert.equal(done.type, 'done');
  assert.equal(done.reason, 'completed');
  assert.ok(done.final && done.final.validation.accuracy !== undefined);
  assert.equal(done.weights?.length, 2);
});

test('the same seed replays the same losses, bit for bit', () => {
  const run = () => {
    const s = manual();
    s.send({ type: 'start', version: 1, spec: spec(), options: { streamHz: 0 } });
    s.drain();
    return s.of('epoch').map((e) => [e.train.loss, e.validation.loss, e.validationTrainMode.loss]);
  };
  assert.deepEqual(run(), run());
});

test('paused: single steps, a layer switched to eval drops nothing, a bad rate is refused, stop ends the run', () => {
  const s = manual();
  s.send({ type: 'start', version: 1, spec: spec(), options: { paused: true, streamHz: 1000 } });
  assert.equal(s.of('paused').length, 1);
  s.send({ type: 'step', count: 1 });
  assert.equal(s.of('step').at(-1)!.step, 1);
  const before = s
    .of('masks')
    .at(-1)!
    .layers.find((m) => m.layer === 1)!;
  assert.ok(before.realizedDropFraction > 0);
  s.send({ type: 'setMode', layer: 1, mode: 'eval' });
  assert.deepEqual(
    s
      .of('modes')
      .at(-1)!
      .layers.find((l) => l.layer === 1),
    { layer: 1, mode: 'eval' },
  );
  s.send({ type: 'step', count: 1 });
  assert.equal(
    s
      .of('masks')
      .at(-1)!
      .layers.find((m) => m.layer === 1)!.realizedDropFraction,
    0,
  );
  s.send({ type: 'setRate', layer: 1, rate: 1 });
  const error = s.of('error').at(-1)!;
  assert.equal(error.code, 'invalid-command');
  assert.equal(error.fatal, false);
  s.send({ type: 'stop' });
  assert.equal((s.events.at(-1) as Of<'done'>).reason, 'stopped');
});

test('bad data and divergence fail with a precise error and the step, never a throw', () => {
  const csv = manual();
  csv.send({
    type: 'start',
    version: 1,
    spec: { ...spec(), data: { source: 'csv', path: 'x.csv', standardize: true, validation: 0.3 } },
    csvText: 'a,b\n1,2\noops,3\n',
  });
  assert.equal(csv.of('error')[0]!.code, 'invalid-data');
  assert.match(csv.of('error')[0]!.message, /line 3/);
  assert.equal(csv.of('done')[0]!.reason, 'failed');

  const wild = manual();
  wild.send({
    type: 'start',
    version: 1,
    spec: spec({ optimizer: { kind: 'sgd', lr: 1e8, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 } }),
  });
  wild.drain();
  const failure = wild.of('error')[0]!;
  assert.ok(failure.code === 'nan-loss' || failure.code === 'diverged', failure.code);
  assert.ok(failure.step! >= 1);
  assert.equal(wild.of('done')[0]!.reason, 'failed');
});

test('the real worker thread trains, and a stop takes effect within one step', async () => {
  const worker = new EngineWorker(locateEngineWorker(join(import.meta.dirname, '..', '..', '..')));
  const events: EngineEvent[] = [];
  worker.onEvent((e) => events.push(e));
  worker.send({ type: 'start', version: 1, spec: spec({ epochs: 100000 }), options: { streamHz: 1000 } });
  const deadline = Date.now() + 20_000;
  while (!events.some((e) => e.type === 'epoch') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(
    events.some((e) => e.type === 'epoch'),
    'no epoch from the worker',
  );
  const pending = worker.whenDone();
  worker.send({ type: 'stop' });
  const sentAt = Math.max(...events.filter((e): e is Of<'step'> => e.type === 'step').map((e) => e.step));
  const done = await pending;
  assert.equal(done.reason, 'stopped');
  // Steps already under way when the stop was sent may finish; the interrupt ends the slice right after.
  assert.ok(done.step - sentAt <= 64, `ran ${done.step - sentAt} steps after the stop`);
});

test('with the interrupt flag raised, a training slice ends after exactly one step', () => {
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  let interrupted = false;
  const session = new EngineSession({
    post: (e) => events.push(e),
    schedule: (fn) => queue.push(fn),
    interrupted: () => interrupted,
  });
  session.handle({ type: 'start', version: 1, spec: spec({ epochs: 1000 }), options: { streamHz: 0 } });
  interrupted = true; // what EngineWorker.send({type: 'stop'}) does before the message arrives
  queue.shift()!();
  session.handle({ type: 'stop' });
  queue.shift()?.();
  const done = events.find((e): e is Of<'done'> => e.type === 'done')!;
  assert.equal(done.reason, 'stopped');
  assert.equal(done.step, 1);
});

test('the real worker trains on CSV bytes sent by transfer; a view into a larger buffer is copied, not taken', async () => {
  const root = join(import.meta.dirname, '..', '..', '..');
  const csv = new TextEncoder().encode(
    'x1,x2,label\n' +
      Array.from({ length: 60 }, (_, i) => `${(i % 7) / 7},${(i % 5) / 5},${i % 2 ? 'a' : 'b'}`).join('\n') +
      '\n',
  );
  const csvSpec: ModelSpec = {
    ...spec({ epochs: 2 }),
    data: { source: 'csv', path: 'd.csv', label: 'label', standardize: true, validation: 0.25 },
  };
  const run = async (bytes: Uint8Array) => {
    const worker = new EngineWorker(locateEngineWorker(root));
    const events: EngineEvent[] = [];
    worker.onEvent((e) => events.push(e));
    const done = worker.whenDone();
    worker.send({ type: 'start', version: 1, spec: csvSpec, csvBytes: bytes, options: { streamHz: 0 } });
    assert.equal((await done).reason, 'completed', JSON.stringify(events.find((e) => e.type === 'error')));
    return events.find((e): e is Of<'ready'> => e.type === 'ready')!;
  };
  const own = csv.slice();
  assert.equal((await run(own)).trainSize, 45);
  assert.equal(own.byteLength, 0, 'an own buffer is transferred (detached here)');
  const shared = new Uint8Array(csv.length + 16);
  shared.set(csv, 8);
  const view = shared.subarray(8, 8 + csv.length);
  assert.equal((await run(view)).trainSize, 45);
  assert.equal(view.byteLength, csv.length, 'a view into a larger buffer stays usable');
});

test('the real worker streams a CSV named by path (the host never reads it), and refuses a FIFO by path', async () => {
  const root = join(import.meta.dirname, '..', '..', '..');
  const dir = await mkdtemp(join(tmpdir(), 'dl-csvpath-'));
  try {
    const file = join(dir, 'd.csv');
    await writeFile(
      file,
      'x1,x2,label\n' +
        Array.from({ length: 60 }, (_, i) => `${(i % 7) / 7},${(i % 5) / 5},${i % 2 ? 'a' : 'b'}`).join('\n') +
        '\n',
    );
    const csvSpec: ModelSpec = {
      ...spec({ epochs: 2 }),
      data: { source: 'csv', path: 'd.csv', label: 'label', standardize: true, validation: 0.25 },
    };
    const run = async (csvPath: string) => {
      const worker = new EngineWorker(locateEngineWorker(root));
      const events: EngineEvent[] = [];
      worker.onEvent((e) => events.push(e));
      const done = worker.whenDone();
      worker.send({ type: 'start', version: 1, spec: csvSpec, csvPath, options: { streamHz: 0 } });
      return { done: await done, events };
    };
    const ok = await run(file);
    assert.equal(ok.done.reason, 'completed', JSON.stringify(ok.events.find((e) => e.type === 'error')));
    assert.equal(ok.events.find((e): e is Of<'ready'> => e.type === 'ready')!.trainSize, 45);
    if (process.platform !== 'win32' && spawnSync('mkfifo', [join(dir, 'fifo.csv')]).status === 0) {
      const fifo = await run(join(dir, 'fifo.csv'));
      assert.equal(fifo.done.reason, 'failed');
      const error = fifo.events.find((e): e is Of<'error'> => e.type === 'error');
      assert.equal(error?.code, 'invalid-data');
      assert.match(error?.message ?? '', /FIFO \(named pipe\), not a regular file/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a dataset read from a path reports its loading (both passes) before ready; a quick read reports nothing', () => {
  const rows = Array.from({ length: 200 }, (_, i) => `${(i % 7) / 7},${(i % 5) / 5},${i % 2}`).join('\n');
  const bytes = new TextEncoder().encode(`x1,x2,label\n${rows}\n`);
  const csvSpec: ModelSpec = {
    ...spec({ epochs: 1 }),
    data: { source: 'csv', path: 'd.csv', label: 'label', standardize: false, validation: 0.25 },
  };
  const run = (msPerCall: number) => {
    const events: EngineEvent[] = [];
    let clock = 0;
    const session = new EngineSession({
      post: (e) => events.push(e),
      schedule: () => undefined,
      now: () => (clock += msPerCall),
      readFile: (_path, onChunk) => {
        for (let i = 0; i < bytes.length; i += 512) onChunk(bytes.subarray(i, i + 512), bytes.length);
      },
    });
    session.handle({ type: 'start', version: 1, spec: csvSpec, csvPath: '/data/d.csv', options: { streamHz: 0 } });
    return events;
  };
  const slow = run(300);
  const loading = slow.filter((e): e is Of<'loading'> => e.type === 'loading');
  assert.ok(loading.length >= 4, `${loading.length} loading events`);
  const fractions = loading.map((e) => e.fraction);
  assert.deepEqual(
    fractions,
    [...fractions].sort((a, b) => a - b),
    'the fraction only grows',
  );
  assert.ok(fractions.at(-1)! > 0.5 && fractions.at(-1)! <= 1, 'both passes count');
  assert.ok(loading.every((e) => e.totalBytes === bytes.length));
  assert.ok(slow.findIndex((e) => e.type === 'ready') > slow.findIndex((e) => e.type === 'loading'));
  assert.equal(run(0.001).filter((e) => e.type === 'loading').length, 0);
});
