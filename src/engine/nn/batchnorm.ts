/**
 * Batch norm, one implementation for both layers: batchnorm (nn.BatchNorm1d, x [batch, C]) and batchnorm2d
 * (nn.BatchNorm2d, x [batch, C, H, W]): one mean and variance per channel over the batch and every position; the
 * biased variance normalizes, the unbiased one (over the N H W values) enters running_var.
 */
import type { BatchNorm2dLayerSpec, ImageShape, LayerMode } from '../../protocol/modelSpec';

/** What both batch norms hold: per-channel parameters and statistics, and per-value buffers [batch, C, positions]. */
export interface BatchNormState {
  spec: { momentum: number; epsilon: number };
  gamma: Float32Array;
  beta: Float32Array;
  gGamma: Float32Array;
  gBeta: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  mean: Float32Array;
  invStd: Float32Array;
  xhat: Float32Array;
  out: Float32Array;
  gradIn: Float32Array;
  usedBatchStats: boolean;
}

export interface BatchNorm2dLayer extends BatchNormState {
  kind: 'batchnorm2d';
  index: number;
  spec: BatchNorm2dLayerSpec;
  mode: LayerMode;
  shape: ImageShape;
  units: number;
}

/** Fresh state for `channels` channels of `values` values per sample: gamma 1, beta 0, running variance 1. */
export function batchNormState<S extends { momentum: number; epsilon: number }>(
  spec: S,
  channels: number,
  values: number,
  maxBatch: number,
): BatchNormState & { spec: S } {
  return {
    spec,
    gamma: new Float32Array(channels).fill(1),
    beta: new Float32Array(channels),
    gGamma: new Float32Array(channels),
    gBeta: new Float32Array(channels),
    runningMean: new Float32Array(channels),
    runningVar: new Float32Array(channels).fill(1),
    mean: new Float32Array(channels),
    invStd: new Float32Array(channels),
    xhat: new Float32Array(maxBatch * values),
    out: new Float32Array(maxBatch * values),
    gradIn: new Float32Array(maxBatch * values),
    usedBatchStats: false,
  };
}

export function buildBatchNorm2d(
  spec: BatchNorm2dLayerSpec,
  index: number,
  shape: ImageShape,
  maxBatch: number,
): BatchNorm2dLayer {
  const units = shape[0] * shape[1] * shape[2];
  return {
    kind: 'batchnorm2d',
    index,
    mode: 'train',
    shape,
    units,
    ...batchNormState(spec, shape[0], units, maxBatch),
  };
}

/**
 * Forward over x [batch, C, P]: one mean and variance per channel over the batch and its P positions (P = 1 for
 * the 1-D batchnorm, whose x is [batch, C]).
 */
export function batchNormForward(
  l: BatchNormState,
  C: number,
  P: number,
  x: Float32Array,
  batch: number,
  training: boolean,
  updateStats: boolean,
): Float32Array {
  const count = batch * P;
  const { momentum, epsilon } = l.spec;
  l.usedBatchStats = training;
  for (let c = 0; c < C; c++) {
    let mean: number;
    let variance: number;
    if (training) {
      mean = 0;
      for (let n = 0; n < batch; n++) for (let i = (n * C + c) * P, end = i + P; i < end; i++) mean += x[i]!;
      mean /= count;
      variance = 0;
      for (let n = 0; n < batch; n++)
        for (let i = (n * C + c) * P, end = i + P; i < end; i++) variance += (x[i]! - mean) ** 2;
      variance /= count;
      if (updateStats) {
        l.runningMean[c] = (1 - momentum) * l.runningMean[c]! + momentum * mean;
        l.runningVar[c] =
          (1 - momentum) * l.runningVar[c]! + momentum * (count > 1 ? (variance * count) / (count - 1) : variance);
      }
    } else {
      mean = l.runningMean[c]!;
      variance = l.runningVar[c]!;
    }
    const invStd = 1 / Math.sqrt(variance + epsilon);
    l.mean[c] = mean;
    l.invStd[c] = invStd;
    const gamma = l.gamma[c]!;
    const beta = l.beta[c]!;
    for (let n = 0; n < batch; n++)
      for (let i = (n * C + c) * P, end = i + P; i < end; i++) {
        const xhat = (x[i]! - mean) * invStd;
        l.xhat[i] = xhat;
        l.out[i] = gamma * xhat + beta;
      }
  }
  return l.out;
}

export function batchNormBackward(
  l: BatchNormState,
  C: number,
  P: number,
  grad: Float32Array,
  batch: number,
): Float32Array {
  const count = batch * P;
  for (let c = 0; c < C; c++) {
    let sumG = 0;
    let sumGX = 0;
    for (let n = 0; n < batch; n++)
      for (let i = (n * C + c) * P, end = i + P; i < end; i++) {
        sumG += grad[i]!;
        sumGX += grad[i]! * l.xhat[i]!;
      }
    l.gBeta[c] = sumG;
    l.gGamma[c] = sumGX;
    const scale = l.gamma[c]! * l.invStd[c]!;
    for (let n = 0; n < batch; n++)
      for (let i = (n * C + c) * P, end = i + P; i < end; i++)
        l.gradIn[i] = l.usedBatchStats
          ? (scale / count) * (count * grad[i]! - sumG - l.xhat[i]! * sumGX)
          : scale * grad[i]!;
  }
  return l.gradIn;
}
