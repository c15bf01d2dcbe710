// The CLI as a user runs it: `dropout-lens` through its bin script, in a checkout, on the examples.
// Prints "N passed, M failed"; exits non-zero on any failure or when no test ran.
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { finish, test } from '../lib/checks.mjs';
import { mountTmpfs } from '../lib/tmpfs.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'dropout-lens.js');
const examples = join(root, 'examples');
const cli = (...args) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

await test('--help lists every command and exits 0', () => {
  const r = cli('--help');
  assert.equal(r.status, 0, r.stderr);
  for (const command of ['lint', 'train', 'compare', 'sweep', 'size-sweep', 'mc', 'forgot-eval'])
    assert.match(r.stdout, new RegExp(`\\b${command}\\b`));
});

await test('the benchmarks are no CLI command (they are npm run bench, a development tool)', () => {
  assert.doesNotMatch(cli('--help').stdout, /\bbench\b/);
  const r = cli('bench');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "bench"/);
});

await test('an unknown command is bad usage: exit 2 and the usage on stderr', () => {
  const r = cli('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.match(r.stderr, /Usage: dropout-lens <command>/);
});

await test('a command named like an object property is an unknown command, never a TypeError', () => {
  for (const word of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    const r = cli(word);
    assert.equal(r.status, 2, `${word}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`unknown command "${word}"`));
    assert.match(r.stderr, /Usage: dropout-lens <command>/);
    assert.doesNotMatch(r.stderr, /TypeError|\n\s+at /);
  }
});

await test('unknown options exit 2 with "unknown option --bogus" and the usage, for every command', () => {
  const config = join(examples, 'moons.dropout.yaml');
  const cases = [
    [['--bogus'], /Usage: dropout-lens <command>/],
    [['train', config, '--bogus'], /Usage: dropout-lens train/],
    [['compare', config, '--bogus'], /Usage: dropout-lens compare/],
    [['sweep', config, '--bogus=1'], /Usage: dropout-lens sweep/],
    [['lint', config, '--bogus'], /Usage: dropout-lens lint/],
    [['mc', config, '--__proto__'], /Usage: dropout-lens mc/],
  ];
  for (const [args, usage] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /unknown option --(bogus|__proto__)\b/, args.join(' '));
    assert.match(r.stderr, usage);
    assert.equal(r.stdout, '', 'nothing trained, nothing printed');
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

await test('a bad value says what it should be: "--epochs must be a whole number from 1 to 100000, got -1"', () => {
  const config = join(examples, 'moons.dropout.yaml');
  const cases = [
    [['train', config, '--epochs', '-1'], '--epochs must be a whole number from 1 to 100000, got -1'],
    [['train', config, '--epochs', '2.5'], '--epochs must be a whole number from 1 to 100000, got 2.5'],
    [['train', config, '--epochs'], '--epochs needs a value: a whole number from 1 to 100000'],
    [['compare', config, '--epochs=abc'], '--epochs must be a whole number from 1 to 100000, got abc'],
    [['compare', config, '--parallel', '0'], '--parallel must be a whole number from 1 to 256, got 0'],
    [['mc', config, '--samples', '1'], '--samples must be a whole number from 2 to 1000, got 1'],
    [['sweep', config, '--group', 'output'], '--group must be input, hidden or all, got output'],
    [['sweep', config, '--rates', '0,1'], 'rate 1 is outside [0, 1)'],
    [['lint', config, '--format', 'xml'], '--format must be text, json or sarif, got "xml"'],
    [['train'], 'a CONFIG file is needed'],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(message), `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

await test('a CSV with only a header row "has a header but no data rows"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-csv-'));
  try {
    writeFileSync(join(dir, 'data.csv'), 'x1,x2,label\n');
    writeFileSync(
      join(dir, 'm.dropout.yaml'),
      'name: header only\ndata: { csv: data.csv, label: label }\nmodel:\n  input: 2\n  layers: [{ dense: 4 }, { dense: 2 }]\ntraining: { epochs: 2 }\n',
    );
    const r = cli('train', join(dir, 'm.dropout.yaml'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /has a header but no data rows/);
    assert.doesNotMatch(r.stderr, /no header row/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const hasMkfifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0;

await test(
  'a FIFO named data.csv (or as the config) is refused with a message, it does not hang',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-fifo-'));
    try {
      assert.equal(spawnSync('mkfifo', [join(dir, 'data.csv')]).status, 0);
      assert.equal(spawnSync('mkfifo', [join(dir, 'piped.dropout.yaml')]).status, 0);
      writeFileSync(
        join(dir, 'm.dropout.yaml'),
        'name: fifo\ndata: { csv: data.csv }\nmodel:\n  input: 2\n  layers: [{ dense: 4 }, { dense: 2 }]\ntraining: { epochs: 2 }\n',
      );
      const quick = (...args) =>
        spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
      for (const command of ['train', 'compare']) {
        const r = quick(command, join(dir, 'm.dropout.yaml'));
        assert.equal(r.error?.code, undefined, `${command} hung on the FIFO`);
        assert.equal(r.status, 1, r.stderr);
        assert.match(
          r.stderr,
          /data\.csv: the dataset named in data\.csv is a FIFO \(named pipe\), not a regular file/,
        );
      }
      const config = quick('train', join(dir, 'piped.dropout.yaml'));
      assert.equal(config.status, 1, config.stderr);
      assert.match(config.stderr, /piped\.dropout\.yaml: the config is a FIFO \(named pipe\)/);
      const folder = quick('train', dir);
      assert.equal(folder.status, 1, folder.stderr);
      assert.match(folder.stderr, /the config is a folder, not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { skip: hasMkfifo ? false : 'mkfifo is not available here' },
);

await test('train and the experiments train on a CSV dataset the engine streams from its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-csvpath-'));
  try {
    const rows = Array.from({ length: 400 }, (_, i) => {
      const a = Math.sin(i * 12.9898) % 1;
      const b = Math.cos(i * 78.233) % 1;
      return `${a.toFixed(4)},${b.toFixed(4)},${a * a + b * b < 0.4 ? 'in' : 'out'}`;
    });
    writeFileSync(join(dir, 'data.csv'), `a,b,label\n${rows.join('\n')}\n`);
    writeFileSync(
      join(dir, 'm.dropout.yaml'),
      'name: csv by path\ndata: { csv: data.csv, label: label }\nmodel:\n  input: 2\n  layers: [{ dense: 16, activation: relu }, { dropout: 0.2 }, { dense: 2 }]\ntraining: { epochs: 2 }\n',
    );
    const config = join(dir, 'm.dropout.yaml');
    const train = cli('train', config, '--json');
    assert.equal(train.status, 0, train.stderr);
    const ready = train.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'ready');
    assert.equal(ready.trainSize + ready.validationSize, 400);
    for (const args of [['compare'], ['size-sweep', '--fractions', '0.5,1'], ['forgot-eval', '--passes', '2']]) {
      const r = cli(...args, config, '--json', '--parallel', '1');
      assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).status, 'completed');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

await test("lint --format json finds the examples' mistakes with 1-based positions, and exits 1 on errors", () => {
  const r = cli('lint', examples, '--format', 'json');
  assert.equal(r.status, 1, r.stderr);
  const findings = JSON.parse(r.stdout);
  assert.ok(Array.isArray(findings) && findings.length >= 5, `expected findings, got ${r.stdout.slice(0, 200)}`);
  for (const f of findings) {
    assert.ok(f.line >= 1 && f.column >= 1, JSON.stringify(f));
    assert.equal(typeof f.rule, 'string');
  }
  const rules = new Set(findings.map((f) => f.rule));
  for (const rule of ['missing-eval', 'functional-dropout-no-training-flag', 'dropout-on-output'])
    assert.ok(rules.has(rule), `no ${rule} in examples: ${[...rules]}`);
});

await test('lint --format sarif is SARIF 2.1.0', () => {
  const r = cli('lint', examples, '--format', 'sarif');
  const sarif = JSON.parse(r.stdout);
  assert.equal(sarif.version, '2.1.0');
  assert.ok(sarif.runs[0].results.length > 0);
});

await test('lint of a clean file exits 0 and prints no finding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
  const file = join(dir, 'clean.py');
  writeFileSync(file, 'import torch\n\ndef add(a, b):\n    return a + b\n');
  const r = cli('lint', file);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '');
});

await test('lint reads a notebook as one module and places each finding in its cell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-nb-'));
  const code = (source) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', metadata: {}, source: ['# A notebook\n'] },
      code(['%matplotlib inline\n', 'import torch\n', 'import torch.nn as nn\n']),
      code(['net = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))\n']),
      code(['with torch.no_grad():\n', '    for xb in val_loader:\n', '        print(net(xb))\n']),
    ],
  };
  writeFileSync(join(dir, 'train.ipynb'), JSON.stringify(nb));
  writeFileSync(join(dir, 'broken.ipynb'), '{ "cells": [');
  const json = cli('lint', dir, '--format', 'json');
  const rows = JSON.parse(json.stdout);
  assert.equal(json.status, rows.some((f) => f.severity === 'error') ? 1 : 0, 'an unreadable notebook is no error');
  const miss = rows.find((f) => f.rule === 'missing-eval');
  assert.ok(miss, json.stdout);
  assert.equal(miss.cell, 4);
  assert.equal(miss.line, 3);
  assert.match(miss.file, /train\.ipynb$/);
  assert.match(json.stderr, /broken\.ipynb: not analysed: not valid notebook JSON/);
  const text = cli('lint', join(dir, 'train.ipynb'));
  assert.match(text.stdout, /train\.ipynb:cell 4:3:\d+ missing-eval /);
  assert.match(text.stderr, /1 file analysed; \d+ findings? \(.*missing-eval 1/);
  const sarif = JSON.parse(cli('lint', join(dir, 'train.ipynb'), '--format', 'sarif').stdout);
  const result = sarif.runs[0].results.find((r) => r.ruleId === 'missing-eval');
  assert.equal(result.properties.cell, 4);
  assert.match(result.message.text, /^cell 4: /);
});

await test('train --json streams engine events as JSON lines, ending in done', () => {
  const r = cli('train', join(examples, 'moons.dropout.yaml'), '--json', '--epochs', '3');
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const types = new Set(events.map((e) => e.type));
  for (const type of ['ready', 'epoch', 'done']) assert.ok(types.has(type), `no ${type} event`);
  assert.equal(events.filter((e) => e.type === 'epoch').length, 3);
  assert.equal(events.at(-1).type, 'done');
});

await test('train on an invalid config fails with a precise message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
  const file = join(dir, 'broken.dropout.yaml');
  writeFileSync(file, 'name: broken\nmodel:\n  layers:\n    - dropout: 1.5\n');
  const r = cli('train', file);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /broken\.dropout\.yaml/);
});

