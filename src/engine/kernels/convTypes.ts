/**
 * The data-movement kernels of the convolutional layers: im2col and its adjoint col2im (the products themselves run
 * on the matmul kernels), and pooling forward and backward. Images are NCHW; offsets are in floats, so callers pass
 * one sample's (or one batch's) place in a larger buffer without making a view per call.
 */
export interface WindowGeometry {
  /** Input channels, height, width. */
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  stride: number;
  padding: number;
  /** Output height and width. */
  outH: number;
  outW: number;
}

export interface ConvKernels {
  readonly name: string;
  /**
   * col[(c kh kw + i kw + j), (oy outW + ox)] = x[xAt + c H W + (oy s - p + i) W + (ox s - p + j)], 0 outside the
   * image: [channels * kernelH * kernelW, outH * outW] for one sample.
   */
  im2col(x: Float32Array, xAt: number, g: WindowGeometry, col: Float32Array): void;
  /** The adjoint of im2col: gx[gxAt + ...] += col[...] over one sample, in im2col's element order. */
  col2im(col: Float32Array, g: WindowGeometry, gx: Float32Array, gxAt: number): void;
  /**
   * Max pooling over `planes` (= batch * channels) planes of H x W; out [planes, outH, outW], and argmax the
   * in-plane index of each window's maximum (the first one in row-major order on ties, as PyTorch).
   */
  maxPool(x: Float32Array, g: WindowGeometry, planes: number, out: Float32Array, argmax: Int32Array): void;
  /** gx = 0, then gx[plane, argmax] += grad for every window. */
  maxPoolBack(grad: Float32Array, argmax: Int32Array, g: WindowGeometry, planes: number, gx: Float32Array): void;
  /** Average pooling (no padding): the window's f32 sum (row-major, from 0) divided by kernelH kernelW. */
  avgPool(x: Float32Array, g: WindowGeometry, planes: number, out: Float32Array): void;
  /** gx = 0, then every input of a window gets fround(grad / (kernelH kernelW)) added. */
  avgPoolBack(grad: Float32Array, g: WindowGeometry, planes: number, gx: Float32Array): void;
  /**
   * A conv layer's bias and ReLU over `planes` (= batch * channels) planes of `positions` floats: z += b[channel]
   * in place, out = z > 0 ? z : 0.
   */
  planeBiasRelu(
    z: Float32Array,
    b: Float32Array,
    out: Float32Array,
    planes: number,
    channels: number,
    positions: number,
  ): void;
  /**
   * ReLU's backward in place (grad = z > 0 ? grad : 0) and the bias gradient gb[channel] = the sum of its planes,
   * each summed as planeSums (convTypescript.ts) does.
   */
  planeReluBackBias(
    z: Float32Array,
    grad: Float32Array,
    gb: Float32Array,
    planes: number,
    channels: number,
    positions: number,
  ): void;
}
