/**
 * Where a workload's training step spends its time, by phase: V8's sampling profiler over a few seconds of steps,
 * each sample charged to the outermost phase function it runs under (the wasm it calls included), the rest "other".
 *   node --import tsx bench/engine/profile.ts [W4] [--typescript]   (--typescript: the conv kernels' TS twin)
 */
import { Session } from 'node:inspector';
import { convTypescript } from '../../src/engine/kernels/convTypescript';
import { selectKernels } from '../../src/engine/kernels/index';
import { fullStepRunner } from './fullStep';
import { WORKLOADS } from './workloads';

/** Phase by JavaScript function name; a phase called inside another (dropout2d's mask) counts as the outer one. */
const PHASES: Record<string, string> = {
  matmul: 'GEMM (matmul kernels)',
  im2col: 'im2col',
  col2im: 'col2im',
  pool2dForward: 'pooling',
  pool2dBackward: 'pooling',
  planeBiasRelu: 'conv bias + ReLU',
  planeReluBackBias: 'conv bias + ReLU',
  dropout2dForward: 'dropout2d',
  dropout2dBackward: 'dropout2d',
  batchNormForward: 'batchnorm',
  batchNormBackward: 'batchnorm',
  mask: 'dropout / DropConnect masks',
  bernoulli: 'dropout / DropConnect masks',
  biasRelu: 'dense bias + ReLU',
  reluBackBias: 'dense bias + ReLU',
  step: 'SGD update',
};

/** Samples under no phase (climbing stops at the trainer's step, above which `step` means something else). */
const OTHER = 'other (layers\u2019 JavaScript, loss, batching)';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

async function main(): Promise<void> {
  const name = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'W4';
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name}; use ${WORKLOADS.map((x) => x.name).join(', ')}`);
  const typescript = process.argv.includes('--typescript');
  const full = fullStepRunner();
  if (typeof full === 'string') throw new Error(full);
  const run = full(w, selectKernels(), typescript ? convTypescript : undefined);
  for (let t0 = performance.now(); performance.now() - t0 < 1000;) run.step(); // warm up

  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
  await post(session, 'Profiler.start');
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 4000) {
    run.step();
    steps++;
  }
  const ms = performance.now() - t0;
  const { profile } = await post<{ profile: Profile }>(session, 'Profiler.stop');
  session.disconnect();

  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOf = new Map<number, string>();
  const phase = (id: number): string => {
    const known = phaseOf.get(id);
    if (known !== undefined) return known;
    const fn = byId.get(id)!.callFrame.functionName;
    const up = parent.get(id);
    const above = up === undefined || fn === 'trainStep' ? OTHER : phase(up);
    const p = above !== OTHER ? above : (PHASES[fn] ?? OTHER);
    phaseOf.set(id, p);
    return p;
  };
  const time = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const p = phase(id);
    time.set(p, (time.get(p) ?? 0) + dt);
  });
  const stepMs = ms / steps;
  process.stdout.write(
    `${w.name} (${w.description}), conv kernels ${typescript ? 'typescript' : 'default'}: ` +
      `${steps} steps in ${(ms / 1000).toFixed(1)} s, ${stepMs.toFixed(2)} ms a step\n`,
  );
  for (const [p, t] of [...time].sort((a, b) => b[1] - a[1]))
    process.stdout.write(
      `  ${p.padEnd(44)} ${((100 * t) / total).toFixed(1).padStart(5)}%  ${((stepMs * t) / total).toFixed(2).padStart(6)} ms\n`,
    );
}

void main();