// The experiments on the examples built to show them, with few epochs: the directions the articles predict.
const experiment = (...args) => {
  const r = cli(...args, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /100%/, 'progress on stderr');
  return JSON.parse(r.stdout);
};

await test('size-sweep on the overfitting example: dropout helps on a small subset, and helps less on the whole data', () => {
  const result = experiment(
    'size-sweep',
    join(examples, 'overfit.dropout.yaml'),
    '--epochs',
    '30',
    '--fractions',
    '0.25,0.5,1',
    '--seeds',
    '2',
  );
  assert.equal(result.kind, 'dataset-sweep');
  assert.deepEqual(result.seeds, [result.seed, result.seed + 1]);
  for (const p of result.points) assert.equal(p.lossBenefitOverSeeds.values.length, 2);
  const [small, , full] = result.points;
  assert.ok(small.lossBenefit > 0, `benefit on 25% of the data: ${small.lossBenefit}`);
  assert.ok(
    full.lossBenefit < small.lossBenefit,
    `benefit on all of it ${full.lossBenefit} < on 25% ${small.lossBenefit}`,
  );
});

await test('mc on two moons: the Monte Carlo passes disagree (variance > 0) and their mean is about as accurate as eval mode', () => {
  const result = experiment(
    'mc',
    join(examples, 'moons.dropout.yaml'),
    '--epochs',
    '10',
    '--samples',
    '20',
    '--seeds',
    '2',
  );
  assert.equal(result.kind, 'mc');
  assert.equal(result.samples, 20);
  assert.ok(result.meanVariance > 0, `mean variance ${result.meanVariance}`);
  assert.ok(result.perSample.variance.some((v) => v > 0));
  assert.ok(Math.abs(result.accuracyDelta) < 0.15, `MC ${result.mcAccuracy} vs eval ${result.evalAccuracy}`);
});

