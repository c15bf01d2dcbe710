import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CompareResult, SweepResult } from '../../../src/experiments';
import { api, waitFor, workspaceFile } from './helpers';

const runsFolder = () => workspaceFile('.dropout-lens', 'runs').fsPath;

suite('Experiments and runs', () => {
  test('with vs without dropout on the overfitting example: dropout narrows the gap, saved as a run with a report', async () => {
    await api();
    const config = workspaceFile('overfit.dropout.yaml');
    const result = await vscode.commands.executeCommand<CompareResult>('dropoutLens.compare', config, { quiet: true });
    assert.ok(result, 'no result');
    assert.equal(result.status, 'completed', result.message);
    assert.ok(result.gapReduction && result.gapReduction.loss > 0, `gap reduction ${JSON.stringify(result.gapReduction)}`);
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
    await vscode.workspace.getConfiguration('dropoutLens').update('experiments.sweepRates', [0, 0.2, 0.4, 0.6, 0.8], vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<SweepResult>('dropoutLens.sweep', workspaceFile('overfit.dropout.yaml'), { quiet: true });
      assert.equal(result.status, 'completed', result.message);
      assert.equal(result.points.length, 5);
      assert.ok(result.best, 'no best rate');
      assert.ok(result.best.rate > 0 && result.best.rate < 0.8, `best rate ${result.best.rate}`);
    } finally {
      await vscode.workspace.getConfiguration('dropoutLens').update('experiments.sweepRates', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('the Runs view lists saved runs and reports a corrupt file without failing', async () => {
    const { runsView } = await api();
    fs.mkdirSync(runsFolder(), { recursive: true });
    fs.writeFileSync(path.join(runsFolder(), 'corrupt.json'), '{"format": "dropout-lens/run@1", "id": ');
    const nodes = await waitFor('runs in the Runs view', async () => {
      const children = await runsView.getChildren();
      return children.some((n) => n.kind === 'run') && children.some((n) => n.kind === 'problem') ? children : undefined;
    });
    const problem = nodes.find((n) => n.kind === 'problem')!;
    assert.match(String(runsView.getTreeItem(problem).description), /skipped/);
    const run = nodes.find((n) => n.kind === 'run')!;
    const opened = await vscode.commands.executeCommand<string>('dropoutLens.openRun', run.kind === 'run' ? run.entry.id : undefined);
    assert.equal(opened, run.kind === 'run' ? run.entry.id : undefined);
  });
});
