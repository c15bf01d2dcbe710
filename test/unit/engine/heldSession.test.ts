// A finished session holds its model and answers `predict` until `release`: in this thread and in a worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EngineSession } from '../../../src/engine/session';
import { EngineWorker, locateEngineWorker } from '../../../src/session/engineWorker';
import type { EngineCommand, EngineEvent, PredictCommand } from '../../../src/protocol/engine';
import type { LayerSpec, ModelSpec } from '../../../src/protocol/modelSpec';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

function spec(layers?: LayerSpec[], epochs = 3): ModelSpec {
  return {
    name: 'held session test',
    seed: 5,
    data: { source: 'generator', generator: 'moons', samples: 80, noise: 0.2, validation: 0.25 },
    model: {
      input: 2,
      layers: layers ?? [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
        { type: 'dense', units: 2, activation: 'linear' },
      ],
    },
    training: {
      epochs,
      batchSize: 8,
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
      schedule: { kind: 'constant' },
      loss: 'cross-entropy',
      init: 'he',
    },
    evaluation: { mode: 'eval' },
  };
}

let ids = 0;
/** A session driven by hand; `predict` returns its answer (a prediction or an error) synchronously. */
function manual() {
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  const session = new EngineSession({ post: (e) => events.push(e), schedule: (fn) => queue.push(fn) });
  const send = (c: EngineCommand) => session.handle(c);
  const drain = () => {
    while (queue.length > 0) queue.shift()!();
  };
  const predict = (request: Omit<PredictCommand, 'type' | 'requestId'>) => {
    const requestId = `r${++ids}`;
    const from = events.length;
    send({ type: 'predict', requestId, ...request });
    const answers = events.slice(from);
    assert.equal(answers.length, 1, `one answer to ${JSON.stringify(request)}`);
    const answer = answers[0]!;
    assert.ok(answer.type === 'prediction' || answer.type === 'error', answer.type);
    assert.equal(answer.requestId, requestId, 'the answer names its request');
    return answer;
  };
  const ok = (request: Omit<PredictCommand, 'type' | 'requestId'>) => {
    const answer = predict(request);
    assert.equal(answer.type, 'prediction', answer.type === 'error' ? answer.message : '');
    return answer;
  };
  const refused = (request: unknown) => {
    const answer = predict(request as PredictCommand);
    assert.equal(answer.type, 'error');
    const error = answer;
    assert.equal(error.code, 'invalid-command');
    assert.equal(error.fatal, false);
    return error.message;
  };
  const lastError = () => events.filter((e): e is Of<'error'> => e.type === 'error').at(-1)!;
  return {
    events,
    send,
    drain,
    ok,
    refused,
    lastError,
    of: <T extends EngineEvent['type']>(t: T) => events.filter((e): e is Of<T> => e.type === t),
  };
}

function trained(layers?: LayerSpec[]) {
  const s = manual();
  s.send({ type: 'start', version: 1, spec: spec(layers), options: { streamHz: 0 } });
  s.drain();
  const done = s.of('done')[0]!;
  assert.equal(done.reason, 'completed');
  return { ...s, done, ready: s.of('ready')[0]! };
}

test('after done: Monte Carlo passes over the validation split, replayable by seed, per pass on request', () => {
  const s = trained();
  const mc = s.ok({ passes: 20, mode: 'mc' });
  assert.equal(mc.examples, s.ready.validationSize);
  assert.equal(mc.width, 2);
  assert.equal(mc.passes, 20);
  assert.equal(mc.perPass, undefined, 'the summary only, unless asked');
  for (let i = 0; i < mc.examples; i++) assert.ok(Math.abs(mc.mean[2 * i]! + mc.mean[2 * i + 1]! - 1) < 1e-5);
  assert.ok(
    mc.variance.some((v) => v > 1e-4),
    'dropout on: the passes differ',
  );
  assert.ok(mc.accuracy! > 0.5 && mc.passAccuracy!.length === 20);

  assert.deepEqual(s.ok({ passes: 20, mode: 'mc' }).mean, mc.mean, 'the same request gives the same masks');
  assert.notDeepEqual(s.ok({ passes: 20, mode: 'mc', seed: 99 }).mean, mc.mean, 'another seed, other masks');

  const passes = s.ok({ passes: 4, mode: 'mc', output: 'passes' });
  const n = passes.examples * passes.width;
  assert.equal(passes.perPass!.length, 4 * n);
  for (let i = 0; i < n; i++) {
    const values = [0, 1, 2, 3].map((t) => passes.perPass![t * n + i]!);
    const mean = values.reduce((a, b) => a + b, 0) / 4;
    assert.ok(Math.abs(passes.mean[i]! - mean) < 1e-6);
    assert.ok(Math.abs(passes.variance[i]! - values.reduce((a, v) => a + (v - mean) ** 2, 0) / 4) < 1e-6);
  }
});