await test('forgot-eval on the overfitting example: train mode reports a lower accuracy than eval mode, and its predictions vary', () => {
  const result = experiment(
    'forgot-eval',
    join(examples, 'overfit.dropout.yaml'),
    '--epochs',
    '20',
    '--passes',
    '10',
    '--seeds',
    '2',
  );
  assert.equal(result.kind, 'forgot-eval');
  assert.ok(
    result.trainMode.accuracy < result.evalMode.accuracy,
    `train mode ${result.trainMode.accuracy} vs eval mode ${result.evalMode.accuracy}`,
  );
  assert.ok(
    result.passAccuracy.mean < result.evalMode.accuracy,
    `mean single-pass accuracy ${result.passAccuracy.mean}`,
  );
  assert.ok(result.flipRate > 0 && result.passAccuracy.max > result.passAccuracy.min, `flip rate ${result.flipRate}`);
});

await test('sweep --seeds on the overfitting example: each rate on every seed, mean and 95% interval over them, the rates within noise of the best', () => {
  const result = experiment(
    'sweep',
    join(examples, 'overfit.dropout.yaml'),
    '--epochs',
    '15',
    '--rates',
    '0,0.3,0.5',
    '--seeds',
    '3',
  );
  assert.equal(result.kind, 'sweep');
  assert.deepEqual(result.seeds, [result.seed, result.seed + 1, result.seed + 2]);
  assert.equal(result.test, 'paired t-test over seeds on validation loss, 95%');
  for (const run of result.runs) {
    const v = run.overSeeds.valLoss;
    assert.equal(v.values.length, 3, `rate ${run.rate}`);
    assert.ok(new Set(v.values).size > 1, `rate ${run.rate}: the seeds differ (${v.values})`);
    const mean = v.values.reduce((a, b) => a + b, 0) / 3;
    assert.ok(Math.abs(mean - v.mean) < 1e-12 && Math.abs(run.valLoss - v.mean) < 1e-12);
    assert.ok(v.low < v.mean && v.mean < v.high, JSON.stringify(v));
  }
  assert.ok(result.indistinguishableRates.includes(result.bestRate));
  for (const run of result.runs)
    if (run.rate !== result.bestRate)
      assert.equal(result.indistinguishableRates.includes(run.rate), run.vsBest.withinNoise, `rate ${run.rate}`);
  const text = cli(
    'sweep',
    join(examples, 'overfit.dropout.yaml'),
    '--epochs',
    '3',
    '--rates',
    '0,0.5',
    '--seeds',
    '2',
  );
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /2 seeds \(\d+ to \d+\)/);
  assert.match(text.stdout, /\d\.\d{4} ± \d\.\d{4}/);
  assert.match(text.stdout, /within noise|beyond the noise between seeds/);
  const bad = cli('sweep', join(examples, 'overfit.dropout.yaml'), '--seeds', '0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--seeds must be a whole number from 1 to 100, got/);
});

