/**
 * The labelled notebook corpus (test/fixtures/notebooks, built from the Python corpus by its build.py): every
 * `# expect: rule-id` label must be found in its cell at its cell-relative line, and nothing else, with the
 * cells split apart, markdown between them and IPython syntax woven in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeNotebook, readNotebook } from '../../../src/analysis/notebook';

const DIR = join(__dirname, '../../fixtures/notebooks');

function labels(text: string): Set<string> {
  const read = readNotebook(text);
  assert.ok(read.ok);
  const out = new Set<string>();
  read.cells.forEach((cell, i) => {
    if (cell.kind !== 'code') return;
    cell.source.split('\n').forEach((line, l) => {
      const at = line.indexOf('# expect:');
      if (at < 0) return;
      for (const rule of line.slice(at + 9).split(',')) out.add(`${i + 1}:${l}:${rule.trim()}`);
    });
  });
  return out;
}

test('notebook corpus: every label found in its cell and line, and nothing else', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ipynb'));
  assert.ok(files.length >= 40, `${files.length} notebooks`);
  let clean = 0;
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(DIR, file), 'utf8');
    const expected = labels(text);
    if (expected.size === 0) clean++;
    const analysis = analyzeNotebook(text, file);
    assert.ok(analysis.ok, file);
    const found = new Set(
      analysis.findings.filter((f) => f.rule !== 'parse-error').map((f) => `${f.cell}:${f.range.start.line}:${f.rule}`),
    );
    for (const key of found) if (!expected.has(key)) problems.push(`FP ${file} ${key}`);
    for (const key of expected) if (!found.has(key)) problems.push(`FN ${file} ${key}`);
    const parseErrors = analysis.findings.filter((f) => f.rule === 'parse-error');
    for (const f of parseErrors) problems.push(`parse-error ${file} cell ${f.cell}: ${f.message}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(clean / files.length >= 0.4, `${clean} of ${files.length} clean`);
});
