/** Random streams per worker: each worker's rows draw their dropout masks from a stream of their own. */

/** The training stream's seed for one worker (`rank`) of `workers`. One worker keeps the engine's original stream. */
export function workerSeed(seed: number, workers: number, rank: number): number {
  const base = seed ^ 0x7a11;
  if (workers === 1) return base;
  // A worker's rows are fixed by the worker count and its rank, so this names the row range's own stream.
  return (base + Math.imul(workers, 0x9e3779b1) + Math.imul(rank + 1, 0x85ebca6b)) >>> 0;
}
