/**
 * A finished run, retrained from its seed so any of its steps can be looked at again: the masks and activation
 * statistics at step N are the ones the live run streamed at step N, bit for bit. The engine is deterministic for a
 * seed (data split, initial weights, shuffles and masks all come from it), so what a replay needs beyond the spec
 * is what the user changed while it trained: its recorded interventions, applied at their steps.
 *
 * Scrubbing is fast because the replay keeps a checkpoint of the whole trainer every K steps as it first passes
 * them: going to step N restores the nearest checkpoint at or before N - window and trains the rest, never from
 * step 0 again. Epoch-end evaluations are skipped: they draw from their own streams and change no training state.
 */
import {
  REPLAY_MAX_WINDOW,
  REPLAYABLE_WORKERS,
  type LayerMask,
  type ReplayFrame,
  type RunIntervention,
} from '../protocol/engine';
import type { ModelSpec } from '../protocol/modelSpec';
import { checkpointBytes, type TrainerCheckpoint } from './checkpoint';
import type { Dataset } from './dataset';
import type { MatmulKernels } from './kernels/types';
import { SerialSplit } from './parallel/serialSplit';
import { createTrainer, type Trainer } from './trainer';

/** Memory the checkpoints of one replay may hold. */
export const CHECKPOINT_BUDGET_BYTES = 64 * 1024 * 1024;
/** Most checkpoints a replay keeps, however small the model. */
const MAX_CHECKPOINTS = 400;
/** Fewest steps between two checkpoints: a checkpoint costs about as much as a step of a small model. */
const MIN_CHECKPOINT_EVERY = 8;

export interface ReplayOptions {
  /** Steps the run took: the last step a replay can show. */
  steps: number;
  interventions: readonly RunIntervention[];
  /** Steps between checkpoints; default from CHECKPOINT_BUDGET_BYTES. */
  checkpointEvery?: number;
  /** Engine workers the run trained on (default 1): its steps replay bit for bit on that count only. */
  workers?: number;
  kernels?: MatmulKernels;
}

export class Replay {
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly checkpointBytes: number;
  private readonly trainer: Trainer;
  /** By step: the state after that many steps, before that step's interventions. */
  private readonly checkpoints = new Map<number, TrainerCheckpoint>();
  /** Interventions by the step they apply at. */
  private readonly changes = new Map<number, RunIntervention[]>();
  /** The step the trainer's current stretch of training started from: masks of the steps after it are in `recent`. */
  private origin = 0;
  private readonly recent = new Map<number, LayerMask[]>();

  constructor(spec: ModelSpec, data: Dataset, options: ReplayOptions) {
    if (!(Number.isInteger(options.steps) && options.steps >= 1))
      throw new RangeError(`A replay needs the run's step count (a positive integer); got ${options.steps}.`);
    this.steps = options.steps;
    const workers = options.workers ?? 1;
    if (!REPLAYABLE_WORKERS.includes(workers))
      throw new RangeError(
        `A replay runs on ${REPLAYABLE_WORKERS.join(' or ')} workers, as the run did; got ${workers}.`,
      );
    this.trainer = createTrainer(spec, data, options.kernels ? { kernels: options.kernels } : {});
    if (workers === 2) this.trainer.distribute(new SerialSplit(options.kernels));
    for (const change of options.interventions) {
      if (!(Number.isInteger(change.step) && change.step >= 0))
        throw new RangeError(`An intervention's step must be a non-negative integer; got ${change.step}.`);
      this.check(change);
      const at = this.changes.get(change.step);
      if (at) at.push(change);
      else this.changes.set(change.step, [change]);
    }
    const first = this.trainer.checkpoint();
    this.checkpointBytes = checkpointBytes(first);
    this.checkpoints.set(0, first);
    const affordable = Math.max(
      1,
      Math.min(MAX_CHECKPOINTS, Math.floor(CHECKPOINT_BUDGET_BYTES / this.checkpointBytes)),
    );
    const every = options.checkpointEvery ?? Math.max(MIN_CHECKPOINT_EVERY, Math.ceil(this.steps / affordable));
    if (!(Number.isInteger(every) && every >= 1))
      throw new RangeError(`Steps between checkpoints must be a positive integer; got ${every}.`);
    this.checkpointEvery = every;
  }

