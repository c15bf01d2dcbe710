/**
 * Lines end at \r\n, \n or a lone \r, as in VS Code and Python: every corpus file gives the same findings,
 * at the same positions, whichever it uses, and every fix's range lies inside the document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../src/analysis';
import { LineMap, stripBom } from '../../../src/analysis/text';

const DIR = join(__dirname, '../../fixtures/analysis');
const files = readdirSync(DIR)
  .filter((f) => !f.endsWith('.expect'))
  .map((name) => ({ name, text: readFileSync(join(DIR, name), 'utf8').replace(/\r\n?/g, '\n') }));

function shape(text: string, name: string): string[] {
  return analyzeDocument(text, name).map((f) => `${f.rule} ${JSON.stringify(f.range)}`);
}

test('a lone \\r, \\r\\n and \\n end lines alike', () => {
  const map = new LineMap('a\rb\r\nc\nd');
  assert.deepEqual(
    [0, 1, 2, 3].map((l) => map.lineText(l)),
    ['a', 'b', 'c', 'd'],
  );
  assert.deepEqual(map.position(5), { line: 2, character: 0 });
  assert.equal(map.eol, '\r');
  assert.equal(stripBom('\ufeffx = 1'), 'x = 1');
});

test('every corpus file gives the same findings with \\r\\n and \\r line ends, and fixes stay in the document', () => {
  let withFindings = 0;
  for (const { name, text } of files) {
    const lf = shape(text, name);
    if (lf.length > 0) withFindings++;
    for (const eol of ['\r\n', '\r']) {
      const converted = text.replace(/\n/g, eol);
      assert.deepEqual(shape(converted, name), lf, `${name} with ${JSON.stringify(eol)}`);
      const lines = new LineMap(converted);
      for (const f of analyzeDocument(converted, name))
        for (const fix of f.fixes)
          for (const e of fix.edits) {
            assert.ok(e.range.start.line < lines.lineCount, `${name}: ${fix.title}`);
            assert.ok(e.range.start.character <= lines.lineText(e.range.start.line).length, `${name}: ${fix.title}`);
          }
    }
  }
  assert.ok(withFindings > 40, `${withFindings} files with findings`);
});
