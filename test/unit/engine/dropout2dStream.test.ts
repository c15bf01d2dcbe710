/**
 * Dropout2d as the panel sees it: the channel mask stream (`masks`, the first sample's channels) and the feature
 * maps before and after the layer (`featureMaps`), as the engine session streams them, and the layer under them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../../../src/engine/data';
import { IMAGE_GENERATORS } from '../../../src/engine/data/images';
import { selectKernels } from '../../../src/engine/kernels';
import { Network, type Dropout2dLayer } from '../../../src/engine/nn/network';
import { SeededRandom } from '../../../src/engine/random';
import { Replay } from '../../../src/engine/replay';
import { EngineSession } from '../../../src/engine/session';
import type { EngineEvent, FeatureMapsEvent, LayerMask } from '../../../src/protocol/engine';
import type { LayerSpec, ModelSpec } from '../../../src/protocol/modelSpec';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

const RATE = 0.4;
const CHANNELS = 6;
/** Layer 1: the dropout2d after a conv of 6 channels on 1×16×16 images (16×16 maps: padding 1 keeps the size). */
const DROPOUT2D = 1;
const layers: LayerSpec[] = [
  { type: 'conv2d', filters: CHANNELS, kernel: [3, 3], stride: 1, padding: 1, activation: 'relu' },
  { type: 'dropout2d', rate: RATE },
  { type: 'maxpool2d', size: 2, stride: 2 },
  { type: 'flatten' },
  { type: 'dense', units: IMAGE_GENERATORS.bars.classes, activation: 'linear' },
];

function spec(seed: number): ModelSpec {
  return {
    name: 'dropout2d stream test',
    seed,
    data: { source: 'generator', generator: 'bars', samples: 48, noise: 0.1, validation: 0.25 },
    model: { input: [1, 16, 16], layers },
    training: {
      epochs: 5,
      batchSize: 12,
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
      schedule: { kind: 'constant' },
      loss: 'cross-entropy',
      init: 'he',
    },
    evaluation: { mode: 'eval' },
  };
}

/** A run streaming every step (a clock that moves with every look), with the dropout2d layer in eval for a while. */
function stream(seed: number) {
  const events: EngineEvent[] = [];
  const queue: (() => void)[] = [];
  let clock = 0;
  const session = new EngineSession({
    post: (e) => events.push(e),
    schedule: (fn) => queue.push(fn),
    now: () => (clock += 1),
  });
  session.handle({
    type: 'start',
    version: 1,
    spec: spec(seed),
    options: { streamHz: 1000, paused: true, boundaryEvery: 0 },
  });
  session.handle({ type: 'step', count: 5 });
  session.handle({ type: 'setMode', layer: DROPOUT2D, mode: 'eval' });
  session.handle({ type: 'step', count: 2 });
  session.handle({ type: 'setMode', layer: DROPOUT2D, mode: 'train' });
  session.handle({ type: 'resume' });
  for (let i = 0; i < 100_000 && queue.length > 0; i++) queue.shift()!();
  const done = events.find((e): e is Of<'done'> => e.type === 'done')!;
  assert.equal(done.reason, 'completed');
  const masks = new Map(
    events
      .filter((e): e is Of<'masks'> => e.type === 'masks')
      .map((e) => [e.step, e.layers.find((m) => m.layer === DROPOUT2D)!]),
  );
  const maps = new Map(events.filter((e): e is FeatureMapsEvent => e.type === 'featureMaps').map((e) => [e.step, e]));
  const interventions = events.flatMap((e) =>
    e.type === 'modes' ? [{ type: 'modes' as const, step: e.step!, layers: e.layers }] : [],
  );
  return { done, masks, maps, interventions };
}

const kept = (m: LayerMask, c: number) => ((m.bits[c >> 3]! >> (c & 7)) & 1) === 1;

