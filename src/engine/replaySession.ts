/**
 * The engine's side of a replay (protocol: ReplayCommand): `replay` builds a Replay of a finished run, `seek`
 * asks for a step. Nothing is trained before the first seek: a run nobody scrubs costs no retraining. Work runs in
 * slices between the worker's messages, so a newer seek supersedes an older one at once (only the latest is
 * answered) and nothing blocks. Once a seek came, whenever none waits the replay trains on towards the run's last
 * step, laying down its checkpoints, and then compares its weights with the recorded ones; while it works it says
 * how far it is (`replayProgress`).
 */
import type { ReplayCommand } from '../protocol/engine';
import { ENGINE_PROTOCOL_VERSION } from '../protocol/engine';
import { loadDataset, type CsvSource } from './data';
import { Replay } from './replay';
import type { SessionHost } from './session';

/** Longest slice of replay work between two looks at the message queue. */
const SLICE_MS = 8;
/** Least time between two progress reports. */
const PROGRESS_MS = 100;
const MAX_STEPS = 1e9;

type Seek = Extract<ReplayCommand, { type: 'seek' }>;

export class ReplaySession {
  private replay: Replay | undefined;
  private weights: Extract<ReplayCommand, { type: 'replay' }>['weights'];
  private pending: Seek | undefined;
  private verified = false;
  private scheduled = false;
  /** Whether a seek came: from then on idle slices prepare the rest of the run. */
  private sought = false;
  private reported = -Infinity;

  constructor(private readonly host: SessionHost) {}

  handle(command: ReplayCommand): void {
    try {
      if (command.type === 'replay') this.start(command);
      else this.seek(command);
    } catch (error) {
      this.invalid(error instanceof Error ? error.message : String(error), false);
    }
  }

  private start(command: Extract<ReplayCommand, { type: 'replay' }>): void {
    if (this.replay) return this.invalid('This worker already replays a run; start a new worker for another.', false);
    if (command.version !== ENGINE_PROTOCOL_VERSION)
      return this.invalid(
        `Protocol version ${command.version} is not supported (expected ${ENGINE_PROTOCOL_VERSION}).`,
        true,
      );
    if (!(Number.isInteger(command.steps) && command.steps >= 1 && command.steps <= MAX_STEPS))
      return this.invalid(`A replay needs the run's step count, 1 to ${MAX_STEPS}; got ${command.steps}.`, true);
    if (!Array.isArray(command.interventions)) return this.invalid('A replay needs its list of interventions.', true);
    let data;
    try {
      data = loadDataset(command.spec.data, command.spec.seed, this.csvOf(command));
    } catch (error) {
      this.host.post({ type: 'error', code: 'invalid-data', message: messageOf(error), fatal: true });
      return;
    }
    try {
      this.replay = new Replay(command.spec, data, {
        steps: command.steps,
        interventions: command.interventions,
        ...(command.checkpointEvery !== undefined ? { checkpointEvery: command.checkpointEvery } : {}),
        ...(command.workers !== undefined ? { workers: command.workers } : {}),
      });
    } catch (error) {
      this.host.post({ type: 'error', code: 'invalid-config', message: messageOf(error), fatal: true });
      return;
    }
    this.weights = command.weights;
    const r = this.replay;
    this.host.post({
      type: 'replayReady',
      steps: r.steps,
      stepsPerEpoch: r.stepsPerEpoch,
      checkpointEvery: r.checkpointEvery,
      checkpointBytes: r.checkpointBytes,
    });
  }

  private csvOf(command: Extract<ReplayCommand, { type: 'replay' }>): CsvSource | undefined {
    if (command.csvPath === undefined) return command.csvText ?? command.csvBytes;
    const read = this.host.readFile?.bind(this.host);
    if (!read) throw new Error('This engine host cannot read files: send the CSV as text or bytes.');
    const path = command.csvPath;
    return (sink) => read(path, (bytes) => sink.pushBytes(bytes));
  }

