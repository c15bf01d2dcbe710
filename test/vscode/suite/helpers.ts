import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DropoutLensApi } from '../../../src/extension';

export const EXTENSION_ID = 'dropout-lens.dropout-lens';

export async function api(): Promise<DropoutLensApi> {
  const extension = vscode.extensions.getExtension<DropoutLensApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
  return extension.activate();
}

export function workspaceFile(...segments: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite runs on a copy of examples/ opened as the workspace');
  return vscode.Uri.file(path.join(folder.uri.fsPath, ...segments));
}

/** Polls until `probe` returns a value (not undefined/false), or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function ruleOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : code === undefined ? undefined : String(code);
}

export async function diagnosticsFor(uri: vscode.Uri, atLeast = 1): Promise<vscode.Diagnostic[]> {
  await vscode.window.showTextDocument(uri);
  return waitFor(`${atLeast} diagnostic(s) on ${path.basename(uri.fsPath)}`, () => {
    const found = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'dropout-lens');
    return found.length >= atLeast ? found : undefined;
  });
}
