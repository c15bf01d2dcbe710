/**
 * The arithmetic of data-parallel training: how a batch splits, and how the gradients are summed. Each worker's
 * loss is the mean over its own rows, so its gradient is scaled by its share of the batch (rows / batch) before
 * the sum; the sum is then the full batch's mean gradient. With an even split the share is 1/2, a power of two: the scaled loss gradient has the very bits
 * of the one-worker mean. The reduction adds the workers' gradients in one fixed order (worker 0's, then worker
 * 1's), so a run replays bit for bit for a given worker count; against one worker the sums reassociate and agree
 * to float tolerance only.
 */
export function scaleGradient(grad: Float32Array, n: number, share: number): void {
  if (share === 1) return;
  for (let i = 0; i < n; i++) grad[i] = grad[i]! * share;
}

/** into += from, elementwise, each sum rounded to float32. */
export function addGradient(into: Float32Array, from: Float32Array): void {
  const n = into.length;
  for (let i = 0; i < n; i++) into[i] = into[i]! + from[i]!;
}

/** Rows of a `batch` the coordinator keeps when two workers share it: the first half, rounded up. */
export function coordinatorRows(batch: number): number {
  return Math.ceil(batch / 2);
}
