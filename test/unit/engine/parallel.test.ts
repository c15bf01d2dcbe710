import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { loadDataset } from '../../../src/engine/data';
import { EngineSession } from '../../../src/engine/session';
import { createTrainer, type Trainer } from '../../../src/engine/trainer';
import { DataParallel } from '../../../src/engine/parallel/dataParallel';
import { chooseWorkers, parseWorkerSetting, TWO_WORKER_THRESHOLD } from '../../../src/engine/parallel/choice';
import type { ReplicaHost } from '../../../src/engine/parallel/types';
import { locateReplicaWorker, threadReplicas } from '../../../src/session/replicaWorkers';
import type { EngineEvent } from '../../../src/protocol/engine';
import type { LayerSpec, ModelSpec } from '../../../src/protocol/modelSpec';

const DROPOUT_NET: LayerSpec[] = [
  { type: 'dense', units: 32, activation: 'relu' },
  { type: 'dropout', rate: 0.5, kind: 'bernoulli', scaling: 'inverted' },
  { type: 'dense', units: 2, activation: 'linear' },
];

function spec(layers: LayerSpec[] = DROPOUT_NET, training: Partial<ModelSpec['training']> = {}): ModelSpec {
  return {
    name: 'parallel test',
    seed: 5,
    data: { source: 'generator', generator: 'moons', samples: 200, noise: 0.2, validation: 0.2 },
    model: { input: 2, layers },
    training: {
      epochs: 100,
      batchSize: 32,
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
      schedule: { kind: 'constant' },
      loss: 'cross-entropy',
      init: 'he',
      ...training,
    },
    evaluation: { mode: 'eval' },
  };
}

function trainer(s: ModelSpec): Trainer {
  return createTrainer(s, loadDataset(s.data, s.seed));
}

/** A trainer split over two real worker threads (the engine worker's entry in the replica role). */
async function twoWorkers(s: ModelSpec): Promise<{ t: Trainer; parallel: DataParallel }> {
  const t = trainer(s);
  const parallel = new DataParallel(threadReplicas().spawn);
  t.distribute(parallel);
  await parallel.ready();
  return { t, parallel };
}

function losses(t: Trainer, steps: number): number[] {
  return Array.from({ length: steps }, () => t.trainStep().loss);
}

// Recorded from the engine before data parallelism existed (main at 78c73dc): one worker must not change a bit.
const ONE_WORKER_LOSSES = [
  0.8271183085103562, 0.8738020969468494, 0.6669523641131455, 0.6433580179838693, 0.39677333938336956,
  0.46677755775041885, 0.6312473665876911, 0.3049910769810721, 0.13218498977435097, 0.20479263630256866,
];

test('one worker trains exactly as the engine did before data parallelism', () => {
  const t = trainer(spec());
  assert.equal(t.workers, 1);
  assert.deepEqual(losses(t, ONE_WORKER_LOSSES.length), ONE_WORKER_LOSSES);
});

test('two workers replay the same loss curve bit for bit, dropout masks included', async () => {
  const a = await twoWorkers(spec());
  const b = await twoWorkers(spec());
  try {
    assert.equal(a.t.workers, 2);
    const first = losses(a.t, 60);
    const second = losses(b.t, 60);
    assert.deepEqual(first, second);
    assert.deepEqual(a.t.weights(), b.t.weights());
    // Each half draws its own masks: the two-worker curve is its own, not the one-worker curve.
    assert.notDeepEqual(first.slice(0, 10), ONE_WORKER_LOSSES);
  } finally {
    a.parallel.release();
    b.parallel.release();
  }
});

