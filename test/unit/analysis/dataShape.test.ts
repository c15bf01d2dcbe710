// data.shape: CSV rows read as images, and the image generators' [1, 16, 16] input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelConfig } from '../../../src/analysis/config';

const CONV = [
  '    - { conv2d: 4, kernel: 3, padding: 1 }',
  '    - { dropout2d: 0.2 }',
  '    - { flatten: true }',
  '    - { dense: 2 }',
];

const csvConfig = (shape: string, input?: string) =>
  [
    'data:',
    '  csv: data/digits.csv',
    `  shape: ${shape}`,
    'model:',
    ...(input ? [`  input: ${input}`] : []),
    '  layers:',
    ...CONV,
  ].join('\n');

test('data.shape: CSV rows as images stand in for model.input, so conv layers can read them', () => {
  const r = parseModelConfig(csvConfig('[1, 8, 8]'), 'c.dropout.yaml');
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.spec?.data, {
    source: 'csv',
    path: 'data/digits.csv',
    standardize: true,
    shape: [1, 8, 8],
    validation: 0.3,
  });
  assert.deepEqual(r.spec?.model.input, [1, 8, 8]);
  // Written twice, the same shape is fine.
  assert.deepEqual(parseModelConfig(csvConfig('[1, 8, 8]', '[1, 8, 8]'), 'c.dropout.yaml').findings, []);
});

test('data.shape: disagreeing with model.input, or not three whole numbers, is invalid-config on its line', () => {
  let r = parseModelConfig(csvConfig('[1, 8, 8]', '[2, 4, 8]'), 'c.dropout.yaml');
  assert.equal(r.spec, undefined);
  assert.equal(r.findings.length, 1, JSON.stringify(r.findings));
  assert.equal(r.findings[0]!.range.start.line, 2);
  assert.match(
    r.findings[0]!.message,
    /data\.shape is \[1, 8, 8\] \(64 values a row\), but model\.input is \[2, 4, 8\]/,
  );
  for (const bad of ['[8, 8]', '[1, 8, 0]', '64', '[1, 8, 2.5]']) {
    r = parseModelConfig(csvConfig(bad), 'c.dropout.yaml');
    assert.ok(
      r.findings.some(
        (f) => f.range.start.line === 2 && /data\.shape must be an image's \[channels, height, width\]/.test(f.message),
      ),
      `${bad}: ${JSON.stringify(r.findings)}`,
    );
  }
});

test('data.shape applies to CSV data only; the image generators make [1, 16, 16] and say so against another input', () => {
  let r = parseModelConfig(
    'data: { generator: shapes, shape: [1, 16, 16] }\nmodel: { layers: [ { flatten: true }, { dense: 4 } ] }\n',
    'g.dropout.yaml',
  );
  assert.ok(
    r.findings.some((f) => /data\.shape applies to CSV data only/.test(f.message)),
    JSON.stringify(r.findings),
  );
  r = parseModelConfig(
    'data: { generator: bars }\nmodel:\n  layers:\n    - { conv2d: 4, kernel: 3 }\n    - { maxpool2d: 2 }\n    - { flatten: true }\n    - { dense: 3 }\n',
    'g.dropout.yaml',
  );
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.spec?.model.input, [1, 16, 16]);
  r = parseModelConfig(
    'data: { generator: glyphs }\nmodel: { input: 256, layers: [ { dense: 10 } ] }\n',
    'g.dropout.yaml',
  );
  assert.ok(
    r.findings.some((f) =>
      /the glyphs generator makes \[1, 16, 16\] images: write input: \[1, 16, 16\]/.test(f.message),
    ),
    JSON.stringify(r.findings),
  );
  r = parseModelConfig(
    'data: { generator: glyphs }\nmodel: { layers: [ { flatten: true }, { dense: 3 } ] }\n',
    'g.dropout.yaml',
  );
  assert.ok(
    r.findings.some((f) => /glyphs data has 10 classes: make it dense: 10/.test(f.message)),
    JSON.stringify(r.findings),
  );
});
