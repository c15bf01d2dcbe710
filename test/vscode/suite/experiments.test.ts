import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type {
  CompareResult,
  DatasetSweepResult,
  ForgotEvalResult,
  McExperimentResult,
  SweepResult,
} from '../../../src/experiments';
import { RunStore, type RunKind, type RunRecord } from '../../../src/runs';
import { api, waitFor, workspaceFile } from './helpers';

const runsFolder = () => workspaceFile('.dropout-lens', 'runs').fsPath;

/**
 * Runs an experiment command on an example config, as the palette would (quietly), and asserts it completed.
 * One seed unless asked (the seeds' statistics are tested in the unit and CLI layers; this keeps the suite fast).
 */
async function runExperiment<T extends { status: string; message?: string }>(
  command: string,
  config: string,
  options: { epochs?: number; seeds?: number } = {},
): Promise<T> {
  await api();
  const result = await vscode.commands.executeCommand<T | undefined>(command, workspaceFile(config), {
    quiet: true,
    seeds: 1,
    ...options,
  });
  assert.ok(result, 'no result');
  assert.equal(result.status, 'completed', result.message);
  return result;
}

/** The newest saved run of a kind, read back through the RunStore (as the Runs view does). */
async function latestRun(kind: RunKind): Promise<RunRecord> {
  const store = new RunStore(runsFolder());
  const entry = (await store.list()).runs.find((r) => r.kind === kind);
  assert.ok(entry, `no ${kind} run saved`);
  const read = await store.read(entry.id);
  assert.ok(read.ok, read.ok ? '' : read.message);
  return read.record;
}

