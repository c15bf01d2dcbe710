/**
 * The engine benchmark (issue 3): training steps per second on W1-W3, ours against PyTorch measured in the same run,
 * plus the matrix products alone (reference TypeScript against the selected SIMD kernels).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceKernels, selectKernels, type MatmulKernels } from '../../src/engine/kernels/index';
import { measureRate, type Rate } from './measure';
import { ROOF_GFLOPS, WORKLOADS, stepFlops, stepProducts, type Workload } from './workloads';
import { fullStepRunner } from './fullStep';

export interface EngineBenchOptions {
  json: boolean;
  /** Windows per measurement (default 15); the median is reported. */
  windows?: number;
  /** Seconds per window (default 0.25). */
  windowSeconds?: number;
  /** Workloads to run (default all). */
  workloads?: ReadonlyArray<'W1' | 'W2' | 'W3'>;
  /** Where text goes (default process.stdout). */
  write?: (text: string) => void;
}

export interface BenchRecord {
  workload: string;
  tool: string;
  stepsPerSecond: number;
  gflops: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
/** The reference TypeScript path needs seconds per step on W2/W3; it gets fewer windows. */
const REFERENCE_WINDOWS = 3;
/** The worker's default mask/statistics stream rate (dropoutLens.training.maskUpdatesPerSecond). */
const STREAM_HZ = 30;

export async function runEngineBench(opts: EngineBenchOptions): Promise<BenchRecord[]> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const windows = opts.windows ?? 15;
  const windowSeconds = opts.windowSeconds ?? 0.25;
  const chosen = WORKLOADS.filter((w) => !opts.workloads || opts.workloads.includes(w.name));
  const records: BenchRecord[] = [];
  const emit = (r: BenchRecord & Record<string, unknown>): void => {
    records.push(r);
    if (opts.json) write(JSON.stringify(r) + '\n');
  };
  const text = (t: string): void => {
    if (!opts.json) write(t);
  };

  const fast = selectKernels();
  const streaming: Array<{ w: Workload; ours: number; costMs: number; everyStep: number }> = [];
  text(
    `Engine benchmark: one thread, medians of ${windows} windows of ~${windowSeconds} s (reference TypeScript: ${REFERENCE_WINDOWS}).\n` +
      `Kernels: ${fast.name}. GFLOP/s count matrix products only; roof ${ROOF_GFLOPS} GFLOP/s (one core, OpenBLAS).\n` +
      `Timings are noisy when other processes share the cores.\n\n`,
  );

  // PyTorch first, in a child process pinned to one thread, so both sides see the same machine state.
  const torch = runPytorch(chosen, windows, windowSeconds);

  for (const w of chosen) {
    const flops = stepFlops(w);
    text(`${w.name}  ${w.description}  (${fmtFlops(flops)} per step)\n`);

    // Matrix products of one step, alone.
    const kRef = measureKernels(w, referenceKernels, Math.min(windows, REFERENCE_WINDOWS), windowSeconds);
    const kFast = measureKernels(w, fast, windows, windowSeconds);
    emit({ workload: w.name, tool: 'dropout-lens-kernels', stepsPerSecond: kFast.perSecond, gflops: (kFast.perSecond * flops) / 1e9 });
    emit({ workload: w.name, tool: 'dropout-lens-reference-kernels', stepsPerSecond: kRef.perSecond, gflops: (kRef.perSecond * flops) / 1e9 });
    text(
      `  products only   reference TS ${fmtG((kRef.perSecond * flops) / 1e9)}   ${fast.name.startsWith('auto') ? 'selected' : fast.name} ` +
        `${fmtG((kFast.perSecond * flops) / 1e9)}   speed-up ${(kFast.perSecond / kRef.perSecond).toFixed(1)}x\n`,
    );

    // Full training steps (forward, backward, update, dropout active).
    const pt = torch.results.get(w.name);
    const rows: Array<[string, number]> = [];
    const full = fullStepRunner();
    if (typeof full === 'string') {
      text(`  full step       skipped: ${full}\n`);
    } else {
      const run = full(w, fast);
      const ours = measureRate(run.step, windows, windowSeconds);
      emit({ workload: w.name, tool: 'dropout-lens', stepsPerSecond: ours.perSecond, gflops: (ours.perSecond * flops) / 1e9 });
      rows.push(['dropout-lens', ours.perSecond]);
      if (run.stream) streaming.push({ w, ours: ours.perSecond, ...measureStreaming(run.step, run.stream, windows, windowSeconds) });
      const ref = measureRate(full(w, referenceKernels).step, Math.min(windows, REFERENCE_WINDOWS), windowSeconds);
      emit({ workload: w.name, tool: 'dropout-lens-reference', stepsPerSecond: ref.perSecond, gflops: (ref.perSecond * flops) / 1e9 });
      rows.push(['dropout-lens (reference TS kernels)', ref.perSecond]);
    }
    if (pt) {
      emit({ workload: w.name, tool: 'pytorch', stepsPerSecond: pt, gflops: (pt * flops) / 1e9 });
      rows.push(['pytorch (1 thread)', pt]);
    }
    for (const [tool, sps] of rows) {
      const g = (sps * flops) / 1e9;
      const ratio = pt && tool !== 'pytorch (1 thread)' ? `   ${(sps / pt).toFixed(2)}x PyTorch` : '';
      text(`  ${tool.padEnd(36)} ${fmtSps(sps)}   ${fmtG(g)}   ${((100 * g) / ROOF_GFLOPS).toFixed(1).padStart(5)}% of roof${ratio}\n`);
    }
    text('\n');
  }
  if (torch.skipped) {
    if (opts.json) process.stderr.write(`PyTorch skipped: ${torch.skipped}\n`);
    else text(`PyTorch skipped: ${torch.skipped}\n`);
  }
  if (streaming.length > 0) {
    text(`Streaming masks and activation statistics (what the worker posts, at ${STREAM_HZ} Hz by default):\n`);
    for (const s of streaming) {
      const stepMs = 1000 / s.ours;
      // The worker streams at most STREAM_HZ snapshots a second and at most one per step.
      const perSecond = Math.min(STREAM_HZ, s.ours);
      const share = (100 * s.costMs * perSecond) / (1000 + s.costMs * perSecond);
      text(
        `  ${s.w.name}  one snapshot ${s.costMs.toFixed(3)} ms = ${((100 * s.costMs) / stepMs).toFixed(1)}% of a ${stepMs.toFixed(3)} ms step; ` +
          `at ${perSecond.toFixed(perSecond < 10 ? 1 : 0)} snapshots/s ${share.toFixed(1)}% of wall time (target < 5%); ` +
          `measured with a snapshot after every step: ${(100 * (1 - s.everyStep / s.ours)).toFixed(1)}% fewer steps/s\n`,
      );
    }
  }
  return records;
}

