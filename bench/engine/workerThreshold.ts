/**
 * Where two workers start to pay: one- and two-worker training steps per second on dense networks of growing
 * size (batch 64, dropout 0.5), interleaved window by window. Its crossover sets TWO_WORKER_THRESHOLD
 * (src/engine/parallel/choice.ts). Run: node --import tsx bench/engine/workerThreshold.ts
 */
import { createTrainer } from '../../src/engine/index';
import { DataParallel } from '../../src/engine/parallel/dataParallel';
import { stepMultiplyAdds } from '../../src/engine/parallel/choice';
import { threadReplicas } from '../../src/session/replicaWorkers';
import { workloadData, workloadSpec } from './fullStep';
import { calibrate, median } from './measure';
import { denseWorkload } from './workloads';

const WINDOWS = 5;
const WINDOW_SECONDS = 0.2;

async function main(): Promise<void> {
  process.stdout.write('width  multiply-adds/step  1 worker steps/s  2 workers steps/s  speed-up\n');
  for (const width of [16, 32, 64, 96, 128, 192, 256, 384]) {
    const w = denseWorkload('W2', `32-${width}-${width}-4`, [32, width, width, 4], [0, 0.5, 0.5], 64);
    const one = createTrainer(workloadSpec(w), workloadData(w));
    const two = createTrainer(workloadSpec(w), workloadData(w));
    const parallel = new DataParallel(threadReplicas().spawn);
    two.distribute(parallel);
    await parallel.ready();
    const steps = [() => void one.trainStep(), () => void two.trainStep()];
    const counts = steps.map((s) => calibrate(s, WINDOW_SECONDS));
    const seen: number[][] = [[], []];
    for (let p = 0; p < WINDOWS; p++)
      for (const k of p % 2 ? [1, 0] : [0, 1]) {
        const t0 = performance.now();
        for (let i = 0; i < counts[k]!; i++) steps[k]!();
        seen[k]!.push((counts[k]! * 1000) / (performance.now() - t0));
      }
    parallel.release();
    const [a, b] = [median(seen[0]!), median(seen[1]!)];
    const macs = stepMultiplyAdds({ batch: w.batch, parameters: one.parameterCount });
    process.stdout.write(
      `${String(width).padStart(5)}  ${String(macs).padStart(18)}  ${a.toFixed(0).padStart(16)}  ${b.toFixed(0).padStart(17)}  ${(b / a).toFixed(2)}x\n`,
    );
  }
}

void main();
