/**
 * A sequential network compiled from a config's layers: flat buffers sized once for the largest batch, one
 * forward and one backward pass per step, nothing allocated while training. Dropout masks are drawn from the
 * stream it is given, or injected (the golden tests use PyTorch's).
 */
import { isImage, layerOutputShape, shapeSize, type LayerShape } from '../../protocol/layerShapes';
import type { Activation, FlattenLayerSpec, ImageShape, LayerMode, LayerSpec } from '../../protocol/modelSpec';
import { convKernels } from '../kernels/conv';
import type { ConvKernels } from '../kernels/convTypes';
import { elementwiseSimd, type ElementwiseKernels } from '../kernels/elementwise';
import type { MatmulKernels } from '../kernels/types';
import type { SeededRandom } from '../random';
import { activationBackwardBias, biasActivate } from './activation';
import {
  applyEval,
  applyMask,
  applyNoise,
  checkRate,
  countDropped,
  drawGaussian,
  expandSpatial,
  trainScale,
} from './dropout';
import type { Parameter } from './optim';
import {
  batchNormBackward,
  batchNormForward,
  batchNormState,
  buildBatchNorm2d,
  type BatchNorm2dLayer,
  type BatchNormState,
} from './batchnorm';
import { buildConv2d, conv2dBackward, conv2dForward, type Conv2dLayer, type ConvContext } from './conv';
import { buildDropout2d, dropout2dBackward, dropout2dForward, type Dropout2dLayer } from './dropout2d';
import { buildPool2d, pool2dBackward, pool2dForward, type Pool2dLayer } from './pool';

export type { BatchNorm2dLayer } from './batchnorm';
export type { Conv2dLayer } from './conv';
export type { Dropout2dLayer } from './dropout2d';
export type { Pool2dLayer } from './pool';

export interface DenseLayer {
  kind: 'dense';
  index: number;
  spec: LayerSpec;
  mode: LayerMode;
  inputs: number;
  units: number;
  activation: Activation;
  W: Float32Array; // [units, inputs]
  b: Float32Array;
  gW: Float32Array;
  gb: Float32Array;
  z: Float32Array; // [batch, units] before the activation
  out: Float32Array; // [batch, units]
  gradIn: Float32Array; // [batch, inputs]
  /** DropConnect: rate on W; keepW [units, inputs]; Weff = W * keepW * scale in training. */
  rate: number;
  keepW: Uint8Array | undefined;
  Weff: Float32Array | undefined;
  /** Whether the last forward pass masked W, and how many of keepW it dropped. */
  masked: boolean;
  dropped: number;
}

export interface DropoutLayer {
  kind: 'dropout';
  index: number;
  spec: Extract<LayerSpec, { type: 'dropout' }>;
  mode: LayerMode;
  units: number;
  rate: number;
  keep: Uint8Array; // [batch, units]
  channelKeep: Uint8Array | undefined; // spatial: [batch, channels]
  noise: Float32Array | undefined; // gaussian: [batch, units]
  input: Float32Array; // the last forward pass's input (a view of the previous layer's output)
  out: Float32Array;
  gradIn: Float32Array;
  /** Whether the last forward pass dropped (train mode), and how many of its batch x units entries. */
  active: boolean;
  dropped: number;
}

export interface BatchNormLayer extends BatchNormState {
  kind: 'batchnorm';
  index: number;
  spec: Extract<LayerSpec, { type: 'batchnorm' }>;
  mode: LayerMode;
  units: number;
}

/** [C, H, W] to C*H*W: the same floats in the same (NCHW) order, so forward and backward pass buffers through. */
export interface FlattenLayer {
  kind: 'flatten';
  index: number;
  spec: FlattenLayerSpec;
  mode: LayerMode;
  inShape: ImageShape;
  units: number;
}

export type Layer =
  | DenseLayer
  | DropoutLayer
  | BatchNormLayer
  | Conv2dLayer
  | Pool2dLayer
  | FlattenLayer
  | BatchNorm2dLayer
  | Dropout2dLayer;

/**
 * Per-pass override of the layers' own modes: `eval` and `train` force every layer; `mc` (Monte Carlo dropout)
 * turns dropout layers and DropConnect on, the rest (batch norm) eval.
 */
export type PassMode = 'own' | 'eval' | 'train' | 'mc';

