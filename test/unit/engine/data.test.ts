import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvToData, GENERATORS, loadDataset } from '../../../src/engine/data';
import type { GeneratorName } from '../../../src/protocol/modelSpec';

test('every generator is seeded: same seed, same data; other seed, other data', () => {
  for (const generator of Object.keys(GENERATORS) as GeneratorName[]) {
    const spec = { source: 'generator' as const, generator, samples: 60, noise: 0.2, validation: 0.25 };
    const a = loadDataset(spec, 7);
    const b = loadDataset(spec, 7);
    const c = loadDataset(spec, 8);
    assert.deepEqual(a.train.x, b.train.x, generator);
    assert.notDeepEqual(a.train.x, c.train.x, generator);
    assert.equal(a.train.n + a.validation.n, 60);
    assert.equal(a.validation.n, 15);
    assert.ok(a.train.x.every(Number.isFinite));
  }
});

test('classification labels are class indices covering every class', () => {
  const d = loadDataset(
    { source: 'generator', generator: 'spirals', samples: 90, noise: 0.1, classes: 3, validation: 0.3 },
    1,
  );
  assert.equal(d.classes, 3);
  assert.equal(d.outputDim, 3);
  assert.deepEqual([...new Set(d.train.y)].sort(), [0, 1, 2]);
});

test('regression has one input and continuous targets', () => {
  const d = loadDataset({ source: 'generator', generator: 'regression', samples: 50, noise: 0.1, validation: 0.2 }, 1);
  assert.equal(d.classes, 0);
  assert.equal(d.inputDim, 1);
  assert.equal(d.outputDim, 1);
});

test('CSV: header detected, string labels become classes, features standardized on the training split', () => {
  const csv = 'a,b,kind\n1,10,cat\n2,20,dog\n3,30,cat\n4,40,dog\n5,50,cat\n6,60,dog\n';
  const d = loadDataset({ source: 'csv', path: 'x.csv', label: 'kind', standardize: true, validation: 0.34 }, 3, csv);
  assert.deepEqual(d.classNames, ['cat', 'dog']);
  assert.equal(d.inputDim, 2);
  let mean = 0;
  for (let i = 0; i < d.train.n; i++) mean += d.train.x[i * 2]!;
  assert.ok(Math.abs(mean / d.train.n) < 1e-6);
});

test('CSV: no header, label by index, numeric labels', () => {
  const d = csvToData('0.5,1\n0.7,0\n0.1,1\n', 1);
  assert.equal(d.classes, 2);
  assert.deepEqual([...d.y], [1, 0, 1]);
});

test('CSV: precise errors for empty files, ragged rows, non-numeric cells, unknown label columns', () => {
  assert.throws(() => csvToData(''), /empty/);
  assert.throws(() => csvToData('a,b,c\n1,2,x\n3,4\n'), /line 3: expected 3 cells/);
  assert.throws(() => csvToData('a,b,c\n1,2,x\n3,oops,y\n'), /line 3: b holds "oops", not a number/);
  assert.throws(() => csvToData('a,b,c\n1,2,x\n3,4,y\n', 'label'), /no column named "label"; the columns are a, b, c/);
  assert.throws(() => csvToData('a,b\n1,x\n2,x\n'), /single class/);
});

test('CSV: a header row and nothing under it has no data rows (not "no header row")', () => {
  for (const csv of ['x1,x2,label\n', 'x1,x2,label', 'x1,x2,label\n\n# a comment\n', 'x1,x2,label\r\n'])
    for (const label of [undefined, 'label'])
      assert.throws(() => csvToData(csv, label), /has a header but no data rows/, JSON.stringify(csv));
  // A lone row of numbers is one data row, not a header.
  assert.throws(() => csvToData('1,2,0\n'), /single class/);
});
