import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig } from '../../../src/analysis/config';

const EX = join(__dirname, '../../../examples');

test('config: every example config parses to a spec', () => {
  for (const f of readdirSync(EX).filter((n) => /\.dropout\.(ya?ml|json)$/.test(n))) {
    const r = parseModelConfig(readFileSync(join(EX, f), 'utf8'), f);
    assert.ok(r.spec, `${f}: ${JSON.stringify(r.findings)}`);
    assert.deepEqual(r.findings, [], f);
  }
});

test('config: moons example is small and has dropout', () => {
  const { spec } = parseModelConfig(readFileSync(join(EX, 'moons.dropout.yaml'), 'utf8'), 'moons.dropout.yaml');
  assert.ok(spec && spec.data.source === 'generator' && spec.data.samples <= 300 && spec.training.epochs <= 60);
  assert.ok(spec.model.layers.some((l) => l.type === 'dropout'));
  assert.ok(spec.model.layers.every((l) => l.type !== 'dense' || l.units <= 128));
});

test('config: defaults', () => {
  const { spec } = parseModelConfig(
    'data: { generator: regression }\nmodel:\n  layers: [ { dense: 8 }, { dropout: 0.1 }, { dense: 1 } ]\n',
    'reg.dropout.yaml',
  );
  assert.ok(spec);
  assert.equal(spec.name, 'reg');
  assert.equal(spec.seed, 0);
  assert.equal(spec.training.loss, 'mse');
  assert.equal(spec.training.epochs, 50);
  assert.equal(spec.training.batchSize, 32);
  assert.deepEqual(spec.training.optimizer, {
    kind: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    dampening: 0,
    nesterov: false,
    weightDecay: 0,
  });
  assert.deepEqual(spec.training.schedule, { kind: 'constant' });
  assert.deepEqual(spec.evaluation, { mode: 'eval' });
  assert.deepEqual(spec.model.layers[0], { type: 'dense', units: 8, activation: 'relu' });
  assert.deepEqual(spec.model.layers[2], { type: 'dense', units: 1, activation: 'linear' });
  assert.equal((spec.data as { validation: number }).validation, 0.3);
});

test('config: structural errors have exact ranges and no spec', () => {
  const text = 'data: { generator: moons }\nmodel:\n  layers:\n    - dense: 2\n      activaton: relu\n';
  const r = parseModelConfig(text, 'x.dropout.yaml');
  assert.equal(r.spec, undefined);
  assert.equal(r.findings.length, 1);
  const f = r.findings[0]!;
  assert.equal(f.rule, 'invalid-config');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /Unknown key "activaton"/);
  assert.deepEqual(f.range, { start: { line: 4, character: 6 }, end: { line: 4, character: 15 } });
  const missing = parseModelConfig('data: { generator: moons }\nmodel: { input: 2 }\n', 'x.dropout.yaml');
  assert.match(missing.findings[0]!.message, /model.layers/);
  const json = parseModelConfig(
    '{ "data": { "generator": "moons" }, "model": { "layers": [ { "dense": "2" } ] } }',
    'x.dropout.json',
  );
  assert.match(json.findings[0]!.message, /whole number, got the string "2"/);
  assert.equal(json.findings[0]!.range.start.character, 70);
  const syntax = parseModelConfig('{ "data": ', 'x.dropout.json');
  assert.equal(syntax.findings[0]!.rule, 'invalid-config');
  assert.match(syntax.findings[0]!.message, /JSON syntax error/);
});

test('config: rates outside [0, 1) are dropout-rate-out-of-range and give no spec', () => {
  for (const rate of ['1', '1.5', '-0.1', '{ rate: 2 }']) {
    const r = parseModelConfig(
      `data: { generator: moons }\nmodel:\n  layers: [ { dense: 4 }, { dropout: ${rate} }, { dense: 2 } ]\n`,
      'x.dropout.yaml',
    );
    assert.equal(r.spec, undefined, rate);
    assert.equal(r.findings[0]!.rule, 'dropout-rate-out-of-range', rate);
    assert.equal(r.findings[0]!.severity, 'error');
  }
});

test('config: every mistake example reports or parses (rules handle the rest)', () => {
  for (const f of readdirSync(join(EX, 'mistakes'))) {
    assert.doesNotThrow(() => parseModelConfig(readFileSync(join(EX, 'mistakes', f), 'utf8'), f));
  }
});

test('config: Gaussian dropout refuses standard scaling (its noise has mean 1), at the value', () => {
  const text =
    'data: { generator: moons }\nmodel:\n  layers:\n    - dense: 4\n    - dropout: { rate: 0.3, kind: gaussian, scaling: standard }\n    - dense: 2\n';
  const r = parseModelConfig(text, 'x.dropout.yaml');
  assert.equal(r.spec, undefined);
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0]!.rule, 'invalid-config');
  assert.equal(r.findings[0]!.range.start.line, 4);
  assert.match(text.split('\n')[4]!.slice(r.findings[0]!.range.start.character), /^standard/);
  const inverted = parseModelConfig(text.replace('scaling: standard', 'scaling: inverted'), 'x.dropout.yaml');
  assert.ok(inverted.spec);
});

