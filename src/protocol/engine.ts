/**
 * Host <-> engine worker messages. Layers are addressed by their index in `ModelSpec.model.layers`.
 * Heavy arrays are typed arrays whose buffers are transferred, never copied element by element.
 */
import type { ImageShape, LayerMode, LayerSpec, ModelSpec } from './modelSpec';

export const ENGINE_PROTOCOL_VERSION = 1;

export interface StartOptions {
  /** Masks and activation statistics are streamed at most this often per second (default 30). 0: never. */
  streamHz?: number;
  /** Start paused, waiting for `resume` or `step`. */
  paused?: boolean;
  /** Epochs between decision-boundary snapshots for 2-D inputs (default 1), and at most five a second. 0: never. */
  boundaryEvery?: number;
  /** Grid side of the decision-boundary snapshot (default 48). */
  boundaryResolution?: number;
  /** Engine workers sharing each step (data-parallel): 'auto' (default) takes two where the model is big enough. */
  workers?: WorkerSetting;
}

export type WorkerSetting = 'auto' | 1 | 2;

export type EngineCommand =
  | {
      type: 'start';
      version: typeof ENGINE_PROTOCOL_VERSION;
      spec: ModelSpec;
      /** The CSV file's text when `spec.data.source` is `csv`, read by the host. */
      csvText?: string;
      /** Or its bytes (UTF-8) as read, transferred: the host then neither decodes nor copies a large file. */
      csvBytes?: Uint8Array;
      /**
       * Or its absolute path: the engine reads the file itself, streamed into float32 arrays (only a regular
       * file, within a stated size), so no host holds the file in memory. Needs a host that can read files.
       */
      csvPath?: string;
      options?: StartOptions;
    }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step'; count?: number }
  | { type: 'stop' }
  /** `layer` absent: the whole model. */
  | { type: 'setMode'; layer?: number; mode: LayerMode }
  | { type: 'setRate'; layer: number; rate: number }
  /**
   * Inference on the model as it is now: while it trains (between two steps), and after `done` (completed or
   * stopped) until `release`. Answered by a `prediction` event with the same `requestId`.
   */
  | PredictCommand
  /** Frees a finished session's model; afterwards every command but `start` is refused. A worker then exits. */
  | { type: 'release' }
  | ReplayCommand;

/**
 * How the layers run during a prediction's passes: every layer in its own current mode (`own`), all in
 * eval or all in train mode, or `mc` (Monte Carlo dropout: dropout layers and DropConnect in train mode,
 * the rest, batch norm included, in eval mode).
 */
export type PredictMode = 'own' | 'eval' | 'train' | 'mc';

export interface PredictCommand {
  type: 'predict';
  requestId: string;
  /** Forward passes over the inputs, 1 to MAX_PREDICT_PASSES; each draws fresh masks where dropout is on. */
  passes: number;
  mode: PredictMode;
  /** Per-layer modes that override `mode` for those layers. */
  layers?: { layer: number; mode: LayerMode }[];
  /** Rows [examples, inputDim] row-major to predict; absent: the validation split (then accuracies are given). */
  inputs?: Float32Array;
  /** `passes`: every pass's outputs as well as the mean and variance (default `summary`: mean and variance only). */
  output?: 'summary' | 'passes';
  /** Seed of the masks' random stream (default: one derived from the run's seed, so a request replays). */
  seed?: number;
}

/** Most passes one `predict` makes. */
export const MAX_PREDICT_PASSES = 10_000;
/** Most rows one `predict` may send. */
export const MAX_PREDICT_ROWS = 1_000_000;
/** Most values one `predict` may send as inputs, or answer with in `perPass` (256 MiB of float32). */
export const MAX_PREDICT_VALUES = 1 << 26;

/**
 * A change made while a run trained, as its record keeps it: applied after `step` training steps (0: before the
 * first). `modes` holds every layer's mode after the change, as the engine's `modes` event reported it.
 */
export type RunIntervention =
  | { type: 'modes'; step: number; layers: { layer: number; mode: LayerMode }[] }
  | { type: 'rate'; step: number; layer: number; rate: number };

/** Most mask columns a replay frame carries (the steps up to the one sought). */
export const REPLAY_MAX_WINDOW = 120;

