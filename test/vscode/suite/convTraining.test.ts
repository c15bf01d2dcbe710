import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EngineEvent, FeatureMapsEvent, LayerMask } from '../../../src/protocol/engine';
import { api, waitFor, workspaceFile } from './helpers';

/**
 * The engine events the host posted to the run panel (what the webview was told to draw): streamed batches, and the
 * recent pictures a snapshot replays (the engine trains this example in about a second, so the run may be over
 * before the panel is ready, and then the snapshot is how the masks reach it).
 */
function posted(
  sent: readonly { type: string; events?: EngineEvent[]; snapshot?: { recent?: EngineEvent[] } }[],
): EngineEvent[] {
  return sent.flatMap((m) =>
    m.type === 'engineBatch' ? (m.events ?? []) : m.type === 'snapshot' ? (m.snapshot?.recent ?? []) : [],
  );
}

suite('Spatial dropout in VS Code', () => {
  teardown(async () => {
    const { controller } = await api();
    if (controller.session?.isActive) {
      controller.stop();
      await controller.session.whenDone();
    }
  });

  test('the spatial-dropout example trains from the palette; its channel masks and feature maps reach the panel', async function () {
    // It may be the suite's first test: the first run panel of a session loads the webview cold, which on a busy
    // two-core machine takes most of the default minute before the training starts.
    this.timeout(180_000);
    const { controller, runPanel } = await api();
    await vscode.window.showTextDocument(workspaceFile('shapes-spatial-dropout.dropout.yaml'));
    const runId = await vscode.commands.executeCommand<string>('dropoutLens.train');
    assert.ok(runId, 'train returned no run id');
    const session = controller.session!;
    const panel = await waitFor('the run panel', () => runPanel());
    await waitFor('the panel to say ready', () => panel.received.some((m) => m.type === 'ready'), 30_000);

    await waitFor('the engine to start or fail', () => session.layers.length > 0 || !session.isActive, 30_000);
    assert.ok(session.layers.length > 0, `the run ${session.status}: ${session.message}`);
    const dropout2d = session.layers.find((l) => l.spec.type === 'dropout2d');
    assert.ok(dropout2d, `a dropout2d layer among ${session.layers.map((l) => l.spec.type).join(', ')}`);
    assert.deepEqual(dropout2d.shape, [8, 16, 16], 'dropout2d sees the first conv’s 8 channels of 16×16');
    assert.equal(dropout2d.rate, 0.2);
    const snapshot = await waitFor('a snapshot with the layers', () =>
      panel.sent.flatMap((m) => (m.type === 'snapshot' && m.snapshot.layers.length > 0 ? [m.snapshot] : [])).at(-1),
    );
    assert.ok(snapshot.layers.some((l) => l.index === dropout2d.index && l.spec.type === 'dropout2d'));

    // The channel masks: one bit per channel of the first example, as the panel's heatmap draws them.
    const mask = await waitFor(
      'a dropout2d mask posted to the panel',
      () =>
        posted(panel.sent)
          .flatMap((e) => (e.type === 'masks' ? e.layers : []))
          .find((m): m is LayerMask => m.layer === dropout2d.index),
      40_000,
    );
    assert.equal(mask.units, 8);
    assert.ok(mask.realizedDropFraction >= 0 && mask.realizedDropFraction <= 1);
    const maps = await waitFor(
      'feature maps posted to the panel',
      () =>
        posted(panel.sent).find((e): e is FeatureMapsEvent => e.type === 'featureMaps' && e.layer === dropout2d.index),
      40_000,
    );
    assert.deepEqual(maps.shape, [8, 16, 16]);
    assert.deepEqual(panel.rejected, []);

    const done = await session.whenDone();
    assert.equal(done.reason, 'completed');
    const last = session.epochs.at(-1)!;
    assert.equal(session.epochs.length, 15);
    // Four classes: chance is 25%. The small CNN learns the shapes.
    assert.ok((last.validation.accuracy ?? 0) > 0.6, `validation accuracy ${last.validation.accuracy}`);
  });
});
