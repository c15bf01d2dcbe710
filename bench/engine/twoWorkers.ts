/**
 * W2 and W3 on two engine workers (issue 14): the workload's trainer split with a replica thread, interleaved
 * window by window with PyTorch on one thread and on two (OPENBLAS_NUM_THREADS=2, torch.set_num_threads(2)), the
 * order rotating every round, so load that changes mid-run hits all three.
 */
import { createTrainer } from '../../src/engine/index';
import { DataParallel } from '../../src/engine/parallel/dataParallel';
import { threadReplicas } from '../../src/session/replicaWorkers';
import { workloadData, workloadSpec } from './fullStep';
import { calibrate, median, percentile } from './measure';
import type { TorchServer } from './torchServer';
import type { Workload } from './workloads';

export interface TwoWorkerResult {
  stepsPerSecond: number;
  /** Median over the rounds of (two-worker window rate / the round's one-thread PyTorch window rate). */
  ratio?: number;
  ratioQuartiles?: [number, number];
  /** The same against PyTorch on two threads. */
  ratio2t?: number;
  ratio2tQuartiles?: [number, number];
  torch2tStepsPerSecond?: number;
  pairs: number;
}

export async function measureTwoWorkers(
  w: Workload,
  torch1: TorchServer | undefined,
  torch2: TorchServer | undefined,
  windows: number,
  windowSeconds: number,
): Promise<TwoWorkerResult> {
  const trainer = createTrainer(workloadSpec(w), workloadData(w));
  const parallel = new DataParallel(threadReplicas().spawn);
  trainer.distribute(parallel);
  try {
    await parallel.ready();
    const step = (): void => void trainer.trainStep();
    const perWindow = calibrate(step, windowSeconds);
    const t1 = torch1 ? await torch1.setup(w.name, windowSeconds) : 0;
    const t2 = torch2 ? await torch2.setup(w.name, windowSeconds) : 0;
    const ours: number[] = [];
    const r1: number[] = [];
    const r2: number[] = [];
    const t2Seen: number[] = [];
    const oursWindow = (): number => {
      const t0 = performance.now();
      for (let i = 0; i < perWindow; i++) step();
      return (perWindow * 1000) / (performance.now() - t0);
    };
    for (let p = 0; p < windows; p++) {
      const round: Array<() => Promise<number>> = [
        () => Promise.resolve(oursWindow()),
        () => (torch1 ? torch1.window(w.name, t1) : Promise.resolve(NaN)),
        () => (torch2 ? torch2.window(w.name, t2) : Promise.resolve(NaN)),
      ];
      const seen: number[] = [NaN, NaN, NaN];
      for (let i = 0; i < 3; i++) {
        const k = (i + p) % 3;
        seen[k] = await round[k]!();
      }
      ours.push(seen[0]!);
      if (!Number.isNaN(seen[1]!)) r1.push(seen[0]! / seen[1]!);
      if (!Number.isNaN(seen[2]!)) {
        r2.push(seen[0]! / seen[2]!);
        t2Seen.push(seen[2]!);
      }
    }
    return {
      stepsPerSecond: median(ours),
      pairs: ours.length,
      ...(r1.length ? { ratio: median(r1), ratioQuartiles: [percentile(r1, 25), percentile(r1, 75)] } : {}),
      ...(r2.length
        ? {
            ratio2t: median(r2),
            ratio2tQuartiles: [percentile(r2, 25), percentile(r2, 75)],
            torch2tStepsPerSecond: median(t2Seen),
          }
        : {}),
    };
  } finally {
    parallel.release();
  }
}
