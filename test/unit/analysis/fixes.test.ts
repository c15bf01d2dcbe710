/** Quick fixes: apply every fix of every finding in the corpus and examples, re-analyse, the finding is gone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument, isAnalyzable } from '../../../src/analysis';
import type { Finding, TextEdit } from '../../../src/protocol/findings';
import { LineMap } from '../../../src/analysis/text';

export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = new LineMap(text);
  const sorted = edits
    .map((e) => ({ from: lines.offset(e.range.start), to: lines.offset(e.range.end), text: e.newText }))
    .sort((a, b) => b.from - a.from);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const ROOT = join(__dirname, '../../..');
const files = [...walk(join(ROOT, 'test/fixtures/analysis')), ...walk(join(ROOT, 'examples'))].filter(
  (f) => isAnalyzable(f) && !f.includes('/data/'),
);

function count(findings: Finding[], rule: string): number {
  return findings.filter((f) => f.rule === rule).length;
}

test('quick fixes: applying a fix removes its finding and introduces no parse error', () => {
  let applied = 0;
  const rulesFixed = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const findings = analyzeDocument(text, file);
    for (const f of findings) {
      for (const fix of f.fixes) {
        const fixed = applyEdits(text, fix.edits);
        const after = analyzeDocument(fixed, file);
        assert.ok(
          count(after, f.rule) < count(findings, f.rule),
          `${file}: "${fix.title}" did not remove ${f.rule}\n${fixed}`,
        );
        assert.equal(count(after, 'parse-error'), 0, `${file}: "${fix.title}" broke the syntax\n${fixed}`);
        assert.equal(count(after, 'invalid-config'), 0, `${file}: "${fix.title}" broke the config\n${fixed}`);
        applied++;
        rulesFixed.add(f.rule);
      }
    }
  }
  console.log(`quick fixes applied: ${applied}; rules: ${[...rulesFixed].sort().join(', ')}`);
  for (const rule of [
    'missing-eval',
    'missing-train-after-eval',
    'functional-dropout-no-training-flag',
    'dropout-on-output',
    'keep-prob-confusion',
    'training-true-at-inference',
    'tf1-keep-prob-api',
    'pretrained-never-trained-mode',
  ]) {
    assert.ok(rulesFixed.has(rule), `no fix exercised for ${rule}`);
  }
});

test('quick fixes: exact text of the main fixes', () => {
  const src =
    'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.fc(F.dropout(x, 0.1))\n\n\nmodel = N()\nwith torch.no_grad():\n    y = model(torch.zeros(1, 2))\n';
  const findings = analyzeDocument(src, 'n.py');
  const flag = findings.find((f) => f.rule === 'functional-dropout-no-training-flag')!;
  assert.match(applyEdits(src, flag.fixes[0]!.edits), /F\.dropout\(x, 0\.1, training=self\.training\)/);
  const ev = findings.find((f) => f.rule === 'missing-eval')!;
  assert.match(applyEdits(src, ev.fixes[0]!.edits), /model = N\(\)\nmodel\.eval\(\)\nwith torch\.no_grad\(\):/);
  const kp = analyzeDocument('import torch.nn as nn\nd = nn.Dropout(0.9)\n', 'k.py')[0]!;
  assert.equal(kp.rule, 'keep-prob-confusion');
  assert.equal(
    applyEdits('import torch.nn as nn\nd = nn.Dropout(0.9)\n', kp.fixes[0]!.edits),
    'import torch.nn as nn\nd = nn.Dropout(0.1)\n',
  );
});

test('rules and severities options', () => {
  const src = 'import torch.nn as nn\nd = nn.Dropout(0.9)\ne = nn.Dropout(1.5)\n';
  assert.equal(analyzeDocument(src, 'k.py').length, 2);
  assert.equal(analyzeDocument(src, 'k.py', { rules: { 'keep-prob-confusion': false } }).length, 1);
  assert.equal(analyzeDocument(src, 'k.py', { severities: { 'keep-prob-confusion': 'hint' } })[0]?.severity, 'hint');
});

test('suppressions: line, line above, file-level', () => {
  const base = 'import torch.nn as nn\n';
  assert.equal(
    analyzeDocument(base + 'd = nn.Dropout(0.9)  # dropout-lens: ignore[keep-prob-confusion]\n', 'k.py').length,
    0,
  );
  assert.equal(analyzeDocument(base + 'd = nn.Dropout(0.9)  # dropout-lens: ignore[missing-eval]\n', 'k.py').length, 1);
  assert.equal(analyzeDocument(base + '# dropout-lens: ignore\nd = nn.Dropout(0.9)\n', 'k.py').length, 0);
  assert.equal(
    analyzeDocument(
      '# dropout-lens: ignore-file[keep-prob-confusion]\n' + base + 'd = nn.Dropout(0.9)\ne = nn.Dropout(1.5)\n',
      'k.py',
    ).length,
    1,
  );
  assert.equal(
    analyzeDocument(
      'data: { generator: moons }\nmodel:\n  layers:\n    - dense: 4\n    - dropout: 0.9  # dropout-lens: ignore[keep-prob-confusion]\n    - dense: 2\n',
      'c.dropout.yaml',
    ).length,
    0,
  );
});

test('isAnalyzable', () => {
  assert.ok(isAnalyzable('a/b.py'));
  assert.ok(isAnalyzable('x.dropout.yaml') && isAnalyzable('x.dropout.yml') && isAnalyzable('x.dropout.json'));
  assert.ok(!isAnalyzable('x.yaml') && !isAnalyzable('x.ts'));
  assert.ok(isAnalyzable('model.json', '{"class_name": "Sequential", "config": {"layers": []}}'));
  assert.ok(!isAnalyzable('package.json', '{"name": "x"}'));
});

test('suppression quick fix: a comment alone above the line, with its indent; an existing one takes the rule; never splits a continued line', () => {
  const ignore = (text: string, file: string, rule: string) => {
    const f = analyzeDocument(text, file).find((x) => x.rule === rule)!;
    const fix = f.fixes.find((x) => x.title === `Ignore ${rule} on this line`);
    return fix && applyEdits(text, fix.edits);
  };
  const base = 'import torch.nn as nn\n';
  assert.equal(
    ignore(base + 'if True:\n    d = nn.Dropout(0.9)\n', 'k.py', 'keep-prob-confusion'),
    base + 'if True:\n    # dropout-lens: ignore[keep-prob-confusion]\n    d = nn.Dropout(0.9)\n',
  );
  assert.equal(
    ignore(base + '# dropout-lens: ignore[missing-eval]\nd = nn.Dropout(0.9)\n', 'k.py', 'keep-prob-confusion'),
    base + '# dropout-lens: ignore[missing-eval, keep-prob-confusion]\nd = nn.Dropout(0.9)\n',
  );
  assert.equal(
    ignore(base.replace('\n', '\r\n') + 'd = nn.Dropout(0.9)\r\n', 'k.py', 'keep-prob-confusion'),
    'import torch.nn as nn\r\n# dropout-lens: ignore[keep-prob-confusion]\r\nd = nn.Dropout(0.9)\r\n',
  );
  assert.equal(ignore(base + 'd = 1 + \\\n    nn.Dropout(0.9)\n', 'k.py', 'keep-prob-confusion'), undefined);
  const config = 'data: { generator: moons }\nmodel:\n  layers:\n    - dense: 4\n    - dropout: 0.9\n    - dense: 2\n';
  assert.equal(
    ignore(config, 'c.dropout.yaml', 'keep-prob-confusion'),
    config.replace('    - dropout: 0.9', '    # dropout-lens: ignore[keep-prob-confusion]\n    - dropout: 0.9'),
  );
  assert.deepEqual(
    analyzeDocument(
      '{"data": {"generator": "moons"}, "model": {"layers": [{"dense": 4}, {"dropout": 0.9}, {"dense": 2}]}}',
      'c.dropout.json',
    ).flatMap((f) => f.fixes.filter((x) => x.title.startsWith('Ignore '))),
    [],
    'JSON has no comments',
  );
});

test('quick fixes: the ignored recurrent dropout= is removed with its comma, wherever it sits', () => {
  const fixOf = (src: string) => {
    const f = analyzeDocument(src, 'r.py').find((x) => x.rule === 'rnn-dropout-single-layer');
    assert.ok(f, src);
    return applyEdits(src, f.fixes[0]!.edits);
  };
  assert.equal(
    fixOf('import torch.nn as nn\nm = nn.LSTM(8, 8, dropout=0.3, batch_first=True)\n'),
    'import torch.nn as nn\nm = nn.LSTM(8, 8, batch_first=True)\n',
  );
  assert.equal(
    fixOf('import torch.nn as nn\nm = nn.GRU(\n    8,\n    8,\n    dropout=0.3,\n)\n'),
    'import torch.nn as nn\nm = nn.GRU(\n    8,\n    8,\n)\n',
  );
  assert.equal(
    fixOf('import torch.nn as nn\nm = nn.RNN(dropout=0.3, input_size=8, hidden_size=8)\n'),
    'import torch.nn as nn\nm = nn.RNN(input_size=8, hidden_size=8)\n',
  );
});

test('quick fixes: tf.layers.dropout gets a training= argument before its closing parenthesis', () => {
  const src = 'import tensorflow as tf\nh = tf.layers.dropout(x, rate=0.5)\ng = tf.layers.dropout(\n    x,\n)\n';
  const fixes = analyzeDocument(src, 't.py').filter((x) => x.rule === 'tf1-dropout-no-training');
  assert.equal(fixes.length, 2);
  assert.equal(
    applyEdits(src, fixes[0]!.fixes[0]!.edits),
    'import tensorflow as tf\nh = tf.layers.dropout(x, rate=0.5, training=is_training)\ng = tf.layers.dropout(\n    x,\n)\n',
  );
  assert.match(applyEdits(src, fixes[1]!.fixes[0]!.edits), /\n {4}x, training=is_training,\n\)\n$/);
});

test('quick fixes: MC dropout on a CNN switches on its Dropout2d too (nn.Dropout2d is no subclass of nn.Dropout)', () => {
  const file = join(ROOT, 'test/fixtures/analysis/pt_mc_bn_cnn_dropout2d.py');
  const src = readFileSync(file, 'utf8');
  const finding = analyzeDocument(src, file).find((f) => f.rule === 'mc-dropout-flips-batchnorm')!;
  assert.ok(finding, 'the CNN with BatchNorm2d and Dropout2d is flagged');
  assert.match(
    applyEdits(src, finding.fixes[0]!.edits),
    / {4}net\.eval\(\)\n {4}for m in net\.modules\(\):\n {8}if isinstance\(m, \(nn\.Dropout, nn\.Dropout2d\)\):\n {12}m\.train\(\)/,
  );
});