await test('an experiment with a bad option exits 2 with its usage', () => {
  const r = cli('mc', join(examples, 'moons.dropout.yaml'), '--samples', '1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Usage: dropout-lens mc/);
});

// Saving that never lies: --save on a full disk and on a read-only folder (real tmpfs mounts when root on Linux),
// and compare --save SIGKILLed mid-run.
const runIn = (cwd, ...args) =>
  spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
const STACK = /\n\s+at .+:\d+:\d+\)?\n/;
const canMount = (() => {
  const probe = mountTmpfs(16);
  if (typeof probe === 'string') return probe;
  probe.unmount();
  return false;
})();

await test(
  'compare --save on a full disk: exit 1, ENOSPC and the folder named, no "saved:", before any training',
  () => {
    const disk = mountTmpfs(64);
    try {
      try {
        writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(128 * 1024));
      } catch {
        // the disk is full now: what the check wants
      }
      const r = runIn(disk.dir, 'compare', join(examples, 'moons.dropout.yaml'), '--save', '--epochs', '2');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /no space left on the device \(ENOSPC\)/);
      assert.ok(r.stderr.includes(join(disk.dir, '.dropout-lens', 'runs')), r.stderr);
      assert.doesNotMatch(r.stdout, /saved:/);
      assert.doesNotMatch(r.stderr, /100%/, 'refused before the trainings started');
      assert.doesNotMatch(r.stderr, STACK);
    } finally {
      disk.unmount();
    }
  },
  { skip: canMount },
);

