import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The extension's output channel ("Dropout Lens" in the Output view), created on first use. */
export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Dropout Lens', { log: true });
  return channel;
}
