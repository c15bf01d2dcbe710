/** The benchmark suite behind `npm run bench` and `dropout-lens bench`. */
import { runEngineBench } from './engine';
import { runAnalysisBench } from './analysis';

export interface BenchIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export async function runBenchmarks(args: string[], io: BenchIO): Promise<number> {
  const json = args.includes('--json');
  const which = args.filter((a) => !a.startsWith('--'));
  const all = which.length === 0;
  const unknown = which.filter((w) => w !== 'engine' && w !== 'analysis');
  if (unknown.length > 0) {
    io.stderr(`bench: unknown suite(s) ${unknown.join(', ')}; use engine and/or analysis\n`);
    return 2;
  }
  if (all || which.includes('engine')) await runEngineBench({ json });
  if (all || which.includes('analysis')) await runAnalysisBench({ json });
  return 0;
}
