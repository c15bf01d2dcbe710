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
  const text = 'data: { generator: moons }\nmodel:\n  layers:\n    - dense: 4\n      activaton: relu\n';
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
