import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, diagnosticsFor, ruleOf, waitFor, workspaceFile } from './helpers';

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'dropout-lens');

suite('Diagnostics', () => {
  test('a config with dropout on the output layer is flagged, with the rule as a link to its README section', async () => {
    await api();
    const uri = workspaceFile('mistakes', 'dropout-on-output.dropout.yaml');
    const diagnostics = await diagnosticsFor(uri);
    const finding = diagnostics.find((d) => ruleOf(d) === 'dropout-on-output');
    assert.ok(finding, `rules found: ${diagnostics.map(ruleOf)}`);
    const code = finding.code as { value: string; target: vscode.Uri };
    assert.equal(code.target.fragment, 'dropout-on-output');
    assert.match(code.target.path, /README\.md$/);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(finding.range), /dropout/);
  });

  test('good example configs get no diagnostics', async () => {
    const uri = workspaceFile('moons.dropout.yaml');
    await vscode.window.showTextDocument(uri);
    const { diagnostics } = await api();
    await waitFor('analysis of moons.dropout.yaml', () => diagnostics.findingsFor(uri) !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(ours(uri).map((d) => `${ruleOf(d)}: ${d.message}`), []);
  });

  test('missing eval() in PyTorch code: flagged, and the quick fix inserts model.eval() and clears it', async () => {
    const uri = workspaceFile('pytorch', 'train_missing_eval.py');
    const diagnostics = await diagnosticsFor(uri);
    const missing = diagnostics.find((d) => ruleOf(d) === 'missing-eval');
    assert.ok(missing, `rules found: ${diagnostics.map(ruleOf)}`);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, missing.range, vscode.CodeActionKind.QuickFix.value);
    // The command returns actions without their diagnostics, so the fix is known by its title.
    const fix = actions.find((a) => a.title === 'Insert model.eval()');
    assert.ok(fix?.edit, `no quick fix among ${actions.map((a) => a.title)}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /\.eval\(\)/);
    await waitFor('missing-eval to clear after the fix', () => !ours(uri).some((d) => ruleOf(d) === 'missing-eval'));
  });

  test('a rule turned off in settings disappears; turned back on, it returns', async () => {
    const uri = workspaceFile('mistakes', 'dropout-on-output.dropout.yaml');
    await diagnosticsFor(uri);
    const config = vscode.workspace.getConfiguration('dropoutLens.diagnostics');
    await config.update('rules', { 'dropout-on-output': false }, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('dropout-on-output to disappear', () => !ours(uri).some((d) => ruleOf(d) === 'dropout-on-output'));
    } finally {
      await config.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('dropout-on-output to return', () => ours(uri).some((d) => ruleOf(d) === 'dropout-on-output'));
  });

  test('as the user types a syntax error, the file gets one clear parse-error diagnostic, and the host keeps working', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: 'import torch.nn as nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n' });
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((b) => b.insert(new vscode.Position(4, 16), ' +* (( ]'));
    const errors = await waitFor('a parse-error diagnostic', () => {
      const found = ours(doc.uri).filter((d) => ruleOf(d) === 'parse-error');
      return found.length > 0 ? found : undefined;
    });
    assert.equal(errors.length, 1);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('Lint Workspace analyses every supported file and finds the examples\' mistakes', async () => {
    const result = await vscode.commands.executeCommand<{ files: number; findings: number }>('dropoutLens.lintWorkspace');
    assert.ok(result.files >= 10, `files ${result.files}`);
    assert.ok(result.findings >= 8, `findings ${result.findings}`);
  });
});
