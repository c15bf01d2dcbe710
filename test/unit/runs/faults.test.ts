// Saving that never lies: a full disk (ENOSPC) and a read-only folder (EROFS) on real tmpfs mounts, a run
// whose writer died listed as interrupted, the heartbeat, and the clean-up of temp files left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RUN_FORMAT,
  RunSaveError,
  RunStore,
  RunWriter,
  checkRunsFolder,
  isInterrupted,
  localLiveness,
  parseRunRecord,
  type Liveness,
  type RunEpoch,
  type RunRecord,
} from '../../../src/runs';
import type { ModelSpec } from '../../../src/protocol/modelSpec';
import { mountTmpfs, tmpfsSkipReason } from './tmpfs';

const spec: ModelSpec = {
  name: 'faults',
  seed: 7,
  data: { source: 'generator', generator: 'overfit', samples: 60, noise: 0.3, validation: 0.5 },
  model: { input: 2, layers: [{ type: 'dense', units: 2, activation: 'linear' }] },
  training: {
    epochs: 3,
    batchSize: 16,
    optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    schedule: { kind: 'constant' },
    loss: 'cross-entropy',
    init: 'he',
  },
  evaluation: { mode: 'eval' },
};

const epoch = (n: number): RunEpoch => ({
  epoch: n,
  lr: 0.01,
  train: { loss: 1 / n, accuracy: 0.5 },
  validation: { loss: 1 / n, accuracy: 0.5 },
});

const skipTmpfs = tmpfsSkipReason();

