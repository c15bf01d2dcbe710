/** Commands on saved runs: open one in the panel, export it, compare two. */
import * as vscode from 'vscode';
import {
  compareRuns,
  exportRunCsv,
  exportRunJson,
  replaySourceOf,
  type RunComparison,
  type RunListEntry,
  type RunRecord,
} from '../runs';
import { recordSnapshot } from './recordSnapshot';
import type { RunController } from './runController';
import { RunPanel } from './runPanel';
import { workspaceRunStore } from './runRecorder';
import type { RunsView } from './runsView';

async function pickRun(title: string, exclude?: string): Promise<RunListEntry | undefined> {
  const store = workspaceRunStore();
  if (!store) {
    void vscode.window.showInformationMessage('Saved runs live in a trusted workspace folder; open one first.');
    return undefined;
  }
  const { runs } = await store.list();
  const choices = runs.filter((r) => r.id !== exclude);
  if (choices.length === 0) {
    void vscode.window.showInformationMessage('No saved runs yet: train a model config first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    choices.map((r) => ({
      label: r.name,
      description: `${r.kind} · ${r.status} · ${r.epochCount} epochs`,
      detail: new Date(r.createdAt).toLocaleString(),
      entry: r,
    })),
    { title, matchOnDescription: true },
  );
  return picked?.entry;
}

async function readRun(id: string): Promise<RunRecord | undefined> {
  const result = await workspaceRunStore()?.read(id);
  if (!result) return undefined;
  if (!result.ok) {
    void vscode.window.showErrorMessage(`Cannot open run ${id}: ${result.message}`);
    return undefined;
  }
  return result.record;
}

function idOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && 'entry' in arg) return (arg as { entry: RunListEntry }).entry.id;
  return undefined;
}

export function registerRunCommands(
  extensionUri: vscode.Uri,
  controller: RunController,
  runsView: RunsView,
  /** Shows a probe run (a folder) in the panel and the Problems panel. */
  openProbe?: (folder: string) => void,
): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('dropoutLens.refreshRuns', () => runsView.refresh()),
    vscode.commands.registerCommand('dropoutLens.openRun', async (arg?: unknown) => {
      const id = idOf(arg) ?? (await pickRun('Open a previous run'))?.id;
      const probe = id && openProbe ? await workspaceRunStore()?.readProbe(id) : undefined;
      if (probe?.ok && openProbe) {
        openProbe(probe.folder);
        return probe.record.id;
      }
      const record = id && (await readRun(id));
      if (!record) return undefined;
      RunPanel.createOrShow(extensionUri, controller).showSnapshot(recordSnapshot(record), replaySourceOf(record));
      return record.id;
    }),
    vscode.commands.registerCommand('dropoutLens.exportRun', async (arg?: unknown) => {
      const id = idOf(arg) ?? (await pickRun('Export which run?'))?.id;
      if (id && (await workspaceRunStore()?.readProbe(id))?.ok) {
        void vscode.window.showInformationMessage(
          'A probe run is a folder of JSON files already (run.json and one .ndjson file per rank): copy the folder.',
        );
        return undefined;
      }
      const record = id && (await readRun(id));
      if (!record) return undefined;
      const format = await vscode.window.showQuickPick(['JSON', 'CSV'], { title: `Export ${record.config.name} as` });
      if (!format) return undefined;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${record.id}.${format.toLowerCase()}`) } : {}),
        filters: format === 'JSON' ? { JSON: ['json'] } : { CSV: ['csv'] },
      });
      if (!target) return undefined;
      await vscode.workspace.fs.writeFile(
        target,
        new TextEncoder().encode(format === 'JSON' ? exportRunJson(record) : exportRunCsv(record)),
      );
      void vscode.window.showInformationMessage(
        `Exported ${record.config.name} to ${vscode.workspace.asRelativePath(target)}.`,
      );
      return target;
    }),
    vscode.commands.registerCommand('dropoutLens.compareRuns', async (first?: string, second?: string) => {
      const a = first ?? (await pickRun('Compare runs (1/2): the baseline'))?.id;
      if (!a) return undefined;
      const b = second ?? (await pickRun('Compare runs (2/2): compared with', a))?.id;
      if (!b) return undefined;
      const [ra, rb] = [await readRun(a), await readRun(b)];
      if (!ra || !rb) return undefined;
      const comparison = compareRuns(ra, rb);
      const doc = await vscode.workspace.openTextDocument({
        language: 'markdown',
        content: comparisonMarkdown(comparison),
      });
      await vscode.window.showTextDocument(doc, { preview: true });
      return comparison;
    }),
  ];
}

function comparisonMarkdown(c: RunComparison): string {
  const n = (v: number | undefined, digits = 4) => (v === undefined ? '–' : v.toFixed(digits));
  const row = (label: string, m: { a?: number; b?: number; delta?: number }) =>
    `| ${label} | ${n(m.a)} | ${n(m.b)} | ${m.delta === undefined ? '–' : (m.delta >= 0 ? '+' : '') + m.delta.toFixed(4)} |`;
  return [
    `# ${c.a.name} vs ${c.b.name}`,
    '',
    `A: \`${c.a.id}\` (${c.a.kind}) · B: \`${c.b.id}\` (${c.b.kind})`,
    '',
    '| final | A | B | B − A |',
    '|---|---:|---:|---:|',
    row('train loss', c.final.trainLoss),
    row('train accuracy', c.final.trainAccuracy),
    row('validation loss', c.final.valLoss),
    row('validation accuracy', c.final.valAccuracy),
    row('generalization gap (loss)', c.final.gapLoss),
    row('generalization gap (accuracy)', c.final.gapAccuracy),
    '',
    '| epoch | A train loss | A val loss | B train loss | B val loss |',
    '|---:|---:|---:|---:|---:|',
    ...c.epochs.map(
      (e) =>
        `| ${e.epoch} | ${n(e.a?.train.loss)} | ${n(e.a?.validation.loss)} | ${n(e.b?.train.loss)} | ${n(e.b?.validation.loss)} |`,
    ),
    '',
  ].join('\n');
}
