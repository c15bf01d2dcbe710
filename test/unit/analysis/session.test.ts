/**
 * Incremental analysis (DocumentAnalyzer): after random edits (characters, or whole lines that change
 * imports, models, helpers and names), findings and syntax trees equal a cold analysis of the same text, a
 * reparse after a small edit takes over the previous tree's subtrees, and the rule passes reuse the
 * results of the unchanged definitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '../../../src/analysis/python/grammar/parser';
import { analyzeDocument, DocumentAnalyzer, type DocumentEdit } from '../../../src/analysis';
import { generatePython } from '../../../bench/analysis/index';
import { SeededRandom } from '../../../src/engine/random';

const DIR = join(__dirname, '../../fixtures/analysis');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.py'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(DIR, f), 'utf8') }));

/** Random-edit seeds per test: a dozen keeps `npm run test:unit` quick; DROPOUT_LENS_EDIT_SEEDS=200 digs deeper. */
const SEEDS = Number(process.env.DROPOUT_LENS_EDIT_SEEDS ?? 12);

function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.uniform();
}

const SNIPPETS = [
  'model.eval()\n',
  '    ',
  '\n',
  'x',
  ')',
  '(',
  ':',
  'nn.Dropout(0.9)',
  'F.dropout(x)',
  '# mc dropout\n',
  'for xb in val_loader:\n    model(xb)\n',
  'with torch.no_grad():\n',
  '"""',
  "'",
  'def f(model):\n',
  '.train()',
  'training=True',
  '\t',
];

/** A random edit of `text`: insert, delete or replace a short range, often at a line start. */
function randomEdit(text: string, r: () => number): DocumentEdit {
  let at = Math.floor(r() * (text.length + 1));
  if (r() < 0.5) at = text.lastIndexOf('\n', at - 1) + 1;
  const kind = r();
  const rangeLength = kind < 0.4 ? 0 : Math.min(text.length - at, Math.floor(r() * 40));
  const insert = kind < 0.8 ? (SNIPPETS[Math.floor(r() * SNIPPETS.length)] ?? '') : '';
  return { rangeOffset: at, rangeLength, text: insert };
}

function apply(text: string, e: DocumentEdit): string {
  return text.slice(0, e.rangeOffset) + e.text + text.slice(e.rangeOffset + e.rangeLength);
}

test('incremental analysis equals a cold analysis after random edits (many seeds, every Python fixture)', () => {
  let incrementalParses = 0;
  let kept = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const fx = fixtures[seed % fixtures.length]!;
    let text = fx.text;
    const analyzer = new DocumentAnalyzer(fx.name);
    analyzer.analyze(text);
    for (let step = 0; step < 12; step++) {
      // One or several edits per change event, sometimes two events before the (debounced) analysis.
      const events = r() < 0.3 ? 2 : 1;
      for (let ev = 0; ev < events; ev++) {
        const n = r() < 0.25 ? 3 : 1;
        const changes: DocumentEdit[] = [];
        for (let k = 0; k < n; k++) {
          const e = randomEdit(text, r);
          changes.push(e);
          text = apply(text, e);
        }
        analyzer.edit(changes);
      }
      const got = analyzer.analyze(text);
      // Incremental, unless that tree had a syntax error and was parsed again from scratch.
      assert.ok(
        analyzer.lastParse?.incremental || analyzer.lastParse?.reparsed,
        `${fx.name} seed ${seed} step ${step}: incremental parse`,
      );
      incrementalParses++;
      if (analyzer.lastParse?.incremental) kept++;
      assert.equal(
        analyzer.lastTree!.toString(),
        parser.parse(text).toString(),
        `${fx.name} seed ${seed} step ${step}: tree`,
      );
      assert.deepEqual(got, analyzeDocument(text, fx.name), `${fx.name} seed ${seed} step ${step}: findings`);
    }
  }
  assert.ok(incrementalParses >= 10 * SEEDS, `${incrementalParses} incremental parses`);
  // Most random character edits leave a syntax error; the few that parse keep the incremental tree.
  assert.ok(kept >= Math.max(1, Math.floor(SEEDS / 8)), `${kept} incremental trees kept`);
});

