import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, EXTENSION_ID, waitFor, workspaceFile } from './helpers';

suite('Extension', () => {
  test('activates lazily on the examples workspace and reports its activation time', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const { activation } = await api();
    assert.ok(extension.isActive);
    for (const [part, ms] of Object.entries(activation)) assert.ok(Number.isFinite(ms) && ms > 0, `${part}: ${ms}`);
    const results = process.env.DROPOUT_LENS_TEST_RESULTS;
    if (results)
      fs.writeFileSync(
        path.join(path.dirname(results), 'activation.json'),
        JSON.stringify({ ...activation, vscodeVersion: vscode.version }),
      );
    console.log(
      `activation: ${activation.totalMs.toFixed(1)} ms (bundle evaluated in ${activation.loadMs.toFixed(1)} ms, activate() ${activation.activateMs.toFixed(1)} ms)`,
    );
  });

  test('never activates on startup for everything', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { activationEvents: string[] };
    assert.ok(!manifest.activationEvents.includes('*'));
    assert.ok(!manifest.activationEvents.includes('onStartupFinished'));
  });

  test('registers every contributed command', async () => {
    await api();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: { command: string }[] };
    };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
    assert.ok(manifest.contributes.commands.length >= 15);
  });

  test("the sidebar view resolves and lists the active config's layers", async () => {
    const { modelView } = await api();
    await vscode.commands.executeCommand('workbench.view.extension.dropoutLens');
    await vscode.window.showTextDocument(workspaceFile('moons.dropout.yaml'));
    const nodes = await waitFor('layers of moons.dropout.yaml in the Model view', () => {
      const children = modelView.getChildren();
      return children.some((n) => n.kind === 'layer') ? children : undefined;
    });
    const layers = nodes.filter((n) => n.kind === 'layer');
    assert.ok(
      layers.some((n) => n.kind === 'layer' && n.spec.type === 'dropout'),
      'the example has a dropout layer',
    );
    const item = modelView.getTreeItem(layers[0]!);
    assert.match(typeof item.label === 'string' ? item.label : (item.label?.label ?? ''), /^0 {2}/);
  });

  test('commands that need a config say so instead of failing', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // With no config open, train asks (an information message) and starts nothing.
    const { controller } = await api();
    const before = controller.session;
    const pending = vscode.commands.executeCommand('dropoutLens.train');
    const outcome = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('asked'), 1500))]);
    assert.equal(outcome, 'asked');
    assert.equal(controller.session, before, 'a session started without a config');
  });
});