  private seek(command: Seek): void {
    const r = this.replay;
    if (!r) return this.invalid('"seek" needs a replay; send "replay" first.', false);
    if (typeof command.requestId !== 'string') return this.invalid('A seek needs a requestId.', false);
    if (!(Number.isInteger(command.step) && command.step >= 1 && command.step <= r.steps))
      return this.invalid(`This run has steps 1 to ${r.steps}; there is no step ${String(command.step)}.`, false);
    if (command.window !== undefined && !(Number.isInteger(command.window) && command.window >= 1))
      return this.invalid(`A seek's window is a positive number of steps; got ${String(command.window)}.`, false);
    this.pending = command;
    this.sought = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.host.schedule(() => {
      this.scheduled = false;
      try {
        this.slice();
      } catch (error) {
        // Nothing may escape a scheduled callback: it would take the worker down.
        this.host.post({ type: 'error', code: 'internal', message: messageOf(error), fatal: true });
        this.replay = undefined;
        this.pending = undefined;
      }
    });
  }

  private slice(): void {
    const r = this.replay;
    if (!r) return;
    const deadline = this.now() + SLICE_MS;
    const shouldYield = () => this.now() >= deadline;
    const seek = this.pending;
    if (seek) {
      const frame = r.seek(seek.step, seek.window ?? 1, shouldYield);
      if (!frame) {
        this.progress(r, seek.step);
        return this.schedule();
      }
      this.pending = undefined;
      const buffers = [
        ...frame.masks.flatMap((m) => m.layers.map((l) => l.bits.buffer as ArrayBuffer)),
        ...frame.activations.flatMap((a) => [
          a.histogram.before.buffer as ArrayBuffer,
          a.histogram.after.buffer as ArrayBuffer,
        ]),
        ...frame.featureMaps.flatMap((m) => [m.before.buffer as ArrayBuffer, m.after.buffer as ArrayBuffer]),
      ];
      this.host.post({ type: 'replayFrame', requestId: seek.requestId, frame }, buffers);
      return this.schedule();
    }
    if (!this.sought || this.verified) return;
    // Idle: on to the last step, leaving checkpoints for later seeks, and check the end against the record.
    if (!r.seek(r.steps, 1, shouldYield)) {
      this.progress(r, r.steps);
      return this.schedule();
    }
    this.verified = true;
    this.host.post({ type: 'replayVerified', step: r.steps, ...verdict(r.weights(), this.weights) });
  }

  private progress(r: Replay, target: number): void {
    const now = this.now();
    if (now - this.reported < PROGRESS_MS) return;
    this.reported = now;
    this.host.post({ type: 'replayProgress', step: r.position, target, checkpoints: r.checkpointCount });
  }

  private now(): number {
    return this.host.now?.() ?? performance.now();
  }

  private invalid(message: string, fatal: boolean): void {
    this.host.post({ type: 'error', code: 'invalid-command', message, fatal });
  }
}

type Weights = { layer: number; W: Float32Array; b: Float32Array }[];

/** Whether the replay's final weights equal the recorded ones bit for bit, and where they first differ. */
export function verdict(
  replayed: Weights,
  recorded: Weights | undefined,
): { identical: boolean | undefined; message?: string } {
  if (!recorded || recorded.length === 0) return { identical: undefined };
  if (recorded.length !== replayed.length)
    return {
      identical: false,
      message: `The run recorded ${recorded.length} weight layers; the replay has ${replayed.length}.`,
    };
  for (let k = 0; k < recorded.length; k++) {
    const a = replayed[k]!;
    const b = recorded[k]!;
    const differs = (x: Float32Array, y: Float32Array) => {
      if (x.length !== y.length) return 0;
      const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
      const yb = new Uint32Array(y.buffer, y.byteOffset, y.length);
      for (let i = 0; i < xb.length; i++) if (xb[i] !== yb[i]) return i;
      return -1;
    };
    const w = differs(a.W, b.W);
    const bias = differs(a.b, b.b);
    if (a.layer !== b.layer || w !== -1 || bias !== -1)
      return {
        identical: false,
        message: `The replay's final weights differ from the recorded ones (layer ${b.layer}${w >= 0 ? `, weight ${w}` : bias >= 0 ? `, bias ${bias}` : ''}): this engine does not retrain the run exactly as it was.`,
      };
  }
  return { identical: true };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