// Whole lines that change what the analysis knows across definitions: imports, model classes and
// variables, helpers that switch modes, training steps, inference loops, comments with MC intent.
const LINES = [
  'model.eval()',
  'model.train()',
  'net.eval()',
  'edited = 1',
  'x = F.dropout(x, 0.9)',
  'x = F.dropout(x, 0.2, training=True)',
  'self.extra = nn.Dropout(0.95)',
  'self.block = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))',
  'for xb in val_loader: model(xb)',
  'with torch.no_grad(): model(xb)',
  'optimizer.step()',
  'loss.backward()',
  'evaluate_1(model, val_loader)',
  'evaluate_0(model=model, loader=val_loader)',
  'helper_eval(model)',
  'helper_train(model)',
  'model = Net1()',
  'model = Net0().to(device)',
  'model = AutoModel.from_pretrained("bert")',
  'model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())',
  'opt = torch.optim.Adam(model.parameters())',
  'trainer = Trainer(model=model)',
  '# mc dropout sampling',
  'return model',
  'pass',
  'import torch.nn as nn',
  'y = tf.nn.dropout(x, keep_prob=0.5)',
];
const BLOCKS = [
  'import torch\n',
  'import torch.nn as nn\n',
  'import torch.nn as tnn\n',
  'from torch import nn\n',
  'import tensorflow as tf\n',
  'from tensorflow import keras\n',
  'import torch.nn.functional as F\n',
  'from mylib import nn\n',
  'import keras.layers as nn\n',
  'class Inner(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n',
  'def helper_eval(model):\n    model.eval()\n',
  'def helper_train(model):\n    model.train()\n',
  'def helper_step(model, opt):\n    model(x).sum().backward()\n    opt.step()\n',
  'def evaluate_1(model, loader):\n    for xb in loader:\n        model(xb)\n',
  'def wrap_eval(model):\n    helper_eval(model)\n',
  'def wrap_step(model, opt):\n    helper_train(model)\n    helper_step(model, opt)\n',
  'def run_all(model, opt):\n    wrap_eval(model)\n    wrap_step(model, opt)\n    for xb in val_loader:\n        model(xb)\n',
  'class Net1(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n',
  'class Extra(Net0):\n    pass\n',
  'class Plain:\n    drop = nn.Dropout(0.99)\n',
  'model = Net0()\nmodel.eval()\n',
  'model = Net2()\nfor xb in val_loader:\n    model(xb)\n',
  'optimizer.step()\n',
  '# mc dropout\n',
];
const RENAMES: [string, string][] = [
  ['evaluate_', 'fit_'],
  ['fit_', 'evaluate_'],
  ['Net', 'Model'],
  ['model', 'net'],
  ['nn', 'tnn'],
  ['.eval()', '.train()'],
  ['.train()', '.eval()'],
  ['torch', 'tf'],
  ['val_loader', 'train_loader'],
  ['0.1', '0.9'],
  ['Dropout', 'Identity'],
  ['Inner', 'Outer'],
  ['Inner()', 'nn.Linear(2, 2)'],
  ['nn.Module', 'object'],
];

interface Line {
  at: number;
  end: number;
  indent: number;
}

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  for (let at = 0; at < text.length;) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    let indent = 0;
    while (text.charCodeAt(at + indent) === 32) indent++;
    out.push({ at, end, indent });
    at = end;
  }
  return out;
}

