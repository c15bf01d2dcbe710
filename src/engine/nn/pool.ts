/** maxpool2d and avgpool2d over square windows, no padding (nn.MaxPool2d / nn.AvgPool2d with their defaults). */
import type { ImageShape, LayerMode, Pool2dLayerSpec } from '../../protocol/modelSpec';
import type { ConvKernels, WindowGeometry } from '../kernels/convTypes';
import { windowGeometry } from '../kernels/convTypescript';

export interface Pool2dLayer {
  kind: 'pool2d';
  index: number;
  spec: Pool2dLayerSpec;
  mode: LayerMode;
  inShape: ImageShape;
  shape: ImageShape;
  inputs: number;
  units: number;
  geometry: WindowGeometry;
  out: Float32Array;
  /** Max pooling: each window's winner, as an index into its input plane. */
  argmax: Int32Array;
  gradIn: Float32Array;
}

export function buildPool2d(
  spec: Pool2dLayerSpec,
  index: number,
  inShape: ImageShape,
  shape: ImageShape,
  maxBatch: number,
): Pool2dLayer {
  const inputs = inShape[0] * inShape[1] * inShape[2];
  const units = shape[0] * shape[1] * shape[2];
  return {
    kind: 'pool2d',
    index,
    spec,
    mode: 'train',
    inShape,
    shape,
    inputs,
    units,
    geometry: windowGeometry(inShape, [spec.size, spec.size], spec.stride, 0, [shape[1], shape[2]]),
    out: new Float32Array(maxBatch * units),
    argmax: new Int32Array(spec.type === 'maxpool2d' ? maxBatch * units : 0),
    gradIn: new Float32Array(maxBatch * inputs),
  };
}

export function pool2dForward(l: Pool2dLayer, x: Float32Array, batch: number, conv: ConvKernels): Float32Array {
  const planes = batch * l.shape[0];
  if (l.spec.type === 'maxpool2d') conv.maxPool(x, l.geometry, planes, l.out, l.argmax);
  else conv.avgPool(x, l.geometry, planes, l.out);
  return l.out;
}

export function pool2dBackward(l: Pool2dLayer, grad: Float32Array, batch: number, conv: ConvKernels): Float32Array {
  const planes = batch * l.shape[0];
  if (l.spec.type === 'maxpool2d') conv.maxPoolBack(grad, l.argmax, l.geometry, planes, l.gradIn);
  else conv.avgPoolBack(grad, l.geometry, planes, l.gradIn);
  return l.gradIn;
}
