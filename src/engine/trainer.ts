/**
 * The training loop over a Network: seeded shuffling, mini-batches, loss, optimizer, max-norm, learning-rate
 * schedule, evaluation in either mode, and what the panel shows (masks, activation statistics, decision
 * boundary, predictions in any mode). trainStep() allocates nothing.
 */
import { describeShape, isImage, shapeSize, type LayerShape } from '../protocol/layerShapes';
import {
  MAX_PREDICT_ROWS,
  MAX_PREDICT_VALUES,
  type FeatureMapsEvent,
  type LayerActivationStats,
  type LayerInfo,
  type LayerMask,
  type Metrics,
  type PredictMode,
} from '../protocol/engine';
import type { ImageShape, LayerMode, ModelSpec } from '../protocol/modelSpec';
import type { Dataset, Split } from './dataset';
import { selectKernels } from './kernels';
import type { ConvKernels } from './kernels/convTypes';
import type { MatmulKernels } from './kernels/types';
import { softmaxCrossEntropy, meanSquaredError, softmaxRow } from './nn/loss';
import { checkRate } from './nn/dropout';
import { Network, type DenseLayer, type Dropout2dLayer, type DropoutLayer, type PassMode } from './nn/network';
import { createOptimizer, maxNorm, scheduledLr, type Optimizer } from './nn/optim';
import type { BatchSplit } from './parallel/types';
import { workerSeed } from './parallel/seeds';
import { scaleGradient } from './parallel/reduce';
import { predictPasses, type Predictions } from './predict';
import { restoreNetwork, saveNetwork, type TrainerCheckpoint } from './checkpoint';
import { SeededRandom } from './random';
import { featureMaps, layerActivationStats, layerMask, maskWidth, type MaskedLayer } from './snapshot';

/** LayerInfo's `shape` for an image output. */
function shapeOf(shape: LayerShape): { shape: ImageShape } | undefined {
  return isImage(shape) ? { shape: [...shape] } : undefined;
}

export interface Trainer {
  readonly layers: LayerInfo[];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly task: 'classification' | 'regression';
  readonly trainSize: number;
  readonly validationSize: number;
  readonly stepsPerEpoch: number;
  readonly parameterCount: number;
  readonly step: number;
  readonly epoch: number;
  readonly lr: number;
  trainStep(): { loss: number; accuracy?: number; epochCompleted: boolean };
  evaluate(split: 'train' | 'validation', mode: 'eval' | 'train'): Metrics;
  setMode(layer: number | undefined, mode: LayerMode): void;
  setRate(layer: number, rate: number): void;
  masks(): LayerMask[];
  activationStats(bins?: number): LayerActivationStats[];
  /** The first example's feature maps around each dropout2d layer, from the last training step. */
  featureMaps(): FeatureMapsEvent[];
  decisionBoundary(resolution: number): DecisionBoundary | undefined;
  /** Passes over the validation split (or the given rows) with the layers in the request's modes. */
  predict(request: PredictRequest): Predictions;
  weights(): { layer: number; W: Float32Array; b: Float32Array }[];
  /**
   * A copy of the state between two steps; `restore` returns to it (replays scrub with these). A run split over
   * threads has none: its second worker's state is in another thread.
   */
  checkpoint(): TrainerCheckpoint;
  restore(checkpoint: TrainerCheckpoint): void;
  /** Workers that share each step (1 unless distribute() was called). */
  readonly workers: number;
  /** Splits every step's batch with a second worker from now on; before the first step only. */
  distribute(split: BatchSplit): void;
}

export interface PredictRequest {
  passes: number;
  mode: PredictMode;
  layers?: { layer: number; mode: LayerMode }[];
  /** Rows to predict; absent: the validation split. */
  inputs?: Float32Array;
  perPass?: boolean;
  seed?: number;
}

/** `kernels`, `conv`: the matrix-product and conv kernels to run on (default: the fastest this runtime has). */
export function createTrainer(
  spec: ModelSpec,
  data: Dataset,
  options: { kernels?: MatmulKernels; conv?: ConvKernels } = {},
): Trainer {
  return new MlpTrainer(spec, data, options.kernels ?? selectKernels(), options.conv);
}