/** Times the matrix products of one training step with the given kernels (buffers allocated once). */
function measureKernels(w: Workload, kernels: MatmulKernels, windows: number, windowSeconds: number): Rate {
  const shapes = stepProducts(w);
  const bufs = shapes.map((s) => ({ s, A: random(s.m * s.k), B: random(s.k * s.n), C: new Float32Array(s.m * s.n) }));
  return measureRate(
    () => {
      for (const { s, A, B, C } of bufs) kernels.matmul(A, B, C, s.m, s.k, s.n, s.transA, s.transB, false);
    },
    windows,
    windowSeconds,
  );
}

/** The cost of one mask/statistics snapshot, and the step rate when one is taken after every step. */
function measureStreaming(step: () => void, stream: () => void, windows: number, windowSeconds: number): { costMs: number; everyStep: number } {
  const snapshots = measureRate(stream, windows, windowSeconds / 4);
  const both = measureRate(
    () => {
      step();
      stream();
    },
    windows,
    windowSeconds,
  );
  return { costMs: 1000 / snapshots.perSecond, everyStep: both.perSecond };
}

interface TorchResults {
  results: Map<string, number>;
  skipped?: string;
}

function runPytorch(chosen: readonly Workload[], windows: number, windowSeconds: number): TorchResults {
  const results = new Map<string, number>();
  const script = join(here, 'pytorch_bench.py');
  if (!existsSync(PYTHON)) return { results, skipped: `${PYTHON} not found` };
  const run = spawnSync(
    PYTHON,
    [script, '--windows', String(windows), '--window-seconds', String(windowSeconds), '--workloads', chosen.map((w) => w.name).join(',')],
    { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, timeout: 600_000 },
  );
  if (run.error) return { results, skipped: run.error.message };
  for (const line of run.stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as { workload?: string; stepsPerSecond?: number; skipped?: string };
      if (r.skipped) return { results, skipped: r.skipped };
      if (r.workload && typeof r.stepsPerSecond === 'number') results.set(r.workload, r.stepsPerSecond);
    } catch {
      // not a result line
    }
  }
  if (results.size === 0) return { results, skipped: `pytorch_bench.py printed no results (exit ${run.status}): ${run.stderr.trim().slice(-300)}` };
  return { results };
}

function random(length: number): Float32Array {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

function fmtFlops(f: number): string {
  return f >= 1e9 ? `${(f / 1e9).toFixed(2)} GFLOP` : `${(f / 1e6).toFixed(f < 1e7 ? 2 : 0)} MFLOP`;
}
function fmtG(g: number): string {
  return `${g.toFixed(g < 10 ? 2 : 1).padStart(6)} GFLOP/s`;
}
function fmtSps(s: number): string {
  return `${s.toFixed(s < 10 ? 2 : s < 100 ? 1 : 0).padStart(9)} steps/s`;
}