test('after done: an eval pass is the validation the last epoch measured; modes per layer override the model', () => {
  const s = trained();
  const evalPass = s.ok({ passes: 1, mode: 'eval' });
  assert.equal(evalPass.accuracy, s.done.final!.validation.accuracy);
  assert.ok(evalPass.variance.every((v) => v === 0));
  assert.ok(
    s.ok({ passes: 5, mode: 'eval' }).variance.every((v) => v === 0),
    'eval mode: every pass the same',
  );
  // The dropout layer (index 1) switched back on in an otherwise eval model is Monte Carlo dropout.
  const mc = s.ok({ passes: 6, mode: 'mc' });
  assert.deepEqual(s.ok({ passes: 6, mode: 'eval', layers: [{ layer: 1, mode: 'train' }] }).mean, mc.mean);
  assert.ok(s.ok({ passes: 6, mode: 'mc', layers: [{ layer: 1, mode: 'eval' }] }).variance.every((v) => v === 0));
  // A prediction leaves the layers' own modes as they were: `own` is still train mode, masks and all.
  assert.ok(s.ok({ passes: 6, mode: 'own' }).variance.some((v) => v > 0));
});

test('after done: given rows are predicted (no accuracy), batch norm runs on its running statistics in mc mode', () => {
  const s = trained([
    { type: 'dense', units: 12, activation: 'relu' },
    { type: 'batchnorm', momentum: 0.1, epsilon: 1e-5 },
    { type: 'dropout', rate: 0.3, kind: 'bernoulli', scaling: 'inverted' },
    { type: 'dense', units: 2, activation: 'linear' },
  ]);
  const rows = Float32Array.from([0, 0, 1, -0.5, -1, 0.5]);
  const one = s.ok({ passes: 8, mode: 'mc', inputs: rows });
  assert.equal(one.examples, 3);
  assert.equal(one.accuracy, undefined);
  // With running statistics, a row's prediction does not depend on the rows beside it.
  const alone = s.ok({ passes: 1, mode: 'eval', inputs: rows.slice(0, 2) });
  const together = s.ok({ passes: 1, mode: 'eval', inputs: rows });
  assert.deepEqual(Array.from(alone.mean), Array.from(together.mean.subarray(0, 2)));
  // In train mode batch norm normalizes by the rows' own statistics: then it does.
  const trainAlone = s.ok({ passes: 1, mode: 'train', inputs: rows.slice(0, 4), layers: [{ layer: 2, mode: 'eval' }] });
  const trainTogether = s.ok({ passes: 1, mode: 'train', inputs: rows, layers: [{ layer: 2, mode: 'eval' }] });
  assert.notDeepEqual(Array.from(trainAlone.mean), Array.from(trainTogether.mean.subarray(0, 4)));
});

test('bad predict requests get a clear error naming the request, and the session keeps answering', () => {
  const s = trained();
  assert.match(s.refused({ passes: 0, mode: 'mc' }), /passes must be an integer from 1 to 10000, got 0/);
  assert.match(s.refused({ passes: 2.5, mode: 'mc' }), /passes must be an integer/);
  assert.match(s.refused({ passes: 2, mode: 'dropout' }), /mode must be one of own, eval, train, mc/);
  assert.match(s.refused({ passes: 2, mode: 'mc', layers: [{ layer: 9, mode: 'train' }] }), /no layer 9 \(it has 3\)/);
  assert.match(s.refused({ passes: 2, mode: 'mc', layers: [{ layer: 1, mode: 'mc' }] }), /layer override/);
  assert.match(
    s.refused({ passes: 2, mode: 'mc', inputs: Float32Array.from([1, 2, 3]) }),
    /3 values, not whole rows of the model's 2 input/,
  );
  assert.match(s.refused({ passes: 2, mode: 'mc', inputs: Float32Array.from([1, NaN]) }), /finite/);
  assert.match(s.refused({ passes: 2, mode: 'mc', inputs: [1, 2] }), /inputs must be a Float32Array/);
  assert.match(s.refused({ passes: 2, mode: 'mc', output: 'all' }), /output must be "summary" or "passes"/);
  assert.match(s.refused({ passes: 2, mode: 'mc', seed: -1 }), /seed must be an integer/);
  assert.equal(s.ok({ passes: 2, mode: 'mc' }).passes, 2);
});

test('a finished session refuses training commands, saying what it still answers', () => {
  const s = trained();
  for (const command of [
    { type: 'step' },
    { type: 'resume' },
    { type: 'setMode', mode: 'eval' },
    { type: 'setRate', layer: 1, rate: 0.2 },
  ] as EngineCommand[]) {
    s.send(command);
    assert.match(
      s.lastError().message,
      /the training has finished; a finished session answers only "predict" and "release"/,
    );
  }
});