/** The engine worker counts a replay reproduces bit for bit: one, or two (their split computed in one thread). */
export const REPLAYABLE_WORKERS: readonly number[] = [1, 2];

/**
 * A replay session (src/engine/replaySession.ts) in a worker of its own: `replay` prepares a finished run's
 * retraining from its seed (nothing is trained until the first seek), applying its recorded interventions; `seek`
 * asks for the masks and activations at a step. Seeks supersede each other: only the latest is answered.
 */
export type ReplayCommand =
  | {
      type: 'replay';
      version: typeof ENGINE_PROTOCOL_VERSION;
      spec: ModelSpec;
      /** The CSV as for `start`: text, bytes or a path the engine reads itself. */
      csvText?: string;
      csvBytes?: Uint8Array;
      csvPath?: string;
      /** Steps the run took. */
      steps: number;
      interventions: RunIntervention[];
      /** The run's final weights (dense layers, as `done` reported them): the replay's end is compared with them. */
      weights?: { layer: number; W: Float32Array; b: Float32Array }[];
      /** Steps between checkpoints; default from a memory budget. */
      checkpointEvery?: number;
      /** Engine workers the run trained on (default 1): a replay reproduces that split of every batch. */
      workers?: number;
    }
  | {
      type: 'seek';
      requestId: string;
      step: number;
      /** Mask columns wanted: the steps step-window+1..step (default 1, at most REPLAY_MAX_WINDOW). */
      window?: number;
    };

/** The masks and activations of one replayed step, as the live stream sent them, and the masks of the steps before it. */
export interface ReplayFrame {
  step: number;
  /** Completed epochs at that step. */
  epoch: number;
  /** Oldest first, the last one `step`'s. */
  masks: { step: number; layers: LayerMask[] }[];
  activations: LayerActivationStats[];
  /** A conv model's first example's feature maps around each dropout2d layer, at `step`. */
  featureMaps: FeatureMapsEvent[];
}

export interface LayerInfo {
  index: number;
  /** A display name: a probe run's module name (e.g. `encoder.dropout`, with its rank under DDP). */
  name?: string;
  spec: LayerSpec;
  /** Output width of the layer (C*H*W for an image). */
  units: number;
  /** The output's [C, H, W] when it is an image (conv, pooling, batchnorm2d, dropout2d and what keeps their shape). */
  shape?: ImageShape;
  mode: LayerMode;
  /** Dropout rate in force (dropout layers and DropConnect dense layers), else undefined. */
  rate?: number;
}

export interface Metrics {
  loss: number;
  /** Absent for regression. */
  accuracy?: number;
}

export interface LayerMask {
  layer: number;
  /** Bits in `bits` (for dropout: the layer width; for DropConnect: a sample of its weight mask). */
  units: number;
  /** The mask of the first example of the batch, bit-packed LSB first: bit i of byte i>>3 is unit i, 1 = kept. */
  bits: Uint8Array;
  rate: number;
  /** Fraction of units dropped over the whole batch in this step. */
  realizedDropFraction: number;
}

export interface Moments {
  mean: number;
  variance: number;
}

export interface LayerActivationStats {
  layer: number;
  before: Moments;
  after: Moments;
  realizedDropFraction: number;
  /** Mean of dropped-and-scaled activations vs the undropped mean: E[r*y/(1-p)] = y (inverted scaling). */
  expectation: { undroppedMean: number; droppedMean: number; relativeError: number };
  /** Histograms over the same bins, for before and after dropout. */
  histogram: { min: number; max: number; before: Float32Array; after: Float32Array };
}

/**
 * A sample's feature maps around a `dropout2d` layer (issue 14): the first example of the batch, [C, H, W]
 * flattened, before and after dropout, streamed with the masks. For a dropout2d layer, a LayerMask's `units` is its channel count and `bits` the first
 * example's channel keep mask.
 */
export interface FeatureMapsEvent {
  type: 'featureMaps';
  step: number;
  layer: number;
  shape: [channels: number, height: number, width: number];
  before: Float32Array;
  after: Float32Array;
}

export type EngineErrorCode =
  'invalid-config' | 'invalid-data' | 'nan-loss' | 'diverged' | 'invalid-command' | 'internal';

