/**
 * The runtime probe's overhead (issue 13): training steps/s of an MLP like W2 and a small CNN with and without
 * the probe at its default sampling, in alternating windows of one PyTorch process (probe_bench.py, Debian's
 * python3-torch, one thread). Target: under 3 % of step time. Dated measurements in ./README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface ProbeBenchOptions {
  json: boolean;
  /** Alternating pairs of windows per workload (default 41). */
  pairs?: number;
  write?: (text: string) => void;
}

export interface ProbeBenchRecord {
  workload: string;
  description: string;
  stepsPerSecondWithout: number;
  stepsPerSecondWith: number;
  /** Median over pairs of (time with the probe / time without) - 1, in percent. */
  overheadPercent: number;
  overheadQuartiles: [number, number];
  /** The probe's own timing of its sampled work (mask reading and records), as a share of the time with it. */
  samplingSharePercent: number;
  period: number;
  records: number;
  pairs: number;
  targetPercent: number;
  pass: boolean;
}

export const PROBE_TARGET_PERCENT = 3;

export function runProbeBench(opts: ProbeBenchOptions): ProbeBenchRecord[] {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const script = join(__dirname, 'probe_bench.py');
  const r = spawnSync(python, [script, '--pairs', String(opts.pairs ?? 41)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    write(`probe bench: ${python} ${script} failed (exit ${r.status}): ${r.stderr.slice(-800)}\n`);
    return [];
  }
  const records: ProbeBenchRecord[] = [];
  for (const line of r.stdout.trim().split('\n')) {
    const raw = JSON.parse(line) as Omit<ProbeBenchRecord, 'targetPercent' | 'pass'> & { skipped?: string };
    if (raw.skipped) {
      write(`probe bench: skipped (${raw.skipped})\n`);
      return [];
    }
    records.push({
      ...raw,
      targetPercent: PROBE_TARGET_PERCENT,
      pass: raw.overheadPercent < PROBE_TARGET_PERCENT,
    });
  }
  if (opts.json) {
    for (const rec of records) write(JSON.stringify({ benchmark: 'probe', ...rec }) + '\n');
    return records;
  }
  write('\nRuntime probe: training step overhead at the default sampling (alternating windows, 1 thread)\n');
  for (const rec of records)
    write(
      `  ${rec.workload.padEnd(4)} ${rec.stepsPerSecondWithout.toFixed(1).padStart(7)} steps/s without, ` +
        `${rec.stepsPerSecondWith.toFixed(1).padStart(7)} with: overhead ${rec.overheadPercent.toFixed(2)} % ` +
        `(quartiles ${rec.overheadQuartiles.map((q) => q.toFixed(1)).join('..')} %, ${rec.pairs} pairs; ` +
        `sampled work ${rec.samplingSharePercent.toFixed(2)} %, period ${rec.period}) ` +
        `${rec.pass ? '✓' : '✗'} target < ${rec.targetPercent} %\n` +
        `       ${rec.description}\n`,
    );
  return records;
}
