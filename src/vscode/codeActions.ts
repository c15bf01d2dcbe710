/** Quick fixes: the safe fixes a finding carries, attached to its diagnostic, the preferred one marked. */
import * as vscode from 'vscode';
import type { DiagnosticsController } from './diagnostics';
import { DIAGNOSTIC_SOURCE, toRange } from './convert';

export class DropoutQuickFixes implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  };

  constructor(private readonly diagnostics: DiagnosticsController) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range): vscode.CodeAction[] {
    const findings = this.diagnostics.findingsFor(document.uri) ?? [];
    // Our own diagnostics at the range, read in this host: the context's copy comes from the workbench's
    // marker service, which can lag just after an analysis and would then offer no fix.
    const ours = vscode.languages
      .getDiagnostics(document.uri)
      .filter((d) => d.source === DIAGNOSTIC_SOURCE && d.range.intersection(range) !== undefined);
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of ours) {
      const rule = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
      const finding = findings.find(
        (f) => f.rule === rule && toRange(f.range).isEqual(diagnostic.range) && f.message === diagnostic.message,
      );
      for (const fix of finding?.fixes ?? []) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diagnostic];
        action.isPreferred = fix.preferred ?? false;
        action.edit = new vscode.WorkspaceEdit();
        for (const edit of fix.edits) action.edit.replace(document.uri, toRange(edit.range), edit.newText);
        actions.push(action);
      }
    }
    return actions;
  }
}
