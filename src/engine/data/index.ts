/** Turns a config's data section into the trainer's Dataset: generate or parse, split (seeded), standardize. */
import type { DataSpec } from '../../protocol/modelSpec';
import type { Dataset, Split } from '../dataset';
import { SeededRandom } from '../random';
import { csvToData } from './csv';
import { generate, type RawData } from './generators';

export { CsvError, parseCsv, csvToData } from './csv';
export { generate, GENERATORS } from './generators';

export function loadDataset(data: DataSpec, seed: number, csvText?: string): Dataset {
  if (data.source === 'csv') {
    if (csvText === undefined) throw new Error(`The config trains on ${data.path}, but its text was not provided.`);
    const raw = csvToData(csvText, data.label);
    return splitData(raw, data.validation, seed, data.standardize, raw.classNames);
  }
  return splitData(
    generate(data.generator, data.samples, data.noise, data.classes, seed),
    data.validation,
    seed,
    false,
  );
}

export function splitData(
  raw: RawData,
  validation: number,
  seed: number,
  standardize: boolean,
  classNames?: string[],
): Dataset {
  if (!(validation > 0 && validation < 1))
    throw new Error(`The validation fraction must be between 0 and 1 (got ${validation}).`);
  const order = Uint32Array.from({ length: raw.n }, (_, i) => i);
  new SeededRandom(seed ^ 0x59117).shuffle(order);
  const nValidation = Math.max(1, Math.min(raw.n - 1, Math.round(raw.n * validation)));
  const targetWidth = raw.classes > 0 ? 1 : raw.y.length / raw.n;
  const take = (indices: Uint32Array): Split => {
    const x = new Float32Array(indices.length * raw.inputDim);
    const y = new Float32Array(indices.length * targetWidth);
    indices.forEach((src, dst) => {
      x.set(raw.x.subarray(src * raw.inputDim, (src + 1) * raw.inputDim), dst * raw.inputDim);
      y.set(raw.y.subarray(src * targetWidth, (src + 1) * targetWidth), dst * targetWidth);
    });
    return { x, y, n: indices.length };
  };
  const train = take(order.subarray(nValidation));
  const valid = take(order.subarray(0, nValidation));
  if (standardize) standardizeWith(train, valid, raw.inputDim);
  return {
    inputDim: raw.inputDim,
    classes: raw.classes,
    outputDim: raw.classes > 0 ? raw.classes : targetWidth,
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