test('without dropout, two workers agree with one to float tolerance (the gradient sums reassociate)', async () => {
  const layers: LayerSpec[] = [
    { type: 'dense', units: 48, activation: 'relu' },
    { type: 'dense', units: 48, activation: 'tanh' },
    { type: 'dense', units: 2, activation: 'linear' },
  ];
  for (const optimizer of [
    { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
  ] as const) {
    // An odd batch: the halves are 17 and 16 rows, each weighed by its share.
    const s = spec(layers, { batchSize: 33, optimizer });
    const one = trainer(s);
    const { t: two, parallel } = await twoWorkers(s);
    try {
      const a = losses(one, 40);
      const b = losses(two, 40);
      for (let i = 0; i < a.length; i++)
        assert.ok(
          Math.abs(a[i]! - b[i]!) <= 1e-4 * Math.max(1, Math.abs(a[i]!)),
          `${optimizer.kind} step ${i + 1}: ${a[i]} vs ${b[i]}`,
        );
      const wa = one.weights()[0]!.W;
      const wb = two.weights()[0]!.W;
      let worst = 0;
      for (let i = 0; i < wa.length; i++) worst = Math.max(worst, Math.abs(wa[i]! - wb[i]!));
      assert.ok(worst < 1e-4, `${optimizer.kind}: weights differ by up to ${worst}`);
    } finally {
      parallel.release();
    }
  }
});

test('batch norm uses per-worker statistics (DDP without SyncBatchNorm), running statistics from the first worker', async () => {
  const layers: LayerSpec[] = [
    { type: 'dense', units: 16, activation: 'linear' },
    { type: 'batchnorm', momentum: 0.1, epsilon: 1e-5 },
    { type: 'dense', units: 2, activation: 'linear' },
  ];
  // lr 0: the weights stay put, so two half-batch steps on one worker see the very rows of one full two-worker step.
  const frozen = {
    batchSize: 32,
    optimizer: { kind: 'sgd', lr: 0, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
  } as const;
  const halves = trainer(spec(layers, { ...frozen, batchSize: 16 }));
  const first = halves.trainStep().loss;
  const afterFirstHalf = halves.evaluate('validation', 'eval');
  const second = halves.trainStep().loss;
  const full = trainer(spec(layers, frozen)).trainStep().loss;
  const { t: two, parallel } = await twoWorkers(spec(layers, frozen));
  try {
    const split = two.trainStep().loss;
    assert.ok(Math.abs(split - (first + second) / 2) < 1e-6, `${split} vs the halves' mean ${(first + second) / 2}`);
    assert.ok(Math.abs(split - full) > 1e-4, 'per-worker statistics differ from the full batch (exact) ones');
    // Eval mode normalizes with the running statistics, updated from the first worker's rows only.
    assert.ok(Math.abs(two.evaluate('validation', 'eval').loss - afterFirstHalf.loss) < 1e-6);
  } finally {
    parallel.release();
  }
});

/** Replicas as real threads whose worker the test can kill. */
function killableReplicas(stallMs: number): { host: ReplicaHost; kill(): void } {
  let worker: Worker | undefined;
  const where = locateReplicaWorker();
  return {
    host: {
      cores: 2,
      stallMs,
      spawn: (init) => {
        const w = new Worker(where.file, { eval: where.eval ?? false, workerData: { role: 'replica', init } });
        worker = w;
        const listeners: ((m: string) => void)[] = [];
        w.on('exit', (code) => listeners.forEach((l) => l(`its thread exited (exit code ${code})`)));
        return { onExit: (l) => void listeners.push(l), terminate: () => void w.terminate() };
      },
    },
    kill: () => void worker?.terminate(),
  };
}

function session(host: ReplicaHost | undefined) {
  const events: EngineEvent[] = [];
  let onDone: (e: EngineEvent) => void = () => {};
  const done = new Promise<EngineEvent>((resolve) => (onDone = resolve));
  const s = new EngineSession({
    post: (e) => {
      events.push(e);
      if (e.type === 'done') onDone(e);
    },
    schedule: (fn) => setImmediate(fn),
    ...(host ? { replicas: host } : {}),
  });
  return { s, events, done };
}

test('a run whose second worker dies ends with a clear error and a clean done', async () => {
  const killable = killableReplicas(3000);
  const run = session(killable.host);
  let killed = false;
  const post = run.events;
  run.s.handle({
    type: 'start',
    version: 1,
    spec: spec(DROPOUT_NET, { epochs: 100_000 }),
    options: { workers: 2, streamHz: 0 },
  });
  const poll = setInterval(() => {
    if (!killed && post.some((e) => e.type === 'epoch')) {
      killed = true;
      killable.kill();
    }
  }, 5);
  const done = await run.done;
  clearInterval(poll);
  const ready = post.find((e) => e.type === 'ready');
  assert.equal(ready && 'workers' in ready ? ready.workers : undefined, 2);
  assert.equal(done.type === 'done' && done.reason, 'failed');
  const error = post.find((e) => e.type === 'error' && e.fatal);
  assert.ok(error && error.type === 'error');
  assert.match(error.message, /second engine worker stopped: (its thread exited|it did not finish its step)/);
  assert.match(error.message, /workers to 1/);
});

test('a replica that cannot build the network fails the start with its reason', async () => {
  const run = session({
    cores: 2,
    spawn: (init) =>
      threadReplicas().spawn({ ...init, layers: [...init.layers, { type: 'dense', units: 3, activation: 'linear' }] }),
  });
  run.s.handle({ type: 'start', version: 1, spec: spec(), options: { workers: 2 } });
  const done = await run.done;
  assert.equal(done.type === 'done' && done.reason, 'failed');
  const error = run.events.find((e) => e.type === 'error');
  assert.ok(error && error.type === 'error');
  assert.match(error.message, /second engine worker stopped: The workers' networks differ/);
  assert.ok(!run.events.some((e) => e.type === 'ready'));
});

test('workers: 2 in a host without threads is refused with a clear message; auto trains on one', async () => {
  const forced = session(undefined);
  forced.s.handle({ type: 'start', version: 1, spec: spec(), options: { workers: 2 } });
  await forced.done;
  const error = forced.events.find((e) => e.type === 'error');
  assert.ok(error && error.type === 'error' && /cannot start a second worker/.test(error.message));
  const auto = session(undefined);
  auto.s.handle({ type: 'start', version: 1, spec: spec(DROPOUT_NET, { epochs: 2 }), options: { workers: 'auto' } });
  const done = await auto.done;
  assert.equal(done.type === 'done' && done.reason, 'completed');
  const ready = auto.events.find((e) => e.type === 'ready');
  assert.ok(ready && !('workers' in ready && ready.workers !== undefined));
});

test('the worker choice: forced settings win, auto takes two for big steps on two cores only', () => {
  const big = { batch: 128, parameters: 700_000 };
  const small = { batch: 32, parameters: 4_500 };
  assert.equal(chooseWorkers(1, big, 2), 1);
  assert.equal(chooseWorkers(2, small, 1), 2);
  assert.equal(chooseWorkers('auto', big, 2), 2);
  assert.equal(chooseWorkers('auto', big, 1), 1);
  assert.equal(chooseWorkers('auto', small, 2), 1);
  assert.equal(chooseWorkers('auto', { batch: 8, parameters: 10_000_000 }, 2), 1, 'too few rows to split');
  const edge = Math.ceil(TWO_WORKER_THRESHOLD / (3 * 64));
  assert.equal(chooseWorkers('auto', { batch: 64, parameters: edge }, 2), 2);
  assert.equal(chooseWorkers('auto', { batch: 64, parameters: edge - 2 }, 2), 1);
  assert.equal(parseWorkerSetting('auto'), 'auto');
  assert.equal(parseWorkerSetting('2'), 2);
  assert.equal(parseWorkerSetting(1), 1);
  assert.equal(parseWorkerSetting(3), undefined);
  assert.equal(parseWorkerSetting('two'), undefined);
});