export type EngineEvent =
  /**
   * A dataset named by path (`csvPath`) as it is read, before `ready`: the share of its reading done (the
   * file is read twice: to count its rows, then into the split). Posted at most every 250 ms, and only for a
   * read that takes longer than that.
   */
  | { type: 'loading'; fraction: number; totalBytes: number }
  | {
      type: 'ready';
      version: typeof ENGINE_PROTOCOL_VERSION;
      layers: LayerInfo[];
      inputDim: number;
      outputDim: number;
      task: 'classification' | 'regression';
      trainSize: number;
      validationSize: number;
      stepsPerEpoch: number;
      parameterCount: number;
      /** Engine workers sharing each step (absent: one). */
      workers?: number;
    }
  | { type: 'step'; step: number; epoch: number; loss: number; accuracy?: number; lr: number; stepsPerSecond: number }
  | { type: 'masks'; step: number; layers: LayerMask[] }
  | FeatureMapsEvent
  | { type: 'activations'; step: number; layers: LayerActivationStats[] }
  | {
      type: 'epoch';
      epoch: number;
      step: number;
      lr: number;
      train: Metrics;
      /** Measured in eval mode: what a correct validation loop reports. */
      validation: Metrics;
      /** Measured with dropout on: what forgetting `model.eval()` would report. */
      validationTrainMode: Metrics;
    }
  /** `step`: the training steps done when the change took effect (a replay applies it there). */
  | { type: 'modes'; layers: { layer: number; mode: LayerMode }[]; step?: number }
  | { type: 'rate'; layer: number; rate: number; step?: number }
  | {
      type: 'boundary';
      epoch: number;
      resolution: number;
      /** Square in input space covered by the grid: [xMin, xMax] x [yMin, yMax]. */
      extent: [number, number, number, number];
      /** Predicted class per cell, row-major from yMin, then probability of that class. */
      classes: Uint8Array;
      confidence: Float32Array;
      /** A sample of the training points (x, y interleaved) with their classes, drawn over the grid. */
      points: Float32Array;
      labels: Uint8Array;
    }
  | PredictionEvent
  | { type: 'released' }
  | {
      type: 'replayReady';
      steps: number;
      stepsPerEpoch: number;
      checkpointEvery: number;
      checkpointBytes: number;
    }
  | { type: 'replayFrame'; requestId: string; frame: ReplayFrame }
  /**
   * A replay at work: it stands at `step` on its way to `target` (a seek's step, or after the first seek the
   * run's last step, laying down checkpoints); `checkpoints` it holds so far.
   */
  | { type: 'replayProgress'; step: number; target: number; checkpoints: number }
  /**
   * The replay reached the run's last step: `identical` when its weights equal the recorded final weights bit for
   * bit (undefined when the run recorded none), so every replayed step is the step as it was.
   */
  | { type: 'replayVerified'; step: number; identical: boolean | undefined; message?: string }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | {
      type: 'error';
      code: EngineErrorCode;
      message: string;
      step?: number;
      epoch?: number;
      fatal: boolean;
      /** The refused or failed `predict` request this answers. */
      requestId?: string;
    }
  | {
      type: 'done';
      reason: 'completed' | 'stopped' | 'failed';
      step: number;
      epoch: number;
      final?: { train: Metrics; validation: Metrics; validationTrainMode: Metrics };
      /** Final weights, dense layers in order, W row-major [out, in] then b. */
      weights?: { layer: number; W: Float32Array; b: Float32Array }[];
    };

/**
 * The answer to `predict`. Outputs are class probabilities (softmax of the logits) for classification and
 * the predictions for regression, `width` values per example.
 */
export interface PredictionEvent {
  type: 'prediction';
  requestId: string;
  passes: number;
  examples: number;
  width: number;
  /** Mean over the passes, [examples, width]. */
  mean: Float32Array;
  /** Variance over the passes (population: divided by `passes`), [examples, width]. */
  variance: Float32Array;
  /** With `output: 'passes'`: every pass's outputs, [passes, examples, width]. */
  perPass?: Float32Array;
  /** Classification on the validation split: the accuracy of the mean, and of each pass. */
  accuracy?: number;
  passAccuracy?: Float32Array;
}

export type EngineEventType = EngineEvent['type'];
export type EngineEventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;
