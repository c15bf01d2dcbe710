// The convolutional layer items (issue 14): what the reader makes of them, and the shape mistakes it reports on
// the line where they are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelConfig } from '../../../src/analysis/config';

/** A CSV-backed config (so no generator fixes the input) with the given input and layer lines. */
function config(input: string, layers: string[]): string {
  return [
    'data: { csv: images.csv }',
    'model:',
    `  input: ${input}`,
    '  layers:',
    ...layers.map((l) => `    - ${l}`),
  ].join('\n');
}

const W4 = [
  '{ conv2d: 16, kernel: 3, padding: 1 }',
  '{ maxpool2d: 2 }',
  '{ conv2d: 32, kernel: [3, 3], stride: 1, padding: 1, activation: relu, dropconnect: 0.1 }',
  '{ dropout2d: 0.25 }',
  '{ avgpool2d: 2, stride: 2 }',
  '{ batchnorm2d: { momentum: 0.2, epsilon: 0.001 } }',
  '{ flatten: true }',
  '{ dense: 128 }',
  '{ dropout: 0.5 }',
  '{ dense: 10 }',
];

test('conv config: every key of every conv layer is read, with PyTorch defaults', () => {
  const r = parseModelConfig(config('[1, 28, 28]', W4), 'w4.dropout.yaml');
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.spec?.model.input, [1, 28, 28]);
  assert.deepEqual(r.spec?.model.layers.slice(0, 7), [
    { type: 'conv2d', filters: 16, kernel: [3, 3], stride: 1, padding: 1, activation: 'relu' },
    { type: 'maxpool2d', size: 2, stride: 2 },
    { type: 'conv2d', filters: 32, kernel: [3, 3], stride: 1, padding: 1, activation: 'relu', dropConnect: 0.1 },
    { type: 'dropout2d', rate: 0.25 },
    { type: 'avgpool2d', size: 2, stride: 2 },
    { type: 'batchnorm2d', momentum: 0.2, epsilon: 0.001 },
    { type: 'flatten' },
  ]);
  const bare = parseModelConfig(
    config('[3, 8, 8]', ['{ conv2d: 4, kernel: [3, 1] }', '{ batchnorm2d: }', '{ flatten: }', '{ dense: 2 }']),
    'b.dropout.yaml',
  );
  assert.deepEqual(bare.findings, []);
  assert.deepEqual(bare.spec?.model.layers.slice(0, 2), [
    { type: 'conv2d', filters: 4, kernel: [3, 1], stride: 1, padding: 0, activation: 'relu' },
    { type: 'batchnorm2d', momentum: 0.1, epsilon: 1e-5 },
  ]);
});

/** The single error finding of a config, with the (0-based) line it is on. */
function oneError(text: string): { line: number; message: string } {
  const errors = parseModelConfig(text, 'e.dropout.yaml').findings.filter((f) => f.severity === 'error');
  assert.equal(errors.length, 1, JSON.stringify(errors));
  return { line: errors[0]!.range.start.line, message: errors[0]!.message };
}

