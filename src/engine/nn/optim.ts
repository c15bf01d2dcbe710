/** Optimizers with PyTorch's update rules, over flat parameter buffers; state allocated once. */
import type { OptimizerSpec, ScheduleSpec } from '../../protocol/modelSpec';

export interface Parameter {
  value: Float32Array;
  grad: Float32Array;
}

export interface Optimizer {
  step(lr: number): void;
}

export function createOptimizer(spec: OptimizerSpec, params: Parameter[]): Optimizer {
  return spec.kind === 'sgd' ? new Sgd(params, spec.momentum, spec.dampening, spec.nesterov, spec.weightDecay) : new Adam(params, spec.beta1, spec.beta2, spec.epsilon, spec.weightDecay);
}

/** torch.optim.SGD: d = g + wd*w; buf = d (first step) or m*buf + (1-dampening)*d; d = d + m*buf (nesterov) or buf; w -= lr*d. */
export class Sgd implements Optimizer {
  private readonly buffers: Float32Array[];
  private started = false;

  constructor(private readonly params: Parameter[], private readonly momentum: number, private readonly dampening: number, private readonly nesterov: boolean, private readonly weightDecay: number) {
    this.buffers = momentum !== 0 ? params.map((p) => new Float32Array(p.value.length)) : [];
  }

  /** The momentum buffer of parameter i (undefined without momentum). */
  buffer(i: number): Float32Array | undefined {
    return this.buffers[i];
  }

  step(lr: number): void {
    const { momentum, nesterov, weightDecay } = this;
    // On the first step the buffer is d itself: momentum 0 and weight 1 on d give exactly that.
    const keep = this.started ? momentum : 0;
    const fresh = this.started ? 1 - this.dampening : 1;
    for (let k = 0; k < this.params.length; k++) {
      const { value: w, grad: g } = this.params[k]!;
      const buf = this.buffers[k];
      const n = w.length;
      if (!buf) {
        for (let i = 0; i < n; i++) w[i] = w[i]! - lr * (g[i]! + weightDecay * w[i]!);
      } else if (nesterov) {
        for (let i = 0; i < n; i++) {
          const d = g[i]! + weightDecay * w[i]!;
          const b = keep * buf[i]! + fresh * d;
          buf[i] = b;
          w[i] = w[i]! - lr * (d + momentum * b);
        }
      } else {
        for (let i = 0; i < n; i++) {
          const b = keep * buf[i]! + fresh * (g[i]! + weightDecay * w[i]!);
          buf[i] = b;
          w[i] = w[i]! - lr * b;
        }
      }
    }
    this.started = true;
  }
}

/** torch.optim.Adam with L2 weight decay added to the gradient, and bias correction. */
export class Adam implements Optimizer {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(private readonly params: Parameter[], private readonly beta1: number, private readonly beta2: number, private readonly epsilon: number, private readonly weightDecay: number) {
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
