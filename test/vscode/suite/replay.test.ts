import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EngineEvent, ReplayFrame } from '../../../src/protocol/engine';
import { api, waitFor, workspaceFile } from './helpers';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

suite('Replaying a finished run', () => {
  test('a finished run on a CSV scrubs in the panel with the live masks, its saved record too, until its data changes', async () => {
    const { controller, runPanel } = await api();
    const csv = workspaceFile('data', 'sensors-replay-test.csv');
    await vscode.workspace.fs.copy(workspaceFile('data', 'sensors.csv'), csv, { overwrite: true });
    const example = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile('sensors.dropout.yaml')));
    const config = workspaceFile('sensors-replay-test.dropout.yaml');
    await vscode.workspace.fs.writeFile(
      config,
      new TextEncoder().encode(
        example
          .replace('csv: data/sensors.csv', 'csv: data/sensors-replay-test.csv')
          .replace(/epochs: \d+/, 'epochs: 12'),
      ),
    );
    const events: EngineEvent[] = [];
    const subscription = controller.onDidStart((session) => session.onEvent((e) => events.push(e)));
    const runId = await vscode.commands.executeCommand<string>('dropoutLens.train', config);
    subscription.dispose();
    assert.ok(runId);
    const done = await controller.session!.whenDone();
    assert.equal(done.reason, 'completed');
    const panel = await waitFor('the run panel', () => runPanel());
    await waitFor('the panel to say ready', () => panel.received.some((m) => m.type === 'ready'), 30_000);

    // The live run just ended: its timeline offers every step.
    const ready = await waitFor(
      'the timeline',
      () => panel.timeline?.state.status === 'ready' && panel.timeline.state,
      30_000,
    );
    assert.equal(ready.steps, done.step);
    // Lazy: the timeline is offered, but nothing is retrained until the slider moves.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(panel.timeline!.replayStarted, false, 'no replay worker before the first seek');
    const live = events.filter((e): e is Of<'masks'> => e.type === 'masks');
    assert.ok(live.length > 0, 'the live run streamed masks');
    const frameAt = async (step: number): Promise<ReplayFrame> => {
      panel.handleMessage({ type: 'seek', step });
      return waitFor(
        `the replayed step ${step}`,
        () => {
          const m = [...panel.sent].reverse().find((s) => s.type === 'replayFrame');
          return m?.type === 'replayFrame' && m.frame.step === step && m.frame;
        },
        30_000,
      );
    };
    for (const m of [live.at(-1)!, live[0]!, live[Math.floor(live.length / 2)]!]) {
      const frame = await frameAt(m.step);
      const replayed = frame.masks.at(-1)!;
      assert.equal(replayed.step, m.step);
      assert.deepEqual(
        replayed.layers.map((l) => [l.layer, [...l.bits], l.realizedDropFraction]),
        m.layers.map((l) => [l.layer, [...l.bits], l.realizedDropFraction]),
        `step ${m.step}`,
      );
    }
    await waitFor('the replay to verify the end', () => panel.timeline?.state.verified === true, 60_000);

    // The saved record replays too.
    await waitFor('the record saved', async () => {
      const text = new TextDecoder().decode(
        await vscode.workspace.fs.readFile(workspaceFile('.dropout-lens', 'runs', `${runId}.json`)),
      );
      return /"replay"/.test(text) && /"sha256"/.test(text);
    });
    await vscode.commands.executeCommand('dropoutLens.openRun', runId);
    await waitFor("the saved run's timeline", () => panel.timeline?.state.status === 'ready', 30_000);
    const frame = await frameAt(3);
    assert.equal(frame.masks.at(-1)!.step, 3);

    // One changed byte in the data: the saved run no longer replays, and the panel says why.
    const bytes = await vscode.workspace.fs.readFile(csv);
    const text = new TextDecoder().decode(bytes);
    await vscode.workspace.fs.writeFile(
      csv,
      new TextEncoder().encode(text.replace(/\d/, (d) => String((Number(d) + 1) % 10))),
    );
    await vscode.commands.executeCommand('dropoutLens.openRun', runId);
    const unavailable = await waitFor(
      'the timeline to say the data changed',
      () => panel.timeline?.state.status === 'unavailable' && panel.timeline.state,
      30_000,
    );
    assert.match(unavailable.message!, /sensors-replay-test\.csv changed since this run/);
    assert.deepEqual(panel.rejected, []);
  });

  test('a run trained on two engine workers scrubs with its live masks and replays to its recorded end bit for bit', async () => {
    const { controller, runPanel } = await api();
    const example = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile('overfit.dropout.yaml')));
    const config = workspaceFile('overfit-two-workers-test.dropout.yaml');
    await vscode.workspace.fs.writeFile(config, new TextEncoder().encode(example.replace(/epochs: \d+/, 'epochs: 15')));
    const settings = vscode.workspace.getConfiguration('dropoutLens');
    await settings.update('engine.workers', 2, vscode.ConfigurationTarget.Workspace);
    try {
      const events: EngineEvent[] = [];
      const subscription = controller.onDidStart((session) => session.onEvent((e) => events.push(e)));
      const runId = await vscode.commands.executeCommand<string>('dropoutLens.train', config);
      subscription.dispose();
      assert.ok(runId);
      const done = await controller.session!.whenDone();
      assert.equal(done.reason, 'completed');
      const started = events.find((e): e is Of<'ready'> => e.type === 'ready');
      assert.equal(started?.workers, 2, 'the live run trained on two workers');
      const panel = await waitFor('the run panel', () => runPanel());
      await waitFor(
        'the timeline',
        () => panel.timeline?.state.status === 'ready' && panel.timeline.state.steps === done.step,
        30_000,
      );
      const live = events.filter((e): e is Of<'masks'> => e.type === 'masks');
      for (const m of [live[Math.floor(live.length / 3)]!, live.at(-1)!, live[0]!]) {
        panel.handleMessage({ type: 'seek', step: m.step });
        const frame = await waitFor(
          `the replayed step ${m.step}`,
          () => {
            const s = [...panel.sent].reverse().find((x) => x.type === 'replayFrame');
            return s?.type === 'replayFrame' && s.frame.step === m.step && s.frame;
          },
          60_000,
        );
        assert.deepEqual(
          frame.masks.at(-1)!.layers.map((l) => [l.layer, [...l.bits], l.realizedDropFraction]),
          m.layers.map((l) => [l.layer, [...l.bits], l.realizedDropFraction]),
          `step ${m.step}`,
        );
      }
      await waitFor('the replay to verify the end', () => panel.timeline?.state.verified === true, 120_000);
      assert.deepEqual(panel.rejected, []);
    } finally {
      await settings.update('engine.workers', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.workspace.fs.delete(config);
    }
  });
});
