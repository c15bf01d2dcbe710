// The streaming CSV parser against the reference it replaced (the whole-text csvToData of before, kept here):
// the same data, classes, names and errors on generated files, whatever the chunk boundaries, from text or bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvError, CsvStream, loadDataset, parseCsv, splitData } from '../../../src/engine/data';
import { csvToData, type CsvTable } from '../../../src/engine/data/csv';
import { BLOCK_ROWS } from '../../../src/engine/data/csvStream';
import type { RawData } from '../../../src/engine/data/generators';
import { SeededRandom } from '../../../src/engine/random';

// ---- the reference: csvToData as it was before streaming ----
const MAX_NUMERIC_CLASSES_REF = 20;

function referenceCsvToData(
  text: string,
  label?: string | number,
): RawData & { classNames?: string[]; featureNames: string[] } {
  const table = parseCsv(text);
  if (table.rows.length === 0) throw new CsvError('the file has a header but no data rows');
  const width = table.rows[0]!.length;
  if (width < 2) throw new CsvError('a dataset needs at least one feature column and a label column');
  const labelIndex = referenceLabel(table, width, label);
  const featureColumns = [...Array(width).keys()].filter((c) => c !== labelIndex);
  const name = (c: number) => table.header?.[c] ?? `column ${c + 1}`;
  const n = table.rows.length;
  const x = new Float32Array(n * featureColumns.length);
  table.rows.forEach((row, r) => {
    featureColumns.forEach((c, j) => {
      const value = Number(row[c]);
      if (row[c] === '' || !Number.isFinite(value))
        throw new CsvError(`${name(c)} holds "${row[c]}", not a number`, table.lines[r]);
      x[r * featureColumns.length + j] = value;
    });
  });
  const labels = table.rows.map((row) => row[labelIndex]!);
  const numeric = labels.every((v) => v !== '' && Number.isFinite(Number(v)));
  const distinct = [...new Set(labels)];
  const y = new Float32Array(n);
  if (numeric && !(distinct.length <= MAX_NUMERIC_CLASSES_REF && distinct.every((v) => Number.isInteger(Number(v))))) {
    labels.forEach((v, i) => (y[i] = Number(v)));
    return { inputDim: featureColumns.length, classes: 0, x, y, n, featureNames: featureColumns.map(name) };
  }
  const classNames = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  if (classNames.length < 2)
    throw new CsvError(
      `the label column ${name(labelIndex)} has a single class ("${classNames[0]}"): nothing to learn`,
    );
  const indexOf = new Map(classNames.map((c, i) => [c, i]));
  labels.forEach((v, i) => (y[i] = indexOf.get(v)!));
  return {
    inputDim: featureColumns.length,
    classes: classNames.length,
    x,
    y,
    n,
    classNames,
    featureNames: featureColumns.map(name),
  };
}

function referenceLabel(table: CsvTable, width: number, label: string | number | undefined): number {
  if (label === undefined) return width - 1;
  if (typeof label === 'number') {
    if (!Number.isInteger(label) || label < 0 || label >= width)
      throw new CsvError(`label column index ${label} is outside 0..${width - 1}`);
    return label;
  }
  if (!table.header) throw new CsvError(`the label column "${label}" is named, but the file has no header row`);
  const index = table.header.indexOf(label);
  if (index < 0) throw new CsvError(`no column named "${label}"; the columns are ${table.header.join(', ')}`);
  return index;
}

// ---- generated files ----

function randomCsv(rng: SeededRandom): { text: string; label?: string | number } {
  const rows = 1 + rng.int(40);
  const features = 1 + rng.int(4);
  const header = rng.uniform() < 0.6;
  const kind = rng.int(4); // string classes, integer classes, regression, few integer classes as floats
  const lines: string[] = [];
  if (header)
    lines.push(
      [...Array(features).keys()]
        .map((i) => `f${i}`)
        .concat('label')
        .join(','),
    );
  for (let r = 0; r < rows; r++) {
    const cells = [...Array(features).keys()].map(() => (rng.uniform() * 10 - 5).toFixed(rng.int(4)));
    const label =
      kind === 0
        ? ['cat', 'dog', 'bird'][rng.int(3)]!
        : kind === 1
          ? String(rng.int(3))
          : kind === 2
            ? (rng.uniform() * 100).toFixed(2)
            : `${rng.int(2)}.0`;
    cells.push(label);
    if (rng.uniform() < 0.05) cells[0] = 'oops';
    if (rng.uniform() < 0.03) cells.pop();
    lines.push(cells.join(','));
    if (rng.uniform() < 0.1) lines.push(rng.uniform() < 0.5 ? '' : '# a comment');
  }
  const eol = rng.uniform() < 0.3 ? '\r\n' : '\n';
  const text = lines.join(eol) + (rng.uniform() < 0.5 ? eol : '');
  const label = header && rng.uniform() < 0.5 ? 'label' : rng.uniform() < 0.2 ? features : undefined;
  return { text, ...(label !== undefined ? { label } : {}) };
}

