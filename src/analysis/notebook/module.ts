/**
 * A notebook's code cells as one Python module, in document order (as Ruff and Pylance read them), with
 * IPython syntax blanked so that every line keeps its number: line magics (`%matplotlib inline`), shell lines
 * (`!pip install`, `files = !ls`), help (`model?`, `??model`). A cell magic (`%%bash`, `%%writefile`) makes its
 * cell opaque, except timing and capture magics, whose cell body is still Python.
 */
import type { NotebookCell } from './cells';

/** Cell magics whose body is ordinary Python, run under a timer or with its output captured. */
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'memit', 'debug']);

export interface CellSpan {
  /** 1-based position among all cells, markdown included (what Jupyter and Ruff show). */
  cell: number;
  /** The cell's first line in the module. */
  firstLine: number;
  lineCount: number;
  executionCount: number | null;
}

export interface NotebookModule {
  text: string;
  cells: CellSpan[];
}

export function notebookModule(cells: NotebookCell[]): NotebookModule {
  const parts: string[] = [];
  const spans: CellSpan[] = [];
  let line = 0;
  cells.forEach((cell, i) => {
    if (cell.kind !== 'code') return;
    const lines = pythonLines(cell.source);
    spans.push({ cell: i + 1, firstLine: line, lineCount: lines.length, executionCount: cell.executionCount });
    parts.push(lines.join('\n'));
    line += lines.length;
  });
  return { text: parts.join('\n') + (parts.length > 0 ? '\n' : ''), cells: spans };
}

/** The cell's lines with IPython syntax blanked (same count as the source's lines). */
function pythonLines(source: string): string[] {
  const lines = source.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const cellMagic = /^%%(\w+)/.exec(lines[0] ?? '')?.[1];
  if (cellMagic !== undefined && !PYTHON_CELL_MAGICS.has(cellMagic)) return lines.map(() => '');
  const starts = logicalLineStarts(lines);
  return lines.map((text, i) =>
    (i === 0 && cellMagic !== undefined) || (starts[i] && isIPythonLine(text)) ? '' : text,
  );
}

/**
 * Which lines begin a logical line: IPython reads `%`, `!` and `?` there only, never on a line that continues
 * a bracket, a backslash or a triple-quoted string (`print(... \n    % (epoch, loss))`).
 */
function logicalLineStarts(lines: string[]): boolean[] {
  let depth = 0;
  let longString: string | null = null;
  let continued = false;
  return lines.map((line) => {
    const start = depth === 0 && longString === null && !continued;
    let quote: string | null = null;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (longString !== null) {
        if (c === '\\') i++;
        else if (line.startsWith(longString, i)) {
          i += 2;
          longString = null;
        }
      } else if (quote !== null) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
      } else if (c === '#') break;
      else if (c === '"' || c === "'") {
        const triple = c.repeat(3);
        if (line.startsWith(triple, i)) {
          longString = triple;
          i += 2;
        } else quote = c;
      } else if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    }
    continued = longString === null && /\\$/.test(line);
    return start;
  });
}

function isIPythonLine(text: string): boolean {
  const t = text.trim();
  if (t.startsWith('%') || t.startsWith('!') || t.startsWith('?')) return true;
  // `model?`, `model.forward??` (help), and `files = !ls` / `x = %timeit f()` (captured shell and magics).
  if (/^[\w.]+\?{1,2}$/.test(t)) return true;
  return /^[\w.,\s]+=\s*[!%]/.test(t);
}

/** The cell and cell-relative line of a module line, or null for a line outside every code cell. */
export function cellOfLine(module: NotebookModule, line: number): { span: CellSpan; line: number } | null {
  for (const span of module.cells)
    if (line >= span.firstLine && line < span.firstLine + span.lineCount) return { span, line: line - span.firstLine };
  return null;
}

/**
 * The one edit that turns the previous module text into the next (their common start and end kept): what an
 * incremental analyzer needs after a cell changed, was added, moved or deleted.
 */
export function moduleEdit(previous: string, next: string): { rangeOffset: number; rangeLength: number; text: string } {
  let start = 0;
  const shorter = Math.min(previous.length, next.length);
  while (start < shorter && previous.charCodeAt(start) === next.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < shorter - start &&
    previous.charCodeAt(previous.length - 1 - end) === next.charCodeAt(next.length - 1 - end)
  )
    end++;
  return { rangeOffset: start, rangeLength: previous.length - start - end, text: next.slice(start, next.length - end) };
}
