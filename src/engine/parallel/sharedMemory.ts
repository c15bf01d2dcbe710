/**
 * The memory two engine workers share for data-parallel training, and the few Atomics signals over it. One
 * SharedArrayBuffer holds, in order:
 *   control   Int32 words: the step command's sequence number, the replica's answer, its state, the rows it takes
 *   results   Float64: the replica's loss (mean over its rows), its correct predictions, and the gradient scale it is given
 *   layers    per layer: its mode (Int32) and its rate (Float64), mirrored from the coordinator at every step
 *   message   the replica's error message, UTF-8
 *   rows      the replica's inputs [maxRows, inputDim] and targets [maxRows, targetWidth]
 *   weights   every parameter's values, once: both networks compute on these very floats
 *   gradients one region per worker, the same layout as the weights
 * Both sides compute the same layout from the same numbers (sharedLayout), so no offsets travel.
 */

/** Control words. */
const COMMAND = 0; // sequence number of the last command (the coordinator increments it)
const ANSWER = 1; // sequence number of the last command the replica finished
const STATE = 2;
const ROWS = 3;
const KIND = 4; // what the command asks: STEP or QUIT
const MESSAGE_BYTES = 5;
const CONTROL_WORDS = 8;

export const ReplicaState = { Starting: 0, Ready: 1, Failed: 2, Exited: 3 } as const;
export type ReplicaState = (typeof ReplicaState)[keyof typeof ReplicaState];

const STEP = 1;
const QUIT = 2;

const MESSAGE_CAPACITY = 2048;

/** What fixes the layout: both workers pass the same numbers. */
export interface LayoutSizes {
  /** Layers of the network (modes and rates mirrored). */
  layers: number;
  /** Length of each of `network.parameters`, in order. */
  parameterLengths: readonly number[];
  /** The most rows the replica takes in one step, and their widths. */
  maxRows: number;
  inputDim: number;
  targetWidth: number;
  /** Workers: the replicas whose gradients have a region (2). */
  workers: number;
}

export interface SharedLayout {
  readonly bytes: number;
  readonly results: number;
  readonly modes: number;
  readonly rates: number;
  readonly message: number;
  readonly inputs: number;
  readonly targets: number;
  /** Byte offset of each parameter in the weights region. */
  readonly weights: readonly number[];
  /** Byte offset of parameter k's gradient in worker r's region: gradients[r][k]. */
  readonly gradients: readonly (readonly number[])[];
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

export function sharedLayout(s: LayoutSizes): SharedLayout {
  let at = CONTROL_WORDS * 4;
  const take = (bytes: number, alignment = 16) => {
    at = align(at, alignment);
    const start = at;
    at += bytes;
    return start;
  };
  const results = take(3 * 8);
  const modes = take(s.layers * 4);
  const rates = take(s.layers * 8);
  const message = take(MESSAGE_CAPACITY);
  const inputs = take(s.maxRows * s.inputDim * 4);
  const targets = take(s.maxRows * s.targetWidth * 4);
  const weights = s.parameterLengths.map((n) => take(n * 4));
  const gradients = Array.from({ length: s.workers }, () => s.parameterLengths.map((n) => take(n * 4)));
  return { bytes: align(at, 16), results, modes, rates, message, inputs, targets, weights, gradients };
}

/** Typed views of the shared memory and the signals both sides use. */
export class SharedChannel {
  readonly control: Int32Array;
  readonly results: Float64Array;
  readonly modes: Int32Array;
  readonly rates: Float64Array;
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  private readonly message: Uint8Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly layout: SharedLayout,
    readonly sizes: LayoutSizes,
  ) {
    if (buffer.byteLength < layout.bytes)
      throw new RangeError(`The shared memory holds ${buffer.byteLength} bytes; this model needs ${layout.bytes}.`);
    this.control = new Int32Array(buffer, 0, CONTROL_WORDS);
    this.results = new Float64Array(buffer, layout.results, 3);
    this.modes = new Int32Array(buffer, layout.modes, sizes.layers);
    this.rates = new Float64Array(buffer, layout.rates, sizes.layers);
    this.message = new Uint8Array(buffer, layout.message, MESSAGE_CAPACITY);
    this.inputs = new Float32Array(buffer, layout.inputs, sizes.maxRows * sizes.inputDim);
    this.targets = new Float32Array(buffer, layout.targets, sizes.maxRows * sizes.targetWidth);
  }

