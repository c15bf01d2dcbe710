import type { MatmulKernels } from './types';

/** Plain TypeScript loops: the reference every faster kernel is tested against. */
export const referenceKernels: MatmulKernels = {
  name: 'typescript',
  matmul(A, B, C, m, k, n, transA, transB, accumulate) {
    if (!accumulate) C.fill(0, 0, m * n);
    for (let i = 0; i < m; i++) {
      const cRow = i * n;
      for (let p = 0; p < k; p++) {
        const a = transA ? A[p * m + i]! : A[i * k + p]!;
        if (a === 0) continue;
        if (transB) {
          for (let j = 0; j < n; j++) C[cRow + j]! += a * B[j * k + p]!;
        } else {
          const bRow = p * n;
          for (let j = 0; j < n; j++) C[cRow + j]! += a * B[bRow + j]!;
        }
      }
    }
  },
};
