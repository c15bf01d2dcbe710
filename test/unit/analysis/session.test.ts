/**
 * Incremental analysis (DocumentAnalyzer): after random edits, findings and syntax trees equal a cold
 * analysis of the same text, and a reparse after a small edit takes over the previous tree's subtrees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@lezer/python';
import { analyzeDocument, DocumentAnalyzer, type DocumentEdit } from '../../../src/analysis';
import { generatePython } from '../../../bench/analysis/index';

const DIR = join(__dirname, '../../fixtures/analysis');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.py'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(DIR, f), 'utf8') }));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SNIPPETS = ['model.eval()\n', '    ', '\n', 'x', ')', '(', ':', 'nn.Dropout(0.9)', 'F.dropout(x)', '# mc dropout\n', 'for xb in val_loader:\n    model(xb)\n', 'with torch.no_grad():\n', '"""', "'", 'def f(model):\n', '.train()', 'training=True', '\t'];

/** A random edit of `text`: insert, delete or replace a short range, often at a line start. */
function randomEdit(text: string, r: () => number): DocumentEdit {
  let at = Math.floor(r() * (text.length + 1));
  if (r() < 0.5) at = text.lastIndexOf('\n', at - 1) + 1;
  const kind = r();
  const rangeLength = kind < 0.4 ? 0 : Math.min(text.length - at, Math.floor(r() * 40));
  const insert = kind < 0.8 ? SNIPPETS[Math.floor(r() * SNIPPETS.length)] : '';
  return { rangeOffset: at, rangeLength, text: insert };
}

function apply(text: string, e: DocumentEdit): string {
  return text.slice(0, e.rangeOffset) + e.text + text.slice(e.rangeOffset + e.rangeLength);
}

test('incremental analysis equals a cold analysis after random edits (many seeds, every Python fixture)', () => {
  let incrementalParses = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const fx = fixtures[seed % fixtures.length];
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
      assert.ok(analyzer.lastParse?.incremental, `${fx.name} seed ${seed} step ${step}: incremental parse`);
      incrementalParses++;
      assert.equal(analyzer.lastTree!.toString(), parser.parse(text).toString(), `${fx.name} seed ${seed} step ${step}: tree`);
      assert.deepEqual(got, analyzeDocument(text, fx.name), `${fx.name} seed ${seed} step ${step}: findings`);
    }
  }
  assert.ok(incrementalParses >= 400);
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
  const stats = analyzer.lastParse!;
  assert.ok(stats.incremental && stats.fragments > 0);
  assert.ok(stats.reusedChars > 0.9 * text.length, `reused ${stats.reusedChars} of ${text.length} characters`);
  // The subtrees before and after the edit are the very objects of the first tree.
  const before = new Set<unknown>();
  const collect = (t: typeof first): void => {
    for (const c of t.children) {
      before.add(c);
      if (!('buffer' in c)) collect(c as typeof first);
    }
  };
  collect(first);
  const second = analyzer.lastTree!;
  assert.ok(second.children.some((c) => before.has(c)) || second.children.some((c) => !('buffer' in c) && (c as typeof first).children.some((d) => before.has(d))));
  assert.deepEqual(findings, analyzeDocument(text, 'big.py'));
  assert.equal(findings.length, cold.length);
});

test('edits that do not add up to the text, a reset or a non-Python file fall back to a cold analysis', () => {
  const text = fixtures[0].text;
  const analyzer = new DocumentAnalyzer(fixtures[0].name);
  analyzer.analyze(text);
  analyzer.edit([{ rangeOffset: 0, rangeLength: 0, text: 'x = 1\n' }]);
  const other = '# unrelated\n' + text; // not what the edit said
  assert.deepEqual(analyzer.analyze(other), analyzeDocument(other, fixtures[0].name));
  assert.equal(analyzer.lastParse?.incremental, false);
  analyzer.edit([{ rangeOffset: other.length + 5, rangeLength: 1, text: '' }]); // out of range
  assert.deepEqual(analyzer.analyze(other), analyzeDocument(other, fixtures[0].name));
  assert.equal(analyzer.lastParse?.incremental, false);
  analyzer.reset();
  analyzer.analyze(other);
  assert.equal(analyzer.lastParse?.incremental, false);
  const config = new DocumentAnalyzer('m.dropout.yaml');
  const yaml = 'model:\n  layers:\n    - dense: 8\n    - dropout: 1.5\n';
  assert.deepEqual(config.analyze(yaml), analyzeDocument(yaml, 'm.dropout.yaml'));
  assert.equal(config.lastParse, null);
});
