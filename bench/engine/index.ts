/**
 * The engine benchmark (issue 3): training steps per second on W1-W3, ours against PyTorch measured in the same run,
 * plus the matrix products alone (reference TypeScript against the selected SIMD kernels).
 */
import { convTypescript } from '../../src/engine/kernels/convTypescript';
import { referenceKernels, selectKernels, type MatmulKernels } from '../../src/engine/kernels/index';
import { calibrate, measureRate, median, percentile, type Rate } from './measure';
import { TorchServer } from './torchServer';
import { ROOF_GFLOPS, WORKLOADS, stepFlops, stepProducts, type Workload, type WorkloadName } from './workloads';
import { fullStepRunner } from './fullStep';
import { measureTwoWorkers } from './twoWorkers';

export interface EngineBenchOptions {
  json: boolean;
  /** Windows per measurement (default 15); the median is reported. */
  windows?: number;
  /** Seconds per window (default 0.25). */
  windowSeconds?: number;
  /** Workloads to run (default all). */
  workloads?: readonly WorkloadName[];
  /** Where text goes (default process.stdout). */
  write?: (text: string) => void;
}

export interface BenchRecord {
  workload: string;
  tool: string;
  stepsPerSecond: number;
  gflops: number;
  /** dropout-lens: median over the interleaved pairs of (engine window rate / the adjacent PyTorch window's). */
  ratio?: number;
  /** The per-pair ratios' 25th and 75th percentiles, and their minimum and maximum. */
  ratioQuartiles?: [number, number];
  ratioRange?: [number, number];
  pairs?: number;
  /** dropout-lens-2w: the same median ratio against PyTorch on two threads. */
  ratio2t?: number;
  /** dropout-lens-streaming: share of wall time (%) at the worker's real stream rate; stepsPerSecond is with a snapshot after every step. */
  share?: number;
  snapshotMs?: number;
  snapshotsPerSecond?: number;
}