/** A 2-D classifier's predictions over a grid, and a sample of the training points it was fitted to. */
export interface DecisionBoundary {
  extent: [number, number, number, number];
  classes: Uint8Array;
  confidence: Float32Array;
  /** x, y of each sampled training point, interleaved. */
  points: Float32Array;
  labels: Uint8Array;
}

/** Training points drawn over the decision boundary, at most. */
const BOUNDARY_POINTS = 300;

/** Bins of the activation histograms streamed to the panel. */
const HISTOGRAM_BINS = 24;

class MlpTrainer implements Trainer {
  readonly layers: LayerInfo[];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly task: 'classification' | 'regression';
  readonly trainSize: number;
  readonly validationSize: number;
  readonly stepsPerEpoch: number;
  readonly parameterCount: number;
  step = 0;
  epoch = 0;
  lr: number;

  private readonly net: Network;
  private readonly optimizer: Optimizer;
  private readonly batchSize: number;
  private readonly order: Uint32Array;
  private cursor = 0;
  private readonly xBatch: Float32Array;
  private readonly yBatch: Float32Array;
  private readonly grad: Float32Array;
  private trainRandom: SeededRandom;
  private parallel: BatchSplit | undefined;
  private readonly shuffleRandom: SeededRandom;
  private readonly lossResult = { loss: 0, correct: 0 };
  private readonly stepResult: { loss: number; accuracy?: number; epochCompleted: boolean } = {
    loss: 0,
    epochCompleted: false,
  };
  private lastBatch = 0;
  private readonly maskBits: Map<number, Uint8Array>;
  private readonly dropouts: MaskedLayer[];

  constructor(
    private readonly spec: ModelSpec,
    private readonly data: Dataset,
    kernels: MatmulKernels,
    conv?: ConvKernels,
  ) {
    const layers = spec.model.layers;
    const last = [...layers].reverse().find((l) => l.type === 'dense');
    this.task = data.classes > 0 ? 'classification' : 'regression';
    this.inputDim = data.inputDim;
    if (spec.model.input !== undefined && shapeSize(spec.model.input) !== data.inputDim)
      throw new Error(
        `model.input is ${describeShape(spec.model.input)}, but the data has ${data.inputDim} feature(s) per sample.`,
      );
    if (!last) throw new Error('The model needs at least one dense layer.');
    this.outputDim = data.outputDim;
    if (last.units !== data.outputDim) {
      throw new Error(
        `The last dense layer has ${last.units} unit(s), but the ${this.task === 'classification' ? `data has ${data.classes} classes` : `target has ${data.outputDim} value(s)`}: make it dense: ${data.outputDim}.`,
      );
    }
    if (data.train.n < 1 || data.validation.n < 1)
      throw new Error('Both the training and the validation split need at least one example.');
    this.batchSize = Math.max(1, Math.min(spec.training.batchSize, data.train.n));
    this.net = new Network(layers, spec.model.input ?? data.inputDim, Math.max(this.batchSize, 256), kernels, conv);
    this.net.initialize(spec.training.init, new SeededRandom(spec.seed));
    this.trainRandom = new SeededRandom(workerSeed(spec.seed, 1, 0));
    this.shuffleRandom = new SeededRandom(spec.seed ^ 0x5f1e);
    this.optimizer = createOptimizer(spec.training.optimizer, this.net.parameters);
    this.lr = spec.training.optimizer.lr;
    this.trainSize = data.train.n;
    this.validationSize = data.validation.n;
    this.stepsPerEpoch = Math.ceil(data.train.n / this.batchSize);
    this.parameterCount = this.net.parameters.reduce((n, p) => n + p.value.length, 0);
    this.order = Uint32Array.from({ length: data.train.n }, (_, i) => i);
    this.shuffleRandom.shuffle(this.order);
    this.xBatch = new Float32Array(this.net.maxBatch * data.inputDim);
    this.yBatch = new Float32Array(this.net.maxBatch * (this.task === 'classification' ? 1 : data.outputDim));
    this.grad = new Float32Array(this.net.maxBatch * this.outputDim);
    this.layers = this.net.layers.map((l) => ({
      index: l.index,
      spec: l.spec,
      units: l.units,
      mode: l.mode,
      ...(shapeOf(this.net.shapes[l.index]!) ?? {}),
      ...(l.kind === 'dropout' || l.kind === 'dropout2d'
        ? { rate: l.rate }
        : (l.kind === 'dense' || l.kind === 'conv2d') && l.rate > 0
          ? { rate: l.rate }
          : {}),
    }));
    this.dropouts = this.net.layers.filter(
      (l): l is MaskedLayer =>
        l.kind === 'dropout' || l.kind === 'dropout2d' || ((l.kind === 'dense' || l.kind === 'conv2d') && l.rate > 0),
    );
    this.maskBits = new Map(this.dropouts.map((l) => [l.index, new Uint8Array(Math.ceil(maskWidth(l) / 8))]));
  }

