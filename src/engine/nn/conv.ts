/**
 * conv2d, NCHW as PyTorch: W is [filters, channels, kh, kw] (stored as [filters, channels kh kw]), one bias per
 * filter. Forward per sample: col = im2col(x), z = W · col, out = f(z + b). Backward per sample: col again (one
 * sample's col is kept, not the batch's), gW += gz · colᵀ, and gx = col2im(Wᵀ · gz). One GEMM per sample: batching
 * the samples' columns into one product measured no faster on W4 (the per-sample products of its second conv run
 * at 40-43 GFLOP/s already) and would need the whole batch's columns. DropConnect masks W as a dense
 * layer does: Weff = W * keep / (1 - p) in training, and gW is masked the same way.
 */
import type { Activation, Conv2dLayerSpec, ImageShape, LayerMode } from '../../protocol/modelSpec';
import type { ConvKernels, WindowGeometry } from '../kernels/convTypes';
import { planeSums, windowGeometry } from '../kernels/convTypescript';
import type { ElementwiseKernels } from '../kernels/elementwise';
import type { MatmulKernels } from '../kernels/types';
import type { SeededRandom } from '../random';
import { activate, activationBackward } from './activation';
import { checkRate, countDropped, trainScale } from './dropout';
import { rowViews } from './rowViews';

export interface Conv2dLayer {
  kind: 'conv2d';
  index: number;
  spec: Conv2dLayerSpec;
  mode: LayerMode;
  inShape: ImageShape;
  shape: ImageShape;
  /** Input and output values per sample. */
  inputs: number;
  units: number;
  /** Weights per filter: channels kh kw (PyTorch's fan_in). */
  fanIn: number;
  activation: Activation;
  geometry: WindowGeometry;
  /** 1x1 kernel, stride 1, no padding: im2col is the identity, so the products read the samples themselves. */
  identityColumns: boolean;
  W: Float32Array; // [filters, fanIn]
  b: Float32Array;
  gW: Float32Array;
  gb: Float32Array;
  z: Float32Array; // [batch, filters, outH outW] before the activation
  out: Float32Array;
  gradIn: Float32Array; // [batch, inputs]
  /** One sample's im2col [fanIn, outH outW], and its gradient (empty when identityColumns). */
  col: Float32Array;
  gCol: Float32Array;
  rate: number;
  keepW: Uint8Array;
  Weff: Float32Array;
  masked: boolean;
  dropped: number;
}

export function buildConv2d(
  spec: Conv2dLayerSpec,
  index: number,
  inShape: ImageShape,
  shape: ImageShape,
  maxBatch: number,
): Conv2dLayer {
  const rate = spec.dropConnect ?? 0;
  checkRate(rate);
  const [channels, ,] = inShape;
  const [filters, outH, outW] = shape;
  const fanIn = channels * spec.kernel[0] * spec.kernel[1];
  const inputs = inShape[0] * inShape[1] * inShape[2];
  const units = filters * outH * outW;
  const n = filters * fanIn;
  const identityColumns = spec.kernel[0] === 1 && spec.kernel[1] === 1 && spec.stride === 1 && spec.padding === 0;
  const cols = identityColumns ? 0 : fanIn * outH * outW;
  return {
    kind: 'conv2d',
    index,
    spec,
    mode: 'train',
    inShape,
    shape,
    inputs,
    units,
    fanIn,
    activation: spec.activation,
    geometry: windowGeometry(inShape, spec.kernel, spec.stride, spec.padding, [outH, outW]),
    identityColumns,
    W: new Float32Array(n),
    b: new Float32Array(filters),
    gW: new Float32Array(n),
    gb: new Float32Array(filters),
    z: new Float32Array(maxBatch * units),
    out: new Float32Array(maxBatch * units),
    gradIn: new Float32Array(maxBatch * inputs),
    col: new Float32Array(cols),
    gCol: new Float32Array(cols),
    rate,
    keepW: new Uint8Array(n),
    Weff: new Float32Array(n),
    masked: false,
    dropped: 0,
  };
}

