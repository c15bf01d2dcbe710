import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EngineEvent } from '../../../src/protocol/engine';
import { api, waitFor, workspaceFile } from './helpers';

type Of<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

suite('Training from the editor', () => {
  teardown(async () => {
    const { controller } = await api();
    if (controller.session?.isActive) {
      controller.stop();
      await controller.session.whenDone();
    }
  });

  test('Train on an example config opens the panel, streams masks and curves, obeys mode switches, and stops', async () => {
    const { controller, runPanel } = await api();
    // The example with enough epochs that it is still training when the test pauses it.
    const example = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile('moons.dropout.yaml')));
    assert.match(example, /epochs: \d+/);
    const longRun = workspaceFile('moons-long-for-test.dropout.yaml');
    await vscode.workspace.fs.writeFile(
      longRun,
      new TextEncoder().encode(example.replace(/epochs: \d+/, 'epochs: 100000')),
    );
    await vscode.window.showTextDocument(longRun);
    const events: EngineEvent[] = [];
    const subscription = controller.onDidStart((session) => session.onEvent((e) => events.push(e)));
    const runId = await vscode.commands.executeCommand<string>('dropoutLens.train');
    subscription.dispose();
    assert.ok(runId, 'train returned no run id');
    const session = controller.session!;
    session.onEvent((e) => events.push(e));

    // The panel loaded its bundle under the CSP and said ready; the host answered with a snapshot.
    const panel = await waitFor('the run panel', () => runPanel());
    await waitFor('the panel to say ready', () => panel.received.some((m) => m.type === 'ready'), 30_000);
    assert.deepEqual(panel.rejected, []);

    await waitFor('an epoch event', () => events.some((e) => e.type === 'epoch'), 30_000);
    const masks = await waitFor(
      'a masks event',
      () => events.find((e): e is Of<'masks'> => e.type === 'masks'),
      30_000,
    );
    const dropoutLayer = session.layers.find((l) => l.spec.type === 'dropout' && (l.rate ?? 0) > 0);
    assert.ok(dropoutLayer, 'the example has a dropout layer');
    assert.ok(masks.layers.some((m) => m.layer === dropoutLayer.index));

    // Switch that one layer to eval: the worker confirms, and its masks stop dropping anything.
    session.send({ type: 'pause' });
    await waitFor('pause', () => session.status === 'paused');
    await vscode.commands.executeCommand('dropoutLens.toggleLayerMode', dropoutLayer.index, 'eval');
    await waitFor('the worker to confirm eval mode', () =>
      events.some(
        (e) => e.type === 'modes' && e.layers.some((l) => l.layer === dropoutLayer.index && l.mode === 'eval'),
      ),
    );
    const seen = events.length;
    session.send({ type: 'resume' });
    const after = await waitFor(
      'masks after the switch',
      () =>
        events
          .slice(seen)
          .find((e): e is Of<'masks'> => e.type === 'masks' && e.layers.some((m) => m.layer === dropoutLayer.index)),
      30_000,
    );
    assert.equal(after.layers.find((m) => m.layer === dropoutLayer.index)!.realizedDropFraction, 0);
    assert.equal(session.layers.find((l) => l.index === dropoutLayer.index)!.mode, 'eval');

    await vscode.commands.executeCommand('dropoutLens.stop');
    const done = await session.whenDone();
    assert.equal(done.reason, 'stopped');
    assert.equal(session.status, 'stopped');
  });

  test('Export PNG from the panel: the host asks where, then writes the chart; a forged message writes nothing', async () => {
    const { runPanel } = await api();
    const panel = await waitFor('the run panel (opened by the training test)', () => runPanel());
    const target = workspaceFile('.dropout-lens', 'exported-loss.png');
    // The save dialog cannot be answered from here: it is replaced for this test by one that answers `target`.
    const window = vscode.window as { showSaveDialog: typeof vscode.window.showSaveDialog };
    const original = window.showSaveDialog;
    const asked: vscode.SaveDialogOptions[] = [];
    window.showSaveDialog = async (options) => {
      asked.push(options ?? {});
      return target;
    };
    try {
      const png =
        'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
      const rejectedBefore = panel.rejected.length;
      panel.handleMessage({ type: 'exportChart', chart: 'loss', dataUrl: png.replace('image/png', 'text/html') });
      assert.match(panel.rejected.slice(rejectedBefore).join('\n'), /exportChart: dataUrl/);
      assert.equal(asked.length, 0, 'a refused message opens no dialog');

      panel.handleMessage({ type: 'exportChart', chart: 'loss', dataUrl: png });
      const written = await waitFor('the exported PNG', async () => {
        try {
          return await vscode.workspace.fs.readFile(target);
        } catch {
          return undefined;
        }
      });
      assert.deepEqual(Buffer.from(written), Buffer.from(png.slice(png.indexOf(',') + 1), 'base64'));
      assert.equal(asked.length, 1);
      assert.match(asked[0]!.defaultUri?.path ?? '', /-loss\.png$/);
      assert.deepEqual(asked[0]!.filters, { 'PNG image': ['png'] });
    } finally {
      window.showSaveDialog = original;
      await vscode.workspace.fs.delete(target).then(undefined, () => undefined);
    }
  });

  test("Monte Carlo dropout from the panel: the stopped run's held model answers through predict; a forged request is refused", async () => {
    const { controller, runPanel } = await api();
    const panel = await waitFor('the run panel (opened by the training test)', () => runPanel());
    const session = controller.session!;
    assert.equal(session.status, 'stopped', 'the training test stopped its run');
    const rejectedBefore = panel.rejected.length;
    panel.handleMessage({ type: 'predict', passes: 100_000 });
    assert.match(panel.rejected.slice(rejectedBefore).join('\n'), /predict: passes must be an integer from 2 to 1000/);

    panel.handleMessage({ type: 'predict', passes: 12 });
    const answer = await waitFor(
      'the Monte Carlo answer',
      () => panel.sent.find((m) => m.type === 'monteCarlo'),
      30_000,
    );
    assert.ok(answer.type === 'monteCarlo' && answer.result, JSON.stringify(answer));
    assert.equal(answer.result.passes, 12);
    assert.ok(answer.result.meanVariance > 0, 'dropout on: the passes differ');
    assert.ok(answer.result.accuracy! >= 0 && answer.result.accuracy! <= 1);
    assert.ok(answer.result.evalAccuracy! >= 0 && answer.result.evalAccuracy! <= 1);
    // The dropout layer the training test switched to eval stays so: `mc` samples it, its own mode is untouched.
    assert.ok(session.layers.some((l) => l.spec.type === 'dropout' && l.mode === 'eval'));
  });

  test('an invalid config is refused with a precise message and starts nothing', async () => {
    const { controller } = await api();
    const uri = workspaceFile('broken-for-test.dropout.yaml');
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode('name: broken\nmodel:\n  layers:\n    - dropout: 1.5\n'),
    );
    const before = controller.session;
    const runId = await vscode.commands.executeCommand<string | undefined>('dropoutLens.train', uri);
    assert.equal(runId, undefined);
    assert.equal(controller.session, before);
  });
});