  get stepsPerEpoch(): number {
    return this.trainer.stepsPerEpoch;
  }

  /** Steps the trainer stands at (for tests and for progress). */
  get position(): number {
    return this.trainer.step;
  }

  get checkpointCount(): number {
    return this.checkpoints.size;
  }

  /** The final weights the replay reached, once `seek(steps)` returned. */
  weights(): { layer: number; W: Float32Array; b: Float32Array }[] {
    return this.trainer.weights();
  }

  /**
   * Trains to `step` and returns its frame: the masks of the `window` steps up to it, its activations and feature
   * maps. Returns
   * undefined when `shouldYield` asked to stop first; calling again (with any step) carries on from there.
   */
  seek(step: number, window = 1, shouldYield?: () => boolean): ReplayFrame | undefined {
    if (!(Number.isInteger(step) && step >= 1 && step <= this.steps))
      throw new RangeError(`This run has steps 1 to ${this.steps}; there is no step ${step}.`);
    const from = Math.max(0, step - Math.min(REPLAY_MAX_WINDOW, Math.max(1, Math.floor(window) || 1)));
    const t = this.trainer;
    const start = this.latestCheckpointAtOrBefore(from);
    const canContinue = this.origin <= from && t.step <= step;
    if (!canContinue || start > t.step) {
      t.restore(this.checkpoints.get(start)!);
      this.origin = start;
      this.recent.clear();
    }
    while (t.step < step) {
      for (const change of this.changes.get(t.step) ?? []) this.apply(change);
      t.trainStep();
      this.recent.set(
        t.step,
        t.masks().map((m) => ({ ...m, bits: m.bits.slice() })),
      );
      this.recent.delete(t.step - REPLAY_MAX_WINDOW);
      if (t.step % this.checkpointEvery === 0 && !this.checkpoints.has(t.step))
        this.checkpoints.set(t.step, t.checkpoint());
      if (t.step < step && shouldYield?.()) return undefined;
    }
    const masks: ReplayFrame['masks'] = [];
    // Copies: a frame's buffers are transferred to the host, and a later frame may show the same steps again.
    for (let s = from + 1; s <= step; s++)
      masks.push({ step: s, layers: this.recent.get(s)!.map((m) => ({ ...m, bits: m.bits.slice() })) });
    return { step, epoch: t.epoch, masks, activations: t.activationStats(), featureMaps: t.featureMaps() };
  }

  private latestCheckpointAtOrBefore(step: number): number {
    for (let s = step - (step % this.checkpointEvery); s > 0; s -= this.checkpointEvery)
      if (this.checkpoints.has(s)) return s;
    return 0;
  }

  /** An intervention the model cannot take is refused before any training, never mid-replay. */
  private check(change: RunIntervention): void {
    const layers = this.trainer.layers;
    const named = change.type === 'rate' ? [change.layer] : change.layers.map((l) => l.layer);
    for (const layer of named)
      if (!(Number.isInteger(layer) && layer >= 0 && layer < layers.length))
        throw new RangeError(
          `An intervention at step ${change.step} names layer ${layer}; the model has ${layers.length}.`,
        );
    if (change.type === 'rate') {
      if (layers[change.layer]!.rate === undefined)
        throw new RangeError(
          `An intervention at step ${change.step} sets the rate of layer ${change.layer}, which has none.`,
        );
      if (!(change.rate >= 0 && change.rate < 1))
        throw new RangeError(`An intervention at step ${change.step} sets rate ${change.rate}, outside [0, 1).`);
    } else
      for (const { mode } of change.layers)
        if (mode !== 'train' && mode !== 'eval')
          throw new RangeError(`An intervention at step ${change.step} sets mode ${String(mode)}.`);
  }

  private apply(change: RunIntervention): void {
    if (change.type === 'rate') this.trainer.setRate(change.layer, change.rate);
    else for (const { layer, mode } of change.layers) this.trainer.setMode(layer, mode);
  }
}
