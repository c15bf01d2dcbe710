/**
 * dropout2d (nn.Dropout2d): in training each sample's channels are dropped whole with probability p, the kept ones
 * scaled by 1/(1-p); in eval the identity. The channel mask [batch, channels] is drawn from the engine's seeded
 * stream, or injected (the golden tests inject PyTorch's F.dropout2d masks).
 */
import type { Dropout2dLayerSpec, ImageShape, LayerMode } from '../../protocol/modelSpec';
import type { ElementwiseKernels } from '../kernels/elementwise';
import type { SeededRandom } from '../random';
import { checkRate, countDropped, trainScale } from './dropout';

export interface Dropout2dLayer {
  kind: 'dropout2d';
  index: number;
  spec: Dropout2dLayerSpec;
  mode: LayerMode;
  shape: ImageShape;
  units: number;
  rate: number;
  /** [batch, channels], 1 = kept. */
  channelKeep: Uint8Array;
  /** channelKeep spread over each channel's positions: [batch, units]. */
  keep: Uint8Array;
  input: Float32Array;
  out: Float32Array;
  gradIn: Float32Array;
  active: boolean;
  /** Dropped values (channels x positions) in the last training pass. */
  dropped: number;
}

export function buildDropout2d(
  spec: Dropout2dLayerSpec,
  index: number,
  shape: ImageShape,
  maxBatch: number,
  empty: Float32Array,
): Dropout2dLayer {
  checkRate(spec.rate);
  const units = shape[0] * shape[1] * shape[2];
  return {
    kind: 'dropout2d',
    index,
    spec,
    mode: 'train',
    shape,
    units,
    rate: spec.rate,
    channelKeep: new Uint8Array(maxBatch * shape[0]),
    keep: new Uint8Array(maxBatch * units),
    input: empty,
    out: new Float32Array(maxBatch * units),
    gradIn: new Float32Array(maxBatch * units),
    active: false,
    dropped: 0,
  };
}

export function dropout2dForward(
  l: Dropout2dLayer,
  x: Float32Array,
  batch: number,
  training: boolean,
  rng: SeededRandom,
  elementwise: ElementwiseKernels,
  injected?: Uint8Array,
): Float32Array {
  const n = batch * l.units;
  l.input = x;
  l.active = training;
  l.dropped = 0;
  if (!training) {
    for (let i = 0; i < n; i++) l.out[i] = x[i]!;
    return l.out;
  }
  const C = l.shape[0];
  const P = l.shape[1] * l.shape[2];
  const count = batch * C;
  if (injected) {
    l.channelKeep.set(injected.subarray(0, count));
    l.dropped = countDropped(l.channelKeep, count) * P;
  } else l.dropped = rng.bernoulli(l.channelKeep, count, l.rate) * P;
  for (let q = 0; q < count; q++) l.keep.fill(l.channelKeep[q]!, q * P, (q + 1) * P);
  elementwise.mask(x, l.keep, trainScale(l.rate, 'inverted'), l.out, n);
  return l.out;
}

export function dropout2dBackward(
  l: Dropout2dLayer,
  grad: Float32Array,
  batch: number,
  elementwise: ElementwiseKernels,
): Float32Array {
  const n = batch * l.units;
  if (!l.active) for (let i = 0; i < n; i++) l.gradIn[i] = grad[i]!;
  else elementwise.mask(grad, l.keep, trainScale(l.rate, 'inverted'), l.gradIn, n);
  return l.gradIn;
}