test("the panel's dropout2d stream: each step the first sample's channel mask, and its feature maps before and after, whole channels dropped and the kept ones scaled by 1/(1-p)", () => {
  const run = stream(7);
  assert.equal(run.masks.size, run.done.step, 'a mask every step');
  assert.equal(run.maps.size, run.done.step, 'feature maps every step');
  const size = 16 * 16;
  const scale = Math.fround(1 / (1 - RATE));
  let droppedSeen = 0;
  let keptSeen = 0;
  for (const [step, mask] of run.masks) {
    const maps = run.maps.get(step)!;
    // Shape: one bit per channel; the maps are the first sample's [C, H, W], before and after.
    assert.equal(mask.units, CHANNELS);
    assert.equal(mask.bits.length, 1);
    assert.equal(mask.rate, RATE);
    assert.deepEqual(maps.shape, [CHANNELS, 16, 16]);
    assert.equal(maps.layer, DROPOUT2D);
    assert.equal(maps.before.length, CHANNELS * size);
    assert.equal(maps.after.length, CHANNELS * size);
    const inEval = step >= 6 && step <= 7;
    // The realized fraction counts whole channels over the batch: a multiple of 1 / (batch x channels).
    const units = mask.realizedDropFraction * 12 * CHANNELS;
    assert.ok(Math.abs(units - Math.round(units)) < 1e-9, `step ${step}: ${mask.realizedDropFraction}`);
    if (inEval) assert.equal(mask.realizedDropFraction, 0, `step ${step} in eval: nothing dropped`);
    for (let c = 0; c < CHANNELS; c++) {
      const before = maps.before.subarray(c * size, (c + 1) * size);
      const after = maps.after.subarray(c * size, (c + 1) * size);
      if (inEval) {
        assert.ok(kept(mask, c), `step ${step} in eval: every channel kept`);
        assert.deepEqual(after, before, `step ${step} in eval: the identity`);
      } else if (!kept(mask, c)) {
        droppedSeen++;
        assert.ok(
          after.every((v) => v === 0),
          `step ${step}: dropped channel ${c} is zero over the whole map`,
        );
      } else {
        keptSeen++;
        for (let i = 0; i < size; i++)
          assert.equal(after[i], Math.fround(before[i]! * scale), `step ${step}: channel ${c}, position ${i}`);
      }
    }
  }
  assert.ok(droppedSeen > 0 && keptSeen > 0, `${droppedSeen} dropped and ${keptSeen} kept channels streamed`);
  assert.ok(
    [...run.maps.values()].some((m) => m.before.some((v) => v > 0)),
    'the maps are not empty',
  );
});

test('every sample of the batch drops whole channels of its own, about p of them; eval is the identity', () => {
  const batch = 32;
  const net = new Network(
    [{ type: 'dropout2d', rate: RATE }, { type: 'flatten' }],
    [CHANNELS, 4, 5],
    batch,
    selectKernels(),
  );
  const l = net.layers[0] as Dropout2dLayer;
  const input = new Float32Array(batch * CHANNELS * 20);
  const data = new SeededRandom(3);
  for (let i = 0; i < input.length; i++) input[i] = data.normal() + 0.1;
  const random = new SeededRandom(11);
  const scale = Math.fround(1 / (1 - RATE));
  let dropped = 0;
  let draws = 0;
  const patterns = new Set<string>();
  for (let pass = 0; pass < 40; pass++) {
    const out = net.forward(input, batch, 'own', random, true);
    for (let b = 0; b < batch; b++) {
      let pattern = '';
      for (let c = 0; c < CHANNELS; c++) {
        const keep = l.channelKeep[b * CHANNELS + c]!;
        pattern += keep;
        draws++;
        if (!keep) dropped++;
        for (let i = 0; i < 20; i++) {
          const at = (b * CHANNELS + c) * 20 + i;
          // A dropped value is ±0 (a negative input times 0).
          const expected = keep ? Math.fround(input[at]! * scale) : 0;
          assert.ok(out[at] === expected, `pass ${pass}, sample ${b}, channel ${c}: ${out[at]} for ${expected}`);
        }
      }
      patterns.add(pattern);
    }
    assert.equal(l.dropped, [...l.channelKeep.subarray(0, batch * CHANNELS)].filter((k) => k === 0).length * 20);
  }
  // 7680 channel draws: the dropped share is p within five standard errors (0.028).
  assert.ok(Math.abs(dropped / draws - RATE) < 5 * Math.sqrt((RATE * (1 - RATE)) / draws), `${dropped / draws}`);
  assert.ok(patterns.size > 30, 'samples draw their own channel masks');
  l.mode = 'eval';
  const out = net.forward(input, batch, 'own', random, true);
  assert.deepEqual(out.subarray(0, input.length), input);
});

test('the dropout2d stream is seeded: the same seed streams the same masks and maps, another seed others, and a replay recomputes them', () => {
  const a = stream(7);
  const b = stream(7);
  const other = stream(8);
  const bitsOf = (run: ReturnType<typeof stream>) => [...run.masks.values()].map((m) => [...m.bits]);
  assert.deepEqual(bitsOf(a), bitsOf(b));
  assert.deepEqual([...a.maps.values()], [...b.maps.values()]);
  assert.notDeepEqual(bitsOf(a), bitsOf(other));
  const s = spec(7);
  const replay = new Replay(s, loadDataset(s.data, s.seed), {
    steps: a.done.step,
    interventions: a.interventions,
    checkpointEvery: 4,
  });
  for (const n of [3, 11, 6, 1, a.done.step, 9]) {
    const frame = replay.seek(n)!;
    const mask = frame.masks[0]!.layers.find((m) => m.layer === DROPOUT2D)!;
    assert.deepEqual(frame.featureMaps, [a.maps.get(n)], `feature maps at step ${n}`);
    assert.deepEqual(
      { ...mask, bits: [...mask.bits] },
      { ...a.masks.get(n)!, bits: [...a.masks.get(n)!.bits] },
      `step ${n}`,
    );
  }
});