/** A line-level edit that keeps the text mostly parseable; renames change one or every occurrence. */
function semanticEdit(text: string, r: () => number): DocumentEdit[] {
  const lines = linesOf(text);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const line = lines.length > 0 ? pick(lines) : { at: 0, end: 0, indent: 0 };
  const kind = r();
  if (kind < 0.35) {
    const insert = `${' '.repeat(line.indent)}${pick(LINES)}\n`;
    return [{ rangeOffset: line.at, rangeLength: 0, text: insert }];
  }
  if (kind < 0.55) {
    const tops = lines.filter((l) => l.indent === 0 && l.end > l.at + 1);
    const at = tops.length > 0 && r() < 0.9 ? pick(tops).at : text.length;
    const block = pick(BLOCKS);
    return [
      { rangeOffset: at, rangeLength: 0, text: at === text.length && !text.endsWith('\n') ? '\n' + block : block },
    ];
  }
  if (kind < 0.65) return lines.length > 1 ? [{ rangeOffset: line.at, rangeLength: line.end - line.at, text: '' }] : [];
  if (kind < 0.75) {
    // Flip one mode switch: changes the effects of the function it is in, and of its callers.
    const switches: number[] = [];
    for (let i = text.indexOf('.eval()'); i >= 0; i = text.indexOf('.eval()', i + 1)) switches.push(i);
    for (let i = text.indexOf('.train()'); i >= 0; i = text.indexOf('.train()', i + 1)) switches.push(i);
    if (switches.length === 0) return [];
    const i = pick(switches);
    const isEval = text.startsWith('.eval()', i);
    return [{ rangeOffset: i, rangeLength: isEval ? 7 : 8, text: isEval ? '.train()' : '.eval()' }];
  }
  const [from, to] = pick(RENAMES);
  const hits: number[] = [];
  for (let i = text.indexOf(from); i >= 0; i = text.indexOf(from, i + from.length)) hits.push(i);
  if (hits.length === 0) return [];
  const chosen = r() < 0.5 ? [pick(hits)] : hits;
  // Sorted from the end, like VS Code's contentChanges: each offset holds in the text after the ones before.
  return chosen.sort((a, b) => b - a).map((i) => ({ rangeOffset: i, rangeLength: from.length, text: to }));
}

test('incremental analysis equals a cold analysis after line-level edits of imports, models, helpers and names', () => {
  let compared = 0;
  let withFindings = 0;
  let reused = 0;
  let incremental = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(1000 + seed);
    // Helpers that switch modes, then callers of callers: a helper's edit changes the summaries after it.
    const helpers =
      'import torch\ndef helper_eval(model):\n    model.eval()\n\ndef helper_train(model):\n    model.train()\n\ndef wrap_eval(model):\n    helper_eval(model)\n\ndef validate(model, loader):\n    wrap_eval(model)\n    for xb in loader:\n        model(xb)\n\ndef fit(model, opt):\n    for epoch in range(3):\n        helper_train(model)\n        opt.step()\n        wrap_eval(model)\n        validate(model, val_loader)\n\n';
    // Model classes whose sensitivity comes from a submodule class or a base class defined elsewhere.
    const classes =
      'import torch\nimport torch.nn as nn\n\nclass Inner(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.drop = nn.Dropout(0.5)\n\nclass Outer(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.inner = Inner()\n        self.fc = nn.Linear(2, 2)\n\nclass Child(Outer):\n    pass\n\nclass Mixed(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.drop = nn.Dropout(0.5)\n        self.bn = nn.BatchNorm1d(2)\n\n    def forward(self, x):\n        return self.bn(self.drop(x))\n\ndef check(loader):\n    model = Outer()\n    for xb in val_loader:\n        model(xb)\n\ndef check_child(loader):\n    child = Child()\n    for xb in val_loader:\n        child(xb)\n\n';
    const base = fixtures[(seed * 7) % fixtures.length]!;
    const fx = [
      { name: 'gen.py', text: generatePython(120 + seed * 4) },
      { name: 'helpers.py', text: helpers + base.text },
      { name: 'classes.py', text: classes + base.text },
      base,
    ][seed % 4]!;
    let text = fx.text;
    const analyzer = new DocumentAnalyzer(fx.name);
    analyzer.analyze(text);
    for (let step = 0; step < 30; step++) {
      const changes = semanticEdit(text, r);
      for (const c of changes) text = apply(text, c);
      analyzer.edit(changes);
      const got = analyzer.analyze(text);
      const cold = analyzeDocument(text, fx.name);
      assert.deepEqual(got, cold, `${fx.name} seed ${seed} step ${step}: findings after ${JSON.stringify(changes)}`);
      compared++;
      if (cold.length > 0 && !cold.some((f) => f.rule === 'parse-error')) withFindings++;
      reused += analyzer.lastReuse?.reports ?? 0;
      if (analyzer.lastParse?.incremental) incremental++;
    }
  }
  assert.ok(compared >= 25 * SEEDS, `${compared} comparisons`);
  assert.ok(withFindings > 7 * SEEDS, `${withFindings} analyses with findings`);
  assert.ok(reused > 12 * SEEDS, `${reused} reports reused`);
  assert.ok(incremental > 15 * SEEDS, `${incremental} incremental trees`);
});

