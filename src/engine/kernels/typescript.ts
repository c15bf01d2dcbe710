import type { MatmulKernels } from './types';

/**
 * Plain TypeScript kernels for small products (W1's 32x2x64 and the like), where a WebAssembly call and its
 * packing cost more than the arithmetic. One loop nest per transpose combination, each walking memory
 * contiguously in its innermost loop; no branches on values inside the loops (unlike the reference, which skips
 * zeros), and nothing allocated.
 */
export const smallKernels: MatmulKernels = {
  name: 'typescript-small',
  matmul(A, B, C, m, k, n, transA, transB, accumulate) {
    if (transB) {
      if (transA) ttDots(A, B, C, m, k, n, accumulate);
      else ntDots(A, B, C, m, k, n, accumulate);
      return;
    }
    if (!accumulate) C.fill(0, 0, m * n);
    if (transA) tnRows(A, B, C, m, k, n);
    else nnRows(A, B, C, m, k, n);
  },
};

/** C (+)= A · Bᵀ: every element is a dot product of a row of A and a row of B, both contiguous. */
function ntDots(
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate: boolean,
): void {
  const k4 = k & ~3;
  for (let i = 0; i < m; i++) {
    const a = i * k;
    const c = i * n;
    for (let j = 0; j < n; j++) {
      const b = j * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let p = 0;
      for (; p < k4; p += 4) {
        s0 += A[a + p]! * B[b + p]!;
        s1 += A[a + p + 1]! * B[b + p + 1]!;
        s2 += A[a + p + 2]! * B[b + p + 2]!;
        s3 += A[a + p + 3]! * B[b + p + 3]!;
      }
      for (; p < k; p++) s0 += A[a + p]! * B[b + p]!;
      const s = s0 + s1 + (s2 + s3);
      C[c + j] = accumulate ? C[c + j]! + s : s;
    }
  }
}

/** C (+)= Aᵀ · Bᵀ (rare): dot products with a strided walk of A. */
function ttDots(
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    const c = i * n;
    for (let j = 0; j < n; j++) {
      const b = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[p * m + i]! * B[b + p]!;
      C[c + j] = accumulate ? C[c + j]! + s : s;
    }
  }
}

/** C += A · B: for each row of C, add rows of B scaled by A's entries, two at a time. */
function nnRows(A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const a = i * k;
    const c = i * n;
    let p = 0;
    for (; p + 1 < k; p += 2) {
      const a0 = A[a + p]!;
      const a1 = A[a + p + 1]!;
      const b0 = p * n;
      const b1 = b0 + n;
      for (let j = 0; j < n; j++) C[c + j] = C[c + j]! + a0 * B[b0 + j]! + a1 * B[b1 + j]!;
    }
    if (p < k) {
      const a0 = A[a + p]!;
      const b0 = p * n;
      for (let j = 0; j < n; j++) C[c + j] = C[c + j]! + a0 * B[b0 + j]!;
    }
  }
}

/** C += Aᵀ · B: the weight gradient dYᵀ·X. Row i of C gathers column i of A against the rows of B. */
function tnRows(A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const c = i * n;
    let p = 0;
    for (; p + 1 < k; p += 2) {
      const a0 = A[p * m + i]!;
      const a1 = A[(p + 1) * m + i]!;
      const b0 = p * n;
      const b1 = b0 + n;
      for (let j = 0; j < n; j++) C[c + j] = C[c + j]! + a0 * B[b0 + j]! + a1 * B[b1 + j]!;
    }
    if (p < k) {
      const a0 = A[p * m + i]!;
      const b0 = p * n;
      for (let j = 0; j < n; j++) C[c + j] = C[c + j]! + a0 * B[b0 + j]!;
    }
  }
}