suite('Experiments and runs', () => {
  test('with vs without dropout on the overfitting example: dropout narrows the gap, saved as a run with a report', async () => {
    const result = await runExperiment<CompareResult>('dropoutLens.compare', 'overfit.dropout.yaml');
    assert.ok(
      result.gapReduction && result.gapReduction.loss > 0,
      `gap reduction ${JSON.stringify(result.gapReduction)}`,
    );
    // Run ids are `<time>-<kind>-<suffix>`.
    const files = fs.readdirSync(runsFolder()).filter((f) => f.includes('-compare-'));
    assert.ok(files.length > 0, 'no compare run saved');
    const record = JSON.parse(fs.readFileSync(path.join(runsFolder(), files[0]!), 'utf8'));
    assert.equal(record.kind, 'compare');
    assert.equal(record.members.length, 2);
    const reports = fs.readdirSync(workspaceFile('.dropout-lens', 'reports').fsPath);
    assert.ok(reports.some((f) => f.endsWith('.md')) && reports.some((f) => f.endsWith('.svg')));
  });

  test('the rate sweep marks a best rate that is neither 0 nor the largest on the overfitting example', async () => {
    await vscode.workspace
      .getConfiguration('dropoutLens')
      .update('experiments.sweepRates', [0, 0.2, 0.4, 0.6, 0.8], vscode.ConfigurationTarget.Workspace);
    try {
      const result = await runExperiment<SweepResult>('dropoutLens.sweep', 'overfit.dropout.yaml');
      assert.equal(result.points.length, 5);
      assert.ok(result.best, 'no best rate');
      assert.ok(result.best.rate > 0 && result.best.rate < 0.8, `best rate ${result.best.rate}`);
    } finally {
      await vscode.workspace
        .getConfiguration('dropoutLens')
        .update('experiments.sweepRates', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('the dataset-size sweep on the overfitting example: dropout helps most on a subset, not on the tiniest nor on all the data; saved as a run', async () => {
    const result = await runExperiment<DatasetSweepResult>('dropoutLens.datasetSweep', 'overfit.dropout.yaml', {
      epochs: 30,
    });
    const benefits = result.points.map((p) => `${p.fraction}: ${p.lossBenefit?.toFixed(3)}`).join(', ');
    const smallest = result.points[0]!;
    const full = result.points.at(-1)!;
    const best = result.points.find((p) => p.fraction === result.bestFraction);
    assert.ok(best && best.lossBenefit! > 0, `dropout helps somewhere (${benefits})`);
    assert.ok(
      best.fraction > smallest.fraction && best.fraction < full.fraction,
      `the sweet spot is in between (${benefits})`,
    );
    assert.ok(full.lossBenefit! < best.lossBenefit!, `dropout helps less on all the data (${benefits})`);
    const record = await latestRun('dataset-sweep');
    assert.equal(record.status, 'completed');
    assert.equal(record.members?.length, 2 * result.points.length);
    assert.ok(record.members.every((m) => m.status === 'completed' && m.epochs.length === 30));
    assert.equal((record.summary as DatasetSweepResult).bestFraction, result.bestFraction);
  });

  test('Monte Carlo dropout on two moons: the passes disagree (variance > 0), their mean is about as accurate as eval mode; saved as a run', async () => {
    const result = await runExperiment<McExperimentResult>('dropoutLens.mcUncertainty', 'moons.dropout.yaml', {
      epochs: 10,
    });
    assert.ok(result.meanVariance! > 0, `mean variance ${result.meanVariance}`);
    assert.equal(result.perSample!.variance.length, result.validationSize);
    assert.ok(Math.abs(result.accuracyDelta!) < 0.15, `MC ${result.mcAccuracy} vs eval ${result.evalAccuracy}`);
    assert.ok(result.leastSure.length > 0 && result.leastSure[0]!.variance >= result.leastSure.at(-1)!.variance);
    const record = await latestRun('mc');
    assert.equal(record.status, 'completed');
    assert.equal(record.epochs.length, 10);
    assert.equal((record.summary as McExperimentResult).meanVariance, result.meanVariance);
  });

  test('forgot eval() on the overfitting example: train mode reports a lower accuracy than eval mode and its predictions flip; saved as a run', async () => {
    const result = await runExperiment<ForgotEvalResult>('dropoutLens.forgotEval', 'overfit.dropout.yaml', {
      epochs: 20,
    });
    assert.ok(
      result.trainMode!.accuracy! < result.evalMode!.accuracy!,
      `train mode ${JSON.stringify(result.trainMode)} vs eval mode ${JSON.stringify(result.evalMode)}`,
    );
    assert.ok(
      result.passAccuracy!.mean < result.evalMode!.accuracy!,
      `mean single-pass accuracy ${result.passAccuracy?.mean}`,
    );
    assert.ok(result.flipRate! > 0, `flip rate ${result.flipRate}`);
    assert.equal(result.curves.length, 20);
    const record = await latestRun('forgot-eval');
    assert.equal(record.status, 'completed');
    assert.equal(record.epochs.length, 20);
    assert.ok(record.epochs.every((e) => e.validationTrainMode !== undefined));
  });

  test('a training whose engine worker is killed mid-run: the run file keeps every epoch finished before, marked failed', async () => {
    const { controller } = await api();
    const config = workspaceFile('overfit.dropout.yaml');
    let killedAt = 0;
    const started = controller.onDidStart((session) =>
      session.onEvent((event) => {
        if (event.type === 'epoch' && event.epoch === 3 && killedAt === 0) {
          killedAt = event.epoch;
          // The thread itself, not EngineWorker.terminate() (a deliberate end): the way a crash ends it.
          void session['worker']['worker'].terminate();
        }
      }),
    );
    let runId: string | undefined;
    try {
      runId = await vscode.commands.executeCommand<string>('dropoutLens.train', config);
    } finally {
      started.dispose();
    }
    assert.ok(runId, 'train returned no run id');
    const session = controller.session!;
    const done = await session.whenDone();
    assert.equal(done.reason, 'failed');
    assert.equal(killedAt, 3, 'killed after the third epoch');
    const store = new RunStore(runsFolder());
    let seen = '';
    const record = await waitFor('the run file to say failed', async () => {
      const read = await store.read(runId);
      seen = read.ok ? `status ${read.record.status}, ${read.record.epochs.length} epochs` : read.message;
      return read.ok && read.record.status === 'failed' ? read.record : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message} (last read: ${seen})`);
    });
    assert.match(record.message ?? '', /exited unexpectedly/);
    assert.ok(record.epochs.length >= 3, `${record.epochs.length} epochs on disk`);
    assert.deepEqual(
      record.epochs.map((e) => e.epoch),
      session.epochs.map((e) => e.epoch),
      'every epoch the session saw is on disk',
    );
    assert.ok(record.epochs.length < record.spec.training.epochs);
    const listed = (await store.list()).runs.find((r) => r.id === runId);
    assert.equal(listed?.status, 'failed');
  });

  test('the Runs view lists saved runs and reports a corrupt file without failing', async () => {
    const { runsView } = await api();
    fs.mkdirSync(runsFolder(), { recursive: true });
    fs.writeFileSync(path.join(runsFolder(), 'corrupt.json'), '{"format": "dropout-lens/run@1", "id": ');
    const nodes = await waitFor('runs in the Runs view', async () => {
      const children = await runsView.getChildren();
      return children.some((n) => n.kind === 'run') && children.some((n) => n.kind === 'problem')
        ? children
        : undefined;
    });
    const problem = nodes.find((n) => n.kind === 'problem')!;
    assert.match(String(runsView.getTreeItem(problem).description), /skipped/);
    const run = nodes.find((n) => n.kind === 'run')!;
    const opened = await vscode.commands.executeCommand<string>(
      'dropoutLens.openRun',
      run.kind === 'run' ? run.entry.id : undefined,
    );
    assert.equal(opened, run.kind === 'run' ? run.entry.id : undefined);
  });
});