test('an incremental tree with a syntax error is parsed again, so the parse error is where a cold analysis puts it', () => {
  // Found by a longer run of the test above: at this step lezer's error recovery with reused fragments put
  // the first error six lines below where a fresh parse puts it.
  const seed = 92;
  const r = rng(1000 + seed);
  let text = generatePython(120 + seed * 4);
  const analyzer = new DocumentAnalyzer('gen.py');
  analyzer.analyze(text);
  let reparsed = 0;
  for (let step = 0; step < 12; step++) {
    const changes = semanticEdit(text, r);
    for (const c of changes) text = apply(text, c);
    analyzer.edit(changes);
    assert.deepEqual(analyzer.analyze(text), analyzeDocument(text, 'gen.py'), `step ${step}`);
    if (analyzer.lastParse!.reparsed) reparsed++;
    assert.equal(analyzer.lastTree!.toString(), parser.parse(text).toString(), `step ${step}: tree`);
  }
  assert.ok(reparsed > 0);
});

test('a function whose findings point at module code after it is not replayed where it moved but the module code did not', () => {
  // fit() trains the model that the module code switches to eval mode: the finding is at the eval() call.
  let text =
    'import torch\nx = 1\ndef fit():\n    for xb in train_loader:\n        model(xb)\n        optimizer.step()\n\nmodel.eval()\n';
  const analyzer = new DocumentAnalyzer('m.py');
  const first = analyzer.analyze(text);
  assert.ok(first.some((f) => f.rule === 'missing-train-after-eval' && f.range.start.line === 7));
  // One event: a line removed above fit() and one of the same length added below it; eval() stays put.
  const changes: DocumentEdit[] = [
    { rangeOffset: text.indexOf('\nmodel.eval') + 1, rangeLength: 0, text: 'y = 1\n' },
    { rangeOffset: text.indexOf('x = 1\n'), rangeLength: 6, text: '' },
  ];
  for (const c of changes) text = apply(text, c);
  analyzer.edit(changes);
  assert.deepEqual(analyzer.analyze(text), analyzeDocument(text, 'm.py'));
  // A plain edit above: everything moves, and the unchanged function's results are replayed.
  const e = { rangeOffset: 0, rangeLength: 0, text: '# top\n' };
  text = apply(text, e);
  analyzer.edit([e]);
  assert.deepEqual(analyzer.analyze(text), analyzeDocument(text, 'm.py'));
});

test('a rate that flows from a call is worded the same when only the call moved (no stale line in the replay)', () => {
  let text =
    'import tensorflow as tf\nkeep_prob = 0.75  # probability to keep a unit\n\n' +
    'def net(x, drop):\n    return tf.layers.dropout(x, rate=drop, training=True)\n\n' +
    'out = net(inputs, keep_prob)\n';
  const analyzer = new DocumentAnalyzer('m.py');
  assert.ok(analyzer.analyze(text).some((f) => f.rule === 'keep-prob-confusion' && /call of net\(\)/.test(f.message)));
  const e = { rangeOffset: text.indexOf('out ='), rangeLength: 0, text: 'model.train()\n' };
  text = apply(text, e);
  analyzer.edit([e]);
  assert.deepEqual(analyzer.analyze(text), analyzeDocument(text, 'm.py'));
});

