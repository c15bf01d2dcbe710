/**
 * Findings on a notebook's module text placed in their cells, with cell-relative ranges. Pure text work, no
 * parser: the extension host places what the analysis process found.
 */
import type { Finding, Range, TextEdit } from '../../protocol/findings';
import { cellOfLine, type CellSpan, type NotebookModule } from './module';

export interface CellFinding extends Finding {
  /** 1-based position among all the notebook's cells. */
  cell: number;
}

/** Findings on the module's text, each placed in its cell (a finding between cells, or a fix leaving one, is dropped). */
export function placeInCells(module: NotebookModule, findings: readonly Finding[]): CellFinding[] {
  const note = executionOrderNote(module);
  return findings
    .flatMap((f) => placeInCell(module, f))
    .map((f) => (note && ORDER_MATTERS.has(f.rule) ? { ...f, message: `${f.message} ${note}` } : f));
}

/** Rules about the order things run in: their verdict depends on which cell ran first. */
const ORDER_MATTERS = new Set([
  'missing-eval',
  'missing-train-after-eval',
  'pretrained-never-trained-mode',
  'mc-dropout-flips-batchnorm',
]);

/**
 * When the saved execution counts say the cells last ran out of document order, a sentence naming the first
 * such pair: the analysis reads the cells top to bottom, as a fresh "Run All" would.
 */
function executionOrderNote(module: NotebookModule): string | undefined {
  const ran = module.cells.filter((c) => c.executionCount !== null);
  for (let i = 0; i < ran.length; i++)
    for (let j = i + 1; j < ran.length; j++) {
      const [a, b] = [ran[i]!, ran[j]!];
      if (a.executionCount! > b.executionCount!)
        return `(The cells last ran out of document order: cell ${b.cell} ran before cell ${a.cell}. Dropout Lens reads them top to bottom, as Run All does.)`;
    }
  return undefined;
}

function placeInCell(module: NotebookModule, finding: Finding): CellFinding[] {
  const at = cellOfLine(module, finding.range.start.line);
  const lastCell = module.cells.at(-1);
  // A syntax error found at the end of the text (an unclosed bracket) belongs to the last code cell.
  if (!at && lastCell && finding.rule === 'parse-error') {
    const line = lastCell.lineCount - 1;
    const end = { line, character: 0 };
    return [
      {
        ...finding,
        cell: lastCell.cell,
        range: { start: end, end },
        fixes: [],
        message: cellSyntaxMessage(lastCell.cell, end),
      },
    ];
  }
  if (!at) return [];
  const range = cellRange(at.span, finding.range);
  if (!range) return [];
  if (finding.rule === 'parse-error')
    return [
      { ...finding, cell: at.span.cell, range, fixes: [], message: cellSyntaxMessage(at.span.cell, range.start) },
    ];
  const fixes = finding.fixes.flatMap((fix) => {
    const edits: TextEdit[] = [];
    for (const edit of fix.edits) {
      const inCell = cellRange(at.span, edit.range);
      if (!inCell) return [];
      edits.push({ newText: edit.newText, range: inCell });
    }
    return [{ ...fix, edits }];
  });
  // A related place in another cell would need that cell's document: only those in this cell are kept.
  const related = (finding.related ?? []).flatMap((r) => {
    const inCell = cellRange(at.span, r.range);
    return inCell ? [{ ...r, range: inCell }] : [];
  });
  const { related: _, ...rest } = finding;
  return [{ ...rest, cell: at.span.cell, range, fixes, ...(related.length > 0 ? { related } : {}) }];
}

/** The range in cell-relative lines, or null when it leaves the cell. */
function cellRange(span: CellSpan, range: Range): Range | null {
  const last = span.firstLine + span.lineCount - 1;
  const { start, end } = range;
  if (start.line < span.firstLine || start.line > last) return null;
  // A range that runs to the start of the next cell's first line ends at the end of this cell instead.
  const clampedEnd = end.line > last ? (end.line === last + 1 && end.character === 0 ? end : null) : end;
  if (!clampedEnd) return null;
  return {
    start: { line: start.line - span.firstLine, character: start.character },
    end: { line: clampedEnd.line - span.firstLine, character: clampedEnd.character },
  };
}

/** The module's syntax error told in the cell's own lines (the module's line numbers mean nothing to the user). */
function cellSyntaxMessage(cell: number, at: { line: number; character: number }): string {
  return `Python syntax error in cell ${cell} at line ${at.line + 1}, column ${at.character + 1}: the notebook's code does not parse, so it was not checked for dropout mistakes. Diagnostics return once it parses.`;
}
