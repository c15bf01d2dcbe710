/** Optimizers with PyTorch's update rules, over flat parameter buffers; state allocated once. */
import type { OptimizerSpec, ScheduleSpec } from '../../protocol/modelSpec';
import { sgdSimd, type SgdUpdate, type SimdSgd } from '../kernels/elementwise';

export interface Parameter {
  value: Float32Array;
  grad: Float32Array;
}

export interface Optimizer {
  step(lr: number): void;
  /** Copies of the state the next steps depend on (momentum or moment buffers, the step count). */
  saveState(): OptimizerState;
  restoreState(state: OptimizerState): void;
}

export interface OptimizerState {
  buffers: Float32Array[];
  steps: number;
}

export function createOptimizer(spec: OptimizerSpec, params: Parameter[]): Optimizer {
  return spec.kind === 'sgd'
    ? new Sgd(params, spec.momentum, spec.dampening, spec.nesterov, spec.weightDecay)
    : new Adam(params, spec.beta1, spec.beta2, spec.epsilon, spec.weightDecay);
}

/**
 * torch.optim.SGD: d = g + wd*w; buf = d (first step) or m*buf + (1-dampening)*d; d = d + m*buf (nesterov) or buf;
 * w -= lr*d. Every operation is rounded to float32, as PyTorch's float tensors do (its scalars become floats too).
 * The update runs in WebAssembly SIMD over all parameters in one call (elementwise.wat's `sgd`, which then also
 * holds the momentum buffers); `sgdStep` below is its TypeScript twin, bit for bit, and the fallback without SIMD.
 */
export class Sgd implements Optimizer {
  private readonly buffers: Float32Array[];
  private readonly simd: SimdSgd | null;
  private readonly update: SgdUpdate;
  private started = false;

  constructor(
    private readonly params: Parameter[],
    momentum: number,
    private readonly dampening: number,
    nesterov: boolean,
    weightDecay: number,
    options: { simd?: boolean } = {},
  ) {
    this.simd = options.simd === false ? null : sgdSimd(params.map((p) => p.value.length));
    this.buffers =
      momentum === 0
        ? []
        : this.simd
          ? params.map((_, k) => this.simd!.buffer(k))
          : params.map((p) => new Float32Array(p.value.length));
    this.update = {
      mode: momentum === 0 ? 0 : nesterov ? 2 : 1,
      lr: 0,
      weightDecay: Math.fround(weightDecay),
      keep: 0,
      fresh: 1,
      momentum: Math.fround(momentum),
    };
  }

  /** The momentum buffer of parameter i (undefined without momentum). */
  buffer(i: number): Float32Array | undefined {
    return this.buffers[i];
  }

  step(lr: number): void {
    const u = this.update;
    u.lr = Math.fround(lr);
    // On the first step the buffer is d itself: weight 0 on the (zero) buffer and 1 on d give exactly that.
    u.keep = this.started ? u.momentum : 0;
    u.fresh = this.started ? Math.fround(1 - this.dampening) : 1;
    if (this.simd) this.simd.step(this.params, u);
    else
      for (let k = 0; k < this.params.length; k++)
        sgdStep(this.params[k]!.value, this.params[k]!.grad, this.buffers[k], this.params[k]!.value.length, u);
    this.started = true;
  }

  saveState(): OptimizerState {
    return { buffers: this.buffers.map((b) => b.slice()), steps: this.started ? 1 : 0 };
  }

  restoreState(state: OptimizerState): void {
    this.buffers.forEach((b, k) => b.set(state.buffers[k]!));
    this.started = state.steps > 0;
  }
}

/** One SGD update of n weights, every operation rounded to f32 (the SIMD kernel's twin; u's scalars are f32 already). */
export function sgdStep(
  w: Float32Array,
  g: Float32Array,
  buf: Float32Array | undefined,
  n: number,
  u: SgdUpdate,
): void {
  const f = Math.fround;
  const { lr, weightDecay: wd, keep, fresh, momentum } = u;
  if (u.mode === 0 || !buf) {
    for (let i = 0; i < n; i++) {
      const d = f(g[i]! + f(wd * w[i]!));
      w[i] = w[i]! - f(lr * d);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const d = f(g[i]! + f(wd * w[i]!));
    let b = f(f(keep * buf[i]!) + f(fresh * d));
    buf[i] = b;
    if (u.mode === 2) b = f(d + f(momentum * b));
    w[i] = w[i]! - f(lr * b);
  }
}

/** torch.optim.Adam with L2 weight decay added to the gradient, and bias correction. */
export class Adam implements Optimizer {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(
    private readonly params: Parameter[],
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
    private readonly weightDecay: number,
  ) {
    this.m = params.map((p) => new Float32Array(p.value.length));
    this.v = params.map((p) => new Float32Array(p.value.length));
  }

  step(lr: number): void {
    this.t++;
    const { beta1, beta2, epsilon, weightDecay } = this;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const stepSize = lr / c1;
    const sqrtC2 = Math.sqrt(c2);
    for (let k = 0; k < this.params.length; k++) {
      const { value: w, grad: g } = this.params[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      for (let i = 0; i < w.length; i++) {
        const d = g[i]! + weightDecay * w[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * d;
        v[i] = beta2 * v[i]! + (1 - beta2) * d * d;
        w[i] = w[i]! - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / sqrtC2 + epsilon);
      }
    }
  }

  saveState(): OptimizerState {
    return { buffers: [...this.m, ...this.v].map((b) => b.slice()), steps: this.t };
  }

  restoreState(state: OptimizerState): void {
    [...this.m, ...this.v].forEach((b, k) => b.set(state.buffers[k]!));
    this.t = state.steps;
  }
}

/** torch.renorm(W, 2, 0, c): rows (incoming weight vectors) with norm above c scaled by c / (norm + 1e-7). Returns rows changed. */
export function maxNorm(W: Float32Array, rows: number, cols: number, c: number, changed?: Uint8Array): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let j = 0; j < cols; j++) sq += W[r * cols + j]! ** 2;
    const norm = Math.sqrt(sq);
    const hit = norm > c;
    if (changed) changed[r] = hit ? 1 : 0;
    if (!hit) continue;
    count++;
    const scale = c / (norm + 1e-7);
    for (let j = 0; j < cols; j++) W[r * cols + j] = W[r * cols + j]! * scale;
  }
  return count;
}

/** Learning rate after `epoch` completed epochs (PyTorch's StepLR / ExponentialLR stepped once per epoch). */
export function scheduledLr(base: number, schedule: ScheduleSpec, epoch: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** Math.floor(epoch / schedule.every);
    case 'exponential':
      return base * schedule.gamma ** epoch;
  }
}
