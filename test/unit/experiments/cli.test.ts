// `dropout-lens sweep` and `dropout-lens compare` with a fake engine and an in-memory config loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCompareWith, runSweepWith, type ExperimentCliDeps } from '../../../src/cli/experiments';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import { fakeLauncher, type FakeOptions } from './fakeEngine';

const spec: ModelSpec = {
  name: 'cli',
  seed: 5,
  data: { source: 'generator', generator: 'overfit', samples: 80, noise: 0.3, validation: 0.5 },
  model: { input: 2, layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' }, { type: 'dense', units: 2, activation: 'linear' }] },
  training: { epochs: 3, batchSize: 16, optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }, schedule: { kind: 'constant' }, loss: 'cross-entropy', init: 'he' },
  evaluation: { mode: 'eval' },
};

function harness(fake: FakeOptions = {}, runsFolder = tmpdir()) {
  const out: string[] = [];
  const err: string[] = [];
  const launcher = fakeLauncher(fake);
  const deps: ExperimentCliDeps = {
    launcher: () => launcher,
    loadConfig: async (path) => (path === 'missing.yaml' ? { error: 'missing.yaml: cannot read the file (ENOENT)' } : { spec }),
    runsFolder: () => runsFolder,
    interactive: false,
  };
  return { deps, launcher, io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) }, out: () => out.join(''), err: () => err.join('') };
}

test('sweep --json: per-rate final metrics, gap and the best rate; progress on stderr', async () => {
  const h = harness({ bestRate: 0.2 });
  const code = await runSweepWith(['model.dropout.yaml', '--rates', '0,0.2,0.4,0.6', '--group', 'hidden', '--json'], h.io, h.deps);
  assert.equal(code, 0, h.err());
  const result = JSON.parse(h.out());
  assert.equal(result.kind, 'sweep');
  assert.equal(result.bestRate, 0.2);
  assert.deepEqual(result.runs.map((r: { rate: number }) => r.rate), [0, 0.2, 0.4, 0.6]);
  for (const r of result.runs) {
    for (const k of ['trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy']) assert.equal(typeof r[k], 'number', k);
    assert.equal(typeof r.generalizationGap.loss, 'number');
    assert.equal(typeof r.generalizationGap.accuracy, 'number');
  }
  assert.deepEqual(result.overfittingRates, [0]);
  assert.deepEqual(result.underfittingRates, [0.4, 0.6]);
  assert.match(h.err(), /100%/);
});

test('sweep: a summary table with the best rate marked and the regions named', async () => {
  const h = harness({ bestRate: 0.3 });
  const code = await runSweepWith(['model.dropout.yaml', '--rates', '0.1,0.3,0.5'], h.io, h.deps);
  assert.equal(code, 0);
  assert.match(h.out(), /rate\s+train loss/);
  assert.match(h.out(), /0\.3 \*/);
  assert.match(h.out(), /best rate: 0\.3/);
  assert.match(h.out(), /overfitting region \(too little dropout\): 0\.1 to 0\.1/);
  assert.match(h.out(), /underfitting region \(too much dropout\): 0\.5 to 0\.5/);
});

test('compare --json: both runs with final metrics and gap; the text form has a table', async () => {
  const h = harness();
  assert.equal(await runCompareWith(['model.dropout.yaml', '--json'], h.io, h.deps), 0, h.err());
  const result = JSON.parse(h.out());
  assert.equal(result.kind, 'compare');
  assert.deepEqual(result.runs.map((r: { dropout: boolean }) => r.dropout), [true, false]);
  assert.equal(typeof result.runs[0].generalizationGap.loss, 'number');
  assert.ok(result.gapReduction.loss > 0);
  assert.equal(h.launcher.maxConcurrent, 2);

  const t = harness();
  assert.equal(await runCompareWith(['model.dropout.yaml'], t.io, t.deps), 0);
  assert.match(t.out(), /with dropout/);
  assert.match(t.out(), /without dropout/);
  assert.match(t.out(), /narrows the generalization gap/);
});

test('bad usage exits 2 with the usage; an unreadable config or a failed run exits 1', async () => {
  const cases: string[][] = [[], ['a.yaml', 'b.yaml'], ['a.yaml', '--rates', '0,1'], ['a.yaml', '--rates'], ['a.yaml', '--group', 'output'], ['a.yaml', '--frobnicate'], ['a.yaml', '--epochs', '0']];
  for (const args of cases) {
    const h = harness();
    assert.equal(await runSweepWith(args, h.io, h.deps), 2, args.join(' '));
    assert.match(h.err(), /Usage: dropout-lens sweep/);
  }
  const c = harness();
  assert.equal(await runCompareWith(['a.yaml', '--rates', '0.1'], c.io, c.deps), 2, 'compare has no --rates');
  const help = harness();
  assert.equal(await runCompareWith(['--help'], help.io, help.deps), 0);
  assert.match(help.out(), /Usage: dropout-lens compare/);

  const missing = harness();
  assert.equal(await runSweepWith(['missing.yaml'], missing.io, missing.deps), 1);
  assert.match(missing.err(), /cannot read/);

  const failing = harness({ failAtRate: 0.4 });
  assert.equal(await runSweepWith(['a.yaml', '--rates', '0.2,0.4', '--json'], failing.io, failing.deps), 1);
  const result = JSON.parse(failing.out());
  assert.equal(result.status, 'failed');
  assert.equal(result.runs[1].status, 'failed');
});

test('--save writes the experiment as a run record', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-cli-runs-'));
  try {
    const h = harness({}, folder);
    assert.equal(await runCompareWith(['model.dropout.yaml', '--save'], h.io, h.deps), 0);
    const files = await readdir(folder);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /compare.*\.json$/);
    assert.match(h.out(), /saved: /);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
