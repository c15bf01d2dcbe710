import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import {
  RUN_FORMAT,
  RunStore,
  RunWriter,
  compareRuns,
  decodeWeights,
  exportRunCsv,
  exportRunJson,
  nodeFileSystem,
  parseRunRecord,
  pickMember,
  type RunEpoch,
  type RunFileSystem,
} from '../../../src/runs';

export const spec: ModelSpec = {
  name: 'tiny',
  seed: 7,
  data: { source: 'generator', generator: 'overfit', samples: 60, noise: 0.3, validation: 0.5 },
  model: {
    input: 2,
    layers: [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
      { type: 'dense', units: 2, activation: 'linear' },
    ],
  },
  training: {
    epochs: 3,
    batchSize: 16,
    optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
};

const epoch = (n: number, valLoss = 1 - n * 0.1): RunEpoch => ({
  epoch: n,
  lr: 0.01,
  train: { loss: 1 - n * 0.2, accuracy: 0.5 + n * 0.1 },
  validation: { loss: valLoss, accuracy: 0.5 + n * 0.05 },
  validationTrainMode: { loss: valLoss + 0.2, accuracy: 0.45 },
});

async function tempFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dl-runs-'));
}

test('a run is written as it progresses and reads back complete', async () => {
  const folder = await tempFolder();
  try {
    const store = new RunStore(folder);
    const writer = await store.create({ kind: 'train', spec, config: { path: 'examples/tiny.dropout.yaml' } });
    let read = await store.read(writer.id);
    assert.ok(read.ok);
    assert.equal(read.record.status, 'running');
    assert.equal(read.record.format, RUN_FORMAT);
    for (let n = 1; n <= 3; n++) {
      await writer.addEpoch(epoch(n));
      read = await store.read(writer.id);
      assert.ok(read.ok);
      assert.equal(read.record.epochs.length, n, 'each epoch is on disk when addEpoch resolves');
    }
    const W = new Float32Array([0.5, -1.25, 3, Math.PI, -0, 1e-7]);
    const b = new Float32Array([0.1, -0.2]);
    await writer.endTraining({
      status: 'completed',
      final: { train: epoch(3).train, validation: epoch(3).validation },
      weights: [{ layer: 0, W, b }],
    });
    await writer.finish('completed', { summary: { values: new Float32Array([1, 2]) } });
    read = await store.read(writer.id);
    assert.ok(read.ok);
    const r = read.record;
    assert.equal(r.status, 'completed');
    assert.equal(r.seed, 7);
    assert.equal(r.config.name, 'tiny');
    assert.equal(r.config.path, 'examples/tiny.dropout.yaml');
    assert.deepEqual(r.spec, spec);
    assert.deepEqual(r.summary, { values: [1, 2] });
    const [w] = decodeWeights(r.weights ?? []);
    assert.deepEqual(Array.from(w!.W), Array.from(W));
    assert.deepEqual(Array.from(w!.b), Array.from(b));
    assert.equal(r.weights![0]!.out, 2);
    assert.equal(r.weights![0]!.in, 3);
    // No temp file is left behind.
    assert.deepEqual(await readdir(folder), [`${writer.id}.json`]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('a writer killed mid-write leaves a temp file; the run is still readable to its last saved epoch', async () => {
  const folder = await tempFolder();
  try {
    // A file system that dies while writing the temp file of the 4th save (the 3rd epoch).
    let writes = 0;
    const dying: RunFileSystem = {
      ...nodeFileSystem,
      writeFile: async (path, text) => {
        writes++;
        if (writes === 4) {
          await nodeFileSystem.writeFile(path, text.slice(0, Math.floor(text.length / 2)));
          throw new Error('killed');
        }
        await nodeFileSystem.writeFile(path, text);
      },
      unlink: async () => undefined, // a killed process cleans nothing up
    };
    const writer = await RunWriter.create(folder, { kind: 'train', spec, config: {} }, dying);
    await writer.addEpoch(epoch(1));
    await writer.addEpoch(epoch(2));
    await writer.addEpoch(epoch(3));
    assert.match(writer.lastError?.message ?? '', /killed/);
    const names = await readdir(folder);
    assert.equal(names.length, 2, `a run file and a partial temp file: ${names}`);
    assert.ok(names.some((n) => n.endsWith('.tmp')));

    const store = new RunStore(folder);
    const { runs, problems } = await store.list();
    assert.deepEqual(problems, [], 'the temp file is not a problem');
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'running');
    assert.equal(runs[0]!.epochCount, 2);
    const read = await store.read(runs[0]!.id);
    assert.ok(read.ok);
    assert.deepEqual(
      read.record.epochs.map((e) => e.epoch),
      [1, 2],
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('concurrent epochs of several members are all saved, in order', async () => {
  const folder = await tempFolder();
  try {
    const store = new RunStore(folder);
    const writer = await store.create({ kind: 'compare', spec, config: {} });
    await Promise.all([
      writer.addMember({ key: 'with-dropout', label: 'with', spec }),
      writer.addMember({ key: 'without-dropout', label: 'without', spec }),
    ]);
    const saves: Promise<void>[] = [];
    for (let n = 1; n <= 20; n++) {
      saves.push(writer.addEpoch(epoch(n), 'with-dropout'));
      saves.push(writer.addEpoch(epoch(n), 'without-dropout'));
    }
    await Promise.all(saves);
    await writer.flush();
    const read = await store.read(writer.id);
    assert.ok(read.ok);
    assert.equal(read.record.members!.length, 2);
    for (const m of read.record.members!)
      assert.deepEqual(
        m.epochs.map((e) => e.epoch),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    assert.equal((await readdir(folder)).length, 1);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('corrupt, foreign and future-format files are reported and skipped; listing is newest first', async () => {
  const folder = await tempFolder();
  try {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const now = () => new Date((t += 1000));
    const store = new RunStore(folder);
    const first = await RunWriter.create(folder, { kind: 'train', spec, config: {}, now });
    const second = await RunWriter.create(folder, { kind: 'sweep', spec, config: {}, now });
    await writeFile(join(folder, 'broken.json'), '{"format": "dropout-lens/run@1", "id": ');
    await writeFile(join(folder, 'package.json'), '{"name": "not-a-run"}');
    await writeFile(join(folder, 'future.json'), JSON.stringify({ format: 'dropout-lens/run@9', id: 'x' }));
    await writeFile(join(folder, 'notes.txt'), 'hello');
    await writeFile(join(folder, 'array.json'), '[1,2]');
    const { runs, problems } = await store.list();
    assert.deepEqual(
      runs.map((r) => r.id),
      [second.id, first.id],
    );
    const byFile = Object.fromEntries(problems.map((p) => [p.file.split('/').pop(), p.message]));
    assert.match(byFile['broken.json'], /not valid JSON/);
    assert.match(byFile['package.json'], /not a Dropout Lens run/);
    assert.match(byFile['future.json'], /not supported/);
    assert.match(byFile['notes.txt'], /not a run file/);
    assert.match(byFile['array.json'], /not a Dropout Lens run/);
    assert.equal((await store.read('broken')).ok, false);
    assert.equal(await store.delete(first.id), true);
    assert.equal((await store.list()).runs.length, 1);
    assert.equal(await store.delete('no-such-run'), false);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('a missing runs folder lists as empty, without problems', async () => {
  const store = new RunStore(join(tmpdir(), 'dl-runs-does-not-exist-' + Date.now()));
  assert.deepEqual(await store.list(), { runs: [], problems: [] });
});

test('malformed records are refused with a precise message', () => {
  const base = {
    format: RUN_FORMAT,
    id: 'a',
    kind: 'train',
    config: { name: 'n' },
    spec,
    seed: 1,
    createdAt: 'x',
    updatedAt: 'x',
    status: 'running',
    epochs: [],
  };
  assert.equal(parseRunRecord(JSON.stringify(base)).ok, true);
  const bad: [object, RegExp][] = [
    [{ ...base, kind: 'dance' }, /unknown run kind/],
    [{ ...base, status: 'sleeping' }, /unknown status/],
    [{ ...base, epochs: [{ epoch: 1 }] }, /epoch #0 is malformed/],
    [{ ...base, members: [{ key: 'k', status: 'completed', epochs: 'no' }] }, /member "k"/],
  ];
  for (const [raw, message] of bad) {
    const r = parseRunRecord(JSON.stringify(raw));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, message);
  }
});

test('exports: JSON round-trips, CSV has one row per epoch and member', async () => {
  const folder = await tempFolder();
  try {
    const writer = await RunWriter.create(folder, { kind: 'compare', spec, config: { name: 'a, "quoted" name' } });
    await writer.addMember({ key: 'with-dropout', label: 'with', spec });
    await writer.addEpoch(epoch(1), 'with-dropout');
    await writer.addEpoch(epoch(2), 'with-dropout');
    const json = exportRunJson(writer.record);
    const parsed = parseRunRecord(json);
    assert.ok(parsed.ok);
    const csv = exportRunCsv(writer.record).trim().split('\n');
    assert.equal(
      csv[0],
      'member,epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,val_train_mode_loss,val_train_mode_accuracy',
    );
    assert.equal(csv.length, 3);
    assert.equal(csv[1], 'with-dropout,1,0.01,0.8,0.6,0.9,0.55,1.1,0.45');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('two runs compare epoch by epoch, with final deltas', async () => {
  const folder = await tempFolder();
  try {
    const a = await RunWriter.create(folder, { kind: 'train', spec, config: {} });
    const b = await RunWriter.create(folder, { kind: 'train', spec, config: {} });
    for (const n of [1, 2, 3]) await a.addEpoch(epoch(n, 1));
    for (const n of [1, 2]) await b.addEpoch(epoch(n, 0.5));
    const c = compareRuns(a.record, b.record);
    assert.deepEqual(
      c.epochs.map((r) => [r.epoch, !!r.a, !!r.b]),
      [
        [1, true, true],
        [2, true, true],
        [3, true, false],
      ],
    );
    assert.equal(c.epochs[0]!.delta!.valLoss, -0.5);
    assert.equal(c.epochs[2]!.delta, undefined);
    assert.ok(Math.abs(c.final.valLoss.delta! - -0.5) < 1e-12);
    assert.ok(Math.abs(c.final.trainLoss.delta! - 0.2) < 1e-12, 'final of a run without `final` is its last epoch');

    const m = await RunWriter.create(folder, { kind: 'sweep', spec, config: {} });
    await m.addMember({ key: 'rate=0.3', label: 'rate 0.3', spec });
    await m.addEpoch(epoch(1), 'rate=0.3');
    const member = pickMember(m.record, 'rate=0.3');
    assert.equal(member?.epochs.length, 1);
    assert.equal(pickMember(m.record as never, 'nope'), undefined);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