  trainStep(): { loss: number; accuracy?: number; epochCompleted: boolean } {
    const { data, net } = this;
    const targetWidth = this.task === 'classification' ? 1 : this.outputDim;
    const batch = Math.min(this.batchSize, data.train.n - this.cursor);
    const { x, y } = data.train;
    const width = this.inputDim;
    // Element loops, not set(subarray()): a view per row would allocate in the step loop.
    for (let r = 0; r < batch; r++) {
      const src = this.order[this.cursor + r]!;
      for (let c = 0, from = src * width, to = r * width; c < width; c++) this.xBatch[to + c] = x[from + c]!;
      for (let t = 0; t < targetWidth; t++) this.yBatch[r * targetWidth + t] = y[src * targetWidth + t]!;
    }
    const parallel = this.parallel;
    parallel?.startStep(this.xBatch, this.yBatch, batch, width, targetWidth, net.layers);
    const own = parallel ? parallel.ownRows(batch) : batch;
    const out = net.forward(this.xBatch, own, 'own', this.trainRandom, true);
    this.loss(out, this.yBatch, own, this.grad);
    if (parallel) {
      scaleGradient(this.grad, own * this.outputDim, own / batch);
      net.backward(this.grad, own);
      const other = parallel.finishStep(net.parameters);
      this.lossResult.loss = (this.lossResult.loss * own + other.loss * other.rows) / batch;
      this.lossResult.correct += other.correct;
    } else net.backward(this.grad, batch);
    this.optimizer.step(this.lr);
    const c = this.spec.training.maxNorm;
    if (c !== undefined) for (const l of net.layers) if (l.kind === 'dense') maxNorm(l.W, l.units, l.inputs, c);
    this.lastBatch = own;
    this.step++;
    this.cursor += batch;
    const result = this.stepResult;
    result.loss = this.lossResult.loss;
    result.accuracy = this.task === 'classification' ? this.lossResult.correct / batch : undefined;
    result.epochCompleted = this.cursor >= data.train.n;
    if (result.epochCompleted) {
      this.cursor = 0;
      this.epoch++;
      this.shuffleRandom.shuffle(this.order);
      this.lr = scheduledLr(this.spec.training.optimizer.lr, this.spec.training.schedule, this.epoch);
    }
    return result;
  }

  private loss(out: Float32Array, target: Float32Array, batch: number, grad: Float32Array | undefined): void {
    if (this.task === 'classification') softmaxCrossEntropy(out, target, batch, this.outputDim, grad, this.lossResult);
    else meanSquaredError(out, target, batch * this.outputDim, grad, this.lossResult);
  }

  /** Runs `fn` over a split in chunks of the network's batch, forwarding in `pass` mode with its own random stream. */
  private forEachChunk(
    split: Split,
    pass: PassMode,
    random: SeededRandom,
    fn: (out: Float32Array, start: number, count: number) => void,
  ): void {
    const targetWidth = this.task === 'classification' ? 1 : this.outputDim;
    for (let start = 0; start < split.n; start += this.net.maxBatch) {
      const count = Math.min(this.net.maxBatch, split.n - start);
      this.xBatch.set(split.x.subarray(start * this.inputDim, (start + count) * this.inputDim));
      this.yBatch.set(split.y.subarray(start * targetWidth, (start + count) * targetWidth));
      fn(this.net.forward(this.xBatch, count, pass, random, false), start, count);
    }
  }

  evaluate(which: 'train' | 'validation', mode: 'eval' | 'train'): Metrics {
    const split = which === 'train' ? this.data.train : this.data.validation;
    // Evaluation draws from its own stream, reseeded per epoch, so it never shifts the training masks.
    const random = new SeededRandom(this.spec.seed ^ 0xe7a1 ^ (this.epoch * 7919));
    let loss = 0;
    let correct = 0;
    this.forEachChunk(split, mode, random, (out, _start, count) => {
      this.loss(out, this.yBatch, count, undefined);
      loss += this.lossResult.loss * count;
      correct += this.lossResult.correct;
    });
    return this.task === 'classification'
      ? { loss: loss / split.n, accuracy: correct / split.n }
      : { loss: loss / split.n };
  }

