import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, diagnosticsFor, ruleOf, waitFor, workspaceFile } from './helpers';

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'dropout-lens');

/** The file's diagnostic for `rule` and its quick fix titled `title` (the command returns actions without their diagnostics). */
async function quickFix(
  uri: vscode.Uri,
  rule: string,
  title: string,
): Promise<{ diagnostic: vscode.Diagnostic; fix: vscode.CodeAction }> {
  const diagnostics = await diagnosticsFor(uri);
  const diagnostic = diagnostics.find((d) => ruleOf(d) === rule);
  assert.ok(diagnostic, `rules found: ${diagnostics.map(ruleOf)}`);
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    'vscode.executeCodeActionProvider',
    uri,
    diagnostic.range,
    vscode.CodeActionKind.QuickFix.value,
  );
  const fix = actions.find((a) => a.title === title);
  assert.ok(fix?.edit, `no "${title}" among ${actions.map((a) => a.title)}`);
  return { diagnostic, fix };
}

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
    assert.deepEqual(
      ours(uri).map((d) => `${ruleOf(d)}: ${d.message}`),
      [],
    );
  });

  test('missing eval() in PyTorch code: flagged, and the quick fix inserts model.eval() and clears it', async () => {
    const uri = workspaceFile('pytorch', 'train_missing_eval.py');
    const { fix } = await quickFix(uri, 'missing-eval', 'Insert model.eval()');
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /\.eval\(\)/);
    await waitFor('missing-eval to clear after the fix', () => !ours(uri).some((d) => ruleOf(d) === 'missing-eval'));
  });

  test('every finding offers "Ignore RULE on this line": applied, it writes the comment and the diagnostic goes', async () => {
    const uri = workspaceFile('mistakes', 'keep-prob-confusion.dropout.yaml');
    const { diagnostic: keep, fix: ignore } = await quickFix(
      uri,
      'keep-prob-confusion',
      'Ignore keep-prob-confusion on this line',
    );
    assert.ok(!ignore.isPreferred, 'a real fix stays the preferred one');
    assert.ok(await vscode.workspace.applyEdit(ignore.edit!));
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.lineAt(keep.range.start.line).text, /^\s*# dropout-lens: ignore\[keep-prob-confusion\]$/);
    await waitFor('keep-prob-confusion to clear', () => !ours(uri).some((d) => ruleOf(d) === 'keep-prob-confusion'));
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
    const doc = await vscode.workspace.openTextDocument({
      language: 'python',
      content: 'import torch.nn as nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n',
    });
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((b) => b.insert(new vscode.Position(4, 16), ' +* (( ]'));
    const errors = await waitFor('a parse-error diagnostic', () => {
      const found = ours(doc.uri).filter((d) => ruleOf(d) === 'parse-error');
      return found.length > 0 ? found : undefined;
    });
    assert.equal(errors.length, 1);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('a 5,000-line file is analysed off the host thread: the host keeps running until its diagnostics arrive', async () => {
    const { diagnostics } = await api();
    // Copies of one model and its fit/validate functions, each copy with its own names; validation in train mode.
    const copy = (i: number) =>
      `class Net${i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(8, 64)\n` +
      `        self.drop = nn.Dropout(0.5)\n        self.fc2 = nn.Linear(64, 2)\n\n    def forward(self, x):\n` +
      `        return self.fc2(self.drop(torch.relu(self.fc1(x))))\n\n\ndef fit_${i}(train_loader, val_loader):\n` +
      `    model = Net${i}()\n    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n    for epoch in range(10):\n` +
      `        model.train()\n        for xb, yb in train_loader:\n            opt.zero_grad()\n` +
      `            F.cross_entropy(model(xb), yb).backward()\n            opt.step()\n        with torch.no_grad():\n` +
      `            for xb, yb in val_loader:\n                model(xb)\n\n\n`;
    const copies = 200;
    const big =
      'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n' +
      Array.from({ length: copies }, (_, i) => copy(i)).join('');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const doc = await vscode.workspace.openTextDocument({ language: 'python', content: big });
      const opened = ticks;
      const findings = await waitFor("the big file's analysis", () => diagnostics.findingsFor(doc.uri), 60_000);
      assert.equal(
        findings.filter((f) => f.rule === 'missing-eval').length,
        copies,
        `${doc.uri.toString()} (${doc.languageId}, ${doc.lineCount} lines, ${copies} copies): ${findings.map((f) => f.rule)}`,
      );
      // Analysed on the host thread, the findings would be there before a timer could fire.
      assert.ok(ticks - opened >= 2, `host timer ticks while the file was analysed: ${ticks - opened}`);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      clearInterval(timer);
    }
  });

  test('files never opened get diagnostics when the workspace opens; the openFiles scope takes them away', async () => {
    await api();
    const uri = workspaceFile('keras', 'model_mistakes.py');
    assert.ok(
      !vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()),
      'the suite must not open this file',
    );
    const rulesOf = () => ours(uri).map(ruleOf);
    await waitFor('diagnostics on the unopened keras/model_mistakes.py', () => rulesOf().length > 0);
    const config = vscode.workspace.getConfiguration('dropoutLens.diagnostics');
    await config.update('scope', 'openFiles', vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor("the unopened file's diagnostics to go", () => rulesOf().length === 0);
    } finally {
      await config.update('scope', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('them to return', () => rulesOf().length > 0);
  });

  test('a file written, changed and deleted on disk: its diagnostics follow, without opening it', async () => {
    await api();
    const uri = workspaceFile('pytorch', 'written_by_test.py');
    const write = (rate: string) =>
      vscode.workspace.fs.writeFile(
        uri,
        new TextEncoder().encode(`import torch.nn as nn\n\nlayer = nn.Dropout(${rate})\n`),
      );
    const outOfRange = () => ours(uri).some((d) => ruleOf(d) === 'dropout-rate-out-of-range');
    await write('1.5');
    try {
      await waitFor('dropout-rate-out-of-range on the new file', outOfRange);
      await write('0.5');
      await waitFor('it to clear after the change', () => !outOfRange());
      await write('-0.1');
      await waitFor('it to return', outOfRange);
    } finally {
      await vscode.workspace.fs.delete(uri);
    }
    await waitFor('no diagnostics after the delete', () => ours(uri).length === 0);
  });

  test("Lint Workspace analyses every supported file and finds the examples' mistakes", async () => {
    const lint = () => vscode.commands.executeCommand<{ files: number; findings: number }>('dropoutLens.lintWorkspace');
    const result = await lint();
    assert.ok(result.files >= 10, `files ${result.files}`);
    assert.ok(result.findings >= 8, `findings ${result.findings}`);
    // Files hidden by files.exclude are not ours to analyse either.
    const files = vscode.workspace.getConfiguration('files');
    await files.update(
      'exclude',
      { ...files.get<Record<string, boolean>>('exclude', {}), '**/keras': true },
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      const hidden = await lint();
      assert.equal(hidden.files, result.files - 3, 'keras/ holds three analysable files');
      const uri = workspaceFile('keras', 'model_mistakes.py');
      await waitFor('the hidden file to lose its diagnostics', () => ours(uri).length === 0);
    } finally {
      await files.update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
