/** Turns a config's data section into the trainer's Dataset: generate or parse, split (seeded), standardize. */
import type { DataSpec, ImageShape } from '../../protocol/modelSpec';
import type { Dataset, Split } from '../dataset';
import { SeededRandom } from '../random';
import { BLOCK_ROWS, CsvRowCounter, CsvSplitStream, CsvStream, type BlockData } from './csvStream';
import { generate, type RawData } from './generators';

export { CsvError, parseCsv, csvToData } from './csv';
export { CsvStream, type BlockData } from './csvStream';
export { generate, GENERATORS } from './generators';

/** Whatever a CSV's chunks are pushed to (a reader of either pass). */
export interface CsvSink {
  pushBytes(bytes: Uint8Array): void;
  pushText(text: string): void;
}

/** A CSV that can be read more than once: each call pushes all of its chunks to the sink. */
export type CsvFeed = (sink: CsvSink) => void;

/** The CSV as the host hands it over: its text, its bytes (transferred), a feed (a file), or parsed blocks. */
export type CsvSource = string | Uint8Array | CsvFeed | BlockData;

/**
 * Bytes are fed to the parser in chunks of this size (a view each: nothing is copied or decoded whole). Small
 * enough that each chunk's text is short-lived garbage of the young generation, not of the large-object space.
 */
const BYTE_CHUNK = 1 << 16;
const TEXT_CHUNK = 1 << 16;

/** Text or bytes as a feed, in chunks. */
export function feedOf(csv: string | Uint8Array): CsvFeed {
  return (sink) => {
    if (typeof csv === 'string')
      for (let i = 0; i < csv.length; i += TEXT_CHUNK) sink.pushText(csv.slice(i, i + TEXT_CHUNK));
    else for (let i = 0; i < csv.length; i += BYTE_CHUNK) sink.pushBytes(csv.subarray(i, i + BYTE_CHUNK));
  };
}

/** Parses a CSV into blocks in one pass (see CsvStream). */
export function parseCsvSource(csv: string | Uint8Array | CsvFeed, label?: string | number): BlockData {
  const stream = new CsvStream(label);
  (typeof csv === 'function' ? csv : feedOf(csv))(stream);
  return stream.end();
}

export function loadDataset(data: DataSpec, seed: number, csv?: CsvSource): Dataset {
  if (data.source === 'csv') {
    if (csv === undefined) throw new Error(`The config trains on ${data.path}, but its text was not provided.`);
    const read =
      typeof csv === 'object' && !(csv instanceof Uint8Array)
        ? splitRows(blockRows(csv), data.validation, seed, data.standardize, csv.classNames)
        : loadCsvInTwoPasses(data, seed, typeof csv === 'function' ? csv : feedOf(csv));
    return data.shape ? asImages(read, data.shape, data.path) : read;
  }
  const raw = generate(data.generator, data.samples, data.noise, data.classes, seed);
  const split = splitData(raw, data.validation, seed, false);
  return raw.shape ? { ...split, shape: raw.shape } : split;
}

/** CSV rows read as images of the declared data.shape, which must cover each row's features exactly. */
function asImages(data: Dataset, shape: ImageShape, path: string): Dataset {
  const [c, h, w] = shape;
  if (c * h * w !== data.inputDim)
    throw new Error(
      `data.shape is [${c}, ${h}, ${w}], ${c * h * w} values an image, but each row of ${path} has ${data.inputDim} feature(s): make C×H×W equal ${data.inputDim}, or remove shape.`,
    );
  return { ...data, shape: [c, h, w] };
}

/** The shuffled order of n rows, as every split draws it. */
function shuffledOrder(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  new SeededRandom(seed ^ 0x59117).shuffle(order);
  return order;
}

const validationCount = (n: number, validation: number) => Math.max(1, Math.min(n - 1, Math.round(n * validation)));

/**
 * A CSV read twice: once to count its rows, then into its split directly, each row written to its shuffled
 * place (the same split as `splitRows` of the parsed rows). Memory: the split arrays, and 6 bytes a row while
 * reading. A file of fewer than two rows goes through the blocks, for the same messages.
 */
function loadCsvInTwoPasses(data: Extract<DataSpec, { source: 'csv' }>, seed: number, feed: CsvFeed): Dataset {
  if (!(data.validation > 0 && data.validation < 1))
    throw new Error(`The validation fraction must be between 0 and 1 (got ${data.validation}).`);
  const counter = new CsvRowCounter();
  feed(counter);
  const n = counter.end();
  if (n < 2) {
    const blocks = parseCsvSource(feed, data.label);
    return splitRows(blockRows(blocks), data.validation, seed, data.standardize, blocks.classNames);
  }
  const nValidation = validationCount(n, data.validation);
  // Validation row k is row order[k], training row k - nValidation is row order[k] for k >= nValidation.
  const place = shuffledOrder(n, seed);
  const order = place.slice();
  for (let k = 0; k < n; k++) place[order[k]!] = k;
  const split = new CsvSplitStream(data.label, n, { place, nValidation });
  feed(split);
  const read = split.end();
  if (data.standardize) standardizeWith(read.train, read.validation, read.inputDim);
  return {
    inputDim: read.inputDim,
    classes: read.classes,
    outputDim: read.classes > 0 ? read.classes : 1,
    train: read.train,
    validation: read.validation,
    ...(read.classNames ? { classNames: read.classNames } : {}),
  };
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
  const order = shuffledOrder(raw.n, seed);
  const nValidation = validationCount(raw.n, validation);
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
