import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, diagnosticsFor, ruleOf, waitFor, workspaceFile } from './helpers';

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'dropout-lens');

/** A file of this suite's own with a missing eval() (other suites fix the examples' mistakes as they test). */
const MISSING_EVAL = [
  'import torch',
  'from torch import nn',
  '',
  'model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 2))',
  'with torch.no_grad():',
  '    for xb in val_loader:',
  '        print(model(xb).argmax(1))',
  '',
].join('\n');

async function missingEvalFile(name: string): Promise<vscode.Uri> {
  const uri = workspaceFile('pytorch', name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(MISSING_EVAL));
  return uri;
}

suite('Reliability', () => {
  test('a hostile config typed into the editor: one finding, the host alive, and diagnostics still work', async () => {
    const { diagnostics } = await api();
    const uri = workspaceFile('hostile.dropout.yaml');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('layers: \n'));
    const editor = await vscode.window.showTextDocument(uri);
    // Six edits of 20,000 open brackets: what aborted the extension host through the yaml parser.
    for (let i = 0; i < 6; i++) {
      await editor.edit((e) => e.insert(editor.document.lineAt(0).range.end, '['.repeat(20_000 / 6)));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const deep = await waitFor('the nesting finding', () =>
      ours(uri).find((d) => /nested more than 64 levels deep/.test(d.message)),
    );
    assert.equal(ruleOf(deep), 'invalid-config');
    assert.ok(vscode.extensions.getExtension('dropout-lens.dropout-lens')?.isActive, 'the extension host is alive');
    // The other files are still analysed.
    const found = await diagnosticsFor(await missingEvalFile('reliability_other.py'));
    assert.ok(found.some((d) => ruleOf(d) === 'missing-eval'));
    assert.equal(diagnostics.crashes, 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.workspace.fs.delete(workspaceFile('hostile.dropout.yaml'));
  });

  test('when the analysis process dies, it restarts, the user is told once, and diagnostics come back', async () => {
    const { diagnostics } = await api();
    const uri = await missingEvalFile('reliability_restart.py');
    const editor = await vscode.window.showTextDocument(uri);
    await diagnosticsFor(uri);
    await diagnostics.killAnalysisForTest();
    await waitFor('the crash to be noticed', () => diagnostics.crashes === 1);
    // An edit after the crash: the new process analyses the document afresh.
    const line = editor.document.lineCount;
    await editor.edit((e) => e.insert(new vscode.Position(line, 0), '\n# edited after the crash\n'));
    await waitFor('missing-eval on the edited file', () => ours(uri).some((d) => ruleOf(d) === 'missing-eval'));
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(diagnostics.crashes, 1);
  });
});
