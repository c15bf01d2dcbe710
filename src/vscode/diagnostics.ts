/**
 * Keeps dropout diagnostics current: on open, as the user types (debounced, per document), on settings
 * changes, and for the whole workspace on demand. Findings are kept per document for the code actions.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyzer } from '../analysis/session';
import type { Finding } from '../protocol/findings';
import { toDiagnostic } from './convert';
import { analysisCore } from './lazyCores';
import { log } from './log';
import { diagnosticsSettings } from './settings';

export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('dropout-lens');
  private readonly findings = new Map<string, Finding[]>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** One incremental analyzer per open document: it keeps the last syntax tree and maps edits onto it. */
  private readonly analyzers = new Map<string, DocumentAnalyzer>();
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were recomputed (tests and the sidebar listen). */
  readonly onDidAnalyze = this.changed.event;

  constructor(private readonly readme: vscode.Uri) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidOpenTextDocument((doc) => this.analyze(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        // Map the edits onto the kept tree now, in order: each event's changes apply to the text after the last.
        this.analyzers.get(e.document.uri.toString())?.edit(e.contentChanges);
        this.schedule(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.analyzers.delete(doc.uri.toString());
        this.forget(doc.uri);
      }),
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
      files++;
      if (open) {
        const name = analysisFileName(open);
        findings += this.publish(uri, open.getText(), name, this.analyzerFor(open, name));
      } else {
        findings += this.publish(uri, new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), uri.fsPath || uri.path);
      }
    }
    return { files, findings };
  }

  analyze(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled' && doc.uri.scheme !== 'vscode-remote') return;
    const name = analysisFileName(doc);
    const text = doc.getText();
    if (!analysisCore().isAnalyzable(name, text)) return;
    this.publish(doc.uri, text, name, this.analyzerFor(doc, name));
  }

  private analyzerFor(doc: vscode.TextDocument, name: string): DocumentAnalyzer {
    const key = doc.uri.toString();
    let analyzer = this.analyzers.get(key);
    if (!analyzer) this.analyzers.set(key, (analyzer = new (analysisCore().DocumentAnalyzer)(name)));
    else analyzer.rename(name);
    return analyzer;
  }

  private publish(uri: vscode.Uri, text: string, name: string, analyzer?: DocumentAnalyzer): number {
    const settings = diagnosticsSettings(uri);
    if (!settings.enabled || this.isExcluded(uri, settings.exclude)) {
      this.forget(uri);
      return 0;
    }
    let findings: Finding[];
    try {
      const options = { rules: settings.rules, severities: settings.severities };
      findings = analyzer ? analyzer.analyze(text, options) : analysisCore().analyzeDocument(text, name, options);
    } catch (error) {
      // The analyzer is fuzzed never to throw; if it ever does, one file loses its diagnostics, not the editor.
      analyzer?.reset();
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
    this.analyzers.clear();
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
