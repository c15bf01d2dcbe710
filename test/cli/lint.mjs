// `dropout-lens lint` on what real folders hold: test folders left out, byte-order marks, every line end,
// huge files, Python names that are also JavaScript's, and files it cannot read: each gets an answer.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { test } from '../lib/checks.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'dropout-lens.js');
const lint = (cwd, ...args) =>
  spawnSync(process.execPath, [bin, 'lint', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
const missingEval = readFileSync(join(root, 'test', 'fixtures', 'analysis', 'pt_missing_eval_valloop.py'), 'utf8');
const expectedLine = missingEval.split('\n').findIndex((l) => l.includes('# expect: missing-eval')) + 1;

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'dl-lint-'));
  for (const sub of ['src', 'tests', join('pkg', 'tests')]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'src', 'train.py'), missingEval);
  writeFileSync(join(dir, 'tests', 'test_train.py'), missingEval);
  writeFileSync(join(dir, 'pkg', 'tests', 'test_more.py'), missingEval);
  return dir;
}

await test('lint closes with what it covered, on a clean file too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-lint-'));
  writeFileSync(join(dir, 'clean.py'), 'import torch\n\ndef add(a, b):\n    return a + b\n');
  const r = lint(dir, 'clean.py');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^\n?1 file analysed; 0 findings\n$/);
});

await test('lint --exclude leaves test folders out at any depth, and the summary counts them', () => {
  const dir = project();
  const all = lint(dir, '.');
  assert.match(all.stderr, /3 files analysed; 3 findings \(missing-eval 3\)/);
  const r = lint(dir, '.', '--exclude', 'tests');
  assert.deepEqual(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(':')[0]),
    ['src/train.py'],
  );
  assert.match(r.stderr, /1 file analysed, 2 excluded; 1 finding/);
  const glob = lint(dir, '.', '--exclude=pkg/**');
  assert.match(glob.stderr, /2 files analysed, 1 excluded/);
  const bad = lint(dir, '.', '--exclude');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--exclude needs a glob pattern/);
});

await test('lint reads files with a byte-order mark, and with \\r\\n or \\r line ends, at the lines editors show', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-lint-'));
  writeFileSync(join(dir, 'bom.py'), '\ufeff' + missingEval);
  writeFileSync(join(dir, 'crlf.py'), missingEval.replace(/\n/g, '\r\n'));
  writeFileSync(join(dir, 'cr.py'), missingEval.replace(/\n/g, '\r'));
  const r = lint(dir, '--format', 'json', 'bom.py', 'crlf.py', 'cr.py');
  const found = JSON.parse(r.stdout).map((f) => `${f.file}:${f.line}:${f.rule}`);
  assert.deepEqual(found.sort(), [
    `bom.py:${expectedLine}:missing-eval`,
    `cr.py:${expectedLine}:missing-eval`,
    `crlf.py:${expectedLine}:missing-eval`,
  ]);
});

await test('lint says a file over 5 MB was not analysed, rather than calling it clean', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-lint-'));
  writeFileSync(join(dir, 'big.py'), missingEval + '# padding\n'.repeat(600_000));
  const r = lint(dir, 'big.py');
  assert.match(r.stdout, /big\.py:1:1 parse-error This file is 6\.\d MB: Dropout Lens analyses files up to 5 MB/);
  assert.match(r.stderr, /1 file analysed, 1 not parsed/);
});

await test("Python names that are also JavaScript's (constructor, toString, __proto__) are analysed like any other", () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-lint-'));
  const text =
    'import torch\nfrom torch import nn\n\nconstructor = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))\n' +
    'toString = constructor\n__proto__ = toString.hasOwnProperty\n\ndef valueOf(loader):\n' +
    '    for xb in val_loader:\n        constructor(xb)  # the model, in train mode\n';
  writeFileSync(join(dir, 'names.py'), text);
  const r = lint(dir, '--format', 'json', 'names.py');
  assert.equal(r.stderr, '');
  assert.deepEqual(
    JSON.parse(r.stdout).map((f) => `${f.line}:${f.rule}`),
    ['10:missing-eval'],
  );
});

await test('lint names a file it was given but cannot analyse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-lint-'));
  writeFileSync(join(dir, 'notes.txt'), 'model.eval()\n');
  const r = lint(dir, 'notes.txt');
  assert.equal(r.status, 0);
  assert.match(r.stderr, /notes\.txt: not analysed: Dropout Lens reads Python \(\.py\), notebooks/);
});