type Outcome = { error: string } | { data: RawData & { classNames?: string[]; featureNames: string[] } };

function outcome(run: () => RawData & { classNames?: string[]; featureNames: string[] }): Outcome {
  try {
    return { data: run() };
  } catch (error) {
    assert.ok(error instanceof CsvError, String(error));
    return { error: error.message };
  }
}

/** Parses in random chunks (text or bytes), then joins the blocks. */
function streamed(text: string, label: string | number | undefined, rng: SeededRandom, bytes: boolean) {
  const stream = new CsvStream(label);
  if (bytes) {
    const all = new TextEncoder().encode(text);
    for (let i = 0; i < all.length;) {
      const n = 1 + rng.int(7);
      stream.pushBytes(all.subarray(i, i + n));
      i += n;
    }
  } else
    for (let i = 0; i < text.length;) {
      const n = 1 + rng.int(7);
      stream.pushText(text.slice(i, i + n));
      i += n;
    }
  const b = stream.end();
  const x = new Float32Array(b.n * b.inputDim);
  const y = new Float32Array(b.n);
  for (let i = 0; i < b.n; i++) {
    const block = Math.floor(i / BLOCK_ROWS);
    const r = i % BLOCK_ROWS;
    x.set(b.xBlocks[block]!.subarray(r * b.inputDim, (r + 1) * b.inputDim), i * b.inputDim);
    y[i] = b.yBlocks[block]![r]!;
  }
  return {
    inputDim: b.inputDim,
    classes: b.classes,
    x,
    y,
    n: b.n,
    ...(b.classNames ? { classNames: b.classNames } : {}),
    featureNames: b.featureNames,
  };
}

test('streamed in any chunks, from text or bytes, a CSV reads as the whole-text parser read it', () => {
  const rng = new SeededRandom(2026);
  let errors = 0;
  for (let i = 0; i < 600; i++) {
    const { text, label } = randomCsv(rng);
    const want = outcome(() => referenceCsvToData(text, label));
    const got = [
      outcome(() => csvToData(text, label)),
      outcome(() => streamed(text, label, rng, false)),
      outcome(() => streamed(text, label, rng, true)),
    ];
    for (const g of got) {
      if ('error' in want) {
        errors++;
        // The same kind of refusal; a file with two faults may be refused for the one on an earlier line.
        assert.ok('error' in g, `case ${i}: expected an error (${want.error}) for ${JSON.stringify(text)}`);
      } else assert.deepEqual(g, want, `case ${i}: ${JSON.stringify(text)}`);
    }
  }
  assert.ok(errors > 0, 'some generated files are refused');
});

test('a large CSV spans blocks and splits exactly as the whole-text path', () => {
  const rows = 3 * BLOCK_ROWS + 123;
  let text = 'a,b,label\n';
  const rng = new SeededRandom(5);
  for (let i = 0; i < rows; i++) text += `${rng.uniform().toFixed(5)},${rng.uniform().toFixed(5)},${rng.int(3)}\n`;
  const spec = { source: 'csv' as const, path: 'x.csv', label: 'label', standardize: true, validation: 0.2 };
  const fromText = loadDataset(spec, 9, text);
  const fromBytes = loadDataset(spec, 9, new TextEncoder().encode(text));
  assert.deepEqual(fromBytes, fromText);
  const raw = referenceCsvToData(text, 'label');
  assert.equal(fromText.train.n + fromText.validation.n, raw.n);
  assert.equal(fromText.classes, 3);
});

test('read in two passes straight into the split, a CSV gives the split of the parsed rows, or the same refusal', () => {
  const rng = new SeededRandom(77);
  let compared = 0;
  for (let i = 0; i < 400; i++) {
    const { text, label } = randomCsv(rng);
    const standardize = rng.uniform() < 0.5;
    const spec = {
      source: 'csv' as const,
      path: 'x.csv',
      standardize,
      validation: 0.3,
      ...(label !== undefined ? { label } : {}),
    };
    let want: unknown;
    try {
      const raw = referenceCsvToData(text, label);
      want = splitData(raw, 0.3, 11, standardize, raw.classNames);
    } catch (error) {
      want = { error: (error as Error).message };
    }
    for (const source of [text, new TextEncoder().encode(text)]) {
      let got: unknown;
      try {
        got = loadDataset(spec, 11, source);
      } catch (error) {
        got = { error: (error as Error).message };
      }
      if (want && typeof want === 'object' && 'error' in want)
        assert.ok(
          got && typeof got === 'object' && 'error' in got,
          `case ${i}: expected a refusal: ${JSON.stringify(text)}`,
        );
      else {
        assert.deepEqual(got, want, `case ${i}: ${JSON.stringify(text)}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 100, `${compared} datasets compared`);
});
