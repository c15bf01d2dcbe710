/**
 * Dropout diagnostics for open Jupyter notebooks: the Python code cells read as one module in document order
 * (a model defined in one cell and validated in another is one program), each finding shown on its cell.
 * The module is built and the findings placed here, as text; the analysis process parses.
 */
import * as vscode from 'vscode';
import { readNotebook, type NotebookCell } from '../analysis/notebook/cells';
import { moduleEdit, notebookModule } from '../analysis/notebook/module';
import { placeInCells } from '../analysis/notebook/placement';
import type { AnalyzeOptions } from '../protocol/analysis';
import type { Finding } from '../protocol/findings';
import type { AnalysisJob } from '../session/analysisWorker';
import { log } from './log';
import { diagnosticsSettings } from './settings';

/** What the notebook diagnostics need from the diagnostics controller. */
export interface NotebookAnalysisHost {
  /** The analysis options for a file, or undefined when its diagnostics are off or it is excluded. */
  optionsFor(uri: vscode.Uri): AnalyzeOptions | undefined;
  analyze(job: AnalysisJob): Promise<Finding[]>;
  publish(uri: vscode.Uri, findings: Finding[]): void;
  forget(uri: vscode.Uri): void;
  /** The analysis process drops the incremental analyzer kept under this key. */
  dropAnalyzer(key: string): void;
  /** A notebook editor closed: the file on disk stands for it again. */
  closed(uri: vscode.Uri): void;
}

/** VS Code's own `.ipynb` serializer registers this type; other notebook kinds are not Python. */
const JUPYTER = 'jupyter-notebook';
const CELL_SCHEME = 'vscode-notebook-cell';

export class NotebookDiagnostics implements vscode.Disposable {
  /** Per notebook, the cell documents that were given diagnostics, so a deleted cell's are dropped. */
  private readonly published = new Map<string, vscode.Uri[]>();
  private readonly latest = new Map<string, number>();
  /** Per notebook, the module text its incremental analyzer last saw (edits are made against it). */
  private readonly modules = new Map<string, string>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private requests = 0;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly host: NotebookAnalysisHost) {
    this.disposables = [
      vscode.workspace.onDidOpenNotebookDocument((notebook) => void this.analyze(notebook)),
      vscode.workspace.onDidChangeNotebookDocument((e) => {
        // Cells added, removed or moved, or a cell's language changed; typing is seen below.
        if (e.contentChanges.length > 0 || e.cellChanges.some((c) => c.document !== undefined))
          this.schedule(e.notebook);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== CELL_SCHEME || e.contentChanges.length === 0) return;
        const notebook = notebookOf(e.document);
        if (notebook) this.schedule(notebook);
      }),
      vscode.workspace.onDidCloseNotebookDocument((notebook) => {
        this.forget(notebook);
        if (notebook.notebookType === JUPYTER) this.host.closed(notebook.uri);
      }),
    ];
  }

  analyzeOpen(): Promise<(number | undefined)[]> {
    return Promise.all(vscode.workspace.notebookDocuments.map((notebook) => this.analyze(notebook)));
  }

  /** Analyses the notebook; resolves with its number of findings (undefined: not ours, off, excluded, or superseded). */
  async analyze(notebook: vscode.NotebookDocument): Promise<number | undefined> {
    if (notebook.notebookType !== JUPYTER) return undefined;
    const options = this.host.optionsFor(notebook.uri);
    if (!options) {
      this.forget(notebook);
      return undefined;
    }
    const key = notebook.uri.toString();
    // What the file on disk was given while the notebook was closed gives way to the cells' own diagnostics.
    this.host.forget(notebook.uri);
    const id = ++this.requests;
    this.latest.set(key, id);
    const cells = notebook.getCells();
    const module = notebookModule(cells.map(readCell));
    let findings: Finding[];
    try {
      // The analysis process keeps the module's syntax tree: only what changed is parsed again.
      const previous = this.modules.get(key);
      this.modules.set(key, module.text);
      findings = await this.host.analyze({
        document: `notebook:${key}`,
        fileName: `${notebook.uri.fsPath || notebook.uri.path}.py`,
        edits: previous === undefined ? [] : [moduleEdit(previous, module.text)],
        text: module.text,
        options,
      });
    } catch (error) {
      log().error(
        `Analysis of ${notebook.uri.fsPath || notebook.uri.path} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      // The kept tree may be gone with the process: start afresh next time.
      this.modules.delete(key);
      this.host.dropAnalyzer(`notebook:${key}`);
      findings = [];
    }
    if (this.latest.get(key) !== id) return undefined;
    const placed = placeInCells(module, findings);
    const byCell = new Map<number, Finding[]>();
    for (const { cell, ...finding } of placed) byCell.set(cell, [...(byCell.get(cell) ?? []), finding]);
    const uris: vscode.Uri[] = [];
    cells.forEach((cell, index) => {
      if (cell.kind !== vscode.NotebookCellKind.Code) return;
      this.host.publish(cell.document.uri, byCell.get(index + 1) ?? []);
      uris.push(cell.document.uri);
    });
    const kept = new Set(uris.map(String));
    for (const old of this.published.get(key) ?? []) if (!kept.has(old.toString())) this.host.forget(old);
    this.published.set(key, uris);
    return placed.length;
  }

  /**
   * A notebook that is not open, as it is on disk (the workspace scan): its cells have no documents until it
   * opens, so the findings go on the file, each message naming its cell and line.
   */
  async analyzeClosed(uri: vscode.Uri, text: string): Promise<number | undefined> {
    const options = this.host.optionsFor(uri);
    if (!options) {
      this.host.forget(uri);
      return undefined;
    }
    const read = readNotebook(text);
    if (!read.ok) {
      log().warn(`${uri.fsPath || uri.path} is not a notebook Dropout Lens can read: ${read.message}`);
      this.host.forget(uri);
      return undefined;
    }
    const module = notebookModule(read.cells);
    const found = await this.host.analyze({ fileName: `${uri.fsPath || uri.path}.py`, text: module.text, options });
    const start = { line: 0, character: 0 };
    const placed = placeInCells(module, found).map(({ cell, range, message, ...f }) => ({
      ...f,
      message: `cell ${cell}, line ${range.start.line + 1}: ${message}`,
      range: { start, end: start },
      fixes: [],
    }));
    this.host.publish(uri, placed);
    return placed.length;
  }

  private schedule(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        if (!notebook.isClosed) void this.analyze(notebook);
      }, diagnosticsSettings(notebook.uri).debounceMs),
    );
  }

  private forget(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.delete(key);
    this.latest.delete(key);
    for (const uri of this.published.get(key) ?? []) this.host.forget(uri);
    this.published.delete(key);
    if (this.modules.delete(key)) this.host.dropAnalyzer(`notebook:${key}`);
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** A cell as the module builder reads it; a code cell in another language (`%%R`, SQL) is not Python. */
function readCell(cell: vscode.NotebookCell): NotebookCell {
  const python = cell.kind === vscode.NotebookCellKind.Code && cell.document.languageId === 'python';
  return {
    kind: python ? 'code' : cell.kind === vscode.NotebookCellKind.Code ? 'raw' : 'markdown',
    source: cell.document.getText(),
    executionCount: cell.executionSummary?.executionOrder ?? null,
  };
}

function notebookOf(cellDocument: vscode.TextDocument): vscode.NotebookDocument | undefined {
  return vscode.workspace.notebookDocuments.find((notebook) =>
    notebook.getCells().some((cell) => cell.document === cellDocument),
  );
}