export interface ConvContext {
  matmul: MatmulKernels;
  conv: ConvKernels;
  elementwise: ElementwiseKernels;
}

export function conv2dForward(
  l: Conv2dLayer,
  x: Float32Array,
  batch: number,
  training: boolean,
  rng: SeededRandom,
  k: ConvContext,
  keep?: Uint8Array,
): Float32Array {
  let W = l.W;
  l.masked = training && (l.rate > 0 || keep !== undefined);
  if (l.masked) {
    if (keep) {
      l.keepW.set(keep);
      l.dropped = countDropped(l.keepW, l.keepW.length);
    } else l.dropped = rng.bernoulli(l.keepW, l.keepW.length, l.rate);
    k.elementwise.mask(l.W, l.keepW, trainScale(l.rate, 'inverted'), l.Weff, l.W.length);
    W = l.Weff;
  }
  const filters = l.shape[0];
  const P = l.shape[1] * l.shape[2];
  const z = rowViews(l.z, l.units, batch);
  const samples = l.identityColumns ? rowViews(x, l.inputs, batch) : undefined;
  for (let n = 0; n < batch; n++) {
    if (!samples) k.conv.im2col(x, n * l.inputs, l.geometry, l.col);
    k.matmul.matmul(W, samples ? samples[n]! : l.col, z[n]!, filters, l.fanIn, P, false, false, false);
  }
  if (l.activation === 'relu') k.conv.planeBiasRelu(l.z, l.b, l.out, batch * filters, filters, P);
  else {
    for (let q = 0, i = 0; q < batch * filters; q++) {
      const bias = l.b[q % filters]!;
      for (let end = i + P; i < end; i++) l.z[i] = l.z[i]! + bias;
    }
    activate(l.activation, l.z, l.out, batch * l.units);
  }
  return l.out;
}

/** From d loss / d out (consumed in place); fills gW and gb, and gradIn when `needInput`. */
export function conv2dBackward(
  l: Conv2dLayer,
  x: Float32Array,
  grad: Float32Array,
  batch: number,
  needInput: boolean,
  k: ConvContext,
): Float32Array {
  const filters = l.shape[0];
  const P = l.shape[1] * l.shape[2];
  if (l.activation === 'relu') k.conv.planeReluBackBias(l.z, grad, l.gb, batch * filters, filters, P);
  else {
    activationBackward(l.activation, l.z, l.out, grad, batch * l.units);
    planeSums(grad, l.gb, batch * filters, filters, P);
  }
  const g = rowViews(grad, l.units, batch);
  const W = l.masked ? l.Weff : l.W;
  if (batch === 0) l.gW.fill(0);
  if (l.identityColumns) {
    // col is the sample itself, and col2im the identity: the input gradient is Wᵀ · gz, written in place.
    const samples = rowViews(x, l.inputs, batch);
    const gx = rowViews(l.gradIn, l.inputs, batch);
    for (let n = 0; n < batch; n++) {
      k.matmul.matmul(g[n]!, samples[n]!, l.gW, filters, P, l.fanIn, false, true, n > 0);
      if (needInput) k.matmul.matmul(W, g[n]!, gx[n]!, l.fanIn, filters, P, true, false, false);
    }
  } else {
    if (needInput) l.gradIn.fill(0, 0, batch * l.inputs);
    for (let n = 0; n < batch; n++) {
      k.conv.im2col(x, n * l.inputs, l.geometry, l.col);
      k.matmul.matmul(g[n]!, l.col, l.gW, filters, P, l.fanIn, false, true, n > 0);
      if (!needInput) continue;
      k.matmul.matmul(W, g[n]!, l.gCol, l.fanIn, filters, P, true, false, false);
      k.conv.col2im(l.gCol, l.geometry, l.gradIn, n * l.inputs);
    }
  }
  if (l.masked) k.elementwise.mask(l.gW, l.keepW, trainScale(l.rate, 'inverted'), l.gW, l.gW.length);
  return l.gradIn;
}
