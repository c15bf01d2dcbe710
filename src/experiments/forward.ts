/**
 * A small forward pass over final weights, on the host: what the uncertainty map of a 2-D model needs
 * (Monte Carlo passes over a grid of inputs, which the worker protocol does not offer). Dense, activation
 * and dropout layers (Bernoulli, Gaussian, spatial, DropConnect); models with batch norm are not supported
 * (their running statistics are not in the weights), `forwardSupported` says so.
 */
import type { Activation, ModelSpec } from '../protocol/modelSpec';
import { loadDataset, type CsvSource } from '../engine/data';
import { STREAMED_DATA_FILE_LIMIT, streamRegularFile } from '../engine/data/files';
import type { LayerWeights } from '../runs/format';

export function forwardSupported(spec: ModelSpec, weights: readonly LayerWeights[] | undefined): boolean {
  if (!weights) return false;
  return spec.model.layers.every(
    (l, i) => l.type === 'dropout' || (l.type === 'dense' && weights.some((w) => w.layer === i)),
  );
}

function activate(kind: Activation, x: number): number {
  switch (kind) {
    case 'relu':
      return x > 0 ? x : 0;
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'gelu':
      return 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    default:
      return x;
  }
}

/** A seeded uniform random source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Forward pass of one input. `stochastic`: dropout on (train mode, as Monte Carlo dropout), else eval mode.
 * Returns the output layer's values (softmax probabilities for cross-entropy models).
 */
export function forward(
  spec: ModelSpec,
  weights: readonly LayerWeights[],
  input: ArrayLike<number>,
  stochastic: boolean,
  random: () => number,
): Float64Array {
  let x = Float64Array.from(input);
  for (const [i, layer] of spec.model.layers.entries()) {
    if (layer.type === 'dense') {
      const w = weights.find((v) => v.layer === i)!;
      const out = w.b.length;
      const inW = x.length;
      const y = new Float64Array(out);
      const dc = layer.dropConnect ?? 0;
      for (let o = 0; o < out; o++) {
        let s = w.b[o]!;
        for (let k = 0; k < inW; k++) {
          let wk = w.W[o * inW + k]!;
          if (dc > 0 && stochastic) wk = random() < dc ? 0 : wk / (1 - dc);
          s += wk * x[k]!;
        }
        y[o] = activate(layer.activation, s);
      }
      x = y;
    } else if (layer.type === 'dropout') {
      const p = layer.rate;
      if (p <= 0) continue;
      if (layer.kind === 'gaussian') {
        if (stochastic) {
          const sigma = Math.sqrt(p / (1 - p));
          for (let k = 0; k < x.length; k++) x[k]! *= 1 + sigma * gaussian(random);
        }
        continue;
      }
      const inverted = layer.scaling === 'inverted';
      if (!stochastic) {
        if (!inverted) for (let k = 0; k < x.length; k++) x[k]! *= 1 - p;
        continue;
      }
      const scale = inverted ? 1 / (1 - p) : 1;
      if (layer.kind === 'spatial' && layer.shape) {
        const [positions, channels] = layer.shape;
        for (let c = 0; c < channels; c++) {
          const keep = random() >= p;
          for (let q = 0; q < positions; q++) x[q * channels + c]! *= keep ? scale : 0;
        }
      } else {
        for (let k = 0; k < x.length; k++) x[k]! *= random() >= p ? scale : 0;
      }
    }
  }
  if (spec.training.loss === 'cross-entropy') {
    const m = Math.max(...x);
    let sum = 0;
    for (let k = 0; k < x.length; k++) sum += x[k] = Math.exp(x[k]! - m);
    for (let k = 0; k < x.length; k++) x[k]! /= sum;
  }
  return x;
}

/** The CSV as loadDataset takes it: the text, or the file at the path streamed into blocks here. */
function csvSource(csv: { csvText?: string; csvPath?: string }): CsvSource | undefined {
  if (csv.csvText !== undefined || csv.csvPath === undefined) return csv.csvText;
  const path = csv.csvPath;
  return (sink) => streamRegularFile(path, STREAMED_DATA_FILE_LIMIT, (bytes) => sink.pushBytes(bytes));
}

/** The validation split exactly as the engine builds it (same seed, same standardization). */
export function validationData(
  spec: ModelSpec,
  csv: { csvText?: string; csvPath?: string } = {},
): { x: Float32Array; y: Float32Array; n: number; inputDim: number; classes: number } | undefined {
  try {
    const data = loadDataset(spec.data, spec.seed, csvSource(csv));
    return { ...data.validation, inputDim: data.inputDim, classes: data.classes };
  } catch {
    return undefined;
  }
}
