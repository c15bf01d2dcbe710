import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, dataChangedProblem, replaySourceOf, type RunRecord, type RunReplayInfo } from '../../../src/runs';
import { identifyBytes, identifyFile } from '../../../src/session/dataIdentity';
import type { ModelSpec } from '../../../src/protocol/modelSpec';

const spec: ModelSpec = {
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
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
};

const info: RunReplayInfo = {
  steps: 12,
  interventions: [
    { type: 'modes', step: 4, layers: [{ layer: 1, mode: 'eval' }] },
    { type: 'rate', step: 6, layer: 1, rate: 0.25 },
  ],
  workers: 1,
};

async function saved(replay?: unknown, extra: Partial<RunRecord> = {}): Promise<RunRecord> {
  const folder = await mkdtemp(join(tmpdir(), 'dl-replay-'));
  try {
    const store = new RunStore(folder);
    const writer = await store.create({ kind: 'train', spec, config: { path: 'm.dropout.yaml' }, heartbeatMs: 0 });
    await writer.endTraining({ status: 'completed', ...(replay ? { replay: replay as RunReplayInfo } : {}) });
    await writer.finish('completed');
    await writer.close();
    const file = join(folder, `${writer.id}.json`);
    if (Object.keys(extra).length > 0) {
      const raw = JSON.parse(await readFile(file, 'utf8')) as RunRecord;
      await writeFile(file, JSON.stringify({ ...raw, ...extra }));
    }
    const read = await store.read(writer.id);
    assert.ok(read.ok);
    return read.record;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

test('a saved run keeps what its replay needs, and reads back as a replay source', async () => {
  const record = await saved(info);
  assert.deepEqual(record.replay, info);
  const source = replaySourceOf(record);
  assert.ok(source.ok);
  assert.deepEqual(source.source.info, info);
  assert.equal(source.source.spec.seed, spec.seed);
  assert.equal(source.source.configPath, 'm.dropout.yaml');
});

test('a two-worker run reads back as a replay source: its replay splits every batch as it did', async () => {
  const source = replaySourceOf(await saved({ ...info, workers: 2 }));
  assert.ok(source.ok);
  assert.equal(source.source.info.workers, 2);
});

test('a run that cannot be replayed says why', async () => {
  const cases: [unknown, Partial<RunRecord>, RegExp][] = [
    [undefined, {}, /saved before runs recorded what a replay needs/],
    [info, { status: 'running' }, /never finished/],
    [info, { kind: 'sweep' }, /sweep experiment trains several models/],
    [{ ...info, workers: 3 }, {}, /trained on 3 engine workers; a replay reproduces runs on 1 or 2 only/],
    [{ ...info, steps: 0 }, {}, /unreadable: its step count 0 is not a positive integer/],
    [
      { ...info, interventions: [{ type: 'rate', step: 1, layer: 1, rate: 5 }] },
      {},
      /intervention #0 is not a valid rate/,
    ],
    [{ ...info, interventions: [{ type: 'boom', step: 1 }] }, {}, /intervention #0 is of no known type/],
    [{ ...info, interventions: [{ type: 'modes', step: 1, layers: [{ layer: 1, mode: 'x' }] }] }, {}, /malformed mode/],
    [{ ...info, data: 'abc' }, {}, /data identity is malformed/],
    [
      info,
      { spec: { ...spec, data: { source: 'csv', path: 'd.csv', standardize: true, validation: 0.2 } } },
      /does not record its CSV file's content hash/,
    ],
  ];
  for (const [replay, extra, message] of cases) {
    const result = replaySourceOf(await saved(replay, extra));
    assert.ok(!result.ok);
    assert.match(result.message, message);
  }
});

test("a data file's identity is its content: a changed file is detected and said", async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-data-'));
  try {
    const path = join(folder, 'd.csv');
    await writeFile(path, 'x,y,label\n1,2,0\n3,4,1\n');
    const then = await identifyFile(path);
    assert.deepEqual(then, identifyBytes(new TextEncoder().encode('x,y,label\n1,2,0\n3,4,1\n')));
    assert.equal(dataChangedProblem('d.csv', then, await identifyFile(path)), undefined);
    await writeFile(path, 'x,y,label\n1,2,0\n3,4,0\n'); // one label changed, same size
    const now = await identifyFile(path);
    assert.equal(now.bytes, then.bytes);
    assert.match(dataChangedProblem('d.csv', then, now)!, /d\.csv changed since this run .*content hash differs/);
    await assert.rejects(identifyFile(join(folder, 'missing.csv')), /ENOENT/);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
