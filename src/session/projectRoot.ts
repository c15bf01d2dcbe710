/**
 * Where-am-I-running-from, decided once, for the extension host, the CLI and the unit tests alike.
 *
 * - The root: the folder of this project's package.json, found from this module's own location. In a webpack
 *   bundle that is `<root>/dist/<bundle>.js`; from the sources (tsx) it is `<root>/src/session/projectRoot.ts`.
 *   An installed extension or CLI has the same layout, so no working directory or argv is consulted.
 * - Bundle or source: whichever this code itself is. The webpack build defines `__DROPOUT_LENS_BUNDLED__`; code
 *   that runs from the sources runs under tsx, so its workers may too. Bundled code never needs tsx, which is why
 *   tsx is only a development dependency.
 *
 * bin/dropout-lens.js makes the one choice this module cannot (it runs before any of this code loads): the
 * bundle `dist/cli.js` when it exists, else the sources through tsx (DROPOUT_LENS_FROM_SOURCE=1 forces the
 * sources).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

declare const __DROPOUT_LENS_BUNDLED__: boolean | undefined;

export const PACKAGE_NAME = 'dropout-lens';

/** True in the webpack bundles (dist/*.js), false when running from the TypeScript sources. */
export const RUNNING_FROM_BUNDLE = typeof __DROPOUT_LENS_BUNDLED__ === 'boolean' && __DROPOUT_LENS_BUNDLED__;

function isProjectRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** The nearest folder at or above `from` whose package.json is this project's. Throws when there is none. */
export function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isProjectRoot(dir)) return dir;
    if (dirname(dir) === dir)
      throw new Error(
        `Dropout Lens could not find its own folder (a package.json named ${PACKAGE_NAME}) above ${from}.`,
      );
  }
}

let cached: string | undefined;

/** The root of this checkout, installed CLI or installed extension. */
export function projectRoot(): string {
  cached ??= findProjectRoot(__dirname);
  return cached;
}

/** Where a worker_threads entry is. */
/** A child process's entry: the script to fork, and the Node options it needs (tsx's hook, from the sources). */
export interface ProcessLocation {
  file: string;
  execArgv: string[];
  /** The working directory it needs (Node resolves `--require tsx/cjs` from there). */
  cwd?: string;
}

/** Like workerEntry, for a forked process: the bundle, or the TypeScript source through tsx's require hook. */
export function processEntry(
  root: string,
  bundle: string,
  source: string,
  bundled: boolean = RUNNING_FROM_BUNDLE,
): ProcessLocation {
  const file = join(root, 'dist', bundle);
  if (bundled) {
    if (!existsSync(file)) throw new Error(`${file} is missing: the build is incomplete (run npm run build).`);
    return { file, execArgv: [] };
  }
  if (existsSync(file) && !process.env.DROPOUT_LENS_FROM_SOURCE) return { file, execArgv: [] };
  // tsx is found from the project root, where the child starts, not from the host's working directory.
  return { file: join(root, source), execArgv: ['--require', 'tsx/cjs'], cwd: root };
}

export interface WorkerLocation {
  /** The worker's entry file, or with `eval`, the code that loads it. */
  file: string;
  eval?: boolean;
}

/**
 * A worker entry under `root`. Bundled code uses `dist/<bundle>` and nothing else: a missing bundle is an error,
 * never a fall-back to sources that would need tsx. Code running from the sources uses the bundle too when it
 * was built (the benchmarks measure what ships), unless DROPOUT_LENS_FROM_SOURCE is set (the unit-test runner
 * sets it: a bundle may be older than the sources); else `source` through tsx.
 */
export function workerEntry(
  root: string,
  bundle: string,
  source: string,
  bundled: boolean = RUNNING_FROM_BUNDLE,
): WorkerLocation {
  const file = join(root, 'dist', bundle);
  if (bundled) {
    if (!existsSync(file)) throw new Error(`${file} is missing: the build is incomplete (run npm run build).`);
    return { file };
  }
  if (existsSync(file) && !process.env.DROPOUT_LENS_FROM_SOURCE) return { file };
  return sourceWorkerEntry(root, source);
}

/** A worker entry's TypeScript source, run through tsx. */
export function sourceWorkerEntry(root: string, source: string): WorkerLocation {
  // Node 20 does not pass --import loaders to worker threads; tsx's require hook, installed first, does the job.
  // It is found from the project root: an eval'd worker resolves bare names from the working directory, which
  // may be any folder (the CLI run from the sources elsewhere).
  return {
    file: `require(require.resolve('tsx/cjs', { paths: [${JSON.stringify(root)}] })); require(${JSON.stringify(join(root, source))});`,
    eval: true,
  };
}
