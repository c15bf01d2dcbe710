/** `dropout-lens bench`: the same benchmarks as `npm run bench`. */
import type { CliIO } from './io';

export async function runBench(args: string[], io: CliIO): Promise<number> {
  if (args.includes('--help')) {
    io.stdout('Usage: dropout-lens bench [--json] [engine|analysis|ui]\n');
    return 0;
  }
  const { runBenchmarks } = require('../../bench/suite') as typeof import('../../bench/suite');
  return runBenchmarks(args, io);
}
