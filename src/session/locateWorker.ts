/** Where a worker_threads entry is: its webpack bundle when built, else its TypeScript source through tsx. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerLocation {
  /** The worker's entry file, or with `eval`, the code that loads it. */
  file: string;
  eval?: boolean;
}

/**
 * `dist/<bundle>` next to the extension (or CLI) bundle, else `source` (relative to `root`) through tsx:
 * unit tests and a checkout that was never built.
 */
export function locateWorker(root: string, bundle: string, source: string): WorkerLocation {
  const bundled = join(root, 'dist', bundle);
  // DROPOUT_LENS_FROM_SOURCE (set by the unit-test runner) never uses a bundle that may be older than the sources.
  if (existsSync(bundled) && !process.env.DROPOUT_LENS_FROM_SOURCE) return { file: bundled };
  // Node 20 does not pass --import loaders to worker threads; tsx's require hook, installed first, does the job.
  return { file: `require('tsx/cjs'); require(${JSON.stringify(join(root, source))});`, eval: true };
}
