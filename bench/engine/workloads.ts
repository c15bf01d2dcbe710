/** The engine benchmark's workloads (issue 3), shared by the TypeScript side and, by value, pytorch_bench.py. */
export interface Workload {
  readonly name: 'W1' | 'W2' | 'W3';
  readonly description: string;
  /** Layer widths, input first. */
  readonly sizes: readonly number[];
  /** Dropout rate applied to the input of each dense layer (0: none): input dropout, then after each hidden layer. */
  readonly dropout: readonly number[];
  readonly batch: number;
}

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'W1',
    description: 'MLP 2-64-64-2, ReLU, dropout 0.5, batch 32',
    sizes: [2, 64, 64, 2],
    dropout: [0, 0.5, 0.5],
    batch: 32,
  },
  {
    name: 'W2',
    description: '784-512-512-10, dropout 0.2 in / 0.5 hidden, batch 128',
    sizes: [784, 512, 512, 10],
    dropout: [0.2, 0.5, 0.5],
    batch: 128,
  },
  {
    name: 'W3',
    description: '256-1024-1024-10, dropout 0.5 hidden, batch 256',
    sizes: [256, 1024, 1024, 10],
    dropout: [0, 0.5, 0.5],
    batch: 256,
  },
];

/** One float32 roof of this machine's core (OpenBLAS sgemm, one thread), GFLOP/s. */
export const ROOF_GFLOPS = 107;

export interface MatmulShape {
  readonly what: string;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

/**
 * The matrix products of one training step of a dense network: per layer the forward X·Wᵀ, the weight gradient
 * dYᵀ·X and, except for the first layer, the input gradient dY·W.
 */
export function stepProducts(w: Workload): MatmulShape[] {
  const out: MatmulShape[] = [];
  const b = w.batch;
  for (let l = 0; l + 1 < w.sizes.length; l++) {
    const nIn = w.sizes[l]!;
    const nOut = w.sizes[l + 1]!;
    out.push({ what: `forward ${l + 1}`, m: b, k: nIn, n: nOut, transA: false, transB: true });
    out.push({ what: `weight gradient ${l + 1}`, m: nOut, k: b, n: nIn, transA: true, transB: false });
    if (l > 0) out.push({ what: `input gradient ${l + 1}`, m: b, k: nOut, n: nIn, transA: false, transB: false });
  }
  return out;
}

/** FLOPs of one step (2 per multiply-add, matrix products only): W1 0.83 M, W2 411 M, W3 1,895 M. */
export function stepFlops(w: Workload): number {
  return stepProducts(w).reduce((sum, s) => sum + 2 * s.m * s.k * s.n, 0);
}
