/**
 * A sequential network compiled from a config's layers: flat buffers sized once for the largest batch, one
 * forward and one backward pass per step, nothing allocated while training. Dropout masks are drawn from the
 * stream it is given, or injected (the golden tests use PyTorch's).
 */
import type { Activation, LayerMode, LayerSpec } from '../../protocol/modelSpec';
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

export interface BatchNormLayer {
  kind: 'batchnorm';
  index: number;
  spec: Extract<LayerSpec, { type: 'batchnorm' }>;
  mode: LayerMode;
  units: number;
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

export type Layer = DenseLayer | DropoutLayer | BatchNormLayer;

/**
 * Per-pass override of the layers' own modes: `eval` and `train` force every layer; `mc` (Monte Carlo dropout)
 * turns dropout layers and DropConnect on, the rest (batch norm) eval.
 */
export type PassMode = 'own' | 'eval' | 'train' | 'mc';

/** The mode `layer` runs in during a `pass`-mode forward pass. */
export function passLayerMode(pass: PassMode, layer: Layer): LayerMode {
  if (pass === 'own') return layer.mode;
  if (pass !== 'mc') return pass;
  return layer.kind === 'dropout' || (layer.kind === 'dense' && layer.rate > 0) ? 'train' : 'eval';
}

export class Network {
  readonly layers: Layer[];
  readonly parameters: Parameter[] = [];
  readonly outputDim: number;
  private readonly inputs: Float32Array[];
  private readonly empty = new Float32Array(0);
  private readonly elementwise: ElementwiseKernels = elementwiseSimd() ?? {
    mask: applyMask,
    biasRelu: (z, b, out, rows, units) => biasActivate('relu', z, b, out, rows, units),
    reluBackBias: (z, grad, gb, rows, units) => activationBackwardBias('relu', z, z, grad, gb, rows, units),
  };

  constructor(
    specs: LayerSpec[],
    readonly inputDim: number,
    readonly maxBatch: number,
    private readonly kernels: MatmulKernels,
  ) {
    let width = inputDim;
    this.layers = specs.map((spec, index) => {
      const layer = this.build(spec, index, width);
      width = layer.units;
      return layer;
    });
    this.outputDim = width;
    this.inputs = this.layers.map(() => this.empty);
    for (const l of this.layers) {
      if (l.kind === 'dense') this.parameters.push({ value: l.W, grad: l.gW }, { value: l.b, grad: l.gb });
      if (l.kind === 'batchnorm')
        this.parameters.push({ value: l.gamma, grad: l.gGamma }, { value: l.beta, grad: l.gBeta });
    }
  }

  private build(spec: LayerSpec, index: number, inputs: number): Layer {
    const B = this.maxBatch;
    switch (spec.type) {
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
        return {
          kind: 'batchnorm',
          index,
          spec,
          mode: 'train',
          units: inputs,
          gamma: new Float32Array(inputs).fill(1),
          beta: new Float32Array(inputs),
          gGamma: new Float32Array(inputs),
          gBeta: new Float32Array(inputs),
          runningMean: new Float32Array(inputs),
          runningVar: new Float32Array(inputs).fill(1),
          mean: new Float32Array(inputs),
          invStd: new Float32Array(inputs),
          xhat: new Float32Array(B * inputs),
          out: new Float32Array(B * inputs),
          gradIn: new Float32Array(B * inputs),
          usedBatchStats: false,
        };
    }
  }

  /** He (normal, std sqrt(2/in)) or Xavier (uniform, ±sqrt(6/(in+out))) weights; zero biases. */
  initialize(kind: 'he' | 'xavier', rng: SeededRandom): void {
    for (const l of this.layers) {
      if (l.kind !== 'dense') continue;
      const std = Math.sqrt(2 / l.inputs);
      const bound = Math.sqrt(6 / (l.inputs + l.units));
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
      const mode = passLayerMode(pass, l);
      if (l.kind === 'dense')
        input = this.denseForward(
          l,
          input,
          batch,
          mode === 'train',
          rng,
          inject?.get(l.index) as Uint8Array | undefined,
        );
      else if (l.kind === 'dropout')
        input = this.dropoutForward(l, input, batch, mode === 'train', rng, inject?.get(l.index));
      else input = this.batchNormForward(l, input, batch, mode === 'train', updateStats);
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

  private batchNormForward(
    l: BatchNormLayer,
    x: Float32Array,
    batch: number,
    training: boolean,
    updateStats: boolean,
  ): Float32Array {
    const C = l.units;
    const { momentum, epsilon } = l.spec;
    l.usedBatchStats = training;
    for (let c = 0; c < C; c++) {
      let mean: number;
      let variance: number;
      if (training) {
        mean = 0;
        for (let r = 0; r < batch; r++) mean += x[r * C + c]!;
        mean /= batch;
        variance = 0;
        for (let r = 0; r < batch; r++) variance += (x[r * C + c]! - mean) ** 2;
        variance /= batch;
        if (updateStats) {
          l.runningMean[c] = (1 - momentum) * l.runningMean[c]! + momentum * mean;
          l.runningVar[c] =
            (1 - momentum) * l.runningVar[c]! + momentum * (batch > 1 ? (variance * batch) / (batch - 1) : variance);
        }
      } else {
        mean = l.runningMean[c]!;
        variance = l.runningVar[c]!;
      }
      const invStd = 1 / Math.sqrt(variance + epsilon);
      l.mean[c] = mean;
      l.invStd[c] = invStd;
      for (let r = 0; r < batch; r++) {
        const i = r * C + c;
        const xhat = (x[i]! - mean) * invStd;
        l.xhat[i] = xhat;
        l.out[i] = l.gamma[c]! * xhat + l.beta[c]!;
      }
    }
    return l.out;
  }

  /** Backward pass from d loss / d output (consumed in place). Fills every parameter's gradient. Returns d loss / d input when `inputGrad`. */
  backward(gradOut: Float32Array, batch: number, inputGrad = false): Float32Array | undefined {
    let grad = gradOut;
    for (let k = this.layers.length - 1; k >= 0; k--) {
      const l = this.layers[k]!;
      const needInput = k > 0 || inputGrad;
      if (l.kind === 'dense') grad = this.denseBackward(l, grad, batch, needInput);
      else if (l.kind === 'dropout') grad = this.dropoutBackward(l, grad, batch);
      else grad = this.batchNormBackward(l, grad, batch);
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

  private batchNormBackward(l: BatchNormLayer, grad: Float32Array, batch: number): Float32Array {
    const C = l.units;
    for (let c = 0; c < C; c++) {
      let sumG = 0;
      let sumGX = 0;
      for (let r = 0; r < batch; r++) {
        const i = r * C + c;
        sumG += grad[i]!;
        sumGX += grad[i]! * l.xhat[i]!;
      }
      l.gBeta[c] = sumG;
      l.gGamma[c] = sumGX;
      const scale = l.gamma[c]! * l.invStd[c]!;
      for (let r = 0; r < batch; r++) {
        const i = r * C + c;
        l.gradIn[i] = l.usedBatchStats
          ? (scale / batch) * (batch * grad[i]! - sumG - l.xhat[i]! * sumGX)
          : scale * grad[i]!;
      }
    }
    return l.gradIn;
  }

  /** The input the last forward pass gave layer `index`. */
  inputOf(index: number): Float32Array {
    return this.inputs[index]!;
  }
}