await test(
  'compare --save in a read-only folder: exit 1 with EROFS (not ENOENT), no stack trace, no "saved:"',
  () => {
    const disk = mountTmpfs(64, true);
    try {
      const r = runIn(disk.dir, 'compare', join(examples, 'moons.dropout.yaml'), '--save', '--epochs', '2');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /the file system is read-only \(EROFS\)/);
      assert.doesNotMatch(r.stderr, /ENOENT/);
      assert.doesNotMatch(r.stderr, STACK);
      assert.doesNotMatch(r.stdout, /saved:/);
    } finally {
      disk.unmount();
    }
  },
  { skip: canMount },
);

await test('compare --save SIGKILLed mid-save leaves interrupted runs, never running ones, and no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-kill-'));
  try {
    const config = join(dir, 'long.dropout.yaml');
    writeFileSync(
      config,
      [
        'name: killed mid-save',
        'seed: 3',
        'data: { generator: moons, samples: 400, noise: 0.25, validation: 0.3 }',
        'model:',
        '  input: 2',
        '  layers: [{ dense: 32, activation: relu }, { dropout: 0.3 }, { dense: 2 }]',
        'training: { epochs: 100000, batch: 8, optimizer: { sgd: { lr: 0.05 } }, loss: cross-entropy }',
        '',
      ].join('\n'),
    );
    const runs = join(dir, '.dropout-lens', 'runs');
    const epochsOnDisk = () => {
      try {
        return readdirSync(runs)
          .filter((n) => n.endsWith('.json'))
          .map((n) => JSON.parse(readFileSync(join(runs, n), 'utf8')))
          .reduce((sum, r) => sum + (r.members ?? []).reduce((m, x) => m + x.epochs.length, 0), 0);
      } catch {
        return 0; // not there yet, or caught between writes
      }
    };
    for (const [i, extraMs] of [0, 37, 113].entries()) {
      const child = spawn(process.execPath, [bin, 'compare', config, '--save', '--parallel', '1'], {
        cwd: dir,
        stdio: 'ignore',
      });
      const exited = new Promise((resolveExit) => child.on('exit', (code, signal) => resolveExit(signal ?? code)));
      const before = epochsOnDisk();
      const deadline = Date.now() + 60_000;
      while (epochsOnDisk() < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, extraMs));
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL', `run ${i} ended on its own`);
    }
    // The store as every reader sees it (the sidebar, the CLI): listed from the sources, through tsx.
    const list = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `require(${JSON.stringify(join(root, 'src', 'runs', 'index.ts'))}).RunStore.prototype.list.call(new (require(${JSON.stringify(join(root, 'src', 'runs', 'index.ts'))}).RunStore)(${JSON.stringify(runs)})).then((l) => process.stdout.write(JSON.stringify(l)))`,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(list.status, 0, list.stderr);
    const listed = JSON.parse(list.stdout);
    assert.deepEqual(listed.problems, [], 'every killed run is a readable record');
    assert.equal(listed.runs.length, 3);
    assert.deepEqual(
      listed.runs.map((r) => r.status),
      ['interrupted', 'interrupted', 'interrupted'],
    );
    assert.ok(listed.runs.every((r) => r.epochCount >= 2));
    assert.deepEqual(
      readdirSync(runs).filter((n) => !n.endsWith('.json')),
      [],
      'listing removed the temp files the killed writers left',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The runtime probe on the user's own PyTorch scripts (examples/pytorch/probe), with Debian's torch.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const probeExamples = join(examples, 'pytorch', 'probe');
const probe = (script, ...args) => {
  const out = mkdtempSync(join(tmpdir(), 'dl-cli-probe-'));
  const r = cli('probe', '--out', out, '--json', '--', python, join(probeExamples, script), ...args);
  let result;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    assert.fail(`probe ${script}: no JSON (exit ${r.status}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(-600)}`);
  }
  return { r, result, out };
};
const lineOf = (file, line) => readFileSync(file, 'utf8').split('\n')[line - 1];

