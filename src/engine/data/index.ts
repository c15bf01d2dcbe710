/** Turns a config's data section into the trainer's Dataset: generate or parse, split (seeded), standardize. */
import type { DataSpec } from '../../protocol/modelSpec';
import type { Dataset, Split } from '../dataset';
import { SeededRandom } from '../random';
import { BLOCK_ROWS, CsvStream, type BlockData } from './csvStream';
import { generate, type RawData } from './generators';

export { CsvError, parseCsv, csvToData } from './csv';
export { CsvStream, type BlockData } from './csvStream';
export { generate, GENERATORS } from './generators';

/** The CSV as the host hands it over: its text, its bytes (transferred), or already parsed blocks. */
export type CsvSource = string | Uint8Array | BlockData;

/**
 * Bytes are fed to the parser in chunks of this size (a view each: nothing is copied or decoded whole). Small
 * enough that each chunk's text is short-lived garbage of the young generation, not of the large-object space.
 */
const BYTE_CHUNK = 1 << 16;
const TEXT_CHUNK = 1 << 16;

/** Parses a CSV given as text or bytes in chunks, into blocks (see CsvStream). */
export function parseCsvSource(csv: string | Uint8Array, label?: string | number): BlockData {
  const stream = new CsvStream(label);
  if (typeof csv === 'string')
    for (let i = 0; i < csv.length; i += TEXT_CHUNK) stream.pushText(csv.slice(i, i + TEXT_CHUNK));
  else for (let i = 0; i < csv.length; i += BYTE_CHUNK) stream.pushBytes(csv.subarray(i, i + BYTE_CHUNK));
  return stream.end();
}

export function loadDataset(data: DataSpec, seed: number, csv?: CsvSource): Dataset {
  if (data.source === 'csv') {
    if (csv === undefined) throw new Error(`The config trains on ${data.path}, but its text was not provided.`);
    const blocks = typeof csv === 'string' || csv instanceof Uint8Array ? parseCsvSource(csv, data.label) : csv;
    return splitRows(blockRows(blocks), data.validation, seed, data.standardize, blocks.classNames);
  }
  return splitData(
    generate(data.generator, data.samples, data.noise, data.classes, seed),
    data.validation,
    seed,
    false,
  );
}

/** Rows to split: how many, their widths, and how to copy row `src` into the split arrays at row `dst`. */
interface Rows {
  n: number;
  inputDim: number;
  classes: number;
  targetWidth: number;
  copy(src: number, x: Float32Array, y: Float32Array, dst: number): void;
}

function blockRows(data: BlockData): Rows {
  const d = data.inputDim;
  return {
    n: data.n,
    inputDim: d,
    classes: data.classes,
    targetWidth: 1,
    copy(src, x, y, dst) {
      const b = Math.floor(src / BLOCK_ROWS);
      const r = src - b * BLOCK_ROWS;
      x.set(data.xBlocks[b]!.subarray(r * d, (r + 1) * d), dst * d);
      y[dst] = data.yBlocks[b]![r]!;
    },
  };
}

export function splitData(
  raw: RawData,
  validation: number,
  seed: number,
  standardize: boolean,
  classNames?: string[],
): Dataset {
  const targetWidth = raw.classes > 0 ? 1 : raw.y.length / raw.n;
  const d = raw.inputDim;
  return splitRows(
    {
      n: raw.n,
      inputDim: d,
      classes: raw.classes,
      targetWidth,
      copy(src, x, y, dst) {
        x.set(raw.x.subarray(src * d, (src + 1) * d), dst * d);
        y.set(raw.y.subarray(src * targetWidth, (src + 1) * targetWidth), dst * targetWidth);
      },
    },
    validation,
    seed,
    standardize,
    classNames,
  );
}

function splitRows(raw: Rows, validation: number, seed: number, standardize: boolean, classNames?: string[]): Dataset {
  if (!(validation > 0 && validation < 1))
    throw new Error(`The validation fraction must be between 0 and 1 (got ${validation}).`);
  const order = new Uint32Array(raw.n);
  for (let i = 0; i < raw.n; i++) order[i] = i;
  new SeededRandom(seed ^ 0x59117).shuffle(order);
  const nValidation = Math.max(1, Math.min(raw.n - 1, Math.round(raw.n * validation)));
  const take = (indices: Uint32Array): Split => {
    const x = new Float32Array(indices.length * raw.inputDim);
    const y = new Float32Array(indices.length * raw.targetWidth);
    for (let dst = 0; dst < indices.length; dst++) raw.copy(indices[dst]!, x, y, dst);
    return { x, y, n: indices.length };
  };
  const train = take(order.subarray(nValidation));
  const valid = take(order.subarray(0, nValidation));
  if (standardize) standardizeWith(train, valid, raw.inputDim);
  return {
    inputDim: raw.inputDim,
    classes: raw.classes,
    outputDim: raw.classes > 0 ? raw.classes : raw.targetWidth,
    train,
    validation: valid,
    ...(classNames ? { classNames } : {}),
  };
}

/** Zero mean, unit variance per feature, with statistics of the training split only (no leak from validation). */
function standardizeWith(train: Split, validation: Split, dim: number): void {
  for (let f = 0; f < dim; f++) {
    let mean = 0;
    for (let i = 0; i < train.n; i++) mean += train.x[i * dim + f]!;
    mean /= train.n;
    let variance = 0;
    for (let i = 0; i < train.n; i++) variance += (train.x[i * dim + f]! - mean) ** 2;
    const std = Math.sqrt(variance / train.n) || 1;
    for (const split of [train, validation])
      for (let i = 0; i < split.n; i++) split.x[i * dim + f] = (split.x[i * dim + f]! - mean) / std;
  }
}
