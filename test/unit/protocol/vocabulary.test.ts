// Ties the config vocabulary (src/protocol/vocabulary.ts), the reader (src/analysis/config) and the JSON Schema
// (schemas/model-config.schema.json) together key by key, and the generator table to the engine's generators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig } from '../../../src/analysis/config';
import { generate } from '../../../src/engine/data/generators';
import {
  ACTIVATIONS,
  CONFIG_KEYS,
  DROPOUT_KINDS,
  GENERATOR_SHAPES,
  GENERATORS,
  INITS,
  LAYER_KINDS,
  LAYER_MODES,
  LOSSES,
  OPTIMIZERS,
  SCHEDULES,
  layerItemKeys,
} from '../../../src/protocol/vocabulary';
import { buildSchema } from '../../../scripts/configSchema';

const SCHEMA = JSON.parse(readFileSync(join(__dirname, '../../../schemas/model-config.schema.json'), 'utf8'));

test('vocabulary: the committed schema is the one generated from the vocabulary (else: npm run build:schema)', () => {
  assert.deepEqual(SCHEMA, buildSchema());
});

/** The schema of the mapping at a vocabulary path. */
function schemaAt(path: string): any {
  const p = SCHEMA.properties;
  const layer = (kind: string) => p.model.properties.layers.items.oneOf.find((s: any) => s.required[0] === kind);
  const optimizer = (name: string) => p.training.properties.optimizer.oneOf.find((s: any) => s.required[0] === name);
  const schedule = (name: string) =>
    p.training.properties.schedule.oneOf.find((s: any) => s.required?.[0] === name).properties[name];
  switch (path) {
    case 'root':
      return SCHEMA;
    case 'data':
    case 'model':
    case 'training':
    case 'evaluation':
      return p[path];
    case 'layer.dropout':
      return layer('dropout').properties.dropout.oneOf[1];
    case 'layer.batchnorm':
      return layer('batchnorm').properties.batchnorm.oneOf[1];
    case 'layer.batchnorm2d':
      return layer('batchnorm2d').properties.batchnorm2d.oneOf[1];
    case 'optimizer.sgd':
      return optimizer('sgd').properties.sgd;
    case 'optimizer.adam':
      return optimizer('adam').properties.adam;
    case 'schedule.step':
    case 'schedule.exponential':
      return schedule(path.slice('schedule.'.length));
  }
  throw new Error(`no schema path for ${path}`);
}

test('vocabulary: every mapping of the schema has exactly the keys of the vocabulary, and refuses others', () => {
  for (const [path, keys] of Object.entries(CONFIG_KEYS)) {
    const s = schemaAt(path);
    assert.deepEqual(Object.keys(s.properties), [...keys], path);
    assert.equal(s.additionalProperties, false, path);
  }
  const layers = SCHEMA.properties.model.properties.layers.items.oneOf;
  assert.deepEqual(
    layers.map((s: any) => s.required[0]),
    [...LAYER_KINDS],
  );
  for (const kind of LAYER_KINDS) {
    const s = layers.find((l: any) => l.required[0] === kind);
    assert.deepEqual(Object.keys(s.properties), [...layerItemKeys(kind)], kind);
  }
  assert.deepEqual(SCHEMA.properties.data.properties.generator.enum, [...GENERATORS]);
  assert.deepEqual(SCHEMA.properties.training.properties.loss.enum, [...LOSSES]);
  assert.deepEqual(SCHEMA.properties.training.properties.init.enum, [...INITS]);
  assert.deepEqual(SCHEMA.properties.evaluation.properties.mode.enum, [...LAYER_MODES]);
  assert.deepEqual(
    SCHEMA.properties.training.properties.optimizer.oneOf.map((s: any) => s.required[0]),
    [...OPTIMIZERS],
  );
});

/** A config that writes every key once (values may conflict: only unknown-key findings matter here). */
function everyKey(extra: { path: string; key: string } | undefined): string {
  const bogus = (path: string) => (extra?.path === path ? `, ${extra.key}: 1` : '');
  return [
    `name: n`,
    `seed: 1`,
    `data: { generator: blobs, samples: 40, noise: 0.1, classes: 3, validation: 0.3${bogus('data')} }`,
    `model:`,
    `  input: 2`,
    `  layers:`,
    `    - { dense: 4, activation: relu, dropconnect: 0.1${bogus('layer.dense')} }`,
    `    - { batchnorm: { momentum: 0.1, epsilon: 0.001${bogus('layer.batchnorm')} } }`,
    `    - { dropout: { rate: 0.2, kind: spatial, scaling: inverted, shape: [2, 2]${bogus('layer.dropout')} } }`,
    `    - { dense: 3 }`,
    ...(extra?.path === 'model' ? [`  ${extra.key}: 1`] : []),
    `training:`,
    `  epochs: 2`,
    `  batch: 8`,
    `  optimizer: { sgd: { lr: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0, dampening: 0${bogus('optimizer.sgd')} } }`,
    `  schedule: { step: { every: 2, gamma: 0.5${bogus('schedule.step')} } }`,
    `  maxNorm: 3`,
    `  loss: cross-entropy`,
    `  init: he`,
    ...(extra?.path === 'training' ? [`  ${extra.key}: 1`] : []),
    `evaluation: { mode: eval, mcSamples: 4${bogus('evaluation')} }`,
    ...(extra?.path === 'root' ? [`${extra.key}: 1`] : []),
  ].join('\n');
}

