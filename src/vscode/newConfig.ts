/** "New Model Config…": pick a dataset and an architecture, name the file, and open it. */
import * as vscode from 'vscode';
import { DATASETS, architecturesFor, renderConfig } from './configTemplates';

export async function createModelConfig(): Promise<vscode.Uri | undefined> {
  const dataset = await vscode.window.showQuickPick(
    DATASETS.map((d) => ({ label: d.label, detail: d.detail, choice: d })),
    { title: 'New Model Config (1/3): dataset', placeHolder: 'Which data should the model learn?' },
  );
  if (!dataset) return undefined;
  const architecture = await vscode.window.showQuickPick(
    architecturesFor(dataset.choice).map((a) => ({ label: a.label, detail: a.detail, choice: a })),
    { title: 'New Model Config (2/3): architecture', placeHolder: 'Which network?' },
  );
  if (!architecture) return undefined;
  const suggested = `${dataset.choice.id}-${architecture.choice.id}`;
  const name = await vscode.window.showInputBox({
    title: 'New Model Config (3/3): file name',
    value: suggested,
    prompt: 'Saved as NAME.dropout.yaml in the workspace folder',
    validateInput: (value) =>
      /^[\w.-]+$/.test(value) ? undefined : 'Use letters, digits, dots, dashes and underscores only.',
  });
  if (!name) return undefined;
  const text = renderConfig(
    `${dataset.choice.label}, ${architecture.choice.label.toLowerCase()}`,
    dataset.choice,
    architecture.choice,
  );
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder) {
    const doc = await vscode.workspace.openTextDocument({ language: 'yaml', content: text });
    await vscode.window.showTextDocument(doc);
    return doc.uri;
  }
  const uri = vscode.Uri.joinPath(folder, `${name}.dropout.yaml`);
  try {
    await vscode.workspace.fs.stat(uri);
    const overwrite = await vscode.window.showWarningMessage(
      `${name}.dropout.yaml already exists.`,
      { modal: true },
      'Overwrite',
    );
    if (overwrite !== 'Overwrite') return undefined;
  } catch {
    // does not exist yet: the usual case
  }
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  await vscode.window.showTextDocument(uri);
  return uri;
}