test('release frees the model: released is posted, and every later command gets a clear error', () => {
  const s = trained();
  s.send({ type: 'release' });
  assert.equal(s.events.at(-1)!.type, 'released');
  assert.match(s.refused({ passes: 2, mode: 'mc' }), /this session was released: its model is gone/);
  s.send({ type: 'step' });
  assert.match(s.lastError().message, /"step": this session was released; start a new one/);
  s.send({ type: 'start', version: 1, spec: spec() });
  assert.match(s.lastError().message, /already runs a session/);
});

test('release during training stops it first (done, then released)', () => {
  const s = manual();
  s.send({ type: 'start', version: 1, spec: spec(undefined, 1000), options: { paused: true, streamHz: 0 } });
  s.send({ type: 'step', count: 3 });
  s.send({ type: 'release' });
  assert.deepEqual(
    s.events.slice(-2).map((e) => e.type),
    ['done', 'released'],
  );
  assert.equal(s.of('done')[0]!.reason, 'stopped');
});

test('predict before start, after a failed training: refused with the reason', () => {
  const s = manual();
  assert.match(s.refused({ passes: 2, mode: 'mc' }), /needs a model: send "start" first/);
  const wild = spec();
  wild.training.optimizer = { kind: 'sgd', lr: 1e8, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 };
  s.send({ type: 'start', version: 1, spec: wild, options: { streamHz: 0 } });
  s.drain();
  assert.equal(s.of('done')[0]!.reason, 'failed');
  assert.match(s.refused({ passes: 2, mode: 'mc' }), /the training failed, so there is no model to predict with/);
});

test('predict between training steps answers on the model so far and changes nothing in the training', () => {
  const run = (withPredictions: boolean) => {
    const s = manual();
    s.send({ type: 'start', version: 1, spec: spec(), options: { paused: true, streamHz: 0 } });
    const answers: Of<'prediction'>[] = [];
    for (let i = 0; i < 6; i++) {
      s.send({ type: 'step', count: 5 });
      if (withPredictions) answers.push(s.ok({ passes: 3, mode: i % 2 ? 'train' : 'mc', output: 'passes' }));
    }
    s.send({ type: 'resume' });
    s.drain();
    return { epochs: s.of('epoch').map((e) => [e.train.loss, e.validation.loss, e.validationTrainMode.loss]), answers };
  };
  const plain = run(false);
  const probed = run(true);
  assert.deepEqual(probed.epochs, plain.epochs, 'the same losses, bit for bit');
  assert.notDeepEqual(probed.answers[0]!.mean, probed.answers[4]!.mean, 'the model moved between the answers');
});

test('a held worker thread answers predict after done; release ends the thread; without hold it ends with done', async () => {
  const root = join(import.meta.dirname, '..', '..', '..');
  const held = new EngineWorker(locateEngineWorker(root), { hold: true });
  const events: EngineEvent[] = [];
  held.onEvent((e) => events.push(e));
  const done = held.whenDone();
  held.send({ type: 'start', version: 1, spec: spec(), options: { streamHz: 0 } });
  assert.equal((await done).reason, 'completed');
  const answer = new Promise<EngineEvent>((resolve) =>
    held.onEvent((e) => (e.type === 'prediction' || e.type === 'error') && resolve(e)),
  );
  const rows = Float32Array.from([0.5, 0.5, -0.5, 1]);
  held.send({ type: 'predict', requestId: 'w', passes: 5, mode: 'mc', inputs: rows, output: 'passes' });
  const prediction = (await answer) as Of<'prediction'>;
  assert.equal(prediction.type, 'prediction', JSON.stringify(prediction));
  assert.equal(prediction.perPass!.length, 5 * 2 * 2);
  assert.deepEqual(Array.from(rows), [0.5, 0.5, -0.5, 1], 'the caller keeps its inputs (a copy is transferred)');
  await held.release();
  assert.equal(events.at(-1)!.type, 'released');
  assert.ok(!events.some((e) => e.type === 'error'), 'a release is no crash');
  held.send({ type: 'predict', requestId: 'late', passes: 1, mode: 'eval' }); // ignored: the thread is gone

  const plain = new EngineWorker(locateEngineWorker(root));
  const plainDone = plain.whenDone();
  plain.send({ type: 'start', version: 1, spec: spec(undefined, 1), options: { streamHz: 0 } });
  assert.equal((await plainDone).reason, 'completed');
  // Asked after the end (a panel or test that arrives late): the same done event, not a promise that never settles.
  assert.equal(await plain.whenDone(), await plainDone);
  await plain.release(); // resolves at once: the thread ended with done
});