await test('probe --json on a correct training: its layers, realized rates near p, train and eval calls, no finding', () => {
  const { r, result, out } = probe('train_clean.py', '--epochs', '2');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(result.exitCode, 0);
  assert.equal(result.ranks, 1);
  assert.match(result.stdout, /epoch 1 validation accuracy/);
  assert.deepEqual(
    result.modules.map((m) => [m.name, m.kind, m.p, m.rank]),
    [
      ['net.3', 'Dropout', 0.3, 0],
      ['net.5', 'Dropout', 0.3, 0],
    ],
  );
  for (const m of result.modules) {
    assert.ok(Math.abs(m.realizedDrop - 0.3) < 0.05, `${m.name} realized ${m.realizedDrop}`);
    assert.equal(m.trainCalls, 32);
    assert.equal(m.evalCalls, 2);
  }
  assert.deepEqual(result.findings, []);
  assert.ok(result.run.startsWith(out) && existsSync(join(result.run, 'rank-0.ndjson')), result.run);
  const record = JSON.parse(readFileSync(join(result.run, 'run.json'), 'utf8'));
  assert.equal(record.kind, 'probe');
  assert.equal(record.status, 'completed');
});

for (const [script, rule, text] of [
  ['missing_eval.py', 'missing-eval', 'accuracy = (model(xv)'],
  ['missing_train_after_eval.py', 'missing-train-after-eval', 'optimizer.step()'],
  ['functional_no_training_flag.py', 'functional-dropout-no-training-flag', 'F.dropout(h, p=0.5)'],
  ['dropout_never_active.py', 'dropout-never-active', 'F.dropout(h, p=self.p, training=train)'],
])
  await test(`probe --json on ${script}: ${rule} observed at run time at its line`, () => {
    const { r, result } = probe(script);
    assert.equal(result.exitCode, 0, r.stderr);
    assert.deepEqual(
      result.findings.map((f) => f.rule),
      [rule],
    );
    const [finding] = result.findings;
    assert.ok(lineOf(finding.file, finding.line).includes(text), lineOf(finding.file, finding.line));
    assert.match(finding.message, /^observed at run time/);
    assert.equal(finding.rank, 0);
    const errorRule = rule === 'missing-eval' || rule === 'functional-dropout-no-training-flag';
    assert.equal(r.status, errorRule ? 1 : 0, 'exit 1 on an error-severity finding');
  });

await test('probe on DDP (two gloo ranks over 127.0.0.1): both ranks recorded, the shared seed flagged', () => {
  const same = probe('ddp_same_seed.py');
  assert.equal(same.result.exitCode, 0, same.r.stderr);
  assert.equal(same.result.ranks, 2);
  assert.deepEqual(same.result.modules.map((m) => m.rank).sort(), [0, 1]);
  assert.deepEqual(
    same.result.findings.map((f) => f.rule),
    ['identical-masks-across-ranks'],
  );
  const seeded = probe('ddp_same_seed.py', '--seed-per-rank');
  assert.equal(seeded.result.ranks, 2);
  assert.deepEqual(seeded.result.findings, []);
});

await test('probe -- LAUNCHER (a #!python script that starts the ranks, as torchrun does): every rank recorded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-probe-launcher-'));
  const launcher = join(dir, 'fakerun');
  writeFileSync(
    launcher,
    [
      `#!${python}`,
      'import os, socket, subprocess, sys',
      'with socket.socket() as s:',
      '    s.bind(("127.0.0.1", 0))',
      '    port = s.getsockname()[1]',
      'env = {**os.environ, "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}',
      'procs = [subprocess.Popen([sys.executable, *sys.argv[1:]], env={**env, "RANK": str(r), "LOCAL_RANK": str(r)}) for r in range(2)]',
      'sys.exit(max(p.wait() for p in procs))',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const r = cli('probe', '--out', join(dir, 'runs'), '--json', '--', launcher, join(probeExamples, 'ddp_same_seed.py'));
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.ranks, 2);
  assert.deepEqual(
    result.findings.map((f) => f.rule),
    ['identical-masks-across-ranks'],
  );
});

await test('probe without --json: the script output, then a table of layers and the findings', () => {
  const out = mkdtempSync(join(tmpdir(), 'dl-cli-probe-'));
  const r = cli('probe', '--out', out, '--', python, join(probeExamples, 'missing_eval.py'));
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /epoch 1 validation accuracy[\s\S]*dropout-lens probe: completed/);
  assert.match(r.stdout, /layer\s+kind\s+p\s+realized/);
  assert.match(r.stdout, /missing_eval\.py:20 missing-eval \(rank 0\): observed at run time/);
});

