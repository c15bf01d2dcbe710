// Runs survive the death of what records them. An engine worker thread killed mid-run: the experiment
// reports it failed and its run file keeps every epoch finished before the kill, marked failed. A separate Node process standing in for the extension host
// (recordingHost.ts: a real engine worker thread, the real RunWriter) is SIGKILLed mid-run; the RunStore then
// reads its run file: a complete record, still `running` on disk and listed as `interrupted` (its process is gone),
// with every epoch the host had saved and at most the epoch in progress missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runMcExperiment, workerLauncher, type Launcher } from '../../../src/experiments';
import { RunStore } from '../../../src/runs';
import type { EngineWorker } from '../../../src/session/engineWorker';
import { longRunSpec } from './longRun';

const root = join(__dirname, '..', '..', '..');

test(
  'an engine worker killed mid-run: the run file keeps every epoch finished before the kill and says failed',
  { timeout: 60_000 },
  async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dl-killed-worker-'));
    try {
      const spec = longRunSpec('killed worker', 5);
      const real = workerLauncher(root);
      let worker: EngineWorker | undefined;
      const launcher: Launcher = () => (worker = real() as EngineWorker);
      let killedAfter = 0;
      const store = new RunStore(folder);
      const writer = await store.create({ kind: 'mc', spec, config: {} });
      const result = await runMcExperiment(spec, {
        launcher,
        writer,
        samples: 5,
        seeds: 1,
        onProgress: (p) => {
          if (p.completedEpochs >= 3 && killedAfter === 0) {
            killedAfter = p.completedEpochs;
            // The thread itself, not EngineWorker.terminate() (a deliberate end): the way a crash ends it.
            void worker!['worker'].terminate();
          }
        },
      });
      assert.ok(killedAfter >= 3);
      assert.equal(result.status, 'failed');
      assert.match(result.message ?? '', /exited unexpectedly/);

      const { runs, problems } = await store.list();
      assert.deepEqual(problems, []);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'failed');
      const read = await store.read(writer.id);
      assert.ok(read.ok, read.ok ? '' : read.message);
      assert.equal(read.record.status, 'failed');
      assert.match(read.record.message ?? '', /exited unexpectedly/);
      assert.ok(
        read.record.epochs.length >= killedAfter,
        `${read.record.epochs.length} epochs on disk, ${killedAfter} finished before the kill`,
      );
      assert.deepEqual(
        read.record.epochs,
        result.training.epochs.map((e) => JSON.parse(JSON.stringify(e))),
        'every epoch the engine finished is on disk',
      );
      assert.ok(read.record.epochs.length < spec.training.epochs);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  },
);

test(
  'a host SIGKILLed mid-run leaves a readable run file with every epoch saved before the kill',
  { timeout: 60_000 },
  async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dl-killed-host-'));
    try {
      const host = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'recordingHost.ts'), folder], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      host.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        host.on('exit', (code, signal) => resolve(signal ?? code)),
      );
      let lastEpoch = 0;
      let lastSaved = 0;
      for await (const line of createInterface({ input: host.stdout })) {
        const [what, n] = line.split(' ');
        if (what === 'epoch') lastEpoch = Number(n);
        if (what === 'saved') lastSaved = Number(n);
        if (lastSaved >= 3) {
          host.kill('SIGKILL');
          break;
        }
      }
      assert.equal(await exited, 'SIGKILL', `the host ended on its own: ${stderr}`);
      assert.ok(lastSaved >= 3, `the host saved ${lastSaved} epochs before it was killed: ${stderr}`);

      const store = new RunStore(folder);
      const { runs, problems } = await store.list();
      assert.deepEqual(problems, [], 'a leftover temp file is no problem');
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'interrupted', 'still running on disk, its process gone: listed as interrupted');
      const read = await store.read(runs[0]!.id);
      assert.ok(read.ok, read.ok ? '' : read.message);
      const epochs = read.record.epochs.map((e) => e.epoch);
      assert.deepEqual(
        epochs,
        Array.from({ length: epochs.length }, (_, i) => i + 1),
        'epochs 1..n, none torn or skipped',
      );
      assert.ok(
        epochs.length >= lastSaved,
        `every epoch saved before the kill is there (${epochs.length} >= ${lastSaved})`,
      );
      // Epochs the engine reported after the last completed save may be lost (how many depends on how slow the
      // disk is at that moment), but none that was never reported can appear.
      assert.ok(
        epochs.length <= Math.max(lastEpoch, lastSaved),
        `no epoch beyond those reported (${epochs.length} of ${lastEpoch} reported)`,
      );
      assert.ok(epochs.length < read.record.spec.training.epochs, 'killed mid-run');
      assert.equal(read.record.final, undefined);
      for (const e of read.record.epochs)
        assert.ok(Number.isFinite(e.validation.loss) && Number.isFinite(e.train.loss));
      assert.equal(read.record.status, 'running', 'the file itself is never rewritten by a reader');
      assert.equal(read.record.writer?.pid, host.pid, 'the record names its writer');
      assert.deepEqual(await readdir(folder), [`${runs[0]!.id}.json`], 'listing removed any temp file the host left');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  },
);