/** The pid of a process that has ended (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test(
  'a full disk: the failed write names the run file and ENOSPC, close() says not saved; freed, it saves',
  { skip: skipTmpfs },
  async () => {
    const disk = mountTmpfs(64);
    if (typeof disk === 'string') return assert.fail(disk);
    try {
      const folder = join(disk.dir, '.dropout-lens', 'runs');
      assert.equal(await checkRunsFolder(folder), undefined, 'an empty disk is writable');
      const errors: RunSaveError[] = [];
      const writer = await RunWriter.create(folder, {
        kind: 'compare',
        spec,
        config: {},
        onError: (e) => errors.push(e),
      });
      // Fill the disk to its last byte.
      const filler = join(disk.dir, 'filler');
      await writeFile(filler, Buffer.alloc(128 * 1024)).catch(() => undefined);
      await writer.addEpoch(epoch(1));
      assert.equal(errors.length, 1, 'the failed write is reported');
      assert.equal(errors[0]!.code, 'ENOSPC');
      assert.equal(errors[0]!.path, writer.file);
      assert.match(errors[0]!.message, /no space left on the device \(ENOSPC\)/);
      await writer.finish('completed');
      const outcome = await writer.close();
      assert.equal(outcome.saved, false, 'a final record that is not on disk is not saved');
      if (!outcome.saved) assert.equal(outcome.error.code, 'ENOSPC');
      const onDisk = parseRunRecord(await readFile(writer.file, 'utf8'));
      assert.ok(onDisk.ok);
      assert.equal(onDisk.record.status, 'running', 'the disk holds the last record that fitted');
      assert.deepEqual(
        (await readdir(folder)).filter((n) => n.endsWith('.tmp')),
        [],
        'no temp file is left on the full disk',
      );
      const probe = await checkRunsFolder(join(disk.dir, 'other'));
      assert.ok(probe === undefined || probe.code === 'ENOSPC', 'a full disk is refused before the work starts');
      const full = await checkRunsFolder(folder);
      assert.equal(full?.code, 'ENOSPC');

      // Space again: the next write puts the whole final record on disk.
      await rm(filler);
      await writer.finish('completed', { summary: { ok: true } });
      const again = await writer.close();
      assert.equal(again.saved, true);
      assert.equal(again.failures.length, errors.length);
      const final = parseRunRecord(await readFile(writer.file, 'utf8'));
      assert.ok(final.ok);
      assert.equal(final.record.status, 'completed');
      assert.equal(final.record.epochs.length, 1);
      assert.equal(final.record.writer, undefined, 'an ended run names no writer');
    } finally {
      disk.unmount();
    }
  },
);

test(
  'a read-only folder: checked and refused with EROFS naming the folder, never ENOENT or a stack',
  { skip: skipTmpfs },
  async () => {
    const disk = mountTmpfs(64, true);
    if (typeof disk === 'string') return assert.fail(disk);
    try {
      const folder = join(disk.dir, '.dropout-lens', 'runs');
      const problem = await checkRunsFolder(folder);
      assert.ok(problem instanceof RunSaveError);
      assert.equal(problem.code, 'EROFS');
      assert.equal(problem.path, folder);
      assert.match(problem.message, /read-only \(EROFS\)/);
      await assert.rejects(
        RunWriter.create(folder, { kind: 'train', spec, config: {} }),
        (e: unknown) => e instanceof RunSaveError && e.code === 'EROFS',
      );
      assert.deepEqual(await new RunStore(folder).list(), { runs: [], problems: [] });
    } finally {
      disk.unmount();
    }
  },
);

test(
  'a folder without write permission: refused with EACCES',
  {
    skip:
      process.getuid?.() === 0
        ? 'root writes anywhere: EACCES cannot happen to root'
        : process.platform === 'win32'
          ? 'no POSIX permissions'
          : false,
  },
  async () => {
    const parent = await mkdtemp(join(tmpdir(), 'dl-eacces-'));
    try {
      const { chmod } = await import('node:fs/promises');
      await chmod(parent, 0o500);
      const problem = await checkRunsFolder(join(parent, 'runs'));
      assert.equal(problem?.code, 'EACCES');
      assert.match(problem?.message ?? '', /permission denied/);
      await chmod(parent, 0o700);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  },
);

const record = (over: Partial<RunRecord>): RunRecord => ({
  format: RUN_FORMAT,
  id: 'r',
  kind: 'train',
  config: { name: 'n' },
  spec,
  seed: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  status: 'running',
  epochs: [],
  ...over,
});

test('interrupted: a running record whose writer died on this machine, or whose heartbeat stopped', () => {
  const now = Date.parse('2026-01-01T00:10:00.000Z');
  const alive = new Set([100]);
  const liveness: Liveness = { host: 'here', isAlive: (pid) => alive.has(pid), now: () => now };
  const beat = (ageMs: number) => new Date(now - ageMs).toISOString();
  const writer = (pid: number, host: string, ageMs: number) => ({
    pid,
    host,
    heartbeatAt: beat(ageMs),
    everyMs: 10_000,
  });
  assert.equal(isInterrupted(record({ writer: writer(100, 'here', 1000) }), liveness), false, 'alive, beating');
  assert.equal(isInterrupted(record({ writer: writer(200, 'here', 1000) }), liveness), true, 'its process is gone');
  assert.equal(
    isInterrupted(record({ writer: writer(100, 'here', 5 * 60_000) }), liveness),
    false,
    'alive here, its event loop busy: trusted',
  );
  assert.equal(
    isInterrupted(record({ writer: writer(100, 'here', 20 * 60_000) }), liveness),
    true,
    'pid reused, no heartbeat',
  );
  assert.equal(
    isInterrupted(record({ writer: writer(200, 'there', 1000) }), liveness),
    false,
    'another machine, beating',
  );
  assert.equal(
    isInterrupted(record({ writer: writer(200, 'there', 5 * 60_000) }), liveness),
    true,
    'another machine, silent',
  );
  assert.equal(isInterrupted(record({ updatedAt: beat(60_000) }), liveness), false, 'an older record, recently saved');
  assert.equal(isInterrupted(record({ updatedAt: beat(3600_000) }), liveness), true, 'an older record, long silent');
  assert.equal(isInterrupted(record({ status: 'completed', writer: writer(200, 'here', 1000) }), liveness), false);
});

test('a run whose writing process died lists as interrupted; the live one as running', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-interrupted-'));
  try {
    const live = await RunWriter.create(folder, { kind: 'train', spec, config: {} });
    const dead = record({
      id: 'dead',
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      writer: { pid: deadPid(), host: localLiveness.host, heartbeatAt: new Date().toISOString(), everyMs: 10_000 },
    });
    await writeFile(join(folder, 'dead.json'), JSON.stringify(dead));
    const { runs, problems } = await new RunStore(folder).list();
    assert.deepEqual(problems, []);
    const status = Object.fromEntries(runs.map((r) => [r.id, r.status]));
    assert.equal(status[live.id], 'running');
    assert.equal(status['dead'], 'interrupted');
    assert.match(runs.find((r) => r.id === 'dead')!.message ?? '', /writer ended/);
    await live.finish('completed');
    assert.equal((await live.close()).saved, true);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('the heartbeat refreshes a running record between epochs, and stops with the run', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-heartbeat-'));
  try {
    const writer = await RunWriter.create(folder, { kind: 'train', spec, config: {}, heartbeatMs: 40 });
    const first = writer.record.writer!.heartbeatAt;
    const updated = writer.record.updatedAt;
    await new Promise((r) => setTimeout(r, 200));
    await writer.flush();
    const read = parseRunRecord(await readFile(writer.file, 'utf8'));
    assert.ok(read.ok);
    assert.ok(read.record.writer!.heartbeatAt > first, 'a later heartbeat is on disk');
    assert.equal(read.record.updatedAt, updated, 'a heartbeat is no change');
    await writer.finish('stopped');
    await writer.close();
    const ended = parseRunRecord(await readFile(writer.file, 'utf8'));
    assert.ok(ended.ok);
    assert.equal(ended.record.writer, undefined);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('listing removes temp files of dead local writers and old ones; a live writer keeps its own', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'dl-temps-'));
  try {
    await mkdir(folder, { recursive: true });
    const host = localLiveness.host.replace(/[^A-Za-z0-9_-]/g, '_');
    const names = {
      deadLocal: `a.json.${host}.${deadPid()}.1.tmp`,
      liveLocal: `a.json.${host}.${process.pid}.2.tmp`,
      oldStyleOld: 'b.json.123.4.tmp',
      oldStyleFresh: 'c.json.123.5.tmp',
      otherHostFresh: 'd.json.elsewhere.77.1.tmp',
    };
    for (const name of Object.values(names)) await writeFile(join(folder, name), '{"half": ');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(folder, names.oldStyleOld), hourAgo, hourAgo);
    const { runs, problems } = await new RunStore(folder).list();
    assert.deepEqual(runs, []);
    assert.deepEqual(problems, [], 'temp files are never problems');
    assert.deepEqual(
      (await readdir(folder)).sort(),
      [names.liveLocal, names.oldStyleFresh, names.otherHostFresh].sort(),
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
