/** The benchmark suite behind `npm run bench` (a development tool: the shipped CLI has no bench command). */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export async function runBenchmarks(args: string[], io: BenchIO): Promise<number> {
  const json = args.includes('--json');
  const which = args.filter((a) => !a.startsWith('--'));
  const all = which.length === 0;
  const unknown = which.filter(
    (w) => w !== 'engine' && w !== 'analysis' && w !== 'data' && w !== 'ui' && w !== 'probe',
  );
  if (unknown.length > 0) {
    io.stderr(`bench: unknown suite(s) ${unknown.join(', ')}; use engine, analysis, data, ui and/or probe\n`);
    return 2;
  }
  // `--workloads=W2,W4`: only those engine workloads.
  const workloads = args
    .find((a) => a.startsWith('--workloads='))
    ?.slice('--workloads='.length)
    .split(',') as Array<'W1' | 'W2' | 'W3' | 'W4'> | undefined;
  const known = ['W1', 'W2', 'W3', 'W4'];
  const badWorkload = workloads?.find((w) => !known.includes(w));
  if (badWorkload !== undefined) {
    io.stderr(`bench: unknown workload ${badWorkload}; use ${known.join(', ')}\n`);
    return 2;
  }
  // Each suite loads only when asked for.
  if (all || which.includes('engine'))
    await (await import('./engine')).runEngineBench({ json, ...(workloads ? { workloads } : {}) });
  if (all || which.includes('analysis')) await (await import('./analysis')).runAnalysisBench({ json });
  if (all || which.includes('data')) await (await import('./data')).runDataBench({ json, write: io.stdout });
  if (all || which.includes('probe')) (await import('./probe')).runProbeBench({ json });
  if (all || which.includes('ui')) {
    // Chromium, the panel's page harness and the built bundles of a checkout: loaded only when asked for, from
    // the sources under tsx.
    let ui: typeof import('./ui');
    try {
      ui = await import(
        /* webpackIgnore: true */ pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'ui', 'index.ts')).href
      );
    } catch (error) {
      io.stderr(
        `bench: the ui benchmark runs from the sources under tsx (npm run bench -- ui): ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return all ? 0 : 1;
    }
    await ui.runUiBench({ json, write: io.stdout });
  }
  return 0;
}
