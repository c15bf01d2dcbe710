/**
 * Keeps dropout diagnostics current: on open, as the user types (debounced, per document), on settings
 * changes, and for the whole workspace on demand. Findings are kept per document for the code actions.
 */
import * as vscode from 'vscode';
import type { Finding } from '../protocol/findings';
import { toDiagnostic } from './convert';
import { analysisCore } from './lazyCores';
import { log } from './log';
import { diagnosticsSettings } from './settings';

export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('dropout-lens');
  private readonly findings = new Map<string, Finding[]>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were recomputed (tests and the sidebar listen). */
  readonly onDidAnalyze = this.changed.event;

  constructor(private readonly readme: vscode.Uri) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidOpenTextDocument((doc) => this.analyze(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('dropoutLens.diagnostics')) this.analyzeOpenDocuments();
      }),
    );
    // After activation returns: analysing is work, and activation must stay light.
    setImmediate(() => this.analyzeOpenDocuments());
  }

  findingsFor(uri: vscode.Uri): readonly Finding[] {
    return this.findings.get(uri.toString()) ?? [];
  }

  analyzeOpenDocuments(): void {
    for (const doc of vscode.workspace.textDocuments) this.analyze(doc);
  }

  /** Analyses every supported file of the workspace; returns how many files and findings. */
  async lintWorkspace(token?: vscode.CancellationToken): Promise<{ files: number; findings: number }> {
    const settings = diagnosticsSettings();
    const exclude = settings.exclude.length > 0 ? `{${settings.exclude.join(',')}}` : undefined;
    const uris = await vscode.workspace.findFiles('**/*.{py,json,yaml,yml}', exclude, 5000, token);
    let files = 0;
    let findings = 0;
    for (const uri of uris) {
      if (token?.isCancellationRequested) break;
      if (!analysisCore().isAnalyzable(uri.path)) continue;
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      files++;
      findings += this.publish(uri, text, uri.fsPath || uri.path);
    }
    return { files, findings };
  }

  analyze(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled' && doc.uri.scheme !== 'vscode-remote') return;
    const name = analysisFileName(doc);
    if (!analysisCore().isAnalyzable(name, doc.getText())) return;
    this.publish(doc.uri, doc.getText(), name);
  }

  private publish(uri: vscode.Uri, text: string, name: string): number {
    const settings = diagnosticsSettings(uri);
    if (!settings.enabled || this.isExcluded(uri, settings.exclude)) {
      this.forget(uri);
      return 0;
    }
    let findings: Finding[];
    try {
      findings = analysisCore().analyzeDocument(text, name, { rules: settings.rules, severities: settings.severities });
    } catch (error) {
      // The analyzer is fuzzed never to throw; if it ever does, one file loses its diagnostics, not the editor.
      log().error(`Analysis of ${uri.fsPath} failed: ${error instanceof Error ? error.stack : String(error)}`);
      findings = [];
    }
    this.findings.set(uri.toString(), findings);
    this.collection.set(uri, findings.map((f) => toDiagnostic(f, this.readme)));
    this.changed.fire(uri);
    return findings.length;
  }

  private isExcluded(uri: vscode.Uri, patterns: string[]): boolean {
    return patterns.some((pattern) => vscode.languages.match({ pattern }, { uri, languageId: '' } as vscode.TextDocument) > 0);
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      this.analyze(doc);
    }, diagnosticsSettings(doc.uri).debounceMs));
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.delete(key);
    this.findings.delete(key);
    this.collection.delete(uri);
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** The analyzer picks its parser by file name; an untitled editor only has a language, so it lends one. */
function analysisFileName(doc: vscode.TextDocument): string {
  const name = doc.uri.fsPath || doc.uri.path;
  if (doc.languageId === 'python' && !/\.pyi?$/i.test(name)) return `${name}.py`;
  if ((doc.languageId === 'json' || doc.languageId === 'jsonc') && !/\.json$/i.test(name)) return `${name}.json`;
  return name;
}