  setMode(layer: number | undefined, mode: LayerMode): void {
    const targets = layer === undefined ? this.net.layers : [this.layerAt(layer)];
    for (const l of targets) {
      l.mode = mode;
      this.layers[l.index]!.mode = mode;
    }
  }

  setRate(layer: number, rate: number): void {
    checkRate(rate);
    const l = this.layerAt(layer);
    if (!(
      l.kind === 'dropout' ||
      l.kind === 'dropout2d' ||
      ((l.kind === 'dense' || l.kind === 'conv2d') && l.rate > 0)
    ))
      throw new Error(`Layer ${layer} has no dropout whose rate could change.`);
    l.rate = rate;
    this.layers[layer]!.rate = rate;
  }

  private layerAt(index: number) {
    const l = this.net.layers[index];
    if (!l) throw new RangeError(`The model has no layer ${index} (it has ${this.net.layers.length}).`);
    return l;
  }

  masks(): LayerMask[] {
    return this.dropouts.map((l) => layerMask(l, this.lastBatch, this.maskBits.get(l.index)!));
  }

  activationStats(bins = HISTOGRAM_BINS): LayerActivationStats[] {
    return this.dropouts
      .filter((l): l is DropoutLayer | Dropout2dLayer => l.kind === 'dropout' || l.kind === 'dropout2d')
      .map((l) => layerActivationStats(l, this.lastBatch, bins));
  }

  featureMaps(): FeatureMapsEvent[] {
    if (this.lastBatch === 0) return [];
    return this.dropouts
      .filter((l): l is Dropout2dLayer => l.kind === 'dropout2d')
      .map((l) => featureMaps(l, this.step));
  }

