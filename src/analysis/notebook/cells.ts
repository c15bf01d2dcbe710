/**
 * A Jupyter notebook's cells, read from its `.ipynb` JSON (nbformat 4). Malformed notebooks get a message
 * naming what is wrong, never an exception; odd but readable ones (a `source` string instead of a list of
 * lines, a cell without `cell_type`) are read as they are.
 */

export type CellKind = 'code' | 'markdown' | 'raw';

export interface NotebookCell {
  kind: CellKind;
  source: string;
  /** The cell's execution count in the saved notebook, when it ran. */
  executionCount: number | null;
}

export type NotebookRead = { ok: true; cells: NotebookCell[] } | { ok: false; message: string };

export function readNotebook(text: string): NotebookRead {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return {
      ok: false,
      message: `not valid notebook JSON (${error instanceof Error ? error.message : 'parse error'})`,
    };
  }
  if (!isObject(json)) return { ok: false, message: 'a notebook is a JSON object with a "cells" list' };
  const format = json['nbformat'];
  if (typeof format === 'number' && format < 4)
    return {
      ok: false,
      message: `nbformat ${format} is not supported; save the notebook again with Jupyter 4 or later`,
    };
  const cells = json['cells'];
  if (!Array.isArray(cells)) return { ok: false, message: 'the notebook has no "cells" list' };
  return { ok: true, cells: cells.map(readCell) };
}

function readCell(cell: unknown): NotebookCell {
  if (!isObject(cell)) return { kind: 'raw', source: '', executionCount: null };
  const type = cell['cell_type'];
  const kind: CellKind = type === 'code' || type === 'markdown' ? type : 'raw';
  const count = cell['execution_count'];
  return {
    kind,
    source: sourceText(cell['source']),
    executionCount: typeof count === 'number' && Number.isInteger(count) ? count : null,
  };
}

/** nbformat stores `source` as a list of lines (each with its newline) or, in some writers, one string. */
function sourceText(source: unknown): string {
  if (typeof source === 'string') return source;
  if (Array.isArray(source)) return source.filter((line): line is string => typeof line === 'string').join('');
  return '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
