/** The sidebar's "Runs" view: saved runs, newest first; unreadable files listed as problems, never fatal. */
import * as vscode from 'vscode';
import type { RunListEntry, RunProblem } from '../runs';
import type { RunRecorder } from './runRecorder';
import { workspaceRunStore } from './runRecorder';

/** How soon a list with running runs is read again (their writers' liveness and heartbeats). */
const RECHECK_MS = 15_000;

export type RunNode = { kind: 'run'; entry: RunListEntry } | { kind: 'problem'; problem: RunProblem };

export class RunsView implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;
  private recheck: NodeJS.Timeout | undefined;

  constructor(recorder: RunRecorder) {
    this.disposables.push(recorder.onDidSave(() => this.refreshSoon()));
  }

  refresh(): void {
    this.changed.fire();
  }

  private refreshSoon(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.refresh();
    }, 1000);
  }

  async getChildren(): Promise<RunNode[]> {
    const store = workspaceRunStore();
    if (!store) return [];
    const { runs, problems } = await store.list();
    // A run listed as running is looked at again: if its writer dies (a CLI killed in a terminal), the list
    // shows it interrupted within a heartbeat or so, instead of spinning on.
    clearTimeout(this.recheck);
    if (runs.some((r) => r.status === 'running')) this.recheck = setTimeout(() => this.refresh(), RECHECK_MS);
    return [
      ...runs.map((entry): RunNode => ({ kind: 'run', entry })),
      ...problems.map((problem): RunNode => ({ kind: 'problem', problem })),
    ];
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem(vscode.workspace.asRelativePath(node.problem.file));
      item.description = `skipped: ${node.problem.message}`;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.contextValue = 'problem';
      return item;
    }
    const { entry } = node;
    const item = new vscode.TreeItem(`${entry.name}`);
    const val = entry.final?.validation;
    item.description = [
      entry.kind,
      entry.status,
      `${entry.epochCount} ep`,
      val?.accuracy !== undefined
        ? `val acc ${(100 * val.accuracy).toFixed(1)}%`
        : val
          ? `val loss ${val.loss.toFixed(3)}`
          : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = `${entry.id}\n${new Date(entry.createdAt).toLocaleString()}${entry.message ? `\n${entry.message}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(
      entry.status === 'completed'
        ? 'pass'
        : entry.status === 'failed'
          ? 'error'
          : entry.status === 'running'
            ? 'sync'
            : entry.status === 'interrupted'
              ? 'debug-disconnect'
              : 'circle-slash',
    );
    item.contextValue = 'run';
    item.command = { command: 'dropoutLens.openRun', title: 'Open Run', arguments: [entry.id] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.recheck);
    for (const d of this.disposables) d.dispose();
  }
}