test('class bodies are classified before the function names are known, also when their other results are replayed', () => {
  // F is not imported: in the class body it is the default alias (torch.nn.functional), because model
  // classes are classified before the function F is collected. A new function elsewhere changes the
  // function names, so the class unit's creations are recomputed; they must classify as a cold run does.
  let text =
    'import torch\nimport torch.nn as nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return F.dropout(x, 0.9)\n\ndef F(x):\n    return x\n';
  const analyzer = new DocumentAnalyzer('f.py');
  assert.deepEqual(analyzer.analyze(text), analyzeDocument(text, 'f.py'));
  assert.ok(analyzeDocument(text, 'f.py').some((f) => f.rule === 'keep-prob-confusion'));
  const e = { rangeOffset: text.length, rangeLength: 0, text: '\ndef g():\n    pass\n' };
  text = apply(text, e);
  analyzer.edit([e]);
  assert.deepEqual(analyzer.analyze(text), analyzeDocument(text, 'f.py'));
});

test('a one-line edit in a 5,000-line file reuses the previous tree', () => {
  let text = generatePython(5000);
  const analyzer = new DocumentAnalyzer('big.py');
  const cold = analyzer.analyze(text);
  assert.equal(analyzer.lastParse?.incremental, false);
  const first = analyzer.lastTree!;
  // A new line in the middle of the file, indented like the line it precedes.
  const at = text.indexOf('    model.eval()', text.length / 2);
  const edit = { rangeOffset: at, rangeLength: 0, text: '    pass  # edited\n' };
  text = apply(text, edit);
  analyzer.edit([edit]);
  const findings = analyzer.analyze(text);
  const stats = analyzer.lastParse;
  assert.ok(stats.incremental && stats.fragments > 0);
  assert.ok(stats.reusedChars > 0.9 * text.length, `reused ${stats.reusedChars} of ${text.length} characters`);
  // The subtrees before and after the edit are the very objects of the first tree.
  const before = new Set<unknown>();
  const collect = (t: typeof first): void => {
    for (const c of t.children) {
      before.add(c);
      if (!('buffer' in c)) collect(c);
    }
  };
  collect(first);
  const second = analyzer.lastTree!;
  assert.ok(
    second.children.some((c) => before.has(c)) ||
      second.children.some((c) => !('buffer' in c) && c.children.some((d) => before.has(d))),
  );
  assert.deepEqual(findings, analyzeDocument(text, 'big.py'));
  assert.equal(findings.length, cold.length);
  // Every definition but the edited one is replayed, in every pass.
  const reuse = analyzer.lastReuse!;
  assert.ok(reuse.cacheable > 300, `${reuse.cacheable} cacheable definitions`);
  for (const pass of ['creations', 'chains', 'models'] as const) assert.equal(reuse[pass], reuse.cacheable - 1, pass);
  assert.ok(reuse.summaries > 200 && reuse.reports === reuse.summaries && reuse.classes > 100, JSON.stringify(reuse));
});

test('edits that do not add up to the text, a reset or a non-Python file fall back to a cold analysis', () => {
  const text = fixtures[0]!.text;
  const analyzer = new DocumentAnalyzer(fixtures[0]!.name);
  analyzer.analyze(text);
  analyzer.edit([{ rangeOffset: 0, rangeLength: 0, text: 'x = 1\n' }]);
  const other = '# unrelated\n' + text; // not what the edit said
  assert.deepEqual(analyzer.analyze(other), analyzeDocument(other, fixtures[0]!.name));
  assert.equal(analyzer.lastParse?.incremental, false);
  analyzer.edit([{ rangeOffset: other.length + 5, rangeLength: 1, text: '' }]); // out of range
  assert.deepEqual(analyzer.analyze(other), analyzeDocument(other, fixtures[0]!.name));
  assert.equal(analyzer.lastParse?.incremental, false);
  analyzer.reset();
  analyzer.analyze(other);
  assert.equal(analyzer.lastParse?.incremental, false);
  const config = new DocumentAnalyzer('m.dropout.yaml');
  const yaml = 'model:\n  layers:\n    - dense: 8\n    - dropout: 1.5\n';
  assert.deepEqual(config.analyze(yaml), analyzeDocument(yaml, 'm.dropout.yaml'));
  assert.equal(config.lastParse, null);
});
