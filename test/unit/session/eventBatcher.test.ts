import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineEventBatcher } from '../../../src/session/eventBatcher';
import type { EngineEvent } from '../../../src/protocol/engine';

const step = (n: number) => ({ type: 'step', step: n, epoch: 0, loss: 1, lr: 0.1, stepsPerSecond: 0 }) as EngineEvent;
const epoch = (n: number) =>
  ({
    type: 'epoch',
    epoch: n,
    step: n,
    lr: 0.1,
    train: { loss: 1 },
    validation: { loss: 1 },
    validationTrainMode: { loss: 1 },
  }) as EngineEvent;
const boundary = (n: number) =>
  ({
    type: 'boundary',
    epoch: n,
    resolution: 1,
    extent: [0, 1, 0, 1],
    classes: new Uint8Array(1),
    confidence: new Float32Array(1),
  }) as EngineEvent;

test('event batcher: every epoch in order, only the newest step and boundary, one message per interval', async () => {
  const sent: EngineEvent[][] = [];
  const batcher = new EngineEventBatcher((events) => sent.push(events), 20);
  for (let i = 1; i <= 300; i++) {
    batcher.push(step(i));
    batcher.push(epoch(i));
    batcher.push(boundary(i));
  }
  assert.equal(sent.length, 0, 'nothing is sent before the interval');
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(sent.length, 1);
  const [batch] = sent;
  assert.deepEqual(
    batch!.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch),
    Array.from({ length: 300 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    batch!.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step),
    [300],
  );
  assert.deepEqual(
    batch!.filter((e) => e.type === 'boundary').map((e) => (e as { epoch: number }).epoch),
    [300],
  );
});

test('event batcher: a pause, an error or done goes out at once, after what came before it', () => {
  const sent: EngineEvent[][] = [];
  const batcher = new EngineEventBatcher((events) => sent.push(events), 10_000);
  batcher.push(epoch(1));
  batcher.push({ type: 'paused', step: 4 });
  assert.deepEqual(
    sent.map((b) => b.map((e) => e.type)),
    [['epoch', 'paused']],
  );
  batcher.push(epoch(2));
  batcher.clear();
  batcher.flush();
  assert.equal(sent.length, 1, 'a cleared batch is never sent');
});

test('event batcher: a done event reaches the view without the final weights', () => {
  const sent: EngineEvent[][] = [];
  const batcher = new EngineEventBatcher((events) => sent.push(events));
  batcher.push({
    type: 'done',
    reason: 'completed',
    step: 9,
    epoch: 1,
    weights: [{ layer: 0, W: new Float32Array(4), b: new Float32Array(2) }],
  });
  const done = sent[0]![0] as Extract<EngineEvent, { type: 'done' }>;
  assert.equal(done.reason, 'completed');
  assert.equal(done.weights, undefined);
});

test('event batcher: feature maps are a picture of now per layer: the newest of each dropout2d layer survives a batch', async () => {
  const maps = (layer: number, step: number) =>
    ({
      type: 'featureMaps',
      step,
      layer,
      shape: [1, 1, 1],
      before: new Float32Array([step]),
      after: new Float32Array([0]),
    }) as EngineEvent;
  const sent: EngineEvent[][] = [];
  const batcher = new EngineEventBatcher((events) => sent.push(events), 20);
  for (let i = 1; i <= 50; i++) {
    batcher.push(maps(2, i));
    batcher.push(maps(6, i));
  }
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(sent.length, 1);
  assert.deepEqual(
    sent[0]!.map((e) => (e.type === 'featureMaps' ? [e.layer, e.step] : e.type)),
    [
      [2, 50],
      [6, 50],
    ],
  );
});
