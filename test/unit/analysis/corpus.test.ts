/**
 * Labelled corpus (test/fixtures/analysis): `# expect: rule-id[, rule-id]` on the line a finding must start
 * on (JSON files: a sidecar `FILE.expect` with `LINE rule-id` rows, 1-based). Files without labels are clean.
 * Computes precision and recall per rule and overall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument, isAnalyzable } from '../../../src/analysis';

const DIR = join(__dirname, '../../fixtures/analysis');

export function labels(file: string, text: string): Set<string> {
  const out = new Set<string>();
  if (file.endsWith('.json')) {
    const side = join(DIR, `${file}.expect`);
    if (existsSync(side)) {
      for (const row of readFileSync(side, 'utf8').split('\n')) {
        const [line, rule] = row.trim().split(/\s+/);
        if (line && rule) out.add(`${Number(line) - 1}:${rule}`);
      }
    }
    return out;
  }
  text.split('\n').forEach((line, i) => {
    const k = line.indexOf('# expect:');
    if (k < 0) return;
    for (const rule of line
      .slice(k + 9)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      out.add(`${i}:${rule}`);
  });
  return out;
}

test('corpus: no false positive and no miss, per rule, over at least 200 files of which half are clean', () => {
  const files = readdirSync(DIR).filter((f) => !f.endsWith('.expect'));
  assert.ok(files.length >= 60, `corpus has ${files.length} files`);
  const perRule = new Map<string, { tp: number; fp: number; fn: number }>();
  const row = (r: string) => perRule.get(r) ?? (perRule.set(r, { tp: 0, fp: 0, fn: 0 }), perRule.get(r)!);
  let clean = 0;
  const problems: string[] = [];
  for (const file of files) {
    assert.ok(isAnalyzable(file), file);
    const text = readFileSync(join(DIR, file), 'utf8');
    const expected = labels(file, text);
    if (expected.size === 0) clean++;
    const found = new Set(
      analyzeDocument(text, file)
        .filter((f) => f.rule !== 'parse-error')
        .map((f) => `${f.range.start.line}:${f.rule}`),
    );
    for (const key of found) {
      const [, rule = ''] = key.split(':');
      if (expected.has(key)) row(rule).tp++;
      else {
        row(rule).fp++;
        problems.push(`FP ${file}:${Number(key.split(':')[0]) + 1} ${rule}`);
      }
    }
    for (const key of expected) {
      if (!found.has(key)) {
        row(key.split(':')[1] ?? '').fn++;
        problems.push(`FN ${file}:${Number(key.split(':')[0]) + 1} ${key.split(':')[1]}`);
      }
    }
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const lines = [
    `corpus: ${files.length} files, ${clean} clean (${Math.round((100 * clean) / files.length)}%)`,
    'rule'.padEnd(38) + 'tp  fp  fn  precision  recall',
  ];
  for (const [rule, r] of [...perRule].sort()) {
    tp += r.tp;
    fp += r.fp;
    fn += r.fn;
    const p = r.tp + r.fp ? r.tp / (r.tp + r.fp) : 1;
    const rc = r.tp + r.fn ? r.tp / (r.tp + r.fn) : 1;
    lines.push(
      `${rule.padEnd(38)}${String(r.tp).padEnd(4)}${String(r.fp).padEnd(4)}${String(r.fn).padEnd(4)}${p.toFixed(3).padEnd(11)}${rc.toFixed(3)}`,
    );
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  lines.push(
    `${'overall'.padEnd(38)}${String(tp).padEnd(4)}${String(fp).padEnd(4)}${String(fn).padEnd(4)}${precision.toFixed(3).padEnd(11)}${recall.toFixed(3)}`,
  );
  console.log(lines.join('\n'));
  if (problems.length) console.log(problems.join('\n'));
  assert.ok(files.length >= 200, `the corpus has ${files.length} files; it keeps at least 200`);
  assert.ok(clean / files.length >= 0.5, 'at least half of the corpus is clean near-misses');
  // Every rule, every file: no false positive and no miss.
  assert.deepEqual(problems, []);
  assert.equal(precision, 1);
  assert.equal(recall, 1);
});

test('known limits: the two documented cases the analysis still gets wrong, so that a fix shows here', () => {
  const dir = join(__dirname, '../../fixtures/analysis-limits');
  const found = (name: string) =>
    analyzeDocument(readFileSync(join(dir, name), 'utf8'), name).map((f) => `${f.range.start.line + 1}:${f.rule}`);
  // The helper switches to eval() only when asked, and this call does not ask: a miss (expected 22:missing-eval).
  assert.deepEqual(found('caller_chosen_mode_by_default.py'), []);
  // A batch-norm-only generator sampled for progress in its training loop: flagged, though GAN code does this.
  assert.deepEqual(found('bn_only_snapshot_in_training.py'), ['31:missing-eval']);
});

test('corpus: a file that does not parse gets exactly one parse-error finding', () => {
  const f = analyzeDocument(readFileSync(join(DIR, 'pt_syntax_error.py'), 'utf8'), 'pt_syntax_error.py');
  assert.equal(f.length, 1);
  assert.equal(f[0]?.rule, 'parse-error');
});
