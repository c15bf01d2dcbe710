// `dropout-lens sweep`, `compare`, `size-sweep`, `mc` and `forgot-eval` with a fake engine and an in-memory config loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  runCompareWith,
  runForgotEvalWith,
  runMcWith,
  runSizeSweepWith,
  runSweepWith,
  type ExperimentCliDeps,
} from '../../../src/cli/experiments';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import { nodeFileSystem, type RunFileSystem } from '../../../src/runs';
import { fakeLauncher, type FakeOptions } from './fakeEngine';

const spec: ModelSpec = {
  name: 'cli',
  seed: 5,
  data: { source: 'generator', generator: 'overfit', samples: 80, noise: 0.3, validation: 0.5 },
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

function harness(fake: FakeOptions = {}, runsFolder = tmpdir()) {
  const out: string[] = [];
  const err: string[] = [];
  const launcher = fakeLauncher(fake);
  const deps: ExperimentCliDeps = {
    launcher: () => launcher,
    loadConfig: async (path) =>
      path === 'missing.yaml' ? { error: 'missing.yaml: cannot read the file (ENOENT)' } : { spec },
    runsFolder: () => runsFolder,
    interactive: false,
  };
  return {
    deps,
    launcher,
    io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

test('sweep --json: per-rate final metrics, gap and the best rate; progress on stderr', async () => {
  const h = harness({ bestRate: 0.2 });
  const code = await runSweepWith(
    ['model.dropout.yaml', '--rates', '0,0.2,0.4,0.6', '--group', 'hidden', '--json'],
    h.io,
    h.deps,
  );
  assert.equal(code, 0, h.err());
  const result = JSON.parse(h.out());
  assert.equal(result.kind, 'sweep');
  assert.equal(result.bestRate, 0.2);
  assert.deepEqual(
    result.runs.map((r: { rate: number }) => r.rate),
    [0, 0.2, 0.4, 0.6],
  );
  for (const r of result.runs) {
    for (const k of ['trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy']) assert.equal(typeof r[k], 'number', k);
    assert.equal(typeof r.generalizationGap.loss, 'number');
    assert.equal(typeof r.generalizationGap.accuracy, 'number');
  }
  assert.deepEqual(result.overfittingRates, [0]);
  assert.deepEqual(result.underfittingRates, [0.4, 0.6]);
  assert.match(h.err(), /100%/);
});

test('--seeds N: every rate on N seeds; --json has mean, low, high and the per-seed values; the text says what is noise', async () => {
  const h = harness({ bestRate: 0.3, pairNoise: 0.05 });
  const code = await runSweepWith(
    ['model.dropout.yaml', '--rates', '0.2,0.3,0.35,0.8', '--seeds', '3', '--json'],
    h.io,
    h.deps,
  );
  assert.equal(code, 0, h.err());
  assert.equal(h.launcher.started.length, 12);
  const result = JSON.parse(h.out());
  assert.deepEqual(result.seeds, [5, 6, 7]);
  assert.equal(result.test, 'paired t-test over seeds on validation loss, 95%');
  assert.ok(result.indistinguishableRates.includes(result.bestRate));
  assert.ok(!result.indistinguishableRates.includes(0.8));
  for (const r of result.runs) {
    const v = r.overSeeds.valLoss;
    assert.equal(v.values.length, 3);
    assert.ok(v.low <= v.mean && v.mean <= v.high);
    assert.equal(r.valLoss, v.mean, 'the plain number is the mean');
    assert.deepEqual(r.overSeeds.seeds, [5, 6, 7]);
  }
  const far = result.runs.find((r: { rate: number }) => r.rate === 0.8);
  assert.equal(far.vsBest.withinNoise, false);
  assert.ok(far.vsBest.low > 0);

  const t = harness({ bestRate: 0.3, pairNoise: 0.05 });
  assert.equal(
    await runSweepWith(['model.dropout.yaml', '--rates', '0.2,0.3,0.35,0.8', '--seeds', '3'], t.io, t.deps),
    0,
  );
  assert.match(t.out(), /3 seeds \(5 to 7\)/);
  assert.match(t.out(), /\d\.\d{4} ± \d\.\d{4}/);
  assert.match(t.out(), /indistinguishable from the best/);
  assert.match(t.out(), /within noise \(a paired t-test over the 3 seeds/);

  for (const bad of ['0', '101', 'x']) {
    const b = harness();
    assert.equal(await runSweepWith(['model.dropout.yaml', '--seeds', bad], b.io, b.deps), 2);
    assert.match(b.err(), new RegExp(`--seeds must be a whole number from 1 to 100, got ${bad}`));
  }
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
  assert.deepEqual(
    result.runs.map((r: { dropout: boolean }) => r.dropout),
    [true, false],
  );
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
  const cases: string[][] = [
    [],
    ['a.yaml', 'b.yaml'],
    ['a.yaml', '--rates', '0,1'],
    ['a.yaml', '--rates'],
    ['a.yaml', '--group', 'output'],
    ['a.yaml', '--frobnicate'],
    ['a.yaml', '--epochs', '0'],
  ];
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

test('size-sweep --json: with and without dropout per fraction, the benefit and the best fraction; a table otherwise', async () => {
  const h = harness();
  const code = await runSizeSweepWith(
    ['model.dropout.yaml', '--fractions', '0.25,0.5,1', '--seeds', '1', '--json'],
    h.io,
    h.deps,
  );
  assert.equal(code, 0, h.err());
  const result = JSON.parse(h.out());
  assert.equal(result.kind, 'dataset-sweep');
  assert.deepEqual(
    result.points.map((p: { fraction: number }) => p.fraction),
    [0.25, 0.5, 1],
  );
  for (const p of result.points) {
    assert.equal(typeof p.lossBenefit, 'number');
    assert.equal(typeof p.withDropout.valLoss, 'number');
    assert.equal(typeof p.withoutDropout.generalizationGap.loss, 'number');
  }
  assert.equal(typeof result.bestFraction, 'number');
  assert.equal(h.launcher.started.length, 6, 'two trainings per fraction');
  assert.match(h.err(), /100%/);

  const t = harness();
  assert.equal(await runSizeSweepWith(['model.dropout.yaml', '--fractions', '0.5,1'], t.io, t.deps), 0);
  assert.match(t.out(), /fraction\s+samples\s+val loss \(dropout\)/);
  assert.match(t.out(), /dropout helps most at/);
});

test('mc --json: the variance and accuracies of the Monte Carlo passes, --samples is passed on', async () => {
  const h = harness();
  const code = await runMcWith(['model.dropout.yaml', '--samples', '12', '--json'], h.io, h.deps);
  assert.equal(code, 0, h.err());
  const result = JSON.parse(h.out());
  assert.equal(result.kind, 'mc');
  assert.equal(result.samples, 12);
  assert.ok(result.meanVariance > 0);
  assert.equal(result.mcAccuracy, 0.8);
  assert.equal(result.evalAccuracy, 0.78);
  assert.equal(result.perSample.variance.length, 20);
  assert.ok(result.leastSure.length > 0 && result.leastSure[0].variance >= result.leastSure.at(-1).variance);
  assert.equal(typeof result.training.valLoss, 'number');
  const count = (c: string) => h.launcher.commands.filter((x) => x === c).length;
  assert.equal(count('predict'), 2 * count('start'), 'MC passes and an eval pass on every seed');
  assert.equal(count('release'), count('start'), 'every held session is released');

  const t = harness();
  assert.equal(await runMcWith(['model.dropout.yaml'], t.io, t.deps), 0);
  assert.match(t.out(), /Monte Carlo dropout with 30 passes/);
  assert.match(t.out(), /mean variance of the predictions/);
  assert.match(t.out(), /least sure validation samples/);
});

test('forgot-eval --json: eval-mode vs train-mode validation and the pass-to-pass variability; a table otherwise', async () => {
  const h = harness();
  const code = await runForgotEvalWith(['model.dropout.yaml', '--passes', '4', '--json'], h.io, h.deps);
  assert.equal(code, 0, h.err());
  const result = JSON.parse(h.out());
  assert.equal(result.kind, 'forgot-eval');
  assert.ok(result.trainMode.accuracy < result.evalMode.accuracy, 'the fake engine reports train mode worse');
  assert.ok(result.accuracyDrop > 0);
  assert.equal(typeof result.mcVariance, 'number');
  assert.equal(result.curves.length, 3);

  const t = harness();
  assert.equal(await runForgotEvalWith(['model.dropout.yaml'], t.io, t.deps), 0);
  assert.match(t.out(), /eval mode \(correct\)/);
  assert.match(t.out(), /train mode \(forgot eval\(\)\)/);
  assert.match(t.out(), /forgetting eval\(\) reports [\d.]+% lower accuracy/);
});

test('size-sweep, mc and forgot-eval: bad usage exits 2 with their usage, --help exits 0, a failed run exits 1, --save records the kind', async () => {
  const cases: [typeof runMcWith, string, string[]][] = [
    [runSizeSweepWith, 'size-sweep', ['a.yaml', '--fractions', '0,1']],
    [runSizeSweepWith, 'size-sweep', ['a.yaml', '--fractions', '0.5,1.5']],
    [runSizeSweepWith, 'size-sweep', ['a.yaml', '--rates', '0.1']],
    [runSizeSweepWith, 'size-sweep', []],
    [runMcWith, 'mc', ['a.yaml', '--samples', '1']],
    [runMcWith, 'mc', ['a.yaml', '--samples']],
    [runMcWith, 'mc', ['a.yaml', '--passes', '3']],
    [runMcWith, 'mc', ['a.yaml', 'b.yaml']],
    [runForgotEvalWith, 'forgot-eval', ['a.yaml', '--passes', 'x']],
    [runForgotEvalWith, 'forgot-eval', ['a.yaml', '--samples', '5']],
    [runForgotEvalWith, 'forgot-eval', ['a.yaml', '--epochs', '0']],
  ];
  for (const [run, name, args] of cases) {
    const h = harness();
    assert.equal(await run(args, h.io, h.deps), 2, `${name} ${args.join(' ')}`);
    assert.match(h.err(), new RegExp(`Usage: dropout-lens ${name} `));
    const help = harness();
    assert.equal(await run(['--help'], help.io, help.deps), 0);
    assert.match(help.out(), new RegExp(`Usage: dropout-lens ${name} `));
  }
  const missing = harness();
  assert.equal(await runMcWith(['missing.yaml'], missing.io, missing.deps), 1);
  assert.match(missing.err(), /cannot read/);
  const failing = harness({ failAtRate: 0.5 });
  assert.equal(await runForgotEvalWith(['a.yaml', '--json'], failing.io, failing.deps), 1);
  assert.equal(JSON.parse(failing.out()).status, 'failed');
  assert.match(failing.err(), /dropout-lens forgot-eval: failed/);

  const folder = await mkdtemp(join(tmpdir(), 'dl-cli-runs-'));
  try {
    for (const [run, kind] of [
      [runSizeSweepWith, 'dataset-sweep'],
      [runMcWith, 'mc'],
      [runForgotEvalWith, 'forgot-eval'],
    ] as const) {
      const h = harness({}, folder);
      assert.equal(await run(['model.dropout.yaml', '--save', '--epochs', '2'], h.io, h.deps), 0, h.err());
      assert.match(h.out(), /saved: /);
      const file = h.out().match(/saved: (.+)\n/)![1]!;
      const record = JSON.parse(await readFile(file, 'utf8'));
      assert.equal(record.kind, kind);
      assert.equal(record.status, 'completed');
      assert.equal(record.summary.kind, kind);
    }
    assert.equal((await readdir(folder)).length, 3);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

/** The real file system, whose writes of run files fail with ENOSPC from the `from`-th to the `to`-th. */
function fillingDisk(from: number, to = Infinity): RunFileSystem {
  let writes = 0;
  return {
    ...nodeFileSystem,
    writeFile: async (path, text) => {
      if (!path.includes('.probe.')) writes++;
      if (writes >= from && writes <= to)
        throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });
      await nodeFileSystem.writeFile(path, text);
    },
  };
}

test('--save on a disk that fills up mid-run: the failure is reported with path and reason, exit 1, no "saved:"', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-cli-full-'));
  try {
    const h = harness({}, folder);
    h.deps.fileSystem = fillingDisk(3);
    assert.equal(await runCompareWith(['model.dropout.yaml', '--save'], h.io, h.deps), 1);
    assert.doesNotMatch(h.out(), /saved:/);
    const failures = h
      .err()
      .match(/saving the run failed: cannot write .*\.json: no space left on the device \(ENOSPC\)/g);
    assert.equal(failures?.length, 1, `one report per file and reason: ${h.err()}`);
    assert.match(h.err(), /the run was not saved: cannot write .*\.json: no space left on the device \(ENOSPC\)/);
    assert.doesNotMatch(h.err(), /\n\s+at /, 'no stack trace');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('--save: writes that failed mid-run are reported; a final record that reached the disk is saved', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-cli-recovered-'));
  try {
    const h = harness({}, folder);
    h.deps.fileSystem = fillingDisk(3, 4);
    assert.equal(await runCompareWith(['model.dropout.yaml', '--save'], h.io, h.deps), 0);
    assert.match(h.err(), /saving the run failed: .*\(ENOSPC\)/);
    assert.match(h.out(), /saved: .*\.json \(after 2 failed writes, reported above\)/);
    const [file] = await readdir(folder);
    const record = JSON.parse(await readFile(join(folder, file!), 'utf8')) as { status: string; summary?: unknown };
    assert.equal(record.status, 'completed');
    assert.ok(record.summary);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('--save where the folder cannot be created: exit 1 before any training, naming the folder and the reason', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'dl-cli-notdir-'));
  try {
    const blocker = join(parent, 'file');
    await writeFile(blocker, 'not a folder');
    const h = harness({}, join(blocker, 'runs'));
    assert.equal(await runCompareWith(['model.dropout.yaml', '--save'], h.io, h.deps), 1);
    assert.match(
      h.err(),
      /cannot save the run \(--save\): cannot write .*file\/runs: a part of the path is a file, not a folder \(ENOTDIR\)/,
    );
    assert.equal(h.launcher.started.length, 0, 'nothing trained');
    assert.equal(h.out(), '');
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