  decisionBoundary(resolution: number): DecisionBoundary | undefined {
    if (this.inputDim !== 2 || this.task !== 'classification' || !(resolution >= 2 && resolution <= 256))
      return undefined;
    const x = this.data.train.x;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < this.data.train.n; i++) {
      x0 = Math.min(x0, x[2 * i]!);
      x1 = Math.max(x1, x[2 * i]!);
      y0 = Math.min(y0, x[2 * i + 1]!);
      y1 = Math.max(y1, x[2 * i + 1]!);
    }
    const padX = 0.1 * (x1 - x0 || 1);
    const padY = 0.1 * (y1 - y0 || 1);
    const extent: [number, number, number, number] = [x0 - padX, x1 + padX, y0 - padY, y1 + padY];
    const cells = resolution * resolution;
    const grid: Split = { x: new Float32Array(cells * 2), y: new Float32Array(cells), n: cells };
    for (let r = 0; r < resolution; r++)
      for (let c = 0; c < resolution; c++) {
        const i = r * resolution + c;
        grid.x[2 * i] = extent[0] + ((c + 0.5) / resolution) * (extent[1] - extent[0]);
        grid.x[2 * i + 1] = extent[2] + ((r + 0.5) / resolution) * (extent[3] - extent[2]);
      }
    const classes = new Uint8Array(cells);
    const confidence = new Float32Array(cells);
    const probs = new Float64Array(this.outputDim);
    this.forEachChunk(grid, 'eval', this.trainRandom, (out, start, count) => {
      for (let r = 0; r < count; r++) {
        softmaxRow(out, r * this.outputDim, this.outputDim, probs, 0);
        let arg = 0;
        for (let c = 1; c < this.outputDim; c++) if (probs[c]! > probs[arg]!) arg = c;
        classes[start + r] = arg;
        confidence[start + r] = probs[arg]!;
      }
    });
    // The data the boundary is drawn over: an even sample of the training points, never more than a screen can show.
    const shown = Math.min(this.data.train.n, BOUNDARY_POINTS);
    const points = new Float32Array(2 * shown);
    const labels = new Uint8Array(shown);
    for (let k = 0; k < shown; k++) {
      const i = Math.floor((k * this.data.train.n) / shown);
      points[2 * k] = x[2 * i]!;
      points[2 * k + 1] = x[2 * i + 1]!;
      labels[k] = this.data.train.y[i]!;
    }
    return { extent, classes, confidence, points, labels };
  }

  predict(request: PredictRequest): Predictions {
    const overrides = new Map<number, LayerMode>();
    for (const o of request.layers ?? []) {
      this.layerAt(o.layer);
      overrides.set(o.layer, o.mode);
    }
    const validation = request.inputs === undefined;
    const split = this.data.validation;
    const x = request.inputs ?? split.x.subarray(0, split.n * this.inputDim);
    if (x.length % this.inputDim !== 0)
      throw new RangeError(
        `The inputs hold ${x.length} values, not whole rows of the model's ${this.inputDim} input(s).`,
      );
    const examples = x.length / this.inputDim;
    if (examples > MAX_PREDICT_ROWS)
      throw new RangeError(`${examples} rows is more than one prediction takes (${MAX_PREDICT_ROWS}).`);
    if (request.perPass && request.passes * examples * this.outputDim > MAX_PREDICT_VALUES)
      throw new RangeError(
        `Every pass's outputs would be ${request.passes * examples * this.outputDim} values, more than ${MAX_PREDICT_VALUES}: ask for the summary, or fewer passes or rows.`,
      );
    return predictPasses(this.net, x, examples, this.task === 'classification', {
      passes: request.passes,
      mode: request.mode,
      overrides,
      random: new SeededRandom(request.seed ?? this.spec.seed ^ 0x3c3c),
      keepPasses: request.perPass ?? false,
      ...(validation ? { labels: split.y } : {}),
    });
  }

  checkpoint(): TrainerCheckpoint {
    const split = this.parallel;
    if (split && !split.saveState)
      throw new Error(
        "A run split over worker threads cannot be checkpointed: its second worker's state is in another thread.",
      );
    return {
      step: this.step,
      epoch: this.epoch,
      lr: this.lr,
      cursor: this.cursor,
      lastBatch: this.lastBatch,
      order: this.order.slice(),
      network: saveNetwork(this.net),
      optimizer: this.optimizer.saveState(),
      trainRandom: this.trainRandom.saveState(),
      shuffleRandom: this.shuffleRandom.saveState(),
      ...(split?.saveState ? { split: split.saveState() } : {}),
    };
  }

  restore(c: TrainerCheckpoint): void {
    const split = this.parallel;
    if ((c.split !== undefined) !== (split !== undefined) || (split && !split.restoreState))
      throw new Error(
        `This checkpoint is of a run on ${c.split ? 2 : 1} worker(s) in this thread; the trainer runs on ${this.workers}${split && !split.restoreState ? ' over threads' : ''}.`,
      );
    if (c.split) split!.restoreState!(c.split);
    this.step = c.step;
    this.epoch = c.epoch;
    this.lr = c.lr;
    this.cursor = c.cursor;
    this.lastBatch = c.lastBatch;
    this.order.set(c.order);
    restoreNetwork(this.net, c.network);
    this.optimizer.restoreState(c.optimizer);
    this.trainRandom.restoreState(c.trainRandom);
    this.shuffleRandom.restoreState(c.shuffleRandom);
    for (const info of this.layers) {
      const l = this.net.layers[info.index]!;
      info.mode = l.mode;
      if (info.rate !== undefined && 'rate' in l) info.rate = l.rate;
    }
  }

  get workers(): number {
    return this.parallel?.workers ?? 1;
  }

  distribute(parallel: BatchSplit): void {
    if (this.step > 0 || this.parallel) throw new Error('A run is split over workers before its first step, once.');
    parallel.attach(this.net, {
      layers: this.spec.model.layers,
      input: this.spec.model.input ?? this.inputDim,
      outputDim: this.outputDim,
      task: this.task,
      seed: this.spec.seed,
      maxBatch: this.batchSize,
    });
    this.parallel = parallel;
    this.trainRandom = new SeededRandom(workerSeed(this.spec.seed, parallel.workers, 0));
  }

  weights(): { layer: number; W: Float32Array; b: Float32Array }[] {
    return this.net.layers
      .filter((l): l is DenseLayer => l.kind === 'dense')
      .map((l) => ({ layer: l.index, W: l.W.slice(), b: l.b.slice() }));
  }
}