/** The mode `layer` runs in during a `pass`-mode forward pass. */
export function passLayerMode(pass: PassMode, layer: Layer): LayerMode {
  if (pass === 'own') return layer.mode;
  if (pass !== 'mc') return pass;
  const dropout = layer.kind === 'dropout' || layer.kind === 'dropout2d';
  const dropConnect = (layer.kind === 'dense' || layer.kind === 'conv2d') && layer.rate > 0;
  return dropout || dropConnect ? 'train' : 'eval';
}

export class Network {
  readonly layers: Layer[];
  readonly parameters: Parameter[] = [];
  readonly outputDim: number;
  readonly inputDim: number;
  /** Each layer's output shape (an image's [C, H, W], or a width). */
  readonly shapes: LayerShape[];
  private readonly inputs: Float32Array[];
  private readonly empty = new Float32Array(0);
  private readonly elementwise: ElementwiseKernels = elementwiseSimd() ?? {
    mask: applyMask,
    biasRelu: (z, b, out, rows, units) => biasActivate('relu', z, b, out, rows, units),
    reluBackBias: (z, grad, gb, rows, units) => activationBackwardBias('relu', z, z, grad, gb, rows, units),
  };

  private readonly conv: ConvContext;

  /** `input`: the width of a flat input, or an image's [C, H, W]. */
  constructor(
    specs: LayerSpec[],
    input: LayerShape,
    readonly maxBatch: number,
    private readonly kernels: MatmulKernels,
    convKernelsOverride?: ConvKernels,
  ) {
    this.inputDim = shapeSize(input);
    this.conv = { matmul: kernels, conv: convKernelsOverride ?? convKernels(), elementwise: this.elementwise };
    let shape = input;
    this.shapes = [];
    this.layers = specs.map((spec, index) => {
      const next = layerOutputShape(spec, shape);
      if ('error' in next) throw new RangeError(`Layer ${index}: ${next.error}`);
      const layer = this.build(spec, index, shape, next.shape);
      shape = next.shape;
      this.shapes.push(shape);
      return layer;
    });
    if (isImage(shape))
      throw new RangeError(`The model ends on an image [${shape.join(', ')}]: end with flatten and a dense layer.`);
    this.outputDim = shape;
    this.inputs = this.layers.map(() => this.empty);
    for (const l of this.layers) {
      if (l.kind === 'dense' || l.kind === 'conv2d')
        this.parameters.push({ value: l.W, grad: l.gW }, { value: l.b, grad: l.gb });
      if (l.kind === 'batchnorm' || l.kind === 'batchnorm2d')
        this.parameters.push({ value: l.gamma, grad: l.gGamma }, { value: l.beta, grad: l.gBeta });
    }
  }

  private build(spec: LayerSpec, index: number, inShape: LayerShape, outShape: LayerShape): Layer {
    const B = this.maxBatch;
    const inputs = shapeSize(inShape);
    const image = (s: LayerShape) => s as ImageShape;
    switch (spec.type) {
      case 'conv2d':
        return buildConv2d(spec, index, image(inShape), image(outShape), B);
      case 'maxpool2d':
      case 'avgpool2d':
        return buildPool2d(spec, index, image(inShape), image(outShape), B);
      case 'flatten':
        return { kind: 'flatten', index, spec, mode: 'train', inShape: image(inShape), units: inputs };
      case 'batchnorm2d':
        return buildBatchNorm2d(spec, index, image(inShape), B);
      case 'dropout2d':
        return buildDropout2d(spec, index, image(inShape), B, this.empty);
      case 'dense': {
        const rate = spec.dropConnect ?? 0;
        checkRate(rate);
        const n = spec.units * inputs;
        return {
          kind: 'dense',
          index,
          spec,
          mode: 'train',
          inputs,
          units: spec.units,
          activation: spec.activation,
          W: new Float32Array(n),
          b: new Float32Array(spec.units),
          gW: new Float32Array(n),
          gb: new Float32Array(spec.units),
          z: new Float32Array(B * spec.units),
          out: new Float32Array(B * spec.units),
          gradIn: new Float32Array(B * inputs),
          rate,
          keepW: new Uint8Array(n),
          Weff: new Float32Array(n),
          masked: false,
          dropped: 0,
        };
      }
      case 'dropout': {
        checkRate(spec.rate);
        if (spec.kind === 'spatial') {
          const [positions, channels] = spec.shape ?? [0, 0];
          if (positions * channels !== inputs)
            throw new RangeError(
              `Layer ${index}: spatial dropout's shape [${positions}, ${channels}] must multiply to its input width ${inputs}.`,
            );
        }
        return {
          kind: 'dropout',
          index,
          spec,
          mode: 'train',
          units: inputs,
          rate: spec.rate,
          keep: new Uint8Array(B * inputs),
          channelKeep: spec.kind === 'spatial' ? new Uint8Array(B * spec.shape![1]) : undefined,
          noise: spec.kind === 'gaussian' ? new Float32Array(B * inputs) : undefined,
          input: this.empty,
          out: new Float32Array(B * inputs),
          gradIn: new Float32Array(B * inputs),
          active: false,
          dropped: 0,
        };
      }
      case 'batchnorm':
        return { kind: 'batchnorm', index, mode: 'train', units: inputs, ...batchNormState(spec, inputs, inputs, B) };
    }
  }

