/** Findings (pure, 0-based) to VS Code's types. */
import * as vscode from 'vscode';
import type { Finding, Range, Severity } from '../protocol/findings';

export const DIAGNOSTIC_SOURCE = 'dropout-lens';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export function toRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

/** `readme` is the README shipped with the extension: each rule has a section whose anchor is its id, so links work offline. */
export function toDiagnostic(finding: Finding, readme: vscode.Uri, document: vscode.Uri): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(finding.range), finding.message, SEVERITY[finding.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = { value: finding.rule, target: readme.with({ fragment: finding.rule }) };
  if (finding.related)
    diagnostic.relatedInformation = finding.related.map(
      (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(document, toRange(r.range)), r.message),
    );
  return diagnostic;
}