test('vocabulary: the reader accepts every key the vocabulary lists, and names an unknown one', () => {
  const all = parseModelConfig(everyKey(undefined), 'all.dropout.yaml');
  assert.deepEqual(all.findings, []);
  assert.ok(all.spec);
  for (const path of [
    'root',
    'data',
    'model',
    'training',
    'evaluation',
    'layer.dense',
    'layer.batchnorm',
    'layer.dropout',
    'optimizer.sgd',
    'schedule.step',
  ]) {
    const r = parseModelConfig(everyKey({ path, key: 'zzz' }), 'x.dropout.yaml');
    assert.ok(
      r.findings.some((f) => /Unknown key "zzz"/.test(f.message)),
      `${path}: ${JSON.stringify(r.findings)}`,
    );
  }
  const adam = parseModelConfig(
    'data: { generator: moons }\nmodel: { layers: [ { dense: 2 } ] }\ntraining: { optimizer: { adam: { lr: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 0.0001, weightDecay: 0 } }, schedule: { exponential: { gamma: 0.9 } } }\n',
    'a.dropout.yaml',
  );
  assert.deepEqual(adam.findings, []);
});

test('vocabulary: the reader accepts every word of every enum', () => {
  const base = (layer: string, training = '', data = 'moons') =>
    `data: { generator: ${data} }\nmodel: { layers: [ ${layer} ] }\n${training}`;
  const out = (g: (typeof GENERATORS)[number]) => {
    const c = GENERATOR_SHAPES[g].classes;
    return c === 'classes' ? 3 : c === 0 ? 1 : c;
  };
  for (const g of GENERATORS) {
    // An image generator's [C, H, W] reaches a dense layer through flatten.
    const flat = typeof GENERATOR_SHAPES[g].input === 'number' ? '' : '{ flatten: true }, ';
    assert.deepEqual(parseModelConfig(base(`${flat}{ dense: ${out(g)} }`, '', g), 'g.dropout.yaml').findings, [], g);
  }
  for (const a of ACTIVATIONS)
    assert.deepEqual(parseModelConfig(base(`{ dense: 2, activation: ${a} }`), 'a.dropout.yaml').findings, [], a);
  for (const k of DROPOUT_KINDS) {
    const shape = k === 'spatial' ? ', shape: [2, 2]' : '';
    const text = base(`{ dense: 4 }, { dropout: { rate: 0.2, kind: ${k}${shape} } }, { dense: 2 }`);
    assert.deepEqual(parseModelConfig(text, 'k.dropout.yaml').findings, [], k);
  }
  for (const l of LOSSES)
    assert.deepEqual(
      parseModelConfig(base('{ dense: 2 }', `training: { loss: ${l} }\n`), 'l.dropout.yaml').findings,
      [],
      l,
    );
  for (const i of INITS)
    assert.deepEqual(
      parseModelConfig(base('{ dense: 2 }', `training: { init: ${i} }\n`), 'i.dropout.yaml').findings,
      [],
      i,
    );
  for (const s of SCHEDULES) {
    const schedule = s === 'constant' ? 'constant' : s === 'step' ? '{ step: { every: 2 } }' : '{ exponential: {} }';
    const r = parseModelConfig(base('{ dense: 2 }', `training: { schedule: ${schedule} }\n`), 's.dropout.yaml');
    assert.deepEqual(r.findings, [], s);
    assert.equal(r.spec?.training.schedule.kind, s);
  }
});

test('vocabulary: each generator makes the input width and class count the table says', () => {
  for (const g of GENERATORS) {
    const raw = generate(g, 12, 0.1, 4, 1);
    const shape = GENERATOR_SHAPES[g];
    assert.deepEqual(raw.shape ?? raw.inputDim, shape.input, g);
    assert.equal(
      raw.inputDim,
      typeof shape.input === 'number' ? shape.input : shape.input.reduce((a: number, b: number) => a * b, 1),
      g,
    );
    assert.equal(raw.classes, shape.classes === 'classes' ? 4 : shape.classes, g);
  }
});
