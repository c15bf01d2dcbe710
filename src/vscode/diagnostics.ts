/**
 * Keeps dropout diagnostics current: on open, as the user types (debounced, per document), on settings
 * changes, and for the whole workspace (when it opens, then as files change on disk, unless the scope is
 * open files only). The analysis runs in a worker thread, so a large file never stalls the extension host;
 * findings are kept per document for the code actions.
 */
import * as vscode from 'vscode';
import { isAnalyzable, isNotebookFile } from '../analysis/files';
import type { AnalyzeOptions, DocumentEdit } from '../protocol/analysis';
import type { Finding } from '../protocol/findings';
import { AnalysisWorker, locateAnalysisWorker, type AnalysisJob } from '../session/analysisWorker';
import { toDiagnostic } from './convert';
import { log } from './log';
import { NotebookDiagnostics } from './notebookDiagnostics';
import { diagnosticsSettings } from './settings';

export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('dropout-lens');
  private readonly findings = new Map<string, Finding[]>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly worker: AnalysisWorker;
  private readonly notebooks: NotebookDiagnostics;
  /**
   * Open documents whose incremental analyzer lives in the worker, with the edits made since their last
   * request: the worker maps them onto the kept syntax tree, so none may be lost or reordered.
   */
  private readonly unsentEdits = new Map<string, DocumentEdit[]>();
  /** The newest request per document: an answer to an older one is dropped (a newer one is on its way). */
  private readonly latest = new Map<string, number>();
  private requests = 0;
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/*.{py,json,yaml,yml,ipynb}');
  private scan: vscode.CancellationTokenSource | undefined;
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were recomputed (tests and the sidebar listen). */
  readonly onDidAnalyze = this.changed.event;

  constructor(
    private readonly readme: vscode.Uri,
    extensionPath: string,
  ) {
    this.worker = new AnalysisWorker(locateAnalysisWorker(extensionPath), (message) => this.analysisCrashed(message));
    this.notebooks = new NotebookDiagnostics({
      optionsFor: (uri) => this.optionsFor(uri),
      analyze: (job) => this.worker.analyze(job),
      publish: (uri, findings) => this.publish(uri, findings),
      forget: (uri) => this.forget(uri),
      dropAnalyzer: (key) => this.worker.forget(key),
      closed: (uri) => this.scheduleFile(uri),
    });
    this.disposables.push(
      this.notebooks,
      this.changed,
      vscode.workspace.onDidOpenTextDocument((doc) => void this.analyze(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        // Each event's changes apply to the text after the last, in order (VS Code sorts them from the end).
        const unsent = this.unsentEdits.get(e.document.uri.toString());
        unsent?.push(
          ...e.contentChanges.map(({ rangeOffset, rangeLength, text }) => ({ rangeOffset, rangeLength, text })),
        );
        this.schedule(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (!this.coversWorkspace() || doc.uri.scheme !== 'file') return this.forget(doc.uri);
        // The file keeps its diagnostics; what is on disk stands for it now (an unsaved edit was just discarded).
        this.dropAnalyzer(doc.uri.toString());
        this.scheduleFile(doc.uri);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('dropoutLens.diagnostics') || e.affectsConfiguration('files.exclude'))
          this.refresh();
      }),
      this.watcher,
      this.watcher.onDidCreate((uri) => this.scheduleFile(uri)),
      this.watcher.onDidChange((uri) => this.scheduleFile(uri)),
      this.watcher.onDidDelete((uri) => {
        if (!this.isOpen(uri)) this.forget(uri);
      }),
    );
    // After activation returns: analysing is work, and activation must stay light.
    setImmediate(() => this.refresh());
  }

  /** Open documents, and with the workspace scope every file, analysed again under the current settings. */
  private refresh(): void {
    this.analyzeOpenDocuments();
    void this.notebooks.analyzeOpen();
    if (this.coversWorkspace()) void this.scanWorkspace();
    else
      for (const key of [...this.findings.keys()])
        if (!this.isOpen(vscode.Uri.parse(key))) this.forget(vscode.Uri.parse(key));
  }

  private async scanWorkspace(): Promise<void> {
    this.scan?.cancel();
    const scan = (this.scan = new vscode.CancellationTokenSource());
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Dropout Lens: analysing the workspace' },
        () => this.lintWorkspace(scan.token, false),
      );
    } catch (error) {
      log().error(`The workspace analysis failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      scan.dispose();
      if (this.scan === scan) this.scan = undefined;
    }
  }

  /** The document's findings, or undefined before its first analysis. */
  findingsFor(uri: vscode.Uri): readonly Finding[] | undefined {
    return this.findings.get(uri.toString());
  }

  analyzeOpenDocuments(): void {
    for (const doc of vscode.workspace.textDocuments) void this.analyze(doc);
  }

  /**
   * Analyses every supported file of the workspace; returns how many files and findings. With
   * `analyzeOpen` false, open documents count with the findings they have (refresh() just analysed them).
   */
  async lintWorkspace(
    token?: vscode.CancellationToken,
    analyzeOpen = true,
  ): Promise<{ files: number; findings: number }> {
    const patterns = excludedGlobs(diagnosticsSettings().exclude);
    const exclude = patterns.length > 0 ? `{${patterns.join(',')}}` : undefined;
    const uris = await vscode.workspace.findFiles('**/*.{py,json,yaml,yml,ipynb}', exclude, 5000, token);
    let files = 0;
    let findings = 0;
    const seen = new Set<string>();
    for (const uri of uris) {
      if (token?.isCancellationRequested) return { files, findings };
      if (isNotebookFile(uri.path)) {
        // An open notebook is analysed below, from its cells.
        seen.add(uri.toString());
        if (this.isOpenNotebook(uri)) continue;
        files++;
        findings += (await this.analyzeFile(uri)) ?? 0;
        continue;
      }
      if (!isAnalyzable(uri.path)) continue;
      const open = this.isOpen(uri);
      files++;
      seen.add(uri.toString());
      if (open && !analyzeOpen) findings += this.findingsFor(uri)?.length ?? 0;
      else findings += (open ? await this.analyze(open) : await this.analyzeFile(uri)) ?? 0;
    }
    // Files the workspace no longer holds, or that an exclude now hides, keep no diagnostics.
    for (const key of [...this.findings.keys()]) {
      const uri = vscode.Uri.parse(key);
      if (!seen.has(key) && !this.isOpen(uri) && uri.scheme !== 'vscode-notebook-cell') this.forget(uri);
    }
    // Open notebooks, whose cells are documents of their own.
    for (const count of await this.notebooks.analyzeOpen()) {
      if (count === undefined) continue;
      files++;
      findings += count;
    }
    return { files, findings };
  }

  /** A file that is not open, analysed as it is on disk (undefined: gone, unreadable, or not ours). */
  private async analyzeFile(uri: vscode.Uri): Promise<number | undefined> {
    const notebook = isNotebookFile(uri.path);
    if (!notebook && !isAnalyzable(uri.path)) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch {
      this.forget(uri);
      return undefined;
    }
    const text = new TextDecoder().decode(bytes);
    if (notebook) return this.notebooks.analyzeClosed(uri, text);
    return this.run(uri, { fileName: uri.fsPath || uri.path, text });
  }

  /** Analyses an open document; resolves with its number of findings (undefined: not analysed, or superseded). */
  async analyze(doc: vscode.TextDocument): Promise<number | undefined> {
    if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled' && doc.uri.scheme !== 'vscode-remote')
      return undefined;
    const name = analysisFileName(doc);
    const text = doc.getText();
    if (!isAnalyzable(name, text)) return undefined;
    const key = doc.uri.toString();
    const edits = this.unsentEdits.get(key) ?? [];
    this.unsentEdits.set(key, []);
    return this.run(doc.uri, { document: key, fileName: name, edits, text });
  }

  /** The analysis options for a file, or undefined when its diagnostics are off or it is excluded. */
  private optionsFor(uri: vscode.Uri): AnalyzeOptions | undefined {
    const settings = diagnosticsSettings(uri);
    if (!settings.enabled || this.isExcluded(uri, excludedGlobs(settings.exclude, uri))) return undefined;
    return { rules: settings.rules, severities: settings.severities };
  }

  /** How many times the analysis process died: the user is told the first time, the log has each. */
  crashes = 0;

  private analysisCrashed(message: string): void {
    this.crashes++;
    log().error(message);
    if (this.crashes > 1) return;
    void vscode.window
      .showWarningMessage(
        `Dropout Lens: the analysis process stopped (${message.replace(/^The analysis worker stopped \((.*)\);.*$/, '$1')}). It was restarted and the diagnostics are back; the editor and other extensions were not affected.`,
        'Show Log',
      )
      .then((choice) => {
        if (choice === 'Show Log') log().show();
      });
  }

  /** Ends the analysis process as a crash would (the VS Code suite checks that diagnostics come back). */
  killAnalysisForTest(): Promise<void> {
    return this.worker.kill();
  }

  private async run(uri: vscode.Uri, job: AnalysisJob): Promise<number | undefined> {
    const options = this.optionsFor(uri);
    if (!options) {
      this.forget(uri);
      return 0;
    }
    const key = uri.toString();
    const id = ++this.requests;
    this.latest.set(key, id);
    let findings: Finding[];
    try {
      findings = await this.worker.analyze({ ...job, options });
    } catch (first) {
      // A crashed worker or an analyzer that threw: one more try as a one-off analysis of the whole text (the
      // kept tree is gone, and the edits that led here may be too), then give up on this file only.
      log().error(
        `Analysis of ${uri.fsPath || uri.path} failed: ${first instanceof Error ? first.message : String(first)}`,
      );
      try {
        findings = await this.worker.analyze({ fileName: job.fileName, text: job.text, options });
      } catch {
        findings = [];
      }
    }
    if (this.latest.get(key) !== id) return undefined;
    this.publish(uri, findings);
    return findings.length;
  }

  private publish(uri: vscode.Uri, findings: Finding[]): void {
    this.findings.set(uri.toString(), findings);
    this.collection.set(
      uri,
      findings.map((f) => toDiagnostic(f, this.readme, uri)),
    );
    this.changed.fire(uri);
  }

  private isExcluded(uri: vscode.Uri, patterns: string[]): boolean {
    // A folder's glob (files.exclude's `**/build`) covers what is inside it.
    const matches = (pattern: string) =>
      vscode.languages.match({ pattern }, { uri, languageId: '' } as vscode.TextDocument) > 0;
    return patterns.some((pattern) => matches(pattern) || (!pattern.endsWith('/**') && matches(`${pattern}/**`)));
  }

  private coversWorkspace(): boolean {
    return diagnosticsSettings().scope === 'workspace';
  }

  private isOpen(uri: vscode.Uri): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  }

  /** A file changed on disk (or its editor closed): analysed again after the debounce, unless it is open. */
  private isOpenNotebook(uri: vscode.Uri): boolean {
    return vscode.workspace.notebookDocuments.some((nb) => nb.uri.toString() === uri.toString());
  }

  private scheduleFile(uri: vscode.Uri): void {
    const ours = isAnalyzable(uri.path) || isNotebookFile(uri.path);
    if (!this.coversWorkspace() || this.isOpen(uri) || this.isOpenNotebook(uri) || !ours) return;
    const key = uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        if (!this.isOpen(uri) && !this.isOpenNotebook(uri)) void this.analyzeFile(uri);
      }, diagnosticsSettings(uri).debounceMs),
    );
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.analyze(doc);
      }, diagnosticsSettings(doc.uri).debounceMs),
    );
  }

  /** Drops a document's diagnostics and its analyzer; an analysis still running for it is ignored. */
  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.delete(key);
    this.latest.delete(key);
    this.dropAnalyzer(key);
    this.findings.delete(key);
    this.collection.delete(uri);
  }

  /** The worker drops the document's incremental analyzer (the document closed). */
  private dropAnalyzer(key: string): void {
    if (this.unsentEdits.delete(key)) this.worker.forget(key);
  }

  dispose(): void {
    this.scan?.cancel();
    for (const timer of this.pending.values()) clearTimeout(timer);
    void this.worker.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * Our excludes (`ours`) and what files.exclude hides (findFiles drops files.exclude once given an exclude of ours, and
 * a file hidden from the explorer is not ours to flag either).
 */
function excludedGlobs(ours: string[], scope?: vscode.Uri): string[] {
  const hidden = Object.entries(
    vscode.workspace.getConfiguration('files', scope).get<Record<string, unknown>>('exclude', {}),
  )
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
  return [...ours, ...hidden];
}

/** The analyzer picks its parser by file name; an untitled editor only has a language, so it lends one. */
function analysisFileName(doc: vscode.TextDocument): string {
  const name = doc.uri.fsPath || doc.uri.path;
  if (doc.languageId === 'python' && !/\.pyi?$/i.test(name)) return `${name}.py`;
  if ((doc.languageId === 'json' || doc.languageId === 'jsonc') && !/\.json$/i.test(name)) return `${name}.json`;
  return name;
}
