/**
 * The engine benchmark's workloads (issues 3 and 14), shared by the TypeScript side and, by value,
 * pytorch_bench.py: three dense networks (W1-W3) and a small CNN (W4).
 */
import { isImage, layerOutputShape, shapeSize, type LayerShape } from '../../src/protocol/layerShapes';
import type { LayerSpec } from '../../src/protocol/modelSpec';

export type WorkloadName = 'W1' | 'W2' | 'W3' | 'W4';

export interface Workload {
  readonly name: WorkloadName;
  readonly description: string;
  /** A flat input's width, or an image's [C, H, W]. */
  readonly input: LayerShape;
  /** The model's layers, the last a linear dense layer with one unit per class (cross-entropy). */
  readonly layers: readonly LayerSpec[];
  readonly batch: number;
}

/**
 * A dense workload: layer widths, input first, and the dropout rate (inverted Bernoulli) on the input of each dense
 * layer (0: none); ReLU on the hidden layers, the last one linear.
 */
export function denseWorkload(
  name: WorkloadName,
  description: string,
  sizes: readonly number[],
  dropout: readonly number[],
  batch: number,
): Workload {
  const layers: LayerSpec[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const rate = dropout[l] ?? 0;
    if (rate > 0) layers.push({ type: 'dropout', rate, kind: 'bernoulli', scaling: 'inverted' });
    const last = l + 2 === sizes.length;
    layers.push({ type: 'dense', units: sizes[l + 1]!, activation: last ? 'linear' : 'relu' });
  }
  return { name, description, input: sizes[0]!, layers, batch };
}

const conv = (filters: number): LayerSpec => ({
  type: 'conv2d',
  filters,
  kernel: [3, 3],
  stride: 1,
  padding: 1,
  activation: 'relu',
});
const maxPool2: LayerSpec = { type: 'maxpool2d', size: 2, stride: 2 };

export const WORKLOADS: readonly Workload[] = [
  denseWorkload('W1', 'MLP 2-64-64-2, ReLU, dropout 0.5, batch 32', [2, 64, 64, 2], [0, 0.5, 0.5], 32),
  denseWorkload(
    'W2',
    '784-512-512-10, dropout 0.2 in / 0.5 hidden, batch 128',
    [784, 512, 512, 10],
    [0.2, 0.5, 0.5],
    128,
  ),
  denseWorkload('W3', '256-1024-1024-10, dropout 0.5 hidden, batch 256', [256, 1024, 1024, 10], [0, 0.5, 0.5], 256),
  {
    name: 'W4',
    description:
      'CNN 1x28x28, conv 16 3x3 - maxpool 2 - conv 32 3x3 - Dropout2d 0.25 - maxpool 2 - 128 - dropout 0.5 - 10, batch 64',
    input: [1, 28, 28],
    layers: [
      conv(16),
      maxPool2,
      conv(32),
      { type: 'dropout2d', rate: 0.25 },
      maxPool2,
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
      { type: 'dense', units: 10, activation: 'linear' },
    ],
    batch: 64,
  },
];

/** The number of classes: the last layer's units. */
export function workloadClasses(w: Workload): number {
  const last = w.layers[w.layers.length - 1];
  if (last?.type !== 'dense') throw new Error(`${w.name}: the last layer must be dense`);
  return last.units;
}

/** One float32 roof of this machine's core (OpenBLAS sgemm, one thread), GFLOP/s. */
export const ROOF_GFLOPS = 107;

export interface MatmulShape {
  readonly what: string;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  /** How many times a step runs it (conv layers: once per sample). */
  readonly times: number;
}

/**
 * The matrix products of one training step: per dense layer the forward X·Wᵀ, the weight gradient dYᵀ·X and,
 * unless no layer with weights comes before it, the input gradient dY·W; per conv layer the same three once per
 * sample, as the engine runs them (W [filters, C kh kw] · col [C kh kw, outH outW], gz · colᵀ and Wᵀ · gz).
 */
export function stepProducts(w: Workload): MatmulShape[] {
  const out: MatmulShape[] = [];
  const b = w.batch;
  let shape = w.input;
  let weighted = 0;
  for (const spec of w.layers) {
    const next = layerOutputShape(spec, shape);
    if ('error' in next) throw new Error(`${w.name}: ${next.error}`);
    if (spec.type === 'dense') {
      const nIn = shapeSize(shape);
      const nOut = spec.units;
      const at = ++weighted;
      out.push({ what: `forward ${at}`, m: b, k: nIn, n: nOut, transA: false, transB: true, times: 1 });
      out.push({ what: `weight gradient ${at}`, m: nOut, k: b, n: nIn, transA: true, transB: false, times: 1 });
      if (at > 1)
        out.push({ what: `input gradient ${at}`, m: b, k: nOut, n: nIn, transA: false, transB: false, times: 1 });
    } else if (spec.type === 'conv2d' && isImage(shape) && isImage(next.shape)) {
      const fanIn = shape[0] * spec.kernel[0] * spec.kernel[1];
      const filters = spec.filters;
      const P = next.shape[1] * next.shape[2];
      const at = ++weighted;
      const perSample = { transA: false, transB: false, times: b };
      out.push({ ...perSample, what: `conv forward ${at}`, m: filters, k: fanIn, n: P });
      out.push({ ...perSample, what: `conv weight gradient ${at}`, m: filters, k: P, n: fanIn, transB: true });
      if (at > 1)
        out.push({ ...perSample, what: `conv input gradient ${at}`, m: fanIn, k: filters, n: P, transA: true });
    }
    shape = next.shape;
  }
  return out;
}

/** FLOPs of one step (2 per multiply-add, matrix products only): W1 0.83 M, W2 411 M, W3 1,895 M, W4 453 M. */
export function stepFlops(w: Workload): number {
  return stepProducts(w).reduce((sum, s) => sum + 2 * s.m * s.k * s.n * s.times, 0);
}
