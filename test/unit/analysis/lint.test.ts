import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLint } from '../../../src/cli/lint';

async function lint(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runLint(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const EX = join(__dirname, '../../../examples');

test('lint: text format, exit 1 on error findings', async () => {
  const r = await lint(join(EX, 'pytorch', 'train_missing_eval.py'));
  assert.equal(r.code, 1);
  assert.match(r.out, /train_missing_eval\.py:36:29 missing-eval /);
});

test('lint: json format has 1-based positions and every example rule', async () => {
  const r = await lint(EX, '--format', 'json');
  assert.equal(r.code, 1);
  const rows = JSON.parse(r.out) as {
    file: string;
    line: number;
    column: number;
    endLine: number;
    endColumn: number;
    rule: string;
    severity: string;
    message: string;
  }[];
  const rules = new Set(rows.map((x) => x.rule));
  for (const rule of [
    'missing-eval',
    'missing-train-after-eval',
    'functional-dropout-no-training-flag',
    'dropout-on-output',
    'dropout-rate-out-of-range',
    'keep-prob-confusion',
    'high-input-dropout',
    'dropout-before-batchnorm',
    'training-true-at-inference',
    'tf1-keep-prob-api',
    'pretrained-never-trained-mode',
    'invalid-config',
  ]) {
    assert.ok(rules.has(rule), `examples lack ${rule}`);
  }
  for (const x of rows) {
    // A notebook's findings also name their cell, between the file and the cell-relative line.
    const cell = x.file.endsWith('.ipynb') ? ['cell'] : [];
    const related = 'related' in x ? ['related'] : [];
    assert.deepEqual(Object.keys(x), [
      'file',
      ...cell,
      'line',
      'column',
      'endLine',
      'endColumn',
      'rule',
      'severity',
      'message',
      ...related,
    ]);
    assert.ok(x.line >= 1 && x.column >= 1 && x.endLine >= x.line);
  }
  assert.ok(!rows.some((x) => x.file.includes('/data/')));
});

test('lint: sarif 2.1.0', async () => {
  const r = await lint(join(EX, 'keras'), '--format=sarif');
  const s = JSON.parse(r.out);
  assert.equal(s.version, '2.1.0');
  assert.ok(s.runs[0].tool.driver.rules.length >= 11);
  assert.ok(s.runs[0].results.length > 0);
  assert.equal(r.code, 0, 'keras examples only warn');
  const res = s.runs[0].results[0];
  assert.ok(res.ruleId && res.locations[0].physicalLocation.region.startLine >= 1);
  // Paths relative to the working directory, and help links that resolve (the README shipped with the CLI).
  const artifact = res.locations[0].physicalLocation.artifactLocation;
  assert.equal(artifact.uriBaseId, '%SRCROOT%');
  assert.ok(!artifact.uri.startsWith('/') && !artifact.uri.includes('..'), artifact.uri);
  const help = new URL(s.runs[0].tool.driver.rules[0].helpUri);
  assert.equal(help.protocol, 'file:');
  assert.ok(existsSync(fileURLToPath(help)), help.href);
  assert.ok(readFileSync(fileURLToPath(help), 'utf8').includes(`### \`${help.hash.slice(1)}\``));
});

test('lint: a finding at a helper call points into the helper (text "see" line, JSON related, SARIF relatedLocations)', async () => {
  const file = join(__dirname, '../../fixtures/analysis/pt_missing_eval_at_helper_call.py');
  const text = await lint(file);
  assert.match(text.out, /:25:11 missing-eval model is in train mode when evaluate\(\) is called here/);
  assert.match(text.out, /\n {2}see .*pt_missing_eval_at_helper_call\.py:9:25 evaluate\(\) runs net here/);
  const [row] = JSON.parse((await lint(file, '--format', 'json')).out) as { related?: { line: number }[] }[];
  assert.deepEqual(
    row?.related?.map((r) => r.line),
    [9],
  );
  const sarif = JSON.parse((await lint(file, '--format', 'sarif')).out);
  const related = sarif.runs[0].results[0].relatedLocations;
  assert.equal(related[0].physicalLocation.region.startLine, 9);
  assert.match(related[0].message.text, /evaluate\(\) runs net here/);
});

test('lint: clean files print nothing and exit 0; skipped folders; bad usage exits 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-lint-'));
  writeFileSync(join(dir, 'clean.py'), 'import torch\n\ndef add(a, b):\n    return a + b\n');
  writeFileSync(join(dir, 'package.json'), '{"name": "x"}\n');
  for (const skip of ['node_modules', '.git', '.dropout-lens']) {
    mkdirSync(join(dir, skip));
    writeFileSync(join(dir, skip, 'bad.py'), 'import torch.nn as nn\nd = nn.Dropout(1.5)\n');
  }
  const r = await lint(dir);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out, '');
  assert.equal((await lint()).code, 2);
  assert.equal((await lint(dir, '--format', 'xml')).code, 2);
  assert.equal((await lint(dir, '--frobnicate')).code, 2);
  assert.equal((await lint(join(dir, 'missing.py'))).code, 2);
  assert.equal((await lint('--help')).code, 0);
});
