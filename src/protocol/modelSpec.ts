/**
 * The typed form of a model config (`*.dropout.yaml` / `*.dropout.json`), after parsing and validation.
 * One shape feeds the engine, the diagnostics and the JSON Schema (schemas/model-config.schema.json).
 * Rates are always drop probabilities (PyTorch/Keras convention), in [0, 1).
 * The words of the vocabulary (kinds, activations, optimizers, ...) come from ./vocabulary, written once there.
 */
import type {
  ACTIVATIONS,
  DROPOUT_KINDS,
  DROPOUT_SCALINGS,
  GENERATORS,
  INITS,
  LAYER_MODES,
  LOSSES,
  OPTIMIZERS,
  LayerKind,
  SCHEDULES,
} from './vocabulary';

export type { LayerKind } from './vocabulary';

export type Activation = (typeof ACTIVATIONS)[number];

/** Bernoulli, Gaussian and spatial dropout are layers; DropConnect is an option of a dense layer. */
export type DropoutKind = (typeof DROPOUT_KINDS)[number];

/** `inverted` scales kept units by 1/(1-rate) in training (PyTorch/Keras); `standard` scales by (1-rate) at test (the paper). */
export type DropoutScaling = (typeof DROPOUT_SCALINGS)[number];

export type LayerMode = (typeof LAYER_MODES)[number];

export interface DenseLayerSpec {
  type: 'dense';
  units: number;
  activation: Activation;
  /** DropConnect: drop rate applied to this layer's weights (inverted scaling). 0 or absent: off. */
  dropConnect?: number;
}

export interface DropoutLayerSpec {
  type: 'dropout';
  rate: number;
  kind: DropoutKind;
  scaling: DropoutScaling;
  /** For `spatial`: the layer input viewed as [positions, channels]; positions * channels must equal its width. */
  shape?: [number, number];
}

export interface BatchNormLayerSpec {
  type: 'batchnorm';
  momentum: number; // PyTorch convention: running = (1 - momentum) * running + momentum * batch
  epsilon: number;
}

/**
 * Convolutional layers (issue 14), NCHW like PyTorch. A layer's input and output are `[channels, height, width]`
 * per sample, stored flat in that order (channel c of sample n covers H*W contiguous floats).
 */
export type ImageShape = [channels: number, height: number, width: number];

export interface Conv2dLayerSpec {
  type: 'conv2d';
  /** Output channels. */
  filters: number;
  /** Kernel [height, width]; the config's `kernel: 3` means [3, 3]. */
  kernel: [number, number];
  stride: number;
  /** Zero padding on every side. */
  padding: number;
  activation: Activation;
  /** DropConnect on the kernel weights (inverted scaling). 0 or absent: off. */
  dropConnect?: number;
}

export interface Pool2dLayerSpec {
  type: 'maxpool2d' | 'avgpool2d';
  /** Window side; `maxpool2d: 2` means size 2. */
  size: number;
  /** Defaults to the size, as in PyTorch. */
  stride: number;
}

/** [C, H, W] to a flat vector of C*H*W, in NCHW order (torch.flatten(x, 1)). */
export interface FlattenLayerSpec {
  type: 'flatten';
}

/** Per-channel batch norm over N, H and W (nn.BatchNorm2d); same conventions as `batchnorm`. */
export interface BatchNorm2dLayerSpec {
  type: 'batchnorm2d';
  momentum: number;
  epsilon: number;
}

/** nn.Dropout2d: each sample's whole channels dropped with probability `rate`, kept ones scaled by 1/(1-rate). */
export interface Dropout2dLayerSpec {
  type: 'dropout2d';
  rate: number;
}

export type LayerSpec =
  | DenseLayerSpec
  | DropoutLayerSpec
  | BatchNormLayerSpec
  | Conv2dLayerSpec
  | Pool2dLayerSpec
  | FlattenLayerSpec
  | BatchNorm2dLayerSpec
  | Dropout2dLayerSpec;

export type GeneratorName = (typeof GENERATORS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type ScheduleName = (typeof SCHEDULES)[number];
export type LossName = (typeof LOSSES)[number];
export type InitName = (typeof INITS)[number];

export interface GeneratorDataSpec {
  source: 'generator';
  generator: GeneratorName;
  samples: number;
  noise: number;
  /** Class count for blobs and spirals; ignored elsewhere. */
  classes?: number;
  /** Fraction of samples held out for validation, in (0, 1). */
  validation: number;
}

export interface CsvDataSpec {
  source: 'csv';
  /** Path as written in the config, relative to the config file's folder. */
  path: string;
  /** Label column: a header name or a 0-based index. Absent: the last column. */
  label?: string | number;
  /** Standardize features to zero mean, unit variance (statistics from the training split). Default true. */
  standardize: boolean;
  /** Each row's features are an image of this [C, H, W], in NCHW order: C*H*W must equal the feature count. */
  shape?: ImageShape;
  validation: number;
}

export type DataSpec = GeneratorDataSpec | CsvDataSpec;

export interface SgdSpec {
  kind: 'sgd';
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export interface AdamSpec {
  kind: 'adam';
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export type OptimizerSpec = SgdSpec | AdamSpec;

// Compile-time ties: a word added to the vocabulary without its spec (or the reverse) fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type VocabularyTies = [
  Holds<Same<LayerSpec['type'], LayerKind>>,
  Holds<Same<OptimizerSpec['kind'], OptimizerName>>,
  Holds<Same<ScheduleSpec['kind'], ScheduleName>>,
];

export type ScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'step'; every: number; gamma: number } // lr *= gamma every `every` epochs
  | { kind: 'exponential'; gamma: number }; // lr *= gamma every epoch

export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  /** Max-norm constraint on each unit's incoming weight vector; absent: off. */
  maxNorm?: number;
  loss: LossName;
  init: InitName;
}

export interface EvaluationSpec {
  /** The mode the evaluation runs in. `train` is the classic mistake, unless mcSamples declares Monte Carlo dropout. */
  mode: LayerMode;
  /** Monte Carlo dropout: number of stochastic passes at inference. */
  mcSamples?: number;
}

export interface ModelSpec {
  name: string;
  seed: number;
  data: DataSpec;
  model: {
    /** Input width, or an image's [C, H, W]. Optional for CSV data, where the file decides it. */
    input?: number | ImageShape;
    layers: LayerSpec[];
  };
  training: TrainingSpec;
  evaluation: EvaluationSpec;
}
