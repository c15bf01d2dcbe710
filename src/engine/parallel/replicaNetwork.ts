/**
 * The second worker's share of a data-parallel step, whichever thread runs it: the same network as the
 * coordinator's over the same weights, its own activations, batch-norm statistics and mask stream, taking the
 * forward and backward pass over the rows it is handed and leaving its gradients, scaled by its share of the
 * batch, in its own arrays. A replica thread (replica.ts) and a one-thread split (serialSplit.ts) both step
 * through this class, so both do the very same arithmetic.
 */
import type { LayerShape } from '../../protocol/layerShapes';
import type { LayerMode, LayerSpec } from '../../protocol/modelSpec';
import type { MatmulKernels } from '../kernels/types';
import { meanSquaredError, softmaxCrossEntropy } from '../nn/loss';
import { Network } from '../nn/network';
import { SeededRandom } from '../random';
import { scaleGradient } from './reduce';
import { workerSeed } from './seeds';

export interface ReplicaModel {
  layers: LayerSpec[];
  /** A flat input's width, or an image's [C, H, W]. */
  input: LayerShape;
  outputDim: number;
  task: 'classification' | 'regression';
  seed: number;
  workers: number;
  rank: number;
  /** The most rows a step hands this worker. */
  maxRows: number;
}

export class ReplicaNetwork {
  readonly net: Network;
  readonly random: SeededRandom;
  private readonly grad: Float32Array;
  private readonly result = { loss: 0, correct: 0 };

  constructor(
    private readonly model: ReplicaModel,
    kernels: MatmulKernels,
  ) {
    this.net = new Network(model.layers, model.input, model.maxRows, kernels);
    this.random = new SeededRandom(workerSeed(model.seed, model.workers, model.rank));
    this.grad = new Float32Array(model.maxRows * model.outputDim);
  }

  /** Takes the coordinator's modes and rates for this step. */
  mirror(mode: (layer: number) => LayerMode, rate: (layer: number) => number): void {
    const layers = this.net.layers;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      l.mode = mode(i);
      if ('rate' in l) l.rate = rate(i);
    }
  }

  /**
   * Forward and backward over `rows` rows of `inputs` and `targets`; the loss gradient is scaled by `share` (this
   * worker's rows over the batch's) so the workers' gradients sum to the batch mean's. Returns the mean loss over
   * these rows and how many of them were classified right (a result object reused from step to step).
   */
  step(
    inputs: Float32Array,
    targets: Float32Array,
    rows: number,
    share: number,
  ): { readonly loss: number; readonly correct: number } {
    if (!(rows >= 1 && rows <= this.model.maxRows))
      throw new RangeError(`A step of ${rows} rows (at most ${this.model.maxRows}).`);
    const { outputDim } = this.model;
    const out = this.net.forward(inputs, rows, 'own', this.random, true);
    if (this.model.task === 'classification')
      softmaxCrossEntropy(out, targets, rows, outputDim, this.grad, this.result);
    else meanSquaredError(out, targets, rows * outputDim, this.grad, this.result);
    scaleGradient(this.grad, rows * outputDim, share);
    this.net.backward(this.grad, rows);
    return this.result;
  }
}
