/**
 * Inference over a Network, the one way the engine infers: N forward passes over rows of inputs with each
 * layer in a chosen mode, every pass's outputs (softmax probabilities for classification), their mean and
 * variance over the passes, and with labels the accuracy of the mean and of each pass. Monte Carlo dropout,
 * the forgot-eval experiment's single passes and the uncertainty map all come here.
 */
import type { PredictionEvent } from '../protocol/engine';
import type { LayerMode } from '../protocol/modelSpec';
import { softmaxRow } from './nn/loss';
import { passLayerMode, type Network, type PassMode } from './nn/network';
import type { SeededRandom } from './random';

export type Injected = Map<number, Uint8Array | Float32Array>;

export interface PassPlan {
  passes: number;
  mode: PassMode;
  /** Modes that override `mode` for single layers, by layer index. */
  overrides?: ReadonlyMap<number, LayerMode>;
  random: SeededRandom;
  /** Keep every pass's outputs (`perPass`), not only their mean and variance. */
  keepPasses?: boolean;
  /** Class labels of the rows (classification): then the accuracies are computed. */
  labels?: ArrayLike<number>;
  /** Masks or Gaussian noise to inject into a pass's chunk of rows, by layer index (tests inject PyTorch's). */
  inject?(pass: number, start: number, count: number): Injected | undefined;
}

/** A prediction's figures, as the `prediction` event carries them (documented there). */
export type Predictions = Omit<PredictionEvent, 'type' | 'requestId'>;

/** `passes` forward passes over the `examples` rows of `x` ([examples, net.inputDim]); the network's modes are restored after. */
export function predictPasses(
  net: Network,
  x: Float32Array,
  examples: number,
  classification: boolean,
  plan: PassPlan,
): Predictions {
  const width = net.outputDim;
  const size = examples * width;
  const own = net.layers.map((l) => l.mode);
  const modes = net.layers.map((l) => plan.overrides?.get(l.index) ?? passLayerMode(plan.mode, l));
  const mean = new Float64Array(size);
  const m2 = new Float64Array(size);
  const perPass = plan.keepPasses ? new Float32Array(plan.passes * size) : undefined;
  const labels = classification ? plan.labels : undefined;
  const passAccuracy = labels ? new Float32Array(plan.passes) : undefined;
  const row = new Float64Array(width);
  try {
    net.layers.forEach((l, i) => (l.mode = modes[i]!));
    for (let t = 0; t < plan.passes; t++) {
      let correct = 0;
      for (let start = 0; start < examples; start += net.maxBatch) {
        const count = Math.min(net.maxBatch, examples - start);
        const chunk = x.subarray(start * net.inputDim, (start + count) * net.inputDim);
        const out = net.forward(chunk, count, 'own', plan.random, false, plan.inject?.(t, start, count));
        for (let r = 0; r < count; r++) {
          if (classification) softmaxRow(out, r * width, width, row, 0);
          else for (let c = 0; c < width; c++) row[c] = out[r * width + c]!;
          const at = (start + r) * width;
          // Welford's update: the variance without keeping the passes.
          for (let c = 0; c < width; c++) {
            const v = row[c]!;
            const delta = v - mean[at + c]!;
            mean[at + c]! += delta / (t + 1);
            m2[at + c]! += delta * (v - mean[at + c]!);
            if (perPass) perPass[t * size + at + c] = v;
          }
          if (labels && argmax(row, 0, width) === labels[start + r]) correct++;
        }
      }
      if (passAccuracy) passAccuracy[t] = correct / examples;
    }
  } finally {
    net.layers.forEach((l, i) => (l.mode = own[i]!));
  }
  const result: Predictions = {
    passes: plan.passes,
    examples,
    width,
    mean: Float32Array.from(mean),
    variance: Float32Array.from(m2, (v) => v / plan.passes),
  };
  if (perPass) result.perPass = perPass;
  if (labels && passAccuracy) {
    let correct = 0;
    for (let i = 0; i < examples; i++) if (argmax(mean, i * width, width) === labels[i]) correct++;
    result.accuracy = correct / examples;
    result.passAccuracy = passAccuracy;
  }
  return result;
}

/** The first index of the largest of `width` values from `offset`. */
function argmax(values: ArrayLike<number>, offset: number, width: number): number {
  let arg = 0;
  for (let c = 1; c < width; c++) if (values[offset + c]! > values[offset + arg]!) arg = c;
  return arg;
}
