/** "Train" and "Open run" above a model config's first line. */
import * as vscode from 'vscode';
import type { RunController } from './runController';

export class ConfigCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly controller: RunController) {
    controller.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(top, {
        title: '$(play) Train',
        command: 'dropoutLens.train',
        arguments: [document.uri],
        tooltip: 'Train this model in the Dropout Lens worker',
      }),
    ];
    const session = this.controller.session;
    if (session && session.configUri.toString() === document.uri.toString()) {
      lenses.push(
        new vscode.CodeLens(top, {
          title: '$(graph-line) Open run',
          command: 'dropoutLens.openPanel',
          tooltip: `Open the run panel (${session.status})`,
        }),
      );
    }
    return lenses;
  }
}