test('conv config: shape mistakes are errors on the layer that makes them', () => {
  // Lines: 0 data, 1 model:, 2 input, 3 layers:, 4.. the layers.
  let e = oneError(config('[1, 4, 4]', ['{ conv2d: 2, kernel: 5 }', '{ flatten: true }', '{ dense: 2 }']));
  assert.equal(e.line, 4);
  assert.match(e.message, /5×5 kernel .* does not fit the 4×4 input/);
  e = oneError(
    config('[1, 4, 4]', ['{ conv2d: 2, kernel: 3 }', '{ maxpool2d: 3 }', '{ flatten: true }', '{ dense: 2 }']),
  );
  assert.equal(e.line, 5);
  assert.match(e.message, /maxpool2d's 3×3 window does not fit the 2×2 input/);
  e = oneError(config('[1, 8, 8]', ['{ conv2d: 2, kernel: 3 }', '{ dense: 2 }']));
  assert.equal(e.line, 5);
  assert.match(
    e.message,
    /dense layer takes a flat input, but this one gets an image \[2, 6, 6\]: add `- flatten: true`/,
  );
  e = oneError(config('16', ['{ dense: 8 }', '{ dropout2d: 0.2 }', '{ dense: 2 }']));
  assert.equal(e.line, 5);
  assert.match(e.message, /dropout2d works on the channels of an image .* flat \(8 wide\)/);
  e = oneError(config('16', ['{ conv2d: 2, kernel: 3 }', '{ dense: 2 }']));
  assert.match(e.message, /conv2d takes an image/);
  e = oneError(config('[1, 8, 8]', ['{ batchnorm: }', '{ flatten: true }', '{ dense: 2 }']));
  assert.match(e.message, /use `- batchnorm2d:`/);
  e = oneError(config('[1, 8, 8]', ['{ conv2d: 2, kernel: 3 }']));
  assert.match(e.message, /has no dense layer/);
  e = oneError(config('[1, 8, 8]', ['{ dense: 2 }', '{ flatten: true }']));
  assert.match(e.message, /dense layer takes a flat input/);
  e = oneError(config('[1, 8, 8]', ['{ flatten: true }', '{ dense: 2 }', '{ flatten: true }']));
  assert.match(e.message, /already flat/);
});

test('conv config: the output against the classes, and model.input against the generator', () => {
  const e = oneError(
    'data: { generator: moons }\nmodel:\n  input: [1, 8, 8]\n  layers:\n    - { flatten: true }\n    - { dense: 2 }\n',
  );
  assert.equal(e.line, 2);
  assert.match(e.message, /moons generator makes 2-D points/);
  const out = oneError('data: { generator: moons }\nmodel:\n  layers:\n    - { dense: 8 }\n    - { dense: 3 }\n');
  assert.match(out.message, /moons data has 2 classes/);
});

test('conv config: bad values are named', () => {
  const cases: [string, RegExp][] = [
    ['{ conv2d: 2 }', /conv2d needs a kernel size/],
    ['{ conv2d: 2, kernel: [3] }', /kernel must be a whole number from 1 to 1024 or \[height, width\]/],
    ['{ conv2d: 0, kernel: 3 }', /filters\) must be at least 1/],
    ['{ conv2d: 2, kernel: 3, padding: -1 }', /padding must be at least 0/],
    ['{ conv2d: 2, kernel: 3, strides: 2 }', /Unknown key "strides"/],
    ['{ maxpool2d: 2, stride: 0 }', /stride must be at least 1/],
    ['{ flatten: false }', /flatten must be true .*remove the layer/],
    ['{ batchnorm2d: { momentum: 2 } }', /momentum must be at most 1/],
    ['{ dropout2d: { rate: 0.2 } }', /dropout2d \(rate\) must be a number in \[0, 1\)/],
  ];
  for (const [layer, want] of cases) {
    const r = parseModelConfig(config('[1, 8, 8]', [layer, '{ flatten: true }', '{ dense: 2 }']), 'v.dropout.yaml');
    assert.equal(r.spec, undefined, layer);
    assert.ok(
      r.findings.some((f) => want.test(f.message)),
      `${layer}: ${JSON.stringify(r.findings.map((f) => f.message))}`,
    );
  }
  const rate = parseModelConfig(
    config('[1, 8, 8]', ['{ dropout2d: 1.5 }', '{ flatten: true }', '{ dense: 2 }']),
    'r.dropout.yaml',
  );
  assert.deepEqual(
    rate.findings.map((f) => f.rule),
    ['dropout-rate-out-of-range'],
  );
  for (const input of ['[1, 8]', '[0, 8, 8]', '"big"', '[1024, 1024, 4]'])
    assert.match(oneError(config(input, ['{ dense: 2 }'])).message, /model.input/, input);
});