/** The one finding of a config, with the text its range covers. */
function onlyFinding(text: string): { message: string; covers: string } {
  const r = parseModelConfig(text, 'w.dropout.yaml');
  assert.equal(r.spec, undefined, text);
  assert.equal(r.findings.length, 1, JSON.stringify(r.findings));
  const f = r.findings[0]!;
  assert.equal(f.rule, 'invalid-config');
  const lines = text.split('\n');
  assert.equal(f.range.start.line, f.range.end.line);
  return {
    message: f.message,
    covers: lines[f.range.start.line]!.slice(f.range.start.character, f.range.end.character),
  };
}

function clean(text: string): void {
  const r = parseModelConfig(text, 'w.dropout.yaml');
  assert.deepEqual(r.findings, [], text);
  assert.ok(r.spec);
}

test('config widths: the output layer against the classes of a built-in generator, on its line', () => {
  let f = onlyFinding('data: { generator: moons }\nmodel:\n  layers:\n    - dense: 16\n    - dense: 3\n');
  assert.match(f.message, /3 unit\(s\), but the moons data has 2 classes: make it dense: 2/);
  assert.equal(f.covers, '3');
  f = onlyFinding('data: { generator: blobs, classes: 4 }\nmodel:\n  layers: [ { dense: 8 }, { dense: 3 } ]\n');
  assert.match(f.message, /blobs data has 4 classes: make it dense: 4/);
  f = onlyFinding('data: { generator: spirals }\nmodel:\n  layers: [ { dense: 2 } ]\n');
  assert.match(f.message, /spirals data has 3 classes/);
  f = onlyFinding(
    'data: { generator: regression }\nmodel:\n  layers: [ { dense: 8 }, { dense: 2 }, { dropout: 0.1 } ]\n',
  );
  assert.match(f.message, /regression data has one target value: make it dense: 1/);
  // Near misses: the right widths, the last dense layer (not the last layer) as output, and CSV data.
  clean('data: { generator: moons }\nmodel:\n  layers: [ { dense: 16 }, { dense: 2 }, { dropout: 0.1 } ]\n');
  clean('data: { generator: blobs, classes: 5 }\nmodel:\n  layers: [ { dense: 8 }, { dense: 5 } ]\n');
  clean('data: { generator: spirals }\nmodel:\n  layers: [ { dense: 3 } ]\n');
  clean('data: { generator: regression }\nmodel:\n  layers: [ { dense: 8 }, { dense: 1 } ]\n');
  // A CSV file's class count is only known once it is read: the engine checks it then.
  clean('data: { csv: data.csv }\nmodel:\n  input: 4\n  layers: [ { dense: 8 }, { dense: 7 } ]\n');
});

test('config widths: model.input against the generator, on its line', () => {
  let f = onlyFinding('data: { generator: circles }\nmodel:\n  input: 3\n  layers: [ { dense: 2 } ]\n');
  assert.match(f.message, /model.input is 3, but the circles generator makes 2-D points/);
  assert.equal(f.covers, '3');
  f = onlyFinding('data: { generator: regression }\nmodel:\n  input: 2\n  layers: [ { dense: 1 } ]\n');
  assert.match(f.message, /regression generator makes 1-D points: write input: 1/);
  clean('data: { generator: circles }\nmodel:\n  input: 2\n  layers: [ { dense: 2 } ]\n');
  clean('data: { generator: regression }\nmodel:\n  input: 1\n  layers: [ { dense: 1 } ]\n');
  clean('data: { csv: data.csv }\nmodel:\n  input: 3\n  layers: [ { dense: 2 } ]\n');
});

test('config widths: a spatial dropout shape against the width it sees, on its line', () => {
  const spatial = (before: string, shape: string, data = 'moons') =>
    `data: { generator: ${data} }\nmodel:\n  layers:\n${before}    - dropout: { rate: 0.2, kind: spatial, shape: ${shape} }\n    - dense: 2\n`;
  let f = onlyFinding(spatial('    - dense: 12\n', '[3, 5]'));
  assert.match(f.message, /shape \[3, 5\] views 15 values, but this layer's input is 12 wide/);
  assert.equal(f.covers, '[3, 5]');
  // Before any dense layer, the input width decides.
  f = onlyFinding(spatial('', '[2, 2]'));
  assert.match(f.message, /input is 2 wide/);
  // After a batchnorm the width is unchanged.
  f = onlyFinding(spatial('    - dense: 12\n    - batchnorm: {}\n', '[4, 4]'));
  assert.match(f.message, /input is 12 wide/);
  clean(spatial('    - dense: 12\n', '[3, 4]'));
  clean(spatial('    - dense: 12\n    - batchnorm: {}\n', '[6, 2]'));
  clean(spatial('', '[1, 2]'));
  clean(spatial('', '[2, 1]'));
  // CSV without model.input: the width before the first dense layer is the file's, unknown here.
  clean(
    'data: { csv: d.csv }\nmodel:\n  layers:\n    - dropout: { rate: 0.2, kind: spatial, shape: [7, 3] }\n    - dense: 2\n',
  );
});
