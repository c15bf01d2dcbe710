// A saved experiment over seeds in the run panel: the first setting's mean curve with the 95% band.
// (src/vscode/recordSnapshot.ts imports no vscode.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import type { RunMember, RunRecord } from '../../../src/runs';
import { recordSnapshot, seedMeanEpochs } from '../../../src/vscode/recordSnapshot';

const spec = {
  name: 'm',
  seed: 1,
  model: { input: 2, layers: [] },
  training: { epochs: 2, loss: 'cross-entropy' },
} as unknown as ModelSpec;

const member = (key: string, losses: number[]): RunMember => ({
  key,
  label: key,
  spec,
  status: 'completed',
  epochs: losses.map((loss, i) => ({
    epoch: i + 1,
    lr: 0.1,
    train: { loss: loss / 2, accuracy: 0.9 },
    validation: { loss, accuracy: 0.5 + loss / 10 },
  })),
});

test('seeds of one setting: per epoch the mean, and the 95% interval of the validation metrics', () => {
  const members = [
    member('rate=0.3/seed=1', [1, 0.5]),
    member('rate=0.3/seed=2', [1.2, 0.7]),
    member('rate=0.3/seed=3', [0.8, 0.6]),
    member('rate=0.5/seed=1', [9, 9]),
  ];
  const got = seedMeanEpochs(members)!;
  assert.equal(got.setting, 'rate=0.3');
  assert.equal(got.epochs.length, 2);
  const [e1, e2] = got.epochs;
  assert.ok(Math.abs(e1!.validation.loss - 1) < 1e-12, 'the other setting is left out');
  assert.ok(Math.abs(e2!.train.loss - 0.3) < 1e-12);
  // 1, 1.2, 0.8: sd 0.2, half-width 4.302653 * 0.2 / sqrt(3).
  const half = (4.30265273 * 0.2) / Math.sqrt(3);
  assert.ok(Math.abs(e1!.spread!.loss[0] - (1 - half)) < 1e-9 && Math.abs(e1!.spread!.loss[1] - (1 + half)) < 1e-9);
  assert.equal(e1!.spread!.seeds, 3);
  assert.ok(e1!.spread!.accuracy);
  assert.equal(seedMeanEpochs([member('with-dropout', [1])]), undefined, 'no seeds, no aggregate');
});

test('a saved run without epochs of its own shows its first setting over seeds, named so', () => {
  const record = {
    format: 1,
    id: 'r',
    kind: 'mc',
    config: { name: 'moons' },
    spec,
    seed: 1,
    status: 'completed',
    epochs: [],
    members: [member('mc/seed=1', [1, 0.5]), member('mc/seed=2', [1.2, 0.7])],
  } as unknown as RunRecord;
  const snapshot = recordSnapshot(record);
  assert.equal(snapshot.epochs.length, 2);
  assert.match(snapshot.name, /mc: mean of 2 seeds, 95% band/);
  assert.ok(snapshot.epochs[0]!.spread);
});
