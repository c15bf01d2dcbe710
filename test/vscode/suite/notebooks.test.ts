import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, ruleOf, waitFor, workspaceFile } from './helpers';

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'dropout-lens');

async function openNotebook(name: string): Promise<vscode.NotebookDocument> {
  await api();
  const notebook = await vscode.workspace.openNotebookDocument(workspaceFile('notebooks', name));
  await vscode.window.showNotebookDocument(notebook);
  return notebook;
}

/**
 * The cell shown in its notebook editor: the workbench makes a cell's text model only when its editor is
 * rendered, and code actions are asked of that model.
 */
async function revealCell(cell: vscode.NotebookCell): Promise<void> {
  const range = new vscode.NotebookRange(cell.index, cell.index + 1);
  const editor = await vscode.window.showNotebookDocument(cell.notebook, { selections: [range] });
  editor.revealRange(range, vscode.NotebookEditorRevealType.InCenter);
  await waitFor('the cell editor', () =>
    vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === cell.document.uri.toString()),
  );
}

async function quickFixes(cell: vscode.NotebookCell, range: vscode.Range): Promise<vscode.CodeAction[]> {
  await revealCell(cell);
  return vscode.commands.executeCommand<vscode.CodeAction[]>(
    'vscode.executeCodeActionProvider',
    cell.document.uri,
    range,
    vscode.CodeActionKind.QuickFix.value,
  );
}

/** Deletes the cell's line matching `pattern` (undoing what a test inserted, so the next test sees the file as it is). */
async function removeLine(cell: vscode.NotebookCell, pattern: RegExp): Promise<void> {
  const doc = cell.document;
  const index = Array.from({ length: doc.lineCount }, (_, i) => i).find((i) => pattern.test(doc.lineAt(i).text));
  assert.ok(index !== undefined, `no line matching ${pattern.source}`);
  const edit = new vscode.WorkspaceEdit();
  edit.delete(doc.uri, doc.lineAt(index).rangeIncludingLineBreak);
  assert.ok(await vscode.workspace.applyEdit(edit));
}

/** The notebook's last cell: the validation loop, in both example notebooks. */
function validationCell(notebook: vscode.NotebookDocument): vscode.NotebookCell {
  const cell = notebook.cellAt(notebook.cellCount - 1);
  assert.equal(cell.kind, vscode.NotebookCellKind.Code);
  return cell;
}

suite('Notebooks', () => {
  test('the workspace scan reads a notebook that was never opened, naming the cell and line', async () => {
    await api();
    const uri = workspaceFile('notebooks', 'validate_missing_eval.ipynb');
    const diagnostic = await waitFor('a diagnostic on the closed notebook', () =>
      ours(uri).find((d) => ruleOf(d) === 'missing-eval'),
    );
    assert.match(diagnostic.message, /^cell 7, line 4: net is in train mode/);
    assert.deepEqual(ours(workspaceFile('notebooks', 'validate_clean.ipynb')), []);
  });

  test('a model trained in one cell and validated in another without eval() is flagged on the validating cell', async () => {
    const notebook = await openNotebook('validate_missing_eval.ipynb');
    const cell = validationCell(notebook);
    const [diagnostic] = await waitFor('missing-eval on the validation cell', () => {
      const found = ours(cell.document.uri).filter((d) => ruleOf(d) === 'missing-eval');
      return found.length > 0 ? found : undefined;
    });
    assert.ok(diagnostic);
    assert.match(diagnostic.message, /net is in train mode inside torch\.no_grad\(\)/);
    assert.equal(cell.document.getText(diagnostic.range), 'net');
    // Open, the cells carry the findings: the file's own diagnostics give way.
    await waitFor('the file-level diagnostic to go', () => ours(notebook.uri).length === 0);
    // The cells that define and train the model are fine, and none carries the validating cell's finding.
    for (const other of notebook.getCells().slice(0, -1))
      assert.deepEqual(ours(other.document.uri).map(ruleOf), [], `cell ${other.index + 1}`);
  });

  test('the quick fix edits the cell, and the finding clears', async () => {
    const notebook = await openNotebook('validate_missing_eval.ipynb');
    const cell = validationCell(notebook);
    const diagnostic = await waitFor('missing-eval', () =>
      ours(cell.document.uri).find((d) => ruleOf(d) === 'missing-eval'),
    );
    const actions = await quickFixes(cell, diagnostic.range);
    const fix = actions.find((a) => a.title === 'Insert net.eval()');
    assert.ok(fix?.edit, `actions: ${actions.map((a) => a.title)}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(cell.document.getText(), /net\.eval\(\)/);
    await waitFor('missing-eval to clear', () => !ours(cell.document.uri).some((d) => ruleOf(d) === 'missing-eval'));
    await removeLine(cell, /^\s*net\.eval\(\)$/);
    await waitFor('missing-eval back once the fix is undone', () =>
      ours(cell.document.uri).some((d) => ruleOf(d) === 'missing-eval'),
    );
  });

  test('the ignore quick fix in a cell suppresses the finding there', async () => {
    const notebook = await openNotebook('validate_missing_eval.ipynb');
    const cell = validationCell(notebook);
    const diagnostic = await waitFor('missing-eval', () =>
      ours(cell.document.uri).find((d) => ruleOf(d) === 'missing-eval'),
    );
    const actions = await quickFixes(cell, diagnostic.range);
    const ignore = actions.find((a) => a.title === 'Ignore missing-eval on this line');
    assert.ok(ignore?.edit, `actions: ${actions.map((a) => a.title)}`);
    assert.ok(await vscode.workspace.applyEdit(ignore.edit));
    assert.match(cell.document.getText(), /# dropout-lens: ignore\[missing-eval\]/);
    await waitFor(
      'the suppressed finding to clear',
      () => !ours(cell.document.uri).some((d) => ruleOf(d) === 'missing-eval'),
    );
    await removeLine(cell, /# dropout-lens: ignore\[missing-eval\]/);
  });

  test('the clean notebook has no findings, and deleting its eval() line brings one as the user types', async () => {
    const notebook = await openNotebook('validate_clean.ipynb');
    const { diagnostics } = await api();
    const cell = validationCell(notebook);
    await waitFor('analysis of the clean notebook', () => diagnostics.findingsFor(cell.document.uri) !== undefined);
    for (const each of notebook.getCells()) assert.deepEqual(ours(each.document.uri).map(ruleOf), []);
    const evalLine = cell.document.lineAt(0);
    assert.equal(evalLine.text, 'net.eval()');
    const edit = new vscode.WorkspaceEdit();
    edit.delete(cell.document.uri, evalLine.rangeIncludingLineBreak);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('missing-eval after the edit', () =>
      ours(cell.document.uri).some((d) => ruleOf(d) === 'missing-eval'),
    );
    const restore = new vscode.WorkspaceEdit();
    restore.insert(cell.document.uri, new vscode.Position(0, 0), 'net.eval()\n');
    assert.ok(await vscode.workspace.applyEdit(restore));
  });
});