await test('probe: a failing script leaves a failed run with its traceback, a killed one its records; a missing interpreter is a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-cli-probe-'));
  const script = join(dir, 'boom.py');
  writeFileSync(script, 'import torch\nraise RuntimeError("loss is nan")\n');
  const r = cli('probe', '--out', join(dir, 'runs'), '--json', '--', python, script);
  assert.equal(r.status, 1);
  const result = JSON.parse(r.stdout);
  assert.equal(result.exitCode, 1);
  assert.equal(result.status, 'failed');
  assert.match(r.stderr, /RuntimeError: loss is nan/);
  const record = JSON.parse(readFileSync(join(result.run, 'run.json'), 'utf8'));
  assert.match(record.message, /RuntimeError: loss is nan/);
  const killed = join(dir, 'killed.py');
  writeFileSync(
    killed,
    [
      'import os, signal, torch, torch.nn as nn',
      'model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1))',
      'opt = torch.optim.SGD(model.parameters(), lr=0.1)',
      'for _ in range(10):',
      '    opt.zero_grad(); model(torch.randn(8, 4)).sum().backward(); opt.step()',
      'os.kill(os.getpid(), signal.SIGKILL)',
      '',
    ].join('\n'),
  );
  const k = cli('probe', '--out', join(dir, 'runs'), '--json', '--', python, killed);
  assert.equal(k.status, 1);
  const kr = JSON.parse(k.stdout);
  assert.equal(kr.exitCode, 137);
  assert.equal(kr.status, 'failed');
  assert.deepEqual(
    kr.modules.map((m) => m.name),
    ['1'],
    'the records up to the kill are kept',
  );
  assert.match(JSON.parse(readFileSync(join(kr.run, 'run.json'), 'utf8')).message, /killed \(SIGKILL\)/);
  const missing = cli('probe', '--', join(dir, 'no-such-python'), script);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot run .*no-such-python/);
  const usage = cli('probe', '--json');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /Usage: dropout-lens probe/);
});

// What ships: the bin and the bundles, copied to a folder with no node_modules above it, NODE_PATH empty. The
// CLI must run from the bundle alone (no TypeScript, no tsx, no dependency), workers included.
await test('the built CLI runs without tsx or node_modules: lint, train and an experiment in worker threads', () => {
  const bundle = join(root, 'dist', 'cli.js');
  assert.ok(existsSync(bundle), 'dist/cli.js is not built: run npm run build first');
  const alone = mkdtempSync(join(tmpdir(), 'dl-cli-alone-'));
  mkdirSync(join(alone, 'bin'));
  mkdirSync(join(alone, 'dist'));
  copyFileSync(bin, join(alone, 'bin', 'dropout-lens.js'));
  copyFileSync(join(root, 'package.json'), join(alone, 'package.json'));
  for (const file of ['cli.js', 'worker.js', 'analysisWorker.js'])
    copyFileSync(join(root, 'dist', file), join(alone, 'dist', file));
  for (const file of ['moons.dropout.yaml', 'overfit.dropout.yaml'])
    copyFileSync(join(examples, file), join(alone, file));
  const env = { ...process.env, NODE_PATH: '', NODE_OPTIONS: '' };
  delete env.DROPOUT_LENS_FROM_SOURCE;
  const run = (args, extra = {}) =>
    spawnSync(process.execPath, [join(alone, 'bin', 'dropout-lens.js'), ...args], {
      cwd: alone,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...env, ...extra },
    });
  // Proof that nothing reachable from there could run the sources: the launcher says tsx is missing.
  const sources = run(['--help'], { DROPOUT_LENS_FROM_SOURCE: '1' });
  assert.equal(sources.status, 1);
  assert.match(sources.stderr, /tsx \(a development dependency\) is not installed/);
  const lint = run(['lint', 'moons.dropout.yaml']);
  assert.equal(lint.status, 0, lint.stderr);
  const train = run(['train', 'moons.dropout.yaml', '--json', '--epochs', '2']);
  assert.equal(train.status, 0, train.stderr);
  assert.equal(JSON.parse(train.stdout.trim().split('\n').at(-1)).type, 'done');
  const compare = run(['compare', 'overfit.dropout.yaml', '--json', '--epochs', '2']);
  assert.equal(compare.status, 0, compare.stderr);
  assert.equal(JSON.parse(compare.stdout).kind, 'compare');
});

await import('./lint.mjs');

finish();