/** The workloads also measured on two workers (issue 14). */
const TWO_WORKER_WORKLOADS: readonly WorkloadName[] = ['W2', 'W3'];
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
    `Engine benchmark: one thread, ${windows} windows of ~${windowSeconds} s per measurement (reference TypeScript: ${REFERENCE_WINDOWS}).\n` +
      `Engine and PyTorch steps alternate window by window (AB BA AB ...; PyTorch in one persistent process), and each\n` +
      `ratio is the median of the ${windows} per-pair ratios, with quartiles and range, so load that changes mid-run hits both sides.\n` +
      `Kernels: ${fast.name}. GFLOP/s count matrix products only; roof ${ROOF_GFLOPS} GFLOP/s (one core, OpenBLAS).\n\n`,
  );

  // PyTorch in one child process pinned to one thread, kept running and driven window by window.
  const torch = await TorchServer.start();
  const skipped = typeof torch === 'string' ? torch : undefined;
  if (typeof torch !== 'string') text(`PyTorch ${torch.version}, 1 thread.\n\n`);
  // And one on two threads, for the two-worker rows (W2, W3).
  const torch2 =
    typeof torch === 'string' || !chosen.some((w) => TWO_WORKER_WORKLOADS.includes(w.name))
      ? undefined
      : await TorchServer.start(2);

  try {
    for (const w of chosen) {
      const flops = stepFlops(w);
      text(`${w.name}  ${w.description}  (${fmtFlops(flops)} per step)\n`);

      // Matrix products of one step, alone.
      const kRef = measureKernels(w, referenceKernels, Math.min(windows, REFERENCE_WINDOWS), windowSeconds);
      const kFast = measureKernels(w, fast, windows, windowSeconds);
      emit({
        workload: w.name,
        tool: 'dropout-lens-kernels',
        stepsPerSecond: kFast.perSecond,
        gflops: (kFast.perSecond * flops) / 1e9,
      });
      emit({
        workload: w.name,
        tool: 'dropout-lens-reference-kernels',
        stepsPerSecond: kRef.perSecond,
        gflops: (kRef.perSecond * flops) / 1e9,
      });
      text(
        `  products only   reference TS ${fmtG((kRef.perSecond * flops) / 1e9)}   ${fast.name.startsWith('auto') ? 'selected' : fast.name} ` +
          `${fmtG((kFast.perSecond * flops) / 1e9)}   speed-up ${(kFast.perSecond / kRef.perSecond).toFixed(1)}x\n`,
      );

      const full = fullStepRunner();
      if (typeof full === 'string') {
        text(`  full step       skipped: ${full}\n\n`);
        continue;
      }
      // Full training steps (forward, backward, update, dropout active), on the reference kernels alone first.
      const ref = measureRate(
        full(w, referenceKernels, convTypescript).step,
        Math.min(windows, REFERENCE_WINDOWS),
        windowSeconds,
      );
      const run = full(w, fast);

      // Interleaved: engine and PyTorch windows alternate, the order flipping every pair.
      const oursPerWindow = calibrate(run.step, windowSeconds);
      const torchPerWindow = typeof torch === 'string' ? 0 : await torch.setup(w.name, windowSeconds);
      const oursSeen: number[] = [];
      const torchSeen: number[] = [];
      const ratios: number[] = [];
      const oursWindow = (): number => {
        const t0 = performance.now();
        for (let i = 0; i < oursPerWindow; i++) run.step();
        return (oursPerWindow * 1000) / (performance.now() - t0);
      };
      for (let p = 0; p < windows; p++) {
        let a: number;
        let b = NaN;
        if (typeof torch === 'string') a = oursWindow();
        else if (p % 2 === 0) {
          a = oursWindow();
          b = await torch.window(w.name, torchPerWindow);
        } else {
          b = await torch.window(w.name, torchPerWindow);
          a = oursWindow();
        }
        oursSeen.push(a);
        if (!Number.isNaN(b)) {
          torchSeen.push(b);
          ratios.push(a / b);
        }
      }
      const ours = median(oursSeen);
      const pt = torchSeen.length ? median(torchSeen) : undefined;
      const ratio = ratios.length ? median(ratios) : undefined;
      const quartiles: [number, number] = [percentile(ratios, 25), percentile(ratios, 75)];
      const range: [number, number] = [Math.min(...ratios), Math.max(...ratios)];
      emit({
        workload: w.name,
        tool: 'dropout-lens',
        stepsPerSecond: ours,
        gflops: (ours * flops) / 1e9,
        ...(ratio !== undefined ? { ratio, ratioQuartiles: quartiles, ratioRange: range, pairs: ratios.length } : {}),
      });
      emit({
        workload: w.name,
        tool: 'dropout-lens-reference',
        stepsPerSecond: ref.perSecond,
        gflops: (ref.perSecond * flops) / 1e9,
      });
      if (pt !== undefined) emit({ workload: w.name, tool: 'pytorch', stepsPerSecond: pt, gflops: (pt * flops) / 1e9 });

      const row = (tool: string, sps: number, extra = ''): void => {
        const g = (sps * flops) / 1e9;
        text(
          `  ${tool.padEnd(36)} ${fmtSps(sps)}   ${fmtG(g)}   ${((100 * g) / ROOF_GFLOPS).toFixed(1).padStart(5)}% of roof${extra}\n`,
        );
      };
      row('dropout-lens', ours);
      row(
        'dropout-lens (reference TS kernels)',
        ref.perSecond,
        pt !== undefined ? `   ${(ref.perSecond / pt).toFixed(3)}x PyTorch (not interleaved)` : '',
      );
      if (pt !== undefined) row('pytorch (1 thread)', pt);
      if (ratio !== undefined) {
        text(
          `  dropout-lens / PyTorch: ${ratio.toFixed(2)}x (median of ${ratios.length} interleaved pairs; quartiles ${quartiles[0].toFixed(2)}-${quartiles[1].toFixed(2)}, ` +
            `range ${range[0].toFixed(2)}-${range[1].toFixed(2)})\n`,
        );
      }

      if (TWO_WORKER_WORKLOADS.includes(w.name)) {
        const two = await measureTwoWorkers(
          w,
          typeof torch === 'string' ? undefined : torch,
          typeof torch2 === 'string' ? undefined : torch2,
          windows,
          windowSeconds,
        );
        emit({
          workload: w.name,
          tool: 'dropout-lens-2w',
          stepsPerSecond: two.stepsPerSecond,
          gflops: (two.stepsPerSecond * flops) / 1e9,
          ...(two.ratio !== undefined ? { ratio: two.ratio, ratioQuartiles: two.ratioQuartiles } : {}),
          ...(two.ratio2t !== undefined ? { ratio2t: two.ratio2t, ratio2tQuartiles: two.ratio2tQuartiles } : {}),
          pairs: two.pairs,
        });
        if (two.torch2tStepsPerSecond !== undefined)
          emit({
            workload: w.name,
            tool: 'pytorch-2t',
            stepsPerSecond: two.torch2tStepsPerSecond,
            gflops: (two.torch2tStepsPerSecond * flops) / 1e9,
          });
        row('dropout-lens, 2 workers', two.stepsPerSecond);
        if (two.torch2tStepsPerSecond !== undefined) row('pytorch (2 threads)', two.torch2tStepsPerSecond);
        text(
          `  2 workers / PyTorch 1 thread: ${two.ratio?.toFixed(2) ?? '-'}x (target >= 1.5x); / PyTorch 2 threads: ${two.ratio2t?.toFixed(2) ?? '-'}x (target >= 1.0x)` +
            ` (medians of ${two.pairs} interleaved rounds; quartiles ${two.ratioQuartiles?.map((q) => q.toFixed(2)).join('-') ?? '-'} and ${two.ratio2tQuartiles?.map((q) => q.toFixed(2)).join('-') ?? '-'})\n`,
        );
      }

      if (run.stream) {
        const s = { w, ours, ...measureStreaming(run.step, run.stream, windows, windowSeconds) };
        streaming.push(s);
        const { share, perSecond } = streamShare(s);
        emit({
          workload: w.name,
          tool: 'dropout-lens-streaming',
          stepsPerSecond: s.everyStep,
          gflops: (s.everyStep * flops) / 1e9,
          share,
          snapshotMs: s.costMs,
          snapshotsPerSecond: perSecond,
        });
      }
      text('\n');
    }
  } finally {
    if (typeof torch !== 'string') torch.close();
    if (torch2 !== undefined && typeof torch2 !== 'string') torch2.close();
  }
  if (skipped) {
    if (opts.json) process.stderr.write(`PyTorch skipped: ${skipped}\n`);
    else text(`PyTorch skipped: ${skipped}\n`);
  }
  if (streaming.length > 0) {
    text(`Streaming masks and activation statistics (what the worker posts, at ${STREAM_HZ} Hz by default):\n`);
    for (const s of streaming) {
      const stepMs = 1000 / s.ours;
      const { share, perSecond } = streamShare(s);
      text(
        `  ${s.w.name}  one snapshot ${s.costMs.toFixed(3)} ms = ${((100 * s.costMs) / stepMs).toFixed(1)}% of a ${stepMs.toFixed(3)} ms step; ` +
          `at ${perSecond.toFixed(perSecond < 10 ? 1 : 0)} snapshots/s ${share.toFixed(1)}% of wall time (target < 5%); ` +
          `measured with a snapshot after every step: ${(100 * (1 - s.everyStep / s.ours)).toFixed(1)}% fewer steps/s\n`,
      );
    }
  }
  return records;
}

/** The worker streams at most STREAM_HZ snapshots a second and at most one per step: their share of wall time (%). */
function streamShare(s: { ours: number; costMs: number }): { share: number; perSecond: number } {
  const perSecond = Math.min(STREAM_HZ, s.ours);
  return { share: (100 * s.costMs * perSecond) / (1000 + s.costMs * perSecond), perSecond };
}

/** Times the matrix products of one training step with the given kernels (buffers allocated once). */
function measureKernels(w: Workload, kernels: MatmulKernels, windows: number, windowSeconds: number): Rate {
  const shapes = stepProducts(w);
  const bufs = shapes.map((s) => ({ s, A: random(s.m * s.k), B: random(s.k * s.n), C: new Float32Array(s.m * s.n) }));
  return measureRate(
    () => {
      for (const { s, A, B, C } of bufs)
        for (let t = 0; t < s.times; t++) kernels.matmul(A, B, C, s.m, s.k, s.n, s.transA, s.transB, false);
    },
    windows,
    windowSeconds,
  );
}

/** The cost of one mask/statistics snapshot, and the step rate when one is taken after every step. */
function measureStreaming(
  step: () => void,
  stream: () => void,
  windows: number,
  windowSeconds: number,
): { costMs: number; everyStep: number } {
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
