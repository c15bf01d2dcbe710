/**
 * What the user is told when a run cannot be saved: a warning naming the path and the reason (a full disk,
 * a read-only folder, a permission), with an action that opens the `dropoutLens.runsFolder` setting. Every
 * failed write also goes to the log; one warning per run and reason, so a full disk does not pop one per epoch.
 */
import * as vscode from 'vscode';
import type { RunSaveError } from '../runs';
import { log } from './log';

export const CHANGE_RUNS_FOLDER = 'Change Runs Folder…';

/** Shows a warning about saving runs, with the action to change the runs folder. */
export function warnSaving(text: string): void {
  void vscode.window.showWarningMessage(`Dropout Lens: ${text}`, CHANGE_RUNS_FOLDER).then((choice) => {
    if (choice === CHANGE_RUNS_FOLDER)
      void vscode.commands.executeCommand('workbench.action.openSettings', 'dropoutLens.runsFolder');
  });
}

/** An `onError` for a RunWriter: logs every failed write, warns once per reason. */
export function saveFailureReporter(what: string): (error: RunSaveError) => void {
  const warned = new Set<string>();
  return (error) => {
    log().error(`Saving ${what} failed: ${error.message}`);
    const key = error.code ?? error.reason;
    if (warned.has(key)) return;
    warned.add(key);
    warnSaving(`saving ${what} failed: ${error.message}`);
  };
}
