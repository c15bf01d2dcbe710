/**
 * Dropout findings for a Jupyter notebook: its code cells analysed as one module, each finding placed in its
 * cell (1-based among all cells) with cell-relative lines. A fix whose edits leave the finding's cell is
 * dropped rather than offered half-applied.
 */
import type { AnalyzeOptions } from '../../protocol/analysis';
import { analyzeDocument } from '../analyze';
import { readNotebook } from './cells';
import { notebookModule } from './module';
import { placeInCells, type CellFinding } from './placement';

export { readNotebook, type NotebookCell } from './cells';
export { notebookModule, type CellSpan, type NotebookModule } from './module';
export { placeInCells, type CellFinding } from './placement';
export { isNotebookFile } from '../files';

export type NotebookAnalysis = { ok: true; findings: CellFinding[] } | { ok: false; message: string };

export function analyzeNotebook(text: string, fileName: string, options: AnalyzeOptions = {}): NotebookAnalysis {
  const read = readNotebook(text);
  if (!read.ok) return read;
  const module = notebookModule(read.cells);
  const findings = analyzeDocument(module.text, fileName.replace(/\.ipynb$/i, '.py'), options);
  return { ok: true, findings: placeInCells(module, findings) };
}