  /**
   * He (normal, std sqrt(2/fan_in)) or Xavier (uniform, ±sqrt(6/(fan_in+fan_out))) weights; zero biases. Fans as
   * PyTorch's: dense in and out; conv2d channels kh kw and filters kh kw.
   */
  initialize(kind: 'he' | 'xavier', rng: SeededRandom): void {
    for (const l of this.layers) {
      if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
      const fanIn = l.kind === 'dense' ? l.inputs : l.fanIn;
      const fanOut = l.kind === 'dense' ? l.units : (l.W.length / l.fanIn) * l.spec.kernel[0] * l.spec.kernel[1];
      const std = Math.sqrt(2 / fanIn);
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < l.W.length; i++)
        l.W[i] = kind === 'he' ? std * rng.normal() : bound * (2 * rng.uniform() - 1);
    }
  }

  /**
   * Forward pass of `batch` rows of x. Returns the output buffer ([batch, outputDim], owned by the network).
   * `inject` supplies keep masks (dropout: [batch, units]; DropConnect: [units, inputs]) or Gaussian noise by layer index.
   */
  forward(
    x: Float32Array,
    batch: number,
    pass: PassMode,
    rng: SeededRandom,
    updateStats: boolean,
    inject?: Map<number, Uint8Array | Float32Array>,
  ): Float32Array {
    let input = x;
    for (const l of this.layers) {
      this.inputs[l.index] = input;
      const training = passLayerMode(pass, l) === 'train';
      const injected = inject?.get(l.index);
      switch (l.kind) {
        case 'dense':
          input = this.denseForward(l, input, batch, training, rng, injected as Uint8Array | undefined);
          break;
        case 'dropout':
          input = this.dropoutForward(l, input, batch, training, rng, injected);
          break;
        case 'batchnorm':
          input = batchNormForward(l, l.units, 1, input, batch, training, updateStats);
          break;
        case 'conv2d':
          input = conv2dForward(l, input, batch, training, rng, this.conv, injected as Uint8Array | undefined);
          break;
        case 'pool2d':
          input = pool2dForward(l, input, batch, this.conv.conv);
          break;
        case 'flatten':
          break;
        case 'batchnorm2d':
          input = batchNormForward(l, l.shape[0], l.shape[1] * l.shape[2], input, batch, training, updateStats);
          break;
        case 'dropout2d':
          input = dropout2dForward(
            l,
            input,
            batch,
            training,
            rng,
            this.elementwise,
            injected as Uint8Array | undefined,
          );
          break;
      }
    }
    return input;
  }

  private denseForward(
    l: DenseLayer,
    x: Float32Array,
    batch: number,
    training: boolean,
    rng: SeededRandom,
    keep?: Uint8Array,
  ): Float32Array {
    let W = l.W;
    l.masked = training && (l.rate > 0 || keep !== undefined);
    if (l.masked) {
      const keepW = l.keepW!;
      if (keep) {
        keepW.set(keep);
        l.dropped = countDropped(keepW, keepW.length);
      } else l.dropped = rng.bernoulli(keepW, keepW.length, l.rate);
      this.elementwise.mask(l.W, l.keepW!, trainScale(l.rate, 'inverted'), l.Weff!, l.W.length);
      W = l.Weff!;
    }
    this.kernels.matmul(x, W, l.z, batch, l.inputs, l.units, false, true, false);
    if (l.activation === 'relu') this.elementwise.biasRelu(l.z, l.b, l.out, batch, l.units);
    else biasActivate(l.activation, l.z, l.b, l.out, batch, l.units);
    return l.out;
  }

  private dropoutForward(
    l: DropoutLayer,
    x: Float32Array,
    batch: number,
    training: boolean,
    rng: SeededRandom,
    injected?: Uint8Array | Float32Array,
  ): Float32Array {
    const n = batch * l.units;
    l.input = x;
    l.active = training;
    l.dropped = 0;
    if (!training) {
      applyEval(x, l.rate, l.spec.scaling, l.out, n);
      return l.out;
    }
    if (l.spec.kind === 'gaussian') {
      if (injected) l.noise!.set(injected.subarray(0, n));
      else drawGaussian(l.noise!, n, l.rate, rng);
      applyNoise(x, l.noise!, l.out, n);
      return l.out;
    }
    if (l.spec.kind === 'spatial') {
      const [positions, channels] = l.spec.shape!;
      const count = batch * channels;
      if (injected) {
        l.channelKeep!.set(injected.subarray(0, count));
        l.dropped = countDropped(l.channelKeep!, count) * positions;
      } else l.dropped = rng.bernoulli(l.channelKeep!, count, l.rate) * positions;
      expandSpatial(l.channelKeep!, l.keep, batch, positions, channels);
    } else if (injected) {
      l.keep.set(injected.subarray(0, n));
      l.dropped = countDropped(l.keep, n);
    } else l.dropped = rng.bernoulli(l.keep, n, l.rate);
    this.elementwise.mask(x, l.keep, trainScale(l.rate, l.spec.scaling), l.out, n);
    return l.out;
  }

  /** Backward pass from d loss / d output (consumed in place). Fills every parameter's gradient. Returns d loss / d input when `inputGrad`. */
  backward(gradOut: Float32Array, batch: number, inputGrad = false): Float32Array | undefined {
    let grad = gradOut;
    for (let k = this.layers.length - 1; k >= 0; k--) {
      const l = this.layers[k]!;
      const needInput = k > 0 || inputGrad;
      switch (l.kind) {
        case 'dense':
          grad = this.denseBackward(l, grad, batch, needInput);
          break;
        case 'dropout':
          grad = this.dropoutBackward(l, grad, batch);
          break;
        case 'batchnorm':
          grad = batchNormBackward(l, l.units, 1, grad, batch);
          break;
        case 'conv2d':
          grad = conv2dBackward(l, this.inputs[l.index]!, grad, batch, needInput, this.conv);
          break;
        case 'pool2d':
          grad = pool2dBackward(l, grad, batch, this.conv.conv);
          break;
        case 'flatten':
          break;
        case 'batchnorm2d':
          grad = batchNormBackward(l, l.shape[0], l.shape[1] * l.shape[2], grad, batch);
          break;
        case 'dropout2d':
          grad = dropout2dBackward(l, grad, batch, this.elementwise);
          break;
      }
    }
    return inputGrad ? grad : undefined;
  }

  private denseBackward(l: DenseLayer, grad: Float32Array, batch: number, needInput: boolean): Float32Array {
    const x = this.inputs[l.index]!;
    if (l.activation === 'relu') this.elementwise.reluBackBias(l.z, grad, l.gb, batch, l.units);
    else activationBackwardBias(l.activation, l.z, l.out, grad, l.gb, batch, l.units);
    this.kernels.matmul(grad, x, l.gW, l.units, batch, l.inputs, true, false, false);
    if (l.masked) this.elementwise.mask(l.gW, l.keepW!, trainScale(l.rate, 'inverted'), l.gW, l.gW.length);
    if (!needInput) return l.gradIn;
    this.kernels.matmul(grad, l.masked ? l.Weff! : l.W, l.gradIn, batch, l.units, l.inputs, false, false, false);
    return l.gradIn;
  }

  private dropoutBackward(l: DropoutLayer, grad: Float32Array, batch: number): Float32Array {
    const n = batch * l.units;
    if (!l.active) applyEval(grad, l.rate, l.spec.scaling, l.gradIn, n);
    else if (l.spec.kind === 'gaussian') applyNoise(grad, l.noise!, l.gradIn, n);
    else this.elementwise.mask(grad, l.keep, trainScale(l.rate, l.spec.scaling), l.gradIn, n);
    return l.gradIn;
  }

  /** The input the last forward pass gave layer `index`. */
  inputOf(index: number): Float32Array {
    return this.inputs[index]!;
  }
}
