/**
 * The matrix-product kernels the engine's hot path runs on. All matrices are row-major and contiguous.
 * `matmul` computes C = op(A) · op(B), or C += op(A) · op(B) when `accumulate` is true, where
 * op(A) is m×k (A stored k×m when `transA`) and op(B) is k×n (B stored n×k when `transB`).
 */
export interface MatmulKernels {
  readonly name: string;
  matmul(
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
  ): void;
}