  static create(sizes: LayoutSizes): SharedChannel {
    const layout = sharedLayout(sizes);
    return new SharedChannel(new SharedArrayBuffer(layout.bytes), layout, sizes);
  }

  weights(k: number): Float32Array {
    return new Float32Array(this.buffer, this.layout.weights[k], this.sizes.parameterLengths[k]);
  }

  gradients(worker: number, k: number): Float32Array {
    return new Float32Array(this.buffer, this.layout.gradients[worker]![k], this.sizes.parameterLengths[k]);
  }

  get state(): ReplicaState {
    return Atomics.load(this.control, STATE) as ReplicaState;
  }

  // The coordinator's side.

  /** Asks the replica to take a step over `rows` rows (inputs, targets, modes and rates written before). */
  command(rows: number): number {
    Atomics.store(this.control, ROWS, rows);
    Atomics.store(this.control, KIND, STEP);
    const seq = (Atomics.load(this.control, COMMAND) + 1) | 0;
    Atomics.store(this.control, COMMAND, seq);
    Atomics.notify(this.control, COMMAND);
    return seq;
  }

  quit(): void {
    Atomics.store(this.control, KIND, QUIT);
    Atomics.store(this.control, COMMAND, (Atomics.load(this.control, COMMAND) + 1) | 0);
    Atomics.notify(this.control, COMMAND);
  }

  /**
   * Blocks until the replica answered command `seq`, it failed, or `stallMs` passed without an answer. Returns
   * undefined when answered, else why not.
   */
  awaitAnswer(seq: number, stallMs: number): string | undefined {
    const start = Date.now();
    for (;;) {
      const answered = Atomics.load(this.control, ANSWER);
      if (answered === seq) return undefined;
      const state = this.state;
      if (state === ReplicaState.Failed || state === ReplicaState.Exited) return this.failure();
      const left = stallMs - (Date.now() - start);
      if (left <= 0) return `it did not finish its step within ${Math.round(stallMs / 1000)} s`;
      Atomics.wait(this.control, ANSWER, answered, Math.min(left, 250));
    }
  }

  /** What the replica said when it failed, or that it exited. */
  failure(): string {
    const length = Atomics.load(this.control, MESSAGE_BYTES);
    const text = new TextDecoder().decode(this.message.slice(0, Math.min(length, MESSAGE_CAPACITY)));
    return text || (this.state === ReplicaState.Exited ? 'it exited' : 'it failed');
  }

  // The replica's side.

  markReady(): void {
    this.settle(ReplicaState.Ready);
  }

  /** Records why the replica stops (first reason wins) and wakes the coordinator. */
  markFailed(
    message: string,
    state: typeof ReplicaState.Failed | typeof ReplicaState.Exited = ReplicaState.Failed,
  ): void {
    if (this.state === ReplicaState.Failed || this.state === ReplicaState.Exited) return;
    const bytes = new TextEncoder().encode(message).subarray(0, MESSAGE_CAPACITY);
    this.message.set(bytes);
    Atomics.store(this.control, MESSAGE_BYTES, bytes.length);
    this.settle(state);
    Atomics.notify(this.control, ANSWER);
  }

  /** Blocks until the coordinator's next command after `seq`; returns its sequence number and rows, or 'quit'. */
  nextCommand(seq: number): { seq: number; rows: number } | 'quit' {
    while (Atomics.load(this.control, COMMAND) === seq) Atomics.wait(this.control, COMMAND, seq);
    if (Atomics.load(this.control, KIND) === QUIT) return 'quit';
    return { seq: Atomics.load(this.control, COMMAND), rows: Atomics.load(this.control, ROWS) };
  }

  answer(seq: number): void {
    Atomics.store(this.control, ANSWER, seq);
    Atomics.notify(this.control, ANSWER);
  }

  private settle(state: ReplicaState): void {
    Atomics.store(this.control, STATE, state);
    Atomics.notify(this.control, STATE);
  }
}
